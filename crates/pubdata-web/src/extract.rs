//! Request extractors whose rejections speak the API's error language (400 with the field and
//! the reason, never a bare 422 or 500), and the CSRF-checked form extractor for pages.

use crate::auth::{SessionCsrf, lang_of};
use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use pubdata_domain::secret::constant_time_eq;
use serde::de::DeserializeOwned;

/// The pre-login CSRF cookie (double-submit) for the login and registration forms.
pub const CSRF_COOKIE: &str = "pubdata_csrf";

/// JSON request bodies. Unknown fields are refused by the request types themselves.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(r: JsonRejection) -> ApiError {
    match r {
        JsonRejection::JsonDataError(e) => {
            let detail = e.body_text();
            let field = detail.split('`').nth(1).unwrap_or("body").to_string();
            ApiError::invalid(
                &field,
                format!("请求内容不符合要求：{detail}"),
                format!("the request body does not fit: {detail}"),
            )
        }
        JsonRejection::JsonSyntaxError(e) => ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            format!("请求体不是合法的 JSON：{}", e.body_text()),
            format!("the request body is not valid JSON: {}", e.body_text()),
        ),
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "请求头应为 Content-Type: application/json",
            "expected Content-Type: application/json",
        ),
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "请求体过大",
            "the request body is too large",
        ),
        other => ApiError::new(other.status(), "bad_request", other.body_text(), other.body_text()),
    }
}

/// Path parameters; a malformed id is a 400 naming it.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(e) => Err(path_rejection(e)),
        }
    }
}

fn path_rejection(e: PathRejection) -> ApiError {
    ApiError {
        field: Some("path".into()),
        ..ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_id",
            format!("路径参数无效：{}", e.body_text()),
            format!("invalid path parameter: {}", e.body_text()),
        )
    }
}

/// Query strings.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(e) => Err(query_rejection(e)),
        }
    }
}

fn query_rejection(e: QueryRejection) -> ApiError {
    let detail = e.body_text();
    ApiError::invalid("query", format!("查询参数无效：{detail}"), format!("invalid query parameter: {detail}"))
}

/// The page shown when a form's CSRF token is missing or wrong.
pub fn csrf_refused(lang: crate::i18n::Lang) -> Response {
    crate::pages::error_page(
        lang,
        ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf",
            "表单已过期或来源不明，请返回刷新页面后重新提交",
            "the form has expired or did not come from this site; go back, reload and submit again",
        ),
    )
}

/// A form posted from one of our pages. The `csrf` field must match the session's token
/// (after login) or the pre-login CSRF cookie (login and registration forms).
pub struct CsrfForm<T> {
    pub value: T,
    /// All fields as posted, for repeated keys (check boxes).
    pub pairs: Vec<(String, String)>,
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        let expected = req.extensions().get::<SessionCsrf>().map(|c| c.0.clone());
        let jar = CookieJar::from_headers(req.headers());
        let lang = lang_of(&jar);
        let expected = expected.or_else(|| jar.get(CSRF_COOKIE).map(|c| c.value().to_string()));
        let bytes = Bytes::from_request(req, state).await.map_err(IntoResponse::into_response)?;
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).map_err(|e| {
            crate::pages::error_page(
                lang,
                ApiError::invalid("form", format!("表单无法解析：{e}"), format!("the form cannot be read: {e}")),
            )
        })?;
        let given = pairs.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str());
        let valid =
            matches!((expected.as_deref(), given), (Some(e), Some(g)) if !e.is_empty() && constant_time_eq(e, g));
        if !valid {
            return Err(csrf_refused(lang));
        }
        let value = serde_urlencoded::from_bytes(&bytes).map_err(|e| {
            crate::pages::error_page(
                lang,
                ApiError::invalid("form", format!("表单内容有误：{e}"), format!("the form is invalid: {e}")),
            )
        })?;
        Ok(CsrfForm { value, pairs })
    }
}

/// An optional query parameter naming one of a fixed set of codes: `None` when absent or blank,
/// else the parsed value, or a 400 that names the parameter (`field`, `label_zh` in Chinese) and
/// lists the codes.
pub(crate) fn code_param<T>(
    field: &str,
    label_zh: &str,
    value: Option<&str>,
    parse: impl Fn(&str) -> Option<T>,
    codes: &[&str],
) -> Result<Option<T>, ApiError> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else { return Ok(None) };
    parse(v).map(Some).ok_or_else(|| {
        let en = match codes.split_last() {
            Some((last, [])) => (*last).to_string(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        };
        ApiError::invalid(
            field,
            format!("未知的{label_zh} {v:?}，可选：{}", codes.join("、")),
            format!("unknown {field} {v:?}: {en}"),
        )
    })
}
