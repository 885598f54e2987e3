//! The cost of preparing one AuthZEN access evaluation: `idpkit::authz::authzen::build_evaluation_request`
//! (strict serialisation of a typical request with subject, resource and action properties and a
//! context, a fresh random `X-Request-ID`, the `http::Request` itself), next to the bare
//! `serde_json::to_vec` of the same request, so the difference is idpkit's overhead.
//!
//! `cargo bench --bench authzen` (about 10 s); the medians are in
//! `target/criterion/authzen/*/new/estimates.json`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use idpkit::authz::authzen::{
    Action, EvaluationRequest, Resource, Subject, build_evaluation_request,
};
use idpkit::http::RequestLimits;

fn make_request() -> EvaluationRequest {
    EvaluationRequest::new(
        Subject::new(
            "user",
            "CiRmZDA2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs",
        )
        .with_property("department", "engineering")
        .with_property("clearance", 3)
        .with_property("cerbos.roles", vec!["user", "editor"]),
        Action::new("can_update_todo").with_property("method", "PUT"),
        Resource::new("todo", "7240d0db-8ff0-41ec-98b2-34a096273b92")
            .with_property("ownerID", "rick@the-citadel.com"),
    )
    .with_context("time", "1985-10-26T01:22-07:00")
    .with_context("ip", "192.0.2.1")
}

fn bench(c: &mut Criterion) {
    let endpoint = url::Url::parse("https://pdp.example.com/access/v1/evaluation").unwrap();
    let request = make_request();
    let limits = RequestLimits::default();
    let built = build_evaluation_request(&endpoint, &request, limits).unwrap();
    assert_eq!(built.body(), &serde_json::to_vec(&request).unwrap());

    let mut group = c.benchmark_group("authzen");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50);
    group.bench_function("build_evaluation_request", |b| {
        b.iter(|| build_evaluation_request(black_box(&endpoint), black_box(&request), limits))
    });
    group.bench_function("serde_json_to_vec", |b| {
        b.iter(|| serde_json::to_vec(black_box(&request)))
    });
    group.bench_function("construct_and_build", |b| {
        b.iter(|| build_evaluation_request(black_box(&endpoint), &make_request(), limits))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
