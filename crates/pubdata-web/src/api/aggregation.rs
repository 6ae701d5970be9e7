//! Aggregation (Art.10-12): the push API that streams a batch into a resource, batch history,
//! batch detail with provenance, error reports, and the provider's view of stored rows.

use crate::AppState;
use crate::api::catalog_files::{XLSX, download};
use crate::auth::{Api, perm};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiPath, ApiQuery};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use futures_util::StreamExt;
use pubdata_domain::aggregation::{Channel, Mode, OnError};
use pubdata_ingest::{EncodingChoice, Format, ReadOptions};
use pubdata_store::aggregation::{self, Batch, BatchError, DeliveryRequest, DeliveryStatus};
use serde::{Deserialize, Serialize};
use std::io::Read;
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DeliverParams {
    /// `append` (default), `replace` or `upsert`.
    pub mode: Option<String>,
    /// `reject_batch` (default: any bad row refuses the batch) or `skip_rows`.
    pub on_error: Option<String>,
    /// `csv`, `xlsx` or `jsonl` (default: from `file_name`, else sniffed from the content).
    pub format: Option<String>,
    /// For CSV: `auto` (default), `utf-8`, `gbk` or `gb18030`.
    pub encoding: Option<String>,
    /// For XLSX: the sheet (default: the first).
    pub sheet: Option<String>,
    /// The file's name, for provenance.
    pub file_name: Option<String>,
    /// The system the data comes from, for provenance.
    pub source_system: Option<String>,
}

/// The delivery options, checked, with the field named on error.
pub(crate) fn delivery_request(
    resource_id: i64,
    p: &DeliverParams,
    channel: Channel,
) -> Result<DeliveryRequest, ApiError> {
    let bad = |field: &str, zh: &str, en: &str| ApiError::from(pubdata_domain::Error::invalid(field, zh, en));
    let empty = |o: &Option<String>| o.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let mode = match empty(&p.mode) {
        None => Mode::Append,
        Some(m) => Mode::parse(&m).ok_or_else(|| {
            bad("mode", "归集方式应为 append、replace 或 upsert", "mode must be append, replace or upsert")
        })?,
    };
    let on_error = match empty(&p.on_error) {
        None => OnError::RejectBatch,
        Some(m) => OnError::parse(&m).ok_or_else(|| {
            bad("on_error", "错误处理应为 reject_batch 或 skip_rows", "on_error must be reject_batch or skip_rows")
        })?,
    };
    let file_name = empty(&p.file_name).unwrap_or_else(|| "upload".to_string());
    let format = match empty(&p.format) {
        Some(f) => Some(
            Format::parse(&f)
                .ok_or_else(|| bad("format", "格式应为 csv、xlsx 或 jsonl", "format must be csv, xlsx or jsonl"))?,
        ),
        None => Format::from_file_name(&file_name),
    };
    let encoding = match empty(&p.encoding) {
        None => EncodingChoice::Auto,
        Some(e) => EncodingChoice::parse(&e).ok_or_else(|| {
            bad("encoding", "编码应为 auto、utf-8、gbk 或 gb18030", "encoding must be auto, utf-8, gbk or gb18030")
        })?,
    };
    let source_system = empty(&p.source_system).unwrap_or_default();
    if source_system.chars().count() > 200 || file_name.chars().count() > 255 {
        return Err(bad("file_name", "文件名或来源系统过长", "file name or source system too long"));
    }
    Ok(DeliveryRequest {
        resource_id,
        mode,
        on_error,
        channel,
        source_system,
        file_name,
        // Without a format, CSV unless the content says otherwise (checked when reading).
        read: ReadOptions {
            sheet: empty(&p.sheet),
            ..ReadOptions::new(format.unwrap_or(Format::Csv)).with_encoding(encoding)
        },
        lease: aggregation::DEFAULT_LEASE,
    })
}

/// A streamed delivery whose client sends nothing for this long is ended (and its batch refused).
const UPLOAD_IDLE: std::time::Duration = std::time::Duration::from_secs(60);

/// Bytes arriving from the request body, read on the loader's blocking thread: the body is
/// never held whole in memory.
struct ChannelReader {
    receiver: tokio::sync::mpsc::Receiver<Result<axum::body::Bytes, std::io::Error>>,
    current: axum::body::Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.receiver.blocking_recv() {
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current = self.current.slice(n..);
        Ok(n)
    }
}

/// Delivers `body` as a batch, streaming it through the reader as it arrives.
pub(crate) async fn deliver_stream(
    state: &AppState,
    caller: &pubdata_domain::identity::Caller,
    req: DeliveryRequest,
    body: Body,
) -> ApiResult<Batch> {
    let (sender, receiver) = tokio::sync::mpsc::channel(8);
    let reader = ChannelReader { receiver, current: axum::body::Bytes::new() };
    let pump = async move {
        let mut stream = body.into_data_stream();
        loop {
            let chunk = match tokio::time::timeout(UPLOAD_IDLE, stream.next()).await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(_) => {
                    let stalled = std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        format!("no data for {} s / 上传中断超过 {} 秒", UPLOAD_IDLE.as_secs(), UPLOAD_IDLE.as_secs()),
                    );
                    let _ = sender.send(Err(stalled)).await;
                    break;
                }
            };
            let item = chunk.map_err(|e| std::io::Error::other(format!("request body: {e}")));
            let failed = item.is_err();
            if sender.send(item).await.is_err() || failed {
                break;
            }
        }
    };
    let (batch, ()) = tokio::join!(aggregation::deliver(&state.store, caller, req, reader, None), pump);
    Ok(batch?)
}

/// Deliver a batch for a published resource of the caller's agency. The body is the file
/// itself (CSV, XLSX or JSON Lines), streamed: any size. Answers when the batch is stored
/// (200) or refused (422, with the first errors; the full report at `/batches/{id}/errors.csv`).
#[utoipa::path(put, path = "/resources/{id}/batches", tag = "aggregation", params(("id" = i64, Path), DeliverParams),
    request_body(content = String, content_type = "application/octet-stream"),
    responses((status = 200, body = BatchReport), (status = 422, body = BatchReport), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn deliver(
    State(state): State<AppState>,
    api: Api<perm::AggregationDeliver>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(params): ApiQuery<DeliverParams>,
    body: Body,
) -> ApiResult<(StatusCode, Json<BatchReport>)> {
    let req = delivery_request(id, &params, Channel::Api)?;
    let batch = deliver_stream(&state, &api.caller, req, body).await?;
    let errors = aggregation::errors(&state.store, &api.caller, batch.id).await?;
    let status = if batch.state() == pubdata_domain::aggregation::BatchState::Stored {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, Json(BatchReport::new(batch, errors, 100))))
}

/// A batch with its first errors.
#[derive(Serialize, ToSchema)]
pub struct BatchReport {
    #[schema(value_type = Object)]
    pub batch: Batch,
    /// How many errors the batch recorded (at most 10,000 are kept).
    pub error_count: usize,
    #[schema(value_type = Vec<Object>)]
    pub errors: Vec<BatchError>,
    #[schema(value_type = Vec<Object>)]
    pub detection: Vec<aggregation::ColumnDetection>,
}

impl BatchReport {
    fn new(batch: Batch, errors: Vec<BatchError>, limit: usize) -> BatchReport {
        let detection = batch.detections();
        let error_count = errors.len();
        BatchReport { batch, error_count, errors: errors.into_iter().take(limit).collect(), detection }
    }
}

#[derive(Serialize, ToSchema)]
pub struct BatchList {
    #[schema(value_type = Object)]
    pub status: DeliveryStatus,
    #[schema(value_type = Vec<Object>)]
    pub batches: Vec<Batch>,
}

/// A resource's delivery status (current rows, last delivery, next due date) and its batches.
#[utoipa::path(get, path = "/resources/{id}/batches", tag = "aggregation", params(("id" = i64, Path)),
    responses((status = 200, body = BatchList), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    api: Api<perm::AggregationRead>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<BatchList>> {
    let batches = aggregation::batches(&state.store, &api.caller, id).await?;
    let status = aggregation::status(&state.store, &api.caller, id).await?;
    Ok(Json(BatchList { status, batches }))
}

/// One batch with its provenance, detection and first 1,000 errors.
#[utoipa::path(get, path = "/batches/{id}", tag = "aggregation", params(("id" = i64, Path)),
    responses((status = 200, body = BatchReport), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    api: Api<perm::AggregationRead>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<BatchReport>> {
    let batch = aggregation::batch(&state.store, &api.caller, id).await?;
    let errors = aggregation::errors(&state.store, &api.caller, id).await?;
    Ok(Json(BatchReport::new(batch, errors, 1000)))
}

/// The batch's error report as CSV (UTF-8 with BOM).
#[utoipa::path(get, path = "/batches/{id}/errors.csv", tag = "aggregation", params(("id" = i64, Path)),
    responses((status = 200, description = "CSV", content_type = "text/csv")))]
pub async fn errors_csv(
    State(state): State<AppState>,
    api: Api<perm::AggregationRead>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let errors = aggregation::errors(&state.store, &api.caller, id).await?;
    Ok(download("text/csv; charset=utf-8", &format!("批次{id}错误报告.csv"), aggregation::errors_csv(&errors)))
}

/// The batch's error report as an Excel workbook.
#[utoipa::path(get, path = "/batches/{id}/errors.xlsx", tag = "aggregation", params(("id" = i64, Path)),
    responses((status = 200, description = "xlsx", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
pub async fn errors_xlsx(
    State(state): State<AppState>,
    api: Api<perm::AggregationRead>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let errors = aggregation::errors(&state.store, &api.caller, id).await?;
    Ok(download(XLSX, &format!("批次{id}错误报告.xlsx"), aggregation::errors_xlsx(&errors)?))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RowsParams {
    /// Rows after this row id (keyset paging); default 0.
    pub after: Option<i64>,
    /// At most this many rows (1-1000, default 100).
    pub limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct RowsPage {
    pub columns: Vec<String>,
    /// `[row id, batch id, values…]`.
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<serde_json::Value>,
    pub next_after: Option<i64>,
}

/// The resource's current rows with the batch that delivered each (provenance). For the
/// providing agency's own checking; every read is audited.
#[utoipa::path(get, path = "/resources/{id}/rows", tag = "aggregation", params(("id" = i64, Path), RowsParams),
    responses((status = 200, body = RowsPage), (status = 404, body = ErrorBody)))]
pub async fn rows(
    State(state): State<AppState>,
    api: Api<perm::AggregationRead>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(p): ApiQuery<RowsParams>,
) -> ApiResult<Json<RowsPage>> {
    let limit = p.limit.unwrap_or(100);
    let (columns, rows) = aggregation::rows(&state.store, &api.caller, id, p.after.unwrap_or(0), limit).await?;
    let next_after = (rows.len() as i64 == limit.clamp(1, 1000)).then(|| rows.last().map(|r| r.0)).flatten();
    let rows = rows
        .into_iter()
        .map(|(row_id, batch, values)| serde_json::json!({ "row_id": row_id, "batch_id": batch, "values": values }))
        .collect();
    Ok(Json(RowsPage { columns, rows, next_after }))
}
