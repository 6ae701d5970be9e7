//! Server-rendered pages: one layout (navigation by role, breadcrumbs, flash messages,
//! language switch), Chinese first. No JavaScript is needed; forms post with a CSRF token.

mod account;
mod admin;
mod aggregation;
mod audit;
mod calendar;
mod catalog;
mod catalog_form;
mod catalog_import;
mod demands;
mod home;
mod login;
mod projects;
mod sharing;
mod sharing_exports;
mod sharing_reviews;
mod verification;

use crate::AppState;
use crate::auth::{Page, lang_of};
use crate::error::ApiError;
use crate::i18n::Lang;
use askama::Template;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use pubdata_domain::identity::Permission;
use tower_http::set_header::SetResponseHeaderLayer;

/// The query of a page that follows a form: the message to flash, if any.
#[derive(serde::Deserialize, Default)]
pub struct FlashQuery {
    pub flash: Option<String>,
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/register", get(login::register_form).post(login::register))
        .route("/lang/{code}", get(login::switch_lang))
        .route("/account/password", get(account::password_form).post(account::change_password))
        .route("/account/tokens", get(account::tokens).post(account::create_token))
        .route("/account/tokens/{id}/revoke", post(account::revoke_token))
        .route("/admin/organisations", get(admin::orgs).post(admin::create_org))
        .route("/admin/organisations/{id}", get(admin::org).post(admin::update_org))
        .route("/admin/users", get(admin::users).post(admin::create_user))
        .route("/admin/users/new", get(admin::new_user))
        .route("/admin/users/{id}", get(admin::user).post(admin::update_user))
        .route("/admin/users/{id}/reset-password", post(admin::reset_password))
        .route("/audit", get(audit::entries))
        .route("/audit/verify", post(audit::verify))
        .route("/audit/export", get(audit::export))
        .route("/calendar", get(calendar::year))
        .route("/calendar/days", post(calendar::set_day))
        .route("/calendar/days/{date}/delete", post(calendar::remove_day))
        .route("/calendar/years/{year}", post(calendar::set_year))
        .route("/catalog", get(catalog::search))
        .route("/catalog/mine", get(catalog::mine))
        .route("/catalog/review", get(catalog::review_queue))
        .route("/catalog/new", get(catalog_form::new_form).post(catalog_form::create))
        .route("/catalog/import", get(catalog_import::form).post(catalog_import::upload).layer(catalog_import::body_limit()))
        .route("/catalog/import-reports/{id}", get(catalog_import::report))
        .route("/catalog/export.xlsx", get(catalog_import::export_xlsx))
        .route("/catalog/template.xlsx", get(catalog_import::template))
        .route("/catalog/dcat.jsonld", get(catalog_import::dcat))
        .route("/catalog/{id}", get(catalog::detail))
        .route("/catalog/{id}/edit", get(catalog_form::edit_form).post(catalog_form::update))
        .route("/catalog/{id}/review", post(catalog::review))
        .route("/catalog/{id}/discard", post(catalog::discard))
        .route("/catalog/{id}/diff", get(catalog::diff))
        .route("/catalog/{id}/data", get(aggregation::data).post(aggregation::upload))
        .route("/batches/{id}", get(aggregation::batch))
        .route("/batches/{id}/errors.csv", get(aggregation::errors_csv))
        .route("/batches/{id}/errors.xlsx", get(aggregation::errors_xlsx))
        .route("/demands", get(demands::list))
        .route("/demands/new", get(demands::new_form).post(demands::create))
        .route("/demands/{id}", get(demands::detail))
        .route("/demands/{id}/actions", post(demands::act))
        .route("/sharing/requests", get(sharing::requests))
        .route("/sharing/requests/new", get(sharing::new_form).post(sharing::create))
        .route("/sharing/requests/{id}", get(sharing::request))
        .route("/sharing/requests/{id}/review", post(sharing::review))
        .route("/sharing/requests/{id}/arbitrate", post(sharing::arbitrate))
        .route("/sharing/grants", get(sharing::grants))
        .route("/sharing/grants/{id}", get(sharing::grant))
        .route("/sharing/grants/{id}/{action}", post(sharing::change_grant))
        .route("/sharing/reviews", get(sharing_reviews::reviews))
        .route("/sharing/reviews/{id}", post(sharing_reviews::record))
        .route("/sharing/received", get(sharing_reviews::received))
        .route("/sharing/received/{id}/confirm", post(sharing_reviews::confirm))
        .route("/sharing/grants/{id}/exports", post(sharing_exports::start_export))
        .route("/sharing/exports/{id}/file", get(sharing_exports::download))
        .route("/sharing/apps", get(sharing::apps).post(sharing::register_app))
        .route("/sharing/apps/{id}/{action}", post(sharing::app_action))
        .route("/verification", get(verification::list))
        .route("/verification/cross-checks", post(verification::run_cross_check))
        .route("/verification/tasks", post(verification::open))
        .route("/verification/schedules", post(verification::create_schedule))
        .route("/verification/schedules/{id}/deactivate", post(verification::deactivate_schedule))
        .route("/verification/{id}", get(verification::detail))
        .route("/verification/{id}/answer", post(verification::answer))
        .route("/verification/{id}/close", post(verification::close))
        .route("/projects", get(projects::list).post(projects::create))
        .route("/projects/{id}", get(projects::detail))
        .route("/projects/{id}/complete", post(projects::complete))
        .route("/projects/{id}/resources/new", get(catalog_form::project_form).post(catalog_form::project_create))
        .route("/projects/{id}/acceptance", get(projects::acceptance))
        .route("/projects/{id}/acceptance.xlsx", get(projects::acceptance_xlsx))
        .route("/projects/{id}/acceptance.json", get(projects::acceptance_json))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
}

/// A navigation entry.
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub active: bool,
}

/// The logged-in user, as the header shows them.
pub struct UserBar {
    pub display_name: String,
    pub role_label: &'static str,
}

pub struct Flash {
    /// `ok` or `error`
    pub kind: &'static str,
    pub text: String,
}

/// What every page's layout needs.
pub struct PageCtx {
    pub lang: Lang,
    pub title: String,
    pub user: Option<UserBar>,
    pub nav: Vec<NavItem>,
    pub crumbs: Vec<(String, String)>,
    pub flash: Option<Flash>,
    pub csrf: String,
    /// The current path and query, for the language switch to come back to.
    pub here: String,
}

/// (path, text key, permissions of which the user needs any; empty: everyone).
const NAV: &[(&str, &str, &[Permission])] = &[
    ("/", "nav.home", &[]),
    ("/catalog", "nav.catalog", &[Permission::CatalogRead]),
    ("/catalog/review", "nav.catalog_review", &[Permission::CatalogConfirm, Permission::CatalogReview]),
    ("/projects", "nav.projects", &[Permission::CatalogRead]),
    ("/demands", "nav.demands", &[Permission::DemandFile, Permission::DemandCoordinate, Permission::DemandAnswer]),
    (
        "/sharing/requests",
        "nav.sharing",
        // Supervisors (Art.5) read every request and grant through `sharing.read`.
        &[Permission::SharingRequest, Permission::SharingReview, Permission::SharingArbitrate, Permission::SharingRead],
    ),
    ("/verification", "nav.verification", &[Permission::VerificationManage, Permission::VerificationAnswer]),
    ("/admin/organisations", "nav.orgs", &[Permission::OrgRead]),
    ("/admin/users", "nav.users", &[Permission::UserRead]),
    ("/audit", "nav.audit", &[Permission::AuditRead]),
    ("/calendar", "nav.calendar", &[Permission::CalendarRead]),
    ("/account/tokens", "nav.tokens", &[Permission::TokenManageOwn]),
];

/// Whether the nav item at `href` is the current page's: the longest matching entry wins, so
/// that `/catalog/review` is not also `/catalog`.
fn nav_active(href: &str, path: &str) -> bool {
    let matches = |h: &str| if h == "/" { path == "/" } else { path == h || path.starts_with(&format!("{h}/")) };
    matches(href) && !NAV.iter().any(|(other, _, _)| other.len() > href.len() && matches(other))
}

impl PageCtx {
    /// The context of a logged-in page. `flash` is a UI-text key from the query string; only
    /// keys of the text table are shown, so nothing from the URL reaches the page verbatim.
    pub fn new<R>(page: &Page<R>, title_key: &str, here: &Uri, flash: Option<&str>) -> PageCtx {
        let p = &page.caller.principal;
        let lang = page.lang;
        let path = here.path();
        let nav = NAV
            .iter()
            .filter(|(_, _, perms)| perms.is_empty() || perms.iter().any(|x| p.has(*x)))
            .map(|(href, key, _)| NavItem { href, label: lang.t(key), active: nav_active(href, path) })
            .collect();
        let role_label = p.role.map_or("system", |r| lang.pick(r.label_zh(), r.label_en()));
        let mut ctx = PageCtx::public(lang, lang.t(title_key), here);
        ctx.user = Some(UserBar { display_name: p.display_name.clone(), role_label });
        ctx.nav = nav;
        ctx.csrf = page.csrf.clone();
        ctx.flash = flash.and_then(|key| flash_text(lang, key)).map(|text| Flash { kind: "ok", text });
        ctx
    }

    /// The context of a page shown to visitors who are not logged in.
    pub fn public(lang: Lang, title: &str, here: &Uri) -> PageCtx {
        PageCtx {
            lang,
            title: title.to_string(),
            user: None,
            nav: Vec::new(),
            crumbs: Vec::new(),
            flash: None,
            csrf: String::new(),
            here: without_flash(here),
        }
    }

    pub fn t(&self, key: &str) -> &'static str {
        self.lang.t(key)
    }

    pub fn crumb(mut self, key: &str, href: &str) -> PageCtx {
        self.crumbs.push((self.lang.t(key).to_string(), href.to_string()));
        self
    }

    pub fn crumb_text(mut self, text: &str, href: &str) -> PageCtx {
        self.crumbs.push((text.to_string(), href.to_string()));
        self
    }

    pub fn error(mut self, e: &ApiError) -> PageCtx {
        self.flash = Some(Flash { kind: "error", text: message(self.lang, e) });
        self
    }

    /// The code of the other language, for the switch.
    pub fn other_lang(&self) -> &'static str {
        if self.lang.is_en() { "zh" } else { "en" }
    }

    /// Picks a Chinese or English text.
    pub fn pick<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        self.lang.pick(zh, en)
    }
}

/// The path and query to come back to, without a flash message (which was meant once).
fn without_flash(uri: &Uri) -> String {
    let query: Vec<&str> =
        uri.query().unwrap_or("").split('&').filter(|p| !p.is_empty() && !p.starts_with("flash=")).collect();
    if query.is_empty() { uri.path().to_string() } else { format!("{}?{}", uri.path(), query.join("&")) }
}

fn flash_text(lang: Lang, key: &str) -> Option<String> {
    const ALLOWED: &[&str] = &[
        "logout.done",
        "register.done",
        "password.changed",
        "orgs.created",
        "orgs.saved",
        "users.saved",
        "tokens.revoked_done",
        "calendar.saved",
        "flash.saved",
        "catalog.created",
        "catalog.saved",
        "catalog.reviewed",
        "catalog.discarded",
        "projects.created",
        "projects.completed",
        "projects.resource_added",
        "demands.created",
        "demands.updated",
        "verification.opened",
        "verification.no_conflicts",
        "verification.answered",
        "verification.closed",
        "verification.schedule_created",
        "verification.schedule_deactivated",
        "sharing.requested",
        "sharing.decided",
        "sharing.grant_changed",
        "sharing.app_changed",
        "share_review.recorded",
        "received.confirmed",
        "sharing.export_started",
    ];
    ALLOWED.contains(&key).then(|| lang.t(key).to_string())
}

/// An error's message in the page's language.
pub fn message(lang: Lang, e: &ApiError) -> String {
    let text = lang.pick(&e.message.zh, &e.message.en);
    match &e.field {
        Some(f) if e.code == "invalid_input" => format!("{text} [{f}]"),
        _ => text.to_string(),
    }
}

/// Renders a template, or the error page if rendering fails.
pub fn render<T: Template>(template: &T) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

/// Like [`render`], with a status other than 200.
pub fn render_status<T: Template>(status: StatusCode, template: &T) -> Response {
    let mut response = render(template);
    if response.status() == StatusCode::OK {
        *response.status_mut() = status;
    }
    response
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    ctx: PageCtx,
    status: u16,
    heading: &'static str,
    message: String,
    missing: Option<String>,
}

/// The error page for a refused or failed page request.
pub fn error_page(lang: Lang, e: ApiError) -> Response {
    let heading = match e.status {
        StatusCode::NOT_FOUND => lang.t("common.not_found"),
        StatusCode::FORBIDDEN => lang.t("common.forbidden"),
        _ => lang.t("common.error_title"),
    };
    let missing = e.missing_permission.map(|p| format!("{} ({})", lang.pick(p.label_zh(), p.label_en()), p.as_str()));
    let page = ErrorPage {
        ctx: PageCtx::public(lang, heading, &Uri::from_static("/")),
        status: e.status.as_u16(),
        heading,
        message: message(lang, &e),
        missing,
    };
    render_status(e.status, &page)
}

/// Anything no route matched: JSON under `/api/`, a page elsewhere.
pub async fn not_found(uri: Uri, jar: CookieJar) -> Response {
    if uri.path().starts_with("/api/") {
        return ApiError::not_found_route().into_response();
    }
    error_page(lang_of(&jar), ApiError::new(StatusCode::NOT_FOUND, "not_found", "页面不存在", "page not found"))
}

/// Redirects after a successful form post (post/redirect/get), with a flash key.
pub fn done(path: &str, flash: &str) -> Response {
    let sep = if path.contains('?') { '&' } else { '?' };
    axum::response::Redirect::to(&format!("{path}{sep}flash={flash}")).into_response()
}

/// A relative path inside the site (never `//host`), or `/`.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_the_site() {
        assert_eq!(safe_next(Some("/admin/users?x=1")), "/admin/users?x=1");
        assert_eq!(safe_next(Some("//evil.example/")), "/");
        assert_eq!(safe_next(Some("https://evil.example/")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn the_language_switch_does_not_repeat_a_flash_message() {
        assert_eq!(without_flash(&Uri::from_static("/admin/users?flash=users.saved")), "/admin/users");
        assert_eq!(without_flash(&Uri::from_static("/calendar?year=2026&flash=calendar.saved")), "/calendar?year=2026");
        assert_eq!(without_flash(&Uri::from_static("/audit?actor=a")), "/audit?actor=a");
    }

    #[test]
    fn the_longest_matching_nav_item_is_the_active_one() {
        assert!(nav_active("/catalog", "/catalog/12"));
        assert!(!nav_active("/catalog", "/catalog/review"));
        assert!(nav_active("/catalog/review", "/catalog/review"));
        assert!(!nav_active("/", "/catalog"));
        assert!(!nav_active("/audit", "/auditx"));
    }

    #[test]
    fn only_known_flash_keys_are_shown() {
        assert!(flash_text(Lang::Zh, "orgs.created").is_some());
        assert!(flash_text(Lang::Zh, "<script>").is_none());
        assert!(flash_text(Lang::Zh, "login.title").is_none());
    }
}
