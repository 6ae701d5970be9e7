//! Delivering a batch: read and check rows on a blocking thread, load them on the backend's own
//! connection, then publish the batch in one audited transaction.
//!
//! Loaded rows are invisible until the batch is stored: readers keep only rows of stored batches
//! (see [`Layout::visible`]), so a batch that fails, is refused, or whose loader dies leaves
//! nothing visible, and a replacement shows readers the old rows or the new, never a mix. On
//! SQLite the rows commit in chunks so that a multi-gigabyte batch never holds the write lock
//! for minutes; on PostgreSQL they go in one `COPY`, which a dying process rolls back. Into an
//! empty table the indexes are dropped when the batch starts and built once its rows are in.
//! These loads, the index rebuild and the loader's lease are the only writes outside a
//! [`WriteTx`], and none changes what anyone can read.

use super::table::{self, BATCH, Layout, RETIRED_BY, SOURCE_ROW};
use super::{Batch, DeliveryRequest, Progress};
use crate::db::{BulkConnection, Store, WriteTx};
use crate::error::{Error, Result};
use pubdata_domain::aggregation::{self as rules, BatchState, CellError, Mode, OnError, RowChecker, Value};
use pubdata_domain::audit::events;
use pubdata_domain::catalog::ResourceDocument;
use pubdata_domain::identity::{Caller, Permission};
use pubdata_domain::ids::OrgId;
use pubdata_domain::{Text, timefmt};
use sqlx::{AssertSqlSafe, Executor};
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::io::Read;
use std::time::{Duration, Instant};

/// Rows per chunk sent from the reader to the loader, and per loader transaction.
const CHUNK_ROWS: usize = 4096;
/// The most refused cells a batch keeps for its report; the counts stay exact beyond.
pub const MAX_STORED_ERRORS: usize = 10_000;

/// One refused cell or row, as the error report lists it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct BatchError {
    pub source_row: Option<i64>,
    pub column: String,
    pub value: String,
    pub reason: Text,
}

enum Msg {
    Rows(Vec<(u64, Vec<Value>)>),
    Done(Box<ReadOutcome>),
    Fatal(Vec<BatchError>),
}

struct ReadOutcome {
    rows_read: u64,
    bad_rows: u64,
    errors: Vec<BatchError>,
    /// Rows whose key hashed like an earlier row's: possibly duplicates, checked exactly later.
    suspects: Vec<Vec<Value>>,
    /// The file's header(s) of the unique-key column(s), for reports.
    key_column: String,
    digests: pubdata_ingest::Digests,
    encoding: String,
    detection: serde_json::Value,
}

/// Delivers one batch for a published resource of the caller's agency (`aggregation.deliver`).
/// Returns the batch as it ended: stored, or rejected with its errors.
pub async fn deliver<R: Read + Send + 'static>(
    store: &Store,
    caller: &Caller,
    req: DeliveryRequest,
    input: R,
    progress: Option<Progress>,
) -> Result<Batch> {
    caller.principal.require(Permission::AggregationDeliver)?;
    let mut tx = store.begin().await?;
    let (provider, version, doc) = published_resource(&mut tx, caller, req.resource_id).await?;
    if req.mode == Mode::Upsert && !doc.items.iter().any(|i| i.unique_key) {
        return Err(pubdata_domain::Error::invalid(
            "mode",
            "按唯一键更新需要资源登记唯一键数据项",
            "upsert needs the resource to declare unique-key data items",
        )
        .into());
    }
    let layout = table::ensure(&mut tx, req.resource_id, &doc.items).await?;
    // Into an empty table, the indexes are built once the rows are in (see
    // `Layout::drop_indexes`); readers see no rows of it meanwhile either way.
    let any_row: Option<i64> =
        sqlx::query_scalar(AssertSqlSafe(format!("SELECT {} FROM {} LIMIT 1", table::ROW_ID, layout.quoted())))
            .fetch_optional(tx.conn())
            .await?;
    if any_row.is_none() {
        for statement in layout.drop_indexes() {
            tx.conn().execute(AssertSqlSafe(statement)).await?;
        }
    }
    let now = timefmt::format_instant(timefmt::now());
    let lease = lease_until(req.lease);
    let batch_id: i64 = sqlx::query_scalar(
        "INSERT INTO aggregation_batches (resource_id, resource_version, provider_org_id, state, mode, on_error, \
         channel, source_system, file_name, format, created_by, created_by_user, created_at, lease_until_ms) \
         VALUES ($1, $2, $3, 'receiving', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
    )
    .bind(req.resource_id)
    .bind(version)
    .bind(provider.0)
    .bind(req.mode.as_str())
    .bind(req.on_error.as_str())
    .bind(req.channel.as_str())
    .bind(req.source_system.trim())
    .bind(req.file_name.trim())
    .bind(req.read.format.as_str())
    .bind(&caller.principal.username)
    .bind(caller.principal.user_id.map(|u| u.0))
    .bind(&now)
    .bind(lease)
    .fetch_one(tx.conn())
    .await
    .map_err(Error::on_duplicate(
        "resource_id",
        "该资源正在接收另一批次，请待其完成后再提交",
        "another batch of this resource is being received; deliver when it has finished",
    ))?;
    tx.record(
        caller.actor(),
        events::batch_started(batch_id, req.resource_id, req.mode.as_str(), req.channel.as_str(), &req.file_name),
    );
    tx.commit().await?;

    let outcome = run(store, &layout, &doc, batch_id, &req, input, progress).await;
    match outcome {
        Ok(end) => finish(store, caller, &layout, &doc.items, batch_id, &req, end).await,
        Err(e) => {
            // The loader failed (database gone, disk full): mark the batch failed if we still
            // can, and remove what it loaded; otherwise recovery does both once its lease ends.
            let reason = Text::new(format!("入库过程出错：{e}"), format!("loading failed: {e}"));
            let _ = mark_failed(store, caller, batch_id, req.resource_id, &reason).await;
            let _ = purge_rows(store, &layout, batch_id).await;
            Err(e)
        }
    }
}

/// What reading and loading ended with, before the batch is decided.
struct LoadEnd {
    read: Option<ReadOutcome>,
    fatal: Vec<BatchError>,
}

async fn published_resource(
    tx: &mut WriteTx,
    caller: &Caller,
    resource_id: i64,
) -> Result<(OrgId, i64, ResourceDocument)> {
    let row: Option<(i64, i64, Option<String>)> =
        sqlx::query_as("SELECT provider_org_id, current_version, published FROM catalog_resources WHERE id = $1")
            .bind(resource_id)
            .fetch_optional(tx.conn())
            .await?;
    let Some((provider, version, published)) = row else { return Err(Error::not_found("resource", resource_id)) };
    let provider = OrgId(provider);
    if !caller.principal.is_system() && caller.principal.org_id != Some(provider) {
        // Drafts of other agencies are not even acknowledged; published resources are public.
        if published.is_none() && !caller.principal.sees_org(provider) {
            return Err(Error::not_found("resource", resource_id));
        }
        return Err(pubdata_domain::Error::out_of_scope(
            "只有资源的提供单位可以归集该资源的数据",
            "only the resource's providing agency may deliver its data",
        )
        .into());
    }
    let Some(published) = published else {
        return Err(pubdata_domain::Error::conflict(
            "资源尚未发布到目录：先发布目录，再归集数据（第十条）",
            "the resource is not published in the catalog yet: publish it before delivering data (Art.10)",
        )
        .into());
    };
    Ok((provider, version, crate::catalog::index::parse_document(&published)?))
}

fn lease_until(lease: Duration) -> i64 {
    let now = timefmt::now();
    (now + lease).unix_timestamp_nanos().div_euclid(1_000_000) as i64
}

/// Reads on a blocking thread, loads on this task.
async fn run<R: Read + Send + 'static>(
    store: &Store,
    layout: &Layout,
    doc: &ResourceDocument,
    batch_id: i64,
    req: &DeliveryRequest,
    input: R,
    progress: Option<Progress>,
) -> Result<LoadEnd> {
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Msg>(4);
    let items = doc.items.clone();
    let key_positions: Vec<usize> = items.iter().enumerate().filter(|(_, i)| i.unique_key).map(|(n, _)| n).collect();
    let read_options = req.read.clone();
    // A batch refused whole still loads its good rows while that can add to its report: they
    // are what duplicate keys (within the file, and against stored rows) are found among.
    let load_after_errors = match (req.on_error, key_positions.is_empty()) {
        (OnError::RejectBatch, true) => LoadAfterErrors::No,
        (OnError::RejectBatch, false) => LoadAfterErrors::WhileReporting,
        _ => LoadAfterErrors::Always,
    };
    let reader = tokio::task::spawn_blocking(move || {
        read_rows(input, &read_options, &items, &key_positions, load_after_errors, &sender, progress)
    });
    let mut conn = store.bulk_connection().await?;
    let mut sink = Sink::open(&mut conn, layout, &Layout::item_columns(&doc.items), batch_id).await?;
    let lease = req.lease;
    // The lease is renewed while this task lives, whether or not rows arrive (a slow upload is
    // alive; a killed process is not).
    let mut renew = tokio::time::interval(lease / 3);
    renew.tick().await;
    let mut end = LoadEnd { read: None, fatal: Vec::new() };
    loop {
        let msg = tokio::select! {
            msg = receiver.recv() => msg,
            _ = renew.tick() => {
                renew_lease(store, batch_id, lease).await?;
                continue;
            }
        };
        match msg {
            None => break,
            Some(Msg::Rows(rows)) => sink.load(rows).await?,
            Some(Msg::Done(outcome)) => end.read = Some(*outcome),
            Some(Msg::Fatal(errors)) => end.fatal = errors,
        }
    }
    reader.await.map_err(|e| Error::Database(sqlx::Error::Io(std::io::Error::other(format!("reader thread: {e}")))))?;
    sink.finish().await?;
    // Built here, before duplicate keys are looked for and the batch is decided, whether or
    // not the batch will be stored.
    for statement in layout.create_indexes() {
        conn.execute_trusted(statement).await?;
    }
    Ok(end)
}

/// Whether good rows after the first refused one are still loaded.
#[derive(Clone, Copy, PartialEq, Eq)]
enum LoadAfterErrors {
    /// The batch keeps its good rows.
    Always,
    /// The batch will be refused whole and has no unique key: its rows can add nothing.
    No,
    /// Until the report is full ([`MAX_STORED_ERRORS`]).
    WhileReporting,
}

/// The loader's lease: renewed while it works, so that recovery can tell a dead loader's batch.
/// A bookkeeping write outside [`WriteTx`]: it changes nothing anyone reads.
async fn renew_lease(store: &Store, batch_id: i64, lease: Duration) -> Result<()> {
    sqlx::query("UPDATE aggregation_batches SET lease_until_ms = $1 WHERE id = $2 AND state = 'receiving'")
        .bind(lease_until(lease))
        .bind(batch_id)
        .execute(store.writer())
        .await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn read_rows<R: Read + Send + 'static>(
    input: R,
    options: &pubdata_ingest::ReadOptions,
    items: &[pubdata_domain::catalog::DataItem],
    key_positions: &[usize],
    load_after_errors: LoadAfterErrors,
    sender: &tokio::sync::mpsc::Sender<Msg>,
    progress: Option<Progress>,
) {
    let file_error = |zh: String, en: String, row: Option<u64>| BatchError {
        source_row: row.map(|r| r as i64),
        column: String::new(),
        value: String::new(),
        reason: Text::new(zh, en),
    };
    let mut reader = match pubdata_ingest::open(input, options) {
        Ok(r) => r,
        Err(e) => {
            let _ = sender.blocking_send(Msg::Fatal(vec![file_error(e.reason_zh.clone(), e.reason_en.clone(), e.row)]));
            return;
        }
    };
    let header: Vec<String> = reader.header().to_vec();
    let mapping = match rules::map_columns(&header, items) {
        Ok(m) => m,
        Err(problems) => {
            let errors = problems
                .into_iter()
                .map(|p| BatchError {
                    source_row: Some(1),
                    column: p.field.trim_start_matches("column:").to_string(),
                    value: String::new(),
                    reason: p.message,
                })
                .collect();
            let _ = sender.blocking_send(Msg::Fatal(errors));
            return;
        }
    };
    let checker = RowChecker::new(&header, items, &mapping);
    let key_column = key_positions
        .iter()
        .map(|&k| match mapping.item_of_column.iter().position(|&i| i == k) {
            Some(c) => header[c].clone(),
            None => items[k].code.clone(),
        })
        .collect::<Vec<_>>()
        .join(",");
    let mut detectors: Vec<pubdata_pii::ColumnDetector> =
        header.iter().map(|h| pubdata_pii::ColumnDetector::new(h)).collect();
    let mut seen_keys: HashSet<u64> = HashSet::new();
    let mut suspects = Vec::new();
    let mut errors: Vec<BatchError> = Vec::new();
    let (mut rows_read, mut bad_rows) = (0u64, 0u64);
    let mut chunk = Vec::with_capacity(CHUNK_ROWS);
    let mut cells: Vec<CellError> = Vec::new();
    let mut last_report = Instant::now();
    let mut row = pubdata_ingest::Row::default();
    loop {
        let next = match reader.next_row_into(&mut row) {
            Ok(n) => n,
            Err(e) => {
                let mut all = vec![file_error(e.reason_zh.clone(), e.reason_en.clone(), e.row)];
                all.append(&mut errors);
                let _ = sender.blocking_send(Msg::Fatal(all));
                return;
            }
        };
        match next {
            pubdata_ingest::Next::End => break,
            pubdata_ingest::Next::Row => rows_read += 1,
            pubdata_ingest::Next::Invalid(e) => {
                rows_read += 1;
                bad_rows += 1;
                if errors.len() < MAX_STORED_ERRORS {
                    errors.push(BatchError {
                        source_row: Some(e.row as i64),
                        column: e.column.clone().unwrap_or_default(),
                        value: String::new(),
                        reason: Text::new(e.reason_zh.clone(), e.reason_en.clone()),
                    });
                }
                continue;
            }
        }
        // Personal-information detection looks at every value of the first rows, then at a
        // sample, so that its cost stays bounded on huge batches.
        if rows_read <= 20_000 || rows_read % 50 == 0 {
            for (d, v) in detectors.iter_mut().zip(&row.fields) {
                d.observe(v);
            }
        }
        let mut values = Vec::new();
        cells.clear();
        if !checker.check(&mut row.fields, &mut values, &mut cells) {
            bad_rows += 1;
            for c in cells.drain(..) {
                if errors.len() < MAX_STORED_ERRORS {
                    errors.push(BatchError {
                        source_row: Some(row.number as i64),
                        column: c.column,
                        value: c.value,
                        reason: c.reason,
                    });
                }
            }
            continue;
        }
        if !key_positions.is_empty() {
            let mut h = std::hash::DefaultHasher::new();
            for &k in key_positions {
                hash_value(&values[k], &mut h);
            }
            if !seen_keys.insert(h.finish()) {
                suspects.push(key_positions.iter().map(|&k| values[k].clone()).collect());
            }
        }
        let load = match load_after_errors {
            _ if bad_rows == 0 => true,
            LoadAfterErrors::Always => true,
            LoadAfterErrors::No => false,
            LoadAfterErrors::WhileReporting => errors.len() < MAX_STORED_ERRORS,
        };
        if !load {
            // The batch will be refused whole and its rows can add nothing to the report: keep
            // reading only to count the rest.
            continue;
        }
        chunk.push((row.number, values));
        if chunk.len() == CHUNK_ROWS {
            if sender.blocking_send(Msg::Rows(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK_ROWS)))).is_err() {
                return;
            }
            if let Some(p) = &progress
                && last_report.elapsed() > Duration::from_millis(100)
            {
                p(reader.bytes_read(), rows_read);
                last_report = Instant::now();
            }
        }
    }
    if !chunk.is_empty() && sender.blocking_send(Msg::Rows(chunk)).is_err() {
        return;
    }
    let encoding = reader.encoding().to_string();
    let digests = match reader.finish() {
        Ok(d) => d,
        Err(e) => {
            let _ = sender.blocking_send(Msg::Fatal(vec![file_error(e.reason_zh.clone(), e.reason_en.clone(), e.row)]));
            return;
        }
    };
    if let Some(p) = &progress {
        p(digests.bytes, rows_read);
    }
    let detection = super::detection_json(&header, items, &mapping, &detectors);
    let _ = sender.blocking_send(Msg::Done(Box::new(ReadOutcome {
        rows_read,
        bad_rows,
        errors,
        suspects,
        key_column,
        digests,
        encoding,
        detection,
    })));
}

fn hash_value(v: &Value, h: &mut impl Hasher) {
    match v {
        Value::Null => 0u8.hash(h),
        Value::Text(s) => s.hash(h),
        Value::Int(i) => i.hash(h),
        Value::Bool(b) => b.hash(h),
    }
}

/// Where a batch's rows go: SQLite takes multi-row `INSERT`s, committed every chunk so that
/// the write lock is never held for long; PostgreSQL takes one `COPY` for the whole batch, one
/// transaction that a dying process rolls back by itself.
enum Sink<'c> {
    Sqlite { conn: &'c mut sqlx::SqliteConnection, head: String, one: String, per_statement: usize, batch_id: i64 },
    Postgres { copy: sqlx::postgres::PgCopyIn<&'c mut sqlx::PgConnection>, batch_id: i64 },
}

impl<'c> Sink<'c> {
    async fn open(
        conn: &'c mut BulkConnection,
        layout: &Layout,
        item_columns: &[String],
        batch_id: i64,
    ) -> Result<Sink<'c>> {
        let columns = format!("{BATCH}, {SOURCE_ROW}, {}", item_columns.join(", "));
        Ok(match conn {
            BulkConnection::Sqlite(conn) => Sink::Sqlite {
                conn,
                head: format!("INSERT INTO {} ({columns}) VALUES ", layout.quoted()),
                one: format!("({})", vec!["?"; item_columns.len() + 2].join(", ")),
                per_statement: (30_000 / (item_columns.len() + 2)).clamp(1, 500),
                batch_id,
            },
            BulkConnection::Postgres(conn) => {
                let statement = format!("COPY {} ({columns}) FROM STDIN (FORMAT text)", layout.quoted());
                Sink::Postgres { copy: conn.copy_in_raw(&statement).await?, batch_id }
            }
        })
    }

    async fn load(&mut self, rows: Vec<(u64, Vec<Value>)>) -> Result<()> {
        match self {
            Sink::Sqlite { conn, head, one, per_statement, batch_id } => {
                let batch_id = *batch_id;
                let per_statement = *per_statement;
                let build = |part: Vec<(u64, Vec<Value>)>| {
                    let mut sql = head.clone();
                    sql.push_str(&vec![one.as_str(); part.len()].join(", "));
                    let mut args = sqlx::sqlite::SqliteArguments::default();
                    for (source_row, values) in part {
                        add(&mut args, batch_id)?;
                        add(&mut args, source_row as i64)?;
                        for v in values {
                            match v {
                                Value::Null => add(&mut args, None::<String>)?,
                                Value::Text(s) => add(&mut args, s)?,
                                Value::Int(i) => add(&mut args, i)?,
                                Value::Bool(b) => add(&mut args, b)?,
                            }
                        }
                    }
                    Ok::<_, Error>((sql, args))
                };
                let mut rows = rows.into_iter().peekable();
                let mut parts = std::iter::from_fn(|| {
                    rows.peek().is_some().then(|| rows.by_ref().take(per_statement).collect::<Vec<_>>())
                });
                let mut tx = sqlx::Connection::begin(&mut **conn).await?;
                let mut next = parts.next().map(build).transpose()?;
                // Each statement runs on SQLite's worker thread while this task binds the next.
                while let Some((sql, args)) = next.take() {
                    let run = sqlx::query_with::<sqlx::Sqlite, _>(AssertSqlSafe(sql), args).execute(&mut *tx);
                    let (done, built) = tokio::join!(run, async { parts.next().map(build).transpose() });
                    done?;
                    next = built?;
                }
                tx.commit().await?;
            }
            Sink::Postgres { copy, batch_id } => {
                let mut buf = Vec::with_capacity(rows.len() * 160);
                for (source_row, values) in &rows {
                    buf.extend_from_slice(format!("{batch_id}\t{source_row}").as_bytes());
                    for v in values {
                        buf.push(b'\t');
                        match v {
                            Value::Null => buf.extend_from_slice(b"\\N"),
                            Value::Text(s) => copy_escape(s, &mut buf),
                            Value::Int(i) => buf.extend_from_slice(i.to_string().as_bytes()),
                            Value::Bool(b) => buf.extend_from_slice(if *b { b"t" } else { b"f" }),
                        }
                    }
                    buf.push(b'\n');
                }
                drop(rows);
                copy.send(buf).await?;
            }
        }
        Ok(())
    }

    async fn finish(self) -> Result<()> {
        if let Sink::Postgres { copy, .. } = self {
            copy.finish().await?;
        }
        Ok(())
    }
}

fn add<'q, T: sqlx::Encode<'q, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite> + 'q>(
    args: &mut sqlx::sqlite::SqliteArguments,
    value: T,
) -> Result<()> {
    sqlx::Arguments::add(args, value).map_err(|e| Error::Database(sqlx::Error::Encode(e)))
}

/// Escapes a value for `COPY ... (FORMAT text)`.
fn copy_escape(s: &str, buf: &mut Vec<u8>) {
    for b in s.bytes() {
        match b {
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            _ => buf.push(b),
        }
    }
}

/// Decides the batch: duplicate keys, then stored or rejected, in one audited transaction.
async fn finish(
    store: &Store,
    caller: &Caller,
    layout: &Layout,
    items: &[pubdata_domain::catalog::DataItem],
    batch_id: i64,
    req: &DeliveryRequest,
    end: LoadEnd,
) -> Result<Batch> {
    let Some(mut read) = end.read else {
        let errors = if end.fatal.is_empty() {
            vec![BatchError {
                source_row: None,
                column: String::new(),
                value: String::new(),
                reason: Text::new("读取文件时中断", "reading the file stopped unexpectedly"),
            }]
        } else {
            end.fatal
        };
        return reject(store, caller, layout, batch_id, req, None, errors, 0, 0).await;
    };
    // Duplicate keys within the batch (exactly, from the suspects the hashes found), and, when
    // appending, against the rows already stored.
    let mut duplicate_rows: Vec<i64> = Vec::new();
    if !layout.key.is_empty() {
        let key = KeyDisplay::new(items, &read.key_column);
        let dup_errors = duplicates_within(store, layout, batch_id, &read.suspects, &key).await?;
        for e in &dup_errors {
            duplicate_rows.extend(e.source_row);
        }
        read.errors.extend(dup_errors);
        if req.mode == Mode::Append {
            let (rows, clash) = duplicates_of_stored(store, layout, batch_id, &key).await?;
            duplicate_rows.extend(rows);
            read.errors.extend(clash);
        }
    }
    duplicate_rows.sort_unstable();
    duplicate_rows.dedup();
    let bad_rows = read.bad_rows + duplicate_rows.len() as u64;
    if read.rows_read == 0 {
        read.errors.push(BatchError {
            source_row: None,
            column: String::new(),
            value: String::new(),
            reason: Text::new("文件只有表头，没有数据行", "the file has a header but no data rows"),
        });
        let rows_read = read.rows_read;
        return reject(store, caller, layout, batch_id, req, Some(read), Vec::new(), rows_read, 0).await;
    }
    if bad_rows > 0 && (req.on_error == OnError::RejectBatch || bad_rows == read.rows_read) {
        let rows_read = read.rows_read;
        return reject(store, caller, layout, batch_id, req, Some(read), Vec::new(), rows_read, bad_rows).await;
    }

    let mut tx = store.begin().await?;
    write_errors(&mut tx, batch_id, &read.errors).await?;
    for part in duplicate_rows.chunks(500) {
        let list: Vec<String> = part.iter().map(i64::to_string).collect();
        tx.conn()
            .execute(AssertSqlSafe(format!(
                "DELETE FROM {} WHERE {BATCH} = {batch_id} AND {SOURCE_ROW} IN ({})",
                layout.quoted(),
                list.join(", ")
            )))
            .await?;
    }
    let retired = retire(&mut tx, layout, batch_id, req.mode).await?;
    let stored = read.rows_read - bad_rows;
    let now = timefmt::format_instant(timefmt::now());
    let updated = sqlx::query(
        "UPDATE aggregation_batches SET state = 'stored', encoding = $1, file_bytes = $2, sha256 = $3, sm3 = $4, \
         rows_read = $5, rows_stored = $6, rows_rejected = $7, rows_retired = $8, detection = $9, finished_at = $10 \
         WHERE id = $11 AND state = 'receiving'",
    )
    .bind(&read.encoding)
    .bind(read.digests.bytes as i64)
    .bind(&read.digests.sha256_hex)
    .bind(&read.digests.sm3_hex)
    .bind(read.rows_read as i64)
    .bind(stored as i64)
    .bind(bad_rows as i64)
    .bind(retired as i64)
    .bind(read.detection.to_string())
    .bind(&now)
    .bind(batch_id)
    .execute(tx.conn())
    .await?
    .rows_affected();
    if updated == 0 {
        return Err(no_longer_receiving());
    }
    tx.record(
        caller.actor(),
        events::batch_stored(
            batch_id,
            req.resource_id,
            read.rows_read,
            stored,
            bad_rows,
            retired,
            &read.digests.sm3_hex,
        ),
    );
    tx.commit().await?;
    super::get_unchecked(store, batch_id).await
}

/// The batch was failed meanwhile (its lease ran out and recovery took it): nothing is stored.
fn no_longer_receiving() -> Error {
    pubdata_domain::Error::conflict(
        "批次已因接收超时被标记为失败，数据未入库，请重新提交",
        "the batch was marked failed after its lease ran out; nothing was stored, deliver again",
    )
    .into()
}

/// Retires the rows this batch replaces: all visible rows (replace), or those with a key this
/// batch delivers (upsert). Returns how many.
async fn retire(tx: &mut WriteTx, layout: &Layout, batch_id: i64, mode: Mode) -> Result<u64> {
    let t = layout.quoted();
    let sql = match mode {
        Mode::Append => return Ok(0),
        Mode::Replace => {
            format!("UPDATE {t} SET {RETIRED_BY} = {batch_id} WHERE {}", layout.visible(&t))
        }
        Mode::Upsert => {
            let same_key: Vec<String> =
                layout.key.iter().map(|k| format!("n.{k} = o.{k}", k = table::quote(k))).collect();
            format!(
                "UPDATE {t} SET {RETIRED_BY} = {batch_id} WHERE {} IN (SELECT o.{} FROM {t} n JOIN {t} o ON {} \
                 WHERE n.{BATCH} = {batch_id} AND o.{BATCH} <> {batch_id} AND {})",
                table::ROW_ID,
                table::ROW_ID,
                same_key.join(" AND "),
                layout.visible("o")
            )
        }
    };
    Ok(tx.conn().execute(AssertSqlSafe(sql)).await?.rows_affected())
}

/// How a unique key appears in reports: the file's column header(s), values masked as the
/// items' levels require.
struct KeyDisplay {
    column: String,
    items: Vec<(Option<rules::IdentifierKind>, bool)>,
}

impl KeyDisplay {
    fn new(items: &[pubdata_domain::catalog::DataItem], column: &str) -> KeyDisplay {
        let items = items
            .iter()
            .filter(|i| i.unique_key)
            .map(|i| {
                let kind = rules::IdentifierKind::of(i);
                (kind, kind.is_some() || i.level >= pubdata_domain::catalog::Level::L3)
            })
            .collect();
        KeyDisplay { column: column.to_string(), items }
    }

    fn show<S: AsRef<str>>(&self, values: &[S]) -> String {
        values
            .iter()
            .zip(&self.items)
            .map(
                |(v, (kind, sensitive))| {
                    if *sensitive { rules::mask(*kind, v.as_ref()) } else { v.as_ref().to_string() }
                },
            )
            .collect::<Vec<_>>()
            .join(",")
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Text(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Bool(b) => b.to_string(),
    }
}

async fn duplicates_within(
    store: &Store,
    layout: &Layout,
    batch_id: i64,
    suspects: &[Vec<Value>],
    shown: &KeyDisplay,
) -> Result<Vec<BatchError>> {
    let mut errors = Vec::new();
    let mut done: HashSet<u64> = HashSet::new();
    for key in suspects {
        let mut h = std::hash::DefaultHasher::new();
        for v in key {
            hash_value(v, &mut h);
        }
        if !done.insert(h.finish()) {
            continue;
        }
        let mut sql = crate::sql::Sql::new("SELECT ");
        sql.push_trusted(&format!("{SOURCE_ROW} FROM {} WHERE {BATCH} = ", layout.quoted()));
        sql.bind(batch_id);
        for (k, v) in layout.key.iter().zip(key) {
            sql.push_trusted(&format!(" AND {} = ", table::quote(k)));
            bind_value(&mut sql, v);
        }
        sql.push_trusted(&format!(" ORDER BY {SOURCE_ROW}"));
        let rows: Vec<(i64,)> = sql.query_as().fetch_all(store.reader()).await?;
        if let Some(((first,), rest)) = rows.split_first() {
            for (row,) in rest {
                errors.push(BatchError {
                    source_row: Some(*row),
                    column: shown.column.clone(),
                    value: shown.show(&key.iter().map(value_text).collect::<Vec<_>>()),
                    reason: Text::new(
                        format!("唯一键与本文件第 {first} 行重复"),
                        format!("the unique key repeats row {first} of this file"),
                    ),
                });
            }
        }
    }
    Ok(errors)
}

/// Rows of this batch whose key is already stored: all their row numbers, and the errors to
/// report (at most [`MAX_STORED_ERRORS`]).
async fn duplicates_of_stored(
    store: &Store,
    layout: &Layout,
    batch_id: i64,
    shown: &KeyDisplay,
) -> Result<(Vec<i64>, Vec<BatchError>)> {
    use sqlx::Row;
    let t = layout.quoted();
    let same_key: Vec<String> = layout.key.iter().map(|k| format!("n.{k} = o.{k}", k = table::quote(k))).collect();
    let key_text: Vec<String> = layout.key.iter().map(|k| format!("CAST(n.{} AS TEXT)", table::quote(k))).collect();
    let key_group: Vec<String> = layout.key.iter().map(|k| format!("n.{}", table::quote(k))).collect();
    let sql = format!(
        "SELECT n.{SOURCE_ROW}, MIN(o.{BATCH}), {} FROM {t} n JOIN {t} o ON {} WHERE n.{BATCH} = {batch_id} \
         AND o.{BATCH} <> {batch_id} AND {} GROUP BY n.{SOURCE_ROW}, {} ORDER BY n.{SOURCE_ROW}",
        key_text.join(", "),
        same_key.join(" AND "),
        layout.visible("o"),
        key_group.join(", "),
    );
    let fetched = sqlx::query(AssertSqlSafe(sql)).fetch_all(store.reader()).await?;
    let mut rows: Vec<(i64, i64, Vec<String>)> = Vec::with_capacity(fetched.len());
    for r in &fetched {
        let mut key = Vec::with_capacity(layout.key.len());
        for i in 0..layout.key.len() {
            key.push(r.try_get::<Option<String>, _>(i + 2)?.unwrap_or_default());
        }
        rows.push((r.try_get(0)?, r.try_get(1)?, key));
    }
    let errors = rows
        .iter()
        .take(MAX_STORED_ERRORS)
        .map(|(row, other, key)| BatchError {
            source_row: Some(*row),
            column: shown.column.clone(),
            value: shown.show(key),
            reason: Text::new(
                format!("唯一键与已入库数据（批次 {other}）重复：追加模式不能覆盖，请用按唯一键更新"),
                format!("the unique key is already stored (batch {other}): append cannot overwrite, use upsert"),
            ),
        })
        .collect();
    Ok((rows.into_iter().map(|(r, _, _)| r).collect(), errors))
}

pub(crate) fn bind_value(sql: &mut crate::sql::Sql, v: &Value) {
    match v {
        Value::Null => sql.bind(None::<String>),
        Value::Text(s) => sql.bind(s.clone()),
        Value::Int(i) => sql.bind(*i),
        Value::Bool(b) => sql.bind(*b),
    };
}

async fn write_errors(tx: &mut WriteTx, batch_id: i64, errors: &[BatchError]) -> Result<()> {
    for (seq, e) in errors.iter().take(MAX_STORED_ERRORS).enumerate() {
        sqlx::query(
            "INSERT INTO aggregation_batch_errors (batch_id, seq, source_row, column_name, value_shown, reason_zh, \
             reason_en) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(batch_id)
        .bind(seq as i64)
        .bind(e.source_row)
        .bind(&e.column)
        .bind(&e.value)
        .bind(e.reason.zh.as_ref())
        .bind(e.reason.en.as_ref())
        .execute(tx.conn())
        .await?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn reject(
    store: &Store,
    caller: &Caller,
    layout: &Layout,
    batch_id: i64,
    req: &DeliveryRequest,
    read: Option<ReadOutcome>,
    fatal: Vec<BatchError>,
    rows_read: u64,
    bad_rows: u64,
) -> Result<Batch> {
    let (errors, encoding, digests, detection) = match read {
        Some(r) => (r.errors, r.encoding, Some(r.digests), Some(r.detection)),
        None => (fatal, String::new(), None, None),
    };
    let first = errors.first().map(|e| e.reason.clone()).unwrap_or_else(|| Text::new("批次被拒收", "batch refused"));
    let failure = serde_json::json!({ "zh": first.zh, "en": first.en }).to_string();
    let mut tx = store.begin().await?;
    write_errors(&mut tx, batch_id, &errors).await?;
    let now = timefmt::format_instant(timefmt::now());
    let updated = sqlx::query(
        "UPDATE aggregation_batches SET state = 'rejected', encoding = $1, file_bytes = $2, sha256 = $3, sm3 = $4, \
         rows_read = $5, rows_stored = 0, rows_rejected = $6, failure = $7, detection = $8, finished_at = $9 \
         WHERE id = $10 AND state = 'receiving'",
    )
    .bind(&encoding)
    .bind(digests.as_ref().map(|d| d.bytes as i64))
    .bind(digests.as_ref().map(|d| d.sha256_hex.clone()))
    .bind(digests.as_ref().map(|d| d.sm3_hex.clone()))
    .bind(rows_read as i64)
    .bind(bad_rows as i64)
    .bind(&failure)
    .bind(detection.map(|d| d.to_string()))
    .bind(&now)
    .bind(batch_id)
    .execute(tx.conn())
    .await?
    .rows_affected();
    if updated == 0 {
        return Err(no_longer_receiving());
    }
    tx.record(caller.actor(), events::batch_rejected(batch_id, req.resource_id, rows_read, bad_rows, &first.en));
    tx.commit().await?;
    purge_rows(store, layout, batch_id).await?;
    super::get_unchecked(store, batch_id).await
}

/// Marks a receiving batch failed, with its audit entry.
pub(crate) async fn mark_failed(
    store: &Store,
    caller: &Caller,
    batch_id: i64,
    resource_id: i64,
    reason: &Text,
) -> Result<bool> {
    let mut tx = store.begin().await?;
    let failure = serde_json::json!({ "zh": reason.zh, "en": reason.en }).to_string();
    let now = timefmt::format_instant(timefmt::now());
    let n = sqlx::query(
        "UPDATE aggregation_batches SET state = 'failed', failure = $1, finished_at = $2 \
         WHERE id = $3 AND state = 'receiving'",
    )
    .bind(&failure)
    .bind(&now)
    .bind(batch_id)
    .execute(tx.conn())
    .await?
    .rows_affected();
    if n == 0 {
        return Ok(false);
    }
    tx.record(caller.actor(), events::batch_failed(batch_id, resource_id, &reason.en));
    tx.commit().await?;
    Ok(true)
}

/// Removes the rows a batch that never became visible loaded. They were never readable, so
/// this changes nothing anyone sees; it frees the space.
pub(crate) async fn purge_rows(store: &Store, layout: &Layout, batch_id: i64) -> Result<()> {
    let state: Option<String> = sqlx::query_scalar("SELECT state FROM aggregation_batches WHERE id = $1")
        .bind(batch_id)
        .fetch_optional(store.reader())
        .await?;
    if state.as_deref().and_then(BatchState::parse) == Some(BatchState::Stored) {
        return Ok(());
    }
    sqlx::query(AssertSqlSafe(format!("DELETE FROM {} WHERE {BATCH} = {batch_id}", layout.quoted())))
        .execute(store.writer())
        .await?;
    Ok(())
}
