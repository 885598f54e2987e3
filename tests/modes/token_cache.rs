// The client-credentials token cache through the clients, against a counting loopback token
// endpoint, compiled once per mode by `tests/clients.rs`. Every test starts its own token
// server: they count its requests. The async-only cancellation is in `modes/async_only.rs`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use idpkit::service_token::{CachedToken, TokenCache};
use idpkit::{Clock, Result};

use super::common::cached_client_credentials as get;
use super::{idp, tokens_at_once};
use crate::token_server::TokenServer;

const SCOPES: &[&str] = &["projects:read", "projects:write"];
/// The test clock's start, a whole second.
const T0: u64 = 1_700_000_000;

fn client_for(server: &TokenServer, client_id: &str, clock: Clock) -> idp::IdpClient {
    idp::IdpClient::builder(server.issuer(), client_id)
        .client_secret("svc-secret")
        .clock(clock)
        .build_with_metadata(server.metadata())
        .expect("client")
}

fn client(server: &TokenServer) -> idp::IdpClient {
    client_for(server, "svc", Clock::default())
}

/// A clock the test moves: milliseconds since the epoch.
fn test_clock() -> (Clock, Arc<AtomicU64>) {
    let millis = Arc::new(AtomicU64::new(T0 * 1000));
    let read = Arc::clone(&millis);
    let clock = Clock::new(move || {
        SystemTime::UNIX_EPOCH + Duration::from_millis(read.load(Ordering::SeqCst))
    });
    (clock, millis)
}

fn set_time(millis: &AtomicU64, since_t0: Duration) {
    millis.store(T0 * 1000 + since_t0.as_millis() as u64, Ordering::SeqCst);
}

fn value(token: &CachedToken) -> &str {
    token.access_token().expose_secret()
}

fn assert_all(results: Vec<Result<CachedToken>>, expected: &str) {
    let n = results.len();
    for r in results {
        assert_eq!(value(&r.expect("token")), expected, "of {n} callers");
    }
}

#[test]
fn thousand_concurrent_callers_make_one_token_request() {
    let server = TokenServer::start();
    let cache = TokenCache::new();
    let client = client(&server);
    let results = tokens_at_once(&client, &cache, SCOPES, 1000);
    assert_eq!(results.len(), 1000);
    assert_all(results, "at-1");
    assert_eq!(server.requests(), 1);
    // Afterwards: a hit, no request.
    let token = run!(get(&client, &cache, SCOPES)).expect("token");
    assert_eq!(value(&token), "at-1");
    assert_eq!(token.token_type(), "Bearer");
    assert!(token.expires_at().is_some());
    assert_eq!(server.requests(), 1);
}

#[test]
fn equal_scope_sets_share_a_token_other_keys_do_not() {
    let server = TokenServer::start();
    server.set_delay(Duration::from_millis(1));
    let cache = TokenCache::new();
    let client = client(&server);
    assert_eq!(value(&run!(get(&client, &cache, SCOPES)).unwrap()), "at-1");
    // Order and splitting do not matter; another client of the same id shares the cache.
    let same = ["projects:write projects:read", "projects:read"];
    assert_eq!(value(&run!(get(&client, &cache, &same)).unwrap()), "at-1");
    let twin = client_for(&server, "svc", Clock::default());
    assert_eq!(value(&run!(get(&twin, &cache, SCOPES)).unwrap()), "at-1");
    assert_eq!(server.requests(), 1);
    // Fewer scopes, another client id, a resource: each its own token.
    assert_eq!(
        value(&run!(get(&client, &cache, &["projects:read"])).unwrap()),
        "at-2"
    );
    let other = client_for(&server, "svc-2", Clock::default());
    assert_eq!(value(&run!(get(&other, &cache, SCOPES)).unwrap()), "at-3");
    let for_api =
        run!(client.cached_client_credentials(
            &cache,
            &idpkit::oidc::ClientCredentialsRequest::new(SCOPES.iter().copied())
                .resource("https://api.example")
        ));
    assert_eq!(value(&for_api.unwrap()), "at-4");
    // A separate cache shares nothing.
    assert_eq!(
        value(&run!(get(&client, &TokenCache::new(), SCOPES)).unwrap()),
        "at-5"
    );
    assert_eq!(server.requests(), 5);
}

#[test]
fn a_token_within_the_refresh_buffer_is_refreshed_by_exactly_one_request() {
    let server = TokenServer::start();
    let cache = TokenCache::new(); // refresh 60 s before expiry
    let (clock, millis) = test_clock();
    let client = client_for(&server, "svc", clock);
    assert_eq!(value(&run!(get(&client, &cache, SCOPES)).unwrap()), "at-1"); // expires T0+3600

    set_time(&millis, Duration::from_millis(3_539_999));
    let results = tokens_at_once(&client, &cache, SCOPES, 50);
    assert_all(results, "at-1");
    assert_eq!(server.requests(), 1);

    set_time(&millis, Duration::from_secs(3_540));
    let results = tokens_at_once(&client, &cache, SCOPES, 300);
    assert_all(results, "at-2");
    assert_eq!(server.requests(), 2);
}

#[test]
fn expiry_is_respected() {
    let server = TokenServer::start();
    server.set_delay(Duration::from_millis(1));
    server.set_expires_in(5);
    let cache = TokenCache::builder().refresh_before(Duration::ZERO).build();
    let (clock, millis) = test_clock();
    let client = client_for(&server, "svc", clock);
    assert_eq!(value(&run!(get(&client, &cache, SCOPES)).unwrap()), "at-1");
    set_time(&millis, Duration::from_millis(4_999));
    assert_eq!(value(&run!(get(&client, &cache, SCOPES)).unwrap()), "at-1");
    set_time(&millis, Duration::from_secs(5));
    assert_eq!(value(&run!(get(&client, &cache, SCOPES)).unwrap()), "at-2");
    assert_eq!(server.requests(), 2);

    // A lifetime shorter than the 60 s buffer: never reused, never stale.
    let cache = TokenCache::new();
    server.set_expires_in(30);
    assert_eq!(value(&run!(get(&client, &cache, SCOPES)).unwrap()), "at-3");
    assert_eq!(value(&run!(get(&client, &cache, SCOPES)).unwrap()), "at-4");
}

#[test]
fn a_failing_endpoint_fails_every_waiter_then_the_next_call_recovers() {
    let server = TokenServer::start();
    server.set_status(500);
    server.set_delay(Duration::from_millis(500));
    let cache = TokenCache::new();
    let client = client(&server);
    let results = tokens_at_once(&client, &cache, SCOPES, 200);
    assert_eq!(results.len(), 200);
    for r in results {
        let err = r.expect_err("every caller gets the error");
        assert_eq!(err.status(), Some(500), "{err:?}");
    }
    assert_eq!(server.requests(), 1);

    server.set_status(200);
    server.set_delay(Duration::from_millis(1));
    assert_eq!(value(&run!(get(&client, &cache, SCOPES)).unwrap()), "at-2");
    assert_eq!(server.requests(), 2);
}

#[test]
fn a_rejected_token_is_dropped_once_and_fetched_again_once() {
    let server = TokenServer::start();
    server.set_delay(Duration::from_millis(1));
    let cache = TokenCache::new();
    let client = client(&server);
    let first = run!(get(&client, &cache, SCOPES)).unwrap();
    // The resource server answered 401 with `first`: two callers report it.
    let key = client
        .client_credentials_key(&idpkit::oidc::ClientCredentialsRequest::new(
            SCOPES.iter().copied(),
        ))
        .unwrap();
    assert!(cache.invalidate_token(&key, &first));
    let second = run!(get(&client, &cache, SCOPES)).unwrap();
    assert_eq!(value(&second), "at-2");
    assert!(
        !cache.invalidate_token(&key, &first),
        "the newer token stays"
    );
    assert_eq!(value(&run!(get(&client, &cache, SCOPES)).unwrap()), "at-2");
    // A plain invalidate drops whatever is cached.
    cache.invalidate(&key);
    assert_eq!(value(&run!(get(&client, &cache, SCOPES)).unwrap()), "at-3");
    assert_eq!(server.requests(), 3);
}

#[test]
fn a_kept_request_shares_the_token_and_keys_each_client_apart() {
    let server = TokenServer::start();
    server.set_delay(Duration::from_millis(1));
    let cache = TokenCache::new();
    let client = client(&server);
    let request = idpkit::oidc::ClientCredentialsRequest::new(["projects:write", "projects:read"]);
    let by_key = run!(client.cached_client_credentials(&cache, &request)).unwrap();
    assert_eq!(value(&by_key), "at-1");
    let by_parts = run!(get(&client, &cache, SCOPES)).unwrap();
    assert!(by_parts.same_as(&by_key));
    assert_eq!(server.requests(), 1);

    let other = client_for(&server, "svc-2", Clock::default());
    // The same request value, kept by another client: that client's own key and token.
    let theirs = run!(other.cached_client_credentials(&cache, &request)).unwrap();
    assert!(!theirs.same_as(&by_key));
    assert_eq!(server.requests(), 2);
    assert_ne!(
        other.client_credentials_key(&request).unwrap(),
        client.client_credentials_key(&request).unwrap()
    );
    let again = run!(client.cached_client_credentials(&cache, &request)).unwrap();
    assert!(again.same_as(&by_key));
    assert_eq!(server.requests(), 2);
}
