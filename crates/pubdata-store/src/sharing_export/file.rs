//! Writing an export's file: the grant's visible rows read in one statement as a stream, into
//! a bounded channel, written on a blocking thread as CSV, JSON Lines or XLSX (constant-memory
//! mode), then measured and hashed (SHA-256) by reading the file back.

use crate::aggregation::table::{self, Layout, ROW_ID};
use crate::db::Store;
use crate::error::Error;
use crate::sharing_channel::{self as channel, DataSource};
use crate::sql::Sql;
use futures_util::TryStreamExt;
use pubdata_domain::Text;
use pubdata_domain::catalog::DataItem;
use pubdata_domain::sharing_channel::{CallRefusal, Filter, GrantTerms, Op};
use pubdata_domain::sharing_export::{self as rules, ExportFormat, XLSX_MAX_ROWS};
use serde::Serialize;
use serde_json::{Map, Value};
use sqlx::Row;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;

/// Rows between two progress reports.
const PROGRESS_EVERY: u64 = 8192;
/// Rows handed from the reader to the writer at a time (one hand-off between threads per chunk).
const CHUNK_ROWS: usize = 512;
/// Chunks the reader may be ahead of the writer: what bounds memory, whatever the row count.
const CHUNKS_IN_FLIGHT: usize = 8;

/// The rows as the reader sends them, one chunk at a time.
struct Rows {
    receiver: tokio::sync::mpsc::Receiver<Vec<Vec<Value>>>,
    chunk: std::vec::IntoIter<Vec<Value>>,
}

impl Iterator for Rows {
    type Item = Vec<Value>;

    fn next(&mut self) -> Option<Vec<Value>> {
        loop {
            if let Some(row) = self.chunk.next() {
                return Some(row);
            }
            self.chunk = self.receiver.blocking_recv()?.into_iter();
        }
    }
}

/// What a finished export wrote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Written {
    pub rows: u64,
    pub bytes: u64,
    pub sha256: String,
}

/// Why an export could not be written, in the words the job's consumer reads.
#[derive(Debug)]
pub struct ExportFailure(pub Text);

impl From<Error> for ExportFailure {
    fn from(e: Error) -> ExportFailure {
        tracing::error!(error = %e, "export failed");
        ExportFailure(Text::new(
            "导出失败：读取数据时出错，请稍后重试",
            "the export failed while reading the data: try again later",
        ))
    }
}

impl From<CallRefusal> for ExportFailure {
    fn from(r: CallRefusal) -> ExportFailure {
        ExportFailure(r.message)
    }
}

pub(super) fn io_failure(e: impl std::fmt::Display) -> ExportFailure {
    tracing::error!(error = %e, "export file could not be written");
    ExportFailure(Text::new(
        format!("导出失败：文件无法写入（{e}）"),
        format!("the export failed: the file could not be written ({e})"),
    ))
}

/// Reports the rows written so far.
pub type Progress = Arc<dyn Fn(u64) + Send + Sync>;

/// Writes `format` of the rows `grant` sees of `source` matching `filters` to `path`, masked as
/// the gateway masks them, streaming: one statement read as a stream into a bounded channel,
/// written on a blocking thread. Removes the partial file when it fails.
pub async fn write_export(
    store: &Store,
    grant: &GrantTerms,
    source: &DataSource,
    filters: &[Filter],
    format: ExportFormat,
    path: &Path,
    progress: Option<Progress>,
) -> std::result::Result<Written, ExportFailure> {
    let written = stream_to_file(store, grant, source, filters, format, path, progress).await;
    if written.is_err() {
        let _ = std::fs::remove_file(path);
    }
    written
}

async fn stream_to_file(
    store: &Store,
    grant: &GrantTerms,
    source: &DataSource,
    filters: &[Filter],
    format: ExportFormat,
    path: &Path,
    progress: Option<Progress>,
) -> std::result::Result<Written, ExportFailure> {
    let items: Vec<DataItem> = source
        .items
        .iter()
        .filter(|i| {
            grant.items.contains(&i.code)
                && source.layout.as_ref().is_none_or(|l| l.columns.iter().any(|c| c.code == i.code))
        })
        .cloned()
        .collect();
    let header: Vec<String> = items.iter().map(|i| i.code.clone()).collect();
    let (sender, receiver) = tokio::sync::mpsc::channel::<Vec<Vec<Value>>>(CHUNKS_IN_FLIGHT);
    let target = path.to_path_buf();
    let rows = Rows { receiver, chunk: Vec::new().into_iter() };
    let writer = tokio::task::spawn_blocking(move || write_file(format, &target, &header, rows, progress));
    let read = match &source.layout {
        Some(layout) => send_rows(store, grant, layout, &items, filters, &sender).await,
        None => Ok(()),
    };
    drop(sender);
    let wrote = writer.await.map_err(io_failure)?;
    read?;
    let rows = wrote?;
    let (bytes, sha256) = tokio::task::spawn_blocking({
        let path = path.to_path_buf();
        move || digest_file(&path)
    })
    .await
    .map_err(io_failure)?
    .map_err(io_failure)?;
    Ok(Written { rows, bytes, sha256 })
}

/// Reads the visible rows in one statement, as a stream, and sends each row's shown values.
async fn send_rows(
    store: &Store,
    grant: &GrantTerms,
    layout: &Layout,
    items: &[DataItem],
    filters: &[Filter],
    sender: &tokio::sync::mpsc::Sender<Vec<Vec<Value>>>,
) -> std::result::Result<(), ExportFailure> {
    let mut sql = Sql::new("SELECT t.");
    sql.push_trusted(ROW_ID);
    for item in items {
        sql.push(", CAST(t.").push_trusted(&table::quote(&item.code)).push(" AS TEXT)");
    }
    sql.push(" FROM ").push_trusted(&layout.quoted()).push(" t WHERE ").push_trusted(&layout.visible("t"));
    // Art.16: the grant's row scope holds for every export.
    let scope = grant.row_scope.filter.as_ref().map(|f| Filter {
        item: f.item.clone(),
        op: Op::Eq,
        values: vec![f.value.clone()],
    });
    for filter in filters.iter().chain(scope.as_ref()) {
        channel::push_filter(&mut sql, layout, filter)?;
    }
    sql.push(" ORDER BY t.").push_trusted(ROW_ID);
    let columns: Vec<_> =
        items.iter().map(|i| layout.columns.iter().find(|c| c.code == i.code).map(|c| c.column_type)).collect();
    let mut conn = store.reader().acquire().await.map_err(Error::from)?;
    let mut rows = sql.query().fetch(&mut *conn);
    let mut chunk = Vec::with_capacity(CHUNK_ROWS);
    while let Some(row) = rows.try_next().await.map_err(Error::from)? {
        let mut values = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let stored: Option<String> = row.try_get(i + 1).map_err(Error::from)?;
            values.push(channel::shown(grant, item, columns[i], stored));
        }
        chunk.push(values);
        if chunk.len() == CHUNK_ROWS && sender.send(std::mem::take(&mut chunk)).await.is_err() {
            // The writer stopped (its error is reported): reading on is pointless.
            return Ok(());
        }
    }
    if !chunk.is_empty() {
        let _ = sender.send(chunk).await;
    }
    Ok(())
}

/// The text of a shown value in a CSV cell.
fn cell_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn write_file(
    format: ExportFormat,
    path: &Path,
    header: &[String],
    rows: Rows,
    progress: Option<Progress>,
) -> std::result::Result<u64, ExportFailure> {
    let mut count = 0u64;
    let mut tick = |count: u64| {
        if let Some(p) = &progress
            && count.is_multiple_of(PROGRESS_EVERY)
        {
            p(count);
        }
    };
    match format {
        ExportFormat::Csv => {
            let mut file = std::io::BufWriter::with_capacity(1 << 18, std::fs::File::create(path).map_err(io_failure)?);
            // Excel opens UTF-8 CSV correctly only with the byte-order mark.
            file.write_all(b"\xEF\xBB\xBF").map_err(io_failure)?;
            let mut csv = csv::Writer::from_writer(file);
            csv.write_record(header).map_err(io_failure)?;
            for row in rows {
                csv.write_record(row.iter().map(cell_text)).map_err(io_failure)?;
                count += 1;
                tick(count);
            }
            let file = csv.into_inner().map_err(|e| io_failure(e.error()))?;
            file.into_inner().map_err(|e| io_failure(e.error()))?.sync_all().map_err(io_failure)?;
        }
        ExportFormat::Jsonl => {
            let mut file = std::io::BufWriter::with_capacity(1 << 18, std::fs::File::create(path).map_err(io_failure)?);
            for row in rows {
                let object: Map<String, Value> = header.iter().cloned().zip(row).collect();
                serde_json::to_writer(&mut file, &object).map_err(io_failure)?;
                file.write_all(b"\n").map_err(io_failure)?;
                count += 1;
                tick(count);
            }
            file.into_inner().map_err(|e| io_failure(e.error()))?.sync_all().map_err(io_failure)?;
        }
        ExportFormat::Xlsx => count = write_xlsx(path, header, rows, &mut tick)?,
    }
    if let Some(p) = &progress {
        p(count);
    }
    Ok(count)
}

/// An XLSX file in constant-memory mode: each row goes to a temporary file beside the target
/// as soon as the next one starts, so memory stays flat.
fn write_xlsx(
    path: &Path,
    header: &[String],
    rows: Rows,
    tick: &mut impl FnMut(u64),
) -> std::result::Result<u64, ExportFailure> {
    use rust_xlsxwriter::Workbook;
    let mut workbook = Workbook::new();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        workbook.set_tempdir(dir).map_err(io_failure)?;
    }
    let mut sheet = workbook.new_worksheet_with_constant_memory().map_err(io_failure)?;
    sheet.set_name("data").map_err(io_failure)?;
    for (c, code) in header.iter().enumerate() {
        sheet.write_string(0, c as u16, code).map_err(io_failure)?;
    }
    let mut count = 0u64;
    for row in rows {
        if count == XLSX_MAX_ROWS {
            return Err(ExportFailure(rules::xlsx_too_many_rows()));
        }
        count += 1;
        let r = count as u32;
        for (c, value) in row.iter().enumerate() {
            let c = c as u16;
            match value {
                Value::Null => continue,
                Value::Bool(b) => sheet.write_boolean(r, c, *b),
                // Whole numbers up to 2^53 are exact as spreadsheet numbers; larger ones stay text.
                Value::Number(n) => match n.as_i64().filter(|i| i.unsigned_abs() < (1 << 53)) {
                    Some(i) => sheet.write_number(r, c, i as f64),
                    None => sheet.write_string(r, c, n.to_string()),
                },
                Value::String(s) => sheet.write_string(r, c, s),
                other => sheet.write_string(r, c, other.to_string()),
            }
            .map_err(io_failure)?;
        }
        tick(count);
    }
    workbook.push_worksheet(sheet);
    workbook.save(path).map_err(io_failure)?;
    Ok(count)
}

/// The file's size and SHA-256, read back in chunks.
fn digest_file(path: &Path) -> std::io::Result<(u64, String)> {
    use sha2::{Digest, Sha256};
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    let mut bytes = 0u64;
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
        hasher.update(&buffer[..n]);
    }
    Ok((bytes, hex::encode(hasher.finalize())))
}
