//! The token cache with a Redis shared store (feature `redis`), in one run, through the
//! clients, against a `redis-server` on loopback that the bench starts (and the counting
//! loopback token endpoint of the tests, asked once):
//!
//! - `in_process_hit`: the blocking client's `cached_client_credentials` on a replica whose
//!   local copy is fresh. The store is attached but not asked: the unchanged fast path.
//! - `redis_hit_blocking`: a replica without a local copy (a new process-local cache each
//!   time) reads the fleet's token from Redis: one `GET` on a sync connection, AES-256-GCM
//!   open, local insert.
//! - `redis_hit_async`: the same through the async client (the connection manager), on a
//!   current-thread Tokio runtime.
//!
//! `cargo bench --bench redis_cache --no-default-features --features blocking,async,redis`

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use idpkit::oidc::ClientCredentialsRequest;
use idpkit::service_token::TokenCache;
use idpkit::store::{RedisStore, TokenEncryptionKey};

#[path = "../tests/support/redis.rs"]
mod redis_server;
#[path = "../tests/support/token_server.rs"]
mod token_server;

fn bench(c: &mut Criterion) {
    let redis = redis_server::RedisServer::start().expect("start redis-server");
    let server = token_server::TokenServer::start();
    server.set_delay(Duration::ZERO);
    let key = TokenEncryptionKey::from_bytes(&[0x42; 32]).unwrap();
    let store = RedisStore::builder(redis.url(), "bench", key)
        .build()
        .unwrap();
    let request = ClientCredentialsRequest::new(["projects:read", "projects:write"]);
    let blocking = idpkit::blocking::IdpClient::builder(server.issuer(), "svc")
        .client_secret("svc-secret")
        .build_with_metadata(server.metadata())
        .unwrap();
    let nonblocking = idpkit::asynch::IdpClient::builder(server.issuer(), "svc")
        .client_secret("svc-secret")
        .build_with_metadata(server.metadata())
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    let replica = TokenCache::builder().shared_store(store.clone()).build();
    let first = blocking
        .cached_client_credentials(&replica, &request)
        .unwrap();
    assert_eq!(server.requests(), 1);

    let mut group = c.benchmark_group("redis_cache");
    group.bench_function("in_process_hit", |b| {
        b.iter(|| {
            black_box(
                blocking
                    .cached_client_credentials(&replica, &request)
                    .unwrap(),
            )
        })
    });
    group.bench_function("redis_hit_blocking", |b| {
        b.iter(|| {
            let cold = TokenCache::builder().shared_store(store.clone()).build();
            black_box(blocking.cached_client_credentials(&cold, &request).unwrap())
        })
    });
    group.bench_function("redis_hit_async", |b| {
        b.iter(|| {
            let cold = TokenCache::builder().shared_store(store.clone()).build();
            runtime.block_on(async {
                black_box(
                    nonblocking
                        .cached_client_credentials(&cold, &request)
                        .await
                        .unwrap(),
                )
            })
        })
    });
    group.finish();
    // Every hit was the fleet's one token.
    assert_eq!(server.requests(), 1);
    assert_eq!(
        blocking
            .cached_client_credentials(&TokenCache::builder().shared_store(store).build(), &request)
            .unwrap(),
        first
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
