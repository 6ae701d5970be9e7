//! Long-lived API tokens for programs: created by their owner (web page or CLI), shown once,
//! stored as SM3 digests, limited by scope and expiry, revocable.

use super::auth::TOKEN_PREFIX;
use crate::db::Store;
use crate::error::{Error, Result};
use pubdata_domain::audit::events;
use pubdata_domain::identity::{Caller, Permission, TokenExpiry, TokenName, TokenScope};
use pubdata_domain::ids::TokenId;
use pubdata_domain::secret::{digest, random_token};
use pubdata_domain::timefmt;
use serde::Serialize;

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    /// The first characters of the secret, to recognise it by.
    pub prefix: String,
    pub scope: String,
    pub created_at: String,
    pub expires_at: String,
    pub revoked_at: Option<String>,
    pub last_used_at: Option<String>,
}

impl ApiToken {
    pub fn is_active(&self, now: &str) -> bool {
        self.revoked_at.is_none() && self.expires_at.as_str() > now
    }
}

/// A freshly created token: the secret is in `secret` and nowhere else, ever.
#[derive(Clone, Debug)]
pub struct NewToken {
    pub token: ApiToken,
    pub secret: String,
}

macro_rules! token_columns {
    () => {
        "id, user_id, name, prefix, scope, created_at, expires_at, revoked_at, last_used_at"
    };
}

/// Creates a token for the caller. `scope` names permissions (all of the caller's when empty).
pub async fn create(
    store: &Store,
    caller: &Caller,
    name: &str,
    scope: &[String],
    expires_in_days: i64,
) -> Result<NewToken> {
    caller.principal.require(Permission::TokenManageOwn)?;
    create_for(store, caller, &caller.principal, name, scope, expires_in_days).await
}

/// `pubdata token create`: an operator at the command line creates a token for `username`.
pub async fn create_for_username(
    store: &Store,
    caller: &Caller,
    username: &str,
    name: &str,
    scope: &[String],
    expires_in_days: i64,
) -> Result<NewToken> {
    if !caller.principal.is_system() {
        return Err(pubdata_domain::Error::Forbidden(Permission::UserManage).into());
    }
    let (user, _) =
        super::users::find_by_username(&mut *store.reader().acquire().await?, &username.trim().to_lowercase())
            .await?
            .ok_or_else(|| Error::not_found("user", username))?;
    let owner = super::auth::principal_of(&user, None);
    create_for(store, caller, &owner, name, scope, expires_in_days).await
}

async fn create_for(
    store: &Store,
    caller: &Caller,
    owner: &pubdata_domain::identity::Principal,
    name: &str,
    scope: &[String],
    expires_in_days: i64,
) -> Result<NewToken> {
    let Some(user_id) = owner.user_id else {
        return Err(pubdata_domain::Error::invalid(
            "user",
            "系统身份不能持有令牌",
            "the system principal cannot own tokens",
        )
        .into());
    };
    let name = TokenName::parse(name)?;
    // A token's scope is bounded by its owner's role (not by how the token was obtained).
    let granted: Vec<Permission> = owner.role.map(|r| r.permissions().to_vec()).unwrap_or_default();
    let granted: Vec<Permission> = granted.into_iter().filter(|p| owner.has(*p)).collect();
    let scope = if scope.is_empty() {
        TokenScope::parse(&granted.iter().map(|p| p.as_str().to_string()).collect::<Vec<_>>(), &granted)?
    } else {
        TokenScope::parse(scope, &granted)?
    };
    let expiry = TokenExpiry::parse(expires_in_days)?;
    let now = timefmt::now();
    let expires_at = timefmt::format_instant(now + time::Duration::days(i64::from(expiry.0)));
    let secret = random_token(TOKEN_PREFIX);
    let prefix: String = secret.chars().take(12).collect();
    let mut tx = store.begin().await?;
    let token: ApiToken = sqlx::query_as(concat!(
        "INSERT INTO api_tokens (user_id, name, token_hash, prefix, scope, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ",
        token_columns!()
    ))
    .bind(user_id.0)
    .bind(name.as_str())
    .bind(digest(&secret))
    .bind(&prefix)
    .bind(scope.to_stored())
    .bind(timefmt::format_instant(now))
    .bind(&expires_at)
    .fetch_one(tx.conn())
    .await?;
    tx.record(caller.actor(), events::token_created(token.id, user_id.0, &token.name, &token.scope, &expires_at));
    tx.commit().await?;
    Ok(NewToken { token, secret })
}

/// The caller's own tokens, newest first.
pub async fn list_own(store: &Store, caller: &Caller) -> Result<Vec<ApiToken>> {
    caller.principal.require(Permission::TokenManageOwn)?;
    let user_id = caller.principal.user_id.map_or(-1, |u| u.0);
    Ok(sqlx::query_as(concat!("SELECT ", token_columns!(), " FROM api_tokens WHERE user_id = $1 ORDER BY id DESC"))
        .bind(user_id)
        .fetch_all(store.reader())
        .await?)
}

/// Revokes one of the caller's tokens (or anyone's, for holders of `user.manage`).
pub async fn revoke(store: &Store, caller: &Caller, id: TokenId) -> Result<ApiToken> {
    caller.principal.require(Permission::TokenManageOwn)?;
    let mut tx = store.begin().await?;
    let token: Option<ApiToken> =
        sqlx::query_as(concat!("SELECT ", token_columns!(), " FROM api_tokens WHERE id = $1"))
            .bind(id.0)
            .fetch_optional(tx.conn())
            .await?;
    let owns = |t: &ApiToken| caller.principal.user_id.is_some_and(|u| u.0 == t.user_id);
    let Some(token) = token.filter(|t| owns(t) || caller.principal.has(Permission::UserManage)) else {
        return Err(Error::not_found("api_token", id));
    };
    if token.revoked_at.is_some() {
        return Ok(token);
    }
    let now = timefmt::format_instant(timefmt::now());
    let token: ApiToken =
        sqlx::query_as(concat!("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 RETURNING ", token_columns!()))
            .bind(&now)
            .bind(id.0)
            .fetch_one(tx.conn())
            .await?;
    tx.record(caller.actor(), events::token_revoked(token.id, token.user_id));
    tx.commit().await?;
    Ok(token)
}
