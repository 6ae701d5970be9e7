//! `/share-reviews` and `/catalog/resources/{id}/share-reviews`: the periodic re-evaluation of
//! published resources' share attributes (Art.14). The providing agency sees its resources'
//! reviews as they fall due and records each outcome; the authority and supervisors see all.

use crate::AppState;
use crate::auth::{Api, perm};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, code_param};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pubdata_domain::sharing::reevaluation::{ReviewOutcome, ShareReviewInput, ShareReviewList};
use pubdata_store::sharing::reevaluation::{self, ShareReviewRecord, ShareReviewView};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// `due` (the default: due within a month, overdue, or under revision), `overdue` or `all`.
    pub state: Option<String>,
}

/// Published resources' share-attribute reviews, most urgent first, each with its next review
/// date (the configured interval after the latest publication or `kept` review) and status.
#[utoipa::path(get, path = "/share-reviews", tag = "sharing", params(ListParams),
    responses((status = 200, body = Vec<Object>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    api: Api<perm::SharingRead>,
    ApiQuery(q): ApiQuery<ListParams>,
) -> ApiResult<Json<Vec<ShareReviewView>>> {
    let which = code_param("state", "列表", q.state.as_deref(), ShareReviewList::parse, &["due", "overdue", "all"])?
        .unwrap_or(ShareReviewList::Due);
    Ok(Json(reevaluation::list(&state.store, &state.config.sharing, &api.caller, which).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordReview {
    /// `kept` (the share attribute stays; the next interval starts today) or `to_revise` (the
    /// resource is under revision until it is published again).
    pub outcome: String,
    /// The grounds; required for `to_revise`, at most 1,000 characters.
    #[serde(default)]
    pub comment: String,
}

impl RecordReview {
    pub fn parse(self) -> ApiResult<ShareReviewInput> {
        let outcome =
            code_param("outcome", "评估结论", Some(&self.outcome), ReviewOutcome::parse, &["kept", "to_revise"])?
                .ok_or_else(|| {
                    pubdata_domain::Error::invalid("outcome", "请选择评估结论", "choose an outcome: kept or to_revise")
                })?;
        Ok(ShareReviewInput { outcome, comment: self.comment })
    }
}

/// The providing agency records its review of a published resource's share attribute.
#[utoipa::path(post, path = "/catalog/resources/{id}/share-reviews", tag = "sharing", params(("id" = i64, Path)),
    request_body = RecordReview,
    responses((status = 201, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn record(
    State(state): State<AppState>,
    api: Api<perm::CatalogCompile>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<RecordReview>,
) -> ApiResult<(StatusCode, Json<ShareReviewRecord>)> {
    let input = body.parse()?;
    let recorded = reevaluation::record(&state.store, &state.config.sharing, &api.caller, id, input).await?;
    Ok((StatusCode::CREATED, Json(recorded)))
}

/// A resource's recorded share-attribute reviews, newest first.
#[utoipa::path(get, path = "/catalog/resources/{id}/share-reviews", tag = "sharing", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Object>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn history(
    State(state): State<AppState>,
    api: Api<perm::SharingRead>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<ShareReviewRecord>>> {
    Ok(Json(reevaluation::history(&state.store, &api.caller, id).await?))
}
