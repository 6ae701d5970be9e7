//! The sharing channel's HTTP face (Art.15: shared data flows through the platform's one
//! channel), under `/gateway/v1`. Calls come from consumer agencies' systems, signed with their
//! client application's secret (see `pubdata_domain::client_app::signature`); the [`Gateway`]
//! extractor authenticates them before any handler runs, and every refusal is audited with its
//! reason. An authenticated call is then admitted within its application's rate and daily
//! quota (`gateway_limits`). Each answered call writes its own audit entry before the answer
//! leaves (Art.16), and is counted for the usage pages (`pubdata_store::gateway_usage`). The
//! call's nonce is claimed in that entry's commit (`client_apps::record_for`): a replay gets the
//! refusal of a replay, never the data it read. A call that changes something first (an export
//! request) claims its nonce before (`client_apps::claim_nonce`).

use crate::AppState;
use crate::auth::source_of;
use crate::error::{ApiError, ApiResult};
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::routing::get;
use axum::{Json, Router};
use pubdata_domain::client_app::signature::{MAX_BODY_BYTES, headers};
use pubdata_domain::client_app::{GatewayCaller, Refusal, SignatureMethod};
use pubdata_store::client_apps::{self, GatewayCall};
use serde::Serialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/gateway/v1/whoami", get(whoami))
        .merge(crate::gateway_records::router())
        .merge(crate::gateway_exports::router())
}

/// A gateway call whose signature checked out: the calling application, and the body it signed.
pub struct Gateway {
    pub caller: GatewayCaller,
    pub body: Bytes,
    /// When the call arrived, before its signature was checked: the start of its latency.
    pub started: std::time::Instant,
}

impl FromRequest<AppState> for Gateway {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let started = std::time::Instant::now();
        let (parts, body) = request.into_parts();
        let source = source_of(&parts, state);
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
        let (method, path) = (parts.method.as_str(), parts.uri.path());
        let Ok(body) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
            let refusal = Refusal::BodyTooLarge;
            client_apps::refuse(&state.store, &source, None, header(headers::APP_KEY), refusal, method, path).await?;
            return Err(refusal.into());
        };
        let call = GatewayCall {
            app_key: header(headers::APP_KEY),
            timestamp: header(headers::TIMESTAMP),
            nonce: header(headers::NONCE),
            signature_method: header(headers::SIGNATURE_METHOD),
            signature: header(headers::SIGNATURE),
            method,
            path,
            query: parts.uri.query().unwrap_or(""),
            body: &body,
        };
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        match client_apps::authenticate_call(&state.store, &state.config.sharing_key, &call, &source, now).await? {
            Ok(caller) => {
                crate::gateway_limits::admit(state, &caller, method, path).await?;
                Ok(Gateway { caller, body, started })
            }
            Err(refusal) => Err(refusal.into()),
        }
    }
}

/// Who the channel takes a caller for.
#[derive(Serialize)]
pub struct WhoAmI {
    pub app_id: i64,
    pub app_key: String,
    pub app_name: String,
    pub org_id: i64,
    pub org_name: String,
    pub signature_method: SignatureMethod,
}

/// `GET /gateway/v1/whoami`: the application and agency a signed call authenticates as, so
/// that a consumer can test its signing before any data flows.
async fn whoami(State(state): State<AppState>, gateway: Gateway) -> ApiResult<Json<WhoAmI>> {
    let c = gateway.caller;
    client_apps::record_call(&state.store, &c, "GET", "/gateway/v1/whoami", 200, serde_json::json!({})).await??;
    state.usage.record(
        c.app_id,
        None,
        pubdata_domain::timefmt::district_date(pubdata_domain::timefmt::now()),
        0,
        false,
    );
    Ok(Json(WhoAmI {
        app_id: c.app_id,
        app_key: c.app_key,
        app_name: c.app_name,
        org_id: c.consumer_org.0,
        org_name: c.consumer_org_name,
        signature_method: c.signature_method,
    }))
}
