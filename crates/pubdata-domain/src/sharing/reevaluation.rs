//! Art.14: agencies re-evaluate their resources' share attributes periodically (定期更新).
//!
//! Each published resource's share attribute falls due for review an interval (default
//! [`DEFAULT_SHARE_REVIEW_MONTHS`]) after the date the interval runs from: its latest
//! publication, or the latest review that kept the attribute. The providing agency records the
//! outcome ([`ShareReviewInput`]): `kept` moves the next date on by the interval from the review's
//! day; `to_revise` leaves the resource under revision until its next publication, which starts
//! a new interval. Where a resource stands ([`ShareReviewStatus`]) is computed when read.

use crate::catalog::code_enum;
use crate::error::{Error, Result, check_length};
use crate::identity::{Permission, Principal, Scope};
use crate::ids::OrgId;
use serde::{Deserialize, Serialize};
use time::Date;

use super::add_months;

/// Months between two re-evaluations of a share attribute, unless configured otherwise.
pub const DEFAULT_SHARE_REVIEW_MONTHS: u32 = 12;

/// A review is listed as due from this many months before its date, so that the provider can
/// prepare it (a review recorded early starts the next interval from its own day).
pub const NOTICE_MONTHS: u32 = 1;

code_enum! {
    /// The outcome of a share-attribute review.
    ReviewOutcome {
        Kept => "kept", "维持", "Kept";
        ToRevise => "to_revise", "需调整", "To be revised";
    }
}

code_enum! {
    /// Where a resource's share-attribute review stands on a given day.
    ShareReviewStatus {
        Scheduled => "scheduled", "未到期", "Scheduled";
        Due => "due", "待评估", "Due";
        Overdue => "overdue", "已逾期", "Overdue";
        UnderRevision => "under_revision", "调整中", "Under revision";
    }
}

/// The next review date of an interval running from `from`.
pub fn next_review_on(from: Date, months: u32) -> Date {
    add_months(from, months)
}

impl ShareReviewStatus {
    /// Where a review falling due on `next` stands on `today`.
    pub fn on(next: Date, under_revision: bool, today: Date) -> ShareReviewStatus {
        if under_revision {
            ShareReviewStatus::UnderRevision
        } else if today > next {
            ShareReviewStatus::Overdue
        } else if add_months(today, NOTICE_MONTHS) >= next {
            ShareReviewStatus::Due
        } else {
            ShareReviewStatus::Scheduled
        }
    }

    /// Whether the provider has something to do: due, overdue, or a revision to publish.
    pub fn needs_attention(self) -> bool {
        self != ShareReviewStatus::Scheduled
    }
}

/// Which reviews a list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShareReviewList {
    /// Due, overdue and under revision.
    Due,
    Overdue,
    All,
}

impl ShareReviewList {
    pub const ALL: [ShareReviewList; 3] = [ShareReviewList::Due, ShareReviewList::Overdue, ShareReviewList::All];

    pub fn as_str(self) -> &'static str {
        match self {
            ShareReviewList::Due => "due",
            ShareReviewList::Overdue => "overdue",
            ShareReviewList::All => "all",
        }
    }

    pub fn parse(s: &str) -> Option<ShareReviewList> {
        ShareReviewList::ALL.into_iter().find(|l| l.as_str() == s.trim())
    }

    pub fn shows(self, status: ShareReviewStatus) -> bool {
        match self {
            ShareReviewList::Due => status.needs_attention(),
            ShareReviewList::Overdue => status == ShareReviewStatus::Overdue,
            ShareReviewList::All => true,
        }
    }
}

/// A review the provider records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShareReviewInput {
    pub outcome: ReviewOutcome,
    /// The grounds: optional when the attribute is kept, required when it is to be revised.
    pub comment: String,
}

impl ShareReviewInput {
    pub fn normalized(mut self) -> ShareReviewInput {
        self.comment = self.comment.trim().to_string();
        self
    }

    /// Refuses a missing or overlong comment.
    pub fn check(&self) -> Result<()> {
        if self.outcome == ReviewOutcome::ToRevise && self.comment.is_empty() {
            return Err(Error::invalid(
                "comment",
                "需调整共享属性的，须说明调整什么、为什么",
                "a share attribute to be revised needs a comment saying what and why",
            ));
        }
        check_length("comment", &self.comment, 0, 1000)
    }
}

/// The schedule after a review recorded on `reviewed_on`: the date the next interval runs from
/// and whether the resource is under revision. A revision keeps the current interval's date.
pub fn after_review(outcome: ReviewOutcome, reviewed_on: Date, current_from: Date) -> (Date, bool) {
    match outcome {
        ReviewOutcome::Kept => (reviewed_on, false),
        ReviewOutcome::ToRevise => (current_from, true),
    }
}

/// Whether `principal` sees the reviews of `provider`'s resources: the provider itself, and
/// the roles that see every organisation (the authority, supervisors).
pub fn visible_to(principal: &Principal, provider: OrgId) -> bool {
    principal.scope() == Scope::All || principal.org_id == Some(provider)
}

/// Refuses unless `principal` may record a review of `provider`'s resource now: the providing
/// agency's catalog compilers (Art.14 puts the evaluation on the agency that collects the data),
/// and not while the attribute is already under revision.
pub fn may_record(principal: &Principal, provider: OrgId, under_revision: bool) -> Result<()> {
    principal.require(Permission::CatalogCompile)?;
    if principal.org_id != Some(provider) {
        return Err(Error::out_of_scope(
            "只有数据提供单位可以评估本单位资源的共享属性",
            "only the providing agency can review its resources' share attributes",
        ));
    }
    if under_revision {
        return Err(Error::conflict(
            "该资源的共享属性正在调整：修订并重新发布后开始新的评估周期",
            "the share attribute is under revision: publishing the revised resource starts the next review interval",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Role;
    use time::macros::date;

    #[test]
    fn art_14_a_review_falls_due_an_interval_after_its_date() {
        let published = date!(2025 - 03 - 31);
        let next = next_review_on(published, 12);
        assert_eq!(next, date!(2026 - 03 - 31));
        assert_eq!(next_review_on(date!(2025 - 01 - 31), 1), date!(2025 - 02 - 28), "the month's last day");
        assert_eq!(ShareReviewStatus::on(next, false, date!(2026 - 02 - 28)), ShareReviewStatus::Scheduled);
        assert_eq!(ShareReviewStatus::on(next, false, date!(2026 - 03 - 01)), ShareReviewStatus::Due, "a month ahead");
        assert_eq!(ShareReviewStatus::on(next, false, next), ShareReviewStatus::Due);
        assert_eq!(ShareReviewStatus::on(next, false, date!(2026 - 04 - 01)), ShareReviewStatus::Overdue);
        assert_eq!(ShareReviewStatus::on(next, true, date!(2026 - 04 - 01)), ShareReviewStatus::UnderRevision);
        assert!(ShareReviewList::Due.shows(ShareReviewStatus::UnderRevision));
        assert!(!ShareReviewList::Overdue.shows(ShareReviewStatus::Due));
        assert!(!ShareReviewList::Due.shows(ShareReviewStatus::Scheduled));
    }

    #[test]
    fn art_14_kept_starts_a_new_interval_and_to_revise_keeps_the_date() {
        let from = date!(2025 - 03 - 31);
        let (kept, revising) = after_review(ReviewOutcome::Kept, date!(2026 - 04 - 03), from);
        assert_eq!((next_review_on(kept, 12), revising), (date!(2027 - 04 - 03), false));
        assert_eq!(after_review(ReviewOutcome::ToRevise, date!(2026 - 04 - 03), from), (from, true));
        let revise = ShareReviewInput { outcome: ReviewOutcome::ToRevise, comment: "  ".into() }.normalized();
        assert!(matches!(revise.check(), Err(Error::Invalid { field, .. }) if field == "comment"));
        assert!(ShareReviewInput { outcome: ReviewOutcome::Kept, comment: String::new() }.check().is_ok());
    }

    #[test]
    fn art_14_only_the_provider_records_a_share_attribute_review() {
        let principal = |role: Role, org: i64| Principal {
            user_id: Some(crate::ids::UserId(7)),
            username: "u".into(),
            display_name: "U".into(),
            org_id: Some(OrgId(org)),
            role: Some(role),
            token: None,
            must_change_password: false,
        };
        assert!(may_record(&principal(Role::AgencyDataOfficer, 4), OrgId(4), false).is_ok());
        assert!(matches!(
            may_record(&principal(Role::AgencyDataOfficer, 5), OrgId(4), false),
            Err(Error::OutOfScope(_))
        ));
        assert!(may_record(&principal(Role::AuthorityStaff, 1), OrgId(4), false).is_err(), "the authority oversees");
        assert!(may_record(&principal(Role::Supervisor, 9), OrgId(4), false).is_err());
        assert!(matches!(may_record(&principal(Role::AgencyDataOfficer, 4), OrgId(4), true), Err(Error::Conflict(_))));
        assert!(visible_to(&principal(Role::Supervisor, 9), OrgId(4)));
        assert!(!visible_to(&principal(Role::AgencyDataOfficer, 5), OrgId(4)));
    }
}
