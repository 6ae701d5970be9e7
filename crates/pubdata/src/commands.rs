//! Operator commands: provisioning, the audit trail, tokens, the calendar, backups.

use crate::config::Config;
use indicatif::{ProgressBar, ProgressStyle};
use pubdata_domain::identity::Caller;
use pubdata_domain::timefmt;
use pubdata_store::{ChainCheck, Store, audit_trail, bootstrap, calendar, identity::tokens, maintenance};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn logging(config: &Config) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&config.log_level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = if config.log_format == "json" { builder.json().try_init() } else { builder.try_init() };
}

/// Connects to the configured database, naming it (without password) if that fails.
pub async fn connect(config: &Config) -> Result<Store, String> {
    let options = config.store_options();
    Store::connect(&options).await.map_err(|e| {
        format!("无法连接数据库 / cannot connect to the database {}: {e}", pubdata_store::redact_url(&options.url))
    })
}

pub async fn connect_existing(config: &Config) -> Result<Store, String> {
    if config.database_url.is_none() && !config.data_dir.join("pubdata.db").exists() {
        return Err(format!(
            "数据目录中没有数据库 / no database in {} (run `pubdata serve` or `pubdata admin init` first, or pass --data-dir/--database-url)",
            config.data_dir.display()
        ));
    }
    connect(config).await
}

fn operator() -> Caller {
    Caller::system("cli")
}

pub async fn admin_init(config: &Config, username: &str) -> Result<ExitCode, String> {
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .map_err(|e| format!("cannot read the password from stdin: {e}"))?;
    let password = password.trim_end_matches(['\n', '\r']);
    if config.database_url.is_none() {
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|e| format!("cannot create {}: {e}", config.data_dir.display()))?;
    }
    let store = connect(config).await?;
    let result = bootstrap::admin_init(&store, username, password).await;
    store.close().await;
    match result {
        Ok(user) => {
            println!("已创建主管部门管理员 / created authority administrator {}", user.username);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Err(format!("创建失败 / not created: {}", describe(&e))),
    }
}

/// A store error for a terminal: the bilingual message where there is one.
pub fn describe(e: &pubdata_store::Error) -> String {
    match e {
        pubdata_store::Error::Domain(pubdata_domain::Error::Invalid { field, message }) => {
            format!("{field}: {message}")
        }
        pubdata_store::Error::Duplicate { field, message } => format!("{field}: {message}"),
        pubdata_store::Error::Domain(pubdata_domain::Error::Problems(p)) => {
            p.iter().map(|p| format!("{}: {}", p.field, p.message)).collect::<Vec<_>>().join("\n")
        }
        pubdata_store::Error::Domain(d) => d.to_string(),
        other => other.to_string(),
    }
}

pub async fn audit_verify(config: &Config) -> Result<ExitCode, String> {
    let store = connect_existing(config).await?;
    let check = audit_trail::verify_as(&store, &operator()).await;
    store.close().await;
    match check.map_err(|e| describe(&e))? {
        ChainCheck::Intact(r) => {
            println!("OK: 审计链完整 / the audit chain is intact: {} entries", r.entries);
            println!("head {} {}", r.head_seq, r.head_hash);
            Ok(ExitCode::SUCCESS)
        }
        ChainCheck::Broken(b) => {
            println!("BROKEN at position {}: {} / {}", b.position(), b.describe_zh(), b.describe_en());
            Ok(ExitCode::from(1))
        }
    }
}

pub async fn audit_export(
    config: &Config,
    since: Option<String>,
    until: Option<String>,
    output: Option<PathBuf>,
) -> Result<ExitCode, String> {
    let since = since
        .map(|s| timefmt::parse_bound("since", &s).map(timefmt::format_instant))
        .transpose()
        .map_err(|e| e.to_string())?;
    let until = until
        .map(|s| timefmt::parse_until("until", &s).map(timefmt::format_instant))
        .transpose()
        .map_err(|e| e.to_string())?;
    let store = connect_existing(config).await?;
    let mut out: Box<dyn Write + Send> = match &output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };
    let progress = output.as_ref().map(|_| {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {pos} entries {per_sec}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar
    });
    let result = audit_trail::export(&store, &operator(), since.as_deref(), until.as_deref(), async |record| {
        serde_json::to_writer(&mut out, &record).map_err(std::io::Error::other)?;
        out.write_all(b"\n")?;
        if let Some(p) = &progress {
            p.inc(1);
        }
        Ok(())
    })
    .await;
    out.flush().map_err(|e| e.to_string())?;
    store.close().await;
    let n = result.map_err(|e| describe(&e))?;
    if let Some(p) = progress {
        p.finish_and_clear();
    }
    if let Some(path) = output {
        eprintln!("已导出 / exported {n} entries to {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn token_create(
    config: &Config,
    username: &str,
    name: &str,
    scope: &[String],
    days: i64,
) -> Result<ExitCode, String> {
    let store = connect_existing(config).await?;
    let result = tokens::create_for_username(&store, &operator(), username, name, scope, days).await;
    store.close().await;
    let created = result.map_err(|e| describe(&e))?;
    eprintln!(
        "令牌已创建，仅显示一次 / token created; it is shown only now (id {}, expires {}, scope: {})",
        created.token.id, created.token.expires_at, created.token.scope
    );
    println!("{}", created.secret);
    Ok(ExitCode::SUCCESS)
}

pub async fn calendar_import(config: &Config, file: &Path, source: &str) -> Result<ExitCode, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let store = connect_existing(config).await?;
    let result = calendar::import_csv(&store, &operator(), &text, source).await;
    store.close().await;
    let (days, years) = result.map_err(|e| describe(&e))?;
    println!("已导入 / imported {days} days; years entered: {years:?}");
    Ok(ExitCode::SUCCESS)
}

pub async fn backup(config: &Config, output: &Path) -> Result<ExitCode, String> {
    let store = connect_existing(config).await?;
    let result = maintenance::backup_sqlite(&store, &operator(), output).await;
    store.close().await;
    result.map_err(|e| describe(&e))?;
    println!("已备份 / backed up to {}", output.display());
    Ok(ExitCode::SUCCESS)
}
