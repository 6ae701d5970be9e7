//! Catalog files as pages: the import form (multipart upload) and its result with every
//! problem located by sheet, row and column, the stored error reports, and the downloads
//! (Excel export, the template, DCAT).
//!
//! The upload is `multipart/form-data` with the fields `csrf` (the session token, checked
//! here as `CsrfForm` does for plain forms), `file`, `format` (`xlsx` | `csv`), `encoding`
//! (CSV: empty for detection, `utf-8`, `gbk`, `gb18030`) and `mode` (`all_or_nothing` |
//! `per_resource`). Ids: `#import-form`, `#import-result`, `#import-problems`, `#report-link`.

use super::catalog::{ProblemView, org_names};
use super::{PageCtx, error_page, render, render_status};
use crate::AppState;
use crate::api::catalog_files::{MAX_IMPORT_BYTES, XLSX, download, export_scope, import_options};
use crate::auth::{Page, perm};
use crate::error::ApiError;
use crate::extract::csrf_refused;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use pubdata_domain::identity::Scope;
use pubdata_domain::secret::constant_time_eq;
use pubdata_store::catalog::exchange::{self, ExportScope, ImportMode};
use pubdata_store::catalog::resources;
use serde::Deserialize;

/// The largest file the import page accepts.
pub const MAX_UPLOAD_BYTES: usize = MAX_IMPORT_BYTES;

/// The body limit of the upload route (the application-wide limit applies on top of it).
pub fn body_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(MAX_UPLOAD_BYTES + 64 * 1024)
}

// ---------------------------------------------------------------------------------------------
// multipart/form-data

/// One part of a multipart body.
#[derive(Debug, PartialEq, Eq)]
pub struct Part {
    pub name: String,
    pub file_name: Option<String>,
    pub data: Vec<u8>,
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > haystack.len() {
        return None;
    }
    haystack[from..].windows(needle.len()).position(|w| w == needle).map(|p| p + from)
}

/// The value of `key="…"` (or unquoted) in a header's parameters.
fn param(header: &str, key: &str) -> Option<String> {
    for part in header.split(';').skip(1) {
        let (k, v) = part.trim().split_once('=')?;
        if k.trim().eq_ignore_ascii_case(key) {
            let v = v.trim();
            let v = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(v);
            return Some(v.replace("\\\"", "\""));
        }
    }
    None
}

/// The boundary of a `multipart/form-data` content type.
pub fn boundary(content_type: &str) -> Option<String> {
    let mime = content_type.split(';').next()?.trim();
    if !mime.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    param(content_type, "boundary").filter(|b| !b.is_empty() && b.len() <= 200)
}

/// Splits a `multipart/form-data` body into its parts (RFC 7578), or `None` if it is malformed.
pub fn parse_multipart(body: &[u8], boundary: &str) -> Option<Vec<Part>> {
    let spans = multipart_spans(body, boundary)?;
    Some(
        spans.into_iter().map(|s| Part { name: s.name, file_name: s.file_name, data: body[s.data].to_vec() }).collect(),
    )
}

/// One part of a multipart body, located rather than copied (for large uploads).
#[derive(Debug, PartialEq, Eq)]
pub struct PartSpan {
    pub name: String,
    pub file_name: Option<String>,
    pub data: std::ops::Range<usize>,
}

/// Locates the parts of a `multipart/form-data` body (RFC 7578), or `None` if it is malformed.
pub fn multipart_spans(body: &[u8], boundary: &str) -> Option<Vec<PartSpan>> {
    let delimiter = format!("--{boundary}").into_bytes();
    let mut pos = find(body, &delimiter, 0)? + delimiter.len();
    let mut parts = Vec::new();
    loop {
        if body.get(pos..pos + 2) == Some(b"--") {
            return Some(parts);
        }
        // The rest of the delimiter line.
        pos = find(body, b"\r\n", pos)? + 2;
        let headers_end = find(body, b"\r\n\r\n", pos)?;
        let headers = std::str::from_utf8(&body[pos..headers_end]).ok()?;
        let data_start = headers_end + 4;
        let mut next_delimiter = b"\r\n".to_vec();
        next_delimiter.extend_from_slice(&delimiter);
        let data_end = find(body, &next_delimiter, data_start)?;
        let mut name = None;
        let mut file_name = None;
        for line in headers.split("\r\n") {
            if let Some((k, v)) = line.split_once(':')
                && k.trim().eq_ignore_ascii_case("content-disposition")
            {
                name = param(v, "name");
                file_name = param(v, "filename");
            }
        }
        parts.push(PartSpan { name: name?, file_name, data: data_start..data_end });
        pos = data_end + next_delimiter.len();
        if parts.len() > 50 {
            return None;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Import

pub struct CreatedRow {
    pub id: i64,
    pub name: String,
}

pub struct RowProblemView {
    pub sheet: String,
    pub row: String,
    pub column: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "catalog_import.html")]
struct ImportPage {
    ctx: PageCtx,
    format: String,
    encoding: String,
    mode: String,
    /// After an upload.
    result: Option<ImportResult>,
    problems: Vec<ProblemView>,
    max_mb: usize,
}

struct ImportResult {
    file_name: String,
    mode_label: String,
    created: Vec<CreatedRow>,
    refused: usize,
    file_problem: Option<RowProblemView>,
    problems: Vec<RowProblemView>,
    report_link: Option<String>,
}

fn import_ctx(page: &Page<impl Sized>, uri: &Uri) -> PageCtx {
    PageCtx::new(page, "import.title", uri, None)
        .crumb("catalog.title", "/catalog")
        .crumb("import.title", "/catalog/import")
}

/// The largest upload, in MB (this route's own limit, above the general request limit).
fn max_mb(_state: &AppState) -> usize {
    MAX_UPLOAD_BYTES / 1024 / 1024
}

pub async fn form(State(state): State<AppState>, page: Page<perm::CatalogCompile>, uri: Uri) -> Response {
    render(&ImportPage {
        ctx: import_ctx(&page, &uri),
        format: "xlsx".into(),
        encoding: String::new(),
        mode: "all_or_nothing".into(),
        result: None,
        problems: Vec::new(),
        max_mb: max_mb(&state),
    })
}

pub async fn upload(
    State(state): State<AppState>,
    page: Page<perm::CatalogCompile>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let lang = page.lang;
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let Some(parts) = boundary(content_type).and_then(|b| parse_multipart(&body, &b)) else {
        // Without a readable form there is no token either.
        return csrf_refused(lang);
    };
    let text = |name: &str| {
        parts
            .iter()
            .find(|p| p.name == name)
            .map(|p| String::from_utf8_lossy(&p.data).trim().to_string())
            .unwrap_or_default()
    };
    let csrf = text("csrf");
    if csrf.is_empty() || !constant_time_eq(&page.csrf, &csrf) {
        return csrf_refused(lang);
    }
    let (format, encoding, mode) = (text("format"), text("encoding"), text("mode"));
    let file = parts.iter().find(|p| p.name == "file" && p.file_name.as_deref().is_some_and(|n| !n.is_empty()));
    let page_with = |problems: Vec<ProblemView>, result: Option<ImportResult>| ImportPage {
        ctx: import_ctx(&page, &uri),
        format: format.clone(),
        encoding: encoding.clone(),
        mode: mode.clone(),
        result,
        problems,
        max_mb: max_mb(&state),
    };
    let refuse = |e: ApiError| {
        let problems = vec![ProblemView {
            label: lang
                .t(match e.field.as_deref() {
                    Some("format") => "import.format",
                    Some("encoding") => "import.encoding",
                    Some("mode") => "import.mode",
                    _ => "import.file",
                })
                .to_string(),
            anchor: format!("f-{}", e.field.as_deref().unwrap_or("file")),
            field: e.field.clone().unwrap_or_default(),
            message: lang.pick(&e.message.zh, &e.message.en).to_string(),
        }];
        render_status(e.status, &page_with(problems, None))
    };
    let (fmt, import_mode) = match import_options(Some(&format), Some(&encoding), Some(&mode)) {
        Ok(x) => x,
        Err(e) => return refuse(e),
    };
    let Some(file) = file.filter(|f| !f.data.is_empty()) else {
        return refuse(ApiError::invalid("file", "请选择要导入的文件", "choose a file to import"));
    };
    if file.data.len() > MAX_UPLOAD_BYTES {
        return refuse(ApiError::invalid("file", "文件过大", "the file is too large"));
    }
    let file_name = file.file_name.clone().unwrap_or_else(|| "upload".into());
    let outcome = match exchange::import_file(
        &state.catalog,
        &page.caller,
        &file_name,
        file.data.clone(),
        fmt,
        import_mode,
    )
    .await
    {
        Ok(o) => o,
        Err(e) => return refuse(e.into()),
    };
    // The names of what was created, from the agency's catalog (one query).
    let own = if page.caller.principal.scope() == Scope::All { None } else { page.caller.principal.org_id };
    let listed = resources::agency_catalog(&state.catalog, &page.caller, own).await.unwrap_or_default();
    let created = outcome
        .created
        .iter()
        .map(|id| CreatedRow {
            id: *id,
            name: listed.iter().find(|r| r.id == *id).map(|r| r.name.clone()).unwrap_or_else(|| format!("#{id}")),
        })
        .collect();
    let file_problem = outcome.file_problem.as_ref().map(|p| RowProblemView {
        sheet: p.sheet.clone().unwrap_or_default(),
        row: p.row.map(|r| r.to_string()).unwrap_or_default(),
        column: p.column.clone().unwrap_or_default(),
        message: lang.pick(&p.message.zh, &p.message.en).to_string(),
    });
    let problems = outcome
        .problems
        .iter()
        .map(|p| RowProblemView {
            sheet: p.sheet.clone(),
            row: p.row.to_string(),
            column: p.column.clone(),
            message: lang.pick(&p.message.zh, &p.message.en).to_string(),
        })
        .collect();
    let status = if outcome.file_problem.is_none() && outcome.problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let result = ImportResult {
        file_name,
        mode_label: lang
            .t(match import_mode {
                ImportMode::AllOrNothing => "import.all_or_nothing",
                ImportMode::PerResource => "import.per_resource",
            })
            .to_string(),
        created,
        refused: outcome.refused,
        file_problem,
        problems,
        report_link: outcome.report_id.map(|id| format!("/catalog/import-reports/{id}")),
    };
    render_status(status, &page_with(Vec::new(), Some(result)))
}

pub async fn report(State(state): State<AppState>, page: Page<perm::CatalogRead>, Path(id): Path<i64>) -> Response {
    match exchange::import_report(&state.catalog, &page.caller, id).await {
        Ok((name, bytes)) => download(XLSX, &format!("错误报告-{name}.xlsx"), bytes),
        Err(e) => error_page(page.lang, e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Downloads

#[derive(Deserialize)]
pub struct ExportQ {
    scope: Option<String>,
}

pub async fn export_xlsx(
    State(state): State<AppState>,
    page: Page<perm::CatalogRead>,
    Query(q): Query<ExportQ>,
) -> Response {
    let lang = page.lang;
    let scope = match export_scope(q.scope.as_deref(), page.caller.principal.org_id.map(|o| o.0)) {
        Ok(s) => s,
        Err(e) => return error_page(lang, e),
    };
    let bytes = match exchange::export_xlsx(&state.catalog, &page.caller, scope).await {
        Ok(b) => b,
        Err(e) => return error_page(lang, e.into()),
    };
    let name = match scope {
        ExportScope::District => "全区公共数据资源目录.xlsx".to_string(),
        ExportScope::Organisation(o) => {
            let names = org_names(&state, &page, lang).await;
            format!("公共数据资源目录-{}.xlsx", names.get(&o).cloned().unwrap_or_else(|| o.to_string()))
        }
    };
    download(XLSX, &name, bytes)
}

pub async fn template(State(state): State<AppState>, page: Page<perm::CatalogRead>) -> Response {
    match exchange::template_xlsx(&state.catalog, &page.caller).await {
        Ok(bytes) => download(XLSX, "公共数据资源目录模板.xlsx", bytes),
        Err(e) => error_page(page.lang, e.into()),
    }
}

pub async fn dcat(State(state): State<AppState>, page: Page<perm::CatalogRead>, headers: HeaderMap) -> Response {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let base = format!("http://{host}");
    match exchange::dcat(&state.catalog, &page.caller, &base).await {
        Ok(doc) => {
            let body = serde_json::to_vec_pretty(&doc).unwrap_or_default();
            ([(header::CONTENT_TYPE, "application/ld+json; charset=utf-8")], body).into_response()
        }
        Err(e) => error_page(page.lang, e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_bodies_split_into_fields_and_files() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\xe7\x9b\xae\xe5\xbd\x95.xlsx\"\r\nContent-Type: application/octet-stream\r\n\r\nPK\x03\x04\r\n--not\r\nend\r\n--XyZ--\r\n";
        let parts = parse_multipart(body, "XyZ").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], Part { name: "csrf".into(), file_name: None, data: b"abc".to_vec() });
        assert_eq!(parts[1].file_name.as_deref(), Some("目录.xlsx"));
        assert_eq!(parts[1].data, b"PK\x03\x04\r\n--not\r\nend".to_vec());
        assert_eq!(boundary("multipart/form-data; boundary=\"XyZ\"").as_deref(), Some("XyZ"));
        assert_eq!(boundary("application/x-www-form-urlencoded"), None);
        assert!(
            parse_multipart(b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nunterminated", "XyZ")
                .is_none()
        );
    }

    #[test]
    fn import_options_are_checked() {
        assert!(matches!(
            import_options(Some("csv"), Some("gbk"), Some("per_resource")),
            Ok((pubdata_store::catalog::exchange::ImportFormat::Csv { .. }, ImportMode::PerResource))
        ));
        assert!(import_options(Some("pdf"), Some(""), Some("")).is_err());
        assert!(import_options(Some("csv"), Some("latin1"), Some("")).is_err());
    }
}
