//! `/grants/{id}/usage`: how a grant is used through the sharing channel (Art.16), per district
//! day: calls, refusals and rows returned. Its consumer, its provider, the authority and
//! supervisors see it, as they see the grant.

use crate::AppState;
use crate::auth::{Api, perm};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiPath, ApiQuery};
use axum::Json;
use axum::extract::State;
use pubdata_store::gateway_usage::{self, GrantUsage};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
pub struct UsageParams {
    /// How many days back from today (1-366, default 30).
    pub days: Option<i64>,
}

/// A grant's use per day, newest first, with totals. Counts reach the database every few
/// seconds from each instance.
#[utoipa::path(get, path = "/grants/{id}/usage", tag = "sharing", params(("id" = i64, Path), UsageParams),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn grant_usage(
    State(state): State<AppState>,
    api: Api<perm::SharingRead>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<UsageParams>,
) -> ApiResult<Json<GrantUsage>> {
    Ok(Json(gateway_usage::grant_usage(&state.store, &api.caller, id, q.days.unwrap_or(30)).await?))
}
