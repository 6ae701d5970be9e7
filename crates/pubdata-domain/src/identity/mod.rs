//! Identity: the organisation tree, users and their roles, permissions, credentials and the
//! principal a request acts as. Art.5 (who governs), Art.26 (accountable head).

mod org;
mod password;
mod permission;
mod policy;
mod principal;
mod role;
mod throttle;
mod token;
mod user;

pub use org::{AgencyCategory, NewOrganisation, OrgKind, OrgName, OrgStatus, Organisation, OrganisationChange};
pub use password::{Password, PasswordHash, generate_one_time_password};
pub use permission::Permission;
pub use policy::{check_parent, check_role_assignment};
pub use principal::{Caller, Principal, Scope, Source};
pub use role::Role;
pub use throttle::{ThrottleDecision, ThrottlePolicy, ThrottleState};
pub use token::{TokenExpiry, TokenName, TokenScope};
pub use user::{DisplayName, User, UserStatus, Username, parse_email, parse_phone};
