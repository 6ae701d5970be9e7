//! User accounts: creation and editing by administrators, self-registration of public users,
//! password changes and resets.

use super::orgs;
use super::rows::{UserRow, user_columns};
use crate::db::{Store, WriteTx};
use crate::error::{Error, Result};
use pubdata_domain::audit::{Actor, events};
use pubdata_domain::identity::{
    Caller, DisplayName, OrgKind, OrgStatus, Password, PasswordHash, Permission, Principal, Role, Scope, Source, User,
    UserStatus, Username, check_role_assignment, generate_one_time_password, parse_email, parse_phone,
};
use pubdata_domain::ids::{OrgId, UserId};
use pubdata_domain::timefmt;
use sqlx::AnyConnection;

/// What an administrator fills in to create an account. Without a password, a one-time
/// password is generated and must be changed at first login.
#[derive(Clone, Debug, Default)]
pub struct NewUserInput {
    pub username: String,
    pub display_name: String,
    pub org_id: i64,
    pub role: String,
    pub password: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// An edit of an account; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct UserChange {
    pub display_name: Option<String>,
    pub org_id: Option<i64>,
    pub role: Option<String>,
    pub status: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

fn parse_role(s: &str) -> Result<Role> {
    Role::parse(s).ok_or_else(|| {
        let names: Vec<_> = Role::ALL.iter().map(|r| r.as_str()).collect();
        Error::Domain(pubdata_domain::Error::invalid(
            "role",
            format!("未知角色 {s:?}，可选：{}", names.join("、")),
            format!("unknown role {s:?}; one of: {}", names.join(", ")),
        ))
    })
}

pub(crate) async fn fetch(conn: &mut AnyConnection, id: UserId) -> Result<User> {
    let row: Option<UserRow> = sqlx::query_as(concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1"))
        .bind(id.0)
        .fetch_optional(conn)
        .await?;
    row.ok_or_else(|| Error::not_found("user", id))?.try_into()
}

pub(crate) async fn find_by_username(conn: &mut AnyConnection, username: &str) -> Result<Option<(User, PasswordHash)>> {
    #[derive(sqlx::FromRow)]
    struct WithHash {
        #[sqlx(flatten)]
        user: UserRow,
        password_hash: String,
    }
    let row: Option<WithHash> =
        sqlx::query_as(concat!("SELECT ", user_columns!(), ", password_hash FROM users WHERE username = $1"))
            .bind(username)
            .fetch_optional(conn)
            .await?;
    match row {
        Some(r) => Ok(Some((r.user.try_into()?, PasswordHash(r.password_hash)))),
        None => Ok(None),
    }
}

/// Lists accounts the caller may see (`user.read`): everyone for the authority and
/// supervisors, the own agency's users for agency roles. Optionally one organisation only.
pub async fn list(store: &Store, caller: &Caller, org: Option<OrgId>) -> Result<Vec<User>> {
    caller.principal.require(Permission::UserRead)?;
    let org = match caller.principal.scope() {
        Scope::All => org,
        Scope::Org(own) => Some(own),
        Scope::OwnAccount => return Err(Error::Domain(pubdata_domain::Error::Forbidden(Permission::UserRead))),
    };
    let rows: Vec<UserRow> = match org {
        Some(o) => {
            sqlx::query_as(concat!("SELECT ", user_columns!(), " FROM users WHERE org_id = $1 ORDER BY username"))
                .bind(o.0)
                .fetch_all(store.reader())
                .await?
        }
        None => {
            sqlx::query_as(concat!("SELECT ", user_columns!(), " FROM users ORDER BY username"))
                .fetch_all(store.reader())
                .await?
        }
    };
    rows.into_iter().map(User::try_from).collect()
}

/// One account: one's own, or one within the caller's scope with `user.read`. Accounts out of
/// scope are reported as not found.
pub async fn get(store: &Store, caller: &Caller, id: UserId) -> Result<User> {
    let user = fetch(&mut *store.reader().acquire().await?, id).await?;
    if caller.principal.user_id == Some(id) {
        caller.principal.require(Permission::AccountSelf)?;
        return Ok(user);
    }
    caller.principal.require(Permission::UserRead)?;
    if !caller.principal.sees_org(user.org_id) {
        return Err(Error::not_found("user", id));
    }
    Ok(user)
}

/// The caller's own account and organisation (`account.self`; allowed even before a
/// one-time password is changed).
pub async fn own_account(store: &Store, caller: &Caller) -> Result<(User, pubdata_domain::identity::Organisation)> {
    caller.principal.require(Permission::AccountSelf)?;
    let id = caller.principal.user_id.ok_or_else(|| Error::not_found("user", "system"))?;
    let mut conn = store.reader().acquire().await?;
    let user = fetch(&mut conn, id).await?;
    let org = orgs::fetch(&mut conn, user.org_id).await?;
    Ok((user, org))
}

/// Creates an account. Returns the one-time password when none was given.
pub async fn create(store: &Store, caller: &Caller, input: NewUserInput) -> Result<(User, Option<String>)> {
    let username = Username::parse(&input.username)?;
    let display_name = DisplayName::parse(&input.display_name)?;
    let role = parse_role(&input.role)?;
    let email = parse_email(input.email.as_deref())?;
    let phone = parse_phone(input.phone.as_deref())?;
    let (password, one_time) = match &input.password {
        Some(p) => (Password::parse("password", p, username.as_str())?, None),
        None => {
            let generated = generate_one_time_password();
            (Password::parse("password", &generated, "")?, Some(generated))
        }
    };
    // Hash before taking the write lock: argon2 is deliberately slow.
    let hash = password.hash();
    let mut tx = store.begin().await?;
    let org = org_for_assignment(tx.conn(), OrgId(input.org_id)).await?;
    check_role_assignment(&caller.principal, &org, role)?;
    let fields = UserFields { username: &username, display_name: &display_name, org_id: org.id, role, email, phone };
    let user = insert(&mut tx, &fields, &hash, one_time.is_some(), false).await?;
    tx.record(caller.actor(), events::user_created(&user));
    tx.commit().await?;
    Ok((user, one_time))
}

async fn org_for_assignment(conn: &mut AnyConnection, id: OrgId) -> Result<pubdata_domain::identity::Organisation> {
    let org = orgs::fetch(conn, id).await.map_err(|_| {
        pubdata_domain::Error::invalid(
            "org_id",
            format!("组织 {id} 不存在"),
            format!("organisation {id} does not exist"),
        )
    })?;
    if org.status == OrgStatus::Inactive {
        return Err(pubdata_domain::Error::invalid("org_id", "该组织已停用", "that organisation is inactive").into());
    }
    Ok(org)
}

pub(crate) struct UserFields<'a> {
    pub username: &'a Username,
    pub display_name: &'a DisplayName,
    pub org_id: OrgId,
    pub role: Role,
    pub email: Option<String>,
    pub phone: Option<String>,
}

pub(crate) async fn insert(
    tx: &mut WriteTx,
    f: &UserFields<'_>,
    hash: &PasswordHash,
    must_change: bool,
    demo: bool,
) -> Result<User> {
    let now = timefmt::format_instant(timefmt::now());
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO users (username, display_name, org_id, role, password_hash, status, must_change_password, demo, \
         email, phone, created_at, updated_at, password_changed_at) \
         VALUES ($1, $2, $3, $4, $5, 'active', $6, $7, $8, $9, $10, $10, $10) RETURNING id",
    )
    .bind(f.username.as_str())
    .bind(f.display_name.as_str())
    .bind(f.org_id.0)
    .bind(f.role.as_str())
    .bind(&hash.0)
    .bind(i64::from(must_change))
    .bind(i64::from(demo))
    .bind(f.email.as_deref())
    .bind(f.phone.as_deref())
    .bind(&now)
    .fetch_one(tx.conn())
    .await
    .map_err(duplicate_user)?;
    fetch(tx.conn(), UserId(id)).await
}

fn duplicate_user(e: sqlx::Error) -> Error {
    // PostgreSQL names the partial index; SQLite names its column.
    let message = e.to_string();
    if message.contains("accountable_head") || message.contains("users.org_id") {
        Error::on_duplicate(
            "role",
            "该单位已有主要负责人（第一责任人），每个单位只能有一位",
            "this agency already has an accountable head; there is one per agency (Art.26)",
        )(e)
    } else {
        Error::on_duplicate("username", "用户名已被使用", "that username is taken")(e)
    }
}

/// Edits an account. The caller must be allowed to manage the account both where it is and
/// where it ends up; nobody may change their own role or status, and the last active authority
/// administrator stays one.
pub async fn update(store: &Store, caller: &Caller, id: UserId, change: UserChange) -> Result<User> {
    let display_name = change.display_name.as_deref().map(DisplayName::parse).transpose()?;
    let role = change.role.as_deref().map(parse_role).transpose()?;
    let status = change
        .status
        .as_deref()
        .map(|s| {
            UserStatus::parse(s).ok_or_else(|| {
                Error::Domain(pubdata_domain::Error::invalid(
                    "status",
                    "状态应为 active 或 disabled",
                    "status must be active or disabled",
                ))
            })
        })
        .transpose()?;
    let email = change.email.as_deref().map(|e| parse_email(Some(e))).transpose()?;
    let phone = change.phone.as_deref().map(|p| parse_phone(Some(p))).transpose()?;

    let mut tx = store.begin().await?;
    let before = fetch(tx.conn(), id).await?;
    authorize_management(tx.conn(), &caller.principal, &before).await?;
    let org = match change.org_id {
        Some(o) => org_for_assignment(tx.conn(), OrgId(o)).await?,
        None => orgs::fetch(tx.conn(), before.org_id).await?,
    };
    let new_role = role.unwrap_or(before.role);
    let new_status = status.unwrap_or(before.status);
    check_role_assignment(&caller.principal, &org, new_role)?;
    if caller.principal.user_id == Some(id)
        && (new_role != before.role || new_status != before.status || org.id != before.org_id)
    {
        return Err(pubdata_domain::Error::invalid(
            "role",
            "不能修改本人的角色、单位或状态",
            "you cannot change your own role, organisation or status",
        )
        .into());
    }
    if before.role == Role::AuthorityAdmin
        && (new_role != Role::AuthorityAdmin || new_status != UserStatus::Active)
        && active_authority_admins(tx.conn()).await? <= 1
    {
        return Err(pubdata_domain::Error::conflict(
            "这是最后一位在用的主管部门管理员，不能停用或改变角色",
            "this is the last active authority administrator; it cannot be disabled or given another role",
        )
        .into());
    }
    sqlx::query(
        "UPDATE users SET display_name = $1, org_id = $2, role = $3, status = $4, email = $5, phone = $6, updated_at = $7 WHERE id = $8",
    )
    .bind(display_name.as_ref().map_or(before.display_name.as_str(), |d| d.as_str()))
    .bind(org.id.0)
    .bind(new_role.as_str())
    .bind(new_status.as_str())
    .bind(email.unwrap_or_else(|| before.email.clone()))
    .bind(phone.unwrap_or_else(|| before.phone.clone()))
    .bind(timefmt::format_instant(timefmt::now()))
    .bind(id.0)
    .execute(tx.conn())
    .await
    .map_err(duplicate_user)?;
    let after = fetch(tx.conn(), id).await?;
    if after == before {
        return Ok(after);
    }
    if after.status == UserStatus::Disabled {
        end_sessions(tx.conn(), id).await?;
    }
    tx.record(caller.actor(), events::user_updated(&before, &after));
    tx.commit().await?;
    Ok(after)
}

async fn active_authority_admins(conn: &mut AnyConnection) -> Result<i64> {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM users WHERE role = 'authority_admin' AND status = 'active'")
            .fetch_one(conn)
            .await?;
    Ok(n)
}

/// Whether `principal` may manage `target` where it stands now. Accounts outside an agency
/// administrator's agency are reported as not found.
async fn authorize_management(conn: &mut AnyConnection, principal: &Principal, target: &User) -> Result<()> {
    if principal.must_change_password {
        return Err(pubdata_domain::Error::PasswordChangeRequired.into());
    }
    if principal.has(Permission::UserManage) {
        return Ok(());
    }
    if !principal.has(Permission::UserManageAgency) {
        return Err(pubdata_domain::Error::Forbidden(Permission::UserManage).into());
    }
    if !principal.sees_org(target.org_id) {
        return Err(Error::not_found("user", target.id));
    }
    let org = orgs::fetch(conn, target.org_id).await?;
    check_role_assignment(principal, &org, target.role)?;
    Ok(())
}

/// Sets a new one-time password for an account and ends its sessions. Returns the password,
/// to be handed to its owner, who must change it at the next login.
pub async fn reset_password(store: &Store, caller: &Caller, id: UserId) -> Result<String> {
    let generated = generate_one_time_password();
    let hash = Password::parse("password", &generated, "")?.hash();
    let mut tx = store.begin().await?;
    let target = fetch(tx.conn(), id).await?;
    authorize_management(tx.conn(), &caller.principal, &target).await?;
    set_password(tx.conn(), id, &hash, true).await?;
    end_sessions(tx.conn(), id).await?;
    tx.record(caller.actor(), events::user_password_reset(id.0));
    tx.commit().await?;
    Ok(generated)
}

/// Changes the caller's own password after checking the current one.
pub async fn change_own_password(store: &Store, caller: &Caller, current: &str, new: &str) -> Result<()> {
    caller.principal.require(Permission::AccountSelf)?;
    let Some(id) = caller.principal.user_id else {
        return Err(Error::not_found("user", "system"));
    };
    let (user, hash) = find_by_username(&mut *store.reader().acquire().await?, &caller.principal.username)
        .await?
        .ok_or_else(|| Error::not_found("user", id))?;
    if !hash.verify(current) {
        return Err(pubdata_domain::Error::invalid(
            "current_password",
            "当前密码不正确",
            "the current password is wrong",
        )
        .into());
    }
    if current == new {
        return Err(pubdata_domain::Error::invalid(
            "new_password",
            "新密码不能与当前密码相同",
            "the new password must differ from the current one",
        )
        .into());
    }
    let new_hash = Password::parse("new_password", new, &user.username)?.hash();
    let mut tx = store.begin().await?;
    set_password(tx.conn(), id, &new_hash, false).await?;
    tx.record(caller.actor(), events::password_changed(id.0));
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn set_password(
    conn: &mut AnyConnection,
    id: UserId,
    hash: &PasswordHash,
    must_change: bool,
) -> Result<()> {
    let now = timefmt::format_instant(timefmt::now());
    sqlx::query("UPDATE users SET password_hash = $1, must_change_password = $2, password_changed_at = $3, updated_at = $3 WHERE id = $4")
        .bind(&hash.0)
        .bind(i64::from(must_change))
        .bind(&now)
        .bind(id.0)
        .execute(conn)
        .await?;
    Ok(())
}

pub(crate) async fn end_sessions(conn: &mut AnyConnection, id: UserId) -> Result<()> {
    let now = timefmt::format_instant(timefmt::now());
    sqlx::query("UPDATE sessions SET ended_at = $1 WHERE user_id = $2 AND ended_at IS NULL")
        .bind(&now)
        .bind(id.0)
        .execute(conn)
        .await?;
    Ok(())
}

/// What a member of the public fills in to register for the open portal.
#[derive(Clone, Debug, Default)]
pub struct Registration {
    pub username: String,
    pub display_name: String,
    pub password: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// Self-registration of a public user (Art.17) into the public pseudo-organisation.
pub async fn register_public(store: &Store, source: &Source, input: Registration) -> Result<User> {
    let username = Username::parse(&input.username)?;
    let display_name = DisplayName::parse(&input.display_name)?;
    let password = Password::parse("password", &input.password, username.as_str())?;
    let email = parse_email(input.email.as_deref())?;
    let phone = parse_phone(input.phone.as_deref())?;
    let hash = password.hash();
    let mut tx = store.begin().await?;
    let public = orgs::find_by_kind(tx.conn(), OrgKind::Public)
        .await?
        .ok_or_else(|| Error::not_found("organisation", "public"))?;
    let fields = UserFields {
        username: &username,
        display_name: &display_name,
        org_id: public.id,
        role: Role::PublicUser,
        email,
        phone,
    };
    let user = insert(&mut tx, &fields, &hash, false, false).await?;
    let principal = Principal {
        user_id: Some(user.id),
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        org_id: Some(user.org_id),
        role: Some(user.role),
        token: None,
        must_change_password: false,
    };
    tx.record(Actor::new(&principal, source), events::registered(&user));
    tx.commit().await?;
    Ok(user)
}
