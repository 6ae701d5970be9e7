//! Bulk exports of the sharing channel (Art.13, 15, 16) through the real router, on SQLite and
//! PostgreSQL: files holding only a grant's items and row scope, masked as the gateway masks
//! them, in CSV, JSON Lines and XLSX; exports refused without bulk delivery; downloads for the
//! consumer agency only, until the file expires; one audit record per call and one for the
//! export's data access; a replacement delivery seen whole or not at all; and the sweep that
//! fails jobs whose instance died and deletes expired files.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::*;
use pubdata_domain::client_app::SignedRequest;
use pubdata_domain::client_app::signature::{self, SignatureMethod};
use pubdata_domain::ids::OrgId;
use pubdata_domain::sharing_export::{ExportFormat, ExportState, Requester};
use pubdata_store::sharing_export::{self, ExportBy, ExportJob, ExportSettings};
use pubdata_testkit::{TestDb, backend_tests};
use pubdata_web::WebConfig;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicU64, Ordering};

static NONCE: AtomicU64 = AtomicU64::new(1);

struct Setup {
    h: Harness,
    db_store: pubdata_store::Store,
    exports: ExportSettings,
    _dir: tempfile::TempDir,
    police_officer: String,
    civil_officer: String,
    tax_officer: String,
    civil: i64,
    resource: i64,
}

struct App {
    key: String,
    secret: String,
}

/// The app with its export directory in a temporary directory of the test's own.
async fn harness_with_exports(db: &TestDb) -> (Harness, ExportSettings, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let exports = ExportSettings::new(dir.path().join("exports"));
    let config = WebConfig { exports: exports.clone(), ..WebConfig::default() };
    (harness_with(db, config).await, exports, dir)
}

async fn setup(db: &TestDb) -> Setup {
    let (h, exports, dir) = harness_with_exports(db).await;
    let civil = h.agency("区民政局").await;
    let police = h.agency("区公安分局").await;
    let tax = h.agency("区税务局").await;
    let civil_officer = h.user("civil-officer", civil, "agency_data_officer").await;
    let police_officer = h.user("police-officer", police, "agency_data_officer").await;
    let tax_officer = h.user("tax-officer", tax, "agency_data_officer").await;
    let staff = h.user("coordinator", 1, "authority_staff").await;
    let doc = json!({
        "name": "户籍人口基本信息", "business_name": "户籍管理", "source_system": "人口信息系统", "description": "",
        "provider_org_id": police, "category": "civil_affairs", "level": "L4", "storage_format": "database_table",
        "share": {"kind": "restricted", "reason": "含个人信息", "conditions": "仅限社会救助核查"},
        "open": {"kind": "prohibited", "reason": "personal_or_commercial"}, "delivery": ["api", "bulk"],
        "update_cycle": "daily", "share_term": {"kind": "long_term"}, "contact_name": "李警官",
        "contact_phone": "0574-87001110",
        "items": [item("id_number", "身份证号", "L4", true), item("name", "姓名", "L3", false),
                  item("mobile", "手机号码", "L3", false), item("district", "所属区县", "L1", false),
                  item("address", "住址", "L3", false)]
    });
    let r =
        h.call(Method::POST, "/api/v1/catalog/resources", Some(&police_officer), Some(json!({"document": doc}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let resource = r.body["id"].as_i64().unwrap();
    for (who, action) in [(&police_officer, "submit"), (&staff, "approve"), (&staff, "publish")] {
        let body = json!({"action": action, "overlap_justification": "本单位登记数据"});
        let r =
            h.call(Method::POST, &format!("/api/v1/catalog/resources/{resource}/review"), Some(who), Some(body)).await;
        assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.text);
    }
    let s = Setup {
        h,
        db_store: db.store.clone(),
        exports,
        _dir: dir,
        police_officer,
        civil_officer,
        tax_officer,
        civil,
        resource,
    };
    deliver(&s, "旧", 0..30).await;
    s
}

/// Delivers rows `n` (replacing all earlier rows), with `tag` in every address.
async fn deliver(s: &Setup, tag: &str, rows: std::ops::Range<u32>) {
    let mut csv = String::from("身份证号,姓名,手机号码,所属区县,住址\n");
    for n in rows {
        let district = if n % 2 == 0 { "鄞州区" } else { "海曙区" };
        csv.push_str(&format!("{},张三{n},{},{district},{tag}址{n}号\n", id_number(n), mobile(n)));
    }
    let request = Request::put(format!(
        "/api/v1/resources/{}/batches?mode=replace&on_error=reject_batch&file_name=p.csv&source_system=人口信息系统",
        s.resource
    ))
    .header(header::AUTHORIZATION, format!("Bearer {}", s.police_officer))
    .header(header::CONTENT_TYPE, "application/octet-stream")
    .body(Body::from(csv))
    .unwrap();
    let r = s.h.raw(request).await;
    assert_eq!((r.status, r.body["batch"]["state"].as_str()), (StatusCode::OK, Some("stored")), "{}", r.text);
}

/// A grant for `officer`'s agency through `delivery`, requested with `extra` fields.
async fn grant(s: &Setup, officer: &str, delivery: &str, extra: Value) -> i64 {
    let mut body = json!({
        "resource_id": s.resource, "items": ["id_number", "name", "mobile", "district"],
        "scenario": "最低生活保障申请家庭户籍核查", "scenario_category": "social_assistance",
        "legal_duty": "《社会救助暂行办法》第十一条", "delivery": delivery, "end_date": "2027-06-30",
        "row_scope": {"keyed_only": false}
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let r = s.h.call(Method::POST, "/api/v1/share-requests", Some(officer), Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let path = format!("/api/v1/share-requests/{}/review", r.body["id"]);
    let r = s.h.call(Method::POST, &path, Some(&s.police_officer), Some(json!({"decision": "approve"}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["grant_id"].as_i64().unwrap()
}

async fn app(s: &Setup, officer: &str) -> App {
    let body = json!({"name": "救助核查系统", "description": "核查申请家庭户籍", "contact": "王工 0574-88000000"});
    let r = s.h.call(Method::POST, "/api/v1/client-apps", Some(officer), Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    App { key: r.body["app"]["app_key"].as_str().unwrap().into(), secret: r.body["secret"].as_str().unwrap().into() }
}

/// A signed call with an empty body.
async fn call(s: &Setup, app: &App, method: &str, path: &str, query: &str) -> Reply {
    let nonce = format!("nonce-{:016}", NONCE.fetch_add(1, Ordering::Relaxed));
    call_as(s, app, method, path, query, &nonce).await
}

/// A signed call with an empty body and this nonce (the same nonce twice: a replay).
async fn call_as(s: &Setup, app: &App, method: &str, path: &str, query: &str, nonce: &str) -> Reply {
    let ts = time::OffsetDateTime::now_utc().unix_timestamp().to_string();
    let signed = SignedRequest { method, path, query, body: b"", timestamp: &ts, nonce };
    let sig = signature::sign(SignatureMethod::HmacSha256, &app.secret, &signed);
    let uri = if query.is_empty() { path.to_string() } else { format!("{path}?{query}") };
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("X-Pubdata-App-Key", &app.key)
        .header("X-Pubdata-Timestamp", ts)
        .header("X-Pubdata-Nonce", nonce)
        .header("X-Pubdata-Signature", sig);
    s.h.raw(request.body(Body::empty()).unwrap()).await
}

fn exports_path(s: &Setup) -> String {
    format!("/gateway/v1/resources/{}/exports", s.resource)
}

/// Starts an export through the gateway and waits until it has ended; returns the job.
async fn export(s: &Setup, app: &App, query: &str) -> ExportJob {
    let r = call(s, app, "POST", &exports_path(s), query).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    assert!(matches!(r.body["state"].as_str(), Some("queued" | "running" | "ready")), "{}", r.text);
    wait(s, r.body["id"].as_i64().unwrap()).await
}

/// The job once it is ready or failed (read from the store, so that polling leaves no records).
async fn wait(s: &Setup, id: i64) -> ExportJob {
    for _ in 0..400 {
        let job = sharing_export::get_for(&s.db_store, id, OrgId(s.civil)).await.unwrap().unwrap();
        if matches!(job.state, ExportState::Ready | ExportState::Failed) {
            return job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("export {id} did not end");
}

async fn download(s: &Setup, app: &App, id: i64) -> (Reply, Vec<u8>) {
    let path = format!("/gateway/v1/exports/{id}/file");
    let ts = time::OffsetDateTime::now_utc().unix_timestamp().to_string();
    let nonce = format!("nonce-{:016}", NONCE.fetch_add(1, Ordering::Relaxed));
    let signed = SignedRequest { method: "GET", path: &path, query: "", body: b"", timestamp: &ts, nonce: &nonce };
    let sig = signature::sign(SignatureMethod::HmacSha256, &app.secret, &signed);
    let request = Request::get(&path)
        .header("X-Pubdata-App-Key", &app.key)
        .header("X-Pubdata-Timestamp", ts)
        .header("X-Pubdata-Nonce", nonce)
        .header("X-Pubdata-Signature", sig)
        .body(Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(s.h.app.clone(), request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes().to_vec();
    let text = String::from_utf8_lossy(&bytes).to_string();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (Reply { status, headers, body, text }, bytes)
}

fn csv_rows(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with a byte-order mark");
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let header = reader.headers().unwrap().iter().map(str::to_string).collect();
    let rows = reader.records().map(|r| r.unwrap().iter().map(str::to_string).collect()).collect();
    (header, rows)
}

/// Entries of one action, oldest first, with their summaries.
async fn audit_of(s: &Setup, action: &str) -> Vec<(String, Value)> {
    let r =
        s.h.call(Method::GET, &format!("/api/v1/audit/entries?action={action}&limit=500"), Some(&s.h.admin), None)
            .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let entries = r.body["entries"].as_array().or_else(|| r.body.as_array()).cloned().unwrap_or_default();
    let mut out: Vec<(String, Value)> = entries
        .into_iter()
        .filter(|e| e["action"] == action)
        .map(|e| {
            let summary: Value =
                e["summary"].as_str().map_or_else(|| e["summary"].clone(), |t| serde_json::from_str(t).unwrap());
            (e["outcome"].as_str().unwrap().to_string(), summary)
        })
        .collect();
    out.reverse();
    out
}

async fn art_15_export_streams_only_granted_items_masked(db: &TestDb) {
    let s = setup(db).await;
    let g = grant(&s, &s.civil_officer, "bulk", json!({})).await;
    let app = app(&s, &s.civil_officer).await;
    let job = export(&s, &app, &format!("grant={g}&format=csv")).await;
    assert_eq!((job.state, job.rows), (ExportState::Ready, Some(30)), "{:?}", job.error);
    let (r, bytes) = download(&s, &app, job.id).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    let disposition = r.headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(disposition.contains(&format!("pubdata-grant-{g}-export-{}.csv", job.id)), "{disposition}");
    assert_eq!(Some(bytes.len() as i64), job.bytes);
    assert_eq!(Some(hex::encode(Sha256::digest(&bytes))), job.sha256, "the recorded SHA-256 is the file's");
    let (header, rows) = csv_rows(&bytes);
    assert_eq!(header, ["id_number", "name", "mobile", "district"], "granted items only, in catalog order");
    assert_eq!(rows.len(), 30);
    let id = id_number(7);
    assert_eq!(
        rows[7],
        [format!("{}********{}", &id[..6], &id[14..]), "张**".into(), "138****0007".into(), "海曙区".into()]
    );
    assert!(!String::from_utf8_lossy(&bytes).contains("址"), "an item outside the grant is not exported");
    for n in 0..30 {
        assert!(!String::from_utf8_lossy(&bytes).contains(&id_number(n)), "an L4 value in clear");
    }

    // A grant scoped to one district, with a filter: only its rows, whatever the filter asks.
    let scoped = json!({"row_scope": {"keyed_only": false, "filter": {"item": "district", "value": "海曙区"}}});
    let g2 = grant(&s, &s.civil_officer, "bulk", scoped).await;
    let job = export(&s, &app, &format!("grant={g2}&format=csv")).await;
    let (_, bytes) = download(&s, &app, job.id).await;
    let (_, rows) = csv_rows(&bytes);
    assert_eq!(rows.len(), 15);
    assert!(rows.iter().all(|r| r[3] == "海曙区"));
    let in_list = format!("grant={g2}&format=csv&id_number.in={},{}", id_number(1), id_number(2));
    let job = export(&s, &app, &in_list).await;
    assert_eq!(job.rows, Some(1), "row 2 is in 鄞州区, outside the grant's scope");
}

async fn art_15_export_formats_read_back(db: &TestDb) {
    let s = setup(db).await;
    let extra = json!({"raw_items": ["mobile"], "raw_justification": "电话回访申请人，须核对本人手机号"});
    let r =
        s.h.call(
            Method::POST,
            "/api/v1/share-requests",
            Some(&s.civil_officer),
            Some({
                let mut body = json!({
                    "resource_id": s.resource, "items": ["id_number", "name", "mobile", "district"],
                    "scenario": "最低生活保障申请家庭户籍核查", "scenario_category": "social_assistance",
                    "legal_duty": "《社会救助暂行办法》第十一条", "delivery": "bulk", "end_date": "2027-06-30"
                });
                for (k, v) in extra.as_object().unwrap() {
                    body[k] = v.clone();
                }
                body
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let path = format!("/api/v1/share-requests/{}/review", r.body["id"]);
    let approve = json!({"decision": "approve", "raw_items": ["mobile"]});
    let r = s.h.call(Method::POST, &path, Some(&s.police_officer), Some(approve)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let g = r.body["grant_id"].as_i64().unwrap();
    let app = app(&s, &s.civil_officer).await;
    let yinzhou = "district=%E9%84%9E%E5%B7%9E%E5%8C%BA";

    let job = export(&s, &app, &format!("grant={g}&format=jsonl&{yinzhou}")).await;
    let (r, bytes) = download(&s, &app, job.id).await;
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/x-ndjson; charset=utf-8");
    let lines: Vec<Value> =
        String::from_utf8(bytes).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 15, "one object per row");
    assert_eq!(
        lines[1],
        json!({"id_number": lines[1]["id_number"], "name": "张**", "mobile": mobile(2), "district": "鄞州区"})
    );
    assert!(lines[1]["id_number"].as_str().unwrap().contains("********"), "masked");

    let job = export(&s, &app, &format!("grant={g}&format=xlsx")).await;
    assert_eq!((job.state, job.rows), (ExportState::Ready, Some(30)), "{:?}", job.error);
    let (r, bytes) = download(&s, &app, job.id).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers[header::CONTENT_DISPOSITION].to_str().unwrap().ends_with(".xlsx\""));
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range("data").unwrap();
    let rows: Vec<Vec<String>> = sheet.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    assert_eq!(rows.len(), 31, "a header row and 30 data rows");
    assert_eq!(rows[0], ["id_number", "name", "mobile", "district"]);
    assert_eq!(rows[4][1..], ["张**".to_string(), mobile(3), "海曙区".to_string()]);
    assert!(rows[4][0].contains("********"));
}

async fn art_16_export_refused_without_bulk_delivery(db: &TestDb) {
    let s = setup(db).await;
    let api_grant = grant(&s, &s.civil_officer, "api", json!({})).await;
    let bulk = grant(&s, &s.civil_officer, "bulk", json!({})).await;
    let keyed = grant(&s, &s.civil_officer, "bulk", json!({"row_scope": {"keyed_only": true}})).await;
    let app = app(&s, &s.civil_officer).await;
    let cases = [
        (format!("grant={api_grant}&format=csv"), StatusCode::FORBIDDEN, "gateway_delivery_not_granted"),
        (format!("grant={keyed}&format=csv"), StatusCode::FORBIDDEN, "gateway_listing_not_granted"),
        (format!("grant={bulk}&format=pdf"), StatusCode::BAD_REQUEST, "gateway_bad_format"),
        (format!("grant={bulk}&format=csv&address=x"), StatusCode::FORBIDDEN, "gateway_item_not_granted"),
        (format!("grant={bulk}&format=csv&id_number.gte=3302"), StatusCode::FORBIDDEN, "gateway_range_on_masked_item"),
        (format!("grant={bulk}&format=csv&limit=5"), StatusCode::BAD_REQUEST, "gateway_bad_parameter"),
        (format!("grant={bulk}&format=csv&scenario=tax_collection"), StatusCode::FORBIDDEN, "gateway_wrong_scenario"),
        ("format=csv".to_string(), StatusCode::BAD_REQUEST, "gateway_grant_missing"),
    ];
    for (query, status, code) in &cases {
        let r = call(&s, &app, "POST", &exports_path(&s), query).await;
        assert_eq!((r.status, r.body["error"]["code"].as_str()), (*status, Some(*code)), "{query}: {}", r.text);
        assert!(r.body["error"]["message"].is_string() && r.body["error"]["message_en"].is_string());
    }
    let jobs: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM share_exports").fetch_one(s.db_store.reader()).await.unwrap();
    assert_eq!(jobs, 0, "a refused export leaves nothing behind");
    let denied: Vec<String> = audit_of(&s, "gateway.call")
        .await
        .into_iter()
        .filter(|(o, _)| o == "denied")
        .map(|(_, summary)| {
            assert_eq!(summary["method"], "POST");
            summary["reason"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(denied, cases.iter().map(|c| c.2).collect::<Vec<_>>(), "each refusal audited once, with its reason");
}

async fn art_16_export_download_refused_to_another_agency_app(db: &TestDb) {
    let s = setup(db).await;
    let g = grant(&s, &s.civil_officer, "bulk", json!({})).await;
    let civil_app = app(&s, &s.civil_officer).await;
    let tax_app = app(&s, &s.tax_officer).await;
    let job = export(&s, &civil_app, &format!("grant={g}&format=csv")).await;
    // Another agency's application: the job does not exist for it.
    let r = call(&s, &tax_app, "GET", &format!("/gateway/v1/exports/{}", job.id), "").await;
    assert_eq!((r.status, r.body["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("export_not_found")));
    let (r, _) = download(&s, &tax_app, job.id).await;
    assert_eq!((r.status, r.body["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("export_not_found")));
    assert!(!r.text.contains("鄞州区") && !r.text.contains("张"), "{}", r.text);
    // Nor may it export through the civil affairs bureau's grant.
    let r = call(&s, &tax_app, "POST", &exports_path(&s), &format!("grant={g}&format=csv")).await;
    assert_eq!(r.body["error"]["code"], "gateway_grant_not_yours", "{}", r.text);
    // The consumer's own application sees the state and takes the file.
    let r = call(&s, &civil_app, "GET", &format!("/gateway/v1/exports/{}", job.id), "").await;
    assert_eq!(
        (r.status, r.body["state"].as_str(), r.body["rows"].as_i64()),
        (StatusCode::OK, Some("ready"), Some(30))
    );
    assert_eq!(download(&s, &civil_app, job.id).await.0.status, StatusCode::OK);
    // Once the provider suspends the grant, its files are not handed out either.
    let suspend = format!("/api/v1/grants/{g}/suspend");
    let r = s.h.call(Method::POST, &suspend, Some(&s.police_officer), Some(json!({"reason": "核查使用情况"}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let (r, _) = download(&s, &civil_app, job.id).await;
    assert_eq!((r.status, r.body["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("gateway_grant_suspended")));
    let resume = format!("/api/v1/grants/{g}/resume");
    assert_eq!(s.h.call(Method::POST, &resume, Some(&s.police_officer), Some(json!({}))).await.status, StatusCode::OK);

    // Signed-in users: the provider sees that the export exists and its size, but may not
    // download it; another agency does not see the grant at all.
    let list = format!("/api/v1/grants/{g}/exports");
    let r = s.h.call(Method::GET, &list, Some(&s.police_officer), None).await;
    assert_eq!((r.status, r.body[0]["rows"].as_i64()), (StatusCode::OK, Some(30)), "{}", r.text);
    let file = format!("/api/v1/exports/{}/file", job.id);
    let r = s.h.call(Method::GET, &file, Some(&s.police_officer), None).await;
    assert_eq!((r.status, r.body["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("export_not_found")));
    let r = s.h.call(Method::POST, &list, Some(&s.police_officer), Some(json!({"format": "csv"}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "only the consumer exports: {}", r.text);
    assert_eq!(s.h.call(Method::GET, &list, Some(&s.tax_officer), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(s.h.call(Method::GET, &file, Some(&s.tax_officer), None).await.status, StatusCode::NOT_FOUND);
}

async fn art_16_consumer_users_start_and_download_exports(db: &TestDb) {
    let s = setup(db).await;
    let g = grant(&s, &s.civil_officer, "bulk", json!({})).await;
    let list = format!("/api/v1/grants/{g}/exports");
    let body = json!({"format": "jsonl", "filters": {"district": "鄞州区"}});
    let r = s.h.call(Method::POST, &list, Some(&s.civil_officer), Some(body)).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let job = wait(&s, r.body["id"].as_i64().unwrap()).await;
    assert_eq!((job.state, job.rows), (ExportState::Ready, Some(15)));
    assert_eq!(job.requested_by.name, "civil-officer");
    let r = s.h.call(Method::GET, &list, Some(&s.civil_officer), None).await;
    assert_eq!(r.body.as_array().map(Vec::len), Some(1), "{}", r.text);
    assert_eq!(r.body[0]["filters"], json!([["district", "鄞州区"]]), "the consumer sees its own filters");
    let r = s.h.call(Method::GET, &list, Some(&s.police_officer), None).await;
    assert_eq!(r.body[0]["filters"][0][0], "district");
    assert!(
        r.body[0]["filters"][0][1].as_str().unwrap().starts_with("sm3:"),
        "others see no filter values: {}",
        r.text
    );
    let r = s.h.call(Method::GET, &format!("/api/v1/exports/{}/file", job.id), Some(&s.civil_officer), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.text.lines().count(), 15);
    assert!(r.text.lines().all(|l| l.contains("鄞州区")));
    let downloads = audit_of(&s, "sharing.export_download").await;
    assert_eq!(downloads.len(), 1);
    assert_eq!((downloads[0].1["rows"].as_i64(), downloads[0].1["grant_id"].as_i64()), (Some(15), Some(g)));
    let bad = json!({"format": "csv", "filters": {"address": "x"}});
    let r = s.h.call(Method::POST, &list, Some(&s.civil_officer), Some(bad)).await;
    assert_eq!((r.status, r.body["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("gateway_item_not_granted")));
}

async fn art_15_export_expires(db: &TestDb) {
    let s = setup(db).await;
    let g = grant(&s, &s.civil_officer, "bulk", json!({})).await;
    let app = app(&s, &s.civil_officer).await;
    let job = export(&s, &app, &format!("grant={g}&format=csv")).await;
    let created = time::OffsetDateTime::now_utc();
    let expires = pubdata_domain::timefmt::parse_instant(job.expires_at.as_deref().unwrap()).unwrap();
    assert!((expires - created - time::Duration::hours(24)).abs() < time::Duration::minutes(1), "24 h by default");
    let file: String =
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT file_name FROM share_exports WHERE id = {}", job.id)))
            .fetch_one(s.db_store.reader())
            .await
            .unwrap();
    let path = s.exports.dir.join(file);
    assert!(path.exists());
    // Nothing to sweep yet.
    assert_eq!(sharing_export::sweep(&s.db_store, &s.exports).await.unwrap().purged, 0);
    assert!(path.exists());

    db.raw(&format!("UPDATE share_exports SET expires_at = '2026-01-01T00:00:00.000000Z' WHERE id = {}", job.id))
        .await
        .unwrap();
    let r = call(&s, &app, "GET", &format!("/gateway/v1/exports/{}", job.id), "").await;
    assert_eq!(r.body["state"], "expired", "expired on read: {}", r.text);
    let (r, _) = download(&s, &app, job.id).await;
    assert_eq!((r.status, r.body["error"]["code"].as_str()), (StatusCode::GONE, Some("export_expired")));
    let swept = sharing_export::sweep(&s.db_store, &s.exports).await.unwrap();
    assert_eq!(swept.purged, 1);
    assert!(!path.exists(), "the sweep deletes an expired file");
    assert_eq!(audit_of(&s, "sharing.export_purge").await.len(), 1);
    assert_eq!(sharing_export::sweep(&s.db_store, &s.exports).await.unwrap().purged, 0, "once");

    // A job whose instance died (its lease lapsed) is failed by the sweep.
    let by = ExportBy {
        requester: Requester { app_id: None, user_id: None, name: "system:test".into() },
        org: OrgId(s.civil),
        actor: pubdata_domain::identity::Caller::system("test").actor(),
    };
    let orphan = sharing_export::create(&s.db_store, &s.exports, &by, g, s.resource, ExportFormat::Csv, &[])
        .await
        .unwrap()
        .unwrap();
    db.raw(&format!("UPDATE share_exports SET lease_until_ms = 0 WHERE id = {}", orphan.id)).await.unwrap();
    assert_eq!(sharing_export::sweep(&s.db_store, &s.exports).await.unwrap().failed, 1);
    let orphan = wait(&s, orphan.id).await;
    assert_eq!(orphan.state, ExportState::Failed);
    assert!(orphan.error.unwrap().en.contains("stopped"));
    // Running it now changes nothing: the sweep's decision stands.
    let after = sharing_export::run(s.db_store.clone(), s.exports.clone(), orphan.id).await.unwrap();
    assert_eq!(after.state, ExportState::Failed);
}

async fn art_16_export_writes_one_audit_record_with_rows(db: &TestDb) {
    let s = setup(db).await;
    let g = grant(&s, &s.civil_officer, "bulk", json!({})).await;
    let app = app(&s, &s.civil_officer).await;
    let job = export(&s, &app, &format!("grant={g}&format=csv&district=%E9%84%9E%E5%B7%9E%E5%8C%BA")).await;
    assert_eq!(job.rows, Some(15));
    assert_eq!(download(&s, &app, job.id).await.0.status, StatusCode::OK);
    let ready = audit_of(&s, "sharing.export_ready").await;
    assert_eq!(ready.len(), 1, "one record of the export's data access");
    let access = &ready[0].1;
    assert_eq!((access["rows"].as_i64(), access["grant_id"].as_i64()), (Some(15), Some(g)));
    assert_eq!(access["scenario"], "最低生活保障申请家庭户籍核查");
    assert_eq!(access["requested_by"]["name"], "救助核查系统");
    assert_eq!(access["sha256"].as_str(), job.sha256.as_deref());
    let text = access.to_string();
    assert!(!text.contains("鄞州区"), "filter values are kept as digests: {text}");
    // One record per call: the request (202) and the download (with its rows).
    let calls: Vec<Value> = audit_of(&s, "gateway.call").await.into_iter().map(|(_, s)| s).collect();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!((calls[0]["method"].as_str(), calls[0]["status"].as_i64()), (Some("POST"), Some(202)));
    assert_eq!(calls[1]["detail"]["operation"], "export_download");
    assert_eq!(calls[1]["detail"]["rows"], 15);
    for action in ["sharing.export_create", "sharing.export_start"] {
        assert_eq!(audit_of(&s, action).await.len(), 1, "{action}");
    }
}

async fn art_15_a_replayed_export_request_starts_no_second_job(db: &TestDb) {
    let s = setup(db).await;
    let g = grant(&s, &s.civil_officer, "bulk", json!({})).await;
    let app = app(&s, &s.civil_officer).await;
    let query = format!("grant={g}&format=csv");
    let first = call_as(&s, &app, "POST", &exports_path(&s), &query, "nonce-replayed-export").await;
    assert_eq!(first.status, StatusCode::ACCEPTED, "{}", first.text);
    let replay = call_as(&s, &app, "POST", &exports_path(&s), &query, "nonce-replayed-export").await;
    assert_eq!(
        (replay.status, replay.body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("gateway_replayed_nonce")),
        "{}",
        replay.text
    );
    let (jobs,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM share_exports").fetch_one(s.h.state.store.reader()).await.unwrap();
    assert_eq!(jobs, 1, "the replay started no job");
    assert_eq!(audit_of(&s, "sharing.export_create").await.len(), 1);
    let calls: Vec<Value> = audit_of(&s, "gateway.call").await.into_iter().map(|(_, s)| s).collect();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(calls[1]["reason"], "gateway_replayed_nonce", "{calls:?}");
    wait(&s, first.body["id"].as_i64().unwrap()).await;
}

async fn art_13_a_replacement_during_an_export_is_seen_whole(db: &TestDb) {
    let s = setup(db).await;
    let g = grant(&s, &s.civil_officer, "bulk", json!({})).await;
    let app = app(&s, &s.civil_officer).await;
    let exports = async {
        let mut ids = Vec::new();
        for _ in 0..8 {
            let r = call(&s, &app, "POST", &exports_path(&s), &format!("grant={g}&format=jsonl")).await;
            assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
            ids.push(r.body["id"].as_i64().unwrap());
            tokio::task::yield_now().await;
        }
        ids
    };
    let (ids, ()) = tokio::join!(exports, async {
        deliver(&s, "新", 100..140).await;
    });
    for id in ids {
        let job = wait(&s, id).await;
        let (_, bytes) = download(&s, &app, job.id).await;
        let lines: Vec<Value> =
            String::from_utf8(bytes).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        // Old rows are numbers 0..30, new ones 100..140: the masked ID number keeps the last
        // four characters, whose first tells them apart.
        let generations: std::collections::BTreeSet<char> =
            lines.iter().map(|r| r["id_number"].as_str().unwrap()[14..].chars().next().unwrap()).collect();
        let seen = (generations.into_iter().collect::<String>(), lines.len());
        assert!(seen == ("0".to_string(), 30) || seen == ("1".to_string(), 40), "a mix: {seen:?}");
    }
}

fn csrf_of(text: &str) -> String {
    text.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string()
}

async fn art_16_the_grant_page_starts_lists_and_downloads_exports(db: &TestDb) {
    let s = setup(db).await;
    let g = grant(&s, &s.civil_officer, "bulk", json!({})).await;
    let consumer = web_login(&s.h, "civil-officer", "User-Test-2026").await;
    let path = format!("/sharing/grants/{g}");
    let r = page(&s.h, &path, &consumer).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("id=\"exports\"") && r.text.contains("批量导出"), "{}", r.text);
    assert!(r.text.contains("id=\"export-form\""), "the consumer may start an export");
    let csrf = csrf_of(&r.text);
    let r = post_form(&s.h, &format!("{path}/exports"), &consumer, &[("csrf", &csrf), ("format", "xlsx")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let id: i64 = sqlx::query_scalar("SELECT MAX(id) FROM share_exports").fetch_one(s.db_store.reader()).await.unwrap();
    assert_eq!(wait(&s, id).await.state, ExportState::Ready);
    let r = page(&s.h, &path, &consumer).await;
    let link = format!("/sharing/exports/{id}/file");
    assert!(r.text.contains(&format!("id=\"export-{id}\" data-state=\"ready\"")), "{}", r.text);
    assert!(r.text.contains(&link), "a download link once ready");
    let file = page(&s.h, &link, &consumer).await;
    assert_eq!(file.status, StatusCode::OK);
    assert!(file.headers[header::CONTENT_DISPOSITION].to_str().unwrap().ends_with(".xlsx\""));

    // The provider sees the export and its size, with no form and no link; its download is refused.
    let provider = web_login(&s.h, "police-officer", "User-Test-2026").await;
    let r = page(&s.h, &path, &provider).await;
    assert!(r.text.contains(&format!("id=\"export-{id}\"")), "{}", r.text);
    assert!(!r.text.contains("id=\"export-form\"") && !r.text.contains(&link));
    assert_eq!(page(&s.h, &link, &provider).await.status, StatusCode::NOT_FOUND);
}

backend_tests!(
    art_15_export_streams_only_granted_items_masked,
    art_15_export_formats_read_back,
    art_16_export_refused_without_bulk_delivery,
    art_16_export_download_refused_to_another_agency_app,
    art_16_consumer_users_start_and_download_exports,
    art_15_export_expires,
    art_16_export_writes_one_audit_record_with_rows,
    art_15_a_replayed_export_request_starts_no_second_job,
    art_13_a_replacement_during_an_export_is_seen_whole,
    art_16_the_grant_page_starts_lists_and_downloads_exports,
);
