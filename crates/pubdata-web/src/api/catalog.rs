//! `/catalog`: registering resources, their review and versions, search with facets, the
//! repeated-collection check, the agency catalog and the review queue (Ch.2).

use crate::AppState;
use crate::auth::{Api, perm};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pubdata_domain::catalog::{DataItem, ResourceDocument, ReviewAction};
use pubdata_domain::ids::OrgId;
use pubdata_search::{Filters, SearchQuery};
use pubdata_store::catalog::resources::{self, VersionRef};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    /// Chinese words, e.g. `企业 登记` (empty: everything visible, newest first).
    pub q: Option<String>,
    pub provider_org_id: Option<i64>,
    /// `unconditional`, `restricted`, `not_shared`
    pub share: Option<String>,
    /// `unconditional`, `restricted`, `prohibited`
    pub open: Option<String>,
    /// `L1`…`L4`
    pub level: Option<String>,
    pub category: Option<String>,
    /// `api`, `bulk`, `file`
    pub delivery: Option<String>,
    pub update_cycle: Option<String>,
    /// `published`, `draft`, `submitted`, `provider_confirmed`, `approved`
    pub state: Option<String>,
    pub offset: Option<usize>,
    /// 1 to 100, default 20.
    pub limit: Option<usize>,
}

impl SearchParams {
    pub(crate) fn query(&self) -> ApiResult<SearchQuery> {
        let text = self.q.clone().unwrap_or_default();
        if text.chars().count() > 200 {
            return Err(ApiError::invalid(
                "q",
                "查询词不能超过 200 个字符",
                "the query must not exceed 200 characters",
            ));
        }
        let nonempty = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
        Ok(SearchQuery {
            text,
            filters: Filters {
                provider_org_id: self.provider_org_id,
                share: nonempty(&self.share),
                open: nonempty(&self.open),
                level: nonempty(&self.level),
                category: nonempty(&self.category),
                delivery: nonempty(&self.delivery),
                update_cycle: nonempty(&self.update_cycle),
                state: nonempty(&self.state),
            },
            offset: self.offset.unwrap_or(0).min(100_000),
            limit: self.limit.unwrap_or(20).clamp(1, 100),
        })
    }
}

/// Search results as the API returns them.
#[derive(Serialize, ToSchema)]
pub struct SearchResponse {
    pub total: usize,
    #[schema(value_type = Vec<Object>)]
    pub hits: Vec<serde_json::Value>,
    /// Counts per value of each facet (provider, share, open, level, category, delivery, update_cycle, state).
    #[schema(value_type = Object)]
    pub facets: serde_json::Value,
}

/// Chinese full-text search over the catalog with facets; drafts only for their own agency
/// and the authority.
#[utoipa::path(get, path = "/catalog/resources", tag = "catalog", params(SearchParams),
    responses((status = 200, body = SearchResponse), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    api: Api<perm::CatalogRead>,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> ApiResult<Json<SearchResponse>> {
    let results = state.catalog.search(&api.caller, &p.query()?).await?;
    Ok(Json(SearchResponse {
        total: results.total,
        hits: results.hits.iter().map(|h| serde_json::to_value(h).unwrap_or_default()).collect(),
        facets: serde_json::to_value(&results.facets).unwrap_or_default(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateResource {
    /// The registration: name, business_name, source_system, description, provider_org_id,
    /// category, level, storage_format, share, open, delivery, update_cycle, share_term,
    /// contact_name, contact_phone, contact_email, state_secret, items.
    #[schema(value_type = Object)]
    pub document: ResourceDocument,
}

/// Register a resource as a draft of the caller's agency.
#[utoipa::path(post, path = "/catalog/resources", tag = "catalog", request_body = CreateResource,
    responses((status = 201, description = "The resource, as `GET /catalog/resources/{id}` shows it", body = Object),
        (status = 400, description = "Every problem, with its field, in `details`", body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    api: Api<perm::CatalogCompile>,
    ApiJson(req): ApiJson<CreateResource>,
) -> ApiResult<(StatusCode, Json<resources::ResourceDetail>)> {
    let id = resources::create(&state.catalog, &api.caller, req.document).await?;
    Ok((StatusCode::CREATED, Json(resources::get(&state.catalog, &api.caller, id).await?)))
}

/// One resource: its working copy (for its agencies and the authority), published version,
/// versions, review timeline and the actions available to the caller.
#[utoipa::path(get, path = "/catalog/resources/{id}", tag = "catalog", params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    api: Api<perm::CatalogRead>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<resources::ResourceDetail>> {
    Ok(Json(resources::get(&state.catalog, &api.caller, id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateResource {
    #[schema(value_type = Object)]
    pub document: ResourceDocument,
    /// Why it changes (required once the resource has been published, Art.8).
    #[serde(default)]
    pub reason: String,
}

/// Change a resource. Drafts are replaced; a published resource gets a new version at once for
/// contact/description changes, otherwise a revision that goes through review again.
#[utoipa::path(put, path = "/catalog/resources/{id}", tag = "catalog", params(("id" = i64, Path)), request_body = UpdateResource,
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    api: Api<perm::CatalogCompile>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<UpdateResource>,
) -> ApiResult<Json<resources::ResourceDetail>> {
    Ok(Json(resources::update(&state.catalog, &api.caller, id, req.document, &req.reason).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    /// `submit`, `confirm`, `approve`, `publish` or `return`.
    pub action: String,
    /// The reviewer's opinion (required for `return`).
    #[serde(default)]
    pub comment: String,
    /// Why data items others already share are collected again (Art.9), when submitting.
    pub overlap_justification: Option<String>,
}

/// Take a review step (Art.7).
#[utoipa::path(post, path = "/catalog/resources/{id}/review", tag = "catalog", params(("id" = i64, Path)), request_body = ReviewRequest,
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn review(
    State(state): State<AppState>,
    api: Api<perm::CatalogRead>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<ReviewRequest>,
) -> ApiResult<Json<resources::ResourceDetail>> {
    let action = ReviewAction::parse(&req.action).ok_or_else(|| {
        ApiError::invalid(
            "action",
            format!("未知操作 {:?}", req.action),
            format!("unknown action {:?}: submit, confirm, approve, publish or return", req.action),
        )
    })?;
    Ok(Json(
        resources::review(&state.catalog, &api.caller, id, action, &req.comment, req.overlap_justification.as_deref())
            .await?,
    ))
}

/// Abandon a revision of a published resource.
#[utoipa::path(post, path = "/catalog/resources/{id}/discard", tag = "catalog", params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 409, body = ErrorBody)))]
pub async fn discard(
    State(state): State<AppState>,
    api: Api<perm::CatalogCompile>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<resources::ResourceDetail>> {
    Ok(Json(resources::discard_revision(&state.catalog, &api.caller, id).await?))
}

pub(crate) fn version_ref(field: &str, s: &str) -> ApiResult<VersionRef> {
    if s == "working" {
        return Ok(VersionRef::Working);
    }
    s.parse::<i64>().map(VersionRef::Version).map_err(|_| {
        ApiError::invalid(
            field,
            format!("版本应为数字或 working，而不是 {s:?}"),
            format!("a version is a number or `working`, not {s:?}"),
        )
    })
}

/// One version's document (`working` for the working copy).
#[utoipa::path(get, path = "/catalog/resources/{id}/versions/{version}", tag = "catalog",
    params(("id" = i64, Path), ("version" = String, Path, description = "a version number or `working`")),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
pub async fn version(
    State(state): State<AppState>,
    api: Api<perm::CatalogRead>,
    ApiPath((id, v)): ApiPath<(i64, String)>,
) -> ApiResult<Json<ResourceDocument>> {
    Ok(Json(resources::version(&state.catalog, &api.caller, id, version_ref("version", &v)?).await?))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DiffParams {
    /// A version number or `working`.
    pub from: String,
    pub to: String,
}

/// Field-by-field differences between two versions (Art.8).
#[utoipa::path(get, path = "/catalog/resources/{id}/diff", tag = "catalog", params(("id" = i64, Path), DiffParams),
    responses((status = 200, body = Vec<Object>), (status = 404, body = ErrorBody)))]
pub async fn diff(
    State(state): State<AppState>,
    api: Api<perm::CatalogRead>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(p): ApiQuery<DiffParams>,
) -> ApiResult<Json<Vec<pubdata_domain::catalog::Change>>> {
    let from = version_ref("from", &p.from)?;
    let to = version_ref("to", &p.to)?;
    Ok(Json(resources::compare(&state.catalog, &api.caller, id, from, to).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverlapRequest {
    /// The agency that will provide the items (its own items do not count as overlaps).
    pub provider_org_id: i64,
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<DataItem>,
}

/// Items other agencies already provide for sharing (Art.9), while registering.
#[utoipa::path(post, path = "/catalog/overlaps", tag = "catalog", request_body = OverlapRequest,
    responses((status = 200, body = Vec<Object>), (status = 400, body = ErrorBody)))]
pub async fn overlaps(
    State(state): State<AppState>,
    api: Api<perm::CatalogCompile>,
    ApiJson(req): ApiJson<OverlapRequest>,
) -> ApiResult<Json<serde_json::Value>> {
    if req.items.len() > 500 {
        return Err(ApiError::invalid("items", "数据项不能超过 500 个", "at most 500 data items"));
    }
    let probe = pubdata_domain::catalog::ResourceDocument {
        provider_org_id: req.provider_org_id,
        items: req.items,
        ..probe_document()
    };
    let found = resources::overlaps(&state.catalog, &api.caller, &probe).await?;
    Ok(Json(serde_json::to_value(found).unwrap_or_default()))
}

/// A document carrying only items, for the overlap check.
fn probe_document() -> ResourceDocument {
    use pubdata_domain::catalog::*;
    ResourceDocument {
        name: String::new(),
        business_name: String::new(),
        source_system: String::new(),
        description: String::new(),
        provider_org_id: 0,
        category: String::new(),
        level: Level::L1,
        storage_format: StorageFormat::Other,
        share: ShareAttribute::Unconditional,
        open: OpenAttribute::Unconditional,
        delivery: Vec::new(),
        update_cycle: UpdateCycle::Irregular,
        share_term: ShareTerm::LongTerm,
        contact_name: String::new(),
        contact_phone: String::new(),
        contact_email: String::new(),
        state_secret: false,
        items: Vec::new(),
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MineParams {
    /// For the authority: one organisation's catalog (default: all).
    pub org_id: Option<i64>,
}

/// An agency's own catalog in every state (the caller's agency; the authority may choose).
#[utoipa::path(get, path = "/catalog/mine", tag = "catalog", params(MineParams),
    responses((status = 200, body = Vec<Object>)))]
pub async fn mine(
    State(state): State<AppState>,
    api: Api<perm::CatalogRead>,
    ApiQuery(p): ApiQuery<MineParams>,
) -> ApiResult<Json<Vec<resources::ResourceSummary>>> {
    Ok(Json(resources::agency_catalog(&state.catalog, &api.caller, p.org_id.map(OrgId)).await?))
}

/// Resources waiting for the caller's review step.
#[utoipa::path(get, path = "/catalog/review-queue", tag = "catalog", responses((status = 200, body = Vec<Object>)))]
pub async fn review_queue(
    State(state): State<AppState>,
    api: Api<perm::CatalogRead>,
) -> ApiResult<Json<Vec<resources::ResourceSummary>>> {
    Ok(Json(resources::review_queue(&state.catalog, &api.caller).await?))
}
