//! Fleet-wide caches on a shared store: one client-credentials token for every replica of a
//! service, and one signature replay store for every verifier.
//!
//! Without a shared store, each replica of a service fetches its own client-credentials token
//! (50 pods ask the identity provider 50 times per token lifetime) and a replayed signed
//! request sent to another replica passes. With the feature `redis`, a [`RedisStore`] attached
//! to the [`TokenCache`](crate::service_token::TokenCache)
//! ([`TokenCacheBuilder::shared_store`](crate::service_token::TokenCacheBuilder::shared_store))
//! makes the whole fleet share one token, and the same store is a
//! [`ReplayStore`](crate::agent::ReplayStore) for
//! [`SignatureVerifier::replay_store`](crate::agent::SignatureVerifier::replay_store).
//!
//! # The token cache on Redis
//!
//! - **The in-process fast path is unchanged.** A replica keeps its local copy of a token
//!   until the refresh lead time; the store is asked only when the local cache misses, by one
//!   caller per process (the local single-flight collapses the others first).
//! - **Fleet-wide single-flight.** That caller reads the shared entry; if it holds a token
//!   valid beyond the refresh lead time, that is the answer. Otherwise it takes a short lock
//!   (`SET lock owner NX PX lock_ttl`), fetches, stores the token with its expiry as TTL and
//!   releases the lock only if it still owns it (a compare-and-delete script). The other
//!   replicas poll the entry (5 ms, doubling to 50 ms) until the token appears, or until the
//!   lock is gone (its holder failed or died: the lock expires after `lock_ttl`) and one of
//!   them takes it over. At most [`max_wait`](RedisStoreBuilder::max_wait).
//! - **Encrypted at rest.** Entries are sealed with AES-256-GCM under a key the service
//!   supplies ([`TokenEncryptionKey`]), a random nonce per entry, and the entry's name as
//!   associated data (an entry copied to another name does not open). Entry names are
//!   namespaced per service and name the cache key by a SHA-256 digest, never in clear.
//! - **Explicit failure policy** ([`FailurePolicy`]). Redis down or slow (every command is
//!   bounded by [`timeout`](RedisStoreBuilder::timeout)), or no token within `max_wait`:
//!   fetch locally (the default) or fail with [`ErrorKind::Store`](crate::ErrorKind::Store).
//!   Never a hang. A corrupted or undecryptable entry is never trusted: it is refetched and
//!   overwritten.
//!
//! ```no_run
//! # #[cfg(all(feature = "redis", feature = "blocking"))]
//! # fn run() -> idpkit::Result<()> {
//! use idpkit::service_token::TokenCache;
//! use idpkit::store::{RedisStore, TokenEncryptionKey};
//! let key = TokenEncryptionKey::from_bytes(&[7; 32])?; // from the service's secret store
//! let store = RedisStore::builder("redis://127.0.0.1:6379", "billing", key).build()?;
//! let cache = TokenCache::builder().shared_store(store).build(); // one per process
//! let client = idpkit::IdpClientSync::builder("https://login.example.com", "billing")
//!     .client_secret("s3cr3t")
//!     .discover()?;
//! let request = idpkit::oidc::ClientCredentialsRequest::new(["projects:read"]);
//! let token = client.cached_client_credentials(&cache, &request)?; // one request per fleet
//! # Ok(()) }
//! ```

use std::time::Duration;

#[cfg(feature = "redis")]
pub(crate) mod fleet;
#[cfg(feature = "redis")]
mod redis;
mod seal;

#[cfg(feature = "redis")]
pub use self::redis::{RedisStore, RedisStoreBuilder};
pub use seal::TokenEncryptionKey;
#[doc(hidden)]
pub use seal::fuzz_open_token;
#[cfg(feature = "redis")]
pub(crate) use seal::{open_token, seal_token};

/// Why the shared store could not serve a request. Wrapped by
/// [`ErrorKind::Store`](crate::ErrorKind::Store) when the [`FailurePolicy`] is
/// [`Fail`](FailurePolicy::Fail); none carries a secret (nor the store's URL).
///
/// ```
/// use idpkit::store::StoreError;
/// let err = idpkit::Error::from(StoreError::Timeout(std::time::Duration::from_millis(500)));
/// assert!(matches!(err.kind(), idpkit::ErrorKind::Store(StoreError::Timeout(_))));
/// assert!(err.is_retryable());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store could not be reached, or refused the command (connection refused or reset,
    /// authentication failed, a server error).
    #[error("the shared store is unavailable: {0}")]
    Unavailable(String),
    /// The store did not answer within the configured time limit.
    #[error("the shared store did not answer within {0:?}")]
    Timeout(Duration),
    /// Another replica held the refresh lock and no token appeared within the wait limit.
    #[error("no token appeared in the shared store within {0:?}")]
    LockWait(Duration),
}

/// What a cache does when its shared store is unavailable or too slow.
///
/// ```
/// use idpkit::store::FailurePolicy;
/// assert_eq!(FailurePolicy::default(), FailurePolicy::FetchLocally);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailurePolicy {
    /// Fetch the token from the provider as if there were no shared store (the default):
    /// availability first; the fleet makes more token requests while the store is down.
    #[default]
    FetchLocally,
    /// Fail with [`ErrorKind::Store`](crate::ErrorKind::Store): the provider is asked only under
    /// the fleet-wide lock.
    Fail,
}
