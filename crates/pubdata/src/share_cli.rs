//! `pubdata share …`: sharing (Ch.4, Art.13-16) at the command line: the share requests and
//! grants, and a bulk export of a grant written straight to a file (as the system, on behalf of
//! the grant's consumer agency, audited as the data access it is).

use crate::commands::{connect_existing, describe};
use crate::config::Config;
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use pubdata_domain::identity::Caller;
use pubdata_domain::sharing::RequestState;
use pubdata_domain::sharing_export::ExportFormat;
use pubdata_store::Store;
use pubdata_store::sharing::{self, GrantList, GrantView, RequestFilter, RequestList, ShareRequestView};
use pubdata_store::sharing_export::{self, Progress};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Subcommand)]
pub enum ShareCommand {
    /// List share requests, newest first: resource, consumer, scenario, state.
    Requests {
        /// Only requests in this state: pending_review, granted or refused.
        #[arg(long)]
        state: Option<String>,
        #[command(flatten)]
        db: crate::DbArgs,
    },
    /// List grants, newest first, each in its effective state.
    Grants {
        #[command(flatten)]
        db: crate::DbArgs,
    },
    /// Export a bulk grant's items and row scope to FILE (CSV with BOM, XLSX or JSON Lines), as
    /// the gateway would deliver them; prints rows, bytes, SHA-256 and the time taken.
    Export {
        /// The grant (its delivery must be bulk).
        #[arg(long)]
        grant: i64,
        /// csv, xlsx or jsonl.
        #[arg(long)]
        format: String,
        /// The file to write (must not exist).
        #[arg(long, value_name = "FILE")]
        output: PathBuf,
        /// A filter in the gateway query's syntax: `item=value`, `item.gte=value`,
        /// `item.lte=value`, `item.in=a,b` (repeatable; granted items only).
        #[arg(long = "filter", value_name = "ITEM=VALUE")]
        filters: Vec<String>,
        #[command(flatten)]
        db: crate::DbArgs,
    },
}

impl ShareCommand {
    pub fn db(&self) -> &crate::DbArgs {
        match self {
            ShareCommand::Requests { db, .. } | ShareCommand::Grants { db } | ShareCommand::Export { db, .. } => db,
        }
    }
}

pub async fn run(config: &Config, command: ShareCommand) -> Result<ExitCode, String> {
    let store = connect_existing(config).await?;
    let result = dispatch(&store, command).await;
    store.close().await;
    result
}

async fn dispatch(store: &Store, command: ShareCommand) -> Result<ExitCode, String> {
    let caller = Caller::system("cli");
    match command {
        ShareCommand::Requests { state, .. } => {
            let state = state
                .map(|s| {
                    RequestState::parse(&s)
                        .ok_or_else(|| format!("--state 应为 / is pending_review, granted or refused, not {s:?}"))
                })
                .transpose()?;
            let filter = RequestFilter { state, overdue_only: false };
            let list =
                sharing::list_requests(store, &caller, RequestList::All, filter).await.map_err(|e| describe(&e))?;
            if list.is_empty() {
                println!("没有共享申请 / no share requests");
            }
            for r in &list {
                println!("{}", request_line(r));
            }
            Ok(ExitCode::SUCCESS)
        }
        ShareCommand::Grants { .. } => {
            let list = sharing::list_grants(store, &caller, GrantList::All, None).await.map_err(|e| describe(&e))?;
            if list.is_empty() {
                println!("没有授权 / no grants");
            }
            for g in &list {
                println!("{}", grant_line(g));
            }
            Ok(ExitCode::SUCCESS)
        }
        ShareCommand::Export { grant, format, output, filters, .. } => {
            export(store, &caller, grant, &format, &output, &filters).await
        }
    }
}

/// One request, tab-separated: id, state, resource, consumer agency, delivery, scenario.
fn request_line(r: &ShareRequestView) -> String {
    format!(
        "{}\t{}\t#{} {}\tconsumer org {}\t{}\t{}{}",
        r.id,
        r.state.as_str(),
        r.resource_id,
        r.resource_name,
        r.consumer_org_id,
        r.delivery,
        r.scenario,
        r.grant_id.map(|g| format!("\tgrant #{g}")).unwrap_or_default()
    )
}

/// One grant, tab-separated: id, state, resource, consumer agency, delivery, end date, items.
fn grant_line(g: &GrantView) -> String {
    format!(
        "{}\t{}\t#{} {}\tconsumer org {}\t{}\tuntil {}\t{}\t{}",
        g.id,
        g.state.as_str(),
        g.resource_id,
        g.resource_name,
        g.consumer_org_id,
        g.delivery.as_str(),
        g.end_date,
        g.items.join(","),
        g.scenario
    )
}

fn parse_filters(filters: &[String]) -> Result<Vec<(String, String)>, String> {
    filters
        .iter()
        .map(|f| {
            f.split_once('=').map(|(n, v)| (n.trim().to_string(), v.to_string())).ok_or_else(|| {
                format!("--filter 应为 item=value 形式 / --filter takes item=value (or item.gte=, item.lte=, item.in=), not {f:?}")
            })
        })
        .collect()
}

/// A spinner with the rows written so far, when stdout is a terminal.
fn progress_bar() -> Option<(ProgressBar, Progress)> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} {elapsed}").unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message("导出 / exporting");
    bar.enable_steady_tick(Duration::from_millis(200));
    let shown = bar.clone();
    let progress: Progress = Arc::new(move |rows| shown.set_message(format!("导出 / exporting: {rows} rows")));
    Some((bar, progress))
}

async fn export(
    store: &Store,
    caller: &Caller,
    grant: i64,
    format: &str,
    output: &Path,
    filters: &[String],
) -> Result<ExitCode, String> {
    let format =
        ExportFormat::parse(format).ok_or_else(|| format!("--format 应为 / is csv, xlsx or jsonl, not {format:?}"))?;
    let params = parse_filters(filters)?;
    if output.exists() {
        return Err(format!("输出文件已存在 / the output file exists: {}", output.display()));
    }
    let started = Instant::now();
    let bar = progress_bar();
    let progress = bar.as_ref().map(|(_, p)| p.clone());
    let written = sharing_export::export_to_file(store, caller, grant, format, &params, output, progress).await;
    if let Some((bar, _)) = bar {
        bar.finish_and_clear();
    }
    match written.map_err(|e| describe(&e))? {
        Ok(w) => {
            let seconds = started.elapsed().as_secs_f64();
            println!("已导出 / exported grant #{grant} to {}", output.display());
            println!("  rows: {}", w.rows);
            println!("  bytes: {}", w.bytes);
            println!("  sha256: {}", w.sha256);
            println!("  time: {seconds:.2} s ({:.0} rows/s)", w.rows as f64 / seconds.max(1e-9));
            Ok(ExitCode::SUCCESS)
        }
        Err(reason) => {
            eprintln!("导出未完成 / export refused or failed: {}", reason.both());
            Ok(ExitCode::from(1))
        }
    }
}
