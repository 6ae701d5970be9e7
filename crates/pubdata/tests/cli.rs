//! The operator's command line, run as a real process: provisioning, first start, audit
//! verification and export, tokens, the calendar, backups and start-up errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{pubdata, run, serve};

fn data_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn dir_arg(d: &tempfile::TempDir) -> String {
    d.path().to_string_lossy().to_string()
}

#[test]
fn admin_init_reads_the_password_from_stdin_and_checks_it() {
    let d = data_dir();
    let weak = run(
        pubdata(&["admin", "init", "--username", "ops", "--password-stdin", "--data-dir", &dir_arg(&d)]),
        Some("short\n"),
    );
    assert_eq!(weak.code, 2, "{}", weak.stderr);
    assert!(weak.stderr.contains("10 到 128") && weak.stderr.contains("10 to 128"), "{}", weak.stderr);
    let ok = run(
        pubdata(&["admin", "init", "--username", "ops", "--password-stdin", "--data-dir", &dir_arg(&d)]),
        Some("Provision-2026!\n"),
    );
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    let again = run(
        pubdata(&["admin", "init", "--username", "ops", "--password-stdin", "--data-dir", &dir_arg(&d)]),
        Some("Provision-2026!\n"),
    );
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("username"), "{}", again.stderr);
    // With an administrator provisioned, the first start creates none and prints no password.
    let server = serve(pubdata(&["serve", "--listen", "127.0.0.1:0", "--data-dir", &dir_arg(&d)]));
    assert!(server.banner.iter().all(|l| !l.contains("one-time")), "{:?}", server.banner);
}

#[test]
fn first_start_prints_a_one_time_password_once() {
    let d = data_dir();
    let first = serve(pubdata(&["serve", "--listen", "127.0.0.1:0", "--data-dir", &dir_arg(&d)]));
    let line = first.banner.iter().find(|l| l.contains("one-time password")).expect("one-time password printed");
    assert!(line.split_whitespace().any(|w| w.len() == 19 && w.matches('-').count() == 3), "{line}");
    drop(first);
    let second = serve(pubdata(&["serve", "--listen", "127.0.0.1:0", "--data-dir", &dir_arg(&d)]));
    assert!(second.banner.iter().all(|l| !l.contains("one-time")), "{:?}", second.banner);
    assert!(d.path().join("pubdata.db").exists(), "SQLite lives in the data directory");
}

#[test]
fn art_27_audit_verify_exits_1_with_the_position_of_tampering() {
    let d = data_dir();
    let init = run(
        pubdata(&["admin", "init", "--username", "ops", "--password-stdin", "--data-dir", &dir_arg(&d)]),
        Some("Provision-2026!\n"),
    );
    assert_eq!(init.code, 0, "{}", init.stderr);
    let ok = run(pubdata(&["audit", "verify", "--data-dir", &dir_arg(&d)]), None);
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
    assert!(ok.stdout.starts_with("OK"), "{}", ok.stdout);
    // Someone with direct access to the database file edits an entry.
    let db = d.path().join("pubdata.db");
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let mut c = sqlx::AnyConnection::connect(&format!("sqlite://{}", db.display())).await.unwrap();
        sqlx::query("DROP TRIGGER audit_entries_no_update").execute(&mut c).await.unwrap();
        sqlx::query("UPDATE audit_entries SET summary = '{}' WHERE seq = 2").execute(&mut c).await.unwrap();
    });
    let broken = run(pubdata(&["audit", "verify", "--data-dir", &dir_arg(&d)]), None);
    assert_eq!(broken.code, 1, "{}{}", broken.stdout, broken.stderr);
    assert!(broken.stdout.contains("position 2"), "{}", broken.stdout);
}

#[test]
fn audit_export_writes_json_lines_within_the_bounds() {
    let d = data_dir();
    run(
        pubdata(&["admin", "init", "--username", "ops", "--password-stdin", "--data-dir", &dir_arg(&d)]),
        Some("Provision-2026!\n"),
    );
    let out = d.path().join("audit.jsonl");
    let r = run(
        pubdata(&[
            "audit",
            "export",
            "--since",
            "2020-01-01",
            "--until",
            "2099-12-31",
            "--output",
            &out.to_string_lossy(),
            "--data-dir",
            &dir_arg(&d),
        ]),
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(lines.len() >= 4, "{text}");
    assert_eq!(lines[0]["seq"], 1);
    let none = run(pubdata(&["audit", "export", "--until", "2020-01-01", "--data-dir", &dir_arg(&d)]), None);
    assert_eq!((none.code, none.stdout.as_str()), (0, ""));
    let bad = run(pubdata(&["audit", "export", "--since", "last week", "--data-dir", &dir_arg(&d)]), None);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("since"), "{}", bad.stderr);
}

#[test]
fn tokens_calendar_and_backup_from_the_command_line() {
    let d = data_dir();
    run(
        pubdata(&["admin", "init", "--username", "ops", "--password-stdin", "--data-dir", &dir_arg(&d)]),
        Some("Provision-2026!\n"),
    );
    let token = run(
        pubdata(&[
            "token",
            "create",
            "--username",
            "ops",
            "--name",
            "备份脚本",
            "--scope",
            "audit.export",
            "--days",
            "7",
            "--data-dir",
            &dir_arg(&d),
        ]),
        None,
    );
    assert_eq!(token.code, 0, "{}", token.stderr);
    assert!(token.stdout.trim().starts_with("pdt_"), "{}", token.stdout);
    let too_wide = run(
        pubdata(&[
            "token",
            "create",
            "--username",
            "ops",
            "--name",
            "x",
            "--scope",
            "root.everything",
            "--data-dir",
            &dir_arg(&d),
        ]),
        None,
    );
    assert_eq!(too_wide.code, 2);

    let csv = d.path().join("2027.csv");
    std::fs::write(&csv, "date,kind,name\n2027-01-01,holiday,元旦\n2027-02-06,holiday,春节\n2027-02-30,holiday,春节\n")
        .unwrap();
    let bad = run(
        pubdata(&["calendar", "import", &csv.to_string_lossy(), "--source", "test", "--data-dir", &dir_arg(&d)]),
        None,
    );
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("line 4"), "{}", bad.stderr);
    std::fs::write(&csv, "date,kind,name\n2027-01-01,holiday,元旦\n2027-02-06,holiday,春节\n").unwrap();
    let good = run(
        pubdata(&[
            "calendar",
            "import",
            &csv.to_string_lossy(),
            "--source",
            "国务院办公厅通知（测试）",
            "--data-dir",
            &dir_arg(&d),
        ]),
        None,
    );
    assert_eq!(good.code, 0, "{}", good.stderr);
    assert!(good.stdout.contains("2027"), "{}", good.stdout);

    let backup = d.path().join("copy.db");
    let b = run(pubdata(&["backup", "--output", &backup.to_string_lossy(), "--data-dir", &dir_arg(&d)]), None);
    assert_eq!(b.code, 0, "{}", b.stderr);
    // The copy is a complete database whose chain verifies on its own.
    let copy_dir = tempfile::tempdir().unwrap();
    std::fs::copy(&backup, copy_dir.path().join("pubdata.db")).unwrap();
    let verified = run(pubdata(&["audit", "verify", "--data-dir", &copy_dir.path().to_string_lossy()]), None);
    assert_eq!(verified.code, 0, "{}{}", verified.stdout, verified.stderr);
    let again = run(pubdata(&["backup", "--output", &backup.to_string_lossy(), "--data-dir", &dir_arg(&d)]), None);
    assert_eq!(again.code, 2, "never overwrites");
}

#[test]
fn an_unreachable_database_is_named_without_its_password() {
    let r = run(pubdata(&["serve", "--database-url", "postgres://app:s3cret-pw@127.0.0.1:1/pubdata"]), None);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("postgres://app:***@127.0.0.1:1/pubdata"), "{}", r.stderr);
    assert!(!r.stderr.contains("s3cret-pw"), "{}", r.stderr);
}

#[test]
fn unknown_configuration_keys_are_refused() {
    let d = data_dir();
    let mut c = pubdata(&["serve", "--data-dir", &dir_arg(&d)]);
    c.env("PUBDATA_LISTEN_PORT", "9000");
    let r = run(c, None);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("listen_port"), "{}", r.stderr);
    let file = d.path().join("pubdata.toml");
    std::fs::write(&file, "listen = \"127.0.0.1:0\"\ndatabase_pasword = \"x\"\n").unwrap();
    let r = run(pubdata(&["--config", &file.to_string_lossy(), "serve"]), None);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("database_pasword"), "{}", r.stderr);
}

fn demo_document(provider_id: i64, name: &str) -> pubdata_domain::catalog::ResourceDocument {
    use pubdata_domain::catalog::*;
    ResourceDocument {
        name: name.into(),
        business_name: "企业设立登记".into(),
        source_system: "市场主体登记管理系统".into(),
        description: String::new(),
        provider_org_id: provider_id,
        category: "market".into(),
        level: Level::L1,
        storage_format: StorageFormat::DatabaseTable,
        share: ShareAttribute::Unconditional,
        open: OpenAttribute::Unconditional,
        delivery: vec![Delivery::Bulk],
        update_cycle: UpdateCycle::Monthly,
        share_term: ShareTerm::LongTerm,
        contact_name: "王明".into(),
        contact_phone: "0574-87000000".into(),
        contact_email: String::new(),
        state_secret: false,
        items: vec![DataItem {
            code: "credit_code".into(),
            name: "统一社会信用代码".into(),
            item_type: ItemType::String,
            length: Some(18),
            precision: None,
            scale: None,
            required: true,
            unique_key: true,
            description: String::new(),
            level: Level::L1,
            code_list: vec![],
        }],
    }
}

#[test]
fn art_7_catalogs_import_and_export_from_the_command_line() {
    let d = data_dir();
    // The demo district provides the agencies the file names.
    drop(serve(pubdata(&["serve", "--demo", "--listen", "127.0.0.1:0", "--data-dir", &dir_arg(&d)])));
    let names = pubdata_catalog_io::OrgDirectory::new(vec![(99, "鄞州区市场监督管理局".into())]);
    let mut bad = demo_document(99, "企业注销信息");
    bad.share = pubdata_domain::catalog::ShareAttribute::NotShared { legal_basis: String::new() };
    let rows = |docs: Vec<pubdata_domain::catalog::ResourceDocument>| -> Vec<pubdata_catalog_io::ExportRow> {
        docs.into_iter()
            .enumerate()
            .map(|(i, document)| pubdata_catalog_io::ExportRow {
                id: i as i64,
                state: String::new(),
                version: 0,
                document,
            })
            .collect()
    };
    let good_file = d.path().join("good.xlsx");
    std::fs::write(
        &good_file,
        pubdata_catalog_io::export_xlsx(&rows(vec![demo_document(99, "企业登记信息")]), &names).unwrap(),
    )
    .unwrap();
    let bad_file = d.path().join("bad.xlsx");
    std::fs::write(
        &bad_file,
        pubdata_catalog_io::export_xlsx(&rows(vec![demo_document(99, "个体户信息"), bad]), &names).unwrap(),
    )
    .unwrap();

    let ok = run(pubdata(&["catalog", "import", &good_file.to_string_lossy(), "--data-dir", &dir_arg(&d)]), None);
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
    assert!(ok.stdout.contains("imported 1 resources"), "{}", ok.stdout);
    let refused = run(pubdata(&["catalog", "import", &bad_file.to_string_lossy(), "--data-dir", &dir_arg(&d)]), None);
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("不共享依据") && refused.stderr.contains("row 4"), "{}", refused.stderr);
    assert!(d.path().join("bad.errors.xlsx").exists(), "the error report is written beside the file");
    assert!(refused.stdout.contains("imported 0 resources"), "all or nothing: {}", refused.stdout);
    let partial = run(
        pubdata(&[
            "catalog",
            "import",
            &bad_file.to_string_lossy(),
            "--mode",
            "per-resource",
            "--data-dir",
            &dir_arg(&d),
        ]),
        None,
    );
    assert!(partial.stdout.contains("imported 1 resources (as drafts), 1 refused"), "{}", partial.stdout);

    let archive = d.path().join("catalog.json");
    let exported = run(
        pubdata(&[
            "catalog",
            "export",
            "--format",
            "json",
            "--output",
            &archive.to_string_lossy(),
            "--data-dir",
            &dir_arg(&d),
        ]),
        None,
    );
    assert_eq!(exported.code, 0, "{}", exported.stderr);
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&archive).unwrap()).unwrap();
    assert_eq!(json["resources"].as_array().unwrap().len(), 5 + 2, "the demo catalog and the two imported");
    let restore = run(pubdata(&["catalog", "restore", &archive.to_string_lossy(), "--data-dir", &dir_arg(&d)]), None);
    assert_eq!(restore.code, 2, "not into a catalog that has resources");
    let template = d.path().join("template.xlsx");
    assert_eq!(
        run(
            pubdata(&["catalog", "template", "--output", &template.to_string_lossy(), "--data-dir", &dir_arg(&d)]),
            None
        )
        .code,
        0
    );
    assert!(std::fs::read(&template).unwrap().starts_with(b"PK"));
}

/// A valid unified social credit code, distinct for each `n`.
fn credit_code(n: u32) -> String {
    let base = format!("91330212{n:09}");
    "0123456789ABCDEFGHJKLMNPQRTUWXY"
        .chars()
        .map(|c| format!("{base}{c}"))
        .find(|code| pubdata_pii::validate::credit_code(code).is_ok())
        .unwrap()
}

/// Reads one number from the data directory's database.
fn scalar(d: &tempfile::TempDir, sql: &str) -> Option<i64> {
    let url = format!("sqlite://{}?mode=ro", d.path().join("pubdata.db").display());
    let sql = sql.to_string();
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async move {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&url).await.ok()?;
        let n: Option<(i64,)> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_optional(&mut conn).await.ok()?;
        let _ = conn.close().await;
        n.map(|(n,)| n)
    })
}

#[test]
fn art_12_a_delivery_killed_midway_is_failed_and_shows_no_rows() {
    let d = data_dir();
    drop(serve(pubdata(&["serve", "--demo", "--listen", "127.0.0.1:0", "--data-dir", &dir_arg(&d)])));
    let resource = scalar(&d, "SELECT id FROM catalog_resources WHERE name = '企业登记信息'").unwrap();
    let file = d.path().join("enterprises.csv");
    let mut csv = String::from("统一社会信用代码,企业名称\n");
    for i in 0..200_000 {
        csv.push_str(&format!("{},宁波市鄞州区测试企业{i}有限公司\n", credit_code(i)));
    }
    std::fs::write(&file, csv).unwrap();
    let mut upload = pubdata(&[
        "aggregate",
        "upload",
        &resource.to_string(),
        &file.to_string_lossy(),
        "--lease-seconds",
        "1",
        "--data-dir",
        &dir_arg(&d),
    ]);
    let mut child = upload.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap();
    // Kill the process once it has loaded rows, in the middle of the batch.
    let table = format!("SELECT COUNT(*) FROM rd_{resource}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while scalar(&d, &table).unwrap_or(0) == 0 {
        assert!(std::time::Instant::now() < deadline, "the upload loaded nothing");
        assert!(child.try_wait().unwrap().is_none(), "the upload ended before it could be interrupted");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(scalar(&d, "SELECT COUNT(*) FROM aggregation_batches WHERE state = 'receiving'"), Some(1));
    std::thread::sleep(std::time::Duration::from_millis(1500));

    // The next command fails the batch (its lease ran out), removes its rows, and shows none.
    let listed = run(pubdata(&["aggregate", "batches", &resource.to_string(), "--data-dir", &dir_arg(&d)]), None);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    assert!(listed.stderr.contains("marked failed"), "{}", listed.stderr);
    assert!(listed.stdout.contains("当前 0 行"), "{}", listed.stdout);
    assert!(
        listed.stdout.lines().any(|l| l.contains("\tfailed\t") && l.contains("enterprises.csv")),
        "{}",
        listed.stdout
    );
    assert_eq!(scalar(&d, &table), Some(0), "the interrupted batch's rows are gone");
    assert_eq!(scalar(&d, "SELECT COUNT(*) FROM audit_entries WHERE action = 'aggregation.batch_fail'"), Some(1));
    let verify = run(pubdata(&["audit", "verify", "--data-dir", &dir_arg(&d)]), None);
    assert_eq!(verify.code, 0, "{}", verify.stdout);

    // A complete delivery of the same file then stores every row.
    let ok = run(
        pubdata(&["aggregate", "upload", &resource.to_string(), &file.to_string_lossy(), "--data-dir", &dir_arg(&d)]),
        None,
    );
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
    assert!(ok.stdout.contains("stored 200000"), "{}", ok.stdout);
    assert_eq!(scalar(&d, &table), Some(200_000));
}

#[test]
fn art_11_scheduled_cross_checks_run_from_the_command_line() {
    let d = data_dir();
    drop(serve(pubdata(&["serve", "--demo", "--listen", "127.0.0.1:0", "--data-dir", &dir_arg(&d)])));
    let market = scalar(&d, "SELECT id FROM catalog_resources WHERE name = '企业登记信息'").unwrap();
    let tax = scalar(&d, "SELECT id FROM catalog_resources WHERE name = '纳税人登记信息'").unwrap();
    let (one, two) = (credit_code(1), credit_code(2));
    for (resource, csv) in [
        (market, format!("统一社会信用代码,企业名称\n{one},宁波甲贸易有限公司\n{two},宁波乙制造有限公司\n")),
        (tax, format!("credit_code,taxpayer_name\n{one},宁波甲贸易有限公司\n{two},宁波乙制造股份有限公司\n")),
    ] {
        let file = d.path().join(format!("rows-{resource}.csv"));
        std::fs::write(&file, csv).unwrap();
        let up = run(
            pubdata(&[
                "aggregate",
                "upload",
                &resource.to_string(),
                &file.to_string_lossy(),
                "--data-dir",
                &dir_arg(&d),
            ]),
            None,
        );
        assert_eq!(up.code, 0, "{}{}", up.stdout, up.stderr);
    }
    let none = run(pubdata(&["verify", "run-due", "--data-dir", &dir_arg(&d)]), None);
    assert_eq!(none.code, 0, "{}", none.stderr);
    assert!(none.stdout.contains("no scheduled cross-check is due"), "{}", none.stdout);

    // The authority schedules the comparison (through the store, as the web form would); it is
    // overdue since a day when no instance ran.
    let db = d.path().join("pubdata.db");
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        use pubdata_domain::verification::{CrossCheckSpec, schedule::NewSchedule};
        let store = pubdata_store::Store::connect(&pubdata_store::StoreOptions::sqlite_file(&db)).await.unwrap();
        let spec = CrossCheckSpec {
            resource_a: market,
            resource_b: tax,
            item_a: "enterprise_name".into(),
            item_b: Some("taxpayer_name".into()),
            ..CrossCheckSpec::default()
        };
        let new = NewSchedule { spec, every_working_days: 5, starts_on: None };
        let caller = pubdata_domain::identity::Caller::system("test");
        let id = pubdata_store::verification::schedules::create_schedule(&store, &caller, new).await.unwrap().id;
        sqlx::query("UPDATE verification_schedules SET next_run_on = '2026-01-05' WHERE id = $1")
            .bind(id)
            .execute(store.reader())
            .await
            .unwrap();
        store.close().await;
    });
    let due = run(pubdata(&["verify", "run-due", "--data-dir", &dir_arg(&d)]), None);
    assert_eq!(due.code, 0, "{}{}", due.stdout, due.stderr);
    assert!(due.stdout.contains("schedule #1 (due 2026-01-05"), "{}", due.stdout);
    assert!(due.stdout.contains("2 keys, 1 conflicts") && due.stdout.contains("task #1 opened"), "{}", due.stdout);
    let again = run(pubdata(&["verify", "run-due", "--data-dir", &dir_arg(&d)]), None);
    assert!(again.stdout.contains("no scheduled cross-check is due"), "once per date: {}", again.stdout);
    let listed = run(pubdata(&["verify", "schedules", "--data-dir", &dir_arg(&d)]), None);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    let line = listed.stdout.lines().find(|l| l.starts_with("1\t")).expect("the schedule is listed");
    assert!(line.contains("\tactive\tevery 5 working days\tnext 20"), "{line}");
    assert!(line.contains("enterprise_name") && line.contains("1 conflicts, task #1"), "{line}");
    assert_eq!(scalar(&d, "SELECT COUNT(*) FROM verification_tasks"), Some(1));
    let verify = run(pubdata(&["audit", "verify", "--data-dir", &dir_arg(&d)]), None);
    assert_eq!(verify.code, 0, "{}", verify.stdout);
}

/// A grant of `items` of `resource` to another demo agency, through `delivery`; returns its id.
fn demo_grant(
    d: &tempfile::TempDir,
    resource: i64,
    items: &[&str],
    delivery: pubdata_domain::catalog::Delivery,
) -> i64 {
    use pubdata_domain::identity::{Caller, Principal, Role, Source};
    use pubdata_domain::ids::OrgId;
    use pubdata_domain::sharing::{RowScope, ScenarioCategory, ShareRequestInput};
    let consumer = scalar(
        d,
        &format!(
            "SELECT id FROM organisations WHERE kind = 'agency' AND id <> \
             (SELECT provider_org_id FROM catalog_resources WHERE id = {resource}) ORDER BY id LIMIT 1"
        ),
    )
    .unwrap();
    let db = d.path().join("pubdata.db");
    let items: Vec<String> = items.iter().map(|i| i.to_string()).collect();
    tokio::runtime::Runtime::new().unwrap().block_on(async move {
        let store = pubdata_store::Store::connect(&pubdata_store::StoreOptions::sqlite_file(&db)).await.unwrap();
        let officer = Caller {
            principal: Principal {
                user_id: None,
                username: "consumer-officer".into(),
                display_name: "consumer-officer".into(),
                org_id: Some(OrgId(consumer)),
                role: Some(Role::AgencyDataOfficer),
                token: None,
                must_change_password: false,
            },
            source: Source::cli(),
        };
        let input = ShareRequestInput {
            resource_id: resource,
            items,
            scenario: "企业年报抽查名单核对".into(),
            scenario_category: ScenarioCategory::Regulation,
            legal_duty: "《企业信息公示暂行条例》第十四条".into(),
            delivery,
            end_date: pubdata_domain::timefmt::district_date(pubdata_domain::timefmt::now()) + time::Duration::days(90),
            row_scope: RowScope::default(),
            raw_items: vec![],
            raw_justification: String::new(),
        };
        let settings = pubdata_store::sharing::SharingSettings::default();
        let request = pubdata_store::sharing::create(&store, &settings, &officer, input).await.unwrap();
        store.close().await;
        request.grant_id.expect("unconditional data is granted at once")
    })
}

#[test]
fn art_15_share_export_writes_a_grants_data_to_a_file() {
    use pubdata_domain::catalog::Delivery;
    let d = data_dir();
    drop(serve(pubdata(&["serve", "--demo", "--listen", "127.0.0.1:0", "--data-dir", &dir_arg(&d)])));
    let market = scalar(&d, "SELECT id FROM catalog_resources WHERE name = '企业登记信息'").unwrap();
    let file = d.path().join("enterprises.csv");
    let mut csv = String::from("统一社会信用代码,企业名称\n");
    for i in 0..500 {
        csv.push_str(&format!("{},宁波市鄞州区测试企业{i}有限公司\n", credit_code(i)));
    }
    std::fs::write(&file, csv).unwrap();
    let up = run(
        pubdata(&["aggregate", "upload", &market.to_string(), &file.to_string_lossy(), "--data-dir", &dir_arg(&d)]),
        None,
    );
    assert_eq!(up.code, 0, "{}{}", up.stdout, up.stderr);
    let bulk = demo_grant(&d, market, &["credit_code", "enterprise_name"], Delivery::Bulk);
    let api = demo_grant(&d, market, &["credit_code"], Delivery::Api);

    let grants = run(pubdata(&["share", "grants", "--data-dir", &dir_arg(&d)]), None);
    assert_eq!(grants.code, 0, "{}", grants.stderr);
    assert!(grants.stdout.lines().any(|l| l.starts_with(&format!("{bulk}\tactive\t")) && l.contains("\tbulk\t")));
    let requests = run(pubdata(&["share", "requests", "--state", "granted", "--data-dir", &dir_arg(&d)]), None);
    assert_eq!(requests.code, 0, "{}", requests.stderr);
    assert_eq!(requests.stdout.lines().count(), 2, "{}", requests.stdout);

    let output = d.path().join("export.csv");
    let args = |grant: i64, format: &str, output: &std::path::Path| {
        let mut a: Vec<String> = ["share", "export", "--grant", &grant.to_string(), "--format", format, "--output"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        a.extend([output.to_string_lossy().to_string(), "--data-dir".into(), dir_arg(&d)]);
        a
    };
    let a = args(bulk, "csv", &output);
    let done = run(pubdata(&a.iter().map(String::as_str).collect::<Vec<_>>()), None);
    assert_eq!(done.code, 0, "{}{}", done.stdout, done.stderr);
    assert!(done.stdout.contains("rows: 500"), "{}", done.stdout);
    let bytes = std::fs::read(&output).unwrap();
    assert!(done.stdout.contains(&format!("bytes: {}", bytes.len())), "{}", done.stdout);
    use sha2::Digest;
    assert!(done.stdout.contains(&hex::encode(sha2::Sha256::digest(&bytes))), "{}", done.stdout);
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.starts_with("\u{feff}credit_code,enterprise_name\n"), "{}", &text[..60]);
    assert_eq!(text.lines().count(), 501);
    assert!(text.contains(&format!("{},宁波市鄞州区测试企业7有限公司", credit_code(7))));

    // A filter narrows the rows; a JSON Lines file holds one object per row.
    let filtered = d.path().join("one.jsonl");
    let mut a = args(bulk, "jsonl", &filtered);
    a.extend(["--filter".into(), format!("credit_code={}", credit_code(9))]);
    let done = run(pubdata(&a.iter().map(String::as_str).collect::<Vec<_>>()), None);
    assert_eq!(done.code, 0, "{}{}", done.stdout, done.stderr);
    let line: serde_json::Value = serde_json::from_str(std::fs::read_to_string(&filtered).unwrap().trim()).unwrap();
    assert_eq!(
        line,
        serde_json::json!({"credit_code": credit_code(9), "enterprise_name": "宁波市鄞州区测试企业9有限公司"})
    );

    // An existing file is not overwritten; a grant for API calls is not exported.
    let again = run(pubdata(&args(bulk, "csv", &output).iter().map(String::as_str).collect::<Vec<_>>()), None);
    assert_eq!(again.code, 2, "{}", again.stderr);
    let refused_file = d.path().join("api.csv");
    let refused = run(pubdata(&args(api, "csv", &refused_file).iter().map(String::as_str).collect::<Vec<_>>()), None);
    assert_eq!(refused.code, 1, "{}{}", refused.stdout, refused.stderr);
    assert!(refused.stderr.contains("bulk"), "{}", refused.stderr);
    assert!(!refused_file.exists());

    // Each export is on the audit trail as the data access it is, and the chain holds.
    assert_eq!(scalar(&d, "SELECT COUNT(*) FROM audit_entries WHERE action = 'sharing.export_download'"), Some(2));
    let verify = run(pubdata(&["audit", "verify", "--data-dir", &dir_arg(&d)]), None);
    assert_eq!(verify.code, 0, "{}", verify.stdout);
}
