//! The working-day calendar page: a year's holidays and make-up working days, the deadline
//! calculator, and (for the authority) editing.

use super::{PageCtx, done, error_page, render_status};
use crate::AppState;
use crate::auth::{Page, perm};
use crate::error::ApiError;
use crate::extract::CsrfForm;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use pubdata_domain::calendar::{CalendarDay, DayKind};
use pubdata_domain::identity::Permission;
use pubdata_domain::timefmt;
use pubdata_store::calendar;
use serde::Deserialize;

pub struct DayRow {
    pub date: String,
    pub weekday: &'static str,
    pub kind: &'static str,
    pub kind_code: &'static str,
    pub name: String,
}

pub struct Deadline {
    pub from: String,
    pub days: i64,
    pub result: String,
    pub warning: Option<String>,
}

#[derive(Template)]
#[template(path = "calendar.html")]
struct CalendarPage {
    ctx: PageCtx,
    year: i32,
    entered: bool,
    source: String,
    working_days: i64,
    days: Vec<DayRow>,
    can_manage: bool,
    deadline: Option<Deadline>,
    from: String,
    count: String,
}

#[derive(Deserialize)]
pub struct CalendarQuery {
    year: Option<i32>,
    from: Option<String>,
    days: Option<String>,
    flash: Option<String>,
}

const WEEKDAYS_ZH: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
const WEEKDAYS_EN: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

pub async fn year(
    State(state): State<AppState>,
    page: Page<perm::CalendarRead>,
    uri: Uri,
    Query(q): Query<CalendarQuery>,
) -> Response {
    let lang = page.lang;
    let year = q.year.unwrap_or_else(|| timefmt::now().year());
    let view = match calendar::year(&state.store, &page.caller, year).await {
        Ok(v) => v,
        Err(e) => return error_page(lang, e.into()),
    };
    let mut ctx = PageCtx::new(&page, "calendar.title", &uri, q.flash.as_deref()).crumb("calendar.title", "/calendar");
    let mut status = StatusCode::OK;
    let deadline = match (q.from.as_deref().filter(|s| !s.is_empty()), q.days.as_deref().filter(|s| !s.is_empty())) {
        (Some(from), Some(days)) => match compute(&state, from, days).await {
            Ok(d) => Some(d),
            Err(e) => {
                status = e.status;
                ctx = ctx.error(&e);
                None
            }
        },
        _ => None,
    };
    let deadline = deadline.map(|mut d| {
        if let Some(years) = d.warning.take() {
            d.warning = Some(format!("{} {years}", lang.t("home.calendar_warning")));
        }
        d
    });
    let days = view
        .days
        .iter()
        .map(|d| {
            let i = d.date.weekday().number_days_from_monday() as usize;
            DayRow {
                date: timefmt::format_date(d.date),
                weekday: lang.pick(WEEKDAYS_ZH[i], WEEKDAYS_EN[i]),
                kind: lang.t(if d.kind == DayKind::Holiday { "calendar.holiday" } else { "calendar.workday" }),
                kind_code: d.kind.as_str(),
                name: d.name.clone(),
            }
        })
        .collect();
    let page_view = CalendarPage {
        ctx,
        year,
        entered: view.entered.is_some(),
        source: view.entered.map(|e| e.source).unwrap_or_default(),
        working_days: view.working_days,
        days,
        can_manage: page.caller.principal.has(Permission::CalendarManage),
        deadline,
        from: q.from.unwrap_or_default(),
        count: q.days.unwrap_or_default(),
    };
    render_status(status, &page_view)
}

async fn compute(state: &AppState, from: &str, days: &str) -> Result<Deadline, ApiError> {
    let start = timefmt::parse_date("from", from)?;
    let n: i64 = days
        .trim()
        .parse()
        .map_err(|_| ApiError::invalid("days", "工作日数应为整数", "working days must be a whole number"))?;
    if n.abs() > 3650 {
        return Err(ApiError::invalid("days", "工作日数不能超过 3650", "at most 3650 working days"));
    }
    let cal = calendar::load(&state.store).await?;
    let end = cal.add_working_days(start, n);
    let missing = cal.uncovered_years(start, end);
    Ok(Deadline {
        from: timefmt::format_date(start),
        days: n,
        result: timefmt::format_date(end),
        warning: (!missing.is_empty()).then(|| missing.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")),
    })
}

#[derive(Deserialize)]
pub struct DayForm {
    date: String,
    kind: String,
    name: String,
}

fn year_of(date: &str) -> String {
    date.get(..4).filter(|y| y.chars().all(|c| c.is_ascii_digit())).unwrap_or("").to_string()
}

pub async fn set_day(
    State(state): State<AppState>,
    page: Page<perm::CalendarManage>,
    form: CsrfForm<DayForm>,
) -> Response {
    let f = form.value;
    let result = async {
        let day = CalendarDay::new(timefmt::parse_date("date", &f.date)?, DayKind::parse(&f.kind)?, &f.name)?;
        Ok::<_, ApiError>(calendar::set_day(&state.store, &page.caller, day).await?)
    }
    .await;
    match result {
        Ok(()) => done(&format!("/calendar?year={}", year_of(&f.date)), "calendar.saved"),
        Err(e) => error_page(page.lang, e),
    }
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn remove_day(
    State(state): State<AppState>,
    page: Page<perm::CalendarManage>,
    Path(date): Path<String>,
    _form: CsrfForm<Empty>,
) -> Response {
    let result = async {
        let d = timefmt::parse_date("date", &date)?;
        Ok::<_, ApiError>(calendar::remove_day(&state.store, &page.caller, d).await?)
    }
    .await;
    match result {
        Ok(()) => done(&format!("/calendar?year={}", year_of(&date)), "calendar.saved"),
        Err(e) => error_page(page.lang, e),
    }
}

#[derive(Deserialize)]
pub struct YearForm {
    source: String,
}

pub async fn set_year(
    State(state): State<AppState>,
    page: Page<perm::CalendarManage>,
    Path(year): Path<i32>,
    form: CsrfForm<YearForm>,
) -> Response {
    match calendar::set_year(&state.store, &page.caller, year, true, &form.value.source).await {
        Ok(()) => done(&format!("/calendar?year={year}"), "calendar.saved"),
        Err(e) => error_page(page.lang, e.into()),
    }
}
