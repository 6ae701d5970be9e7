//! The storage contract: every test runs on SQLite and on PostgreSQL, and the two must behave
//! the same. Test names cite the article of the Measures whose duty they prove.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use pubdata_domain::audit::ChainBreak;
use pubdata_domain::calendar::{CalendarDay, DayKind};
use pubdata_domain::identity::{
    AgencyCategory, Caller, NewOrganisation, OrgKind, OrgName, OrganisationChange, Permission, Principal, Role, Source,
};
use pubdata_domain::ids::{OrgId, UserId};
use pubdata_store::identity::{AuthSettings, NewUserInput, UserChange, Via, auth, orgs, tokens, users};
use pubdata_store::{AuditFilter, ChainCheck, Error, Store, audit_trail, bootstrap, calendar, demo};
use pubdata_testkit::{TestDb, backend_tests};
use time::macros::date;

fn src(ip: &str) -> Source {
    Source { ip: Some(ip.into()), user_agent: Some("contract-test".into()), request_id: None }
}

async fn admin(store: &Store) -> Caller {
    bootstrap::ensure_initialized(store, "测试主管部门", true).await.unwrap();
    Caller::system("test")
}

async fn agency(store: &Store, caller: &Caller, name: &str) -> OrgId {
    let authority =
        orgs::list(store, caller).await.unwrap().into_iter().find(|o| o.kind == OrgKind::Authority).unwrap();
    let new = NewOrganisation::new(
        Some(authority.id),
        OrgKind::Agency,
        Some(AgencyCategory::Department),
        OrgName::parse(name, None).unwrap(),
        None,
    )
    .unwrap();
    orgs::create(store, caller, new).await.unwrap().id
}

async fn user(store: &Store, caller: &Caller, name: &str, org: OrgId, role: Role) -> UserId {
    let input = NewUserInput {
        username: name.into(),
        display_name: format!("{name} 测试"),
        org_id: org.0,
        role: role.as_str().into(),
        password: Some("Correct-Horse-7".into()),
        ..Default::default()
    };
    users::create(store, caller, input).await.unwrap().0.id
}

async fn caller_for(store: &Store, name: &str) -> Caller {
    let out = auth::login(store, &AuthSettings::default(), &src("10.0.0.1"), Via::Api, name, "Correct-Horse-7")
        .await
        .unwrap();
    let who = auth::authenticate_bearer(store, &AuthSettings::default(), &out.token).await.unwrap().unwrap();
    Caller { principal: who.principal, source: src("10.0.0.1") }
}

async fn audit_count(store: &Store) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_entries").fetch_one(store.reader()).await.unwrap();
    n
}

async fn intact(store: &Store) -> i64 {
    match audit_trail::verify(store).await.unwrap() {
        ChainCheck::Intact(r) => r.entries,
        ChainCheck::Broken(b) => panic!("chain broken: {}", b.describe_en()),
    }
}

async fn art_27_every_change_is_chained_and_verifies(db: &TestDb) {
    let s = &db.store;
    let sys = admin(s).await;
    let org = agency(s, &sys, "区市场监督管理局").await;
    user(s, &sys, "officer", org, Role::AgencyDataOfficer).await;
    let entries = intact(s).await;
    assert_eq!(entries, audit_count(s).await);
    assert!(entries >= 5, "bootstrap, org and user were recorded: {entries}");
    let page = audit_trail::list(
        s,
        &sys,
        &AuditFilter { action: Some("user.create".into()), limit: 10, ..Default::default() },
    )
    .await
    .unwrap();
    assert_eq!(page.entries.len(), 1);
    assert!(page.entries[0].summary.contains("agency_data_officer"));
}

async fn art_27_audit_entries_cannot_be_changed_through_the_database(db: &TestDb) {
    let s = &db.store;
    admin(s).await;
    assert!(db.raw("UPDATE audit_entries SET summary = '{}' WHERE seq = 1").await.is_err());
    assert!(db.raw("DELETE FROM audit_entries WHERE seq = 1").await.is_err());
    intact(s).await;
}

async fn drop_guards(db: &TestDb) {
    match db.store.backend() {
        pubdata_store::Backend::Sqlite => {
            db.raw("DROP TRIGGER audit_entries_no_update").await.unwrap();
            db.raw("DROP TRIGGER audit_entries_no_delete").await.unwrap();
        }
        pubdata_store::Backend::Postgres => {
            db.raw("DROP TRIGGER audit_entries_no_change ON audit_entries").await.unwrap();
        }
    }
}

async fn art_27_altered_entry_is_reported_by_position(db: &TestDb) {
    let s = &db.store;
    admin(s).await;
    drop_guards(db).await;
    db.raw("UPDATE audit_entries SET actor_username = 'someone-else' WHERE seq = 3").await.unwrap();
    assert_eq!(audit_trail::verify(s).await.unwrap(), ChainCheck::Broken(ChainBreak::Altered { position: 3 }));
}

async fn art_27_removed_entry_is_reported_by_position(db: &TestDb) {
    let s = &db.store;
    admin(s).await;
    drop_guards(db).await;
    db.raw("DELETE FROM audit_entries WHERE seq = 2").await.unwrap();
    assert_eq!(
        audit_trail::verify(s).await.unwrap(),
        ChainCheck::Broken(ChainBreak::Removed { position: 2, last_missing: 2 })
    );
}

async fn art_27_inserted_entry_is_reported_by_position(db: &TestDb) {
    let s = &db.store;
    admin(s).await;
    drop_guards(db).await;
    let head = intact(s).await;
    db.raw(&format!(
        "INSERT INTO audit_entries SELECT seq + 1, occurred_at, actor_user_id, actor_username, actor_org_id, actor_role, token_id, \
         source_ip, user_agent, request_id, action, object_type, object_id, outcome, summary, hash, hash \
         FROM audit_entries WHERE seq = {head}"
    ))
    .await
    .unwrap();
    assert_eq!(audit_trail::verify(s).await.unwrap(), ChainCheck::Broken(ChainBreak::Altered { position: head + 1 }));
}

async fn art_27_a_failed_operation_leaves_no_trace(db: &TestDb) {
    let s = &db.store;
    let sys = admin(s).await;
    let org = agency(s, &sys, "区卫生健康局").await;
    user(s, &sys, "dup", org, Role::AgencyDataOfficer).await;
    let before = audit_count(s).await;
    let again = NewUserInput {
        username: "DUP".into(),
        display_name: "x".into(),
        org_id: org.0,
        role: "agency_data_officer".into(),
        ..Default::default()
    };
    let err = users::create(s, &sys, again).await.unwrap_err();
    assert!(matches!(err, Error::Duplicate { field: "username", .. }), "{err:?}");
    assert_eq!(audit_count(s).await, before);
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM users WHERE username = 'dup'").fetch_one(s.reader()).await.unwrap();
    assert_eq!(n, 1);
}

async fn art_27_a_write_without_an_audit_entry_is_refused(db: &TestDb) {
    let s = &db.store;
    admin(s).await;
    let mut tx = s.begin().await.unwrap();
    sqlx::query("INSERT INTO platform_meta (key, value) VALUES ('x', 'y')").execute(tx.conn()).await.unwrap();
    assert!(matches!(tx.commit().await, Err(Error::AuditUnavailable)));
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM platform_meta").fetch_one(s.reader()).await.unwrap();
    assert_eq!(n, 0);
}

async fn art_27_concurrent_writers_in_two_instances_keep_one_linear_chain(db: &TestDb) {
    let a = db.store.clone();
    let sys = admin(&a).await;
    let b = db.another_instance().await;
    let before = audit_count(&a).await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        let caller = sys.clone();
        tasks.push(tokio::spawn(async move {
            for j in 0..25 {
                if j % 5 == 0 {
                    let day = CalendarDay::new(
                        date!(2030 - 01 - 07) + time::Duration::days(i * 7 + j / 5),
                        DayKind::Holiday,
                        "测试",
                    )
                    .unwrap();
                    calendar::set_day(&store, &caller, day).await.unwrap();
                } else {
                    let event = pubdata_domain::audit::events::access_denied(Permission::UserManage, "GET", "/x");
                    store.audit().record(caller.actor(), event).await.unwrap();
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(audit_count(&a).await, before + 200);
    assert_eq!(intact(&b).await, before + 200);
    let (distinct,): (i64,) =
        sqlx::query_as("SELECT COUNT(DISTINCT seq) FROM audit_entries").fetch_one(a.reader()).await.unwrap();
    assert_eq!(distinct, before + 200);
    b.close().await;
}

async fn art_26_one_accountable_head_per_agency(db: &TestDb) {
    let s = &db.store;
    let sys = admin(s).await;
    let org = agency(s, &sys, "区人力社保局").await;
    user(s, &sys, "head1", org, Role::AccountableHead).await;
    let second = NewUserInput {
        username: "head2".into(),
        display_name: "第二负责人".into(),
        org_id: org.0,
        role: "accountable_head".into(),
        ..Default::default()
    };
    let err = users::create(s, &sys, second).await.unwrap_err();
    assert!(matches!(err, Error::Duplicate { field: "role", .. }), "{err:?}");
}

async fn art_26_agency_users_see_only_their_own_agency(db: &TestDb) {
    let s = &db.store;
    let sys = admin(s).await;
    let a = agency(s, &sys, "甲局").await;
    let b = agency(s, &sys, "乙局").await;
    user(s, &sys, "a-admin", a, Role::AgencyAdmin).await;
    let b_user = user(s, &sys, "b-officer", b, Role::AgencyDataOfficer).await;
    let a_admin = caller_for(s, "a-admin").await;
    let listed = users::list(s, &a_admin, Some(b)).await.unwrap();
    assert!(listed.iter().all(|u| u.org_id == a), "{listed:?}");
    assert!(matches!(users::get(s, &a_admin, b_user).await, Err(Error::NotFound { .. })));
    let change = UserChange { display_name: Some("改名".into()), ..Default::default() };
    assert!(matches!(users::update(s, &a_admin, b_user, change).await, Err(Error::NotFound { .. })));
    // Within its own agency it may create data officers but not an accountable head.
    let head = NewUserInput {
        username: "a-head".into(),
        display_name: "负责人".into(),
        org_id: a.0,
        role: "accountable_head".into(),
        ..Default::default()
    };
    assert!(matches!(
        users::create(s, &a_admin, head).await,
        Err(Error::Domain(pubdata_domain::Error::Forbidden(Permission::UserManage)))
    ));
    let officer = NewUserInput {
        username: "a-officer".into(),
        display_name: "专员".into(),
        org_id: a.0,
        role: "agency_data_officer".into(),
        ..Default::default()
    };
    let (_, one_time) = users::create(s, &a_admin, officer).await.unwrap();
    assert!(one_time.is_some(), "a generated password is returned once");
}

async fn art_26_accountable_head_reads_only_own_agency_audit(db: &TestDb) {
    let s = &db.store;
    let sys = admin(s).await;
    let a = agency(s, &sys, "丙局").await;
    let b = agency(s, &sys, "丁局").await;
    user(s, &sys, "c-head", a, Role::AccountableHead).await;
    user(s, &sys, "d-officer", b, Role::AgencyDataOfficer).await;
    caller_for(s, "d-officer").await;
    let head = caller_for(s, "c-head").await;
    let page = audit_trail::list(s, &head, &AuditFilter { limit: 500, ..Default::default() }).await.unwrap();
    assert!(!page.entries.is_empty());
    assert!(page.entries.iter().all(|e| e.actor_org_id == Some(a.0)), "{:?}", page.entries);
}

async fn wrong_password_is_generic_and_throttles_the_account(db: &TestDb) {
    let s = &db.store;
    let sys = admin(s).await;
    let org = agency(s, &sys, "戊局").await;
    user(s, &sys, "victim", org, Role::AgencyDataOfficer).await;
    let settings = AuthSettings::default();
    for _ in 0..4 {
        let e = auth::login(s, &settings, &src("10.9.9.9"), Via::Web, "victim", "wrong-Password-1").await.unwrap_err();
        assert!(matches!(e, Error::BadCredentials));
    }
    let unknown =
        auth::login(s, &settings, &src("10.9.9.9"), Via::Web, "nobody", "wrong-Password-1").await.unwrap_err();
    assert!(matches!(unknown, Error::BadCredentials), "unknown users fail the same way");
    let fifth = auth::login(s, &settings, &src("10.9.9.9"), Via::Web, "victim", "wrong-Password-1").await.unwrap_err();
    assert!(matches!(fifth, Error::BadCredentials));
    // Locked now: even the right password is refused, from any address.
    let locked = auth::login(s, &settings, &src("10.1.1.1"), Via::Web, "victim", "Correct-Horse-7").await.unwrap_err();
    assert!(matches!(locked, Error::Throttled { retry_after_secs } if retry_after_secs > 0), "{locked:?}");
    let failures = audit_trail::list(
        s,
        &sys,
        &AuditFilter {
            action: Some("auth.login".into()),
            outcome: Some("failure".into()),
            limit: 50,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(failures.entries.len(), 7);
    assert!(failures.entries[0].summary.contains("throttled"));
}

async fn repeated_failures_throttle_the_source_address(db: &TestDb) {
    let s = &db.store;
    admin(s).await;
    let settings = AuthSettings::default();
    for i in 0..20 {
        let _ = auth::login(s, &settings, &src("10.6.6.6"), Via::Api, &format!("guess{i}"), "x").await;
    }
    let e = auth::login(s, &settings, &src("10.6.6.6"), Via::Api, "someone-new", "x").await.unwrap_err();
    assert!(matches!(e, Error::Throttled { .. }), "{e:?}");
    let other = auth::login(s, &settings, &src("10.6.6.7"), Via::Api, "someone-new", "x").await.unwrap_err();
    assert!(matches!(other, Error::BadCredentials), "other sources are unaffected");
}

async fn demo_accounts_log_in_only_in_demo_mode(db: &TestDb) {
    let s = &db.store;
    let accounts = demo::seed(s).await.unwrap();
    assert_eq!(accounts.len(), Role::ALL.len(), "one demo account per role");
    let officer = accounts.iter().find(|a| a.role == Role::AgencyDataOfficer).unwrap();
    let demo_on = AuthSettings { demo_mode: true, ..AuthSettings::default() };
    auth::login(s, &demo_on, &src("10.0.0.2"), Via::Web, &officer.username, &officer.password).await.unwrap();
    let off =
        auth::login(s, &AuthSettings::default(), &src("10.0.0.2"), Via::Web, &officer.username, &officer.password)
            .await;
    assert!(matches!(off, Err(Error::BadCredentials)));
    // Seeding again rotates the passwords.
    let again = demo::seed(s).await.unwrap();
    let officer2 = again.iter().find(|a| a.role == Role::AgencyDataOfficer).unwrap();
    assert_ne!(officer.password, officer2.password);
    assert!(auth::login(s, &demo_on, &src("10.0.0.3"), Via::Web, &officer.username, &officer.password).await.is_err());
}

async fn first_start_creates_one_admin_with_a_one_time_password(db: &TestDb) {
    let s = &db.store;
    let other = db.another_instance().await;
    let (a, b) = tokio::join!(
        bootstrap::ensure_initialized(s, bootstrap::DEFAULT_AUTHORITY_NAME, true),
        bootstrap::ensure_initialized(&other, bootstrap::DEFAULT_AUTHORITY_NAME, true)
    );
    let created: Vec<_> = [a.unwrap(), b.unwrap()].into_iter().flatten().collect();
    assert_eq!(created.len(), 1, "exactly one instance creates the admin");
    let first = &created[0];
    let out = auth::login(s, &AuthSettings::default(), &src("10.0.0.4"), Via::Api, &first.username, &first.password)
        .await
        .unwrap();
    assert!(out.user.must_change_password);
    let who = auth::authenticate_bearer(s, &AuthSettings::default(), &out.token).await.unwrap().unwrap();
    assert!(matches!(who.principal.require(Permission::OrgRead), Err(pubdata_domain::Error::PasswordChangeRequired)));
    let caller = Caller { principal: who.principal, source: src("10.0.0.4") };
    users::change_own_password(s, &caller, &first.password, "Brand-New-Pass-9").await.unwrap();
    let again =
        auth::login(s, &AuthSettings::default(), &src("10.0.0.4"), Via::Api, &first.username, "Brand-New-Pass-9")
            .await
            .unwrap();
    assert!(!again.user.must_change_password);
    assert!(bootstrap::ensure_initialized(s, bootstrap::DEFAULT_AUTHORITY_NAME, true).await.unwrap().is_none());
    other.close().await;
}

async fn api_tokens_are_scoped_expire_and_revoke(db: &TestDb) {
    let s = &db.store;
    let sys = admin(s).await;
    let org = agency(s, &sys, "己局").await;
    user(s, &sys, "tokenuser", org, Role::AgencyAdmin).await;
    let me = caller_for(s, "tokenuser").await;
    let settings = AuthSettings::default();
    let too_wide = tokens::create(s, &me, "集成", &["org.manage".into()], 30).await;
    assert!(matches!(too_wide, Err(Error::Domain(pubdata_domain::Error::Invalid { .. }))));
    let t = tokens::create(s, &me, "集成", &["org.read".into()], 30).await.unwrap();
    let (stored,): (String,) = sqlx::query_as("SELECT token_hash FROM api_tokens WHERE id = $1")
        .bind(t.token.id)
        .fetch_one(s.reader())
        .await
        .unwrap();
    assert_ne!(stored, t.secret, "only the digest is stored");
    let who = auth::authenticate_bearer(s, &settings, &t.secret).await.unwrap().unwrap();
    assert!(who.principal.has(Permission::OrgRead));
    assert!(!who.principal.has(Permission::UserRead), "narrowed to its scope");
    tokens::revoke(s, &me, pubdata_domain::ids::TokenId(t.token.id)).await.unwrap();
    assert!(auth::authenticate_bearer(s, &settings, &t.secret).await.unwrap().is_none());
    let t2 = tokens::create(s, &me, "短期", &[], 1).await.unwrap();
    sqlx::query("UPDATE api_tokens SET expires_at = '2000-01-01T00:00:00.000000Z' WHERE id = $1")
        .bind(t2.token.id)
        .execute(s.reader())
        .await
        .unwrap();
    assert!(auth::authenticate_bearer(s, &settings, &t2.secret).await.unwrap().is_none());
    // Disabling the owner disables the token.
    let t3 = tokens::create(s, &me, "第三个", &[], 10).await.unwrap();
    let uid = me.principal.user_id.unwrap();
    users::update(s, &sys, uid, UserChange { status: Some("disabled".into()), ..Default::default() }).await.unwrap();
    assert!(auth::authenticate_bearer(s, &settings, &t3.secret).await.unwrap().is_none());
}

async fn the_organisation_tree_refuses_cycles_and_duplicates(db: &TestDb) {
    let s = &db.store;
    let sys = admin(s).await;
    let parent = agency(s, &sys, "区公安分局").await;
    let new = NewOrganisation::new(
        Some(parent),
        OrgKind::Agency,
        Some(AgencyCategory::Department),
        OrgName::parse("某派出所", None).unwrap(),
        None,
    )
    .unwrap();
    let child = orgs::create(s, &sys, new).await.unwrap();
    let cycle = OrganisationChange { parent_id: Some(child.id), ..Default::default() };
    assert!(matches!(
        orgs::update(s, &sys, parent, cycle).await,
        Err(Error::Domain(pubdata_domain::Error::Invalid { .. }))
    ));
    let dup = NewOrganisation::new(
        Some(parent),
        OrgKind::Agency,
        Some(AgencyCategory::Department),
        OrgName::parse("某派出所", None).unwrap(),
        None,
    )
    .unwrap();
    assert!(matches!(orgs::create(s, &sys, dup).await, Err(Error::Duplicate { field: "name", .. })));
    let officer_org = agency(s, &sys, "区税务局").await;
    user(s, &sys, "plain", officer_org, Role::AgencyDataOfficer).await;
    let plain = caller_for(s, "plain").await;
    let attempt = NewOrganisation::new(
        Some(parent),
        OrgKind::Agency,
        Some(AgencyCategory::Department),
        OrgName::parse("越权机构", None).unwrap(),
        None,
    )
    .unwrap();
    assert!(matches!(
        orgs::create(s, &plain, attempt).await,
        Err(Error::Domain(pubdata_domain::Error::Forbidden(Permission::OrgManage)))
    ));
}

async fn the_last_authority_admin_cannot_be_disabled(db: &TestDb) {
    let s = &db.store;
    let sys = admin(s).await;
    let all = users::list(s, &sys, None).await.unwrap();
    let only = all.iter().find(|u| u.role == Role::AuthorityAdmin).unwrap();
    let r = users::update(s, &sys, only.id, UserChange { status: Some("disabled".into()), ..Default::default() }).await;
    assert!(matches!(r, Err(Error::Domain(pubdata_domain::Error::Conflict(_)))), "{r:?}");
}

async fn deadlines_follow_the_stored_calendar(db: &TestDb) {
    let s = &db.store;
    let sys = admin(s).await;
    let cal = calendar::load(s).await.unwrap();
    assert_eq!(cal.add_working_days(date!(2026 - 09 - 29), 5), date!(2026 - 10 - 12));
    assert!(!cal.covers(2027));
    // The authority enters a (hypothetical) 2027 New Year holiday: deadlines move.
    calendar::set_day(s, &sys, CalendarDay::new(date!(2027 - 01 - 01), DayKind::Holiday, "元旦").unwrap())
        .await
        .unwrap();
    let cal = calendar::load(s).await.unwrap();
    assert_eq!(cal.add_working_days(date!(2026 - 12 - 31), 1), date!(2027 - 01 - 04));
    let view = calendar::year(s, &sys, 2026).await.unwrap();
    assert!(view.entered.is_some());
    // 261 weekdays, 19 of them holidays, plus 6 make-up Saturdays and Sundays.
    assert_eq!(view.working_days, 248, "2026 has 248 working days");
    // A bad import changes nothing.
    let before = audit_count(s).await;
    let bad = "date,kind,name\n2027-02-05,holiday,春节\n2027-02-30,holiday,春节\n";
    assert!(calendar::import_csv(s, &sys, bad, "test").await.is_err());
    assert_eq!(audit_count(s).await, before);
    assert!(calendar::load(s).await.unwrap().is_working_day(date!(2027 - 02 - 05)));
}

async fn audit_export_writes_verifiable_json_lines(db: &TestDb) {
    let s = &db.store;
    let sys = admin(s).await;
    agency(s, &sys, "庚局").await;
    let mut lines = Vec::new();
    let n = audit_trail::export(s, &sys, None, None, async |r| {
        lines.push(serde_json::to_string(&r).unwrap());
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(n as usize, lines.len());
    let mut verifier = pubdata_domain::audit::ChainVerifier::default();
    for line in &lines {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["hash"].as_str().unwrap().len() == 64);
        let record = pubdata_domain::audit::AuditRecord {
            seq: v["seq"].as_i64().unwrap(),
            occurred_at: v["occurred_at"].as_str().unwrap().into(),
            actor_user_id: v["actor_user_id"].as_i64(),
            actor_username: v["actor_username"].as_str().unwrap().into(),
            actor_org_id: v["actor_org_id"].as_i64(),
            actor_role: v["actor_role"].as_str().map(Into::into),
            token_id: v["token_id"].as_i64(),
            source_ip: v["source_ip"].as_str().map(Into::into),
            user_agent: v["user_agent"].as_str().map(Into::into),
            request_id: v["request_id"].as_str().map(Into::into),
            action: v["action"].as_str().unwrap().into(),
            object_type: v["object_type"].as_str().unwrap().into(),
            object_id: v["object_id"].as_str().map(Into::into),
            outcome: v["outcome"].as_str().unwrap().into(),
            summary: v["summary"].as_str().unwrap().into(),
            prev_hash: v["prev_hash"].as_str().unwrap().into(),
            hash: v["hash"].as_str().unwrap().into(),
        };
        verifier.push(&record).unwrap();
    }
    // The export itself was recorded.
    let exports = audit_trail::list(
        s,
        &sys,
        &AuditFilter { action: Some("audit.export".into()), limit: 5, ..Default::default() },
    )
    .await
    .unwrap();
    assert_eq!(exports.entries.len(), 1);
    let _ = Principal::system("x");
}

backend_tests!(
    art_27_every_change_is_chained_and_verifies,
    art_27_audit_entries_cannot_be_changed_through_the_database,
    art_27_altered_entry_is_reported_by_position,
    art_27_removed_entry_is_reported_by_position,
    art_27_inserted_entry_is_reported_by_position,
    art_27_a_failed_operation_leaves_no_trace,
    art_27_a_write_without_an_audit_entry_is_refused,
    art_27_concurrent_writers_in_two_instances_keep_one_linear_chain,
    art_26_one_accountable_head_per_agency,
    art_26_agency_users_see_only_their_own_agency,
    art_26_accountable_head_reads_only_own_agency_audit,
    wrong_password_is_generic_and_throttles_the_account,
    repeated_failures_throttle_the_source_address,
    demo_accounts_log_in_only_in_demo_mode,
    first_start_creates_one_admin_with_a_one_time_password,
    api_tokens_are_scoped_expire_and_revoke,
    the_organisation_tree_refuses_cycles_and_duplicates,
    the_last_authority_admin_cannot_be_disabled,
    deadlines_follow_the_stored_calendar,
    audit_export_writes_verifiable_json_lines,
);

/// PostgreSQL: pooled connections the server ended while they sat idle (as a database restart
/// does) are found dead and replaced before anyone is handed one, so no call fails on them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(pubdata_pg), ignore = "set PUBDATA_TEST_DATABASE_URL to run the PostgreSQL tests")]
async fn postgres_connections_ended_while_idle_are_replaced_before_use() {
    use sqlx::Connection;
    let db = TestDb::postgres().await;
    // Every pooled connection at once, each telling its server process.
    let mut held = Vec::new();
    let mut pids = Vec::new();
    for _ in 0..db.options.max_connections {
        let mut conn = db.store.reader().acquire().await.unwrap();
        let (pid,): (i32,) = sqlx::query_as("SELECT pg_backend_pid()").fetch_one(&mut *conn).await.unwrap();
        pids.push(pid);
        held.push(conn);
    }
    drop(held);
    let mut other = sqlx::AnyConnection::connect(&db.options.url).await.unwrap();
    for pid in &pids {
        let (ended,): (bool,) =
            sqlx::query_as("SELECT pg_terminate_backend($1)").bind(*pid).fetch_one(&mut other).await.unwrap();
        assert!(ended, "server process {pid}");
    }
    other.close().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    // Reads and an audited write, as many as there were connections and more, all succeed.
    for _ in 0..2 * db.options.max_connections {
        audit_count(&db.store).await;
    }
    let caller = admin(&db.store).await;
    agency(&db.store, &caller, "区民政局").await;
    assert!(intact(&db.store).await > 0);
    db.finish().await;
}
