//! `/audit`: reading, verifying and exporting the audit trail (Art.27).

use crate::AppState;
use crate::auth::{Api, perm};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiQuery;
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use pubdata_domain::timefmt;
use pubdata_store::{AuditFilter, AuditPage, ChainCheck, audit_trail};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
pub struct EntryQuery {
    /// From this date (YYYY-MM-DD, Beijing time) or instant (RFC 3339).
    pub since: Option<String>,
    /// Until the end of this date, or before this instant.
    pub until: Option<String>,
    /// e.g. `user.create`, `auth.login`.
    pub action: Option<String>,
    /// Username of the actor.
    pub actor: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    /// `success`, `failure` or `denied`.
    pub outcome: Option<String>,
    /// Page backwards: entries before this position (`next_before` of the previous page).
    pub before_seq: Option<i64>,
    /// 1 to 500, default 50.
    pub limit: Option<u32>,
}

pub(crate) fn bounds(since: Option<&str>, until: Option<&str>) -> ApiResult<(Option<String>, Option<String>)> {
    let since = since
        .filter(|s| !s.trim().is_empty())
        .map(|s| timefmt::parse_bound("since", s).map(timefmt::format_instant))
        .transpose()?;
    let until = until
        .filter(|s| !s.trim().is_empty())
        .map(|s| timefmt::parse_until("until", s).map(timefmt::format_instant))
        .transpose()?;
    Ok((since, until))
}

impl EntryQuery {
    pub(crate) fn filter(&self) -> ApiResult<AuditFilter> {
        let (since, until) = bounds(self.since.as_deref(), self.until.as_deref())?;
        for (field, value) in [("action", &self.action), ("actor", &self.actor), ("object_id", &self.object_id)] {
            if value.as_ref().is_some_and(|v| v.chars().count() > 200) {
                return Err(ApiError::invalid(field, "不能超过 200 个字符", "must not exceed 200 characters"));
            }
        }
        Ok(AuditFilter {
            since,
            until,
            action: self.action.clone(),
            actor: self.actor.clone(),
            object_type: self.object_type.clone(),
            object_id: self.object_id.clone(),
            outcome: self.outcome.clone(),
            before_seq: self.before_seq,
            limit: self.limit.unwrap_or(50),
        })
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = AuditPage)]
pub struct AuditPageSchema {
    /// Newest first; each with its position (`seq`), `prev_hash` and `hash`.
    pub entries: Vec<serde_json::Value>,
    pub next_before: Option<i64>,
}

/// Audit entries, newest first (authority administrators and supervisors see all; an
/// accountable head sees their own agency's).
#[utoipa::path(get, path = "/audit/entries", tag = "audit", params(EntryQuery),
    responses((status = 200, body = AuditPageSchema), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn entries(
    State(state): State<AppState>,
    api: Api<perm::AuditRead>,
    ApiQuery(q): ApiQuery<EntryQuery>,
) -> ApiResult<Json<AuditPage>> {
    Ok(Json(audit_trail::list(&state.store, &api.caller, &q.filter()?).await?))
}

#[derive(Serialize, ToSchema)]
pub struct VerifyResult {
    /// `intact` or `broken`.
    pub status: &'static str,
    /// Entries verified (intact).
    pub entries: Option<i64>,
    pub head_seq: Option<i64>,
    /// Keep this to compare with later verifications.
    pub head_hash: Option<String>,
    /// `altered`, `removed`, `inserted` or `unlinked` (broken).
    pub kind: Option<String>,
    /// The first bad position (broken).
    pub position: Option<i64>,
    pub message: String,
    pub message_en: String,
}

pub(crate) fn verify_result(check: &ChainCheck) -> VerifyResult {
    match check {
        ChainCheck::Intact(r) => VerifyResult {
            status: "intact",
            entries: Some(r.entries),
            head_seq: Some(r.head_seq),
            head_hash: Some(r.head_hash.clone()),
            kind: None,
            position: None,
            message: format!("审计链完整，共 {} 条记录", r.entries),
            message_en: format!("the audit chain is intact: {} entries", r.entries),
        },
        ChainCheck::Broken(b) => VerifyResult {
            status: "broken",
            entries: None,
            head_seq: None,
            head_hash: None,
            kind: serde_json::to_value(b).ok().and_then(|v| v["kind"].as_str().map(str::to_string)),
            position: Some(b.position()),
            message: b.describe_zh(),
            message_en: b.describe_en(),
        },
    }
}

/// Walk the whole SM3 chain and report the first altered, removed or inserted entry.
#[utoipa::path(post, path = "/audit/verify", tag = "audit",
    responses((status = 200, body = VerifyResult), (status = 403, body = ErrorBody)))]
pub async fn verify(State(state): State<AppState>, api: Api<perm::AuditVerify>) -> ApiResult<Json<VerifyResult>> {
    let check = audit_trail::verify_as(&state.store, &api.caller).await?;
    Ok(Json(verify_result(&check)))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    pub since: Option<String>,
    pub until: Option<String>,
}

/// Export entries as JSON Lines (one entry per line, with hashes, in chain order), streamed.
#[utoipa::path(get, path = "/audit/export", tag = "audit", params(ExportQuery),
    responses((status = 200, description = "application/x-ndjson", content_type = "application/x-ndjson"), (status = 403, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    api: Api<perm::AuditExport>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> ApiResult<Response> {
    let (since, until) = bounds(q.since.as_deref(), q.until.as_deref())?;
    Ok(stream_export(state, api.caller, since, until).await)
}

/// Streams an export with back-pressure: pages are read only as fast as the client takes them.
pub(crate) async fn stream_export(
    state: AppState,
    caller: pubdata_domain::identity::Caller,
    since: Option<String>,
    until: Option<String>,
) -> Response {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<String, std::io::Error>>(64);
    tokio::spawn(async move {
        let sending = tx.clone();
        let result = audit_trail::export(&state.store, &caller, since.as_deref(), until.as_deref(), async move |r| {
            let line = serde_json::to_string(&r).map_err(std::io::Error::other)? + "\n";
            sending.send(Ok(line)).await.map_err(|_| std::io::Error::other("client went away"))
        })
        .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "audit export stopped");
            let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
    (
        [
            (header::CONTENT_TYPE, "application/x-ndjson; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"pubdata-audit.jsonl\""),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}
