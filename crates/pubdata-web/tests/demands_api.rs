//! The data demand list (Art.9, 15) through the real router, on SQLite and PostgreSQL: the
//! API as consumer, authority and provider; the pages with their timeline and CSRF-checked
//! forms; refusals that name the missing permission.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::{Method, StatusCode, header};
use common::*;
use pubdata_testkit::{TestDb, backend_tests};
use serde_json::{Value, json};

const PASSWORD: &str = "User-Test-2026";

struct Setup {
    h: Harness,
    civil: i64,
    water: i64,
    consumer: String,
    provider: String,
    staff: String,
}

async fn setup(db: &TestDb) -> Setup {
    let h = harness(db).await;
    let civil = h.agency("区民政局").await;
    let water = h.agency("区自来水公司").await;
    let consumer = h.user("civil-officer", civil, "agency_data_officer").await;
    let provider = h.user("water-officer", water, "agency_data_officer").await;
    let staff = h.user("coordinator", 1, "authority_staff").await;
    Setup { h, civil, water, consumer, provider, staff }
}

fn filing() -> Value {
    json!({
        "title": "居民月度用水量",
        "description": "低保申请家庭的月度用水量，用于判断是否长期居住",
        "items": ["用水户号", "户主姓名", "用水量"],
        "scenario": "最低生活保障申请家庭经济状况核查",
        "legal_basis": "《社会救助暂行办法》第十一条",
        "delivery": "api"
    })
}

/// A resource of the water company, published through the catalog's API.
async fn published_resource(s: &Setup) -> i64 {
    let doc = json!({
        "name": "居民用水户信息", "business_name": "供水户管理", "source_system": "营销收费系统", "description": "",
        "provider_org_id": s.water, "category": "civil_affairs", "level": "L2", "storage_format": "database_table",
        "share": {"kind": "unconditional"}, "open": {"kind": "prohibited", "reason": "personal_or_commercial"},
        "delivery": ["api"], "update_cycle": "monthly", "share_term": {"kind": "long_term"},
        "contact_name": "孙亮", "contact_phone": "0574-87005005",
        "items": [{"code": "account_no", "name": "用水户号", "type": "string", "length": 20, "level": "L2"}]
    });
    let r =
        s.h.call(Method::POST, "/api/v1/catalog/resources", Some(&s.provider), Some(json!({"document": doc}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_i64().unwrap();
    for (token, action) in [(&s.provider, "submit"), (&s.staff, "approve"), (&s.staff, "publish")] {
        let path = format!("/api/v1/catalog/resources/{id}/review");
        let r =
            s.h.call(
                Method::POST,
                &path,
                Some(token),
                Some(json!({"action": action, "overlap_justification": "本单位业务数据"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.text);
    }
    id
}

async fn act(s: &Setup, token: &str, id: i64, body: Value) -> Reply {
    s.h.call(Method::POST, &format!("/api/v1/demands/{id}/actions"), Some(token), Some(body)).await
}

async fn file(s: &Setup) -> i64 {
    let r = s.h.call(Method::POST, "/api/v1/demands", Some(&s.consumer), Some(filing())).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["id"].as_i64().unwrap()
}

fn ids(r: &Reply) -> Vec<i64> {
    r.body.as_array().unwrap_or_else(|| panic!("{}", r.text)).iter().map(|d| d["id"].as_i64().unwrap()).collect()
}

async fn art_9_a_demand_runs_through_the_api_as_consumer_authority_and_provider(db: &TestDb) {
    let s = setup(db).await;
    let resource = published_resource(&s).await;
    let r = s.h.call(Method::POST, "/api/v1/demands", Some(&s.consumer), Some(filing())).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["state"], "submitted");
    assert_eq!(r.body["consumer_org_id"], s.civil);
    assert_eq!(r.body["actions"], json!(["withdraw"]));
    assert_eq!(r.body["due"]["step"], "coordination");
    assert_eq!(r.body["overdue"], false);
    let id = r.body["id"].as_i64().unwrap();

    let mine = s.h.call(Method::GET, "/api/v1/demands?view=mine", Some(&s.consumer), None).await;
    assert_eq!(ids(&mine), vec![id]);
    let all = s.h.call(Method::GET, "/api/v1/demands", Some(&s.staff), None).await;
    assert_eq!(ids(&all), vec![id], "the authority's default list is every demand");
    let not_yours = s.h.call(Method::GET, "/api/v1/demands?view=all", Some(&s.consumer), None).await;
    assert_eq!(not_yours.status, StatusCode::FORBIDDEN, "{}", not_yours.text);
    let hidden = s.h.call(Method::GET, &format!("/api/v1/demands/{id}"), Some(&s.provider), None).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND, "not proposed yet: {}", hidden.text);

    let r =
        act(&s, &s.staff, id, json!({"action": "coordinate", "provider_org_id": s.water, "comment": "请评估"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!((r.body["state"].as_str(), r.body["provider_org_id"].as_i64()), (Some("coordinating"), Some(s.water)));
    let assigned =
        s.h.call(Method::GET, "/api/v1/demands?view=assigned&state=coordinating", Some(&s.provider), None).await;
    assert_eq!(ids(&assigned), vec![id]);

    let answer = json!({"action": "answer", "answer": "can_provide", "resource_id": resource, "comment": "已有资源"});
    let r = act(&s, &s.provider, id, answer).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["answer"]["kind"], "can_provide");
    assert_eq!(r.body["answer"]["resource"]["id"], resource);
    assert_eq!(r.body["due"]["step"], "decision");

    let r = act(&s, &s.staff, id, json!({"action": "fulfil", "resource_id": resource})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["state"], "fulfilled");
    assert_eq!(r.body["linked_resource"]["name"], "居民用水户信息");
    assert_eq!(r.body["due"], Value::Null);
    let actions: Vec<&str> =
        r.body["timeline"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, vec!["file", "coordinate", "answer", "fulfil"]);

    let overdue = s.h.call(Method::GET, "/api/v1/demands?view=all&overdue=true", Some(&s.staff), None).await;
    assert_eq!(ids(&overdue), Vec::<i64>::new());
    let bad = s.h.call(Method::GET, "/api/v1/demands?view=everything", Some(&s.staff), None).await;
    assert_eq!((bad.status, bad.body["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("view")));
    let doc = s.h.call(Method::GET, "/api/v1/openapi.json", None, None).await;
    assert!(doc.body["paths"]["/demands/{id}/actions"]["post"].is_object(), "documented in OpenAPI");
}

async fn art_15_a_consumer_cannot_coordinate_and_bad_input_names_its_field(db: &TestDb) {
    let s = setup(db).await;
    let id = file(&s).await;
    let r = act(&s, &s.consumer, id, json!({"action": "coordinate", "provider_org_id": s.water})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.body["error"]["missing_permission"], "demand.coordinate");
    assert!(r.body["error"]["message"].as_str().unwrap().contains("协调数据需求"));
    let r = act(&s, &s.staff, id, json!({"action": "reject"})).await;
    assert_eq!((r.status, r.body["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("comment")), "{}", r.text);
    assert!(r.body["error"]["message_en"].as_str().unwrap().contains("reason"));
    let r = act(&s, &s.staff, id, json!({"action": "bless"})).await;
    assert_eq!(r.body["error"]["field"], "action");
    let r = act(&s, &s.staff, id, json!({"action": "answer", "answer": "maybe"})).await;
    assert_eq!(r.body["error"]["field"], "answer");

    let mut bad = filing();
    bad["scenario"] = json!("");
    bad["items"] = json!([]);
    let r = s.h.call(Method::POST, "/api/v1/demands", Some(&s.consumer), Some(bad)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let fields: Vec<&str> =
        r.body["error"]["details"].as_array().unwrap().iter().map(|d| d["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["items", "scenario"]);
    let mut bad = filing();
    bad["delivery"] = json!("fax");
    let r = s.h.call(Method::POST, "/api/v1/demands", Some(&s.consumer), Some(bad)).await;
    assert_eq!(r.body["error"]["field"], "delivery");
    let r = s.h.call(Method::POST, "/api/v1/demands", Some(&s.staff), Some(filing())).await;
    assert_eq!(
        (r.status, r.body["error"]["missing_permission"].as_str()),
        (StatusCode::FORBIDDEN, Some("demand.file"))
    );
    let public = s.h.call(Method::GET, "/api/v1/demands", None, None).await;
    assert_eq!(public.status, StatusCode::UNAUTHORIZED);
}

async fn the_demand_page_shows_its_timeline_and_deadline(db: &TestDb) {
    let s = setup(db).await;
    let id = file(&s).await;
    let r =
        act(&s, &s.staff, id, json!({"action": "coordinate", "provider_org_id": s.water, "comment": "请评估能否提供"}))
            .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let session = web_login(&s.h, "civil-officer", PASSWORD).await;
    let home = page(&s.h, "/", &session).await;
    assert!(home.text.contains("href=\"/demands\""), "a nav link for those who file demands");
    let detail = page(&s.h, &format!("/demands/{id}"), &session).await;
    assert_eq!(detail.status, StatusCode::OK, "{}", detail.text);
    let timeline = detail.text.split("id=\"timeline\"").nth(1).expect("the timeline");
    assert!(timeline.contains("提交需求") && timeline.contains("协调提供方"), "{timeline}");
    assert!(timeline.contains("请评估能否提供") && timeline.contains("区自来水公司"));
    assert!(detail.text.contains("data-state=\"coordinating\""));
    assert!(detail.text.contains("id=\"due-on\""), "the provider's deadline is shown");
    assert!(!detail.text.contains("id=\"demand-actions\""), "the consumer has nothing to do now");
    let list = page(&s.h, "/demands?tab=mine", &session).await;
    assert!(list.text.contains("居民月度用水量") && list.text.contains("我提交的"), "{}", list.text);
    let english = page(&s.h, &format!("/demands/{id}"), &format!("{session}; pubdata_lang=en")).await;
    assert!(english.text.contains("Timeline") && english.text.contains("Coordinating"));
    let provider = web_login(&s.h, "water-officer", PASSWORD).await;
    let theirs = page(&s.h, &format!("/demands/{id}"), &provider).await;
    assert!(theirs.text.contains("id=\"action-answer\""), "the proposed provider is offered the answer form");
}

async fn send(h: &Harness, session: &str, fields: &[(&str, String)]) -> Reply {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    post_form(h, "/demands/new", session, &pairs).await
}

fn csrf_of(text: &str) -> String {
    text.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string()
}

async fn demand_forms_post_with_csrf_and_refuse_what_the_role_lacks(db: &TestDb) {
    let s = setup(db).await;
    let resource = published_resource(&s).await;
    let session = web_login(&s.h, "civil-officer", PASSWORD).await;
    let catalog_page = page(&s.h, &format!("/catalog/{resource}"), &session).await;
    assert!(
        catalog_page.text.contains(&format!("href=\"/demands/new?resource_id={resource}\" id=\"file-demand\"")),
        "another agency's published resource offers the route to the demand list"
    );
    let form = page(&s.h, &format!("/demands/new?resource_id={resource}"), &session).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text);
    assert!(form.text.contains("id=\"related-resource\"") && form.text.contains("居民用水户信息"));
    let csrf = csrf_of(&form.text);
    let rid = resource.to_string();
    let fields = |scenario: &'static str| -> Vec<(&'static str, String)> {
        vec![
            ("title", "居民月度用水量".into()),
            ("description", "低保申请家庭的月度用水量".into()),
            ("items", "用水户号\n户主姓名、用水量".into()),
            ("scenario", scenario.into()),
            ("legal_basis", "《社会救助暂行办法》第十一条".into()),
            ("delivery", "bulk".into()),
            ("related_resource_id", rid.clone()),
        ]
    };
    let without = fields("最低生活保障申请家庭经济状况核查");
    let refused = send(&s.h, &session, &without).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "no CSRF token");
    let mut missing = fields("");
    missing.push(("csrf", csrf.clone()));
    let r = send(&s.h, &session, &missing).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text.contains("data-field=\"scenario\""), "{}", r.text);
    assert!(r.text.contains("户主姓名、用水量"), "what was typed is kept");
    let mut with = without;
    with.push(("csrf", csrf.clone()));
    let r = send(&s.h, &session, &with).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let location = r.headers.get(header::LOCATION).unwrap().to_str().unwrap().to_string();
    assert!(location.ends_with("?flash=demands.created"), "{location}");
    let id: i64 = location.trim_start_matches("/demands/").split('?').next().unwrap().parse().unwrap();
    let got = s.h.call(Method::GET, &format!("/api/v1/demands/{id}"), Some(&s.consumer), None).await;
    assert_eq!(got.body["items"], json!(["用水户号", "户主姓名", "用水量"]));
    assert_eq!(
        (got.body["delivery"].as_str(), got.body["related_resource"]["id"].as_i64()),
        (Some("bulk"), Some(resource))
    );

    // The consumer may not coordinate: the page says which permission is missing.
    let water = s.water.to_string();
    let coordinate =
        [("csrf", csrf.as_str()), ("action", "coordinate"), ("provider_org_id", water.as_str()), ("comment", "")];
    let r = post_form(&s.h, &format!("/demands/{id}/actions"), &session, &coordinate).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert!(r.text.contains("demand.coordinate"));
    let staff = web_login(&s.h, "coordinator", PASSWORD).await;
    let staff_page = page(&s.h, &format!("/demands/{id}"), &staff).await;
    assert!(staff_page.text.contains("id=\"action-coordinate\"") && staff_page.text.contains("id=\"action-reject\""));
    let staff_csrf = csrf_of(&staff_page.text);
    let reject = [("csrf", staff_csrf.as_str()), ("action", "reject"), ("comment", " ")];
    let r = post_form(&s.h, &format!("/demands/{id}/actions"), &staff, &reject).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text.contains("data-field=\"comment\""), "{}", r.text);
    let coordinate = [
        ("csrf", staff_csrf.as_str()),
        ("action", "coordinate"),
        ("provider_org_id", water.as_str()),
        ("comment", "请评估"),
    ];
    let r = post_form(&s.h, &format!("/demands/{id}/actions"), &staff, &coordinate).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let after = page(&s.h, &format!("/demands/{id}?flash=demands.updated"), &staff).await;
    assert!(after.text.contains("id=\"flash\"") && after.text.contains("data-state=\"coordinating\""));
}

backend_tests!(
    art_9_a_demand_runs_through_the_api_as_consumer_authority_and_provider,
    art_15_a_consumer_cannot_coordinate_and_bad_input_names_its_field,
    the_demand_page_shows_its_timeline_and_deadline,
    demand_forms_post_with_csrf_and_refuse_what_the_role_lacks,
);
