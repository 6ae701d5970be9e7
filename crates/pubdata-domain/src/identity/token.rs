//! API tokens: a name, a scope (the permissions the token may use, never more than its owner's
//! role grants) and an expiry.

use super::permission::Permission;
use crate::error::{Error, Result, check_length};
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct TokenName(String);

impl TokenName {
    pub fn parse(s: &str) -> Result<TokenName> {
        let s = s.trim();
        check_length("name", s, 1, 64)?;
        Ok(TokenName(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The permissions a token may exercise. Effective permissions are the intersection with the
/// owner's role at the time of each call, so demoting a user narrows their tokens too.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct TokenScope(Vec<Permission>);

impl TokenScope {
    /// Parses permission names; refuses unknown names and permissions the role lacks.
    pub fn parse(names: &[String], granted: &[Permission]) -> Result<TokenScope> {
        if names.is_empty() {
            return Err(Error::invalid("scope", "请至少选择一项权限", "choose at least one permission"));
        }
        let mut scope = Vec::new();
        for name in names {
            let Some(p) = Permission::parse(name.trim()) else {
                return Err(Error::invalid(
                    "scope",
                    format!("未知权限 {name:?}"),
                    format!("unknown permission {name:?}"),
                ));
            };
            if !granted.contains(&p) {
                return Err(Error::invalid(
                    "scope",
                    format!("您的角色没有权限 {p}，令牌不能超出本人权限"),
                    format!("your role lacks {p}; a token cannot exceed its owner's permissions"),
                ));
            }
            if !scope.contains(&p) {
                scope.push(p);
            }
        }
        scope.sort();
        Ok(TokenScope(scope))
    }

    /// Reads a stored scope (space-separated names), ignoring names no longer known.
    pub fn from_stored(s: &str) -> TokenScope {
        TokenScope(s.split_whitespace().filter_map(Permission::parse).collect())
    }

    pub fn to_stored(&self) -> String {
        self.0.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(" ")
    }

    pub fn permissions(&self) -> &[Permission] {
        &self.0
    }

    pub fn allows(&self, p: Permission) -> bool {
        self.0.contains(&p)
    }
}

/// A token's lifetime in days: 1 to 365. Tokens without an end are not issued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenExpiry(pub u32);

impl TokenExpiry {
    pub fn parse(days: i64) -> Result<TokenExpiry> {
        if (1..=365).contains(&days) {
            Ok(TokenExpiry(days as u32))
        } else {
            Err(Error::invalid("expires_in_days", "有效期应为 1 到 365 天", "the lifetime must be 1 to 365 days"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Role;

    #[test]
    fn scope_cannot_exceed_the_role() {
        let granted = Role::AgencyDataOfficer.permissions();
        assert!(TokenScope::parse(&["org.read".into()], granted).is_ok());
        assert!(TokenScope::parse(&["user.manage".into()], granted).is_err());
        assert!(TokenScope::parse(&["nonsense".into()], granted).is_err());
        assert!(TokenScope::parse(&[], granted).is_err());
    }

    #[test]
    fn stored_scope_round_trips() {
        let s = TokenScope::parse(
            &["org.read".into(), "calendar.read".into(), "org.read".into()],
            Role::AuthorityAdmin.permissions(),
        )
        .unwrap();
        assert_eq!(s.to_stored(), "org.read calendar.read");
        assert_eq!(TokenScope::from_stored(&s.to_stored()), s);
    }

    #[test]
    fn expiry_is_bounded() {
        assert!(TokenExpiry::parse(0).is_err());
        assert!(TokenExpiry::parse(366).is_err());
        assert_eq!(TokenExpiry::parse(90).unwrap().0, 90);
    }
}
