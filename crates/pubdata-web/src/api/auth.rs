//! `/auth`: logging in for a bearer token, logging out, the caller's own account,
//! changing one's password, and self-registration of public users.

use super::views::{OrgView, UserView};
use crate::AppState;
use crate::auth::{Api, ClientSource, perm};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiJson;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pubdata_store::identity::{Via, auth, users};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub token_type: &'static str,
    pub expires_at: String,
    /// When set, every other call answers 403 `password_change_required` until
    /// `POST /auth/password` succeeds.
    pub must_change_password: bool,
    pub user: UserView,
}

fn bounded(field: &str, value: &str, max: usize) -> ApiResult<()> {
    if value.chars().count() > max {
        return Err(ApiError::invalid(
            field,
            format!("不能超过 {max} 个字符"),
            format!("must not exceed {max} characters"),
        ));
    }
    Ok(())
}

/// Log in with username and password; returns a bearer token.
#[utoipa::path(post, path = "/auth/login", tag = "auth", security(()),
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = LoginResponse),
        (status = 401, description = "Wrong username or password (deliberately generic)", body = ErrorBody),
        (status = 429, description = "Too many failures for this account or address", body = ErrorBody),
    ))]
pub async fn login(
    State(state): State<AppState>,
    ClientSource(source): ClientSource,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    bounded("username", &req.username, 64)?;
    bounded("password", &req.password, 256)?;
    let result = auth::login(&state.store, &state.config.auth, &source, Via::Api, &req.username, &req.password).await;
    if result.is_err() {
        metrics::counter!("pubdata_login_failures_total", "via" => "api").increment(1);
    }
    let out = result?;
    Ok(Json(LoginResponse {
        token: out.token,
        token_type: "Bearer",
        expires_at: out.expires_at,
        must_change_password: out.user.must_change_password,
        user: UserView::from(&out.user),
    }))
}

/// End the API login session the bearer token belongs to.
#[utoipa::path(post, path = "/auth/logout", tag = "auth",
    responses((status = 204, description = "Logged out"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn logout(State(state): State<AppState>, api: Api<perm::Authenticated>) -> ApiResult<StatusCode> {
    let Some(session) = api.session else {
        return Err(ApiError::invalid(
            "authorization",
            "长期 API 令牌不能登出，请用 DELETE /api/v1/tokens/{id} 吊销",
            "a long-lived API token cannot log out; revoke it with DELETE /api/v1/tokens/{id}",
        ));
    };
    auth::logout(&state.store, &api.caller, session).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct MeResponse {
    pub user: UserView,
    pub organisation: OrgView,
    /// The permissions this request holds (role, narrowed by the token's scope).
    pub permissions: Vec<&'static str>,
}

/// The caller's own account, organisation and effective permissions.
#[utoipa::path(get, path = "/auth/me", tag = "auth",
    responses((status = 200, body = MeResponse), (status = 401, body = ErrorBody)))]
pub async fn me(State(state): State<AppState>, api: Api<perm::Authenticated>) -> ApiResult<Json<MeResponse>> {
    let (user, org) = users::own_account(&state.store, &api.caller).await?;
    Ok(Json(MeResponse {
        user: UserView::from(&user),
        organisation: OrgView::new(&org, None),
        permissions: api.caller.principal.permissions().into_iter().map(|x| x.as_str()).collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// Change one's own password (required first after a one-time password).
#[utoipa::path(post, path = "/auth/password", tag = "auth",
    request_body = PasswordChange,
    responses((status = 204, description = "Changed"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    api: Api<perm::AccountSelf>,
    ApiJson(req): ApiJson<PasswordChange>,
) -> ApiResult<StatusCode> {
    bounded("current_password", &req.current_password, 256)?;
    bounded("new_password", &req.new_password, 256)?;
    users::change_own_password(&state.store, &api.caller, &req.current_password, &req.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    pub username: String,
    pub display_name: String,
    pub password: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// Register as a member of the public (for the open portal).
#[utoipa::path(post, path = "/auth/register", tag = "auth", security(()),
    request_body = RegisterRequest,
    responses((status = 201, body = UserView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn register(
    State(state): State<AppState>,
    ClientSource(source): ClientSource,
    ApiJson(req): ApiJson<RegisterRequest>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    if !state.config.registration_open {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "registration_closed",
            "本平台暂不开放注册",
            "registration is closed on this platform",
        ));
    }
    bounded("password", &req.password, 256)?;
    let input = users::Registration {
        username: req.username,
        display_name: req.display_name,
        password: req.password,
        email: req.email,
        phone: req.phone,
    };
    let user = users::register_public(&state.store, &source, input).await?;
    Ok((StatusCode::CREATED, Json(UserView::from(&user))))
}
