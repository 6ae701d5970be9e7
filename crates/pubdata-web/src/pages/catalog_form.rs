//! The resource form (登记/编辑资源): one form for registering a resource, editing it, and
//! registering a resource of an IT project.
//!
//! Form fields (`#resource-form`), named after the document's fields:
//! - `name`, `business_name`, `source_system`, `description`, `provider_org_id`, `category`,
//!   `level` (`L1`…`L4`), `storage_format`, `update_cycle` (the domain's codes);
//! - `share_kind` (`unconditional` | `restricted` | `not_shared`) with `share_reason`,
//!   `share_conditions` (restricted) and `share_legal_basis` (not shared);
//! - `open_kind` (`unconditional` | `restricted` | `prohibited`) with `open_conditions`
//!   (restricted) and `open_reason` (prohibited: an Art.18 reason code);
//! - `delivery` repeated (check boxes: `api`, `bulk`, `file`);
//! - `share_term_kind` (`long_term` | `months`) and `share_term_months`;
//! - `contact_name`, `contact_phone`, `contact_email`, `state_secret` (check box, `1`);
//! - `reason` (修改原因, once the resource has been published);
//! - data items as `items[N].code`, `items[N].name`, `items[N].type`, `items[N].length`,
//!   `items[N].precision`, `items[N].scale`, `items[N].required` (`1`), `items[N].unique_key`
//!   (`1`), `items[N].level`, `items[N].description`, `items[N].code_list` (`1=男;2=女`);
//!   rows whose text fields are all blank are ignored, and the rows are renumbered when the
//!   form is shown again, so that a problem on `items[i].…` is shown on row `i`;
//! - `op`: `save` (default), `add_rows` (shows ten more blank rows, saves nothing) or
//!   `check_overlaps` (Art.9: shows the items other agencies already share, saves nothing).
//!
//! The save button is `#save-resource`; the add-rows button `#add-rows`; the overlap check
//! `#check-overlaps`; the items table `#items`.

use super::catalog::{OverlapRow, ProblemView, org_options, overlap_rows, problem_views};
use super::{PageCtx, done, error_page, render_status};
use crate::AppState;
use crate::auth::{Page, perm};
use crate::error::ApiError;
use crate::extract::CsrfForm;
use crate::i18n::Lang;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use pubdata_domain::Text;
use pubdata_domain::catalog::{
    CATEGORIES, CodeEntry, DataItem, Delivery, ItemType, Level, OpenAttribute, Problem, ProhibitionReason,
    ResourceDocument, ShareAttribute, ShareTerm, StorageFormat, UpdateCycle,
};
use pubdata_domain::identity::Permission;
use pubdata_search::Overlap;
use pubdata_store::catalog::ProjectStage;
use pubdata_store::catalog::projects;
use pubdata_store::catalog::resources;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Blank item rows shown under the filled ones.
const BLANK_ROWS: usize = 5;
/// Rows the "add rows" button adds.
const ADD_ROWS: usize = 10;
/// At most this many rows are shown (the domain allows 500 items).
const MAX_ROWS: usize = 520;

/// One data item row as typed.
#[derive(Clone, Debug, Default)]
pub struct ItemRow {
    pub code: String,
    pub name: String,
    pub item_type: String,
    pub length: String,
    pub precision: String,
    pub scale: String,
    pub required: bool,
    pub unique_key: bool,
    pub level: String,
    pub description: String,
    pub code_list: String,
}

impl ItemRow {
    fn is_blank(&self) -> bool {
        [&self.code, &self.name, &self.length, &self.precision, &self.scale, &self.description, &self.code_list]
            .iter()
            .all(|s| s.trim().is_empty())
    }

    fn blank() -> ItemRow {
        ItemRow { level: "L1".into(), ..ItemRow::default() }
    }

    fn set(&mut self, field: &str, value: &str) {
        let v = value.to_string();
        match field {
            "code" => self.code = v,
            "name" => self.name = v,
            "type" => self.item_type = v,
            "length" => self.length = v,
            "precision" => self.precision = v,
            "scale" => self.scale = v,
            "required" => self.required = !v.is_empty(),
            "unique_key" => self.unique_key = !v.is_empty(),
            "level" => self.level = v,
            "description" => self.description = v,
            "code_list" => self.code_list = v,
            _ => {}
        }
    }

    fn of(i: &DataItem) -> ItemRow {
        let n = |v: Option<u32>| v.map(|x| x.to_string()).unwrap_or_default();
        ItemRow {
            code: i.code.clone(),
            name: i.name.clone(),
            item_type: i.item_type.as_str().into(),
            length: n(i.length),
            precision: n(i.precision),
            scale: n(i.scale),
            required: i.required,
            unique_key: i.unique_key,
            level: i.level.as_str().into(),
            description: i.description.clone(),
            code_list: code_list_text(&i.code_list),
        }
    }
}

/// `1=男;2=女`
pub fn code_list_text(list: &[CodeEntry]) -> String {
    list.iter().map(|e| format!("{}={}", e.code, e.label)).collect::<Vec<_>>().join(";")
}

/// The form as typed: every value as text, so that it can be shown again unchanged.
#[derive(Clone, Debug, Default)]
pub struct ResourceForm {
    pub name: String,
    pub business_name: String,
    pub source_system: String,
    pub description: String,
    pub provider_org_id: String,
    pub category: String,
    pub level: String,
    pub storage_format: String,
    pub share_kind: String,
    pub share_reason: String,
    pub share_conditions: String,
    pub share_legal_basis: String,
    pub open_kind: String,
    pub open_conditions: String,
    pub open_reason: String,
    pub delivery: Vec<String>,
    pub update_cycle: String,
    pub share_term_kind: String,
    pub share_term_months: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub state_secret: bool,
    pub reason: String,
    /// Filled rows first; blank rows are not kept.
    pub items: Vec<ItemRow>,
}

fn problem(field: impl Into<String>, zh: impl Into<String>, en: impl Into<String>) -> Problem {
    Problem { field: field.into(), message: Text::new(zh.into(), en.into()) }
}

fn opt_number(field: String, s: &str, out: &mut Vec<Problem>) -> Option<u32> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    match s.parse::<u32>() {
        Ok(n) => Some(n),
        Err(_) => {
            out.push(problem(field, format!("“{s}”不是非负整数"), format!("{s:?} is not a whole number")));
            None
        }
    }
}

/// Parses `1=男;2=女` (also `；`, `,`, `，` and new lines between entries, `＝` for `=`).
pub fn parse_code_list(s: &str) -> Result<Vec<CodeEntry>, String> {
    let mut out = Vec::new();
    for part in s.split([';', '；', ',', '，', '\n', '\r']).map(str::trim).filter(|p| !p.is_empty()) {
        let Some((code, label)) = part.split_once('=').or_else(|| part.split_once('＝')) else {
            return Err(part.to_string());
        };
        out.push(CodeEntry { code: code.trim().to_string(), label: label.trim().to_string() });
    }
    Ok(out)
}

impl ResourceForm {
    /// A new registration: the caller's agency as provider, the commonest choices preset.
    pub fn blank(provider: Option<i64>) -> ResourceForm {
        ResourceForm {
            provider_org_id: provider.map(|p| p.to_string()).unwrap_or_default(),
            level: "L1".into(),
            storage_format: StorageFormat::DatabaseTable.as_str().into(),
            share_kind: "unconditional".into(),
            open_kind: "unconditional".into(),
            update_cycle: String::new(),
            share_term_kind: "long_term".into(),
            ..ResourceForm::default()
        }
    }

    /// The form showing a stored document.
    pub fn of(d: &ResourceDocument) -> ResourceForm {
        let mut f = ResourceForm {
            name: d.name.clone(),
            business_name: d.business_name.clone(),
            source_system: d.source_system.clone(),
            description: d.description.clone(),
            provider_org_id: d.provider_org_id.to_string(),
            category: d.category.clone(),
            level: d.level.as_str().into(),
            storage_format: d.storage_format.as_str().into(),
            share_kind: d.share.code().into(),
            open_kind: d.open.code().into(),
            delivery: d.delivery.iter().map(|x| x.as_str().to_string()).collect(),
            update_cycle: d.update_cycle.as_str().into(),
            contact_name: d.contact_name.clone(),
            contact_phone: d.contact_phone.clone(),
            contact_email: d.contact_email.clone(),
            state_secret: d.state_secret,
            items: d.items.iter().map(ItemRow::of).collect(),
            ..ResourceForm::default()
        };
        match &d.share {
            ShareAttribute::Unconditional => {}
            ShareAttribute::Restricted { reason, conditions } => {
                f.share_reason = reason.clone();
                f.share_conditions = conditions.clone();
            }
            ShareAttribute::NotShared { legal_basis } => f.share_legal_basis = legal_basis.clone(),
        }
        match &d.open {
            OpenAttribute::Unconditional => {}
            OpenAttribute::Restricted { conditions } => f.open_conditions = conditions.clone(),
            OpenAttribute::Prohibited { reason } => f.open_reason = reason.as_str().into(),
        }
        match d.share_term {
            ShareTerm::LongTerm => f.share_term_kind = "long_term".into(),
            ShareTerm::Months { months } => {
                f.share_term_kind = "months".into();
                f.share_term_months = months.to_string();
            }
        }
        f
    }

    /// Reads the posted fields; returns the form and how many blank item rows were posted.
    pub fn from_pairs(pairs: &[(String, String)]) -> (ResourceForm, usize) {
        let mut f = ResourceForm::default();
        let mut rows: BTreeMap<usize, ItemRow> = BTreeMap::new();
        for (k, v) in pairs {
            if let Some(rest) = k.strip_prefix("items[") {
                let Some((idx, field)) = rest.split_once("].") else { continue };
                let Ok(idx) = idx.parse::<usize>() else { continue };
                if idx < 10_000 {
                    rows.entry(idx).or_default().set(field, v);
                }
                continue;
            }
            let v = v.clone();
            match k.as_str() {
                "name" => f.name = v,
                "business_name" => f.business_name = v,
                "source_system" => f.source_system = v,
                "description" => f.description = v,
                "provider_org_id" => f.provider_org_id = v,
                "category" => f.category = v,
                "level" => f.level = v,
                "storage_format" => f.storage_format = v,
                "share_kind" => f.share_kind = v,
                "share_reason" => f.share_reason = v,
                "share_conditions" => f.share_conditions = v,
                "share_legal_basis" => f.share_legal_basis = v,
                "open_kind" => f.open_kind = v,
                "open_conditions" => f.open_conditions = v,
                "open_reason" => f.open_reason = v,
                "delivery" => f.delivery.push(v),
                "update_cycle" => f.update_cycle = v,
                "share_term_kind" => f.share_term_kind = v,
                "share_term_months" => f.share_term_months = v,
                "contact_name" => f.contact_name = v,
                "contact_phone" => f.contact_phone = v,
                "contact_email" => f.contact_email = v,
                "state_secret" => f.state_secret = !v.is_empty(),
                "reason" => f.reason = v,
                _ => {}
            }
        }
        let total = rows.len();
        f.items = rows.into_values().filter(|r| !r.is_blank()).collect();
        let blank = total - f.items.len();
        (f, blank)
    }

    /// The document the form describes, and what could not be read from it (each naming its
    /// field as the domain does). Unreadable values are replaced by defaults in the document.
    pub fn document(&self) -> (ResourceDocument, Vec<Problem>) {
        let mut out = Vec::new();
        let provider_org_id = self.provider_org_id.trim().parse::<i64>().unwrap_or_else(|_| {
            out.push(problem("provider_org_id", "请选择提供单位", "choose the providing agency"));
            0
        });
        let level = Level::parse(&self.level).unwrap_or_else(|| {
            out.push(problem("level", "请选择分级", "choose a level"));
            Level::L1
        });
        if self.category.trim().is_empty() {
            out.push(problem("category", "请选择分类", "choose a category"));
        }
        let storage_format = StorageFormat::parse(&self.storage_format).unwrap_or_else(|| {
            out.push(problem("storage_format", "请选择存储格式", "choose a storage format"));
            StorageFormat::Other
        });
        let share = match self.share_kind.as_str() {
            "restricted" => ShareAttribute::Restricted {
                reason: self.share_reason.clone(),
                conditions: self.share_conditions.clone(),
            },
            "not_shared" => ShareAttribute::NotShared { legal_basis: self.share_legal_basis.clone() },
            "unconditional" => ShareAttribute::Unconditional,
            _ => {
                out.push(problem("share", "请选择共享属性", "choose a share attribute"));
                ShareAttribute::Unconditional
            }
        };
        let open = match self.open_kind.as_str() {
            "restricted" => OpenAttribute::Restricted { conditions: self.open_conditions.clone() },
            "prohibited" => match ProhibitionReason::parse(&self.open_reason) {
                Some(reason) => OpenAttribute::Prohibited { reason },
                None => {
                    out.push(problem(
                        "open.reason",
                        "禁止开放须选择第十八条规定的情形",
                        "choose the reason of Art.18 for which it must not be opened",
                    ));
                    OpenAttribute::Prohibited { reason: ProhibitionReason::Law }
                }
            },
            "unconditional" => OpenAttribute::Unconditional,
            _ => {
                out.push(problem("open", "请选择开放属性", "choose an open attribute"));
                OpenAttribute::Unconditional
            }
        };
        let mut delivery = Vec::new();
        for d in &self.delivery {
            match Delivery::parse(d) {
                Some(x) if !delivery.contains(&x) => delivery.push(x),
                Some(_) => {}
                None => {
                    out.push(problem("delivery", format!("未知的提供方式 {d:?}"), format!("unknown delivery {d:?}")))
                }
            }
        }
        let update_cycle = UpdateCycle::parse(&self.update_cycle).unwrap_or_else(|| {
            out.push(problem("update_cycle", "请选择更新周期", "choose an update cycle"));
            UpdateCycle::Irregular
        });
        let share_term = match self.share_term_kind.as_str() {
            "months" => match self.share_term_months.trim().parse::<u32>() {
                Ok(months) => ShareTerm::Months { months },
                Err(_) => {
                    out.push(problem(
                        "share_term",
                        "请填写共享期限的月数（1 到 120）",
                        "enter the share term in months (1 to 120)",
                    ));
                    ShareTerm::LongTerm
                }
            },
            _ => ShareTerm::LongTerm,
        };
        let mut items = Vec::with_capacity(self.items.len());
        for (i, row) in self.items.iter().enumerate() {
            let at = |f: &str| format!("items[{i}].{f}");
            let item_type = ItemType::parse(&row.item_type).unwrap_or_else(|| {
                out.push(problem(at("type"), "请选择数据项类型", "choose the item's type"));
                ItemType::Text
            });
            let item_level = Level::parse(&row.level).unwrap_or_else(|| {
                out.push(problem(at("level"), "请选择数据项分级", "choose the item's level"));
                Level::L1
            });
            let code_list = parse_code_list(&row.code_list).unwrap_or_else(|bad| {
                out.push(problem(
                    at("code_list"),
                    format!("代码表条目“{bad}”应写成 代码=名称，如 1=男;2=女"),
                    format!("code list entry {bad:?} should read code=label, e.g. 1=男;2=女"),
                ));
                Vec::new()
            });
            items.push(DataItem {
                code: row.code.clone(),
                name: row.name.clone(),
                item_type,
                length: opt_number(at("length"), &row.length, &mut out),
                precision: opt_number(at("precision"), &row.precision, &mut out),
                scale: opt_number(at("scale"), &row.scale, &mut out),
                required: row.required,
                unique_key: row.unique_key,
                description: row.description.clone(),
                level: item_level,
                code_list,
            });
        }
        let doc = ResourceDocument {
            name: self.name.clone(),
            business_name: self.business_name.clone(),
            source_system: self.source_system.clone(),
            description: self.description.clone(),
            provider_org_id,
            category: self.category.clone(),
            level,
            storage_format,
            share,
            open,
            delivery,
            update_cycle,
            share_term,
            contact_name: self.contact_name.clone(),
            contact_phone: self.contact_phone.clone(),
            contact_email: self.contact_email.clone(),
            state_secret: self.state_secret,
            items,
        };
        (doc, out)
    }

    /// The document if it can be read and breaks no rule; otherwise every problem (what could
    /// not be read first, then the domain's rules on the rest).
    pub fn checked_document(&self) -> Result<ResourceDocument, Vec<Problem>> {
        let (doc, mut problems) = self.document();
        if problems.is_empty() {
            return Ok(doc);
        }
        for p in doc.clone().normalized().problems() {
            if !problems.iter().any(|q| q.field == p.field) {
                problems.push(p);
            }
        }
        Err(problems)
    }
}

/// Where the form posts and what it registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    New,
    Edit { id: i64, published: bool },
    Project { id: i64, stage: ProjectStage },
}

/// A select option: (code, label).
pub type Choice = (String, String);

#[derive(Template)]
#[template(path = "catalog_form.html")]
struct FormPage {
    ctx: PageCtx,
    heading: String,
    action: String,
    cancel: String,
    /// Whether the resource has been published (a reason is asked for).
    published: bool,
    stage: String,
    form: ResourceForm,
    /// Item rows to show: filled ones, then blank ones.
    rows: Vec<RowView>,
    problems: Vec<ProblemView>,
    overlaps: Option<Vec<OverlapRow>>,
    providers: Vec<Choice>,
    categories: Vec<Choice>,
    levels: Vec<Choice>,
    formats: Vec<Choice>,
    cycles: Vec<Choice>,
    deliveries: Vec<Choice>,
    reasons: Vec<Choice>,
    types: Vec<Choice>,
}

/// A row of the items table, with the problems found in it.
pub struct RowView {
    pub index: usize,
    pub row: ItemRow,
    pub problems: Vec<String>,
    pub bad: Vec<String>,
}

impl RowView {
    pub fn is_bad(&self, field: &str) -> bool {
        self.bad.iter().any(|b| b == field)
    }
}

impl FormPage {
    /// Problems with one field, joined.
    fn err(&self, field: &str) -> String {
        self.problems.iter().filter(|p| p.field == field).map(|p| p.message.as_str()).collect::<Vec<_>>().join("；")
    }

    fn has_err(&self, field: &str) -> bool {
        self.problems.iter().any(|p| p.field == field)
    }

    fn delivered(&self, code: &str) -> bool {
        self.form.delivery.iter().any(|d| d == code)
    }
}

fn choices<T: Copy>(all: &[T], code: impl Fn(T) -> &'static str, label: impl Fn(T) -> String) -> Vec<Choice> {
    all.iter().map(|x| (code(*x).to_string(), label(*x))).collect()
}

/// Everything the form page shows, given the form as it stands.
struct FormState {
    target: Target,
    form: ResourceForm,
    blank_rows: usize,
    problems: Vec<Problem>,
    overlaps: Option<Vec<Overlap>>,
}

async fn form_page(
    state: &AppState,
    page: &Page<impl Sized>,
    uri: &Uri,
    s: FormState,
    error: Option<&ApiError>,
    status: StatusCode,
) -> Response {
    let lang = page.lang;
    let providers = org_options(state, page, lang).await;
    let (heading, action, cancel, published, stage, mut ctx) = match s.target {
        Target::New => {
            let ctx = PageCtx::new(page, "catalog.new", uri, None)
                .crumb("catalog.title", "/catalog")
                .crumb("catalog.new", "/catalog/new");
            (lang.t("catalog.new").to_string(), "/catalog/new".to_string(), "/catalog".to_string(), false, "", ctx)
        }
        Target::Edit { id, published } => {
            let title = if s.form.name.trim().is_empty() { format!("#{id}") } else { s.form.name.clone() };
            let ctx = PageCtx::new(page, "catalog.edit", uri, None)
                .crumb("catalog.title", "/catalog")
                .crumb_text(&title, &format!("/catalog/{id}"))
                .crumb("catalog.edit", &format!("/catalog/{id}/edit"));
            (
                format!("{} · {title}", lang.t("catalog.edit")),
                format!("/catalog/{id}/edit"),
                format!("/catalog/{id}"),
                published,
                "",
                ctx,
            )
        }
        Target::Project { id, stage } => {
            let ctx = PageCtx::new(page, "projects.add_resource", uri, None)
                .crumb("projects.title", "/projects")
                .crumb_text(&format!("#{id}"), &format!("/projects/{id}"))
                .crumb("projects.add_resource", &format!("/projects/{id}/resources/new?stage={}", stage.as_str()));
            let stage_label = lang.t(match stage {
                ProjectStage::Preliminary => "projects.preliminary",
                ProjectStage::Detailed => "projects.detailed",
            });
            (
                format!("{} · {stage_label}", lang.t("projects.add_resource")),
                format!("/projects/{id}/resources/new"),
                format!("/projects/{id}"),
                false,
                stage.as_str(),
                ctx,
            )
        }
    };
    if let Some(e) = error
        && e.details.is_empty()
    {
        ctx = ctx.error(e);
    }
    let mut form = s.form;
    let filled = form.items.len();
    let blank = s.blank_rows.max(BLANK_ROWS).min(MAX_ROWS.saturating_sub(filled).max(1));
    let mut sorted = s.problems.clone();
    sorted.sort_by_key(|p| super::catalog::field_order(&p.field));
    let problems = problem_views(lang, &sorted);
    let mut rows: Vec<RowView> = std::mem::take(&mut form.items)
        .into_iter()
        .chain(std::iter::repeat_with(ItemRow::blank).take(blank))
        .enumerate()
        .map(|(index, row)| RowView { index, row, problems: Vec::new(), bad: Vec::new() })
        .collect();
    for p in &s.problems {
        if let Some(rest) = p.field.strip_prefix("items[")
            && let Some((idx, field)) = rest.split_once("].")
            && let Ok(idx) = idx.parse::<usize>()
            && let Some(r) = rows.get_mut(idx)
        {
            r.bad.push(field.to_string());
            r.problems.push(format!(
                "{}：{}",
                super::catalog::item_field_label(lang, field),
                lang.pick(&p.message.zh, &p.message.en)
            ));
        }
    }
    // Row problems are shown in their row; the list at the top names the others.
    form.items = rows.iter().take(filled).map(|r| r.row.clone()).collect();
    let view = FormPage {
        ctx,
        heading,
        action,
        cancel,
        published,
        stage: stage.to_string(),
        form,
        rows,
        problems,
        overlaps: s.overlaps.map(|o| overlap_rows(lang, &o)),
        providers,
        categories: CATEGORIES.iter().map(|c| (c.code.to_string(), lang.pick(c.zh, c.en).to_string())).collect(),
        levels: choices(&Level::ALL, Level::as_str, |l| lang.pick(l.label_zh(), l.label_en()).to_string()),
        formats: choices(StorageFormat::ALL, StorageFormat::as_str, |x| lang.pick(x.label_zh(), x.label_en()).into()),
        cycles: choices(UpdateCycle::ALL, UpdateCycle::as_str, |x| lang.pick(x.label_zh(), x.label_en()).into()),
        deliveries: choices(Delivery::ALL, Delivery::as_str, |d| lang.pick(d.label_zh(), d.label_en()).into()),
        reasons: choices(&ProhibitionReason::ALL, ProhibitionReason::as_str, |r| {
            lang.pick(r.label_zh(), r.label_en()).into()
        }),
        types: choices(&ItemType::ALL, ItemType::as_str, |t| item_type_label(lang, t).into()),
    };
    render_status(status, &view)
}

pub fn item_type_label(lang: Lang, t: ItemType) -> &'static str {
    if !lang.is_en() {
        return t.label_zh();
    }
    match t {
        ItemType::String => "String",
        ItemType::Text => "Long text",
        ItemType::Integer => "Integer",
        ItemType::Decimal => "Decimal",
        ItemType::Boolean => "Boolean",
        ItemType::Date => "Date",
        ItemType::Datetime => "Date and time",
        ItemType::Binary => "Binary",
    }
}

/// The problems an error carries, each naming its field (one for a plain invalid input).
fn problems_of(e: &ApiError) -> Vec<Problem> {
    if !e.details.is_empty() {
        return e.details.iter().map(|d| problem(d.field.clone(), d.message.clone(), d.message_en.clone())).collect();
    }
    match (&e.field, e.code) {
        (Some(f), "invalid_input") => vec![problem(f.clone(), e.message.zh.to_string(), e.message.en.to_string())],
        _ => Vec::new(),
    }
}

#[derive(Deserialize)]
pub struct StageQuery {
    stage: Option<String>,
}

pub async fn new_form(State(state): State<AppState>, page: Page<perm::CatalogCompile>, uri: Uri) -> Response {
    let form = ResourceForm::blank(page.caller.principal.org_id.map(|o| o.0));
    let s = FormState { target: Target::New, form, blank_rows: BLANK_ROWS, problems: Vec::new(), overlaps: None };
    form_page(&state, &page, &uri, s, None, StatusCode::OK).await
}

pub async fn edit_form(
    State(state): State<AppState>,
    page: Page<perm::CatalogCompile>,
    uri: Uri,
    Path(id): Path<i64>,
) -> Response {
    let detail = match resources::get(&state.catalog, &page.caller, id).await {
        Ok(d) => d,
        Err(e) => return error_page(page.lang, e.into()),
    };
    let Some(working) = detail.working.as_ref().filter(|_| detail.can_edit) else {
        return error_page(page.lang, not_editable(&detail));
    };
    let s = FormState {
        target: Target::Edit { id, published: detail.current_version > 0 },
        form: ResourceForm::of(working),
        blank_rows: BLANK_ROWS,
        problems: Vec::new(),
        overlaps: None,
    };
    form_page(&state, &page, &uri, s, None, StatusCode::OK).await
}

fn not_editable(detail: &resources::ResourceDetail) -> ApiError {
    if detail.working.is_none() {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "out_of_scope",
            "只有编制单位可以修改该资源",
            "only the compiling agency can change this resource",
        );
    }
    ApiError::new(
        StatusCode::CONFLICT,
        "conflict",
        format!("资源当前状态为「{}」，请审核人退回后再修改", detail.state.label_zh()),
        format!("the resource is {}; a reviewer must return it before it can change", detail.state.label_en()),
    )
}

/// What the posted form asks for besides saving.
enum Op {
    Save,
    AddRows,
    CheckOverlaps,
}

fn op_of(pairs: &[(String, String)]) -> Op {
    match pairs.iter().find(|(k, _)| k == "op").map(|(_, v)| v.as_str()) {
        Some("add_rows") => Op::AddRows,
        Some("check_overlaps") => Op::CheckOverlaps,
        _ => Op::Save,
    }
}

#[derive(Deserialize)]
pub struct Ignored {}

/// Handles the form's extra buttons (more rows, overlap check); `None` when it is to be saved.
async fn side_step(
    state: &AppState,
    page: &Page<impl Sized>,
    uri: &Uri,
    target: Target,
    pairs: &[(String, String)],
) -> Result<(ResourceForm, usize), Response> {
    let (form, blank) = ResourceForm::from_pairs(pairs);
    match op_of(pairs) {
        Op::Save => Ok((form, blank)),
        Op::AddRows => {
            let s = FormState { target, form, blank_rows: blank + ADD_ROWS, problems: Vec::new(), overlaps: None };
            Err(form_page(state, page, uri, s, None, StatusCode::OK).await)
        }
        Op::CheckOverlaps => {
            let (doc, _) = form.document();
            let (overlaps, problems, error) = if doc.items.is_empty() {
                let p = problem("items", "请先填写数据项", "fill in the data items first");
                (None, vec![p], None)
            } else {
                match resources::overlaps(&state.catalog, &page.caller, &doc).await {
                    Ok(found) => (Some(found), Vec::new(), None),
                    Err(e) => (None, Vec::new(), Some(ApiError::from(e))),
                }
            };
            let s = FormState { target, form, blank_rows: blank, problems, overlaps };
            Err(form_page(state, page, uri, s, error.as_ref(), StatusCode::OK).await)
        }
    }
}

/// Shows the form again with the error: every problem next to its field.
async fn refused(
    state: &AppState,
    page: &Page<impl Sized>,
    uri: &Uri,
    target: Target,
    form: ResourceForm,
    blank: usize,
    e: ApiError,
) -> Response {
    let problems = problems_of(&e);
    let s = FormState { target, form, blank_rows: blank, problems, overlaps: None };
    form_page(state, page, uri, s, Some(&e), e.status).await
}

fn problems_error(problems: Vec<Problem>) -> ApiError {
    pubdata_domain::Error::Problems(problems).into()
}

pub async fn create(
    State(state): State<AppState>,
    page: Page<perm::CatalogCompile>,
    uri: Uri,
    form: CsrfForm<Ignored>,
) -> Response {
    let (f, blank) = match side_step(&state, &page, &uri, Target::New, &form.pairs).await {
        Ok(x) => x,
        Err(response) => return response,
    };
    let doc = match f.checked_document() {
        Ok(d) => d,
        Err(p) => return refused(&state, &page, &uri, Target::New, f, blank, problems_error(p)).await,
    };
    match resources::create(&state.catalog, &page.caller, doc).await {
        Ok(id) => done(&format!("/catalog/{id}"), "catalog.created"),
        Err(e) => refused(&state, &page, &uri, Target::New, f, blank, e.into()).await,
    }
}

pub async fn update(
    State(state): State<AppState>,
    page: Page<perm::CatalogCompile>,
    uri: Uri,
    Path(id): Path<i64>,
    form: CsrfForm<Ignored>,
) -> Response {
    let published = match resources::get(&state.catalog, &page.caller, id).await {
        Ok(d) => d.current_version > 0,
        Err(e) => return error_page(page.lang, e.into()),
    };
    let target = Target::Edit { id, published };
    let (f, blank) = match side_step(&state, &page, &uri, target, &form.pairs).await {
        Ok(x) => x,
        Err(response) => return response,
    };
    let doc = match f.checked_document() {
        Ok(d) => d,
        Err(p) => return refused(&state, &page, &uri, target, f, blank, problems_error(p)).await,
    };
    match resources::update(&state.catalog, &page.caller, id, doc, &f.reason).await {
        Ok(_) => done(&format!("/catalog/{id}"), "catalog.saved"),
        Err(e) => refused(&state, &page, &uri, target, f, blank, e.into()).await,
    }
}

fn stage_of(s: Option<&str>) -> Result<ProjectStage, ApiError> {
    ProjectStage::parse(s.unwrap_or("detailed")).ok_or_else(|| {
        ApiError::invalid("stage", "阶段应为 preliminary 或 detailed", "the stage is preliminary or detailed")
    })
}

/// Who may register which stage of a project's catalog (the store decides again).
fn may_register(page: &Page<impl Sized>, stage: ProjectStage) -> Result<(), ApiError> {
    let p = &page.caller.principal;
    let needed = match stage {
        ProjectStage::Preliminary => Permission::ProjectManage,
        ProjectStage::Detailed => Permission::CatalogCompile,
    };
    p.require(needed).map_err(ApiError::from)
}

pub async fn project_form(
    State(state): State<AppState>,
    page: Page<perm::CatalogRead>,
    uri: Uri,
    Path(id): Path<i64>,
    Query(q): Query<StageQuery>,
) -> Response {
    let lang = page.lang;
    let stage = match stage_of(q.stage.as_deref()) {
        Ok(s) => s,
        Err(e) => return error_page(lang, e),
    };
    if let Err(e) = may_register(&page, stage) {
        return error_page(lang, e);
    }
    let project = match projects::get(&state.catalog, &page.caller, id).await {
        Ok((p, _)) => p,
        Err(e) => return error_page(lang, e.into()),
    };
    let form = ResourceForm::blank(Some(project.agency_id));
    let s = FormState {
        target: Target::Project { id, stage },
        form,
        blank_rows: BLANK_ROWS,
        problems: Vec::new(),
        overlaps: None,
    };
    form_page(&state, &page, &uri, s, None, StatusCode::OK).await
}

pub async fn project_create(
    State(state): State<AppState>,
    page: Page<perm::CatalogRead>,
    uri: Uri,
    Path(id): Path<i64>,
    form: CsrfForm<Ignored>,
) -> Response {
    let lang = page.lang;
    let stage_value = form.pairs.iter().find(|(k, _)| k == "stage").map(|(_, v)| v.as_str());
    let stage = match stage_of(stage_value) {
        Ok(s) => s,
        Err(e) => return error_page(lang, e),
    };
    if let Err(e) = may_register(&page, stage) {
        return error_page(lang, e);
    }
    let target = Target::Project { id, stage };
    let (f, blank) = match side_step(&state, &page, &uri, target, &form.pairs).await {
        Ok(x) => x,
        Err(response) => return response,
    };
    let doc = match f.checked_document() {
        Ok(d) => d,
        Err(p) => return refused(&state, &page, &uri, target, f, blank, problems_error(p)).await,
    };
    match projects::add_resource(&state.catalog, &page.caller, id, stage, doc).await {
        Ok(_) => done(&format!("/projects/{id}"), "projects.resource_added"),
        Err(e) => refused(&state, &page, &uri, target, f, blank, e.into()).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn filled() -> Vec<(String, String)> {
        pairs(&[
            ("csrf", "x"),
            ("name", "企业登记信息"),
            ("business_name", "企业设立登记"),
            ("source_system", "登记系统"),
            ("description", ""),
            ("provider_org_id", "3"),
            ("category", "market"),
            ("level", "L1"),
            ("storage_format", "database_table"),
            ("share_kind", "unconditional"),
            ("open_kind", "unconditional"),
            ("delivery", "api"),
            ("delivery", "bulk"),
            ("update_cycle", "daily"),
            ("share_term_kind", "long_term"),
            ("contact_name", "王明"),
            ("contact_phone", "0574-88888888"),
            ("items[0].code", "credit_code"),
            ("items[0].name", "统一社会信用代码"),
            ("items[0].type", "string"),
            ("items[0].length", "18"),
            ("items[0].required", "1"),
            ("items[0].unique_key", "1"),
            ("items[0].level", "L1"),
            ("items[1].code", ""),
            ("items[1].name", ""),
            ("items[1].type", "string"),
            ("items[1].level", "L1"),
            ("items[2].code", "sex"),
            ("items[2].name", "性别"),
            ("items[2].type", "string"),
            ("items[2].length", "1"),
            ("items[2].level", "L1"),
            ("items[2].code_list", "1=男；2=女"),
        ])
    }

    #[test]
    fn a_filled_form_becomes_a_document_skipping_blank_rows() {
        let (form, blank) = ResourceForm::from_pairs(&filled());
        assert_eq!(blank, 1);
        let doc = form.checked_document().unwrap();
        assert_eq!(doc.items.len(), 2);
        assert_eq!(doc.items[1].code_list.len(), 2);
        assert_eq!(doc.items[1].code_list[1].label, "女");
        assert_eq!(doc.delivery, vec![Delivery::Api, Delivery::Bulk]);
        assert!(doc.items[0].unique_key && doc.items[0].required);
        assert_eq!(doc.problems(), vec![]);
        // Shown again, the form says the same.
        let again = ResourceForm::of(&doc).checked_document().unwrap();
        assert_eq!(again, doc);
    }

    #[test]
    fn unreadable_values_are_problems_naming_their_field() {
        let mut p = filled();
        p.retain(|(k, _)| k != "update_cycle");
        p.push(("items[2].length".into(), "abc".into()));
        p.push(("items[0].code_list".into(), "男".into()));
        let (form, _) = ResourceForm::from_pairs(&p);
        let problems = form.checked_document().unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert!(fields.contains(&"update_cycle"), "{fields:?}");
        assert!(fields.contains(&"items[1].length"), "{fields:?}");
        assert!(fields.contains(&"items[0].code_list"), "{fields:?}");
    }

    #[test]
    fn code_lists_read_either_separator() {
        assert_eq!(parse_code_list("1=男;2=女").unwrap().len(), 2);
        assert_eq!(parse_code_list(" 1 ＝ 男 ， 2=女 ").unwrap()[0].label, "男");
        assert!(parse_code_list("").unwrap().is_empty());
        assert_eq!(parse_code_list("1=男;女").unwrap_err(), "女");
    }
}
