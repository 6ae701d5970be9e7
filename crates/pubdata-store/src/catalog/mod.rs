//! The catalog (Ch.2) over storage: registering and editing resources, their review and
//! versions, the district and agency catalogs, Chinese search and the repeated-collection
//! check, IT projects and their acceptance reports, and catalog import and export.
//!
//! The search index is derived state kept by each instance (on disk in its data directory, or
//! in memory). It follows the database through the audit trail: every change to a resource
//! records an audit entry about it, and the chain's positions are assigned in commit order
//! across instances, so "entries about resources after position N" is a gap-free change feed.

pub mod exchange;
pub(crate) mod index;
pub mod projects;
pub mod resources;

pub use exchange::{CatalogArchive, ExportScope, ImportFormat, ImportMode, ImportOutcome};
pub use index::Catalog;
pub use projects::{AcceptanceReport, Criterion, Evidence, NewProject, Project, ProjectStage};
pub use resources::{ResourceDetail, ResourceSummary, ReviewEvent, VersionInfo, VersionRef};
