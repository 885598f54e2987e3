//! The agent permission checker of this mode: Authora's deny-first `has_permission`, with the
//! lists fetched over HTTP through the transport core and kept in a shared
//! [`PermissionCache`] (TTL, single-flight, fail-closed; see [`crate::agent`]). This file only
//! sends and waits; the request, the parser and the cache protocol are pure.

use std::fmt;
use std::sync::Arc;

use super::transport::{HttpClient, Transport, TransportBuilder};
use super::{DefaultHttp, maybe_async};
use crate::agent::{
    PermissionCache, PermissionLookup, PermissionSnapshot, parse_permissions, permissions_request,
};
use crate::error::Result;
use crate::http::{RetryPolicy, transport_setters};

/// Checks agents' permissions against their allow and deny lists, fetched from
/// `GET {base}/agents/{id}/permissions` (Authora's API) and cached per agent (TTL 300 s by
/// default). Of any number of concurrent callers that find an agent's lists missing or expired,
/// one fetches and the others wait for its answer. A failed fetch is an error, never an allow
/// (unless the cache's bounded stale-if-error window serves the previous lists, deny list
/// included). Retries are off unless configured.
///
/// Cheap to clone (shared state) and `Send + Sync`.
///
/// ```no_run
/// # #[cfg(feature = "blocking")] {
/// let checker = idpkit::blocking::PermissionChecker::builder("https://api.example.com/api/v1")
///     .build()
///     .unwrap();
/// if checker.has_permission("agt_1", "files:read").unwrap() {
///     // ...
/// }
/// # }
/// ```
pub struct PermissionChecker<H = DefaultHttp> {
    inner: Arc<Inner<H>>,
}

struct Inner<H> {
    transport: Transport<H>,
    base: String,
    cache: PermissionCache,
}

impl<H> Clone for PermissionChecker<H> {
    fn clone(&self) -> Self {
        PermissionChecker {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<H> fmt::Debug for PermissionChecker<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PermissionChecker")
            .field("base", &self.inner.base)
            .field("cache", &self.inner.cache)
            .finish_non_exhaustive()
    }
}

impl PermissionChecker {
    /// A builder for the API at `base` (e.g. `https://api.example.com/api/v1`).
    ///
    /// ```
    /// # #[cfg(feature = "blocking")] {
    /// let builder = idpkit::blocking::PermissionChecker::builder("https://api.example.com/api/v1");
    /// # }
    /// ```
    pub fn builder(base: impl Into<String>) -> PermissionCheckerBuilder {
        PermissionCheckerBuilder {
            base: base.into(),
            cache: None,
            transport: TransportBuilder::new(RetryPolicy::none()),
        }
    }
}

/// Builds a [`PermissionChecker`]; checks happen in [`build`](Self::build).
///
/// ```
/// # #[cfg(feature = "blocking")] {
/// use std::time::Duration;
/// let checker = idpkit::blocking::PermissionChecker::builder("https://api.example.com")
///     .cache(idpkit::agent::PermissionCache::with_ttl(Duration::from_secs(60), Duration::ZERO))
///     .timeout(Duration::from_secs(2))
///     .build()
///     .unwrap();
/// # }
/// ```
#[must_use]
pub struct PermissionCheckerBuilder<H = DefaultHttp> {
    base: String,
    cache: Option<PermissionCache>,
    transport: TransportBuilder<H>,
}

impl<H> fmt::Debug for PermissionCheckerBuilder<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PermissionCheckerBuilder")
            .field("base", &self.base)
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

impl<H> PermissionCheckerBuilder<H> {
    transport_setters!("idpkit::blocking::PermissionChecker::builder(\"https://api.example.com\")");

    /// The cache to keep the lists in (default: a new one with the default TTL). Share one
    /// between the blocking and the async checker, or across checkers.
    ///
    /// ```
    /// # #[cfg(feature = "blocking")] {
    /// let cache = idpkit::agent::PermissionCache::new();
    /// let builder = idpkit::blocking::PermissionChecker::builder("https://api.example.com")
    ///     .cache(cache.clone());
    /// # }
    /// ```
    pub fn cache(mut self, cache: PermissionCache) -> Self {
        self.cache = Some(cache);
        self
    }
}

impl<H: HttpClient> PermissionCheckerBuilder<H> {
    /// Uses this transport instead of the default one.
    ///
    /// ```
    /// # #[cfg(feature = "blocking")] {
    /// let builder = idpkit::blocking::PermissionChecker::builder("https://api.example.com")
    ///     .http_client(idpkit::http::UreqHttp::new());
    /// # }
    /// ```
    pub fn http_client<H2: HttpClient>(self, http: H2) -> PermissionCheckerBuilder<H2> {
        PermissionCheckerBuilder {
            base: self.base,
            cache: self.cache,
            transport: self.transport.with_http(http),
        }
    }

    /// The checker.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) for a base URL that cannot take a path or
    /// a bad transport setting.
    ///
    /// ```
    /// # #[cfg(feature = "blocking")] {
    /// assert!(idpkit::blocking::PermissionChecker::builder("not a url").build().is_err());
    /// // Plain http only on loopback.
    /// assert!(idpkit::blocking::PermissionChecker::builder("http://api.example.com").build().is_err());
    /// # }
    /// ```
    pub fn build(self) -> Result<PermissionChecker<H>> {
        // Permissions decide access: never fetched in the clear, except on loopback.
        crate::http::require_secure_url("the permissions base URL", &self.base)?;
        permissions_request(&self.base, "probe")?;
        Ok(PermissionChecker {
            inner: Arc::new(Inner {
                transport: self.transport.build()?,
                base: self.base,
                cache: self.cache.unwrap_or_default(),
            }),
        })
    }
}

impl<H> PermissionChecker<H> {
    /// The cache the lists are kept in.
    ///
    /// ```
    /// # #[cfg(feature = "blocking")] {
    /// let checker = idpkit::blocking::PermissionChecker::builder("https://api.example.com").build().unwrap();
    /// checker.cache().invalidate("agt_1");
    /// # }
    /// ```
    pub fn cache(&self) -> &PermissionCache {
        &self.inner.cache
    }
}

#[maybe_async]
impl<H: HttpClient> PermissionChecker<H> {
    /// `agent`'s lists: cached if fetched within the TTL, else fetched (once for all
    /// concurrent callers).
    ///
    /// # Errors
    ///
    /// The fetch's error (status, transport, timeout, malformed answer), to every caller that
    /// waited on it.
    ///
    /// ```no_run
    /// # #[cfg(feature = "blocking")] {
    /// # let checker = idpkit::blocking::PermissionChecker::builder("https://api.example.com").build().unwrap();
    /// let lists = checker.permissions("agt_1").unwrap();
    /// assert!(lists.is_allowed("files:read") || !lists.is_allowed("files:read"));
    /// # }
    /// ```
    pub async fn permissions(&self, agent: &str) -> Result<Arc<PermissionSnapshot>> {
        let now = self.inner.transport.now();
        match self.inner.cache.lookup(agent, now) {
            PermissionLookup::Hit(snapshot) => Ok(snapshot),
            PermissionLookup::Wait(waiter) => super::rt::wait(waiter).await,
            PermissionLookup::Fetch(guard) => {
                // If this future is dropped here, the guard's drop releases the waiters.
                let result = self.fetch(agent).await;
                let now = self.inner.transport.now();
                guard.complete(result, now)
            }
        }
    }

    async fn fetch(&self, agent: &str) -> Result<crate::agent::permission::PermissionSet> {
        let request = permissions_request(&self.inner.base, agent)?;
        self.inner
            .transport
            .execute("agent_permissions", request, parse_permissions)
            .await
    }

    /// Whether `agent` has `permission`: no deny pattern matches and an allow pattern does.
    ///
    /// # Errors
    ///
    /// As [`permissions`](Self::permissions): never `Ok(true)` without fetched lists.
    ///
    /// ```no_run
    /// # #[cfg(feature = "blocking")] {
    /// # let checker = idpkit::blocking::PermissionChecker::builder("https://api.example.com").build().unwrap();
    /// let allowed = checker.has_permission("agt_1", "mcp:server1:tool.query").unwrap();
    /// # }
    /// ```
    pub async fn has_permission(&self, agent: &str, permission: &str) -> Result<bool> {
        let snapshot = self.permissions(agent).await?;
        Ok(snapshot.is_allowed(permission))
    }
}
