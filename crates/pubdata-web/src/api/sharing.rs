//! `/share-requests` and `/grants`: sharing (Ch.4, Art.13-16). A consumer agency requests
//! published data items for a scenario; the request is routed at once by the resource's share
//! attribute (granted, pending the provider's review, or refused with the legal basis); the
//! provider reviews, the authority arbitrates; grants can be suspended, resumed and revoked.
//! `/received-data`: resources flagged as data received through a grant, and
//! `/received-data/{resource_id}/confirm`, the authority's confirmation that one is the agency's
//! own (Art.7).

use crate::AppState;
use crate::auth::{Api, perm};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, code_param};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pubdata_domain::catalog::Delivery;
use pubdata_domain::identity::Scope;
use pubdata_domain::sharing::{
    Decision, DecisionInput, GrantAction, GrantState, RequestState, RowFilter, RowScope, ScenarioCategory,
    ShareRequestInput,
};
use pubdata_domain::timefmt;
use pubdata_store::sharing::{
    self, GrantList, GrantView, ReceivedFlag, ReceivedFlagView, RequestFilter, RequestList, ShareRequestView,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct RowFilterBody {
    /// A requested data item code.
    pub item: String,
    pub value: String,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct RowScopeBody {
    /// Lookups by the resource's key only, no listing.
    #[serde(default)]
    pub keyed_only: bool,
    /// Only rows whose item equals a value (e.g. `district` = 鄞州区).
    pub filter: Option<RowFilterBody>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MakeRequest {
    /// A published resource of another agency.
    pub resource_id: i64,
    /// Data item codes, at least one, all among the resource's published items.
    pub items: Vec<String>,
    /// 应用场景 (Art.15-16).
    pub scenario: String,
    /// `administration`, `regulation`, `public_service`, `social_assistance`, `emergency`,
    /// `decision_support` or `other`.
    pub scenario_category: String,
    /// 履职依据 (Art.13).
    pub legal_duty: String,
    /// `api` or `bulk`, one the resource offers.
    pub delivery: String,
    /// `YYYY-MM-DD`, the last day of the term, within the resource's share term.
    pub end_date: String,
    #[serde(default)]
    pub row_scope: Option<RowScopeBody>,
    /// L3/L4 items wanted unmasked; granted only by an explicit approval.
    #[serde(default)]
    pub raw_items: Vec<String>,
    #[serde(default)]
    pub raw_justification: String,
}

fn parse_category(s: &str) -> Result<ScenarioCategory, ApiError> {
    ScenarioCategory::parse(s).ok_or_else(|| {
        let codes: Vec<&str> = ScenarioCategory::ALL.iter().map(|c| c.as_str()).collect();
        ApiError::invalid(
            "scenario_category",
            format!("未知的应用场景类别 {s:?}，可选：{}", codes.join("、")),
            format!("unknown scenario category {s:?}: {}", codes.join(", ")),
        )
    })
}

impl MakeRequest {
    pub(crate) fn parse(self) -> Result<ShareRequestInput, ApiError> {
        let delivery = Delivery::parse(&self.delivery)
            .filter(|d| matches!(d, Delivery::Api | Delivery::Bulk))
            .ok_or_else(|| {
                ApiError::invalid(
                    "delivery",
                    format!("未知的共享方式 {:?}，可选：api（接口）、bulk（批量）", self.delivery),
                    format!("unknown delivery {:?}: api or bulk", self.delivery),
                )
            })?;
        let scope = self.row_scope.unwrap_or_default();
        Ok(ShareRequestInput {
            resource_id: self.resource_id,
            items: self.items,
            scenario: self.scenario,
            scenario_category: parse_category(&self.scenario_category)?,
            legal_duty: self.legal_duty,
            delivery,
            end_date: timefmt::parse_date("end_date", &self.end_date)?,
            row_scope: RowScope {
                keyed_only: scope.keyed_only,
                filter: scope.filter.map(|f| RowFilter { item: f.item, value: f.value }),
            },
            raw_items: self.raw_items,
            raw_justification: self.raw_justification,
        })
    }
}

/// Request shared data for one's agency (`sharing.request`). Routed at once (Art.14): granted
/// (unconditional), `pending_review` (restricted, with the review deadline), or refused with the
/// legal basis and the route to the demand list (not shared).
#[utoipa::path(post, path = "/share-requests", tag = "sharing", request_body = MakeRequest,
    responses((status = 201, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    api: Api<perm::SharingRequest>,
    ApiJson(req): ApiJson<MakeRequest>,
) -> ApiResult<(StatusCode, Json<ShareRequestView>)> {
    let input = req.parse()?;
    let made = sharing::create(&state.store, &state.config.sharing, &api.caller, input).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
pub struct RequestListParams {
    /// `mine` (made by one's agency), `incoming` (for one's agency's resources) or `all` (the
    /// authority and supervisors). Default: `all` for those who see all organisations, else `mine`.
    pub view: Option<String>,
    /// `pending_review`, `granted` or `refused`.
    pub state: Option<String>,
    /// `true`: only pending requests past their review deadline.
    pub overdue: Option<bool>,
}

/// Share requests of one list, newest first, pending ones with their review deadline.
#[utoipa::path(get, path = "/share-requests", tag = "sharing", params(RequestListParams),
    responses((status = 200, body = Vec<Object>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    api: Api<perm::SharingRead>,
    ApiQuery(q): ApiQuery<RequestListParams>,
) -> ApiResult<Json<Vec<ShareRequestView>>> {
    let all = api.caller.principal.scope() == Scope::All;
    let which = code_param("view", "列表", q.view.as_deref(), RequestList::parse, &["mine", "incoming", "all"])?
        .unwrap_or(if all { RequestList::All } else { RequestList::Mine });
    let filter_state = code_param(
        "state",
        "状态",
        q.state.as_deref(),
        RequestState::parse,
        &["pending_review", "granted", "refused"],
    )?;
    let filter = RequestFilter { state: filter_state, overdue_only: q.overdue.unwrap_or(false) };
    Ok(Json(sharing::list_requests(&state.store, &api.caller, which, filter).await?))
}

/// One share request: what was asked, how it was routed, the review deadline, the decisions,
/// the grant, and the steps open to the caller.
#[utoipa::path(get, path = "/share-requests/{id}", tag = "sharing", params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    api: Api<perm::SharingRead>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ShareRequestView>> {
    Ok(Json(sharing::get_request(&state.store, &api.caller, id).await?))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    /// `approve` or `refuse` (on arbitration of a refusal, `refuse` upholds it).
    pub decision: String,
    /// Required to refuse.
    #[serde(default)]
    pub reason: String,
    /// An approval's items: a subset of those requested (default: all).
    pub items: Option<Vec<String>>,
    /// An approval's end date, `YYYY-MM-DD`, not after the requested one.
    pub end_date: Option<String>,
    /// Items whose raw values the approval grants (among those requested raw).
    #[serde(default)]
    pub raw_items: Vec<String>,
}

impl DecisionBody {
    pub(crate) fn parse(self) -> Result<DecisionInput, ApiError> {
        let decision = Decision::parse(&self.decision).ok_or_else(|| {
            ApiError::invalid(
                "decision",
                format!("未知决定 {:?}，可选：approve（同意）、refuse（不同意）", self.decision),
                format!("unknown decision {:?}: approve or refuse", self.decision),
            )
        })?;
        let end_date = match self.end_date.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            None => None,
            Some(d) => Some(timefmt::parse_date("end_date", d)?),
        };
        Ok(DecisionInput { decision, reason: self.reason, items: self.items, end_date, raw_items: self.raw_items })
    }
}

/// The provider reviews a pending request (`sharing.review`, its own agency's resources only).
#[utoipa::path(post, path = "/share-requests/{id}/review", tag = "sharing", params(("id" = i64, Path)),
    request_body = DecisionBody,
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn review(
    State(state): State<AppState>,
    api: Api<perm::SharingReview>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<DecisionBody>,
) -> ApiResult<Json<ShareRequestView>> {
    Ok(Json(sharing::review(&state.store, &api.caller, id, body.parse()?).await?))
}

/// The authority arbitrates a provider's refusal or an overdue review (`sharing.arbitrate`).
#[utoipa::path(post, path = "/share-requests/{id}/arbitrate", tag = "sharing", params(("id" = i64, Path)),
    request_body = DecisionBody,
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn arbitrate(
    State(state): State<AppState>,
    api: Api<perm::SharingArbitrate>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<DecisionBody>,
) -> ApiResult<Json<ShareRequestView>> {
    Ok(Json(sharing::arbitrate(&state.store, &api.caller, id, body.parse()?).await?))
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
pub struct GrantListParams {
    /// `held` (one's agency as consumer), `given` (on one's agency's resources) or `all`.
    pub view: Option<String>,
    /// `active`, `suspended`, `revoked` or `expired`.
    pub state: Option<String>,
}

/// Grants of one list, newest first, each in its effective state.
#[utoipa::path(get, path = "/grants", tag = "sharing", params(GrantListParams),
    responses((status = 200, body = Vec<Object>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn grants(
    State(state): State<AppState>,
    api: Api<perm::SharingRead>,
    ApiQuery(q): ApiQuery<GrantListParams>,
) -> ApiResult<Json<Vec<GrantView>>> {
    let all = api.caller.principal.scope() == Scope::All;
    let which = code_param("view", "列表", q.view.as_deref(), GrantList::parse, &["held", "given", "all"])?
        .unwrap_or(if all { GrantList::All } else { GrantList::Held });
    let filter_state = code_param(
        "state",
        "状态",
        q.state.as_deref(),
        GrantState::parse,
        &["active", "suspended", "revoked", "expired"],
    )?;
    Ok(Json(sharing::list_grants(&state.store, &api.caller, which, filter_state).await?))
}

/// One grant with its history and the actions open to the caller.
#[utoipa::path(get, path = "/grants/{id}", tag = "sharing", params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
pub async fn grant(
    State(state): State<AppState>,
    api: Api<perm::SharingRead>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<GrantView>> {
    Ok(Json(sharing::get_grant(&state.store, &api.caller, id).await?))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    /// Required to suspend or revoke.
    #[serde(default)]
    pub reason: String,
}

async fn change(
    state: &AppState,
    api: &Api<perm::SharingRead>,
    id: i64,
    action: GrantAction,
    reason: &str,
) -> ApiResult<Json<GrantView>> {
    Ok(Json(sharing::change_grant(&state.store, &api.caller, id, action, reason).await?))
}

/// Suspend a grant (the provider, or the authority), with the reason.
#[utoipa::path(post, path = "/grants/{id}/suspend", tag = "sharing", params(("id" = i64, Path)), request_body = ReasonBody,
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn suspend(
    State(state): State<AppState>,
    api: Api<perm::SharingRead>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ReasonBody>,
) -> ApiResult<Json<GrantView>> {
    change(&state, &api, id, GrantAction::Suspend, &body.reason).await
}

/// Resume a suspended grant (the provider, or the authority).
#[utoipa::path(post, path = "/grants/{id}/resume", tag = "sharing", params(("id" = i64, Path)), request_body = ReasonBody,
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn resume(
    State(state): State<AppState>,
    api: Api<perm::SharingRead>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ReasonBody>,
) -> ApiResult<Json<GrantView>> {
    change(&state, &api, id, GrantAction::Resume, &body.reason).await
}

/// Revoke a grant for good (the provider, or the authority), with the reason.
#[utoipa::path(post, path = "/grants/{id}/revoke", tag = "sharing", params(("id" = i64, Path)), request_body = ReasonBody,
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    api: Api<perm::SharingRead>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ReasonBody>,
) -> ApiResult<Json<GrantView>> {
    change(&state, &api, id, GrantAction::Revoke, &body.reason).await
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ConfirmBody {
    /// Why the resource is the agency's own data.
    pub comment: String,
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
pub struct ReceivedListParams {
    /// Only the flags awaiting the authority's confirmation.
    #[serde(default)]
    pub pending: bool,
}

/// Resources flagged as repeating data received through a grant (Art.7), unconfirmed first, with
/// the grant they match: all for the authority and supervisors, an agency's own otherwise.
#[utoipa::path(get, path = "/received-data", tag = "sharing", params(ReceivedListParams),
    responses((status = 200, body = Vec<Object>), (status = 403, body = ErrorBody)))]
pub async fn received_list(
    State(state): State<AppState>,
    api: Api<perm::SharingRead>,
    ApiQuery(q): ApiQuery<ReceivedListParams>,
) -> ApiResult<Json<Vec<ReceivedFlagView>>> {
    Ok(Json(sharing::list_received(&state.store, &api.caller, q.pending).await?))
}

/// A resource's Art.7 flag (`null` when it has none), for those who see the resource's working
/// copy: its compiling and providing agencies, the authority and supervisors (others: 404).
#[utoipa::path(get, path = "/received-data/{resource_id}", tag = "sharing", params(("resource_id" = i64, Path)),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn received(
    State(state): State<AppState>,
    api: Api<perm::CatalogRead>,
    ApiPath(resource_id): ApiPath<i64>,
) -> ApiResult<Json<Option<ReceivedFlag>>> {
    Ok(Json(sharing::received_flag(&state.store, &api.caller, resource_id).await?))
}

/// The authority confirms that a flagged resource is the agency's own data (Art.7), so that it
/// can be published.
#[utoipa::path(post, path = "/received-data/{resource_id}/confirm", tag = "sharing",
    params(("resource_id" = i64, Path)), request_body = ConfirmBody,
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn confirm_received(
    State(state): State<AppState>,
    api: Api<perm::SharingArbitrate>,
    ApiPath(resource_id): ApiPath<i64>,
    ApiJson(body): ApiJson<ConfirmBody>,
) -> ApiResult<Json<ReceivedFlag>> {
    Ok(Json(sharing::confirm_received(&state.store, &api.caller, resource_id, &body.comment).await?))
}
