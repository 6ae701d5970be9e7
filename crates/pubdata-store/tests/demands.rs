//! The data demand list (Art.9, 15) over storage, on SQLite and PostgreSQL: filing,
//! coordination, the provider's answer, fulfilment and rejection, withdrawal, who sees what,
//! working-day deadlines, and one audit entry per step.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{agency, person};

use pubdata_domain::catalog::{
    DataItem, Delivery, ItemType, Level, OpenAttribute, ResourceDocument, ReviewAction, ShareAttribute, ShareTerm,
    StorageFormat, UpdateCycle,
};
use pubdata_domain::demand::{AnswerKind, DemandAction, DemandFiling, DemandState, DemandStep, StepInput};
use pubdata_domain::identity::{Caller, Permission, Role};
use pubdata_domain::timefmt;
use pubdata_store::catalog::Catalog;
use pubdata_store::catalog::resources;
use pubdata_store::demands::{self, DemandFilter, DemandList};
use pubdata_store::{Error, Store, bootstrap};
use pubdata_testkit::{TestDb, backend_tests};

/// A consumer (civil affairs), a provider (the water company), a third agency (tax), the
/// authority's staff and a supervisor.
struct District {
    cat: Catalog,
    civil: i64,
    water: i64,
    tax: i64,
    civil_officer: Caller,
    water_officer: Caller,
    tax_officer: Caller,
    staff: Caller,
    supervisor: Caller,
}

async fn district(db: &TestDb) -> District {
    let store = &db.store;
    bootstrap::ensure_initialized(store, "测试主管部门", false).await.unwrap();
    let system = Caller::system("test");
    let civil = agency(store, &system, "区民政局").await;
    let water = agency(store, &system, "区自来水公司").await;
    let tax = agency(store, &system, "区税务局").await;
    let supervising = agency(store, &system, "区委网信办").await;
    District {
        cat: Catalog::open(store.clone(), None).await.unwrap(),
        civil,
        water,
        tax,
        civil_officer: person(store, &system, "civil-officer", civil, Role::AgencyDataOfficer).await,
        water_officer: person(store, &system, "water-officer", water, Role::AgencyDataOfficer).await,
        tax_officer: person(store, &system, "tax-officer", tax, Role::AgencyDataOfficer).await,
        staff: person(store, &system, "coordinator", 1, Role::AuthorityStaff).await,
        supervisor: person(store, &system, "watcher", supervising, Role::Supervisor).await,
    }
}

fn filing(title: &str) -> DemandFiling {
    DemandFiling {
        title: title.into(),
        description: "低保申请家庭的月度用水量，用于判断是否长期居住".into(),
        items: vec!["用水户号".into(), "户主姓名".into(), "用水量".into()],
        scenario: "最低生活保障申请家庭经济状况核查".into(),
        legal_basis: "《社会救助暂行办法》第十一条".into(),
        delivery: Delivery::Api,
        related_resource_id: None,
    }
}

/// A registration of the water company's.
fn water_document(d: &District, name: &str) -> ResourceDocument {
    let item = |code: &str, name: &str| DataItem {
        code: code.into(),
        name: name.into(),
        item_type: ItemType::String,
        length: Some(50),
        precision: None,
        scale: None,
        required: false,
        unique_key: false,
        description: String::new(),
        level: Level::L2,
        code_list: vec![],
    };
    ResourceDocument {
        name: name.into(),
        business_name: "供水户管理".into(),
        source_system: "营销收费系统".into(),
        description: String::new(),
        provider_org_id: d.water,
        category: "civil_affairs".into(),
        level: Level::L2,
        storage_format: StorageFormat::DatabaseTable,
        share: ShareAttribute::Unconditional,
        open: OpenAttribute::Prohibited { reason: pubdata_domain::catalog::ProhibitionReason::PersonalOrCommercial },
        delivery: vec![Delivery::Api],
        update_cycle: UpdateCycle::Monthly,
        share_term: ShareTerm::LongTerm,
        contact_name: "孙亮".into(),
        contact_phone: "0574-87005005".into(),
        contact_email: String::new(),
        state_secret: false,
        items: vec![item("account_no", "用水户号"), item("volume", "用水量")],
    }
}

/// A published resource of the water company, for fulfilment.
async fn published_resource(d: &District, name: &str) -> i64 {
    let id = resources::create(&d.cat, &d.water_officer, water_document(d, name)).await.unwrap();
    resources::review(&d.cat, &d.water_officer, id, ReviewAction::Submit, "", Some("本单位业务数据")).await.unwrap();
    for action in [ReviewAction::Approve, ReviewAction::Publish] {
        resources::review(&d.cat, &d.staff, id, action, "", None).await.unwrap();
    }
    id
}

async fn audit_count(store: &Store) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_entries").fetch_one(store.reader()).await.unwrap();
    n
}

/// The newest audit entry: (action, object type, object id).
async fn last_audit(store: &Store) -> (String, String, Option<String>) {
    sqlx::query_as("SELECT action, object_type, object_id FROM audit_entries ORDER BY seq DESC LIMIT 1")
        .fetch_one(store.reader())
        .await
        .unwrap()
}

fn problem_fields(e: &Error) -> Vec<String> {
    match e {
        Error::Domain(pubdata_domain::Error::Problems(p)) => p.iter().map(|p| p.field.clone()).collect(),
        Error::Domain(pubdata_domain::Error::Invalid { field, .. }) => vec![field.clone()],
        other => panic!("expected problems, got {other:?}"),
    }
}

fn coordinate_with(provider: i64) -> StepInput {
    StepInput { comment: "请评估能否提供".into(), provider_org_id: Some(provider), ..StepInput::default() }
}

fn with_comment(comment: &str) -> StepInput {
    StepInput { comment: comment.into(), ..StepInput::default() }
}

async fn art_9_demand_is_filed_and_coordinated_to_fulfilment(db: &TestDb) {
    let d = district(db).await;
    let store = &db.store;
    let resource = published_resource(&d, "居民用水户信息").await;
    let filed = demands::create(store, &d.civil_officer, filing("居民月度用水量")).await.unwrap();
    assert_eq!(filed.state, DemandState::Submitted);
    assert_eq!(filed.consumer_org_id, d.civil);
    assert_eq!(filed.items, vec!["用水户号", "户主姓名", "用水量"]);
    assert_eq!(filed.actions, vec![DemandAction::Withdraw]);
    let due = filed.due.as_ref().unwrap();
    assert_eq!((due.step, filed.overdue), (DemandStep::Coordination, false));

    let id = filed.id;
    let coordinating =
        demands::act(store, &d.staff, id, DemandAction::Coordinate, coordinate_with(d.water)).await.unwrap();
    assert_eq!(coordinating.state, DemandState::Coordinating);
    assert_eq!(coordinating.provider_org_id, Some(d.water));
    assert_eq!(coordinating.due.as_ref().unwrap().step, DemandStep::Answer);
    let seen_by_provider = demands::get(store, &d.water_officer, id).await.unwrap();
    assert_eq!(seen_by_provider.actions, vec![DemandAction::Answer]);

    let answer = StepInput {
        comment: "已有资源可满足".into(),
        answer: Some(AnswerKind::CanProvide),
        resource_id: Some(resource),
        ..StepInput::default()
    };
    let answered = demands::act(store, &d.water_officer, id, DemandAction::Answer, answer).await.unwrap();
    let given = answered.answer.as_ref().unwrap();
    assert_eq!((given.kind, given.resource.as_ref().unwrap().id), (AnswerKind::CanProvide, resource));
    assert_eq!(given.answered_by, "water-officer");
    assert_eq!(answered.due.as_ref().unwrap().step, DemandStep::Decision);
    assert_eq!(
        demands::get(store, &d.staff, id).await.unwrap().actions,
        vec![DemandAction::Coordinate, DemandAction::Fulfil, DemandAction::Reject]
    );

    let fulfil =
        StepInput { resource_id: Some(resource), ..with_comment("按提供方答复，通过共享通道获取") };
    let done = demands::act(store, &d.staff, id, DemandAction::Fulfil, fulfil).await.unwrap();
    assert_eq!(done.state, DemandState::Fulfilled);
    assert_eq!(done.linked_resource.as_ref().unwrap().name, "居民用水户信息");
    assert!(done.closed_at.is_some() && done.due.is_none() && !done.overdue);
    assert!(done.actions.is_empty());
    let steps: Vec<(&str, &str, &str)> =
        done.timeline.iter().map(|e| (e.action.as_str(), e.from_state.as_str(), e.to_state.as_str())).collect();
    assert_eq!(
        steps,
        vec![
            ("file", "", "submitted"),
            ("coordinate", "submitted", "coordinating"),
            ("answer", "coordinating", "coordinating"),
            ("fulfil", "coordinating", "fulfilled"),
        ]
    );
    assert_eq!(done.timeline[1].provider_org_id, Some(d.water));
    assert_eq!(done.timeline[3].resource_id, Some(resource));
    assert_eq!(done.timeline[1].actor_name, "coordinator");
}

async fn art_9_every_step_writes_exactly_one_audit_entry(db: &TestDb) {
    let d = district(db).await;
    let store = &db.store;
    let before = audit_count(store).await;
    let id = demands::create(store, &d.civil_officer, filing("居民月度用水量")).await.unwrap().id;
    assert_eq!(audit_count(store).await, before + 1);
    assert_eq!(last_audit(store).await, ("demand.create".into(), "demand".into(), Some(id.to_string())));
    demands::act(store, &d.staff, id, DemandAction::Coordinate, coordinate_with(d.water)).await.unwrap();
    assert_eq!(audit_count(store).await, before + 2);
    let no = StepInput { answer: Some(AnswerKind::CannotProvide), ..with_comment("系统未记录户主身份") };
    demands::act(store, &d.water_officer, id, DemandAction::Answer, no).await.unwrap();
    assert_eq!(audit_count(store).await, before + 3);
    demands::act(store, &d.staff, id, DemandAction::Reject, with_comment("提供单位无此数据")).await.unwrap();
    assert_eq!(audit_count(store).await, before + 4);
    assert_eq!(last_audit(store).await, ("demand.update".into(), "demand".into(), Some(id.to_string())));
    let (summary,): (String,) = sqlx::query_as("SELECT summary FROM audit_entries ORDER BY seq DESC LIMIT 1")
        .fetch_one(store.reader())
        .await
        .unwrap();
    let summary: serde_json::Value = serde_json::from_str(&summary).unwrap();
    assert_eq!(summary["action"], "reject");
    assert_eq!((summary["from"].as_str(), summary["to"].as_str()), (Some("coordinating"), Some("rejected")));
    assert_eq!(summary["comment"], "提供单位无此数据");
    // Reading writes nothing.
    demands::get(store, &d.supervisor, id).await.unwrap();
    demands::list(store, &d.staff, DemandList::All, DemandFilter::default()).await.unwrap();
    assert_eq!(audit_count(store).await, before + 4);
}

async fn art_9_rejection_requires_reason(db: &TestDb) {
    let d = district(db).await;
    let store = &db.store;
    let id = demands::create(store, &d.civil_officer, filing("居民月度用水量")).await.unwrap().id;
    let before = audit_count(store).await;
    let err = demands::act(store, &d.staff, id, DemandAction::Reject, with_comment("   ")).await.unwrap_err();
    assert_eq!(problem_fields(&err), vec!["comment"]);
    let unchanged = demands::get(store, &d.staff, id).await.unwrap();
    assert_eq!((unchanged.state, unchanged.timeline.len()), (DemandState::Submitted, 1));
    assert_eq!(audit_count(store).await, before);
    let reason = "该数据可通过共享申请获取，请向自来水公司提出共享申请";
    let rejected = demands::act(store, &d.staff, id, DemandAction::Reject, with_comment(reason)).await.unwrap();
    assert_eq!(rejected.state, DemandState::Rejected);
    assert_eq!(rejected.rejection_reason.as_deref(), Some(reason));
    let again = demands::act(store, &d.staff, id, DemandAction::Reject, with_comment(reason)).await.unwrap_err();
    assert!(matches!(again, Error::Domain(pubdata_domain::Error::Conflict(_))), "{again:?}");
}

async fn art_15_only_the_authority_coordinates(db: &TestDb) {
    let d = district(db).await;
    let store = &db.store;
    let id = demands::create(store, &d.civil_officer, filing("居民月度用水量")).await.unwrap().id;
    let before = audit_count(store).await;
    let err = demands::act(store, &d.civil_officer, id, DemandAction::Coordinate, coordinate_with(d.water))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Domain(pubdata_domain::Error::Forbidden(Permission::DemandCoordinate))), "{err:?}");
    let supervisor =
        demands::act(store, &d.supervisor, id, DemandAction::Coordinate, coordinate_with(d.water)).await.unwrap_err();
    assert!(matches!(supervisor, Error::Domain(pubdata_domain::Error::Forbidden(Permission::DemandCoordinate))));
    assert_eq!(audit_count(store).await, before);

    demands::act(store, &d.staff, id, DemandAction::Coordinate, coordinate_with(d.water)).await.unwrap();
    let no = || StepInput { answer: Some(AnswerKind::CannotProvide), ..with_comment("无此数据") };
    let consumer_answers = demands::act(store, &d.civil_officer, id, DemandAction::Answer, no()).await.unwrap_err();
    assert!(matches!(consumer_answers, Error::Domain(pubdata_domain::Error::OutOfScope(_))), "{consumer_answers:?}");
    let provider_fulfils =
        demands::act(store, &d.water_officer, id, DemandAction::Fulfil, StepInput::default()).await.unwrap_err();
    assert!(matches!(provider_fulfils, Error::Domain(pubdata_domain::Error::Forbidden(Permission::DemandCoordinate))));
    let withdraw =
        demands::act(store, &d.civil_officer, id, DemandAction::Withdraw, with_comment("")).await.unwrap_err();
    assert!(matches!(withdraw, Error::Domain(pubdata_domain::Error::Conflict(_))), "coordination has started");
    assert_eq!(audit_count(store).await, before + 1);

    // The authority may propose another provider: the first one's answer no longer applies,
    // the answer clock starts again, and the first provider no longer sees the demand.
    demands::act(store, &d.water_officer, id, DemandAction::Answer, no()).await.unwrap();
    let again = demands::act(store, &d.staff, id, DemandAction::Coordinate, coordinate_with(d.tax)).await.unwrap();
    assert_eq!((again.provider_org_id, again.answer.is_none()), (Some(d.tax), true));
    assert_eq!(again.due.as_ref().unwrap().step, DemandStep::Answer);
    assert!(matches!(demands::get(store, &d.water_officer, id).await.unwrap_err(), Error::NotFound { .. }));
    assert_eq!(demands::get(store, &d.tax_officer, id).await.unwrap().actions, vec![DemandAction::Answer]);
    let second = demands::create(store, &d.civil_officer, filing("户籍人口信息")).await.unwrap().id;
    let withdrawn =
        demands::act(store, &d.civil_officer, second, DemandAction::Withdraw, with_comment("已通过其他途径解决"))
            .await
            .unwrap();
    assert_eq!(withdrawn.state, DemandState::Withdrawn);
}

async fn art_15_provider_answer_deadline_counts_working_days(db: &TestDb) {
    let d = district(db).await;
    let store = &db.store;
    let id = demands::create(store, &d.civil_officer, filing("居民月度用水量")).await.unwrap().id;
    let fresh = demands::create(store, &d.civil_officer, filing("户籍人口信息")).await.unwrap().id;
    demands::act(store, &d.staff, id, DemandAction::Coordinate, coordinate_with(d.water)).await.unwrap();
    // Filed and proposed on Tuesday 29 Sep 2026, 10:00 in Ningbo, before the National Day block
    // (1-7 Oct off, Saturday 10 Oct worked).
    db.raw(&format!(
        "UPDATE demands SET submitted_at = '2026-09-28T16:30:00.000000Z', assigned_at = '2026-09-29T02:00:00.000000Z' WHERE id = {id}"
    ))
    .await
    .unwrap();
    let got = demands::get(store, &d.water_officer, id).await.unwrap();
    let due = got.due.as_ref().unwrap();
    assert_eq!(due.step, DemandStep::Answer);
    assert_eq!(due.started_on, "2026-09-29");
    // 30 Sep, 8, 9, 10 (make-up Saturday), 12, 13, 14, 15, 16, 19 Oct.
    assert_eq!(due.due_on, "2026-10-19");
    let today = timefmt::format_date(timefmt::district_date(timefmt::now()));
    assert_eq!(got.overdue, today.as_str() > "2026-10-19");

    // The authority's own step: five working days from the filing (0:30 on 29 Sep in Ningbo).
    db.raw(&format!(
        "UPDATE demands SET state = 'submitted', assigned_at = NULL, provider_org_id = NULL WHERE id = {id}"
    ))
    .await
    .unwrap();
    let waiting = demands::get(store, &d.staff, id).await.unwrap();
    let due = waiting.due.as_ref().unwrap();
    assert_eq!((due.step, due.due_on.as_str()), (DemandStep::Coordination, "2026-10-12"));

    let overdue_only = DemandFilter { overdue_only: true, ..DemandFilter::default() };
    let listed: Vec<i64> =
        demands::list(store, &d.staff, DemandList::All, overdue_only).await.unwrap().iter().map(|s| s.id).collect();
    let expected = if today.as_str() > "2026-10-12" { vec![id] } else { vec![] };
    assert_eq!(listed, expected, "a demand filed just now is not overdue");
    let all = demands::list(store, &d.staff, DemandList::All, DemandFilter::default()).await.unwrap();
    assert_eq!(all.iter().map(|s| s.id).collect::<Vec<_>>(), vec![fresh, id]);
    assert!(!all[0].overdue);
}

async fn art_9_agency_sees_only_its_own_and_assigned_demands(db: &TestDb) {
    let d = district(db).await;
    let store = &db.store;
    let id = demands::create(store, &d.civil_officer, filing("居民月度用水量")).await.unwrap().id;
    demands::act(store, &d.staff, id, DemandAction::Coordinate, coordinate_with(d.water)).await.unwrap();
    let ids = |v: Vec<demands::DemandSummary>| v.into_iter().map(|s| s.id).collect::<Vec<_>>();
    let none = DemandFilter::default();
    assert_eq!(ids(demands::list(store, &d.civil_officer, DemandList::Mine, none).await.unwrap()), vec![id]);
    assert!(demands::list(store, &d.civil_officer, DemandList::Assigned, none).await.unwrap().is_empty());
    assert_eq!(ids(demands::list(store, &d.water_officer, DemandList::Assigned, none).await.unwrap()), vec![id]);
    assert!(demands::list(store, &d.water_officer, DemandList::Mine, none).await.unwrap().is_empty());
    assert!(demands::list(store, &d.tax_officer, DemandList::Mine, none).await.unwrap().is_empty());
    assert!(demands::list(store, &d.tax_officer, DemandList::Assigned, none).await.unwrap().is_empty());
    let all = demands::list(store, &d.tax_officer, DemandList::All, none).await.unwrap_err();
    assert!(matches!(all, Error::Domain(pubdata_domain::Error::OutOfScope(_))), "{all:?}");
    let hidden = demands::get(store, &d.tax_officer, id).await.unwrap_err();
    assert!(matches!(hidden, Error::NotFound { .. }), "{hidden:?}");
    let hidden =
        demands::act(store, &d.tax_officer, id, DemandAction::Withdraw, StepInput::default()).await.unwrap_err();
    assert!(matches!(hidden, Error::NotFound { .. }), "{hidden:?}");

    assert_eq!(ids(demands::list(store, &d.staff, DemandList::All, none).await.unwrap()), vec![id]);
    let coordinating = DemandFilter { state: Some(DemandState::Coordinating), ..none };
    assert_eq!(ids(demands::list(store, &d.supervisor, DemandList::All, coordinating).await.unwrap()), vec![id]);
    let submitted = DemandFilter { state: Some(DemandState::Submitted), ..none };
    assert!(demands::list(store, &d.staff, DemandList::All, submitted).await.unwrap().is_empty());
    let watched = demands::get(store, &d.supervisor, id).await.unwrap();
    assert!(watched.actions.is_empty(), "supervisors read, they do not act");
}

async fn failure_leaves_data_and_audit_count_unchanged(db: &TestDb) {
    let d = district(db).await;
    let store = &db.store;
    let before = audit_count(store).await;
    let bad = DemandFiling { items: vec![], scenario: " ".into(), legal_basis: String::new(), ..filing("x") };
    let err = demands::create(store, &d.civil_officer, bad).await.unwrap_err();
    assert_eq!(problem_fields(&err), vec!["title", "items", "scenario", "legal_basis"]);
    let missing = DemandFiling { related_resource_id: Some(9999), ..filing("居民月度用水量") };
    let err = demands::create(store, &d.civil_officer, missing).await.unwrap_err();
    assert_eq!(problem_fields(&err), vec!["related_resource_id"]);
    let err = demands::create(store, &d.staff, filing("居民月度用水量")).await.unwrap_err();
    assert!(matches!(err, Error::Domain(pubdata_domain::Error::Forbidden(Permission::DemandFile))), "{err:?}");
    let (rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM demands").fetch_one(store.reader()).await.unwrap();
    assert_eq!((rows, audit_count(store).await), (0, before));

    let id = demands::create(store, &d.civil_officer, filing("居民月度用水量")).await.unwrap().id;
    let before = audit_count(store).await;
    let own = demands::act(store, &d.staff, id, DemandAction::Coordinate, coordinate_with(d.civil)).await.unwrap_err();
    assert_eq!(problem_fields(&own), vec!["provider_org_id"]);
    let nobody = demands::act(store, &d.staff, id, DemandAction::Coordinate, with_comment("")).await.unwrap_err();
    assert_eq!(problem_fields(&nobody), vec!["provider_org_id"]);
    demands::act(store, &d.staff, id, DemandAction::Coordinate, coordinate_with(d.water)).await.unwrap();
    let before_fulfil = audit_count(store).await;
    assert_eq!(before_fulfil, before + 1);
    // A draft resource is not in the catalog yet: it cannot fulfil a demand.
    let draft = resources::create(&d.cat, &d.water_officer, water_document(&d, "用水户信息（草稿）")).await.unwrap();
    let before_fulfil = audit_count(store).await;
    let fulfil = StepInput { resource_id: Some(draft), ..StepInput::default() };
    let err = demands::act(store, &d.staff, id, DemandAction::Fulfil, fulfil).await.unwrap_err();
    assert_eq!(problem_fields(&err), vec!["resource_id"]);
    let unchanged = demands::get(store, &d.staff, id).await.unwrap();
    assert_eq!((unchanged.state, unchanged.timeline.len()), (DemandState::Coordinating, 2));
    assert!(unchanged.linked_resource.is_none());
    assert_eq!(audit_count(store).await, before_fulfil);
}

async fn the_demo_district_files_two_demands(db: &TestDb) {
    pubdata_store::demo::seed(&db.store).await.unwrap();
    assert_eq!(pubdata_store::demo::seed_demands(&db.store).await.unwrap(), 2);
    assert_eq!(pubdata_store::demo::seed_demands(&db.store).await.unwrap(), 0, "seeding twice adds nothing");
    let system = Caller::system("test");
    let all = demands::list(&db.store, &system, DemandList::All, DemandFilter::default()).await.unwrap();
    let states: Vec<DemandState> = all.iter().map(|s| s.state).collect();
    assert_eq!(states, vec![DemandState::Coordinating, DemandState::Submitted]);
}

backend_tests!(
    art_9_demand_is_filed_and_coordinated_to_fulfilment,
    art_9_every_step_writes_exactly_one_audit_entry,
    art_9_rejection_requires_reason,
    art_15_only_the_authority_coordinates,
    art_15_provider_answer_deadline_counts_working_days,
    art_9_agency_sees_only_its_own_and_assigned_demands,
    failure_leaves_data_and_audit_count_unchanged,
    the_demo_district_files_two_demands,
);
