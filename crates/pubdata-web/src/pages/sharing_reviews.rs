//! Oversight pages of sharing: the periodic re-evaluation of share attributes (Art.14), listed
//! as they fall due with a form for the providing agency to record each outcome, and the
//! resources flagged as repeating data received through a grant (Art.7), which the authority
//! confirms with a comment. Supervisors see both, read-only.
//!
//! Ids: `#review-tabs`, `#share-reviews`, `#review-{resource}` (rows, `data-status`),
//! `#review-form-{resource}`, `#review-error`, `#received-tabs`, `#received`,
//! `#flag-{resource}` (rows, `data-confirmed`), `#confirm-form-{resource}`, `#confirm-error`.

use super::catalog::{org_names, when};
use super::sharing::Tab;
use super::{PageCtx, done, error_page, message, render_status};
use crate::AppState;
use crate::auth::{Page, perm};
use crate::error::ApiError;
use crate::extract::CsrfForm;
use crate::i18n::Lang;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use pubdata_domain::sharing::reevaluation::{ReviewOutcome, ShareReviewInput, ShareReviewList};
use pubdata_store::sharing::reevaluation::{self, ShareReviewView};
use pubdata_store::sharing::{self, ReceivedFlagView};
use serde::Deserialize;
use std::collections::HashMap;

/// A refused form: which row, the message to show beside it, and what was typed.
pub struct Refused {
    pub id: i64,
    pub message: String,
    pub outcome: String,
    pub comment: String,
}

impl Refused {
    fn new(lang: Lang, id: i64, e: &ApiError, outcome: &str, comment: &str) -> Refused {
        Refused { id, message: message(lang, e), outcome: outcome.to_string(), comment: comment.to_string() }
    }
}

fn name_of(names: &HashMap<i64, String>, id: i64) -> String {
    names.get(&id).cloned().unwrap_or_else(|| format!("#{id}"))
}

// ---------------------------------------------------------------------------------------------
// Share-attribute reviews (Art.14)

#[derive(Deserialize, Default)]
pub struct ReviewsQ {
    state: Option<String>,
    flash: Option<String>,
}

pub struct ReviewRow {
    pub resource_id: i64,
    pub resource: String,
    pub provider: String,
    pub share: String,
    pub next_review_on: String,
    pub status_code: &'static str,
    pub status: String,
    /// The latest review: outcome, who, when and the comment, or empty.
    pub last: String,
    pub can_record: bool,
}

#[derive(Template)]
#[template(path = "sharing_reviews.html")]
struct ReviewsPage {
    ctx: PageCtx,
    tabs: Vec<Tab>,
    state: &'static str,
    months: u32,
    rows: Vec<ReviewRow>,
    outcomes: Vec<(&'static str, String)>,
    refused: Option<Refused>,
}

impl ReviewsPage {
    fn refused_here(&self, id: &i64) -> Option<&Refused> {
        self.refused.as_ref().filter(|r| r.id == *id)
    }

    fn typed(&self, id: &i64) -> String {
        self.refused_here(id).map(|r| r.comment.clone()).unwrap_or_default()
    }

    fn chosen(&self, id: &i64, code: &str) -> bool {
        self.refused_here(id).is_some_and(|r| r.outcome == code)
    }
}

fn review_row(lang: Lang, names: &HashMap<i64, String>, v: ShareReviewView) -> ReviewRow {
    let last = v.last_review.map_or_else(String::new, |r| {
        let outcome = lang.pick(r.outcome.label_zh(), r.outcome.label_en());
        let comment = if r.comment.is_empty() { String::new() } else { format!("：{}", r.comment) };
        format!("{outcome} · {} · {}{comment}", r.reviewed_by, when(&r.reviewed_at))
    });
    ReviewRow {
        resource_id: v.resource_id,
        provider: name_of(names, v.provider_org_id),
        share: lang.pick(v.share_attribute.label_zh(), v.share_attribute.label_en()).to_string(),
        next_review_on: v.next_review_on,
        status_code: v.status.as_str(),
        status: lang.pick(v.status.label_zh(), v.status.label_en()).to_string(),
        last,
        can_record: v.can_record,
        resource: v.resource_name,
    }
}

async fn reviews_page(
    state: &AppState,
    page: &Page<impl Sized>,
    uri: &Uri,
    which: ShareReviewList,
    flash: Option<&str>,
    refused: Option<Refused>,
) -> Response {
    let lang = page.lang;
    let list = match reevaluation::list(&state.store, &state.config.sharing, &page.caller, which).await {
        Ok(l) => l,
        Err(e) => return error_page(lang, e.into()),
    };
    let names = org_names(state, page, lang).await;
    let tabs = ShareReviewList::ALL
        .into_iter()
        .map(|l| Tab {
            code: l.as_str(),
            label: lang.t(&format!("share_review.tab_{}", l.as_str())),
            active: l == which,
        })
        .collect();
    let status = if refused.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let view = ReviewsPage {
        ctx: PageCtx::new(page, "share_review.title", uri, flash).crumb("share_review.title", "/sharing/reviews"),
        tabs,
        state: which.as_str(),
        months: state.config.sharing.share_review_months,
        rows: list.into_iter().map(|v| review_row(lang, &names, v)).collect(),
        outcomes: ReviewOutcome::ALL
            .iter()
            .map(|o| (o.as_str(), lang.pick(o.label_zh(), o.label_en()).into()))
            .collect(),
        refused,
    };
    render_status(status, &view)
}

/// `/sharing/reviews?state=due|overdue|all`: the share-attribute reviews the caller sees.
pub async fn reviews(
    State(state): State<AppState>,
    page: Page<perm::SharingRead>,
    uri: Uri,
    Query(q): Query<ReviewsQ>,
) -> Response {
    let which = match q.state.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => ShareReviewList::Due,
        Some(s) => match ShareReviewList::parse(s) {
            Some(l) => l,
            None => return error_page(page.lang, ApiError::invalid("state", "未知的列表", "unknown list")),
        },
    };
    reviews_page(&state, &page, &uri, which, q.flash.as_deref(), None).await
}

#[derive(Deserialize)]
pub struct RecordForm {
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    back: String,
}

/// Records the providing agency's review of a resource's share attribute.
pub async fn record(
    State(state): State<AppState>,
    page: Page<perm::CatalogCompile>,
    Path(id): Path<i64>,
    form: CsrfForm<RecordForm>,
) -> Response {
    let lang = page.lang;
    let f = form.value;
    let which = ShareReviewList::parse(&f.back).unwrap_or(ShareReviewList::Due);
    let here = Uri::try_from(format!("/sharing/reviews?state={}", which.as_str())).unwrap_or_default();
    let result = async {
        let outcome = ReviewOutcome::parse(&f.outcome).ok_or_else(|| {
            ApiError::invalid("outcome", "请选择评估结论：维持或需调整", "choose an outcome: kept or to be revised")
        })?;
        let input = ShareReviewInput { outcome, comment: f.comment.clone() };
        Ok::<_, ApiError>(reevaluation::record(&state.store, &state.config.sharing, &page.caller, id, input).await?)
    }
    .await;
    match result {
        Ok(_) => done(&format!("/sharing/reviews?state={}", which.as_str()), "share_review.recorded"),
        Err(e) if e.code == "invalid_input" => {
            let refused = Refused::new(lang, id, &e, &f.outcome, &f.comment);
            reviews_page(&state, &page, &here, which, None, Some(refused)).await
        }
        Err(e) => error_page(lang, e),
    }
}

// ---------------------------------------------------------------------------------------------
// Resources flagged as received data (Art.7)

#[derive(Deserialize, Default)]
pub struct ReceivedQ {
    tab: Option<String>,
    flash: Option<String>,
}

pub struct FlagRow {
    pub resource_id: i64,
    pub resource: String,
    pub provider: String,
    pub matched: String,
    pub flagged_at: String,
    pub grant_id: i64,
    pub grant_resource_id: i64,
    pub grant_resource: String,
    pub grant_provider: String,
    pub granted: String,
    pub scenario: String,
    /// Who confirmed it, when and why; empty while it awaits the authority.
    pub confirmation: String,
    pub can_confirm: bool,
}

#[derive(Template)]
#[template(path = "sharing_received.html")]
struct ReceivedPage {
    ctx: PageCtx,
    tabs: Vec<Tab>,
    rows: Vec<FlagRow>,
    refused: Option<Refused>,
}

impl ReceivedPage {
    fn refused_here(&self, id: &i64) -> Option<&Refused> {
        self.refused.as_ref().filter(|r| r.id == *id)
    }

    fn typed(&self, id: &i64) -> String {
        self.refused_here(id).map(|r| r.comment.clone()).unwrap_or_default()
    }
}

fn flag_row(names: &HashMap<i64, String>, f: ReceivedFlagView) -> FlagRow {
    let confirmation = match (&f.confirmed_by, &f.confirmed_at) {
        (Some(by), Some(at)) => format!("{by} · {}：{}", when(at), f.confirmation_comment.clone().unwrap_or_default()),
        _ => String::new(),
    };
    FlagRow {
        resource_id: f.resource_id,
        provider: name_of(names, f.provider_org_id),
        matched: f.matched_items.join("、"),
        flagged_at: when(&f.flagged_at),
        grant_id: f.grant_id,
        grant_resource_id: f.grant_resource_id,
        grant_provider: name_of(names, f.grant_provider_org_id),
        granted: f.granted_items.join("、"),
        confirmation,
        can_confirm: f.can_confirm,
        resource: f.resource_name,
        grant_resource: f.grant_resource_name,
        scenario: f.grant_scenario,
    }
}

async fn received_page(
    state: &AppState,
    page: &Page<impl Sized>,
    uri: &Uri,
    pending_only: bool,
    flash: Option<&str>,
    refused: Option<Refused>,
) -> Response {
    let lang = page.lang;
    let list = match sharing::list_received(&state.store, &page.caller, pending_only).await {
        Ok(l) => l,
        Err(e) => return error_page(lang, e.into()),
    };
    let names = org_names(state, page, lang).await;
    let tabs = [("pending", pending_only), ("all", !pending_only)]
        .into_iter()
        .map(|(code, active)| Tab { code, label: lang.t(&format!("received.tab_{code}")), active })
        .collect();
    let status = if refused.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let view = ReceivedPage {
        ctx: PageCtx::new(page, "received.title", uri, flash).crumb("received.title", "/sharing/received"),
        tabs,
        rows: list.into_iter().map(|f| flag_row(&names, f)).collect(),
        refused,
    };
    render_status(status, &view)
}

/// `/sharing/received?tab=pending|all`: resources flagged as repeating granted data.
pub async fn received(
    State(state): State<AppState>,
    page: Page<perm::SharingRead>,
    uri: Uri,
    Query(q): Query<ReceivedQ>,
) -> Response {
    let pending_only = match q.tab.as_deref().map(str::trim) {
        None | Some("") | Some("pending") => true,
        Some("all") => false,
        Some(_) => return error_page(page.lang, ApiError::invalid("tab", "未知的列表", "unknown list")),
    };
    received_page(&state, &page, &uri, pending_only, q.flash.as_deref(), None).await
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    comment: String,
}

/// The authority confirms that a flagged resource is the agency's own data (Art.7).
pub async fn confirm(
    State(state): State<AppState>,
    page: Page<perm::SharingArbitrate>,
    Path(id): Path<i64>,
    form: CsrfForm<ConfirmForm>,
) -> Response {
    let lang = page.lang;
    let comment = form.value.comment;
    match sharing::confirm_received(&state.store, &page.caller, id, &comment).await {
        Ok(_) => done("/sharing/received", "received.confirmed"),
        Err(e) => {
            let e = ApiError::from(e);
            if e.code != "invalid_input" {
                return error_page(lang, e);
            }
            let refused = Refused::new(lang, id, &e, "", &comment);
            received_page(&state, &page, &Uri::from_static("/sharing/received"), true, None, Some(refused)).await
        }
    }
}
