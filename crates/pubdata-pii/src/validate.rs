//! Standalone validators for Chinese identifiers and contact details.
//!
//! Every function here works on a borrowed `&str`, never allocates and never reads the clock,
//! so it can be called on every value of a delivered batch. The functions do not trim: callers
//! that read values from spreadsheets should trim surrounding whitespace first (the column
//! detector does).
//!
//! | validator | accepts | standard |
//! | --- | --- | --- |
//! | [`id_card`] | 18-character resident identity number, last character `0-9`/`X`/`x` | GB 11643-1999, ISO 7064 MOD 11-2 |
//! | [`credit_code`] | 18-character unified social credit code, ASCII letters in either case | GB 32100-2015 |
//! | [`mobile`] | mainland mobile number, optional `+86`/`86`/`0086` prefix, optional 3-4-4 grouping | MIIT numbering plan |
//! | [`landline`] | fixed-line number with area code, optional extension | MIIT numbering plan |
//! | [`bank_card`] | 13-19 digit payment card number passing the Luhn check, optional single spaces | ISO/IEC 7812 |
//! | [`email`] | practical ASCII subset of RFC 5322 addresses | RFC 5321/5322 |
//! | [`license_plate`] | mainland motor-vehicle plate, ordinary or new-energy | GA 36-2018 |
//! | [`passport`] | Chinese passport numbers (ordinary, diplomatic, service, public affairs) | |
//! | [`date`] | `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYYMMDD`, `YYYY年M月D日` | proleptic Gregorian calendar |

use std::fmt;

/// Province-level codes of GB/T 2260 that appear as the first two digits of a resident identity
/// number: the 31 mainland provinces, autonomous regions and municipalities, 71 (Taiwan),
/// 81 (Hong Kong) and 82 (Macao). 83 is the prefix of residence permits issued to Taiwan residents
/// (港澳台居民居住证, numbers 810000…/820000…/830000…), which share the identity-number format.
const PROVINCES: [(u8, &str); 35] = [
    (11, "北京"),
    (12, "天津"),
    (13, "河北"),
    (14, "山西"),
    (15, "内蒙古"),
    (21, "辽宁"),
    (22, "吉林"),
    (23, "黑龙江"),
    (31, "上海"),
    (32, "江苏"),
    (33, "浙江"),
    (34, "安徽"),
    (35, "福建"),
    (36, "江西"),
    (37, "山东"),
    (41, "河南"),
    (42, "湖北"),
    (43, "湖南"),
    (44, "广东"),
    (45, "广西"),
    (46, "海南"),
    (50, "重庆"),
    (51, "四川"),
    (52, "贵州"),
    (53, "云南"),
    (54, "西藏"),
    (61, "陕西"),
    (62, "甘肃"),
    (63, "青海"),
    (64, "宁夏"),
    (65, "新疆"),
    (71, "台湾"),
    (81, "香港"),
    (82, "澳门"),
    (83, "台湾"),
];

/// Earliest birth year accepted in an identity number.
pub const ID_CARD_MIN_YEAR: i32 = 1900;
/// Latest birth year accepted in an identity number. The validator takes no "today"; callers that
/// need to reject future birth dates compare [`IdCard::birth_date`] with their own clock.
pub const ID_CARD_MAX_YEAR: i32 = 2100;

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: [u8; 11] = *b"0123456789X";

/// Sex recorded in an identity number (odd 17th digit: male).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    pub fn label_zh(self) -> &'static str {
        match self {
            Sex::Male => "男",
            Sex::Female => "女",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }
}

/// The parts of a valid resident identity number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IdCard {
    region: u32,
    birth: (i32, u32, u32),
    sequence: u16,
    check: char,
}

impl IdCard {
    /// Six-digit administrative division code of the place of first registration (e.g. 330212).
    pub fn region_code(&self) -> u32 {
        self.region
    }

    /// Two-digit province-level code (e.g. 33 for Zhejiang).
    pub fn province_code(&self) -> u8 {
        (self.region / 10_000) as u8
    }

    /// Chinese short name of the province-level division (e.g. "浙江").
    pub fn province_zh(&self) -> &'static str {
        let code = self.province_code();
        PROVINCES.iter().find(|(c, _)| *c == code).map_or("", |(_, n)| n)
    }

    /// Birth date as (year, month, day).
    pub fn birth_date(&self) -> (i32, u32, u32) {
        self.birth
    }

    /// Three-digit sequence code (digits 15-17); its parity gives the sex.
    pub fn sequence(&self) -> u16 {
        self.sequence
    }

    pub fn sex(&self) -> Sex {
        if self.sequence % 2 == 1 { Sex::Male } else { Sex::Female }
    }

    /// The check character, `'0'..='9'` or `'X'` (always upper case); `' '` for a 15-digit
    /// number read with [`id_card_legacy`].
    pub fn check_char(&self) -> char {
        self.check
    }
}

/// Why a string is not a valid resident identity number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdCardError {
    /// Not 18 characters long.
    Length,
    /// The first 17 characters are not all digits, or the last is not a digit or `X`.
    Characters,
    /// The first two digits are not a province-level code.
    Region,
    /// Digits 7-14 are not a real calendar date between 1900 and 2100.
    BirthDate,
    /// The check character does not match; `expected` is the correct one.
    CheckDigit { expected: char },
}

impl IdCardError {
    /// Short message in Simplified Chinese for people filling in or reviewing data.
    pub fn reason_zh(&self) -> String {
        match self {
            IdCardError::Length => "身份证号应为18位".to_owned(),
            IdCardError::Characters => "身份证号前17位应为数字，末位应为数字或X".to_owned(),
            IdCardError::Region => "身份证号前两位不是有效的省级行政区划代码".to_owned(),
            IdCardError::BirthDate => "身份证号中的出生日期无效".to_owned(),
            IdCardError::CheckDigit { expected } => format!("校验位错误，应为 {expected}"),
        }
    }

    /// The English equivalent of [`IdCardError::reason_zh`].
    pub fn reason_en(&self) -> String {
        match self {
            IdCardError::Length => "an identity number has 18 characters".to_owned(),
            IdCardError::Characters => "the first 17 characters must be digits and the last a digit or X".to_owned(),
            IdCardError::Region => "the first two digits are not a province-level division code".to_owned(),
            IdCardError::BirthDate => "the birth date in the number is not a real date".to_owned(),
            IdCardError::CheckDigit { expected } => format!("check digit is wrong, expected {expected}"),
        }
    }
}

impl fmt::Display for IdCardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason_en())
    }
}

impl std::error::Error for IdCardError {}

/// Validates an 18-character resident identity number (居民身份证号码, GB 11643-1999).
///
/// Checks, in order: length, characters (17 digits and a final digit or `X`/`x`), province-level
/// region code, birth date (a real date, years [`ID_CARD_MIN_YEAR`]..=[`ID_CARD_MAX_YEAR`]) and
/// the ISO 7064 MOD 11-2 check character. Legacy 15-digit numbers are not accepted.
pub fn id_card(s: &str) -> Result<IdCard, IdCardError> {
    let b = s.as_bytes();
    if b.len() != 18 {
        return Err(if s.chars().count() == 18 { IdCardError::Characters } else { IdCardError::Length });
    }
    let mut sum = 0u32;
    for (i, &c) in b[..17].iter().enumerate() {
        if !c.is_ascii_digit() {
            return Err(IdCardError::Characters);
        }
        sum += u32::from(c - b'0') * ID_WEIGHTS[i];
    }
    let last = b[17].to_ascii_uppercase();
    if !(last.is_ascii_digit() || last == b'X') {
        return Err(IdCardError::Characters);
    }
    let province = (b[0] - b'0') * 10 + (b[1] - b'0');
    if !PROVINCES.iter().any(|(c, _)| *c == province) {
        return Err(IdCardError::Region);
    }
    let year = digits_value(&b[6..10]) as i32;
    let month = digits_value(&b[10..12]);
    let day = digits_value(&b[12..14]);
    if !(ID_CARD_MIN_YEAR..=ID_CARD_MAX_YEAR).contains(&year) || !is_real_date(year, month, day) {
        return Err(IdCardError::BirthDate);
    }
    let expected = ID_CHECK[((12 - sum % 11) % 11) as usize];
    if last != expected {
        return Err(IdCardError::CheckDigit { expected: char::from(expected) });
    }
    Ok(IdCard {
        region: digits_value(&b[..6]),
        birth: (year, month, day),
        sequence: digits_value(&b[14..17]) as u16,
        check: char::from(expected),
    })
}

/// Validates a 15-digit first-generation identity number (issued until 2004, valid until 2013 and
/// still found in old records): six-digit region code, birth date as `YYMMDD` in the 1900s, and a
/// three-digit sequence, without a check character. Returns the same parts as [`id_card`], with
/// [`IdCard::check_char`] set to `' '`. Errors: [`IdCardError::Length`], [`IdCardError::Characters`],
/// [`IdCardError::Region`], [`IdCardError::BirthDate`].
pub fn id_card_legacy(s: &str) -> Result<IdCard, IdCardError> {
    let b = s.as_bytes();
    if b.len() != 15 {
        return Err(if s.chars().count() == 15 { IdCardError::Characters } else { IdCardError::Length });
    }
    if !b.iter().all(u8::is_ascii_digit) {
        return Err(IdCardError::Characters);
    }
    let province = (b[0] - b'0') * 10 + (b[1] - b'0');
    if !PROVINCES.iter().any(|(c, _)| *c == province) {
        return Err(IdCardError::Region);
    }
    let year = 1900 + digits_value(&b[6..8]) as i32;
    let month = digits_value(&b[8..10]);
    let day = digits_value(&b[10..12]);
    if !is_real_date(year, month, day) {
        return Err(IdCardError::BirthDate);
    }
    Ok(IdCard {
        region: digits_value(&b[..6]),
        birth: (year, month, day),
        sequence: digits_value(&b[12..15]) as u16,
        check: ' ',
    })
}

/// Computes the MOD 11-2 check character for the first 17 digits of an identity number.
/// Returns `None` unless `first17` is exactly 17 ASCII digits.
pub fn id_card_check_char(first17: &str) -> Option<char> {
    let b = first17.as_bytes();
    if b.len() != 17 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = b.iter().zip(ID_WEIGHTS).map(|(&c, w)| u32::from(c - b'0') * w).sum();
    Some(char::from(ID_CHECK[((12 - sum % 11) % 11) as usize]))
}

/// The 31-character alphabet of unified social credit codes (no I, O, Z, S, V).
pub const CREDIT_CODE_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const CREDIT_WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/// Why a string is not a valid unified social credit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CreditCodeError {
    /// Not 18 characters long.
    Length,
    /// A character outside `0-9` and `A-Y` without I, O, Z, S, V.
    Characters,
    /// The check character does not match; `expected` is the correct one.
    CheckCharacter { expected: char },
}

impl CreditCodeError {
    /// Short message in Simplified Chinese.
    pub fn reason_zh(&self) -> String {
        match self {
            CreditCodeError::Length => "统一社会信用代码应为18位".to_owned(),
            CreditCodeError::Characters => "统一社会信用代码只能包含数字和除 I、O、Z、S、V 以外的大写字母".to_owned(),
            CreditCodeError::CheckCharacter { expected } => format!("校验码错误，应为 {expected}"),
        }
    }

    /// The English equivalent of [`CreditCodeError::reason_zh`].
    pub fn reason_en(&self) -> String {
        match self {
            CreditCodeError::Length => "a unified social credit code has 18 characters".to_owned(),
            CreditCodeError::Characters => {
                "only digits and the letters A-Y without I, O, Z, S, V are allowed".to_owned()
            }
            CreditCodeError::CheckCharacter { expected } => {
                format!("check character is wrong, expected {expected}")
            }
        }
    }
}

impl fmt::Display for CreditCodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason_en())
    }
}

impl std::error::Error for CreditCodeError {}

fn credit_value(c: u8) -> Option<u32> {
    let c = c.to_ascii_uppercase();
    CREDIT_CODE_ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

/// Validates a unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters from
/// [`CREDIT_CODE_ALPHABET`] with a MOD 31 check character. ASCII lower-case letters are accepted
/// and treated as their upper-case forms (codes are often typed in lower case); the structure of
/// the registration-authority, type and region parts is not checked.
pub fn credit_code(s: &str) -> Result<(), CreditCodeError> {
    let b = s.as_bytes();
    if b.len() != 18 {
        return Err(if s.chars().count() == 18 { CreditCodeError::Characters } else { CreditCodeError::Length });
    }
    let mut sum = 0u32;
    for (i, &c) in b[..17].iter().enumerate() {
        sum += credit_value(c).ok_or(CreditCodeError::Characters)? * CREDIT_WEIGHTS[i];
    }
    let last = credit_value(b[17]).ok_or(CreditCodeError::Characters)?;
    let expected = (31 - sum % 31) % 31;
    if last != expected {
        return Err(CreditCodeError::CheckCharacter { expected: char::from(CREDIT_CODE_ALPHABET[expected as usize]) });
    }
    Ok(())
}

/// Whether the third digit after `1` is in use for mobile numbers, by second digit.
/// Bit `n` set means `1<second><n>` is a mobile prefix.
fn mobile_prefix_ok(second: u8, third: u8) -> bool {
    let mask: u16 = match second {
        b'3' | b'8' => 0b11_1111_1111,
        b'4' => 0b11_1110_0000, // 145-149 (140-144 are 13-digit IoT numbers)
        b'5' => 0b11_1110_1111, // 154 is unassigned
        b'6' => 0b00_1110_0100, // 162, 165, 166, 167
        b'7' => 0b01_1111_1111, // 170-178
        b'9' => 0b11_1110_1111, // 194 is unassigned
        _ => 0,
    };
    third.is_ascii_digit() && mask & (1 << (third - b'0')) != 0
}

/// Validates a mainland mobile number: 11 digits starting `13`-`19` with an assigned third digit.
///
/// Accepted forms: `13812345678`, an optional country prefix `+86`, `86` or `0086` followed by an
/// optional space or hyphen, and the 3-4-4 grouping with single spaces or hyphens
/// (`138 1234 5678`, `138-1234-5678`). Anything else, including surrounding whitespace, is rejected.
/// Use [`mobile_normalized`] to store the bare 11 digits.
pub fn mobile(s: &str) -> bool {
    mobile_parse(s).is_some()
}

/// The bare 11 digits of a mobile number accepted by [`mobile`] (`+86 138-1234-5678` →
/// `13812345678`), or `None`.
pub fn mobile_normalized(s: &str) -> Option<String> {
    mobile_parse(s).map(|d| d.iter().map(|&c| char::from(c)).collect())
}

fn mobile_parse(s: &str) -> Option<[u8; 11]> {
    let mut b = s.as_bytes();
    if b.len() > 11 {
        for prefix in [&b"+86"[..], b"0086", b"86"] {
            if let Some(rest) = b.strip_prefix(prefix) {
                b = rest;
                if let Some(rest) = b.strip_prefix(b" ").or_else(|| b.strip_prefix(b"-")) {
                    b = rest;
                }
                break;
            }
        }
    }
    let mut digits = [0u8; 11];
    match b.len() {
        11 => {
            if !b.iter().all(u8::is_ascii_digit) {
                return None;
            }
            digits.copy_from_slice(b);
        }
        13 => {
            let sep = b[3];
            if !(sep == b' ' || sep == b'-') || b[8] != sep {
                return None;
            }
            let mut n = 0;
            for (i, &c) in b.iter().enumerate() {
                if i == 3 || i == 8 {
                    continue;
                }
                if !c.is_ascii_digit() {
                    return None;
                }
                digits[n] = c;
                n += 1;
            }
        }
        _ => return None,
    }
    (digits[0] == b'1' && mobile_prefix_ok(digits[1], digits[2])).then_some(digits)
}

/// Validates a mainland fixed-line number with its area code, e.g. `0574-87654321`,
/// `(0574)87654321`, `010 12345678`, `057487654321`, optionally followed by an extension
/// (`-123`, `转123`, `ext123`, up to 6 digits).
///
/// Area codes are `010`, `02X` (followed by 8 digits) or `0` + three digits starting 3-9
/// (followed by 7 or 8 digits); the local number does not start with 0 or 1. Numbers without an
/// area code are rejected because 7-8 digit strings are too ambiguous.
pub fn landline(s: &str) -> bool {
    let b = s.as_bytes();
    // Optional extension.
    for marker in [&b"-"[..], "转".as_bytes(), b"ext", b"EXT", b"#"] {
        if let Some(pos) = find_last(b, marker) {
            let ext = &b[pos + marker.len()..];
            // Only treat it as an extension when the part before it is already a full number.
            if (1..=6).contains(&ext.len()) && ext.iter().all(u8::is_ascii_digit) && pos >= 10 {
                let head = &b[..pos];
                if landline_core(head) {
                    return true;
                }
            }
        }
    }
    landline_core(b)
}

fn landline_core(b: &[u8]) -> bool {
    let (area, local): (&[u8], &[u8]) = if b.first() == Some(&b'(') || b.starts_with("（".as_bytes()) {
        let open = if b[0] == b'(' { 1 } else { 3 };
        let Some(close) =
            b.iter().position(|&c| c == b')').map(|p| (p, 1)).or_else(|| find_last(b, "）".as_bytes()).map(|p| (p, 3)))
        else {
            return false;
        };
        if close.0 < open {
            return false;
        }
        (&b[open..close.0], &b[close.0 + close.1..])
    } else if let Some(sep) = b.iter().position(|&c| c == b'-' || c == b' ') {
        (&b[..sep], &b[sep + 1..])
    } else {
        // No separator: split by the area-code rule.
        if b.len() < 3 {
            return false;
        }
        let area_len = if b[1] == b'1' || b[1] == b'2' { 3 } else { 4 };
        if b.len() <= area_len {
            return false;
        }
        (&b[..area_len], &b[area_len..])
    };
    let local = local.strip_prefix(b" ").unwrap_or(local);
    if !area.iter().all(u8::is_ascii_digit) || !local.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let local_ok = |lens: &[usize]| lens.contains(&local.len()) && !matches!(local[0], b'0' | b'1');
    match area {
        [b'0', b'1', b'0'] | [b'0', b'2', _] => local_ok(&[8]),
        [b'0', b'3'..=b'9', _, _] => local_ok(&[7, 8]),
        _ => false,
    }
}

fn find_last(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    (0..=hay.len() - needle.len()).rev().find(|&i| &hay[i..i + needle.len()] == needle)
}

/// Payment-card scheme suggested by the leading digits (issuer identification number).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardScheme {
    /// China UnionPay, 62.
    UnionPay,
    /// Visa, 4 (including domestic dual-branded cards such as 436742).
    Visa,
    /// Mastercard, 51-55 and 2221-2720.
    Mastercard,
    /// American Express, 34 and 37 (15 digits).
    Amex,
    /// JCB, 3528-3589.
    Jcb,
    /// Discover, 6011, 644-649, 65.
    Discover,
    /// Pre-UnionPay domestic debit card ranges still in circulation (9558, 9559, 6013).
    DomesticLegacy,
}

/// Collects the digits of a card number (digits with optional single spaces or hyphens between
/// groups) into `out`; returns the digit count, or `None` when the shape is wrong.
fn card_digits(s: &str, out: &mut [u8; 19]) -> Option<usize> {
    let b = s.as_bytes();
    if b.len() < 13 || b.len() > 23 {
        return None;
    }
    let mut n = 0;
    let mut prev_sep = true;
    for &c in b {
        if c.is_ascii_digit() {
            if n == 19 {
                return None;
            }
            out[n] = c - b'0';
            n += 1;
            prev_sep = false;
        } else if (c == b' ' || c == b'-') && !prev_sep {
            prev_sep = true;
        } else {
            return None;
        }
    }
    if prev_sep || n < 13 {
        return None;
    }
    Some(n)
}

fn luhn(d: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, &x) in d.iter().rev().enumerate() {
        let x = u32::from(x);
        sum += if i % 2 == 1 {
            let y = x * 2;
            if y > 9 { y - 9 } else { y }
        } else {
            x
        };
    }
    sum.is_multiple_of(10)
}

fn scheme_of(d: &[u8]) -> Option<CardScheme> {
    let p = |k: usize| d[..k].iter().fold(0u32, |a, &x| a * 10 + u32::from(x));
    let n = d.len();
    match (d[0], d[1]) {
        (6, 2) if n >= 16 => Some(CardScheme::UnionPay),
        (4, _) if matches!(n, 13 | 16 | 19) => Some(CardScheme::Visa),
        (5, 1..=5) if n == 16 => Some(CardScheme::Mastercard),
        (2, _) if n == 16 && (2221..=2720).contains(&p(4)) => Some(CardScheme::Mastercard),
        (3, 4 | 7) if n == 15 => Some(CardScheme::Amex),
        (3, 5) if n >= 16 && (3528..=3589).contains(&p(4)) => Some(CardScheme::Jcb),
        (6, _) if n >= 16 && (p(4) == 6011 || (644..=649).contains(&p(3)) || p(2) == 65) => Some(CardScheme::Discover),
        (6, 0) if n >= 16 && p(4) == 6013 => Some(CardScheme::DomesticLegacy),
        (9, 5) if n >= 16 && matches!(p(4), 9558 | 9559) => Some(CardScheme::DomesticLegacy),
        _ => None,
    }
}

/// Validates a payment card number: 13-19 digits (single spaces or hyphens allowed between
/// digit groups) passing the Luhn check.
///
/// Luhn alone accepts one random digit string in ten; use [`bank_card_scheme`] for additional
/// evidence. The column detector also ignores 15-digit numbers that are not American Express,
/// because device IMEI numbers have the same length and check.
pub fn bank_card(s: &str) -> bool {
    let mut d = [0u8; 19];
    card_digits(s, &mut d).is_some_and(|n| luhn(&d[..n]))
}

/// The card scheme suggested by the issuer prefix and length of a card number, whether or not
/// the Luhn check passes. `None` for unknown prefixes or malformed input.
pub fn bank_card_scheme(s: &str) -> Option<CardScheme> {
    let mut d = [0u8; 19];
    card_digits(s, &mut d).and_then(|n| scheme_of(&d[..n]))
}

/// Validates an e-mail address in the practical ASCII form `local@domain.tld`: the local part
/// uses letters, digits and `._%+-` (no leading, trailing or doubled dot, at most 64 bytes); the
/// domain has at least two labels of letters, digits and inner hyphens, and an alphabetic
/// top-level label of two or more letters. Quoted local parts and internationalised addresses are
/// not accepted.
pub fn email(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 6 || b.len() > 254 {
        return false;
    }
    let Some(at) = b.iter().position(|&c| c == b'@') else {
        return false;
    };
    let (local, domain) = (&b[..at], &b[at + 1..]);
    if local.is_empty() || local.len() > 64 || local[0] == b'.' || local[local.len() - 1] == b'.' {
        return false;
    }
    let mut prev_dot = false;
    for &c in local {
        let dot = c == b'.';
        if (dot && prev_dot) || !(c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-')) {
            return false;
        }
        prev_dot = dot;
    }
    let mut labels = 0;
    let mut last: &[u8] = &[];
    for label in domain.split(|&c| c == b'.') {
        if label.is_empty()
            || label.len() > 63
            || label[0] == b'-'
            || label[label.len() - 1] == b'-'
            || !label.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'-')
        {
            return false;
        }
        labels += 1;
        last = label;
    }
    labels >= 2 && last.len() >= 2 && last.iter().all(u8::is_ascii_alphabetic)
}

/// Province abbreviations used as the first character of mainland plates.
pub const PLATE_PROVINCES: &str = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼";

/// Letters used on plates: A-Z without I and O.
fn plate_letter(c: char) -> bool {
    let c = c.to_ascii_uppercase();
    c.is_ascii_uppercase() && c != 'I' && c != 'O'
}

fn plate_alnum(c: char) -> bool {
    c.is_ascii_digit() || plate_letter(c)
}

/// Validates a mainland motor-vehicle plate (GA 36-2018): a province abbreviation from
/// [`PLATE_PROVINCES`], an issuing-authority letter, an optional separator (`·`, `•` or a space),
/// then either
///
/// - five letters/digits (ordinary plates; the letters I and O are never used),
/// - four letters/digits and one of 挂 学 警 港 澳 领 试 超 (trailer, coach, police, Hong Kong,
///   Macao, consular, test, over-limit plates), or
/// - six characters of a new-energy plate: `D`/`F` + a letter or digit + four digits (small
///   vehicles) or five digits + `D`/`F` (large vehicles).
///
/// ASCII letters are accepted in either case.
pub fn license_plate(s: &str) -> bool {
    let mut it = s.chars();
    let Some(p) = it.next() else { return false };
    if !PLATE_PROVINCES.contains(p) {
        return false;
    }
    let Some(authority) = it.next() else { return false };
    if !plate_letter(authority) {
        return false;
    }
    let mut rest = [' '; 6];
    let mut n = 0;
    for (i, c) in it.enumerate() {
        if i == 0 && matches!(c, '·' | '•' | ' ' | '.') {
            continue;
        }
        if n == 6 {
            return false;
        }
        rest[n] = c;
        n += 1;
    }
    let r = &rest[..n];
    let df = |c: char| matches!(c.to_ascii_uppercase(), 'D' | 'F');
    match n {
        5 => {
            r[..4].iter().all(|&c| plate_alnum(c))
                && (plate_alnum(r[4]) || matches!(r[4], '挂' | '学' | '警' | '港' | '澳' | '领' | '试' | '超'))
        }
        6 => {
            (df(r[0]) && plate_alnum(r[1]) && r[2..].iter().all(char::is_ascii_digit))
                || (r[..5].iter().all(char::is_ascii_digit) && df(r[5]))
        }
        _ => false,
    }
}

/// Validates a Chinese passport number:
///
/// - `E` + 8 digits (ordinary electronic passports from 2012),
/// - `E` + a letter other than I/O + 7 digits (ordinary passports once the `E` + digits range ran out),
/// - `G` + 8 digits (ordinary passports issued 1997-2012),
/// - `D`, `S` or `P` + 7 digits, or `DE`, `SE`, `PE` + 7 digits (diplomatic, service and public
///   affairs passports).
///
/// ASCII letters are accepted in either case.
pub fn passport(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |x: &[u8]| x.iter().all(u8::is_ascii_digit);
    if b.len() != 8 && b.len() != 9 {
        return false;
    }
    let l0 = b[0].to_ascii_uppercase();
    let l1 = b[1].to_ascii_uppercase();
    match (b.len(), l0) {
        (9, b'E') if digits(&b[1..]) => true,
        (9, b'E') => l1.is_ascii_uppercase() && l1 != b'I' && l1 != b'O' && digits(&b[2..]),
        (9, b'G') => digits(&b[1..]),
        (9, b'D' | b'S' | b'P') => l1 == b'E' && digits(&b[2..]),
        (8, b'D' | b'S' | b'P') => digits(&b[1..]),
        _ => false,
    }
}

/// Whether `(year, month, day)` is a real date in the proleptic Gregorian calendar.
pub fn is_real_date(year: i32, month: u32, day: u32) -> bool {
    (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month)
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

fn digits_value(b: &[u8]) -> u32 {
    b.iter().fold(0u32, |a, &c| a * 10 + u32::from(c - b'0'))
}

/// Parses 1-2 ASCII digits at the start of `b`; returns (value, digits consumed).
fn small_number(b: &[u8]) -> Option<(u32, usize)> {
    let n = b.iter().take(2).take_while(|c| c.is_ascii_digit()).count();
    (n > 0).then(|| (digits_value(&b[..n]), n))
}

/// Parses a calendar date in one of the forms `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYYMMDD` or
/// `YYYY年M月D日` and returns `(year, month, day)` if it is a real date (leap years included).
///
/// In the separated forms the month and day may have one or two digits (`2002-1-5`); the year
/// always has four digits and must be 1000 or later. Times, week days and other text are not
/// accepted.
pub fn date(s: &str) -> Option<(i32, u32, u32)> {
    let b = s.as_bytes();
    if b.len() < 8 || !b[..4].iter().all(u8::is_ascii_digit) || b[0] == b'0' {
        return None;
    }
    let year = digits_value(&b[..4]) as i32;
    let (month, day) = if b.len() == 8 && b.iter().all(u8::is_ascii_digit) {
        (digits_value(&b[4..6]), digits_value(&b[6..8]))
    } else {
        let (sep1, sep2, end): (&[u8], &[u8], &[u8]) = match b[4] {
            b'-' => (b"-", b"-", b""),
            b'/' => (b"/", b"/", b""),
            _ => ("年".as_bytes(), "月".as_bytes(), "日".as_bytes()),
        };
        let rest = b[4..].strip_prefix(sep1)?;
        let (month, n) = small_number(rest)?;
        let rest = rest[n..].strip_prefix(sep2)?;
        let (day, n) = small_number(rest)?;
        if &rest[n..] != end {
            return None;
        }
        (month, day)
    };
    is_real_date(year, month, day).then_some((year, month, day))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a valid identity number from its first 17 digits.
    fn with_check(first17: &str) -> String {
        let mut s = first17.to_owned();
        s.push(id_card_check_char(first17).unwrap());
        s
    }

    #[test]
    fn art_10_id_card_check_digit_and_parts() {
        // Weighted sum of 33021219900307123: computed by hand below.
        let first17 = "33021219900307123";
        let sum: u32 = first17.bytes().zip(ID_WEIGHTS).map(|(c, w)| u32::from(c - b'0') * w).sum();
        let expected = char::from(ID_CHECK[((12 - sum % 11) % 11) as usize]);
        let id = with_check(first17);
        assert_eq!(id.chars().last(), Some(expected));
        let card = id_card(&id).unwrap();
        assert_eq!(card.region_code(), 330212);
        assert_eq!(card.province_code(), 33);
        assert_eq!(card.province_zh(), "浙江");
        assert_eq!(card.birth_date(), (1990, 3, 7));
        assert_eq!(card.sequence(), 123);
        assert_eq!(card.sex(), Sex::Male);
        // The textbook example number from GB 11643-1999.
        assert_eq!(id_card("11010519491231002X").unwrap().sex(), Sex::Female);
        assert!(id_card("11010519491231002x").is_ok());
        assert_eq!(id_card("110105194912310021"), Err(IdCardError::CheckDigit { expected: 'X' }));
    }

    #[test]
    fn art_10_id_card_errors_in_order() {
        assert_eq!(id_card("1101051949123100"), Err(IdCardError::Length));
        assert_eq!(id_card(""), Err(IdCardError::Length));
        assert_eq!(id_card("11010519491231002Y"), Err(IdCardError::Characters));
        assert_eq!(id_card("1101051949123100２X"), Err(IdCardError::Characters));
        assert_eq!(id_card("1101051949A231002X"), Err(IdCardError::Characters));
        assert_eq!(id_card(&with_check("10010519491231002")), Err(IdCardError::Region));
        assert_eq!(id_card(&with_check("91010519491231002")), Err(IdCardError::Region));
        assert_eq!(id_card(&with_check("11010518991231002")), Err(IdCardError::BirthDate));
        assert_eq!(id_card(&with_check("11010519491331002")), Err(IdCardError::BirthDate));
        assert_eq!(id_card(&with_check("11010519490431002")), Err(IdCardError::BirthDate));
    }

    #[test]
    fn art_10_id_card_leap_day_births() {
        assert!(id_card(&with_check("33021219960229002")).is_ok());
        assert_eq!(id_card(&with_check("33021219970229002")), Err(IdCardError::BirthDate));
        assert!(id_card(&with_check("33021220000229002")).is_ok());
        assert_eq!(id_card(&with_check("33021219000229002")), Err(IdCardError::BirthDate));
    }

    #[test]
    fn art_10_legacy_fifteen_digit_id_cards() {
        let card = id_card_legacy("330212900307123").unwrap();
        assert_eq!(card.birth_date(), (1990, 3, 7));
        assert_eq!(card.sex(), Sex::Male);
        assert_eq!(id_card_legacy("330212900229123"), Err(IdCardError::BirthDate));
        assert!(id_card_legacy("330212960229124").is_ok());
        assert_eq!(id_card_legacy("990212900307123"), Err(IdCardError::Region));
        assert_eq!(id_card_legacy("33021290030712"), Err(IdCardError::Length));
        assert_eq!(id_card_legacy("33021290030712X"), Err(IdCardError::Characters));
    }

    #[test]
    fn art_10_id_card_messages() {
        let e = IdCardError::CheckDigit { expected: 'X' };
        assert_eq!(e.reason_zh(), "校验位错误，应为 X");
        assert_eq!(e.reason_en(), "check digit is wrong, expected X");
        for e in [IdCardError::Length, IdCardError::Characters, IdCardError::Region, IdCardError::BirthDate] {
            assert!(!e.reason_zh().is_empty() && !e.reason_en().is_empty());
            assert_eq!(e.to_string(), e.reason_en());
        }
    }

    #[test]
    fn art_10_credit_code_check_character() {
        assert_eq!(credit_code("91350100M000100Y43"), Ok(()));
        assert_eq!(credit_code("91350100m000100y43"), Ok(()));
        assert_eq!(credit_code("91350100M000100Y44"), Err(CreditCodeError::CheckCharacter { expected: '3' }));
        assert_eq!(credit_code("91350100M000100Y4"), Err(CreditCodeError::Length));
        assert_eq!(credit_code("91350100M000I00Y43"), Err(CreditCodeError::Characters));
        assert_eq!(credit_code("91350100M000100YZ3"), Err(CreditCodeError::Characters));
        assert_eq!(credit_code("91350100M000100Y4３"), Err(CreditCodeError::Characters));
        let e = CreditCodeError::CheckCharacter { expected: '3' };
        assert_eq!(e.reason_zh(), "校验码错误，应为 3");
        assert_eq!(e.reason_en(), "check character is wrong, expected 3");
        // Real codes from the 2002 Zhejiang registrations.
        assert!(credit_code("91330503735242721D").is_ok());
        assert!(credit_code("92330281MA2ENBUA1R").is_ok());
    }

    #[test]
    fn art_10_mobile_numbers() {
        for ok in [
            "13812345678",
            "15912345678",
            "19912345678",
            "16612345678",
            "+8613812345678",
            "+86 13812345678",
            "86-13812345678",
            "008613812345678",
            "138 1234 5678",
            "138-1234-5678",
        ] {
            assert!(mobile(ok), "{ok}");
        }
        assert_eq!(mobile_normalized("+86 138-1234-5678").as_deref(), Some("13812345678"));
        assert_eq!(mobile_normalized("12812345678"), None);
        for bad in [
            "12812345678",
            "10012345678",
            "1381234567",
            "138123456789",
            "15412345678",
            "14112345678",
            "16012345678",
            "19412345678",
            "138 1234-5678",
            "1381234 5678",
            " 13812345678",
            "23812345678",
            "1381234567a",
        ] {
            assert!(!mobile(bad), "{bad}");
        }
    }

    #[test]
    fn art_10_landlines() {
        for ok in [
            "0574-87654321",
            "057487654321",
            "0574 8765432",
            "010-62345678",
            "(0574)87654321",
            "（0574）87654321",
            "021-62345678",
            "0574-87654321-802",
            "0574-87654321转802",
        ] {
            assert!(landline(ok), "{ok}");
        }
        for bad in ["87654321", "0574-07654321", "010-1234567", "1574-87654321", "0574-876543210", "05-87654321", ""] {
            assert!(!landline(bad), "{bad}");
        }
    }

    #[test]
    fn art_10_bank_cards_luhn_and_scheme() {
        assert!(bank_card("4111111111111111"));
        assert_eq!(bank_card_scheme("4111111111111111"), Some(CardScheme::Visa));
        // 621226120200000000 + check digit: the Luhn sum with a trailing 0 is 29, so the digit is 1.
        assert!(bank_card("6212261202000000001"));
        assert_eq!(bank_card_scheme("6212261202000000001"), Some(CardScheme::UnionPay));
        assert!(bank_card("6212 2612 0200 0000 001"));
        assert!(bank_card("6212-2612-0200-0000-001"));
        assert!(!bank_card("6212261202000000002"));
        assert!(!bank_card("6212  2612020000000001"));
        assert!(!bank_card(" 6212261202000000001"));
        assert!(!bank_card("621226120200"));
        assert!(bank_card("378282246310005"));
        assert_eq!(bank_card_scheme("378282246310005"), Some(CardScheme::Amex));
        assert_eq!(bank_card_scheme("5555555555554444"), Some(CardScheme::Mastercard));
        assert_eq!(bank_card_scheme("1234567812345670"), None);
    }

    #[test]
    fn art_10_emails() {
        for ok in ["zhang.san@yinzhou.gov.cn", "a_b+tag@example.com", "x1@qq.com"] {
            assert!(email(ok), "{ok}");
        }
        for bad in ["zhangsan", "@qq.com", "a@b", "a..b@qq.com", ".a@qq.com", "a@-qq.com", "a@qq.c0m", "a b@qq.com"] {
            assert!(!email(bad), "{bad}");
        }
    }

    #[test]
    fn art_10_license_plates() {
        for ok in [
            "浙B12345",
            "浙B·12345",
            "京A8888警",
            "粤B1234港",
            "浙BD12345",
            "浙B12345F",
            "沪AF1234A".trim_end_matches('A'),
        ] {
            assert!(license_plate(ok), "{ok}");
        }
        for bad in ["浙I12345", "浙B1234", "浙B123456", "浙BO2345", "A12345", "哈B12345", "浙BA12345", "浙B1234D5"]
        {
            assert!(!license_plate(bad), "{bad}");
        }
    }

    #[test]
    fn art_10_passports() {
        for ok in ["E12345678", "EA1234567", "G12345678", "D1234567", "SE1234567", "e12345678"] {
            assert!(passport(ok), "{ok}");
        }
        for bad in ["E1234567", "EI1234567", "X12345678", "G1234567", "E123456789", "DA1234567"] {
            assert!(!passport(bad), "{bad}");
        }
    }

    #[test]
    fn art_10_dates() {
        assert_eq!(date("2002-01-05"), Some((2002, 1, 5)));
        assert_eq!(date("2002-1-5"), Some((2002, 1, 5)));
        assert_eq!(date("2002/12/31"), Some((2002, 12, 31)));
        assert_eq!(date("20020105"), Some((2002, 1, 5)));
        assert_eq!(date("1996年2月29日"), Some((1996, 2, 29)));
        assert_eq!(date("1996年02月29日"), Some((1996, 2, 29)));
        assert_eq!(date("1997年2月29日"), None);
        assert_eq!(date("2002-02-30"), None);
        assert_eq!(date("2002-01-05 10:00"), None);
        assert_eq!(date("2002-01/05"), None);
        assert_eq!(date("20021305"), None);
        assert_eq!(date("1996年2月29"), None);
        assert_eq!(date("0996-02-01"), None);
    }
}
