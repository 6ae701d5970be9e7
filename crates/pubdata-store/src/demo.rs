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

/// A few published resources of the demo agencies, so that the catalog, search and the
/// repeated-collection check have something to show, and two demands of the demand list (see
/// [`seed_demands`]). Returns the resources created; skips what exists already.
pub async fn seed_catalog(cat: &crate::catalog::Catalog) -> Result<usize> {
    use crate::catalog::resources;
    use pubdata_domain::catalog::{ResourceDocument, ReviewAction};
    let caller = Caller::system("demo");
    let mut created = 0;
    for (agency, doc_json) in DEMO_RESOURCES {
        let mut conn = cat.store().reader().acquire().await?;
        let Some(org) = orgs::find_by_name(&mut conn, agency).await? else { continue };
        drop(conn);
        let mut doc: ResourceDocument = serde_json::from_str(doc_json)
            .map_err(|e| crate::Error::Database(sqlx::Error::Decode(format!("demo resource: {e}").into())))?;
        doc.provider_org_id = org.id.0;
        let (exists,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM catalog_resources WHERE name = $1")
            .bind(&doc.name)
            .fetch_one(cat.store().reader())
            .await?;
        if exists > 0 {
            continue;
        }
        let id = resources::create(cat, &caller, doc).await?;
        for action in [ReviewAction::Submit, ReviewAction::Approve, ReviewAction::Publish] {
            resources::review(cat, &caller, id, action, "演示数据", Some("演示数据：用于展示重复收集检查")).await?;
        }
        created += 1;
    }
    seed_demands(cat.store()).await?;
    Ok(created)
}

/// Two demands of the demand list (Art.9, 15): one waiting for the authority, one it is
/// coordinating with a provider. Skipped when they exist already or their agencies do not.
pub async fn seed_demands(store: &Store) -> Result<usize> {
    use crate::demands;
    use pubdata_domain::catalog::Delivery;
    use pubdata_domain::demand::{DemandAction, DemandFiling, StepInput};
    let caller = Caller::system("demo");
    let mut created = 0;
    for demo in DEMO_DEMANDS {
        let mut conn = store.reader().acquire().await?;
        let consumer = orgs::find_by_name(&mut conn, demo.consumer).await?;
        let provider = match demo.provider {
            Some(name) => orgs::find_by_name(&mut conn, name).await?.map(|o| Some(o.id.0)),
            None => Some(None),
        };
        let (exists,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM demands WHERE title = $1")
            .bind(demo.title)
            .fetch_one(&mut *conn)
            .await?;
        drop(conn);
        let (Some(consumer), Some(provider), 0) = (consumer, provider, exists) else { continue };
        let filing = DemandFiling {
            title: demo.title.into(),
            description: demo.description.into(),
            items: demo.items.iter().map(|i| i.to_string()).collect(),
            scenario: demo.scenario.into(),
            legal_basis: demo.legal_basis.into(),
            delivery: Delivery::Api,
            related_resource_id: None,
        };
        let mut tx = store.begin().await?;
        let id = demands::insert(&mut tx, &caller, consumer.id, &filing).await?;
        tx.commit().await?;
        if let Some(provider) = provider {
            let input = StepInput {
                comment: "请评估能否通过共享通道以接口方式提供（演示数据）".into(),
                provider_org_id: Some(provider),
                ..StepInput::default()
            };
            demands::act(store, &caller, id, DemandAction::Coordinate, input).await?;
        }
        created += 1;
    }
    Ok(created)
}

struct DemoDemand {
    consumer: &'static str,
    /// The agency the authority is coordinating with; `None`: not yet coordinated.
    provider: Option<&'static str>,
    title: &'static str,
    description: &'static str,
    items: &'static [&'static str],
    scenario: &'static str,
    legal_basis: &'static str,
}

const DEMO_DEMANDS: &[DemoDemand] = &[
    DemoDemand {
        consumer: "钟公庙街道办事处",
        provider: None,
        title: "申请家庭机动车登记信息",
        description: "最低生活保障申请家庭成员名下的机动车登记信息，用于核对家庭财产状况。",
        items: &["公民身份号码", "号牌号码", "车辆类型", "初次登记日期"],
        scenario: "最低生活保障申请家庭经济状况核查",
        legal_basis: "《社会救助暂行办法》第十一条",
    },
    DemoDemand {
        consumer: "鄞州区市场监督管理局",
        provider: Some("鄞州区卫生健康局"),
        title: "食品从业人员健康证明信息",
        description: "食品经营者从业人员的健康证明，用于许可核查时在线核验，免于申请人重复提交。",
        items: &["姓名", "公民身份号码", "健康证明编号", "发证日期", "有效期至"],
        scenario: "食品经营许可核查中核验从业人员健康证明",
        legal_basis: "《中华人民共和国食品安全法》第四十五条",
    },
];

/// (providing agency, registration without provider_org_id's real value)
const DEMO_RESOURCES: &[(&str, &str)] = &[
    (
        "鄞州区市场监督管理局",
        r#"{"name":"企业登记信息","business_name":"企业设立、变更、注销登记","source_system":"浙江省市场主体登记管理系统","description":"全区企业登记的基本信息，每日更新。","provider_org_id":0,"category":"market","level":"L1","storage_format":"database_table","share":{"kind":"unconditional"},"open":{"kind":"unconditional"},"delivery":["api","bulk"],"update_cycle":"daily","share_term":{"kind":"long_term"},"contact_name":"王明","contact_phone":"0574-87001001","contact_email":"","state_secret":false,
        "items":[{"code":"credit_code","name":"统一社会信用代码","type":"string","length":18,"required":true,"unique_key":true,"description":"GB 32100","level":"L1"},
        {"code":"enterprise_name","name":"企业名称","type":"string","length":200,"required":true,"level":"L1"},
        {"code":"enterprise_type","name":"企业类型","type":"string","length":100,"level":"L1"},
        {"code":"legal_representative","name":"法定代表人","type":"string","length":50,"level":"L1"},
        {"code":"registered_capital","name":"注册资本","type":"decimal","precision":18,"scale":2,"description":"万元","level":"L1"},
        {"code":"established_on","name":"成立日期","type":"date","level":"L1"},
        {"code":"registered_address","name":"注册地址","type":"string","length":300,"level":"L1"}]}"#,
    ),
    (
        "国家税务总局宁波市鄞州区税务局",
        r#"{"name":"纳税人登记信息","business_name":"税务登记","source_system":"金税三期税收管理系统","description":"辖区纳税人的登记信息。","provider_org_id":0,"category":"finance_tax","level":"L2","storage_format":"database_table","share":{"kind":"restricted","reason":"涉及纳税人经营信息","conditions":"仅用于履行法定职责的登记核验"},"open":{"kind":"restricted","conditions":"经审批并脱敏后开放"},"delivery":["api"],"update_cycle":"weekly","share_term":{"kind":"months","months":12},"contact_name":"李华","contact_phone":"0574-87002002","contact_email":"","state_secret":false,
        "items":[{"code":"credit_code","name":"统一社会信用代码","type":"string","length":18,"required":true,"unique_key":true,"level":"L1"},
        {"code":"taxpayer_name","name":"纳税人名称","type":"string","length":200,"required":true,"level":"L1"},
        {"code":"tax_status","name":"纳税人状态","type":"string","length":2,"level":"L2","code_list":[{"code":"01","label":"正常"},{"code":"02","label":"非正常"},{"code":"03","label":"注销"}]},
        {"code":"registered_address","name":"注册地址","type":"string","length":300,"level":"L1"}]}"#,
    ),
    (
        "鄞州区人力资源和社会保障局",
        r#"{"name":"社会保险参保缴费记录","business_name":"社会保险参保登记与缴费","source_system":"浙江省社会保险信息系统","description":"个人参保及按月缴费记录。","provider_org_id":0,"category":"social_security","level":"L3","storage_format":"database_table","share":{"kind":"restricted","reason":"涉及个人信息","conditions":"仅用于社会保障、就业服务等法定职责，按身份证号码逐条查询"},"open":{"kind":"prohibited","reason":"personal_or_commercial"},"delivery":["api"],"update_cycle":"monthly","share_term":{"kind":"months","months":12},"contact_name":"陈静","contact_phone":"0574-87003003","contact_email":"","state_secret":false,
        "items":[{"code":"id_number","name":"公民身份号码","type":"string","length":18,"required":true,"unique_key":true,"level":"L3"},
        {"code":"person_name","name":"姓名","type":"string","length":50,"required":true,"level":"L3"},
        {"code":"insurance_type","name":"险种","type":"string","length":3,"required":true,"unique_key":true,"level":"L2","code_list":[{"code":"110","label":"企业职工基本养老保险"},{"code":"210","label":"失业保险"},{"code":"310","label":"职工基本医疗保险"}]},
        {"code":"pay_month","name":"缴费年月","type":"string","length":6,"required":true,"unique_key":true,"level":"L2"},
        {"code":"employer_credit_code","name":"参保单位统一社会信用代码","type":"string","length":18,"level":"L1"}]}"#,
    ),
    (
        "鄞州区卫生健康局",
        r#"{"name":"医疗机构执业登记信息","business_name":"医疗机构执业许可","source_system":"医疗机构电子化注册系统","description":"辖区医疗机构的执业登记。","provider_org_id":0,"category":"health","level":"L1","storage_format":"database_table","share":{"kind":"unconditional"},"open":{"kind":"unconditional"},"delivery":["api","bulk","file"],"update_cycle":"monthly","share_term":{"kind":"long_term"},"contact_name":"赵敏","contact_phone":"0574-87004004","contact_email":"","state_secret":false,
        "items":[{"code":"licence_no","name":"登记号","type":"string","length":30,"required":true,"unique_key":true,"level":"L1"},
        {"code":"institution_name","name":"机构名称","type":"string","length":200,"required":true,"level":"L1"},
        {"code":"credit_code","name":"统一社会信用代码","type":"string","length":18,"level":"L1"},
        {"code":"address","name":"地址","type":"string","length":300,"level":"L1"},
        {"code":"valid_until","name":"有效期至","type":"date","level":"L1"}]}"#,
    ),
    (
        "鄞州区自来水有限公司",
        r#"{"name":"居民用水户信息","business_name":"供水户管理","source_system":"营销收费系统","description":"用水户及月度用水量。","provider_org_id":0,"category":"civil_affairs","level":"L3","storage_format":"database_table","share":{"kind":"restricted","reason":"涉及个人信息","conditions":"用于低保核查、空置房认定等法定职责"},"open":{"kind":"prohibited","reason":"personal_or_commercial"},"delivery":["bulk"],"update_cycle":"monthly","share_term":{"kind":"months","months":6},"contact_name":"孙亮","contact_phone":"0574-87005005","contact_email":"","state_secret":false,
        "items":[{"code":"account_no","name":"用水户号","type":"string","length":20,"required":true,"unique_key":true,"level":"L2"},
        {"code":"holder_name","name":"户主姓名","type":"string","length":50,"level":"L3"},
        {"code":"address","name":"用水地址","type":"string","length":300,"level":"L3"},
        {"code":"month","name":"抄表年月","type":"string","length":6,"required":true,"unique_key":true,"level":"L2"},
        {"code":"volume","name":"用水量","type":"decimal","precision":12,"scale":2,"description":"立方米","level":"L2"}]}"#,
    ),
];
