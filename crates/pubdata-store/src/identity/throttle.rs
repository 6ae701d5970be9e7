//! Stored login-throttle state, keyed `account:NAME` or `source:ADDRESS`, shared by every
//! instance on the database.

use crate::error::Result;
use pubdata_domain::identity::ThrottleState;
use pubdata_domain::timefmt;
use sqlx::AnyConnection;

pub(crate) async fn load(conn: &mut AnyConnection, key: &str) -> Result<Option<ThrottleState>> {
    let row: Option<(i64, String, Option<String>)> =
        sqlx::query_as("SELECT failures, window_start, blocked_until FROM login_throttle WHERE key = $1")
            .bind(key)
            .fetch_optional(conn)
            .await?;
    Ok(row.and_then(|(failures, start, blocked)| {
        Some(ThrottleState {
            failures: u32::try_from(failures).ok()?,
            window_start: timefmt::parse_instant(&start).ok()?,
            blocked_until: blocked.and_then(|b| timefmt::parse_instant(&b).ok()),
        })
    }))
}

pub(crate) async fn save(conn: &mut AnyConnection, key: &str, s: &ThrottleState) -> Result<()> {
    sqlx::query(
        "INSERT INTO login_throttle (key, failures, window_start, blocked_until) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, window_start = excluded.window_start, \
         blocked_until = excluded.blocked_until",
    )
    .bind(key)
    .bind(i64::from(s.failures))
    .bind(timefmt::format_instant(s.window_start))
    .bind(s.blocked_until.map(timefmt::format_instant))
    .execute(conn)
    .await?;
    Ok(())
}

pub(crate) async fn clear(conn: &mut AnyConnection, key: &str) -> Result<()> {
    sqlx::query("DELETE FROM login_throttle WHERE key = $1").bind(key).execute(conn).await?;
    Ok(())
}
