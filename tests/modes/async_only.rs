// What only the async client has, mounted by the async mount of `tests/clients.rs` alone: a
// caller's future can be dropped (its task aborted) in the middle of a request.

use std::time::{Duration, SystemTime};

use idpkit::ErrorKind;
use idpkit::service_token::{Lookup, TokenCache};

use super::idp;
use crate::token_server::TokenServer;

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
            tokio::spawn(async move { client.cached_client_credentials(&cache, &request).await })
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
            .cached_client_credentials(&cache, &idpkit::oidc::ClientCredentialsRequest::new(["a"]))
            .await
            .expect("the next call requests again");
        assert_eq!(token.access_token().expose_secret(), "at-2");
        assert_eq!(server.requests(), 2);
    });
}
