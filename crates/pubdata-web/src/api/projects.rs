//! `/projects`: government IT projects and their acceptance reports (Art.8).

use crate::AppState;
use crate::auth::{Api, perm};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pubdata_domain::catalog::ResourceDocument;
use pubdata_store::catalog::projects::{self, AcceptanceReport, NewProject, Project, ProjectStage};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProject {
    pub name: String,
    pub code: Option<String>,
    /// The agency that builds and will run the system.
    pub agency_id: i64,
    #[serde(default)]
    pub description: String,
}

/// Register a government IT project (the authority).
#[utoipa::path(post, path = "/projects", tag = "projects", request_body = CreateProject,
    responses((status = 201, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    api: Api<perm::ProjectManage>,
    ApiJson(req): ApiJson<CreateProject>,
) -> ApiResult<(StatusCode, Json<Project>)> {
    let new = NewProject { name: req.name, code: req.code, agency_id: req.agency_id, description: req.description };
    Ok((StatusCode::CREATED, Json(projects::create(&state.catalog, &api.caller, new).await?)))
}

/// All projects.
#[utoipa::path(get, path = "/projects", tag = "projects", responses((status = 200, body = Vec<Object>)))]
pub async fn list(State(state): State<AppState>, api: Api<perm::CatalogRead>) -> ApiResult<Json<Vec<Project>>> {
    Ok(Json(projects::list(&state.catalog, &api.caller).await?))
}

#[derive(Serialize, ToSchema)]
pub struct ProjectDetail {
    #[schema(value_type = Object)]
    pub project: Project,
    /// The project's resources with their stage (`preliminary` or `detailed`).
    #[schema(value_type = Vec<Object>)]
    pub resources: Vec<serde_json::Value>,
}

/// One project and its catalog.
#[utoipa::path(get, path = "/projects/{id}", tag = "projects", params(("id" = i64, Path)),
    responses((status = 200, body = ProjectDetail), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    api: Api<perm::CatalogRead>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ProjectDetail>> {
    let (project, resources) = projects::get(&state.catalog, &api.caller, id).await?;
    let resources = resources
        .into_iter()
        .map(|(r, stage)| {
            let mut v = serde_json::to_value(r).unwrap_or_default();
            v["stage"] = serde_json::Value::String(stage);
            v
        })
        .collect();
    Ok(Json(ProjectDetail { project, resources }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddResource {
    /// `preliminary` (the authority, from the construction plan) or `detailed` (the agency, on completion).
    pub stage: String,
    #[schema(value_type = Object)]
    pub document: ResourceDocument,
}

/// Register a resource of the project's preliminary or detailed catalog.
#[utoipa::path(post, path = "/projects/{id}/resources", tag = "projects", params(("id" = i64, Path)), request_body = AddResource,
    responses((status = 201, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn add_resource(
    State(state): State<AppState>,
    api: Api<perm::CatalogRead>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<AddResource>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    let stage = ProjectStage::parse(&req.stage).ok_or_else(|| {
        ApiError::invalid("stage", "阶段应为 preliminary 或 detailed", "the stage is preliminary or detailed")
    })?;
    let resource_id = projects::add_resource(&state.catalog, &api.caller, id, stage, req.document).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "resource_id": resource_id, "project_id": id, "stage": stage }))))
}

/// Mark the project completed (the authority or the project's agency).
#[utoipa::path(post, path = "/projects/{id}/complete", tag = "projects", params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody)))]
pub async fn complete(
    State(state): State<AppState>,
    api: Api<perm::CatalogRead>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Project>> {
    Ok(Json(projects::complete(&state.catalog, &api.caller, id).await?))
}

/// The acceptance report: pass or fail per criterion, with evidence.
#[utoipa::path(get, path = "/projects/{id}/acceptance", tag = "projects", params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
pub async fn acceptance(
    State(state): State<AppState>,
    api: Api<perm::CatalogRead>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<AcceptanceReport>> {
    Ok(Json(projects::acceptance_report(&state.catalog, &api.caller, id).await?))
}
