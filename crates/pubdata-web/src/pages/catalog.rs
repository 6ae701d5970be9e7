//! The catalog pages (Ch.2): search with facets (数据目录), the agency's own catalog, a
//! resource's page with its versions, review timeline and review actions, the comparison of
//! two versions, and the review queue.
//!
//! Stable ids: `#search-box`, `#search-results` (each hit `.hit`, its link `.hit-link`),
//! `#resource-state`, `#submit-review` (the form that submits a draft for review, with its
//! `overlap_justification` box) and its button `#action-submit`, `#review-form` (comment and
//! the other actions) with `#action-confirm`, `#action-approve`, `#action-publish`,
//! `#action-return`; `#edit-resource`, `#discard-revision`, `#versions`, `#timeline`, `#items`.

use super::{FlashQuery, PageCtx, done, error_page, render, render_status};
use crate::AppState;
use crate::api::catalog::{SearchParams, version_ref};
use crate::auth::{Page, perm};
use crate::error::ApiError;
use crate::extract::CsrfForm;
use crate::i18n::Lang;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use pubdata_domain::catalog::{
    Category, Change, DataItem, Delivery, Level, OpenAttribute, Problem, ResourceDocument, ReviewAction, ReviewState,
    ShareAttribute, StorageFormat, UpdateCycle,
};
use pubdata_domain::identity::{OrgKind, OrgStatus, Permission, Scope};
use pubdata_domain::ids::OrgId;
use pubdata_search::{FacetCount, Overlap};
use pubdata_store::catalog::exchange;
use pubdata_store::catalog::resources::{self, ResourceDetail, ResourceSummary};
use pubdata_store::identity::orgs;
use pubdata_store::sharing::reevaluation;
use serde::Deserialize;
use std::collections::HashMap;

/// Results per page of the search.
const PAGE_SIZE: usize = 20;

// ---------------------------------------------------------------------------------------------
// Labels

/// The label of a share attribute's code.
pub fn share_label(lang: Lang, code: &str) -> String {
    let s = match code {
        "unconditional" => ShareAttribute::Unconditional,
        "restricted" => ShareAttribute::Restricted { reason: String::new(), conditions: String::new() },
        "not_shared" => ShareAttribute::NotShared { legal_basis: String::new() },
        other => return other.to_string(),
    };
    lang.pick(s.label_zh(), s.label_en()).to_string()
}

/// The label of an open attribute's code.
pub fn open_label(lang: Lang, code: &str) -> String {
    let o = match code {
        "unconditional" => OpenAttribute::Unconditional,
        "restricted" => OpenAttribute::Restricted { conditions: String::new() },
        "prohibited" => OpenAttribute::Prohibited { reason: pubdata_domain::catalog::ProhibitionReason::Law },
        other => return other.to_string(),
    };
    lang.pick(o.label_zh(), o.label_en()).to_string()
}

pub fn state_label(lang: Lang, code: &str) -> String {
    ReviewState::parse(code).map_or_else(|| code.to_string(), |s| lang.pick(s.label_zh(), s.label_en()).to_string())
}

pub fn category_label(lang: Lang, code: &str) -> String {
    Category::find(code).map_or_else(|| code.to_string(), |c| lang.pick(c.zh, c.en).to_string())
}

fn level_label(lang: Lang, code: &str) -> String {
    Level::parse(code).map_or_else(|| code.to_string(), |l| lang.pick(l.label_zh(), l.label_en()).to_string())
}

/// A review step as the timeline names it (including revising and discarding a revision).
fn action_label(lang: Lang, action: &str) -> String {
    match (action, ReviewAction::parse(action)) {
        (_, Some(a)) => lang.pick(a.label_zh(), a.label_en()).to_string(),
        ("revise", _) => lang.t("catalog.action_revise").to_string(),
        ("discard", _) => lang.t("catalog.action_discard").to_string(),
        (other, None) => other.to_string(),
    }
}

/// Where a field comes in the form, for listing problems in the order of the inputs.
pub fn field_order(field: &str) -> (usize, usize, usize) {
    const ORDER: &[&str] = &[
        "name",
        "business_name",
        "source_system",
        "provider_org_id",
        "category",
        "level",
        "storage_format",
        "update_cycle",
        "description",
        "share",
        "share.reason",
        "share.conditions",
        "share.legal_basis",
        "open",
        "open.reason",
        "open.conditions",
        "delivery",
        "share_term",
        "contact_name",
        "contact_phone",
        "contact_email",
        "state_secret",
        "reason",
        "items",
    ];
    const ITEM: &[&str] =
        &["code", "name", "type", "length", "precision", "scale", "required", "unique_key", "level", "description"];
    if let Some(rest) = field.strip_prefix("items[")
        && let Some((idx, sub)) = rest.split_once("].")
    {
        let row = idx.parse::<usize>().unwrap_or(usize::MAX);
        return (ORDER.len(), row, ITEM.iter().position(|f| *f == sub).unwrap_or(ITEM.len()));
    }
    (ORDER.iter().position(|f| *f == field).unwrap_or(ORDER.len() + 1), 0, 0)
}

/// The label of a document field as the domain names it (`share.conditions`, `items[2].length`).
pub fn field_label(lang: Lang, field: &str) -> String {
    if let Some(rest) = field.strip_prefix("items[")
        && let Some((idx, sub)) = rest.split_once("].")
        && let Ok(i) = idx.parse::<usize>()
    {
        let label = item_field_label(lang, sub);
        return if lang.is_en() {
            format!("data item row {} · {label}", i + 1)
        } else {
            format!("数据项第 {} 行 · {label}", i + 1)
        };
    }
    const FIELDS: &[&str] = &[
        "name",
        "business_name",
        "source_system",
        "description",
        "provider_org_id",
        "category",
        "level",
        "storage_format",
        "share",
        "share.reason",
        "share.conditions",
        "share.legal_basis",
        "open",
        "open.conditions",
        "open.reason",
        "delivery",
        "update_cycle",
        "share_term",
        "contact_name",
        "contact_phone",
        "contact_email",
        "state_secret",
        "items",
        "reason",
        "overlap_justification",
        "comment",
    ];
    if FIELDS.contains(&field) { lang.t(&format!("catalog.f.{field}")).to_string() } else { field.to_string() }
}

/// The label of a data item's column.
pub fn item_field_label(lang: Lang, field: &str) -> String {
    const FIELDS: &[&str] = &[
        "code",
        "name",
        "type",
        "length",
        "precision",
        "scale",
        "required",
        "unique_key",
        "level",
        "description",
        "code_list",
    ];
    if FIELDS.contains(&field) { lang.t(&format!("catalog.i.{field}")).to_string() } else { field.to_string() }
}

/// The id of a field's input in the forms (`items[2].length` → `f-items-2-length`).
pub fn anchor(field: &str) -> String {
    let mut out = String::from("f-");
    let mut dash = false;
    for c in field.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
            dash = false;
        } else if !dash {
            out.push('-');
            dash = true;
        }
    }
    out.trim_end_matches('-').to_string()
}

/// A problem as the forms list it: the field's label, the message, and a link to the input.
pub struct ProblemView {
    pub field: String,
    pub label: String,
    pub message: String,
    pub anchor: String,
}

/// The problems an API error names, each with its field, for listing beside a form; `None` when
/// the error concerns no field (shown as a flash message instead). `field_of` and `anchor_of`
/// say how the form names a field path such as `items[2]` and which input to link to.
pub fn error_problems(
    lang: Lang,
    e: &ApiError,
    label: impl Fn(Lang, &str) -> String,
    field_of: fn(&str) -> &str,
    anchor_of: fn(&str) -> &str,
) -> Option<Vec<ProblemView>> {
    let view = |field: &str, zh: &str, en: &str| ProblemView {
        field: field_of(field).to_string(),
        label: label(lang, field),
        message: lang.pick(zh, en).to_string(),
        anchor: anchor(anchor_of(field)),
    };
    if !e.details.is_empty() {
        return Some(e.details.iter().map(|d| view(&d.field, &d.message, &d.message_en)).collect());
    }
    match &e.field {
        Some(f) if e.code == "invalid_input" => Some(vec![view(f, &e.message.zh, &e.message.en)]),
        _ => None,
    }
}

/// A field path as written (`items[2]`).
pub fn whole(field: &str) -> &str {
    field
}

/// A field path up to its first index or member (`items[2]` → `items`).
pub fn base_field(field: &str) -> &str {
    field.split(['[', '.']).next().unwrap_or(field)
}

/// A field path up to its first index (`items[2]` → `items`).
pub fn before_index(field: &str) -> &str {
    field.split('[').next().unwrap_or(field)
}

pub fn problem_views(lang: Lang, problems: &[Problem]) -> Vec<ProblemView> {
    problems
        .iter()
        .map(|p| ProblemView {
            field: p.field.clone(),
            label: field_label(lang, &p.field),
            message: lang.pick(&p.message.zh, &p.message.en).to_string(),
            anchor: anchor(&p.field),
        })
        .collect()
}

/// An instant as pages show it: `2026-11-28 08:30 UTC` (the stored text when it is not one).
pub fn when(s: &str) -> String {
    match pubdata_domain::timefmt::parse_instant(s) {
        Ok(t) => {
            format!("{:04}-{:02}-{:02} {:02}:{:02} UTC", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute())
        }
        Err(_) => s.to_string(),
    }
}

/// One item that another agency already shares (Art.9), as the pages list them.
pub struct OverlapRow {
    pub item_name: String,
    pub item_code: String,
    pub resource_id: i64,
    pub resource_name: String,
    pub their_item_name: String,
    pub their_item_code: String,
    pub provider: String,
    pub reasons: String,
}

/// Why an item matched, in the page's language.
fn overlap_reasons(lang: Lang, m: &pubdata_search::OverlapMatch) -> String {
    let mut out = Vec::new();
    if m.same_name {
        out.push(lang.pick("名称相同", "same name").to_string());
    }
    if m.same_code {
        out.push(lang.pick("代码相同", "same code").to_string());
    }
    if m.same_type {
        out.push(lang.pick("类型相同", "same type").to_string());
    }
    if !m.shared_words.is_empty() {
        out.push(format!("{}{}", lang.pick("名称词语：", "name words: "), m.shared_words.join(" ")));
    }
    out.join(lang.pick("；", "; "))
}

pub fn overlap_rows(lang: Lang, found: &[Overlap]) -> Vec<OverlapRow> {
    found
        .iter()
        .flat_map(|o| {
            o.matches.iter().map(move |m| OverlapRow {
                item_name: o.item_name.clone(),
                item_code: o.item_code.clone(),
                resource_id: m.resource_id,
                resource_name: m.resource_name.clone(),
                their_item_name: m.item_name.clone(),
                their_item_code: m.item_code.clone(),
                provider: m.provider_name.clone(),
                reasons: overlap_reasons(lang, m),
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Organisations

/// The names of all organisations, by id (for showing providers and compilers).
pub async fn org_names(state: &AppState, page: &Page<impl Sized>, lang: Lang) -> HashMap<i64, String> {
    match orgs::list(&state.store, &page.caller).await {
        Ok(all) => all.iter().map(|o| (o.id.0, o.display_name(lang.is_en()).to_string())).collect(),
        Err(_) => match exchange::directory(&state.catalog).await {
            Ok(dir) => dir.names().iter().filter_map(|n| dir.id_of(n).map(|id| (id, n.to_string()))).collect(),
            Err(_) => HashMap::new(),
        },
    }
}

/// The organisations that can provide resources (active agencies and towns/streets), as
/// select options in tree order.
pub async fn org_options(state: &AppState, page: &Page<impl Sized>, lang: Lang) -> Vec<(String, String)> {
    match orgs::list(&state.store, &page.caller).await {
        Ok(all) => all
            .iter()
            .filter(|o| matches!(o.kind, OrgKind::Agency | OrgKind::TownStreet) && o.status == OrgStatus::Active)
            .map(|o| (o.id.to_string(), o.display_name(lang.is_en()).to_string()))
            .collect(),
        Err(_) => match exchange::directory(&state.catalog).await {
            Ok(dir) => {
                dir.names().iter().filter_map(|n| dir.id_of(n).map(|id| (id.to_string(), n.to_string()))).collect()
            }
            Err(_) => Vec::new(),
        },
    }
}

fn name_of(names: &HashMap<i64, String>, id: i64) -> String {
    names.get(&id).cloned().unwrap_or_else(|| format!("#{id}"))
}

// ---------------------------------------------------------------------------------------------
// Search

#[derive(Deserialize, Default, Clone)]
pub struct SearchQ {
    q: Option<String>,
    provider_org_id: Option<String>,
    share: Option<String>,
    open: Option<String>,
    level: Option<String>,
    category: Option<String>,
    delivery: Option<String>,
    update_cycle: Option<String>,
    /// Empty: published only; `all`: everything the user may see; else one state.
    state: Option<String>,
    page: Option<String>,
    flash: Option<String>,
}

const FACET_KEYS: [&str; 8] =
    ["provider_org_id", "share", "open", "level", "category", "delivery", "update_cycle", "state"];

impl SearchQ {
    fn get(&self, key: &str) -> Option<&str> {
        let v = match key {
            "q" => &self.q,
            "provider_org_id" => &self.provider_org_id,
            "share" => &self.share,
            "open" => &self.open,
            "level" => &self.level,
            "category" => &self.category,
            "delivery" => &self.delivery,
            "update_cycle" => &self.update_cycle,
            "state" => &self.state,
            _ => &None,
        };
        v.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }

    /// The link to these results with `key` set to `value` (or removed), from the first page.
    fn with(&self, key: &str, value: Option<&str>) -> String {
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        for k in std::iter::once("q").chain(FACET_KEYS) {
            let v = if k == key { value } else { self.get(k) };
            if let Some(v) = v {
                pairs.push((k, v));
            }
        }
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        if query.is_empty() { "/catalog".to_string() } else { format!("/catalog?{query}") }
    }

    fn page_link(&self, n: usize) -> String {
        let base = self.with("page", None);
        let sep = if base.contains('?') { '&' } else { '?' };
        format!("{base}{sep}page={n}")
    }

    /// The state filter: published unless asked otherwise.
    fn state_filter(&self) -> Option<String> {
        match self.get("state") {
            None => Some("published".into()),
            Some("all") => None,
            Some(s) => Some(s.to_string()),
        }
    }
}

pub struct FacetLink {
    pub label: String,
    pub count: usize,
    pub href: String,
    pub active: bool,
}

pub struct FacetGroup {
    pub key: &'static str,
    pub title: &'static str,
    pub links: Vec<FacetLink>,
}

pub struct HitView {
    pub id: i64,
    pub name: String,
    pub business_name: String,
    pub provider: String,
    pub share_code: String,
    pub share: String,
    pub open_code: String,
    pub open: String,
    pub level: String,
    pub category: String,
    /// The review state, for anything not published.
    pub state: Option<String>,
    pub matched: String,
}

#[derive(Template)]
#[template(path = "catalog_search.html")]
struct SearchPage {
    ctx: PageCtx,
    q: String,
    total: usize,
    hits: Vec<HitView>,
    facets: Vec<FacetGroup>,
    published_only: bool,
    published_link: String,
    all_link: String,
    prev_link: Option<String>,
    next_link: Option<String>,
    page_no: usize,
    pages: usize,
    can_compile: bool,
    own_export: Option<String>,
    hidden: Vec<(&'static str, String)>,
}

fn facet_label(lang: Lang, key: &str, f: &FacetCount) -> String {
    match key {
        "share" => share_label(lang, &f.value),
        "open" => open_label(lang, &f.value),
        "level" => level_label(lang, &f.value),
        "category" => category_label(lang, &f.value),
        "delivery" => {
            Delivery::parse(&f.value).map_or(f.label.clone(), |d| lang.pick(d.label_zh(), d.label_en()).into())
        }
        "update_cycle" => {
            UpdateCycle::parse(&f.value).map_or(f.label.clone(), |d| lang.pick(d.label_zh(), d.label_en()).into())
        }
        "state" => state_label(lang, &f.value),
        _ => f.label.clone(),
    }
}

pub async fn search(
    State(state): State<AppState>,
    page: Page<perm::CatalogRead>,
    uri: Uri,
    Query(q): Query<SearchQ>,
) -> Response {
    let lang = page.lang;
    let page_no = q.page.as_deref().and_then(|p| p.parse::<usize>().ok()).unwrap_or(1).clamp(1, 5000);
    let provider = match q.get("provider_org_id").map(str::parse::<i64>).transpose() {
        Ok(p) => p,
        Err(_) => return error_page(lang, ApiError::invalid("provider_org_id", "提供单位无效", "invalid provider")),
    };
    let params = SearchParams {
        q: q.get("q").map(str::to_string),
        provider_org_id: provider,
        share: q.get("share").map(str::to_string),
        open: q.get("open").map(str::to_string),
        level: q.get("level").map(str::to_string),
        category: q.get("category").map(str::to_string),
        delivery: q.get("delivery").map(str::to_string),
        update_cycle: q.get("update_cycle").map(str::to_string),
        state: q.state_filter(),
        offset: Some((page_no - 1) * PAGE_SIZE),
        limit: Some(PAGE_SIZE),
    };
    let query = match params.query() {
        Ok(x) => x,
        Err(e) => return error_page(lang, e),
    };
    let results = match state.catalog.search(&page.caller, &query).await {
        Ok(r) => r,
        Err(e) => return error_page(lang, e.into()),
    };
    let f = &results.facets;
    let groups: [(&'static str, &'static str, &Vec<FacetCount>); 8] = [
        ("provider_org_id", "catalog.f.provider_org_id", &f.provider),
        ("share", "catalog.f.share", &f.share),
        ("open", "catalog.f.open", &f.open),
        ("level", "catalog.f.level", &f.level),
        ("category", "catalog.f.category", &f.category),
        ("delivery", "catalog.f.delivery", &f.delivery),
        ("update_cycle", "catalog.f.update_cycle", &f.update_cycle),
        ("state", "catalog.f.state", &f.state),
    ];
    let state_filter = q.state_filter();
    let facets = groups
        .into_iter()
        .map(|(key, title, counts)| {
            let current = if key == "state" { state_filter.clone() } else { q.get(key).map(str::to_string) };
            let mut links: Vec<FacetLink> = counts
                .iter()
                .map(|c| {
                    let active = current.as_deref() == Some(c.value.as_str());
                    let href = match (key, active) {
                        ("state", true) => q.with("state", Some("all")),
                        (_, true) => q.with(key, None),
                        _ => q.with(key, Some(&c.value)),
                    };
                    FacetLink { label: facet_label(lang, key, c), count: c.count, href, active }
                })
                .collect();
            if let Some(cur) = current.as_deref()
                && !links.iter().any(|l| l.active)
            {
                let fc = FacetCount { value: cur.to_string(), label: cur.to_string(), count: 0 };
                let href = if key == "state" { q.with("state", Some("all")) } else { q.with(key, None) };
                links.insert(0, FacetLink { label: facet_label(lang, key, &fc), count: 0, href, active: true });
            }
            FacetGroup { key, title: lang.t(title), links }
        })
        .filter(|g| !g.links.is_empty())
        .collect();
    let hits = results
        .hits
        .iter()
        .map(|h| HitView {
            id: h.resource_id,
            name: h.name.clone(),
            business_name: h.business_name.clone(),
            provider: h.provider_name.clone(),
            share_code: h.share.clone(),
            share: share_label(lang, &h.share),
            open_code: h.open.clone(),
            open: open_label(lang, &h.open),
            level: h.level.clone(),
            category: category_label(lang, &h.category),
            state: (h.state != "published").then(|| state_label(lang, &h.state)),
            matched: h.matched_items.join(lang.pick("、", ", ")),
        })
        .collect();
    let pages = results.total.div_ceil(PAGE_SIZE).max(1);
    let p = &page.caller.principal;
    let own_export = match (p.scope(), p.org_id) {
        (Scope::Org(_), Some(org)) => Some(format!("/catalog/export.xlsx?scope={org}")),
        _ => None,
    };
    let hidden = FACET_KEYS.iter().filter_map(|k| q.get(k).map(|v| (*k, v.to_string()))).collect();
    let view = SearchPage {
        ctx: PageCtx::new(&page, "catalog.title", &uri, q.flash.as_deref()).crumb("catalog.title", "/catalog"),
        q: q.get("q").unwrap_or("").to_string(),
        total: results.total,
        hits,
        facets,
        published_only: state_filter.as_deref() == Some("published"),
        published_link: q.with("state", None),
        all_link: q.with("state", Some("all")),
        prev_link: (page_no > 1).then(|| q.page_link(page_no - 1)),
        next_link: (page_no < pages).then(|| q.page_link(page_no + 1)),
        page_no,
        pages,
        can_compile: p.has(Permission::CatalogCompile),
        own_export,
        hidden,
    };
    render(&view)
}

// ---------------------------------------------------------------------------------------------
// Lists: the agency's catalog and the review queue

pub struct SummaryRow {
    pub id: i64,
    pub name: String,
    pub state_code: String,
    pub state: String,
    pub version: i64,
    pub provider: String,
    pub compiler: String,
    pub project_id: Option<i64>,
    pub updated_at: String,
}

fn summary_rows(lang: Lang, list: &[ResourceSummary], names: &HashMap<i64, String>) -> Vec<SummaryRow> {
    list.iter()
        .map(|r| SummaryRow {
            id: r.id,
            name: r.name.clone(),
            state_code: r.state.clone(),
            state: state_label(lang, &r.state),
            version: r.current_version,
            provider: name_of(names, r.provider_org_id),
            compiler: name_of(names, r.compiler_org_id),
            project_id: r.project_id,
            updated_at: when(&r.updated_at),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "catalog_mine.html")]
struct MinePage {
    ctx: PageCtx,
    rows: Vec<SummaryRow>,
    /// For the authority: the organisations to choose from, and the one chosen.
    orgs: Option<Vec<(String, String)>>,
    org_filter: String,
    export_link: Option<String>,
    can_compile: bool,
}

#[derive(Deserialize)]
pub struct MineQ {
    org_id: Option<String>,
    flash: Option<String>,
}

pub async fn mine(
    State(state): State<AppState>,
    page: Page<perm::CatalogRead>,
    uri: Uri,
    Query(q): Query<MineQ>,
) -> Response {
    let lang = page.lang;
    let p = &page.caller.principal;
    let all_scope = p.scope() == Scope::All;
    let org = q.org_id.as_deref().and_then(|o| o.trim().parse::<i64>().ok());
    let list = match resources::agency_catalog(&state.catalog, &page.caller, org.map(OrgId)).await {
        Ok(l) => l,
        Err(e) => return error_page(lang, e.into()),
    };
    let names = org_names(&state, &page, lang).await;
    let export_org = if all_scope { org } else { p.org_id.map(|o| o.0) };
    let view = MinePage {
        ctx: PageCtx::new(&page, "catalog.mine", &uri, q.flash.as_deref())
            .crumb("catalog.title", "/catalog")
            .crumb("catalog.mine", "/catalog/mine"),
        rows: summary_rows(lang, &list, &names),
        orgs: if all_scope { Some(org_options(&state, &page, lang).await) } else { None },
        org_filter: org.map(|o| o.to_string()).unwrap_or_default(),
        export_link: export_org.map(|o| format!("/catalog/export.xlsx?scope={o}")),
        can_compile: p.has(Permission::CatalogCompile),
    };
    render(&view)
}

#[derive(Template)]
#[template(path = "catalog_review.html")]
struct QueuePage {
    ctx: PageCtx,
    rows: Vec<SummaryRow>,
}

pub async fn review_queue(
    State(state): State<AppState>,
    page: Page<perm::CatalogRead>,
    uri: Uri,
    Query(q): Query<FlashQuery>,
) -> Response {
    let lang = page.lang;
    let p = &page.caller.principal;
    if !p.has(Permission::CatalogConfirm) && !p.has(Permission::CatalogReview) {
        return error_page(lang, ApiError::forbidden(Permission::CatalogReview));
    }
    let list = match resources::review_queue(&state.catalog, &page.caller).await {
        Ok(l) => l,
        Err(e) => return error_page(lang, e.into()),
    };
    let names = org_names(&state, &page, lang).await;
    let view = QueuePage {
        ctx: PageCtx::new(&page, "catalog.review_queue", &uri, q.flash.as_deref())
            .crumb("catalog.title", "/catalog")
            .crumb("catalog.review_queue", "/catalog/review"),
        rows: summary_rows(lang, &list, &names),
    };
    render(&view)
}

// ---------------------------------------------------------------------------------------------
// A resource

/// A labelled attribute of the detail page.
pub struct Fact {
    pub label: String,
    pub value: String,
}

/// A published resource's next share-attribute review (Art.14).
pub struct ShareReviewNote {
    pub next_review_on: String,
    pub status_code: &'static str,
    pub status: String,
}

/// A resource's Art.7 flag as its page shows it.
pub struct ReceivedNote {
    pub grant_id: i64,
    pub matched: String,
    /// Who confirmed it and why; `None` while publication is held.
    pub confirmation: Option<String>,
}

async fn share_review_note(state: &AppState, page: &Page<impl Sized>, id: i64) -> Option<ShareReviewNote> {
    let lang = page.lang;
    let view = reevaluation::schedule_of(&state.store, &state.config.sharing, &page.caller, id).await.ok()??;
    Some(ShareReviewNote {
        next_review_on: view.next_review_on,
        status_code: view.status.as_str(),
        status: lang.pick(view.status.label_zh(), view.status.label_en()).to_string(),
    })
}

async fn received_note(state: &AppState, page: &Page<impl Sized>, id: i64) -> Option<ReceivedNote> {
    let flag = pubdata_store::sharing::received_flag(&state.store, &page.caller, id).await.ok()??;
    let matched: Vec<String> = serde_json::from_str(&flag.matched_items).unwrap_or_default();
    let confirmation = flag.confirmed_at.as_deref().map(|at| {
        format!(
            "{} · {}：{}",
            flag.confirmed_by.clone().unwrap_or_default(),
            when(at),
            flag.confirmation_comment.clone().unwrap_or_default()
        )
    });
    Some(ReceivedNote { grant_id: flag.grant_id, matched: matched.join("、"), confirmation })
}

pub struct ItemView {
    pub code: String,
    pub name: String,
    pub item_type: String,
    pub size: String,
    pub required: bool,
    pub unique_key: bool,
    pub level: String,
    pub description: String,
    pub code_list: String,
}

fn item_views(lang: Lang, items: &[DataItem]) -> Vec<ItemView> {
    items
        .iter()
        .map(|i| {
            let size = match (i.length, i.precision, i.scale) {
                (Some(l), _, _) => l.to_string(),
                (None, Some(p), s) => format!("{p},{}", s.unwrap_or(0)),
                _ => String::new(),
            };
            ItemView {
                code: i.code.clone(),
                name: i.name.clone(),
                item_type: super::catalog_form::item_type_label(lang, i.item_type).to_string(),
                size,
                required: i.required,
                unique_key: i.unique_key,
                level: i.level.as_str().to_string(),
                description: i.description.clone(),
                code_list: super::catalog_form::code_list_text(&i.code_list),
            }
        })
        .collect()
}

fn facts(lang: Lang, d: &ResourceDocument, names: &HashMap<i64, String>) -> Vec<Fact> {
    let f = |key: &str, value: String| Fact { label: lang.t(key).to_string(), value };
    let mut out = vec![
        f("catalog.f.name", d.name.clone()),
        f("catalog.f.business_name", d.business_name.clone()),
        f("catalog.f.source_system", d.source_system.clone()),
        f("catalog.f.description", d.description.clone()),
        f("catalog.f.provider_org_id", name_of(names, d.provider_org_id)),
        f("catalog.f.category", category_label(lang, &d.category)),
        f("catalog.f.level", lang.pick(d.level.label_zh(), d.level.label_en()).to_string()),
        f("catalog.f.storage_format", storage_label(lang, d.storage_format)),
        f("catalog.f.share", lang.pick(d.share.label_zh(), d.share.label_en()).to_string()),
    ];
    match &d.share {
        ShareAttribute::Restricted { reason, conditions } => {
            out.push(f("catalog.f.share.reason", reason.clone()));
            out.push(f("catalog.f.share.conditions", conditions.clone()));
        }
        ShareAttribute::NotShared { legal_basis } => out.push(f("catalog.f.share.legal_basis", legal_basis.clone())),
        ShareAttribute::Unconditional => {}
    }
    out.push(f("catalog.f.open", lang.pick(d.open.label_zh(), d.open.label_en()).to_string()));
    match &d.open {
        OpenAttribute::Restricted { conditions } => out.push(f("catalog.f.open.conditions", conditions.clone())),
        OpenAttribute::Prohibited { reason } => {
            out.push(f("catalog.f.open.reason", lang.pick(reason.label_zh(), reason.label_en()).to_string()))
        }
        OpenAttribute::Unconditional => {}
    }
    let delivery: Vec<&str> = d.delivery.iter().map(|x| lang.pick(x.label_zh(), x.label_en())).collect();
    out.push(f("catalog.f.delivery", delivery.join(lang.pick("、", ", "))));
    out.push(f("catalog.f.update_cycle", lang.pick(d.update_cycle.label_zh(), d.update_cycle.label_en()).into()));
    out.push(f("catalog.f.share_term", if lang.is_en() { d.share_term.label_en() } else { d.share_term.label_zh() }));
    out.push(f("catalog.f.contact_name", d.contact_name.clone()));
    out.push(f("catalog.f.contact_phone", d.contact_phone.clone()));
    out.push(f("catalog.f.contact_email", d.contact_email.clone()));
    out
}

fn storage_label(lang: Lang, s: StorageFormat) -> String {
    lang.pick(s.label_zh(), s.label_en()).to_string()
}

pub struct VersionRow {
    pub version: i64,
    pub reason: String,
    pub published_by: String,
    pub published_at: String,
    /// Compared with the version before it.
    pub diff_prev: Option<String>,
}

pub struct EventRow {
    pub at: String,
    pub who: String,
    pub action: String,
    pub from: String,
    pub to: String,
    pub comment: String,
}

#[derive(Template)]
#[template(path = "catalog_detail.html")]
struct DetailPage {
    ctx: PageCtx,
    id: i64,
    name: String,
    state_code: String,
    state: String,
    current_version: i64,
    /// `working` or `published`: which document is shown; the link to the other if they differ.
    viewing: &'static str,
    other_link: Option<String>,
    facts: Vec<Fact>,
    items: Vec<ItemView>,
    compiler: String,
    created_by: String,
    created_at: String,
    updated_at: String,
    pending_reason: Option<String>,
    overlap_justification: Option<String>,
    project_id: Option<i64>,
    versions: Vec<VersionRow>,
    /// (value, label) of the versions to compare.
    compare_choices: Vec<(String, String)>,
    timeline: Vec<EventRow>,
    can_submit: bool,
    /// The other actions: (code, label).
    other_actions: Vec<(&'static str, String)>,
    can_edit: bool,
    can_discard: bool,
    /// Another agency may file a demand about a published resource (Art.9, 15), e.g. when it
    /// is not shared or its sharing is refused.
    can_file_demand: bool,
    /// A published resource of another agency: the route to a share request (Art.14).
    can_request_sharing: bool,
    /// The link to the resource's data page (Art.10-12): for published resources, to those who
    /// see the provider's batches.
    can_see_data: bool,
    comment: String,
    justification: String,
    comment_error: String,
    justification_error: String,
    overlaps: Option<Vec<OverlapRow>>,
    /// The facts' index after which the share attribute's review date is shown (Art.14).
    share_fact_end: usize,
    share_review: Option<ShareReviewNote>,
    /// Art.7: why publication is held, or the authority's confirmation.
    received: Option<ReceivedNote>,
}

#[derive(Deserialize)]
pub struct DetailQ {
    view: Option<String>,
    flash: Option<String>,
}

/// What a refused review step leaves on the page.
struct ReviewRefusal {
    error: ApiError,
    comment: String,
    justification: String,
    overlaps: Option<Vec<Overlap>>,
}

async fn detail_page(
    state: &AppState,
    page: &Page<impl Sized>,
    uri: &Uri,
    id: i64,
    view: Option<&str>,
    flash: Option<&str>,
    refusal: Option<ReviewRefusal>,
) -> Response {
    let lang = page.lang;
    let d: ResourceDetail = match resources::get(&state.catalog, &page.caller, id).await {
        Ok(d) => d,
        Err(e) => return error_page(lang, e.into()),
    };
    let differ = matches!((&d.working, &d.published), (Some(w), Some(p)) if w != p);
    let show_published = view == Some("published") && d.published.is_some() || d.working.is_none();
    let (viewing, doc) = match (show_published, &d.working, &d.published) {
        (false, Some(w), _) => ("working", w),
        (_, _, Some(p)) => ("published", p),
        (_, Some(w), None) => ("working", w),
        (_, None, None) => return error_page(lang, pubdata_store::Error::not_found("resource", id).into()),
    };
    let other_link = differ.then(|| {
        let other = if viewing == "working" { "published" } else { "working" };
        format!("/catalog/{id}?view={other}")
    });
    let names = org_names(state, page, lang).await;
    let title = doc.name.clone();
    let mut ctx = PageCtx::new(page, "catalog.detail", uri, flash)
        .crumb("catalog.title", "/catalog")
        .crumb_text(&title, &format!("/catalog/{id}"));
    ctx.title = title.clone();
    let versions: Vec<VersionRow> = d
        .versions
        .iter()
        .map(|v| VersionRow {
            version: v.version,
            reason: v.reason.clone(),
            published_by: v.published_by.clone(),
            published_at: when(&v.published_at),
            diff_prev: (v.version > 1).then(|| format!("/catalog/{id}/diff?from={}&to={}", v.version - 1, v.version)),
        })
        .collect();
    let mut compare_choices: Vec<(String, String)> = d
        .versions
        .iter()
        .map(|v| (v.version.to_string(), format!("{} {}", lang.t("catalog.version"), v.version)))
        .collect();
    if d.working.is_some() && differ || d.working.is_some() && d.current_version == 0 {
        compare_choices.insert(0, ("working".into(), lang.t("catalog.working_copy").to_string()));
    }
    let timeline = d
        .timeline
        .iter()
        .map(|e| EventRow {
            at: when(&e.at),
            who: match e.actor_org_id {
                Some(o) => format!("{}（{}）", e.actor_name, name_of(&names, o)),
                None => e.actor_name.clone(),
            },
            action: action_label(lang, &e.action),
            from: state_label(lang, &e.from_state),
            to: state_label(lang, &e.to_state),
            comment: e.comment.clone(),
        })
        .collect();
    let (comment, justification, comment_error, justification_error, overlaps, status) = match refusal {
        Some(r) => {
            let problems = if r.error.details.is_empty() {
                r.error.field.clone().map(|f| vec![(f, message_of(lang, &r.error))]).unwrap_or_default()
            } else {
                r.error
                    .details
                    .iter()
                    .map(|p| (p.field.clone(), lang.pick(&p.message, &p.message_en).to_string()))
                    .collect()
            };
            let of = |field: &str| {
                problems.iter().filter(|(f, _)| f == field).map(|(_, m)| m.as_str()).collect::<Vec<_>>().join("；")
            };
            let (ce, je) = (of("comment"), of("overlap_justification"));
            if ce.is_empty() && je.is_empty() {
                ctx = ctx.error(&r.error);
            }
            (r.comment, r.justification, ce, je, r.overlaps.map(|o| overlap_rows(lang, &o)), r.error.status)
        }
        None => (String::new(), String::new(), String::new(), String::new(), None, StatusCode::OK),
    };
    let can_submit = d.actions.contains(&ReviewAction::Submit);
    let other_actions = d
        .actions
        .iter()
        .filter(|a| **a != ReviewAction::Submit)
        .map(|a| (a.as_str(), lang.pick(a.label_zh(), a.label_en()).to_string()))
        .collect();
    let facts = facts(lang, doc, &names);
    let share_label = lang.t("catalog.f.share");
    let share_fact_end =
        facts.iter().position(|f| f.label == share_label).map_or(facts.len().saturating_sub(1), |at| {
            at + match doc.share {
                ShareAttribute::Unconditional => 0,
                ShareAttribute::Restricted { .. } => 2,
                ShareAttribute::NotShared { .. } => 1,
            }
        });
    // The review date belongs to the published attribute; a working copy may differ from it.
    let share_review = if viewing == "published" || !differ { share_review_note(state, page, id).await } else { None };
    let view = DetailPage {
        ctx,
        id,
        name: title,
        share_fact_end,
        share_review,
        received: received_note(state, page, id).await,
        state_code: d.state.as_str().to_string(),
        state: lang.pick(d.state.label_zh(), d.state.label_en()).to_string(),
        current_version: d.current_version,
        viewing,
        other_link,
        facts,
        items: item_views(lang, &doc.items),
        compiler: name_of(&names, d.compiler_org_id),
        created_by: d.created_by.clone(),
        created_at: when(&d.created_at),
        updated_at: when(&d.updated_at),
        pending_reason: d.pending_reason.clone(),
        overlap_justification: d.overlap_justification.clone(),
        project_id: d.project_id,
        versions,
        compare_choices,
        timeline,
        can_submit,
        other_actions,
        can_edit: d.can_edit,
        can_discard: d.can_edit && d.state == ReviewState::Draft && d.current_version > 0,
        can_request_sharing: d.published.is_some()
            && page.caller.principal.has(pubdata_domain::identity::Permission::SharingRequest)
            && page.caller.principal.org_id.is_some_and(|o| o.0 != d.provider_org_id),
        can_file_demand: d.current_version > 0
            && page.caller.principal.has(pubdata_domain::identity::Permission::DemandFile)
            && page.caller.principal.org_id.is_some_and(|o| o.0 != d.provider_org_id),
        can_see_data: d.current_version > 0 && sees_batches(&page.caller.principal, OrgId(d.provider_org_id)),
        comment,
        justification,
        comment_error,
        justification_error,
        overlaps,
    };
    render_status(status, &view)
}

/// Whether the principal sees a provider's delivery batches: holders of `aggregation.read` who
/// see the provider's organisation, and the provider's own deliverers.
fn sees_batches(p: &pubdata_domain::identity::Principal, provider: OrgId) -> bool {
    (p.has(Permission::AggregationRead) && p.sees_org(provider))
        || (p.has(Permission::AggregationDeliver) && p.org_id == Some(provider))
}

fn message_of(lang: Lang, e: &ApiError) -> String {
    lang.pick(&e.message.zh, &e.message.en).to_string()
}

pub async fn detail(
    State(state): State<AppState>,
    page: Page<perm::CatalogRead>,
    uri: Uri,
    Path(id): Path<i64>,
    Query(q): Query<DetailQ>,
) -> Response {
    detail_page(&state, &page, &uri, id, q.view.as_deref(), q.flash.as_deref(), None).await
}

#[derive(Deserialize)]
pub struct ReviewForm {
    action: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    overlap_justification: String,
}

pub async fn review(
    State(state): State<AppState>,
    page: Page<perm::CatalogRead>,
    uri: Uri,
    Path(id): Path<i64>,
    form: CsrfForm<ReviewForm>,
) -> Response {
    let lang = page.lang;
    let f = form.value;
    let Some(action) = ReviewAction::parse(&f.action) else {
        return error_page(lang, ApiError::invalid("action", format!("未知操作 {:?}", f.action), "unknown action"));
    };
    let justification = Some(f.overlap_justification.as_str()).filter(|j| !j.trim().is_empty());
    match resources::review(&state.catalog, &page.caller, id, action, &f.comment, justification).await {
        Ok(_) => done(&format!("/catalog/{id}"), "catalog.reviewed"),
        Err(e) => {
            let error = ApiError::from(e);
            let overlaps = if error.details.iter().any(|p| p.field == "overlap_justification")
                || error.field.as_deref() == Some("overlap_justification")
            {
                resources::overlaps_of(&state.catalog, &page.caller, id).await.ok()
            } else {
                None
            };
            let refusal = ReviewRefusal { error, comment: f.comment, justification: f.overlap_justification, overlaps };
            let uri = Uri::try_from(format!("/catalog/{id}")).unwrap_or(uri);
            detail_page(&state, &page, &uri, id, None, None, Some(refusal)).await
        }
    }
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn discard(
    State(state): State<AppState>,
    page: Page<perm::CatalogCompile>,
    uri: Uri,
    Path(id): Path<i64>,
    _form: CsrfForm<Empty>,
) -> Response {
    match resources::discard_revision(&state.catalog, &page.caller, id).await {
        Ok(_) => done(&format!("/catalog/{id}"), "catalog.discarded"),
        Err(e) => {
            let refusal =
                ReviewRefusal { error: e.into(), comment: String::new(), justification: String::new(), overlaps: None };
            let uri = Uri::try_from(format!("/catalog/{id}")).unwrap_or(uri);
            detail_page(&state, &page, &uri, id, None, None, Some(refusal)).await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Comparing versions

pub struct ChangeRow {
    pub label: String,
    pub before: String,
    pub after: String,
    pub kind: &'static str,
}

#[derive(Template)]
#[template(path = "catalog_diff.html")]
struct DiffPage {
    ctx: PageCtx,
    id: i64,
    from: String,
    to: String,
    from_label: String,
    to_label: String,
    rows: Vec<ChangeRow>,
    choices: Vec<(String, String)>,
}

#[derive(Deserialize)]
pub struct DiffQ {
    from: Option<String>,
    to: Option<String>,
}

fn version_name(lang: Lang, v: &str) -> String {
    if v == "working" {
        lang.t("catalog.working_copy").to_string()
    } else {
        format!("{} {v}", lang.t("catalog.version"))
    }
}

pub async fn diff(
    State(state): State<AppState>,
    page: Page<perm::CatalogRead>,
    uri: Uri,
    Path(id): Path<i64>,
    Query(q): Query<DiffQ>,
) -> Response {
    let lang = page.lang;
    let detail = match resources::get(&state.catalog, &page.caller, id).await {
        Ok(d) => d,
        Err(e) => return error_page(lang, e.into()),
    };
    let latest = detail.current_version.to_string();
    let from = q.from.filter(|s| !s.is_empty()).unwrap_or_else(|| {
        if detail.current_version > 1 { (detail.current_version - 1).to_string() } else { latest.clone() }
    });
    let to = q.to.filter(|s| !s.is_empty()).unwrap_or_else(|| {
        if detail.working.is_some() && detail.state != ReviewState::Published {
            "working".into()
        } else {
            latest.clone()
        }
    });
    let refs = version_ref("from", &from).and_then(|a| version_ref("to", &to).map(|b| (a, b)));
    let (a, b) = match refs {
        Ok(x) => x,
        Err(e) => return error_page(lang, e),
    };
    let changes: Vec<Change> = match resources::compare(&state.catalog, &page.caller, id, a, b).await {
        Ok(c) => c,
        Err(e) => return error_page(lang, e.into()),
    };
    let rows = changes
        .into_iter()
        .map(|c| ChangeRow {
            label: lang.pick(&c.label_zh, &c.label_en).to_string(),
            kind: match (&c.before, &c.after) {
                (None, _) => "added",
                (_, None) => "removed",
                _ => "changed",
            },
            before: c.before.unwrap_or_default(),
            after: c.after.unwrap_or_default(),
        })
        .collect();
    let name = detail.shown().map(|d| d.name.clone()).unwrap_or_default();
    let mut choices: Vec<(String, String)> =
        detail.versions.iter().map(|v| (v.version.to_string(), version_name(lang, &v.version.to_string()))).collect();
    if detail.working.is_some() {
        choices.insert(0, ("working".into(), version_name(lang, "working")));
    }
    let view = DiffPage {
        ctx: PageCtx::new(&page, "catalog.diff", &uri, None)
            .crumb("catalog.title", "/catalog")
            .crumb_text(&name, &format!("/catalog/{id}"))
            .crumb("catalog.diff", &format!("/catalog/{id}/diff")),
        id,
        from_label: version_name(lang, &from),
        to_label: version_name(lang, &to),
        from,
        to,
        rows,
        choices,
    };
    render(&view)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_anchors_are_plain_ids() {
        assert_eq!(anchor("items[2].length"), "f-items-2-length");
        assert_eq!(anchor("share.conditions"), "f-share-conditions");
        assert_eq!(anchor("name"), "f-name");
    }

    #[test]
    fn every_field_has_a_label_in_both_languages() {
        for lang in [Lang::Zh, Lang::En] {
            for f in ["share.legal_basis", "overlap_justification", "items[0].code_list", "provider_org_id"] {
                let l = field_label(lang, f);
                assert!(!l.contains("??") && l != f, "{f}: {l}");
            }
        }
    }

    #[test]
    fn facet_links_add_and_remove_one_filter() {
        let q = SearchQ { q: Some("企业".into()), level: Some("L1".into()), ..SearchQ::default() };
        assert_eq!(q.with("level", None), "/catalog?q=%E4%BC%81%E4%B8%9A");
        assert_eq!(q.with("share", Some("restricted")), "/catalog?q=%E4%BC%81%E4%B8%9A&share=restricted&level=L1");
        assert_eq!(q.state_filter().as_deref(), Some("published"));
        let all = SearchQ { state: Some("all".into()), ..SearchQ::default() };
        assert_eq!(all.state_filter(), None);
        assert_eq!(all.page_link(2), "/catalog?state=all&page=2");
    }
}
