//! The working-day calendar as stored: the exceptional days and which years' official
//! arrangements have been entered; editable by the authority, every edit audited.

use crate::db::{Store, WriteTx};
use crate::error::{Error, Result};
use pubdata_domain::audit::events;
use pubdata_domain::calendar::{self, CalendarDay, DayKind, WorkCalendar};
use pubdata_domain::identity::{Caller, Permission};
use pubdata_domain::timefmt;
use serde::Serialize;
use time::Date;

/// Whether a year's official arrangement has been entered, and from where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct CalendarYear {
    pub year: i64,
    pub published: i64,
    pub source: String,
    pub updated_at: String,
    pub updated_by: String,
}

/// One year of the calendar as shown on its page.
#[derive(Clone, Debug, Serialize)]
pub struct YearView {
    pub year: i32,
    pub entered: Option<CalendarYear>,
    pub days: Vec<CalendarDay>,
    pub working_days: i64,
}

/// Loads the whole calendar for deadline arithmetic. A few hundred rows: cheap enough to read
/// per use, and always current across instances.
pub async fn load(store: &Store) -> Result<WorkCalendar> {
    let days: Vec<(String, String)> =
        sqlx::query_as("SELECT day, kind FROM calendar_days").fetch_all(store.reader()).await?;
    let years: Vec<(i64,)> =
        sqlx::query_as("SELECT year FROM calendar_years WHERE published = 1").fetch_all(store.reader()).await?;
    let mut parsed = Vec::with_capacity(days.len());
    for (day, kind) in days {
        parsed.push((timefmt::parse_date("day", &day)?, DayKind::parse(&kind)?));
    }
    Ok(WorkCalendar::new(parsed, years.into_iter().filter_map(|(y,)| i32::try_from(y).ok())))
}

fn check_year(year: i32) -> Result<()> {
    if (2000..=2100).contains(&year) {
        Ok(())
    } else {
        Err(pubdata_domain::Error::invalid(
            "year",
            "年份应在 2000 到 2100 之间",
            "the year must be between 2000 and 2100",
        )
        .into())
    }
}

/// One year's exceptional days and status. Requires `calendar.read`.
pub async fn year(store: &Store, caller: &Caller, year: i32) -> Result<YearView> {
    caller.principal.require(Permission::CalendarRead)?;
    check_year(year)?;
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT day, kind, name FROM calendar_days WHERE day >= $1 AND day <= $2 ORDER BY day")
            .bind(format!("{year}-01-01"))
            .bind(format!("{year}-12-31"))
            .fetch_all(store.reader())
            .await?;
    let mut days = Vec::with_capacity(rows.len());
    for (day, kind, name) in rows {
        days.push(CalendarDay { date: timefmt::parse_date("day", &day)?, kind: DayKind::parse(&kind)?, name });
    }
    let entered: Option<CalendarYear> = sqlx::query_as(
        "SELECT year, published, source, updated_at, updated_by FROM calendar_years WHERE year = $1 AND published = 1",
    )
    .bind(i64::from(year))
    .fetch_optional(store.reader())
    .await?;
    let cal = load(store).await?;
    let first = Date::from_ordinal_date(year, 1).map_err(|_| Error::not_found("year", year))?;
    let last = Date::from_ordinal_date(year + 1, 1).map_err(|_| Error::not_found("year", year))?;
    let working_days =
        cal.working_days_between(first.previous_day().unwrap_or(first), last.previous_day().unwrap_or(last));
    Ok(YearView { year, entered, days, working_days })
}

async fn previous(tx: &mut WriteTx, date: &str) -> Result<Option<(String, String)>> {
    Ok(sqlx::query_as("SELECT kind, name FROM calendar_days WHERE day = $1")
        .bind(date)
        .fetch_optional(tx.conn())
        .await?)
}

pub(crate) async fn upsert_day(tx: &mut WriteTx, day: &CalendarDay, by: &str) -> Result<Option<(String, String)>> {
    let date = timefmt::format_date(day.date);
    let before = previous(tx, &date).await?;
    sqlx::query(
        "INSERT INTO calendar_days (day, kind, name, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (day) DO UPDATE SET kind = excluded.kind, name = excluded.name, updated_at = excluded.updated_at, \
         updated_by = excluded.updated_by",
    )
    .bind(&date)
    .bind(day.kind.as_str())
    .bind(&day.name)
    .bind(timefmt::format_instant(timefmt::now()))
    .bind(by)
    .execute(tx.conn())
    .await?;
    Ok(before)
}

pub(crate) async fn upsert_year(tx: &mut WriteTx, year: i32, published: bool, source: &str, by: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO calendar_years (year, published, source, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (year) DO UPDATE SET published = excluded.published, source = excluded.source, \
         updated_at = excluded.updated_at, updated_by = excluded.updated_by",
    )
    .bind(i64::from(year))
    .bind(i64::from(published))
    .bind(source)
    .bind(timefmt::format_instant(timefmt::now()))
    .bind(by)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Marks a date a holiday or a make-up working day. Requires `calendar.manage`.
pub async fn set_day(store: &Store, caller: &Caller, day: CalendarDay) -> Result<()> {
    caller.principal.require(Permission::CalendarManage)?;
    let mut tx = store.begin().await?;
    let before = upsert_day(&mut tx, &day, &caller.principal.username).await?;
    let before = before.as_ref().map(|(k, n)| (k.as_str(), n.as_str()));
    tx.record(
        caller.actor(),
        events::calendar_day_set(&timefmt::format_date(day.date), day.kind.as_str(), &day.name, before),
    );
    tx.commit().await?;
    Ok(())
}

/// Returns a date to the plain Monday-Friday rule. Requires `calendar.manage`.
pub async fn remove_day(store: &Store, caller: &Caller, date: Date) -> Result<()> {
    caller.principal.require(Permission::CalendarManage)?;
    let date = timefmt::format_date(date);
    let mut tx = store.begin().await?;
    let removed = sqlx::query("DELETE FROM calendar_days WHERE day = $1").bind(&date).execute(tx.conn()).await?;
    if removed.rows_affected() == 0 {
        return Err(Error::not_found("calendar_day", date));
    }
    tx.record(caller.actor(), events::calendar_day_removed(&date));
    tx.commit().await?;
    Ok(())
}

/// Records that `year`'s official arrangement has (or has not) been entered, citing the
/// notice. Requires `calendar.manage`.
pub async fn set_year(store: &Store, caller: &Caller, year: i32, published: bool, source: &str) -> Result<()> {
    caller.principal.require(Permission::CalendarManage)?;
    check_year(year)?;
    let source = source.trim();
    pubdata_domain::error::check_length("source", source, 1, 200)?;
    let mut tx = store.begin().await?;
    upsert_year(&mut tx, year, published, source, &caller.principal.username).await?;
    tx.record(caller.actor(), events::calendar_year_set(year, published, source));
    tx.commit().await?;
    Ok(())
}

/// Imports days from the calendar CSV format and marks each year it touches as entered,
/// citing `source`: all or nothing. Requires `calendar.manage`. Returns (days, years).
pub async fn import_csv(store: &Store, caller: &Caller, text: &str, source: &str) -> Result<(usize, Vec<i32>)> {
    caller.principal.require(Permission::CalendarManage)?;
    let days = calendar::parse_csv(text)?;
    let mut tx = store.begin().await?;
    let years = write_days(&mut tx, caller, &days, source).await?;
    tx.commit().await?;
    Ok((days.len(), years))
}

/// Writes days and marks their years entered inside `tx`, recording the import as one entry.
pub(crate) async fn write_days(
    tx: &mut WriteTx,
    caller: &Caller,
    days: &[CalendarDay],
    source: &str,
) -> Result<Vec<i32>> {
    let by = caller.principal.username.clone();
    let mut years: Vec<i32> = Vec::new();
    for day in days {
        upsert_day(tx, day, &by).await?;
        // A holiday block can start in the previous December (2022-12-31 belongs to 2023's New Year).
        let year = if day.date.month() == time::Month::December && day.date.day() == 31 && day.kind == DayKind::Holiday
        {
            day.date.year() + 1
        } else {
            day.date.year()
        };
        if !years.contains(&year) {
            years.push(year);
        }
    }
    years.sort_unstable();
    for year in &years {
        upsert_year(tx, *year, true, source, &by).await?;
    }
    tx.record(caller.actor(), events::calendar_imported(days.len(), &years, source));
    Ok(years)
}
