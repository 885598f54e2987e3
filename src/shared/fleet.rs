//! The fleet-wide single-flight of client-credentials tokens on a shared store (feature
//! `redis`), one source for both modes: read the fleet's entry, else take the refresh lock and
//! fetch, else wait for the replica that holds it. The commands and the reading of their
//! answers are pure ([`crate::store`]); this file only sends, waits and applies the failure
//! policy.

use std::time::{Duration, Instant};

use super::client::IdpClient;
use super::maybe_async;
use super::transport::HttpClient;
use crate::error::{ErrorKind, Result};
use crate::oidc::ClientCredentialsRequest;
use crate::service_token::{CacheKey, CachedToken};
use crate::store::fleet::{self, TokenNames};
use crate::store::{FailurePolicy, RedisStore, StoreError};

#[maybe_async]
impl<H: HttpClient> IdpClient<H> {
    /// The token for `key` through the fleet's store: the fleet's token if it is valid beyond
    /// `refresh_before`, else one fetched by exactly one replica. When the store fails, the
    /// store's [`FailurePolicy`] decides.
    pub(super) async fn fleet_token(
        &self,
        store: &RedisStore,
        request: &ClientCredentialsRequest,
        key: &CacheKey,
        refresh_before: Duration,
    ) -> Result<CachedToken> {
        let names = TokenNames::new(store, key);
        match self
            .fleet_attempt(store, request, &names, refresh_before)
            .await
        {
            Ok(result) => result,
            Err(e) => match store.on_failure() {
                FailurePolicy::Fail => Err(ErrorKind::Store(e).into()),
                _ => {
                    tracing::warn!(
                        target: "idpkit::store",
                        error = %e,
                        "the shared token store failed: fetching the token locally"
                    );
                    self.client_credentials_token(request).await
                }
            },
        }
    }

    /// One pass of the protocol: `Err` when the store failed (or the wait ran out), else the
    /// token or the provider's error.
    async fn fleet_attempt(
        &self,
        store: &RedisStore,
        request: &ClientCredentialsRequest,
        names: &TokenNames,
        refresh_before: Duration,
    ) -> std::result::Result<Result<CachedToken>, StoreError> {
        let give_up = Instant::now() + store.max_wait();
        let mut pause = fleet::FIRST_PAUSE;
        loop {
            let answer = super::rt::store_query(store, &fleet::get(&names.entry)).await?;
            if let Some(token) =
                fleet::fresh_token(store, &names.entry, &answer, self.now(), refresh_before)
            {
                return Ok(Ok(token));
            }
            let owner = fleet::owner();
            let lock = fleet::lock(&names.lock, &owner, store.lock_ttl());
            let answer = super::rt::store_query(store, &lock).await?;
            if fleet::applied(&answer) {
                return Ok(self
                    .fetch_as_owner(store, request, names, &owner, refresh_before)
                    .await);
            }
            if Instant::now() + pause >= give_up {
                return Err(StoreError::LockWait(store.max_wait()));
            }
            super::rt::sleep(pause).await;
            pause = (pause * 2).min(fleet::MAX_PAUSE);
        }
    }

    /// Holding the lock: looks once more (the previous holder may have stored the token
    /// between this replica's read and its lock), fetches, stores, releases. A store failure
    /// after the fetch only costs the fleet its copy: the token is still returned.
    async fn fetch_as_owner(
        &self,
        store: &RedisStore,
        request: &ClientCredentialsRequest,
        names: &TokenNames,
        owner: &str,
        refresh_before: Duration,
    ) -> Result<CachedToken> {
        let again = super::rt::store_query(store, &fleet::get(&names.entry)).await;
        let stored = again.ok().and_then(|answer| {
            fleet::fresh_token(store, &names.entry, &answer, self.now(), refresh_before)
        });
        let result = match stored {
            Some(token) => Ok(token),
            None => {
                let fetched = self.client_credentials_token(request).await;
                if let Ok(token) = &fetched
                    && let Some(put) = fleet::put(store, &names.entry, token, self.now())
                    && let Err(e) = super::rt::store_query(store, &put).await
                {
                    tracing::warn!(
                        target: "idpkit::store",
                        error = %e,
                        "the fetched token could not be shared"
                    );
                }
                fetched
            }
        };
        // If the release fails, the lock expires by its TTL.
        let _ = super::rt::store_query(store, &fleet::unlock(&names.lock, owner)).await;
        result
    }
}
