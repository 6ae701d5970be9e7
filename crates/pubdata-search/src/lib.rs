//! Chinese full-text search over the data catalog (Art.7) and the repeated-collection check
//! (Art.9), on tantivy with jieba segmentation.
//!
//! One [`SearchIndex`] holds, for every resource, one document per variant (the published
//! version and/or the working copy) plus, for the published version, one document per data
//! item (what [`SearchIndex::overlaps`] searches). The store feeds it with [`SearchIndex::apply`]
//! after each change, with a watermark that says how far it has caught up; the index knows
//! nothing of the database, HTTP or the async runtime.
//!
//! Text is segmented with jieba's precise mode (no HMM, so unknown words fall apart into single
//! characters the same way in documents and queries). A word longer than two characters is also
//! indexed as the parts that cover it exactly (管理工作 → 管理 + 工作, 社会保险 → 社会 + 保险,
//! 登记簿 → 登记 + 簿), never as a sub-word that straddles its parts (the 理工 of 管理工作) or
//! that drops a leading character (the 动产 of 不动产). See [`analysis`].

pub mod analysis;
pub mod generate;
mod index;
mod overlap;
mod schema;
mod search;

pub use index::SearchIndex;

// The store and web layers share one index between threads.
const _: fn() = || {
    fn shared<T: Send + Sync + Clone>() {}
    shared::<SearchIndex>();
};

use pubdata_domain::catalog::{ResourceDocument, ReviewState};

/// Why the index could not be opened, written or searched.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("search index directory {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("search index directory {path} is in use by another process (its writer lock is held)")]
    Locked { path: String },
}

/// One change to what the index holds for a resource.
#[derive(Clone, Debug, PartialEq)]
#[allow(clippy::large_enum_variant)] // built once per change and consumed by `apply`; boxing buys nothing
pub enum IndexChange {
    /// Replaces everything indexed for the resource.
    Upsert(IndexedResource),
    /// Removes everything indexed for the resource.
    Remove { resource_id: i64 },
}

/// What the index holds for one resource: its published version and/or its working copy.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexedResource {
    pub resource_id: i64,
    pub compiler_org_id: i64,
    /// The provider agency's name, for display.
    pub provider_name: String,
    /// The version in the district catalog, if any (state Published); visible to every catalog
    /// reader.
    pub published: Option<ResourceDocument>,
    /// The working copy when it differs from the published version (draft or under review);
    /// visible only to the compiling or providing agency and the authority.
    pub working: Option<(ReviewState, ResourceDocument)>,
    /// Fixed-width UTC text (`2026-11-27T08:00:00.000000Z`), for sorting equal scores.
    pub updated_at: String,
}

/// Who is searching.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visibility {
    /// The authority and supervisors: every variant.
    All,
    /// An agency: published versions, plus working copies it compiles or provides.
    Org(i64),
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct SearchQuery {
    /// Free Chinese text; empty (or only spaces) lists everything visible, newest first.
    pub text: String,
    pub filters: Filters,
    pub offset: usize,
    pub limit: usize,
}

/// Exact-match filters on the variant being matched, by code: `share` =
/// `ShareAttribute::code()`, `open` = `OpenAttribute::code()`, `level` = `L1`..`L4`, `category`
/// = a category code, `delivery` = `Delivery::as_str()`, `update_cycle` =
/// `UpdateCycle::as_str()`, `state` = `ReviewState::as_str()` (`published` for published
/// versions).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filters {
    pub provider_org_id: Option<i64>,
    pub share: Option<String>,
    pub open: Option<String>,
    pub level: Option<String>,
    pub category: Option<String>,
    pub delivery: Option<String>,
    pub update_cycle: Option<String>,
    pub state: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct SearchResults {
    /// Matching resources (each counted once), before `offset` and `limit`.
    pub total: usize,
    pub hits: Vec<Hit>,
    pub facets: Facets,
}

/// One matching resource, as the variant that matched (the working copy when the caller sees
/// both and both match, with the better of the two scores).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Hit {
    pub resource_id: i64,
    pub name: String,
    pub business_name: String,
    pub provider_org_id: i64,
    pub provider_name: String,
    /// `published`, or the working copy's review state (`draft`, `submitted`, ...).
    pub state: String,
    pub level: String,
    pub share: String,
    pub open: String,
    pub category: String,
    /// Relevance (0 when the text is empty).
    pub score: f32,
    /// Names of data items whose text matched, at most 5, best first.
    pub matched_items: Vec<String>,
}

/// Counts over all matching resources (each once, ignoring offset and limit, with every filter
/// applied). Provider and category are ordered by count, then label; the other fields keep
/// the domain's order of their values. Values with no match are left out.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Facets {
    pub provider: Vec<FacetCount>,
    pub share: Vec<FacetCount>,
    pub open: Vec<FacetCount>,
    pub level: Vec<FacetCount>,
    pub category: Vec<FacetCount>,
    pub delivery: Vec<FacetCount>,
    pub update_cycle: Vec<FacetCount>,
    pub state: Vec<FacetCount>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FacetCount {
    /// The code to filter on (the provider's organisation id as text for `provider`).
    pub value: String,
    /// The provider's name, or the Chinese label of the code.
    pub label: String,
    pub count: usize,
}

/// Art.9: items that other agencies already provide as shareable, for one item being
/// registered.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Overlap {
    pub item_code: String,
    pub item_name: String,
    /// Best first.
    pub matches: Vec<OverlapMatch>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct OverlapMatch {
    pub resource_id: i64,
    pub resource_name: String,
    pub provider_org_id: i64,
    pub provider_name: String,
    pub item_code: String,
    pub item_name: String,
    pub item_type: String,
    pub score: f32,
    /// Why it matched: the same Chinese name, the same code, the same type, and the name words
    /// the two items share (when the names differ).
    pub same_name: bool,
    pub same_code: bool,
    pub same_type: bool,
    pub shared_words: Vec<String>,
}
