//! `/calendar`: the working-day calendar and deadline arithmetic.

use crate::AppState;
use crate::auth::{Api, perm};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pubdata_domain::calendar::{CalendarDay, DayKind};
use pubdata_domain::timefmt;
use pubdata_store::calendar;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct DayView {
    pub date: String,
    /// `holiday` or `workday` (a weekend day worked in exchange).
    pub kind: String,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct YearResponse {
    pub year: i32,
    /// Whether the State Council's arrangement for the year has been entered.
    pub entered: bool,
    pub source: Option<String>,
    pub working_days: i64,
    pub days: Vec<DayView>,
    /// Present when the year's arrangement is missing.
    pub warning: Option<String>,
    pub warning_en: Option<String>,
}

fn missing_years_warning(years: &[i32]) -> (Option<String>, Option<String>) {
    if years.is_empty() {
        return (None, None);
    }
    let list = years.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
    (
        Some(format!("{list} 年的法定节假日安排尚未录入，期间的期限仅扣除周末")),
        Some(format!("the official holiday arrangement for {list} is not entered; deadlines there skip weekends only")),
    )
}

/// One year's holidays and make-up working days.
#[utoipa::path(get, path = "/calendar/{year}", tag = "calendar", params(("year" = i32, Path)),
    responses((status = 200, body = YearResponse), (status = 400, body = ErrorBody)))]
pub async fn year(
    State(state): State<AppState>,
    api: Api<perm::CalendarRead>,
    ApiPath(year): ApiPath<i32>,
) -> ApiResult<Json<YearResponse>> {
    let view = calendar::year(&state.store, &api.caller, year).await?;
    let (warning, warning_en) = if view.entered.is_none() { missing_years_warning(&[year]) } else { (None, None) };
    Ok(Json(YearResponse {
        year,
        entered: view.entered.is_some(),
        source: view.entered.map(|e| e.source),
        working_days: view.working_days,
        days: view
            .days
            .into_iter()
            .map(|d| DayView { date: timefmt::format_date(d.date), kind: d.kind.as_str().into(), name: d.name })
            .collect(),
        warning,
        warning_en,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetDay {
    /// `holiday` or `workday`.
    pub kind: String,
    /// e.g. 春节, 国庆节调休上班.
    pub name: String,
}

/// Mark a date as a holiday or make-up working day.
#[utoipa::path(put, path = "/calendar/days/{date}", tag = "calendar", params(("date" = String, Path, description = "YYYY-MM-DD")),
    request_body = SetDay, responses((status = 200, body = DayView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn set_day(
    State(state): State<AppState>,
    api: Api<perm::CalendarManage>,
    ApiPath(date): ApiPath<String>,
    ApiJson(req): ApiJson<SetDay>,
) -> ApiResult<Json<DayView>> {
    let day = CalendarDay::new(timefmt::parse_date("date", &date)?, DayKind::parse(&req.kind)?, &req.name)?;
    calendar::set_day(&state.store, &api.caller, day.clone()).await?;
    Ok(Json(DayView { date: timefmt::format_date(day.date), kind: day.kind.as_str().into(), name: day.name }))
}

/// Return a date to the plain Monday-Friday rule.
#[utoipa::path(delete, path = "/calendar/days/{date}", tag = "calendar", params(("date" = String, Path, description = "YYYY-MM-DD")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn remove_day(
    State(state): State<AppState>,
    api: Api<perm::CalendarManage>,
    ApiPath(date): ApiPath<String>,
) -> ApiResult<StatusCode> {
    calendar::remove_day(&state.store, &api.caller, timefmt::parse_date("date", &date)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetYear {
    /// Whether the year's official arrangement is now fully entered.
    pub published: bool,
    /// The notice, e.g. 国办发明电〔2026〕x号.
    pub source: String,
}

/// Record that a year's official arrangement has been entered.
#[utoipa::path(put, path = "/calendar/years/{year}", tag = "calendar", params(("year" = i32, Path)),
    request_body = SetYear, responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn set_year(
    State(state): State<AppState>,
    api: Api<perm::CalendarManage>,
    ApiPath(year): ApiPath<i32>,
    ApiJson(req): ApiJson<SetYear>,
) -> ApiResult<StatusCode> {
    calendar::set_year(&state.store, &api.caller, year, req.published, &req.source).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DeadlineQuery {
    /// YYYY-MM-DD
    pub from: String,
    /// Working days to add (negative counts back), at most 3650.
    pub working_days: i64,
}

#[derive(Serialize, ToSchema)]
pub struct DeadlineResponse {
    pub from: String,
    pub working_days: i64,
    pub deadline: String,
    pub warning: Option<String>,
    pub warning_en: Option<String>,
}

/// The date a number of working days after another.
#[utoipa::path(get, path = "/calendar/deadline", tag = "calendar", params(DeadlineQuery),
    responses((status = 200, body = DeadlineResponse), (status = 400, body = ErrorBody)))]
pub async fn deadline(
    State(state): State<AppState>,
    _api: Api<perm::CalendarRead>,
    ApiQuery(q): ApiQuery<DeadlineQuery>,
) -> ApiResult<Json<DeadlineResponse>> {
    let from = timefmt::parse_date("from", &q.from)?;
    if q.working_days.abs() > 3650 {
        return Err(ApiError::invalid("working_days", "工作日数不能超过 3650", "at most 3650 working days"));
    }
    let cal = calendar::load(&state.store).await?;
    let end = cal.add_working_days(from, q.working_days);
    let (warning, warning_en) = missing_years_warning(&cal.uncovered_years(from, end));
    Ok(Json(DeadlineResponse {
        from: timefmt::format_date(from),
        working_days: q.working_days,
        deadline: timefmt::format_date(end),
        warning,
        warning_en,
    }))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct BetweenQuery {
    pub from: String,
    pub to: String,
}

#[derive(Serialize, ToSchema)]
pub struct BetweenResponse {
    pub from: String,
    pub to: String,
    /// Working days d with from < d <= to (negative when `to` is earlier).
    pub working_days: i64,
    pub warning: Option<String>,
    pub warning_en: Option<String>,
}

/// The number of working days between two dates.
#[utoipa::path(get, path = "/calendar/working-days", tag = "calendar", params(BetweenQuery),
    responses((status = 200, body = BetweenResponse), (status = 400, body = ErrorBody)))]
pub async fn working_days(
    State(state): State<AppState>,
    _api: Api<perm::CalendarRead>,
    ApiQuery(q): ApiQuery<BetweenQuery>,
) -> ApiResult<Json<BetweenResponse>> {
    let from = timefmt::parse_date("from", &q.from)?;
    let to = timefmt::parse_date("to", &q.to)?;
    if (to - from).whole_days().abs() > 36_500 {
        return Err(ApiError::invalid("to", "日期跨度不能超过 100 年", "the span must not exceed 100 years"));
    }
    let cal = calendar::load(&state.store).await?;
    let (warning, warning_en) = missing_years_warning(&cal.uncovered_years(from, to));
    Ok(Json(BetweenResponse {
        from: timefmt::format_date(from),
        to: timefmt::format_date(to),
        working_days: cal.working_days_between(from, to),
        warning,
        warning_en,
    }))
}
