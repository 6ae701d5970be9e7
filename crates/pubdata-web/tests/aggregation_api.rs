//! Aggregation (Ch.3, Art.10-12) through the real router, on SQLite and PostgreSQL: the push API
//! streaming batches (the real Zhejiang enterprise registry among them), refusals that name the
//! column or option at fault, the other agency kept out, and the pages: the data page's
//! CSRF-checked upload, the batch page with provenance, detection, errors and downloads.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::*;
use pubdata_domain::identifiers::CreditCode;
use pubdata_testkit::{TestDb, backend_tests};
use serde_json::{Value, json};
use std::collections::HashSet;

const PASSWORD: &str = "User-Test-2026";
const REGISTRY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/zj-enterprise-2002.csv");

struct Setup {
    h: Harness,
    market: i64,
    officer: String,
    tax_officer: String,
    staff: String,
}

async fn setup(db: &TestDb) -> Setup {
    let h = harness(db).await;
    let market = h.agency("区市场监督管理局").await;
    let tax = h.agency("区税务局").await;
    let officer = h.user("market-officer", market, "agency_data_officer").await;
    let tax_officer = h.user("tax-officer", tax, "agency_data_officer").await;
    let staff = h.user("reviewer", 1, "authority_staff").await;
    Setup { h, market, officer, tax_officer, staff }
}

fn item(code: &str, name: &str, item_type: &str, length: Option<u32>) -> Value {
    let mut v = json!({"code": code, "name": name, "type": item_type, "level": "L1"});
    if let Some(l) = length {
        v["length"] = json!(l);
    }
    v
}

/// The registry's ten columns as a market-regulation resource (L1, so it may open
/// unconditionally).
fn registry_document(provider: i64, name: &str) -> Value {
    let mut items = vec![
        item("enterprise_name", "企业名称", "string", Some(200)),
        item("credit_code", "统一社会信用代码", "string", Some(18)),
        item("registered_on", "注册日期", "date", None),
        item("enterprise_type", "企业类型", "string", Some(100)),
        item("legal_rep", "法人代表", "string", Some(50)),
        item("capital", "注册资金", "string", Some(100)),
        item("scope", "经营范围", "text", None),
        item("province", "所在省份", "string", Some(20)),
        item("city", "地区", "string", Some(20)),
        item("address", "注册地址", "string", Some(300)),
    ];
    items[0]["required"] = json!(true);
    items[1]["required"] = json!(true);
    items[1]["unique_key"] = json!(true);
    json!({
        "name": name, "business_name": "企业设立登记", "source_system": "市场主体登记管理系统",
        "description": "浙江省 2002 年登记企业的基本信息", "provider_org_id": provider, "category": "market",
        "level": "L1", "storage_format": "database_table", "share": {"kind": "unconditional"},
        "open": {"kind": "unconditional"}, "delivery": ["api", "bulk"], "update_cycle": "daily",
        "share_term": {"kind": "long_term"}, "contact_name": "王明", "contact_phone": "0574-87000000",
        "items": items
    })
}

/// A resource of the market regulator, registered and (unless `publish` is false) published.
async fn resource(s: &Setup, name: &str, publish: bool) -> i64 {
    let doc = registry_document(s.market, name);
    let r = s.h.call(Method::POST, "/api/v1/catalog/resources", Some(&s.officer), Some(json!({"document": doc}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_i64().unwrap();
    if publish {
        for (token, action) in [(&s.officer, "submit"), (&s.staff, "approve"), (&s.staff, "publish")] {
            let body = json!({"action": action, "overlap_justification": "本单位登记数据"});
            let path = format!("/api/v1/catalog/resources/{id}/review");
            let r = s.h.call(Method::POST, &path, Some(token), Some(body)).await;
            assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.text);
        }
    }
    id
}

/// A valid unified social credit code, distinct for each `n`.
fn credit_code(n: u32) -> String {
    let base = format!("91330212{n:09}");
    "0123456789ABCDEFGHJKLMNPQRTUWXY"
        .chars()
        .map(|c| format!("{base}{c}"))
        .find(|code| CreditCode::parse("code", code).is_ok())
        .unwrap()
}

/// PUTs `bytes` to the push API in small chunks (splitting multi-byte characters), as a system
/// streaming a file would.
async fn push(h: &Harness, token: &str, resource: i64, query: &str, bytes: Vec<u8>) -> Reply {
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = bytes.chunks(7).map(|c| Ok(c.to_vec())).collect();
    let body = Body::from_stream(futures_util::stream::iter(chunks));
    let request = Request::put(format!("/api/v1/resources/{resource}/batches?{query}"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(body)
        .unwrap();
    h.raw(request).await
}

async fn current_rows(h: &Harness, token: &str, resource: i64) -> i64 {
    let r = h.call(Method::GET, &format!("/api/v1/resources/{resource}/batches"), Some(token), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["status"]["rows"].as_i64().unwrap()
}

fn bad_row_csv() -> String {
    format!(
        "企业名称,统一社会信用代码,注册日期\n甲公司,{},2002-01-01\n乙公司,91350100M000100Y44,2002-01-02\n丙公司,{},2002-01-03\n",
        credit_code(1),
        credit_code(2)
    )
}

async fn art_10_push_api_streams_a_batch_and_names_bad_rows(db: &TestDb) {
    let s = setup(db).await;
    let id = resource(&s, "企业登记信息", true).await;
    let query = "on_error=skip_rows&file_name=daily.csv&source_system=市场主体登记管理系统";
    let r = push(&s.h, &s.officer, id, query, bad_row_csv().into_bytes()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let batch = &r.body["batch"];
    assert_eq!((batch["state"].as_str(), batch["channel"].as_str()), (Some("stored"), Some("api")));
    assert_eq!((batch["rows_read"].as_i64(), batch["rows_stored"].as_i64()), (Some(3), Some(2)));
    assert_eq!(batch["rows_rejected"].as_i64(), Some(1));
    assert_eq!(batch["file_name"], "daily.csv");
    assert_eq!(batch["created_by"], "market-officer");
    assert_eq!(r.body["error_count"], 1);
    assert_eq!(r.body["errors"][0]["source_row"], 3, "{}", r.text);
    assert_eq!(r.body["errors"][0]["column"], "统一社会信用代码");
    assert!(r.body["errors"][0]["reason"]["en"].as_str().unwrap().contains("check character"), "{}", r.text);
    let stored_batch = batch["id"].as_i64().unwrap();
    assert_eq!(current_rows(&s.h, &s.officer, id).await, 2);

    // The same file again, rejected whole: its bad row, and now also the keys already stored
    // (append cannot overwrite them), refuse it; 422, and nothing more is visible.
    let r = push(&s.h, &s.officer, id, "on_error=reject_batch&file_name=daily.csv", bad_row_csv().into_bytes()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["batch"]["state"], "rejected");
    assert_eq!(r.body["batch"]["rows_stored"], 0);
    let rows: Vec<i64> =
        r.body["errors"].as_array().unwrap().iter().map(|e| e["source_row"].as_i64().unwrap()).collect();
    assert!(rows.contains(&2) && rows.contains(&3), "{}", r.text);
    let rejected = r.body["batch"]["id"].as_i64().unwrap();
    assert_eq!(current_rows(&s.h, &s.officer, id).await, 2);

    let list = s.h.call(Method::GET, &format!("/api/v1/resources/{id}/batches"), Some(&s.officer), None).await;
    let ids: Vec<i64> = list.body["batches"].as_array().unwrap().iter().map(|b| b["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [rejected, stored_batch], "newest first");
    assert_eq!(list.body["status"]["last_batch_id"].as_i64(), Some(stored_batch));
    assert!(list.body["status"]["next_due"].is_string(), "{}", list.text);

    let path = format!("/api/v1/batches/{stored_batch}/errors.csv");
    let report = s.h.call(Method::GET, &path, Some(&s.officer), None).await;
    assert_eq!(report.status, StatusCode::OK);
    assert!(report.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/csv"));
    assert!(report.text.starts_with('\u{feff}'), "the report opens in Excel with its Chinese text");
    let lines: Vec<&str> = report.text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines[0], "行号 row,列 column,值 value,原因,reason");
    assert!(lines[1].starts_with("3,统一社会信用代码,"), "{}", report.text);
    assert_eq!(lines.len(), 2, "{}", report.text);
}

/// The registry's rows, the rows whose credit code fails GB 32100's check character, and of the
/// rest the rows repeating an earlier code, computed here without the platform's reader.
fn expected_registry(text: &str) -> (u64, u64, u64) {
    let (mut rows, mut invalid, mut duplicates) = (0, 0, 0);
    let mut seen = HashSet::new();
    for line in text.lines().skip(1).filter(|l| !l.is_empty()) {
        rows += 1;
        let code = second_field(line).trim().to_ascii_uppercase();
        if CreditCode::parse("code", &code).is_err() {
            invalid += 1;
        } else if !seen.insert(code) {
            duplicates += 1;
        }
    }
    (rows, invalid, duplicates)
}

/// The second field of a CSV line (the file has no line breaks inside fields).
fn second_field(line: &str) -> String {
    let mut fields = Vec::new();
    let (mut field, mut quoted, mut chars) = (String::new(), false, line.chars().peekable());
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
        if fields.len() == 2 {
            break;
        }
    }
    fields.push(field);
    fields.swap_remove(1)
}

async fn art_10_push_api_delivers_the_real_enterprise_registry(db: &TestDb) {
    let s = setup(db).await;
    let id = resource(&s, "企业登记信息", true).await;
    let bytes = std::fs::read(REGISTRY).unwrap();
    let (rows, invalid, duplicates) = expected_registry(std::str::from_utf8(&bytes).unwrap());
    assert_eq!((rows, invalid), (4216, 1), "the registry as its README describes it");
    let r = push(&s.h, &s.officer, id, "on_error=skip_rows&file_name=zj-enterprise-2002.csv", bytes.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let batch = &r.body["batch"];
    assert_eq!(batch["rows_read"].as_u64(), Some(rows));
    assert_eq!(batch["rows_stored"].as_u64(), Some(rows - invalid - duplicates), "{}", r.text);
    assert_eq!(batch["rows_rejected"].as_u64(), Some(invalid + duplicates));
    assert_eq!(batch["file_bytes"].as_u64(), Some(bytes.len() as u64));
    // The one code failing its check is reported at its line of the file (the header is line 1).
    let text = std::str::from_utf8(&bytes).unwrap();
    let line = text.lines().position(|l| l.contains("913307813999190909")).unwrap() as i64 + 1;
    let errors = r.body["errors"].as_array().unwrap();
    assert!(
        errors.iter().any(|e| e["source_row"].as_i64() == Some(line) && e["column"] == "统一社会信用代码"),
        "line {line}: {errors:?}"
    );
    let credit = r.body["detection"].as_array().unwrap().iter().find(|d| d["item_code"] == "credit_code").unwrap();
    assert_eq!(credit["kind"], "credit_code", "{credit}");
    let rep = r.body["detection"].as_array().unwrap().iter().find(|d| d["item_code"] == "legal_rep").unwrap();
    assert_eq!(rep["kind"], "person_name", "{rep}");
    assert_eq!(rep["flagged"], true, "legal representatives' names are declared L1: {rep}");
    assert_eq!(current_rows(&s.h, &s.officer, id).await as u64, rows - invalid - duplicates);
    let rows_page =
        s.h.call(Method::GET, &format!("/api/v1/resources/{id}/rows?limit=2"), Some(&s.officer), None).await;
    assert_eq!(rows_page.body["rows"][0]["values"][0], "湖州市练市飞一制衣有限公司", "{}", rows_page.text);
    assert_eq!(rows_page.body["rows"][0]["batch_id"], batch["id"], "each row names its batch");
    // The batch page warns about the item declared below the detection's proposal.
    let session = web_login(&s.h, "market-officer", PASSWORD).await;
    let shown = page(&s.h, &format!("/batches/{}", batch["id"]), &session).await;
    assert!(shown.text.contains("class=\"flagged\" data-item=\"legal_rep\""), "{}", shown.text);
    assert!(shown.text.contains("声明级别低于检测建议"));
    assert!(shown.text.contains(&format!("({} B)", group_thousands(bytes.len()))), "the file's size");
}

fn group_thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

async fn art_10_push_api_refuses_columns_outside_the_catalog(db: &TestDb) {
    let s = setup(db).await;
    let id = resource(&s, "企业登记信息", true).await;
    let csv = format!("企业名称,统一社会信用代码,联系电话\n甲公司,{},13800000000\n", credit_code(1));
    let r = push(&s.h, &s.officer, id, "on_error=skip_rows&file_name=extra.csv", csv.into_bytes()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["batch"]["state"], "rejected");
    assert_eq!(r.body["errors"][0]["column"], "联系电话", "{}", r.text);
    assert_eq!(current_rows(&s.h, &s.officer, id).await, 0);

    // Bad options are refused before any batch exists, naming the option.
    let r = push(&s.h, &s.officer, id, "mode=overwrite", b"x".to_vec()).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(
        (r.body["error"]["code"].as_str(), r.body["error"]["field"].as_str()),
        (Some("invalid_input"), Some("mode"))
    );
    let r = push(&s.h, &s.officer, id, "encoding=latin1", b"x".to_vec()).await;
    assert_eq!(r.body["error"]["field"], "encoding", "{}", r.text);
    let r = push(&s.h, &s.officer, id, "colour=blue", b"x".to_vec()).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "unknown options are refused: {}", r.text);
    let list = s.h.call(Method::GET, &format!("/api/v1/resources/{id}/batches"), Some(&s.officer), None).await;
    assert_eq!(list.body["batches"].as_array().unwrap().len(), 1, "{}", list.text);

    // A draft takes no data (Art.10: deliver what the catalog has published).
    let draft = resource(&s, "企业年报信息", false).await;
    let r = push(&s.h, &s.officer, draft, "", bad_row_csv().into_bytes()).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
}

async fn art_12_another_agency_cannot_deliver_or_read_batches(db: &TestDb) {
    let s = setup(db).await;
    let id = resource(&s, "企业登记信息", true).await;
    let r = push(&s.h, &s.officer, id, "on_error=skip_rows", bad_row_csv().into_bytes()).await;
    let batch = r.body["batch"]["id"].as_i64().unwrap();

    let r = push(&s.h, &s.tax_officer, id, "", bad_row_csv().into_bytes()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.body["error"]["code"], "out_of_scope");
    for path in [
        format!("/api/v1/resources/{id}/batches"),
        format!("/api/v1/resources/{id}/rows"),
        format!("/api/v1/batches/{batch}"),
        format!("/api/v1/batches/{batch}/errors.csv"),
    ] {
        let r = s.h.call(Method::GET, &path, Some(&s.tax_officer), None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.text);
    }
    assert_eq!(current_rows(&s.h, &s.officer, id).await, 2, "the refused delivery changed nothing");
    // The authority sees every agency's batches but delivers none.
    let r = s.h.call(Method::GET, &format!("/api/v1/batches/{batch}"), Some(&s.staff), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = push(&s.h, &s.staff, id, "", bad_row_csv().into_bytes()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.body["error"]["missing_permission"], "aggregation.deliver");

    // The pages keep the other agency out too, and offer it no link.
    let tax = web_login(&s.h, "tax-officer", PASSWORD).await;
    assert_eq!(page(&s.h, &format!("/catalog/{id}/data"), &tax).await.status, StatusCode::NOT_FOUND);
    assert_eq!(page(&s.h, &format!("/batches/{batch}"), &tax).await.status, StatusCode::NOT_FOUND);
    assert_eq!(page(&s.h, &format!("/batches/{batch}/errors.xlsx"), &tax).await.status, StatusCode::NOT_FOUND);
    let detail = page(&s.h, &format!("/catalog/{id}"), &tax).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert!(!detail.text.contains("id=\"data-link\""));
    // Posting a file anyway (with its own valid token) delivers nothing.
    let fields = [("csrf", csrf_of(&detail.text)), ("mode", "append".to_string())];
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let body = multipart(&pairs, "企业.csv", bad_row_csv().as_bytes());
    let r = post_multipart(&s.h, &format!("/catalog/{id}/data"), &tax, body).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    let list = s.h.call(Method::GET, &format!("/api/v1/resources/{id}/batches"), Some(&s.officer), None).await;
    assert_eq!(list.body["batches"].as_array().unwrap().len(), 1, "{}", list.text);
    let staff = web_login(&s.h, "reviewer", PASSWORD).await;
    let data = page(&s.h, &format!("/catalog/{id}/data"), &staff).await;
    assert_eq!(data.status, StatusCode::OK, "{}", data.text);
    assert!(data.text.contains("id=\"batches\"") && !data.text.contains("id=\"upload-form\""));
}

fn csrf_of(text: &str) -> String {
    text.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string()
}

const BOUNDARY: &str = "----pubdata-test-boundary";

/// A `multipart/form-data` body: the text fields, then the file.
fn multipart(fields: &[(&str, &str)], file_name: &str, file: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
             Content-Type: text/csv\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn post_multipart(h: &Harness, path: &str, cookies: &str, body: Vec<u8>) -> Reply {
    h.raw(
        Request::post(path)
            .header(header::COOKIE, cookies)
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
            .body(Body::from(body))
            .unwrap(),
    )
    .await
}

async fn art_10_upload_page_delivers_a_file_with_csrf(db: &TestDb) {
    let s = setup(db).await;
    let id = resource(&s, "企业登记信息", true).await;
    let session = web_login(&s.h, "market-officer", PASSWORD).await;
    let detail = page(&s.h, &format!("/catalog/{id}"), &session).await;
    assert!(detail.text.contains(&format!("href=\"/catalog/{id}/data\" id=\"data-link\"")), "{}", detail.text);
    let form = page(&s.h, &format!("/catalog/{id}/data"), &session).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text);
    for needle in ["id=\"data-status\"", "id=\"upload-form\"", "数据归集", "accept=\".csv,.xlsx,.jsonl,.ndjson,.txt\""]
    {
        assert!(form.text.contains(needle), "{needle}");
    }
    assert!(form.text.contains("pubdata aggregate upload") && form.text.contains("100 MB"));
    let csrf = csrf_of(&form.text);
    let path = format!("/catalog/{id}/data");
    let file = bad_row_csv();
    let fields = |csrf: &str| -> Vec<(String, String)> {
        [("csrf", csrf), ("mode", "append"), ("on_error", "skip_rows"), ("encoding", "auto"), ("sheet", "")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .chain([("source_system".to_string(), "登记系统".to_string())])
            .collect()
    };
    let body = |f: Vec<(String, String)>, name: &str, data: &[u8]| {
        let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        multipart(&pairs, name, data)
    };

    // Without the token nothing is delivered.
    let r = post_multipart(&s.h, &path, &session, body(fields("forged"), "企业.csv", file.as_bytes())).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let r = post_multipart(&s.h, &path, &session, body(fields("")[1..].to_vec(), "企业.csv", file.as_bytes())).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(current_rows(&s.h, &s.officer, id).await, 0);

    // A bad option re-renders the form with the reason and what was chosen.
    let mut bad = fields(&csrf);
    bad[1].1 = "overwrite".into();
    let r = post_multipart(&s.h, &path, &session, body(bad, "企业.csv", file.as_bytes())).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(r.text.contains("id=\"upload-form\"") && r.text.contains("[mode]"), "{}", r.text);
    assert!(r.text.contains("value=\"登记系统\""), "the form keeps what was entered");
    // A file above the web limit is refused before it is read, pointing to the streaming ways.
    let oversized = Request::post(&path)
        .header(header::COOKIE, &session)
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .header(header::CONTENT_LENGTH, (200 * 1024 * 1024).to_string())
        .body(Body::from(body(fields(&csrf), "big.csv", file.as_bytes())))
        .unwrap();
    let r = s.h.raw(oversized).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text);
    assert!(r.text.contains("pubdata aggregate upload") && r.text.contains("id=\"upload-form\""), "{}", r.text);
    // No file chosen.
    let r = post_multipart(&s.h, &path, &session, body(fields(&csrf), "", b"")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);

    // A Windows browser's full path is reduced to the file's name.
    let r = post_multipart(&s.h, &path, &session, body(fields(&csrf), "C:\\数据\\企业.csv", file.as_bytes())).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let location = r.headers[header::LOCATION].to_str().unwrap().to_string();
    assert!(location.starts_with("/batches/"), "{location}");
    let batch = page(&s.h, &location, &session).await;
    assert_eq!(batch.status, StatusCode::OK, "{}", batch.text);
    for needle in [
        "id=\"batch-facts\"",
        "data-state=\"stored\"",
        "网页上传",
        "登记系统",
        "企业.csv",
        "market-officer",
        "id=\"fact-sha256\"",
        "id=\"fact-sm3\"",
        "id=\"detection\"",
        "data-item=\"credit_code\"",
        "统一社会信用代码",
        "id=\"batch-errors\"",
        "id=\"errors-csv\"",
        "id=\"errors-xlsx\"",
        "id=\"batch-rows\"",
        "甲公司",
    ] {
        assert!(batch.text.contains(needle), "{needle}: {}", batch.text);
    }
    assert!(!batch.text.contains(">乙公司<"), "the bad row was not stored");
    let sha = batch.text.split("id=\"fact-sha256\"><code>").nth(1).unwrap().split('<').next().unwrap();
    assert_eq!(sha.len(), 64);
    let csv = page(&s.h, &format!("{location}/errors.csv"), &session).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.text.contains("3,统一社会信用代码"), "{}", csv.text);
    let xlsx = page(&s.h, &format!("{location}/errors.xlsx"), &session).await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert!(xlsx.headers[header::CONTENT_TYPE].to_str().unwrap().contains("spreadsheetml"));

    // The data page lists the batch and the current rows; English on the switch.
    let data = page(&s.h, &path, &session).await;
    assert!(data.text.contains(&format!("href=\"{location}\"")), "{}", data.text);
    assert!(data.text.contains("id=\"current-rows\">2<"), "{}", data.text);
    let en = page(&s.h, &location, &format!("{session}; pubdata_lang=en")).await;
    assert!(en.text.contains("Provenance") && en.text.contains("Web upload"), "{}", en.text);

    // Another upload with the same token, while nothing else is receiving: a replacement.
    let mut replace = fields(&csrf);
    replace[1].1 = "replace".into();
    let r = post_multipart(&s.h, &path, &session, body(replace, "all.csv", file.as_bytes())).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(current_rows(&s.h, &s.officer, id).await, 2);
    let second = page(&s.h, r.headers[header::LOCATION].to_str().unwrap(), &session).await;
    assert!(second.text.contains("id=\"rows-retired\">2<"), "{}", second.text);
    // Replaced rows stay retrievable by the batch that delivered them (Art.12).
    let first = page(&s.h, &location, &session).await;
    assert!(first.text.contains("甲公司"), "{}", first.text);

    // A draft's page re-renders the form with the conflict.
    let draft = resource(&s, "企业年报信息", false).await;
    let draft_path = format!("/catalog/{draft}/data");
    let draft_page = page(&s.h, &draft_path, &session).await;
    assert!(draft_page.text.contains("id=\"not-published\""), "{}", draft_page.text);
    let r = post_multipart(&s.h, &draft_path, &session, body(fields(&csrf), "企业.csv", file.as_bytes())).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(r.text.contains("id=\"upload-form\"") && r.text.contains("第十条"), "{}", r.text);
}

backend_tests!(
    art_10_push_api_streams_a_batch_and_names_bad_rows,
    art_10_push_api_delivers_the_real_enterprise_registry,
    art_10_push_api_refuses_columns_outside_the_catalog,
    art_12_another_agency_cannot_deliver_or_read_batches,
    art_10_upload_page_delivers_a_file_with_csrf,
);
