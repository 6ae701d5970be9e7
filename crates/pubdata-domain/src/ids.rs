//! Typed identifiers, so that an organisation's id cannot be passed where a user's is expected.

use serde::{Deserialize, Serialize};

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

typed_id!(
    /// An organisation in the district's tree (authority, agency, town/street, ...).
    OrgId
);
typed_id!(
    /// A user account.
    UserId
);
typed_id!(
    /// A long-lived API token.
    TokenId
);
typed_id!(
    /// A login session (web cookie or API login token).
    SessionId
);
