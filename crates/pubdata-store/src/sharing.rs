//! Sharing (Ch.4, Art.13-16) over storage: share requests routed at once by the resource's
//! share attribute, the provider's review and the authority's arbitration, the grants they
//! produce (suspended, resumed, revoked; expired by their end date when read), the lookup the
//! sharing channel will make (`active_grant_for`), Art.7's flag on resources registered from
//! data received through a grant, and Art.14's periodic re-evaluation of share attributes
//! ([`reevaluation`]).
//!
//! Agencies see the requests and grants they are consumer or provider of; the roles that see
//! all organisations (the authority, supervisors) see all. Review deadlines are computed when
//! read, from the calendar as it stands.

mod received;
pub mod reevaluation;

pub use received::{ReceivedFlag, ReceivedFlagView, confirm_received, list_received, received_flag};
pub(crate) use received::{check_publishable, flag_if_received};

use crate::calendar;
use crate::catalog::index::parse_document;
use crate::db::{Store, WriteTx};
use crate::error::{Error, Result};
use pubdata_domain::audit::events;
use pubdata_domain::calendar::WorkCalendar;
use pubdata_domain::catalog::{Delivery, Problem, ResourceDocument};
use pubdata_domain::identity::{Caller, Permission, Scope};
use pubdata_domain::ids::OrgId;
use pubdata_domain::sharing::{
    self, ApprovedTerms, Decision, DecisionInput, GrantAction, GrantFacts, GrantState, RefusedBy, RequestFacts,
    RequestState, RequestStep, RequestedTerms, Routing, RowFilter, RowScope, ShareRequestInput,
};
use pubdata_domain::{Text, timefmt};
use serde::Serialize;
use serde_json::json;
use sqlx::AnyConnection;
use time::Date;

/// Settings of the sharing workflow.
#[derive(Clone, Copy, Debug)]
pub struct SharingSettings {
    /// Working days a provider has to review a request for restricted data (Art.14).
    pub review_working_days: i64,
    /// Months between re-evaluations of a published resource's share attribute (Art.14).
    pub share_review_months: u32,
}

impl Default for SharingSettings {
    fn default() -> SharingSettings {
        SharingSettings {
            review_working_days: sharing::DEFAULT_REVIEW_WORKING_DAYS,
            share_review_months: sharing::DEFAULT_SHARE_REVIEW_MONTHS,
        }
    }
}

/// Where a refused consumer goes next: the demand list (Art.9, 15).
#[derive(Clone, Debug, Serialize)]
pub struct DemandRoute {
    /// The API path to file a demand at, with `related_resource_id` set to this resource.
    pub path: &'static str,
    pub related_resource_id: i64,
    pub message: Text,
}

/// A provider's review or the authority's arbitration.
#[derive(Clone, Debug, Serialize)]
pub struct DecisionView {
    pub decision: String,
    pub reason: String,
    pub by: String,
    pub at: String,
}

/// The provider's review deadline, while it is pending.
#[derive(Clone, Debug, Serialize)]
pub struct ReviewDue {
    pub due_on: String,
    pub overdue: bool,
}

/// A share request as the lists and its page show it.
#[derive(Clone, Debug, Serialize)]
pub struct ShareRequestView {
    pub id: i64,
    pub consumer_org_id: i64,
    pub provider_org_id: i64,
    pub resource_id: i64,
    pub resource_name: String,
    pub resource_version: i64,
    pub items: Vec<String>,
    pub scenario: String,
    pub scenario_category: String,
    pub legal_duty: String,
    pub delivery: String,
    pub end_date: String,
    pub row_scope: RowScope,
    pub raw_items: Vec<String>,
    pub raw_justification: String,
    /// The share attribute the request was routed by, and a restricted resource's conditions.
    pub share_attribute: String,
    pub conditions: Option<String>,
    pub state: RequestState,
    pub refused_by: Option<RefusedBy>,
    /// The refusal's reason; for data that is not shared, its legal basis.
    pub refusal_reason: Option<String>,
    /// For data that is not shared: the demand list is the route (Art.9, 15).
    pub demand_route: Option<DemandRoute>,
    pub review_due: Option<ReviewDue>,
    pub review: Option<DecisionView>,
    pub arbitration: Option<DecisionView>,
    pub grant_id: Option<i64>,
    /// The steps the caller may take now.
    pub actions: Vec<RequestStep>,
    pub created_by: String,
    pub requested_at: String,
    pub updated_at: String,
}

/// One change to a grant.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct GrantEvent {
    pub at: String,
    pub actor_name: String,
    pub actor_org_id: Option<i64>,
    pub action: String,
    pub from_state: String,
    pub to_state: String,
    pub reason: String,
}

/// A grant (Art.16): who may read which items of which resource, for what, how, until when.
#[derive(Clone, Debug, Serialize)]
pub struct GrantView {
    pub id: i64,
    pub request_id: i64,
    pub consumer_org_id: i64,
    pub provider_org_id: i64,
    pub resource_id: i64,
    pub resource_name: String,
    pub items: Vec<String>,
    pub scenario: String,
    pub scenario_category: String,
    pub delivery: Delivery,
    pub row_scope: RowScope,
    /// Items whose values are delivered unmasked; all other L3/L4 items are masked.
    pub raw_items: Vec<String>,
    pub start_date: String,
    pub end_date: String,
    /// The effective state: `expired` once the end date has passed.
    pub state: GrantState,
    pub state_reason: Option<String>,
    /// Suspensions, resumptions and revocation (only on the grant's own page).
    pub history: Vec<GrantEvent>,
    pub actions: Vec<GrantAction>,
    pub created_at: String,
    pub updated_at: String,
}

/// Which requests a list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestList {
    /// Made by the caller's agency (我申请的).
    Mine,
    /// For the caller's agency's resources (我提供的).
    Incoming,
    /// Every request: the authority and supervisors.
    All,
}

impl RequestList {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestList::Mine => "mine",
            RequestList::Incoming => "incoming",
            RequestList::All => "all",
        }
    }

    pub fn parse(s: &str) -> Option<RequestList> {
        [RequestList::Mine, RequestList::Incoming, RequestList::All].into_iter().find(|v| v.as_str() == s.trim())
    }
}

/// Narrows a request list.
#[derive(Clone, Copy, Debug, Default)]
pub struct RequestFilter {
    pub state: Option<RequestState>,
    /// Only pending requests past their review deadline.
    pub overdue_only: bool,
}

/// Which grants a list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrantList {
    /// Held by the caller's agency as consumer.
    Held,
    /// On the caller's agency's resources.
    Given,
    All,
}

impl GrantList {
    pub fn as_str(self) -> &'static str {
        match self {
            GrantList::Held => "held",
            GrantList::Given => "given",
            GrantList::All => "all",
        }
    }

    pub fn parse(s: &str) -> Option<GrantList> {
        [GrantList::Held, GrantList::Given, GrantList::All].into_iter().find(|v| v.as_str() == s.trim())
    }
}

fn stored(what: &str, value: &str) -> Error {
    Error::Database(sqlx::Error::Decode(format!("stored sharing {what} {value:?} is not valid").into()))
}

fn json_codes(s: &str) -> Result<Vec<String>> {
    serde_json::from_str(s).map_err(|_| stored("item list", s))
}

fn to_json(v: &[String]) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::Database(sqlx::Error::Encode(Box::new(e))))
}

fn refuse(problems: Vec<Problem>) -> Result<()> {
    if problems.is_empty() { Ok(()) } else { Err(pubdata_domain::Error::Problems(problems).into()) }
}

fn row_scope(keyed_only: i64, item: Option<String>, value: Option<String>) -> RowScope {
    let filter = item.zip(value).map(|(item, value)| RowFilter { item, value });
    RowScope { keyed_only: keyed_only != 0, filter }
}

fn today() -> Date {
    timefmt::district_date(timefmt::now())
}

#[derive(sqlx::FromRow)]
struct RequestRow {
    id: i64,
    consumer_org_id: i64,
    provider_org_id: i64,
    resource_id: i64,
    resource_name: String,
    resource_version: i64,
    items: String,
    scenario: String,
    scenario_category: String,
    legal_duty: String,
    delivery: String,
    end_date: String,
    keyed_only: i64,
    filter_item: Option<String>,
    filter_value: Option<String>,
    raw_items: String,
    raw_justification: String,
    share_attribute: String,
    conditions: Option<String>,
    state: String,
    refused_by: Option<String>,
    refusal_reason: Option<String>,
    review_working_days: i64,
    reviewed_by: Option<String>,
    reviewed_at: Option<String>,
    review_decision: Option<String>,
    review_reason: Option<String>,
    arbitrated_by: Option<String>,
    arbitrated_at: Option<String>,
    arbitration_decision: Option<String>,
    arbitration_reason: Option<String>,
    grant_id: Option<i64>,
    created_by: String,
    requested_at: String,
    updated_at: String,
}

macro_rules! request_select {
    () => {
        "SELECT r.id, r.consumer_org_id, r.provider_org_id, r.resource_id, c.name AS resource_name, r.resource_version, \
         r.items, r.scenario, r.scenario_category, r.legal_duty, r.delivery, r.end_date, r.keyed_only, r.filter_item, \
         r.filter_value, r.raw_items, r.raw_justification, r.share_attribute, r.conditions, r.state, r.refused_by, \
         r.refusal_reason, r.review_working_days, r.reviewed_by, r.reviewed_at, r.review_decision, r.review_reason, \
         r.arbitrated_by, r.arbitrated_at, r.arbitration_decision, r.arbitration_reason, r.grant_id, r.created_by, \
         r.requested_at, r.updated_at FROM share_requests r JOIN catalog_resources c ON c.id = r.resource_id "
    };
}

impl RequestRow {
    fn state(&self) -> Result<RequestState> {
        RequestState::parse(&self.state).ok_or_else(|| stored("request state", &self.state))
    }

    fn refused_by(&self) -> Result<Option<RefusedBy>> {
        self.refused_by.as_deref().map(|s| RefusedBy::parse(s).ok_or_else(|| stored("refusal", s))).transpose()
    }

    fn review_due_on(&self, cal: &WorkCalendar) -> Result<Date> {
        let day = timefmt::district_date(timefmt::parse_instant(&self.requested_at)?);
        Ok(sharing::review_due_on(day, self.review_working_days, cal))
    }

    fn review_due(&self, cal: &WorkCalendar, today: Date) -> Result<Option<ReviewDue>> {
        if self.state()? != RequestState::PendingReview {
            return Ok(None);
        }
        let due_on = self.review_due_on(cal)?;
        Ok(Some(ReviewDue { due_on: timefmt::format_date(due_on), overdue: today > due_on }))
    }

    fn facts(&self, cal: &WorkCalendar, today: Date) -> Result<RequestFacts> {
        let overdue = self.review_due(cal, today)?.is_some_and(|d| d.overdue);
        Ok(RequestFacts {
            state: self.state()?,
            consumer_org: OrgId(self.consumer_org_id),
            provider_org: OrgId(self.provider_org_id),
            refused_by: self.refused_by()?,
            arbitrated: self.arbitrated_at.is_some(),
            review_overdue: overdue,
        })
    }

    fn requested_terms(&self) -> Result<RequestedTerms> {
        Ok(RequestedTerms {
            items: json_codes(&self.items)?,
            end_date: timefmt::parse_date("end_date", &self.end_date)?,
            raw_items: json_codes(&self.raw_items)?,
            row_filter_item: self.filter_item.clone(),
        })
    }

    fn view(self, caller: &Caller, cal: &WorkCalendar, today: Date) -> Result<ShareRequestView> {
        let facts = self.facts(cal, today)?;
        let decision = |d: &Option<String>, r: &Option<String>, by: &Option<String>, at: &Option<String>| {
            d.clone().map(|decision| DecisionView {
                decision,
                reason: r.clone().unwrap_or_default(),
                by: by.clone().unwrap_or_default(),
                at: at.clone().unwrap_or_default(),
            })
        };
        let review = decision(&self.review_decision, &self.review_reason, &self.reviewed_by, &self.reviewed_at);
        let arbitration =
            decision(&self.arbitration_decision, &self.arbitration_reason, &self.arbitrated_by, &self.arbitrated_at);
        let demand_route = (facts.refused_by == Some(RefusedBy::ShareAttribute)).then(|| DemandRoute {
            path: "/api/v1/demands",
            related_resource_id: self.resource_id,
            message: Text::new(
                "该资源不予共享。如履职确需相关数据，可提交数据需求，由主管部门统筹协调（第九条、第十五条）",
                "This resource is not shared. If your duties need the data, file a data demand for the authority to coordinate (Art.9, 15)",
            ),
        });
        Ok(ShareRequestView {
            review_due: self.review_due(cal, today)?,
            actions: facts.available(&caller.principal),
            state: facts.state,
            refused_by: facts.refused_by,
            items: json_codes(&self.items)?,
            raw_items: json_codes(&self.raw_items)?,
            row_scope: row_scope(self.keyed_only, self.filter_item, self.filter_value),
            demand_route,
            review,
            arbitration,
            id: self.id,
            consumer_org_id: self.consumer_org_id,
            provider_org_id: self.provider_org_id,
            resource_id: self.resource_id,
            resource_name: self.resource_name,
            resource_version: self.resource_version,
            scenario: self.scenario,
            scenario_category: self.scenario_category,
            legal_duty: self.legal_duty,
            delivery: self.delivery,
            end_date: self.end_date,
            raw_justification: self.raw_justification,
            share_attribute: self.share_attribute,
            conditions: self.conditions,
            refusal_reason: self.refusal_reason,
            grant_id: self.grant_id,
            created_by: self.created_by,
            requested_at: self.requested_at,
            updated_at: self.updated_at,
        })
    }
}

async fn fetch_request(conn: &mut AnyConnection, id: i64, lock: bool) -> Result<RequestRow> {
    // PostgreSQL cannot lock the nullable side of a join; the lock is on the request row.
    let sql = if lock {
        concat!(request_select!(), "WHERE r.id = $1 FOR UPDATE OF r")
    } else {
        concat!(request_select!(), "WHERE r.id = $1")
    };
    let row: Option<RequestRow> = sqlx::query_as(sql).bind(id).fetch_optional(conn).await?;
    row.ok_or_else(|| Error::not_found("share request", id))
}

/// The published version of a resource a request may name, with its number and provider.
async fn published(conn: &mut AnyConnection, id: i64) -> Result<(ResourceDocument, i64, i64)> {
    let row: Option<(Option<String>, i64, i64)> =
        sqlx::query_as("SELECT published, current_version, provider_org_id FROM catalog_resources WHERE id = $1")
            .bind(id)
            .fetch_optional(conn)
            .await?;
    match row {
        Some((Some(doc), version, provider)) if version > 0 => Ok((parse_document(&doc)?, version, provider)),
        // Drafts and unknown ids get the same answer: only the district catalog can be requested.
        _ => Err(pubdata_domain::Error::invalid(
            "resource_id",
            format!("资源 {id} 不存在或尚未发布：只能申请全区目录中已发布的资源"),
            format!("resource {id} does not exist or is not published: only published resources can be requested"),
        )
        .into()),
    }
}

/// Makes a share request for the caller's agency (`sharing.request`) and routes it at once by
/// the resource's share attribute (Art.14): a grant, a pending review, or a refusal showing the
/// legal basis.
pub async fn create(
    store: &Store,
    settings: &SharingSettings,
    caller: &Caller,
    input: ShareRequestInput,
) -> Result<ShareRequestView> {
    caller.principal.require(Permission::SharingRequest)?;
    let consumer = caller.principal.org_id.ok_or_else(|| {
        pubdata_domain::Error::out_of_scope(
            "只有公共管理和服务机构可以申请共享",
            "only an agency can request shared data",
        )
    })?;
    let input = input.normalized();
    let today = today();
    let mut tx = store.begin().await?;
    let (doc, version, provider) = published(tx.conn(), input.resource_id).await?;
    if provider == consumer.0 {
        return Err(pubdata_domain::Error::invalid(
            "resource_id",
            "这是本单位提供的资源，无需申请共享",
            "this resource is your own agency's; there is nothing to request",
        )
        .into());
    }
    refuse(input.problems(&doc, today))?;
    let routing = sharing::route(&doc.share);
    let (state, refusal, conditions) = match &routing {
        Routing::Grant => (RequestState::Granted, None, None),
        Routing::Review { conditions } => (RequestState::PendingReview, None, Some(conditions.clone())),
        Routing::Refuse { legal_basis } => (RequestState::Refused, Some(legal_basis.clone()), None),
    };
    let now = timefmt::format_instant(timefmt::now());
    let filter = input.row_scope.filter.clone();
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO share_requests (consumer_org_id, provider_org_id, resource_id, resource_version, items, scenario, \
         scenario_category, legal_duty, delivery, end_date, keyed_only, filter_item, filter_value, raw_items, \
         raw_justification, share_attribute, conditions, state, refused_by, refusal_reason, review_working_days, \
         created_by, requested_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
         $15, $16, $17, $18, $19, $20, $21, $22, $23, $23) RETURNING id",
    )
    .bind(consumer.0)
    .bind(provider)
    .bind(input.resource_id)
    .bind(version)
    .bind(to_json(&input.items)?)
    .bind(&input.scenario)
    .bind(input.scenario_category.as_str())
    .bind(&input.legal_duty)
    .bind(input.delivery.as_str())
    .bind(timefmt::format_date(input.end_date))
    .bind(i64::from(input.row_scope.keyed_only))
    .bind(filter.as_ref().map(|f| f.item.clone()))
    .bind(filter.as_ref().map(|f| f.value.clone()))
    .bind(to_json(&input.raw_items)?)
    .bind(&input.raw_justification)
    .bind(doc.share.code())
    .bind(conditions)
    .bind(state.as_str())
    .bind(refusal.as_ref().map(|_| RefusedBy::ShareAttribute.as_str()))
    .bind(refusal.clone())
    .bind(settings.review_working_days)
    .bind(&caller.principal.username)
    .bind(&now)
    .fetch_one(tx.conn())
    .await?;
    let mut grant_id = None;
    if routing == Routing::Grant {
        // Art.14: granted on request; never with raw values, which need an explicit approval.
        let row = fetch_request(tx.conn(), id, false).await?;
        let terms = ApprovedTerms { items: input.items.clone(), end_date: input.end_date, raw_items: Vec::new() };
        grant_id = Some(insert_grant(&mut tx, &row, &terms, today).await?);
    }
    tx.record(caller.actor(), events::share_requested(id, input.resource_id, consumer.0, state.as_str(), grant_id));
    tx.commit().await?;
    get_request(store, caller, id).await
}

/// Creates the grant an approval produced and links it to its request.
async fn insert_grant(tx: &mut WriteTx, row: &RequestRow, terms: &ApprovedTerms, today: Date) -> Result<i64> {
    let now = timefmt::format_instant(timefmt::now());
    let (grant_id,): (i64,) = sqlx::query_as(
        "INSERT INTO share_grants (request_id, consumer_org_id, provider_org_id, resource_id, items, scenario, \
         scenario_category, delivery, keyed_only, filter_item, filter_value, raw_items, start_date, end_date, state, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'active', $15, $15) \
         RETURNING id",
    )
    .bind(row.id)
    .bind(row.consumer_org_id)
    .bind(row.provider_org_id)
    .bind(row.resource_id)
    .bind(to_json(&terms.items)?)
    .bind(&row.scenario)
    .bind(&row.scenario_category)
    .bind(&row.delivery)
    .bind(row.keyed_only)
    .bind(row.filter_item.clone())
    .bind(row.filter_value.clone())
    .bind(to_json(&terms.raw_items)?)
    .bind(timefmt::format_date(today))
    .bind(timefmt::format_date(terms.end_date))
    .bind(&now)
    .fetch_one(tx.conn())
    .await?;
    sqlx::query("UPDATE share_requests SET grant_id = $1 WHERE id = $2")
        .bind(grant_id)
        .bind(row.id)
        .execute(tx.conn())
        .await?;
    Ok(grant_id)
}

/// The provider reviews a pending request for restricted data (`sharing.review`, Art.14): an
/// approval, possibly narrowed, produces the grant; a refusal needs its reason.
pub async fn review(store: &Store, caller: &Caller, id: i64, input: DecisionInput) -> Result<ShareRequestView> {
    decide(store, caller, id, RequestStep::Review, input).await
}

/// The authority arbitrates a provider's refusal or an overdue review (`sharing.arbitrate`,
/// Art.14): approve (producing the grant) or refuse (upholding a refusal), with a reason.
pub async fn arbitrate(store: &Store, caller: &Caller, id: i64, input: DecisionInput) -> Result<ShareRequestView> {
    decide(store, caller, id, RequestStep::Arbitrate, input).await
}

async fn decide(
    store: &Store,
    caller: &Caller,
    id: i64,
    step: RequestStep,
    input: DecisionInput,
) -> Result<ShareRequestView> {
    sharing::require_read(&caller.principal)?;
    let input = input.normalized();
    let cal = calendar::load(store).await?;
    let today = today();
    let mut tx = store.begin().await?;
    let lock = tx.backend() == crate::Backend::Postgres;
    let row = fetch_request(tx.conn(), id, lock).await?;
    let facts = row.facts(&cal, today)?;
    if !facts.visible_to(&caller.principal) {
        return Err(Error::not_found("share request", id));
    }
    let to = sharing::transition(&caller.principal, &facts, step, input.decision)?;
    let requested = row.requested_terms()?;
    refuse(input.problems(&requested, today))?;
    let mut detail = json!({});
    if input.decision == Decision::Approve {
        let terms = input.approved(&requested);
        let grant_id = insert_grant(&mut tx, &row, &terms, today).await?;
        detail = json!({
            "grant_id": grant_id,
            "items": terms.items,
            "end_date": timefmt::format_date(terms.end_date),
            "raw_items": terms.raw_items,
        });
    }
    let refused_by = match (to, step) {
        (RequestState::Refused, RequestStep::Review) => Some(RefusedBy::Provider.as_str()),
        (RequestState::Refused, RequestStep::Arbitrate) => Some(RefusedBy::Authority.as_str()),
        _ => None,
    };
    let refusal_reason = refused_by.map(|_| input.reason.clone());
    let now = timefmt::format_instant(timefmt::now());
    let sql = match step {
        RequestStep::Review => {
            "UPDATE share_requests SET state = $1, refused_by = $2, refusal_reason = $3, reviewed_by = $4, \
             reviewed_at = $5, review_decision = $6, review_reason = $7, updated_at = $5 WHERE id = $8"
        }
        RequestStep::Arbitrate => {
            "UPDATE share_requests SET state = $1, refused_by = $2, refusal_reason = $3, arbitrated_by = $4, \
             arbitrated_at = $5, arbitration_decision = $6, arbitration_reason = $7, updated_at = $5 WHERE id = $8"
        }
    };
    sqlx::query(sql)
        .bind(to.as_str())
        .bind(refused_by)
        .bind(refusal_reason)
        .bind(&caller.principal.display_name)
        .bind(&now)
        .bind(input.decision.as_str())
        .bind(&input.reason)
        .bind(id)
        .execute(tx.conn())
        .await?;
    tx.record(caller.actor(), events::share_decided(id, step.as_str(), input.decision.as_str(), &input.reason, detail));
    tx.commit().await?;
    get_request(store, caller, id).await
}

/// One request as the caller may see it: the consumer, the provider, and the roles that see all.
pub async fn get_request(store: &Store, caller: &Caller, id: i64) -> Result<ShareRequestView> {
    sharing::require_read(&caller.principal)?;
    let cal = calendar::load(store).await?;
    let row = fetch_request(&mut *store.reader().acquire().await?, id, false).await?;
    let today = today();
    if !row.facts(&cal, today)?.visible_to(&caller.principal) {
        return Err(Error::not_found("share request", id));
    }
    row.view(caller, &cal, today)
}

/// The requests of one list, newest first, pending ones with their review deadline.
pub async fn list_requests(
    store: &Store,
    caller: &Caller,
    which: RequestList,
    filter: RequestFilter,
) -> Result<Vec<ShareRequestView>> {
    sharing::require_read(&caller.principal)?;
    let Some(own) = list_scope(caller, which == RequestList::All)? else { return Ok(Vec::new()) };
    let mut q = crate::sql::Sql::new(concat!(request_select!(), "WHERE "));
    match (which, own) {
        (RequestList::All, _) => {
            q.push("1 = 1");
        }
        (RequestList::Mine, Some(org)) => {
            q.push("r.consumer_org_id = ").bind(org);
        }
        (RequestList::Incoming, Some(org)) => {
            q.push("r.provider_org_id = ").bind(org);
        }
        (_, None) => return Ok(Vec::new()),
    }
    if let Some(s) = filter.state.or(filter.overdue_only.then_some(RequestState::PendingReview)) {
        q.push(" AND r.state = ").bind(s.as_str().to_string());
    }
    q.push(" ORDER BY r.id DESC");
    let rows: Vec<RequestRow> = q.query_as().fetch_all(store.reader()).await?;
    let cal = calendar::load(store).await?;
    let today = today();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let view = row.view(caller, &cal, today)?;
        if !filter.overdue_only || view.review_due.as_ref().is_some_and(|d| d.overdue) {
            out.push(view);
        }
    }
    Ok(out)
}

/// `Some(None)`: every organisation; `Some(Some(org))`: the caller's own; `None`: nothing to
/// list. Listing all is for those who see all organisations.
fn list_scope(caller: &Caller, all: bool) -> Result<Option<Option<i64>>> {
    let p = &caller.principal;
    match (all, p.scope()) {
        (true, Scope::All) => Ok(Some(None)),
        (true, _) => Err(pubdata_domain::Error::out_of_scope(
            "只有主管部门和监管人员可以查看全部共享申请与授权",
            "only the authority and supervisors can list every share request and grant",
        )
        .into()),
        (false, _) => Ok(p.org_id.map(|o| Some(o.0))),
    }
}

#[derive(sqlx::FromRow)]
struct GrantRow {
    id: i64,
    request_id: i64,
    consumer_org_id: i64,
    provider_org_id: i64,
    resource_id: i64,
    resource_name: String,
    items: String,
    scenario: String,
    scenario_category: String,
    delivery: String,
    keyed_only: i64,
    filter_item: Option<String>,
    filter_value: Option<String>,
    raw_items: String,
    start_date: String,
    end_date: String,
    state: String,
    state_reason: Option<String>,
    created_at: String,
    updated_at: String,
}

macro_rules! grant_select {
    () => {
        "SELECT g.id, g.request_id, g.consumer_org_id, g.provider_org_id, g.resource_id, c.name AS resource_name, \
         g.items, g.scenario, g.scenario_category, g.delivery, g.keyed_only, g.filter_item, g.filter_value, g.raw_items, \
         g.start_date, g.end_date, g.state, g.state_reason, g.created_at, g.updated_at \
         FROM share_grants g JOIN catalog_resources c ON c.id = g.resource_id "
    };
}

impl GrantRow {
    fn state(&self, today: Date) -> Result<GrantState> {
        let stored_state = GrantState::parse(&self.state).ok_or_else(|| stored("grant state", &self.state))?;
        let end = timefmt::parse_date("end_date", &self.end_date)?;
        Ok(GrantState::effective(stored_state, end, today))
    }

    fn facts(&self, today: Date) -> Result<GrantFacts> {
        Ok(GrantFacts {
            state: self.state(today)?,
            consumer_org: OrgId(self.consumer_org_id),
            provider_org: OrgId(self.provider_org_id),
        })
    }

    fn view(self, caller: &Caller, today: Date, history: Vec<GrantEvent>) -> Result<GrantView> {
        let facts = self.facts(today)?;
        Ok(GrantView {
            state: facts.state,
            actions: facts.available(&caller.principal),
            items: json_codes(&self.items)?,
            raw_items: json_codes(&self.raw_items)?,
            delivery: Delivery::parse(&self.delivery).ok_or_else(|| stored("delivery", &self.delivery))?,
            row_scope: row_scope(self.keyed_only, self.filter_item, self.filter_value),
            history,
            id: self.id,
            request_id: self.request_id,
            consumer_org_id: self.consumer_org_id,
            provider_org_id: self.provider_org_id,
            resource_id: self.resource_id,
            resource_name: self.resource_name,
            scenario: self.scenario,
            scenario_category: self.scenario_category,
            start_date: self.start_date,
            end_date: self.end_date,
            state_reason: self.state_reason,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

async fn fetch_grant(conn: &mut AnyConnection, id: i64, lock: bool) -> Result<GrantRow> {
    let sql = if lock {
        concat!(grant_select!(), "WHERE g.id = $1 FOR UPDATE OF g")
    } else {
        concat!(grant_select!(), "WHERE g.id = $1")
    };
    let row: Option<GrantRow> = sqlx::query_as(sql).bind(id).fetch_optional(conn).await?;
    row.ok_or_else(|| Error::not_found("grant", id))
}

/// One grant with its history, as the consumer, the provider or the roles that see all see it.
pub async fn get_grant(store: &Store, caller: &Caller, id: i64) -> Result<GrantView> {
    sharing::require_read(&caller.principal)?;
    let mut conn = store.reader().acquire().await?;
    let row = fetch_grant(&mut conn, id, false).await?;
    let today = today();
    if !row.facts(today)?.visible_to(&caller.principal) {
        return Err(Error::not_found("grant", id));
    }
    let history: Vec<GrantEvent> = sqlx::query_as(
        "SELECT at, actor_name, actor_org_id, action, from_state, to_state, reason FROM share_grant_events \
         WHERE grant_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    row.view(caller, today, history)
}

/// The grants of one list, newest first, each in its effective state (`state`: only those).
pub async fn list_grants(
    store: &Store,
    caller: &Caller,
    which: GrantList,
    state: Option<GrantState>,
) -> Result<Vec<GrantView>> {
    sharing::require_read(&caller.principal)?;
    let Some(own) = list_scope(caller, which == GrantList::All)? else { return Ok(Vec::new()) };
    let mut q = crate::sql::Sql::new(concat!(grant_select!(), "WHERE "));
    match (which, own) {
        (GrantList::All, _) => {
            q.push("1 = 1");
        }
        (GrantList::Held, Some(org)) => {
            q.push("g.consumer_org_id = ").bind(org);
        }
        (GrantList::Given, Some(org)) => {
            q.push("g.provider_org_id = ").bind(org);
        }
        (_, None) => return Ok(Vec::new()),
    }
    q.push(" ORDER BY g.id DESC");
    let rows: Vec<GrantRow> = q.query_as().fetch_all(store.reader()).await?;
    let today = today();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let view = row.view(caller, today, Vec::new())?;
        if state.is_none_or(|s| s == view.state) {
            out.push(view);
        }
    }
    Ok(out)
}

/// Suspends, resumes or revokes a grant (Art.16): the provider for its resource's grants, the
/// authority for any; suspending and revoking need a reason.
pub async fn change_grant(
    store: &Store,
    caller: &Caller,
    id: i64,
    action: GrantAction,
    reason: &str,
) -> Result<GrantView> {
    sharing::require_read(&caller.principal)?;
    let reason = reason.trim();
    pubdata_domain::error::check_length("reason", reason, 0, 1000)?;
    let today = today();
    let mut tx = store.begin().await?;
    let lock = tx.backend() == crate::Backend::Postgres;
    let row = fetch_grant(tx.conn(), id, lock).await?;
    let facts = row.facts(today)?;
    if !facts.visible_to(&caller.principal) {
        return Err(Error::not_found("grant", id));
    }
    let to = sharing::grant_transition(&caller.principal, &facts, action)?;
    if action.needs_reason() && reason.is_empty() {
        return Err(pubdata_domain::Error::invalid(
            "reason",
            "暂停或撤销授权须说明理由",
            "suspending or revoking a grant needs its reason",
        )
        .into());
    }
    let now = timefmt::format_instant(timefmt::now());
    sqlx::query("UPDATE share_grants SET state = $1, state_reason = $2, updated_at = $3 WHERE id = $4")
        .bind(to.as_str())
        .bind(reason)
        .bind(&now)
        .bind(id)
        .execute(tx.conn())
        .await?;
    sqlx::query(
        "INSERT INTO share_grant_events (grant_id, at, actor_name, actor_org_id, action, from_state, to_state, reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(&now)
    .bind(&caller.principal.display_name)
    .bind(caller.principal.org_id.map(|o| o.0))
    .bind(action.as_str())
    .bind(facts.state.as_str())
    .bind(to.as_str())
    .bind(reason)
    .execute(tx.conn())
    .await?;
    tx.record(caller.actor(), events::grant_updated(id, action.as_str(), facts.state.as_str(), to.as_str(), reason));
    tx.commit().await?;
    get_grant(store, caller, id).await
}

/// The grant through which `consumer` may read `resource_id` now, if any: active and within its
/// term (the newest, if several). What the sharing channel checks before every call.
pub async fn active_grant_for(store: &Store, consumer: OrgId, resource_id: i64) -> Result<Option<GrantView>> {
    let today = timefmt::format_date(today());
    let row: Option<GrantRow> = sqlx::query_as(concat!(
        grant_select!(),
        "WHERE g.consumer_org_id = $1 AND g.resource_id = $2 AND g.state = 'active' AND g.end_date >= $3 \
         ORDER BY g.id DESC LIMIT 1"
    ))
    .bind(consumer.0)
    .bind(resource_id)
    .bind(today)
    .fetch_optional(store.reader())
    .await?;
    let system = Caller::system("sharing-channel");
    row.map(|r| r.view(&system, self::today(), Vec::new())).transpose()
}

/// One grant by id, whoever holds it, in its effective state: what the sharing channel checks
/// a call's named grant against (the channel refuses other agencies' grants itself).
pub async fn grant_for_channel(store: &Store, id: i64) -> Result<Option<GrantView>> {
    let row: Option<GrantRow> =
        sqlx::query_as(concat!(grant_select!(), "WHERE g.id = $1")).bind(id).fetch_optional(store.reader()).await?;
    let system = Caller::system("sharing-channel");
    row.map(|r| r.view(&system, self::today(), Vec::new())).transpose()
}
