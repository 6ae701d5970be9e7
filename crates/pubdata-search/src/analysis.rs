//! How Chinese text becomes search terms.
//!
//! jieba's precise mode (without HMM) cuts the text into dictionary words; ASCII is lower-cased
//! and punctuation and spaces are dropped. A word of three or more Chinese characters is also
//! indexed as its *exact cover*: the fewest dictionary words of two or more characters that
//! spell it from start to end, the last of which may be a single character (社会保险 → 社会 +
//! 保险, 出生日期 → 出生 + 日期, 登记簿 → 登记 + 簿), applied again to covers of three or more
//! characters. Unlike jieba's search mode this never yields a word that straddles two parts
//! (理工 in 管理工作, 生日 in 出生日期) or one that drops a leading character (动产 in 不动产,
//! its opposite), which would make queries find wrong resources.

use std::sync::LazyLock;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use tantivy_jieba::jieba_rs::Jieba;

static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// Single characters that carry no meaning of their own in a query or an item name.
const STOP_CHARS: &[&str] = &[
    "的", "了", "和", "与", "及", "或", "等", "之", "其", "以", "于", "由", "是", "在", "对", "有", "也", "并", "而",
    "从", "按", "将", "被", "把", "及其",
];

/// Common abbreviations in queries and what catalogs write in full.
const SYNONYMS: &[(&str, &[&str])] = &[
    ("社保", &["社会保险"]),
    ("医保", &["医疗保险", "医疗保障"]),
    ("低保", &["最低生活保障"]),
    ("驾照", &["驾驶证"]),
    ("户口", &["户籍"]),
    ("个体户", &["个体工商户"]),
    ("残疾证", &["残疾人证"]),
    ("车牌", &["号牌"]),
];

/// Loads jieba's dictionary now (a few hundred milliseconds) rather than on the first query.
pub(crate) fn warm_up() {
    LazyLock::force(&JIEBA);
}

/// One word of the text as jieba's precise mode cuts it, with its exact cover (empty when it
/// has none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    pub cover: Vec<String>,
}

fn is_han(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{2FA1F}')
}

/// The words of `text`, in order (repeats kept).
pub fn words(text: &str) -> Vec<Word> {
    JIEBA
        .cut(text, false)
        .into_iter()
        .filter(|t| t.word.chars().any(char::is_alphanumeric))
        .map(|t| {
            let text = t.word.to_lowercase();
            let cover = cover(&text).unwrap_or_default();
            Word { text, cover }
        })
        .collect()
}

/// The exact cover of a word of three or more Chinese characters, if it has one.
fn cover(word: &str) -> Option<Vec<String>> {
    let chars: Vec<char> = word.chars().collect();
    let n = chars.len();
    if n < 3 || !chars.iter().all(|c| is_han(*c)) {
        return None;
    }
    // best[i]: (pieces to cover chars[i..], end of the first piece), from the right.
    let mut best: Vec<Option<(usize, usize)>> = vec![None; n + 1];
    best[n] = Some((0, n));
    let mut piece = String::new();
    for i in (0..n).rev() {
        // Longest first piece wins ties, so the cover is as coarse as possible.
        for j in (i + 1..=n).rev() {
            let len = j - i;
            let allowed = if len == 1 { j == n } else { len < n };
            if !allowed {
                continue;
            }
            let Some((rest, _)) = best[j] else { continue };
            if len >= 2 {
                piece.clear();
                piece.extend(&chars[i..j]);
                if !JIEBA.has_word(&piece) {
                    continue;
                }
            }
            if best[i].is_none_or(|(count, _)| rest + 1 < count) {
                best[i] = Some((rest + 1, j));
            }
        }
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        let (_, j) = best[i]?;
        out.push(chars[i..j].iter().collect());
        i = j;
    }
    Some(out)
}

/// Every term `text` is indexed as: each word, then its cover and the covers' covers.
pub fn index_terms(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for w in words(text) {
        push_with_cover(&mut out, w.text, w.cover);
    }
    out
}

fn push_with_cover(out: &mut Vec<String>, word: String, parts: Vec<String>) {
    out.push(word);
    for part in parts {
        let sub = cover(&part).unwrap_or_default();
        push_with_cover(out, part, sub);
    }
}

/// The distinct terms of an item name that say what it is: index terms of two or more
/// characters (single characters such as 的, 号 or 证 say nothing on their own).
pub fn name_words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = index_terms(text).into_iter().filter(|t| t.chars().count() >= 2).collect();
    out.sort();
    out.dedup();
    out
}

/// One required part of a query: a word, satisfied by any of its alternatives (each a set of
/// terms that must all be present): the word itself, its cover, or a synonym's words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct QueryGroup {
    pub word: String,
    pub alternatives: Vec<Vec<String>>,
}

/// The groups of a query, each required; stop characters and repeats are dropped.
pub(crate) fn query_groups(text: &str) -> Vec<QueryGroup> {
    let mut groups: Vec<QueryGroup> = Vec::new();
    for w in words(text) {
        if STOP_CHARS.contains(&w.text.as_str()) || groups.iter().any(|g| g.word == w.text) {
            continue;
        }
        let mut alternatives = vec![vec![w.text.clone()]];
        if !w.cover.is_empty() {
            alternatives.push(w.cover.clone());
        }
        if let Some((_, full)) = SYNONYMS.iter().find(|(short, _)| *short == w.text) {
            for s in *full {
                let terms: Vec<String> = words(s).into_iter().map(|w| w.text).collect();
                if !terms.is_empty() && !alternatives.contains(&terms) {
                    alternatives.push(terms);
                }
            }
        }
        groups.push(QueryGroup { word: w.text, alternatives });
    }
    groups
}

/// The text of an exact-name term: lower-cased, without spaces.
pub(crate) fn exact(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_lowercase()
}

/// The tantivy tokenizer for Chinese text fields (registered under `schema::ZH`).
#[derive(Clone, Debug, Default)]
pub(crate) struct ZhTokenizer;

pub(crate) struct ZhTokenStream {
    tokens: std::vec::IntoIter<Token>,
    current: Token,
}

impl Tokenizer for ZhTokenizer {
    type TokenStream<'a> = ZhTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> ZhTokenStream {
        let mut tokens = Vec::new();
        for (position, w) in words(text).into_iter().enumerate() {
            let mut terms = Vec::new();
            push_with_cover(&mut terms, w.text, w.cover);
            for term in terms {
                tokens.push(Token { offset_from: 0, offset_to: 0, position, text: term, position_length: 1 });
            }
        }
        ZhTokenStream { tokens: tokens.into_iter(), current: Token::default() }
    }
}

impl TokenStream for ZhTokenStream {
    fn advance(&mut self) -> bool {
        match self.tokens.next() {
            Some(t) => {
                self.current = t;
                true
            }
            None => false,
        }
    }

    fn token(&self) -> &Token {
        &self.current
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.current
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(s: &str) -> Vec<String> {
        index_terms(s)
    }

    #[test]
    fn words_are_cut_precisely_and_covered_exactly() {
        assert_eq!(terms("管理工作"), vec!["管理工作", "管理", "工作"]);
        assert_eq!(terms("出生日期"), vec!["出生日期", "出生", "日期"]);
        assert_eq!(terms("不动产登记簿"), vec!["不动产", "不动", "产", "登记簿", "登记", "簿"]);
        assert_eq!(terms("社会保险参保缴费记录"), vec!["社会保险", "社会", "保险", "参保", "缴费", "记录"]);
        assert_eq!(terms("Credit_Code 企业，登记"), vec!["credit", "code", "企业", "登记"]);
    }

    #[test]
    fn no_straddling_or_truncated_sub_words() {
        assert!(!terms("管理工作").contains(&"理工".to_string()));
        assert!(!terms("不动产").contains(&"动产".to_string()));
        assert!(!terms("出生日期").contains(&"生日".to_string()));
        assert!(!terms("机动车").contains(&"动车".to_string()));
    }

    #[test]
    fn queries_expand_abbreviations_and_drop_stop_characters() {
        let g = query_groups("社保的缴费");
        assert_eq!(g.iter().map(|g| g.word.as_str()).collect::<Vec<_>>(), vec!["社保", "缴费"]);
        assert!(g[0].alternatives.contains(&vec!["社会保险".to_string()]));
    }

    #[test]
    fn item_names_keep_only_meaningful_words() {
        assert_eq!(name_words("法定代表人"), vec!["代表", "法定", "法定代表"]);
        assert_eq!(name_words("的"), Vec::<String>::new());
    }
}
