//! Remembering accepted calls' nonces, in groups: calls that arrive while one group is being
//! written go in the next, so that one statement and one commit serve many calls, as the audit
//! trail's group commit does. The table's key (application, nonce) decides, across every
//! instance on the database, which call used a nonce first.

use crate::db::Backend;
use crate::error::{Error, Result};
use crate::sql::Sql;
use pubdata_domain::client_app::signature::NONCE_MEMORY_SECS;
use pubdata_domain::timefmt;
use sqlx::AnyPool;
use std::collections::HashSet;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// The most nonces one statement inserts (three parameters each).
const BATCH_MAX: usize = 512;

/// How often the nonces past the replay window are deleted.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

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
    let mut pruned = Instant::now();
    while rx.recv_many(&mut batch, BATCH_MAX).await > 0 {
        let result = insert(&pool, backend, &batch).await;
        if let Err(e) = &result {
            tracing::error!(error = %e, nonces = batch.len(), "nonces could not be recorded");
        }
        for (i, job) in batch.drain(..).enumerate() {
            let _ = job.done.send(result.as_ref().map(|fresh| fresh[i]).map_err(|e| e.to_string()));
        }
        if pruned.elapsed() >= PRUNE_EVERY {
            pruned = Instant::now();
            if let Err(e) = prune(&pool).await {
                tracing::warn!(error = %e, "old nonces could not be deleted");
            }
        }
    }
}

/// Inserts the batch's nonces; for each job, whether its nonce was new.
async fn insert(pool: &AnyPool, backend: Backend, jobs: &[Job]) -> Result<Vec<bool>> {
    // A nonce twice in one batch: the first call has it, the second is a replay.
    let mut seen = HashSet::new();
    let first: Vec<bool> = jobs.iter().map(|j| seen.insert((j.app_id, j.nonce.as_str()))).collect();
    let now = timefmt::format_instant(timefmt::now());
    let mut sql = Sql::new("INSERT INTO client_app_nonces (app_id, nonce, seen_at) VALUES ");
    for (i, job) in jobs.iter().zip(&first).filter(|(_, first)| **first).map(|(j, _)| j).enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" });
        sql.bind(job.app_id).push(", ").bind(job.nonce.clone()).push(", ").bind(now.clone()).push(")");
    }
    sql.push(" ON CONFLICT (app_id, nonce) DO NOTHING RETURNING app_id, nonce");
    let inserted: Vec<(i64, String)> = match backend {
        Backend::Sqlite => {
            let mut conn = pool.acquire().await?;
            sqlx::query("PRAGMA synchronous = NORMAL").execute(&mut *conn).await?;
            let inserted = sql.query_as().fetch_all(&mut *conn).await;
            // The writer's other commits (the audit trail's) must wait for the disk again; a
            // connection that cannot be set back is closed rather than reused.
            if let Err(e) = sqlx::query("PRAGMA synchronous = FULL").execute(&mut *conn).await {
                conn.close_on_drop();
                return Err(e.into());
            }
            inserted?
        }
        Backend::Postgres => {
            let mut tx = pool.begin().await?;
            sqlx::query("SET LOCAL synchronous_commit = off").execute(&mut *tx).await?;
            let inserted = sql.query_as().fetch_all(&mut *tx).await?;
            tx.commit().await?;
            inserted
        }
    };
    let inserted: HashSet<(i64, &str)> = inserted.iter().map(|(app, nonce)| (*app, nonce.as_str())).collect();
    Ok(jobs.iter().zip(first).map(|(j, first)| first && inserted.contains(&(j.app_id, j.nonce.as_str()))).collect())
}

/// Forgets nonces older than the replay window (their calls' timestamps are refused anyway).
pub(crate) async fn prune(pool: &AnyPool) -> Result<u64> {
    let cutoff = timefmt::format_instant(timefmt::now() - time::Duration::seconds(NONCE_MEMORY_SECS));
    let done = sqlx::query("DELETE FROM client_app_nonces WHERE seen_at < $1").bind(cutoff).execute(pool).await?;
    Ok(done.rows_affected())
}
