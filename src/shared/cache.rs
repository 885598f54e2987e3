//! Client-credentials tokens through a shared [`TokenCache`]. One source, compiled twice: the
//! protocol is the crate root's [`token_cache`](crate::service_token); only the waiting differs
//! between the modes (`super::rt::wait`).

use super::client::IdpClient;
use super::maybe_async;
use super::transport::HttpClient;
use crate::error::Result;
use crate::service_token::{CacheKey, CachedToken, Lookup, TokenCache};

#[maybe_async]
impl<H: HttpClient> IdpClient<H> {
    /// A client-credentials token (RFC 6749 §4.4) for these scopes, from `cache` when it holds
    /// one valid beyond its refresh buffer, else from the token endpoint.
    ///
    /// Single-flight: of any number of concurrent callers (threads, tasks, blocking and async
    /// clients sharing the cache) that find no usable token, one requests it and the others wait
    /// for its answer. A failure reaches every waiter and is not cached: the next call requests
    /// again. If the requesting call is cancelled or panics, the waiters get a retryable
    /// [`ErrorKind::Transport`](crate::ErrorKind::Transport) error.
    ///
    /// Scopes are compared as a set: `["a", "b"]` and `["b a"]` share a token. The cache key is
    /// [`client_credentials_key`](Self::client_credentials_key).
    ///
    /// # Errors
    ///
    /// As [`client_credentials`](Self::client_credentials); a configuration error when the
    /// provider has no token endpoint.
    ///
    /// ```no_run
    /// # #[cfg(feature = "blocking")] {
    /// use idpkit::service_token::TokenCache;
    /// let cache = TokenCache::new(); // one per process, shared by every client
    /// let client = idpkit::IdpClientSync::builder("https://login.example.com", "billing")
    ///     .client_secret("s3cr3t")
    ///     .discover()
    ///     .unwrap();
    /// let token = client.cached_client_credentials(&cache, &["projects:read"]).unwrap();
    /// let header = format!("Bearer {}", token.access_token().expose_secret());
    /// # }
    /// ```
    pub async fn cached_client_credentials(
        &self,
        cache: &TokenCache,
        scopes: &[&str],
    ) -> Result<CachedToken> {
        self.cached_client_credentials_for(cache, scopes, &[]).await
    }

    /// [`cached_client_credentials`](Self::cached_client_credentials) for the given resource
    /// indicators (RFC 8707); tokens for other resources are cached apart.
    ///
    /// # Errors
    ///
    /// As [`client_credentials_for`](Self::client_credentials_for).
    ///
    /// ```no_run
    /// # #[cfg(feature = "async")]
    /// # async fn run(client: idpkit::IdpClient, cache: idpkit::service_token::TokenCache) -> idpkit::Result<()> {
    /// let token = client
    ///     .cached_client_credentials_for(&cache, &["projects:read"], &["https://api.example.com"])
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn cached_client_credentials_for(
        &self,
        cache: &TokenCache,
        scopes: &[&str],
        resources: &[&str],
    ) -> Result<CachedToken> {
        let endpoint =
            self.endpoint("token_endpoint", self.metadata().token_endpoint.as_deref())?;
        // By parts: a hit builds no key and allocates nothing.
        match cache.lookup_target(
            endpoint,
            self.client_id(),
            scopes,
            resources,
            None,
            self.now(),
        ) {
            Lookup::Hit(token) => Ok(token),
            Lookup::Wait(waiter) => super::rt::wait(waiter).await,
            Lookup::Fetch(guard) => {
                // If this future is dropped here, the guard's drop releases the waiters.
                let result = self.client_credentials_for(scopes, resources).await;
                guard.complete(result.map(|agent| CachedToken::from(agent.tokens())))
            }
        }
    }

    /// [`cached_client_credentials_for`](Self::cached_client_credentials_for) with a key made
    /// once by [`client_credentials_key`](Self::client_credentials_key): the fastest hit path
    /// (no normalisation of the scopes on each call), for a caller that asks for the same
    /// scopes again and again.
    ///
    /// # Errors
    ///
    /// As [`client_credentials_for`](Self::client_credentials_for);
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) when `key` names another client, token
    /// endpoint, or an audience (this client does not request audiences).
    ///
    /// ```no_run
    /// # #[cfg(feature = "blocking")] {
    /// # let cache = idpkit::service_token::TokenCache::new();
    /// # let client = idpkit::IdpClientSync::discover("https://login.example.com", "billing").unwrap();
    /// let key = client.client_credentials_key(&["projects:read"], &[]).unwrap();
    /// for _ in 0..3 {
    ///     let token = client.cached_client_credentials_by_key(&cache, &key).unwrap();
    /// }
    /// # }
    /// ```
    pub async fn cached_client_credentials_by_key(
        &self,
        cache: &TokenCache,
        key: &CacheKey,
    ) -> Result<CachedToken> {
        let endpoint = self.metadata().token_endpoint.as_deref();
        if key.client_id() != self.client_id()
            || endpoint != Some(key.token_endpoint())
            || key.audience().is_some()
        {
            return Err(crate::Error::config(
                "the token cache key names another client, token endpoint or an audience",
            ));
        }
        match cache.lookup(key, self.now()) {
            Lookup::Hit(token) => Ok(token),
            Lookup::Wait(waiter) => super::rt::wait(waiter).await,
            Lookup::Fetch(guard) => {
                let scopes: Vec<&str> = key.scopes().iter().map(String::as_str).collect();
                let resources: Vec<&str> = key.resources().iter().map(String::as_str).collect();
                let result = self.client_credentials_for(&scopes, &resources).await;
                guard.complete(result.map(|agent| CachedToken::from(agent.tokens())))
            }
        }
    }
}

impl<H> IdpClient<H> {
    /// The [`CacheKey`] under which [`cached_client_credentials_for`] keeps this client's token
    /// for these scopes and resources: the provider's token endpoint, the client id, the scopes
    /// and the resources. Pass it to [`TokenCache::invalidate_token`] after a resource server
    /// rejected the token.
    ///
    /// [`cached_client_credentials_for`]: Self::cached_client_credentials_for
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) when the provider has no token endpoint.
    ///
    /// ```no_run
    /// # #[cfg(feature = "blocking")] {
    /// # let cache = idpkit::service_token::TokenCache::new();
    /// # let client = idpkit::IdpClientSync::discover("https://login.example.com", "billing").unwrap();
    /// let token = client.cached_client_credentials(&cache, &["projects:read"]).unwrap();
    /// // ... the API answered 401: drop this token (a newer one is kept), then retry once.
    /// let key = client.client_credentials_key(&["projects:read"], &[]).unwrap();
    /// cache.invalidate_token(&key, &token);
    /// # }
    /// ```
    pub fn client_credentials_key(&self, scopes: &[&str], resources: &[&str]) -> Result<CacheKey> {
        let endpoint =
            self.endpoint("token_endpoint", self.metadata().token_endpoint.as_deref())?;
        Ok(CacheKey::with_target(
            endpoint,
            self.client_id(),
            scopes,
            resources,
            None,
        ))
    }
}
