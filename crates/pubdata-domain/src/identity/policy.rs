//! Who may place whom where: role assignment and the shape of the organisation tree.

use super::org::{OrgKind, Organisation};
use super::permission::Permission;
use super::principal::Principal;
use super::role::Role;
use crate::error::{Error, Result};
use crate::ids::OrgId;

/// Checks that `principal` may give a user `role` in `org`: the role must fit the kind of
/// organisation; authority administrators assign any role; agency administrators assign only
/// agency administrators and data officers within their own agency (the accountable head is
/// designated by the authority, Art.26).
pub fn check_role_assignment(principal: &Principal, org: &Organisation, role: Role) -> Result<()> {
    if !role.fits(org.kind) {
        return Err(Error::invalid(
            "role",
            format!("角色「{}」不适用于{}「{}」", role.label_zh(), org.kind.label_zh(), org.name),
            format!("role {} does not fit {} {:?}", role.as_str(), org.kind.as_str(), org.name),
        ));
    }
    if principal.has(Permission::UserManage) {
        return Ok(());
    }
    principal.require(Permission::UserManageAgency).map_err(|_| Error::Forbidden(Permission::UserManage))?;
    if principal.org_id != Some(org.id) {
        return Err(Error::out_of_scope("只能管理本单位的用户", "you can manage only your own agency's users"));
    }
    if !matches!(role, Role::AgencyAdmin | Role::AgencyDataOfficer) {
        return Err(Error::Forbidden(Permission::UserManage));
    }
    Ok(())
}

/// Checks that an organisation of `kind` (with id `this`, when it exists) may sit under
/// `parent`, whose ancestors (nearest first) are `parent_ancestors`. The authority takes
/// every kind; an agency takes sub-units that are agencies; nothing else has children; and
/// no organisation may sit under itself.
pub fn check_parent(
    kind: OrgKind,
    this: Option<OrgId>,
    parent: &Organisation,
    parent_ancestors: &[OrgId],
) -> Result<()> {
    let allowed = match parent.kind {
        OrgKind::Authority => kind != OrgKind::Authority,
        OrgKind::Agency => kind == OrgKind::Agency,
        _ => false,
    };
    if !allowed {
        return Err(Error::invalid(
            "parent_id",
            format!("{}不能设在{}「{}」之下", kind.label_zh(), parent.kind.label_zh(), parent.name),
            format!("a {} cannot sit under {} {:?}", kind.as_str(), parent.kind.as_str(), parent.name),
        ));
    }
    if let Some(this) = this
        && (parent.id == this || parent_ancestors.contains(&this))
    {
        return Err(Error::invalid(
            "parent_id",
            "组织不能设在其自身或下级之下",
            "an organisation cannot sit under itself or its own sub-unit",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{AgencyCategory, OrgStatus};
    use crate::ids::UserId;

    fn org(id: i64, kind: OrgKind) -> Organisation {
        Organisation {
            id: OrgId(id),
            parent_id: None,
            kind,
            category: (kind == OrgKind::Agency).then_some(AgencyCategory::Department),
            name: format!("org{id}"),
            name_en: None,
            credit_code: None,
            status: OrgStatus::Active,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    fn principal(role: Role, org: i64) -> Principal {
        Principal {
            user_id: Some(UserId(1)),
            username: "p".into(),
            display_name: "P".into(),
            org_id: Some(OrgId(org)),
            role: Some(role),
            token: None,
            must_change_password: false,
        }
    }

    #[test]
    fn agency_admins_manage_only_their_own_agency() {
        let admin = principal(Role::AgencyAdmin, 3);
        assert!(check_role_assignment(&admin, &org(3, OrgKind::Agency), Role::AgencyDataOfficer).is_ok());
        assert!(matches!(
            check_role_assignment(&admin, &org(4, OrgKind::Agency), Role::AgencyDataOfficer),
            Err(Error::OutOfScope(_))
        ));
    }

    #[test]
    fn art_26_only_the_authority_designates_the_accountable_head() {
        let agency_admin = principal(Role::AgencyAdmin, 3);
        let target = org(3, OrgKind::Agency);
        assert_eq!(
            check_role_assignment(&agency_admin, &target, Role::AccountableHead),
            Err(Error::Forbidden(Permission::UserManage))
        );
        let authority_admin = principal(Role::AuthorityAdmin, 1);
        assert!(check_role_assignment(&authority_admin, &target, Role::AccountableHead).is_ok());
    }

    #[test]
    fn roles_must_fit_the_organisation() {
        let admin = principal(Role::AuthorityAdmin, 1);
        assert!(matches!(
            check_role_assignment(&admin, &org(3, OrgKind::Agency), Role::AuthorityStaff),
            Err(Error::Invalid { .. })
        ));
    }

    #[test]
    fn data_officers_cannot_assign_roles() {
        let officer = principal(Role::AgencyDataOfficer, 3);
        assert_eq!(
            check_role_assignment(&officer, &org(3, OrgKind::Agency), Role::AgencyDataOfficer),
            Err(Error::Forbidden(Permission::UserManage))
        );
    }

    #[test]
    fn the_tree_has_no_cycles_and_only_agencies_have_sub_units() {
        let authority = org(1, OrgKind::Authority);
        let agency = org(2, OrgKind::Agency);
        let town = org(5, OrgKind::TownStreet);
        assert!(check_parent(OrgKind::TownStreet, None, &authority, &[]).is_ok());
        assert!(check_parent(OrgKind::Agency, None, &agency, &[OrgId(1)]).is_ok());
        assert!(check_parent(OrgKind::Agency, None, &town, &[OrgId(1)]).is_err());
        assert!(check_parent(OrgKind::Agency, Some(OrgId(2)), &agency, &[OrgId(1)]).is_err());
        let sub = org(6, OrgKind::Agency);
        assert!(check_parent(OrgKind::Agency, Some(OrgId(2)), &sub, &[OrgId(2), OrgId(1)]).is_err());
    }
}
