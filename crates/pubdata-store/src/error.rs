//! Errors of the storage layer: a domain rule, a missing object, a failed login, or the
//! database itself.

use pubdata_domain::Text;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Domain(#[from] pubdata_domain::Error),
    /// The object does not exist, or exists outside the caller's scope (the two are not told apart).
    #[error("{object} {id} not found")]
    NotFound { object: &'static str, id: String },
    /// A uniqueness rule: `field` already holds this value.
    #[error("duplicate {field}")]
    Duplicate { field: &'static str, message: Text },
    /// Wrong username or password, or an account that may not log in. Deliberately generic.
    #[error("authentication failed")]
    BadCredentials,
    /// Too many failed logins for the account or the source address.
    #[error("throttled for {retry_after_secs} s")]
    Throttled { retry_after_secs: u64 },
    /// The audit entry could not be made durable, so the operation did not happen.
    #[error("audit trail unavailable")]
    AuditUnavailable,
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// This instance's search index failed (the database is unaffected).
    #[error("search index: {0}")]
    Search(String),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl Error {
    pub fn not_found(object: &'static str, id: impl ToString) -> Error {
        Error::NotFound { object, id: id.to_string() }
    }

    /// Maps a unique-constraint violation to [`Error::Duplicate`] naming `field`.
    pub(crate) fn on_duplicate(field: &'static str, zh: &str, en: &str) -> impl FnOnce(sqlx::Error) -> Error {
        let message = Text::new(zh.to_string(), en.to_string());
        move |e| match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => Error::Duplicate { field, message },
            _ => Error::Database(e),
        }
    }
}
