//! [`LoginType`]: one issuer's configuration (AuthX's `AuthXConfig` per login type), and the
//! [`Blocklist`] of revoked token ids.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::LoginKey;

/// AuthX's default access-token lifetime: 15 minutes.
pub const DEFAULT_ACCESS_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// AuthX's default refresh-token lifetime: 20 days.
pub const DEFAULT_REFRESH_LIFETIME: Duration = Duration::from_secs(20 * 24 * 3600);

/// Where a login type looks for tokens in a request, tried in the configured order; the first
/// location holding one wins (AuthX's `JWT_TOKEN_LOCATION`).
///
/// ```
/// use idpkit::login::TokenLocation;
/// assert_eq!(TokenLocation::Cookies.to_string(), "cookies");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenLocation {
    /// `Authorization: Bearer <token>` (the scheme is case-insensitive, RFC 6750 §2.1).
    Headers,
    /// The cookie `access_token_cookie` (or `refresh_token_cookie`); state-changing requests
    /// then need the CSRF double-submit header `X-CSRF-TOKEN` when CSRF protection is on.
    Cookies,
    /// The query parameter `token`.
    Query,
    /// The member `access_token` (or `refresh_token`) of a JSON body (`Content-Type:
    /// application/json`).
    Json,
}

impl fmt::Display for TokenLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TokenLocation::Headers => "headers",
            TokenLocation::Cookies => "cookies",
            TokenLocation::Query => "query",
            TokenLocation::Json => "json",
        })
    }
}

/// Revoked token ids (`jti`), asked only after a token's signature and claims hold, so a
/// forged token never reaches the store.
///
/// ```
/// use idpkit::login::{Blocklist, MemoryBlocklist};
/// let blocklist = MemoryBlocklist::default();
/// blocklist.revoke("jti-1");
/// assert!(blocklist.is_revoked("users", "jti-1"));
/// assert!(!blocklist.is_revoked("users", "jti-2"));
/// ```
pub trait Blocklist: Send + Sync {
    /// Whether the token `jti` of `login_type` is revoked.
    fn is_revoked(&self, login_type: &str, jti: &str) -> bool;
}

/// A [`Blocklist`] in memory: a set of revoked `jti`s, shared by every login type it is given
/// to. Entries are never dropped; a production store should expire them with the tokens.
///
/// ```
/// let blocklist = idpkit::login::MemoryBlocklist::default();
/// blocklist.revoke("abc");
/// assert_eq!(blocklist.len(), 1);
/// ```
#[derive(Debug, Default)]
pub struct MemoryBlocklist {
    revoked: parking_lot::RwLock<HashSet<String>>,
}

impl MemoryBlocklist {
    /// Revokes the token `jti`.
    ///
    /// ```
    /// idpkit::login::MemoryBlocklist::default().revoke("abc");
    /// ```
    pub fn revoke(&self, jti: impl Into<String>) {
        self.revoked.write().insert(jti.into());
    }

    /// How many ids are revoked.
    ///
    /// ```
    /// assert_eq!(idpkit::login::MemoryBlocklist::default().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.revoked.read().len()
    }

    /// Whether no id is revoked.
    ///
    /// ```
    /// assert!(idpkit::login::MemoryBlocklist::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.revoked.read().is_empty()
    }
}

impl Blocklist for MemoryBlocklist {
    fn is_revoked(&self, _login_type: &str, jti: &str) -> bool {
        self.revoked.read().contains(jti)
    }
}

/// One login type: a named issuer with its own key, lifetimes, token locations, CSRF setting,
/// optional issuer and audience, and optional blocklist. Registered with
/// [`LoginManagerBuilder::login_type`](super::LoginManagerBuilder::login_type).
///
/// Defaults (AuthX's): access tokens live 15 minutes, refresh tokens 20 days, tokens are read
/// from the `Authorization` header only, CSRF protection is on (it applies to cookie tokens
/// only), no issuer, no audience, no blocklist; the `kid` is the login type's name.
///
/// ```
/// use std::time::Duration;
/// use idpkit::login::{LoginKey, LoginType, TokenLocation};
/// let admins = LoginType::new("admins", LoginKey::generate(jsonwebtoken::Algorithm::ES256)?)
///     .access_lifetime(Some(Duration::from_secs(300)))
///     .locations([TokenLocation::Headers, TokenLocation::Cookies])
///     .issuer("https://api.example.com")
///     .audience("admin-console");
/// assert_eq!(admins.name(), "admins");
/// # Ok::<(), idpkit::login::LoginError>(())
/// ```
#[derive(Clone)]
pub struct LoginType {
    pub(crate) name: String,
    pub(crate) key: LoginKey,
    pub(crate) kid: String,
    pub(crate) previous: Option<(LoginKey, String)>,
    pub(crate) access_lifetime: Option<Duration>,
    pub(crate) refresh_lifetime: Option<Duration>,
    pub(crate) locations: Vec<TokenLocation>,
    pub(crate) csrf_protect: bool,
    pub(crate) issuer: Option<String>,
    pub(crate) audience: Option<String>,
    pub(crate) blocklist: Option<Arc<dyn Blocklist>>,
}

impl fmt::Debug for LoginType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginType")
            .field("name", &self.name)
            .field("key", &self.key)
            .field("kid", &self.kid)
            .field("access_lifetime", &self.access_lifetime)
            .field("refresh_lifetime", &self.refresh_lifetime)
            .field("locations", &self.locations)
            .field("csrf_protect", &self.csrf_protect)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

impl LoginType {
    /// A login type `name` signing with `key`, with the defaults.
    ///
    /// ```
    /// use idpkit::login::{LoginKey, LoginType};
    /// let users = LoginType::new("users", LoginKey::hs256([7u8; 32])?);
    /// # Ok::<(), idpkit::login::LoginError>(())
    /// ```
    pub fn new(name: impl Into<String>, key: LoginKey) -> Self {
        let name = name.into();
        LoginType {
            kid: name.clone(),
            name,
            key,
            previous: None,
            access_lifetime: Some(DEFAULT_ACCESS_LIFETIME),
            refresh_lifetime: Some(DEFAULT_REFRESH_LIFETIME),
            locations: vec![TokenLocation::Headers],
            csrf_protect: true,
            issuer: None,
            audience: None,
            blocklist: None,
        }
    }

    /// The login type's name (the `login_type` claim of its tokens).
    ///
    /// ```
    /// # let t = idpkit::login::LoginType::new("users", idpkit::login::LoginKey::hs256([7u8; 32])?);
    /// assert_eq!(t.name(), "users");
    /// # Ok::<(), idpkit::login::LoginError>(())
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The `kid` put in this login type's token headers and JWK (default: the name). Every
    /// login type's `kid` must be unique: it is how a token is routed to the one key that can
    /// verify it.
    ///
    /// ```
    /// # let key = idpkit::login::LoginKey::hs256([7u8; 32])?;
    /// let t = idpkit::login::LoginType::new("users", key).kid("users-2026-01");
    /// # Ok::<(), idpkit::login::LoginError>(())
    /// ```
    #[must_use]
    pub fn kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = kid.into();
        self
    }

    /// A previous key, still accepted for verification under its own `kid` (and, for tokens
    /// without a `kid`, after the current key), during a key rotation.
    ///
    /// ```
    /// use idpkit::login::{LoginKey, LoginType};
    /// let t = LoginType::new("users", LoginKey::hs256([2u8; 32])?)
    ///     .kid("users-2")
    ///     .previous_key(LoginKey::hs256([1u8; 32])?, "users-1");
    /// # Ok::<(), idpkit::login::LoginError>(())
    /// ```
    #[must_use]
    pub fn previous_key(mut self, key: LoginKey, kid: impl Into<String>) -> Self {
        self.previous = Some((key, kid.into()));
        self
    }

    /// How long access tokens live; `None`: no `exp` (AuthX allows it; not recommended).
    ///
    /// ```
    /// # let key = idpkit::login::LoginKey::hs256([7u8; 32])?;
    /// let t = idpkit::login::LoginType::new("users", key).access_lifetime(Some(std::time::Duration::from_secs(600)));
    /// # Ok::<(), idpkit::login::LoginError>(())
    /// ```
    #[must_use]
    pub fn access_lifetime(mut self, lifetime: Option<Duration>) -> Self {
        self.access_lifetime = lifetime;
        self
    }

    /// How long refresh tokens live; `None`: no `exp`.
    ///
    /// ```
    /// # let key = idpkit::login::LoginKey::hs256([7u8; 32])?;
    /// let t = idpkit::login::LoginType::new("users", key).refresh_lifetime(Some(std::time::Duration::from_secs(86_400)));
    /// # Ok::<(), idpkit::login::LoginError>(())
    /// ```
    #[must_use]
    pub fn refresh_lifetime(mut self, lifetime: Option<Duration>) -> Self {
        self.refresh_lifetime = lifetime;
        self
    }

    /// Where tokens are looked for, in order (default: the `Authorization` header only).
    ///
    /// ```
    /// use idpkit::login::TokenLocation;
    /// # let key = idpkit::login::LoginKey::hs256([7u8; 32])?;
    /// let t = idpkit::login::LoginType::new("users", key).locations([TokenLocation::Cookies, TokenLocation::Headers]);
    /// # Ok::<(), idpkit::login::LoginError>(())
    /// ```
    #[must_use]
    pub fn locations(mut self, locations: impl IntoIterator<Item = TokenLocation>) -> Self {
        self.locations = locations.into_iter().collect();
        self
    }

    /// CSRF double-submit protection for cookie tokens (default on): tokens get a random
    /// `csrf` claim, and POST, PUT, PATCH and DELETE requests authenticated by a cookie must
    /// repeat it in the `X-CSRF-TOKEN` header.
    ///
    /// ```
    /// # let key = idpkit::login::LoginKey::hs256([7u8; 32])?;
    /// let t = idpkit::login::LoginType::new("users", key).csrf_protect(false);
    /// # Ok::<(), idpkit::login::LoginError>(())
    /// ```
    #[must_use]
    pub fn csrf_protect(mut self, on: bool) -> Self {
        self.csrf_protect = on;
        self
    }

    /// The `iss` put in tokens and required on verification.
    ///
    /// ```
    /// # let key = idpkit::login::LoginKey::hs256([7u8; 32])?;
    /// let t = idpkit::login::LoginType::new("users", key).issuer("https://api.example.com");
    /// # Ok::<(), idpkit::login::LoginError>(())
    /// ```
    #[must_use]
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// The `aud` put in tokens and required on verification. Without one, a token that has an
    /// `aud` is refused (as PyJWT does).
    ///
    /// ```
    /// # let key = idpkit::login::LoginKey::hs256([7u8; 32])?;
    /// let t = idpkit::login::LoginType::new("users", key).audience("web");
    /// # Ok::<(), idpkit::login::LoginError>(())
    /// ```
    #[must_use]
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// The blocklist of revoked `jti`s asked for this login type's tokens.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use idpkit::login::MemoryBlocklist;
    /// # let key = idpkit::login::LoginKey::hs256([7u8; 32])?;
    /// let t = idpkit::login::LoginType::new("users", key).blocklist(Arc::new(MemoryBlocklist::default()));
    /// # Ok::<(), idpkit::login::LoginError>(())
    /// ```
    #[must_use]
    pub fn blocklist(mut self, blocklist: Arc<dyn Blocklist>) -> Self {
        self.blocklist = Some(blocklist);
        self
    }

    pub(crate) fn reads(&self, location: TokenLocation) -> bool {
        self.locations.contains(&location)
    }

    /// Whether tokens carry a `csrf` claim (cookies are a location and protection is on).
    pub(crate) fn uses_csrf(&self) -> bool {
        self.csrf_protect && self.reads(TokenLocation::Cookies)
    }
}
