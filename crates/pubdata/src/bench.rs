//! `pubdata bench`: performance measurements reported in BENCHMARKS.md.
//!
//! - `startup`: how long `pubdata serve` takes, on a fresh and on an existing SQLite data
//!   directory, until `GET /healthz` answers 200, and how much memory it holds when idle.
//! - `audit`: how many audit entries a second the SM3 chain takes, through each write path,
//!   against the cost of a plain durable INSERT; the chain is verified after every scenario.
//!
//! Both print Markdown tables. Exit status: 0 when every target is met and every chain verifies,
//! 1 when not, 2 on an error.

use clap::Subcommand;
use pubdata_domain::audit::{AuditRecord, events};
use pubdata_domain::identity::{Caller, Permission};
use pubdata_store::{Backend, ChainCheck, Store, StoreOptions, audit_trail, bootstrap};
use sqlx::{AssertSqlSafe, Connection, Executor};
use std::hash::{BuildHasher, Hasher};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

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
}

pub async fn run(command: BenchCommand) -> Result<ExitCode, String> {
    match command {
        BenchCommand::Startup { runs } => startup(runs).await,
        BenchCommand::Audit { database_url, entries, group_entries, writers } => {
            audit(database_url, entries, group_entries.unwrap_or(entries.saturating_mul(10)), writers).await
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
    let (scratch, mut options) = match database_url {
        None => {
            let dir = TempDir::new("pubdata-bench-audit")?;
            let options = StoreOptions::sqlite_file(&dir.path().join("pubdata.db"));
            (Scratch::Sqlite(dir), options)
        }
        Some(url) => {
            let schema = format!("bench_{}", random_suffix());
            let mut options = StoreOptions::new(url.clone());
            options.schema = Some(schema.clone());
            (Scratch::Postgres { url, schema }, options)
        }
    };
    // Enough PostgreSQL connections for every concurrent per-transaction writer.
    options.max_connections = options.max_connections.max(writers.min(64));
    let result = audit_on(&options, entries, group_entries, writers).await;
    match scratch {
        Scratch::Sqlite(dir) => drop(dir),
        Scratch::Postgres { url, schema } => {
            if let Err(e) = drop_schema(&url, &schema).await {
                eprintln!("warning: could not drop schema {schema}: {e}");
            }
        }
    }
    result
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

#[cfg(test)]
mod tests {
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
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(&[]).is_nan());
    }
}
