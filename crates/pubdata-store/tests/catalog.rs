//! The catalog (Ch.2) over storage, on SQLite and PostgreSQL: registration rules, review,
//! versions, the repeated-collection check, search, IT projects and catalog exchange.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{agency, person};

use pubdata_domain::catalog::{
    DataItem, Delivery, ItemType, Level, OpenAttribute, ProhibitionReason, ResourceDocument, ReviewAction, ReviewState,
    ShareAttribute, ShareTerm, StorageFormat, UpdateCycle,
};
use pubdata_domain::identity::{Caller, Role};
use pubdata_search::SearchQuery;
use pubdata_store::catalog::exchange::{self, ExportScope, ImportFormat, ImportMode};
use pubdata_store::catalog::projects::{self, NewProject, ProjectStage};
use pubdata_store::catalog::resources::{self, VersionRef};
use pubdata_store::catalog::{Catalog, ImportOutcome};
use pubdata_store::{AuditFilter, Error, Store, audit_trail, bootstrap};
use pubdata_testkit::{TestDb, backend_tests};

struct District {
    cat: Catalog,
    market: i64,
    tax: i64,
    market_officer: Caller,
    tax_officer: Caller,
    staff: Caller,
    system: Caller,
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
    District { cat, market, tax, market_officer, tax_officer, staff, system }
}

fn item(code: &str, name: &str, level: Level) -> DataItem {
    DataItem {
        code: code.into(),
        name: name.into(),
        item_type: ItemType::String,
        length: Some(100),
        precision: None,
        scale: None,
        required: false,
        unique_key: false,
        description: String::new(),
        level,
        code_list: vec![],
    }
}

fn registration(provider: i64, name: &str) -> ResourceDocument {
    ResourceDocument {
        name: name.into(),
        business_name: "企业设立登记".into(),
        source_system: "市场主体登记管理系统".into(),
        description: "全区企业登记的基本信息".into(),
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
            DataItem {
                required: true,
                unique_key: true,
                length: Some(18),
                ..item("credit_code", "统一社会信用代码", Level::L1)
            },
            item("enterprise_name", "企业名称", Level::L1),
            item("registered_address", "注册地址", Level::L1),
        ],
    }
}

async fn audit_count(store: &Store) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_entries").fetch_one(store.reader()).await.unwrap();
    n
}

fn problem_fields(e: &Error) -> Vec<String> {
    match e {
        Error::Domain(pubdata_domain::Error::Problems(p)) => p.iter().map(|p| p.field.clone()).collect(),
        other => panic!("expected problems, got {other:?}"),
    }
}

/// Takes a resource from draft to published: compiler submits, provider confirms (when it is
/// another agency), the authority approves and publishes.
async fn publish(d: &District, id: i64, compiler: &Caller, provider: Option<&Caller>) {
    resources::review(&d.cat, compiler, id, ReviewAction::Submit, "", Some("已核实，无法通过共享获取")).await.unwrap();
    if let Some(p) = provider {
        resources::review(&d.cat, p, id, ReviewAction::Confirm, "同意", None).await.unwrap();
    }
    resources::review(&d.cat, &d.staff, id, ReviewAction::Approve, "", None).await.unwrap();
    resources::review(&d.cat, &d.staff, id, ReviewAction::Publish, "", None).await.unwrap();
}

async fn art_7_an_agency_registers_a_resource_with_every_field(db: &TestDb) {
    let d = district(db).await;
    let id = resources::create(&d.cat, &d.market_officer, registration(d.market, "企业登记信息")).await.unwrap();
    let detail = resources::get(&d.cat, &d.market_officer, id).await.unwrap();
    assert_eq!(detail.state, ReviewState::Draft);
    assert_eq!(detail.compiler_org_id, d.market);
    let doc = detail.working.unwrap();
    assert_eq!(doc.items.len(), 3);
    assert_eq!(doc.share_term, ShareTerm::LongTerm);
    let created = audit_trail::list(
        &db.store,
        &d.system,
        &AuditFilter { action: Some("catalog.create".into()), limit: 5, ..Default::default() },
    )
    .await
    .unwrap();
    assert_eq!(created.entries[0].object_id.as_deref(), Some(id.to_string().as_str()));
}

async fn art_7_missing_or_contradictory_fields_are_refused_naming_them(db: &TestDb) {
    let d = district(db).await;
    let before = audit_count(&db.store).await;
    let mut doc = registration(d.market, "个人社保缴费");
    doc.share = ShareAttribute::Restricted { reason: "涉及个人信息".into(), conditions: String::new() };
    doc.items.push(item("id_number", "身份证号码", Level::L4));
    let e = resources::create(&d.cat, &d.market_officer, doc).await.unwrap_err();
    assert_eq!(problem_fields(&e), vec!["share.conditions", "level", "open"]);
    let mut not_shared = registration(d.market, "内部数据");
    not_shared.share = ShareAttribute::NotShared { legal_basis: String::new() };
    not_shared.open = OpenAttribute::Prohibited { reason: ProhibitionReason::Law };
    assert_eq!(
        problem_fields(&resources::create(&d.cat, &d.market_officer, not_shared).await.unwrap_err()),
        vec!["share.legal_basis"]
    );
    assert_eq!(audit_count(&db.store).await, before, "nothing was written");
}

async fn art_2_resources_involving_state_secrets_are_refused(db: &TestDb) {
    let d = district(db).await;
    let doc = ResourceDocument { state_secret: true, ..registration(d.market, "涉密数据") };
    let e = resources::create(&d.cat, &d.market_officer, doc).await.unwrap_err();
    assert_eq!(problem_fields(&e), vec!["state_secret"]);
}

async fn art_7_review_runs_to_publication_with_the_providers_opinion(db: &TestDb) {
    let d = district(db).await;
    // Market regulation compiles a resource the tax bureau provides.
    let id = resources::create(&d.cat, &d.market_officer, registration(d.tax, "纳税人登记信息")).await.unwrap();
    let early = resources::review(&d.cat, &d.staff, id, ReviewAction::Approve, "", None).await.unwrap_err();
    assert!(matches!(early, Error::Domain(pubdata_domain::Error::Conflict(_))), "{early:?}");
    resources::review(&d.cat, &d.market_officer, id, ReviewAction::Submit, "", None).await.unwrap();
    let skip = resources::review(&d.cat, &d.staff, id, ReviewAction::Approve, "", None).await.unwrap_err();
    assert!(
        matches!(skip, Error::Domain(pubdata_domain::Error::Conflict(_))),
        "the provider's opinion comes first: {skip:?}"
    );
    resources::review(&d.cat, &d.tax_officer, id, ReviewAction::Confirm, "数据由我局提供，同意", None).await.unwrap();
    resources::review(&d.cat, &d.staff, id, ReviewAction::Approve, "", None).await.unwrap();
    let done = resources::review(&d.cat, &d.staff, id, ReviewAction::Publish, "", None).await.unwrap();
    assert_eq!(done.state, ReviewState::Published);
    assert_eq!(done.current_version, 1);
    let steps: Vec<(&str, &str)> = done.timeline.iter().map(|e| (e.action.as_str(), e.to_state.as_str())).collect();
    assert_eq!(
        steps,
        vec![
            ("submit", "submitted"),
            ("confirm", "provider_confirmed"),
            ("approve", "approved"),
            ("publish", "published")
        ]
    );
    assert_eq!(done.timeline[1].comment, "数据由我局提供，同意");
    let audited = audit_trail::list(
        &db.store,
        &d.system,
        &AuditFilter { action: Some("catalog.review".into()), limit: 10, ..Default::default() },
    )
    .await
    .unwrap();
    assert_eq!(audited.entries.len(), 4);
}

async fn art_7_any_reviewer_can_return_it_with_comments(db: &TestDb) {
    let d = district(db).await;
    let id = resources::create(&d.cat, &d.market_officer, registration(d.market, "企业年报")).await.unwrap();
    resources::review(&d.cat, &d.market_officer, id, ReviewAction::Submit, "", None).await.unwrap();
    let silent = resources::review(&d.cat, &d.staff, id, ReviewAction::Return, "  ", None).await.unwrap_err();
    assert!(matches!(silent, Error::Domain(pubdata_domain::Error::Invalid { ref field, .. }) if field == "comment"));
    let back = resources::review(&d.cat, &d.staff, id, ReviewAction::Return, "请补充数据项说明", None).await.unwrap();
    assert_eq!(back.state, ReviewState::Draft);
    assert_eq!(back.timeline.last().unwrap().comment, "请补充数据项说明");
    // Back in draft, the compiler can edit it again.
    let mut doc = back.working.unwrap();
    doc.items[1].description = "营业执照上的名称".into();
    resources::update(&d.cat, &d.market_officer, id, doc, "").await.unwrap();
}

async fn art_7_drafts_are_visible_only_to_their_agencies_and_the_authority(db: &TestDb) {
    let d = district(db).await;
    let id = resources::create(&d.cat, &d.market_officer, registration(d.market, "个体工商户登记信息")).await.unwrap();
    assert!(matches!(resources::get(&d.cat, &d.tax_officer, id).await, Err(Error::NotFound { .. })));
    let q = SearchQuery { text: "个体工商户".into(), limit: 10, ..Default::default() };
    assert_eq!(d.cat.search(&d.tax_officer, &q).await.unwrap().total, 0);
    assert_eq!(d.cat.search(&d.staff, &q).await.unwrap().total, 1);
    assert_eq!(d.cat.search(&d.market_officer, &q).await.unwrap().total, 1);
    publish(&d, id, &d.market_officer, None).await;
    assert_eq!(d.cat.search(&d.tax_officer, &q).await.unwrap().total, 1, "published: the district catalog");
    let seen = resources::get(&d.cat, &d.tax_officer, id).await.unwrap();
    assert!(seen.working.is_none() && seen.published.is_some() && seen.timeline.is_empty());
}

async fn art_8_changes_to_published_resources_are_versioned_and_reviewed_again(db: &TestDb) {
    let d = district(db).await;
    let id = resources::create(&d.cat, &d.market_officer, registration(d.market, "企业登记信息")).await.unwrap();
    publish(&d, id, &d.market_officer, None).await;
    let mut doc = registration(d.market, "企业登记基本信息");
    doc.update_cycle = UpdateCycle::Realtime;
    let no_reason = resources::update(&d.cat, &d.market_officer, id, doc.clone(), "").await.unwrap_err();
    assert!(matches!(no_reason, Error::Domain(pubdata_domain::Error::Invalid { ref field, .. }) if field == "reason"));
    let revised = resources::update(&d.cat, &d.market_officer, id, doc, "改为实时更新").await.unwrap();
    assert_eq!(revised.state, ReviewState::Draft, "a change to attributes goes through review again");
    assert_eq!(revised.published.as_ref().unwrap().name, "企业登记信息", "the published version stays");
    let others = resources::get(&d.cat, &d.tax_officer, id).await.unwrap();
    assert_eq!(others.published.unwrap().update_cycle, UpdateCycle::Daily);
    let old_name = SearchQuery { text: "企业登记信息".into(), limit: 10, ..Default::default() };
    assert_eq!(d.cat.search(&d.tax_officer, &old_name).await.unwrap().hits[0].name, "企业登记信息");
    publish(&d, id, &d.market_officer, None).await;
    let v2 = resources::get(&d.cat, &d.market_officer, id).await.unwrap();
    assert_eq!(v2.current_version, 2);
    assert_eq!(v2.versions[0].reason, "改为实时更新");
    assert_eq!(v2.versions[0].published_by, "reviewer");
    let changes =
        resources::compare(&d.cat, &d.tax_officer, id, VersionRef::Version(1), VersionRef::Version(2)).await.unwrap();
    let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(fields, vec!["name", "update_cycle"]);
    assert_eq!(changes[1].before.as_deref(), Some("每日"));
    assert_eq!(changes[1].after.as_deref(), Some("实时"));
}

async fn art_8_contact_changes_publish_a_new_version_at_once(db: &TestDb) {
    let d = district(db).await;
    let id = resources::create(&d.cat, &d.market_officer, registration(d.market, "企业登记信息")).await.unwrap();
    publish(&d, id, &d.market_officer, None).await;
    let doc = ResourceDocument { contact_phone: "13805740000".into(), ..registration(d.market, "企业登记信息") };
    let now = resources::update(&d.cat, &d.market_officer, id, doc, "联系人电话变更").await.unwrap();
    assert_eq!((now.state, now.current_version), (ReviewState::Published, 2));
    assert_eq!(now.published.unwrap().contact_phone, "13805740000");
    let diff = resources::compare(&d.cat, &d.market_officer, id, VersionRef::Version(1), VersionRef::Version(2))
        .await
        .unwrap();
    assert_eq!(diff.len(), 1);
    assert_eq!(diff[0].field, "contact_phone");
}

async fn art_9_overlapping_items_need_a_written_justification(db: &TestDb) {
    let d = district(db).await;
    let shared = resources::create(&d.cat, &d.tax_officer, registration(d.tax, "纳税人基本信息")).await.unwrap();
    publish(&d, shared, &d.tax_officer, None).await;
    let mine = resources::create(&d.cat, &d.market_officer, registration(d.market, "企业名录")).await.unwrap();
    let overlaps = resources::overlaps_of(&d.cat, &d.market_officer, mine).await.unwrap();
    let names: Vec<&str> = overlaps.iter().map(|o| o.item_name.as_str()).collect();
    assert!(names.contains(&"统一社会信用代码") && names.contains(&"企业名称"), "{names:?}");
    assert_eq!(overlaps[0].matches[0].resource_id, shared);
    let refused = resources::review(&d.cat, &d.market_officer, mine, ReviewAction::Submit, "", None).await.unwrap_err();
    assert_eq!(problem_fields(&refused), vec!["overlap_justification"]);
    let ok = resources::review(
        &d.cat,
        &d.market_officer,
        mine,
        ReviewAction::Submit,
        "",
        Some("登记时须现场核验，共享数据时效不足"),
    )
    .await
    .unwrap();
    assert_eq!(ok.state, ReviewState::Submitted);
    let reviewer_sees = resources::get(&d.cat, &d.staff, mine).await.unwrap();
    assert_eq!(reviewer_sees.overlap_justification.as_deref(), Some("登记时须现场核验，共享数据时效不足"));
    // The provider's own items are not overlaps.
    assert!(resources::overlaps_of(&d.cat, &d.tax_officer, shared).await.unwrap().is_empty());
}

async fn art_7_chinese_search_finds_published_resources_with_facets(db: &TestDb) {
    let d = district(db).await;
    let mut social = registration(d.tax, "社会保险参保缴费记录");
    social.category = "social_security".into();
    social.share =
        ShareAttribute::Restricted { reason: "个人信息".into(), conditions: "仅用于社保业务".into() };
    social.open = OpenAttribute::Prohibited { reason: ProhibitionReason::PersonalOrCommercial };
    social.items = vec![
        DataItem { required: true, unique_key: true, ..item("person_id", "身份证号码", Level::L3) },
        item("pay_month", "缴费月份", Level::L2),
    ];
    social.level = Level::L3;
    let a = resources::create(&d.cat, &d.tax_officer, social).await.unwrap();
    let b = resources::create(&d.cat, &d.market_officer, registration(d.market, "企业登记信息")).await.unwrap();
    publish(&d, a, &d.tax_officer, None).await;
    publish(&d, b, &d.market_officer, None).await;
    let found = d
        .cat
        .search(&d.market_officer, &SearchQuery { text: "社保 缴费".into(), limit: 10, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(found.hits.iter().map(|h| h.resource_id).collect::<Vec<_>>(), vec![a]);
    let all = d.cat.search(&d.market_officer, &SearchQuery { limit: 10, ..Default::default() }).await.unwrap();
    assert_eq!(all.total, 2);
    let share: Vec<(String, usize)> = all.facets.share.iter().map(|f| (f.value.clone(), f.count)).collect();
    assert!(share.contains(&("restricted".into(), 1)) && share.contains(&("unconditional".into(), 1)), "{share:?}");
    let mut filtered = SearchQuery { limit: 10, ..Default::default() };
    filtered.filters.level = Some("L3".into());
    assert_eq!(d.cat.search(&d.market_officer, &filtered).await.unwrap().hits[0].resource_id, a);
}

async fn art_8_it_projects_get_an_acceptance_report_with_evidence(db: &TestDb) {
    let d = district(db).await;
    let project = projects::create(
        &d.cat,
        &d.staff,
        NewProject {
            name: "智慧市场监管平台".into(),
            code: Some("YZ-2026-01".into()),
            agency_id: d.market,
            description: "一期".into(),
        },
    )
    .await
    .unwrap();
    let officer_try = projects::create(
        &d.cat,
        &d.market_officer,
        NewProject { name: "x".into(), agency_id: d.market, ..Default::default() },
    )
    .await;
    assert!(officer_try.is_err(), "only the authority registers projects");
    projects::add_resource(
        &d.cat,
        &d.staff,
        project.id,
        ProjectStage::Preliminary,
        registration(d.market, "监管对象名录（初步）"),
    )
    .await
    .unwrap();
    let early = projects::acceptance_report(&d.cat, &d.staff, project.id).await.unwrap();
    assert!(!early.passed);
    assert!(!early.criteria[0].passed, "no detailed catalog yet");
    let detailed = projects::add_resource(
        &d.cat,
        &d.market_officer,
        project.id,
        ProjectStage::Detailed,
        registration(d.market, "监管对象名录"),
    )
    .await
    .unwrap();
    publish(&d, detailed, &d.market_officer, None).await;
    projects::complete(&d.cat, &d.market_officer, project.id).await.unwrap();
    let report = projects::acceptance_report(&d.cat, &d.staff, project.id).await.unwrap();
    let verdicts: Vec<(&str, bool)> = report.criteria.iter().map(|c| (c.code, c.passed)).collect();
    assert_eq!(verdicts, vec![("catalog_published", true), ("data_aggregated", false), ("sharing_reachable", false)]);
    assert_eq!(report.criteria[1].evidence[0].note.en, "no data delivered");
    assert!(!report.passed);
}

async fn catalog_archives_round_trip_exactly(db: &TestDb) {
    let d = district(db).await;
    let a = resources::create(&d.cat, &d.market_officer, registration(d.market, "企业登记信息")).await.unwrap();
    publish(&d, a, &d.market_officer, None).await;
    resources::update(&d.cat, &d.market_officer, a, registration(d.market, "企业登记基本信息"), "更名").await.unwrap();
    resources::create(&d.cat, &d.tax_officer, registration(d.tax, "纳税人信息")).await.unwrap();
    projects::create(&d.cat, &d.staff, NewProject { name: "项目甲".into(), agency_id: d.market, ..Default::default() })
        .await
        .unwrap();
    let archive = exchange::export_archive(&d.cat, &d.system).await.unwrap();
    let json = serde_json::to_string_pretty(&archive).unwrap();
    // A second platform with the same organisations takes the archive and gives it back unchanged.
    let other = if db.dir().is_some() { TestDb::sqlite().await } else { TestDb::postgres().await };
    let d2 = district(&other).await;
    assert_eq!((d2.market, d2.tax), (d.market, d.tax));
    let restored = exchange::import_archive(&d2.cat, &d2.system, &serde_json::from_str(&json).unwrap()).await.unwrap();
    assert_eq!(restored, 2);
    let again = exchange::export_archive(&d2.cat, &d2.system).await.unwrap();
    assert_eq!(serde_json::to_string_pretty(&again).unwrap(), json);
    let twice = exchange::import_archive(&d2.cat, &d2.system, &archive).await.unwrap_err();
    assert!(matches!(twice, Error::Domain(pubdata_domain::Error::Conflict(_))), "only into an empty catalog");
    // New resources after a restore get fresh ids.
    let next = resources::create(&d2.cat, &d2.market_officer, registration(d2.market, "新资源")).await.unwrap();
    assert!(next > a);
    let found =
        d2.cat.search(&d2.staff, &SearchQuery { text: "纳税人".into(), limit: 5, ..Default::default() }).await.unwrap();
    assert_eq!(found.total, 1, "the restored catalog is searchable");
    other.finish().await;
}

async fn art_7_excel_import_is_all_or_nothing_or_per_resource(db: &TestDb) {
    let d = district(db).await;
    let good = registration(d.market, "企业登记信息");
    let mut bad = registration(d.market, "企业注销信息");
    bad.share = ShareAttribute::Restricted { reason: "理由".into(), conditions: String::new() };
    let rows = vec![
        pubdata_catalog_io::ExportRow { id: 1, state: "草稿".into(), version: 0, document: good },
        pubdata_catalog_io::ExportRow { id: 2, state: "草稿".into(), version: 0, document: bad },
    ];
    let dir = exchange::directory(&d.cat).await.unwrap();
    let file = pubdata_catalog_io::export_xlsx(&rows, &dir).unwrap();
    let before = audit_count(&db.store).await;
    let all: ImportOutcome = exchange::import_file(
        &d.cat,
        &d.market_officer,
        "目录.xlsx",
        file.clone(),
        ImportFormat::Xlsx,
        ImportMode::AllOrNothing,
    )
    .await
    .unwrap();
    assert_eq!((all.created.len(), all.refused), (0, 2));
    let p = &all.problems[0];
    assert_eq!((p.sheet.as_str(), p.row, p.column.as_str()), ("资源", 4, "共享条件"), "{p:?}");
    let (name, report) = exchange::import_report(&d.cat, &d.market_officer, all.report_id.unwrap()).await.unwrap();
    assert_eq!(name, "目录.xlsx");
    assert!(report.starts_with(b"PK"), "an xlsx file");
    assert_eq!(audit_count(&db.store).await, before + 1, "only the import itself was recorded");
    let some = exchange::import_file(
        &d.cat,
        &d.market_officer,
        "目录.xlsx",
        file,
        ImportFormat::Xlsx,
        ImportMode::PerResource,
    )
    .await
    .unwrap();
    assert_eq!((some.created.len(), some.refused), (1, 1));
    let created = resources::get(&d.cat, &d.market_officer, some.created[0]).await.unwrap();
    assert_eq!(created.working.unwrap().name, "企业登记信息");
    assert!(
        exchange::import_report(&d.cat, &d.tax_officer, all.report_id.unwrap()).await.is_err(),
        "reports are the importer's"
    );
    let junk = exchange::import_file(
        &d.cat,
        &d.market_officer,
        "x.xlsx",
        b"not a workbook".to_vec(),
        ImportFormat::Xlsx,
        ImportMode::AllOrNothing,
    )
    .await
    .unwrap();
    assert!(junk.file_problem.is_some() && junk.created.is_empty());
}

async fn exported_catalogs_reimport(db: &TestDb) {
    let d = district(db).await;
    let id = resources::create(&d.cat, &d.market_officer, registration(d.market, "企业登记信息")).await.unwrap();
    publish(&d, id, &d.market_officer, None).await;
    let file = exchange::export_xlsx(&d.cat, &d.tax_officer, ExportScope::District).await.unwrap();
    let parsed = pubdata_catalog_io::parse_xlsx(&file, &exchange::directory(&d.cat).await.unwrap()).unwrap();
    assert_eq!(parsed.len(), 1);
    assert_eq!(parsed[0].document.as_ref().unwrap(), &registration(d.market, "企业登记信息"));
    let other = exchange::export_xlsx(&d.cat, &d.tax_officer, ExportScope::Organisation(d.market)).await;
    assert!(other.is_err(), "an agency exports only its own catalog");
    let dcat = exchange::dcat(&d.cat, &d.tax_officer, "https://data.example").await.unwrap();
    assert!(dcat.to_string().contains("https://data.example/catalog/"), "{dcat}");
}

async fn another_instance_finds_what_this_one_registered(db: &TestDb) {
    let d = district(db).await;
    let other_store = db.another_instance().await;
    let other = Catalog::open(other_store.clone(), None).await.unwrap();
    let id = resources::create(&d.cat, &d.market_officer, registration(d.market, "农贸市场摊位信息")).await.unwrap();
    let q = SearchQuery { text: "摊位".into(), limit: 5, ..Default::default() };
    assert_eq!(other.search(&d.staff, &q).await.unwrap().hits[0].resource_id, id);
    publish(&d, id, &d.market_officer, None).await;
    assert_eq!(other.search(&d.tax_officer, &q).await.unwrap().total, 1);
    other_store.close().await;
}

async fn the_demo_district_has_a_searchable_catalog(db: &TestDb) {
    pubdata_store::demo::seed(&db.store).await.unwrap();
    let cat = Catalog::open(db.store.clone(), None).await.unwrap();
    assert_eq!(pubdata_store::demo::seed_catalog(&cat).await.unwrap(), 5);
    assert_eq!(pubdata_store::demo::seed_catalog(&cat).await.unwrap(), 0, "seeding twice adds nothing");
    let system = Caller::system("test");
    let found =
        cat.search(&system, &SearchQuery { text: "社保".into(), limit: 5, ..Default::default() }).await.unwrap();
    assert_eq!(found.hits[0].name, "社会保险参保缴费记录");
    assert_eq!(found.hits[0].state, "published");
}

backend_tests!(
    the_demo_district_has_a_searchable_catalog,
    art_7_an_agency_registers_a_resource_with_every_field,
    art_7_missing_or_contradictory_fields_are_refused_naming_them,
    art_2_resources_involving_state_secrets_are_refused,
    art_7_review_runs_to_publication_with_the_providers_opinion,
    art_7_any_reviewer_can_return_it_with_comments,
    art_7_drafts_are_visible_only_to_their_agencies_and_the_authority,
    art_8_changes_to_published_resources_are_versioned_and_reviewed_again,
    art_8_contact_changes_publish_a_new_version_at_once,
    art_9_overlapping_items_need_a_written_justification,
    art_7_chinese_search_finds_published_resources_with_facets,
    art_8_it_projects_get_an_acceptance_report_with_evidence,
    catalog_archives_round_trip_exactly,
    art_7_excel_import_is_all_or_nothing_or_per_resource,
    exported_catalogs_reimport,
    another_instance_finds_what_this_one_registered,
);
