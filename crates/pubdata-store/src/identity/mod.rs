//! Identity use-cases over storage: organisations, users, login and sessions, API tokens.

pub mod auth;
pub mod orgs;
mod rows;
mod throttle;
pub mod tokens;
pub mod users;

pub use auth::{AuthSettings, Authenticated, LoginOutcome, Via};
pub use tokens::{ApiToken, NewToken};
pub use users::{NewUserInput, UserChange};
