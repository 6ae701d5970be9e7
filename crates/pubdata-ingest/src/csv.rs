//! A streaming CSV tokenizer over raw bytes (RFC 4180 plus the habits of spreadsheet exports).
//!
//! A small purpose-built state machine is used instead of the `csv` crate because the reader needs
//! things that crate does not expose: the physical line on which each record starts (for messages a
//! user can find in an editor), the line on which an unclosed quote opened, a per-record size limit
//! that keeps memory bounded when a quote swallows the rest of a multi-GB file, and the raw bytes of
//! each field so that decoding errors name the column.
//!
//! Rules:
//! - Fields are separated by the delimiter (`,` unless configured); records end at LF, CRLF or a lone CR.
//! - A field that starts with `"` is quoted: it may contain delimiters, CR, LF, and `""` for a quote;
//!   spaces or tabs after the closing quote are ignored; any other text there is a row error.
//!   A `"` inside an unquoted field is an ordinary character.
//! - A record whose fields are all empty (an empty line, or only delimiters as spreadsheet programs
//!   write for formatted but empty rows) is skipped.
//! - End of input inside a quoted field is a fatal error naming the line where the quote opened; so is
//!   a record longer than [`crate::ReadOptions::max_record_bytes`], which is how an unclosed quote in a
//!   large file shows up long before the end.

use crate::encoding::{self, Bom, DecodeFault, Detected, Enc, EncodingChoice, EncodingSource};
use crate::error::{ReadError, ReadErrorKind, RowError, RowErrorKind, check_header};
use crate::input::{Digests, Input};
use crate::{Next, ReadOptions, Row};

/// Size of the read buffer.
const BUF_SIZE: usize = 256 * 1024;
/// Bytes inspected to detect the encoding.
pub(crate) const SAMPLE_SIZE: usize = 64 * 1024;
/// Fields per record beyond which the file is rejected (keeps the offsets vector bounded).
const MAX_FIELDS: usize = 65_536;

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    FieldStart,
    Unquoted,
    Quoted,
    /// A quote inside a quoted field: either the first half of `""` or the closing quote.
    QuoteInQuoted,
    /// After a closing quote and optional blanks.
    AfterQuote,
}

#[derive(Default, Clone, Copy)]
struct RecordMeta {
    start_line: u64,
    end_line: u64,
    /// The first field with text after its closing quote.
    junk_field: Option<usize>,
}

pub(crate) struct CsvReader {
    input: Input,
    buf: Box<[u8]>,
    pos: usize,
    len: usize,
    input_done: bool,
    delimiter: u8,
    /// Physical line number of the byte at `pos`.
    line: u64,
    /// The previous record ended with CR, so a following LF belongs to it.
    after_cr: bool,
    rec: Vec<u8>,
    ends: Vec<usize>,
    meta: RecordMeta,
    enc: Enc,
    max_record: usize,
    header: Vec<String>,
}

/// What [`open`] found out about the file.
pub(crate) struct Opened {
    pub(crate) reader: CsvReader,
    pub(crate) source: EncodingSource,
    pub(crate) detected: Option<&'static str>,
}

fn mib(bytes: usize) -> String {
    let m = bytes as f64 / (1024.0 * 1024.0);
    if m.fract() == 0.0 { format!("{m:.0}") } else { format!("{m:.1}") }
}

pub(crate) fn open(mut input: Input, options: &ReadOptions) -> Result<Opened, ReadError> {
    let delimiter = options.delimiter;
    if matches!(delimiter, b'"' | b'\r' | b'\n' | 0) || delimiter >= 0x80 {
        return Err(ReadError::new(
            ReadErrorKind::Format,
            format!("不能使用 0x{delimiter:02X} 作为分隔符"),
            format!("0x{delimiter:02X} cannot be used as the delimiter"),
        ));
    }
    let mut buf = vec![0u8; BUF_SIZE].into_boxed_slice();
    let n = input.fill(&mut buf[..SAMPLE_SIZE])?;
    if n == 0 {
        return Err(ReadError::empty());
    }
    let whole = n < SAMPLE_SIZE;
    let head = &buf[..n];
    if head.starts_with(b"PK\x03\x04") {
        return Err(ReadError::new(
            ReadErrorKind::Format,
            "这是 Excel（.xlsx）文件，不是 CSV 文件；请按 XLSX 格式上传",
            "this is an Excel (.xlsx) workbook, not a CSV file; upload it as XLSX",
        ));
    }
    if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Err(ReadError::new(
            ReadErrorKind::Format,
            "这是旧版 Excel（.xls）文件，不是 CSV 文件；请在 Excel 中另存为 .xlsx 或 CSV",
            "this is a legacy Excel (.xls) workbook, not a CSV file; save it as .xlsx or CSV in Excel",
        ));
    }
    let (bom, skip) = encoding::sniff_bom(head);
    if matches!(bom, Bom::Utf16) {
        return Err(ReadError::new(
            ReadErrorKind::Encoding,
            "文件是 UTF-16 编码，暂不支持；请另存为 UTF-8",
            "the file is UTF-16 encoded, which is not supported; save it as UTF-8",
        ));
    }
    let sample = &head[skip..];
    let nuls = sample.iter().filter(|&&b| b == 0).count();
    if nuls * 8 > sample.len() {
        return Err(ReadError::new(
            ReadErrorKind::Format,
            "文件含有大量空字符（0x00），不是文本文件（可能是 UTF-16 编码或二进制文件）",
            "the file contains many NUL bytes and is not a text file (UTF-16 or binary?)",
        ));
    }
    let detected = encoding::detect(sample, whole);
    let detected_name = Some(match detected {
        Detected::Supported(e) => e.name(),
        Detected::Unsupported(name) => name,
    });
    let (enc, source) = match bom {
        Bom::Utf8 => (Enc::Utf8, EncodingSource::ByteOrderMark),
        Bom::Gb18030 => (Enc::Gb18030, EncodingSource::ByteOrderMark),
        Bom::Utf16 | Bom::None => match options.encoding {
            EncodingChoice::Auto => match detected {
                Detected::Supported(e) => (e, EncodingSource::Detected),
                Detected::Unsupported(name) => {
                    return Err(ReadError::new(
                        ReadErrorKind::Encoding,
                        format!("无法识别文件编码（像是 {name}，暂不支持）；请另存为 UTF-8，或明确选择 GBK/GB18030"),
                        format!(
                            "cannot determine the file's encoding (it looks like {name}, which is not supported); \
                             save it as UTF-8 or declare GBK/GB18030"
                        ),
                    ));
                }
            },
            EncodingChoice::Utf8 => (Enc::Utf8, EncodingSource::Declared),
            choice @ (EncodingChoice::Gbk | EncodingChoice::Gb18030) => {
                let scan = encoding::scan_utf8(sample, whole);
                if scan.invalid_lines == 0 && scan.multibyte >= 8 {
                    let declared = if choice == EncodingChoice::Gbk { "GBK" } else { "GB18030" };
                    return Err(ReadError::new(
                        ReadErrorKind::Encoding,
                        format!("声明的编码是 {declared}，但文件内容是有效的 UTF-8 编码；请改选 UTF-8 或“自动”"),
                        format!(
                            "the declared encoding is {declared}, but the file is valid UTF-8; choose UTF-8 or auto"
                        ),
                    ));
                }
                (if choice == EncodingChoice::Gbk { Enc::Gbk } else { Enc::Gb18030 }, EncodingSource::Declared)
            }
        },
    };
    let mut reader = CsvReader {
        input,
        buf,
        pos: skip,
        len: n,
        input_done: false,
        delimiter,
        line: 1,
        after_cr: false,
        rec: Vec::with_capacity(4096),
        ends: Vec::with_capacity(64),
        meta: RecordMeta::default(),
        enc,
        max_record: options.max_record_bytes.max(1024),
        header: Vec::new(),
    };
    reader.read_header()?;
    Ok(Opened { reader, source, detected: detected_name })
}

impl CsvReader {
    pub(crate) fn header(&self) -> &[String] {
        &self.header
    }

    pub(crate) fn encoding(&self) -> &'static str {
        self.enc.name()
    }

    pub(crate) fn bytes_read(&self) -> u64 {
        self.input.bytes_read()
    }

    pub(crate) fn finish(self) -> Result<Digests, ReadError> {
        self.input.finish()
    }

    fn read_header(&mut self) -> Result<(), ReadError> {
        if !self.next_record()? {
            return Err(ReadError::new(
                ReadErrorKind::Empty,
                "文件没有表头（只有空行）",
                "the file has no header row (only blank lines)",
            ));
        }
        let row = self.meta.start_line;
        if self.meta.junk_field.is_some() || self.nul_field().is_some() {
            return Err(ReadError::new(
                ReadErrorKind::Header,
                format!("第 {row} 行（表头）格式错误：引号后有多余字符或含有空字符"),
                format!("row {row} (the header) is malformed: text after a closing quote, or a NUL character"),
            )
            .at(row));
        }
        let mut names = Vec::with_capacity(self.ends.len());
        let mut start = 0;
        for (i, &end) in self.ends.iter().enumerate() {
            let bytes = &self.rec[start..end];
            let mut name = String::new();
            if let Err(fault) = encoding::decode_into(self.enc, bytes, &mut name) {
                let (zh, en) = encoding::describe_fault(self.enc, &fault, bytes, false);
                let col = i + 1;
                return Err(ReadError::new(
                    ReadErrorKind::Encoding,
                    format!("第 {row} 行（表头）第 {col} 列{zh}"),
                    format!("row {row} (the header), column {col} {en}"),
                )
                .at(row));
            }
            names.push(name.trim().trim_start_matches('\u{feff}').trim().to_owned());
            start = end;
        }
        check_header(&names, row, |i| (format!("第 {} 列", i + 1), format!("column {}", i + 1)))?;
        self.header = names;
        Ok(())
    }

    /// Refills the buffer when it is exhausted; false at end of input.
    #[inline]
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

    /// Reads the next non-blank record into `rec`/`ends`/`meta`; false at end of input.
    fn next_record(&mut self) -> Result<bool, ReadError> {
        loop {
            if !self.parse_record()? {
                return Ok(false);
            }
            if !self.rec.is_empty() {
                return Ok(true);
            }
        }
    }

    fn too_long(&self, state: State, quote_line: u64) -> ReadError {
        let limit = mib(self.max_record);
        if state == State::Quoted {
            let (col_zh, col_en) = self.column_hint(self.ends.len());
            ReadError::new(
                ReadErrorKind::UnclosedQuote,
                format!("第 {quote_line} 行{col_zh}开始的引号可能没有闭合：该字段已超过 {limit} MiB"),
                format!("the quote opened on line {quote_line}{col_en} is probably never closed: the field exceeds {limit} MiB"),
            )
            .at(quote_line)
        } else {
            let row = self.meta.start_line;
            ReadError::new(
                ReadErrorKind::TooLarge,
                format!("第 {row} 行超过 {limit} MiB 的长度上限"),
                format!("row {row} is longer than the {limit} MiB limit"),
            )
            .at(row)
        }
    }

    fn too_many_fields(&self) -> ReadError {
        let row = self.meta.start_line;
        ReadError::new(
            ReadErrorKind::TooLarge,
            format!("第 {row} 行超过 {MAX_FIELDS} 列"),
            format!("row {row} has more than {MAX_FIELDS} fields"),
        )
        .at(row)
    }

    fn column_hint(&self, field: usize) -> (String, String) {
        match self.header.get(field) {
            Some(name) => (format!("“{name}”列"), format!(", column \"{name}\",")),
            None => (String::new(), String::new()),
        }
    }

    /// Ends the current field and record at a line terminator `b` (already consumed).
    #[inline]
    fn end_record(&mut self, b: u8) {
        self.ends.push(self.rec.len());
        self.meta.end_line = self.line;
        self.line += 1;
        self.after_cr = b == b'\r';
    }

    /// Parses one record (possibly blank); false at end of input.
    fn parse_record(&mut self) -> Result<bool, ReadError> {
        self.rec.clear();
        self.ends.clear();
        self.meta = RecordMeta::default();
        if self.after_cr {
            if !self.refill()? {
                return Ok(false);
            }
            if self.buf[self.pos] == b'\n' {
                self.pos += 1;
            }
            self.after_cr = false;
        }
        if !self.refill()? {
            return Ok(false);
        }
        self.meta.start_line = self.line;
        let mut state = State::FieldStart;
        let mut quote_line = 0;
        // Inside a quoted field: the previous byte was a CR (so an LF does not start another line).
        let mut cr_in_quote = false;
        loop {
            if self.pos == self.len && !self.refill()? {
                if state == State::Quoted {
                    let (col_zh, col_en) = self.column_hint(self.ends.len());
                    return Err(ReadError::new(
                        ReadErrorKind::UnclosedQuote,
                        format!("第 {quote_line} 行{col_zh}开始的引号没有闭合，一直延续到文件末尾"),
                        format!("the quote opened on line {quote_line}{col_en} is never closed; it runs to the end of the file"),
                    )
                    .at(quote_line));
                }
                self.ends.push(self.rec.len());
                self.meta.end_line = self.line;
                return Ok(true);
            }
            match state {
                State::FieldStart => {
                    if self.buf[self.pos] == b'"' {
                        self.pos += 1;
                        state = State::Quoted;
                        quote_line = self.line;
                        cr_in_quote = false;
                    } else {
                        state = State::Unquoted;
                    }
                }
                State::Unquoted => {
                    let hay = &self.buf[self.pos..self.len];
                    match memchr::memchr3(self.delimiter, b'\n', b'\r', hay) {
                        None => {
                            self.rec.extend_from_slice(hay);
                            self.pos = self.len;
                            if self.rec.len() > self.max_record {
                                return Err(self.too_long(state, quote_line));
                            }
                        }
                        Some(i) => {
                            self.rec.extend_from_slice(&hay[..i]);
                            self.pos += i + 1;
                            let b = self.buf[self.pos - 1];
                            if b == self.delimiter {
                                self.ends.push(self.rec.len());
                                if self.ends.len() > MAX_FIELDS {
                                    return Err(self.too_many_fields());
                                }
                                state = State::FieldStart;
                            } else {
                                self.end_record(b);
                                return Ok(true);
                            }
                            if self.rec.len() > self.max_record {
                                return Err(self.too_long(state, quote_line));
                            }
                        }
                    }
                }
                State::Quoted => {
                    let hay = &self.buf[self.pos..self.len];
                    match memchr::memchr3(b'"', b'\n', b'\r', hay) {
                        None => {
                            self.rec.extend_from_slice(hay);
                            cr_in_quote = false;
                            self.pos = self.len;
                        }
                        Some(i) => {
                            self.rec.extend_from_slice(&hay[..i]);
                            if i > 0 {
                                cr_in_quote = false;
                            }
                            self.pos += i + 1;
                            match self.buf[self.pos - 1] {
                                b'"' => state = State::QuoteInQuoted,
                                b'\n' => {
                                    if !cr_in_quote {
                                        self.line += 1;
                                    }
                                    cr_in_quote = false;
                                    self.rec.push(b'\n');
                                }
                                _ => {
                                    self.line += 1;
                                    cr_in_quote = true;
                                    self.rec.push(b'\r');
                                }
                            }
                        }
                    }
                    if self.rec.len() > self.max_record {
                        return Err(self.too_long(state, quote_line));
                    }
                }
                State::QuoteInQuoted | State::AfterQuote => {
                    let b = self.buf[self.pos];
                    if b == b'"' && state == State::QuoteInQuoted {
                        self.pos += 1;
                        self.rec.push(b'"');
                        state = State::Quoted;
                        cr_in_quote = false;
                    } else if b == self.delimiter {
                        self.pos += 1;
                        self.ends.push(self.rec.len());
                        if self.ends.len() > MAX_FIELDS {
                            return Err(self.too_many_fields());
                        }
                        state = State::FieldStart;
                    } else if b == b'\n' || b == b'\r' {
                        self.pos += 1;
                        self.end_record(b);
                        return Ok(true);
                    } else if b == b' ' || b == b'\t' {
                        self.pos += 1;
                        state = State::AfterQuote;
                    } else {
                        // Text after the closing quote: kept (so the record is not blank) and reported.
                        self.meta.junk_field.get_or_insert(self.ends.len());
                        state = State::Unquoted;
                    }
                }
            }
        }
    }

    pub(crate) fn next_row_into(&mut self, row: &mut Row) -> Result<Next, ReadError> {
        if !self.next_record()? {
            return Ok(Next::End);
        }
        let number = self.meta.start_line;
        row.number = number;
        let n = self.ends.len();
        let expected = self.header.len();
        if n != expected {
            let (zh_extra, en_extra) = if self.meta.end_line > number {
                let last = self.meta.end_line;
                (
                    format!("（该记录从第 {number} 行延续到第 {last} 行，请检查引号是否成对）"),
                    format!(" (the record runs from line {number} to line {last}; check that quotes are balanced)"),
                )
            } else {
                (String::new(), String::new())
            };
            return Ok(Next::Invalid(RowError::new(
                number,
                None,
                RowErrorKind::FieldCount,
                format!("第 {number} 行有 {n} 列，表头有 {expected} 列{zh_extra}"),
                format!("row {number} has {n} fields, the header has {expected}{en_extra}"),
            )));
        }
        if let Some(field) = self.meta.junk_field {
            let col = &self.header[field];
            return Ok(Next::Invalid(RowError::new(
                number,
                Some(col),
                RowErrorKind::Quoting,
                format!("第 {number} 行“{col}”列的右引号后还有其他字符（字段中的引号应写成两个引号 \"\"）"),
                format!(
                    "row {number}, column \"{col}\": text follows the closing quote (a quote inside a quoted field must be doubled: \"\")"
                ),
            )));
        }
        if let Some(field) = self.nul_field() {
            let fault = DecodeFault { bad: vec![0], truncated: false, nul: true };
            return Ok(Next::Invalid(self.decode_error(field, &fault)));
        }
        row.fields.truncate(n);
        while row.fields.len() < n {
            row.fields.push(String::new());
        }
        if self.enc == Enc::Utf8
            && let Ok(text) = std::str::from_utf8(&self.rec)
            && self.ends.iter().all(|&e| text.is_char_boundary(e))
        {
            let mut start = 0;
            for (field, &end) in row.fields.iter_mut().zip(&self.ends) {
                field.clear();
                field.push_str(&text[start..end]);
                start = end;
            }
            return Ok(Next::Row);
        }
        let mut start = 0;
        for i in 0..n {
            let end = self.ends[i];
            let field = &mut row.fields[i];
            field.clear();
            if let Err(fault) = encoding::decode_into(self.enc, &self.rec[start..end], field) {
                return Ok(Next::Invalid(self.decode_error(i, &fault)));
            }
            start = end;
        }
        Ok(Next::Row)
    }

    /// The first field containing a NUL byte, if any.
    fn nul_field(&self) -> Option<usize> {
        let at = memchr::memchr(0, &self.rec)?;
        Some(self.ends.partition_point(|&end| end <= at))
    }

    fn decode_error(&self, field: usize, fault: &DecodeFault) -> RowError {
        let number = self.meta.start_line;
        let start = if field == 0 { 0 } else { self.ends[field - 1] };
        let bytes = &self.rec[start..self.ends[field]];
        let at_eof = self.input_done && self.pos >= self.len && field + 1 == self.ends.len();
        let (zh, en) = encoding::describe_fault(self.enc, fault, bytes, at_eof);
        let col = &self.header[field];
        RowError::new(
            number,
            Some(col),
            RowErrorKind::Encoding,
            format!("第 {number} 行“{col}”列{zh}"),
            format!("row {number}, column \"{col}\" {en}"),
        )
    }
}
