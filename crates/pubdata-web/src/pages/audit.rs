//! The audit trail page: filter, page through, verify the chain, export.

use super::{PageCtx, error_page, render};
use crate::AppState;
use crate::api::audit::{EntryQuery, VerifyResult, bounds, stream_export, verify_result};
use crate::auth::{Page, perm};
use crate::extract::CsrfForm;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::Uri;
use axum::response::Response;
use pubdata_domain::audit::AuditRecord;
use pubdata_domain::identity::Permission;
use pubdata_store::audit_trail;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    ctx: PageCtx,
    entries: Vec<AuditRecord>,
    query: EntryQuery,
    next_link: Option<String>,
    export_link: String,
    can_verify: bool,
    can_export: bool,
    verified: Option<VerifyResult>,
}

fn link(q: &EntryQuery, before: Option<i64>) -> String {
    let pairs: Vec<(&str, String)> = [
        ("since", q.since.clone()),
        ("until", q.until.clone()),
        ("action", q.action.clone()),
        ("actor", q.actor.clone()),
        ("object_type", q.object_type.clone()),
        ("object_id", q.object_id.clone()),
        ("outcome", q.outcome.clone()),
        ("before_seq", before.map(|b| b.to_string())),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| (k, v)))
    .collect();
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

async fn audit_page(
    state: &AppState,
    page: &Page<impl Sized>,
    uri: &Uri,
    query: EntryQuery,
    verified: Option<VerifyResult>,
) -> Response {
    let lang = page.lang;
    let filter = match query.filter() {
        Ok(f) => f,
        Err(e) => return error_page(lang, e),
    };
    let result = match audit_trail::list(&state.store, &page.caller, &filter).await {
        Ok(r) => r,
        Err(e) => return error_page(lang, e.into()),
    };
    let p = &page.caller.principal;
    let export_query: Vec<(&str, String)> = [("since", query.since.clone()), ("until", query.until.clone())]
        .into_iter()
        .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| (k, v)))
        .collect();
    let view = AuditPage {
        ctx: PageCtx::new(page, "audit.title", uri, None).crumb("audit.title", "/audit"),
        next_link: result.next_before.map(|b| format!("/audit?{}", link(&query, Some(b)))),
        export_link: format!("/audit/export?{}", serde_urlencoded::to_string(export_query).unwrap_or_default()),
        entries: result.entries,
        query,
        can_verify: p.has(Permission::AuditVerify),
        can_export: p.has(Permission::AuditExport),
        verified,
    };
    render(&view)
}

pub async fn entries(
    State(state): State<AppState>,
    page: Page<perm::AuditRead>,
    uri: Uri,
    Query(q): Query<EntryQuery>,
) -> Response {
    audit_page(&state, &page, &uri, q, None).await
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn verify(
    State(state): State<AppState>,
    page: Page<perm::AuditVerify>,
    uri: Uri,
    _form: CsrfForm<Empty>,
) -> Response {
    match audit_trail::verify_as(&state.store, &page.caller).await {
        Ok(check) => audit_page(&state, &page, &uri, EntryQuery::default(), Some(verify_result(&check))).await,
        Err(e) => error_page(page.lang, e.into()),
    }
}

#[derive(Deserialize)]
pub struct ExportQuery {
    since: Option<String>,
    until: Option<String>,
}

pub async fn export(
    State(state): State<AppState>,
    page: Page<perm::AuditExport>,
    Query(q): Query<ExportQuery>,
) -> Response {
    match bounds(q.since.as_deref(), q.until.as_deref()) {
        Ok((since, until)) => stream_export(state, page.caller, since, until).await,
        Err(e) => error_page(page.lang, e),
    }
}
