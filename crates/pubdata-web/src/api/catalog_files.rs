//! `/catalog` files: the Excel template, Excel/CSV import with error reports, Excel export,
//! the JSON archive of the whole catalog, and the DCAT feed.

use crate::AppState;
use crate::auth::{Api, perm};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pubdata_store::catalog::CatalogArchive;
use pubdata_store::catalog::exchange::{self, ExportScope, ImportFormat, ImportMode, ImportOutcome};
use serde::Deserialize;
use utoipa::IntoParams;

pub(crate) const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A file download with a UTF-8 file name (RFC 6266).
pub(crate) fn download(content_type: &'static str, file_name: &str, bytes: Vec<u8>) -> Response {
    let ascii: String =
        file_name.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' }).collect();
    let encoded: String = file_name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b".-_".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }
        })
        .collect();
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
    ([(header::CONTENT_TYPE, content_type.to_string()), (header::CONTENT_DISPOSITION, disposition)], bytes)
        .into_response()
}

/// The Excel template to fill in (with the agencies' names in its lists).
#[utoipa::path(get, path = "/catalog/template.xlsx", tag = "catalog",
    responses((status = 200, description = "xlsx", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
pub async fn template(State(state): State<AppState>, api: Api<perm::CatalogRead>) -> ApiResult<Response> {
    let bytes = exchange::template_xlsx(&state.catalog, &api.caller).await?;
    Ok(download(XLSX, "公共数据资源目录模板.xlsx", bytes))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ImportParams {
    /// `xlsx` (default) or `csv` (the flat layout).
    pub format: Option<String>,
    /// For CSV: `utf-8`, `gbk` or `gb18030` (default: detected).
    pub encoding: Option<String>,
    /// `all_or_nothing` (default: nothing is imported if any resource has a problem) or
    /// `per_resource` (resources without problems are imported).
    pub mode: Option<String>,
    /// The file's name, for the report.
    pub file_name: Option<String>,
}

/// The import's format and mode, checked (empty values mean the defaults).
pub(crate) fn import_options(
    format: Option<&str>,
    encoding: Option<&str>,
    mode: Option<&str>,
) -> ApiResult<(ImportFormat, ImportMode)> {
    fn given(v: Option<&str>) -> Option<&str> {
        v.map(str::trim).filter(|v| !v.is_empty())
    }
    let encoding = given(encoding);
    if let Some(e) = encoding
        && !matches!(e, "utf-8" | "gbk" | "gb18030")
    {
        return Err(ApiError::invalid(
            "encoding",
            "编码应为 utf-8、gbk 或 gb18030",
            "the encoding is utf-8, gbk or gb18030",
        ));
    }
    let format = match given(format).unwrap_or("xlsx") {
        "xlsx" => ImportFormat::Xlsx,
        "csv" => ImportFormat::Csv { encoding: encoding.map(str::to_string) },
        other => {
            return Err(ApiError::invalid(
                "format",
                format!("不支持的格式 {other:?}"),
                format!("unsupported format {other:?}: xlsx or csv"),
            ));
        }
    };
    let mode = ImportMode::parse(given(mode).unwrap_or("all_or_nothing")).ok_or_else(|| {
        ApiError::invalid(
            "mode",
            "导入方式应为 all_or_nothing 或 per_resource",
            "mode is all_or_nothing or per_resource",
        )
    })?;
    Ok((format, mode))
}

/// The largest catalog file accepted for import (the general request limit is smaller).
pub(crate) const MAX_IMPORT_BYTES: usize = 20 * 1024 * 1024;

/// Import a filled template (the request body is the file). Creates drafts of the caller's
/// agency; reports every problem by sheet, row and column.
#[utoipa::path(post, path = "/catalog/import", tag = "catalog", params(ImportParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, description = "Imported (see `created`)", body = Object),
        (status = 422, description = "Nothing or not everything imported: `problems`, `file_problem`, `report_id`", body = Object),
        (status = 403, body = ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    api: Api<perm::CatalogCompile>,
    ApiQuery(p): ApiQuery<ImportParams>,
    body: Body,
) -> ApiResult<(StatusCode, Json<ImportOutcome>)> {
    let (format, mode) = import_options(p.format.as_deref(), p.encoding.as_deref(), p.mode.as_deref())?;
    // Catalog files are larger than other requests: read up to their own limit.
    let body = axum::body::to_bytes(body, MAX_IMPORT_BYTES).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("文件不能超过 {} MB", MAX_IMPORT_BYTES / 1024 / 1024),
            format!("the file must not exceed {} MB", MAX_IMPORT_BYTES / 1024 / 1024),
        )
    })?;
    let name = p.file_name.unwrap_or_else(|| "upload".into());
    let outcome = exchange::import_file(&state.catalog, &api.caller, &name, body.to_vec(), format, mode).await?;
    let status = if outcome.file_problem.is_none() && outcome.problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, Json(outcome)))
}

/// The error report of an import: the file's rows with a problems column.
#[utoipa::path(get, path = "/catalog/import-reports/{id}", tag = "catalog", params(("id" = i64, Path)),
    responses((status = 200, description = "xlsx"), (status = 404, body = ErrorBody)))]
pub async fn report(
    State(state): State<AppState>,
    api: Api<perm::CatalogRead>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let (name, bytes) = exchange::import_report(&state.catalog, &api.caller, id).await?;
    Ok(download(XLSX, &format!("错误报告-{name}.xlsx"), bytes))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ExportParams {
    /// `district` (the published catalog, default), `own` (the caller's agency) or an
    /// organisation id (its own catalog).
    pub scope: Option<String>,
}

/// `district`, or an organisation id; `own` is the caller's organisation (`own_org`).
pub(crate) fn export_scope(scope: Option<&str>, own_org: Option<i64>) -> ApiResult<ExportScope> {
    match scope.map(str::trim).filter(|s| !s.is_empty()).unwrap_or("district") {
        "own" => Ok(own_org.map_or(ExportScope::District, ExportScope::Organisation)),
        "district" => Ok(ExportScope::District),
        s => s.parse::<i64>().map(ExportScope::Organisation).map_err(|_| {
            ApiError::invalid("scope", "范围应为 district 或单位编号", "scope is district or an organisation id")
        }),
    }
}

/// Export a catalog to Excel in the template's layout.
#[utoipa::path(get, path = "/catalog/export.xlsx", tag = "catalog", params(ExportParams),
    responses((status = 200, description = "xlsx"), (status = 403, body = ErrorBody)))]
pub async fn export_xlsx(
    State(state): State<AppState>,
    api: Api<perm::CatalogRead>,
    ApiQuery(p): ApiQuery<ExportParams>,
) -> ApiResult<Response> {
    let scope = export_scope(p.scope.as_deref(), api.caller.principal.org_id.map(|o| o.0))?;
    let bytes = exchange::export_xlsx(&state.catalog, &api.caller, scope).await?;
    let name = match scope {
        ExportScope::District => "全区公共数据资源目录.xlsx".to_string(),
        ExportScope::Organisation(o) => format!("公共数据资源目录-{o}.xlsx"),
    };
    Ok(download(XLSX, &name, bytes))
}

/// The whole catalog as a JSON archive (the authority); restores exactly.
#[utoipa::path(get, path = "/catalog/archive", tag = "catalog", responses((status = 200, body = Object), (status = 403, body = ErrorBody)))]
pub async fn export_json(
    State(state): State<AppState>,
    api: Api<perm::CatalogReview>,
) -> ApiResult<Json<CatalogArchive>> {
    Ok(Json(exchange::export_archive(&state.catalog, &api.caller).await?))
}

/// Restore a JSON archive into an empty catalog (the authority).
#[utoipa::path(post, path = "/catalog/archive", tag = "catalog", request_body = Object,
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn import_json(
    State(state): State<AppState>,
    api: Api<perm::CatalogReview>,
    ApiJson(archive): ApiJson<CatalogArchive>,
) -> ApiResult<Json<serde_json::Value>> {
    let n = exchange::import_archive(&state.catalog, &api.caller, &archive).await?;
    Ok(Json(serde_json::json!({ "resources": n })))
}

/// The published catalog as DCAT-AP JSON-LD, for provincial and national portals.
#[utoipa::path(get, path = "/catalog/dcat.jsonld", tag = "catalog",
    responses((status = 200, description = "application/ld+json", body = Object)))]
pub async fn dcat(
    State(state): State<AppState>,
    api: Api<perm::CatalogRead>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let base = format!("http://{host}");
    let doc = exchange::dcat(&state.catalog, &api.caller, &base).await?;
    Ok(([(header::CONTENT_TYPE, "application/ld+json; charset=utf-8")], Json(doc).into_response().into_body())
        .into_response())
}
