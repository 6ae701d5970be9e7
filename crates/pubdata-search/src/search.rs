//! Art.7: searching the catalog, one hit per resource, with facets.

use crate::analysis::{self, QueryGroup};
use crate::index::Snapshot;
use crate::schema::{self, Fields, Packed, names};
use crate::{FacetCount, Facets, Filters, Hit, SearchError, SearchQuery, SearchResults, Visibility};
use pubdata_domain::catalog::{
    CATEGORIES, Delivery, Level, OpenAttribute, ProhibitionReason, ReviewState, ShareAttribute, UpdateCycle,
};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, ColumnValues};
use tantivy::query::{Bm25StatisticsProvider, BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{DocAddress, DocId, Score, Searcher, SegmentOrdinal, SegmentReader, TantivyDocument, Term};

/// A hasher for the small integer keys of one query's maps (resource and organisation ids):
/// the default SipHash is built to resist attackers choosing keys, which ids cannot do.
#[derive(Default, Clone, Copy)]
struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_i64(&mut self, n: i64) {
        self.0 = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type IdMap<V> = HashMap<i64, V, std::hash::BuildHasherDefault<IdHasher>>;

/// At most this many matched item names per hit.
const MATCHED_ITEMS: usize = 5;

pub(crate) fn search(
    snap: &Snapshot,
    f: &Fields,
    q: &SearchQuery,
    visibility: Visibility,
) -> Result<SearchResults, SearchError> {
    let text = q.text.trim();
    let groups = analysis::query_groups(text);
    if !text.is_empty() && groups.is_empty() {
        // Only punctuation or stop characters: nothing to look for.
        return Ok(SearchResults::default());
    }
    let scoring = !groups.is_empty();
    let query = build_query(f, text, &groups, &q.filters, visibility);
    let stats = ResourceStats { searcher: &snap.searcher, docs: snap.resource_docs.max(1) };
    let candidates = snap.searcher.search_with_statistics_provider(&query, &AllMatches { scoring }, &stats)?;
    let mut matches = dedup(candidates);
    let facets = facets(&snap.searcher, &matches)?;
    let total = matches.len();

    let by_rank = |a: &Cand, b: &Cand| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| b.updated.cmp(&a.updated))
            .then_with(|| b.resource_id.cmp(&a.resource_id))
    };
    let end = q.offset.saturating_add(q.limit).min(total);
    if end <= q.offset {
        return Ok(SearchResults { total, hits: Vec::new(), facets });
    }
    if end < total {
        matches.select_nth_unstable_by(end - 1, by_rank);
        matches.truncate(end);
    }
    matches.sort_by(by_rank);

    let mut hits = Vec::new();
    for c in matches.iter().skip(q.offset).take(q.limit) {
        let doc: TantivyDocument = snap.searcher.doc(c.address)?;
        hits.push(hit(f, &doc, c, text, &groups));
    }
    Ok(SearchResults { total, hits, facets })
}

fn term_query(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(Term::from_field_text(field, text), IndexRecordOption::WithFreqs))
}

fn boosted(q: Box<dyn Query>, boost: f32) -> Box<dyn Query> {
    Box::new(BoostQuery::new(q, boost))
}

/// A clause that only restricts, adding nothing to the score.
fn restrict(q: Box<dyn Query>) -> (Occur, Box<dyn Query>) {
    (Occur::Must, Box::new(ConstScoreQuery::new(q, 0.0)))
}

/// One term, in any of the resource's text fields.
fn text_term(f: &Fields, t: &str) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(vec![
        (Occur::Should, boosted(term_query(f.name, t), schema::BOOST_NAME)),
        (Occur::Should, boosted(term_query(f.items, t), schema::BOOST_ITEMS)),
        (Occur::Should, boosted(term_query(f.context, t), schema::BOOST_CONTEXT)),
    ]))
}

fn group_query(f: &Fields, g: &QueryGroup) -> Box<dyn Query> {
    let alternatives = g
        .alternatives
        .iter()
        .map(|terms| {
            let q: Box<dyn Query> = if terms.len() == 1 {
                text_term(f, &terms[0])
            } else {
                Box::new(BooleanQuery::new(terms.iter().map(|t| (Occur::Must, text_term(f, t))).collect()))
            };
            (Occur::Should, q)
        })
        .collect();
    Box::new(BooleanQuery::new(alternatives))
}

fn build_query(f: &Fields, text: &str, groups: &[QueryGroup], filters: &Filters, vis: Visibility) -> BooleanQuery {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    if groups.is_empty() {
        clauses.push(restrict(term_query(f.kind, schema::KIND_RESOURCE)));
    } else {
        for g in groups {
            clauses.push((Occur::Must, group_query(f, g)));
        }
        // A query that is exactly an item's name (or code) ranks that resource higher.
        clauses.push((
            Occur::Should,
            boosted(term_query(f.items_exact, &analysis::exact(text)), schema::BOOST_ITEM_EXACT),
        ));
    }
    if let Visibility::Org(org) = vis {
        let own: Vec<(Occur, Box<dyn Query>)> = vec![
            (Occur::Should, term_query(f.variant, schema::VARIANT_PUBLISHED)),
            (Occur::Should, Box::new(TermQuery::new(Term::from_field_i64(f.compiler, org), IndexRecordOption::Basic))),
            (Occur::Should, Box::new(TermQuery::new(Term::from_field_i64(f.provider, org), IndexRecordOption::Basic))),
        ];
        clauses.push(restrict(Box::new(BooleanQuery::new(own))));
    }
    if let Some(p) = filters.provider_org_id {
        clauses.push(restrict(Box::new(TermQuery::new(Term::from_field_i64(f.provider, p), IndexRecordOption::Basic))));
    }
    for (field, value) in [
        (f.share, &filters.share),
        (f.open, &filters.open),
        (f.level, &filters.level),
        (f.category, &filters.category),
        (f.delivery, &filters.delivery),
        (f.update_cycle, &filters.update_cycle),
        (f.state, &filters.state),
    ] {
        if let Some(v) = value {
            clauses.push(restrict(term_query(field, v.trim())));
        }
    }
    BooleanQuery::new(clauses)
}

/// BM25 statistics over resource documents only: the item documents in the same index would
/// otherwise inflate the document count.
struct ResourceStats<'a> {
    searcher: &'a Searcher,
    docs: u64,
}

impl Bm25StatisticsProvider for ResourceStats<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        Bm25StatisticsProvider::total_num_tokens(self.searcher, field)
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        Ok(self.docs)
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        self.searcher.doc_freq(term)
    }
}

/// One matching resource document.
#[derive(Clone, Copy, Debug)]
struct Cand {
    resource_id: i64,
    score: Score,
    packed: Packed,
    updated: i64,
    provider: i64,
    address: DocAddress,
}

/// Collects every match with what ranking, deduplication and facets need.
struct AllMatches {
    scoring: bool,
}

struct SegmentMatches {
    segment: SegmentOrdinal,
    resource_id: Arc<dyn ColumnValues<i64>>,
    packed: Arc<dyn ColumnValues<u64>>,
    updated: Arc<dyn ColumnValues<i64>>,
    provider: Arc<dyn ColumnValues<i64>>,
    out: Vec<Cand>,
}

fn i64_column(reader: &SegmentReader, name: &str) -> tantivy::Result<Arc<dyn ColumnValues<i64>>> {
    let column = reader.fast_fields().column_opt::<i64>(name)?;
    Ok(column.unwrap_or_else(|| Column::build_empty_column(reader.max_doc())).first_or_default_col(0))
}

fn u64_column(reader: &SegmentReader, name: &str) -> tantivy::Result<Arc<dyn ColumnValues<u64>>> {
    let column = reader.fast_fields().column_opt::<u64>(name)?;
    Ok(column.unwrap_or_else(|| Column::build_empty_column(reader.max_doc())).first_or_default_col(0))
}

impl Collector for AllMatches {
    type Fruit = Vec<Cand>;
    type Child = SegmentMatches;

    fn for_segment(&self, segment: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<SegmentMatches> {
        Ok(SegmentMatches {
            segment,
            resource_id: i64_column(reader, names::RESOURCE_ID)?,
            packed: u64_column(reader, names::PACKED)?,
            updated: i64_column(reader, names::UPDATED)?,
            provider: i64_column(reader, names::PROVIDER)?,
            out: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        self.scoring
    }

    fn merge_fruits(&self, fruits: Vec<Vec<Cand>>) -> tantivy::Result<Vec<Cand>> {
        Ok(fruits.concat())
    }
}

impl SegmentCollector for SegmentMatches {
    type Fruit = Vec<Cand>;

    fn collect(&mut self, doc: DocId, score: Score) {
        self.out.push(Cand {
            resource_id: self.resource_id.get_val(doc),
            score: if score.is_finite() { score } else { 0.0 },
            packed: Packed(self.packed.get_val(doc)),
            updated: self.updated.get_val(doc),
            provider: self.provider.get_val(doc),
            address: DocAddress::new(self.segment, doc),
        });
    }

    fn harvest(self) -> Vec<Cand> {
        self.out
    }
}

/// One candidate per resource: where both variants matched, the working copy with the better
/// of the two scores.
fn dedup(candidates: Vec<Cand>) -> Vec<Cand> {
    let mut out = Vec::with_capacity(candidates.len());
    let mut pairs: IdMap<usize> = IdMap::default();
    for c in candidates {
        if !c.packed.paired() {
            out.push(c);
            continue;
        }
        match pairs.get(&c.resource_id) {
            None => {
                pairs.insert(c.resource_id, out.len());
                out.push(c);
            }
            Some(&i) => {
                let other = out[i];
                let score = other.score.max(c.score);
                let mut keep = if c.packed.working() { c } else { other };
                keep.score = score;
                out[i] = keep;
            }
        }
    }
    out
}

fn share_label(i: usize) -> &'static str {
    [
        ShareAttribute::Unconditional,
        ShareAttribute::Restricted { reason: String::new(), conditions: String::new() },
        ShareAttribute::NotShared { legal_basis: String::new() },
    ]
    .get(i)
    .map_or("", |s| s.label_zh())
}

fn open_label(i: usize) -> &'static str {
    [
        OpenAttribute::Unconditional,
        OpenAttribute::Restricted { conditions: String::new() },
        OpenAttribute::Prohibited { reason: ProhibitionReason::Law },
    ]
    .get(i)
    .map_or("", |o| o.label_zh())
}

/// Counts of a coded field in the domain's order of its values, zeros left out.
fn coded(counts: &[usize], value: impl Fn(usize) -> (&'static str, &'static str)) -> Vec<FacetCount> {
    counts
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(i, n)| {
            let (value, label) = value(i);
            FacetCount { value: value.to_string(), label: label.to_string(), count: *n }
        })
        .collect()
}

fn by_count(mut v: Vec<FacetCount>) -> Vec<FacetCount> {
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)).then_with(|| a.value.cmp(&b.value)));
    v
}

fn facets(searcher: &Searcher, matches: &[Cand]) -> Result<Facets, SearchError> {
    let mut share = [0usize; 3];
    let mut open = [0usize; 3];
    let mut level = [0usize; 4];
    let mut category = vec![0usize; CATEGORIES.len()];
    let mut delivery = [0usize; 3];
    let mut cycle = vec![0usize; UpdateCycle::ALL.len()];
    let mut state = [0usize; 5];
    let mut providers: IdMap<(usize, DocAddress)> = IdMap::default();
    for c in matches {
        let p = c.packed;
        share[p.share().min(2)] += 1;
        open[p.open().min(2)] += 1;
        level[p.level()] += 1;
        if let Some(i) = p.category().filter(|i| *i < category.len()) {
            category[i] += 1;
        }
        for (i, n) in delivery.iter_mut().enumerate() {
            if p.delivery() & (1 << i) != 0 {
                *n += 1;
            }
        }
        if let Some(n) = cycle.get_mut(p.update_cycle()) {
            *n += 1;
        }
        if let Some(n) = state.get_mut(p.state()) {
            *n += 1;
        }
        providers.entry(c.provider).or_insert((0, c.address)).0 += 1;
    }
    let mut provider = Vec::with_capacity(providers.len());
    let mut columns = HashMap::new();
    for (id, (count, address)) in providers {
        let label = provider_name(searcher, &mut columns, address)?;
        provider.push(FacetCount { value: id.to_string(), label, count });
    }
    Ok(Facets {
        provider: by_count(provider),
        share: coded(&share, |i| (schema::SHARE_CODES[i], share_label(i))),
        open: coded(&open, |i| (schema::OPEN_CODES[i], open_label(i))),
        level: coded(&level, |i| (Level::ALL[i].as_str(), Level::ALL[i].label_zh())),
        category: by_count(coded(&category, |i| (CATEGORIES[i].code, CATEGORIES[i].zh))),
        delivery: coded(&delivery, |i| (Delivery::ALL[i].as_str(), Delivery::ALL[i].label_zh())),
        update_cycle: coded(&cycle, |i| (UpdateCycle::ALL[i].as_str(), UpdateCycle::ALL[i].label_zh())),
        state: coded(&state, |i| (ReviewState::ALL[i].as_str(), ReviewState::ALL[i].label_zh())),
    })
}

/// The provider name of one document, from the fast column (no stored-document read).
fn provider_name(
    searcher: &Searcher,
    columns: &mut HashMap<SegmentOrdinal, Option<tantivy::columnar::StrColumn>>,
    address: DocAddress,
) -> Result<String, SearchError> {
    let column = match columns.get(&address.segment_ord) {
        Some(c) => c,
        None => {
            let c = searcher.segment_reader(address.segment_ord).fast_fields().str(names::PROVIDER_NAME)?;
            columns.entry(address.segment_ord).or_insert(c)
        }
    };
    let mut name = String::new();
    if let Some(column) = column
        && let Some(ord) = column.term_ords(address.doc_id).next()
    {
        column.ord_to_str(ord, &mut name).map_err(|e| SearchError::Tantivy(e.into()))?;
    }
    Ok(name)
}

fn stored(doc: &TantivyDocument, field: Field) -> &str {
    doc.get_first(field).and_then(|v| v.as_str()).unwrap_or("")
}

fn hit(f: &Fields, doc: &TantivyDocument, c: &Cand, text: &str, groups: &[QueryGroup]) -> Hit {
    Hit {
        resource_id: c.resource_id,
        name: stored(doc, f.name).to_string(),
        business_name: stored(doc, f.business_name).to_string(),
        provider_org_id: c.provider,
        provider_name: stored(doc, f.provider_name).to_string(),
        state: stored(doc, f.state).to_string(),
        level: stored(doc, f.level).to_string(),
        share: stored(doc, f.share).to_string(),
        open: stored(doc, f.open).to_string(),
        category: stored(doc, f.category).to_string(),
        score: c.score,
        matched_items: matched_items(stored(doc, f.items_stored), text, groups),
    }
}

/// The items whose own text satisfies at least one query word, those satisfying most first
/// (an item named exactly as the query before all).
fn matched_items(items: &str, text: &str, groups: &[QueryGroup]) -> Vec<String> {
    if groups.is_empty() {
        return Vec::new();
    }
    let whole = analysis::exact(text);
    let mut ranked: Vec<(usize, usize, &str)> = Vec::new();
    for (position, (name, code, description)) in schema::parse_stored_items(items).into_iter().enumerate() {
        let terms: HashSet<String> =
            analysis::index_terms(&format!("{name} {code} {description}")).into_iter().collect();
        let satisfied =
            groups.iter().filter(|g| g.alternatives.iter().any(|alt| alt.iter().all(|t| terms.contains(t)))).count();
        let exact = analysis::exact(name) == whole || analysis::exact(code) == whole;
        if satisfied > 0 || exact {
            ranked.push((satisfied + if exact { groups.len() + 1 } else { 0 }, position, name));
        }
    }
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    ranked.into_iter().take(MATCHED_ITEMS).map(|(_, _, name)| name.to_string()).collect()
}
