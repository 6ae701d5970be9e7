//! Data verification (Art.11) through the real router, on SQLite and PostgreSQL: a cross-check
//! of market regulation's and tax's registers through the API up to the closing, the pages
//! with their CSRF-checked forms, refusals that name the missing permission, and scheduled
//! cross-checks through the API and the page.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::*;
use pubdata_domain::identifiers::CreditCode;
use pubdata_testkit::{TestDb, backend_tests};
use serde_json::{Value, json};

const PASSWORD: &str = "User-Test-2026";

struct Setup {
    h: Harness,
    market: i64,
    tax: i64,
    market_officer: String,
    tax_officer: String,
    staff: String,
}

async fn setup(db: &TestDb) -> Setup {
    let h = harness(db).await;
    let market = h.agency("区市场监督管理局").await;
    let tax = h.agency("区税务局").await;
    let market_officer = h.user("market-officer", market, "agency_data_officer").await;
    let tax_officer = h.user("tax-officer", tax, "agency_data_officer").await;
    let staff = h.user("checker", 1, "authority_staff").await;
    Setup { h, market, tax, market_officer, tax_officer, staff }
}

fn item(code: &str, name: &str, key: bool) -> Value {
    json!({"code": code, "name": name, "type": "string", "length": 200, "level": "L1", "required": key, "unique_key": key})
}

/// A resource registered and published through the catalog's API.
async fn published(s: &Setup, token: &str, provider: i64, name: &str, items: Vec<Value>) -> i64 {
    let doc = json!({
        "name": name, "business_name": "市场主体管理", "source_system": "登记系统", "description": "",
        "provider_org_id": provider, "category": "market", "level": "L1", "storage_format": "database_table",
        "share": {"kind": "unconditional"}, "open": {"kind": "unconditional"}, "delivery": ["api"],
        "update_cycle": "daily", "share_term": {"kind": "long_term"}, "contact_name": "王明",
        "contact_phone": "0574-87000000", "items": items
    });
    let r = s.h.call(Method::POST, "/api/v1/catalog/resources", Some(token), Some(json!({"document": doc}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_i64().unwrap();
    for (who, action) in [(token, "submit"), (s.staff.as_str(), "approve"), (s.staff.as_str(), "publish")] {
        let body = json!({"action": action, "overlap_justification": "本单位登记数据"});
        let r = s.h.call(Method::POST, &format!("/api/v1/catalog/resources/{id}/review"), Some(who), Some(body)).await;
        assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.text);
    }
    id
}

/// A valid unified social credit code, distinct for each `n`.
fn credit_code(n: u32) -> String {
    let base = format!("91330212{n:09}");
    "0123456789ABCDEFGHJKLMNPQRTUWXY"
        .chars()
        .map(|c| format!("{base}{c}"))
        .find(|code| CreditCode::parse("code", code).is_ok())
        .unwrap()
}

/// Delivers CSV rows through the push API; returns the batch id.
async fn deliver(s: &Setup, token: &str, resource: i64, mode: &str, csv: String) -> i64 {
    let request = Request::put(format!("/api/v1/resources/{resource}/batches?file_name=rows.csv&mode={mode}"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(Body::from(csv))
        .unwrap();
    let r = s.h.raw(request).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["batch"]["id"].as_i64().unwrap()
}

/// Market regulation's and tax's registers of two enterprises; tax knows the second under
/// another name.
async fn registers(s: &Setup) -> (i64, i64) {
    let market = published(
        s,
        &s.market_officer,
        s.market,
        "企业基本信息",
        vec![item("credit_code", "统一社会信用代码", true), item("enterprise_name", "企业名称", false)],
    )
    .await;
    let tax = published(
        s,
        &s.tax_officer,
        s.tax,
        "纳税人登记信息",
        vec![item("uscc", "统一社会信用代码", true), item("taxpayer_name", "纳税人名称", false)],
    )
    .await;
    let (one, two) = (credit_code(1), credit_code(2));
    deliver(
        s,
        &s.market_officer,
        market,
        "append",
        format!("credit_code,enterprise_name\n{one},宁波甲贸易有限公司\n{two},宁波乙制造有限公司\n"),
    )
    .await;
    deliver(
        s,
        &s.tax_officer,
        tax,
        "append",
        format!("uscc,taxpayer_name\n{one},宁波甲贸易有限公司\n{two},宁波乙制造股份有限公司\n"),
    )
    .await;
    (market, tax)
}

fn names(market: i64, tax: i64) -> Value {
    json!({"resource_a": market, "resource_b": tax, "item_a": "enterprise_name", "item_b": "taxpayer_name", "working_days": 5})
}

fn ids(r: &Reply) -> Vec<i64> {
    r.body.as_array().unwrap_or_else(|| panic!("{}", r.text)).iter().map(|t| t["id"].as_i64().unwrap()).collect()
}

async fn post(s: &Setup, token: &str, path: &str, body: Value) -> Reply {
    s.h.call(Method::POST, path, Some(token), Some(body)).await
}

async fn art_11_a_cross_check_runs_through_the_api_to_the_closing(db: &TestDb) {
    let s = setup(db).await;
    let (market, tax) = registers(&s).await;
    let r = post(&s, &s.staff, "/api/v1/verification/cross-checks", names(market, tax)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        (r.body["cross_check"]["keys_compared"].as_i64(), r.body["cross_check"]["conflicts"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(r.body["cross_check"]["key_kind"], "credit_code");
    let task = &r.body["task"];
    let id = task["id"].as_i64().unwrap();
    assert_eq!((task["state"].as_str(), task["working_days"].as_i64()), (Some("open"), Some(5)));
    assert_eq!(
        task["conflicts"],
        json!([{"key": credit_code(2), "value_a": "宁波乙制造有限公司", "value_b": "宁波乙制造股份有限公司"}])
    );
    let addressed: Vec<i64> =
        task["providers"].as_array().unwrap().iter().map(|p| p["org_id"].as_i64().unwrap()).collect();
    assert_eq!(addressed, vec![s.market, s.tax]);

    let mine = s.h.call(Method::GET, "/api/v1/verification/tasks?view=mine", Some(&s.market_officer), None).await;
    assert_eq!(ids(&mine), vec![id]);
    let all = s.h.call(Method::GET, "/api/v1/verification/tasks", Some(&s.staff), None).await;
    assert_eq!(ids(&all), vec![id], "the authority's default list is every task");
    let overdue = s.h.call(Method::GET, "/api/v1/verification/tasks?overdue=true", Some(&s.staff), None).await;
    assert_eq!(ids(&overdue), Vec::<i64>::new());
    let runs = s.h.call(Method::GET, "/api/v1/verification/cross-checks", Some(&s.staff), None).await;
    assert_eq!(runs.body.as_array().unwrap().len(), 1, "{}", runs.text);
    let seen = s.h.call(Method::GET, &format!("/api/v1/verification/tasks/{id}"), Some(&s.tax_officer), None).await;
    assert_eq!((seen.status, seen.body["actions"].clone()), (StatusCode::OK, json!(["answer"])));

    let answer = format!("/api/v1/verification/tasks/{id}/answer");
    let r = post(&s, &s.market_officer, &answer, json!({"answer": "corrected"})).await;
    assert_eq!(
        (r.status, r.body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("batch_id")),
        "{}",
        r.text
    );
    let r = post(&s, &s.market_officer, &answer, json!({"answer": "fixed"})).await;
    assert_eq!(r.body["error"]["field"], "answer");
    let fix = deliver(
        &s,
        &s.market_officer,
        market,
        "upsert",
        format!("credit_code,enterprise_name\n{},宁波乙制造股份有限公司\n", credit_code(2)),
    )
    .await;
    let r = post(&s, &s.market_officer, &answer, json!({"answer": "corrected", "batch_id": fix})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!((r.body["state"].as_str(), r.body["providers"][0]["batch_id"].as_i64()), (Some("open"), Some(fix)));
    let r = post(&s, &s.tax_officer, &answer, json!({"answer": "confirmed"})).await;
    assert_eq!((r.status, r.body["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("explanation")));
    assert!(r.body["error"]["message_en"].as_str().unwrap().contains("explanation"), "{}", r.text);
    let r = post(&s, &s.tax_officer, &answer, json!({"answer": "confirmed", "explanation": "以税务登记为准"})).await;
    assert_eq!(r.body["state"], "answered", "{}", r.text);

    let close = format!("/api/v1/verification/tasks/{id}/close");
    let r = post(&s, &s.staff, &close, json!({"comment": " "})).await;
    assert_eq!((r.status, r.body["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("comment")));
    let r = post(&s, &s.staff, &close, json!({"comment": "市场监管局已更正"})).await;
    assert_eq!((r.status, r.body["state"].as_str()), (StatusCode::OK, Some("closed")), "{}", r.text);
    let again = post(&s, &s.staff, &close, json!({"comment": "再次办结"})).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    // The correction shows in the next run: no conflict, no task.
    let r = post(&s, &s.staff, "/api/v1/verification/cross-checks", names(market, tax)).await;
    assert_eq!((r.body["cross_check"]["conflicts"].as_i64(), r.body["task"].clone()), (Some(0), Value::Null));

    // A task opened by hand, for one resource.
    let bad = json!({"resource_id": tax, "description": "群众反映纳税人名称有误", "working_days": 0});
    let r = post(&s, &s.staff, "/api/v1/verification/tasks", bad).await;
    assert_eq!((r.status, r.body["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("working_days")));
    let r = post(
        &s,
        &s.staff,
        "/api/v1/verification/tasks",
        json!({"resource_id": tax, "description": "群众反映纳税人名称有误"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!((r.body["origin"].as_str(), r.body["working_days"].as_i64()), (Some("manual"), Some(10)));
    assert_eq!(r.body["providers"][0]["org_id"], s.tax);
    let bad = s.h.call(Method::GET, "/api/v1/verification/tasks?view=everything", Some(&s.staff), None).await;
    assert_eq!((bad.status, bad.body["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("view")));
    let doc = s.h.call(Method::GET, "/api/v1/openapi.json", None, None).await;
    assert!(doc.body["paths"]["/verification/tasks/{id}/answer"]["post"].is_object(), "documented in OpenAPI");
    assert!(doc.body["paths"]["/verification/cross-checks"]["post"].is_object());
}

async fn art_11_an_agency_cannot_run_a_cross_check(db: &TestDb) {
    let s = setup(db).await;
    let (market, tax) = registers(&s).await;
    let r = post(&s, &s.market_officer, "/api/v1/verification/cross-checks", names(market, tax)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.body["error"]["missing_permission"], "verification.manage");
    assert!(r.body["error"]["message"].as_str().unwrap().contains("发起数据校核"), "{}", r.text);
    let r =
        post(&s, &s.market_officer, "/api/v1/verification/tasks", json!({"resource_id": tax, "description": "有误"}))
            .await;
    assert_eq!(r.body["error"]["missing_permission"], "verification.manage");
    let runs = s.h.call(Method::GET, "/api/v1/verification/cross-checks", Some(&s.staff), None).await;
    assert_eq!(runs.body, json!([]), "nothing was run");
    let task = post(&s, &s.staff, "/api/v1/verification/cross-checks", names(market, tax)).await.body["task"]["id"]
        .as_i64()
        .unwrap();
    let r = post(
        &s,
        &s.staff,
        &format!("/api/v1/verification/tasks/{task}/answer"),
        json!({"answer": "confirmed", "explanation": "x"}),
    )
    .await;
    assert_eq!(
        (r.status, r.body["error"]["missing_permission"].as_str()),
        (StatusCode::FORBIDDEN, Some("verification.answer"))
    );
    let r =
        post(&s, &s.market_officer, &format!("/api/v1/verification/tasks/{task}/close"), json!({"comment": "x"})).await;
    assert_eq!(r.body["error"]["missing_permission"], "verification.manage");
    let public = s.h.call(Method::GET, "/api/v1/verification/tasks", None, None).await;
    assert_eq!(public.status, StatusCode::UNAUTHORIZED);
    // The page form is refused the same way, naming the permission.
    let session = web_login(&s.h, "market-officer", PASSWORD).await;
    let list = page(&s.h, "/verification", &session).await;
    assert!(!list.text.contains("id=\"cross-check-form\""), "no cross-check form for an agency");
    let csrf = csrf_of(&list.text);
    let (a, b) = (market.to_string(), tax.to_string());
    let form = [
        ("csrf", csrf.as_str()),
        ("resource_a", a.as_str()),
        ("resource_b", b.as_str()),
        ("item_a", "enterprise_name"),
    ];
    let r = post_form(&s.h, "/verification/cross-checks", &session, &form).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.text.contains("verification.manage"), "{}", r.text);
}

fn csrf_of(text: &str) -> String {
    text.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string()
}

async fn the_verification_pages_show_tasks_conflicts_and_forms(db: &TestDb) {
    let s = setup(db).await;
    let (market, tax) = registers(&s).await;
    let staff = web_login(&s.h, "checker", PASSWORD).await;
    let home = page(&s.h, "/", &staff).await;
    assert!(home.text.contains("href=\"/verification\""), "a nav link for the authority");
    let list = page(&s.h, "/verification", &staff).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    assert!(list.text.contains("id=\"cross-check-form\"") && list.text.contains("id=\"manual-form\""));
    assert!(list.text.contains("企业基本信息") && list.text.contains("纳税人登记信息"), "the resources to choose");
    let csrf = csrf_of(&list.text);
    let (a, b) = (market.to_string(), tax.to_string());
    let without = [
        ("resource_a", a.as_str()),
        ("resource_b", b.as_str()),
        ("item_a", "enterprise_name"),
        ("item_b", "taxpayer_name"),
    ];
    let r = post_form(&s.h, "/verification/cross-checks", &staff, &without).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "no CSRF token");
    let missing =
        [("csrf", csrf.as_str()), ("resource_a", a.as_str()), ("resource_b", b.as_str()), ("item_a", "address")];
    let r = post_form(&s.h, "/verification/cross-checks", &staff, &missing).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text.contains("data-field=\"item_a\""), "{}", r.text);
    let mut form = without.to_vec();
    form.push(("csrf", csrf.as_str()));
    let r = post_form(&s.h, "/verification/cross-checks", &staff, &form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let location = r.headers.get(header::LOCATION).unwrap().to_str().unwrap().to_string();
    assert!(location.ends_with("?flash=verification.opened"), "{location}");
    let id: i64 = location.trim_start_matches("/verification/").split('?').next().unwrap().parse().unwrap();

    let detail = page(&s.h, &location, &staff).await;
    assert_eq!(detail.status, StatusCode::OK, "{}", detail.text);
    assert!(detail.text.contains("id=\"flash\"") && detail.text.contains("data-state=\"open\""));
    let conflicts = detail.text.split("id=\"conflicts\"").nth(1).expect("the conflicts table");
    assert!(conflicts.contains(&credit_code(2)) && conflicts.contains("宁波乙制造股份有限公司"), "{conflicts}");
    assert!(detail.text.contains("id=\"providers\"") && detail.text.contains("区税务局"));
    assert!(!detail.text.contains("id=\"action-close\""), "nothing to close before the answers");
    assert!(detail.text.contains("id=\"due-on\""));

    let provider = web_login(&s.h, "tax-officer", PASSWORD).await;
    let theirs = page(&s.h, &format!("/verification/{id}"), &provider).await;
    assert!(theirs.text.contains("id=\"action-answer\""), "the provider is offered the answer form");
    assert!(
        theirs.text.contains(&format!("href=\"/catalog/{tax}/data\" id=\"own-batches\"")),
        "with the way to its own batches"
    );
    let csrf = csrf_of(&theirs.text);
    let path = format!("/verification/{id}/answer");
    let r = post_form(&s.h, &path, &provider, &[("csrf", csrf.as_str()), ("answer", "confirmed"), ("explanation", "")])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text.contains("data-field=\"explanation\"") && r.text.contains("checked"), "{}", r.text);
    let r = post_form(
        &s.h,
        &path,
        &provider,
        &[("csrf", csrf.as_str()), ("answer", "confirmed"), ("explanation", "以税务登记为准")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let mine = page(&s.h, "/verification?tab=mine", &provider).await;
    assert!(mine.text.contains(&format!("href=\"/verification/{id}\"")) && mine.text.contains("1/2"), "{}", mine.text);

    // Past its due date the task is listed as overdue, on the list and on its page.
    db.raw(&format!("UPDATE verification_tasks SET opened_at = '2025-03-03T02:00:00.000000Z' WHERE id = {id}"))
        .await
        .unwrap();
    let overdue = page(&s.h, "/verification?overdue=1", &staff).await;
    let row = overdue.text.split(&format!("data-id=\"{id}\"")).nth(1).expect("listed as overdue");
    assert!(row.split("</tr>").next().unwrap().contains("badge overdue"), "{row}");
    let english = page(&s.h, &format!("/verification/{id}"), &format!("{staff}; pubdata_lang=en")).await;
    assert!(
        english.text.contains("Conflicting entries") && english.text.contains("id=\"overdue\""),
        "{}",
        english.text
    );
}

/// Runs what is due on `day` after moving every schedule's next run to it, as `serve` would.
async fn run_due_on(db: &TestDb, day: &str) -> usize {
    db.raw(&format!("UPDATE verification_schedules SET next_run_on = '{day}' WHERE active = 1")).await.unwrap();
    let date = pubdata_domain::timefmt::parse_date("day", day).unwrap();
    pubdata_store::verification::schedules::run_due_schedules(&db.store, date).await.unwrap().len()
}

fn schedule_body(market: i64, tax: i64, every: i64) -> Value {
    let mut body = names(market, tax);
    body["every_working_days"] = json!(every);
    body
}

async fn art_11_scheduled_cross_checks_through_the_api(db: &TestDb) {
    let s = setup(db).await;
    let (market, tax) = registers(&s).await;
    let path = "/api/v1/verification/schedules";
    let r = post(&s, &s.staff, path, schedule_body(market, tax, 5)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_i64().unwrap();
    assert_eq!((r.body["key_item_a"].as_str(), r.body["key_item_b"].as_str()), (Some("credit_code"), Some("uscc")));
    assert_eq!((r.body["every_working_days"].as_i64(), r.body["working_days"].as_i64()), (Some(5), Some(5)));
    assert_eq!((r.body["active"].as_bool(), r.body["last_run"].clone()), (Some(true), Value::Null));
    assert!(r.body["next_run_on"].as_str().unwrap().len() == 10, "{}", r.text);

    // Refusals name the field, in both languages.
    let mut bad = schedule_body(market, tax, 0);
    bad["starts_on"] = json!("2026-02-30");
    let r = post(&s, &s.staff, path, bad).await;
    assert_eq!(
        (r.status, r.body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("starts_on")),
        "{}",
        r.text
    );
    let r = post(&s, &s.staff, path, schedule_body(market, tax, 0)).await;
    assert_eq!(r.body["error"]["field"], "every_working_days", "{}", r.text);
    assert!(r.body["error"]["message"].as_str().unwrap().contains("工作日"), "{}", r.text);
    assert!(r.body["error"]["message_en"].as_str().unwrap().contains("interval"), "{}", r.text);
    let r = post(&s, &s.staff, path, schedule_body(market, market, 5)).await;
    assert_eq!(r.body["error"]["field"], "resource_b", "{}", r.text);
    let r = post(&s, &s.market_officer, path, schedule_body(market, tax, 5)).await;
    assert_eq!(
        (r.status, r.body["error"]["missing_permission"].as_str()),
        (StatusCode::FORBIDDEN, Some("verification.manage"))
    );

    // A due run opens a task; the list shows it with the run.
    assert_eq!(run_due_on(db, "2026-10-12").await, 1);
    let listed = s.h.call(Method::GET, path, Some(&s.staff), None).await;
    assert_eq!(ids(&listed), vec![id]);
    let shown = &listed.body[0];
    assert_eq!(shown["next_run_on"], "2026-10-19", "five working days later");
    assert_eq!(shown["last_run"]["conflicts"], 1);
    let task = shown["last_run"]["task_id"].as_i64().expect("a task was opened");
    assert_eq!(shown["pending_task_id"].as_i64(), Some(task));
    let theirs = s.h.call(Method::GET, path, Some(&s.tax_officer), None).await;
    assert_eq!(ids(&theirs), vec![id], "the provider sees the schedule comparing its resource");
    let runs = s.h.call(Method::GET, "/api/v1/verification/cross-checks", Some(&s.staff), None).await;
    assert_eq!(runs.body[0]["schedule_id"].as_i64(), Some(id), "{}", runs.text);

    let deactivate = format!("{path}/{id}/deactivate");
    let r = post(&s, &s.market_officer, &deactivate, json!({})).await;
    assert_eq!(r.body["error"]["missing_permission"], "verification.manage", "{}", r.text);
    let r = s.h.call(Method::POST, &deactivate, Some(&s.staff), None).await;
    assert_eq!((r.status, r.body["active"].as_bool()), (StatusCode::OK, Some(false)), "{}", r.text);
    let r = s.h.call(Method::POST, &deactivate, Some(&s.staff), None).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    let r = s.h.call(Method::POST, &format!("{path}/999999/deactivate"), Some(&s.staff), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert_eq!(run_due_on(db, "2026-10-19").await, 0, "a deactivated schedule runs no more");

    let doc = s.h.call(Method::GET, "/api/v1/openapi.json", None, None).await;
    assert!(doc.body["paths"]["/verification/schedules"]["post"].is_object(), "documented in OpenAPI");
    assert!(doc.body["paths"]["/verification/schedules"]["get"].is_object());
    assert!(doc.body["paths"]["/verification/schedules/{id}/deactivate"]["post"].is_object());
}

async fn the_verification_page_schedules_cross_checks(db: &TestDb) {
    let s = setup(db).await;
    let (market, tax) = registers(&s).await;
    let staff = web_login(&s.h, "checker", PASSWORD).await;
    let list = page(&s.h, "/verification", &staff).await;
    assert!(list.text.contains("id=\"schedules\"") && list.text.contains("定期比对"), "{}", list.text);
    assert!(list.text.contains("id=\"schedule-form\"") && list.text.contains("id=\"no-schedules\""));
    let csrf = csrf_of(&list.text);
    let (a, b) = (market.to_string(), tax.to_string());
    let fields = [
        ("resource_a", a.as_str()),
        ("resource_b", b.as_str()),
        ("item_a", "enterprise_name"),
        ("item_b", "taxpayer_name"),
        ("every_working_days", "0"),
    ];
    let r = post_form(&s.h, "/verification/schedules", &staff, &fields).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "no CSRF token");
    let mut form = fields.to_vec();
    form.push(("csrf", csrf.as_str()));
    let r = post_form(&s.h, "/verification/schedules", &staff, &form).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(r.text.contains("data-field=\"every_working_days\""), "{}", r.text);
    assert!(r.text.contains("value=\"taxpayer_name\""), "the form keeps what was posted");
    form[4] = ("every_working_days", "5");
    let r = post_form(&s.h, "/verification/schedules", &staff, &form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let location = r.headers.get(header::LOCATION).unwrap().to_str().unwrap().to_string();
    assert_eq!(location, "/verification?flash=verification.schedule_created");
    let (id,): (i64,) =
        sqlx::query_as("SELECT MAX(id) FROM verification_schedules").fetch_one(db.store.reader()).await.unwrap();

    assert_eq!(run_due_on(db, "2026-10-12").await, 1);
    let list = page(&s.h, &location, &staff).await;
    let row = list.text.split(&format!("<tr data-id=\"{id}\" data-active=\"true\">")).nth(1).expect("listed");
    let row = row.split("</tr>").next().unwrap();
    assert!(row.contains("5 个工作日") && row.contains("2026-10-19"), "{row}");
    assert!(row.contains("1 条不一致") && row.contains("href=\"/verification/"), "the last run and its task: {row}");
    assert!(row.contains(&format!("id=\"deactivate-{id}\"")), "{row}");
    let english = page(&s.h, "/verification", &format!("{staff}; pubdata_lang=en")).await;
    assert!(english.text.contains("Scheduled cross-checks") && english.text.contains("1 conflicting"));

    // The provider sees the schedule of its resource, without the authority's controls.
    let provider = web_login(&s.h, "tax-officer", PASSWORD).await;
    let theirs = page(&s.h, "/verification", &provider).await;
    assert!(theirs.text.contains(&format!("data-id=\"{id}\" data-active=\"true\"")), "{}", theirs.text);
    assert!(!theirs.text.contains("id=\"schedule-form\"") && !theirs.text.contains("id=\"deactivate-"));
    let theirs_csrf = csrf_of(&theirs.text);
    let path = format!("/verification/schedules/{id}/deactivate");
    let r = post_form(&s.h, &path, &provider, &[("csrf", theirs_csrf.as_str())]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let r = post_form(&s.h, &path, &staff, &[("csrf", csrf.as_str())]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let list = page(&s.h, "/verification", &staff).await;
    let row = list.text.split(&format!("<tr data-id=\"{id}\" data-active=\"false\">")).nth(1).expect("deactivated");
    let row = row.split("</tr>").next().unwrap();
    assert!(row.contains("已停用") && !row.contains("id=\"deactivate-"), "{row}");
    let again = post_form(&s.h, &path, &staff, &[("csrf", csrf.as_str())]).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.text.contains("已停用"), "{}", again.text);
}

backend_tests!(
    art_11_scheduled_cross_checks_through_the_api,
    the_verification_page_schedules_cross_checks,
    art_11_a_cross_check_runs_through_the_api_to_the_closing,
    art_11_an_agency_cannot_run_a_cross_check,
    the_verification_pages_show_tasks_conflicts_and_forms,
);
