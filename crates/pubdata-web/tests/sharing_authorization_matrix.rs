//! The sharing channel's authorization matrix (Art.14-16), through the real router on SQLite
//! and PostgreSQL: every endpoint, every caller, the outcome the documented policy gives.
//!
//! **Grant management** (`art_14_16_grant_management_authorization_matrix`). The district has
//! the authority, a provider agency P with two published resources (one restricted, one
//! unconditional), agency A, which holds a grant on P's restricted resource, agency B, which
//! holds none, a service unit and the public. Each agency has a user of every agency role
//! (administrator, data officer, accountable head, and a supervisor: supervisory bodies are
//! agencies of the tree); the authority has its administrator and its staff; the service unit
//! its user; the public user registers itself. Every endpoint of share requests, review,
//! arbitration, grants (with their usage and their bulk export jobs: listing, starting, taking a
//! ready file), the Art.7 received-data flag and client applications (with their limits) is
//! called by every one of them, and the outcome compared with [`GRANT_MANAGEMENT`], written from the policy:
//!
//! - a role without the endpoint's permission (`identity/role.rs`) is refused, 403;
//! - with it, an object outside the caller's scope is reported as not found, 404
//!   (ARCHITECTURE.md); the scope of a share request or grant is its consumer, its provider and
//!   the roles that see all organisations (the authority, supervisors); of a client application,
//!   its agency and those roles; of a resource's Art.7 flag, the resource's working copy (its
//!   compiling and providing agencies and those roles);
//! - in scope but not the party the step belongs to (the consumer reviewing its own request, a
//!   supervisor suspending a grant), 403;
//! - lists answer 200 and hold only what is in scope: a cell says whether the reference object
//!   (A's request, A's grant, A's application) is listed, and every item listed is checked
//!   against the caller's scope.
//!
//! Cells that change state never touch the reference objects: each such cell first makes its
//! own target as the party that would (a pending request of A for a review, a request P refused
//! for an arbitration, a fresh grant of A, suspended first for a resume, a freshly flagged
//! resource of A, a fresh application of A, rotated first for retiring its previous secret), so
//! a cell allowed by mistake cannot change what a later cell sees, and the table's order does
//! not matter. Every mismatching cell is collected and all are printed before the test fails.
//!
//! **The gateway** (`art_15_16_gateway_authorization_matrix`): whoami, keyed lookup, query and
//! starting a bulk export, each called by A's application and by B's, naming A's active grant, no
//! grant, A's suspended, revoked and expired grants ([`GATEWAY`]). Only A's application with A's
//! active grant gets data (an export is refused even so: these grants are for API delivery);
//! B's application is told the grant is not its own whatever state it is in (it learns
//! nothing of A's grants); whoami names no grant and answers any valid signature. An export
//! job's state and file are asked for by job id instead: the jobs A's application started
//! under A's bulk grants before they were suspended, revoked or expired, and an id no job has.
//! A sees its jobs' states whatever became of the grant, and their files only while the grant
//! is active; B is told there is no such job. Every call leaves exactly one audit record,
//! counted after each call.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::*;
use pubdata_domain::client_app::SignedRequest;
use pubdata_domain::client_app::signature::{self, SignatureMethod};
use pubdata_domain::identity::Role::{self, *};
use pubdata_domain::ids::OrgId;
use pubdata_domain::sharing_export::ExportState;
use pubdata_store::sharing_export::{self, ExportSettings};
use pubdata_testkit::{TestDb, backend_tests};
use pubdata_web::WebConfig;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU64, Ordering};

// ---- the grant-management table ----

/// What a cell expects, and what a call turned out to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// 2xx: the step is taken, the object shown.
    Allowed,
    /// A list answered (200) holding the reference object.
    Listed,
    /// A list answered (200) without the reference object.
    Absent,
    /// 403: the role lacks the permission, or the step is another party's.
    Forbidden,
    /// 404: the object is outside the caller's scope.
    NotFound,
    /// 400: the request itself is wrong (an agency requesting its own resource).
    Invalid,
    /// Anything else.
    Status(u16),
}

use Outcome::{Absent, Allowed, Forbidden, Invalid, Listed, NotFound};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Endpoint {
    RequestsList,
    RequestsIncoming,
    RequestsAll,
    RequestCreate,
    RequestGet,
    RequestReview,
    RequestArbitrate,
    GrantsList,
    GrantsGiven,
    GrantsAll,
    GrantGet,
    GrantUsage,
    GrantSuspend,
    GrantResume,
    GrantRevoke,
    GrantExports,
    ExportCreate,
    ExportDownload,
    ReceivedGet,
    ReceivedConfirm,
    AppsList,
    AppCreate,
    AppCreateForA,
    AppGet,
    AppRotate,
    AppRetirePrevious,
    AppDisable,
    AppSetLimits,
}

use Endpoint::*;

impl Endpoint {
    const ALL: [Endpoint; 28] = [
        RequestsList,
        RequestsIncoming,
        RequestsAll,
        RequestCreate,
        RequestGet,
        RequestReview,
        RequestArbitrate,
        GrantsList,
        GrantsGiven,
        GrantsAll,
        GrantGet,
        GrantUsage,
        GrantSuspend,
        GrantResume,
        GrantRevoke,
        GrantExports,
        ExportCreate,
        ExportDownload,
        ReceivedGet,
        ReceivedConfirm,
        AppsList,
        AppCreate,
        AppCreateForA,
        AppGet,
        AppRotate,
        AppRetirePrevious,
        AppDisable,
        AppSetLimits,
    ];

    fn describe(self) -> &'static str {
        match self {
            RequestsList => "GET /share-requests",
            RequestsIncoming => "GET /share-requests?view=incoming",
            RequestsAll => "GET /share-requests?view=all",
            RequestCreate => "POST /share-requests",
            RequestGet => "GET /share-requests/{A's}",
            RequestReview => "POST /share-requests/{id}/review",
            RequestArbitrate => "POST /share-requests/{id}/arbitrate",
            GrantsList => "GET /grants",
            GrantsGiven => "GET /grants?view=given",
            GrantsAll => "GET /grants?view=all",
            GrantGet => "GET /grants/{A's}",
            GrantUsage => "GET /grants/{A's}/usage",
            GrantSuspend => "POST /grants/{id}/suspend",
            GrantResume => "POST /grants/{id}/resume",
            GrantRevoke => "POST /grants/{id}/revoke",
            GrantExports => "GET /grants/{A's}/exports",
            ExportCreate => "POST /grants/{A's bulk}/exports",
            ExportDownload => "GET /exports/{A's ready}/file",
            ReceivedGet => "GET /received-data/{A's flagged}",
            ReceivedConfirm => "POST /received-data/{id}/confirm",
            AppsList => "GET /client-apps",
            AppCreate => "POST /client-apps (own agency)",
            AppCreateForA => "POST /client-apps (org_id: A)",
            AppGet => "GET /client-apps/{A's}",
            AppRotate => "POST /client-apps/{id}/rotate",
            AppRetirePrevious => "POST /client-apps/{id}/retire-previous",
            AppDisable => "POST /client-apps/{id}/disable",
            AppSetLimits => "POST /client-apps/{A's}/limits",
        }
    }
}

/// The roles that exist in an agency, each with a user in A, B and P.
const AGENCY_ROLES: [Role; 4] = [AgencyAdmin, AgencyDataOfficer, AccountableHead, Supervisor];

/// The policy, one line per endpoint × role. Columns: for the agency roles, the holder in
/// agency A (holds the grant), in agency B (holds none) and in the provider P; for the others,
/// the one holder in its own organisation (the authority, the service unit, the public).
#[rustfmt::skip]
const GRANT_MANAGEMENT: &[(Endpoint, Role, &[Outcome])] = &[
    // Share requests: the default list is one's agency's own requests ("mine"), or all of them
    // for the roles that see every organisation.
    (RequestsList,      AuthorityAdmin,    &[Listed]),
    (RequestsList,      AuthorityStaff,    &[Listed]),
    (RequestsList,      AgencyAdmin,       &[Listed,    Absent,    Absent]),
    (RequestsList,      AgencyDataOfficer, &[Listed,    Absent,    Absent]),
    (RequestsList,      AccountableHead,   &[Listed,    Absent,    Absent]),
    (RequestsList,      Supervisor,        &[Listed,    Listed,    Listed]),
    (RequestsList,      ServiceUnit,       &[Forbidden]),
    (RequestsList,      PublicUser,        &[Forbidden]),
    (RequestsIncoming,  AuthorityAdmin,    &[Absent]),
    (RequestsIncoming,  AuthorityStaff,    &[Absent]),
    (RequestsIncoming,  AgencyAdmin,       &[Absent,    Absent,    Listed]),
    (RequestsIncoming,  AgencyDataOfficer, &[Absent,    Absent,    Listed]),
    (RequestsIncoming,  AccountableHead,   &[Absent,    Absent,    Listed]),
    (RequestsIncoming,  Supervisor,        &[Absent,    Absent,    Listed]),
    (RequestsIncoming,  ServiceUnit,       &[Forbidden]),
    (RequestsIncoming,  PublicUser,        &[Forbidden]),
    (RequestsAll,       AuthorityAdmin,    &[Listed]),
    (RequestsAll,       AuthorityStaff,    &[Listed]),
    (RequestsAll,       AgencyAdmin,       &[Forbidden, Forbidden, Forbidden]),
    (RequestsAll,       AgencyDataOfficer, &[Forbidden, Forbidden, Forbidden]),
    (RequestsAll,       AccountableHead,   &[Forbidden, Forbidden, Forbidden]),
    (RequestsAll,       Supervisor,        &[Listed,    Listed,    Listed]),
    (RequestsAll,       ServiceUnit,       &[Forbidden]),
    (RequestsAll,       PublicUser,        &[Forbidden]),
    // sharing.request: agencies request for themselves; P has nothing to request of its own.
    (RequestCreate,     AuthorityAdmin,    &[Forbidden]),
    (RequestCreate,     AuthorityStaff,    &[Forbidden]),
    (RequestCreate,     AgencyAdmin,       &[Allowed,   Allowed,   Invalid]),
    (RequestCreate,     AgencyDataOfficer, &[Allowed,   Allowed,   Invalid]),
    (RequestCreate,     AccountableHead,   &[Allowed,   Allowed,   Invalid]),
    (RequestCreate,     Supervisor,        &[Forbidden, Forbidden, Forbidden]),
    (RequestCreate,     ServiceUnit,       &[Forbidden]),
    (RequestCreate,     PublicUser,        &[Forbidden]),
    (RequestGet,        AuthorityAdmin,    &[Allowed]),
    (RequestGet,        AuthorityStaff,    &[Allowed]),
    (RequestGet,        AgencyAdmin,       &[Allowed,   NotFound,  Allowed]),
    (RequestGet,        AgencyDataOfficer, &[Allowed,   NotFound,  Allowed]),
    (RequestGet,        AccountableHead,   &[Allowed,   NotFound,  Allowed]),
    (RequestGet,        Supervisor,        &[Allowed,   Allowed,   Allowed]),
    (RequestGet,        ServiceUnit,       &[Forbidden]),
    (RequestGet,        PublicUser,        &[Forbidden]),
    // Art.14: the provider reviews (A's request on P's resource); the consumer sees it but may not.
    (RequestReview,     AuthorityAdmin,    &[Forbidden]),
    (RequestReview,     AuthorityStaff,    &[Forbidden]),
    (RequestReview,     AgencyAdmin,       &[Forbidden, NotFound,  Allowed]),
    (RequestReview,     AgencyDataOfficer, &[Forbidden, NotFound,  Allowed]),
    (RequestReview,     AccountableHead,   &[Forbidden, NotFound,  Allowed]),
    (RequestReview,     Supervisor,        &[Forbidden, Forbidden, Forbidden]),
    (RequestReview,     ServiceUnit,       &[Forbidden]),
    (RequestReview,     PublicUser,        &[Forbidden]),
    // Art.14: the authority arbitrates the provider's refusal.
    (RequestArbitrate,  AuthorityAdmin,    &[Allowed]),
    (RequestArbitrate,  AuthorityStaff,    &[Allowed]),
    (RequestArbitrate,  AgencyAdmin,       &[Forbidden, Forbidden, Forbidden]),
    (RequestArbitrate,  AgencyDataOfficer, &[Forbidden, Forbidden, Forbidden]),
    (RequestArbitrate,  AccountableHead,   &[Forbidden, Forbidden, Forbidden]),
    (RequestArbitrate,  Supervisor,        &[Forbidden, Forbidden, Forbidden]),
    (RequestArbitrate,  ServiceUnit,       &[Forbidden]),
    (RequestArbitrate,  PublicUser,        &[Forbidden]),
    // Grants: the default list is the grants one's agency holds, or all of them.
    (GrantsList,        AuthorityAdmin,    &[Listed]),
    (GrantsList,        AuthorityStaff,    &[Listed]),
    (GrantsList,        AgencyAdmin,       &[Listed,    Absent,    Absent]),
    (GrantsList,        AgencyDataOfficer, &[Listed,    Absent,    Absent]),
    (GrantsList,        AccountableHead,   &[Listed,    Absent,    Absent]),
    (GrantsList,        Supervisor,        &[Listed,    Listed,    Listed]),
    (GrantsList,        ServiceUnit,       &[Forbidden]),
    (GrantsList,        PublicUser,        &[Forbidden]),
    (GrantsGiven,       AuthorityAdmin,    &[Absent]),
    (GrantsGiven,       AuthorityStaff,    &[Absent]),
    (GrantsGiven,       AgencyAdmin,       &[Absent,    Absent,    Listed]),
    (GrantsGiven,       AgencyDataOfficer, &[Absent,    Absent,    Listed]),
    (GrantsGiven,       AccountableHead,   &[Absent,    Absent,    Listed]),
    (GrantsGiven,       Supervisor,        &[Absent,    Absent,    Listed]),
    (GrantsGiven,       ServiceUnit,       &[Forbidden]),
    (GrantsGiven,       PublicUser,        &[Forbidden]),
    (GrantsAll,         AuthorityAdmin,    &[Listed]),
    (GrantsAll,         AuthorityStaff,    &[Listed]),
    (GrantsAll,         AgencyAdmin,       &[Forbidden, Forbidden, Forbidden]),
    (GrantsAll,         AgencyDataOfficer, &[Forbidden, Forbidden, Forbidden]),
    (GrantsAll,         AccountableHead,   &[Forbidden, Forbidden, Forbidden]),
    (GrantsAll,         Supervisor,        &[Listed,    Listed,    Listed]),
    (GrantsAll,         ServiceUnit,       &[Forbidden]),
    (GrantsAll,         PublicUser,        &[Forbidden]),
    (GrantGet,          AuthorityAdmin,    &[Allowed]),
    (GrantGet,          AuthorityStaff,    &[Allowed]),
    (GrantGet,          AgencyAdmin,       &[Allowed,   NotFound,  Allowed]),
    (GrantGet,          AgencyDataOfficer, &[Allowed,   NotFound,  Allowed]),
    (GrantGet,          AccountableHead,   &[Allowed,   NotFound,  Allowed]),
    (GrantGet,          Supervisor,        &[Allowed,   Allowed,   Allowed]),
    (GrantGet,          ServiceUnit,       &[Forbidden]),
    (GrantGet,          PublicUser,        &[Forbidden]),
    // A grant's export jobs are seen by whoever sees the grant; only the consumer agency's
    // officers (`sharing.request`) start one or take its file, not its supervisors.
    (GrantExports,      AuthorityAdmin,    &[Allowed]),
    (GrantExports,      AuthorityStaff,    &[Allowed]),
    (GrantExports,      AgencyAdmin,       &[Allowed,   NotFound,  Allowed]),
    (GrantExports,      AgencyDataOfficer, &[Allowed,   NotFound,  Allowed]),
    (GrantExports,      AccountableHead,   &[Allowed,   NotFound,  Allowed]),
    (GrantExports,      Supervisor,        &[Allowed,   Allowed,   Allowed]),
    (GrantExports,      ServiceUnit,       &[Forbidden]),
    (GrantExports,      PublicUser,        &[Forbidden]),
    (ExportCreate,      AuthorityAdmin,    &[Forbidden]),
    (ExportCreate,      AuthorityStaff,    &[Forbidden]),
    (ExportCreate,      AgencyAdmin,       &[Allowed,   NotFound,  Forbidden]),
    (ExportCreate,      AgencyDataOfficer, &[Allowed,   NotFound,  Forbidden]),
    (ExportCreate,      AccountableHead,   &[Allowed,   NotFound,  Forbidden]),
    (ExportCreate,      Supervisor,        &[Forbidden, Forbidden, Forbidden]),
    (ExportCreate,      ServiceUnit,       &[Forbidden]),
    (ExportCreate,      PublicUser,        &[Forbidden]),
    (ExportDownload,    AuthorityAdmin,    &[Forbidden]),
    (ExportDownload,    AuthorityStaff,    &[Forbidden]),
    (ExportDownload,    AgencyAdmin,       &[Allowed,   NotFound,  NotFound]),
    (ExportDownload,    AgencyDataOfficer, &[Allowed,   NotFound,  NotFound]),
    (ExportDownload,    AccountableHead,   &[Allowed,   NotFound,  NotFound]),
    (ExportDownload,    Supervisor,        &[Forbidden, Forbidden, Forbidden]),
    (ExportDownload,    ServiceUnit,       &[Forbidden]),
    (ExportDownload,    PublicUser,        &[Forbidden]),
    // A grant's use is seen by whoever sees the grant.
    (GrantUsage,        AuthorityAdmin,    &[Allowed]),
    (GrantUsage,        AuthorityStaff,    &[Allowed]),
    (GrantUsage,        AgencyAdmin,       &[Allowed,   NotFound,  Allowed]),
    (GrantUsage,        AgencyDataOfficer, &[Allowed,   NotFound,  Allowed]),
    (GrantUsage,        AccountableHead,   &[Allowed,   NotFound,  Allowed]),
    (GrantUsage,        Supervisor,        &[Allowed,   Allowed,   Allowed]),
    (GrantUsage,        ServiceUnit,       &[Forbidden]),
    (GrantUsage,        PublicUser,        &[Forbidden]),
    // Art.16: the provider (sharing.review) or the authority (sharing.arbitrate) changes a grant.
    (GrantSuspend,      AuthorityAdmin,    &[Allowed]),
    (GrantSuspend,      AuthorityStaff,    &[Allowed]),
    (GrantSuspend,      AgencyAdmin,       &[Forbidden, NotFound,  Allowed]),
    (GrantSuspend,      AgencyDataOfficer, &[Forbidden, NotFound,  Allowed]),
    (GrantSuspend,      AccountableHead,   &[Forbidden, NotFound,  Allowed]),
    (GrantSuspend,      Supervisor,        &[Forbidden, Forbidden, Forbidden]),
    (GrantSuspend,      ServiceUnit,       &[Forbidden]),
    (GrantSuspend,      PublicUser,        &[Forbidden]),
    (GrantResume,       AuthorityAdmin,    &[Allowed]),
    (GrantResume,       AuthorityStaff,    &[Allowed]),
    (GrantResume,       AgencyAdmin,       &[Forbidden, NotFound,  Allowed]),
    (GrantResume,       AgencyDataOfficer, &[Forbidden, NotFound,  Allowed]),
    (GrantResume,       AccountableHead,   &[Forbidden, NotFound,  Allowed]),
    (GrantResume,       Supervisor,        &[Forbidden, Forbidden, Forbidden]),
    (GrantResume,       ServiceUnit,       &[Forbidden]),
    (GrantResume,       PublicUser,        &[Forbidden]),
    (GrantRevoke,       AuthorityAdmin,    &[Allowed]),
    (GrantRevoke,       AuthorityStaff,    &[Allowed]),
    (GrantRevoke,       AgencyAdmin,       &[Forbidden, NotFound,  Allowed]),
    (GrantRevoke,       AgencyDataOfficer, &[Forbidden, NotFound,  Allowed]),
    (GrantRevoke,       AccountableHead,   &[Forbidden, NotFound,  Allowed]),
    (GrantRevoke,       Supervisor,        &[Forbidden, Forbidden, Forbidden]),
    (GrantRevoke,       ServiceUnit,       &[Forbidden]),
    (GrantRevoke,       PublicUser,        &[Forbidden]),
    // Art.7: the flag of A's draft names A's grant; it is shown with the draft, to A, and to
    // those who see all. A draft is not in the catalog of B, P or the service unit.
    (ReceivedGet,       AuthorityAdmin,    &[Allowed]),
    (ReceivedGet,       AuthorityStaff,    &[Allowed]),
    (ReceivedGet,       AgencyAdmin,       &[Allowed,   NotFound,  NotFound]),
    (ReceivedGet,       AgencyDataOfficer, &[Allowed,   NotFound,  NotFound]),
    (ReceivedGet,       AccountableHead,   &[Allowed,   NotFound,  NotFound]),
    (ReceivedGet,       Supervisor,        &[Allowed,   Allowed,   Allowed]),
    (ReceivedGet,       ServiceUnit,       &[NotFound]),
    (ReceivedGet,       PublicUser,        &[Forbidden]),
    // Art.7: only the authority confirms a flagged resource as the agency's own.
    (ReceivedConfirm,   AuthorityAdmin,    &[Allowed]),
    (ReceivedConfirm,   AuthorityStaff,    &[Allowed]),
    (ReceivedConfirm,   AgencyAdmin,       &[Forbidden, Forbidden, Forbidden]),
    (ReceivedConfirm,   AgencyDataOfficer, &[Forbidden, Forbidden, Forbidden]),
    (ReceivedConfirm,   AccountableHead,   &[Forbidden, Forbidden, Forbidden]),
    (ReceivedConfirm,   Supervisor,        &[Forbidden, Forbidden, Forbidden]),
    (ReceivedConfirm,   ServiceUnit,       &[Forbidden]),
    (ReceivedConfirm,   PublicUser,        &[Forbidden]),
    // Client applications (Art.15): client_app.read sees one's agency's (all: every one);
    // client_app.manage registers and changes them, the authority administrator any agency's.
    (AppsList,          AuthorityAdmin,    &[Listed]),
    (AppsList,          AuthorityStaff,    &[Listed]),
    (AppsList,          AgencyAdmin,       &[Listed,    Absent,    Absent]),
    (AppsList,          AgencyDataOfficer, &[Listed,    Absent,    Absent]),
    (AppsList,          AccountableHead,   &[Listed,    Absent,    Absent]),
    (AppsList,          Supervisor,        &[Listed,    Listed,    Listed]),
    (AppsList,          ServiceUnit,       &[Forbidden]),
    (AppsList,          PublicUser,        &[Forbidden]),
    (AppCreate,         AuthorityAdmin,    &[Allowed]),
    (AppCreate,         AuthorityStaff,    &[Forbidden]),
    (AppCreate,         AgencyAdmin,       &[Allowed,   Allowed,   Allowed]),
    (AppCreate,         AgencyDataOfficer, &[Allowed,   Allowed,   Allowed]),
    (AppCreate,         AccountableHead,   &[Forbidden, Forbidden, Forbidden]),
    (AppCreate,         Supervisor,        &[Forbidden, Forbidden, Forbidden]),
    (AppCreate,         ServiceUnit,       &[Forbidden]),
    (AppCreate,         PublicUser,        &[Forbidden]),
    // Naming another agency: the organisation tree is no secret, so this is a refusal.
    (AppCreateForA,     AuthorityAdmin,    &[Allowed]),
    (AppCreateForA,     AuthorityStaff,    &[Forbidden]),
    (AppCreateForA,     AgencyAdmin,       &[Allowed,   Forbidden, Forbidden]),
    (AppCreateForA,     AgencyDataOfficer, &[Allowed,   Forbidden, Forbidden]),
    (AppCreateForA,     AccountableHead,   &[Forbidden, Forbidden, Forbidden]),
    (AppCreateForA,     Supervisor,        &[Forbidden, Forbidden, Forbidden]),
    (AppCreateForA,     ServiceUnit,       &[Forbidden]),
    (AppCreateForA,     PublicUser,        &[Forbidden]),
    (AppGet,            AuthorityAdmin,    &[Allowed]),
    (AppGet,            AuthorityStaff,    &[Allowed]),
    (AppGet,            AgencyAdmin,       &[Allowed,   NotFound,  NotFound]),
    (AppGet,            AgencyDataOfficer, &[Allowed,   NotFound,  NotFound]),
    (AppGet,            AccountableHead,   &[Allowed,   NotFound,  NotFound]),
    (AppGet,            Supervisor,        &[Allowed,   Allowed,   Allowed]),
    (AppGet,            ServiceUnit,       &[Forbidden]),
    (AppGet,            PublicUser,        &[Forbidden]),
    (AppRotate,         AuthorityAdmin,    &[Allowed]),
    (AppRotate,         AuthorityStaff,    &[Forbidden]),
    (AppRotate,         AgencyAdmin,       &[Allowed,   NotFound,  NotFound]),
    (AppRotate,         AgencyDataOfficer, &[Allowed,   NotFound,  NotFound]),
    (AppRotate,         AccountableHead,   &[Forbidden, Forbidden, Forbidden]),
    (AppRotate,         Supervisor,        &[Forbidden, Forbidden, Forbidden]),
    (AppRotate,         ServiceUnit,       &[Forbidden]),
    (AppRotate,         PublicUser,        &[Forbidden]),
    (AppRetirePrevious, AuthorityAdmin,    &[Allowed]),
    (AppRetirePrevious, AuthorityStaff,    &[Forbidden]),
    (AppRetirePrevious, AgencyAdmin,       &[Allowed,   NotFound,  NotFound]),
    (AppRetirePrevious, AgencyDataOfficer, &[Allowed,   NotFound,  NotFound]),
    (AppRetirePrevious, AccountableHead,   &[Forbidden, Forbidden, Forbidden]),
    (AppRetirePrevious, Supervisor,        &[Forbidden, Forbidden, Forbidden]),
    (AppRetirePrevious, ServiceUnit,       &[Forbidden]),
    (AppRetirePrevious, PublicUser,        &[Forbidden]),
    (AppDisable,        AuthorityAdmin,    &[Allowed]),
    (AppDisable,        AuthorityStaff,    &[Forbidden]),
    (AppDisable,        AgencyAdmin,       &[Allowed,   NotFound,  NotFound]),
    (AppDisable,        AgencyDataOfficer, &[Allowed,   NotFound,  NotFound]),
    (AppDisable,        AccountableHead,   &[Forbidden, Forbidden, Forbidden]),
    (AppDisable,        Supervisor,        &[Forbidden, Forbidden, Forbidden]),
    (AppDisable,        ServiceUnit,       &[Forbidden]),
    (AppDisable,        PublicUser,        &[Forbidden]),
    // Rates and quotas are the authority's to set: an agency may not raise its own.
    (AppSetLimits,      AuthorityAdmin,    &[Allowed]),
    (AppSetLimits,      AuthorityStaff,    &[Forbidden]),
    (AppSetLimits,      AgencyAdmin,       &[Forbidden, Forbidden, Forbidden]),
    (AppSetLimits,      AgencyDataOfficer, &[Forbidden, Forbidden, Forbidden]),
    (AppSetLimits,      AccountableHead,   &[Forbidden, Forbidden, Forbidden]),
    (AppSetLimits,      Supervisor,        &[Forbidden, Forbidden, Forbidden]),
    (AppSetLimits,      ServiceUnit,       &[Forbidden]),
    (AppSetLimits,      PublicUser,        &[Forbidden]),
];

// ---- the district ----

/// Where a user sits: one of the three agencies, or the one organisation its role lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Home {
    A,
    B,
    P,
    Own,
}

struct Person {
    role: Role,
    home: Home,
    org: i64,
    token: String,
}

impl Person {
    /// The roles that see every organisation (ARCHITECTURE.md: the authority, supervisors).
    fn sees_all(&self) -> bool {
        matches!(self.role, AuthorityAdmin | AuthorityStaff | Supervisor)
    }

    fn label(&self) -> String {
        let place = match (self.home, self.role) {
            (Home::A, _) => "agency A",
            (Home::B, _) => "agency B",
            (Home::P, _) => "provider P",
            (Home::Own, AuthorityAdmin | AuthorityStaff) => "the authority",
            (Home::Own, ServiceUnit) => "the service unit",
            (Home::Own, _) => "the public",
        };
        format!("{} of {place}", self.role.as_str())
    }
}

struct District {
    h: Harness,
    a: i64,
    people: Vec<Person>,
    a_officer: String,
    p_officer: String,
    /// P's restricted resource (requests wait for P's review) and unconditional one (granted
    /// on request).
    restricted: i64,
    unconditional: i64,
    /// The reference objects: A's request, granted by P's review; its grant; A's draft flagged
    /// as received through it (Art.7); A's client application.
    request: i64,
    grant: i64,
    flagged: i64,
    app: i64,
    /// A ready export job of A's bulk grant.
    export: i64,
    /// Numbers names that must be unique.
    serial: AtomicU64,
}

fn resource_doc(provider: i64, name: &str, share: Value, items: Vec<Value>) -> Value {
    json!({
        "name": name, "business_name": "户籍管理", "source_system": "人口信息系统", "description": "",
        "provider_org_id": provider, "category": "civil_affairs", "level": "L4", "storage_format": "database_table",
        "share": share, "open": {"kind": "prohibited", "reason": "personal_or_commercial"}, "delivery": ["api", "bulk"],
        "update_cycle": "daily", "share_term": {"kind": "long_term"}, "contact_name": "李警官",
        "contact_phone": "0574-87001110", "items": items
    })
}

fn population_items() -> Vec<Value> {
    vec![
        item("id_number", "身份证号", "L4", true),
        item("name", "姓名", "L3", false),
        item("mobile", "手机号码", "L3", false),
        item("district", "所属区县", "L1", false),
        item("address", "住址", "L3", false),
    ]
}

/// Registers `doc` as `compiler` and returns its id.
async fn register(h: &Harness, compiler: &str, doc: Value) -> i64 {
    let r = h.call(Method::POST, "/api/v1/catalog/resources", Some(compiler), Some(json!({"document": doc}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["id"].as_i64().unwrap()
}

/// Registers `doc` as `officer` and takes it through review to publication.
async fn publish(h: &Harness, officer: &str, staff: &str, doc: Value) -> i64 {
    let id = register(h, officer, doc).await;
    for (who, action) in [(officer, "submit"), (staff, "approve"), (staff, "publish")] {
        let body = json!({"action": action, "overlap_justification": "本单位登记数据"});
        let r = h.call(Method::POST, &format!("/api/v1/catalog/resources/{id}/review"), Some(who), Some(body)).await;
        assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.text);
    }
    id
}

fn request_body(resource: i64) -> Value {
    json!({
        "resource_id": resource, "items": ["id_number", "name", "district"],
        "scenario": "最低生活保障申请家庭户籍核查", "scenario_category": "social_assistance",
        "legal_duty": "《社会救助暂行办法》第十一条", "delivery": "api", "end_date": "2027-06-30",
        "row_scope": {"keyed_only": false}
    })
}

async fn ok(h: &Harness, method: Method, path: &str, token: &str, body: Option<Value>) -> Value {
    let r = h.call(method, path, Some(token), body).await;
    assert!(r.status.is_success(), "{path}: {} {}", r.status, r.text);
    r.body
}

async fn district(db: &TestDb) -> District {
    let h = harness(db).await;
    let a = h.agency("区民政局").await;
    let b = h.agency("区税务局").await;
    let p = h.agency("区公安分局").await;
    let body = json!({"parent_id": 1, "kind": "service_unit", "name": "数据治理技术服务公司"});
    let service_unit =
        ok(&h, Method::POST, "/api/v1/organisations", &h.admin, Some(body)).await["id"].as_i64().unwrap();
    let mut people = Vec::new();
    for role in [AuthorityAdmin, AuthorityStaff] {
        let token = h.user(&format!("authority-{}", role.as_str()), 1, role.as_str()).await;
        people.push(Person { role, home: Home::Own, org: 1, token });
    }
    for (home, org) in [(Home::A, a), (Home::B, b), (Home::P, p)] {
        for role in AGENCY_ROLES {
            let token = h.user(&format!("{home:?}-{}", role.as_str()).to_lowercase(), org, role.as_str()).await;
            people.push(Person { role, home, org, token });
        }
    }
    let token = h.user("service-unit-user", service_unit, ServiceUnit.as_str()).await;
    people.push(Person { role: ServiceUnit, home: Home::Own, org: service_unit, token });
    let body = json!({"username": "resident", "display_name": "张市民", "password": "Citizen-Test-2026"});
    let registered = h.call(Method::POST, "/api/v1/auth/register", None, Some(body)).await;
    assert_eq!(registered.status, StatusCode::CREATED, "{}", registered.text);
    let token = h.login("resident", "Citizen-Test-2026").await;
    people.push(Person { role: PublicUser, home: Home::Own, org: registered.body["org_id"].as_i64().unwrap(), token });

    let find = |home, role| people.iter().find(|x| x.home == home && x.role == role).unwrap().token.clone();
    let a_officer = find(Home::A, AgencyDataOfficer);
    let p_officer = find(Home::P, AgencyDataOfficer);
    let staff = find(Home::Own, AuthorityStaff);
    let restricted_share = json!({"kind": "restricted", "reason": "含个人信息", "conditions": "仅限社会救助核查"});
    let restricted =
        publish(&h, &p_officer, &staff, resource_doc(p, "户籍人口基本信息", restricted_share, population_items()))
            .await;
    let unconditional_share = json!({"kind": "unconditional"});
    let doc = resource_doc(p, "居住证登记信息", unconditional_share, population_items());
    let unconditional = publish(&h, &p_officer, &staff, doc).await;

    let made = ok(&h, Method::POST, "/api/v1/share-requests", &a_officer, Some(request_body(restricted))).await;
    let request = made["id"].as_i64().unwrap();
    let path = format!("/api/v1/share-requests/{request}/review");
    let reviewed = ok(&h, Method::POST, &path, &p_officer, Some(json!({"decision": "approve"}))).await;
    let grant = reviewed["grant_id"].as_i64().unwrap();
    let body = json!({"name": "救助核查系统", "description": "核查申请家庭户籍", "contact": "王工 0574-88000000"});
    let app = ok(&h, Method::POST, "/api/v1/client-apps", &a_officer, Some(body)).await["app"]["id"].as_i64().unwrap();
    let mut d = District {
        h,
        a,
        people,
        a_officer,
        p_officer,
        restricted,
        unconditional,
        request,
        grant,
        flagged: 0,
        app,
        export: 0,
        serial: AtomicU64::new(1),
    };
    d.export = d.ready_export().await;
    d.flagged = d.flagged_resource().await;
    let flag = ok(&d.h, Method::GET, &format!("/api/v1/received-data/{}", d.flagged), &d.a_officer, None).await;
    assert_eq!(flag["grant_id"], d.grant, "A's copy is flagged with A's grant: {flag}");
    // B registers a client application too: B's lists must not show A's, A's not B's.
    let b_officer = d.people.iter().find(|x| x.home == Home::B && x.role == AgencyDataOfficer).unwrap();
    let body = json!({"name": "税收征管系统", "description": "税收征管", "contact": "李工 0574-88000001"});
    ok(&d.h, Method::POST, "/api/v1/client-apps", &b_officer.token, Some(body)).await;
    d
}

impl District {
    fn next(&self) -> u64 {
        self.serial.fetch_add(1, Ordering::Relaxed)
    }

    /// A draft of A repeating the items A receives through its grant (Art.7): flagged.
    async fn flagged_resource(&self) -> i64 {
        let items = vec![
            item("sfzh", "身份证号", "L4", true),
            item("xm", "姓名", "L3", false),
            item("relief_type", "救助类别", "L2", false),
        ];
        let name = format!("低保对象户籍信息{}", self.next());
        register(&self.h, &self.a_officer, resource_doc(self.a, &name, json!({"kind": "unconditional"}), items)).await
    }

    /// A share request of A on `resource`: (request id, grant id if granted at once).
    async fn request_of_a(&self, resource: i64) -> (i64, Option<i64>) {
        let r =
            ok(&self.h, Method::POST, "/api/v1/share-requests", &self.a_officer, Some(request_body(resource))).await;
        (r["id"].as_i64().unwrap(), r["grant_id"].as_i64())
    }

    /// A fresh active bulk grant of A on P's unconditional resource.
    async fn fresh_bulk_grant(&self) -> i64 {
        let mut body = request_body(self.unconditional);
        body["delivery"] = json!("bulk");
        let r = ok(&self.h, Method::POST, "/api/v1/share-requests", &self.a_officer, Some(body)).await;
        r["grant_id"].as_i64().unwrap()
    }

    /// An export job of A's fresh bulk grant, once its file is ready.
    async fn ready_export(&self) -> i64 {
        let grant = self.fresh_bulk_grant().await;
        let path = format!("/api/v1/grants/{grant}/exports");
        let job = ok(&self.h, Method::POST, &path, &self.a_officer, Some(json!({"format": "csv"}))).await;
        let id = job["id"].as_i64().unwrap();
        for _ in 0..200 {
            let jobs = ok(&self.h, Method::GET, &path, &self.a_officer, None).await;
            let state = jobs.as_array().unwrap().iter().find(|j| j["id"] == id).unwrap()["state"].clone();
            if state == "ready" {
                return id;
            }
            assert!(state == "queued" || state == "running", "export {id}: {state}");
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("export {id} was not ready in 5 s");
    }

    /// A fresh active grant of A (P's unconditional resource is granted on request).
    async fn fresh_grant(&self) -> i64 {
        self.request_of_a(self.unconditional).await.1.unwrap()
    }

    /// A fresh client application of A.
    async fn fresh_app(&self) -> i64 {
        let body = json!({"name": format!("核查系统{}", self.next()), "description": "核查", "contact": "王工 0574-1"});
        let r = ok(&self.h, Method::POST, "/api/v1/client-apps", &self.a_officer, Some(body)).await;
        r["app"]["id"].as_i64().unwrap()
    }

    /// The call a cell makes, after making the object it consumes, if any.
    async fn target(&self, endpoint: Endpoint) -> (Method, String, Option<Value>) {
        let (get, post) = (Method::GET, Method::POST);
        let reason = json!({"reason": "调用异常，核查中"});
        match endpoint {
            RequestsList => (get, "/api/v1/share-requests".into(), None),
            RequestsIncoming => (get, "/api/v1/share-requests?view=incoming".into(), None),
            RequestsAll => (get, "/api/v1/share-requests?view=all".into(), None),
            RequestCreate => (post, "/api/v1/share-requests".into(), Some(request_body(self.restricted))),
            RequestGet => (get, format!("/api/v1/share-requests/{}", self.request), None),
            RequestReview => {
                let (id, _) = self.request_of_a(self.restricted).await;
                (post, format!("/api/v1/share-requests/{id}/review"), Some(json!({"decision": "approve"})))
            }
            RequestArbitrate => {
                let (id, _) = self.request_of_a(self.restricted).await;
                let refuse = json!({"decision": "refuse", "reason": "不符合共享条件"});
                ok(
                    &self.h,
                    post.clone(),
                    &format!("/api/v1/share-requests/{id}/review"),
                    &self.p_officer,
                    Some(refuse),
                )
                .await;
                (post, format!("/api/v1/share-requests/{id}/arbitrate"), Some(json!({"decision": "approve"})))
            }
            GrantsList => (get, "/api/v1/grants".into(), None),
            GrantsGiven => (get, "/api/v1/grants?view=given".into(), None),
            GrantsAll => (get, "/api/v1/grants?view=all".into(), None),
            GrantGet => (get, format!("/api/v1/grants/{}", self.grant), None),
            GrantUsage => (get, format!("/api/v1/grants/{}/usage", self.grant), None),
            GrantSuspend => (post, format!("/api/v1/grants/{}/suspend", self.fresh_grant().await), Some(reason)),
            GrantResume => {
                let g = self.fresh_grant().await;
                ok(&self.h, post.clone(), &format!("/api/v1/grants/{g}/suspend"), &self.p_officer, Some(reason)).await;
                (post, format!("/api/v1/grants/{g}/resume"), Some(json!({})))
            }
            GrantRevoke => (post, format!("/api/v1/grants/{}/revoke", self.fresh_grant().await), Some(reason)),
            GrantExports => (get, format!("/api/v1/grants/{}/exports", self.grant), None),
            ExportCreate => {
                let grant = self.fresh_bulk_grant().await;
                (post, format!("/api/v1/grants/{grant}/exports"), Some(json!({"format": "jsonl"})))
            }
            ExportDownload => (get, format!("/api/v1/exports/{}/file", self.export), None),
            ReceivedGet => (get, format!("/api/v1/received-data/{}", self.flagged), None),
            ReceivedConfirm => {
                let id = self.flagged_resource().await;
                let comment = json!({"comment": "救助类别为本单位采集，身份信息仅作关联"});
                (post, format!("/api/v1/received-data/{id}/confirm"), Some(comment))
            }
            AppsList => (get, "/api/v1/client-apps".into(), None),
            AppCreate | AppCreateForA => {
                let n = self.next();
                let mut body = json!({"name": format!("业务系统{n}"), "description": "办件", "contact": "赵工 0574-2"});
                if endpoint == AppCreateForA {
                    body["org_id"] = json!(self.a);
                }
                (post, "/api/v1/client-apps".into(), Some(body))
            }
            AppGet => (get, format!("/api/v1/client-apps/{}", self.app), None),
            AppRotate => (
                post,
                format!("/api/v1/client-apps/{}/rotate", self.fresh_app().await),
                Some(json!({"window_hours": 24})),
            ),
            AppRetirePrevious => {
                let id = self.fresh_app().await;
                let rotate = json!({"window_hours": 24});
                ok(&self.h, post.clone(), &format!("/api/v1/client-apps/{id}/rotate"), &self.a_officer, Some(rotate))
                    .await;
                (post, format!("/api/v1/client-apps/{id}/retire-previous"), None)
            }
            AppDisable => {
                let body = json!({"reason": "系统下线"});
                (post, format!("/api/v1/client-apps/{}/disable", self.fresh_app().await), Some(body))
            }
            AppSetLimits => {
                let body = json!({"rate_per_second": 200, "daily_quota": 500000});
                (post, format!("/api/v1/client-apps/{}/limits", self.app), Some(body))
            }
        }
    }

    /// For a list: the reference object it should or should not hold.
    fn reference(&self, endpoint: Endpoint) -> Option<i64> {
        match endpoint {
            RequestsList | RequestsIncoming | RequestsAll => Some(self.request),
            GrantsList | GrantsGiven | GrantsAll => Some(self.grant),
            AppsList => Some(self.app),
            _ => None,
        }
    }
}

/// What a reply amounts to; for a list, also the items it should not have shown.
fn observe(reference: Option<i64>, who: &Person, r: &Reply) -> (Outcome, Vec<Value>) {
    let outcome = match r.status {
        s if s.is_success() => Allowed,
        StatusCode::FORBIDDEN => Forbidden,
        StatusCode::NOT_FOUND => NotFound,
        StatusCode::BAD_REQUEST => Invalid,
        s => Outcome::Status(s.as_u16()),
    };
    let (Some(reference), Allowed) = (reference, outcome) else { return (outcome, Vec::new()) };
    let items = r.body.as_array().cloned().unwrap_or_default();
    let in_scope = |v: &Value| {
        who.sees_all()
            || ["consumer_org_id", "provider_org_id", "org_id"].iter().any(|k| v[*k].as_i64() == Some(who.org))
    };
    let leaked = items.iter().filter(|v| !in_scope(v)).cloned().collect();
    let listed = items.iter().any(|v| v["id"].as_i64() == Some(reference));
    (if listed { Listed } else { Absent }, leaked)
}

/// Every endpoint × role has exactly one line, and each line one cell per holder.
fn check_table_shape() {
    for endpoint in Endpoint::ALL {
        for role in Role::ALL {
            let lines: Vec<_> = GRANT_MANAGEMENT.iter().filter(|(e, r, _)| *e == endpoint && *r == role).collect();
            assert_eq!(lines.len(), 1, "{endpoint:?} × {role:?} needs exactly one line");
            let cells = if AGENCY_ROLES.contains(&role) { 3 } else { 1 };
            assert_eq!(lines[0].2.len(), cells, "{endpoint:?} × {role:?}: one cell per holder");
        }
    }
}

async fn art_14_16_grant_management_authorization_matrix(db: &TestDb) {
    check_table_shape();
    let d = district(db).await;
    let mut mismatches = Vec::new();
    let mut cells = 0;
    for (endpoint, role, expected) in GRANT_MANAGEMENT {
        let holders = d.people.iter().filter(|x| x.role == *role);
        for (who, expected) in holders.zip(expected.iter()) {
            cells += 1;
            let (method, path, body) = d.target(*endpoint).await;
            let r = d.h.call(method, &path, Some(&who.token), body).await;
            let (outcome, leaked) = observe(d.reference(*endpoint), who, &r);
            let cell = format!("{:<44} as {:<36}", endpoint.describe(), who.label());
            if outcome != *expected {
                let code = r.body["error"]["code"].as_str().unwrap_or("-").to_string();
                mismatches.push(format!("{cell} policy {expected:?}, got {outcome:?} ({}, {code})", r.status));
            }
            for item in leaked {
                mismatches.push(format!("{cell} lists an object outside its scope: {item}"));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {cells} cells differ from the policy:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

// ---- the gateway table ----

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum GatewayEndpoint {
    Whoami,
    Lookup,
    Query,
    /// `POST …/exports`: a bulk export job (the grants here are for API delivery).
    Export,
    /// `GET /gateway/v1/exports/{id}`: an export job's state.
    ExportState,
    /// `GET /gateway/v1/exports/{id}/file`: an export job's file.
    ExportFile,
}

/// Which agency's client application signs the call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AppOf {
    A,
    B,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Answer {
    /// 200, naming the calling application and its agency.
    Identity,
    /// 200 with rows.
    Data,
    /// 200 with the export job asked for.
    Job,
    /// 200 with the export job's file.
    File,
    /// Refused with this status and code.
    Refused(u16, &'static str),
}

impl Answer {
    fn describe(self) -> String {
        match self {
            Identity => "identity".into(),
            Data => "data".into(),
            Job => "job".into(),
            File => "file".into(),
            Answer::Refused(status, code) => format!("{status} {code}"),
        }
    }
}

use Answer::{Data, File, Identity, Job};
const MISSING: Answer = Answer::Refused(400, "gateway_grant_missing");
const NOT_YOURS: Answer = Answer::Refused(403, "gateway_grant_not_yours");
const SUSPENDED: Answer = Answer::Refused(403, "gateway_grant_suspended");
const REVOKED: Answer = Answer::Refused(403, "gateway_grant_revoked");
const EXPIRED: Answer = Answer::Refused(403, "gateway_grant_expired");
const NOT_BULK: Answer = Answer::Refused(403, "gateway_delivery_not_granted");
const NO_JOB: Answer = Answer::Refused(404, "export_not_found");

/// Which grant a call names (in its signed `grant` parameter).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Named {
    Active,
    NoGrant,
    Suspended,
    Revoked,
    Expired,
}

const NAMED: [Named; 5] = [Named::Active, Named::NoGrant, Named::Suspended, Named::Revoked, Named::Expired];

/// The policy, one line per endpoint × calling application. Columns: the call names A's
/// active grant, no grant, A's suspended, A's revoked, A's expired grant. An export job's
/// endpoints name a job instead: the one A's application started under A's (bulk) grant
/// before the grant was suspended, revoked or expired; "no grant" is a job id that does not
/// exist.
#[rustfmt::skip]
const GATEWAY: &[(GatewayEndpoint, AppOf, [Answer; 5])] = &[
    //                                     active     no grant  suspended  revoked    expired
    (GatewayEndpoint::Whoami, AppOf::A, [Identity, Identity, Identity,  Identity,  Identity]),
    (GatewayEndpoint::Whoami, AppOf::B, [Identity, Identity, Identity,  Identity,  Identity]),
    (GatewayEndpoint::Lookup, AppOf::A, [Data,      MISSING,  SUSPENDED, REVOKED,   EXPIRED]),
    (GatewayEndpoint::Lookup, AppOf::B, [NOT_YOURS, MISSING,  NOT_YOURS, NOT_YOURS, NOT_YOURS]),
    (GatewayEndpoint::Query,  AppOf::A, [Data,      MISSING,  SUSPENDED, REVOKED,   EXPIRED]),
    (GatewayEndpoint::Query,  AppOf::B, [NOT_YOURS, MISSING,  NOT_YOURS, NOT_YOURS, NOT_YOURS]),
    (GatewayEndpoint::Export, AppOf::A, [NOT_BULK,  MISSING,  SUSPENDED, REVOKED,   EXPIRED]),
    (GatewayEndpoint::Export, AppOf::B, [NOT_YOURS, MISSING,  NOT_YOURS, NOT_YOURS, NOT_YOURS]),
    (GatewayEndpoint::ExportState, AppOf::A, [Job, NO_JOB, Job,       Job,       Job]),
    (GatewayEndpoint::ExportState, AppOf::B, [NO_JOB, NO_JOB, NO_JOB, NO_JOB,   NO_JOB]),
    (GatewayEndpoint::ExportFile, AppOf::A, [File, NO_JOB,  SUSPENDED, REVOKED,   EXPIRED]),
    (GatewayEndpoint::ExportFile, AppOf::B, [NO_JOB, NO_JOB, NO_JOB, NO_JOB,    NO_JOB]),
];

struct App {
    id: i64,
    org: i64,
    key: String,
    secret: String,
}

static NONCE: AtomicU64 = AtomicU64::new(1);

/// A signed `method path?query` from `app`, without a body.
async fn signed(h: &Harness, app: &App, method: &'static str, path: &str, query: &str) -> Reply {
    let ts = time::OffsetDateTime::now_utc().unix_timestamp().to_string();
    let nonce = format!("nonce-{:016}", NONCE.fetch_add(1, Ordering::Relaxed));
    let signed = SignedRequest { method, path, query, body: b"", timestamp: &ts, nonce: &nonce };
    let sig = signature::sign(SignatureMethod::HmacSha256, &app.secret, &signed);
    let uri = if query.is_empty() { path.to_string() } else { format!("{path}?{query}") };
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("X-Pubdata-App-Key", &app.key)
        .header("X-Pubdata-Timestamp", ts)
        .header("X-Pubdata-Nonce", nonce)
        .header("X-Pubdata-Signature", sig);
    h.raw(request.body(Body::empty()).unwrap()).await
}

/// The gateway's audit entries after position `seq`, newest first.
async fn gateway_entries_after(h: &Harness, seq: i64) -> Vec<Value> {
    let r = h.call(Method::GET, "/api/v1/audit/entries?action=gateway.call&limit=20", Some(&h.admin), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let entries = r.body["entries"].as_array().cloned().unwrap_or_default();
    entries.into_iter().filter(|e| e["seq"].as_i64().unwrap() > seq).collect()
}

async fn register_app(h: &Harness, officer: &str, org: i64, name: &str) -> App {
    let body = json!({"name": name, "description": "核查申请家庭户籍", "contact": "王工 0574-88000000"});
    let r = ok(h, Method::POST, "/api/v1/client-apps", officer, Some(body)).await;
    App {
        id: r["app"]["id"].as_i64().unwrap(),
        org,
        key: r["app"]["app_key"].as_str().unwrap().into(),
        secret: r["secret"].as_str().unwrap().into(),
    }
}

async fn art_15_16_gateway_authorization_matrix(db: &TestDb) {
    let files = tempfile::tempdir().unwrap();
    let exports = ExportSettings::new(files.path().join("exports"));
    let h = harness_with(db, WebConfig { exports, ..WebConfig::default() }).await;
    let a = h.agency("区民政局").await;
    let b = h.agency("区税务局").await;
    let p = h.agency("区公安分局").await;
    let a_officer = h.user("a-officer", a, "agency_data_officer").await;
    let b_officer = h.user("b-officer", b, "agency_data_officer").await;
    let p_officer = h.user("p-officer", p, "agency_data_officer").await;
    let staff = h.user("coordinator", 1, "authority_staff").await;
    let share = json!({"kind": "restricted", "reason": "含个人信息", "conditions": "仅限社会救助核查"});
    let resource =
        publish(&h, &p_officer, &staff, resource_doc(p, "户籍人口基本信息", share, population_items())).await;
    let mut csv = String::from("身份证号,姓名,手机号码,所属区县,住址\n");
    for n in 0..10 {
        csv.push_str(&format!("{},张三{n},1380000{n:04},鄞州区,址{n}号\n", id_number(n)));
    }
    let delivery = Request::put(format!(
        "/api/v1/resources/{resource}/batches?mode=replace&on_error=reject_batch&file_name=p.csv&source_system=人口信息系统"
    ))
    .header(header::AUTHORIZATION, format!("Bearer {p_officer}"))
    .header(header::CONTENT_TYPE, "application/octet-stream")
    .body(Body::from(csv))
    .unwrap();
    let r = h.raw(delivery).await;
    assert_eq!((r.status, r.body["batch"]["state"].as_str()), (StatusCode::OK, Some("stored")), "{}", r.text);

    // Four grants of A on P's resource for API delivery, and four for bulk delivery, under
    // each of which A's application starts an export: one of each kind stays active, the
    // others are suspended, revoked and expired (after the export's file is ready).
    let mut grants = Vec::new();
    let mut bulk = Vec::new();
    for delivery in ["api", "bulk"] {
        for _ in 0..4 {
            let mut body = request_body(resource);
            body["delivery"] = json!(delivery);
            let made = ok(&h, Method::POST, "/api/v1/share-requests", &a_officer, Some(body)).await;
            let path = format!("/api/v1/share-requests/{}/review", made["id"]);
            let reviewed = ok(&h, Method::POST, &path, &p_officer, Some(json!({"decision": "approve"}))).await;
            let grant = reviewed["grant_id"].as_i64().unwrap();
            if delivery == "api" { grants.push(grant) } else { bulk.push(grant) }
        }
    }
    let app_a = register_app(&h, &a_officer, a, "救助核查系统").await;
    let app_b = register_app(&h, &b_officer, b, "税收征管系统").await;
    let mut jobs = Vec::new();
    for g in &bulk {
        let r = signed(
            &h,
            &app_a,
            "POST",
            &format!("/gateway/v1/resources/{resource}/exports"),
            &format!("grant={g}&format=csv"),
        )
        .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
        let id = r.body["id"].as_i64().unwrap();
        let mut state = ExportState::Queued;
        for _ in 0..500 {
            state = sharing_export::get_for(&h.state.store, id, OrgId(a)).await.unwrap().unwrap().state;
            if !matches!(state, ExportState::Queued | ExportState::Running) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(state, ExportState::Ready, "export job {id}");
        jobs.push(id);
    }
    let reason = json!({"reason": "调用异常，核查中"});
    for of in [&grants, &bulk] {
        ok(&h, Method::POST, &format!("/api/v1/grants/{}/suspend", of[1]), &p_officer, Some(reason.clone())).await;
        ok(&h, Method::POST, &format!("/api/v1/grants/{}/revoke", of[2]), &p_officer, Some(reason.clone())).await;
        db.raw(&format!(
            "UPDATE share_grants SET start_date = '2024-01-01', end_date = '2024-12-31' WHERE id = {}",
            of[3]
        ))
        .await
        .unwrap();
    }
    // The copies the sharing channel keeps were read before the raw update above.
    h.state.store.forget_channel_copies();
    let named = |n: Named| match n {
        Named::Active => Some(grants[0]),
        Named::NoGrant => None,
        Named::Suspended => Some(grants[1]),
        Named::Revoked => Some(grants[2]),
        Named::Expired => Some(grants[3]),
    };
    let job = |n: Named| match n {
        Named::Active => jobs[0],
        Named::NoGrant => 999_999,
        Named::Suspended => jobs[1],
        Named::Revoked => jobs[2],
        Named::Expired => jobs[3],
    };

    // The gateway's records before the table's first call.
    let mut seq = gateway_entries_after(&h, 0).await.first().map_or(0, |e| e["seq"].as_i64().unwrap());
    let mut mismatches = Vec::new();
    for (endpoint, app_of, answers) in GATEWAY {
        let app = if *app_of == AppOf::A { &app_a } else { &app_b };
        for (n, expected) in NAMED.into_iter().zip(answers) {
            let mut query = named(n).map(|g| format!("grant={g}")).unwrap_or_default();
            let mut method = "GET";
            let path = match endpoint {
                GatewayEndpoint::Whoami => "/gateway/v1/whoami".to_string(),
                GatewayEndpoint::Lookup => format!("/gateway/v1/resources/{resource}/records/{}", id_number(3)),
                GatewayEndpoint::Query => {
                    query = if query.is_empty() { "limit=5".into() } else { format!("{query}&limit=5") };
                    format!("/gateway/v1/resources/{resource}/records")
                }
                GatewayEndpoint::Export => {
                    method = "POST";
                    query = if query.is_empty() { "format=csv".into() } else { format!("{query}&format=csv") };
                    format!("/gateway/v1/resources/{resource}/exports")
                }
                GatewayEndpoint::ExportState => {
                    query.clear();
                    format!("/gateway/v1/exports/{}", job(n))
                }
                GatewayEndpoint::ExportFile => {
                    query.clear();
                    format!("/gateway/v1/exports/{}/file", job(n))
                }
            };
            let r = signed(&h, app, method, &path, &query).await;
            let cell = format!("{endpoint:?} by the app of {app_of:?} naming {n:?}");
            let got = match r.status {
                StatusCode::OK
                    if r.body["org_id"].as_i64() == Some(app.org) && r.body["app_key"] == app.key.as_str() =>
                {
                    "identity".to_string()
                }
                StatusCode::OK if r.body["record"]["district"].is_string() => "data".to_string(),
                StatusCode::OK if r.body["records"].as_array().is_some_and(|rows| !rows.is_empty()) => "data".into(),
                StatusCode::OK if r.body["id"].as_i64() == Some(job(n)) && r.body["state"] == "ready" => "job".into(),
                StatusCode::OK if r.body.is_null() && r.text.lines().count() == 11 => "file".into(),
                s => format!("{} {}", s.as_u16(), r.body["error"]["code"].as_str().unwrap_or("-")),
            };
            if got != expected.describe() {
                mismatches.push(format!("{cell}: policy {}, got {got}: {}", expected.describe(), r.text));
            }
            if !r.status.is_success() && (r.body.get("record").is_some() || r.body.get("records").is_some()) {
                mismatches.push(format!("{cell}: a refusal carried rows: {}", r.text));
            }
            // Exactly one audit record per call, answered or refused, naming the application.
            let new = gateway_entries_after(&h, seq).await;
            let Some(newest) = new.first() else {
                mismatches.push(format!("{cell}: no audit record"));
                continue;
            };
            seq = newest["seq"].as_i64().unwrap();
            if new.len() != 1 {
                mismatches.push(format!("{cell}: {} audit records", new.len()));
            }
            let summary: Value = newest["summary"]
                .as_str()
                .map_or_else(|| newest["summary"].clone(), |t| serde_json::from_str(t).unwrap());
            // The record describes the call as it was answered.
            let recorded = match newest["outcome"].as_str() {
                Some("success") => r.status.is_success(),
                Some("denied") => !r.status.is_success() && summary["reason"] == r.body["error"]["code"],
                _ => false,
            };
            if !recorded || newest["object_id"].as_str().and_then(|id| id.parse().ok()) != Some(app.id) {
                mismatches.push(format!("{cell}: audit record {newest}"));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} gateway cells differ from the policy:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

backend_tests!(art_14_16_grant_management_authorization_matrix, art_15_16_gateway_authorization_matrix);
