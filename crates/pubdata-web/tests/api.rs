//! The HTTP API and pages through the real router (in process), on SQLite and PostgreSQL.
//! Test names cite the article whose duty they prove where there is one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::*;
use pubdata_testkit::{TestDb, backend_tests};
use serde_json::{Value, json};

async fn audit_count(db: &TestDb) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_entries").fetch_one(db.store.reader()).await.unwrap();
    n
}

async fn health_ready_and_openapi_are_served(db: &TestDb) {
    let h = harness(db).await;
    assert_eq!(h.call(Method::GET, "/healthz", None, None).await.status, StatusCode::OK);
    assert_eq!(h.call(Method::GET, "/readyz", None, None).await.status, StatusCode::OK);
    let doc = h.call(Method::GET, "/api/v1/openapi.json", None, None).await;
    assert_eq!(doc.status, StatusCode::OK);
    assert!(doc.body["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/auth/login",
        "/users/{id}",
        "/organisations",
        "/tokens/{id}",
        "/audit/verify",
        "/audit/export",
        "/calendar/deadline",
    ] {
        assert!(doc.body["paths"].get(path).is_some(), "OpenAPI lacks {path}");
    }
    let metrics = h.call(Method::GET, "/metrics", None, None).await;
    assert!(metrics.text.contains("pubdata_http_requests_total"), "{}", metrics.text);
    let missing = h.call(Method::GET, "/api/v1/nothing-here", Some(&h.admin), None).await;
    assert_eq!((missing.status, missing.body["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
}

async fn bad_input_gets_a_clear_4xx_and_writes_nothing(db: &TestDb) {
    let h = harness(db).await;
    let before = audit_count(db).await;
    let cases: Vec<(Request<Body>, StatusCode, &str)> = vec![
        (
            Request::post("/api/v1/organisations")
                .header(header::AUTHORIZATION, format!("Bearer {}", h.admin))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{\"name\": "))
                .unwrap(),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            Request::post("/api/v1/organisations")
                .header(header::AUTHORIZATION, format!("Bearer {}", h.admin))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(
                    json!({"parent_id": 1, "kind": "agency", "category": "department", "name": "x局", "colour": "red"})
                        .to_string(),
                ))
                .unwrap(),
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        (
            Request::post("/api/v1/organisations")
                .header(header::AUTHORIZATION, format!("Bearer {}", h.admin))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(
                    json!({"parent_id": 1, "kind": "agency", "category": "department", "name": "局".repeat(65)})
                        .to_string(),
                ))
                .unwrap(),
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        (
            Request::post("/api/v1/organisations")
                .header(header::AUTHORIZATION, format!("Bearer {}", h.admin))
                .body(Body::from("parent_id=1"))
                .unwrap(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            Request::get("/api/v1/users/not-a-number")
                .header(header::AUTHORIZATION, format!("Bearer {}", h.admin))
                .body(Body::empty())
                .unwrap(),
            StatusCode::BAD_REQUEST,
            "invalid_id",
        ),
        (
            Request::post("/api/v1/organisations")
                .header(header::AUTHORIZATION, format!("Bearer {}", h.admin))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(vec![b' '; 2 * 1024 * 1024]))
                .unwrap(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        (
            Request::get("/api/v1/calendar/deadline?from=2026-02-30&working_days=3")
                .header(header::AUTHORIZATION, format!("Bearer {}", h.admin))
                .body(Body::empty())
                .unwrap(),
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
    ];
    for (req, status, code) in cases {
        let r = h.raw(req).await;
        assert_eq!(r.status, status, "{}", r.text);
        if !r.text.is_empty() && r.body != Value::Null {
            assert_eq!(r.body["error"]["code"], code, "{}", r.text);
            assert!(!r.body["error"]["message"].as_str().unwrap_or("").is_empty(), "Chinese message");
            assert!(!r.body["error"]["message_en"].as_str().unwrap_or("").is_empty(), "English message");
        }
    }
    let unknown = h
        .call(
            Method::POST,
            "/api/v1/organisations",
            Some(&h.admin),
            Some(json!({"parent_id": 1, "kind": "agency", "category": "department", "name": "有局", "colour": 1})),
        )
        .await;
    assert_eq!(unknown.body["error"]["field"], "colour");
    assert_eq!(audit_count(db).await, before, "nothing was written");
}

async fn wrong_password_is_generic_counted_and_throttled(db: &TestDb) {
    let h = harness(db).await;
    for _ in 0..5 {
        let r = h
            .call(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": "root", "password": "nope"})))
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.body["error"]["code"], "bad_credentials");
    }
    let unknown =
        h.call(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": "ghost", "password": "nope"}))).await;
    assert_eq!(
        unknown.body,
        h.call(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": "ghost2", "password": "nope"})))
            .await
            .body
    );
    let locked = h
        .call(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": "root", "password": ADMIN_PASSWORD})))
        .await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS, "{}", locked.text);
    assert!(locked.headers.get(header::RETRY_AFTER).is_some());
    let metrics = h.call(Method::GET, "/metrics", None, None).await;
    assert!(metrics.text.contains("pubdata_login_failures_total"));
}

async fn a_refusal_names_the_missing_permission_and_is_audited(db: &TestDb) {
    let h = harness(db).await;
    let org = h.agency("区卫生健康局").await;
    let officer = h.user("officer", org, "agency_data_officer").await;
    let r = h
        .call(
            Method::POST,
            "/api/v1/organisations",
            Some(&officer),
            Some(json!({"parent_id": 1, "kind": "agency", "category": "department", "name": "越权局"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.body["error"]["code"], "forbidden");
    assert_eq!(r.body["error"]["missing_permission"], "org.manage");
    let denials = h.call(Method::GET, "/api/v1/audit/entries?action=access.denied", Some(&h.admin), None).await;
    let entry = &denials.body["entries"][0];
    assert_eq!(entry["actor_username"], "officer");
    assert_eq!(entry["outcome"], "denied");
    assert!(entry["summary"].as_str().unwrap().contains("org.manage"));
    let unauthenticated = h.call(Method::GET, "/api/v1/users", None, None).await;
    assert_eq!(unauthenticated.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unauthenticated.headers.get(header::WWW_AUTHENTICATE).unwrap(), "Bearer");
    let garbage = h.call(Method::GET, "/api/v1/users", Some("pds_not-a-real-token"), None).await;
    assert_eq!(garbage.status, StatusCode::UNAUTHORIZED);
}

async fn art_27_every_state_change_through_the_api_is_audited_with_its_source(db: &TestDb) {
    let h = harness(db).await;
    let before = audit_count(db).await;
    let org = h.agency("区人力社保局").await;
    assert_eq!(audit_count(db).await, before + 1);
    let r = h
        .call(Method::GET, &format!("/api/v1/audit/entries?action=org.create&object_id={org}"), Some(&h.admin), None)
        .await;
    let entry = &r.body["entries"][0];
    assert_eq!(entry["actor_username"], "root");
    assert_eq!(entry["actor_role"], "authority_admin");
    assert!(entry["request_id"].as_str().is_some_and(|id| id.len() >= 32), "{entry}");
    assert!(entry["summary"].as_str().unwrap().contains("区人力社保局"));
    let verify = h.call(Method::POST, "/api/v1/audit/verify", Some(&h.admin), None).await;
    assert_eq!(verify.body["status"], "intact", "{}", verify.text);
}

async fn art_26_agency_admins_manage_only_their_own_agency(db: &TestDb) {
    let h = harness(db).await;
    let a = h.agency("甲局").await;
    let b = h.agency("乙局").await;
    let a_admin = h.user("a-admin", a, "agency_admin").await;
    h.user("b-officer", b, "agency_data_officer").await;
    let listed = h.call(Method::GET, "/api/v1/users", Some(&a_admin), None).await;
    let names: Vec<&str> = listed.body.as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["a-admin"]);
    let other = h
        .call(
            Method::POST,
            "/api/v1/users",
            Some(&a_admin),
            Some(json!({"username": "intruder", "display_name": "x", "org_id": b, "role": "agency_data_officer"})),
        )
        .await;
    assert_eq!(
        (other.status, other.body["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("out_of_scope")),
        "{}",
        other.text
    );
    let created = h
        .call(
            Method::POST,
            "/api/v1/users",
            Some(&a_admin),
            Some(json!({"username": "a-officer", "display_name": "专员", "org_id": a, "role": "agency_data_officer"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let otp = created.body["one_time_password"].as_str().unwrap();
    // The new account must change its generated password before anything else.
    let t = h.login("a-officer", otp).await;
    let blocked = h.call(Method::GET, "/api/v1/organisations", Some(&t), None).await;
    assert_eq!(blocked.body["error"]["code"], "password_change_required");
    let changed = h
        .call(
            Method::POST,
            "/api/v1/auth/password",
            Some(&t),
            Some(json!({"current_password": otp, "new_password": "Fresh-Pass-2026"})),
        )
        .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{}", changed.text);
    assert_eq!(h.call(Method::GET, "/api/v1/organisations", Some(&t), None).await.status, StatusCode::OK);
    let me = h.call(Method::GET, "/api/v1/auth/me", Some(&t), None).await;
    assert_eq!(me.body["organisation"]["name"], "甲局");
    assert!(me.body["permissions"].as_array().unwrap().iter().all(|p| p != "user.manage"));
}

async fn api_tokens_are_shown_once_scoped_and_revocable(db: &TestDb) {
    let h = harness(db).await;
    let created = h
        .call(
            Method::POST,
            "/api/v1/tokens",
            Some(&h.admin),
            Some(json!({"name": "数据同步", "scope": ["org.read"], "expires_in_days": 30})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let secret = created.body["token"].as_str().unwrap().to_string();
    assert!(secret.starts_with("pdt_"));
    let listed = h.call(Method::GET, "/api/v1/tokens", Some(&h.admin), None).await;
    assert!(!listed.text.contains(&secret), "the secret is never listed");
    assert_eq!(h.call(Method::GET, "/api/v1/organisations", Some(&secret), None).await.status, StatusCode::OK);
    let narrowed = h.call(Method::GET, "/api/v1/users", Some(&secret), None).await;
    assert_eq!(narrowed.body["error"]["missing_permission"], "user.read");
    let id = created.body["details"]["id"].as_i64().unwrap();
    assert_eq!(
        h.call(Method::DELETE, &format!("/api/v1/tokens/{id}"), Some(&h.admin), None).await.status,
        StatusCode::OK
    );
    assert_eq!(
        h.call(Method::GET, "/api/v1/organisations", Some(&secret), None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let too_long = h
        .call(Method::POST, "/api/v1/tokens", Some(&h.admin), Some(json!({"name": "x", "expires_in_days": 400})))
        .await;
    assert_eq!(too_long.body["error"]["field"], "expires_in_days");
    let logout = h.call(Method::POST, "/api/v1/auth/logout", Some(&h.admin), None).await;
    assert_eq!(logout.status, StatusCode::NO_CONTENT);
    assert_eq!(h.call(Method::GET, "/api/v1/auth/me", Some(&h.admin), None).await.status, StatusCode::UNAUTHORIZED);
}

async fn deadlines_are_counted_in_working_days_and_the_authority_edits_the_calendar(db: &TestDb) {
    let h = harness(db).await;
    let d = h.call(Method::GET, "/api/v1/calendar/deadline?from=2026-09-29&working_days=5", Some(&h.admin), None).await;
    assert_eq!(d.body["deadline"], "2026-10-12", "{}", d.text);
    assert!(d.body["warning"].is_null());
    let uncovered =
        h.call(Method::GET, "/api/v1/calendar/deadline?from=2026-12-29&working_days=5", Some(&h.admin), None).await;
    assert!(uncovered.body["warning"].as_str().unwrap().contains("2027"));
    let between =
        h.call(Method::GET, "/api/v1/calendar/working-days?from=2026-01-01&to=2026-12-31", Some(&h.admin), None).await;
    // 1 January is a holiday, so counting from it loses nothing: all 248 working days of 2026.
    assert_eq!(between.body["working_days"], 248, "{}", between.text);
    let org = h.agency("区税务局").await;
    let officer = h.user("tax-officer", org, "agency_data_officer").await;
    let refused = h
        .call(
            Method::PUT,
            "/api/v1/calendar/days/2027-01-01",
            Some(&officer),
            Some(json!({"kind": "holiday", "name": "元旦"})),
        )
        .await;
    assert_eq!(refused.body["error"]["missing_permission"], "calendar.manage");
    let set = h
        .call(
            Method::PUT,
            "/api/v1/calendar/days/2027-01-01",
            Some(&h.admin),
            Some(json!({"kind": "holiday", "name": "元旦"})),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    let year = h.call(Method::GET, "/api/v1/calendar/2027", Some(&officer), None).await;
    assert_eq!(year.body["days"][0]["name"], "元旦");
    assert_eq!(year.body["entered"], false);
    let weekday_workday = h
        .call(
            Method::PUT,
            "/api/v1/calendar/days/2027-01-05",
            Some(&h.admin),
            Some(json!({"kind": "workday", "name": "x"})),
        )
        .await;
    assert_eq!(weekday_workday.body["error"]["field"], "kind");
}

async fn art_27_supervisors_export_json_lines_that_verify(db: &TestDb) {
    let h = harness(db).await;
    let org = h.agency("网信办").await;
    let supervisor = h.user("inspector", org, "supervisor").await;
    let r = h.call(Method::GET, "/api/v1/audit/export?since=2020-01-01", Some(&supervisor), None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers.get(header::CONTENT_TYPE).unwrap(), "application/x-ndjson; charset=utf-8");
    let lines: Vec<Value> = r.text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(lines.len() > 5);
    for pair in lines.windows(2) {
        assert_eq!(pair[1]["prev_hash"], pair[0]["hash"], "consecutive entries link");
        assert_eq!(pair[1]["seq"].as_i64().unwrap(), pair[0]["seq"].as_i64().unwrap() + 1);
    }
    let changed = h
        .call(
            Method::POST,
            "/api/v1/organisations",
            Some(&supervisor),
            Some(json!({"parent_id": 1, "kind": "agency", "category": "department", "name": "某局"})),
        )
        .await;
    assert_eq!(changed.status, StatusCode::FORBIDDEN, "supervisors are read-only");
}

// ---- pages ----

async fn pages_log_in_with_a_safe_cookie_and_show_the_role_home(db: &TestDb) {
    let h = harness(db).await;
    let anonymous = page(&h, "/admin/users", "").await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert_eq!(anonymous.headers.get(header::LOCATION).unwrap(), "/login?next=%2Fadmin%2Fusers");
    let form = page(&h, "/login", "").await;
    assert!(form.text.contains("登录"), "Chinese by default");
    let csrf = cookie_value(&form.headers, "pubdata_csrf").unwrap();
    let no_csrf = post_form(&h, "/login", "", &[("username", "root"), ("password", ADMIN_PASSWORD)]).await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
    let wrong = post_form(
        &h,
        "/login",
        &format!("pubdata_csrf={csrf}"),
        &[("csrf", &csrf), ("username", "root"), ("password", "wrong")],
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.text.contains("用户名或密码错误"));
    let ok = post_form(
        &h,
        "/login",
        &format!("pubdata_csrf={csrf}"),
        &[("csrf", &csrf), ("username", "root"), ("password", ADMIN_PASSWORD), ("next", "//evil.example/")],
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(ok.headers.get(header::LOCATION).unwrap(), "/", "no open redirect");
    let sc = set_cookie(&ok.headers, "pubdata_session");
    assert!(sc.contains("HttpOnly") && sc.contains("SameSite=Lax") && sc.contains("Path=/"), "{sc}");
    let session = format!("pubdata_session={}", cookie_value(&ok.headers, "pubdata_session").unwrap());
    let home = page(&h, "/", &session).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.text.contains("主管部门管理员"), "role home");
    assert!(home.text.contains("href=\"/admin/users\""), "admin navigation");
    assert_eq!(home.headers.get(header::X_FRAME_OPTIONS).unwrap(), "DENY");
    assert!(home.headers.get(header::CONTENT_SECURITY_POLICY).is_some());
    let english = page(&h, "/", &format!("{session}; pubdata_lang=en")).await;
    assert!(english.text.contains("Authority administrator"));
    for path in [
        "/admin/organisations",
        "/admin/users",
        "/admin/users/new",
        "/audit",
        "/calendar?year=2026",
        "/account/tokens",
        "/account/password",
        "/admin/organisations/1",
        "/admin/users/1",
    ] {
        let r = page(&h, path, &session).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
    }
    assert_eq!(page(&h, "/no/such/page", &session).await.status, StatusCode::NOT_FOUND);
}

async fn page_forms_need_the_session_csrf_token(db: &TestDb) {
    let h = harness(db).await;
    let session = web_login(&h, "root", ADMIN_PASSWORD).await;
    let home = page(&h, "/admin/organisations", &session).await;
    let token = home.text.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let form = [
        ("parent_id", "1"),
        ("kind", "agency"),
        ("category", "utility"),
        ("name", "区自来水公司"),
        ("name_en", ""),
        ("credit_code", ""),
    ];
    let forged = post_form(&h, "/admin/organisations", &session, &form).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "no token, no change");
    let mut with = form.to_vec();
    with.push(("csrf", &token));
    let created = post_form(&h, "/admin/organisations", &session, &with).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.text);
    let shown = page(&h, created.headers.get(header::LOCATION).unwrap().to_str().unwrap(), &session).await;
    assert!(shown.text.contains("区自来水公司") && shown.text.contains("组织已创建"), "{}", shown.text);
    let bad_code = [
        ("parent_id", "1"),
        ("kind", "agency"),
        ("category", "utility"),
        ("name", "区燃气公司"),
        ("name_en", ""),
        ("credit_code", "91350100M000100Y44"),
        ("csrf", token.as_str()),
    ];
    let refused = post_form(&h, "/admin/organisations", &session, &bad_code).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.text.contains("校验位"), "the form names the reason");
    let logout = post_form(&h, "/logout", &session, &[("csrf", &token)]).await;
    assert_eq!(logout.status, StatusCode::SEE_OTHER);
    assert_eq!(page(&h, "/", &session).await.status, StatusCode::SEE_OTHER, "the session ended");
}

async fn pages_refuse_what_the_role_lacks_and_say_which_permission(db: &TestDb) {
    let h = harness(db).await;
    let org = h.agency("区公安分局").await;
    h.user("pc-officer", org, "agency_data_officer").await;
    let session = web_login(&h, "pc-officer", "User-Test-2026").await;
    let home = page(&h, "/", &session).await;
    assert!(home.text.contains("单位数据专员"));
    assert!(!home.text.contains("href=\"/audit\""), "no audit link for a data officer");
    let audit = page(&h, "/audit", &session).await;
    assert_eq!(audit.status, StatusCode::FORBIDDEN);
    assert!(audit.text.contains("audit.read"));
}

backend_tests!(
    health_ready_and_openapi_are_served,
    bad_input_gets_a_clear_4xx_and_writes_nothing,
    wrong_password_is_generic_counted_and_throttled,
    a_refusal_names_the_missing_permission_and_is_audited,
    art_27_every_state_change_through_the_api_is_audited_with_its_source,
    art_26_agency_admins_manage_only_their_own_agency,
    api_tokens_are_shown_once_scoped_and_revocable,
    deadlines_are_counted_in_working_days_and_the_authority_edits_the_calendar,
    art_27_supervisors_export_json_lines_that_verify,
    pages_log_in_with_a_safe_cookie_and_show_the_role_home,
    page_forms_need_the_session_csrf_token,
    pages_refuse_what_the_role_lacks_and_say_which_permission,
);
