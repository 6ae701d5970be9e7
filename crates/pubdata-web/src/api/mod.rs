//! The JSON API under `/api/v1`. Each handler declares its route and schema with
//! `#[utoipa::path]`, so the OpenAPI document at `/api/v1/openapi.json` is generated from the
//! same code that serves the requests.

pub(crate) mod aggregation;
pub(crate) mod audit;
mod auth;
mod calendar;
pub(crate) mod catalog;
pub(crate) mod catalog_files;
mod client_apps;
pub(crate) mod demands;
pub(crate) mod exports;
pub(crate) mod orgs;
mod projects;
pub(crate) mod share_reviews;
pub(crate) mod sharing;
mod tokens;
mod usage;
mod users;
pub(crate) mod verification;
pub mod views;

use crate::AppState;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "pubdata API",
        description = "鄞州区公共数据平台 API / Yinzhou public data platform API. Errors carry a stable `code` and messages in Chinese (`message`) and English (`message_en`).",
    ),
    servers((url = "/api/v1")),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "auth", description = "登录与账号 / login and account"),
        (name = "organisations", description = "组织机构 / organisation tree"),
        (name = "users", description = "用户 / users"),
        (name = "tokens", description = "API 令牌 / API tokens"),
        (name = "audit", description = "安全审计（第二十七条）/ audit trail (Art.27)"),
        (name = "calendar", description = "工作日历 / working-day calendar"),
        (name = "catalog", description = "公共数据资源目录（第七至九条）/ the data catalog (Art.7-9)"),
        (name = "projects", description = "政务信息化项目（第八条）/ government IT projects (Art.8)"),
        (name = "demands", description = "数据需求清单（第九条、第十五条）/ the data demand list (Art.9, 15)"),
        (name = "verification", description = "数据校核（第十一条）/ data verification (Art.11)"),
        (name = "client-apps", description = "共享通道接入应用（第十五条）/ client applications of the sharing channel (Art.15)"),
        (name = "sharing", description = "共享申请与授权（第七条、第十三至十六条）/ share requests and grants (Art.7, 13-16)"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(auth::change_password))
        .routes(routes!(auth::register))
        .routes(routes!(orgs::list, orgs::create))
        .routes(routes!(orgs::get, orgs::update))
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::get, users::update))
        .routes(routes!(users::reset_password))
        .routes(routes!(tokens::list, tokens::create))
        .routes(routes!(tokens::revoke))
        .routes(routes!(audit::entries))
        .routes(routes!(audit::verify))
        .routes(routes!(audit::export))
        .routes(routes!(calendar::year))
        .routes(routes!(calendar::set_day, calendar::remove_day))
        .routes(routes!(calendar::set_year))
        .routes(routes!(calendar::deadline))
        .routes(routes!(calendar::working_days))
        .routes(routes!(catalog::search, catalog::create))
        .routes(routes!(catalog::get, catalog::update))
        .routes(routes!(catalog::review))
        .routes(routes!(catalog::discard))
        .routes(routes!(catalog::version))
        .routes(routes!(catalog::diff))
        .routes(routes!(catalog::overlaps))
        .routes(routes!(catalog::mine))
        .routes(routes!(catalog::review_queue))
        .routes(routes!(catalog_files::template))
        .routes(routes!(catalog_files::import))
        .routes(routes!(catalog_files::report))
        .routes(routes!(catalog_files::export_xlsx))
        .routes(routes!(catalog_files::export_json, catalog_files::import_json))
        .routes(routes!(catalog_files::dcat))
        .routes(routes!(demands::list, demands::create))
        .routes(routes!(demands::get))
        .routes(routes!(demands::act))
        .routes(routes!(verification::cross_checks, verification::run_cross_check))
        .routes(routes!(verification::schedules, verification::create_schedule))
        .routes(routes!(verification::deactivate_schedule))
        .routes(routes!(verification::list, verification::open))
        .routes(routes!(verification::get))
        .routes(routes!(verification::answer))
        .routes(routes!(verification::close))
        .routes(routes!(sharing::list, sharing::create))
        .routes(routes!(sharing::get))
        .routes(routes!(sharing::review))
        .routes(routes!(sharing::arbitrate))
        .routes(routes!(sharing::grants))
        .routes(routes!(sharing::grant))
        .routes(routes!(sharing::suspend))
        .routes(routes!(sharing::resume))
        .routes(routes!(sharing::revoke))
        .routes(routes!(sharing::received_list))
        .routes(routes!(exports::list, exports::create))
        .routes(routes!(exports::download))
        .routes(routes!(sharing::received))
        .routes(routes!(sharing::confirm_received))
        .routes(routes!(share_reviews::list))
        .routes(routes!(share_reviews::history, share_reviews::record))
        .routes(routes!(projects::list, projects::create))
        .routes(routes!(projects::get))
        .routes(routes!(projects::add_resource))
        .routes(routes!(projects::complete))
        .routes(routes!(projects::acceptance))
        .routes(routes!(aggregation::deliver, aggregation::list))
        .routes(routes!(aggregation::get))
        .routes(routes!(aggregation::errors_csv))
        .routes(routes!(aggregation::errors_xlsx))
        .routes(routes!(aggregation::rows))
        .routes(routes!(client_apps::list, client_apps::create))
        .routes(routes!(client_apps::get))
        .routes(routes!(client_apps::rotate))
        .routes(routes!(client_apps::retire_previous))
        .routes(routes!(client_apps::disable))
        .routes(routes!(client_apps::set_limits))
        .routes(routes!(usage::grant_usage))
}
