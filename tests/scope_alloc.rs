//! Checks allocate nothing: a counting global allocator (per thread, so the test
//! harness's own threads do not interfere) sees zero allocations across many
//! `ScopeSet::has_access`, `has_access` and `AccessProfile` calls, hits and misses, at
//! various depths.

use std::hint::black_box;

use idpkit::authz::scope::{AccessProfile, Organization, ScopeSet, has_access, parse_scope};

#[path = "support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::allocations_during;

fn scopes(n: usize) -> Vec<String> {
    let mut scopes: Vec<String> = (0..n)
        .map(|i| match i % 5 {
            0 => format!("res{i}:read"),
            1 => format!("res{i}.sub:write"),
            2 => format!("res{i}.sub.deep:**"),
            3 => format!("res{i}:*"),
            _ => format!("act{}", i % 20), // role-like, ignored
        })
        .collect();
    scopes.extend(["*:list".into(), "shared:a".into(), "shared:b".into()]);
    // Many actions on one resource (the large action table).
    scopes.extend((0..20).map(|i| format!("wide:act{i}")));
    scopes
}

const REQUESTS: &[(&str, &str)] = &[
    ("read", "res0"),
    ("write", "res1.sub"),
    ("x", "res2.sub.deep.more.and.more"),
    ("x", "res2.sub.deeper"),
    ("anything", "res3"),
    ("list", "top"),
    ("list", "top.level"),
    ("b", "shared"),
    ("act13", "wide"),
    ("act99", "wide"),
    ("read", "missing"),
    ("read", "a.b.c.d"),
    ("read", ""),
    ("read", "é.ü"),
    ("", "res0"),
];

#[test]
fn checks_do_not_allocate() {
    // Warm up anything lazily initialised (thread-locals of the std hasher, etc.).
    let warm: ScopeSet = ["a:b"].into_iter().collect();
    black_box(warm.has_access("b", "a"));

    for n in [0, 10, 100, 1000, 10_000] {
        let scopes = scopes(n);
        let set: ScopeSet = scopes.iter().collect();
        let strs: Vec<&str> = scopes.iter().map(String::as_str).collect();
        let (mut hits, mut total) = (0u32, 0u32);
        let allocated = allocations_during(|| {
            for _ in 0..20 {
                for &(action, resource) in REQUESTS {
                    let compiled = set.has_access(black_box(action), black_box(resource));
                    let scanned = has_access(black_box(&scopes), action, resource);
                    let scanned_strs = has_access(black_box(&strs), action, resource);
                    let scanned_iter = has_access(strs.iter().copied(), action, resource);
                    assert!(
                        compiled == scanned && scanned == scanned_strs && scanned == scanned_iter
                    );
                    hits += u32::from(compiled);
                    total += 1;
                    black_box(parse_scope(black_box(resource)));
                }
            }
        });
        assert_eq!(
            allocated, 0,
            "{n} scopes: {allocated} allocations in {total} checks"
        );
        assert!(hits > 0 && hits < total, "{n} scopes: {hits}/{total} hits");
    }
}

#[test]
fn profile_checks_do_not_allocate() {
    let profile = AccessProfile::new(
        [
            Organization::new("o1", ["owner", "a:read", "b.c:**"]),
            Organization::new("o2", scopes(100)),
        ],
        Some("x:y"),
    );
    let agent = AccessProfile::new([], Some("a:read  b:**"));
    let allocated = allocations_during(|| {
        for _ in 0..100 {
            black_box(profile.has_access(black_box("read"), black_box("a")));
            black_box(profile.has_access("read", "res0"));
            black_box(profile.has_access_in("o1", "x", "b.c.d"));
            black_box(profile.has_access_in("o3", "x", "b.c.d"));
            black_box(profile.get_scopes_for("o2").len());
            black_box(profile.is_owner_of("o1"));
            black_box(profile.is_admin_of("o2"));
            black_box(profile.is_member_of("o9"));
            black_box(agent.has_access("x", "b.c"));
        }
    });
    assert_eq!(allocated, 0);
}

#[test]
fn counter_works() {
    let allocated = allocations_during(|| {
        black_box(vec![1u8; 16]);
    });
    assert_eq!(allocated, 1);
}
