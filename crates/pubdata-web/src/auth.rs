//! Authorization in one place per request: the `Api<R>` and `Page<R>` extractors authenticate
//! the caller (bearer token, or session cookie) and check the requirement `R` the handler
//! declares in its signature. A handler cannot reach a `Caller` (and so cannot act or audit)
//! without going through one of them. Refusals name the missing permission and are audited.

use crate::AppState;
use crate::error::ApiError;
use crate::i18n::Lang;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use pubdata_domain::audit::events;
use pubdata_domain::identity::{Caller, Permission, Principal, Source};
use pubdata_domain::ids::SessionId;
use pubdata_store::identity::auth;
use std::marker::PhantomData;
use std::net::SocketAddr;

pub const SESSION_COOKIE: &str = "pubdata_session";
pub const LANG_COOKIE: &str = "pubdata_lang";

/// What a route requires of its caller.
pub trait Requirement: Send + Sync + 'static {
    fn check(principal: &Principal) -> Result<(), pubdata_domain::Error>;
}

/// The requirements routes can declare.
pub mod perm {
    use super::Requirement;
    use pubdata_domain::identity::{Permission, Principal};

    macro_rules! requirement {
        ($($(#[$doc:meta])* $name:ident => $perm:ident),* $(,)?) => {$(
            $(#[$doc])*
            pub struct $name;
            impl Requirement for $name {
                fn check(p: &Principal) -> Result<(), pubdata_domain::Error> {
                    p.require(Permission::$perm)
                }
            }
        )*};
    }

    requirement! {
        AccountSelf => AccountSelf,
        TokenManageOwn => TokenManageOwn,
        OrgRead => OrgRead,
        OrgManage => OrgManage,
        UserRead => UserRead,
        AuditRead => AuditRead,
        AuditVerify => AuditVerify,
        AuditExport => AuditExport,
        CalendarRead => CalendarRead,
        CalendarManage => CalendarManage,
        DemandFile => DemandFile,
        CatalogRead => CatalogRead,
        CatalogCompile => CatalogCompile,
        CatalogReview => CatalogReview,
        ProjectManage => ProjectManage,
        AggregationDeliver => AggregationDeliver,
        AggregationRead => AggregationRead,
        VerificationManage => VerificationManage,
        VerificationAnswer => VerificationAnswer,
        SharingRequest => SharingRequest,
        SharingReview => SharingReview,
        SharingArbitrate => SharingArbitrate,
        ClientAppManage => ClientAppManage,
    }

    /// Any authenticated principal, even one that must still change its password.
    pub struct Authenticated;
    impl Requirement for Authenticated {
        fn check(_: &Principal) -> Result<(), pubdata_domain::Error> {
            Ok(())
        }
    }

    /// Manages users: of any organisation (`user.manage`) or of the own agency
    /// (`user.manage_agency`); which accounts exactly is checked against the object.
    pub struct UserAdmin;
    impl Requirement for UserAdmin {
        fn check(p: &Principal) -> Result<(), pubdata_domain::Error> {
            p.require(Permission::UserManage).or_else(|_| p.require(Permission::UserManageAgency))
        }
    }

    /// Reads the demand list (Art.9, 15): holders of a demand permission, and the roles that
    /// oversee every organisation; which demands exactly is checked against each one.
    pub struct DemandRead;
    impl Requirement for DemandRead {
        fn check(p: &Principal) -> Result<(), pubdata_domain::Error> {
            pubdata_domain::demand::require_read(p)
        }
    }

    /// Reads share requests and grants (Art.13-16): holders of a sharing permission; which ones
    /// exactly is checked against each.
    pub struct SharingRead;
    impl Requirement for SharingRead {
        fn check(p: &Principal) -> Result<(), pubdata_domain::Error> {
            pubdata_domain::sharing::require_read(p)
        }
    }

    /// Reads verification tasks (Art.11): holders of a verification permission, and the roles
    /// that oversee every organisation; which tasks exactly is checked against each one.
    pub struct VerificationRead;
    impl Requirement for VerificationRead {
        fn check(p: &Principal) -> Result<(), pubdata_domain::Error> {
            pubdata_domain::verification::require_read(p)
        }
    }

    /// Reads client applications (Art.15): holders of `client_app.read` or `.manage`; which
    /// applications exactly is checked against each one.
    pub struct ClientAppRead;
    impl Requirement for ClientAppRead {
        fn check(p: &Principal) -> Result<(), pubdata_domain::Error> {
            pubdata_domain::client_app::require_read(p)
        }
    }
}

/// Where the request came from: client address (the forwarding proxy's header only when
/// configured to trust it), user agent and request id.
pub fn source_of(parts: &Parts, state: &AppState) -> Source {
    let forwarded = state
        .config
        .trust_proxy
        .then(|| parts.headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()))
        .flatten()
        .and_then(|v| v.split(',').next())
        .map(|v| v.trim().to_string());
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string());
    Source {
        ip: forwarded.or(peer),
        user_agent: header_text(&parts.headers, header::USER_AGENT.as_str()),
        request_id: header_text(&parts.headers, "x-request-id"),
    }
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(|s| s.chars().take(256).collect())
}

async fn record_denial(state: &AppState, caller: &Caller, missing: Permission, parts: &Parts) {
    let event = events::access_denied(missing, parts.method.as_str(), parts.uri.path());
    if let Err(e) = state.store.audit().record(caller.actor(), event).await {
        tracing::error!(error = %e, "could not record a refusal");
    }
}

/// Checks `R`; on refusal audits it (for a missing permission) and returns the domain error.
async fn authorize<R: Requirement>(
    state: &AppState,
    caller: &Caller,
    parts: &Parts,
) -> Result<(), pubdata_domain::Error> {
    let checked = R::check(&caller.principal);
    if let Err(pubdata_domain::Error::Forbidden(p)) = &checked {
        record_denial(state, caller, *p, parts).await;
    }
    checked
}

/// An API caller authenticated by `Authorization: Bearer …` and holding `R`.
pub struct Api<R> {
    pub caller: Caller,
    pub session: Option<SessionId>,
    _requirement: PhantomData<R>,
}

impl<R: Requirement> FromRequestParts<AppState> for Api<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let secret = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or_else(ApiError::unauthenticated)?;
        let found = auth::authenticate_bearer(&state.store, &state.config.auth, secret).await?;
        let found = found.ok_or_else(ApiError::unauthenticated)?;
        let caller = Caller { principal: found.principal, source: source_of(parts, state) };
        authorize::<R>(state, &caller, parts).await?;
        Ok(Api { caller, session: found.session_id, _requirement: PhantomData })
    }
}

/// The language of a page request: the language cookie, else Chinese.
pub fn lang_of(jar: &CookieJar) -> Lang {
    jar.get(LANG_COOKIE).and_then(|c| Lang::from_code(c.value())).unwrap_or_default()
}

/// The session's CSRF token, placed in the request for `CsrfForm` to check against.
#[derive(Clone)]
pub struct SessionCsrf(pub String);

/// A page visitor logged in with the session cookie and holding `R`.
pub struct Page<R> {
    pub caller: Caller,
    pub session: SessionId,
    pub csrf: String,
    pub lang: Lang,
    _requirement: PhantomData<R>,
}

/// Why a page request was not let through.
pub enum PageRefusal {
    /// Not logged in: to the login page, coming back afterwards.
    Login {
        next: String,
    },
    /// A generated password must be changed first.
    ChangePassword,
    Denied {
        lang: Lang,
        error: ApiError,
    },
}

impl IntoResponse for PageRefusal {
    fn into_response(self) -> Response {
        match self {
            PageRefusal::Login { next } => {
                let next = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
                Redirect::to(&format!("/login?{next}")).into_response()
            }
            PageRefusal::ChangePassword => Redirect::to("/account/password").into_response(),
            PageRefusal::Denied { lang, error } => crate::pages::error_page(lang, error),
        }
    }
}

impl<R: Requirement> FromRequestParts<AppState> for Page<R> {
    type Rejection = PageRefusal;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageRefusal> {
        let jar = CookieJar::from_headers(&parts.headers);
        let lang = lang_of(&jar);
        let next = parts.uri.path_and_query().map_or("/".to_string(), |p| p.as_str().to_string());
        let Some(cookie) = jar.get(SESSION_COOKIE) else {
            return Err(PageRefusal::Login { next });
        };
        let found = auth::authenticate_session(&state.store, &state.config.auth, cookie.value(), true)
            .await
            .map_err(|e| PageRefusal::Denied { lang, error: e.into() })?;
        let Some(found) = found else {
            return Err(PageRefusal::Login { next });
        };
        let (Some(session), Some(csrf)) = (found.session_id, found.csrf_token) else {
            return Err(PageRefusal::Login { next });
        };
        let caller = Caller { principal: found.principal, source: source_of(parts, state) };
        // A generated password must be changed before anything else but logging out.
        if caller.principal.must_change_password && !matches!(parts.uri.path(), "/account/password" | "/logout") {
            return Err(PageRefusal::ChangePassword);
        }
        match authorize::<R>(state, &caller, parts).await {
            Ok(()) => {}
            Err(pubdata_domain::Error::PasswordChangeRequired) => return Err(PageRefusal::ChangePassword),
            Err(e) => return Err(PageRefusal::Denied { lang, error: e.into() }),
        }
        parts.extensions.insert(SessionCsrf(csrf.clone()));
        Ok(Page { caller, session, csrf, lang, _requirement: PhantomData })
    }
}

/// Where an unauthenticated request (login, registration) came from.
pub struct ClientSource(pub Source);

impl FromRequestParts<AppState> for ClientSource {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(ClientSource(source_of(parts, state)))
    }
}
