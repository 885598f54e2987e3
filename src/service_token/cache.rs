//! The cache: [`TokenCache`] (a handle to the map behind a read-write lock) and its builder.
//! The hit path takes the read lock, probes the map by a precomputed hash and clones an `Arc`.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use parking_lot::RwLock;

use super::DEFAULT_REFRESH_BEFORE;
use super::entry::{CachedToken, Entry, Slot};
use super::key::{CacheKey, Exact};
use super::single_flight::{FetchGuard, Flight, Lookup};
use crate::clock::since_epoch;
use crate::error::Result;

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

/// Entries by [bucket hash](CacheKey::bucket_hash): a bucket holds a client's keys that differ
/// only in scopes or resources (and, rarely, keys whose hashes collide).
type Map = HashMap<u64, Vec<Entry>, BuildHasherDefault<PrehashedHasher>>;

#[inline]
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
    let hash = key.bucket_hash();
    if let Some(bucket) = map.get_mut(&hash) {
        bucket.retain(|e| &e.key != key || !e.slot.is_empty());
        if bucket.is_empty() {
            map.remove(&hash);
        }
    }
}

/// How many entries a cache keeps by default ([`TokenCacheBuilder::max_entries`]).
pub const DEFAULT_MAX_ENTRIES: usize = 10_000;

/// How many entries `map` holds.
fn entries(map: &Map) -> usize {
    map.values().map(Vec::len).sum()
}

/// Makes room for one more entry in a map that holds `max` or more: drops the entries with no
/// usable token and no fetch in flight, then, if that is not enough, the tokens due for refresh
/// soonest until a tenth of `max` is free. Entries with a fetch in flight stay (their callers
/// are waiting on them). Runs only when a miss inserts into a full map, before a token request
/// that costs far more.
fn make_room(map: &mut Map, now: Duration, max: usize) {
    map.retain(|_, bucket| {
        bucket.retain(|e| {
            e.slot.flight.is_some() || e.slot.token.as_ref().is_some_and(|(_, at)| now < *at)
        });
        !bucket.is_empty()
    });
    let len = entries(map);
    if len < max {
        return;
    }
    let target = max - max.div_ceil(10).max(1).min(max);
    let mut due: Vec<Duration> = map
        .values()
        .flatten()
        .filter(|e| e.slot.flight.is_none())
        .filter_map(|e| e.slot.token.as_ref().map(|(_, at)| *at))
        .collect();
    let surplus = (len - target).min(due.len());
    if surplus == 0 {
        return;
    }
    due.sort_unstable();
    let cutoff = due[surplus - 1];
    let mut dropped = 0;
    map.retain(|_, bucket| {
        bucket.retain(|e| {
            let evict = dropped < surplus
                && e.slot.flight.is_none()
                && e.slot.token.as_ref().is_some_and(|(_, at)| *at <= cutoff);
            dropped += usize::from(evict);
            !evict
        });
        !bucket.is_empty()
    });
}

/// What the handles share: the map, the refresh buffer and the bound.
pub(super) struct Inner {
    map: RwLock<Map>,
    refresh_before: Duration,
    max_entries: usize,
    #[cfg(feature = "redis")]
    store: Option<crate::store::RedisStore>,
}

impl Inner {
    /// Records the result of `flight`, the fetch for `key`, in `key`'s entry if the entry still
    /// holds that flight: a token is cached, an error clears the entry.
    pub(super) fn settle(
        &self,
        key: &CacheKey,
        flight: &Arc<Flight>,
        result: &Result<CachedToken>,
    ) {
        let mut map = self.map.write();
        if let Some(slot) = find_mut(&mut map, key.bucket_hash(), |k| k == key)
            && slot.flight.as_ref().is_some_and(|f| Arc::ptr_eq(f, flight))
        {
            slot.flight = None;
            match result {
                Ok(token) => {
                    let refresh_at = token.refresh_at(self.refresh_before);
                    slot.token = Some((token.clone(), refresh_at));
                }
                Err(_) => {
                    slot.token = None;
                    remove_if_empty(&mut map, key);
                }
            }
        }
    }
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
    max_entries: usize,
    #[cfg(feature = "redis")]
    store: Option<crate::store::RedisStore>,
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

    /// The most keys the cache holds (default [`DEFAULT_MAX_ENTRIES`], 10,000; at least 1). A
    /// miss that would go past it first drops the keys whose tokens are no longer handed out,
    /// then the tokens due for refresh soonest, until a tenth of the room is free. Keys with a
    /// fetch in flight are never dropped, so the cache holds at most this many keys plus the
    /// fetches under way. An entry costs about 200 bytes plus its key's strings and its token.
    ///
    /// ```
    /// let cache = idpkit::service_token::TokenCache::builder().max_entries(1_000).build();
    /// assert_eq!(cache.max_entries(), 1_000);
    /// ```
    pub fn max_entries(mut self, max: usize) -> Self {
        self.max_entries = max.max(1);
        self
    }

    /// Shares tokens with every replica of the service through `store` (feature `redis`):
    /// when this process has no usable token, it reads the fleet's, and only one replica of
    /// the fleet asks the provider (see [`crate::store`]). The local copy is still used until
    /// the refresh lead time, without asking the store.
    ///
    /// ```
    /// use idpkit::service_token::TokenCache;
    /// use idpkit::store::{RedisStore, TokenEncryptionKey};
    /// let store = RedisStore::builder("redis://127.0.0.1:6379", "billing", TokenEncryptionKey::from_bytes(&[7; 32])?)
    ///     .build()?;
    /// let cache = TokenCache::builder().shared_store(store).build();
    /// assert!(cache.shared_store().is_some());
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    #[cfg(feature = "redis")]
    pub fn shared_store(mut self, store: crate::store::RedisStore) -> Self {
        self.store = Some(store);
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
                max_entries: self.max_entries,
                #[cfg(feature = "redis")]
                store: self.store,
            }),
        }
    }
}

impl Default for TokenCacheBuilder {
    fn default() -> Self {
        TokenCacheBuilder {
            refresh_before: DEFAULT_REFRESH_BEFORE,
            max_entries: DEFAULT_MAX_ENTRIES,
            #[cfg(feature = "redis")]
            store: None,
        }
    }
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

    /// The fleet's shared store, if any ([`TokenCacheBuilder::shared_store`]).
    ///
    /// ```
    /// assert!(idpkit::service_token::TokenCache::new().shared_store().is_none());
    /// ```
    #[cfg(feature = "redis")]
    pub fn shared_store(&self) -> Option<&crate::store::RedisStore> {
        self.inner.store.as_ref()
    }

    /// The most keys the cache holds ([`TokenCacheBuilder::max_entries`]).
    ///
    /// ```
    /// assert_eq!(idpkit::service_token::TokenCache::new().max_entries(), 10_000);
    /// ```
    pub fn max_entries(&self) -> usize {
        self.inner.max_entries
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
        self.lookup_hashed(key.bucket_hash(), |k| k == key, || key.clone(), now)
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
        let exact = Exact {
            token_endpoint,
            client_id,
            audience,
        };
        self.lookup_hashed(
            exact.hash(),
            |k| k.matches(&exact, scopes, resources),
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
            if let Some(found) = find(&map, hash, &is).and_then(|slot| slot.answer(now)) {
                return found;
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
        if let Some(found) = find(&map, hash, is).and_then(|slot| slot.answer(now)) {
            return found;
        }
        let flight = Flight::new();
        let key = make_key();
        if find(&map, hash, is).is_none() && entries(&map) >= self.inner.max_entries {
            make_room(&mut map, now, self.inner.max_entries);
        }
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
        Lookup::Fetch(FetchGuard::new(Arc::clone(&self.inner), key, flight))
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
        if let Some(slot) = find_mut(&mut map, key.bucket_hash(), |k| k == key) {
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
        let Some(slot) = find_mut(&mut map, key.bucket_hash(), |k| k == key) else {
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
        entries(&self.inner.map.read())
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
            .field("max_entries", &self.inner.max_entries)
            .field("entries", &self.len())
            .finish()
    }
}
