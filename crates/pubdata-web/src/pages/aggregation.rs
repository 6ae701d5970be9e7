//! Aggregation as pages (Ch.3, Art.10-12): a resource's data page (数据归集) with its delivery
//! status, batch history and, for the providing agency, the upload form; a batch's page with its
//! provenance, personal-information detection, errors and a preview of the rows it delivered;
//! the error reports as downloads.
//!
//! The upload is `multipart/form-data` with the fields `csrf` (checked here as `CsrfForm` does
//! for plain forms), `file`, `mode`, `on_error`, `encoding`, `sheet` and `source_system`, at most
//! [`MAX_WEB_UPLOAD_BYTES`]; larger files go through the CLI or the push API, which stream.
//!
//! Ids: `#data-status`, `#overdue`, `#calendar-warning`, `#batches`, `#upload-form`,
//! `#batch-state`, `#batch-facts`, `#batch-counts`, `#batch-failure`, `#detection`,
//! `#batch-errors`, `#errors-csv`, `#errors-xlsx`, `#batch-rows`.

use super::catalog::when;
use super::catalog_import::{boundary, multipart_spans};
use super::{PageCtx, error_page, render_status};
use crate::AppState;
use crate::api::aggregation::{DeliverParams, delivery_request};
use crate::api::catalog_files::{XLSX, download};
use crate::auth::{Page, perm};
use crate::error::ApiError;
use crate::extract::csrf_refused;
use crate::i18n::Lang;
use askama::Template;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use pubdata_domain::aggregation::{BatchState, Channel, Mode, OnError};
use pubdata_domain::catalog::ResourceDocument;
use pubdata_domain::identity::Permission;
use pubdata_domain::ids::OrgId;
use pubdata_domain::secret::constant_time_eq;
use pubdata_store::aggregation::{self, Batch, BatchError, ColumnDetection, DeliveryStatus};
use pubdata_store::catalog::resources;

/// The largest file the upload form takes. The form is buffered whole before its CSRF token
/// can be checked, so it stays bounded; the CLI and the push API stream files of any size.
pub const MAX_WEB_UPLOAD_BYTES: usize = 100 * 1024 * 1024;
/// Room for the form's other fields and the multipart framing.
const FORM_OVERHEAD_BYTES: usize = 64 * 1024;
/// Errors listed on a batch's page; the downloads hold all of them.
const ERRORS_SHOWN: usize = 200;
/// Rows of a batch previewed on its page.
const ROWS_SHOWN: i64 = 20;

// ---------------------------------------------------------------------------------------------
// Labels

fn batch_state_label(lang: Lang, code: &str) -> String {
    BatchState::parse(code).map_or_else(|| code.to_string(), |s| lang.pick(s.label_zh(), s.label_en()).to_string())
}

fn mode_label(lang: Lang, code: &str) -> String {
    Mode::parse(code).map_or_else(|| code.to_string(), |m| lang.pick(m.label_zh(), m.label_en()).to_string())
}

fn on_error_label(lang: Lang, code: &str) -> String {
    OnError::parse(code).map_or_else(|| code.to_string(), |m| lang.pick(m.label_zh(), m.label_en()).to_string())
}

fn channel_label(lang: Lang, code: &str) -> String {
    Channel::parse(code).map_or_else(|| code.to_string(), |c| lang.pick(c.label_zh(), c.label_en()).to_string())
}

/// A file size as `2.3 MB (2,411,724 B)`.
fn size_text(bytes: Option<i64>) -> String {
    let Some(n) = bytes else { return String::new() };
    let mut grouped = String::new();
    for (i, c) in n.to_string().chars().rev().enumerate() {
        if i > 0 && i.is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let grouped: String = grouped.chars().rev().collect();
    let human = match n {
        n if n >= 1024 * 1024 => format!("{:.1} MB", n as f64 / 1024.0 / 1024.0),
        n if n >= 1024 => format!("{:.1} KB", n as f64 / 1024.0),
        _ => return format!("{grouped} B"),
    };
    format!("{human} ({grouped} B)")
}

/// The document the pages name the resource by: the published version, else the working copy.
fn document(detail: &resources::ResourceDetail) -> Option<&ResourceDocument> {
    detail.published.as_ref().or(detail.working.as_ref())
}

// ---------------------------------------------------------------------------------------------
// A resource's data page

/// What the upload form was filled with, kept when a delivery is refused before it starts.
pub struct UploadForm {
    pub mode: String,
    pub on_error: String,
    pub encoding: String,
    pub sheet: String,
    pub source_system: String,
}

impl UploadForm {
    fn new(source_system: &str) -> UploadForm {
        UploadForm {
            mode: Mode::Append.as_str().into(),
            on_error: OnError::RejectBatch.as_str().into(),
            encoding: "auto".into(),
            sheet: String::new(),
            source_system: source_system.to_string(),
        }
    }
}

pub struct StatusView {
    pub rows: i64,
    pub last_batch_id: Option<i64>,
    pub last_delivered_at: Option<String>,
    pub next_due: Option<String>,
    pub overdue: bool,
    pub calendar_warning: Option<String>,
}

impl StatusView {
    fn new(lang: Lang, s: &DeliveryStatus) -> StatusView {
        StatusView {
            rows: s.rows,
            last_batch_id: s.last_batch_id,
            last_delivered_at: s.last_delivered_at.as_deref().map(when),
            next_due: s.next_due.clone(),
            overdue: s.overdue,
            calendar_warning: s.calendar_warning.as_ref().map(|years| {
                let years = years.trim_matches(|c| c == '[' || c == ']');
                if lang.is_en() {
                    format!(
                        "the official holidays of {years} are not entered yet: the due date counts only weekends as days off"
                    )
                } else {
                    format!("尚未录入 {years} 年的法定节假日安排，到期日仅按周末休息计算")
                }
            }),
        }
    }
}

pub struct BatchRow {
    pub id: i64,
    pub state_code: String,
    pub state: String,
    pub mode: String,
    pub channel: String,
    pub file_name: String,
    pub who: String,
    pub at: String,
    pub rows_read: i64,
    pub rows_stored: i64,
    pub rows_rejected: i64,
    pub rows_retired: i64,
}

fn batch_rows(lang: Lang, list: &[Batch]) -> Vec<BatchRow> {
    list.iter()
        .map(|b| BatchRow {
            id: b.id,
            state_code: b.state.clone(),
            state: batch_state_label(lang, &b.state),
            mode: mode_label(lang, &b.mode),
            channel: channel_label(lang, &b.channel),
            file_name: b.file_name.clone(),
            who: b.created_by.clone(),
            at: when(&b.created_at),
            rows_read: b.rows_read,
            rows_stored: b.rows_stored,
            rows_rejected: b.rows_rejected,
            rows_retired: b.rows_retired,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "aggregation_data.html")]
struct DataPage {
    ctx: PageCtx,
    id: i64,
    name: String,
    published: bool,
    update_cycle: String,
    status: StatusView,
    batches: Vec<BatchRow>,
    can_deliver: bool,
    form: UploadForm,
    /// (value, label, explanation) of the modes.
    modes: Vec<(&'static str, String, &'static str)>,
    max_mb: usize,
}

pub async fn data(
    State(state): State<AppState>,
    page: Page<perm::AggregationRead>,
    uri: Uri,
    Path(id): Path<i64>,
) -> Response {
    data_page(&state, &page, &uri, id, None, None).await
}

/// The data page, with the form as it was filled and the error that refused it, if any.
async fn data_page(
    state: &AppState,
    page: &Page<impl Sized>,
    uri: &Uri,
    id: i64,
    form: Option<UploadForm>,
    error: Option<ApiError>,
) -> Response {
    let lang = page.lang;
    // The status checks that the caller may see the resource's batches (else: not found).
    let status = match aggregation::status(&state.store, &page.caller, id).await {
        Ok(s) => s,
        Err(e) => return error_page(lang, e.into()),
    };
    let batches = match aggregation::batches(&state.store, &page.caller, id).await {
        Ok(b) => b,
        Err(e) => return error_page(lang, e.into()),
    };
    let detail = match resources::get(&state.catalog, &page.caller, id).await {
        Ok(d) => d,
        Err(e) => return error_page(lang, e.into()),
    };
    let Some(doc) = document(&detail) else {
        return error_page(lang, pubdata_store::Error::not_found("resource", id).into());
    };
    let p = &page.caller.principal;
    let can_deliver = p.has(Permission::AggregationDeliver) && p.org_id == Some(OrgId(detail.provider_org_id));
    let mut ctx = PageCtx::new(page, "aggregation.title", uri, None)
        .crumb("catalog.title", "/catalog")
        .crumb_text(&doc.name, &format!("/catalog/{id}"))
        .crumb("aggregation.title", &format!("/catalog/{id}/data"));
    ctx.title = format!("{} · {}", lang.t("aggregation.title"), doc.name);
    let status_code = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    if let Some(e) = &error {
        ctx = ctx.error(e);
    }
    let modes = [
        (Mode::Append, "aggregation.mode_append_hint"),
        (Mode::Replace, "aggregation.mode_replace_hint"),
        (Mode::Upsert, "aggregation.mode_upsert_hint"),
    ]
    .into_iter()
    .map(|(m, hint)| (m.as_str(), lang.pick(m.label_zh(), m.label_en()).to_string(), lang.t(hint)))
    .collect();
    let view = DataPage {
        ctx,
        id,
        name: doc.name.clone(),
        published: detail.published.is_some(),
        update_cycle: lang.pick(doc.update_cycle.label_zh(), doc.update_cycle.label_en()).to_string(),
        status: StatusView::new(lang, &status),
        batches: batch_rows(lang, &batches),
        can_deliver,
        form: form.unwrap_or_else(|| UploadForm::new(&doc.source_system)),
        modes,
        max_mb: MAX_WEB_UPLOAD_BYTES / 1024 / 1024,
    };
    render_status(status_code, &view)
}

/// The refusal of a form larger than the web limit.
fn too_large() -> ApiError {
    let mb = MAX_WEB_UPLOAD_BYTES / 1024 / 1024;
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!(
            "网页上传的文件不能超过 {mb} MB（或上传中断）：更大的文件请用命令行 pubdata aggregate upload 或推送接口归集"
        ),
        format!(
            "files uploaded through the web may not exceed {mb} MB (or the upload was interrupted): deliver larger \
             files with the command line (pubdata aggregate upload) or the push API"
        ),
    )
}

/// The file's own name, without any directory a browser may have sent with it.
fn base_name(name: &str) -> String {
    name.rsplit(['/', '\\']).next().unwrap_or(name).trim().to_string()
}

/// Delivers the uploaded file as a batch of the web channel, then shows the batch (stored or
/// rejected, with its report). Refusals before a batch exists re-render the form.
pub async fn upload(
    State(state): State<AppState>,
    page: Page<perm::AggregationDeliver>,
    uri: Uri,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let lang = page.lang;
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    let limit = MAX_WEB_UPLOAD_BYTES + FORM_OVERHEAD_BYTES;
    let bytes = match declared {
        Some(n) if n > limit => None,
        _ => axum::body::to_bytes(body, limit).await.ok(),
    };
    let Some(bytes) = bytes else {
        return data_page(&state, &page, &uri, id, None, Some(too_large())).await;
    };
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let Some(parts) = boundary(content_type).and_then(|b| multipart_spans(&bytes, &b)) else {
        // Without a readable form there is no token either.
        return csrf_refused(lang);
    };
    let text = |name: &str| {
        parts
            .iter()
            .find(|p| p.name == name && p.file_name.is_none())
            .map(|p| String::from_utf8_lossy(&bytes[p.data.clone()]).trim().to_string())
            .unwrap_or_default()
    };
    let csrf = text("csrf");
    if csrf.is_empty() || !constant_time_eq(&page.csrf, &csrf) {
        return csrf_refused(lang);
    }
    let form = UploadForm {
        mode: text("mode"),
        on_error: text("on_error"),
        encoding: text("encoding"),
        sheet: text("sheet"),
        source_system: text("source_system"),
    };
    let file = parts.iter().find(|p| p.name == "file").and_then(|p| {
        let name = base_name(p.file_name.as_deref()?);
        (!name.is_empty()).then(|| (name, bytes.slice(p.data.clone())))
    });
    let Some((file_name, data)) = file else {
        let e = ApiError::invalid("file", "请选择要归集的文件", "choose the file to deliver");
        return data_page(&state, &page, &uri, id, Some(form), Some(e)).await;
    };
    let params = DeliverParams {
        mode: Some(form.mode.clone()),
        on_error: Some(form.on_error.clone()),
        format: None,
        encoding: Some(form.encoding.clone()),
        sheet: Some(form.sheet.clone()),
        file_name: Some(file_name),
        source_system: Some(form.source_system.clone()),
    };
    let req = match delivery_request(id, &params, Channel::Web) {
        Ok(r) => r,
        Err(e) => return data_page(&state, &page, &uri, id, Some(form), Some(e)).await,
    };
    // The file is read from the received form in place (a shared slice), not copied.
    match aggregation::deliver(&state.store, &page.caller, req, std::io::Cursor::new(data), None).await {
        Ok(batch) => Redirect::to(&format!("/batches/{}", batch.id)).into_response(),
        Err(e) => data_page(&state, &page, &uri, id, Some(form), Some(e.into())).await,
    }
}

// ---------------------------------------------------------------------------------------------
// A batch

pub struct DetectionRow {
    pub column: String,
    pub item_code: String,
    pub kind: String,
    pub confidence: String,
    pub matched: String,
    pub declared_level: String,
    pub proposed_level: String,
    pub flagged: bool,
}

fn detection_rows(lang: Lang, list: &[ColumnDetection]) -> Vec<DetectionRow> {
    list.iter()
        .map(|d| DetectionRow {
            column: d.column.clone(),
            item_code: d.item_code.clone(),
            kind: match (lang, &d.kind_zh, &d.kind) {
                (Lang::Zh, Some(zh), _) => zh.clone(),
                (_, _, Some(code)) => code.replace('_', " "),
                _ => String::new(),
            },
            confidence: if d.kind.is_some() { format!("{:.0}%", d.confidence * 100.0) } else { String::new() },
            matched: format!("{} / {}", d.values_matched, d.values_seen),
            declared_level: d.declared_level.clone(),
            proposed_level: d.proposed_level.clone().unwrap_or_default(),
            flagged: d.flagged,
        })
        .collect()
}

pub struct ErrorRow {
    pub row: String,
    pub column: String,
    pub value: String,
    pub reason: String,
}

fn error_rows(lang: Lang, errors: &[BatchError]) -> Vec<ErrorRow> {
    errors
        .iter()
        .take(ERRORS_SHOWN)
        .map(|e| ErrorRow {
            row: e.source_row.map(|r| r.to_string()).unwrap_or_default(),
            column: e.column.clone(),
            value: e.value.clone(),
            reason: lang.pick(&e.reason.zh, &e.reason.en).to_string(),
        })
        .collect()
}

/// A labelled fact of the batch.
pub struct Fact {
    pub id: &'static str,
    pub label: &'static str,
    pub value: String,
    /// Shown as code (digests).
    pub code: bool,
}

fn facts(lang: Lang, b: &Batch) -> Vec<Fact> {
    let f = |id: &'static str, key: &str, value: String| Fact { id, label: lang.t(key), value, code: false };
    let digest = |id: &'static str, key: &str, value: &Option<String>| Fact {
        id,
        label: lang.t(key),
        value: value.clone().unwrap_or_default(),
        code: true,
    };
    vec![
        f("fact-mode", "aggregation.mode", mode_label(lang, &b.mode)),
        f("fact-on-error", "aggregation.on_error", on_error_label(lang, &b.on_error)),
        f("fact-channel", "aggregation.channel", channel_label(lang, &b.channel)),
        f("fact-source-system", "aggregation.source_system", b.source_system.clone()),
        f("fact-file-name", "aggregation.file_name", b.file_name.clone()),
        f("fact-format", "aggregation.format", b.format.clone()),
        f("fact-encoding", "aggregation.encoding", b.encoding.clone()),
        f("fact-size", "aggregation.size", size_text(b.file_bytes)),
        digest("fact-sha256", "aggregation.sha256", &b.sha256),
        digest("fact-sm3", "aggregation.sm3", &b.sm3),
        f("fact-created-by", "aggregation.who", b.created_by.clone()),
        f("fact-created-at", "aggregation.created_at", when(&b.created_at)),
        f("fact-finished-at", "aggregation.finished_at", b.finished_at.as_deref().map(when).unwrap_or_default()),
        f("fact-version", "aggregation.resource_version", b.resource_version.to_string()),
    ]
}

#[derive(Template)]
#[template(path = "aggregation_batch.html")]
struct BatchPage {
    ctx: PageCtx,
    id: i64,
    resource_id: i64,
    resource_name: String,
    state_code: String,
    state: String,
    facts: Vec<Fact>,
    rows_read: i64,
    rows_stored: i64,
    rows_rejected: i64,
    rows_retired: i64,
    failure: Option<String>,
    detection: Vec<DetectionRow>,
    error_count: usize,
    errors: Vec<ErrorRow>,
    /// The preview's column headings and rows.
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
}

pub async fn batch(
    State(state): State<AppState>,
    page: Page<perm::AggregationRead>,
    uri: Uri,
    Path(id): Path<i64>,
) -> Response {
    let lang = page.lang;
    let b = match aggregation::batch(&state.store, &page.caller, id).await {
        Ok(b) => b,
        Err(e) => return error_page(lang, e.into()),
    };
    let errors = match aggregation::errors(&state.store, &page.caller, id).await {
        Ok(e) => e,
        Err(e) => return error_page(lang, e.into()),
    };
    let detail = resources::get(&state.catalog, &page.caller, b.resource_id).await.ok();
    let doc = detail.as_ref().and_then(document);
    let resource_name = doc.map_or_else(|| format!("#{}", b.resource_id), |d| d.name.clone());
    // Only a batch that stored rows has any to show (a refused or failed one leaves none).
    let (codes, rows) = if b.rows_stored > 0 {
        match aggregation::batch_rows(&state.store, &page.caller, id, 0, ROWS_SHOWN).await {
            Ok(x) => x,
            Err(e) => return error_page(lang, e.into()),
        }
    } else {
        (Vec::new(), Vec::new())
    };
    let columns = codes
        .iter()
        .map(|code| match doc.and_then(|d| d.items.iter().find(|i| &i.code == code)) {
            Some(item) => item.name.clone(),
            None => code.clone(),
        })
        .collect();
    let rows =
        rows.into_iter().map(|(_, _, values)| values.into_iter().map(Option::unwrap_or_default).collect()).collect();
    let mut ctx = PageCtx::new(&page, "aggregation.batch", &uri, None)
        .crumb("catalog.title", "/catalog")
        .crumb_text(&resource_name, &format!("/catalog/{}", b.resource_id))
        .crumb("aggregation.title", &format!("/catalog/{}/data", b.resource_id))
        .crumb_text(&format!("{} {id}", lang.t("aggregation.batch")), &format!("/batches/{id}"));
    ctx.title = format!("{} {id} · {resource_name}", lang.t("aggregation.batch"));
    let view = BatchPage {
        ctx,
        id,
        resource_id: b.resource_id,
        resource_name,
        state_code: b.state.clone(),
        state: batch_state_label(lang, &b.state),
        facts: facts(lang, &b),
        rows_read: b.rows_read,
        rows_stored: b.rows_stored,
        rows_rejected: b.rows_rejected,
        rows_retired: b.rows_retired,
        failure: b.failure_text().map(|t| lang.pick(&t.zh, &t.en).to_string()),
        detection: detection_rows(lang, &b.detections()),
        error_count: errors.len(),
        errors: error_rows(lang, &errors),
        columns,
        rows,
    };
    render_status(StatusCode::OK, &view)
}

/// The batch's error report as CSV (UTF-8 with BOM), as the API serves it.
pub async fn errors_csv(
    State(state): State<AppState>,
    page: Page<perm::AggregationRead>,
    Path(id): Path<i64>,
) -> Response {
    match aggregation::errors(&state.store, &page.caller, id).await {
        Ok(errors) => {
            download("text/csv; charset=utf-8", &format!("批次{id}错误报告.csv"), aggregation::errors_csv(&errors))
        }
        Err(e) => error_page(page.lang, e.into()),
    }
}

/// The batch's error report as an Excel workbook.
pub async fn errors_xlsx(
    State(state): State<AppState>,
    page: Page<perm::AggregationRead>,
    Path(id): Path<i64>,
) -> Response {
    let report = match aggregation::errors(&state.store, &page.caller, id).await {
        Ok(errors) => aggregation::errors_xlsx(&errors),
        Err(e) => Err(e),
    };
    match report {
        Ok(bytes) => download(XLSX, &format!("批次{id}错误报告.xlsx"), bytes),
        Err(e) => error_page(page.lang, e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Bytes;

    #[test]
    fn sizes_read_in_units_with_the_exact_count() {
        assert_eq!(size_text(None), "");
        assert_eq!(size_text(Some(512)), "512 B");
        assert_eq!(size_text(Some(2048)), "2.0 KB (2,048 B)");
        assert_eq!(size_text(Some(2_411_724)), "2.3 MB (2,411,724 B)");
    }

    #[test]
    fn uploaded_names_lose_their_directories() {
        assert_eq!(base_name("C:\\Users\\a\\企业.csv"), "企业.csv");
        assert_eq!(base_name("dir/x.xlsx"), "x.xlsx");
        assert_eq!(base_name("plain.jsonl"), "plain.jsonl");
    }

    #[test]
    fn multipart_parts_are_located_without_copying() {
        let body = Bytes::from_static(
            b"--B\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nt\r\n--B\r\nContent-Disposition: form-data; \
             name=\"file\"; filename=\"a.csv\"\r\n\r\nx,y\r\n1,2\r\n--B--\r\n",
        );
        let parts = multipart_spans(&body, "B").unwrap();
        assert_eq!(&body[parts[0].data.clone()], b"t");
        assert_eq!(parts[1].file_name.as_deref(), Some("a.csv"));
        assert_eq!(&body.slice(parts[1].data.clone())[..], b"x,y\r\n1,2");
    }
}
