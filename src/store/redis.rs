//! [`RedisStore`]: the shared store on Redis. Its sync connections (a small pool) serve the
//! blocking client and the replay store; its async [`ConnectionManager`](redis::aio::ConnectionManager)
//! serves the async client. Every command is bounded by the store's time limit.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use parking_lot::Mutex;
use redis::{Cmd, Value};

use super::{FailurePolicy, StoreError, TokenEncryptionKey};
use crate::error::{Error, Result};

/// How many idle sync connections a store keeps.
const POOL: usize = 8;

/// A Redis server (or a managed Redis, or a Redis Cluster's proxy) shared by every replica of a
/// service: the fleet's token cache and replay store. Cheap to clone (one `Arc`); connects
/// lazily, on first use.
///
/// Attach it to a [`TokenCache`](crate::service_token::TokenCache) with
/// [`TokenCacheBuilder::shared_store`](crate::service_token::TokenCacheBuilder::shared_store),
/// or pass it to [`SignatureVerifier::replay_store`](crate::agent::SignatureVerifier::replay_store).
/// Authentication and the database go in the URL (`redis://user:password@host:6379/0`); the
/// URL never appears in `Debug` or in an error.
///
/// ```
/// use std::time::Duration;
/// use idpkit::store::{FailurePolicy, RedisStore, TokenEncryptionKey};
/// let store = RedisStore::builder("redis://127.0.0.1:6379", "billing", TokenEncryptionKey::from_bytes(&[7; 32])?)
///     .timeout(Duration::from_millis(200))
///     .lock_ttl(Duration::from_secs(5))
///     .max_wait(Duration::from_secs(6))
///     .on_failure(FailurePolicy::Fail)
///     .build()?;
/// assert_eq!(store.namespace(), "billing");
/// assert!(!format!("{store:?}").contains("6379"));
/// # Ok::<(), idpkit::Error>(())
/// ```
#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Inner>,
}

struct Inner {
    client: redis::Client,
    namespace: String,
    key: TokenEncryptionKey,
    timeout: Duration,
    lock_ttl: Duration,
    max_wait: Duration,
    on_failure: FailurePolicy,
    pool: Mutex<Vec<redis::Connection>>,
    #[cfg(feature = "async")]
    manager: tokio::sync::OnceCell<redis::aio::ConnectionManager>,
}

/// Configures a [`RedisStore`]; the URL is checked in [`build`](Self::build).
///
/// ```
/// # use idpkit::store::{RedisStore, TokenEncryptionKey};
/// let builder = RedisStore::builder("redis://127.0.0.1:6379", "billing", TokenEncryptionKey::from_bytes(&[7; 32])?);
/// # Ok::<(), idpkit::Error>(())
/// ```
#[must_use]
pub struct RedisStoreBuilder {
    url: String,
    namespace: String,
    key: TokenEncryptionKey,
    timeout: Duration,
    lock_ttl: Duration,
    max_wait: Duration,
    on_failure: FailurePolicy,
}

impl fmt::Debug for RedisStoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStoreBuilder")
            .field("namespace", &self.namespace)
            .field("timeout", &self.timeout)
            .field("lock_ttl", &self.lock_ttl)
            .field("max_wait", &self.max_wait)
            .field("on_failure", &self.on_failure)
            .finish_non_exhaustive()
    }
}

impl RedisStoreBuilder {
    /// The time limit of each command, connecting included (default 500 ms). A store that does
    /// not answer within it counts as unavailable ([`FailurePolicy`]).
    ///
    /// ```
    /// # use idpkit::store::{RedisStore, TokenEncryptionKey};
    /// # let builder = RedisStore::builder("redis://127.0.0.1", "svc", TokenEncryptionKey::from_bytes(&[7; 32])?);
    /// let builder = builder.timeout(std::time::Duration::from_millis(100));
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long the fleet-wide refresh lock lives (default 10 s): a replica that died while
    /// fetching blocks the others this long at most. Keep it above the token request's time
    /// limit, or a slow fetch is taken over and the provider asked twice.
    ///
    /// ```
    /// # use idpkit::store::{RedisStore, TokenEncryptionKey};
    /// # let builder = RedisStore::builder("redis://127.0.0.1", "svc", TokenEncryptionKey::from_bytes(&[7; 32])?);
    /// let builder = builder.lock_ttl(std::time::Duration::from_secs(5));
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn lock_ttl(mut self, ttl: Duration) -> Self {
        self.lock_ttl = ttl;
        self
    }

    /// How long a replica waits for another one's token before the [`FailurePolicy`] applies
    /// (default 15 s; keep it above [`lock_ttl`](Self::lock_ttl) so a dead holder's lock is
    /// taken over within it).
    ///
    /// ```
    /// # use idpkit::store::{RedisStore, TokenEncryptionKey};
    /// # let builder = RedisStore::builder("redis://127.0.0.1", "svc", TokenEncryptionKey::from_bytes(&[7; 32])?);
    /// let builder = builder.max_wait(std::time::Duration::from_secs(8));
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn max_wait(mut self, wait: Duration) -> Self {
        self.max_wait = wait;
        self
    }

    /// What to do when the store is unavailable or too slow (default
    /// [`FailurePolicy::FetchLocally`]).
    ///
    /// ```
    /// # use idpkit::store::{FailurePolicy, RedisStore, TokenEncryptionKey};
    /// # let builder = RedisStore::builder("redis://127.0.0.1", "svc", TokenEncryptionKey::from_bytes(&[7; 32])?);
    /// let builder = builder.on_failure(FailurePolicy::Fail);
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn on_failure(mut self, policy: FailurePolicy) -> Self {
        self.on_failure = policy;
        self
    }

    /// The store. It connects on first use.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) for a URL the `redis` crate does not
    /// accept, an empty namespace, or a zero time limit.
    ///
    /// ```
    /// # use idpkit::store::{RedisStore, TokenEncryptionKey};
    /// let key = || TokenEncryptionKey::from_bytes(&[7; 32]);
    /// assert!(RedisStore::builder("redis://127.0.0.1", "svc", key()?).build().is_ok());
    /// assert!(RedisStore::builder("http://127.0.0.1", "svc", key()?).build().is_err());
    /// assert!(RedisStore::builder("redis://127.0.0.1", "", key()?).build().is_err());
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn build(self) -> Result<RedisStore> {
        if self.namespace.is_empty() {
            return Err(Error::config("the shared store's namespace is empty"));
        }
        if self.timeout.is_zero() || self.lock_ttl.is_zero() {
            return Err(Error::config(
                "the shared store's timeout and lock TTL must be above zero",
            ));
        }
        let client = redis::Client::open(self.url.as_str())
            .map_err(|_| Error::config("the shared store's URL is not a Redis URL"))?;
        Ok(RedisStore {
            inner: Arc::new(Inner {
                client,
                namespace: self.namespace,
                key: self.key,
                timeout: self.timeout,
                lock_ttl: self.lock_ttl,
                max_wait: self.max_wait,
                on_failure: self.on_failure,
                pool: Mutex::new(Vec::new()),
                #[cfg(feature = "async")]
                manager: tokio::sync::OnceCell::new(),
            }),
        })
    }
}

impl RedisStore {
    /// A builder for the Redis at `url`, with entries named under `namespace` (one per
    /// service: `idpkit:{namespace}:…`) and tokens sealed with `key`.
    ///
    /// ```
    /// # use idpkit::store::{RedisStore, TokenEncryptionKey};
    /// let store = RedisStore::builder("redis://127.0.0.1:6379/0", "billing", TokenEncryptionKey::from_bytes(&[7; 32])?)
    ///     .build()?;
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn builder(
        url: impl Into<String>,
        namespace: impl Into<String>,
        key: TokenEncryptionKey,
    ) -> RedisStoreBuilder {
        RedisStoreBuilder {
            url: url.into(),
            namespace: namespace.into(),
            key,
            timeout: Duration::from_millis(500),
            lock_ttl: Duration::from_secs(10),
            max_wait: Duration::from_secs(15),
            on_failure: FailurePolicy::FetchLocally,
        }
    }

    /// The namespace of this service's entries.
    ///
    /// ```
    /// # use idpkit::store::{RedisStore, TokenEncryptionKey};
    /// # let store = RedisStore::builder("redis://127.0.0.1", "billing", TokenEncryptionKey::from_bytes(&[7; 32])?).build()?;
    /// assert_eq!(store.namespace(), "billing");
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn namespace(&self) -> &str {
        &self.inner.namespace
    }

    /// The failure policy ([`RedisStoreBuilder::on_failure`]).
    ///
    /// ```
    /// # use idpkit::store::{FailurePolicy, RedisStore, TokenEncryptionKey};
    /// # let store = RedisStore::builder("redis://127.0.0.1", "billing", TokenEncryptionKey::from_bytes(&[7; 32])?).build()?;
    /// assert_eq!(store.on_failure(), FailurePolicy::FetchLocally);
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn on_failure(&self) -> FailurePolicy {
        self.inner.on_failure
    }

    /// The refresh lock's TTL ([`RedisStoreBuilder::lock_ttl`]).
    ///
    /// ```
    /// # use idpkit::store::{RedisStore, TokenEncryptionKey};
    /// # let store = RedisStore::builder("redis://127.0.0.1", "billing", TokenEncryptionKey::from_bytes(&[7; 32])?).build()?;
    /// assert_eq!(store.lock_ttl().as_secs(), 10);
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn lock_ttl(&self) -> Duration {
        self.inner.lock_ttl
    }

    /// The longest wait for another replica's token ([`RedisStoreBuilder::max_wait`]).
    ///
    /// ```
    /// # use idpkit::store::{RedisStore, TokenEncryptionKey};
    /// # let store = RedisStore::builder("redis://127.0.0.1", "billing", TokenEncryptionKey::from_bytes(&[7; 32])?).build()?;
    /// assert_eq!(store.max_wait().as_secs(), 15);
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn max_wait(&self) -> Duration {
        self.inner.max_wait
    }

    /// The key tokens are sealed with.
    pub(crate) fn key(&self) -> &TokenEncryptionKey {
        &self.inner.key
    }

    /// The name of an entry of `kind` named by `digest`, in this store's namespace.
    pub(crate) fn name(&self, kind: &str, digest: &str) -> String {
        format!("idpkit:{}:{kind}:{digest}", self.inner.namespace)
    }

    /// Runs `cmd` on a sync connection (from the pool, or a new one), within the time limit.
    /// A connection that failed is dropped; the next command connects again.
    pub(crate) fn query_blocking(&self, cmd: &Cmd) -> Result<Value, StoreError> {
        let pooled = self.inner.pool.lock().pop();
        let mut conn = match pooled {
            Some(conn) => conn,
            None => self.connect_blocking()?,
        };
        let answer = cmd
            .query::<Value>(&mut conn)
            .map_err(|e| self.store_error(&e))?;
        let mut pool = self.inner.pool.lock();
        if pool.len() < POOL {
            pool.push(conn);
        }
        Ok(answer)
    }

    fn connect_blocking(&self) -> Result<redis::Connection, StoreError> {
        let limit = self.inner.timeout;
        let conn = self
            .inner
            .client
            .get_connection_with_timeout(limit)
            .map_err(|e| self.store_error(&e))?;
        conn.set_read_timeout(Some(limit))
            .and_then(|()| conn.set_write_timeout(Some(limit)))
            .map_err(|e| self.store_error(&e))?;
        Ok(conn)
    }

    /// Runs `cmd` on the async connection manager (made on first use; it reconnects by
    /// itself), within the time limit whatever the manager does.
    #[cfg(feature = "async")]
    pub(crate) async fn query_async(&self, cmd: &Cmd) -> Result<Value, StoreError> {
        let limit = self.inner.timeout;
        let run = async {
            let manager = self
                .inner
                .manager
                .get_or_try_init(|| {
                    let config = redis::aio::ConnectionManagerConfig::new()
                        .set_connection_timeout(Some(limit))
                        .set_response_timeout(Some(limit))
                        .set_number_of_retries(1);
                    redis::aio::ConnectionManager::new_with_config(
                        self.inner.client.clone(),
                        config,
                    )
                })
                .await
                .map_err(|e| self.store_error(&e))?;
            let mut conn = manager.clone();
            cmd.query_async::<Value>(&mut conn)
                .await
                .map_err(|e| self.store_error(&e))
        };
        match tokio::time::timeout(limit, run).await {
            Ok(answer) => answer,
            Err(_) => Err(StoreError::Timeout(limit)),
        }
    }

    /// The [`StoreError`] of a Redis error: a timeout, or what failed (never the URL).
    fn store_error(&self, e: &redis::RedisError) -> StoreError {
        if e.is_timeout() {
            StoreError::Timeout(self.inner.timeout)
        } else if e.is_connection_refusal() {
            StoreError::Unavailable("connection refused".to_owned())
        } else if e.is_io_error() || e.is_connection_dropped() {
            StoreError::Unavailable("connection failed".to_owned())
        } else {
            StoreError::Unavailable(format!("{:?}", e.kind()))
        }
    }
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("namespace", &self.inner.namespace)
            .field("timeout", &self.inner.timeout)
            .field("lock_ttl", &self.inner.lock_ttl)
            .field("max_wait", &self.inner.max_wait)
            .field("on_failure", &self.inner.on_failure)
            .finish_non_exhaustive()
    }
}

/// The fleet's replay store: `(keyid, nonce)` recorded with `SET name 1 NX PX ttl` (the
/// signature's remaining lifetime), so a signed request replayed to any replica is rejected.
/// Names are `idpkit:{namespace}:replay:{sha256(keyid, nonce)}`. Fail closed: a store that
/// cannot answer rejects the request. It uses the store's sync connections (a command on
/// loopback takes tens of microseconds; the axum guard runs it off the async workers).
///
/// ```no_run
/// # use idpkit::store::{RedisStore, TokenEncryptionKey};
/// # let store = RedisStore::builder("redis://127.0.0.1", "billing", TokenEncryptionKey::from_bytes(&[7; 32])?).build()?;
/// let verifier = idpkit::agent::SignatureVerifier::new(|_: &str| None).replay_store(store);
/// # Ok::<(), idpkit::Error>(())
/// ```
impl crate::agent::ReplayStore for RedisStore {
    fn insert_if_absent(
        &self,
        key_id: &str,
        nonce: &str,
        ttl: Duration,
        _now: SystemTime,
    ) -> Result<bool> {
        let mut pair = Vec::with_capacity(key_id.len() + nonce.len() + 1);
        pair.extend_from_slice(key_id.as_bytes());
        pair.push(0);
        pair.extend_from_slice(nonce.as_bytes());
        let name = self.name("replay", &super::fleet::hex_digest(&pair));
        let answer = self
            .query_blocking(&super::fleet::record(&name, ttl))
            .map_err(|e| Error::from(crate::ErrorKind::Store(e)))?;
        Ok(super::fleet::applied(&answer))
    }

    fn is_remote(&self) -> bool {
        true
    }
}
