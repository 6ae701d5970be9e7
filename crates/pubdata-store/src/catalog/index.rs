//! The catalog service: the store plus this instance's search index, kept current by
//! following the audit trail.

use crate::db::Store;
use crate::error::{Error, Result};
use pubdata_domain::catalog::{ResourceDocument, ReviewState};
use pubdata_domain::identity::{Caller, Permission, Scope};
use pubdata_search::{IndexChange, IndexedResource, SearchIndex, SearchQuery, SearchResults, Visibility};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// The store and the search index, as the web layer and the CLI use them.
#[derive(Clone)]
pub struct Catalog {
    store: Store,
    index: SearchIndex,
    /// One catch-up at a time; others wait and then find nothing left to do.
    sync: Arc<tokio::sync::Mutex<()>>,
    /// The audit position examined so far (at or past the index's watermark: entries about
    /// other things than resources move it without an index commit).
    checked: Arc<std::sync::atomic::AtomicI64>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog").field("indexed", &self.index.len()).finish()
    }
}

pub(crate) fn search_error(e: pubdata_search::SearchError) -> Error {
    tracing::error!(error = %e, "search index");
    Error::Search(e.to_string())
}

#[derive(sqlx::FromRow)]
pub(crate) struct IndexRow {
    pub id: i64,
    pub compiler_org_id: i64,
    pub provider_org_id: i64,
    pub state: String,
    pub working: String,
    pub published: Option<String>,
    pub updated_at: String,
}

impl Catalog {
    /// Opens the index (in `dir`, or in memory) and brings it up to date: a new or rebuilt
    /// index is filled from the database, an existing one catches up from its watermark.
    pub async fn open(store: Store, dir: Option<&Path>) -> Result<Catalog> {
        let index = match dir {
            Some(d) => {
                let d = d.to_path_buf();
                tokio::task::spawn_blocking(move || SearchIndex::open(&d))
                    .await
                    .map_err(|e| Error::Search(e.to_string()))?
                    .map_err(search_error)?
            }
            None => SearchIndex::in_memory().map_err(search_error)?,
        };
        let checked = Arc::new(std::sync::atomic::AtomicI64::new(index.watermark() as i64));
        let catalog = Catalog { store, index, sync: Arc::new(tokio::sync::Mutex::new(())), checked };
        if catalog.index.watermark() == 0 {
            catalog.rebuild().await?;
        }
        catalog.catch_up().await?;
        Ok(catalog)
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub(crate) fn index(&self) -> &SearchIndex {
        &self.index
    }

    /// Number of resources in this instance's index.
    pub fn indexed(&self) -> usize {
        self.index.len()
    }

    async fn provider_names(&self) -> Result<HashMap<i64, String>> {
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, name FROM organisations").fetch_all(self.store.reader()).await?;
        Ok(rows.into_iter().collect())
    }

    /// Fills the index from the database. The watermark is the audit position read first, so
    /// any change committed meanwhile is replayed by the next catch-up (re-indexing is idempotent).
    async fn rebuild(&self) -> Result<()> {
        let _guard = self.sync.lock().await;
        let (head, _) = crate::audit::head(&self.store).await?;
        let names = self.provider_names().await?;
        let mut after = 0i64;
        loop {
            let rows: Vec<IndexRow> = sqlx::query_as(
                "SELECT id, compiler_org_id, provider_org_id, state, working, published, updated_at \
                 FROM catalog_resources WHERE id > $1 ORDER BY id LIMIT 2000",
            )
            .bind(after)
            .fetch_all(self.store.reader())
            .await?;
            let Some(last) = rows.last().map(|r| r.id) else { break };
            let changes = rows.into_iter().map(|r| to_change(r, &names)).collect::<Result<Vec<_>>>()?;
            self.apply(changes, 0).await?;
            after = last;
        }
        self.apply(Vec::new(), head.max(1) as u64).await
    }

    async fn apply(&self, changes: Vec<IndexChange>, watermark: u64) -> Result<()> {
        let index = self.index.clone();
        let watermark = if watermark == 0 { index.watermark() } else { watermark };
        tokio::task::spawn_blocking(move || index.apply(changes, watermark))
            .await
            .map_err(|e| Error::Search(e.to_string()))?
            .map_err(search_error)
    }

    /// Re-indexes every resource the audit trail reports changed since the index's watermark.
    /// Costs one primary-key read when nothing happened since the last call.
    pub async fn catch_up(&self) -> Result<()> {
        use std::sync::atomic::Ordering;
        let _guard = self.sync.lock().await;
        let (head, _) = crate::audit::head(&self.store).await?;
        loop {
            let from = self.checked.load(Ordering::SeqCst).max(self.index.watermark() as i64);
            if from >= head {
                return Ok(());
            }
            let entries: Vec<(i64, Option<String>)> = sqlx::query_as(
                "SELECT seq, object_id FROM audit_entries WHERE object_type = 'resource' AND seq > $1 AND seq <= $2 \
                 ORDER BY seq LIMIT 1000",
            )
            .bind(from)
            .bind(head)
            .fetch_all(self.store.reader())
            .await?;
            let Some(&(last, _)) = entries.last() else {
                self.checked.store(head, Ordering::SeqCst);
                return Ok(());
            };
            let mut ids: Vec<i64> = entries.iter().filter_map(|(_, id)| id.as_deref()?.parse().ok()).collect();
            ids.sort_unstable();
            ids.dedup();
            let names = self.provider_names().await?;
            let mut changes = Vec::with_capacity(ids.len());
            for id in ids {
                let row: Option<IndexRow> = sqlx::query_as(
                    "SELECT id, compiler_org_id, provider_org_id, state, working, published, updated_at \
                     FROM catalog_resources WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(self.store.reader())
                .await?;
                changes.push(match row {
                    Some(r) => to_change(r, &names)?,
                    None => IndexChange::Remove { resource_id: id },
                });
            }
            // A short page means everything up to the head has been seen.
            let upto = if entries.len() < 1000 { head } else { last };
            self.apply(changes, upto as u64).await?;
            self.checked.store(upto, Ordering::SeqCst);
        }
    }

    /// Searches what `caller` may see (`catalog.read`): published resources, and drafts of
    /// their own agency (all drafts for the authority).
    pub async fn search(&self, caller: &Caller, query: &SearchQuery) -> Result<SearchResults> {
        caller.principal.require(Permission::CatalogRead)?;
        self.catch_up().await?;
        let visibility = match (caller.principal.scope(), caller.principal.org_id) {
            (Scope::All, _) => Visibility::All,
            (_, Some(org)) => Visibility::Org(org.0),
            (_, None) => Visibility::Org(-1),
        };
        let index = self.index.clone();
        let query = query.clone();
        tokio::task::spawn_blocking(move || index.search(&query, visibility))
            .await
            .map_err(|e| Error::Search(e.to_string()))?
            .map_err(search_error)
    }
}

pub(crate) fn parse_document(json: &str) -> Result<ResourceDocument> {
    serde_json::from_str(json)
        .map_err(|e| Error::Database(sqlx::Error::Decode(format!("stored resource document: {e}").into())))
}

fn to_change(r: IndexRow, names: &HashMap<i64, String>) -> Result<IndexChange> {
    let state = ReviewState::parse(&r.state).unwrap_or(ReviewState::Draft);
    let published = r.published.as_deref().map(parse_document).transpose()?;
    let working = match state {
        ReviewState::Published => None,
        s => Some((s, parse_document(&r.working)?)),
    };
    Ok(IndexChange::Upsert(IndexedResource {
        resource_id: r.id,
        compiler_org_id: r.compiler_org_id,
        provider_name: names.get(&r.provider_org_id).cloned().unwrap_or_default(),
        published,
        working,
        updated_at: r.updated_at,
    }))
}
