//! Row-level and file-level errors, each with a Simplified Chinese and an English reason.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What kind of problem a [`RowError`] reports, for callers that count or group errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RowErrorKind {
    /// Bytes that are not valid in the file's encoding, or a NUL character.
    Encoding,
    /// More or fewer fields than the header; a value outside the header's columns.
    FieldCount,
    /// Text after a closing quote.
    Quoting,
    /// JSON Lines: a key that is not in the header, or a key given twice.
    UnknownColumn,
    /// XLSX: an error value, a formula without a cached result, a number that lost precision.
    CellValue,
    /// JSON Lines: a line that is not valid JSON, not an object, or has a nested value.
    Json,
}

/// A problem with one row. Reading continues with the next row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowError {
    /// The row number as a user sees it (see [`crate::Row::number`]).
    pub row: u64,
    /// The header name of the offending column, when the problem is in one column.
    pub column: Option<String>,
    /// Machine-readable category.
    pub kind: RowErrorKind,
    /// Reason in Simplified Chinese, a complete sentence naming the row.
    pub reason_zh: String,
    /// The same reason in English.
    pub reason_en: String,
}

impl RowError {
    pub(crate) fn new(
        row: u64,
        column: Option<&str>,
        kind: RowErrorKind,
        reason_zh: impl Into<String>,
        reason_en: impl Into<String>,
    ) -> Self {
        Self { row, column: column.map(str::to_owned), kind, reason_zh: reason_zh.into(), reason_en: reason_en.into() }
    }
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} / {}", self.reason_zh, self.reason_en)
    }
}

impl std::error::Error for RowError {}

/// What kind of problem a [`ReadError`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ReadErrorKind {
    /// The file has no bytes, or no header row.
    Empty,
    /// The underlying reader failed.
    Io,
    /// The encoding is unsupported, or contradicts the declared one, or the header cannot be decoded.
    Encoding,
    /// The header has an empty or duplicate column name, or cannot be parsed.
    Header,
    /// A quote was opened and never closed.
    UnclosedQuote,
    /// A record, or an XLSX file, exceeds the configured limit.
    TooLarge,
    /// XLSX: the requested sheet does not exist, or the workbook has none.
    Sheet,
    /// XLSX: the sheet has merged cells.
    MergedCells,
    /// The bytes are not in the declared format (e.g. an .xls or .xlsx file read as CSV).
    Format,
    /// An internal failure (a worker thread stopped unexpectedly).
    Internal,
}

/// A file-level problem. Reading stops.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadError {
    /// Machine-readable category.
    pub kind: ReadErrorKind,
    /// Reason in Simplified Chinese.
    pub reason_zh: String,
    /// The same reason in English.
    pub reason_en: String,
    /// The row the problem was found at, when there is one.
    pub row: Option<u64>,
}

impl ReadError {
    pub(crate) fn new(kind: ReadErrorKind, reason_zh: impl Into<String>, reason_en: impl Into<String>) -> Self {
        Self { kind, reason_zh: reason_zh.into(), reason_en: reason_en.into(), row: None }
    }

    pub(crate) fn at(mut self, row: u64) -> Self {
        self.row = Some(row);
        self
    }

    pub(crate) fn io(err: &std::io::Error) -> Self {
        Self::new(ReadErrorKind::Io, format!("读取文件失败：{err}"), format!("failed to read the file: {err}"))
    }

    pub(crate) fn empty() -> Self {
        Self::new(ReadErrorKind::Empty, "文件为空", "the file is empty")
    }

    pub(crate) fn internal(what_zh: &str, what_en: &str) -> Self {
        Self::new(ReadErrorKind::Internal, format!("内部错误：{what_zh}"), format!("internal error: {what_en}"))
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} / {}", self.reason_zh, self.reason_en)
    }
}

impl std::error::Error for ReadError {}

/// Checks header names (already trimmed): none empty, none repeated.
/// `label` renders the position of column `i` (0-based) for messages, e.g. "第 3 列" / "column 3".
pub(crate) fn check_header(
    names: &[String],
    row: u64,
    label: impl Fn(usize) -> (String, String),
) -> Result<(), ReadError> {
    let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        if name.is_empty() {
            let (zh, en) = label(i);
            return Err(ReadError::new(
                ReadErrorKind::Header,
                format!("表头{zh}的列名为空"),
                format!("the header name of {en} is empty"),
            )
            .at(row));
        }
        if let Some(&first) = seen.get(name.as_str()) {
            let (zh1, en1) = label(first);
            let (zh2, en2) = label(i);
            return Err(ReadError::new(
                ReadErrorKind::Header,
                format!("表头列名“{name}”重复（{zh1}和{zh2}）"),
                format!("the header name \"{name}\" appears twice ({en1} and {en2})"),
            )
            .at(row));
        }
        seen.insert(name, i);
    }
    Ok(())
}
