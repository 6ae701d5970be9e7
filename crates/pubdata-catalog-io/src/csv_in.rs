//! The flat CSV variant, for systems that only produce CSV: one line per data item with the
//! resource columns repeated, grouped by 序号. UTF-8 (with or without BOM), GBK and GB18030 are
//! recognised; bytes that do not decode are reported by line.

use crate::assemble::{ItemInput, ResourceInput, assemble};
use crate::layout::{CSV_SHEET, RESOURCE_COLUMNS, csv_columns, ignored_headers, normalize_header, r};
use crate::{FileProblem, OrgDirectory, ParsedResource, RawRow, RowProblem};
use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{DecoderResult, Encoding, GB18030, GBK, UTF_8};
use pubdata_domain::Text;
use std::collections::HashMap;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The CSV template: the header line only, UTF-8 with a BOM so that Excel opens it correctly.
pub fn template_csv() -> Vec<u8> {
    let header: Vec<&str> = csv_columns().iter().map(|c| c.zh).collect();
    let mut out = BOM.to_vec();
    out.extend_from_slice(header.join(",").as_bytes());
    out.extend_from_slice(b"\r\n");
    out
}

/// Reads the flat CSV layout. `encoding` may name `utf-8`, `gbk` or `gb18030`; otherwise the
/// encoding is detected (a BOM, valid UTF-8, else chardetng's guess among the Chinese ones).
pub fn parse_csv(
    bytes: &[u8],
    encoding: Option<&str>,
    orgs: &OrgDirectory,
) -> Result<Vec<ParsedResource>, FileProblem> {
    let text = decode(bytes, encoding)?;
    let delimiter = sniff_delimiter(&text);
    check_quotes(&text, delimiter)?;
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text.as_bytes());
    let mut records = Vec::new();
    for record in reader.records() {
        match record {
            Ok(record) => {
                let line = record.position().map_or(0, |p| p.line() as usize);
                records.push((line, record));
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                return Err(FileProblem::new(
                    format!("第 {line} 行无法按 CSV 格式读取：{e}"),
                    format!("line {line} cannot be read as CSV: {e}"),
                )
                .in_sheet(CSV_SHEET)
                .at_row(line));
            }
        }
    }

    let Some(header_index) = records.iter().position(|(_, rec)| rec.iter().any(|f| !f.trim().is_empty())) else {
        return Err(FileProblem::new("文件是空的，缺少表头行", "the file is empty: it has no header line")
            .in_sheet(CSV_SHEET)
            .at_row(1));
    };
    let (header_line, header) = &records[header_index];
    let header_len = header.len();
    let map = map_header(header, *header_line)?;

    let mut groups: Vec<ResourceInput> = Vec::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    let last = records.len().saturating_sub(1);
    let mut start = header_index + 1;
    if let Some((_, rec)) = records.get(start)
        && is_english_header(rec, &map)
    {
        start += 1;
    }
    for (n, (line, record)) in records.iter().enumerate().skip(start) {
        let line = *line;
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if record.len() < header_len || record.iter().skip(header_len).any(|f| !f.trim().is_empty()) {
            let (zh, en) = if n == last && record.len() < header_len {
                (
                    format!(
                        "第 {line} 行只有 {} 个字段，表头有 {header_len} 个：文件可能不完整（被截断），请重新导出",
                        record.len()
                    ),
                    format!(
                        "line {line} has {} fields but the header has {header_len}: the file may be incomplete (truncated); export it again",
                        record.len()
                    ),
                )
            } else {
                (
                    format!("第 {line} 行有 {} 个字段，表头有 {header_len} 个：请检查分隔符和引号", record.len()),
                    format!(
                        "line {line} has {} fields but the header has {header_len}: check delimiters and quotes",
                        record.len()
                    ),
                )
            };
            return Err(FileProblem::new(zh, en).in_sheet(CSV_SHEET).at_row(line));
        }
        let cells: Vec<String> = map.iter().map(|m| m.and_then(|j| record.get(j)).unwrap_or("").to_string()).collect();
        let key = cells[r::KEY].trim().to_string();
        let raw = RawRow { sheet: CSV_SHEET.to_string(), row: line, cells: cells.clone() };
        let mut item_cells = vec![key.clone()];
        item_cells.extend(cells[r::COUNT..].iter().cloned());
        let has_item = item_cells[1..].iter().any(|c| !c.trim().is_empty());

        let existing = if key.is_empty() { None } else { by_key.get(&key).copied() };
        let group = match existing {
            Some(g) => {
                let first = &groups[g];
                let mut problems = Vec::new();
                for c in 0..r::COUNT {
                    let (a, b) = (first.cells[c].trim(), cells[c].trim());
                    if a != b {
                        problems.push(RowProblem {
                            sheet: CSV_SHEET.to_string(),
                            row: line,
                            column: RESOURCE_COLUMNS[c].zh.to_string(),
                            message: Text::new(
                                format!(
                                    "与第 {} 行（序号“{key}”的第一行）不一致：此处为“{b}”，第一行为“{a}”；同一资源各行的资源列须相同",
                                    first.row
                                ),
                                format!(
                                    "differs from line {} (the first line of 序号 {key:?}): {b:?} here, {a:?} there; the resource columns must agree on every line of a resource",
                                    first.row
                                ),
                            ),
                        });
                    }
                }
                groups[g].problems.extend(problems);
                g
            }
            None => {
                if !key.is_empty() {
                    by_key.insert(key.clone(), groups.len());
                }
                groups.push(ResourceInput {
                    key,
                    sheet: CSV_SHEET.to_string(),
                    row: line,
                    cells: cells[..r::COUNT].to_vec(),
                    items: Vec::new(),
                    problems: Vec::new(),
                    raw: Vec::new(),
                    csv: true,
                });
                groups.len() - 1
            }
        };
        if has_item {
            groups[group].items.push(ItemInput { sheet: CSV_SHEET.to_string(), row: line, cells: item_cells });
        }
        groups[group].raw.push(raw);
    }
    Ok(groups.into_iter().map(|g| assemble(g, orgs)).collect())
}

fn map_header(header: &csv::StringRecord, line: usize) -> Result<Vec<Option<usize>>, FileProblem> {
    let columns = csv_columns();
    let ignored = ignored_headers(CSV_SHEET);
    let mut map: Vec<Option<usize>> = vec![None; columns.len()];
    let mut unknown = Vec::new();
    for (j, field) in header.iter().enumerate() {
        let text = normalize_header(field);
        if text.is_empty() {
            continue;
        }
        match columns.iter().position(|c| c.zh == text) {
            Some(k) if map[k].is_some() => {
                return Err(FileProblem::new(
                    format!(
                        "“{text}”列出现两次（第 {} 和第 {} 个字段）：请删除其中一列",
                        map[k].unwrap_or(0) + 1,
                        j + 1
                    ),
                    format!(
                        "column {text:?} appears twice (fields {} and {}): delete one",
                        map[k].unwrap_or(0) + 1,
                        j + 1
                    ),
                )
                .in_sheet(CSV_SHEET)
                .at_row(line)
                .at_column(text));
            }
            Some(k) => map[k] = Some(j),
            None if ignored.contains(&text.as_str()) => {}
            None => unknown.push(text),
        }
    }
    let missing: Vec<&str> =
        columns.iter().zip(&map).filter(|(c, m)| c.required && m.is_none()).map(|(c, _)| c.zh).collect();
    if unknown.is_empty() && missing.is_empty() {
        return Ok(map);
    }
    let expected: Vec<&str> = columns.iter().map(|c| c.zh).collect();
    let mut zh = Vec::new();
    let mut en = Vec::new();
    if !unknown.is_empty() {
        zh.push(format!("无法识别的列“{}”", unknown.join("”“")));
        en.push(format!("unrecognised columns {}", unknown.join(", ")));
    }
    if !missing.is_empty() {
        zh.push(format!("缺少必填列“{}”", missing.join("”“")));
        en.push(format!("missing required columns {}", missing.join(", ")));
    }
    let column = unknown.first().cloned().or_else(|| missing.first().map(|m| m.to_string()));
    let mut problem = FileProblem::new(
        format!(
            "第 {line} 行表头有误：{}。表头应为：{}（若表头显示为乱码，请将文件另存为 UTF-8 编码）",
            zh.join("；"),
            expected.join(",")
        ),
        format!(
            "the header line {line} is wrong: {}. The headers are: {} (if they look garbled, save the file as UTF-8)",
            en.join("; "),
            expected.join(",")
        ),
    )
    .in_sheet(CSV_SHEET)
    .at_row(line);
    if let Some(column) = column {
        problem = problem.at_column(column);
    }
    Err(problem)
}

fn is_english_header(record: &csv::StringRecord, map: &[Option<usize>]) -> bool {
    let columns = csv_columns();
    let mut filled = 0;
    let mut english = 0;
    for (k, m) in map.iter().enumerate() {
        let text = m.and_then(|j| record.get(j)).unwrap_or("").trim();
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

fn sniff_delimiter(text: &str) -> u8 {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    if first.contains(',') {
        b','
    } else if first.contains('\t') {
        b'\t'
    } else if first.contains(';') {
        b';'
    } else {
        b','
    }
}

/// A quoted field still open at the end of the file: the file was cut off. Quotes inside an
/// unquoted field are literal, as the csv reader takes them.
fn check_quotes(text: &str, delimiter: u8) -> Result<(), FileProblem> {
    let delimiter = char::from(delimiter);
    let mut line = 1;
    let mut open_at = None;
    let mut field_start = true;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\n' {
            line += 1;
        }
        if open_at.is_some() {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                } else {
                    open_at = None;
                }
            }
            continue;
        }
        if c == '"' && field_start {
            open_at = Some(line);
        }
        field_start = c == delimiter || c == '\n';
    }
    match open_at {
        Some(line) => Err(FileProblem::new(
            format!("第 {line} 行开始的带引号字段直到文件末尾都没有结束：文件可能不完整（被截断），请重新导出"),
            format!(
                "the quoted field starting on line {line} is not closed before the end of the file: the file may be incomplete (truncated); export it again"
            ),
        )
        .in_sheet(CSV_SHEET)
        .at_row(line)),
        None => Ok(()),
    }
}

/// Whether the valid start holds enough multi-byte UTF-8 characters (4) that it is UTF-8 text,
/// not GBK bytes that happen to form a valid sequence.
fn utf8_text_before(bytes: &[u8], valid_up_to: usize) -> bool {
    std::str::from_utf8(&bytes[..valid_up_to]).is_ok_and(|s| s.chars().filter(|c| !c.is_ascii()).nth(3).is_some())
}

/// The encoding named, or the one detected.
fn choose_encoding(bytes: &[u8], encoding: Option<&str>) -> Result<&'static Encoding, FileProblem> {
    if bytes.starts_with(BOM) {
        return Ok(UTF_8);
    }
    if let Some(name) = encoding {
        return match name.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "utf-8" | "utf8" => Ok(UTF_8),
            "gbk" | "cp936" | "gb2312" => Ok(GBK),
            "gb18030" => Ok(GB18030),
            other => Err(FileProblem::new(
                format!("不支持的编码“{other}”：可选 utf-8、gbk、gb18030，或不指定由系统识别"),
                format!("unsupported encoding {other:?}: use utf-8, gbk or gb18030, or leave it to detection"),
            )),
        };
    }
    match std::str::from_utf8(bytes) {
        Ok(_) => return Ok(UTF_8),
        // Cut off inside a character, or UTF-8 Chinese text before a bad byte: UTF-8 with a
        // problem to report, not another encoding.
        Err(e) if e.error_len().is_none() || utf8_text_before(bytes, e.valid_up_to()) => return Ok(UTF_8),
        Err(_) => {}
    }
    let mut detector = EncodingDetector::new(Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    let guess = detector.guess(Some(b"cn"), Utf8Detection::Allow);
    // Anything else (Big5, Shift_JIS, a Western code page) is most likely GBK with a damaged
    // byte in a Chinese district: decode as GB18030, which names the line of any bad byte.
    Ok(if guess == UTF_8 {
        UTF_8
    } else if guess == GBK {
        GBK
    } else {
        GB18030
    })
}

/// The text as well as it can be read, bad bytes replaced: for showing a file that failed.
pub(crate) fn decode_lossy(bytes: &[u8]) -> String {
    let encoding = choose_encoding(bytes, None).unwrap_or(GB18030);
    let body = if encoding == UTF_8 { bytes.strip_prefix(BOM).unwrap_or(bytes) } else { bytes };
    encoding.decode_without_bom_handling(body).0.into_owned()
}

fn decode(bytes: &[u8], encoding: Option<&str>) -> Result<String, FileProblem> {
    let encoding = choose_encoding(bytes, encoding)?;
    let body = if encoding == UTF_8 { bytes.strip_prefix(BOM).unwrap_or(bytes) } else { bytes };
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let capacity = decoder.max_utf8_buffer_length_without_replacement(body.len()).unwrap_or(body.len() * 3);
    let mut out = String::with_capacity(capacity);
    let mut read = 0;
    loop {
        let (result, n) = decoder.decode_to_string_without_replacement(&body[read..], &mut out, true);
        read += n;
        match result {
            DecoderResult::InputEmpty => return Ok(out),
            DecoderResult::OutputFull => out.reserve(body.len() - read + 16),
            DecoderResult::Malformed(_, _) => {
                let line = out.matches('\n').count() + 1;
                let name = encoding.name();
                let at_end = read >= body.len();
                let (zh, en) = if at_end {
                    (
                        format!(
                            "第 {line} 行在一个字符中间结束（按 {name} 编码）：文件可能不完整（被截断），请重新导出"
                        ),
                        format!(
                            "line {line} ends in the middle of a character ({name}): the file may be incomplete (truncated); export it again"
                        ),
                    )
                } else {
                    (
                        format!(
                            "第 {line} 行含有不能按 {name} 编码解读的字节：文件可能已损坏或混用了编码，请另存为 UTF-8 后重试"
                        ),
                        format!(
                            "line {line} holds bytes that are not valid {name}: the file may be damaged or mix encodings; save it as UTF-8 and try again"
                        ),
                    )
                };
                return Err(FileProblem::new(zh, en).in_sheet(CSV_SHEET).at_row(line));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_is_utf8_with_a_bom_and_one_header_line() {
        let t = template_csv();
        assert!(t.starts_with(BOM));
        let text = std::str::from_utf8(&t[3..]).unwrap();
        assert_eq!(text.lines().count(), 1);
        assert!(text.starts_with("序号,资源名称,"));
        assert!(text.contains("数据项分级"));
    }

    #[test]
    fn only_quotes_that_open_a_field_count() {
        assert!(check_quotes("a,b\n\"x,\"\"y\"\"\",5\" screen\n", b',').is_ok());
        let p = check_quotes("a,b\n1,2\n3,\"cut\noff", b',').unwrap_err();
        assert_eq!(p.row, Some(3));
    }

    #[test]
    fn encodings_are_detected() {
        let s = "序号,资源名称\n1,企业登记信息\n";
        let (gbk, _, _) = GBK.encode(s);
        assert_eq!(decode(&gbk, None).unwrap(), s);
        assert_eq!(decode(s.as_bytes(), None).unwrap(), s);
        assert_eq!(decode(&gbk, Some("GBK")).unwrap(), s);
        assert!(decode(s.as_bytes(), Some("latin1")).is_err());
    }
}
