//! Test support shared by the crates' test suites: a fresh database for each test, on SQLite
//! (a temporary file) or PostgreSQL (a schema of its own in `PUBDATA_TEST_DATABASE_URL`), and
//! the `backend_tests!` macro that runs one test body against both.
//!
//! PostgreSQL tests are compiled as ignored when `PUBDATA_TEST_DATABASE_URL` is unset (each
//! test crate's `build.rs` sets the `pubdata_pg` cfg), so the runner reports them as skipped
//! rather than letting them pass without running.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use pubdata_store::{Store, StoreOptions};
use sqlx::Connection;

pub const PG_ENV: &str = "PUBDATA_TEST_DATABASE_URL";

/// One test's database. Dropping it leaves the files or schema behind; call [`TestDb::finish`].
pub struct TestDb {
    pub store: Store,
    pub options: StoreOptions,
    dir: Option<tempfile::TempDir>,
    schema: Option<(String, String)>,
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let options = StoreOptions::sqlite_file(&dir.path().join("pubdata.db"));
        let store = Store::connect(&options).await.unwrap();
        TestDb { store, options, dir: Some(dir), schema: None }
    }

    pub async fn postgres() -> TestDb {
        let url = std::env::var(PG_ENV).unwrap_or_else(|_| panic!("{PG_ENV} is not set"));
        let schema = format!("t_{}", &pubdata_domain::secret::digest(&pubdata_domain::secret::random_token(""))[..16]);
        let mut options = StoreOptions::new(url.clone());
        options.schema = Some(schema.clone());
        options.max_connections = 6;
        let store = Store::connect(&options).await.unwrap();
        TestDb { store, options, dir: None, schema: Some((url, schema)) }
    }

    /// The directory an SQLite test database lives in.
    pub fn dir(&self) -> Option<&std::path::Path> {
        self.dir.as_ref().map(|d| d.path())
    }

    /// A second, independent connection to the same database: what another pubdata instance
    /// (or the CLI while the server runs) would have.
    pub async fn another_instance(&self) -> Store {
        Store::connect(&self.options).await.unwrap()
    }

    /// Runs raw SQL as someone with direct database access (for tamper tests).
    pub async fn raw(&self, sql: &str) -> Result<u64, sqlx::Error> {
        let r = sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).execute(self.store.reader()).await?;
        Ok(r.rows_affected())
    }

    pub async fn finish(self) {
        self.store.close().await;
        if let Some((url, schema)) = self.schema {
            let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA \"{schema}\" CASCADE")))
                .execute(&mut conn)
                .await
                .unwrap();
        }
    }
}

/// Declares each listed `async fn name(db: &TestDb)` as two tests, `sqlite::name` and
/// `postgres::name`; the latter is ignored unless the crate was built with `pubdata_pg`.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = $crate::TestDb::sqlite().await;
                    super::$name(&db).await;
                    db.finish().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[cfg_attr(not(pubdata_pg), ignore = "set PUBDATA_TEST_DATABASE_URL to run the PostgreSQL tests")]
                async fn $name() {
                    let db = $crate::TestDb::postgres().await;
                    super::$name(&db).await;
                    db.finish().await;
                }
            )*
        }
    };
}
