//! Row types as stored, and their conversion into domain types.

use crate::error::{Error, Result};
use pubdata_domain::identity::{AgencyCategory, OrgKind, OrgStatus, Organisation, Role, User, UserStatus};
use pubdata_domain::ids::{OrgId, UserId};

/// The organisation columns, in `OrgRow` order (a macro, so queries stay `&'static str`).
macro_rules! org_columns {
    () => {
        "id, parent_id, kind, category, name, name_en, credit_code, status, created_at, updated_at"
    };
}
pub(crate) use org_columns;

#[derive(sqlx::FromRow)]
pub(crate) struct OrgRow {
    id: i64,
    parent_id: Option<i64>,
    kind: String,
    category: Option<String>,
    name: String,
    name_en: Option<String>,
    credit_code: Option<String>,
    status: String,
    created_at: String,
    updated_at: String,
}

fn corrupt(what: &str, value: &str) -> Error {
    Error::Database(sqlx::Error::Decode(format!("unknown {what} {value:?} in the database").into()))
}

impl TryFrom<OrgRow> for Organisation {
    type Error = Error;

    fn try_from(r: OrgRow) -> Result<Organisation> {
        Ok(Organisation {
            id: OrgId(r.id),
            parent_id: r.parent_id.map(OrgId),
            kind: OrgKind::parse(&r.kind).ok_or_else(|| corrupt("organisation kind", &r.kind))?,
            category: r
                .category
                .map(|c| AgencyCategory::parse(&c).ok_or_else(|| corrupt("agency category", &c)))
                .transpose()?,
            name: r.name,
            name_en: r.name_en,
            credit_code: r.credit_code,
            status: OrgStatus::parse(&r.status).ok_or_else(|| corrupt("organisation status", &r.status))?,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// The user columns, in `UserRow` order.
macro_rules! user_columns {
    () => {
        "id, username, display_name, org_id, role, status, must_change_password, demo, email, phone, created_at, \
         updated_at, last_login_at"
    };
}
pub(crate) use user_columns;

/// The user columns qualified with the alias `u`, for joins.
macro_rules! user_columns_u {
    () => {
        "u.id, u.username, u.display_name, u.org_id, u.role, u.status, u.must_change_password, u.demo, u.email, \
         u.phone, u.created_at, u.updated_at, u.last_login_at"
    };
}
pub(crate) use user_columns_u;

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: i64,
    username: String,
    display_name: String,
    org_id: i64,
    role: String,
    status: String,
    must_change_password: i64,
    demo: i64,
    email: Option<String>,
    phone: Option<String>,
    created_at: String,
    updated_at: String,
    last_login_at: Option<String>,
}

impl TryFrom<UserRow> for User {
    type Error = Error;

    fn try_from(r: UserRow) -> Result<User> {
        Ok(User {
            id: UserId(r.id),
            username: r.username,
            display_name: r.display_name,
            org_id: OrgId(r.org_id),
            role: Role::parse(&r.role).ok_or_else(|| corrupt("role", &r.role))?,
            status: UserStatus::parse(&r.status).ok_or_else(|| corrupt("user status", &r.status))?,
            must_change_password: r.must_change_password != 0,
            demo: r.demo != 0,
            email: r.email,
            phone: r.phone,
            created_at: r.created_at,
            updated_at: r.updated_at,
            last_login_at: r.last_login_at,
        })
    }
}
