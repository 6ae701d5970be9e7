//! `pubdata catalog …`: the catalog's import and export at the command line, with progress.

use crate::commands::{connect_existing, describe};
use crate::config::Config;
use clap::{Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use pubdata_domain::identity::Caller;
use pubdata_store::catalog::exchange::{self, ExportScope, ImportFormat, ImportMode};
use pubdata_store::catalog::{Catalog, CatalogArchive};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

#[derive(Subcommand)]
pub enum CatalogCommand {
    /// Import a filled Excel template or flat CSV as draft resources.
    Import {
        file: PathBuf,
        /// `xlsx` or `csv` [default: from the file name].
        #[arg(long)]
        format: Option<String>,
        /// For CSV: utf-8, gbk or gb18030 [default: detected].
        #[arg(long)]
        encoding: Option<String>,
        /// all-or-nothing: nothing is imported if any resource has a problem; per-resource:
        /// resources without problems are imported.
        #[arg(long, value_enum, default_value_t = Mode::AllOrNothing)]
        mode: Mode,
        /// Where to write the error report when there are problems [default: FILE.errors.xlsx].
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
        #[command(flatten)]
        db: crate::DbArgs,
    },
    /// Export a catalog: xlsx (the template layout), json (the whole catalog, exact archive),
    /// or dcat (JSON-LD of the published catalog).
    Export {
        #[arg(long, value_enum, default_value_t = Format::Xlsx)]
        format: Format,
        /// For xlsx: `district` (published catalog) or an organisation id.
        #[arg(long, default_value = "district")]
        scope: String,
        /// For dcat: the platform's public address, used in resource URIs.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        base_url: String,
        #[arg(long, value_name = "FILE")]
        output: PathBuf,
        #[command(flatten)]
        db: crate::DbArgs,
    },
    /// Restore a JSON archive (from `catalog export --format json`) into an empty catalog.
    Restore {
        file: PathBuf,
        #[command(flatten)]
        db: crate::DbArgs,
    },
    /// Write the Excel template to fill in.
    Template {
        #[arg(long, value_name = "FILE")]
        output: PathBuf,
        #[command(flatten)]
        db: crate::DbArgs,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Mode {
    AllOrNothing,
    PerResource,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Xlsx,
    Json,
    Dcat,
}

impl CatalogCommand {
    pub fn db(&self) -> &crate::DbArgs {
        match self {
            CatalogCommand::Import { db, .. }
            | CatalogCommand::Export { db, .. }
            | CatalogCommand::Restore { db, .. }
            | CatalogCommand::Template { db, .. } => db,
        }
    }
}

fn spinner(message: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} {elapsed}").unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(message.to_string());
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

async fn open(config: &Config) -> Result<Catalog, String> {
    let store = connect_existing(config).await?;
    // The command line searches nothing: an in-memory index suffices, and the serving
    // instance's index (which it may hold locked) stays untouched.
    Catalog::open(store, None).await.map_err(|e| describe(&e))
}

pub async fn run(config: &Config, command: CatalogCommand) -> Result<ExitCode, String> {
    let caller = Caller::system("cli");
    let catalog = open(config).await?;
    let result = dispatch(&catalog, &caller, command).await;
    catalog.store().close().await;
    result
}

async fn dispatch(catalog: &Catalog, caller: &Caller, command: CatalogCommand) -> Result<ExitCode, String> {
    match command {
        CatalogCommand::Import { file, format, encoding, mode, report, .. } => {
            import(catalog, caller, &file, format, encoding, mode, report).await
        }
        CatalogCommand::Export { format, scope, base_url, output, .. } => {
            let bar = spinner("导出 / exporting");
            let bytes = match format {
                Format::Xlsx => {
                    let scope = match scope.as_str() {
                        "district" => ExportScope::District,
                        s => ExportScope::Organisation(
                            s.parse().map_err(|_| format!("--scope is district or an organisation id, not {s:?}"))?,
                        ),
                    };
                    exchange::export_xlsx(catalog, caller, scope).await.map_err(|e| describe(&e))?
                }
                Format::Json => {
                    let archive = exchange::export_archive(catalog, caller).await.map_err(|e| describe(&e))?;
                    serde_json::to_vec_pretty(&archive).map_err(|e| e.to_string())?
                }
                Format::Dcat => {
                    let doc = exchange::dcat(catalog, caller, &base_url).await.map_err(|e| describe(&e))?;
                    serde_json::to_vec_pretty(&doc).map_err(|e| e.to_string())?
                }
            };
            bar.finish_and_clear();
            write(&output, &bytes)?;
            println!("已导出 / exported {} bytes to {}", bytes.len(), output.display());
            Ok(ExitCode::SUCCESS)
        }
        CatalogCommand::Restore { file, .. } => {
            let text = std::fs::read(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let archive: CatalogArchive =
                serde_json::from_slice(&text).map_err(|e| format!("{}: not a catalog archive: {e}", file.display()))?;
            let bar = spinner(&format!(
                "恢复 {} 个资源 / restoring {} resources",
                archive.resources.len(),
                archive.resources.len()
            ));
            let n = exchange::import_archive(catalog, caller, &archive).await.map_err(|e| describe(&e))?;
            bar.finish_and_clear();
            println!("已恢复 / restored {n} resources");
            Ok(ExitCode::SUCCESS)
        }
        CatalogCommand::Template { output, .. } => {
            let bytes = exchange::template_xlsx(catalog, caller).await.map_err(|e| describe(&e))?;
            write(&output, &bytes)?;
            println!("已写出模板 / template written to {}", output.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn import(
    catalog: &Catalog,
    caller: &Caller,
    file: &Path,
    format: Option<String>,
    encoding: Option<String>,
    mode: Mode,
    report: Option<PathBuf>,
) -> Result<ExitCode, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let is_csv = format.as_deref() == Some("csv")
        || (format.is_none() && file.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")));
    let format = if is_csv { ImportFormat::Csv { encoding } } else { ImportFormat::Xlsx };
    let mode = match mode {
        Mode::AllOrNothing => ImportMode::AllOrNothing,
        Mode::PerResource => ImportMode::PerResource,
    };
    let name = file.file_name().map_or_else(|| "import".to_string(), |n| n.to_string_lossy().to_string());
    let bar = spinner(&format!("导入 / importing {name} ({} KB)", bytes.len() / 1024));
    let outcome = exchange::import_file(catalog, caller, &name, bytes, format, mode).await.map_err(|e| describe(&e))?;
    bar.finish_and_clear();
    if let Some(fp) = &outcome.file_problem {
        eprintln!("文件无法导入 / the file cannot be imported: {fp}");
    }
    for p in &outcome.problems {
        eprintln!("{p}");
    }
    if let Some(id) = outcome.report_id {
        let (_, bytes) = exchange::import_report(catalog, caller, id).await.map_err(|e| describe(&e))?;
        let path = report.unwrap_or_else(|| file.with_extension("errors.xlsx"));
        write(&path, &bytes)?;
        eprintln!("错误报告 / error report: {}", path.display());
    }
    println!(
        "已导入 {} 个资源（草稿），{} 个未导入 / imported {} resources (as drafts), {} refused",
        outcome.created.len(),
        outcome.refused,
        outcome.created.len(),
        outcome.refused
    );
    let clean = outcome.file_problem.is_none() && outcome.problems.is_empty();
    Ok(if clean { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
