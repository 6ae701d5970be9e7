//! Test support for the HTTP suites: the app on a fresh database, requests through the real
//! router in process, and page helpers (cookies, CSRF).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use pubdata_store::bootstrap;
use pubdata_testkit::TestDb;
use pubdata_web::{AppState, WebConfig, app};
use serde_json::{Value, json};
use tower::ServiceExt;

pub const ADMIN_PASSWORD: &str = "Admin-Test-2026";

pub struct Harness {
    pub app: Router,
    pub admin: String,
    /// The application's state, e.g. to flush the sharing channel's usage counts.
    pub state: AppState,
}

pub async fn harness(db: &TestDb) -> Harness {
    harness_with(db, WebConfig::default()).await
}

/// The app with `config` (e.g. configured sharing settings).
pub async fn harness_with(db: &TestDb, config: WebConfig) -> Harness {
    bootstrap::admin_init(&db.store, "root", ADMIN_PASSWORD).await.unwrap();
    let state = AppState::open(db.store.clone(), config, None).await.unwrap();
    let mut h = Harness { app: app(state.clone()), admin: String::new(), state };
    h.admin = h.login("root", ADMIN_PASSWORD).await;
    h
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Harness {
    pub async fn raw(&self, request: Request<Body>) -> Reply {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).to_string();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply { status, headers, body, text }
    }

    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match body {
            Some(b) => req.header(header::CONTENT_TYPE, "application/json").body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        };
        self.raw(req.unwrap()).await
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        let r = self
            .call(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": username, "password": password})))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.body["token"].as_str().unwrap().to_string()
    }

    pub async fn agency(&self, name: &str) -> i64 {
        let r = self
            .call(
                Method::POST,
                "/api/v1/organisations",
                Some(&self.admin),
                Some(json!({"parent_id": 1, "kind": "agency", "category": "department", "name": name})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.body["id"].as_i64().unwrap()
    }

    /// Creates a user with a known password and returns a bearer token for them.
    pub async fn user(&self, username: &str, org: i64, role: &str) -> String {
        let body = json!({"username": username, "display_name": username, "org_id": org, "role": role, "password": "User-Test-2026"});
        let r = self.call(Method::POST, "/api/v1/users", Some(&self.admin), Some(body)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        self.login(username, "User-Test-2026").await
    }
}

// ---- pages ----

pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v[name.len() + 1..].split(';').next().unwrap_or("").to_string())
}

pub fn set_cookie(headers: &HeaderMap, name: &str) -> String {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .unwrap_or("")
        .to_string()
}

pub async fn page(h: &Harness, path: &str, cookies: &str) -> Reply {
    h.raw(Request::get(path).header(header::COOKIE, cookies).body(Body::empty()).unwrap()).await
}

pub async fn post_form(h: &Harness, path: &str, cookies: &str, form: &[(&str, &str)]) -> Reply {
    let body = serde_urlencoded::to_string(form).unwrap();
    h.raw(
        Request::post(path)
            .header(header::COOKIE, cookies)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap(),
    )
    .await
}

pub async fn web_login(h: &Harness, username: &str, password: &str) -> String {
    let form = page(h, "/login", "").await;
    let csrf = cookie_value(&form.headers, "pubdata_csrf").unwrap();
    let r = post_form(
        h,
        "/login",
        &format!("pubdata_csrf={csrf}"),
        &[("csrf", &csrf), ("username", username), ("password", password), ("next", "/")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    format!("pubdata_session={}", cookie_value(&r.headers, "pubdata_session").unwrap())
}

/// A valid 18-digit 居民身份证号码 (GB 11643 check character), distinct for each `n` < 1000.
pub fn id_number(n: u32) -> String {
    let base = format!("33021219800101{n:03}");
    let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = base.chars().zip(weights).map(|(c, w)| c.to_digit(10).unwrap() * w).sum();
    let check = "10X98765432".chars().nth((sum % 11) as usize).unwrap();
    format!("{base}{check}")
}

/// A mobile number, distinct for each `n` < 10,000.
pub fn mobile(n: u32) -> String {
    format!("1380000{n:04}")
}

/// A catalog data item of type string as the API takes it.
pub fn item(code: &str, name: &str, level: &str, key: bool) -> Value {
    json!({"code": code, "name": name, "type": "string", "length": 50, "level": level, "required": key, "unique_key": key})
}
