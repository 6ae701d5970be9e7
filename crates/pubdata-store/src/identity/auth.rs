//! Logging in and out, and turning a session cookie or bearer token back into a principal.
//!
//! Secrets (session ids, tokens) are random 256-bit values handed to the client once; only
//! their SM3 digests are stored. Failed logins are counted per account and per source address
//! and throttle both; the answer to any failure is the same generic one.

use super::rows::{UserRow, user_columns_u};
use super::{throttle, users};
use crate::db::Store;
use crate::error::{Error, Result};
use pubdata_domain::audit::{Actor, events};
use pubdata_domain::identity::{
    Caller, PasswordHash, Principal, Source, ThrottleDecision, ThrottlePolicy, TokenScope, User, UserStatus, Username,
};
use pubdata_domain::ids::{SessionId, TokenId, UserId};
use pubdata_domain::secret::{digest, random_token};
use pubdata_domain::timefmt;
use time::Duration;

/// Prefix of session secrets (web cookies and API login tokens).
pub const SESSION_PREFIX: &str = "pds_";
/// Prefix of long-lived API tokens.
pub const TOKEN_PREFIX: &str = "pdt_";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    Web,
    Api,
}

impl Via {
    fn as_str(self) -> &'static str {
        match self {
            Via::Web => "web",
            Via::Api => "api",
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct AuthSettings {
    pub web_session_ttl: Duration,
    pub api_session_ttl: Duration,
    /// Demo accounts may log in only while this is set (`serve --demo`).
    pub demo_mode: bool,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings { web_session_ttl: Duration::hours(12), api_session_ttl: Duration::hours(12), demo_mode: false }
    }
}

/// A successful login: the secret to hand to the client, once.
#[derive(Clone, Debug)]
pub struct LoginOutcome {
    pub user: User,
    pub token: String,
    pub csrf_token: Option<String>,
    pub expires_at: String,
}

/// A request's authenticated principal and the credential it used.
#[derive(Clone, Debug)]
pub struct Authenticated {
    pub principal: Principal,
    pub session_id: Option<SessionId>,
    pub csrf_token: Option<String>,
}

pub(crate) fn principal_of(user: &User, token: Option<(TokenId, TokenScope)>) -> Principal {
    Principal {
        user_id: Some(user.id),
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        org_id: Some(user.org_id),
        role: Some(user.role),
        token,
        must_change_password: user.must_change_password,
    }
}

/// Checks a username and password and opens a session. Every outcome is audited.
pub async fn login(
    store: &Store,
    settings: &AuthSettings,
    source: &Source,
    via: Via,
    username: &str,
    password: &str,
) -> Result<LoginOutcome> {
    let now = timefmt::now();
    let name =
        Username::parse(username).map(|u| u.as_str().to_string()).unwrap_or_else(|_| username.trim().to_lowercase());
    let account_key = format!("account:{name}");
    let source_key = format!("source:{}", source.ip.as_deref().unwrap_or("unknown"));

    let mut conn = store.reader().acquire().await?;
    let account_state = throttle::load(&mut conn, &account_key).await?;
    let source_state = throttle::load(&mut conn, &source_key).await?;
    let blocked = [
        ThrottlePolicy::ACCOUNT.check(account_state.as_ref(), now),
        ThrottlePolicy::SOURCE.check(source_state.as_ref(), now),
    ]
    .into_iter()
    .filter_map(|d| match d {
        ThrottleDecision::Blocked { retry_after_secs } => Some(retry_after_secs),
        ThrottleDecision::Allow => None,
    })
    .max();
    if let Some(retry_after_secs) = blocked {
        drop(conn);
        store
            .audit()
            .record(Actor::anonymous(&name, source), events::login_failed(None, via.as_str(), "throttled"))
            .await?;
        return Err(Error::Throttled { retry_after_secs });
    }

    let found = users::find_by_username(&mut conn, &name).await?;
    drop(conn);
    // Spend the same argon2 time whether or not the account exists.
    let verified = match &found {
        Some((_, hash)) => hash.verify(password),
        None => PasswordHash::decoy().verify(password),
    };
    let refusal = match &found {
        None => Some("bad_credentials"),
        Some(_) if !verified => Some("bad_credentials"),
        Some((u, _)) if u.status != UserStatus::Active => Some("disabled"),
        Some((u, _)) if u.demo && !settings.demo_mode => Some("demo_only"),
        Some(_) => None,
    };

    let mut tx = store.begin().await?;
    if let Some(reason) = refusal {
        let account = ThrottlePolicy::ACCOUNT.record_failure(account_state.as_ref(), now);
        let src = ThrottlePolicy::SOURCE.record_failure(source_state.as_ref(), now);
        throttle::save(tx.conn(), &account_key, &account).await?;
        throttle::save(tx.conn(), &source_key, &src).await?;
        let user_id = found.as_ref().map(|(u, _)| u.id.0);
        tx.record(Actor::anonymous(&name, source), events::login_failed(user_id, via.as_str(), reason));
        tx.commit().await?;
        return Err(Error::BadCredentials);
    }
    let Some((user, _)) = found else { return Err(Error::BadCredentials) };
    throttle::clear(tx.conn(), &account_key).await?;
    let ttl = match via {
        Via::Web => settings.web_session_ttl,
        Via::Api => settings.api_session_ttl,
    };
    let token = random_token(SESSION_PREFIX);
    let csrf_token = (via == Via::Web).then(|| random_token(""));
    let expires_at = timefmt::format_instant(now + ttl);
    let now_text = timefmt::format_instant(now);
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, kind, csrf_token, created_at, expires_at, last_seen_at, ip, user_agent) \
         VALUES ($1, $2, $3, $4, $5, $6, $5, $7, $8)",
    )
    .bind(digest(&token))
    .bind(user.id.0)
    .bind(via.as_str())
    .bind(csrf_token.as_deref())
    .bind(&now_text)
    .bind(&expires_at)
    .bind(source.ip.as_deref())
    .bind(source.user_agent.as_ref().map(|u| u.chars().take(256).collect::<String>()))
    .execute(tx.conn())
    .await?;
    sqlx::query("UPDATE users SET last_login_at = $1 WHERE id = $2")
        .bind(&now_text)
        .bind(user.id.0)
        .execute(tx.conn())
        .await?;
    tx.record(Actor::new(&principal_of(&user, None), source), events::login_succeeded(&user, via.as_str()));
    tx.commit().await?;
    Ok(LoginOutcome { user, token, csrf_token, expires_at })
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    session_id: i64,
    csrf_token: Option<String>,
    expires_at: String,
    ended_at: Option<String>,
    last_seen_at: String,
    #[sqlx(flatten)]
    user: UserRow,
}

/// The principal behind a session secret of `kind` (`web` for cookies, `api` for login
/// tokens), or `None` if it is unknown, ended, expired, or its account may not log in now.
pub async fn authenticate_session(
    store: &Store,
    settings: &AuthSettings,
    secret: &str,
    web: bool,
) -> Result<Option<Authenticated>> {
    if !secret.starts_with(SESSION_PREFIX) || secret.len() > 64 {
        return Ok(None);
    }
    let row: Option<SessionRow> = sqlx::query_as(concat!(
        "SELECT s.id AS session_id, s.csrf_token, s.expires_at, s.ended_at, s.last_seen_at, ",
        user_columns_u!(),
        " FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.kind = $2"
    ))
    .bind(digest(secret))
    .bind(if web { "web" } else { "api" })
    .fetch_optional(store.reader())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let now = timefmt::now();
    let now_text = timefmt::format_instant(now);
    if row.ended_at.is_some() || row.expires_at <= now_text {
        return Ok(None);
    }
    let user = User::try_from(row.user)?;
    if user.status != UserStatus::Active || (user.demo && !settings.demo_mode) {
        return Ok(None);
    }
    // Bookkeeping, not a state change anyone audits: at most once a minute per session.
    if timefmt::parse_instant(&row.last_seen_at).is_ok_and(|t| now - t > Duration::minutes(1)) {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2")
            .bind(&now_text)
            .bind(row.session_id)
            .execute(store.writer())
            .await?;
    }
    Ok(Some(Authenticated {
        principal: principal_of(&user, None),
        session_id: Some(SessionId(row.session_id)),
        csrf_token: row.csrf_token,
    }))
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    token_id: i64,
    scope: String,
    expires_at: String,
    revoked_at: Option<String>,
    last_used_at: Option<String>,
    #[sqlx(flatten)]
    user: UserRow,
}

/// The principal behind a bearer secret: an API login token (`pds_…`) or a long-lived API
/// token (`pdt_…`, limited to its scope).
pub async fn authenticate_bearer(
    store: &Store,
    settings: &AuthSettings,
    secret: &str,
) -> Result<Option<Authenticated>> {
    if secret.starts_with(SESSION_PREFIX) {
        return authenticate_session(store, settings, secret, false).await;
    }
    if !secret.starts_with(TOKEN_PREFIX) || secret.len() > 64 {
        return Ok(None);
    }
    let row: Option<TokenRow> = sqlx::query_as(concat!(
        "SELECT t.id AS token_id, t.scope, t.expires_at, t.revoked_at, t.last_used_at, ",
        user_columns_u!(),
        " FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1"
    ))
    .bind(digest(secret))
    .fetch_optional(store.reader())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let now = timefmt::now();
    let now_text = timefmt::format_instant(now);
    if row.revoked_at.is_some() || row.expires_at <= now_text {
        return Ok(None);
    }
    let user = User::try_from(row.user)?;
    if user.status != UserStatus::Active || (user.demo && !settings.demo_mode) {
        return Ok(None);
    }
    let stale = row
        .last_used_at
        .as_deref()
        .is_none_or(|t| timefmt::parse_instant(t).is_ok_and(|t| now - t > Duration::minutes(1)));
    if stale {
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(&now_text)
            .bind(row.token_id)
            .execute(store.writer())
            .await?;
    }
    let scope = TokenScope::from_stored(&row.scope);
    Ok(Some(Authenticated {
        principal: principal_of(&user, Some((TokenId(row.token_id), scope))),
        session_id: None,
        csrf_token: None,
    }))
}

/// Ends a session (web logout, or an API login token's logout).
pub async fn logout(store: &Store, caller: &Caller, session: SessionId) -> Result<()> {
    let user_id = caller.principal.user_id.unwrap_or(UserId(0));
    let mut tx = store.begin().await?;
    sqlx::query("UPDATE sessions SET ended_at = $1 WHERE id = $2 AND user_id = $3 AND ended_at IS NULL")
        .bind(timefmt::format_instant(timefmt::now()))
        .bind(session.0)
        .bind(user_id.0)
        .execute(tx.conn())
        .await?;
    tx.record(caller.actor(), events::logged_out(user_id.0));
    tx.commit().await?;
    Ok(())
}
