//! `pubdata bench export`: bulk exports of the sharing channel (Art.15-16). A resource of
//! generated people (1,000,000 rows by default: ID numbers, names, mobiles, addresses, …) is
//! delivered through the real delivery path into a fresh database and granted in bulk to another
//! agency; then each format (CSV, JSON Lines, XLSX) is exported by a child process running what
//! `pubdata share export` runs, which reports its time and its peak memory (VmHWM).

use super::aggregate::{generate, prepare};
use super::{Scratch, TempDir, grouped, megabytes, pass, self_memory, store_err};
use pubdata_domain::aggregation::{Channel, Mode, OnError};
use pubdata_domain::catalog::Delivery;
use pubdata_domain::identity::{AgencyCategory, Caller, NewOrganisation, OrgKind, OrgName, Principal, Role, Source};
use pubdata_domain::ids::OrgId;
use pubdata_domain::sharing::{Decision, DecisionInput, RowScope, ScenarioCategory, ShareRequestInput};
use pubdata_domain::sharing_export::ExportFormat;
use pubdata_ingest::{Format, ReadOptions};
use pubdata_store::Store;
use pubdata_store::aggregation::{self, DeliveryRequest};
use pubdata_store::identity::orgs;
use pubdata_store::sharing::{self, SharingSettings};
use pubdata_store::sharing_export;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::process::{ExitCode, Stdio};
use std::time::Instant;

/// The exporting process's peak memory must stay below this, whatever the row count.
const TARGET_RSS_MB: f64 = 128.0;

/// What the child reports, as one line of JSON.
#[derive(Serialize, Deserialize)]
pub(super) struct ExportReport {
    seconds: f64,
    rows: u64,
    bytes: u64,
    rss_before_mb: f64,
    hwm_mb: f64,
}

pub(super) struct ChildArgs {
    pub grant: i64,
    pub format: String,
    pub output: PathBuf,
    pub sqlite: Option<PathBuf>,
    pub database_url: Option<String>,
    pub schema: Option<String>,
}

/// The child: the export `pubdata share export` makes, then its own figures.
pub(super) async fn export_child(a: ChildArgs) -> Result<ExitCode, String> {
    let options = super::child_store_options("export-child", a.sqlite, a.database_url, a.schema)?;
    let format = ExportFormat::parse(&a.format).ok_or("export-child: --format is csv, xlsx or jsonl")?;
    let store = Store::connect(&options).await.map_err(store_err)?;
    let before = self_memory()?;
    let started = Instant::now();
    let caller = Caller::system("bench");
    let written = sharing_export::export_to_file(&store, &caller, a.grant, format, &[], &a.output, None)
        .await
        .map_err(store_err)?
        .map_err(|t| t.both())?;
    let seconds = started.elapsed().as_secs_f64();
    let after = self_memory()?;
    store.close().await;
    let report = ExportReport {
        seconds,
        rows: written.rows,
        bytes: written.bytes,
        rss_before_mb: before.rss_mb,
        hwm_mb: after.hwm_mb,
    };
    println!("{}", serde_json::to_string(&report).map_err(|e| e.to_string())?);
    Ok(ExitCode::SUCCESS)
}

/// An agency user of `org` with `role`, as the web layer would authenticate one.
pub(super) fn officer(org: i64, role: Role, name: &str) -> Caller {
    Caller {
        principal: Principal {
            user_id: None,
            username: name.into(),
            display_name: name.into(),
            org_id: Some(OrgId(org)),
            role: Some(role),
            token: None,
            must_change_password: false,
        },
        source: Source::cli(),
    }
}

/// What [`load_and_grant`] made.
pub(super) struct Granted {
    pub grant: i64,
    /// The agency holding the grant.
    pub consumer: i64,
    pub rows_stored: u64,
}

/// Delivers `file` into `resource` and grants `items` of it (every item if `None`) for
/// `delivery` to a second agency (requested by that agency, approved by the provider).
pub(super) async fn load_and_grant(
    store: &Store,
    resource: i64,
    file: &std::path::Path,
    delivery: Delivery,
    items: Option<Vec<String>>,
) -> Result<Granted, String> {
    let system = Caller::system("bench");
    let req = DeliveryRequest {
        resource_id: resource,
        mode: Mode::Append,
        on_error: OnError::RejectBatch,
        channel: Channel::Cli,
        source_system: "社会保险业务管理系统".into(),
        file_name: "bench.csv".into(),
        read: ReadOptions::new(Format::Csv),
        lease: aggregation::DEFAULT_LEASE,
    };
    let input = std::fs::File::open(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let batch = aggregation::deliver(store, &system, req, input, None).await.map_err(store_err)?;
    let new = NewOrganisation::new(
        Some(OrgId(1)),
        OrgKind::Agency,
        Some(AgencyCategory::Department),
        OrgName::parse("区民政局", None).map_err(|e| e.to_string())?,
        None,
    )
    .map_err(|e| e.to_string())?;
    let consumer = orgs::create(store, &system, new).await.map_err(store_err)?.id.0;
    let provider: i64 = sqlx::query_scalar("SELECT provider_org_id FROM catalog_resources WHERE id = $1")
        .bind(resource)
        .fetch_one(store.reader())
        .await
        .map_err(|e| e.to_string())?;
    let items: Vec<String> = match items {
        Some(items) => items,
        None => sqlx::query_scalar::<_, String>("SELECT published FROM catalog_resources WHERE id = $1")
            .bind(resource)
            .fetch_one(store.reader())
            .await
            .map_err(|e| e.to_string())
            .and_then(|doc| {
                let doc: serde_json::Value = serde_json::from_str(&doc).map_err(|e| e.to_string())?;
                Ok(doc["items"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|i| i["code"].as_str().map(String::from)).collect())
                    .unwrap_or_default())
            })?,
    };
    let input = ShareRequestInput {
        resource_id: resource,
        items,
        scenario: "最低生活保障对象参保情况核查".into(),
        scenario_category: ScenarioCategory::SocialAssistance,
        legal_duty: "《社会救助暂行办法》第十一条".into(),
        delivery,
        end_date: pubdata_domain::timefmt::district_date(pubdata_domain::timefmt::now()) + time::Duration::days(90),
        row_scope: RowScope::default(),
        raw_items: vec![],
        raw_justification: String::new(),
    };
    let consumer_officer = officer(consumer, Role::AgencyDataOfficer, "bench-consumer");
    let request =
        sharing::create(store, &SharingSettings::default(), &consumer_officer, input).await.map_err(store_err)?;
    let approve = DecisionInput {
        decision: Decision::Approve,
        reason: String::new(),
        items: None,
        end_date: None,
        raw_items: vec![],
    };
    let provider_officer = officer(provider, Role::AgencyDataOfficer, "bench-provider");
    let decided = sharing::review(store, &provider_officer, request.id, approve).await.map_err(store_err)?;
    let grant = decided.grant_id.ok_or("the request was not granted")?;
    Ok(Granted { grant, consumer, rows_stored: batch.rows_stored as u64 })
}

pub(super) async fn export(database_url: Option<String>, rows_wanted: u64, seed: u64) -> Result<ExitCode, String> {
    let dir = TempDir::new("pubdata-bench-export")?;
    let file = dir.path().join("people.csv");
    println!("bench export: generating {} rows…", grouped(rows_wanted));
    let (rows, bytes) = generate(&file, u64::MAX, Some(rows_wanted), seed)?;
    let (scratch, options) = Scratch::new("pubdata-bench-export-db", database_url.as_deref())?;
    let outcome = async {
        let resource = prepare(&options).await?;
        println!("  delivering {:.0} MB through the platform…", megabytes(bytes));
        let started = Instant::now();
        let store = Store::connect(&options).await.map_err(store_err)?;
        let granted = load_and_grant(&store, resource, &file, Delivery::Bulk, None).await;
        store.close().await;
        let Granted { grant, rows_stored: stored, .. } = granted?;
        println!(
            "  {} rows stored in {:.1} s; grant #{grant} (bulk, every item)",
            grouped(stored),
            started.elapsed().as_secs_f64()
        );
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let mut reports = Vec::new();
        for format in [ExportFormat::Csv, ExportFormat::Jsonl, ExportFormat::Xlsx] {
            let output = dir.path().join(format!("export.{}", format.extension()));
            let mut cmd = tokio::process::Command::new(&exe);
            cmd.args(["bench", "export-child", "--grant", &grant.to_string(), "--format", format.as_str()])
                .arg("--output")
                .arg(&output);
            match &scratch {
                Scratch::Sqlite(d) => {
                    cmd.arg("--sqlite").arg(d.path().join("pubdata.db"));
                }
                Scratch::Postgres { url, schema } => {
                    cmd.arg("--database-url").arg(url).arg("--schema").arg(schema);
                }
            }
            println!("  exporting {} (a child process)…", format.as_str());
            let out = cmd.stderr(Stdio::inherit()).output().await.map_err(|e| format!("export-child: {e}"))?;
            if !out.status.success() {
                return Err(format!(
                    "export-child failed: {}: {}",
                    out.status,
                    String::from_utf8_lossy(&out.stdout).trim()
                ));
            }
            let stdout = String::from_utf8_lossy(&out.stdout);
            let report: ExportReport = serde_json::from_str(stdout.lines().last().unwrap_or_default())
                .map_err(|e| format!("export-child answered {stdout:?}: {e}"))?;
            let _ = std::fs::remove_file(&output);
            reports.push((format, report));
        }
        Ok::<_, String>((stored, reports))
    }
    .await;
    scratch.discard().await;
    let (stored, reports) = outcome?;
    println!();
    println!("| format | rows | file (MB) | time (s) | rows/s | peak RSS, VmHWM (MB) | target | result |");
    println!("|---|---:|---:|---:|---:|---:|---|---|");
    let mut ok = true;
    for (format, r) in &reports {
        let passed = r.hwm_mb < TARGET_RSS_MB && r.rows == stored;
        ok &= passed;
        println!(
            "| {} | {} | {:.1} | {:.1} | {} | {:.0} | RSS < {TARGET_RSS_MB:.0} MB | {} |",
            format.label_en(),
            grouped(r.rows),
            megabytes(r.bytes),
            r.seconds,
            grouped((r.rows as f64 / r.seconds) as u64),
            r.hwm_mb,
            pass(passed),
        );
    }
    Ok(if ok && stored == rows { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
