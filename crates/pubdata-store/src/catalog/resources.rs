//! Registering, editing, reviewing and reading resources (Art.7-9).

use super::index::{Catalog, parse_document};
use crate::db::WriteTx;
use crate::error::{Error, Result};
use crate::identity::orgs;
use pubdata_domain::audit::events;
use pubdata_domain::catalog::{
    Change, Problem, ResourceDocument, ReviewAction, ReviewState, Reviewing, diff, requires_review, transition,
};
use pubdata_domain::identity::{Caller, OrgKind, OrgStatus, Permission, Principal, Scope};
use pubdata_domain::ids::OrgId;
use pubdata_domain::{Text, timefmt};
use serde::Serialize;
use sqlx::AnyConnection;

/// A resource as lists show it.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct ResourceSummary {
    pub id: i64,
    pub name: String,
    pub compiler_org_id: i64,
    pub provider_org_id: i64,
    pub state: String,
    pub current_version: i64,
    pub project_id: Option<i64>,
    pub updated_at: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct VersionInfo {
    pub version: i64,
    pub reason: String,
    pub published_by: String,
    pub published_at: String,
}

/// One step of the review, as the timeline shows it.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct ReviewEvent {
    pub at: String,
    pub actor_name: String,
    pub actor_org_id: Option<i64>,
    pub action: String,
    pub from_state: String,
    pub to_state: String,
    pub comment: String,
}

/// Everything the resource page shows, as far as the caller may see it.
#[derive(Clone, Debug, Serialize)]
pub struct ResourceDetail {
    pub id: i64,
    pub compiler_org_id: i64,
    pub provider_org_id: i64,
    pub state: ReviewState,
    pub current_version: i64,
    /// The working copy; only for the compiling and providing agencies and the authority.
    pub working: Option<ResourceDocument>,
    /// The version in the district catalog.
    pub published: Option<ResourceDocument>,
    pub pending_reason: Option<String>,
    pub overlap_justification: Option<String>,
    pub project_id: Option<i64>,
    pub project_stage: Option<String>,
    pub versions: Vec<VersionInfo>,
    /// The review timeline; only for those who see the working copy.
    pub timeline: Vec<ReviewEvent>,
    /// What the caller may do now.
    pub actions: Vec<ReviewAction>,
    pub can_edit: bool,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
}

impl ResourceDetail {
    /// The document to show: the working copy when visible, else the published version.
    pub fn shown(&self) -> Option<&ResourceDocument> {
        self.working.as_ref().or(self.published.as_ref())
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct Row {
    pub id: i64,
    pub compiler_org_id: i64,
    pub provider_org_id: i64,
    pub state: String,
    pub working: String,
    pub current_version: i64,
    pub published: Option<String>,
    pub pending_reason: Option<String>,
    pub overlap_justification: Option<String>,
    pub project_id: Option<i64>,
    pub project_stage: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
}

macro_rules! resource_columns {
    () => {
        "id, compiler_org_id, provider_org_id, state, working, current_version, published, pending_reason, \
         overlap_justification, project_id, project_stage, created_by, created_at, updated_at"
    };
}
pub(crate) use resource_columns;

impl Row {
    pub(crate) fn state(&self) -> ReviewState {
        ReviewState::parse(&self.state).unwrap_or(ReviewState::Draft)
    }

    pub(crate) fn reviewing(&self) -> Reviewing {
        Reviewing {
            state: self.state(),
            compiler_org: OrgId(self.compiler_org_id),
            provider_org: OrgId(self.provider_org_id),
        }
    }

    /// Whether `p` sees the working copy and the timeline.
    pub(crate) fn sees_working(&self, p: &Principal) -> bool {
        p.scope() == Scope::All || p.org_id.is_some_and(|o| o.0 == self.compiler_org_id || o.0 == self.provider_org_id)
    }
}

pub(crate) async fn fetch(conn: &mut AnyConnection, id: i64) -> Result<Row> {
    let row: Option<Row> =
        sqlx::query_as(concat!("SELECT ", resource_columns!(), " FROM catalog_resources WHERE id = $1"))
            .bind(id)
            .fetch_optional(conn)
            .await?;
    row.ok_or_else(|| Error::not_found("resource", id))
}

/// Locks the row for the rest of the transaction on PostgreSQL (SQLite has one writer).
async fn fetch_for_update(tx: &mut WriteTx, id: i64) -> Result<Row> {
    let sql = match tx.backend() {
        crate::Backend::Sqlite => concat!("SELECT ", resource_columns!(), " FROM catalog_resources WHERE id = $1"),
        crate::Backend::Postgres => {
            concat!("SELECT ", resource_columns!(), " FROM catalog_resources WHERE id = $1 FOR UPDATE")
        }
    };
    let row: Option<Row> = sqlx::query_as(sql).bind(id).fetch_optional(tx.conn()).await?;
    row.ok_or_else(|| Error::not_found("resource", id))
}

fn problems(doc: &ResourceDocument) -> Result<()> {
    let p = doc.problems();
    if p.is_empty() { Ok(()) } else { Err(pubdata_domain::Error::Problems(p).into()) }
}

/// The text the plain `LIKE` search (and the benchmark's baseline) scans.
pub(crate) fn search_text(doc: &ResourceDocument) -> String {
    let mut s = format!("{} {} {} {}", doc.name, doc.business_name, doc.source_system, doc.description);
    for i in &doc.items {
        s.push(' ');
        s.push_str(&i.name);
        s.push(' ');
        s.push_str(&i.code);
    }
    s
}

pub(crate) fn to_json(doc: &ResourceDocument) -> Result<String> {
    serde_json::to_string(doc).map_err(|e| Error::Database(sqlx::Error::Encode(Box::new(e))))
}

/// The provider must be an active agency or town/street.
async fn check_provider(conn: &mut AnyConnection, id: i64) -> Result<()> {
    let org = orgs::fetch(conn, OrgId(id)).await.map_err(|_| {
        pubdata_domain::Error::Problems(vec![Problem {
            field: "provider_org_id".into(),
            message: Text::new(format!("提供单位 {id} 不存在"), format!("provider organisation {id} does not exist")),
        }])
    })?;
    if !matches!(org.kind, OrgKind::Agency | OrgKind::TownStreet) || org.status != OrgStatus::Active {
        return Err(pubdata_domain::Error::Problems(vec![Problem {
            field: "provider_org_id".into(),
            message: Text::new(
                format!("「{}」不是在用的公共管理和服务机构或镇（街道），不能作为提供单位", org.name),
                format!("{:?} is not an active agency or town/street and cannot provide data", org.name),
            ),
        }])
        .into());
    }
    Ok(())
}

/// Where a new resource belongs in an IT project (Art.8).
#[derive(Clone, Copy, Debug)]
pub struct ProjectLink {
    pub project_id: i64,
    pub stage: super::ProjectStage,
}

/// Registers a resource as a draft of the caller's agency (`catalog.compile`). Returns its id.
pub async fn create(cat: &Catalog, caller: &Caller, doc: ResourceDocument) -> Result<i64> {
    create_in(cat, caller, doc, None).await
}

pub(crate) async fn create_in(
    cat: &Catalog,
    caller: &Caller,
    doc: ResourceDocument,
    project: Option<ProjectLink>,
) -> Result<i64> {
    caller.principal.require(Permission::CatalogCompile)?;
    let doc = doc.normalized();
    problems(&doc)?;
    let mut tx = cat.store().begin().await?;
    let id = insert(&mut tx, caller, &doc, project).await?;
    tx.commit().await?;
    Ok(id)
}

/// Inserts a validated draft and records it (shared with imports).
pub(crate) async fn insert(
    tx: &mut WriteTx,
    caller: &Caller,
    doc: &ResourceDocument,
    project: Option<ProjectLink>,
) -> Result<i64> {
    check_provider(tx.conn(), doc.provider_org_id).await?;
    // The compiler is the caller's agency; the system (CLI) compiles as the provider.
    let compiler = caller.principal.org_id.map_or(doc.provider_org_id, |o| o.0);
    let now = timefmt::format_instant(timefmt::now());
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO catalog_resources (compiler_org_id, provider_org_id, state, working, current_version, name, search_text, \
         project_id, project_stage, created_by, created_at, updated_at) \
         VALUES ($1, $2, 'draft', $3, 0, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
    )
    .bind(compiler)
    .bind(doc.provider_org_id)
    .bind(to_json(doc)?)
    .bind(&doc.name)
    .bind(search_text(doc))
    .bind(project.map(|p| p.project_id))
    .bind(project.map(|p| p.stage.as_str()))
    .bind(&caller.principal.username)
    .bind(&now)
    .fetch_one(tx.conn())
    .await?;
    tx.record(
        caller.actor(),
        events::catalog_created(id, &doc.name, doc.provider_org_id, project.map(|p| p.project_id)),
    );
    // Art.7: data received through a grant is not the agency's own resource.
    crate::sharing::flag_if_received(tx, caller, id, doc, compiler).await?;
    Ok(id)
}

async fn add_review_event(
    tx: &mut WriteTx,
    caller: &Caller,
    id: i64,
    action: &str,
    from: ReviewState,
    to: ReviewState,
    comment: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO catalog_reviews (resource_id, at, actor_user_id, actor_name, actor_org_id, action, from_state, to_state, comment) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(timefmt::format_instant(timefmt::now()))
    .bind(caller.principal.user_id.map(|u| u.0))
    .bind(&caller.principal.display_name)
    .bind(caller.principal.org_id.map(|o| o.0))
    .bind(action)
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(comment)
    .execute(tx.conn())
    .await?;
    Ok(())
}

async fn add_version(
    tx: &mut WriteTx,
    caller: &Caller,
    id: i64,
    version: i64,
    doc: &ResourceDocument,
    reason: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO catalog_versions (resource_id, version, document, reason, published_by, published_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(version)
    .bind(to_json(doc)?)
    .bind(reason)
    .bind(&caller.principal.display_name)
    .bind(timefmt::format_instant(timefmt::now()))
    .execute(tx.conn())
    .await?;
    Ok(())
}

fn reason_text(reason: &str) -> Result<String> {
    let reason = reason.trim();
    pubdata_domain::error::check_length("reason", reason, 2, 500)?;
    Ok(reason.to_string())
}

/// Edits a resource's registration (`catalog.compile`, compiling agency). A draft is simply
/// replaced. On a published resource (Art.8) a change to contact or description becomes a new
/// published version at once; any other change becomes a revision that goes through review
/// again while the published version stays in the catalog. `reason` (why) is required once a
/// resource has been published.
pub async fn update(
    cat: &Catalog,
    caller: &Caller,
    id: i64,
    doc: ResourceDocument,
    reason: &str,
) -> Result<ResourceDetail> {
    caller.principal.require(Permission::CatalogCompile)?;
    let doc = doc.normalized();
    problems(&doc)?;
    let mut tx = cat.store().begin().await?;
    let row = fetch_for_update(&mut tx, id).await?;
    if !row.reviewing().is_compiler(&caller.principal) {
        return Err(if row.sees_working(&caller.principal) || row.current_version > 0 {
            pubdata_domain::Error::out_of_scope(
                "只有编制单位可以修改该资源",
                "only the compiling agency can change this resource",
            )
            .into()
        } else {
            Error::not_found("resource", id)
        });
    }
    let before = parse_document(&row.working)?;
    check_provider(tx.conn(), doc.provider_org_id).await?;
    let changed: Vec<String> = diff(&before, &doc).into_iter().map(|c| c.field).collect();
    if changed.is_empty() {
        return get(cat, caller, id).await;
    }
    let now = timefmt::format_instant(timefmt::now());
    match row.state() {
        ReviewState::Draft => {
            let reason = if row.current_version > 0 { Some(reason_text(reason)?) } else { None };
            sqlx::query(
                "UPDATE catalog_resources SET working = $1, name = $2, search_text = $3, provider_org_id = $4, updated_at = $5, \
                 pending_reason = COALESCE($6, pending_reason) WHERE id = $7",
            )
            .bind(to_json(&doc)?)
            .bind(&doc.name)
            .bind(search_text(&doc))
            .bind(doc.provider_org_id)
            .bind(&now)
            .bind(reason.clone())
            .bind(id)
            .execute(tx.conn())
            .await?;
            tx.record(caller.actor(), events::catalog_updated(id, &changed, reason.as_deref().unwrap_or(""), None));
        }
        ReviewState::Published => {
            let reason = reason_text(reason)?;
            if requires_review(&before, &doc) {
                sqlx::query(
                    "UPDATE catalog_resources SET working = $1, name = $2, search_text = $3, provider_org_id = $4, state = 'draft', \
                     pending_reason = $5, updated_at = $6 WHERE id = $7",
                )
                .bind(to_json(&doc)?)
                .bind(&doc.name)
                .bind(search_text(&doc))
                .bind(doc.provider_org_id)
                .bind(&reason)
                .bind(&now)
                .bind(id)
                .execute(tx.conn())
                .await?;
                add_review_event(&mut tx, caller, id, "revise", ReviewState::Published, ReviewState::Draft, &reason)
                    .await?;
                tx.record(caller.actor(), events::catalog_updated(id, &changed, &reason, None));
            } else {
                let version = row.current_version + 1;
                let json = to_json(&doc)?;
                sqlx::query(
                    "UPDATE catalog_resources SET working = $1, published = $1, current_version = $2, search_text = $3, updated_at = $4 \
                     WHERE id = $5",
                )
                .bind(&json)
                .bind(version)
                .bind(search_text(&doc))
                .bind(&now)
                .bind(id)
                .execute(tx.conn())
                .await?;
                add_version(&mut tx, caller, id, version, &doc, &reason).await?;
                tx.record(caller.actor(), events::catalog_updated(id, &changed, &reason, Some(version)));
            }
        }
        other => {
            return Err(pubdata_domain::Error::conflict(
                format!("资源正在审核（{}），请审核人退回后再修改", other.label_zh()),
                format!(
                    "the resource is under review ({}); a reviewer must return it before it can change",
                    other.label_en()
                ),
            )
            .into());
        }
    }
    tx.commit().await?;
    cat.catch_up().await?;
    get(cat, caller, id).await
}

/// Abandons a revision of a published resource: the working copy returns to the published
/// version (compiling agency, while the revision is a draft).
pub async fn discard_revision(cat: &Catalog, caller: &Caller, id: i64) -> Result<ResourceDetail> {
    caller.principal.require(Permission::CatalogCompile)?;
    let mut tx = cat.store().begin().await?;
    let row = fetch_for_update(&mut tx, id).await?;
    if !row.reviewing().is_compiler(&caller.principal) {
        return Err(pubdata_domain::Error::out_of_scope(
            "只有编制单位可以撤销修订",
            "only the compiling agency can discard a revision",
        )
        .into());
    }
    let (Some(published), ReviewState::Draft) = (row.published.as_deref(), row.state()) else {
        return Err(pubdata_domain::Error::conflict("没有可撤销的修订", "there is no revision to discard").into());
    };
    let doc = parse_document(published)?;
    sqlx::query(
        "UPDATE catalog_resources SET working = published, state = 'published', name = $1, search_text = $2, provider_org_id = $3, \
         pending_reason = NULL, updated_at = $4 WHERE id = $5",
    )
    .bind(&doc.name)
    .bind(search_text(&doc))
    .bind(doc.provider_org_id)
    .bind(timefmt::format_instant(timefmt::now()))
    .bind(id)
    .execute(tx.conn())
    .await?;
    add_review_event(&mut tx, caller, id, "discard", ReviewState::Draft, ReviewState::Published, "").await?;
    tx.record(caller.actor(), events::catalog_reviewed(id, "discard", "draft", "published", "", None));
    tx.commit().await?;
    cat.catch_up().await?;
    get(cat, caller, id).await
}

/// Takes a review step (Art.7). Returns need a comment; submitting a resource whose data items
/// others already share needs a written justification (Art.9); publishing records a version.
pub async fn review(
    cat: &Catalog,
    caller: &Caller,
    id: i64,
    action: ReviewAction,
    comment: &str,
    justification: Option<&str>,
) -> Result<ResourceDetail> {
    caller.principal.require(Permission::CatalogRead)?;
    let comment = comment.trim();
    pubdata_domain::error::check_length("comment", comment, 0, 1000)?;
    if action == ReviewAction::Return && comment.is_empty() {
        return Err(pubdata_domain::Error::invalid("comment", "退回须填写意见", "a return needs a comment").into());
    }
    // Art.9: overlaps are computed before the transaction (the index is this instance's).
    let overlaps = if action == ReviewAction::Submit { Some(overlaps_of(cat, caller, id).await?) } else { None };
    let mut tx = cat.store().begin().await?;
    let row = fetch_for_update(&mut tx, id).await?;
    if !row.sees_working(&caller.principal) {
        return Err(Error::not_found("resource", id));
    }
    let from = row.state();
    let to = transition(&caller.principal, &row.reviewing(), action)?;
    let doc = parse_document(&row.working)?;
    let now = timefmt::format_instant(timefmt::now());
    let mut version = None;
    match action {
        ReviewAction::Submit => {
            problems(&doc)?;
            let justification = justification.map(str::trim).filter(|j| !j.is_empty());
            if let Some(found) = overlaps.filter(|o| !o.is_empty()) {
                let Some(j) = justification else {
                    return Err(overlap_problem(&found).into());
                };
                pubdata_domain::error::check_length("overlap_justification", j, 5, 2000)?;
            }
            sqlx::query(
                "UPDATE catalog_resources SET state = $1, overlap_justification = $2, updated_at = $3 WHERE id = $4",
            )
            .bind(to.as_str())
            .bind(justification)
            .bind(&now)
            .bind(id)
            .execute(tx.conn())
            .await?;
        }
        ReviewAction::Publish => {
            crate::sharing::check_publishable(tx.conn(), id).await?;
            let v = row.current_version + 1;
            let reason = row.pending_reason.clone().unwrap_or_else(|| "首次发布 / first publication".into());
            add_version(&mut tx, caller, id, v, &doc, &reason).await?;
            sqlx::query(
                "UPDATE catalog_resources SET state = 'published', published = working, current_version = $1, pending_reason = NULL, \
                 updated_at = $2 WHERE id = $3",
            )
            .bind(v)
            .bind(&now)
            .bind(id)
            .execute(tx.conn())
            .await?;
            // Art.14: each publication starts a new interval before the share attribute's review.
            crate::sharing::reevaluation::schedule_on_publication(&mut tx, id).await?;
            version = Some(v);
        }
        _ => {
            sqlx::query("UPDATE catalog_resources SET state = $1, updated_at = $2 WHERE id = $3")
                .bind(to.as_str())
                .bind(&now)
                .bind(id)
                .execute(tx.conn())
                .await?;
        }
    }
    add_review_event(&mut tx, caller, id, action.as_str(), from, to, comment).await?;
    tx.record(
        caller.actor(),
        events::catalog_reviewed(id, action.as_str(), from.as_str(), to.as_str(), comment, version),
    );
    tx.commit().await?;
    cat.catch_up().await?;
    get(cat, caller, id).await
}

/// Items of this resource that other agencies already provide for sharing (Art.9).
pub async fn overlaps_of(cat: &Catalog, caller: &Caller, id: i64) -> Result<Vec<pubdata_search::Overlap>> {
    let row = fetch(&mut *cat.store().reader().acquire().await?, id).await?;
    if !row.sees_working(&caller.principal) {
        return Err(Error::not_found("resource", id));
    }
    let doc = parse_document(&row.working)?;
    overlaps(cat, caller, &doc).await
}

/// Items of `doc` that agencies other than its provider already provide for sharing (Art.9).
/// `catalog.read`: what it reveals is in the published catalog.
pub async fn overlaps(cat: &Catalog, caller: &Caller, doc: &ResourceDocument) -> Result<Vec<pubdata_search::Overlap>> {
    caller.principal.require(Permission::CatalogRead)?;
    cat.catch_up().await?;
    let index = cat.index().clone();
    let items = doc.items.clone();
    let provider = doc.provider_org_id;
    tokio::task::spawn_blocking(move || index.overlaps(&items, provider, 5))
        .await
        .map_err(|e| Error::Search(e.to_string()))?
        .map_err(super::index::search_error)
}

fn overlap_problem(found: &[pubdata_search::Overlap]) -> pubdata_domain::Error {
    let list_zh: Vec<String> = found
        .iter()
        .filter_map(|o| {
            o.matches
                .first()
                .map(|m| format!("「{}」与{}的「{}」({})", o.item_name, m.provider_name, m.item_name, m.resource_name))
        })
        .collect();
    pubdata_domain::Error::Problems(vec![Problem {
        field: "overlap_justification".into(),
        message: Text::new(
            format!(
                "以下数据项其他单位已提供共享，可以通过共享获取的不得重复收集（第九条），请说明理由：{}",
                list_zh.join("；")
            ),
            format!(
                "{} item(s) are already provided for sharing by other agencies; data obtainable by sharing must not be collected again (Art.9): give a written justification",
                found.len()
            ),
        ),
    }])
}

/// One resource as `caller` may see it (`catalog.read`): published resources for everyone,
/// unpublished ones only for the compiling and providing agencies and the authority.
pub async fn get(cat: &Catalog, caller: &Caller, id: i64) -> Result<ResourceDetail> {
    caller.principal.require(Permission::CatalogRead)?;
    let mut conn = cat.store().reader().acquire().await?;
    let row = fetch(&mut conn, id).await?;
    let sees = row.sees_working(&caller.principal);
    if !sees && row.current_version == 0 {
        return Err(Error::not_found("resource", id));
    }
    let versions: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT version, reason, published_by, published_at FROM catalog_versions WHERE resource_id = $1 ORDER BY version DESC",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let timeline: Vec<ReviewEvent> = if sees {
        sqlx::query_as(
            "SELECT at, actor_name, actor_org_id, action, from_state, to_state, comment FROM catalog_reviews WHERE resource_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await?
    } else {
        Vec::new()
    };
    let reviewing = row.reviewing();
    let can_edit = reviewing.is_compiler(&caller.principal)
        && caller.principal.has(Permission::CatalogCompile)
        && matches!(row.state(), ReviewState::Draft | ReviewState::Published);
    Ok(ResourceDetail {
        id: row.id,
        compiler_org_id: row.compiler_org_id,
        provider_org_id: row.provider_org_id,
        state: row.state(),
        current_version: row.current_version,
        working: if sees { Some(parse_document(&row.working)?) } else { None },
        published: row.published.as_deref().map(parse_document).transpose()?,
        pending_reason: if sees { row.pending_reason.clone() } else { None },
        overlap_justification: if sees { row.overlap_justification.clone() } else { None },
        project_id: row.project_id,
        project_stage: row.project_stage.clone(),
        versions: versions
            .into_iter()
            .map(|(version, reason, published_by, published_at)| VersionInfo {
                version,
                reason,
                published_by,
                published_at,
            })
            .collect(),
        timeline,
        actions: if sees { reviewing.available(&caller.principal) } else { Vec::new() },
        can_edit,
        created_by: row.created_by,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// A version to compare: a published version number, or the current working copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VersionRef {
    Version(i64),
    Working,
}

/// The document of a version (or the working copy, for those who may see it).
pub async fn version(cat: &Catalog, caller: &Caller, id: i64, which: VersionRef) -> Result<ResourceDocument> {
    let detail = get(cat, caller, id).await?;
    match which {
        VersionRef::Working => {
            detail.working.ok_or_else(|| Error::not_found("resource version", format!("{id}/working")))
        }
        VersionRef::Version(n) => {
            let (doc,): (String,) =
                sqlx::query_as("SELECT document FROM catalog_versions WHERE resource_id = $1 AND version = $2")
                    .bind(id)
                    .bind(n)
                    .fetch_optional(cat.store().reader())
                    .await?
                    .ok_or_else(|| Error::not_found("resource version", format!("{id}/{n}")))?;
            parse_document(&doc)
        }
    }
}

/// The field-by-field differences between two versions (Art.8).
pub async fn compare(cat: &Catalog, caller: &Caller, id: i64, from: VersionRef, to: VersionRef) -> Result<Vec<Change>> {
    let a = version(cat, caller, id, from).await?;
    let b = version(cat, caller, id, to).await?;
    Ok(diff(&a, &b))
}

/// An agency's own catalog: every resource it compiles or provides, in any state (the
/// authority may name any organisation, or none for all). `catalog.read`.
pub async fn agency_catalog(cat: &Catalog, caller: &Caller, org: Option<OrgId>) -> Result<Vec<ResourceSummary>> {
    caller.principal.require(Permission::CatalogRead)?;
    let org = match caller.principal.scope() {
        Scope::All => org,
        _ => Some(caller.principal.org_id.ok_or_else(|| Error::not_found("organisation", "none"))?),
    };
    let rows = match org {
        Some(o) => {
            sqlx::query_as(
                "SELECT id, name, compiler_org_id, provider_org_id, state, current_version, project_id, updated_at FROM catalog_resources \
                 WHERE compiler_org_id = $1 OR provider_org_id = $1 ORDER BY updated_at DESC, id DESC",
            )
            .bind(o.0)
            .fetch_all(cat.store().reader())
            .await?
        }
        None => {
            sqlx::query_as(
                "SELECT id, name, compiler_org_id, provider_org_id, state, current_version, project_id, updated_at FROM catalog_resources \
                 ORDER BY updated_at DESC, id DESC",
            )
            .fetch_all(cat.store().reader())
            .await?
        }
    };
    Ok(rows)
}

/// Resources waiting for the caller's step: a providing agency's opinion (`catalog.confirm`),
/// or the authority's approval and publication (`catalog.review`).
pub async fn review_queue(cat: &Catalog, caller: &Caller) -> Result<Vec<ResourceSummary>> {
    caller.principal.require(Permission::CatalogRead)?;
    let p = &caller.principal;
    let mut out: Vec<ResourceSummary> = Vec::new();
    if p.has(Permission::CatalogConfirm)
        && let Some(org) = p.org_id
    {
        out.extend(
            sqlx::query_as::<_, ResourceSummary>(
                "SELECT id, name, compiler_org_id, provider_org_id, state, current_version, project_id, updated_at FROM catalog_resources \
                 WHERE state = 'submitted' AND provider_org_id = $1 AND compiler_org_id <> provider_org_id ORDER BY updated_at",
            )
            .bind(org.0)
            .fetch_all(cat.store().reader())
            .await?,
        );
    }
    if p.has(Permission::CatalogReview) {
        out.extend(
            sqlx::query_as::<_, ResourceSummary>(
                "SELECT id, name, compiler_org_id, provider_org_id, state, current_version, project_id, updated_at FROM catalog_resources \
                 WHERE state IN ('provider_confirmed', 'approved') OR (state = 'submitted' AND compiler_org_id = provider_org_id) \
                 ORDER BY updated_at",
            )
            .fetch_all(cat.store().reader())
            .await?,
        );
    }
    Ok(out)
}

/// Resources whose registration text contains `needle` (plain SQL `LIKE`); the baseline the
/// search benchmark compares the index with, and a fallback for administrators.
pub async fn like_search(cat: &Catalog, needle: &str, limit: i64) -> Result<Vec<i64>> {
    let pattern = format!("%{}%", needle.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    let rows: Vec<(i64,)> =
        sqlx::query_as("SELECT id FROM catalog_resources WHERE search_text LIKE $1 ESCAPE '\\' ORDER BY id LIMIT $2")
            .bind(pattern)
            .bind(limit)
            .fetch_all(cat.store().reader())
            .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}
