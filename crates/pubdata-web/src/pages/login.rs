//! Logging in and out, registering, and switching the language.

use super::{PageCtx, done, message, render, render_status, safe_next};
use crate::AppState;
use crate::auth::{ClientSource, LANG_COOKIE, Page, SESSION_COOKIE, lang_of, perm};
use crate::error::ApiError;
use crate::extract::{CSRF_COOKIE, CsrfForm};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use pubdata_domain::secret::random_token;
use pubdata_store::identity::{Via, auth, users};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    flash: Option<String>,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    ctx: PageCtx,
    username: String,
    next: String,
    registration_open: bool,
}

fn cookie(state: &AppState, name: &'static str, value: String, same_site: SameSite) -> Cookie<'static> {
    Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(same_site)
        .secure(state.config.cookie_secure)
        .build()
}

/// Gives a visitor the pre-login CSRF cookie (double-submit) if they have none.
fn with_login_csrf(state: &AppState, jar: CookieJar) -> (CookieJar, String) {
    match jar.get(CSRF_COOKIE).map(|c| c.value().to_string()).filter(|v| v.len() >= 32) {
        Some(v) => (jar, v),
        None => {
            let token = random_token("");
            (jar.add(cookie(state, CSRF_COOKIE, token.clone(), SameSite::Strict)), token)
        }
    }
}

pub async fn form(State(state): State<AppState>, jar: CookieJar, uri: Uri, Query(q): Query<LoginQuery>) -> Response {
    let lang = lang_of(&jar);
    if let Some(c) = jar.get(SESSION_COOKIE)
        && let Ok(Some(_)) = auth::authenticate_session(&state.store, &state.config.auth, c.value(), true).await
    {
        return Redirect::to(&safe_next(q.next.as_deref())).into_response();
    }
    let (jar, csrf) = with_login_csrf(&state, jar);
    let mut ctx = PageCtx::public(lang, lang.t("login.title"), &uri);
    ctx.csrf = csrf;
    if let Some(text) = q.flash.as_deref().and_then(|k| super::flash_text(lang, k)) {
        ctx.flash = Some(super::Flash { kind: "ok", text });
    }
    let page = LoginPage {
        ctx,
        username: String::new(),
        next: safe_next(q.next.as_deref()),
        registration_open: state.config.registration_open,
    };
    (jar, render(&page)).into_response()
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

pub async fn submit(
    State(state): State<AppState>,
    jar: CookieJar,
    uri: Uri,
    ClientSource(source): ClientSource,
    form: CsrfForm<LoginForm>,
) -> Response {
    let lang = lang_of(&jar);
    let f = form.value;
    let username: String = f.username.chars().take(64).collect();
    let password: String = f.password.chars().take(256).collect();
    match auth::login(&state.store, &state.config.auth, &source, Via::Web, &username, &password).await {
        Ok(out) => {
            let jar =
                jar.add(cookie(&state, SESSION_COOKIE, out.token, SameSite::Lax)).remove(Cookie::from(CSRF_COOKIE));
            let to = if out.user.must_change_password {
                "/account/password".to_string()
            } else {
                safe_next(f.next.as_deref())
            };
            (jar, Redirect::to(&to)).into_response()
        }
        Err(e) => {
            metrics::counter!("pubdata_login_failures_total", "via" => "web").increment(1);
            let e = ApiError::from(e);
            let status = e.status;
            let (jar, csrf) = with_login_csrf(&state, jar);
            let mut ctx = PageCtx::public(lang, lang.t("login.title"), &uri).error(&e);
            ctx.csrf = csrf;
            if let Some(f) = ctx.flash.as_mut() {
                f.text = match e.code {
                    "bad_credentials" => lang.t("login.failed").to_string(),
                    "throttled" => format!("{} ({})", lang.t("login.throttled"), message(lang, &e)),
                    _ => f.text.clone(),
                };
            }
            let page = LoginPage {
                ctx,
                username,
                next: safe_next(f.next.as_deref()),
                registration_open: state.config.registration_open,
            };
            (jar, render_status(status, &page)).into_response()
        }
    }
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn logout(
    State(state): State<AppState>,
    page: Page<perm::Authenticated>,
    jar: CookieJar,
    _form: CsrfForm<Empty>,
) -> Response {
    if let Err(e) = auth::logout(&state.store, &page.caller, page.session).await {
        return super::error_page(page.lang, e.into());
    }
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/").build());
    (jar, done("/login", "logout.done")).into_response()
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    ctx: PageCtx,
    open: bool,
    form: RegisterForm,
}

#[derive(Deserialize, Default)]
pub struct RegisterForm {
    username: String,
    display_name: String,
    password: String,
    password_repeat: String,
    email: String,
    phone: String,
}

pub async fn register_form(State(state): State<AppState>, jar: CookieJar, uri: Uri) -> Response {
    let lang = lang_of(&jar);
    let (jar, csrf) = with_login_csrf(&state, jar);
    let mut ctx = PageCtx::public(lang, lang.t("register.title"), &uri);
    ctx.csrf = csrf;
    let page = RegisterPage { ctx, open: state.config.registration_open, form: RegisterForm::default() };
    (jar, render(&page)).into_response()
}

pub async fn register(
    State(state): State<AppState>,
    jar: CookieJar,
    uri: Uri,
    ClientSource(source): ClientSource,
    form: CsrfForm<RegisterForm>,
) -> Response {
    let lang = lang_of(&jar);
    let mut f = form.value;
    let result = if !state.config.registration_open {
        Err(ApiError::new(StatusCode::FORBIDDEN, "registration_closed", "本平台暂不开放注册", "registration is closed"))
    } else if f.password != f.password_repeat {
        Err(ApiError::invalid("password_repeat", lang.t("password.mismatch"), lang.t("password.mismatch")))
    } else {
        let input = users::Registration {
            username: f.username.clone(),
            display_name: f.display_name.clone(),
            password: f.password.clone(),
            email: Some(f.email.clone()),
            phone: Some(f.phone.clone()),
        };
        users::register_public(&state.store, &source, input).await.map_err(ApiError::from)
    };
    match result {
        Ok(_) => done("/login", "register.done"),
        Err(e) => {
            f.password.clear();
            f.password_repeat.clear();
            let (jar, csrf) = with_login_csrf(&state, jar);
            let mut ctx = PageCtx::public(lang, lang.t("register.title"), &uri).error(&e);
            ctx.csrf = csrf;
            let page = RegisterPage { ctx, open: state.config.registration_open, form: f };
            (jar, render_status(e.status, &page)).into_response()
        }
    }
}

#[derive(Deserialize)]
pub struct BackQuery {
    back: Option<String>,
}

pub async fn switch_lang(
    State(state): State<AppState>,
    jar: CookieJar,
    Path(code): Path<String>,
    Query(q): Query<BackQuery>,
) -> Response {
    let code = if code == "en" { "en" } else { "zh" };
    let c = Cookie::build((LANG_COOKIE, code))
        .path("/")
        .same_site(SameSite::Lax)
        .secure(state.config.cookie_secure)
        .max_age(time::Duration::days(365))
        .build();
    (jar.add(c), Redirect::to(&safe_next(q.back.as_deref()))).into_response()
}
