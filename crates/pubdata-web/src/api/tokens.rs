//! `/tokens`: the caller's long-lived API tokens.

use crate::AppState;
use crate::auth::{Api, perm};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pubdata_domain::ids::TokenId;
use pubdata_store::identity::{ApiToken, tokens};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct TokenView {
    pub id: i64,
    pub name: String,
    /// The first characters of the secret, to recognise it by.
    pub prefix: String,
    /// Permission names, space-separated.
    pub scope: String,
    pub created_at: String,
    pub expires_at: String,
    pub revoked_at: Option<String>,
    pub last_used_at: Option<String>,
}

impl From<ApiToken> for TokenView {
    fn from(t: ApiToken) -> TokenView {
        TokenView {
            id: t.id,
            name: t.name,
            prefix: t.prefix,
            scope: t.scope,
            created_at: t.created_at,
            expires_at: t.expires_at,
            revoked_at: t.revoked_at,
            last_used_at: t.last_used_at,
        }
    }
}

/// The caller's tokens, newest first (secrets are never shown again).
#[utoipa::path(get, path = "/tokens", tag = "tokens", responses((status = 200, body = Vec<TokenView>)))]
pub async fn list(State(state): State<AppState>, api: Api<perm::TokenManageOwn>) -> ApiResult<Json<Vec<TokenView>>> {
    let all = tokens::list_own(&state.store, &api.caller).await?;
    Ok(Json(all.into_iter().map(TokenView::from).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    /// What the token is for, e.g. the calling system's name.
    pub name: String,
    /// Permission names; empty or absent means all of the caller's permissions.
    #[serde(default)]
    pub scope: Vec<String>,
    /// 1 to 365.
    pub expires_in_days: i64,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    /// The secret, shown only in this response. Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub details: TokenView,
}

/// Create a token.
#[utoipa::path(post, path = "/tokens", tag = "tokens", request_body = CreateToken,
    responses((status = 201, body = CreatedToken), (status = 400, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    api: Api<perm::TokenManageOwn>,
    ApiJson(req): ApiJson<CreateToken>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    let created = tokens::create(&state.store, &api.caller, &req.name, &req.scope, req.expires_in_days).await?;
    Ok((StatusCode::CREATED, Json(CreatedToken { token: created.secret, details: created.token.into() })))
}

/// Revoke a token at once.
#[utoipa::path(delete, path = "/tokens/{id}", tag = "tokens", params(("id" = i64, Path)),
    responses((status = 200, body = TokenView), (status = 404, body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    api: Api<perm::TokenManageOwn>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<TokenView>> {
    let token = tokens::revoke(&state.store, &api.caller, TokenId(id)).await?;
    Ok(Json(token.into()))
}
