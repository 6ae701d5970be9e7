//! The sharing channel's per-application rate and daily quota (Art.16: use stays within what
//! was granted, and one system cannot crowd out the others). A signed call is admitted only
//! if its application has a token in its bucket (this instance's; with several instances each
//! allows the rate) and has calls left today (counted across instances through
//! `gateway_usage`). A call over either is refused with 429, `Retry-After` and an audit record.

use crate::AppState;
use crate::error::ApiError;
use pubdata_domain::audit::events;
use pubdata_domain::client_app::limits::{TokenBucket, seconds_until_next_day};
use pubdata_domain::client_app::{GatewayCaller, Refusal};
use pubdata_domain::timefmt;
use pubdata_store::client_apps;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// One token bucket per application, on this instance.
pub struct RateLimiter {
    started: Instant,
    buckets: Mutex<HashMap<i64, TokenBucket>>,
}

impl Default for RateLimiter {
    fn default() -> RateLimiter {
        RateLimiter { started: Instant::now(), buckets: Mutex::new(HashMap::new()) }
    }
}

impl RateLimiter {
    /// Takes a token for `app_id` at `rate` calls a second, or the seconds to wait.
    pub fn take(&self, app_id: i64, rate: u32) -> Result<(), u64> {
        let now = self.started.elapsed().as_secs_f64();
        let mut buckets = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        buckets.entry(app_id).or_insert_with(|| TokenBucket::full(rate, now)).take(rate, now)
    }
}

/// Admits an authenticated call or refuses it (audited, counted) for its rate or quota.
pub async fn admit(state: &AppState, caller: &GatewayCaller, method: &str, path: &str) -> Result<(), ApiError> {
    let limits = caller.limits.effective(state.config.gateway_limits);
    let now = timefmt::now();
    let day = timefmt::district_date(now);
    let refused = match state.rates.take(caller.app_id, limits.rate_per_second) {
        Err(wait) => Some((Refusal::RateLimited, wait)),
        Ok(()) if state.usage.calls_on(caller.app_id, day) >= limits.daily_quota => {
            Some((Refusal::QuotaExceeded, seconds_until_next_day(now)))
        }
        Ok(()) => None,
    };
    let Some((refusal, retry_after)) = refused else { return Ok(()) };
    state.usage.record_limited(caller.app_id, day);
    let event = events::gateway_refused(Some(caller.app_id), Some(&caller.app_key), refusal.code(), method, path);
    client_apps::record_for(&state.store, caller, method, path, event).await??;
    let mut error = ApiError::from(refusal);
    error.retry_after = Some(retry_after);
    Err(error)
}
