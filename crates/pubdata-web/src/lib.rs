//! pubdata's HTTP face: the JSON API under `/api/v1` (with its OpenAPI document), the
//! server-rendered pages, health and metrics endpoints.
//!
//! Architecture invariants: handlers parse, call a use-case of `pubdata-store`, and render;
//! authorization happens in the `Api<R>`/`Page<R>` extractors (see [`auth`]); errors map to
//! responses in one table (see [`error`]).

pub mod api;
pub mod auth;
pub mod error;
pub mod extract;
pub mod gateway;
pub mod gateway_exports;
pub mod gateway_limits;
pub mod gateway_records;
pub mod i18n;
pub mod metrics;
pub mod pages;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use pubdata_store::Store;
use pubdata_store::catalog::Catalog;
use pubdata_store::identity::AuthSettings;
use std::sync::Arc;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// Settings of the HTTP layer.
#[derive(Clone, Debug)]
pub struct WebConfig {
    pub auth: AuthSettings,
    /// Mark cookies `Secure` (set when served over HTTPS, directly or behind a proxy).
    pub cookie_secure: bool,
    /// Whether members of the public may register.
    pub registration_open: bool,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_proxy: bool,
    pub max_body_bytes: usize,
    pub request_timeout: Duration,
    /// The sharing workflow's settings (the provider's review deadline, Art.14).
    pub sharing: pubdata_store::sharing::SharingSettings,
    /// The platform key sealing client applications' secrets (SM4); its `Debug` hides it.
    pub sharing_key: pubdata_domain::client_app::SharingKey,
    /// The sharing channel's rate and daily quota for applications the authority set none for.
    pub gateway_limits: pubdata_domain::client_app::CallLimits,
    /// Whether answered data calls write their audit record (Art.16: always, in service). No
    /// configuration key reaches it: only `pubdata bench gateway` turns it off, in its own
    /// process, to measure what the record costs.
    pub gateway_audit: bool,
    /// Bulk exports of the sharing channel: where their files go, how long they stay.
    pub exports: pubdata_store::sharing_export::ExportSettings,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            auth: AuthSettings::default(),
            cookie_secure: false,
            registration_open: true,
            trust_proxy: false,
            max_body_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(60),
            sharing: pubdata_store::sharing::SharingSettings::default(),
            // A key of this process only: `serve` sets the configured one.
            sharing_key: pubdata_domain::client_app::SharingKey::generate(),
            gateway_limits: pubdata_domain::client_app::CallLimits::default(),
            gateway_audit: true,
            exports: pubdata_store::sharing_export::ExportSettings::default(),
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    /// The catalog service (the store plus this instance's search index).
    pub catalog: Catalog,
    pub config: Arc<WebConfig>,
    /// This instance's count of the sharing channel's calls (quotas, usage pages); `serve`
    /// flushes it to the database every few seconds.
    pub usage: Arc<pubdata_store::gateway_usage::UsageMeter>,
    /// This instance's token buckets for the channel's per-application rates.
    pub rates: Arc<gateway_limits::RateLimiter>,
}

impl AppState {
    /// Opens the catalog's search index (on disk in `index_dir`, or in memory) and brings it up
    /// to date with the database.
    pub async fn open(
        store: Store,
        config: WebConfig,
        index_dir: Option<&std::path::Path>,
    ) -> pubdata_store::Result<AppState> {
        let catalog = Catalog::open(store.clone(), index_dir).await?;
        Ok(AppState { store, catalog, config: Arc::new(config), usage: Arc::default(), rates: Arc::default() })
    }
}

/// The whole application: API, pages, health, metrics, with the request-id, tracing, metrics,
/// body-limit, timeout and panic layers.
pub fn app(state: AppState) -> Router {
    metrics::handle();
    let (api, openapi) = api::router().split_for_parts();
    let openapi = Arc::new(openapi);
    let config = state.config.clone();
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics::render))
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let doc = openapi.clone();
                async move { axum::Json(doc.as_ref().clone()) }
            }),
        )
        .nest("/api/v1", api.fallback(|| async { error::ApiError::not_found_route() }))
        .merge(gateway::router())
        .merge(pages::router())
        .route("/static/app.css", get(stylesheet))
        .route(
            "/static/catalog.js",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                        (header::CACHE_CONTROL, "public, max-age=3600"),
                    ],
                    include_str!("../static/catalog.js"),
                )
            }),
        )
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn(metrics::track))
        // The limit for extractors that read the whole body; routes that take files (catalog
        // import) set their own, larger one.
        .layer(axum::extract::DefaultBodyLimit::max(config.max_body_bytes))
        .layer(axum::middleware::from_fn_with_state(config.request_timeout, request_timeout))
        .layer(CatchPanicLayer::custom(|_| error::internal().into_response()))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// Answers 408 when a request takes longer than `limit`, except a streamed delivery to the push
/// API (`PUT /api/v1/resources/{id}/batches`): a multi-gigabyte batch takes as long as its upload,
/// and a stalled upload is ended by the delivery's own idle timeout instead.
async fn request_timeout(
    State(limit): State<Duration>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let streamed_delivery = request.method() == axum::http::Method::PUT
        && request.uri().path().strip_prefix("/api/v1/resources/").is_some_and(|rest| rest.ends_with("/batches"));
    if streamed_delivery {
        return next.run(request).await;
    }
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => StatusCode::REQUEST_TIMEOUT.into_response(),
    }
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "database not reachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
        }
    }
}

async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../static/app.css"),
    )
        .into_response()
}
