//! User accounts: usernames, display names and account status.

use crate::error::{Error, Result, check_length};
use serde::{Deserialize, Serialize};

/// A login name: 3 to 32 characters of lower-case letters, digits, `.`, `_` and `-`, starting
/// with a letter. Stored lower-case, so `ZhangSan` and `zhangsan` are one account.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    pub fn parse(s: &str) -> Result<Username> {
        let s = s.trim().to_ascii_lowercase();
        let ok_len = (3..=32).contains(&s.len());
        let ok_start = s.chars().next().is_some_and(|c| c.is_ascii_lowercase());
        let ok_chars = s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
        if ok_len && ok_start && ok_chars {
            Ok(Username(s))
        } else {
            Err(Error::invalid(
                "username",
                "用户名应为 3 到 32 个字符，以字母开头，只含小写字母、数字、点、下划线和连字符",
                "a username has 3 to 32 characters, starts with a letter and contains only lower-case letters, digits, '.', '_' and '-'",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The name shown for a user, usually their real name in Chinese.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(s: &str) -> Result<DisplayName> {
        let s = s.trim();
        check_length("display_name", s, 1, 64)?;
        Ok(DisplayName(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    Active,
    Disabled,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Disabled => "disabled",
        }
    }

    pub fn parse(s: &str) -> Option<UserStatus> {
        match s {
            "active" => Some(UserStatus::Active),
            "disabled" => Some(UserStatus::Disabled),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_normalised_and_checked() {
        assert_eq!(Username::parse(" ZhangSan ").unwrap().as_str(), "zhangsan");
        for bad in ["ab", "1abc", "张三", "a b c", "x".repeat(33).as_str(), "abc;drop"] {
            assert!(Username::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn display_names_allow_chinese() {
        assert_eq!(DisplayName::parse("张三").unwrap().as_str(), "张三");
        assert!(DisplayName::parse("  ").is_err());
    }
}

/// A user account as the platform shows it (the password hash is kept apart, in storage).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: crate::ids::UserId,
    pub username: String,
    pub display_name: String,
    pub org_id: crate::ids::OrgId,
    pub role: super::Role,
    pub status: UserStatus,
    pub must_change_password: bool,
    /// Demo accounts log in only while the platform runs with `--demo`.
    pub demo: bool,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub last_login_at: Option<String>,
}

/// Checks an optional e-mail address: one `@`, no spaces, at most 128 characters.
pub fn parse_email(s: Option<&str>) -> crate::Result<Option<String>> {
    let Some(s) = s.map(str::trim).filter(|s| !s.is_empty()) else { return Ok(None) };
    let ok = s.len() <= 128
        && !s.contains(char::is_whitespace)
        && s.split('@').count() == 2
        && s.split('@').all(|p| !p.is_empty());
    if ok {
        Ok(Some(s.to_string()))
    } else {
        Err(Error::invalid("email", "电子邮箱格式不正确", "not a valid e-mail address"))
    }
}

/// Checks an optional mainland mobile number (11 digits starting with 1) or landline.
pub fn parse_phone(s: Option<&str>) -> crate::Result<Option<String>> {
    let Some(s) = s.map(str::trim).filter(|s| !s.is_empty()) else { return Ok(None) };
    let digits = s.chars().filter(|c| c.is_ascii_digit()).count();
    let ok = (7..=20).contains(&digits) && s.chars().all(|c| c.is_ascii_digit() || "+- ()".contains(c));
    if ok {
        Ok(Some(s.to_string()))
    } else {
        Err(Error::invalid("phone", "电话号码格式不正确", "not a valid phone number"))
    }
}
