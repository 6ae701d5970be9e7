//! Aggregation (Ch.3) over storage, on SQLite and PostgreSQL: delivering batches of the real
//! Zhejiang enterprise registry, checking them against the catalog, provenance, modes, and
//! recovery of interrupted deliveries.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{agency, person};

use pubdata_domain::aggregation::{BatchState, Channel, Mode, OnError};
use pubdata_domain::catalog::{
    DataItem, Delivery, ItemType, Level, OpenAttribute, ResourceDocument, ReviewAction, ShareAttribute, ShareTerm,
    StorageFormat, UpdateCycle,
};
use pubdata_domain::identity::{Caller, Role};
use pubdata_ingest::{EncodingChoice, Format, ReadOptions};
use pubdata_store::aggregation::{self, Batch, DeliveryRequest};
use pubdata_store::catalog::Catalog;
use pubdata_store::catalog::resources;
use pubdata_store::{Error, Store, bootstrap};
use pubdata_testkit::{TestDb, backend_tests};
use std::collections::HashSet;
use std::io::Cursor;
use std::time::Duration;

const REGISTRY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/zj-enterprise-2002.csv");

struct District {
    cat: Catalog,
    market_officer: Caller,
    tax_officer: Caller,
    staff: Caller,
    resource: i64,
}

fn item(code: &str, name: &str, t: ItemType, length: Option<u32>) -> DataItem {
    DataItem {
        code: code.into(),
        name: name.into(),
        item_type: t,
        length,
        precision: None,
        scale: None,
        required: false,
        unique_key: false,
        description: String::new(),
        level: Level::L1,
        code_list: vec![],
    }
}

/// The registry's columns as a market-regulation resource.
fn registry_resource(provider: i64) -> ResourceDocument {
    ResourceDocument {
        name: "企业登记信息".into(),
        business_name: "企业设立登记".into(),
        source_system: "市场主体登记管理系统".into(),
        description: "浙江省 2002 年登记企业的基本信息".into(),
        provider_org_id: provider,
        category: "market".into(),
        level: Level::L1,
        storage_format: StorageFormat::DatabaseTable,
        share: ShareAttribute::Unconditional,
        open: OpenAttribute::Unconditional,
        delivery: vec![Delivery::Api, Delivery::Bulk],
        update_cycle: UpdateCycle::Daily,
        share_term: ShareTerm::LongTerm,
        contact_name: "王明".into(),
        contact_phone: "0574-87000000".into(),
        contact_email: String::new(),
        state_secret: false,
        items: vec![
            DataItem { required: true, ..item("enterprise_name", "企业名称", ItemType::String, Some(200)) },
            DataItem {
                required: true,
                unique_key: true,
                ..item("credit_code", "统一社会信用代码", ItemType::String, Some(18))
            },
            item("registered_on", "注册日期", ItemType::Date, None),
            item("enterprise_type", "企业类型", ItemType::String, Some(100)),
            item("legal_rep", "法人代表", ItemType::String, Some(50)),
            item("capital", "注册资金", ItemType::String, Some(100)),
            item("scope", "经营范围", ItemType::Text, None),
            item("province", "所在省份", ItemType::String, Some(20)),
            item("city", "地区", ItemType::String, Some(20)),
            item("address", "注册地址", ItemType::String, Some(300)),
        ],
    }
}

async fn district(db: &TestDb) -> District {
    let store = &db.store;
    bootstrap::ensure_initialized(store, "测试主管部门", false).await.unwrap();
    let system = Caller::system("test");
    let market = agency(store, &system, "区市场监督管理局").await;
    let tax = agency(store, &system, "区税务局").await;
    let market_officer = person(store, &system, "market-officer", market, Role::AgencyDataOfficer).await;
    let tax_officer = person(store, &system, "tax-officer", tax, Role::AgencyDataOfficer).await;
    let staff = person(store, &system, "reviewer", 1, Role::AuthorityStaff).await;
    let cat = Catalog::open(store.clone(), None).await.unwrap();
    let resource = resources::create(&cat, &market_officer, registry_resource(market)).await.unwrap();
    resources::review(&cat, &market_officer, resource, ReviewAction::Submit, "", Some("本单位登记数据")).await.unwrap();
    resources::review(&cat, &staff, resource, ReviewAction::Approve, "", None).await.unwrap();
    resources::review(&cat, &staff, resource, ReviewAction::Publish, "", None).await.unwrap();
    District { cat, market_officer, tax_officer, staff, resource }
}

fn request(resource: i64, mode: Mode, on_error: OnError, file: &str) -> DeliveryRequest {
    DeliveryRequest {
        resource_id: resource,
        mode,
        on_error,
        channel: Channel::Cli,
        source_system: "市场主体登记管理系统".into(),
        file_name: file.into(),
        read: ReadOptions::new(Format::from_file_name(file).unwrap_or(Format::Csv)),
        lease: Duration::from_secs(30),
    }
}

async fn deliver(d: &District, req: DeliveryRequest, bytes: Vec<u8>) -> Batch {
    aggregation::deliver(d.cat.store(), &d.market_officer, req, Cursor::new(bytes), None).await.unwrap()
}

async fn audit_count(store: &Store) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_entries").fetch_one(store.reader()).await.unwrap();
    n
}

/// What the registry should yield, computed independently of the platform: rows whose credit
/// code passes GB 32100, and of those the ones whose code was seen before (duplicates).
fn expected_registry() -> (u64, u64, u64) {
    let text = std::fs::read_to_string(REGISTRY).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let (mut rows, mut invalid, mut duplicates) = (0, 0, 0);
    let mut seen = HashSet::new();
    for r in reader.records() {
        let r = r.unwrap();
        rows += 1;
        let code = r[1].trim().to_ascii_uppercase();
        if pubdata_pii::validate::credit_code(&code).is_err() {
            invalid += 1;
        } else if !seen.insert(code) {
            duplicates += 1;
        }
    }
    (rows, invalid, duplicates)
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

fn registry_bytes() -> Vec<u8> {
    std::fs::read(REGISTRY).unwrap()
}

async fn art_10_real_enterprise_registry_is_delivered_with_credit_codes_checked(db: &TestDb) {
    let d = district(db).await;
    let (rows, invalid, duplicates) = expected_registry();
    let batch =
        deliver(&d, request(d.resource, Mode::Append, OnError::SkipRows, "zj-enterprise-2002.csv"), registry_bytes())
            .await;
    assert_eq!(batch.state(), BatchState::Stored, "{batch:?}");
    assert_eq!(batch.rows_read as u64, rows);
    assert_eq!(batch.rows_rejected as u64, invalid + duplicates, "{batch:?}");
    assert_eq!(batch.rows_stored as u64, rows - invalid - duplicates);
    assert_eq!(batch.encoding, "UTF-8");
    assert_eq!(aggregation::count_rows(d.cat.store(), d.resource).await.unwrap(), batch.rows_stored);
    println!(
        "registry: {rows} rows, {invalid} credit codes fail the check character, {duplicates} repeat an earlier code"
    );

    // The report names row, column and reason for the refused codes.
    let errors = aggregation::errors(d.cat.store(), &d.market_officer, batch.id).await.unwrap();
    let code_errors = errors.iter().filter(|e| e.column == "统一社会信用代码").count() as u64;
    assert_eq!(code_errors, invalid);
    assert!(errors.iter().all(|e| e.source_row.is_some_and(|r| r >= 2)), "{errors:?}");

    // Detection (Art.10): the credit codes and the legal representatives' names are found.
    let found: Vec<(String, Option<String>)> = batch.detections().into_iter().map(|c| (c.item_code, c.kind)).collect();
    assert!(found.contains(&("credit_code".into(), Some("credit_code".into()))), "{found:?}");
    assert!(found.contains(&("legal_rep".into(), Some("person_name".into()))), "{found:?}");
    assert!(found.contains(&("enterprise_name".into(), None)), "{found:?}");
}

async fn art_10_gbk_copy_of_the_registry_delivers_the_same_rows(db: &TestDb) {
    let d = district(db).await;
    let text = String::from_utf8(registry_bytes()).unwrap();
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable);
    let batch = deliver(&d, request(d.resource, Mode::Append, OnError::SkipRows, "zj-gbk.csv"), gbk.into_owned()).await;
    let (rows, invalid, duplicates) = expected_registry();
    assert_eq!(batch.state(), BatchState::Stored);
    assert_eq!(batch.encoding, "GBK");
    assert_eq!(batch.rows_stored as u64, rows - invalid - duplicates);
    // The names arrive as Chinese text, not mojibake.
    let (columns, page) = aggregation::rows(d.cat.store(), &d.market_officer, d.resource, 0, 1).await.unwrap();
    let name = columns.iter().position(|c| c == "enterprise_name").unwrap();
    assert_eq!(page[0].2[name].as_deref(), Some("湖州市练市飞一制衣有限公司"));
}

async fn art_10_a_column_outside_the_catalog_refuses_the_batch(db: &TestDb) {
    let d = district(db).await;
    let before = aggregation::count_rows(d.cat.store(), d.resource).await.unwrap();
    let csv = "企业名称,统一社会信用代码,联系电话\n甲公司,91350100M000100Y43,13800000000\n";
    let batch = deliver(&d, request(d.resource, Mode::Append, OnError::SkipRows, "extra.csv"), csv.into()).await;
    assert_eq!(batch.state(), BatchState::Rejected);
    let errors = aggregation::errors(d.cat.store(), &d.market_officer, batch.id).await.unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].column, "联系电话");
    assert!(errors[0].reason.zh.contains("第十条"), "{errors:?}");
    assert_eq!(aggregation::count_rows(d.cat.store(), d.resource).await.unwrap(), before);
}

async fn art_10_reject_mode_refuses_a_batch_with_bad_rows_and_shows_nothing(db: &TestDb) {
    let d = district(db).await;
    let csv = "企业名称,统一社会信用代码,注册日期\n甲公司,91350100M000100Y43,2002-01-01\n乙公司,91350100M000100Y44,2002-02-30\n";
    let batch = deliver(&d, request(d.resource, Mode::Append, OnError::RejectBatch, "bad.csv"), csv.into()).await;
    assert_eq!(batch.state(), BatchState::Rejected);
    assert_eq!((batch.rows_read, batch.rows_stored, batch.rows_rejected), (2, 0, 1));
    let errors = aggregation::errors(d.cat.store(), &d.market_officer, batch.id).await.unwrap();
    let cells: Vec<(Option<i64>, &str)> = errors.iter().map(|e| (e.source_row, e.column.as_str())).collect();
    assert_eq!(cells, [(Some(3), "统一社会信用代码"), (Some(3), "注册日期")]);
    assert_eq!(aggregation::count_rows(d.cat.store(), d.resource).await.unwrap(), 0);
    // The loaded good row was removed, not just hidden.
    let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM rd_{}", d.resource)))
        .fetch_one(d.cat.store().reader())
        .await
        .unwrap();
    assert_eq!(n, 0);

    // Skipping bad rows stores the good one.
    let batch = deliver(&d, request(d.resource, Mode::Append, OnError::SkipRows, "bad.csv"), csv.into()).await;
    assert_eq!((batch.state(), batch.rows_stored, batch.rows_rejected), (BatchState::Stored, 1, 1));
}

async fn art_10_a_refused_batch_reports_every_stored_key_it_repeats_after_its_first_bad_row(db: &TestDb) {
    let d = district(db).await;
    let csv = format!("企业名称,统一社会信用代码\n甲公司,{}\n乙公司,{}\n", credit_code(1), credit_code(2));
    let first = deliver(&d, request(d.resource, Mode::Append, OnError::RejectBatch, "first.csv"), csv.into()).await;
    assert_eq!(first.state(), BatchState::Stored);
    // A bad row first, then two keys already stored, then a new one: refused whole, and the
    // report lists the stored keys as well, not only the bad row before them.
    let csv = format!(
        "企业名称,统一社会信用代码,注册日期\n丙公司,{},2002-02-30\n甲公司,{},2002-03-01\n乙公司,{},\n丁公司,{},\n",
        credit_code(3),
        credit_code(1),
        credit_code(2),
        credit_code(4)
    );
    let batch = deliver(&d, request(d.resource, Mode::Append, OnError::RejectBatch, "second.csv"), csv.into()).await;
    assert_eq!(batch.state(), BatchState::Rejected);
    let errors = aggregation::errors(d.cat.store(), &d.market_officer, batch.id).await.unwrap();
    assert_eq!((batch.rows_read, batch.rows_stored, batch.rows_rejected), (4, 0, 3));
    let rows: Vec<(Option<i64>, &str)> = errors.iter().map(|e| (e.source_row, e.column.as_str())).collect();
    assert_eq!(rows, [(Some(2), "注册日期"), (Some(3), "统一社会信用代码"), (Some(4), "统一社会信用代码")]);
    assert!(errors[1].reason.en.contains("already stored"), "{:?}", errors[1].reason);
    // Only the first batch's rows are stored, and nothing of the refused one is left behind.
    assert_eq!(aggregation::count_rows(d.cat.store(), d.resource).await.unwrap(), 2);
    let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM rd_{}", d.resource)))
        .fetch_one(d.cat.store().reader())
        .await
        .unwrap();
    assert_eq!(n, 2);
}

/// The names of a data table's indexes, on either backend.
async fn index_names(store: &Store, table: &str) -> Vec<String> {
    let sql = match store.backend() {
        pubdata_store::Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 ORDER BY name"
        }
        pubdata_store::Backend::Postgres => {
            "SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1 ORDER BY 1"
        }
    };
    sqlx::query_scalar(sql).bind(table).fetch_all(store.reader()).await.unwrap()
}

async fn art_12_batch_records_provenance_and_rows_trace_to_it(db: &TestDb) {
    let d = district(db).await;
    let store = d.cat.store();
    let csv = "企业名称,统一社会信用代码\n甲公司,91350100M000100Y43\n";
    let audit_before = audit_count(store).await;
    let batch = deliver(&d, request(d.resource, Mode::Append, OnError::RejectBatch, "one.csv"), csv.into()).await;
    use sm3::Digest;
    assert_eq!(batch.sm3.as_deref(), Some(hex::encode(sm3::Sm3::digest(csv.as_bytes())).as_str()));
    assert_eq!(batch.file_bytes, Some(csv.len() as i64));
    assert_eq!(batch.sha256.as_ref().map(String::len), Some(64));
    assert_eq!(
        (batch.created_by.as_str(), batch.channel.as_str(), batch.file_name.as_str()),
        ("market-officer", "cli", "one.csv")
    );
    assert_eq!(batch.source_system, "市场主体登记管理系统");
    assert_eq!(batch.resource_version, 1);
    // Started and stored: two audit entries.
    assert_eq!(audit_count(store).await, audit_before + 2);
    let (_, rows) = aggregation::rows(store, &d.market_officer, d.resource, 0, 10).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].1, batch.id, "each row names the batch that delivered it");
    // Reading rows is itself audited.
    assert_eq!(audit_count(store).await, audit_before + 3);
    // Another agency cannot see the batch; the authority can.
    assert!(matches!(aggregation::batch(store, &d.tax_officer, batch.id).await, Err(Error::NotFound { .. })));
    assert_eq!(aggregation::batch(store, &d.staff, batch.id).await.unwrap().id, batch.id);
}

async fn art_12_upsert_replaces_by_key_and_replaced_rows_stay_retrievable(db: &TestDb) {
    let d = district(db).await;
    let store = d.cat.store();
    let first = "企业名称,统一社会信用代码\n甲公司,91350100M000100Y43\n乙公司,92330281MA2ENBUA1R\n";
    let b1 = deliver(&d, request(d.resource, Mode::Append, OnError::RejectBatch, "b1.csv"), first.into()).await;
    // Appending a stored key is refused: append cannot overwrite.
    let again = "企业名称,统一社会信用代码\n甲公司（新）,91350100M000100Y43\n";
    let refused = deliver(&d, request(d.resource, Mode::Append, OnError::RejectBatch, "b2.csv"), again.into()).await;
    assert_eq!(refused.state(), BatchState::Rejected);
    let errors = aggregation::errors(store, &d.market_officer, refused.id).await.unwrap();
    assert!(errors[0].reason.en.contains("use upsert"), "{errors:?}");
    // Upsert replaces that row only.
    let b3 = deliver(&d, request(d.resource, Mode::Upsert, OnError::RejectBatch, "b3.csv"), again.into()).await;
    assert_eq!((b3.state(), b3.rows_stored, b3.rows_retired), (BatchState::Stored, 1, 1));
    let (columns, rows) = aggregation::rows(store, &d.market_officer, d.resource, 0, 10).await.unwrap();
    let name = columns.iter().position(|c| c == "enterprise_name").unwrap();
    let mut names: Vec<String> = rows.iter().map(|r| r.2[name].clone().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["乙公司", "甲公司（新）"]);
    // The first batch's rows are still there, replaced or not.
    let (_, old) = aggregation::batch_rows(store, &d.market_officer, b1.id, 0, 10).await.unwrap();
    assert_eq!(old.len(), 2);
    // Duplicate keys within one batch are named by row.
    let dup = "企业名称,统一社会信用代码\n丙,91350100M000100Y43\n丁,91350100M000100Y43\n";
    let b4 = deliver(&d, request(d.resource, Mode::Upsert, OnError::SkipRows, "b4.csv"), dup.into()).await;
    assert_eq!((b4.rows_stored, b4.rows_rejected), (1, 1));
    let errors = aggregation::errors(store, &d.market_officer, b4.id).await.unwrap();
    assert_eq!(errors[0].source_row, Some(3));
    assert!(errors[0].reason.zh.contains("第 2 行"), "{errors:?}");
    assert_eq!((errors[0].column.as_str(), errors[0].value.as_str()), ("统一社会信用代码", "91350100M000100Y43"));
}

async fn art_12_replace_swaps_every_row_at_once(db: &TestDb) {
    let d = district(db).await;
    let store = d.cat.store();
    let first = "企业名称,统一社会信用代码\n甲公司,91350100M000100Y43\n乙公司,92330281MA2ENBUA1R\n";
    deliver(&d, request(d.resource, Mode::Append, OnError::RejectBatch, "b1.csv"), first.into()).await;
    let second = "企业名称,统一社会信用代码\n丙公司,91350100M000100Y43\n";
    let b = deliver(&d, request(d.resource, Mode::Replace, OnError::RejectBatch, "b2.csv"), second.into()).await;
    assert_eq!((b.rows_stored, b.rows_retired), (1, 2));
    assert_eq!(aggregation::count_rows(store, d.resource).await.unwrap(), 1);
    // A refused replacement leaves the current rows exactly as they were.
    let bad = "企业名称,统一社会信用代码\n丁公司,123\n";
    let r = deliver(&d, request(d.resource, Mode::Replace, OnError::RejectBatch, "b3.csv"), bad.into()).await;
    assert_eq!(r.state(), BatchState::Rejected);
    let (_, rows) = aggregation::rows(store, &d.market_officer, d.resource, 0, 10).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].1, b.id);
}

async fn art_10_only_the_provider_delivers_and_only_published_resources(db: &TestDb) {
    let d = district(db).await;
    let store = d.cat.store();
    let csv = "企业名称,统一社会信用代码\n甲公司,91350100M000100Y43\n";
    let req = request(d.resource, Mode::Append, OnError::RejectBatch, "x.csv");
    let err =
        aggregation::deliver(store, &d.tax_officer, req, Cursor::new(csv.as_bytes().to_vec()), None).await.unwrap_err();
    assert!(matches!(err, Error::Domain(pubdata_domain::Error::OutOfScope(_))), "{err:?}");
    let req = request(d.resource, Mode::Append, OnError::RejectBatch, "x.csv");
    let err = aggregation::deliver(store, &d.staff, req, Cursor::new(csv.as_bytes().to_vec()), None).await.unwrap_err();
    assert!(matches!(err, Error::Domain(pubdata_domain::Error::Forbidden(_))), "{err:?}");
    // A draft resource takes no data yet.
    let mut doc = registry_resource(d.market_officer.principal.org_id.unwrap().0);
    doc.name = "企业年报信息".into();
    let draft = resources::create(&d.cat, &d.market_officer, doc).await.unwrap();
    let req = request(draft, Mode::Append, OnError::RejectBatch, "x.csv");
    let err = aggregation::deliver(store, &d.market_officer, req, Cursor::new(csv.as_bytes().to_vec()), None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Domain(pubdata_domain::Error::Conflict(_))), "{err:?}");
    assert!(aggregation::batches(store, &d.market_officer, draft).await.unwrap().is_empty());
}

async fn art_10_empty_and_header_only_files_are_refused_with_a_reason(db: &TestDb) {
    let d = district(db).await;
    let empty = deliver(&d, request(d.resource, Mode::Append, OnError::SkipRows, "empty.csv"), Vec::new()).await;
    assert_eq!(empty.state(), BatchState::Rejected);
    assert!(empty.failure_text().unwrap().en.contains("empty"), "{empty:?}");
    let header = deliver(
        &d,
        request(d.resource, Mode::Append, OnError::SkipRows, "h.csv"),
        "企业名称,统一社会信用代码\n".into(),
    )
    .await;
    assert_eq!(header.state(), BatchState::Rejected);
    assert!(header.failure_text().unwrap().en.contains("no data rows"), "{header:?}");
    let mut bad_jsonl = request(d.resource, Mode::Append, OnError::SkipRows, "x.jsonl");
    bad_jsonl.read = ReadOptions::new(Format::JsonLines).with_encoding(EncodingChoice::Auto);
    let lines =
        "{\"enterprise_name\":\"甲公司\",\"credit_code\":\"91350100M000100Y43\"}\n{\"enterprise_name\": broken\n";
    let b = deliver(&d, bad_jsonl, lines.into()).await;
    assert_eq!((b.state(), b.rows_stored, b.rows_rejected), (BatchState::Stored, 1, 1));
}

async fn art_12_interrupted_delivery_is_failed_by_recovery_and_shows_no_rows(db: &TestDb) {
    let d = district(db).await;
    let store = d.cat.store().clone();
    // A source that yields 20,000 rows and then stalls, as a client whose connection hangs.
    struct Stalling {
        data: Cursor<Vec<u8>>,
        stalled: std::sync::Arc<std::sync::atomic::AtomicBool>,
    }
    impl std::io::Read for Stalling {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.data.read(buf)?;
            if n == 0 {
                self.stalled.store(true, std::sync::atomic::Ordering::SeqCst);
                std::thread::sleep(Duration::from_secs(3));
            }
            Ok(n)
        }
    }
    let stalled = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut csv = String::from("企业名称,统一社会信用代码\n");
    for i in 0..20_000 {
        csv.push_str(&format!("企业{i},{}\n", credit_code(i)));
    }
    let mut req = request(d.resource, Mode::Append, OnError::SkipRows, "stall.csv");
    req.lease = Duration::from_millis(600);
    let officer = d.market_officer.clone();
    let task = tokio::spawn({
        let store = store.clone();
        let stalled = stalled.clone();
        async move {
            let input = Stalling { data: Cursor::new(csv.into_bytes()), stalled };
            aggregation::deliver(&store, &officer, req, input, None).await
        }
    });
    // Wait until every row has been read and the loader has had them, then the loader "dies".
    // (SQLite has committed them in chunks by then; PostgreSQL holds them in its open `COPY`.)
    let table = format!("SELECT COUNT(*) FROM rd_{}", d.resource);
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !stalled.load(std::sync::atomic::Ordering::SeqCst) {
        assert!(std::time::Instant::now() < deadline, "the rows were never read");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    if store.backend() == pubdata_store::Backend::Sqlite {
        let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(table.clone())).fetch_one(store.reader()).await.unwrap();
        assert!(n > 0, "the rows were loaded");
    }
    // Into the empty table the indexes are built after loading: not yet.
    let data_table = format!("rd_{}", d.resource);
    assert!(!index_names(&store, &data_table).await.iter().any(|n| n.ends_with("_key")));
    task.abort();
    let batch = &aggregation::batches(&store, &d.market_officer, d.resource).await.unwrap()[0];
    assert_eq!(batch.state(), BatchState::Receiving);
    assert_eq!(aggregation::count_rows(&store, d.resource).await.unwrap(), 0, "receiving rows are invisible");
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(aggregation::recover(&store).await.unwrap(), 1);
    let batch = aggregation::batch(&store, &d.market_officer, batch.id).await.unwrap();
    assert_eq!(batch.state(), BatchState::Failed);
    let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(table.clone())).fetch_one(store.reader()).await.unwrap();
    assert_eq!(n, 0, "the loaded rows were removed");
    // Recovery rebuilt the indexes the dead loader had dropped.
    let indexes = index_names(&store, &data_table).await;
    for wanted in ["_batch", "_key"] {
        assert!(indexes.contains(&format!("{data_table}{wanted}")), "{indexes:?}");
    }
    // The resource takes deliveries again.
    let csv = "企业名称,统一社会信用代码\n甲公司,91350100M000100Y43\n";
    let b = deliver(&d, request(d.resource, Mode::Append, OnError::RejectBatch, "ok.csv"), csv.into()).await;
    assert_eq!(b.state(), BatchState::Stored);
}

async fn art_12_delivery_status_shows_the_next_due_date(db: &TestDb) {
    let d = district(db).await;
    let store = d.cat.store();
    let none = aggregation::status(store, &d.market_officer, d.resource).await.unwrap();
    assert_eq!((none.rows, none.last_batch_id, none.next_due.clone()), (0, None, None));
    let csv = "企业名称,统一社会信用代码\n甲公司,91350100M000100Y43\n";
    let b = deliver(&d, request(d.resource, Mode::Append, OnError::RejectBatch, "ok.csv"), csv.into()).await;
    let status = aggregation::status(store, &d.market_officer, d.resource).await.unwrap();
    assert_eq!((status.rows, status.last_batch_id), (1, Some(b.id)));
    // A daily resource is due by the next working day after its delivery.
    let delivered = pubdata_domain::timefmt::district_date(
        pubdata_domain::timefmt::parse_instant(b.finished_at.as_deref().unwrap()).unwrap(),
    );
    let calendar = pubdata_store::calendar::load(store).await.unwrap();
    let expected = pubdata_domain::timefmt::format_date(calendar.add_working_days(delivered, 1));
    assert_eq!(status.next_due.as_deref(), Some(expected.as_str()));
    assert!(!status.overdue);
}

backend_tests!(
    art_10_real_enterprise_registry_is_delivered_with_credit_codes_checked,
    art_10_gbk_copy_of_the_registry_delivers_the_same_rows,
    art_10_a_column_outside_the_catalog_refuses_the_batch,
    art_10_reject_mode_refuses_a_batch_with_bad_rows_and_shows_nothing,
    art_10_a_refused_batch_reports_every_stored_key_it_repeats_after_its_first_bad_row,
    art_12_batch_records_provenance_and_rows_trace_to_it,
    art_12_upsert_replaces_by_key_and_replaced_rows_stay_retrievable,
    art_12_replace_swaps_every_row_at_once,
    art_10_only_the_provider_delivers_and_only_published_resources,
    art_10_empty_and_header_only_files_are_refused_with_a_reason,
    art_12_interrupted_delivery_is_failed_by_recovery_and_shows_no_rows,
    art_12_delivery_status_shows_the_next_due_date,
);
