//! Token-cache hit path: a cached, fresh token for the key of `billing-service` at one token
//! endpoint with the scopes `projects:read projects:write billing:read` (stored sorted:
//! `billing:read projects:read projects:write`), no resource, no audience. Each hit takes a
//! shared read lock, probes a prehashed map, compares the key and clones an `Arc`.
//!
//! Side by side, in one run (the inputs are in the names):
//!
//! - `hit_stored_key`: `lookup` with the very `CacheKey` object that was inserted (its `Arc`
//!   is the stored one, so comparing the keys is a pointer comparison).
//! - `hit_equal_key`: `lookup` with an equal key the caller built separately (another `Arc`:
//!   the keys are compared by content).
//! - `hit_by_scopes`: `lookup_target` by endpoint, client id and the scopes as a caller passes
//!   them, unsorted (`["projects:read", "projects:write", "billing:read"]`): matched as a set,
//!   without building a key. What `cached_client_credentials` does.
//! - `hit_stored_key_contended`: `hit_stored_key` while a second thread does hits on the same
//!   key in a loop (both take the read lock; on a 2-core machine shared with other work, noisy).
//! - `hit_stored_key_among_1000_keys`, `hit_stored_key_reading_the_clock` (`SystemTime::now()`
//!   on each call), `hit_building_the_key` (`CacheKey::new` and `lookup` on each call).
//! - With the `blocking` feature, through the blocking client: `client_hit_kept_request`,
//!   `client_hit_fresh_request`.
//!
//! `cargo bench --bench token_cache --no-default-features --features blocking` (`blocking` for
//! the client benches; the others need no feature). Target: ≤ 100 ns per hit.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use criterion::{Criterion, criterion_group, criterion_main};
use idpkit::AccessToken;
use idpkit::service_token::{CacheKey, CachedToken, Lookup, TokenCache};

const ENDPOINT: &str = "https://login.example.com/oauth2/token";
const CLIENT_ID: &str = "billing-service";
/// As a caller passes them: not sorted (the key stores `billing:read` first).
const SCOPES: &[&str] = &["projects:read", "projects:write", "billing:read"];

fn fill(cache: &TokenCache, key: &CacheKey, now: SystemTime) {
    let expires_at = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    match cache.lookup(key, now) {
        Lookup::Fetch(guard) => {
            guard
                .complete(Ok(CachedToken::new(
                    AccessToken::new("eyJhbGciOiJSUzI1NiJ9.payload.signature"),
                    "Bearer",
                    Some(expires_at),
                    Some(SCOPES.join(" ")),
                )))
                .unwrap();
        }
        _ => panic!("cold"),
    }
}

fn hit(cache: &TokenCache, key: &CacheKey, now: SystemTime) -> CachedToken {
    match cache.lookup(key, now) {
        Lookup::Hit(token) => token,
        _ => panic!("expected a hit"),
    }
}

/// What `cached_client_credentials` does on a hit: look up by the key's parts.
fn hit_by_scopes(cache: &TokenCache, scopes: &[&str], now: SystemTime) -> CachedToken {
    match cache.lookup_target(ENDPOINT, CLIENT_ID, scopes, &[], None, now) {
        Lookup::Hit(token) => token,
        _ => panic!("expected a hit"),
    }
}

fn bench(c: &mut Criterion) {
    let now = SystemTime::now();
    let cache = TokenCache::new();
    let stored = CacheKey::new(ENDPOINT, CLIENT_ID, SCOPES);
    fill(&cache, &stored, now);
    // Built apart from the stored key: equal, but another allocation.
    let equal = CacheKey::new(ENDPOINT, CLIENT_ID, SCOPES);
    assert_eq!(equal, stored);

    let mut g = c.benchmark_group("token_cache");
    g.bench_function("hit_stored_key", |b| {
        b.iter(|| hit(black_box(&cache), black_box(&stored), black_box(now)))
    });
    g.bench_function("hit_equal_key", |b| {
        b.iter(|| hit(black_box(&cache), black_box(&equal), black_box(now)))
    });
    g.bench_function("hit_by_scopes", |b| {
        b.iter(|| hit_by_scopes(black_box(&cache), black_box(SCOPES), black_box(now)))
    });

    // A second thread doing hits on the same key, flat out, while we measure.
    let stop = Arc::new(AtomicBool::new(false));
    let background = {
        let (cache, key, stop) = (cache.clone(), stored.clone(), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                black_box(hit(&cache, &key, now));
            }
        })
    };
    g.bench_function("hit_stored_key_contended", |b| {
        b.iter(|| hit(black_box(&cache), black_box(&stored), black_box(now)))
    });
    stop.store(true, Ordering::Relaxed);
    background.join().unwrap();

    let crowded = TokenCache::new();
    for i in 0..1000 {
        fill(
            &crowded,
            &CacheKey::new(ENDPOINT, &format!("svc-{i}"), SCOPES),
            now,
        );
    }
    fill(&crowded, &stored, now);
    g.bench_function("hit_stored_key_among_1000_keys", |b| {
        b.iter(|| hit(black_box(&crowded), black_box(&stored), black_box(now)))
    });

    g.bench_function("hit_stored_key_reading_the_clock", |b| {
        b.iter(|| hit(black_box(&cache), black_box(&stored), SystemTime::now()))
    });

    g.bench_function("hit_building_the_key", |b| {
        b.iter(|| {
            let key = CacheKey::new(black_box(ENDPOINT), black_box(CLIENT_ID), SCOPES);
            hit(black_box(&cache), &key, black_box(now))
        })
    });

    #[cfg(feature = "blocking")]
    {
        // Through the blocking client (no request is made: the token is cached).
        let client = idpkit::blocking::IdpClient::builder("https://login.example.com", CLIENT_ID)
            .client_secret("s3cr3t")
            .build_with_metadata(
                serde_json::from_value(serde_json::json!({
                    "issuer": "https://login.example.com",
                    "authorization_endpoint": "https://login.example.com/auth",
                    "token_endpoint": ENDPOINT,
                    "jwks_uri": "https://login.example.com/jwks",
                }))
                .unwrap(),
            )
            .unwrap();
        let request = idpkit::oidc::ClientCredentialsRequest::new(SCOPES.iter().copied());
        let key = client.client_credentials_key(&request).unwrap();
        let cache = TokenCache::new();
        fill(&cache, &key, SystemTime::now());
        // The request value kept between calls: its key is made once and remembered.
        g.bench_function("client_hit_kept_request", |b| {
            b.iter(|| {
                client
                    .cached_client_credentials(black_box(&cache), black_box(&request))
                    .unwrap()
            })
        });
        // A request value built on every call (scopes copied, key built and normalised).
        g.bench_function("client_hit_fresh_request", |b| {
            b.iter(|| {
                let request = idpkit::oidc::ClientCredentialsRequest::new(SCOPES.iter().copied());
                client
                    .cached_client_credentials(black_box(&cache), black_box(&request))
                    .unwrap()
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
