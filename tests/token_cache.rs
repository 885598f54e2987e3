//! The client-credentials token cache through the clients, in both modes, against a counting
//! loopback token endpoint. Each behaviour is written once in `modes/token_cache.rs`; the
//! fan-out of concurrent callers (threads or tasks) and the async-only cancellation are below.

#![cfg(any(feature = "blocking", feature = "async"))]

#[path = "support/fan_out.rs"]
mod fan_out;
#[path = "support/token_server.rs"]
mod token_server;

#[cfg(feature = "blocking")]
#[path = "modes"]
mod blocking {
    use idpkit::blocking as idp;
    use idpkit::service_token::{CachedToken, TokenCache};
    use maybe_async::must_be_sync as maybe_async;

    use super::token_server::TokenServer;

    macro_rules! run {
        ($e:expr) => {
            $e
        };
    }

    /// `n` threads (small stacks) ask for the token at the same time.
    fn fan_out(
        client: &idp::IdpClient,
        cache: &TokenCache,
        scopes: &[&str],
        n: usize,
    ) -> Vec<idpkit::Result<CachedToken>> {
        let request = idpkit::oidc::ClientCredentialsRequest::new(scopes.iter().copied());
        super::fan_out::on_threads(n, || client.cached_client_credentials(cache, &request))
    }

    #[allow(clippy::duplicate_mod)]
    mod token_cache;
}

#[cfg(feature = "async")]
#[path = "modes"]
mod asynch {
    use std::sync::Arc;
    use std::time::{Duration, SystemTime};

    use idpkit::ErrorKind;
    use idpkit::asynch as idp;
    use idpkit::service_token::{CachedToken, Lookup, TokenCache};
    use maybe_async::must_be_async as maybe_async;

    use super::token_server::TokenServer;

    macro_rules! run {
        ($e:expr) => {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime")
                .block_on($e)
        };
    }

    /// `n` tasks on a multi-threaded runtime ask for the token at the same time.
    fn fan_out(
        client: &idp::IdpClient,
        cache: &TokenCache,
        scopes: &[&str],
        n: usize,
    ) -> Vec<idpkit::Result<CachedToken>> {
        let request = Arc::new(idpkit::oidc::ClientCredentialsRequest::new(
            scopes.iter().copied(),
        ));
        super::fan_out::on_tasks(n, || {
            let (client, cache, request) = (client.clone(), cache.clone(), request.clone());
            async move { client.cached_client_credentials(&cache, &request).await }
        })
    }

    #[allow(clippy::duplicate_mod)]
    mod token_cache;

    /// A fetching task cancelled mid-request (its future dropped) releases the callers
    /// waiting on it with an error, and the next call requests again.
    #[test]
    fn a_cancelled_fetch_releases_its_waiters() {
        let server = TokenServer::start();
        server.set_delay(Duration::from_secs(2));
        let cache = TokenCache::new();
        let client = idp::IdpClient::builder(server.issuer(), "svc")
            .client_secret("svc-secret")
            .build_with_metadata(server.metadata())
            .expect("client");
        run!(async {
            let fetcher = {
                let (client, cache) = (client.clone(), cache.clone());
                let request = idpkit::oidc::ClientCredentialsRequest::new(["a"]);
                tokio::spawn(
                    async move { client.cached_client_credentials(&cache, &request).await },
                )
            };
            while server.requests() == 0 {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            let key = client
                .client_credentials_key(&idpkit::oidc::ClientCredentialsRequest::new(["a"]))
                .expect("key");
            let Lookup::Wait(waiter) = cache.lookup(&key, SystemTime::now()) else {
                panic!("a fetch is in flight")
            };
            let waiting = tokio::spawn(waiter.wait());
            fetcher.abort();
            assert!(fetcher.await.expect_err("aborted").is_cancelled());
            let err = tokio::time::timeout(Duration::from_secs(1), waiting)
                .await
                .expect("the waiter is released at once")
                .expect("task")
                .expect_err("the waiter gets an error");
            assert!(matches!(err.kind(), ErrorKind::Transport { .. }), "{err:?}");
            assert!(err.is_retryable());

            server.set_delay(Duration::from_millis(1));
            let token = client
                .cached_client_credentials(
                    &cache,
                    &idpkit::oidc::ClientCredentialsRequest::new(["a"]),
                )
                .await
                .expect("the next call requests again");
            assert_eq!(token.access_token().expose_secret(), "at-2");
            assert_eq!(server.requests(), 2);
        });
    }
}
