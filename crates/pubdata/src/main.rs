//! `pubdata`: the public data platform of a district government, in one binary.
//!
//! `pubdata serve` runs the platform; the other commands are for operators and provisioning
//! scripts. Exit status: 0 success, 1 a negative answer (e.g. a broken audit chain), 2 an error.

mod aggregate_cli;
mod bench;
mod catalog_cli;
mod commands;
mod config;
mod serve;
mod share_cli;
mod verify_cli;

use clap::{Args, Parser, Subcommand};
use config::{Config, Overrides};
use std::path::PathBuf;
use std::process::ExitCode;

/// mimalloc rather than the C library's allocator: deliveries allocate cell values on the
/// reading thread and free them on the loading threads, a pattern glibc's per-thread arenas
/// handle poorly (a 1 GB delivery: 22 s instead of 38 s). Version 2 without transparent huge
/// pages (Cargo features), which keeps the idle server at 77 MB where v3 took 102 MB (see
/// BENCHMARKS.md, Startup and Aggregation).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "pubdata", version, about = "公共数据平台 / public data platform (鄞州区公共数据管理办法)")]
struct Cli {
    /// Configuration file (TOML); default ./pubdata.toml if present.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

/// Which database to use (defaults to the SQLite file in the data directory).
#[derive(Args, Clone, Default)]
pub struct DbArgs {
    /// This instance's directory: the embedded SQLite database (unless --database-url is
    /// given) and the catalog search index [default: ./pubdata-data].
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// PostgreSQL instead of SQLite: postgres://USER[:PASSWORD]@HOST:PORT/DB
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the platform (web pages and API).
    Serve {
        /// Address to listen on [default: 127.0.0.1:8080].
        #[arg(long, value_name = "ADDR:PORT")]
        listen: Option<String>,
        #[command(flatten)]
        db: DbArgs,
        /// Also seed a demo district with one account per role (passwords printed at start).
        #[arg(long)]
        demo: bool,
    },
    /// Administration of the platform itself.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// The audit trail (Art.27).
    #[command(subcommand)]
    Audit(AuditCommand),
    /// API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// The working-day calendar.
    #[command(subcommand)]
    Calendar(CalendarCommand),
    /// The data catalog: import and export (Art.7).
    #[command(subcommand)]
    Catalog(catalog_cli::CatalogCommand),
    /// Aggregation: deliver a resource's data, list batches, error reports (Art.10-12).
    #[command(subcommand)]
    Aggregate(aggregate_cli::AggregateCommand),
    /// Data verification: scheduled cross-checks, and running those due (Art.11).
    #[command(subcommand)]
    Verify(verify_cli::VerifyCommand),
    /// Sharing: share requests, grants, and a bulk export of a grant to a file (Art.13-16).
    #[command(subcommand)]
    Share(share_cli::ShareCommand),
    /// Write an online, consistent copy of the SQLite database.
    Backup {
        /// The file to write (must not exist).
        #[arg(long, value_name = "FILE")]
        output: PathBuf,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Measure performance (results for BENCHMARKS.md).
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an authority administrator non-interactively (the password is read from stdin).
    Init {
        #[arg(long)]
        username: String,
        /// Read the password from standard input (one line).
        #[arg(long, required = true)]
        password_stdin: bool,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the SM3 chain: exit 0 if intact, 1 with the first bad position if not.
    Verify {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Write entries as JSON Lines for supervisors.
    Export {
        /// From this date (YYYY-MM-DD, Beijing time) or instant (RFC 3339).
        #[arg(long)]
        since: Option<String>,
        /// Until the end of this date, or before this instant.
        #[arg(long)]
        until: Option<String>,
        /// Output file [default: standard output].
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token for a user; the secret is printed once.
    Create {
        #[arg(long)]
        username: String,
        /// What the token is for.
        #[arg(long)]
        name: String,
        /// A permission to include (repeatable); default all of the user's.
        #[arg(long = "scope", value_name = "PERMISSION")]
        scope: Vec<String>,
        /// Lifetime in days (1-365).
        #[arg(long, default_value_t = 90)]
        days: i64,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum CalendarCommand {
    /// Import holidays and make-up working days (CSV: date,kind,name) and mark their years entered.
    Import {
        file: PathBuf,
        /// The notice the dates come from, e.g. 国务院办公厅关于2027年部分节假日安排的通知.
        #[arg(long)]
        source: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

fn load(cli_config: Option<&PathBuf>, db: &DbArgs, listen: Option<String>) -> Result<Config, String> {
    let overrides = Overrides { listen, data_dir: db.data_dir.clone(), database_url: db.database_url.clone() };
    Config::load(cli_config.map(PathBuf::as_path), &overrides)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let config_file = cli.config.as_ref();
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve { listen, db, demo } => serve::run(load(config_file, &db, listen)?, demo).await,
            Command::Admin(AdminCommand::Init { username, password_stdin: _, db }) => {
                commands::admin_init(&load(config_file, &db, None)?, &username).await
            }
            Command::Audit(AuditCommand::Verify { db }) => commands::audit_verify(&load(config_file, &db, None)?).await,
            Command::Audit(AuditCommand::Export { since, until, output, db }) => {
                commands::audit_export(&load(config_file, &db, None)?, since, until, output).await
            }
            Command::Token(TokenCommand::Create { username, name, scope, days, db }) => {
                commands::token_create(&load(config_file, &db, None)?, &username, &name, &scope, days).await
            }
            Command::Calendar(CalendarCommand::Import { file, source, db }) => {
                commands::calendar_import(&load(config_file, &db, None)?, &file, &source).await
            }
            Command::Catalog(c) => {
                let config = load(config_file, c.db(), None)?;
                catalog_cli::run(&config, c).await
            }
            Command::Aggregate(c) => {
                let config = load(config_file, c.db(), None)?;
                aggregate_cli::run(&config, c).await
            }
            Command::Verify(c) => {
                let config = load(config_file, c.db(), None)?;
                verify_cli::run(&config, c).await
            }
            Command::Share(c) => {
                let config = load(config_file, c.db(), None)?;
                share_cli::run(&config, c).await
            }
            Command::Backup { output, db } => commands::backup(&load(config_file, &db, None)?, &output).await,
            Command::Bench(b) => bench::run(b).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::from(2)
        }
    }
}
