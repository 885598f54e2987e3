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
//! caller passes `now`). The clients use it through `IdpClient::cached_client_credentials` with
//! an [`oidc::ClientCredentialsRequest`](crate::oidc::ClientCredentialsRequest), in
//! `idpkit::blocking` and `idpkit::asynch`; both can
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
//! let request = idpkit::oidc::ClientCredentialsRequest::new(["projects:read"]); // keep it
//! let a = sync_client.cached_client_credentials(&cache, &request)?; // (not on a runtime thread)
//! let b = async_client.cached_client_credentials(&cache, &request).await?;
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
//!   The stored key itself (or a clone) is recognised by its pointer; an equal key built apart,
//!   by a precomputed hash of every part and one string comparison.
//! - A miss takes the write lock, checks again, and either joins the fetch in flight or starts
//!   one: the entry records the flight, and the caller gets the [`FetchGuard`].
//! - A flight is a once-set result plus an [`event_listener::Event`]. Waiting blocks the thread
//!   ([`Waiter::wait_blocking`]) or awaits without any runtime ([`Waiter::wait`]), so blocking
//!   threads and async tasks wait on the same flight.
//! - The guard publishes the result to the entry and to every waiter, once. Dropped without a
//!   result (a cancelled task, a panic), it publishes an error. A failure never stays in the
//!   entry: the next lookup fetches again, and waiters never re-fetch on their own.

use std::time::Duration;

// The map and its handle.
mod cache;
// The cached token and what the map holds for a key.
mod entry;
// The key: normalisation, hashes, matching raw parts.
mod key;
// One fetch per key; the others wait for its answer.
mod single_flight;
#[cfg(test)]
mod tests;

pub use cache::{DEFAULT_MAX_ENTRIES, TokenCache, TokenCacheBuilder};
pub use entry::CachedToken;
pub use key::CacheKey;
pub(crate) use single_flight::Flight;
pub use single_flight::{FetchGuard, Lookup, Waiter};

/// How long before its expiry a cached token stops being handed out, unless configured: 60 s.
///
/// ```
/// assert_eq!(idpkit::service_token::DEFAULT_REFRESH_BEFORE.as_secs(), 60);
/// ```
pub const DEFAULT_REFRESH_BEFORE: Duration = Duration::from_secs(60);
