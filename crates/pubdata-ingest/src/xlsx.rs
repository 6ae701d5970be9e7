//! XLSX: one worksheet, read cell by cell.
//!
//! The sheet is the one named in [`crate::ReadOptions::sheet`], or else the first visible worksheet
//! (templates often put lookup lists on hidden sheets; chart sheets have no cells).
//!
//! An XLSX file is a zip archive and zip needs random access, so the whole file is read into memory
//! (and hashed on the way) up to [`crate::ReadOptions::max_xlsx_bytes`]. The worksheet itself is not
//! materialised: calamine's streaming cell reader walks the sheet XML on a worker thread that sends
//! batches of finished rows through a bounded channel. Peak memory is therefore the file size plus
//! calamine's shared-string table (every distinct text in the workbook, roughly the uncompressed size
//! of `xl/sharedStrings.xml`) plus a few batches of rows. Dropping the reader stops the worker.
//!
//! Values: text as is; numbers as Excel shows them in the General format (integers without `.0`,
//! other numbers rounded to 15 significant digits, never an exponent); numbers in date-formatted
//! cells as `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS` or `HH:MM:SS`; booleans as `true`/`false`; formulas
//! by their cached result. Row errors: error values such as `#DIV/0!`, formulas without a cached
//! result, whole numbers of 16 or more digits (Excel keeps 15 significant digits, so an ID number
//! stored as a number has already lost its last digits), values outside the header's columns.
//! Merged cells anywhere in the sheet are a file error. Row numbers are Excel's row numbers.

use std::io::Cursor;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use calamine::{DataRef, ExcelDateTime, Reader, SheetType, SheetVisible, Xlsx};

use crate::error::{ReadError, ReadErrorKind, RowError, RowErrorKind, check_header};
use crate::input::{Digests, Input};
use crate::{Next, ReadOptions, Row};

/// Rows per message from the worker.
const BATCH: usize = 256;
/// Messages in flight.
const IN_FLIGHT: usize = 4;

enum Cell {
    Value(String),
    Problem { zh: String, en: String },
}

/// A sheet row with its non-empty cells, as (0-based column, cell).
struct RawRow {
    row: u32,
    cells: Vec<(u32, Cell)>,
}

enum Msg {
    Rows(Vec<RawRow>),
    Fatal(ReadError),
    End,
}

pub(crate) struct XlsxReader {
    digests: Option<Digests>,
    bytes: u64,
    rx: Receiver<Msg>,
    batch: std::vec::IntoIter<RawRow>,
    done: bool,
    header: Vec<String>,
    first_col: u32,
}

/// Column letters for a 0-based column index: 0 → A, 26 → AA.
pub(crate) fn column_letters(mut col: u32) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    out.reverse();
    String::from_utf8_lossy(&out).into_owned()
}

fn cell_ref(row: u32, col: u32) -> String {
    format!("{}{}", column_letters(col), u64::from(row) + 1)
}

/// Formats a number as Excel's General format shows it, or explains why it cannot be trusted.
pub(crate) fn format_number(f: f64) -> Result<String, (String, String)> {
    if !f.is_finite() {
        return Err(("数值无效".into(), "the number is not finite".into()));
    }
    if f.fract() == 0.0 {
        if f.abs() >= 1e15 {
            let digits = format!("{f:.0}");
            return Err((
                format!(
                    "数字 {digits} 超过 15 位，Excel 以数字保存时已丢失精度；身份证号等长数字请将单元格设为文本格式后重新填写"
                ),
                format!(
                    "the number {digits} has more than 15 digits, so Excel stored it with lost precision; \
                     store long numbers such as ID numbers as text"
                ),
            ));
        }
        return Ok(format!("{}", f as i64));
    }
    let shortest = f.to_string();
    let significant = shortest.trim_start_matches(['-', '0', '.']).bytes().filter(u8::is_ascii_digit).count();
    if significant <= 15 {
        return Ok(shortest);
    }
    let rounded: f64 = format!("{f:.14e}").parse().unwrap_or(f);
    if rounded.fract() == 0.0 && rounded.abs() < 1e15 {
        return Ok(format!("{}", rounded as i64));
    }
    Ok(format!("{rounded}"))
}

/// Formats a date-formatted number as an ISO date, date-time or time.
pub(crate) fn format_datetime(dt: &ExcelDateTime) -> String {
    let value = dt.as_f64();
    if dt.is_duration() {
        let total = (value * 86_400.0).round() as i64;
        let sign = if total < 0 { "-" } else { "" };
        let t = total.unsigned_abs();
        return format!("{sign}{}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60);
    }
    let (y, mo, d, h, mi, s, ms) = dt.to_ymd_hms_milli();
    let time = if ms == 0 { format!("{h:02}:{mi:02}:{s:02}") } else { format!("{h:02}:{mi:02}:{s:02}.{ms:03}") };
    if (0.0..1.0).contains(&value) {
        time
    } else if h == 0 && mi == 0 && s == 0 && ms == 0 {
        format!("{y:04}-{mo:02}-{d:02}")
    } else {
        format!("{y:04}-{mo:02}-{d:02} {time}")
    }
}

fn convert(value: &DataRef<'_>, has_formula: bool, row: u32, col: u32) -> Option<Cell> {
    let text = match value {
        DataRef::Empty => {
            if !has_formula {
                return None;
            }
            let at = cell_ref(row, col);
            return Some(Cell::Problem {
                zh: format!("单元格 {at} 的公式没有计算结果；请在 Excel 中重新计算并保存后再上传"),
                en: format!("cell {at} has a formula without a calculated value; recalculate and save it in Excel"),
            });
        }
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_owned(),
        DataRef::Float(f) => match format_number(*f) {
            Ok(s) => s,
            Err((zh, en)) => {
                let at = cell_ref(row, col);
                return Some(Cell::Problem { zh: format!("单元格 {at}：{zh}"), en: format!("cell {at}: {en}") });
            }
        },
        DataRef::Int(i) => i.to_string(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(dt) => format_datetime(dt),
        DataRef::Error(e) => {
            let at = cell_ref(row, col);
            return Some(Cell::Problem {
                zh: format!("单元格 {at} 是错误值 {e}"),
                en: format!("cell {at} holds the error value {e}"),
            });
        }
    };
    if text.is_empty() { None } else { Some(Cell::Value(text)) }
}

fn calamine_error(e: &impl std::fmt::Display) -> ReadError {
    ReadError::new(ReadErrorKind::Format, format!("无法读取 XLSX 文件：{e}"), format!("cannot read the XLSX file: {e}"))
}

/// Worker body. Returns Ok(false) when the receiver went away.
fn run(bytes: Vec<u8>, sheet: Option<&str>, tx: &SyncSender<Msg>) -> Result<bool, ReadError> {
    let mut workbook: Xlsx<Cursor<Vec<u8>>> = Xlsx::new(Cursor::new(bytes)).map_err(|e| calamine_error(&e))?;
    let names = workbook.sheet_names();
    let name = match sheet {
        Some(wanted) => match names.iter().find(|n| n.as_str() == wanted) {
            Some(n) => n.clone(),
            None => {
                let list_zh = names.iter().map(|n| format!("“{n}”")).collect::<Vec<_>>().join("、");
                let list_en = names.iter().map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(", ");
                return Err(ReadError::new(
                    ReadErrorKind::Sheet,
                    format!("工作簿中没有名为“{wanted}”的工作表；现有工作表：{list_zh}"),
                    format!("the workbook has no sheet named \"{wanted}\"; its sheets are {list_en}"),
                ));
            }
        },
        None => {
            // The first visible worksheet: templates often hide lookup sheets, and chart sheets hold no cells.
            let sheets = workbook.sheets_metadata();
            let worksheets = || sheets.iter().filter(|s| s.typ == SheetType::WorkSheet);
            match worksheets().find(|s| s.visible == SheetVisible::Visible).or_else(|| worksheets().next()) {
                Some(sheet) => sheet.name.clone(),
                None => {
                    return Err(ReadError::new(
                        ReadErrorKind::Sheet,
                        "工作簿中没有工作表",
                        "the workbook has no worksheet",
                    ));
                }
            }
        }
    };
    let merged = workbook.merge_cells_by_sheet_name(&name).map_err(|e| calamine_error(&e))?;
    if let Some(first) = merged.first() {
        let shown: Vec<String> = merged
            .iter()
            .take(5)
            .map(|d| format!("{}:{}", cell_ref(d.start.0, d.start.1), cell_ref(d.end.0, d.end.1)))
            .collect();
        let (more_zh, more_en) = if merged.len() > shown.len() {
            (format!(" 等 {} 处", merged.len()), format!(" and {} more", merged.len() - shown.len()))
        } else {
            (String::new(), String::new())
        };
        return Err(ReadError::new(
            ReadErrorKind::MergedCells,
            format!(
                "工作表“{name}”含有合并单元格 {}{more_zh}；请取消合并并在每个单元格中填写值（第一行应为表头）",
                shown.join("、")
            ),
            format!(
                "the sheet \"{name}\" has merged cells {}{more_en}; unmerge them and fill in every cell \
                 (the first row must be the header)",
                shown.join(", ")
            ),
        )
        .at(u64::from(first.start.0) + 1));
    }
    let mut cells = workbook.worksheet_cells_reader(&name).map_err(|e| calamine_error(&e))?;
    let mut batch: Vec<RawRow> = Vec::with_capacity(BATCH);
    let mut current: Option<RawRow> = None;
    while let Some(cell) = cells.next_cell_with_formula_metadata().map_err(|e| calamine_error(&e))? {
        let (row, col) = cell.pos;
        let Some(value) = convert(&cell.value, cell.formula.is_some(), row, col) else { continue };
        if current.as_ref().is_some_and(|r| r.row != row)
            && let Some(done) = current.take()
        {
            batch.push(done);
            if batch.len() >= BATCH && tx.send(Msg::Rows(std::mem::take(&mut batch))).is_err() {
                return Ok(false);
            }
        }
        current.get_or_insert_with(|| RawRow { row, cells: Vec::new() }).cells.push((col, value));
    }
    if let Some(done) = current {
        batch.push(done);
    }
    if !batch.is_empty() && tx.send(Msg::Rows(batch)).is_err() {
        return Ok(false);
    }
    Ok(true)
}

pub(crate) fn open(mut input: Input, options: &ReadOptions) -> Result<XlsxReader, ReadError> {
    let limit = options.max_xlsx_bytes;
    let bytes = input.read_all(limit, || {
        let mib = limit / (1024 * 1024);
        ReadError::new(
            ReadErrorKind::TooLarge,
            format!("XLSX 文件超过 {mib} MiB 的上限；请拆分文件或另存为 CSV"),
            format!("the XLSX file exceeds the {mib} MiB limit; split it or save it as CSV"),
        )
    })?;
    if bytes.is_empty() {
        return Err(ReadError::empty());
    }
    if !bytes.starts_with(b"PK\x03\x04") {
        return Err(if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
            ReadError::new(
                ReadErrorKind::Format,
                "这是旧版 Excel（.xls）文件，暂不支持；请在 Excel 中另存为 .xlsx",
                "this is a legacy Excel (.xls) workbook, which is not supported; save it as .xlsx in Excel",
            )
        } else {
            ReadError::new(ReadErrorKind::Format, "文件不是 XLSX 格式", "the file is not an XLSX workbook")
        });
    }
    let size = bytes.len() as u64;
    let digests = input.finish()?;
    let (tx, rx) = sync_channel(IN_FLIGHT);
    let sheet = options.sheet.clone();
    std::thread::Builder::new()
        .name("pubdata-ingest-xlsx".into())
        .spawn(move || {
            let end = match run(bytes, sheet.as_deref(), &tx) {
                Ok(true) => Msg::End,
                Ok(false) => return,
                Err(e) => Msg::Fatal(e),
            };
            let _ = tx.send(end);
        })
        .map_err(|e| {
            ReadError::internal(&format!("无法启动 XLSX 读取线程：{e}"), &format!("cannot start the XLSX worker: {e}"))
        })?;
    let mut reader = XlsxReader {
        digests: Some(digests),
        bytes: size,
        rx,
        batch: Vec::new().into_iter(),
        done: false,
        header: Vec::new(),
        first_col: 0,
    };
    let Some(first) = reader.next_raw()? else {
        return Err(ReadError::new(
            ReadErrorKind::Empty,
            "工作表是空的，没有表头",
            "the sheet is empty; there is no header row",
        ));
    };
    let number = u64::from(first.row) + 1;
    let first_col = first.cells.iter().map(|c| c.0).min().unwrap_or(0);
    let last_col = first.cells.iter().map(|c| c.0).max().unwrap_or(0);
    let mut names = vec![String::new(); (last_col - first_col + 1) as usize];
    for (col, cell) in first.cells {
        match cell {
            Cell::Value(v) => names[(col - first_col) as usize] = v.trim().trim_start_matches('\u{feff}').to_owned(),
            Cell::Problem { zh, en } => {
                return Err(
                    ReadError::new(ReadErrorKind::Header, format!("表头：{zh}"), format!("header: {en}")).at(number)
                );
            }
        }
    }
    check_header(&names, number, |i| {
        let at = cell_ref(first.row, first_col + i as u32);
        (format!("单元格 {at}"), format!("cell {at}"))
    })?;
    reader.header = names;
    reader.first_col = first_col;
    Ok(reader)
}

impl XlsxReader {
    pub(crate) fn header(&self) -> &[String] {
        &self.header
    }

    pub(crate) fn bytes_read(&self) -> u64 {
        self.bytes
    }

    pub(crate) fn finish(mut self) -> Result<Digests, ReadError> {
        self.digests.take().ok_or_else(|| ReadError::internal("摘要已取出", "digests already taken"))
    }

    fn next_raw(&mut self) -> Result<Option<RawRow>, ReadError> {
        loop {
            if let Some(row) = self.batch.next() {
                return Ok(Some(row));
            }
            if self.done {
                return Ok(None);
            }
            match self.rx.recv() {
                Ok(Msg::Rows(rows)) => self.batch = rows.into_iter(),
                Ok(Msg::End) => {
                    self.done = true;
                    return Ok(None);
                }
                Ok(Msg::Fatal(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(_) => {
                    self.done = true;
                    return Err(ReadError::internal("XLSX 读取线程异常退出", "the XLSX worker stopped unexpectedly"));
                }
            }
        }
    }

    pub(crate) fn next_row_into(&mut self, row: &mut Row) -> Result<Next, ReadError> {
        let Some(raw) = self.next_raw()? else { return Ok(Next::End) };
        let number = u64::from(raw.row) + 1;
        row.number = number;
        let n = self.header.len();
        row.fields.truncate(n);
        while row.fields.len() < n {
            row.fields.push(String::new());
        }
        for field in &mut row.fields {
            field.clear();
        }
        for (col, cell) in raw.cells {
            let idx = col.checked_sub(self.first_col).map(|i| i as usize).filter(|&i| i < n);
            let Some(idx) = idx else {
                let at = cell_ref(raw.row, col);
                let letters = column_letters(col);
                return Ok(Next::Invalid(RowError::new(
                    number,
                    None,
                    RowErrorKind::FieldCount,
                    format!("第 {number} 行的单元格 {at} 有内容，但 {letters} 列没有表头"),
                    format!("row {number}: cell {at} has a value, but column {letters} has no header"),
                )));
            };
            match cell {
                Cell::Value(v) => row.fields[idx] = v,
                Cell::Problem { zh, en } => {
                    let column = &self.header[idx];
                    return Ok(Next::Invalid(RowError::new(
                        number,
                        Some(column),
                        RowErrorKind::CellValue,
                        format!("第 {number} 行“{column}”列：{zh}"),
                        format!("row {number}, column \"{column}\": {en}"),
                    )));
                }
            }
        }
        Ok(Next::Row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters_follow_excel() {
        let cases =
            [(0, "A"), (25, "Z"), (26, "AA"), (51, "AZ"), (52, "BA"), (701, "ZZ"), (702, "AAA"), (16383, "XFD")];
        for (col, letters) in cases {
            assert_eq!(column_letters(col), letters);
        }
    }

    #[test]
    fn numbers_format_like_excel_general() {
        assert_eq!(format_number(1.0).unwrap(), "1");
        assert_eq!(format_number(-0.0).unwrap(), "0");
        assert_eq!(format_number(0.1 + 0.2).unwrap(), "0.3");
        assert_eq!(format_number(2.9999999999999996).unwrap(), "3");
        assert_eq!(format_number(1234.5678).unwrap(), "1234.5678");
        assert_eq!(format_number(13800000000.0).unwrap(), "13800000000");
        assert_eq!(format_number(999_999_999_999_999.0).unwrap(), "999999999999999");
        assert_eq!(format_number(1e-10).unwrap(), "0.0000000001");
        assert!(format_number(330_203_199_001_011_234.0).is_err());
        assert!(format_number(1e15).is_err());
        assert!(format_number(f64::NAN).is_err());
    }

    #[test]
    fn dates_and_durations() {
        use calamine::ExcelDateTimeType::{DateTime, TimeDelta};
        assert_eq!(format_datetime(&ExcelDateTime::new(45366.0, DateTime, false)), "2024-03-15");
        assert_eq!(format_datetime(&ExcelDateTime::new(45366.5, DateTime, false)), "2024-03-15 12:00:00");
        assert_eq!(format_datetime(&ExcelDateTime::new(0.75, DateTime, false)), "18:00:00");
        assert_eq!(format_datetime(&ExcelDateTime::new(43904.0, DateTime, true)), "2024-03-15");
        assert_eq!(format_datetime(&ExcelDateTime::new(1.5, TimeDelta, false)), "36:00:00");
    }
}
