//! Scope evaluation benchmarks: `ScopeSet::has_access`, `has_access` over a slice, and a
//! naive port of the reference SDK (parse every scope on every check, one owned object per
//! scope) as the baseline of the checks; building a `ScopeSet`, beside a plain
//! `HashSet<String>` of the same strings as the baseline of the build (`-- build` runs
//! only those: compare the two medians of each size).
//!
//! Each measured iteration runs the 4 requests of one kind (hits or misses, resources of
//! depth 1, 2, 3 and 4), so the time per check is the iteration's time / 4 (criterion's
//! throughput line shows checks per second). `scripts/bench-vs-reference.sh` prints the
//! per-check medians next to the reference Python SDK timed on the same inputs.
//!
//! Inputs (mirrored in `scripts/bench_vs_reference.py`, keep both in sync): scope `i` is
//! `svc{i}:read`, `svc{i}.items:write`, `svc{i}.items.meta:**` or `svc{i}:*` for
//! `i % 4` = 0, 1, 2, 3. Hits target the last scopes of each kind, so a scan goes through
//! nearly the whole list; misses go through all of it.

use std::collections::HashSet;
use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use idpkit::authz::scope::{ScopeSet, has_access};

const SIZES: &[usize] = &[10, 100, 1_000, 10_000];

fn scopes(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| match i % 4 {
            0 => format!("svc{i}:read"),
            1 => format!("svc{i}.items:write"),
            2 => format!("svc{i}.items.meta:**"),
            _ => format!("svc{i}:*"),
        })
        .collect()
}

/// Last `i < n` with `i % 4 == kind`.
fn last(n: usize, kind: usize) -> usize {
    (0..n).rev().find(|i| i % 4 == kind).expect("n >= 4")
}

/// 4 requests that are granted, with resources of depth 1 to 4.
fn hits(n: usize) -> Vec<(String, String)> {
    let (k0, k1, k2) = (last(n, 0), last(n, 1), last(n, 2));
    vec![
        ("read".into(), format!("svc{k0}")),
        ("write".into(), format!("svc{k1}.items")),
        ("x".into(), format!("svc{k2}.items.meta")),
        ("x".into(), format!("svc{k2}.items.meta.extra")),
    ]
}

/// 4 requests that are refused, with resources of depth 1 to 4 (the deeper ones share
/// prefixes with `**` scopes, so the compiled set walks every prefix).
fn misses(n: usize) -> Vec<(String, String)> {
    let (k0, k1, k2) = (last(n, 0), last(n, 1), last(n, 2));
    vec![
        ("write".into(), format!("svc{k0}")),
        ("read".into(), format!("svc{k1}.items")),
        ("x".into(), format!("svc{k2}.items.other")),
        ("x".into(), format!("svc{k2}.items.other.more")),
    ]
}

/// The reference SDK's algorithm, ported naively: every check parses every scope into an
/// owned object (as `ParsedScope(...)` does) and builds `resource + "."` for `**`.
mod naive {
    pub struct ParsedScope {
        pub resource: String,
        pub action: String,
    }

    pub fn parse_scope(scope: &str) -> Option<ParsedScope> {
        if scope.is_empty() {
            return None;
        }
        let colon = scope.rfind(':')?;
        let (resource, action) = (&scope[..colon], &scope[colon + 1..]);
        if resource.is_empty() || action.is_empty() {
            return None;
        }
        Some(ParsedScope {
            resource: resource.to_owned(),
            action: action.to_owned(),
        })
    }

    fn grants(parsed: &ParsedScope, action: &str, resource: &str) -> bool {
        let (r, a) = (parsed.resource.as_str(), parsed.action.as_str());
        if !(a == action || a == "*" || a == "**") {
            return false;
        }
        if r == "*" {
            return a == "**" || !resource.contains('.');
        }
        if r == resource {
            return true;
        }
        a == "**" && resource.starts_with(&(parsed.resource.clone() + "."))
    }

    pub fn has_access(scopes: &[String], action: &str, resource: &str) -> bool {
        for scope in scopes {
            let Some(parsed) = parse_scope(scope) else {
                continue;
            };
            if grants(&parsed, action, resource) {
                return true;
            }
        }
        false
    }
}

fn check_inputs() {
    for &n in SIZES {
        let scopes = scopes(n);
        let set: ScopeSet = scopes.iter().collect();
        for (action, resource) in hits(n) {
            assert!(set.has_access(&action, &resource));
            assert!(has_access(&scopes, &action, &resource));
            assert!(naive::has_access(&scopes, &action, &resource));
        }
        for (action, resource) in misses(n) {
            assert!(!set.has_access(&action, &resource));
            assert!(!has_access(&scopes, &action, &resource));
            assert!(!naive::has_access(&scopes, &action, &resource));
        }
    }
}

fn bench_checks(c: &mut Criterion) {
    check_inputs();
    for (kind, requests) in [
        ("hit", hits as fn(usize) -> Vec<(String, String)>),
        ("miss", misses),
    ] {
        let mut group = c.benchmark_group(format!("scope/{kind}"));
        group
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_millis(1200))
            .sample_size(30);
        group.throughput(Throughput::Elements(4));
        for &n in SIZES {
            let scopes = scopes(n);
            let set: ScopeSet = scopes.iter().collect();
            let requests = requests(n);
            group.bench_with_input(BenchmarkId::new("ScopeSet", n), &requests, |b, reqs| {
                b.iter(|| {
                    for (action, resource) in reqs {
                        black_box(set.has_access(black_box(action), black_box(resource)));
                    }
                })
            });
            group.bench_with_input(BenchmarkId::new("slice", n), &requests, |b, reqs| {
                b.iter(|| {
                    for (action, resource) in reqs {
                        black_box(has_access(black_box(&scopes), action, resource));
                    }
                })
            });
            if n <= 1_000 {
                group.bench_with_input(BenchmarkId::new("naive", n), &requests, |b, reqs| {
                    b.iter(|| {
                        for (action, resource) in reqs {
                            black_box(naive::has_access(black_box(&scopes), action, resource));
                        }
                    })
                });
            }
        }
        group.finish();
    }
}

/// Builds a `ScopeSet` beside the baseline, in the same run and from the same `String`s:
/// a `std::collections::HashSet<String>` with the default hasher (SipHash-1-3), filled by
/// cloning each string (`iter().cloned().collect()`). Both timings include dropping the
/// result.
fn bench_build(c: &mut Criterion) {
    let mut group = c.benchmark_group("scope/build");
    group
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(1500))
        .sample_size(30);
    for &n in SIZES {
        let scopes = scopes(n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("ScopeSet", n), &scopes, |b, scopes| {
            b.iter(|| black_box(black_box(scopes).iter().collect::<ScopeSet>()))
        });
        group.bench_with_input(BenchmarkId::new("HashSet", n), &scopes, |b, scopes| {
            b.iter(|| {
                black_box(
                    black_box(scopes)
                        .iter()
                        .cloned()
                        .collect::<HashSet<String>>(),
                )
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_checks, bench_build);
criterion_main!(benches);
