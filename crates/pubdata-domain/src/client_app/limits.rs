//! How much a client application may call the sharing channel: a rate (calls per second, with a
//! burst of one second's worth) and a daily quota (calls per district day). The platform has
//! defaults; the authority may set either for one application. A call over either is refused
//! with 429 and the seconds to wait (`Retry-After`).

use crate::error::{Error, Result};
use crate::identity::{Permission, Principal};
use serde::{Deserialize, Serialize};
use time::{OffsetDateTime, Time, UtcOffset};

/// The highest rate that can be set.
pub const MAX_RATE_PER_SECOND: u32 = 100_000;
/// The highest daily quota that can be set.
pub const MAX_DAILY_QUOTA: u64 = 1_000_000_000;

/// A rate and a daily quota.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallLimits {
    pub rate_per_second: u32,
    pub daily_quota: u64,
}

impl Default for CallLimits {
    /// The platform's defaults: 50 calls a second, 100,000 a day.
    fn default() -> CallLimits {
        CallLimits { rate_per_second: 50, daily_quota: 100_000 }
    }
}

/// One application's own limits, where the authority set them (`None`: the platform's default).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitOverrides {
    pub rate_per_second: Option<u32>,
    pub daily_quota: Option<u64>,
}

impl LimitOverrides {
    /// The limits that hold for the application under the platform's `defaults`.
    pub fn effective(self, defaults: CallLimits) -> CallLimits {
        CallLimits {
            rate_per_second: self.rate_per_second.unwrap_or(defaults.rate_per_second),
            daily_quota: self.daily_quota.unwrap_or(defaults.daily_quota),
        }
    }

    /// Refuses values outside what the channel can honour, naming the field.
    pub fn check(&self) -> Result<()> {
        if let Some(rate) = self.rate_per_second
            && !(1..=MAX_RATE_PER_SECOND).contains(&rate)
        {
            return Err(Error::invalid(
                "rate_per_second",
                format!("每秒调用次数应在 1 到 {MAX_RATE_PER_SECOND} 之间"),
                format!("calls per second must be between 1 and {MAX_RATE_PER_SECOND}"),
            ));
        }
        if let Some(quota) = self.daily_quota
            && !(1..=MAX_DAILY_QUOTA).contains(&quota)
        {
            return Err(Error::invalid(
                "daily_quota",
                format!("每日调用配额应在 1 到 {MAX_DAILY_QUOTA} 之间"),
                format!("the daily quota must be between 1 and {MAX_DAILY_QUOTA}"),
            ));
        }
        Ok(())
    }
}

/// Setting an application's limits is the authority's (it runs the channel for every agency):
/// an agency may not raise its own.
pub fn require_set_limits(principal: &Principal) -> Result<()> {
    principal.require(Permission::ClientAppManage)?;
    if principal.scope() == crate::identity::Scope::All {
        Ok(())
    } else {
        Err(Error::out_of_scope(
            "接入应用的调用频率与配额由主管部门设定",
            "only the authority sets client applications' rates and quotas",
        ))
    }
}

/// A token bucket: `rate` tokens a second, holding at most one second's worth. Time is passed
/// in (seconds on a monotonic clock), so that the arithmetic is testable.
#[derive(Clone, Copy, Debug)]
pub struct TokenBucket {
    tokens: f64,
    updated: f64,
}

impl TokenBucket {
    /// A full bucket at `now`.
    pub fn full(rate: u32, now: f64) -> TokenBucket {
        TokenBucket { tokens: f64::from(rate), updated: now }
    }

    /// Takes one token at `now`, or says how many whole seconds to wait for one (at least 1).
    pub fn take(&mut self, rate: u32, now: f64) -> std::result::Result<(), u64> {
        let rate = f64::from(rate.max(1));
        let elapsed = (now - self.updated).max(0.0);
        self.tokens = (self.tokens + elapsed * rate).min(rate);
        self.updated = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - self.tokens) / rate;
            Err((wait.ceil() as u64).max(1))
        }
    }
}

/// Seconds from `now` to the next midnight in the district (UTC+8), when daily quotas start
/// afresh (at least 1).
pub fn seconds_until_next_day(now: OffsetDateTime) -> u64 {
    let offset = UtcOffset::from_hms(8, 0, 0).unwrap_or(UtcOffset::UTC);
    let local = now.to_offset(offset);
    let Some(tomorrow) = local.date().next_day() else { return 1 };
    let midnight = tomorrow.with_time(Time::MIDNIGHT).assume_offset(offset);
    (midnight - local).whole_seconds().max(1) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Role;
    use crate::ids::OrgId;
    use time::macros::datetime;

    #[test]
    fn art_16_a_bucket_allows_one_seconds_burst_then_the_rate() {
        let mut b = TokenBucket::full(3, 100.0);
        assert_eq!(b.take(3, 100.0), Ok(()));
        assert_eq!(b.take(3, 100.0), Ok(()));
        assert_eq!(b.take(3, 100.0), Ok(()));
        assert_eq!(b.take(3, 100.0), Err(1), "the burst is one second's worth");
        // A third of a second later one token has come back.
        assert_eq!(b.take(3, 100.34), Ok(()));
        assert_eq!(b.take(3, 100.34), Err(1));
        // Idle time never stores more than a second's worth.
        assert!((0..3).all(|_| b.take(3, 1000.0).is_ok()));
        assert_eq!(b.take(3, 1000.0), Err(1));
    }

    #[test]
    fn art_16_a_clock_going_back_gives_no_tokens() {
        let mut b = TokenBucket::full(1, 50.0);
        assert_eq!(b.take(1, 50.0), Ok(()));
        assert_eq!(b.take(1, 40.0), Err(1));
    }

    #[test]
    fn quotas_start_afresh_at_district_midnight() {
        // 15:00 UTC is 23:00 in the district: an hour to go.
        assert_eq!(seconds_until_next_day(datetime!(2026-11-27 15:00:00 UTC)), 3600);
        // 16:00 UTC is midnight: a whole day.
        assert_eq!(seconds_until_next_day(datetime!(2026-11-27 16:00:00 UTC)), 86_400);
        assert_eq!(seconds_until_next_day(datetime!(2026-11-27 15:59:59.5 UTC)), 1);
    }

    #[test]
    fn an_application_overrides_either_default() {
        let defaults = CallLimits { rate_per_second: 10, daily_quota: 1000 };
        let own = LimitOverrides { rate_per_second: Some(2), daily_quota: None };
        assert_eq!(own.effective(defaults), CallLimits { rate_per_second: 2, daily_quota: 1000 });
        assert!(LimitOverrides { rate_per_second: Some(0), daily_quota: None }.check().is_err());
        assert!(LimitOverrides { rate_per_second: None, daily_quota: Some(0) }.check().is_err());
        assert!(own.check().is_ok());
    }

    #[test]
    fn art_16_only_the_authority_sets_limits() {
        let p = |role, org| Principal {
            user_id: Some(crate::ids::UserId(1)),
            username: "u".into(),
            display_name: "U".into(),
            org_id: Some(OrgId(org)),
            role: Some(role),
            token: None,
            must_change_password: false,
        };
        assert!(require_set_limits(&p(Role::AuthorityAdmin, 1)).is_ok());
        assert!(matches!(require_set_limits(&p(Role::AgencyDataOfficer, 3)), Err(Error::OutOfScope(_))));
        assert!(require_set_limits(&p(Role::Supervisor, 9)).is_err());
    }
}
