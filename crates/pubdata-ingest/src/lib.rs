//! Streaming readers for delivered data files (Art.10-12 of the Yinzhou Public Data Measures).
//!
//! Agencies deliver batches of rows for a catalogued resource as CSV (UTF-8, GBK or GB18030),
//! XLSX or JSON Lines. This crate turns those bytes into rows of strings, with precise bilingual
//! errors, and computes the file's SHA-256 and SM3 digests while reading. Mapping columns to data
//! items and validating values is the caller's job.
//!
//! ```no_run
//! use pubdata_ingest::{Format, Next, ReadOptions, Row, open};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let file = std::fs::File::open("delivery.csv")?;
//! let mut reader = open(file, &ReadOptions::new(Format::Csv))?;
//! println!("columns: {:?}, encoding: {}", reader.header(), reader.encoding());
//! let mut row = Row::default();
//! loop {
//!     match reader.next_row_into(&mut row)? {
//!         Next::Row => { /* row.number, row.fields */ }
//!         Next::Invalid(err) => eprintln!("{err}"),
//!         Next::End => break,
//!     }
//! }
//! let digests = reader.finish()?;
//! println!("{} bytes, sm3 {}", digests.bytes, digests.sm3_hex);
//! # Ok(()) }
//! ```
//!
//! # Errors
//! Two levels. A [`RowError`] concerns one row (wrong number of fields, undecodable bytes, a bad
//! cell); reading continues with the next row. A [`ReadError`] concerns the file (empty, bad header,
//! unclosed quote, unknown sheet, merged cells, I/O failure); reading stops. Both carry a Simplified
//! Chinese and an English reason and display as `中文 / English`.
//!
//! # Row numbers
//! [`Row::number`] is the number a user finds the row by:
//! - CSV: the physical line on which the record starts (1-based), as an editor shows it. With no
//!   quoted line breaks this equals the spreadsheet row (header row 1, first data row 2). A record
//!   whose quoted field spans lines is numbered by its first line; skipped blank lines still count.
//! - XLSX: Excel's row number.
//! - JSON Lines: the line number; the first object (which also defines the header) is row 1.
//!
//! # Blank rows
//! CSV records whose fields are all empty (empty lines, lines of only delimiters), XLSX rows without a
//! non-empty cell, and whitespace-only JSON Lines lines are skipped without a message. The header is
//! the first non-blank row.
//!
//! # Memory
//! CSV and JSON Lines are read through a fixed 256 KiB buffer; a record may hold at most
//! [`ReadOptions::max_record_bytes`] (16 MiB by default), so memory is bounded whatever the file
//! size, even when an unclosed quote would otherwise swallow the rest of the file. XLSX needs random
//! access: the file is held in memory, up to [`ReadOptions::max_xlsx_bytes`] (100 MiB by default),
//! plus the workbook's shared strings; the sheet is streamed (see the `xlsx` module notes).
//!
//! # Encodings (CSV)
//! A byte-order mark wins (UTF-8 or GB18030; UTF-16 is rejected). Otherwise a declared encoding is
//! used, except that declaring GBK/GB18030 for a file whose first 64 KiB are valid UTF-8 with
//! Chinese text is rejected, since decoding it would silently produce garbage. With
//! [`EncodingChoice::Auto`] the first 64 KiB decide: valid UTF-8 (or overwhelmingly so) is UTF-8,
//! otherwise chardetng picks, and GBK is preferred for clean GBK bytes. Decoding is strict: bytes
//! that are not valid in the chosen encoding make that row an error naming the column and the bytes,
//! with a hint when they look like the other encoding. A file mixing encodings therefore reads its
//! good rows and reports the others.
//!
//! # Threads
//! [`RowReader`] is `Send` and meant for a blocking thread. SM3 is computed on a second thread
//! (SHA-256 on the reading thread), and XLSX sheets are parsed on a worker thread; both stop when
//! the reader is dropped.
//!
//! # Throughput
//! `examples/read_bench.rs` generates 200 MB CSV files and reports rates. On a 2-core x86-64 VM
//! (SHA-NI, no SM3 instructions) the reading thread handles about 190-210 MB/s of UTF-8 and
//! 110 MB/s of GBK; end to end, SM3 on the second core (about 210 MB/s) is the other bound.

#![deny(missing_docs)]

mod csv;
mod encoding;
mod error;
mod input;
mod jsonl;
mod xlsx;

use std::io::Read;

use serde::{Deserialize, Serialize};

pub use crate::encoding::{EncodingChoice, EncodingSource};
pub use crate::error::{ReadError, ReadErrorKind, RowError, RowErrorKind};
pub use crate::input::Digests;

use crate::input::Input;

/// A delivery file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Comma-separated values (also `.txt` exports).
    Csv,
    /// Excel 2007+ workbook.
    Xlsx,
    /// One JSON object per line.
    JsonLines,
}

impl Format {
    /// The format for a file name's extension: `.csv`/`.txt`, `.xlsx`, `.jsonl`/`.ndjson` (any case).
    pub fn from_file_name(name: &str) -> Option<Self> {
        let (_, ext) = name.rsplit_once('.')?;
        match ext.to_ascii_lowercase().as_str() {
            "csv" | "txt" => Some(Self::Csv),
            "xlsx" => Some(Self::Xlsx),
            "jsonl" | "ndjson" => Some(Self::JsonLines),
            _ => None,
        }
    }

    /// Parses `csv`, `xlsx`, `json_lines` (also `jsonl`, `ndjson`, `json-lines`), ignoring case.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(Self::Csv),
            "xlsx" => Some(Self::Xlsx),
            "json_lines" | "jsonl" | "ndjson" | "json-lines" => Some(Self::JsonLines),
            _ => None,
        }
    }

    /// The serde name: `csv`, `xlsx` or `json_lines`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
            Self::JsonLines => "json_lines",
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Guesses the format from the first bytes of an upload without a useful name.
///
/// A zip signature means XLSX; a first non-blank character `{` (after an optional UTF-8 BOM) means
/// JSON Lines; anything else is taken as CSV. Returns `None` for no bytes, for a legacy `.xls`
/// (OLE2) file, and for bytes that are clearly not text (NUL bytes, as in binaries or UTF-16).
pub fn sniff_format(first_bytes: &[u8]) -> Option<Format> {
    if first_bytes.is_empty() || first_bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return None;
    }
    if first_bytes.starts_with(b"PK\x03\x04") {
        return Some(Format::Xlsx);
    }
    if first_bytes.contains(&0) {
        return None;
    }
    let text = first_bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(first_bytes);
    match text.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => Some(Format::JsonLines),
        _ => Some(Format::Csv),
    }
}

/// How to read a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOptions {
    /// The file format.
    pub format: Format,
    /// CSV only: the declared encoding. XLSX and JSON Lines are always UTF-8.
    pub encoding: EncodingChoice,
    /// XLSX only: the sheet to read by name; `None` reads the first visible worksheet.
    pub sheet: Option<String>,
    /// CSV only: the field delimiter, `b','` by default (`b'\t'` for tab-separated files).
    pub delimiter: u8,
    /// CSV and JSON Lines: the largest record accepted, in bytes (16 MiB by default; values below
    /// 1 KiB count as 1 KiB). Bounds memory; an unclosed quote in a large file is reported when its
    /// field passes this size.
    pub max_record_bytes: usize,
    /// XLSX only: the largest file accepted, in bytes (100 MiB by default), since it is held in memory.
    pub max_xlsx_bytes: u64,
}

impl ReadOptions {
    /// Default options for a format: automatic encoding, first sheet, comma, default limits.
    pub fn new(format: Format) -> Self {
        Self {
            format,
            encoding: EncodingChoice::Auto,
            sheet: None,
            delimiter: b',',
            max_record_bytes: 16 * 1024 * 1024,
            max_xlsx_bytes: 100 * 1024 * 1024,
        }
    }

    /// Sets the declared encoding.
    pub fn with_encoding(mut self, encoding: EncodingChoice) -> Self {
        self.encoding = encoding;
        self
    }

    /// Sets the XLSX sheet to read.
    pub fn with_sheet(mut self, sheet: impl Into<String>) -> Self {
        self.sheet = Some(sheet.into());
        self
    }
}

/// One data row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Row {
    /// The row number a user sees (see the crate docs on row numbers).
    pub number: u64,
    /// One value per header column, in header order.
    pub fields: Vec<String>,
}

/// The outcome of [`RowReader::next_row_into`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Next {
    /// The row was read into the caller's [`Row`].
    Row,
    /// The row is bad; the caller's [`Row`] holds only its number. Reading may continue.
    Invalid(RowError),
    /// No more rows.
    End,
}

enum Inner {
    Csv(Box<csv::CsvReader>),
    Xlsx(Box<xlsx::XlsxReader>),
    Jsonl(Box<jsonl::JsonlReader>),
}

/// Reads rows from one file. Created by [`open`].
pub struct RowReader {
    inner: Inner,
    format: Format,
    encoding: &'static str,
    source: EncodingSource,
    detected: Option<&'static str>,
    failed: Option<ReadError>,
}

impl std::fmt::Debug for RowReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowReader")
            .field("format", &self.format)
            .field("encoding", &self.encoding)
            .field("header", &self.header())
            .field("bytes_read", &self.bytes_read())
            .finish_non_exhaustive()
    }
}

/// Opens a file: detects the encoding (CSV), reads and checks the header.
///
/// XLSX input is read completely here (it needs random access); CSV and JSON Lines input only as far
/// as the header (and the first 64 KiB for encoding detection).
pub fn open<R: Read + Send + 'static>(input: R, options: &ReadOptions) -> Result<RowReader, ReadError> {
    let input = Input::new(Box::new(input));
    match options.format {
        Format::Csv => {
            let opened = csv::open(input, options)?;
            Ok(RowReader {
                encoding: opened.reader.encoding(),
                inner: Inner::Csv(Box::new(opened.reader)),
                format: Format::Csv,
                source: opened.source,
                detected: opened.detected,
                failed: None,
            })
        }
        Format::Xlsx => Ok(RowReader {
            inner: Inner::Xlsx(Box::new(xlsx::open(input, options)?)),
            format: Format::Xlsx,
            encoding: "UTF-8",
            source: EncodingSource::Format,
            detected: None,
            failed: None,
        }),
        Format::JsonLines => Ok(RowReader {
            inner: Inner::Jsonl(Box::new(jsonl::open(input, options)?)),
            format: Format::JsonLines,
            encoding: "UTF-8",
            source: EncodingSource::Format,
            detected: None,
            failed: None,
        }),
    }
}

impl RowReader {
    /// Column names: trimmed, BOM removed, non-empty and distinct.
    pub fn header(&self) -> &[String] {
        match &self.inner {
            Inner::Csv(r) => r.header(),
            Inner::Xlsx(r) => r.header(),
            Inner::Jsonl(r) => r.header(),
        }
    }

    /// The format being read.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The encoding in use: "UTF-8", "GBK" or "GB18030" (always "UTF-8" for XLSX and JSON Lines).
    pub fn encoding(&self) -> &'static str {
        self.encoding
    }

    /// Whether the encoding was declared, detected, given by a BOM, or fixed by the format.
    pub fn encoding_source(&self) -> EncodingSource {
        self.source
    }

    /// CSV: what detection concluded from the first 64 KiB, even when an encoding was declared or a
    /// BOM decided (callers may warn when it differs from [`RowReader::encoding`]). It can name an
    /// unsupported encoding. `None` for XLSX and JSON Lines.
    pub fn detected_encoding(&self) -> Option<&'static str> {
        self.detected
    }

    /// Bytes consumed from the input so far (for progress reporting). For XLSX, the whole file.
    pub fn bytes_read(&self) -> u64 {
        match &self.inner {
            Inner::Csv(r) => r.bytes_read(),
            Inner::Xlsx(r) => r.bytes_read(),
            Inner::Jsonl(r) => r.bytes_read(),
        }
    }

    /// Reads the next row into `row`, reusing its strings.
    ///
    /// `Ok(Next::Invalid(_))` reports a bad row and reading may continue; `Err(_)` is fatal and every
    /// later call returns the same error.
    pub fn next_row_into(&mut self, row: &mut Row) -> Result<Next, ReadError> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        let result = match &mut self.inner {
            Inner::Csv(r) => r.next_row_into(row),
            Inner::Xlsx(r) => r.next_row_into(row),
            Inner::Jsonl(r) => r.next_row_into(row),
        };
        if let Err(err) = &result {
            self.failed = Some(err.clone());
        }
        result
    }

    /// Reads the next row: `Ok(None)` at the end, `Ok(Some(Err(_)))` for a bad row (reading may
    /// continue), `Err(_)` for a fatal problem.
    pub fn next_row(&mut self) -> Result<Option<Result<Row, RowError>>, ReadError> {
        let mut row = Row::default();
        Ok(match self.next_row_into(&mut row)? {
            Next::Row => Some(Ok(row)),
            Next::Invalid(err) => Some(Err(err)),
            Next::End => None,
        })
    }

    /// Reads and hashes the rest of the input (also after stopping early or after a fatal error) and
    /// returns the size and digests of the whole file.
    pub fn finish(self) -> Result<Digests, ReadError> {
        match self.inner {
            Inner::Csv(r) => r.finish(),
            Inner::Xlsx(r) => r.finish(),
            Inner::Jsonl(r) => r.finish(),
        }
    }
}

/// Yields `Ok(Ok(row))`, `Ok(Err(row_error))` and, once, `Err(read_error)` after which it ends.
impl Iterator for RowReader {
    type Item = Result<Result<Row, RowError>, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed.is_some() {
            return None;
        }
        self.next_row().transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_from_file_name_parse_and_serde() {
        assert_eq!(Format::from_file_name("2024年人口.CSV"), Some(Format::Csv));
        assert_eq!(Format::from_file_name("export.txt"), Some(Format::Csv));
        assert_eq!(Format::from_file_name("名录.xlsx"), Some(Format::Xlsx));
        assert_eq!(Format::from_file_name("a.b.jsonl"), Some(Format::JsonLines));
        assert_eq!(Format::from_file_name("a.ndjson"), Some(Format::JsonLines));
        assert_eq!(Format::from_file_name("old.xls"), None);
        assert_eq!(Format::from_file_name("noext"), None);
        assert_eq!(Format::parse(" JSONL "), Some(Format::JsonLines));
        assert_eq!(Format::parse("json_lines"), Some(Format::JsonLines));
        assert_eq!(Format::parse("XLSX"), Some(Format::Xlsx));
        assert_eq!(Format::parse("pdf"), None);
        assert_eq!(serde_json::to_string(&Format::JsonLines).unwrap(), "\"json_lines\"");
        assert_eq!(serde_json::from_str::<Format>("\"csv\"").unwrap(), Format::Csv);
        for f in [Format::Csv, Format::Xlsx, Format::JsonLines] {
            assert_eq!(Format::parse(f.as_str()), Some(f));
        }
    }

    #[test]
    fn encoding_choice_parse_and_serde() {
        assert_eq!(EncodingChoice::parse("AUTO"), Some(EncodingChoice::Auto));
        assert_eq!(EncodingChoice::parse("UTF-8"), Some(EncodingChoice::Utf8));
        assert_eq!(EncodingChoice::parse("utf8"), Some(EncodingChoice::Utf8));
        assert_eq!(EncodingChoice::parse("Gbk"), Some(EncodingChoice::Gbk));
        assert_eq!(EncodingChoice::parse("gb18030"), Some(EncodingChoice::Gb18030));
        assert_eq!(EncodingChoice::parse("big5"), None);
        assert_eq!(serde_json::to_string(&EncodingChoice::Utf8).unwrap(), "\"utf-8\"");
        assert_eq!(serde_json::from_str::<EncodingChoice>("\"utf8\"").unwrap(), EncodingChoice::Utf8);
        assert_eq!(serde_json::from_str::<EncodingChoice>("\"gbk\"").unwrap(), EncodingChoice::Gbk);
    }

    #[test]
    fn sniff_format_from_first_bytes() {
        assert_eq!(sniff_format(b"PK\x03\x04\x14\x00"), Some(Format::Xlsx));
        assert_eq!(sniff_format(b"\xEF\xBB\xBF  \n{\"a\":1}"), Some(Format::JsonLines));
        assert_eq!(sniff_format("编号,名称\n".as_bytes()), Some(Format::Csv));
        assert_eq!(sniff_format(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"), None);
        assert_eq!(sniff_format(b"\xFF\xFEa\x00"), None);
        assert_eq!(sniff_format(b""), None);
    }

    #[test]
    fn unsupported_encodings_are_named() {
        let text = "名稱,說明\n臺北市政府,公開資料平臺，資料集說明與欄位定義。\n".repeat(20);
        let (big5, _, _) = encoding_rs::BIG5.encode(&text);
        let err = open(std::io::Cursor::new(big5.into_owned()), &ReadOptions::new(Format::Csv)).unwrap_err();
        assert_eq!(err.kind, ReadErrorKind::Encoding);
        assert!(err.reason_en.contains("Big5"), "{err}");
    }
}
