//! Audit entries: the event (what), the actor (who, from where) and the stored record.

use crate::identity::{Principal, Source};
use serde::Serialize;

/// Every kind of action the platform records. Later chapters add theirs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Action {
    #[serde(rename = "system.bootstrap")]
    SystemBootstrap,
    #[serde(rename = "demo.seed")]
    DemoSeed,
    #[serde(rename = "system.backup")]
    Backup,
    #[serde(rename = "auth.login")]
    Login,
    #[serde(rename = "auth.logout")]
    Logout,
    #[serde(rename = "auth.register")]
    Register,
    #[serde(rename = "auth.password_change")]
    PasswordChange,
    #[serde(rename = "access.denied")]
    AccessDenied,
    #[serde(rename = "org.create")]
    OrgCreate,
    #[serde(rename = "org.update")]
    OrgUpdate,
    #[serde(rename = "user.create")]
    UserCreate,
    #[serde(rename = "user.update")]
    UserUpdate,
    #[serde(rename = "user.password_reset")]
    UserPasswordReset,
    #[serde(rename = "token.create")]
    TokenCreate,
    #[serde(rename = "token.revoke")]
    TokenRevoke,
    #[serde(rename = "calendar.day_set")]
    CalendarDaySet,
    #[serde(rename = "calendar.day_remove")]
    CalendarDayRemove,
    #[serde(rename = "calendar.year_set")]
    CalendarYearSet,
    #[serde(rename = "calendar.import")]
    CalendarImport,
    #[serde(rename = "catalog.create")]
    CatalogCreate,
    #[serde(rename = "catalog.update")]
    CatalogUpdate,
    #[serde(rename = "catalog.review")]
    CatalogReview,
    #[serde(rename = "catalog.import")]
    CatalogImport,
    #[serde(rename = "catalog.export")]
    CatalogExport,
    #[serde(rename = "project.create")]
    ProjectCreate,
    #[serde(rename = "project.update")]
    ProjectUpdate,
    #[serde(rename = "project.report")]
    ProjectReport,
    #[serde(rename = "aggregation.batch_start")]
    AggregationBatchStart,
    #[serde(rename = "aggregation.batch_store")]
    AggregationBatchStore,
    #[serde(rename = "aggregation.batch_reject")]
    AggregationBatchReject,
    #[serde(rename = "aggregation.batch_fail")]
    AggregationBatchFail,
    #[serde(rename = "aggregation.read")]
    AggregationRead,
    #[serde(rename = "verification.cross_check")]
    VerificationCrossCheck,
    #[serde(rename = "verification.open")]
    VerificationOpen,
    #[serde(rename = "verification.answer")]
    VerificationAnswer,
    #[serde(rename = "verification.close")]
    VerificationClose,
    #[serde(rename = "verification.schedule_create")]
    VerificationScheduleCreate,
    #[serde(rename = "verification.schedule_deactivate")]
    VerificationScheduleDeactivate,
    #[serde(rename = "verification.schedule_run")]
    VerificationScheduleRun,
    #[serde(rename = "verification.schedule_fail")]
    VerificationScheduleFail,
    #[serde(rename = "demand.create")]
    DemandCreate,
    #[serde(rename = "demand.update")]
    DemandUpdate,
    #[serde(rename = "sharing.request")]
    SharingRequest,
    #[serde(rename = "sharing.decide")]
    SharingDecide,
    #[serde(rename = "sharing.grant_update")]
    SharingGrantUpdate,
    #[serde(rename = "sharing.received_flag")]
    SharingReceivedFlag,
    #[serde(rename = "sharing.received_confirm")]
    SharingReceivedConfirm,
    #[serde(rename = "sharing.share_review")]
    SharingShareReview,
    #[serde(rename = "sharing.export_create")]
    SharingExportCreate,
    #[serde(rename = "sharing.export_start")]
    SharingExportStart,
    /// An export job's file is ready: the data access it made (who, grant, scenario, rows).
    #[serde(rename = "sharing.export_ready")]
    SharingExportReady,
    #[serde(rename = "sharing.export_fail")]
    SharingExportFail,
    #[serde(rename = "sharing.export_purge")]
    SharingExportPurge,
    /// A file of shared data was taken: an export downloaded, or written by the command line.
    #[serde(rename = "sharing.export_download")]
    SharingExportDownload,
    #[serde(rename = "audit.verify")]
    AuditVerify,
    #[serde(rename = "audit.export")]
    AuditExport,
    #[serde(rename = "client_app.create")]
    ClientAppCreate,
    #[serde(rename = "client_app.rotate")]
    ClientAppRotate,
    #[serde(rename = "client_app.retire_secret")]
    ClientAppRetireSecret,
    #[serde(rename = "client_app.disable")]
    ClientAppDisable,
    /// The authority set a client application's rate or daily quota (Art.16).
    #[serde(rename = "client_app.set_limits")]
    ClientAppSetLimits,
    /// A call through the sharing channel (Art.15-16): answered, or refused with its reason.
    #[serde(rename = "gateway.call")]
    GatewayCall,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::SystemBootstrap => "system.bootstrap",
            Action::DemoSeed => "demo.seed",
            Action::Backup => "system.backup",
            Action::Login => "auth.login",
            Action::Logout => "auth.logout",
            Action::Register => "auth.register",
            Action::PasswordChange => "auth.password_change",
            Action::AccessDenied => "access.denied",
            Action::OrgCreate => "org.create",
            Action::OrgUpdate => "org.update",
            Action::UserCreate => "user.create",
            Action::UserUpdate => "user.update",
            Action::UserPasswordReset => "user.password_reset",
            Action::TokenCreate => "token.create",
            Action::TokenRevoke => "token.revoke",
            Action::CalendarDaySet => "calendar.day_set",
            Action::CalendarDayRemove => "calendar.day_remove",
            Action::CalendarYearSet => "calendar.year_set",
            Action::CalendarImport => "calendar.import",
            Action::CatalogCreate => "catalog.create",
            Action::CatalogUpdate => "catalog.update",
            Action::CatalogReview => "catalog.review",
            Action::CatalogImport => "catalog.import",
            Action::CatalogExport => "catalog.export",
            Action::ProjectCreate => "project.create",
            Action::ProjectUpdate => "project.update",
            Action::ProjectReport => "project.report",
            Action::AggregationBatchStart => "aggregation.batch_start",
            Action::AggregationBatchStore => "aggregation.batch_store",
            Action::AggregationBatchReject => "aggregation.batch_reject",
            Action::AggregationBatchFail => "aggregation.batch_fail",
            Action::AggregationRead => "aggregation.read",
            Action::VerificationCrossCheck => "verification.cross_check",
            Action::VerificationOpen => "verification.open",
            Action::VerificationAnswer => "verification.answer",
            Action::VerificationClose => "verification.close",
            Action::VerificationScheduleCreate => "verification.schedule_create",
            Action::VerificationScheduleDeactivate => "verification.schedule_deactivate",
            Action::VerificationScheduleRun => "verification.schedule_run",
            Action::VerificationScheduleFail => "verification.schedule_fail",
            Action::DemandCreate => "demand.create",
            Action::DemandUpdate => "demand.update",
            Action::SharingRequest => "sharing.request",
            Action::SharingDecide => "sharing.decide",
            Action::SharingGrantUpdate => "sharing.grant_update",
            Action::SharingReceivedFlag => "sharing.received_flag",
            Action::SharingReceivedConfirm => "sharing.received_confirm",
            Action::SharingShareReview => "sharing.share_review",
            Action::SharingExportCreate => "sharing.export_create",
            Action::SharingExportStart => "sharing.export_start",
            Action::SharingExportReady => "sharing.export_ready",
            Action::SharingExportFail => "sharing.export_fail",
            Action::SharingExportPurge => "sharing.export_purge",
            Action::SharingExportDownload => "sharing.export_download",
            Action::AuditVerify => "audit.verify",
            Action::AuditExport => "audit.export",
            Action::ClientAppCreate => "client_app.create",
            Action::ClientAppRotate => "client_app.rotate",
            Action::ClientAppRetireSecret => "client_app.retire_secret",
            Action::ClientAppDisable => "client_app.disable",
            Action::ClientAppSetLimits => "client_app.set_limits",
            Action::GatewayCall => "gateway.call",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    /// The action was attempted and failed (e.g. a wrong password).
    Failure,
    /// The action was refused by authorization.
    Denied,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Denied => "denied",
        }
    }
}

/// What happened, to which object, with what outcome, and a compact before/after summary.
/// Built only by the constructors in `events`.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditEvent {
    pub action: Action,
    pub object_type: &'static str,
    pub object_id: Option<String>,
    pub outcome: Outcome,
    pub summary: serde_json::Value,
}

/// Who acted and from where, as recorded.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub username: String,
    pub org_id: Option<i64>,
    pub role: Option<String>,
    pub token_id: Option<i64>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

impl Actor {
    pub fn new(principal: &Principal, source: &Source) -> Actor {
        Actor {
            user_id: principal.user_id.map(|u| u.0),
            username: principal.username.clone(),
            org_id: principal.org_id.map(|o| o.0),
            role: principal.role.map(|r| r.as_str().to_string()),
            token_id: principal.token.as_ref().map(|(t, _)| t.0),
            ip: source.ip.clone(),
            // User agents are attacker-controlled: keep them bounded.
            user_agent: source.user_agent.as_ref().map(|u| u.chars().take(256).collect()),
            request_id: source.request_id.clone(),
        }
    }

    /// An actor with no account, e.g. someone failing to log in as `attempted`.
    pub fn anonymous(attempted: &str, source: &Source) -> Actor {
        let mut a = Actor::new(&Principal::system("anonymous"), source);
        a.username = format!("anonymous:{}", attempted.chars().take(64).collect::<String>());
        a
    }
}

/// One stored entry: its position in the chain, content, and the hashes linking it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditRecord {
    pub seq: i64,
    pub occurred_at: String,
    pub actor_user_id: Option<i64>,
    pub actor_username: String,
    pub actor_org_id: Option<i64>,
    pub actor_role: Option<String>,
    pub token_id: Option<i64>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    pub action: String,
    pub object_type: String,
    pub object_id: Option<String>,
    pub outcome: String,
    /// Compact JSON, hashed exactly as stored.
    pub summary: String,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditRecord {
    /// Builds the record that follows `prev_hash` at position `seq`, and computes its hash.
    pub fn seal(seq: i64, occurred_at: String, actor: &Actor, event: &AuditEvent, prev_hash: &str) -> AuditRecord {
        let mut record = AuditRecord {
            seq,
            occurred_at,
            actor_user_id: actor.user_id,
            actor_username: actor.username.clone(),
            actor_org_id: actor.org_id,
            actor_role: actor.role.clone(),
            token_id: actor.token_id,
            source_ip: actor.ip.clone(),
            user_agent: actor.user_agent.clone(),
            request_id: actor.request_id.clone(),
            action: event.action.as_str().to_string(),
            object_type: event.object_type.to_string(),
            object_id: event.object_id.clone(),
            outcome: event.outcome.as_str().to_string(),
            summary: event.summary.to_string(),
            prev_hash: prev_hash.to_string(),
            hash: String::new(),
        };
        record.hash = record.compute_hash();
        record
    }
}
