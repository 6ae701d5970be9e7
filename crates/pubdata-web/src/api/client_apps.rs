//! `/client-apps`: a consumer agency's client applications for the sharing channel (Art.15).
//! Registering one issues its app key and secret (shown in that response only); rotating
//! issues a new secret while the previous one keeps working for a window; disabling stops its
//! calls. Agencies manage their own; the authority sees and manages all.

use crate::AppState;
use crate::auth::{Api, perm};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pubdata_domain::client_app::{LimitOverrides, NewClientApp};
use pubdata_domain::ids::OrgId;
use pubdata_store::client_apps::{self, ClientApp, IssuedSecret};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterClientApp {
    /// The consumer agency; default the caller's own (only the authority may name another).
    pub org_id: Option<i64>,
    /// The calling system's name, unique within the agency.
    pub name: String,
    /// What the system does with shared data.
    pub description: String,
    /// Who answers for the system: name and telephone or e-mail.
    pub contact: String,
    /// IP addresses the system calls from; empty: any.
    #[serde(default)]
    pub allowed_addresses: Vec<String>,
}

/// Register a client application (`client_app.manage`). The response carries the secret, once:
/// sign gateway calls with it (HMAC-SHA256 or HMAC-SM3).
#[utoipa::path(post, path = "/client-apps", tag = "client-apps", request_body = RegisterClientApp,
    responses((status = 201, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    api: Api<perm::ClientAppManage>,
    ApiJson(req): ApiJson<RegisterClientApp>,
) -> ApiResult<(StatusCode, Json<IssuedSecret>)> {
    let new = NewClientApp {
        org_id: req.org_id.map(OrgId),
        name: req.name,
        description: req.description,
        contact: req.contact,
        allowed_addresses: req.allowed_addresses,
    };
    let issued = client_apps::create(&state.store, &state.config.sharing_key, &api.caller, new).await?;
    Ok((StatusCode::CREATED, Json(issued)))
}

/// The client applications the caller may see, newest first (secrets are never shown again).
#[utoipa::path(get, path = "/client-apps", tag = "client-apps",
    responses((status = 200, body = Vec<Object>), (status = 403, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>, api: Api<perm::ClientAppRead>) -> ApiResult<Json<Vec<ClientApp>>> {
    Ok(Json(client_apps::list(&state.store, &api.caller).await?))
}

#[utoipa::path(get, path = "/client-apps/{id}", tag = "client-apps", params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    api: Api<perm::ClientAppRead>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ClientApp>> {
    Ok(Json(client_apps::get(&state.store, &api.caller, id).await?))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct Rotate {
    /// Hours the previous secret keeps working (0-720, default 24; 0 retires it at once).
    pub window_hours: Option<i64>,
}

/// Rotate the secret (`client_app.manage`) without downtime: the new secret is in the response,
/// once; the previous one keeps working until the window ends or it is retired.
#[utoipa::path(post, path = "/client-apps/{id}/rotate", tag = "client-apps", params(("id" = i64, Path)),
    request_body = Rotate,
    responses((status = 200, body = Object), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn rotate(
    State(state): State<AppState>,
    api: Api<perm::ClientAppManage>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<Rotate>,
) -> ApiResult<Json<IssuedSecret>> {
    let key = &state.config.sharing_key;
    Ok(Json(client_apps::rotate(&state.store, key, &api.caller, id, req.window_hours).await?))
}

/// Retire the previous secret before its window ends (`client_app.manage`), once every system
/// signs with the new one.
#[utoipa::path(post, path = "/client-apps/{id}/retire-previous", tag = "client-apps", params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn retire_previous(
    State(state): State<AppState>,
    api: Api<perm::ClientAppManage>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ClientApp>> {
    Ok(Json(client_apps::retire_previous(&state.store, &api.caller, id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Disable {
    /// Why, for the record (1-500 characters).
    pub reason: String,
}

/// Disable an application (`client_app.manage`): its calls are refused from now on.
#[utoipa::path(post, path = "/client-apps/{id}/disable", tag = "client-apps", params(("id" = i64, Path)),
    request_body = Disable,
    responses((status = 200, body = Object), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn disable(
    State(state): State<AppState>,
    api: Api<perm::ClientAppManage>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<Disable>,
) -> ApiResult<Json<ClientApp>> {
    Ok(Json(client_apps::disable(&state.store, &api.caller, id, &req.reason).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Calls a second on each instance (1-100000); absent or null: the platform's default.
    #[serde(default)]
    pub rate_per_second: Option<u32>,
    /// Calls a district day (1-1000000000); absent or null: the platform's default.
    #[serde(default)]
    pub daily_quota: Option<u64>,
}

/// Set an application's own rate and daily quota (the authority's `client_app.manage`); calls
/// over either are refused with 429 and `Retry-After`.
#[utoipa::path(post, path = "/client-apps/{id}/limits", tag = "client-apps", params(("id" = i64, Path)),
    request_body = Limits,
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn set_limits(
    State(state): State<AppState>,
    api: Api<perm::ClientAppManage>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<Limits>,
) -> ApiResult<Json<ClientApp>> {
    let limits = LimitOverrides { rate_per_second: req.rate_per_second, daily_quota: req.daily_quota };
    Ok(Json(client_apps::set_limits(&state.store, &api.caller, id, limits).await?))
}
