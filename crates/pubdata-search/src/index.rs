//! Opening, writing and the reader snapshot.

use crate::schema::{self, Fields, KIND_ITEM, KIND_RESOURCE};
use crate::{IndexChange, Overlap, SearchError, SearchQuery, SearchResults, Visibility};
use pubdata_domain::catalog::DataItem;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use tantivy::collector::Count;
use tantivy::directory::error::LockError;
use tantivy::directory::{Directory, INDEX_WRITER_LOCK, MmapDirectory};
use tantivy::query::TermQuery;
use tantivy::schema::IndexRecordOption;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyError, Term};

/// Memory the single writer may use before it flushes a segment (split among its threads).
const WRITER_MEMORY: usize = 50_000_000;

/// The catalog's search index. Cheap to clone; every clone is the same index. Writes are
/// serialized inside; searches run concurrently against the last committed state.
#[derive(Clone)]
pub struct SearchIndex {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub index: Index,
    pub reader: IndexReader,
    pub writer: Mutex<IndexWriter>,
    pub snapshot: RwLock<Snapshot>,
    pub fields: Fields,
    pub rebuilt: bool,
    pub location: Option<PathBuf>,
}

/// What searches read: the searcher of the last commit and counts taken from it.
#[derive(Clone)]
pub(crate) struct Snapshot {
    pub searcher: Searcher,
    /// Resource documents (variants), the `N` of BM25 for resource fields.
    pub resource_docs: u64,
    /// Item documents, the `N` of the overlap check's word weights.
    pub item_docs: u64,
    /// Distinct resources.
    pub resources: usize,
    pub watermark: u64,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("location", &self.inner.location)
            .field("resources", &self.len())
            .field("watermark", &self.watermark())
            .finish()
    }
}

enum Existing {
    None,
    Usable(Index),
    /// Of an older schema, from another program, or damaged.
    Unusable,
}

impl SearchIndex {
    /// Opens the index in `dir`, creating the directory and the index if missing. An index of
    /// an older schema, or one that is damaged, is wiped and created afresh (see
    /// [`SearchIndex::was_rebuilt`]); only the index's own files are removed.
    pub fn open(dir: &Path) -> Result<SearchIndex, SearchError> {
        std::fs::create_dir_all(dir).map_err(schema::io_error(dir))?;
        let locked = || SearchError::Locked { path: dir.display().to_string() };
        // Hold the writer lock while checking (and perhaps wiping), so that an index another
        // process is using is never removed under it.
        let lock = MmapDirectory::open(dir)
            .map_err(|e| SearchError::Tantivy(e.into()))?
            .acquire_lock(&INDEX_WRITER_LOCK)
            .map_err(|e| match e {
                LockError::LockBusy => locked(),
                e => SearchError::Tantivy(e.into()),
            })?;
        let (expected, fields) = schema::build();
        let (index, rebuilt) = match existing(dir, &expected) {
            Existing::Usable(index) => (index, false),
            found => {
                if matches!(found, Existing::Unusable) {
                    wipe(dir)?;
                }
                (Index::create_in_dir(dir, expected)?, true)
            }
        };
        drop(lock);
        Self::start(index, fields, rebuilt, Some(dir.to_path_buf()))
    }

    /// An index in memory (for tests and tools); starts empty, so [`SearchIndex::was_rebuilt`]
    /// is true.
    pub fn in_memory() -> Result<SearchIndex, SearchError> {
        let (schema, fields) = schema::build();
        Self::start(Index::create_in_ram(schema), fields, true, None)
    }

    fn start(
        mut index: Index,
        fields: Fields,
        rebuilt: bool,
        location: Option<PathBuf>,
    ) -> Result<SearchIndex, SearchError> {
        schema::register_tokenizers(&index);
        crate::analysis::warm_up();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 3);
        // A search runs its segments on all cores: the broad queries (a word that matches half
        // the catalog, every match counted for the facets) take the longest, and they split well.
        if threads > 1 {
            index.set_multithread_executor(threads)?;
        }
        let writer = index.writer_with_num_threads(threads, WRITER_MEMORY).map_err(|e| match e {
            TantivyError::LockFailure(LockError::LockBusy, _) => {
                SearchError::Locked { path: location.as_ref().map_or_else(String::new, |p| p.display().to_string()) }
            }
            e => SearchError::Tantivy(e),
        })?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let snapshot = take_snapshot(&index, &reader, &fields)?;
        Ok(SearchIndex {
            inner: Arc::new(Inner {
                index,
                reader,
                writer: Mutex::new(writer),
                snapshot: RwLock::new(snapshot),
                fields,
                rebuilt,
                location,
            }),
        })
    }

    /// Whether opening had to create a fresh, empty index (a new directory, an index of an older
    /// schema, a damaged one, or an in-memory index): the caller should index everything again.
    pub fn was_rebuilt(&self) -> bool {
        self.inner.rebuilt
    }

    /// Replaces everything indexed for these resources (all their documents) and commits,
    /// storing `watermark` in the commit. All or nothing: on error nothing of this call is
    /// kept. Durable once it returns.
    pub fn apply(&self, changes: Vec<IndexChange>, watermark: u64) -> Result<(), SearchError> {
        let mut writer = match self.inner.writer.lock() {
            Ok(w) => w,
            Err(poisoned) => {
                // A panic in an earlier call; whatever it left pending is dropped.
                let mut w = poisoned.into_inner();
                w.rollback()?;
                self.inner.writer.clear_poison();
                w
            }
        };
        if let Err(e) = write(&mut writer, &self.inner.fields, changes, watermark) {
            writer.rollback()?;
            return Err(e);
        }
        self.inner.reader.reload()?;
        let snapshot = take_snapshot(&self.inner.index, &self.inner.reader, &self.inner.fields)?;
        *self.inner.snapshot.write().unwrap_or_else(|p| p.into_inner()) = snapshot;
        Ok(())
    }

    /// The watermark of the last commit (0 for a new index).
    pub fn watermark(&self) -> u64 {
        self.snapshot().watermark
    }

    /// Number of resources indexed.
    pub fn len(&self) -> usize {
        self.snapshot().resources
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Art.7: the catalog, searched as `visibility` may see it.
    pub fn search(&self, q: &SearchQuery, visibility: Visibility) -> Result<SearchResults, SearchError> {
        crate::search::search(&self.snapshot(), &self.inner.fields, q, visibility)
    }

    /// Art.9: for each of `items`, the shareable items other agencies already provide in
    /// published resources, best first (at most `per_item` each). Items without a match are
    /// left out.
    pub fn overlaps(
        &self,
        items: &[DataItem],
        exclude_provider_org_id: i64,
        per_item: usize,
    ) -> Result<Vec<Overlap>, SearchError> {
        crate::overlap::overlaps(&self.snapshot(), &self.inner.fields, items, exclude_provider_org_id, per_item)
    }

    pub(crate) fn snapshot(&self) -> Snapshot {
        self.inner.snapshot.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

fn write(writer: &mut IndexWriter, f: &Fields, changes: Vec<IndexChange>, watermark: u64) -> Result<(), SearchError> {
    for change in changes {
        match change {
            IndexChange::Upsert(r) => {
                writer.delete_term(Term::from_field_i64(f.resource_id, r.resource_id));
                for doc in schema::documents(f, &r) {
                    writer.add_document(doc)?;
                }
            }
            IndexChange::Remove { resource_id } => {
                writer.delete_term(Term::from_field_i64(f.resource_id, resource_id));
            }
        }
    }
    let mut prepared = writer.prepare_commit()?;
    prepared.set_payload(&schema::payload(watermark));
    prepared.commit()?;
    Ok(())
}

fn take_snapshot(index: &Index, reader: &IndexReader, f: &Fields) -> Result<Snapshot, SearchError> {
    let searcher = reader.searcher();
    let count = |term: Term| searcher.search(&TermQuery::new(term, IndexRecordOption::Basic), &Count);
    let resource_docs = count(schema::term(f.kind, KIND_RESOURCE))? as u64;
    let item_docs = count(schema::term(f.kind, KIND_ITEM))? as u64;
    let resources = count(Term::from_field_u64(f.primary, 1))?;
    let watermark = schema::parse_payload(index.load_metas()?.payload.as_deref()).unwrap_or(0);
    Ok(Snapshot { searcher, resource_docs, item_docs, resources, watermark })
}

/// What `dir` holds, checked thoroughly enough that a usable index will serve searches: the
/// schema and payload are ours, every file's checksum holds, and its segments open.
fn existing(dir: &Path, expected: &tantivy::schema::Schema) -> Existing {
    if !dir.join("meta.json").exists() {
        return if index_files(dir).is_empty() { Existing::None } else { Existing::Unusable };
    }
    let Ok(index) = Index::open_in_dir(dir) else { return Existing::Unusable };
    if &index.schema() != expected {
        return Existing::Unusable;
    }
    match index.load_metas() {
        Ok(metas) if schema::parse_payload(metas.payload.as_deref()).is_some() => {}
        _ => return Existing::Unusable,
    }
    match index.validate_checksum() {
        Ok(damaged) if damaged.is_empty() => {}
        _ => return Existing::Unusable,
    }
    schema::register_tokenizers(&index);
    let opens = index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()
        .map(|r: IndexReader| r.searcher().segment_readers().len())
        .is_ok();
    if opens { Existing::Usable(index) } else { Existing::Unusable }
}

/// The files of a tantivy index in `dir`: its metadata and segment files (`<32 hex
/// digits>.<component>`). Lock files (held while this runs) and anything else are left alone.
fn index_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let segment =
                name.len() > 33 && name.as_bytes()[32] == b'.' && name[..32].bytes().all(|b| b.is_ascii_hexdigit());
            segment || matches!(name, "meta.json" | ".managed.json" | ".tantivy-meta.lock" | ".tantivy-writer.lock")
        })
        .collect()
}

fn wipe(dir: &Path) -> Result<(), SearchError> {
    for file in index_files(dir) {
        std::fs::remove_file(&file).map_err(schema::io_error(&file))?;
    }
    Ok(())
}
