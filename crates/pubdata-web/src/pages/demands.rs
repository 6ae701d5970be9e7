//! The data demand list (Art.9, 15): the lists (filed by us, to answer, all for the
//! authority), the form to file a demand (prefilled with a related resource from
//! `?resource_id=`), and a demand's page with its deadline, timeline and the forms of the
//! actions open to the visitor.
//!
//! Ids: `#demand-tabs`, `#demands`, `#new-demand`, `#demand-form`, `#form-problems`,
//! `#demand-state`, `#overdue`, `#demand-facts`, `#demand-actions`, `#action-{action}`,
//! `#timeline`.

use super::catalog::{ProblemView, before_index, error_problems, org_names, org_options, when, whole};
use super::{FlashQuery, PageCtx, done, error_page, render_status};
use crate::AppState;
use crate::api::demands::{ActionRequest, parse_delivery, parse_list};
use crate::auth::{Page, perm};
use crate::error::ApiError;
use crate::extract::CsrfForm;
use crate::i18n::Lang;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use pubdata_domain::catalog::Delivery;
use pubdata_domain::demand::{
    ANSWER_WORKING_DAYS, AnswerKind, COORDINATION_WORKING_DAYS, DECISION_WORKING_DAYS, DemandAction, DemandFiling,
    DemandState,
};
use pubdata_domain::identity::{Permission, Scope};
use pubdata_store::catalog::resources;
use pubdata_store::demands::{self, DemandDetail, DemandEvent, DemandFilter, DemandList, DueView};
use serde::Deserialize;
use std::collections::HashMap;

fn state_label(lang: Lang, s: DemandState) -> String {
    lang.pick(s.label_zh(), s.label_en()).to_string()
}

fn field_label(lang: Lang, field: &str) -> String {
    let key = match field.split('[').next().unwrap_or(field) {
        "title" => "demands.f.title",
        "description" => "demands.f.description",
        "items" => "demands.f.items",
        "scenario" => "demands.f.scenario",
        "legal_basis" => "demands.f.legal_basis",
        "delivery" => "demands.f.delivery",
        "related_resource_id" => "demands.f.related_resource_id",
        "provider_org_id" => "demands.provider",
        "resource_id" => "demands.f.resource_id",
        "answer" => "demands.answer",
        "planned_date" => "demands.planned_date",
        "comment" => "demands.comment",
        "action" => "common.actions",
        _ => return field.to_string(),
    };
    lang.t(key).to_string()
}

/// The problems an error names, each with its field, for listing beside the form; `None` when
/// the error concerns no field (shown as a flash message instead).
fn problems_of(lang: Lang, e: &ApiError) -> Option<Vec<ProblemView>> {
    error_problems(lang, e, field_label, whole, before_index)
}

fn name_of(names: &HashMap<i64, String>, id: i64) -> String {
    names.get(&id).cloned().unwrap_or_else(|| format!("#{id}"))
}

/// A step's deadline as the pages show it: the step, the due date, and whether it has passed.
pub struct DueRow {
    pub step: String,
    pub due_on: String,
    pub overdue: bool,
}

fn due_row(lang: Lang, due: Option<&DueView>) -> Option<DueRow> {
    due.map(|d| DueRow {
        step: lang.pick(d.step.label_zh(), d.step.label_en()).to_string(),
        due_on: d.due_on.clone(),
        overdue: d.overdue,
    })
}

/// The deadline rules, from the constants that enforce them.
fn deadline_rules(lang: Lang) -> String {
    let (c, a, d) = (COORDINATION_WORKING_DAYS, ANSWER_WORKING_DAYS, DECISION_WORKING_DAYS);
    if lang.is_en() {
        format!(
            "Deadlines count working days: the authority starts coordinating within {c} of the filing, the proposed provider answers within {a} of being proposed, and the authority decides within {d} of the answer."
        )
    } else {
        format!(
            "办理期限按工作日计算：主管部门自提交之日起 {c} 个工作日内开始协调；拟提供单位自收到协调之日起 {a} 个工作日内答复；答复后主管部门 {d} 个工作日内作出决定。"
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Lists

#[derive(Deserialize, Default)]
pub struct ListQ {
    tab: Option<String>,
    state: Option<String>,
    overdue: Option<String>,
    flash: Option<String>,
}

pub struct Tab {
    pub code: &'static str,
    pub label: &'static str,
    pub active: bool,
}

pub struct SummaryRow {
    pub id: i64,
    pub title: String,
    pub consumer: String,
    pub provider: String,
    pub state_code: &'static str,
    pub state: String,
    pub submitted_at: String,
    pub due: Option<DueRow>,
}

#[derive(Template)]
#[template(path = "demand_list.html")]
struct ListPage {
    ctx: PageCtx,
    tabs: Vec<Tab>,
    tab: &'static str,
    states: Vec<(&'static str, String)>,
    state: String,
    overdue_only: bool,
    rows: Vec<SummaryRow>,
    can_file: bool,
    rules: String,
}

pub async fn list(
    State(state): State<AppState>,
    page: Page<perm::DemandRead>,
    uri: Uri,
    Query(q): Query<ListQ>,
) -> Response {
    let lang = page.lang;
    let p = &page.caller.principal;
    let (which, filter_state) = match parse_list(q.tab.as_deref(), q.state.as_deref(), p) {
        Ok(x) => x,
        Err(e) => return error_page(lang, e),
    };
    let overdue_only = q.overdue.as_deref().is_some_and(|v| !v.is_empty() && v != "0" && v != "false");
    let filter = DemandFilter { state: filter_state, overdue_only };
    let list = match demands::list(&state.store, &page.caller, which, filter).await {
        Ok(l) => l,
        Err(e) => return error_page(lang, e.into()),
    };
    let names = org_names(&state, &page, lang).await;
    let rows = list
        .into_iter()
        .map(|s| SummaryRow {
            id: s.id,
            consumer: name_of(&names, s.consumer_org_id),
            provider: s.provider_org_id.map(|o| name_of(&names, o)).unwrap_or_default(),
            state_code: s.state.as_str(),
            state: state_label(lang, s.state),
            submitted_at: when(&s.submitted_at),
            due: due_row(lang, s.due.as_ref()),
            title: s.title,
        })
        .collect();
    let mut tabs = Vec::new();
    for (list, key, shown) in [
        (DemandList::Mine, "demands.tab_mine", p.has(Permission::DemandFile)),
        (DemandList::Assigned, "demands.tab_assigned", p.has(Permission::DemandAnswer)),
        (DemandList::All, "demands.tab_all", p.scope() == Scope::All),
    ] {
        if shown || list == which {
            tabs.push(Tab { code: list.as_str(), label: lang.t(key), active: list == which });
        }
    }
    let ctx = PageCtx::new(&page, "demands.title", &uri, q.flash.as_deref()).crumb("demands.title", "/demands");
    let view = ListPage {
        ctx,
        tabs,
        tab: which.as_str(),
        states: DemandState::ALL.iter().map(|s| (s.as_str(), state_label(lang, *s))).collect(),
        state: filter_state.map(|s| s.as_str().to_string()).unwrap_or_default(),
        overdue_only,
        rows,
        can_file: p.has(Permission::DemandFile),
        rules: deadline_rules(lang),
    };
    render_status(StatusCode::OK, &view)
}

// ---------------------------------------------------------------------------------------------
// Filing

#[derive(Deserialize, Default)]
pub struct DemandForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    /// One item name per line (commas and 、 separate too).
    #[serde(default)]
    items: String,
    #[serde(default)]
    scenario: String,
    #[serde(default)]
    legal_basis: String,
    #[serde(default)]
    delivery: String,
    #[serde(default)]
    related_resource_id: String,
}

impl DemandForm {
    fn filing(&self) -> Result<DemandFiling, ApiError> {
        let related = self.related_resource_id.trim();
        let related_resource_id = if related.is_empty() {
            None
        } else {
            Some(related.parse::<i64>().map_err(|_| {
                ApiError::invalid("related_resource_id", "资源编号应为数字", "a resource id is a number")
            })?)
        };
        let items = self
            .items
            .split(['\n', ',', '，', '、', ';', '；'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        Ok(DemandFiling {
            title: self.title.clone(),
            description: self.description.clone(),
            items,
            scenario: self.scenario.clone(),
            legal_basis: self.legal_basis.clone(),
            delivery: parse_delivery(&self.delivery)?,
            related_resource_id,
        })
    }
}

#[derive(Template)]
#[template(path = "demand_form.html")]
struct FormPage {
    ctx: PageCtx,
    form: DemandForm,
    deliveries: Vec<(&'static str, String)>,
    related_name: Option<String>,
    problems: Vec<ProblemView>,
}

impl FormPage {
    fn err(&self, field: &str) -> String {
        self.problems
            .iter()
            .filter(|p| p.field == field || p.field.starts_with(&format!("{field}[")))
            .map(|p| p.message.as_str())
            .collect::<Vec<_>>()
            .join("；")
    }
}

#[derive(Deserialize, Default)]
pub struct NewQ {
    resource_id: Option<String>,
}

async fn form_page(
    state: &AppState,
    page: &Page<perm::DemandFile>,
    uri: &Uri,
    form: DemandForm,
    error: Option<ApiError>,
) -> Response {
    let lang = page.lang;
    let related_name = match form.related_resource_id.trim().parse::<i64>() {
        Ok(id) => {
            resources::get(&state.catalog, &page.caller, id).await.ok().and_then(|r| r.shown().map(|d| d.name.clone()))
        }
        Err(_) => None,
    };
    let mut ctx = PageCtx::new(page, "demands.new", uri, None)
        .crumb("demands.title", "/demands")
        .crumb("demands.new", "/demands/new");
    let mut status = StatusCode::OK;
    let mut problems = Vec::new();
    if let Some(e) = error {
        status = e.status;
        match problems_of(lang, &e) {
            Some(p) => problems = p,
            None => ctx = ctx.error(&e),
        }
    }
    let deliveries =
        Delivery::ALL.iter().map(|d| (d.as_str(), lang.pick(d.label_zh(), d.label_en()).to_string())).collect();
    render_status(status, &FormPage { ctx, form, deliveries, related_name, problems })
}

pub async fn new_form(
    State(state): State<AppState>,
    page: Page<perm::DemandFile>,
    uri: Uri,
    Query(q): Query<NewQ>,
) -> Response {
    let form = DemandForm {
        delivery: Delivery::Api.as_str().to_string(),
        related_resource_id: q.resource_id.unwrap_or_default(),
        ..DemandForm::default()
    };
    form_page(&state, &page, &uri, form, None).await
}

pub async fn create(
    State(state): State<AppState>,
    page: Page<perm::DemandFile>,
    uri: Uri,
    form: CsrfForm<DemandForm>,
) -> Response {
    let f = form.value;
    let result = async {
        let filing = f.filing()?;
        Ok::<_, ApiError>(demands::create(&state.store, &page.caller, filing).await?)
    }
    .await;
    match result {
        Ok(d) => done(&format!("/demands/{}", d.id), "demands.created"),
        Err(e) => form_page(&state, &page, &uri, f, Some(e)).await,
    }
}

// ---------------------------------------------------------------------------------------------
// One demand

pub struct EventRow {
    pub at: String,
    pub who: String,
    pub action: String,
    pub from: String,
    pub to: String,
    pub comment: String,
    pub particulars: Vec<String>,
}

fn action_label(lang: Lang, action: &str) -> String {
    match (action, DemandAction::parse(action)) {
        (_, Some(a)) => lang.pick(a.label_zh(), a.label_en()).to_string(),
        ("file", None) => lang.t("demands.action_file").to_string(),
        (other, None) => other.to_string(),
    }
}

fn state_text(lang: Lang, code: &str) -> String {
    DemandState::parse(code).map_or_else(|| code.to_string(), |s| state_label(lang, s))
}

fn event_row(lang: Lang, names: &HashMap<i64, String>, e: &DemandEvent) -> EventRow {
    let mut particulars = Vec::new();
    if let Some(o) = e.provider_org_id {
        particulars.push(format!("{}：{}", lang.t("demands.provider"), name_of(names, o)));
    }
    if let Some(kind) = e.answer.as_deref().and_then(AnswerKind::parse) {
        particulars.push(lang.pick(kind.label_zh(), kind.label_en()).to_string());
    }
    if let Some(r) = e.resource_id {
        particulars.push(format!("{} #{r}", lang.t("demands.resource")));
    }
    if let Some(d) = &e.planned_on {
        particulars.push(format!("{}：{d}", lang.t("demands.planned_date")));
    }
    let who = match e.actor_org_id {
        Some(o) => format!("{}（{}）", e.actor_name, name_of(names, o)),
        None => e.actor_name.clone(),
    };
    EventRow {
        at: when(&e.at),
        who,
        action: action_label(lang, &e.action),
        from: state_text(lang, &e.from_state),
        to: state_text(lang, &e.to_state),
        comment: e.comment.clone(),
        particulars,
    }
}

/// An action form on the demand's page.
pub struct ActionForm {
    pub code: &'static str,
    pub label: String,
    pub danger: bool,
}

/// What was posted, to fill the failed action's form again.
#[derive(Deserialize, Default)]
pub struct PostedAction {
    #[serde(default)]
    action: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    provider_org_id: String,
    #[serde(default)]
    resource_id: String,
    #[serde(default)]
    answer: String,
    #[serde(default)]
    planned_date: String,
}

impl PostedAction {
    fn request(&self) -> Result<ActionRequest, ApiError> {
        let number = |field: &str, v: &str| -> Result<Option<i64>, ApiError> {
            let v = v.trim();
            if v.is_empty() {
                return Ok(None);
            }
            v.parse::<i64>().map(Some).map_err(|_| ApiError::invalid(field, "应为数字编号", "must be a number"))
        };
        Ok(ActionRequest {
            action: self.action.clone(),
            comment: self.comment.clone(),
            provider_org_id: number("provider_org_id", &self.provider_org_id)?,
            resource_id: number("resource_id", &self.resource_id)?,
            answer: Some(self.answer.clone()),
            planned_date: Some(self.planned_date.clone()),
        })
    }
}

#[derive(Template)]
#[template(path = "demand_detail.html")]
struct DetailPage {
    ctx: PageCtx,
    d: DemandDetail,
    state: String,
    consumer: String,
    provider: String,
    delivery: String,
    due: Option<DueRow>,
    answer_kind: String,
    actions: Vec<ActionForm>,
    providers: Vec<(String, String)>,
    today: String,
    posted: PostedAction,
    problems: Vec<ProblemView>,
    timeline: Vec<EventRow>,
    rules: String,
}

impl DetailPage {
    /// An instant as the page shows it.
    fn at(&self, s: &str) -> String {
        when(s)
    }

    /// The posted value of `field` when `action` failed, else `default`.
    fn value(&self, action: &str, field: &str, default: &str) -> String {
        if self.posted.action != action {
            return default.to_string();
        }
        match field {
            "comment" => self.posted.comment.clone(),
            "provider_org_id" => self.posted.provider_org_id.clone(),
            "resource_id" => self.posted.resource_id.clone(),
            "answer" => self.posted.answer.clone(),
            "planned_date" => self.posted.planned_date.clone(),
            _ => default.to_string(),
        }
    }

    fn err(&self, action: &str, field: &str) -> String {
        if self.posted.action != action {
            return String::new();
        }
        self.problems.iter().filter(|p| p.field == field).map(|p| p.message.as_str()).collect::<Vec<_>>().join("；")
    }

    /// The resource the authority would link on fulfilment: the one the provider offered.
    fn offered_resource(&self) -> String {
        self.d.answer.as_ref().and_then(|a| a.resource.as_ref()).map(|r| r.id.to_string()).unwrap_or_default()
    }
}

pub async fn detail(
    State(state): State<AppState>,
    page: Page<perm::DemandRead>,
    uri: Uri,
    Path(id): Path<i64>,
    Query(q): Query<FlashQuery>,
) -> Response {
    detail_page(&state, &page, &uri, id, q.flash.as_deref(), PostedAction::default(), None).await
}

async fn detail_page(
    state: &AppState,
    page: &Page<perm::DemandRead>,
    uri: &Uri,
    id: i64,
    flash: Option<&str>,
    posted: PostedAction,
    error: Option<ApiError>,
) -> Response {
    let lang = page.lang;
    let d = match demands::get(&state.store, &page.caller, id).await {
        Ok(d) => d,
        Err(e) => return error_page(lang, e.into()),
    };
    let names = org_names(state, page, lang).await;
    let mut ctx = PageCtx::new(page, "demands.title", uri, flash)
        .crumb("demands.title", "/demands")
        .crumb_text(&d.title, &format!("/demands/{id}"));
    ctx.title = d.title.clone();
    let mut status = StatusCode::OK;
    let mut problems = Vec::new();
    if let Some(e) = error {
        status = e.status;
        match problems_of(lang, &e) {
            Some(p) => problems = p,
            None => ctx = ctx.error(&e),
        }
    }
    let providers = if d.actions.contains(&DemandAction::Coordinate) {
        let consumer = d.consumer_org_id.to_string();
        org_options(state, page, lang).await.into_iter().filter(|(id, _)| *id != consumer).collect()
    } else {
        Vec::new()
    };
    let actions = d
        .actions
        .iter()
        .map(|a| ActionForm {
            code: a.as_str(),
            label: lang.pick(a.label_zh(), a.label_en()).to_string(),
            danger: matches!(a, DemandAction::Reject | DemandAction::Withdraw),
        })
        .collect();
    let view = DetailPage {
        ctx,
        state: state_label(lang, d.state),
        consumer: name_of(&names, d.consumer_org_id),
        provider: d.provider_org_id.map(|o| name_of(&names, o)).unwrap_or_default(),
        delivery: lang.pick(d.delivery.label_zh(), d.delivery.label_en()).to_string(),
        due: due_row(lang, d.due.as_ref()),
        answer_kind: d
            .answer
            .as_ref()
            .map(|a| lang.pick(a.kind.label_zh(), a.kind.label_en()).to_string())
            .unwrap_or_default(),
        actions,
        providers,
        today: pubdata_domain::timefmt::format_date(pubdata_domain::timefmt::district_date(
            pubdata_domain::timefmt::now(),
        )),
        posted,
        problems,
        timeline: d.timeline.iter().map(|e| event_row(lang, &names, e)).collect(),
        rules: deadline_rules(lang),
        d,
    };
    render_status(status, &view)
}

pub async fn act(
    State(state): State<AppState>,
    page: Page<perm::DemandRead>,
    Path(id): Path<i64>,
    form: CsrfForm<PostedAction>,
) -> Response {
    let posted = form.value;
    let result = async {
        let (action, input) = posted.request()?.parse()?;
        Ok::<_, ApiError>(demands::act(&state.store, &page.caller, id, action, input).await?)
    }
    .await;
    match result {
        Ok(_) => done(&format!("/demands/{id}"), "demands.updated"),
        Err(e) => {
            let uri = Uri::try_from(format!("/demands/{id}")).unwrap_or_default();
            detail_page(&state, &page, &uri, id, None, posted, Some(e)).await
        }
    }
}
