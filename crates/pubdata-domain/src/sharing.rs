//! Sharing (Ch.4, Art.13-16): share requests, their routing by the resource's share attribute,
//! the provider's review and the authority's arbitration, and the grants they produce.
//!
//! A consumer agency asks for some published data items of a resource, for a stated scenario and
//! legal duty, through one delivery, until an end date, optionally narrowed to a row scope
//! ([`ShareRequestInput::problems`]). Routing (Art.14, [`route`]): unconditional data is granted
//! at once; restricted data waits for the provider's review within a number of working days
//! ([`review_due_on`]); data that is not shared is refused at once with its legal basis, and the
//! demand list is the route onwards (Art.9, 15). The authority arbitrates a refusal or an overdue
//! review ([`transition`]). A grant holds exactly what was approved (Art.16); it expires by
//! itself on its end date and can be suspended, resumed or revoked ([`grant_transition`]).
//!
//! Raw (unmasked) values of L3/L4 items are never part of an automatic grant: a request may ask
//! for them with a justification, and only an explicit approval gives them.
//!
//! Art.7: [`received_match`] decides whether a resource an agency registers is data it receives
//! through a grant. Art.14's periodic re-evaluation of share attributes: [`reevaluation`].

use crate::calendar::WorkCalendar;
use crate::catalog::{DataItem, Delivery, Level, Problem, ResourceDocument, ShareAttribute, ShareTerm, code_enum};
use crate::error::{Error, Result, check_length};
use crate::identity::{Permission, Principal, Scope};
use crate::ids::OrgId;
use crate::text::Text;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use time::{Date, Month};

pub mod reevaluation;
pub use reevaluation::DEFAULT_SHARE_REVIEW_MONTHS;

/// Working days a provider has to review a request for restricted data, unless configured
/// otherwise (Art.14).
pub const DEFAULT_REVIEW_WORKING_DAYS: i64 = 5;

/// The longest row-scope filter value, in characters.
pub const MAX_FILTER_VALUE: usize = 200;

code_enum! {
    /// 应用场景类别: the kind of duty the scenario serves.
    ScenarioCategory {
        Administration => "administration", "行政审批", "Administrative licensing";
        Regulation => "regulation", "监管执法", "Regulation and enforcement";
        PublicService => "public_service", "公共服务", "Public service";
        SocialAssistance => "social_assistance", "社会救助", "Social assistance";
        Emergency => "emergency", "应急处置", "Emergency response";
        DecisionSupport => "decision_support", "决策分析", "Decision support";
        Other => "other", "其他", "Other";
    }
}

/// Rows of the resource the grant reaches (Art.16: no more than the scenario needs).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowScope {
    /// Lookups by the resource's key only; no listing.
    #[serde(default)]
    pub keyed_only: bool,
    /// Only rows whose item equals a value (e.g. `district` = 鄞州区).
    #[serde(default)]
    pub filter: Option<RowFilter>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowFilter {
    /// A data item code among the granted items.
    pub item: String,
    pub value: String,
}

/// What a consumer agency asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShareRequestInput {
    pub resource_id: i64,
    /// Data item codes, a non-empty subset of the resource's published items.
    pub items: Vec<String>,
    /// 应用场景 (Art.15-16): the purpose, and nothing else the data may serve.
    pub scenario: String,
    pub scenario_category: ScenarioCategory,
    /// 履职依据: the legal duty the data serves (Art.13).
    pub legal_duty: String,
    /// `api` or `bulk`, one the resource offers.
    pub delivery: Delivery,
    /// The last day of the requested term.
    pub end_date: Date,
    pub row_scope: RowScope,
    /// L3/L4 items wanted unmasked; each needs [`Self::raw_justification`] and an explicit approval.
    pub raw_items: Vec<String>,
    pub raw_justification: String,
}

fn problem(field: impl Into<String>, zh: impl Into<String>, en: impl Into<String>) -> Problem {
    Problem { field: field.into(), message: Text::new(zh.into(), en.into()) }
}

fn length_problem(out: &mut Vec<Problem>, field: &str, value: &str, min: usize, max: usize) {
    if let Err(Error::Invalid { message, .. }) = check_length(field, value, min, max) {
        out.push(Problem { field: field.to_string(), message });
    }
}

fn required_text(out: &mut Vec<Problem>, field: &str, value: &str, zh: &str, en: &str) {
    if value.is_empty() {
        out.push(problem(field, zh, en));
    } else {
        length_problem(out, field, value, 2, 1000);
    }
}

/// `date` plus `months` calendar months, on the same day or the month's last day.
pub fn add_months(date: Date, months: u32) -> Date {
    let index = date.year() as i64 * 12 + (date.month() as i64 - 1) + months as i64;
    let year = (index / 12) as i32;
    let month = Month::try_from((index % 12 + 1) as u8).unwrap_or(Month::December);
    let day = date.day().min(month.length(year));
    Date::from_calendar_date(year, month, day).unwrap_or(date)
}

/// The latest end date a request made on `today` may ask for: the resource's share term caps
/// it; a long-term share does not.
pub fn latest_end(term: ShareTerm, today: Date) -> Option<Date> {
    match term {
        ShareTerm::LongTerm => None,
        ShareTerm::Months { months } => Some(add_months(today, months)),
    }
}

impl ShareRequestInput {
    /// Trims every text and item code.
    pub fn normalized(mut self) -> ShareRequestInput {
        for s in [&mut self.scenario, &mut self.legal_duty, &mut self.raw_justification] {
            *s = s.trim().to_string();
        }
        let codes = |v: Vec<String>| -> Vec<String> {
            v.iter().map(|i| i.trim().to_string()).filter(|i| !i.is_empty()).collect()
        };
        self.items = codes(self.items);
        self.raw_items = codes(self.raw_items);
        if let Some(f) = self.row_scope.filter.as_mut() {
            f.item = f.item.trim().to_string();
            f.value = f.value.trim().to_string();
        }
        self
    }

    /// Every rule the request breaks against the resource's published version `doc`, each
    /// naming its field; empty when it may be routed. `today` is the district's date.
    pub fn problems(&self, doc: &ResourceDocument, today: Date) -> Vec<Problem> {
        let mut out = Vec::new();
        self.item_problems(doc, &mut out);
        required_text(
            &mut out,
            "scenario",
            &self.scenario,
            "请明确应用场景（第十五条）",
            "state the scenario (Art.15)",
        );
        required_text(
            &mut out,
            "legal_duty",
            &self.legal_duty,
            "请说明履职依据：共享数据应当用于履行法定职责（第十三条）",
            "state the legal duty the data serves (Art.13)",
        );
        if !matches!(self.delivery, Delivery::Api | Delivery::Bulk) {
            out.push(problem("delivery", "共享方式应为 api（接口）或 bulk（批量）", "delivery must be api or bulk"));
        } else if !doc.delivery.contains(&self.delivery) {
            let offered: Vec<&str> = doc.delivery.iter().map(|d| d.label_zh()).collect();
            out.push(problem(
                "delivery",
                format!("该资源不提供「{}」方式，可选：{}", self.delivery.label_zh(), offered.join("、")),
                format!("the resource is not offered by {}", self.delivery.as_str()),
            ));
        }
        self.term_problems(doc.share_term, today, &mut out);
        self.scope_problems(doc, &mut out);
        self.raw_problems(doc, &mut out);
        out
    }

    fn item_problems(&self, doc: &ResourceDocument, out: &mut Vec<Problem>) {
        if self.items.is_empty() {
            out.push(problem("items", "请至少选择一个数据项", "choose at least one data item"));
        }
        let mut seen = HashSet::new();
        for (i, code) in self.items.iter().enumerate() {
            if !doc.items.iter().any(|d| &d.code == code) {
                out.push(problem(
                    format!("items[{i}]"),
                    format!("资源「{}」的已发布版本中没有数据项「{code}」", doc.name),
                    format!("the published resource has no data item {code:?}"),
                ));
            } else if !seen.insert(code.as_str()) {
                out.push(problem(
                    format!("items[{i}]"),
                    format!("数据项「{code}」重复"),
                    format!("{code:?} appears twice"),
                ));
            }
        }
    }

    fn term_problems(&self, term: ShareTerm, today: Date, out: &mut Vec<Problem>) {
        if self.end_date <= today {
            out.push(problem("end_date", "共享期限的截止日期应晚于今天", "the end date must be after today"));
        } else if let Some(latest) = latest_end(term, today).filter(|l| self.end_date > *l) {
            out.push(problem(
                "end_date",
                format!("截止日期超出资源的共享期限（{}），最晚为 {latest}", term.label_zh()),
                format!(
                    "the end date is beyond the resource's share term ({}): at the latest {latest}",
                    term.label_en()
                ),
            ));
        }
    }

    fn scope_problems(&self, doc: &ResourceDocument, out: &mut Vec<Problem>) {
        if self.row_scope.keyed_only && !doc.items.iter().any(|i| i.unique_key) {
            out.push(problem(
                "row_scope.keyed_only",
                "该资源没有唯一键，不能限定为按键查询",
                "the resource has no key to look rows up by",
            ));
        }
        if let Some(f) = &self.row_scope.filter {
            if !self.items.contains(&f.item) {
                out.push(problem(
                    "row_scope.filter.item",
                    "行范围只能按所申请的数据项过滤",
                    "the row filter must be on one of the requested items",
                ));
            }
            length_problem(out, "row_scope.filter.value", &f.value, 1, MAX_FILTER_VALUE);
        }
    }

    fn raw_problems(&self, doc: &ResourceDocument, out: &mut Vec<Problem>) {
        for (i, code) in self.raw_items.iter().enumerate() {
            let level = doc.items.iter().find(|d| &d.code == code).map(|d| d.level);
            if !self.items.contains(code) {
                out.push(problem(
                    format!("raw_items[{i}]"),
                    "只能对所申请的数据项申请原始值",
                    "raw values can be asked only for requested items",
                ));
            } else if level.is_some_and(|l| l < Level::L3) {
                out.push(problem(
                    format!("raw_items[{i}]"),
                    format!("数据项「{code}」不脱敏，无需申请原始值"),
                    format!("{code:?} is below L3 and is not masked"),
                ));
            }
        }
        if !self.raw_items.is_empty() {
            if self.raw_justification.is_empty() {
                out.push(problem(
                    "raw_justification",
                    "申请原始（不脱敏）值须说明理由",
                    "asking for unmasked values needs a justification",
                ));
            } else {
                length_problem(out, "raw_justification", &self.raw_justification, 5, 1000);
            }
        }
    }
}

/// Where Art.14 sends a request the moment it is made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Routing {
    /// Unconditional: granted at once (never with raw values).
    Grant,
    /// Restricted: the provider reviews it against the stated conditions.
    Review { conditions: String },
    /// Not shared: refused, showing the legal basis; the demand list is the route onwards.
    Refuse { legal_basis: String },
}

pub fn route(share: &ShareAttribute) -> Routing {
    match share {
        ShareAttribute::Unconditional => Routing::Grant,
        ShareAttribute::Restricted { conditions, .. } => Routing::Review { conditions: conditions.clone() },
        ShareAttribute::NotShared { legal_basis } => Routing::Refuse { legal_basis: legal_basis.clone() },
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    /// 待审核: waiting for the provider (restricted data).
    PendingReview,
    /// 已授权
    Granted,
    /// 未通过: by the share attribute, the provider, or the authority.
    Refused,
}

impl RequestState {
    pub const ALL: [RequestState; 3] = [RequestState::PendingReview, RequestState::Granted, RequestState::Refused];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::PendingReview => "pending_review",
            RequestState::Granted => "granted",
            RequestState::Refused => "refused",
        }
    }

    pub fn parse(s: &str) -> Option<RequestState> {
        RequestState::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            RequestState::PendingReview => "待提供方审核",
            RequestState::Granted => "已授权",
            RequestState::Refused => "未通过",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            RequestState::PendingReview => "Awaiting the provider's review",
            RequestState::Granted => "Granted",
            RequestState::Refused => "Refused",
        }
    }
}

/// Who refused a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusedBy {
    /// The resource is not shared (Art.14); the reason is its legal basis.
    ShareAttribute,
    Provider,
    Authority,
}

impl RefusedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            RefusedBy::ShareAttribute => "share_attribute",
            RefusedBy::Provider => "provider",
            RefusedBy::Authority => "authority",
        }
    }

    pub fn parse(s: &str) -> Option<RefusedBy> {
        [RefusedBy::ShareAttribute, RefusedBy::Provider, RefusedBy::Authority].into_iter().find(|x| x.as_str() == s)
    }
}

/// A step on a request after routing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStep {
    /// The provider decides on a pending request (Art.14).
    Review,
    /// The authority decides on a provider's refusal or an overdue review (Art.14).
    Arbitrate,
}

impl RequestStep {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStep::Review => "review",
            RequestStep::Arbitrate => "arbitrate",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    /// Refuse (on arbitration of a refusal: uphold it).
    Refuse,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::Refuse => "refuse",
        }
    }

    pub fn parse(s: &str) -> Option<Decision> {
        [Decision::Approve, Decision::Refuse].into_iter().find(|x| x.as_str() == s.trim())
    }
}

/// Where a request stands, as far as the rules need to know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestFacts {
    pub state: RequestState,
    pub consumer_org: OrgId,
    pub provider_org: OrgId,
    pub refused_by: Option<RefusedBy>,
    pub arbitrated: bool,
    /// Pending past its review deadline.
    pub review_overdue: bool,
}

impl RequestFacts {
    /// The consumer, the provider, and the roles that see all organisations.
    pub fn visible_to(&self, principal: &Principal) -> bool {
        principal.scope() == Scope::All
            || principal.org_id.is_some_and(|o| o == self.consumer_org || o == self.provider_org)
    }

    /// The steps `principal` may take now.
    pub fn available(&self, principal: &Principal) -> Vec<RequestStep> {
        [RequestStep::Review, RequestStep::Arbitrate]
            .into_iter()
            .filter(|s| transition(principal, self, *s, Decision::Approve).is_ok())
            .collect()
    }
}

/// The permissions that involve their holder in sharing.
pub const SHARING_PERMISSIONS: [Permission; 4] =
    [Permission::SharingRequest, Permission::SharingReview, Permission::SharingArbitrate, Permission::SharingRead];

/// Refuses unless `principal` may read share requests and grants at all; which ones exactly is
/// checked against each.
pub fn require_read(principal: &Principal) -> Result<()> {
    match SHARING_PERMISSIONS.into_iter().find(|p| principal.has(*p)) {
        Some(p) => principal.require(p),
        None => principal.require(Permission::SharingRequest),
    }
}

fn not_now(r: &RequestFacts, step: RequestStep) -> Error {
    let (zh, en) = match step {
        RequestStep::Review => ("审核", "reviewed"),
        RequestStep::Arbitrate => (
            "裁定：只能裁定提供方的拒绝或逾期未审核的申请",
            "arbitrated: only a provider's refusal or an overdue review can be",
        ),
    };
    Error::conflict(
        format!("共享申请当前状态为「{}」，不能{zh}", r.state.label_zh()),
        format!("the request is {}; it cannot be {en}", r.state.label_en().to_lowercase()),
    )
}

/// The state after `step` with `decision`, or why `principal` may not take it now.
pub fn transition(
    principal: &Principal,
    r: &RequestFacts,
    step: RequestStep,
    decision: Decision,
) -> Result<RequestState> {
    let to = match decision {
        Decision::Approve => RequestState::Granted,
        Decision::Refuse => RequestState::Refused,
    };
    match step {
        // Art.14: the provider reviews against the conditions it stated.
        RequestStep::Review => {
            principal.require(Permission::SharingReview)?;
            if principal.org_id != Some(r.provider_org) {
                return Err(Error::out_of_scope(
                    "只有数据提供单位可以审核共享申请",
                    "only the providing agency can review a share request",
                ));
            }
            if r.state != RequestState::PendingReview {
                return Err(not_now(r, step));
            }
            Ok(to)
        }
        // Art.14: the authority settles a refusal, or a review the provider let lapse.
        RequestStep::Arbitrate => {
            principal.require(Permission::SharingArbitrate)?;
            let refused_by_provider = r.state == RequestState::Refused && r.refused_by == Some(RefusedBy::Provider);
            let lapsed = r.state == RequestState::PendingReview && r.review_overdue;
            if r.arbitrated || !(refused_by_provider || lapsed) {
                return Err(not_now(r, step));
            }
            Ok(to)
        }
    }
}

/// What accompanies a review or an arbitration. An approval may narrow the request: fewer
/// items, an earlier end date; raw values only for the items it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecisionInput {
    pub decision: Decision,
    pub reason: String,
    /// A non-empty subset of the requested items; `None`: all of them.
    pub items: Option<Vec<String>>,
    /// Not later than the requested end date; `None`: as requested.
    pub end_date: Option<Date>,
    /// Items whose raw values are approved: a subset of those requested raw.
    pub raw_items: Vec<String>,
}

/// The request's terms an approval is checked against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestedTerms {
    pub items: Vec<String>,
    pub end_date: Date,
    pub raw_items: Vec<String>,
    pub row_filter_item: Option<String>,
}

/// What a grant produced by an approval holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApprovedTerms {
    pub items: Vec<String>,
    pub end_date: Date,
    pub raw_items: Vec<String>,
}

impl DecisionInput {
    pub fn normalized(mut self) -> DecisionInput {
        self.reason = self.reason.trim().to_string();
        if let Some(items) = self.items.as_mut() {
            *items = items.iter().map(|i| i.trim().to_string()).filter(|i| !i.is_empty()).collect();
        }
        self.raw_items = self.raw_items.iter().map(|i| i.trim().to_string()).filter(|i| !i.is_empty()).collect();
        self
    }

    /// Every rule the decision breaks, each naming its field.
    pub fn problems(&self, requested: &RequestedTerms, today: Date) -> Vec<Problem> {
        let mut out = Vec::new();
        length_problem(&mut out, "reason", &self.reason, 0, 1000);
        if self.decision == Decision::Refuse {
            if self.reason.is_empty() {
                out.push(problem("reason", "不予共享须说明理由", "a refusal needs its reason"));
            }
            return out;
        }
        let items = self.items.as_ref().unwrap_or(&requested.items);
        if items.is_empty() {
            out.push(problem("items", "批准时至少保留一个数据项", "an approval keeps at least one item"));
        }
        for (i, code) in items.iter().enumerate() {
            if !requested.items.contains(code) {
                out.push(problem(
                    format!("items[{i}]"),
                    format!("「{code}」不在申请的数据项中"),
                    format!("{code:?} was not requested"),
                ));
            }
        }
        if let Some(f) = requested.row_filter_item.as_ref().filter(|f| !items.contains(f)) {
            out.push(problem(
                "items",
                format!("行范围按「{f}」过滤，该数据项须保留"),
                format!("the row filter is on {f:?}, which must stay granted"),
            ));
        }
        if let Some(end) = self.end_date
            && (end > requested.end_date || end <= today)
        {
            out.push(problem(
                "end_date",
                format!("截止日期应晚于今天且不晚于申请的 {}", requested.end_date),
                format!("the end date must be after today and not after the requested {}", requested.end_date),
            ));
        }
        for (i, code) in self.raw_items.iter().enumerate() {
            if !requested.raw_items.contains(code) || !items.contains(code) {
                out.push(problem(
                    format!("raw_items[{i}]"),
                    format!("「{code}」未申请原始值或未获批准"),
                    format!("raw values of {code:?} were not requested, or the item is not approved"),
                ));
            }
        }
        out
    }

    /// The terms an approval grants (call after [`Self::problems`] found none).
    pub fn approved(&self, requested: &RequestedTerms) -> ApprovedTerms {
        ApprovedTerms {
            items: self.items.clone().unwrap_or_else(|| requested.items.clone()),
            end_date: self.end_date.unwrap_or(requested.end_date),
            raw_items: self.raw_items.clone(),
        }
    }
}

/// The last day a provider's review is on time: `working_days` after the request's day.
pub fn review_due_on(requested_on: Date, working_days: i64, calendar: &WorkCalendar) -> Date {
    calendar.add_working_days(requested_on, working_days)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantState {
    Active,
    Suspended,
    Revoked,
    /// Past its end date: derived when read, never stored.
    Expired,
}

impl GrantState {
    pub const ALL: [GrantState; 4] =
        [GrantState::Active, GrantState::Suspended, GrantState::Revoked, GrantState::Expired];

    pub fn as_str(self) -> &'static str {
        match self {
            GrantState::Active => "active",
            GrantState::Suspended => "suspended",
            GrantState::Revoked => "revoked",
            GrantState::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<GrantState> {
        GrantState::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            GrantState::Active => "有效",
            GrantState::Suspended => "已暂停",
            GrantState::Revoked => "已撤销",
            GrantState::Expired => "已到期",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            GrantState::Active => "Active",
            GrantState::Suspended => "Suspended",
            GrantState::Revoked => "Revoked",
            GrantState::Expired => "Expired",
        }
    }

    /// The state a reader sees: a grant not revoked expires by itself after its end date (Art.15).
    pub fn effective(stored: GrantState, end_date: Date, today: Date) -> GrantState {
        match stored {
            GrantState::Active | GrantState::Suspended if today > end_date => GrantState::Expired,
            s => s,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantAction {
    Suspend,
    Resume,
    Revoke,
}

impl GrantAction {
    pub const ALL: [GrantAction; 3] = [GrantAction::Suspend, GrantAction::Resume, GrantAction::Revoke];

    pub fn as_str(self) -> &'static str {
        match self {
            GrantAction::Suspend => "suspend",
            GrantAction::Resume => "resume",
            GrantAction::Revoke => "revoke",
        }
    }

    /// Suspending and revoking need a reason; resuming may give one.
    pub fn needs_reason(self) -> bool {
        !matches!(self, GrantAction::Resume)
    }
}

/// Where a grant stands, as far as the rules need to know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GrantFacts {
    /// The effective state (expiry applied).
    pub state: GrantState,
    pub consumer_org: OrgId,
    pub provider_org: OrgId,
}

impl GrantFacts {
    pub fn visible_to(&self, principal: &Principal) -> bool {
        principal.scope() == Scope::All
            || principal.org_id.is_some_and(|o| o == self.consumer_org || o == self.provider_org)
    }

    pub fn available(&self, principal: &Principal) -> Vec<GrantAction> {
        GrantAction::ALL.into_iter().filter(|a| grant_transition(principal, self, *a).is_ok()).collect()
    }
}

/// The grant's state after `action`, or why `principal` may not take it: the provider (for its
/// own resource's grants) or the authority (for any), Art.16.
pub fn grant_transition(principal: &Principal, g: &GrantFacts, action: GrantAction) -> Result<GrantState> {
    if !principal.has(Permission::SharingArbitrate) {
        principal.require(Permission::SharingReview)?;
        if principal.org_id != Some(g.provider_org) {
            return Err(Error::out_of_scope(
                "只有数据提供单位或主管部门可以暂停、恢复或撤销授权",
                "only the providing agency or the authority can suspend, resume or revoke a grant",
            ));
        }
    }
    match (action, g.state) {
        (GrantAction::Suspend, GrantState::Active) => Ok(GrantState::Suspended),
        (GrantAction::Resume, GrantState::Suspended) => Ok(GrantState::Active),
        (GrantAction::Revoke, GrantState::Active | GrantState::Suspended) => Ok(GrantState::Revoked),
        (_, s) => Err(Error::conflict(
            format!("授权当前为「{}」，不能执行该操作", s.label_zh()),
            format!("the grant is {}; it cannot be sent to '{}'", s.label_en().to_lowercase(), action.as_str()),
        )),
    }
}

/// Art.7: the items of a newly registered resource that match data its agency receives through
/// a grant (`granted`: the resource's items that the grant holds), by code or Chinese name.
/// Returns the matched item names when they make up at least half of the new resource's items,
/// the threshold chosen for "substantially the same data"; `None` otherwise.
pub fn received_match(new_items: &[DataItem], granted: &[DataItem]) -> Option<Vec<String>> {
    let matched: Vec<String> = new_items
        .iter()
        .filter(|n| granted.iter().any(|g| g.code == n.code || g.name == n.name))
        .map(|n| n.name.clone())
        .collect();
    (!matched.is_empty() && matched.len() * 2 >= new_items.len()).then_some(matched)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{ItemType, OpenAttribute, StorageFormat, UpdateCycle};
    use crate::identity::Role;
    use crate::ids::UserId;
    use time::macros::date;

    fn who(role: Role, org: i64) -> Principal {
        Principal {
            user_id: Some(UserId(1)),
            username: "u".into(),
            display_name: "U".into(),
            org_id: Some(OrgId(org)),
            role: Some(role),
            token: None,
            must_change_password: false,
        }
    }

    fn item(code: &str, name: &str, level: Level, key: bool) -> DataItem {
        DataItem {
            code: code.into(),
            name: name.into(),
            item_type: ItemType::String,
            length: Some(50),
            precision: None,
            scale: None,
            required: key,
            unique_key: key,
            description: String::new(),
            level,
            code_list: vec![],
        }
    }

    fn doc(term: ShareTerm) -> ResourceDocument {
        ResourceDocument {
            name: "户籍人口信息".into(),
            business_name: "户籍管理".into(),
            source_system: "人口系统".into(),
            description: String::new(),
            provider_org_id: 4,
            category: "civil_affairs".into(),
            level: Level::L3,
            storage_format: StorageFormat::DatabaseTable,
            share: ShareAttribute::Unconditional,
            open: OpenAttribute::Prohibited { reason: crate::catalog::ProhibitionReason::PersonalOrCommercial },
            delivery: vec![Delivery::Api],
            update_cycle: UpdateCycle::Daily,
            share_term: term,
            contact_name: "张三".into(),
            contact_phone: "0574-87000000".into(),
            contact_email: String::new(),
            state_secret: false,
            items: vec![
                item("id_number", "身份证号", Level::L4, true),
                item("name", "姓名", Level::L3, false),
                item("district", "所属区县", Level::L1, false),
            ],
        }
    }

    fn request() -> ShareRequestInput {
        ShareRequestInput {
            resource_id: 1,
            items: vec!["id_number".into(), "district".into()],
            scenario: "低保申请家庭户籍核查".into(),
            scenario_category: ScenarioCategory::SocialAssistance,
            legal_duty: "《社会救助暂行办法》第十一条".into(),
            delivery: Delivery::Api,
            end_date: date!(2026 - 12 - 31),
            row_scope: RowScope::default(),
            raw_items: vec![],
            raw_justification: String::new(),
        }
    }

    const TODAY: Date = date!(2026 - 03 - 31);

    #[test]
    fn art_13_request_names_items_scenario_duty_and_an_offered_delivery() {
        assert!(request().problems(&doc(ShareTerm::LongTerm), TODAY).is_empty());
        let bad = ShareRequestInput {
            items: vec!["id_number".into(), "phone".into(), "id_number".into()],
            scenario: " ".into(),
            legal_duty: String::new(),
            delivery: Delivery::Bulk,
            end_date: TODAY,
            row_scope: RowScope {
                keyed_only: true,
                filter: Some(RowFilter { item: "name".into(), value: "x".into() }),
            },
            raw_items: vec!["district".into()],
            ..request()
        }
        .normalized();
        let fields: Vec<String> = bad.problems(&doc(ShareTerm::LongTerm), TODAY).into_iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            vec![
                "items[1]",
                "items[2]",
                "scenario",
                "legal_duty",
                "delivery",
                "end_date",
                "row_scope.filter.item",
                "raw_items[0]",
                "raw_justification"
            ]
        );
    }

    #[test]
    fn art_15_share_term_caps_the_end_date_unless_long_term() {
        let late = ShareRequestInput { end_date: date!(2026 - 10 - 01), ..request() };
        assert!(late.problems(&doc(ShareTerm::LongTerm), TODAY).is_empty());
        // Six months from 31 March ends on 30 September.
        assert_eq!(add_months(TODAY, 6), date!(2026 - 09 - 30));
        let fields: Vec<String> =
            late.problems(&doc(ShareTerm::Months { months: 6 }), TODAY).into_iter().map(|p| p.field).collect();
        assert_eq!(fields, vec!["end_date"]);
        let ok = ShareRequestInput { end_date: date!(2026 - 09 - 30), ..request() };
        assert!(ok.problems(&doc(ShareTerm::Months { months: 6 }), TODAY).is_empty());
    }

    #[test]
    fn art_14_routing_follows_the_share_attribute() {
        assert_eq!(route(&ShareAttribute::Unconditional), Routing::Grant);
        let r =
            ShareAttribute::Restricted { reason: "含个人信息".into(), conditions: "仅限社会救助".into() };
        assert!(matches!(route(&r), Routing::Review { .. }));
        let n = ShareAttribute::NotShared { legal_basis: "《统计法》第九条".into() };
        assert_eq!(route(&n), Routing::Refuse { legal_basis: "《统计法》第九条".into() });
    }

    #[test]
    fn art_14_provider_reviews_and_the_authority_arbitrates_refusals_or_lapses() {
        const CONSUMER: i64 = 3;
        const PROVIDER: i64 = 4;
        let pending = RequestFacts {
            state: RequestState::PendingReview,
            consumer_org: OrgId(CONSUMER),
            provider_org: OrgId(PROVIDER),
            refused_by: None,
            arbitrated: false,
            review_overdue: false,
        };
        let provider = who(Role::AgencyDataOfficer, PROVIDER);
        let consumer = who(Role::AgencyDataOfficer, CONSUMER);
        let staff = who(Role::AuthorityStaff, 1);
        assert_eq!(transition(&provider, &pending, RequestStep::Review, Decision::Approve), Ok(RequestState::Granted));
        assert!(matches!(
            transition(&consumer, &pending, RequestStep::Review, Decision::Approve),
            Err(Error::OutOfScope(_))
        ));
        assert!(matches!(
            transition(&staff, &pending, RequestStep::Arbitrate, Decision::Approve),
            Err(Error::Conflict(_))
        ));
        let lapsed = RequestFacts { review_overdue: true, ..pending };
        assert_eq!(transition(&staff, &lapsed, RequestStep::Arbitrate, Decision::Refuse), Ok(RequestState::Refused));
        assert_eq!(
            transition(&provider, &lapsed, RequestStep::Arbitrate, Decision::Approve),
            Err(Error::Forbidden(Permission::SharingArbitrate))
        );
        let refused = RequestFacts { state: RequestState::Refused, refused_by: Some(RefusedBy::Provider), ..pending };
        assert_eq!(refused.available(&staff), vec![RequestStep::Arbitrate]);
        assert!(RequestFacts { arbitrated: true, ..refused }.available(&staff).is_empty());
        let not_shared = RequestFacts { refused_by: Some(RefusedBy::ShareAttribute), ..refused };
        assert!(not_shared.available(&staff).is_empty(), "a legal prohibition is not the authority's to overrule");
        assert!(!pending.visible_to(&who(Role::AgencyDataOfficer, 9)));
        assert!(pending.visible_to(&who(Role::Supervisor, 9)));
    }

    #[test]
    fn approvals_may_only_narrow_the_request() {
        let requested = RequestedTerms {
            items: vec!["id_number".into(), "name".into(), "district".into()],
            end_date: date!(2026 - 12 - 31),
            raw_items: vec!["name".into()],
            row_filter_item: Some("district".into()),
        };
        let approve = DecisionInput {
            decision: Decision::Approve,
            reason: String::new(),
            items: Some(vec!["id_number".into(), "district".into()]),
            end_date: Some(date!(2026 - 06 - 30)),
            raw_items: vec![],
        };
        assert!(approve.problems(&requested, TODAY).is_empty());
        let terms = approve.approved(&requested);
        assert_eq!((terms.items.len(), terms.end_date), (2, date!(2026 - 06 - 30)));
        let wider = DecisionInput {
            items: Some(vec!["id_number".into(), "phone".into()]),
            end_date: Some(date!(2027 - 01 - 01)),
            raw_items: vec!["name".into()],
            ..approve.clone()
        };
        let fields: Vec<String> = wider.problems(&requested, TODAY).into_iter().map(|p| p.field).collect();
        assert_eq!(fields, vec!["items[1]", "items", "end_date", "raw_items[0]"]);
        let refuse = DecisionInput { decision: Decision::Refuse, ..approve };
        assert_eq!(refuse.problems(&requested, TODAY)[0].field, "reason");
    }

    #[test]
    fn art_15_grants_expire_by_themselves_and_only_provider_or_authority_change_them() {
        let end = date!(2026 - 06 - 30);
        assert_eq!(GrantState::effective(GrantState::Active, end, end), GrantState::Active);
        assert_eq!(GrantState::effective(GrantState::Suspended, end, date!(2026 - 07 - 01)), GrantState::Expired);
        assert_eq!(GrantState::effective(GrantState::Revoked, end, date!(2026 - 07 - 01)), GrantState::Revoked);
        let g = GrantFacts { state: GrantState::Active, consumer_org: OrgId(3), provider_org: OrgId(4) };
        assert_eq!(g.available(&who(Role::AgencyDataOfficer, 4)), vec![GrantAction::Suspend, GrantAction::Revoke]);
        assert!(g.available(&who(Role::AgencyDataOfficer, 3)).is_empty());
        assert!(g.available(&who(Role::Supervisor, 9)).is_empty());
        assert_eq!(grant_transition(&who(Role::AuthorityStaff, 1), &g, GrantAction::Revoke), Ok(GrantState::Revoked));
        let expired = GrantFacts { state: GrantState::Expired, ..g };
        assert!(matches!(
            grant_transition(&who(Role::AuthorityStaff, 1), &expired, GrantAction::Resume),
            Err(Error::Conflict(_))
        ));
    }

    #[test]
    fn art_7_half_of_the_items_matching_by_code_or_name_is_received_data() {
        let granted =
            vec![item("id_number", "身份证号", Level::L4, true), item("district", "所属区县", Level::L1, false)];
        let copy = vec![item("sfzh", "身份证号", Level::L4, true), item("district", "区县", Level::L1, false)];
        assert_eq!(received_match(&copy, &granted), Some(vec!["身份证号".to_string(), "区县".to_string()]));
        let own = vec![
            item("sfzh", "身份证号", Level::L4, true),
            item("allowance", "救助金额", Level::L2, false),
            item("month", "发放月份", Level::L1, false),
        ];
        assert_eq!(received_match(&own, &granted), None, "one item in three is the agency's own record");
        assert_eq!(received_match(&[], &granted), None);
    }

    #[test]
    fn reading_needs_a_sharing_permission() {
        assert!(require_read(&who(Role::AgencyDataOfficer, 3)).is_ok());
        assert!(require_read(&who(Role::Supervisor, 9)).is_ok());
        assert_eq!(require_read(&who(Role::ServiceUnit, 8)), Err(Error::Forbidden(Permission::SharingRequest)));
    }
}
