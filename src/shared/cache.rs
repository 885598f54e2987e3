//! Client-credentials tokens (RFC 6749 §4.4): straight from the token endpoint, or through a
//! shared [`TokenCache`]. One source, compiled twice: the cache's protocol is
//! [`service_token`](crate::service_token); only the waiting differs between the modes
//! (`super::rt::wait`).

use super::client::IdpClient;
use super::maybe_async;
use super::transport::HttpClient;
use crate::error::Result;
use crate::oidc::{ClientCredentialsRequest, Principal};
use crate::service_token::{CacheKey, CachedToken, Lookup, TokenCache};

#[maybe_async]
impl<H: HttpClient> IdpClient<H> {
    /// Gets a token for this client itself (OAuth 2.0 client credentials, RFC 6749 §4.4): a
    /// principal of type [`Agent`](crate::oidc::PrincipalType::Agent) whose access is the
    /// token's scopes. Every call asks the provider; see
    /// [`cached_client_credentials`](Self::cached_client_credentials) for a shared cache.
    ///
    /// # Errors
    ///
    /// The token endpoint's errors (`invalid_client` for bad credentials, `invalid_scope`,
    /// `invalid_target` for an unknown resource); a configuration error when the provider has
    /// no token endpoint.
    ///
    /// ```no_run
    /// # #[cfg(feature = "blocking")] {
    /// use idpkit::oidc::ClientCredentialsRequest;
    /// let client = idpkit::IdpClientSync::builder("https://login.example.com", "billing")
    ///     .client_secret("s3cr3t")
    ///     .discover()
    ///     .unwrap();
    /// let service = client.client_credentials(&ClientCredentialsRequest::new(["projects:read"])).unwrap();
    /// assert!(service.has_access("read", "projects"));
    /// # }
    /// ```
    pub async fn client_credentials(
        &self,
        request: &ClientCredentialsRequest,
    ) -> Result<Principal> {
        let scope = request.scope();
        let resources: Vec<&str> = request.resources().iter().map(String::as_str).collect();
        let grant = request.grant(scope.as_deref(), &resources);
        let tokens = self.token_request(&grant).await?;
        Ok(Principal::for_service(self.client_id(), tokens))
    }

    /// A client-credentials token for `request`, from `cache` when it holds one valid beyond
    /// its refresh lead time, else from the token endpoint.
    ///
    /// Single-flight: of any number of concurrent callers (threads, tasks, blocking and async
    /// clients sharing the cache) that find no usable token, one requests it and the others wait
    /// for its answer. A failure reaches every waiter and is not cached: the next call requests
    /// again. If the requesting call is cancelled or panics, the waiters get a retryable
    /// [`ErrorKind::Transport`](crate::ErrorKind::Transport) error.
    ///
    /// Scopes and resources are compared as sets: `["a", "b"]` and `["b", "a"]` share a token.
    /// Keep the request value between calls: its cache key is made once
    /// ([`ClientCredentialsRequest::cache_key`]).
    ///
    /// # Errors
    ///
    /// As [`client_credentials`](Self::client_credentials).
    ///
    /// ```no_run
    /// # #[cfg(feature = "blocking")] {
    /// use idpkit::oidc::ClientCredentialsRequest;
    /// use idpkit::service_token::TokenCache;
    /// let cache = TokenCache::new(); // one per process, shared by every client
    /// let client = idpkit::IdpClientSync::builder("https://login.example.com", "billing")
    ///     .client_secret("s3cr3t")
    ///     .discover()
    ///     .unwrap();
    /// let request = ClientCredentialsRequest::new(["projects:read"]);
    /// let token = client.cached_client_credentials(&cache, &request).unwrap();
    /// let header = format!("Bearer {}", token.access_token().expose_secret());
    /// # }
    /// ```
    pub async fn cached_client_credentials(
        &self,
        cache: &TokenCache,
        request: &ClientCredentialsRequest,
    ) -> Result<CachedToken> {
        let key = self.client_credentials_key(request)?;
        match cache.lookup(&key, self.now()) {
            Lookup::Hit(token) => Ok(token),
            Lookup::Wait(waiter) => super::rt::wait(waiter).await,
            Lookup::Fetch(guard) => {
                // If this future is dropped here, the guard's drop releases the waiters.
                #[cfg(feature = "redis")]
                if let Some(store) = cache.shared_store() {
                    let result = self
                        .fleet_token(store, request, guard.key(), cache.refresh_before())
                        .await;
                    return guard.complete(result);
                }
                let result = self.client_credentials_token(request).await;
                guard.complete(result)
            }
        }
    }

    /// A client-credentials token for `request` from the token endpoint, as the cache keeps it.
    pub(super) async fn client_credentials_token(
        &self,
        request: &ClientCredentialsRequest,
    ) -> Result<CachedToken> {
        let principal = self.client_credentials(request).await?;
        Ok(CachedToken::from(principal.tokens()))
    }
}

impl<H> IdpClient<H> {
    /// The [`CacheKey`] under which [`cached_client_credentials`] keeps this client's token
    /// for `request`: the provider's token endpoint, the client id, the scopes, resources and
    /// audience. Pass it to [`TokenCache::invalidate_token`] after a resource server rejected
    /// the token.
    ///
    /// [`cached_client_credentials`]: Self::cached_client_credentials
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) when the provider has no token endpoint.
    ///
    /// ```no_run
    /// # #[cfg(feature = "blocking")] {
    /// # let cache = idpkit::service_token::TokenCache::new();
    /// # let client = idpkit::IdpClientSync::discover("https://login.example.com", "billing").unwrap();
    /// let request = idpkit::oidc::ClientCredentialsRequest::new(["projects:read"]);
    /// let token = client.cached_client_credentials(&cache, &request).unwrap();
    /// // ... the API answered 401: drop this token (a newer one is kept), then retry once.
    /// cache.invalidate_token(&client.client_credentials_key(&request).unwrap(), &token);
    /// # }
    /// ```
    pub fn client_credentials_key(&self, request: &ClientCredentialsRequest) -> Result<CacheKey> {
        let endpoint =
            self.endpoint("token_endpoint", self.metadata().token_endpoint.as_deref())?;
        Ok(request.cache_key(endpoint, self.client_id()))
    }
}
