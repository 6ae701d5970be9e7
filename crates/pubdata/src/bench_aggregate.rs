//! `pubdata bench aggregate` and `pubdata bench pii`: delivering a large generated CSV through
//! the platform (reading, checking, detection, loading, publishing) against the database's own
//! bulk loader on the same file, and the personal-information detector's throughput and accuracy.

use super::{Scratch, TempDir, grouped, megabytes, pass, random_suffix, self_memory, store_err};
use pubdata_domain::aggregation::{Channel, Mode, OnError};
use pubdata_domain::catalog::{
    CodeEntry, DataItem, Delivery, ItemType, Level, OpenAttribute, ResourceDocument, ReviewAction, ShareAttribute,
    ShareTerm, StorageFormat, UpdateCycle,
};
use pubdata_domain::identity::{AgencyCategory, Caller, NewOrganisation, OrgKind, OrgName};
use pubdata_ingest::{Format, ReadOptions};
use pubdata_store::aggregation::{self, DeliveryRequest};
use pubdata_store::catalog::{Catalog, resources};
use pubdata_store::identity::orgs;
use pubdata_store::{Store, StoreOptions, bootstrap};
use serde::{Deserialize, Serialize};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::time::{Duration, Instant};

/// Targets of the aggregation issue.
const TARGET_VS_SQLITE: f64 = 1.0;
const TARGET_VS_COPY: f64 = 0.7;
const TARGET_RSS_MB: f64 = 256.0;
const TARGET_PII_MB_S: f64 = 50.0;

// ---------------------------------------------------------------------------------------------
// The generated file

/// A small deterministic generator (splitmix64): the same seed gives the same file.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.below(list.len() as u64) as usize]
    }
}

const REGIONS: [&str; 8] = ["330212", "330203", "330205", "330206", "330211", "330213", "330281", "330282"];
const SURNAMES: [&str; 24] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "罗",
    "郑", "梁", "谢", "宋", "欧阳",
];
const GIVEN: [&str; 24] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "华",
    "建国", "海燕", "志强", "晓东", "丹",
];
const STREETS: [&str; 10] =
    ["钟公庙街道", "首南街道", "下应街道", "东胜街道", "百丈街道", "中河街道", "姜山镇", "五乡镇", "东吴镇", "咸祥镇"];
const ROADS: [&str; 10] =
    ["天童南路", "四明中路", "宁南南路", "鄞州大道", "泰安中路", "福明路", "学士路", "贸城中路", "兴宁路", "嵩江中路"];
const EMPLOYERS: [&str; 8] = [
    "宁波市鄞州区人民医院",
    "宁波银行股份有限公司",
    "鄞州区第二实验小学",
    "宁波舜宇光电信息有限公司",
    "个体经营",
    "宁波市鄞州区姜山镇人民政府",
    "宁波港集团有限公司",
    "待业",
];
/// Mobile prefixes in use (the detector and the check accept only allocated ones).
const MOBILE_PREFIXES: [&str; 24] = [
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152", "155", "157", "158",
    "159", "166", "176", "177", "180", "186", "188", "199",
];
const NOTES: [&str; 6] = ["", "", "已核实", "信息变更后重新登记", "外地户籍", "联系电话为本人"];

/// The resource the generated file is delivered into.
pub(super) fn people_resource(provider: i64) -> ResourceDocument {
    let item = |code: &str, name: &str, t: ItemType, length: Option<u32>, level: Level| DataItem {
        code: code.into(),
        name: name.into(),
        item_type: t,
        length,
        precision: None,
        scale: None,
        required: false,
        unique_key: false,
        description: String::new(),
        level,
        code_list: vec![],
    };
    ResourceDocument {
        name: "参保人员基本信息".into(),
        business_name: "社会保险登记".into(),
        source_system: "社会保险业务管理系统".into(),
        description: "全区参保人员的身份、联系方式与参保登记信息".into(),
        provider_org_id: provider,
        category: "social_security".into(),
        level: Level::L3,
        storage_format: StorageFormat::DatabaseTable,
        share: ShareAttribute::Restricted {
            reason: "含个人信息".into(),
            conditions: "仅限依法履职所需，按最小必要原则使用".into(),
        },
        open: OpenAttribute::Prohibited { reason: pubdata_domain::catalog::ProhibitionReason::PersonalOrCommercial },
        delivery: vec![Delivery::Api, Delivery::Bulk],
        update_cycle: UpdateCycle::Daily,
        share_term: ShareTerm::LongTerm,
        contact_name: "李华".into(),
        contact_phone: "0574-88000000".into(),
        contact_email: String::new(),
        state_secret: false,
        items: vec![
            DataItem {
                required: true,
                unique_key: true,
                ..item("id_card", "身份证号码", ItemType::String, Some(18), Level::L3)
            },
            DataItem { required: true, ..item("name", "姓名", ItemType::String, Some(20), Level::L2) },
            item("mobile", "手机号码", ItemType::String, Some(11), Level::L3),
            item("address", "居住地址", ItemType::String, Some(200), Level::L2),
            DataItem {
                code_list: vec![
                    CodeEntry { code: "1".into(), label: "男".into() },
                    CodeEntry { code: "2".into(), label: "女".into() },
                ],
                ..item("sex", "性别", ItemType::String, Some(1), Level::L2)
            },
            item("birth_date", "出生日期", ItemType::Date, None, Level::L2),
            item("employer", "工作单位", ItemType::String, Some(100), Level::L1),
            DataItem {
                precision: Some(10),
                scale: Some(2),
                ..item("monthly_income", "月收入", ItemType::Decimal, None, Level::L3)
            },
            item("registered_on", "登记日期", ItemType::Date, None, Level::L1),
            item("note", "备注", ItemType::Text, None, Level::L1),
        ],
    }
}

/// The 身份证号码 of generated row `row` (0-based): distinct for every row, with a valid check
/// character. Region by row, then one birth date per 1,000 rows of a region.
pub(super) fn id_card(row: u64) -> Result<(String, time::Date), String> {
    let base = time::Date::from_calendar_date(1960, time::Month::January, 1).map_err(|e| e.to_string())?;
    let region = REGIONS[(row % 8) as usize];
    let j = row / 8;
    let birth = base + time::Duration::days((j / 1000) as i64 % 20_000);
    let first17 = format!("{region}{:04}{:02}{:02}{:03}", birth.year(), birth.month() as u8, birth.day(), j % 1000);
    let check = pubdata_pii::validate::id_card_check_char(&first17).ok_or("check character")?;
    Ok((format!("{first17}{check}"), birth))
}

/// Writes a CSV of about `bytes` bytes, or of `max_rows` rows if that comes first; returns
/// (rows, bytes written).
pub(super) fn generate(path: &Path, bytes: u64, max_rows: Option<u64>, seed: u64) -> Result<(u64, u64), String> {
    let file = std::fs::File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let header = "身份证号码,姓名,手机号码,居住地址,性别,出生日期,工作单位,月收入,登记日期,备注\n";
    let mut written = header.len() as u64;
    out.write_all(header.as_bytes()).map_err(|e| e.to_string())?;
    let mut rng = Rng(seed);
    let mut rows = 0u64;
    let mut line = String::with_capacity(256);
    while written < bytes && max_rows.is_none_or(|m| rows < m) {
        let (id_card, birth) = id_card(rows)?;
        let male = (rows / 8 % 1000) % 2 == 1;
        line.clear();
        use std::fmt::Write as _;
        let _ = writeln!(
            line,
            "{id_card},{}{},{}{:08},浙江省宁波市鄞州区{}{}{}号,{},{:04}-{:02}-{:02},{},{}.{:02},20{:02}-{:02}-{:02},{}",
            rng.pick(&SURNAMES),
            rng.pick(&GIVEN),
            rng.pick(&MOBILE_PREFIXES),
            rng.below(100_000_000),
            rng.pick(&STREETS),
            rng.pick(&ROADS),
            1 + rng.below(999),
            if male { "男" } else { "女" },
            birth.year(),
            birth.month() as u8,
            birth.day(),
            rng.pick(&EMPLOYERS),
            2000 + rng.below(30_000),
            rng.below(100),
            10 + rng.below(16),
            1 + rng.below(12),
            1 + rng.below(28),
            rng.pick(&NOTES),
        );
        out.write_all(line.as_bytes()).map_err(|e| e.to_string())?;
        written += line.len() as u64;
        rows += 1;
    }
    out.flush().map_err(|e| e.to_string())?;
    Ok((rows, written))
}

// ---------------------------------------------------------------------------------------------
// The child that delivers, so that its peak memory is the delivery's own

#[derive(Serialize, Deserialize)]
pub(super) struct DeliverReport {
    seconds: f64,
    rows_read: i64,
    rows_stored: i64,
    rows_rejected: i64,
    state: String,
    rss_before_mb: f64,
    hwm_mb: f64,
}

pub(super) struct ChildArgs {
    pub file: PathBuf,
    pub resource: i64,
    pub sqlite: Option<PathBuf>,
    pub database_url: Option<String>,
    pub schema: Option<String>,
}

pub(super) async fn deliver_child(a: ChildArgs) -> Result<ExitCode, String> {
    let options = super::child_store_options("aggregate-child", a.sqlite, a.database_url, a.schema)?;
    let store = Store::connect(&options).await.map_err(store_err)?;
    let input = std::fs::File::open(&a.file).map_err(|e| format!("cannot read {}: {e}", a.file.display()))?;
    let req = DeliveryRequest {
        resource_id: a.resource,
        mode: Mode::Append,
        on_error: OnError::RejectBatch,
        channel: Channel::Cli,
        source_system: "社会保险业务管理系统".into(),
        file_name: "bench.csv".into(),
        read: ReadOptions::new(Format::Csv),
        lease: aggregation::DEFAULT_LEASE,
    };
    let before = self_memory()?;
    let started = Instant::now();
    let caller = Caller::system("bench");
    let batch = aggregation::deliver(&store, &caller, req, input, None).await.map_err(store_err)?;
    let seconds = started.elapsed().as_secs_f64();
    let after = self_memory()?;
    for e in aggregation::errors(&store, &caller, batch.id).await.map_err(store_err)?.iter().take(5) {
        eprintln!("  row {:?}, {}: {} / {}", e.source_row, e.column, e.reason.zh, e.reason.en);
    }
    store.close().await;
    let report = DeliverReport {
        seconds,
        rows_read: batch.rows_read,
        rows_stored: batch.rows_stored,
        rows_rejected: batch.rows_rejected,
        state: batch.state,
        rss_before_mb: before.rss_mb,
        hwm_mb: after.hwm_mb,
    };
    println!("{}", serde_json::to_string(&report).map_err(|e| e.to_string())?);
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------------------------------------
// The benchmark

pub(super) async fn aggregate(
    database_url: Option<String>,
    megabytes_wanted: u64,
    seed: u64,
) -> Result<ExitCode, String> {
    let dir = TempDir::new("pubdata-bench-aggregate")?;
    let file = dir.path().join("people.csv");
    println!("bench aggregate: generating a {megabytes_wanted} MB CSV…");
    let started = Instant::now();
    let (rows, bytes) = generate(&file, megabytes_wanted * 1_000_000, None, seed)?;
    println!("  {} rows, {:.0} MB in {:.1} s", grouped(rows), megabytes(bytes), started.elapsed().as_secs_f64());

    // The platform: a fresh database with a published resource, delivered to by a child process.
    let (scratch, options) = Scratch::new("pubdata-bench-aggregate-db", database_url.as_deref())?;
    let outcome = async {
        let resource = prepare(&options).await?;
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let mut cmd = tokio::process::Command::new(&exe);
        cmd.arg("bench").arg("aggregate-child").arg("--file").arg(&file).arg("--resource").arg(resource.to_string());
        match &scratch {
            Scratch::Sqlite(d) => {
                cmd.arg("--sqlite").arg(d.path().join("pubdata.db"));
            }
            Scratch::Postgres { url, schema } => {
                cmd.arg("--database-url").arg(url).arg("--schema").arg(schema);
            }
        }
        println!("  delivering through the platform (a child process)…");
        let output = cmd.stderr(Stdio::inherit()).output().await.map_err(|e| format!("aggregate-child: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "aggregate-child failed: {}: {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        let report: DeliverReport = serde_json::from_str(stdout.lines().last().unwrap_or_default())
            .map_err(|e| format!("aggregate-child answered {stdout:?}: {e}"))?;
        println!("  reading and checking alone (no database)…");
        let checked = read_and_check(&file)?;
        let baseline = match &scratch {
            Scratch::Sqlite(_) => sqlite3_import(dir.path(), &file).await?,
            Scratch::Postgres { url, .. } => psql_copy(url, &file).await?,
        };
        Ok::<_, String>((report, baseline, checked))
    }
    .await;
    scratch.discard().await;
    let (
        report,
        Baseline { name: baseline_name, seconds: baseline_seconds, rows: baseline_rows, floor },
        (checked_rows, checked_seconds),
    ) = outcome?;

    let ours = report.rows_read as f64 / report.seconds;
    let theirs = baseline_rows as f64 / baseline_seconds;
    let ratio = ours / theirs;
    let target = if database_url.is_some() { TARGET_VS_COPY } else { TARGET_VS_SQLITE };
    println!();
    println!("| load | rows | MB | time (s) | rows/s | MB/s | vs baseline | peak RSS, VmHWM (MB) | target | result |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---|---|");
    println!(
        "| pubdata `aggregation::deliver` (read, check every value, ID check digits, PII detection, duplicate keys, load, publish; batch {}) | {} | {:.0} | {:.1} | {} | {:.1} | {:.2}× | {:.0} | ≥ {target:.1}×, RSS < {TARGET_RSS_MB:.0} MB | {} |",
        report.state,
        grouped(report.rows_stored as u64),
        megabytes(bytes),
        report.seconds,
        grouped(ours as u64),
        megabytes(bytes) / report.seconds,
        ratio,
        report.hwm_mb,
        pass(ratio >= target && report.hwm_mb < TARGET_RSS_MB && report.rows_stored as u64 == rows),
    );
    println!(
        "| of which: reading, checking and detection alone, one thread, no database (`pubdata_ingest` + `RowChecker` + `ColumnDetector`) | {} | {:.0} | {:.1} | {} | {:.1} | {:.2}× | – | – | – |",
        grouped(checked_rows),
        megabytes(bytes),
        checked_seconds,
        grouped((checked_rows as f64 / checked_seconds) as u64),
        megabytes(bytes) / checked_seconds,
        (checked_rows as f64 / checked_seconds) / theirs,
    );
    println!(
        "| baseline: {baseline_name} | {} | {:.0} | {:.1} | {} | {:.1} | 1.00× | – | – | – |",
        grouped(baseline_rows),
        megabytes(bytes),
        baseline_seconds,
        grouped(theirs as u64),
        megabytes(bytes) / baseline_seconds,
    );
    println!(
        "| floor: {} | {} | {:.0} | {:.1} | {} | {:.1} | {:.2}× | – | – | – |",
        floor.name,
        grouped(baseline_rows),
        megabytes(bytes),
        floor.seconds,
        grouped((baseline_rows as f64 / floor.seconds) as u64),
        megabytes(bytes) / floor.seconds,
        (baseline_rows as f64 / floor.seconds) / theirs,
    );
    Ok(if report.rows_stored as u64 == rows { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// A baseline's figures, and the floor measured after it: the same database writing the same
/// rows into a table of pubdata's layout (provenance columns, the key and batch indexes), with
/// nothing checked: what any loader that keeps that layout needs at least.
struct Baseline {
    name: String,
    seconds: f64,
    rows: u64,
    floor: Floor,
}

struct Floor {
    name: String,
    seconds: f64,
}

/// The data table pubdata creates for the benchmark's resource (all ten items are stored as
/// text), for the given backend's DDL.
fn layout_columns(postgres: bool) -> String {
    let text = if postgres { "TEXT COLLATE \"C\"" } else { "TEXT" };
    let (id, int) = if postgres {
        ("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", "BIGINT")
    } else {
        ("INTEGER PRIMARY KEY", "INTEGER")
    };
    let items: Vec<String> = (1..=10).map(|i| format!("c{i} {text}")).collect();
    format!(
        "_pd_row_id {id}, _pd_batch {int} NOT NULL DEFAULT 1, _pd_source_row {int} NOT NULL DEFAULT 0, \
         _pd_retired_by {int}, {}",
        items.join(", ")
    )
}

const LAYOUT_INDEXES: &str =
    "CREATE INDEX rd_batch ON rd (_pd_batch, _pd_source_row);\nCREATE INDEX rd_key ON rd (c1, _pd_batch);";

/// Reads the file and checks every row against the resource's items, with detection on every
/// value: the part of a delivery that involves no database. Returns (good rows, seconds).
fn read_and_check(file: &Path) -> Result<(u64, f64), String> {
    let doc = people_resource(0);
    let started = Instant::now();
    let input = std::fs::File::open(file).map_err(|e| e.to_string())?;
    let mut reader = pubdata_ingest::open(input, &ReadOptions::new(Format::Csv)).map_err(|e| e.to_string())?;
    let header = reader.header().to_vec();
    let mapping = pubdata_domain::aggregation::map_columns(&header, &doc.items).map_err(|p| format!("{p:?}"))?;
    let checker = pubdata_domain::aggregation::RowChecker::new(&header, &doc.items, &mapping);
    let mut detectors: Vec<pubdata_pii::ColumnDetector> =
        header.iter().map(|h| pubdata_pii::ColumnDetector::new(h)).collect();
    let (mut row, mut values, mut errors, mut good, mut n) =
        (pubdata_ingest::Row::default(), Vec::new(), Vec::new(), 0u64, 0u64);
    loop {
        match reader.next_row_into(&mut row).map_err(|e| e.to_string())? {
            pubdata_ingest::Next::End => break,
            pubdata_ingest::Next::Invalid(_) => continue,
            pubdata_ingest::Next::Row => {}
        }
        n += 1;
        // The same sampling as a delivery: every value of the first 20,000 rows, then every 50th row.
        if n <= 20_000 || n % 50 == 0 {
            for (d, v) in detectors.iter_mut().zip(&row.fields) {
                d.observe(v);
            }
        }
        errors.clear();
        if checker.check(&mut row.fields, &mut values, &mut errors) {
            good += 1;
        }
    }
    reader.finish().map_err(|e| e.to_string())?;
    std::hint::black_box(&detectors);
    Ok((good, started.elapsed().as_secs_f64()))
}

/// Bootstraps a fresh database with an agency and the published resource; returns its id.
pub(super) async fn prepare(options: &StoreOptions) -> Result<i64, String> {
    let store = Store::connect(options).await.map_err(store_err)?;
    let result = async {
        bootstrap::ensure_initialized(&store, "基准测试", false).await.map_err(store_err)?;
        let system = Caller::system("bench");
        let new = NewOrganisation::new(
            Some(pubdata_domain::ids::OrgId(1)),
            OrgKind::Agency,
            Some(AgencyCategory::Department),
            OrgName::parse("区人力资源和社会保障局", None).map_err(|e| e.to_string())?,
            None,
        )
        .map_err(|e| e.to_string())?;
        let org = orgs::create(&store, &system, new).await.map_err(store_err)?.id.0;
        let catalog = Catalog::open(store.clone(), None).await.map_err(store_err)?;
        let id = resources::create(&catalog, &system, people_resource(org)).await.map_err(store_err)?;
        for action in [ReviewAction::Submit, ReviewAction::Approve, ReviewAction::Publish] {
            resources::review(&catalog, &system, id, action, "", Some("基准测试")).await.map_err(store_err)?;
        }
        Ok(id)
    }
    .await;
    store.close().await;
    result
}

/// The sqlite3 command-line shell's `.import` of the same file into a plain table of text
/// columns, in a fresh database file: (label, seconds, rows).
async fn sqlite3_import(dir: &Path, file: &Path) -> Result<Baseline, String> {
    let db = dir.join(format!("sqlite3-{}.db", random_suffix()));
    let columns: Vec<String> = (1..=10).map(|i| format!("c{i} TEXT")).collect();
    let script = format!(
        "CREATE TABLE plain ({});\n.mode csv\n.import --skip 1 {} plain\nSELECT COUNT(*) FROM plain;\n",
        columns.join(", "),
        file.display()
    );
    println!("  baseline: sqlite3 .import…");
    let started = Instant::now();
    let mut child = tokio::process::Command::new("sqlite3")
        .arg(&db)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot run sqlite3 (apt-get install sqlite3): {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        use tokio::io::AsyncWriteExt;
        stdin.write_all(script.as_bytes()).await.map_err(|e| e.to_string())?;
    }
    let output = child.wait_with_output().await.map_err(|e| e.to_string())?;
    let seconds = started.elapsed().as_secs_f64();
    let rows = String::from_utf8_lossy(&output.stdout).trim().parse::<u64>().map_err(|e| format!("sqlite3: {e}"));
    // The floor: the parsed rows, already in the database, written into pubdata's layout in
    // one transaction with the loader's settings, then its indexes built.
    let floor_script = format!(
        "PRAGMA journal_mode = WAL;\nPRAGMA synchronous = NORMAL;\nPRAGMA threads = 2;\nCREATE TABLE rd ({});\n\
         INSERT INTO rd (_pd_source_row, {cols}) SELECT rowid + 1, {cols} FROM plain;\n{LAYOUT_INDEXES}\n",
        layout_columns(false),
        cols = (1..=10).map(|i| format!("c{i}")).collect::<Vec<_>>().join(", "),
    );
    println!("  floor: sqlite3 writing the parsed rows into pubdata's layout…");
    let started = Instant::now();
    let floor =
        std::process::Command::new("sqlite3").arg(&db).arg(&floor_script).output().map_err(|e| format!("sqlite3: {e}"));
    let floor_seconds = started.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&db);
    let _ = std::fs::remove_file(db.with_extension("db-wal"));
    let _ = std::fs::remove_file(db.with_extension("db-shm"));
    let floor = floor?;
    if !floor.status.success() {
        return Err(format!("sqlite3 (floor): {}", String::from_utf8_lossy(&floor.stderr)));
    }
    let rows = rows?;
    let version = std::process::Command::new("sqlite3")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).split_whitespace().next().unwrap_or("").to_string())
        .unwrap_or_default();
    Ok(Baseline {
        name: format!("`sqlite3` {version} `.import` into a plain table (text columns, no checks, no index)"),
        seconds,
        rows,
        floor: Floor {
            name: format!(
                "`sqlite3` {version} writing the rows it parsed into pubdata's table layout (provenance columns, WAL, \
                 one transaction) and building the key and batch indexes; no parsing, no checks"
            ),
            seconds: floor_seconds,
        },
    })
}

/// PostgreSQL's `COPY … FROM STDIN (FORMAT csv)` by `psql \copy` into a plain table in a fresh
/// schema: (label, seconds, rows).
async fn psql_copy(url: &str, file: &Path) -> Result<Baseline, String> {
    let schema = format!("bench_copy_{}", random_suffix());
    let columns: Vec<String> = (1..=10).map(|i| format!("c{i} TEXT")).collect();
    let psql = |sql: String| {
        let mut c = std::process::Command::new("psql");
        c.arg(url).arg("-v").arg("ON_ERROR_STOP=1").arg("-qAt").arg("-c").arg(sql);
        // The loader's session settings, for the floor (the plain COPY commits once anyway).
        c.env("PGOPTIONS", format!("-c search_path={schema} -c synchronous_commit=off -c maintenance_work_mem=256MB"));
        c
    };
    let run = |mut c: std::process::Command| -> Result<String, String> {
        let o = c.output().map_err(|e| format!("cannot run psql: {e}"))?;
        if !o.status.success() {
            return Err(format!("psql: {}", String::from_utf8_lossy(&o.stderr)));
        }
        Ok(String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    run(psql(format!("CREATE SCHEMA {schema}")))?;
    run(psql(format!("CREATE TABLE plain ({})", columns.join(", "))))?;
    println!("  baseline: psql \\copy (COPY FROM STDIN, csv)…");
    let started = Instant::now();
    let copied = run(psql(format!("\\copy plain FROM '{}' WITH (FORMAT csv, HEADER true)", file.display())));
    let seconds = started.elapsed().as_secs_f64();
    let rows = run(psql("SELECT COUNT(*) FROM plain".to_string()));
    // The floor: the same COPY into pubdata's layout, then its indexes built.
    let floor = async {
        run(psql(format!("CREATE TABLE rd ({})", layout_columns(true))))?;
        println!("  floor: psql \\copy into pubdata's layout, then its indexes…");
        let started = Instant::now();
        let columns = (1..=10).map(|i| format!("c{i}")).collect::<Vec<_>>().join(", ");
        run(psql(format!("\\copy rd ({columns}) FROM '{}' WITH (FORMAT csv, HEADER true)", file.display())))?;
        for statement in LAYOUT_INDEXES.lines() {
            run(psql(statement.to_string()))?;
        }
        Ok::<_, String>(started.elapsed().as_secs_f64())
    }
    .await;
    let _ = run(psql(format!("DROP SCHEMA {schema} CASCADE")));
    copied?;
    let floor_seconds = floor?;
    let rows: u64 = rows?.parse().map_err(|e| format!("psql count: {e}"))?;
    Ok(Baseline {
        name: "PostgreSQL `COPY FROM STDIN (FORMAT csv)` by `psql \\copy` into a plain table (text columns, no index)".into(),
        seconds,
        rows,
        floor: Floor {
            name: "the same `COPY` into pubdata's table layout (identity row id, provenance columns, `COLLATE \"C\"`), then \
                   the key and batch indexes built; no checks"
                .into(),
            seconds: floor_seconds,
        },
    })
}

// ---------------------------------------------------------------------------------------------
// The detector

pub(super) fn pii(real: Option<PathBuf>, megabytes_wanted: u64, seed: u64) -> Result<ExitCode, String> {
    let real_text = match &real {
        Some(p) => Some(std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?),
        None => None,
    };
    let columns = pubdata_pii::evaluation::labeled_columns(real_text.as_deref(), seed);
    let evaluation = pubdata_pii::evaluation::evaluate(&columns);
    println!(
        "bench pii: {} labelled columns ({} from {}), seed {seed}",
        columns.len(),
        columns.iter().filter(|c| c.origin.starts_with("real")).count(),
        real.as_ref().map_or("no real file".to_string(), |p| p.display().to_string())
    );
    println!("{evaluation}");

    let corpus = pubdata_pii::evaluation::throughput_corpus(seed, (megabytes_wanted * 1_000_000) as usize);
    let bytes: usize = corpus.iter().flat_map(|(_, v)| v.iter().map(String::len)).sum();
    // One warm-up pass, then three measured passes; the best is reported (one core, no contention
    // from the detector itself).
    let mut best = Duration::MAX;
    for round in 0..4 {
        let started = Instant::now();
        let mut found = 0usize;
        for (header, values) in &corpus {
            let mut d = pubdata_pii::ColumnDetector::new(header);
            for v in values {
                d.observe(v);
            }
            found += usize::from(d.detection().kind.is_some());
        }
        std::hint::black_box(found);
        if round > 0 {
            best = best.min(started.elapsed());
        }
    }
    let mb_s = megabytes(bytes as u64) / best.as_secs_f64();
    println!();
    println!("| detector | columns | MB of values | best of 3 (s) | MB/s on one core | target | result |");
    println!("|---|---:|---:|---:|---:|---|---|");
    println!(
        "| `ColumnDetector::observe` over every value | {} | {:.0} | {:.2} | {mb_s:.0} | ≥ {TARGET_PII_MB_S:.0} MB/s/core | {} |",
        corpus.len(),
        megabytes(bytes as u64),
        best.as_secs_f64(),
        pass(mb_s >= TARGET_PII_MB_S)
    );
    println!(
        "| accuracy on the labelled columns | {} | – | – | precision {:.3}, recall {:.3} | – | – |",
        columns.len(),
        evaluation.precision(),
        evaluation.recall()
    );
    Ok(ExitCode::SUCCESS)
}
