//! Government IT projects (Art.8): the list with the form to register one (the authority),
//! a project's page with its preliminary and detailed catalogs, marking it completed, and the
//! acceptance report (page, Excel and JSON).
//!
//! Ids: `#project-form`, `#projects`, `#project-resources`, `#complete-project`,
//! `#acceptance`, `#acceptance-xlsx`, `#acceptance-json`.

use super::catalog::{ProblemView, org_names, org_options, state_label, when};
use super::{FlashQuery, PageCtx, done, error_page, render, render_status};
use crate::AppState;
use crate::auth::{Page, perm};
use crate::error::ApiError;
use crate::extract::CsrfForm;
use crate::i18n::Lang;
use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use pubdata_domain::identity::Permission;
use pubdata_domain::ids::OrgId;
use pubdata_store::catalog::projects::{self, AcceptanceReport, NewProject, Project};
use rust_xlsxwriter::{Color, Format, Workbook, XlsxError};
use serde::Deserialize;

pub struct ProjectRow {
    pub project: Project,
    pub created: String,
    pub agency: String,
    pub status: String,
}

fn status_label(lang: Lang, status: &str) -> String {
    match status {
        "completed" => lang.t("projects.status_completed").to_string(),
        "preliminary" => lang.t("projects.under_construction").to_string(),
        other => other.to_string(),
    }
}

fn project_field_label(lang: Lang, field: &str) -> String {
    match field {
        "name" => lang.t("common.name").to_string(),
        "code" => lang.t("projects.code").to_string(),
        "agency_id" => lang.t("projects.agency").to_string(),
        "description" => lang.t("catalog.f.description").to_string(),
        other => other.to_string(),
    }
}

#[derive(Deserialize, Default)]
pub struct ProjectForm {
    name: String,
    #[serde(default)]
    code: String,
    agency_id: String,
    #[serde(default)]
    description: String,
}

#[derive(Template)]
#[template(path = "project_list.html")]
struct ListPage {
    ctx: PageCtx,
    rows: Vec<ProjectRow>,
    can_manage: bool,
    agencies: Vec<(String, String)>,
    form: ProjectForm,
    problems: Vec<ProblemView>,
}

impl ListPage {
    fn err(&self, field: &str) -> String {
        self.problems.iter().filter(|p| p.field == field).map(|p| p.message.as_str()).collect::<Vec<_>>().join("；")
    }
}

async fn list_page(
    state: &AppState,
    page: &Page<impl Sized>,
    uri: &Uri,
    flash: Option<&str>,
    form: ProjectForm,
    error: Option<ApiError>,
) -> Response {
    let lang = page.lang;
    let list = match projects::list(&state.catalog, &page.caller).await {
        Ok(l) => l,
        Err(e) => return error_page(lang, e.into()),
    };
    let names = org_names(state, page, lang).await;
    let rows = list
        .into_iter()
        .map(|p| ProjectRow {
            created: when(&p.created_at),
            agency: names.get(&p.agency_id).cloned().unwrap_or_else(|| format!("#{}", p.agency_id)),
            status: status_label(lang, &p.status),
            project: p,
        })
        .collect();
    let mut ctx = PageCtx::new(page, "projects.title", uri, flash).crumb("projects.title", "/projects");
    let mut problems = Vec::new();
    let mut status = StatusCode::OK;
    if let Some(e) = error {
        status = e.status;
        match &e.field {
            Some(f) if e.code == "invalid_input" || e.code == "duplicate" => problems.push(ProblemView {
                field: f.clone(),
                label: project_field_label(lang, f),
                message: lang.pick(&e.message.zh, &e.message.en).to_string(),
                anchor: format!("p-{f}"),
            }),
            _ => ctx = ctx.error(&e),
        }
    }
    let can_manage = page.caller.principal.has(Permission::ProjectManage);
    let agencies = if can_manage { org_options(state, page, lang).await } else { Vec::new() };
    render_status(status, &ListPage { ctx, rows, can_manage, agencies, form, problems })
}

pub async fn list(
    State(state): State<AppState>,
    page: Page<perm::CatalogRead>,
    uri: Uri,
    Query(q): Query<FlashQuery>,
) -> Response {
    list_page(&state, &page, &uri, q.flash.as_deref(), ProjectForm::default(), None).await
}

pub async fn create(
    State(state): State<AppState>,
    page: Page<perm::ProjectManage>,
    uri: Uri,
    form: CsrfForm<ProjectForm>,
) -> Response {
    let f = form.value;
    let result = async {
        let agency_id = f
            .agency_id
            .trim()
            .parse::<i64>()
            .map_err(|_| ApiError::invalid("agency_id", "请选择建设单位", "choose the project's agency"))?;
        let new = NewProject {
            name: f.name.clone(),
            code: Some(f.code.clone()).filter(|c| !c.trim().is_empty()),
            agency_id,
            description: f.description.clone(),
        };
        Ok::<_, ApiError>(projects::create(&state.catalog, &page.caller, new).await?)
    }
    .await;
    match result {
        Ok(p) => done(&format!("/projects/{}", p.id), "projects.created"),
        Err(e) => list_page(&state, &page, &uri, None, f, Some(e)).await,
    }
}

pub struct StagedRow {
    pub id: i64,
    pub name: String,
    pub state_code: String,
    pub state: String,
    pub version: i64,
    pub updated_at: String,
}

#[derive(Template)]
#[template(path = "project_detail.html")]
struct DetailPage {
    ctx: PageCtx,
    project: Project,
    agency: String,
    status: String,
    preliminary: Vec<StagedRow>,
    detailed: Vec<StagedRow>,
    can_add_preliminary: bool,
    can_add_detailed: bool,
    can_complete: bool,
}

pub async fn detail(
    State(state): State<AppState>,
    page: Page<perm::CatalogRead>,
    uri: Uri,
    Path(id): Path<i64>,
    Query(q): Query<FlashQuery>,
) -> Response {
    detail_page(&state, &page, &uri, id, q.flash.as_deref(), None).await
}

async fn detail_page(
    state: &AppState,
    page: &Page<impl Sized>,
    uri: &Uri,
    id: i64,
    flash: Option<&str>,
    error: Option<ApiError>,
) -> Response {
    let lang = page.lang;
    let (project, resources) = match projects::get(&state.catalog, &page.caller, id).await {
        Ok(x) => x,
        Err(e) => return error_page(lang, e.into()),
    };
    let names = org_names(state, page, lang).await;
    let staged = |stage: &str| -> Vec<StagedRow> {
        resources
            .iter()
            .filter(|(_, s)| s == stage)
            .map(|(r, _)| StagedRow {
                id: r.id,
                name: r.name.clone(),
                state_code: r.state.clone(),
                state: state_label(lang, &r.state),
                version: r.current_version,
                updated_at: when(&r.updated_at),
            })
            .collect()
    };
    let p = &page.caller.principal;
    let own = p.org_id == Some(OrgId(project.agency_id));
    let manage = p.has(Permission::ProjectManage);
    let mut ctx = PageCtx::new(page, "projects.title", uri, flash)
        .crumb("projects.title", "/projects")
        .crumb_text(&project.name, &format!("/projects/{id}"));
    ctx.title = project.name.clone();
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    if let Some(e) = &error {
        ctx = ctx.error(e);
    }
    let view = DetailPage {
        ctx,
        agency: names.get(&project.agency_id).cloned().unwrap_or_else(|| format!("#{}", project.agency_id)),
        status: status_label(lang, &project.status),
        preliminary: staged("preliminary"),
        detailed: staged("detailed"),
        can_add_preliminary: manage,
        can_add_detailed: p.has(Permission::CatalogCompile) && (own || manage),
        can_complete: project.status != "completed" && (manage || (own && p.has(Permission::CatalogCompile))),
        project,
    };
    render_status(status, &view)
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn complete(
    State(state): State<AppState>,
    page: Page<perm::CatalogRead>,
    uri: Uri,
    Path(id): Path<i64>,
    _form: CsrfForm<Empty>,
) -> Response {
    match projects::complete(&state.catalog, &page.caller, id).await {
        Ok(_) => done(&format!("/projects/{id}"), "projects.completed"),
        Err(e) => {
            let uri = Uri::try_from(format!("/projects/{id}")).unwrap_or(uri);
            detail_page(&state, &page, &uri, id, None, Some(e.into())).await
        }
    }
}

pub struct EvidenceRow {
    pub resource_id: Option<i64>,
    pub resource_name: String,
    pub passed: bool,
    pub note: String,
}

pub struct CriterionRow {
    pub code: &'static str,
    pub title: String,
    pub passed: bool,
    pub evidence: Vec<EvidenceRow>,
}

#[derive(Template)]
#[template(path = "project_acceptance.html")]
struct AcceptancePage {
    ctx: PageCtx,
    id: i64,
    project_name: String,
    agency: String,
    status: String,
    generated_at: String,
    passed: bool,
    criteria: Vec<CriterionRow>,
}

fn criteria(lang: Lang, r: &AcceptanceReport) -> Vec<CriterionRow> {
    r.criteria
        .iter()
        .map(|c| CriterionRow {
            code: c.code,
            title: lang.pick(&c.title.zh, &c.title.en).to_string(),
            passed: c.passed,
            evidence: c
                .evidence
                .iter()
                .map(|e| EvidenceRow {
                    resource_id: e.resource_id,
                    resource_name: e.resource_name.clone(),
                    passed: e.passed,
                    note: lang.pick(&e.note.zh, &e.note.en).to_string(),
                })
                .collect(),
        })
        .collect()
}

pub async fn acceptance(
    State(state): State<AppState>,
    page: Page<perm::CatalogRead>,
    uri: Uri,
    Path(id): Path<i64>,
) -> Response {
    let lang = page.lang;
    let report = match projects::acceptance_report(&state.catalog, &page.caller, id).await {
        Ok(r) => r,
        Err(e) => return error_page(lang, e.into()),
    };
    let ctx = PageCtx::new(&page, "projects.acceptance", &uri, None)
        .crumb("projects.title", "/projects")
        .crumb_text(&report.project.name, &format!("/projects/{id}"))
        .crumb("projects.acceptance", &format!("/projects/{id}/acceptance"));
    render(&AcceptancePage {
        ctx,
        id,
        project_name: report.project.name.clone(),
        agency: report.agency_name.clone(),
        status: status_label(lang, &report.project.status),
        generated_at: when(&report.generated_at),
        passed: report.passed,
        criteria: criteria(lang, &report),
    })
}

pub async fn acceptance_json(
    State(state): State<AppState>,
    page: Page<perm::CatalogRead>,
    Path(id): Path<i64>,
) -> Response {
    match projects::acceptance_report(&state.catalog, &page.caller, id).await {
        Ok(r) => {
            let mut response = Json(r).into_response();
            let disposition = format!("attachment; filename=\"acceptance-{id}.json\"");
            if let Ok(v) = axum::http::HeaderValue::from_str(&disposition) {
                response.headers_mut().insert(axum::http::header::CONTENT_DISPOSITION, v);
            }
            response
        }
        Err(e) => error_page(page.lang, e.into()),
    }
}

/// The acceptance report as a workbook: a summary, then one row per line of evidence.
pub fn acceptance_workbook(r: &AcceptanceReport) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("验收报告")?;
    let title = Format::new().set_bold().set_font_size(14);
    let bold = Format::new().set_bold();
    let header = Format::new().set_bold().set_background_color(Color::RGB(0xE8EEF8));
    let ok = Format::new().set_font_color(Color::RGB(0x067647));
    let bad = Format::new().set_font_color(Color::RGB(0xB42318)).set_bold();
    let yes_no = |b: bool| if b { "通过 / pass" } else { "未通过 / fail" };
    ws.write_string_with_format(0, 0, format!("政务信息化项目验收报告：{}", r.project.name), &title)?;
    let facts: [(&str, String); 6] = [
        ("项目编号 / code", r.project.code.clone().unwrap_or_default()),
        ("建设单位 / agency", r.agency_name.clone()),
        ("项目状态 / status", r.project.status.clone()),
        ("完成时间 / completed", r.project.completed_at.clone().unwrap_or_default()),
        ("生成时间 / generated", r.generated_at.clone()),
        ("结论 / result", yes_no(r.passed).to_string()),
    ];
    for (i, (k, v)) in facts.iter().enumerate() {
        let row = 2 + i as u32;
        ws.write_string_with_format(row, 0, *k, &bold)?;
        ws.write_string_with_format(row, 1, v, if k.starts_with("结论") && !r.passed { &bad } else { &ok })?;
    }
    let mut row = 2 + facts.len() as u32 + 1;
    let heads = ["验收项 / criterion", "结果 / result", "资源编号 / resource", "资源名称 / name", "证据 / evidence"];
    for (c, h) in heads.iter().enumerate() {
        ws.write_string_with_format(row, c as u16, *h, &header)?;
    }
    row += 1;
    for c in &r.criteria {
        ws.write_string_with_format(row, 0, format!("{} / {}", c.title.zh, c.title.en), &bold)?;
        ws.write_string_with_format(row, 1, yes_no(c.passed), if c.passed { &ok } else { &bad })?;
        row += 1;
        for e in &c.evidence {
            ws.write_string(row, 0, c.code)?;
            ws.write_string_with_format(row, 1, yes_no(e.passed), if e.passed { &ok } else { &bad })?;
            if let Some(id) = e.resource_id {
                ws.write_number(row, 2, id as f64)?;
            }
            ws.write_string(row, 3, &e.resource_name)?;
            ws.write_string(row, 4, format!("{} / {}", e.note.zh, e.note.en))?;
            row += 1;
        }
    }
    for (c, w) in [(0u16, 40.0), (1, 16.0), (2, 12.0), (3, 30.0), (4, 60.0)] {
        ws.set_column_width(c, w)?;
    }
    wb.save_to_buffer()
}

pub async fn acceptance_xlsx(
    State(state): State<AppState>,
    page: Page<perm::CatalogRead>,
    Path(id): Path<i64>,
) -> Response {
    let lang = page.lang;
    let report = match projects::acceptance_report(&state.catalog, &page.caller, id).await {
        Ok(r) => r,
        Err(e) => return error_page(lang, e.into()),
    };
    let name = format!("验收报告-{}.xlsx", report.project.name);
    match tokio::task::spawn_blocking(move || acceptance_workbook(&report)).await {
        Ok(Ok(bytes)) => crate::api::catalog_files::download(crate::api::catalog_files::XLSX, &name, bytes),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "acceptance workbook");
            error_page(lang, crate::error::internal())
        }
        Err(e) => {
            tracing::error!(error = %e, "acceptance workbook task");
            error_page(lang, crate::error::internal())
        }
    }
}
