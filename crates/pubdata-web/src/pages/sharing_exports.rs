//! The grant page's "批量导出 / Bulk exports" section (Art.15-16): the grant's export jobs
//! (state, rows, size, download deadline) for whoever sees the grant; for the consumer agency, a
//! form to start one and a download link once its file is ready.
//!
//! Ids: `#exports`, `#export-form`, `#export-{id}`, `#export-download-{id}`.

use super::{done, error_page};
use crate::AppState;
use crate::auth::{Page, perm};
use crate::error::ApiError;
use crate::extract::CsrfForm;
use crate::gateway_exports::{file_response, open_file, start};
use crate::i18n::Lang;
use axum::extract::{Path, State};
use axum::response::Response;
use pubdata_domain::catalog::Delivery;
use pubdata_domain::identity::Permission;
use pubdata_domain::ids::OrgId;
use pubdata_domain::sharing::GrantState;
use pubdata_domain::sharing_export::{self as rules, ExportFormat, ExportState};
use pubdata_store::sharing::GrantView;
use pubdata_store::sharing_export::{self, ExportJob};
use serde::Deserialize;

/// One export job as the grant's page lists it.
pub struct ExportRowView {
    pub id: i64,
    pub state_code: &'static str,
    pub state: String,
    pub format: &'static str,
    pub rows: String,
    pub size: String,
    pub expires: String,
    pub requested_by: String,
    pub error: String,
    pub downloadable: bool,
}

/// The section as the template shows it.
pub struct ExportsSection {
    /// Bulk grants, and any grant that has exports.
    pub shown: bool,
    pub rows: Vec<ExportRowView>,
    pub can_start: bool,
    /// (code, label) of each format.
    pub formats: Vec<(&'static str, &'static str)>,
}

/// A byte count as people read it.
fn size_text(bytes: Option<i64>) -> String {
    match bytes {
        None => "—".into(),
        Some(b) if b < 1024 => format!("{b} B"),
        Some(b) if b < 1024 * 1024 => format!("{:.1} KB", b as f64 / 1024.0),
        Some(b) => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
    }
}

fn row_view(lang: Lang, job: &ExportJob, consumer: bool) -> ExportRowView {
    ExportRowView {
        id: job.id,
        state_code: job.state.as_str(),
        state: lang.pick(job.state.label_zh(), job.state.label_en()).to_string(),
        format: job.format.as_str(),
        rows: job.rows.map_or_else(|| "—".into(), |r| r.to_string()),
        size: size_text(job.bytes),
        expires: job.expires_at.as_deref().map_or_else(|| "—".into(), super::catalog::when),
        requested_by: job.requested_by.name.clone(),
        error: job.error.as_ref().map(|e| lang.pick(&e.zh, &e.en).to_string()).unwrap_or_default(),
        downloadable: consumer && job.state == ExportState::Ready,
    }
}

/// The section for grant `g` as `page`'s caller sees it.
pub async fn section(state: &AppState, page: &Page<perm::SharingRead>, g: &GrantView) -> ExportsSection {
    let lang = page.lang;
    let jobs = match sharing_export::list_for_grant(&state.store, &page.caller, g.id).await {
        Ok(jobs) => jobs,
        Err(e) => {
            tracing::warn!(grant = g.id, error = %e, "export jobs could not be listed");
            Vec::new()
        }
    };
    let principal = &page.caller.principal;
    let consumer = principal.org_id == Some(OrgId(g.consumer_org_id));
    let bulk = g.delivery == Delivery::Bulk;
    ExportsSection {
        shown: bulk || !jobs.is_empty(),
        can_start: consumer
            && bulk
            && g.state == GrantState::Active
            && !g.row_scope.keyed_only
            && principal.has(Permission::SharingRequest),
        rows: jobs.iter().map(|j| row_view(lang, j, consumer)).collect(),
        formats: ExportFormat::ALL.iter().map(|f| (f.as_str(), lang.pick(f.label_zh(), f.label_en()))).collect(),
    }
}

#[derive(Deserialize, Default)]
pub struct ExportForm {
    #[serde(default)]
    format: String,
}

/// `POST /sharing/grants/{id}/exports`: starts an export (the consumer agency); it runs in the
/// background and the page lists it.
pub async fn start_export(
    State(state): State<AppState>,
    page: Page<perm::SharingRead>,
    Path(id): Path<i64>,
    form: CsrfForm<ExportForm>,
) -> Response {
    let created = match rules::parse_format(Some(&form.value.format)) {
        Ok(format) => {
            sharing_export::create_for_user(&state.store, &state.config.exports, &page.caller, id, format, &[])
                .await
                .map_err(ApiError::from)
                .and_then(|r| r.map_err(ApiError::from))
        }
        Err(refusal) => Err(refusal.into()),
    };
    match created {
        Ok(job) => {
            start(&state, job.id);
            done(&format!("/sharing/grants/{id}#exports"), "sharing.export_started")
        }
        Err(e) => error_page(page.lang, e),
    }
}

/// `GET /sharing/exports/{id}/file`: a ready export's file, for the consumer agency.
pub async fn download(State(state): State<AppState>, page: Page<perm::SharingRead>, Path(id): Path<i64>) -> Response {
    let opened: Result<_, ApiError> = async {
        let (job, path) =
            sharing_export::open_download_for_user(&state.store, &state.config.exports, &page.caller, id).await??;
        let (job, file) = open_file(job, path).await?;
        // Art.16: the data leaves only once its access is on the audit trail.
        sharing_export::record_download(&state.store, page.caller.actor(), &job).await?;
        Ok(file_response(&job, file))
    }
    .await;
    opened.unwrap_or_else(|e| error_page(page.lang, e))
}
