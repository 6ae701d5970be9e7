//! The layout of the import template: sheets, columns (Chinese header, English field name,
//! whether required, a hint) and the lists of allowed values, all taken from the domain types.

use crate::OrgDirectory;
use pubdata_domain::catalog::{
    CATEGORIES, Delivery, ItemType, Level, OpenAttribute, ProhibitionReason, ShareAttribute, StorageFormat, UpdateCycle,
};

pub const RESOURCE_SHEET: &str = "资源";
pub const ITEM_SHEET: &str = "数据项";
pub const INSTRUCTIONS_SHEET: &str = "填写说明";
/// The sheet name problems of a CSV file carry, and the sheet of an error report for one.
pub const CSV_SHEET: &str = "CSV";
/// The last column of an error report; ignored on import so that a corrected report re-imports.
pub const PROBLEMS_HEADER: &str = "错误说明";
pub const PROBLEMS_HEADER_EN: &str = "Problems";

/// One column of the template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    /// The header import matches.
    pub zh: &'static str,
    /// The field's English name (row 2 of the template; the API's name where there is one).
    pub en: &'static str,
    pub required: bool,
    pub hint_zh: &'static str,
    pub hint_en: &'static str,
    pub list: Option<ValueList>,
}

/// A column whose values come from a fixed list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValueList {
    Provider,
    Category,
    Level,
    StorageFormat,
    Share,
    Open,
    Prohibition,
    Delivery,
    UpdateCycle,
    ShareTerm,
    YesNo,
    ItemType,
}

impl ValueList {
    pub const ALL: [ValueList; 12] = [
        ValueList::Provider,
        ValueList::Category,
        ValueList::Level,
        ValueList::StorageFormat,
        ValueList::Share,
        ValueList::Open,
        ValueList::Prohibition,
        ValueList::Delivery,
        ValueList::UpdateCycle,
        ValueList::ShareTerm,
        ValueList::YesNo,
        ValueList::ItemType,
    ];

    pub fn title_zh(self) -> &'static str {
        match self {
            ValueList::Provider => "提供单位",
            ValueList::Category => "分类",
            ValueList::Level => "分级",
            ValueList::StorageFormat => "存储格式",
            ValueList::Share => "共享属性",
            ValueList::Open => "开放属性",
            ValueList::Prohibition => "禁止开放情形",
            ValueList::Delivery => "提供方式",
            ValueList::UpdateCycle => "更新周期",
            ValueList::ShareTerm => "共享期限",
            ValueList::YesNo => "是/否",
            ValueList::ItemType => "类型",
        }
    }

    /// The values a user picks from, as the template shows them (Chinese labels).
    pub fn values(self, orgs: &OrgDirectory) -> Vec<String> {
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        match self {
            ValueList::Provider => orgs.names().into_iter().map(str::to_string).collect(),
            ValueList::Category => CATEGORIES.iter().map(|c| c.zh.to_string()).collect(),
            ValueList::Level => Level::ALL.iter().map(|l| l.as_str().to_string()).collect(),
            ValueList::StorageFormat => StorageFormat::ALL.iter().map(|v| v.label_zh().to_string()).collect(),
            ValueList::Share => share_examples().iter().map(|v| v.label_zh().to_string()).collect(),
            ValueList::Open => open_examples().iter().map(|v| v.label_zh().to_string()).collect(),
            ValueList::Prohibition => ProhibitionReason::ALL.iter().map(|v| v.label_zh().to_string()).collect(),
            ValueList::Delivery => Delivery::ALL.iter().map(|v| v.label_zh().to_string()).collect(),
            ValueList::UpdateCycle => UpdateCycle::ALL.iter().map(|v| v.label_zh().to_string()).collect(),
            ValueList::ShareTerm => s(&["长期", "6", "12", "24", "36", "60"]),
            ValueList::YesNo => s(&["是", "否"]),
            ValueList::ItemType => ItemType::ALL.iter().map(|v| v.label_zh().to_string()).collect(),
        }
    }

    /// The values with their codes, for English messages: `无条件共享 (unconditional)`.
    pub fn values_en(self, orgs: &OrgDirectory) -> Vec<String> {
        let pair = |zh: &str, code: &str| format!("{zh} ({code})");
        match self {
            ValueList::Category => CATEGORIES.iter().map(|c| pair(c.zh, c.code)).collect(),
            ValueList::StorageFormat => StorageFormat::ALL.iter().map(|v| pair(v.label_zh(), v.as_str())).collect(),
            ValueList::Share => share_examples().iter().map(|v| pair(v.label_zh(), v.code())).collect(),
            ValueList::Open => open_examples().iter().map(|v| pair(v.label_zh(), v.code())).collect(),
            ValueList::Prohibition => ProhibitionReason::ALL.iter().map(|v| pair(v.label_zh(), v.as_str())).collect(),
            ValueList::Delivery => Delivery::ALL.iter().map(|v| pair(v.label_zh(), v.as_str())).collect(),
            ValueList::UpdateCycle => UpdateCycle::ALL.iter().map(|v| pair(v.label_zh(), v.as_str())).collect(),
            ValueList::YesNo => vec![pair("是", "yes"), pair("否", "no")],
            ValueList::ItemType => ItemType::ALL.iter().map(|v| pair(v.label_zh(), v.as_str())).collect(),
            ValueList::Provider | ValueList::Level | ValueList::ShareTerm => self.values(orgs),
        }
    }

    /// Whether a cell must hold exactly one listed value (a drop-down that refuses others).
    /// Delivery takes several values; the share term any number of months.
    pub fn strict(self) -> bool {
        !matches!(self, ValueList::Delivery | ValueList::ShareTerm)
    }
}

pub(crate) fn share_examples() -> [ShareAttribute; 3] {
    [
        ShareAttribute::Unconditional,
        ShareAttribute::Restricted { reason: String::new(), conditions: String::new() },
        ShareAttribute::NotShared { legal_basis: String::new() },
    ]
}

pub(crate) fn open_examples() -> [OpenAttribute; 3] {
    [
        OpenAttribute::Unconditional,
        OpenAttribute::Restricted { conditions: String::new() },
        OpenAttribute::Prohibited { reason: ProhibitionReason::Law },
    ]
}

const fn col(
    zh: &'static str,
    en: &'static str,
    required: bool,
    hint_zh: &'static str,
    hint_en: &'static str,
    list: Option<ValueList>,
) -> Column {
    Column { zh, en, required, hint_zh, hint_en, list }
}

/// Indices into [`RESOURCE_COLUMNS`] (and the first part of [`csv_columns`]).
pub(crate) mod r {
    pub const KEY: usize = 0;
    pub const NAME: usize = 1;
    pub const BUSINESS_NAME: usize = 2;
    pub const SOURCE_SYSTEM: usize = 3;
    pub const DESCRIPTION: usize = 4;
    pub const PROVIDER: usize = 5;
    pub const CATEGORY: usize = 6;
    pub const LEVEL: usize = 7;
    pub const STORAGE_FORMAT: usize = 8;
    pub const SHARE: usize = 9;
    pub const SHARE_REASON: usize = 10;
    pub const SHARE_CONDITIONS: usize = 11;
    pub const LEGAL_BASIS: usize = 12;
    pub const OPEN: usize = 13;
    pub const OPEN_CONDITIONS: usize = 14;
    pub const PROHIBITION: usize = 15;
    pub const DELIVERY: usize = 16;
    pub const UPDATE_CYCLE: usize = 17;
    pub const SHARE_TERM: usize = 18;
    pub const CONTACT_NAME: usize = 19;
    pub const CONTACT_PHONE: usize = 20;
    pub const CONTACT_EMAIL: usize = 21;
    pub const STATE_SECRET: usize = 22;
    pub const COUNT: usize = 23;
}

/// Indices into [`ITEM_COLUMNS`].
pub(crate) mod i {
    pub const RESOURCE_KEY: usize = 0;
    pub const CODE: usize = 1;
    pub const NAME: usize = 2;
    pub const TYPE: usize = 3;
    pub const LENGTH: usize = 4;
    pub const PRECISION: usize = 5;
    pub const SCALE: usize = 6;
    pub const REQUIRED: usize = 7;
    pub const UNIQUE_KEY: usize = 8;
    pub const DESCRIPTION: usize = 9;
    pub const LEVEL: usize = 10;
    pub const CODE_LIST: usize = 11;
    pub const COUNT: usize = 12;
}

/// Sheet 资源: one row per resource (Art.7's fields).
pub const RESOURCE_COLUMNS: [Column; r::COUNT] = [
    col(
        "序号",
        "key",
        true,
        "本文件内资源的编号（如 1、2、3），不得重复；数据项表的“资源序号”引用它",
        "the resource's number within this file, unique; 资源序号 on the items sheet refers to it",
        None,
    ),
    col("资源名称", "name", true, "2 到 100 个字符", "2 to 100 characters", None),
    col(
        "业务名称",
        "business_name",
        true,
        "资源所记录的业务事项，2 到 100 个字符",
        "the business activity the resource records, 2 to 100 characters",
        None,
    ),
    col(
        "信息系统名称",
        "source_system",
        true,
        "数据来源的信息系统",
        "the information system the data comes from",
        None,
    ),
    col("资源说明", "description", false, "不超过 2000 个字符", "at most 2000 characters", None),
    col(
        "提供单位",
        "provider",
        true,
        "提供单位全称，须为填写说明所列单位之一",
        "the providing agency's full name, one of those listed in 填写说明",
        Some(ValueList::Provider),
    ),
    col(
        "分类",
        "category",
        true,
        "主题分类：中文名称或代码",
        "subject category: Chinese label or code",
        Some(ValueList::Category),
    ),
    col(
        "分级",
        "level",
        true,
        "L1 不敏感、L2 低敏感、L3 较敏感、L4 敏感；不得低于其数据项的最高分级",
        "L1 to L4; not below the highest level of its data items",
        Some(ValueList::Level),
    ),
    col("存储格式", "storage_format", true, "", "", Some(ValueList::StorageFormat)),
    col("共享属性", "share", true, "第十四条", "Art.14", Some(ValueList::Share)),
    col("受限理由", "share.reason", false, "受限共享时必填", "required for restricted sharing", None),
    col(
        "共享条件",
        "share.conditions",
        false,
        "受限共享时必填：使用方须满足的条件（第十四条）",
        "required for restricted sharing: what a consumer must meet (Art.14)",
        None,
    ),
    col(
        "不共享依据",
        "share.legal_basis",
        false,
        "不共享时必填：法律、法规、规章或国家有关规定依据（第十四条）",
        "required when not shared: the law, regulation, rule or national provision (Art.14)",
        None,
    ),
    col("开放属性", "open", true, "第十七条", "Art.17", Some(ValueList::Open)),
    col("开放条件", "open.conditions", false, "受限开放时必填", "required for restricted opening", None),
    col(
        "禁止开放情形",
        "open.reason",
        false,
        "禁止开放时必填：第十八条规定的五种情形之一（中文或代码）",
        "required when opening is prohibited: one of Art.18's five reasons (label or code)",
        Some(ValueList::Prohibition),
    ),
    col(
        "提供方式",
        "delivery",
        true,
        "接口调用、批量数据、文件中的一种或多种，用“、”“,”或“;”分隔",
        "one or more of 接口调用 (API), 批量数据 (bulk), 文件 (file), separated by 、 , or ;",
        Some(ValueList::Delivery),
    ),
    col("更新周期", "update_cycle", true, "", "", Some(ValueList::UpdateCycle)),
    col(
        "共享期限",
        "share_term",
        true,
        "长期，或 1 到 120 的月数",
        "长期 (long-term) or a number of months from 1 to 120",
        Some(ValueList::ShareTerm),
    ),
    col("联系人", "contact_name", true, "", "", None),
    col(
        "联系电话",
        "contact_phone",
        true,
        "手机或座机，如 0574-88888888",
        "mobile or landline, e.g. 0574-88888888",
        None,
    ),
    col("电子邮箱", "contact_email", false, "", "", None),
    col(
        "涉及国家秘密",
        "state_secret",
        false,
        "是/否，空为否；涉及国家秘密的数据不纳入本平台（第二条）",
        "是 (yes) / 否 (no), empty means no; data involving state secrets is outside the platform (Art.2)",
        Some(ValueList::YesNo),
    ),
];

/// Sheet 数据项: one row per data item.
pub const ITEM_COLUMNS: [Column; i::COUNT] = [
    col(
        "资源序号",
        "resource_key",
        true,
        "所属资源在“资源”表中的序号",
        "the 序号 of the item's resource on sheet 资源",
        None,
    ),
    col(
        "数据项代码",
        "code",
        true,
        "小写字母开头，只含小写字母、数字和下划线，如 credit_code；同一资源内不得重复",
        "starts with a lower-case letter; lower-case letters, digits and '_', e.g. credit_code; unique within the resource",
        None,
    ),
    col("中文名称", "name", true, "同一资源内不得重复", "unique within the resource", None),
    col("类型", "type", true, "", "", Some(ValueList::ItemType)),
    col("长度", "length", false, "字符串类型必填：1 到 65535", "required for strings: 1 to 65535", None),
    col(
        "精度",
        "precision",
        false,
        "小数类型必填：总位数 1 到 38",
        "required for decimals: total digits, 1 to 38",
        None,
    ),
    col("小数位", "scale", false, "小数类型：小数点后的位数", "decimals: digits after the point", None),
    col("必填", "required", false, "是/否，空为否", "是 (yes) / 否 (no), empty means no", Some(ValueList::YesNo)),
    col(
        "唯一键",
        "unique_key",
        false,
        "是/否，空为否；唯一键须为必填",
        "是 (yes) / 否 (no), empty means no; a unique-key item must be required",
        Some(ValueList::YesNo),
    ),
    col("说明", "description", false, "不超过 500 个字符", "at most 500 characters", None),
    col("分级", "level", true, "L1 到 L4", "L1 to L4", Some(ValueList::Level)),
    col("代码表", "code_list", false, "取值代码表，如 1=男;2=女", "code list, e.g. 1=男;2=女", None),
];

/// The item columns of the flat CSV layout: those of [`ITEM_COLUMNS`] after 资源序号 (the
/// resource's 序号 serves), three renamed so that they differ from the resource columns.
pub(crate) const CSV_ITEM_COLUMNS: [Column; i::COUNT - 1] = {
    let mut cols = [ITEM_COLUMNS[1]; i::COUNT - 1];
    let mut n = 1;
    while n < i::COUNT {
        cols[n - 1] = ITEM_COLUMNS[n];
        n += 1;
    }
    cols[i::NAME - 1].zh = "数据项名称";
    cols[i::DESCRIPTION - 1].zh = "数据项说明";
    cols[i::LEVEL - 1].zh = "数据项分级";
    cols
};

/// The flat CSV layout: the resource columns, then the item columns (one line per item).
pub fn csv_columns() -> Vec<Column> {
    RESOURCE_COLUMNS.iter().chain(CSV_ITEM_COLUMNS.iter()).copied().collect()
}

/// Columns an export adds to sheet 资源; import ignores them.
pub const EXPORT_COLUMNS: [Column; 3] = [
    col(
        "资源编号",
        "id",
        false,
        "平台上的资源编号（导入时忽略）",
        "the resource's id on the platform (ignored on import)",
        None,
    ),
    col("状态", "state", false, "目录状态（导入时忽略）", "catalog state (ignored on import)", None),
    col("版本", "version", false, "版本号（导入时忽略）", "version number (ignored on import)", None),
];

/// The canonical columns of a sheet an import reads or a report writes.
pub(crate) fn columns_of(sheet: &str) -> Vec<Column> {
    match sheet {
        RESOURCE_SHEET => RESOURCE_COLUMNS.to_vec(),
        ITEM_SHEET => ITEM_COLUMNS.to_vec(),
        _ => csv_columns(),
    }
}

/// Headers that may appear besides the canonical ones and are ignored.
pub(crate) fn ignored_headers(sheet: &str) -> Vec<&'static str> {
    let mut v = vec![PROBLEMS_HEADER];
    if sheet != ITEM_SHEET {
        v.extend(EXPORT_COLUMNS.iter().map(|c| c.zh));
    }
    v
}

/// A header as typed, reduced to what is compared: the first line, before any " / " (reports
/// write "错误说明 / Problems"), without spaces or a trailing required-marker `*`.
pub(crate) fn normalize_header(s: &str) -> String {
    let first = s.lines().next().unwrap_or("");
    let first = first.split('/').next().unwrap_or("");
    first
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{feff}')
        .collect::<String>()
        .trim_end_matches(['*', '＊'])
        .to_string()
}

/// The column letters Excel shows (0 → A, 26 → AA).
pub fn column_letter(mut col: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    s.reverse();
    String::from_utf8_lossy(&s).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_unique_per_sheet_and_csv() {
        for cols in [RESOURCE_COLUMNS.to_vec(), ITEM_COLUMNS.to_vec(), csv_columns()] {
            let mut seen = std::collections::HashSet::new();
            for c in &cols {
                assert!(seen.insert(c.zh), "{} twice", c.zh);
                assert_eq!(normalize_header(c.zh), c.zh);
            }
        }
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
        assert_eq!(normalize_header(" 错误说明 / Problems"), "错误说明");
        assert_eq!(normalize_header("资源名称*"), "资源名称");
    }
}
