//! Login throttling: repeated failures lock an account, and separately the source address,
//! for a time that doubles with each further failure. Pure arithmetic over a stored state.

use time::{Duration, OffsetDateTime};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failures within `window` before a lock starts.
    pub max_failures: u32,
    pub window: Duration,
    pub first_lock: Duration,
    pub longest_lock: Duration,
}

impl ThrottlePolicy {
    /// Per account: five failures in 15 minutes lock it for a minute, then 2, 4, ... up to an hour.
    pub const ACCOUNT: ThrottlePolicy = ThrottlePolicy {
        max_failures: 5,
        window: Duration::minutes(15),
        first_lock: Duration::minutes(1),
        longest_lock: Duration::hours(1),
    };
    /// Per source address: twenty failures in 15 minutes lock it for five minutes, doubling.
    pub const SOURCE: ThrottlePolicy = ThrottlePolicy {
        max_failures: 20,
        window: Duration::minutes(15),
        first_lock: Duration::minutes(5),
        longest_lock: Duration::hours(1),
    };

    pub fn check(&self, state: Option<&ThrottleState>, now: OffsetDateTime) -> ThrottleDecision {
        match state.and_then(|s| s.blocked_until) {
            Some(until) if until > now => {
                ThrottleDecision::Blocked { retry_after_secs: (until - now).whole_seconds().max(1) as u64 }
            }
            _ => ThrottleDecision::Allow,
        }
    }

    /// The state after one more failure at `now`.
    pub fn record_failure(&self, state: Option<&ThrottleState>, now: OffsetDateTime) -> ThrottleState {
        let fresh = ThrottleState { failures: 0, window_start: now, blocked_until: None };
        let base = match state {
            Some(s) if now - s.window_start <= self.window || s.blocked_until.is_some_and(|u| u > now) => *s,
            _ => fresh,
        };
        let failures = base.failures + 1;
        let blocked_until = (failures >= self.max_failures).then(|| {
            let doublings = (failures - self.max_failures).min(16);
            let lock = self.first_lock * 2i32.pow(doublings);
            now + lock.min(self.longest_lock)
        });
        ThrottleState { failures, window_start: base.window_start, blocked_until }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottleState {
    pub failures: u32,
    pub window_start: OffsetDateTime,
    pub blocked_until: Option<OffsetDateTime>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThrottleDecision {
    Allow,
    Blocked { retry_after_secs: u64 },
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn fifth_failure_locks_the_account_and_locks_double() {
        let p = ThrottlePolicy::ACCOUNT;
        let t0 = datetime!(2026-01-05 09:00 UTC);
        let mut s = None;
        for i in 0..4 {
            s = Some(p.record_failure(s.as_ref(), t0 + Duration::seconds(i)));
            assert_eq!(p.check(s.as_ref(), t0 + Duration::seconds(i)), ThrottleDecision::Allow);
        }
        s = Some(p.record_failure(s.as_ref(), t0 + Duration::seconds(5)));
        assert_eq!(p.check(s.as_ref(), t0 + Duration::seconds(5)), ThrottleDecision::Blocked { retry_after_secs: 60 });
        s = Some(p.record_failure(s.as_ref(), t0 + Duration::seconds(6)));
        assert_eq!(p.check(s.as_ref(), t0 + Duration::seconds(6)), ThrottleDecision::Blocked { retry_after_secs: 120 });
        assert_eq!(p.check(s.as_ref(), t0 + Duration::minutes(3)), ThrottleDecision::Allow);
    }

    #[test]
    fn old_failures_fall_out_of_the_window() {
        let p = ThrottlePolicy::ACCOUNT;
        let t0 = datetime!(2026-01-05 09:00 UTC);
        let mut s = None;
        for _ in 0..4 {
            s = Some(p.record_failure(s.as_ref(), t0));
        }
        let later = p.record_failure(s.as_ref(), t0 + Duration::minutes(16));
        assert_eq!(later.failures, 1);
        assert_eq!(later.blocked_until, None);
    }

    #[test]
    fn locks_never_exceed_the_longest() {
        let p = ThrottlePolicy::SOURCE;
        let t0 = datetime!(2026-01-05 09:00 UTC);
        let mut s = None;
        for _ in 0..60 {
            s = Some(p.record_failure(s.as_ref(), t0));
        }
        assert_eq!(s.unwrap().blocked_until, Some(t0 + Duration::hours(1)));
    }
}
