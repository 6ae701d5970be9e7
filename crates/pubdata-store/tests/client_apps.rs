//! Client applications and signed calls through the sharing channel (Art.15, Art.16, Ch.7), on
//! SQLite and PostgreSQL: registration with a secret shown once and sealed at rest, signature
//! checks with every refusal audited, replays refused across instances, rotation without
//! downtime, disabling, and who manages which applications.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{agency, person};

use pubdata_domain::client_app::signature;
use pubdata_domain::client_app::{NewClientApp, Refusal, SharingKey, SignatureMethod, SignedRequest};
use pubdata_domain::identity::{Caller, Role, Source};
use pubdata_store::client_apps::{self, GatewayCall, IssuedSecret};
use pubdata_store::{Error, Store, bootstrap};
use pubdata_testkit::{TestDb, backend_tests};

struct District {
    key: SharingKey,
    tax: i64,
    tax_officer: Caller,
    civil_officer: Caller,
    admin: Caller,
    supervisor: Caller,
}

async fn district(db: &TestDb) -> District {
    let store = &db.store;
    bootstrap::ensure_initialized(store, "测试主管部门", false).await.unwrap();
    let system = Caller::system("test");
    let tax = agency(store, &system, "区税务局").await;
    let civil = agency(store, &system, "区民政局").await;
    let supervising = agency(store, &system, "区委网信办").await;
    District {
        key: SharingKey::generate(),
        tax,
        tax_officer: person(store, &system, "tax-officer", tax, Role::AgencyDataOfficer).await,
        civil_officer: person(store, &system, "civil-officer", civil, Role::AgencyDataOfficer).await,
        admin: person(store, &system, "platform-admin", 1, Role::AuthorityAdmin).await,
        supervisor: person(store, &system, "watcher", supervising, Role::Supervisor).await,
    }
}

fn registration(name: &str) -> NewClientApp {
    NewClientApp {
        name: name.into(),
        description: "税收征管系统调用共享数据".into(),
        contact: "王工 0574-88000000".into(),
        ..Default::default()
    }
}

async fn register(db: &TestDb, d: &District, name: &str) -> IssuedSecret {
    client_apps::create(&db.store, &d.key, &d.tax_officer, registration(name)).await.unwrap()
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn caller_source() -> Source {
    Source { ip: Some("10.20.0.5".into()), user_agent: Some("tax-system/1.0".into()), request_id: None }
}

/// A call to `GET /gateway/v1/whoami?b=2&a=1` signed with `secret` at `ts` with `nonce`.
struct Signed {
    app_key: String,
    ts: String,
    nonce: String,
    method: SignatureMethod,
    signature: String,
}

fn signed(app_key: &str, secret: &str, ts: i64, nonce: &str, method: SignatureMethod) -> Signed {
    let ts = ts.to_string();
    let request =
        SignedRequest { method: "GET", path: "/gateway/v1/whoami", query: "b=2&a=1", body: b"", timestamp: &ts, nonce };
    let signature = signature::sign(method, secret, &request);
    Signed { app_key: app_key.into(), ts, nonce: nonce.into(), method, signature }
}

async fn present(
    store: &Store,
    key: &SharingKey,
    s: &Signed,
) -> Result<pubdata_domain::client_app::GatewayCaller, Refusal> {
    let call = GatewayCall {
        app_key: Some(&s.app_key),
        timestamp: Some(&s.ts),
        nonce: Some(&s.nonce),
        signature_method: Some(s.method.as_str()),
        signature: Some(&s.signature),
        method: "GET",
        path: "/gateway/v1/whoami",
        query: "a=1&b=2",
        body: b"",
    };
    // A call's nonce is claimed with its audit record, as the gateway does for every call.
    let caller = client_apps::authenticate_call(store, key, &call, &caller_source(), now()).await.unwrap()?;
    client_apps::record_call(store, &caller, "GET", "/gateway/v1/whoami", 200, serde_json::json!({})).await.unwrap()?;
    Ok(caller)
}

fn nonce(n: u32) -> String {
    format!("nonce-{n:010}-abcdef")
}

/// The gateway entries in the audit trail: (outcome, reason or status, object id).
async fn gateway_entries(store: &Store) -> Vec<(String, String, Option<String>, String)> {
    let rows: Vec<(String, String, Option<String>, String)> = sqlx::query_as(
        "SELECT outcome, summary, object_id, actor_username FROM audit_entries WHERE action = 'gateway.call' ORDER BY seq",
    )
    .fetch_all(store.reader())
    .await
    .unwrap();
    rows.into_iter()
        .map(|(outcome, summary, id, actor)| {
            let v: serde_json::Value = serde_json::from_str(&summary).unwrap();
            let what = v["reason"].as_str().map_or_else(|| v["status"].to_string(), str::to_string);
            (outcome, what, id, actor)
        })
        .collect()
}

async fn art_15_secret_is_shown_once_and_stored_encrypted(db: &TestDb) {
    let d = district(db).await;
    let issued = register(db, &d, "税收征管系统").await;
    assert!(issued.secret.starts_with("pds_") && issued.secret.len() > 40);
    assert!(issued.app.app_key.starts_with("pdk_"));
    assert_eq!(issued.app.org_id, d.tax);
    assert_eq!(issued.app.secrets.len(), 1);
    assert!(issued.app.secrets[0].active);
    // Never again: neither reading the application nor listing shows the secret.
    let shown = client_apps::get(&db.store, &d.tax_officer, issued.app.id).await.unwrap();
    let listed = client_apps::list(&db.store, &d.tax_officer).await.unwrap();
    for json in [serde_json::to_string(&shown).unwrap(), serde_json::to_string(&listed).unwrap()] {
        assert!(!json.contains(&issued.secret));
        assert!(json.contains(&issued.secret[..10]), "the prefix, to recognise it by");
    }
    // At rest: sealed with SM4-GCM under the platform key, nowhere in clear (audit included).
    let (sealed,): (String,) = sqlx::query_as("SELECT sealed FROM client_app_secrets WHERE app_id = $1")
        .bind(issued.app.id)
        .fetch_one(db.store.reader())
        .await
        .unwrap();
    assert!(sealed.starts_with("sm4gcm1:"), "{sealed}");
    assert_eq!(d.key.open(&sealed, &issued.app.app_key).unwrap(), issued.secret.as_bytes());
    let (hits,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_entries WHERE summary LIKE $1")
        .bind(format!("%{}%", &issued.secret[10..]))
        .fetch_one(db.store.reader())
        .await
        .unwrap();
    assert_eq!(hits, 0);
    // A database copied to an instance with another key opens no secret: calls are refused.
    let other_key = SharingKey::generate();
    let s = signed(&issued.app.app_key, &issued.secret, now(), &nonce(1), SignatureMethod::HmacSha256);
    assert_eq!(present(&db.store, &other_key, &s).await, Err(Refusal::BadSignature));
    assert!(
        present(
            &db.store,
            &d.key,
            &signed(&issued.app.app_key, &issued.secret, now(), &nonce(2), SignatureMethod::HmacSha256)
        )
        .await
        .is_ok()
    );
    // The registration is audited, with the app key and without the secret.
    let (summary,): (String,) =
        sqlx::query_as("SELECT summary FROM audit_entries WHERE action = 'client_app.create' AND object_id = $1")
            .bind(issued.app.id.to_string())
            .fetch_one(db.store.reader())
            .await
            .unwrap();
    assert!(summary.contains(&issued.app.app_key) && !summary.contains(&issued.secret));
}

async fn art_15_a_signed_call_is_accepted_and_audited(db: &TestDb) {
    let d = district(db).await;
    let issued = register(db, &d, "税收征管系统").await;
    for (i, method) in [SignatureMethod::HmacSha256, SignatureMethod::HmacSm3].into_iter().enumerate() {
        let s = signed(&issued.app.app_key, &issued.secret, now(), &nonce(i as u32), method);
        let caller = present(&db.store, &d.key, &s).await.unwrap();
        assert_eq!(caller.app_id, issued.app.id);
        assert_eq!(caller.consumer_org.0, d.tax);
        assert_eq!(caller.signature_method, method);
    }
    let entries = gateway_entries(&db.store).await;
    assert_eq!(entries.len(), 2, "{entries:?}");
    for (outcome, status, id, actor) in entries {
        assert_eq!((outcome.as_str(), status.as_str()), ("success", "200"));
        assert_eq!(id, Some(issued.app.id.to_string()));
        assert_eq!(actor, format!("app:{}", issued.app.app_key));
    }
}

async fn art_15_bad_signature_stale_timestamp_and_replayed_nonce_are_refused_and_audited(db: &TestDb) {
    let d = district(db).await;
    let issued = register(db, &d, "税收征管系统").await;
    let key = &issued.app.app_key;
    let secret = &issued.secret;
    let sha = SignatureMethod::HmacSha256;
    // Signed with a wrong secret.
    let wrong = signed(key, "pds_not-the-secret", now(), &nonce(1), sha);
    assert_eq!(present(&db.store, &d.key, &wrong).await, Err(Refusal::BadSignature));
    // Signed over other content than was sent (the signature of another query).
    let mut tampered = signed(key, secret, now(), &nonce(2), sha);
    tampered.signature = signed(key, secret, now(), &nonce(99), sha).signature;
    assert_eq!(present(&db.store, &d.key, &tampered).await, Err(Refusal::BadSignature));
    // Clock skew beyond five minutes, either way.
    for skew in [-301, 301] {
        let stale = signed(key, secret, now() + skew, &nonce(3), sha);
        assert_eq!(present(&db.store, &d.key, &stale).await, Err(Refusal::StaleTimestamp));
    }
    // A good call, then its replay: refused, here and on a second instance of the same database.
    let good = signed(key, secret, now(), &nonce(4), sha);
    assert!(present(&db.store, &d.key, &good).await.is_ok());
    assert_eq!(present(&db.store, &d.key, &good).await, Err(Refusal::ReplayedNonce));
    let other_instance = Store::connect(&db.options).await.unwrap();
    assert_eq!(present(&other_instance, &d.key, &good).await, Err(Refusal::ReplayedNonce));
    // The same call sent many times at once, here and there: accepted exactly once, whether
    // the copies meet in one group of nonces or in several.
    let burst = signed(key, secret, now(), &nonce(6), sha);
    let here = (0..8).map(|_| present(&db.store, &d.key, &burst));
    let there = (0..8).map(|_| present(&other_instance, &d.key, &burst));
    let outcomes = futures_util::future::join_all(here.chain(there)).await;
    assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 1, "{outcomes:?}");
    assert!(outcomes.iter().all(|o| o.is_ok() || *o == Err(Refusal::ReplayedNonce)), "{outcomes:?}");
    other_instance.close().await;
    // An unknown app key, and an unsigned call.
    let unknown = signed("pdk_00000000000000000000", secret, now(), &nonce(5), sha);
    assert_eq!(present(&db.store, &d.key, &unknown).await, Err(Refusal::UnknownApp));
    let unsigned = GatewayCall {
        app_key: Some(key),
        timestamp: None,
        nonce: None,
        signature_method: None,
        signature: None,
        method: "GET",
        path: "/gateway/v1/whoami",
        query: "",
        body: b"",
    };
    let refused = client_apps::authenticate_call(&db.store, &d.key, &unsigned, &caller_source(), now()).await.unwrap();
    assert_eq!(refused.unwrap_err(), Refusal::Unsigned);
    // A refused call does not burn its nonce: the genuine call with nonce 1 still goes through.
    assert!(present(&db.store, &d.key, &signed(key, secret, now(), &nonce(1), sha)).await.is_ok());

    let entries = gateway_entries(&db.store).await;
    let reasons: Vec<&str> = entries.iter().filter(|e| e.0 == "denied").map(|e| e.1.as_str()).collect();
    // The two replays, then fifteen of the burst's sixteen copies.
    let mut expected = vec!["gateway_bad_signature", "gateway_bad_signature"];
    expected.extend(["gateway_stale_timestamp"; 2]);
    expected.extend(["gateway_replayed_nonce"; 2 + 15]);
    expected.extend(["gateway_unknown_app", "gateway_unsigned"]);
    assert_eq!(reasons, expected);
    // Refusals name the application when it is known, and what was claimed when it is not.
    let first = &entries[0];
    assert_eq!(first.2, Some(issued.app.id.to_string()));
    let unknown_entry = entries.iter().find(|e| e.1 == "gateway_unknown_app").unwrap();
    assert_eq!((unknown_entry.2.as_deref(), unknown_entry.3.as_str()), (None, "app:pdk_00000000000000000000"));

    // Nonces are remembered for the window only (then timestamps refuse a replay anyway).
    let (before,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM client_app_nonces").fetch_one(db.store.reader()).await.unwrap();
    assert_eq!(before, 3, "nonces 4, 6 (the burst's) and 1");
    sqlx::query("UPDATE client_app_nonces SET seen_at = '2020-01-01T00:00:00.000000Z' WHERE nonce = $1")
        .bind(nonce(4))
        .execute(db.store.reader())
        .await
        .unwrap();
    assert_eq!(client_apps::prune_nonces(&db.store).await.unwrap(), 1);
}

async fn art_15_rotation_accepts_old_and_new_secret_until_the_old_is_retired(db: &TestDb) {
    let d = district(db).await;
    let first = register(db, &d, "税收征管系统").await;
    let key = first.app.app_key.clone();
    let sha = SignatureMethod::HmacSha256;
    let mut n = 0;
    let mut call = |secret: &str| {
        n += 1;
        signed(&key, secret, now(), &nonce(n), sha)
    };
    let second = client_apps::rotate(&db.store, &d.key, &d.tax_officer, first.app.id, None).await.unwrap();
    assert_ne!(second.secret, first.secret);
    assert_eq!(second.app.secrets.iter().filter(|s| s.active).count(), 2);
    // During the window both work: systems switch one by one, none is cut off.
    assert!(present(&db.store, &d.key, &call(&first.secret)).await.is_ok());
    assert!(present(&db.store, &d.key, &call(&second.secret)).await.is_ok());
    // Retired explicitly: the old one is refused, the new one works.
    let app = client_apps::retire_previous(&db.store, &d.tax_officer, first.app.id).await.unwrap();
    assert_eq!(app.secrets.iter().filter(|s| s.active).count(), 1);
    assert_eq!(present(&db.store, &d.key, &call(&first.secret)).await, Err(Refusal::BadSignature));
    assert!(present(&db.store, &d.key, &call(&second.secret)).await.is_ok());
    // Retired by its window running out.
    let third = client_apps::rotate(&db.store, &d.key, &d.tax_officer, first.app.id, Some(1)).await.unwrap();
    assert!(present(&db.store, &d.key, &call(&second.secret)).await.is_ok());
    sqlx::query("UPDATE client_app_secrets SET retire_at = '2020-01-01T00:00:00.000000Z' WHERE retire_at IS NOT NULL AND retired_at IS NULL")
        .execute(db.store.reader())
        .await
        .unwrap();
    // Changed behind the store's back: its channel copies would otherwise serve for a second.
    db.store.forget_channel_copies();
    assert_eq!(present(&db.store, &d.key, &call(&second.secret)).await, Err(Refusal::BadSignature));
    assert!(present(&db.store, &d.key, &call(&third.secret)).await.is_ok());
    // A window of 0 retires the previous secret at once; at most two ever work.
    let fourth = client_apps::rotate(&db.store, &d.key, &d.tax_officer, first.app.id, Some(0)).await.unwrap();
    assert_eq!(present(&db.store, &d.key, &call(&third.secret)).await, Err(Refusal::BadSignature));
    assert!(present(&db.store, &d.key, &call(&fourth.secret)).await.is_ok());
    let fifth = client_apps::rotate(&db.store, &d.key, &d.tax_officer, first.app.id, Some(24)).await.unwrap();
    let sixth = client_apps::rotate(&db.store, &d.key, &d.tax_officer, first.app.id, Some(24)).await.unwrap();
    assert_eq!(sixth.app.secrets.iter().filter(|s| s.active).count(), 2);
    assert_eq!(present(&db.store, &d.key, &call(&fourth.secret)).await, Err(Refusal::BadSignature));
    assert!(present(&db.store, &d.key, &call(&fifth.secret)).await.is_ok());
    assert!(present(&db.store, &d.key, &call(&sixth.secret)).await.is_ok());
    // No previous secret left in a window: nothing to retire.
    client_apps::retire_previous(&db.store, &d.tax_officer, first.app.id).await.unwrap();
    assert!(matches!(
        client_apps::retire_previous(&db.store, &d.tax_officer, first.app.id).await,
        Err(Error::Domain(pubdata_domain::Error::Conflict(_)))
    ));
    let (rotations,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_entries WHERE action = 'client_app.rotate'")
        .fetch_one(db.store.reader())
        .await
        .unwrap();
    assert_eq!(rotations, 5);
}

async fn art_15_a_disabled_app_is_refused(db: &TestDb) {
    let d = district(db).await;
    let issued = register(db, &d, "税收征管系统").await;
    let sha = SignatureMethod::HmacSha256;
    assert!(
        present(&db.store, &d.key, &signed(&issued.app.app_key, &issued.secret, now(), &nonce(1), sha)).await.is_ok()
    );
    assert!(client_apps::disable(&db.store, &d.tax_officer, issued.app.id, " ").await.is_err(), "a reason is required");
    let app = client_apps::disable(&db.store, &d.tax_officer, issued.app.id, "系统下线").await.unwrap();
    assert_eq!(app.status.as_str(), "disabled");
    assert_eq!(app.disabled_reason.as_deref(), Some("系统下线"));
    let s = signed(&issued.app.app_key, &issued.secret, now(), &nonce(2), sha);
    assert_eq!(present(&db.store, &d.key, &s).await, Err(Refusal::AppDisabled));
    assert!(client_apps::rotate(&db.store, &d.key, &d.tax_officer, issued.app.id, None).await.is_err());
    assert!(client_apps::disable(&db.store, &d.tax_officer, issued.app.id, "再次").await.is_err());
    let entries = gateway_entries(&db.store).await;
    assert_eq!(entries.last().unwrap().1, "gateway_app_disabled");
    // An allow-list refuses other addresses.
    let mut listed = registration("对外查询系统");
    listed.allowed_addresses = vec!["10.99.0.1".into()];
    let restricted = client_apps::create(&db.store, &d.key, &d.tax_officer, listed).await.unwrap();
    let s = signed(&restricted.app.app_key, &restricted.secret, now(), &nonce(3), sha);
    assert_eq!(present(&db.store, &d.key, &s).await, Err(Refusal::AddressNotAllowed));
}

async fn art_15_an_agency_manages_only_its_own_apps(db: &TestDb) {
    let d = district(db).await;
    let tax_app = register(db, &d, "税收征管系统").await;
    let civil_app =
        client_apps::create(&db.store, &d.key, &d.civil_officer, registration("婚姻登记系统")).await.unwrap();
    // An agency registers for itself only.
    let mut for_other = registration("冒名系统");
    for_other.org_id = Some(pubdata_domain::ids::OrgId(d.tax));
    assert!(matches!(
        client_apps::create(&db.store, &d.key, &d.civil_officer, for_other.clone()).await,
        Err(Error::Domain(pubdata_domain::Error::OutOfScope(_)))
    ));
    // Same name twice in one agency: refused.
    assert!(matches!(
        client_apps::create(&db.store, &d.key, &d.tax_officer, registration("税收征管系统")).await,
        Err(Error::Duplicate { field: "name", .. })
    ));
    // Another agency's application does not exist for them.
    let other = tax_app.app.id;
    assert!(matches!(client_apps::get(&db.store, &d.civil_officer, other).await, Err(Error::NotFound { .. })));
    assert!(matches!(
        client_apps::rotate(&db.store, &d.key, &d.civil_officer, other, None).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        client_apps::disable(&db.store, &d.civil_officer, other, "恶意停用").await,
        Err(Error::NotFound { .. })
    ));
    let civil_list = client_apps::list(&db.store, &d.civil_officer).await.unwrap();
    assert_eq!(civil_list.iter().map(|a| a.id).collect::<Vec<_>>(), [civil_app.app.id]);
    // The authority sees and manages all; it may register for an agency.
    assert_eq!(client_apps::list(&db.store, &d.admin).await.unwrap().len(), 2);
    let by_authority = client_apps::create(&db.store, &d.key, &d.admin, for_other).await.unwrap();
    assert_eq!(by_authority.app.org_id, d.tax);
    client_apps::disable(&db.store, &d.admin, civil_app.app.id, "安全检查发现异常调用").await.unwrap();
    // Supervisors read, change nothing.
    assert_eq!(client_apps::list(&db.store, &d.supervisor).await.unwrap().len(), 3);
    assert!(matches!(
        client_apps::rotate(&db.store, &d.key, &d.supervisor, other, None).await,
        Err(Error::Domain(pubdata_domain::Error::Forbidden(_)))
    ));
    assert!(matches!(
        client_apps::create(&db.store, &d.key, &d.supervisor, registration("监管系统")).await,
        Err(Error::Domain(pubdata_domain::Error::Forbidden(_)))
    ));
}

backend_tests!(
    art_15_secret_is_shown_once_and_stored_encrypted,
    art_15_a_signed_call_is_accepted_and_audited,
    art_15_bad_signature_stale_timestamp_and_replayed_nonce_are_refused_and_audited,
    art_15_rotation_accepts_old_and_new_secret_until_the_old_is_retired,
    art_15_a_disabled_app_is_refused,
    art_15_an_agency_manages_only_its_own_apps,
);
