//! JSON Lines delivery files (Art.10-12).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{open_err, read};
use pubdata_ingest::{Format, ReadErrorKind, ReadOptions, RowErrorKind};

fn opts() -> ReadOptions {
    ReadOptions::new(Format::JsonLines)
}

#[test]
fn art_10_jsonl_header_keeps_key_order_and_values_keep_their_text() {
    let text = concat!(
        "{\"姓名\":\"张三\",\"编号\":1,\"金额\":1.50,\"有效\":true,\"备注\":null,\"大数\":123456789012345678901234567890}\n",
        "{\"编号\":2,\"姓名\":\"李\\\"四\\\"\\n\",\"金额\":-2e3}\n",
    );
    let out = read(text, &opts()).unwrap();
    assert_eq!(out.header, ["姓名", "编号", "金额", "有效", "备注", "大数"]);
    assert_eq!(out.encoding, "UTF-8");
    assert_eq!(out.values()[0], ["张三", "1", "1.50", "true", "", "123456789012345678901234567890"]);
    assert_eq!(out.values()[1], ["李\"四\"\n", "2", "-2e3", "", "", ""]);
    assert_eq!(out.numbers(), [1, 2]);
    assert!(out.errors.is_empty());
}

#[test]
fn art_11_jsonl_bad_lines_are_row_errors_and_reading_continues() {
    let text = concat!(
        "{\"a\":1,\"b\":2}\n",
        "{\"a\":2,\"b\":\n",
        "[1,2]\n",
        "\n",
        "{\"a\":3,\"b\":{\"x\":1}}\n",
        "{\"a\":4,\"c\":5}\n",
        "{\"a\":5,\"a\":6}\n",
        "{\"a\":6,\"b\":[1]}\n",
        "   \n",
        "{\"b\":\"7\"}\r\n",
    );
    let out = read(text, &opts()).unwrap();
    assert_eq!(out.values(), [vec!["1", "2"], vec!["", "7"]]);
    assert_eq!(out.numbers(), [1, 10]);
    let rows: Vec<(u64, RowErrorKind)> = out.errors.iter().map(|e| (e.row, e.kind)).collect();
    assert_eq!(
        rows,
        [
            (2, RowErrorKind::Json),
            (3, RowErrorKind::Json),
            (5, RowErrorKind::Json),
            (6, RowErrorKind::UnknownColumn),
            (7, RowErrorKind::UnknownColumn),
            (8, RowErrorKind::Json),
        ]
    );
    assert!(out.errors[0].reason_zh.starts_with("第 2 行不是有效的 JSON"), "{}", out.errors[0]);
    assert!(out.errors[1].reason_en.contains("not a JSON object"), "{}", out.errors[1]);
    assert!(out.errors[2].reason_en.contains("an object; nested"), "{}", out.errors[2]);
    assert_eq!(out.errors[2].column.as_deref(), Some("b"));
    assert!(out.errors[3].reason_en.contains("\"c\" is not in the header"), "{}", out.errors[3]);
    assert!(out.errors[4].reason_en.contains("appears twice"), "{}", out.errors[4]);
    assert!(out.errors[5].reason_zh.contains("数组"), "{}", out.errors[5]);
}

#[test]
fn art_10_jsonl_file_level_problems() {
    assert_eq!(open_err(Vec::new(), &opts()).kind, ReadErrorKind::Empty);
    assert_eq!(open_err("\n  \n", &opts()).kind, ReadErrorKind::Empty);
    let err = open_err("{\"a\":1,\n{\"a\":2}\n", &opts());
    assert_eq!((err.kind, err.row), (ReadErrorKind::Header, Some(1)));
    let err = open_err("[1,2]\n", &opts());
    assert!(err.reason_en.contains("not a JSON object"), "{err}");
    let err = open_err("{\"a\":1,\" a \":2}\n", &opts());
    assert!(err.reason_en.contains("appears twice"), "{err}");
    assert_eq!(open_err("{}\n", &opts()).kind, ReadErrorKind::Header);
}

#[test]
fn jsonl_invalid_utf8_line_is_a_row_error() {
    let mut bytes = "\u{feff}{\"名称\":\"甲\"}\n".as_bytes().to_vec();
    bytes.extend_from_slice(b"{\"\xC3\xFB\":\"x\"}\n{\"\xE5\x90\x8D\xE7\xA7\xB0\":\"\xE4\xB9\x99\"}");
    let out = read(bytes, &opts()).unwrap();
    assert_eq!(out.header, ["名称"]);
    assert_eq!(out.values(), [["甲"], ["乙"]]);
    assert_eq!(out.errors[0].row, 2);
    assert!(out.errors[0].reason_en.contains("UTF-8"));
}
