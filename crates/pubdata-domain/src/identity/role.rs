//! Roles (GLOSSARY names) and the permissions each grants. A user has exactly one role, which
//! must fit the kind of organisation the user belongs to.

use super::org::OrgKind;
use super::permission::Permission;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 主管部门管理员: runs the platform.
    AuthorityAdmin,
    /// 主管部门工作人员: catalog review, coordination, monitoring.
    AuthorityStaff,
    /// 单位管理员: manages its agency's users.
    AgencyAdmin,
    /// 单位数据专员: compiles the catalog, delivers data, answers requests.
    AgencyDataOfficer,
    /// 主要负责人（第一责任人）: answers for the agency's data security (Art.26).
    AccountableHead,
    /// 监管人员 (网信、公安、国家安全、保密、密码): read-only security oversight (Art.5).
    Supervisor,
    /// 技术服务单位: runs quality jobs, no approval powers (Art.23).
    ServiceUnit,
    /// 社会公众: a self-registered user of the open portal (Art.17).
    PublicUser,
}

use Permission as P;

const EVERYONE: &[Permission] = &[P::AccountSelf, P::TokenManageOwn];

impl Role {
    pub const ALL: [Role; 8] = [
        Role::AuthorityAdmin,
        Role::AuthorityStaff,
        Role::AgencyAdmin,
        Role::AgencyDataOfficer,
        Role::AccountableHead,
        Role::Supervisor,
        Role::ServiceUnit,
        Role::PublicUser,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::AuthorityAdmin => "authority_admin",
            Role::AuthorityStaff => "authority_staff",
            Role::AgencyAdmin => "agency_admin",
            Role::AgencyDataOfficer => "agency_data_officer",
            Role::AccountableHead => "accountable_head",
            Role::Supervisor => "supervisor",
            Role::ServiceUnit => "service_unit",
            Role::PublicUser => "public_user",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Role::AuthorityAdmin => "主管部门管理员",
            Role::AuthorityStaff => "主管部门工作人员",
            Role::AgencyAdmin => "单位管理员",
            Role::AgencyDataOfficer => "单位数据专员",
            Role::AccountableHead => "主要负责人",
            Role::Supervisor => "监管人员",
            Role::ServiceUnit => "技术服务单位人员",
            Role::PublicUser => "社会公众用户",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Role::AuthorityAdmin => "Authority administrator",
            Role::AuthorityStaff => "Authority staff",
            Role::AgencyAdmin => "Agency administrator",
            Role::AgencyDataOfficer => "Agency data officer",
            Role::AccountableHead => "Accountable head",
            Role::Supervisor => "Supervisor",
            Role::ServiceUnit => "Service unit",
            Role::PublicUser => "Public user",
        }
    }

    /// The permissions this role grants. Later chapters add theirs here.
    pub fn permissions(self) -> &'static [Permission] {
        match self {
            Role::AuthorityAdmin => &[
                P::AccountSelf,
                P::TokenManageOwn,
                P::OrgRead,
                P::OrgManage,
                P::UserRead,
                P::UserManage,
                P::AuditRead,
                P::AuditVerify,
                P::AuditExport,
                P::CalendarRead,
                P::CalendarManage,
                P::CatalogRead,
                P::CatalogCompile,
                P::CatalogReview,
                P::ProjectManage,
                P::AggregationRead,
                P::VerificationManage,
                P::DemandCoordinate,
                P::SharingArbitrate,
                P::SharingRead,
                P::ClientAppManage,
                P::ClientAppRead,
            ],
            // The authority compiles on agencies' behalf too (e.g. an IT project's preliminary catalog).
            Role::AuthorityStaff => &[
                P::AccountSelf,
                P::TokenManageOwn,
                P::OrgRead,
                P::UserRead,
                P::CalendarRead,
                P::CalendarManage,
                P::CatalogRead,
                P::CatalogCompile,
                P::CatalogReview,
                P::ProjectManage,
                P::AggregationRead,
                P::VerificationManage,
                P::DemandCoordinate,
                P::SharingArbitrate,
                P::SharingRead,
                P::ClientAppRead,
            ],
            Role::AgencyAdmin => &[
                P::AccountSelf,
                P::TokenManageOwn,
                P::OrgRead,
                P::UserRead,
                P::UserManageAgency,
                P::CalendarRead,
                P::CatalogRead,
                P::CatalogCompile,
                P::CatalogConfirm,
                P::AggregationDeliver,
                P::AggregationRead,
                P::VerificationAnswer,
                P::DemandFile,
                P::DemandAnswer,
                P::SharingRequest,
                P::SharingReview,
                P::ClientAppManage,
                P::ClientAppRead,
            ],
            Role::AgencyDataOfficer => &[
                P::AccountSelf,
                P::TokenManageOwn,
                P::OrgRead,
                P::CalendarRead,
                P::CatalogRead,
                P::CatalogCompile,
                P::CatalogConfirm,
                P::AggregationDeliver,
                P::AggregationRead,
                P::VerificationAnswer,
                P::DemandFile,
                P::DemandAnswer,
                P::SharingRequest,
                P::SharingReview,
                P::ClientAppManage,
                P::ClientAppRead,
            ],
            Role::AccountableHead => &[
                P::AccountSelf,
                P::TokenManageOwn,
                P::OrgRead,
                P::UserRead,
                P::AuditRead,
                P::CalendarRead,
                P::CatalogRead,
                P::CatalogConfirm,
                P::AggregationRead,
                P::VerificationAnswer,
                P::DemandFile,
                P::DemandAnswer,
                P::SharingRequest,
                P::SharingReview,
                P::ClientAppRead,
            ],
            // Read-only oversight: sees everything security-relevant, changes nothing but itself.
            Role::Supervisor => &[
                P::AccountSelf,
                P::TokenManageOwn,
                P::OrgRead,
                P::UserRead,
                P::AuditRead,
                P::AuditVerify,
                P::AuditExport,
                P::CalendarRead,
                P::CatalogRead,
                P::AggregationRead,
                P::SharingRead,
                P::ClientAppRead,
            ],
            Role::ServiceUnit => &[P::AccountSelf, P::TokenManageOwn, P::OrgRead, P::CalendarRead, P::CatalogRead],
            Role::PublicUser => EVERYONE,
        }
    }

    pub fn grants(self, p: Permission) -> bool {
        self.permissions().contains(&p)
    }

    /// Whether the role sees objects of every organisation, or only of its own.
    pub fn sees_all_organisations(self) -> bool {
        matches!(self, Role::AuthorityAdmin | Role::AuthorityStaff | Role::Supervisor)
    }

    /// The organisation kinds a holder of this role may belong to.
    pub fn fits(self, kind: OrgKind) -> bool {
        match self {
            Role::AuthorityAdmin | Role::AuthorityStaff => kind == OrgKind::Authority,
            Role::AgencyAdmin | Role::AgencyDataOfficer | Role::AccountableHead => {
                matches!(kind, OrgKind::Agency | OrgKind::TownStreet)
            }
            // Supervisory bodies (网信、公安、国家安全、保密、密码) are agencies of the tree.
            Role::Supervisor => kind == OrgKind::Agency,
            Role::ServiceUnit => kind == OrgKind::ServiceUnit,
            Role::PublicUser => kind == OrgKind::Public,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn art_5_supervisor_is_read_only() {
        let writes = [
            P::OrgManage,
            P::UserManage,
            P::UserManageAgency,
            P::CalendarManage,
            P::CatalogCompile,
            P::CatalogConfirm,
            P::CatalogReview,
            P::ProjectManage,
            P::SharingRequest,
            P::SharingReview,
            P::SharingArbitrate,
            P::ClientAppManage,
        ];
        for p in writes {
            assert!(!Role::Supervisor.grants(p), "supervisor must not hold {p}");
        }
        assert!(Role::Supervisor.grants(P::AuditVerify));
    }

    #[test]
    fn public_users_hold_only_their_own_account() {
        assert_eq!(Role::PublicUser.permissions(), EVERYONE);
    }

    #[test]
    fn every_role_can_manage_its_own_account() {
        for r in Role::ALL {
            assert!(r.grants(P::AccountSelf), "{r}");
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
    }

    #[test]
    fn roles_fit_their_organisation_kinds() {
        assert!(Role::AuthorityAdmin.fits(OrgKind::Authority));
        assert!(!Role::AuthorityAdmin.fits(OrgKind::Agency));
        assert!(Role::AccountableHead.fits(OrgKind::TownStreet));
        assert!(!Role::PublicUser.fits(OrgKind::Agency));
    }
}
