//! `pubdata aggregate …`: delivering a resource's data at the command line, with progress, and
//! reading batch history and error reports.

use crate::commands::{connect_existing, describe};
use crate::config::Config;
use clap::{Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use pubdata_domain::aggregation::{Channel, Mode, OnError};
use pubdata_domain::identity::Caller;
use pubdata_ingest::{EncodingChoice, Format, ReadOptions};
use pubdata_store::Store;
use pubdata_store::aggregation::{self, DeliveryRequest};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[derive(Subcommand)]
pub enum AggregateCommand {
    /// Deliver a file of rows for a published resource (CSV in UTF-8/GBK/GB18030, XLSX, JSON Lines).
    Upload {
        /// The resource's id in the catalog.
        resource: i64,
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = CliMode::Append)]
        mode: CliMode,
        /// reject: a batch with any bad row is refused whole; skip: the good rows are stored.
        #[arg(long, value_enum, default_value_t = CliOnError::Reject)]
        on_error: CliOnError,
        /// csv, xlsx or jsonl [default: from the file name].
        #[arg(long)]
        format: Option<String>,
        /// For CSV: auto, utf-8, gbk or gb18030.
        #[arg(long, default_value = "auto")]
        encoding: String,
        /// For XLSX: the sheet to read [default: the first].
        #[arg(long)]
        sheet: Option<String>,
        /// The system the data comes from (provenance).
        #[arg(long, default_value = "")]
        source_system: String,
        /// Where to write the error report if rows were refused [default: FILE.errors.csv].
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
        /// Seconds without progress after which another instance may declare this delivery dead.
        #[arg(long, default_value_t = 60, hide = true)]
        lease_seconds: u64,
        #[command(flatten)]
        db: crate::DbArgs,
    },
    /// List a resource's batches (newest first) with their provenance, and its current rows.
    Batches {
        resource: i64,
        #[command(flatten)]
        db: crate::DbArgs,
    },
    /// Write a batch's error report (csv or xlsx by the file name).
    Errors {
        batch: i64,
        #[arg(long, value_name = "FILE")]
        output: PathBuf,
        #[command(flatten)]
        db: crate::DbArgs,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum CliMode {
    Append,
    Replace,
    Upsert,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum CliOnError {
    Reject,
    Skip,
}

impl AggregateCommand {
    pub fn db(&self) -> &crate::DbArgs {
        match self {
            AggregateCommand::Upload { db, .. }
            | AggregateCommand::Batches { db, .. }
            | AggregateCommand::Errors { db, .. } => db,
        }
    }
}

pub async fn run(config: &Config, command: AggregateCommand) -> Result<ExitCode, String> {
    let store = connect_existing(config).await?;
    let caller = Caller::system("cli");
    // Batches whose loader died (a killed upload) are failed before anything is shown.
    let recovered = aggregation::recover(&store).await.map_err(|e| describe(&e))?;
    if recovered > 0 {
        eprintln!("{recovered} 个中断的批次已标记为失败 / interrupted batch(es) marked failed");
    }
    let result = dispatch(&store, &caller, command).await;
    store.close().await;
    result
}

async fn dispatch(store: &Store, caller: &Caller, command: AggregateCommand) -> Result<ExitCode, String> {
    match command {
        AggregateCommand::Upload {
            resource,
            file,
            mode,
            on_error,
            format,
            encoding,
            sheet,
            source_system,
            report,
            lease_seconds,
            ..
        } => {
            let name = file.file_name().map_or_else(|| "upload".to_string(), |n| n.to_string_lossy().to_string());
            let format = match format {
                Some(f) => Format::parse(&f).ok_or_else(|| format!("--format is csv, xlsx or jsonl, not {f:?}"))?,
                None => Format::from_file_name(&name)
                    .ok_or_else(|| format!("cannot tell the format of {name}: give --format csv|xlsx|jsonl"))?,
            };
            let encoding = EncodingChoice::parse(&encoding)
                .ok_or_else(|| format!("--encoding is auto, utf-8, gbk or gb18030, not {encoding:?}"))?;
            let input = std::fs::File::open(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let size = input.metadata().map(|m| m.len()).unwrap_or(0);
            let bar = ProgressBar::new(size);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} {msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.set_message(format!("归集 / delivering {name}"));
            bar.enable_steady_tick(Duration::from_millis(200));
            let progress_bar = bar.clone();
            let progress: aggregation::Progress = Arc::new(move |bytes, rows| {
                progress_bar.set_position(bytes);
                progress_bar.set_message(format!("归集 / delivering {rows} rows"));
            });
            let req = DeliveryRequest {
                resource_id: resource,
                mode: match mode {
                    CliMode::Append => Mode::Append,
                    CliMode::Replace => Mode::Replace,
                    CliMode::Upsert => Mode::Upsert,
                },
                on_error: match on_error {
                    CliOnError::Reject => OnError::RejectBatch,
                    CliOnError::Skip => OnError::SkipRows,
                },
                channel: Channel::Cli,
                source_system,
                file_name: name.clone(),
                read: ReadOptions { sheet, ..ReadOptions::new(format).with_encoding(encoding) },
                lease: Duration::from_secs(lease_seconds.max(1)),
            };
            let batch =
                aggregation::deliver(store, caller, req, input, Some(progress)).await.map_err(|e| describe(&e))?;
            bar.finish_and_clear();
            println!(
                "批次 / batch {}: {} — 读取 read {}, 入库 stored {}, 拒收 rejected {}, 替换 retired {}",
                batch.id,
                batch.state().label_zh(),
                batch.rows_read,
                batch.rows_stored,
                batch.rows_rejected,
                batch.rows_retired
            );
            println!("SM3 {}  SHA-256 {}", batch.sm3.as_deref().unwrap_or("-"), batch.sha256.as_deref().unwrap_or("-"));
            for d in batch.detections().iter().filter(|d| d.kind.is_some()) {
                println!(
                    "  {} → {} ({:.0}%){}",
                    d.column,
                    d.kind_zh.as_deref().unwrap_or(""),
                    d.confidence * 100.0,
                    if d.flagged {
                        format!(
                            "  ⚠ 声明级别 {} 低于建议 {} / declared level below proposed",
                            d.declared_level,
                            d.proposed_level.as_deref().unwrap_or("")
                        )
                    } else {
                        String::new()
                    }
                );
            }
            let errors = aggregation::errors(store, caller, batch.id).await.map_err(|e| describe(&e))?;
            if let Some(f) = batch.failure_text() {
                eprintln!("拒收原因 / refused: {}", f.both());
            }
            if !errors.is_empty() {
                for e in errors.iter().take(10) {
                    eprintln!(
                        "  第 {} 行 row, {}: {} / {}",
                        e.source_row.map(|r| r.to_string()).unwrap_or_else(|| "-".into()),
                        e.column,
                        e.reason.zh,
                        e.reason.en
                    );
                }
                let path = report.unwrap_or_else(|| {
                    let mut p = file.clone().into_os_string();
                    p.push(".errors.csv");
                    PathBuf::from(p)
                });
                write_report(&path, &errors)?;
                eprintln!("错误报告 / error report: {}", path.display());
            }
            Ok(if batch.state() == pubdata_domain::aggregation::BatchState::Stored {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        AggregateCommand::Batches { resource, .. } => {
            let list = aggregation::batches(store, caller, resource).await.map_err(|e| describe(&e))?;
            let status = aggregation::status(store, caller, resource).await.map_err(|e| describe(&e))?;
            println!(
                "资源 / resource {resource}: 当前 {} 行 / {} current rows; 下次应更新 / next due: {}{}",
                status.rows,
                status.rows,
                status.next_due.as_deref().unwrap_or("-"),
                if status.overdue { " (逾期 overdue)" } else { "" }
            );
            for b in list {
                println!(
                    "{}\t{}\t{}\t{}\t{}\tread {}\tstored {}\trejected {}\t{}\t{}",
                    b.id,
                    b.state,
                    b.mode,
                    b.channel,
                    b.file_name,
                    b.rows_read,
                    b.rows_stored,
                    b.rows_rejected,
                    b.created_by,
                    b.created_at
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        AggregateCommand::Errors { batch, output, .. } => {
            let errors = aggregation::errors(store, caller, batch).await.map_err(|e| describe(&e))?;
            write_report(&output, &errors)?;
            println!("{} 条错误 / errors written to {}", errors.len(), output.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn write_report(path: &std::path::Path, errors: &[aggregation::BatchError]) -> Result<(), String> {
    let bytes = if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("xlsx")) {
        aggregation::errors_xlsx(errors).map_err(|e| describe(&e))?
    } else {
        aggregation::errors_csv(errors)
    };
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
