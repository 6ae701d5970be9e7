//! `/users`: accounts, managed by the authority's administrators (all) and agency
//! administrators (their own agency).

use super::views::UserView;
use crate::AppState;
use crate::auth::{Api, perm};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pubdata_domain::ids::{OrgId, UserId};
use pubdata_store::identity::{NewUserInput, UserChange, users};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UserQuery {
    /// Only users of this organisation.
    pub org_id: Option<i64>,
}

/// Users the caller may see.
#[utoipa::path(get, path = "/users", tag = "users", params(UserQuery),
    responses((status = 200, body = Vec<UserView>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    api: Api<perm::UserRead>,
    ApiQuery(q): ApiQuery<UserQuery>,
) -> ApiResult<Json<Vec<UserView>>> {
    let all = users::list(&state.store, &api.caller, q.org_id.map(OrgId)).await?;
    Ok(Json(all.iter().map(UserView::from).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub username: String,
    pub display_name: String,
    pub org_id: i64,
    /// e.g. `agency_data_officer`.
    pub role: String,
    /// Omit to have a one-time password generated (returned once, to be changed at first login).
    pub password: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedUser {
    pub user: UserView,
    /// Present when the platform generated the password; shown only in this response.
    pub one_time_password: Option<String>,
}

/// Create an account.
#[utoipa::path(post, path = "/users", tag = "users", request_body = CreateUser,
    responses((status = 201, body = CreatedUser), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    api: Api<perm::UserAdmin>,
    ApiJson(req): ApiJson<CreateUser>,
) -> ApiResult<(StatusCode, Json<CreatedUser>)> {
    let input = NewUserInput {
        username: req.username,
        display_name: req.display_name,
        org_id: req.org_id,
        role: req.role,
        password: req.password,
        email: req.email,
        phone: req.phone,
    };
    let (user, one_time_password) = users::create(&state.store, &api.caller, input).await?;
    Ok((StatusCode::CREATED, Json(CreatedUser { user: UserView::from(&user), one_time_password })))
}

/// One account (one's own, or within one's scope with `user.read`).
#[utoipa::path(get, path = "/users/{id}", tag = "users", params(("id" = i64, Path)),
    responses((status = 200, body = UserView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    api: Api<perm::Authenticated>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<UserView>> {
    let user = users::get(&state.store, &api.caller, UserId(id)).await?;
    Ok(Json(UserView::from(&user)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    pub display_name: Option<String>,
    pub org_id: Option<i64>,
    pub role: Option<String>,
    /// `active` or `disabled`; disabling ends the account's sessions and tokens.
    pub status: Option<String>,
    /// An empty string clears it.
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// Edit an account.
#[utoipa::path(patch, path = "/users/{id}", tag = "users", params(("id" = i64, Path)), request_body = UpdateUser,
    responses((status = 200, body = UserView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    api: Api<perm::UserAdmin>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<UpdateUser>,
) -> ApiResult<Json<UserView>> {
    let change = UserChange {
        display_name: req.display_name,
        org_id: req.org_id,
        role: req.role,
        status: req.status,
        email: req.email,
        phone: req.phone,
    };
    let user = users::update(&state.store, &api.caller, UserId(id), change).await?;
    Ok(Json(UserView::from(&user)))
}

#[derive(Serialize, ToSchema)]
pub struct PasswordReset {
    /// Shown only in this response; must be changed at the next login.
    pub one_time_password: String,
}

/// Reset an account's password to a new one-time password; ends its sessions.
#[utoipa::path(post, path = "/users/{id}/password-reset", tag = "users", params(("id" = i64, Path)),
    responses((status = 200, body = PasswordReset), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn reset_password(
    State(state): State<AppState>,
    api: Api<perm::UserAdmin>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<PasswordReset>> {
    let one_time_password = users::reset_password(&state.store, &api.caller, UserId(id)).await?;
    Ok(Json(PasswordReset { one_time_password }))
}
