//! Bulk delivery through the sharing channel (Art.15-16): export jobs over storage.
//!
//! A job is created in one audited transaction ([`create`]) and run by the instance that
//! accepted it ([`run`]): it claims the job (queued → running, audited), streams the grant's
//! visible rows in one statement (`fetch` as a stream: a replacement delivery made meanwhile is
//! seen whole or not at all, and memory stays flat whatever the row count) through the
//! gateway's masking into a file in the export directory, then records rows, bytes and SHA-256
//! and sets the job ready in one transaction with the audit entry of the data access it made.
//! A failure sets it failed with the reason and removes the partial file. While running, the
//! job's lease is renewed; [`sweep`] fails jobs whose instance stopped renewing it and deletes
//! the files of expired jobs. With several instances (PostgreSQL) the export directory must be
//! shared, since any instance may serve a download or sweep a file.
//!
//! [`export_to_file`] writes the same file straight to a path for the command line, audited as
//! the data access it is.

mod file;

pub use file::{ExportFailure, Progress, Written, write_export};

use crate::db::Store;
use crate::error::{Error, Result};
use crate::sharing_channel as channel;
use file::io_failure;
use pubdata_domain::audit::{Actor, events};
use pubdata_domain::identity::{Caller, Permission};
use pubdata_domain::ids::OrgId;
use pubdata_domain::sharing_channel::{self as channel_rules, CallRefusal, GrantTerms, hashed_value};
use pubdata_domain::sharing_export::{
    self as rules, DEFAULT_EXPIRY_HOURS, ExportFormat, ExportRefusal, ExportState, Requester,
};
use pubdata_domain::{Text, timefmt};
use serde::Serialize;
use serde_json::{Value, json};
use sqlx::AnyConnection;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// How long a runner's lease lasts without renewal.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(60);

/// Where export files go and how long they stay downloadable.
#[derive(Clone, Debug)]
pub struct ExportSettings {
    /// The export directory (`<data_dir>/exports` by default; shared between instances on
    /// PostgreSQL).
    pub dir: PathBuf,
    pub expiry_hours: i64,
    pub lease: Duration,
}

impl ExportSettings {
    pub fn new(dir: PathBuf) -> ExportSettings {
        ExportSettings { dir, expiry_hours: DEFAULT_EXPIRY_HOURS, lease: DEFAULT_LEASE }
    }
}

impl Default for ExportSettings {
    /// A directory of this machine's temporary space: `serve` sets the configured one.
    fn default() -> ExportSettings {
        ExportSettings::new(std::env::temp_dir().join("pubdata-exports"))
    }
}

/// An export job as its consumer and the lists see it.
#[derive(Clone, Debug, Serialize)]
pub struct ExportJob {
    pub id: i64,
    pub grant_id: i64,
    pub resource_id: i64,
    pub consumer_org_id: i64,
    /// The grant's scenario, the only purpose the data may serve (Art.16).
    pub scenario: String,
    pub requested_by: Requester,
    pub format: ExportFormat,
    /// The filters as sent (`[name, value]`, gateway query syntax).
    pub filters: Vec<(String, String)>,
    /// The effective state: `expired` once a ready file is past `expires_at`.
    pub state: ExportState,
    pub rows: Option<i64>,
    pub bytes: Option<i64>,
    pub sha256: Option<String>,
    pub error: Option<Text>,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub expires_at: Option<String>,
    /// The name the file is downloaded under.
    pub download_name: String,
    #[serde(skip)]
    file_name: Option<String>,
}

#[derive(sqlx::FromRow)]
struct JobRow {
    id: i64,
    grant_id: i64,
    resource_id: i64,
    consumer_org_id: i64,
    requested_by_app: Option<i64>,
    requested_by_user: Option<i64>,
    requested_by: String,
    format: String,
    filters: String,
    state: String,
    row_count: Option<i64>,
    byte_count: Option<i64>,
    sha256: Option<String>,
    file_name: Option<String>,
    error_zh: Option<String>,
    error_en: Option<String>,
    created_at: String,
    started_at: Option<String>,
    finished_at: Option<String>,
    expires_at: Option<String>,
    scenario: String,
}

const JOB_SELECT: &str = "SELECT e.id, e.grant_id, e.resource_id, e.consumer_org_id, e.requested_by_app, \
     e.requested_by_user, e.requested_by, e.format, e.filters, e.state, e.row_count, e.byte_count, e.sha256, e.file_name, \
     e.error_zh, e.error_en, e.created_at, e.started_at, e.finished_at, e.expires_at, g.scenario \
     FROM share_exports e JOIN share_grants g ON g.id = e.grant_id ";

fn stored(what: &str, value: &str) -> Error {
    Error::Domain(pubdata_domain::Error::conflict(
        format!("存储的{what}无法识别：{value}"),
        format!("stored {what} not recognised: {value}"),
    ))
}

impl JobRow {
    fn view(self) -> Result<ExportJob> {
        let format = ExportFormat::parse(&self.format).ok_or_else(|| stored("format", &self.format))?;
        let stored_state = ExportState::parse(&self.state).ok_or_else(|| stored("state", &self.state))?;
        let expires = self.expires_at.as_deref().map(timefmt::parse_instant).transpose()?;
        let filters: Vec<(String, String)> =
            serde_json::from_str(&self.filters).map_err(|_| stored("filters", &self.filters))?;
        let error = match (self.error_zh, self.error_en) {
            (Some(zh), Some(en)) => Some(Text::new(zh, en)),
            _ => None,
        };
        Ok(ExportJob {
            state: ExportState::effective(stored_state, expires, timefmt::now()),
            download_name: rules::download_name(self.id, self.grant_id, format),
            requested_by: Requester {
                app_id: self.requested_by_app,
                user_id: self.requested_by_user,
                name: self.requested_by,
            },
            id: self.id,
            grant_id: self.grant_id,
            resource_id: self.resource_id,
            consumer_org_id: self.consumer_org_id,
            scenario: self.scenario,
            format,
            filters,
            rows: self.row_count,
            bytes: self.byte_count,
            sha256: self.sha256,
            error,
            created_at: self.created_at,
            started_at: self.started_at,
            finished_at: self.finished_at,
            expires_at: self.expires_at,
            file_name: self.file_name,
        })
    }
}

async fn fetch(conn: &mut AnyConnection, id: i64) -> Result<Option<ExportJob>> {
    let row: Option<JobRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("{JOB_SELECT}WHERE e.id = $1")))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.map(JobRow::view).transpose()
}

fn now_ms() -> i64 {
    (timefmt::now().unix_timestamp_nanos() / 1_000_000) as i64
}

fn lease_until(lease: Duration) -> i64 {
    now_ms() + lease.as_millis() as i64
}

/// Who asks for an export, from which agency, and as whom the audit trail records it.
pub struct ExportBy {
    pub requester: Requester,
    pub org: OrgId,
    pub actor: Actor,
}

/// Filters as the audit trail keeps them: names in clear, values as SM3 digests.
fn audited_filters(params: &[(String, String)]) -> Value {
    params.iter().map(|(n, v)| json!([n.chars().take(64).collect::<String>(), hashed_value(v)])).collect()
}

/// Queues an export of `resource_id` through grant `grant_id` in `format`, filtered by `params`
/// (gateway query syntax; `grant` and `format` are ignored), in one audited transaction. Refused
/// (nothing written) unless the grant is `by.org`'s, active, for bulk delivery and the filters
/// are valid. The job still has to be [`run`].
pub async fn create(
    store: &Store,
    settings: &ExportSettings,
    by: &ExportBy,
    grant_id: i64,
    resource_id: i64,
    format: ExportFormat,
    params: &[(String, String)],
) -> Result<std::result::Result<ExportJob, CallRefusal>> {
    let Some(grant) = channel::grant(store, grant_id).await? else {
        return Ok(Err(CallRefusal::grant_not_yours()));
    };
    if let Err(refused) =
        rules::check_export(&grant, by.org, resource_id).and_then(|()| channel_rules::check_scenario(&grant, params))
    {
        return Ok(Err(refused));
    }
    let source = channel::source(store, resource_id).await?;
    let params: Vec<(String, String)> = params.iter().filter(|(n, _)| n != "grant" && n != "format").cloned().collect();
    if let Err(refused) = rules::parse_filters(&grant, source.items(), &params) {
        return Ok(Err(refused));
    }
    let filters = serde_json::to_string(&params).map_err(|e| stored("filters", &e.to_string()))?;
    let now = timefmt::format_instant(timefmt::now());
    let mut tx = store.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO share_exports (grant_id, resource_id, consumer_org_id, requested_by_app, requested_by_user, \
         requested_by, format, filters, state, created_at, lease_until_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued', $9, $10) RETURNING id",
    )
    .bind(grant.id)
    .bind(resource_id)
    .bind(grant.consumer_org.0)
    .bind(by.requester.app_id)
    .bind(by.requester.user_id)
    .bind(&by.requester.name)
    .bind(format.as_str())
    .bind(&filters)
    .bind(&now)
    .bind(lease_until(settings.lease))
    .fetch_one(tx.conn())
    .await?;
    let detail = json!({
        "grant_id": grant.id, "resource_id": resource_id, "consumer_org_id": grant.consumer_org.0,
        "scenario": grant.scenario, "format": format.as_str(), "requested_by": by.requester,
        "filters": audited_filters(&params),
    });
    tx.record(by.actor.clone(), events::export_created(id, detail));
    tx.commit().await?;
    let job = fetch(&mut *store.reader().acquire().await?, id).await?;
    job.map(Ok).ok_or_else(|| Error::not_found("export", id))
}

/// Queues an export for a signed-in user of the consumer agency (`sharing.request`), through a
/// grant the user can see; another agency's user is told the grant does not exist.
pub async fn create_for_user(
    store: &Store,
    settings: &ExportSettings,
    caller: &Caller,
    grant_id: i64,
    format: ExportFormat,
    params: &[(String, String)],
) -> Result<std::result::Result<ExportJob, CallRefusal>> {
    caller.principal.require(Permission::SharingRequest)?;
    let grant = crate::sharing::get_grant(store, caller, grant_id).await?;
    let Some(org) = caller.principal.org_id.filter(|o| o.0 == grant.consumer_org_id) else {
        return Err(pubdata_domain::Error::out_of_scope(
            "只有授权的使用单位可以导出数据",
            "only the grant's consumer agency can export its data",
        )
        .into());
    };
    let by = ExportBy {
        requester: Requester {
            app_id: None,
            user_id: caller.principal.user_id.map(|u| u.0),
            name: caller.principal.display_name.clone(),
        },
        org,
        actor: caller.actor(),
    };
    create(store, settings, &by, grant_id, grant.resource_id, format, params).await
}

/// One job, if `org` is its consumer agency (others are told it does not exist).
pub async fn get_for(store: &Store, id: i64, org: OrgId) -> Result<std::result::Result<ExportJob, CallRefusal>> {
    let job = fetch(&mut *store.reader().acquire().await?, id).await?;
    Ok(match job {
        Some(j) if j.consumer_org_id == org.0 => Ok(j),
        _ => Err(ExportRefusal::not_found()),
    })
}

/// A grant's export jobs, newest first, for whoever may see the grant: the consumer, the
/// provider and the roles that see all organisations (who see that exports exist and their
/// sizes; only the consumer downloads).
pub async fn list_for_grant(store: &Store, caller: &Caller, grant_id: i64) -> Result<Vec<ExportJob>> {
    let grant = crate::sharing::get_grant(store, caller, grant_id).await?;
    let consumer = caller.principal.org_id == Some(OrgId(grant.consumer_org_id));
    let rows: Vec<JobRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{JOB_SELECT}WHERE e.grant_id = $1 ORDER BY e.id DESC")))
            .bind(grant_id)
            .fetch_all(store.reader())
            .await?;
    let mut jobs: Vec<ExportJob> = rows.into_iter().map(JobRow::view).collect::<Result<_>>()?;
    if !consumer {
        // What the consumer looked for is its own business: others see the filters' items only.
        for job in &mut jobs {
            for (_, value) in &mut job.filters {
                *value = hashed_value(value);
            }
        }
    }
    Ok(jobs)
}

/// The file of a ready job, for its consumer agency: refused when another agency asks, while it
/// is not ready, and after it expired (410).
pub async fn open_download(
    store: &Store,
    settings: &ExportSettings,
    id: i64,
    org: Option<OrgId>,
) -> Result<std::result::Result<(ExportJob, PathBuf), CallRefusal>> {
    let Some(job) = fetch(&mut *store.reader().acquire().await?, id).await? else {
        return Ok(Err(ExportRefusal::not_found()));
    };
    if let Err(refused) = rules::check_download(OrgId(job.consumer_org_id), org) {
        return Ok(Err(refused));
    }
    // Art.16: a file is data delivered through the grant; once the grant is suspended, revoked
    // or expired, its files are not handed out either.
    let Some(grant) = channel::grant(store, job.grant_id).await? else { return Ok(Err(ExportRefusal::not_found())) };
    if let Err(refused) = channel_rules::check_holder(&grant, OrgId(job.consumer_org_id), job.resource_id) {
        return Ok(Err(refused));
    }
    Ok(match (job.state, job.file_name.clone()) {
        (ExportState::Expired, _) => Err(ExportRefusal::expired()),
        (ExportState::Ready, Some(name)) => Ok((job, settings.dir.join(name))),
        (ExportState::Ready, None) => Err(ExportRefusal::expired()),
        (state, _) => Err(ExportRefusal::not_ready(state)),
    })
}

/// The file of a ready job for a signed-in user: as [`open_download`], for users who may use
/// shared data (`sharing.request`: the consumer agency's officers, not its supervisors).
pub async fn open_download_for_user(
    store: &Store,
    settings: &ExportSettings,
    caller: &Caller,
    id: i64,
) -> Result<std::result::Result<(ExportJob, PathBuf), CallRefusal>> {
    caller.principal.require(Permission::SharingRequest)?;
    open_download(store, settings, id, caller.principal.org_id).await
}

/// Records that `job`'s file is being taken by `actor` (Art.16), before any byte is sent.
pub async fn record_download(store: &Store, actor: Actor, job: &ExportJob) -> Result<()> {
    let detail = json!({
        "grant_id": job.grant_id, "resource_id": job.resource_id, "consumer_org_id": job.consumer_org_id,
        "scenario": job.scenario, "rows": job.rows, "bytes": job.bytes, "sha256": job.sha256,
    });
    store.audit().record(actor, events::export_downloaded(Some(job.id), detail)).await?;
    Ok(())
}

/// Claims a queued job for this instance (queued → running, audited); `None` if another
/// instance or the sweep took it first.
async fn claim(store: &Store, settings: &ExportSettings, id: i64) -> Result<Option<ExportJob>> {
    let mut tx = store.begin().await?;
    let Some(job) = fetch(tx.conn(), id).await? else { return Ok(None) };
    let file_name =
        format!("export-{id}-{}.{}", hex::encode(pubdata_domain::secret::random_bytes(8)), job.format.extension());
    let claimed = sqlx::query(
        "UPDATE share_exports SET state = 'running', started_at = $1, lease_until_ms = $2, file_name = $3 \
         WHERE id = $4 AND state = 'queued'",
    )
    .bind(timefmt::format_instant(timefmt::now()))
    .bind(lease_until(settings.lease))
    .bind(&file_name)
    .bind(id)
    .execute(tx.conn())
    .await?
    .rows_affected();
    if claimed == 0 {
        return Ok(None);
    }
    tx.record(Caller::system("sharing-export").actor(), events::export_started(id, job.grant_id));
    tx.commit().await?;
    Ok(Some(ExportJob { file_name: Some(file_name), state: ExportState::Running, ..job }))
}

/// Runs a queued job to its end (ready or failed) and returns it as it then stands. Meant to be
/// spawned by the instance that accepted the job; the caller does not wait for it.
pub async fn run(store: Store, settings: ExportSettings, id: i64) -> Result<ExportJob> {
    if let Some(job) = claim(&store, &settings, id).await? {
        let path = settings.dir.join(job.file_name.as_deref().unwrap_or_default());
        // The lease is renewed while the job runs, so that the sweep can tell a dead runner.
        let renewing = {
            let (store, lease) = (store.clone(), settings.lease);
            tokio::spawn(async move {
                let mut every = tokio::time::interval(lease / 3);
                loop {
                    every.tick().await;
                    let renewed =
                        sqlx::query("UPDATE share_exports SET lease_until_ms = $1 WHERE id = $2 AND state = 'running'")
                            .bind(lease_until(lease))
                            .bind(id)
                            .execute(store.writer())
                            .await;
                    if let Err(e) = renewed {
                        tracing::warn!(export = id, error = %e, "renewing an export's lease failed");
                    }
                }
            })
        };
        let outcome = produce(&store, &settings, &job, &path).await;
        renewing.abort();
        match outcome {
            Ok((written, grant)) => finish(&store, &settings, &job, &grant, &written, &path).await?,
            Err(failure) => {
                fail(&store, id, job.grant_id, &failure.0).await?;
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    fetch(&mut *store.reader().acquire().await?, id).await?.ok_or_else(|| Error::not_found("export", id))
}

/// The job's file, after checking again that its grant still allows it.
async fn produce(
    store: &Store,
    settings: &ExportSettings,
    job: &ExportJob,
    path: &Path,
) -> std::result::Result<(Written, Arc<GrantTerms>), ExportFailure> {
    let grant = channel::grant(store, job.grant_id).await?.ok_or_else(CallRefusal::grant_not_yours)?;
    rules::check_export(&grant, OrgId(job.consumer_org_id), job.resource_id)?;
    let source = channel::source(store, job.resource_id).await?;
    let filters = rules::parse_filters(&grant, source.items(), &job.filters)?;
    std::fs::create_dir_all(&settings.dir).map_err(io_failure)?;
    let written = write_export(store, &grant, &source, &filters, job.format, path, None).await?;
    Ok((written, grant))
}

/// Sets the job ready, with the audit entry of its data access, in one transaction. A job the
/// sweep failed meanwhile (its lease ran out) stays failed, and its file is removed.
async fn finish(
    store: &Store,
    settings: &ExportSettings,
    job: &ExportJob,
    grant: &GrantTerms,
    written: &Written,
    path: &Path,
) -> Result<()> {
    let now = timefmt::now();
    let expires = rules::expires_at(now, settings.expiry_hours);
    let mut tx = store.begin().await?;
    let done = sqlx::query(
        "UPDATE share_exports SET state = 'ready', row_count = $1, byte_count = $2, sha256 = $3, finished_at = $4, \
         expires_at = $5 WHERE id = $6 AND state = 'running'",
    )
    .bind(written.rows as i64)
    .bind(written.bytes as i64)
    .bind(&written.sha256)
    .bind(timefmt::format_instant(now))
    .bind(timefmt::format_instant(expires))
    .bind(job.id)
    .execute(tx.conn())
    .await?
    .rows_affected();
    if done == 0 {
        drop(tx);
        let _ = std::fs::remove_file(path);
        return Ok(());
    }
    let access = json!({
        "grant_id": grant.id, "resource_id": job.resource_id, "consumer_org_id": job.consumer_org_id,
        "scenario": grant.scenario, "requested_by": job.requested_by, "format": job.format.as_str(),
        "filters": audited_filters(&job.filters), "rows": written.rows, "bytes": written.bytes,
        "sha256": written.sha256,
    });
    tx.record(Caller::system("sharing-export").actor(), events::export_ready(job.id, access));
    tx.commit().await?;
    Ok(())
}

/// Sets a queued or running job failed with `reason` (audited); false if it had ended already.
async fn fail(store: &Store, id: i64, grant_id: i64, reason: &Text) -> Result<bool> {
    let mut tx = store.begin().await?;
    let failed = sqlx::query(
        "UPDATE share_exports SET state = 'failed', error_zh = $1, error_en = $2, finished_at = $3, file_name = NULL \
         WHERE id = $4 AND state IN ('queued', 'running')",
    )
    .bind(reason.zh.as_ref())
    .bind(reason.en.as_ref())
    .bind(timefmt::format_instant(timefmt::now()))
    .bind(id)
    .execute(tx.conn())
    .await?
    .rows_affected();
    if failed == 0 {
        return Ok(false);
    }
    tx.record(Caller::system("sharing-export").actor(), events::export_failed(id, grant_id, &reason.en));
    tx.commit().await?;
    Ok(true)
}

/// What one sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    /// Jobs failed because their runner stopped renewing its lease.
    pub failed: usize,
    /// Expired files deleted.
    pub purged: usize,
}

/// Fails jobs whose runner's lease lapsed (its instance stopped) and deletes their partial
/// files; deletes the files of expired jobs. Run periodically by `serve`.
pub async fn sweep(store: &Store, settings: &ExportSettings) -> Result<Swept> {
    let mut swept = Swept::default();
    let lapsed: Vec<(i64, i64, Option<String>)> = sqlx::query_as(
        "SELECT id, grant_id, file_name FROM share_exports WHERE state IN ('queued', 'running') AND lease_until_ms < $1",
    )
    .bind(now_ms())
    .fetch_all(store.reader())
    .await?;
    let reason = Text::new(
        "生成导出文件的实例已停止，导出未完成，请重新发起",
        "the instance producing the export stopped before it finished: start the export again",
    );
    for (id, grant_id, file) in lapsed {
        if fail(store, id, grant_id, &reason).await? {
            swept.failed += 1;
            if let Some(name) = file {
                let _ = std::fs::remove_file(settings.dir.join(name));
            }
        }
    }
    let expired: Vec<(i64, Option<String>)> = sqlx::query_as(
        "SELECT id, file_name FROM share_exports WHERE state = 'ready' AND purged_at IS NULL AND expires_at <= $1",
    )
    .bind(timefmt::format_instant(timefmt::now()))
    .fetch_all(store.reader())
    .await?;
    if expired.is_empty() {
        return Ok(swept);
    }
    let mut ids = Vec::with_capacity(expired.len());
    let mut tx = store.begin().await?;
    let now = timefmt::format_instant(timefmt::now());
    for (id, file) in &expired {
        if let Some(name) = file {
            match std::fs::remove_file(settings.dir.join(name)) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    tracing::warn!(export = id, error = %e, "an expired export file could not be deleted");
                    continue;
                }
            }
        }
        sqlx::query("UPDATE share_exports SET file_name = NULL, purged_at = $1 WHERE id = $2 AND purged_at IS NULL")
            .bind(&now)
            .bind(id)
            .execute(tx.conn())
            .await?;
        ids.push(*id);
    }
    if !ids.is_empty() {
        tx.record(Caller::system("sharing-export").actor(), events::exports_purged(&ids));
        tx.commit().await?;
    }
    swept.purged = ids.len();
    Ok(swept)
}

/// Writes an export of grant `grant_id` straight to `path` for the command line (as the
/// system, on behalf of the grant's consumer agency), then records the data access; the file
/// is removed if the record cannot be written.
pub async fn export_to_file(
    store: &Store,
    caller: &Caller,
    grant_id: i64,
    format: ExportFormat,
    params: &[(String, String)],
    path: &Path,
    progress: Option<Progress>,
) -> Result<std::result::Result<Written, Text>> {
    if !caller.principal.is_system() {
        caller.principal.require(Permission::SharingArbitrate)?;
    }
    let Some(grant) = channel::grant(store, grant_id).await? else {
        return Err(Error::not_found("grant", grant_id));
    };
    if let Err(refused) = rules::check_export(&grant, grant.consumer_org, grant.resource_id) {
        return Ok(Err(refused.message));
    }
    let source = channel::source(store, grant.resource_id).await?;
    let filters = match rules::parse_filters(&grant, source.items(), params) {
        Ok(f) => f,
        Err(refused) => return Ok(Err(refused.message)),
    };
    let written = match write_export(store, &grant, &source, &filters, format, path, progress).await {
        Ok(w) => w,
        Err(failure) => return Ok(Err(failure.0)),
    };
    let access = json!({
        "grant_id": grant.id, "resource_id": grant.resource_id, "consumer_org_id": grant.consumer_org.0,
        "scenario": grant.scenario, "on_behalf_of": grant.consumer_org.0, "format": format.as_str(),
        "filters": audited_filters(params), "rows": written.rows, "bytes": written.bytes, "sha256": written.sha256,
        "file": path.display().to_string(),
    });
    if let Err(e) = store.audit().record(caller.actor(), events::export_downloaded(None, access)).await {
        let _ = std::fs::remove_file(path);
        return Err(e);
    }
    Ok(Ok(written))
}
