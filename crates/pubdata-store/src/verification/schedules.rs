//! Scheduled cross-checks (Art.11) over storage: making, listing and deactivating schedules, and
//! running the due ones (`serve` does so periodically, `pubdata verify run-due` on demand).
//!
//! A schedule is checked when it is made exactly as a run on demand is, so that one that could
//! never run is refused; its items are kept as resolved then. Each run executes as the system
//! principal on behalf of the schedule's maker, whose name the run records, and goes through the
//! same path as a run on demand (one transaction, one audit entry for the run). Several
//! instances may share one PostgreSQL database: an instance claims a due schedule by moving its
//! next date with a conditional UPDATE (`WHERE next_run_on = <the date it read>`), audited and
//! committed before it runs, so that no schedule runs twice for one date.

use super::{Author, CrossCheck, Scheduled, cross_check_by_id, execute, prepare, refuse, stored};
use crate::calendar;
use crate::db::{Store, WriteTx};
use crate::error::{Error, Result};
use crate::sql::Sql;
use pubdata_domain::Text;
use pubdata_domain::audit::events;
use pubdata_domain::identity::{Caller, Permission, Scope};
use pubdata_domain::timefmt;
use pubdata_domain::verification::schedule::{self, NewSchedule};
use pubdata_domain::verification::{self, CrossCheckSpec, TaskState};
use serde::Serialize;
use serde_json::json;
use sqlx::AnyConnection;
use time::Date;

/// The principal scheduled runs act as, in the audit trail.
const SYSTEM_NAME: &str = "schedule";

/// A scheduled cross-check as the lists show it.
#[derive(Clone, Debug, Serialize)]
pub struct Schedule {
    pub id: i64,
    pub resource_a: i64,
    pub resource_a_name: String,
    pub provider_a: i64,
    pub key_item_a: String,
    pub item_a: String,
    pub resource_b: i64,
    pub resource_b_name: String,
    pub provider_b: i64,
    pub key_item_b: String,
    pub item_b: String,
    /// The providers' deadline for a task a run opens, in working days.
    pub working_days: i64,
    /// Working days from one run to the next.
    pub every_working_days: i64,
    /// The day of the next run (district time).
    pub next_run_on: String,
    pub active: bool,
    pub created_by: String,
    pub created_at: String,
    /// The last run that compared.
    pub last_run: Option<LastRun>,
    /// Why the latest run could not compare; `None` once one compares again.
    pub last_error: Option<Text>,
    /// The newest task the schedule's runs opened, while it is not closed: runs that find
    /// conflicts meanwhile open no other.
    pub pending_task_id: Option<i64>,
    pub updated_at: String,
}

/// A schedule's last run that compared.
#[derive(Clone, Debug, Serialize)]
pub struct LastRun {
    pub id: i64,
    pub run_at: String,
    pub keys_compared: i64,
    pub conflicts: i64,
    /// The task this run opened.
    pub task_id: Option<i64>,
}

/// What one due schedule's run came to.
#[derive(Clone, Debug, Serialize)]
pub struct ScheduledRun {
    pub schedule_id: i64,
    /// The date it was due (earlier than the run when no instance ran on that day).
    pub due_on: String,
    /// The day of its next run.
    pub next_run_on: String,
    /// The run, when it compared.
    pub cross_check: Option<CrossCheck>,
    /// The task the run opened.
    pub task_id: Option<i64>,
    /// The schedule's earlier task, not yet closed, because of which no task was opened.
    pub pending_task_id: Option<i64>,
    /// Why the run could not compare.
    pub error: Option<Text>,
}

#[derive(sqlx::FromRow)]
struct ScheduleRow {
    id: i64,
    resource_a: i64,
    resource_a_name: String,
    provider_a: i64,
    key_item_a: String,
    item_a: String,
    resource_b: i64,
    resource_b_name: String,
    provider_b: i64,
    key_item_b: String,
    item_b: String,
    working_days: i64,
    every_working_days: i64,
    next_run_on: String,
    active: i64,
    created_by: String,
    created_by_user: Option<i64>,
    created_at: String,
    last_run_id: Option<i64>,
    last_run_at: Option<String>,
    last_keys_compared: Option<i64>,
    last_conflicts: Option<i64>,
    last_task_id: Option<i64>,
    last_error: Option<String>,
    pending_task_id: Option<i64>,
    updated_at: String,
}

macro_rules! schedule_select {
    () => {
        "SELECT s.id, s.resource_a, ra.name AS resource_a_name, ra.provider_org_id AS provider_a, s.key_item_a, \
         s.item_a, s.resource_b, rb.name AS resource_b_name, rb.provider_org_id AS provider_b, s.key_item_b, s.item_b, \
         s.working_days, s.every_working_days, s.next_run_on, s.active, s.created_by, s.created_by_user, s.created_at, \
         s.last_run_id, lr.run_at AS last_run_at, lr.keys_compared AS last_keys_compared, \
         lr.conflicts AS last_conflicts, lt.id AS last_task_id, s.last_error, \
         (SELECT MAX(pt.id) FROM verification_tasks pt JOIN verification_cross_checks pc ON pc.id = pt.cross_check_id \
          WHERE pc.schedule_id = s.id AND pt.state <> 'closed') AS pending_task_id, s.updated_at \
         FROM verification_schedules s JOIN catalog_resources ra ON ra.id = s.resource_a \
         JOIN catalog_resources rb ON rb.id = s.resource_b \
         LEFT JOIN verification_cross_checks lr ON lr.id = s.last_run_id \
         LEFT JOIN verification_tasks lt ON lt.cross_check_id = lr.id"
    };
}

/// The stored text of a run's failure.
fn error_json(text: &Text) -> String {
    json!({ "zh": text.zh, "en": text.en }).to_string()
}

fn parse_error(stored_text: &str) -> Result<Text> {
    let v: serde_json::Value = serde_json::from_str(stored_text).map_err(|_| stored("schedule error", stored_text))?;
    match (v["zh"].as_str(), v["en"].as_str()) {
        (Some(zh), Some(en)) => Ok(Text::new(zh.to_string(), en.to_string())),
        _ => Err(stored("schedule error", stored_text)),
    }
}

impl ScheduleRow {
    fn view(self) -> Result<Schedule> {
        let last_run = match (self.last_run_id, self.last_run_at) {
            (Some(id), Some(run_at)) => Some(LastRun {
                id,
                run_at,
                keys_compared: self.last_keys_compared.unwrap_or_default(),
                conflicts: self.last_conflicts.unwrap_or_default(),
                task_id: self.last_task_id,
            }),
            _ => None,
        };
        Ok(Schedule {
            id: self.id,
            resource_a: self.resource_a,
            resource_a_name: self.resource_a_name,
            provider_a: self.provider_a,
            key_item_a: self.key_item_a,
            item_a: self.item_a,
            resource_b: self.resource_b,
            resource_b_name: self.resource_b_name,
            provider_b: self.provider_b,
            key_item_b: self.key_item_b,
            item_b: self.item_b,
            working_days: self.working_days,
            every_working_days: self.every_working_days,
            next_run_on: self.next_run_on,
            active: self.active != 0,
            created_by: self.created_by,
            created_at: self.created_at,
            last_run,
            last_error: self.last_error.as_deref().map(parse_error).transpose()?,
            pending_task_id: self.pending_task_id,
            updated_at: self.updated_at,
        })
    }

    /// What each run compares: the items as resolved when the schedule was made.
    fn spec(&self) -> CrossCheckSpec {
        CrossCheckSpec {
            resource_a: self.resource_a,
            resource_b: self.resource_b,
            key_item_a: Some(self.key_item_a.clone()),
            key_item_b: Some(self.key_item_b.clone()),
            item_a: self.item_a.clone(),
            item_b: Some(self.item_b.clone()),
            working_days: Some(self.working_days),
        }
    }
}

async fn schedule_by_id(store: &Store, id: i64) -> Result<Schedule> {
    let row: Option<ScheduleRow> =
        sqlx::query_as(concat!(schedule_select!(), " WHERE s.id = $1")).bind(id).fetch_optional(store.reader()).await?;
    row.ok_or_else(|| Error::not_found("verification_schedule", id))?.view()
}

/// The schedule's newest task, with its state: a run that finds conflicts opens another only
/// once this one is closed.
pub(super) async fn newest_task(conn: &mut AnyConnection, schedule_id: i64) -> Result<Option<(i64, TaskState)>> {
    let row: Option<(i64, String)> = sqlx::query_as(
        "SELECT t.id, t.state FROM verification_tasks t JOIN verification_cross_checks c ON c.id = t.cross_check_id \
         WHERE c.schedule_id = $1 ORDER BY t.id DESC LIMIT 1",
    )
    .bind(schedule_id)
    .fetch_optional(conn)
    .await?;
    row.map(|(id, state)| TaskState::parse(&state).map(|s| (id, s)).ok_or_else(|| stored("state", &state))).transpose()
}

/// Keeps `run_id` as the schedule's last run, clearing an earlier failure (in the run's
/// transaction, whose audit entry names the schedule).
pub(super) async fn record_run(tx: &mut WriteTx, schedule_id: i64, run_id: i64) -> Result<()> {
    sqlx::query("UPDATE verification_schedules SET last_run_id = $1, last_error = NULL, updated_at = $2 WHERE id = $3")
        .bind(run_id)
        .bind(timefmt::format_instant(timefmt::now()))
        .bind(schedule_id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Schedules a cross-check (`verification.manage`). The spec is checked exactly as a run on
/// demand checks it (published resources with delivered rows, of different providers, items
/// found), so that a schedule that could never run is refused, each problem naming its field;
/// so are the interval (1-60 working days) and the start date (a working day from today on;
/// default the next working day).
pub async fn create_schedule(store: &Store, caller: &Caller, new: NewSchedule) -> Result<Schedule> {
    caller.principal.require(Permission::VerificationManage)?;
    let new = new.normalized();
    let cal = calendar::load(store).await?;
    let today = timefmt::district_date(timefmt::now());
    refuse(new.problems(today, &cal))?;
    let p = prepare(store, new.spec.clone()).await?;
    let c = &p.comparison;
    let working_days = p.working_days.unwrap_or(verification::DEFAULT_WORKING_DAYS);
    let first = timefmt::format_date(new.first_run_on(today, &cal));
    let now = timefmt::format_instant(timefmt::now());
    let mut tx = store.begin().await?;
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO verification_schedules (resource_a, key_item_a, item_a, resource_b, key_item_b, item_b, \
         working_days, every_working_days, next_run_on, active, created_by, created_by_user, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $11, $12, $12) RETURNING id",
    )
    .bind(p.a.id)
    .bind(&c.key_a.code)
    .bind(&c.item_a.code)
    .bind(p.b.id)
    .bind(&c.key_b.code)
    .bind(&c.item_b.code)
    .bind(working_days)
    .bind(new.every_working_days)
    .bind(&first)
    .bind(&caller.principal.username)
    .bind(caller.principal.user_id.map(|u| u.0))
    .bind(&now)
    .fetch_one(tx.conn())
    .await?;
    let spec = json!({
        "resource_a": p.a.id, "key_item_a": c.key_a.code, "item_a": c.item_a.code,
        "resource_b": p.b.id, "key_item_b": c.key_b.code, "item_b": c.item_b.code, "working_days": working_days,
    });
    tx.record(caller.actor(), events::verification_schedule_created(id, spec, new.every_working_days, &first));
    tx.commit().await?;
    schedule_by_id(store, id).await
}

/// The schedules, newest first: every one for the roles that see all organisations; for an
/// agency, those comparing one of its resources (as with the runs).
pub async fn schedules(store: &Store, caller: &Caller) -> Result<Vec<Schedule>> {
    verification::require_read(&caller.principal)?;
    let mut q = Sql::new(concat!(schedule_select!(), " WHERE "));
    match (caller.principal.scope(), caller.principal.org_id) {
        (Scope::All, _) => {
            q.push("1 = 1");
        }
        (_, Some(org)) => {
            q.push("(ra.provider_org_id = ").bind(org.0).push(" OR rb.provider_org_id = ").bind(org.0).push(")");
        }
        (_, None) => return Ok(Vec::new()),
    }
    q.push(" ORDER BY s.id DESC");
    let rows: Vec<ScheduleRow> = q.query_as().fetch_all(store.reader()).await?;
    rows.into_iter().map(ScheduleRow::view).collect()
}

/// Stops a schedule (`verification.manage`); its runs and the tasks they opened stay.
pub async fn deactivate_schedule(store: &Store, caller: &Caller, id: i64) -> Result<Schedule> {
    caller.principal.require(Permission::VerificationManage)?;
    let mut tx = store.begin().await?;
    let sql = match tx.backend() {
        crate::Backend::Sqlite => "SELECT active FROM verification_schedules WHERE id = $1",
        crate::Backend::Postgres => "SELECT active FROM verification_schedules WHERE id = $1 FOR UPDATE",
    };
    let row: Option<(i64,)> = sqlx::query_as(sql).bind(id).fetch_optional(tx.conn()).await?;
    let Some((active,)) = row else {
        return Err(Error::not_found("verification_schedule", id));
    };
    schedule::deactivate(active != 0)?;
    sqlx::query("UPDATE verification_schedules SET active = 0, updated_at = $1 WHERE id = $2")
        .bind(timefmt::format_instant(timefmt::now()))
        .bind(id)
        .execute(tx.conn())
        .await?;
    tx.record(caller.actor(), events::verification_schedule_deactivated(id));
    tx.commit().await?;
    schedule_by_id(store, id).await
}

/// Runs every active schedule due on `today` (its next date on or before it), each once, even
/// with several instances on one database; the next date becomes `today` plus the schedule's
/// interval in working days. A run that cannot compare (e.g. a resource was withdrawn) is kept
/// as the schedule's last error and the others run on; a database failure stops the pass.
pub async fn run_due_schedules(store: &Store, today: Date) -> Result<Vec<ScheduledRun>> {
    let today_text = timefmt::format_date(today);
    let due: Vec<ScheduleRow> = sqlx::query_as(concat!(
        schedule_select!(),
        " WHERE s.active = 1 AND s.next_run_on <= $1 ORDER BY s.next_run_on, s.id"
    ))
    .bind(&today_text)
    .fetch_all(store.reader())
    .await?;
    if due.is_empty() {
        return Ok(Vec::new());
    }
    let cal = calendar::load(store).await?;
    let caller = Caller::system(SYSTEM_NAME);
    let mut out = Vec::with_capacity(due.len());
    for row in due {
        let next = timefmt::format_date(schedule::next_run_on(today, row.every_working_days, &cal));
        if !claim(store, &caller, &row, &today_text, &next).await? {
            continue; // another instance took it
        }
        let mut outcome = ScheduledRun {
            schedule_id: row.id,
            due_on: row.next_run_on.clone(),
            next_run_on: next,
            cross_check: None,
            task_id: None,
            pending_task_id: None,
            error: None,
        };
        match run_one(store, &caller, &row).await {
            Ok(ran) => {
                outcome.cross_check = Some(cross_check_by_id(store, ran.run_id).await?);
                outcome.task_id = ran.task_id;
                outcome.pending_task_id = ran.pending_task_id;
            }
            Err(e) => {
                let text = failure_text(row.id, &e);
                record_failure(store, &caller, row.id, &text).await?;
                outcome.error = Some(text);
            }
        }
        out.push(outcome);
    }
    Ok(out)
}

/// Takes a due schedule for this instance by moving its next date, if no other instance has
/// since: the UPDATE matches only the date read. Committed (with its audit entry) before the
/// run, so that a concurrent instance's claim finds the date moved and matches nothing.
async fn claim(store: &Store, caller: &Caller, row: &ScheduleRow, today: &str, next: &str) -> Result<bool> {
    let mut tx = store.begin().await?;
    let claimed = sqlx::query(
        "UPDATE verification_schedules SET next_run_on = $1, updated_at = $2 \
         WHERE id = $3 AND next_run_on = $4 AND active = 1",
    )
    .bind(next)
    .bind(timefmt::format_instant(timefmt::now()))
    .bind(row.id)
    .bind(&row.next_run_on)
    .execute(tx.conn())
    .await?
    .rows_affected()
        == 1;
    if claimed {
        tx.record(caller.actor(), events::verification_schedule_claimed(row.id, &row.next_run_on, today, next));
    }
    // Nothing recorded (not claimed): rolled back.
    tx.commit_if_recorded().await?;
    Ok(claimed)
}

/// Checks the schedule's spec as it stands now and runs it on behalf of its maker.
async fn run_one(store: &Store, caller: &Caller, row: &ScheduleRow) -> Result<super::Ran> {
    let prepared = prepare(store, row.spec()).await?;
    let scheduled =
        Scheduled { id: row.id, author: Author { name: row.created_by.clone(), user_id: row.created_by_user } };
    execute(store, caller, &prepared, Some(&scheduled)).await
}

/// Why a run could not compare, for the authority: the rule it broke, each naming its field;
/// anything else is logged and described without its internals.
fn failure_text(schedule_id: i64, e: &Error) -> Text {
    use pubdata_domain::Error as D;
    let both = |items: Vec<(String, &Text)>| {
        Text::new(
            items.iter().map(|(f, m)| format!("{f}：{}", m.zh)).collect::<Vec<_>>().join("；"),
            items.iter().map(|(f, m)| format!("{f}: {}", m.en)).collect::<Vec<_>>().join("; "),
        )
    };
    let text = match e {
        Error::Domain(D::Invalid { field, message }) => both(vec![(field.clone(), message)]),
        Error::Domain(D::Problems(p)) => both(p.iter().map(|p| (p.field.clone(), &p.message)).collect()),
        Error::Domain(D::Conflict(m) | D::OutOfScope(m)) => m.clone(),
        Error::NotFound { object, id } => {
            Text::new(format!("{object} {id} 不存在"), format!("{object} {id} does not exist"))
        }
        other => {
            tracing::error!(schedule_id, error = %other, "scheduled cross-check failed");
            return Text::new(
                "比对未能完成：系统内部错误，详见服务日志",
                "the cross-check could not be completed: an internal error (see the server log)",
            );
        }
    };
    tracing::warn!(schedule_id, reason = %text.en, "scheduled cross-check could not compare");
    text
}

/// Keeps why the run failed on the schedule, with its audit entry.
async fn record_failure(store: &Store, caller: &Caller, schedule_id: i64, text: &Text) -> Result<()> {
    let mut tx = store.begin().await?;
    sqlx::query("UPDATE verification_schedules SET last_error = $1, updated_at = $2 WHERE id = $3")
        .bind(error_json(text))
        .bind(timefmt::format_instant(timefmt::now()))
        .bind(schedule_id)
        .execute(tx.conn())
        .await?;
    tx.record(caller.actor(), events::verification_schedule_failed(schedule_id, text));
    tx.commit().await?;
    Ok(())
}
