//! Government IT projects (Art.8): a project carries a preliminary catalog from its plan; on
//! completion its agency registers the detailed catalog, which is then published, aggregated
//! and shared. The acceptance report checks each of these with evidence.

use super::index::{Catalog, parse_document};
use super::resources::{self, ProjectLink, ResourceSummary};
use crate::error::{Error, Result};
use crate::identity::orgs;
use pubdata_domain::audit::events;
use pubdata_domain::catalog::{ResourceDocument, ReviewState};
use pubdata_domain::error::check_length;
use pubdata_domain::identity::{Caller, OrgKind, Permission};
use pubdata_domain::ids::OrgId;
use pubdata_domain::{Text, timefmt};
use serde::Serialize;
use serde_json::json;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectStage {
    /// 初步数据目录 (in the construction plan)
    Preliminary,
    /// 详细数据目录 (registered on completion)
    Detailed,
}

impl ProjectStage {
    pub fn as_str(self) -> &'static str {
        match self {
            ProjectStage::Preliminary => "preliminary",
            ProjectStage::Detailed => "detailed",
        }
    }

    pub fn parse(s: &str) -> Option<ProjectStage> {
        match s {
            "preliminary" => Some(ProjectStage::Preliminary),
            "detailed" => Some(ProjectStage::Detailed),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Project {
    pub id: i64,
    pub name: String,
    pub code: Option<String>,
    pub agency_id: i64,
    pub description: String,
    /// `preliminary` (under construction) or `completed`.
    pub status: String,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    pub completed_at: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct NewProject {
    pub name: String,
    pub code: Option<String>,
    pub agency_id: i64,
    pub description: String,
}

macro_rules! project_columns {
    () => {
        "id, name, code, agency_id, description, status, created_by, created_at, updated_at, completed_at"
    };
}

/// Registers a project (`project.manage`: the authority).
pub async fn create(cat: &Catalog, caller: &Caller, new: NewProject) -> Result<Project> {
    caller.principal.require(Permission::ProjectManage)?;
    let name = new.name.trim();
    check_length("name", name, 2, 100)?;
    check_length("description", new.description.trim(), 0, 2000)?;
    let code = new.code.as_deref().map(str::trim).filter(|c| !c.is_empty());
    if let Some(c) = code {
        check_length("code", c, 1, 64)?;
    }
    let mut tx = cat.store().begin().await?;
    let agency = orgs::fetch(tx.conn(), OrgId(new.agency_id))
        .await
        .map_err(|_| pubdata_domain::Error::invalid("agency_id", "建设单位不存在", "the agency does not exist"))?;
    if !matches!(agency.kind, OrgKind::Agency | OrgKind::TownStreet) {
        return Err(pubdata_domain::Error::invalid(
            "agency_id",
            "建设单位须为公共管理和服务机构或镇（街道）",
            "the project's agency must be an agency or town/street",
        )
        .into());
    }
    let now = timefmt::format_instant(timefmt::now());
    let project: Project = sqlx::query_as(concat!(
        "INSERT INTO it_projects (name, code, agency_id, description, status, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'preliminary', $5, $6, $6) RETURNING ",
        project_columns!()
    ))
    .bind(name)
    .bind(code)
    .bind(new.agency_id)
    .bind(new.description.trim())
    .bind(&caller.principal.username)
    .bind(&now)
    .fetch_one(tx.conn())
    .await
    .map_err(Error::on_duplicate("name", "已有同名或同编号的项目", "a project with this name or code exists"))?;
    tx.record(caller.actor(), events::project_created(project.id, &project.name, project.agency_id));
    tx.commit().await?;
    Ok(project)
}

pub async fn list(cat: &Catalog, caller: &Caller) -> Result<Vec<Project>> {
    caller.principal.require(Permission::CatalogRead)?;
    Ok(sqlx::query_as(concat!("SELECT ", project_columns!(), " FROM it_projects ORDER BY id DESC"))
        .fetch_all(cat.store().reader())
        .await?)
}

pub async fn get(cat: &Catalog, caller: &Caller, id: i64) -> Result<(Project, Vec<(ResourceSummary, String)>)> {
    caller.principal.require(Permission::CatalogRead)?;
    let project: Project = sqlx::query_as(concat!("SELECT ", project_columns!(), " FROM it_projects WHERE id = $1"))
        .bind(id)
        .fetch_optional(cat.store().reader())
        .await?
        .ok_or_else(|| Error::not_found("it_project", id))?;
    #[derive(sqlx::FromRow)]
    struct StagedRow {
        #[sqlx(flatten)]
        summary: ResourceSummary,
        project_stage: String,
    }
    let rows: Vec<StagedRow> = sqlx::query_as(
        "SELECT id, name, compiler_org_id, provider_org_id, state, current_version, project_id, updated_at, project_stage \
         FROM catalog_resources WHERE project_id = $1 ORDER BY project_stage, id",
    )
    .bind(id)
    .fetch_all(cat.store().reader())
    .await?;
    let resources = rows.into_iter().map(|r| (r.summary, r.project_stage)).collect();
    Ok((project, resources))
}

/// Registers a resource of the project's catalog: the preliminary catalog by the authority
/// (`project.manage`), the detailed catalog by the project's agency (`catalog.compile`).
pub async fn add_resource(
    cat: &Catalog,
    caller: &Caller,
    project_id: i64,
    stage: ProjectStage,
    doc: ResourceDocument,
) -> Result<i64> {
    let (project, _) = get(cat, caller, project_id).await?;
    match stage {
        ProjectStage::Preliminary => caller.principal.require(Permission::ProjectManage)?,
        ProjectStage::Detailed => {
            caller.principal.require(Permission::CatalogCompile)?;
            if !caller.principal.has(Permission::ProjectManage)
                && caller.principal.org_id != Some(OrgId(project.agency_id))
            {
                return Err(pubdata_domain::Error::out_of_scope(
                    "只有项目建设单位可以登记详细目录",
                    "only the project's agency registers its detailed catalog",
                )
                .into());
            }
        }
    }
    if doc.provider_org_id != project.agency_id {
        return Err(pubdata_domain::Error::invalid(
            "provider_org_id",
            "项目目录的提供单位应为项目建设单位",
            "a project's resources are provided by its agency",
        )
        .into());
    }
    resources::create_in(cat, caller, doc, Some(ProjectLink { project_id, stage })).await
}

/// Marks a project completed (`project.manage`, or the project's agency).
pub async fn complete(cat: &Catalog, caller: &Caller, id: i64) -> Result<Project> {
    let (project, _) = get(cat, caller, id).await?;
    if !caller.principal.has(Permission::ProjectManage) {
        caller.principal.require(Permission::CatalogCompile)?;
        if caller.principal.org_id != Some(OrgId(project.agency_id)) {
            return Err(pubdata_domain::Error::out_of_scope(
                "只有项目建设单位或主管部门可以标记项目完成",
                "only the project's agency or the authority can complete it",
            )
            .into());
        }
    }
    if project.status == "completed" {
        return Ok(project);
    }
    let now = timefmt::format_instant(timefmt::now());
    let mut tx = cat.store().begin().await?;
    let done: Project = sqlx::query_as(concat!(
        "UPDATE it_projects SET status = 'completed', completed_at = $1, updated_at = $1 WHERE id = $2 RETURNING ",
        project_columns!()
    ))
    .bind(&now)
    .bind(id)
    .fetch_one(tx.conn())
    .await?;
    tx.record(
        caller.actor(),
        events::project_updated(id, json!({ "status": { "before": "preliminary", "after": "completed" } })),
    );
    tx.commit().await?;
    Ok(done)
}

/// One line of evidence: a resource and whether it meets the criterion, and why.
#[derive(Clone, Debug, Serialize)]
pub struct Evidence {
    pub resource_id: Option<i64>,
    pub resource_name: String,
    pub passed: bool,
    pub note: Text,
}

#[derive(Clone, Debug, Serialize)]
pub struct Criterion {
    pub code: &'static str,
    pub title: Text,
    pub passed: bool,
    pub evidence: Vec<Evidence>,
}

/// The acceptance report of Art.8: pass or fail per criterion, with evidence.
#[derive(Clone, Debug, Serialize)]
pub struct AcceptanceReport {
    pub project: Project,
    pub agency_name: String,
    pub generated_at: String,
    pub passed: bool,
    pub criteria: Vec<Criterion>,
}

/// Produces the acceptance report (recorded in the audit trail).
pub async fn acceptance_report(cat: &Catalog, caller: &Caller, id: i64) -> Result<AcceptanceReport> {
    let (project, resources) = get(cat, caller, id).await?;
    let agency_name = orgs::fetch(&mut *cat.store().reader().acquire().await?, OrgId(project.agency_id)).await?.name;
    let detailed: Vec<&ResourceSummary> =
        resources.iter().filter(|(_, stage)| stage == "detailed").map(|(r, _)| r).collect();

    let mut published = Vec::new();
    for r in &detailed {
        let ok = r.current_version > 0 && r.state == ReviewState::Published.as_str();
        let state = ReviewState::parse(&r.state).unwrap_or(ReviewState::Draft);
        published.push(Evidence {
            resource_id: Some(r.id),
            resource_name: r.name.clone(),
            passed: ok,
            note: if ok {
                Text::new(
                    format!("已发布，第 {} 版", r.current_version),
                    format!("published, version {}", r.current_version),
                )
            } else {
                Text::new(format!("未发布（{}）", state.label_zh()), format!("not published ({})", state.label_en()))
            },
        });
    }
    if detailed.is_empty() {
        published.push(Evidence {
            resource_id: None,
            resource_name: String::new(),
            passed: false,
            note: Text::new("尚未登记详细数据目录", "no detailed catalog has been registered"),
        });
    }

    // Aggregation (Ch.3) and the sharing channel (Ch.4) are later capabilities: until they
    // exist no resource can have delivered data or be reachable, and the report says so.
    let aggregated: Vec<Evidence> = detailed
        .iter()
        .map(|r| Evidence {
            resource_id: Some(r.id),
            resource_name: r.name.clone(),
            passed: false,
            note: Text::new("尚未归集数据（no data delivered）", "no data delivered"),
        })
        .collect();
    let mut reachable = Vec::new();
    for r in &detailed {
        let (doc,): (String,) = sqlx::query_as("SELECT working FROM catalog_resources WHERE id = $1")
            .bind(r.id)
            .fetch_one(cat.store().reader())
            .await?;
        let doc = parse_document(&doc)?;
        if doc.share.is_shareable() {
            reachable.push(Evidence {
                resource_id: Some(r.id),
                resource_name: r.name.clone(),
                passed: false,
                note: Text::new("共享通道尚不可获取该资源", "not reachable through the sharing channel"),
            });
        } else {
            reachable.push(Evidence {
                resource_id: Some(r.id),
                resource_name: r.name.clone(),
                passed: true,
                note: Text::new("不共享资源，不适用", "not shared: not applicable"),
            });
        }
    }
    let criterion = |code, zh: &str, en: &str, evidence: Vec<Evidence>| Criterion {
        code,
        title: Text::new(zh.to_string(), en.to_string()),
        passed: !evidence.is_empty() && evidence.iter().all(|e| e.passed),
        evidence,
    };
    let criteria = vec![
        criterion(
            "catalog_published",
            "详细数据目录已更新至公共数据资源目录并发布",
            "the detailed catalog is published in the public data catalog",
            published,
        ),
        criterion("data_aggregated", "每个资源均已按本办法归集数据", "every resource has aggregated data", aggregated),
        criterion(
            "sharing_reachable",
            "每个可共享资源均可通过共享通道获取",
            "every shareable resource is reachable through the sharing channel",
            reachable,
        ),
    ];
    let passed = project.status == "completed" && criteria.iter().all(|c| c.passed);
    store_report_event(cat, caller, id, passed).await?;
    Ok(AcceptanceReport {
        project,
        agency_name,
        generated_at: timefmt::format_instant(timefmt::now()),
        passed,
        criteria,
    })
}

async fn store_report_event(cat: &Catalog, caller: &Caller, id: i64, passed: bool) -> Result<()> {
    cat.store().audit().record(caller.actor(), events::project_reported(id, passed)).await?;
    Ok(())
}
