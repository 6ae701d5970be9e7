//! `/verification`: data verification (Art.11). The authority runs cross-checks of two
//! providers' resources (values that differ open a task to both) or opens a task by hand for
//! one resource; the addressed providers answer (corrected, with a new batch, or confirmed,
//! with an explanation) by a deadline in working days; the authority closes the task.
//! Scheduled cross-checks run the same comparison every so many working days.

use crate::AppState;
use crate::auth::{Api, perm};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, code_param};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pubdata_domain::identity::{Principal, Scope};
use pubdata_domain::timefmt;
use pubdata_domain::verification::schedule::NewSchedule;
use pubdata_domain::verification::{AnswerInput, AnswerKind, CrossCheckSpec, ManualTask, TaskState};
use pubdata_store::verification::schedules::{self, Schedule};
use pubdata_store::verification::{self, CrossCheck, CrossCheckOutcome, TaskDetail, TaskFilter, TaskList, TaskSummary};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct RunCrossCheck {
    /// Resource A: a published resource with delivered rows.
    pub resource_a: i64,
    /// Resource B: a published resource of another provider, with delivered rows.
    pub resource_b: i64,
    /// A's entity key item (code). Absent: the items of both resources holding the same
    /// identifier (身份证号 or 统一社会信用代码) are joined.
    pub key_item_a: Option<String>,
    /// B's entity key item (code); default: A's code.
    pub key_item_b: Option<String>,
    /// The compared item's code in A, e.g. `enterprise_name`.
    pub item_a: String,
    /// The compared item's code in B; default: `item_a`.
    pub item_b: Option<String>,
    /// The providers' deadline in working days (1-60, default 10), should values differ.
    pub working_days: Option<i64>,
}

impl From<RunCrossCheck> for CrossCheckSpec {
    fn from(r: RunCrossCheck) -> CrossCheckSpec {
        CrossCheckSpec {
            resource_a: r.resource_a,
            resource_b: r.resource_b,
            key_item_a: r.key_item_a,
            key_item_b: r.key_item_b,
            item_a: r.item_a,
            item_b: r.item_b,
            working_days: r.working_days,
        }
    }
}

/// Run a cross-check (`verification.manage`): compares one item of two providers' resources
/// for the same entities. Values that differ open one task addressed to both providers, with
/// the conflicting entries; the run is kept either way.
#[utoipa::path(post, path = "/verification/cross-checks", tag = "verification", request_body = RunCrossCheck,
    responses((status = 201, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn run_cross_check(
    State(state): State<AppState>,
    api: Api<perm::VerificationManage>,
    ApiJson(req): ApiJson<RunCrossCheck>,
) -> ApiResult<(StatusCode, Json<CrossCheckOutcome>)> {
    let outcome = verification::run_cross_check(&state.store, &api.caller, req.into()).await?;
    Ok((StatusCode::CREATED, Json(outcome)))
}

/// The cross-check runs, newest first: all for the authority and supervisors; for an agency,
/// those that compared one of its resources.
#[utoipa::path(get, path = "/verification/cross-checks", tag = "verification",
    responses((status = 200, body = Vec<Object>), (status = 403, body = ErrorBody)))]
pub async fn cross_checks(
    State(state): State<AppState>,
    api: Api<perm::VerificationRead>,
) -> ApiResult<Json<Vec<CrossCheck>>> {
    Ok(Json(verification::cross_checks(&state.store, &api.caller).await?))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct CreateSchedule {
    /// Resource A: a published resource with delivered rows.
    pub resource_a: i64,
    /// Resource B: a published resource of another provider, with delivered rows.
    pub resource_b: i64,
    /// A's entity key item (code); absent: found by identifier as for a run on demand.
    pub key_item_a: Option<String>,
    /// B's entity key item (code); default: A's code.
    pub key_item_b: Option<String>,
    /// The compared item's code in A.
    pub item_a: String,
    /// The compared item's code in B; default: `item_a`.
    pub item_b: Option<String>,
    /// The providers' deadline in working days (1-60, default 10) for a task a run opens.
    pub working_days: Option<i64>,
    /// Working days from one run to the next (1-60).
    pub every_working_days: i64,
    /// The first run's date, `YYYY-MM-DD`: a working day from today on. Default: the next
    /// working day.
    pub starts_on: Option<String>,
}

impl CreateSchedule {
    /// The schedule, or a 400 naming `starts_on` when it is not a date.
    pub fn parse(self) -> Result<NewSchedule, ApiError> {
        let starts_on = match self.starts_on.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => Some(timefmt::parse_date("starts_on", s)?),
            None => None,
        };
        let spec = RunCrossCheck {
            resource_a: self.resource_a,
            resource_b: self.resource_b,
            key_item_a: self.key_item_a,
            key_item_b: self.key_item_b,
            item_a: self.item_a,
            item_b: self.item_b,
            working_days: self.working_days,
        };
        Ok(NewSchedule { spec: spec.into(), every_working_days: self.every_working_days, starts_on })
    }
}

/// Schedule a cross-check (`verification.manage`, Art.11): the same comparison every so many
/// working days. Checked as a run on demand is, so that a schedule that could never run is
/// refused, naming the field; each run that finds conflicts opens a task unless the schedule's
/// previous one is not yet closed.
#[utoipa::path(post, path = "/verification/schedules", tag = "verification", request_body = CreateSchedule,
    responses((status = 201, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_schedule(
    State(state): State<AppState>,
    api: Api<perm::VerificationManage>,
    ApiJson(req): ApiJson<CreateSchedule>,
) -> ApiResult<(StatusCode, Json<Schedule>)> {
    let new = req.parse()?;
    Ok((StatusCode::CREATED, Json(schedules::create_schedule(&state.store, &api.caller, new).await?)))
}

/// The scheduled cross-checks, newest first, with the next run, the last run and its result:
/// all for the authority and supervisors; for an agency, those comparing one of its resources.
#[utoipa::path(get, path = "/verification/schedules", tag = "verification",
    responses((status = 200, body = Vec<Object>), (status = 403, body = ErrorBody)))]
pub async fn schedules(
    State(state): State<AppState>,
    api: Api<perm::VerificationRead>,
) -> ApiResult<Json<Vec<Schedule>>> {
    Ok(Json(schedules::schedules(&state.store, &api.caller).await?))
}

/// Deactivate a scheduled cross-check (`verification.manage`): it runs no more; its runs and
/// tasks stay. 409 if it is already deactivated.
#[utoipa::path(post, path = "/verification/schedules/{id}/deactivate", tag = "verification",
    params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn deactivate_schedule(
    State(state): State<AppState>,
    api: Api<perm::VerificationManage>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Schedule>> {
    Ok(Json(schedules::deactivate_schedule(&state.store, &api.caller, id).await?))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct OpenTask {
    /// The published resource whose data are in doubt; its provider is addressed.
    pub resource_id: i64,
    /// What needs checking, e.g. a complaint that an address is wrong.
    pub description: String,
    /// The provider's deadline in working days (1-60, default 10).
    pub working_days: Option<i64>,
}

/// Open a task by hand for one resource (`verification.manage`).
#[utoipa::path(post, path = "/verification/tasks", tag = "verification", request_body = OpenTask,
    responses((status = 201, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn open(
    State(state): State<AppState>,
    api: Api<perm::VerificationManage>,
    ApiJson(req): ApiJson<OpenTask>,
) -> ApiResult<(StatusCode, Json<TaskDetail>)> {
    let task =
        ManualTask { resource_id: req.resource_id, description: req.description, working_days: req.working_days };
    Ok((StatusCode::CREATED, Json(verification::open(&state.store, &api.caller, task).await?)))
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// `mine` (addressed to one's agency) or `all` (the authority and supervisors). Default:
    /// `all` for those who see all organisations, else `mine`.
    pub view: Option<String>,
    /// `open`, `answered` or `closed`.
    pub state: Option<String>,
    /// `true`: only open tasks past their due date.
    pub overdue: Option<bool>,
}

/// Parses a list name and a state filter, naming the parameter at fault.
pub fn parse_list(
    view: Option<&str>,
    state: Option<&str>,
    p: &Principal,
) -> Result<(TaskList, Option<TaskState>), ApiError> {
    let list = code_param("view", "列表", view, TaskList::parse, &["mine", "all"])?
        .unwrap_or_else(|| if p.scope() == Scope::All { TaskList::All } else { TaskList::Mine });
    let state = code_param("state", "状态", state, TaskState::parse, &["open", "answered", "closed"])?;
    Ok((list, state))
}

/// Tasks of one list, newest first, with each task's due date and whether it is overdue.
#[utoipa::path(get, path = "/verification/tasks", tag = "verification", params(ListParams),
    responses((status = 200, body = Vec<Object>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    api: Api<perm::VerificationRead>,
    ApiQuery(q): ApiQuery<ListParams>,
) -> ApiResult<Json<Vec<TaskSummary>>> {
    let (which, filter_state) = parse_list(q.view.as_deref(), q.state.as_deref(), &api.caller.principal)?;
    let filter = TaskFilter { state: filter_state, overdue_only: q.overdue.unwrap_or(false) };
    Ok(Json(verification::list(&state.store, &api.caller, which, filter).await?))
}

/// One task: the providers and their answers, the cross-check and its conflicting entries (up
/// to 1,000), the deadline, and the actions available to the caller.
#[utoipa::path(get, path = "/verification/tasks/{id}", tag = "verification", params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    api: Api<perm::VerificationRead>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<TaskDetail>> {
    Ok(Json(verification::get(&state.store, &api.caller, id).await?))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct AnswerRequest {
    /// `corrected` (with `batch_id`) or `confirmed` (with `explanation`).
    pub answer: String,
    /// `corrected`: a stored batch of the provider's resource, delivered after the task opened.
    pub batch_id: Option<i64>,
    /// Required to confirm; optional with a correction.
    #[serde(default)]
    pub explanation: String,
}

impl AnswerRequest {
    /// The answer, or a 400 naming the field at fault.
    pub fn parse(self) -> Result<AnswerInput, ApiError> {
        let kind = match self.answer.trim() {
            "" => None,
            a => Some(AnswerKind::parse(a).ok_or_else(|| {
                ApiError::invalid(
                    "answer",
                    format!("未知答复 {a:?}，可选：corrected（已更正）、confirmed（确认无误）"),
                    format!("unknown answer {a:?}: corrected or confirmed"),
                )
            })?),
        };
        Ok(AnswerInput { kind, batch_id: self.batch_id, explanation: self.explanation })
    }
}

/// Answer a task addressed to one's agency (`verification.answer`). A refusal names the field
/// at fault: `batch_id` when the batch is not a stored one of the agency's resource delivered
/// since the opening, `explanation` when a confirmation has none.
#[utoipa::path(post, path = "/verification/tasks/{id}/answer", tag = "verification", params(("id" = i64, Path)),
    request_body = AnswerRequest,
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn answer(
    State(state): State<AppState>,
    api: Api<perm::VerificationAnswer>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<AnswerRequest>,
) -> ApiResult<Json<TaskDetail>> {
    let input = req.parse()?;
    Ok(Json(verification::answer(&state.store, &api.caller, id, input).await?))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct CloseRequest {
    /// The conclusion (required).
    #[serde(default)]
    pub comment: String,
}

/// Close a task once every addressed provider has answered (`verification.manage`).
#[utoipa::path(post, path = "/verification/tasks/{id}/close", tag = "verification", params(("id" = i64, Path)),
    request_body = CloseRequest,
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn close(
    State(state): State<AppState>,
    api: Api<perm::VerificationManage>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<CloseRequest>,
) -> ApiResult<Json<TaskDetail>> {
    Ok(Json(verification::close(&state.store, &api.caller, id, &req.comment).await?))
}
