//! What the map holds: the [`CachedToken`] handed to callers, and for each key the token with
//! the instant it stops being handed out, and the fetch in flight.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::key::CacheKey;
use super::single_flight::{Flight, Lookup, Waiter};
use crate::clock::since_epoch;
use crate::oidc::TokenSet;
use crate::secret::AccessToken;

/// A cached access token: the token, its type, its expiry and the granted scope.
///
/// Cheap to clone (one `Arc`). `Debug` redacts the token.
///
/// ```
/// use idpkit::{AccessToken, service_token::CachedToken};
/// let token = CachedToken::new(AccessToken::new("at-1"), "Bearer", Some(1_700_000_000), Some("read".into()));
/// assert_eq!(token.access_token().expose_secret(), "at-1");
/// assert_eq!(token.token_type(), "Bearer");
/// assert_eq!(token.expires_at(), Some(1_700_000_000));
/// assert_eq!(token.scope(), Some("read"));
/// assert!(!format!("{token:?}").contains("at-1"));
/// ```
#[derive(Clone)]
pub struct CachedToken(Arc<TokenInner>);

#[derive(PartialEq, Eq)]
struct TokenInner {
    access_token: AccessToken,
    token_type: String,
    expires_at: Option<u64>,
    scope: Option<String>,
}

impl CachedToken {
    /// A token; `expires_at` is in seconds since the Unix epoch (`None`: unknown, the token is
    /// reused until [invalidated](super::TokenCache::invalidate)).
    ///
    /// ```
    /// use idpkit::{AccessToken, service_token::CachedToken};
    /// let token = CachedToken::new(AccessToken::new("at-1"), "Bearer", None, None);
    /// assert_eq!(token.expires_at(), None);
    /// ```
    pub fn new(
        access_token: AccessToken,
        token_type: impl Into<String>,
        expires_at: Option<u64>,
        scope: Option<String>,
    ) -> CachedToken {
        CachedToken(Arc::new(TokenInner {
            access_token,
            token_type: token_type.into(),
            expires_at,
            scope,
        }))
    }

    /// The access token.
    ///
    /// ```
    /// # let token = idpkit::service_token::CachedToken::new(idpkit::AccessToken::new("at-1"), "Bearer", None, None);
    /// let header = format!("Bearer {}", token.access_token().expose_secret());
    /// ```
    pub fn access_token(&self) -> &AccessToken {
        &self.0.access_token
    }

    /// The token type as the provider spelled it (`Bearer`, `DPoP`).
    ///
    /// ```
    /// # let token = idpkit::service_token::CachedToken::new(idpkit::AccessToken::new("at-1"), "Bearer", None, None);
    /// assert!(token.token_type().eq_ignore_ascii_case("bearer"));
    /// ```
    pub fn token_type(&self) -> &str {
        &self.0.token_type
    }

    /// When the token expires, in seconds since the Unix epoch, if known.
    ///
    /// ```
    /// # let token = idpkit::service_token::CachedToken::new(idpkit::AccessToken::new("at-1"), "Bearer", Some(100), None);
    /// assert_eq!(token.expires_at(), Some(100));
    /// ```
    pub fn expires_at(&self) -> Option<u64> {
        self.0.expires_at
    }

    /// The granted scope, if the provider said.
    ///
    /// ```
    /// # let token = idpkit::service_token::CachedToken::new(idpkit::AccessToken::new("at-1"), "Bearer", None, None);
    /// assert_eq!(token.scope(), None);
    /// ```
    pub fn scope(&self) -> Option<&str> {
        self.0.scope.as_deref()
    }

    /// How long the token remains valid at `now` (zero once expired); `None` when unknown.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// # let token = idpkit::service_token::CachedToken::new(idpkit::AccessToken::new("at-1"), "Bearer", Some(100), None);
    /// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(40);
    /// assert_eq!(token.expires_in(now), Some(Duration::from_secs(60)));
    /// ```
    pub fn expires_in(&self, now: SystemTime) -> Option<Duration> {
        let at = Duration::from_secs(self.0.expires_at?);
        Some(at.saturating_sub(since_epoch(now)))
    }

    /// Whether `self` and `other` are the same cached token (the same fetch), not merely equal.
    ///
    /// ```
    /// # let token = idpkit::service_token::CachedToken::new(idpkit::AccessToken::new("at-1"), "Bearer", None, None);
    /// assert!(token.same_as(&token.clone()));
    /// ```
    pub fn same_as(&self, other: &CachedToken) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// The instant (since the epoch) from which the token is no longer handed out.
    pub(crate) fn refresh_at(&self, refresh_before: Duration) -> Duration {
        match self.0.expires_at {
            Some(at) => Duration::from_secs(at).saturating_sub(refresh_before),
            None => Duration::MAX,
        }
    }
}

impl PartialEq for CachedToken {
    fn eq(&self, other: &Self) -> bool {
        self.same_as(other) || self.0 == other.0
    }
}

impl Eq for CachedToken {}

impl From<&TokenSet> for CachedToken {
    /// The access token of a token response.
    ///
    /// ```
    /// # let tokens: idpkit::oidc::TokenSet = serde_json::from_str(r#"{"access_token":"at-1","token_type":"Bearer","expires_at":100}"#).unwrap();
    /// let token = idpkit::service_token::CachedToken::from(&tokens);
    /// assert_eq!(token.expires_at(), Some(100));
    /// ```
    fn from(tokens: &TokenSet) -> Self {
        CachedToken::new(
            tokens.access_token.clone(),
            tokens.token_type.clone(),
            tokens.expires_at,
            tokens.scope.clone(),
        )
    }
}

impl From<TokenSet> for CachedToken {
    /// The access token of a token response.
    ///
    /// ```
    /// # let tokens: idpkit::oidc::TokenSet = serde_json::from_str(r#"{"access_token":"at-1","token_type":"Bearer"}"#).unwrap();
    /// let token = idpkit::service_token::CachedToken::from(tokens);
    /// assert_eq!(token.access_token().expose_secret(), "at-1");
    /// ```
    fn from(tokens: TokenSet) -> Self {
        CachedToken::new(
            tokens.access_token,
            tokens.token_type,
            tokens.expires_at,
            tokens.scope,
        )
    }
}

impl fmt::Debug for CachedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedToken")
            .field("access_token", &self.0.access_token)
            .field("token_type", &self.0.token_type)
            .field("expires_at", &self.0.expires_at)
            .field("scope", &self.0.scope)
            .finish()
    }
}

/// What the map holds for a key: the token (with the instant it stops being handed out) and the
/// fetch in flight.
#[derive(Default)]
pub(super) struct Slot {
    pub(super) token: Option<(CachedToken, Duration)>,
    pub(super) flight: Option<Arc<Flight>>,
}

impl Slot {
    /// What a lookup at `now` (since the epoch) gets here: the token while it is fresh, else a
    /// place in the queue for the fetch in flight; `None` when neither (a fetch must start).
    #[inline]
    pub(super) fn answer(&self, now: Duration) -> Option<Lookup> {
        if let Some((token, refresh_at)) = &self.token
            && now < *refresh_at
        {
            return Some(Lookup::Hit(token.clone()));
        }
        let flight = self.flight.as_ref()?;
        Some(Lookup::Wait(Waiter::new(Arc::clone(flight))))
    }

    /// Whether the slot holds neither a token nor a fetch (and can go).
    pub(super) fn is_empty(&self) -> bool {
        self.token.is_none() && self.flight.is_none()
    }
}

/// A key and its slot.
pub(super) struct Entry {
    pub(super) key: CacheKey,
    pub(super) slot: Slot,
}
