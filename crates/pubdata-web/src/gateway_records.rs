//! The sharing channel's data endpoints (Art.15-16), signed like every gateway call:
//!
//! - `GET /gateway/v1/resources/{id}/records/{key}`: the row whose unique key has this value.
//!   A composite key is its values comma-separated, in the order the resource declares its key
//!   items (a single key is taken whole, commas included).
//! - `GET /gateway/v1/resources/{id}/records?item=v&item.gte=v&item.lte=v&item.in=a,b&limit=n&after=t`:
//!   the rows matching every filter, in row order, `limit` (≤ 1000, default 100) at a time;
//!   `next` in the answer is the `after` of the following page.
//!
//! Each call names its grant (`grant` parameter, which the signature covers, or the
//! `X-Pubdata-Grant` header; the two must agree when both are sent). A call may also state the
//! scenario it serves (`scenario` parameter: the grant's scenario as written, or its category's
//! code); one that states another scenario than its grant's is refused (Art.16). The answer holds
//! the grant's items only, L3/L4 values masked unless the grant approved them raw. Every call,
//! answered or refused, writes one audit record (parameters as SM3 digests, rows, status,
//! latency) before anything is sent; a call whose record cannot be written gets no data.

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::gateway::Gateway;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use pubdata_domain::audit::{Action, AuditEvent, Outcome};
use pubdata_domain::client_app::GatewayCaller;
use pubdata_domain::sharing_channel::{self as rules, CallRefusal, GrantTerms, PagingKey};
use pubdata_store::{client_apps, sharing_channel};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::Instant;

/// The header naming the grant a call uses.
pub const GRANT_HEADER: &str = "X-Pubdata-Grant";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/gateway/v1/resources/{id}/records", get(query))
        .route("/gateway/v1/resources/{id}/records/{key}", get(lookup))
}

impl From<CallRefusal> for ApiError {
    /// A data call outside its grant or its limits: its own code and status, e.g.
    /// `gateway_item_not_granted` (403).
    fn from(r: CallRefusal) -> ApiError {
        let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_REQUEST);
        ApiError::new(status, r.code, r.message.zh, r.message.en)
    }
}

/// What one data call's audit record keeps (Art.16).
pub(crate) struct CallRecord {
    pub(crate) started: Instant,
    /// `GET`, unless the endpoint said otherwise ([`CallRecord::method`]).
    pub(crate) method: &'static str,
    pub(crate) operation: &'static str,
    /// The route, without the key: the key goes into `params` as a digest.
    pub(crate) path: String,
    pub(crate) grant_id: Option<i64>,
    pub(crate) scenario: Option<String>,
    pub(crate) params: Map<String, Value>,
}

impl CallRecord {
    pub(crate) fn new(
        started: Instant,
        operation: &'static str,
        path: String,
        params: &[(String, String)],
    ) -> CallRecord {
        let params = params
            .iter()
            .map(|(name, value)| {
                let name: String = name.chars().take(64).collect();
                // Paging tokens, limits, the grant and the stated scenario carry no personal
                // data; every other value is hashed.
                let value = if ["after", "limit", "grant", rules::SCENARIO_PARAM].contains(&name.as_str()) {
                    value.chars().take(100).collect()
                } else {
                    rules::hashed_value(value)
                };
                (name, Value::String(value))
            })
            .collect();
        CallRecord { started, method: "GET", operation, path, grant_id: None, scenario: None, params }
    }

    /// The record of a call made with another method than `GET`.
    pub(crate) fn method(mut self, method: &'static str) -> CallRecord {
        self.method = method;
        self
    }

    pub(crate) fn detail(&self, caller: &GatewayCaller, rows: usize) -> Value {
        json!({
            "operation": self.operation, "consumer_org_id": caller.consumer_org.0, "app_name": caller.app_name,
            "grant_id": self.grant_id, "scenario": self.scenario, "params": self.params, "rows": rows,
            "latency_ms": self.started.elapsed().as_secs_f64() * 1000.0,
        })
    }

    /// Writes the record of a call answered with 200; the answer leaves only once it is durable.
    pub(crate) async fn answered(&self, state: &AppState, caller: &GatewayCaller, rows: usize) -> ApiResult<()> {
        self.answered_with(state, caller, 200, rows).await
    }

    /// Writes the record of a call answered with `status` (e.g. 202 for an accepted job).
    pub(crate) async fn answered_with(
        &self,
        state: &AppState,
        caller: &GatewayCaller,
        status: u16,
        rows: usize,
    ) -> ApiResult<()> {
        let event = pubdata_domain::audit::events::gateway_called(
            caller.app_id,
            self.method,
            &self.path,
            status,
            self.detail(caller, rows),
        );
        if state.config.gateway_audit {
            client_apps::record_for(&state.store, caller, self.method, &self.path, event).await??;
        } else {
            // Measuring the audit's cost: the nonce is still claimed, on its own.
            let mut caller = caller.clone();
            client_apps::claim_nonce(&state.store, &mut caller, self.method, &self.path).await??;
        }
        state.usage.record(caller.app_id, self.grant_id, today(), rows as u64, false);
        Ok(())
    }

    /// Writes the record of a refused call and returns the refusal to send (that of a replay
    /// when the call's nonce was used before).
    pub(crate) async fn refused(&self, state: &AppState, caller: &GatewayCaller, refusal: CallRefusal) -> ApiError {
        let event = AuditEvent {
            action: Action::GatewayCall,
            object_type: "client_app",
            object_id: Some(caller.app_id.to_string()),
            outcome: Outcome::Denied,
            summary: json!({ "reason": refusal.code, "method": self.method, "path": self.path, "status": refusal.status,
                             "detail": self.detail(caller, 0) }),
        };
        match client_apps::record_for(&state.store, caller, self.method, &self.path, event).await {
            Ok(Ok(())) => {
                state.usage.record(caller.app_id, self.grant_id, today(), 0, true);
                refusal.into()
            }
            Ok(Err(replayed)) => replayed.into(),
            Err(e) => e.into(),
        }
    }

    /// The grant the call names, checked against the caller and the resource.
    async fn grant(
        &mut self,
        state: &AppState,
        caller: &GatewayCaller,
        headers: &HeaderMap,
        params: &[(String, String)],
        resource_id: i64,
    ) -> ApiResult<Arc<GrantTerms>> {
        let Some(id) = named_grant(headers, params) else {
            return Err(self.refused(state, caller, CallRefusal::grant_missing()).await);
        };
        self.grant_id = Some(id);
        let grant = sharing_channel::grant(&state.store, id).await?;
        let checked = match grant {
            None => Err(CallRefusal::grant_not_yours()),
            Some(g) => rules::check_grant(&g, caller.consumer_org, resource_id)
                .and_then(|()| rules::check_scenario(&g, params))
                .map(|()| g),
        };
        match checked {
            Ok(g) => {
                self.scenario = Some(g.scenario.clone());
                Ok(g)
            }
            Err(refusal) => Err(self.refused(state, caller, refusal).await),
        }
    }
}

/// The grant a call names: the `grant` parameter or the grant header. The parameter is covered
/// by the call's signature, the header is not: when both are sent they must agree.
pub(crate) fn named_grant(headers: &HeaderMap, params: &[(String, String)]) -> Option<i64> {
    let header = headers.get(GRANT_HEADER).map(|v| v.to_str().ok().map(str::trim).unwrap_or(""));
    let param = params.iter().find(|(n, _)| n == "grant").map(|(_, v)| v.trim());
    let named = match (header, param) {
        (Some(h), Some(p)) if h != p => None,
        (h, p) => p.or(h),
    };
    named.and_then(|v| v.parse::<i64>().ok())
}

/// The district day calls are counted on.
fn today() -> time::Date {
    pubdata_domain::timefmt::district_date(pubdata_domain::timefmt::now())
}

fn params_of(raw: Option<String>) -> Vec<(String, String)> {
    raw.and_then(|q| serde_urlencoded::from_str(&q).ok()).unwrap_or_default()
}

/// `GET /gateway/v1/resources/{id}/records/{key}`.
async fn lookup(
    State(state): State<AppState>,
    Path((resource_id, key)): Path<(i64, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    gateway: Gateway,
) -> ApiResult<Json<Value>> {
    let caller = gateway.caller;
    let params = params_of(raw);
    let mut audit_params = params.clone();
    audit_params.push(("key".to_string(), key.clone()));
    let path = format!("/gateway/v1/resources/{resource_id}/records/{{key}}");
    let mut record = CallRecord::new(gateway.started, "lookup", path, &audit_params);
    let grant = record.grant(&state, &caller, &headers, &params, resource_id).await?;
    let source = sharing_channel::source(&state.store, resource_id).await?;
    let key_items = source.key();
    let values = match rules::key_values(&key_items, &key)
        .and_then(|v| key_items.iter().try_for_each(|k| rules::check_item(&grant, k)).map(|()| v))
    {
        Ok(v) => v,
        Err(refusal) => return Err(record.refused(&state, &caller, refusal).await),
    };
    let found = match sharing_channel::lookup(&state.store, &grant, &source, &values).await? {
        Ok(Some(found)) => found,
        Ok(None) => return Err(record.refused(&state, &caller, CallRefusal::not_found()).await),
        Err(refusal) => return Err(record.refused(&state, &caller, refusal).await),
    };
    record.answered(&state, &caller, 1).await?;
    Ok(Json(json!({ "grant_id": grant.id, "resource_id": resource_id, "record": found.values })))
}

/// `GET /gateway/v1/resources/{id}/records?…`.
async fn query(
    State(state): State<AppState>,
    Path(resource_id): Path<i64>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    gateway: Gateway,
) -> ApiResult<Json<Value>> {
    let caller = gateway.caller;
    let params = params_of(raw);
    let mut record =
        CallRecord::new(gateway.started, "query", format!("/gateway/v1/resources/{resource_id}/records"), &params);
    let grant = record.grant(&state, &caller, &headers, &params, resource_id).await?;
    let paging = PagingKey::derive(&state.config.sharing_key);
    let source = sharing_channel::source(&state.store, resource_id).await?;
    let checked =
        rules::check_listing(&grant).and_then(|()| rules::parse_query(&grant, source.items(), &params)).and_then(|q| {
            let after = q.after.as_deref().map(|t| paging.open(grant.id, &q, t)).transpose()?;
            Ok((q, after))
        });
    let (q, after) = match checked {
        Ok(x) => x,
        Err(refusal) => return Err(record.refused(&state, &caller, refusal).await),
    };
    let page = match sharing_channel::query(&state.store, &grant, &source, &q, after).await? {
        Ok(page) => page,
        Err(refusal) => return Err(record.refused(&state, &caller, refusal).await),
    };
    let next = page.records.last().filter(|_| page.more).map(|r| paging.token(grant.id, &q, r.row_id));
    record.answered(&state, &caller, page.records.len()).await?;
    let records: Vec<Map<String, Value>> = page.records.into_iter().map(|r| r.values).collect();
    Ok(Json(json!({ "grant_id": grant.id, "resource_id": resource_id, "records": records, "next": next })))
}
