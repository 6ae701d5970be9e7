//! From rows of text to documents: each cell parsed into its domain value, every problem placed
//! on its sheet, row and column, then the assembled document checked by the domain's own rules
//! (`ResourceDocument::problems`), whose field names are mapped back to cells.
//!
//! A cell that cannot be parsed is reported once: the domain's complaints about the same cell,
//! or ones that follow only from the placeholder used for it, are dropped.

use crate::layout::{self, Column, ITEM_COLUMNS, ITEM_SHEET, RESOURCE_COLUMNS, RESOURCE_SHEET, ValueList, i, r};
use crate::text::{
    OpenKind, ShareKind, is_excel_error, list_values, parse_bool, parse_category, parse_code_list, parse_delivery,
    parse_item_type, parse_level, parse_open, parse_prohibition, parse_share, parse_storage_format, parse_u32,
    parse_update_cycle,
};
use crate::{OrgDirectory, ParsedResource, RawRow, RowProblem};
use pubdata_domain::Text;
use pubdata_domain::catalog::{
    DataItem, ItemType, Level, OpenAttribute, ProhibitionReason, ResourceDocument, ShareAttribute, ShareTerm,
    StorageFormat, UpdateCycle,
};
use std::collections::{HashMap, HashSet};

/// A resource's rows, as read from a file, before parsing.
pub(crate) struct ResourceInput {
    pub key: String,
    pub sheet: String,
    pub row: usize,
    /// In the order of [`RESOURCE_COLUMNS`].
    pub cells: Vec<String>,
    pub items: Vec<ItemInput>,
    /// Problems found while reading (duplicate keys, CSV lines that disagree).
    pub problems: Vec<RowProblem>,
    pub raw: Vec<RawRow>,
    /// Whether the rows come from the flat CSV layout (item headers differ).
    pub csv: bool,
}

pub(crate) struct ItemInput {
    pub sheet: String,
    pub row: usize,
    /// In the order of [`ITEM_COLUMNS`].
    pub cells: Vec<String>,
}

/// A cell's place: sheet, row, header.
type Place = (String, usize, &'static str);

fn item_header(csv: bool, c: usize) -> &'static str {
    if !csv {
        return ITEM_COLUMNS[c].zh;
    }
    if c == i::RESOURCE_KEY {
        return RESOURCE_COLUMNS[r::KEY].zh;
    }
    layout::CSV_ITEM_COLUMNS[c - 1].zh
}

struct Ctx<'a> {
    input: &'a ResourceInput,
    orgs: &'a OrgDirectory,
    item_headers: Vec<&'static str>,
    problems: Vec<RowProblem>,
    suppressed: HashSet<Place>,
}

impl<'a> Ctx<'a> {
    fn res_place(&self, c: usize) -> Place {
        (self.input.sheet.clone(), self.input.row, RESOURCE_COLUMNS[c].zh)
    }

    fn item_place(&self, k: usize, c: usize) -> Place {
        let item = &self.input.items[k];
        (item.sheet.clone(), item.row, self.item_headers[c])
    }

    fn push(&mut self, place: Place, zh: impl Into<String>, en: impl Into<String>) {
        let (sheet, row, column) = place;
        self.problems.push(RowProblem {
            sheet,
            row,
            column: column.to_string(),
            message: Text::new(zh.into(), en.into()),
        });
    }

    /// The resource cell, trimmed; empty when it holds an Excel error value.
    fn res(&self, c: usize) -> &'a str {
        let v = self.input.cells.get(c).map_or("", |s| s.trim());
        if is_excel_error(v) { "" } else { v }
    }

    fn item(&self, k: usize, c: usize) -> &'a str {
        let v = self.input.items[k].cells.get(c).map_or("", |s| s.trim());
        if is_excel_error(v) { "" } else { v }
    }

    fn unknown(&mut self, place: Place, value: &str, list: ValueList) {
        let (zh, _) = list_values(&list.values(self.orgs), 30);
        let (_, en) = list_values(&list.values_en(self.orgs), 30);
        self.push(
            place,
            format!("“{value}”不是可选的{}，可选：{zh}", list.title_zh()),
            format!("{value:?} is not an allowed value; allowed: {en}"),
        );
    }

    /// A value only meaningful for another choice: reported, since import would drop it.
    fn stray(&mut self, place: Place, attribute: &str, attribute_value: &str, needs: &str) {
        let column = place.2;
        self.push(
            place,
            format!("“{column}”仅在{attribute}为“{needs}”时填写，当前为“{attribute_value}”：请清空此格或修改{attribute}"),
            format!(
                "{column} applies only when {attribute} is {needs}, but it is {attribute_value}: clear this cell or change {attribute}"
            ),
        );
    }

    fn number(&mut self, k: usize, c: usize) -> Option<u32> {
        let v = self.item(k, c);
        if v.is_empty() {
            return None;
        }
        let n = parse_u32(v);
        if n.is_none() {
            let place = self.item_place(k, c);
            self.push(place, format!("“{v}”不是非负整数"), format!("{v:?} is not a whole number"));
        }
        n
    }

    fn boolean(&mut self, place: Place, v: &str) -> bool {
        if v.is_empty() {
            return false;
        }
        parse_bool(v).unwrap_or_else(|| {
            self.push(place, format!("“{v}”应为“是”或“否”"), format!("{v:?} should be 是 (yes) or 否 (no)"));
            false
        })
    }
}

/// Parses one resource with its items and checks it.
pub(crate) fn assemble(input: ResourceInput, orgs: &OrgDirectory) -> ParsedResource {
    let item_headers = (0..i::COUNT).map(|c| item_header(input.csv, c)).collect();
    let mut cx =
        Ctx { input: &input, orgs, item_headers, problems: input.problems.clone(), suppressed: HashSet::new() };
    check_cells(&mut cx);
    let document = build_document(&mut cx);

    let located: HashSet<Place> = cx
        .problems
        .iter()
        .filter_map(|p| {
            let header = header_static(&p.column, &cx.item_headers)?;
            Some((p.sheet.clone(), p.row, header))
        })
        .collect();
    let mut domain = Vec::new();
    for problem in document.problems() {
        let place = locate(&cx, &problem.field);
        if located.contains(&place) || cx.suppressed.contains(&place) {
            continue;
        }
        let (sheet, row, column) = place;
        let p = RowProblem { sheet, row, column: column.to_string(), message: problem.message };
        if !domain.contains(&p) {
            domain.push(p);
        }
    }
    let mut problems = cx.problems;
    problems.extend(domain);
    // Resource row first, then items by row; within a row in column order.
    let order = |p: &RowProblem| {
        let col = RESOURCE_COLUMNS
            .iter()
            .position(|c| c.zh == p.column)
            .or_else(|| (0..i::COUNT).position(|c| item_header(input.csv, c) == p.column))
            .unwrap_or(usize::MAX);
        (p.sheet != input.sheet, p.row, col)
    };
    problems.sort_by_key(order);
    ParsedResource {
        key: input.key.clone(),
        sheet_row: input.row,
        document: problems.is_empty().then_some(document),
        problems,
        raw: input.raw.clone(),
    }
}

fn header_static(column: &str, item_headers: &[&'static str]) -> Option<&'static str> {
    RESOURCE_COLUMNS
        .iter()
        .map(|c| c.zh)
        .chain(item_headers.iter().copied())
        .chain(ITEM_COLUMNS.iter().map(|c| c.zh))
        .find(|h| *h == column)
}

/// Excel error values and empty required cells.
fn check_cells(cx: &mut Ctx) {
    let input = cx.input;
    let error_value = |v: &str| {
        (
            format!("单元格为 Excel 错误值 {v}：请填写实际的值"),
            format!("the cell holds the Excel error value {v}: enter the actual value"),
        )
    };
    for (c, col) in RESOURCE_COLUMNS.iter().enumerate() {
        let raw = input.cells.get(c).map_or("", |s| s.trim());
        if is_excel_error(raw) {
            let (zh, en) = error_value(raw);
            cx.push(cx.res_place(c), zh, en);
        } else if col.required && raw.is_empty() {
            cx.push(cx.res_place(c), "必填项为空", "required cell is empty");
        }
    }
    for k in 0..input.items.len() {
        for (c, col) in ITEM_COLUMNS.iter().enumerate() {
            if c == i::RESOURCE_KEY {
                continue;
            }
            let raw = input.items[k].cells.get(c).map_or("", |s| s.trim());
            if is_excel_error(raw) {
                let (zh, en) = error_value(raw);
                cx.push(cx.item_place(k, c), zh, en);
            } else if col.required && raw.is_empty() {
                cx.push(cx.item_place(k, c), "必填项为空", "required cell is empty");
            }
        }
    }
}

fn build_document(cx: &mut Ctx) -> ResourceDocument {
    let provider_name = cx.res(r::PROVIDER);
    let provider_org_id = if provider_name.is_empty() {
        0
    } else if let Some(id) = cx.orgs.id_of(provider_name) {
        id
    } else if cx.orgs.is_ambiguous(provider_name) {
        cx.push(
            cx.res_place(r::PROVIDER),
            format!("有多个单位名为“{provider_name}”，无法确定提供单位：请联系主管部门"),
            format!("more than one agency is called {provider_name:?}; ask the authority which one is meant"),
        );
        0
    } else {
        let names: Vec<String> = cx.orgs.names().into_iter().map(str::to_string).collect();
        let (zh, en) = list_values(&names, 10);
        let (zh, en) = if names.is_empty() { ("（无）".to_string(), "(none)".to_string()) } else { (zh, en) };
        cx.push(
            cx.res_place(r::PROVIDER),
            format!("未知的提供单位“{provider_name}”：请填写单位全称，可选：{zh}"),
            format!("unknown providing agency {provider_name:?}: use the agency's full name, one of: {en}"),
        );
        0
    };

    let category = cx.res(r::CATEGORY);
    let category = match parse_category(category) {
        Some(c) => c.code.to_string(),
        None => {
            if !category.is_empty() {
                cx.unknown(cx.res_place(r::CATEGORY), category, ValueList::Category);
            }
            category.to_string()
        }
    };

    let level_text = cx.res(r::LEVEL);
    let level = parse_level(level_text).unwrap_or_else(|| {
        if !level_text.is_empty() {
            cx.unknown(cx.res_place(r::LEVEL), level_text, ValueList::Level);
        }
        // Placeholder at the top, so no level rule fires because of it.
        cx.suppressed.insert(cx.res_place(r::OPEN));
        Level::L4
    });

    let storage_text = cx.res(r::STORAGE_FORMAT);
    let storage_format = parse_storage_format(storage_text).unwrap_or_else(|| {
        if !storage_text.is_empty() {
            cx.unknown(cx.res_place(r::STORAGE_FORMAT), storage_text, ValueList::StorageFormat);
        }
        StorageFormat::Other
    });

    let share = build_share(cx);
    let open = build_open(cx);

    let delivery_text = cx.res(r::DELIVERY);
    let (delivery, bad) = parse_delivery(delivery_text);
    if !bad.is_empty() {
        cx.unknown(cx.res_place(r::DELIVERY), &bad.join("、"), ValueList::Delivery);
    }

    let cycle_text = cx.res(r::UPDATE_CYCLE);
    let update_cycle = parse_update_cycle(cycle_text).unwrap_or_else(|| {
        if !cycle_text.is_empty() {
            cx.unknown(cx.res_place(r::UPDATE_CYCLE), cycle_text, ValueList::UpdateCycle);
        }
        UpdateCycle::Irregular
    });

    let term_text = cx.res(r::SHARE_TERM);
    let share_term = ShareTerm::parse(term_text).unwrap_or_else(|| {
        if !term_text.is_empty() {
            cx.push(
                cx.res_place(r::SHARE_TERM),
                format!("共享期限“{term_text}”无效：应为“长期”或 1 到 120 的月数"),
                format!("share term {term_text:?} is invalid: 长期 (long-term) or a number of months from 1 to 120"),
            );
        }
        ShareTerm::LongTerm
    });

    let secret_text = cx.res(r::STATE_SECRET);
    let state_secret = cx.boolean(cx.res_place(r::STATE_SECRET), secret_text);

    let items = (0..cx.input.items.len()).map(|k| build_item(cx, k)).collect();

    ResourceDocument {
        name: cx.res(r::NAME).to_string(),
        business_name: cx.res(r::BUSINESS_NAME).to_string(),
        source_system: cx.res(r::SOURCE_SYSTEM).to_string(),
        description: cx.res(r::DESCRIPTION).to_string(),
        provider_org_id,
        category,
        level,
        storage_format,
        share,
        open,
        delivery,
        update_cycle,
        share_term,
        contact_name: cx.res(r::CONTACT_NAME).to_string(),
        contact_phone: cx.res(r::CONTACT_PHONE).to_string(),
        contact_email: cx.res(r::CONTACT_EMAIL).to_string(),
        state_secret,
        items,
    }
    .normalized()
}

fn build_share(cx: &mut Ctx) -> ShareAttribute {
    let text = cx.res(r::SHARE);
    let kind = parse_share(text);
    let (reason, conditions, legal_basis) =
        (cx.res(r::SHARE_REASON), cx.res(r::SHARE_CONDITIONS), cx.res(r::LEGAL_BASIS));
    let Some(kind) = kind else {
        if !text.is_empty() {
            cx.unknown(cx.res_place(r::SHARE), text, ValueList::Share);
        }
        for c in [r::SHARE_REASON, r::SHARE_CONDITIONS, r::LEGAL_BASIS, r::OPEN] {
            cx.suppressed.insert(cx.res_place(c));
        }
        return ShareAttribute::Unconditional;
    };
    let attribute = match kind {
        ShareKind::Unconditional => ShareAttribute::Unconditional,
        ShareKind::Restricted => {
            ShareAttribute::Restricted { reason: reason.to_string(), conditions: conditions.to_string() }
        }
        ShareKind::NotShared => ShareAttribute::NotShared { legal_basis: legal_basis.to_string() },
    };
    let label = attribute.label_zh();
    if kind != ShareKind::Restricted {
        for c in [r::SHARE_REASON, r::SHARE_CONDITIONS] {
            if !cx.res(c).is_empty() {
                cx.stray(cx.res_place(c), "共享属性", label, "受限共享");
            }
        }
    }
    if kind != ShareKind::NotShared && !legal_basis.is_empty() {
        cx.stray(cx.res_place(r::LEGAL_BASIS), "共享属性", label, "不共享");
    }
    attribute
}

fn build_open(cx: &mut Ctx) -> OpenAttribute {
    let text = cx.res(r::OPEN);
    let (conditions, reason_text) = (cx.res(r::OPEN_CONDITIONS), cx.res(r::PROHIBITION));
    let Some(kind) = parse_open(text) else {
        if !text.is_empty() {
            cx.unknown(cx.res_place(r::OPEN), text, ValueList::Open);
        }
        for c in [r::OPEN_CONDITIONS, r::PROHIBITION] {
            cx.suppressed.insert(cx.res_place(c));
        }
        return OpenAttribute::Prohibited { reason: ProhibitionReason::Law };
    };
    let attribute = match kind {
        OpenKind::Unconditional => OpenAttribute::Unconditional,
        OpenKind::Restricted => OpenAttribute::Restricted { conditions: conditions.to_string() },
        OpenKind::Prohibited => {
            let reason = parse_prohibition(reason_text).unwrap_or_else(|| {
                if reason_text.is_empty() {
                    cx.push(
                        cx.res_place(r::PROHIBITION),
                        "禁止开放须选择第十八条规定的情形",
                        "prohibited opening needs one of Art.18's reasons",
                    );
                } else {
                    cx.unknown(cx.res_place(r::PROHIBITION), reason_text, ValueList::Prohibition);
                }
                ProhibitionReason::Law
            });
            OpenAttribute::Prohibited { reason }
        }
    };
    let label = attribute.label_zh();
    if kind != OpenKind::Restricted && !conditions.is_empty() {
        cx.stray(cx.res_place(r::OPEN_CONDITIONS), "开放属性", label, "受限开放");
    }
    if kind != OpenKind::Prohibited && !reason_text.is_empty() {
        cx.stray(cx.res_place(r::PROHIBITION), "开放属性", label, "禁止开放");
    }
    attribute
}

fn build_item(cx: &mut Ctx, k: usize) -> DataItem {
    let type_text = cx.item(k, i::TYPE);
    let item_type = parse_item_type(type_text).unwrap_or_else(|| {
        if !type_text.is_empty() {
            cx.unknown(cx.item_place(k, i::TYPE), type_text, ValueList::ItemType);
        }
        for c in [i::LENGTH, i::PRECISION, i::SCALE, i::CODE_LIST] {
            cx.suppressed.insert(cx.item_place(k, c));
        }
        ItemType::Text
    });
    let level_text = cx.item(k, i::LEVEL);
    let level = parse_level(level_text).unwrap_or_else(|| {
        if !level_text.is_empty() {
            cx.unknown(cx.item_place(k, i::LEVEL), level_text, ValueList::Level);
        }
        cx.suppressed.insert(cx.res_place(r::LEVEL));
        cx.suppressed.insert(cx.res_place(r::OPEN));
        Level::L1
    });
    let length = cx.number(k, i::LENGTH);
    let precision = cx.number(k, i::PRECISION);
    let scale = cx.number(k, i::SCALE);
    let required = cx.boolean(cx.item_place(k, i::REQUIRED), cx.item(k, i::REQUIRED));
    let unique_key = cx.boolean(cx.item_place(k, i::UNIQUE_KEY), cx.item(k, i::UNIQUE_KEY));
    let code_list_text = cx.item(k, i::CODE_LIST);
    let code_list = parse_code_list(code_list_text).unwrap_or_else(|bad| {
        cx.push(
            cx.item_place(k, i::CODE_LIST),
            format!("代码表条目“{bad}”缺少“=”：应写作 代码=名称，用“;”分隔，如 1=男;2=女"),
            format!("code list entry {bad:?} lacks '=': write code=label separated by ';', e.g. 1=男;2=女"),
        );
        Vec::new()
    });
    DataItem {
        code: cx.item(k, i::CODE).to_string(),
        name: cx.item(k, i::NAME).to_string(),
        item_type,
        length,
        precision,
        scale,
        required,
        unique_key,
        description: cx.item(k, i::DESCRIPTION).to_string(),
        level,
        code_list,
    }
}

/// Where a field the domain names (`share.conditions`, `items[2].length`) is in the file.
fn locate(cx: &Ctx, field: &str) -> Place {
    if let Some(rest) = field.strip_prefix("items[")
        && let Some((index, sub)) = rest.split_once("].")
        && let Ok(k) = index.parse::<usize>()
        && k < cx.input.items.len()
    {
        let c = ITEM_COLUMNS.iter().position(|col| col.en == sub).unwrap_or(i::CODE);
        return cx.item_place(k, c);
    }
    let c = match field {
        "provider_org_id" => r::PROVIDER,
        "items" => r::KEY,
        f => find_column(&RESOURCE_COLUMNS, f)
            .or_else(|| f.split('.').next().and_then(|head| find_column(&RESOURCE_COLUMNS, head)))
            .unwrap_or(r::KEY),
    };
    cx.res_place(c)
}

fn find_column(cols: &[Column], en: &str) -> Option<usize> {
    cols.iter().position(|c| c.en == en)
}

/// Links the rows of sheets 资源 and 数据项 by 序号, then parses each resource. Duplicate 序号
/// are reported on every row that uses one; items whose 资源序号 matches no resource are
/// collected under a placeholder (`sheet_row` 0) per key.
pub(crate) fn assemble_sheets(
    resource_rows: Vec<RawRow>,
    item_rows: Vec<RawRow>,
    orgs: &OrgDirectory,
) -> Vec<ParsedResource> {
    let key_of = |row: &RawRow, c: usize| row.cells.get(c).map_or(String::new(), |s| s.trim().to_string());
    let mut rows_by_key: HashMap<String, Vec<usize>> = HashMap::new();
    for row in &resource_rows {
        let key = key_of(row, r::KEY);
        if !key.is_empty() {
            rows_by_key.entry(key).or_default().push(row.row);
        }
    }
    let mut inputs: Vec<ResourceInput> = Vec::with_capacity(resource_rows.len());
    let mut first_with_key: HashMap<String, usize> = HashMap::new();
    for row in resource_rows {
        let key = key_of(&row, r::KEY);
        let mut problems = Vec::new();
        if let Some(rows) = rows_by_key.get(&key).filter(|rows| rows.len() > 1) {
            let list: Vec<String> = rows.iter().map(usize::to_string).collect();
            problems.push(RowProblem {
                sheet: RESOURCE_SHEET.to_string(),
                row: row.row,
                column: RESOURCE_COLUMNS[r::KEY].zh.to_string(),
                message: Text::new(
                    format!("序号“{key}”重复（第 {} 行）：每个资源的序号须唯一", list.join("、")),
                    format!("序号 {key:?} is used by rows {}: each resource needs its own", list.join(", ")),
                ),
            });
        }
        if !key.is_empty() {
            first_with_key.entry(key.clone()).or_insert(inputs.len());
        }
        inputs.push(ResourceInput {
            key,
            sheet: RESOURCE_SHEET.to_string(),
            row: row.row,
            cells: row.cells.clone(),
            items: Vec::new(),
            problems,
            raw: vec![row],
            csv: false,
        });
    }

    let mut orphans: Vec<(String, Vec<RawRow>)> = Vec::new();
    for row in item_rows {
        let key = key_of(&row, i::RESOURCE_KEY);
        match first_with_key.get(&key) {
            Some(&n) => {
                inputs[n].items.push(ItemInput {
                    sheet: ITEM_SHEET.to_string(),
                    row: row.row,
                    cells: row.cells.clone(),
                });
                inputs[n].raw.push(row);
            }
            None => match orphans.iter_mut().find(|(k, _)| *k == key) {
                Some((_, rows)) => rows.push(row),
                None => orphans.push((key, vec![row])),
            },
        }
    }

    let mut out: Vec<ParsedResource> = inputs.into_iter().map(|input| assemble(input, orgs)).collect();
    for (key, rows) in orphans {
        let problems = rows
            .iter()
            .map(|row| {
                let (zh, en) = if key.is_empty() {
                    ("必填项为空".to_string(), "required cell is empty".to_string())
                } else {
                    (
                        format!("资源序号“{key}”在“资源”表中没有对应的序号"),
                        format!("资源序号 {key:?} matches no 序号 on sheet 资源"),
                    )
                };
                RowProblem {
                    sheet: ITEM_SHEET.to_string(),
                    row: row.row,
                    column: ITEM_COLUMNS[i::RESOURCE_KEY].zh.to_string(),
                    message: Text::new(zh, en),
                }
            })
            .collect();
        out.push(ParsedResource { key, sheet_row: 0, document: None, problems, raw: rows });
    }
    out
}
