//! The catalog's HTTP API (Ch.2) through the real router, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::*;
use pubdata_testkit::{TestDb, backend_tests};
use serde_json::{Value, json};

fn document(provider: i64, name: &str) -> Value {
    json!({
        "name": name, "business_name": "企业设立登记", "source_system": "市场主体登记管理系统", "description": "",
        "provider_org_id": provider, "category": "market", "level": "L1", "storage_format": "database_table",
        "share": {"kind": "unconditional"}, "open": {"kind": "unconditional"}, "delivery": ["api"],
        "update_cycle": "daily", "share_term": {"kind": "long_term"}, "contact_name": "王明", "contact_phone": "0574-87000000",
        "items": [
            {"code": "credit_code", "name": "统一社会信用代码", "type": "string", "length": 18, "required": true, "unique_key": true, "level": "L1"},
            {"code": "enterprise_name", "name": "企业名称", "type": "string", "length": 200, "level": "L1"}
        ]
    })
}

struct Setup {
    h: Harness,
    market: i64,
    tax: i64,
    officer: String,
    tax_officer: String,
    staff: String,
}

async fn setup(db: &TestDb) -> Setup {
    let h = harness(db).await;
    let market = h.agency("区市场监督管理局").await;
    let tax = h.agency("区税务局").await;
    let officer = h.user("officer", market, "agency_data_officer").await;
    let tax_officer = h.user("tax-officer", tax, "agency_data_officer").await;
    let staff = h.user("staff", 1, "authority_staff").await;
    Setup { h, market, tax, officer, tax_officer, staff }
}

async fn step(s: &Setup, token: &str, id: i64, action: &str, comment: &str) -> Value {
    let r =
        s.h.call(
            Method::POST,
            &format!("/api/v1/catalog/resources/{id}/review"),
            Some(token),
            Some(json!({"action": action, "comment": comment})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.text);
    r.body
}

async fn art_7_registration_problems_are_listed_with_their_fields(db: &TestDb) {
    let s = setup(db).await;
    let mut doc = document(s.market, "个人信息");
    doc["share"] = json!({"kind": "restricted", "reason": "", "conditions": ""});
    doc["items"][1]["level"] = json!("L4");
    let r = s.h.call(Method::POST, "/api/v1/catalog/resources", Some(&s.officer), Some(json!({"document": doc}))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    let fields: Vec<&str> =
        r.body["error"]["details"].as_array().unwrap().iter().map(|d| d["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["share.reason", "share.conditions", "level", "open"]);
    assert!(r.body["error"]["details"][3]["message_en"].as_str().unwrap().contains("cannot be open unconditionally"));
    let malformed =
        s.h.call(
            Method::POST,
            "/api/v1/catalog/resources",
            Some(&s.officer),
            Some(json!({"document": {"state_secret": true}})),
        )
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST, "a body missing fields is refused too: {}", malformed.text);
    let mut state_secret = document(s.market, "涉密");
    state_secret["state_secret"] = json!(true);
    let r =
        s.h.call(Method::POST, "/api/v1/catalog/resources", Some(&s.officer), Some(json!({"document": state_secret})))
            .await;
    assert_eq!(r.body["error"]["field"], "state_secret");
    let supervisor = s.h.user("watcher", s.tax, "supervisor").await;
    let r =
        s.h.call(
            Method::POST,
            "/api/v1/catalog/resources",
            Some(&supervisor),
            Some(json!({"document": document(s.market, "x资源")})),
        )
        .await;
    assert_eq!(r.body["error"]["missing_permission"], "catalog.compile");
}

async fn art_7_the_review_runs_through_the_api_and_the_catalog_finds_it(db: &TestDb) {
    let s = setup(db).await;
    let r =
        s.h.call(
            Method::POST,
            "/api/v1/catalog/resources",
            Some(&s.officer),
            Some(json!({"document": document(s.tax, "纳税信用等级")})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_i64().unwrap();
    assert_eq!(r.body["actions"], json!(["submit"]));
    let hidden = s.h.call(Method::GET, &format!("/api/v1/catalog/resources/{id}"), Some(&s.staff), None).await;
    assert_eq!(hidden.status, StatusCode::OK, "the authority sees drafts");
    step(&s, &s.officer, id, "submit", "").await;
    let queue = s.h.call(Method::GET, "/api/v1/catalog/review-queue", Some(&s.tax_officer), None).await;
    assert_eq!(queue.body[0]["id"], id, "waiting for the provider's opinion");
    step(&s, &s.tax_officer, id, "confirm", "同意").await;
    step(&s, &s.staff, id, "approve", "").await;
    let published = step(&s, &s.staff, id, "publish", "").await;
    assert_eq!(published["state"], "published");
    assert_eq!(published["timeline"].as_array().unwrap().len(), 4);
    let found =
        s.h.call(
            Method::GET,
            "/api/v1/catalog/resources?q=%E7%BA%B3%E7%A8%8E%20%E4%BF%A1%E7%94%A8",
            Some(&s.tax_officer),
            None,
        )
        .await;
    assert_eq!(found.body["total"], 1, "{}", found.text);
    assert_eq!(found.body["hits"][0]["resource_id"], id);
    assert!(found.body["facets"]["share"].as_array().unwrap().iter().any(|f| f["value"] == "unconditional"));
    let bad_action =
        s.h.call(
            Method::POST,
            &format!("/api/v1/catalog/resources/{id}/review"),
            Some(&s.staff),
            Some(json!({"action": "bless"})),
        )
        .await;
    assert_eq!(bad_action.body["error"]["field"], "action");
}

async fn art_8_versions_and_diffs_are_served(db: &TestDb) {
    let s = setup(db).await;
    let id =
        s.h.call(
            Method::POST,
            "/api/v1/catalog/resources",
            Some(&s.officer),
            Some(json!({"document": document(s.market, "企业登记信息")})),
        )
        .await
        .body["id"]
            .as_i64()
            .unwrap();
    for (token, action) in [(&s.officer, "submit"), (&s.staff, "approve"), (&s.staff, "publish")] {
        step(&s, token, id, action, "").await;
    }
    let mut changed = document(s.market, "企业登记信息");
    changed["contact_phone"] = json!("13800000000");
    let r =
        s.h.call(
            Method::PUT,
            &format!("/api/v1/catalog/resources/{id}"),
            Some(&s.officer),
            Some(json!({"document": changed, "reason": "联系人变更"})),
        )
        .await;
    assert_eq!(r.body["current_version"], 2, "{}", r.text);
    let diff =
        s.h.call(Method::GET, &format!("/api/v1/catalog/resources/{id}/diff?from=1&to=2"), Some(&s.tax_officer), None)
            .await;
    assert_eq!(diff.body[0]["field"], "contact_phone");
    assert_eq!(diff.body[0]["after"], "13800000000");
    let v1 =
        s.h.call(Method::GET, &format!("/api/v1/catalog/resources/{id}/versions/1"), Some(&s.tax_officer), None).await;
    assert_eq!(v1.body["contact_phone"], "0574-87000000");
    let working =
        s.h.call(Method::GET, &format!("/api/v1/catalog/resources/{id}/versions/working"), Some(&s.tax_officer), None)
            .await;
    assert_eq!(working.status, StatusCode::NOT_FOUND, "another agency sees published versions only");
    let bad =
        s.h.call(Method::GET, &format!("/api/v1/catalog/resources/{id}/diff?from=one&to=2"), Some(&s.officer), None)
            .await;
    assert_eq!(bad.body["error"]["field"], "from");
}

async fn catalog_files_are_served_and_imported(db: &TestDb) {
    let s = setup(db).await;
    let template = s.h.call(Method::GET, "/api/v1/catalog/template.xlsx", Some(&s.officer), None).await;
    assert_eq!(template.status, StatusCode::OK);
    assert!(template.headers.get(header::CONTENT_DISPOSITION).unwrap().to_str().unwrap().contains("filename*=UTF-8''"));
    let names = pubdata_catalog_io::OrgDirectory::new(vec![(s.market, "区市场监督管理局".into())]);
    let mut bad: pubdata_domain::catalog::ResourceDocument =
        serde_json::from_value(document(s.market, "坏资源")).unwrap();
    bad.delivery.clear();
    let good: pubdata_domain::catalog::ResourceDocument = serde_json::from_value(document(s.market, "好资源")).unwrap();
    let rows = vec![
        pubdata_catalog_io::ExportRow { id: 1, state: String::new(), version: 0, document: good },
        pubdata_catalog_io::ExportRow { id: 2, state: String::new(), version: 0, document: bad },
    ];
    let file = pubdata_catalog_io::export_xlsx(&rows, &names).unwrap();
    let post = |mode: &'static str| {
        Request::post(format!("/api/v1/catalog/import?mode={mode}&file_name=catalog.xlsx"))
            .header(header::AUTHORIZATION, format!("Bearer {}", s.officer))
            .body(Body::from(file.clone()))
            .unwrap()
    };
    let refused = s.h.raw(post("all_or_nothing")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
    assert_eq!(refused.body["created"], json!([]));
    assert_eq!(refused.body["problems"][0]["column"], "提供方式");
    let report_id = refused.body["report_id"].as_i64().unwrap();
    let report =
        s.h.call(Method::GET, &format!("/api/v1/catalog/import-reports/{report_id}"), Some(&s.officer), None).await;
    assert_eq!(report.status, StatusCode::OK);
    let partial = s.h.raw(post("per_resource")).await;
    assert_eq!(partial.body["created"].as_array().unwrap().len(), 1, "{}", partial.text);
    let export =
        s.h.call(Method::GET, &format!("/api/v1/catalog/export.xlsx?scope={}", s.market), Some(&s.officer), None).await;
    assert_eq!(export.status, StatusCode::OK);
    let dcat = s.h.call(Method::GET, "/api/v1/catalog/dcat.jsonld", Some(&s.officer), None).await;
    assert_eq!(dcat.headers.get(header::CONTENT_TYPE).unwrap(), "application/ld+json; charset=utf-8");
    assert!(dcat.body["@context"].is_object(), "{}", dcat.text);
    let archive = s.h.call(Method::GET, "/api/v1/catalog/archive", Some(&s.officer), None).await;
    assert_eq!(archive.body["error"]["missing_permission"], "catalog.review");
    let archive = s.h.call(Method::GET, "/api/v1/catalog/archive", Some(&s.h.admin), None).await;
    assert_eq!(archive.body["resources"].as_array().unwrap().len(), 1);
}

async fn art_8_projects_and_their_acceptance_reports(db: &TestDb) {
    let s = setup(db).await;
    let p =
        s.h.call(
            Method::POST,
            "/api/v1/projects",
            Some(&s.staff),
            Some(json!({"name": "智慧监管", "agency_id": s.market})),
        )
        .await;
    assert_eq!(p.status, StatusCode::CREATED, "{}", p.text);
    let id = p.body["id"].as_i64().unwrap();
    let r =
        s.h.call(
            Method::POST,
            &format!("/api/v1/projects/{id}/resources"),
            Some(&s.officer),
            Some(json!({"stage": "detailed", "document": document(s.market, "监管对象")})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let report = s.h.call(Method::GET, &format!("/api/v1/projects/{id}/acceptance"), Some(&s.staff), None).await;
    assert_eq!(report.body["passed"], false);
    assert_eq!(report.body["criteria"][0]["code"], "catalog_published");
    assert_eq!(report.body["criteria"][0]["evidence"][0]["note"]["en"], "not published (Draft)");
    let doc = s.h.call(Method::GET, "/api/v1/openapi.json", None, None).await;
    for path in [
        "/catalog/resources",
        "/catalog/resources/{id}/review",
        "/catalog/import",
        "/catalog/dcat.jsonld",
        "/projects/{id}/acceptance",
    ] {
        assert!(doc.body["paths"].get(path).is_some(), "OpenAPI lacks {path}");
    }
}

backend_tests!(
    art_7_registration_problems_are_listed_with_their_fields,
    art_7_the_review_runs_through_the_api_and_the_catalog_finds_it,
    art_8_versions_and_diffs_are_served,
    catalog_files_are_served_and_imported,
    art_8_projects_and_their_acceptance_reports,
);
