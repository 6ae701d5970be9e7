//! The review of a resource (Art.7): draft → submitted → provider-confirmed (when the
//! compiler is not the provider) → approved by the authority → published; any reviewer may
//! return it to the compiler with comments. Every transition is decided here, in one place.

use crate::error::{Error, Result};
use crate::identity::{Permission, Principal, Scope};
use crate::ids::OrgId;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    /// 草稿: being compiled (also after a return, and for a revision of a published resource).
    Draft,
    /// 已提交: waiting for the providing agency (or, if it compiled it, for the authority).
    Submitted,
    /// 提供方已确认
    ProviderConfirmed,
    /// 已审核
    Approved,
    /// 已发布: part of the district catalog.
    Published,
}

impl ReviewState {
    pub const ALL: [ReviewState; 5] = [
        ReviewState::Draft,
        ReviewState::Submitted,
        ReviewState::ProviderConfirmed,
        ReviewState::Approved,
        ReviewState::Published,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReviewState::Draft => "draft",
            ReviewState::Submitted => "submitted",
            ReviewState::ProviderConfirmed => "provider_confirmed",
            ReviewState::Approved => "approved",
            ReviewState::Published => "published",
        }
    }

    pub fn parse(s: &str) -> Option<ReviewState> {
        ReviewState::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            ReviewState::Draft => "草稿",
            ReviewState::Submitted => "已提交",
            ReviewState::ProviderConfirmed => "提供方已确认",
            ReviewState::Approved => "已审核",
            ReviewState::Published => "已发布",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            ReviewState::Draft => "Draft",
            ReviewState::Submitted => "Submitted",
            ReviewState::ProviderConfirmed => "Confirmed by provider",
            ReviewState::Approved => "Approved",
            ReviewState::Published => "Published",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewAction {
    Submit,
    Confirm,
    Approve,
    Publish,
    Return,
}

impl ReviewAction {
    pub const ALL: [ReviewAction; 5] = [
        ReviewAction::Submit,
        ReviewAction::Confirm,
        ReviewAction::Approve,
        ReviewAction::Publish,
        ReviewAction::Return,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReviewAction::Submit => "submit",
            ReviewAction::Confirm => "confirm",
            ReviewAction::Approve => "approve",
            ReviewAction::Publish => "publish",
            ReviewAction::Return => "return",
        }
    }

    pub fn parse(s: &str) -> Option<ReviewAction> {
        ReviewAction::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            ReviewAction::Submit => "提交审核",
            ReviewAction::Confirm => "提供方确认",
            ReviewAction::Approve => "审核通过",
            ReviewAction::Publish => "发布",
            ReviewAction::Return => "退回修改",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            ReviewAction::Submit => "Submit for review",
            ReviewAction::Confirm => "Confirm as provider",
            ReviewAction::Approve => "Approve",
            ReviewAction::Publish => "Publish",
            ReviewAction::Return => "Return for changes",
        }
    }
}

/// What the review of one resource stands at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reviewing {
    pub state: ReviewState,
    /// The agency that compiled the entry (or the authority, compiling on an agency's behalf).
    pub compiler_org: OrgId,
    pub provider_org: OrgId,
}

impl Reviewing {
    fn provider_must_confirm(&self) -> bool {
        self.compiler_org != self.provider_org
    }

    /// Whether `principal` acts for the compiling agency (the authority compiles for anyone).
    pub fn is_compiler(&self, principal: &Principal) -> bool {
        principal.scope() == Scope::All || principal.org_id == Some(self.compiler_org)
    }

    /// The actions `principal` may take now, for offering them on a page.
    pub fn available(&self, principal: &Principal) -> Vec<ReviewAction> {
        ReviewAction::ALL.into_iter().filter(|a| transition(principal, self, *a).is_ok()).collect()
    }
}

fn not_now(r: &Reviewing, action: ReviewAction) -> Error {
    Error::conflict(
        format!("资源当前状态为「{}」，不能{}", r.state.label_zh(), action.label_zh()),
        format!("the resource is {}; it cannot be sent to '{}' now", r.state.label_en(), action.label_en()),
    )
}

/// The state after `action`, or why `principal` may not take it now. Comments required for
/// returns are checked by the caller, which holds them.
pub fn transition(principal: &Principal, r: &Reviewing, action: ReviewAction) -> Result<ReviewState> {
    use ReviewState as S;
    let own_provider = principal.org_id == Some(r.provider_org);
    match (action, r.state) {
        (ReviewAction::Submit, S::Draft) => {
            principal.require(Permission::CatalogCompile)?;
            if !r.is_compiler(principal) {
                return Err(Error::out_of_scope(
                    "只有编制单位可以提交该资源",
                    "only the compiling agency can submit this resource",
                ));
            }
            Ok(S::Submitted)
        }
        (ReviewAction::Confirm, S::Submitted) if r.provider_must_confirm() => {
            principal.require(Permission::CatalogConfirm)?;
            if !own_provider {
                return Err(Error::out_of_scope(
                    "只有提供该数据的单位可以确认（第七条：编制目录应当征求提供数据的机构意见）",
                    "only the providing agency can confirm (Art.7: its opinion is sought)",
                ));
            }
            Ok(S::ProviderConfirmed)
        }
        (ReviewAction::Approve, S::ProviderConfirmed) => {
            principal.require(Permission::CatalogReview)?;
            Ok(S::Approved)
        }
        (ReviewAction::Approve, S::Submitted) if !r.provider_must_confirm() => {
            principal.require(Permission::CatalogReview)?;
            Ok(S::Approved)
        }
        (ReviewAction::Publish, S::Approved) => {
            principal.require(Permission::CatalogReview)?;
            Ok(S::Published)
        }
        (ReviewAction::Return, S::Submitted)
            if r.provider_must_confirm() && own_provider && principal.has(Permission::CatalogConfirm) =>
        {
            principal.require(Permission::CatalogConfirm)?;
            Ok(S::Draft)
        }
        (ReviewAction::Return, S::Submitted | S::ProviderConfirmed | S::Approved) => {
            principal.require(Permission::CatalogReview)?;
            Ok(S::Draft)
        }
        _ => Err(not_now(r, action)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Role;
    use crate::ids::UserId;

    fn who(role: Role, org: i64) -> Principal {
        Principal {
            user_id: Some(UserId(1)),
            username: "u".into(),
            display_name: "U".into(),
            org_id: Some(OrgId(org)),
            role: Some(role),
            token: None,
            must_change_password: false,
        }
    }

    const AUTHORITY: i64 = 1;
    const MARKET: i64 = 3;
    const TAX: i64 = 4;

    fn at(state: ReviewState, compiler: i64, provider: i64) -> Reviewing {
        Reviewing { state, compiler_org: OrgId(compiler), provider_org: OrgId(provider) }
    }

    #[test]
    fn art_7_review_runs_draft_to_published_with_the_providers_opinion() {
        let officer = who(Role::AgencyDataOfficer, MARKET);
        let provider = who(Role::AgencyDataOfficer, TAX);
        let staff = who(Role::AuthorityStaff, AUTHORITY);
        let mut r = at(ReviewState::Draft, MARKET, TAX);
        for (p, action, next) in [
            (&officer, ReviewAction::Submit, ReviewState::Submitted),
            (&provider, ReviewAction::Confirm, ReviewState::ProviderConfirmed),
            (&staff, ReviewAction::Approve, ReviewState::Approved),
            (&staff, ReviewAction::Publish, ReviewState::Published),
        ] {
            r.state = transition(p, &r, action).unwrap();
            assert_eq!(r.state, next);
        }
    }

    #[test]
    fn art_7_the_authority_cannot_skip_the_providers_opinion() {
        let staff = who(Role::AuthorityStaff, AUTHORITY);
        let r = at(ReviewState::Submitted, MARKET, TAX);
        assert!(matches!(transition(&staff, &r, ReviewAction::Approve), Err(Error::Conflict(_))));
        let other = who(Role::AgencyDataOfficer, 9);
        assert!(matches!(transition(&other, &r, ReviewAction::Confirm), Err(Error::OutOfScope(_))));
    }

    #[test]
    fn art_7_a_provider_compiling_its_own_resource_goes_straight_to_the_authority() {
        let staff = who(Role::AuthorityStaff, AUTHORITY);
        let r = at(ReviewState::Submitted, MARKET, MARKET);
        assert_eq!(transition(&staff, &r, ReviewAction::Approve).unwrap(), ReviewState::Approved);
        let officer = who(Role::AgencyDataOfficer, MARKET);
        assert!(transition(&officer, &r, ReviewAction::Confirm).is_err());
    }

    #[test]
    fn art_7_any_reviewer_can_return_it() {
        let provider = who(Role::AccountableHead, TAX);
        let staff = who(Role::AuthorityStaff, AUTHORITY);
        assert_eq!(
            transition(&provider, &at(ReviewState::Submitted, MARKET, TAX), ReviewAction::Return).unwrap(),
            ReviewState::Draft
        );
        for s in [ReviewState::Submitted, ReviewState::ProviderConfirmed, ReviewState::Approved] {
            assert_eq!(transition(&staff, &at(s, MARKET, TAX), ReviewAction::Return).unwrap(), ReviewState::Draft);
        }
        assert!(transition(&staff, &at(ReviewState::Published, MARKET, TAX), ReviewAction::Return).is_err());
        let compiler = who(Role::AgencyDataOfficer, MARKET);
        assert!(transition(&compiler, &at(ReviewState::Submitted, MARKET, TAX), ReviewAction::Return).is_err());
    }

    #[test]
    fn agencies_submit_only_their_own_drafts_and_cannot_approve() {
        let other = who(Role::AgencyDataOfficer, TAX);
        assert!(matches!(
            transition(&other, &at(ReviewState::Draft, MARKET, MARKET), ReviewAction::Submit),
            Err(Error::OutOfScope(_))
        ));
        let officer = who(Role::AgencyDataOfficer, MARKET);
        assert_eq!(
            transition(&officer, &at(ReviewState::ProviderConfirmed, MARKET, TAX), ReviewAction::Approve),
            Err(Error::Forbidden(Permission::CatalogReview))
        );
        let supervisor = who(Role::Supervisor, 7);
        assert!(!supervisor.has(Permission::CatalogCompile));
        assert_eq!(at(ReviewState::Draft, MARKET, MARKET).available(&officer), vec![ReviewAction::Submit]);
    }
}
