//! The visitor's own account: changing the password, and API tokens.

use super::{FlashQuery, PageCtx, done, error_page, render, render_status};
use crate::AppState;
use crate::auth::{Page, perm};
use crate::error::ApiError;
use crate::extract::CsrfForm;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use pubdata_domain::ids::TokenId;
use pubdata_domain::timefmt;
use pubdata_store::identity::{ApiToken, tokens, users};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    ctx: PageCtx,
    must_change: bool,
}

pub async fn password_form(page: Page<perm::AccountSelf>, uri: Uri, Query(q): Query<FlashQuery>) -> Response {
    let must_change = page.caller.principal.must_change_password;
    let ctx =
        PageCtx::new(&page, "password.title", &uri, q.flash.as_deref()).crumb("password.title", "/account/password");
    render(&PasswordPage { ctx, must_change })
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
    new_password_repeat: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    page: Page<perm::AccountSelf>,
    uri: Uri,
    form: CsrfForm<PasswordForm>,
) -> Response {
    let f = form.value;
    let lang = page.lang;
    let result = if f.new_password != f.new_password_repeat {
        Err(ApiError::invalid("new_password_repeat", lang.t("password.mismatch"), lang.t("password.mismatch")))
    } else {
        users::change_own_password(&state.store, &page.caller, &f.current_password, &f.new_password)
            .await
            .map_err(ApiError::from)
    };
    match result {
        Ok(()) => done("/", "password.changed"),
        Err(e) => {
            let must_change = page.caller.principal.must_change_password;
            let ctx = PageCtx::new(&page, "password.title", &uri, None)
                .crumb("password.title", "/account/password")
                .error(&e);
            render_status(e.status, &PasswordPage { ctx, must_change })
        }
    }
}

/// A token as the list shows it.
pub struct TokenRow {
    pub token: ApiToken,
    pub state: &'static str,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    ctx: PageCtx,
    tokens: Vec<TokenRow>,
    permissions: Vec<(&'static str, &'static str)>,
    new_secret: Option<String>,
}

async fn tokens_page(
    state: &AppState,
    page: &Page<perm::TokenManageOwn>,
    ctx: PageCtx,
    new_secret: Option<String>,
) -> Response {
    let lang = page.lang;
    let now = timefmt::format_instant(timefmt::now());
    let list = match tokens::list_own(&state.store, &page.caller).await {
        Ok(l) => l,
        Err(e) => return error_page(lang, e.into()),
    };
    let rows = list
        .into_iter()
        .map(|t| {
            let state = if t.revoked_at.is_some() {
                lang.t("tokens.revoked")
            } else if !t.is_active(&now) {
                lang.t("tokens.expired")
            } else {
                lang.t("common.active")
            };
            TokenRow { token: t, state }
        })
        .collect();
    let permissions = page
        .caller
        .principal
        .permissions()
        .into_iter()
        .map(|p| (p.as_str(), lang.pick(p.label_zh(), p.label_en())))
        .collect();
    render(&TokensPage { ctx, tokens: rows, permissions, new_secret })
}

pub async fn tokens(
    State(state): State<AppState>,
    page: Page<perm::TokenManageOwn>,
    uri: Uri,
    Query(q): Query<FlashQuery>,
) -> Response {
    let ctx = PageCtx::new(&page, "tokens.title", &uri, q.flash.as_deref()).crumb("tokens.title", "/account/tokens");
    tokens_page(&state, &page, ctx, None).await
}

#[derive(Deserialize)]
pub struct TokenForm {
    name: String,
    expires_in_days: String,
}

pub async fn create_token(
    State(state): State<AppState>,
    page: Page<perm::TokenManageOwn>,
    uri: Uri,
    form: CsrfForm<TokenForm>,
) -> Response {
    let scope: Vec<String> = form.pairs.iter().filter(|(k, _)| k == "scope").map(|(_, v)| v.clone()).collect();
    let days = form.value.expires_in_days.trim().parse::<i64>().unwrap_or(0);
    let ctx = PageCtx::new(&page, "tokens.title", &uri, None).crumb("tokens.title", "/account/tokens");
    match tokens::create(&state.store, &page.caller, &form.value.name, &scope, days).await {
        Ok(created) => {
            let mut response = tokens_page(&state, &page, ctx, Some(created.secret)).await;
            *response.status_mut() = StatusCode::CREATED;
            response
        }
        Err(e) => {
            let e = ApiError::from(e);
            let status = e.status;
            let mut response = tokens_page(&state, &page, ctx.error(&e), None).await;
            *response.status_mut() = status;
            response
        }
    }
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn revoke_token(
    State(state): State<AppState>,
    page: Page<perm::TokenManageOwn>,
    Path(id): Path<i64>,
    _form: CsrfForm<Empty>,
) -> Response {
    match tokens::revoke(&state.store, &page.caller, TokenId(id)).await {
        Ok(_) => done("/account/tokens", "tokens.revoked_done"),
        Err(e) => error_page(page.lang, e.into()),
    }
}
