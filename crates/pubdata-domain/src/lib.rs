//! pubdata's domain layer: the Measures' rules as plain types and functions.
//!
//! Architecture invariant: nothing here knows about HTTP, SQL or the async runtime. Types whose
//! constructors check their input (`Username`, `Password`, `TokenScope`, ...) carry the rules, so
//! that once a value is held it is valid. The store and web crates call into this crate; it
//! calls into neither.

pub mod aggregation;
pub mod audit;
pub mod calendar;
pub mod catalog;
pub mod client_app;
pub mod demand;
pub mod error;
pub mod identifiers;
pub mod identity;
pub mod ids;
pub mod secret;
pub mod sharing;
pub mod sharing_channel;
pub mod sharing_export;
pub mod text;
pub mod timefmt;
pub mod verification;

pub use error::{Error, Result};
pub use text::Text;
