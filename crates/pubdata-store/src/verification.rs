//! Data verification (Art.11) over storage: the authority's cross-checks of two providers'
//! delivered rows, the tasks they (or the authority by hand) open, the providers' answers, the
//! closing, and the lists with each task's working-day deadline.
//!
//! A cross-check joins the current visible rows of two resources' data tables on their entity
//! key and compares one item; it reads data, so its one audit entry also records that access.
//! Providers see the tasks addressed to them; the roles that see all organisations (the
//! authority, supervisors) see every task and run. Deadlines are computed when read, from the
//! calendar as it stands, like the demand list's. Scheduled cross-checks, which run the same
//! way on their dates, live in [`schedules`].

use crate::aggregation::table::{self, Layout};
use crate::calendar;
use crate::db::{Store, WriteTx};
use crate::error::{Error, Result};
use crate::sql::Sql;
use futures_util::TryStreamExt;
use pubdata_domain::audit::events;
use pubdata_domain::calendar::WorkCalendar;
use pubdata_domain::catalog::{DataItem, Problem};
use pubdata_domain::identity::{Caller, Permission, Scope};
use pubdata_domain::ids::OrgId;
use pubdata_domain::timefmt;
use pubdata_domain::verification::{
    self, AnswerInput, AnswerKind, Comparison, Conflict, ConflictFinder, CrossCheckFindings, CrossCheckSpec,
    DEFAULT_WORKING_DAYS, ManualTask, TaskAction, TaskFacts, TaskOrigin, TaskState, schedule, transition,
};
use serde::Serialize;
use serde_json::json;
use sqlx::{AnyConnection, AssertSqlSafe, Row as _};
use time::Date;

pub mod schedules;

/// Conflicting entries per insert statement.
const CONFLICTS_PER_INSERT: usize = 100;
/// The most runs the history lists.
const MAX_LISTED_RUNS: i64 = 500;

/// A resource as verification shows it.
#[derive(Clone, Debug, Serialize)]
pub struct ResourceRef {
    pub id: i64,
    pub name: String,
}

/// One cross-check run: what was compared, what it found, and the task it opened, if any.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct CrossCheck {
    pub id: i64,
    pub resource_a: i64,
    pub resource_a_name: String,
    pub provider_a: i64,
    pub key_item_a: String,
    pub item_a: String,
    pub resource_b: i64,
    pub resource_b_name: String,
    pub provider_b: i64,
    pub key_item_b: String,
    pub item_b: String,
    /// `id_card` or `credit_code`, when the keys hold a recognised identifier.
    pub key_kind: Option<String>,
    /// Distinct keys present in both resources' current rows.
    pub keys_compared: i64,
    /// Every conflicting entry (the first 1,000 are kept).
    pub conflicts: i64,
    /// Joined rows read.
    pub rows_read: i64,
    pub run_by: String,
    pub run_at: String,
    pub task_id: Option<i64>,
    /// The schedule the run belongs to; `None` for a run on demand.
    pub schedule_id: Option<i64>,
}

macro_rules! cross_check_select {
    () => {
        "SELECT c.id, c.resource_a, ra.name AS resource_a_name, ra.provider_org_id AS provider_a, c.key_item_a, \
         c.item_a, c.resource_b, rb.name AS resource_b_name, rb.provider_org_id AS provider_b, c.key_item_b, c.item_b, \
         c.key_kind, c.keys_compared, c.conflicts, c.rows_read, c.run_by, c.run_at, t.id AS task_id, c.schedule_id \
         FROM verification_cross_checks c JOIN catalog_resources ra ON ra.id = c.resource_a \
         JOIN catalog_resources rb ON rb.id = c.resource_b LEFT JOIN verification_tasks t ON t.cross_check_id = c.id"
    };
}

/// What running a cross-check produced: the run, and the task when values differed.
#[derive(Clone, Debug, Serialize)]
pub struct CrossCheckOutcome {
    pub cross_check: CrossCheck,
    pub task: Option<TaskDetail>,
}

/// An addressed provider and its answer.
#[derive(Clone, Debug, Serialize)]
pub struct ProviderView {
    pub org_id: i64,
    /// The provider's resource the task concerns.
    pub resource: ResourceRef,
    /// `a` or `b`: the side of the cross-check (`a` for a task opened by hand).
    pub side: String,
    pub answer: Option<AnswerKind>,
    /// `corrected`: the batch carrying the correction.
    pub batch_id: Option<i64>,
    pub explanation: Option<String>,
    pub answered_by: Option<String>,
    pub answered_at: Option<String>,
    /// Whether the answer came by the due date; `None` until answered.
    pub on_time: Option<bool>,
}

/// Everything a task's page shows.
#[derive(Clone, Debug, Serialize)]
pub struct TaskDetail {
    pub id: i64,
    pub origin: TaskOrigin,
    pub title: String,
    pub description: String,
    pub state: TaskState,
    pub working_days: i64,
    pub opened_by: String,
    pub opened_at: String,
    /// The day the count starts from (district time).
    pub opened_on: String,
    /// The last working day on which the providers are on time.
    pub due_on: String,
    pub overdue: bool,
    pub providers: Vec<ProviderView>,
    /// The run that opened the task, for a cross-check.
    pub cross_check: Option<CrossCheck>,
    /// The conflicting entries kept (at most 1,000); `cross_check.conflicts` counts them all.
    pub conflicts: Vec<Conflict>,
    pub close_comment: Option<String>,
    pub closed_by: Option<String>,
    pub closed_at: Option<String>,
    pub updated_at: String,
    /// What the caller may do now.
    pub actions: Vec<TaskAction>,
}

/// A task as the lists show it.
#[derive(Clone, Debug, Serialize)]
pub struct TaskSummary {
    pub id: i64,
    pub origin: TaskOrigin,
    pub title: String,
    pub state: TaskState,
    pub provider_org_ids: Vec<i64>,
    /// Providers that have answered.
    pub answered: usize,
    pub opened_at: String,
    pub due_on: String,
    pub overdue: bool,
}

/// Which tasks a list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskList {
    /// Addressed to the caller's agency (待本单位校核).
    Mine,
    /// Every task: the authority and supervisors.
    All,
}

impl TaskList {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskList::Mine => "mine",
            TaskList::All => "all",
        }
    }

    pub fn parse(s: &str) -> Option<TaskList> {
        [TaskList::Mine, TaskList::All].into_iter().find(|v| v.as_str() == s.trim())
    }
}

/// Narrows a list.
#[derive(Clone, Copy, Debug, Default)]
pub struct TaskFilter {
    pub state: Option<TaskState>,
    /// Only open tasks past their due date.
    pub overdue_only: bool,
}

/// A published resource with delivered rows, as the cross-check form offers it.
#[derive(Clone, Debug, Serialize)]
pub struct Candidate {
    pub id: i64,
    pub name: String,
    pub provider_org_id: i64,
    /// Its delivered items: code, name, and the identifier held (`id_card`, `credit_code`, …).
    pub items: Vec<CandidateItem>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CandidateItem {
    pub code: String,
    pub name: String,
    pub identifier: Option<&'static str>,
}

#[derive(sqlx::FromRow)]
struct TaskRow {
    id: i64,
    origin: String,
    cross_check_id: Option<i64>,
    title: String,
    description: String,
    state: String,
    working_days: i64,
    opened_by: String,
    opened_at: String,
    close_comment: Option<String>,
    closed_by: Option<String>,
    closed_at: Option<String>,
    updated_at: String,
}

macro_rules! task_columns {
    () => {
        "id, origin, cross_check_id, title, description, state, working_days, opened_by, opened_at, close_comment, \
         closed_by, closed_at, updated_at"
    };
}

#[derive(sqlx::FromRow)]
struct ProviderRow {
    task_id: i64,
    provider_org_id: i64,
    resource_id: i64,
    resource_name: Option<String>,
    side: String,
    answer: Option<String>,
    answer_batch_id: Option<i64>,
    explanation: Option<String>,
    answered_by: Option<String>,
    answered_at: Option<String>,
}

macro_rules! provider_select {
    () => {
        "SELECT p.task_id, p.provider_org_id, p.resource_id, r.name AS resource_name, p.side, p.answer, \
         p.answer_batch_id, p.explanation, p.answered_by, p.answered_at \
         FROM verification_task_providers p LEFT JOIN catalog_resources r ON r.id = p.resource_id"
    };
}

fn stored(what: &str, value: &str) -> Error {
    Error::Database(sqlx::Error::Decode(format!("stored verification {what} {value:?} is not valid").into()))
}

fn district_day(instant: &str) -> Result<Date> {
    Ok(timefmt::district_date(timefmt::parse_instant(instant)?))
}

impl TaskRow {
    fn state(&self) -> Result<TaskState> {
        TaskState::parse(&self.state).ok_or_else(|| stored("state", &self.state))
    }

    fn origin(&self) -> Result<TaskOrigin> {
        TaskOrigin::parse(&self.origin).ok_or_else(|| stored("origin", &self.origin))
    }

    fn facts(&self, providers: &[ProviderRow]) -> Result<TaskFacts> {
        Ok(TaskFacts {
            state: self.state()?,
            providers: providers.iter().map(|p| (OrgId(p.provider_org_id), p.answer.is_some())).collect(),
        })
    }

    /// The due date and whether the task is overdue `today`.
    fn due(&self, cal: &WorkCalendar, today: Date) -> Result<(Date, bool)> {
        let due = verification::due_on(district_day(&self.opened_at)?, self.working_days, cal);
        Ok((due, verification::is_overdue(self.state()?, due, today)))
    }
}

impl ProviderRow {
    fn view(self, due: Date) -> Result<ProviderView> {
        let answer =
            self.answer.as_deref().map(|a| AnswerKind::parse(a).ok_or_else(|| stored("answer", a))).transpose()?;
        let on_time = self.answered_at.as_deref().map(district_day).transpose()?.map(|d| d <= due);
        Ok(ProviderView {
            org_id: self.provider_org_id,
            resource: ResourceRef {
                id: self.resource_id,
                name: self.resource_name.unwrap_or_else(|| format!("#{}", self.resource_id)),
            },
            side: self.side,
            answer,
            batch_id: self.answer_batch_id,
            explanation: self.explanation,
            answered_by: self.answered_by,
            answered_at: self.answered_at,
            on_time,
        })
    }
}

fn refuse(problems: Vec<Problem>) -> Result<()> {
    if problems.is_empty() { Ok(()) } else { Err(pubdata_domain::Error::Problems(problems).into()) }
}

async fn fetch(conn: &mut AnyConnection, id: i64) -> Result<TaskRow> {
    let row: Option<TaskRow> =
        sqlx::query_as(concat!("SELECT ", task_columns!(), " FROM verification_tasks WHERE id = $1"))
            .bind(id)
            .fetch_optional(conn)
            .await?;
    row.ok_or_else(|| Error::not_found("verification", id))
}

/// Locks the task for the rest of the transaction on PostgreSQL (SQLite has one writer).
async fn fetch_for_update(tx: &mut WriteTx, id: i64) -> Result<TaskRow> {
    let sql = match tx.backend() {
        crate::Backend::Sqlite => concat!("SELECT ", task_columns!(), " FROM verification_tasks WHERE id = $1"),
        crate::Backend::Postgres => {
            concat!("SELECT ", task_columns!(), " FROM verification_tasks WHERE id = $1 FOR UPDATE")
        }
    };
    let row: Option<TaskRow> = sqlx::query_as(sql).bind(id).fetch_optional(tx.conn()).await?;
    row.ok_or_else(|| Error::not_found("verification", id))
}

async fn providers_of(conn: &mut AnyConnection, task_id: i64) -> Result<Vec<ProviderRow>> {
    Ok(sqlx::query_as(concat!(provider_select!(), " WHERE p.task_id = $1 ORDER BY p.side, p.provider_org_id"))
        .bind(task_id)
        .fetch_all(conn)
        .await?)
}

// ---------------------------------------------------------------------------------------------
// Resources to compare

/// A published resource's side of a comparison.
struct Side {
    id: i64,
    name: String,
    provider: i64,
    layout: Layout,
    /// Its catalogued items that have a column in its data table.
    items: Vec<DataItem>,
}

/// Loads resource `id` for comparing, or a problem naming `field`: it must be published and
/// have delivered rows.
async fn side(conn: &mut AnyConnection, field: &str, id: i64) -> Result<Side> {
    let row: Option<(String, i64, Option<String>)> =
        sqlx::query_as("SELECT name, provider_org_id, published FROM catalog_resources WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    let Some((name, provider, Some(published))) = row else {
        return Err(pubdata_domain::Error::invalid(
            field,
            format!("资源 {id} 不存在或尚未发布：只能比对全区目录中已发布的资源"),
            format!("resource {id} does not exist or is not published: only published resources are compared"),
        )
        .into());
    };
    let Some(layout) = table::layout(conn, id).await? else {
        return Err(pubdata_domain::Error::invalid(
            field,
            format!("资源「{name}」尚未归集数据，无从比对"),
            format!("resource {name:?} has no delivered data to compare"),
        )
        .into());
    };
    let doc = crate::catalog::index::parse_document(&published)?;
    let items = doc.items.into_iter().filter(|i| layout.columns.iter().any(|c| c.code == i.code)).collect();
    Ok(Side { id, name, provider, layout, items })
}

/// The published resources with delivered rows, with their items, for the cross-check form.
pub async fn candidates(store: &Store, caller: &Caller) -> Result<Vec<Candidate>> {
    caller.principal.require(Permission::VerificationManage)?;
    let ids: Vec<(i64,)> = sqlx::query_as(
        "SELECT r.id FROM catalog_resources r JOIN resource_data_tables d ON d.resource_id = r.id \
         WHERE r.published IS NOT NULL ORDER BY r.id",
    )
    .fetch_all(store.reader())
    .await?;
    let mut conn = store.reader().acquire().await?;
    let mut out = Vec::with_capacity(ids.len());
    for (id,) in ids {
        let s = side(&mut conn, "resource_id", id).await?;
        let items = s
            .items
            .iter()
            .map(|i| CandidateItem {
                code: i.code.clone(),
                name: i.name.clone(),
                identifier: pubdata_domain::aggregation::IdentifierKind::of(i).map(identifier_code),
            })
            .collect();
        out.push(Candidate { id, name: s.name, provider_org_id: s.provider, items });
    }
    Ok(out)
}

fn identifier_code(kind: pubdata_domain::aggregation::IdentifierKind) -> &'static str {
    use pubdata_domain::aggregation::IdentifierKind as K;
    match kind {
        K::IdCard => "id_card",
        K::CreditCode => "credit_code",
        K::Mobile => "mobile",
    }
}

// ---------------------------------------------------------------------------------------------
// Cross-checks

/// Compares the current rows of both resources joined on the key: one statement, so both sides
/// are read at one moment; rows stream through [`ConflictFinder`] in key order.
async fn compare(store: &Store, a: &Side, b: &Side, c: &Comparison) -> Result<CrossCheckFindings> {
    let column_type =
        |s: &Side, code: &str| s.layout.columns.iter().find(|col| col.code == code).map(|col| col.column_type);
    let (ka, kb) = (table::quote(&c.key_a.code), table::quote(&c.key_b.code));
    // Keys are normalised on delivery (trimmed, identifiers upper-cased), so equal keys are equal
    // values; a plain join lets the key index serve it. Keys of different column types meet as text.
    let join = if column_type(a, &c.key_a.code) == column_type(b, &c.key_b.code) {
        format!("a.{ka} = b.{kb}")
    } else {
        format!("CAST(a.{ka} AS TEXT) = CAST(b.{kb} AS TEXT)")
    };
    // Table names come from resource ids and item codes are checked by the catalog: no user
    // text reaches this statement.
    let sql = format!(
        "SELECT CAST(a.{ka} AS TEXT), CAST(a.{ia} AS TEXT), CAST(b.{ib} AS TEXT) FROM {ta} a JOIN {tb} b ON {join} \
         WHERE a.{ka} IS NOT NULL AND {va} AND {vb} ORDER BY 1",
        ia = table::quote(&c.item_a.code),
        ib = table::quote(&c.item_b.code),
        ta = a.layout.quoted(),
        tb = b.layout.quoted(),
        va = a.layout.visible("a"),
        vb = b.layout.visible("b"),
    );
    let mut conn = store.reader().acquire().await?;
    let mut rows = sqlx::query(AssertSqlSafe(sql)).fetch(&mut *conn);
    let mut finder = ConflictFinder::new();
    while let Some(row) = rows.try_next().await? {
        let key: Option<String> = row.try_get(0)?;
        let va: Option<String> = row.try_get(1)?;
        let vb: Option<String> = row.try_get(2)?;
        finder.push(key.as_deref().unwrap_or(""), va.as_deref(), vb.as_deref());
    }
    Ok(finder.finish())
}

/// Whom a run, or the task it opens, is recorded as made by: the caller, or for a scheduled run
/// the authority's user who made the schedule (the system runs it on their behalf).
#[derive(Clone, Debug)]
struct Author {
    name: String,
    user_id: Option<i64>,
}

impl Author {
    fn of(caller: &Caller) -> Author {
        Author { name: caller.principal.username.clone(), user_id: caller.principal.user_id.map(|u| u.0) }
    }
}

/// A cross-check that can run: both resources loaded and the items resolved.
struct Prepared {
    a: Side,
    b: Side,
    comparison: Comparison,
    working_days: Option<i64>,
}

/// Checks a spec as every run does: the rules that need no database, both resources published
/// with delivered rows and of different providers (Art.11), and the key and compared items
/// found among each one's delivered items. Each refusal names its field.
async fn prepare(store: &Store, spec: CrossCheckSpec) -> Result<Prepared> {
    let spec = spec.normalized();
    refuse(spec.problems())?;
    let (a, b) = {
        let mut conn = store.reader().acquire().await?;
        (side(&mut conn, "resource_a", spec.resource_a).await?, side(&mut conn, "resource_b", spec.resource_b).await?)
    };
    if a.provider == b.provider {
        return Err(pubdata_domain::Error::invalid(
            "resource_b",
            "比对的两个资源须由不同的单位提供（第十一条：不同单位提供的数据不一致）",
            "the two resources must come from different providers (Art.11: data of different agencies disagree)",
        )
        .into());
    }
    let comparison = verification::comparison(&spec, &a.items, &b.items).map_err(pubdata_domain::Error::Problems)?;
    Ok(Prepared { a, b, comparison, working_days: spec.working_days })
}

/// The schedule a run belongs to, and whom it runs for.
struct Scheduled {
    id: i64,
    author: Author,
}

/// What a run left: the run, the task it opened, or the schedule's earlier task that is still
/// not closed (then no second task was opened).
struct Ran {
    run_id: i64,
    task_id: Option<i64>,
    pending_task_id: Option<i64>,
}

/// Runs a cross-check (`verification.manage`, Art.11, 23): compares one item of two providers'
/// published resources for the same entities and, when values differ, opens one task addressed
/// to both providers. Every run is kept; its one audit entry (the task's opening, or the run's
/// own when nothing differed) also records the data it read.
pub async fn run_cross_check(store: &Store, caller: &Caller, spec: CrossCheckSpec) -> Result<CrossCheckOutcome> {
    caller.principal.require(Permission::VerificationManage)?;
    let prepared = prepare(store, spec).await?;
    let ran = execute(store, caller, &prepared, None).await?;
    let cross_check = cross_check_by_id(store, ran.run_id).await?;
    let task = match ran.task_id {
        Some(id) => Some(get(store, caller, id).await?),
        None => None,
    };
    Ok(CrossCheckOutcome { cross_check, task })
}

/// Compares, then keeps the run and opens its task in one transaction with its audit entry. A
/// scheduled run opens no task while the one its schedule opened earlier is not closed, and
/// records itself as the schedule's last run.
async fn execute(store: &Store, caller: &Caller, p: &Prepared, scheduled: Option<&Scheduled>) -> Result<Ran> {
    let (a, b, c) = (&p.a, &p.b, &p.comparison);
    let found = compare(store, a, b, c).await?;
    let comparison = comparison_summary(p, &found, scheduled);
    let data_access = json!({ "resource_ids": [a.id, b.id], "rows": found.rows_read });

    let mut tx = store.begin().await?;
    let previous = match scheduled {
        Some(s) => schedules::newest_task(tx.conn(), s.id).await?,
        None => None,
    };
    let author = scheduled.map_or_else(|| Author::of(caller), |s| s.author.clone());
    let run_id = insert_run(&mut tx, &author, scheduled.map(|s| s.id), (a, b), c, &found).await?;
    let mut ran = Ran { run_id, task_id: None, pending_task_id: None };
    // A scheduled run whose schedule's earlier task is still being verified opens no other.
    let pending = previous.filter(|(_, state)| !schedule::opens_task(found.conflicts, Some(*state))).map(|(id, _)| id);
    if found.conflicts == 0 {
        tx.record(caller.actor(), events::cross_check_run(run_id, comparison, data_access));
    } else if let Some(pending) = pending {
        insert_conflicts(&mut tx, run_id, &found.kept).await?;
        tx.record(caller.actor(), events::cross_check_run_task_pending(run_id, pending, comparison, data_access));
        ran.pending_task_id = Some(pending);
    } else {
        insert_conflicts(&mut tx, run_id, &found.kept).await?;
        let opening = cross_check_opening((a, b), c, &found, run_id, p.working_days);
        let detail = json!({ "cross_check_id": run_id, "comparison": comparison, "data_access": data_access });
        ran.task_id = Some(open_task(&mut tx, caller, &author, &opening, detail).await?);
    }
    if let Some(s) = scheduled {
        schedules::record_run(&mut tx, s.id, run_id).await?;
    }
    tx.commit().await?;
    Ok(ran)
}

/// What a run's audit entry says it compared and found (and, for a scheduled run, for whom).
fn comparison_summary(p: &Prepared, found: &CrossCheckFindings, scheduled: Option<&Scheduled>) -> serde_json::Value {
    let c = &p.comparison;
    let mut summary = json!({
        "resource_a": p.a.id, "key_item_a": c.key_a.code, "item_a": c.item_a.code,
        "resource_b": p.b.id, "key_item_b": c.key_b.code, "item_b": c.item_b.code,
        "key_kind": c.key_kind.map(identifier_code),
        "keys_compared": found.keys_compared, "conflicts": found.conflicts,
    });
    if let Some(s) = scheduled {
        summary["schedule_id"] = json!(s.id);
        summary["scheduled_by"] = json!(s.author.name);
    }
    summary
}

/// Keeps the run, with what it compared and found.
async fn insert_run(
    tx: &mut WriteTx,
    author: &Author,
    schedule_id: Option<i64>,
    (a, b): (&Side, &Side),
    c: &Comparison,
    found: &CrossCheckFindings,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO verification_cross_checks (resource_a, key_item_a, item_a, resource_b, key_item_b, item_b, key_kind, \
         keys_compared, conflicts, rows_read, run_by, run_by_user, run_at, schedule_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
    )
    .bind(a.id)
    .bind(&c.key_a.code)
    .bind(&c.item_a.code)
    .bind(b.id)
    .bind(&c.key_b.code)
    .bind(&c.item_b.code)
    .bind(c.key_kind.map(identifier_code))
    .bind(found.keys_compared as i64)
    .bind(found.conflicts as i64)
    .bind(found.rows_read as i64)
    .bind(&author.name)
    .bind(author.user_id)
    .bind(timefmt::format_instant(timefmt::now()))
    .bind(schedule_id)
    .fetch_one(tx.conn())
    .await?;
    Ok(id)
}

/// The task a run with conflicts opens, addressed to both providers.
fn cross_check_opening(
    (a, b): (&Side, &Side),
    c: &Comparison,
    found: &CrossCheckFindings,
    run_id: i64,
    working_days: Option<i64>,
) -> Opening {
    let key_label = c.key_kind.map_or("主键", |k| k.label_zh());
    Opening {
        origin: TaskOrigin::CrossCheck,
        cross_check_id: Some(run_id),
        title: format!("「{}」与「{}」的「{}」不一致", a.name, b.name, c.item_a.name),
        description: format!(
            "以{key_label}比对，双方共有 {} 个主体，其中 {} 条记录的「{}」取值不一致。请核实：数据有误的，更正后重新归集；数据无误的，说明依据。",
            found.keys_compared, found.conflicts, c.item_a.name
        ),
        working_days: working_days.unwrap_or(DEFAULT_WORKING_DAYS),
        providers: vec![(a.provider, a.id, "a"), (b.provider, b.id, "b")],
    }
}

async fn insert_conflicts(tx: &mut WriteTx, run_id: i64, kept: &[Conflict]) -> Result<()> {
    for (chunk_no, chunk) in kept.chunks(CONFLICTS_PER_INSERT).enumerate() {
        let mut q =
            Sql::new("INSERT INTO verification_conflicts (cross_check_id, seq, key_value, value_a, value_b) VALUES ");
        for (n, conflict) in chunk.iter().enumerate() {
            if n > 0 {
                q.push(", ");
            }
            let seq = (chunk_no * CONFLICTS_PER_INSERT + n) as i64;
            q.push("(")
                .bind(run_id)
                .push(", ")
                .bind(seq)
                .push(", ")
                .bind(conflict.key.clone())
                .push(", ")
                .bind(conflict.value_a.clone())
                .push(", ")
                .bind(conflict.value_b.clone())
                .push(")");
        }
        q.query().execute(tx.conn()).await?;
    }
    Ok(())
}

async fn cross_check_by_id(store: &Store, id: i64) -> Result<CrossCheck> {
    sqlx::query_as(concat!(cross_check_select!(), " WHERE c.id = $1"))
        .bind(id)
        .fetch_optional(store.reader())
        .await?
        .ok_or_else(|| Error::not_found("cross_check", id))
}

/// The cross-check runs, newest first (at most 500): every run for the roles that see all
/// organisations; for an agency, the runs that compared one of its resources.
pub async fn cross_checks(store: &Store, caller: &Caller) -> Result<Vec<CrossCheck>> {
    verification::require_read(&caller.principal)?;
    let mut q = Sql::new(concat!(cross_check_select!(), " WHERE "));
    match (caller.principal.scope(), caller.principal.org_id) {
        (Scope::All, _) => {
            q.push("1 = 1");
        }
        (_, Some(org)) => {
            q.push("(ra.provider_org_id = ").bind(org.0).push(" OR rb.provider_org_id = ").bind(org.0).push(")");
        }
        (_, None) => return Ok(Vec::new()),
    }
    q.push(" ORDER BY c.id DESC LIMIT ").bind(MAX_LISTED_RUNS);
    Ok(q.query_as().fetch_all(store.reader()).await?)
}

// ---------------------------------------------------------------------------------------------
// Opening, answering, closing

/// What a new task is made of.
struct Opening {
    origin: TaskOrigin,
    cross_check_id: Option<i64>,
    title: String,
    description: String,
    working_days: i64,
    /// (provider, its resource, side)
    providers: Vec<(i64, i64, &'static str)>,
}

/// Inserts a task with its providers and records its opening (by `caller`, as made by `author`).
async fn open_task(
    tx: &mut WriteTx,
    caller: &Caller,
    author: &Author,
    o: &Opening,
    detail: serde_json::Value,
) -> Result<i64> {
    let now = timefmt::format_instant(timefmt::now());
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO verification_tasks (origin, cross_check_id, title, description, state, working_days, opened_by, \
         opened_by_user, opened_at, updated_at) VALUES ($1, $2, $3, $4, 'open', $5, $6, $7, $8, $8) RETURNING id",
    )
    .bind(o.origin.as_str())
    .bind(o.cross_check_id)
    .bind(&o.title)
    .bind(&o.description)
    .bind(o.working_days)
    .bind(&author.name)
    .bind(author.user_id)
    .bind(&now)
    .fetch_one(tx.conn())
    .await?;
    for (provider, resource, side) in &o.providers {
        sqlx::query(
            "INSERT INTO verification_task_providers (task_id, provider_org_id, resource_id, side) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(*provider)
        .bind(*resource)
        .bind(*side)
        .execute(tx.conn())
        .await?;
    }
    let provider_ids: Vec<i64> = o.providers.iter().map(|p| p.0).collect();
    tx.record(
        caller.actor(),
        events::verification_opened(id, o.origin.as_str(), &provider_ids, o.working_days, detail),
    );
    Ok(id)
}

/// Opens a task by hand for one published resource (`verification.manage`), addressed to its
/// provider: e.g. a complaint that an address is wrong.
pub async fn open(store: &Store, caller: &Caller, task: ManualTask) -> Result<TaskDetail> {
    caller.principal.require(Permission::VerificationManage)?;
    let task = task.normalized();
    refuse(task.problems())?;
    let mut tx = store.begin().await?;
    let row: Option<(String, i64, i64)> =
        sqlx::query_as("SELECT name, provider_org_id, current_version FROM catalog_resources WHERE id = $1")
            .bind(task.resource_id)
            .fetch_optional(tx.conn())
            .await?;
    let Some((name, provider, version)) = row.filter(|r| r.2 > 0) else {
        return Err(pubdata_domain::Error::invalid(
            "resource_id",
            format!("资源 {} 不存在或尚未发布：校核任务只针对全区目录中已发布的资源", task.resource_id),
            format!(
                "resource {} does not exist or is not published: tasks concern published resources",
                task.resource_id
            ),
        )
        .into());
    };
    let opening = Opening {
        origin: TaskOrigin::Manual,
        cross_check_id: None,
        title: format!("「{name}」数据校核"),
        description: task.description.clone(),
        working_days: task.working_days.unwrap_or(DEFAULT_WORKING_DAYS),
        providers: vec![(provider, task.resource_id, "a")],
    };
    let detail =
        json!({ "resource_id": task.resource_id, "resource_version": version, "description": task.description });
    let id = open_task(&mut tx, caller, &Author::of(caller), &opening, detail).await?;
    tx.commit().await?;
    get(store, caller, id).await
}

/// Refuses a correction's batch unless it exists, was delivered by `provider` for `resource`
/// (its own, as the task names it), is stored, and was delivered after the task opened.
async fn check_correction(
    tx: &mut WriteTx,
    batch_id: i64,
    (provider, resource): (i64, i64),
    opened_at: &str,
) -> Result<()> {
    let row: Option<(i64, i64, String, String)> =
        sqlx::query_as("SELECT provider_org_id, resource_id, state, created_at FROM aggregation_batches WHERE id = $1")
            .bind(batch_id)
            .fetch_optional(tx.conn())
            .await?;
    let invalid = |zh: String, en: String| -> Error { pubdata_domain::Error::invalid("batch_id", zh, en).into() };
    match row {
        Some((p, r, _, _)) if p != provider || r != resource => Err(invalid(
            format!("批次 {batch_id} 不属于本任务所涉及的本单位资源（资源 {resource}）"),
            format!("batch {batch_id} is not of your resource this task concerns (resource {resource})"),
        )),
        Some((_, _, state, _)) if state != "stored" => Err(invalid(
            format!("批次 {batch_id} 未入库（状态：{state}），不能作为更正依据"),
            format!("batch {batch_id} is not stored (state {state}) and cannot carry a correction"),
        )),
        Some((_, _, _, created_at)) if created_at.as_str() <= opened_at => Err(invalid(
            format!("批次 {batch_id} 早于校核任务的开始时间，请在开始校核后重新归集更正后的数据"),
            format!("batch {batch_id} was delivered before the task opened; deliver the corrected data since"),
        )),
        Some(_) => Ok(()),
        // Another agency's batch and no batch at all get the same answer.
        None => Err(invalid(format!("批次 {batch_id} 不存在"), format!("batch {batch_id} does not exist"))),
    }
}

/// An addressed provider answers for its data (`verification.answer`): `corrected`, naming a
/// stored batch of its resource delivered since the opening, or `confirmed`, with the
/// explanation. The task is answered once every provider has.
pub async fn answer(store: &Store, caller: &Caller, id: i64, input: AnswerInput) -> Result<TaskDetail> {
    verification::require_read(&caller.principal)?;
    let input = input.normalized();
    let mut tx = store.begin().await?;
    let row = fetch_for_update(&mut tx, id).await?;
    let providers = providers_of(tx.conn(), id).await?;
    let facts = row.facts(&providers)?;
    if !facts.visible_to(&caller.principal) {
        return Err(Error::not_found("verification", id));
    }
    let to = transition(&caller.principal, &facts, TaskAction::Answer)?;
    refuse(input.problems())?;
    let org = caller.principal.org_id.map(|o| o.0).unwrap_or_default();
    let Some(own) = providers.iter().find(|p| p.provider_org_id == org) else {
        return Err(Error::not_found("verification", id));
    };
    let kind = input.kind.unwrap_or(AnswerKind::Confirmed);
    let batch_id = if kind == AnswerKind::Corrected { input.batch_id } else { None };
    if let Some(b) = batch_id {
        check_correction(&mut tx, b, (org, own.resource_id), &row.opened_at).await?;
    }
    let now = timefmt::format_instant(timefmt::now());
    sqlx::query(
        "UPDATE verification_task_providers SET answer = $1, answer_batch_id = $2, explanation = $3, answered_by = $4, \
         answered_by_user = $5, answered_at = $6 WHERE task_id = $7 AND provider_org_id = $8",
    )
    .bind(kind.as_str())
    .bind(batch_id)
    .bind(&input.explanation)
    .bind(&caller.principal.display_name)
    .bind(caller.principal.user_id.map(|u| u.0))
    .bind(&now)
    .bind(id)
    .bind(org)
    .execute(tx.conn())
    .await?;
    sqlx::query("UPDATE verification_tasks SET state = $1, updated_at = $2 WHERE id = $3")
        .bind(to.as_str())
        .bind(&now)
        .bind(id)
        .execute(tx.conn())
        .await?;
    tx.record(
        caller.actor(),
        events::verification_answered(id, org, kind.as_str(), batch_id, &input.explanation, to.as_str()),
    );
    tx.commit().await?;
    get(store, caller, id).await
}

/// The authority closes an answered task with its comment (`verification.manage`).
pub async fn close(store: &Store, caller: &Caller, id: i64, comment: &str) -> Result<TaskDetail> {
    verification::require_read(&caller.principal)?;
    let comment = comment.trim();
    let mut tx = store.begin().await?;
    let row = fetch_for_update(&mut tx, id).await?;
    let providers = providers_of(tx.conn(), id).await?;
    let facts = row.facts(&providers)?;
    if !facts.visible_to(&caller.principal) {
        return Err(Error::not_found("verification", id));
    }
    let to = transition(&caller.principal, &facts, TaskAction::Close)?;
    refuse(verification::close_problems(comment))?;
    let now = timefmt::format_instant(timefmt::now());
    sqlx::query(
        "UPDATE verification_tasks SET state = $1, close_comment = $2, closed_by = $3, closed_at = $4, updated_at = $4 \
         WHERE id = $5",
    )
    .bind(to.as_str())
    .bind(comment)
    .bind(&caller.principal.display_name)
    .bind(&now)
    .bind(id)
    .execute(tx.conn())
    .await?;
    tx.record(caller.actor(), events::verification_closed(id, comment));
    tx.commit().await?;
    get(store, caller, id).await
}

// ---------------------------------------------------------------------------------------------
// Reading

/// One task with its providers and answers, the run and conflicting entries that opened it,
/// its deadline and the caller's possible actions. Visible to the addressed providers and the
/// roles that see all organisations.
pub async fn get(store: &Store, caller: &Caller, id: i64) -> Result<TaskDetail> {
    verification::require_read(&caller.principal)?;
    let cal = calendar::load(store).await?;
    let today = timefmt::district_date(timefmt::now());
    let mut conn = store.reader().acquire().await?;
    let row = fetch(&mut conn, id).await?;
    let providers = providers_of(&mut conn, id).await?;
    let facts = row.facts(&providers)?;
    if !facts.visible_to(&caller.principal) {
        return Err(Error::not_found("verification", id));
    }
    let (due, overdue) = row.due(&cal, today)?;
    let (cross_check, conflicts) = match row.cross_check_id {
        Some(run) => {
            let kept: Vec<(String, String, String)> = sqlx::query_as(
                "SELECT key_value, value_a, value_b FROM verification_conflicts WHERE cross_check_id = $1 ORDER BY seq",
            )
            .bind(run)
            .fetch_all(&mut *conn)
            .await?;
            drop(conn);
            let conflicts =
                kept.into_iter().map(|(key, value_a, value_b)| Conflict { key, value_a, value_b }).collect();
            (Some(cross_check_by_id(store, run).await?), conflicts)
        }
        None => (None, Vec::new()),
    };
    let providers = providers.into_iter().map(|p| p.view(due)).collect::<Result<Vec<_>>>()?;
    Ok(TaskDetail {
        id: row.id,
        origin: row.origin()?,
        state: facts.state,
        opened_on: timefmt::format_date(district_day(&row.opened_at)?),
        due_on: timefmt::format_date(due),
        overdue,
        providers,
        cross_check,
        conflicts,
        actions: facts.available(&caller.principal),
        title: row.title,
        description: row.description,
        working_days: row.working_days,
        opened_by: row.opened_by,
        opened_at: row.opened_at,
        close_comment: row.close_comment,
        closed_by: row.closed_by,
        closed_at: row.closed_at,
        updated_at: row.updated_at,
    })
}

/// Appends the condition selecting the tasks of `which` (over `verification_tasks`, unaliased).
fn list_condition(q: &mut Sql, caller: &Caller, which: TaskList, filter: TaskFilter) -> Result<bool> {
    let p = &caller.principal;
    match (which, p.scope()) {
        (TaskList::All, Scope::All) => {
            q.push("1 = 1");
        }
        (TaskList::All, _) => {
            return Err(pubdata_domain::Error::out_of_scope(
                "只有主管部门和监管人员可以查看全部校核任务",
                "only the authority and supervisors can list every verification task",
            )
            .into());
        }
        (TaskList::Mine, _) => {
            let Some(org) = p.org_id else { return Ok(false) };
            q.push("id IN (SELECT task_id FROM verification_task_providers WHERE provider_org_id = ")
                .bind(org.0)
                .push(")");
        }
    }
    if let Some(s) = filter.state {
        q.push(" AND state = ").bind(s.as_str().to_string());
    }
    if filter.overdue_only {
        q.push(" AND state = 'open'");
    }
    Ok(true)
}

/// The tasks of one list, newest first, each with its due date; `overdue_only` keeps the open
/// tasks past it.
pub async fn list(store: &Store, caller: &Caller, which: TaskList, filter: TaskFilter) -> Result<Vec<TaskSummary>> {
    verification::require_read(&caller.principal)?;
    let mut q = Sql::new(concat!("SELECT ", task_columns!(), " FROM verification_tasks WHERE "));
    if !list_condition(&mut q, caller, which, filter)? {
        return Ok(Vec::new());
    }
    q.push(" ORDER BY id DESC");
    let rows: Vec<TaskRow> = q.query_as().fetch_all(store.reader()).await?;
    let mut q = Sql::new(concat!(provider_select!(), " WHERE p.task_id IN (SELECT id FROM verification_tasks WHERE "));
    list_condition(&mut q, caller, which, filter)?;
    q.push(") ORDER BY p.task_id, p.side");
    let providers: Vec<ProviderRow> = q.query_as().fetch_all(store.reader()).await?;
    let cal = calendar::load(store).await?;
    let today = timefmt::district_date(timefmt::now());
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let (due, overdue) = row.due(&cal, today)?;
        if filter.overdue_only && !overdue {
            continue;
        }
        let own: Vec<&ProviderRow> = providers.iter().filter(|p| p.task_id == row.id).collect();
        out.push(TaskSummary {
            id: row.id,
            origin: row.origin()?,
            state: row.state()?,
            provider_org_ids: own.iter().map(|p| p.provider_org_id).collect(),
            answered: own.iter().filter(|p| p.answer.is_some()).count(),
            due_on: timefmt::format_date(due),
            overdue,
            title: row.title,
            opened_at: row.opened_at,
        });
    }
    Ok(out)
}
