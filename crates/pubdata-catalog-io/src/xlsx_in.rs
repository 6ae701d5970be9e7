//! Reading the Excel template back (Art.7): sheets 资源 and 数据项, headers matched by their
//! Chinese names in any order, values read as the text the user typed.

use crate::assemble::assemble_sheets;
use crate::layout::{ITEM_SHEET, RESOURCE_SHEET, column_letter, columns_of, ignored_headers, normalize_header};
use crate::text::number_text;
use crate::{FileProblem, OrgDirectory, ParsedResource, RawRow};
use calamine::{Data, Reader, Xlsx};
use std::io::Cursor;

/// Reads a filled-in template. A file that cannot be read as a whole (not xlsx, a sheet or a
/// header missing or wrong, merged cells, formulas) is refused with a [`FileProblem`] naming
/// the place; otherwise every resource row comes back as a [`ParsedResource`], with its
/// document or with every problem found, each naming sheet, row and column.
pub fn parse_xlsx(bytes: &[u8], orgs: &OrgDirectory) -> Result<Vec<ParsedResource>, FileProblem> {
    let mut workbook = open(bytes)?;
    find_sheet(&workbook, RESOURCE_SHEET)?;
    find_sheet(&workbook, ITEM_SHEET)?;
    let resources = read_sheet(&mut workbook, RESOURCE_SHEET)?;
    let items = read_sheet(&mut workbook, ITEM_SHEET)?;
    Ok(assemble_sheets(resources, items, orgs))
}

pub(crate) fn open(bytes: &[u8]) -> Result<Xlsx<Cursor<&[u8]>>, FileProblem> {
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(FileProblem::new(
            "这是旧版 Excel 文件（.xls）或加密的文件：请在 Excel 中取消密码并“另存为” .xlsx 格式后导入",
            "this is an old Excel file (.xls) or an encrypted one: remove any password and save it as .xlsx, then import that",
        ));
    }
    if !bytes.starts_with(b"PK") {
        return Err(FileProblem::new(
            "不是 Excel（.xlsx）文件：请使用下载的模板填写，或上传 CSV 文件",
            "not an Excel (.xlsx) file: fill in the downloaded template, or upload a CSV file",
        ));
    }
    Xlsx::new(Cursor::new(bytes)).map_err(|e| {
        FileProblem::new(
            format!("无法读取该 Excel 文件（文件可能已损坏）：{e}"),
            format!("the Excel file cannot be read (it may be damaged): {e}"),
        )
    })
}

fn find_sheet(workbook: &Xlsx<Cursor<&[u8]>>, wanted: &str) -> Result<String, FileProblem> {
    let names = workbook.sheet_names();
    names.iter().find(|n| n.trim() == wanted).cloned().ok_or_else(|| {
        FileProblem::new(
            format!("缺少工作表“{wanted}”（文件中的工作表：{}）：请使用模板，不要修改工作表名称", names.join("、")),
            format!(
                "sheet {wanted:?} is missing (the file has: {}): use the template and keep its sheet names",
                names.join(", ")
            ),
        )
        .in_sheet(wanted)
    })
}

fn read_failed(sheet: &str, e: impl std::fmt::Display) -> FileProblem {
    FileProblem::new(format!("无法读取工作表：{e}"), format!("the sheet cannot be read: {e}")).in_sheet(sheet)
}

/// The rows of one sheet with their cells in the canonical column order.
fn read_sheet(workbook: &mut Xlsx<Cursor<&[u8]>>, wanted: &str) -> Result<Vec<RawRow>, FileProblem> {
    let name = find_sheet(workbook, wanted)?;
    let columns = columns_of(wanted);
    let range = workbook.worksheet_range(&name).map_err(|e| read_failed(wanted, e))?;
    let merged = workbook.merge_cells_by_sheet_name(&name).map_err(|e| read_failed(wanted, e))?;
    let formulas = workbook.worksheet_formula(&name).map_err(|e| read_failed(wanted, e))?;

    let header_problem = |zh: String, en: String| FileProblem::new(zh, en).in_sheet(wanted);
    let Some((row0, col0)) = range.start() else {
        return Err(header_problem(
            "工作表是空的，缺少表头：请使用模板".to_string(),
            "the sheet is empty and has no header row: use the template".to_string(),
        )
        .at_row(1));
    };
    let (row0, col0) = (row0 as usize, col0 as usize);
    let rows: Vec<&[Data]> = range.rows().collect();
    let header_index = rows.iter().position(|row| row.iter().any(|d| !cell_text(d).trim().is_empty())).unwrap_or(0);
    let header_row = row0 + header_index + 1;

    // Canonical column → position in the range's rows.
    let mut map: Vec<Option<usize>> = vec![None; columns.len()];
    let mut unknown: Vec<(String, usize)> = Vec::new();
    let mut duplicate: Option<(String, usize, usize)> = None;
    let ignored = ignored_headers(wanted);
    for (j, cell) in rows.get(header_index).copied().unwrap_or_default().iter().enumerate() {
        let text = normalize_header(&cell_text(cell));
        if text.is_empty() {
            continue;
        }
        match columns.iter().position(|c| c.zh == text) {
            Some(k) => match map[k] {
                Some(first) => {
                    duplicate.get_or_insert((text, first, j));
                }
                None => map[k] = Some(j),
            },
            None if ignored.contains(&text.as_str()) => {}
            None => unknown.push((text, j)),
        }
    }
    let header_at = |abs_col: usize| -> String {
        abs_col
            .checked_sub(col0)
            .and_then(|j| map.iter().position(|m| *m == Some(j)))
            .map_or_else(|| column_letter(abs_col), |k| columns[k].zh.to_string())
    };

    if let Some(m) = merged.iter().min() {
        let (r1, c1, r2, c2) = (m.start.0 as usize, m.start.1 as usize, m.end.0 as usize, m.end.1 as usize);
        let area = format!("{}{}:{}{}", column_letter(c1), r1 + 1, column_letter(c2), r2 + 1);
        let more = merged.len() - 1;
        let (more_zh, more_en) = if more > 0 {
            (format!("（另有 {more} 处）"), format!(" ({more} more)"))
        } else {
            (String::new(), String::new())
        };
        return Err(header_problem(
            format!(
                "单元格 {area} 是合并单元格{more_zh}：导入的表格不能合并单元格，请取消合并，并在每个单元格中填写值"
            ),
            format!(
                "cells {area} are merged{more_en}: import needs unmerged cells; unmerge them and fill in every cell"
            ),
        )
        .at_row(r1 + 1)
        .at_column(header_at(c1)));
    }

    if let Some((fr, fc)) = formulas.start()
        && let Some((r, c, formula)) = formulas.used_cells().find(|(_, _, f)| !f.trim().is_empty())
    {
        let (r, c) = (fr as usize + r, fc as usize + c);
        let cell = format!("{}{}", column_letter(c), r + 1);
        return Err(header_problem(
                format!("单元格 {cell} 含公式“={formula}”：导入需要填写的值而不是公式，请复制后“选择性粘贴 → 数值”再导入"),
                format!(
                    "cell {cell} holds the formula ={formula}: import needs values, not formulas; copy and \"paste special → values\", then import"
                ),
            )
            .at_row(r + 1)
            .at_column(header_at(c)));
    }

    if let Some((text, first, second)) = duplicate {
        return Err(header_problem(
            format!(
                "“{text}”列出现两次（{} 列和 {} 列）：请删除其中一列",
                column_letter(col0 + first),
                column_letter(col0 + second)
            ),
            format!(
                "column {text:?} appears twice (columns {} and {}): delete one",
                column_letter(col0 + first),
                column_letter(col0 + second)
            ),
        )
        .at_row(header_row)
        .at_column(text));
    }
    let missing: Vec<&str> =
        columns.iter().zip(&map).filter(|(c, m)| c.required && m.is_none()).map(|(c, _)| c.zh).collect();
    if !unknown.is_empty() || !missing.is_empty() {
        let expected: Vec<&str> = columns.iter().map(|c| c.zh).collect();
        let mut zh = Vec::new();
        let mut en = Vec::new();
        if !unknown.is_empty() {
            let list: Vec<String> =
                unknown.iter().map(|(t, j)| format!("“{t}”（{} 列）", column_letter(col0 + j))).collect();
            zh.push(format!("无法识别的列 {}", list.join("、")));
            let list: Vec<String> =
                unknown.iter().map(|(t, j)| format!("{t:?} (column {})", column_letter(col0 + j))).collect();
            en.push(format!("unrecognised columns {}", list.join(", ")));
        }
        if !missing.is_empty() {
            zh.push(format!("缺少必填列“{}”", missing.join("”“")));
            en.push(format!("missing required columns {}", missing.join(", ")));
        }
        let column = unknown.first().map_or_else(|| missing.first().map_or("", |m| *m).to_string(), |u| u.0.clone());
        return Err(header_problem(
            format!(
                "第 {header_row} 行表头有误：{}。表头应为：{}（从模板复制表头即可）",
                zh.join("；"),
                expected.join("、")
            ),
            format!(
                "the header row {header_row} is wrong: {}. The headers are: {} (copy them from the template)",
                en.join("; "),
                expected.join(", ")
            ),
        )
        .at_row(header_row)
        .at_column(column));
    }

    let mut out = Vec::new();
    let mut first_data = header_index + 1;
    if let Some(row) = rows.get(first_data)
        && is_english_header(row, &map, &columns)
    {
        first_data += 1;
    }
    for (index, row) in rows.iter().enumerate().skip(first_data) {
        let cells: Vec<String> =
            map.iter().map(|m| m.and_then(|j| row.get(j)).map_or_else(String::new, cell_text)).collect();
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        out.push(RawRow { sheet: wanted.to_string(), row: row0 + index + 1, cells });
    }
    Ok(out)
}

/// Row 2 of the template: the English field names.
fn is_english_header(row: &[Data], map: &[Option<usize>], columns: &[crate::layout::Column]) -> bool {
    let mut filled = 0;
    let mut english = 0;
    for (k, m) in map.iter().enumerate() {
        let Some(text) = m.and_then(|j| row.get(j)).map(cell_text) else { continue };
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        filled += 1;
        if text == columns[k].en {
            english += 1;
        }
    }
    english > 0 && english * 2 > filled
}

/// A cell as the user typed it: `18`, not `18.0`; dates as `2024-03-01`.
pub(crate) fn cell_text(data: &Data) -> String {
    match data {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number_text(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(dt) => {
            let value = dt.as_f64();
            if dt.is_duration() {
                let seconds = (value * 86_400.0).round() as i64;
                return format!("{}:{:02}:{:02}", seconds / 3600, seconds / 60 % 60, seconds % 60);
            }
            let (y, mo, d, h, mi, s, _) = dt.to_ymd_hms_milli();
            if value.fract() == 0.0 {
                format!("{y:04}-{mo:02}-{d:02}")
            } else if value < 1.0 {
                format!("{h:02}:{mi:02}:{s:02}")
            } else {
                format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
            }
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => e.to_string(),
    }
}
