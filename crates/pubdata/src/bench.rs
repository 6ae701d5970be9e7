//! `pubdata bench`: performance measurements reported in BENCHMARKS.md.
//!
//! - `startup`: how long `pubdata serve` takes, on a fresh and on an existing SQLite data
//!   directory, until `GET /healthz` answers 200, and how much memory it holds when idle.
//! - `audit`: how many audit entries a second the SM3 chain takes, through each write path,
//!   against the cost of a plain durable INSERT; the chain is verified after every scenario.
//! - `search`: Chinese catalog search over a generated catalog (100,000 resources by default):
//!   the index build from the database, its size, and query latency as an agency and as the
//!   authority, against a plain SQL `LIKE` scan of the same table.
//! - `export`: bulk exports of the sharing channel (CSV, JSON Lines, XLSX) of a 1,000,000-row
//!   resource: rows/s and the exporting process's peak memory, measured in a child process.
//! - `catalog-import`: importing an Excel (and the same catalog as CSV) file of 1,000 resources
//!   into a fresh database: time and peak memory, measured in a child process, against parsing
//!   the file alone.
//!
//! All print Markdown tables. Exit status: 0 when every target is met and every check passes,
//! 1 when not, 2 on an error.

use clap::Subcommand;
use pubdata_catalog_io::layout::{ITEM_COLUMNS, RESOURCE_COLUMNS, csv_columns};
use pubdata_catalog_io::{ExportRow, OrgDirectory};
use pubdata_domain::audit::{AuditRecord, events};
use pubdata_domain::catalog::{DataItem, ResourceDocument, ReviewState};
use pubdata_domain::identity::{
    AgencyCategory, Caller, NewOrganisation, OrgKind, OrgName, Permission, Principal, Role, Source,
};
use pubdata_domain::ids::OrgId;
use pubdata_search::{SearchQuery, generate};
use pubdata_store::catalog::{Catalog, ImportFormat, ImportMode, exchange, resources};
use pubdata_store::identity::orgs;
use pubdata_store::{Backend, ChainCheck, Store, StoreOptions, WriteTx, audit_trail, bootstrap};
use sqlx::{AssertSqlSafe, Connection, Executor};
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[path = "bench_aggregate.rs"]
mod aggregate;
#[path = "bench_export.rs"]
mod export;
#[path = "bench_gateway.rs"]
mod gateway;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Cold and warm start time of `serve` on SQLite until /healthz answers, and its idle memory.
    Startup {
        /// How many times to start the server (each on a fresh data directory, then again on it).
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100))]
        runs: u32,
    },
    /// Audit-trail append throughput per write path, on a fresh database.
    Audit {
        /// PostgreSQL (a fresh schema `bench_…` is created and dropped) instead of a temporary SQLite file.
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
        /// Entries for the scenarios that pay one commit per entry (per-transaction, single-writer
        /// group commit, and the plain INSERT baseline).
        #[arg(long, default_value_t = 2_000, value_parser = clap::value_parser!(u64).range(1..))]
        entries: u64,
        /// Entries for the concurrent group-commit scenarios [default: 10 × --entries].
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        group_entries: Option<u64>,
        /// Concurrent writers in the concurrent scenarios (group commit is also run with 64).
        #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1024))]
        writers: u32,
    },
    /// Catalog search over a generated catalog on a fresh database: index build time and size,
    /// query latency as an agency and as the authority, against a plain SQL `LIKE` scan.
    Search {
        /// PostgreSQL (a fresh schema `bench_…` is created and dropped) instead of a temporary SQLite file.
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
        /// Resources to generate and load.
        #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
        resources: u64,
        /// How many times each benchmark query is run (after one unreported warm-up round).
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
        queries_rounds: u32,
        /// The generator's seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Also print each query's median latency and hits.
        #[arg(long)]
        per_query: bool,
        /// Run the methods interleaved query by query, instead of each in a block of its own (the
        /// index searches then run between `LIKE` scans of the whole table).
        #[arg(long)]
        interleave: bool,
    },
    /// Excel catalog import (and the same catalog as CSV) into a fresh database, all or nothing:
    /// time and peak memory (in a child process), against parsing the file alone.
    CatalogImport {
        /// PostgreSQL (a fresh schema `bench_…` per import, dropped afterwards) instead of temporary SQLite files.
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
        /// Resources in the file.
        #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(1..=100_000))]
        resources: u64,
        /// Data items per resource.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=100))]
        items: u32,
        /// Imports of each file (each into a fresh database) and parses of each file.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
        runs: u32,
        /// The generator's seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Delivery of a generated CSV (10 columns: ID numbers, names, mobiles, addresses, …) through
    /// the platform into a fresh database, against the database's own bulk loader on the same file
    /// (sqlite3 `.import`, or PostgreSQL `COPY` by psql): rows/s and the delivery's peak memory.
    Aggregate {
        /// PostgreSQL (a fresh schema `bench_…`, dropped afterwards) instead of a temporary SQLite file.
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
        /// Size of the generated file in MB (10^6 bytes).
        #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(1..=100_000))]
        megabytes: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Keyed lookups through the sharing channel on a resource of delivered rows, against a
    /// hello-world endpoint and the same lookup without its audit record, at saturation and at
    /// half load; then counts the audit records and verifies the chain.
    Gateway {
        /// PostgreSQL (a fresh schema `bench_…`, dropped afterwards) instead of a temporary SQLite file.
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
        /// Rows delivered into the resource looked up.
        #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..=50_000_000))]
        rows: u64,
        /// Seconds of each measured run.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
        seconds: u64,
        /// Concurrent connections at saturation.
        #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u64).range(1..=1024))]
        connections: u64,
    },
    /// The delivery of `aggregate`, in a process of its own so that its peak memory is its own.
    #[command(hide = true)]
    AggregateChild {
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
        #[arg(long)]
        resource: i64,
        #[arg(long, value_name = "FILE")]
        sqlite: Option<PathBuf>,
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
        #[arg(long)]
        schema: Option<String>,
    },
    /// Bulk exports of the sharing channel: a generated resource (1,000,000 rows by default)
    /// delivered through the platform and granted in bulk, then exported as CSV, JSON Lines and
    /// XLSX, each by a child process: rows/s and the exporting process's peak memory.
    Export {
        /// PostgreSQL (a fresh schema `bench_…`, dropped afterwards) instead of a temporary SQLite file.
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
        /// Rows of the generated resource (an XLSX worksheet holds at most 1,048,575).
        #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..=1_048_575))]
        rows: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// One export of `export`, in a process of its own so that its peak memory is its own.
    #[command(hide = true)]
    ExportChild {
        #[arg(long)]
        grant: i64,
        #[arg(long)]
        format: String,
        #[arg(long, value_name = "FILE")]
        output: PathBuf,
        #[arg(long, value_name = "FILE")]
        sqlite: Option<PathBuf>,
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
        #[arg(long)]
        schema: Option<String>,
    },
    /// The personal-information detector: throughput on text columns (MB/s on one core) and
    /// precision/recall on labelled columns built from a real file and generated identifiers.
    Pii {
        /// The real enterprise registry (e.g. testdata/zj-enterprise-2002.csv) to include.
        #[arg(long, value_name = "FILE")]
        real: Option<PathBuf>,
        /// MB of generated column values for the throughput measurement.
        #[arg(long, default_value_t = 100)]
        megabytes: u64,
        #[arg(long, default_value_t = 10)]
        seed: u64,
    },
    /// One parse or import for `catalog-import`, in a process of its own so that its peak memory
    /// is the import's alone. Prints one line of JSON.
    #[command(hide = true)]
    ImportChild {
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
        /// The file is CSV (else xlsx).
        #[arg(long)]
        csv: bool,
        /// Only parse and validate the file (no database).
        #[arg(long)]
        parse_only: bool,
        /// The SQLite database to import into.
        #[arg(long, value_name = "FILE")]
        sqlite: Option<PathBuf>,
        /// The PostgreSQL database to import into, with --schema.
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
        #[arg(long)]
        schema: Option<String>,
        /// The search index directory.
        #[arg(long, value_name = "DIR")]
        index_dir: Option<PathBuf>,
    },
}

pub async fn run(command: BenchCommand) -> Result<ExitCode, String> {
    match command {
        BenchCommand::Startup { runs } => startup(runs).await,
        BenchCommand::Audit { database_url, entries, group_entries, writers } => {
            audit(database_url, entries, group_entries.unwrap_or(entries.saturating_mul(10)), writers).await
        }
        BenchCommand::Search { database_url, resources, queries_rounds, seed, per_query, interleave } => {
            let plan = SearchPlan { n: resources as usize, rounds: queries_rounds, seed, per_query, interleave };
            search(database_url, plan).await
        }
        BenchCommand::CatalogImport { database_url, resources, items, runs, seed } => {
            catalog_import(database_url, resources as usize, items as usize, runs, seed).await
        }
        BenchCommand::Aggregate { database_url, megabytes, seed } => {
            aggregate::aggregate(database_url, megabytes, seed).await
        }
        BenchCommand::Gateway { database_url, rows, seconds, connections } => {
            gateway::gateway(database_url, gateway::Plan { rows, seconds, connections: connections as usize }).await
        }
        BenchCommand::AggregateChild { file, resource, sqlite, database_url, schema } => {
            aggregate::deliver_child(aggregate::ChildArgs { file, resource, sqlite, database_url, schema }).await
        }
        BenchCommand::Pii { real, megabytes, seed } => aggregate::pii(real, megabytes, seed),
        BenchCommand::Export { database_url, rows, seed } => export::export(database_url, rows, seed).await,
        BenchCommand::ExportChild { grant, format, output, sqlite, database_url, schema } => {
            export::export_child(export::ChildArgs { grant, format, output, sqlite, database_url, schema }).await
        }
        BenchCommand::ImportChild { file, csv, parse_only, sqlite, database_url, schema, index_dir } => {
            import_child(ChildArgs { file, csv, parse_only, sqlite, database_url, schema, index_dir }).await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Shared helpers

/// A random lower-case hex string (std's per-process random hash keys; no extra dependency).
fn random_suffix() -> String {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
    h.write_u32(std::process::id());
    format!("{:016x}", h.finish())
}

/// A temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(prefix: &str) -> Result<TempDir, String> {
        let path = std::env::temp_dir().join(format!("{prefix}-{}-{}", std::process::id(), random_suffix()));
        std::fs::create_dir_all(&path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        Ok(TempDir(path))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

fn min(values: &[f64]) -> f64 {
    values.iter().copied().fold(f64::INFINITY, f64::min)
}

fn max(values: &[f64]) -> f64 {
    values.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Thousands separated by commas, for entry counts and rates.
fn grouped(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn pass(ok: bool) -> &'static str {
    if ok { "pass" } else { "FAIL" }
}

// ---------------------------------------------------------------------------------------------
// startup

const START_TIMEOUT: Duration = Duration::from_secs(60);
const IDLE: Duration = Duration::from_secs(2);
const TARGET_START_MS: f64 = 1000.0;
/// Decimal megabytes (10^6 bytes), so the 100 MB target is not loosened to 100 MiB.
const TARGET_RSS_MB: f64 = 100.0;

struct Memory {
    rss_mb: f64,
    hwm_mb: f64,
}

struct StartRun {
    cold_ms: f64,
    warm_ms: f64,
    memory: Memory,
}

async fn startup(runs: u32) -> Result<ExitCode, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find the current executable: {e}"))?;
    eprintln!("bench startup: {} run(s) of {} serve on SQLite", runs, exe.display());

    // The floor: starting the same executable to do nothing but print its version.
    let _ = version_once(&exe).await?; // warm the page cache
    let mut version_ms = Vec::new();
    for _ in 0..runs.max(5) {
        version_ms.push(version_once(&exe).await?);
    }

    let mut results = Vec::new();
    for i in 1..=runs {
        let dir = TempDir::new("pubdata-bench-startup")?;
        let data = dir.path().join("data");
        let (cold_ms, memory) = start_once(&exe, dir.path(), &data, true).await?;
        let (warm_ms, _) = start_once(&exe, dir.path(), &data, false).await?;
        eprintln!(
            "  run {i}: cold {cold_ms:.1} ms, warm {warm_ms:.1} ms, idle RSS {:.1} MB (peak {:.1} MB)",
            memory.rss_mb, memory.hwm_mb
        );
        results.push(StartRun { cold_ms, warm_ms, memory });
    }

    let cold: Vec<f64> = results.iter().map(|r| r.cold_ms).collect();
    let warm: Vec<f64> = results.iter().map(|r| r.warm_ms).collect();
    let rss: Vec<f64> = results.iter().map(|r| r.memory.rss_mb).collect();
    let hwm: Vec<f64> = results.iter().map(|r| r.memory.hwm_mb).collect();
    let cold_ok = median(&cold) < TARGET_START_MS;
    let rss_ok = median(&rss) < TARGET_RSS_MB;

    println!("### `pubdata bench startup --runs {runs}`");
    println!();
    println!(
        "`serve` on a fresh SQLite data directory (cold: creates the database, runs the migrations, \
         bootstraps, hashes the first administrator's password) and again on the same directory (warm), \
         timed from spawn until `GET /healthz` returns 200; memory read from /proc after {} s idle. \
         MB = 10^6 bytes.",
        IDLE.as_secs()
    );
    println!();
    println!("| measure | median | min | max | target | result |");
    println!("|---|---:|---:|---:|---|---|");
    println!(
        "| cold start to /healthz 200 (ms) | {:.1} | {:.1} | {:.1} | < {TARGET_START_MS:.0} ms | {} |",
        median(&cold),
        min(&cold),
        max(&cold),
        pass(cold_ok)
    );
    println!(
        "| warm start to /healthz 200 (ms) | {:.1} | {:.1} | {:.1} | < {TARGET_START_MS:.0} ms | {} |",
        median(&warm),
        min(&warm),
        max(&warm),
        pass(median(&warm) < TARGET_START_MS)
    );
    println!(
        "| idle RSS after {} s (MB) | {:.1} | {:.1} | {:.1} | < {TARGET_RSS_MB:.0} MB | {} |",
        IDLE.as_secs(),
        median(&rss),
        min(&rss),
        max(&rss),
        pass(rss_ok)
    );
    println!("| peak RSS, VmHWM (MB) | {:.1} | {:.1} | {:.1} | – | – |", median(&hwm), min(&hwm), max(&hwm));
    println!(
        "| baseline: `pubdata --version` (ms, {} runs) | {:.1} | {:.1} | {:.1} | – | – |",
        version_ms.len(),
        median(&version_ms),
        min(&version_ms),
        max(&version_ms)
    );
    println!();
    let all_ok = cold_ok && rss_ok && median(&warm) < TARGET_START_MS;
    Ok(if all_ok { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Builds a child process of this executable that sees no `PUBDATA_*` settings or config file.
fn child(exe: &Path, cwd: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(exe);
    cmd.current_dir(cwd).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("PUBDATA_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// Waits synchronously: tokio's child reaping adds milliseconds of latency to a 3 ms process.
async fn version_once(exe: &Path) -> Result<f64, String> {
    let cwd = std::env::temp_dir();
    let started = Instant::now();
    let status = child(exe, &cwd).arg("--version").status().map_err(|e| format!("cannot run --version: {e}"))?;
    let elapsed = ms(started.elapsed());
    if !status.success() {
        return Err(format!("`pubdata --version` failed: {status}"));
    }
    Ok(elapsed)
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

/// Starts `serve`, times it until healthy, optionally waits idle and reads its memory, then stops it.
async fn start_once(exe: &Path, cwd: &Path, data: &Path, measure_memory: bool) -> Result<(f64, Memory), String> {
    let port = free_port()?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut cmd = child(exe, cwd);
    cmd.arg("serve").arg("--listen").arg(addr.to_string()).arg("--data-dir").arg(data);
    let mut cmd = tokio::process::Command::from(cmd);
    cmd.kill_on_drop(true);
    let started = Instant::now();
    let mut server = cmd.spawn().map_err(|e| format!("cannot start serve: {e}"))?;
    let elapsed = loop {
        if healthy(addr).await {
            break started.elapsed();
        }
        if let Some(status) = server.try_wait().map_err(|e| e.to_string())? {
            return Err(format!("serve exited before answering /healthz: {status}"));
        }
        if started.elapsed() > START_TIMEOUT {
            let _ = server.kill().await;
            return Err(format!("serve did not answer /healthz within {} s", START_TIMEOUT.as_secs()));
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    let memory = if measure_memory {
        tokio::time::sleep(IDLE).await;
        match server.id() {
            Some(pid) => read_memory(pid),
            None => Err("serve exited while idle".to_string()),
        }
    } else {
        Ok(Memory { rss_mb: 0.0, hwm_mb: 0.0 })
    };
    stop(&mut server).await;
    Ok((ms(elapsed), memory?))
}

/// One `GET /healthz` over a fresh connection: true on a 200 answer.
async fn healthy(addr: SocketAddr) -> bool {
    let attempt = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await.ok()?;
        stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").await.ok()?;
        let mut answer = Vec::with_capacity(256);
        stream.read_to_end(&mut answer).await.ok()?;
        Some(answer.starts_with(b"HTTP/1.1 200"))
    };
    matches!(tokio::time::timeout(Duration::from_secs(2), attempt).await, Ok(Some(true)))
}

/// VmRSS and VmHWM of a process, from /proc/PID/status (values in KiB).
fn read_memory(pid: u32) -> Result<Memory, String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("cannot read /proc/{pid}/status: {e}"))?;
    let field = |name: &str| -> Result<f64, String> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse::<f64>().ok())
            .map(|kib| kib * 1024.0 / 1e6)
            .ok_or_else(|| format!("no {name} in /proc/{pid}/status"))
    };
    Ok(Memory { rss_mb: field("VmRSS:")?, hwm_mb: field("VmHWM:")? })
}

/// SIGTERM (the graceful shutdown path), then SIGKILL if it has not exited within 10 s.
async fn stop(server: &mut tokio::process::Child) {
    if let Some(pid) = server.id() {
        let _ = tokio::process::Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .await;
    }
    if tokio::time::timeout(Duration::from_secs(10), server.wait()).await.is_err() {
        let _ = server.kill().await;
    }
}

// ---------------------------------------------------------------------------------------------
// audit

/// Unreported transactions of each kind before the scenarios (at most --entries).
const WARM_UP: u64 = 500;

/// Where the benchmark's fresh database lives, so it can be removed afterwards.
enum Scratch {
    Sqlite(TempDir),
    Postgres { url: String, schema: String },
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum WritePath {
    /// `Store::begin` + `WriteTx::record` + `WriteTx::commit`: one transaction per entry.
    PerTransaction,
    /// `Store::audit().record`: the group-commit writer.
    GroupCommit,
    /// A plain INSERT into an unchained table, one transaction per row.
    Plain,
}

struct Outcome {
    code: &'static str,
    label: String,
    writers: u32,
    entries: u64,
    elapsed: Duration,
    /// Transactions committed: for the chain, the distinct `occurred_at` instants among the
    /// scenario's entries (an append stamps its whole batch with one microsecond instant).
    commits: u64,
    /// After chained scenarios: (entries verified, time taken), or what is wrong with the chain.
    verified: Option<Result<(i64, Duration), String>>,
}

async fn audit(
    database_url: Option<String>,
    entries: u64,
    group_entries: u64,
    writers: u32,
) -> Result<ExitCode, String> {
    let (scratch, mut options) = Scratch::new("pubdata-bench-audit", database_url.as_deref())?;
    // Enough PostgreSQL connections for every concurrent per-transaction writer.
    options.max_connections = options.max_connections.max(writers.min(64));
    let result = audit_on(&options, entries, group_entries, writers).await;
    scratch.discard().await;
    result
}

impl Scratch {
    /// A fresh database: a temporary SQLite file, or a new schema in the PostgreSQL database at `url`.
    fn new(prefix: &str, database_url: Option<&str>) -> Result<(Scratch, StoreOptions), String> {
        Ok(match database_url {
            None => {
                let dir = TempDir::new(prefix)?;
                let options = StoreOptions::sqlite_file(&dir.path().join("pubdata.db"));
                (Scratch::Sqlite(dir), options)
            }
            Some(url) => {
                let schema = format!("bench_{}", random_suffix());
                let mut options = StoreOptions::new(url.to_string());
                options.schema = Some(schema.clone());
                (Scratch::Postgres { url: url.to_string(), schema }, options)
            }
        })
    }

    /// Removes the database.
    async fn discard(self) {
        match self {
            Scratch::Sqlite(dir) => drop(dir),
            Scratch::Postgres { url, schema } => {
                if let Err(e) = drop_schema(&url, &schema).await {
                    eprintln!("warning: could not drop schema {schema}: {e}");
                }
            }
        }
    }

    /// Where the database is, for the report.
    fn describe(&self, store_url: &str) -> String {
        match self {
            Scratch::Sqlite(_) => "a temporary SQLite file".to_string(),
            Scratch::Postgres { schema, .. } => format!("{store_url} (schema {schema}, dropped afterwards)"),
        }
    }
}

async fn drop_schema(url: &str, schema: &str) -> Result<(), String> {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url).await.map_err(|e| e.to_string())?;
    // The name is ours: `bench_` and hex digits.
    conn.execute(AssertSqlSafe(format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE")))
        .await
        .map_err(|e| e.to_string())?;
    conn.close().await.map_err(|e| e.to_string())
}

/// The database a benchmark's child process works on: the SQLite file or the PostgreSQL URL
/// (and schema) its parent passed.
fn child_store_options(
    child: &str,
    sqlite: Option<PathBuf>,
    database_url: Option<String>,
    schema: Option<String>,
) -> Result<StoreOptions, String> {
    match (sqlite, database_url) {
        (Some(path), None) => Ok(StoreOptions::sqlite_file(&path)),
        (None, Some(url)) => {
            let mut options = StoreOptions::new(url);
            options.schema = schema;
            Ok(options)
        }
        _ => Err(format!("{child}: give --sqlite FILE or --database-url URL")),
    }
}

fn store_err(e: pubdata_store::Error) -> String {
    e.to_string()
}

async fn audit_on(options: &StoreOptions, entries: u64, group_entries: u64, writers: u32) -> Result<ExitCode, String> {
    let store = Store::connect(options)
        .await
        .map_err(|e| format!("cannot connect to {}: {e}", pubdata_store::redact_url(&options.url)))?;
    let result = scenarios(&store, entries, group_entries, writers).await;
    store.close().await;
    let (outcomes, durability) = result?;

    let backend = store.backend().as_str();
    let where_ = match &options.schema {
        Some(s) => format!("{} (schema {s}, dropped afterwards)", store.url()),
        None => "a temporary SQLite file".to_string(),
    };
    println!(
        "### `pubdata bench audit` on {backend}{}",
        if options.schema.is_some() { " (--database-url)" } else { "" }
    );
    println!();
    println!(
        "Fresh database: {where_}; {durability}. After an unreported warm-up of {warm_up} chained and {warm_up} plain \
         transactions, scenarios run in order on the same chain, which is verified (`audit_trail::verify`, whole \
         chain) after each. Commits of chained scenarios are counted as distinct `occurred_at` instants.",
        warm_up = entries.min(WARM_UP)
    );
    println!();
    println!(
        "| scenario | writers | entries | commits | entries/commit | time (s) | entries/s | mean wait per call (ms) \
         | chain verified after | verify (entries/s) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|");
    let plain_rate = outcomes.iter().find(|o| o.code == "e").map(|o| rate(o.entries, o.elapsed));
    for o in &outcomes {
        let secs = o.elapsed.as_secs_f64();
        let wait = ms(o.elapsed) * f64::from(o.writers) / o.entries as f64;
        let (verified, verify_rate) = match &o.verified {
            Some(Ok((n, d))) => (
                format!("intact, {} entries in {:.2} s", grouped((*n).max(0) as u64), d.as_secs_f64()),
                grouped(rate((*n).max(0) as u64, *d) as u64),
            ),
            Some(Err(broken)) => (format!("**{broken}**"), "–".to_string()),
            None => ("–".to_string(), "–".to_string()),
        };
        println!(
            "| {} | {} | {} | {} | {:.1} | {:.2} | {} | {:.2} | {} | {} |",
            o.label,
            o.writers,
            grouped(o.entries),
            grouped(o.commits),
            o.entries as f64 / o.commits.max(1) as f64,
            secs,
            grouped(rate(o.entries, o.elapsed) as u64),
            wait,
            verified,
            verify_rate
        );
    }
    if let Some(plain) = plain_rate {
        println!();
        let ratios: Vec<String> = outcomes
            .iter()
            .filter(|o| o.code != "e")
            .map(|o| {
                let s = if o.writers == 1 { "" } else { "s" };
                format!("{} ({} writer{s}) {:.2}×", o.code, o.writers, rate(o.entries, o.elapsed) / plain)
            })
            .collect();
        println!("Throughput relative to the plain INSERT baseline (e): {}.", ratios.join(", "));
    }
    println!();
    let intact = outcomes.iter().all(|o| !matches!(o.verified, Some(Err(_))));
    Ok(if intact { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn rate(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

async fn scenarios(
    store: &Store,
    entries: u64,
    group_entries: u64,
    writers: u32,
) -> Result<(Vec<Outcome>, String), String> {
    bootstrap::ensure_initialized(store, "基准测试", false).await.map_err(store_err)?;
    let durability = match store.backend() {
        Backend::Sqlite => "SQLite WAL, synchronous=FULL (as `serve` runs it)".to_string(),
        Backend::Postgres => {
            let (version,): (String,) =
                sqlx::query_as("SHOW server_version").fetch_one(store.reader()).await.map_err(|e| e.to_string())?;
            let (sync,): (String,) =
                sqlx::query_as("SHOW synchronous_commit").fetch_one(store.reader()).await.map_err(|e| e.to_string())?;
            format!("PostgreSQL {version}, synchronous_commit={sync}")
        }
    };
    sqlx::query("CREATE TABLE bench_plain (id BIGINT PRIMARY KEY, payload TEXT NOT NULL)")
        .execute(store.reader())
        .await
        .map_err(|e| e.to_string())?;

    let mut plan: Vec<(&'static str, &'static str, WritePath, u32, u64)> = vec![
        ("a", "per-transaction: `begin`, `record`, `commit`", WritePath::PerTransaction, 1, entries),
        ("b", "per-transaction, concurrent", WritePath::PerTransaction, writers, entries),
        ("c", "group commit: `audit().record`, one caller", WritePath::GroupCommit, 1, entries),
        ("d", "group commit, concurrent", WritePath::GroupCommit, writers, group_entries),
    ];
    if writers != 64 {
        plan.push(("d", "group commit, concurrent", WritePath::GroupCommit, 64, group_entries));
    }
    plan.push(("e", "baseline: plain INSERT, unchained, one tx per row", WritePath::Plain, 1, entries));

    // Warm-up, not reported: opens the connections and lets the SQLite WAL reach its steady size.
    let warm_up = entries.min(WARM_UP);
    eprintln!("  warm-up: {warm_up} chained and {warm_up} plain transactions…");
    appends(store, false, 1, warm_up).await?;
    plain_inserts(store, 1, warm_up).await?;
    let mut plain_next_id = 1 + warm_up as i64;
    let mut outcomes = Vec::new();
    for (code, what, path, w, n) in plan {
        let label = format!("{code}. {what}");
        eprintln!("  {label}: {n} entries, {w} writer(s)…");
        let (head_before, _) = audit_trail::head(store).await.map_err(store_err)?;
        let elapsed = match path {
            WritePath::Plain => {
                let d = plain_inserts(store, plain_next_id, n).await?;
                plain_next_id += n as i64;
                d
            }
            WritePath::PerTransaction => appends(store, false, w, n).await?,
            WritePath::GroupCommit => appends(store, true, w, n).await?,
        };
        let verified = if path == WritePath::Plain {
            None
        } else {
            let started = Instant::now();
            let check = audit_trail::verify(store).await.map_err(store_err)?;
            let took = started.elapsed();
            Some(match check {
                ChainCheck::Intact(report) if report.head_seq == head_before + n as i64 => Ok((report.entries, took)),
                ChainCheck::Intact(report) => Err(format!(
                    "chain intact but it grew from {head_before} to {} entries, expected {}",
                    report.head_seq,
                    head_before + n as i64
                )),
                ChainCheck::Broken(b) => Err(format!("chain BROKEN at position {}: {}", b.position(), b.describe_en())),
            })
        };
        let commits = if path == WritePath::Plain {
            n
        } else {
            let (c,): (i64,) = sqlx::query_as("SELECT COUNT(DISTINCT occurred_at) FROM audit_entries WHERE seq > $1")
                .bind(head_before)
                .fetch_one(store.reader())
                .await
                .map_err(|e| e.to_string())?;
            c.max(0) as u64
        };
        eprintln!("    {:.0} entries/s", rate(n, elapsed));
        let broken = matches!(verified, Some(Err(_)));
        outcomes.push(Outcome { code, label, writers: w, entries: n, elapsed, commits, verified });
        if broken {
            break;
        }
    }
    Ok((outcomes, durability))
}

/// `n` entries appended by `writers` concurrent tasks, through the group-commit writer or one
/// transaction each; returns the wall time.
async fn appends(store: &Store, group_commit: bool, writers: u32, n: u64) -> Result<Duration, String> {
    let actor = Caller::system("bench").actor();
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(writers as usize);
    for w in 0..u64::from(writers) {
        let count = n / u64::from(writers) + u64::from(w < n % u64::from(writers));
        let store = store.clone();
        let actor = actor.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..count {
                let event = events::access_denied(Permission::UserManage, "GET", "/api/v1/users");
                if group_commit {
                    store.audit().record(actor.clone(), event).await?;
                } else {
                    let mut tx = store.begin().await?;
                    tx.record(actor.clone(), event);
                    tx.commit().await?;
                }
            }
            Ok::<(), pubdata_store::Error>(())
        }));
    }
    for task in tasks {
        task.await.map_err(|e| format!("writer task failed: {e}"))?.map_err(store_err)?;
    }
    Ok(started.elapsed())
}

/// `n` rows of an audit entry's size inserted one transaction each, by one writer.
async fn plain_inserts(store: &Store, first_id: i64, n: u64) -> Result<Duration, String> {
    let actor = Caller::system("bench").actor();
    let event = events::access_denied(Permission::UserManage, "GET", "/api/v1/users");
    let sample = AuditRecord::seal(1, "2026-01-01T00:00:00.000000Z".into(), &actor, &event, "0".repeat(64).as_str());
    let payload = serde_json::to_string(&sample).map_err(|e| e.to_string())?;
    let pool = store.reader();
    let started = Instant::now();
    for id in first_id..first_id + n as i64 {
        let mut tx = match store.backend() {
            Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => pool.begin().await,
        }
        .map_err(|e| e.to_string())?;
        sqlx::query("INSERT INTO bench_plain (id, payload) VALUES ($1, $2)")
            .bind(id)
            .bind(payload.as_str())
            .execute(&mut *tx)
            .await
            .map_err(|e| e.to_string())?;
        tx.commit().await.map_err(|e| e.to_string())?;
    }
    Ok(started.elapsed())
}

// ---------------------------------------------------------------------------------------------
// Shared by `search` and `catalog-import`

/// VmRSS and VmHWM of this process.
fn self_memory() -> Result<Memory, String> {
    read_memory(std::process::id())
}

/// Resets this process's VmHWM to its current RSS (Linux ≥ 4.0: `5` > /proc/self/clear_refs), so
/// that the next reading is the peak of what follows. False when the kernel refuses.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// The nearest-rank percentile `q` (0 < q ≤ 1) of sorted values.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Bytes and files under `path`.
fn dir_size(path: &Path) -> (u64, usize) {
    let mut total = (0, 0);
    if let Ok(entries) = std::fs::read_dir(path) {
        for entry in entries.flatten() {
            match entry.metadata() {
                Ok(m) if m.is_dir() => {
                    let (b, f) = dir_size(&entry.path());
                    total = (total.0 + b, total.1 + f);
                }
                Ok(m) => total = (total.0 + m.len(), total.1 + 1),
                Err(_) => {}
            }
        }
    }
    total
}

/// Decimal megabytes.
fn megabytes(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

/// The server and its version, for the report.
async fn server_description(store: &Store) -> Result<String, String> {
    match store.backend() {
        Backend::Sqlite => {
            let (version,): (String,) =
                sqlx::query_as("SELECT sqlite_version()").fetch_one(store.reader()).await.map_err(|e| e.to_string())?;
            Ok(format!("SQLite {version} (WAL, synchronous=FULL, as `serve` runs it)"))
        }
        Backend::Postgres => {
            let (version,): (String,) =
                sqlx::query_as("SHOW server_version").fetch_one(store.reader()).await.map_err(|e| e.to_string())?;
            Ok(format!("PostgreSQL {version}"))
        }
    }
}

/// Creates the generator's providing organisations (agencies, then towns and streets) under the
/// authority with `orgs::create` as the system caller. Returns generator id → database id,
/// including the generator's authority.
async fn create_generator_orgs(store: &Store) -> Result<HashMap<i64, i64>, String> {
    let caller = Caller::system("bench");
    let (authority,): (i64,) = sqlx::query_as("SELECT id FROM organisations WHERE kind = 'authority'")
        .fetch_one(store.reader())
        .await
        .map_err(|e| e.to_string())?;
    let mut ids = HashMap::from([(generate::AUTHORITY_ORG_ID, authority)]);
    for (id, name) in generate::agencies() {
        // The generator numbers towns and streets from 100.
        let (kind, category) =
            if id >= 100 { (OrgKind::TownStreet, None) } else { (OrgKind::Agency, Some(AgencyCategory::Department)) };
        let name = OrgName::parse(&name, None).map_err(|e| e.to_string())?;
        let new =
            NewOrganisation::new(Some(OrgId(authority)), kind, category, name, None).map_err(|e| e.to_string())?;
        let org = orgs::create(store, &caller, new).await.map_err(store_err)?;
        ids.insert(id, org.id.0);
    }
    Ok(ids)
}

// ---------------------------------------------------------------------------------------------
// search

/// The target: 95 % of searches answer within 10 ms.
const TARGET_SEARCH_P95_MS: f64 = 10.0;
/// Rows per multi-row INSERT, and per transaction, when loading the generated catalog.
const LOAD_STATEMENT_ROWS: usize = 500;
const LOAD_TRANSACTION_ROWS: usize = 10_000;
/// Columns written per resource when loading (`LoadRow`).
const LOAD_COLUMNS: usize = 11;
/// The generator's agency whose data officer searches "as an agency": 鄞州区市场监督管理局, the
/// agency the search crate's own tests search as.
const SEARCHING_AGENCY: i64 = 2;
/// Hits a page shows.
const PAGE: usize = 20;

/// One `catalog_resources` row, with the columns `resources::insert` writes (the review state,
/// versions and published document as the generator made them).
struct LoadRow {
    compiler_org_id: i64,
    provider_org_id: i64,
    state: &'static str,
    working: String,
    current_version: i64,
    published: Option<String>,
    name: String,
    search_text: String,
    updated_at: String,
}

#[derive(Default)]
struct Generated {
    resources: usize,
    /// In the district catalog and not being revised (state `published`).
    published: usize,
    /// Published, with a revision in progress (a working copy that differs).
    revising: usize,
    /// Never published (draft or under review).
    unpublished: usize,
    /// Data items of the working copies.
    items: usize,
}

/// The text `resources::search_text` computes (crate-private in the store), which the `LIKE`
/// search scans: names, description and the data items' names and codes of the working copy.
fn search_text(doc: &ResourceDocument) -> String {
    let mut s = format!("{} {} {} {}", doc.name, doc.business_name, doc.source_system, doc.description);
    for i in &doc.items {
        s.push(' ');
        s.push_str(&i.name);
        s.push(' ');
        s.push_str(&i.code);
    }
    s
}

fn load_row(
    r: pubdata_search::IndexedResource,
    ids: &HashMap<i64, i64>,
    counts: &mut Generated,
) -> Result<LoadRow, String> {
    let org = |id: i64| ids.get(&id).copied().ok_or_else(|| format!("generated organisation {id} was not created"));
    let remap = |mut d: ResourceDocument| -> Result<ResourceDocument, String> {
        d.provider_org_id = org(d.provider_org_id)?;
        Ok(d)
    };
    let json = |d: &ResourceDocument| serde_json::to_string(d).map_err(|e| e.to_string());
    let published = r.published.map(remap).transpose()?;
    let working = match r.working {
        Some((state, d)) => Some((state, remap(d)?)),
        None => None,
    };
    let (state, working, current_version, published) = match (published, working) {
        (Some(p), None) => {
            counts.published += 1;
            let j = json(&p)?;
            (ReviewState::Published, p, 1, Some(j))
        }
        (Some(p), Some((state, w))) => {
            counts.revising += 1;
            (state, w, 1, Some(json(&p)?))
        }
        (None, Some((state, w))) => {
            counts.unpublished += 1;
            (state, w, 0, None)
        }
        (None, None) => return Err(format!("generated resource {} has no document", r.resource_id)),
    };
    counts.resources += 1;
    counts.items += working.items.len();
    let working_json = match (&published, state) {
        (Some(j), ReviewState::Published) => j.clone(),
        _ => json(&working)?,
    };
    Ok(LoadRow {
        compiler_org_id: org(r.compiler_org_id)?,
        provider_org_id: working.provider_org_id,
        state: state.as_str(),
        working: working_json,
        current_version,
        published,
        search_text: search_text(&working),
        name: working.name,
        updated_at: r.updated_at,
    })
}

/// One multi-row INSERT.
async fn insert_rows(tx: &mut WriteTx, rows: Vec<LoadRow>) -> Result<(), String> {
    let mut sql = String::from(
        "INSERT INTO catalog_resources (compiler_org_id, provider_org_id, state, working, current_version, published, \
         name, search_text, created_by, created_at, updated_at) VALUES ",
    );
    for i in 0..rows.len() {
        let params: Vec<String> = (1..=LOAD_COLUMNS).map(|c| format!("${}", i * LOAD_COLUMNS + c)).collect();
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        sql.push_str(&params.join(", "));
        sql.push(')');
    }
    let created_by = Caller::system("bench").principal.username;
    // Only placeholders are formatted into the statement.
    let mut query = sqlx::query(AssertSqlSafe(sql));
    for r in rows {
        query = query
            .bind(r.compiler_org_id)
            .bind(r.provider_org_id)
            .bind(r.state)
            .bind(r.working)
            .bind(r.current_version)
            .bind(r.published)
            .bind(r.name)
            .bind(r.search_text)
            .bind(created_by.clone())
            .bind(r.updated_at.clone())
            .bind(r.updated_at);
    }
    query.execute(tx.conn()).await.map_err(|e| e.to_string())?;
    Ok(())
}

/// Generates `n` resources and writes them into `catalog_resources` with multi-row INSERTs, in
/// transactions of `LOAD_TRANSACTION_ROWS` that each record one audit entry (a `catalog`
/// import, which the search index's change feed ignores). Returns the counts and the time spent
/// generating and serialising (part of the total).
async fn load_catalog(
    store: &Store,
    ids: &HashMap<i64, i64>,
    n: usize,
    seed: u64,
) -> Result<(Generated, Duration), String> {
    let actor = Caller::system("bench").actor();
    let mut counts = Generated::default();
    let mut source = generate::catalog_iter(n, seed);
    let mut preparing = Duration::ZERO;
    let mut loaded = 0;
    while loaded < n {
        let mut tx = store.begin().await.map_err(store_err)?;
        let mut in_tx = 0;
        while in_tx < LOAD_TRANSACTION_ROWS && loaded + in_tx < n {
            let take = LOAD_STATEMENT_ROWS.min(LOAD_TRANSACTION_ROWS - in_tx).min(n - loaded - in_tx);
            let started = Instant::now();
            let rows =
                source.by_ref().take(take).map(|r| load_row(r, ids, &mut counts)).collect::<Result<Vec<_>, _>>()?;
            preparing += started.elapsed();
            if rows.is_empty() {
                break;
            }
            in_tx += rows.len();
            insert_rows(&mut tx, rows).await?;
        }
        if in_tx == 0 {
            break;
        }
        tx.record(actor.clone(), events::catalog_imported("bench", "generated catalog", in_tx, 0));
        tx.commit().await.map_err(store_err)?;
        loaded += in_tx;
        if loaded % 50_000 == 0 || loaded == n {
            eprintln!("    {} / {} resources", grouped(loaded as u64), grouped(n as u64));
        }
    }
    Ok((counts, preparing))
}

/// A catalog reader who is not the system: a user of `org` with `role`.
fn caller_as(username: &str, org: i64, role: Role) -> Caller {
    Caller {
        principal: Principal {
            user_id: None,
            username: username.to_string(),
            display_name: username.to_string(),
            org_id: Some(OrgId(org)),
            role: Some(role),
            token: None,
            must_change_password: false,
        },
        source: Source::cli(),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Method {
    IndexAgency,
    IndexAuthority,
    LikeAll,
    LikeFirstPage,
}

const METHODS: [Method; 4] = [Method::IndexAgency, Method::IndexAuthority, Method::LikeAll, Method::LikeFirstPage];

impl Method {
    fn label(self) -> &'static str {
        match self {
            Method::IndexAgency => "index: `Catalog::search`, 20 hits + facets",
            Method::IndexAuthority => "index: `Catalog::search`, 20 hits + facets",
            Method::LikeAll => "baseline: SQL `LIKE '%…%'`, every match",
            Method::LikeFirstPage => "baseline: SQL `LIKE '%…%'`, first 20 by id",
        }
    }

    fn short(self) -> &'static str {
        match self {
            Method::IndexAgency => "index as the agency",
            Method::IndexAuthority => "index as the authority",
            Method::LikeAll => "`LIKE` every match",
            Method::LikeFirstPage => "`LIKE` first 20",
        }
    }

    fn who(self) -> &'static str {
        match self {
            Method::IndexAgency => "agency data officer",
            Method::IndexAuthority | Method::LikeAll | Method::LikeFirstPage => "authority",
        }
    }

    fn is_index(self) -> bool {
        matches!(self, Method::IndexAgency | Method::IndexAuthority)
    }
}

/// A `LIKE` pattern matching `needle` anywhere, as `resources::like_search` escapes it.
fn like_pattern(needle: &str) -> String {
    format!("%{}%", needle.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"))
}

/// Ids of resources whose `search_text` contains every word, lowest first, at most `limit`: one
/// word is `resources::like_search` itself; several are its statement with one `LIKE` per word
/// joined by AND (one scan).
async fn like(catalog: &Catalog, words: &[&str], limit: i64) -> Result<Vec<i64>, String> {
    match words {
        [] => Err("an empty query".to_string()),
        [word] => resources::like_search(catalog, word, limit).await.map_err(store_err),
        _ => {
            let conditions: Vec<String> =
                (1..=words.len()).map(|i| format!("search_text LIKE ${i} ESCAPE '\\'")).collect();
            let sql = format!(
                "SELECT id FROM catalog_resources WHERE {} ORDER BY id LIMIT ${}",
                conditions.join(" AND "),
                words.len() + 1
            );
            // Only placeholders are formatted into the statement.
            let mut query = sqlx::query_as::<_, (i64,)>(AssertSqlSafe(sql));
            for w in words {
                query = query.bind(like_pattern(w));
            }
            let rows = query.bind(limit).fetch_all(catalog.store().reader()).await.map_err(|e| e.to_string())?;
            Ok(rows.into_iter().map(|(id,)| id).collect())
        }
    }
}

/// One search: (milliseconds, matching resources).
async fn run_query(
    catalog: &Catalog,
    method: Method,
    text: &str,
    agency: &Caller,
    authority: &Caller,
) -> Result<(f64, usize), String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let started = Instant::now();
    let hits = match method {
        Method::IndexAgency | Method::IndexAuthority => {
            let caller = if method == Method::IndexAgency { agency } else { authority };
            let query = SearchQuery { text: text.to_string(), limit: PAGE, ..SearchQuery::default() };
            catalog.search(caller, &query).await.map_err(store_err)?.total
        }
        Method::LikeAll => like(catalog, &words, i64::MAX).await?.len(),
        Method::LikeFirstPage => like(catalog, &words, PAGE as i64).await?.len(),
    };
    Ok((ms(started.elapsed()), hits))
}

/// Latencies and hits of one method over every query and round.
struct Measured {
    method: Method,
    /// Milliseconds, every query × round.
    times: Vec<f64>,
    /// Per query: the median milliseconds over the rounds, and the hits (of the first round).
    per_query: Vec<(f64, usize)>,
}

impl Measured {
    fn sorted(&self) -> Vec<f64> {
        let mut t = self.times.clone();
        t.sort_by(f64::total_cmp);
        t
    }

    fn p95(&self) -> f64 {
        percentile(&self.sorted(), 0.95)
    }
}

struct Phase {
    label: &'static str,
    memory: Memory,
}

/// What `bench search` does.
struct SearchPlan {
    /// Resources generated.
    n: usize,
    rounds: u32,
    seed: u64,
    per_query: bool,
    interleave: bool,
}

async fn search(database_url: Option<String>, plan: SearchPlan) -> Result<ExitCode, String> {
    let (scratch, options) = Scratch::new("pubdata-bench-search", database_url.as_deref())?;
    let index_parent = TempDir::new("pubdata-bench-search-index")?;
    let result = match Store::connect(&options).await {
        Ok(store) => {
            let r = search_on(&store, &scratch, index_parent.path(), &plan).await;
            store.close().await;
            r
        }
        Err(e) => Err(format!("cannot connect to {}: {e}", pubdata_store::redact_url(&options.url))),
    };
    scratch.discard().await;
    result
}

async fn search_on(
    store: &Store,
    scratch: &Scratch,
    index_parent: &Path,
    plan: &SearchPlan,
) -> Result<ExitCode, String> {
    let SearchPlan { n, rounds, seed, per_query, interleave } = *plan;
    eprintln!("bench search: {n} resources on {}", store.backend().as_str());
    bootstrap::ensure_initialized(store, "基准测试", false).await.map_err(store_err)?;
    let server = server_description(store).await?;
    let ids = create_generator_orgs(store).await?;
    let mut phases = Vec::new();
    let peaks_reset = reset_peak();

    // Load.
    eprintln!("  loading the generated catalog…");
    let started = Instant::now();
    let (generated, preparing) = load_catalog(store, &ids, n, seed).await?;
    let load = started.elapsed();
    phases.push(Phase { label: "loading", memory: self_memory()? });
    let table_bytes = match scratch {
        Scratch::Sqlite(dir) => dir_size(dir.path()).0,
        Scratch::Postgres { .. } => {
            let (b,): (i64,) = sqlx::query_as("SELECT pg_total_relation_size('catalog_resources')")
                .fetch_one(store.reader())
                .await
                .map_err(|e| e.to_string())?;
            b.max(0) as u64
        }
    };

    // Index build from the database, then reopening it.
    let dir = index_parent.join("index");
    eprintln!("  building the index from the database…");
    reset_peak();
    let started = Instant::now();
    let catalog = Catalog::open(store.clone(), Some(&dir)).await.map_err(store_err)?;
    let build = started.elapsed();
    phases.push(Phase { label: "building the index", memory: self_memory()? });
    if catalog.indexed() != n {
        return Err(format!("the index holds {} resources, expected {n}", catalog.indexed()));
    }
    let (index_bytes, index_files) = dir_size(&dir);
    drop(catalog);
    reset_peak();
    let started = Instant::now();
    let catalog = Catalog::open(store.clone(), Some(&dir)).await.map_err(store_err)?;
    let reopen = started.elapsed();
    if catalog.indexed() != n {
        return Err(format!("the reopened index holds {} resources, expected {n}", catalog.indexed()));
    }

    // Searches.
    let authority_id = ids[&generate::AUTHORITY_ORG_ID];
    let agency_id = *ids.get(&SEARCHING_AGENCY).ok_or("the generator has no agency 2")?;
    let agency_name = generate::agencies().into_iter().find(|(id, _)| *id == SEARCHING_AGENCY).map(|(_, n)| n);
    let authority = caller_as("bench-authority-staff", authority_id, Role::AuthorityStaff);
    let agency = caller_as("bench-data-officer", agency_id, Role::AgencyDataOfficer);
    let queries = generate::queries();
    let mut samples: Vec<Vec<Vec<f64>>> = vec![vec![Vec::new(); queries.len()]; METHODS.len()];
    let mut hits: Vec<Vec<usize>> = vec![vec![0; queries.len()]; METHODS.len()];
    // Each block runs its methods query by query: one unreported warm-up pass, then the rounds.
    let blocks: Vec<Vec<usize>> =
        if interleave { vec![(0..METHODS.len()).collect()] } else { (0..METHODS.len()).map(|mi| vec![mi]).collect() };
    for block in &blocks {
        let names: Vec<&str> = block.iter().map(|&mi| METHODS[mi].short()).collect();
        eprintln!("  {}: a warm-up pass and {rounds} round(s)…", names.join(", "));
        let started = Instant::now();
        for round in 0..=rounds {
            for (qi, q) in queries.iter().enumerate() {
                for &mi in block {
                    let (t, h) = run_query(&catalog, METHODS[mi], q, &agency, &authority).await?;
                    if round > 0 {
                        samples[mi][qi].push(t);
                    }
                    if round == 1 {
                        hits[mi][qi] = h;
                    }
                }
            }
        }
        eprintln!("    {:.1} s", started.elapsed().as_secs_f64());
    }
    let measured: Vec<Measured> = METHODS
        .into_iter()
        .enumerate()
        .map(|(mi, method)| Measured {
            method,
            times: samples[mi].iter().flatten().copied().collect(),
            per_query: samples[mi].iter().zip(&hits[mi]).map(|(t, h)| (median(t), *h)).collect(),
        })
        .collect();

    // The empty query (everything visible, newest first) and the Art.9 overlap check.
    let mut empty = Vec::new();
    let mut everything = 0;
    for _ in 0..rounds {
        let started = Instant::now();
        let r = catalog
            .search(&authority, &SearchQuery { limit: PAGE, ..SearchQuery::default() })
            .await
            .map_err(store_err)?;
        empty.push(ms(started.elapsed()));
        everything = r.total;
    }
    // A resource of another seed: not in the catalog, registered by one of its agencies.
    let mut candidate = generate::catalog_iter(1, seed.wrapping_add(1))
        .next()
        .and_then(|r| r.published.or(r.working.map(|(_, d)| d)))
        .ok_or("the generator made nothing")?;
    candidate.provider_org_id = *ids.get(&candidate.provider_org_id).ok_or("unknown generated provider")?;
    let mut overlap_ms = Vec::new();
    let mut overlapping = 0;
    for _ in 0..rounds {
        let started = Instant::now();
        let found = resources::overlaps(&catalog, &authority, &candidate).await.map_err(store_err)?;
        overlap_ms.push(ms(started.elapsed()));
        overlapping = found.len();
    }
    phases.push(Phase { label: "reopening and searching", memory: self_memory()? });
    drop(catalog);

    // Report.
    let index_ok = measured.iter().filter(|m| m.method.is_index()).all(|m| m.p95() < TARGET_SEARCH_P95_MS);
    let backend = store.backend().as_str();
    let searches = queries.len() * rounds as usize;
    let order = if interleave {
        "the methods interleaved query by query (`--interleave`)"
    } else {
        "each method in a block of its own"
    };
    println!(
        "### `pubdata bench search` on {backend}{}",
        if matches!(scratch, Scratch::Postgres { .. }) { " (--database-url)" } else { "" }
    );
    println!();
    println!(
        "Fresh database: {}; {server}. {} resources from `generate::catalog_iter({n}, {seed})` ({} published, {} \
         published with a revision under way, {} never published; {} data items, {:.1} per resource) from {} \
         agencies and towns/streets created with `orgs::create`, written into `catalog_resources` with multi-row \
         INSERTs. The index is built by `Catalog::open` on an empty directory (it reads the table and indexes every \
         resource). {} queries of 1-3 words from `generate::queries()`, {order}: one unreported warm-up pass, then \
         {rounds} round(s) ({searches} searches per method). The agency is {} (data officer); the \
         authority sees every draft. `LIKE` scans `search_text` (what `resources::like_search` scans): one word is \
         `like_search` itself, several are ANDed in one statement; \"every match\" fetches all ids (so it counts \
         hits, as the index's total does), \"first 20\" stops at 20.",
        scratch.describe(store.url()),
        grouped(n as u64),
        grouped(generated.published as u64),
        grouped(generated.revising as u64),
        grouped(generated.unpublished as u64),
        grouped(generated.items as u64),
        generated.items as f64 / generated.resources.max(1) as f64,
        ids.len() - 1,
        queries.len(),
        agency_name.unwrap_or_default(),
    );
    println!();
    println!(
        "| search | as | searches | p50 (ms) | p95 (ms) | max (ms) | hits per query: median | max | queries without hits | target | result |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|");
    for m in &measured {
        let sorted = m.sorted();
        let hits: Vec<f64> = m.per_query.iter().map(|(_, h)| *h as f64).collect();
        let (target, result) = if m.method.is_index() {
            (format!("p95 < {TARGET_SEARCH_P95_MS:.0} ms"), pass(m.p95() < TARGET_SEARCH_P95_MS).to_string())
        } else {
            ("–".to_string(), "–".to_string())
        };
        println!(
            "| {} | {} | {} | {:.2} | {:.2} | {:.2} | {} | {} | {} | {target} | {result} |",
            m.method.label(),
            m.method.who(),
            grouped(sorted.len() as u64),
            percentile(&sorted, 0.5),
            percentile(&sorted, 0.95),
            max(&sorted),
            grouped(median(&hits) as u64),
            grouped(max(&hits) as u64),
            m.per_query.iter().filter(|(_, h)| *h == 0).count(),
        );
    }
    let authority_p50 =
        measured.iter().find(|m| m.method == Method::IndexAuthority).map(|m| percentile(&m.sorted(), 0.5));
    if let Some(base) = authority_p50 {
        let ratios: Vec<String> = measured
            .iter()
            .filter(|m| !m.method.is_index())
            .map(|m| format!("{} {:.0}×", m.method.short(), percentile(&m.sorted(), 0.5) / base.max(1e-9)))
            .collect();
        println!();
        println!("Median latency relative to the index (as the authority): {}.", ratios.join(", "));
    }
    println!();
    println!("| measure | value |");
    println!("|---|---:|");
    println!(
        "| load: generate, serialise and INSERT {} resources (s) | {:.1} (generating and serialising {:.1}) |",
        grouped(n as u64),
        load.as_secs_f64(),
        preparing.as_secs_f64()
    );
    println!(
        "| database after loading ({}) (MB) | {:.0} |",
        match scratch {
            Scratch::Sqlite(_) => "SQLite file and WAL",
            Scratch::Postgres { .. } => "`pg_total_relation_size('catalog_resources')`",
        },
        megabytes(table_bytes)
    );
    println!(
        "| **index build**: `Catalog::open` on an empty directory (s) | **{:.1}** ({} resources/s) |",
        build.as_secs_f64(),
        grouped((n as f64 / build.as_secs_f64().max(1e-9)) as u64)
    );
    println!("| **index size on disk** (MB, {index_files} files) | **{:.0}** |", megabytes(index_bytes));
    println!("| reopening the built index: `Catalog::open` (ms) | {:.0} |", ms(reopen));
    println!(
        "| empty query as the authority: all {} resources, newest first, 20 + facets (ms, median of {rounds}) | {:.1} |",
        grouped(everything as u64),
        median(&empty)
    );
    println!(
        "| Art.9 overlap check `resources::overlaps` for a new resource of {} items ({overlapping} with matches) (ms, median of {rounds}) | {:.1} |",
        candidate.items.len(),
        median(&overlap_ms)
    );
    for p in &phases {
        println!(
            "| peak RSS while {}{} (MB) | {:.0} |",
            p.label,
            if peaks_reset { "" } else { " (since start: /proc/self/clear_refs refused)" },
            p.memory.hwm_mb
        );
    }
    let process_peak = phases.iter().map(|p| p.memory.hwm_mb).fold(0.0, f64::max);
    println!("| **peak RSS of the process**, VmHWM (MB) | **{process_peak:.0}** |");
    println!("| RSS at the end (MB) | {:.0} |", self_memory()?.rss_mb);
    println!();
    if per_query {
        println!(
            "| query | index, agency: median (ms) | hits | index, authority: median (ms) | hits | LIKE every match: median (ms) | hits | LIKE first 20: median (ms) |"
        );
        println!("|---|---:|---:|---:|---:|---:|---:|---:|");
        for (qi, q) in queries.iter().enumerate() {
            let cell = |mi: usize| measured[mi].per_query[qi];
            println!(
                "| {q} | {:.2} | {} | {:.2} | {} | {:.1} | {} | {:.1} |",
                cell(0).0,
                grouped(cell(0).1 as u64),
                cell(1).0,
                grouped(cell(1).1 as u64),
                cell(2).0,
                grouped(cell(2).1 as u64),
                cell(3).0
            );
        }
        println!();
    }
    Ok(if index_ok { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

// ---------------------------------------------------------------------------------------------
// catalog-import

/// `n` generated documents with exactly `items` data items each: the generator's own items cut
/// short, or completed with data items of other generated documents (never above the resource's
/// level, never repeating a code or a name). The description's item count is corrected. Every
/// document passes `problems()`.
fn import_documents(n: usize, items: usize, seed: u64) -> Result<Vec<ResourceDocument>, String> {
    let all: Vec<ResourceDocument> =
        generate::catalog_iter(n.max(500), seed).filter_map(|r| r.published.or(r.working.map(|(_, d)| d))).collect();
    let mut pool: Vec<DataItem> = Vec::new();
    for it in all.iter().flat_map(|d| d.items.iter()) {
        if !pool.iter().any(|p| p.code == it.code || p.name == it.name) {
            pool.push(DataItem { required: false, unique_key: false, ..it.clone() });
        }
    }
    let mut docs: Vec<ResourceDocument> = all.into_iter().take(n).collect();
    for (i, doc) in docs.iter_mut().enumerate() {
        let before = doc.items.len();
        doc.items.truncate(items);
        let start = i.wrapping_mul(7919) % pool.len().max(1);
        for k in 0..pool.len() {
            if doc.items.len() >= items {
                break;
            }
            let candidate = &pool[(start + k) % pool.len()];
            if candidate.level <= doc.level
                && !doc.items.iter().any(|x| x.code == candidate.code || x.name == candidate.name)
            {
                doc.items.push(candidate.clone());
            }
        }
        if doc.items.len() != items {
            return Err(format!("cannot give {} {items} data items: only {} fit", doc.name, doc.items.len()));
        }
        doc.description = doc.description.replace(&format!("等{before}个数据项"), &format!("等{items}个数据项"));
        let problems = doc.problems();
        if !problems.is_empty() {
            return Err(format!("generated resource {} ({}) is not valid: {problems:?}", i + 1, doc.name));
        }
    }
    if docs.len() != n {
        return Err(format!("the generator made {} resources, not {n}", docs.len()));
    }
    Ok(docs)
}

/// The cells of one sheet as text, rows from the first (as the catalog-io tests read them).
fn sheet_rows(
    workbook: &mut calamine::Xlsx<std::io::Cursor<Vec<u8>>>,
    sheet: &str,
) -> Result<Vec<Vec<String>>, String> {
    use calamine::{Data, Reader};
    let range = workbook.worksheet_range(sheet).map_err(|e| format!("sheet {sheet}: {e}"))?;
    let (r0, c0) = range.start().unwrap_or((0, 0));
    let mut out = vec![Vec::new(); r0 as usize];
    for row in range.rows() {
        let mut cells = vec![String::new(); c0 as usize];
        cells.extend(row.iter().map(|d| match d {
            Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
            d => d.to_string(),
        }));
        out.push(cells);
    }
    Ok(out)
}

/// The same catalog in the flat CSV layout (one line per data item, the resource's columns
/// repeated), from the exported workbook's cells.
fn csv_from_xlsx(xlsx: &[u8]) -> Result<Vec<u8>, String> {
    let mut workbook: calamine::Xlsx<_> =
        calamine::Reader::new(std::io::Cursor::new(xlsx.to_vec())).map_err(|e| format!("{e}"))?;
    let resource_rows = sheet_rows(&mut workbook, pubdata_catalog_io::layout::RESOURCE_SHEET)?;
    let item_rows = sheet_rows(&mut workbook, pubdata_catalog_io::layout::ITEM_SHEET)?;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(csv_columns().iter().map(|c| c.zh)).map_err(|e| e.to_string())?;
    // Row 1 holds the Chinese headers, row 2 the English field names; resource 序号 k is on row k + 2.
    for it in item_rows.iter().skip(2) {
        let key: usize = it.first().and_then(|k| k.parse().ok()).ok_or("an item without 资源序号")?;
        let resource = resource_rows.get(key + 1).ok_or_else(|| format!("no resource {key}"))?;
        let cell = |row: &Vec<String>, c: usize| row.get(c).cloned().unwrap_or_default();
        let mut record: Vec<String> = (0..RESOURCE_COLUMNS.len()).map(|c| cell(resource, c)).collect();
        record.extend((1..ITEM_COLUMNS.len()).map(|c| cell(it, c)));
        w.write_record(&record).map_err(|e| e.to_string())?;
    }
    w.into_inner().map_err(|e| e.to_string())
}

/// What a child process reports on its one line of standard output.
#[derive(serde::Serialize, serde::Deserialize)]
struct ChildReport {
    /// The parse, or the whole `import_file` call.
    millis: f64,
    /// Resources parsed without problems, or created.
    resources: usize,
    refused: usize,
    problems: usize,
    /// Resources in `catalog_resources` afterwards (imports only).
    stored: Option<i64>,
    /// `error_report_xlsx` for the parsed file, after the measured parse (parses only).
    report_millis: Option<f64>,
    /// Before the measured step: after start-up, reading the file and (imports) connecting and
    /// opening the catalog.
    rss_before_mb: f64,
    hwm_before_mb: f64,
    /// The process's peak after the measured step.
    hwm_after_mb: f64,
}

struct ChildArgs {
    file: PathBuf,
    csv: bool,
    parse_only: bool,
    sqlite: Option<PathBuf>,
    database_url: Option<String>,
    schema: Option<String>,
    index_dir: Option<PathBuf>,
}

async fn import_child(a: ChildArgs) -> Result<ExitCode, String> {
    let bytes = std::fs::read(&a.file).map_err(|e| format!("cannot read {}: {e}", a.file.display()))?;
    let report = if a.parse_only {
        let orgs = OrgDirectory::new(generate::agencies());
        let before = self_memory()?;
        let started = Instant::now();
        let parsed = if a.csv {
            pubdata_catalog_io::parse_csv(&bytes, None, &orgs)
        } else {
            pubdata_catalog_io::parse_xlsx(&bytes, &orgs)
        }
        .map_err(|p| p.describe())?;
        let millis = ms(started.elapsed());
        let after = self_memory()?;
        let started = Instant::now();
        pubdata_catalog_io::error_report_xlsx(&parsed, None, &bytes).map_err(|e| e.to_string())?;
        let report_millis = Some(ms(started.elapsed()));
        ChildReport {
            millis,
            resources: parsed.iter().filter(|p| p.is_ok()).count(),
            refused: parsed.iter().filter(|p| !p.is_ok()).count(),
            problems: parsed.iter().map(|p| p.problems.len()).sum(),
            stored: None,
            report_millis,
            rss_before_mb: before.rss_mb,
            hwm_before_mb: before.hwm_mb,
            hwm_after_mb: after.hwm_mb,
        }
    } else {
        let options = match (a.sqlite, a.database_url) {
            (Some(path), None) => StoreOptions::sqlite_file(&path),
            (None, Some(url)) => {
                let mut options = StoreOptions::new(url);
                options.schema = a.schema;
                options
            }
            _ => return Err("import-child: give --sqlite FILE or --database-url URL".to_string()),
        };
        let store = Store::connect(&options).await.map_err(store_err)?;
        let catalog = Catalog::open(store.clone(), a.index_dir.as_deref()).await.map_err(store_err)?;
        let format = if a.csv { ImportFormat::Csv { encoding: None } } else { ImportFormat::Xlsx };
        let name = a.file.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let caller = Caller::system("bench");
        let before = self_memory()?;
        let started = Instant::now();
        let outcome = exchange::import_file(&catalog, &caller, &name, bytes, format, ImportMode::AllOrNothing).await;
        let millis = ms(started.elapsed());
        let after = self_memory()?;
        let (stored,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM catalog_resources")
            .fetch_one(store.reader())
            .await
            .map_err(|e| e.to_string())?;
        drop(catalog);
        store.close().await;
        let outcome = outcome.map_err(store_err)?;
        ChildReport {
            millis,
            resources: outcome.created.len(),
            refused: outcome.refused,
            problems: outcome.problems.len() + usize::from(outcome.file_problem.is_some()),
            stored: Some(stored),
            report_millis: None,
            rss_before_mb: before.rss_mb,
            hwm_before_mb: before.hwm_mb,
            hwm_after_mb: after.hwm_mb,
        }
    };
    println!("{}", serde_json::to_string(&report).map_err(|e| e.to_string())?);
    Ok(ExitCode::SUCCESS)
}

/// Runs `pubdata bench import-child ARGS` and reads its report.
async fn run_child(exe: &Path, cwd: &Path, args: &[std::ffi::OsString]) -> Result<ChildReport, String> {
    let mut cmd = child(exe, cwd);
    cmd.arg("bench").arg("import-child").args(args).stdout(Stdio::piped()).stderr(Stdio::inherit());
    let output =
        tokio::process::Command::from(cmd).output().await.map_err(|e| format!("cannot run import-child: {e}"))?;
    if !output.status.success() {
        return Err(format!("import-child failed: {}", output.status));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(line).map_err(|e| format!("import-child answered {line:?}: {e}"))
}

/// A fresh database with the generator's organisations, ready for a child to import into.
/// Returns the arguments that name it.
async fn prepare_import_database(scratch: &Scratch, options: &StoreOptions) -> Result<Vec<std::ffi::OsString>, String> {
    let store = Store::connect(options)
        .await
        .map_err(|e| format!("cannot connect to {}: {e}", pubdata_store::redact_url(&options.url)))?;
    let prepared = async {
        bootstrap::ensure_initialized(&store, "基准测试", false).await.map_err(store_err)?;
        create_generator_orgs(&store).await
    }
    .await;
    store.close().await;
    prepared?;
    Ok(match scratch {
        Scratch::Sqlite(dir) => vec!["--sqlite".into(), dir.path().join("pubdata.db").into_os_string()],
        Scratch::Postgres { url, schema } => {
            vec!["--database-url".into(), url.into(), "--schema".into(), schema.into()]
        }
    })
}

struct FileUnderTest {
    format: &'static str,
    path: PathBuf,
    bytes: usize,
    csv: bool,
    parses: Vec<ChildReport>,
    imports: Vec<ChildReport>,
}

async fn catalog_import(
    database_url: Option<String>,
    n: usize,
    items: usize,
    runs: u32,
    seed: u64,
) -> Result<ExitCode, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find the current executable: {e}"))?;
    let work = TempDir::new("pubdata-bench-import")?;
    eprintln!("bench catalog-import: {n} resources × {items} items, {runs} run(s)");

    let started = Instant::now();
    let docs = import_documents(n, items, seed)?;
    let generating = started.elapsed();
    let orgs = OrgDirectory::new(generate::agencies());
    let rows: Vec<ExportRow> = docs
        .into_iter()
        .enumerate()
        .map(|(i, document)| ExportRow {
            id: i as i64 + 1,
            state: ReviewState::Published.label_zh().to_string(),
            version: 1,
            document,
        })
        .collect();
    let started = Instant::now();
    let xlsx = pubdata_catalog_io::export_xlsx(&rows, &orgs).map_err(|e| e.to_string())?;
    let exporting = started.elapsed();
    drop(rows);
    let csv = csv_from_xlsx(&xlsx)?;
    let mut files = Vec::new();
    for (format, bytes, is_csv) in [("xlsx", xlsx, false), ("csv", csv, true)] {
        let path = work.path().join(format!("catalog-{n}x{items}.{format}"));
        std::fs::write(&path, &bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        files.push(FileUnderTest {
            format,
            path,
            bytes: bytes.len(),
            csv: is_csv,
            parses: Vec::new(),
            imports: Vec::new(),
        });
    }

    let mut backend = String::new();
    let mut where_ = String::new();
    for run in 1..=runs {
        for f in &mut files {
            let mut args: Vec<std::ffi::OsString> = vec!["--file".into(), f.path.clone().into_os_string()];
            if f.csv {
                args.push("--csv".into());
            }
            let mut parse_args = args.clone();
            parse_args.push("--parse-only".into());
            let parse = run_child(&exe, work.path(), &parse_args).await?;
            if parse.resources != n || parse.problems != 0 {
                return Err(format!(
                    "parsing the {} file found {} good resources and {} problems, expected {n} and 0",
                    f.format, parse.resources, parse.problems
                ));
            }

            let (scratch, options) = Scratch::new("pubdata-bench-import-db", database_url.as_deref())?;
            let imported = async {
                let mut import_args = args.clone();
                import_args.extend(prepare_import_database(&scratch, &options).await?);
                import_args.push("--index-dir".into());
                import_args.push(work.path().join(format!("index-{}-{run}", f.format)).into_os_string());
                run_child(&exe, work.path(), &import_args).await
            }
            .await;
            if run == 1 {
                backend = options.backend().map_err(store_err)?.as_str().to_string();
                where_ = match &scratch {
                    Scratch::Sqlite(_) => "a temporary SQLite file (WAL, synchronous=FULL)".to_string(),
                    Scratch::Postgres { .. } => {
                        format!(
                            "{} (a fresh schema `bench_…` per import, dropped afterwards)",
                            pubdata_store::redact_url(&options.url)
                        )
                    }
                };
            }
            scratch.discard().await;
            let import = imported?;
            eprintln!(
                "  run {run} {}: parse {:.0} ms, import {:.0} ms ({} created), peak {:.0} MB",
                f.format, parse.millis, import.millis, import.resources, import.hwm_after_mb
            );
            if import.resources != n || import.stored != Some(n as i64) {
                return Err(format!(
                    "importing the {} file created {} resources ({:?} stored), expected {n}",
                    f.format, import.resources, import.stored
                ));
            }
            f.parses.push(parse);
            f.imports.push(import);
        }
    }

    println!(
        "### `pubdata bench catalog-import` on {backend}{}",
        if database_url.is_some() { " (--database-url)" } else { "" }
    );
    println!();
    println!(
        "{} resources × {items} data items from `generate::catalog_iter({n}, {seed})` (items cut or completed, every \
         document valid), {} agencies; generated in {:.2} s, written by `pubdata_catalog_io::export_xlsx` in {:.2} s; \
         the CSV file is the same catalog in the flat layout. Each step runs in a child process of this executable \
         (`pubdata bench import-child`), {runs} time(s) per file, so that its peak RSS (VmHWM) is its own; \"before\" \
         is the child's peak before the step (start-up, the file read, and for imports the connection and an empty \
         catalog). Imports go into {where_} bootstrapped with the generator's organisations: `exchange::import_file` \
         as the system caller, all or nothing — parse, validate, insert every resource with its audit entry in one \
         transaction, then index them. MB = 10^6 bytes.",
        grouped(n as u64),
        orgs.len(),
        generating.as_secs_f64(),
        exporting.as_secs_f64(),
    );
    println!();
    println!(
        "| step | file | runs | time median (ms) | min | max | per resource (ms) | resources | peak RSS, VmHWM (MB) | before the step (MB) |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for f in &files {
        let size = format!("{} {:.2} MB", f.format, megabytes(f.bytes as u64));
        for (label, reports, what) in [
            (format!("baseline: `parse_{}` alone (no database)", f.format), &f.parses, "parsed, no problems"),
            ("`exchange::import_file`, all or nothing".to_string(), &f.imports, "created"),
        ] {
            let t: Vec<f64> = reports.iter().map(|r| r.millis).collect();
            let hwm: Vec<f64> = reports.iter().map(|r| r.hwm_after_mb).collect();
            let before: Vec<f64> = reports.iter().map(|r| r.hwm_before_mb).collect();
            println!(
                "| {label} | {size} | {} | {:.0} | {:.0} | {:.0} | {:.2} | {} {what} | {:.0} | {:.0} |",
                reports.len(),
                median(&t),
                min(&t),
                max(&t),
                median(&t) / n as f64,
                grouped(reports.first().map_or(0, |r| r.resources) as u64),
                median(&hwm),
                median(&before),
            );
        }
    }
    println!();
    let ratios: Vec<String> = files
        .iter()
        .map(|f| {
            let parse = median(&f.parses.iter().map(|r| r.millis).collect::<Vec<_>>());
            let import = median(&f.imports.iter().map(|r| r.millis).collect::<Vec<_>>());
            format!("{} {:.1}×", f.format, import / parse.max(1e-9))
        })
        .collect();
    println!("Import time relative to parsing alone: {}.", ratios.join(", "));
    let reports: Vec<String> = files
        .iter()
        .map(|f| {
            let t: Vec<f64> = f.parses.iter().filter_map(|r| r.report_millis).collect();
            format!("{} {:.0} ms", f.format, median(&t))
        })
        .collect();
    println!(
        "Writing an error report for the whole file (`error_report_xlsx`, what an import with problems adds; median): {}.",
        reports.join(", ")
    );
    println!();
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(46_503), "46,503");
        assert_eq!(grouped(1_234_567), "1,234,567");
    }

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.5), 10.0);
        assert_eq!(percentile(&v, 0.95), 19.0);
        assert_eq!(percentile(&v, 1.0), 20.0);
        assert_eq!(percentile(&[7.0], 0.95), 7.0);
        assert!(percentile(&[], 0.5).is_nan());
    }

    #[test]
    fn import_documents_have_the_requested_items_and_are_valid() {
        for items in [1, 10, 16] {
            let docs = import_documents(40, items, 1).unwrap();
            assert_eq!(docs.len(), 40);
            for d in &docs {
                assert_eq!(d.items.len(), items, "{}", d.name);
                assert!(d.problems().is_empty(), "{}: {:?}", d.name, d.problems());
                assert!(d.items[0].unique_key);
            }
        }
    }

    #[test]
    fn the_csv_copy_parses_like_the_workbook() {
        let docs = import_documents(5, 10, 1).unwrap();
        let orgs = OrgDirectory::new(generate::agencies());
        let rows: Vec<ExportRow> = docs
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, document)| ExportRow { id: i as i64 + 1, state: "已发布".into(), version: 1, document })
            .collect();
        let xlsx = pubdata_catalog_io::export_xlsx(&rows, &orgs).unwrap();
        let csv = csv_from_xlsx(&xlsx).unwrap();
        let from_xlsx = pubdata_catalog_io::parse_xlsx(&xlsx, &orgs).unwrap();
        let from_csv = pubdata_catalog_io::parse_csv(&csv, None, &orgs).unwrap();
        let documents = |p: &[pubdata_catalog_io::ParsedResource]| -> Vec<ResourceDocument> {
            p.iter().map(|r| r.document.clone().unwrap()).collect()
        };
        assert_eq!(documents(&from_xlsx), documents(&from_csv));
        assert_eq!(documents(&from_xlsx).len(), 5);
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(&[]).is_nan());
    }
}
