//! The sharing channel's data endpoints (Art.13, 15, 16) through the real router, on SQLite
//! and PostgreSQL: keyed lookups and filtered pages that return only a grant's items, masked
//! where the grant did not approve raw values; calls outside the grant refused with their own
//! code and audited; tamper-proof paging tokens; exactly one audit record per call, and no data
//! for a call whose record cannot be written; and a replacement delivery seen whole or not at
//! all.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::*;
use pubdata_domain::client_app::SignedRequest;
use pubdata_domain::client_app::signature::{self, SignatureMethod};
use pubdata_testkit::{TestDb, backend_tests};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU64, Ordering};

static NONCE: AtomicU64 = AtomicU64::new(1);

struct Setup {
    h: Harness,
    police_officer: String,
    civil_officer: String,
    tax_officer: String,
    staff: String,
    resource: i64,
}

struct App {
    key: String,
    secret: String,
}

async fn setup(db: &TestDb) -> Setup {
    let h = harness(db).await;
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
        "open": {"kind": "prohibited", "reason": "personal_or_commercial"}, "delivery": ["api"],
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
    let s = Setup { h, police_officer, civil_officer, tax_officer, staff, resource };
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

/// A grant for `officer`'s agency: requested with `extra` fields, approved by the provider
/// with `decision` fields.
async fn grant(s: &Setup, officer: &str, extra: Value, decision: Value) -> i64 {
    let mut body = json!({
        "resource_id": s.resource, "items": ["id_number", "name", "mobile", "district"],
        "scenario": "最低生活保障申请家庭户籍核查", "scenario_category": "social_assistance",
        "legal_duty": "《社会救助暂行办法》第十一条", "delivery": "api", "end_date": "2027-06-30",
        "row_scope": {"keyed_only": false}
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let r = s.h.call(Method::POST, "/api/v1/share-requests", Some(officer), Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let mut approve = json!({"decision": "approve"});
    for (k, v) in decision.as_object().unwrap() {
        approve[k] = v.clone();
    }
    let path = format!("/api/v1/share-requests/{}/review", r.body["id"]);
    let r = s.h.call(Method::POST, &path, Some(&s.police_officer), Some(approve)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["grant_id"].as_i64().unwrap()
}

async fn app(s: &Setup, officer: &str) -> App {
    let body = json!({"name": "救助核查系统", "description": "核查申请家庭户籍", "contact": "王工 0574-88000000"});
    let r = s.h.call(Method::POST, "/api/v1/client-apps", Some(officer), Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    App { key: r.body["app"]["app_key"].as_str().unwrap().into(), secret: r.body["secret"].as_str().unwrap().into() }
}

/// A signed `GET path?query`.
async fn call(s: &Setup, app: &App, path: &str, query: &str) -> Reply {
    call_with(s, app, path, query, None).await
}

/// A signed `GET path?query`, with `grant` in the grant header if given.
async fn call_with(s: &Setup, app: &App, path: &str, query: &str, grant: Option<&str>) -> Reply {
    let nonce = format!("nonce-{:016}", NONCE.fetch_add(1, Ordering::Relaxed));
    call_as(s, app, path, query, grant, &nonce).await
}

/// A signed `GET path?query` with this nonce (the same nonce twice: a replay).
async fn call_as(s: &Setup, app: &App, path: &str, query: &str, grant: Option<&str>, nonce: &str) -> Reply {
    let ts = time::OffsetDateTime::now_utc().unix_timestamp().to_string();
    let signed = SignedRequest { method: "GET", path, query, body: b"", timestamp: &ts, nonce };
    let sig = signature::sign(SignatureMethod::HmacSha256, &app.secret, &signed);
    let uri = if query.is_empty() { path.to_string() } else { format!("{path}?{query}") };
    let request = Request::get(uri)
        .header("X-Pubdata-App-Key", &app.key)
        .header("X-Pubdata-Timestamp", ts)
        .header("X-Pubdata-Nonce", nonce)
        .header("X-Pubdata-Signature", sig);
    let request = match grant {
        Some(g) => request.header("X-Pubdata-Grant", g),
        None => request,
    };
    s.h.raw(request.body(Body::empty()).unwrap()).await
}

fn records(s: &Setup) -> String {
    format!("/gateway/v1/resources/{}/records", s.resource)
}

/// The data calls' audit entries, oldest first: (outcome, reason or status, summary).
async fn data_calls(s: &Setup) -> Vec<(String, String, Value)> {
    let r = s.h.call(Method::GET, "/api/v1/audit/entries?action=gateway.call&limit=500", Some(&s.h.admin), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let entries = r.body["entries"].as_array().or_else(|| r.body.as_array()).cloned().unwrap_or_default();
    let mut out: Vec<(String, String, Value)> = entries
        .into_iter()
        .filter(|e| e["action"] == "gateway.call")
        .map(|e| {
            let summary: Value =
                e["summary"].as_str().map_or_else(|| e["summary"].clone(), |t| serde_json::from_str(t).unwrap());
            let what = summary["reason"].as_str().map_or_else(|| summary["status"].to_string(), str::to_string);
            (e["outcome"].as_str().unwrap().to_string(), what, summary)
        })
        .collect();
    // The trail lists the newest first.
    out.reverse();
    out
}

async fn art_16_keyed_lookup_returns_only_granted_items_masked(db: &TestDb) {
    let s = setup(db).await;
    let g = grant(&s, &s.civil_officer, json!({}), json!({})).await;
    let app = app(&s, &s.civil_officer).await;
    let r = call(&s, &app, &format!("{}/{}", records(&s), id_number(7)), &format!("grant={g}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let record = &r.body["record"];
    let id = id_number(7);
    assert_eq!(record["id_number"], format!("{}********{}", &id[..6], &id[14..]));
    assert_eq!(record["name"], "张**", "a name keeps its surname");
    assert_eq!(record["mobile"], "138****0007");
    assert_eq!(record["district"], "海曙区", "L1 values are not masked");
    assert!(record.get("address").is_none(), "an item outside the grant is not returned: {record}");
    assert_eq!(record.as_object().unwrap().len(), 4);

    // The grant header names the grant as well as the parameter does; if both are sent they
    // must agree (only the parameter is signed).
    let path = format!("{}/{}", records(&s), id_number(8));
    let r = call_with(&s, &app, &path, "", Some(&g.to_string())).await;
    assert_eq!((r.status, r.body["record"]["district"].as_str()), (StatusCode::OK, Some("鄞州区")), "{}", r.text);
    let r = call_with(&s, &app, &path, &format!("grant={}", g + 1), Some(&g.to_string())).await;
    assert_eq!(r.body["error"]["code"], "gateway_grant_missing", "{}", r.text);

    let missing = call(&s, &app, &format!("{}/{}", records(&s), id_number(99)), &format!("grant={g}")).await;
    assert_eq!(
        (missing.status, missing.body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("gateway_record_not_found"))
    );
    // A key that looks like SQL is only a value that matches nothing.
    let sql = call(&s, &app, &format!("{}/1'%20OR%20'1'='1", records(&s)), &format!("grant={g}")).await;
    assert_eq!(sql.status, StatusCode::NOT_FOUND, "{}", sql.text);
}

async fn art_16_raw_values_only_where_the_grant_approved_them(db: &TestDb) {
    let s = setup(db).await;
    let extra = json!({"raw_items": ["mobile", "name"], "raw_justification": "电话回访申请人，须核对本人手机号"});
    let g = grant(&s, &s.civil_officer, extra, json!({"raw_items": ["mobile"]})).await;
    let app = app(&s, &s.civil_officer).await;
    let r = call(&s, &app, &format!("{}/{}", records(&s), id_number(3)), &format!("grant={g}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["record"]["mobile"], mobile(3), "approved raw");
    assert_eq!(r.body["record"]["name"], "张**", "requested raw but not approved: masked");
    assert_ne!(r.body["record"]["id_number"], id_number(3));
}

async fn art_16_calls_outside_the_grant_are_refused_and_audited(db: &TestDb) {
    let s = setup(db).await;
    let keyed = grant(&s, &s.civil_officer, json!({"row_scope": {"keyed_only": true}}), json!({})).await;
    let open = grant(&s, &s.civil_officer, json!({}), json!({})).await;
    let suspended = grant(&s, &s.civil_officer, json!({}), json!({})).await;
    let revoked = grant(&s, &s.civil_officer, json!({}), json!({})).await;
    let expired = grant(&s, &s.civil_officer, json!({}), json!({})).await;
    let taxes = grant(&s, &s.tax_officer, json!({}), json!({})).await;
    for (g, action) in [(suspended, "suspend"), (revoked, "revoke")] {
        let path = format!("/api/v1/grants/{g}/{action}");
        let r = s.h.call(Method::POST, &path, Some(&s.staff), Some(json!({"reason": "核查中"}))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    db.raw(&format!("UPDATE share_grants SET end_date = '2026-01-01' WHERE id = {expired}")).await.unwrap();
    let app = app(&s, &s.civil_officer).await;
    let key = format!("{}/{}", records(&s), id_number(1));
    let other_resource = format!("/gateway/v1/resources/{}/records/{}", s.resource + 1000, id_number(1));
    let cases: Vec<(String, String, StatusCode, &str)> = vec![
        (key.clone(), String::new(), StatusCode::BAD_REQUEST, "gateway_grant_missing"),
        (key.clone(), format!("grant={taxes}"), StatusCode::FORBIDDEN, "gateway_grant_not_yours"),
        (key.clone(), "grant=999999".into(), StatusCode::FORBIDDEN, "gateway_grant_not_yours"),
        (key.clone(), format!("grant={suspended}"), StatusCode::FORBIDDEN, "gateway_grant_suspended"),
        (key.clone(), format!("grant={revoked}"), StatusCode::FORBIDDEN, "gateway_grant_revoked"),
        (key.clone(), format!("grant={expired}"), StatusCode::FORBIDDEN, "gateway_grant_expired"),
        (other_resource, format!("grant={open}"), StatusCode::FORBIDDEN, "gateway_grant_other_resource"),
        (records(&s), format!("grant={keyed}"), StatusCode::FORBIDDEN, "gateway_listing_not_granted"),
        (records(&s), format!("grant={open}&address=x"), StatusCode::FORBIDDEN, "gateway_item_not_granted"),
        // The call states a scenario its grant was not approved for.
        (key.clone(), format!("grant={open}&scenario=tax_collection"), StatusCode::FORBIDDEN, "gateway_wrong_scenario"),
        (
            records(&s),
            format!("grant={open}&scenario=%E6%8B%9B%E5%95%86"),
            StatusCode::FORBIDDEN,
            "gateway_wrong_scenario",
        ),
    ];
    for (path, query, status, code) in &cases {
        let r = call(&s, &app, path, query).await;
        assert_eq!((r.status, r.body["error"]["code"].as_str()), (*status, Some(*code)), "{path}?{query}: {}", r.text);
        assert!(r.body["error"]["message"].is_string() || r.body["error"]["message_zh"].is_string(), "{}", r.text);
        assert!(r.body.get("record").is_none() && r.body.get("records").is_none());
    }
    // The keyed grant still answers lookups, and a call stating its grant's scenario (as
    // written, or its category) is answered.
    assert_eq!(call(&s, &app, &key, &format!("grant={keyed}")).await.status, StatusCode::OK);
    let stated = format!(
        "grant={open}&scenario=%E6%9C%80%E4%BD%8E%E7%94%9F%E6%B4%BB%E4%BF%9D%E9%9A%9C%E7%94%B3%E8%AF%B7%E5%AE%B6%E5%BA%AD%E6%88%B7%E7%B1%8D%E6%A0%B8%E6%9F%A5"
    );
    assert_eq!(call(&s, &app, &key, &stated).await.status, StatusCode::OK);
    let r = call(&s, &app, &records(&s), &format!("grant={open}&scenario=social_assistance&limit=2")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    let audit = data_calls(&s).await;
    let denied: Vec<&str> = audit.iter().filter(|(o, _, _)| o == "denied").map(|(_, w, _)| w.as_str()).collect();
    let expected: Vec<&str> = cases.iter().map(|c| c.3).collect();
    assert_eq!(denied, expected, "each refusal audited once, with its reason");
    let tax_refusal = audit.iter().find(|(_, w, _)| w == "gateway_grant_not_yours").unwrap();
    assert_eq!(tax_refusal.2["detail"]["grant_id"], taxes);
}

async fn art_15_filtered_query_pages_with_a_tamper_proof_token(db: &TestDb) {
    let s = setup(db).await;
    let g = grant(&s, &s.civil_officer, json!({}), json!({})).await;
    let app = app(&s, &s.civil_officer).await;
    // Equality, paged 4 at a time: the 15 rows of 鄞州区.
    let mut seen = Vec::new();
    let mut query = format!("grant={g}&district=%E9%84%9E%E5%B7%9E%E5%8C%BA&limit=4");
    let mut first_next = None;
    loop {
        let r = call(&s, &app, &records(&s), &query).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        for rec in r.body["records"].as_array().unwrap() {
            assert_eq!(rec["district"], "鄞州区");
            seen.push(rec["mobile"].as_str().unwrap().to_string());
        }
        let Some(next) = r.body["next"].as_str() else { break };
        first_next.get_or_insert(next.to_string());
        query = format!("grant={g}&district=%E9%84%9E%E5%B7%9E%E5%8C%BA&limit=4&after={next}");
    }
    assert_eq!(seen.len(), 15, "{seen:?}");
    let unique: std::collections::HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), 15, "no row twice");

    // A token altered, or reused for other filters, is refused.
    let next = first_next.unwrap();
    // The token is opaque; altering any character breaks its MAC.
    let mut altered: Vec<char> = next.chars().collect();
    altered[9] = if altered[9] == 'A' { 'B' } else { 'A' };
    let altered: String = altered.into_iter().collect();
    for q in [
        format!("grant={g}&district=%E9%84%9E%E5%B7%9E%E5%8C%BA&limit=4&after={altered}"),
        format!("grant={g}&district=%E6%B5%B7%E6%9B%99%E5%8C%BA&limit=4&after={next}"),
    ] {
        let r = call(&s, &app, &records(&s), &q).await;
        assert_eq!(
            (r.status, r.body["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("gateway_bad_paging_token")),
            "{}",
            r.text
        );
    }
    // Range and in-list, on granted items; values are parameters, never SQL.
    let (lo, hi) = (mobile(10), mobile(13));
    let r = call(&s, &app, &records(&s), &format!("grant={g}&mobile.gte={lo}&mobile.lte={hi}")).await;
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("gateway_range_on_masked_item")),
        "a range over a masked item would narrow down its raw values: {}",
        r.text
    );
    let haishu = "%E6%B5%B7%E6%9B%99%E5%8C%BA";
    let r = call(&s, &app, &records(&s), &format!("grant={g}&district.gte={haishu}&district.lte={haishu}")).await;
    assert_eq!(r.body["records"].as_array().map(Vec::len), Some(15), "{}", r.text);
    let r = call(&s, &app, &records(&s), &format!("grant={g}&id_number.in={},{}", id_number(1), id_number(2))).await;
    assert_eq!(r.body["records"].as_array().map(Vec::len), Some(2), "{}", r.text);
    let r = call(&s, &app, &records(&s), &format!("grant={g}&district=x%27%20OR%20%271%27=%271")).await;
    assert_eq!((r.status, r.body["records"].as_array().map(Vec::len)), (StatusCode::OK, Some(0)), "{}", r.text);
    // Sizes are bounded, each with its own code.
    let long = "x".repeat(201);
    let many = vec!["a"; 101].join(",");
    for (q, code) in [
        (format!("grant={g}&limit=1001"), "gateway_bad_limit"),
        (format!("grant={g}&district={long}"), "gateway_value_too_long"),
        (format!("grant={g}&district.in={many}"), "gateway_in_list_too_long"),
        (format!("grant={g}&district.like=x"), "gateway_bad_parameter"),
    ] {
        let r = call(&s, &app, &records(&s), &q).await;
        assert_eq!((r.status, r.body["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some(code)), "{}", r.text);
    }

    // A grant scoped to one district's rows never returns another's, whatever the call asks.
    let scoped = json!({"row_scope": {"keyed_only": false, "filter": {"item": "district", "value": "海曙区"}}});
    let g2 = grant(&s, &s.civil_officer, scoped, json!({})).await;
    let r = call(&s, &app, &records(&s), &format!("grant={g2}&limit=1000")).await;
    let rows = r.body["records"].as_array().unwrap();
    assert_eq!(rows.len(), 15, "{}", r.text);
    assert!(rows.iter().all(|r| r["district"] == "海曙区"));
    let r = call(&s, &app, &format!("{}/{}", records(&s), id_number(2)), &format!("grant={g2}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "row 2 is in 鄞州区, outside the scope: {}", r.text);
}

async fn art_16_every_answered_call_has_exactly_one_audit_record(db: &TestDb) {
    let s = setup(db).await;
    let g = grant(&s, &s.civil_officer, json!({}), json!({})).await;
    let app = app(&s, &s.civil_officer).await;
    let mut answered = 0;
    for n in 0..5 {
        let r = call(&s, &app, &format!("{}/{}", records(&s), id_number(n)), &format!("grant={g}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        answered += 1;
    }
    let r = call(&s, &app, &records(&s), &format!("grant={g}&limit=7&name=%E5%BC%A0%E4%B8%893")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    answered += 1;
    let audit = data_calls(&s).await;
    let ok: Vec<&Value> = audit.iter().filter(|(o, _, _)| o == "success").map(|(_, _, s)| s).collect();
    assert_eq!(ok.len(), answered, "one record per answered call: {audit:?}");
    let lookup = ok.iter().find(|s| s["detail"]["operation"] == "lookup").unwrap();
    let detail = &lookup["detail"];
    assert_eq!(detail["grant_id"], g);
    assert_eq!(detail["scenario"], "最低生活保障申请家庭户籍核查");
    assert_eq!(detail["rows"], 1);
    assert!(detail["latency_ms"].is_number() && detail["consumer_org_id"].is_number());
    // The key is kept only as its SM3 digest; neither the path nor the parameters hold it.
    assert!(detail["params"]["key"].as_str().unwrap().starts_with("sm3:"));
    let text = serde_json::to_string(&audit.iter().map(|a| &a.2).collect::<Vec<_>>()).unwrap();
    for n in 0..5 {
        assert!(!text.contains(&id_number(n)), "a key in clear in the audit trail");
    }
    assert!(!text.contains("张三3"));
    let query = ok.iter().find(|s| s["detail"]["operation"] == "query").unwrap();
    assert_eq!(query["detail"]["rows"], 1);
    assert_eq!(query["detail"]["params"]["limit"], "7");
}

async fn art_15_a_replayed_data_call_gets_no_data_and_is_audited(db: &TestDb) {
    let s = setup(db).await;
    let g = grant(&s, &s.civil_officer, json!({}), json!({})).await;
    let app = app(&s, &s.civil_officer).await;
    let path = format!("{}/{}", records(&s), id_number(1));
    let query = format!("grant={g}");
    let first = call_as(&s, &app, &path, &query, None, "nonce-replayed-lookup-1").await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    // The same signed call again: refused as a replay, with none of the row in the answer.
    let replay = call_as(&s, &app, &path, &query, None, "nonce-replayed-lookup-1").await;
    assert_eq!(
        (replay.status, replay.body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("gateway_replayed_nonce")),
        "{}",
        replay.text
    );
    assert!(replay.body.get("record").is_none() && !replay.text.contains("张三"), "{}", replay.text);
    // Sent eight times at once: answered once.
    let copies = (0..8).map(|_| call_as(&s, &app, &path, &query, None, "nonce-replayed-lookup-2"));
    let statuses: Vec<StatusCode> =
        futures_util::future::join_all(copies).await.into_iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|st| **st == StatusCode::OK).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|st| *st == StatusCode::OK || *st == StatusCode::UNAUTHORIZED), "{statuses:?}");
    // One record per call: two answered, eight replays refused.
    let audit = data_calls(&s).await;
    let outcomes: Vec<(&str, &str)> = audit.iter().map(|(o, what, _)| (o.as_str(), what.as_str())).collect();
    assert_eq!(outcomes.iter().filter(|o| **o == ("success", "200")).count(), 2, "{outcomes:?}");
    assert_eq!(outcomes.iter().filter(|o| **o == ("denied", "gateway_replayed_nonce")).count(), 8, "{outcomes:?}");
    assert_eq!(outcomes.len(), 10, "{outcomes:?}");
}

async fn art_13_a_replacement_shows_old_or_new_rows_never_a_mix(db: &TestDb) {
    let s = setup(db).await;
    let g = grant(&s, &s.civil_officer, json!({}), json!({})).await;
    let app = app(&s, &s.civil_officer).await;
    let reads = async {
        let mut kinds = std::collections::BTreeSet::new();
        for _ in 0..40 {
            let r = call(&s, &app, &records(&s), &format!("grant={g}&limit=1000")).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
            let rows = r.body["records"].as_array().unwrap();
            // Old rows are numbers 0..30, new ones 100..140: the masked ID number keeps the
            // last four characters, whose first tells them apart.
            let generations: std::collections::BTreeSet<char> =
                rows.iter().map(|r| r["id_number"].as_str().unwrap()[14..].chars().next().unwrap()).collect();
            let seen = (generations.into_iter().collect::<String>(), rows.len());
            assert!(seen == ("0".to_string(), 30) || seen == ("1".to_string(), 40), "a mix: {seen:?}");
            kinds.insert(seen.0);
            tokio::task::yield_now().await;
        }
        kinds
    };
    let (kinds, ()) = tokio::join!(reads, async {
        deliver(&s, "新", 100..140).await;
    });
    assert!(!kinds.is_empty());
    let r = call(&s, &app, &records(&s), &format!("grant={g}&limit=1000")).await;
    assert_eq!(r.body["records"].as_array().unwrap().len(), 40, "the replacement is seen once stored");
}

async fn art_16_a_call_whose_audit_record_cannot_be_written_gets_no_data(db: &TestDb) {
    let s = setup(db).await;
    let g = grant(&s, &s.civil_officer, json!({}), json!({})).await;
    let app = app(&s, &s.civil_officer).await;
    let path = format!("{}/{}", records(&s), id_number(4));
    assert_eq!(call(&s, &app, &path, &format!("grant={g}")).await.status, StatusCode::OK);
    // The audit trail becomes unwritable: the call is not answered with data.
    db.raw("ALTER TABLE audit_entries RENAME TO audit_entries_away").await.unwrap();
    for query in [format!("grant={g}"), format!("grant={g}&district=%E9%84%9E%E5%B7%9E%E5%8C%BA")] {
        let target = if query.contains("district") { records(&s) } else { path.clone() };
        let r = call(&s, &app, &target, &query).await;
        assert!(r.status.is_server_error(), "{}: {}", r.status, r.text);
        assert!(r.body.get("record").is_none() && r.body.get("records").is_none(), "{}", r.text);
        assert!(!r.text.contains("鄞州区") && !r.text.contains("张"), "{}", r.text);
    }
    // A call refused this way used up nothing: its nonce went with the failed record.
    let query = format!("grant={g}");
    let failed = call_as(&s, &app, &path, &query, None, "nonce-with-a-failed-record").await;
    assert!(failed.status.is_server_error(), "{}: {}", failed.status, failed.text);
    db.raw("ALTER TABLE audit_entries_away RENAME TO audit_entries").await.unwrap();
    assert_eq!(call(&s, &app, &path, &query).await.status, StatusCode::OK);
    let retried = call_as(&s, &app, &path, &query, None, "nonce-with-a-failed-record").await;
    assert_eq!(retried.status, StatusCode::OK, "{}", retried.text);
    // The chain goes on from its last durable entry.
    let r = s.h.call(Method::POST, "/api/v1/audit/verify", Some(&s.h.admin), None).await;
    assert_eq!(r.body["status"], "intact", "{}", r.text);
}

/// The authority sets an application's limits; the agency cannot raise its own.
async fn set_limits(s: &Setup, app_key: &str, limits: Value) {
    let r = s.h.call(Method::GET, "/api/v1/client-apps", Some(&s.staff), None).await;
    let id = r.body.as_array().unwrap().iter().find(|a| a["app_key"] == app_key).unwrap()["id"].as_i64().unwrap();
    let path = format!("/api/v1/client-apps/{id}/limits");
    let r = s.h.call(Method::POST, &path, Some(&s.civil_officer), Some(limits.clone())).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "an agency may not set its own limits: {}", r.text);
    let r = s.h.call(Method::POST, &path, Some(&s.h.admin), Some(json!({"rate_per_second": 0}))).await;
    assert_eq!((r.status, r.body["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("rate_per_second")));
    let r = s.h.call(Method::POST, &path, Some(&s.h.admin), Some(limits)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

async fn art_16_calls_over_the_rate_are_refused_with_retry_after_and_audited(db: &TestDb) {
    let s = setup(db).await;
    let g = grant(&s, &s.civil_officer, json!({}), json!({})).await;
    let app = app(&s, &s.civil_officer).await;
    set_limits(&s, &app.key, json!({"rate_per_second": 1})).await;
    let path = format!("{}/{}", records(&s), id_number(1));
    let mut statuses = Vec::new();
    let mut limited = None;
    for _ in 0..4 {
        let r = call(&s, &app, &path, &format!("grant={g}")).await;
        statuses.push(r.status);
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(r);
        }
    }
    assert_eq!(statuses[0], StatusCode::OK, "{statuses:?}");
    let refused = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert!(refused >= 2, "calls at once beyond one a second are refused: {statuses:?}");
    let r = limited.unwrap();
    assert_eq!(r.body["error"]["code"], "gateway_rate_limited");
    let wait: u64 = r.headers[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert_eq!(wait, 1);
    assert!(!r.text.contains("张"), "{}", r.text);
    let refusals = data_calls(&s).await.into_iter().filter(|(_, what, _)| what == "gateway_rate_limited").count();
    assert_eq!(refusals, refused, "every refused call has its audit record");
    // The grant's usage counts only the calls let through.
    s.h.state.usage.flush(&s.h.state.store).await.unwrap();
    let r = s.h.call(Method::GET, &format!("/api/v1/grants/{g}/usage"), Some(&s.civil_officer), None).await;
    assert_eq!(r.body["total_calls"], json!(4 - refused), "{}", r.text);
}

async fn art_16_the_daily_quota_holds_across_instances(db: &TestDb) {
    let s = setup(db).await;
    let g = grant(&s, &s.civil_officer, json!({}), json!({})).await;
    let app = app(&s, &s.civil_officer).await;
    set_limits(&s, &app.key, json!({"daily_quota": 3})).await;
    let path = format!("{}/{}", records(&s), id_number(1));
    for _ in 0..2 {
        assert_eq!(call(&s, &app, &path, &format!("grant={g}")).await.status, StatusCode::OK);
    }
    // This instance's counts reach the database; another instance on it sees them.
    s.h.state.usage.flush(&s.h.state.store).await.unwrap();
    // Instances on one database share its sharing key.
    let config = (*s.h.state.config).clone();
    let other = pubdata_web::AppState::open(db.store.clone(), config, None).await.unwrap();
    other.usage.flush(&other.store).await.unwrap();
    let other = Harness { app: pubdata_web::app(other.clone()), admin: s.h.admin.clone(), state: other };
    let on_other = Setup { h: other, ..setup_parts(&s) };
    assert_eq!(call(&on_other, &app, &path, &format!("grant={g}")).await.status, StatusCode::OK, "the third call");
    let r = call(&on_other, &app, &path, &format!("grant={g}")).await;
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("gateway_quota_exceeded")),
        "{}",
        r.text
    );
    let wait: u64 = r.headers[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=86_400).contains(&wait), "until the district's midnight: {wait}");
    // The first instance learns of the other's calls at its next flush.
    on_other.h.state.usage.flush(&on_other.h.state.store).await.unwrap();
    s.h.state.usage.flush(&s.h.state.store).await.unwrap();
    let r = call(&s, &app, &path, &format!("grant={g}")).await;
    assert_eq!(r.body["error"]["code"], "gateway_quota_exceeded", "{}", r.text);
    // The authority raises the quota: calls go through again.
    set_limits(&s, &app.key, json!({"daily_quota": 10})).await;
    assert_eq!(call(&s, &app, &path, &format!("grant={g}")).await.status, StatusCode::OK);
}

async fn art_16_usage_per_grant_for_consumer_provider_and_authority(db: &TestDb) {
    let s = setup(db).await;
    let g = grant(&s, &s.civil_officer, json!({}), json!({})).await;
    let app = app(&s, &s.civil_officer).await;
    for n in 0..3 {
        let r = call(&s, &app, &format!("{}/{}", records(&s), id_number(n)), &format!("grant={g}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    let r = call(&s, &app, &records(&s), &format!("grant={g}&district=鄞州区&limit=5")).await;
    assert_eq!(r.body["records"].as_array().map(Vec::len), Some(5), "{}", r.text);
    let r = call(&s, &app, &format!("{}/{}", records(&s), id_number(99)), &format!("grant={g}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    s.h.state.usage.flush(&s.h.state.store).await.unwrap();
    let today =
        pubdata_domain::timefmt::format_date(pubdata_domain::timefmt::district_date(pubdata_domain::timefmt::now()));
    for who in [&s.civil_officer, &s.police_officer, &s.staff] {
        let r = s.h.call(Method::GET, &format!("/api/v1/grants/{g}/usage?days=7"), Some(who), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["days"][0], json!({"day": today, "calls": 5, "refused": 1, "rows": 8}), "{}", r.text);
        assert_eq!((r.body["total_calls"].as_i64(), r.body["total_rows"].as_i64()), (Some(5), Some(8)));
    }
    let r = s.h.call(Method::GET, &format!("/api/v1/grants/{g}/usage"), Some(&s.tax_officer), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "another agency does not see the grant's use: {}", r.text);
    let r = s.h.call(Method::GET, &format!("/api/v1/grants/{g}/usage?days=0"), Some(&s.staff), None).await;
    assert_eq!((r.status, r.body["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("days")));
}

async fn art_16_a_grant_suspended_through_another_instance_is_refused_within_a_second(db: &TestDb) {
    let s = setup(db).await;
    let g = grant(&s, &s.civil_officer, json!({}), json!({})).await;
    let app = app(&s, &s.civil_officer).await;
    let path = format!("{}/{}", records(&s), id_number(1));
    // This instance has now read the application and the grant for its calls.
    assert_eq!(call(&s, &app, &path, &format!("grant={g}")).await.status, StatusCode::OK);
    // Another instance, with its own connections to the database, suspends the grant.
    let config = (*s.h.state.config).clone();
    let other = pubdata_web::AppState::open(db.another_instance().await, config, None).await.unwrap();
    let other = Harness { app: pubdata_web::app(other.clone()), admin: s.h.admin.clone(), state: other };
    let on_other = Setup { h: other, ..setup_parts(&s) };
    let r = on_other
        .h
        .call(Method::POST, &format!("/api/v1/grants/{g}/suspend"), Some(&s.staff), Some(json!({"reason": "核查中"})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let refused = |r: Reply| (r.status, r.body["error"]["code"].as_str().map(str::to_string));
    let suspended = (StatusCode::FORBIDDEN, Some("gateway_grant_suspended".to_string()));
    // There at once, and here once this instance's copy has run out.
    assert_eq!(refused(call(&on_other, &app, &path, &format!("grant={g}")).await), suspended);
    tokio::time::sleep(pubdata_store::channel_cache::TTL + std::time::Duration::from_millis(100)).await;
    assert_eq!(refused(call(&s, &app, &path, &format!("grant={g}")).await), suspended);
    // Resumed here: this instance's own change applies to its calls at once.
    let r = s
        .h
        .call(Method::POST, &format!("/api/v1/grants/{g}/resume"), Some(&s.staff), Some(json!({"reason": "核查完毕"})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(call(&s, &app, &path, &format!("grant={g}")).await.status, StatusCode::OK);
    on_other.h.state.store.close().await;
}

/// The parts of a set-up other than its harness, to call through a second instance.
fn setup_parts(s: &Setup) -> Setup {
    Setup {
        h: Harness { app: s.h.app.clone(), admin: s.h.admin.clone(), state: s.h.state.clone() },
        police_officer: s.police_officer.clone(),
        civil_officer: s.civil_officer.clone(),
        tax_officer: s.tax_officer.clone(),
        staff: s.staff.clone(),
        resource: s.resource,
    }
}

backend_tests!(
    art_16_a_grant_suspended_through_another_instance_is_refused_within_a_second,
    art_16_calls_over_the_rate_are_refused_with_retry_after_and_audited,
    art_16_the_daily_quota_holds_across_instances,
    art_16_usage_per_grant_for_consumer_provider_and_authority,
    art_16_keyed_lookup_returns_only_granted_items_masked,
    art_16_raw_values_only_where_the_grant_approved_them,
    art_16_calls_outside_the_grant_are_refused_and_audited,
    art_15_filtered_query_pages_with_a_tamper_proof_token,
    art_16_every_answered_call_has_exactly_one_audit_record,
    art_15_a_replayed_data_call_gets_no_data_and_is_audited,
    art_13_a_replacement_shows_old_or_new_rows_never_a_mix,
    art_16_a_call_whose_audit_record_cannot_be_written_gets_no_data,
);
