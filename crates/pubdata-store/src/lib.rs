//! pubdata's storage and use-cases: one interface over SQLite (embedded, the default) and
//! PostgreSQL (production, several instances on one database).
//!
//! Architecture invariants:
//! - Both backends run the same queries through sqlx's `Any` driver; SQL forks only where the
//!   dialects differ, behind [`Backend`]. Each backend owns its migrations.
//! - Every state change commits through [`WriteTx::commit`], which appends its audit entries to
//!   the SM3 chain in the same transaction; there is no other way to commit a write.
//! - Use-cases take a [`Caller`](pubdata_domain::identity::Caller) and authorize with the domain's
//!   rules before touching data.

pub mod aggregation;
mod audit;
pub mod bootstrap;
pub mod calendar;
pub mod catalog;
pub mod channel_cache;
pub mod client_apps;
mod db;
pub mod demands;
pub mod demo;
mod error;
pub mod gateway_usage;
pub mod identity;
pub mod maintenance;
pub mod sharing;
pub mod sharing_channel;
pub mod sharing_export;
mod sql;
pub mod verification;

pub use audit::{AuditFilter, AuditPage, AuditWriter, ChainCheck};
pub use db::{Backend, Store, StoreOptions, WriteTx, redact_url};
pub use error::{Error, Result};

pub mod audit_trail {
    //! Reading, verifying and exporting the audit trail.
    pub use crate::audit::{export, head, list, verify, verify_as};
}
