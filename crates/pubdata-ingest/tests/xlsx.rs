//! XLSX delivery files (Art.10-12): sheets, merged cells, formulas, dates, numbers, errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Cursor, Read, Write};

use common::{open_err, read};
use pubdata_ingest::{EncodingSource, Format, ReadErrorKind, ReadOptions, RowErrorKind};
use rust_xlsxwriter::{ExcelDateTime, Format as CellFormat, Formula, Workbook, Worksheet};
use sha2::Digest;

fn xlsx_opts() -> ReadOptions {
    ReadOptions::new(Format::Xlsx)
}

fn header(ws: &mut Worksheet, names: &[&str]) {
    for (c, name) in names.iter().enumerate() {
        ws.write_string(0, c as u16, *name).unwrap();
    }
}

fn build(fill: impl FnOnce(&mut Workbook)) -> Vec<u8> {
    let mut wb = Workbook::new();
    fill(&mut wb);
    wb.save_to_buffer().unwrap()
}

/// Replaces text in the first worksheet's XML (for cell shapes rust_xlsxwriter does not write).
fn rewrite_sheet(xlsx: &[u8], from: &str, to: &str) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(Cursor::new(xlsx)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let name = file.name().unwrap().into_owned();
        let mut data = Vec::new();
        file.read_to_end(&mut data).unwrap();
        if name == "xl/worksheets/sheet1.xml" {
            let xml = String::from_utf8(data).unwrap();
            assert!(xml.contains(from), "{xml}");
            data = xml.replace(from, to).into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        out.write_all(&data).unwrap();
    }
    out.finish().unwrap().into_inner()
}

#[test]
fn art_10_xlsx_values_become_text_as_excel_shows_them() {
    let bytes = build(|wb| {
        let ws = wb.add_worksheet();
        header(ws, &["身份证号", "姓名", "出生日期", "登记时间", "人数", "比例", "有效", "合计", "开放时间"]);
        let date = CellFormat::new().set_num_format("yyyy-mm-dd");
        let datetime = CellFormat::new().set_num_format("yyyy-mm-dd hh:mm:ss");
        let time = CellFormat::new().set_num_format("hh:mm");
        ws.write_string(1, 0, "330203199001011234").unwrap();
        ws.write_string(1, 1, "张三").unwrap();
        ws.write_datetime_with_format(1, 2, ExcelDateTime::from_ymd(1990, 1, 1).unwrap(), &date).unwrap();
        let at = ExcelDateTime::from_ymd(2024, 3, 15).unwrap().and_hms(10, 30, 5).unwrap();
        ws.write_datetime_with_format(1, 3, at, &datetime).unwrap();
        ws.write_number(1, 4, 12.0).unwrap();
        ws.write_number(1, 5, 0.1 + 0.2).unwrap();
        ws.write_boolean(1, 6, true).unwrap();
        ws.write_formula(1, 7, Formula::new("=E2*2").set_result("24")).unwrap();
        ws.write_number_with_format(1, 8, 0.375, &time).unwrap();
        ws.write_number(2, 4, -3.5).unwrap();
        ws.write_number(2, 5, 123456789012345.0).unwrap();
        ws.write_number(2, 7, 1e-7).unwrap();
    });
    let out = read(bytes, &xlsx_opts()).unwrap();
    assert_eq!(out.encoding, "UTF-8");
    assert_eq!(out.source, EncodingSource::Format);
    assert_eq!(out.header.len(), 9);
    assert_eq!(
        out.values()[0],
        ["330203199001011234", "张三", "1990-01-01", "2024-03-15 10:30:05", "12", "0.3", "true", "24", "09:00:00"]
    );
    assert_eq!(out.values()[1], ["", "", "", "", "-3.5", "123456789012345", "", "0.0000001", ""]);
    assert_eq!(out.numbers(), [2, 3]);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
}

#[test]
fn art_10_xlsx_reads_the_first_sheet_or_the_named_one() {
    let bytes = build(|wb| {
        let ws = wb.add_worksheet();
        ws.set_name("说明").unwrap();
        header(ws, &["说明"]);
        let ws = wb.add_worksheet();
        ws.set_name("数据").unwrap();
        header(ws, &["编号", "名称"]);
        ws.write_number(1, 0, 1).unwrap();
        ws.write_string(1, 1, "甲").unwrap();
    });
    let first = read(bytes.clone(), &xlsx_opts()).unwrap();
    assert_eq!(first.header, ["说明"]);
    let named = read(bytes.clone(), &xlsx_opts().with_sheet("数据")).unwrap();
    assert_eq!(named.header, ["编号", "名称"]);
    assert_eq!(named.values(), [["1", "甲"]]);
    let err = open_err(bytes, &xlsx_opts().with_sheet("Sheet1"));
    assert_eq!(err.kind, ReadErrorKind::Sheet);
    assert!(err.reason_zh.contains("“Sheet1”") && err.reason_zh.contains("“说明”、“数据”"), "{err}");
    assert!(err.reason_en.contains("\"说明\", \"数据\""), "{err}");
}

#[test]
fn xlsx_default_sheet_skips_hidden_lookup_sheets() {
    let bytes = build(|wb| {
        let ws = wb.add_worksheet();
        ws.set_name("代码表").unwrap();
        header(ws, &["代码"]);
        ws.set_hidden(true);
        let ws = wb.add_worksheet();
        ws.set_name("数据").unwrap();
        ws.set_active(true);
        header(ws, &["编号"]);
    });
    assert_eq!(read(bytes.clone(), &xlsx_opts()).unwrap().header, ["编号"]);
    assert_eq!(read(bytes, &xlsx_opts().with_sheet("代码表")).unwrap().header, ["代码"]);
}

#[test]
fn art_11_xlsx_merged_cells_are_fatal_and_named() {
    let bytes = build(|wb| {
        let ws = wb.add_worksheet();
        header(ws, &["编号", "名称", "地址"]);
        ws.write_string(1, 0, "1").unwrap();
        ws.merge_range(3, 1, 4, 2, "合并", &CellFormat::new()).unwrap();
    });
    let err = open_err(bytes, &xlsx_opts());
    assert_eq!(err.kind, ReadErrorKind::MergedCells);
    assert_eq!(err.row, Some(4));
    assert!(err.reason_zh.contains("B4:C5") && err.reason_en.contains("B4:C5"), "{err}");
}

#[test]
fn art_11_xlsx_error_values_are_row_errors() {
    let bytes = build(|wb| {
        let ws = wb.add_worksheet();
        header(ws, &["编号", "比率"]);
        ws.write_number(1, 0, 1).unwrap();
        ws.write_formula(1, 1, Formula::new("=1/0").set_result("#DIV/0!")).unwrap();
        ws.write_number(2, 0, 2).unwrap();
        ws.write_number(2, 1, 0.5).unwrap();
    });
    let out = read(bytes, &xlsx_opts()).unwrap();
    assert_eq!(out.values(), [["2", "0.5"]]);
    let e = &out.errors[0];
    assert_eq!((e.row, e.column.as_deref(), e.kind), (2, Some("比率"), RowErrorKind::CellValue));
    assert!(e.reason_zh.contains("B2") && e.reason_zh.contains("#DIV/0!"), "{e}");
}

#[test]
fn art_11_xlsx_formula_without_cached_value_is_a_row_error() {
    let bytes = build(|wb| {
        let ws = wb.add_worksheet();
        header(ws, &["编号", "合计"]);
        ws.write_number(1, 0, 1).unwrap();
        ws.write_formula(1, 1, Formula::new("=A2+1").set_result("424242")).unwrap();
        ws.write_number(2, 0, 2).unwrap();
        ws.write_formula(2, 1, Formula::new("=A3+1").set_result("3")).unwrap();
    });
    let bytes = rewrite_sheet(&bytes, "<v>424242</v>", "");
    let out = read(bytes, &xlsx_opts()).unwrap();
    assert_eq!(out.values(), [["2", "3"]]);
    let e = &out.errors[0];
    assert_eq!((e.row, e.column.as_deref()), (2, Some("合计")));
    assert!(e.reason_en.contains("B2") && e.reason_en.contains("formula without a calculated value"), "{e}");
}

#[test]
fn art_11_xlsx_id_number_stored_as_number_lost_precision() {
    let bytes = build(|wb| {
        let ws = wb.add_worksheet();
        header(ws, &["身份证号"]);
        ws.write_number(1, 0, 330203199001011234.0).unwrap();
        ws.write_string(2, 0, "330203199001011234").unwrap();
        ws.write_number(3, 0, 999999999999999.0).unwrap();
    });
    let out = read(bytes, &xlsx_opts()).unwrap();
    assert_eq!(out.values(), [["330203199001011234"], ["999999999999999"]]);
    assert_eq!(out.numbers(), [3, 4]);
    let e = &out.errors[0];
    assert_eq!((e.row, e.kind), (2, RowErrorKind::CellValue));
    assert!(e.reason_zh.contains("15 位") && e.reason_zh.contains("文本"), "{e}");
    assert!(e.reason_en.contains("more than 15 digits") && e.reason_en.contains("as text"), "{e}");
}

#[test]
fn xlsx_blank_rows_are_skipped_and_rows_keep_excel_numbers() {
    let bytes = build(|wb| {
        let ws = wb.add_worksheet();
        // The table starts at B3.
        ws.write_string(2, 1, "编号").unwrap();
        ws.write_string(2, 2, "名称").unwrap();
        ws.write_number(3, 1, 1).unwrap();
        ws.write_string(3, 2, "甲").unwrap();
        ws.write_string(5, 1, "").unwrap();
        ws.write_number(6, 1, 2).unwrap();
        ws.write_number(7, 1, 3).unwrap();
        ws.write_string(7, 4, "表外").unwrap();
    });
    let out = read(bytes, &xlsx_opts()).unwrap();
    assert_eq!(out.header, ["编号", "名称"]);
    assert_eq!(out.values(), [vec!["1", "甲"], vec!["2", ""]]);
    assert_eq!(out.numbers(), [4, 7]);
    let e = &out.errors[0];
    assert_eq!((e.row, e.kind), (8, RowErrorKind::FieldCount));
    assert!(e.reason_en.contains("E8") && e.reason_en.contains("no header"), "{e}");
}

#[test]
fn art_10_xlsx_header_problems_are_fatal() {
    let gap = build(|wb| {
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "编号").unwrap();
        ws.write_string(0, 2, "名称").unwrap();
    });
    let err = open_err(gap, &xlsx_opts());
    assert_eq!(err.kind, ReadErrorKind::Header);
    assert!(err.reason_zh.contains("B1"), "{err}");
    let dup = build(|wb| header(wb.add_worksheet(), &["编号", "编号"]));
    assert_eq!(open_err(dup, &xlsx_opts()).kind, ReadErrorKind::Header);
    let empty = build(|wb| {
        wb.add_worksheet();
    });
    assert_eq!(open_err(empty, &xlsx_opts()).kind, ReadErrorKind::Empty);
}

#[test]
fn xlsx_header_only_gives_zero_rows() {
    let out = read(build(|wb| header(wb.add_worksheet(), &["编号", "名称"])), &xlsx_opts()).unwrap();
    assert_eq!(out.header, ["编号", "名称"]);
    assert!(out.rows.is_empty() && out.errors.is_empty());
}

#[test]
fn xlsx_that_is_not_xlsx_is_rejected() {
    assert_eq!(open_err(Vec::new(), &xlsx_opts()).kind, ReadErrorKind::Empty);
    let err = open_err(vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0], &xlsx_opts());
    assert!(err.reason_en.contains(".xls"), "{err}");
    assert_eq!(open_err("a,b\n1,2\n", &xlsx_opts()).kind, ReadErrorKind::Format);
    assert_eq!(open_err(b"PK\x03\x04 broken".to_vec(), &xlsx_opts()).kind, ReadErrorKind::Format);
}

#[test]
fn art_12_xlsx_size_limit_and_digests() {
    let bytes = build(|wb| {
        let ws = wb.add_worksheet();
        header(ws, &["编号"]);
        for r in 1..2000u32 {
            ws.write_number(r, 0, r).unwrap();
        }
    });
    let mut small = xlsx_opts();
    small.max_xlsx_bytes = 1024;
    let err = open_err(bytes.clone(), &small);
    assert_eq!(err.kind, ReadErrorKind::TooLarge);
    let out = read(bytes.clone(), &xlsx_opts()).unwrap();
    assert_eq!(out.rows.len(), 1999);
    assert_eq!(out.rows[1998].fields, ["1999"]);
    assert_eq!(out.digests.bytes, bytes.len() as u64);
    assert_eq!(out.digests.sha256_hex, hex::encode(sha2::Sha256::digest(&bytes)));
    assert_eq!(out.digests.sm3_hex, hex::encode(sm3::Sm3::digest(&bytes)));
}

#[test]
fn xlsx_reader_can_be_dropped_early() {
    let bytes = build(|wb| {
        let ws = wb.add_worksheet();
        header(ws, &["编号"]);
        for r in 1..5000u32 {
            ws.write_number(r, 0, r).unwrap();
        }
    });
    let mut reader = pubdata_ingest::open(Cursor::new(bytes), &xlsx_opts()).unwrap();
    assert!(reader.next_row().unwrap().unwrap().is_ok());
    drop(reader);
}
