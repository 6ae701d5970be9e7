//! Shared set-up of the store suites: agencies under the authority, and people of a role who
//! have logged in (so that they act as a request would, with a token and a source address).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use pubdata_domain::identity::{AgencyCategory, Caller, NewOrganisation, OrgKind, OrgName, Role, Source};
use pubdata_store::Store;
use pubdata_store::identity::{AuthSettings, NewUserInput, Via, auth, orgs, users};

const PASSWORD: &str = "Store-Test-2026";

/// A department-type agency directly under the authority; returns its id.
pub async fn agency(store: &Store, system: &Caller, name: &str) -> i64 {
    let new = NewOrganisation::new(
        Some(pubdata_domain::ids::OrgId(1)),
        OrgKind::Agency,
        Some(AgencyCategory::Department),
        OrgName::parse(name, None).unwrap(),
        None,
    )
    .unwrap();
    orgs::create(store, system, new).await.unwrap().id.0
}

/// A user of `org` with `role`, logged in through the API.
pub async fn person(store: &Store, system: &Caller, username: &str, org: i64, role: Role) -> Caller {
    let input = NewUserInput {
        username: username.into(),
        display_name: username.to_string(),
        org_id: org,
        role: role.as_str().into(),
        password: Some(PASSWORD.into()),
        ..Default::default()
    };
    users::create(store, system, input).await.unwrap();
    let source = Source { ip: Some("10.1.1.1".into()), user_agent: None, request_id: None };
    let out = auth::login(store, &AuthSettings::default(), &source, Via::Api, username, PASSWORD).await.unwrap();
    let who = auth::authenticate_bearer(store, &AuthSettings::default(), &out.token).await.unwrap().unwrap();
    Caller { principal: who.principal, source }
}
