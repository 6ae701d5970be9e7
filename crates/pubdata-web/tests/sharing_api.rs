//! Sharing (Art.13-16) through the real router, on SQLite and PostgreSQL: a request for
//! restricted data reviewed and granted, a grant suspended with its reason, data that is not
//! shared refused with its legal basis, field-named refusals, and who may see and act on what.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::{Method, StatusCode};
use common::*;
use pubdata_testkit::{TestDb, backend_tests};
use serde_json::{Value, json};

struct Setup {
    h: Harness,
    police: i64,
    civil_officer: String,
    police_officer: String,
    tax_officer: String,
    staff: String,
    supervisor: String,
}

async fn setup(db: &TestDb) -> Setup {
    let h = harness(db).await;
    let civil = h.agency("区民政局").await;
    let police = h.agency("区公安分局").await;
    let tax = h.agency("区税务局").await;
    let supervising = h.agency("区委网信办").await;
    let civil_officer = h.user("civil-officer", civil, "agency_data_officer").await;
    let police_officer = h.user("police-officer", police, "agency_data_officer").await;
    let tax_officer = h.user("tax-officer", tax, "agency_data_officer").await;
    let staff = h.user("coordinator", 1, "authority_staff").await;
    let supervisor = h.user("watcher", supervising, "supervisor").await;
    Setup { h, police, civil_officer, police_officer, tax_officer, staff, supervisor }
}

/// The police's population register, published with `share`.
async fn population(s: &Setup, share: Value) -> i64 {
    let provider = s.police;
    let doc = json!({
        "name": "户籍人口基本信息", "business_name": "户籍管理", "source_system": "人口信息系统", "description": "",
        "provider_org_id": provider, "category": "civil_affairs", "level": "L4", "storage_format": "database_table",
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

fn request(resource: i64) -> Value {
    json!({
        "resource_id": resource, "items": ["id_number", "name"], "scenario": "最低生活保障申请家庭户籍核查",
        "scenario_category": "social_assistance", "legal_duty": "《社会救助暂行办法》第十一条", "delivery": "api",
        "end_date": "2027-06-30", "row_scope": {"keyed_only": true}
    })
}

async fn art_14_restricted_request_is_reviewed_and_granted_through_the_api(db: &TestDb) {
    let s = setup(db).await;
    let share = json!({"kind": "restricted", "reason": "含个人信息", "conditions": "仅限社会救助核查"});
    let resource = population(&s, share).await;
    let r = s.h.call(Method::POST, "/api/v1/share-requests", Some(&s.civil_officer), Some(request(resource))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["state"], "pending_review");
    assert!(r.body["review_due"]["due_on"].is_string());
    let id = r.body["id"].as_i64().unwrap();
    let path = format!("/api/v1/share-requests/{id}");

    // Another agency neither sees nor reviews it; the consumer cannot review its own request.
    assert_eq!(s.h.call(Method::GET, &path, Some(&s.tax_officer), None).await.status, StatusCode::NOT_FOUND);
    let approve = json!({"decision": "approve"});
    let review = format!("{path}/review");
    let r = s.h.call(Method::POST, &review, Some(&s.tax_officer), Some(approve.clone())).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = s.h.call(Method::POST, &review, Some(&s.civil_officer), Some(approve.clone())).await;
    assert_eq!((r.status, r.body["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("out_of_scope")));
    let r = s.h.call(Method::POST, &review, Some(&s.supervisor), Some(approve.clone())).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "supervisors read; they do not review");
    assert_eq!(s.h.call(Method::GET, &path, Some(&s.supervisor), None).await.status, StatusCode::OK);
    let r = s.h.call(Method::POST, &format!("{path}/arbitrate"), Some(&s.staff), Some(approve.clone())).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "nothing to arbitrate while the provider has time");

    let r = s.h.call(Method::POST, &review, Some(&s.police_officer), Some(json!({"decision": "refuse"}))).await;
    assert_eq!((r.status, r.body["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("reason")));
    let r = s.h.call(Method::POST, &review, Some(&s.police_officer), Some(approve)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["state"], "granted");
    let grant = r.body["grant_id"].as_i64().unwrap();

    let gpath = format!("/api/v1/grants/{grant}");
    let g = s.h.call(Method::GET, &gpath, Some(&s.civil_officer), None).await;
    assert_eq!(g.status, StatusCode::OK);
    assert_eq!(g.body["items"], json!(["id_number", "name"]));
    assert_eq!(g.body["row_scope"]["keyed_only"], true);
    assert_eq!(g.body["state"], "active");
    assert_eq!(s.h.call(Method::GET, &gpath, Some(&s.tax_officer), None).await.status, StatusCode::NOT_FOUND);
    let held = s.h.call(Method::GET, "/api/v1/grants?view=held", Some(&s.civil_officer), None).await;
    assert_eq!(held.body.as_array().unwrap().len(), 1);
    let bad = s.h.call(Method::GET, "/api/v1/grants?view=everything", Some(&s.civil_officer), None).await;
    assert_eq!((bad.status, bad.body["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("view")));

    // Suspension: the consumer may not, the provider must give a reason.
    let suspend = format!("{gpath}/suspend");
    let r = s.h.call(Method::POST, &suspend, Some(&s.civil_officer), Some(json!({"reason": "自行暂停"}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = s.h.call(Method::POST, &suspend, Some(&s.police_officer), Some(json!({}))).await;
    assert_eq!((r.status, r.body["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("reason")));
    let r =
        s.h.call(Method::POST, &suspend, Some(&s.police_officer), Some(json!({"reason": "调用异常，核查中"}))).await;
    assert_eq!((r.status, r.body["state"].as_str()), (StatusCode::OK, Some("suspended")));
    let r =
        s.h.call(Method::POST, &format!("{gpath}/revoke"), Some(&s.staff), Some(json!({"reason": "超出场景使用"})))
            .await;
    assert_eq!((r.status, r.body["state"].as_str()), (StatusCode::OK, Some("revoked")));
}

async fn art_14_not_shared_request_is_refused_with_the_legal_basis_through_the_api(db: &TestDb) {
    let s = setup(db).await;
    let basis = "《中华人民共和国居民身份证法》第六条";
    let resource = population(&s, json!({"kind": "not_shared", "legal_basis": basis})).await;
    let r = s.h.call(Method::POST, "/api/v1/share-requests", Some(&s.civil_officer), Some(request(resource))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["state"], "refused");
    assert_eq!(r.body["refusal_reason"], basis);
    assert_eq!(r.body["demand_route"]["path"], "/api/v1/demands");
    assert_eq!(r.body["demand_route"]["related_resource_id"], resource);
}

async fn art_13_bad_requests_name_their_fields(db: &TestDb) {
    let s = setup(db).await;
    let resource = population(&s, json!({"kind": "unconditional"})).await;
    let mut body = request(resource);
    body["items"] = json!(["id_number", "phone"]);
    body["scenario"] = json!("");
    let r = s.h.call(Method::POST, "/api/v1/share-requests", Some(&s.civil_officer), Some(body)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let fields: Vec<&str> =
        r.body["error"]["details"].as_array().unwrap().iter().map(|d| d["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["items[1]", "scenario"]);
    for (key, value) in [("delivery", "file"), ("scenario_category", "leisure"), ("end_date", "next year")] {
        let mut body = request(resource);
        body[key] = json!(value);
        let r = s.h.call(Method::POST, "/api/v1/share-requests", Some(&s.civil_officer), Some(body)).await;
        assert_eq!((r.status, r.body["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some(key)), "{key}");
        assert!(r.body["error"]["message"].is_string() && r.body["error"]["message_en"].is_string());
    }
    let r = s.h.call(Method::POST, "/api/v1/share-requests", Some(&s.supervisor), Some(request(resource))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = s.h.call(Method::POST, "/api/v1/share-requests", Some(&s.civil_officer), Some(request(resource))).await;
    assert_eq!((r.status, r.body["state"].as_str()), (StatusCode::CREATED, Some("granted")));
    let mine = s.h.call(Method::GET, "/api/v1/share-requests?view=mine", Some(&s.civil_officer), None).await;
    assert_eq!(mine.body.as_array().unwrap().len(), 1);
    let incoming = s.h.call(Method::GET, "/api/v1/share-requests?view=incoming", Some(&s.tax_officer), None).await;
    assert!(incoming.body.as_array().unwrap().is_empty());
    let all = s.h.call(Method::GET, "/api/v1/share-requests?view=all", Some(&s.tax_officer), None).await;
    assert_eq!(all.status, StatusCode::FORBIDDEN);
}

backend_tests!(
    art_14_restricted_request_is_reviewed_and_granted_through_the_api,
    art_14_not_shared_request_is_refused_with_the_legal_basis_through_the_api,
    art_13_bad_requests_name_their_fields,
);
