//! Errors of the domain layer: a rule was broken, and the message says which and why.

use crate::identity::Permission;
use crate::text::Text;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum Error {
    /// Input that breaks a rule; `field` names the offending field as the API spells it.
    #[error("invalid {field}: {message}")]
    Invalid { field: String, message: Text },
    /// The caller lacks a permission; the refusal names it.
    #[error("missing permission {0}")]
    Forbidden(Permission),
    /// The caller holds the permission but the object lies outside what they may act on.
    #[error("out of scope: {0}")]
    OutOfScope(Text),
    /// The account's password was generated and must be changed before anything else.
    #[error("password change required")]
    PasswordChangeRequired,
    /// A registration with several problems, each naming its field (e.g. a catalog resource).
    #[error("{} problem(s), first: {}", .0.len(), .0.first().map(|p| p.field.as_str()).unwrap_or(""))]
    Problems(Vec<crate::catalog::Problem>),
    /// The request contradicts the current state (e.g. a second accountable head).
    #[error("conflict: {0}")]
    Conflict(Text),
}

impl Error {
    pub fn invalid(field: impl Into<String>, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Error::Invalid { field: field.into(), message: Text::new(zh.into(), en.into()) }
    }

    pub fn conflict(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Error::Conflict(Text::new(zh.into(), en.into()))
    }

    pub fn out_of_scope(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Error::OutOfScope(Text::new(zh.into(), en.into()))
    }
}

/// Checks the length of a free-text field in characters (not bytes: Chinese text counts by character).
pub fn check_length(field: &str, value: &str, min: usize, max: usize) -> Result<()> {
    let n = value.chars().count();
    if n < min || n > max {
        return Err(Error::invalid(
            field,
            format!("长度应为 {min} 到 {max} 个字符，实际为 {n} 个"),
            format!("must be {min} to {max} characters long, got {n}"),
        ));
    }
    if value.chars().any(|c| c.is_control()) {
        return Err(Error::invalid(field, "不能包含控制字符", "must not contain control characters"));
    }
    Ok(())
}
