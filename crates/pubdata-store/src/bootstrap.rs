//! First start: the organisation tree's fixed points (the authority, the public), the bundled
//! holiday calendar, and the authority's first administrator with a one-time password.
//! Safe to run from several instances at once: they take turns and only the first acts.

use crate::calendar;
use crate::db::{Store, WriteTx};
use crate::error::Result;
use crate::identity::orgs;
use crate::identity::users::{self, UserFields};
use pubdata_domain::audit::events;
use pubdata_domain::calendar::{BUNDLED_CSV, BUNDLED_SOURCE, parse_csv};
use pubdata_domain::identity::{
    Caller, DisplayName, NewOrganisation, OrgKind, OrgName, Organisation, Password, PasswordHash, Role, User, Username,
    generate_one_time_password,
};

/// The authority's name until an administrator renames it.
pub const DEFAULT_AUTHORITY_NAME: &str = "区公共数据主管部门";

/// The administrator created at first start; the password is shown once and must be changed.
#[derive(Clone, Debug)]
pub struct FirstAdmin {
    pub username: String,
    pub password: String,
}

/// Makes sure the fixed structure exists; when `create_admin` is set and no active authority
/// administrator exists, creates `admin` with a one-time password and returns it.
pub async fn ensure_initialized(store: &Store, authority_name: &str, create_admin: bool) -> Result<Option<FirstAdmin>> {
    let caller = Caller::system("bootstrap");
    let mut tx = store.begin().await?;
    tx.serialize_with_other_instances().await?;
    let authority = ensure_structure(&mut tx, &caller, authority_name).await?;
    let mut created = None;
    if create_admin && active_authority_admins(&mut tx).await? == 0 {
        // Only on the very first start, so hashing inside the transaction costs nothing later.
        let one_time = generate_one_time_password();
        let hash = Password::parse("password", &one_time, "")?.hash();
        let username = free_username(&mut tx, "admin").await?;
        let admin = insert_admin(&mut tx, &username, &authority, &hash, true).await?;
        tx.record(caller.actor(), events::system_bootstrapped(&admin, &authority));
        created = Some(FirstAdmin { username: admin.username, password: one_time });
    }
    tx.commit_if_recorded().await?;
    Ok(created)
}

/// `pubdata admin init`: creates an authority administrator with the given password.
pub async fn admin_init(store: &Store, username: &str, password: &str) -> Result<User> {
    let caller = Caller::system("admin-init");
    let username = Username::parse(username)?;
    let hash = Password::parse("password", password, username.as_str())?.hash();
    let mut tx = store.begin().await?;
    tx.serialize_with_other_instances().await?;
    let authority = ensure_structure(&mut tx, &caller, DEFAULT_AUTHORITY_NAME).await?;
    let admin = insert_admin(&mut tx, &username, &authority, &hash, false).await?;
    tx.record(caller.actor(), events::user_created(&admin));
    tx.commit().await?;
    Ok(admin)
}

async fn insert_admin(
    tx: &mut WriteTx,
    username: &Username,
    authority: &Organisation,
    hash: &PasswordHash,
    one_time: bool,
) -> Result<User> {
    let display_name = DisplayName::parse("平台管理员")?;
    let fields = UserFields {
        username,
        display_name: &display_name,
        org_id: authority.id,
        role: Role::AuthorityAdmin,
        email: None,
        phone: None,
    };
    users::insert(tx, &fields, hash, one_time, false).await
}

async fn ensure_structure(tx: &mut WriteTx, caller: &Caller, authority_name: &str) -> Result<Organisation> {
    let authority = match orgs::find_by_kind(tx.conn(), OrgKind::Authority).await? {
        Some(a) => a,
        None => {
            let new =
                NewOrganisation::new(None, OrgKind::Authority, None, OrgName::parse(authority_name, None)?, None)?;
            let a = orgs::insert(tx, &new).await?;
            tx.record(caller.actor(), events::org_created(&a));
            a
        }
    };
    if orgs::find_by_kind(tx.conn(), OrgKind::Public).await?.is_none() {
        let new = NewOrganisation::new(
            Some(authority.id),
            OrgKind::Public,
            None,
            OrgName::parse("社会公众", Some("Public"))?,
            None,
        )?;
        let public = orgs::insert(tx, &new).await?;
        tx.record(caller.actor(), events::org_created(&public));
    }
    let (years,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM calendar_years").fetch_one(tx.conn()).await?;
    if years == 0 {
        calendar::write_days(tx, caller, &parse_csv(BUNDLED_CSV)?, BUNDLED_SOURCE).await?;
    }
    Ok(authority)
}

async fn active_authority_admins(tx: &mut WriteTx) -> Result<i64> {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM users WHERE role = 'authority_admin' AND status = 'active'")
            .fetch_one(tx.conn())
            .await?;
    Ok(n)
}

/// `base`, or `base2`, `base3`, ... whichever is free.
async fn free_username(tx: &mut WriteTx, base: &str) -> Result<Username> {
    for i in 1.. {
        let candidate = if i == 1 { base.to_string() } else { format!("{base}{i}") };
        if users::find_by_username(tx.conn(), &candidate).await?.is_none() {
            return Ok(Username::parse(&candidate)?);
        }
    }
    unreachable!("some username is free")
}
