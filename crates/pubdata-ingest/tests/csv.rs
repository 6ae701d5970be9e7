//! CSV delivery files (Art.10-12): encodings, quoting, ragged rows, blank lines, limits, digests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Cursor, Read};

use common::{encode, open_err, read, read_csv};
use encoding_rs::{GB18030, GBK};
use pubdata_ingest::{
    EncodingChoice, EncodingSource, Format, Next, ReadErrorKind, ReadOptions, Row, RowErrorKind, RowReader, open,
};
use sha2::Digest;

const PEOPLE: &str = "身份证号,姓名,地址\n330203199001011234,张三,宁波市鄞州区首南街道\n330203198512122345,李四,宁波市鄞州区钟公庙街道\n";

fn csv_opts() -> ReadOptions {
    ReadOptions::new(Format::Csv)
}

#[test]
fn art_10_utf8_without_bom_is_detected() {
    let out = read_csv(PEOPLE);
    assert_eq!(out.header, ["身份证号", "姓名", "地址"]);
    assert_eq!(out.encoding, "UTF-8");
    assert_eq!(out.source, EncodingSource::Detected);
    assert_eq!(out.numbers(), [2, 3]);
    assert_eq!(out.values()[1], ["330203198512122345", "李四", "宁波市鄞州区钟公庙街道"]);
    assert!(out.errors.is_empty() && out.fatal.is_none());
}

#[test]
fn art_10_utf8_bom_is_stripped_from_the_header() {
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice(PEOPLE.as_bytes());
    let out = read_csv(bytes);
    assert_eq!(out.header[0], "身份证号");
    assert_eq!(out.source, EncodingSource::ByteOrderMark);
    assert_eq!(out.rows.len(), 2);
}

#[test]
fn header_names_are_trimmed() {
    let out = read_csv(" 编号 ,\t名称\t\n1,甲\n");
    assert_eq!(out.header, ["编号", "名称"]);
}

#[test]
fn art_10_gbk_is_detected_and_decoded() {
    let out = read_csv(encode(PEOPLE, GBK));
    assert_eq!(out.encoding, "GBK");
    assert_eq!(out.source, EncodingSource::Detected);
    assert_eq!(out.header, ["身份证号", "姓名", "地址"]);
    assert_eq!(out.values()[0], ["330203199001011234", "张三", "宁波市鄞州区首南街道"]);
    assert!(out.errors.is_empty());
}

#[test]
fn art_10_gb18030_four_byte_characters_are_detected_and_decoded() {
    // 㐀 (U+3400) and 𠀀 (U+20000) need GB18030's four-byte form.
    let text = "编号,名称\n1,宁波市鄞州区㐀村\n2,𠀀字号商店\n3,钟公庙街道\n";
    let out = read_csv(encode(text, GB18030));
    assert_eq!(out.encoding, "GB18030");
    assert_eq!(out.values(), [vec!["1", "宁波市鄞州区㐀村"], vec!["2", "𠀀字号商店"], vec!["3", "钟公庙街道"]]);
}

#[test]
fn art_10_declared_encoding_overrides_detection() {
    let out = read(encode(PEOPLE, GBK), &csv_opts().with_encoding(EncodingChoice::Gb18030)).unwrap();
    assert_eq!(out.encoding, "GB18030");
    assert_eq!(out.source, EncodingSource::Declared);
    assert_eq!(out.detected, Some("GBK"));
    assert_eq!(out.values()[0][1], "张三");
}

#[test]
fn art_10_gbk_file_declared_utf8_gives_row_errors_suggesting_gbk() {
    let mut bytes = b"id,name\n".to_vec();
    bytes.extend(encode("1,张三\n2,李四\n", GBK));
    let out = read(bytes, &csv_opts().with_encoding(EncodingChoice::Utf8)).unwrap();
    assert!(out.rows.is_empty());
    assert_eq!(out.errors.len(), 2);
    let e = &out.errors[0];
    assert_eq!((e.row, e.column.as_deref(), e.kind), (2, Some("name"), RowErrorKind::Encoding));
    assert!(e.reason_zh.contains("第 2 行") && e.reason_zh.contains("UTF-8") && e.reason_zh.contains("GBK"), "{e}");
    assert!(e.reason_en.contains("not valid UTF-8") && e.reason_en.contains("GBK"), "{e}");
    assert!(e.reason_en.contains("0xD5 0xC5"), "shows the bytes: {e}");
}

#[test]
fn art_10_gbk_header_declared_utf8_is_fatal() {
    let err = open_err(encode(PEOPLE, GBK), &csv_opts().with_encoding(EncodingChoice::Utf8));
    assert_eq!(err.kind, ReadErrorKind::Encoding);
    assert_eq!(err.row, Some(1));
    assert!(err.reason_en.contains("not valid UTF-8") && err.reason_en.contains("GBK"), "{err}");
}

#[test]
fn art_10_utf8_file_declared_gbk_is_rejected_rather_than_garbled() {
    let err = open_err(PEOPLE, &csv_opts().with_encoding(EncodingChoice::Gbk));
    assert_eq!(err.kind, ReadErrorKind::Encoding);
    assert!(err.reason_zh.contains("GBK") && err.reason_zh.contains("UTF-8"), "{err}");
    // Plain ASCII is valid in both, so declaring GBK is fine.
    let out = read("a,b\n1,2\n", &csv_opts().with_encoding(EncodingChoice::Gbk)).unwrap();
    assert_eq!(out.values(), [["1", "2"]]);
}

#[test]
fn art_10_mixed_encodings_fail_only_the_foreign_row() {
    let mut bytes = "编号,姓名,地址\n1,张三,首南街道\n".as_bytes().to_vec();
    bytes.extend(encode("2,李四,钟公庙街道\n", GBK));
    bytes.extend("3,王五,下应街道\n4,赵六,中河街道\n".as_bytes());
    let out = read_csv(bytes);
    assert_eq!(out.encoding, "UTF-8");
    assert_eq!(out.numbers(), [2, 4, 5]);
    assert_eq!(out.errors.len(), 1);
    let e = &out.errors[0];
    assert_eq!((e.row, e.column.as_deref()), (3, Some("姓名")));
    assert!(e.reason_zh.contains("看起来是 GBK"), "{e}");
}

#[test]
fn art_10_malformed_gbk_sequence_is_a_row_error() {
    let mut bytes = encode("编号,名称\n1,张三\n", GBK);
    bytes.extend_from_slice(b"2,\x81\x7F\n"); // 0x7F is never a GBK trail byte
    bytes.extend(encode("3,李四\n", GBK));
    let out = read(bytes, &csv_opts().with_encoding(EncodingChoice::Gbk)).unwrap();
    assert_eq!(out.numbers(), [2, 4]);
    let e = &out.errors[0];
    assert_eq!((e.row, e.column.as_deref(), e.kind), (3, Some("名称"), RowErrorKind::Encoding));
    assert!(e.reason_en.contains("not valid GBK") && e.reason_en.contains("0x81"), "{e}");
}

#[test]
fn art_10_truncated_utf8_character_at_end_of_file_names_the_last_row() {
    let mut bytes = PEOPLE.as_bytes().to_vec();
    bytes.extend_from_slice("330203197001010001,王五,宁波".as_bytes());
    bytes.extend_from_slice(&"市".as_bytes()[..2]);
    let out = read_csv(bytes);
    assert_eq!(out.rows.len(), 2);
    let e = &out.errors[0];
    assert_eq!((e.row, e.column.as_deref()), (4, Some("地址")));
    assert!(e.reason_zh.contains("不完整") && e.reason_zh.contains("截断"), "{e}");
    assert!(e.reason_en.contains("incomplete") && e.reason_en.contains("truncated"), "{e}");
}

#[test]
fn art_10_truncated_gbk_character_at_end_of_file_names_the_last_row() {
    let mut bytes = encode(PEOPLE, GBK);
    bytes.extend(encode("330203197001010001,王五,宁波", GBK));
    bytes.push(encode("市", GBK)[0]);
    let out = read_csv(bytes);
    assert_eq!(out.encoding, "GBK");
    let e = &out.errors[0];
    assert_eq!(e.row, 4);
    assert!(e.reason_en.contains("incomplete GBK character") && e.reason_en.contains("truncated"), "{e}");
}

#[test]
fn art_11_ragged_rows_are_row_errors_and_reading_continues() {
    let out = read_csv("a,b,c\n1,2,3\n1,2\n1,2,3,4\n7,8,9\n");
    assert_eq!(out.numbers(), [2, 5]);
    assert_eq!(out.errors.len(), 2);
    assert_eq!(out.errors[0].reason_zh, "第 3 行有 2 列，表头有 3 列");
    assert_eq!(out.errors[0].reason_en, "row 3 has 2 fields, the header has 3");
    assert_eq!(out.errors[0].kind, RowErrorKind::FieldCount);
    assert_eq!(out.errors[1].reason_en, "row 4 has 4 fields, the header has 3");
    assert_eq!(out.errors[1].to_string(), "第 4 行有 4 列，表头有 3 列 / row 4 has 4 fields, the header has 3");
}

#[test]
fn quoted_fields_hold_delimiters_quotes_and_line_breaks() {
    let out = read_csv("名称,备注,地址\n\"甲,乙\",\"他说\"\"好\"\"\",\"第一行\n第二行\"\n丙,,\"\"\n");
    assert_eq!(out.values(), [vec!["甲,乙", "他说\"好\"", "第一行\n第二行"], vec!["丙", "", ""]]);
    // The multi-line record starts on line 2; the next one is on line 4.
    assert_eq!(out.numbers(), [2, 4]);
}

#[test]
fn art_11_unclosed_quote_at_end_of_file_is_fatal_and_names_the_opening_line() {
    let out = read_csv("编号,名称\n1,甲\n2,\"乙\n3,丙\n4,丁\n");
    assert_eq!(out.numbers(), [2]);
    let err = out.fatal.expect("fatal error");
    assert_eq!(err.kind, ReadErrorKind::UnclosedQuote);
    assert_eq!(err.row, Some(3));
    assert!(err.reason_zh.contains("第 3 行") && err.reason_zh.contains("“名称”列"), "{err}");
    assert!(err.reason_en.contains("line 3") && err.reason_en.contains("never closed"), "{err}");
}

/// An endless, lazily generated input: a header, one unclosed quote, then rows forever.
struct Endless {
    prefix: Cursor<Vec<u8>>,
    produced: usize,
}

impl Read for Endless {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.prefix.read(buf)?;
        if n > 0 {
            return Ok(n);
        }
        let line = b"1,line of text that repeats\n";
        for b in buf.iter_mut() {
            *b = line[self.produced % line.len()];
            self.produced += 1;
        }
        Ok(buf.len())
    }
}

#[test]
fn art_11_unclosed_quote_in_a_huge_file_stops_at_the_record_limit() {
    let input = Endless { prefix: Cursor::new(b"a,b\n1,ok\n2,\"never closed\n".to_vec()), produced: 0 };
    let mut options = csv_opts();
    options.max_record_bytes = 1024 * 1024;
    let mut reader = open(input, &options).unwrap();
    let mut row = Row::default();
    assert_eq!(reader.next_row_into(&mut row).unwrap(), Next::Row);
    let err = reader.next_row_into(&mut row).unwrap_err();
    assert_eq!(err.kind, ReadErrorKind::UnclosedQuote);
    assert_eq!(err.row, Some(3));
    assert!(err.reason_en.contains("probably never closed") && err.reason_en.contains("1 MiB"), "{err}");
    assert!(reader.bytes_read() < 2 * 1024 * 1024, "stopped early: {}", reader.bytes_read());
    // Later calls repeat the error.
    assert_eq!(reader.next_row_into(&mut row).unwrap_err(), err);
}

#[test]
fn art_11_stray_quote_that_swallows_lines_hints_at_quotes() {
    let out = read_csv("a,b,c\n1,\"x,q\n2,y,z\n3,z\"\n4,w,v\n");
    assert_eq!(out.numbers(), [5]);
    let e = &out.errors[0];
    assert_eq!(e.row, 2);
    assert!(e.reason_en.contains("from line 2 to line 4") && e.reason_en.contains("quotes"), "{e}");
}

#[test]
fn text_after_a_closing_quote_is_a_row_error() {
    let out = read_csv("a,b\n1,\"x\"y\n2,\"z\"  \n");
    assert_eq!(out.values(), [["2", "z"]]);
    let e = &out.errors[0];
    assert_eq!((e.row, e.column.as_deref(), e.kind), (2, Some("b"), RowErrorKind::Quoting));
}

#[test]
fn art_10_empty_file_is_fatal() {
    let err = open_err(Vec::new(), &csv_opts());
    assert_eq!(err.kind, ReadErrorKind::Empty);
    assert_eq!(err.to_string(), "文件为空 / the file is empty");
    let err = open_err("\n\r\n\n", &csv_opts());
    assert_eq!(err.kind, ReadErrorKind::Empty);
}

#[test]
fn art_10_header_only_gives_zero_rows() {
    let out = read_csv("编号,名称\n");
    assert_eq!(out.header, ["编号", "名称"]);
    assert!(out.rows.is_empty() && out.errors.is_empty() && out.fatal.is_none());
    let out = read_csv("编号,名称");
    assert_eq!(out.header, ["编号", "名称"]);
    assert!(out.rows.is_empty());
}

#[test]
fn art_10_header_with_empty_column_name_is_fatal() {
    let err = open_err("编号,,名称\n1,2,3\n", &csv_opts());
    assert_eq!(err.kind, ReadErrorKind::Header);
    assert_eq!(err.row, Some(1));
    assert!(err.reason_zh.contains("第 2 列") && err.reason_en.contains("column 2"), "{err}");
}

#[test]
fn art_10_header_with_duplicate_column_name_is_fatal() {
    let err = open_err("编号,名称, 编号\n1,2,3\n", &csv_opts());
    assert_eq!(err.kind, ReadErrorKind::Header);
    assert!(
        err.reason_zh.contains("“编号”") && err.reason_zh.contains("第 1 列") && err.reason_zh.contains("第 3 列"),
        "{err}"
    );
    assert!(err.reason_en.contains("\"编号\" appears twice"), "{err}");
}

#[test]
fn blank_lines_and_delimiter_only_lines_are_skipped_but_counted() {
    let out = read_csv("\n编号,名称\n\n1,甲\n,\n\r\n2,乙\n\n");
    assert_eq!(out.header, ["编号", "名称"]);
    assert_eq!(out.numbers(), [4, 7]);
    assert!(out.errors.is_empty());
}

#[test]
fn crlf_and_lone_cr_line_endings() {
    let out = read_csv("a,b\r\n1,2\r\n3,\"x\r\ny\"\r\n4,5\r6,7\r");
    assert_eq!(out.values(), [vec!["1", "2"], vec!["3", "x\r\ny"], vec!["4", "5"], vec!["6", "7"]]);
    assert_eq!(out.numbers(), [2, 3, 5, 6]);
}

#[test]
fn tab_delimiter() {
    let mut options = csv_opts();
    options.delimiter = b'\t';
    let out = read("编号\t名称\n1\t甲,乙\n", &options).unwrap();
    assert_eq!(out.values(), [["1", "甲,乙"]]);
}

#[test]
fn nul_character_is_a_row_error() {
    let out = read_csv(b"a,b\n1,x\x00y\n2,z\n".to_vec());
    assert_eq!(out.numbers(), [3]);
    assert_eq!(out.errors[0].column.as_deref(), Some("b"));
    assert!(out.errors[0].reason_en.contains("NUL"));
}

#[test]
fn xlsx_or_utf16_read_as_csv_is_rejected() {
    let err = open_err(b"PK\x03\x04rest".to_vec(), &csv_opts());
    assert_eq!(err.kind, ReadErrorKind::Format);
    assert!(err.reason_en.contains("xlsx"));
    let err = open_err(vec![0xFF, 0xFE, b'a', 0, b',', 0, b'b', 0], &csv_opts());
    assert_eq!(err.kind, ReadErrorKind::Encoding);
    assert!(err.reason_en.contains("UTF-16"));
}

fn expected_digests(bytes: &[u8]) -> (String, String) {
    (hex::encode(sha2::Sha256::digest(bytes)), hex::encode(sm3::Sm3::digest(bytes)))
}

#[test]
fn art_12_digests_cover_the_whole_file_even_when_the_caller_stops_early() {
    let mut bytes = b"id,name\n".to_vec();
    for i in 0..100_000 {
        bytes.extend_from_slice(format!("{i},name {i}\n").as_bytes());
    }
    let (sha, sm3) = expected_digests(&bytes);
    let mut reader = open(Cursor::new(bytes.clone()), &csv_opts()).unwrap();
    let first = reader.next_row().unwrap().unwrap().unwrap();
    assert_eq!(first.fields, ["0", "name 0"]);
    assert!(reader.bytes_read() < bytes.len() as u64);
    let digests = reader.finish().unwrap();
    assert_eq!(digests.bytes, bytes.len() as u64);
    assert_eq!(digests.sha256_hex, sha);
    assert_eq!(digests.sm3_hex, sm3);
    // Known SM3 test vector (GB/T 32905): "abc".
    assert_eq!(expected_digests(b"abc").1, "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
}

#[test]
fn digests_after_a_fatal_error_still_cover_the_file() {
    let bytes = b"a,b\n1,\"open\n2,3\n".to_vec();
    let out = read_csv(bytes.clone());
    assert!(out.fatal.is_some());
    assert_eq!(out.digests.sha256_hex, expected_digests(&bytes).0);
}

/// Generates CSV rows on demand and records how far it has been read.
struct Generated {
    rows_left: u64,
    pending: Vec<u8>,
    at: usize,
    total: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.pending.len() {
            self.pending.clear();
            self.at = 0;
            while self.pending.len() < 8192 && self.rows_left > 0 {
                let i = self.rows_left;
                self.pending.extend_from_slice(format!("{i},宁波市鄞州区第{i}号,13800000000\n").as_bytes());
                self.rows_left -= 1;
            }
        }
        let n = buf.len().min(self.pending.len() - self.at);
        buf[..n].copy_from_slice(&self.pending[self.at..self.at + n]);
        self.at += n;
        self.total.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

#[test]
fn art_12_reading_streams_with_bounded_lookahead() {
    let total = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let header = Cursor::new("编号,地址,电话\n".as_bytes().to_vec());
    let body = Generated { rows_left: 120_000, pending: Vec::new(), at: 0, total: total.clone() };
    let mut reader = open(header.chain(body), &csv_opts()).unwrap();
    let mut row = Row::default();
    let mut count = 0u64;
    let mut max_ahead = 0u64;
    let mut consumed_estimate = 0u64;
    loop {
        match reader.next_row_into(&mut row).unwrap() {
            Next::Row => {
                count += 1;
                consumed_estimate += row.fields.iter().map(|f| f.len() as u64 + 1).sum::<u64>();
                max_ahead = max_ahead.max(reader.bytes_read().saturating_sub(consumed_estimate));
            }
            Next::Invalid(e) => panic!("{e}"),
            Next::End => break,
        }
    }
    assert_eq!(count, 120_000);
    let size = total.load(std::sync::atomic::Ordering::Relaxed);
    assert!(size > 5_000_000, "generated {size} bytes");
    // The reader never runs more than its buffer ahead of the rows it has returned.
    assert!(max_ahead <= 300 * 1024, "read ahead {max_ahead} bytes");
    let digests = reader.finish().unwrap();
    assert_eq!(digests.bytes, size + "编号,地址,电话\n".len() as u64);
}

#[test]
fn next_row_and_iterator_apis() {
    let mut reader = open(Cursor::new(b"a\n1\n\"2\n".to_vec()), &csv_opts()).unwrap();
    let first = reader.next_row().unwrap().unwrap().unwrap();
    assert_eq!((first.number, first.fields), (2, vec!["1".to_owned()]));
    let rest: Vec<_> = reader.by_ref().collect();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].as_ref().unwrap_err().kind, ReadErrorKind::UnclosedQuote);
    assert!(reader.next().is_none());
}

#[test]
fn reader_is_send_and_works_on_another_thread() {
    fn assert_send<T: Send>() {}
    assert_send::<RowReader>();
    let reader = open(Cursor::new(PEOPLE.as_bytes().to_vec()), &csv_opts()).unwrap();
    let rows = std::thread::spawn(move || reader.count()).join().unwrap();
    assert_eq!(rows, 2);
}

#[test]
fn reads_from_a_file_on_disk() {
    let path = common::temp_path("people.csv");
    std::fs::write(&path, encode(PEOPLE, GBK)).unwrap();
    let file = std::fs::File::open(&path).unwrap();
    let reader = open(file, &csv_opts()).unwrap();
    assert_eq!(reader.encoding(), "GBK");
    assert_eq!(reader.count(), 2);
    std::fs::remove_file(&path).unwrap();
}

/// Returns at most `step` bytes per read, to exercise every buffer boundary.
struct Trickle {
    data: Vec<u8>,
    at: usize,
    step: usize,
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.step).min(self.data.len() - self.at);
        buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

fn rows_via(data: &[u8], step: usize) -> (Vec<String>, Vec<Row>) {
    let reader = open(Trickle { data: data.to_vec(), at: 0, step }, &csv_opts()).unwrap();
    let header = reader.header().to_vec();
    let rows = reader.map(|r| r.unwrap().unwrap()).collect();
    (header, rows)
}

#[test]
fn generated_files_round_trip_at_every_buffer_boundary() {
    let pieces = ["a", "中文", ",", "\"", "\n", "\r\n", " ", "1", "鄞"];
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..40 {
        let mut expected: Vec<Vec<String>> = Vec::new();
        let newline = if round % 2 == 0 { "\n" } else { "\r\n" };
        let bom = if round % 3 == 0 { "" } else { "\u{feff}" };
        let mut text = format!("{bom}c1,c2,c3,c4{newline}");
        let mut line = 2u64;
        let mut numbers = Vec::new();
        for _ in 0..30 {
            let fields: Vec<String> = (0..4)
                .map(|_| (0..next() % 5).map(|_| pieces[(next() % pieces.len() as u64) as usize]).collect())
                .collect();
            if fields.iter().all(String::is_empty) {
                continue;
            }
            numbers.push(line);
            let encoded: Vec<String> = fields
                .iter()
                .map(|f| {
                    if f.contains([',', '"', '\n', '\r']) || f.starts_with(' ') || next() % 4 == 0 {
                        format!("\"{}\"", f.replace('"', "\"\""))
                    } else {
                        f.clone()
                    }
                })
                .collect();
            let record = encoded.join(",");
            line += 1 + record.matches('\n').count() as u64;
            text.push_str(&record);
            text.push_str(newline);
            expected.push(fields);
        }
        let bytes = if round % 3 == 0 { common::encode(&text, GBK) } else { text.into_bytes() };
        for step in [1, 2, 3, 7, 64 * 1024 + 1, usize::MAX] {
            let (header, rows) = rows_via(&bytes, step);
            assert_eq!(header, ["c1", "c2", "c3", "c4"], "round {round}, step {step}");
            let got: Vec<Vec<String>> = rows.iter().map(|r| r.fields.clone()).collect();
            assert_eq!(got, expected, "round {round}, step {step}");
            let got_numbers: Vec<u64> = rows.iter().map(|r| r.number).collect();
            assert_eq!(got_numbers, numbers, "round {round}, step {step}");
        }
    }
}
