//! The authenticated agent: who signed in (or which service), with its tokens and what it may
//! do. A plain value, built from a token set and the ID token's verified claims; the access
//! checks are compiled once ([`AccessProfile`]) when it is built.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::authz::scope::{AccessProfile, Organization};
use crate::error::{Error, Result};
use crate::oidc::TokenSet;
use crate::secret::AccessToken;

/// What kind of principal an agent is, from the prefix of its id (as the reference SDK):
/// `usr_` user, `tok_` personal access token, `key_` API key, `agt_` agent; anything else is a
/// user.
///
/// ```
/// use idpkit::oidc::PrincipalType;
/// assert_eq!(PrincipalType::from_id("key_123"), PrincipalType::ApiKey);
/// assert_eq!(PrincipalType::from_id("alice"), PrincipalType::User);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalType {
    /// A person (`usr_`, and the default).
    User,
    /// A personal access token (`tok_`).
    PersonalToken,
    /// An API key (`key_`).
    ApiKey,
    /// A machine agent or service (`agt_`, and every client-credentials agent).
    Agent,
}

impl PrincipalType {
    /// The type of the principal with this id.
    ///
    /// ```
    /// use idpkit::oidc::PrincipalType;
    /// assert_eq!(PrincipalType::from_id("agt_build-bot"), PrincipalType::Agent);
    /// assert_eq!(PrincipalType::from_id("tok_9"), PrincipalType::PersonalToken);
    /// ```
    pub fn from_id(id: &str) -> Self {
        if id.starts_with("tok_") {
            PrincipalType::PersonalToken
        } else if id.starts_with("key_") {
            PrincipalType::ApiKey
        } else if id.starts_with("agt_") {
            PrincipalType::Agent
        } else {
            PrincipalType::User
        }
    }
}

/// A signed-in user or an authenticated service: identity, tokens, claims and access checks.
///
/// Built by the client after the code exchange, a refresh or a client-credentials grant, with
/// the ID token already verified. `Debug` never shows a token.
///
/// ```
/// use idpkit::oidc::{Principal, PrincipalType};
/// use idpkit::oidc::TokenSet;
///
/// let tokens: TokenSet = serde_json::from_value(serde_json::json!({
///     "access_token": "at", "token_type": "Bearer", "scope": "openid projects:read"
/// })).unwrap();
/// let claims = serde_json::json!({
///     "sub": "usr_alice",
///     "email": "alice@example.com",
///     "email_verified": true,
///     "organizations": [{"id": "org_acme", "title": "Acme", "scopes": ["owner", "projects:**"], "joined_at": "2024-01-15T10:00:00Z"}]
/// });
/// let agent = Principal::from_claims(tokens, claims.as_object().unwrap().clone()).unwrap();
/// assert_eq!(agent.principal_type(), PrincipalType::User);
/// assert!(agent.has_access("write", "projects.tasks"));
/// assert!(agent.is_owner_of("org_acme"));
/// assert!(!agent.is_admin_of("org_acme"));
/// ```
///
/// Cheap to clone: the state is shared behind an `Arc`, so a session hands out a `Principal`
/// by value as the client does.
#[derive(Clone)]
pub struct Principal(Arc<PrincipalInner>);

struct PrincipalInner {
    id: String,
    principal_type: PrincipalType,
    tokens: TokenSet,
    claims: serde_json::Map<String, serde_json::Value>,
    access: AccessProfile,
}

impl Principal {
    /// An agent from a token set and the verified claims of its ID token (or of userinfo).
    /// `sub` is required; `organizations` is read when present; with no organizations, access
    /// checks fall back to the token's `scope`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::MalformedResponse`](crate::ErrorKind::MalformedResponse) when `sub` is missing
    /// or not a string.
    ///
    /// ```
    /// # use idpkit::oidc::{Principal, TokenSet};
    /// # let tokens: TokenSet = serde_json::from_str(r#"{"access_token":"a","token_type":"Bearer"}"#).unwrap();
    /// let err = Principal::from_claims(tokens, serde_json::Map::new()).unwrap_err();
    /// assert!(err.to_string().contains("sub"));
    /// ```
    pub fn from_claims(
        tokens: TokenSet,
        claims: serde_json::Map<String, serde_json::Value>,
    ) -> Result<Self> {
        let id = match claims.get("sub") {
            Some(serde_json::Value::String(s)) if !s.is_empty() => s.clone(),
            _ => {
                return Err(Error::malformed("ID token claims", "no `sub` string claim"));
            }
        };
        let organizations = claims
            .get("organizations")
            .map(Organization::parse_claim)
            .unwrap_or_default();
        let access = AccessProfile::new(organizations, tokens.scope.as_deref());
        Ok(Principal(Arc::new(PrincipalInner {
            principal_type: PrincipalType::from_id(&id),
            id,
            tokens,
            claims,
            access,
        })))
    }

    /// A service agent from a client-credentials token: its id is the client id, its type
    /// [`PrincipalType::Agent`], its access the token's own scopes.
    ///
    /// ```
    /// # use idpkit::oidc::{Principal, PrincipalType, TokenSet};
    /// let tokens: TokenSet = serde_json::from_str(
    ///     r#"{"access_token":"a","token_type":"Bearer","scope":"projects:read"}"#).unwrap();
    /// let agent = Principal::for_service("billing", tokens);
    /// assert_eq!(agent.principal_type(), PrincipalType::Agent);
    /// assert!(agent.has_access("read", "projects"));
    /// ```
    pub fn for_service(client_id: &str, tokens: TokenSet) -> Self {
        let access = AccessProfile::new(Vec::<Organization>::new(), tokens.scope.as_deref());
        let mut claims = serde_json::Map::new();
        claims.insert("sub".into(), client_id.into());
        Principal(Arc::new(PrincipalInner {
            id: client_id.to_owned(),
            principal_type: PrincipalType::Agent,
            tokens,
            claims,
            access,
        }))
    }

    /// The same agent with new tokens and, when a new ID token came with them, new claims.
    #[cfg_attr(not(any(feature = "blocking", feature = "async")), allow(dead_code))]
    pub(crate) fn refreshed(
        &self,
        tokens: TokenSet,
        claims: Option<serde_json::Map<String, serde_json::Value>>,
    ) -> Result<Self> {
        match claims {
            Some(claims) => Principal::from_claims(tokens, claims),
            None if self.0.principal_type == PrincipalType::Agent && self.0.claims.len() == 1 => {
                Ok(Principal::for_service(&self.0.id, tokens))
            }
            None => Principal::from_claims(tokens, self.0.claims.clone()),
        }
    }

    /// The principal's id (the `sub` claim, or the client id of a service).
    ///
    /// ```
    /// # use idpkit::oidc::{Principal, TokenSet};
    /// # let tokens: TokenSet = serde_json::from_str(r#"{"access_token":"a","token_type":"Bearer"}"#).unwrap();
    /// let agent = Principal::for_service("billing", tokens);
    /// assert_eq!(agent.id(), "billing");
    /// ```
    pub fn id(&self) -> &str {
        &self.0.id
    }

    /// The kind of principal.
    ///
    /// ```
    /// # use idpkit::oidc::{Principal, PrincipalType, TokenSet};
    /// # let tokens: TokenSet = serde_json::from_str(r#"{"access_token":"a","token_type":"Bearer"}"#).unwrap();
    /// assert_eq!(Principal::for_service("x", tokens).principal_type(), PrincipalType::Agent);
    /// ```
    pub fn principal_type(&self) -> PrincipalType {
        self.0.principal_type
    }

    /// The `email` claim.
    ///
    /// ```
    /// # use idpkit::oidc::{Principal, TokenSet};
    /// # let tokens: TokenSet = serde_json::from_str(r#"{"access_token":"a","token_type":"Bearer"}"#).unwrap();
    /// let claims = serde_json::json!({"sub": "usr_1", "email": "a@example.com"});
    /// let agent = Principal::from_claims(tokens, claims.as_object().unwrap().clone()).unwrap();
    /// assert_eq!(agent.email(), Some("a@example.com"));
    /// ```
    pub fn email(&self) -> Option<&str> {
        self.0.claims.get("email").and_then(|v| v.as_str())
    }

    /// The `email_verified` claim (false when absent).
    ///
    /// ```
    /// # use idpkit::oidc::{Principal, TokenSet};
    /// # let tokens: TokenSet = serde_json::from_str(r#"{"access_token":"a","token_type":"Bearer"}"#).unwrap();
    /// let claims = serde_json::json!({"sub": "usr_1", "email_verified": true});
    /// let agent = Principal::from_claims(tokens, claims.as_object().unwrap().clone()).unwrap();
    /// assert!(agent.email_verified());
    /// ```
    pub fn email_verified(&self) -> bool {
        self.0
            .claims
            .get("email_verified")
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    }

    /// The organizations of the `organizations` claim.
    ///
    /// ```
    /// # use idpkit::oidc::{Principal, TokenSet};
    /// # let tokens: TokenSet = serde_json::from_str(r#"{"access_token":"a","token_type":"Bearer"}"#).unwrap();
    /// # let agent = Principal::for_service("x", tokens);
    /// for org in agent.organizations() {
    ///     println!("{}: {:?}", org.id, org.scopes);
    /// }
    /// ```
    pub fn organizations(&self) -> &[Organization] {
        self.0.access.organizations()
    }

    /// The compiled access checks.
    ///
    /// ```
    /// # use idpkit::oidc::{Principal, TokenSet};
    /// # let tokens: TokenSet = serde_json::from_str(r#"{"access_token":"a","token_type":"Bearer","scope":"a:read"}"#).unwrap();
    /// # let agent = Principal::for_service("x", tokens);
    /// assert!(agent.access().token_scopes().contains("a:read"));
    /// ```
    pub fn access(&self) -> &AccessProfile {
        &self.0.access
    }

    /// The token set (store it to resume the session later).
    ///
    /// ```
    /// # use idpkit::oidc::{Principal, TokenSet};
    /// # let tokens: TokenSet = serde_json::from_str(r#"{"access_token":"a","token_type":"Bearer"}"#).unwrap();
    /// # let agent = Principal::for_service("x", tokens);
    /// let stored = serde_json::to_string(agent.tokens()).unwrap();
    /// ```
    pub fn tokens(&self) -> &TokenSet {
        &self.0.tokens
    }

    /// The access token, for calling APIs.
    ///
    /// ```
    /// # use idpkit::oidc::{Principal, TokenSet};
    /// # let tokens: TokenSet = serde_json::from_str(r#"{"access_token":"a","token_type":"Bearer"}"#).unwrap();
    /// # let agent = Principal::for_service("x", tokens);
    /// let header = format!("Bearer {}", agent.access_token().expose_secret());
    /// ```
    pub fn access_token(&self) -> &AccessToken {
        &self.0.tokens.access_token
    }

    /// When the access token expires, if the provider said; `None` too for an expiry beyond
    /// what a `SystemTime` can hold (an `expires_in` of billions of years, which
    /// [`is_expired`](Self::is_expired) treats as never).
    ///
    /// ```
    /// # use idpkit::oidc::{Principal, TokenSet};
    /// # let tokens: TokenSet = serde_json::from_str(r#"{"access_token":"a","token_type":"Bearer","expires_at":1700000000}"#).unwrap();
    /// # let agent = Principal::for_service("x", tokens);
    /// assert!(agent.expires_at().is_some());
    /// ```
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.0
            .tokens
            .expires_at
            .and_then(|secs| UNIX_EPOCH.checked_add(Duration::from_secs(secs)))
    }

    /// How long the access token stays valid from now (zero once expired; `None` if unknown).
    ///
    /// ```
    /// # use idpkit::oidc::{Principal, TokenSet};
    /// # let tokens: TokenSet = serde_json::from_str(r#"{"access_token":"a","token_type":"Bearer","expires_at":1}"#).unwrap();
    /// # let agent = Principal::for_service("x", tokens);
    /// assert_eq!(agent.expires_in(), Some(std::time::Duration::ZERO));
    /// ```
    pub fn expires_in(&self) -> Option<Duration> {
        self.0.tokens.expires_in(SystemTime::now())
    }

    /// Whether the access token expires within `buffer` from now (by the system clock). Unknown
    /// expiry counts as not expired.
    ///
    /// ```
    /// # use idpkit::oidc::{Principal, TokenSet};
    /// # let tokens: TokenSet = serde_json::from_str(r#"{"access_token":"a","token_type":"Bearer","expires_at":1}"#).unwrap();
    /// # let agent = Principal::for_service("x", tokens);
    /// assert!(agent.is_expired(std::time::Duration::from_secs(60)));
    /// ```
    pub fn is_expired(&self, buffer: Duration) -> bool {
        self.0.tokens.is_expired(SystemTime::now(), buffer)
    }

    /// Whether `action` on `resource` is allowed: by any organization, or by the token's scopes
    /// when there are no organizations (see [`crate::authz::scope`]).
    ///
    /// ```
    /// # use idpkit::oidc::{Principal, TokenSet};
    /// # let tokens: TokenSet = serde_json::from_str(r#"{"access_token":"a","token_type":"Bearer","scope":"users:read"}"#).unwrap();
    /// # let agent = Principal::for_service("x", tokens);
    /// assert!(agent.has_access("read", "users"));
    /// assert!(!agent.has_access("write", "users"));
    /// ```
    pub fn has_access(&self, action: &str, resource: &str) -> bool {
        self.0.access.has_access(action, resource)
    }

    /// Whether organization `org_id` allows `action` on `resource`.
    ///
    /// ```
    /// # use idpkit::oidc::{Principal, TokenSet};
    /// # let tokens: TokenSet = serde_json::from_str(r#"{"access_token":"a","token_type":"Bearer"}"#).unwrap();
    /// # let agent = Principal::for_service("x", tokens);
    /// assert!(!agent.has_access_in("org_unknown", "read", "users"));
    /// ```
    pub fn has_access_in(&self, org_id: &str, action: &str, resource: &str) -> bool {
        self.0.access.has_access_in(org_id, action, resource)
    }

    /// The scopes organization `org_id` grants (empty when not a member).
    ///
    /// ```
    /// # use idpkit::oidc::{Principal, TokenSet};
    /// # let tokens: TokenSet = serde_json::from_str(r#"{"access_token":"a","token_type":"Bearer"}"#).unwrap();
    /// # let agent = Principal::for_service("x", tokens);
    /// assert!(agent.get_scopes_for("org_unknown").is_empty());
    /// ```
    pub fn get_scopes_for(&self, org_id: &str) -> &[String] {
        self.0.access.get_scopes_for(org_id)
    }

    /// Whether the agent owns organization `org_id` (its scopes include `owner`).
    ///
    /// ```
    /// # use idpkit::oidc::{Principal, TokenSet};
    /// # let tokens: TokenSet = serde_json::from_str(r#"{"access_token":"a","token_type":"Bearer"}"#).unwrap();
    /// # let agent = Principal::for_service("x", tokens);
    /// assert!(!agent.is_owner_of("org_acme"));
    /// ```
    pub fn is_owner_of(&self, org_id: &str) -> bool {
        self.0.access.is_owner_of(org_id)
    }

    /// Whether the agent administers organization `org_id` (its scopes include `admin`).
    ///
    /// ```
    /// # use idpkit::oidc::{Principal, TokenSet};
    /// # let tokens: TokenSet = serde_json::from_str(r#"{"access_token":"a","token_type":"Bearer"}"#).unwrap();
    /// # let agent = Principal::for_service("x", tokens);
    /// assert!(!agent.is_admin_of("org_acme"));
    /// ```
    pub fn is_admin_of(&self, org_id: &str) -> bool {
        self.0.access.is_admin_of(org_id)
    }

    /// Whether the agent belongs to organization `org_id`.
    ///
    /// ```
    /// # use idpkit::oidc::{Principal, TokenSet};
    /// # let tokens: TokenSet = serde_json::from_str(r#"{"access_token":"a","token_type":"Bearer"}"#).unwrap();
    /// # let agent = Principal::for_service("x", tokens);
    /// assert!(!agent.is_member_of("org_acme"));
    /// ```
    pub fn is_member_of(&self, org_id: &str) -> bool {
        self.0.access.is_member_of(org_id)
    }

    /// All claims (of the ID token, or `sub` alone for a service).
    ///
    /// ```
    /// # use idpkit::oidc::{Principal, TokenSet};
    /// # let tokens: TokenSet = serde_json::from_str(r#"{"access_token":"a","token_type":"Bearer"}"#).unwrap();
    /// # let agent = Principal::for_service("x", tokens);
    /// assert_eq!(agent.claims()["sub"], "x");
    /// ```
    pub fn claims(&self) -> &serde_json::Map<String, serde_json::Value> {
        &self.0.claims
    }

    /// The claims as the application's own type.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::MalformedResponse`](crate::ErrorKind::MalformedResponse) when the claims do
    /// not fit `T` (the message says where, without values).
    ///
    /// ```
    /// # use idpkit::oidc::{Principal, TokenSet};
    /// # let tokens: TokenSet = serde_json::from_str(r#"{"access_token":"a","token_type":"Bearer"}"#).unwrap();
    /// # let agent = Principal::for_service("svc", tokens);
    /// #[derive(serde::Deserialize)]
    /// struct Mine { sub: String }
    /// let mine: Mine = agent.claims_as().unwrap();
    /// assert_eq!(mine.sub, "svc");
    /// ```
    pub fn claims_as<T: DeserializeOwned>(&self) -> Result<T> {
        T::deserialize(serde_json::Value::Object(self.0.claims.clone())).map_err(|e| {
            Error::malformed(
                "claims of the requested type",
                crate::http::describe_json_error(&e),
            )
        })
    }
}

impl std::fmt::Debug for Principal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Principal")
            .field("id", &self.0.id)
            .field("principal_type", &self.0.principal_type)
            .field("email", &self.email())
            .field("organizations", &self.organizations().len())
            .field("tokens", &self.0.tokens)
            .finish_non_exhaustive()
    }
}

type OnRefresh = std::sync::Arc<dyn Fn(&TokenSet) + Send + Sync>;
type OnRefreshError = std::sync::Arc<dyn Fn(&Error) + Send + Sync>;

/// Options of a session made by `create_agent`.
///
/// ```
/// use idpkit::oidc::SessionOptions;
/// let options = SessionOptions::new()
///     .on_refresh(|tokens| println!("store the new tokens (expire at {:?})", tokens.expires_at))
///     .on_refresh_error(|e| eprintln!("refresh failed: {e}"))
///     .auto_refresh(true);
/// ```
#[derive(Clone, Default)]
#[must_use]
pub struct SessionOptions {
    pub(crate) on_refresh: Option<OnRefresh>,
    pub(crate) on_refresh_error: Option<OnRefreshError>,
    pub(crate) auto_refresh: Option<bool>,
    pub(crate) refresh_reuse_grace: bool,
}

impl SessionOptions {
    /// No callbacks; automatic refresh as the client is configured.
    ///
    /// ```
    /// let options = idpkit::oidc::SessionOptions::new();
    /// ```
    pub fn new() -> Self {
        SessionOptions::default()
    }

    /// Called with every new token set, as soon as the provider's answer is parsed and before
    /// anything else can fail: store the tokens here, since a rotated-out refresh token no
    /// longer works.
    ///
    /// ```
    /// let options = idpkit::oidc::SessionOptions::new().on_refresh(|tokens| {
    ///     let _json = serde_json::to_string(tokens);
    /// });
    /// ```
    pub fn on_refresh(mut self, f: impl Fn(&TokenSet) + Send + Sync + 'static) -> Self {
        self.on_refresh = Some(std::sync::Arc::new(f));
        self
    }

    /// Called with the error when a refresh fails (the error is also returned): once per failed
    /// refresh, so once when the session ends
    /// ([`ErrorKind::SignInRequired`](crate::ErrorKind::SignInRequired)), never for the calls
    /// that find it ended.
    ///
    /// ```
    /// let options = idpkit::oidc::SessionOptions::new().on_refresh_error(|e| eprintln!("{e}"));
    /// ```
    pub fn on_refresh_error(mut self, f: impl Fn(&Error) + Send + Sync + 'static) -> Self {
        self.on_refresh_error = Some(std::sync::Arc::new(f));
        self
    }

    /// The provider accepts a rotated-out refresh token again for a short while (a reuse grace
    /// period: Okta's, Auth0's "reuse interval", Keycloak's refresh-token reuse count). Then a
    /// refresh whose answer was lost is retried once, at once, with the same token, instead of
    /// ending the session. Default off: on a provider without one (node-oidc-provider, and
    /// Okta or Auth0 with it set to 0) the retry would make the provider revoke the grant.
    ///
    /// ```
    /// let options = idpkit::oidc::SessionOptions::new().refresh_reuse_grace(true);
    /// ```
    pub fn refresh_reuse_grace(mut self, on: bool) -> Self {
        self.refresh_reuse_grace = on;
        self
    }

    /// Refresh automatically (default: the client's setting, on unless configured off).
    ///
    /// ```
    /// let options = idpkit::oidc::SessionOptions::new().auto_refresh(false);
    /// ```
    pub fn auto_refresh(mut self, on: bool) -> Self {
        self.auto_refresh = Some(on);
        self
    }
}

impl std::fmt::Debug for SessionOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionOptions")
            .field("on_refresh", &self.on_refresh.is_some())
            .field("on_refresh_error", &self.on_refresh_error.is_some())
            .field("auto_refresh", &self.auto_refresh)
            .field("refresh_reuse_grace", &self.refresh_reuse_grace)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the `token_response` fuzz target: a provider's `expires_in` near `u64::MAX`
    /// made `expires_at` overflow `SystemTime` and panic.
    #[test]
    fn an_expiry_beyond_system_time_is_none_not_a_panic() {
        let body =
            br#"{"access_token":"at","token_type":"Bearer","expires_in":10000000000000000000}"#;
        let response = http::Response::builder()
            .header("content-type", "application/json")
            .body(body.to_vec())
            .unwrap();
        let tokens = crate::oidc::parse_token_response(response, SystemTime::now()).unwrap();
        let agent = Principal::for_service("svc", tokens);
        assert_eq!(agent.expires_at(), None);
        assert!(!agent.is_expired(Duration::from_secs(60)));
        assert!(
            agent
                .expires_in()
                .is_some_and(|d| d > Duration::from_secs(1 << 62))
        );
    }
}
