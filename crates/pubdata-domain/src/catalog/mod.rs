//! The catalog (Ch.2, Art.7-8, with Art.2 and Art.9): resources with the fields Art.7 names,
//! their data items, the rules that make a registration complete and consistent, the review
//! workflow, and field-by-field comparison of versions.

mod attributes;
pub(crate) use attributes::code_enum;
mod diff;
mod item;
pub(crate) mod resource;
mod review;

pub use attributes::{
    CATEGORIES, Category, Delivery, Level, OpenAttribute, ProhibitionReason, ShareAttribute, ShareTerm, StorageFormat,
    UpdateCycle,
};
pub use diff::{Change, diff};
pub use item::{CodeEntry, DataItem, ItemType};
pub use resource::{MINOR_FIELDS, Problem, ResourceDocument, requires_review};
pub use review::{ReviewAction, ReviewState, Reviewing, transition};
