//! Column detection: which kind of personal information a column holds, and how sure we are.
//!
//! A [`ColumnDetector`] is created per column with the column's header, fed every value (or a
//! sample) through [`ColumnDetector::observe`], and asked for a [`Detection`] at the end. For each
//! value, `observe` does one cheap shape test (ASCII or not, length, first byte) and runs only the
//! validators that can match that shape, counting per kind how many non-empty values pass. Empty
//! values and placeholders (`N/A`, `-`, `无`, `NULL`, …) count as empty, never as evidence.
//!
//! # Confidence
//!
//! For each kind the confidence is computed from the fraction `f` of non-empty values that match:
//!
//! 1. A ramp from a lower threshold `lo` (below it the values say nothing) to an upper threshold
//!    `hi` (at or above it the values say all they can), scaled by the *strength* of the kind's
//!    value test, i.e. how unlikely a column of other data is to match it:
//!
//!    | kind | strength | lo | hi | why |
//!    | --- | --- | --- | --- | --- |
//!    | identity number | 0.98 | 0.30 | 0.80 | region, date and MOD 11-2: random 18-digit strings pass < 1 in 1,000; well-formed numbers with a random check digit pass 1 in 11 |
//!    | credit code | 0.98 | 0.30 | 0.80 | MOD 31 check: 1 in 31 |
//!    | bank card | 0.90 × (0.7 + 0.3 × share with a known card-scheme prefix) | 0.50 | 0.90 | Luhn passes 1 in 10 |
//!    | mobile | 0.92 | 0.70 | 0.95 | 11-digit serials starting with 1 pass about half the time |
//!    | landline | 0.85 | 0.50 | 0.90 | area-code structure |
//!    | e-mail | 0.97 | 0.40 | 0.85 | |
//!    | licence plate | 0.95 | 0.40 | 0.85 | province character + letter |
//!    | passport | 0.80 | 0.60 | 0.95 | letter + digits is also a common shape of internal codes |
//!    | person name | 0.85 | 0.60 | 0.90 | 2-4 Chinese characters starting with a common surname |
//!    | address | 0.85 | 0.50 | 0.85 | administrative, street and building markers |
//!    | birth date | 0.90 | 0.60 | 0.90 | only with a header naming a birth date: dates alone do not say whose |
//!
//! 2. The header: when it names the kind, `lo` and `hi` are lowered (× 0.6 and × 0.8) and the
//!    confidence is moved half-way to 1; when it names another kind of personal information, the
//!    confidence is multiplied by 0.85 (check-digit kinds) or 0.6 (the others); when it names
//!    something that is not the kind (订单号, 流水号, 编号 for identifiers; 企业名称, 产品名称 for
//!    names; 经营范围, 备注 for addresses), by 0.7 or 0.4. Check-digit kinds are affected less
//!    because their values carry more weight than any header.
//! 3. A small-sample factor `n / (n + 0.5)` for `n` non-empty values.
//!
//! The kind with the highest confidence is reported when it reaches [`DETECTION_THRESHOLD`].
//! Telephone columns that mix mobile and fixed-line numbers are reported as mobile-number columns
//! when at least 30% of their telephone numbers are mobile numbers, because the more sensitive
//! kind governs the level.
//!
//! # Value tests
//!
//! Identifiers use the validators of [`crate::validate`] (identity numbers also in the 15-digit
//! first-generation form; 15-digit card numbers only with an American Express prefix, because
//! device IMEIs share that length and the Luhn check). Two shapes count only under a header that
//! names their kind, because on their own they are too common: 7-8 digit local telephone numbers
//! without an area code (landline) and romanised names such as `Zhang Wei` (person's name).
//! A person's name is 2-4 CJK characters
//! whose first character (or first two, for compound surnames such as 欧阳 and 诸葛) is a common
//! surname, whose last character is not one that ends product, place or organisation nouns
//! (厂, 店, 菜, 市, …), and which is not an organisation name; names of the form 阿依古丽·买买提
//! also count. An address is 4-100 characters with at least four CJK characters, without sentence
//! punctuation (；。：) or enumeration commas other than between house numbers and after address
//! markers (33、35号 is an address, 服装制造、加工、销售 is not), which does not end like an
//! organisation name (公司, 厂, 店, 合作社, …) and has at least two markers from administrative
//! (省 市 区 县 镇 乡 村), street (路 街 巷 弄 道) and building (号 室 幢 栋 楼 层 组) levels, or
//! one such marker near its start or at its end.

use crate::PiiKind;
use crate::header::{Header, HeaderHint};
use crate::lexicon::{self, AddrClass};
use crate::validate;

/// Minimum confidence for a kind to be reported.
pub const DETECTION_THRESHOLD: f32 = 0.5;

const N: usize = PiiKind::ALL.len();

/// Collects evidence about one column.
#[derive(Debug, Clone)]
pub struct ColumnDetector {
    header: String,
    hints: [HeaderHint; N],
    seen: u64,
    empty: u64,
    bytes: u64,
    matched: [u64; N],
    /// Card numbers passing Luhn whose prefix belongs to a known card scheme.
    card_scheme_known: u64,
    /// 7-8 digit numbers starting 2-8: local telephone numbers without an area code, counted as
    /// landlines only when the header names a telephone.
    local_phone: u64,
    /// Romanised names (`Zhang Wei`, `WANG Fang`), counted as names only when the header names a
    /// person.
    latin_name: u64,
}

/// One kind considered for a column.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Candidate {
    pub kind: PiiKind,
    /// Confidence in 0..=1.
    pub confidence: f32,
    /// Non-empty values that passed the kind's value test.
    pub matched: u64,
    pub header: HeaderHint,
}

/// The result of scanning a column.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Detection {
    /// The column header the detection was made with.
    pub header: String,
    /// The detected kind, if any reached [`DETECTION_THRESHOLD`].
    pub kind: Option<PiiKind>,
    /// Confidence in `kind` when it is `Some`; when it is `None`, confidence that the column
    /// holds none of the kinds (1 minus the best candidate's confidence), or 0 when the column had
    /// no non-empty values to judge.
    pub confidence: f32,
    /// Values observed, empty ones included.
    pub values_seen: u64,
    /// Values that were empty or placeholders (`N/A`, `-`, `无`, `NULL`, …).
    pub values_empty: u64,
    /// Non-empty values that passed the detected kind's value test (0 when `kind` is `None`),
    /// including the landline numbers of a mixed telephone column reported as mobile and the
    /// header-gated shapes described in the module documentation.
    pub values_matched: u64,
    /// Up to three kinds with a confidence of at least 0.05, best first.
    pub candidates: Vec<Candidate>,
    /// Why, in English.
    pub evidence: String,
    /// Why, in Simplified Chinese.
    pub evidence_zh: String,
}

/// Comparison of a declared classification level with the one the detection suggests.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LevelReview {
    pub declared: u8,
    pub proposed: u8,
    pub kind: Option<PiiKind>,
    /// The declared level is lower than the proposed one: the item should be reviewed.
    pub under_declared: bool,
}

impl LevelReview {
    /// Message for reviewers, in Simplified Chinese.
    pub fn message_zh(&self) -> String {
        match (self.kind, self.under_declared) {
            (Some(k), true) => format!(
                "检测到{}，建议分级不低于 L{}，当前申报为 L{}，请复核",
                k.label_zh(),
                self.proposed,
                self.declared
            ),
            (Some(k), false) => {
                format!("检测到{}，申报分级 L{} 不低于建议的 L{}", k.label_zh(), self.declared, self.proposed)
            }
            (None, _) => format!("未检测到个人信息，申报分级 L{}", self.declared),
        }
    }

    /// The English equivalent of [`LevelReview::message_zh`].
    pub fn message_en(&self) -> String {
        match (self.kind, self.under_declared) {
            (Some(k), true) => format!(
                "{} detected: proposed level at least L{}, declared L{}; please review",
                k.label_en(),
                self.proposed,
                self.declared
            ),
            (Some(k), false) => {
                format!(
                    "{} detected: declared level L{} is not below the proposed L{}",
                    k.label_en(),
                    self.declared,
                    self.proposed
                )
            }
            (None, _) => format!("no personal information detected; declared level L{}", self.declared),
        }
    }
}

impl Detection {
    /// Proposed classification level of the data item: the detected kind's level, or 1 (L1) when
    /// nothing was detected.
    pub fn proposed_level(&self) -> u8 {
        self.kind.map_or(1, PiiKind::proposed_level)
    }

    /// Compares a declared level (1..=4) with [`Detection::proposed_level`].
    pub fn review_level(&self, declared: u8) -> LevelReview {
        let proposed = self.proposed_level();
        LevelReview { declared, proposed, kind: self.kind, under_declared: declared < proposed }
    }
}

/// Proposed level for a resource (or any group of data items): the highest level among its
/// detected columns, 1 when none was detected. Combinations (for example names together with
/// identity numbers) are not raised automatically; reviewers judge them.
pub fn proposed_level_for(detections: &[Detection]) -> u8 {
    detections.iter().map(Detection::proposed_level).max().unwrap_or(1)
}

/// Scans a whole column at once.
pub fn detect_column<I, S>(header: &str, values: I) -> Detection
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut d = ColumnDetector::new(header);
    for v in values {
        d.observe(v.as_ref());
    }
    d.finish()
}

fn is_empty_marker(v: &str) -> bool {
    v.is_empty() || (v.len() <= 6 && lexicon::EMPTY_MARKERS.iter().any(|m| m.eq_ignore_ascii_case(v)))
}

/// Per-kind parameters of the confidence ramp (see the module documentation).
struct Params {
    strength: f32,
    lo: f32,
    hi: f32,
    check_digit: bool,
}

fn params(kind: PiiKind) -> Params {
    let p = |strength, lo, hi, check_digit| Params { strength, lo, hi, check_digit };
    match kind {
        PiiKind::IdCard => p(0.98, 0.30, 0.80, true),
        PiiKind::CreditCode => p(0.98, 0.30, 0.80, true),
        PiiKind::BankCard => p(0.90, 0.50, 0.90, true),
        PiiKind::Mobile => p(0.92, 0.70, 0.95, false),
        PiiKind::Landline => p(0.85, 0.50, 0.90, false),
        PiiKind::Email => p(0.97, 0.40, 0.85, false),
        PiiKind::LicensePlate => p(0.95, 0.40, 0.85, false),
        PiiKind::Passport => p(0.80, 0.60, 0.95, false),
        PiiKind::PersonName => p(0.85, 0.60, 0.90, false),
        PiiKind::Address => p(0.85, 0.50, 0.85, false),
        PiiKind::BirthDate => p(0.90, 0.60, 0.90, false),
    }
}

impl ColumnDetector {
    /// Starts a column. `header` is the column's name as delivered: Chinese (姓名, 身份证号码),
    /// English (`name`, `contact_phone`) or pinyin initials (`xm`, `sfzh`).
    pub fn new(header: &str) -> ColumnDetector {
        ColumnDetector {
            header: header.to_owned(),
            hints: Header::new(header).hints(),
            seen: 0,
            empty: 0,
            bytes: 0,
            matched: [0; N],
            card_scheme_known: 0,
            local_phone: 0,
            latin_name: 0,
        }
    }

    /// What the header says about `kind`.
    pub fn header_hint(&self, kind: PiiKind) -> HeaderHint {
        self.hints[kind.index()]
    }

    /// Values observed so far, empty ones included.
    pub fn values_seen(&self) -> u64 {
        self.seen
    }

    /// Non-empty values observed so far that passed `kind`'s value test.
    pub fn matched(&self, kind: PiiKind) -> u64 {
        self.matched[kind.index()]
    }

    /// Values observed so far that were empty or placeholders.
    pub fn values_empty(&self) -> u64 {
        self.empty
    }

    /// Bytes of non-empty (trimmed) values observed so far.
    pub fn bytes_observed(&self) -> u64 {
        self.bytes
    }

    /// Records one value. Surrounding whitespace is ignored; empty values and placeholders count
    /// as empty. Allocation-free.
    pub fn observe(&mut self, value: &str) {
        self.seen += 1;
        let v = value.trim();
        if is_empty_marker(v) {
            self.empty += 1;
            return;
        }
        self.bytes += v.len() as u64;
        if v.is_ascii() { self.observe_ascii(v) } else { self.observe_text(v) }
    }

    fn hit(&mut self, kind: PiiKind) {
        self.matched[kind.index()] += 1;
    }

    fn observe_ascii(&mut self, v: &str) {
        let b = v.as_bytes();
        if b.contains(&b'@') {
            if validate::email(v) {
                self.hit(PiiKind::Email);
            }
            return;
        }
        let len = b.len();
        let first = b[0];
        if first.is_ascii_digit() || first == b'+' || first == b'(' {
            if len == 18 {
                if validate::id_card(v).is_ok() {
                    self.hit(PiiKind::IdCard);
                }
                if validate::credit_code(v).is_ok() {
                    self.hit(PiiKind::CreditCode);
                }
            } else if len == 15 && validate::id_card_legacy(v).is_ok() {
                self.hit(PiiKind::IdCard);
            } else if (len == 7 || len == 8) && (b'2'..=b'8').contains(&first) && b.iter().all(u8::is_ascii_digit) {
                self.local_phone += 1;
            }
            if (11..=17).contains(&len) && validate::mobile(v) {
                self.hit(PiiKind::Mobile);
                return;
            }
            if (first == b'0' || first == b'(') && validate::landline(v) {
                self.hit(PiiKind::Landline);
                return;
            }
            if (13..=23).contains(&len) && first.is_ascii_digit() {
                self.observe_card(v);
            }
            if (8..=10).contains(&len) {
                self.observe_date(v);
            }
            return;
        }
        if len == 18 && validate::credit_code(v).is_ok() {
            self.hit(PiiKind::CreditCode);
            return;
        }
        if (len == 8 || len == 9) && validate::passport(v) {
            self.hit(PiiKind::Passport);
        } else if latin_name_like(b) {
            self.latin_name += 1;
        }
    }

    fn observe_card(&mut self, v: &str) {
        if !validate::bank_card(v) {
            return;
        }
        let scheme = validate::bank_card_scheme(v);
        // 15-digit Luhn numbers are usually device IMEIs; only American Express uses that length.
        let digits = v.bytes().filter(u8::is_ascii_digit).count();
        if digits == 15 && scheme != Some(validate::CardScheme::Amex) {
            return;
        }
        self.hit(PiiKind::BankCard);
        if scheme.is_some() {
            self.card_scheme_known += 1;
        }
    }

    fn observe_date(&mut self, v: &str) {
        if let Some((y, _, _)) = validate::date(v)
            && (validate::ID_CARD_MIN_YEAR..=validate::ID_CARD_MAX_YEAR).contains(&y)
        {
            self.hit(PiiKind::BirthDate);
        }
    }

    fn observe_text(&mut self, v: &str) {
        let b = v.as_bytes();
        if b[0].is_ascii_digit() {
            if b.len() <= 17 {
                self.observe_date(v);
            }
            return;
        }
        if b.len() <= 14 && validate::license_plate(v) {
            self.hit(PiiKind::LicensePlate);
            return;
        }
        if b.starts_with("（".as_bytes()) && validate::landline(v) {
            self.hit(PiiKind::Landline);
            return;
        }
        if person_name_like(v) {
            self.hit(PiiKind::PersonName);
        } else if address_like(v) {
            self.hit(PiiKind::Address);
        }
    }

    /// Matches counted for `kind`. Telephone columns (联系电话) mix mobile and fixed-line
    /// numbers; when at least 30% of the telephone numbers are mobile numbers, the column is
    /// treated as a mobile-number column (the more sensitive kind governs the level) and the
    /// landline numbers count towards it.
    ///
    /// Local numbers without an area code count as landlines, and romanised names as names, only
    /// when the header names the kind: on their own these shapes are too common.
    fn effective_matched(&self, kind: PiiKind) -> u64 {
        let supports = self.hints[kind.index()] == HeaderHint::Supports;
        let m = self.matched[kind.index()];
        match kind {
            PiiKind::Mobile => {
                let phones = m + self.effective_matched(PiiKind::Landline);
                if m * 10 >= phones * 3 { phones } else { m }
            }
            PiiKind::Landline if supports => m + self.local_phone,
            PiiKind::PersonName if supports => m + self.latin_name,
            _ => m,
        }
    }

    fn non_empty(&self) -> u64 {
        self.seen - self.empty
    }

    /// Confidence for one kind, 0..=1.
    pub fn confidence(&self, kind: PiiKind) -> f32 {
        let n = self.non_empty();
        if n == 0 {
            return 0.0;
        }
        let m = self.effective_matched(kind);
        let frac = m as f32 / n as f32;
        let p = params(kind);
        let hint = self.hints[kind.index()];
        let (mut lo, mut hi) = (p.lo, p.hi);
        if hint == HeaderHint::Supports {
            lo *= 0.6;
            hi *= 0.8;
        } else if kind == PiiKind::BirthDate {
            // Dates alone do not say whose date they are.
            return 0.0;
        }
        let ramp = ((frac - lo) / (hi - lo)).clamp(0.0, 1.0);
        let mut strength = p.strength;
        if kind == PiiKind::BankCard && m > 0 {
            strength *= 0.7 + 0.3 * (self.card_scheme_known as f32 / m as f32);
        }
        let mut c = strength * ramp;
        c = match hint {
            HeaderHint::Supports if ramp > 0.0 => c + (1.0 - c) * 0.5,
            HeaderHint::Supports | HeaderHint::Neutral => c,
            HeaderHint::OtherKind => c * if p.check_digit { 0.85 } else { 0.6 },
            HeaderHint::Contradicts => c * if p.check_digit { 0.7 } else { 0.4 },
        };
        let n = n as f32;
        (c * n / (n + 0.5)).clamp(0.0, 1.0)
    }

    /// The detection so far. Can be called at any time; observing may continue afterwards.
    pub fn finish(&self) -> Detection {
        let n = self.non_empty();
        let mut cands: Vec<Candidate> = PiiKind::ALL
            .into_iter()
            .map(|kind| Candidate {
                kind,
                confidence: self.confidence(kind),
                matched: self.effective_matched(kind),
                header: self.hints[kind.index()],
            })
            .filter(|c| c.confidence >= 0.05)
            .collect();
        cands.sort_by(|a, b| b.confidence.total_cmp(&a.confidence).then(a.kind.cmp(&b.kind)));
        cands.truncate(3);
        let best = cands.first().filter(|c| c.confidence >= DETECTION_THRESHOLD).cloned();
        let (evidence, evidence_zh) = self.explain(best.as_ref(), cands.first());
        Detection {
            header: self.header.clone(),
            kind: best.as_ref().map(|c| c.kind),
            confidence: match &best {
                Some(c) => c.confidence,
                None if n == 0 => 0.0,
                None => 1.0 - cands.first().map_or(0.0, |c| c.confidence),
            },
            values_seen: self.seen,
            values_empty: self.empty,
            values_matched: best.as_ref().map_or(0, |c| c.matched),
            candidates: cands,
            evidence,
            evidence_zh,
        }
    }

    /// Same as [`ColumnDetector::finish`].
    pub fn detection(&self) -> Detection {
        self.finish()
    }

    fn explain(&self, best: Option<&Candidate>, top: Option<&Candidate>) -> (String, String) {
        let n = self.non_empty();
        if n == 0 {
            return (
                format!("no non-empty values among {} observed", self.seen),
                format!("观察到的 {} 个值均为空", self.seen),
            );
        }
        let header_en = |c: &Candidate| match c.header {
            HeaderHint::Supports => format!("; the header \"{}\" names it", self.header),
            HeaderHint::Contradicts => format!("; the header \"{}\" suggests other data", self.header),
            HeaderHint::OtherKind => format!("; the header \"{}\" names another kind", self.header),
            HeaderHint::Neutral => String::new(),
        };
        let header_zh = |c: &Candidate| match c.header {
            HeaderHint::Supports => format!("；列名“{}”与之相符", self.header),
            HeaderHint::Contradicts => format!("；列名“{}”提示为其他数据", self.header),
            HeaderHint::OtherKind => format!("；列名“{}”指向其他类型", self.header),
            HeaderHint::Neutral => String::new(),
        };
        let pct = |m: u64| 100.0 * m as f64 / n as f64;
        match (best, top) {
            (Some(c), _) => (
                format!(
                    "{} of {} non-empty values ({:.1}%) are valid as {}{}{}; confidence {:.2}",
                    c.matched,
                    n,
                    pct(c.matched),
                    c.kind.label_en(),
                    if c.kind == PiiKind::Mobile && c.matched > self.matched(PiiKind::Mobile) {
                        " or landline number"
                    } else {
                        ""
                    },
                    header_en(c),
                    c.confidence
                ),
                format!(
                    "{} 个非空值中有 {} 个（{:.1}%）符合{}{}格式{}；置信度 {:.2}",
                    n,
                    c.matched,
                    pct(c.matched),
                    c.kind.label_zh(),
                    if c.kind == PiiKind::Mobile && c.matched > self.matched(PiiKind::Mobile) {
                        "或固定电话"
                    } else {
                        ""
                    },
                    header_zh(c),
                    c.confidence
                ),
            ),
            (None, Some(c)) => (
                format!(
                    "no kind reached {:.2}; best was {} with {} of {} non-empty values ({:.1}%){} at {:.2}",
                    DETECTION_THRESHOLD,
                    c.kind.label_en(),
                    c.matched,
                    n,
                    pct(c.matched),
                    header_en(c),
                    c.confidence
                ),
                format!(
                    "未达到判定阈值 {:.2}；最接近的是{}，{} 个非空值中有 {} 个（{:.1}%）符合{}，置信度 {:.2}",
                    DETECTION_THRESHOLD,
                    c.kind.label_zh(),
                    n,
                    c.matched,
                    pct(c.matched),
                    header_zh(c),
                    c.confidence
                ),
            ),
            (None, None) => {
                match PiiKind::ALL.into_iter().max_by_key(|&k| (self.effective_matched(k), std::cmp::Reverse(k))) {
                    Some(PiiKind::BirthDate) if self.matched(PiiKind::BirthDate) * 2 > n => {
                        let m = self.matched(PiiKind::BirthDate);
                        (
                            format!(
                                "{m} of {n} non-empty values ({:.1}%) are dates, but the header does not name a birth date",
                                pct(m)
                            ),
                            format!("{n} 个非空值中有 {m} 个（{:.1}%）为日期，但列名未指明为出生日期", pct(m)),
                        )
                    }
                    Some(k) if self.effective_matched(k) > 0 => {
                        let m = self.effective_matched(k);
                        (
                            format!(
                                "too few values match any kind; most were {} with {m} of {n} non-empty values ({:.1}%)",
                                k.label_en(),
                                pct(m)
                            ),
                            format!(
                                "符合任一类型的值过少；最多的是{}，{n} 个非空值中有 {m} 个（{:.1}%）",
                                k.label_zh(),
                                pct(m)
                            ),
                        )
                    }
                    _ => (
                        format!("none of {n} non-empty values looks like personal information"),
                        format!("{n} 个非空值均不像个人信息"),
                    ),
                }
            }
        }
    }
}

/// `Zhang Wei`, `WANG Xiaoming`, `Ouyang Na`: two or three ASCII words of letters, each starting
/// with an upper-case letter.
fn latin_name_like(b: &[u8]) -> bool {
    if b.len() < 4 || b.len() > 40 {
        return false;
    }
    let mut words = 0;
    for w in b.split(|&c| c == b' ') {
        if w.len() < 2 || !w[0].is_ascii_uppercase() || !w.iter().all(u8::is_ascii_alphabetic) {
            return false;
        }
        words += 1;
    }
    (2..=3).contains(&words)
}

/// Strips one trailing parenthesised part: `某某五金厂（普通合伙）` → `某某五金厂`.
fn strip_trailing_parenthetical(v: &str) -> &str {
    for (close, open) in [("）", "（"), (")", "(")] {
        if v.ends_with(close)
            && let Some(pos) = v.rfind(open)
            && pos > 0
        {
            return v[..pos].trim_end();
        }
    }
    v
}

/// Whether a value reads as the name of an organisation (enterprise, branch, shop, public body).
pub(crate) fn organisation_like(v: &str) -> bool {
    let v = strip_trailing_parenthetical(v);
    if lexicon::ADDRESS_ENDINGS_NOT_ORG.iter().any(|e| v.ends_with(e)) {
        return false;
    }
    lexicon::ORG_SUFFIXES.iter().any(|s| v.ends_with(s)) || v.contains("公司")
}

/// Whether a value reads as a Chinese person's name (see the module documentation).
pub fn person_name_like(v: &str) -> bool {
    let len = v.len();
    // Up to four characters; a space between them (王　芳, padding used to align two-character
    // names in printed lists) is ignored.
    if len <= 18 {
        let mut buf = ['\0'; 4];
        let mut n = 0;
        let mut spaces = 0;
        for c in v.chars() {
            if c == ' ' || c == '\u{3000}' {
                spaces += 1;
                if spaces > 2 {
                    return false;
                }
                continue;
            }
            if n == 4 || !lexicon::is_cjk(c) {
                return false;
            }
            buf[n] = c;
            n += 1;
        }
        if n < 2 {
            return false;
        }
        let compound = n >= 3
            && lexicon::COMPOUND_SURNAMES.iter().any(|s| {
                let mut cs = s.chars();
                cs.next() == Some(buf[0]) && cs.next() == Some(buf[1])
            });
        if !(compound || lexicon::is_surname(buf[0])) || lexicon::is_non_name_last(buf[n - 1]) {
            return false;
        }
        // 周一…周日 are week days, not people called 周.
        if n == 2 && buf[0] == '周' && matches!(buf[1], '一' | '二' | '三' | '四' | '五' | '六' | '日' | '天' | '末')
        {
            return false;
        }
        return !organisation_like(v);
    }
    // Transcribed names of ethnic-minority and foreign people: 阿依古丽·买买提.
    if len <= 60 && (v.contains('·') || v.contains('•')) {
        let mut parts = 0;
        let mut cjk = 0;
        for part in v.split(['·', '•']) {
            if part.is_empty() || !part.chars().all(lexicon::is_cjk) {
                return false;
            }
            parts += 1;
            cjk += part.chars().count();
        }
        return parts >= 2 && (3..=16).contains(&cjk);
    }
    false
}

/// Whether a value reads as a postal address (see the module documentation).
pub fn address_like(v: &str) -> bool {
    if v.len() < 12 || v.len() > 320 {
        return false;
    }
    let (mut admin, mut street, mut building) = (0u32, 0u32, 0u32);
    let (mut chars, mut cjk) = (0usize, 0usize);
    let mut first_admin = usize::MAX;
    let mut last = AddrClass::Other;
    let mut prev = '\0';
    for c in v.chars() {
        let class = lexicon::addr_class(c);
        match class {
            // Commas and enumeration commas after house or room numbers and after address markers
            // (33、35、37号; 101、102室; 一、二层; 中山路、吉水路口) are part of addresses; anywhere
            // else they mark a list or a sentence.
            AddrClass::TextPunct
                if matches!(c, '、' | '，' | ',')
                    && (prev.is_ascii_alphanumeric()
                        || matches!(
                            prev,
                            ')' | '）' | '一' | '二' | '三' | '四' | '五' | '六' | '七' | '八' | '九' | '十'
                        )
                        || !matches!(lexicon::addr_class(prev), AddrClass::Other | AddrClass::TextPunct)) => {}
            AddrClass::TextPunct => return false,
            AddrClass::Admin => {
                admin += 1;
                if first_admin == usize::MAX {
                    first_admin = chars;
                }
            }
            AddrClass::Street => street += 1,
            AddrClass::Building => building += 1,
            AddrClass::Other => {}
        }
        if lexicon::is_cjk(c) {
            cjk += 1;
        }
        chars += 1;
        last = class;
        prev = c;
    }
    if !(4..=100).contains(&chars) || cjk < 4 || cjk * 5 < chars {
        return false;
    }
    let strong = admin >= 2 || (admin >= 1 && street + building >= 1) || (street >= 1 && building >= 1);
    // One marker is enough when it ends the value (…村, …号) or names the district or town at the
    // start (北仑区春晓, 宁波保税区…).
    let weak = admin + street + building >= 1
        && chars >= 5
        && (matches!(last, AddrClass::Admin | AddrClass::Street | AddrClass::Building)
            || (1..=5).contains(&first_admin));
    (strong || weak) && !organisation_like(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn art_10_name_and_address_value_tests() {
        for name in ["陈军富", "王芳", "王　芳", "鲁 丹", "欧阳娜娜", "诸葛亮", "阿依古丽·买买提", "叶国胜", "应志刚"]
        {
            assert!(person_name_like(name), "{name}");
        }
        for not_name in ["白菜", "黄瓜", "周一", "王记面馆", "张家厂", "浙江", "陈军富1", "男", "个体工商户", "宁波市"]
        {
            assert!(!person_name_like(not_name), "{not_name}");
        }
        for addr in [
            "湖州市练市镇塘桥集镇",
            "余姚市梨洲街道黄箭山村跳头",
            "宁波市鄞州区首南街道天童南路588号",
            "北仑区春晓",
            "杭州市下城区建国北路658号海华国贸大厦16层D房",
            "临安市锦城街道锦城小商品市场",
            "嘉善县罗星街道晋阳西路33、35、37、39、41、43号",
            "温州市鹿城区锦江路458号深蓝大厦101、102、301室",
        ] {
            assert!(address_like(addr), "{addr}");
        }
        for not_addr in [
            "湖州市练市飞一制衣有限公司",
            "嘉兴市塘汇街道松华五金冲件加工厂",
            "服装制造、加工、销售；服装面料、辅料批发、零售",
            "塑料制品",
            "市场营销策划",
            "余姚市城区毕佳诺纺机配件厂",
            "宁波",
        ] {
            assert!(!address_like(not_addr), "{not_addr}");
        }
    }

    #[test]
    fn art_10_placeholders_count_as_empty() {
        let d = detect_column("法人代表", ["N/A", "-", "无", "NULL", "", "  ", "n/a", "陈军富", "王芳", "李晓峰"]);
        assert_eq!(d.values_seen, 10);
        assert_eq!(d.values_empty, 7);
        assert_eq!(d.kind, Some(PiiKind::PersonName));
        assert_eq!(d.values_matched, 3);
    }

    #[test]
    fn art_10_header_gated_shapes() {
        // Local numbers and romanised names count only under a header that names them.
        let local = ["87654321", "62345678", "0574-87654321", "55667788"];
        assert_eq!(detect_column("办公电话", local).kind, Some(PiiKind::Landline));
        assert_eq!(detect_column("数量", local).kind, None);
        let latin = ["Zhang Wei", "WANG Fang", "Ouyang Na", "Li Xiaoming"];
        assert_eq!(detect_column("英文姓名", latin).kind, Some(PiiKind::PersonName));
        assert_eq!(detect_column("字段1", latin).kind, None);
        // Legacy 15-digit identity numbers count as identity numbers.
        assert_eq!(detect_column("身份证号", ["330212900307123", "330203850101002"]).kind, Some(PiiKind::IdCard));
    }

    #[test]
    fn art_10_empty_column_is_not_judged() {
        let d = detect_column("身份证号", ["N/A", ""]);
        assert_eq!(d.kind, None);
        assert_eq!(d.confidence, 0.0);
        assert!(d.candidates.is_empty());
    }

    #[test]
    fn art_10_level_review_flags_under_declared_items() {
        let d = detect_column("银行卡号", ["6212261202000000001", "4111111111111111"]);
        assert_eq!(d.kind, Some(PiiKind::BankCard));
        let r = d.review_level(2);
        assert!(r.under_declared);
        assert_eq!(r.proposed, 4);
        assert!(r.message_zh().contains("L4"));
        assert!(r.message_en().contains("review"));
        assert!(!d.review_level(4).under_declared);
        let none = detect_column("备注", ["按时完成。"]);
        assert_eq!(none.proposed_level(), 1);
        assert_eq!(proposed_level_for(&[none, d]), 4);
    }
}
