//! Text encodings of CSV files: BOMs, detection, and strict per-field decoding.
//!
//! Tokenising happens on raw bytes before decoding. That is sound for UTF-8, GBK and GB18030 because
//! none of them uses bytes below 0x40 inside a multi-byte character except GB18030's four-byte form,
//! whose second and fourth bytes are ASCII digits: a delimiter, quote, CR or LF byte is always that
//! character. Decoding per field lets an error name the column, and keeps one bad line from
//! affecting its neighbours.

use encoding_rs::{DecoderResult, Encoding, GB18030, GBK};
use serde::{Deserialize, Serialize};

/// The encoding a caller declares for a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum EncodingChoice {
    /// Detect from a byte-order mark or the first 64 KiB.
    #[default]
    #[serde(rename = "auto")]
    Auto,
    /// UTF-8 (a BOM, if present, is skipped).
    #[serde(rename = "utf-8", alias = "utf8")]
    Utf8,
    /// GBK.
    #[serde(rename = "gbk")]
    Gbk,
    /// GB18030 (a superset of GBK).
    #[serde(rename = "gb18030")]
    Gb18030,
}

impl EncodingChoice {
    /// Parses "auto", "utf-8", "utf8", "gbk" or "gb18030", ignoring case and surrounding spaces.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Some(Self::Auto),
            "utf-8" | "utf8" => Some(Self::Utf8),
            "gbk" => Some(Self::Gbk),
            "gb18030" => Some(Self::Gb18030),
            _ => None,
        }
    }

    /// The canonical spelling accepted by [`EncodingChoice::parse`].
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Utf8 => "utf-8",
            Self::Gbk => "gbk",
            Self::Gb18030 => "gb18030",
        }
    }
}

impl std::fmt::Display for EncodingChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the reader arrived at the encoding it uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EncodingSource {
    /// The caller declared it.
    Declared,
    /// Guessed from the first 64 KiB.
    Detected,
    /// A byte-order mark at the start of the file (takes precedence over a declaration).
    ByteOrderMark,
    /// Fixed by the format: XLSX and JSON Lines are always UTF-8.
    Format,
}

/// An encoding the CSV reader decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Enc {
    Utf8,
    Gbk,
    Gb18030,
}

impl Enc {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Enc::Utf8 => "UTF-8",
            Enc::Gbk => "GBK",
            Enc::Gb18030 => "GB18030",
        }
    }
}

/// A byte-order mark found at the start of the input.
pub(crate) enum Bom {
    None,
    Utf8,
    Gb18030,
    Utf16,
}

pub(crate) fn sniff_bom(bytes: &[u8]) -> (Bom, usize) {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        (Bom::Utf8, 3)
    } else if bytes.starts_with(&[0x84, 0x31, 0x95, 0x33]) {
        (Bom::Gb18030, 4)
    } else if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        (Bom::Utf16, 2)
    } else {
        (Bom::None, 0)
    }
}

/// The outcome of looking at a sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Detected {
    Supported(Enc),
    /// An encoding this crate does not read (the detector's name for it).
    Unsupported(&'static str),
}

/// Statistics of a line-by-line UTF-8 scan over a sample.
pub(crate) struct Utf8Scan {
    /// Well-formed multi-byte characters on valid lines.
    pub(crate) multibyte: usize,
    /// Lines with non-ASCII text that are valid UTF-8.
    pub(crate) valid_lines: usize,
    /// Lines that are not valid UTF-8.
    pub(crate) invalid_lines: usize,
}

/// Scans the sample line by line. An incomplete character at the end of the sample counts as
/// ill-formed only when the sample is the whole input.
pub(crate) fn scan_utf8(sample: &[u8], whole_input: bool) -> Utf8Scan {
    let mut scan = Utf8Scan { multibyte: 0, valid_lines: 0, invalid_lines: 0 };
    let mut rest = sample;
    while !rest.is_empty() {
        let (line, next) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        let last = next.is_empty();
        rest = next;
        if line.is_ascii() {
            continue;
        }
        let valid = match std::str::from_utf8(line) {
            Ok(_) => line,
            Err(e) if e.error_len().is_none() && last && !whole_input => &line[..e.valid_up_to()],
            Err(_) => {
                scan.invalid_lines += 1;
                continue;
            }
        };
        scan.valid_lines += 1;
        scan.multibyte += valid.iter().filter(|&&b| b >= 0xC0).count();
    }
    scan
}

/// Whether the sample decodes as GB18030 without errors (an incomplete final character is allowed
/// unless the sample is the whole input).
fn is_clean_gb18030(sample: &[u8], whole_input: bool) -> bool {
    let mut decoder = GB18030.new_decoder_without_bom_handling();
    let mut out = String::with_capacity(
        decoder.max_utf8_buffer_length_without_replacement(sample.len()).unwrap_or(sample.len() * 3),
    );
    let (result, _) = decoder.decode_to_string_without_replacement(sample, &mut out, whole_input);
    matches!(result, DecoderResult::InputEmpty)
}

/// Whether a GB18030 four-byte sequence (lead 0x81-0xFE, then an ASCII digit) occurs.
fn has_four_byte_gb18030(sample: &[u8]) -> bool {
    let mut i = 0;
    while i + 1 < sample.len() {
        let b = sample[i];
        if b < 0x80 {
            i += 1;
        } else if (0x81..=0xFE).contains(&b) && sample[i + 1].is_ascii_digit() {
            return true;
        } else {
            i += 2;
        }
    }
    false
}

/// Guesses the encoding of `sample` (BOM already removed).
///
/// 1. Valid UTF-8 (including pure ASCII) is UTF-8. So is a sample in which at least twice as many
///    non-ASCII lines are valid UTF-8 as are not: a UTF-8 file with a few lines in another encoding
///    (those lines become row errors). GBK text is almost never valid UTF-8 beyond a character or two.
/// 2. Otherwise chardetng decides; GBK is reported as
///    GB18030 when four-byte sequences occur.
/// 3. If chardetng picks a single-byte encoding but the sample is clean GB18030 (an incomplete last
///    character is tolerated; it becomes a row error), GBK wins: short samples of Chinese text are
///    sometimes taken for a Latin encoding, and GBK is what Chinese office software writes. No
///    top-level-domain hint is given: with `.cn`, chardetng reads Big5 text as GBK.
pub(crate) fn detect(sample: &[u8], whole_input: bool) -> Detected {
    let scan = scan_utf8(sample, whole_input);
    if scan.invalid_lines == 0 || scan.valid_lines >= scan.invalid_lines.saturating_mul(2) {
        return Detected::Supported(Enc::Utf8);
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(sample, whole_input);
    let guess: &'static Encoding = detector.guess(None, chardetng::Utf8Detection::Deny);
    let cjk_other = ["Big5", "Shift_JIS", "EUC-JP", "EUC-KR", "ISO-2022-JP"];
    if guess == GBK || guess == GB18030 || (!cjk_other.contains(&guess.name()) && is_clean_gb18030(sample, false)) {
        return Detected::Supported(if has_four_byte_gb18030(sample) { Enc::Gb18030 } else { Enc::Gbk });
    }
    Detected::Unsupported(guess.name())
}

/// Why a field failed to decode.
#[derive(Debug, Clone)]
pub(crate) struct DecodeFault {
    /// Up to four bytes from where decoding failed.
    pub(crate) bad: Vec<u8>,
    /// The field ends in the middle of a multi-byte character.
    pub(crate) truncated: bool,
    /// The field is a NUL character rather than an encoding problem.
    pub(crate) nul: bool,
}

/// Appends the decoded `bytes` to `out` (which may hold earlier content) or reports the first fault.
pub(crate) fn decode_into(enc: Enc, bytes: &[u8], out: &mut String) -> Result<(), DecodeFault> {
    match enc {
        Enc::Utf8 => match std::str::from_utf8(bytes) {
            Ok(s) => {
                out.push_str(s);
                Ok(())
            }
            Err(e) => {
                let start = e.valid_up_to();
                let truncated = e.error_len().is_none();
                Err(DecodeFault { bad: bytes[start..bytes.len().min(start + 4)].to_vec(), truncated, nul: false })
            }
        },
        Enc::Gbk | Enc::Gb18030 => {
            if bytes.is_ascii() {
                // ASCII is the same in GBK and UTF-8; skipping the decoder saves its per-call setup.
                out.push_str(std::str::from_utf8(bytes).unwrap_or_default());
                return Ok(());
            }
            let mut decoder = GB18030.new_decoder_without_bom_handling();
            let mut src = bytes;
            loop {
                let need = decoder.max_utf8_buffer_length_without_replacement(src.len()).unwrap_or(src.len() * 3);
                out.reserve(need);
                let (result, read) = decoder.decode_to_string_without_replacement(src, out, true);
                match result {
                    DecoderResult::InputEmpty => return Ok(()),
                    DecoderResult::OutputFull => src = &src[read..],
                    DecoderResult::Malformed(bad_len, after) => {
                        let consumed = bytes.len() - src.len() + read;
                        let end = consumed - usize::from(after);
                        let start = end.saturating_sub(usize::from(bad_len));
                        return Err(DecodeFault {
                            bad: bytes[start..bytes.len().min(start + 4)].to_vec(),
                            truncated: end == bytes.len(),
                            nul: false,
                        });
                    }
                }
            }
        }
    }
}

/// Renders bytes as `0xC4 0xE3`.
pub(crate) fn hex_bytes(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("0x{b:02X}")).collect::<Vec<_>>().join(" ")
}

/// What the bytes of a field that failed to decode in `enc` look like instead.
pub(crate) fn alternative(enc: Enc, bytes: &[u8]) -> Option<Enc> {
    match enc {
        Enc::Utf8 => is_clean_gb18030(bytes, true).then_some(Enc::Gbk),
        Enc::Gbk | Enc::Gb18030 => std::str::from_utf8(bytes).is_ok().then_some(Enc::Utf8),
    }
}

/// Chinese and English explanation of a decoding fault, without the location.
pub(crate) fn describe_fault(enc: Enc, fault: &DecodeFault, field: &[u8], at_eof: bool) -> (String, String) {
    if fault.nul {
        return (
            "含有空字符（0x00），可能不是文本文件".into(),
            "contains a NUL character (0x00); is it a text file?".into(),
        );
    }
    let name = enc.name();
    let hex = hex_bytes(&fault.bad);
    if fault.truncated {
        let (tail_zh, tail_en) =
            if at_eof { ("，文件可能被截断", "; the file may be truncated") } else { ("", "") };
        return (
            format!("末尾的字符不完整（{hex}），不是有效的 {name} 编码{tail_zh}"),
            format!("ends with an incomplete {name} character ({hex}){tail_en}"),
        );
    }
    match alternative(enc, field) {
        Some(other) => {
            let other = other.name();
            (
                format!("含有无效的 {name} 字节（{hex}），看起来是 {other} 编码；请确认文件编码"),
                format!(
                    "contains bytes that are not valid {name} ({hex}); they look like {other}, check the file's encoding"
                ),
            )
        }
        None => {
            (format!("含有无效的 {name} 字节（{hex}）"), format!("contains bytes that are not valid {name} ({hex})"))
        }
    }
}
