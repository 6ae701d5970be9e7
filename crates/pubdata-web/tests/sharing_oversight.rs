//! Sharing's oversight through the real router, on SQLite and PostgreSQL: the configured review
//! deadline (Art.14), the periodic re-evaluation of share attributes through the API and its
//! page (Art.14), the authority's confirmation of a resource repeating granted data from its
//! page (Art.7), and a supervisor's read-only way into sharing (Art.5).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::{Method, StatusCode, header};
use common::*;
use pubdata_domain::sharing::add_months;
use pubdata_domain::timefmt;
use pubdata_store::sharing::SharingSettings;
use pubdata_testkit::{TestDb, backend_tests};
use pubdata_web::WebConfig;
use serde_json::{Value, json};
use time::Date;

const PASSWORD: &str = "User-Test-2026";

struct Setup {
    h: Harness,
    civil: i64,
    police: i64,
    civil_officer: String,
    police_officer: String,
    staff: String,
    supervisor: String,
}

async fn setup_with(db: &TestDb, config: WebConfig) -> Setup {
    let h = harness_with(db, config).await;
    let civil = h.agency("区民政局").await;
    let police = h.agency("区公安分局").await;
    let supervising = h.agency("区委网信办").await;
    let civil_officer = h.user("civil-officer", civil, "agency_data_officer").await;
    let police_officer = h.user("police-officer", police, "agency_data_officer").await;
    let staff = h.user("coordinator", 1, "authority_staff").await;
    let supervisor = h.user("watcher", supervising, "supervisor").await;
    Setup { h, civil, police, civil_officer, police_officer, staff, supervisor }
}

async fn setup(db: &TestDb) -> Setup {
    setup_with(db, WebConfig::default()).await
}

fn document(provider: i64, name: &str, share: Value, items: Vec<Value>) -> Value {
    json!({
        "name": name, "business_name": "户籍管理", "source_system": "人口信息系统", "description": "",
        "provider_org_id": provider, "category": "civil_affairs", "level": "L4", "storage_format": "database_table",
        "share": share, "open": {"kind": "prohibited", "reason": "personal_or_commercial"}, "delivery": ["api"],
        "update_cycle": "daily", "share_term": {"kind": "long_term"}, "contact_name": "李警官",
        "contact_phone": "0574-87001110", "items": items
    })
}

async fn register(s: &Setup, who: &str, doc: Value) -> i64 {
    let r = s.h.call(Method::POST, "/api/v1/catalog/resources", Some(who), Some(json!({"document": doc}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["id"].as_i64().unwrap()
}

async fn step(s: &Setup, who: &str, id: i64, action: &str) -> Reply {
    let body = json!({"action": action, "overlap_justification": "本单位登记数据"});
    s.h.call(Method::POST, &format!("/api/v1/catalog/resources/{id}/review"), Some(who), Some(body)).await
}

/// The police's population register, published with `share`.
async fn population(s: &Setup, share: Value) -> i64 {
    let items = vec![item("id_number", "身份证号", "L4", true), item("name", "姓名", "L3", false)];
    let id = register(s, &s.police_officer, document(s.police, "户籍人口基本信息", share, items)).await;
    for (who, action) in [(&s.police_officer, "submit"), (&s.staff, "approve"), (&s.staff, "publish")] {
        let r = step(s, who, id, action).await;
        assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.text);
    }
    id
}

fn restricted() -> Value {
    json!({"kind": "restricted", "reason": "含个人信息", "conditions": "仅限社会救助核查"})
}

fn request(resource: i64) -> Value {
    json!({
        "resource_id": resource, "items": ["id_number", "name"], "scenario": "最低生活保障申请家庭户籍核查",
        "scenario_category": "social_assistance", "legal_duty": "《社会救助暂行办法》第十一条", "delivery": "api",
        "end_date": "2027-06-30"
    })
}

fn today() -> Date {
    timefmt::district_date(timefmt::now())
}

fn csrf_of(text: &str) -> String {
    text.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string()
}

fn location(r: &Reply) -> String {
    r.headers.get(header::LOCATION).unwrap().to_str().unwrap().to_string()
}

async fn art_14_a_configured_review_deadline_sets_a_new_requests_due_date(db: &TestDb) {
    let ten = SharingSettings { review_working_days: 10, ..SharingSettings::default() };
    let s = setup_with(db, WebConfig { sharing: ten, ..WebConfig::default() }).await;
    let resource = population(&s, restricted()).await;
    let r = s.h.call(Method::POST, "/api/v1/share-requests", Some(&s.civil_officer), Some(request(resource))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let cal = pubdata_store::calendar::load(&db.store).await.unwrap();
    let due = timefmt::format_date(cal.add_working_days(today(), 10));
    assert_eq!(r.body["review_due"]["due_on"], due.as_str(), "ten working days on the platform calendar");
    assert_ne!(due, timefmt::format_date(cal.add_working_days(today(), 5)));
}

/// Moves resource `id`'s review interval to have started on `from` (time passing, in a test).
async fn review_interval_from(db: &TestDb, id: i64, from: Date) {
    let from = timefmt::format_date(from);
    db.raw(&format!("UPDATE share_review_schedules SET review_from = '{from}' WHERE resource_id = {id}"))
        .await
        .unwrap();
}

fn a_year_ago() -> Date {
    // The day whose date plus twelve months is today (or, at a month's end, the nearest before).
    let mut d = today() - time::Duration::days(366);
    while add_months(d, 12) < today() {
        d += time::Duration::days(1);
    }
    d
}

async fn art_14_share_attribute_reviews_through_the_api_and_the_page(db: &TestDb) {
    let s = setup(db).await;
    let resource = population(&s, restricted()).await;
    let next = timefmt::format_date(add_months(today(), 12));
    let r = s.h.call(Method::GET, "/api/v1/share-reviews?state=all", Some(&s.police_officer), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body[0]["resource_id"], resource);
    assert_eq!(
        (r.body[0]["next_review_on"].as_str(), r.body[0]["status"].as_str()),
        (Some(next.as_str()), Some("scheduled"))
    );
    let r = s.h.call(Method::GET, "/api/v1/share-reviews?state=soon", Some(&s.police_officer), None).await;
    assert_eq!((r.status, r.body["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("state")), "{}", r.text);
    let r = s.h.call(Method::GET, "/api/v1/share-reviews", Some(&s.police_officer), None).await;
    assert_eq!(r.body, json!([]), "nothing due a year ahead");

    // A year on, it is due: listed for the provider with the form, for the authority without.
    review_interval_from(db, resource, a_year_ago()).await;
    let r = s.h.call(Method::GET, "/api/v1/share-reviews?state=due", Some(&s.staff), None).await;
    assert_eq!((r.body[0]["status"].as_str(), r.body[0]["can_record"].as_bool()), (Some("due"), Some(false)));
    let provider = web_login(&s.h, "police-officer", PASSWORD).await;
    let list = page(&s.h, "/sharing/reviews", &provider).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    assert!(list.text.contains(&format!("id=\"review-{resource}\" data-status=\"due\"")), "{}", list.text);
    assert!(list.text.contains(&format!("id=\"review-form-{resource}\"")));
    let csrf = csrf_of(&list.text);
    let path = format!("/sharing/reviews/{resource}");
    let silent = [("outcome", "to_revise"), ("comment", " ")];
    assert_eq!(post_form(&s.h, &path, &provider, &silent).await.status, StatusCode::FORBIDDEN, "no CSRF token");
    let silent = [("csrf", csrf.as_str()), ("outcome", "to_revise"), ("comment", " ")];
    let r = post_form(&s.h, &path, &provider, &silent).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(
        r.text.contains("id=\"review-error\"")
            && r.text.contains(&format!("id=\"outcome-{resource}-to_revise\" checked"))
    );
    let kept = [("csrf", csrf.as_str()), ("outcome", "kept"), ("comment", "仍含个人信息，维持受限共享")];
    let r = post_form(&s.h, &path, &provider, &kept).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert!(location(&r).ends_with("flash=share_review.recorded"));

    // The next date moved on a year from today; the resource's page shows it by its attribute.
    let detail = page(&s.h, &format!("/catalog/{resource}"), &provider).await;
    assert!(
        detail.text.contains(&format!("id=\"share-review-next\" data-status=\"scheduled\">{next}")),
        "{}",
        detail.text
    );
    let r =
        s.h.call(Method::GET, &format!("/api/v1/catalog/resources/{resource}/share-reviews"), Some(&s.staff), None)
            .await;
    assert_eq!(
        (r.body[0]["outcome"].as_str(), r.body[0]["share_attribute"]["kind"].as_str()),
        (Some("kept"), Some("restricted"))
    );
    let body = json!({"outcome": "kept"});
    let path = format!("/api/v1/catalog/resources/{resource}/share-reviews");
    let r = s.h.call(Method::POST, &path, Some(&s.staff), Some(body.clone())).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "the authority oversees, the provider records: {}", r.text);
    let r = s.h.call(Method::POST, &path, Some(&s.police_officer), Some(json!({"outcome": "maybe"}))).await;
    assert_eq!((r.status, r.body["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("outcome")));
    let r = s.h.call(Method::POST, &path, Some(&s.police_officer), Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

async fn art_7_authority_confirms_a_received_data_flag_from_its_page(db: &TestDb) {
    let s = setup(db).await;
    let population = population(&s, json!({"kind": "unconditional"})).await;
    let r = s.h.call(Method::POST, "/api/v1/share-requests", Some(&s.civil_officer), Some(request(population))).await;
    assert_eq!(r.body["state"], "granted", "{}", r.text);
    let grant = r.body["grant_id"].as_i64().unwrap();
    // Civil affairs registers the received population data as its own.
    let copied = vec![
        item("sfzh", "身份证号", "L4", true),
        item("xm", "姓名", "L3", false),
        item("jzlb", "救助类别", "L2", false),
    ];
    let id =
        register(&s, &s.civil_officer, document(s.civil, "低保对象户籍信息", json!({"kind": "unconditional"}), copied))
            .await;
    for (who, action) in [(&s.civil_officer, "submit"), (&s.staff, "approve")] {
        assert_eq!(step(&s, who, id, action).await.status, StatusCode::OK);
    }
    assert_eq!(step(&s, &s.staff, id, "publish").await.status, StatusCode::CONFLICT);

    // The provider's resource page says why publishing is held.
    let consumer = web_login(&s.h, "civil-officer", PASSWORD).await;
    let held = page(&s.h, &format!("/catalog/{id}"), &consumer).await;
    let notice =
        held.text.split("id=\"received-hold\"").nth(1).expect("the hold is explained").split("</p>").next().unwrap();
    assert!(notice.contains("身份证号") && notice.contains(&format!("/sharing/grants/{grant}")), "{notice}");

    // The authority: the flag with its grant and items, confirmed with a comment.
    let staff = web_login(&s.h, "coordinator", PASSWORD).await;
    let list = page(&s.h, "/sharing/received", &staff).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let row = list.text.split(&format!("id=\"flag-{id}\"")).nth(1).unwrap().split("</tr>").next().unwrap();
    assert!(list.text.contains(&format!("id=\"flag-{id}\" data-confirmed=\"no\"")));
    assert!(
        row.contains(&format!("href=\"/sharing/grants/{grant}\""))
            && row.contains("户籍人口基本信息")
            && row.contains("id_number")
    );
    assert!(row.contains(&format!("id=\"confirm-form-{id}\"")), "{row}");
    let csrf = csrf_of(&list.text);
    let path = format!("/sharing/received/{id}/confirm");
    assert_eq!(
        post_form(&s.h, &path, &staff, &[("comment", "本单位采集")]).await.status,
        StatusCode::FORBIDDEN,
        "no CSRF"
    );
    let r = post_form(&s.h, &path, &staff, &[("csrf", &csrf), ("comment", "")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(r.text.contains("<span class=\"field-error\" data-field=\"comment\" id=\"confirm-error\">"), "{}", r.text);
    let consumer_csrf = csrf_of(&held.text);
    let r = post_form(&s.h, &path, &consumer, &[("csrf", &consumer_csrf), ("comment", "本单位数据")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "only the authority confirms");
    let reason = "救助类别为本单位采集，身份信息仅作关联";
    let r = post_form(&s.h, &path, &staff, &[("csrf", &csrf), ("comment", reason)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert!(location(&r).ends_with("flash=received.confirmed"));
    let pending = page(&s.h, "/sharing/received", &staff).await;
    assert!(!pending.text.contains(&format!("id=\"flag-{id}\"")), "no longer awaiting");
    let all = page(&s.h, "/sharing/received?tab=all", &staff).await;
    assert!(all.text.contains(&format!("id=\"flag-{id}\" data-confirmed=\"yes\"")) && all.text.contains(reason));

    // Now it can be published, and its page records the confirmation.
    assert_eq!(step(&s, &s.staff, id, "publish").await.status, StatusCode::OK);
    let published = page(&s.h, &format!("/catalog/{id}"), &consumer).await;
    assert!(!published.text.contains("id=\"received-hold\"") && published.text.contains("id=\"received-confirmed\""));
}

async fn art_5_a_supervisor_finds_sharing_in_the_navigation_read_only(db: &TestDb) {
    let s = setup(db).await;
    let resource = population(&s, restricted()).await;
    let r = s.h.call(Method::POST, "/api/v1/share-requests", Some(&s.civil_officer), Some(request(resource))).await;
    let request_id = r.body["id"].as_i64().unwrap();
    review_interval_from(db, resource, a_year_ago()).await;
    let watcher = web_login(&s.h, "watcher", PASSWORD).await;
    let home = page(&s.h, "/", &watcher).await;
    assert!(home.text.contains("href=\"/sharing/requests\"") && home.text.contains("href=\"/audit\""), "{}", home.text);
    let requests = page(&s.h, "/sharing/requests", &watcher).await;
    assert_eq!(requests.status, StatusCode::OK, "{}", requests.text);
    assert!(
        requests.text.contains("data-tab=\"all\"")
            && requests.text.contains(&format!("href=\"/sharing/requests/{request_id}\""))
    );
    let one = page(&s.h, &format!("/sharing/requests/{request_id}"), &watcher).await;
    assert!(
        one.status == StatusCode::OK
            && !one.text.contains("id=\"step-review\"")
            && !one.text.contains("id=\"step-arbitrate\"")
    );
    assert_eq!(page(&s.h, "/sharing/grants", &watcher).await.status, StatusCode::OK);
    let reviews = page(&s.h, "/sharing/reviews", &watcher).await;
    assert!(reviews.text.contains(&format!("id=\"review-{resource}\"")) && !reviews.text.contains("id=\"review-form-"));
    let received = page(&s.h, "/sharing/received", &watcher).await;
    assert_eq!(received.status, StatusCode::OK, "{}", received.text);
    let csrf = csrf_of(&reviews.text);
    let r = post_form(&s.h, &format!("/sharing/reviews/{resource}"), &watcher, &[("csrf", &csrf), ("outcome", "kept")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "read-only: {}", r.text);
    let r = s.h.call(Method::GET, "/api/v1/received-data", Some(&s.supervisor), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

backend_tests!(
    art_14_a_configured_review_deadline_sets_a_new_requests_due_date,
    art_14_share_attribute_reviews_through_the_api_and_the_page,
    art_7_authority_confirms_a_received_data_flag_from_its_page,
    art_5_a_supervisor_finds_sharing_in_the_navigation_read_only,
);
