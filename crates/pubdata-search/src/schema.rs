//! The index's fields and how a resource becomes documents.
//!
//! Resource documents (`kind` = `resource`, one per variant) carry the searchable text, the
//! filter terms, and for facets and sorting a few fast fields: all the coded attributes are
//! packed into one `u64` (`packed`), so collecting a match reads three columns. Item
//! documents (`kind` = `item`, one per data item of the published version) serve Art.9's
//! overlap check and use fields of their own, so that no resource filter ever matches them.

use crate::analysis::{self, ZhTokenizer};
use crate::{IndexedResource, SearchError};
use pubdata_domain::catalog::{
    CATEGORIES, DataItem, Delivery, Level, OpenAttribute, ResourceDocument, ReviewState, ShareAttribute, UpdateCycle,
};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{LowerCaser, RawTokenizer, TextAnalyzer};
use tantivy::{Index, TantivyDocument, Term};

/// Tokenizer names. They are part of the schema, so a change to how text is analysed must
/// come with a new name: an index built the old way then no longer matches and is rebuilt.
pub(crate) const ZH: &str = "zh_precise_v1";
pub(crate) const EXACT: &str = "exact_v1";

/// Written in every commit's payload in front of the watermark; another prefix means an index
/// built by an incompatible version.
pub(crate) const PAYLOAD_PREFIX: &str = "pubdata-search/3 watermark=";

pub(crate) const KIND_RESOURCE: &str = "resource";
pub(crate) const KIND_ITEM: &str = "item";
pub(crate) const VARIANT_PUBLISHED: &str = "published";
pub(crate) const VARIANT_WORKING: &str = "working";

/// Field boosts: name > items, context (business name, source system, description).
pub(crate) const BOOST_NAME: f32 = 4.0;
pub(crate) const BOOST_ITEMS: f32 = 1.5;
/// Business name, source system and description, indexed together: one posting list per term
/// instead of three keeps the query's unions small (the heaviest queries match half the catalog).
pub(crate) const BOOST_CONTEXT: f32 = 1.5;
pub(crate) const BOOST_ITEM_EXACT: f32 = 3.0;

/// Separators inside the stored item list (`name US code US description RS ...`).
const UNIT: char = '\u{1f}';
const RECORD: char = '\u{1e}';

#[derive(Clone, Copy, Debug)]
pub(crate) struct Fields {
    pub kind: Field,
    pub resource_id: Field,
    // resource documents
    pub variant: Field,
    pub primary: Field,
    pub compiler: Field,
    pub provider: Field,
    pub provider_name: Field,
    pub name: Field,
    pub business_name: Field,
    pub context: Field,
    pub items: Field,
    pub items_exact: Field,
    pub items_stored: Field,
    pub share: Field,
    pub open: Field,
    pub level: Field,
    pub category: Field,
    pub delivery: Field,
    pub update_cycle: Field,
    pub state: Field,
    pub packed: Field,
    pub updated: Field,
    // item documents
    pub item_provider: Field,
    pub item_shareable: Field,
    pub item_words: Field,
    pub item_name: Field,
    pub item_code: Field,
    pub item_type: Field,
    pub item_resource_name: Field,
}

pub(crate) mod names {
    pub const RESOURCE_ID: &str = "resource_id";
    pub const PACKED: &str = "packed";
    pub const UPDATED: &str = "updated";
    pub const PROVIDER: &str = "provider_org_id";
    pub const PROVIDER_NAME: &str = "provider_name";
}

fn zh(stored: bool) -> TextOptions {
    let o = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default().set_tokenizer(ZH).set_index_option(IndexRecordOption::WithFreqs),
    );
    if stored { o.set_stored() } else { o }
}

fn exact(stored: bool) -> TextOptions {
    let o = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default().set_tokenizer(EXACT).set_index_option(IndexRecordOption::Basic),
    );
    if stored { o.set_stored() } else { o }
}

pub(crate) fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let f = Fields {
        kind: b.add_text_field("kind", STRING),
        resource_id: b.add_i64_field(names::RESOURCE_ID, INDEXED | FAST | STORED),
        variant: b.add_text_field("variant", STRING),
        primary: b.add_u64_field("primary", INDEXED),
        compiler: b.add_i64_field("compiler_org_id", INDEXED),
        provider: b.add_i64_field(names::PROVIDER, INDEXED | FAST | STORED),
        provider_name: b.add_text_field(names::PROVIDER_NAME, STRING | STORED | FAST),
        name: b.add_text_field("name", zh(true)),
        business_name: b.add_text_field("business_name", STORED),
        context: b.add_text_field("context", zh(false)),
        items: b.add_text_field("items", zh(false)),
        items_exact: b.add_text_field("items_exact", exact(false)),
        items_stored: b.add_text_field("items_stored", STORED),
        share: b.add_text_field("share", STRING | STORED),
        open: b.add_text_field("open", STRING | STORED),
        level: b.add_text_field("level", STRING | STORED),
        category: b.add_text_field("category", STRING | STORED),
        delivery: b.add_text_field("delivery", STRING),
        update_cycle: b.add_text_field("update_cycle", STRING),
        state: b.add_text_field("state", STRING | STORED),
        packed: b.add_u64_field(names::PACKED, FAST),
        updated: b.add_i64_field(names::UPDATED, FAST),
        item_provider: b.add_i64_field("item_provider", INDEXED | STORED),
        item_shareable: b.add_u64_field("item_shareable", INDEXED),
        item_words: b.add_text_field("item_words", zh(false)),
        item_name: b.add_text_field("item_name", exact(true)),
        item_code: b.add_text_field("item_code", exact(true)),
        item_type: b.add_text_field("item_type", STORED),
        item_resource_name: b.add_text_field("item_resource_name", STORED),
    };
    (b.build(), f)
}

pub(crate) fn register_tokenizers(index: &Index) {
    index.tokenizers().register(ZH, TextAnalyzer::from(ZhTokenizer));
    index.tokenizers().register(EXACT, TextAnalyzer::builder(RawTokenizer::default()).filter(LowerCaser).build());
}

pub(crate) fn payload(watermark: u64) -> String {
    format!("{PAYLOAD_PREFIX}{watermark}")
}

/// The watermark in a commit payload; `None` when the payload is not ours.
pub(crate) fn parse_payload(payload: Option<&str>) -> Option<u64> {
    match payload {
        None => Some(0),
        Some(p) => p.strip_prefix(PAYLOAD_PREFIX)?.parse().ok(),
    }
}

// ---- packed attributes -------------------------------------------------------------------

pub(crate) const SHARE_CODES: [&str; 3] = ["unconditional", "restricted", "not_shared"];
pub(crate) const OPEN_CODES: [&str; 3] = ["unconditional", "restricted", "prohibited"];
const UNKNOWN_CATEGORY: u64 = 63;

/// The coded attributes of one resource document, as the facets count them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Packed(pub u64);

impl Packed {
    pub fn share(self) -> usize {
        (self.0 & 0b11) as usize
    }
    pub fn open(self) -> usize {
        ((self.0 >> 2) & 0b11) as usize
    }
    pub fn level(self) -> usize {
        ((self.0 >> 4) & 0b11) as usize
    }
    /// Index into `CATEGORIES`, `None` for a code the domain does not know.
    pub fn category(self) -> Option<usize> {
        let c = (self.0 >> 6) & 0b11_1111;
        (c != UNKNOWN_CATEGORY).then_some(c as usize)
    }
    /// Bit i set: `Delivery::ALL[i]`.
    pub fn delivery(self) -> u64 {
        (self.0 >> 12) & 0b111
    }
    pub fn update_cycle(self) -> usize {
        ((self.0 >> 15) & 0b1111) as usize
    }
    pub fn state(self) -> usize {
        ((self.0 >> 19) & 0b111) as usize
    }
    pub fn working(self) -> bool {
        (self.0 >> 22) & 1 == 1
    }
    /// The resource also has a document for its other variant.
    pub fn paired(self) -> bool {
        (self.0 >> 23) & 1 == 1
    }

    fn of(doc: &ResourceDocument, state: ReviewState, working: bool, paired: bool) -> Packed {
        let share = match doc.share {
            ShareAttribute::Unconditional => 0,
            ShareAttribute::Restricted { .. } => 1,
            ShareAttribute::NotShared { .. } => 2,
        };
        let open = match doc.open {
            OpenAttribute::Unconditional => 0,
            OpenAttribute::Restricted { .. } => 1,
            OpenAttribute::Prohibited { .. } => 2,
        };
        let level = Level::ALL.iter().position(|l| *l == doc.level).unwrap_or(0) as u64;
        let category = CATEGORIES.iter().position(|c| c.code == doc.category).map_or(UNKNOWN_CATEGORY, |i| i as u64);
        let delivery = doc
            .delivery
            .iter()
            .filter_map(|d| Delivery::ALL.iter().position(|x| x == d))
            .fold(0u64, |m, i| m | (1 << i));
        let cycle = UpdateCycle::ALL.iter().position(|c| *c == doc.update_cycle).unwrap_or(0) as u64;
        let state = ReviewState::ALL.iter().position(|s| *s == state).unwrap_or(0) as u64;
        Packed(
            share
                | (open << 2)
                | (level << 4)
                | (category << 6)
                | (delivery << 12)
                | (cycle << 15)
                | (state << 19)
                | (u64::from(working) << 22)
                | (u64::from(paired) << 23),
        )
    }
}

// ---- documents -------------------------------------------------------------------------

/// Microseconds since the epoch of a fixed-width UTC instant (0 if it cannot be read).
pub(crate) fn updated_key(updated_at: &str) -> i64 {
    pubdata_domain::timefmt::parse_instant(updated_at)
        .map(|t| i64::try_from(t.unix_timestamp_nanos() / 1000).unwrap_or(0))
        .unwrap_or(0)
}

fn clean(s: &str) -> String {
    s.chars().map(|c| if c == UNIT || c == RECORD { ' ' } else { c }).collect()
}

fn stored_items(items: &[DataItem]) -> String {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(RECORD);
        }
        out.push_str(&clean(&item.name));
        out.push(UNIT);
        out.push_str(&clean(&item.code));
        out.push(UNIT);
        out.push_str(&clean(&item.description));
    }
    out
}

/// A stored item list back as (name, code, description).
pub(crate) fn parse_stored_items(s: &str) -> Vec<(&str, &str, &str)> {
    if s.is_empty() {
        return Vec::new();
    }
    s.split(RECORD)
        .map(|r| {
            let mut p = r.split(UNIT);
            (p.next().unwrap_or(""), p.next().unwrap_or(""), p.next().unwrap_or(""))
        })
        .collect()
}

struct Variant<'a> {
    doc: &'a ResourceDocument,
    state: ReviewState,
    working: bool,
}

/// Every document for one resource.
pub(crate) fn documents(f: &Fields, r: &IndexedResource) -> Vec<TantivyDocument> {
    let mut variants = Vec::new();
    if let Some(doc) = &r.published {
        variants.push(Variant { doc, state: ReviewState::Published, working: false });
    }
    if let Some((state, doc)) = &r.working {
        variants.push(Variant { doc, state: *state, working: true });
    }
    let paired = variants.len() == 2;
    let updated = updated_key(&r.updated_at);
    let mut out = Vec::new();
    for (i, v) in variants.iter().enumerate() {
        out.push(resource_document(f, r, v, i == 0, paired, updated));
    }
    if let Some(doc) = &r.published {
        let shareable = doc.share.is_shareable();
        for item in &doc.items {
            let mut d = TantivyDocument::new();
            d.add_text(f.kind, KIND_ITEM);
            d.add_i64(f.resource_id, r.resource_id);
            // Every document carries the fast columns, so that they are dense: reading a
            // value then needs no lookup of whether the document has one.
            d.add_u64(f.packed, 0);
            d.add_i64(f.updated, 0);
            d.add_i64(f.provider, 0);
            d.add_i64(f.item_provider, doc.provider_org_id);
            d.add_text(f.provider_name, &r.provider_name);
            d.add_u64(f.item_shareable, u64::from(shareable));
            d.add_text(f.item_words, &item.name);
            d.add_text(f.item_name, &item.name);
            d.add_text(f.item_code, &item.code);
            d.add_text(f.item_type, item.item_type.as_str());
            d.add_text(f.item_resource_name, &doc.name);
            out.push(d);
        }
    }
    out
}

fn resource_document(
    f: &Fields,
    r: &IndexedResource,
    v: &Variant<'_>,
    primary: bool,
    paired: bool,
    updated: i64,
) -> TantivyDocument {
    let doc = v.doc;
    let mut d = TantivyDocument::new();
    d.add_text(f.kind, KIND_RESOURCE);
    d.add_i64(f.resource_id, r.resource_id);
    d.add_text(f.variant, if v.working { VARIANT_WORKING } else { VARIANT_PUBLISHED });
    if primary {
        d.add_u64(f.primary, 1);
    }
    d.add_i64(f.compiler, r.compiler_org_id);
    d.add_i64(f.provider, doc.provider_org_id);
    d.add_text(f.provider_name, &r.provider_name);
    d.add_text(f.name, &doc.name);
    d.add_text(f.business_name, &doc.business_name);
    d.add_text(f.context, &doc.business_name);
    d.add_text(f.context, &doc.source_system);
    d.add_text(f.context, &doc.description);
    for item in &doc.items {
        d.add_text(f.items, format!("{} {} {}", item.name, item.code, item.description));
        d.add_text(f.items_exact, analysis::exact(&item.name));
        d.add_text(f.items_exact, analysis::exact(&item.code));
    }
    d.add_text(f.items_stored, stored_items(&doc.items));
    d.add_text(f.share, doc.share.code());
    d.add_text(f.open, doc.open.code());
    d.add_text(f.level, doc.level.as_str());
    d.add_text(f.category, &doc.category);
    for delivery in &doc.delivery {
        d.add_text(f.delivery, delivery.as_str());
    }
    d.add_text(f.update_cycle, doc.update_cycle.as_str());
    d.add_text(f.state, v.state.as_str());
    d.add_u64(f.packed, Packed::of(doc, v.state, v.working, paired).0);
    d.add_i64(f.updated, updated);
    d
}

pub(crate) fn term(field: Field, text: &str) -> Term {
    Term::from_field_text(field, text)
}

pub(crate) fn io_error(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> SearchError + '_ {
    move |source| SearchError::Io { path: path.display().to_string(), source }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item_for_test(code: &str, name: &str) -> DataItem {
        DataItem {
            code: code.into(),
            name: name.into(),
            item_type: pubdata_domain::catalog::ItemType::String,
            length: Some(10),
            precision: None,
            scale: None,
            required: false,
            unique_key: false,
            description: String::new(),
            level: Level::L1,
            code_list: vec![],
        }
    }

    #[test]
    fn payload_round_trips_and_foreign_payloads_are_refused() {
        assert_eq!(parse_payload(Some(&payload(42))), Some(42));
        assert_eq!(parse_payload(None), Some(0));
        assert_eq!(parse_payload(Some("pubdata-search/0 watermark=3")), None);
    }

    #[test]
    fn stored_items_round_trip() {
        let items = [
            DataItem { description: String::new(), ..item_for_test("enterprise_name", "企业名称") },
            DataItem { description: "万元".into(), ..item_for_test("capital", "注册资本") },
        ];
        let stored = stored_items(&items);
        assert_eq!(
            parse_stored_items(&stored),
            vec![("企业名称", "enterprise_name", ""), ("注册资本", "capital", "万元")]
        );
    }
}
