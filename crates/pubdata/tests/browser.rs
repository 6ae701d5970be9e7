//! The pages as a person uses them: a real Chromium, driven through chromedriver, against the
//! whole application served in-process on a fresh SQLite database. Proves that logging in, the
//! forced change of a one-time password, logging out and the language switch work in a browser
//! (cookies, redirects, CSRF tokens in forms), not only in handler tests.
//!
//! The tests are compiled as ignored unless `/usr/bin/chromium` and `/usr/bin/chromedriver`
//! exist (see `build.rs`, which sets the `pubdata_browser` cfg).
//!
//! chromedriver is spoken to over plain HTTP with `reqwest`: the few W3C WebDriver calls the
//! scenarios need are a small client below, which keeps another HTTP stack out of the build.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use pubdata_domain::identity::{AgencyCategory, Caller, NewOrganisation, OrgKind, OrgName, Role};
use pubdata_store::bootstrap;
use pubdata_store::identity::{NewUserInput, orgs, users};
use pubdata_testkit::TestDb;
use reqwest::Method;
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ADMIN: &str = "browser-admin";
const ADMIN_PASSWORD: &str = "Browser-Test-2026";
const OFFICER: &str = "browser-officer";
const OFFICER_NEW_PASSWORD: &str = "Officer-Changed-2026";
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long to wait for a page or an element before failing.
const PATIENCE: Duration = Duration::from_secs(20);
/// The W3C WebDriver key of an element reference.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

// ---------------------------------------------------------------------------------------------
// The scenarios
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(pubdata_browser), ignore = "install chromium and chromium-driver to run the browser test")]
async fn a_person_logs_in_through_the_page_and_reaches_their_role_home() {
    let site = Site::start().await;
    let browser = Browser::start().await;

    browser.goto(&site.url("/login")).await;
    browser.fill("#username", ADMIN).await;
    browser.fill("#password", ADMIN_PASSWORD).await;
    browser.click("#login-submit").await;

    browser.wait_for_path("/").await;
    assert_eq!(browser.wait_for_text("#home-role", "主管部门管理员").await, "主管部门管理员");
    assert_eq!(browser.text("#current-role").await, "主管部门管理员");
    for entry in ["/admin/organisations", "/admin/users", "/audit", "/calendar", "/account/tokens"] {
        assert!(
            browser.exists(&format!("nav.main a[href=\"{entry}\"]")).await,
            "the administrator's navigation lacks {entry}"
        );
    }
    std::fs::write("/tmp/home.png", browser.screenshot().await).expect("writing /tmp/home.png");

    browser.click("#logout").await;
    browser.wait_for_path("/login").await;
    assert_eq!(browser.wait_for_text("#flash", "您已安全退出。").await, "您已安全退出。");
    // The session is gone: the home page sends the visitor back to the login page.
    browser.goto(&site.url("/")).await;
    browser.wait_for_path("/login").await;
    assert!(browser.exists("#login-form").await);

    browser.quit().await;
    site.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(pubdata_browser), ignore = "install chromium and chromium-driver to run the browser test")]
async fn a_one_time_password_must_be_changed_through_the_page_before_anything_else() {
    let site = Site::start().await;
    let browser = Browser::start().await;

    browser.goto(&site.url("/login")).await;
    browser.fill("#username", OFFICER).await;
    browser.fill("#password", &site.officer_one_time_password).await;
    browser.click("#login-submit").await;

    browser.wait_for_path("/account/password").await;
    assert!(browser.displayed("#must-change").await, "the must-change notice is not visible");
    // Nothing else is reachable before the password is changed.
    browser.goto(&site.url("/")).await;
    browser.wait_for_path("/account/password").await;
    assert!(browser.displayed("#must-change").await);

    browser.fill("#current_password", &site.officer_one_time_password).await;
    browser.fill("#new_password", OFFICER_NEW_PASSWORD).await;
    browser.fill("#new_password_repeat", OFFICER_NEW_PASSWORD).await;
    browser.click("#password-submit").await;

    browser.wait_for_path("/").await;
    assert_eq!(browser.wait_for_text("#home-role", "单位数据专员").await, "单位数据专员");
    assert_eq!(browser.text("#flash").await, "密码已修改。");
    assert!(!browser.exists("nav.main a[href=\"/admin/users\"]").await, "an officer sees user administration");

    browser.click("a.lang").await;
    assert_eq!(browser.wait_for_text("#home-role", "Agency data officer").await, "Agency data officer");
    browser.wait_for_path("/").await;
    assert_eq!(browser.text("#current-role").await, "Agency data officer");

    browser.quit().await;
    site.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(pubdata_browser), ignore = "install chromium and chromium-driver to run the browser test")]
async fn a_wrong_password_through_the_page_shows_only_the_generic_failure() {
    const FAILED: &str = "用户名或密码错误。";
    let site = Site::start().await;
    let browser = Browser::start().await;

    // A known user with a wrong password, and a user who does not exist: the same answer.
    for username in [ADMIN, "nobody-here"] {
        browser.goto(&site.url("/login")).await;
        browser.fill("#username", username).await;
        browser.fill("#password", "Wrong-Password-2026").await;
        browser.click("#login-submit").await;

        assert_eq!(browser.wait_for_text("#flash", FAILED).await, FAILED, "for {username}");
        assert_eq!(browser.path().await, "/login");
        assert_eq!(browser.navigation_status().await, Some(401));
        assert!(!browser.exists("#current-user").await, "nobody is logged in");
        assert_eq!(browser.value("#username").await, username, "the username is kept for another try");
        assert_eq!(browser.value("#password").await, "", "the password is not sent back");
    }

    browser.quit().await;
    site.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(pubdata_browser), ignore = "install chromium and chromium-driver to run the browser test")]
async fn art_7_a_resource_is_registered_reviewed_published_and_found_through_the_pages() {
    let site = Site::start().await;
    let district = site.catalog_district().await;
    let browser = Browser::start().await;

    // The market regulator's officer registers a resource the tax bureau provides.
    log_in(&browser, &site, "cat-officer", PEOPLE_PASSWORD).await;
    browser.goto(&site.url("/catalog/new")).await;
    browser.fill("#f-name", "企业经营异常名录").await;
    browser.fill("#f-business_name", "经营异常名录管理").await;
    browser.fill("#f-source_system", "国家企业信用信息公示系统").await;
    browser.fill("#f-description", "列入经营异常名录的企业").await;
    browser.execute(&format!("document.querySelector('#f-provider_org_id').value = '{}'", district.tax)).await;
    browser.execute("document.querySelector('#f-category').value = 'credit'").await;
    browser.execute("document.querySelector('#f-update_cycle').value = 'monthly'").await;
    browser.click("#f-delivery-api").await;
    browser.fill("#f-contact_name", "周敏").await;
    browser.fill("#f-contact_phone", "0574-87006006").await;
    for (i, (code, name, length)) in
        [("credit_code", "统一社会信用代码", "18"), ("abnormal_reason", "列入经营异常名录原因", "200")]
            .iter()
            .enumerate()
    {
        browser.fill(&format!("#f-items-{i}-code"), code).await;
        browser.fill(&format!("#f-items-{i}-name"), name).await;
        browser.execute(&format!("document.querySelector('#f-items-{i}-type').value = 'string'")).await;
        browser.fill(&format!("#f-items-{i}-length"), length).await;
    }
    browser.click("#f-items-0-required").await;
    browser.click("#f-items-0-unique_key").await;
    browser.click("#save-resource").await;
    assert_eq!(browser.wait_for_text("#resource-state", "草稿").await, "草稿");
    let resource_path = browser.path().await;
    assert!(resource_path.starts_with("/catalog/"), "{resource_path}");
    browser.click("#action-submit").await;
    assert_eq!(browser.wait_for_text("#resource-state", "已提交").await, "已提交");
    log_out(&browser).await;

    // The providing agency records its opinion (Art.7).
    log_in(&browser, &site, "cat-tax", PEOPLE_PASSWORD).await;
    browser.goto(&site.url(&resource_path)).await;
    browser.click("#action-confirm").await;
    assert_eq!(browser.wait_for_text("#resource-state", "提供方已确认").await, "提供方已确认");
    log_out(&browser).await;

    // The authority approves and publishes.
    log_in(&browser, &site, "cat-staff", PEOPLE_PASSWORD).await;
    browser.goto(&site.url(&resource_path)).await;
    browser.click("#action-approve").await;
    assert_eq!(browser.wait_for_text("#resource-state", "已审核").await, "已审核");
    browser.click("#action-publish").await;
    assert_eq!(browser.wait_for_text("#resource-state", "已发布").await, "已发布");
    log_out(&browser).await;

    // Anyone reading the catalog finds it with a Chinese query.
    log_in(&browser, &site, "cat-tax", PEOPLE_PASSWORD).await;
    browser.goto(&site.url("/catalog")).await;
    browser.fill("#search-box", "经营异常").await;
    browser.execute("document.querySelector('#search-box').form.submit()").await;
    assert_eq!(browser.wait_for_text("#search-results .hit a", "企业经营异常名录").await, "企业经营异常名录");
    browser.click("#search-results .hit a").await;
    browser.wait_for_path(&resource_path).await;

    browser.quit().await;
    site.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(pubdata_browser), ignore = "install chromium and chromium-driver to run the browser test")]
async fn art_10_a_provider_delivers_the_real_registry_through_the_data_page() {
    let site = Site::start().await;
    let district = site.catalog_district().await;
    let resource = site.published_registry(district.market).await;
    let browser = Browser::start().await;

    log_in(&browser, &site, "cat-officer", PEOPLE_PASSWORD).await;
    browser.goto(&site.url(&format!("/catalog/{resource}"))).await;
    browser.click("#data-link").await;
    browser.wait_for_path(&format!("/catalog/{resource}/data")).await;
    assert_eq!(browser.text("#current-rows").await, "0");
    let registry = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/zj-enterprise-2002.csv");
    browser.attach("#f-file", &std::fs::canonicalize(registry).unwrap().to_string_lossy()).await;
    browser.click("#on-error-skip").await;
    browser.click("#upload-submit").await;
    // The batch page: stored, with the one credit code that fails its check refused and named.
    assert_eq!(browser.wait_for_text("#batch-state", "已入库").await, "已入库");
    assert_eq!(browser.text("#rows-read").await, "4216");
    assert_eq!(browser.text("#rows-stored").await, "4215");
    assert_eq!(browser.text("#rows-rejected").await, "1");
    assert!(browser.text("#batch-errors").await.contains("校验"), "the refused code's reason is shown");
    let detection = browser.text("#detection").await;
    assert!(detection.contains("统一社会信用代码") && detection.contains("姓名"), "{detection}");
    assert!(browser.exists("#errors-csv").await);
    browser.click("#fact-resource a:last-child").await;
    browser.wait_for_path(&format!("/catalog/{resource}/data")).await;
    assert_eq!(browser.text("#current-rows").await, "4215");

    browser.quit().await;
    site.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(pubdata_browser), ignore = "install chromium and chromium-driver to run the browser test")]
async fn art_14_request_approved_by_the_provider_shows_the_grant_and_app_key_to_the_consumer() {
    let site = Site::start().await;
    let district = site.catalog_district().await;
    let resource = site.published_restricted(district.tax).await;
    let browser = Browser::start().await;

    // The market regulator asks for two items from the resource's catalog page.
    log_in(&browser, &site, "cat-officer", PEOPLE_PASSWORD).await;
    browser.goto(&site.url(&format!("/catalog/{resource}"))).await;
    browser.click("#request-sharing").await;
    browser.wait_for_path("/sharing/requests/new").await;
    browser.click("#item-credit_code").await;
    browser.click("#item-tax_status").await;
    browser.fill("#f-scenario", "企业信用修复申请的纳税状况核查").await;
    browser.execute("document.querySelector('#f-scenario_category').value = 'regulation'").await;
    browser.fill("#f-legal_duty", "《企业信息公示暂行条例》第十七条").await;
    browser.execute("document.querySelector('#f-end_date').value = '2099-12-31'").await;
    browser.click("#f-keyed_only").await;
    browser.click("#submit-request").await;
    assert_eq!(browser.wait_for_text("#request-state", "待提供方审核").await, "待提供方审核");
    let request_path = browser.path().await;
    assert!(request_path.starts_with("/sharing/requests/"), "{request_path}");
    log_out(&browser).await;

    // The tax bureau finds it among the requests to review and approves it.
    log_in(&browser, &site, "cat-tax", PEOPLE_PASSWORD).await;
    browser.goto(&site.url("/sharing/requests?tab=incoming")).await;
    browser.click(&format!("#requests a[href=\"{request_path}\"]")).await;
    browser.wait_for_path(&request_path).await;
    browser.click("#review-approve").await;
    browser.fill("#review-reason", "符合共享条件").await;
    browser.click("#submit-review").await;
    assert_eq!(browser.wait_for_text("#request-state", "已授权").await, "已授权");
    log_out(&browser).await;

    // The consumer sees the grant with exactly the items it asked for.
    log_in(&browser, &site, "cat-officer", PEOPLE_PASSWORD).await;
    browser.goto(&site.url(&request_path)).await;
    browser.click("#grant-link a").await;
    assert_eq!(browser.wait_for_text("#grant-state", "有效").await, "有效");
    let items = browser.text("#grant-items").await;
    assert!(items.contains("credit_code") && items.contains("tax_status"), "{items}");
    assert!(browser.text("#grant-facts").await.contains("2099-12-31"));

    // It registers the system that will call the channel and sees its app key and secret once.
    browser.goto(&site.url("/sharing/apps")).await;
    browser.fill("#f-name", "信用修复审核系统").await;
    browser.fill("#f-description", "调用纳税状况核查接口").await;
    browser.fill("#f-contact", "周敏 0574-87006006").await;
    browser.click("#register-app").await;
    browser.wait_for("#app-secret").await;
    let key = browser.text("#app-key").await;
    let secret = browser.text("#app-secret").await;
    assert!(!key.is_empty() && !secret.is_empty(), "{key} {secret}");
    assert!(browser.displayed("#secret-warning").await);
    browser.click("#secret-saved").await;
    browser.wait_for_path("/sharing/apps").await;
    let listed = browser.text("#apps").await;
    assert!(listed.contains(&key) && !listed.contains(&secret), "{listed}");

    browser.quit().await;
    site.finish().await;
}

const PEOPLE_PASSWORD: &str = "Catalog-Browser-2026";

async fn log_in(browser: &Browser, site: &Site, username: &str, password: &str) {
    browser.goto(&site.url("/login")).await;
    browser.fill("#username", username).await;
    browser.fill("#password", password).await;
    browser.click("#login-submit").await;
    browser.wait_for_path("/").await;
}

async fn log_out(browser: &Browser) {
    browser.click("#logout").await;
    browser.wait_for_path("/login").await;
}

/// The organisations and people of the catalog scenario.
struct CatalogDistrict {
    market: i64,
    tax: i64,
}

impl Site {
    async fn catalog_district(&self) -> CatalogDistrict {
        let store = &self.db.store;
        let system = Caller::system("browser-test");
        let agency = |name: &str| {
            NewOrganisation::new(
                Some(pubdata_domain::ids::OrgId(1)),
                OrgKind::Agency,
                Some(AgencyCategory::Department),
                OrgName::parse(name, None).unwrap(),
                None,
            )
            .unwrap()
        };
        let market = orgs::create(store, &system, agency("区市场监督管理局")).await.unwrap().id.0;
        let tax = orgs::create(store, &system, agency("区税务局")).await.unwrap().id.0;
        for (username, org, role) in [
            ("cat-officer", market, Role::AgencyDataOfficer),
            ("cat-tax", tax, Role::AgencyDataOfficer),
            ("cat-staff", 1, Role::AuthorityStaff),
        ] {
            let person = NewUserInput {
                username: username.into(),
                display_name: username.into(),
                org_id: org,
                role: role.as_str().into(),
                password: Some(PEOPLE_PASSWORD.into()),
                ..Default::default()
            };
            users::create(store, &system, person).await.unwrap();
        }
        CatalogDistrict { market, tax }
    }
}

impl Site {
    /// The enterprise registry's columns as a published resource of `provider`.
    async fn published_registry(&self, provider: i64) -> i64 {
        use pubdata_domain::catalog::*;
        let item = |code: &str, name: &str, t: ItemType, required: bool, unique_key: bool| DataItem {
            code: code.into(),
            name: name.into(),
            item_type: t,
            length: (t == ItemType::String).then_some(500),
            precision: None,
            scale: None,
            required,
            unique_key,
            description: String::new(),
            level: Level::L1,
            code_list: vec![],
        };
        let doc = ResourceDocument {
            name: "企业登记信息".into(),
            business_name: "企业设立登记".into(),
            source_system: "市场主体登记管理系统".into(),
            description: "浙江省 2002 年登记企业".into(),
            provider_org_id: provider,
            category: "market".into(),
            level: Level::L1,
            storage_format: StorageFormat::DatabaseTable,
            share: ShareAttribute::Unconditional,
            open: OpenAttribute::Unconditional,
            delivery: vec![Delivery::Bulk],
            update_cycle: UpdateCycle::Daily,
            share_term: ShareTerm::LongTerm,
            contact_name: "王明".into(),
            contact_phone: "0574-87000000".into(),
            contact_email: String::new(),
            state_secret: false,
            items: vec![
                item("enterprise_name", "企业名称", ItemType::String, true, false),
                item("credit_code", "统一社会信用代码", ItemType::String, true, true),
                item("registered_on", "注册日期", ItemType::Date, false, false),
                item("enterprise_type", "企业类型", ItemType::String, false, false),
                item("legal_rep", "法人代表", ItemType::String, false, false),
                item("capital", "注册资金", ItemType::String, false, false),
                item("scope", "经营范围", ItemType::Text, false, false),
                item("province", "所在省份", ItemType::String, false, false),
                item("city", "地区", ItemType::String, false, false),
                item("address", "注册地址", ItemType::String, false, false),
            ],
        };
        let system = Caller::system("browser-test");
        let catalog = pubdata_store::catalog::Catalog::open(self.db.store.clone(), None).await.unwrap();
        let id = pubdata_store::catalog::resources::create(&catalog, &system, doc).await.unwrap();
        for action in [ReviewAction::Submit, ReviewAction::Approve, ReviewAction::Publish] {
            pubdata_store::catalog::resources::review(&catalog, &system, id, action, "", Some("测试")).await.unwrap();
        }
        id
    }
}

impl Site {
    /// A tax resource under restricted sharing, through the API, published.
    async fn published_restricted(&self, provider: i64) -> i64 {
        use pubdata_domain::catalog::*;
        let item = |code: &str, name: &str, unique_key: bool| DataItem {
            code: code.into(),
            name: name.into(),
            item_type: ItemType::String,
            length: Some(50),
            precision: None,
            scale: None,
            required: unique_key,
            unique_key,
            description: String::new(),
            level: Level::L1,
            code_list: vec![],
        };
        let doc = ResourceDocument {
            name: "企业纳税状况".into(),
            business_name: "纳税信用管理".into(),
            source_system: "金税系统".into(),
            description: "企业纳税状况".into(),
            provider_org_id: provider,
            category: "credit".into(),
            level: Level::L1,
            storage_format: StorageFormat::DatabaseTable,
            share: ShareAttribute::Restricted {
                reason: "涉及企业纳税信息".into(), conditions: "仅限信用监管".into()
            },
            open: OpenAttribute::Unconditional,
            delivery: vec![Delivery::Api],
            update_cycle: UpdateCycle::Monthly,
            share_term: ShareTerm::LongTerm,
            contact_name: "周敏".into(),
            contact_phone: "0574-87006006".into(),
            contact_email: String::new(),
            state_secret: false,
            items: vec![
                item("credit_code", "统一社会信用代码", true),
                item("tax_status", "纳税状况", false),
                item("tax_grade", "纳税信用等级", false),
            ],
        };
        let system = Caller::system("browser-test");
        let catalog = pubdata_store::catalog::Catalog::open(self.db.store.clone(), None).await.unwrap();
        let id = pubdata_store::catalog::resources::create(&catalog, &system, doc).await.unwrap();
        for action in [ReviewAction::Submit, ReviewAction::Approve, ReviewAction::Publish] {
            pubdata_store::catalog::resources::review(&catalog, &system, id, action, "", Some("测试")).await.unwrap();
        }
        id
    }
}

// ---------------------------------------------------------------------------------------------
// The application
// ---------------------------------------------------------------------------------------------

/// The application on a fresh database, with an authority administrator (`ADMIN`) and an
/// agency data officer (`OFFICER`) who still has a generated one-time password.
struct Site {
    db: TestDb,
    base: String,
    server: tokio::task::JoinHandle<()>,
    officer_one_time_password: String,
}

impl Site {
    async fn start() -> Site {
        let db = TestDb::sqlite().await;
        let store = db.store.clone();
        bootstrap::admin_init(&store, ADMIN, ADMIN_PASSWORD).await.unwrap();

        let system = Caller::system("browser-test");
        let authority =
            orgs::list(&store, &system).await.unwrap().into_iter().find(|o| o.kind == OrgKind::Authority).unwrap();
        let agency = NewOrganisation::new(
            Some(authority.id),
            OrgKind::Agency,
            Some(AgencyCategory::Department),
            OrgName::parse("浏览器测试局", Some("Browser Test Bureau")).unwrap(),
            None,
        )
        .unwrap();
        let agency = orgs::create(&store, &system, agency).await.unwrap();
        let officer = NewUserInput {
            username: OFFICER.into(),
            display_name: "浏览器测试·数据专员".into(),
            org_id: agency.id.0,
            role: Role::AgencyDataOfficer.as_str().into(),
            password: None,
            ..Default::default()
        };
        let (_, one_time) = users::create(&store, &system, officer).await.unwrap();

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = pubdata_web::AppState::open(store, pubdata_web::WebConfig::default(), None).await.unwrap();
        let app = pubdata_web::app(state);
        let server = tokio::spawn(async move {
            axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
        });
        Site {
            db,
            base: format!("http://{addr}"),
            server,
            officer_one_time_password: one_time.expect("a one-time password for a user created without one"),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn finish(self) {
        self.server.abort();
        let _ = self.server.await;
        self.db.finish().await;
    }
}

// ---------------------------------------------------------------------------------------------
// The browser: a minimal W3C WebDriver client
// ---------------------------------------------------------------------------------------------

/// A headless Chromium session through a chromedriver child process of this test. Dropping it
/// (also when the test fails) ends the session and kills chromedriver and what it started.
struct Browser {
    http: reqwest::Client,
    driver: Child,
    port: u16,
    /// `http://127.0.0.1:<port>/session/<id>`, once the session exists.
    session: Option<(String, String)>,
    /// The browser profile and chromedriver's log; removed after the processes are gone.
    dir: tempfile::TempDir,
}

/// A refused WebDriver command: the error code and the first line of the message.
#[derive(Debug)]
struct WebDriverError {
    error: String,
    message: String,
}

impl std::fmt::Display for WebDriverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.error, self.message)
    }
}

impl Browser {
    async fn start() -> Browser {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut command = Command::new(CHROMEDRIVER);
        command
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", dir.path().join("chromedriver.log").display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // A process group of its own, so that the browser it starts can be ended with it.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let driver = command.spawn().unwrap_or_else(|e| panic!("cannot start {CHROMEDRIVER}: {e}"));
        let http = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(60)).build().unwrap();
        let mut browser = Browser { http, driver, port, session: None, dir };

        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = browser.driver.try_wait() {
                panic!("chromedriver exited at start with {status}");
            }
            let ready = browser.http.get(format!("http://127.0.0.1:{port}/status")).send().await;
            if let Ok(r) = ready
                && let Ok(v) = r.json::<Value>().await
                && v["value"]["ready"] == json!(true)
            {
                break;
            }
            assert!(started.elapsed() < PATIENCE, "chromedriver did not become ready on port {port}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        let profile = browser.dir.path().join("profile");
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
            "--no-proxy-server",
            "--window-size=1280,1000",
            &format!("--user-data-dir={}", profile.display()),
        ];
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "pageLoadStrategy": "normal",
                    "goog:chromeOptions": { "binary": CHROMIUM, "args": args },
                }
            }
        });
        let created = browser
            .request(Method::POST, &format!("http://127.0.0.1:{port}/session"), Some(capabilities))
            .await
            .unwrap_or_else(|e| panic!("chromedriver could not start Chromium: {e}"));
        let id = created["sessionId"].as_str().expect("a session id").to_string();
        browser.session = Some((format!("http://127.0.0.1:{port}/session/{id}"), id));
        browser
            .command(Method::POST, "/timeouts", Some(json!({ "pageLoad": 30_000, "script": 10_000, "implicit": 0 })))
            .await
            .unwrap();
        browser
    }

    /// Ends the session (closing Chromium); Drop then stops chromedriver.
    async fn quit(mut self) {
        if let Some((url, _)) = self.session.take() {
            self.request(Method::DELETE, &url, None).await.expect("ending the browser session");
        }
    }

    async fn request(&self, method: Method, url: &str, body: Option<Value>) -> Result<Value, WebDriverError> {
        let mut req = self.http.request(method, url);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let response =
            req.send().await.map_err(|e| WebDriverError { error: "transport".into(), message: e.to_string() })?;
        let ok = response.status().is_success();
        let value: Value =
            response.json().await.map_err(|e| WebDriverError { error: "transport".into(), message: e.to_string() })?;
        let value = value.get("value").cloned().unwrap_or(Value::Null);
        if ok {
            Ok(value)
        } else {
            Err(WebDriverError {
                error: value["error"].as_str().unwrap_or("unknown error").to_string(),
                message: value["message"].as_str().unwrap_or_default().lines().next().unwrap_or_default().to_string(),
            })
        }
    }

    async fn command(&self, method: Method, path: &str, body: Option<Value>) -> Result<Value, WebDriverError> {
        let (session, _) = self.session.as_ref().expect("a browser session");
        self.request(method, &format!("{session}{path}"), body).await
    }

    async fn goto(&self, url: &str) {
        self.command(Method::POST, "/url", Some(json!({ "url": url }))).await.unwrap();
    }

    /// The path of the page the browser shows, without the query.
    async fn path(&self) -> String {
        let url = self.command(Method::GET, "/url", None).await.unwrap();
        let url = url.as_str().unwrap_or_default();
        let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
        let path = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
        path.split(['?', '#']).next().unwrap_or("/").to_string()
    }

    async fn wait_for_path(&self, expected: &str) {
        let started = Instant::now();
        loop {
            let path = self.path().await;
            if path == expected && self.ready().await {
                return;
            }
            assert!(started.elapsed() < PATIENCE, "expected to reach {expected}, the browser is on {path}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn ready(&self) -> bool {
        let state = self.execute("return document.readyState").await;
        state == json!("complete")
    }

    async fn find(&self, css: &str) -> Result<String, WebDriverError> {
        let found =
            self.command(Method::POST, "/element", Some(json!({ "using": "css selector", "value": css }))).await?;
        Ok(found[ELEMENT_KEY].as_str().expect("an element reference").to_string())
    }

    async fn wait_for(&self, css: &str) -> String {
        let started = Instant::now();
        loop {
            match self.find(css).await {
                Ok(element) => return element,
                Err(e) => assert!(
                    started.elapsed() < PATIENCE,
                    "{css} did not appear on {} ({e}); the page:\n{}",
                    self.path().await,
                    self.source().await
                ),
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn exists(&self, css: &str) -> bool {
        let found =
            self.command(Method::POST, "/elements", Some(json!({ "using": "css selector", "value": css }))).await;
        found.unwrap().as_array().is_some_and(|a| !a.is_empty())
    }

    async fn fill(&self, css: &str, text: &str) {
        let element = self.wait_for(css).await;
        self.command(Method::POST, &format!("/element/{element}/clear"), Some(json!({}))).await.unwrap();
        self.command(Method::POST, &format!("/element/{element}/value"), Some(json!({ "text": text }))).await.unwrap();
    }

    /// Chooses a file for an `<input type="file">`.
    async fn attach(&self, css: &str, path: &str) {
        let element = self.wait_for(css).await;
        self.command(Method::POST, &format!("/element/{element}/value"), Some(json!({ "text": path }))).await.unwrap();
    }

    async fn click(&self, css: &str) {
        let element = self.wait_for(css).await;
        self.command(Method::POST, &format!("/element/{element}/click"), Some(json!({}))).await.unwrap();
    }

    async fn text(&self, css: &str) -> String {
        let element = self.wait_for(css).await;
        let text = self.command(Method::GET, &format!("/element/{element}/text"), None).await.unwrap();
        text.as_str().unwrap_or_default().trim().to_string()
    }

    /// Waits until `css` shows `expected` and returns what it shows (the last text seen, when
    /// the wait runs out, so that the assertion after it reports the difference).
    async fn wait_for_text(&self, css: &str, expected: &str) -> String {
        let started = Instant::now();
        loop {
            let shown = match self.find(css).await {
                Ok(element) => match self.command(Method::GET, &format!("/element/{element}/text"), None).await {
                    Ok(t) => t.as_str().unwrap_or_default().trim().to_string(),
                    Err(_) => String::new(), // replaced by the next page meanwhile
                },
                Err(_) => String::new(),
            };
            if shown == expected || started.elapsed() >= PATIENCE {
                return shown;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn value(&self, css: &str) -> String {
        let element = self.wait_for(css).await;
        let value = self.command(Method::GET, &format!("/element/{element}/property/value"), None).await.unwrap();
        value.as_str().unwrap_or_default().to_string()
    }

    async fn displayed(&self, css: &str) -> bool {
        let element = self.wait_for(css).await;
        let shown = self.command(Method::GET, &format!("/element/{element}/displayed"), None).await.unwrap();
        shown == json!(true)
    }

    async fn execute(&self, script: &str) -> Value {
        self.command(Method::POST, "/execute/sync", Some(json!({ "script": script, "args": [] }))).await.unwrap()
    }

    /// The HTTP status of the response that produced the current page, as the browser saw it.
    async fn navigation_status(&self) -> Option<u64> {
        self.execute("const n = performance.getEntriesByType('navigation')[0]; return n ? n.responseStatus : null")
            .await
            .as_u64()
    }

    async fn source(&self) -> String {
        match self.command(Method::GET, "/source", None).await {
            Ok(v) => v.as_str().unwrap_or_default().to_string(),
            Err(e) => format!("(no page source: {e})"),
        }
    }

    /// A PNG of the visible part of the page.
    async fn screenshot(&self) -> Vec<u8> {
        let png = self.command(Method::GET, "/screenshot", None).await.unwrap();
        base64_decode(png.as_str().expect("a base64 screenshot"))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The session is still open when the test failed: close Chromium through chromedriver.
        // This runs inside the runtime, so a plain blocking request it is.
        if let Some((_, id)) = self.session.take() {
            let _ = delete_session_blocking(self.port, &id);
        }
        if std::thread::panicking()
            && let Ok(log) = std::fs::read_to_string(self.dir.path().join("chromedriver.log"))
        {
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            eprintln!("--- the end of chromedriver's log ---");
            for line in tail.into_iter().rev() {
                eprintln!("{line}");
            }
        }
        // Whatever is left of chromedriver's process group (the group id is its process id).
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn delete_session_blocking(port: u16, id: &str) -> std::io::Result<()> {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(10)))?;
    write!(stream, "DELETE /session/{id} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n")?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    Ok(())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Standard base64 (WebDriver screenshots), ignoring padding and line breaks.
fn base64_decode(text: &str) -> Vec<u8> {
    fn sextet(c: u8) -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {:?}", c as char),
        }
    }
    let digits: Vec<u8> = text.bytes().filter(|c| !matches!(c, b'=' | b'\n' | b'\r')).collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let bits = chunk.iter().enumerate().fold(0u32, |acc, (i, &c)| acc | (sextet(c) << (18 - 6 * i)));
        out.extend_from_slice(&bits.to_be_bytes()[1..chunk.len()]);
    }
    out
}

#[test]
fn base64_decodes_what_webdriver_sends() {
    assert_eq!(base64_decode("aGVsbG8="), b"hello");
    assert_eq!(base64_decode("aGVsbG8hIQ=="), b"hello!!");
    assert_eq!(base64_decode("aGVs\nbG8h"), b"hello!");
}
