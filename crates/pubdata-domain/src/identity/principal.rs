//! The principal a request acts as, and where it came from. Built once per request by the web
//! layer's guard (or by the CLI as the system principal); everything below receives it.

use super::permission::Permission;
use super::role::Role;
use super::token::TokenScope;
use crate::error::{Error, Result};
use crate::ids::{OrgId, TokenId, UserId};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// `None` for the system principal (CLI provisioning, start-up tasks).
    pub user_id: Option<UserId>,
    pub username: String,
    pub display_name: String,
    pub org_id: Option<OrgId>,
    /// `None` for the system principal, which holds every permission.
    pub role: Option<Role>,
    /// The API token the request authenticated with, and the permissions it is limited to.
    pub token: Option<(TokenId, TokenScope)>,
    /// Set on accounts whose password was generated (first start, reset): until changed, the
    /// account may do nothing but change it.
    pub must_change_password: bool,
}

/// Which organisations' private objects a principal may see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    All,
    Org(OrgId),
    /// Neither: a public user sees only their own account.
    OwnAccount,
}

impl Principal {
    /// The platform itself, acting for an operator at the command line or at start-up.
    pub fn system(name: &str) -> Principal {
        Principal {
            user_id: None,
            username: format!("system:{name}"),
            display_name: format!("system:{name}"),
            org_id: None,
            role: None,
            token: None,
            must_change_password: false,
        }
    }

    pub fn is_system(&self) -> bool {
        self.role.is_none()
    }

    /// Whether the principal holds `p` now: by role, narrowed by the token's scope.
    pub fn has(&self, p: Permission) -> bool {
        let by_role = self.role.is_none_or(|r| r.grants(p));
        let by_token = self.token.as_ref().is_none_or(|(_, scope)| scope.allows(p));
        by_role && by_token
    }

    /// Refuses unless the principal holds `p`, naming it. Default deny.
    pub fn require(&self, p: Permission) -> Result<()> {
        if self.must_change_password && p != Permission::AccountSelf {
            return Err(Error::PasswordChangeRequired);
        }
        if self.has(p) { Ok(()) } else { Err(Error::Forbidden(p)) }
    }

    pub fn permissions(&self) -> Vec<Permission> {
        Permission::ALL.into_iter().filter(|p| self.has(*p)).collect()
    }

    pub fn scope(&self) -> Scope {
        match (self.role, self.org_id) {
            (None, _) => Scope::All,
            (Some(r), _) if r.sees_all_organisations() => Scope::All,
            (Some(Role::PublicUser), _) | (Some(_), None) => Scope::OwnAccount,
            (Some(_), Some(org)) => Scope::Org(org),
        }
    }

    /// Whether private objects of `org` are visible to this principal.
    pub fn sees_org(&self, org: OrgId) -> bool {
        match self.scope() {
            Scope::All => true,
            Scope::Org(own) => own == org,
            Scope::OwnAccount => false,
        }
    }
}

/// A principal together with where its request came from: what every state-changing
/// operation receives, so that it can both authorize and audit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub principal: Principal,
    pub source: Source,
}

impl Caller {
    pub fn system(name: &str) -> Caller {
        Caller { principal: Principal::system(name), source: Source::cli() }
    }

    pub fn actor(&self) -> crate::audit::Actor {
        crate::audit::Actor::new(&self.principal, &self.source)
    }
}

/// Where a request came from, recorded with every audit entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Source {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

impl Source {
    /// The command line: no address, the operating-system user as agent.
    pub fn cli() -> Source {
        let who = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
        Source { ip: None, user_agent: Some(format!("pubdata-cli (os user {who})")), request_id: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn user(role: Role, org: i64) -> Principal {
        Principal {
            user_id: Some(UserId(7)),
            username: "u".into(),
            display_name: "U".into(),
            org_id: Some(OrgId(org)),
            role: Some(role),
            token: None,
            must_change_password: false,
        }
    }

    #[test]
    fn default_deny_names_the_missing_permission() {
        let p = user(Role::AgencyDataOfficer, 3);
        assert_eq!(p.require(Permission::UserManage), Err(Error::Forbidden(Permission::UserManage)));
        assert!(p.require(Permission::OrgRead).is_ok());
    }

    #[test]
    fn a_token_narrows_but_never_widens() {
        let mut p = user(Role::AgencyDataOfficer, 3);
        p.token = Some((TokenId(1), TokenScope::from_stored("org.read user.manage")));
        assert!(p.has(Permission::OrgRead));
        assert!(!p.has(Permission::UserManage), "role lacks it");
        assert!(!p.has(Permission::CalendarRead), "token lacks it");
    }

    #[test]
    fn art_26_agency_users_see_only_their_own_agency() {
        let p = user(Role::AgencyAdmin, 3);
        assert!(p.sees_org(OrgId(3)));
        assert!(!p.sees_org(OrgId(4)));
        assert!(user(Role::Supervisor, 9).sees_org(OrgId(4)));
        assert!(!user(Role::PublicUser, 9).sees_org(OrgId(9)));
    }

    #[test]
    fn a_generated_password_must_be_changed_first() {
        let mut p = user(Role::AuthorityAdmin, 1);
        p.must_change_password = true;
        assert_eq!(p.require(Permission::OrgRead), Err(Error::PasswordChangeRequired));
        assert!(p.require(Permission::AccountSelf).is_ok());
    }

    #[test]
    fn the_system_holds_everything() {
        let s = Principal::system("cli");
        assert!(Permission::ALL.iter().all(|p| s.has(*p)));
        assert_eq!(s.scope(), Scope::All);
    }
}
