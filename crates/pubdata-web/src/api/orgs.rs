//! `/organisations`: the district's organisation tree.

use super::views::OrgView;
use crate::AppState;
use crate::auth::{Api, perm};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pubdata_domain::identity::{AgencyCategory, NewOrganisation, OrgKind, OrgName, OrgStatus, OrganisationChange};
use pubdata_domain::ids::OrgId;
use pubdata_store::identity::orgs;
use serde::Deserialize;
use utoipa::ToSchema;

/// The organisation tree, parents before children.
#[utoipa::path(get, path = "/organisations", tag = "organisations",
    responses((status = 200, body = Vec<OrgView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>, api: Api<perm::OrgRead>) -> ApiResult<Json<Vec<OrgView>>> {
    let all = orgs::list(&state.store, &api.caller).await?;
    let depths = orgs::depths(&all);
    Ok(Json(all.iter().zip(depths).map(|(o, d)| OrgView::new(o, Some(d))).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrg {
    pub parent_id: i64,
    /// `agency`, `town_street`, `service_unit`.
    pub kind: String,
    /// Required for agencies: `department`, `authorised`, `utility`, `dispatched`.
    pub category: Option<String>,
    pub name: String,
    pub name_en: Option<String>,
    /// 统一社会信用代码 (GB 32100), checked.
    pub credit_code: Option<String>,
}

pub(crate) fn parse_kind(s: &str) -> ApiResult<OrgKind> {
    OrgKind::parse(s).ok_or_else(|| {
        ApiError::invalid("kind", format!("未知的组织类型 {s:?}"), format!("unknown organisation kind {s:?}"))
    })
}

pub(crate) fn parse_category(s: Option<&str>) -> ApiResult<Option<AgencyCategory>> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(c) => AgencyCategory::parse(c).map(Some).ok_or_else(|| {
            ApiError::invalid("category", format!("未知的机构类别 {c:?}"), format!("unknown agency category {c:?}"))
        }),
    }
}

/// Add an organisation (authority administrators).
#[utoipa::path(post, path = "/organisations", tag = "organisations",
    request_body = CreateOrg,
    responses((status = 201, body = OrgView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    api: Api<perm::OrgManage>,
    ApiJson(req): ApiJson<CreateOrg>,
) -> ApiResult<(StatusCode, Json<OrgView>)> {
    let new = NewOrganisation::new(
        Some(OrgId(req.parent_id)),
        parse_kind(&req.kind)?,
        parse_category(req.category.as_deref())?,
        OrgName::parse(&req.name, req.name_en.as_deref())?,
        req.credit_code.as_deref(),
    )?;
    let org = orgs::create(&state.store, &api.caller, new).await?;
    Ok((StatusCode::CREATED, Json(OrgView::new(&org, None))))
}

/// One organisation.
#[utoipa::path(get, path = "/organisations/{id}", tag = "organisations",
    params(("id" = i64, Path)),
    responses((status = 200, body = OrgView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    api: Api<perm::OrgRead>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<OrgView>> {
    let org = orgs::get(&state.store, &api.caller, OrgId(id)).await?;
    Ok(Json(OrgView::new(&org, None)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrg {
    pub parent_id: Option<i64>,
    pub category: Option<String>,
    /// The Chinese name; give `name_en` with it to change both.
    pub name: Option<String>,
    pub name_en: Option<String>,
    /// An empty string clears the code.
    pub credit_code: Option<String>,
    /// `active` or `inactive`.
    pub status: Option<String>,
}

/// Edit an organisation (authority administrators).
#[utoipa::path(patch, path = "/organisations/{id}", tag = "organisations",
    params(("id" = i64, Path)),
    request_body = UpdateOrg,
    responses((status = 200, body = OrgView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    api: Api<perm::OrgManage>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<UpdateOrg>,
) -> ApiResult<Json<OrgView>> {
    let change = org_change(
        req.parent_id,
        req.category.as_deref(),
        req.name.as_deref(),
        req.name_en.as_deref(),
        req.credit_code.as_deref(),
        req.status.as_deref(),
    )?;
    let org = orgs::update(&state.store, &api.caller, OrgId(id), change).await?;
    Ok(Json(OrgView::new(&org, None)))
}

/// Builds a validated change from optional text fields (shared with the edit page).
pub(crate) fn org_change(
    parent_id: Option<i64>,
    category: Option<&str>,
    name: Option<&str>,
    name_en: Option<&str>,
    credit_code: Option<&str>,
    status: Option<&str>,
) -> ApiResult<OrganisationChange> {
    let status = status
        .map(|s| {
            OrgStatus::parse(s).ok_or_else(|| {
                ApiError::invalid("status", "状态应为 active 或 inactive", "status must be active or inactive")
            })
        })
        .transpose()?;
    let credit_code = credit_code
        .map(|c| {
            let c = c.trim();
            if c.is_empty() {
                Ok(None)
            } else {
                pubdata_domain::identifiers::CreditCode::parse("credit_code", c).map(Some)
            }
        })
        .transpose()?;
    Ok(OrganisationChange {
        parent_id: parent_id.map(OrgId),
        category: parse_category(category)?,
        name: name.map(|n| OrgName::parse(n, name_en)).transpose()?,
        credit_code,
        status,
    })
}
