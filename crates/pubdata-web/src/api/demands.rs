//! `/demands`: the data demand list (Art.9, 15). Agencies file demands for data that sharing
//! cannot yet supply; the authority coordinates them with a provider, which answers; the
//! authority fulfils (linking a published resource) or rejects them.

use crate::AppState;
use crate::auth::{Api, perm};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, code_param};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pubdata_domain::catalog::Delivery;
use pubdata_domain::demand::{AnswerKind, DemandAction, DemandFiling, DemandState, StepInput};
use pubdata_domain::identity::{Principal, Scope};
use pubdata_domain::timefmt;
use pubdata_store::demands::{self, DemandDetail, DemandFilter, DemandList, DemandSummary};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileDemand {
    /// 需求名称
    pub title: String,
    /// 所需数据: what is wanted, in words.
    pub description: String,
    /// 所需数据项: names of the fields wanted, at least one.
    pub items: Vec<String>,
    /// 应用场景 (Art.15).
    pub scenario: String,
    /// 履职依据: the legal duty the data is needed for.
    pub legal_basis: String,
    /// 期望提供方式: `api`, `bulk` or `file`.
    pub delivery: String,
    /// A resource the demand concerns, e.g. one whose sharing was refused.
    pub related_resource_id: Option<i64>,
}

/// Parses a delivery method, naming the field when it is unknown.
pub fn parse_delivery(s: &str) -> Result<Delivery, ApiError> {
    Delivery::parse(s).ok_or_else(|| {
        ApiError::invalid(
            "delivery",
            format!("未知的提供方式 {s:?}，可选：api（接口调用）、bulk（批量数据）、file（文件）"),
            format!("unknown delivery {s:?}: api, bulk or file"),
        )
    })
}

/// File a data demand for one's agency (`demand.file`).
#[utoipa::path(post, path = "/demands", tag = "demands", request_body = FileDemand,
    responses((status = 201, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    api: Api<perm::DemandFile>,
    ApiJson(req): ApiJson<FileDemand>,
) -> ApiResult<(StatusCode, Json<DemandDetail>)> {
    let filing = DemandFiling {
        title: req.title,
        description: req.description,
        items: req.items,
        scenario: req.scenario,
        legal_basis: req.legal_basis,
        delivery: parse_delivery(&req.delivery)?,
        related_resource_id: req.related_resource_id,
    };
    Ok((StatusCode::CREATED, Json(demands::create(&state.store, &api.caller, filing).await?)))
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// `mine` (filed by one's agency), `assigned` (to answer as proposed provider) or `all`
    /// (the authority and supervisors). Default: `all` for those who see all organisations,
    /// else `mine`.
    pub view: Option<String>,
    /// `submitted`, `coordinating`, `fulfilled`, `rejected` or `withdrawn`.
    pub state: Option<String>,
    /// `true`: only open demands whose current step is past its deadline.
    pub overdue: Option<bool>,
}

/// The list a caller sees when none is named.
pub fn default_list(p: &Principal) -> DemandList {
    if p.scope() == Scope::All { DemandList::All } else { DemandList::Mine }
}

/// Parses a list name and a state filter, naming the parameter at fault.
pub fn parse_list(
    view: Option<&str>,
    state: Option<&str>,
    p: &Principal,
) -> Result<(DemandList, Option<DemandState>), ApiError> {
    let list = code_param("view", "列表", view, DemandList::parse, &["mine", "assigned", "all"])?
        .unwrap_or_else(|| default_list(p));
    let state = code_param(
        "state",
        "状态",
        state,
        DemandState::parse,
        &["submitted", "coordinating", "fulfilled", "rejected", "withdrawn"],
    )?;
    Ok((list, state))
}

/// Demands of one list, newest first, with each open step's deadline (in working days).
#[utoipa::path(get, path = "/demands", tag = "demands", params(ListParams),
    responses((status = 200, body = Vec<Object>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    api: Api<perm::DemandRead>,
    ApiQuery(q): ApiQuery<ListParams>,
) -> ApiResult<Json<Vec<DemandSummary>>> {
    let (which, filter_state) = parse_list(q.view.as_deref(), q.state.as_deref(), &api.caller.principal)?;
    let filter = DemandFilter { state: filter_state, overdue_only: q.overdue.unwrap_or(false) };
    Ok(Json(demands::list(&state.store, &api.caller, which, filter).await?))
}

/// One demand: its filing, provider, answer, outcome, timeline, the current step's deadline
/// and the actions available to the caller.
#[utoipa::path(get, path = "/demands/{id}", tag = "demands", params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    api: Api<perm::DemandRead>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<DemandDetail>> {
    Ok(Json(demands::get(&state.store, &api.caller, id).await?))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    /// `coordinate`, `answer`, `fulfil`, `reject` or `withdraw`.
    pub action: String,
    /// The comment; for `reject` the reason (required); for `answer` the plan, or why the data
    /// cannot be provided (required then).
    #[serde(default)]
    pub comment: String,
    /// `coordinate`: the agency proposed to provide the data.
    pub provider_org_id: Option<i64>,
    /// `fulfil`: the published resource that meets the demand; `answer`: one that already can.
    pub resource_id: Option<i64>,
    /// `answer`: `can_provide` or `cannot_provide`.
    pub answer: Option<String>,
    /// `answer` with a plan: `YYYY-MM-DD`, when the data will be available.
    pub planned_date: Option<String>,
}

impl ActionRequest {
    /// The action and its input, or a 400 naming the field at fault.
    pub fn parse(self) -> Result<(DemandAction, StepInput), ApiError> {
        let action = DemandAction::parse(&self.action).ok_or_else(|| {
            ApiError::invalid(
                "action",
                format!("未知操作 {:?}，可选：coordinate、answer、fulfil、reject、withdraw", self.action),
                format!("unknown action {:?}: coordinate, answer, fulfil, reject or withdraw", self.action),
            )
        })?;
        let answer = match self.answer.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
            None => None,
            Some(a) => Some(AnswerKind::parse(a).ok_or_else(|| {
                ApiError::invalid(
                    "answer",
                    format!("未知答复 {a:?}，可选：can_provide（可以提供）、cannot_provide（无法提供）"),
                    format!("unknown answer {a:?}: can_provide or cannot_provide"),
                )
            })?),
        };
        let planned_date = match self.planned_date.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            None => None,
            Some(d) => Some(timefmt::parse_date("planned_date", d)?),
        };
        let input = StepInput {
            comment: self.comment,
            provider_org_id: self.provider_org_id,
            resource_id: self.resource_id,
            answer,
            planned_date,
        };
        Ok((action, input))
    }
}

/// Take a step: `coordinate` (the authority proposes a provider), `answer` (the proposed
/// provider), `fulfil` or `reject` (the authority), `withdraw` (the filing agency, before
/// coordination starts). A refusal names the permission or the field at fault.
#[utoipa::path(post, path = "/demands/{id}/actions", tag = "demands", params(("id" = i64, Path)), request_body = ActionRequest,
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn act(
    State(state): State<AppState>,
    api: Api<perm::DemandRead>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<ActionRequest>,
) -> ApiResult<Json<DemandDetail>> {
    let (action, input) = req.parse()?;
    Ok(Json(demands::act(&state.store, &api.caller, id, action, input).await?))
}
