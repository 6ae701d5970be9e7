//! Remembering gateway calls' nonces. The table's key (application, nonce) decides, across
//! every instance on the database, which call used a nonce first.
//!
//! A call's nonce is normally claimed in the transaction that writes the call's audit record
//! (`audit::AuditWriter::record_claiming`), so one group commit serves both. A call that
//! changes something before its record is written (an export job's creation) claims its nonce
//! first, through the group writer here: calls that arrive while one group is being written
//! go in the next, so that one statement and one commit serve many calls.

use crate::db::Backend;
use crate::error::{Error, Result};
use crate::sql::Sql;
use pubdata_domain::client_app::signature::NONCE_MEMORY_SECS;
use pubdata_domain::timefmt;
use sqlx::{AnyConnection, AnyPool};
use std::collections::HashSet;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// The most nonces one statement inserts (three parameters each).
const BATCH_MAX: usize = 512;

/// How often the nonces past the replay window are deleted (by the audit writer).
pub(crate) const PRUNE_EVERY: Duration = Duration::from_secs(60);

struct Job {
    app_id: i64,
    nonce: String,
    /// Whether the nonce was new, or why the batch failed.
    done: oneshot::Sender<std::result::Result<bool, String>>,
}

/// The group writer of nonces.
#[derive(Clone)]
pub(crate) struct NonceWriter {
    jobs: mpsc::Sender<Job>,
}

impl NonceWriter {
    pub(crate) fn start(pool: AnyPool, backend: Backend) -> NonceWriter {
        let (jobs, rx) = mpsc::channel(65_536);
        tokio::spawn(run(rx, pool, backend));
        NonceWriter { jobs }
    }

    /// Records the application's nonce; `false` if it was used before (a replay). The insert
    /// commits without waiting for the disk (SQLite `synchronous = NORMAL`, PostgreSQL
    /// `synchronous_commit = off`, for these statements only). It is durable before the call is
    /// answered all the same: every call, answered or refused, then writes its audit record,
    /// whose synchronous commit flushes the log up to it, this insert included.
    pub(crate) async fn remember(&self, app_id: i64, nonce: &str) -> Result<bool> {
        let (done, wait) = oneshot::channel();
        let job = Job { app_id, nonce: nonce.to_string(), done };
        self.jobs.send(job).await.map_err(|_| Error::Database(sqlx::Error::PoolClosed))?;
        wait.await
            .map_err(|_| Error::Database(sqlx::Error::PoolClosed))?
            .map_err(|e| Error::Database(sqlx::Error::Protocol(e)))
    }
}

async fn run(mut rx: mpsc::Receiver<Job>, pool: AnyPool, backend: Backend) {
    let mut batch = Vec::with_capacity(BATCH_MAX);
    while rx.recv_many(&mut batch, BATCH_MAX).await > 0 {
        let result = insert(&pool, backend, &batch).await;
        if let Err(e) = &result {
            tracing::error!(error = %e, nonces = batch.len(), "nonces could not be recorded");
        }
        for (i, job) in batch.drain(..).enumerate() {
            let _ = job.done.send(result.as_ref().map(|fresh| fresh[i]).map_err(|e| e.to_string()));
        }
    }
}

/// Inserts the batch's nonces in a commit of their own; for each job, whether its nonce was new.
async fn insert(pool: &AnyPool, backend: Backend, jobs: &[Job]) -> Result<Vec<bool>> {
    let nonces: Vec<(i64, &str)> = jobs.iter().map(|j| (j.app_id, j.nonce.as_str())).collect();
    match backend {
        Backend::Sqlite => {
            let mut conn = pool.acquire().await?;
            sqlx::query("PRAGMA synchronous = NORMAL").execute(&mut *conn).await?;
            let fresh = claim(&mut conn, &nonces).await;
            // The writer's other commits (the audit trail's) must wait for the disk again; a
            // connection that cannot be set back is closed rather than reused.
            if let Err(e) = sqlx::query("PRAGMA synchronous = FULL").execute(&mut *conn).await {
                conn.close_on_drop();
                return Err(e.into());
            }
            fresh
        }
        Backend::Postgres => {
            let mut tx = pool.begin().await?;
            sqlx::query("SET LOCAL synchronous_commit = off").execute(&mut *tx).await?;
            let fresh = claim(&mut tx, &nonces).await?;
            tx.commit().await?;
            Ok(fresh)
        }
    }
}

/// Inserts `nonces` (application, nonce) on `conn`, in whatever transaction it is in; for each,
/// whether it was new. A nonce twice in one call: the first has it, the second is a replay.
pub(crate) async fn claim(conn: &mut AnyConnection, nonces: &[(i64, &str)]) -> Result<Vec<bool>> {
    let mut sql = Sql::new("");
    let first = push_claim(&mut sql, nonces);
    let inserted: Vec<(String, i64, String)> = sql.query_as().fetch_all(&mut *conn).await?;
    let inserted: Vec<(i64, String)> = inserted.into_iter().map(|(_, app, nonce)| (app, nonce)).collect();
    Ok(fresh(nonces, first, &inserted))
}

/// Appends to `sql` the statement inserting `nonces`, which returns `('nonce', app_id, nonce)`
/// for each it inserted; returns which nonces are the first of their kind in the list (only
/// those are inserted).
pub(crate) fn push_claim(sql: &mut Sql, nonces: &[(i64, &str)]) -> Vec<bool> {
    let mut seen = HashSet::new();
    let first: Vec<bool> = nonces.iter().map(|n| seen.insert(*n)).collect();
    let now = timefmt::format_instant(timefmt::now());
    sql.push("INSERT INTO client_app_nonces (app_id, nonce, seen_at) VALUES ");
    for (i, (app_id, nonce)) in nonces.iter().zip(&first).filter(|(_, first)| **first).map(|(n, _)| n).enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" });
        sql.bind(*app_id).push(", ").bind(nonce.to_string()).push(", ").bind(now.clone()).push(")");
    }
    sql.push(" ON CONFLICT (app_id, nonce) DO NOTHING RETURNING 'nonce', app_id, nonce");
    first
}

/// For each of `nonces`, whether it was new: the first of its kind in the list, and inserted.
pub(crate) fn fresh(nonces: &[(i64, &str)], first: Vec<bool>, inserted: &[(i64, String)]) -> Vec<bool> {
    let inserted: HashSet<(i64, &str)> = inserted.iter().map(|(app, nonce)| (*app, nonce.as_str())).collect();
    nonces.iter().zip(first).map(|(n, first)| first && inserted.contains(n)).collect()
}

/// Forgets nonces older than the replay window (their calls' timestamps are refused anyway).
pub(crate) async fn prune(pool: &AnyPool) -> Result<u64> {
    let cutoff = timefmt::format_instant(timefmt::now() - time::Duration::seconds(NONCE_MEMORY_SECS));
    let done = sqlx::query("DELETE FROM client_app_nonces WHERE seen_at < $1").bind(cutoff).execute(pool).await?;
    Ok(done.rows_affected())
}
