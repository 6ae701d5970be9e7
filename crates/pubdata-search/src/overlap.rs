//! Art.9: before an agency registers data items, the items other agencies already provide as
//! shareable, so the data is obtained through sharing instead of being collected again.
//!
//! Candidates come from the item documents of published, shareable resources of other
//! providers (tantivy, by name words, code and exact name); each is then scored on its own:
//!
//! * name similarity: a weighted Dice coefficient over the two names' words of two or more
//!   characters, each word weighted by its rarity among all items (so 日期, 名称 or 编号 count
//!   for little and 统一社会信用代码 for much);
//! * `same name` (+1), `same code` (+0.8), `same type` (+0.1, only ranks).
//!
//! A match must be meaningful: the same name, the same code, or shared words making up at least
//! half of the two names' weight ([`MIN_SIMILARITY`]); 成立日期 therefore does not match 出生日期
//! through 日期. Housekeeping items (备注, 序号, 创建时间, ...) are not checked at all.

use crate::analysis;
use crate::index::Snapshot;
use crate::schema::{self, Fields, KIND_ITEM, names};
use crate::{Overlap, OverlapMatch, SearchError};
use pubdata_domain::catalog::DataItem;
use std::cmp::Reverse;
use std::collections::HashMap;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{DocAddress, DocId, Score, Searcher, SegmentReader, TantivyDocument, Term};

/// Shared words must make up at least this share of the two names' weight.
pub const MIN_SIMILARITY: f32 = 0.5;
const SAME_NAME: f32 = 1.0;
const SAME_CODE: f32 = 0.8;
const SAME_TYPE: f32 = 0.1;

/// Items every table has, which say nothing about what data is collected.
const HOUSEKEEPING_NAMES: &[&str] = &[
    "备注",
    "序号",
    "主键",
    "编号",
    "id",
    "创建时间",
    "更新时间",
    "修改时间",
    "数据更新时间",
    "入库时间",
    "数据来源",
    "删除标志",
    "版本号",
];
const HOUSEKEEPING_CODES: &[&str] = &[
    "id",
    "remark",
    "remarks",
    "memo",
    "note",
    "seq",
    "sort",
    "create_time",
    "update_time",
    "created_at",
    "updated_at",
    "modify_time",
    "data_update_time",
    "etl_time",
    "deleted",
    "del_flag",
    "version",
    "source",
];

pub(crate) fn overlaps(
    snap: &Snapshot,
    f: &Fields,
    items: &[DataItem],
    exclude_provider_org_id: i64,
    per_item: usize,
) -> Result<Vec<Overlap>, SearchError> {
    let mut out = Vec::new();
    if per_item == 0 || snap.item_docs == 0 {
        return Ok(out);
    }
    let mut weights = Weights { searcher: &snap.searcher, f, n: snap.item_docs as f32, cache: HashMap::new() };
    for item in items {
        let name = item.name.trim();
        let code = item.code.trim().to_lowercase();
        if HOUSEKEEPING_NAMES.contains(&name) || HOUSEKEEPING_CODES.contains(&code.as_str()) {
            continue;
        }
        let words = analysis::name_words(name);
        let Some(query) = candidate_query(f, name, &code, &words, exclude_provider_org_id) else { continue };
        let limit = (per_item * 10).max(50);
        // Ties (often thousands of identical items) go to the lowest resource id, so that the
        // answer does not depend on how segments happen to be merged.
        let top = TopDocs::with_limit(limit).tweak_score(|segment: &SegmentReader| {
            let ids = segment.fast_fields().column_opt::<i64>(names::RESOURCE_ID).ok().flatten();
            move |doc: DocId, score: Score| (score, Reverse(ids.as_ref().and_then(|c| c.first(doc)).unwrap_or(0)))
        });
        let mut matches = Vec::new();
        for (_, address) in snap.searcher.search(&query, &top)? {
            if let Some(m) = score(&snap.searcher, f, &mut weights, item, &words, &code, address)? {
                matches.push(m);
            }
        }
        matches.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.resource_id.cmp(&b.resource_id))
                .then_with(|| a.item_code.cmp(&b.item_code))
        });
        matches.truncate(per_item);
        if !matches.is_empty() {
            out.push(Overlap { item_code: item.code.clone(), item_name: item.name.clone(), matches });
        }
    }
    Ok(out)
}

fn candidate_query(f: &Fields, name: &str, code: &str, words: &[String], exclude: i64) -> Option<BooleanQuery> {
    let basic = |t: Term| -> Box<dyn Query> { Box::new(TermQuery::new(t, IndexRecordOption::Basic)) };
    let restrict =
        |q: Box<dyn Query>| -> (Occur, Box<dyn Query>) { (Occur::Must, Box::new(ConstScoreQuery::new(q, 0.0))) };
    let mut any: Vec<(Occur, Box<dyn Query>)> = words
        .iter()
        .map(|w| {
            let q: Box<dyn Query> =
                Box::new(TermQuery::new(Term::from_field_text(f.item_words, w), IndexRecordOption::WithFreqs));
            (Occur::Should, q)
        })
        .collect();
    if !name.is_empty() {
        let q = basic(Term::from_field_text(f.item_name, &name.to_lowercase()));
        any.push((Occur::Should, Box::new(BoostQuery::new(q, 10.0))));
    }
    if !code.is_empty() {
        let q = basic(Term::from_field_text(f.item_code, code));
        any.push((Occur::Should, Box::new(BoostQuery::new(q, 10.0))));
    }
    if any.is_empty() {
        return None;
    }
    Some(BooleanQuery::new(vec![
        restrict(basic(schema::term(f.kind, KIND_ITEM))),
        restrict(basic(Term::from_field_u64(f.item_shareable, 1))),
        (Occur::MustNot, basic(Term::from_field_i64(f.item_provider, exclude))),
        (Occur::Must, Box::new(BooleanQuery::new(any))),
    ]))
}

/// Word weights: the BM25 inverse document frequency among item names.
struct Weights<'a> {
    searcher: &'a Searcher,
    f: &'a Fields,
    n: f32,
    cache: HashMap<String, f32>,
}

impl Weights<'_> {
    fn of(&mut self, word: &str) -> Result<f32, SearchError> {
        if let Some(w) = self.cache.get(word) {
            return Ok(*w);
        }
        let df = self.searcher.doc_freq(&Term::from_field_text(self.f.item_words, word))? as f32;
        let w = (1.0 + (self.n - df + 0.5).max(0.0) / (df + 0.5)).ln();
        self.cache.insert(word.to_string(), w);
        Ok(w)
    }

    fn sum(&mut self, words: &[String]) -> Result<f32, SearchError> {
        let mut s = 0.0;
        for w in words {
            s += self.of(w)?;
        }
        Ok(s)
    }
}

fn stored(doc: &TantivyDocument, field: tantivy::schema::Field) -> String {
    doc.get_first(field).and_then(|v| v.as_str()).unwrap_or("").to_string()
}

fn score(
    searcher: &Searcher,
    f: &Fields,
    weights: &mut Weights<'_>,
    item: &DataItem,
    words: &[String],
    code: &str,
    address: DocAddress,
) -> Result<Option<OverlapMatch>, SearchError> {
    let doc: TantivyDocument = searcher.doc(address)?;
    let their_name = stored(&doc, f.item_name);
    let their_code = stored(&doc, f.item_code);
    let their_type = stored(&doc, f.item_type);
    let their_words = analysis::name_words(&their_name);

    let shared: Vec<String> = words.iter().filter(|w| their_words.contains(w)).cloned().collect();
    let total = weights.sum(words)? + weights.sum(&their_words)?;
    let similarity = if total > 0.0 { 2.0 * weights.sum(&shared)? / total } else { 0.0 };
    let same_name = analysis::exact(&item.name) == analysis::exact(&their_name);
    let same_code = !code.is_empty() && code == their_code.to_lowercase();
    let same_type = item.item_type.as_str() == their_type;
    if !(same_name || same_code || (!shared.is_empty() && similarity >= MIN_SIMILARITY)) {
        return Ok(None);
    }

    let mut score = similarity;
    if same_name {
        score += SAME_NAME;
    }
    if same_code {
        score += SAME_CODE;
    }
    if same_type {
        score += SAME_TYPE;
    }
    let shared_words = if !shared.is_empty() && !same_name { shown_words(&item.name, &shared) } else { Vec::new() };
    Ok(Some(OverlapMatch {
        resource_id: doc.get_first(f.resource_id).and_then(|v| v.as_i64()).unwrap_or(0),
        resource_name: stored(&doc, f.item_resource_name),
        provider_org_id: doc.get_first(f.item_provider).and_then(|v| v.as_i64()).unwrap_or(0),
        provider_name: stored(&doc, f.provider_name),
        item_code: their_code,
        item_name: their_name,
        item_type: their_type,
        score,
        same_name,
        same_code,
        same_type,
        shared_words,
    }))
}

/// The shared words worth naming: those not part of a longer shared word, in the order they
/// appear in the name.
fn shown_words(name: &str, shared: &[String]) -> Vec<String> {
    let mut shown: Vec<&String> =
        shared.iter().filter(|w| !shared.iter().any(|o| o.len() > w.len() && o.contains(&w[..]))).collect();
    shown.sort_by_key(|w| name.find(&w[..]).unwrap_or(usize::MAX));
    shown.into_iter().cloned().collect()
}
