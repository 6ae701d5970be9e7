//! The working-day calendar: every deadline in pubdata is counted in working days.
//!
//! A day is a working day if it is Monday to Friday, unless the calendar marks it a holiday;
//! a Saturday or Sunday is a day off unless the calendar marks it a make-up working day (调休上班).
//! The State Council publishes each year's arrangement in November or December; a year whose
//! notice has not been entered counts only weekends as days off, and [`WorkCalendar::covers`]
//! tells callers to say so.

use crate::error::{Error, Result, check_length};
use crate::timefmt::parse_date;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use time::{Date, Duration, Weekday};

/// The holiday data shipped with the program (see `data/README.md`).
pub const BUNDLED_CSV: &str = include_str!("../data/cn-workday-calendar.csv");
/// The years whose State Council notice the bundled data contains.
pub const BUNDLED_YEARS: [i32; 4] = [2023, 2024, 2025, 2026];
/// Where the bundled data comes from, recorded with each bundled year.
pub const BUNDLED_SOURCE: &str = "国务院办公厅关于部分节假日安排的通知 (bundled)";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// A day off, including weekend days inside a holiday block.
    Holiday,
    /// A weekend day worked in exchange (调休上班).
    Workday,
}

impl DayKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DayKind::Holiday => "holiday",
            DayKind::Workday => "workday",
        }
    }

    pub fn parse(s: &str) -> Result<DayKind> {
        match s.trim() {
            "holiday" => Ok(DayKind::Holiday),
            "workday" => Ok(DayKind::Workday),
            other => Err(Error::invalid(
                "kind",
                format!("未知的日期类型 {other:?}，应为 holiday（放假）或 workday（调休上班）"),
                format!("unknown day kind {other:?}, expected holiday or workday"),
            )),
        }
    }
}

/// One date that differs from the plain Monday-Friday week.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CalendarDay {
    pub date: Date,
    pub kind: DayKind,
    /// The holiday's name, e.g. 春节 or 国庆节调休上班.
    pub name: String,
}

impl CalendarDay {
    pub fn new(date: Date, kind: DayKind, name: &str) -> Result<CalendarDay> {
        let name = name.trim();
        check_length("name", name, 1, 32)?;
        let weekend = matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday);
        if kind == DayKind::Workday && !weekend {
            return Err(Error::invalid(
                "kind",
                format!("{date} 是工作日（周一至周五），无需标记为调休上班"),
                format!("{date} is a weekday already; only a weekend day can be a make-up working day"),
            ));
        }
        Ok(CalendarDay { date, kind, name: name.to_string() })
    }
}

/// Parses the calendar CSV (`date,kind,name` with a header), naming the line of any error.
pub fn parse_csv(text: &str) -> Result<Vec<CalendarDay>> {
    let mut days = Vec::new();
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, header)) if header.trim().trim_start_matches('\u{feff}') == "date,kind,name" => {}
        _ => {
            return Err(Error::invalid(
                "line 1",
                "第 1 行应为表头 date,kind,name",
                "line 1 must be the header date,kind,name",
            ));
        }
    }
    for (i, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let at = |e: Error| match e {
            Error::Invalid { field, message } => Error::Invalid {
                field: format!("line {} ({field})", i + 1),
                message: crate::Text::new(
                    format!("第 {} 行：{}", i + 1, message.zh),
                    format!("line {}: {}", i + 1, message.en),
                ),
            },
            other => other,
        };
        let parts: Vec<&str> = line.splitn(3, ',').collect();
        let [date, kind, name] = parts[..] else {
            return Err(at(Error::invalid("line", "应有 3 列：date,kind,name", "expected 3 columns: date,kind,name")));
        };
        let day = CalendarDay::new(parse_date("date", date).map_err(at)?, DayKind::parse(kind).map_err(at)?, name)
            .map_err(at)?;
        days.push(day);
    }
    Ok(days)
}

/// The calendar as loaded from storage: the exceptional days and the years whose official
/// notice has been entered.
#[derive(Clone, Debug, Default)]
pub struct WorkCalendar {
    days: BTreeMap<Date, DayKind>,
    covered_years: BTreeSet<i32>,
}

impl WorkCalendar {
    pub fn new(days: impl IntoIterator<Item = (Date, DayKind)>, covered_years: impl IntoIterator<Item = i32>) -> Self {
        WorkCalendar { days: days.into_iter().collect(), covered_years: covered_years.into_iter().collect() }
    }

    /// The calendar of the bundled data alone.
    pub fn bundled() -> Result<WorkCalendar> {
        let days = parse_csv(BUNDLED_CSV)?;
        Ok(WorkCalendar::new(days.into_iter().map(|d| (d.date, d.kind)), BUNDLED_YEARS))
    }

    pub fn is_working_day(&self, date: Date) -> bool {
        match self.days.get(&date) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::Workday) => true,
            None => !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday),
        }
    }

    /// Whether the official arrangement for `year` has been entered. If not, deadlines in that
    /// year count weekends only and may fall on a public holiday.
    pub fn covers(&self, year: i32) -> bool {
        self.covered_years.contains(&year)
    }

    /// The years between `from` and `to` (inclusive) whose arrangement is missing.
    pub fn uncovered_years(&self, from: Date, to: Date) -> Vec<i32> {
        let (a, b) = if from <= to { (from, to) } else { (to, from) };
        (a.year()..=b.year()).filter(|y| !self.covers(*y)).collect()
    }

    /// The date `n` working days after `start` (before it, for negative `n`). Day 0 is `start`
    /// itself; day 1 is the first working day after `start`, whatever `start` is.
    pub fn add_working_days(&self, start: Date, n: i64) -> Date {
        let step = if n >= 0 { Duration::days(1) } else { Duration::days(-1) };
        let mut date = start;
        let mut left = n.unsigned_abs();
        while left > 0 {
            date += step;
            if self.is_working_day(date) {
                left -= 1;
            }
        }
        date
    }

    /// The number of working days `d` with `from < d <= to`, negative if `to` is before `from`,
    /// so that `working_days_between(s, add_working_days(s, n)) == n`.
    pub fn working_days_between(&self, from: Date, to: Date) -> i64 {
        if to < from {
            return -self.working_days_between(to, from);
        }
        // Whole weeks hold five weekdays; only exceptional days inside the span adjust that.
        let span = (to - from).whole_days();
        let mut weekdays = span / 7 * 5;
        let mut d = from + Duration::days(span / 7 * 7);
        while d < to {
            d += Duration::days(1);
            if !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) {
                weekdays += 1;
            }
        }
        let adjust: i64 = self
            .days
            .range((std::ops::Bound::Excluded(from), std::ops::Bound::Included(to)))
            .map(|(date, kind)| {
                let weekend = matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday);
                match (kind, weekend) {
                    (DayKind::Holiday, false) => -1,
                    (DayKind::Workday, true) => 1,
                    _ => 0,
                }
            })
            .sum();
        weekdays + adjust
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn cal() -> WorkCalendar {
        WorkCalendar::bundled().unwrap()
    }

    #[test]
    fn bundled_data_parses_and_covers_2023_to_2026() {
        let c = cal();
        assert!(c.covers(2023) && c.covers(2026));
        assert!(!c.covers(2027));
        assert_eq!(c.uncovered_years(date!(2026 - 12 - 01), date!(2027 - 02 - 01)), vec![2027]);
    }

    #[test]
    fn holidays_and_make_up_days_are_honoured() {
        let c = cal();
        // 2026 National Day: 1-7 Oct off, Saturday 10 Oct worked.
        assert!(!c.is_working_day(date!(2026 - 10 - 05)));
        assert!(c.is_working_day(date!(2026 - 10 - 10)));
        assert!(!c.is_working_day(date!(2026 - 10 - 11)), "an ordinary Sunday");
        assert!(c.is_working_day(date!(2026 - 10 - 08)));
    }

    #[test]
    fn deadlines_skip_the_national_day_holiday() {
        let c = cal();
        // Five working days from Tuesday 29 Sep 2026: 30 Sep, 8 Oct, 9 Oct, 10 Oct (make-up), 12 Oct.
        assert_eq!(c.add_working_days(date!(2026 - 09 - 29), 5), date!(2026 - 10 - 12));
        assert_eq!(c.add_working_days(date!(2026 - 10 - 12), -5), date!(2026 - 09 - 29));
        assert_eq!(c.add_working_days(date!(2026 - 09 - 29), 0), date!(2026 - 09 - 29));
    }

    #[test]
    fn spring_festival_2026_counts_correctly() {
        let c = cal();
        // 15-23 Feb 2026 off; Saturday 14 Feb and Saturday 28 Feb worked.
        assert_eq!(c.add_working_days(date!(2026 - 02 - 13), 1), date!(2026 - 02 - 14));
        assert_eq!(c.add_working_days(date!(2026 - 02 - 14), 1), date!(2026 - 02 - 24));
    }

    #[test]
    fn between_is_the_inverse_of_add_over_four_years() {
        let c = cal();
        let start = date!(2022 - 12 - 20);
        for n in [0, 1, 7, 30, 250, 1000] {
            let end = c.add_working_days(start, n);
            assert_eq!(c.working_days_between(start, end), n, "n={n} end={end}");
            assert_eq!(c.working_days_between(end, start), -n);
        }
        // Every day-by-day count agrees with the week-skipping count.
        let mut d = start;
        let mut count = 0;
        while d < date!(2027 - 01 - 10) {
            d += Duration::days(1);
            count += i64::from(c.is_working_day(d));
            assert_eq!(c.working_days_between(start, d), count, "{d}");
        }
    }

    #[test]
    fn years_without_a_notice_count_weekends_only() {
        let c = cal();
        // 1 Jan 2027 is a Friday; with no 2027 notice entered it counts as a working day.
        assert!(c.is_working_day(date!(2027 - 01 - 01)));
    }

    #[test]
    fn bad_csv_names_the_line() {
        let err = parse_csv("date,kind,name\n2026-01-01,holiday,元旦\n2026-13-01,holiday,x\n").unwrap_err();
        assert!(err.to_string().contains("line 3"), "{err}");
        assert!(parse_csv("when,what\n").is_err());
        let err = parse_csv("date,kind,name\n2026-01-05,workday,x\n").unwrap_err();
        assert!(err.to_string().contains("weekday"), "{err}");
    }
}
