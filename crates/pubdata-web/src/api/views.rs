//! What the API returns: plain views of domain objects, with their OpenAPI schemas.

use pubdata_domain::identity::{Organisation, User};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub org_id: i64,
    /// One of the role names, e.g. `agency_data_officer`.
    pub role: String,
    pub role_label: String,
    /// `active` or `disabled`.
    pub status: String,
    pub must_change_password: bool,
    pub demo: bool,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub last_login_at: Option<String>,
}

impl From<&User> for UserView {
    fn from(u: &User) -> UserView {
        UserView {
            id: u.id.0,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            org_id: u.org_id.0,
            role: u.role.as_str().to_string(),
            role_label: u.role.label_zh().to_string(),
            status: u.status.as_str().to_string(),
            must_change_password: u.must_change_password,
            demo: u.demo,
            email: u.email.clone(),
            phone: u.phone.clone(),
            created_at: u.created_at.clone(),
            updated_at: u.updated_at.clone(),
            last_login_at: u.last_login_at.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct OrgView {
    pub id: i64,
    pub parent_id: Option<i64>,
    /// `authority`, `agency`, `town_street`, `service_unit` or `public`.
    pub kind: String,
    /// For agencies: `department`, `authorised`, `utility` or `dispatched`.
    pub category: Option<String>,
    pub name: String,
    pub name_en: Option<String>,
    pub credit_code: Option<String>,
    /// `active` or `inactive`.
    pub status: String,
    /// Depth in the tree (the authority is 0); present in lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub depth: Option<usize>,
    pub created_at: String,
    pub updated_at: String,
}

impl OrgView {
    pub fn new(o: &Organisation, depth: Option<usize>) -> OrgView {
        OrgView {
            id: o.id.0,
            parent_id: o.parent_id.map(|p| p.0),
            kind: o.kind.as_str().to_string(),
            category: o.category.map(|c| c.as_str().to_string()),
            name: o.name.clone(),
            name_en: o.name_en.clone(),
            credit_code: o.credit_code.clone(),
            status: o.status.as_str().to_string(),
            depth,
            created_at: o.created_at.clone(),
            updated_at: o.updated_at.clone(),
        }
    }
}
