//! Data verification (数据校核, Art.11): when data are inaccurate, or different agencies
//! provide values that do not agree, the authority has the providers check them by a deadline.
//!
//! A task is opened by a cross-check (比对, Art.23: two providers' resources compared on an
//! entity key — 身份证号 or 统一社会信用代码 — for one comparable item; values that differ open a
//! task to both providers) or by the authority by hand for one resource (e.g. a complaint about a
//! wrong address). States: open (waiting for answers) → answered (every addressed provider has
//! answered: `corrected` with a new batch, or `confirmed` with an explanation) → closed (by the
//! authority, with a comment). Who may take which step is decided by [`transition`]; the
//! providers' deadline counts working days from the opening ([`due_on`]).

use crate::aggregation::IdentifierKind;
use crate::calendar::WorkCalendar;
use crate::catalog::{DataItem, Problem};
use crate::error::{Error, Result, check_length};
use crate::identity::{Permission, Principal, Scope};
use crate::ids::OrgId;
use crate::text::Text;
use serde::{Deserialize, Serialize};
use time::Date;

pub mod schedule;

/// Working days the providers have when the authority names none.
pub const DEFAULT_WORKING_DAYS: i64 = 10;
/// The shortest deadline the authority may set.
pub const MIN_WORKING_DAYS: i64 = 1;
/// The longest deadline the authority may set.
pub const MAX_WORKING_DAYS: i64 = 60;
/// The most conflicting entries a cross-check keeps; the count stays exact beyond.
pub const MAX_KEPT_CONFLICTS: usize = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    /// 待校核: waiting for the addressed providers' answers.
    Open,
    /// 待办结: every addressed provider has answered; waiting for the authority.
    Answered,
    /// 已办结: closed by the authority with its comment.
    Closed,
}

impl TaskState {
    pub const ALL: [TaskState; 3] = [TaskState::Open, TaskState::Answered, TaskState::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Open => "open",
            TaskState::Answered => "answered",
            TaskState::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<TaskState> {
        TaskState::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            TaskState::Open => "待校核",
            TaskState::Answered => "待办结",
            TaskState::Closed => "已办结",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            TaskState::Open => "Awaiting verification",
            TaskState::Answered => "Answered",
            TaskState::Closed => "Closed",
        }
    }
}

/// How a task came about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskOrigin {
    /// 比对发现: a cross-check found values that differ.
    CrossCheck,
    /// 主管部门发起: opened by hand for one resource.
    Manual,
}

impl TaskOrigin {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskOrigin::CrossCheck => "cross_check",
            TaskOrigin::Manual => "manual",
        }
    }

    pub fn parse(s: &str) -> Option<TaskOrigin> {
        [TaskOrigin::CrossCheck, TaskOrigin::Manual].into_iter().find(|x| x.as_str() == s.trim())
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            TaskOrigin::CrossCheck => "比对发现",
            TaskOrigin::Manual => "主管部门发起",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            TaskOrigin::CrossCheck => "Cross-check",
            TaskOrigin::Manual => "Opened by the authority",
        }
    }
}

/// A provider's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerKind {
    /// 已更正: a batch delivered after the task opened carries the corrected data.
    Corrected,
    /// 确认无误: the provider's data stand, with its explanation.
    Confirmed,
}

impl AnswerKind {
    pub const ALL: [AnswerKind; 2] = [AnswerKind::Corrected, AnswerKind::Confirmed];

    pub fn as_str(self) -> &'static str {
        match self {
            AnswerKind::Corrected => "corrected",
            AnswerKind::Confirmed => "confirmed",
        }
    }

    pub fn parse(s: &str) -> Option<AnswerKind> {
        AnswerKind::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            AnswerKind::Corrected => "已更正",
            AnswerKind::Confirmed => "确认无误",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            AnswerKind::Corrected => "Corrected",
            AnswerKind::Confirmed => "Confirmed as correct",
        }
    }
}

/// The steps of a task after its opening.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskAction {
    /// An addressed provider answers for its data.
    Answer,
    /// The authority closes the task once every provider has answered.
    Close,
}

impl TaskAction {
    pub const ALL: [TaskAction; 2] = [TaskAction::Answer, TaskAction::Close];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskAction::Answer => "answer",
            TaskAction::Close => "close",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            TaskAction::Answer => "答复校核",
            TaskAction::Close => "办结",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            TaskAction::Answer => "Answer",
            TaskAction::Close => "Close",
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

fn working_days_problem(out: &mut Vec<Problem>, working_days: Option<i64>) {
    if working_days.is_some_and(|d| !(MIN_WORKING_DAYS..=MAX_WORKING_DAYS).contains(&d)) {
        out.push(problem(
            "working_days",
            format!("校核期限应为 {MIN_WORKING_DAYS} 到 {MAX_WORKING_DAYS} 个工作日"),
            format!("the deadline must be {MIN_WORKING_DAYS} to {MAX_WORKING_DAYS} working days"),
        ));
    }
}

fn trimmed(s: Option<String>) -> Option<String> {
    s.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// What the authority asks a cross-check to compare: two published resources of different
/// providers, the entity key of each (found by identifier kind when not named) and the item
/// compared (the same code in both unless `item_b` names another).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrossCheckSpec {
    pub resource_a: i64,
    pub resource_b: i64,
    /// The key item's code in resource A; found by identifier kind when absent.
    pub key_item_a: Option<String>,
    /// The key item's code in resource B; the same code as in A when absent and A's is named.
    pub key_item_b: Option<String>,
    /// The compared item's code in resource A.
    pub item_a: String,
    /// The compared item's code in resource B; `item_a` when absent.
    pub item_b: Option<String>,
    /// The providers' deadline in working days, should values differ; default
    /// [`DEFAULT_WORKING_DAYS`].
    pub working_days: Option<i64>,
}

impl CrossCheckSpec {
    /// Trims the codes and fills the defaults that follow from what was named.
    pub fn normalized(mut self) -> CrossCheckSpec {
        self.item_a = self.item_a.trim().to_string();
        self.key_item_a = trimmed(self.key_item_a);
        self.key_item_b = trimmed(self.key_item_b).or_else(|| self.key_item_a.clone());
        self.item_b = trimmed(self.item_b).or_else(|| Some(self.item_a.clone()).filter(|i| !i.is_empty()));
        self
    }

    /// The rules that need no database, each naming its field.
    pub fn problems(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        for (field, id) in [("resource_a", self.resource_a), ("resource_b", self.resource_b)] {
            if id <= 0 {
                out.push(problem(field, "请选择已发布的资源", "choose a published resource"));
            }
        }
        if self.resource_a > 0 && self.resource_a == self.resource_b {
            out.push(problem("resource_b", "比对需要两个不同的资源", "a cross-check compares two different resources"));
        }
        if self.item_a.is_empty() {
            out.push(problem(
                "item_a",
                "请填写要比对的数据项（如企业名称 enterprise_name）",
                "name the item to compare (e.g. enterprise_name)",
            ));
        }
        if self.key_item_b.is_some() && self.key_item_a.is_none() {
            out.push(problem(
                "key_item_a",
                "指定比对主键时，请同时填写资源 A 的主键数据项",
                "when naming the keys, name resource A's key item too",
            ));
        }
        working_days_problem(&mut out, self.working_days);
        out
    }
}

/// The pair of items a cross-check joins on and the pair it compares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comparison {
    pub key_a: DataItem,
    pub key_b: DataItem,
    /// The identifier the keys hold, when recognised (always, when they were found by kind).
    pub key_kind: Option<IdentifierKind>,
    pub item_a: DataItem,
    pub item_b: DataItem,
}

fn find<'a>(items: &'a [DataItem], code: &str) -> Option<&'a DataItem> {
    items.iter().find(|i| i.code.eq_ignore_ascii_case(code))
}

fn missing_item(field: &str, side: &str, code: &str) -> Problem {
    problem(
        field,
        format!("资源 {side} 没有已归集的数据项「{code}」"),
        format!("resource {side} has no delivered item {code:?}"),
    )
}

/// The entity keys the two resources share: items holding the same national identifier
/// (身份证号 or 统一社会信用代码; mobile numbers are not entity keys: they change hands).
fn shared_keys<'a>(a: &'a [DataItem], b: &'a [DataItem]) -> Vec<(&'a DataItem, &'a DataItem, IdentifierKind)> {
    let entity = |i: &DataItem| {
        IdentifierKind::of(i).filter(|k| matches!(k, IdentifierKind::IdCard | IdentifierKind::CreditCode))
    };
    let mut out = Vec::new();
    for ia in a {
        let Some(kind) = entity(ia) else { continue };
        for ib in b.iter().filter(|ib| entity(ib) == Some(kind)) {
            out.push((ia, ib, kind));
        }
    }
    out
}

/// Chooses what a cross-check compares, from the items each resource has delivered (`a`, `b`:
/// its catalogued items that have a column in its data table). Named keys are taken as named;
/// otherwise the one pair of items holding the same entity identifier, preferring the
/// resources' unique keys when there are several.
pub fn comparison(spec: &CrossCheckSpec, a: &[DataItem], b: &[DataItem]) -> Result<Comparison, Vec<Problem>> {
    let mut out = Vec::new();
    let keys = match (&spec.key_item_a, &spec.key_item_b) {
        (Some(ka), Some(kb)) => {
            let (fa, fb) = (find(a, ka), find(b, kb));
            if fa.is_none() {
                out.push(missing_item("key_item_a", "A", ka));
            }
            if fb.is_none() {
                out.push(missing_item("key_item_b", "B", kb));
            }
            fa.zip(fb).map(|(x, y)| {
                let kind = IdentifierKind::of(x).filter(|k| IdentifierKind::of(y) == Some(*k));
                (x, y, kind)
            })
        }
        _ => {
            let found = shared_keys(a, b);
            let unique: Vec<_> = found.iter().filter(|(x, y, _)| x.unique_key && y.unique_key).cloned().collect();
            match (found.as_slice(), unique.as_slice()) {
                ([(x, y, kind)], _) | (_, [(x, y, kind)]) => Some((*x, *y, Some(*kind))),
                ([], _) => {
                    out.push(problem(
                        "key_item_a",
                        "两个资源没有共同的主体标识（身份证号或统一社会信用代码）：请指定双方的比对主键数据项",
                        "the resources share no entity identifier (身份证号 or 统一社会信用代码): name each key item",
                    ));
                    None
                }
                _ => {
                    out.push(problem(
                        "key_item_a",
                        "两个资源有多对可作主键的标识数据项：请指定双方的比对主键数据项",
                        "the resources share several identifier items: name each key item",
                    ));
                    None
                }
            }
        }
    };
    let item_b_code = spec.item_b.clone().unwrap_or_else(|| spec.item_a.clone());
    let (ia, ib) = (find(a, &spec.item_a), find(b, &item_b_code));
    if ia.is_none() && !spec.item_a.is_empty() {
        out.push(missing_item("item_a", "A", &spec.item_a));
    }
    if ib.is_none() && !item_b_code.is_empty() {
        out.push(missing_item("item_b", "B", &item_b_code));
    }
    if let (Some((ka, kb, _)), Some(ia), Some(ib)) = (&keys, ia, ib)
        && (ka.code == ia.code || kb.code == ib.code)
    {
        out.push(problem("item_a", "比对的数据项不能是主键本身", "the compared item cannot be the key itself"));
    }
    match (keys, ia, ib) {
        (Some((ka, kb, kind)), Some(ia), Some(ib)) if out.is_empty() => Ok(Comparison {
            key_a: ka.clone(),
            key_b: kb.clone(),
            key_kind: kind,
            item_a: ia.clone(),
            item_b: ib.clone(),
        }),
        _ => Err(out),
    }
}

/// One pair of values that differ for the same entity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Conflict {
    pub key: String,
    pub value_a: String,
    pub value_b: String,
}

/// Counts and keeps what a cross-check finds, fed the joined rows ordered by key: each row a
/// key present in both resources with one value from each (`None` for NULL).
///
/// The rule for a conflict: both values present and non-empty after trimming, and different.
/// A value missing on one side is incompleteness, not inconsistency, and is not reported here.
/// Several rows for one key (a resource without a unique key) give one entry per distinct pair.
#[derive(Clone, Debug, Default)]
pub struct ConflictFinder {
    keys_compared: u64,
    rows_read: u64,
    conflicts: u64,
    kept: Vec<Conflict>,
    current_key: Option<String>,
    /// The distinct conflicting pairs of the current key.
    pairs: Vec<(String, String)>,
}

impl ConflictFinder {
    pub fn new() -> ConflictFinder {
        ConflictFinder::default()
    }

    /// Takes one joined row. Rows must arrive ordered by key.
    pub fn push(&mut self, key: &str, value_a: Option<&str>, value_b: Option<&str>) {
        self.rows_read += 1;
        let key = key.trim();
        if key.is_empty() {
            return;
        }
        if self.current_key.as_deref() != Some(key) {
            self.keys_compared += 1;
            self.current_key = Some(key.to_string());
            self.pairs.clear();
        }
        let (a, b) = (value_a.map(str::trim).unwrap_or(""), value_b.map(str::trim).unwrap_or(""));
        if a.is_empty() || b.is_empty() || a == b {
            return;
        }
        if self.pairs.iter().any(|(x, y)| x == a && y == b) {
            return;
        }
        self.pairs.push((a.to_string(), b.to_string()));
        self.conflicts += 1;
        if self.kept.len() < MAX_KEPT_CONFLICTS {
            self.kept.push(Conflict { key: key.to_string(), value_a: a.to_string(), value_b: b.to_string() });
        }
    }

    /// What the comparison found.
    pub fn finish(self) -> CrossCheckFindings {
        CrossCheckFindings {
            keys_compared: self.keys_compared,
            rows_read: self.rows_read,
            conflicts: self.conflicts,
            kept: self.kept,
        }
    }
}

/// The outcome of a comparison.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CrossCheckFindings {
    /// Distinct keys present in both resources.
    pub keys_compared: u64,
    /// Joined rows read (the data access the run's audit entry records).
    pub rows_read: u64,
    /// Every conflicting entry.
    pub conflicts: u64,
    /// The first [`MAX_KEPT_CONFLICTS`] conflicting entries, by key.
    pub kept: Vec<Conflict>,
}

/// What the authority gives to open a task by hand.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManualTask {
    /// The published resource whose data are in doubt; its provider is addressed.
    pub resource_id: i64,
    /// What is wrong, e.g. a complaint that an address is out of date.
    pub description: String,
    /// The provider's deadline in working days; default [`DEFAULT_WORKING_DAYS`].
    pub working_days: Option<i64>,
}

impl ManualTask {
    pub fn normalized(mut self) -> ManualTask {
        self.description = self.description.trim().to_string();
        self
    }

    pub fn problems(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        if self.resource_id <= 0 {
            out.push(problem("resource_id", "请选择已发布的资源", "choose a published resource"));
        }
        if self.description.is_empty() {
            out.push(problem(
                "description",
                "请说明需要校核的问题（如群众反映地址有误）",
                "describe what needs checking (e.g. a complaint that an address is wrong)",
            ));
        } else {
            length_problem(&mut out, "description", &self.description, 2, 2000);
        }
        working_days_problem(&mut out, self.working_days);
        out
    }
}

/// A provider's answer as given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AnswerInput {
    pub kind: Option<AnswerKind>,
    /// `corrected`: the batch that carries the correction.
    pub batch_id: Option<i64>,
    /// The explanation: required to confirm; optional with a correction.
    pub explanation: String,
}

impl AnswerInput {
    pub fn normalized(mut self) -> AnswerInput {
        self.explanation = self.explanation.trim().to_string();
        self
    }

    /// The rules an answer must meet before the batch it names is looked at.
    pub fn problems(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        length_problem(&mut out, "explanation", &self.explanation, 0, 2000);
        match self.kind {
            None => out.push(problem(
                "answer",
                "请选择答复：已更正（corrected）或确认无误（confirmed）",
                "choose the answer: corrected or confirmed",
            )),
            Some(AnswerKind::Corrected) if self.batch_id.is_none() => out.push(problem(
                "batch_id",
                "已更正时，请填写校核开始后归集的、载有更正数据的批次编号",
                "to answer corrected, give the batch delivered since the task opened that carries the correction",
            )),
            Some(AnswerKind::Confirmed) if self.explanation.is_empty() => out.push(problem(
                "explanation",
                "确认数据无误须说明依据",
                "confirming the data as correct needs an explanation",
            )),
            Some(_) => {}
        }
        out
    }
}

/// The authority's closing comment: required, it is the task's conclusion.
pub fn close_problems(comment: &str) -> Vec<Problem> {
    let mut out = Vec::new();
    if comment.trim().is_empty() {
        out.push(problem("comment", "办结须填写办结意见", "closing needs a comment"));
    } else {
        length_problem(&mut out, "comment", comment.trim(), 1, 1000);
    }
    out
}

/// Where a task stands, as far as the rules need to know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskFacts {
    pub state: TaskState,
    /// The addressed providers and whether each has answered.
    pub providers: Vec<(OrgId, bool)>,
}

impl TaskFacts {
    /// Whether `principal` may see the task: an addressed provider, and the roles that see all
    /// organisations (the authority, supervisors).
    pub fn visible_to(&self, principal: &Principal) -> bool {
        principal.scope() == Scope::All || principal.org_id.is_some_and(|o| self.providers.iter().any(|(p, _)| *p == o))
    }

    /// The actions `principal` may take now, for offering them on a page.
    pub fn available(&self, principal: &Principal) -> Vec<TaskAction> {
        TaskAction::ALL.into_iter().filter(|a| transition(principal, self, *a).is_ok()).collect()
    }

    /// The state once `provider` has answered: answered when it was the last to.
    pub fn after_answer(&self, provider: OrgId) -> TaskState {
        if self.providers.iter().all(|(p, answered)| *answered || *p == provider) {
            TaskState::Answered
        } else {
            TaskState::Open
        }
    }
}

/// The permissions that involve their holder in verification.
pub const VERIFICATION_PERMISSIONS: [Permission; 2] = [Permission::VerificationManage, Permission::VerificationAnswer];

/// Refuses unless `principal` may read verification tasks at all: holders of a verification
/// permission, and the roles that oversee every organisation (supervisors read; they act on
/// nothing).
pub fn require_read(principal: &Principal) -> Result<()> {
    if let Some(p) = VERIFICATION_PERMISSIONS.into_iter().find(|p| principal.has(*p)) {
        return principal.require(p);
    }
    if principal.scope() == Scope::All {
        return principal.require(Permission::CatalogRead);
    }
    principal.require(Permission::VerificationAnswer)
}

/// The state after `action`, or why `principal` may not take it now. The action's input is
/// checked by [`AnswerInput::problems`] and [`close_problems`].
pub fn transition(principal: &Principal, t: &TaskFacts, action: TaskAction) -> Result<TaskState> {
    match action {
        TaskAction::Answer => {
            principal.require(Permission::VerificationAnswer)?;
            let Some(own) = principal.org_id.and_then(|o| t.providers.iter().find(|(p, _)| *p == o)) else {
                return Err(Error::out_of_scope(
                    "只有校核任务所指向的数据提供单位可以答复",
                    "only a provider the task is addressed to can answer it",
                ));
            };
            if t.state != TaskState::Open {
                return Err(not_now(t, action));
            }
            if own.1 {
                return Err(Error::conflict("本单位已答复该校核任务", "your agency has already answered this task"));
            }
            Ok(t.after_answer(own.0))
        }
        // Art.11: the authority has the providers verify; it concludes once all have answered.
        TaskAction::Close => {
            principal.require(Permission::VerificationManage)?;
            match t.state {
                TaskState::Answered => Ok(TaskState::Closed),
                TaskState::Open => Err(Error::conflict(
                    "仍有数据提供单位未答复，全部答复后方可办结",
                    "some providers have not answered yet; the task closes once all have",
                )),
                TaskState::Closed => Err(not_now(t, action)),
            }
        }
    }
}

fn not_now(t: &TaskFacts, action: TaskAction) -> Error {
    Error::conflict(
        format!("校核任务当前状态为「{}」，不能{}", t.state.label_zh(), action.label_zh()),
        format!("the task is {}; it cannot be sent to '{}' now", t.state.label_en(), action.label_en()),
    )
}

/// The last working day on which the providers are on time: `working_days` after the day the
/// task was opened (day 0), on `calendar`.
pub fn due_on(opened_on: Date, working_days: i64, calendar: &WorkCalendar) -> Date {
    calendar.add_working_days(opened_on, working_days)
}

/// Overdue: still waiting for answers after the due date.
pub fn is_overdue(state: TaskState, due_on: Date, today: Date) -> bool {
    state == TaskState::Open && today > due_on
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{ItemType, Level};
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

    fn item(code: &str, name: &str, unique_key: bool) -> DataItem {
        DataItem {
            code: code.into(),
            name: name.into(),
            item_type: ItemType::String,
            length: Some(200),
            precision: None,
            scale: None,
            required: false,
            unique_key,
            description: String::new(),
            level: Level::L1,
            code_list: vec![],
        }
    }

    const MARKET: i64 = 3;
    const TAX: i64 = 4;

    fn market() -> Vec<DataItem> {
        vec![
            item("credit_code", "统一社会信用代码", true),
            item("enterprise_name", "企业名称", false),
            item("address", "注册地址", false),
        ]
    }

    fn tax() -> Vec<DataItem> {
        vec![item("uscc", "纳税人统一社会信用代码", true), item("enterprise_name", "纳税人名称", false)]
    }

    fn spec(item: &str) -> CrossCheckSpec {
        CrossCheckSpec { resource_a: 1, resource_b: 2, item_a: item.into(), ..CrossCheckSpec::default() }.normalized()
    }

    #[test]
    fn art_11_the_key_is_found_by_identifier_and_the_item_by_code() {
        let c = comparison(&spec("enterprise_name"), &market(), &tax()).unwrap();
        assert_eq!((c.key_a.code.as_str(), c.key_b.code.as_str()), ("credit_code", "uscc"));
        assert_eq!(c.key_kind, Some(IdentifierKind::CreditCode));
        assert_eq!((c.item_a.code.as_str(), c.item_b.code.as_str()), ("enterprise_name", "enterprise_name"));
        let named = CrossCheckSpec { item_b: Some("enterprise_name".into()), ..spec("address") };
        assert_eq!(comparison(&named, &market(), &tax()).unwrap().item_b.code, "enterprise_name");
        let fields = |s: &CrossCheckSpec| -> Vec<String> {
            comparison(s, &market(), &tax()).unwrap_err().into_iter().map(|p| p.field).collect()
        };
        assert_eq!(fields(&spec("address")), vec!["item_b"], "tax has no address");
        assert_eq!(fields(&spec("credit_code")), vec!["item_b"]);
        let itself = CrossCheckSpec { item_b: Some("uscc".into()), ..spec("credit_code") };
        assert_eq!(fields(&itself), vec!["item_a"], "the key is not compared with itself");
        let no_key = vec![item("enterprise_name", "企业名称", false)];
        let err = comparison(&spec("enterprise_name"), &market(), &no_key).unwrap_err();
        assert_eq!(err[0].field, "key_item_a");
        let keyed = CrossCheckSpec { key_item_a: Some("enterprise_name".into()), ..spec("address") }.normalized();
        assert_eq!(keyed.key_item_b.as_deref(), Some("enterprise_name"), "B's key defaults to A's code");
    }

    #[test]
    fn several_shared_identifiers_prefer_unique_keys_or_must_be_named() {
        let mut a = market();
        a.push(item("legal_rep_id_card", "法定代表人身份证号", false));
        let mut b = tax();
        b.push(item("sfzh", "法定代表人身份证号", false));
        let c = comparison(&spec("enterprise_name"), &a, &b).unwrap();
        assert_eq!(c.key_a.code, "credit_code", "the unique keys win");
        a[0].unique_key = false;
        let err = comparison(&spec("enterprise_name"), &a, &b).unwrap_err();
        assert_eq!(err[0].field, "key_item_a");
        let named = CrossCheckSpec {
            key_item_a: Some("legal_rep_id_card".into()),
            key_item_b: Some("sfzh".into()),
            ..spec("enterprise_name")
        };
        assert_eq!(comparison(&named, &a, &b).unwrap().key_kind, Some(IdentifierKind::IdCard));
    }

    #[test]
    fn a_spec_names_the_fields_it_lacks() {
        let bad = CrossCheckSpec { resource_a: 2, resource_b: 2, working_days: Some(61), ..CrossCheckSpec::default() };
        let fields: Vec<String> = bad.normalized().problems().into_iter().map(|p| p.field).collect();
        assert_eq!(fields, vec!["resource_b", "item_a", "working_days"]);
        let only_b = CrossCheckSpec { key_item_b: Some("uscc".into()), ..spec("enterprise_name") };
        assert_eq!(only_b.problems()[0].field, "key_item_a");
        assert!(CrossCheckSpec { working_days: Some(1), ..spec("x") }.problems().is_empty());
        assert_eq!(CrossCheckSpec { working_days: Some(0), ..spec("x") }.problems()[0].field, "working_days");
    }

    #[test]
    fn art_11_only_differing_present_values_are_conflicts() {
        let mut f = ConflictFinder::new();
        f.push("91330212A", Some("宁波甲公司"), Some(" 宁波甲公司 "));
        f.push("91330212B", Some("宁波乙公司"), Some("宁波乙有限公司"));
        f.push("91330212B", Some("宁波乙公司"), Some("宁波乙有限公司"));
        f.push("91330212C", None, Some("宁波丙公司"));
        f.push("91330212D", Some("宁波丁公司"), Some("  "));
        f.push("", Some("x"), Some("y"));
        let found = f.finish();
        assert_eq!((found.keys_compared, found.conflicts, found.rows_read), (4, 1, 6));
        assert_eq!(
            found.kept,
            vec![Conflict {
                key: "91330212B".into(), value_a: "宁波乙公司".into(), value_b: "宁波乙有限公司".into()
            }]
        );
    }

    #[test]
    fn only_the_first_thousand_conflicts_are_kept_but_all_are_counted() {
        let mut f = ConflictFinder::new();
        for n in 0..1500 {
            f.push(&format!("K{n:05}"), Some("甲"), Some("乙"));
        }
        let found = f.finish();
        assert_eq!((found.conflicts, found.kept.len()), (1500, MAX_KEPT_CONFLICTS));
        assert_eq!(found.kept[999].key, "K00999");
    }

    #[test]
    fn art_11_each_provider_answers_once_and_the_authority_closes_after_all() {
        let staff = who(Role::AuthorityStaff, 1);
        let market_officer = who(Role::AgencyDataOfficer, MARKET);
        let tax_officer = who(Role::AccountableHead, TAX);
        let mut t = TaskFacts { state: TaskState::Open, providers: vec![(OrgId(MARKET), false), (OrgId(TAX), false)] };
        assert_eq!(t.available(&market_officer), vec![TaskAction::Answer]);
        assert_eq!(t.available(&staff), Vec::<TaskAction>::new(), "nothing to close before the answers");
        assert_eq!(transition(&market_officer, &t, TaskAction::Answer), Ok(TaskState::Open));
        t.providers[0].1 = true;
        assert!(matches!(transition(&market_officer, &t, TaskAction::Answer), Err(Error::Conflict(_))));
        assert!(matches!(transition(&staff, &t, TaskAction::Close), Err(Error::Conflict(_))));
        assert_eq!(transition(&tax_officer, &t, TaskAction::Answer), Ok(TaskState::Answered));
        t.providers[1].1 = true;
        t.state = TaskState::Answered;
        assert_eq!(t.available(&staff), vec![TaskAction::Close]);
        assert_eq!(
            transition(&market_officer, &t, TaskAction::Close),
            Err(Error::Forbidden(Permission::VerificationManage))
        );
        let other = who(Role::AgencyDataOfficer, 9);
        assert!(matches!(transition(&other, &t, TaskAction::Answer), Err(Error::OutOfScope(_))));
        assert!(!t.visible_to(&other) && t.visible_to(&market_officer) && t.visible_to(&staff));
        assert_eq!(transition(&staff, &t, TaskAction::Answer), Err(Error::Forbidden(Permission::VerificationAnswer)));
        let supervisor = who(Role::Supervisor, 9);
        assert!(t.visible_to(&supervisor) && t.available(&supervisor).is_empty());
    }

    #[test]
    fn reading_needs_a_verification_permission_or_oversight() {
        assert!(require_read(&who(Role::AgencyDataOfficer, MARKET)).is_ok());
        assert!(require_read(&who(Role::AuthorityStaff, 1)).is_ok());
        assert!(require_read(&who(Role::Supervisor, 9)).is_ok());
        assert_eq!(require_read(&who(Role::ServiceUnit, 8)), Err(Error::Forbidden(Permission::VerificationAnswer)));
    }

    #[test]
    fn answers_and_closing_name_what_they_lack() {
        let fields =
            |a: AnswerInput| -> Vec<String> { a.normalized().problems().into_iter().map(|p| p.field).collect() };
        assert_eq!(fields(AnswerInput::default()), vec!["answer"]);
        let corrected = AnswerInput { kind: Some(AnswerKind::Corrected), ..AnswerInput::default() };
        assert_eq!(fields(corrected.clone()), vec!["batch_id"]);
        assert!(fields(AnswerInput { batch_id: Some(7), ..corrected }).is_empty());
        let confirmed =
            AnswerInput { kind: Some(AnswerKind::Confirmed), explanation: "  ".into(), ..AnswerInput::default() };
        assert_eq!(fields(confirmed.clone()), vec!["explanation"]);
        assert!(fields(AnswerInput { explanation: "经核对营业执照，名称无误".into(), ..confirmed }).is_empty());
        assert_eq!(close_problems(" ")[0].field, "comment");
        assert!(close_problems("双方已更正").is_empty());
        let manual = ManualTask { resource_id: 0, description: " ".into(), working_days: Some(100) }.normalized();
        let fields: Vec<String> = manual.problems().into_iter().map(|p| p.field).collect();
        assert_eq!(fields, vec!["resource_id", "description", "working_days"]);
    }

    #[test]
    fn art_11_deadline_counts_working_days_across_national_day() {
        let cal = WorkCalendar::bundled().unwrap();
        // Opened Tuesday 29 Sep 2026: 30 Sep, 8, 9, 10 (make-up Saturday), 12, 13, 14, 15, 16, 19 Oct.
        let due = due_on(date!(2026 - 09 - 29), DEFAULT_WORKING_DAYS, &cal);
        assert_eq!(due, date!(2026 - 10 - 19));
        assert_eq!(due_on(date!(2026 - 09 - 30), 3, &cal), date!(2026 - 10 - 10));
        assert!(!is_overdue(TaskState::Open, due, date!(2026 - 10 - 19)));
        assert!(is_overdue(TaskState::Open, due, date!(2026 - 10 - 20)));
        assert!(!is_overdue(TaskState::Answered, due, date!(2026 - 10 - 20)), "answered in full: not overdue");
    }
}
