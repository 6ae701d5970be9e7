//! Scheduled cross-checks (Art.11: the authority, "or a scheduled cross-check", compares the data
//! of different providers; values that conflict open a verification task).
//!
//! A schedule is a [`CrossCheckSpec`] with an interval in working days. It runs first on its
//! start date (by default the next working day), then `every_working_days` working days after
//! the day it last ran, on the platform's working-day calendar. While the task an earlier run
//! of the schedule opened is not closed, a run that finds conflicts opens no second one: the
//! providers are still verifying the same question.

use super::{CrossCheckSpec, TaskState, problem};
use crate::calendar::WorkCalendar;
use crate::catalog::Problem;
use crate::error::{Error, Result};
use crate::timefmt;
use time::Date;

/// The shortest interval between two runs, in working days.
pub const MIN_INTERVAL: i64 = 1;
/// The longest interval between two runs, in working days (about a quarter).
pub const MAX_INTERVAL: i64 = 60;
/// The interval the forms propose: a working week.
pub const DEFAULT_INTERVAL: i64 = 5;

/// What the authority gives to schedule a cross-check.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewSchedule {
    /// What each run compares, and the providers' deadline should values differ.
    pub spec: CrossCheckSpec,
    /// Working days from one run to the next.
    pub every_working_days: i64,
    /// The first run's date; default the next working day after today.
    pub starts_on: Option<Date>,
}

impl NewSchedule {
    pub fn normalized(mut self) -> NewSchedule {
        self.spec = self.spec.normalized();
        self
    }

    /// The rules that need no database: the spec's, the interval's and the start date's, each
    /// naming its field. A start date must be a working day from `today` on.
    pub fn problems(&self, today: Date, calendar: &WorkCalendar) -> Vec<Problem> {
        let mut out = self.spec.problems();
        if !(MIN_INTERVAL..=MAX_INTERVAL).contains(&self.every_working_days) {
            out.push(problem(
                "every_working_days",
                format!("比对间隔应为 {MIN_INTERVAL} 到 {MAX_INTERVAL} 个工作日"),
                format!("the interval must be {MIN_INTERVAL} to {MAX_INTERVAL} working days"),
            ));
        }
        match self.starts_on {
            Some(d) if d < today => out.push(problem(
                "starts_on",
                format!("首次比对日期 {} 早于今天（{}）", timefmt::format_date(d), timefmt::format_date(today)),
                format!(
                    "the first run's date {} is before today ({})",
                    timefmt::format_date(d),
                    timefmt::format_date(today)
                ),
            )),
            Some(d) if !calendar.is_working_day(d) => {
                let next = timefmt::format_date(calendar.add_working_days(d, 1));
                out.push(problem(
                    "starts_on",
                    format!(
                        "{} 不是工作日：定期比对在工作日进行（其后第一个工作日是 {next}）",
                        timefmt::format_date(d)
                    ),
                    format!(
                        "{} is not a working day: scheduled cross-checks run on working days (the next one is {next})",
                        timefmt::format_date(d)
                    ),
                ));
            }
            _ => {}
        }
        out
    }

    /// The day of the first run: the start date, or the next working day after `today`.
    pub fn first_run_on(&self, today: Date, calendar: &WorkCalendar) -> Date {
        self.starts_on.unwrap_or_else(|| calendar.add_working_days(today, 1))
    }
}

/// The day of the run after one on `ran_on`: `every_working_days` working days later. Counting
/// from the day it ran (not the day it was due) means a platform that was down runs a missed
/// schedule once, not once per missed date.
pub fn next_run_on(ran_on: Date, every_working_days: i64, calendar: &WorkCalendar) -> Date {
    calendar.add_working_days(ran_on, every_working_days.clamp(MIN_INTERVAL, MAX_INTERVAL))
}

/// Whether a schedule runs on `today`.
pub fn is_due(active: bool, next_run_on: Date, today: Date) -> bool {
    active && next_run_on <= today
}

/// Whether a run that found `conflicts` opens a task, given the state of the newest task the
/// schedule's earlier runs opened: only when there is none or it is closed.
pub fn opens_task(conflicts: u64, previous: Option<TaskState>) -> bool {
    conflicts > 0 && previous.is_none_or(|s| s == TaskState::Closed)
}

/// Refuses to deactivate a schedule that no longer runs.
pub fn deactivate(active: bool) -> Result<()> {
    if active {
        Ok(())
    } else {
        Err(Error::conflict("该定期比对已停用", "this scheduled cross-check is already deactivated"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn schedule(every: i64, starts_on: Option<Date>) -> NewSchedule {
        NewSchedule {
            spec: CrossCheckSpec {
                resource_a: 1,
                resource_b: 2,
                item_a: "enterprise_name".into(),
                ..Default::default()
            }
            .normalized(),
            every_working_days: every,
            starts_on,
        }
    }

    fn fields(p: Vec<Problem>) -> Vec<String> {
        p.into_iter().map(|p| p.field).collect()
    }

    #[test]
    fn art_11_a_schedule_first_runs_on_the_next_working_day() {
        let cal = WorkCalendar::bundled().unwrap();
        // Wednesday 30 Sep 2026: the next working day is Thursday 8 Oct, after National Day.
        assert_eq!(schedule(5, None).first_run_on(date!(2026 - 09 - 30), &cal), date!(2026 - 10 - 08));
        let given = date!(2026 - 10 - 09);
        assert_eq!(schedule(5, Some(given)).first_run_on(date!(2026 - 09 - 30), &cal), given);
    }

    #[test]
    fn art_11_the_next_run_counts_working_days_from_the_day_it_ran() {
        let cal = WorkCalendar::bundled().unwrap();
        // 30 Sep + 3: 8, 9, 10 Oct (the make-up Saturday).
        assert_eq!(next_run_on(date!(2026 - 09 - 30), 3, &cal), date!(2026 - 10 - 10));
        assert_eq!(next_run_on(date!(2026 - 10 - 12), 5, &cal), date!(2026 - 10 - 19));
        assert!(is_due(true, date!(2026 - 10 - 08), date!(2026 - 10 - 08)));
        assert!(is_due(true, date!(2026 - 10 - 08), date!(2026 - 10 - 20)), "a missed date runs late");
        assert!(!is_due(true, date!(2026 - 10 - 08), date!(2026 - 10 - 07)));
        assert!(!is_due(false, date!(2026 - 10 - 08), date!(2026 - 10 - 08)));
    }

    #[test]
    fn a_schedule_names_the_fields_it_lacks() {
        let cal = WorkCalendar::bundled().unwrap();
        let today = date!(2026 - 09 - 29);
        assert!(schedule(5, None).problems(today, &cal).is_empty());
        assert!(schedule(60, Some(today)).problems(today, &cal).is_empty());
        assert_eq!(fields(schedule(0, None).problems(today, &cal)), vec!["every_working_days"]);
        assert_eq!(fields(schedule(61, None).problems(today, &cal)), vec!["every_working_days"]);
        assert_eq!(fields(schedule(5, Some(date!(2026 - 09 - 28))).problems(today, &cal)), vec!["starts_on"]);
        let holiday = schedule(5, Some(date!(2026 - 10 - 01))).problems(today, &cal);
        assert_eq!(holiday[0].field, "starts_on");
        assert!(holiday[0].message.zh.contains("2026-10-08"), "{:?}", holiday[0].message);
        let mut bad = schedule(5, None);
        bad.spec.item_a = String::new();
        assert_eq!(fields(bad.problems(today, &cal)), vec!["item_a"]);
    }

    #[test]
    fn art_11_one_open_task_per_schedule() {
        assert!(opens_task(3, None));
        assert!(opens_task(3, Some(TaskState::Closed)));
        assert!(!opens_task(3, Some(TaskState::Open)));
        assert!(!opens_task(3, Some(TaskState::Answered)), "the authority has not concluded yet");
        assert!(!opens_task(0, None));
        assert!(deactivate(true).is_ok());
        assert!(matches!(deactivate(false), Err(Error::Conflict(_))));
    }
}
