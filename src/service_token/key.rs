//! The cache key: what a token was requested for, normalised (scopes split, sorted and
//! deduplicated; resources sorted and deduplicated), with its hash computed once; and matching a
//! lookup's raw parts against a key without building one.

use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher};
use std::ops::Range;
use std::sync::Arc;

use foldhash::fast::FixedState;

/// The seeds of the bucket hash and of the hash of every part.
const BUCKET_SEED: u64 = 0x1d9c_0a7e;
const FULL_SEED: u64 = 0x5eed_f011;

/// What a cached token was requested for: the token endpoint, the client id, the scopes, the
/// resource indicators (RFC 8707) and the audience.
///
/// Scopes are normalised: each item is split on whitespace, and the set is sorted and
/// deduplicated, so `["b", "a"]`, `["a b"]` and `["a", "b", "a"]` are one key. Resources are
/// sorted and deduplicated too. The endpoint and the client id are compared exactly.
///
/// Cheap to clone (one `Arc`); its hashes are computed once, when it is made. Comparing two
/// clones of one key compares pointers; comparing keys built apart compares a hash of every part,
/// then one string holding all of them.
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

struct KeyInner {
    /// The bucket hash: of the endpoint, the client id and the audience ([`key_hash`]).
    hash: u64,
    /// A hash of `text`: keys built apart that differ (such as a client's scope sets, which
    /// share a bucket) are told apart without comparing strings.
    full: u64,
    /// Every part, each after its length ([`Canonical`]): two keys are equal exactly when these
    /// are. The endpoint, the client id and the audience are read from it.
    text: String,
    token_endpoint: Range<usize>,
    client_id: Range<usize>,
    audience: Option<Range<usize>>,
    scopes: Box<[String]>,
    resources: Box<[String]>,
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
        let exact = Exact {
            token_endpoint,
            client_id,
            audience,
        };
        let scopes: Vec<S> = scopes.into_iter().collect();
        let resources: Vec<R> = resources.into_iter().collect();
        with_normalised(scope_items(scopes.iter().map(AsRef::as_ref)), |scopes| {
            with_normalised(
                resource_items(resources.iter().map(AsRef::as_ref)),
                |resources| CacheKey::from_parts(&exact, scopes, resources),
            )
        })
    }

    /// The key of these parts, `scopes` and `resources` normalised (sorted, deduplicated).
    fn from_parts(exact: &Exact<'_>, scopes: &[&str], resources: &[&str]) -> CacheKey {
        let owned = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect();
        // Room for every part and its length (two characters up to 4,095 bytes).
        let exact_parts = [exact.token_endpoint, exact.client_id];
        let all = exact_parts
            .iter()
            .chain(exact.audience.iter())
            .chain(scopes);
        let size: usize = all.chain(resources).map(|s| s.len() + 2).sum();
        let mut text = Canonical(String::with_capacity(size + 3));
        text.count(scopes.len());
        text.count(resources.len());
        text.count(usize::from(exact.audience.is_some()));
        let token_endpoint = text.push(exact.token_endpoint);
        let client_id = text.push(exact.client_id);
        for s in scopes.iter().chain(resources) {
            text.push(s);
        }
        let audience = exact.audience.map(|a| text.push(a));
        let text = text.0;
        CacheKey(Arc::new(KeyInner {
            hash: exact.hash(),
            full: FixedState::with_seed(FULL_SEED).hash_one(text.as_str()),
            text,
            token_endpoint,
            client_id,
            audience,
            scopes: owned(scopes),
            resources: owned(resources),
        }))
    }

    /// Every part of the key, each after its length: two keys are equal exactly when these are
    /// (the shared store names a token's entry by a digest of it).
    #[cfg_attr(
        not(all(feature = "redis", any(feature = "blocking", feature = "async"))),
        allow(dead_code)
    )]
    pub(crate) fn canonical(&self) -> &str {
        &self.0.text
    }

    /// The hash the map files this key under: of the endpoint, client id and audience
    /// ([`key_hash`]).
    #[inline]
    pub(super) fn bucket_hash(&self) -> u64 {
        self.0.hash
    }

    /// Whether this key is the one the raw parts describe: `exact` the same, and the `scopes`
    /// (split on whitespace, in any order, with repeats) and `resources` (empty ones ignored)
    /// the same sets.
    #[inline]
    pub(super) fn matches(&self, exact: &Exact<'_>, scopes: &[&str], resources: &[&str]) -> bool {
        // As bytes: no check for char boundaries (the ranges are the parts' own).
        let k = &*self.0;
        let bytes = |range: &Range<usize>| &k.text.as_bytes()[range.start..range.end];
        bytes(&k.token_endpoint) == exact.token_endpoint.as_bytes()
            && bytes(&k.client_id) == exact.client_id.as_bytes()
            && k.audience.as_ref().map(bytes) == exact.audience.map(str::as_bytes)
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
        self.part(&self.0.token_endpoint)
    }

    /// The client id.
    ///
    /// ```
    /// # let key = idpkit::service_token::CacheKey::new("https://op.example/token", "svc", &["a"]);
    /// assert_eq!(key.client_id(), "svc");
    /// ```
    pub fn client_id(&self) -> &str {
        self.part(&self.0.client_id)
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
        self.0.audience.as_ref().map(|range| self.part(range))
    }

    /// A part of the key read from its text.
    #[inline]
    fn part(&self, range: &Range<usize>) -> &str {
        &self.0.text[range.start..range.end]
    }
}

impl PartialEq for CacheKey {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (&*self.0, &*other.0);
        // The same allocation (a clone of the stored key); else the same hash of every part,
        // confirmed by the parts themselves (one string: one comparison, not one a part).
        Arc::ptr_eq(&self.0, &other.0) || (a.full == b.full && a.text == b.text)
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
            .field("token_endpoint", &self.token_endpoint())
            .field("client_id", &self.client_id())
            .field("scopes", &self.0.scopes)
            .field("resources", &self.0.resources)
            .field("audience", &self.audience())
            .finish()
    }
}

/// The parts of a key that are compared exactly and hashed, borrowed: the endpoint, the client
/// id and the audience.
pub(super) struct Exact<'a> {
    pub(super) token_endpoint: &'a str,
    pub(super) client_id: &'a str,
    pub(super) audience: Option<&'a str>,
}

impl Exact<'_> {
    /// The [bucket hash](CacheKey::bucket_hash) of the keys with these parts.
    #[inline]
    pub(super) fn hash(&self) -> u64 {
        key_hash(self.token_endpoint, self.client_id, self.audience)
    }
}

/// Every part of a key in one string, each after its length, with the number of scopes, of
/// resources and of audiences first: two keys are equal exactly when their strings are. A
/// number is written in ASCII, six bits a character, each but the last with bit 0x40 set, so it
/// ends where it ends and the string stays UTF-8.
struct Canonical(String);

impl Canonical {
    fn count(&mut self, mut n: usize) {
        while n >= 0x40 {
            self.0.push(char::from(0x40 | (n & 0x3f) as u8));
            n >>= 6;
        }
        self.0.push(char::from(n as u8));
    }

    /// Appends `part` after its length; where it stands.
    fn push(&mut self, part: &str) -> Range<usize> {
        self.count(part.len());
        let start = self.0.len();
        self.0.push_str(part);
        start..self.0.len()
    }
}

/// The hash of a key: of its endpoint, client id and audience only. Keys that differ only in
/// scopes or resources share a bucket (a client has a few scope sets), so a lookup by parts
/// needs neither to sort nor to hash the scopes: it matches them as a set against each key in
/// the bucket (`CacheKey::matches`).
#[inline]
fn key_hash(token_endpoint: &str, client_id: &str, audience: Option<&str>) -> u64 {
    let mut h = FixedState::with_seed(BUCKET_SEED).build_hasher();
    token_endpoint.hash(&mut h);
    client_id.hash(&mut h);
    audience.hash(&mut h);
    h.finish()
}

/// Whether the raw `items` (in any order, with repeats, empty ones ignored, each split on ASCII
/// whitespace when `split`) are exactly the set `sorted` (sorted, deduplicated, no empty item,
/// no whitespace when `split`). Without allocating for sets of up to 64 items.
#[inline]
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
