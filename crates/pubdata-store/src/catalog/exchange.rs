//! Moving whole catalogs in and out: the JSON archive (exact round trip), and the formats
//! agencies and portals use (Excel, CSV, DCAT) through `pubdata-catalog-io`.

use super::index::{Catalog, parse_document};
use super::resources::{self, to_json};
use crate::db::Backend;
use crate::error::{Error, Result};
use pubdata_catalog_io::{DcatCatalog, DcatResource, ExportRow, FileProblem, OrgDirectory, RowProblem};
use pubdata_domain::audit::events;
use pubdata_domain::catalog::ResourceDocument;
use pubdata_domain::identity::{Caller, Permission, Scope};
use serde::{Deserialize, Serialize};

/// The whole catalog as JSON: every resource with its working copy, published version,
/// versions and review timeline, and the IT projects. Exporting, importing into an empty
/// catalog and exporting again gives the same bytes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogArchive {
    /// Always `pubdata-catalog`.
    pub format: String,
    pub format_version: u32,
    pub projects: Vec<ArchivedProject>,
    pub resources: Vec<ArchivedResource>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
#[serde(deny_unknown_fields)]
pub struct ArchivedProject {
    pub id: i64,
    pub name: String,
    pub code: Option<String>,
    pub agency_id: i64,
    pub description: String,
    pub status: String,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    pub completed_at: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchivedResource {
    pub id: i64,
    pub compiler_org_id: i64,
    pub provider_org_id: i64,
    pub state: String,
    pub working: ResourceDocument,
    pub current_version: i64,
    pub published: Option<ResourceDocument>,
    pub pending_reason: Option<String>,
    pub overlap_justification: Option<String>,
    pub project_id: Option<i64>,
    pub project_stage: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    pub versions: Vec<ArchivedVersion>,
    pub reviews: Vec<ArchivedReview>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchivedVersion {
    pub version: i64,
    pub document: ResourceDocument,
    pub reason: String,
    pub published_by: String,
    pub published_at: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
#[serde(deny_unknown_fields)]
pub struct ArchivedReview {
    pub at: String,
    pub actor_user_id: Option<i64>,
    pub actor_name: String,
    pub actor_org_id: Option<i64>,
    pub action: String,
    pub from_state: String,
    pub to_state: String,
    pub comment: String,
}

pub const ARCHIVE_FORMAT: &str = "pubdata-catalog";

/// Exports the whole catalog (`catalog.review`: the authority), recorded in the audit trail.
pub async fn export_archive(cat: &Catalog, caller: &Caller) -> Result<CatalogArchive> {
    caller.principal.require(Permission::CatalogReview)?;
    let store = cat.store();
    let projects: Vec<ArchivedProject> = sqlx::query_as(
        "SELECT id, name, code, agency_id, description, status, created_by, created_at, updated_at, completed_at FROM it_projects ORDER BY id",
    )
    .fetch_all(store.reader())
    .await?;
    let rows: Vec<resources::Row> =
        sqlx::query_as(concat!("SELECT ", resources::resource_columns!(), " FROM catalog_resources ORDER BY id"))
            .fetch_all(store.reader())
            .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let versions: Vec<(i64, String, String, String, String)> = sqlx::query_as(
            "SELECT version, document, reason, published_by, published_at FROM catalog_versions WHERE resource_id = $1 ORDER BY version",
        )
        .bind(r.id)
        .fetch_all(store.reader())
        .await?;
        let reviews: Vec<ArchivedReview> = sqlx::query_as(
            "SELECT at, actor_user_id, actor_name, actor_org_id, action, from_state, to_state, comment FROM catalog_reviews \
             WHERE resource_id = $1 ORDER BY id",
        )
        .bind(r.id)
        .fetch_all(store.reader())
        .await?;
        out.push(ArchivedResource {
            id: r.id,
            compiler_org_id: r.compiler_org_id,
            provider_org_id: r.provider_org_id,
            state: r.state.clone(),
            working: parse_document(&r.working)?,
            current_version: r.current_version,
            published: r.published.as_deref().map(parse_document).transpose()?,
            pending_reason: r.pending_reason,
            overlap_justification: r.overlap_justification,
            project_id: r.project_id,
            project_stage: r.project_stage,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
            versions: versions
                .into_iter()
                .map(|(version, document, reason, published_by, published_at)| {
                    Ok(ArchivedVersion {
                        version,
                        document: parse_document(&document)?,
                        reason,
                        published_by,
                        published_at,
                    })
                })
                .collect::<Result<_>>()?,
            reviews,
        });
    }
    store.audit().record(caller.actor(), events::catalog_exported("json", "all", out.len())).await?;
    Ok(CatalogArchive { format: ARCHIVE_FORMAT.into(), format_version: 1, projects, resources: out })
}

/// Restores an archive into an empty catalog (`catalog.review`), keeping every id, all or
/// nothing. The organisations it names must exist.
pub async fn import_archive(cat: &Catalog, caller: &Caller, archive: &CatalogArchive) -> Result<usize> {
    caller.principal.require(Permission::CatalogReview)?;
    if archive.format != ARCHIVE_FORMAT || archive.format_version != 1 {
        return Err(pubdata_domain::Error::invalid(
            "format",
            format!("不是 pubdata 目录归档（format={:?}, version={}）", archive.format, archive.format_version),
            format!("not a pubdata catalog archive (format={:?}, version={})", archive.format, archive.format_version),
        )
        .into());
    }
    let mut tx = cat.store().begin().await?;
    let (existing,): (i64,) =
        sqlx::query_as("SELECT (SELECT COUNT(*) FROM catalog_resources) + (SELECT COUNT(*) FROM it_projects)")
            .fetch_one(tx.conn())
            .await?;
    if existing > 0 {
        return Err(pubdata_domain::Error::conflict(
            "目录不为空：归档只能导入空目录（恢复或迁移）；要追加资源请使用 Excel 导入",
            "the catalog is not empty: an archive restores into an empty catalog only; use the Excel import to add resources",
        )
        .into());
    }
    let orgs: Vec<(i64,)> = sqlx::query_as("SELECT id FROM organisations").fetch_all(tx.conn()).await?;
    let known: std::collections::HashSet<i64> = orgs.into_iter().map(|(id,)| id).collect();
    let named = archive
        .projects
        .iter()
        .map(|p| p.agency_id)
        .chain(archive.resources.iter().flat_map(|r| [r.compiler_org_id, r.provider_org_id]));
    let mut missing: Vec<i64> = named.filter(|id| !known.contains(id)).collect();
    missing.sort_unstable();
    missing.dedup();
    if !missing.is_empty() {
        return Err(pubdata_domain::Error::invalid(
            "resources",
            format!("归档引用了本平台不存在的组织：{missing:?}"),
            format!("the archive refers to organisations that do not exist here: {missing:?}"),
        )
        .into());
    }
    for p in &archive.projects {
        sqlx::query(
            "INSERT INTO it_projects (id, name, code, agency_id, description, status, created_by, created_at, updated_at, completed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(p.id)
        .bind(&p.name)
        .bind(p.code.clone())
        .bind(p.agency_id)
        .bind(&p.description)
        .bind(&p.status)
        .bind(&p.created_by)
        .bind(&p.created_at)
        .bind(&p.updated_at)
        .bind(p.completed_at.clone())
        .execute(tx.conn())
        .await?;
    }
    for r in &archive.resources {
        insert_archived(&mut tx, r).await?;
        tx.record(caller.actor(), events::catalog_created(r.id, &r.working.name, r.provider_org_id, r.project_id));
    }
    if tx.backend() == Backend::Postgres {
        for table in ["catalog_resources", "it_projects"] {
            let sql = match table {
                "catalog_resources" => {
                    "SELECT setval(pg_get_serial_sequence('catalog_resources', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM catalog_resources), false)"
                }
                _ => {
                    "SELECT setval(pg_get_serial_sequence('it_projects', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM it_projects), false)"
                }
            };
            sqlx::query(sql).execute(tx.conn()).await?;
        }
    }
    tx.record(caller.actor(), events::catalog_imported("json", "archive", archive.resources.len(), 0));
    tx.commit().await?;
    cat.catch_up().await?;
    Ok(archive.resources.len())
}

async fn insert_archived(tx: &mut crate::db::WriteTx, r: &ArchivedResource) -> Result<()> {
    if pubdata_domain::catalog::ReviewState::parse(&r.state).is_none() {
        return Err(
            pubdata_domain::Error::invalid(format!("resources[{}].state", r.id), "未知状态", "unknown state").into()
        );
    }
    sqlx::query(
        "INSERT INTO catalog_resources (id, compiler_org_id, provider_org_id, state, working, current_version, published, name, \
         search_text, pending_reason, overlap_justification, project_id, project_stage, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(r.id)
    .bind(r.compiler_org_id)
    .bind(r.provider_org_id)
    .bind(&r.state)
    .bind(to_json(&r.working)?)
    .bind(r.current_version)
    .bind(r.published.as_ref().map(to_json).transpose()?)
    .bind(&r.working.name)
    .bind(resources::search_text(&r.working))
    .bind(r.pending_reason.clone())
    .bind(r.overlap_justification.clone())
    .bind(r.project_id)
    .bind(r.project_stage.clone())
    .bind(&r.created_by)
    .bind(&r.created_at)
    .bind(&r.updated_at)
    .execute(tx.conn())
    .await
    .map_err(Error::Database)?;
    for v in &r.versions {
        sqlx::query(
            "INSERT INTO catalog_versions (resource_id, version, document, reason, published_by, published_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(r.id)
        .bind(v.version)
        .bind(to_json(&v.document)?)
        .bind(&v.reason)
        .bind(&v.published_by)
        .bind(&v.published_at)
        .execute(tx.conn())
        .await?;
    }
    // Art.14: a restored published resource's review interval runs from its latest version.
    if let Some(latest) = r.versions.iter().filter(|_| r.published.is_some()).max_by_key(|v| v.version) {
        let day = pubdata_domain::timefmt::district_date(pubdata_domain::timefmt::parse_instant(&latest.published_at)?);
        crate::sharing::reevaluation::schedule_from(tx, r.id, day).await?;
    }
    for e in &r.reviews {
        sqlx::query(
            "INSERT INTO catalog_reviews (resource_id, at, actor_user_id, actor_name, actor_org_id, action, from_state, to_state, comment) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(r.id)
        .bind(&e.at)
        .bind(e.actor_user_id)
        .bind(&e.actor_name)
        .bind(e.actor_org_id)
        .bind(&e.action)
        .bind(&e.from_state)
        .bind(&e.to_state)
        .bind(&e.comment)
        .execute(tx.conn())
        .await?;
    }
    Ok(())
}

/// How an Excel or CSV import treats rows with problems.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    /// Nothing is imported unless every resource in the file is free of problems.
    AllOrNothing,
    /// Resources free of problems are imported; the others are reported.
    PerResource,
}

impl ImportMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportMode::AllOrNothing => "all_or_nothing",
            ImportMode::PerResource => "per_resource",
        }
    }

    pub fn parse(s: &str) -> Option<ImportMode> {
        match s {
            "all_or_nothing" => Some(ImportMode::AllOrNothing),
            "per_resource" => Some(ImportMode::PerResource),
            _ => None,
        }
    }
}

/// The file formats agencies import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImportFormat {
    Xlsx,
    /// The flat CSV layout; the encoding is detected unless named (`utf-8`, `gbk`, `gb18030`).
    Csv {
        encoding: Option<String>,
    },
}

impl ImportFormat {
    fn as_str(&self) -> &'static str {
        match self {
            ImportFormat::Xlsx => "xlsx",
            ImportFormat::Csv { .. } => "csv",
        }
    }
}

/// What an import did: the resources created (as drafts), how many were refused, every
/// problem located by sheet, row and column, and the downloadable error report.
#[derive(Clone, Debug, Serialize)]
pub struct ImportOutcome {
    pub created: Vec<i64>,
    pub refused: usize,
    pub problems: Vec<RowProblem>,
    pub file_problem: Option<FileProblem>,
    /// The id of the stored error report (same layout, with a problems column), if any.
    pub report_id: Option<i64>,
}

/// The active agencies and towns/streets, by name, for reading and writing templates.
pub async fn directory(cat: &Catalog) -> Result<OrgDirectory> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, name FROM organisations WHERE kind IN ('agency', 'town_street') AND status = 'active' ORDER BY id",
    )
    .fetch_all(cat.store().reader())
    .await?;
    Ok(OrgDirectory::new(rows))
}

/// The Excel template, with the provider agencies' names in its lists.
pub async fn template_xlsx(cat: &Catalog, caller: &Caller) -> Result<Vec<u8>> {
    caller.principal.require(Permission::CatalogRead)?;
    let orgs = directory(cat).await?;
    tokio::task::spawn_blocking(move || pubdata_catalog_io::template_xlsx(&orgs))
        .await
        .map_err(|e| Error::Search(e.to_string()))?
        .map_err(io_error)
}

fn io_error(e: pubdata_catalog_io::IoError) -> Error {
    let m = e.message();
    pubdata_domain::Error::invalid("file", m.zh, m.en).into()
}

/// Imports an Excel or CSV catalog as drafts compiled by the caller's agency
/// (`catalog.compile`). Either all resources or, in per-resource mode, those without problems
/// are created, in one transaction; problems are reported by sheet, row and column, and an
/// error report in the same layout is kept for download.
pub async fn import_file(
    cat: &Catalog,
    caller: &Caller,
    file_name: &str,
    bytes: Vec<u8>,
    format: ImportFormat,
    mode: ImportMode,
) -> Result<ImportOutcome> {
    caller.principal.require(Permission::CatalogCompile)?;
    let orgs = directory(cat).await?;
    let fmt = format.clone();
    let (parsed, bytes) = tokio::task::spawn_blocking(move || {
        let parsed = match &fmt {
            ImportFormat::Xlsx => pubdata_catalog_io::parse_xlsx(&bytes, &orgs),
            ImportFormat::Csv { encoding } => pubdata_catalog_io::parse_csv(&bytes, encoding.as_deref(), &orgs),
        };
        (parsed, bytes)
    })
    .await
    .map_err(|e| Error::Search(e.to_string()))?;
    let file_name: String = file_name.chars().take(200).collect();
    let (parsed, file_problem) = match parsed {
        Ok(p) => (p, None),
        Err(fp) => (Vec::new(), Some(fp)),
    };
    let problems: Vec<RowProblem> = parsed.iter().flat_map(|p| p.problems.clone()).collect();
    let with_problems = parsed.iter().filter(|p| !p.is_ok()).count();
    let importable = file_problem.is_none() && (mode == ImportMode::PerResource || with_problems == 0);
    let report = if file_problem.is_some() || !problems.is_empty() {
        let (p, fp) = (parsed.clone(), file_problem.clone());
        Some(
            tokio::task::spawn_blocking(move || pubdata_catalog_io::error_report_xlsx(&p, fp.as_ref(), &bytes))
                .await
                .map_err(|e| Error::Search(e.to_string()))?
                .map_err(io_error)?,
        )
    } else {
        None
    };
    let mut tx = cat.store().begin().await?;
    let mut created = Vec::new();
    if importable {
        for doc in parsed.iter().filter_map(|p| p.document.as_ref()) {
            created.push(resources::insert(&mut tx, caller, &doc.clone().normalized(), None).await?);
        }
    }
    let report_id = match report {
        Some(bytes) => {
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO catalog_import_reports (user_id, org_id, file_name, format, mode, created, refused, report, created_at)                  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(caller.principal.user_id.map(|u| u.0))
            .bind(caller.principal.org_id.map(|o| o.0))
            .bind(&file_name)
            .bind(format.as_str())
            .bind(mode.as_str())
            .bind(created.len() as i64)
            .bind((parsed.len() - created.len()) as i64)
            .bind(bytes)
            .bind(pubdata_domain::timefmt::format_instant(pubdata_domain::timefmt::now()))
            .fetch_one(tx.conn())
            .await?;
            Some(id)
        }
        None => None,
    };
    let refused = parsed.len() - created.len();
    tx.record(caller.actor(), events::catalog_imported(format.as_str(), &file_name, created.len(), refused));
    tx.commit().await?;
    cat.catch_up().await?;
    Ok(ImportOutcome { created, refused, problems, file_problem, report_id })
}

/// A stored import error report: (file name, xlsx bytes). Only for whoever imported it, or the
/// authority.
pub async fn import_report(cat: &Catalog, caller: &Caller, id: i64) -> Result<(String, Vec<u8>)> {
    caller.principal.require(Permission::CatalogRead)?;
    let row: Option<(Option<i64>, String, Vec<u8>)> =
        sqlx::query_as("SELECT user_id, file_name, report FROM catalog_import_reports WHERE id = $1")
            .bind(id)
            .fetch_optional(cat.store().reader())
            .await?;
    match row {
        Some((owner, name, bytes))
            if owner == caller.principal.user_id.map(|u| u.0) || caller.principal.scope() == Scope::All =>
        {
            Ok((name, bytes))
        }
        _ => Err(Error::not_found("import report", id)),
    }
}

/// Which catalog to export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportScope {
    /// The district catalog: the published version of every published resource.
    District,
    /// One organisation's catalog: the working copy of every resource it compiles or provides.
    Organisation(i64),
}

/// Exports a catalog to Excel in the template's layout (re-importable), recorded.
pub async fn export_xlsx(cat: &Catalog, caller: &Caller, scope: ExportScope) -> Result<Vec<u8>> {
    caller.principal.require(Permission::CatalogRead)?;
    let rows: Vec<resources::Row> = match scope {
        ExportScope::District => {
            sqlx::query_as(concat!(
                "SELECT ",
                resources::resource_columns!(),
                " FROM catalog_resources WHERE current_version > 0 ORDER BY id"
            ))
            .fetch_all(cat.store().reader())
            .await?
        }
        ExportScope::Organisation(org) => {
            if caller.principal.scope() != Scope::All && caller.principal.org_id.map(|o| o.0) != Some(org) {
                return Err(pubdata_domain::Error::out_of_scope(
                    "只能导出本单位的目录",
                    "you can export only your own agency's catalog",
                )
                .into());
            }
            sqlx::query_as(concat!(
                "SELECT ",
                resources::resource_columns!(),
                " FROM catalog_resources WHERE compiler_org_id = $1 OR provider_org_id = $1 ORDER BY id"
            ))
            .bind(org)
            .fetch_all(cat.store().reader())
            .await?
        }
    };
    let mut export = Vec::with_capacity(rows.len());
    for r in &rows {
        let (document, state, version) = match (scope, r.published.as_deref()) {
            (ExportScope::District, Some(p)) => {
                (parse_document(p)?, pubdata_domain::catalog::ReviewState::Published, r.current_version)
            }
            _ => (parse_document(&r.working)?, r.state(), r.current_version),
        };
        export.push(ExportRow { id: r.id, state: state.label_zh().to_string(), version, document });
    }
    let orgs: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, name FROM organisations ORDER BY id").fetch_all(cat.store().reader()).await?;
    let orgs = OrgDirectory::new(orgs);
    let count = export.len();
    let bytes = tokio::task::spawn_blocking(move || pubdata_catalog_io::export_xlsx(&export, &orgs))
        .await
        .map_err(|e| Error::Search(e.to_string()))?
        .map_err(io_error)?;
    let label = match scope {
        ExportScope::District => "district".to_string(),
        ExportScope::Organisation(o) => o.to_string(),
    };
    cat.store().audit().record(caller.actor(), events::catalog_exported("xlsx", &label, count)).await?;
    Ok(bytes)
}

/// The published catalog as DCAT-AP JSON-LD, for provincial and national portals to harvest.
/// `base_url` is the platform's public address (resource URIs are built on it).
pub async fn dcat(cat: &Catalog, caller: &Caller, base_url: &str) -> Result<serde_json::Value> {
    caller.principal.require(Permission::CatalogRead)?;
    let rows: Vec<(i64, String, i64, String, String, String)> = sqlx::query_as(
        "SELECT r.id, r.published, r.current_version, o.name,          (SELECT MIN(published_at) FROM catalog_versions v WHERE v.resource_id = r.id),          (SELECT MAX(published_at) FROM catalog_versions v WHERE v.resource_id = r.id)          FROM catalog_resources r JOIN organisations o ON o.id = r.provider_org_id WHERE r.current_version > 0 ORDER BY r.id",
    )
    .fetch_all(cat.store().reader())
    .await?;
    let base = base_url.trim_end_matches('/');
    let mut resources = Vec::with_capacity(rows.len());
    for (id, published, version, provider_name, issued, modified) in rows {
        resources.push(DcatResource {
            id,
            uri: format!("{base}/catalog/{id}"),
            version,
            issued,
            modified,
            provider_name,
            document: parse_document(&published)?,
        });
    }
    let authority: Option<(String,)> = sqlx::query_as("SELECT name FROM organisations WHERE kind = 'authority'")
        .fetch_optional(cat.store().reader())
        .await?;
    let publisher = authority.map(|(n,)| n).unwrap_or_default();
    let issued = resources.iter().map(|r| r.issued.clone()).min().unwrap_or_default();
    let modified = resources.iter().map(|r| r.modified.clone()).max().unwrap_or_default();
    let catalog = DcatCatalog {
        title: format!("{publisher}公共数据资源目录"),
        description:
            "依据《鄞州区公共数据管理办法》第七条编制的公共数据资源目录 / the public data catalog compiled under Art.7"
                .into(),
        publisher,
        homepage: format!("{base}/catalog"),
        issued,
        modified,
    };
    cat.store().audit().record(caller.actor(), events::catalog_exported("dcat", "district", resources.len())).await?;
    Ok(pubdata_catalog_io::dcat_jsonld(&catalog, &resources))
}
