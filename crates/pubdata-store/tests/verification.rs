//! Data verification (Art.11) over storage, on SQLite and PostgreSQL: cross-checks of market
//! regulation's enterprise registry (the real Zhejiang extract) against tax registrations, the
//! tasks they open, the providers' answers and the authority's closing, working-day deadlines
//! around National Day, who sees what, and one audit entry per step; and scheduled cross-checks:
//! due dates on the working-day calendar, one open task per schedule, one run per date across
//! instances, and failures kept without stopping the others.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{agency, person};

use pubdata_domain::aggregation::{BatchState, Channel, Mode, OnError};
use pubdata_domain::catalog::{
    DataItem, Delivery, ItemType, Level, OpenAttribute, ResourceDocument, ReviewAction, ShareAttribute, ShareTerm,
    StorageFormat, UpdateCycle,
};
use pubdata_domain::identity::{Caller, Permission, Role};
use pubdata_domain::timefmt;
use pubdata_domain::verification::schedule::NewSchedule;
use pubdata_domain::verification::{AnswerInput, AnswerKind, CrossCheckSpec, ManualTask, TaskAction, TaskState};
use pubdata_ingest::{Format, ReadOptions};
use pubdata_store::aggregation::{self, Batch, DeliveryRequest};
use pubdata_store::catalog::{Catalog, resources};
use pubdata_store::verification::{self, TaskFilter, TaskList, schedules};
use pubdata_store::{Error, Store, bootstrap};
use pubdata_testkit::{TestDb, backend_tests};
use std::io::Cursor;
use std::time::Duration;
use time::macros::date;

const REGISTRY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/zj-enterprise-2002.csv");

/// Market regulation and tax (the two providers), civil affairs (an agency not involved), the
/// authority's staff and a supervisor.
struct District {
    cat: Catalog,
    market: i64,
    tax: i64,
    market_officer: Caller,
    tax_officer: Caller,
    civil_officer: Caller,
    staff: Caller,
    supervisor: Caller,
}

async fn district(db: &TestDb) -> District {
    let store = &db.store;
    bootstrap::ensure_initialized(store, "测试主管部门", false).await.unwrap();
    let system = Caller::system("test");
    let market = agency(store, &system, "区市场监督管理局").await;
    let tax = agency(store, &system, "区税务局").await;
    let civil = agency(store, &system, "区民政局").await;
    let supervising = agency(store, &system, "区委网信办").await;
    District {
        cat: Catalog::open(store.clone(), None).await.unwrap(),
        market,
        tax,
        market_officer: person(store, &system, "market-officer", market, Role::AgencyDataOfficer).await,
        tax_officer: person(store, &system, "tax-officer", tax, Role::AgencyDataOfficer).await,
        civil_officer: person(store, &system, "civil-officer", civil, Role::AgencyDataOfficer).await,
        staff: person(store, &system, "checker", 1, Role::AuthorityStaff).await,
        supervisor: person(store, &system, "watcher", supervising, Role::Supervisor).await,
    }
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

fn key(code: &str, name: &str) -> DataItem {
    DataItem { required: true, unique_key: true, ..item(code, name, ItemType::String, Some(18)) }
}

fn document(name: &str, provider: i64, source_system: &str, items: Vec<DataItem>) -> ResourceDocument {
    ResourceDocument {
        name: name.into(),
        business_name: "市场主体管理".into(),
        source_system: source_system.into(),
        description: String::new(),
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
        items,
    }
}

/// The registry's columns as market regulation's resource.
fn registry(provider: i64) -> ResourceDocument {
    let text = |code: &str, name: &str, n| item(code, name, ItemType::String, Some(n));
    document(
        "企业登记信息",
        provider,
        "市场主体登记管理系统",
        vec![
            DataItem { required: true, ..text("enterprise_name", "企业名称", 200) },
            key("credit_code", "统一社会信用代码"),
            item("registered_on", "注册日期", ItemType::Date, None),
            text("enterprise_type", "企业类型", 100),
            text("legal_rep", "法人代表", 50),
            text("capital", "注册资金", 100),
            item("scope", "经营范围", ItemType::Text, None),
            text("province", "所在省份", 20),
            text("city", "地区", 20),
            text("address", "注册地址", 300),
        ],
    )
}

/// Tax's registration of the same enterprises: its own codes for the items.
fn taxpayers(provider: i64) -> ResourceDocument {
    document(
        "纳税人登记信息",
        provider,
        "金税三期核心征管系统",
        vec![
            key("uscc", "统一社会信用代码"),
            item("taxpayer_name", "纳税人名称", ItemType::String, Some(200)),
            item("address", "生产经营地址", ItemType::String, Some(300)),
        ],
    )
}

async fn publish(d: &District, provider: &Caller, doc: ResourceDocument) -> i64 {
    let id = resources::create(&d.cat, provider, doc).await.unwrap();
    resources::review(&d.cat, provider, id, ReviewAction::Submit, "", Some("本单位登记数据")).await.unwrap();
    for action in [ReviewAction::Approve, ReviewAction::Publish] {
        resources::review(&d.cat, &d.staff, id, action, "", None).await.unwrap();
    }
    id
}

async fn deliver(d: &District, caller: &Caller, resource: i64, mode: Mode, on_error: OnError, csv: String) -> Batch {
    let req = DeliveryRequest {
        resource_id: resource,
        mode,
        on_error,
        channel: Channel::Cli,
        source_system: "测试".into(),
        file_name: "rows.csv".into(),
        read: ReadOptions::new(Format::Csv),
        lease: Duration::from_secs(30),
    };
    aggregation::deliver(d.cat.store(), caller, req, Cursor::new(csv.into_bytes()), None).await.unwrap()
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

/// Market regulation's and tax's small resources (`enterprise_name`/`taxpayer_name`), each
/// holding the given (code number, name) rows.
async fn two_registers(d: &District, market_rows: &[(u32, &str)], tax_rows: &[(u32, &str)]) -> (i64, i64) {
    let market_doc = document(
        "企业基本信息",
        d.market,
        "市场主体登记管理系统",
        vec![key("credit_code", "统一社会信用代码"), item("enterprise_name", "企业名称", ItemType::String, Some(200))],
    );
    let market = publish(d, &d.market_officer, market_doc).await;
    let tax = publish(d, &d.tax_officer, taxpayers(d.tax)).await;
    let csv = |header: &str, rows: &[(u32, &str)]| {
        let mut s = format!("{header}\n");
        for (n, name) in rows {
            s.push_str(&format!("{},{name}\n", credit_code(*n)));
        }
        s
    };
    let b = deliver(
        d,
        &d.market_officer,
        market,
        Mode::Append,
        OnError::RejectBatch,
        csv("统一社会信用代码,企业名称", market_rows),
    )
    .await;
    assert_eq!(b.state(), BatchState::Stored, "{b:?}");
    let b =
        deliver(d, &d.tax_officer, tax, Mode::Append, OnError::RejectBatch, csv("uscc,taxpayer_name", tax_rows)).await;
    assert_eq!(b.state(), BatchState::Stored, "{b:?}");
    (market, tax)
}

fn names_spec(market: i64, tax: i64) -> CrossCheckSpec {
    CrossCheckSpec {
        resource_a: market,
        resource_b: tax,
        item_a: "enterprise_name".into(),
        item_b: Some("taxpayer_name".into()),
        ..CrossCheckSpec::default()
    }
}

async fn audit_count(store: &Store) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_entries").fetch_one(store.reader()).await.unwrap();
    n
}

/// The newest audit entry: (action, object type, object id, summary).
async fn last_audit(store: &Store) -> (String, String, Option<String>, serde_json::Value) {
    let (action, object_type, object_id, summary): (String, String, Option<String>, String) =
        sqlx::query_as("SELECT action, object_type, object_id, summary FROM audit_entries ORDER BY seq DESC LIMIT 1")
            .fetch_one(store.reader())
            .await
            .unwrap();
    (action, object_type, object_id, serde_json::from_str(&summary).unwrap())
}

async fn count(store: &Store, table: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(store.reader())
        .await
        .unwrap();
    n
}

fn problem_fields(e: &Error) -> Vec<String> {
    match e {
        Error::Domain(pubdata_domain::Error::Problems(p)) => p.iter().map(|p| p.field.clone()).collect(),
        Error::Domain(pubdata_domain::Error::Invalid { field, .. }) => vec![field.clone()],
        other => panic!("expected problems, got {other:?}"),
    }
}

fn confirmed(explanation: &str) -> AnswerInput {
    AnswerInput { kind: Some(AnswerKind::Confirmed), batch_id: None, explanation: explanation.into() }
}

fn corrected(batch: i64) -> AnswerInput {
    AnswerInput {
        kind: Some(AnswerKind::Corrected), batch_id: Some(batch), explanation: "已按营业执照更正".into()
    }
}

fn manual(resource: i64, working_days: Option<i64>) -> ManualTask {
    ManualTask {
        resource_id: resource,
        description: "群众反映该企业注册地址已变更，平台数据仍为旧地址".into(),
        working_days,
    }
}

async fn art_11_cross_check_opens_a_task_for_conflicting_values(db: &TestDb) {
    let d = district(db).await;
    let store = &db.store;
    // Market regulation delivers the real registry; tax registered 200 of its enterprises,
    // one under a different name and one without a name.
    let market = publish(&d, &d.market_officer, registry(d.market)).await;
    let tax = publish(&d, &d.tax_officer, taxpayers(d.tax)).await;
    let b = deliver(
        &d,
        &d.market_officer,
        market,
        Mode::Append,
        OnError::SkipRows,
        std::fs::read_to_string(REGISTRY).unwrap(),
    )
    .await;
    assert_eq!(b.state(), BatchState::Stored);
    let (columns, rows) = aggregation::rows(store, &d.market_officer, market, 0, 200).await.unwrap();
    let (code, name) = (
        columns.iter().position(|c| c == "credit_code").unwrap(),
        columns.iter().position(|c| c == "enterprise_name").unwrap(),
    );
    let mut csv = String::from("uscc,taxpayer_name,address\n");
    let mut renamed = None;
    for (n, (_, _, values)) in rows.iter().enumerate() {
        let (c, mut registered) = (values[code].clone().unwrap(), values[name].clone().unwrap());
        if n == 17 {
            renamed = Some((c.clone(), registered.clone()));
            registered = format!("{registered}（税务登记名）");
        } else if n == 42 {
            registered = String::new();
        }
        csv.push_str(&format!("{c},\"{registered}\",\n"));
    }
    let b = deliver(&d, &d.tax_officer, tax, Mode::Append, OnError::RejectBatch, csv).await;
    assert_eq!((b.state(), b.rows_stored), (BatchState::Stored, 200), "{b:?}");

    let out = verification::run_cross_check(store, &d.staff, names_spec(market, tax)).await.unwrap();
    let run = &out.cross_check;
    assert_eq!((run.key_item_a.as_str(), run.key_item_b.as_str()), ("credit_code", "uscc"), "found by identifier");
    assert_eq!(run.key_kind.as_deref(), Some("credit_code"));
    assert_eq!((run.keys_compared, run.conflicts, run.rows_read), (200, 1, 200));
    let task = out.task.as_ref().expect("values differ: a task is opened");
    assert_eq!(run.task_id, Some(task.id));
    assert_eq!(task.state, TaskState::Open);
    assert_eq!(task.title, "「企业登记信息」与「纳税人登记信息」的「企业名称」不一致");
    let addressed: Vec<(i64, i64, &str)> =
        task.providers.iter().map(|p| (p.org_id, p.resource.id, p.side.as_str())).collect();
    assert_eq!(addressed, vec![(d.market, market, "a"), (d.tax, tax, "b")]);
    let (renamed_code, registered) = renamed.unwrap();
    assert_eq!(task.conflicts.len(), 1);
    let conflict = &task.conflicts[0];
    assert_eq!(conflict.key, renamed_code);
    assert_eq!(conflict.value_a, registered);
    assert_eq!(conflict.value_b, format!("{registered}（税务登记名）"));
    assert_eq!(task.working_days, 10);
    let calendar = pubdata_store::calendar::load(store).await.unwrap();
    let opened = timefmt::district_date(timefmt::parse_instant(&task.opened_at).unwrap());
    assert_eq!(task.due_on, timefmt::format_date(calendar.add_working_days(opened, 10)));
    assert!(!task.overdue);

    // One audit entry: the opening, which records the comparison and the data it read.
    let (action, object_type, object_id, summary) = last_audit(store).await;
    assert_eq!((action.as_str(), object_type.as_str()), ("verification.open", "verification"));
    assert_eq!(object_id, Some(task.id.to_string()));
    assert_eq!(summary["origin"], "cross_check");
    assert_eq!(summary["detail"]["data_access"]["resource_ids"], serde_json::json!([market, tax]));
    assert_eq!(summary["detail"]["data_access"]["rows"], 200);
    assert_eq!(summary["detail"]["comparison"]["conflicts"], 1);
    let history = verification::cross_checks(store, &d.staff).await.unwrap();
    assert_eq!(history.iter().map(|c| (c.id, c.task_id)).collect::<Vec<_>>(), vec![(run.id, Some(task.id))]);
}

async fn art_11_no_conflict_opens_no_task(db: &TestDb) {
    let d = district(db).await;
    let store = &db.store;
    let rows = [(1, "宁波甲贸易有限公司"), (2, "宁波乙制造有限公司"), (3, "宁波丙科技有限公司")];
    // Tax lacks one enterprise and knows another that market regulation does not.
    let (market, tax) =
        two_registers(&d, &rows, &[(1, "宁波甲贸易有限公司"), (2, "宁波乙制造有限公司"), (9, "宁波庚有限公司")]).await;
    let before = audit_count(store).await;
    let out = verification::run_cross_check(store, &d.staff, names_spec(market, tax)).await.unwrap();
    assert!(out.task.is_none(), "identical values open no task");
    assert_eq!((out.cross_check.keys_compared, out.cross_check.conflicts, out.cross_check.task_id), (2, 0, None));
    assert_eq!(audit_count(store).await, before + 1);
    let (action, object_type, object_id, summary) = last_audit(store).await;
    assert_eq!((action.as_str(), object_type.as_str()), ("verification.cross_check", "cross_check"));
    assert_eq!(object_id, Some(out.cross_check.id.to_string()));
    assert_eq!(summary["data_access"]["rows"], 2);
    assert_eq!(summary["comparison"]["keys_compared"], 2);
    let history = verification::cross_checks(store, &d.staff).await.unwrap();
    assert_eq!(history.len(), 1, "the run is kept");
    assert!(verification::list(store, &d.staff, TaskList::All, TaskFilter::default()).await.unwrap().is_empty());
    assert_eq!(count(store, "verification_conflicts").await, 0);
}

async fn art_11_providers_answer_and_the_authority_closes(db: &TestDb) {
    let d = district(db).await;
    let store = &db.store;
    let (market, tax) = two_registers(
        &d,
        &[(1, "宁波甲贸易有限公司"), (2, "宁波乙制造有限公司")],
        &[(1, "宁波甲贸易有限公司"), (2, "宁波乙制造股份有限公司")],
    )
    .await;
    let early = deliver(
        &d,
        &d.market_officer,
        market,
        Mode::Upsert,
        OnError::RejectBatch,
        format!("统一社会信用代码,企业名称\n{},宁波甲贸易有限公司\n", credit_code(1)),
    )
    .await;
    let task = verification::run_cross_check(store, &d.staff, names_spec(market, tax)).await.unwrap().task.unwrap();
    let id = task.id;
    assert_eq!(verification::get(store, &d.market_officer, id).await.unwrap().actions, vec![TaskAction::Answer]);
    assert!(verification::get(store, &d.staff, id).await.unwrap().actions.is_empty());
    let early_close = verification::close(store, &d.staff, id, "结束").await.unwrap_err();
    assert!(matches!(early_close, Error::Domain(pubdata_domain::Error::Conflict(_))), "{early_close:?}");

    // A correction needs a stored batch of one's own resource, delivered since the task opened.
    let err = verification::answer(store, &d.market_officer, id, corrected(early.id)).await.unwrap_err();
    assert_eq!(problem_fields(&err), vec!["batch_id"]);
    let tax_batch = deliver(
        &d,
        &d.tax_officer,
        tax,
        Mode::Upsert,
        OnError::RejectBatch,
        format!("uscc,taxpayer_name\n{},宁波甲贸易有限公司\n", credit_code(1)),
    )
    .await;
    let err = verification::answer(store, &d.market_officer, id, corrected(tax_batch.id)).await.unwrap_err();
    assert_eq!(problem_fields(&err), vec!["batch_id"]);
    let refused = deliver(
        &d,
        &d.market_officer,
        market,
        Mode::Upsert,
        OnError::RejectBatch,
        "统一社会信用代码,企业名称\n913302120000000000,坏代码\n".into(),
    )
    .await;
    assert_eq!(refused.state(), BatchState::Rejected);
    let err = verification::answer(store, &d.market_officer, id, corrected(refused.id)).await.unwrap_err();
    assert_eq!(problem_fields(&err), vec!["batch_id"]);
    let err = verification::answer(store, &d.market_officer, id, corrected(999_999)).await.unwrap_err();
    assert_eq!(problem_fields(&err), vec!["batch_id"]);
    let err = verification::answer(
        store,
        &d.market_officer,
        id,
        AnswerInput { kind: Some(AnswerKind::Corrected), ..AnswerInput::default() },
    )
    .await
    .unwrap_err();
    assert_eq!(problem_fields(&err), vec!["batch_id"]);

    let fix = deliver(
        &d,
        &d.market_officer,
        market,
        Mode::Upsert,
        OnError::RejectBatch,
        format!("统一社会信用代码,企业名称\n{},宁波乙制造股份有限公司\n", credit_code(2)),
    )
    .await;
    assert_eq!(fix.state(), BatchState::Stored);
    let answered = verification::answer(store, &d.market_officer, id, corrected(fix.id)).await.unwrap();
    assert_eq!(answered.state, TaskState::Open, "tax has not answered yet");
    let mine = &answered.providers[0];
    assert_eq!((mine.answer, mine.batch_id, mine.on_time), (Some(AnswerKind::Corrected), Some(fix.id), Some(true)));
    assert_eq!(mine.answered_by.as_deref(), Some("market-officer"));
    let twice = verification::answer(store, &d.market_officer, id, corrected(fix.id)).await.unwrap_err();
    assert!(matches!(twice, Error::Domain(pubdata_domain::Error::Conflict(_))), "{twice:?}");

    // Confirming needs the explanation.
    let err = verification::answer(store, &d.tax_officer, id, confirmed("  ")).await.unwrap_err();
    assert_eq!(problem_fields(&err), vec!["explanation"]);
    let all = verification::answer(store, &d.tax_officer, id, confirmed("以税务登记证载明名称为准，已核对无误"))
        .await
        .unwrap();
    assert_eq!(all.state, TaskState::Answered);
    assert_eq!(all.providers[1].explanation.as_deref(), Some("以税务登记证载明名称为准，已核对无误"));
    assert!(!all.overdue && all.actions.is_empty(), "nothing left for the provider");
    assert_eq!(verification::get(store, &d.staff, id).await.unwrap().actions, vec![TaskAction::Close]);

    let err = verification::close(store, &d.market_officer, id, "结束").await.unwrap_err();
    assert!(matches!(err, Error::Domain(pubdata_domain::Error::Forbidden(Permission::VerificationManage))));
    let err = verification::close(store, &d.staff, id, " ").await.unwrap_err();
    assert_eq!(problem_fields(&err), vec!["comment"]);
    let closed = verification::close(store, &d.staff, id, "市场监管局已更正，名称现已一致").await.unwrap();
    assert_eq!(closed.state, TaskState::Closed);
    assert_eq!(closed.close_comment.as_deref(), Some("市场监管局已更正，名称现已一致"));
    assert_eq!(closed.closed_by.as_deref(), Some("checker"));
    assert!(closed.closed_at.is_some() && closed.actions.is_empty());
    let again = verification::close(store, &d.staff, id, "再次办结").await.unwrap_err();
    assert!(matches!(again, Error::Domain(pubdata_domain::Error::Conflict(_))), "{again:?}");
    // The correction shows: the same cross-check now finds the names equal.
    let rerun = verification::run_cross_check(store, &d.staff, names_spec(market, tax)).await.unwrap();
    assert_eq!((rerun.cross_check.conflicts, rerun.task.is_none()), (0, true));
}

async fn art_11_deadline_counts_working_days_and_overdue_is_listed(db: &TestDb) {
    let d = district(db).await;
    let store = &db.store;
    let (market, _) = two_registers(&d, &[(1, "宁波甲贸易有限公司")], &[(1, "宁波甲贸易有限公司")]).await;
    let national_day = verification::open(store, &d.staff, manual(market, None)).await.unwrap().id;
    let short = verification::open(store, &d.staff, manual(market, Some(3))).await.unwrap().id;
    let long_ago = verification::open(store, &d.staff, manual(market, Some(1))).await.unwrap().id;
    let answered_late = verification::open(store, &d.staff, manual(market, Some(1))).await.unwrap().id;
    let fresh = verification::open(store, &d.staff, manual(market, None)).await.unwrap().id;
    // Opened on Tuesday 29 Sep 2026 at 10:00 in Ningbo and on Wednesday 30 Sep, before the
    // National Day block (1-7 Oct off, Saturday 10 Oct worked).
    for (id, at) in [
        (national_day, "2026-09-29T02:00:00.000000Z"),
        (short, "2026-09-29T16:30:00.000000Z"),
        (long_ago, "2025-03-03T02:00:00.000000Z"),
        (answered_late, "2025-03-03T02:00:00.000000Z"),
    ] {
        db.raw(&format!("UPDATE verification_tasks SET opened_at = '{at}' WHERE id = {id}")).await.unwrap();
    }
    verification::answer(store, &d.market_officer, answered_late, confirmed("地址已核实无误")).await.unwrap();

    let calendar = pubdata_store::calendar::load(store).await.unwrap();
    let expected = calendar.add_working_days(date!(2026 - 09 - 29), 10);
    // 30 Sep, 8, 9, 10 (make-up Saturday), 12, 13, 14, 15, 16, 19 Oct.
    assert_eq!(expected, date!(2026 - 10 - 19));
    let got = verification::get(store, &d.market_officer, national_day).await.unwrap();
    assert_eq!((got.opened_on.as_str(), got.due_on.as_str()), ("2026-09-29", "2026-10-19"));
    // 16:30 UTC on 29 Sep is 00:30 on 30 Sep in Ningbo: 8, 9, 10 Oct.
    let got = verification::get(store, &d.market_officer, short).await.unwrap();
    assert_eq!((got.opened_on.as_str(), got.due_on.as_str()), ("2026-09-30", "2026-10-10"));
    assert_eq!(calendar.add_working_days(date!(2026 - 09 - 30), 3), date!(2026 - 10 - 10));
    let late = verification::get(store, &d.staff, answered_late).await.unwrap();
    assert_eq!((late.state, late.overdue, late.providers[0].on_time), (TaskState::Answered, false, Some(false)));

    let today = timefmt::format_date(timefmt::district_date(timefmt::now()));
    let overdue_only = TaskFilter { overdue_only: true, ..TaskFilter::default() };
    let listed: Vec<i64> =
        verification::list(store, &d.staff, TaskList::All, overdue_only).await.unwrap().iter().map(|t| t.id).collect();
    let mut expected_ids = vec![long_ago];
    if today.as_str() > "2026-10-10" {
        expected_ids.push(short);
    }
    if today.as_str() > "2026-10-19" {
        expected_ids.push(national_day);
    }
    assert_eq!(listed, expected_ids, "open tasks past their due date, newest first; not the fresh one");
    let mine = verification::list(store, &d.market_officer, TaskList::Mine, overdue_only).await.unwrap();
    assert_eq!(mine.iter().map(|t| t.id).collect::<Vec<_>>(), expected_ids);
    let all = verification::list(store, &d.staff, TaskList::All, TaskFilter::default()).await.unwrap();
    assert_eq!(all.len(), 5);
    let newest = &all[0];
    assert_eq!((newest.id, newest.overdue, newest.answered), (fresh, false, 0));
    let answered = TaskFilter { state: Some(TaskState::Answered), ..TaskFilter::default() };
    let ids: Vec<i64> =
        verification::list(store, &d.staff, TaskList::All, answered).await.unwrap().iter().map(|t| t.id).collect();
    assert_eq!(ids, vec![answered_late]);
}

async fn art_11_provider_sees_only_its_tasks(db: &TestDb) {
    let d = district(db).await;
    let store = &db.store;
    let (market, tax) = two_registers(&d, &[(1, "宁波甲贸易有限公司")], &[(1, "宁波甲贸易有限公司")]).await;
    let id = verification::open(store, &d.staff, manual(market, None)).await.unwrap().id;
    verification::run_cross_check(store, &d.staff, names_spec(market, tax)).await.unwrap();
    let ids = |v: Vec<verification::TaskSummary>| v.into_iter().map(|t| t.id).collect::<Vec<_>>();
    let none = TaskFilter::default();
    assert_eq!(ids(verification::list(store, &d.market_officer, TaskList::Mine, none).await.unwrap()), vec![id]);
    assert!(verification::list(store, &d.tax_officer, TaskList::Mine, none).await.unwrap().is_empty());
    assert!(verification::list(store, &d.civil_officer, TaskList::Mine, none).await.unwrap().is_empty());
    let all = verification::list(store, &d.tax_officer, TaskList::All, none).await.unwrap_err();
    assert!(matches!(all, Error::Domain(pubdata_domain::Error::OutOfScope(_))), "{all:?}");
    let hidden = verification::get(store, &d.tax_officer, id).await.unwrap_err();
    assert!(matches!(hidden, Error::NotFound { .. }), "{hidden:?}");
    let hidden = verification::answer(store, &d.tax_officer, id, confirmed("无误")).await.unwrap_err();
    assert!(matches!(hidden, Error::NotFound { .. }), "{hidden:?}");
    assert_eq!(ids(verification::list(store, &d.staff, TaskList::All, none).await.unwrap()), vec![id]);
    assert_eq!(ids(verification::list(store, &d.supervisor, TaskList::All, none).await.unwrap()), vec![id]);
    let watched = verification::get(store, &d.supervisor, id).await.unwrap();
    assert!(watched.actions.is_empty(), "supervisors read, they do not act");
    let supervisor_opens = verification::open(store, &d.supervisor, manual(market, None)).await.unwrap_err();
    assert!(matches!(
        supervisor_opens,
        Error::Domain(pubdata_domain::Error::Forbidden(Permission::VerificationManage))
    ));
    // The runs: the authority sees all; an agency the ones that compared its resources.
    assert_eq!(verification::cross_checks(store, &d.staff).await.unwrap().len(), 1);
    assert_eq!(verification::cross_checks(store, &d.tax_officer).await.unwrap().len(), 1);
    assert!(verification::cross_checks(store, &d.civil_officer).await.unwrap().is_empty());
}

async fn art_11_every_step_writes_exactly_one_audit_entry(db: &TestDb) {
    let d = district(db).await;
    let store = &db.store;
    let (market, tax) = two_registers(
        &d,
        &[(1, "宁波甲贸易有限公司"), (2, "宁波乙制造有限公司")],
        &[(1, "宁波甲贸易有限公司"), (2, "宁波乙公司")],
    )
    .await;
    let mut expected = audit_count(store).await;
    let task = verification::run_cross_check(store, &d.staff, names_spec(market, tax)).await.unwrap().task.unwrap();
    expected += 1;
    assert_eq!(audit_count(store).await, expected);
    let manual_task = verification::open(store, &d.staff, manual(tax, Some(5))).await.unwrap();
    expected += 1;
    assert_eq!(audit_count(store).await, expected);
    let (action, _, object_id, summary) = last_audit(store).await;
    assert_eq!((action.as_str(), object_id), ("verification.open", Some(manual_task.id.to_string())));
    assert_eq!((summary["origin"].as_str(), summary["working_days"].as_i64()), (Some("manual"), Some(5)));
    assert_eq!(summary["provider_org_ids"], serde_json::json!([d.tax]));
    for (who, text) in [(&d.market_officer, "以营业执照为准"), (&d.tax_officer, "以税务登记为准")] {
        verification::answer(store, who, task.id, confirmed(text)).await.unwrap();
        expected += 1;
        assert_eq!(audit_count(store).await, expected);
    }
    let (action, object_type, _, summary) = last_audit(store).await;
    assert_eq!((action.as_str(), object_type.as_str()), ("verification.answer", "verification"));
    assert_eq!((summary["answer"].as_str(), summary["to"].as_str()), (Some("confirmed"), Some("answered")));
    assert_eq!(summary["provider_org_id"], d.tax);
    verification::close(store, &d.staff, task.id, "双方均确认，转数据治理协调").await.unwrap();
    expected += 1;
    assert_eq!(audit_count(store).await, expected);
    let (action, _, object_id, summary) = last_audit(store).await;
    assert_eq!((action.as_str(), object_id), ("verification.close", Some(task.id.to_string())));
    assert_eq!(summary["comment"], "双方均确认，转数据治理协调");
    // Reading writes nothing.
    verification::get(store, &d.supervisor, task.id).await.unwrap();
    verification::list(store, &d.staff, TaskList::All, TaskFilter::default()).await.unwrap();
    verification::cross_checks(store, &d.staff).await.unwrap();
    verification::candidates(store, &d.staff).await.unwrap();
    assert_eq!(audit_count(store).await, expected);
}

async fn art_11_a_failed_step_leaves_data_unchanged(db: &TestDb) {
    let d = district(db).await;
    let store = &db.store;
    let (market, tax) = two_registers(&d, &[(1, "宁波甲贸易有限公司")], &[(1, "宁波甲公司")]).await;
    let market_draft = resources::create(&d.cat, &d.market_officer, taxpayers(d.market)).await.unwrap();
    let second_market = publish(&d, &d.market_officer, taxpayers(d.market)).await;
    let csv = format!("uscc,taxpayer_name\n{},宁波甲公司\n", credit_code(1));
    deliver(&d, &d.market_officer, second_market, Mode::Append, OnError::RejectBatch, csv).await;
    let undelivered = publish(&d, &d.tax_officer, taxpayers(d.tax)).await;
    let before = (
        audit_count(store).await,
        count(store, "verification_cross_checks").await,
        count(store, "verification_tasks").await,
    );

    let spec = |a: i64, b: i64, item: &str| CrossCheckSpec {
        resource_a: a,
        resource_b: b,
        item_a: item.into(),
        ..CrossCheckSpec::default()
    };
    let cases: Vec<(CrossCheckSpec, Vec<&str>)> = vec![
        (
            CrossCheckSpec { working_days: Some(0), ..spec(market, market, "") },
            vec!["resource_b", "item_a", "working_days"],
        ),
        (spec(market, tax, "address"), vec!["item_a"]),
        (spec(market, tax, "enterprise_name"), vec!["item_b"]),
        (spec(market, second_market, "taxpayer_name"), vec!["resource_b"]),
        (spec(market_draft, tax, "taxpayer_name"), vec!["resource_a"]),
        (spec(market, undelivered, "taxpayer_name"), vec!["resource_b"]),
        (
            CrossCheckSpec {
                key_item_a: Some("enterprise_name".into()),
                key_item_b: Some("nsrsbh".into()),
                ..names_spec(market, tax)
            },
            vec!["key_item_b"],
        ),
    ];
    for (spec, fields) in cases {
        let err = verification::run_cross_check(store, &d.staff, spec.clone()).await.unwrap_err();
        assert_eq!(problem_fields(&err), fields, "{spec:?}");
    }
    let err = verification::run_cross_check(store, &d.market_officer, names_spec(market, tax)).await.unwrap_err();
    assert!(matches!(err, Error::Domain(pubdata_domain::Error::Forbidden(Permission::VerificationManage))), "{err:?}");
    let err = verification::open(store, &d.staff, manual(market_draft, None)).await.unwrap_err();
    assert_eq!(problem_fields(&err), vec!["resource_id"]);
    let err =
        verification::open(store, &d.staff, ManualTask { description: String::new(), ..manual(market, Some(61)) })
            .await
            .unwrap_err();
    assert_eq!(problem_fields(&err), vec!["description", "working_days"]);
    let after = (
        audit_count(store).await,
        count(store, "verification_cross_checks").await,
        count(store, "verification_tasks").await,
    );
    assert_eq!(after, before, "refusals change nothing");

    // A refused answer leaves the provider unanswered and the task open.
    let id = verification::open(store, &d.staff, manual(market, None)).await.unwrap().id;
    let before = audit_count(store).await;
    let err = verification::answer(store, &d.market_officer, id, AnswerInput::default()).await.unwrap_err();
    assert_eq!(problem_fields(&err), vec!["answer"]);
    let unchanged = verification::get(store, &d.market_officer, id).await.unwrap();
    assert_eq!((unchanged.state, unchanged.providers[0].answer), (TaskState::Open, None));
    assert_eq!(audit_count(store).await, before);
}

// ---------------------------------------------------------------------------------------------
// Scheduled cross-checks

fn every(spec: CrossCheckSpec, days: i64) -> NewSchedule {
    NewSchedule { spec, every_working_days: days, starts_on: None }
}

/// Moves a schedule's next run to `day`, as if it had been made earlier.
async fn due_on(db: &TestDb, schedule: i64, day: &str) {
    db.raw(&format!("UPDATE verification_schedules SET next_run_on = '{day}' WHERE id = {schedule}")).await.unwrap();
}

async fn schedule_of(store: &Store, caller: &Caller, id: i64) -> schedules::Schedule {
    schedules::schedules(store, caller).await.unwrap().into_iter().find(|s| s.id == id).unwrap()
}

/// The audit entries of one action: (actor, object id, outcome, summary), oldest first.
async fn audit_of(store: &Store, action: &str) -> Vec<(String, Option<String>, String, serde_json::Value)> {
    let rows: Vec<(String, Option<String>, String, String)> = sqlx::query_as(
        "SELECT actor_username, object_id, outcome, summary FROM audit_entries WHERE action = $1 ORDER BY seq",
    )
    .bind(action)
    .fetch_all(store.reader())
    .await
    .unwrap();
    rows.into_iter().map(|(a, o, out, s)| (a, o, out, serde_json::from_str(&s).unwrap())).collect()
}

async fn art_11_scheduled_cross_check_opens_a_task_when_due(db: &TestDb) {
    let d = district(db).await;
    let store = &db.store;
    let (market, tax) = two_registers(
        &d,
        &[(1, "宁波甲贸易有限公司"), (2, "宁波乙制造有限公司")],
        &[(1, "宁波甲贸易有限公司"), (2, "宁波乙制造股份有限公司")],
    )
    .await;
    let made = schedules::create_schedule(store, &d.staff, every(names_spec(market, tax), 3)).await.unwrap();
    // The items are kept as resolved: the keys were found by identifier.
    let resolved = (made.key_item_a.as_str(), made.key_item_b.as_str(), made.item_a.as_str(), made.item_b.as_str());
    assert_eq!(resolved, ("credit_code", "uscc", "enterprise_name", "taxpayer_name"));
    assert_eq!((made.every_working_days, made.working_days, made.active), (3, 10, true));
    let calendar = pubdata_store::calendar::load(store).await.unwrap();
    let today = timefmt::district_date(timefmt::now());
    assert_eq!(made.next_run_on, timefmt::format_date(calendar.add_working_days(today, 1)), "the next working day");
    assert!(made.last_run.is_none() && made.last_error.is_none());
    let (action, object_type, object_id, summary) = last_audit(store).await;
    assert_eq!((action.as_str(), object_type.as_str()), ("verification.schedule_create", "verification_schedule"));
    assert_eq!((object_id, summary["every_working_days"].as_i64()), (Some(made.id.to_string()), Some(3)));

    // Due on Wednesday 30 Sep 2026, just before the National Day block.
    due_on(db, made.id, "2026-09-30").await;
    assert!(schedules::run_due_schedules(store, date!(2026 - 09 - 29)).await.unwrap().is_empty(), "not yet due");
    assert_eq!(count(store, "verification_cross_checks").await, 0);
    let ran = schedules::run_due_schedules(store, date!(2026 - 09 - 30)).await.unwrap();
    assert_eq!(ran.len(), 1);
    let out = &ran[0];
    assert_eq!((out.schedule_id, out.due_on.as_str()), (made.id, "2026-09-30"));
    // Three working days later: 8, 9 and 10 October (the make-up Saturday).
    assert_eq!(out.next_run_on, "2026-10-10");
    assert!(out.error.is_none() && out.pending_task_id.is_none(), "{out:?}");
    let run = out.cross_check.as_ref().expect("the run compared");
    assert_eq!((run.schedule_id, run.conflicts, run.keys_compared), (Some(made.id), 1, 2));
    assert_eq!(run.run_by, "checker", "recorded as run by the schedule's maker");
    let task_id = out.task_id.expect("values differ: a task is opened");
    assert_eq!(run.task_id, Some(task_id));
    let task = verification::get(store, &d.tax_officer, task_id).await.unwrap();
    assert_eq!((task.state, task.opened_by.as_str(), task.working_days), (TaskState::Open, "checker", 10));
    assert_eq!(task.providers.iter().map(|p| p.org_id).collect::<Vec<_>>(), vec![d.market, d.tax]);

    // The claim and the opening are audited, by the system on the maker's behalf.
    let claims = audit_of(store, "verification.schedule_run").await;
    assert_eq!(claims.len(), 1);
    assert_eq!((claims[0].0.as_str(), claims[0].1.clone()), ("system:schedule", Some(made.id.to_string())));
    assert_eq!(claims[0].3["next_run_on"], "2026-10-10");
    let (action, _, object_id, summary) = last_audit(store).await;
    assert_eq!((action.as_str(), object_id), ("verification.open", Some(task_id.to_string())));
    assert_eq!(summary["detail"]["comparison"]["schedule_id"], made.id);
    assert_eq!(summary["detail"]["comparison"]["scheduled_by"], "checker");
    assert_eq!(summary["detail"]["data_access"]["rows"], 2);

    // Not again before its next date; the list shows the run and its task.
    assert!(schedules::run_due_schedules(store, date!(2026 - 10 - 09)).await.unwrap().is_empty());
    let listed = schedule_of(store, &d.staff, made.id).await;
    assert_eq!(listed.next_run_on, "2026-10-10");
    let last = listed.last_run.expect("the last run");
    assert_eq!((last.id, last.conflicts, last.task_id), (run.id, 1, Some(task_id)));
    assert_eq!(listed.pending_task_id, Some(task_id));
    // The providers see the schedules of their resources; an agency not involved sees none.
    assert_eq!(schedules::schedules(store, &d.market_officer).await.unwrap().len(), 1);
    assert!(schedules::schedules(store, &d.civil_officer).await.unwrap().is_empty());
    assert_eq!(schedules::schedules(store, &d.supervisor).await.unwrap().len(), 1);
}

async fn art_11_scheduled_cross_check_does_not_open_a_second_task_while_one_is_open(db: &TestDb) {
    let d = district(db).await;
    let store = &db.store;
    let (market, tax) = two_registers(&d, &[(1, "宁波甲贸易有限公司")], &[(1, "宁波甲公司")]).await;
    let id = schedules::create_schedule(store, &d.staff, every(names_spec(market, tax), 1)).await.unwrap().id;
    due_on(db, id, "2026-10-12").await;
    let first = schedules::run_due_schedules(store, date!(2026 - 10 - 12)).await.unwrap();
    let task = first[0].task_id.expect("the first run opens a task");
    assert_eq!(first[0].next_run_on, "2026-10-13");

    // The providers are still verifying: the next runs keep what they found, but open nothing.
    let second = schedules::run_due_schedules(store, date!(2026 - 10 - 13)).await.unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!((second[0].task_id, second[0].pending_task_id), (None, Some(task)));
    let run = second[0].cross_check.as_ref().unwrap();
    assert_eq!((run.conflicts, run.task_id), (1, None));
    assert_eq!(count(store, "verification_tasks").await, 1);
    let (action, object_type, object_id, summary) = last_audit(store).await;
    assert_eq!((action.as_str(), object_type.as_str()), ("verification.cross_check", "cross_check"));
    assert_eq!((object_id, summary["pending_task_id"].as_i64()), (Some(run.id.to_string()), Some(task)));
    assert!(summary["note"]["zh"].as_str().unwrap().contains("尚未办结"), "{summary}");
    assert!(summary["note"]["en"].as_str().unwrap().contains("no second task"), "{summary}");
    assert_eq!(summary["data_access"]["rows"], 1, "the data read is still recorded");

    // Answered by both but not yet concluded: still no second task.
    verification::answer(store, &d.market_officer, task, confirmed("以营业执照为准")).await.unwrap();
    verification::answer(store, &d.tax_officer, task, confirmed("以税务登记为准")).await.unwrap();
    let third = schedules::run_due_schedules(store, date!(2026 - 10 - 14)).await.unwrap();
    assert_eq!((third[0].task_id, third[0].pending_task_id), (None, Some(task)));
    // A run on demand is the authority's own decision and opens its task regardless.
    let on_demand = verification::run_cross_check(store, &d.staff, names_spec(market, tax)).await.unwrap();
    assert!(on_demand.task.is_some() && on_demand.cross_check.schedule_id.is_none());

    // Once the task is closed, a run that still finds conflicts opens a new one.
    verification::close(store, &d.staff, task, "双方各执一词，转数据治理协调").await.unwrap();
    let fourth = schedules::run_due_schedules(store, date!(2026 - 10 - 15)).await.unwrap();
    let next_task = fourth[0].task_id.expect("a new task");
    assert_ne!(next_task, task);
    assert_eq!(schedule_of(store, &d.staff, id).await.pending_task_id, Some(next_task));
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM verification_cross_checks WHERE schedule_id = $1")
        .bind(id)
        .fetch_one(store.reader())
        .await
        .unwrap();
    assert_eq!(n, 4, "every scheduled run is kept");
}

async fn art_11_a_schedule_runs_once_when_two_instances_claim_it(db: &TestDb) {
    let d = district(db).await;
    let store = &db.store;
    let (market, tax) = two_registers(&d, &[(1, "宁波甲贸易有限公司")], &[(1, "宁波甲公司")]).await;
    let mut ids = Vec::new();
    for days in [1, 2, 5] {
        let id = schedules::create_schedule(store, &d.staff, every(names_spec(market, tax), days)).await.unwrap().id;
        due_on(db, id, "2026-10-12").await;
        ids.push(id);
    }
    let other = db.another_instance().await;
    let day = date!(2026 - 10 - 12);
    let (here, there) =
        tokio::join!(schedules::run_due_schedules(store, day), schedules::run_due_schedules(&other, day));
    let (here, there) = (here.unwrap(), there.unwrap());
    let mut ran: Vec<i64> = here.iter().chain(there.iter()).map(|r| r.schedule_id).collect();
    ran.sort_unstable();
    assert_eq!(ran, ids, "each schedule ran once, on one instance or the other");
    for id in &ids {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM verification_cross_checks WHERE schedule_id = $1")
            .bind(*id)
            .fetch_one(store.reader())
            .await
            .unwrap();
        assert_eq!(n, 1, "schedule {id} ran once");
    }
    assert_eq!(audit_of(store, "verification.schedule_run").await.len(), 3, "one claim each");
    // Later passes on the same day find nothing due, on either instance.
    assert!(schedules::run_due_schedules(&other, day).await.unwrap().is_empty());
    assert!(schedules::run_due_schedules(store, day).await.unwrap().is_empty());
    let next: Vec<String> =
        schedules::schedules(store, &d.staff).await.unwrap().into_iter().rev().map(|s| s.next_run_on).collect();
    assert_eq!(next, vec!["2026-10-13", "2026-10-14", "2026-10-19"]);
    other.close().await;
}

async fn art_11_schedule_refuses_resources_of_one_provider(db: &TestDb) {
    let d = district(db).await;
    let store = &db.store;
    let (market, tax) = two_registers(&d, &[(1, "宁波甲贸易有限公司")], &[(1, "宁波甲公司")]).await;
    let second_market = publish(&d, &d.market_officer, taxpayers(d.market)).await;
    let csv = format!("uscc,taxpayer_name\n{},宁波甲公司\n", credit_code(1));
    deliver(&d, &d.market_officer, second_market, Mode::Append, OnError::RejectBatch, csv).await;
    let before = (audit_count(store).await, count(store, "verification_schedules").await);

    let one_provider = CrossCheckSpec { resource_b: second_market, ..names_spec(market, tax) };
    let err = schedules::create_schedule(store, &d.staff, every(one_provider, 5)).await.unwrap_err();
    let Error::Domain(pubdata_domain::Error::Invalid { field, message }) = &err else { panic!("{err:?}") };
    assert_eq!(field, "resource_b");
    assert!(message.zh.contains("不同的单位"), "{message:?}");
    assert!(message.en.contains("different providers"), "{message:?}");

    // The spec is checked as a run checks it, with the interval and the start date.
    let yesterday = timefmt::district_date(timefmt::now()) - time::Duration::days(1);
    let cases: Vec<(NewSchedule, Vec<&str>)> = vec![
        (every(names_spec(market, tax), 0), vec!["every_working_days"]),
        (NewSchedule { starts_on: Some(yesterday), ..every(names_spec(market, tax), 5) }, vec!["starts_on"]),
        (
            every(CrossCheckSpec { item_a: String::new(), item_b: None, ..names_spec(market, tax) }, 61),
            vec!["item_a", "every_working_days"],
        ),
        (every(CrossCheckSpec { item_b: Some("address_line".into()), ..names_spec(market, tax) }, 5), vec!["item_b"]),
    ];
    for (new, fields) in cases {
        let err = schedules::create_schedule(store, &d.staff, new.clone()).await.unwrap_err();
        assert_eq!(problem_fields(&err), fields, "{new:?}");
    }
    let err =
        schedules::create_schedule(store, &d.market_officer, every(names_spec(market, tax), 5)).await.unwrap_err();
    assert!(matches!(err, Error::Domain(pubdata_domain::Error::Forbidden(Permission::VerificationManage))), "{err:?}");
    let after = (audit_count(store).await, count(store, "verification_schedules").await);
    assert_eq!(after, before, "refusals change nothing");
}

async fn art_11_a_failing_scheduled_run_is_kept_and_the_others_run(db: &TestDb) {
    let d = district(db).await;
    let store = &db.store;
    let (market, tax) = two_registers(&d, &[(1, "宁波甲贸易有限公司")], &[(1, "宁波甲公司")]).await;
    let civil = d.civil_officer.principal.org_id.unwrap().0;
    let doc = document(
        "社会组织登记信息",
        civil,
        "社会组织管理系统",
        vec![key("credit_code", "统一社会信用代码"), item("enterprise_name", "组织名称", ItemType::String, Some(200))],
    );
    let societies = publish(&d, &d.civil_officer, doc).await;
    let csv = format!("credit_code,enterprise_name\n{},宁波甲贸易有限公司\n", credit_code(1));
    deliver(&d, &d.civil_officer, societies, Mode::Append, OnError::RejectBatch, csv).await;
    let spec = |b: i64, item_b: &str| CrossCheckSpec { item_b: Some(item_b.into()), ..names_spec(market, b) };
    let failing = schedules::create_schedule(store, &d.staff, every(spec(tax, "taxpayer_name"), 5)).await.unwrap().id;
    let fine =
        schedules::create_schedule(store, &d.staff, every(spec(societies, "enterprise_name"), 5)).await.unwrap().id;
    for id in [failing, fine] {
        due_on(db, id, "2026-10-12").await;
    }
    // Tax withdraws the compared item from its catalog entry (a revision, reviewed and published).
    let mut revised = taxpayers(d.tax);
    revised.items.retain(|i| i.code != "taxpayer_name");
    resources::update(&d.cat, &d.tax_officer, tax, revised, "纳税人名称改由市场监管局提供").await.unwrap();
    resources::review(&d.cat, &d.tax_officer, tax, ReviewAction::Submit, "", Some("本单位登记数据")).await.unwrap();
    for action in [ReviewAction::Approve, ReviewAction::Publish] {
        resources::review(&d.cat, &d.staff, tax, action, "", None).await.unwrap();
    }

    let ran = schedules::run_due_schedules(store, date!(2026 - 10 - 12)).await.unwrap();
    assert_eq!(ran.iter().map(|r| r.schedule_id).collect::<Vec<_>>(), vec![failing, fine]);
    let error = ran[0].error.as_ref().expect("the first could not compare");
    assert!(ran[0].cross_check.is_none());
    assert!(error.zh.contains("item_b") && error.zh.contains("taxpayer_name"), "{error:?}");
    assert!(error.en.contains("taxpayer_name"), "{error:?}");
    assert_eq!(ran[0].next_run_on, "2026-10-19", "it is tried again at its next date");
    let other = &ran[1];
    assert!(other.error.is_none(), "{other:?}");
    assert_eq!(other.cross_check.as_ref().map(|c| (c.conflicts, c.schedule_id)), Some((0, Some(fine))));
    let shown = schedule_of(store, &d.staff, failing).await;
    assert_eq!(shown.last_error.as_ref(), Some(error));
    assert!(shown.last_run.is_none());
    let failures = audit_of(store, "verification.schedule_fail").await;
    assert_eq!(failures.len(), 1);
    assert_eq!((failures[0].1.clone(), failures[0].2.as_str()), (Some(failing.to_string()), "failure"));
    assert_eq!(failures[0].3["error"]["en"], error.en.as_ref());

    // Deactivated, a schedule runs no more; only the authority may deactivate.
    let err = schedules::deactivate_schedule(store, &d.market_officer, fine).await.unwrap_err();
    assert!(matches!(err, Error::Domain(pubdata_domain::Error::Forbidden(Permission::VerificationManage))), "{err:?}");
    let stopped = schedules::deactivate_schedule(store, &d.staff, fine).await.unwrap();
    assert!(!stopped.active);
    let (action, _, object_id, _) = last_audit(store).await;
    assert_eq!((action.as_str(), object_id), ("verification.schedule_deactivate", Some(fine.to_string())));
    let again = schedules::deactivate_schedule(store, &d.staff, fine).await.unwrap_err();
    assert!(matches!(again, Error::Domain(pubdata_domain::Error::Conflict(_))), "{again:?}");
    let missing = schedules::deactivate_schedule(store, &d.staff, 999_999).await.unwrap_err();
    assert!(matches!(missing, Error::NotFound { .. }), "{missing:?}");
    let later = schedules::run_due_schedules(store, date!(2026 - 10 - 19)).await.unwrap();
    assert_eq!(later.iter().map(|r| r.schedule_id).collect::<Vec<_>>(), vec![failing]);
}

backend_tests!(
    art_11_scheduled_cross_check_opens_a_task_when_due,
    art_11_scheduled_cross_check_does_not_open_a_second_task_while_one_is_open,
    art_11_a_schedule_runs_once_when_two_instances_claim_it,
    art_11_schedule_refuses_resources_of_one_provider,
    art_11_a_failing_scheduled_run_is_kept_and_the_others_run,
    art_11_cross_check_opens_a_task_for_conflicting_values,
    art_11_no_conflict_opens_no_task,
    art_11_providers_answer_and_the_authority_closes,
    art_11_deadline_counts_working_days_and_overdue_is_listed,
    art_11_provider_sees_only_its_tasks,
    art_11_every_step_writes_exactly_one_audit_entry,
    art_11_a_failed_step_leaves_data_unchanged,
);
