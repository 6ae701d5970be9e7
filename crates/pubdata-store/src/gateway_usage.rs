//! The sharing channel's usage (Art.16): calls, refusals and rows per client application, grant
//! and district day, for the daily quotas and for the usage pages of consumer, provider and
//! authority.
//!
//! Counting every call in its own database write would double the channel's writes (each call
//! already writes its audit record, which stays the evidence). Each instance counts in memory
//! ([`UsageMeter`]) and adds its counts to `gateway_usage` every few seconds ([`UsageMeter::flush`],
//! run by `serve`), one upsert per application, grant and day. Quotas are checked against what
//! the database held at this instance's last flush plus what it counted since: with several
//! instances, each sees the others' calls within one flush interval. An instance that dies loses
//! at most one interval of counts; the audit trail still has every call.

use crate::db::Store;
use crate::error::{Error, Result};
use crate::sharing;
use pubdata_domain::identity::Caller;
use pubdata_domain::timefmt;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Mutex;
use time::Date;

/// What is counted for one application, grant and day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Calls let through the rate and quota (answered or refused by the grant checks).
    pub calls: u64,
    /// Of those, the calls refused (outside the grant, bad filters, not found, …).
    pub refused: u64,
    /// Rows returned by the answered calls.
    pub rows: u64,
    /// Calls refused for the rate or the quota (not among `calls`).
    pub limited: u64,
}

impl Counts {
    fn add(&mut self, other: Counts) {
        self.calls += other.calls;
        self.refused += other.refused;
        self.rows += other.rows;
        self.limited += other.limited;
    }

    fn subtract(&mut self, other: Counts) {
        self.calls = self.calls.saturating_sub(other.calls);
        self.refused = self.refused.saturating_sub(other.refused);
        self.rows = self.rows.saturating_sub(other.rows);
        self.limited = self.limited.saturating_sub(other.limited);
    }

    fn is_empty(&self) -> bool {
        *self == Counts::default()
    }
}

/// Application, grant (0: the call named none) and district day.
type Key = (i64, i64, Date);

#[derive(Default)]
struct Tally {
    /// Counted here and not yet added to the database.
    pending: HashMap<Key, Counts>,
    /// Calls per application and day in the database at the last flush.
    stored: HashMap<(i64, Date), u64>,
}

/// This instance's count of the channel's calls (see the module's documentation).
#[derive(Default)]
pub struct UsageMeter {
    tally: Mutex<Tally>,
}

impl UsageMeter {
    pub fn new() -> UsageMeter {
        UsageMeter::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut Tally) -> T) -> T {
        // A panic while holding the lock leaves plain counters, still usable.
        let mut tally = self.tally.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut tally)
    }

    /// Counts a call let through to the grant checks: refused there, or answered with `rows`.
    pub fn record(&self, app_id: i64, grant_id: Option<i64>, day: Date, rows: u64, refused: bool) {
        let counts = Counts { calls: 1, refused: u64::from(refused), rows, limited: 0 };
        self.with(|t| t.pending.entry((app_id, grant_id.unwrap_or(0), day)).or_default().add(counts));
    }

    /// Counts a call refused for its application's rate or quota.
    pub fn record_limited(&self, app_id: i64, day: Date) {
        let counts = Counts { limited: 1, ..Counts::default() };
        self.with(|t| t.pending.entry((app_id, 0, day)).or_default().add(counts));
    }

    /// The application's calls on `day` as far as this instance knows: the database's count at
    /// the last flush and this instance's since.
    pub fn calls_on(&self, app_id: i64, day: Date) -> u64 {
        self.with(|t| {
            let pending: u64 =
                t.pending.iter().filter(|((a, _, d), _)| *a == app_id && *d == day).map(|(_, c)| c.calls).sum();
            t.stored.get(&(app_id, day)).copied().unwrap_or(0) + pending
        })
    }

    /// Adds this instance's counts to the database in one transaction and reads back today's
    /// totals per application (so that quotas see the other instances' calls). Counts stay
    /// pending until they are stored, so a failed flush loses nothing and quotas never count
    /// a call twice or not at all in between.
    pub async fn flush(&self, store: &Store) -> Result<()> {
        let snapshot: Vec<(Key, Counts)> =
            self.with(|t| t.pending.iter().filter(|(_, c)| !c.is_empty()).map(|(k, c)| (*k, *c)).collect());
        if !snapshot.is_empty() {
            // Bookkeeping beside the audit trail, which already holds each call: no audit entry.
            let mut tx = store.writer().begin().await?;
            for ((app, grant, day), c) in &snapshot {
                sqlx::query(
                    "INSERT INTO gateway_usage (app_id, grant_id, day, calls, refused, rows_returned, limited) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (app_id, grant_id, day) DO UPDATE SET \
                     calls = gateway_usage.calls + excluded.calls, refused = gateway_usage.refused + excluded.refused, \
                     rows_returned = gateway_usage.rows_returned + excluded.rows_returned, \
                     limited = gateway_usage.limited + excluded.limited",
                )
                .bind(app)
                .bind(grant)
                .bind(timefmt::format_date(*day))
                .bind(as_i64(c.calls))
                .bind(as_i64(c.refused))
                .bind(as_i64(c.rows))
                .bind(as_i64(c.limited))
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        }
        let today = timefmt::district_date(timefmt::now());
        let totals: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT app_id, CAST(SUM(calls) AS BIGINT) FROM gateway_usage WHERE day = $1 GROUP BY app_id",
        )
        .bind(timefmt::format_date(today))
        .fetch_all(store.reader())
        .await?;
        self.with(|t| {
            for (key, c) in &snapshot {
                if let Some(p) = t.pending.get_mut(key) {
                    p.subtract(*c);
                }
            }
            t.pending.retain(|_, c| !c.is_empty());
            t.stored = totals.into_iter().map(|(app, calls)| ((app, today), calls.max(0) as u64)).collect();
        });
        Ok(())
    }
}

fn as_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// One day of a grant's use.
#[derive(Clone, Debug, Serialize)]
pub struct DayUsage {
    /// District day, YYYY-MM-DD.
    pub day: String,
    pub calls: i64,
    pub refused: i64,
    pub rows: i64,
}

/// A grant's use per day (newest first) over the last `days` days, and the totals.
#[derive(Clone, Debug, Serialize)]
pub struct GrantUsage {
    pub grant_id: i64,
    pub days: Vec<DayUsage>,
    pub total_calls: i64,
    pub total_refused: i64,
    pub total_rows: i64,
}

/// The most days a usage view spans.
pub const MAX_USAGE_DAYS: i64 = 366;

/// A grant's use over the last `days` district days, for whoever may see the grant (its
/// consumer, its provider, the authority and supervisors); others are told it does not exist.
pub async fn grant_usage(store: &Store, caller: &Caller, grant_id: i64, days: i64) -> Result<GrantUsage> {
    if !(1..=MAX_USAGE_DAYS).contains(&days) {
        return Err(Error::Domain(pubdata_domain::Error::invalid(
            "days",
            format!("天数应在 1 到 {MAX_USAGE_DAYS} 之间"),
            format!("days must be between 1 and {MAX_USAGE_DAYS}"),
        )));
    }
    // The grant's own visibility rules decide who may see its use.
    sharing::get_grant(store, caller, grant_id).await?;
    let today = timefmt::district_date(timefmt::now());
    let from = today - time::Duration::days(days - 1);
    let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(
        "SELECT day, CAST(SUM(calls) AS BIGINT), CAST(SUM(refused) AS BIGINT), CAST(SUM(rows_returned) AS BIGINT) FROM gateway_usage \
         WHERE grant_id = $1 AND day >= $2 GROUP BY day ORDER BY day DESC",
    )
    .bind(grant_id)
    .bind(timefmt::format_date(from))
    .fetch_all(store.reader())
    .await?;
    let days: Vec<DayUsage> =
        rows.into_iter().map(|(day, calls, refused, rows)| DayUsage { day, calls, refused, rows }).collect();
    Ok(GrantUsage {
        grant_id,
        total_calls: days.iter().map(|d| d.calls).sum(),
        total_refused: days.iter().map(|d| d.refused).sum(),
        total_rows: days.iter().map(|d| d.rows).sum(),
        days,
    })
}

/// Each application's calls and limit refusals today, by application id (as stored at the last
/// flush of every instance).
pub async fn apps_today(store: &Store) -> Result<HashMap<i64, Counts>> {
    let today = timefmt::district_date(timefmt::now());
    let rows: Vec<(i64, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT app_id, CAST(SUM(calls) AS BIGINT), CAST(SUM(refused) AS BIGINT), CAST(SUM(rows_returned) AS BIGINT), CAST(SUM(limited) AS BIGINT) FROM gateway_usage \
         WHERE day = $1 GROUP BY app_id",
    )
    .bind(timefmt::format_date(today))
    .fetch_all(store.reader())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(app, calls, refused, rows, limited)| {
            let n = |v: i64| v.max(0) as u64;
            (app, Counts { calls: n(calls), refused: n(refused), rows: n(rows), limited: n(limited) })
        })
        .collect())
}
