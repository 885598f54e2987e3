//! A client-credentials token cache shared by every client in a process, blocking and async
//! alike.
//!
//! [`TokenCache`] is a handle (`Clone` shares it) to a map from a [`CacheKey`] (token endpoint,
//! client id, requested scopes, resources and audience) to a [`CachedToken`]. A token is reused
//! until [`refresh_before`](TokenCacheBuilder::refresh_before) (60 s by default) before it
//! expires, never after. Refreshing is **single-flight**: of any number of concurrent callers
//! that find an entry cold or expiring, exactly one is told to fetch
//! ([`Lookup::Fetch`]); the others wait ([`Lookup::Wait`]) for its answer, success or error.
//!
//! This module is the pure, mode-agnostic protocol: it makes no request and reads no clock (the
//! caller passes `now`). The clients use it through `IdpClient::cached_client_credentials` (and
//! `cached_client_credentials_by_key`) in `idpkit::blocking` and `idpkit::asynch`; both can
//! share one cache, and a blocking thread and an async task can wait on the same fetch.
//!
//! ```no_run
//! # #[cfg(all(feature = "blocking", feature = "async"))]
//! # async fn run() -> idpkit::Result<()> {
//! use idpkit::service_token::TokenCache;
//! let cache = TokenCache::new(); // one per process
//! let sync_client = idpkit::IdpClientSync::builder("https://login.example.com", "billing")
//!     .client_secret("s3cr3t")
//!     .discover()?;
//! let async_client = idpkit::IdpClient::builder("https://login.example.com", "billing")
//!     .client_secret("s3cr3t")
//!     .discover()
//!     .await?;
//! let a = sync_client.cached_client_credentials(&cache, &["projects:read"])?; // (not on a runtime thread)
//! let b = async_client.cached_client_credentials(&cache, &["projects:read"]).await?;
//! assert!(a.same_as(&b)); // one token request
//! # Ok(()) }
//! ```
//!
//! The protocol, by hand:
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use idpkit::AccessToken;
//! use idpkit::service_token::{CacheKey, CachedToken, Lookup, TokenCache};
//!
//! let cache = TokenCache::new();
//! let key = CacheKey::new("https://op.example/token", "billing", &["projects:read"]);
//! let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
//!
//! let fetch = |expires_at| -> idpkit::Result<CachedToken> {
//!     // The token request would go here.
//!     Ok(CachedToken::new(AccessToken::new("at-1"), "Bearer", Some(expires_at), None))
//! };
//! let token = match cache.lookup(&key, now) {
//!     Lookup::Hit(token) => token,
//!     Lookup::Fetch(guard) => guard.complete(fetch(1_700_003_600))?,
//!     Lookup::Wait(waiter) => waiter.wait_blocking()?,
//! };
//! assert_eq!(token.access_token().expose_secret(), "at-1");
//! assert!(matches!(cache.lookup(&key, now), Lookup::Hit(_)));
//! # Ok::<(), idpkit::Error>(())
//! ```
//!
//! # Design
//!
//! - The map sits behind a `parking_lot::RwLock`. The hit path takes the **read** lock only,
//!   finds the entry by a hash precomputed in the key (of the endpoint, client id and audience;
//!   [`TokenCache::lookup_target`] matches the scopes as a set without sorting them), compares
//!   one precomputed instant with `now` and clones an `Arc`: no allocation, no exclusive lock.
//! - A miss takes the write lock, checks again, and either joins the fetch in flight or starts
//!   one: the entry records the flight, and the caller gets the [`FetchGuard`].
//! - A flight is a once-set result plus an [`event_listener::Event`]. Waiting blocks the thread
//!   ([`Waiter::wait_blocking`]) or awaits without any runtime ([`Waiter::wait`]), so blocking
//!   threads and async tasks wait on the same flight.
//! - The guard publishes the result to the entry and to every waiter, once. Dropped without a
//!   result (a cancelled task, a panic), it publishes an error. A failure never stays in the
//!   entry: the next lookup fetches again, and waiters never re-fetch on their own.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use event_listener::{Event, Listener};
use parking_lot::RwLock;

use crate::error::{Error, ErrorKind, Result};
use crate::oidc::TokenSet;
use crate::secret::AccessToken;

/// How long before its expiry a cached token stops being handed out, unless configured: 60 s.
///
/// ```
/// assert_eq!(idpkit::service_token::DEFAULT_REFRESH_BEFORE.as_secs(), 60);
/// ```
pub const DEFAULT_REFRESH_BEFORE: Duration = Duration::from_secs(60);

fn since_epoch(now: SystemTime) -> Duration {
    now.duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Key
// ---------------------------------------------------------------------------------------------

/// What a cached token was requested for: the token endpoint, the client id, the scopes, the
/// resource indicators (RFC 8707) and the audience.
///
/// Scopes are normalised: each item is split on whitespace, and the set is sorted and
/// deduplicated, so `["b", "a"]`, `["a b"]` and `["a", "b", "a"]` are one key. Resources are
/// sorted and deduplicated too. The endpoint and the client id are compared exactly.
///
/// Cheap to clone (one `Arc`); its hash is computed once, when it is made.
///
/// ```
/// use idpkit::service_token::CacheKey;
/// let a = CacheKey::new("https://op.example/token", "svc", &["b", "a"]);
/// let b = CacheKey::new("https://op.example/token", "svc", &["a b", "a"]);
/// assert_eq!(a, b);
/// assert_eq!(a.scopes(), ["a", "b"]);
/// assert_ne!(a, CacheKey::new("https://op.example/token", "other", &["a", "b"]));
/// ```
#[derive(Clone)]
pub struct CacheKey(Arc<KeyInner>);

#[derive(PartialEq, Eq)]
struct KeyInner {
    hash: u64,
    token_endpoint: String,
    client_id: String,
    scopes: Box<[String]>,
    resources: Box<[String]>,
    audience: Option<String>,
}

impl CacheKey {
    /// The key of a client-credentials token for `client_id` at `token_endpoint` with these
    /// scopes (no resource, no audience).
    ///
    /// ```
    /// use idpkit::service_token::CacheKey;
    /// let key = CacheKey::new("https://op.example/token", "svc", &["projects:read"]);
    /// assert_eq!(key.client_id(), "svc");
    /// let no_scopes = CacheKey::new("https://op.example/token", "svc", &[] as &[&str]);
    /// assert!(no_scopes.scopes().is_empty());
    /// ```
    pub fn new<S: AsRef<str>>(
        token_endpoint: &str,
        client_id: &str,
        scopes: impl IntoIterator<Item = S>,
    ) -> CacheKey {
        CacheKey::with_target(
            token_endpoint,
            client_id,
            scopes,
            std::iter::empty::<&str>(),
            None,
        )
    }

    /// The key of a token also restricted to resources (RFC 8707 `resource`) and an
    /// `audience`.
    ///
    /// ```
    /// use idpkit::service_token::CacheKey;
    /// let a = CacheKey::with_target("https://op.example/token", "svc", &["read"],
    ///     &["https://b.example", "https://a.example"], Some("api"));
    /// let b = CacheKey::with_target("https://op.example/token", "svc", &["read"],
    ///     &["https://a.example", "https://b.example"], Some("api"));
    /// assert_eq!(a, b);
    /// assert_eq!(a.resources(), ["https://a.example", "https://b.example"]);
    /// assert_eq!(a.audience(), Some("api"));
    /// assert_ne!(a, CacheKey::new("https://op.example/token", "svc", &["read"]));
    /// ```
    pub fn with_target<S: AsRef<str>, R: AsRef<str>>(
        token_endpoint: &str,
        client_id: &str,
        scopes: impl IntoIterator<Item = S>,
        resources: impl IntoIterator<Item = R>,
        audience: Option<&str>,
    ) -> CacheKey {
        let scopes: Vec<S> = scopes.into_iter().collect();
        let resources: Vec<R> = resources.into_iter().collect();
        with_normalised(scope_items(scopes.iter().map(AsRef::as_ref)), |scopes| {
            with_normalised(
                resource_items(resources.iter().map(AsRef::as_ref)),
                |resources| {
                    let parts = Parts {
                        token_endpoint,
                        client_id,
                        scopes,
                        resources,
                        audience,
                    };
                    CacheKey::from_parts(parts.hash(), &parts)
                },
            )
        })
    }

    fn from_parts(hash: u64, parts: &Parts<'_>) -> CacheKey {
        let owned = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect();
        CacheKey(Arc::new(KeyInner {
            hash,
            token_endpoint: parts.token_endpoint.to_owned(),
            client_id: parts.client_id.to_owned(),
            scopes: owned(parts.scopes),
            resources: owned(parts.resources),
            audience: parts.audience.map(str::to_owned),
        }))
    }

    /// Whether this key is the one the raw parts describe (scopes split on whitespace, in any
    /// order, with repeats; empty resources ignored).
    fn matches(
        &self,
        token_endpoint: &str,
        client_id: &str,
        scopes: &[&str],
        resources: &[&str],
        audience: Option<&str>,
    ) -> bool {
        let k = &*self.0;
        k.token_endpoint == token_endpoint
            && k.client_id == client_id
            && k.audience.as_deref() == audience
            && same_set(&k.scopes, scopes, true)
            && same_set(&k.resources, resources, false)
    }

    /// The token endpoint.
    ///
    /// ```
    /// # let key = idpkit::service_token::CacheKey::new("https://op.example/token", "svc", &["a"]);
    /// assert_eq!(key.token_endpoint(), "https://op.example/token");
    /// ```
    pub fn token_endpoint(&self) -> &str {
        &self.0.token_endpoint
    }

    /// The client id.
    ///
    /// ```
    /// # let key = idpkit::service_token::CacheKey::new("https://op.example/token", "svc", &["a"]);
    /// assert_eq!(key.client_id(), "svc");
    /// ```
    pub fn client_id(&self) -> &str {
        &self.0.client_id
    }

    /// The scopes, sorted and deduplicated.
    ///
    /// ```
    /// # let key = idpkit::service_token::CacheKey::new("https://op.example/token", "svc", &["b a"]);
    /// assert_eq!(key.scopes(), ["a", "b"]);
    /// ```
    pub fn scopes(&self) -> &[String] {
        &self.0.scopes
    }

    /// The resource indicators, sorted and deduplicated.
    ///
    /// ```
    /// # let key = idpkit::service_token::CacheKey::new("https://op.example/token", "svc", &["a"]);
    /// assert!(key.resources().is_empty());
    /// ```
    pub fn resources(&self) -> &[String] {
        &self.0.resources
    }

    /// The audience, if any.
    ///
    /// ```
    /// # let key = idpkit::service_token::CacheKey::new("https://op.example/token", "svc", &["a"]);
    /// assert_eq!(key.audience(), None);
    /// ```
    pub fn audience(&self) -> Option<&str> {
        self.0.audience.as_deref()
    }
}

impl PartialEq for CacheKey {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl Eq for CacheKey {}

impl Hash for CacheKey {
    fn hash<S: Hasher>(&self, state: &mut S) {
        state.write_u64(self.0.hash);
    }
}

impl fmt::Debug for CacheKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CacheKey")
            .field("token_endpoint", &self.0.token_endpoint)
            .field("client_id", &self.0.client_id)
            .field("scopes", &self.0.scopes)
            .field("resources", &self.0.resources)
            .field("audience", &self.0.audience)
            .finish()
    }
}

/// A key's parts, borrowed and normalised (scopes and resources sorted and deduplicated).
struct Parts<'a> {
    token_endpoint: &'a str,
    client_id: &'a str,
    scopes: &'a [&'a str],
    resources: &'a [&'a str],
    audience: Option<&'a str>,
}

impl Parts<'_> {
    fn hash(&self) -> u64 {
        key_hash(self.token_endpoint, self.client_id, self.audience)
    }
}

/// The hash of a key: of its endpoint, client id and audience only. Keys that differ only in
/// scopes or resources share a bucket (a client has a few scope sets), so a lookup by parts
/// needs neither to sort nor to hash the scopes: it matches them as a set against each key in
/// the bucket (`CacheKey::matches`).
fn key_hash(token_endpoint: &str, client_id: &str, audience: Option<&str>) -> u64 {
    let mut h = foldhash::fast::FixedState::with_seed(0x1d9c_0a7e).build_hasher();
    token_endpoint.hash(&mut h);
    client_id.hash(&mut h);
    audience.hash(&mut h);
    h.finish()
}

/// Whether the raw `items` (in any order, with repeats, empty ones ignored, each split on ASCII
/// whitespace when `split`) are exactly the set `sorted` (sorted, deduplicated, no empty item,
/// no whitespace when `split`). Without allocating for sets of up to 64 items.
fn same_set(sorted: &[String], items: &[&str], split: bool) -> bool {
    if sorted.len() > 64 {
        let mut list: Vec<&str> = if split {
            scope_items(items.iter().copied()).collect()
        } else {
            resource_items(items.iter().copied()).collect()
        };
        list.sort_unstable();
        list.dedup();
        return list.len() == sorted.len() && list.iter().zip(sorted).all(|(a, b)| *a == b);
    }
    let find = |item: &str| sorted.binary_search_by(|s| s.as_str().cmp(item)).ok();
    let mut seen: u64 = 0;
    for &item in items {
        if item.is_empty() {
            continue;
        }
        // Usually one scope per item: found as it is, without scanning it for whitespace (a
        // stored scope has none).
        if let Some(i) = find(item) {
            seen |= 1 << i;
            continue;
        }
        if !split {
            return false;
        }
        let mut parts = item.split_ascii_whitespace().peekable();
        if parts.peek() == Some(&item) {
            return false; // no whitespace, and not in the set
        }
        for part in parts {
            match find(part) {
                Some(i) => seen |= 1 << i,
                None => return false,
            }
        }
    }
    seen == u64::MAX.checked_shr(64 - sorted.len() as u32).unwrap_or(0)
}

/// Scope items split on whitespace.
fn scope_items<'a>(items: impl Iterator<Item = &'a str>) -> impl Iterator<Item = &'a str> {
    // Scope tokens are printable ASCII without spaces (RFC 6749 §3.3).
    items.flat_map(str::split_ascii_whitespace)
}

/// Resource items, without empty ones.
fn resource_items<'a>(items: impl Iterator<Item = &'a str>) -> impl Iterator<Item = &'a str> {
    items.filter(|r| !r.is_empty())
}

/// Calls `f` with `items` sorted and deduplicated; on the stack for up to 16 items.
fn with_normalised<'a, R>(
    items: impl Iterator<Item = &'a str>,
    f: impl FnOnce(&[&'a str]) -> R,
) -> R {
    const INLINE: usize = 16;
    let mut inline: [&str; INLINE] = [""; INLINE];
    let mut n = 0;
    let mut heap: Vec<&str> = Vec::new();
    for item in items {
        if n < INLINE {
            inline[n] = item;
        } else {
            if heap.is_empty() {
                heap.extend_from_slice(&inline);
            }
            heap.push(item);
        }
        n += 1;
    }
    let list: &mut [&str] = if n <= INLINE {
        &mut inline[..n]
    } else {
        &mut heap
    };
    if list.len() <= INLINE {
        // Insertion sort: the usual list has a handful of items.
        for i in 1..list.len() {
            let mut j = i;
            while j > 0 && list[j - 1] > list[j] {
                list.swap(j - 1, j);
                j -= 1;
            }
        }
    } else {
        list.sort_unstable();
    }
    let mut len = 0;
    for i in 0..list.len() {
        if len == 0 || list[i] != list[len - 1] {
            list[len] = list[i];
            len += 1;
        }
    }
    f(&list[..len])
}

/// The map's hasher: keys are already hashes (and well mixed), so pass them through.
#[derive(Default)]
struct PrehashedHasher(u64);

impl Hasher for PrehashedHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Not used (the map's keys are `u64`); kept correct for any other input.
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Entries by key hash; a bucket holds more than one entry only on a 64-bit hash collision.
type Map = HashMap<u64, Vec<Entry>, BuildHasherDefault<PrehashedHasher>>;

// ---------------------------------------------------------------------------------------------
// Token
// ---------------------------------------------------------------------------------------------

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
    /// reused until [invalidated](TokenCache::invalidate)).
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
    fn refresh_at(&self, refresh_before: Duration) -> Duration {
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

// ---------------------------------------------------------------------------------------------
// Cache
// ---------------------------------------------------------------------------------------------

/// One entry: the token (with the instant it stops being handed out) and the fetch in flight.
#[derive(Default)]
struct Slot {
    token: Option<(CachedToken, Duration)>,
    flight: Option<Arc<Flight>>,
}

/// A key and its slot.
struct Entry {
    key: CacheKey,
    slot: Slot,
}

fn find(map: &Map, hash: u64, is: impl Fn(&CacheKey) -> bool) -> Option<&Slot> {
    map.get(&hash)?.iter().find(|e| is(&e.key)).map(|e| &e.slot)
}

fn find_mut(map: &mut Map, hash: u64, is: impl Fn(&CacheKey) -> bool) -> Option<&mut Slot> {
    map.get_mut(&hash)?
        .iter_mut()
        .find(|e| is(&e.key))
        .map(|e| &mut e.slot)
}

/// Removes `key`'s entry when it holds neither a token nor a fetch.
fn remove_if_empty(map: &mut Map, key: &CacheKey) {
    let hash = key.0.hash;
    if let Some(bucket) = map.get_mut(&hash) {
        bucket.retain(|e| &e.key != key || e.slot.token.is_some() || e.slot.flight.is_some());
        if bucket.is_empty() {
            map.remove(&hash);
        }
    }
}

/// One fetch: its result, set once, and the event its waiters listen to.
struct Flight {
    result: OnceLock<Result<CachedToken>>,
    event: Event,
}

struct Inner {
    map: RwLock<Map>,
    refresh_before: Duration,
}

/// A token cache; `Clone` shares it. Build one per process (or per set of clients that should
/// share tokens) and hand it to every client.
///
/// `Send + Sync`; the blocking and the async client can use one cache at the same time.
///
/// ```
/// use std::time::Duration;
/// use idpkit::service_token::TokenCache;
///
/// let cache = TokenCache::new();
/// assert_eq!(cache.refresh_before(), Duration::from_secs(60));
/// let shared = cache.clone(); // the same cache
/// assert!(shared.ptr_eq(&cache));
/// ```
#[derive(Clone)]
pub struct TokenCache {
    inner: Arc<Inner>,
}

/// Configures a [`TokenCache`].
///
/// ```
/// use std::time::Duration;
/// let cache = idpkit::service_token::TokenCache::builder()
///     .refresh_before(Duration::from_secs(30))
///     .build();
/// assert_eq!(cache.refresh_before(), Duration::from_secs(30));
/// ```
#[derive(Debug, Clone)]
pub struct TokenCacheBuilder {
    refresh_before: Duration,
}

impl TokenCacheBuilder {
    /// How long before its expiry a token stops being handed out and is fetched again (default
    /// [`DEFAULT_REFRESH_BEFORE`], 60 s). A token whose whole lifetime is shorter is never
    /// reused.
    ///
    /// ```
    /// let cache = idpkit::service_token::TokenCache::builder()
    ///     .refresh_before(std::time::Duration::ZERO)
    ///     .build();
    /// assert!(cache.refresh_before().is_zero());
    /// ```
    pub fn refresh_before(mut self, refresh_before: Duration) -> Self {
        self.refresh_before = refresh_before;
        self
    }

    /// The cache.
    ///
    /// ```
    /// let cache = idpkit::service_token::TokenCache::builder().build();
    /// ```
    pub fn build(self) -> TokenCache {
        TokenCache {
            inner: Arc::new(Inner {
                map: RwLock::new(Map::default()),
                refresh_before: self.refresh_before,
            }),
        }
    }
}

impl Default for TokenCacheBuilder {
    fn default() -> Self {
        TokenCacheBuilder {
            refresh_before: DEFAULT_REFRESH_BEFORE,
        }
    }
}

/// What [`TokenCache::lookup`] found.
#[must_use = "a Fetch must be completed, a Wait waited on"]
#[derive(Debug)]
pub enum Lookup {
    /// A token that is valid for longer than the refresh buffer.
    Hit(CachedToken),
    /// No usable token and no fetch in flight: this caller must fetch one and
    /// [`complete`](FetchGuard::complete) the guard. Everybody else waits meanwhile.
    Fetch(FetchGuard),
    /// Another caller is fetching: wait for its answer.
    Wait(Waiter),
}

impl TokenCache {
    /// A cache with the default settings.
    ///
    /// ```
    /// let cache = idpkit::service_token::TokenCache::new();
    /// ```
    pub fn new() -> TokenCache {
        TokenCache::builder().build()
    }

    /// A builder, to set the refresh buffer.
    ///
    /// ```
    /// let cache = idpkit::service_token::TokenCache::builder()
    ///     .refresh_before(std::time::Duration::from_secs(120))
    ///     .build();
    /// ```
    pub fn builder() -> TokenCacheBuilder {
        TokenCacheBuilder::default()
    }

    /// How long before its expiry a token stops being handed out.
    ///
    /// ```
    /// assert_eq!(idpkit::service_token::TokenCache::new().refresh_before().as_secs(), 60);
    /// ```
    pub fn refresh_before(&self) -> Duration {
        self.inner.refresh_before
    }

    /// Whether `self` and `other` are handles to the same cache.
    ///
    /// ```
    /// use idpkit::service_token::TokenCache;
    /// let cache = TokenCache::new();
    /// assert!(cache.ptr_eq(&cache.clone()));
    /// assert!(!cache.ptr_eq(&TokenCache::new()));
    /// ```
    pub fn ptr_eq(&self, other: &TokenCache) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// Looks `key` up at `now`: a [`Hit`](Lookup::Hit) when a token valid beyond the refresh
    /// buffer is cached; otherwise [`Wait`](Lookup::Wait) when a fetch is in flight, else
    /// [`Fetch`](Lookup::Fetch): this caller starts the fetch.
    ///
    /// The hit path takes only a shared (read) lock and does not allocate.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use idpkit::{AccessToken, service_token::{CacheKey, CachedToken, Lookup, TokenCache}};
    ///
    /// let cache = TokenCache::new();
    /// let key = CacheKey::new("https://op.example/token", "svc", &["read"]);
    /// let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
    ///
    /// let Lookup::Fetch(guard) = cache.lookup(&key, t0) else { unreachable!() };
    /// // While the fetch is in flight, others wait.
    /// let Lookup::Wait(waiter) = cache.lookup(&key, t0) else { unreachable!() };
    /// guard.complete(Ok(CachedToken::new(AccessToken::new("at-1"), "Bearer", Some(1_000_300), None)))?;
    /// assert_eq!(waiter.wait_blocking()?.access_token().expose_secret(), "at-1");
    ///
    /// // Reused until 60 s before it expires, never after.
    /// assert!(matches!(cache.lookup(&key, t0 + Duration::from_secs(239)), Lookup::Hit(_)));
    /// assert!(matches!(cache.lookup(&key, t0 + Duration::from_secs(240)), Lookup::Fetch(_)));
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn lookup(&self, key: &CacheKey, now: SystemTime) -> Lookup {
        self.lookup_hashed(key.0.hash, |k| k == key, || key.clone(), now)
    }

    /// [`lookup`](Self::lookup) by the key's parts, without building a [`CacheKey`] unless a
    /// fetch starts: the scopes (split on whitespace, any order, repeats allowed) and resources
    /// are compared as sets, as [`CacheKey::with_target`] normalises them. The hit path does
    /// not allocate (up to 64 scopes).
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use idpkit::{AccessToken, service_token::{CacheKey, CachedToken, Lookup, TokenCache}};
    /// let cache = TokenCache::new();
    /// let now = SystemTime::now();
    /// let key = CacheKey::new("https://op.example/token", "svc", &["read", "write"]);
    /// let Lookup::Fetch(guard) = cache.lookup(&key, now) else { unreachable!() };
    /// guard.complete(Ok(CachedToken::new(AccessToken::new("at-1"), "Bearer", None, None)))?;
    /// let found = cache.lookup_target("https://op.example/token", "svc", &["write read"], &[], None, now);
    /// assert!(matches!(found, Lookup::Hit(_)));
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn lookup_target(
        &self,
        token_endpoint: &str,
        client_id: &str,
        scopes: &[&str],
        resources: &[&str],
        audience: Option<&str>,
        now: SystemTime,
    ) -> Lookup {
        let hash = key_hash(token_endpoint, client_id, audience);
        self.lookup_hashed(
            hash,
            |k| k.matches(token_endpoint, client_id, scopes, resources, audience),
            || CacheKey::with_target(token_endpoint, client_id, scopes, resources, audience),
            now,
        )
    }

    #[inline]
    fn lookup_hashed(
        &self,
        hash: u64,
        is: impl Fn(&CacheKey) -> bool,
        make_key: impl FnOnce() -> CacheKey,
        now: SystemTime,
    ) -> Lookup {
        let now = since_epoch(now);
        {
            let map = self.inner.map.read();
            if let Some(slot) = find(&map, hash, &is) {
                if let Some((token, refresh_at)) = &slot.token
                    && now < *refresh_at
                {
                    return Lookup::Hit(token.clone());
                }
                if let Some(flight) = &slot.flight {
                    return Lookup::Wait(Waiter {
                        flight: Arc::clone(flight),
                    });
                }
            }
        }
        self.lookup_slow(hash, &is, make_key, now)
    }

    #[cold]
    fn lookup_slow(
        &self,
        hash: u64,
        is: &impl Fn(&CacheKey) -> bool,
        make_key: impl FnOnce() -> CacheKey,
        now: Duration,
    ) -> Lookup {
        let mut map = self.inner.map.write();
        if let Some(slot) = find(&map, hash, is) {
            if let Some((token, refresh_at)) = &slot.token
                && now < *refresh_at
            {
                return Lookup::Hit(token.clone());
            }
            if let Some(flight) = &slot.flight {
                return Lookup::Wait(Waiter {
                    flight: Arc::clone(flight),
                });
            }
        }
        let flight = Arc::new(Flight {
            result: OnceLock::new(),
            event: Event::new(),
        });
        let key = make_key();
        match find_mut(&mut map, hash, is) {
            Some(slot) => slot.flight = Some(Arc::clone(&flight)),
            None => map.entry(hash).or_default().push(Entry {
                key: key.clone(),
                slot: Slot {
                    token: None,
                    flight: Some(Arc::clone(&flight)),
                },
            }),
        }
        Lookup::Fetch(FetchGuard {
            cache: Arc::clone(&self.inner),
            key,
            flight,
            done: false,
        })
    }

    /// Forgets the token cached for `key` (for example after a resource server rejected it with
    /// 401): the next lookup fetches a new one. A fetch in flight is not affected.
    ///
    /// When several callers may see the same rejection, prefer
    /// [`invalidate_token`](Self::invalidate_token), which keeps a newer token.
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use idpkit::{AccessToken, service_token::{CacheKey, CachedToken, Lookup, TokenCache}};
    /// let cache = TokenCache::new();
    /// let key = CacheKey::new("https://op.example/token", "svc", &["read"]);
    /// let Lookup::Fetch(guard) = cache.lookup(&key, SystemTime::now()) else { unreachable!() };
    /// guard.complete(Ok(CachedToken::new(AccessToken::new("at-1"), "Bearer", None, None)))?;
    /// cache.invalidate(&key);
    /// assert!(matches!(cache.lookup(&key, SystemTime::now()), Lookup::Fetch(_)));
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn invalidate(&self, key: &CacheKey) {
        let mut map = self.inner.map.write();
        if let Some(slot) = find_mut(&mut map, key.0.hash, |k| k == key) {
            slot.token = None;
            remove_if_empty(&mut map, key);
        }
    }

    /// Forgets the token cached for `key` only if it is still `token`, the one that was
    /// rejected: when many callers hit the same 401, the first one's refresh is not thrown away
    /// by the others. Returns whether it was removed.
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use idpkit::{AccessToken, service_token::{CacheKey, CachedToken, Lookup, TokenCache}};
    /// let cache = TokenCache::new();
    /// let key = CacheKey::new("https://op.example/token", "svc", &["read"]);
    /// let Lookup::Fetch(guard) = cache.lookup(&key, SystemTime::now()) else { unreachable!() };
    /// let old = guard.complete(Ok(CachedToken::new(AccessToken::new("at-1"), "Bearer", None, None)))?;
    /// assert!(cache.invalidate_token(&key, &old));
    /// let Lookup::Fetch(guard) = cache.lookup(&key, SystemTime::now()) else { unreachable!() };
    /// guard.complete(Ok(CachedToken::new(AccessToken::new("at-2"), "Bearer", None, None)))?;
    /// assert!(!cache.invalidate_token(&key, &old)); // at-2 stays
    /// assert!(matches!(cache.lookup(&key, SystemTime::now()), Lookup::Hit(_)));
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn invalidate_token(&self, key: &CacheKey, token: &CachedToken) -> bool {
        let mut map = self.inner.map.write();
        let Some(slot) = find_mut(&mut map, key.0.hash, |k| k == key) else {
            return false;
        };
        if !slot.token.as_ref().is_some_and(|(t, _)| t.same_as(token)) {
            return false;
        }
        slot.token = None;
        remove_if_empty(&mut map, key);
        true
    }

    /// How many keys have a token or a fetch in flight.
    ///
    /// ```
    /// assert_eq!(idpkit::service_token::TokenCache::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.inner.map.read().values().map(Vec::len).sum()
    }

    /// Whether no key has a token or a fetch in flight.
    ///
    /// ```
    /// assert!(idpkit::service_token::TokenCache::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.inner.map.read().is_empty()
    }
}

impl Default for TokenCache {
    fn default() -> Self {
        TokenCache::new()
    }
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("refresh_before", &self.inner.refresh_before)
            .field("entries", &self.len())
            .finish()
    }
}

// ---------------------------------------------------------------------------------------------
// Fetch and wait
// ---------------------------------------------------------------------------------------------

/// The right and the duty to fetch the token for a key: exactly one caller holds it per fetch.
/// Hand the result to [`complete`](Self::complete); every waiter gets it.
///
/// Dropped without completing (the fetching task was cancelled, or it panicked), it releases
/// the waiters with an error ([`ErrorKind::Transport`], retryable) and clears the in-flight
/// state: the next lookup fetches again.
///
/// ```
/// use std::time::SystemTime;
/// use idpkit::service_token::{CacheKey, Lookup, TokenCache};
/// let cache = TokenCache::new();
/// let key = CacheKey::new("https://op.example/token", "svc", &["read"]);
/// let Lookup::Fetch(guard) = cache.lookup(&key, SystemTime::now()) else { unreachable!() };
/// let Lookup::Wait(waiter) = cache.lookup(&key, SystemTime::now()) else { unreachable!() };
/// drop(guard); // e.g. the task was cancelled
/// assert!(waiter.wait_blocking().is_err());
/// assert!(matches!(cache.lookup(&key, SystemTime::now()), Lookup::Fetch(_)));
/// ```
pub struct FetchGuard {
    cache: Arc<Inner>,
    key: CacheKey,
    flight: Arc<Flight>,
    done: bool,
}

impl FetchGuard {
    /// The key to fetch the token for.
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use idpkit::service_token::{CacheKey, Lookup, TokenCache};
    /// let key = CacheKey::new("https://op.example/token", "svc", &["read"]);
    /// let Lookup::Fetch(guard) = TokenCache::new().lookup(&key, SystemTime::now()) else { unreachable!() };
    /// assert_eq!(guard.key(), &key);
    /// ```
    pub fn key(&self) -> &CacheKey {
        &self.key
    }

    /// Publishes the fetch's result: a token is cached and handed to every waiter; an error is
    /// handed to every waiter and not cached (the next lookup fetches again). Returns `result`.
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use idpkit::{Error, service_token::{CacheKey, Lookup, TokenCache}};
    /// let cache = TokenCache::new();
    /// let key = CacheKey::new("https://op.example/token", "svc", &["read"]);
    /// let Lookup::Fetch(guard) = cache.lookup(&key, SystemTime::now()) else { unreachable!() };
    /// let Lookup::Wait(waiter) = cache.lookup(&key, SystemTime::now()) else { unreachable!() };
    /// assert!(guard.complete(Err(Error::config("no secret"))).is_err());
    /// assert_eq!(waiter.wait_blocking().unwrap_err().to_string(), "invalid configuration: no secret");
    /// assert!(matches!(cache.lookup(&key, SystemTime::now()), Lookup::Fetch(_)));
    /// ```
    pub fn complete(mut self, result: Result<CachedToken>) -> Result<CachedToken> {
        self.publish(result.clone());
        result
    }

    fn publish(&mut self, result: Result<CachedToken>) {
        self.done = true;
        {
            let mut map = self.cache.map.write();
            if let Some(slot) = find_mut(&mut map, self.key.0.hash, |k| k == &self.key)
                && slot
                    .flight
                    .as_ref()
                    .is_some_and(|f| Arc::ptr_eq(f, &self.flight))
            {
                slot.flight = None;
                match &result {
                    Ok(token) => {
                        let refresh_at = token.refresh_at(self.cache.refresh_before);
                        slot.token = Some((token.clone(), refresh_at));
                    }
                    Err(_) => {
                        slot.token = None;
                        remove_if_empty(&mut map, &self.key);
                    }
                }
            }
        }
        // Cannot be set already: only this guard sets it, once.
        let _ = self.flight.result.set(result);
        self.flight.event.notify(usize::MAX);
    }
}

impl Drop for FetchGuard {
    fn drop(&mut self) {
        if !self.done {
            let why = if std::thread::panicking() {
                "the token request was abandoned: the fetching thread panicked"
            } else {
                "the token request was abandoned before it completed (cancelled)"
            };
            self.publish(Err(Error::from(ErrorKind::Transport {
                message: why.to_owned(),
            })));
        }
    }
}

impl fmt::Debug for FetchGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FetchGuard")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// A place in the queue for the token another caller is fetching. Wait from a thread with
/// [`wait_blocking`](Self::wait_blocking) or from a task with [`wait`](Self::wait) (any
/// executor; no runtime needed); both kinds can wait on the same fetch.
///
/// ```
/// use std::time::SystemTime;
/// use idpkit::{AccessToken, service_token::{CacheKey, CachedToken, Lookup, TokenCache}};
/// let cache = TokenCache::new();
/// let key = CacheKey::new("https://op.example/token", "svc", &["read"]);
/// let Lookup::Fetch(guard) = cache.lookup(&key, SystemTime::now()) else { unreachable!() };
/// let Lookup::Wait(waiter) = cache.lookup(&key, SystemTime::now()) else { unreachable!() };
/// let waiting = std::thread::spawn(move || waiter.wait_blocking());
/// guard.complete(Ok(CachedToken::new(AccessToken::new("at-1"), "Bearer", None, None)))?;
/// assert_eq!(waiting.join().unwrap()?.access_token().expose_secret(), "at-1");
/// # Ok::<(), idpkit::Error>(())
/// ```
pub struct Waiter {
    flight: Arc<Flight>,
}

impl Waiter {
    /// Blocks the thread until the fetch completes; its token, or its error.
    ///
    /// Do not call it on an async runtime's worker thread; use [`wait`](Self::wait) there.
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use idpkit::service_token::{CacheKey, Lookup, TokenCache};
    /// let cache = TokenCache::new();
    /// let key = CacheKey::new("https://op.example/token", "svc", &["read"]);
    /// let Lookup::Fetch(guard) = cache.lookup(&key, SystemTime::now()) else { unreachable!() };
    /// let Lookup::Wait(waiter) = cache.lookup(&key, SystemTime::now()) else { unreachable!() };
    /// drop(guard);
    /// assert!(waiter.wait_blocking().unwrap_err().is_retryable());
    /// ```
    pub fn wait_blocking(self) -> Result<CachedToken> {
        loop {
            if let Some(result) = self.flight.result.get() {
                return result.clone();
            }
            let listener = self.flight.event.listen();
            if let Some(result) = self.flight.result.get() {
                return result.clone();
            }
            listener.wait();
        }
    }

    /// Waits, without blocking the thread, until the fetch completes; its token, or its error.
    /// The future is `Send` and needs no particular runtime.
    ///
    /// ```
    /// # async fn run(waiter: idpkit::service_token::Waiter) -> idpkit::Result<()> {
    /// let token = waiter.wait().await?;
    /// # Ok(()) }
    /// ```
    pub async fn wait(self) -> Result<CachedToken> {
        loop {
            if let Some(result) = self.flight.result.get() {
                return result.clone();
            }
            let listener = self.flight.event.listen();
            if let Some(result) = self.flight.result.get() {
                return result.clone();
            }
            listener.await;
        }
    }

    /// The fetch's result, if it has completed.
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use idpkit::service_token::{CacheKey, Lookup, TokenCache};
    /// let cache = TokenCache::new();
    /// let key = CacheKey::new("https://op.example/token", "svc", &["read"]);
    /// let Lookup::Fetch(guard) = cache.lookup(&key, SystemTime::now()) else { unreachable!() };
    /// let Lookup::Wait(waiter) = cache.lookup(&key, SystemTime::now()) else { unreachable!() };
    /// assert!(waiter.try_result().is_none());
    /// drop(guard);
    /// assert!(waiter.try_result().is_some());
    /// ```
    pub fn try_result(&self) -> Option<Result<CachedToken>> {
        self.flight.result.get().cloned()
    }
}

impl fmt::Debug for Waiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Waiter")
            .field("done", &self.flight.result.get().is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Barrier;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    const ENDPOINT: &str = "https://op.example/token";
    const T0: u64 = 1_700_000_000;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn key() -> CacheKey {
        CacheKey::new(ENDPOINT, "svc", ["read", "write"])
    }

    fn token(value: &str, expires_at: Option<u64>) -> CachedToken {
        CachedToken::new(AccessToken::new(value), "Bearer", expires_at, None)
    }

    fn fill(cache: &TokenCache, key: &CacheKey, now: SystemTime, t: CachedToken) -> CachedToken {
        match cache.lookup(key, now) {
            Lookup::Fetch(guard) => guard.complete(Ok(t)).unwrap(),
            other => panic!("expected Fetch, got {other:?}"),
        }
    }

    fn value_of(t: CachedToken) -> String {
        t.access_token().expose_secret().to_owned()
    }

    fn is_fetch(l: &Lookup) -> bool {
        matches!(l, Lookup::Fetch(_))
    }

    fn hit(l: Lookup) -> CachedToken {
        match l {
            Lookup::Hit(t) => t,
            other => panic!("expected Hit, got {other:?}"),
        }
    }

    #[test]
    fn key_normalisation() {
        let hash = |k: &CacheKey| foldhash::fast::FixedState::default().hash_one(k);
        let a = CacheKey::new(ENDPOINT, "svc", ["write", "read"]);
        let b = CacheKey::new(ENDPOINT, "svc", ["read write", "read", "  write  "]);
        let c = CacheKey::new(ENDPOINT, "svc", vec![String::from("read"), "write".into()]);
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(hash(&a), hash(&b));
        assert_eq!(a.scopes(), ["read", "write"]);
        // Empty items and empty scope lists.
        assert_eq!(
            CacheKey::new(ENDPOINT, "svc", [""]),
            CacheKey::new(ENDPOINT, "svc", [] as [&str; 0])
        );
        // Every component matters.
        assert_ne!(a, CacheKey::new(ENDPOINT, "svc", ["read"]));
        assert_ne!(a, CacheKey::new(ENDPOINT, "svc2", ["read", "write"]));
        assert_ne!(
            a,
            CacheKey::new("https://op2.example/token", "svc", ["read", "write"])
        );
        let r1 = CacheKey::with_target(ENDPOINT, "svc", ["read"], ["https://b", "https://a"], None);
        let r2 = CacheKey::with_target(
            ENDPOINT,
            "svc",
            ["read"],
            ["https://a", "https://b", "https://a"],
            None,
        );
        assert_eq!(r1, r2);
        assert_ne!(
            r1,
            CacheKey::with_target(ENDPOINT, "svc", ["read"], ["https://a"], None)
        );
        let aud = CacheKey::with_target(ENDPOINT, "svc", ["read"], [] as [&str; 0], Some("api"));
        assert_ne!(aud, CacheKey::new(ENDPOINT, "svc", ["read"]));
        assert_ne!(
            aud,
            CacheKey::with_target(ENDPOINT, "svc", ["read"], [] as [&str; 0], Some("api2"))
        );
        // Scopes are not resources.
        assert_ne!(
            CacheKey::with_target(ENDPOINT, "svc", ["x"], [] as [&str; 0], None),
            CacheKey::with_target(ENDPOINT, "svc", [] as [&str; 0], ["x"], None)
        );
    }

    #[test]
    fn lookup_by_parts_is_lookup_by_key() {
        let cache = TokenCache::new();
        let by_parts = |scopes: &[&str], resources: &[&str], audience| {
            cache.lookup_target(ENDPOINT, "svc", scopes, resources, audience, at(T0))
        };
        // A fetch started by parts is found by key, and the other way round.
        let Lookup::Fetch(guard) = by_parts(&["write", "read write"], &[], None) else {
            panic!("cold")
        };
        assert_eq!(guard.key(), &key());
        assert!(matches!(cache.lookup(&key(), at(T0)), Lookup::Wait(_)));
        let t = guard.complete(Ok(token("at-1", None))).unwrap();
        assert!(hit(by_parts(&["read", "write"], &[], None)).same_as(&t));
        assert!(hit(cache.lookup(&key(), at(T0))).same_as(&t));
        assert!(is_fetch(&by_parts(&["read"], &[], None)));
        assert!(is_fetch(&by_parts(
            &["read", "write"],
            &["https://a"],
            None
        )));
        assert!(is_fetch(&by_parts(&["read", "write"], &[], Some("api"))));
        // Resources and audience, by parts and by key.
        let target = CacheKey::with_target(
            ENDPOINT,
            "svc",
            ["x"],
            ["https://b", "https://a"],
            Some("api"),
        );
        fill(&cache, &target, at(T0), token("at-t", None));
        let found = hit(by_parts(
            &["x"],
            &["https://a", "", "https://b", "https://a"],
            Some("api"),
        ));
        assert_eq!(found.access_token().expose_secret(), "at-t");
        // More than 64 scopes (the slow set comparison): the same normalisation.
        let many: Vec<String> = (0..70).rev().map(|i| format!("s{i:02}")).collect();
        let many_refs: Vec<&str> = many.iter().map(String::as_str).collect();
        let joined = many.join(" ");
        let big = CacheKey::new(ENDPOINT, "svc", &many_refs);
        assert_eq!(
            big,
            CacheKey::new(ENDPOINT, "svc", [joined.as_str(), "s00"])
        );
        assert_eq!(big.scopes().len(), 70);
        assert!(big.scopes().is_sorted());
        fill(&cache, &big, at(T0), token("at-big", None));
        let found = hit(by_parts(&[joined.as_str(), "s39 s00"], &[], None));
        assert_eq!(found.access_token().expose_secret(), "at-big");
        // One scope more or less is another key (same bucket, another set).
        let mut fewer = many_refs.clone();
        fewer.pop();
        assert!(is_fetch(&by_parts(&fewer, &[], None)));
        let mut more = many_refs.clone();
        more.push("s99");
        assert!(is_fetch(&by_parts(&more, &[], None)));
        // Sets of the same client share a bucket; each is found.
        let few = CacheKey::new(ENDPOINT, "svc", ["read"]);
        fill(&cache, &few, at(T0), token("at-few", None));
        assert_eq!(
            value_of(hit(by_parts(&["read", "read"], &[], None))),
            "at-few"
        );
        assert_eq!(
            value_of(hit(by_parts(&["write", "read"], &[], None))),
            "at-1"
        );
        assert!(is_fetch(&by_parts(&["write"], &[], None)));
        let padded = by_parts(&["  write\t", "", " ", "read read"], &[""], None);
        assert_eq!(value_of(hit(padded)), "at-1");
        assert!(is_fetch(&by_parts(&["read write x"], &[], None)));
        assert!(is_fetch(&by_parts(&[], &[], None)));
        cache.invalidate(&few);
        // The dropped fetches left nothing behind.
        assert_eq!(cache.len(), 3);
    }

    #[test]
    fn hit_until_the_refresh_buffer_never_after() {
        let cache = TokenCache::new();
        let key = key();
        let issued = fill(&cache, &key, at(T0), token("at-1", Some(T0 + 3600)));
        // Hits up to 60 s before expiry (exclusive), with the same token.
        for t in [T0, T0 + 1, T0 + 3539] {
            assert!(hit(cache.lookup(&key, at(t))).same_as(&issued), "{t}");
        }
        let just_before = at(T0 + 3540) - Duration::from_nanos(1);
        assert!(hit(cache.lookup(&key, just_before)).same_as(&issued));
        // From 60 s before expiry: a new fetch, never the old token.
        for t in [T0 + 3540, T0 + 3599, T0 + 3600, T0 + 100_000] {
            let l = cache.lookup(&key, at(t));
            assert!(is_fetch(&l), "{t}: {l:?}");
        }
    }

    #[test]
    fn configurable_buffer_and_tokens_without_expiry() {
        let cache = TokenCache::builder().refresh_before(Duration::ZERO).build();
        let key = key();
        fill(&cache, &key, at(T0), token("at-1", Some(T0 + 10)));
        hit(cache.lookup(&key, at(T0 + 9)));
        assert!(is_fetch(&cache.lookup(&key, at(T0 + 10))));

        let cache = TokenCache::builder()
            .refresh_before(Duration::from_secs(120))
            .build();
        // A lifetime shorter than the buffer: never reused.
        fill(&cache, &key, at(T0), token("short", Some(T0 + 100)));
        assert!(is_fetch(&cache.lookup(&key, at(T0))));

        // No expiry: reused until invalidated; a clock before the epoch does not panic.
        let cache = TokenCache::new();
        fill(&cache, &key, at(T0), token("forever", None));
        hit(cache.lookup(&key, at(u64::MAX / 4)));
        hit(cache.lookup(&key, SystemTime::UNIX_EPOCH - Duration::from_secs(5)));
    }

    #[test]
    fn keys_are_independent_and_equal_keys_share() {
        let cache = TokenCache::new();
        let a = key();
        fill(&cache, &a, at(T0), token("at-a", Some(T0 + 3600)));
        let same = CacheKey::new(ENDPOINT, "svc", ["write read"]);
        assert_eq!(
            hit(cache.lookup(&same, at(T0)))
                .access_token()
                .expose_secret(),
            "at-a"
        );
        let other = CacheKey::new(ENDPOINT, "svc", ["read"]);
        assert!(is_fetch(&cache.lookup(&other, at(T0))));
        // A clone of the cache is the same cache.
        let clone = cache.clone();
        hit(clone.lookup(&a, at(T0)));
    }

    #[test]
    fn second_caller_waits_and_gets_the_answer() {
        let cache = TokenCache::new();
        let key = key();
        let Lookup::Fetch(guard) = cache.lookup(&key, at(T0)) else {
            panic!("cold entry must fetch")
        };
        let Lookup::Wait(w1) = cache.lookup(&key, at(T0)) else {
            panic!("must wait")
        };
        let Lookup::Wait(w2) = cache.lookup(&key, at(T0)) else {
            panic!("must wait")
        };
        assert!(w1.try_result().is_none());
        let t = guard.complete(Ok(token("at-1", Some(T0 + 3600)))).unwrap();
        assert!(w1.wait_blocking().unwrap().same_as(&t));
        assert!(w2.try_result().unwrap().unwrap().same_as(&t));
        assert!(hit(cache.lookup(&key, at(T0))).same_as(&t));
    }

    #[test]
    fn an_expiring_entry_makes_callers_wait_for_the_refresh() {
        let cache = TokenCache::new();
        let key = key();
        fill(&cache, &key, at(T0), token("at-1", Some(T0 + 3600)));
        let late = at(T0 + 3550);
        let Lookup::Fetch(guard) = cache.lookup(&key, late) else {
            panic!("expiring entry must fetch")
        };
        // The old token is inside the buffer: not handed out while the refresh runs.
        let Lookup::Wait(w) = cache.lookup(&key, late) else {
            panic!("must wait")
        };
        guard.complete(Ok(token("at-2", Some(T0 + 7200)))).unwrap();
        assert_eq!(
            w.wait_blocking().unwrap().access_token().expose_secret(),
            "at-2"
        );
        assert_eq!(
            hit(cache.lookup(&key, late)).access_token().expose_secret(),
            "at-2"
        );
    }

    /// Runs `n` threads that look the key up at once; the one told to fetch calls `fetch`
    /// once all the others have their answer from `lookup` (so each of them is a waiter or
    /// the fetcher), and passes its result on. Returns (fetchers, results).
    fn thousand(
        cache: &TokenCache,
        n: usize,
        fetch: impl Fn() -> Result<CachedToken> + Sync,
    ) -> (usize, Vec<Result<CachedToken>>) {
        let key = key();
        let barrier = Barrier::new(n);
        let looked_up = AtomicUsize::new(0);
        let fetchers = AtomicUsize::new(0);
        let results = std::thread::scope(|s| {
            let handles: Vec<_> = (0..n)
                .map(|_| {
                    std::thread::Builder::new()
                        .stack_size(64 * 1024)
                        .spawn_scoped(s, || {
                            barrier.wait();
                            let lookup = cache.lookup(&key, at(T0));
                            looked_up.fetch_add(1, Ordering::SeqCst);
                            match lookup {
                                Lookup::Hit(t) => Ok(t),
                                Lookup::Wait(w) => w.wait_blocking(),
                                Lookup::Fetch(guard) => {
                                    fetchers.fetch_add(1, Ordering::SeqCst);
                                    while looked_up.load(Ordering::SeqCst) < n {
                                        std::thread::yield_now();
                                    }
                                    guard.complete(fetch())
                                }
                            }
                        })
                        .expect("spawn")
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("thread"))
                .collect::<Vec<_>>()
        });
        (fetchers.into_inner(), results)
    }

    #[test]
    fn single_flight_with_1000_threads() {
        let cache = TokenCache::new();
        let fetches = AtomicUsize::new(0);
        let (fetchers, results) = thousand(&cache, 1000, || {
            fetches.fetch_add(1, Ordering::SeqCst);
            Ok(token("at-1", Some(T0 + 3600)))
        });
        assert_eq!(fetchers, 1);
        assert_eq!(fetches.into_inner(), 1);
        let first = results[0].as_ref().unwrap().clone();
        for r in &results {
            assert!(r.as_ref().unwrap().same_as(&first));
        }
        hit(cache.lookup(&key(), at(T0)));
    }

    #[test]
    fn failed_fetch_reaches_every_waiter_and_is_not_cached() {
        let cache = TokenCache::new();
        let (fetchers, results) = thousand(&cache, 1000, || {
            Err(Error::from(ErrorKind::Status {
                status: 503,
                body_excerpt: String::new(),
                retry_after: None,
            }))
        });
        assert_eq!(fetchers, 1);
        assert_eq!(results.len(), 1000);
        for r in results {
            assert_eq!(r.unwrap_err().status(), Some(503));
        }
        // Not poisoned: the next call fetches again, and succeeds.
        assert!(cache.is_empty());
        let t = fill(&cache, &key(), at(T0), token("at-2", Some(T0 + 3600)));
        assert!(hit(cache.lookup(&key(), at(T0))).same_as(&t));
    }

    #[test]
    fn a_failed_refresh_drops_the_old_token_too() {
        let cache = TokenCache::new();
        let key = key();
        fill(&cache, &key, at(T0), token("at-1", Some(T0 + 3600)));
        let Lookup::Fetch(guard) = cache.lookup(&key, at(T0 + 3550)) else {
            panic!()
        };
        guard.complete(Err(Error::config("boom"))).unwrap_err();
        assert!(is_fetch(&cache.lookup(&key, at(T0 + 3550))));
    }

    #[test]
    fn dropped_guard_releases_waiters_with_an_error() {
        let cache = TokenCache::new();
        let key = key();
        let Lookup::Fetch(guard) = cache.lookup(&key, at(T0)) else {
            panic!()
        };
        let Lookup::Wait(w) = cache.lookup(&key, at(T0)) else {
            panic!()
        };
        let waiting = std::thread::spawn(move || w.wait_blocking());
        std::thread::sleep(Duration::from_millis(20));
        drop(guard);
        let err = waiting.join().unwrap().unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::Transport { .. }));
        assert!(err.to_string().contains("cancelled"), "{err}");
        assert!(is_fetch(&cache.lookup(&key, at(T0))));
    }

    #[test]
    fn a_panicking_fetcher_releases_waiters() {
        let cache = TokenCache::new();
        let key = key();
        let Lookup::Fetch(guard) = cache.lookup(&key, at(T0)) else {
            panic!()
        };
        let Lookup::Wait(w) = cache.lookup(&key, at(T0)) else {
            panic!()
        };
        let fetcher = std::thread::spawn(move || {
            let _guard = guard;
            panic!("the token request blew up");
        });
        assert!(fetcher.join().is_err());
        let err = w.wait_blocking().unwrap_err();
        assert!(err.to_string().contains("panicked"), "{err}");
        assert!(is_fetch(&cache.lookup(&key, at(T0))));
    }

    #[test]
    fn async_and_blocking_waiters_share_one_fetch() {
        let cache = TokenCache::new();
        let key = key();
        let Lookup::Fetch(guard) = cache.lookup(&key, at(T0)) else {
            panic!()
        };
        let waiters: Vec<Waiter> = (0..20)
            .map(|_| match cache.lookup(&key, at(T0)) {
                Lookup::Wait(w) => w,
                other => panic!("{other:?}"),
            })
            .collect();
        let (blocking, asynch): (Vec<_>, Vec<_>) = waiters
            .into_iter()
            .enumerate()
            .partition(|(i, _)| i % 2 == 0);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        let tasks: Vec<_> = asynch
            .into_iter()
            .map(|(_, w)| rt.spawn(w.wait()))
            .collect();
        let threads: Vec<_> = blocking
            .into_iter()
            .map(|(_, w)| std::thread::spawn(move || w.wait_blocking()))
            .collect();
        std::thread::sleep(Duration::from_millis(20));
        let t = guard.complete(Ok(token("at-1", None))).unwrap();
        for h in threads {
            assert!(h.join().unwrap().unwrap().same_as(&t));
        }
        for task in tasks {
            assert!(rt.block_on(task).unwrap().unwrap().same_as(&t));
        }
    }

    #[test]
    fn invalidate() {
        let cache = TokenCache::new();
        let key = key();
        let t1 = fill(&cache, &key, at(T0), token("at-1", Some(T0 + 3600)));
        cache.invalidate(&key);
        assert!(cache.is_empty());
        let Lookup::Fetch(guard) = cache.lookup(&key, at(T0)) else {
            panic!()
        };
        // Invalidating while a fetch is in flight keeps the flight.
        cache.invalidate(&key);
        assert!(matches!(cache.lookup(&key, at(T0)), Lookup::Wait(_)));
        let t2 = guard.complete(Ok(token("at-2", Some(T0 + 3600)))).unwrap();
        // The rejected token no longer matches: the new one stays.
        assert!(!cache.invalidate_token(&key, &t1));
        assert!(hit(cache.lookup(&key, at(T0))).same_as(&t2));
        assert!(cache.invalidate_token(&key, &t2));
        assert!(is_fetch(&cache.lookup(&key, at(T0))));
        // Unknown keys are fine.
        cache.invalidate(&CacheKey::new(ENDPOINT, "nobody", ["x"]));
        assert!(!cache.invalidate_token(&CacheKey::new(ENDPOINT, "nobody", ["x"]), &t2));
    }

    #[test]
    fn debug_redacts_the_token() {
        let t = token("at-secret-1", Some(T0));
        let cache = TokenCache::new();
        let key = key();
        let Lookup::Fetch(guard) = cache.lookup(&key, at(0)) else {
            panic!()
        };
        let Lookup::Wait(w) = cache.lookup(&key, at(0)) else {
            panic!()
        };
        guard.complete(Ok(t.clone())).unwrap();
        for s in [
            format!("{t:?}"),
            format!("{cache:?}"),
            format!("{w:?}"),
            format!("{:?}", cache.lookup(&key, at(0))),
        ] {
            assert!(!s.contains("at-secret-1"), "{s}");
        }
    }

    #[test]
    fn handles_are_send_sync() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<TokenCache>();
        assert_send_sync::<CacheKey>();
        assert_send_sync::<CachedToken>();
        assert_send_sync::<FetchGuard>();
        assert_send_sync::<Waiter>();
        fn assert_send<T: Send>(_: &T) {}
        let cache = TokenCache::new();
        let key = key();
        let _g = cache.lookup(&key, at(0));
        if let Lookup::Wait(w) = cache.lookup(&key, at(0)) {
            assert_send(&w.wait());
        }
    }
}
