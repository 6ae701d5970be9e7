//! A resource (目录条目) as registered: every field Art.7 names, plus classification, provider
//! and contact, and the rules that make it complete and consistent.

use super::attributes::{
    Category, Delivery, Level, OpenAttribute, ShareAttribute, ShareTerm, StorageFormat, UpdateCycle,
};
use super::item::{DataItem, ItemType};
use crate::error::check_length;
use crate::identity::{parse_email, parse_phone};
use crate::text::Text;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Everything a resource's registration says: what the catalog shows, what review approves,
/// what each version records, and what import and export carry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceDocument {
    /// 资源名称
    pub name: String,
    /// 业务名称: the business activity the resource records.
    pub business_name: String,
    /// 信息系统名称
    pub source_system: String,
    #[serde(default)]
    pub description: String,
    /// The providing agency (提供方).
    pub provider_org_id: i64,
    /// A code of [`super::CATEGORIES`].
    pub category: String,
    pub level: Level,
    pub storage_format: StorageFormat,
    pub share: ShareAttribute,
    pub open: OpenAttribute,
    pub delivery: Vec<Delivery>,
    pub update_cycle: UpdateCycle,
    pub share_term: ShareTerm,
    pub contact_name: String,
    pub contact_phone: String,
    #[serde(default)]
    pub contact_email: String,
    /// Whether the data involves state secrets; such data is outside the platform (Art.2).
    #[serde(default)]
    pub state_secret: bool,
    pub items: Vec<DataItem>,
}

/// One thing wrong with a registration: the field (as the API names it, e.g.
/// `items[2].length` or `share.conditions`) and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub field: String,
    pub message: Text,
}

impl Problem {
    pub(crate) fn new(field: impl Into<String>, zh: impl Into<String>, en: impl Into<String>) -> Problem {
        Problem { field: field.into(), message: Text::new(zh.into(), en.into()) }
    }
}

/// Fields whose change on a published resource takes effect at once (with a new version);
/// a change to anything else goes through review again (Art.8).
pub const MINOR_FIELDS: [&str; 4] = ["description", "contact_name", "contact_phone", "contact_email"];

/// Whether changing `old` into `new` must go through review again.
pub fn requires_review(old: &ResourceDocument, new: &ResourceDocument) -> bool {
    let strip = |d: &ResourceDocument| ResourceDocument {
        description: String::new(),
        contact_name: String::new(),
        contact_phone: String::new(),
        contact_email: String::new(),
        ..d.clone()
    };
    strip(old) != strip(new)
}

fn is_code_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && s.len() <= 64
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl ResourceDocument {
    /// Trims every text field, so that what is stored and compared is what the user meant.
    pub fn normalized(mut self) -> ResourceDocument {
        for s in [
            &mut self.name,
            &mut self.business_name,
            &mut self.source_system,
            &mut self.description,
            &mut self.category,
            &mut self.contact_name,
            &mut self.contact_phone,
            &mut self.contact_email,
        ] {
            *s = s.trim().to_string();
        }
        match &mut self.share {
            ShareAttribute::Restricted { reason, conditions } => {
                *reason = reason.trim().to_string();
                *conditions = conditions.trim().to_string();
            }
            ShareAttribute::NotShared { legal_basis } => *legal_basis = legal_basis.trim().to_string(),
            ShareAttribute::Unconditional => {}
        }
        if let OpenAttribute::Restricted { conditions } = &mut self.open {
            *conditions = conditions.trim().to_string();
        }
        for item in &mut self.items {
            item.code = item.code.trim().to_string();
            item.name = item.name.trim().to_string();
            item.description = item.description.trim().to_string();
            for entry in &mut item.code_list {
                entry.code = entry.code.trim().to_string();
                entry.label = entry.label.trim().to_string();
            }
        }
        self
    }

    /// The highest level among the data items.
    pub fn highest_item_level(&self) -> Option<Level> {
        self.items.iter().map(|i| i.level).max()
    }

    /// Every rule a registration must satisfy; empty when it is complete and consistent.
    pub fn problems(&self) -> Vec<Problem> {
        // Art.2: data involving state secrets is outside these Measures and this platform.
        if self.state_secret {
            return vec![Problem::new(
                "state_secret",
                "涉及国家秘密的公共数据按照保密法律法规管理，不纳入本办法管理（第二条第二款），不能在本平台登记",
                "data involving state secrets is governed by secrecy law and is outside these Measures (Art.2); it cannot be registered here",
            )];
        }
        let mut out = Vec::new();
        self.check_texts(&mut out);
        self.check_attributes(&mut out);
        self.check_items(&mut out);
        self.check_levels(&mut out);
        out
    }

    fn check_texts(&self, out: &mut Vec<Problem>) {
        let mut text = |field: &str, value: &str, min: usize, max: usize| {
            if let Err(crate::Error::Invalid { message, .. }) = check_length(field, value, min, max) {
                out.push(Problem { field: field.to_string(), message });
            }
        };
        text("name", &self.name, 2, 100);
        text("business_name", &self.business_name, 2, 100);
        text("source_system", &self.source_system, 1, 100);
        text("description", &self.description, 0, 2000);
        text("contact_name", &self.contact_name, 1, 32);
        match parse_phone(Some(&self.contact_phone)) {
            Ok(Some(_)) => {}
            Ok(None) => out.push(Problem::new("contact_phone", "请填写联系电话", "a contact phone number is required")),
            Err(crate::Error::Invalid { message, .. }) => out.push(Problem { field: "contact_phone".into(), message }),
            Err(_) => {}
        }
        if let Err(crate::Error::Invalid { message, .. }) = parse_email(Some(&self.contact_email)) {
            out.push(Problem { field: "contact_email".into(), message });
        }
        if Category::find(&self.category).is_none() {
            let codes: Vec<&str> = super::CATEGORIES.iter().map(|c| c.code).collect();
            out.push(Problem::new(
                "category",
                format!("未知的分类 {:?}，可选：{}", self.category, codes.join("、")),
                format!("unknown category {:?}; one of: {}", self.category, codes.join(", ")),
            ));
        }
    }

    fn check_attributes(&self, out: &mut Vec<Problem>) {
        match &self.share {
            ShareAttribute::Restricted { reason, conditions } => {
                if reason.is_empty() {
                    out.push(Problem::new(
                        "share.reason",
                        "受限共享须说明理由（第十四条）",
                        "restricted sharing needs a reason (Art.14)",
                    ));
                }
                if conditions.is_empty() {
                    out.push(Problem::new(
                        "share.conditions",
                        "受限共享须明确共享条件（第十四条）",
                        "restricted sharing needs the conditions a consumer must meet (Art.14)",
                    ));
                }
            }
            ShareAttribute::NotShared { legal_basis } if legal_basis.is_empty() => out.push(Problem::new(
                "share.legal_basis",
                "不共享须提供明确的法律、法规、规章或国家有关规定依据（第十四条）",
                "not sharing needs an explicit basis in law, regulation, rule or national provision (Art.14)",
            )),
            _ => {}
        }
        if let OpenAttribute::Restricted { conditions } = &self.open
            && conditions.is_empty()
        {
            out.push(Problem::new(
                "open.conditions",
                "受限开放须明确开放条件",
                "restricted opening needs its conditions",
            ));
        }
        if matches!(self.share, ShareAttribute::NotShared { .. }) && self.open == OpenAttribute::Unconditional {
            out.push(Problem::new(
                "open",
                "不共享的数据不能无条件开放：不向其他机构共享的数据更不能向社会公开",
                "data that is not shared with other agencies cannot be open to everyone",
            ));
        }
        if self.delivery.is_empty() {
            out.push(Problem::new("delivery", "请至少选择一种提供方式", "choose at least one delivery method"));
        }
        if self.delivery.iter().collect::<HashSet<_>>().len() != self.delivery.len() {
            out.push(Problem::new("delivery", "提供方式重复", "a delivery method is listed twice"));
        }
        if let ShareTerm::Months { months } = self.share_term
            && !(1..=120).contains(&months)
        {
            out.push(Problem::new(
                "share_term",
                "共享期限应为 1 到 120 个月或长期",
                "the share term is 1 to 120 months, or long-term",
            ));
        }
    }

    fn check_items(&self, out: &mut Vec<Problem>) {
        if self.items.is_empty() {
            out.push(Problem::new("items", "请至少登记一个数据项", "register at least one data item"));
        }
        if self.items.len() > 500 {
            out.push(Problem::new("items", "数据项不能超过 500 个", "at most 500 data items"));
        }
        let mut codes = HashSet::new();
        let mut names = HashSet::new();
        for (i, item) in self.items.iter().enumerate() {
            let at = |f: &str| format!("items[{i}].{f}");
            if !is_code_name(&item.code) {
                out.push(Problem::new(
                    at("code"),
                    format!("数据项代码 {:?} 应以小写字母开头，只含小写字母、数字和下划线，不超过 64 个字符", item.code),
                    format!("item code {:?} must start with a lower-case letter and contain only lower-case letters, digits and '_' (at most 64)", item.code),
                ));
            } else if !codes.insert(item.code.as_str()) {
                out.push(Problem::new(
                    at("code"),
                    format!("数据项代码 {} 重复", item.code),
                    format!("item code {} appears twice", item.code),
                ));
            }
            if let Err(crate::Error::Invalid { message, .. }) = check_length(&at("name"), &item.name, 1, 64) {
                out.push(Problem { field: at("name"), message });
            } else if !names.insert(item.name.as_str()) {
                out.push(Problem::new(
                    at("name"),
                    format!("数据项名称 {} 重复", item.name),
                    format!("item name {} appears twice", item.name),
                ));
            }
            if item.description.chars().count() > 500 {
                out.push(Problem::new(
                    at("description"),
                    "说明不能超过 500 个字符",
                    "the description must not exceed 500 characters",
                ));
            }
            check_item_shape(item, &at, out);
        }
    }

    fn check_levels(&self, out: &mut Vec<Problem>) {
        let Some(highest) = self.highest_item_level() else { return };
        if self.level < highest {
            let item = self.items.iter().find(|i| i.level == highest).map_or("", |i| i.name.as_str());
            out.push(Problem::new(
                "level",
                format!("资源分级 {} 低于其数据项「{item}」的分级 {}：资源的分级不得低于其数据项的最高分级", self.level.as_str(), highest.as_str()),
                format!(
                    "the resource's level {} is below its item {item:?} at {}: a resource is at least as sensitive as its most sensitive item",
                    self.level.as_str(),
                    highest.as_str()
                ),
            ));
        }
        // Zhejiang's guide: L1 may be opened directly; L2 and L3 only restricted (masked,
        // approved); L4 is never opened.
        let level = self.level.max(highest);
        let sensitive: Vec<&str> =
            self.items.iter().filter(|i| i.level >= Level::L2).map(|i| i.name.as_str()).collect();
        match (&self.open, level) {
            (OpenAttribute::Unconditional, Level::L2 | Level::L3 | Level::L4) => out.push(Problem::new(
                "open",
                format!("含 {} 级数据项（{}）的资源不能无条件开放", level.as_str(), sensitive.join("、")),
                format!(
                    "a resource with {} items ({}) cannot be open unconditionally",
                    level.as_str(),
                    sensitive.join(", ")
                ),
            )),
            (OpenAttribute::Restricted { .. }, Level::L4) => out.push(Problem::new(
                "open",
                "含 L4 敏感数据项的资源禁止开放",
                "a resource with L4 (highly sensitive) items must not be opened",
            )),
            _ => {}
        }
    }
}

fn check_item_shape(item: &DataItem, at: &dyn Fn(&str) -> String, out: &mut Vec<Problem>) {
    match item.item_type {
        ItemType::String if item.length.is_none_or(|l| l == 0 || l > 65_535) => out.push(Problem::new(
            at("length"),
            "字符串类型须填写长度（1 到 65535）",
            "a string item needs a length from 1 to 65535",
        )),
        ItemType::Decimal => match (item.precision, item.scale) {
            (Some(p), s) if (1..=38).contains(&p) && s.unwrap_or(0) <= p => {}
            _ => out.push(Problem::new(
                at("precision"),
                "小数类型须填写精度（总位数 1 到 38，小数位数不大于总位数）",
                "a decimal item needs a precision of 1 to 38 digits and a scale not above it",
            )),
        },
        _ => {}
    }
    if item.item_type != ItemType::Decimal && (item.precision.is_some() || item.scale.is_some()) {
        out.push(Problem::new(at("precision"), "只有小数类型有精度", "only decimal items have a precision"));
    }
    if matches!(item.item_type, ItemType::Boolean | ItemType::Date | ItemType::Datetime | ItemType::Decimal)
        && item.length.is_some()
    {
        out.push(Problem::new(
            at("length"),
            format!("{}类型不填写长度", item.item_type.label_zh()),
            format!("a {} item has no length", item.item_type.as_str()),
        ));
    }
    if item.unique_key && !item.required {
        out.push(Problem::new(at("required"), "唯一键数据项必须为必填", "a unique-key item must be required"));
    }
    if !item.code_list.is_empty() {
        if !matches!(item.item_type, ItemType::String | ItemType::Integer) {
            out.push(Problem::new(
                at("code_list"),
                "只有字符串或整数类型可以使用代码表",
                "only string or integer items can have a code list",
            ));
        }
        let mut seen = HashSet::new();
        for entry in &item.code_list {
            if entry.code.is_empty() || entry.label.is_empty() || !seen.insert(entry.code.as_str()) {
                out.push(Problem::new(
                    at("code_list"),
                    format!("代码表条目 {:?} 无效或重复", entry.code),
                    format!("code list entry {:?} is empty or repeated", entry.code),
                ));
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::catalog::{CodeEntry, ProhibitionReason};

    pub(crate) fn item(code: &str, name: &str, level: Level) -> DataItem {
        DataItem {
            code: code.into(),
            name: name.into(),
            item_type: ItemType::String,
            length: Some(64),
            precision: None,
            scale: None,
            required: false,
            unique_key: false,
            description: String::new(),
            level,
            code_list: vec![],
        }
    }

    pub(crate) fn doc() -> ResourceDocument {
        ResourceDocument {
            name: "企业登记信息".into(),
            business_name: "企业设立登记".into(),
            source_system: "市场主体登记系统".into(),
            description: "全区企业登记基本信息".into(),
            provider_org_id: 3,
            category: "market".into(),
            level: Level::L1,
            storage_format: StorageFormat::DatabaseTable,
            share: ShareAttribute::Unconditional,
            open: OpenAttribute::Unconditional,
            delivery: vec![Delivery::Api, Delivery::Bulk],
            update_cycle: UpdateCycle::Daily,
            share_term: ShareTerm::LongTerm,
            contact_name: "王明".into(),
            contact_phone: "0574-88888888".into(),
            contact_email: String::new(),
            state_secret: false,
            items: vec![
                DataItem {
                    required: true, unique_key: true, ..item("credit_code", "统一社会信用代码", Level::L1)
                },
                item("enterprise_name", "企业名称", Level::L1),
            ],
        }
    }

    fn fields(d: &ResourceDocument) -> Vec<String> {
        d.problems().into_iter().map(|p| p.field).collect()
    }

    #[test]
    fn art_7_a_complete_registration_has_no_problems() {
        assert_eq!(doc().problems(), vec![]);
    }

    #[test]
    fn art_2_state_secrets_are_refused_saying_why() {
        let d = ResourceDocument { state_secret: true, ..doc() };
        let p = d.problems();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].field, "state_secret");
        assert!(p[0].message.zh.contains("第二条"));
    }

    #[test]
    fn art_14_restricted_sharing_needs_reason_and_conditions() {
        let d = ResourceDocument {
            share: ShareAttribute::Restricted { reason: "涉及个人信息".into(), conditions: String::new() },
            ..doc()
        };
        assert_eq!(fields(&d), vec!["share.conditions"]);
    }

    #[test]
    fn art_14_not_shared_needs_a_legal_basis() {
        let d = ResourceDocument {
            share: ShareAttribute::NotShared { legal_basis: " ".into() },
            open: OpenAttribute::Prohibited { reason: ProhibitionReason::Law },
            ..doc()
        }
        .normalized();
        assert_eq!(fields(&d), vec!["share.legal_basis"]);
    }

    #[test]
    fn art_18_l4_items_cannot_be_opened() {
        let mut d = doc();
        d.items.push(item("bank_account", "银行账号", Level::L4));
        d.level = Level::L4;
        assert_eq!(fields(&d), vec!["open"]);
        d.open = OpenAttribute::Restricted { conditions: "脱敏后".into() };
        assert_eq!(fields(&d), vec!["open"]);
        d.open = OpenAttribute::Prohibited { reason: ProhibitionReason::PersonalOrCommercial };
        assert_eq!(fields(&d), Vec::<String>::new());
    }

    #[test]
    fn art_7_resource_level_is_at_least_its_highest_item() {
        let mut d = doc();
        d.items.push(item("legal_person_id", "法定代表人身份证号", Level::L3));
        d.open = OpenAttribute::Restricted { conditions: "脱敏".into() };
        let p = d.problems();
        assert_eq!(p.iter().map(|x| x.field.as_str()).collect::<Vec<_>>(), vec!["level"]);
        assert!(p[0].message.zh.contains("法定代表人身份证号"));
    }

    #[test]
    fn art_7_items_need_unique_codes_and_sound_shapes() {
        let mut d = doc();
        d.items.push(item("credit_code", "另一个代码", Level::L1));
        d.items.push(DataItem {
            item_type: ItemType::Decimal, length: None, ..item("capital", "注册资本", Level::L1)
        });
        d.items.push(DataItem { length: None, ..item("Bad Code", "坏代码", Level::L1) });
        d.items.push(DataItem { unique_key: true, required: false, ..item("reg_no", "注册号", Level::L1) });
        d.items.push(DataItem {
            code_list: vec![
                CodeEntry { code: "1".into(), label: "男".into() },
                CodeEntry { code: "1".into(), label: "女".into() },
            ],
            ..item("sex", "性别", Level::L1)
        });
        assert_eq!(
            fields(&d),
            vec![
                "items[2].code",
                "items[3].precision",
                "items[4].code",
                "items[4].length",
                "items[5].required",
                "items[6].code_list"
            ]
        );
    }

    #[test]
    fn contradictions_between_sharing_and_opening_are_refused() {
        let d = ResourceDocument {
            share: ShareAttribute::NotShared { legal_basis: "《某法》第十条".into() }, ..doc()
        };
        assert_eq!(fields(&d), vec!["open"]);
    }

    #[test]
    fn attributes_round_trip_through_json() {
        let d = ResourceDocument {
            share: ShareAttribute::Restricted {
                reason: "个人信息".into(), conditions: "仅用于社保核验".into()
            },
            open: OpenAttribute::Prohibited { reason: ProhibitionReason::PersonalOrCommercial },
            share_term: ShareTerm::Months { months: 12 },
            ..doc()
        };
        let json = serde_json::to_string(&d).unwrap();
        assert!(
            json.contains("\"kind\":\"restricted\"") && json.contains("\"reason\":\"personal_or_commercial\""),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<ResourceDocument>(&json).unwrap(), d);
        assert!(serde_json::from_str::<ResourceDocument>(&json.replacen("{", "{\"extra\":1,", 1)).is_err());
    }

    #[test]
    fn art_8_only_contact_and_description_changes_skip_review() {
        let old = doc();
        let minor = ResourceDocument { contact_phone: "13800000000".into(), description: "新说明".into(), ..doc() };
        assert!(!requires_review(&old, &minor));
        let major = ResourceDocument { update_cycle: UpdateCycle::Weekly, ..doc() };
        assert!(requires_review(&old, &major));
    }
}
