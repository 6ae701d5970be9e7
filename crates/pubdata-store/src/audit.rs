//! Storing the audit trail: appending to the SM3 chain inside a transaction, the group-commit
//! writer for standalone entries, and reading, verifying and exporting the trail.

use crate::client_apps::nonces;
use crate::db::{Backend, Store};
use crate::error::{Error, Result};
use crate::sql::Sql;
use pubdata_domain::audit::{Actor, AuditEvent, AuditRecord, ChainBreak, ChainReport, ChainVerifier, events};
use pubdata_domain::identity::{Caller, Permission, Scope};
use pubdata_domain::timefmt;
use sqlx::AnyConnection;
use sqlx::AnyPool;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use tokio::sync::{mpsc, oneshot};

/// The audit columns, in `Row` order.
macro_rules! audit_columns {
    () => {
        "seq, occurred_at, actor_user_id, actor_username, actor_org_id, actor_role, token_id, source_ip, user_agent, \
         request_id, action, object_type, object_id, outcome, summary, prev_hash, hash"
    };
}

/// Appends `entries` to the chain on `conn`, inside the caller's transaction. The head row is
/// locked first (PostgreSQL `FOR UPDATE`; SQLite holds the database write lock already), so
/// concurrent appenders, in this process or another, take turns and the chain stays linear.
pub(crate) async fn append(
    conn: &mut AnyConnection,
    backend: Backend,
    entries: &[(Actor, AuditEvent)],
) -> Result<Vec<i64>> {
    let head = lock_head(conn, backend).await?;
    append_at(conn, head, entries).await
}

/// The chain's head (position and hash), locked for this transaction.
async fn lock_head(conn: &mut AnyConnection, backend: Backend) -> Result<(i64, String)> {
    let head_sql = match backend {
        Backend::Sqlite => "SELECT seq, hash FROM audit_head WHERE id = 1",
        Backend::Postgres => "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE",
    };
    Ok(sqlx::query_as(head_sql).fetch_one(&mut *conn).await?)
}

/// Appends `entries` after `head`, which this transaction holds locked.
async fn append_at(conn: &mut AnyConnection, head: (i64, String), entries: &[(Actor, AuditEvent)]) -> Result<Vec<i64>> {
    let (records, seq, hash) = seal(head, entries);
    let seqs = records.iter().map(|r| r.seq).collect();
    let mut records = records.into_iter();
    // 17 parameters a row; 500 rows stay well under both backends' parameter limits.
    loop {
        let mut q = Sql::new("");
        if !push_insert(&mut q, &mut records, 500) {
            break;
        }
        q.query().execute(&mut *conn).await?;
    }
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(seq)
        .bind(&hash)
        .execute(&mut *conn)
        .await?;
    Ok(seqs)
}

/// `entries` sealed into the chain after `head`, and the new head's position and hash.
fn seal(head: (i64, String), entries: &[(Actor, AuditEvent)]) -> (Vec<AuditRecord>, i64, String) {
    let (mut seq, mut hash) = head;
    let occurred_at = timefmt::format_instant(timefmt::now());
    let mut records = Vec::with_capacity(entries.len());
    for (actor, event) in entries {
        seq += 1;
        let record = AuditRecord::seal(seq, occurred_at.clone(), actor, event, &hash);
        hash.clone_from(&record.hash);
        records.push(record);
    }
    (records, seq, hash)
}

/// Appends to `q` one `INSERT` of the next (at most `max`) records; `false` if none were left.
fn push_insert(q: &mut Sql, records: &mut impl Iterator<Item = AuditRecord>, max: usize) -> bool {
    let mut any = false;
    for (i, r) in records.take(max).enumerate() {
        any = true;
        q.push(if i == 0 { concat!("INSERT INTO audit_entries (", audit_columns!(), ") VALUES (") } else { ", (" });
        q.bind(r.seq).push(", ").bind(r.occurred_at).push(", ").bind(r.actor_user_id).push(", ");
        q.bind(r.actor_username).push(", ").bind(r.actor_org_id).push(", ").bind(r.actor_role).push(", ");
        q.bind(r.token_id).push(", ").bind(r.source_ip).push(", ").bind(r.user_agent).push(", ");
        q.bind(r.request_id).push(", ").bind(r.action).push(", ").bind(r.object_type).push(", ");
        q.bind(r.object_id).push(", ").bind(r.outcome).push(", ").bind(r.summary).push(", ");
        q.bind(r.prev_hash).push(", ").bind(r.hash).push(")");
    }
    any
}

struct Job {
    actor: Actor,
    event: AuditEvent,
    claim: Option<NonceClaim>,
    done: oneshot::Sender<Result<Recorded, ()>>,
}

/// A gateway call's nonce, claimed in the transaction that writes the call's audit record: the
/// claim and the record are durable together. The table's key (application, nonce) decides,
/// across every instance on the database, which call used a nonce first.
#[derive(Clone, Debug)]
pub struct NonceClaim {
    pub app_id: i64,
    pub nonce: String,
    /// The entry written instead of the call's own when the nonce was used before: the refusal
    /// of a replay.
    pub if_replayed: AuditEvent,
}

/// What the group writer wrote for an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorded {
    /// The entry, at this position.
    Entry(i64),
    /// The entry's nonce claim found the nonce used before; the replay's refusal was written
    /// instead, at this position.
    Replayed(i64),
}

/// Group commit for audit entries that accompany no other change: callers wait until their
/// entry is durable; entries that arrive while a batch is being written go in the next batch,
/// so one commit (one fsync) serves many callers.
#[derive(Clone)]
pub struct AuditWriter {
    jobs: mpsc::Sender<Job>,
    /// Entries sent and not yet answered.
    in_flight: Arc<AtomicUsize>,
}

impl AuditWriter {
    pub(crate) fn start(pool: AnyPool, backend: Backend, batch_max: usize) -> AuditWriter {
        let (jobs, rx) = mpsc::channel(65_536);
        let in_flight = Arc::new(AtomicUsize::new(0));
        tokio::spawn(run(rx, pool, backend, batch_max, in_flight.clone()));
        AuditWriter { jobs, in_flight }
    }

    /// Records one entry and returns its position once it is durable. An error means the
    /// entry was not written, and the caller must not proceed as if it had been.
    pub async fn record(&self, actor: Actor, event: AuditEvent) -> Result<i64> {
        match self.send(actor, event, None).await? {
            Recorded::Entry(seq) | Recorded::Replayed(seq) => Ok(seq),
        }
    }

    /// Records a gateway call's entry together with the claim of its nonce; once both are
    /// durable, says which was written (see [`Recorded`]).
    pub async fn record_claiming(&self, actor: Actor, event: AuditEvent, claim: NonceClaim) -> Result<Recorded> {
        self.send(actor, event, Some(claim)).await
    }

    async fn send(&self, actor: Actor, event: AuditEvent, claim: Option<NonceClaim>) -> Result<Recorded> {
        let (done, wait) = oneshot::channel();
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        if self.jobs.send(Job { actor, event, claim, done }).await.is_err() {
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            return Err(Error::AuditUnavailable);
        }
        wait.await.map_err(|_| Error::AuditUnavailable)?.map_err(|()| Error::AuditUnavailable)
    }

    /// Waits (up to ten seconds) until every entry sent so far has been answered.
    pub(crate) async fn shutdown(&self) {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        while self.in_flight.load(Ordering::SeqCst) > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }
}

async fn run(
    mut rx: mpsc::Receiver<Job>,
    pool: AnyPool,
    backend: Backend,
    batch_max: usize,
    in_flight: Arc<AtomicUsize>,
) {
    let mut batch = Vec::with_capacity(batch_max);
    let mut pruned = Instant::now();
    while rx.recv_many(&mut batch, batch_max).await > 0 {
        let result = write_batch(&pool, backend, &batch).await;
        if let Err(e) = &result {
            tracing::error!(error = %e, entries = batch.len(), "audit batch could not be written");
        }
        let n = batch.len();
        for (i, job) in batch.drain(..).enumerate() {
            let answer = result.as_ref().map(|written| written[i]).map_err(|_| ());
            let _ = job.done.send(answer);
        }
        in_flight.fetch_sub(n, Ordering::SeqCst);
        if pruned.elapsed() >= nonces::PRUNE_EVERY {
            pruned = Instant::now();
            if let Err(e) = nonces::prune(&pool).await {
                tracing::warn!(error = %e, "old nonces could not be deleted");
            }
        }
    }
}

/// Writes one batch in one transaction: the head is locked first, then the batch's nonces are
/// claimed, then the entries appended. (Locking the head first queues batches of different
/// instances that claim the same nonce on the head, instead of on each other's nonces.)
async fn write_batch(pool: &AnyPool, backend: Backend, jobs: &[Job]) -> Result<Vec<Recorded>> {
    let claims: Vec<(i64, &str)> =
        jobs.iter().filter_map(|j| j.claim.as_ref()).map(|c| (c.app_id, c.nonce.as_str())).collect();
    if backend == Backend::Sqlite {
        return write_batch_sqlite(pool, jobs, &claims).await;
    }
    let mut tx = pool.begin().await?;
    let head = lock_head(&mut tx, backend).await?;
    let fresh = if claims.is_empty() { Vec::new() } else { nonces::claim(&mut tx, &claims).await? };
    let (entries, replayed) = choose(jobs, fresh);
    let seqs = append_at(&mut tx, head, &entries).await?;
    tx.commit().await?;
    Ok(answers(seqs, &replayed))
}

/// On SQLite the same transaction takes two round trips to the connection's thread instead of
/// six: one begins, reads the head and claims the nonces, the other appends, moves the head and
/// commits. (Each round trip is a hand-off between threads, which on a busy machine costs more
/// than the statements.) Anything that fails is rolled back; a connection that cannot roll back
/// is closed rather than reused.
async fn write_batch_sqlite(pool: &AnyPool, jobs: &[Job], claims: &[(i64, &str)]) -> Result<Vec<Recorded>> {
    let mut conn = pool.acquire().await?;
    let written = async {
        let mut first = Sql::new("BEGIN IMMEDIATE; SELECT 'head', seq, hash FROM audit_head WHERE id = 1; ");
        let nonce_first = if claims.is_empty() { Vec::new() } else { nonces::push_claim(&mut first, claims) };
        let rows: Vec<(String, i64, String)> = first.query_as().fetch_all(&mut *conn).await?;
        let (head, claimed): (Vec<_>, Vec<_>) = rows.into_iter().partition(|(kind, _, _)| kind == "head");
        let Some((_, seq, hash)) = head.into_iter().next() else {
            return Err(Error::Database(sqlx::Error::RowNotFound));
        };
        let claimed: Vec<(i64, String)> = claimed.into_iter().map(|(_, app, nonce)| (app, nonce)).collect();
        let fresh = if claims.is_empty() { Vec::new() } else { nonces::fresh(claims, nonce_first, &claimed) };
        let (entries, replayed) = choose(jobs, fresh);
        let (records, seq, hash) = seal((seq, hash), &entries);
        let seqs: Vec<i64> = records.iter().map(|r| r.seq).collect();
        let mut records = records.into_iter();
        let mut second = Sql::new("");
        while push_insert(&mut second, &mut records, 500) {
            second.push("; ");
        }
        second
            .push("UPDATE audit_head SET seq = ")
            .bind(seq)
            .push(", hash = ")
            .bind(hash)
            .push(" WHERE id = 1; COMMIT");
        second.query().execute(&mut *conn).await?;
        Ok(answers(seqs, &replayed))
    }
    .await;
    if written.is_err() && sqlx::query("ROLLBACK").execute(&mut *conn).await.is_err() {
        conn.close_on_drop();
    }
    written
}

/// The entry each job writes: its own, or its replay's refusal where its nonce claim failed
/// (`fresh` answers the jobs with claims, in order); and which were replays.
fn choose(jobs: &[Job], fresh: Vec<bool>) -> (Vec<(Actor, AuditEvent)>, Vec<bool>) {
    let mut fresh = fresh.into_iter();
    let replayed: Vec<bool> = jobs.iter().map(|j| j.claim.is_some() && !fresh.next().unwrap_or(false)).collect();
    let entries = jobs
        .iter()
        .zip(&replayed)
        .map(|(j, replayed)| match (&j.claim, replayed) {
            (Some(claim), true) => (j.actor.clone(), claim.if_replayed.clone()),
            _ => (j.actor.clone(), j.event.clone()),
        })
        .collect();
    (entries, replayed)
}

fn answers(seqs: Vec<i64>, replayed: &[bool]) -> Vec<Recorded> {
    seqs.into_iter()
        .zip(replayed)
        .map(|(seq, r)| if *r { Recorded::Replayed(seq) } else { Recorded::Entry(seq) })
        .collect()
}

/// Filters for reading the trail; all optional. Pages run newest first.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub since: Option<String>,
    pub until: Option<String>,
    pub action: Option<String>,
    pub actor: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub outcome: Option<String>,
    /// Only entries with a position below this (the previous page's `next_before`).
    pub before_seq: Option<i64>,
    pub limit: u32,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct AuditPage {
    pub entries: Vec<AuditRecord>,
    /// Pass as `before_seq` for the next (older) page; absent on the last page.
    pub next_before: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct Row {
    seq: i64,
    occurred_at: String,
    actor_user_id: Option<i64>,
    actor_username: String,
    actor_org_id: Option<i64>,
    actor_role: Option<String>,
    token_id: Option<i64>,
    source_ip: Option<String>,
    user_agent: Option<String>,
    request_id: Option<String>,
    action: String,
    object_type: String,
    object_id: Option<String>,
    outcome: String,
    summary: String,
    prev_hash: String,
    hash: String,
}

impl From<Row> for AuditRecord {
    fn from(r: Row) -> AuditRecord {
        AuditRecord {
            seq: r.seq,
            occurred_at: r.occurred_at,
            actor_user_id: r.actor_user_id,
            actor_username: r.actor_username,
            actor_org_id: r.actor_org_id,
            actor_role: r.actor_role,
            token_id: r.token_id,
            source_ip: r.source_ip,
            user_agent: r.user_agent,
            request_id: r.request_id,
            action: r.action,
            object_type: r.object_type,
            object_id: r.object_id,
            outcome: r.outcome,
            summary: r.summary,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

/// Reads a page of the trail. Requires `audit.read`; an agency's accountable head sees the
/// entries of their own agency's users only.
pub async fn list(store: &Store, caller: &Caller, filter: &AuditFilter) -> Result<AuditPage> {
    caller.principal.require(Permission::AuditRead)?;
    let limit = filter.limit.clamp(1, 500) as i64;
    let mut q = Sql::new(concat!("SELECT ", audit_columns!(), " FROM audit_entries WHERE 1 = 1"));
    match caller.principal.scope() {
        Scope::All => {}
        Scope::Org(org) => {
            q.push(" AND actor_org_id = ").bind(org.0);
        }
        Scope::OwnAccount => {
            q.push(" AND actor_user_id = ").bind(caller.principal.user_id.map_or(-1, |u| u.0));
        }
    }
    let mut text = |condition: &'static str, value: &Option<String>| {
        if let Some(v) = value.as_ref().filter(|v| !v.is_empty()) {
            q.push(condition).bind(v.clone());
        }
    };
    text(" AND occurred_at >= ", &filter.since);
    text(" AND occurred_at < ", &filter.until);
    text(" AND action = ", &filter.action);
    text(" AND actor_username = ", &filter.actor);
    text(" AND object_type = ", &filter.object_type);
    text(" AND object_id = ", &filter.object_id);
    text(" AND outcome = ", &filter.outcome);
    if let Some(before) = filter.before_seq {
        q.push(" AND seq < ").bind(before);
    }
    q.push(" ORDER BY seq DESC LIMIT ").bind(limit + 1);
    let mut rows: Vec<Row> = q.query_as().fetch_all(store.reader()).await?;
    let next_before = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.seq)
    } else {
        None
    };
    Ok(AuditPage { entries: rows.into_iter().map(AuditRecord::from).collect(), next_before })
}

/// The chain's current head: (position of the last entry, its hash).
pub async fn head(store: &Store) -> Result<(i64, String)> {
    Ok(sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(store.reader()).await?)
}

/// The outcome of a verification.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ChainCheck {
    Intact(ChainReport),
    Broken(ChainBreak),
}

const PAGE: i64 = 5_000;

/// Walks the whole chain in position order inside one read snapshot (entries committed while it
/// runs are left for the next run) and reports the first break, in constant memory.
pub async fn verify(store: &Store) -> Result<ChainCheck> {
    let mut tx = store.reader().begin().await?;
    if store.backend() == Backend::Postgres {
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
    }
    let (head_seq, head_hash): (i64, String) =
        sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(&mut *tx).await?;
    let mut verifier = ChainVerifier::default();
    let mut after = 0i64;
    loop {
        let rows: Vec<Row> = sqlx::query_as(concat!(
            "SELECT ",
            audit_columns!(),
            " FROM audit_entries WHERE seq > $1 ORDER BY seq LIMIT $2"
        ))
        .bind(after)
        .bind(PAGE)
        .fetch_all(&mut *tx)
        .await?;
        let Some(last) = rows.last().map(|r| r.seq) else { break };
        for row in rows {
            if let Err(b) = verifier.push(&AuditRecord::from(row)) {
                return Ok(ChainCheck::Broken(b));
            }
        }
        after = last;
    }
    tx.rollback().await?;
    Ok(match verifier.finish(head_seq, &head_hash) {
        Ok(report) => ChainCheck::Intact(report),
        Err(b) => ChainCheck::Broken(b),
    })
}

/// Writes every entry with `since <= occurred_at < until` (either bound optional) to `sink`, in
/// position order, page by page; returns the number written. Requires `audit.export`. The
/// export itself is recorded, durably, before any entry leaves.
pub async fn export(
    store: &Store,
    caller: &Caller,
    since: Option<&str>,
    until: Option<&str>,
    mut sink: impl AsyncFnMut(AuditRecord) -> std::io::Result<()>,
) -> Result<u64> {
    caller.principal.require(Permission::AuditExport)?;
    // The export covers the chain as it stands now; its own record (and anything later) is
    // for the next export.
    let (head_seq, _) = head(store).await?;
    let bounded = |select: &'static str| {
        let mut q = Sql::new(select);
        q.push(" FROM audit_entries WHERE seq <= ").bind(head_seq);
        if let Some(s) = since {
            q.push(" AND occurred_at >= ").bind(s.to_string());
        }
        if let Some(u) = until {
            q.push(" AND occurred_at < ").bind(u.to_string());
        }
        q
    };
    let (count,): (i64,) = bounded("SELECT COUNT(*)").query_as().fetch_one(store.reader()).await?;
    store
        .audit()
        .record(caller.actor(), events::audit_exported(since.unwrap_or(""), until.unwrap_or(""), count as u64))
        .await?;
    let mut after = 0i64;
    let mut written = 0u64;
    loop {
        let mut q = bounded(concat!("SELECT ", audit_columns!()));
        q.push(" AND seq > ").bind(after).push(" ORDER BY seq LIMIT ").bind(PAGE);
        let rows: Vec<Row> = q.query_as().fetch_all(store.reader()).await?;
        let Some(last) = rows.last().map(|r| r.seq) else { break };
        for row in rows {
            sink(AuditRecord::from(row)).await.map_err(|e| Error::Database(sqlx::Error::Io(e)))?;
            written += 1;
        }
        after = last;
    }
    Ok(written)
}

/// Verifies the chain on behalf of `caller` (who needs `audit.verify`) and records that they did.
pub async fn verify_as(store: &Store, caller: &Caller) -> Result<ChainCheck> {
    caller.principal.require(Permission::AuditVerify)?;
    let check = verify(store).await?;
    let (entries, result) = match &check {
        ChainCheck::Intact(r) => (r.entries, "ok".to_string()),
        ChainCheck::Broken(b) => (b.position(), b.describe_en()),
    };
    store.audit().record(caller.actor(), events::audit_verified(entries, &result)).await?;
    Ok(check)
}
