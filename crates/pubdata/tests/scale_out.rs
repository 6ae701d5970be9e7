//! The scale-out path: two `pubdata serve` processes on one PostgreSQL database serve requests
//! side by side; sessions, ids and the audit chain stay consistent.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{pubdata, run, serve};
use serde_json::{Value, json};

const PG_ENV: &str = "PUBDATA_TEST_DATABASE_URL";

/// Drops the test's schema when the test ends, passed or failed.
struct SchemaGuard {
    url: String,
    schema: String,
}

impl Drop for SchemaGuard {
    fn drop(&mut self) {
        let (url, schema) = (self.url.clone(), self.schema.clone());
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                use sqlx::Connection;
                sqlx::any::install_default_drivers();
                let mut c = sqlx::AnyConnection::connect(&url).await.unwrap();
                let sql = format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut c).await.unwrap();
            });
        })
        .join();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(not(pubdata_pg), ignore = "set PUBDATA_TEST_DATABASE_URL to run the PostgreSQL tests")]
async fn two_instances_on_one_postgresql_database_stay_consistent() {
    let url = std::env::var(PG_ENV).unwrap();
    let schema = format!("scale_{}", &pubdata_domain::secret::digest(&pubdata_domain::secret::random_token(""))[..12]);
    let _guard = SchemaGuard { url: url.clone(), schema: schema.clone() };
    let with_schema = |mut c: std::process::Command| {
        c.env("PUBDATA_DATABASE_SCHEMA", &schema);
        c.env("PUBDATA_SHARING_KEY", "00112233445566778899aabbccddeeff");
        c
    };
    let init = run(
        with_schema(pubdata(&["admin", "init", "--username", "ops", "--password-stdin", "--database-url", &url])),
        Some("Scale-Out-2026!\n"),
    );
    assert_eq!(init.code, 0, "{}", init.stderr);
    // Both start at once: migrations and first-start tasks must not trip over each other.
    // Each instance has its own data directory (its search index); the database is shared.
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (dir_a_s, dir_b_s) = (dir_a.path().to_string_lossy().to_string(), dir_b.path().to_string_lossy().to_string());
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| {
            serve(with_schema(pubdata(&[
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--database-url",
                &url,
                "--data-dir",
                &dir_a_s,
            ])))
        });
        let b = s.spawn(|| {
            serve(with_schema(pubdata(&[
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--database-url",
                &url,
                "--data-dir",
                &dir_b_s,
            ])))
        });
        (a.join().unwrap(), b.join().unwrap())
    });
    let http = reqwest::Client::new();
    let login = http
        .post(format!("{}/api/v1/auth/login", a.url))
        .json(&json!({"username": "ops", "password": "Scale-Out-2026!"}))
        .send()
        .await
        .unwrap();
    let token = login.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string();
    // A session opened on A is valid on B.
    let me = http.get(format!("{}/api/v1/auth/me", b.url)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(me.status(), 200);

    // Eight clients write through both instances at once.
    let mut tasks = Vec::new();
    for client in 0..8 {
        let base = if client % 2 == 0 { a.url.clone() } else { b.url.clone() };
        let (http, token) = (http.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..10 {
                let body = json!({"parent_id": 1, "kind": "agency", "category": "department", "name": format!("并发测试局{client}-{i}")});
                let r = http.post(format!("{base}/api/v1/organisations")).bearer_auth(&token).json(&body).send().await.unwrap();
                assert_eq!(r.status(), 201);
                ids.push(r.json::<Value>().await.unwrap()["id"].as_i64().unwrap());
                let day = format!("2031-03-{:02}", 3 + (client * 10 + i) % 20);
                let r = http.get(format!("{base}/api/v1/calendar/deadline?from={day}&working_days=3")).bearer_auth(&token).send().await.unwrap();
                assert_eq!(r.status(), 200);
            }
            ids
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.extend(t.await.unwrap());
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 80, "every organisation got its own id");

    let listed: Value = http
        .get(format!("{}/api/v1/organisations", b.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 80 + 2, "B sees what A wrote (plus the authority and the public)");
    let creations: Value = http
        .get(format!("{}/api/v1/audit/entries?action=org.create&limit=500", a.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(creations["entries"].as_array().unwrap().len(), 80 + 2, "one entry per organisation created");

    // Logging out on B ends the session on A.
    assert_eq!(
        http.post(format!("{}/api/v1/auth/logout", b.url)).bearer_auth(&token).send().await.unwrap().status(),
        204
    );
    assert_eq!(http.get(format!("{}/api/v1/auth/me", a.url)).bearer_auth(&token).send().await.unwrap().status(), 401);
    drop((a, b));

    let verify = run(with_schema(pubdata(&["audit", "verify", "--database-url", &url])), None);
    assert_eq!(verify.code, 0, "{}{}", verify.stdout, verify.stderr);
}
