//! Writing workbooks: the empty template, a catalog export in the same layout (re-importable),
//! and error reports that show the user's rows with what is wrong beside them.

use crate::error::IoError;
use crate::layout::{
    CSV_SHEET, Column, EXPORT_COLUMNS, INSTRUCTIONS_SHEET, ITEM_COLUMNS, ITEM_SHEET, PROBLEMS_HEADER,
    PROBLEMS_HEADER_EN, RESOURCE_COLUMNS, RESOURCE_SHEET, ValueList, column_letter, columns_of, i, normalize_header, r,
};
use crate::text::{bool_text, code_list_text, delivery_text};
use crate::{FileProblem, OrgDirectory, ParsedResource, RawRow, RowProblem};
use pubdata_domain::catalog::{Category, DataItem, OpenAttribute, ResourceDocument, ShareAttribute, ShareTerm};
use rust_xlsxwriter::{Color, DataValidation, Format, FormatAlign, FormatBorder, Formula, Note, Workbook, Worksheet};
use std::collections::HashMap;

/// One resource of a catalog export: the platform's id, state (Chinese label) and version
/// besides the document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportRow {
    pub id: i64,
    /// The catalog state as users read it (e.g. 已发布).
    pub state: String,
    pub version: i64,
    pub document: ResourceDocument,
}

/// The last row drop-downs and input hints reach (1-based, as Excel shows it).
const VALIDATED_ROWS: u32 = 20_000;
/// Data starts on the third row: Chinese headers, then English field names.
const FIRST_DATA_ROW: u32 = 2;

struct Styles {
    required: Format,
    optional: Format,
    extra: Format,
    english: Format,
    problems_header: Format,
    bad_row: Format,
    bad_cell: Format,
    problems: Format,
    title: Format,
    bold: Format,
    wrap: Format,
    grey: Format,
}

impl Styles {
    fn new() -> Styles {
        let header = Format::new().set_bold().set_border(FormatBorder::Thin).set_align(FormatAlign::Center);
        Styles {
            required: header.clone().set_background_color(Color::RGB(0xFCE4D6)),
            optional: header.clone().set_background_color(Color::RGB(0xDDEBF7)),
            extra: header.clone().set_background_color(Color::RGB(0xEDEDED)),
            english: Format::new()
                .set_italic()
                .set_font_color(Color::RGB(0x808080))
                .set_background_color(Color::RGB(0xF2F2F2))
                .set_align(FormatAlign::Center),
            problems_header: header.set_background_color(Color::RGB(0xFFC7CE)).set_font_color(Color::RGB(0x9C0006)),
            bad_row: Format::new().set_background_color(Color::RGB(0xFFF2CC)),
            bad_cell: Format::new()
                .set_background_color(Color::RGB(0xFFC7CE))
                .set_font_color(Color::RGB(0x9C0006))
                .set_border(FormatBorder::Thin)
                .set_border_color(Color::RGB(0xC00000)),
            problems: Format::new()
                .set_text_wrap()
                .set_font_color(Color::RGB(0x9C0006))
                .set_background_color(Color::RGB(0xFFF2CC)),
            title: Format::new().set_bold().set_font_size(14),
            bold: Format::new().set_bold(),
            wrap: Format::new().set_text_wrap(),
            grey: Format::new().set_font_color(Color::RGB(0x808080)),
        }
    }
}

/// A value to write: text, or a number (so that Excel shows 18, and import reads it back).
enum Cell {
    Text(String),
    Number(f64),
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn put(ws: &mut Worksheet, row: u32, col: u16, cell: &Cell) -> Result<(), IoError> {
    match cell {
        Cell::Text(s) if s.is_empty() => {}
        Cell::Text(s) => {
            ws.write_string(row, col, s)?;
        }
        Cell::Number(n) => {
            ws.write_number(row, col, *n)?;
        }
    }
    Ok(())
}

fn col16(c: usize) -> u16 {
    u16::try_from(c).unwrap_or(u16::MAX)
}

fn row32(r: usize) -> u32 {
    u32::try_from(r).unwrap_or(u32::MAX)
}

/// The empty template: sheets 资源 and 数据项 with headers, hints and drop-downs, and 填写说明
/// with the instructions, the allowed values and the provider agencies.
pub fn template_xlsx(orgs: &OrgDirectory) -> Result<Vec<u8>, IoError> {
    let styles = Styles::new();
    let (instructions, lists) = instructions_sheet(orgs, &styles)?;
    let mut workbook = Workbook::new();
    workbook.push_worksheet(data_sheet(RESOURCE_SHEET, &RESOURCE_COLUMNS, &[], &styles, Some(&lists))?);
    workbook.push_worksheet(data_sheet(ITEM_SHEET, &ITEM_COLUMNS, &[], &styles, Some(&lists))?);
    workbook.push_worksheet(instructions);
    Ok(workbook.save_to_buffer()?)
}

/// A catalog in the template's layout, plus 资源编号, 状态 and 版本 (which import ignores), so
/// that an exported file can be edited and imported again.
pub fn export_xlsx(resources: &[ExportRow], orgs: &OrgDirectory) -> Result<Vec<u8>, IoError> {
    let styles = Styles::new();
    let (instructions, lists) = instructions_sheet(orgs, &styles)?;
    let mut res = data_sheet(RESOURCE_SHEET, &RESOURCE_COLUMNS, &EXPORT_COLUMNS, &styles, Some(&lists))?;
    let mut items = data_sheet(ITEM_SHEET, &ITEM_COLUMNS, &[], &styles, Some(&lists))?;
    let mut item_row = FIRST_DATA_ROW;
    for (n, export) in resources.iter().enumerate() {
        let row = FIRST_DATA_ROW + row32(n);
        let key = (n + 1) as f64;
        let mut cells = resource_cells(&export.document, key, orgs);
        cells.push(Cell::Number(export.id as f64));
        cells.push(text(export.state.clone()));
        cells.push(Cell::Number(export.version as f64));
        for (c, cell) in cells.iter().enumerate() {
            put(&mut res, row, col16(c), cell)?;
        }
        for item in &export.document.items {
            for (c, cell) in item_cells(item, key).iter().enumerate() {
                put(&mut items, item_row, col16(c), cell)?;
            }
            item_row += 1;
        }
    }
    let mut workbook = Workbook::new();
    workbook.push_worksheet(res);
    workbook.push_worksheet(items);
    workbook.push_worksheet(instructions);
    Ok(workbook.save_to_buffer()?)
}

fn resource_cells(d: &ResourceDocument, key: f64, orgs: &OrgDirectory) -> Vec<Cell> {
    let mut cells: Vec<Cell> = (0..r::COUNT).map(|_| text("")).collect();
    let (reason, conditions, legal_basis) = match &d.share {
        ShareAttribute::Unconditional => ("", "", ""),
        ShareAttribute::Restricted { reason, conditions } => (reason.as_str(), conditions.as_str(), ""),
        ShareAttribute::NotShared { legal_basis } => ("", "", legal_basis.as_str()),
    };
    let (open_conditions, prohibition) = match &d.open {
        OpenAttribute::Unconditional => ("", ""),
        OpenAttribute::Restricted { conditions } => (conditions.as_str(), ""),
        OpenAttribute::Prohibited { reason } => ("", reason.label_zh()),
    };
    cells[r::KEY] = Cell::Number(key);
    cells[r::NAME] = text(d.name.clone());
    cells[r::BUSINESS_NAME] = text(d.business_name.clone());
    cells[r::SOURCE_SYSTEM] = text(d.source_system.clone());
    cells[r::DESCRIPTION] = text(d.description.clone());
    cells[r::PROVIDER] =
        text(orgs.name_of(d.provider_org_id).map_or_else(|| d.provider_org_id.to_string(), str::to_string));
    cells[r::CATEGORY] = text(Category::find(&d.category).map_or(d.category.as_str(), |c| c.zh));
    cells[r::LEVEL] = text(d.level.as_str());
    cells[r::STORAGE_FORMAT] = text(d.storage_format.label_zh());
    cells[r::SHARE] = text(d.share.label_zh());
    cells[r::SHARE_REASON] = text(reason);
    cells[r::SHARE_CONDITIONS] = text(conditions);
    cells[r::LEGAL_BASIS] = text(legal_basis);
    cells[r::OPEN] = text(d.open.label_zh());
    cells[r::OPEN_CONDITIONS] = text(open_conditions);
    cells[r::PROHIBITION] = text(prohibition);
    cells[r::DELIVERY] = text(delivery_text(&d.delivery));
    cells[r::UPDATE_CYCLE] = text(d.update_cycle.label_zh());
    cells[r::SHARE_TERM] = match d.share_term {
        ShareTerm::LongTerm => text("长期"),
        ShareTerm::Months { months } => Cell::Number(f64::from(months)),
    };
    cells[r::CONTACT_NAME] = text(d.contact_name.clone());
    cells[r::CONTACT_PHONE] = text(d.contact_phone.clone());
    cells[r::CONTACT_EMAIL] = text(d.contact_email.clone());
    cells[r::STATE_SECRET] = text(bool_text(d.state_secret));
    cells
}

fn item_cells(item: &DataItem, key: f64) -> Vec<Cell> {
    let number = |n: Option<u32>| n.map_or_else(|| text(""), |n| Cell::Number(f64::from(n)));
    let mut cells: Vec<Cell> = (0..i::COUNT).map(|_| text("")).collect();
    cells[i::RESOURCE_KEY] = Cell::Number(key);
    cells[i::CODE] = text(item.code.clone());
    cells[i::NAME] = text(item.name.clone());
    cells[i::TYPE] = text(item.item_type.label_zh());
    cells[i::LENGTH] = number(item.length);
    cells[i::PRECISION] = number(item.precision);
    cells[i::SCALE] = number(item.scale);
    cells[i::REQUIRED] = text(bool_text(item.required));
    cells[i::UNIQUE_KEY] = text(bool_text(item.unique_key));
    cells[i::DESCRIPTION] = text(item.description.clone());
    cells[i::LEVEL] = text(item.level.as_str());
    cells[i::CODE_LIST] = text(code_list_text(&item.code_list));
    cells
}

fn width(c: &Column) -> f64 {
    match c.en {
        "name" | "business_name" | "source_system" | "provider" | "share.conditions" | "share.legal_basis"
        | "open.conditions" | "open.reason" | "code_list" => 24.0,
        "description" => 30.0,
        "key" | "resource_key" | "level" | "required" | "unique_key" | "length" | "precision" | "scale" => 10.0,
        _ => 14.0,
    }
}

/// A data sheet with its two header rows, hints and (when `lists` is given) drop-downs.
fn data_sheet(
    name: &str,
    columns: &[Column],
    extras: &[Column],
    styles: &Styles,
    lists: Option<&HashMap<ValueList, String>>,
) -> Result<Worksheet, IoError> {
    let mut ws = Worksheet::new();
    ws.set_name(name)?;
    for (c, col) in columns.iter().chain(extras).enumerate() {
        let c16 = col16(c);
        let style = if c >= columns.len() {
            &styles.extra
        } else if col.required {
            &styles.required
        } else {
            &styles.optional
        };
        ws.write_string_with_format(0, c16, col.zh, style)?;
        ws.write_string_with_format(1, c16, col.en, &styles.english)?;
        ws.set_column_width(c16, width(col))?;
        let required = if col.required { "必填 / required" } else { "选填 / optional" };
        let note = [col.zh, col.en, required, col.hint_zh, col.hint_en]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join("\n");
        ws.insert_note(0, c16, &Note::new(note).add_author_prefix(false).set_width(260).set_height(120))?;
        if c >= columns.len() {
            continue;
        }
        let Some(lists) = lists else { continue };
        let mut validation = match col.list.and_then(|l| lists.get(&l).map(|range| (l, range))) {
            Some((list, range)) => {
                let v = DataValidation::new().allow_list_formula(Formula::new(range.as_str()));
                if list.strict() {
                    v.set_error_title("不在可选值中")?.set_error_message(format!(
                        "请从下拉列表中选择，可选值见“{INSTRUCTIONS_SHEET}”。\nPick a value from the list (see {INSTRUCTIONS_SHEET})."
                    ))?
                } else {
                    v.show_error_message(false)
                }
            }
            None => DataValidation::new().allow_any_value(),
        };
        let hint = if col.hint_zh.is_empty() { required.to_string() } else { format!("{required}\n{}", col.hint_zh) };
        validation = validation.set_input_title(truncate(col.zh, 32))?.set_input_message(truncate(&hint, 250))?;
        ws.add_data_validation(FIRST_DATA_ROW, c16, VALIDATED_ROWS - 1, c16, &validation)?;
    }
    ws.set_freeze_panes(FIRST_DATA_ROW, 0)?;
    Ok(ws)
}

fn truncate(s: &str, max: usize) -> String {
    let mut out = String::new();
    for ch in s.chars() {
        if out.encode_utf16().count() + ch.len_utf16() > max {
            break;
        }
        out.push(ch);
    }
    out
}

/// 填写说明: instructions, every column explained, then the allowed values in columns the
/// drop-downs refer to. Returns the sheet and, per list, the range its drop-down uses.
fn instructions_sheet(
    orgs: &OrgDirectory,
    styles: &Styles,
) -> Result<(Worksheet, HashMap<ValueList, String>), IoError> {
    let mut ws = Worksheet::new();
    ws.set_name(INSTRUCTIONS_SHEET)?;
    ws.write_string_with_format(0, 0, "公共数据资源目录导入模板 · 填写说明", &styles.title)?;
    ws.write_string_with_format(1, 0, "Public data resource catalog: import template and instructions", &styles.grey)?;
    let steps: [(&str, &str); 10] = [
        (
            "每个资源在“资源”表填一行，每个数据项在“数据项”表填一行，数据项的“资源序号”填所属资源的“序号”（第七条）。",
            "One row per resource on sheet 资源, one row per data item on sheet 数据项; an item's 资源序号 is its resource's 序号 (Art.7).",
        ),
        (
            "第 1 行为表头，导入时按中文表头识别（列的顺序可以调整）；第 2 行为英文字段名；请从第 3 行起填写。",
            "Row 1 holds the headers; import matches the Chinese ones (columns may be reordered). Row 2 holds the English field names. Fill in from row 3.",
        ),
        (
            "橙色表头为必填列，蓝色为选填列；选中单元格可看到填写提示，表头的批注有中英文说明。",
            "Orange headers are required, blue ones optional; selecting a cell shows a hint, and each header's note explains it.",
        ),
        (
            "受限共享须填写“受限理由”和“共享条件”，不共享须填写“不共享依据”（第十四条）；受限开放须填写“开放条件”，禁止开放须选择“禁止开放情形”（第十八条）。",
            "Restricted sharing needs 受限理由 and 共享条件; not sharing needs 不共享依据 (Art.14). Restricted opening needs 开放条件; prohibited opening needs 禁止开放情形 (Art.18).",
        ),
        (
            "资源的分级不得低于其数据项的最高分级；含 L2、L3 数据项的资源不能无条件开放，含 L4 数据项的资源禁止开放。",
            "A resource's level is at least its highest item's; resources with L2 or L3 items cannot be open unconditionally, those with L4 items must not be opened.",
        ),
        (
            "涉及国家秘密的数据按照保密法律法规管理，不在本平台登记（第二条）。",
            "Data involving state secrets is governed by secrecy law and is not registered here (Art.2).",
        ),
        (
            "带下拉列表的列请从列表中选择（可选值见下表）；“提供方式”可填多个，用“、”分隔；“共享期限”填“长期”或月数。",
            "Pick from the drop-down lists (allowed values below); 提供方式 takes several values separated by 、; 共享期限 is 长期 or a number of months.",
        ),
        (
            "不要合并单元格，不要使用公式（复制后“选择性粘贴 → 数值”），不要修改工作表名称和表头。",
            "Do not merge cells, do not use formulas (paste special → values), do not rename sheets or headers.",
        ),
        (
            "导入发现问题时会生成错误报告：在最后一列“错误说明”查看原因，改正后可直接导入该报告。",
            "When import finds problems it produces an error report: the last column 错误说明 says why; correct the rows and import the report itself.",
        ),
        (
            "只能导出 CSV 的系统可使用 CSV 模板：每个数据项一行，资源的各列在同一资源的每一行重复填写（须一致）；数据项的中文名称、说明、分级三列名为“数据项名称”“数据项说明”“数据项分级”。编码可为 UTF-8、GBK 或 GB18030。",
            "Systems that only produce CSV use the CSV template: one line per data item, the resource columns repeated (and equal) on every line of the resource; the item's name, description and level columns are 数据项名称, 数据项说明, 数据项分级. UTF-8, GBK or GB18030.",
        ),
    ];
    let mut row: u32 = 3;
    for (n, (zh, en)) in steps.iter().enumerate() {
        ws.write_string(row, 0, format!("{}. {zh}", n + 1))?;
        ws.write_string_with_format(row + 1, 0, format!("   {en}"), &styles.grey)?;
        row += 2;
    }

    row += 1;
    ws.write_string_with_format(row, 0, "各列说明 / Columns", &styles.title)?;
    row += 1;
    let heads =
        ["工作表 Sheet", "列名 Column", "字段 Field", "必填 Required", "说明", "Description", "可选值 Allowed values"];
    for (c, h) in heads.iter().enumerate() {
        ws.write_string_with_format(row, col16(c), *h, &styles.bold)?;
    }
    row += 1;
    for (sheet, columns) in [(RESOURCE_SHEET, RESOURCE_COLUMNS.as_slice()), (ITEM_SHEET, ITEM_COLUMNS.as_slice())] {
        for col in columns {
            ws.write_string(row, 0, sheet)?;
            ws.write_string(row, 1, col.zh)?;
            ws.write_string(row, 2, col.en)?;
            ws.write_string(row, 3, if col.required { "是" } else { "否" })?;
            ws.write_string_with_format(row, 4, col.hint_zh, &styles.wrap)?;
            ws.write_string_with_format(row, 5, col.hint_en, &styles.wrap)?;
            if let Some(list) = col.list {
                let values = list.values_en(orgs);
                let values = if list == ValueList::Provider {
                    format!("见下方“{}”列 / see the list below", list.title_zh())
                } else {
                    values.join("、")
                };
                ws.write_string_with_format(row, 6, values, &styles.wrap)?;
            }
            row += 1;
        }
    }

    row += 1;
    ws.write_string_with_format(row, 0, "可选值 / Allowed values", &styles.title)?;
    row += 1;
    let mut lists = HashMap::new();
    for (c, list) in ValueList::ALL.iter().enumerate() {
        let c16 = col16(c);
        ws.write_string_with_format(row, c16, list.title_zh(), &styles.bold)?;
        let values = list.values(orgs);
        if values.is_empty() {
            ws.write_string_with_format(row + 1, c16, "（未提供单位名单）", &styles.grey)?;
            continue;
        }
        for (n, v) in values.iter().enumerate() {
            ws.write_string(row + 1 + row32(n), c16, v)?;
        }
        let letter = column_letter(c);
        let (first, last) = (row + 2, row + 1 + row32(values.len()));
        lists.insert(*list, format!("='{INSTRUCTIONS_SHEET}'!${letter}${first}:${letter}${last}"));
    }
    for c in 0..7 {
        ws.set_column_width(c, if c == 4 || c == 5 || c == 6 { 40 } else { 16 })?;
    }
    Ok((ws, lists))
}

fn problems_by_row(parsed: &[ParsedResource]) -> HashMap<(&str, usize), Vec<&RowProblem>> {
    let mut map: HashMap<(&str, usize), Vec<&RowProblem>> = HashMap::new();
    for p in parsed.iter().flat_map(|p| &p.problems) {
        map.entry((p.sheet.as_str(), p.row)).or_default().push(p);
    }
    map
}

/// What the 错误说明 column says: each problem in Chinese, then each in English.
fn problems_text(problems: &[&RowProblem]) -> String {
    let zh: Vec<String> = problems.iter().map(|p| format!("【{}】{}", p.column, p.message.zh)).collect();
    let en: Vec<String> = problems.iter().map(|p| format!("[{}] {}", p.column, p.message.en)).collect();
    format!("{}\n—\n{}", zh.join("\n"), en.join("\n"))
}

/// The user's rows in the template's layout with a last column 错误说明 / Problems on every row
/// that has problems (rows highlighted, the cells named in red), after a summary sheet; for a
/// file-level problem, a sheet explaining it, followed by what could be read of the original.
pub fn error_report_xlsx(
    parsed: &[ParsedResource],
    file_problem: Option<&FileProblem>,
    original: &[u8],
) -> Result<Vec<u8>, IoError> {
    let styles = Styles::new();
    let mut workbook = Workbook::new();
    if let Some(problem) = file_problem {
        workbook.push_worksheet(file_problem_sheet(problem, &styles)?);
        copy_original(&mut workbook, original, problem, &styles)?;
        return Ok(workbook.save_to_buffer()?);
    }
    workbook.push_worksheet(summary_sheet(parsed, &styles)?);
    let by_row = problems_by_row(parsed);
    let from_csv = parsed.iter().flat_map(|p| &p.raw).any(|r| r.sheet == CSV_SHEET);
    let sheets: &[&str] = if from_csv { &[CSV_SHEET] } else { &[RESOURCE_SHEET, ITEM_SHEET] };
    for &sheet in sheets {
        let columns = columns_of(sheet);
        let rows: Vec<&RawRow> = parsed.iter().flat_map(|p| &p.raw).filter(|r| r.sheet == sheet).collect();
        let mut ws = Worksheet::new();
        ws.set_name(sheet)?;
        let problems_col = col16(columns.len());
        for (c, col) in columns.iter().enumerate() {
            let style = if col.required { &styles.required } else { &styles.optional };
            ws.write_string_with_format(0, col16(c), col.zh, style)?;
            ws.set_column_width(col16(c), width(col))?;
        }
        ws.write_string_with_format(
            0,
            problems_col,
            format!("{PROBLEMS_HEADER} / {PROBLEMS_HEADER_EN}"),
            &styles.problems_header,
        )?;
        ws.set_column_width(problems_col, 70)?;
        if !rows.iter().any(|r| r.row == 2) {
            for (c, col) in columns.iter().enumerate() {
                ws.write_string_with_format(1, col16(c), col.en, &styles.english)?;
            }
            ws.write_string_with_format(1, problems_col, "problems", &styles.english)?;
        }
        for raw in rows {
            let row = row32(raw.row.saturating_sub(1));
            let problems = by_row.get(&(sheet, raw.row)).map(Vec::as_slice).unwrap_or_default();
            for (c, value) in raw.cells.iter().enumerate() {
                let named = problems.iter().any(|p| p.column == columns.get(c).map_or("", |col| col.zh));
                match (problems.is_empty(), named) {
                    (true, _) => {
                        if !value.is_empty() {
                            ws.write_string(row, col16(c), value)?;
                        }
                    }
                    (false, true) => {
                        ws.write_string_with_format(row, col16(c), value, &styles.bad_cell)?;
                    }
                    (false, false) => {
                        ws.write_string_with_format(row, col16(c), value, &styles.bad_row)?;
                    }
                }
            }
            if !problems.is_empty() {
                ws.write_string_with_format(row, problems_col, problems_text(problems), &styles.problems)?;
            }
        }
        ws.set_freeze_panes(1, 0)?;
        workbook.push_worksheet(ws);
    }
    Ok(workbook.save_to_buffer()?)
}

fn summary_sheet(parsed: &[ParsedResource], styles: &Styles) -> Result<Worksheet, IoError> {
    let mut ws = Worksheet::new();
    ws.set_name("错误汇总")?;
    let total = parsed.iter().filter(|p| p.sheet_row > 0).count();
    let ok = parsed.iter().filter(|p| p.is_ok()).count();
    let count: usize = parsed.iter().map(|p| p.problems.len()).sum();
    ws.write_string_with_format(0, 0, "导入错误报告 / Import problems", &styles.title)?;
    ws.write_string(
        1,
        0,
        format!("共 {total} 个资源：{ok} 个可以导入，{} 个有问题，共 {count} 处问题。", total.saturating_sub(ok)),
    )?;
    ws.write_string_with_format(
        2,
        0,
        format!(
            "{total} resources: {ok} can be imported, {} have problems ({count} in all).",
            total.saturating_sub(ok)
        ),
        &styles.grey,
    )?;
    ws.write_string(
        3,
        0,
        "在后面的工作表中，有问题的行以黄色标出，有问题的单元格以红色标出，最后一列“错误说明”写明原因；改正后可直接导入本文件。",
    )?;
    ws.write_string_with_format(
        4,
        0,
        "In the following sheets, rows with problems are yellow and the cells concerned red; the last column says why. Correct them and import this file.",
        &styles.grey,
    )?;
    let heads = ["工作表 Sheet", "行 Row", "列 Column", "说明", "Problem"];
    for (c, h) in heads.iter().enumerate() {
        ws.write_string_with_format(6, col16(c), *h, &styles.bold)?;
    }
    for (row, p) in (7..).zip(parsed.iter().flat_map(|p| &p.problems)) {
        ws.write_string(row, 0, &p.sheet)?;
        ws.write_number(row, 1, p.row as f64)?;
        ws.write_string(row, 2, &p.column)?;
        ws.write_string_with_format(row, 3, p.message.zh.as_ref(), &styles.wrap)?;
        ws.write_string_with_format(row, 4, p.message.en.as_ref(), &styles.wrap)?;
    }
    for (c, w) in [12, 8, 14, 60, 60].iter().enumerate() {
        ws.set_column_width(col16(c), *w)?;
    }
    Ok(ws)
}

fn file_problem_sheet(problem: &FileProblem, styles: &Styles) -> Result<Worksheet, IoError> {
    let mut ws = Worksheet::new();
    ws.set_name("错误报告")?;
    ws.write_string_with_format(0, 0, "文件无法导入 / The file cannot be imported", &styles.title)?;
    let rows = [
        ("工作表 / Sheet", problem.sheet.clone().unwrap_or_default()),
        ("行 / Row", problem.row.map(|r| r.to_string()).unwrap_or_default()),
        ("列 / Column", problem.column.clone().unwrap_or_default()),
        ("原因", problem.message.zh.to_string()),
        ("Reason", problem.message.en.to_string()),
        (
            "处理 / What to do",
            "按原因改正文件后重新导入；文件的其余部分尚未检查。\nCorrect the file as explained and import it again; the rest of it has not been checked yet."
                .to_string(),
        ),
    ];
    for (n, (label, value)) in rows.iter().enumerate() {
        let row = row32(n + 2);
        ws.write_string_with_format(row, 0, *label, &styles.bold)?;
        ws.write_string_with_format(row, 1, value, &styles.wrap)?;
    }
    ws.set_column_width(0, 20)?;
    ws.set_column_width(1, 90)?;
    Ok(ws)
}

/// A row's number (1-based) and its cells.
type NumberedRow = (usize, Vec<String>);

/// What can be read of the original file, with the problem's row highlighted. Best effort: a
/// file that cannot be read at all gets no copy.
fn copy_original(
    workbook: &mut Workbook,
    original: &[u8],
    problem: &FileProblem,
    styles: &Styles,
) -> Result<(), IoError> {
    let mut sheets: Vec<(String, Vec<NumberedRow>)> = Vec::new();
    if original.starts_with(b"PK") {
        use calamine::Reader;
        let Ok(mut xlsx) = crate::xlsx_in::open(original) else { return Ok(()) };
        for name in xlsx.sheet_names().into_iter().take(20) {
            let Ok(range) = xlsx.worksheet_range(&name) else { continue };
            let Some((row0, col0)) = range.start() else { continue };
            let rows = range
                .rows()
                .enumerate()
                .map(|(n, row)| {
                    let mut cells = vec![String::new(); col0 as usize];
                    cells.extend(row.iter().map(crate::xlsx_in::cell_text));
                    (row0 as usize + n + 1, cells)
                })
                .collect();
            sheets.push((name, rows));
        }
    } else if !original.is_empty() {
        let text = crate::csv_in::decode_lossy(original);
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
        let mut rows = Vec::new();
        for record in reader.records().take(1_000_000) {
            let Ok(record) = record else { break };
            let line = record.position().map_or(rows.len() + 1, |p| p.line() as usize);
            rows.push((line, record.iter().map(str::to_string).collect()));
        }
        sheets.push((CSV_SHEET.to_string(), rows));
    }
    for (n, (name, rows)) in sheets.into_iter().enumerate() {
        let mut ws = Worksheet::new();
        if name == "错误报告" || ws.set_name(&name).is_err() {
            ws.set_name(format!("原文件{}", n + 1))?;
        }
        let here = problem.sheet.as_deref().is_none_or(|s| s == name);
        let column = problem.column.as_deref().and_then(|c| {
            let header = rows.first().map(|(_, cells)| cells.as_slice()).unwrap_or_default();
            header.iter().position(|h| normalize_header(h) == c).or_else(|| letter_index(c))
        });
        for (line, cells) in rows {
            let Ok(row) = u32::try_from(line.saturating_sub(1)) else { break };
            if row >= 1_048_576 {
                break;
            }
            let bad_row = here && problem.row == Some(line);
            for (c, value) in cells.iter().enumerate() {
                let Ok(c16) = u16::try_from(c) else { break };
                if c16 >= 16_384 {
                    break;
                }
                if bad_row {
                    let style = if column == Some(c) { &styles.bad_cell } else { &styles.bad_row };
                    ws.write_string_with_format(row, c16, value, style)?;
                } else if !value.is_empty() {
                    ws.write_string(row, c16, value)?;
                }
            }
        }
        workbook.push_worksheet(ws);
    }
    Ok(())
}

/// `C` → 2, `AA` → 26; `None` for anything but capital letters.
fn letter_index(s: &str) -> Option<usize> {
    if s.is_empty() || s.len() > 3 || !s.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    Some(s.bytes().fold(0usize, |acc, b| acc * 26 + usize::from(b - b'A') + 1) - 1)
}
