//! Data items (数据项): the fields of a resource.

use super::attributes::Level;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemType {
    /// 字符串 (with a maximum length)
    String,
    /// 长文本
    Text,
    /// 整数
    Integer,
    /// 小数 (with precision: total digits, and scale: digits after the point)
    Decimal,
    /// 布尔
    Boolean,
    /// 日期
    Date,
    /// 日期时间
    Datetime,
    /// 二进制 (files, images)
    Binary,
}

impl ItemType {
    pub const ALL: [ItemType; 8] = [
        ItemType::String,
        ItemType::Text,
        ItemType::Integer,
        ItemType::Decimal,
        ItemType::Boolean,
        ItemType::Date,
        ItemType::Datetime,
        ItemType::Binary,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemType::String => "string",
            ItemType::Text => "text",
            ItemType::Integer => "integer",
            ItemType::Decimal => "decimal",
            ItemType::Boolean => "boolean",
            ItemType::Date => "date",
            ItemType::Datetime => "datetime",
            ItemType::Binary => "binary",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            ItemType::String => "字符串",
            ItemType::Text => "长文本",
            ItemType::Integer => "整数",
            ItemType::Decimal => "小数",
            ItemType::Boolean => "布尔",
            ItemType::Date => "日期",
            ItemType::Datetime => "日期时间",
            ItemType::Binary => "二进制",
        }
    }

    pub fn parse(s: &str) -> Option<ItemType> {
        let s = s.trim();
        ItemType::ALL.into_iter().find(|t| t.as_str() == s || t.label_zh() == s)
    }
}

/// One entry of a data item's code list (e.g. `1` = 男).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeEntry {
    pub code: String,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataItem {
    /// The code name (英文代码名), e.g. `credit_code`: lower-case letters, digits and `_`.
    pub code: String,
    /// The Chinese name (中文名称), e.g. 统一社会信用代码.
    pub name: String,
    #[serde(rename = "type")]
    pub item_type: ItemType,
    /// Maximum length in characters (strings).
    #[serde(default)]
    pub length: Option<u32>,
    /// Total digits (decimals).
    #[serde(default)]
    pub precision: Option<u32>,
    /// Digits after the decimal point (decimals).
    #[serde(default)]
    pub scale: Option<u32>,
    #[serde(default)]
    pub required: bool,
    /// Part of the resource's unique key.
    #[serde(default)]
    pub unique_key: bool,
    #[serde(default)]
    pub description: String,
    pub level: Level,
    /// Allowed values, when the item takes values from a code list.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub code_list: Vec<CodeEntry>,
}
