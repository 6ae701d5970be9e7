//! Measuring the detector: a labelled set of columns, precision and recall per kind, and a
//! corpus for throughput measurements.
//!
//! The labelled set ([`labeled_columns`]) has two parts:
//!
//! - **Real data**, when the caller passes the text of `zj-enterprise-2002.csv` (4,216 enterprises
//!   registered in Zhejiang in 2002): each of its ten columns is cut into chunks of 500 rows and
//!   every chunk becomes one labelled column (统一社会信用代码 → credit code, 法人代表 → person's
//!   name, 注册地址 → address, the other seven → nothing).
//! - **Generated columns** from a deterministic pseudo-random generator (SplitMix64, seeded by the
//!   caller): valid identifiers of every kind with computed check characters, names, addresses
//!   and phone numbers, under Chinese, English, pinyin and neutral headers, with placeholders and
//!   a few corrupted values mixed in; and negatives built to resemble them: 18-digit order and
//!   serial numbers, identity-number look-alikes with valid region and birth date but a random
//!   check digit (one in eleven passes by chance), 11-digit serials starting with 1, card-length
//!   transaction numbers, enterprise and product names, business scopes, descriptions, dates,
//!   amounts and code lists.
//!
//! [`evaluate`] runs [`crate::detect_column`] on every column and counts, per kind, true
//! positives (detected the expected kind), false positives (detected a kind that was not
//! expected) and false negatives (the expected kind was not detected). Overall figures are
//! micro-averaged over all kinds.
//!
//! # Throughput
//!
//! [`throughput_corpus`] generates mixed columns up to a byte budget. Measure by creating one
//! [`crate::ColumnDetector`] per column, calling `observe` on every value, and dividing the total
//! bytes of the values by the elapsed time; `examples/pii_bench.rs` does exactly that in release
//! mode on one thread.

use std::fmt;

use crate::{PiiKind, detect_column};

/// A column with the kind it is known to hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabeledColumn {
    pub header: String,
    pub values: Vec<String>,
    /// The kind the column holds, `None` for columns without personal or identifying information.
    pub expected: Option<PiiKind>,
    /// Where the column comes from, e.g. `real:法人代表[0..500]` or `generated:order-number`.
    pub origin: String,
}

/// Counts for one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindStats {
    pub kind: PiiKind,
    /// Columns expected to hold the kind and detected as it.
    pub tp: u64,
    /// Columns detected as the kind that do not hold it.
    pub fp: u64,
    /// Columns holding the kind that were not detected as it.
    pub fn_: u64,
}

/// Precision with the convention that no predictions at all means no false ones (1.0).
fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 { 1.0 } else { num as f64 / den as f64 }
}

impl KindStats {
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }

    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }

    /// Columns expected to hold the kind.
    pub fn support(&self) -> u64 {
        self.tp + self.fn_
    }
}

/// A column the detector got wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct Mistake {
    pub header: String,
    pub origin: String,
    pub expected: Option<PiiKind>,
    pub detected: Option<PiiKind>,
    pub confidence: f32,
    pub evidence: String,
}

/// Results of [`evaluate`].
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// One entry per kind, in the order of [`PiiKind::ALL`].
    pub per_kind: Vec<KindStats>,
    pub columns: usize,
    /// Columns expected to hold nothing and detected as nothing.
    pub true_negatives: u64,
    pub mistakes: Vec<Mistake>,
}

impl Evaluation {
    fn totals(&self) -> (u64, u64, u64) {
        self.per_kind.iter().fold((0, 0, 0), |(tp, fp, fn_), s| (tp + s.tp, fp + s.fp, fn_ + s.fn_))
    }

    /// Micro-averaged precision over all kinds.
    pub fn precision(&self) -> f64 {
        let (tp, fp, _) = self.totals();
        ratio(tp, tp + fp)
    }

    /// Micro-averaged recall over all kinds.
    pub fn recall(&self) -> f64 {
        let (tp, _, fn_) = self.totals();
        ratio(tp, tp + fn_)
    }

    pub fn stats(&self, kind: PiiKind) -> Option<&KindStats> {
        self.per_kind.iter().find(|s| s.kind == kind)
    }
}

impl fmt::Display for Evaluation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{:<14} {:>5} {:>5} {:>5} {:>9} {:>7}", "kind", "tp", "fp", "fn", "precision", "recall")?;
        for s in &self.per_kind {
            writeln!(
                f,
                "{:<14} {:>5} {:>5} {:>5} {:>9.3} {:>7.3}",
                s.kind.as_str(),
                s.tp,
                s.fp,
                s.fn_,
                s.precision(),
                s.recall()
            )?;
        }
        let (tp, fp, fn_) = self.totals();
        writeln!(
            f,
            "{:<14} {:>5} {:>5} {:>5} {:>9.3} {:>7.3}",
            "overall",
            tp,
            fp,
            fn_,
            self.precision(),
            self.recall()
        )?;
        writeln!(
            f,
            "columns: {}, of which without personal information and not flagged: {}",
            self.columns, self.true_negatives
        )?;
        for m in &self.mistakes {
            writeln!(
                f,
                "  wrong: {} ({}) expected {}, detected {} at {:.2}: {}",
                m.header,
                m.origin,
                m.expected.map_or("none", PiiKind::as_str),
                m.detected.map_or("none", PiiKind::as_str),
                m.confidence,
                m.evidence
            )?;
        }
        Ok(())
    }
}

/// Runs the detector on every column and counts hits and misses per kind.
pub fn evaluate(columns: &[LabeledColumn]) -> Evaluation {
    let mut per_kind: Vec<KindStats> =
        PiiKind::ALL.iter().map(|&kind| KindStats { kind, tp: 0, fp: 0, fn_: 0 }).collect();
    let mut true_negatives = 0;
    let mut mistakes = Vec::new();
    for col in columns {
        let d = detect_column(&col.header, &col.values);
        match (col.expected, d.kind) {
            (Some(e), Some(k)) if e == k => per_kind[e.index()].tp += 1,
            (None, None) => true_negatives += 1,
            (e, k) => {
                if let Some(e) = e {
                    per_kind[e.index()].fn_ += 1;
                }
                if let Some(k) = k {
                    per_kind[k.index()].fp += 1;
                }
                mistakes.push(Mistake {
                    header: col.header.clone(),
                    origin: col.origin.clone(),
                    expected: e,
                    detected: k,
                    confidence: d.confidence,
                    evidence: d.evidence,
                });
            }
        }
    }
    Evaluation { per_kind, columns: columns.len(), true_negatives, mistakes }
}

/// Parses CSV text (RFC 4180: comma-separated, fields optionally in double quotes with `""` for a
/// quote, line breaks inside quotes allowed, LF or CRLF line ends, optional UTF-8 BOM) into rows.
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    field.push('"');
                    chars.next();
                } else {
                    in_quotes = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' if field.is_empty() && !quoted => {
                in_quotes = true;
                quoted = true;
            }
            ',' => {
                row.push(std::mem::take(&mut field));
                quoted = false;
            }
            '\n' => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
                quoted = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            _ => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() || quoted {
        row.push(field);
        rows.push(row);
    }
    rows
}

/// Expected kind of each column of `zj-enterprise-2002.csv`; `None` for headers not in the file's
/// documented layout.
fn real_label(header: &str) -> Option<Option<PiiKind>> {
    Some(match header {
        "统一社会信用代码" => Some(PiiKind::CreditCode),
        "法人代表" => Some(PiiKind::PersonName),
        "注册地址" => Some(PiiKind::Address),
        "企业名称" | "注册日期" | "企业类型" | "注册资金" | "经营范围" | "所在省份" | "地区" => {
            None
        }
        _ => return None,
    })
}

/// Rows per labelled chunk of a real column.
pub const REAL_CHUNK_ROWS: usize = 500;

fn real_columns(text: &str) -> Vec<LabeledColumn> {
    let rows = parse_csv(text);
    let Some((header, body)) = rows.split_first() else { return Vec::new() };
    let mut out = Vec::new();
    for (i, name) in header.iter().enumerate() {
        let Some(expected) = real_label(name.trim()) else { continue };
        let values: Vec<String> = body.iter().map(|r| r.get(i).cloned().unwrap_or_default()).collect();
        let mut start = 0;
        while start < values.len() {
            let mut end = (start + REAL_CHUNK_ROWS).min(values.len());
            if values.len() - end < REAL_CHUNK_ROWS / 2 {
                end = values.len();
            }
            out.push(LabeledColumn {
                header: name.trim().to_owned(),
                values: values[start..end].to_vec(),
                expected,
                origin: format!("real:{}[{start}..{end}]", name.trim()),
            });
            start = end;
        }
    }
    out
}

/// Builds the labelled set: the real file's columns (when `real_csv` holds its text) followed by
/// generated columns drawn from `seed`. The same seed always gives the same columns.
pub fn labeled_columns(real_csv: Option<&str>, seed: u64) -> Vec<LabeledColumn> {
    let mut out = real_csv.map(real_columns).unwrap_or_default();
    out.extend(generated_columns(seed));
    out
}

// ---------------------------------------------------------------------------------------------
// Deterministic generation
// ---------------------------------------------------------------------------------------------

/// SplitMix64 (Steele, Lea and Flood 2014): tiny, fast and good enough for test data.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u32, hi: u32) -> u32 {
        lo + self.below((hi - lo + 1) as usize) as u32
    }

    fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }

    /// Picks a string from a space-separated list.
    fn word<'a>(&mut self, list: &'a str) -> &'a str {
        let n = list.split(' ').count();
        list.split(' ').nth(self.below(n)).unwrap_or("")
    }

    /// Picks one character from a string.
    fn ch(&mut self, chars: &str) -> char {
        let n = chars.chars().count();
        chars.chars().nth(self.below(n)).unwrap_or('之')
    }

    fn digits(&mut self, n: usize) -> String {
        (0..n).map(|_| char::from(b'0' + self.below(10) as u8)).collect()
    }
}

/// Real county-level division codes (GB/T 2260) used as identity-number prefixes.
const REGIONS: [&str; 56] = [
    "330212", "330203", "330205", "330206", "330211", "330213", "330281", "330282", "330226", "330225", "330102",
    "330106", "330108", "330302", "330402", "330502", "330602", "330702", "330782", "330802", "330902", "331002",
    "331102", "110101", "110105", "110108", "310101", "310115", "320102", "320583", "340102", "350102", "360102",
    "370102", "410102", "420102", "430102", "440103", "440305", "450102", "500101", "510104", "520102", "530102",
    "610102", "620102", "650102", "220102", "230102", "210102", "130102", "140105", "150102", "330424", "332501",
    "362502",
];

fn date_parts(rng: &mut Rng, from: u32, to: u32) -> (u32, u32, u32) {
    let y = rng.range(from, to);
    let m = rng.range(1, 12);
    let max = (28..=31).rev().find(|&d| crate::validate::is_real_date(y as i32, m, d)).unwrap_or(28);
    (y, m, rng.range(1, max))
}

fn gen_id_card(rng: &mut Rng) -> String {
    let (y, m, d) = date_parts(rng, 1940, 2012);
    let first17 = format!("{}{y:04}{m:02}{d:02}{}", rng.pick(&REGIONS), rng.digits(3));
    let check = crate::validate::id_card_check_char(&first17).unwrap_or('0');
    format!("{first17}{check}")
}

const MOBILE_PREFIXES: [&str; 40] = [
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "145", "147", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "166", "170", "173", "175", "176", "177", "178", "180", "181", "182", "183",
    "185", "186", "187", "188", "189", "191", "198", "199",
];

fn gen_mobile(rng: &mut Rng) -> String {
    format!("{}{}", rng.pick(&MOBILE_PREFIXES), rng.digits(8))
}

fn gen_landline(rng: &mut Rng) -> String {
    let (area, len) =
        *rng.pick(&[("0574", 8), ("0574", 8), ("0571", 8), ("0577", 8), ("010", 8), ("021", 8), ("0580", 7)]);
    let local = format!("{}{}", rng.range(2, 8), rng.digits(len - 1));
    match rng.below(6) {
        0 => format!("{area}{local}"),
        1 => format!("({area}){local}"),
        2 => format!("{area}-{local}-{}", rng.range(100, 899)),
        _ => format!("{area}-{local}"),
    }
}

fn luhn_complete(body: &str) -> String {
    let mut sum = 0u32;
    for (i, c) in body.bytes().rev().enumerate() {
        let x = u32::from(c - b'0');
        sum += if i % 2 == 0 {
            let y = x * 2;
            if y > 9 { y - 9 } else { y }
        } else {
            x
        };
    }
    format!("{body}{}", (10 - sum % 10) % 10)
}

fn gen_bank_card(rng: &mut Rng) -> String {
    let (bin, len) = *rng.pick(&[
        ("622202", 19),
        ("621700", 19),
        ("622848", 19),
        ("621661", 19),
        ("622588", 16),
        ("623061", 19),
        ("621226", 19),
        ("622908", 16),
        ("436742", 16),
        ("518710", 16),
        ("625910", 16),
    ]);
    luhn_complete(&format!("{bin}{}", rng.digits(len - bin.len() - 1)))
}

const CREDIT_ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

fn gen_credit_code(rng: &mut Rng) -> String {
    let head = *rng.pick(&["91", "91", "91", "92", "93", "52", "12", "11", "51", "Y1"]);
    let region = rng.pick(&REGIONS);
    let org: String = (0..9).map(|_| rng.ch(CREDIT_ALPHABET)).collect();
    let first17 = format!("{head}{region}{org}");
    const W: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
    let sum: u32 =
        first17.chars().zip(W).map(|(c, w)| CREDIT_ALPHABET.chars().position(|a| a == c).unwrap_or(0) as u32 * w).sum();
    let check = CREDIT_ALPHABET.chars().nth(((31 - sum % 31) % 31) as usize).unwrap_or('0');
    format!("{first17}{check}")
}

const PINYIN: &str = "zhang wang li liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he lin gao luo zheng liang \
xie song tang han feng dong ye jiang wei min jun hua ming fang hong xiao yan lei ping bo tao yu xin jie qiang";

fn gen_email(rng: &mut Rng) -> String {
    let user = match rng.below(4) {
        0 => format!("{}{}", rng.word(PINYIN), rng.word(PINYIN)),
        1 => format!("{}.{}", rng.word(PINYIN), rng.word(PINYIN)),
        2 => format!("{}{}", rng.word(PINYIN), rng.range(1, 9999)),
        _ => {
            // QQ-number style: 6-10 digits, not starting with 0.
            let n = rng.range(5, 9) as usize;
            format!("{}{}", rng.range(1, 9), rng.digits(n))
        }
    };
    let domain =
        rng.word("qq.com 163.com 126.com yinzhou.gov.cn nbu.edu.cn gmail.com sina.com foxmail.com outlook.com");
    format!("{user}@{domain}")
}

const PLATE_LETTERS: &str = "ABCDEFGHJKLMNPQRSTUVWXYZ";

fn gen_plate(rng: &mut Rng) -> String {
    let province = if rng.chance(0.8) { '浙' } else { rng.ch("京沪苏皖闽赣鲁豫鄂湘粤川") };
    let authority = if province == '浙' { rng.ch("ABCDEFGHJKL") } else { rng.ch(PLATE_LETTERS) };
    let tail: String = match rng.below(5) {
        0 => format!("{}{}{}", rng.ch("DF"), rng.ch("0123456789ABCDEFGHJK"), rng.digits(4)),
        1 => format!("{}{}{}", rng.digits(2), rng.ch(PLATE_LETTERS), rng.digits(2)),
        _ => (0..5)
            .map(|i| if i == 0 && rng.chance(0.3) { rng.ch(PLATE_LETTERS) } else { rng.ch("0123456789") })
            .collect(),
    };
    format!("{province}{authority}{tail}")
}

fn gen_passport(rng: &mut Rng) -> String {
    match rng.below(5) {
        0 => format!("G{}", rng.digits(8)),
        1 => format!("E{}{}", rng.ch("ABCDEFGH"), rng.digits(7)),
        _ => format!("E{}", rng.digits(8)),
    }
}

/// Surnames with rough weights: the most frequent ones more often, plus rare surnames (some not
/// among the detector's list) so that the generated names are not all easy.
const GEN_SURNAMES: &str = "王王王李李李张张张刘刘陈陈陈陈杨杨黄黄赵吴吴周周徐徐孙马朱朱胡胡郭何林林高罗郑郑梁谢宋唐许邓韩冯曹彭曾\
肖田董潘袁蔡蒋余于杜叶叶程魏苏吕丁任卢姚沈沈钟姜崔谭陆范汪廖石金金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚\
邵万钱戴严孔应楼俞竺邬翁舒柴鲍郇逄亓仉郏蔺宓";
const GEN_COMPOUND: [&str; 6] = ["欧阳", "司马", "上官", "诸葛", "司徒", "申屠"];
const GIVEN: &str = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红飞鹏辉建国志文斌宇浩凯俊晨欣怡佳雨婷雪琳晶颖丹倩梅兰凤云海波峰亮龙林成宏\
新春燕荣健兵彬博诚东栋福庆松柏德兴旺嘉子涵梓轩睿泽宸逸一诺若汐沐然昊天晓燕慧君蕾莉琪瑶璐露菲薇妍嫣瑾瑜琦琛晖煜炜烨立坤鑫淼森";

fn gen_person_name(rng: &mut Rng) -> String {
    let mut s = if rng.chance(0.02) { (*rng.pick(&GEN_COMPOUND)).to_owned() } else { rng.ch(GEN_SURNAMES).to_string() };
    s.push(rng.ch(GIVEN));
    if rng.chance(0.75) {
        s.push(rng.ch(GIVEN));
    }
    s
}

const DISTRICTS: [(&str, &str); 12] = [
    ("宁波市", "鄞州区"),
    ("宁波市", "海曙区"),
    ("宁波市", "江北区"),
    ("宁波市", "北仑区"),
    ("宁波市", "镇海区"),
    ("宁波市", "奉化区"),
    ("宁波市", "余姚市"),
    ("宁波市", "慈溪市"),
    ("宁波市", "宁海县"),
    ("杭州市", "西湖区"),
    ("温州市", "鹿城区"),
    ("绍兴市", "越城区"),
];
const PLACE_WORDS: &str = "首南 钟公庙 下应 中河 东柳 百丈 福明 明楼 潘火 姜山 五乡 邱隘 横溪 塘溪 咸祥 瞻岐 东吴 云龙 石碶 古林 集士港 庄桥 洪塘 \
新碶 大碶 小港 梅山 骆驼 蛟川 泗门 观海卫 周巷 西店 石浦 丹城";
const ROAD_WORDS: &str = "天童南 四明中 鄞县大道 兴宁 中山东 环城南 宁穿 钱湖北 前河北 学士 日丽中 百丈东 江东北 桑田 民安东 \
嵩江中 扬帆 泰康中 惊驾 姜山 沧海 体育场 东钱湖 通途 世纪大道";

fn gen_address(rng: &mut Rng) -> String {
    let (city, district) = *rng.pick(&DISTRICTS);
    let mut s = String::new();
    if rng.chance(0.2) {
        s.push_str("浙江省");
    }
    if rng.chance(0.8) {
        s.push_str(city);
    }
    s.push_str(district);
    let place = rng.word(PLACE_WORDS);
    match rng.below(4) {
        0 => {
            s.push_str(&format!("{place}镇{}村", rng.word(PLACE_WORDS)));
            if rng.chance(0.5) {
                s.push_str(&format!("{}组", rng.ch("一二三四五六七八九十")));
            }
            if rng.chance(0.5) {
                s.push_str(&format!("{}号", rng.range(1, 200)));
            }
        }
        1 => {
            s.push_str(&format!(
                "{place}街道{}小区{}幢{}室",
                rng.word(PLACE_WORDS),
                rng.range(1, 40),
                rng.range(101, 2806)
            ));
        }
        _ => {
            let road = rng.word(ROAD_WORDS);
            s.push_str(&format!("{road}路{}号", rng.range(1, 999)));
            if rng.chance(0.4) {
                s.push_str(&format!("{}栋{}室", rng.range(1, 20), rng.range(101, 1808)));
            }
        }
    }
    s
}

const BRAND_CHARS: &str = "华鑫盛达恒通宏远兴隆金源永泰新联创宇博凯瑞丰海天明光正信德和安顺";
const INDUSTRIES: &str =
    "五金 服装 电器 贸易 科技 机械 塑料 建材 餐饮 文化传媒 电子 模具 纺织 物流 食品 印刷 家具 汽车配件 网络 工艺品";
const ORG_ENDINGS: &str = "有限公司 有限公司 有限公司 股份有限公司 厂 经营部 商行 店 专业合作社 服务中心 分公司 工作室 门市部 加工厂 （普通合伙） 个人独资企业";

fn gen_enterprise(rng: &mut Rng) -> String {
    let mut s = String::new();
    if rng.chance(0.5) {
        let (city, district) = *rng.pick(&DISTRICTS);
        s.push_str(if rng.chance(0.5) { city } else { district });
    }
    if rng.chance(0.15) {
        s.push_str(&gen_person_name(rng));
    } else {
        s.push(rng.ch(BRAND_CHARS));
        s.push(rng.ch(BRAND_CHARS));
    }
    s.push_str(rng.word(INDUSTRIES));
    let ending = rng.word(ORG_ENDINGS);
    if ending.starts_with('（') {
        s.push_str("商贸");
    }
    s.push_str(ending);
    s
}

const PRODUCTS: &str = "白菜 黄瓜 西红柿 土豆 苹果 香蕉 金针菇 大米 面粉 食用油 牛奶 鸡蛋 猪肉 白酒 啤酒 矿泉水 方便面 洗衣粉 牙膏 毛巾 \
电饭煲 高压锅 电风扇 空调 冰箱 洗衣机 手机 笔记本电脑 打印机 钢笔 书包 运动鞋 羽绒服 衬衫 雨伞 龙井茶 年糕 汤圆 粽子 月饼 黄鱼 带鱼 \
杨梅 水蜜桃 柑橘 马蹄 章鱼 红糖 白糖 花生 芝麻 核桃 木耳 香菇 石榴 柚子 葡萄 樱桃 胡萝卜 茄子 芹菜 菠菜 冬瓜 南瓜 丝瓜 苦瓜 豆腐 \
腐竹 粉丝 酱油 米醋 料酒 味精 鸡精 蚝油 榨菜 雪菜 咸菜 梅干菜 黄酒 绍兴酒 杨枝甘露 宋嫂鱼羹 东坡肉 叫化鸡 干菜焖肉 金华火腿";

fn gen_product(rng: &mut Rng) -> String {
    rng.word(PRODUCTS).to_owned()
}

const SCOPE_ITEMS: &str = "服装制造 五金件加工 塑料制品销售 计算机软件开发 货物进出口 技术进出口 日用百货零售 建筑材料批发 电子产品销售 \
机械设备租赁 餐饮服务 食品经营 道路货物运输 仓储服务 企业管理咨询 市场营销策划 广告设计 室内装饰工程施工 市政工程施工 园林绿化 \
物业管理 房地产中介服务 农产品收购 水产养殖 家用电器维修 汽车配件销售 包装装潢印刷 纺织品销售 化工原料销售 会议及展览服务";

fn gen_scope(rng: &mut Rng) -> String {
    let n = rng.range(1, 8);
    let mut items: Vec<&str> = (0..n).map(|_| rng.word(SCOPE_ITEMS)).collect();
    items.dedup();
    let mut s = String::new();
    if rng.chance(0.3) {
        s.push_str("一般经营项目：");
    }
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            s.push(if rng.chance(0.2) { '；' } else { '、' });
        }
        s.push_str(item);
    }
    if rng.chance(0.4) {
        s.push('。');
    }
    s
}

fn gen_description(rng: &mut Rng) -> String {
    let subject = rng.word("申请人 该企业 本单位 经办人员 项目单位 群众");
    let matter =
        rng.word("营业执照变更 食品经营许可 道路运输许可 社会保险登记 公积金提取 不动产登记 户籍迁移 建设工程规划许可");
    let (y, m, d) = date_parts(rng, 2019, 2024);
    match rng.below(3) {
        0 => format!("{subject}于{y}年{m}月{d}日提交{matter}申请，经审核符合条件，予以受理。"),
        1 => format!("{matter}材料不齐全，已一次性告知{subject}补正，待补正后重新受理。"),
        _ => format!(
            "根据{}的要求，{subject}已完成{matter}相关手续，办理结果已送达。",
            rng.word("鄞州区人民政府 区市场监管局 街道办事处")
        ),
    }
}

fn gen_date(rng: &mut Rng, from: u32, to: u32, style: usize) -> String {
    let (y, m, d) = date_parts(rng, from, to);
    match style {
        0 => format!("{y:04}-{m:02}-{d:02}"),
        1 => format!("{y:04}/{m:02}/{d:02}"),
        2 => format!("{y:04}{m:02}{d:02}"),
        _ => format!("{y}年{m}月{d}日"),
    }
}

/// Replaces one digit of the value with a different one (a typing error).
fn corrupt_digit(rng: &mut Rng, v: &str) -> String {
    let positions: Vec<usize> = v.char_indices().filter(|(_, c)| c.is_ascii_digit()).map(|(i, _)| i).collect();
    if positions.is_empty() {
        return v.to_owned();
    }
    let p = *rng.pick(&positions);
    let old = v.as_bytes()[p] - b'0';
    let new = (old + 1 + rng.below(9) as u8) % 10;
    format!("{}{}{}", &v[..p], char::from(b'0' + new), &v[p + 1..])
}

/// Column-level noise for generated positives: placeholders and corrupted values.
struct Noise {
    empty: f64,
    corrupt: f64,
}

const CLEAN: Noise = Noise { empty: 0.0, corrupt: 0.0 };
const TYPICAL: Noise = Noise { empty: 0.05, corrupt: 0.02 };
const MESSY: Noise = Noise { empty: 0.3, corrupt: 0.06 };

fn column(
    rng: &mut Rng,
    header: &str,
    expected: Option<PiiKind>,
    origin: &str,
    noise: &Noise,
    gen_value: &mut dyn FnMut(&mut Rng) -> String,
) -> LabeledColumn {
    let n = rng.range(40, 300) as usize;
    let mut values = Vec::with_capacity(n);
    for _ in 0..n {
        if rng.chance(noise.empty) {
            values.push((*rng.pick(&["", "N/A", "-", "无", "NULL", " "])).to_owned());
            continue;
        }
        let v = gen_value(rng);
        values.push(if rng.chance(noise.corrupt) { corrupt_digit(rng, &v) } else { v });
    }
    LabeledColumn { header: header.to_owned(), values, expected, origin: format!("generated:{origin}") }
}

type Gen = fn(&mut Rng) -> String;

fn generated_columns(seed: u64) -> Vec<LabeledColumn> {
    let mut rng = Rng::new(seed);
    let rng = &mut rng;
    let mut out = Vec::new();

    // Positives: (kind, generator, headers). Every header gets one column; the noise level
    // cycles through clean, typical and messy.
    let positives: [(PiiKind, Gen, &[&str]); 11] = [
        (PiiKind::IdCard, gen_id_card, &["身份证号码", "sfzh", "id_card", "证件号码", "字段7", "col_3"]),
        (PiiKind::Mobile, gen_mobile, &["手机号码", "lxdh", "mobile", "联系电话", "字段2", "value"]),
        (PiiKind::Landline, gen_landline, &["办公电话", "固定电话", "tel", "传真", "字段9"]),
        (PiiKind::BankCard, gen_bank_card, &["银行卡号", "yhkh", "bank_account", "收款账号", "字段5"]),
        (PiiKind::CreditCode, gen_credit_code, &["统一社会信用代码", "tyshxydm", "uscc", "字段1", "代码"]),
        (PiiKind::Email, gen_email, &["电子邮箱", "email", "yx", "联系方式", "字段4"]),
        (PiiKind::LicensePlate, gen_plate, &["车牌号", "hphm", "plate_no", "车辆", "字段6"]),
        (PiiKind::Passport, gen_passport, &["护照号码", "passport_no", "证件号", "hzh"]),
        (
            PiiKind::PersonName,
            gen_person_name,
            &["姓名", "xm", "name", "联系人", "法定代表人", "申请人", "字段8", "col_1"],
        ),
        (PiiKind::Address, gen_address, &["地址", "住所", "addr", "家庭住址", "联系地址", "字段10", "col_2"]),
        (PiiKind::BirthDate, |r| gen_date(r, 1940, 2015, 0), &["出生日期", "csrq", "birth_date", "生日"]),
    ];
    let levels = [&TYPICAL, &CLEAN, &MESSY];
    let mut k = 0;
    for (kind, g, headers) in positives {
        for h in headers {
            let noise = levels[k % levels.len()];
            k += 1;
            let mut f = |r: &mut Rng| g(r);
            out.push(column(rng, h, Some(kind), kind.as_str(), noise, &mut f));
        }
    }

    // Positives in other shapes.
    let mut birth_styles = |r: &mut Rng| {
        let style = r.below(4);
        gen_date(r, 1940, 2015, style)
    };
    out.push(column(
        rng,
        "出生年月日",
        Some(PiiKind::BirthDate),
        "birth-date-mixed-formats",
        &TYPICAL,
        &mut birth_styles,
    ));
    let mut phones = |r: &mut Rng| if r.chance(0.7) { gen_mobile(r) } else { gen_landline(r) };
    out.push(column(rng, "联系电话", Some(PiiKind::Mobile), "mobile-and-landline", &TYPICAL, &mut phones));
    let mut formatted = |r: &mut Rng| {
        let m = gen_mobile(r);
        match r.below(3) {
            0 => format!("{}-{}-{}", &m[..3], &m[3..7], &m[7..]),
            1 => format!("+86 {m}"),
            _ => m,
        }
    };
    out.push(column(rng, "phone", Some(PiiKind::Mobile), "mobile-formatted", &TYPICAL, &mut formatted));
    let mut polite = |r: &mut Rng| {
        let name = gen_person_name(r);
        if r.chance(0.3) {
            format!("{}{}", name.chars().next().unwrap_or('王'), r.word("先生 女士"))
        } else {
            name
        }
    };
    out.push(column(rng, "联系人", Some(PiiKind::PersonName), "names-with-titles", &TYPICAL, &mut polite));
    let mut minority = |r: &mut Rng| {
        if r.chance(0.25) {
            format!(
                "{}·{}",
                r.word("阿依古丽 买买提 热依拉 艾力 古丽娜 努尔"),
                r.word("买买提 吐尔逊 艾山 阿不都 热合曼")
            )
        } else {
            gen_person_name(r)
        }
    };
    out.push(column(
        rng,
        "经营者姓名",
        Some(PiiKind::PersonName),
        "names-with-minority-names",
        &TYPICAL,
        &mut minority,
    ));
    let mut ids_mixed = |r: &mut Rng| if r.chance(0.85) { gen_id_card(r) } else { gen_passport(r) };
    out.push(column(rng, "证件号码", Some(PiiKind::IdCard), "id-cards-with-passports", &TYPICAL, &mut ids_mixed));
    let mut legacy_ids = |r: &mut Rng| {
        let id = gen_id_card(r);
        if id[6..8] == *"19" && r.chance(0.8) { format!("{}{}{}", &id[..6], &id[8..14], &id[14..17]) } else { id }
    };
    out.push(column(
        rng,
        "身份证号",
        Some(PiiKind::IdCard),
        "id-cards-mostly-15-digit-legacy",
        &TYPICAL,
        &mut legacy_ids,
    ));
    let mut local_numbers = |r: &mut Rng| {
        if r.chance(0.7) { format!("{}{}", r.range(2, 8), r.digits(7)) } else { gen_landline(r) }
    };
    out.push(column(
        rng,
        "办公电话",
        Some(PiiKind::Landline),
        "local-numbers-without-area-code",
        &TYPICAL,
        &mut local_numbers,
    ));
    let mut latin_names = |r: &mut Rng| {
        let w = |r: &mut Rng| {
            let mut x = r.word(PINYIN).to_owned();
            x[..1].make_ascii_uppercase();
            x
        };
        let (a, b, c) = (w(r), w(r), w(r));
        if r.chance(0.5) { format!("{a} {b}{}", c.to_lowercase()) } else { format!("{} {b}", a.to_uppercase()) }
    };
    out.push(column(rng, "英文姓名", Some(PiiKind::PersonName), "romanised-names", &TYPICAL, &mut latin_names));
    let mut partners = |r: &mut Rng| if r.chance(0.5) { gen_person_name(r) } else { gen_enterprise(r) };
    out.push(column(rng, "执行事务合伙人", Some(PiiKind::PersonName), "people-and-companies", &TYPICAL, &mut partners));
    let mut ids_lower_x = |r: &mut Rng| gen_id_card(r).replace('X', "x");
    out.push(column(rng, "公民身份号码", Some(PiiKind::IdCard), "id-cards-lower-x", &MESSY, &mut ids_lower_x));

    // Negatives: identifier look-alikes.
    let mut random18 = |r: &mut Rng| format!("{}{}", r.range(1, 9), r.digits(17));
    for h in ["订单号", "order_no", "流水号", "编号", "code", "字段11"] {
        out.push(column(rng, h, None, "random-18-digit-numbers", &CLEAN, &mut random18));
    }
    let mut dated_order = |r: &mut Rng| format!("{}{}", gen_date(r, 2018, 2024, 2), r.digits(10));
    for h in ["订单编号", "serial", "字段12"] {
        out.push(column(rng, h, None, "date-prefixed-order-numbers", &CLEAN, &mut dated_order));
    }
    // Same structure as identity numbers (real region, real date) but a random last digit: one in
    // eleven passes by chance.
    let mut id_like = |r: &mut Rng| {
        let id = gen_id_card(r);
        format!("{}{}", &id[..17], r.ch("0123456789X"))
    };
    for h in ["编号", "code", "字段13", "档案编号"] {
        out.push(column(rng, h, None, "id-shaped-random-check-digit", &CLEAN, &mut id_like));
    }
    let mut not_mobile = |r: &mut Rng| format!("{}{}", r.ch("023456789"), r.digits(10));
    for h in ["工单号", "编号", "code"] {
        out.push(column(rng, h, None, "11-digit-serials", &CLEAN, &mut not_mobile));
    }
    let mut serial_from_1 = |r: &mut Rng| format!("1{}", r.digits(10));
    for h in ["流水号", "编号", "字段14"] {
        out.push(column(rng, h, None, "11-digit-serials-starting-with-1", &CLEAN, &mut serial_from_1));
    }
    let mut txn_fail_luhn = |r: &mut Rng| {
        let len = r.range(16, 19) as usize;
        let valid = luhn_complete(&format!("{}{}", r.range(1, 9), r.digits(len - 2)));
        corrupt_last_digit(&valid)
    };
    for h in ["交易流水号", "txn_id", "字段15"] {
        out.push(column(rng, h, None, "card-length-ids-failing-luhn", &CLEAN, &mut txn_fail_luhn));
    }
    let mut random_card_len = |r: &mut Rng| {
        let len = r.range(16, 19) as usize;
        format!("62{}", r.digits(len - 2))
    };
    for h in ["卡券编号", "code", "字段16"] {
        out.push(column(rng, h, None, "62-prefixed-random-digits", &CLEAN, &mut random_card_len));
    }
    let mut random_alnum18 = |r: &mut Rng| (0..18).map(|_| r.ch(CREDIT_ALPHABET)).collect();
    for h in ["批次号", "字段17"] {
        out.push(column(rng, h, None, "random-credit-code-alphabet", &CLEAN, &mut random_alnum18));
    }
    let mut device_codes = |r: &mut Rng| format!("E{}", r.digits(8));
    out.push(column(rng, "设备编号", None, "e-prefixed-device-codes", &CLEAN, &mut device_codes));
    let mut member_numbers = |r: &mut Rng| format!("1{}{}", r.range(3, 9), r.digits(9));
    out.push(column(rng, "会员编号", None, "11-digit-member-numbers-starting-13-19", &CLEAN, &mut member_numbers));
    let mut qq = |r: &mut Rng| {
        let n = r.range(4, 10) as usize;
        format!("{}{}", r.range(1, 9), r.digits(n))
    };
    out.push(column(rng, "QQ号", None, "qq-numbers", &CLEAN, &mut qq));
    let mut millis = |r: &mut Rng| format!("{}", 1_500_000_000_000u64 + r.next_u64() % 250_000_000_000);
    out.push(column(rng, "时间戳", None, "millisecond-timestamps", &CLEAN, &mut millis));
    let mut coords = |r: &mut Rng| {
        format!("{}.{:06},{}.{:06}", r.range(120, 122), r.range(0, 999_999), r.range(28, 30), r.range(0, 999_999))
    };
    out.push(column(rng, "location", None, "coordinates", &CLEAN, &mut coords));
    let mut employee_ids = |r: &mut Rng| format!("EMP{:05}", r.range(1, 99999));
    out.push(column(rng, "工号", None, "employee-ids", &CLEAN, &mut employee_ids));
    let mut imei = |r: &mut Rng| luhn_complete(&format!("86{}", r.digits(12)));
    out.push(column(rng, "设备串号", None, "imei", &CLEAN, &mut imei));

    // Negatives: text look-alikes.
    for h in ["企业名称", "单位名称", "name", "字段18"] {
        let mut f = |r: &mut Rng| gen_enterprise(r);
        out.push(column(rng, h, None, "enterprise-names", &TYPICAL, &mut f));
    }
    for h in ["商品名称", "品名", "item", "字段19"] {
        let mut f = |r: &mut Rng| gen_product(r);
        out.push(column(rng, h, None, "product-names", &CLEAN, &mut f));
    }
    for h in ["经营范围", "jyfw", "字段20"] {
        let mut f = |r: &mut Rng| gen_scope(r);
        out.push(column(rng, h, None, "business-scopes", &CLEAN, &mut f));
    }
    for h in ["办理意见", "备注", "字段21"] {
        let mut f = |r: &mut Rng| gen_description(r);
        out.push(column(rng, h, None, "descriptions", &CLEAN, &mut f));
    }
    let mut departments =
        |r: &mut Rng| r.word("办公室 财务科 综合科 人事科 法规科 信息中心 档案室 审批科 执法大队 规划科").to_owned();
    out.push(column(rng, "联系人", None, "department-names-under-contact-header", &CLEAN, &mut departments));
    let mut brands = |r: &mut Rng| {
        r.word("娃哈哈 农夫山泉 康师傅 统一 雅戈尔 杉杉 罗蒙 方太 公牛 奥克斯 吉利 海天 李宁 安踏 格力 美的 海尔 华为 小米 联想 万达 苏宁 国美 永辉 老板 太平鸟 博洋 GON 得力")
            .to_owned()
    };
    for h in ["品牌", "字段25"] {
        out.push(column(rng, h, None, "brand-names", &CLEAN, &mut brands));
    }
    let mut cities = |r: &mut Rng| r.word("宁波 杭州 温州 绍兴 湖州 嘉兴 金华 衢州 舟山 台州 丽水").to_owned();
    for h in ["城市", "字段22"] {
        out.push(column(rng, h, None, "city-names", &CLEAN, &mut cities));
    }
    let mut districts =
        |r: &mut Rng| r.word("鄞州区 海曙区 江北区 北仑区 镇海区 奉化区 余姚市 慈溪市 宁海县 象山县").to_owned();
    out.push(column(rng, "所属区县", None, "district-names", &CLEAN, &mut districts));
    let code_lists: [(&str, &str); 8] = [
        ("性别", "男 女"),
        ("民族", "汉族 汉族 汉族 回族 满族 壮族 畲族"),
        ("学历", "本科 硕士 大专 高中 初中 博士"),
        ("政治面貌", "群众 中共党员 共青团员 民主党派"),
        ("是否本地户籍", "是 否"),
        ("办理状态", "已办结 办理中 已受理 不予受理 已撤回"),
        ("企业状态", "存续 在业 注销 吊销 迁出"),
        ("婚姻状况", "已婚 未婚 离异 丧偶"),
    ];
    for (h, list) in code_lists {
        let mut f = |r: &mut Rng| r.word(list).to_owned();
        out.push(column(rng, h, None, "code-list", &CLEAN, &mut f));
    }

    // Negatives: numbers and dates.
    let mut amounts = |r: &mut Rng| match r.below(3) {
        0 => format!("{}.{:02}", r.range(1, 99999), r.range(0, 99)),
        1 => format!("{}", r.range(1, 5_000_000)),
        _ => format!("{}(万元人民币)", r.range(1, 5000)),
    };
    for h in ["金额", "注册资本", "字段23"] {
        out.push(column(rng, h, None, "amounts", &CLEAN, &mut amounts));
    }
    for h in ["办理日期", "注册日期", "date", "字段24"] {
        let mut f = |r: &mut Rng| {
            let style = r.below(4);
            gen_date(r, 1990, 2024, style)
        };
        out.push(column(rng, h, None, "dates", &CLEAN, &mut f));
    }
    let mut counts = |r: &mut Rng| format!("{}", r.range(0, 500));
    out.push(column(rng, "人数", None, "counts", &CLEAN, &mut counts));
    let mut percents = |r: &mut Rng| format!("{:.1}%", r.range(0, 1000) as f64 / 10.0);
    out.push(column(rng, "完成率", None, "percentages", &CLEAN, &mut percents));
    out
}

fn corrupt_last_digit(v: &str) -> String {
    let mut b = v.as_bytes().to_vec();
    if let Some(last) = b.last_mut() {
        *last = b'0' + (*last - b'0' + 5) % 10;
    }
    String::from_utf8(b).unwrap_or_default()
}

/// Generates mixed columns, text-heavy (names, addresses, enterprise names, business scopes,
/// descriptions, products) with identifier, phone and date columns in between, until the values
/// total at least `target_bytes` bytes. Each entry is `(header, values)`.
pub fn throughput_corpus(seed: u64, target_bytes: usize) -> Vec<(String, Vec<String>)> {
    let mut rng = Rng::new(seed);
    let gens: [(&str, Gen); 14] = [
        ("姓名", gen_person_name),
        ("地址", gen_address),
        ("企业名称", gen_enterprise),
        ("经营范围", gen_scope),
        ("办理意见", gen_description),
        ("商品名称", gen_product),
        ("身份证号", gen_id_card),
        ("手机号码", gen_mobile),
        ("统一社会信用代码", gen_credit_code),
        ("银行卡号", gen_bank_card),
        ("电子邮箱", gen_email),
        ("车牌号", gen_plate),
        ("固定电话", gen_landline),
        ("编号", |r| format!("{}{}", r.range(1, 9), r.digits(17))),
    ];
    let mut out = Vec::new();
    let mut total = 0;
    let mut i = 0;
    while total < target_bytes {
        let (h, g) = gens[i % gens.len()];
        i += 1;
        let mut values = Vec::with_capacity(1000);
        while values.len() < 1000 && total < target_bytes {
            let v = g(&mut rng);
            total += v.len();
            values.push(v);
        }
        out.push((h.to_owned(), values));
    }
    out
}

/// Whether a header of [`throughput_corpus`] holds free text rather than identifiers.
pub fn is_text_header(header: &str) -> bool {
    matches!(header, "姓名" | "地址" | "企业名称" | "经营范围" | "办理意见" | "商品名称")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_parser_handles_quotes_and_line_ends() {
        let rows = parse_csv("\u{feff}a,b,c\r\n1,\"x, \"\"y\"\"\",\"多\n行\"\n,,\n");
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0], ["a", "b", "c"]);
        assert_eq!(rows[1], ["1", "x, \"y\"", "多\n行"]);
        assert_eq!(rows[2], ["", "", ""]);
        assert_eq!(parse_csv("a,\"\""), vec![vec!["a".to_owned(), String::new()]]);
    }

    #[test]
    fn generated_values_are_valid_where_they_should_be() {
        let mut rng = Rng::new(7);
        for _ in 0..2000 {
            assert!(crate::validate::id_card(&gen_id_card(&mut rng)).is_ok());
            assert!(crate::validate::mobile(&gen_mobile(&mut rng)));
            let l = gen_landline(&mut rng);
            assert!(crate::validate::landline(&l), "{l}");
            let c = gen_bank_card(&mut rng);
            assert!(crate::validate::bank_card(&c), "{c}");
            assert!(crate::validate::credit_code(&gen_credit_code(&mut rng)).is_ok());
            let e = gen_email(&mut rng);
            assert!(crate::validate::email(&e), "{e}");
            let p = gen_plate(&mut rng);
            assert!(crate::validate::license_plate(&p), "{p}");
            assert!(crate::validate::passport(&gen_passport(&mut rng)));
            assert!(!crate::validate::bank_card(&corrupt_last_digit(&c)));
        }
    }

    #[test]
    fn generation_is_deterministic() {
        assert_eq!(labeled_columns(None, 42), labeled_columns(None, 42));
        assert_ne!(labeled_columns(None, 42), labeled_columns(None, 43));
        let corpus = throughput_corpus(1, 100_000);
        let bytes: usize = corpus.iter().flat_map(|(_, v)| v).map(String::len).sum();
        assert!(bytes >= 100_000);
    }
}
