// The token cache on Redis (feature `redis`), compiled once per mode by `tests/clients.rs`:
// replicas are separate `TokenCache`s (each its own process-local cache) sharing one
// `RedisStore` on a real `redis-server` on loopback, against a counting token endpoint. The
// multi-process proof is `tests/redis_fleet.rs`.

use std::time::{Duration, Instant};

use idpkit::service_token::{CachedToken, TokenCache};
use idpkit::store::{FailurePolicy, RedisStore, StoreError, TokenEncryptionKey};
use idpkit::{Clock, ErrorKind};

use super::common::cached_client_credentials as get;
use super::{idp, tokens_at_once};
use crate::redis_server::{self, RedisServer};
use crate::token_server::TokenServer;
use crate::unique;

const SCOPES: &[&str] = &["projects:read"];

fn key() -> TokenEncryptionKey {
    TokenEncryptionKey::from_bytes(&[0x42; 32]).expect("key")
}

fn store(url: &str, namespace: &str, policy: FailurePolicy) -> RedisStore {
    RedisStore::builder(url, namespace, key())
        .timeout(Duration::from_millis(300))
        .lock_ttl(Duration::from_secs(2))
        .max_wait(Duration::from_secs(5))
        .on_failure(policy)
        .build()
        .expect("store")
}

/// A replica: its own process-local cache on the shared store.
fn replica(store: &RedisStore) -> TokenCache {
    TokenCache::builder().shared_store(store.clone()).build()
}

fn client(server: &TokenServer) -> idp::IdpClient {
    idp::IdpClient::builder(server.issuer(), "svc")
        .client_secret("svc-secret")
        .clock(Clock::default())
        .build_with_metadata(server.metadata())
        .expect("client")
}

fn value(token: &CachedToken) -> &str {
    token.access_token().expose_secret()
}

#[test]
fn replicas_share_one_token_request_and_keep_it_encrypted() {
    let redis = redis_server::shared();
    let server = TokenServer::start();
    let namespace = unique("share");
    let store = store(&redis.url(), &namespace, FailurePolicy::Fail);
    let client = client(&server);
    // Four replicas, 50 concurrent callers each, one after another and all cold.
    for _ in 0..4 {
        let cache = replica(&store);
        for r in tokens_at_once(&client, &cache, SCOPES, 50) {
            assert_eq!(value(&r.expect("token")), "at-1");
        }
    }
    assert_eq!(server.requests(), 1);

    // At rest: one entry under the service's namespace, sealed (no token, no scope in clear).
    let entries = redis.keys(&format!("idpkit:{namespace}:token:*"));
    assert_eq!(entries.len(), 1, "{entries:?}");
    let raw = redis.command(&[b"GET", entries[0].as_bytes()]);
    assert!(!raw.windows(4).any(|w| w == b"at-1"));
    assert!(!raw.windows(8).any(|w| w == b"projects"));
    // The lock was released by its owner.
    assert!(redis.keys(&format!("idpkit:{namespace}:lock:*")).is_empty());
    // Another service's namespace (or key) shares nothing.
    let other = store_with_key(&redis.url(), &unique("other"), [0x43; 32]);
    assert_eq!(value(&run!(get(&client, &replica(&other), SCOPES)).unwrap()), "at-2");
}

fn store_with_key(url: &str, namespace: &str, bytes: [u8; 32]) -> RedisStore {
    let key = TokenEncryptionKey::from_bytes(&bytes).expect("key");
    RedisStore::builder(url, namespace, key).build().expect("store")
}

#[test]
fn a_corrupt_or_foreign_entry_is_refetched_never_trusted() {
    let redis = redis_server::shared();
    let server = TokenServer::start();
    server.set_delay(Duration::from_millis(1));
    let namespace = unique("corrupt");
    let store = store(&redis.url(), &namespace, FailurePolicy::Fail);
    let client = client(&server);
    assert_eq!(value(&run!(get(&client, &replica(&store), SCOPES)).unwrap()), "at-1");
    let entries = redis.keys(&format!("idpkit:{namespace}:token:*"));
    assert_eq!(entries.len(), 1);

    // Garbage in place of the entry: refetched, and the entry overwritten.
    redis.command(&[b"SET", entries[0].as_bytes(), b"\x01garbage-garbage-garbage-garbage"]);
    assert_eq!(value(&run!(get(&client, &replica(&store), SCOPES)).unwrap()), "at-2");
    assert_eq!(value(&run!(get(&client, &replica(&store), SCOPES)).unwrap()), "at-2");

    // The same namespace read with another key: the entry does not open, so it is refetched.
    let wrong_key = store_with_key(&redis.url(), &namespace, [0x99; 32]);
    assert_eq!(value(&run!(get(&client, &replica(&wrong_key), SCOPES)).unwrap()), "at-3");
    assert_eq!(server.requests(), 3);
}

#[test]
fn redis_down_falls_back_or_fails_within_the_deadline_and_recovers() {
    let mut redis = RedisServer::start().expect("start redis-server");
    let server = TokenServer::start();
    server.set_delay(Duration::from_millis(1));
    let client = client(&server);
    let namespace = unique("down");
    let local = store(&redis.url(), &namespace, FailurePolicy::FetchLocally);
    let strict = store(&redis.url(), &namespace, FailurePolicy::Fail);
    let (local_cache, strict_cache) = (replica(&local), replica(&strict));
    // Warm: the strict replica's local copy is served without asking the store.
    assert_eq!(value(&run!(get(&client, &strict_cache, SCOPES)).unwrap()), "at-1");

    redis.stop();
    assert_eq!(value(&run!(get(&client, &strict_cache, SCOPES)).unwrap()), "at-1");
    // Cold replicas: the default fetches locally; the strict one fails with a typed error.
    let started = Instant::now();
    assert_eq!(value(&run!(get(&client, &local_cache, SCOPES)).unwrap()), "at-2");
    let err = run!(get(&client, &replica(&strict), SCOPES)).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Store(StoreError::Unavailable(_) | StoreError::Timeout(_))),
        "{err:?}"
    );
    assert!(err.is_retryable());
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    assert_eq!(server.requests(), 2);

    // Back: shared again (the strict replica stores, a new replica reads it).
    redis.restart().expect("restart redis-server");
    let fresh = replica(&strict);
    let shared = wait_for_ok(|| run!(get(&client, &fresh, SCOPES)));
    assert_eq!(value(&shared), "at-3");
    assert_eq!(value(&run!(get(&client, &replica(&local), SCOPES)).unwrap()), "at-3");
    assert_eq!(server.requests(), 3);
}

/// The first success of `f` within 5 s (a reconnecting client may fail its first command).
fn wait_for_ok(mut f: impl FnMut() -> idpkit::Result<CachedToken>) -> CachedToken {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match f() {
            Ok(token) => return token,
            Err(e) if Instant::now() < deadline => {
                assert!(matches!(e.kind(), ErrorKind::Store(_)), "{e:?}");
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("the store did not come back: {e:?}"),
        }
    }
}
