//! `pubdata bench gateway`: keyed lookups through the sharing channel (signature, nonce, rate and
//! quota, grant check, masking, durable audit record) on a resource of a million delivered rows,
//! against the same server's hello-world endpoint, `/healthz` (`ok`, through the same middleware:
//! the ceiling), and the same lookup with the audit record switched off (its cost), in one run.
//! Each is driven on loopback by a client in this process: at saturation (a fixed number of
//! connections, each sending its next request when the last one is answered), then at half that
//! throughput on a fixed schedule over the same connections, where a late request's latency
//! counts from when it was due (queueing included). Afterwards every 200 of the audited lookups must
//! have exactly one audit record, and the chain must verify.

use super::aggregate::{self, generate, id_card};
use super::export;
use super::{Scratch, TempDir, grouped, pass, percentile, store_err};
use pubdata_domain::catalog::Delivery;
use pubdata_domain::client_app::signature::{self, SignatureMethod};
use pubdata_domain::client_app::{LimitOverrides, NewClientApp, SharingKey, SignedRequest};
use pubdata_domain::identity::{Caller, Role};
use pubdata_store::{Store, StoreOptions, client_apps};
use pubdata_web::{AppState, WebConfig};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Targets of the sharing issue.
const TARGET_SHARE_OF_HELLO: f64 = 0.30;
const TARGET_P99_HALF_LOAD_MS: f64 = 5.0;

/// What to run.
pub(super) struct Plan {
    pub rows: u64,
    pub seconds: u64,
    pub connections: usize,
}

pub(super) async fn gateway(database_url: Option<String>, plan: Plan) -> Result<ExitCode, String> {
    let (scratch, mut options) = Scratch::new("pubdata-bench-gateway", database_url.as_deref())?;
    // Every connection's call may hold a reader and wait on the writer at once.
    options.max_connections = options.max_connections.max(plan.connections as u32 + 8);
    let files = TempDir::new("pubdata-bench-gateway-file")?;
    let result = run(&options, &plan, &files, &scratch).await;
    scratch.discard().await;
    result
}

/// The resource, its grant and the consumer's client application.
struct Fixture {
    resource: i64,
    grant: i64,
    app_key: String,
    secret: String,
}

async fn run(options: &StoreOptions, plan: &Plan, files: &TempDir, scratch: &Scratch) -> Result<ExitCode, String> {
    let key = SharingKey::generate();
    eprintln!("preparing {} rows …", grouped(plan.rows));
    let prepared = Instant::now();
    let fixture = prepare(options, &key, plan.rows, files).await?;
    let store = Store::connect(options).await.map_err(store_err)?;
    eprintln!("prepared in {:.1} s", prepared.elapsed().as_secs_f64());

    let audited = WebConfig { sharing_key: key.clone(), ..WebConfig::default() };
    let unaudited = WebConfig { sharing_key: key, gateway_audit: false, ..WebConfig::default() };
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(plan.connections)
        .build()
        .map_err(|e| format!("HTTP client: {e}"))?;
    let duration = Duration::from_secs(plan.seconds);
    let lookup = Target::Lookup(Arc::new(Lookup {
        app_key: fixture.app_key.clone(),
        secret: fixture.secret.clone(),
        grant: fixture.grant,
        resource: fixture.resource,
        rows: plan.rows,
        nonce: AtomicU64::new(0),
        seed: AtomicU64::new(0x5eed),
    }));

    let mut results = Vec::new();
    let mut audited_ok = 0u64;
    for (label, config, target) in [
        ("hello world /healthz (ceiling)", None, Target::Hello),
        ("keyed lookup, audit off", Some(unaudited), lookup.clone()),
        ("keyed lookup (as in service)", Some(audited), lookup.clone()),
    ] {
        let with_audit = config.as_ref().is_some_and(|c| c.gateway_audit);
        let state = AppState::open(store.clone(), config.unwrap_or_default(), None).await.map_err(store_err)?;
        let (addr, stop) = serve(state).await?;
        let base = format!("http://{addr}");
        // Warm-up: connections, caches, the first pages of the table and index.
        let warm = saturate(&client, &base, &target, plan.connections, Duration::from_secs(1)).await;
        let full = saturate(&client, &base, &target, plan.connections, duration).await;
        let half_rate = (full.per_second() / 2.0).max(1.0);
        let half = paced(&client, &base, &target, half_rate, plan.connections, duration).await;
        let _ = stop.send(());
        if with_audit {
            audited_ok = warm.ok + full.ok + half.ok;
        }
        for (what, run) in [("saturation", &full), ("half load", &half)] {
            if run.ok == 0 || !run.failures.is_empty() {
                eprintln!("{label}, {what}: {} answered 200, others {:?}", run.ok, run.failures);
            }
        }
        results.push((label, full, half));
    }

    // Afterwards: one audit record per answered lookup, and an intact chain.
    let (records,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM audit_entries WHERE action = 'gateway.call' AND outcome = 'success' AND object_type = 'client_app'",
    )
    .fetch_one(store.reader())
    .await
    .map_err(|e| e.to_string())?;
    let verified = Instant::now();
    let chain = pubdata_store::audit_trail::verify(&store).await.map_err(store_err)?;
    let chain_secs = verified.elapsed().as_secs_f64();
    let database = scratch.describe(store.url());
    store.close().await;

    println!(
        "Keyed lookup through the sharing channel on {} delivered rows ({database}); {} connections, {} s per run.\n",
        grouped(plan.rows),
        plan.connections,
        plan.seconds
    );
    println!("| | saturation req/s | p50 ms | p99 ms | half load req/s | p50 ms | p99 ms |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (label, full, half) in &results {
        println!(
            "| {label} | {:.0} | {:.2} | {:.2} | {:.0} | {:.2} | {:.2} |",
            full.per_second(),
            full.p(0.50),
            full.p(0.99),
            half.per_second(),
            half.p(0.50),
            half.p(0.99)
        );
    }
    println!();
    let hello = results[0].1.per_second();
    let (unaudited_rps, audited_rps) = (results[1].1.per_second(), results[2].1.per_second());
    let share = audited_rps / hello;
    let p99_half = results[2].2.p(0.99);
    println!(
        "- lookup / hello world: **{:.0} %** (target ≥ {:.0} %) {}",
        share * 100.0,
        TARGET_SHARE_OF_HELLO * 100.0,
        pass(share >= TARGET_SHARE_OF_HELLO)
    );
    println!(
        "- the audit record's cost: {:.0} % of the unaudited lookups' throughput",
        (1.0 - audited_rps / unaudited_rps) * 100.0
    );
    println!(
        "- p99 at half load: **{p99_half:.2} ms** (target < {TARGET_P99_HALF_LOAD_MS} ms) {}",
        pass(p99_half < TARGET_P99_HALF_LOAD_MS)
    );
    let counted = records == audited_ok as i64;
    println!(
        "- audited lookups answered 200: {}; their audit records: {} {}",
        grouped(audited_ok),
        grouped(records.max(0) as u64),
        pass(counted)
    );
    let intact = match &chain {
        pubdata_store::ChainCheck::Intact(r) => {
            println!(
                "- audit chain: intact, {} entries verified in {chain_secs:.1} s {}",
                grouped(r.entries as u64),
                pass(true)
            );
            true
        }
        pubdata_store::ChainCheck::Broken(b) => {
            println!("- audit chain: BROKEN at {}: {} {}", b.position(), b.describe_en(), pass(false));
            false
        }
    };
    let failures: u64 =
        results.iter().map(|(_, f, h)| f.failures.values().sum::<u64>() + h.failures.values().sum::<u64>()).sum();
    if failures > 0 {
        println!("- requests that did not answer 200: {failures} {}", pass(false));
    }
    Ok(if counted && intact && failures == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

// ---------------------------------------------------------------------------------------------
// The district: a provider, a consumer, the published resource with its rows, a grant, an app

async fn prepare(options: &StoreOptions, key: &SharingKey, rows: u64, files: &TempDir) -> Result<Fixture, String> {
    // The provider and its published resource, as the Aggregation benchmark makes them.
    let resource = aggregate::prepare(options).await?;
    let file = files.path().join("people.csv");
    let (generated, _) = generate(&file, u64::MAX, Some(rows), 42)?;
    let store = Store::connect(options).await.map_err(store_err)?;
    let result = async {
        let items = ["id_card", "name", "mobile", "address"].map(String::from).to_vec();
        let granted = export::load_and_grant(&store, resource, &file, Delivery::Api, Some(items)).await?;
        if granted.rows_stored != generated {
            return Err(format!("delivered {} of {generated} rows", granted.rows_stored));
        }
        let app = NewClientApp {
            org_id: None,
            name: "社会救助核查系统".into(),
            description: "核查低保申请家庭参保信息".into(),
            contact: "王工 0574-88000000".into(),
            allowed_addresses: vec![],
        };
        let consumer = export::officer(granted.consumer, Role::AgencyDataOfficer, "bench-consumer");
        let issued = client_apps::create(&store, key, &consumer, app).await.map_err(store_err)?;
        // The benchmark measures the channel, not its limits.
        let limits = LimitOverrides { rate_per_second: Some(100_000), daily_quota: Some(1_000_000_000) };
        client_apps::set_limits(&store, &Caller::system("bench"), issued.app.id, limits).await.map_err(store_err)?;
        Ok(Fixture { resource, grant: granted.grant, app_key: issued.app.app_key, secret: issued.secret })
    }
    .await;
    store.close().await;
    result
}

// ---------------------------------------------------------------------------------------------
// The server and the load

/// Serves the platform on a free loopback port until told to stop.
async fn serve(state: AppState) -> Result<(SocketAddr, tokio::sync::oneshot::Sender<()>), String> {
    let app = pubdata_web::app(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let served = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await;
        if let Err(e) = served {
            eprintln!("server error: {e}");
        }
    });
    Ok((addr, stop))
}

/// A signed keyed lookup's parts.
struct Lookup {
    app_key: String,
    secret: String,
    grant: i64,
    resource: i64,
    rows: u64,
    nonce: AtomicU64,
    seed: AtomicU64,
}

#[derive(Clone)]
enum Target {
    Hello,
    Lookup(Arc<Lookup>),
}

impl Target {
    fn request(&self, client: &reqwest::Client, base: &str) -> reqwest::RequestBuilder {
        let Target::Lookup(l) = self else { return client.get(format!("{base}/healthz")) };
        // A random delivered row's key (splitmix64 over a shared counter).
        let mut z = l.seed.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        let row = (z ^ (z >> 31)) % l.rows;
        let key = id_card(row).map(|(k, _)| k).unwrap_or_default();
        let path = format!("/gateway/v1/resources/{}/records/{key}", l.resource);
        let query = format!("grant={}", l.grant);
        let ts = time::OffsetDateTime::now_utc().unix_timestamp().to_string();
        let nonce = format!("bench-{:020}", l.nonce.fetch_add(1, Ordering::Relaxed));
        let signed =
            SignedRequest { method: "GET", path: &path, query: &query, body: b"", timestamp: &ts, nonce: &nonce };
        let sig = signature::sign(SignatureMethod::HmacSha256, &l.secret, &signed);
        client
            .get(format!("{base}{path}?{query}"))
            .header("X-Pubdata-App-Key", &l.app_key)
            .header("X-Pubdata-Timestamp", ts)
            .header("X-Pubdata-Nonce", nonce)
            .header("X-Pubdata-Signature", sig)
    }
}

/// One run's answers.
#[derive(Default)]
struct Run {
    ok: u64,
    /// Other statuses (0: no answer), and how many.
    failures: BTreeMap<u16, u64>,
    /// Latencies of the 200s, in milliseconds, sorted.
    latencies: Vec<f64>,
    elapsed: Duration,
}

impl Run {
    fn per_second(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn p(&self, q: f64) -> f64 {
        percentile(&self.latencies, q)
    }

    fn merge(&mut self, other: Run) {
        self.ok += other.ok;
        for (status, n) in other.failures {
            *self.failures.entry(status).or_default() += n;
        }
        self.latencies.extend(other.latencies);
    }

    fn finish(mut self, elapsed: Duration) -> Run {
        self.latencies.sort_by(f64::total_cmp);
        self.elapsed = elapsed;
        self
    }
}

/// Sends one request and reads its whole answer; the status (0: none).
async fn once(client: &reqwest::Client, base: &str, target: &Target) -> u16 {
    match target.request(client, base).send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            match response.bytes().await {
                Ok(_) => status,
                Err(_) => 0,
            }
        }
        Err(_) => 0,
    }
}

fn count(run: &mut Run, status: u16, latency: Duration) {
    if status == 200 {
        run.ok += 1;
        run.latencies.push(latency.as_secs_f64() * 1000.0);
    } else {
        *run.failures.entry(status).or_default() += 1;
    }
}

/// `connections` loops, each sending its next request when the last is answered.
async fn saturate(client: &reqwest::Client, base: &str, target: &Target, connections: usize, d: Duration) -> Run {
    let started = Instant::now();
    let deadline = started + d;
    let mut tasks = Vec::with_capacity(connections);
    for _ in 0..connections {
        let (client, base, target) = (client.clone(), base.to_string(), target.clone());
        tasks.push(tokio::spawn(async move {
            let mut run = Run::default();
            while Instant::now() < deadline {
                let sent = Instant::now();
                let status = once(&client, &base, &target).await;
                count(&mut run, status, sent.elapsed());
            }
            run
        }));
    }
    let mut total = Run::default();
    for t in tasks {
        if let Ok(run) = t.await {
            total.merge(run);
        }
    }
    total.finish(started.elapsed())
}

/// Requests due at a fixed `rate`, shared out over `connections` loops (request i goes to loop
/// i mod connections), each sending its next request when it is due, or at once if it is late;
/// a late request's latency counts from when it was due, so queueing behind a slow answer
/// counts too.
async fn paced(
    client: &reqwest::Client,
    base: &str,
    target: &Target,
    rate: f64,
    connections: usize,
    d: Duration,
) -> Run {
    let started = tokio::time::Instant::now();
    let n = (rate * d.as_secs_f64()) as u64;
    let mut tasks = Vec::with_capacity(connections);
    for c in 0..connections as u64 {
        let (client, base, target) = (client.clone(), base.to_string(), target.clone());
        let step = connections as u64;
        tasks.push(tokio::spawn(async move {
            let mut run = Run::default();
            let mut i = c;
            // When the loop's previous answer came back.
            let mut free = started;
            while i < n {
                let due = started + Duration::from_secs_f64(i as f64 / rate);
                // A request due while its loop still waited for the previous answer counts from
                // when it was due; one sent on time counts from when it was sent, so that the
                // timer's own lateness (up to a millisecond) is not charged to the server.
                let from = if free > due {
                    due
                } else {
                    tokio::time::sleep_until(due).await;
                    tokio::time::Instant::now()
                };
                let status = once(&client, &base, &target).await;
                count(&mut run, status, from.elapsed());
                free = tokio::time::Instant::now();
                i += step;
            }
            run
        }));
    }
    let mut total = Run::default();
    for t in tasks {
        if let Ok(run) = t.await {
            total.merge(run);
        }
    }
    total.finish(started.elapsed())
}
