//! Data verification (Art.11): the task lists (addressed to us, all for the authority) with
//! overdue badges, the authority's forms to run a cross-check, to schedule one and to open a
//! task by hand, the scheduled cross-checks and the history of runs, and a task's page with its
//! providers' answers, the conflicting entries and the forms of the steps open to the visitor.
//!
//! Ids: `#verification-tabs`, `#tasks`, `#cross-check-form`, `#manual-form`, `#form-problems`,
//! `#schedules`, `#schedule-list`, `#schedule-form`, `#cross-checks`, `#task-state`, `#overdue`,
//! `#due-on`, `#task-facts`, `#providers`, `#conflicts`, `#task-actions`, `#action-answer`,
//! `#action-close`.

use super::catalog::{ProblemView, error_problems, org_names, when, whole};
use super::{FlashQuery, PageCtx, done, error_page, render_status};
use crate::AppState;
use crate::api::verification::{AnswerRequest, CreateSchedule, RunCrossCheck, parse_list};
use crate::auth::{Page, perm};
use crate::error::ApiError;
use crate::extract::CsrfForm;
use crate::i18n::Lang;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use pubdata_domain::identity::{Permission, Scope};
use pubdata_domain::verification::schedule::{DEFAULT_INTERVAL, MAX_INTERVAL, MIN_INTERVAL};
use pubdata_domain::verification::{
    DEFAULT_WORKING_DAYS, MAX_WORKING_DAYS, MIN_WORKING_DAYS, ManualTask, TaskAction, TaskOrigin, TaskState,
};
use pubdata_store::verification::schedules::{self, Schedule};
use pubdata_store::verification::{self, Candidate, TaskDetail, TaskFilter, TaskList};
use serde::Deserialize;
use std::collections::HashMap;

fn state_label(lang: Lang, s: TaskState) -> String {
    lang.pick(s.label_zh(), s.label_en()).to_string()
}

fn origin_label(lang: Lang, o: TaskOrigin) -> String {
    lang.pick(o.label_zh(), o.label_en()).to_string()
}

fn field_label(lang: Lang, field: &str) -> String {
    let key = match field {
        "resource_a" => "verification.resource_a",
        "resource_b" => "verification.resource_b",
        "key_item_a" => "verification.key_item_a",
        "key_item_b" => "verification.key_item_b",
        "item_a" => "verification.item_a",
        "item_b" => "verification.item_b",
        "working_days" => "verification.working_days",
        "every_working_days" => "verification.every_working_days",
        "starts_on" => "verification.starts_on",
        "resource_id" => "verification.resource",
        "description" => "verification.description",
        "answer" => "verification.answer",
        "batch_id" => "verification.batch_id",
        "explanation" => "verification.explanation",
        "comment" => "verification.close_comment",
        _ => return field.to_string(),
    };
    lang.t(key).to_string()
}

/// The problems an error names, each with its field; `None` when it concerns no field (shown
/// as a flash message instead).
fn problems_of(lang: Lang, e: &ApiError) -> Option<Vec<ProblemView>> {
    error_problems(lang, e, field_label, whole, whole)
}

fn name_of(names: &HashMap<i64, String>, id: i64) -> String {
    names.get(&id).cloned().unwrap_or_else(|| format!("#{id}"))
}

/// The deadline rule, from the constants that enforce it.
fn deadline_rule(lang: Lang) -> String {
    let (d, min, max) = (DEFAULT_WORKING_DAYS, MIN_WORKING_DAYS, MAX_WORKING_DAYS);
    if lang.is_en() {
        format!(
            "Providers verify within a deadline counted in working days from the day the task is opened: {d} unless the authority sets another ({min} to {max}). A task past its due date without every answer is overdue."
        )
    } else {
        format!(
            "数据提供单位应在期限内校核完毕（第十一条）。期限自任务发起之日起按工作日计算，默认 {d} 个工作日，主管部门可设定 {min} 至 {max} 个工作日；逾期仍未全部答复的任务标为已逾期。"
        )
    }
}

fn number(field: &str, v: &str) -> Result<Option<i64>, ApiError> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    v.parse::<i64>().map(Some).map_err(|_| ApiError::invalid(field, "应为数字", "must be a number"))
}

fn text(v: &str) -> Option<String> {
    Some(v.trim().to_string()).filter(|s| !s.is_empty())
}

// ---------------------------------------------------------------------------------------------
// The list, with the authority's forms

#[derive(Deserialize, Default)]
pub struct ListQ {
    tab: Option<String>,
    state: Option<String>,
    overdue: Option<String>,
    flash: Option<String>,
}

pub struct Tab {
    pub code: &'static str,
    pub label: &'static str,
    pub active: bool,
}

pub struct TaskRow {
    pub id: i64,
    pub title: String,
    pub origin: String,
    pub providers: String,
    pub state_code: &'static str,
    pub state: String,
    pub answered: String,
    pub opened_at: String,
    pub due_on: String,
    pub overdue: bool,
}

pub struct RunRow {
    pub id: i64,
    pub run_at: String,
    pub resource_a: String,
    pub resource_b: String,
    pub items: String,
    pub keys_compared: i64,
    pub conflicts: i64,
    pub task_id: Option<i64>,
    pub schedule_id: Option<i64>,
}

/// A scheduled cross-check as its table shows it.
pub struct ScheduleView {
    pub id: i64,
    pub resources: String,
    pub items: String,
    pub interval: String,
    pub next_run_on: String,
    pub active: bool,
    pub status: String,
    /// When the last run compared and what it found.
    pub last_run: String,
    pub last_task_id: Option<i64>,
    /// The schedule's task still being verified, when it is not the last run's own.
    pub pending_task_id: Option<i64>,
    pub last_error: Option<String>,
}

fn schedule_view(lang: Lang, names: &HashMap<i64, String>, s: Schedule) -> ScheduleView {
    let unit = lang.t("verification.working_days_unit");
    let last_run = match &s.last_run {
        None => lang.t("verification.not_run_yet").to_string(),
        Some(r) if r.conflicts == 0 => format!("{} · {}", when(&r.run_at), lang.t("verification.consistent")),
        Some(r) if lang.is_en() => format!("{} · {} conflicting", when(&r.run_at), r.conflicts),
        Some(r) => format!("{} · {} 条不一致", when(&r.run_at), r.conflicts),
    };
    let last_task_id = s.last_run.as_ref().and_then(|r| r.task_id);
    ScheduleView {
        id: s.id,
        resources: format!(
            "{}（{}）↔ {}（{}）",
            s.resource_a_name,
            name_of(names, s.provider_a),
            s.resource_b_name,
            name_of(names, s.provider_b)
        ),
        items: format!("{} = {} · {} ↔ {}", s.key_item_a, s.key_item_b, s.item_a, s.item_b),
        interval: if lang.is_en() {
            format!("every {} {unit}", s.every_working_days)
        } else {
            format!("每 {} {unit}", s.every_working_days)
        },
        next_run_on: s.next_run_on,
        active: s.active,
        status: lang
            .t(if s.active { "verification.schedule_active" } else { "verification.schedule_inactive" })
            .to_string(),
        last_run,
        last_task_id,
        pending_task_id: s.pending_task_id.filter(|t| Some(*t) != last_task_id),
        last_error: s.last_error.map(|e| lang.pick(&e.zh, &e.en).to_string()),
    }
}

/// A resource offered by the forms.
pub struct ResourceOption {
    pub id: String,
    pub label: String,
    pub items: String,
}

/// The posted cross-check or manual-task form, to fill it again after a refusal.
#[derive(Deserialize, Default)]
pub struct PostedForm {
    #[serde(default)]
    resource_a: String,
    #[serde(default)]
    resource_b: String,
    #[serde(default)]
    key_item_a: String,
    #[serde(default)]
    key_item_b: String,
    #[serde(default)]
    item_a: String,
    #[serde(default)]
    item_b: String,
    #[serde(default)]
    resource_id: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    working_days: String,
    #[serde(default)]
    every_working_days: String,
    #[serde(default)]
    starts_on: String,
}

impl PostedForm {
    fn schedule(&self) -> Result<CreateSchedule, ApiError> {
        let spec = self.cross_check()?;
        Ok(CreateSchedule {
            resource_a: spec.resource_a,
            resource_b: spec.resource_b,
            key_item_a: spec.key_item_a,
            key_item_b: spec.key_item_b,
            item_a: spec.item_a,
            item_b: spec.item_b,
            working_days: spec.working_days,
            every_working_days: number("every_working_days", &self.every_working_days)?.unwrap_or_default(),
            starts_on: text(&self.starts_on),
        })
    }

    fn cross_check(&self) -> Result<RunCrossCheck, ApiError> {
        Ok(RunCrossCheck {
            resource_a: number("resource_a", &self.resource_a)?.unwrap_or_default(),
            resource_b: number("resource_b", &self.resource_b)?.unwrap_or_default(),
            key_item_a: text(&self.key_item_a),
            key_item_b: text(&self.key_item_b),
            item_a: self.item_a.clone(),
            item_b: text(&self.item_b),
            working_days: number("working_days", &self.working_days)?,
        })
    }

    fn manual(&self) -> Result<ManualTask, ApiError> {
        Ok(ManualTask {
            resource_id: number("resource_id", &self.resource_id)?.unwrap_or_default(),
            description: self.description.clone(),
            working_days: number("working_days", &self.working_days)?,
        })
    }
}

#[derive(Template)]
#[template(path = "verification_list.html")]
struct ListPage {
    ctx: PageCtx,
    tabs: Vec<Tab>,
    tab: &'static str,
    states: Vec<(&'static str, String)>,
    state: String,
    overdue_only: bool,
    rows: Vec<TaskRow>,
    can_manage: bool,
    resources: Vec<ResourceOption>,
    schedules: Vec<ScheduleView>,
    runs: Vec<RunRow>,
    /// `cross_check`, `schedule` or `manual`: the form that failed.
    failed: &'static str,
    posted: PostedForm,
    problems: Vec<ProblemView>,
    default_days: i64,
    min_days: i64,
    max_days: i64,
    min_interval: i64,
    max_interval: i64,
    rule: String,
}

impl ListPage {
    fn err(&self, form: &str, field: &str) -> String {
        if self.failed != form {
            return String::new();
        }
        self.problems.iter().filter(|p| p.field == field).map(|p| p.message.as_str()).collect::<Vec<_>>().join("；")
    }

    /// The posted value of `field` when `form` failed, else empty.
    fn value(&self, form: &str, field: &str) -> String {
        if self.failed != form {
            return match field {
                "working_days" => self.default_days.to_string(),
                "every_working_days" => DEFAULT_INTERVAL.to_string(),
                _ => String::new(),
            };
        }
        let p = &self.posted;
        match field {
            "resource_a" => p.resource_a.clone(),
            "resource_b" => p.resource_b.clone(),
            "key_item_a" => p.key_item_a.clone(),
            "key_item_b" => p.key_item_b.clone(),
            "item_a" => p.item_a.clone(),
            "item_b" => p.item_b.clone(),
            "resource_id" => p.resource_id.clone(),
            "description" => p.description.clone(),
            "working_days" => p.working_days.clone(),
            "every_working_days" => p.every_working_days.clone(),
            "starts_on" => p.starts_on.clone(),
            _ => String::new(),
        }
    }
}

fn resource_options(lang: Lang, names: &HashMap<i64, String>, candidates: Vec<Candidate>) -> Vec<ResourceOption> {
    candidates
        .into_iter()
        .map(|c| {
            let items = c
                .items
                .iter()
                .map(|i| match i.identifier {
                    Some(kind) if kind != "mobile" => {
                        format!("{} {}（{}）", i.code, i.name, lang.t("verification.key_mark"))
                    }
                    _ => format!("{} {}", i.code, i.name),
                })
                .collect::<Vec<_>>()
                .join("；");
            ResourceOption {
                id: c.id.to_string(),
                label: format!("#{} {}（{}）", c.id, c.name, name_of(names, c.provider_org_id)),
                items,
            }
        })
        .collect()
}

pub async fn list(
    State(state): State<AppState>,
    page: Page<perm::VerificationRead>,
    uri: Uri,
    Query(q): Query<ListQ>,
) -> Response {
    let overdue_only = q.overdue.as_deref().is_some_and(|v| !v.is_empty() && v != "0" && v != "false");
    let filter = (q.tab.clone(), q.state.clone(), overdue_only);
    list_page(&state, &page, &uri, filter, q.flash.as_deref(), ("", PostedForm::default()), None).await
}

async fn list_page<R>(
    state: &AppState,
    page: &Page<R>,
    uri: &Uri,
    (tab, filter_state, overdue_only): (Option<String>, Option<String>, bool),
    flash: Option<&str>,
    (failed, posted): (&'static str, PostedForm),
    error: Option<ApiError>,
) -> Response {
    let lang = page.lang;
    let p = &page.caller.principal;
    let (which, filter_state) = match parse_list(tab.as_deref(), filter_state.as_deref(), p) {
        Ok(x) => x,
        Err(e) => return error_page(lang, e),
    };
    let filter = TaskFilter { state: filter_state, overdue_only };
    let tasks = match verification::list(&state.store, &page.caller, which, filter).await {
        Ok(l) => l,
        Err(e) => return error_page(lang, e.into()),
    };
    let names = org_names(state, page, lang).await;
    let rows = tasks
        .into_iter()
        .map(|t| TaskRow {
            id: t.id,
            origin: origin_label(lang, t.origin),
            providers: t.provider_org_ids.iter().map(|o| name_of(&names, *o)).collect::<Vec<_>>().join("、"),
            state_code: t.state.as_str(),
            state: state_label(lang, t.state),
            answered: format!("{}/{}", t.answered, t.provider_org_ids.len()),
            opened_at: when(&t.opened_at),
            due_on: t.due_on,
            overdue: t.overdue,
            title: t.title,
        })
        .collect();
    let can_manage = p.has(Permission::VerificationManage);
    let resources = if can_manage {
        verification::candidates(&state.store, &page.caller)
            .await
            .map(|c| resource_options(lang, &names, c))
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let schedules = schedules::schedules(&state.store, &page.caller)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|s| schedule_view(lang, &names, s))
        .collect();
    let runs = verification::cross_checks(&state.store, &page.caller)
        .await
        .unwrap_or_default()
        .into_iter()
        .take(20)
        .map(|c| RunRow {
            id: c.id,
            run_at: when(&c.run_at),
            resource_a: c.resource_a_name,
            resource_b: c.resource_b_name,
            items: if c.item_a == c.item_b { c.item_a } else { format!("{} ↔ {}", c.item_a, c.item_b) },
            keys_compared: c.keys_compared,
            conflicts: c.conflicts,
            task_id: c.task_id,
            schedule_id: c.schedule_id,
        })
        .collect();
    let mut tabs = Vec::new();
    for (list, key, shown) in [
        (TaskList::Mine, "verification.tab_mine", p.has(Permission::VerificationAnswer)),
        (TaskList::All, "verification.tab_all", p.scope() == Scope::All),
    ] {
        if shown || list == which {
            tabs.push(Tab { code: list.as_str(), label: lang.t(key), active: list == which });
        }
    }
    let mut ctx = PageCtx::new(page, "verification.title", uri, flash).crumb("verification.title", "/verification");
    let mut status = StatusCode::OK;
    let mut problems = Vec::new();
    if let Some(e) = error {
        status = e.status;
        match problems_of(lang, &e) {
            Some(p) => problems = p,
            None => ctx = ctx.error(&e),
        }
    }
    let view = ListPage {
        ctx,
        tabs,
        tab: which.as_str(),
        states: TaskState::ALL.iter().map(|s| (s.as_str(), state_label(lang, *s))).collect(),
        state: filter_state.map(|s| s.as_str().to_string()).unwrap_or_default(),
        overdue_only,
        rows,
        can_manage,
        resources,
        schedules,
        runs,
        failed,
        posted,
        problems,
        default_days: DEFAULT_WORKING_DAYS,
        min_days: MIN_WORKING_DAYS,
        max_days: MAX_WORKING_DAYS,
        min_interval: MIN_INTERVAL,
        max_interval: MAX_INTERVAL,
        rule: deadline_rule(lang),
    };
    render_status(status, &view)
}

/// The list page again after a refused form, as the authority's own view.
async fn refused(
    state: &AppState,
    page: Page<perm::VerificationManage>,
    failed: &'static str,
    posted: PostedForm,
    e: ApiError,
) -> Response {
    let uri = Uri::from_static("/verification");
    list_page(state, &page, &uri, (None, None, false), None, (failed, posted), Some(e)).await
}

pub async fn run_cross_check(
    State(state): State<AppState>,
    page: Page<perm::VerificationManage>,
    form: CsrfForm<PostedForm>,
) -> Response {
    let posted = form.value;
    let result = async {
        let spec = posted.cross_check()?;
        Ok::<_, ApiError>(verification::run_cross_check(&state.store, &page.caller, spec.into()).await?)
    }
    .await;
    match result {
        Ok(out) => match out.task {
            Some(t) => done(&format!("/verification/{}", t.id), "verification.opened"),
            None => done("/verification", "verification.no_conflicts"),
        },
        Err(e) => refused(&state, page, "cross_check", posted, e).await,
    }
}

pub async fn create_schedule(
    State(state): State<AppState>,
    page: Page<perm::VerificationManage>,
    form: CsrfForm<PostedForm>,
) -> Response {
    let posted = form.value;
    let result = async {
        let new = posted.schedule()?.parse()?;
        Ok::<_, ApiError>(schedules::create_schedule(&state.store, &page.caller, new).await?)
    }
    .await;
    match result {
        Ok(_) => done("/verification", "verification.schedule_created"),
        Err(e) => refused(&state, page, "schedule", posted, e).await,
    }
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn deactivate_schedule(
    State(state): State<AppState>,
    page: Page<perm::VerificationManage>,
    Path(id): Path<i64>,
    _form: CsrfForm<Empty>,
) -> Response {
    match schedules::deactivate_schedule(&state.store, &page.caller, id).await {
        Ok(_) => done("/verification", "verification.schedule_deactivated"),
        Err(e) => refused(&state, page, "", PostedForm::default(), e.into()).await,
    }
}

pub async fn open(
    State(state): State<AppState>,
    page: Page<perm::VerificationManage>,
    form: CsrfForm<PostedForm>,
) -> Response {
    let posted = form.value;
    let result = async {
        let task = posted.manual()?;
        Ok::<_, ApiError>(verification::open(&state.store, &page.caller, task).await?)
    }
    .await;
    match result {
        Ok(t) => done(&format!("/verification/{}", t.id), "verification.opened"),
        Err(e) => refused(&state, page, "manual", posted, e).await,
    }
}

// ---------------------------------------------------------------------------------------------
// One task

pub struct ProviderRow {
    pub name: String,
    pub resource_id: i64,
    pub resource: String,
    pub side: String,
    pub answer_code: String,
    pub answer: String,
    pub batch_id: Option<i64>,
    pub explanation: String,
    pub answered: String,
    pub on_time: Option<bool>,
}

/// What was posted, to fill a failed form again.
#[derive(Deserialize, Default)]
pub struct PostedStep {
    #[serde(default)]
    answer: String,
    #[serde(default)]
    batch_id: String,
    #[serde(default)]
    explanation: String,
    #[serde(default)]
    comment: String,
}

#[derive(Template)]
#[template(path = "verification_detail.html")]
struct DetailPage {
    ctx: PageCtx,
    t: TaskDetail,
    state: String,
    origin: String,
    providers: Vec<ProviderRow>,
    provider_a: String,
    provider_b: String,
    can_answer: bool,
    can_close: bool,
    /// The visitor's own resource in the task, whose batches a correction names.
    own_resource: Option<i64>,
    /// `answer` or `close`: the form that failed.
    failed: &'static str,
    posted: PostedStep,
    problems: Vec<ProblemView>,
    rule: String,
}

impl DetailPage {
    fn at(&self, s: &str) -> String {
        when(s)
    }

    fn err(&self, form: &str, field: &str) -> String {
        if self.failed != form {
            return String::new();
        }
        self.problems.iter().filter(|p| p.field == field).map(|p| p.message.as_str()).collect::<Vec<_>>().join("；")
    }

    fn value(&self, form: &str, field: &str) -> String {
        if self.failed != form {
            return String::new();
        }
        match field {
            "answer" => self.posted.answer.clone(),
            "batch_id" => self.posted.batch_id.clone(),
            "explanation" => self.posted.explanation.clone(),
            "comment" => self.posted.comment.clone(),
            _ => String::new(),
        }
    }

    /// Whether the conflicts shown are fewer than those found.
    fn conflicts_truncated(&self) -> bool {
        self.t.cross_check.as_ref().is_some_and(|c| c.conflicts > self.t.conflicts.len() as i64)
    }
}

pub async fn detail(
    State(state): State<AppState>,
    page: Page<perm::VerificationRead>,
    uri: Uri,
    Path(id): Path<i64>,
    Query(q): Query<FlashQuery>,
) -> Response {
    detail_page(&state, &page, &uri, id, q.flash.as_deref(), ("", PostedStep::default()), None).await
}

async fn detail_page<R>(
    state: &AppState,
    page: &Page<R>,
    uri: &Uri,
    id: i64,
    flash: Option<&str>,
    (failed, posted): (&'static str, PostedStep),
    error: Option<ApiError>,
) -> Response {
    let lang = page.lang;
    let t = match verification::get(&state.store, &page.caller, id).await {
        Ok(t) => t,
        Err(e) => return error_page(lang, e.into()),
    };
    let names = org_names(state, page, lang).await;
    let mut ctx = PageCtx::new(page, "verification.title", uri, flash)
        .crumb("verification.title", "/verification")
        .crumb_text(&t.title, &format!("/verification/{id}"));
    ctx.title = t.title.clone();
    let mut status = StatusCode::OK;
    let mut problems = Vec::new();
    if let Some(e) = error {
        status = e.status;
        match problems_of(lang, &e) {
            Some(p) => problems = p,
            None => ctx = ctx.error(&e),
        }
    }
    let providers: Vec<ProviderRow> = t
        .providers
        .iter()
        .map(|p| ProviderRow {
            name: name_of(&names, p.org_id),
            resource_id: p.resource.id,
            resource: p.resource.name.clone(),
            side: p.side.to_uppercase(),
            answer_code: p.answer.map(|a| a.as_str().to_string()).unwrap_or_default(),
            answer: p.answer.map_or_else(
                || lang.t("verification.not_answered").to_string(),
                |a| lang.pick(a.label_zh(), a.label_en()).to_string(),
            ),
            batch_id: p.batch_id,
            explanation: p.explanation.clone().unwrap_or_default(),
            answered: match (&p.answered_by, &p.answered_at) {
                (Some(by), Some(at)) => format!("{by} · {}", when(at)),
                _ => String::new(),
            },
            on_time: p.on_time,
        })
        .collect();
    let side_name =
        |side: &str| t.providers.iter().find(|p| p.side == side).map(|p| name_of(&names, p.org_id)).unwrap_or_default();
    let view = DetailPage {
        ctx,
        state: state_label(lang, t.state),
        origin: origin_label(lang, t.origin),
        provider_a: side_name("a"),
        provider_b: side_name("b"),
        providers,
        can_answer: t.actions.contains(&TaskAction::Answer),
        own_resource: page
            .caller
            .principal
            .org_id
            .and_then(|o| t.providers.iter().find(|p| p.org_id == o.0))
            .map(|p| p.resource.id),
        can_close: t.actions.contains(&TaskAction::Close),
        failed,
        posted,
        problems,
        rule: deadline_rule(lang),
        t,
    };
    render_status(status, &view)
}

pub async fn answer(
    State(state): State<AppState>,
    page: Page<perm::VerificationAnswer>,
    Path(id): Path<i64>,
    form: CsrfForm<PostedStep>,
) -> Response {
    let posted = form.value;
    let result = async {
        let request = AnswerRequest {
            answer: posted.answer.clone(),
            batch_id: number("batch_id", &posted.batch_id)?,
            explanation: posted.explanation.clone(),
        };
        Ok::<_, ApiError>(verification::answer(&state.store, &page.caller, id, request.parse()?).await?)
    }
    .await;
    match result {
        Ok(_) => done(&format!("/verification/{id}"), "verification.answered"),
        Err(e) => {
            let uri = Uri::try_from(format!("/verification/{id}")).unwrap_or_default();
            detail_page(&state, &page, &uri, id, None, ("answer", posted), Some(e)).await
        }
    }
}

pub async fn close(
    State(state): State<AppState>,
    page: Page<perm::VerificationManage>,
    Path(id): Path<i64>,
    form: CsrfForm<PostedStep>,
) -> Response {
    let posted = form.value;
    match verification::close(&state.store, &page.caller, id, &posted.comment).await {
        Ok(_) => done(&format!("/verification/{id}"), "verification.closed"),
        Err(e) => {
            let uri = Uri::try_from(format!("/verification/{id}")).unwrap_or_default();
            detail_page(&state, &page, &uri, id, None, ("close", posted), Some(e.into())).await
        }
    }
}
