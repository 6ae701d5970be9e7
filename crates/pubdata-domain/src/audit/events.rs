//! Named constructors for every audit event: the only way to make one, so that each action is
//! recorded the same way wherever it happens.

use super::entry::{Action, AuditEvent, Outcome};
use crate::identity::{Organisation, Permission, User};
use serde_json::{Map, Value, json};

fn event(action: Action, object_type: &'static str, object_id: Option<String>, summary: Value) -> AuditEvent {
    AuditEvent { action, object_type, object_id, outcome: Outcome::Success, summary }
}

/// The fields that differ between two JSON objects, as `{"before":{..},"after":{..}}`.
pub fn diff(before: &Value, after: &Value) -> Value {
    let (Some(b), Some(a)) = (before.as_object(), after.as_object()) else {
        return json!({ "before": before, "after": after });
    };
    let mut old = Map::new();
    let mut new = Map::new();
    for (k, v) in a {
        if b.get(k) != Some(v) && k != "updated_at" {
            old.insert(k.clone(), b.get(k).cloned().unwrap_or(Value::Null));
            new.insert(k.clone(), v.clone());
        }
    }
    json!({ "before": old, "after": new })
}

fn user_view(u: &User) -> Value {
    json!({
        "username": u.username, "display_name": u.display_name, "org_id": u.org_id,
        "role": u.role, "status": u.status, "email": u.email, "phone": u.phone,
    })
}

fn org_view(o: &Organisation) -> Value {
    json!({
        "name": o.name, "name_en": o.name_en, "kind": o.kind, "category": o.category,
        "parent_id": o.parent_id, "credit_code": o.credit_code, "status": o.status,
    })
}

pub fn system_bootstrapped(admin: &User, authority: &Organisation) -> AuditEvent {
    event(
        Action::SystemBootstrap,
        "user",
        Some(admin.id.to_string()),
        json!({ "admin": admin.username, "authority": authority.name }),
    )
}

pub fn demo_seeded(organisations: usize, users: usize) -> AuditEvent {
    event(Action::DemoSeed, "platform", None, json!({ "organisations": organisations, "users": users }))
}

/// A copy of the whole database was written to `file`.
pub fn backup_made(file: &str) -> AuditEvent {
    event(Action::Backup, "platform", None, json!({ "file": file }))
}

/// `via` is `web` or `api`.
pub fn login_succeeded(user: &User, via: &str) -> AuditEvent {
    event(Action::Login, "user", Some(user.id.to_string()), json!({ "via": via }))
}

/// `reason` is a stable code (`bad_credentials`, `throttled`, `disabled`, `demo_only`); the
/// attempted username is in the actor.
pub fn login_failed(user_id: Option<i64>, via: &str, reason: &str) -> AuditEvent {
    AuditEvent {
        outcome: Outcome::Failure,
        ..event(Action::Login, "user", user_id.map(|u| u.to_string()), json!({ "via": via, "reason": reason }))
    }
}

pub fn logged_out(user_id: i64) -> AuditEvent {
    event(Action::Logout, "user", Some(user_id.to_string()), json!({}))
}

pub fn registered(user: &User) -> AuditEvent {
    event(Action::Register, "user", Some(user.id.to_string()), json!({ "after": user_view(user) }))
}

pub fn password_changed(user_id: i64) -> AuditEvent {
    event(Action::PasswordChange, "user", Some(user_id.to_string()), json!({}))
}

pub fn access_denied(permission: Permission, method: &str, path: &str) -> AuditEvent {
    AuditEvent {
        outcome: Outcome::Denied,
        ..event(
            Action::AccessDenied,
            "route",
            Some(format!("{method} {}", path.chars().take(200).collect::<String>())),
            json!({ "missing_permission": permission.as_str() }),
        )
    }
}

pub fn org_created(org: &Organisation) -> AuditEvent {
    event(Action::OrgCreate, "organisation", Some(org.id.to_string()), json!({ "after": org_view(org) }))
}

pub fn org_updated(before: &Organisation, after: &Organisation) -> AuditEvent {
    event(Action::OrgUpdate, "organisation", Some(after.id.to_string()), diff(&org_view(before), &org_view(after)))
}

pub fn user_created(user: &User) -> AuditEvent {
    event(Action::UserCreate, "user", Some(user.id.to_string()), json!({ "after": user_view(user) }))
}

pub fn user_updated(before: &User, after: &User) -> AuditEvent {
    event(Action::UserUpdate, "user", Some(after.id.to_string()), diff(&user_view(before), &user_view(after)))
}

pub fn user_password_reset(user_id: i64) -> AuditEvent {
    event(Action::UserPasswordReset, "user", Some(user_id.to_string()), json!({ "must_change_password": true }))
}

pub fn token_created(token_id: i64, owner_id: i64, name: &str, scope: &str, expires_at: &str) -> AuditEvent {
    event(
        Action::TokenCreate,
        "api_token",
        Some(token_id.to_string()),
        json!({ "owner_id": owner_id, "name": name, "scope": scope, "expires_at": expires_at }),
    )
}

pub fn token_revoked(token_id: i64, owner_id: i64) -> AuditEvent {
    event(Action::TokenRevoke, "api_token", Some(token_id.to_string()), json!({ "owner_id": owner_id }))
}

/// `before` is the day's previous entry, if it had one.
pub fn calendar_day_set(date: &str, kind: &str, name: &str, before: Option<(&str, &str)>) -> AuditEvent {
    let before = before.map(|(k, n)| json!({ "kind": k, "name": n }));
    event(
        Action::CalendarDaySet,
        "calendar_day",
        Some(date.to_string()),
        json!({ "before": before, "after": { "kind": kind, "name": name } }),
    )
}

pub fn calendar_day_removed(date: &str) -> AuditEvent {
    event(Action::CalendarDayRemove, "calendar_day", Some(date.to_string()), json!({}))
}

pub fn calendar_year_set(year: i32, published: bool, source: &str) -> AuditEvent {
    event(
        Action::CalendarYearSet,
        "calendar_year",
        Some(year.to_string()),
        json!({ "published": published, "source": source }),
    )
}

pub fn calendar_imported(days: usize, years: &[i32], source: &str) -> AuditEvent {
    event(Action::CalendarImport, "calendar", None, json!({ "days": days, "years": years, "source": source }))
}

/// A resource was registered (as a draft).
pub fn catalog_created(resource_id: i64, name: &str, provider_org_id: i64, project_id: Option<i64>) -> AuditEvent {
    event(
        Action::CatalogCreate,
        "resource",
        Some(resource_id.to_string()),
        json!({ "name": name, "provider_org_id": provider_org_id, "project_id": project_id }),
    )
}

/// A resource's registration changed; `changes` lists the fields (from `catalog::diff`).
/// `version` is set when the change took effect at once as a new published version.
pub fn catalog_updated(resource_id: i64, changes: &[String], reason: &str, version: Option<i64>) -> AuditEvent {
    event(
        Action::CatalogUpdate,
        "resource",
        Some(resource_id.to_string()),
        json!({ "changed": changes, "reason": reason, "version": version }),
    )
}

/// A review step: `action` taken, from one state to the next, with the reviewer's comment;
/// `version` is set when the step published a version.
pub fn catalog_reviewed(
    resource_id: i64,
    action: &str,
    from: &str,
    to: &str,
    comment: &str,
    version: Option<i64>,
) -> AuditEvent {
    event(
        Action::CatalogReview,
        "resource",
        Some(resource_id.to_string()),
        json!({ "action": action, "from": from, "to": to, "comment": comment, "version": version }),
    )
}

/// A catalog file was imported: how many resources were created, and how many rows refused.
pub fn catalog_imported(format: &str, file: &str, created: usize, refused: usize) -> AuditEvent {
    event(
        Action::CatalogImport,
        "catalog",
        None,
        json!({ "format": format, "file": file, "created": created, "refused": refused }),
    )
}

/// A catalog was exported (`scope` is `district`, an organisation id, or `all`).
pub fn catalog_exported(format: &str, scope: &str, resources: usize) -> AuditEvent {
    event(Action::CatalogExport, "catalog", None, json!({ "format": format, "scope": scope, "resources": resources }))
}

pub fn project_created(project_id: i64, name: &str, agency_id: i64) -> AuditEvent {
    event(
        Action::ProjectCreate,
        "it_project",
        Some(project_id.to_string()),
        json!({ "name": name, "agency_id": agency_id }),
    )
}

pub fn project_updated(project_id: i64, summary: Value) -> AuditEvent {
    event(Action::ProjectUpdate, "it_project", Some(project_id.to_string()), summary)
}

pub fn project_reported(project_id: i64, passed: bool) -> AuditEvent {
    event(Action::ProjectReport, "it_project", Some(project_id.to_string()), json!({ "passed": passed }))
}

/// A data demand was filed (Art.9, 15).
pub fn demand_created(
    demand_id: i64,
    title: &str,
    consumer_org_id: i64,
    related_resource_id: Option<i64>,
) -> AuditEvent {
    event(
        Action::DemandCreate,
        "demand",
        Some(demand_id.to_string()),
        json!({ "title": title, "consumer_org_id": consumer_org_id, "related_resource_id": related_resource_id }),
    )
}

/// A step of a demand: `action` taken, from one state to the next, with the comment and the
/// step's particulars (the proposed provider, the answer, the linked resource).
pub fn demand_updated(demand_id: i64, action: &str, from: &str, to: &str, comment: &str, detail: Value) -> AuditEvent {
    event(
        Action::DemandUpdate,
        "demand",
        Some(demand_id.to_string()),
        json!({ "action": action, "from": from, "to": to, "comment": comment, "detail": detail }),
    )
}

/// A cross-check that found no conflicting values (Art.11, 23): the comparison, and the data
/// access it made (`data_access`: the resources read and the joined rows). A cross-check that
/// found conflicts is recorded by [`verification_opened`] for the task it opened.
pub fn cross_check_run(cross_check_id: i64, comparison: Value, data_access: Value) -> AuditEvent {
    event(
        Action::VerificationCrossCheck,
        "cross_check",
        Some(cross_check_id.to_string()),
        json!({ "task_id": null, "comparison": comparison, "data_access": data_access }),
    )
}

/// A scheduled cross-check found conflicting values while the task its schedule opened earlier
/// (`pending_task_id`) is not yet closed: the run is kept and its data access recorded, and no
/// second task is opened for the same question.
pub fn cross_check_run_task_pending(
    cross_check_id: i64,
    pending_task_id: i64,
    comparison: Value,
    data_access: Value,
) -> AuditEvent {
    event(
        Action::VerificationCrossCheck,
        "cross_check",
        Some(cross_check_id.to_string()),
        json!({
            "task_id": null, "pending_task_id": pending_task_id, "comparison": comparison, "data_access": data_access,
            "note": {
                "zh": format!("该定期比对此前发起的校核任务 #{pending_task_id} 尚未办结，本次不再发起新任务"),
                "en": format!("the task #{pending_task_id} this schedule opened earlier is not closed yet: no second task was opened"),
            },
        }),
    )
}

/// The authority scheduled a cross-check (Art.11): what each run compares (`spec`, the item
/// codes as resolved), every how many working days, and the first run's date.
pub fn verification_schedule_created(
    schedule_id: i64,
    spec: Value,
    every_working_days: i64,
    first_run_on: &str,
) -> AuditEvent {
    event(
        Action::VerificationScheduleCreate,
        "verification_schedule",
        Some(schedule_id.to_string()),
        json!({ "spec": spec, "every_working_days": every_working_days, "next_run_on": first_run_on }),
    )
}

/// A schedule was deactivated: it runs no more (its runs and tasks stay).
pub fn verification_schedule_deactivated(schedule_id: i64) -> AuditEvent {
    event(
        Action::VerificationScheduleDeactivate,
        "verification_schedule",
        Some(schedule_id.to_string()),
        json!({ "active": false }),
    )
}

/// A due schedule was taken to run today (`ran_on`): it was due on `due_on`, and runs next on
/// `next_run_on`. The run itself is recorded by [`cross_check_run`], [`cross_check_run_task_pending`]
/// or [`verification_opened`], or its failure by [`verification_schedule_failed`].
pub fn verification_schedule_claimed(schedule_id: i64, due_on: &str, ran_on: &str, next_run_on: &str) -> AuditEvent {
    event(
        Action::VerificationScheduleRun,
        "verification_schedule",
        Some(schedule_id.to_string()),
        json!({ "due_on": due_on, "ran_on": ran_on, "next_run_on": next_run_on }),
    )
}

/// A scheduled run could not compare (e.g. a resource was withdrawn from the catalog): the
/// reason, kept on the schedule as its last error.
pub fn verification_schedule_failed(schedule_id: i64, error: &crate::Text) -> AuditEvent {
    AuditEvent {
        outcome: Outcome::Failure,
        ..event(
            Action::VerificationScheduleFail,
            "verification_schedule",
            Some(schedule_id.to_string()),
            json!({ "error": { "zh": error.zh, "en": error.en } }),
        )
    }
}

/// A verification task was opened (Art.11): `origin` is `cross_check` (then `comparison` and
/// `data_access` describe the run that found the conflicts) or `manual`; the addressed
/// providers and the deadline in working days.
pub fn verification_opened(
    task_id: i64,
    origin: &str,
    provider_org_ids: &[i64],
    working_days: i64,
    detail: Value,
) -> AuditEvent {
    event(
        Action::VerificationOpen,
        "verification",
        Some(task_id.to_string()),
        json!({ "origin": origin, "provider_org_ids": provider_org_ids, "working_days": working_days,
                "detail": detail }),
    )
}

/// An addressed provider answered: `corrected` (with the batch) or `confirmed` (with the
/// explanation); `to` is the task's state after the answer.
pub fn verification_answered(
    task_id: i64,
    provider_org_id: i64,
    answer: &str,
    batch_id: Option<i64>,
    explanation: &str,
    to: &str,
) -> AuditEvent {
    event(
        Action::VerificationAnswer,
        "verification",
        Some(task_id.to_string()),
        json!({ "provider_org_id": provider_org_id, "answer": answer, "batch_id": batch_id,
                "explanation": explanation, "to": to }),
    )
}

/// The authority closed a task with its comment.
pub fn verification_closed(task_id: i64, comment: &str) -> AuditEvent {
    event(Action::VerificationClose, "verification", Some(task_id.to_string()), json!({ "comment": comment }))
}

/// A provider started delivering a batch (Art.12: who, when, how, which file).
pub fn batch_started(batch_id: i64, resource_id: i64, mode: &str, channel: &str, file: &str) -> AuditEvent {
    event(
        Action::AggregationBatchStart,
        "batch",
        Some(batch_id.to_string()),
        json!({ "resource_id": resource_id, "mode": mode, "channel": channel, "file": file }),
    )
}

/// A batch became visible: its rows are the resource's data now (with those it retired gone).
pub fn batch_stored(
    batch_id: i64,
    resource_id: i64,
    read: u64,
    stored: u64,
    rejected: u64,
    retired: u64,
    sm3: &str,
) -> AuditEvent {
    event(
        Action::AggregationBatchStore,
        "batch",
        Some(batch_id.to_string()),
        json!({ "resource_id": resource_id, "read": read, "stored": stored, "rejected": rejected,
                "retired": retired, "sm3": sm3 }),
    )
}

pub fn batch_rejected(batch_id: i64, resource_id: i64, read: u64, rejected: u64, reason: &str) -> AuditEvent {
    event(
        Action::AggregationBatchReject,
        "batch",
        Some(batch_id.to_string()),
        json!({ "resource_id": resource_id, "read": read, "rejected": rejected, "reason": reason }),
    )
}

pub fn batch_failed(batch_id: i64, resource_id: i64, reason: &str) -> AuditEvent {
    event(
        Action::AggregationBatchFail,
        "batch",
        Some(batch_id.to_string()),
        json!({ "resource_id": resource_id, "reason": reason }),
    )
}

/// Stored rows of a resource were read (`what`: rows, export, …).
pub fn data_read(resource_id: i64, what: &str, rows: u64) -> AuditEvent {
    event(
        Action::AggregationRead,
        "resource_data",
        Some(resource_id.to_string()),
        json!({ "what": what, "rows": rows }),
    )
}

/// A share request was made and routed by the resource's share attribute (Art.13-15):
/// `state` is where routing put it (`granted`, `pending_review`, `refused`), `grant_id` the
/// grant it produced at once, if any.
pub fn share_requested(
    request_id: i64,
    resource_id: i64,
    consumer_org_id: i64,
    state: &str,
    grant_id: Option<i64>,
) -> AuditEvent {
    event(
        Action::SharingRequest,
        "share_request",
        Some(request_id.to_string()),
        json!({ "resource_id": resource_id, "consumer_org_id": consumer_org_id, "state": state, "grant_id": grant_id }),
    )
}

/// A provider's review or the authority's arbitration of a share request (Art.14): `step` is
/// `review` or `arbitrate`, `decision` `approve` or `refuse`; `detail` holds what an approval
/// narrowed (items, end date, raw values) and the grant it produced.
pub fn share_decided(request_id: i64, step: &str, decision: &str, reason: &str, detail: Value) -> AuditEvent {
    event(
        Action::SharingDecide,
        "share_request",
        Some(request_id.to_string()),
        json!({ "step": step, "decision": decision, "reason": reason, "detail": detail }),
    )
}

/// A grant was suspended, resumed or revoked (Art.16), with the reason.
pub fn grant_updated(grant_id: i64, action: &str, from: &str, to: &str, reason: &str) -> AuditEvent {
    event(
        Action::SharingGrantUpdate,
        "grant",
        Some(grant_id.to_string()),
        json!({ "action": action, "from": from, "to": to, "reason": reason }),
    )
}

/// A newly registered resource matches data its agency receives through a grant (Art.7): it
/// cannot be published as the agency's own without the authority's confirmation.
pub fn resource_flagged_as_received(resource_id: i64, grant_id: i64, matched_items: &[String]) -> AuditEvent {
    event(
        Action::SharingReceivedFlag,
        "resource",
        Some(resource_id.to_string()),
        json!({ "grant_id": grant_id, "matched_items": matched_items }),
    )
}

/// The authority confirmed that a flagged resource is the agency's own data (Art.7).
pub fn received_flag_confirmed(resource_id: i64, grant_id: i64, comment: &str) -> AuditEvent {
    event(
        Action::SharingReceivedConfirm,
        "resource",
        Some(resource_id.to_string()),
        json!({ "grant_id": grant_id, "comment": comment }),
    )
}

/// The providing agency re-evaluated a resource's share attribute (Art.14): the outcome, the
/// attribute as it stood, and the next review date that follows.
pub fn share_attribute_reviewed(
    resource_id: i64,
    review_id: i64,
    outcome: &str,
    comment: &str,
    share_attribute: &str,
    next_review_on: &str,
) -> AuditEvent {
    event(
        Action::SharingShareReview,
        "resource",
        Some(resource_id.to_string()),
        json!({
            "review_id": review_id,
            "outcome": outcome,
            "comment": comment,
            "share_attribute": share_attribute,
            "next_review_on": next_review_on,
        }),
    )
}

/// An export job of a bulk grant was queued (Art.15): `detail` names the grant, the format,
/// the requester and the filters (values as digests).
pub fn export_created(export_id: i64, detail: Value) -> AuditEvent {
    event(Action::SharingExportCreate, "share_export", Some(export_id.to_string()), detail)
}

/// An instance took up an export job (queued → running).
pub fn export_started(export_id: i64, grant_id: i64) -> AuditEvent {
    event(Action::SharingExportStart, "share_export", Some(export_id.to_string()), json!({ "grant_id": grant_id }))
}

/// An export's file is ready (Art.16): the data access it made, with who asked, the grant, its
/// scenario and the rows written.
pub fn export_ready(export_id: i64, data_access: Value) -> AuditEvent {
    event(Action::SharingExportReady, "share_export", Some(export_id.to_string()), data_access)
}

pub fn export_failed(export_id: i64, grant_id: i64, reason: &str) -> AuditEvent {
    event(
        Action::SharingExportFail,
        "share_export",
        Some(export_id.to_string()),
        json!({ "grant_id": grant_id, "reason": reason }),
    )
}

/// Files of expired exports were deleted.
pub fn exports_purged(export_ids: &[i64]) -> AuditEvent {
    event(Action::SharingExportPurge, "share_export", None, json!({ "export_ids": export_ids }))
}

/// A file of shared data was taken (Art.16): an export job's file downloaded (`export_id`), or
/// an export written straight to a file by the command line (`None`).
pub fn export_downloaded(export_id: Option<i64>, data_access: Value) -> AuditEvent {
    event(Action::SharingExportDownload, "share_export", export_id.map(|i| i.to_string()), data_access)
}

/// `result` is `ok` or the break's description.
pub fn audit_verified(entries: i64, result: &str) -> AuditEvent {
    event(Action::AuditVerify, "audit_chain", None, json!({ "entries": entries, "result": result }))
}

pub fn audit_exported(since: &str, until: &str, entries: u64) -> AuditEvent {
    event(Action::AuditExport, "audit_chain", None, json!({ "since": since, "until": until, "entries": entries }))
}

/// A consumer agency registered a client application for the sharing channel (Art.15); its
/// first secret is `secret_id` (the secret itself is never recorded).
pub fn client_app_created(
    app_id: i64,
    app_key: &str,
    org_id: i64,
    name: &str,
    allowed: &[String],
    secret_id: i64,
) -> AuditEvent {
    event(
        Action::ClientAppCreate,
        "client_app",
        Some(app_id.to_string()),
        json!({ "app_key": app_key, "org_id": org_id, "name": name, "allowed_addresses": allowed,
                "secret_id": secret_id }),
    )
}

/// A new secret; the previous ones keep working until `previous_until` (empty: none left).
pub fn client_app_rotated(app_id: i64, secret_id: i64, previous_until: &[(i64, String)]) -> AuditEvent {
    let previous: Vec<Value> =
        previous_until.iter().map(|(id, until)| json!({ "secret_id": id, "until": until })).collect();
    event(
        Action::ClientAppRotate,
        "client_app",
        Some(app_id.to_string()),
        json!({ "secret_id": secret_id, "previous": previous }),
    )
}

/// Previous secrets retired before their window ended.
pub fn client_app_secret_retired(app_id: i64, secret_ids: &[i64]) -> AuditEvent {
    event(Action::ClientAppRetireSecret, "client_app", Some(app_id.to_string()), json!({ "secret_ids": secret_ids }))
}

pub fn client_app_disabled(app_id: i64, reason: &str) -> AuditEvent {
    event(Action::ClientAppDisable, "client_app", Some(app_id.to_string()), json!({ "reason": reason }))
}

pub fn client_app_limits_set(app_id: i64, limits: &crate::client_app::LimitOverrides) -> AuditEvent {
    event(
        Action::ClientAppSetLimits,
        "client_app",
        Some(app_id.to_string()),
        json!({ "rate_per_second": limits.rate_per_second, "daily_quota": limits.daily_quota }),
    )
}

/// A call through the sharing channel was answered (Art.16: every call leaves a record).
pub fn gateway_called(app_id: i64, method: &str, path: &str, status: u16, detail: Value) -> AuditEvent {
    event(
        Action::GatewayCall,
        "client_app",
        Some(app_id.to_string()),
        json!({ "method": method, "path": path.chars().take(200).collect::<String>(), "status": status,
                "detail": detail }),
    )
}

/// A call through the sharing channel was refused; `reason` is the refusal's stable code and
/// `app_key` what the call claimed (bounded), when it sent one.
pub fn gateway_refused(
    app_id: Option<i64>,
    app_key: Option<&str>,
    reason: &str,
    method: &str,
    path: &str,
) -> AuditEvent {
    AuditEvent {
        outcome: Outcome::Denied,
        ..event(
            Action::GatewayCall,
            "client_app",
            app_id.map(|a| a.to_string()),
            json!({ "reason": reason, "app_key": app_key.map(|k| k.chars().take(64).collect::<String>()),
                    "method": method, "path": path.chars().take(200).collect::<String>() }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_keeps_only_changed_fields() {
        let d = diff(&json!({"a": 1, "b": 2, "updated_at": "x"}), &json!({"a": 1, "b": 3, "updated_at": "y"}));
        assert_eq!(d, json!({"before": {"b": 2}, "after": {"b": 3}}));
    }
}
