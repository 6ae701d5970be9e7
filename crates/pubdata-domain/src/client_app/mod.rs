//! Client applications (接入应用): the systems through which a consumer agency calls the
//! sharing channel (Art.15: shared data flows through the platform's one channel). An
//! application has a public app key and one secret (two during a rotation), signs every call
//! (see [`signature`]), and can be disabled. Its secret is shown once and kept sealed with the
//! platform key (see [`sealing`]), never in clear.

pub mod limits;
pub mod refusal;
pub mod sealing;
pub mod signature;

pub use limits::{CallLimits, LimitOverrides};
pub use refusal::Refusal;
pub use sealing::SharingKey;
pub use signature::{SignatureMethod, SignedRequest};

use crate::audit::Actor;
use crate::error::{Error, Result, check_length};
use crate::identity::{Permission, Principal, Source};
use crate::ids::OrgId;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// The most addresses an application's allow-list holds.
pub const MAX_ALLOWED_ADDRESSES: usize = 32;
/// How long the previous secret keeps working after a rotation, unless given.
pub const DEFAULT_ROTATION_HOURS: i64 = 24;
/// The longest rotation window.
pub const MAX_ROTATION_HOURS: i64 = 24 * 30;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppStatus {
    Active,
    Disabled,
}

impl AppStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AppStatus::Active => "active",
            AppStatus::Disabled => "disabled",
        }
    }

    pub fn parse(s: &str) -> Option<AppStatus> {
        [AppStatus::Active, AppStatus::Disabled].into_iter().find(|v| v.as_str() == s)
    }
}

/// A registration as entered: which system, who answers for it, where it calls from.
#[derive(Clone, Debug, Default)]
pub struct NewClientApp {
    /// The consumer agency; default the caller's own.
    pub org_id: Option<OrgId>,
    pub name: String,
    pub description: String,
    /// Who to call about the system: name and telephone or e-mail.
    pub contact: String,
    /// Source addresses the application may call from; empty: any.
    pub allowed_addresses: Vec<String>,
}

impl NewClientApp {
    /// Checks every field; the allow-list comes back normalised (one form per address).
    pub fn check(&self) -> Result<Vec<String>> {
        check_length("name", self.name.trim(), 1, 100)?;
        check_length("description", self.description.trim(), 1, 1000)?;
        check_length("contact", self.contact.trim(), 1, 200)?;
        parse_allowed_addresses(&self.allowed_addresses)
    }
}

/// Each entry must be an IPv4 or IPv6 address.
pub fn parse_allowed_addresses(list: &[String]) -> Result<Vec<String>> {
    if list.len() > MAX_ALLOWED_ADDRESSES {
        return Err(Error::invalid(
            "allowed_addresses",
            format!("IP 白名单最多 {MAX_ALLOWED_ADDRESSES} 个地址"),
            format!("the allow-list holds at most {MAX_ALLOWED_ADDRESSES} addresses"),
        ));
    }
    let mut out = Vec::with_capacity(list.len());
    for a in list {
        let ip: IpAddr = a.trim().parse().map_err(|_| {
            Error::invalid(
                "allowed_addresses",
                format!("不是有效的 IP 地址：{}", a.chars().take(64).collect::<String>()),
                format!("not an IP address: {}", a.chars().take(64).collect::<String>()),
            )
        })?;
        let ip = ip.to_canonical().to_string();
        if !out.contains(&ip) {
            out.push(ip);
        }
    }
    Ok(out)
}

/// Whether a call from `source_ip` may proceed under the allow-list (empty: any address).
pub fn address_allowed(allowed: &[String], source_ip: Option<&str>) -> bool {
    if allowed.is_empty() {
        return true;
    }
    let Some(ip) = source_ip.and_then(|s| s.parse::<IpAddr>().ok()) else { return false };
    let ip = ip.to_canonical().to_string();
    allowed.contains(&ip)
}

/// The rotation window in hours: 0 (retire the previous secret at once) to 720; default 24.
pub fn rotation_hours(requested: Option<i64>) -> Result<i64> {
    let h = requested.unwrap_or(DEFAULT_ROTATION_HOURS);
    if (0..=MAX_ROTATION_HOURS).contains(&h) {
        Ok(h)
    } else {
        Err(Error::invalid(
            "window_hours",
            format!("轮换过渡期应为 0 到 {MAX_ROTATION_HOURS} 小时"),
            format!("the rotation window must be 0 to {MAX_ROTATION_HOURS} hours"),
        ))
    }
}

/// A new public app key: `pdk_` and 20 hexadecimal characters.
pub fn new_app_key() -> String {
    format!("pdk_{}", hex::encode(crate::secret::random_bytes(10)))
}

/// A new secret (256 bits), shown once.
pub fn new_secret() -> String {
    crate::secret::random_token("pds_")
}

/// The characters of a secret shown afterwards, to recognise it by.
pub fn secret_prefix(secret: &str) -> String {
    secret.chars().take(10).collect()
}

/// Refuses unless `principal` may manage the applications of `org` (Art.15): an agency's own,
/// or any with an all-organisation role.
pub fn require_manage(principal: &Principal, org: OrgId) -> Result<()> {
    principal.require(Permission::ClientAppManage)?;
    if principal.sees_org(org) {
        Ok(())
    } else {
        Err(Error::out_of_scope(
            "只能管理本单位的接入应用",
            "you can manage only your own agency's client applications",
        ))
    }
}

/// Reading applications: holders of either permission; which ones is checked against each.
pub fn require_read(principal: &Principal) -> Result<()> {
    principal.require(Permission::ClientAppRead).or_else(|_| principal.require(Permission::ClientAppManage))
}

/// A gateway call that passed the signature checks: which application of which agency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GatewayCaller {
    pub app_id: i64,
    pub app_key: String,
    pub app_name: String,
    pub consumer_org: OrgId,
    pub consumer_org_name: String,
    pub signature_method: SignatureMethod,
    /// The rate and quota the authority set for the application, if any.
    #[serde(skip)]
    pub limits: LimitOverrides,
    #[serde(skip)]
    pub source: Source,
    /// The call's nonce, until it is claimed: by the call's audit record, written in the same
    /// transaction, or before a call that changes something (`None` once claimed).
    #[serde(skip)]
    pub unclaimed_nonce: Option<String>,
}

impl GatewayCaller {
    /// The actor its audit entries carry.
    pub fn actor(&self) -> Actor {
        gateway_actor(&self.app_key, Some(self.consumer_org), &self.source)
    }
}

/// The actor of a gateway call: the application (by app key, if known) and its agency.
pub fn gateway_actor(app_key: &str, org: Option<OrgId>, source: &Source) -> Actor {
    let mut actor = Actor::new(&Principal::system("gateway"), source);
    actor.username = format!("app:{}", app_key.chars().take(64).collect::<String>());
    actor.org_id = org.map(|o| o.0);
    actor
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Role;

    fn principal(role: Role, org: i64) -> Principal {
        Principal {
            user_id: Some(crate::ids::UserId(1)),
            username: "u".into(),
            display_name: "U".into(),
            org_id: Some(OrgId(org)),
            role: Some(role),
            token: None,
            must_change_password: false,
        }
    }

    #[test]
    fn art_15_an_agency_manages_only_its_own_apps() {
        assert!(require_manage(&principal(Role::AgencyDataOfficer, 3), OrgId(3)).is_ok());
        assert!(matches!(require_manage(&principal(Role::AgencyDataOfficer, 3), OrgId(4)), Err(Error::OutOfScope(_))));
        assert!(require_manage(&principal(Role::AuthorityAdmin, 1), OrgId(4)).is_ok());
        assert_eq!(
            require_manage(&principal(Role::Supervisor, 9), OrgId(9)),
            Err(Error::Forbidden(Permission::ClientAppManage))
        );
        assert!(require_read(&principal(Role::Supervisor, 9)).is_ok());
        assert!(require_read(&principal(Role::ServiceUnit, 9)).is_err());
    }

    #[test]
    fn allow_lists_hold_addresses_in_one_form() {
        let list = parse_allowed_addresses(&["10.0.0.1".into(), " ::ffff:10.0.0.1 ".into(), "2001:db8::1".into()]);
        assert_eq!(list, Ok(vec!["10.0.0.1".to_string(), "2001:db8::1".to_string()]));
        assert!(parse_allowed_addresses(&["10.0.0.0/8".into()]).is_err());
        let allowed = vec!["10.0.0.1".to_string()];
        assert!(address_allowed(&allowed, Some("10.0.0.1")));
        assert!(address_allowed(&allowed, Some("::ffff:10.0.0.1")));
        assert!(!address_allowed(&allowed, Some("10.0.0.2")));
        assert!(!address_allowed(&allowed, None));
        assert!(address_allowed(&[], None));
    }

    #[test]
    fn registrations_are_checked() {
        let ok = NewClientApp {
            name: "审批系统".into(),
            description: "行政审批".into(),
            contact: "张三 0574-1".into(),
            ..Default::default()
        };
        assert!(ok.check().is_ok());
        let bad = NewClientApp { name: " ".into(), ..ok.clone() };
        assert!(matches!(bad.check(), Err(Error::Invalid { field, .. }) if field == "name"));
    }

    #[test]
    fn keys_and_windows() {
        assert!(new_app_key().starts_with("pdk_") && new_app_key().len() == 24);
        assert_ne!(new_secret(), new_secret());
        assert_eq!(rotation_hours(None), Ok(24));
        assert!(rotation_hours(Some(721)).is_err());
        assert!(rotation_hours(Some(-1)).is_err());
    }
}
