//! What the guard pays per request to verify a bearer token, against the project's real test
//! provider (node-oidc-provider, started here on loopback): a JWT access token (RFC 9068)
//! verified locally on first sight (signature against the cached JWKS; the verifier remembers
//! nothing), the same token seen again (the verifier's cache of verified tokens), and the
//! baseline, an introspection round trip to the provider for an opaque token of the same client
//! and scope (the provider refuses to introspect its JWT access tokens).
//!
//! `cargo bench --features axum --bench guard`; medians in
//! `target/criterion/guard/*/new/estimates.json`.

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use idpkit::guard::{IntrospectionVerifier, JwtVerifier, TokenVerifier};
use idpkit::oidc::ClientCredentialsRequest;

#[path = "../tests/support/op.rs"]
mod op;

const API: &str = "urn:idpkit:api:jwt";

fn guard(c: &mut Criterion) {
    // A current-thread runtime: `block_on` then adds the least to what is measured.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let op = op::TestOp::start().expect("start the test OpenID Provider");
    let (jwt, opaque, introspecting, api) = runtime.block_on(async {
        let service = idpkit::IdpClient::builder(&op.issuer, "service")
            .client_secret(op.client_secret("service").expect("secret"))
            .discover()
            .await
            .expect("discovery");
        let token = service
            .client_credentials(&ClientCredentialsRequest::new(["projects:read"]).resource(API))
            .await
            .expect("a JWT access token");
        let opaque = service
            .client_credentials(&ClientCredentialsRequest::new(["projects:read"]))
            .await
            .expect("an opaque access token");
        // One retry: node closes idle keep-alive connections after 5 s, and a request sent on
        // one just as it closes fails; the retry takes a fresh connection.
        let api = idpkit::IdpClient::builder(&op.issuer, "conf-basic")
            .client_secret(op.client_secret("conf-basic").expect("secret"))
            .retry_policy(idpkit::http::RetryPolicy::new(
                1,
                Duration::from_millis(1),
                Duration::from_millis(1),
            ))
            .discover()
            .await
            .expect("discovery");
        (
            token.access_token().expose_secret().to_owned(),
            opaque.access_token().expose_secret().to_owned(),
            IntrospectionVerifier::new(api.clone()),
            api,
        )
    });
    let first_sight = JwtVerifier::new(api.clone(), API).remember(0);
    let seen_again = JwtVerifier::new(api, API);
    runtime.block_on(async {
        // Warm the JWKS cache (and the verified-token cache of the second verifier).
        first_sight.verify(&jwt).await.expect("valid");
        seen_again.verify(&jwt).await.expect("valid");
        introspecting.verify(&opaque).await.expect("active");
    });

    let mut group = c.benchmark_group("guard");
    group.bench_function("jwt_first_sight", |b| {
        b.iter(|| runtime.block_on(first_sight.verify(&jwt)).expect("valid"))
    });
    group.bench_function("jwt_seen_again", |b| {
        b.iter(|| runtime.block_on(seen_again.verify(&jwt)).expect("valid"))
    });
    group.bench_function("introspection_round_trip", |b| {
        b.iter(|| {
            runtime
                .block_on(introspecting.verify(&opaque))
                .expect("active")
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = guard
}
criterion_main!(benches);
