//! Sharing (Ch.4, Art.13-16, with Art.7) over storage, on SQLite and PostgreSQL: requests routed
//! by share attribute, the provider's review within working days, the authority's arbitration,
//! grants holding exactly what was approved, expiry, suspension and revocation, the flag on
//! resources registered from granted data, and one audit entry per change.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{agency, person};

use pubdata_domain::catalog::{
    DataItem, Delivery, ItemType, Level, OpenAttribute, ProhibitionReason, ResourceDocument, ReviewAction,
    ShareAttribute, ShareTerm, StorageFormat, UpdateCycle,
};
use pubdata_domain::identity::{Caller, Permission, Role};
use pubdata_domain::ids::OrgId;
use pubdata_domain::sharing::reevaluation::{ReviewOutcome, ShareReviewInput, ShareReviewList, ShareReviewStatus};
use pubdata_domain::sharing::{
    Decision, DecisionInput, GrantAction, GrantState, RefusedBy, RequestState, RequestStep, RowFilter, RowScope,
    ScenarioCategory, ShareRequestInput,
};
use pubdata_domain::timefmt;
use pubdata_store::catalog::{Catalog, resources};
use pubdata_store::sharing::{self, GrantList, RequestFilter, RequestList, SharingSettings, reevaluation};
use pubdata_store::{Error, Store, bootstrap, calendar};
use pubdata_testkit::{TestDb, backend_tests};
use time::{Date, Duration};

/// A consumer (civil affairs), a provider (public security), a third agency (tax), the
/// authority's staff and a supervisor.
struct District {
    cat: Catalog,
    civil: i64,
    police: i64,
    civil_officer: Caller,
    police_officer: Caller,
    tax_officer: Caller,
    staff: Caller,
    supervisor: Caller,
}

async fn district(db: &TestDb) -> District {
    let store = &db.store;
    bootstrap::ensure_initialized(store, "测试主管部门", false).await.unwrap();
    let system = Caller::system("test");
    let civil = agency(store, &system, "区民政局").await;
    let police = agency(store, &system, "区公安分局").await;
    let tax = agency(store, &system, "区税务局").await;
    let supervising = agency(store, &system, "区委网信办").await;
    District {
        cat: Catalog::open(store.clone(), None).await.unwrap(),
        civil,
        police,
        civil_officer: person(store, &system, "civil-officer", civil, Role::AgencyDataOfficer).await,
        police_officer: person(store, &system, "police-officer", police, Role::AgencyDataOfficer).await,
        tax_officer: person(store, &system, "tax-officer", tax, Role::AgencyDataOfficer).await,
        staff: person(store, &system, "coordinator", 1, Role::AuthorityStaff).await,
        supervisor: person(store, &system, "watcher", supervising, Role::Supervisor).await,
    }
}

fn item(code: &str, name: &str, level: Level, key: bool) -> DataItem {
    DataItem {
        code: code.into(),
        name: name.into(),
        item_type: ItemType::String,
        length: Some(50),
        precision: None,
        scale: None,
        required: key,
        unique_key: key,
        description: String::new(),
        level,
        code_list: vec![],
    }
}

fn document(
    provider: i64,
    name: &str,
    share: ShareAttribute,
    term: ShareTerm,
    items: Vec<DataItem>,
) -> ResourceDocument {
    ResourceDocument {
        name: name.into(),
        business_name: "户籍管理".into(),
        source_system: "人口信息系统".into(),
        description: String::new(),
        provider_org_id: provider,
        category: "civil_affairs".into(),
        level: Level::L4,
        storage_format: StorageFormat::DatabaseTable,
        share,
        open: OpenAttribute::Prohibited { reason: ProhibitionReason::PersonalOrCommercial },
        delivery: vec![Delivery::Api],
        update_cycle: UpdateCycle::Daily,
        share_term: term,
        contact_name: "李警官".into(),
        contact_phone: "0574-87001110".into(),
        contact_email: String::new(),
        state_secret: false,
        items,
    }
}

fn population_items() -> Vec<DataItem> {
    vec![
        item("id_number", "身份证号", Level::L4, true),
        item("name", "姓名", Level::L3, false),
        item("address", "户籍地址", Level::L3, false),
        item("district", "所属区县", Level::L1, false),
    ]
}

async fn publish(d: &District, compiler: &Caller, doc: ResourceDocument) -> i64 {
    let id = resources::create(&d.cat, compiler, doc).await.unwrap();
    resources::review(&d.cat, compiler, id, ReviewAction::Submit, "", Some("本单位业务数据")).await.unwrap();
    for action in [ReviewAction::Approve, ReviewAction::Publish] {
        resources::review(&d.cat, &d.staff, id, action, "", None).await.unwrap();
    }
    id
}

/// The police's population register with `share`.
async fn population(d: &District, share: ShareAttribute) -> i64 {
    let doc = document(d.police, "户籍人口基本信息", share, ShareTerm::LongTerm, population_items());
    publish(d, &d.police_officer, doc).await
}

fn restricted() -> ShareAttribute {
    ShareAttribute::Restricted { reason: "含个人信息".into(), conditions: "仅限社会救助核查使用".into() }
}

fn today() -> Date {
    timefmt::district_date(timefmt::now())
}

fn request(resource_id: i64) -> ShareRequestInput {
    ShareRequestInput {
        resource_id,
        items: vec!["id_number".into(), "name".into(), "district".into()],
        scenario: "最低生活保障申请家庭户籍核查".into(),
        scenario_category: ScenarioCategory::SocialAssistance,
        legal_duty: "《社会救助暂行办法》第十一条".into(),
        delivery: Delivery::Api,
        end_date: today() + Duration::days(90),
        row_scope: RowScope::default(),
        raw_items: vec![],
        raw_justification: String::new(),
    }
}

fn approve() -> DecisionInput {
    DecisionInput { decision: Decision::Approve, reason: String::new(), items: None, end_date: None, raw_items: vec![] }
}

fn refuse(reason: &str) -> DecisionInput {
    DecisionInput { decision: Decision::Refuse, reason: reason.into(), ..approve() }
}

async fn audit_count(store: &Store) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_entries").fetch_one(store.reader()).await.unwrap();
    n
}

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

fn settings() -> SharingSettings {
    SharingSettings::default()
}

async fn art_14_unconditional_request_is_granted_at_once(db: &TestDb) {
    let d = district(db).await;
    let store = &db.store;
    let resource = population(&d, ShareAttribute::Unconditional).await;
    let before = audit_count(store).await;
    // Raw values asked for are not part of an automatic grant.
    let asked = ShareRequestInput {
        raw_items: vec!["name".into()],
        raw_justification: "核对申请人姓名与户籍登记是否一致".into(),
        ..request(resource)
    };
    let made = sharing::create(store, &settings(), &d.civil_officer, asked).await.unwrap();
    assert_eq!(made.state, RequestState::Granted);
    assert!(made.review_due.is_none() && made.refused_by.is_none());
    let grant_id = made.grant_id.expect("granted at once");
    assert_eq!(audit_count(store).await, before + 1, "one request, one audit entry");
    assert_eq!(last_audit(store).await, ("sharing.request".into(), "share_request".into(), Some(made.id.to_string())));

    let grant = sharing::get_grant(store, &d.police_officer, grant_id).await.unwrap();
    assert_eq!(grant.state, GrantState::Active);
    assert!(grant.raw_items.is_empty(), "only an explicit approval grants raw values");
    assert_eq!(grant.start_date, timefmt::format_date(today()));
    let found = sharing::active_grant_for(store, OrgId(d.civil), resource).await.unwrap().unwrap();
    assert_eq!(found.id, grant_id);
    assert!(sharing::active_grant_for(store, OrgId(d.police), resource).await.unwrap().is_none());
}

async fn art_14_restricted_request_waits_for_the_providers_review_within_working_days(db: &TestDb) {
    let d = district(db).await;
    let store = &db.store;
    let resource = population(&d, restricted()).await;
    let asked = ShareRequestInput {
        raw_items: vec!["name".into()],
        raw_justification: "核对申请人姓名与户籍登记是否一致".into(),
        ..request(resource)
    };
    let three_days = SharingSettings { review_working_days: 3, ..SharingSettings::default() };
    let made = sharing::create(store, &three_days, &d.civil_officer, asked).await.unwrap();
    assert_eq!((made.state, made.grant_id), (RequestState::PendingReview, None));
    assert_eq!(made.conditions.as_deref(), Some("仅限社会救助核查使用"));
    let cal = calendar::load(store).await.unwrap();
    let due = made.review_due.as_ref().unwrap();
    assert_eq!(due.due_on, timefmt::format_date(cal.add_working_days(today(), 3)));
    assert!(!due.overdue);
    assert!(sharing::active_grant_for(store, OrgId(d.civil), resource).await.unwrap().is_none());

    // Only the provider reviews; a third agency does not even see the request.
    assert!(matches!(
        sharing::review(store, &d.civil_officer, made.id, approve()).await,
        Err(Error::Domain(pubdata_domain::Error::OutOfScope(_)))
    ));
    assert!(matches!(sharing::get_request(store, &d.tax_officer, made.id).await, Err(Error::NotFound { .. })));
    let incoming = sharing::list_requests(store, &d.police_officer, RequestList::Incoming, RequestFilter::default())
        .await
        .unwrap();
    assert_eq!(incoming.iter().map(|r| r.id).collect::<Vec<_>>(), vec![made.id]);
    assert_eq!(incoming[0].actions, vec![RequestStep::Review]);

    // The provider approves fewer items, an earlier end, and raw names.
    let narrowed = DecisionInput {
        items: Some(vec!["id_number".into(), "name".into()]),
        end_date: Some(today() + Duration::days(30)),
        raw_items: vec!["name".into()],
        ..approve()
    };
    let before = audit_count(store).await;
    let done = sharing::review(store, &d.police_officer, made.id, narrowed).await.unwrap();
    assert_eq!(done.state, RequestState::Granted);
    assert_eq!(done.review.as_ref().unwrap().decision, "approve");
    assert_eq!(audit_count(store).await, before + 1);
    assert_eq!(last_audit(store).await.0, "sharing.decide");
    let grant = sharing::get_grant(store, &d.civil_officer, done.grant_id.unwrap()).await.unwrap();
    assert_eq!(grant.items, vec!["id_number", "name"]);
    assert_eq!(grant.raw_items, vec!["name"]);
    assert_eq!(grant.end_date, timefmt::format_date(today() + Duration::days(30)));
    assert!(matches!(
        sharing::review(store, &d.police_officer, made.id, refuse("重复审核")).await,
        Err(Error::Domain(pubdata_domain::Error::Conflict(_)))
    ));
}

async fn art_14_not_shared_request_is_refused_with_the_legal_basis(db: &TestDb) {
    let d = district(db).await;
    let store = &db.store;
    let basis = "《中华人民共和国居民身份证法》第六条";
    let resource = population(&d, ShareAttribute::NotShared { legal_basis: basis.into() }).await;
    let made = sharing::create(store, &settings(), &d.civil_officer, request(resource)).await.unwrap();
    assert_eq!(made.state, RequestState::Refused);
    assert_eq!(made.refused_by, Some(RefusedBy::ShareAttribute));
    assert_eq!(made.refusal_reason.as_deref(), Some(basis));
    let route = made.demand_route.as_ref().expect("the demand list is the route onwards");
    assert_eq!((route.path, route.related_resource_id), ("/api/v1/demands", resource));
    assert!(made.grant_id.is_none() && made.actions.is_empty());
    assert_eq!(last_audit(store).await.0, "sharing.request");
    // A legal prohibition is not the authority's to overrule.
    assert!(matches!(
        sharing::arbitrate(store, &d.staff, made.id, approve()).await,
        Err(Error::Domain(pubdata_domain::Error::Conflict(_)))
    ));
    assert!(sharing::active_grant_for(store, OrgId(d.civil), resource).await.unwrap().is_none());
}

async fn art_14_authority_arbitrates_an_overdue_review(db: &TestDb) {
    let d = district(db).await;
    let store = &db.store;
    let resource = population(&d, restricted()).await;
    let made = sharing::create(store, &settings(), &d.civil_officer, request(resource)).await.unwrap();
    assert!(
        matches!(
            sharing::arbitrate(store, &d.staff, made.id, approve()).await,
            Err(Error::Domain(pubdata_domain::Error::Conflict(_)))
        ),
        "the provider still has time"
    );
    // Requested on Monday 2 March 2026: five working days end on Monday 9 March.
    db.raw(&format!("UPDATE share_requests SET requested_at = '2026-03-02T01:00:00.000000Z' WHERE id = {}", made.id))
        .await
        .unwrap();
    let seen = sharing::get_request(store, &d.staff, made.id).await.unwrap();
    let due = seen.review_due.as_ref().unwrap();
    assert_eq!((due.due_on.as_str(), due.overdue), ("2026-03-09", true));
    assert_eq!(seen.actions, vec![RequestStep::Arbitrate]);
    let overdue = RequestFilter { overdue_only: true, ..RequestFilter::default() };
    let listed = sharing::list_requests(store, &d.staff, RequestList::All, overdue).await.unwrap();
    assert_eq!(listed.iter().map(|r| r.id).collect::<Vec<_>>(), vec![made.id]);
    assert!(matches!(
        sharing::arbitrate(store, &d.police_officer, made.id, approve()).await,
        Err(Error::Domain(pubdata_domain::Error::Forbidden(Permission::SharingArbitrate)))
    ));
    let decided = sharing::arbitrate(
        store,
        &d.staff,
        made.id,
        DecisionInput { reason: "逾期未审核，符合共享条件".into(), ..approve() },
    )
    .await
    .unwrap();
    assert_eq!(decided.state, RequestState::Granted);
    assert_eq!(decided.arbitration.as_ref().unwrap().reason, "逾期未审核，符合共享条件");
    assert!(decided.grant_id.is_some());

    // A provider's refusal: the reason is required; the authority may uphold it, once.
    let second = sharing::create(store, &settings(), &d.civil_officer, request(resource)).await.unwrap();
    let e = sharing::review(store, &d.police_officer, second.id, refuse(" ")).await.unwrap_err();
    assert_eq!(problem_fields(&e), vec!["reason"]);
    let refused = sharing::review(store, &d.police_officer, second.id, refuse("不符合共享条件")).await.unwrap();
    assert_eq!((refused.state, refused.refused_by), (RequestState::Refused, Some(RefusedBy::Provider)));
    let upheld = sharing::arbitrate(store, &d.staff, second.id, refuse("维持提供方意见")).await.unwrap();
    assert_eq!((upheld.state, upheld.refused_by), (RequestState::Refused, Some(RefusedBy::Authority)));
    assert!(upheld.grant_id.is_none() && upheld.actions.is_empty());
    assert!(matches!(
        sharing::arbitrate(store, &d.staff, second.id, approve()).await,
        Err(Error::Domain(pubdata_domain::Error::Conflict(_)))
    ));
}

async fn art_16_grant_holds_only_the_requested_items_and_scenario(db: &TestDb) {
    let d = district(db).await;
    let store = &db.store;
    let resource = population(&d, ShareAttribute::Unconditional).await;
    let scoped = ShareRequestInput {
        items: vec!["id_number".into(), "district".into()],
        row_scope: RowScope {
            keyed_only: true,
            filter: Some(RowFilter { item: "district".into(), value: "鄞州区".into() }),
        },
        ..request(resource)
    };
    let made = sharing::create(store, &settings(), &d.civil_officer, scoped).await.unwrap();
    let grant = sharing::get_grant(store, &d.civil_officer, made.grant_id.unwrap()).await.unwrap();
    assert_eq!(grant.items, vec!["id_number", "district"]);
    assert_eq!(grant.scenario, "最低生活保障申请家庭户籍核查");
    assert_eq!(grant.scenario_category, "social_assistance");
    assert_eq!(grant.delivery, Delivery::Api);
    assert!(grant.row_scope.keyed_only);
    assert_eq!(grant.row_scope.filter, Some(RowFilter { item: "district".into(), value: "鄞州区".into() }));
    assert_eq!((grant.consumer_org_id, grant.provider_org_id, grant.resource_id), (d.civil, d.police, resource));
    assert_eq!(grant.end_date, timefmt::format_date(today() + Duration::days(90)));

    // The consumer holds it, the provider gave it, a third agency sees nothing, oversight sees all.
    let ids = |v: Vec<sharing::GrantView>| v.into_iter().map(|g| g.id).collect::<Vec<_>>();
    assert_eq!(
        ids(sharing::list_grants(store, &d.civil_officer, GrantList::Held, None).await.unwrap()),
        vec![grant.id]
    );
    assert_eq!(
        ids(sharing::list_grants(store, &d.police_officer, GrantList::Given, None).await.unwrap()),
        vec![grant.id]
    );
    assert!(sharing::list_grants(store, &d.tax_officer, GrantList::Held, None).await.unwrap().is_empty());
    assert!(matches!(sharing::get_grant(store, &d.tax_officer, grant.id).await, Err(Error::NotFound { .. })));
    assert_eq!(ids(sharing::list_grants(store, &d.supervisor, GrantList::All, None).await.unwrap()), vec![grant.id]);
    assert!(sharing::list_grants(store, &d.civil_officer, GrantList::All, None).await.is_err());
    assert!(grant.actions.is_empty(), "the consumer cannot change its own grant");
}

async fn art_15_grant_expires_on_its_end_date(db: &TestDb) {
    let d = district(db).await;
    let store = &db.store;
    let resource = population(&d, ShareAttribute::Unconditional).await;
    let made = sharing::create(store, &settings(), &d.civil_officer, request(resource)).await.unwrap();
    let id = made.grant_id.unwrap();
    let today_text = timefmt::format_date(today());
    db.raw(&format!("UPDATE share_grants SET end_date = '{today_text}' WHERE id = {id}")).await.unwrap();
    assert_eq!(
        sharing::get_grant(store, &d.civil_officer, id).await.unwrap().state,
        GrantState::Active,
        "the last day counts"
    );
    assert!(sharing::active_grant_for(store, OrgId(d.civil), resource).await.unwrap().is_some());

    let yesterday = timefmt::format_date(today() - Duration::days(1));
    db.raw(&format!("UPDATE share_grants SET end_date = '{yesterday}' WHERE id = {id}")).await.unwrap();
    let grant = sharing::get_grant(store, &d.police_officer, id).await.unwrap();
    assert_eq!(grant.state, GrantState::Expired);
    assert!(grant.actions.is_empty());
    assert!(sharing::active_grant_for(store, OrgId(d.civil), resource).await.unwrap().is_none());
    let expired =
        sharing::list_grants(store, &d.civil_officer, GrantList::Held, Some(GrantState::Expired)).await.unwrap();
    assert_eq!(expired.len(), 1);
    assert!(matches!(
        sharing::change_grant(store, &d.police_officer, id, GrantAction::Suspend, "核查").await,
        Err(Error::Domain(pubdata_domain::Error::Conflict(_)))
    ));
}

async fn art_15_provider_suspends_and_revokes_a_grant_with_a_reason(db: &TestDb) {
    let d = district(db).await;
    let store = &db.store;
    let resource = population(&d, ShareAttribute::Unconditional).await;
    let made = sharing::create(store, &settings(), &d.civil_officer, request(resource)).await.unwrap();
    let id = made.grant_id.unwrap();
    let e = sharing::change_grant(store, &d.police_officer, id, GrantAction::Suspend, "  ").await.unwrap_err();
    assert_eq!(problem_fields(&e), vec!["reason"]);
    assert!(matches!(
        sharing::change_grant(store, &d.civil_officer, id, GrantAction::Suspend, "自行暂停").await,
        Err(Error::Domain(pubdata_domain::Error::OutOfScope(_)))
    ));
    let before = audit_count(store).await;
    let suspended =
        sharing::change_grant(store, &d.police_officer, id, GrantAction::Suspend, "调用量异常，核查中").await.unwrap();
    assert_eq!(suspended.state, GrantState::Suspended);
    assert_eq!(suspended.state_reason.as_deref(), Some("调用量异常，核查中"));
    assert!(sharing::active_grant_for(store, OrgId(d.civil), resource).await.unwrap().is_none());
    let resumed = sharing::change_grant(store, &d.police_officer, id, GrantAction::Resume, "").await.unwrap();
    assert_eq!(resumed.state, GrantState::Active);
    assert!(sharing::active_grant_for(store, OrgId(d.civil), resource).await.unwrap().is_some());
    let revoked = sharing::change_grant(store, &d.staff, id, GrantAction::Revoke, "超出应用场景使用数据（第十六条）")
        .await
        .unwrap();
    assert_eq!(revoked.state, GrantState::Revoked);
    assert_eq!(audit_count(store).await, before + 3, "one audit entry per change");
    assert_eq!(last_audit(store).await, ("sharing.grant_update".into(), "grant".into(), Some(id.to_string())));
    let steps: Vec<(&str, &str, &str)> =
        revoked.history.iter().map(|e| (e.action.as_str(), e.from_state.as_str(), e.to_state.as_str())).collect();
    assert_eq!(
        steps,
        vec![("suspend", "active", "suspended"), ("resume", "suspended", "active"), ("revoke", "active", "revoked")]
    );
    assert!(matches!(
        sharing::change_grant(store, &d.police_officer, id, GrantAction::Resume, "").await,
        Err(Error::Domain(pubdata_domain::Error::Conflict(_)))
    ));
    assert!(sharing::active_grant_for(store, OrgId(d.civil), resource).await.unwrap().is_none());
}

async fn art_7_registering_granted_data_as_own_resource_needs_confirmation(db: &TestDb) {
    let d = district(db).await;
    let store = &db.store;
    let resource = population(&d, ShareAttribute::Unconditional).await;
    sharing::create(store, &settings(), &d.civil_officer, request(resource)).await.unwrap();

    // Civil affairs registers the received population data as if it were its own.
    let copied = vec![
        item("sfzh", "身份证号", Level::L4, true),
        item("name", "姓名", Level::L3, false),
        item("relief_type", "救助类别", Level::L2, false),
    ];
    let doc = document(d.civil, "低保对象户籍信息", ShareAttribute::Unconditional, ShareTerm::LongTerm, copied);
    let id = resources::create(&d.cat, &d.civil_officer, doc).await.unwrap();
    let flag = sharing::received_flag(store, &d.civil_officer, id).await.unwrap().expect("flagged");
    assert!(flag.confirmed_at.is_none());
    assert!(flag.matched_items.contains("身份证号") && flag.matched_items.contains("姓名"));
    resources::review(&d.cat, &d.civil_officer, id, ReviewAction::Submit, "", Some("救助业务数据")).await.unwrap();
    resources::review(&d.cat, &d.staff, id, ReviewAction::Approve, "", None).await.unwrap();
    assert!(matches!(
        resources::review(&d.cat, &d.staff, id, ReviewAction::Publish, "", None).await,
        Err(Error::Domain(pubdata_domain::Error::Conflict(_)))
    ));
    assert!(matches!(
        sharing::confirm_received(store, &d.civil_officer, id, "本单位数据").await,
        Err(Error::Domain(pubdata_domain::Error::Forbidden(Permission::SharingArbitrate)))
    ));
    let confirmed =
        sharing::confirm_received(store, &d.staff, id, "救助类别为本单位采集，身份信息仅作关联").await.unwrap();
    assert!(confirmed.confirmed_at.is_some());
    assert_eq!(last_audit(store).await.0, "sharing.received_confirm");
    let published = resources::review(&d.cat, &d.staff, id, ReviewAction::Publish, "", None).await.unwrap();
    assert_eq!(published.current_version, 1);

    // A resource of its own records, sharing one key item, is not flagged.
    let own = vec![
        item("sfzh", "身份证号", Level::L4, true),
        item("allowance", "救助金额", Level::L2, false),
        item("month", "发放月份", Level::L1, false),
    ];
    let doc = document(d.civil, "低保金发放记录", ShareAttribute::Unconditional, ShareTerm::LongTerm, own);
    let id = resources::create(&d.cat, &d.civil_officer, doc).await.unwrap();
    assert!(sharing::received_flag(store, &d.civil_officer, id).await.unwrap().is_none());
}

async fn art_7_the_flag_is_shown_only_with_the_working_copy(db: &TestDb) {
    let d = district(db).await;
    let store = &db.store;
    let resource = population(&d, ShareAttribute::Unconditional).await;
    sharing::create(store, &settings(), &d.civil_officer, request(resource)).await.unwrap();
    let copied = vec![
        item("sfzh", "身份证号", Level::L4, true),
        item("name", "姓名", Level::L3, false),
        item("relief_type", "救助类别", Level::L2, false),
    ];
    let doc = document(d.civil, "低保对象户籍信息", ShareAttribute::Unconditional, ShareTerm::LongTerm, copied);
    let id = resources::create(&d.cat, &d.civil_officer, doc).await.unwrap();
    // The flag names the grant civil affairs holds: its own agency and those who see all
    // organisations see it with the draft.
    for who in [&d.civil_officer, &d.staff, &d.supervisor] {
        assert!(sharing::received_flag(store, who, id).await.unwrap().is_some(), "{}", who.principal.username);
    }
    // Other agencies, the grant's provider too, see neither the draft nor its flag.
    for who in [&d.tax_officer, &d.police_officer] {
        assert!(matches!(resources::get(&d.cat, who, id).await, Err(Error::NotFound { .. })));
        assert!(matches!(sharing::received_flag(store, who, id).await, Err(Error::NotFound { .. })));
    }
    // Published, the resource is in every agency's catalog; its flag stays with the working copy.
    resources::review(&d.cat, &d.civil_officer, id, ReviewAction::Submit, "", Some("救助业务数据")).await.unwrap();
    resources::review(&d.cat, &d.staff, id, ReviewAction::Approve, "", None).await.unwrap();
    sharing::confirm_received(store, &d.staff, id, "救助类别为本单位采集，身份信息仅作关联").await.unwrap();
    resources::review(&d.cat, &d.staff, id, ReviewAction::Publish, "", None).await.unwrap();
    assert!(resources::get(&d.cat, &d.tax_officer, id).await.is_ok());
    assert!(matches!(sharing::received_flag(store, &d.tax_officer, id).await, Err(Error::NotFound { .. })));
    let flag = sharing::received_flag(store, &d.civil_officer, id).await.unwrap().unwrap();
    assert!(flag.confirmed_at.is_some());
    assert!(matches!(sharing::received_flag(store, &d.staff, id + 1000).await, Err(Error::NotFound { .. })));
}

async fn art_13_requests_outside_scope_are_refused_with_field_errors(db: &TestDb) {
    let d = district(db).await;
    let store = &db.store;
    let doc = document(
        d.police,
        "暂住人口信息",
        ShareAttribute::Unconditional,
        ShareTerm::Months { months: 6 },
        population_items(),
    );
    let resource = publish(&d, &d.police_officer, doc).await;
    let bad = ShareRequestInput {
        items: vec!["id_number".into(), "phone".into()],
        scenario: String::new(),
        delivery: Delivery::Bulk,
        end_date: today() + Duration::days(250),
        ..request(resource)
    };
    let before = audit_count(store).await;
    let e = sharing::create(store, &settings(), &d.civil_officer, bad).await.unwrap_err();
    assert_eq!(problem_fields(&e), vec!["items[1]", "scenario", "delivery", "end_date"]);
    let none = ShareRequestInput { items: vec![], ..request(resource) };
    let e = sharing::create(store, &settings(), &d.civil_officer, none).await.unwrap_err();
    assert_eq!(problem_fields(&e), vec!["items"]);
    assert_eq!(audit_count(store).await, before, "nothing refused for its input is recorded as a request");

    // Drafts are not in the district catalog; one's own resources need no request.
    let draft = document(d.police, "草稿资源", ShareAttribute::Unconditional, ShareTerm::LongTerm, population_items());
    let draft = resources::create(&d.cat, &d.police_officer, draft).await.unwrap();
    let e = sharing::create(store, &settings(), &d.civil_officer, request(draft)).await.unwrap_err();
    assert_eq!(problem_fields(&e), vec!["resource_id"]);
    let e = sharing::create(store, &settings(), &d.police_officer, request(resource)).await.unwrap_err();
    assert_eq!(problem_fields(&e), vec!["resource_id"]);
    assert!(matches!(
        sharing::create(store, &settings(), &d.supervisor, request(resource)).await,
        Err(Error::Domain(pubdata_domain::Error::Forbidden(Permission::SharingRequest)))
    ));
    assert!(matches!(
        sharing::create(store, &settings(), &d.staff, request(resource)).await,
        Err(Error::Domain(pubdata_domain::Error::Forbidden(Permission::SharingRequest)))
    ));
}

/// Moves resource `id`'s review interval to have started on `from` (time passing, in a test).
async fn review_interval_from(db: &TestDb, id: i64, from: Date) {
    let from = timefmt::format_date(from);
    db.raw(&format!("UPDATE share_review_schedules SET review_from = '{from}' WHERE resource_id = {id}"))
        .await
        .unwrap();
}

fn months_ago(months: i64) -> Date {
    // add_months backwards: the same day `months` months earlier, clamped to the month's end.
    let t = today();
    let index = t.year() as i64 * 12 + (t.month() as i64 - 1) - months;
    let month = time::Month::try_from((index.rem_euclid(12) + 1) as u8).unwrap();
    let year = index.div_euclid(12) as i32;
    Date::from_calendar_date(year, month, t.day().min(month.length(year))).unwrap()
}

async fn art_14_share_attribute_review_due_after_interval(db: &TestDb) {
    let d = district(db).await;
    let store = &db.store;
    let resource = population(&d, restricted()).await;
    let yearly = settings();
    // Publication starts the interval: the next review is twelve months on, not yet due.
    let view = reevaluation::schedule_of(store, &yearly, &d.civil_officer, resource).await.unwrap().unwrap();
    assert_eq!(view.review_from, timefmt::format_date(today()));
    assert_eq!(view.next_review_on, timefmt::format_date(pubdata_domain::sharing::add_months(today(), 12)));
    assert_eq!(view.status, ShareReviewStatus::Scheduled);
    assert!(!view.can_record, "only the provider records");
    let due = reevaluation::list(store, &yearly, &d.police_officer, ShareReviewList::Due).await.unwrap();
    assert!(due.is_empty());
    let all = reevaluation::list(store, &yearly, &d.police_officer, ShareReviewList::All).await.unwrap();
    assert_eq!(all.iter().map(|v| v.resource_id).collect::<Vec<_>>(), vec![resource]);
    assert!(all[0].can_record);

    // Twelve months later it is due for the provider, the authority and supervisors.
    review_interval_from(db, resource, months_ago(12)).await;
    for who in [&d.police_officer, &d.staff, &d.supervisor] {
        let due = reevaluation::list(store, &yearly, who, ShareReviewList::Due).await.unwrap();
        assert_eq!(
            due.iter().map(|v| (v.resource_id, v.status)).collect::<Vec<_>>(),
            vec![(resource, ShareReviewStatus::Due)]
        );
        assert!(reevaluation::list(store, &yearly, who, ShareReviewList::Overdue).await.unwrap().is_empty());
    }
    assert!(
        reevaluation::list(store, &yearly, &d.civil_officer, ShareReviewList::Due).await.unwrap().is_empty(),
        "not its resource"
    );
    assert!(!reevaluation::list(store, &yearly, &d.staff, ShareReviewList::Due).await.unwrap()[0].can_record);
    // A day past the date it is overdue; a shorter configured interval brings the date forward.
    review_interval_from(db, resource, months_ago(12) - Duration::days(1)).await;
    let overdue = reevaluation::list(store, &yearly, &d.police_officer, ShareReviewList::Overdue).await.unwrap();
    assert_eq!(overdue[0].status, ShareReviewStatus::Overdue);
    review_interval_from(db, resource, months_ago(6)).await;
    let half_yearly = SharingSettings { share_review_months: 6, ..settings() };
    let due = reevaluation::list(store, &half_yearly, &d.police_officer, ShareReviewList::Due).await.unwrap();
    assert_eq!(due[0].next_review_on, timefmt::format_date(today()));
}

async fn art_14_kept_review_moves_the_next_date(db: &TestDb) {
    let d = district(db).await;
    let store = &db.store;
    let resource = population(&d, restricted()).await;
    review_interval_from(db, resource, months_ago(13)).await;
    let kept =
        ShareReviewInput { outcome: ReviewOutcome::Kept, comment: "仍含个人信息，维持受限共享".into() };
    for (who, expected) in [(&d.staff, "out_of_scope"), (&d.supervisor, "forbidden"), (&d.tax_officer, "not_found")] {
        let e = reevaluation::record(store, &settings(), who, resource, kept.clone()).await.unwrap_err();
        let code = match e {
            Error::Domain(pubdata_domain::Error::OutOfScope(_)) => "out_of_scope",
            Error::Domain(pubdata_domain::Error::Forbidden(_)) => "forbidden",
            Error::NotFound { .. } => "not_found",
            other => panic!("{other:?}"),
        };
        assert_eq!(code, expected);
    }
    let before = audit_count(store).await;
    let recorded = reevaluation::record(store, &settings(), &d.police_officer, resource, kept).await.unwrap();
    assert_eq!(recorded.outcome, ReviewOutcome::Kept);
    assert_eq!(recorded.share_attribute, restricted(), "the attribute as it stood");
    assert_eq!(recorded.reviewed_by, "police-officer");
    assert_eq!(recorded.next_review_on, timefmt::format_date(pubdata_domain::sharing::add_months(today(), 12)));
    assert_eq!(audit_count(store).await, before + 1);
    assert_eq!(last_audit(store).await, ("sharing.share_review".into(), "resource".into(), Some(resource.to_string())));
    let view = reevaluation::schedule_of(store, &settings(), &d.police_officer, resource).await.unwrap().unwrap();
    assert_eq!(
        (view.status, view.next_review_on.clone()),
        (ShareReviewStatus::Scheduled, recorded.next_review_on.clone())
    );
    assert_eq!(view.last_review.unwrap().id, recorded.id);
    assert!(reevaluation::list(store, &settings(), &d.police_officer, ShareReviewList::Due).await.unwrap().is_empty());
}

async fn art_14_a_share_attribute_to_revise_stays_under_revision_until_published_again(db: &TestDb) {
    let d = district(db).await;
    let store = &db.store;
    let resource = population(&d, restricted()).await;
    review_interval_from(db, resource, months_ago(12)).await;
    let before = audit_count(store).await;
    let silent = ShareReviewInput { outcome: ReviewOutcome::ToRevise, comment: " ".into() };
    let e = reevaluation::record(store, &settings(), &d.police_officer, resource, silent).await.unwrap_err();
    assert_eq!(problem_fields(&e), vec!["comment".to_string()]);
    assert_eq!(audit_count(store).await, before, "bad input changes nothing");
    let revise = ShareReviewInput {
        outcome: ReviewOutcome::ToRevise,
        comment: "地址信息已脱敏，可改为无条件共享".into(),
    };
    reevaluation::record(store, &settings(), &d.police_officer, resource, revise).await.unwrap();
    let due = reevaluation::list(store, &settings(), &d.police_officer, ShareReviewList::Due).await.unwrap();
    assert_eq!(due.iter().map(|v| v.status).collect::<Vec<_>>(), vec![ShareReviewStatus::UnderRevision]);
    assert!(!due[0].can_record);
    let again = ShareReviewInput { outcome: ReviewOutcome::Kept, comment: String::new() };
    assert!(matches!(
        reevaluation::record(store, &settings(), &d.police_officer, resource, again).await,
        Err(Error::Domain(pubdata_domain::Error::Conflict(_)))
    ));

    // The revised resource, published again, starts a new interval.
    let revised =
        document(d.police, "户籍人口基本信息", ShareAttribute::Unconditional, ShareTerm::LongTerm, population_items());
    resources::update(&d.cat, &d.police_officer, resource, revised, "共享属性调整为无条件共享").await.unwrap();
    resources::review(&d.cat, &d.police_officer, resource, ReviewAction::Submit, "", Some("本单位业务数据"))
        .await
        .unwrap();
    for action in [ReviewAction::Approve, ReviewAction::Publish] {
        resources::review(&d.cat, &d.staff, resource, action, "", None).await.unwrap();
    }
    let view = reevaluation::schedule_of(store, &settings(), &d.police_officer, resource).await.unwrap().unwrap();
    assert_eq!((view.status, view.share_attribute), (ShareReviewStatus::Scheduled, ShareAttribute::Unconditional));
    assert_eq!(view.review_from, timefmt::format_date(today()));
    let history = reevaluation::history(store, &d.staff, resource).await.unwrap();
    assert_eq!(history.iter().map(|r| r.outcome).collect::<Vec<_>>(), vec![ReviewOutcome::ToRevise]);
    assert_eq!(history[0].share_attribute, restricted());
}

backend_tests!(
    art_14_share_attribute_review_due_after_interval,
    art_14_kept_review_moves_the_next_date,
    art_14_a_share_attribute_to_revise_stays_under_revision_until_published_again,
    art_14_unconditional_request_is_granted_at_once,
    art_14_restricted_request_waits_for_the_providers_review_within_working_days,
    art_14_not_shared_request_is_refused_with_the_legal_basis,
    art_14_authority_arbitrates_an_overdue_review,
    art_16_grant_holds_only_the_requested_items_and_scenario,
    art_15_grant_expires_on_its_end_date,
    art_15_provider_suspends_and_revokes_a_grant_with_a_reason,
    art_7_registering_granted_data_as_own_resource_needs_confirmation,
    art_7_the_flag_is_shown_only_with_the_working_copy,
    art_13_requests_outside_scope_are_refused_with_field_errors,
);
