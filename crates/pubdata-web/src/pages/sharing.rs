//! Sharing pages (Ch.4, Art.13-16): share requests (ours, incoming to review, all for the
//! authority with the overdue filter), the request form reached from a published resource, a
//! request's page with the review and arbitration forms, and the grants with their
//! suspend/resume/revoke forms, and the agency's client applications (a new secret shown once).
//!
//! Ids: `#request-tabs`, `#requests`, `#request-form`, `#form-problems`, `#request-state`,
//! `#refusal`, `#demand-route`, `#grant-link`, `#step-{review|arbitrate}`, `#grant-tabs`,
//! `#grants`, `#grant-state`, `#grant-facts`, `#grant-action-{action}`, `#grant-history`, `#apps`,
//! `#app-form`, `#app-{id}`, `#app-key`, `#app-secret`.

use super::catalog::{ProblemView, base_field, error_problems, org_names, when};
use super::{FlashQuery, PageCtx, done, error_page, render_status};
use crate::AppState;
use crate::api::sharing::{DecisionBody, MakeRequest, RowFilterBody, RowScopeBody};
use crate::auth::{Page, perm};
use crate::error::ApiError;
use crate::extract::CsrfForm;
use crate::i18n::Lang;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use pubdata_domain::catalog::{Delivery, Level, ShareAttribute};
use pubdata_domain::client_app::{CallLimits, LimitOverrides, NewClientApp, limits};
use pubdata_domain::identity::{Permission, Scope};
use pubdata_domain::sharing::{GrantAction, GrantState, RequestState, ScenarioCategory};
use pubdata_store::catalog::resources;
use pubdata_store::client_apps::{self, ClientApp, IssuedSecret};
use pubdata_store::gateway_usage::{self, GrantUsage};
use pubdata_store::sharing::{self, GrantList, GrantView, RequestFilter, RequestList, ShareRequestView};
use serde::Deserialize;
use std::collections::HashMap;

fn field_label(lang: Lang, field: &str) -> String {
    let key = match field.split('[').next().unwrap_or(field) {
        "items" => "sharing.f.items",
        "scenario" => "sharing.f.scenario",
        "scenario_category" => "sharing.f.scenario_category",
        "legal_duty" => "sharing.f.legal_duty",
        "delivery" => "sharing.f.delivery",
        "end_date" => "sharing.f.end_date",
        "row_scope" | "row_scope.filter" | "filter_item" | "filter_value" => "sharing.f.row_scope",
        "raw_items" => "sharing.f.raw_items",
        "raw_justification" => "sharing.f.raw_justification",
        "decision" => "sharing.decision",
        "reason" => "sharing.reason",
        "rate_per_second" => "sharing.rate_per_second",
        "daily_quota" => "sharing.daily_quota",
        _ => return field.to_string(),
    };
    lang.t(key).to_string()
}

/// The problems an error names, each with its field; `None` when it names none (a flash then).
fn problems_of(lang: Lang, e: &ApiError) -> Option<Vec<ProblemView>> {
    error_problems(lang, e, field_label, base_field, base_field)
}

fn joined(problems: &[ProblemView], field: &str) -> String {
    problems.iter().filter(|p| p.field == field).map(|p| p.message.as_str()).collect::<Vec<_>>().join("；")
}

fn name_of(names: &HashMap<i64, String>, id: i64) -> String {
    names.get(&id).cloned().unwrap_or_else(|| format!("#{id}"))
}

fn category_label(lang: Lang, code: &str) -> String {
    ScenarioCategory::parse(code).map_or_else(|| code.to_string(), |c| lang.pick(c.label_zh(), c.label_en()).into())
}

fn delivery_label(lang: Lang, code: &str) -> String {
    Delivery::parse(code).map_or_else(|| code.to_string(), |d| lang.pick(d.label_zh(), d.label_en()).into())
}

fn flag(v: Option<&str>) -> bool {
    v.is_some_and(|v| !v.is_empty() && v != "0" && v != "false")
}

pub struct Tab {
    pub code: &'static str,
    pub label: &'static str,
    pub active: bool,
}

// ---------------------------------------------------------------------------------------------
// Request lists

#[derive(Deserialize, Default)]
pub struct ListQ {
    tab: Option<String>,
    state: Option<String>,
    overdue: Option<String>,
    flash: Option<String>,
}

pub struct RequestRow {
    pub id: i64,
    pub resource: String,
    pub consumer: String,
    pub provider: String,
    pub items: String,
    pub scenario: String,
    pub state_code: &'static str,
    pub state: String,
    pub due_on: String,
    pub overdue: bool,
}

#[derive(Template)]
#[template(path = "sharing_requests.html")]
struct RequestsPage {
    ctx: PageCtx,
    tabs: Vec<Tab>,
    tab: &'static str,
    states: Vec<(&'static str, String)>,
    state: String,
    overdue_only: bool,
    rows: Vec<RequestRow>,
}

fn request_row(lang: Lang, names: &HashMap<i64, String>, r: ShareRequestView) -> RequestRow {
    RequestRow {
        id: r.id,
        consumer: name_of(names, r.consumer_org_id),
        provider: name_of(names, r.provider_org_id),
        items: r.items.join("、"),
        state_code: r.state.as_str(),
        state: lang.pick(r.state.label_zh(), r.state.label_en()).to_string(),
        due_on: r.review_due.as_ref().map(|d| d.due_on.clone()).unwrap_or_default(),
        overdue: r.review_due.as_ref().is_some_and(|d| d.overdue),
        resource: r.resource_name,
        scenario: r.scenario,
    }
}

pub async fn requests(
    State(state): State<AppState>,
    page: Page<perm::SharingRead>,
    uri: Uri,
    Query(q): Query<ListQ>,
) -> Response {
    let lang = page.lang;
    let p = &page.caller.principal;
    let all = p.scope() == Scope::All;
    let which = match q.tab.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        None => {
            if all {
                RequestList::All
            } else if p.has(Permission::SharingRequest) {
                RequestList::Mine
            } else {
                RequestList::Incoming
            }
        }
        Some(t) => match RequestList::parse(t) {
            Some(l) => l,
            None => return error_page(lang, ApiError::invalid("tab", "未知的列表", "unknown list")),
        },
    };
    let filter_state = q.state.as_deref().and_then(RequestState::parse);
    let overdue_only = flag(q.overdue.as_deref());
    let filter = RequestFilter { state: filter_state, overdue_only };
    let list = match sharing::list_requests(&state.store, &page.caller, which, filter).await {
        Ok(l) => l,
        Err(e) => return error_page(lang, e.into()),
    };
    let names = org_names(&state, &page, lang).await;
    let rows = list.into_iter().map(|r| request_row(lang, &names, r)).collect();
    let mut tabs = Vec::new();
    for (list, key, shown) in [
        (RequestList::Mine, "sharing.tab_mine", p.has(Permission::SharingRequest)),
        (RequestList::Incoming, "sharing.tab_incoming", p.has(Permission::SharingReview)),
        (RequestList::All, "sharing.tab_all", all),
    ] {
        if shown || list == which {
            tabs.push(Tab { code: list.as_str(), label: lang.t(key), active: list == which });
        }
    }
    let ctx = PageCtx::new(&page, "sharing.requests", &uri, q.flash.as_deref())
        .crumb("sharing.requests", "/sharing/requests");
    let view = RequestsPage {
        ctx,
        tabs,
        tab: which.as_str(),
        states: RequestState::ALL.iter().map(|s| (s.as_str(), lang.pick(s.label_zh(), s.label_en()).into())).collect(),
        state: filter_state.map(|s| s.as_str().to_string()).unwrap_or_default(),
        overdue_only,
        rows,
    };
    render_status(StatusCode::OK, &view)
}

// ---------------------------------------------------------------------------------------------
// The request form

#[derive(Deserialize, Default)]
pub struct RequestForm {
    #[serde(default)]
    scenario: String,
    #[serde(default)]
    scenario_category: String,
    #[serde(default)]
    legal_duty: String,
    #[serde(default)]
    delivery: String,
    #[serde(default)]
    end_date: String,
    #[serde(default)]
    keyed_only: String,
    #[serde(default)]
    filter_item: String,
    #[serde(default)]
    filter_value: String,
    #[serde(default)]
    raw_justification: String,
    /// Check boxes, from the posted pairs.
    #[serde(skip)]
    items: Vec<String>,
    #[serde(skip)]
    raw_items: Vec<String>,
}

impl RequestForm {
    fn request(&self, resource_id: i64) -> MakeRequest {
        let filter = (!self.filter_item.trim().is_empty())
            .then(|| RowFilterBody { item: self.filter_item.trim().to_string(), value: self.filter_value.clone() });
        MakeRequest {
            resource_id,
            items: self.items.clone(),
            scenario: self.scenario.clone(),
            scenario_category: self.scenario_category.clone(),
            legal_duty: self.legal_duty.clone(),
            delivery: self.delivery.clone(),
            end_date: self.end_date.clone(),
            row_scope: Some(RowScopeBody { keyed_only: flag(Some(&self.keyed_only)), filter }),
            raw_items: self.raw_items.clone(),
            raw_justification: self.raw_justification.clone(),
        }
    }
}

pub struct ItemChoice {
    pub code: String,
    pub name: String,
    pub level: &'static str,
    pub sensitive: bool,
}

#[derive(Template)]
#[template(path = "sharing_request_form.html")]
struct FormPage {
    ctx: PageCtx,
    resource_id: i64,
    resource_name: String,
    /// For data that is not shared: the legal basis (the form is not offered).
    not_shared: Option<String>,
    conditions: Option<String>,
    choices: Vec<ItemChoice>,
    categories: Vec<(&'static str, String)>,
    deliveries: Vec<(&'static str, String)>,
    form: RequestForm,
    problems: Vec<ProblemView>,
}

impl FormPage {
    fn err(&self, field: &str) -> String {
        joined(&self.problems, field)
    }

    fn chosen(&self, code: &str) -> bool {
        self.form.items.iter().any(|i| i == code)
    }

    fn raw_chosen(&self, code: &str) -> bool {
        self.form.raw_items.iter().any(|i| i == code)
    }
}

async fn form_page(
    state: &AppState,
    page: &Page<perm::SharingRequest>,
    uri: &Uri,
    id: i64,
    form: RequestForm,
    error: Option<ApiError>,
) -> Response {
    let lang = page.lang;
    let detail = match resources::get(&state.catalog, &page.caller, id).await {
        Ok(d) => d,
        Err(e) => return error_page(lang, e.into()),
    };
    let Some(doc) = detail.published.as_ref() else {
        return error_page(lang, ApiError::new(StatusCode::NOT_FOUND, "not_found", "资源尚未发布", "not published"));
    };
    let (not_shared, conditions) = match &doc.share {
        ShareAttribute::NotShared { legal_basis } => (Some(legal_basis.clone()), None),
        ShareAttribute::Restricted { conditions, .. } => (None, Some(conditions.clone())),
        _ => (None, None),
    };
    let mut ctx = PageCtx::new(page, "sharing.new", uri, None)
        .crumb("sharing.requests", "/sharing/requests")
        .crumb_text(&doc.name, &format!("/catalog/{id}"));
    let mut status = StatusCode::OK;
    let mut problems = Vec::new();
    if let Some(e) = error {
        status = e.status;
        match problems_of(lang, &e) {
            Some(p) => problems = p,
            None => ctx = ctx.error(&e),
        }
    }
    let choices = doc
        .items
        .iter()
        .map(|i| ItemChoice {
            code: i.code.clone(),
            name: i.name.clone(),
            level: i.level.as_str(),
            sensitive: matches!(i.level, Level::L3 | Level::L4),
        })
        .collect();
    let view = FormPage {
        ctx,
        resource_id: id,
        resource_name: doc.name.clone(),
        not_shared,
        conditions,
        choices,
        categories: ScenarioCategory::ALL
            .iter()
            .map(|c| (c.as_str(), lang.pick(c.label_zh(), c.label_en()).to_string()))
            .collect(),
        deliveries: doc
            .delivery
            .iter()
            .filter(|d| matches!(d, Delivery::Api | Delivery::Bulk))
            .map(|d| (d.as_str(), lang.pick(d.label_zh(), d.label_en()).to_string()))
            .collect(),
        form,
        problems,
    };
    render_status(status, &view)
}

#[derive(Deserialize, Default)]
pub struct NewQ {
    resource_id: Option<i64>,
}

fn resource_param(lang: Lang, q: &NewQ) -> Result<i64, Response> {
    q.resource_id.ok_or_else(|| {
        error_page(lang, ApiError::invalid("resource_id", "请从资源目录选择资源", "choose a resource in the catalog"))
    })
}

pub async fn new_form(
    State(state): State<AppState>,
    page: Page<perm::SharingRequest>,
    uri: Uri,
    Query(q): Query<NewQ>,
) -> Response {
    let id = match resource_param(page.lang, &q) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let form = RequestForm { delivery: Delivery::Api.as_str().to_string(), ..RequestForm::default() };
    form_page(&state, &page, &uri, id, form, None).await
}

pub async fn create(
    State(state): State<AppState>,
    page: Page<perm::SharingRequest>,
    uri: Uri,
    Query(q): Query<NewQ>,
    form: CsrfForm<RequestForm>,
) -> Response {
    let id = match resource_param(page.lang, &q) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let mut f = form.value;
    let values = |key: &str| form.pairs.iter().filter(|(k, _)| k == key).map(|(_, v)| v.clone()).collect();
    f.items = values("items");
    f.raw_items = values("raw_items");
    let result = async {
        let input = f.request(id).parse()?;
        Ok::<_, ApiError>(sharing::create(&state.store, &state.config.sharing, &page.caller, input).await?)
    }
    .await;
    match result {
        Ok(made) => done(&format!("/sharing/requests/{}", made.id), "sharing.requested"),
        Err(e) => form_page(&state, &page, &uri, id, f, Some(e)).await,
    }
}

// ---------------------------------------------------------------------------------------------
// One request

#[derive(Deserialize, Default)]
pub struct PostedDecision {
    #[serde(default)]
    step: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    end_date: String,
}

#[derive(Template)]
#[template(path = "sharing_request_detail.html")]
struct RequestPage {
    ctx: PageCtx,
    r: ShareRequestView,
    state: String,
    consumer: String,
    provider: String,
    category: String,
    delivery: String,
    steps: Vec<&'static str>,
    posted: PostedDecision,
    problems: Vec<ProblemView>,
}

impl RequestPage {
    fn err(&self, step: &str, field: &str) -> String {
        if self.posted.step != step { String::new() } else { joined(&self.problems, field) }
    }

    fn at(&self, s: &str) -> String {
        when(s)
    }
}

pub async fn request(
    State(state): State<AppState>,
    page: Page<perm::SharingRead>,
    uri: Uri,
    Path(id): Path<i64>,
    Query(q): Query<FlashQuery>,
) -> Response {
    request_page(&state, &page, &uri, id, q.flash.as_deref(), PostedDecision::default(), None).await
}

async fn request_page(
    state: &AppState,
    page: &Page<perm::SharingRead>,
    uri: &Uri,
    id: i64,
    flash: Option<&str>,
    posted: PostedDecision,
    error: Option<ApiError>,
) -> Response {
    let lang = page.lang;
    let r = match sharing::get_request(&state.store, &page.caller, id).await {
        Ok(r) => r,
        Err(e) => return error_page(lang, e.into()),
    };
    let names = org_names(state, page, lang).await;
    let mut ctx = PageCtx::new(page, "sharing.request", uri, flash)
        .crumb("sharing.requests", "/sharing/requests")
        .crumb_text(&format!("#{id}"), &format!("/sharing/requests/{id}"));
    let mut status = StatusCode::OK;
    let mut problems = Vec::new();
    if let Some(e) = error {
        status = e.status;
        match problems_of(lang, &e) {
            Some(p) => problems = p,
            None => ctx = ctx.error(&e),
        }
    }
    let view = RequestPage {
        ctx,
        state: lang.pick(r.state.label_zh(), r.state.label_en()).to_string(),
        consumer: name_of(&names, r.consumer_org_id),
        provider: name_of(&names, r.provider_org_id),
        category: category_label(lang, &r.scenario_category),
        delivery: delivery_label(lang, &r.delivery),
        steps: r.actions.iter().map(|s| s.as_str()).collect(),
        posted,
        problems,
        r,
    };
    render_status(status, &view)
}

async fn decide(
    state: &AppState,
    page: &Page<perm::SharingRead>,
    id: i64,
    step: &'static str,
    form: CsrfForm<PostedDecision>,
) -> Response {
    let mut posted = form.value;
    posted.step = step.to_string();
    let items: Vec<String> = form.pairs.iter().filter(|(k, _)| k == "items").map(|(_, v)| v.clone()).collect();
    let raw_items = form.pairs.iter().filter(|(k, _)| k == "raw_items").map(|(_, v)| v.clone()).collect();
    let body = DecisionBody {
        decision: posted.decision.clone(),
        reason: posted.reason.clone(),
        items: (!items.is_empty()).then_some(items),
        end_date: Some(posted.end_date.clone()),
        raw_items,
    };
    let result = async {
        let input = body.parse()?;
        let p = &page.caller.principal;
        if step == "review" {
            if !p.has(Permission::SharingReview) {
                return Err(ApiError::forbidden(Permission::SharingReview));
            }
            Ok::<_, ApiError>(sharing::review(&state.store, &page.caller, id, input).await?)
        } else {
            if !p.has(Permission::SharingArbitrate) {
                return Err(ApiError::forbidden(Permission::SharingArbitrate));
            }
            Ok(sharing::arbitrate(&state.store, &page.caller, id, input).await?)
        }
    }
    .await;
    match result {
        Ok(_) => done(&format!("/sharing/requests/{id}"), "sharing.decided"),
        Err(e) => {
            let uri = Uri::try_from(format!("/sharing/requests/{id}")).unwrap_or_default();
            request_page(state, page, &uri, id, None, posted, Some(e)).await
        }
    }
}

pub async fn review(
    State(state): State<AppState>,
    page: Page<perm::SharingRead>,
    Path(id): Path<i64>,
    form: CsrfForm<PostedDecision>,
) -> Response {
    decide(&state, &page, id, "review", form).await
}

pub async fn arbitrate(
    State(state): State<AppState>,
    page: Page<perm::SharingRead>,
    Path(id): Path<i64>,
    form: CsrfForm<PostedDecision>,
) -> Response {
    decide(&state, &page, id, "arbitrate", form).await
}

// ---------------------------------------------------------------------------------------------
// Grants

pub struct GrantRow {
    pub id: i64,
    pub resource: String,
    pub consumer: String,
    pub provider: String,
    pub items: String,
    pub scenario: String,
    pub state_code: &'static str,
    pub state: String,
    pub end_date: String,
}

#[derive(Template)]
#[template(path = "sharing_grants.html")]
struct GrantsPage {
    ctx: PageCtx,
    tabs: Vec<Tab>,
    rows: Vec<GrantRow>,
}

pub async fn grants(
    State(state): State<AppState>,
    page: Page<perm::SharingRead>,
    uri: Uri,
    Query(q): Query<ListQ>,
) -> Response {
    let lang = page.lang;
    let p = &page.caller.principal;
    let all = p.scope() == Scope::All;
    let which = match q.tab.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        None if all => GrantList::All,
        None if p.has(Permission::SharingRequest) => GrantList::Held,
        None => GrantList::Given,
        Some(t) => match GrantList::parse(t) {
            Some(l) => l,
            None => return error_page(lang, ApiError::invalid("tab", "未知的列表", "unknown list")),
        },
    };
    let filter_state = q.state.as_deref().and_then(GrantState::parse);
    let list = match sharing::list_grants(&state.store, &page.caller, which, filter_state).await {
        Ok(l) => l,
        Err(e) => return error_page(lang, e.into()),
    };
    let names = org_names(&state, &page, lang).await;
    let rows = list
        .into_iter()
        .map(|g| GrantRow {
            id: g.id,
            consumer: name_of(&names, g.consumer_org_id),
            provider: name_of(&names, g.provider_org_id),
            items: g.items.join("、"),
            state_code: g.state.as_str(),
            state: lang.pick(g.state.label_zh(), g.state.label_en()).to_string(),
            end_date: g.end_date,
            resource: g.resource_name,
            scenario: g.scenario,
        })
        .collect();
    let mut tabs = Vec::new();
    for (list, key, shown) in [
        (GrantList::Held, "sharing.tab_held", p.has(Permission::SharingRequest)),
        (GrantList::Given, "sharing.tab_given", p.has(Permission::SharingReview)),
        (GrantList::All, "sharing.tab_all", all),
    ] {
        if shown || list == which {
            tabs.push(Tab { code: list.as_str(), label: lang.t(key), active: list == which });
        }
    }
    let ctx =
        PageCtx::new(&page, "sharing.grants", &uri, q.flash.as_deref()).crumb("sharing.grants", "/sharing/grants");
    render_status(StatusCode::OK, &GrantsPage { ctx, tabs, rows })
}

pub struct HistoryRow {
    pub at: String,
    pub who: String,
    pub action: String,
    pub to: String,
    pub reason: String,
}

#[derive(Deserialize, Default)]
pub struct PostedReason {
    #[serde(default)]
    reason: String,
}

#[derive(Template)]
#[template(path = "sharing_grant_detail.html")]
struct GrantPage {
    ctx: PageCtx,
    g: GrantView,
    state: String,
    consumer: String,
    provider: String,
    category: String,
    delivery: String,
    actions: Vec<&'static str>,
    history: Vec<HistoryRow>,
    failed: String,
    posted: PostedReason,
    problems: Vec<ProblemView>,
    /// The grant's use through the channel over the last 30 days.
    usage: Option<GrantUsage>,
    exports: super::sharing_exports::ExportsSection,
}

impl GrantPage {
    fn err(&self, action: &str) -> String {
        if self.failed != action { String::new() } else { joined(&self.problems, "reason") }
    }
}

fn grant_state_text(lang: Lang, code: &str) -> String {
    GrantState::parse(code).map_or_else(|| code.to_string(), |s| lang.pick(s.label_zh(), s.label_en()).into())
}

pub async fn grant(
    State(state): State<AppState>,
    page: Page<perm::SharingRead>,
    uri: Uri,
    Path(id): Path<i64>,
    Query(q): Query<FlashQuery>,
) -> Response {
    grant_page(&state, &page, &uri, id, q.flash.as_deref(), "", PostedReason::default(), None).await
}

#[allow(clippy::too_many_arguments)]
async fn grant_page(
    state: &AppState,
    page: &Page<perm::SharingRead>,
    uri: &Uri,
    id: i64,
    flash: Option<&str>,
    failed: &str,
    posted: PostedReason,
    error: Option<ApiError>,
) -> Response {
    let lang = page.lang;
    let g = match sharing::get_grant(&state.store, &page.caller, id).await {
        Ok(g) => g,
        Err(e) => return error_page(lang, e.into()),
    };
    let names = org_names(state, page, lang).await;
    // Whoever sees the grant sees its use; a failure to read it leaves the section out.
    let usage = gateway_usage::grant_usage(&state.store, &page.caller, id, 30).await.ok();
    let mut ctx = PageCtx::new(page, "sharing.grant", uri, flash)
        .crumb("sharing.grants", "/sharing/grants")
        .crumb_text(&format!("#{id}"), &format!("/sharing/grants/{id}"));
    let mut status = StatusCode::OK;
    let mut problems = Vec::new();
    if let Some(e) = error {
        status = e.status;
        match problems_of(lang, &e) {
            Some(p) => problems = p,
            None => ctx = ctx.error(&e),
        }
    }
    let history = g
        .history
        .iter()
        .map(|e| HistoryRow {
            at: when(&e.at),
            who: match e.actor_org_id {
                Some(o) => format!("{}（{}）", e.actor_name, name_of(&names, o)),
                None => e.actor_name.clone(),
            },
            action: lang.t(&format!("sharing.action_{}", e.action)).to_string(),
            to: grant_state_text(lang, &e.to_state),
            reason: e.reason.clone(),
        })
        .collect();
    let view = GrantPage {
        ctx,
        state: lang.pick(g.state.label_zh(), g.state.label_en()).to_string(),
        consumer: name_of(&names, g.consumer_org_id),
        provider: name_of(&names, g.provider_org_id),
        category: category_label(lang, &g.scenario_category),
        delivery: lang.pick(g.delivery.label_zh(), g.delivery.label_en()).to_string(),
        actions: g.actions.iter().map(|a| a.as_str()).collect(),
        history,
        failed: failed.to_string(),
        posted,
        problems,
        usage,
        exports: super::sharing_exports::section(state, page, &g).await,
        g,
    };
    render_status(status, &view)
}

pub async fn change_grant(
    State(state): State<AppState>,
    page: Page<perm::SharingRead>,
    Path((id, action)): Path<(i64, String)>,
    form: CsrfForm<PostedReason>,
) -> Response {
    let Some(act) = GrantAction::ALL.into_iter().find(|a| a.as_str() == action) else {
        return error_page(
            page.lang,
            ApiError::new(StatusCode::NOT_FOUND, "not_found", "页面不存在", "page not found"),
        );
    };
    let posted = form.value;
    match sharing::change_grant(&state.store, &page.caller, id, act, &posted.reason).await {
        Ok(_) => done(&format!("/sharing/grants/{id}"), "sharing.grant_changed"),
        Err(e) => {
            let uri = Uri::try_from(format!("/sharing/grants/{id}")).unwrap_or_default();
            grant_page(&state, &page, &uri, id, None, act.as_str(), posted, Some(e.into())).await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Client applications (Art.15): the systems an agency calls the sharing channel from

#[derive(Deserialize, Default)]
pub struct AppForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    contact: String,
    /// One address per line (commas separate too).
    #[serde(default)]
    allowed_addresses: String,
}

#[derive(Template)]
#[template(path = "sharing_apps.html")]
struct AppsPage {
    ctx: PageCtx,
    apps: Vec<ClientApp>,
    can_manage: bool,
    /// The authority sets applications' rates and quotas.
    can_set_limits: bool,
    /// The platform's defaults.
    defaults: CallLimits,
    /// Each application's calls today, by id.
    today: std::collections::HashMap<i64, gateway_usage::Counts>,
    form: AppForm,
    problems: Vec<ProblemView>,
    /// The app whose action failed, and that failure's message beside its form.
    failed: Option<(i64, String)>,
}

impl AppsPage {
    fn err(&self, field: &str) -> String {
        joined(&self.problems, field)
    }

    fn failure(&self, id: &i64) -> String {
        self.failed.as_ref().filter(|(f, _)| f == id).map(|(_, m)| m.clone()).unwrap_or_default()
    }

    fn effective(&self, a: &ClientApp) -> CallLimits {
        a.limits.effective(self.defaults)
    }

    fn calls_today(&self, id: &i64) -> gateway_usage::Counts {
        self.today.get(id).copied().unwrap_or_default()
    }

    fn at(&self, s: &str) -> String {
        when(s)
    }
}

fn app_field_label(lang: Lang, field: &str) -> String {
    let key = match field {
        "name" => "sharing.app_name",
        "description" => "sharing.app_description",
        "contact" => "sharing.app_contact",
        "allowed_addresses" => "sharing.app_addresses",
        "reason" => "sharing.reason",
        _ => return field.to_string(),
    };
    lang.t(key).to_string()
}

async fn apps_page(
    state: &AppState,
    page: &Page<perm::ClientAppRead>,
    uri: &Uri,
    flash: Option<&str>,
    form: AppForm,
    error: Option<(Option<i64>, ApiError)>,
) -> Response {
    let lang = page.lang;
    let apps = match client_apps::list(&state.store, &page.caller).await {
        Ok(a) => a,
        Err(e) => return error_page(lang, e.into()),
    };
    let mut ctx = PageCtx::new(page, "sharing.apps", uri, flash)
        .crumb("sharing.requests", "/sharing/requests")
        .crumb("sharing.apps", "/sharing/apps");
    let (mut status, mut problems, mut failed) = (StatusCode::OK, Vec::new(), None);
    if let Some((app, e)) = error {
        status = e.status;
        match (app, problems_of(lang, &e)) {
            (Some(id), _) => failed = Some((id, super::message(lang, &e))),
            (None, Some(p)) => {
                problems = p
                    .into_iter()
                    .map(|mut v| {
                        v.label = app_field_label(lang, &v.field);
                        v
                    })
                    .collect()
            }
            (None, None) => ctx = ctx.error(&e),
        }
    }
    let can_manage = page.caller.principal.has(Permission::ClientAppManage);
    let can_set_limits = limits::require_set_limits(&page.caller.principal).is_ok();
    let today = gateway_usage::apps_today(&state.store).await.unwrap_or_default();
    let defaults = state.config.gateway_limits;
    render_status(status, &AppsPage { ctx, apps, can_manage, can_set_limits, defaults, today, form, problems, failed })
}

pub async fn apps(
    State(state): State<AppState>,
    page: Page<perm::ClientAppRead>,
    uri: Uri,
    Query(q): Query<FlashQuery>,
) -> Response {
    apps_page(&state, &page, &uri, q.flash.as_deref(), AppForm::default(), None).await
}

/// The page a new secret is shown on, once: it is not stored in a readable form.
#[derive(Template)]
#[template(path = "sharing_app_secret.html")]
struct SecretPage {
    ctx: PageCtx,
    issued: IssuedSecret,
    rotated: bool,
}

fn secret_page(page: &Page<perm::ClientAppRead>, issued: IssuedSecret, rotated: bool) -> Response {
    let uri = Uri::try_from(format!("/sharing/apps/{}", issued.app.id)).unwrap_or_default();
    let ctx = PageCtx::new(page, "sharing.secret_title", &uri, None)
        .crumb("sharing.apps", "/sharing/apps")
        .crumb_text(&issued.app.name, "/sharing/apps");
    let mut response = render_status(StatusCode::OK, &SecretPage { ctx, issued, rotated });
    // The secret must not linger in a cache or in the history's form resubmission.
    response.headers_mut().insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    response
}

fn manage(page: &Page<perm::ClientAppRead>) -> Result<(), ApiError> {
    if page.caller.principal.has(Permission::ClientAppManage) {
        Ok(())
    } else {
        Err(ApiError::forbidden(Permission::ClientAppManage))
    }
}

pub async fn register_app(
    State(state): State<AppState>,
    page: Page<perm::ClientAppRead>,
    uri: Uri,
    form: CsrfForm<AppForm>,
) -> Response {
    let f = form.value;
    let result = async {
        manage(&page)?;
        let new = NewClientApp {
            org_id: None,
            name: f.name.clone(),
            description: f.description.clone(),
            contact: f.contact.clone(),
            allowed_addresses: f
                .allowed_addresses
                .split(['\n', ',', '，'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        };
        Ok::<_, ApiError>(client_apps::create(&state.store, &state.config.sharing_key, &page.caller, new).await?)
    }
    .await;
    match result {
        Ok(issued) => secret_page(&page, issued, false),
        Err(e) => apps_page(&state, &page, &uri, None, f, Some((None, e))).await,
    }
}

#[derive(Deserialize, Default)]
pub struct AppAction {
    #[serde(default)]
    reason: String,
    /// For `limits`: empty means the platform's default.
    #[serde(default)]
    rate_per_second: String,
    #[serde(default)]
    daily_quota: String,
}

impl AppAction {
    /// The limits form's values: blank for the default, else a whole number.
    fn limits(&self) -> Result<LimitOverrides, ApiError> {
        fn number<T: std::str::FromStr>(field: &str, v: &str) -> Result<Option<T>, ApiError> {
            let v = v.trim();
            if v.is_empty() {
                return Ok(None);
            }
            v.parse().map(Some).map_err(|_| {
                pubdata_domain::Error::invalid(
                    field,
                    "应为正整数，留空表示平台默认值",
                    "must be a whole number; leave it empty for the default",
                )
                .into()
            })
        }
        Ok(LimitOverrides {
            rate_per_second: number("rate_per_second", &self.rate_per_second)?,
            daily_quota: number("daily_quota", &self.daily_quota)?,
        })
    }
}

pub async fn app_action(
    State(state): State<AppState>,
    page: Page<perm::ClientAppRead>,
    Path((id, action)): Path<(i64, String)>,
    form: CsrfForm<AppAction>,
) -> Response {
    let result = async {
        manage(&page)?;
        let (store, caller) = (&state.store, &page.caller);
        match action.as_str() {
            "rotate" => Ok(Some(client_apps::rotate(store, &state.config.sharing_key, caller, id, None).await?)),
            "retire-previous" => {
                client_apps::retire_previous(store, caller, id).await.map(|_| None).map_err(Into::into)
            }
            "disable" => {
                client_apps::disable(store, caller, id, &form.value.reason).await.map(|_| None).map_err(Into::into)
            }
            "limits" => {
                let limits = form.value.limits()?;
                client_apps::set_limits(store, caller, id, limits).await.map(|_| None).map_err(Into::into)
            }
            _ => Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "页面不存在", "page not found")),
        }
    }
    .await;
    match result {
        Ok(Some(issued)) => secret_page(&page, issued, true),
        Ok(None) => done("/sharing/apps", "sharing.app_changed"),
        Err(e) if e.status == StatusCode::NOT_FOUND => error_page(page.lang, e),
        Err(e) => {
            let uri = Uri::from_static("/sharing/apps");
            apps_page(&state, &page, &uri, None, AppForm::default(), Some((Some(id), e))).await
        }
    }
}
