//! The claims of a login-type token, what to issue ([`Issue`]) and what was issued
//! ([`IssuedToken`], [`TokenPair`]).

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::LoginError;

/// An access or a refresh token (the `type` claim).
///
/// ```
/// use idpkit::login::TokenKind;
/// assert_eq!(TokenKind::Refresh.as_str(), "refresh");
/// assert_eq!(serde_json::to_value(TokenKind::Access).unwrap(), "access");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    /// An access token.
    Access,
    /// A refresh token.
    Refresh,
}

impl TokenKind {
    /// The claim value: `access` or `refresh`.
    ///
    /// ```
    /// assert_eq!(idpkit::login::TokenKind::Access.as_str(), "access");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Access => "access",
            TokenKind::Refresh => "refresh",
        }
    }
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn access() -> TokenKind {
    TokenKind::Access
}

/// The claims of a verified login-type token: the registered ones typed, the application's
/// custom claims in [`custom`](Self::custom) as `T` (any serde type; a JSON object by default).
///
/// ```
/// use idpkit::login::{LoginClaims, TokenKind};
/// #[derive(serde::Deserialize)]
/// struct Profile { role: String }
/// let claims: LoginClaims<Profile> = serde_json::from_value(serde_json::json!({
///     "sub": "alice", "jti": "j1", "type": "access", "fresh": false, "csrf": "",
///     "iat": 1_700_000_000, "exp": 1_700_000_900, "login_type": "users", "role": "editor"
/// })).unwrap();
/// assert_eq!((claims.kind, claims.custom.role.as_str()), (TokenKind::Access, "editor"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LoginClaims<T = Map<String, Value>> {
    /// The subject (`sub`): the user or client id the token was issued to.
    pub sub: String,
    /// The token id (`jti`), what a [`Blocklist`](super::Blocklist) revokes.
    pub jti: String,
    /// Access or refresh (`type`; AuthX reads a token without one as access).
    #[serde(rename = "type", default = "access")]
    pub kind: TokenKind,
    /// Whether the access token was issued fresh (after a password login, not a refresh).
    #[serde(default)]
    pub fresh: bool,
    /// The CSRF double-submit value; empty when the login type does not use cookies.
    #[serde(default)]
    pub csrf: String,
    /// Issue time, seconds since the Unix epoch.
    #[serde(deserialize_with = "crate::oidc::id_token::numeric_date")]
    pub iat: u64,
    /// Expiry, seconds since the Unix epoch (fractions dropped).
    #[serde(
        default,
        deserialize_with = "crate::oidc::id_token::opt_numeric_date",
        skip_serializing_if = "Option::is_none"
    )]
    pub exp: Option<u64>,
    /// The issuer, when the login type has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// The audiences, when the login type has one.
    #[serde(
        default,
        deserialize_with = "crate::oidc::id_token::opt_audience",
        skip_serializing_if = "Option::is_none"
    )]
    pub aud: Option<Vec<String>>,
    /// The scopes the token grants, when it was issued with some.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    /// The login type that issued it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_type: Option<String>,
    /// Every other claim.
    #[serde(flatten)]
    pub custom: T,
}

/// What to issue: an access or refresh token of a login type for a subject, with options.
///
/// ```
/// use idpkit::login::Issue;
/// #[derive(serde::Serialize)]
/// struct Profile { role: &'static str }
/// let issue = Issue::access("users", "alice")
///     .fresh(true)
///     .scopes(["posts:read", "posts:write"])
///     .data(&Profile { role: "editor" });
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Issue {
    pub(crate) login_type: String,
    pub(crate) subject: String,
    pub(crate) kind: TokenKind,
    pub(crate) fresh: bool,
    pub(crate) scopes: Option<Vec<String>>,
    pub(crate) audience: Option<String>,
    pub(crate) lifetime: Option<Option<Duration>>,
    pub(crate) data: Result<Map<String, Value>, LoginError>,
}

impl Issue {
    fn new(login_type: &str, subject: &str, kind: TokenKind) -> Self {
        Issue {
            login_type: login_type.to_owned(),
            subject: subject.to_owned(),
            kind,
            fresh: false,
            scopes: None,
            audience: None,
            lifetime: None,
            data: Ok(Map::new()),
        }
    }

    /// An access token of `login_type` for `subject`.
    ///
    /// ```
    /// let issue = idpkit::login::Issue::access("users", "alice");
    /// ```
    pub fn access(login_type: &str, subject: &str) -> Self {
        Issue::new(login_type, subject, TokenKind::Access)
    }

    /// A refresh token of `login_type` for `subject`.
    ///
    /// ```
    /// let issue = idpkit::login::Issue::refresh("users", "alice");
    /// ```
    pub fn refresh(login_type: &str, subject: &str) -> Self {
        Issue::new(login_type, subject, TokenKind::Refresh)
    }

    /// Marks an access token fresh (issued after a login, not a refresh); ignored for refresh
    /// tokens, which carry no `fresh` claim.
    ///
    /// ```
    /// let issue = idpkit::login::Issue::access("users", "alice").fresh(true);
    /// ```
    pub fn fresh(mut self, fresh: bool) -> Self {
        self.fresh = fresh;
        self
    }

    /// The scopes (`scopes` claim) the token grants.
    ///
    /// ```
    /// let issue = idpkit::login::Issue::access("users", "alice").scopes(["posts:read"]);
    /// ```
    pub fn scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.scopes = Some(scopes.into_iter().map(Into::into).collect());
        self
    }

    /// The audience, instead of the login type's.
    ///
    /// ```
    /// let issue = idpkit::login::Issue::access("users", "alice").audience("mobile");
    /// ```
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// The lifetime, instead of the login type's (`None`: no `exp`).
    ///
    /// ```
    /// let issue = idpkit::login::Issue::access("users", "alice").lifetime(Some(std::time::Duration::from_secs(60)));
    /// ```
    pub fn lifetime(mut self, lifetime: Option<Duration>) -> Self {
        self.lifetime = Some(lifetime);
        self
    }

    /// Custom claims: `data` must serialize to a JSON object, none of whose members is a
    /// registered claim (`sub`, `jti`, `type`, `fresh`, `csrf`, `iat`, `exp`, `nbf`, `iss`,
    /// `aud`, `scopes`, `login_type`); otherwise [`issue`](super::LoginManager::issue) fails
    /// with [`LoginError::ReservedClaim`] or [`LoginError::CustomClaims`].
    ///
    /// ```
    /// let issue = idpkit::login::Issue::access("users", "alice")
    ///     .data(&serde_json::json!({"role": "editor", "tenant": 7}));
    /// ```
    pub fn data(mut self, data: &impl Serialize) -> Self {
        self.data = match serde_json::to_value(data) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err(LoginError::CustomClaims(
                "custom data must serialize to a JSON object".into(),
            )),
            Err(e) => Err(LoginError::CustomClaims(e.to_string())),
        };
        self
    }
}

/// A token just issued: the compact JWT (read with [`expose_secret`](Self::expose_secret)) and
/// what the application needs to deliver it. `Debug` never shows the token or the CSRF value.
///
/// ```no_run
/// # fn run(manager: &idpkit::login::LoginManager) -> Result<(), idpkit::login::LoginError> {
/// let issued = manager.issue(&idpkit::login::Issue::access("users", "alice"))?;
/// println!("Authorization: Bearer {}", issued.expose_secret());
/// # Ok(()) }
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IssuedToken {
    pub(crate) token: String,
    /// Access or refresh.
    pub kind: TokenKind,
    /// The token id.
    pub jti: String,
    /// The CSRF value to hand to the browser (for example in a readable `csrf_access_token`
    /// cookie), when the login type uses cookies with CSRF protection.
    pub csrf: Option<String>,
    /// The expiry, seconds since the Unix epoch, if the token expires.
    pub expires_at: Option<u64>,
}

impl IssuedToken {
    /// The compact JWT.
    ///
    /// ```no_run
    /// # fn run(issued: idpkit::login::IssuedToken) {
    /// let jwt: &str = issued.expose_secret();
    /// # }
    /// ```
    pub fn expose_secret(&self) -> &str {
        &self.token
    }
}

impl fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedToken")
            .field("token", &"[redacted]")
            .field("kind", &self.kind)
            .field("jti", &self.jti)
            .field("csrf", &self.csrf.as_ref().map(|_| "[redacted]"))
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// An access and a refresh token issued together (AuthX's `create_token_pair`).
///
/// ```no_run
/// # fn run(manager: &idpkit::login::LoginManager) -> Result<(), idpkit::login::LoginError> {
/// let pair = manager.issue_pair(&idpkit::login::Issue::access("users", "alice").fresh(true))?;
/// let body = pair.to_json(); // {"access_token": …, "refresh_token": …, "token_type": "bearer"}
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenPair {
    /// The access token.
    pub access: IssuedToken,
    /// The refresh token.
    pub refresh: IssuedToken,
}

impl TokenPair {
    /// The pair as AuthX's `TokenResponse` JSON: `access_token`, `refresh_token`, `token_type:
    /// "bearer"`. Contains both tokens: send it to their owner only.
    ///
    /// ```no_run
    /// # fn run(pair: idpkit::login::TokenPair) {
    /// assert_eq!(pair.to_json()["token_type"], "bearer");
    /// # }
    /// ```
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "access_token": self.access.token,
            "refresh_token": self.refresh.token,
            "token_type": "bearer",
        })
    }
}
