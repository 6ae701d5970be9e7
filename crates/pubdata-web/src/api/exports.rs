//! `/grants/{id}/exports` and `/exports/{id}/file`: bulk exports of a grant (Art.15-16) for
//! signed-in users. The consumer agency starts them and downloads their files; the provider and
//! the authority see that exports exist and their sizes. Grants outside the caller's view are
//! not found, as on the grant endpoints.

use crate::AppState;
use crate::auth::{Api, perm};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::gateway_exports::{file_response, open_file, start};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use pubdata_domain::sharing_export as rules;
use pubdata_store::sharing_export::{self, ExportJob};
use serde::Deserialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The grant's export jobs, newest first (the consumer, the provider, the authority).
#[utoipa::path(get, path = "/grants/{id}/exports", tag = "sharing", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Object>), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    api: Api<perm::SharingRead>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<ExportJob>>> {
    Ok(Json(sharing_export::list_for_grant(&state.store, &api.caller, id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartExport {
    /// `csv` (UTF-8 with BOM), `xlsx` (at most 1,048,575 rows) or `jsonl`.
    pub format: String,
    /// Filters in the gateway query's syntax, e.g. `{"district": "鄞州区", "age.gte": "60"}`:
    /// granted items only, no range over masked items.
    #[serde(default)]
    pub filters: BTreeMap<String, String>,
}

/// Start an export of the grant (the consumer agency, `sharing.request`): 202 with the job,
/// which runs in the background; its file is downloadable for a limited time once ready.
#[utoipa::path(post, path = "/grants/{id}/exports", tag = "sharing", params(("id" = i64, Path)), request_body = StartExport,
    responses((status = 202, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    api: Api<perm::SharingRead>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<StartExport>,
) -> ApiResult<(StatusCode, Json<ExportJob>)> {
    let format = rules::parse_format(Some(&body.format))?;
    let params: Vec<(String, String)> = body.filters.into_iter().collect();
    let job = sharing_export::create_for_user(&state.store, &state.config.exports, &api.caller, id, format, &params)
        .await??;
    start(&state, job.id);
    Ok((StatusCode::ACCEPTED, Json(job)))
}

/// Download a ready export's file (the consumer agency only; 410 once expired), streamed.
#[utoipa::path(get, path = "/exports/{id}/file", tag = "sharing", params(("id" = i64, Path)),
    responses((status = 200, description = "the file (CSV, XLSX or JSON Lines)"), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 410, body = ErrorBody)))]
pub async fn download(
    State(state): State<AppState>,
    api: Api<perm::SharingRead>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let (job, path) =
        sharing_export::open_download_for_user(&state.store, &state.config.exports, &api.caller, id).await??;
    let (job, file) = open_file(job, path).await?;
    // Art.16: the data leaves only once its access is on the audit trail.
    sharing_export::record_download(&state.store, api.caller.actor(), &job).await?;
    Ok(file_response(&job, file))
}
