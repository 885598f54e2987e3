//! The cache key: what a token was requested for, normalised (scopes split, sorted and
//! deduplicated; resources sorted and deduplicated), with its hash computed once; and matching a
//! lookup's raw parts against a key without building one.

use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::Arc;

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
        CacheKey(Arc::new(KeyInner {
            hash: exact.hash(),
            token_endpoint: exact.token_endpoint.to_owned(),
            client_id: exact.client_id.to_owned(),
            scopes: owned(scopes),
            resources: owned(resources),
            audience: exact.audience.map(str::to_owned),
        }))
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
        let k = &*self.0;
        k.token_endpoint == exact.token_endpoint
            && k.client_id == exact.client_id
            && k.audience.as_deref() == exact.audience
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
    #[inline]
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

/// The hash of a key: of its endpoint, client id and audience only. Keys that differ only in
/// scopes or resources share a bucket (a client has a few scope sets), so a lookup by parts
/// needs neither to sort nor to hash the scopes: it matches them as a set against each key in
/// the bucket (`CacheKey::matches`).
#[inline]
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
