//! The home page: what the visitor's role is for, and the figures that role watches.

use super::{FlashQuery, PageCtx, render};
use crate::AppState;
use crate::auth::{Page, perm};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::Uri;
use axum::response::Response;
use pubdata_domain::audit::AuditRecord;
use pubdata_domain::identity::{Permission, Role};
use pubdata_store::identity::{orgs, users};
use pubdata_store::{AuditFilter, audit_trail, calendar};

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    ctx: PageCtx,
    role_label: &'static str,
    role_duty: &'static str,
    org_name: String,
    permissions: Vec<(&'static str, &'static str)>,
    org_count: Option<usize>,
    user_count: Option<usize>,
    audit_length: Option<i64>,
    uncovered_years: Vec<i32>,
    covered_until: Option<i32>,
    activity: Vec<AuditRecord>,
    activity_heading: &'static str,
}

pub async fn home(
    State(state): State<AppState>,
    page: Page<perm::Authenticated>,
    uri: Uri,
    Query(q): Query<FlashQuery>,
) -> Response {
    let ctx = PageCtx::new(&page, "home.title", &uri, q.flash.as_deref());
    let lang = page.lang;
    let p = &page.caller.principal;
    let caller = &page.caller;
    let role = p.role.unwrap_or(Role::AuthorityAdmin);
    let org_name = match pubdata_store::identity::users::own_account(&state.store, caller).await {
        Ok((_, org)) => org.display_name(lang.is_en()).to_string(),
        Err(_) => String::new(),
    };
    let org_count = match p.has(Permission::OrgManage) {
        true => orgs::list(&state.store, caller).await.ok().map(|o| o.len()),
        false => None,
    };
    let user_count = match p.has(Permission::UserRead) {
        true => users::list(&state.store, caller, None).await.ok().map(|u| u.len()),
        false => None,
    };
    let audit_length = match p.has(Permission::AuditVerify) {
        true => audit_trail::head(&state.store).await.ok().map(|(seq, _)| seq),
        false => None,
    };
    let (mut uncovered_years, mut covered_until) = (Vec::new(), None);
    // Only those who can enter a missing year's holidays need the reminder on their home page;
    // everyone else sees the warning next to the deadlines it affects.
    if p.has(Permission::CalendarManage)
        && let Ok(cal) = calendar::load(&state.store).await
    {
        let this_year = pubdata_domain::timefmt::now().year();
        uncovered_years = (this_year..=this_year + 1).filter(|y| !cal.covers(*y)).collect();
        covered_until = (2000..=this_year + 5).rev().find(|y| cal.covers(*y));
    }
    let (activity, activity_heading) = activity(&state, &page, role).await;
    let permissions =
        p.permissions().into_iter().map(|x| (x.as_str(), lang.pick(x.label_zh(), x.label_en()))).collect();
    render(&Home {
        ctx,
        role_label: lang.pick(role.label_zh(), role.label_en()),
        role_duty: lang.t(&format!("role.{}", role.as_str())),
        org_name,
        permissions,
        org_count,
        user_count,
        audit_length,
        uncovered_years,
        covered_until,
        activity,
        activity_heading,
    })
}

/// Supervisors watch refusals and failed logins; accountable heads their agency's activity.
async fn activity(state: &AppState, page: &Page<perm::Authenticated>, role: Role) -> (Vec<AuditRecord>, &'static str) {
    let lang = page.lang;
    let list =
        |outcome: Option<&str>| AuditFilter { outcome: outcome.map(str::to_string), limit: 10, ..Default::default() };
    match role {
        Role::Supervisor | Role::AuthorityAdmin => {
            let mut rows = Vec::new();
            for outcome in ["denied", "failure"] {
                if let Ok(p) = audit_trail::list(&state.store, &page.caller, &list(Some(outcome))).await {
                    rows.extend(p.entries);
                }
            }
            rows.sort_by_key(|r| std::cmp::Reverse(r.seq));
            rows.truncate(10);
            (rows, lang.t("home.recent_denials"))
        }
        Role::AccountableHead => {
            let rows =
                audit_trail::list(&state.store, &page.caller, &list(None)).await.map(|p| p.entries).unwrap_or_default();
            (rows, lang.t("home.recent_activity"))
        }
        _ => (Vec::new(), ""),
    }
}
