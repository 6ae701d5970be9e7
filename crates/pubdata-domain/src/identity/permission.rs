//! Permissions: the unit of authorization. A request is refused unless the caller's role grants
//! the permission its route declares (default deny), and the refusal names it.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Permission {
    /// Change one's own password, see one's own account.
    #[serde(rename = "account.self")]
    AccountSelf,
    /// Create and revoke one's own API tokens.
    #[serde(rename = "token.manage_own")]
    TokenManageOwn,
    /// See the organisation tree.
    #[serde(rename = "org.read")]
    OrgRead,
    /// Create and edit organisations.
    #[serde(rename = "org.manage")]
    OrgManage,
    /// List users (within the caller's scope).
    #[serde(rename = "user.read")]
    UserRead,
    /// Create and edit users of any organisation.
    #[serde(rename = "user.manage")]
    UserManage,
    /// Create and edit users of the caller's own agency.
    #[serde(rename = "user.manage_agency")]
    UserManageAgency,
    /// Read the audit trail (within the caller's scope).
    #[serde(rename = "audit.read")]
    AuditRead,
    /// Verify the audit chain.
    #[serde(rename = "audit.verify")]
    AuditVerify,
    /// Export the audit trail for supervisors.
    #[serde(rename = "audit.export")]
    AuditExport,
    /// Read the working-day calendar.
    #[serde(rename = "calendar.read")]
    CalendarRead,
    /// Edit the working-day calendar (holidays, make-up working days).
    #[serde(rename = "calendar.manage")]
    CalendarManage,
    /// See the published district catalog (and one's own agency's drafts).
    #[serde(rename = "catalog.read")]
    CatalogRead,
    /// Register and edit resources, submit them for review, import catalogs (Art.7).
    #[serde(rename = "catalog.compile")]
    CatalogCompile,
    /// Record the providing agency's opinion on a resource another compiled (Art.7).
    #[serde(rename = "catalog.confirm")]
    CatalogConfirm,
    /// Approve, publish or return resources for the district catalog (Art.7).
    #[serde(rename = "catalog.review")]
    CatalogReview,
    /// Register government IT projects and their catalogs, produce acceptance reports (Art.8).
    #[serde(rename = "project.manage")]
    ProjectManage,
    /// Deliver batches of rows for one's own agency's published resources (Art.10-12).
    #[serde(rename = "aggregation.deliver")]
    AggregationDeliver,
    /// See batch history and provenance (one's own agency's; all with an all-organisation role).
    #[serde(rename = "aggregation.read")]
    AggregationRead,
    /// Open verification tasks and cross-checks between providers' data (Art.11).
    #[serde(rename = "verification.manage")]
    VerificationManage,
    /// Answer verification tasks addressed to one's agency (Art.11).
    #[serde(rename = "verification.answer")]
    VerificationAnswer,
    /// File data demands for one's agency and follow them (Art.9, 15).
    #[serde(rename = "demand.file")]
    DemandFile,
    /// Coordinate demands between consumers and providers, fulfil or reject them (Art.9, 15).
    #[serde(rename = "demand.coordinate")]
    DemandCoordinate,
    /// Answer demands addressed to one's agency as the proposed provider.
    #[serde(rename = "demand.answer")]
    DemandAnswer,
    /// Request shared data for one's agency and follow its requests and grants (Art.13-15).
    #[serde(rename = "sharing.request")]
    SharingRequest,
    /// Review share requests for one's agency's restricted resources; suspend, resume or
    /// revoke the grants of its resources (Art.14, 16).
    #[serde(rename = "sharing.review")]
    SharingReview,
    /// Arbitrate refused or overdue reviews, suspend or revoke any grant, confirm resources
    /// flagged as received through sharing (Art.7, 14).
    #[serde(rename = "sharing.arbitrate")]
    SharingArbitrate,
    /// Read every share request and grant (oversight).
    #[serde(rename = "sharing.read")]
    SharingRead,
    /// Register one's agency's client applications for the sharing channel, rotate their
    /// secrets, disable them (Art.15); with an all-organisation role, any agency's.
    #[serde(rename = "client_app.manage")]
    ClientAppManage,
    /// See client applications (one's own agency's; all with an all-organisation role).
    #[serde(rename = "client_app.read")]
    ClientAppRead,
}

impl Permission {
    pub const ALL: [Permission; 30] = [
        Permission::AccountSelf,
        Permission::TokenManageOwn,
        Permission::OrgRead,
        Permission::OrgManage,
        Permission::UserRead,
        Permission::UserManage,
        Permission::UserManageAgency,
        Permission::AuditRead,
        Permission::AuditVerify,
        Permission::AuditExport,
        Permission::CalendarRead,
        Permission::CalendarManage,
        Permission::CatalogRead,
        Permission::CatalogCompile,
        Permission::CatalogConfirm,
        Permission::CatalogReview,
        Permission::ProjectManage,
        Permission::AggregationDeliver,
        Permission::AggregationRead,
        Permission::VerificationManage,
        Permission::VerificationAnswer,
        Permission::DemandFile,
        Permission::DemandCoordinate,
        Permission::DemandAnswer,
        Permission::SharingRequest,
        Permission::SharingReview,
        Permission::SharingArbitrate,
        Permission::SharingRead,
        Permission::ClientAppManage,
        Permission::ClientAppRead,
    ];

    /// The stable name used in the API, in tokens' scopes and in refusals.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::AccountSelf => "account.self",
            Permission::TokenManageOwn => "token.manage_own",
            Permission::OrgRead => "org.read",
            Permission::OrgManage => "org.manage",
            Permission::UserRead => "user.read",
            Permission::UserManage => "user.manage",
            Permission::UserManageAgency => "user.manage_agency",
            Permission::AuditRead => "audit.read",
            Permission::AuditVerify => "audit.verify",
            Permission::AuditExport => "audit.export",
            Permission::CalendarRead => "calendar.read",
            Permission::CalendarManage => "calendar.manage",
            Permission::CatalogRead => "catalog.read",
            Permission::CatalogCompile => "catalog.compile",
            Permission::CatalogConfirm => "catalog.confirm",
            Permission::CatalogReview => "catalog.review",
            Permission::ProjectManage => "project.manage",
            Permission::AggregationDeliver => "aggregation.deliver",
            Permission::AggregationRead => "aggregation.read",
            Permission::VerificationManage => "verification.manage",
            Permission::VerificationAnswer => "verification.answer",
            Permission::DemandFile => "demand.file",
            Permission::DemandCoordinate => "demand.coordinate",
            Permission::DemandAnswer => "demand.answer",
            Permission::SharingRequest => "sharing.request",
            Permission::SharingReview => "sharing.review",
            Permission::SharingArbitrate => "sharing.arbitrate",
            Permission::SharingRead => "sharing.read",
            Permission::ClientAppManage => "client_app.manage",
            Permission::ClientAppRead => "client_app.read",
        }
    }

    pub fn parse(s: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// What the permission allows, in Chinese, for refusals and the token form.
    pub fn label_zh(self) -> &'static str {
        match self {
            Permission::AccountSelf => "管理本人账号",
            Permission::TokenManageOwn => "管理本人 API 令牌",
            Permission::OrgRead => "查看组织机构",
            Permission::OrgManage => "管理组织机构",
            Permission::UserRead => "查看用户",
            Permission::UserManage => "管理全部用户",
            Permission::UserManageAgency => "管理本单位用户",
            Permission::AuditRead => "查看审计记录",
            Permission::AuditVerify => "校验审计链",
            Permission::AuditExport => "导出审计记录",
            Permission::CalendarRead => "查看工作日历",
            Permission::CalendarManage => "维护工作日历",
            Permission::CatalogRead => "查看数据目录",
            Permission::CatalogCompile => "编制本单位目录",
            Permission::CatalogConfirm => "确认提供方意见",
            Permission::CatalogReview => "审核发布全区目录",
            Permission::ProjectManage => "管理政务信息化项目",
            Permission::AggregationDeliver => "归集本单位数据",
            Permission::AggregationRead => "查看归集批次",
            Permission::VerificationManage => "发起数据校核",
            Permission::VerificationAnswer => "答复数据校核",
            Permission::DemandFile => "提交数据需求",
            Permission::DemandCoordinate => "协调数据需求",
            Permission::DemandAnswer => "答复数据需求",
            Permission::SharingRequest => "申请共享数据",
            Permission::SharingReview => "审核共享申请",
            Permission::SharingArbitrate => "协调裁定共享",
            Permission::SharingRead => "查看共享申请与授权",
            Permission::ClientAppManage => "管理接入应用",
            Permission::ClientAppRead => "查看接入应用",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Permission::AccountSelf => "manage one's own account",
            Permission::TokenManageOwn => "manage one's own API tokens",
            Permission::OrgRead => "view organisations",
            Permission::OrgManage => "manage organisations",
            Permission::UserRead => "view users",
            Permission::UserManage => "manage all users",
            Permission::UserManageAgency => "manage users of one's own agency",
            Permission::AuditRead => "read the audit trail",
            Permission::AuditVerify => "verify the audit chain",
            Permission::AuditExport => "export the audit trail",
            Permission::CalendarRead => "view the working-day calendar",
            Permission::CalendarManage => "edit the working-day calendar",
            Permission::CatalogRead => "view the data catalog",
            Permission::CatalogCompile => "compile one's agency's catalog",
            Permission::CatalogConfirm => "record the providing agency's opinion",
            Permission::CatalogReview => "review and publish the district catalog",
            Permission::ProjectManage => "manage government IT projects",
            Permission::AggregationDeliver => "deliver one's agency's data",
            Permission::AggregationRead => "view delivery batches",
            Permission::VerificationManage => "open data verification tasks",
            Permission::VerificationAnswer => "answer data verification tasks",
            Permission::DemandFile => "file data demands",
            Permission::DemandCoordinate => "coordinate data demands",
            Permission::DemandAnswer => "answer data demands",
            Permission::SharingRequest => "request shared data",
            Permission::SharingReview => "review share requests",
            Permission::SharingArbitrate => "arbitrate sharing",
            Permission::SharingRead => "view share requests and grants",
            Permission::ClientAppManage => "manage client applications",
            Permission::ClientAppRead => "view client applications",
        }
    }
}

impl std::fmt::Display for Permission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.as_str()), Some(p));
            assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{}\"", p.as_str()));
        }
        assert_eq!(Permission::parse("root"), None);
    }
}
