//! The data demand list (数据需求清单, Art.9 and Art.15): an agency whose duties need data that
//! sharing cannot yet supply files a demand instead of collecting the data again; the authority
//! coordinates it with the agency that holds the data and fulfils it (linking a published
//! resource) or rejects it (with a reason).
//!
//! States: submitted → coordinating (the authority proposes a provider) → fulfilled or rejected;
//! the consumer may withdraw a demand while it is still submitted. During coordination the
//! proposed provider answers (can provide, with a resource or a plan and date / cannot provide,
//! with a reason), and the authority decides on that answer. Every transition is decided by
//! [`transition`]; every step runs against a deadline in working days ([`deadline`]).

use crate::calendar::WorkCalendar;
use crate::catalog::{Delivery, Problem};
use crate::error::{Error, Result, check_length};
use crate::identity::{Permission, Principal, Scope};
use crate::ids::OrgId;
use crate::text::Text;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use time::Date;

/// Working days the authority has to start coordinating a demand, counted from the day it was
/// filed. A fixed rule for now; to become a setting with the other deadlines.
pub const COORDINATION_WORKING_DAYS: i64 = 5;
/// Working days the proposed provider has to answer, counted from the day it was proposed.
pub const ANSWER_WORKING_DAYS: i64 = 10;
/// Working days the authority has to fulfil or reject a demand once the provider has answered.
pub const DECISION_WORKING_DAYS: i64 = 5;

/// The most data items one demand may name.
pub const MAX_ITEMS: usize = 100;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DemandState {
    /// 已提交: waiting for the authority.
    Submitted,
    /// 协调中: a provider has been proposed; waiting for its answer, then the authority's decision.
    Coordinating,
    /// 已满足: linked to a published resource.
    Fulfilled,
    /// 已驳回: with the authority's reason.
    Rejected,
    /// 已撤回: by the consumer, before coordination started.
    Withdrawn,
}

impl DemandState {
    pub const ALL: [DemandState; 5] = [
        DemandState::Submitted,
        DemandState::Coordinating,
        DemandState::Fulfilled,
        DemandState::Rejected,
        DemandState::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DemandState::Submitted => "submitted",
            DemandState::Coordinating => "coordinating",
            DemandState::Fulfilled => "fulfilled",
            DemandState::Rejected => "rejected",
            DemandState::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<DemandState> {
        DemandState::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            DemandState::Submitted => "已提交",
            DemandState::Coordinating => "协调中",
            DemandState::Fulfilled => "已满足",
            DemandState::Rejected => "已驳回",
            DemandState::Withdrawn => "已撤回",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            DemandState::Submitted => "Submitted",
            DemandState::Coordinating => "Coordinating",
            DemandState::Fulfilled => "Fulfilled",
            DemandState::Rejected => "Rejected",
            DemandState::Withdrawn => "Withdrawn",
        }
    }

    /// Whether nothing more will happen to the demand.
    pub fn is_closed(self) -> bool {
        matches!(self, DemandState::Fulfilled | DemandState::Rejected | DemandState::Withdrawn)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DemandAction {
    /// The authority proposes a provider (again, if the first cannot help).
    Coordinate,
    /// The proposed provider says whether and how it can provide the data.
    Answer,
    /// The authority links a published resource that meets the demand.
    Fulfil,
    /// The authority turns the demand down, giving the reason.
    Reject,
    /// The consumer takes back a demand nobody has acted on yet.
    Withdraw,
}

impl DemandAction {
    pub const ALL: [DemandAction; 5] = [
        DemandAction::Coordinate,
        DemandAction::Answer,
        DemandAction::Fulfil,
        DemandAction::Reject,
        DemandAction::Withdraw,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DemandAction::Coordinate => "coordinate",
            DemandAction::Answer => "answer",
            DemandAction::Fulfil => "fulfil",
            DemandAction::Reject => "reject",
            DemandAction::Withdraw => "withdraw",
        }
    }

    pub fn parse(s: &str) -> Option<DemandAction> {
        DemandAction::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            DemandAction::Coordinate => "协调提供方",
            DemandAction::Answer => "答复",
            DemandAction::Fulfil => "确认满足",
            DemandAction::Reject => "驳回",
            DemandAction::Withdraw => "撤回",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            DemandAction::Coordinate => "Coordinate with a provider",
            DemandAction::Answer => "Answer",
            DemandAction::Fulfil => "Fulfil",
            DemandAction::Reject => "Reject",
            DemandAction::Withdraw => "Withdraw",
        }
    }
}

/// The proposed provider's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerKind {
    /// 可以提供: through a published resource, or by a plan with a date.
    CanProvide,
    /// 无法提供: with the reason.
    CannotProvide,
}

impl AnswerKind {
    pub const ALL: [AnswerKind; 2] = [AnswerKind::CanProvide, AnswerKind::CannotProvide];

    pub fn as_str(self) -> &'static str {
        match self {
            AnswerKind::CanProvide => "can_provide",
            AnswerKind::CannotProvide => "cannot_provide",
        }
    }

    pub fn parse(s: &str) -> Option<AnswerKind> {
        AnswerKind::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            AnswerKind::CanProvide => "可以提供",
            AnswerKind::CannotProvide => "无法提供",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            AnswerKind::CanProvide => "Can provide",
            AnswerKind::CannotProvide => "Cannot provide",
        }
    }
}

fn problem(field: impl Into<String>, zh: impl Into<String>, en: impl Into<String>) -> Problem {
    Problem { field: field.into(), message: Text::new(zh.into(), en.into()) }
}

fn length_problem(out: &mut Vec<Problem>, field: &str, value: &str, min: usize, max: usize) {
    if let Err(Error::Invalid { message, .. }) = check_length(field, value, min, max) {
        out.push(Problem { field: field.to_string(), message });
    }
}

/// What a consumer agency files: the data it needs, for which duty and scenario.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemandFiling {
    /// 需求名称
    pub title: String,
    /// 所需数据: what is wanted, in words.
    pub description: String,
    /// 所需数据项: the names of the fields wanted, at least one.
    pub items: Vec<String>,
    /// 应用场景 (Art.15: the purpose the data will serve, and nothing else, Art.16).
    pub scenario: String,
    /// 履职依据: the legal duty the data is needed for (Art.9, 13).
    pub legal_basis: String,
    /// 期望提供方式
    pub delivery: Delivery,
    /// A resource the demand concerns, e.g. one whose sharing was refused.
    pub related_resource_id: Option<i64>,
}

impl DemandFiling {
    /// Trims every text, so that what is stored is what the user meant.
    pub fn normalized(mut self) -> DemandFiling {
        for s in [&mut self.title, &mut self.description, &mut self.scenario, &mut self.legal_basis] {
            *s = s.trim().to_string();
        }
        self.items = self.items.iter().map(|i| i.trim().to_string()).filter(|i| !i.is_empty()).collect();
        self
    }

    /// Every rule a filing must satisfy, each naming its field; empty when it may be filed.
    pub fn problems(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        length_problem(&mut out, "title", &self.title, 2, 100);
        length_problem(&mut out, "description", &self.description, 2, 2000);
        if self.items.is_empty() {
            out.push(problem("items", "请至少填写一个所需数据项", "name at least one data item wanted"));
        }
        if self.items.len() > MAX_ITEMS {
            out.push(problem(
                "items",
                format!("所需数据项不能超过 {MAX_ITEMS} 个"),
                format!("at most {MAX_ITEMS} data items"),
            ));
        }
        let mut seen = HashSet::new();
        for (i, item) in self.items.iter().enumerate() {
            let field = format!("items[{i}]");
            length_problem(&mut out, &field, item, 1, 64);
            if !seen.insert(item.as_str()) {
                out.push(problem(field, format!("数据项「{item}」重复"), format!("item {item:?} appears twice")));
            }
        }
        if self.scenario.is_empty() {
            out.push(problem(
                "scenario",
                "请明确应用场景（第十五条）",
                "state the scenario the data will serve (Art.15)",
            ));
        } else {
            length_problem(&mut out, "scenario", &self.scenario, 2, 1000);
        }
        if self.legal_basis.is_empty() {
            out.push(problem(
                "legal_basis",
                "请说明履职依据：需求应当因履行法定职责或提供公共服务而产生（第九条、第十三条）",
                "state the legal duty the data is needed for (Art.9, 13)",
            ));
        } else {
            length_problem(&mut out, "legal_basis", &self.legal_basis, 2, 1000);
        }
        if self.related_resource_id.is_some_and(|id| id <= 0) {
            out.push(problem("related_resource_id", "资源编号应为正整数", "a resource id is a positive number"));
        }
        out
    }
}

/// What accompanies an action: the comment (the plan or reason where one is needed) and the
/// action's particulars. Fields an action does not use are ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StepInput {
    pub comment: String,
    /// `coordinate`: the agency proposed to provide the data.
    pub provider_org_id: Option<i64>,
    /// `fulfil`: the published resource that meets the demand; `answer`: one that already could.
    pub resource_id: Option<i64>,
    /// `answer`: whether the provider can provide the data.
    pub answer: Option<AnswerKind>,
    /// `answer` with a plan: when the data will be available.
    pub planned_date: Option<Date>,
}

impl StepInput {
    /// Trims the comment.
    pub fn normalized(mut self) -> StepInput {
        self.comment = self.comment.trim().to_string();
        self
    }

    /// Every rule `action` puts on its input, each naming its field. `today` is the district's
    /// date, which a plan's date may not precede.
    pub fn problems(&self, action: DemandAction, today: Date) -> Vec<Problem> {
        let mut out = Vec::new();
        length_problem(&mut out, "comment", &self.comment, 0, 1000);
        match action {
            DemandAction::Coordinate if self.provider_org_id.is_none() => out.push(problem(
                "provider_org_id",
                "请选择拟协调的数据提供单位",
                "choose the agency proposed to provide the data",
            )),
            DemandAction::Answer => self.answer_problems(today, &mut out),
            DemandAction::Fulfil if self.resource_id.is_none() => out.push(problem(
                "resource_id",
                "请填写满足该需求的已发布资源编号",
                "give the id of the published resource that meets the demand",
            )),
            DemandAction::Reject if self.comment.is_empty() => {
                out.push(problem("comment", "驳回须说明理由", "a rejection needs its reason"))
            }
            _ => {}
        }
        out
    }

    fn answer_problems(&self, today: Date, out: &mut Vec<Problem>) {
        match self.answer {
            None => out.push(problem(
                "answer",
                "请选择答复：可以提供（can_provide）或无法提供（cannot_provide）",
                "choose the answer: can_provide or cannot_provide",
            )),
            Some(AnswerKind::CannotProvide) if self.comment.is_empty() => out.push(problem(
                "comment",
                "无法提供须说明理由",
                "an answer that the data cannot be provided needs its reason",
            )),
            Some(AnswerKind::CannotProvide) => {}
            Some(AnswerKind::CanProvide) => match (self.resource_id, self.planned_date) {
                (Some(_), _) => {}
                (None, None) => out.push(problem(
                    "resource_id",
                    "可以提供时，请填写已发布的资源编号，或填写提供计划及计划提供日期",
                    "to answer yes, give a published resource's id, or a plan and the date it will be ready",
                )),
                (None, Some(date)) => {
                    if self.comment.is_empty() {
                        out.push(problem("comment", "请填写提供计划", "describe the plan"));
                    }
                    if date < today {
                        out.push(problem(
                            "planned_date",
                            "计划提供日期不能早于今天",
                            "the planned date cannot be in the past",
                        ));
                    }
                }
            },
        }
    }
}

/// Where a demand stands, as far as the rules need to know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemandFacts {
    pub state: DemandState,
    /// The agency that filed the demand (使用方).
    pub consumer_org: OrgId,
    /// The agency the authority proposed to provide the data.
    pub provider_org: Option<OrgId>,
}

impl DemandFacts {
    /// Whether `principal` may see the demand: the filing agency, the proposed provider, and
    /// the roles that see all organisations (the authority, supervisors).
    pub fn visible_to(&self, principal: &Principal) -> bool {
        principal.scope() == Scope::All
            || principal.org_id.is_some_and(|o| o == self.consumer_org || Some(o) == self.provider_org)
    }

    /// The actions `principal` may take now, for offering them on a page.
    pub fn available(&self, principal: &Principal) -> Vec<DemandAction> {
        DemandAction::ALL.into_iter().filter(|a| transition(principal, self, *a).is_ok()).collect()
    }
}

/// The permissions that involve their holder in demands.
pub const DEMAND_PERMISSIONS: [Permission; 3] =
    [Permission::DemandFile, Permission::DemandCoordinate, Permission::DemandAnswer];

/// Refuses unless `principal` may read demands at all: holders of a demand permission, and the
/// roles that oversee every organisation (supervisors read; they act on nothing).
pub fn require_read(principal: &Principal) -> Result<()> {
    if let Some(p) = DEMAND_PERMISSIONS.into_iter().find(|p| principal.has(*p)) {
        return principal.require(p);
    }
    if principal.scope() == Scope::All {
        return principal.require(Permission::CatalogRead);
    }
    principal.require(Permission::DemandFile)
}

fn not_now(d: &DemandFacts, action: DemandAction) -> Error {
    Error::conflict(
        format!("需求当前状态为「{}」，不能{}", d.state.label_zh(), action.label_zh()),
        format!("the demand is {}; it cannot be sent to '{}' now", d.state.label_en(), action.label_en()),
    )
}

/// The state after `action`, or why `principal` may not take it now. The action's input (a
/// provider, a resource, a reason) is checked by [`StepInput::problems`].
pub fn transition(principal: &Principal, d: &DemandFacts, action: DemandAction) -> Result<DemandState> {
    use DemandState as S;
    match (action, d.state) {
        (DemandAction::Withdraw, S::Submitted) => {
            principal.require(Permission::DemandFile)?;
            if principal.org_id != Some(d.consumer_org) {
                return Err(Error::out_of_scope(
                    "只有提交需求的单位可以撤回",
                    "only the agency that filed the demand can withdraw it",
                ));
            }
            Ok(S::Withdrawn)
        }
        // Art.9, 15: the authority settles demands with the agencies concerned.
        (DemandAction::Coordinate, S::Submitted | S::Coordinating) => {
            principal.require(Permission::DemandCoordinate)?;
            Ok(S::Coordinating)
        }
        (DemandAction::Answer, S::Coordinating) => {
            principal.require(Permission::DemandAnswer)?;
            if d.provider_org.is_none() || principal.org_id != d.provider_org {
                return Err(Error::out_of_scope(
                    "只有主管部门协调的数据提供单位可以答复",
                    "only the agency proposed as provider can answer",
                ));
            }
            Ok(S::Coordinating)
        }
        (DemandAction::Fulfil, S::Coordinating) => {
            principal.require(Permission::DemandCoordinate)?;
            Ok(S::Fulfilled)
        }
        (DemandAction::Reject, S::Submitted | S::Coordinating) => {
            principal.require(Permission::DemandCoordinate)?;
            Ok(S::Rejected)
        }
        _ => Err(not_now(d, action)),
    }
}

/// Whose step a deadline is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DemandStep {
    /// The authority is to start coordinating (within [`COORDINATION_WORKING_DAYS`]).
    Coordination,
    /// The proposed provider is to answer (within [`ANSWER_WORKING_DAYS`]).
    Answer,
    /// The authority is to fulfil or reject on the answer (within [`DECISION_WORKING_DAYS`]).
    Decision,
}

impl DemandStep {
    pub fn as_str(self) -> &'static str {
        match self {
            DemandStep::Coordination => "coordination",
            DemandStep::Answer => "answer",
            DemandStep::Decision => "decision",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            DemandStep::Coordination => "待主管部门协调",
            DemandStep::Answer => "待提供单位答复",
            DemandStep::Decision => "待主管部门决定",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            DemandStep::Coordination => "Awaiting the authority's coordination",
            DemandStep::Answer => "Awaiting the provider's answer",
            DemandStep::Decision => "Awaiting the authority's decision",
        }
    }

    /// The working days this step may take.
    pub fn working_days(self) -> i64 {
        match self {
            DemandStep::Coordination => COORDINATION_WORKING_DAYS,
            DemandStep::Answer => ANSWER_WORKING_DAYS,
            DemandStep::Decision => DECISION_WORKING_DAYS,
        }
    }
}

/// The dates (in the district, UTC+8) a demand's steps started on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemandDates {
    pub submitted_on: Date,
    /// The day the current provider was proposed.
    pub assigned_on: Option<Date>,
    /// The day the current provider last answered.
    pub answered_on: Option<Date>,
}

/// The deadline of a demand's current step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Deadline {
    pub step: DemandStep,
    /// The day the step started (day 0 of the count).
    pub started_on: Date,
    /// The last working day on which the step is on time.
    pub due_on: Date,
}

impl Deadline {
    /// Overdue once the due date has passed without the step being taken.
    pub fn is_overdue(&self, today: Date) -> bool {
        today > self.due_on
    }
}

/// The current step's deadline, counted in working days on `calendar`; `None` once the demand
/// is closed (or if its dates are inconsistent with its state).
pub fn deadline(state: DemandState, dates: &DemandDates, calendar: &WorkCalendar) -> Option<Deadline> {
    let (step, started_on) = match state {
        DemandState::Submitted => (DemandStep::Coordination, dates.submitted_on),
        DemandState::Coordinating => match (dates.assigned_on, dates.answered_on) {
            (Some(_), Some(answered)) => (DemandStep::Decision, answered),
            (Some(assigned), None) => (DemandStep::Answer, assigned),
            (None, _) => return None,
        },
        DemandState::Fulfilled | DemandState::Rejected | DemandState::Withdrawn => return None,
    };
    let due_on = calendar.add_working_days(started_on, step.working_days());
    Some(Deadline { step, started_on, due_on })
}

#[cfg(test)]
mod tests {
    use super::*;
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

    const AUTHORITY: i64 = 1;
    const CIVIL: i64 = 3;
    const WATER: i64 = 4;

    fn at(state: DemandState, provider: Option<i64>) -> DemandFacts {
        DemandFacts { state, consumer_org: OrgId(CIVIL), provider_org: provider.map(OrgId) }
    }

    fn filing() -> DemandFiling {
        DemandFiling {
            title: "居民用水量数据".into(),
            description: "低保对象家庭的月度用水量".into(),
            items: vec!["用水户号".into(), "用水量".into()],
            scenario: "最低生活保障对象家庭经济状况核查".into(),
            legal_basis: "《社会救助暂行办法》第十一条".into(),
            delivery: Delivery::Api,
            related_resource_id: None,
        }
    }

    #[test]
    fn art_9_demand_runs_submitted_coordinating_fulfilled() {
        let staff = who(Role::AuthorityStaff, AUTHORITY);
        let provider = who(Role::AgencyDataOfficer, WATER);
        let mut d = at(DemandState::Submitted, None);
        d.state = transition(&staff, &d, DemandAction::Coordinate).unwrap();
        d.provider_org = Some(OrgId(WATER));
        assert_eq!(d.state, DemandState::Coordinating);
        assert_eq!(transition(&provider, &d, DemandAction::Answer).unwrap(), DemandState::Coordinating);
        assert_eq!(transition(&staff, &d, DemandAction::Fulfil).unwrap(), DemandState::Fulfilled);
        assert_eq!(transition(&staff, &d, DemandAction::Reject).unwrap(), DemandState::Rejected);
        let done = at(DemandState::Fulfilled, Some(WATER));
        assert!(DemandAction::ALL.iter().all(|a| transition(&staff, &done, *a).is_err()));
    }

    #[test]
    fn art_15_only_the_authority_coordinates_and_decides() {
        let consumer = who(Role::AgencyDataOfficer, CIVIL);
        let d = at(DemandState::Submitted, None);
        assert_eq!(
            transition(&consumer, &d, DemandAction::Coordinate),
            Err(Error::Forbidden(Permission::DemandCoordinate))
        );
        let d = at(DemandState::Coordinating, Some(WATER));
        assert_eq!(
            transition(&consumer, &d, DemandAction::Fulfil),
            Err(Error::Forbidden(Permission::DemandCoordinate))
        );
        let supervisor = who(Role::Supervisor, 9);
        assert!(d.visible_to(&supervisor) && d.available(&supervisor).is_empty());
    }

    #[test]
    fn only_the_proposed_provider_answers_and_only_the_consumer_withdraws() {
        let other = who(Role::AgencyDataOfficer, 9);
        let d = at(DemandState::Coordinating, Some(WATER));
        assert!(matches!(transition(&other, &d, DemandAction::Answer), Err(Error::OutOfScope(_))));
        assert!(!d.visible_to(&other));
        let consumer = who(Role::AgencyDataOfficer, CIVIL);
        assert_eq!(at(DemandState::Submitted, None).available(&consumer), vec![DemandAction::Withdraw]);
        assert!(matches!(
            transition(&other, &at(DemandState::Submitted, None), DemandAction::Withdraw),
            Err(Error::OutOfScope(_))
        ));
        assert!(
            matches!(transition(&consumer, &d, DemandAction::Withdraw), Err(Error::Conflict(_))),
            "coordination has started"
        );
        let provider = who(Role::AccountableHead, WATER);
        assert_eq!(d.available(&provider), vec![DemandAction::Answer]);
    }

    #[test]
    fn reading_needs_a_demand_permission_or_oversight() {
        assert!(require_read(&who(Role::AgencyDataOfficer, CIVIL)).is_ok());
        assert!(require_read(&who(Role::Supervisor, 9)).is_ok());
        assert!(require_read(&who(Role::AuthorityStaff, AUTHORITY)).is_ok());
        assert_eq!(require_read(&who(Role::ServiceUnit, 8)), Err(Error::Forbidden(Permission::DemandFile)));
        assert_eq!(require_read(&who(Role::PublicUser, 2)), Err(Error::Forbidden(Permission::DemandFile)));
    }

    #[test]
    fn art_15_a_filing_names_scenario_duty_and_items() {
        assert!(filing().problems().is_empty());
        let bad = DemandFiling {
            title: "x".into(),
            items: vec!["用水量".into(), "用水量".into()],
            scenario: String::new(),
            legal_basis: " ".into(),
            related_resource_id: Some(0),
            ..filing()
        }
        .normalized();
        let fields: Vec<String> = bad.problems().into_iter().map(|p| p.field).collect();
        assert_eq!(fields, vec!["title", "items[1]", "scenario", "legal_basis", "related_resource_id"]);
        let none = DemandFiling { items: vec!["  ".into()], ..filing() }.normalized();
        assert_eq!(none.problems()[0].field, "items");
    }

    #[test]
    fn each_action_names_the_input_it_lacks() {
        let today = date!(2026 - 11 - 02);
        let fields = |action, input: StepInput| -> Vec<String> {
            input.problems(action, today).into_iter().map(|p| p.field).collect()
        };
        assert_eq!(fields(DemandAction::Coordinate, StepInput::default()), vec!["provider_org_id"]);
        assert_eq!(fields(DemandAction::Reject, StepInput::default()), vec!["comment"]);
        assert_eq!(fields(DemandAction::Fulfil, StepInput::default()), vec!["resource_id"]);
        assert_eq!(fields(DemandAction::Answer, StepInput::default()), vec!["answer"]);
        let yes = StepInput { answer: Some(AnswerKind::CanProvide), ..StepInput::default() };
        assert_eq!(fields(DemandAction::Answer, yes.clone()), vec!["resource_id"]);
        let late = StepInput { planned_date: Some(date!(2026 - 11 - 01)), ..yes.clone() };
        assert_eq!(fields(DemandAction::Answer, late), vec!["comment", "planned_date"]);
        let plan = StepInput { comment: "下月完成接口开发".into(), planned_date: Some(today), ..yes };
        assert!(fields(DemandAction::Answer, plan).is_empty());
        let no = StepInput { answer: Some(AnswerKind::CannotProvide), ..StepInput::default() };
        assert_eq!(fields(DemandAction::Answer, no), vec!["comment"]);
        assert!(fields(DemandAction::Withdraw, StepInput::default()).is_empty());
    }

    #[test]
    fn art_15_deadlines_count_working_days_across_national_day() {
        let cal = WorkCalendar::bundled().unwrap();
        // Filed Tuesday 29 Sep 2026: 30 Sep, 8 Oct, 9 Oct, 10 Oct (make-up Saturday), 12 Oct.
        let mut dates = DemandDates { submitted_on: date!(2026 - 09 - 29), assigned_on: None, answered_on: None };
        let d = deadline(DemandState::Submitted, &dates, &cal).unwrap();
        assert_eq!((d.step, d.due_on), (DemandStep::Coordination, date!(2026 - 10 - 12)));
        assert!(!d.is_overdue(date!(2026 - 10 - 12)) && d.is_overdue(date!(2026 - 10 - 13)));
        // Proposed the same day: ten working days end on Monday 19 Oct.
        dates.assigned_on = Some(date!(2026 - 09 - 29));
        let d = deadline(DemandState::Coordinating, &dates, &cal).unwrap();
        assert_eq!((d.step, d.due_on), (DemandStep::Answer, date!(2026 - 10 - 19)));
        // Answered Friday 9 Oct: 10 Oct (make-up Saturday), 12, 13, 14, 15 Oct.
        dates.answered_on = Some(date!(2026 - 10 - 09));
        let d = deadline(DemandState::Coordinating, &dates, &cal).unwrap();
        assert_eq!((d.step, d.due_on), (DemandStep::Decision, date!(2026 - 10 - 15)));
        assert_eq!(deadline(DemandState::Fulfilled, &dates, &cal), None);
    }
}
