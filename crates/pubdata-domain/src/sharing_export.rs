//! Bulk delivery through the sharing channel (Art.15-16): export jobs that write a grant's items
//! and row scope to a file the consumer agency downloads for a limited time.
//!
//! An export goes through a grant whose delivery is bulk ([`check_export`]; a grant for API
//! calls is refused with `gateway_delivery_not_granted`), held by the caller's agency and
//! active, and not limited to keyed lookups (an export lists rows). Its filters are those of the
//! gateway's filtered query ([`parse_filters`]: granted items only, no range over masked items).
//! Values are masked as the gateway masks them (`sharing_channel::deliver_value`). A job moves
//! queued → running → ready or failed; a ready file can be downloaded until it expires
//! ([`ExportState::effective`], [`DEFAULT_EXPIRY_HOURS`] unless configured otherwise).

use crate::catalog::{DataItem, Delivery, code_enum};
use crate::ids::OrgId;
use crate::sharing_channel::{self as channel, CallRefusal, Filter, GrantTerms, refusal};
use crate::text::Text;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

/// How long a ready file may be downloaded, unless configured otherwise.
pub const DEFAULT_EXPIRY_HOURS: i64 = 24;
/// The longest configurable download window (30 days).
pub const MAX_EXPIRY_HOURS: i64 = 24 * 30;
/// The most data rows one XLSX worksheet holds (1,048,576 rows less the header row).
pub const XLSX_MAX_ROWS: u64 = 1_048_575;

code_enum! {
    /// 导出格式
    ExportFormat {
        Csv => "csv", "CSV", "CSV";
        Xlsx => "xlsx", "Excel（XLSX）", "Excel (XLSX)";
        Jsonl => "jsonl", "JSON Lines", "JSON Lines";
    }
}

impl ExportFormat {
    /// The file name extension, without the dot.
    pub fn extension(self) -> &'static str {
        self.as_str()
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ExportFormat::Jsonl => "application/x-ndjson; charset=utf-8",
        }
    }
}

code_enum! {
    /// 导出任务状态
    ExportState {
        Queued => "queued", "排队中", "Queued";
        Running => "running", "生成中", "Running";
        Ready => "ready", "可下载", "Ready";
        Failed => "failed", "失败", "Failed";
        Expired => "expired", "已过期", "Expired";
    }
}

impl ExportState {
    /// The state a reader sees: a ready file expires by itself at `expires_at` (never stored).
    pub fn effective(stored: ExportState, expires_at: Option<OffsetDateTime>, now: OffsetDateTime) -> ExportState {
        match (stored, expires_at) {
            (ExportState::Ready, Some(at)) if now >= at => ExportState::Expired,
            (s, _) => s,
        }
    }
}

/// When a file made ready at `ready_at` stops being downloadable.
pub fn expires_at(ready_at: OffsetDateTime, expiry_hours: i64) -> OffsetDateTime {
    ready_at + Duration::hours(expiry_hours.clamp(1, MAX_EXPIRY_HOURS))
}

/// Whether `caller_org` may export `resource_id` through `grant` now (Art.15-16): the grant is
/// the caller's agency's, active, for this resource, for bulk delivery and not keyed-only.
pub fn check_export(grant: &GrantTerms, caller_org: OrgId, resource_id: i64) -> Result<(), CallRefusal> {
    channel::check_holder(grant, caller_org, resource_id)?;
    if grant.delivery != Delivery::Bulk {
        return Err(refusal(
            "gateway_delivery_not_granted",
            403,
            "该授权的提供方式不是批量数据，不能导出；请按接口调用方式查询，或申请批量提供的授权",
            "the grant's delivery is not bulk data, so it cannot be exported: use API calls, or request a bulk grant",
        ));
    }
    channel::check_listing(grant)
}

/// The format a call names (`format` parameter).
pub fn parse_format(value: Option<&str>) -> Result<ExportFormat, CallRefusal> {
    value.and_then(ExportFormat::parse).ok_or_else(|| {
        refusal(
            "gateway_bad_format",
            400,
            "参数「format」应为 csv、xlsx 或 jsonl",
            "the parameter \"format\" must be csv, xlsx or jsonl",
        )
    })
}

/// The filters of an export, from the call's parameters other than `grant` and `format`, in the
/// gateway query's syntax (`item=v`, `item.gte=v`, `item.lte=v`, `item.in=a,b`). Paging
/// parameters make no sense for an export and are refused.
pub fn parse_filters(
    grant: &GrantTerms,
    items: &[DataItem],
    params: &[(String, String)],
) -> Result<Vec<Filter>, CallRefusal> {
    let mut filters = Vec::new();
    for (name, value) in params {
        match name.as_str() {
            "grant" | "format" | channel::SCENARIO_PARAM => {}
            "limit" | "after" => {
                return Err(refusal(
                    "gateway_bad_parameter",
                    400,
                    format!("参数「{name}」无效：导出包含全部符合条件的行，不分页"),
                    format!("the parameter {name:?} is invalid: an export holds every matching row, unpaged"),
                ));
            }
            _ => filters.push((name.clone(), value.clone())),
        }
    }
    Ok(channel::parse_query(grant, items, &filters)?.filters)
}

/// Only the consumer agency downloads an export (Art.16: the data serves its scenario);
/// everyone else is told there is no such file.
pub fn check_download(consumer_org: OrgId, caller_org: Option<OrgId>) -> Result<(), CallRefusal> {
    if caller_org == Some(consumer_org) {
        return Ok(());
    }
    Err(ExportRefusal::not_found())
}

/// Refusals about an export job itself.
pub struct ExportRefusal;

impl ExportRefusal {
    /// Unknown ids and other agencies' jobs get the same answer.
    pub fn not_found() -> CallRefusal {
        refusal(
            "export_not_found",
            404,
            "该导出任务不存在或不属于本单位",
            "this export job does not exist or does not belong to the caller's agency",
        )
    }

    pub fn not_ready(state: ExportState) -> CallRefusal {
        refusal(
            "export_not_ready",
            409,
            format!("导出任务当前为「{}」，文件尚不能下载", state.label_zh()),
            format!("the export job is {}; its file cannot be downloaded", state.label_en().to_lowercase()),
        )
    }

    pub fn expired() -> CallRefusal {
        refusal(
            "export_expired",
            410,
            "导出文件已过下载期限并已删除，请重新发起导出",
            "the export file is past its download window and has been removed: start a new export",
        )
    }
}

/// Why a job failed, when an XLSX file would hold more rows than a worksheet can.
pub fn xlsx_too_many_rows() -> Text {
    Text::new(
        format!("符合条件的行超过 XLSX 工作表上限 {XLSX_MAX_ROWS} 行，请改用 csv 或 jsonl 格式，或增加过滤条件"),
        format!(
            "the matching rows exceed an XLSX worksheet's {XLSX_MAX_ROWS} rows: use csv or jsonl, or filter further"
        ),
    )
}

/// The name a downloaded file is offered under.
pub fn download_name(job_id: i64, grant_id: i64, format: ExportFormat) -> String {
    format!("pubdata-grant-{grant_id}-export-{job_id}.{}", format.extension())
}

/// Who asked for an export: a client application of the consumer agency, or a user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requester {
    pub app_id: Option<i64>,
    pub user_id: Option<i64>,
    /// The application's or user's name, or `system:…` for the command line.
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Level;
    use crate::catalog::resource::tests::item;
    use crate::sharing::{GrantState, RowScope};

    fn grant() -> GrantTerms {
        GrantTerms {
            id: 7,
            consumer_org: OrgId(3),
            resource_id: 11,
            state: GrantState::Active,
            delivery: Delivery::Bulk,
            items: vec!["id_number".into(), "district".into()],
            raw_items: Vec::new(),
            row_scope: RowScope::default(),
            scenario: "核查".into(),
            scenario_category: "social_assistance".into(),
        }
    }

    #[test]
    fn art_16_export_needs_an_active_bulk_grant_of_the_callers_agency() {
        assert!(check_export(&grant(), OrgId(3), 11).is_ok());
        let api = GrantTerms { delivery: Delivery::Api, ..grant() };
        let refused = check_export(&api, OrgId(3), 11).unwrap_err();
        assert_eq!((refused.code, refused.status), ("gateway_delivery_not_granted", 403));
        assert_eq!(check_export(&grant(), OrgId(4), 11).unwrap_err().code, "gateway_grant_not_yours");
        let revoked = GrantTerms { state: GrantState::Revoked, ..grant() };
        assert_eq!(check_export(&revoked, OrgId(3), 11).unwrap_err().code, "gateway_grant_revoked");
        let keyed = GrantTerms { row_scope: RowScope { keyed_only: true, filter: None }, ..grant() };
        assert_eq!(check_export(&keyed, OrgId(3), 11).unwrap_err().code, "gateway_listing_not_granted");
    }

    #[test]
    fn art_16_export_filters_follow_the_gateway_query() {
        let items = vec![item("id_number", "身份证号", Level::L4), item("district", "所属区县", Level::L1)];
        let p = |n: &str, v: &str| vec![("grant".to_string(), "7".to_string()), (n.to_string(), v.to_string())];
        assert_eq!(parse_filters(&grant(), &items, &p("district", "鄞州区")).unwrap().len(), 1);
        assert_eq!(parse_filters(&grant(), &items, &p("name", "x")).unwrap_err().code, "gateway_item_not_granted");
        assert_eq!(
            parse_filters(&grant(), &items, &p("id_number.gte", "3302")).unwrap_err().code,
            "gateway_range_on_masked_item"
        );
        assert_eq!(parse_filters(&grant(), &items, &p("limit", "5")).unwrap_err().code, "gateway_bad_parameter");
        assert_eq!(parse_format(Some("xlsx")), Ok(ExportFormat::Xlsx));
        assert_eq!(parse_format(Some("pdf")).unwrap_err().code, "gateway_bad_format");
        assert_eq!(parse_format(None).unwrap_err().code, "gateway_bad_format");
    }

    #[test]
    fn art_15_a_ready_file_expires_after_its_window() {
        let ready = OffsetDateTime::UNIX_EPOCH + Duration::days(20_000);
        let until = expires_at(ready, DEFAULT_EXPIRY_HOURS);
        assert_eq!(until - ready, Duration::hours(24));
        assert_eq!(ExportState::effective(ExportState::Ready, Some(until), ready), ExportState::Ready);
        assert_eq!(ExportState::effective(ExportState::Ready, Some(until), until), ExportState::Expired);
        assert_eq!(ExportState::effective(ExportState::Failed, Some(until), until), ExportState::Failed);
        assert_eq!(expires_at(ready, 0) - ready, Duration::hours(1), "at least an hour");
    }

    #[test]
    fn art_16_only_the_consumer_agency_downloads() {
        assert!(check_download(OrgId(3), Some(OrgId(3))).is_ok());
        assert_eq!(check_download(OrgId(3), Some(OrgId(4))).unwrap_err().code, "export_not_found");
        assert_eq!(check_download(OrgId(3), None).unwrap_err().code, "export_not_found");
    }
}
