//! The sharing channel's bulk delivery (Art.15-16), signed like every gateway call:
//!
//! - `POST /gateway/v1/resources/{id}/exports?grant=…&format=csv|xlsx|jsonl&<filters>`: queues an
//!   export of the grant's items and row scope (filters in the gateway query's syntax) and
//!   answers 202 with the job at once; this instance runs it in the background.
//! - `GET /gateway/v1/exports/{id}`: the job's state (queued, running, ready, failed, expired),
//!   rows, bytes and SHA-256.
//! - `GET /gateway/v1/exports/{id}/file`: the file, streamed from disk, while it has not expired
//!   (410 after), to applications of the consumer agency only.
//!
//! Only grants whose delivery is bulk can be exported (`gateway_delivery_not_granted`
//! otherwise); a request that states another scenario than its grant's is refused
//! (`gateway_wrong_scenario`), as data calls are. Each call, answered or refused, writes one
//! audit record before the answer leaves, as the data calls do; the export's own data access is
//! recorded when its file is ready.

use crate::AppState;
use crate::error::ApiResult;
use crate::gateway::Gateway;
use crate::gateway_records::{CallRecord, named_grant};
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use pubdata_domain::sharing_channel::CallRefusal;
use pubdata_domain::sharing_export::{self as rules, ExportRefusal, Requester};
use pubdata_store::client_apps;
use pubdata_store::sharing_export::{self, ExportBy, ExportJob};
use std::path::PathBuf;
use tokio::io::AsyncReadExt;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/gateway/v1/resources/{id}/exports", post(create))
        .route("/gateway/v1/exports/{id}", get(job))
        .route("/gateway/v1/exports/{id}/file", get(file))
}

fn params_of(raw: Option<String>) -> Vec<(String, String)> {
    raw.and_then(|q| serde_urlencoded::from_str(&q).ok()).unwrap_or_default()
}

/// Runs an accepted job on this instance, in the background: the request does not wait.
pub(crate) fn start(state: &AppState, id: i64) {
    let (store, settings) = (state.store.clone(), state.config.exports.clone());
    tokio::spawn(async move {
        match sharing_export::run(store, settings, id).await {
            Ok(job) => tracing::info!(export = id, state = job.state.as_str(), rows = job.rows, "export finished"),
            Err(e) => tracing::error!(export = id, error = %e, "export could not be run"),
        }
    });
}

/// `POST /gateway/v1/resources/{id}/exports?grant=…&format=…`.
async fn create(
    State(state): State<AppState>,
    Path(resource_id): Path<i64>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    gateway: Gateway,
) -> ApiResult<(StatusCode, Json<ExportJob>)> {
    let mut caller = gateway.caller;
    let params = params_of(raw);
    let path = format!("/gateway/v1/resources/{resource_id}/exports");
    // The job is created before the call's record is written: its nonce is claimed first.
    client_apps::claim_nonce(&state.store, &mut caller, "POST", &path).await??;
    let mut record = CallRecord::new(gateway.started, "export_create", path, &params).method("POST");
    let Some(grant_id) = named_grant(&headers, &params) else {
        return Err(record.refused(&state, &caller, CallRefusal::grant_missing()).await);
    };
    record.grant_id = Some(grant_id);
    let format = params.iter().find(|(n, _)| n == "format").map(|(_, v)| v.as_str());
    let format = match rules::parse_format(format) {
        Ok(f) => f,
        Err(refusal) => return Err(record.refused(&state, &caller, refusal).await),
    };
    let by = ExportBy {
        requester: Requester { app_id: Some(caller.app_id), user_id: None, name: caller.app_name.clone() },
        org: caller.consumer_org,
        actor: caller.actor(),
    };
    let exports = &state.config.exports;
    match sharing_export::create(&state.store, exports, &by, grant_id, resource_id, format, &params).await? {
        Ok(job) => {
            record.scenario = Some(job.scenario.clone());
            record.answered_with(&state, &caller, 202, 0).await?;
            start(&state, job.id);
            Ok((StatusCode::ACCEPTED, Json(job)))
        }
        Err(refusal) => Err(record.refused(&state, &caller, refusal).await),
    }
}

/// `GET /gateway/v1/exports/{id}`.
async fn job(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    RawQuery(raw): RawQuery,
    gateway: Gateway,
) -> ApiResult<Json<ExportJob>> {
    let caller = gateway.caller;
    let mut record =
        CallRecord::new(gateway.started, "export_status", format!("/gateway/v1/exports/{id}"), &params_of(raw));
    match sharing_export::get_for(&state.store, id, caller.consumer_org).await? {
        Ok(job) => {
            record.grant_id = Some(job.grant_id);
            record.scenario = Some(job.scenario.clone());
            record.answered(&state, &caller, 0).await?;
            Ok(Json(job))
        }
        Err(refusal) => Err(record.refused(&state, &caller, refusal).await),
    }
}

/// `GET /gateway/v1/exports/{id}/file`.
async fn file(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    RawQuery(raw): RawQuery,
    gateway: Gateway,
) -> ApiResult<Response> {
    let caller = gateway.caller;
    let path = format!("/gateway/v1/exports/{id}/file");
    let mut record = CallRecord::new(gateway.started, "export_download", path, &params_of(raw));
    let opened = match sharing_export::open_download(&state.store, &state.config.exports, id, Some(caller.consumer_org))
        .await?
    {
        Ok((job, path)) => open_file(job, path).await,
        Err(refusal) => Err(refusal),
    };
    match opened {
        Ok((job, file)) => {
            record.grant_id = Some(job.grant_id);
            record.scenario = Some(job.scenario.clone());
            record.answered(&state, &caller, job.rows.unwrap_or(0) as usize).await?;
            Ok(file_response(&job, file))
        }
        Err(refusal) => Err(record.refused(&state, &caller, refusal).await),
    }
}

/// The job's file, opened; a file the sweep already deleted is an expired one.
pub(crate) async fn open_file(job: ExportJob, path: PathBuf) -> Result<(ExportJob, tokio::fs::File), CallRefusal> {
    match tokio::fs::File::open(&path).await {
        Ok(f) => Ok((job, f)),
        Err(e) => {
            tracing::warn!(export = job.id, error = %e, "an export file could not be opened");
            Err(ExportRefusal::expired())
        }
    }
}

/// A download: the file streamed from disk in chunks (never read whole), with its type, name,
/// length and SHA-256.
pub(crate) fn file_response(job: &ExportJob, file: tokio::fs::File) -> Response {
    let stream = futures_util::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let mut buffer = vec![0u8; 64 * 1024];
        match file.read(&mut buffer).await {
            Ok(0) => None,
            Ok(n) => {
                buffer.truncate(n);
                Some((Ok::<Bytes, std::io::Error>(Bytes::from(buffer)), Some(file)))
            }
            Err(e) => Some((Err(e), None)),
        }
    });
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(job.format.content_type()));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", job.download_name)) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Some(bytes) = job.bytes {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(bytes));
    }
    if let Some(Ok(v)) = job.sha256.as_deref().map(HeaderValue::from_str) {
        headers.insert("X-Pubdata-Sha256", v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
