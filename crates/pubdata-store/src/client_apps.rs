//! Client applications over storage (Art.15): registering a consumer agency's system, rotating
//! and retiring its secrets, disabling it, and authenticating its signed calls through the
//! sharing channel.
//!
//! Secrets are sealed with the platform's [`SharingKey`] (SM4-GCM), which the database never
//! holds: the clear secret exists only in the response that creates it and, briefly, in the
//! memory of the instance checking a signature. Every change is audited in its transaction;
//! every gateway call, answered or refused, leaves an audit entry through the group-commit
//! writer. A call's nonce is claimed in that entry's commit ([`record_for`]) and kept in the
//! database for the replay window, so that instances sharing a PostgreSQL database refuse each
//! other's replays too.

use crate::audit::{NonceClaim, Recorded};
use crate::db::Store;
use crate::error::{Error, Result};
use crate::identity::orgs;
use pubdata_domain::audit::{AuditEvent, events};
use pubdata_domain::client_app::signature;
use pubdata_domain::client_app::{
    self as domain, AppStatus, GatewayCaller, LimitOverrides, NewClientApp, Refusal, SharingKey, SignatureMethod,
    SignedRequest,
};
use pubdata_domain::identity::{Caller, OrgKind, Scope, Source};
use pubdata_domain::ids::OrgId;
use pubdata_domain::timefmt;
use serde::Serialize;
use sqlx::AnyConnection;
use std::sync::Arc;

pub(crate) mod nonces;

/// A client application as its managers see it (never its secrets).
#[derive(Clone, Debug, Serialize)]
pub struct ClientApp {
    pub id: i64,
    pub app_key: String,
    pub org_id: i64,
    pub org_name: String,
    pub name: String,
    pub description: String,
    pub contact: String,
    pub allowed_addresses: Vec<String>,
    pub status: AppStatus,
    pub created_by: String,
    pub created_at: String,
    pub disabled_reason: Option<String>,
    pub disabled_at: Option<String>,
    pub updated_at: String,
    /// The rate and daily quota the authority set for it (`None`: the platform's default).
    pub limits: LimitOverrides,
    /// Its secrets, newest first: prefixes and validity only.
    pub secrets: Vec<SecretView>,
}

/// One of an application's secrets, without the secret.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct SecretView {
    pub id: i64,
    /// The first characters, to recognise it by.
    pub prefix: String,
    pub created_at: String,
    /// The end of its rotation window, once a newer secret superseded it.
    pub retire_at: Option<String>,
    /// When it was retired before its window ended.
    pub retired_at: Option<String>,
    /// Whether calls signed with it are accepted now.
    #[sqlx(skip)]
    pub active: bool,
}

/// A new secret for an application: shown in this response only.
#[derive(Clone, Debug, Serialize)]
pub struct IssuedSecret {
    pub app: ClientApp,
    /// The secret. It is not stored in clear and cannot be shown again.
    pub secret: String,
}

#[derive(sqlx::FromRow)]
struct AppRow {
    id: i64,
    app_key: String,
    org_id: i64,
    org_name: String,
    name: String,
    description: String,
    contact: String,
    allowed_addresses: String,
    status: String,
    created_by: String,
    created_at: String,
    disabled_reason: Option<String>,
    disabled_at: Option<String>,
    updated_at: String,
    rate_per_second: Option<i64>,
    daily_quota: Option<i64>,
}

/// An application's own limits as stored (NULL: the default).
fn overrides(rate_per_second: Option<i64>, daily_quota: Option<i64>) -> LimitOverrides {
    LimitOverrides {
        rate_per_second: rate_per_second.and_then(|r| u32::try_from(r).ok()),
        daily_quota: daily_quota.and_then(|q| u64::try_from(q).ok()),
    }
}

const APP_SELECT: &str = "SELECT a.id, a.app_key, a.org_id, o.name AS org_name, a.name, a.description, a.contact, \
     a.allowed_addresses, a.status, a.created_by, a.created_at, a.disabled_reason, a.disabled_at, a.updated_at, \
     a.rate_per_second, a.daily_quota FROM client_apps a JOIN organisations o ON o.id = a.org_id";

/// Whether an unretired secret still accepts calls at `now`: a rotated-out one until `retire_at`.
fn within_window(retire_at: Option<&str>, now: &str) -> bool {
    retire_at.is_none_or(|r| r > now)
}

fn now_text() -> String {
    timefmt::format_instant(timefmt::now())
}

fn split_addresses(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

async fn load(conn: &mut AnyConnection, id: i64) -> Result<ClientApp> {
    let sql = format!("{APP_SELECT} WHERE a.id = $1");
    let row: Option<AppRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *conn).await?;
    let row = row.ok_or_else(|| Error::not_found("client_app", id))?;
    let now = now_text();
    let mut secrets: Vec<SecretView> = sqlx::query_as(
        "SELECT id, prefix, created_at, retire_at, retired_at FROM client_app_secrets WHERE app_id = $1 ORDER BY id DESC",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    for s in &mut secrets {
        s.active = s.retired_at.is_none() && within_window(s.retire_at.as_deref(), &now);
    }
    Ok(ClientApp {
        id: row.id,
        app_key: row.app_key,
        org_id: row.org_id,
        org_name: row.org_name,
        name: row.name,
        description: row.description,
        contact: row.contact,
        allowed_addresses: split_addresses(&row.allowed_addresses),
        status: AppStatus::parse(&row.status).unwrap_or(AppStatus::Disabled),
        created_by: row.created_by,
        created_at: row.created_at,
        disabled_reason: row.disabled_reason,
        disabled_at: row.disabled_at,
        updated_at: row.updated_at,
        limits: overrides(row.rate_per_second, row.daily_quota),
        secrets,
    })
}

/// Loads an application the caller may manage; others are reported as not found.
async fn load_managed(conn: &mut AnyConnection, caller: &Caller, id: i64) -> Result<ClientApp> {
    caller.principal.require(pubdata_domain::identity::Permission::ClientAppManage)?;
    let app = load(conn, id).await?;
    if !caller.principal.sees_org(OrgId(app.org_id)) {
        return Err(Error::not_found("client_app", id));
    }
    Ok(app)
}

/// Registers a client application for the caller's agency (or, for the authority, the agency
/// named) and issues its first secret.
pub async fn create(store: &Store, key: &SharingKey, caller: &Caller, new: NewClientApp) -> Result<IssuedSecret> {
    let org = match new.org_id.or(caller.principal.org_id) {
        Some(o) => o,
        None => {
            return Err(pubdata_domain::Error::invalid("org_id", "请指定所属单位", "name the agency (org_id)").into());
        }
    };
    domain::require_manage(&caller.principal, org)?;
    let allowed = new.check()?;
    let mut tx = store.begin().await?;
    let organisation = orgs::fetch(tx.conn(), org).await?;
    if !matches!(organisation.kind, OrgKind::Agency | OrgKind::TownStreet | OrgKind::Authority) {
        return Err(pubdata_domain::Error::invalid(
            "org_id",
            "接入应用只能属于公共管理和服务机构",
            "a client application belongs to an agency",
        )
        .into());
    }
    let now = now_text();
    let app_key = domain::new_app_key();
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO client_apps (app_key, org_id, name, description, contact, allowed_addresses, status, created_by, \
         created_by_user, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $8, $9, $9) RETURNING id",
    )
    .bind(&app_key)
    .bind(org.0)
    .bind(new.name.trim())
    .bind(new.description.trim())
    .bind(new.contact.trim())
    .bind(allowed.join(" "))
    .bind(&caller.principal.username)
    .bind(caller.principal.user_id.map(|u| u.0))
    .bind(&now)
    .fetch_one(tx.conn())
    .await
    .map_err(Error::on_duplicate("name", "本单位已有同名接入应用", "your agency already has an application of this name"))?;
    let secret = domain::new_secret();
    let secret_id = insert_secret(tx.conn(), key, id, &app_key, &secret, &now).await?;
    tx.record(caller.actor(), events::client_app_created(id, &app_key, org.0, new.name.trim(), &allowed, secret_id));
    tx.commit().await?;
    let app = load(&mut *store.reader().acquire().await?, id).await?;
    Ok(IssuedSecret { app, secret })
}

async fn insert_secret(
    conn: &mut AnyConnection,
    key: &SharingKey,
    app_id: i64,
    app_key: &str,
    secret: &str,
    now: &str,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO client_app_secrets (app_id, sealed, prefix, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(app_id)
    .bind(key.seal(secret.as_bytes(), app_key))
    .bind(domain::secret_prefix(secret))
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// The applications the caller may see: its agency's, or all for the authority and supervisors.
pub async fn list(store: &Store, caller: &Caller) -> Result<Vec<ClientApp>> {
    domain::require_read(&caller.principal)?;
    let mut conn = store.reader().acquire().await?;
    let ids: Vec<(i64,)> = match caller.principal.scope() {
        Scope::All => sqlx::query_as("SELECT id FROM client_apps ORDER BY id DESC").fetch_all(&mut *conn).await?,
        Scope::Org(org) => {
            sqlx::query_as("SELECT id FROM client_apps WHERE org_id = $1 ORDER BY id DESC")
                .bind(org.0)
                .fetch_all(&mut *conn)
                .await?
        }
        Scope::OwnAccount => Vec::new(),
    };
    let mut out = Vec::with_capacity(ids.len());
    for (id,) in ids {
        out.push(load(&mut conn, id).await?);
    }
    Ok(out)
}

pub async fn get(store: &Store, caller: &Caller, id: i64) -> Result<ClientApp> {
    domain::require_read(&caller.principal)?;
    let app = load(&mut *store.reader().acquire().await?, id).await?;
    if !caller.principal.sees_org(OrgId(app.org_id)) {
        return Err(Error::not_found("client_app", id));
    }
    Ok(app)
}

/// Issues a new secret without downtime: the current one keeps working for `window_hours`
/// (default 24; 0 retires it at once). An application holds at most two working secrets, so a
/// previous secret still in an earlier window is retired now.
pub async fn rotate(
    store: &Store,
    key: &SharingKey,
    caller: &Caller,
    id: i64,
    window_hours: Option<i64>,
) -> Result<IssuedSecret> {
    let hours = domain::rotation_hours(window_hours)?;
    let mut tx = store.begin().await?;
    let app = load_managed(tx.conn(), caller, id).await?;
    if app.status == AppStatus::Disabled {
        return Err(pubdata_domain::Error::conflict("应用已停用，不能轮换密钥", "the application is disabled").into());
    }
    let now_at = timefmt::now();
    let now = timefmt::format_instant(now_at);
    let until = timefmt::format_instant(now_at + time::Duration::hours(hours));
    // A previous secret still in its window: retired now (at most two work at once).
    sqlx::query(
        "UPDATE client_app_secrets SET retired_at = $2 WHERE app_id = $1 AND retired_at IS NULL AND retire_at IS NOT NULL",
    )
    .bind(id)
    .bind(&now)
    .execute(tx.conn())
    .await?;
    let current: Vec<(i64,)> = sqlx::query_as(
        "SELECT id FROM client_app_secrets WHERE app_id = $1 AND retired_at IS NULL AND retire_at IS NULL",
    )
    .bind(id)
    .fetch_all(tx.conn())
    .await?;
    let retire_sql = if hours == 0 {
        "UPDATE client_app_secrets SET retire_at = $2, retired_at = $2 WHERE app_id = $1 AND retired_at IS NULL AND retire_at IS NULL"
    } else {
        "UPDATE client_app_secrets SET retire_at = $2 WHERE app_id = $1 AND retired_at IS NULL AND retire_at IS NULL"
    };
    sqlx::query(retire_sql).bind(id).bind(if hours == 0 { &now } else { &until }).execute(tx.conn()).await?;
    let secret = domain::new_secret();
    let secret_id = insert_secret(tx.conn(), key, id, &app.app_key, &secret, &now).await?;
    sqlx::query("UPDATE client_apps SET updated_at = $2 WHERE id = $1").bind(id).bind(&now).execute(tx.conn()).await?;
    let previous: Vec<(i64, String)> =
        current.into_iter().map(|(s,)| (s, if hours == 0 { now.clone() } else { until.clone() })).collect();
    tx.record(caller.actor(), events::client_app_rotated(id, secret_id, &previous));
    tx.commit().await?;
    let app = load(&mut *store.reader().acquire().await?, id).await?;
    Ok(IssuedSecret { app, secret })
}

/// Retires the previous secrets before their window ends (once every system uses the new one).
pub async fn retire_previous(store: &Store, caller: &Caller, id: i64) -> Result<ClientApp> {
    let mut tx = store.begin().await?;
    load_managed(tx.conn(), caller, id).await?;
    let now = now_text();
    let previous: Vec<(i64,)> = sqlx::query_as(
        "SELECT id FROM client_app_secrets WHERE app_id = $1 AND retired_at IS NULL AND retire_at IS NOT NULL AND retire_at > $2",
    )
    .bind(id)
    .bind(&now)
    .fetch_all(tx.conn())
    .await?;
    if previous.is_empty() {
        return Err(pubdata_domain::Error::conflict(
            "没有处于过渡期的旧密钥",
            "there is no previous secret in a rotation window",
        )
        .into());
    }
    sqlx::query(
        "UPDATE client_app_secrets SET retired_at = $2 WHERE app_id = $1 AND retired_at IS NULL AND retire_at IS NOT NULL",
    )
    .bind(id)
    .bind(&now)
    .execute(tx.conn())
    .await?;
    let ids: Vec<i64> = previous.into_iter().map(|(s,)| s).collect();
    tx.record(caller.actor(), events::client_app_secret_retired(id, &ids));
    tx.commit().await?;
    load(&mut *store.reader().acquire().await?, id).await
}

/// Disables an application: its calls are refused from now on. There is no re-enabling; a
/// new registration gets new credentials.
pub async fn disable(store: &Store, caller: &Caller, id: i64, reason: &str) -> Result<ClientApp> {
    pubdata_domain::error::check_length("reason", reason.trim(), 1, 500)?;
    let mut tx = store.begin().await?;
    let app = load_managed(tx.conn(), caller, id).await?;
    if app.status == AppStatus::Disabled {
        return Err(pubdata_domain::Error::conflict("应用已停用", "the application is already disabled").into());
    }
    let now = now_text();
    sqlx::query(
        "UPDATE client_apps SET status = 'disabled', disabled_reason = $2, disabled_by = $3, disabled_at = $4, \
         updated_at = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(reason.trim())
    .bind(&caller.principal.username)
    .bind(&now)
    .execute(tx.conn())
    .await?;
    tx.record(caller.actor(), events::client_app_disabled(id, reason.trim()));
    tx.commit().await?;
    load(&mut *store.reader().acquire().await?, id).await
}

/// A gateway call as received: the signing headers (absent ones `None`) and what was signed.
#[derive(Clone, Debug)]
pub struct GatewayCall<'a> {
    pub app_key: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub nonce: Option<&'a str>,
    pub signature_method: Option<&'a str>,
    pub signature: Option<&'a str>,
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub body: &'a [u8],
}

/// Authenticates a signed gateway call at `now` (unix seconds). `Ok(Err(refusal))` means the
/// call was refused and the refusal is already in the audit trail; `Err` means the check (or
/// its audit entry) could not be completed, and the call must not be answered either.
pub async fn authenticate_call(
    store: &Store,
    key: &SharingKey,
    call: &GatewayCall<'_>,
    source: &Source,
    now: i64,
) -> Result<std::result::Result<GatewayCaller, Refusal>> {
    let mut known = None;
    let outcome = check_call(store, key, call, source, now, &mut known).await?;
    if let Err(refusal) = outcome {
        refuse(store, source, known, call.app_key, refusal, call.method, call.path).await?;
    }
    Ok(outcome)
}

/// The application a refused call named, once found: (id, agency).
type Known = Option<(i64, OrgId)>;

async fn check_call(
    store: &Store,
    key: &SharingKey,
    call: &GatewayCall<'_>,
    source: &Source,
    now: i64,
    known: &mut Known,
) -> Result<std::result::Result<GatewayCaller, Refusal>> {
    let (Some(app_key), Some(timestamp), Some(nonce), Some(signature)) =
        (call.app_key, call.timestamp, call.nonce, call.signature)
    else {
        return Ok(Err(Refusal::Unsigned));
    };
    let checked = SignatureMethod::parse(call.signature_method)
        .and_then(|m| signature::check_timestamp(timestamp, now).map(|_| m))
        .and_then(|m| signature::check_nonce(nonce).map(|()| m));
    let method = match checked {
        Ok(m) => m,
        Err(r) => return Ok(Err(r)),
    };
    let Some(app) = app_record(store, app_key).await? else {
        return Ok(Err(Refusal::UnknownApp));
    };
    *known = Some((app.id, app.org_id));
    if app.status != AppStatus::Active.as_str() {
        return Ok(Err(Refusal::AppDisabled));
    }
    if !domain::address_allowed(&split_addresses(&app.allowed_addresses), source.ip.as_deref()) {
        return Ok(Err(Refusal::AddressNotAllowed));
    }
    let now = now_text();
    let sealed = app.secrets.iter().filter(|s| within_window(s.retire_at.as_deref(), &now));
    let request =
        SignedRequest { method: call.method, path: call.path, query: call.query, body: call.body, timestamp, nonce };
    let mut matched = false;
    for s in sealed {
        let Some(secret) = key.open(&s.sealed, app_key).and_then(|b| String::from_utf8(b).ok()) else {
            tracing::error!(app.id, "a client application's secret does not open with this instance's sharing key");
            continue;
        };
        // Every working secret is tried, so that timing does not tell which one matched.
        matched |= signature::signature_matches(method, &secret, &request, signature);
    }
    if !matched {
        return Ok(Err(Refusal::BadSignature));
    }
    Ok(Ok(GatewayCaller {
        app_id: app.id,
        app_key: app_key.to_string(),
        app_name: app.name.clone(),
        consumer_org: app.org_id,
        consumer_org_name: app.org_name.clone(),
        signature_method: method,
        limits: app.limits,
        source: source.clone(),
        unclaimed_nonce: Some(nonce.to_string()),
    }))
}

/// What the channel checks a call against: an application, its agency and its unretired
/// secrets (sealed), as read at one moment.
pub(crate) struct AppRecord {
    id: i64,
    org_id: OrgId,
    name: String,
    status: String,
    allowed_addresses: String,
    org_name: String,
    limits: LimitOverrides,
    secrets: Vec<SealedSecret>,
}

struct SealedSecret {
    sealed: String,
    /// When a rotated-out secret stops working (an instant in the fixed-width text form).
    retire_at: Option<String>,
}

/// The application with this key, from the channel's copies when a recent one is there.
async fn app_record(store: &Store, app_key: &str) -> Result<Option<Arc<AppRecord>>> {
    let shelf = &store.channel_cache().apps;
    let generation = store.generation();
    if let Some(app) = shelf.get(app_key, generation) {
        return Ok(Some(app));
    }
    let mut conn = store.reader().acquire().await?;
    type Found = (i64, i64, String, String, String, String, Option<i64>, Option<i64>);
    let found: Option<Found> = sqlx::query_as(
        "SELECT a.id, a.org_id, a.name, a.status, a.allowed_addresses, o.name, a.rate_per_second, a.daily_quota \
         FROM client_apps a JOIN organisations o ON o.id = a.org_id WHERE a.app_key = $1",
    )
    .bind(app_key)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((id, org_id, name, status, allowed_addresses, org_name, rate, quota)) = found else { return Ok(None) };
    let secrets: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT sealed, retire_at FROM client_app_secrets WHERE app_id = $1 AND retired_at IS NULL")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
    let app = Arc::new(AppRecord {
        id,
        org_id: OrgId(org_id),
        name,
        status,
        allowed_addresses,
        org_name,
        limits: overrides(rate, quota),
        secrets: secrets.into_iter().map(|(sealed, retire_at)| SealedSecret { sealed, retire_at }).collect(),
    });
    shelf.put(app_key.to_string(), generation, Arc::clone(&app));
    Ok(Some(app))
}

/// Forgets nonces older than the replay window (their calls' timestamps are refused anyway).
/// The audit writer does this once a minute by itself.
pub async fn prune_nonces(store: &Store) -> Result<u64> {
    nonces::prune(store.writer()).await
}

/// Sets an application's own rate and daily quota (`None`: back to the platform's default).
/// The authority's alone: an agency may not raise its own limits.
pub async fn set_limits(store: &Store, caller: &Caller, id: i64, limits: LimitOverrides) -> Result<ClientApp> {
    domain::limits::require_set_limits(&caller.principal)?;
    limits.check()?;
    let mut tx = store.begin().await?;
    load_managed(tx.conn(), caller, id).await?;
    sqlx::query("UPDATE client_apps SET rate_per_second = $2, daily_quota = $3, updated_at = $4 WHERE id = $1")
        .bind(id)
        .bind(limits.rate_per_second.map(i64::from))
        .bind(limits.daily_quota.and_then(|q| i64::try_from(q).ok()))
        .bind(now_text())
        .execute(tx.conn())
        .await?;
    tx.record(caller.actor(), events::client_app_limits_set(id, &limits));
    tx.commit().await?;
    load(&mut *store.reader().acquire().await?, id).await
}

/// Records a refused gateway call (durably, before the refusal is answered).
pub async fn refuse(
    store: &Store,
    source: &Source,
    known: Known,
    app_key: Option<&str>,
    refusal: Refusal,
    method: &str,
    path: &str,
) -> Result<()> {
    let actor = domain::gateway_actor(app_key.unwrap_or("-"), known.map(|(_, org)| org), source);
    let event = events::gateway_refused(known.map(|(id, _)| id), app_key, refusal.code(), method, path);
    store.audit().record(actor, event).await?;
    Ok(())
}

/// Claims the call's nonce now, before the call changes anything (an export job's creation);
/// a nonce used before is refused, and the refusal audited. Calls that only read leave the
/// claim to their audit record ([`record_for`]), which makes both durable in one commit.
pub async fn claim_nonce(
    store: &Store,
    caller: &mut GatewayCaller,
    method: &str,
    path: &str,
) -> Result<std::result::Result<(), Refusal>> {
    let Some(nonce) = caller.unclaimed_nonce.take() else { return Ok(Ok(())) };
    if store.nonces().remember(caller.app_id, &nonce).await? {
        return Ok(Ok(()));
    }
    let refusal = Refusal::ReplayedNonce;
    refuse(
        store,
        &caller.source,
        Some((caller.app_id, caller.consumer_org)),
        Some(&caller.app_key),
        refusal,
        method,
        path,
    )
    .await?;
    Ok(Err(refusal))
}

/// Writes the audit record of an authenticated call (durably: a call whose record cannot be
/// written is not answered, Art.16), claiming the call's nonce in the same commit when it is
/// still unclaimed. A nonce used before turns the record into the refusal of a replay, and the
/// call must be answered with that refusal instead.
pub async fn record_for(
    store: &Store,
    caller: &GatewayCaller,
    method: &str,
    path: &str,
    event: AuditEvent,
) -> Result<std::result::Result<(), Refusal>> {
    let Some(nonce) = &caller.unclaimed_nonce else {
        store.audit().record(caller.actor(), event).await?;
        return Ok(Ok(()));
    };
    let refusal = Refusal::ReplayedNonce;
    let claim = NonceClaim {
        app_id: caller.app_id,
        nonce: nonce.clone(),
        if_replayed: events::gateway_refused(Some(caller.app_id), Some(&caller.app_key), refusal.code(), method, path),
    };
    match store.audit().record_claiming(caller.actor(), event, claim).await? {
        Recorded::Entry(_) => Ok(Ok(())),
        Recorded::Replayed(_) => Ok(Err(refusal)),
    }
}

/// Records an answered gateway call ([`record_for`]).
pub async fn record_call(
    store: &Store,
    caller: &GatewayCaller,
    method: &str,
    path: &str,
    status: u16,
    detail: serde_json::Value,
) -> Result<std::result::Result<(), Refusal>> {
    record_for(store, caller, method, path, events::gateway_called(caller.app_id, method, path, status, detail)).await
}
