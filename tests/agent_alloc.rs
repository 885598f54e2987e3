//! A permission check allocates nothing: a counting global allocator (per thread) sees zero
//! allocations across many `PermissionSet::is_allowed` / `is_denied` calls on a set of 100
//! patterns (literals, `*` segments, globs with classes), hits and misses.

use std::hint::black_box;

use idpkit::agent::permission::PermissionSet;

#[path = "support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::allocations_during;

/// 100 patterns of every kind the grammar has.
fn patterns() -> (Vec<String>, Vec<String>) {
    let allow = (0..90)
        .map(|i| match i % 6 {
            0 => format!("res{i}:read"),
            1 => format!("res{i}:*"),
            2 => format!("mcp:server{i}:tool.*"),
            3 => format!("files{i}:reports/[a-q]*"),
            4 => format!("*:act{i}"),
            _ => format!("svc{i}:?x*:[!z]*"),
        })
        .collect();
    let deny = (0..10).map(|i| format!("res{}:secret*", i * 6)).collect();
    (allow, deny)
}

#[test]
fn permission_checks_allocate_nothing() {
    let (allow, deny) = patterns();
    let set = PermissionSet::new(&allow, &deny);
    assert_eq!(set.len(), (90, 10));
    let probes = [
        ("res0:read", true),
        ("res1:write", true),
        ("mcp:server2:tool.query", true),
        ("files3:reports/b.pdf", true),
        ("files3:reports/z.pdf", false),
        ("anything:act4", true),
        ("svc5:axy:q", true),
        ("svc5:axy:z", false),
        ("res0:secret-plans", false),
        ("res6:secret", false),
        ("nothing:here:at:all", false),
        ("", false),
        ("é:\u{1F600}", false),
    ];
    for (permission, expected) in probes {
        assert_eq!(set.is_allowed(permission), expected, "{permission}");
    }
    let n = allocations_during(|| {
        for _ in 0..1000 {
            for (permission, _) in probes {
                black_box(set.is_allowed(black_box(permission)));
                black_box(set.is_denied(black_box(permission)));
            }
        }
    });
    assert_eq!(n, 0, "allocations during 26,000 checks");
    // The counter works: building a set allocates.
    assert!(allocations_during(|| drop(black_box(PermissionSet::new(&allow, &deny)))) > 0);
}
