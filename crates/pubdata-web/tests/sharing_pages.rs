//! The sharing pages (Art.13-16) through the real router, on SQLite and PostgreSQL: a request
//! made from the catalog, reviewed by the provider, the grant shown and suspended; data that is
//! not shared shows its legal basis and the demand route; a client application's secret shown
//! once on registration and on rotation; forms post with CSRF, name the field
//! of each problem, and another agency neither sees nor decides.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::{Method, StatusCode, header};
use common::*;
use pubdata_testkit::{TestDb, backend_tests};
use serde_json::{Value, json};

const PASSWORD: &str = "User-Test-2026";

struct Setup {
    h: Harness,
    police: i64,
    police_officer: String,
    staff: String,
}

async fn setup(db: &TestDb) -> Setup {
    let h = harness(db).await;
    let civil = h.agency("区民政局").await;
    let police = h.agency("区公安分局").await;
    let tax = h.agency("区税务局").await;
    h.user("civil-officer", civil, "agency_data_officer").await;
    let police_officer = h.user("police-officer", police, "agency_data_officer").await;
    h.user("tax-officer", tax, "agency_data_officer").await;
    let staff = h.user("coordinator", 1, "authority_staff").await;
    Setup { h, police, police_officer, staff }
}

/// The police's population register, published with `share`.
async fn population(s: &Setup, share: Value) -> i64 {
    let doc = json!({
        "name": "户籍人口基本信息", "business_name": "户籍管理", "source_system": "人口信息系统", "description": "",
        "provider_org_id": s.police, "category": "civil_affairs", "level": "L4", "storage_format": "database_table",
        "share": share, "open": {"kind": "prohibited", "reason": "personal_or_commercial"}, "delivery": ["api"],
        "update_cycle": "daily", "share_term": {"kind": "long_term"}, "contact_name": "李警官",
        "contact_phone": "0574-87001110",
        "items": [item("id_number", "身份证号", "L4", true), item("name", "姓名", "L3", false), item("district", "所属区县", "L1", false)]
    });
    let r =
        s.h.call(Method::POST, "/api/v1/catalog/resources", Some(&s.police_officer), Some(json!({"document": doc})))
            .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_i64().unwrap();
    for (who, action) in [(&s.police_officer, "submit"), (&s.staff, "approve"), (&s.staff, "publish")] {
        let body = json!({"action": action, "overlap_justification": "本单位登记数据"});
        let r = s.h.call(Method::POST, &format!("/api/v1/catalog/resources/{id}/review"), Some(who), Some(body)).await;
        assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.text);
    }
    id
}

fn csrf_of(text: &str) -> String {
    text.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string()
}

fn location(r: &Reply) -> String {
    r.headers.get(header::LOCATION).unwrap().to_str().unwrap().to_string()
}

async fn post(h: &Harness, path: &str, session: &str, fields: &[(&str, &str)]) -> Reply {
    post_form(h, path, session, fields).await
}

async fn art_14_a_restricted_request_is_reviewed_through_the_pages(db: &TestDb) {
    let s = setup(db).await;
    let share = json!({"kind": "restricted", "reason": "含个人信息", "conditions": "仅限社会救助核查"});
    let resource = population(&s, share).await;
    let consumer = web_login(&s.h, "civil-officer", PASSWORD).await;
    let home = page(&s.h, "/", &consumer).await;
    assert!(home.text.contains("href=\"/sharing/requests\""), "the nav offers sharing");
    let catalog = page(&s.h, &format!("/catalog/{resource}"), &consumer).await;
    let new = format!("/sharing/requests/new?resource_id={resource}");
    assert!(catalog.text.contains(&format!("href=\"{new}\" id=\"request-sharing\"")), "{}", catalog.text);
    let form = page(&s.h, &new, &consumer).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text);
    assert!(form.text.contains("id=\"item-id_number\"") && form.text.contains("仅限社会救助核查"));
    assert!(form.text.contains("id=\"raw-name\"") && !form.text.contains("id=\"raw-district\""), "raw values: L3/L4");
    let csrf = csrf_of(&form.text);
    let mut fields = vec![
        ("items", "id_number"),
        ("items", "name"),
        ("scenario", ""),
        ("scenario_category", "social_assistance"),
        ("legal_duty", "《社会救助暂行办法》第十一条"),
        ("delivery", "api"),
        ("end_date", "2027-06-30"),
        ("keyed_only", "1"),
    ];
    assert_eq!(post(&s.h, &new, &consumer, &fields).await.status, StatusCode::FORBIDDEN, "no CSRF token");
    fields.push(("csrf", &csrf));
    let r = post(&s.h, &new, &consumer, &fields).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(r.text.contains("<span class=\"field-error\" data-field=\"scenario\">"), "{}", r.text);
    assert!(r.text.contains("《社会救助暂行办法》第十一条"), "what was typed is kept");
    assert!(r.text.contains("id=\"item-name\" checked"), "the chosen items stay chosen");
    fields[2] = ("scenario", "最低生活保障申请家庭户籍核查");
    let r = post(&s.h, &new, &consumer, &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let at = location(&r);
    assert!(at.ends_with("?flash=sharing.requested"), "{at}");
    let path = at.split('?').next().unwrap().to_string();
    let mine = page(&s.h, &path, &consumer).await;
    assert!(mine.text.contains("data-state=\"pending_review\"") && mine.text.contains("id=\"review-due\""));
    assert!(!mine.text.contains("id=\"step-review\""), "the consumer does not review its own request");
    let consumer_csrf = csrf_of(&mine.text);
    let approve = [("csrf", consumer_csrf.as_str()), ("decision", "approve"), ("reason", "")];
    let r = post(&s.h, &format!("{path}/review"), &consumer, &approve).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);

    // Another agency neither sees nor reviews it.
    let tax = web_login(&s.h, "tax-officer", PASSWORD).await;
    assert_eq!(page(&s.h, &path, &tax).await.status, StatusCode::NOT_FOUND);
    let tax_list = page(&s.h, "/sharing/requests?tab=incoming", &tax).await;
    assert!(!tax_list.text.contains(&format!("href=\"{path}\"")));
    let tax_csrf = csrf_of(&page(&s.h, "/sharing/requests", &tax).await.text);
    let r = post(&s.h, &format!("{path}/review"), &tax, &[("csrf", &tax_csrf), ("decision", "approve")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);

    // The provider: listed as incoming, refusal needs a reason, then approves narrower items.
    let provider = web_login(&s.h, "police-officer", PASSWORD).await;
    let incoming = page(&s.h, "/sharing/requests?tab=incoming", &provider).await;
    assert!(incoming.text.contains(&format!("href=\"{path}\"")), "{}", incoming.text);
    let theirs = page(&s.h, &path, &provider).await;
    assert!(theirs.text.contains("id=\"step-review\""), "{}", theirs.text);
    let provider_csrf = csrf_of(&theirs.text);
    let refuse = [("csrf", provider_csrf.as_str()), ("decision", "refuse"), ("reason", " ")];
    let r = post(&s.h, &format!("{path}/review"), &provider, &refuse).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(r.text.contains("<span class=\"field-error\" data-field=\"reason\">"), "{}", r.text);
    let approve =
        [("csrf", provider_csrf.as_str()), ("decision", "approve"), ("items", "id_number"), ("reason", "同意")];
    let r = post(&s.h, &format!("{path}/review"), &provider, &approve).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let decided = page(&s.h, &path, &consumer).await;
    assert!(decided.text.contains("data-state=\"granted\"") && decided.text.contains("id=\"grant-link\""));
    let grant = decided.text.split("href=\"/sharing/grants/").nth(1).unwrap().split('"').next().unwrap().to_string();
    let gpath = format!("/sharing/grants/{grant}");

    // The grant: the consumer holds it, with only the approved item; the provider suspends it.
    let held = page(&s.h, "/sharing/grants?tab=held", &consumer).await;
    assert!(held.text.contains(&format!("href=\"{gpath}\"")), "{}", held.text);
    let g = page(&s.h, &gpath, &consumer).await;
    let items = g.text.split("id=\"grant-items\"").nth(1).unwrap().split("</dd>").next().unwrap();
    assert!(items.contains("id_number") && !items.contains(">name<"), "{items}");
    assert!(!g.text.contains("id=\"grant-action-suspend\""), "the consumer cannot suspend");
    assert!(g.text.contains("id=\"grant-usage\"") && g.text.contains("id=\"usage-none\""), "no calls yet");
    assert_eq!(page(&s.h, &gpath, &tax).await.status, StatusCode::NOT_FOUND);
    let suspend = format!("{gpath}/suspend");
    let r = post(&s.h, &suspend, &consumer, &[("csrf", &consumer_csrf), ("reason", "自行暂停")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let given = page(&s.h, &gpath, &provider).await;
    assert!(given.text.contains("id=\"grant-action-suspend\""));
    let r = post(&s.h, &suspend, &provider, &[("csrf", &provider_csrf), ("reason", "")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(r.text.contains("<span class=\"field-error\" data-field=\"reason\">"), "{}", r.text);
    let r = post(&s.h, &suspend, &provider, &[("csrf", &provider_csrf), ("reason", "调用异常，核查中")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let after = page(&s.h, &location(&r), &consumer).await;
    assert!(after.text.contains("data-state=\"suspended\"") && after.text.contains("调用异常，核查中"));
}

async fn art_14_not_shared_data_shows_its_legal_basis_and_the_demand_route_on_the_pages(db: &TestDb) {
    let s = setup(db).await;
    let basis = "《中华人民共和国居民身份证法》第六条";
    let resource = population(&s, json!({"kind": "not_shared", "legal_basis": basis})).await;
    let consumer = web_login(&s.h, "civil-officer", PASSWORD).await;
    let form = page(&s.h, &format!("/sharing/requests/new?resource_id={resource}"), &consumer).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text);
    assert!(form.text.contains("id=\"refusal\"") && form.text.contains(basis), "{}", form.text);
    assert!(form.text.contains(&format!("href=\"/demands/new?resource_id={resource}\" id=\"demand-route\"")));
    assert!(!form.text.contains("id=\"request-form\""), "no form for data that is not shared");
    let english =
        page(&s.h, &format!("/sharing/requests/new?resource_id={resource}"), &format!("{consumer}; pubdata_lang=en"))
            .await;
    assert!(english.text.contains("This resource is not shared"));
}

fn code_in(text: &str, id: &str) -> String {
    text.split(&format!("<code id=\"{id}\">")).nth(1).unwrap().split('<').next().unwrap().to_string()
}

async fn art_15_a_client_app_secret_is_shown_once_on_the_page(db: &TestDb) {
    let s = setup(db).await;
    let consumer = web_login(&s.h, "civil-officer", PASSWORD).await;
    let list = page(&s.h, "/sharing/apps", &consumer).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    assert!(list.text.contains("id=\"app-form\""));
    let csrf = csrf_of(&list.text);
    let mut fields =
        vec![("name", ""), ("description", "低保核查系统调用户籍核查接口"), ("contact", "王工 0574-87000000")];
    assert_eq!(post(&s.h, "/sharing/apps", &consumer, &fields).await.status, StatusCode::FORBIDDEN, "no CSRF");
    fields.push(("csrf", &csrf));
    let r = post(&s.h, "/sharing/apps", &consumer, &fields).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(r.text.contains("<span class=\"field-error\" data-field=\"name\">"), "{}", r.text);
    assert!(r.text.contains("王工 0574-87000000"), "what was typed is kept");
    fields[0] = ("name", "社会救助核查系统");
    let r = post(&s.h, "/sharing/apps", &consumer, &fields).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("id=\"secret-warning\""));
    assert_eq!(r.headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
    let (key, secret) = (code_in(&r.text, "app-key"), code_in(&r.text, "app-secret"));
    assert!(!key.is_empty() && secret.len() >= 16, "{key} {secret}");

    // Listed with its key, never with its secret.
    let list = page(&s.h, "/sharing/apps", &consumer).await;
    assert!(list.text.contains(&key) && !list.text.contains(&secret));
    let id = list.text.split("<tr id=\"app-").nth(1).unwrap().split('"').next().unwrap().to_string();

    // Another agency neither sees it nor rotates it.
    let tax = web_login(&s.h, "tax-officer", PASSWORD).await;
    let theirs = page(&s.h, "/sharing/apps", &tax).await;
    assert!(!theirs.text.contains(&key));
    let tax_csrf = csrf_of(&theirs.text);
    let r = post(&s.h, &format!("/sharing/apps/{id}/rotate"), &tax, &[("csrf", &tax_csrf)]).await;
    assert!(r.status == StatusCode::NOT_FOUND || r.status == StatusCode::FORBIDDEN, "{}", r.status);
    assert!(!r.text.contains("id=\"app-secret\""));

    // Rotation shows a new secret once; the previous one can be retired; disabling needs a reason.
    let r = post(&s.h, &format!("/sharing/apps/{id}/rotate"), &consumer, &[("csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let rotated = code_in(&r.text, "app-secret");
    assert!(rotated != secret && code_in(&r.text, "app-key") == key);
    let list = page(&s.h, "/sharing/apps", &consumer).await;
    assert!(!list.text.contains(&rotated));
    let r = post(&s.h, &format!("/sharing/apps/{id}/retire-previous"), &consumer, &[("csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let r = post(&s.h, &format!("/sharing/apps/{id}/disable"), &consumer, &[("csrf", &csrf), ("reason", "")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(r.text.contains(&format!("data-field=\"app-{id}\"")), "{}", r.text);
    let r =
        post(&s.h, &format!("/sharing/apps/{id}/disable"), &consumer, &[("csrf", &csrf), ("reason", "系统下线")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let list = page(&s.h, "/sharing/apps", &consumer).await;
    assert!(list.text.contains("data-state=\"disabled\"") && list.text.contains("系统下线"));
    let r = post(&s.h, &format!("/sharing/apps/{id}/rotate"), &consumer, &[("csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "a disabled application gets no new secret");
}

async fn art_14_the_authority_arbitrates_a_refusal_through_the_pages(db: &TestDb) {
    let s = setup(db).await;
    let share = json!({"kind": "restricted", "reason": "含个人信息", "conditions": "仅限社会救助核查"});
    let resource = population(&s, share).await;
    let consumer = web_login(&s.h, "civil-officer", PASSWORD).await;
    let new = format!("/sharing/requests/new?resource_id={resource}");
    let csrf = csrf_of(&page(&s.h, &new, &consumer).await.text);
    let fields = [
        ("csrf", csrf.as_str()),
        ("items", "id_number"),
        ("scenario", "最低生活保障申请家庭户籍核查"),
        ("scenario_category", "social_assistance"),
        ("legal_duty", "《社会救助暂行办法》第十一条"),
        ("delivery", "api"),
        ("end_date", "2027-06-30"),
    ];
    let r = post(&s.h, &new, &consumer, &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let path = location(&r).split('?').next().unwrap().to_string();

    let provider = web_login(&s.h, "police-officer", PASSWORD).await;
    let provider_csrf = csrf_of(&page(&s.h, &path, &provider).await.text);
    let refuse = [("csrf", provider_csrf.as_str()), ("decision", "refuse"), ("reason", "场景与共享条件不符")];
    assert_eq!(post(&s.h, &format!("{path}/review"), &provider, &refuse).await.status, StatusCode::SEE_OTHER);
    let refused = page(&s.h, &path, &consumer).await;
    assert!(refused.text.contains("data-state=\"refused\"") && refused.text.contains("场景与共享条件不符"));
    assert!(!refused.text.contains("id=\"step-arbitrate\""), "only the authority arbitrates");

    // The authority: all requests, none overdue yet, and the arbitration form on the refused one.
    let staff = web_login(&s.h, "coordinator", PASSWORD).await;
    let all = page(&s.h, "/sharing/requests", &staff).await;
    assert!(all.text.contains("data-tab=\"all\"") && all.text.contains(&format!("href=\"{path}\"")));
    let overdue = page(&s.h, "/sharing/requests?tab=all&overdue=1", &staff).await;
    assert!(!overdue.text.contains(&format!("href=\"{path}\"")), "a decided request is not overdue");
    let theirs = page(&s.h, &path, &staff).await;
    assert!(theirs.text.contains("id=\"step-arbitrate\"") && !theirs.text.contains("id=\"step-review\""));
    let staff_csrf = csrf_of(&theirs.text);
    let undecided = [("csrf", staff_csrf.as_str()), ("reason", "")];
    let r = post(&s.h, &format!("{path}/arbitrate"), &staff, &undecided).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(r.text.contains("<span class=\"field-error\" data-field=\"decision\">"), "{}", r.text);
    let consumer_csrf = csrf_of(&refused.text);
    let approve = [("csrf", consumer_csrf.as_str()), ("decision", "approve")];
    let r = post(&s.h, &format!("{path}/arbitrate"), &consumer, &approve).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let approve = [("csrf", staff_csrf.as_str()), ("decision", "approve"), ("reason", "属履职必需")];
    let r = post(&s.h, &format!("{path}/arbitrate"), &staff, &approve).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let granted = page(&s.h, &path, &consumer).await;
    assert!(
        granted.text.contains("data-state=\"granted\"")
            && granted.text.contains("id=\"arbitration-decision\" data-decision=\"approve\"")
    );
}

async fn art_16_the_authority_sets_an_apps_rate_and_quota_on_its_page(db: &TestDb) {
    let s = setup(db).await;
    let consumer = web_login(&s.h, "civil-officer", PASSWORD).await;
    let list = page(&s.h, "/sharing/apps", &consumer).await;
    let csrf = csrf_of(&list.text);
    let fields = [
        ("csrf", csrf.as_str()),
        ("name", "社会救助核查系统"),
        ("description", "调用户籍核查接口"),
        ("contact", "王工"),
    ];
    assert_eq!(post(&s.h, "/sharing/apps", &consumer, &fields).await.status, StatusCode::OK);
    let list = page(&s.h, "/sharing/apps", &consumer).await;
    let id = list.text.split("<tr id=\"app-").nth(1).unwrap().split('"').next().unwrap().to_string();
    assert!(
        list.text.contains("data-rate=\"50\" data-quota=\"100000\" data-today=\"0\""),
        "the defaults: {}",
        list.text
    );
    assert!(!list.text.contains("class=\"inline limits-form\""), "an agency does not set its own limits");
    let r =
        post(&s.h, &format!("/sharing/apps/{id}/limits"), &consumer, &[("csrf", &csrf), ("rate_per_second", "500")])
            .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);

    let admin = web_login(&s.h, "root", ADMIN_PASSWORD).await;
    let list = page(&s.h, "/sharing/apps", &admin).await;
    assert!(list.text.contains(&format!("id=\"limits-{id}\"")), "{}", list.text);
    let admin_csrf = csrf_of(&list.text);
    let path = format!("/sharing/apps/{id}/limits");
    let r = post(&s.h, &path, &admin, &[("csrf", &admin_csrf), ("rate_per_second", "五"), ("daily_quota", "")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(r.text.contains(&format!("data-field=\"app-{id}\"")) && r.text.contains("正整数"), "{}", r.text);
    let r = post(&s.h, &path, &admin, &[("csrf", &admin_csrf), ("rate_per_second", "5"), ("daily_quota", "")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let list = page(&s.h, "/sharing/apps", &consumer).await;
    assert!(list.text.contains("data-rate=\"5\" data-quota=\"100000\""), "{}", list.text);
}

backend_tests!(
    art_16_the_authority_sets_an_apps_rate_and_quota_on_its_page,
    art_14_a_restricted_request_is_reviewed_through_the_pages,
    art_14_not_shared_data_shows_its_legal_basis_and_the_demand_route_on_the_pages,
    art_14_the_authority_arbitrates_a_refusal_through_the_pages,
    art_15_a_client_app_secret_is_shown_once_on_the_page,
);
