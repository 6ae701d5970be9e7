//! The demo district for `serve --demo`: the authority, a realistic handful of Yinzhou
//! agencies, two towns/streets, a service unit, and one account per role. Demo accounts get
//! fresh random passwords at every start and can log in only while the platform runs with
//! `--demo`.

use crate::db::{Store, WriteTx};
use crate::error::Result;
use crate::identity::orgs;
use crate::identity::users::{self, UserFields};
use pubdata_domain::audit::events;
use pubdata_domain::identity::{
    AgencyCategory, Caller, DisplayName, NewOrganisation, OrgKind, OrgName, Organisation, Password, Role, Username,
    generate_one_time_password,
};

/// The authority's name in the demo district.
pub const DEMO_AUTHORITY_NAME: &str = "鄞州区大数据发展管理局";

struct DemoOrg {
    name: &'static str,
    name_en: &'static str,
    kind: OrgKind,
    category: Option<AgencyCategory>,
}

const ORGS: &[DemoOrg] = &[
    DemoOrg {
        name: "宁波市公安局鄞州分局",
        name_en: "Yinzhou Public Security Sub-bureau",
        kind: OrgKind::Agency,
        category: Some(AgencyCategory::Department),
    },
    DemoOrg {
        name: "鄞州区市场监督管理局",
        name_en: "Yinzhou Market Regulation Bureau",
        kind: OrgKind::Agency,
        category: Some(AgencyCategory::Department),
    },
    DemoOrg {
        name: "鄞州区人力资源和社会保障局",
        name_en: "Yinzhou Human Resources and Social Security Bureau",
        kind: OrgKind::Agency,
        category: Some(AgencyCategory::Department),
    },
    DemoOrg {
        name: "鄞州区卫生健康局",
        name_en: "Yinzhou Health Bureau",
        kind: OrgKind::Agency,
        category: Some(AgencyCategory::Department),
    },
    DemoOrg {
        name: "国家税务总局宁波市鄞州区税务局",
        name_en: "Yinzhou Tax Bureau (State Taxation Administration)",
        kind: OrgKind::Agency,
        category: Some(AgencyCategory::Dispatched),
    },
    DemoOrg {
        name: "鄞州区自来水有限公司",
        name_en: "Yinzhou Water Supply Company",
        kind: OrgKind::Agency,
        category: Some(AgencyCategory::Utility),
    },
    DemoOrg {
        name: "中共鄞州区委网络安全和信息化委员会办公室",
        name_en: "Yinzhou Cyberspace Affairs Office",
        kind: OrgKind::Agency,
        category: Some(AgencyCategory::Department),
    },
    DemoOrg {
        name: "姜山镇人民政府", name_en: "Jiangshan Town Government", kind: OrgKind::TownStreet, category: None
    },
    DemoOrg {
        name: "钟公庙街道办事处",
        name_en: "Zhonggongmiao Street Office",
        kind: OrgKind::TownStreet,
        category: None,
    },
    DemoOrg {
        name: "示例数据技术服务有限公司",
        name_en: "Example Data Services Co. (demo)",
        kind: OrgKind::ServiceUnit,
        category: None,
    },
];

/// (username, display name, role, organisation name; `None` = the authority, `Some("")` = the public)
const USERS: &[(&str, &str, Role, Option<&str>)] = &[
    ("demo-admin", "演示·平台管理员", Role::AuthorityAdmin, None),
    ("demo-staff", "演示·主管部门工作人员", Role::AuthorityStaff, None),
    ("demo-agency-admin", "演示·市场监管局管理员", Role::AgencyAdmin, Some("鄞州区市场监督管理局")),
    ("demo-officer", "演示·市场监管局数据专员", Role::AgencyDataOfficer, Some("鄞州区市场监督管理局")),
    ("demo-head", "演示·市场监管局主要负责人", Role::AccountableHead, Some("鄞州区市场监督管理局")),
    ("demo-supervisor", "演示·网信办监管人员", Role::Supervisor, Some("中共鄞州区委网络安全和信息化委员会办公室")),
    ("demo-service", "演示·技术服务单位人员", Role::ServiceUnit, Some("示例数据技术服务有限公司")),
    ("demo-public", "演示·社会公众", Role::PublicUser, Some("")),
];

/// A demo account and the password it has until the next start.
#[derive(Clone, Debug)]
pub struct DemoAccount {
    pub username: String,
    pub password: String,
    pub role: Role,
    pub organisation: String,
}

/// Seeds (or refreshes) the demo district and returns the demo accounts with new passwords.
/// Existing non-demo accounts with a demo username are left alone and not listed.
pub async fn seed(store: &Store) -> Result<Vec<DemoAccount>> {
    let caller = Caller::system("demo");
    crate::bootstrap::ensure_initialized(store, DEMO_AUTHORITY_NAME, false).await?;
    // Hash outside the transaction: argon2 is deliberately slow.
    let passwords: Vec<(String, pubdata_domain::identity::PasswordHash)> = USERS
        .iter()
        .map(|_| {
            let p = generate_one_time_password();
            let h = Password::parse("password", &p, "").map(|pw| pw.hash());
            h.map(|h| (p, h))
        })
        .collect::<pubdata_domain::Result<_>>()?;
    let mut tx = store.begin().await?;
    tx.serialize_with_other_instances().await?;
    let authority = orgs::find_by_kind(tx.conn(), OrgKind::Authority)
        .await?
        .ok_or_else(|| crate::Error::not_found("organisation", "authority"))?;
    let public = orgs::find_by_kind(tx.conn(), OrgKind::Public)
        .await?
        .ok_or_else(|| crate::Error::not_found("organisation", "public"))?;
    let mut new_orgs = 0;
    for o in ORGS {
        if orgs::find_by_name(tx.conn(), o.name).await?.is_none() {
            let new = NewOrganisation::new(
                Some(authority.id),
                o.kind,
                o.category,
                OrgName::parse(o.name, Some(o.name_en))?,
                None,
            )?;
            let created = orgs::insert(&mut tx, &new).await?;
            tx.record(caller.actor(), events::org_created(&created));
            new_orgs += 1;
        }
    }
    let mut accounts = Vec::new();
    for ((username, display, role, org_name), (password, hash)) in USERS.iter().zip(passwords) {
        let org = match org_name {
            None => authority.clone(),
            Some("") => public.clone(),
            Some(name) => orgs::find_by_name(tx.conn(), name)
                .await?
                .ok_or_else(|| crate::Error::not_found("organisation", name))?,
        };
        if let Some(account) = seed_user(&mut tx, &caller, username, display, *role, &org, &password, &hash).await? {
            accounts.push(account);
        }
    }
    tx.record(caller.actor(), events::demo_seeded(new_orgs, accounts.len()));
    tx.commit().await?;
    Ok(accounts)
}

#[allow(clippy::too_many_arguments)]
async fn seed_user(
    tx: &mut WriteTx,
    caller: &Caller,
    username: &str,
    display: &str,
    role: Role,
    org: &Organisation,
    password: &str,
    hash: &pubdata_domain::identity::PasswordHash,
) -> Result<Option<DemoAccount>> {
    let account = DemoAccount {
        username: username.to_string(),
        password: password.to_string(),
        role,
        organisation: org.name.clone(),
    };
    match users::find_by_username(tx.conn(), username).await? {
        Some((existing, _)) if !existing.demo => Ok(None),
        Some((existing, _)) => {
            users::set_password(tx.conn(), existing.id, hash, false).await?;
            tx.record(caller.actor(), events::user_password_reset(existing.id.0));
            Ok(Some(account))
        }
        None => {
            let fields = UserFields {
                username: &Username::parse(username)?,
                display_name: &DisplayName::parse(display)?,
                org_id: org.id,
                role,
                email: None,
                phone: None,
            };
            let user = users::insert(tx, &fields, hash, false, true).await?;
            tx.record(caller.actor(), events::user_created(&user));
            Ok(Some(account))
        }
    }
}
