//! A blocking client and an async client in one process sharing ONE token cache: concurrent
//! callers from both make one token request, and blocking threads and async tasks wait on the
//! same fetch, whichever kind started it.

#![cfg(all(feature = "blocking", feature = "async"))]

#[path = "support/token_server.rs"]
mod token_server;

use idpkit::oidc::ClientCredentialsRequest;
use std::time::Duration;

use idpkit::service_token::{CachedToken, TokenCache};
use token_server::TokenServer;

const SCOPES: &[&str] = &["projects:read"];

/// `threads` blocking callers and `tasks` async callers, the fetch started by one caller of
/// the kind `blocking_first` says; returns every answer and the number of token requests.
fn mixed(
    blocking_first: bool,
    threads: usize,
    tasks: usize,
) -> (Vec<idpkit::Result<CachedToken>>, usize) {
    let server = TokenServer::start();
    server.set_delay(Duration::from_millis(500));
    let cache = TokenCache::new();
    let sync_client = idpkit::blocking::IdpClient::builder(server.issuer(), "svc")
        .client_secret("svc-secret")
        .build_with_metadata(server.metadata())
        .expect("blocking client");
    let async_client = idpkit::asynch::IdpClient::builder(server.issuer(), "svc")
        .client_secret("svc-secret")
        .build_with_metadata(server.metadata())
        .expect("async client");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let request = std::sync::Arc::new(ClientCredentialsRequest::new(SCOPES.iter().copied()));
    let spawn_task = || {
        let (client, cache, request) = (async_client.clone(), cache.clone(), request.clone());
        rt.spawn(async move { client.cached_client_credentials(&cache, &request).await })
    };

    let results = std::thread::scope(|s| {
        let spawn_thread = || {
            std::thread::Builder::new()
                .stack_size(256 * 1024)
                .spawn_scoped(s, || {
                    sync_client.cached_client_credentials(&cache, &request)
                })
                .expect("spawn")
        };
        let mut threads_started = Vec::new();
        let mut tasks_started = Vec::new();
        // The first caller starts the fetch; once its request has reached the server, every
        // other caller joins that fetch.
        if blocking_first {
            threads_started.push(spawn_thread());
        } else {
            tasks_started.push(spawn_task());
        }
        server.wait_for_requests(1);
        while tasks_started.len() < tasks || threads_started.len() < threads {
            if tasks_started.len() < tasks {
                tasks_started.push(spawn_task());
            }
            if threads_started.len() < threads {
                threads_started.push(spawn_thread());
            }
        }
        let mut results: Vec<_> = threads_started
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect();
        for task in tasks_started {
            results.push(rt.block_on(task).expect("task"));
        }
        results
    });
    (results, server.requests())
}

#[test]
fn blocking_fetch_async_and_blocking_waiters() {
    let (results, requests) = mixed(true, 300, 300);
    assert_eq!(results.len(), 600);
    for r in results {
        assert_eq!(r.expect("token").access_token().expose_secret(), "at-1");
    }
    assert_eq!(requests, 1);
}

#[test]
fn async_fetch_blocking_and_async_waiters() {
    let (results, requests) = mixed(false, 300, 300);
    assert_eq!(results.len(), 600);
    for r in results {
        assert_eq!(r.expect("token").access_token().expose_secret(), "at-1");
    }
    assert_eq!(requests, 1);
}

#[test]
fn one_cache_serves_both_clients_afterwards() {
    let server = TokenServer::start();
    server.set_delay(Duration::from_millis(1));
    let cache = TokenCache::new();
    let sync_client = idpkit::IdpClientSync::builder(server.issuer(), "svc")
        .client_secret("svc-secret")
        .build_with_metadata(server.metadata())
        .expect("blocking client");
    let async_client = idpkit::IdpClient::builder(server.issuer(), "svc")
        .client_secret("svc-secret")
        .build_with_metadata(server.metadata())
        .expect("async client");
    let from_sync = sync_client
        .cached_client_credentials(
            &cache,
            &ClientCredentialsRequest::new(SCOPES.iter().copied()),
        )
        .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let from_async = rt
        .block_on(
            async_client.cached_client_credentials(
                &cache,
                &ClientCredentialsRequest::new(["projects:read"]),
            ),
        )
        .unwrap();
    assert!(from_sync.same_as(&from_async));
    assert_eq!(server.requests(), 1);
}
