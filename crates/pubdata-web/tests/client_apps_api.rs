//! Client applications and the signed sharing channel over HTTP (Art.15, Art.16, Ch.7), on both
//! backends: an agency registers its system and sees the secret once, signs a call to
//! `GET /gateway/v1/whoami` and is answered with an audit entry; unsigned, badly signed,
//! replayed, stale and oversized calls get their own 4xx and an audit entry each; rotation and
//! disabling through the API; another agency cannot touch the application.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::*;
use pubdata_domain::client_app::SignedRequest;
use pubdata_domain::client_app::signature::{self, SignatureMethod};
use pubdata_testkit::{TestDb, backend_tests};
use serde_json::{Value, json};

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// A gateway request signed with `secret` (or sent with `signature` as given).
fn gateway_request(app_key: &str, secret: &str, nonce: &str, ts: i64, query: &str, body: &[u8]) -> Request<Body> {
    let ts = ts.to_string();
    let path = "/gateway/v1/whoami";
    let signed = SignedRequest { method: "GET", path, query, body, timestamp: &ts, nonce };
    let sig = signature::sign(SignatureMethod::HmacSm3, secret, &signed);
    let uri = if query.is_empty() { path.to_string() } else { format!("{path}?{query}") };
    Request::get(uri)
        .header("X-Pubdata-App-Key", app_key)
        .header("X-Pubdata-Timestamp", ts)
        .header("X-Pubdata-Nonce", nonce)
        .header("X-Pubdata-Signature-Method", "HMAC-SM3")
        .header("X-Pubdata-Signature", sig)
        .body(Body::from(body.to_vec()))
        .unwrap()
}

async fn gateway_audit(h: &Harness) -> Vec<Value> {
    let r = h.call(Method::GET, "/api/v1/audit/entries?action=gateway.call&limit=100", Some(&h.admin), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let entries = r.body["entries"].as_array().or_else(|| r.body.as_array()).cloned().unwrap_or_default();
    entries.into_iter().filter(|e| e["action"] == "gateway.call").collect()
}

async fn register(h: &Harness, token: &str, name: &str) -> Value {
    let body = json!({"name": name, "description": "税收征管系统调用共享数据", "contact": "王工 0574-88000000"});
    let r = h.call(Method::POST, "/api/v1/client-apps", Some(token), Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body
}

async fn art_15_a_signed_call_is_accepted_and_audited(db: &TestDb) {
    let h = harness(db).await;
    let tax = h.agency("区税务局").await;
    let officer = h.user("tax-officer", tax, "agency_data_officer").await;
    let issued = register(&h, &officer, "税收征管系统").await;
    let (key, secret) = (issued["app"]["app_key"].as_str().unwrap(), issued["secret"].as_str().unwrap());

    let ok = h.raw(gateway_request(key, secret, "nonce-0000000001", now(), "b=2&a=%E5%AE%81", b"")).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert_eq!(ok.body["app_key"], key);
    assert_eq!(ok.body["org_id"], tax);
    assert_eq!(ok.body["org_name"], "区税务局");
    assert_eq!(ok.body["signature_method"], "HMAC-SM3");

    // Each refusal: its own status and code.
    let replay = h.raw(gateway_request(key, secret, "nonce-0000000001", now(), "b=2&a=%E5%AE%81", b"")).await;
    assert_eq!(
        (replay.status, replay.body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("gateway_replayed_nonce"))
    );
    let bad = h.raw(gateway_request(key, "pds_wrong", "nonce-0000000002", now(), "", b"")).await;
    assert_eq!(bad.body["error"]["code"], "gateway_bad_signature", "{}", bad.text);
    assert!(bad.body["error"]["message_en"].as_str().unwrap().contains("signature"));
    let stale = h.raw(gateway_request(key, secret, "nonce-0000000003", now() - 600, "", b"")).await;
    assert_eq!(
        (stale.status, stale.body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("gateway_stale_timestamp"))
    );
    let unsigned = h.raw(Request::get("/gateway/v1/whoami").body(Body::empty()).unwrap()).await;
    assert_eq!(
        (unsigned.status, unsigned.body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("gateway_unsigned"))
    );
    let big = vec![b'x'; 300 * 1024];
    let oversized = h.raw(gateway_request(key, secret, "nonce-0000000004", now(), "", &big)).await;
    assert_eq!(
        (oversized.status, oversized.body["error"]["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("gateway_body_too_large"))
    );
    // A query changed in transit breaks the signature.
    let mut altered = gateway_request(key, secret, "nonce-0000000005", now(), "a=1", b"");
    *altered.uri_mut() = "/gateway/v1/whoami?a=2".parse().unwrap();
    assert_eq!(h.raw(altered).await.body["error"]["code"], "gateway_bad_signature");

    let audit = gateway_audit(&h).await;
    let outcomes: Vec<(String, String)> = audit
        .iter()
        .map(|e| {
            let summary: Value =
                e["summary"].as_str().map_or_else(|| e["summary"].clone(), |s| serde_json::from_str(s).unwrap());
            let what = summary["reason"].as_str().map_or_else(|| summary["status"].to_string(), str::to_string);
            (e["outcome"].as_str().unwrap().to_string(), what)
        })
        .collect();
    for expected in [
        ("success", "200"),
        ("denied", "gateway_replayed_nonce"),
        ("denied", "gateway_bad_signature"),
        ("denied", "gateway_stale_timestamp"),
        ("denied", "gateway_unsigned"),
        ("denied", "gateway_body_too_large"),
    ] {
        assert!(
            outcomes.iter().any(|(o, w)| (o.as_str(), w.as_str()) == expected),
            "{expected:?} missing from {outcomes:?}"
        );
    }
    assert_eq!(outcomes.len(), 7, "one entry per call: {outcomes:?}");
}

async fn art_15_client_apps_are_managed_through_the_api(db: &TestDb) {
    let h = harness(db).await;
    let tax = h.agency("区税务局").await;
    let civil = h.agency("区民政局").await;
    let officer = h.user("tax-officer", tax, "agency_data_officer").await;
    let stranger = h.user("civil-officer", civil, "agency_data_officer").await;
    let issued = register(&h, &officer, "税收征管系统").await;
    let id = issued["app"]["id"].as_i64().unwrap();
    let key = issued["app"]["app_key"].as_str().unwrap().to_string();
    let first = issued["secret"].as_str().unwrap().to_string();

    // Shown once: reading it back shows only the prefix.
    let shown = h.call(Method::GET, &format!("/api/v1/client-apps/{id}"), Some(&officer), None).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(!shown.text.contains(&first) && shown.text.contains(&first[..10]));
    // Another agency: not found, not listed, cannot rotate or disable.
    for (m, path, body) in [
        (Method::GET, format!("/api/v1/client-apps/{id}"), None),
        (Method::POST, format!("/api/v1/client-apps/{id}/rotate"), Some(json!({}))),
        (Method::POST, format!("/api/v1/client-apps/{id}/disable"), Some(json!({"reason": "x"}))),
    ] {
        let r = h.call(m, &path, Some(&stranger), body).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.text);
    }
    let listed = h.call(Method::GET, "/api/v1/client-apps", Some(&stranger), None).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 0);

    // Rotation: both secrets work in the window; retiring the previous ends the old one.
    let rotated = h
        .call(
            Method::POST,
            &format!("/api/v1/client-apps/{id}/rotate"),
            Some(&officer),
            Some(json!({"window_hours": 2})),
        )
        .await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.text);
    let second = rotated.body["secret"].as_str().unwrap().to_string();
    assert_eq!(h.raw(gateway_request(&key, &first, "nonce-1000000001", now(), "", b"")).await.status, StatusCode::OK);
    assert_eq!(h.raw(gateway_request(&key, &second, "nonce-1000000002", now(), "", b"")).await.status, StatusCode::OK);
    let retired =
        h.call(Method::POST, &format!("/api/v1/client-apps/{id}/retire-previous"), Some(&officer), None).await;
    assert_eq!(retired.status, StatusCode::OK, "{}", retired.text);
    assert_eq!(
        h.raw(gateway_request(&key, &first, "nonce-1000000003", now(), "", b"")).await.status,
        StatusCode::UNAUTHORIZED
    );

    // Disabled: refused with its own code.
    let disabled = h
        .call(
            Method::POST,
            &format!("/api/v1/client-apps/{id}/disable"),
            Some(&officer),
            Some(json!({"reason": "系统下线"})),
        )
        .await;
    assert_eq!(disabled.status, StatusCode::OK, "{}", disabled.text);
    let refused = h.raw(gateway_request(&key, &second, "nonce-1000000004", now(), "", b"")).await;
    assert_eq!(
        (refused.status, refused.body["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("gateway_app_disabled"))
    );

    // The authority sees every agency's applications; the endpoints are in the OpenAPI document.
    let all = h.call(Method::GET, "/api/v1/client-apps", Some(&h.admin), None).await;
    assert_eq!(all.body.as_array().unwrap().len(), 1);
    let doc = h.call(Method::GET, "/api/v1/openapi.json", None, None).await;
    for path in ["/client-apps", "/client-apps/{id}", "/client-apps/{id}/rotate", "/client-apps/{id}/disable"] {
        assert!(doc.body["paths"].get(path).is_some(), "{path} missing from the OpenAPI document");
    }
}

backend_tests!(art_15_a_signed_call_is_accepted_and_audited, art_15_client_apps_are_managed_through_the_api);
