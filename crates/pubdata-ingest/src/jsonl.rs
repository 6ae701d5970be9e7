//! JSON Lines: one JSON object per line, UTF-8.
//!
//! The header is the keys of the first object, in the order they appear (parsed with a visitor that
//! keeps the order, so serde_json's `preserve_order` feature is not needed). Later objects may omit
//! keys (the field is empty) or list them in any order; a key not in the header is a row error.
//! Values: strings as they are, numbers as their JSON text (exactly as written, via `RawValue`),
//! booleans as `true`/`false`, `null` as empty; arrays and objects are row errors.
//! Row numbers are line numbers: the first line is row 1. Whitespace-only lines are skipped.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::error::{ReadError, ReadErrorKind, RowError, RowErrorKind, check_header};
use crate::input::{Digests, Input};
use crate::{Next, ReadOptions, Row};

const BUF_SIZE: usize = 256 * 1024;

pub(crate) struct JsonlReader {
    input: Input,
    buf: Box<[u8]>,
    pos: usize,
    len: usize,
    input_done: bool,
    line: Vec<u8>,
    /// Line number of the line in `line`.
    line_no: u64,
    next_line_no: u64,
    max_record: usize,
    header: Vec<String>,
    /// The first object is both the header and the first row.
    replay_first: bool,
    seen: Vec<bool>,
    pairs: Vec<(usize, usize)>,
}

/// A key, borrowed when it has no escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// Collects the members of one object, in order, with their raw values.
struct Members<'a, 'de>(&'a mut Vec<(Key<'de>, &'de RawValue)>);

impl<'de> DeserializeSeed<'de> for Members<'_, 'de> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Members<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let value: &'de RawValue = map.next_value()?;
            self.0.push((key, value));
        }
        Ok(())
    }
}

fn parse_members<'de>(text: &'de str, out: &mut Vec<(Key<'de>, &'de RawValue)>) -> Result<(), serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    Members(out).deserialize(&mut de)?;
    de.end()
}

/// Why a line could not be read as an object: (zh, en).
enum LineProblem {
    Utf8,
    NotObject,
    Syntax(serde_json::Error),
}

impl LineProblem {
    fn describe(&self, line: u64) -> (String, String) {
        match self {
            LineProblem::Utf8 => (
                format!("第 {line} 行不是有效的 UTF-8 编码（JSON Lines 文件必须是 UTF-8）"),
                format!("line {line} is not valid UTF-8 (JSON Lines files must be UTF-8)"),
            ),
            LineProblem::NotObject => (
                format!("第 {line} 行不是 JSON 对象（每行应为一个 {{...}} 对象）"),
                format!("line {line} is not a JSON object (each line must be one {{...}} object)"),
            ),
            LineProblem::Syntax(e) => {
                let col = e.column();
                (
                    format!("第 {line} 行不是有效的 JSON（第 {col} 个字符附近）"),
                    format!("line {line} is not valid JSON (near character {col}): {e}"),
                )
            }
        }
    }
}

fn line_text(line: &[u8]) -> Result<&str, LineProblem> {
    let text = std::str::from_utf8(line).map_err(|_| LineProblem::Utf8)?;
    if !text.trim_start().starts_with('{') {
        return Err(LineProblem::NotObject);
    }
    Ok(text)
}

pub(crate) fn open(input: Input, options: &ReadOptions) -> Result<JsonlReader, ReadError> {
    let mut reader = JsonlReader {
        input,
        buf: vec![0u8; BUF_SIZE].into_boxed_slice(),
        pos: 0,
        len: 0,
        input_done: false,
        line: Vec::with_capacity(4096),
        line_no: 0,
        next_line_no: 1,
        max_record: options.max_record_bytes.max(1024),
        header: Vec::new(),
        replay_first: false,
        seen: Vec::new(),
        pairs: Vec::new(),
    };
    if !reader.refill()? {
        return Err(ReadError::empty());
    }
    if reader.buf[..reader.len].starts_with(&[0xEF, 0xBB, 0xBF]) {
        reader.pos = 3;
    }
    if !reader.next_line()? {
        return Err(ReadError::new(
            ReadErrorKind::Empty,
            "文件没有任何 JSON 对象（只有空行）",
            "the file has no JSON object (only blank lines)",
        ));
    }
    let row = reader.line_no;
    let text = line_text(&reader.line).map_err(|p| {
        let (zh, en) = p.describe(row);
        ReadError::new(
            ReadErrorKind::Header,
            format!("无法从第一行确定列名：{zh}"),
            format!("cannot take column names from the first line: {en}"),
        )
        .at(row)
    })?;
    let mut members = Vec::new();
    parse_members(text, &mut members).map_err(|e| {
        let (zh, en) = LineProblem::Syntax(e).describe(row);
        ReadError::new(
            ReadErrorKind::Header,
            format!("无法从第一行确定列名：{zh}"),
            format!("cannot take column names from the first line: {en}"),
        )
        .at(row)
    })?;
    let names: Vec<String> = members.iter().map(|(k, _)| k.0.trim().to_owned()).collect();
    check_header(&names, row, |i| (format!("第 {} 个键", i + 1), format!("key {}", i + 1)))?;
    if names.is_empty() {
        return Err(ReadError::new(
            ReadErrorKind::Header,
            "第一行是空对象，无法确定列名",
            "the first line is an empty object; there are no column names",
        )
        .at(row));
    }
    reader.seen = vec![false; names.len()];
    reader.header = names;
    reader.replay_first = true;
    Ok(reader)
}

impl JsonlReader {
    pub(crate) fn header(&self) -> &[String] {
        &self.header
    }

    pub(crate) fn bytes_read(&self) -> u64 {
        self.input.bytes_read()
    }

    pub(crate) fn finish(self) -> Result<Digests, ReadError> {
        self.input.finish()
    }

    fn refill(&mut self) -> Result<bool, ReadError> {
        if self.pos < self.len {
            return Ok(true);
        }
        if self.input_done {
            return Ok(false);
        }
        self.pos = 0;
        self.len = self.input.read(&mut self.buf)?;
        if self.len == 0 {
            self.input_done = true;
            return Ok(false);
        }
        Ok(true)
    }

    /// Reads the next line that is not blank into `line` (without the terminator); false at end.
    fn next_line(&mut self) -> Result<bool, ReadError> {
        loop {
            self.line.clear();
            self.line_no = self.next_line_no;
            let mut got_any = false;
            loop {
                if !self.refill()? {
                    if !got_any {
                        return Ok(false);
                    }
                    break;
                }
                got_any = true;
                let hay = &self.buf[self.pos..self.len];
                match hay.iter().position(|&b| b == b'\n') {
                    Some(i) => {
                        self.line.extend_from_slice(&hay[..i]);
                        self.pos += i + 1;
                        break;
                    }
                    None => {
                        self.line.extend_from_slice(hay);
                        self.pos = self.len;
                    }
                }
                if self.line.len() > self.max_record {
                    let (row, limit) = (self.line_no, self.max_record / (1024 * 1024));
                    return Err(ReadError::new(
                        ReadErrorKind::TooLarge,
                        format!("第 {row} 行超过 {limit} MiB 的长度上限"),
                        format!("line {row} is longer than the {limit} MiB limit"),
                    )
                    .at(row));
                }
            }
            self.next_line_no += 1;
            if self.line.last() == Some(&b'\r') {
                self.line.pop();
            }
            if !self.line.iter().all(u8::is_ascii_whitespace) {
                return Ok(true);
            }
        }
    }

    pub(crate) fn next_row_into(&mut self, row: &mut Row) -> Result<Next, ReadError> {
        if self.replay_first {
            self.replay_first = false;
        } else if !self.next_line()? {
            return Ok(Next::End);
        }
        let number = self.line_no;
        row.number = number;
        let text = match line_text(&self.line) {
            Ok(text) => text,
            Err(problem) => return Ok(Next::Invalid(json_error(number, None, &problem))),
        };
        let mut members = Vec::new();
        if let Err(e) = parse_members(text, &mut members) {
            return Ok(Next::Invalid(json_error(number, None, &LineProblem::Syntax(e))));
        }
        let n = self.header.len();
        row.fields.truncate(n);
        while row.fields.len() < n {
            row.fields.push(String::new());
        }
        for field in &mut row.fields {
            field.clear();
        }
        self.seen.iter_mut().for_each(|s| *s = false);
        self.pairs.clear();
        for (i, (key, value)) in members.iter().enumerate() {
            let key = key.0.trim();
            // Objects usually list keys in header order, so try the matching position first.
            let col = if self.header.get(i).is_some_and(|h| h == key) {
                Some(i)
            } else {
                self.header.iter().position(|h| h == key)
            };
            let Some(col) = col else {
                return Ok(Next::Invalid(RowError::new(
                    number,
                    Some(key),
                    RowErrorKind::UnknownColumn,
                    format!("第 {number} 行的键“{key}”不在表头（第一行的键）中"),
                    format!("line {number}: the key \"{key}\" is not in the header (the keys of the first line)"),
                )));
            };
            if self.seen[col] {
                return Ok(Next::Invalid(RowError::new(
                    number,
                    Some(key),
                    RowErrorKind::UnknownColumn,
                    format!("第 {number} 行的键“{key}”出现了两次"),
                    format!("line {number}: the key \"{key}\" appears twice"),
                )));
            }
            self.seen[col] = true;
            let raw = value.get();
            let field = &mut row.fields[col];
            match raw.as_bytes().first() {
                Some(b'"') => {
                    if raw.contains('\\') {
                        match serde_json::from_str::<String>(raw) {
                            Ok(s) => field.push_str(&s),
                            Err(e) => return Ok(Next::Invalid(json_error(number, Some(key), &LineProblem::Syntax(e)))),
                        }
                    } else {
                        field.push_str(&raw[1..raw.len() - 1]);
                    }
                }
                Some(b't') => field.push_str("true"),
                Some(b'f') => field.push_str("false"),
                Some(b'n') => {}
                Some(b'[' | b'{') => {
                    let (what_zh, what_en) =
                        if raw.starts_with('[') { ("数组", "an array") } else { ("对象", "an object") };
                    return Ok(Next::Invalid(RowError::new(
                        number,
                        Some(&self.header[col]),
                        RowErrorKind::Json,
                        format!("第 {number} 行“{key}”的值是{what_zh}，不支持嵌套的值"),
                        format!("line {number}: the value of \"{key}\" is {what_en}; nested values are not supported"),
                    )));
                }
                _ => field.push_str(raw),
            }
        }
        Ok(Next::Row)
    }
}

fn json_error(number: u64, column: Option<&str>, problem: &LineProblem) -> RowError {
    let (zh, en) = problem.describe(number);
    RowError::new(number, column, RowErrorKind::Json, zh, en)
}
