//! The one table that maps every error to a stable code, an HTTP status and a message in
//! Chinese and English. Internal details are logged, never returned.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pubdata_domain::Text;
use pubdata_domain::identity::Permission;
use pubdata_store::Error as StoreError;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: Text,
    pub field: Option<String>,
    pub missing_permission: Option<Permission>,
    pub retry_after: Option<u64>,
    /// Every problem, when a request had several (e.g. a catalog registration).
    pub details: Vec<ProblemDetail>,
}

/// One of several problems with a request.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ProblemDetail {
    pub field: String,
    pub message: String,
    pub message_en: String,
}

/// The body of every error response.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable code, e.g. `invalid_input`, `forbidden`.
    pub code: &'static str,
    /// 中文说明
    pub message: String,
    /// English explanation
    pub message_en: String,
    /// The request field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The permission the caller lacks (403 `forbidden`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing_permission: Option<&'static str>,
    /// All problems, when there were several; the first is also in `field` and `message`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<ProblemDetail>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: Text::new(zh.into(), en.into()),
            field: None,
            missing_permission: None,
            retry_after: None,
            details: Vec::new(),
        }
    }

    pub fn invalid(field: &str, zh: impl Into<String>, en: impl Into<String>) -> ApiError {
        ApiError { field: Some(field.to_string()), ..ApiError::new(StatusCode::BAD_REQUEST, "invalid_input", zh, en) }
    }

    pub fn unauthenticated() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "请先登录：在请求头中提供 Authorization: Bearer 令牌",
            "authentication required: send Authorization: Bearer <token>",
        )
    }

    pub fn forbidden(p: Permission) -> ApiError {
        ApiError {
            missing_permission: Some(p),
            ..ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!("缺少权限：{}（{}）", p.label_zh(), p.as_str()),
                format!("missing permission: {} ({})", p.as_str(), p.label_en()),
            )
        }
    }

    pub fn not_found_route() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "没有这个接口", "no such endpoint")
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message.zh.to_string(),
                message_en: self.message.en.to_string(),
                field: self.field.clone(),
                missing_permission: self.missing_permission.map(|p| p.as_str()),
                details: self.details.clone(),
            },
        }
    }
}

impl From<pubdata_domain::Error> for ApiError {
    fn from(e: pubdata_domain::Error) -> ApiError {
        use pubdata_domain::Error as D;
        match e {
            D::Invalid { field, message } => ApiError::invalid(&field, message.zh, message.en),
            D::Forbidden(p) => ApiError::forbidden(p),
            D::OutOfScope(m) => ApiError::new(StatusCode::FORBIDDEN, "out_of_scope", m.zh, m.en),
            D::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m.zh, m.en),
            D::Problems(problems) => {
                let details: Vec<ProblemDetail> = problems
                    .iter()
                    .map(|p| ProblemDetail {
                        field: p.field.clone(),
                        message: p.message.zh.to_string(),
                        message_en: p.message.en.to_string(),
                    })
                    .collect();
                let (field, zh, en) = match details.first() {
                    Some(d) if details.len() == 1 => (d.field.clone(), d.message.clone(), d.message_en.clone()),
                    Some(d) => (
                        d.field.clone(),
                        format!("{}（共 {} 处问题）", d.message, details.len()),
                        format!("{} ({} problems in all)", d.message_en, details.len()),
                    ),
                    None => ("body".into(), "请求内容有误".into(), "the request is invalid".into()),
                };
                ApiError { details, ..ApiError::invalid(&field, zh, en) }
            }
            D::PasswordChangeRequired => ApiError::new(
                StatusCode::FORBIDDEN,
                "password_change_required",
                "请先修改一次性密码（POST /api/v1/auth/password）",
                "change your one-time password first (POST /api/v1/auth/password)",
            ),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::Domain(d) => d.into(),
            StoreError::NotFound { object, id } => ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("{object} {id} 不存在或无权查看"),
                format!("{object} {id} does not exist or is not visible to you"),
            ),
            StoreError::Duplicate { field, message } => ApiError {
                field: Some(field.to_string()),
                ..ApiError::new(StatusCode::CONFLICT, "duplicate", message.zh, message.en)
            },
            StoreError::BadCredentials => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "bad_credentials",
                "用户名或密码错误",
                "wrong username or password",
            ),
            StoreError::Throttled { retry_after_secs } => ApiError {
                retry_after: Some(retry_after_secs),
                ..ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "throttled",
                    format!("登录失败次数过多，请 {retry_after_secs} 秒后再试"),
                    format!("too many failed logins; retry in {retry_after_secs} s"),
                )
            },
            StoreError::AuditUnavailable => {
                tracing::error!("audit trail unavailable: operation refused");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "audit_unavailable",
                    "审计记录无法写入，操作未执行，请稍后再试",
                    "the audit trail cannot be written, so nothing was done; try again later",
                )
            }
            StoreError::Database(e) => database_error(e),
            StoreError::Search(e) => {
                tracing::error!(error = %e, "search index failed");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "search_unavailable",
                    "目录检索暂时不可用，请稍后再试",
                    "catalog search is unavailable; try again later",
                )
            }
            StoreError::Migrate(e) => {
                tracing::error!(error = %e, "migration error");
                internal()
            }
        }
    }
}

fn database_error(e: sqlx::Error) -> ApiError {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed | sqlx::Error::Tls(_) => {
            tracing::error!(error = %e, "database unavailable");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "database_unavailable",
                "数据库暂时不可用，请稍后再试",
                "the database is unavailable; try again later",
            )
        }
        other => {
            tracing::error!(error = %other, "database error");
            internal()
        }
    }
}

pub fn internal() -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "服务器内部错误，已记录",
        "internal error; it has been logged",
    )
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body())).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}

impl From<pubdata_domain::client_app::Refusal> for ApiError {
    /// A refused gateway call: its own code and status, e.g. `gateway_replayed_nonce` (401).
    fn from(r: pubdata_domain::client_app::Refusal) -> ApiError {
        let status = StatusCode::from_u16(r.status()).unwrap_or(StatusCode::UNAUTHORIZED);
        let message = r.message();
        ApiError::new(status, r.code(), message.zh, message.en)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
