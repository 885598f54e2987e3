//! Token-cache hit path: `TokenCache::lookup` on a cached, fresh token (a shared read lock, a
//! prehashed map probe, one `Arc` clone). Variants: with 1,000 other keys in the cache, with
//! `SystemTime::now()` read on each call, by the key's parts (`lookup_target`, what
//! `cached_client_credentials` does), with a `CacheKey` built on each call, and under contention from a second thread doing hits on
//! the same key in a loop. Target: ≤ 100 ns per hit.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use criterion::{Criterion, criterion_group, criterion_main};
use idpkit::AccessToken;
use idpkit::service_token::{CacheKey, CachedToken, Lookup, TokenCache};

const ENDPOINT: &str = "https://login.example.com/oauth2/token";
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
fn hit_target(cache: &TokenCache, now: SystemTime) -> CachedToken {
    match cache.lookup_target(ENDPOINT, "billing-service", SCOPES, &[], None, now) {
        Lookup::Hit(token) => token,
        _ => panic!("expected a hit"),
    }
}

fn bench(c: &mut Criterion) {
    let now = SystemTime::now();
    let cache = TokenCache::new();
    let key = CacheKey::new(ENDPOINT, "billing-service", SCOPES);
    fill(&cache, &key, now);

    let mut g = c.benchmark_group("token_cache");
    g.bench_function("hit", |b| {
        b.iter(|| hit(black_box(&cache), black_box(&key), black_box(now)))
    });

    let crowded = TokenCache::new();
    for i in 0..1000 {
        fill(
            &crowded,
            &CacheKey::new(ENDPOINT, &format!("svc-{i}"), SCOPES),
            now,
        );
    }
    fill(&crowded, &key, now);
    g.bench_function("hit_among_1000_keys", |b| {
        b.iter(|| hit(black_box(&crowded), black_box(&key), black_box(now)))
    });

    g.bench_function("hit_reading_the_clock", |b| {
        b.iter(|| hit(black_box(&cache), black_box(&key), SystemTime::now()))
    });

    g.bench_function("hit_by_parts", |b| {
        b.iter(|| hit_target(black_box(&cache), black_box(now)))
    });

    g.bench_function("hit_building_the_key", |b| {
        b.iter(|| {
            let key = CacheKey::new(black_box(ENDPOINT), black_box("billing-service"), SCOPES);
            hit(black_box(&cache), &key, black_box(now))
        })
    });

    #[cfg(feature = "blocking")]
    {
        // Through the blocking client (no request is made: the token is cached).
        let client =
            idpkit::blocking::IdpClient::builder("https://login.example.com", "billing-service")
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

    // A second thread doing hits on the same key, flat out, while we measure.
    // (On a 2-core machine shared with other work, this one is noisy.)
    let stop = Arc::new(AtomicBool::new(false));
    let background = {
        let (cache, key, stop) = (cache.clone(), key.clone(), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                black_box(hit(&cache, &key, now));
            }
        })
    };
    g.bench_function("hit_contended_by_a_second_thread", |b| {
        b.iter(|| hit(black_box(&cache), black_box(&key), black_box(now)))
    });
    stop.store(true, Ordering::Relaxed);
    background.join().unwrap();
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
