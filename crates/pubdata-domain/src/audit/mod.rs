//! The audit trail (Art.26-27): who did what, when, from where, with what outcome.
//!
//! Entries are built only through the named constructors in [`events`], carry the actor taken
//! from the request's principal, and are chained with SM3 (GB/T 32905): each entry's hash
//! covers its content and the previous entry's hash, so altering, removing or inserting an
//! entry breaks the chain at that position. Storage appends them in the same transaction as
//! the change they record and never updates or deletes them.

mod chain;
mod entry;
pub mod events;

pub use chain::{ChainBreak, ChainReport, ChainVerifier, GENESIS_HASH};
pub use entry::{Action, Actor, AuditEvent, AuditRecord, Outcome};
