//! `pubdata verify …`: data verification (Art.11) at the command line: the scheduled
//! cross-checks, and running the ones due today (what `serve` does every few minutes).

use crate::commands::{connect_existing, describe};
use crate::config::Config;
use clap::Subcommand;
use pubdata_domain::identity::Caller;
use pubdata_domain::timefmt;
use pubdata_store::Store;
use pubdata_store::verification::schedules::{self, Schedule, ScheduledRun};
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum VerifyCommand {
    /// List the scheduled cross-checks: what each compares, its interval, next run and last result.
    Schedules {
        #[command(flatten)]
        db: crate::DbArgs,
    },
    /// Run the scheduled cross-checks due today (district time) and print what each found.
    /// Exits 1 if a run could not compare.
    RunDue {
        #[command(flatten)]
        db: crate::DbArgs,
    },
}

impl VerifyCommand {
    pub fn db(&self) -> &crate::DbArgs {
        match self {
            VerifyCommand::Schedules { db } | VerifyCommand::RunDue { db } => db,
        }
    }
}

pub async fn run(config: &Config, command: VerifyCommand) -> Result<ExitCode, String> {
    let store = connect_existing(config).await?;
    let result = dispatch(&store, command).await;
    store.close().await;
    result
}

async fn dispatch(store: &Store, command: VerifyCommand) -> Result<ExitCode, String> {
    match command {
        VerifyCommand::Schedules { .. } => {
            let list = schedules::schedules(store, &Caller::system("cli")).await.map_err(|e| describe(&e))?;
            if list.is_empty() {
                println!("没有定期比对 / no scheduled cross-checks");
            }
            for s in &list {
                println!("{}", schedule_line(s));
            }
            Ok(ExitCode::SUCCESS)
        }
        VerifyCommand::RunDue { .. } => {
            let today = timefmt::district_date(timefmt::now());
            let runs = schedules::run_due_schedules(store, today).await.map_err(|e| describe(&e))?;
            if runs.is_empty() {
                println!("{} 没有到期的定期比对 / no scheduled cross-check is due", timefmt::format_date(today));
            }
            for r in &runs {
                println!("{}", run_line(r));
            }
            Ok(if runs.iter().any(|r| r.error.is_some()) { ExitCode::from(1) } else { ExitCode::SUCCESS })
        }
    }
}

/// One schedule, tab-separated: id, state, interval, next run, what is compared, last result.
fn schedule_line(s: &Schedule) -> String {
    let state = if s.active { "active" } else { "deactivated" };
    let last = match (&s.last_error, &s.last_run) {
        (Some(e), _) => format!("失败 failed: {}", e.both()),
        (None, Some(r)) => format!(
            "run #{} {}: {} keys, {} conflicts{}",
            r.id,
            r.run_at,
            r.keys_compared,
            r.conflicts,
            r.task_id.map(|t| format!(", task #{t}")).unwrap_or_default()
        ),
        (None, None) => "尚未比对 not run yet".to_string(),
    };
    format!(
        "{}\t{state}\tevery {} working days\tnext {}\t#{} {}.{} ↔ #{} {}.{}\t{last}",
        s.id,
        s.every_working_days,
        if s.active { s.next_run_on.as_str() } else { "-" },
        s.resource_a,
        s.resource_a_name,
        s.item_a,
        s.resource_b,
        s.resource_b_name,
        s.item_b,
    )
}

/// What one due schedule's run came to.
fn run_line(r: &ScheduledRun) -> String {
    let head = format!("定期比对 schedule #{} (due {}, next {})", r.schedule_id, r.due_on, r.next_run_on);
    match (&r.error, &r.cross_check) {
        (Some(e), _) => format!("{head}: 失败 failed: {}", e.both()),
        (None, Some(c)) => {
            let task = match (r.task_id, r.pending_task_id) {
                (Some(t), _) => format!("; 已发起校核任务 task #{t} opened"),
                (None, Some(p)) => format!("; 任务 #{p} 尚未办结，未再发起 / task #{p} not closed yet: no second task"),
                (None, None) => String::new(),
            };
            format!("{head}: run #{} — {} keys, {} conflicts{task}", c.id, c.keys_compared, c.conflicts)
        }
        (None, None) => head,
    }
}
