//! The one textual form of instants and dates that pubdata stores, hashes and exchanges.
//!
//! Instants are UTC with microseconds and a fixed width (`2026-11-27T08:00:00.000000Z`), so
//! that text order is time order in both databases and the audit hash is reproducible.

use crate::error::{Error, Result};
use time::format_description::FormatItem;
use time::macros::format_description;
use time::{Date, OffsetDateTime, UtcOffset};

const INSTANT: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");
const DAY: &[FormatItem<'static>] = format_description!("[year]-[month]-[day]");

/// The current instant, truncated to microseconds (what storage keeps).
pub fn now() -> OffsetDateTime {
    let t = OffsetDateTime::now_utc();
    t.replace_nanosecond(t.nanosecond() / 1000 * 1000).unwrap_or(t)
}

pub fn format_instant(t: OffsetDateTime) -> String {
    t.to_offset(UtcOffset::UTC).format(INSTANT).unwrap_or_default()
}

pub fn parse_instant(s: &str) -> Result<OffsetDateTime> {
    time::PrimitiveDateTime::parse(s, INSTANT)
        .map(|t| t.assume_utc())
        .or_else(|_| OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339))
        .map_err(|_| {
            Error::invalid(
                "time",
                format!("无法识别的时间 {s:?}，应为 RFC 3339 格式，如 2026-01-31T08:00:00Z"),
                format!("unrecognised time {s:?}, expected RFC 3339 such as 2026-01-31T08:00:00Z"),
            )
        })
}

/// The calendar date of an instant in the district (UTC+8): the day deadlines count from.
pub fn district_date(t: OffsetDateTime) -> Date {
    let offset = UtcOffset::from_hms(8, 0, 0).unwrap_or(UtcOffset::UTC);
    t.to_offset(offset).date()
}

pub fn format_date(d: Date) -> String {
    d.format(DAY).unwrap_or_default()
}

pub fn parse_date(field: &str, s: &str) -> Result<Date> {
    Date::parse(s.trim(), DAY).map_err(|_| {
        Error::invalid(
            field,
            format!("无法识别的日期 {s:?}，应为 YYYY-MM-DD"),
            format!("unrecognised date {s:?}, expected YYYY-MM-DD"),
        )
    })
}

/// Parses a `--since` bound: a date (the start of that day in the district's time zone,
/// UTC+8) or a full RFC 3339 instant.
pub fn parse_bound(field: &str, s: &str) -> Result<OffsetDateTime> {
    bound(field, s, false)
}

/// Parses an `--until` bound (exclusive): a date means the end of that day (UTC+8), so
/// `--until 2026-11-30` includes the 30th; an RFC 3339 instant is taken as given.
pub fn parse_until(field: &str, s: &str) -> Result<OffsetDateTime> {
    bound(field, s, true)
}

fn bound(field: &str, s: &str, end_of_day: bool) -> Result<OffsetDateTime> {
    if let Ok(d) = Date::parse(s.trim(), DAY) {
        let offset = UtcOffset::from_hms(8, 0, 0).unwrap_or(UtcOffset::UTC);
        let day = if end_of_day { d.next_day().unwrap_or(d) } else { d };
        return Ok(day.midnight().assume_offset(offset).to_offset(UtcOffset::UTC));
    }
    parse_instant(s).map_err(|_| {
        Error::invalid(
            field,
            format!("无法识别的时间 {s:?}，应为 YYYY-MM-DD 或 RFC 3339"),
            format!("unrecognised time {s:?}, expected YYYY-MM-DD or RFC 3339"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_round_trip_in_fixed_width() {
        let t = now();
        let s = format_instant(t);
        assert_eq!(s.len(), 27, "{s}");
        assert_eq!(parse_instant(&s).unwrap(), t);
    }

    #[test]
    fn text_order_is_time_order() {
        let a = parse_instant("2026-01-02T03:04:05Z").unwrap();
        let b = a + time::Duration::microseconds(1);
        assert!(format_instant(a) < format_instant(b));
    }

    #[test]
    fn a_bare_date_bound_starts_at_beijing_midnight() {
        let t = parse_bound("since", "2026-03-01").unwrap();
        assert_eq!(format_instant(t), "2026-02-28T16:00:00.000000Z");
        assert!(parse_bound("since", "yesterday").is_err());
        assert_eq!(format_instant(parse_until("until", "2026-03-01").unwrap()), "2026-03-01T16:00:00.000000Z");
    }

    #[test]
    fn the_district_date_is_beijing_time() {
        let t = parse_instant("2026-09-30T16:30:00Z").unwrap();
        assert_eq!(format_date(district_date(t)), "2026-10-01");
    }
}
