//! `pubdata serve`: connect (migrating as needed), make sure the platform is initialised,
//! optionally seed the demo district, and serve until interrupted; meanwhile recover
//! interrupted deliveries, run the scheduled cross-checks that fall due and store the sharing
//! channel's call counts.

use crate::commands::{connect, logging};
use crate::config::Config;
use pubdata_store::identity::AuthSettings;
use pubdata_store::{bootstrap, demo};
use pubdata_web::{AppState, WebConfig};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Instant;

pub async fn run(config: Config, demo_mode: bool) -> Result<ExitCode, String> {
    let started = Instant::now();
    logging(&config);
    tracing::info!(config = ?config.redacted(), "starting");
    if config.database_url.is_none() {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            format!("无法创建数据目录 / cannot create the data directory {}: {e}", config.data_dir.display())
        })?;
    }
    let store = connect(&config).await?;
    let sharing_key = config.sharing_key()?;
    let gateway_limits = config.gateway_limits()?;
    let authority = if demo_mode { demo::DEMO_AUTHORITY_NAME } else { config.authority_name.as_str() };
    let first = bootstrap::ensure_initialized(&store, authority, true)
        .await
        .map_err(|e| format!("初始化失败 / initialisation failed: {e}"))?;
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .map_err(|e| format!("无法监听 / cannot listen on {}: {e}", config.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let url = format!("http://{addr}/");
    // Secrets go to the operator's terminal once, never to the log.
    if let Some(admin) = first {
        println!("首次启动：已创建主管部门管理员 / first start: created the authority administrator");
        println!("  用户名 username: {}", admin.username);
        println!(
            "  一次性密码 one-time password: {}  (首次登录须修改 / must be changed at first login)",
            admin.password
        );
    }
    if demo_mode {
        let accounts = demo::seed(&store).await.map_err(|e| format!("演示数据失败 / demo seeding failed: {e}"))?;
        println!(
            "演示模式：以下账号仅在 --demo 运行时可用，密码每次启动更换 / demo accounts (only while running with --demo; new passwords at every start):"
        );
        for a in accounts {
            println!("  {:<20} {:<22} {} · {}", a.username, a.password, a.role.label_zh(), a.organisation);
        }
    }
    let web = WebConfig {
        auth: AuthSettings {
            web_session_ttl: time::Duration::hours(config.session_hours.clamp(1, 24 * 30)),
            api_session_ttl: time::Duration::hours(config.api_session_hours.clamp(1, 24 * 30)),
            demo_mode,
        },
        cookie_secure: config.cookie_secure,
        registration_open: config.registration_open,
        trust_proxy: config.trust_proxy,
        sharing: config.sharing(),
        sharing_key,
        gateway_limits,
        exports: config.export_settings(),
        ..WebConfig::default()
    };
    let index_dir = config.data_dir.join("search-index");
    let state = AppState::open(store.clone(), web, Some(&index_dir))
        .await
        .map_err(|e| {
            format!(
                "无法打开目录检索索引 / cannot open the catalog search index {}: {e}（每个 pubdata 实例须使用各自的 --data-dir / each pubdata instance needs its own --data-dir）",
                index_dir.display()
            )
        })?;
    if demo_mode {
        let n =
            demo::seed_catalog(&state.catalog).await.map_err(|e| format!("演示目录失败 / demo catalog failed: {e}"))?;
        tracing::info!(resources = n, "demo catalog seeded");
    }
    // Deliveries whose loader died (a killed process, a lost instance) are failed and their rows
    // removed: now, and whenever a lease could have run out since. Likewise export jobs whose
    // instance died; and expired exports' files are deleted.
    let recovery_store = store.clone();
    let exports = config.export_settings();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(pubdata_store::aggregation::DEFAULT_LEASE);
        loop {
            every.tick().await;
            match pubdata_store::aggregation::recover(&recovery_store).await {
                Ok(0) => {}
                Ok(n) => tracing::warn!(batches = n, "interrupted deliveries marked failed"),
                Err(e) => tracing::error!(error = %e, "recovering interrupted deliveries failed"),
            }
            match pubdata_store::sharing_export::sweep(&recovery_store, &exports).await {
                Ok(s) if s == Default::default() => {}
                Ok(s) => tracing::info!(failed = s.failed, purged = s.purged, "export jobs swept"),
                Err(e) => tracing::error!(error = %e, "sweeping export jobs failed"),
            }
        }
    });
    // Scheduled cross-checks (Art.11): those due now, then every few minutes. Instances sharing a
    // database claim each due schedule before running it, so that each runs once.
    let schedule_store = store.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(SCHEDULED_CROSS_CHECKS_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            run_scheduled_cross_checks(&schedule_store).await;
        }
    });
    // The sharing channel's call counts (quotas, usage pages): into the database every few
    // seconds, and once more after the last request.
    let usage = state.usage.clone();
    let usage_store = store.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(USAGE_FLUSH_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            if let Err(e) = usage.flush(&usage_store).await {
                tracing::error!(error = %e, "storing the sharing channel's usage counts failed");
            }
        }
    });
    let final_usage = state.usage.clone();
    let app = pubdata_web::app(state);
    println!(
        "pubdata 已启动 / listening on {url}  ({} · {:.0} ms)",
        store.url(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    tracing::info!(%url, "listening");
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown())
        .await
        .map_err(|e| format!("server error: {e}"))?;
    if let Err(e) = final_usage.flush(&store).await {
        tracing::error!(error = %e, "storing the sharing channel's last usage counts failed");
    }
    store.close().await;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// How often `serve` adds the sharing channel's call counts to the database.
const USAGE_FLUSH_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// How often `serve` looks for scheduled cross-checks that are due.
const SCHEDULED_CROSS_CHECKS_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

/// Runs the scheduled cross-checks due today (district time), logging what each came to.
async fn run_scheduled_cross_checks(store: &pubdata_store::Store) {
    let today = pubdata_domain::timefmt::district_date(pubdata_domain::timefmt::now());
    match pubdata_store::verification::schedules::run_due_schedules(store, today).await {
        Ok(runs) => {
            for r in runs {
                match (&r.error, &r.cross_check) {
                    (Some(e), _) => {
                        tracing::warn!(schedule = r.schedule_id, reason = %e.en, "scheduled cross-check could not compare")
                    }
                    (None, run) => tracing::info!(
                        schedule = r.schedule_id,
                        run = run.as_ref().map(|c| c.id),
                        conflicts = run.as_ref().map(|c| c.conflicts),
                        task = r.task_id,
                        pending_task = r.pending_task_id,
                        next_run_on = %r.next_run_on,
                        "scheduled cross-check ran"
                    ),
                }
            }
        }
        Err(e) => tracing::error!(error = %e, "running the scheduled cross-checks failed"),
    }
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
