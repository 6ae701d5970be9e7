//! Cell text ↔ domain values: what users type (Chinese labels, codes, 是/否, numbers) and how
//! export writes it back, so that exported files re-import unchanged.

use pubdata_domain::catalog::{
    CATEGORIES, Category, CodeEntry, Delivery, ItemType, Level, ProhibitionReason, StorageFormat, UpdateCycle,
};

pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "是" | "y" | "yes" | "true" | "1" | "√" => Some(true),
        "否" | "n" | "no" | "false" | "0" | "×" => Some(false),
        _ => None,
    }
}

pub(crate) fn bool_text(b: bool) -> &'static str {
    if b { "是" } else { "否" }
}

pub(crate) fn parse_level(s: &str) -> Option<Level> {
    let s = s.trim();
    Level::parse(s).or_else(|| Level::ALL.into_iter().find(|l| l.label_zh() == s || l.label_en() == s))
}

pub(crate) fn parse_category(s: &str) -> Option<&'static Category> {
    let s = s.trim();
    Category::find(s).or_else(|| CATEGORIES.iter().find(|c| c.en.eq_ignore_ascii_case(s)))
}

/// 共享属性: 0 unconditional, 1 restricted, 2 not shared. Accepts the labels of the Measures,
/// the codes, and the national standard's older terms (有条件共享, 不予共享).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ShareKind {
    Unconditional,
    Restricted,
    NotShared,
}

pub(crate) fn parse_share(s: &str) -> Option<ShareKind> {
    match s.trim() {
        "无条件共享" | "unconditional" => Some(ShareKind::Unconditional),
        "受限共享" | "有条件共享" | "restricted" => Some(ShareKind::Restricted),
        "不共享" | "不予共享" | "not_shared" => Some(ShareKind::NotShared),
        _ => None,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OpenKind {
    Unconditional,
    Restricted,
    Prohibited,
}

pub(crate) fn parse_open(s: &str) -> Option<OpenKind> {
    match s.trim() {
        "无条件开放" | "unconditional" => Some(OpenKind::Unconditional),
        "受限开放" | "有条件开放" | "restricted" => Some(OpenKind::Restricted),
        "禁止开放" | "不予开放" | "prohibited" => Some(OpenKind::Prohibited),
        _ => None,
    }
}

/// Art.18's reasons by code, Chinese or English label, or number (`3`, `（三）`, `（三）涉及…`).
pub(crate) fn parse_prohibition(s: &str) -> Option<ProhibitionReason> {
    let s = s.trim();
    if let Some(r) = ProhibitionReason::parse(s) {
        return Some(r);
    }
    if let Some(r) = ProhibitionReason::ALL.into_iter().find(|r| r.label_zh() == s || r.label_en() == s) {
        return Some(r);
    }
    const NUMERALS: [(&str, &str); 5] = [("一", "1"), ("二", "2"), ("三", "3"), ("四", "4"), ("五", "5")];
    for (n, (zh, digit)) in NUMERALS.iter().enumerate() {
        let reason = ProhibitionReason::ALL[n];
        let rest = s
            .strip_prefix(&format!("（{zh}）"))
            .or_else(|| s.strip_prefix(&format!("({zh})")))
            .or_else(|| s.strip_prefix(&format!("({digit})")))
            .or_else(|| if s == *digit { Some("") } else { None });
        if let Some(rest) = rest {
            let rest = rest.trim();
            if rest.is_empty() || rest == reason.label_zh() {
                return Some(reason);
            }
        }
    }
    None
}

pub(crate) fn parse_storage_format(s: &str) -> Option<StorageFormat> {
    StorageFormat::parse(s)
}

pub(crate) fn parse_update_cycle(s: &str) -> Option<UpdateCycle> {
    UpdateCycle::parse(s)
}

pub(crate) fn parse_item_type(s: &str) -> Option<ItemType> {
    ItemType::parse(s)
}

const LIST_SEPARATORS: [char; 7] = ['、', ',', '，', ';', '；', '\n', '/'];

/// 提供方式: one or more values; the second list holds the parts that are not delivery methods.
pub(crate) fn parse_delivery(s: &str) -> (Vec<Delivery>, Vec<String>) {
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    for part in s.split(LIST_SEPARATORS).map(str::trim).filter(|p| !p.is_empty()) {
        match Delivery::parse(part) {
            Some(d) => ok.push(d),
            None => bad.push(part.to_string()),
        }
    }
    (ok, bad)
}

pub(crate) fn delivery_text(d: &[Delivery]) -> String {
    d.iter().map(|d| d.label_zh()).collect::<Vec<_>>().join("、")
}

/// A whole number as typed; `18.0` (as some systems write integers) is accepted too.
pub(crate) fn parse_u32(s: &str) -> Option<u32> {
    let s = s.trim();
    s.parse::<u32>().ok().or_else(|| {
        let f: f64 = s.parse().ok()?;
        (f.is_finite() && f.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&f)).then_some(f as u32)
    })
}

/// 代码表: `1=男;2=女` (also `；`, new lines, `＝`, or `:` when an entry has no `=`). `Err`
/// carries an entry without a separator.
pub(crate) fn parse_code_list(s: &str) -> Result<Vec<CodeEntry>, String> {
    let mut out = Vec::new();
    for part in s.split([';', '；', '\n']).map(str::trim).filter(|p| !p.is_empty()) {
        let Some((code, label)) = part.split_once(['=', '＝']).or_else(|| part.split_once([':', '：'])) else {
            return Err(part.to_string());
        };
        out.push(CodeEntry { code: code.trim().to_string(), label: label.trim().to_string() });
    }
    Ok(out)
}

pub(crate) fn code_list_text(entries: &[CodeEntry]) -> String {
    entries.iter().map(|e| format!("{}={}", e.code, e.label)).collect::<Vec<_>>().join(";")
}

/// A number as a user typed it: `18`, not `18.0`; `0.5`, not `5e-1`.
pub(crate) fn number_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 { format!("{}", f as i64) } else { format!("{f}") }
}

/// Excel's error values, which mean the cell holds no usable value.
pub(crate) fn is_excel_error(s: &str) -> bool {
    matches!(s.trim(), "#DIV/0!" | "#N/A" | "#NAME?" | "#NULL!" | "#NUM!" | "#REF!" | "#VALUE!" | "#DATA!" | "#SPILL!")
}

/// Up to `max` values joined, with “等 N 项” / "and N more" when there are more.
pub(crate) fn list_values(values: &[String], max: usize) -> (String, String) {
    let shown: Vec<&str> = values.iter().take(max).map(String::as_str).collect();
    if values.len() > max {
        (
            format!("{} 等 {} 项（见“填写说明”）", shown.join("、"), values.len()),
            format!("{} and {} more (see 填写说明)", shown.join(", "), values.len() - max),
        )
    } else {
        (shown.join("、"), shown.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_values_parse_as_users_type_them() {
        assert_eq!(parse_bool(" 是 "), Some(true));
        assert_eq!(parse_bool("FALSE"), Some(false));
        assert_eq!(parse_bool("maybe"), None);
        assert_eq!(parse_level("l3"), Some(Level::L3));
        assert_eq!(parse_level("L4 敏感"), Some(Level::L4));
        assert_eq!(parse_category("市场监管").map(|c| c.code), Some("market"));
        assert_eq!(parse_category("market").map(|c| c.code), Some("market"));
        assert_eq!(parse_prohibition("law"), Some(ProhibitionReason::Law));
        assert_eq!(
            parse_prohibition("涉及个人信息、商业秘密或者保密商务信息"),
            Some(ProhibitionReason::PersonalOrCommercial)
        );
        assert_eq!(parse_prohibition("（三）"), Some(ProhibitionReason::PersonalOrCommercial));
        assert_eq!(parse_prohibition("5"), Some(ProhibitionReason::Law));
        assert_eq!(parse_prohibition("别的"), None);
        assert_eq!(parse_delivery("接口调用、批量数据"), (vec![Delivery::Api, Delivery::Bulk], vec![]));
        assert_eq!(parse_delivery("api; file"), (vec![Delivery::Api, Delivery::File], vec![]));
        assert_eq!(parse_delivery("接口调用,邮寄"), (vec![Delivery::Api], vec!["邮寄".to_string()]));
        assert_eq!(parse_u32("18"), Some(18));
        assert_eq!(parse_u32("18.0"), Some(18));
        assert_eq!(parse_u32("18.5"), None);
        assert_eq!(parse_u32("十八"), None);
        assert_eq!(
            parse_code_list("1=男；2＝女"),
            Ok(vec![
                CodeEntry { code: "1".into(), label: "男".into() },
                CodeEntry { code: "2".into(), label: "女".into() }
            ])
        );
        assert_eq!(parse_code_list("1=男;女"), Err("女".to_string()));
        assert_eq!(parse_code_list("A:1=甲").unwrap()[0], CodeEntry { code: "A:1".into(), label: "甲".into() });
        assert_eq!(parse_code_list("A：甲").unwrap()[0], CodeEntry { code: "A".into(), label: "甲".into() });
        assert_eq!(number_text(18.0), "18");
        assert_eq!(number_text(13800000000.0), "13800000000");
        assert_eq!(number_text(0.5), "0.5");
    }
}
