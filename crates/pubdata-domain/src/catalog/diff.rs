//! Field-by-field comparison of two versions of a resource (Art.8), readable by people.

use super::attributes::{OpenAttribute, ShareAttribute};
use super::item::DataItem;
use super::resource::ResourceDocument;
use serde::Serialize;

/// One difference: the field (as the API names it), a label in both languages, and the
/// values before and after as text (`None` when the field or item did not exist).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    pub field: String,
    pub label_zh: String,
    pub label_en: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

fn share_text(s: &ShareAttribute) -> String {
    match s {
        ShareAttribute::Unconditional => s.label_zh().to_string(),
        ShareAttribute::Restricted { reason, conditions } => {
            format!("{}（理由：{reason}；条件：{conditions}）", s.label_zh())
        }
        ShareAttribute::NotShared { legal_basis } => format!("{}（依据：{legal_basis}）", s.label_zh()),
    }
}

fn open_text(o: &OpenAttribute) -> String {
    match o {
        OpenAttribute::Unconditional => o.label_zh().to_string(),
        OpenAttribute::Restricted { conditions } => format!("{}（条件：{conditions}）", o.label_zh()),
        OpenAttribute::Prohibited { reason } => format!("{}（{}）", o.label_zh(), reason.label_zh()),
    }
}

/// The resource-level fields in display order: (field, 中文, English, value).
fn fields(d: &ResourceDocument) -> Vec<(&'static str, &'static str, &'static str, String)> {
    vec![
        ("name", "资源名称", "Name", d.name.clone()),
        ("business_name", "业务名称", "Business name", d.business_name.clone()),
        ("source_system", "信息系统名称", "Source system", d.source_system.clone()),
        ("description", "资源说明", "Description", d.description.clone()),
        ("provider_org_id", "提供单位", "Provider", d.provider_org_id.to_string()),
        ("category", "分类", "Category", d.category.clone()),
        ("level", "分级", "Level", d.level.as_str().to_string()),
        ("storage_format", "存储格式", "Storage format", d.storage_format.label_zh().to_string()),
        ("share", "共享属性", "Share attribute", share_text(&d.share)),
        ("open", "开放属性", "Open attribute", open_text(&d.open)),
        ("delivery", "提供方式", "Delivery", d.delivery.iter().map(|x| x.label_zh()).collect::<Vec<_>>().join("、")),
        ("update_cycle", "更新周期", "Update cycle", d.update_cycle.label_zh().to_string()),
        ("share_term", "共享期限", "Share term", d.share_term.label_zh()),
        ("contact_name", "联系人", "Contact", d.contact_name.clone()),
        ("contact_phone", "联系电话", "Contact phone", d.contact_phone.clone()),
        ("contact_email", "电子邮箱", "Contact e-mail", d.contact_email.clone()),
    ]
}

fn item_fields(i: &DataItem) -> Vec<(&'static str, &'static str, &'static str, String)> {
    let opt = |v: Option<u32>| v.map(|n| n.to_string()).unwrap_or_default();
    let yes = |b: bool| if b { "是" } else { "否" }.to_string();
    vec![
        ("name", "中文名称", "name", i.name.clone()),
        ("type", "类型", "type", i.item_type.label_zh().to_string()),
        ("length", "长度", "length", opt(i.length)),
        ("precision", "精度", "precision", opt(i.precision)),
        ("scale", "小数位", "scale", opt(i.scale)),
        ("required", "必填", "required", yes(i.required)),
        ("unique_key", "唯一键", "unique key", yes(i.unique_key)),
        ("description", "说明", "description", i.description.clone()),
        ("level", "分级", "level", i.level.as_str().to_string()),
        (
            "code_list",
            "代码表",
            "code list",
            i.code_list.iter().map(|e| format!("{}={}", e.code, e.label)).collect::<Vec<_>>().join("；"),
        ),
    ]
}

/// What changed from `old` to `new`: resource fields in display order, then data items
/// matched by code (added, removed, or changed field by field).
pub fn diff(old: &ResourceDocument, new: &ResourceDocument) -> Vec<Change> {
    let mut out = Vec::new();
    for ((field, zh, en, before), (_, _, _, after)) in fields(old).into_iter().zip(fields(new)) {
        if before != after {
            out.push(Change {
                field: field.into(),
                label_zh: zh.into(),
                label_en: en.into(),
                before: Some(before),
                after: Some(after),
            });
        }
    }
    for item in &old.items {
        match new.items.iter().find(|n| n.code == item.code) {
            None => out.push(Change {
                field: format!("items.{}", item.code),
                label_zh: format!("数据项 {}（{}）", item.name, item.code),
                label_en: format!("item {}", item.code),
                before: Some(format!("{} {}", item.name, item.item_type.label_zh())),
                after: None,
            }),
            Some(n) => {
                for ((field, zh, en, before), (_, _, _, after)) in item_fields(item).into_iter().zip(item_fields(n)) {
                    if before != after {
                        out.push(Change {
                            field: format!("items.{}.{field}", item.code),
                            label_zh: format!("数据项 {} 的{zh}", item.code),
                            label_en: format!("{en} of item {}", item.code),
                            before: Some(before),
                            after: Some(after),
                        });
                    }
                }
            }
        }
    }
    for n in new.items.iter().filter(|n| !old.items.iter().any(|o| o.code == n.code)) {
        out.push(Change {
            field: format!("items.{}", n.code),
            label_zh: format!("数据项 {}（{}）", n.name, n.code),
            label_en: format!("item {}", n.code),
            before: None,
            after: Some(format!("{} {}", n.name, n.item_type.label_zh())),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::resource::tests::{doc, item};
    use crate::catalog::{Level, UpdateCycle};

    #[test]
    fn art_8_versions_compare_field_by_field() {
        let old = doc();
        let mut new = doc();
        new.update_cycle = UpdateCycle::Weekly;
        new.items[1].length = Some(200);
        new.items.push(item("address", "住所", Level::L1));
        new.items.remove(0);
        let d = diff(&old, &new);
        let fields: Vec<&str> = d.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, vec!["update_cycle", "items.credit_code", "items.enterprise_name.length", "items.address"]);
        assert_eq!(d[0].before.as_deref(), Some("每日"));
        assert_eq!(d[0].after.as_deref(), Some("每周"));
        assert_eq!(d[1].after, None, "removed");
        assert_eq!(d[3].before, None, "added");
        assert!(diff(&old, &old).is_empty());
    }
}
