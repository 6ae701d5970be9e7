//! The district's organisation tree (Art.3, Art.5): the authority at the root; agencies
//! (bureaus, authorised organisations, public utilities, dispatched national bodies); towns and
//! streets; contracted service units; and one pseudo-organisation holding public users.

use crate::error::{Error, Result, check_length};
use crate::identifiers::CreditCode;
use crate::ids::OrgId;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    /// 区公共数据主管部门: exactly one, the root of the tree.
    Authority,
    /// 公共管理和服务机构.
    Agency,
    /// 镇（街）.
    TownStreet,
    /// 技术服务单位.
    ServiceUnit,
    /// 社会公众: holds self-registered public users.
    Public,
}

impl OrgKind {
    pub const ALL: [OrgKind; 5] =
        [OrgKind::Authority, OrgKind::Agency, OrgKind::TownStreet, OrgKind::ServiceUnit, OrgKind::Public];

    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::Authority => "authority",
            OrgKind::Agency => "agency",
            OrgKind::TownStreet => "town_street",
            OrgKind::ServiceUnit => "service_unit",
            OrgKind::Public => "public",
        }
    }

    pub fn parse(s: &str) -> Option<OrgKind> {
        OrgKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            OrgKind::Authority => "公共数据主管部门",
            OrgKind::Agency => "公共管理和服务机构",
            OrgKind::TownStreet => "镇（街道）",
            OrgKind::ServiceUnit => "技术服务单位",
            OrgKind::Public => "社会公众",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            OrgKind::Authority => "Authority",
            OrgKind::Agency => "Agency",
            OrgKind::TownStreet => "Town / street",
            OrgKind::ServiceUnit => "Service unit",
            OrgKind::Public => "Public",
        }
    }
}

/// What kind of agency (Art.3): a government body, an organisation authorised by law, a public
/// utility, or a national body dispatched to the district.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgencyCategory {
    Department,
    Authorised,
    Utility,
    Dispatched,
}

impl AgencyCategory {
    pub const ALL: [AgencyCategory; 4] =
        [AgencyCategory::Department, AgencyCategory::Authorised, AgencyCategory::Utility, AgencyCategory::Dispatched];

    pub fn as_str(self) -> &'static str {
        match self {
            AgencyCategory::Department => "department",
            AgencyCategory::Authorised => "authorised",
            AgencyCategory::Utility => "utility",
            AgencyCategory::Dispatched => "dispatched",
        }
    }

    pub fn parse(s: &str) -> Option<AgencyCategory> {
        AgencyCategory::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            AgencyCategory::Department => "政府部门",
            AgencyCategory::Authorised => "授权组织",
            AgencyCategory::Utility => "公共服务运营单位",
            AgencyCategory::Dispatched => "派驻机构",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            AgencyCategory::Department => "Government department",
            AgencyCategory::Authorised => "Authorised organisation",
            AgencyCategory::Utility => "Public utility",
            AgencyCategory::Dispatched => "Dispatched national body",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgStatus {
    Active,
    Inactive,
}

impl OrgStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrgStatus::Active => "active",
            OrgStatus::Inactive => "inactive",
        }
    }

    pub fn parse(s: &str) -> Option<OrgStatus> {
        match s {
            "active" => Some(OrgStatus::Active),
            "inactive" => Some(OrgStatus::Inactive),
            _ => None,
        }
    }
}

/// An organisation's Chinese name (unique in the district) and optional English name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OrgName {
    pub zh: String,
    pub en: Option<String>,
}

impl OrgName {
    pub fn parse(zh: &str, en: Option<&str>) -> Result<OrgName> {
        let zh = zh.trim();
        check_length("name", zh, 2, 64)?;
        let en = en.map(str::trim).filter(|s| !s.is_empty());
        if let Some(en) = en {
            check_length("name_en", en, 2, 128)?;
        }
        Ok(OrgName { zh: zh.to_string(), en: en.map(str::to_string) })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Organisation {
    pub id: OrgId,
    pub parent_id: Option<OrgId>,
    pub kind: OrgKind,
    pub category: Option<AgencyCategory>,
    pub name: String,
    pub name_en: Option<String>,
    pub credit_code: Option<String>,
    pub status: OrgStatus,
    pub created_at: String,
    pub updated_at: String,
}

/// A validated request to add an organisation to the tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewOrganisation {
    pub parent_id: Option<OrgId>,
    pub kind: OrgKind,
    pub category: Option<AgencyCategory>,
    pub name: OrgName,
    pub credit_code: Option<CreditCode>,
}

impl NewOrganisation {
    pub fn new(
        parent_id: Option<OrgId>,
        kind: OrgKind,
        category: Option<AgencyCategory>,
        name: OrgName,
        credit_code: Option<&str>,
    ) -> Result<NewOrganisation> {
        check_category(kind, category)?;
        if kind == OrgKind::Authority && parent_id.is_some() {
            return Err(Error::invalid(
                "parent_id",
                "主管部门是组织树的根，不能有上级",
                "the authority is the root and has no parent",
            ));
        }
        if kind != OrgKind::Authority && parent_id.is_none() {
            return Err(Error::invalid("parent_id", "请选择上级组织", "a parent organisation is required"));
        }
        let credit_code = credit_code
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| CreditCode::parse("credit_code", s))
            .transpose()?;
        Ok(NewOrganisation { parent_id, kind, category, name, credit_code })
    }
}

/// A validated edit of an organisation; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrganisationChange {
    pub parent_id: Option<OrgId>,
    pub category: Option<AgencyCategory>,
    pub name: Option<OrgName>,
    pub credit_code: Option<Option<CreditCode>>,
    pub status: Option<OrgStatus>,
}

impl Organisation {
    /// Applies a change, checking the rules that hold for the organisation as a whole.
    pub fn apply(&self, change: &OrganisationChange) -> Result<Organisation> {
        let mut next = self.clone();
        if let Some(parent) = change.parent_id {
            if self.kind == OrgKind::Authority {
                return Err(Error::invalid(
                    "parent_id",
                    "主管部门是组织树的根，不能有上级",
                    "the authority is the root and has no parent",
                ));
            }
            next.parent_id = Some(parent);
        }
        if let Some(category) = change.category {
            next.category = Some(category);
        }
        check_category(next.kind, next.category)?;
        if let Some(name) = &change.name {
            next.name = name.zh.clone();
            next.name_en = name.en.clone();
        }
        if let Some(code) = &change.credit_code {
            next.credit_code = code.as_ref().map(|c| c.as_str().to_string());
        }
        if let Some(status) = change.status {
            if self.kind == OrgKind::Authority && status == OrgStatus::Inactive {
                return Err(Error::invalid("status", "主管部门不能停用", "the authority cannot be deactivated"));
            }
            next.status = status;
        }
        Ok(next)
    }

    /// Display name in the given language preference.
    pub fn display_name(&self, english: bool) -> &str {
        match (&self.name_en, english) {
            (Some(en), true) => en,
            _ => &self.name,
        }
    }
}

fn check_category(kind: OrgKind, category: Option<AgencyCategory>) -> Result<()> {
    match (kind, category) {
        (OrgKind::Agency, None) => Err(Error::invalid(
            "category",
            "请选择机构类别（政府部门、授权组织、公共服务运营单位或派驻机构）",
            "an agency needs a category (department, authorised, utility or dispatched)",
        )),
        (OrgKind::Agency, Some(_)) | (_, None) => Ok(()),
        (_, Some(_)) => {
            Err(Error::invalid("category", "只有公共管理和服务机构有机构类别", "only agencies have a category"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> OrgName {
        OrgName::parse(s, None).unwrap()
    }

    #[test]
    fn art_3_agencies_need_a_category_and_others_must_not_have_one() {
        let parent = Some(OrgId(1));
        assert!(NewOrganisation::new(parent, OrgKind::Agency, None, name("区水务集团"), None).is_err());
        assert!(
            NewOrganisation::new(parent, OrgKind::Agency, Some(AgencyCategory::Utility), name("区水务集团"), None)
                .is_ok()
        );
        assert!(
            NewOrganisation::new(parent, OrgKind::TownStreet, Some(AgencyCategory::Department), name("姜山镇"), None)
                .is_err()
        );
    }

    #[test]
    fn the_authority_is_the_root() {
        assert!(NewOrganisation::new(Some(OrgId(1)), OrgKind::Authority, None, name("主管部门"), None).is_err());
        assert!(
            NewOrganisation::new(None, OrgKind::Agency, Some(AgencyCategory::Department), name("区公安分局"), None)
                .is_err()
        );
    }

    #[test]
    fn names_are_checked_in_characters() {
        assert!(OrgName::parse("局", None).is_err());
        assert!(OrgName::parse(&"局".repeat(64), None).is_ok());
        assert!(OrgName::parse(&"局".repeat(65), None).is_err());
    }

    #[test]
    fn credit_codes_are_validated() {
        let r = NewOrganisation::new(
            Some(OrgId(1)),
            OrgKind::ServiceUnit,
            None,
            name("某科技公司"),
            Some("91350100M000100Y44"),
        );
        assert!(matches!(r, Err(Error::Invalid { ref field, .. }) if field == "credit_code"));
    }
}
