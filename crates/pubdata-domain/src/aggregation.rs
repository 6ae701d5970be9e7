//! Aggregation (归集, Ch.3): the rules a delivered batch of rows must meet before the platform
//! stores it for a catalogued resource.
//!
//! A batch is read as rows of strings (by `pubdata-ingest`); here its header is mapped to the
//! resource's data items (Art.10: only what the catalog declares may be collected), and every
//! value is checked against its item's type, length, precision, requiredness and code list, and,
//! for items that hold national identifiers, against the identifier's check digit. Values come out
//! typed and normalised (ISO dates, canonical decimals, codes rather than labels), ready to store.

use crate::calendar::WorkCalendar;
use crate::catalog::code_enum;
use crate::catalog::{DataItem, ItemType, Level, Problem, UpdateCycle};
use crate::text::Text;
use pubdata_pii::validate;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use time::{Date, Month};

code_enum! {
    /// How a batch changes the resource's current data.
    Mode {
        Append => "append", "追加", "Append";
        Replace => "replace", "全量替换", "Replace all";
        Upsert => "upsert", "按唯一键更新", "Upsert by unique key";
    }
}

code_enum! {
    /// What happens to a batch with bad rows.
    OnError {
        RejectBatch => "reject_batch", "有错误则整批拒收", "Reject the whole batch";
        SkipRows => "skip_rows", "跳过错误行，入库其余行", "Store the good rows, skip the bad";
    }
}

code_enum! {
    /// A batch's life: receiving → stored | rejected | failed. Only stored batches' rows are visible.
    BatchState {
        Receiving => "receiving", "接收中", "Receiving";
        Stored => "stored", "已入库", "Stored";
        Rejected => "rejected", "已拒收", "Rejected";
        Failed => "failed", "失败", "Failed";
    }
}

code_enum! {
    /// How the batch arrived.
    Channel {
        Web => "web", "网页上传", "Web upload";
        Cli => "cli", "命令行", "Command line";
        Api => "api", "推送接口", "Push API";
    }
}

/// National identifiers whose format the platform checks on delivery, recognised from the data
/// item's code or Chinese name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentifierKind {
    /// 居民身份证号码 (GB 11643)
    IdCard,
    /// 统一社会信用代码 (GB 32100)
    CreditCode,
    /// 手机号码
    Mobile,
}

impl IdentifierKind {
    pub fn label_zh(self) -> &'static str {
        match self {
            IdentifierKind::IdCard => "身份证号",
            IdentifierKind::CreditCode => "统一社会信用代码",
            IdentifierKind::Mobile => "手机号码",
        }
    }

    /// The identifier an item holds, judged by its name and code (e.g. `身份证号码`, `sfzh`,
    /// `id_card_no`; `统一社会信用代码`, `credit_code`, `uscc`; `手机号码`, `mobile`).
    pub fn of(item: &DataItem) -> Option<IdentifierKind> {
        if !matches!(item.item_type, ItemType::String | ItemType::Text) {
            return None;
        }
        let name = item.name.as_str();
        let code = item.code.as_str();
        let code_has = |words: &[&str]| words.iter().any(|w| code == *w || code.contains(w));
        if name.contains("身份证")
            || name.contains("公民身份号码")
            || code_has(&["id_card", "idcard", "sfzh", "id_number"])
        {
            Some(IdentifierKind::IdCard)
        } else if name.contains("统一社会信用代码") || code_has(&["credit_code", "uscc", "tyshxydm"]) {
            Some(IdentifierKind::CreditCode)
        } else if name.contains("手机") || code_has(&["mobile", "sjhm"]) {
            Some(IdentifierKind::Mobile)
        } else {
            None
        }
    }
}

/// A value after checking, as it is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Null,
    Text(String),
    Int(i64),
    Bool(bool),
}

/// One refused value: which column and why, with the value as it may be shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CellError {
    /// The column as the file's header names it.
    pub column: String,
    /// The value, masked if the item is sensitive (level L3 and above, or an identifier).
    pub value: String,
    pub reason: Text,
}

/// The file's columns mapped to the resource's data items.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnMapping {
    /// For each column of the file, the index of its data item.
    pub item_of_column: Vec<usize>,
}

/// Maps a header to data items by code name (case-insensitive) or Chinese name. Refuses
/// columns the catalog does not declare (Art.10), a column named twice, and a missing column for
/// a required item, naming each.
pub fn map_columns(header: &[String], items: &[DataItem]) -> Result<ColumnMapping, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut item_of_column = Vec::with_capacity(header.len());
    let mut seen: HashMap<usize, &str> = HashMap::new();
    for h in header {
        let key = h.trim();
        let found = items.iter().position(|i| i.code.eq_ignore_ascii_case(key) || i.name == key);
        match found {
            None => problems.push(Problem::new(
                format!("column:{key}"),
                format!("列“{key}”不是本资源目录登记的数据项：只能归集目录所列的数据（第十条）"),
                format!("column \"{key}\" is not a data item of this resource: only what the catalog declares may be collected (Art.10)"),
            )),
            Some(i) => {
                if let Some(first) = seen.insert(i, key) {
                    problems.push(Problem::new(
                        format!("column:{key}"),
                        format!("列“{key}”与列“{first}”对应同一数据项 {}", items[i].code),
                        format!("columns \"{key}\" and \"{first}\" both map to data item {}", items[i].code),
                    ));
                }
                item_of_column.push(i);
            }
        }
    }
    for (i, item) in items.iter().enumerate() {
        if item.required && !seen.contains_key(&i) {
            problems.push(Problem::new(
                format!("column:{}", item.code),
                format!("缺少必填数据项“{}”（{}）的列", item.name, item.code),
                format!("the file has no column for the required data item {} ({})", item.code, item.name),
            ));
        }
    }
    if problems.is_empty() { Ok(ColumnMapping { item_of_column }) } else { Err(problems) }
}

/// Checks rows against the resource's data items. Built once per batch; `check` is called for
/// every row and allocates only for the values it returns.
#[derive(Debug)]
pub struct RowChecker {
    columns: Vec<ColumnCheck>,
    /// Data items in catalog order; `check` fills values in this order.
    item_count: usize,
}

#[derive(Debug)]
struct ColumnCheck {
    header: String,
    item_index: usize,
    item_type: ItemType,
    required: bool,
    length: Option<u32>,
    precision: Option<u32>,
    scale: Option<u32>,
    identifier: Option<IdentifierKind>,
    sensitive: bool,
    /// Code list: accepted code or label → stored code.
    codes: Option<HashMap<String, String>>,
}

impl RowChecker {
    pub fn new(header: &[String], items: &[DataItem], mapping: &ColumnMapping) -> RowChecker {
        let columns = header
            .iter()
            .zip(&mapping.item_of_column)
            .map(|(h, &i)| {
                let item = &items[i];
                let identifier = IdentifierKind::of(item);
                ColumnCheck {
                    header: h.trim().to_string(),
                    item_index: i,
                    item_type: item.item_type,
                    required: item.required,
                    length: item.length,
                    precision: item.precision,
                    scale: item.scale,
                    identifier,
                    sensitive: item.level >= Level::L3 || identifier.is_some(),
                    codes: (!item.code_list.is_empty()).then(|| {
                        let mut m = HashMap::new();
                        for e in &item.code_list {
                            m.insert(e.label.clone(), e.code.clone());
                        }
                        for e in &item.code_list {
                            m.insert(e.code.clone(), e.code.clone());
                        }
                        m
                    }),
                }
            })
            .collect();
        RowChecker { columns, item_count: items.len() }
    }

    /// Checks one row's fields (in file column order). On success `values` holds one value per
    /// data item in catalog order (items without a column are null); otherwise `errors` gets
    /// one entry per bad cell. Text values are moved out of `fields` rather than copied (a field
    /// left empty by that is of no further use to the caller).
    pub fn check(&self, fields: &mut [String], values: &mut Vec<Value>, errors: &mut Vec<CellError>) -> bool {
        values.clear();
        values.resize(self.item_count, Value::Null);
        let before = errors.len();
        for (c, raw) in self.columns.iter().zip(fields.iter_mut()) {
            match c.value(raw) {
                Ok(v) => values[c.item_index] = v,
                Err(reason) => errors.push(CellError {
                    column: c.header.clone(),
                    value: if c.sensitive { mask(c.identifier, raw.trim()) } else { shorten(raw.trim()) },
                    reason,
                }),
            }
        }
        errors.len() == before
    }
}

fn reason(zh: impl Into<String>, en: impl Into<String>) -> Text {
    Text::new(zh.into(), en.into())
}

impl ColumnCheck {
    fn value(&self, raw: &mut String) -> Result<Value, Text> {
        let v = raw.trim();
        if v.is_empty() {
            return if self.required {
                Err(reason("必填项为空", "required value is empty"))
            } else {
                Ok(Value::Null)
            };
        }
        if let Some(codes) = &self.codes {
            return match codes.get(v) {
                Some(code) => Ok(Value::Text(code.clone())),
                None => Err(reason(
                    format!("“{}”不在代码表中", shorten(v)),
                    format!("\"{}\" is not in the item's code list", shorten(v)),
                )),
            };
        }
        match self.item_type {
            ItemType::String | ItemType::Text | ItemType::Binary => {
                self.text(v)?;
                // Valid as it is: keep the string itself (trimmed, identifiers in capitals).
                let keep = |s: &mut String| {
                    if s.len() == s.trim().len() { std::mem::take(s) } else { s.trim().to_string() }
                };
                let mut out = keep(raw);
                if self.identifier.is_some() {
                    out.make_ascii_uppercase();
                }
                Ok(Value::Text(out))
            }
            ItemType::Integer => integer(v),
            ItemType::Decimal => decimal(v, self.precision, self.scale),
            ItemType::Boolean => boolean(v),
            ItemType::Date => date(v).map(|(y, m, d)| Value::Text(format!("{y:04}-{m:02}-{d:02}"))),
            ItemType::Datetime => datetime(v),
        }
    }

    fn text(&self, v: &str) -> Result<(), Text> {
        if let Some(max) = self.length {
            let n = v.chars().count();
            if n > max as usize {
                return Err(reason(format!("长度 {n} 超过 {max} 个字符"), format!("{n} characters, more than {max}")));
            }
        }
        if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r') {
            return Err(reason("含有控制字符", "contains control characters"));
        }
        match self.identifier {
            Some(IdentifierKind::IdCard) => {
                validate::id_card(v).map_err(|e| {
                    reason(
                        format!("身份证号无效：{}", e.reason_zh()),
                        format!("invalid ID card number: {}", e.reason_en()),
                    )
                })?;
                Ok(())
            }
            Some(IdentifierKind::CreditCode) => {
                validate::credit_code(v).map_err(|e| {
                    reason(
                        format!("统一社会信用代码无效：{}", e.reason_zh()),
                        format!("invalid unified social credit code: {}", e.reason_en()),
                    )
                })?;
                Ok(())
            }
            Some(IdentifierKind::Mobile) if !validate::mobile(v) => Err(reason(
                "手机号码格式无效（应为 11 位，以 13-19 开头）",
                "invalid mobile number (11 digits starting 13-19)",
            )),
            _ => Ok(()),
        }
    }
}

fn integer(v: &str) -> Result<Value, Text> {
    v.parse::<i64>()
        .map(Value::Int)
        .map_err(|_| reason(format!("“{}”不是整数", shorten(v)), format!("\"{}\" is not an integer", shorten(v))))
}

/// Canonical decimal text: optional minus, digits, optional fraction without trailing zeros.
fn decimal(v: &str, precision: Option<u32>, scale: Option<u32>) -> Result<Value, Text> {
    let bad = || reason(format!("“{}”不是小数", shorten(v)), format!("\"{}\" is not a decimal number", shorten(v)));
    let (negative, body) = match v.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, v.strip_prefix('+').unwrap_or(v)),
    };
    let (int_part, frac_part) = match body.split_once('.') {
        Some((i, f)) => (i, f),
        None => (body, ""),
    };
    if (int_part.is_empty() && frac_part.is_empty())
        || !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let int_part = int_part.trim_start_matches('0');
    let frac_part = frac_part.trim_end_matches('0');
    if let Some(s) = scale
        && frac_part.len() > s as usize
    {
        return Err(reason(
            format!("小数位数 {} 超过 {s} 位", frac_part.len()),
            format!("{} digits after the point, more than {s}", frac_part.len()),
        ));
    }
    if let Some(p) = precision {
        let allowed_int = p.saturating_sub(scale.unwrap_or(0)) as usize;
        if int_part.len() > allowed_int {
            return Err(reason(
                format!("整数部分 {} 位，超过 {allowed_int} 位（精度 {p}）", int_part.len()),
                format!("{} digits before the point, more than {allowed_int} (precision {p})", int_part.len()),
            ));
        }
    }
    let mut out = String::with_capacity(v.len() + 1);
    if negative && !(int_part.is_empty() && frac_part.is_empty()) {
        out.push('-');
    }
    out.push_str(if int_part.is_empty() { "0" } else { int_part });
    if !frac_part.is_empty() {
        out.push('.');
        out.push_str(frac_part);
    }
    Ok(Value::Text(out))
}

fn boolean(v: &str) -> Result<Value, Text> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "1" | "y" | "yes" | "是" | "t" => Ok(Value::Bool(true)),
        "false" | "0" | "n" | "no" | "否" | "f" => Ok(Value::Bool(false)),
        _ => Err(reason(
            format!("“{}”不是布尔值（是/否、true/false、1/0）", shorten(v)),
            format!("\"{}\" is not a boolean (true/false, 1/0, 是/否)", shorten(v)),
        )),
    }
}

fn date(v: &str) -> Result<(i32, u32, u32), Text> {
    validate::date(v).ok_or_else(|| {
        reason(
            format!("“{}”不是有效日期（如 2024-05-01）", shorten(v)),
            format!("\"{}\" is not a valid date (e.g. 2024-05-01)", shorten(v)),
        )
    })
}

/// `YYYY-MM-DD HH:MM[:SS]` (or with `T`), stored as `YYYY-MM-DD HH:MM:SS`.
fn datetime(v: &str) -> Result<Value, Text> {
    let bad = || {
        reason(
            format!("“{}”不是有效的日期时间（如 2024-05-01 08:30:00）", shorten(v)),
            format!("\"{}\" is not a valid date and time (e.g. 2024-05-01 08:30:00)", shorten(v)),
        )
    };
    let (d, t) = v.split_once([' ', 'T']).ok_or_else(bad)?;
    let (y, m, day) = validate::date(d).ok_or_else(bad)?;
    let mut parts = t.trim().split(':');
    let mut next = |max: u32, needed: bool| -> Result<u32, Text> {
        match parts.next() {
            Some(p) if p.len() == 2 => p.parse::<u32>().ok().filter(|n| *n <= max).ok_or_else(bad),
            Some(_) => Err(bad()),
            None if needed => Err(bad()),
            None => Ok(0),
        }
    };
    let (hh, mm, ss) = (next(23, true)?, next(59, true)?, next(59, false)?);
    if parts.next().is_some() {
        return Err(bad());
    }
    Ok(Value::Text(format!("{y:04}-{m:02}-{day:02} {hh:02}:{mm:02}:{ss:02}")))
}

/// A value as an error report may show it: long values cut to 40 characters.
fn shorten(v: &str) -> String {
    if v.chars().count() <= 40 { v.to_string() } else { format!("{}…", v.chars().take(40).collect::<String>()) }
}

/// A sensitive value as reports show it: an ID card keeps its first 6 and last 4 characters, a
/// mobile number its first 3 and last 4, anything else its first and last character.
pub fn mask(kind: Option<IdentifierKind>, v: &str) -> String {
    let chars: Vec<char> = v.chars().collect();
    let (head, tail) = match kind {
        Some(IdentifierKind::IdCard) if chars.len() >= 12 => (6, 4),
        Some(IdentifierKind::Mobile) if chars.len() >= 9 => (3, 4),
        Some(IdentifierKind::CreditCode) => return shorten(v),
        _ if chars.len() >= 3 => (1, 1),
        _ => (0, 0),
    };
    let hidden = chars.len() - head - tail;
    let mut out: String = chars[..head].iter().collect();
    out.extend(std::iter::repeat_n('*', hidden.min(12)));
    out.extend(&chars[chars.len() - tail..]);
    out
}

/// When the next delivery is due after one on `last` (a Beijing date), by the resource's update
/// cycle: daily and real-time resources by the next working day on the platform's calendar,
/// weekly in 7 days, the others by calendar months; irregular resources have no due date.
pub fn next_due(cycle: UpdateCycle, last: Date, calendar: &WorkCalendar) -> Option<Date> {
    let months = |n: u8| add_months(last, n);
    match cycle {
        UpdateCycle::Realtime | UpdateCycle::Daily => Some(calendar.add_working_days(last, 1)),
        UpdateCycle::Weekly => last.checked_add(time::Duration::days(7)),
        UpdateCycle::Monthly => months(1),
        UpdateCycle::Quarterly => months(3),
        UpdateCycle::HalfYearly => months(6),
        UpdateCycle::Yearly => months(12),
        UpdateCycle::Irregular => None,
    }
}

/// The same day `n` months later, or that month's last day when it is shorter.
fn add_months(d: Date, n: u8) -> Option<Date> {
    let total = d.month() as i32 - 1 + i32::from(n);
    let year = d.year() + total / 12;
    let month = Month::try_from((total % 12 + 1) as u8).ok()?;
    let last_day = time::util::days_in_month(month, year);
    Date::from_calendar_date(year, month, d.day().min(last_day)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::CodeEntry;

    fn item(code: &str, name: &str, t: ItemType) -> DataItem {
        DataItem {
            code: code.into(),
            name: name.into(),
            item_type: t,
            length: None,
            precision: None,
            scale: None,
            required: false,
            unique_key: false,
            description: String::new(),
            level: Level::L1,
            code_list: Vec::new(),
        }
    }

    fn items() -> Vec<DataItem> {
        vec![
            DataItem {
                required: true, unique_key: true, ..item("credit_code", "统一社会信用代码", ItemType::String)
            },
            DataItem { length: Some(10), ..item("name", "企业名称", ItemType::String) },
            DataItem { precision: Some(8), scale: Some(2), ..item("capital", "注册资本", ItemType::Decimal) },
            item("founded", "成立日期", ItemType::Date),
            DataItem {
                code_list: vec![
                    CodeEntry { code: "1".into(), label: "存续".into() },
                    CodeEntry { code: "2".into(), label: "注销".into() },
                ],
                ..item("status", "登记状态", ItemType::String)
            },
            DataItem { level: Level::L3, ..item("legal_id", "法定代表人身份证号", ItemType::String) },
        ]
    }

    fn header(cols: &[&str]) -> Vec<String> {
        cols.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn art_10_columns_outside_the_catalog_are_refused_by_name() {
        let err = map_columns(&header(&["credit_code", "企业名称", "电话"]), &items()).unwrap_err();
        assert_eq!(err.len(), 1);
        assert_eq!(err[0].field, "column:电话");
        assert!(err[0].message.zh.contains("第十条"));
    }

    #[test]
    fn art_10_missing_required_column_and_duplicate_mapping_are_named() {
        let err = map_columns(&header(&["name", "企业名称"]), &items()).unwrap_err();
        let fields: Vec<&str> = err.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["column:企业名称", "column:credit_code"]);
    }

    #[test]
    fn art_10_values_are_checked_and_normalised() {
        let items = items();
        let h = header(&["统一社会信用代码", "name", "capital", "founded", "status", "legal_id"]);
        let mapping = map_columns(&h, &items).unwrap();
        let checker = RowChecker::new(&h, &items, &mapping);
        let (mut values, mut errors) = (Vec::new(), Vec::new());
        let mut row = header(&["91350100m000100y43", "甲公司", "051.50", "2002/1/1", "存续", ""]);
        assert!(checker.check(&mut row, &mut values, &mut errors), "{errors:?}");
        assert_eq!(values[0], Value::Text("91350100M000100Y43".into()));
        assert_eq!(values[2], Value::Text("51.5".into()));
        assert_eq!(values[3], Value::Text("2002-01-01".into()));
        assert_eq!(values[4], Value::Text("1".into()));
        assert_eq!(values[5], Value::Null);

        let mut row = header(&[
            "91350100M000100Y44",
            "一个很长很长很长很长的名称",
            "1234567.1",
            "2023-02-29",
            "在业",
            "33021219900101123X",
        ]);
        assert!(!checker.check(&mut row, &mut values, &mut errors));
        let cols: Vec<&str> = errors.iter().map(|e| e.column.as_str()).collect();
        assert_eq!(cols, ["统一社会信用代码", "name", "capital", "founded", "status", "legal_id"]);
        assert!(errors[0].reason.zh.contains("校验"), "{:?}", errors[0]);
        assert!(errors[2].reason.en.contains("more than 6"), "{:?}", errors[2]);
        // The ID card is shown masked in the report.
        assert_eq!(errors[5].value, "330212********123X");
    }

    #[test]
    fn decimals_and_datetimes_normalise() {
        assert_eq!(decimal("-0.000", None, None), Ok(Value::Text("0".into())));
        assert_eq!(decimal("+12.340", None, Some(2)), Ok(Value::Text("12.34".into())));
        assert!(decimal("1e5", None, None).is_err());
        assert!(decimal(".", None, None).is_err());
        assert_eq!(datetime("2024-05-01T08:30"), Ok(Value::Text("2024-05-01 08:30:00".into())));
        assert!(datetime("2024-05-01 24:00").is_err());
    }

    #[test]
    fn art_12_next_due_follows_the_update_cycle_and_working_days() {
        let cal = WorkCalendar::bundled().unwrap();
        let d = |y, m, day| Date::from_calendar_date(y, Month::try_from(m).unwrap(), day).unwrap();
        // Delivered on the last working day before the 2026 National Day holiday.
        assert_eq!(next_due(UpdateCycle::Daily, d(2026, 9, 30), &cal), Some(d(2026, 10, 8)));
        assert_eq!(next_due(UpdateCycle::Monthly, d(2026, 1, 31), &cal), Some(d(2026, 2, 28)));
        assert_eq!(next_due(UpdateCycle::Quarterly, d(2026, 11, 30), &cal), Some(d(2027, 2, 28)));
        assert_eq!(next_due(UpdateCycle::Irregular, d(2026, 1, 1), &cal), None);
    }
}
