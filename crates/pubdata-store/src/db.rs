//! Connecting, migrating, and the write transaction that cannot commit without its audit entry.

use crate::audit::{self, AuditWriter};
use crate::channel_cache::{ChannelCache, Generation};
use crate::client_apps::nonces::NonceWriter;
use crate::error::{Error, Result};
use pubdata_domain::audit::{Actor, AuditEvent};
use sqlx::AnyConnection;
use sqlx::any::AnyPoolOptions;
use sqlx::{Any, AnyPool, AssertSqlSafe, Executor, Transaction};
use std::path::Path;
use std::sync::{Arc, Once};
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// `sqlite://PATH?mode=rwc` or `postgres://USER[:PASSWORD]@HOST:PORT/DB`.
    pub url: String,
    /// PostgreSQL only: the schema to use (created if missing); default `public`.
    pub schema: Option<String>,
    /// PostgreSQL pool size; SQLite uses one writer and this many readers.
    pub max_connections: u32,
    /// The most audit entries the group-commit writer puts in one transaction.
    pub audit_batch_max: usize,
}

impl StoreOptions {
    pub fn new(url: impl Into<String>) -> StoreOptions {
        StoreOptions { url: url.into(), schema: None, max_connections: 8, audit_batch_max: 512 }
    }

    /// An SQLite database file, created if missing.
    pub fn sqlite_file(path: &Path) -> StoreOptions {
        let mut encoded = String::new();
        for c in path.to_string_lossy().chars() {
            match c {
                '%' => encoded.push_str("%25"),
                ' ' => encoded.push_str("%20"),
                '#' => encoded.push_str("%23"),
                '?' => encoded.push_str("%3F"),
                c => encoded.push(c),
            }
        }
        StoreOptions::new(format!("sqlite://{encoded}?mode=rwc"))
    }

    pub fn backend(&self) -> Result<Backend> {
        if self.url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if self.url.starts_with("postgres:") || self.url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            Err(Error::Database(sqlx::Error::Configuration(
                format!("unsupported database URL {}: use sqlite:// or postgres://", redact_url(&self.url)).into(),
            )))
        }
    }
}

/// A database URL with any password replaced by `***`, safe to print and log.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else { return url.to_string() };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let redacted_authority = match authority.rfind('@') {
        Some(at) => match authority[..at].find(':') {
            Some(colon) => format!("{}:***{}", &authority[..colon], &authority[at..]),
            None => authority.to_string(),
        },
        None => authority.to_string(),
    };
    let tail = &rest[authority_end..];
    let tail = match tail.find("password=") {
        Some(p) => {
            let end = tail[p..].find('&').map_or(tail.len(), |e| p + e);
            format!("{}password=***{}", &tail[..p], &tail[end..])
        }
        None => tail.to_string(),
    };
    format!("{}://{}{}", &url[..scheme_end], redacted_authority, tail)
}

/// The platform's database: a reader pool, a writer pool (the same pool on PostgreSQL; one
/// connection on SQLite, which admits one writer at a time anyway), and the audit writer.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    backend: Backend,
    read: AnyPool,
    write: AnyPool,
    audit: AuditWriter,
    nonces: NonceWriter,
    /// Dropped with the store, which stops the SQLite checkpoint task.
    _checkpoints: tokio::sync::mpsc::Sender<()>,
    /// Moves on with every committed write transaction: what the channel's copies check.
    generation: Arc<Generation>,
    cache: ChannelCache,
    url: String,
    /// The options as given, for the loader's own connection (the URL may hold a password:
    /// never printed; `url` is the redacted form).
    options: StoreOptions,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("backend", &self.inner.backend).field("url", &self.inner.url).finish()
    }
}

static DRIVERS: Once = Once::new();

impl Store {
    /// Connects, creates the schema if asked, runs the backend's migrations and starts the
    /// audit writer. Fails fast with the (redacted) URL when the database is unreachable.
    pub async fn connect(options: &StoreOptions) -> Result<Store> {
        DRIVERS.call_once(sqlx::any::install_default_drivers);
        let backend = options.backend()?;
        let (read, write) = match backend {
            Backend::Sqlite => {
                let write = sqlite_pool(&options.url, 1, Role::Writer).await?;
                let read = sqlite_pool(&options.url, options.max_connections.max(1), Role::Reader).await?;
                (read, write)
            }
            Backend::Postgres => {
                let schema = options.schema.clone();
                if let Some(s) = &schema {
                    check_schema_name(s)?;
                    let mut conn = <AnyConnection as sqlx::Connection>::connect(&options.url).await?;
                    // The name was checked above: lower-case letters, digits and underscores only.
                    conn.execute(AssertSqlSafe(format!("CREATE SCHEMA IF NOT EXISTS \"{s}\""))).await?;
                }
                let pool = AnyPoolOptions::new()
                    .max_connections(options.max_connections.max(2))
                    .acquire_timeout(Duration::from_secs(10))
                    // A connection that sat idle is pinged before it is used, so that one lost to
                    // a database restart is replaced before a call fails on it. One in steady use
                    // is not: the ping would cost every statement a second round trip.
                    .test_before_acquire(false)
                    .before_acquire(|conn, meta| {
                        Box::pin(async move {
                            Ok(meta.idle_for < PING_IDLE_AFTER || sqlx::Connection::ping(conn).await.is_ok())
                        })
                    })
                    .after_connect(move |conn, _| {
                        let schema = schema.clone();
                        Box::pin(async move {
                            if let Some(s) = schema {
                                conn.execute(AssertSqlSafe(format!("SET search_path TO \"{s}\""))).await?;
                            }
                            Ok(())
                        })
                    })
                    .connect(&options.url)
                    .await?;
                (pool.clone(), pool)
            }
        };
        migrate(backend, &write).await?;
        let audit = AuditWriter::start(write.clone(), backend, options.audit_batch_max.max(1));
        let nonces = NonceWriter::start(write.clone(), backend);
        let (checkpoints, stopped) = tokio::sync::mpsc::channel(1);
        if backend == Backend::Sqlite {
            tokio::spawn(checkpoint_wal(read.clone(), stopped));
        }
        Ok(Store {
            inner: Arc::new(Inner {
                backend,
                read,
                write,
                audit,
                nonces,
                _checkpoints: checkpoints,
                generation: Arc::default(),
                cache: ChannelCache::default(),
                url: redact_url(&options.url),
                options: options.clone(),
            }),
        })
    }

    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    /// The redacted URL of the database, for messages.
    pub fn url(&self) -> &str {
        &self.inner.url
    }

    /// The pool for reads. Reads never need the writer.
    pub fn reader(&self) -> &AnyPool {
        &self.inner.read
    }

    pub(crate) fn writer(&self) -> &AnyPool {
        &self.inner.write
    }

    /// The group-commit writer for audit entries that accompany no other change (data
    /// access, refusals): the entry is durable when `record` returns.
    pub fn audit(&self) -> &AuditWriter {
        &self.inner.audit
    }

    /// The group writer of gateway calls' nonces.
    pub(crate) fn nonces(&self) -> &NonceWriter {
        &self.inner.nonces
    }

    /// How many write transactions have committed through this store.
    pub(crate) fn generation(&self) -> u64 {
        self.inner.generation.current()
    }

    /// The sharing channel's short-lived copies (`channel_cache`).
    pub(crate) fn channel_cache(&self) -> &ChannelCache {
        &self.inner.cache
    }

    /// Drops the sharing channel's copies, for a tool that changed the database other than
    /// through this store; otherwise they follow changes by themselves (`channel_cache`).
    pub fn forget_channel_copies(&self) {
        self.inner.cache.clear();
    }

    /// Starts a write transaction. It commits only through [`WriteTx::commit`].
    pub async fn begin(&self) -> Result<WriteTx> {
        let tx = match self.inner.backend {
            // Take the write lock up front, so a transaction never fails half-way on upgrading it.
            Backend::Sqlite => self.inner.write.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.inner.write.begin().await?,
        };
        Ok(WriteTx {
            tx,
            backend: self.inner.backend,
            pending: Vec::new(),
            generation: Arc::clone(&self.inner.generation),
        })
    }

    /// A connection of the backend's own driver, outside the pools, for bulk loading (SQLite
    /// multi-row inserts, PostgreSQL `COPY`), which the `Any` driver cannot do.
    pub(crate) async fn bulk_connection(&self) -> Result<BulkConnection> {
        use sqlx::Connection;
        let o = &self.inner.options;
        Ok(match self.inner.backend {
            Backend::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(&o.url).await?;
                // Rows loaded here stay invisible until the batch is stored by a transaction on
                // the writer, whose synchronous commit makes the whole log durable, these frames
                // included: so the loader's own commits need not wait for the disk.
                // `threads`: building a table's indexes after a load sorts on a second thread.
                conn.execute("PRAGMA busy_timeout = 30000; PRAGMA synchronous = NORMAL; PRAGMA threads = 2;").await?;
                BulkConnection::Sqlite(conn)
            }
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&o.url).await?;
                if let Some(s) = &o.schema {
                    check_schema_name(s)?;
                    conn.execute(AssertSqlSafe(format!("SET search_path TO \"{s}\""))).await?;
                }
                // As for SQLite: the stored batch's own synchronous commit flushes the log up to
                // it, these rows' records included.
                // `maintenance_work_mem`: building a table's indexes after a load sorts in memory
                // (the server's, for this session only) rather than in temporary files.
                conn.execute("SET synchronous_commit = off; SET maintenance_work_mem = '256MB'").await?;
                BulkConnection::Postgres(conn)
            }
        })
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.inner.read).await?;
        Ok(())
    }

    /// Pool figures for `/metrics`: (connections, idle connections) of the reader pool.
    pub fn pool_status(&self) -> (u32, usize) {
        (self.inner.read.size(), self.inner.read.num_idle())
    }

    /// Drains the audit writer and closes the pools.
    pub async fn close(&self) {
        self.inner.audit.shutdown().await;
        self.inner.read.close().await;
        self.inner.write.close().await;
    }
}

/// How long a pooled PostgreSQL connection may sit idle before it is pinged ahead of its use.
const PING_IDLE_AFTER: Duration = Duration::from_secs(1);

/// What a SQLite pool's connections are for.
#[derive(Clone, Copy, PartialEq)]
enum Role {
    Reader,
    /// The one connection that commits: it leaves checkpoints to [`checkpoint_wal`], so that no
    /// commit waits while the log is copied into the database file.
    Writer,
}

async fn sqlite_pool(url: &str, max: u32, role: Role) -> Result<AnyPool> {
    Ok(AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(30))
        // A local file's connection does not go stale; pinging it before each use would cost
        // every statement a second hand-off to the connection's thread.
        .test_before_acquire(false)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                // WAL lets readers proceed while the one writer writes; FULL makes each commit
                // durable, which the audit trail's promise depends on.
                conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 10000;")
                    .await?;
                if role == Role::Writer {
                    conn.execute("PRAGMA wal_autocheckpoint = 0").await?;
                }
                Ok(())
            })
        })
        .connect(url)
        .await?)
}

/// Copies the SQLite log into the database file once a second, beside the writer rather than
/// in its commits (which would stall every caller waiting on one for as long as the copy takes).
/// A passive checkpoint waits for no reader or writer; it stops when the store is dropped.
async fn checkpoint_wal(pool: AnyPool, mut stopped: tokio::sync::mpsc::Receiver<()>) {
    loop {
        tokio::select! {
            _ = stopped.recv() => return,
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
            tracing::warn!(error = %e, "the SQLite log could not be checkpointed");
        }
    }
}

fn check_schema_name(s: &str) -> Result<()> {
    let ok = !s.is_empty()
        && s.len() <= 63
        && s.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(Error::Database(sqlx::Error::Configuration(
            format!("invalid schema name {s:?}: use lower-case letters, digits and '_'").into(),
        )))
    }
}

async fn migrate(backend: Backend, pool: &AnyPool) -> Result<()> {
    match backend {
        Backend::Sqlite => sqlx::migrate!("./migrations/sqlite").run(pool).await?,
        Backend::Postgres => sqlx::migrate!("./migrations/postgres").run(pool).await?,
    }
    Ok(())
}

/// A write transaction. Operations queue the audit entries that describe them with
/// [`WriteTx::record`]; [`WriteTx::commit`] appends those entries to the chain as the
/// transaction's last statements and commits, so the change and its record stand or fall
/// together. Dropping it without committing rolls everything back.
pub struct WriteTx {
    tx: Transaction<'static, Any>,
    backend: Backend,
    pending: Vec<(Actor, AuditEvent)>,
    generation: Arc<Generation>,
}

impl WriteTx {
    pub fn conn(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn record(&mut self, actor: Actor, event: AuditEvent) {
        self.pending.push((actor, event));
    }

    /// On PostgreSQL, makes concurrent instances take turns through the rest of this
    /// transaction (start-up tasks that check, then create). SQLite has one writer already.
    pub async fn serialize_with_other_instances(&mut self) -> Result<()> {
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(7236011)").execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    /// Commits if anything was recorded; otherwise rolls back. For idempotent start-up tasks,
    /// which record every change they make and may find nothing to do.
    pub async fn commit_if_recorded(self) -> Result<()> {
        if self.pending.is_empty() {
            self.tx.rollback().await?;
            return Ok(());
        }
        self.commit().await.map(|_| ())
    }

    /// Appends the recorded audit entries and commits. A write without an audit entry is a
    /// defect, and is refused rather than committed.
    pub async fn commit(mut self) -> Result<Vec<i64>> {
        if self.pending.is_empty() {
            tracing::error!("refused to commit a write transaction that recorded no audit entry");
            return Err(Error::AuditUnavailable);
        }
        let seqs = audit::append(&mut self.tx, self.backend, &self.pending).await?;
        self.tx.commit().await?;
        self.generation.advance();
        Ok(seqs)
    }
}

/// A native connection for bulk loading.
pub(crate) enum BulkConnection {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl BulkConnection {
    /// Runs one statement built by the store itself (never from user input).
    pub(crate) async fn execute_trusted(&mut self, statement: String) -> Result<()> {
        match self {
            BulkConnection::Sqlite(c) => {
                c.execute(AssertSqlSafe(statement)).await?;
            }
            BulkConnection::Postgres(c) => {
                c.execute(AssertSqlSafe(statement)).await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_leave_in_urls() {
        assert_eq!(redact_url("postgres://app:s3cret@db:5432/pubdata"), "postgres://app:***@db:5432/pubdata");
        assert_eq!(redact_url("postgres://postgres@127.0.0.1:5432/test"), "postgres://postgres@127.0.0.1:5432/test");
        assert_eq!(
            redact_url("postgres://h/db?user=a&password=x&sslmode=require"),
            "postgres://h/db?user=a&password=***&sslmode=require"
        );
        assert_eq!(redact_url("sqlite:///tmp/a b.db?mode=rwc"), "sqlite:///tmp/a b.db?mode=rwc");
    }

    #[test]
    fn sqlite_paths_are_encoded() {
        assert_eq!(StoreOptions::sqlite_file(Path::new("/tmp/a b#1.db")).url, "sqlite:///tmp/a%20b%231.db?mode=rwc");
    }

    #[test]
    fn schema_names_are_checked() {
        assert!(check_schema_name("t_abc_1").is_ok());
        assert!(check_schema_name("x\"; DROP").is_err());
    }
}
