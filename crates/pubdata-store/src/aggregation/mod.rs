//! Aggregation (Ch.3, Art.10-12): delivered batches, their provenance, and the stored rows.

mod load;
pub mod table;

pub use load::{BatchError, MAX_STORED_ERRORS, deliver};

use crate::db::Store;
use crate::error::{Error, Result};
use pubdata_domain::aggregation::{BatchState, Channel, ColumnMapping, Mode, OnError};
use pubdata_domain::audit::events;
use pubdata_domain::catalog::{DataItem, Level};
use pubdata_domain::identity::{Caller, Permission};
use pubdata_domain::ids::OrgId;
use pubdata_domain::{Text, timefmt};
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;

/// Called now and then while a batch loads, with bytes and rows read so far.
pub type Progress = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// How long a loader's lease lasts before recovery may declare its batch failed.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(60);

/// What a provider asks to deliver.
#[derive(Clone, Debug)]
pub struct DeliveryRequest {
    pub resource_id: i64,
    pub mode: Mode,
    pub on_error: OnError,
    pub channel: Channel,
    /// The system the data comes from (provenance, Art.12).
    pub source_system: String,
    pub file_name: String,
    pub read: pubdata_ingest::ReadOptions,
    pub lease: Duration,
}

/// A batch with its provenance (Art.12: 可追溯、可定责).
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Batch {
    pub id: i64,
    pub resource_id: i64,
    pub resource_version: i64,
    pub provider_org_id: i64,
    pub state: String,
    pub mode: String,
    pub on_error: String,
    pub channel: String,
    pub source_system: String,
    pub file_name: String,
    pub format: String,
    pub encoding: String,
    pub file_bytes: Option<i64>,
    pub sha256: Option<String>,
    pub sm3: Option<String>,
    pub rows_read: i64,
    pub rows_stored: i64,
    pub rows_rejected: i64,
    pub rows_retired: i64,
    /// Why the batch was refused or failed, `{"zh": …, "en": …}`.
    pub failure: Option<String>,
    /// The personal-information detection per column (JSON list).
    pub detection: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub finished_at: Option<String>,
}

impl Batch {
    pub fn state(&self) -> BatchState {
        BatchState::parse(&self.state).unwrap_or(BatchState::Failed)
    }

    pub fn failure_text(&self) -> Option<Text> {
        let v: serde_json::Value = serde_json::from_str(self.failure.as_deref()?).ok()?;
        Some(Text::new(v["zh"].as_str()?.to_string(), v["en"].as_str()?.to_string()))
    }

    pub fn detections(&self) -> Vec<ColumnDetection> {
        self.detection.as_deref().and_then(|d| serde_json::from_str(d).ok()).unwrap_or_default()
    }
}

macro_rules! batch_columns {
    () => {
        "id, resource_id, resource_version, provider_org_id, state, mode, on_error, channel, source_system, \
         file_name, format, encoding, file_bytes, sha256, sm3, rows_read, rows_stored, rows_rejected, rows_retired, \
         failure, detection, created_by, created_at, finished_at"
    };
}

/// What the detector found in one column, and what it means for the item's level (Art.10).
#[derive(Clone, Debug, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct ColumnDetection {
    pub column: String,
    pub item_code: String,
    /// The detected kind (`id_card`, `mobile`, …), if any.
    pub kind: Option<String>,
    pub kind_zh: Option<String>,
    pub confidence: f32,
    pub values_seen: u64,
    pub values_matched: u64,
    pub declared_level: String,
    pub proposed_level: Option<String>,
    /// The declared level is lower than the detection suggests.
    pub flagged: bool,
}

pub(crate) fn detection_json(
    header: &[String],
    items: &[DataItem],
    mapping: &ColumnMapping,
    detectors: &[pubdata_pii::ColumnDetector],
) -> serde_json::Value {
    let list: Vec<ColumnDetection> = header
        .iter()
        .zip(&mapping.item_of_column)
        .zip(detectors)
        .map(|((h, &i), d)| {
            let item = &items[i];
            let found = d.detection();
            let proposed = found.kind.map(|k| match k.proposed_level() {
                1 => Level::L1,
                2 => Level::L2,
                3 => Level::L3,
                _ => Level::L4,
            });
            ColumnDetection {
                column: h.clone(),
                item_code: item.code.clone(),
                kind: found.kind.map(|k| k.as_str().to_string()),
                kind_zh: found.kind.map(|k| k.label_zh().to_string()),
                confidence: found.confidence,
                values_seen: found.values_seen,
                values_matched: found.values_matched,
                declared_level: item.level.as_str().to_string(),
                proposed_level: proposed.map(|l| l.as_str().to_string()),
                flagged: proposed.is_some_and(|p| p > item.level),
            }
        })
        .collect();
    serde_json::to_value(list).unwrap_or_default()
}

async fn provider_of(store: &Store, resource_id: i64) -> Result<OrgId> {
    let provider: Option<i64> = sqlx::query_scalar("SELECT provider_org_id FROM catalog_resources WHERE id = $1")
        .bind(resource_id)
        .fetch_optional(store.reader())
        .await?;
    provider.map(OrgId).ok_or_else(|| Error::not_found("resource", resource_id))
}

/// Refuses unless the caller may see the resource's batches: its providing agency, or a role
/// that sees every organisation.
async fn require_read(store: &Store, caller: &Caller, resource_id: i64) -> Result<OrgId> {
    caller.principal.require(Permission::AggregationRead)?;
    let provider = provider_of(store, resource_id).await?;
    if !caller.principal.sees_org(provider) {
        return Err(Error::not_found("resource", resource_id));
    }
    Ok(provider)
}

/// A resource's batches, newest first.
pub async fn batches(store: &Store, caller: &Caller, resource_id: i64) -> Result<Vec<Batch>> {
    require_read(store, caller, resource_id).await?;
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        batch_columns!(),
        " FROM aggregation_batches WHERE resource_id = $1 ORDER BY id DESC"
    ))
    .bind(resource_id)
    .fetch_all(store.reader())
    .await?)
}

pub(crate) async fn get_unchecked(store: &Store, id: i64) -> Result<Batch> {
    sqlx::query_as(concat!("SELECT ", batch_columns!(), " FROM aggregation_batches WHERE id = $1"))
        .bind(id)
        .fetch_optional(store.reader())
        .await?
        .ok_or_else(|| Error::not_found("batch", id))
}

/// One batch, if the caller may see it.
pub async fn batch(store: &Store, caller: &Caller, id: i64) -> Result<Batch> {
    caller.principal.require(Permission::AggregationRead)?;
    let b = get_unchecked(store, id).await?;
    if !caller.principal.sees_org(OrgId(b.provider_org_id)) {
        return Err(Error::not_found("batch", id));
    }
    Ok(b)
}

/// The errors a batch refused, in file order (at most [`MAX_STORED_ERRORS`]).
pub async fn errors(store: &Store, caller: &Caller, id: i64) -> Result<Vec<BatchError>> {
    batch(store, caller, id).await?;
    let rows: Vec<(Option<i64>, String, String, String, String)> = sqlx::query_as(
        "SELECT source_row, column_name, value_shown, reason_zh, reason_en FROM aggregation_batch_errors \
         WHERE batch_id = $1 ORDER BY seq",
    )
    .bind(id)
    .fetch_all(store.reader())
    .await?;
    let mut errors: Vec<BatchError> = rows
        .into_iter()
        .map(|(source_row, column, value, zh, en)| BatchError { source_row, column, value, reason: Text::new(zh, en) })
        .collect();
    errors.sort_by_key(|e| e.source_row.unwrap_or(0));
    Ok(errors)
}

/// The error report as CSV (UTF-8 with BOM, so that Excel shows the Chinese text).
pub fn errors_csv(errors: &[BatchError]) -> Vec<u8> {
    let mut out = vec![0xEF, 0xBB, 0xBF];
    let mut w = csv::Writer::from_writer(&mut out);
    let _ = w.write_record(["行号 row", "列 column", "值 value", "原因", "reason"]);
    for e in errors {
        let row = e.source_row.map(|r| r.to_string()).unwrap_or_default();
        let _ = w.write_record([row.as_str(), &e.column, &e.value, &e.reason.zh, &e.reason.en]);
    }
    drop(w);
    out
}

/// The error report as an Excel workbook.
pub fn errors_xlsx(errors: &[BatchError]) -> Result<Vec<u8>> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let fail = |e: rust_xlsxwriter::XlsxError| Error::Database(sqlx::Error::Encode(Box::new(e)));
    sheet.set_name("错误报告").map_err(fail)?;
    for (c, h) in ["行号 row", "列 column", "值 value", "原因", "reason"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).map_err(fail)?;
    }
    for (r, e) in errors.iter().enumerate() {
        let r = r as u32 + 1;
        if let Some(row) = e.source_row {
            sheet.write_number(r, 0, row as f64).map_err(fail)?;
        }
        sheet.write_string(r, 1, &e.column).map_err(fail)?;
        sheet.write_string(r, 2, &e.value).map_err(fail)?;
        sheet.write_string(r, 3, e.reason.zh.as_ref()).map_err(fail)?;
        sheet.write_string(r, 4, e.reason.en.as_ref()).map_err(fail)?;
    }
    sheet.set_column_width(3, 50).map_err(fail)?;
    sheet.set_column_width(4, 50).map_err(fail)?;
    book.save_to_buffer().map_err(fail)
}

/// Delivery status of a resource: its last stored batch and when the next is due (Art.12).
#[derive(Clone, Debug, Serialize)]
pub struct DeliveryStatus {
    pub resource_id: i64,
    pub rows: i64,
    pub last_batch_id: Option<i64>,
    pub last_delivered_at: Option<String>,
    pub next_due: Option<String>,
    pub overdue: bool,
    /// Years the due date crosses whose official holiday notice is not entered yet.
    pub calendar_warning: Option<String>,
}

/// The resource's current rows (stored and not replaced) and its delivery schedule.
pub async fn status(store: &Store, caller: &Caller, resource_id: i64) -> Result<DeliveryStatus> {
    require_read(store, caller, resource_id).await?;
    let last: Option<(i64, String)> = sqlx::query_as(
        "SELECT id, finished_at FROM aggregation_batches WHERE resource_id = $1 AND state = 'stored' \
         ORDER BY id DESC LIMIT 1",
    )
    .bind(resource_id)
    .fetch_optional(store.reader())
    .await?;
    let rows = count_rows(store, resource_id).await?;
    let published: Option<String> = sqlx::query_scalar("SELECT published FROM catalog_resources WHERE id = $1")
        .bind(resource_id)
        .fetch_one(store.reader())
        .await?;
    let cycle = published.as_deref().map(crate::catalog::index::parse_document).transpose()?.map(|d| d.update_cycle);
    let (mut next_due, mut overdue, mut calendar_warning) = (None, false, None);
    if let (Some((_, at)), Some(cycle)) = (&last, cycle) {
        let delivered = timefmt::district_date(timefmt::parse_instant(at)?);
        let calendar = crate::calendar::load(store).await?;
        if let Some(due) = pubdata_domain::aggregation::next_due(cycle, delivered, &calendar) {
            let today = timefmt::district_date(timefmt::now());
            overdue = today > due;
            let missing = calendar.uncovered_years(delivered, due);
            if !missing.is_empty() {
                calendar_warning = Some(format!("{missing:?}"));
            }
            next_due = Some(timefmt::format_date(due));
        }
    }
    Ok(DeliveryStatus {
        resource_id,
        rows,
        last_batch_id: last.as_ref().map(|l| l.0),
        last_delivered_at: last.map(|l| l.1),
        next_due,
        overdue,
        calendar_warning,
    })
}

/// How many rows readers of the resource see now.
pub async fn count_rows(store: &Store, resource_id: i64) -> Result<i64> {
    let mut conn = store.reader().acquire().await?;
    let Some(layout) = table::layout(&mut conn, resource_id).await? else { return Ok(0) };
    let t = layout.quoted();
    let n: i64 =
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {t} WHERE {}", layout.visible(&t))))
            .fetch_one(&mut *conn)
            .await?;
    Ok(n)
}

/// A page of the resource's current rows, with the batch that delivered each (provenance), for
/// the provider's own checking and for tests. Reading rows is a data access and is audited.
pub async fn rows(
    store: &Store,
    caller: &Caller,
    resource_id: i64,
    after_row_id: i64,
    limit: i64,
) -> Result<(Vec<String>, Vec<(i64, i64, Vec<Option<String>>)>)> {
    rows_where(store, caller, resource_id, None, after_row_id, limit).await
}

/// The rows one batch delivered, whether or not a later batch replaced them since (Art.12:
/// replaced data stays retrievable per batch).
pub async fn batch_rows(
    store: &Store,
    caller: &Caller,
    batch_id: i64,
    after_row_id: i64,
    limit: i64,
) -> Result<(Vec<String>, Vec<(i64, i64, Vec<Option<String>>)>)> {
    let b = batch(store, caller, batch_id).await?;
    rows_where(store, caller, b.resource_id, Some(batch_id), after_row_id, limit).await
}

/// Rows in row-id order after `after_row_id`: the current ones, or one batch's.
async fn rows_where(
    store: &Store,
    caller: &Caller,
    resource_id: i64,
    batch_id: Option<i64>,
    after_row_id: i64,
    limit: i64,
) -> Result<(Vec<String>, Vec<(i64, i64, Vec<Option<String>>)>)> {
    require_read(store, caller, resource_id).await?;
    let mut conn = store.reader().acquire().await?;
    let Some(layout) = table::layout(&mut conn, resource_id).await? else { return Ok((Vec::new(), Vec::new())) };
    let t = layout.quoted();
    let casts: Vec<String> =
        layout.columns.iter().map(|c| format!("CAST({} AS TEXT)", table::quote(&c.code))).collect();
    let sql = format!(
        "SELECT {rid}, {b}, {} FROM {t} WHERE {rid} > {after_row_id} AND {} ORDER BY {rid} LIMIT {}",
        casts.join(", "),
        match batch_id {
            None => layout.visible(&t),
            Some(b) => format!("{}.{} = {b}", t, table::BATCH),
        },
        limit.clamp(1, 1000),
        rid = table::ROW_ID,
        b = table::BATCH,
    );
    use sqlx::Row;
    let fetched = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *conn).await?;
    let mut out = Vec::with_capacity(fetched.len());
    for r in &fetched {
        let mut values = Vec::with_capacity(layout.columns.len());
        for i in 0..layout.columns.len() {
            values.push(r.try_get::<Option<String>, _>(i + 2)?);
        }
        out.push((r.try_get::<i64, _>(0)?, r.try_get::<i64, _>(1)?, values));
    }
    drop(conn);
    store
        .audit()
        .record(
            caller.actor(),
            events::data_read(resource_id, if batch_id.is_some() { "batch_rows" } else { "rows" }, out.len() as u64),
        )
        .await?;
    Ok((layout.columns.iter().map(|c| c.code.clone()).collect(), out))
}

/// Marks batches whose loader stopped renewing its lease (a killed process, a lost machine) as
/// failed, with an audit entry each, and removes the rows they had loaded. Run at start-up and
/// periodically by `serve`, and by the CLI before it lists batches.
pub async fn recover(store: &Store) -> Result<usize> {
    let now_ms = (timefmt::now().unix_timestamp_nanos() / 1_000_000) as i64;
    let stale: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT id, resource_id FROM aggregation_batches WHERE state = 'receiving' AND lease_until_ms < $1",
    )
    .bind(now_ms)
    .fetch_all(store.reader())
    .await?;
    let caller = Caller::system("recovery");
    let reason = Text::new(
        "接收过程中断（进程停止或连接中断），批次未入库，已接收的行已清除",
        "receiving stopped (the process or connection ended); the batch was not stored and its rows were removed",
    );
    let mut failed = 0;
    for (id, resource_id) in stale {
        if load::mark_failed(store, &caller, id, resource_id, &reason).await? {
            failed += 1;
            let mut conn = store.reader().acquire().await?;
            if let Some(layout) = table::layout(&mut conn, resource_id).await? {
                drop(conn);
                load::purge_rows(store, &layout, id).await?;
                // A delivery into an empty table builds its indexes after loading: a process
                // that died first left them missing.
                for statement in layout.create_indexes() {
                    sqlx::query(sqlx::AssertSqlSafe(statement)).execute(store.writer()).await?;
                }
            }
        }
    }
    Ok(failed)
}
