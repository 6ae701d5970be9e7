//! The data demand list (Art.9, 15) over storage: filing a demand, the authority's
//! coordination with a provider, the provider's answer, fulfilment or rejection, withdrawal;
//! the timeline of each demand, and the lists of the consumer, the provider and the authority
//! with each step's working-day deadline.
//!
//! Agency users see the demands their agency filed or was proposed to answer; the roles that
//! see all organisations (the authority, supervisors) see every demand. Deadlines are computed
//! when read, from the calendar as it stands, so a holiday entered later moves them.

use crate::calendar;
use crate::db::{Store, WriteTx};
use crate::error::{Error, Result};
use crate::identity::orgs;
use crate::sql::Sql;
use pubdata_domain::audit::events;
use pubdata_domain::calendar::WorkCalendar;
use pubdata_domain::catalog::{Delivery, Problem};
use pubdata_domain::demand::{
    self, AnswerKind, Deadline, DemandAction, DemandDates, DemandFacts, DemandFiling, DemandState, DemandStep,
    StepInput, transition,
};
use pubdata_domain::identity::{Caller, OrgKind, OrgStatus, Permission, Scope};
use pubdata_domain::ids::OrgId;
use pubdata_domain::timefmt;
use serde::Serialize;
use serde_json::json;
use sqlx::AnyConnection;
use time::Date;

/// A published resource a demand refers to.
#[derive(Clone, Debug, Serialize)]
pub struct ResourceRef {
    pub id: i64,
    pub name: String,
}

/// One step of a demand's timeline.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct DemandEvent {
    pub at: String,
    pub actor_name: String,
    pub actor_org_id: Option<i64>,
    /// `file`, or the demand action taken.
    pub action: String,
    /// Empty for the filing.
    pub from_state: String,
    pub to_state: String,
    pub comment: String,
    pub provider_org_id: Option<i64>,
    pub resource_id: Option<i64>,
    pub answer: Option<String>,
    pub planned_on: Option<String>,
}

/// The proposed provider's latest answer.
#[derive(Clone, Debug, Serialize)]
pub struct ProviderAnswer {
    pub kind: AnswerKind,
    /// A published resource that already meets the demand.
    pub resource: Option<ResourceRef>,
    /// When the data will be available, for a plan.
    pub planned_on: Option<String>,
    /// The plan, or why the data cannot be provided.
    pub text: String,
    pub answered_by: String,
    pub answered_at: String,
}

/// Where a demand's current step stands against its deadline.
#[derive(Clone, Debug, Serialize)]
pub struct DueView {
    pub step: DemandStep,
    /// The first day of the count (`YYYY-MM-DD`, district time).
    pub started_on: String,
    /// The last day on which the step is on time.
    pub due_on: String,
    pub overdue: bool,
}

impl DueView {
    fn of(deadline: Deadline, today: Date) -> DueView {
        DueView {
            step: deadline.step,
            started_on: timefmt::format_date(deadline.started_on),
            due_on: timefmt::format_date(deadline.due_on),
            overdue: deadline.is_overdue(today),
        }
    }
}

/// Everything the demand's page shows.
#[derive(Clone, Debug, Serialize)]
pub struct DemandDetail {
    pub id: i64,
    pub consumer_org_id: i64,
    pub title: String,
    pub description: String,
    pub items: Vec<String>,
    pub scenario: String,
    pub legal_basis: String,
    pub delivery: Delivery,
    pub related_resource: Option<ResourceRef>,
    pub state: DemandState,
    pub provider_org_id: Option<i64>,
    pub assigned_at: Option<String>,
    pub answer: Option<ProviderAnswer>,
    pub linked_resource: Option<ResourceRef>,
    pub rejection_reason: Option<String>,
    pub created_by: String,
    pub submitted_at: String,
    pub closed_at: Option<String>,
    pub updated_at: String,
    /// The current step's deadline; `None` once the demand is closed.
    pub due: Option<DueView>,
    pub overdue: bool,
    pub timeline: Vec<DemandEvent>,
    /// What the caller may do now.
    pub actions: Vec<DemandAction>,
}

/// A demand as the lists show it.
#[derive(Clone, Debug, Serialize)]
pub struct DemandSummary {
    pub id: i64,
    pub title: String,
    pub consumer_org_id: i64,
    pub provider_org_id: Option<i64>,
    pub state: DemandState,
    pub submitted_at: String,
    pub updated_at: String,
    pub due: Option<DueView>,
    pub overdue: bool,
}

/// Which demands a list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DemandList {
    /// Filed by the caller's agency (我提交的).
    Mine,
    /// Proposed to the caller's agency to answer (待我答复).
    Assigned,
    /// Every demand: the authority and supervisors (全部).
    All,
}

impl DemandList {
    pub fn as_str(self) -> &'static str {
        match self {
            DemandList::Mine => "mine",
            DemandList::Assigned => "assigned",
            DemandList::All => "all",
        }
    }

    pub fn parse(s: &str) -> Option<DemandList> {
        [DemandList::Mine, DemandList::Assigned, DemandList::All].into_iter().find(|v| v.as_str() == s.trim())
    }
}

/// Narrows a list.
#[derive(Clone, Copy, Debug, Default)]
pub struct DemandFilter {
    pub state: Option<DemandState>,
    /// Only open demands whose current step is past its deadline.
    pub overdue_only: bool,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    consumer_org_id: i64,
    title: String,
    description: String,
    items: String,
    scenario: String,
    legal_basis: String,
    delivery: String,
    related_resource_id: Option<i64>,
    state: String,
    provider_org_id: Option<i64>,
    assigned_at: Option<String>,
    answer: Option<String>,
    answer_resource_id: Option<i64>,
    answer_planned_on: Option<String>,
    answer_text: Option<String>,
    answered_by: Option<String>,
    answered_at: Option<String>,
    linked_resource_id: Option<i64>,
    rejection_reason: Option<String>,
    created_by: String,
    submitted_at: String,
    closed_at: Option<String>,
    updated_at: String,
}

macro_rules! demand_columns {
    () => {
        "id, consumer_org_id, title, description, items, scenario, legal_basis, delivery, related_resource_id, state, \
         provider_org_id, assigned_at, answer, answer_resource_id, answer_planned_on, answer_text, answered_by, \
         answered_at, linked_resource_id, rejection_reason, created_by, submitted_at, closed_at, updated_at"
    };
}

fn stored(what: &str, value: &str) -> Error {
    Error::Database(sqlx::Error::Decode(format!("stored demand {what} {value:?} is not valid").into()))
}

impl Row {
    fn state(&self) -> Result<DemandState> {
        DemandState::parse(&self.state).ok_or_else(|| stored("state", &self.state))
    }

    fn facts(&self) -> Result<DemandFacts> {
        Ok(DemandFacts {
            state: self.state()?,
            consumer_org: OrgId(self.consumer_org_id),
            provider_org: self.provider_org_id.map(OrgId),
        })
    }

    fn dates(&self) -> Result<DemandDates> {
        let day = |s: &str| timefmt::parse_instant(s).map(timefmt::district_date);
        Ok(DemandDates {
            submitted_on: day(&self.submitted_at)?,
            assigned_on: self.assigned_at.as_deref().map(day).transpose()?,
            answered_on: self.answered_at.as_deref().map(day).transpose()?,
        })
    }

    fn due(&self, cal: &WorkCalendar, today: Date) -> Result<Option<DueView>> {
        Ok(demand::deadline(self.state()?, &self.dates()?, cal).map(|d| DueView::of(d, today)))
    }

    fn summary(self, cal: &WorkCalendar, today: Date) -> Result<DemandSummary> {
        let due = self.due(cal, today)?;
        Ok(DemandSummary {
            state: self.state()?,
            overdue: due.as_ref().is_some_and(|d| d.overdue),
            due,
            id: self.id,
            title: self.title,
            consumer_org_id: self.consumer_org_id,
            provider_org_id: self.provider_org_id,
            submitted_at: self.submitted_at,
            updated_at: self.updated_at,
        })
    }
}

async fn fetch(conn: &mut AnyConnection, id: i64) -> Result<Row> {
    let row: Option<Row> = sqlx::query_as(concat!("SELECT ", demand_columns!(), " FROM demands WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.ok_or_else(|| Error::not_found("demand", id))
}

/// Locks the row for the rest of the transaction on PostgreSQL (SQLite has one writer).
async fn fetch_for_update(tx: &mut WriteTx, id: i64) -> Result<Row> {
    let sql = match tx.backend() {
        crate::Backend::Sqlite => concat!("SELECT ", demand_columns!(), " FROM demands WHERE id = $1"),
        crate::Backend::Postgres => concat!("SELECT ", demand_columns!(), " FROM demands WHERE id = $1 FOR UPDATE"),
    };
    let row: Option<Row> = sqlx::query_as(sql).bind(id).fetch_optional(tx.conn()).await?;
    row.ok_or_else(|| Error::not_found("demand", id))
}

fn refuse(problems: Vec<Problem>) -> Result<()> {
    if problems.is_empty() { Ok(()) } else { Err(pubdata_domain::Error::Problems(problems).into()) }
}

/// The resource `id` if it is in the district catalog (published at least once); otherwise a
/// problem naming `field`.
async fn published_resource(conn: &mut AnyConnection, field: &str, id: i64) -> Result<ResourceRef> {
    let row: Option<(String, i64)> =
        sqlx::query_as("SELECT name, current_version FROM catalog_resources WHERE id = $1")
            .bind(id)
            .fetch_optional(conn)
            .await?;
    match row {
        Some((name, version)) if version > 0 => Ok(ResourceRef { id, name }),
        // Drafts and unknown ids get the same answer, so that filing a demand does not reveal
        // another agency's drafts; neither is in the district catalog a demand may refer to.
        _ => Err(pubdata_domain::Error::invalid(
            field,
            format!("资源 {id} 不存在或尚未发布：需求只能引用全区目录中已发布的资源"),
            format!("resource {id} does not exist or is not published: a demand refers only to published resources"),
        )
        .into()),
    }
}

/// A resource's name for display; a reference that has since gone stays visible by number.
async fn resource_ref(conn: &mut AnyConnection, id: Option<i64>) -> Result<Option<ResourceRef>> {
    let Some(id) = id else { return Ok(None) };
    let name: Option<(String,)> =
        sqlx::query_as("SELECT name FROM catalog_resources WHERE id = $1").bind(id).fetch_optional(conn).await?;
    Ok(Some(ResourceRef { id, name: name.map_or_else(|| format!("#{id}"), |(n,)| n) }))
}

/// The proposed provider must be an active agency or town/street other than the consumer.
async fn check_provider(conn: &mut AnyConnection, provider: i64, consumer: i64) -> Result<()> {
    let org = orgs::fetch(conn, OrgId(provider)).await.map_err(|_| {
        pubdata_domain::Error::invalid(
            "provider_org_id",
            format!("单位 {provider} 不存在"),
            format!("organisation {provider} does not exist"),
        )
    })?;
    if !matches!(org.kind, OrgKind::Agency | OrgKind::TownStreet) || org.status != OrgStatus::Active {
        return Err(pubdata_domain::Error::invalid(
            "provider_org_id",
            format!("「{}」不是在用的公共管理和服务机构或镇（街道），不能提供数据", org.name),
            format!("{:?} is not an active agency or town/street and cannot provide data", org.name),
        )
        .into());
    }
    if provider == consumer {
        return Err(pubdata_domain::Error::invalid(
            "provider_org_id",
            "提供单位不能是提出需求的单位本身",
            "the provider cannot be the agency that filed the demand",
        )
        .into());
    }
    Ok(())
}

/// The particulars of one step, kept in its timeline entry and its audit entry.
#[derive(Default)]
struct Particulars {
    provider_org_id: Option<i64>,
    resource_id: Option<i64>,
    answer: Option<AnswerKind>,
    planned_on: Option<String>,
}

impl Particulars {
    fn to_json(&self) -> serde_json::Value {
        json!({
            "provider_org_id": self.provider_org_id,
            "resource_id": self.resource_id,
            "answer": self.answer.map(AnswerKind::as_str),
            "planned_on": self.planned_on,
        })
    }
}

/// Appends an entry to the demand's timeline.
async fn add_event(
    tx: &mut WriteTx,
    caller: &Caller,
    id: i64,
    action: &str,
    (from, to): (&str, &str),
    comment: &str,
    p: &Particulars,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO demand_events (demand_id, at, actor_user_id, actor_name, actor_org_id, action, from_state, to_state, \
         comment, provider_org_id, resource_id, answer, planned_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(id)
    .bind(timefmt::format_instant(timefmt::now()))
    .bind(caller.principal.user_id.map(|u| u.0))
    .bind(&caller.principal.display_name)
    .bind(caller.principal.org_id.map(|o| o.0))
    .bind(action)
    .bind(from)
    .bind(to)
    .bind(comment)
    .bind(p.provider_org_id)
    .bind(p.resource_id)
    .bind(p.answer.map(AnswerKind::as_str))
    .bind(p.planned_on.clone())
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Files a demand for the caller's agency (`demand.file`, Art.9, 15). Returns it as filed.
pub async fn create(store: &Store, caller: &Caller, filing: DemandFiling) -> Result<DemandDetail> {
    caller.principal.require(Permission::DemandFile)?;
    let consumer = caller.principal.org_id.ok_or_else(|| {
        pubdata_domain::Error::out_of_scope(
            "只有公共管理和服务机构可以提交数据需求",
            "only an agency can file a data demand",
        )
    })?;
    let filing = filing.normalized();
    refuse(filing.problems())?;
    let mut tx = store.begin().await?;
    let id = insert(&mut tx, caller, consumer, &filing).await?;
    tx.commit().await?;
    get(store, caller, id).await
}

/// Inserts a checked filing for `consumer` and records it. The demo district files through
/// this on its agencies' behalf.
pub(crate) async fn insert(tx: &mut WriteTx, caller: &Caller, consumer: OrgId, filing: &DemandFiling) -> Result<i64> {
    let org = orgs::fetch(tx.conn(), consumer).await?;
    if !matches!(org.kind, OrgKind::Agency | OrgKind::TownStreet) {
        return Err(pubdata_domain::Error::out_of_scope(
            "只有公共管理和服务机构或镇（街道）可以提交数据需求",
            "only an agency or town/street can file a data demand",
        )
        .into());
    }
    if let Some(r) = filing.related_resource_id {
        published_resource(tx.conn(), "related_resource_id", r).await?;
    }
    let items = serde_json::to_string(&filing.items).map_err(|e| Error::Database(sqlx::Error::Encode(Box::new(e))))?;
    let now = timefmt::format_instant(timefmt::now());
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO demands (consumer_org_id, title, description, items, scenario, legal_basis, delivery, related_resource_id, \
         state, created_by, submitted_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'submitted', $9, $10, $10) RETURNING id",
    )
    .bind(consumer.0)
    .bind(&filing.title)
    .bind(&filing.description)
    .bind(items)
    .bind(&filing.scenario)
    .bind(&filing.legal_basis)
    .bind(filing.delivery.as_str())
    .bind(filing.related_resource_id)
    .bind(&caller.principal.username)
    .bind(&now)
    .fetch_one(tx.conn())
    .await?;
    let p = Particulars { resource_id: filing.related_resource_id, ..Particulars::default() };
    add_event(tx, caller, id, "file", ("", DemandState::Submitted.as_str()), "", &p).await?;
    tx.record(caller.actor(), events::demand_created(id, &filing.title, consumer.0, filing.related_resource_id));
    Ok(id)
}

/// Takes a step of a demand: the authority coordinates (proposes a provider), fulfils or
/// rejects; the proposed provider answers; the consumer withdraws. Who may take which step is
/// decided by [`transition`]; what each step needs by [`StepInput::problems`].
pub async fn act(
    store: &Store,
    caller: &Caller,
    id: i64,
    action: DemandAction,
    input: StepInput,
) -> Result<DemandDetail> {
    demand::require_read(&caller.principal)?;
    let input = input.normalized();
    let today = timefmt::district_date(timefmt::now());
    let mut tx = store.begin().await?;
    let row = fetch_for_update(&mut tx, id).await?;
    let facts = row.facts()?;
    if !facts.visible_to(&caller.principal) {
        return Err(Error::not_found("demand", id));
    }
    let to = transition(&caller.principal, &facts, action)?;
    refuse(input.problems(action, today))?;
    let p = apply(&mut tx, caller, &row, (action, to), &input).await?;
    let (from, to) = (facts.state.as_str(), to.as_str());
    add_event(&mut tx, caller, id, action.as_str(), (from, to), &input.comment, &p).await?;
    tx.record(caller.actor(), events::demand_updated(id, action.as_str(), from, to, &input.comment, p.to_json()));
    tx.commit().await?;
    get(store, caller, id).await
}

/// Writes what `action` changes; returns the step's particulars.
async fn apply(
    tx: &mut WriteTx,
    caller: &Caller,
    row: &Row,
    (action, to): (DemandAction, DemandState),
    input: &StepInput,
) -> Result<Particulars> {
    let now = timefmt::format_instant(timefmt::now());
    let mut p = Particulars::default();
    let mut q = match action {
        DemandAction::Coordinate => {
            let provider = input.provider_org_id.unwrap_or_default();
            check_provider(tx.conn(), provider, row.consumer_org_id).await?;
            p.provider_org_id = Some(provider);
            // A new proposal starts a new answer: the previous provider's answer no longer applies.
            let mut q = Sql::new("UPDATE demands SET provider_org_id = ");
            q.bind(provider).push(", assigned_at = ").bind(now.clone()).push(
                ", answer = NULL, answer_resource_id = NULL, answer_planned_on = NULL, answer_text = NULL, \
                 answered_by = NULL, answered_at = NULL",
            );
            q
        }
        DemandAction::Answer => {
            let kind = input.answer.unwrap_or(AnswerKind::CannotProvide);
            if kind == AnswerKind::CanProvide {
                if let Some(r) = input.resource_id {
                    published_resource(tx.conn(), "resource_id", r).await?;
                    p.resource_id = Some(r);
                } else {
                    p.planned_on = input.planned_date.map(timefmt::format_date);
                }
            }
            p.answer = Some(kind);
            let mut q = Sql::new("UPDATE demands SET answer = ");
            q.bind(kind.as_str().to_string())
                .push(", answer_resource_id = ")
                .bind(p.resource_id)
                .push(", answer_planned_on = ")
                .bind(p.planned_on.clone())
                .push(", answer_text = ")
                .bind(input.comment.clone())
                .push(", answered_by = ")
                .bind(caller.principal.display_name.clone())
                .push(", answered_at = ")
                .bind(now.clone());
            q
        }
        DemandAction::Fulfil => {
            let r = input.resource_id.unwrap_or_default();
            published_resource(tx.conn(), "resource_id", r).await?;
            p.resource_id = Some(r);
            let mut q = Sql::new("UPDATE demands SET linked_resource_id = ");
            q.bind(r).push(", closed_at = ").bind(now.clone());
            q
        }
        DemandAction::Reject => {
            let mut q = Sql::new("UPDATE demands SET rejection_reason = ");
            q.bind(input.comment.clone()).push(", closed_at = ").bind(now.clone());
            q
        }
        DemandAction::Withdraw => {
            let mut q = Sql::new("UPDATE demands SET closed_at = ");
            q.bind(now.clone());
            q
        }
    };
    q.push(", state = ")
        .bind(to.as_str().to_string())
        .push(", updated_at = ")
        .bind(now)
        .push(" WHERE id = ")
        .bind(row.id);
    q.query().execute(tx.conn()).await?;
    Ok(p)
}

/// One demand with its timeline, deadline and the caller's possible actions. Visible to the
/// filing agency, the proposed provider, and the roles that see all organisations.
pub async fn get(store: &Store, caller: &Caller, id: i64) -> Result<DemandDetail> {
    demand::require_read(&caller.principal)?;
    let cal = calendar::load(store).await?;
    let today = timefmt::district_date(timefmt::now());
    let mut conn = store.reader().acquire().await?;
    let row = fetch(&mut conn, id).await?;
    let facts = row.facts()?;
    if !facts.visible_to(&caller.principal) {
        return Err(Error::not_found("demand", id));
    }
    let timeline: Vec<DemandEvent> = sqlx::query_as(
        "SELECT at, actor_name, actor_org_id, action, from_state, to_state, comment, provider_org_id, resource_id, answer, \
         planned_on FROM demand_events WHERE demand_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let answer = match (row.answer.as_deref(), row.answered_at.clone()) {
        (Some(kind), Some(answered_at)) => Some(ProviderAnswer {
            kind: AnswerKind::parse(kind).ok_or_else(|| stored("answer", kind))?,
            resource: resource_ref(&mut conn, row.answer_resource_id).await?,
            planned_on: row.answer_planned_on.clone(),
            text: row.answer_text.clone().unwrap_or_default(),
            answered_by: row.answered_by.clone().unwrap_or_default(),
            answered_at,
        }),
        _ => None,
    };
    let items: Vec<String> = serde_json::from_str(&row.items).map_err(|_| stored("items", &row.items))?;
    let delivery = Delivery::parse(&row.delivery).ok_or_else(|| stored("delivery", &row.delivery))?;
    let due = row.due(&cal, today)?;
    Ok(DemandDetail {
        id: row.id,
        consumer_org_id: row.consumer_org_id,
        items,
        delivery,
        related_resource: resource_ref(&mut conn, row.related_resource_id).await?,
        state: facts.state,
        provider_org_id: row.provider_org_id,
        answer,
        linked_resource: resource_ref(&mut conn, row.linked_resource_id).await?,
        overdue: due.as_ref().is_some_and(|d| d.overdue),
        due,
        actions: facts.available(&caller.principal),
        timeline,
        title: row.title,
        description: row.description,
        scenario: row.scenario,
        legal_basis: row.legal_basis,
        assigned_at: row.assigned_at,
        rejection_reason: row.rejection_reason,
        created_by: row.created_by,
        submitted_at: row.submitted_at,
        closed_at: row.closed_at,
        updated_at: row.updated_at,
    })
}

/// The demands of one list, newest first, each with its current step's deadline.
pub async fn list(
    store: &Store,
    caller: &Caller,
    which: DemandList,
    filter: DemandFilter,
) -> Result<Vec<DemandSummary>> {
    demand::require_read(&caller.principal)?;
    let p = &caller.principal;
    let mut q = Sql::new(concat!("SELECT ", demand_columns!(), " FROM demands WHERE "));
    match (which, p.scope()) {
        (DemandList::All, Scope::All) => {
            q.push("1 = 1");
        }
        (DemandList::All, _) => {
            return Err(pubdata_domain::Error::out_of_scope(
                "只有主管部门和监管人员可以查看全部数据需求",
                "only the authority and supervisors can list every demand",
            )
            .into());
        }
        (DemandList::Mine | DemandList::Assigned, _) => {
            let Some(org) = p.org_id else { return Ok(Vec::new()) };
            q.push(if which == DemandList::Mine { "consumer_org_id = " } else { "provider_org_id = " }).bind(org.0);
        }
    }
    if let Some(s) = filter.state {
        q.push(" AND state = ").bind(s.as_str().to_string());
    }
    if filter.overdue_only {
        q.push(" AND state IN ('submitted', 'coordinating')");
    }
    q.push(" ORDER BY id DESC");
    let rows: Vec<Row> = q.query_as().fetch_all(store.reader()).await?;
    let cal = calendar::load(store).await?;
    let today = timefmt::district_date(timefmt::now());
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let summary = row.summary(&cal, today)?;
        if !filter.overdue_only || summary.overdue {
            out.push(summary);
        }
    }
    Ok(out)
}
