//! The spec's reference table (authpi-idp 1.1.2 output) and agent-level cases, checked
//! against both [`has_access`] and [`ScopeSet`].

use super::*;

/// `(row, scopes, action, resource, expected)`.
const TABLE: &[(u32, &[&str], &str, &str, bool)] = &[
    (1, &["users:read"], "read", "users", true),
    (2, &["users:read"], "write", "users", false),
    (3, &["users:read"], "read", "users.verifiers", false),
    (
        4,
        &["users.verifiers:write"],
        "write",
        "users.verifiers",
        true,
    ),
    (5, &["users.verifiers:write"], "write", "users", false),
    (6, &["users:*"], "delete", "users", true),
    (7, &["users:*"], "read", "users.verifiers", false),
    (8, &["users:**"], "read", "users", true),
    (9, &["users:**"], "write", "users.verifiers", true),
    (10, &["users:**"], "x", "users.verifiers.backup", true),
    (11, &["users:**"], "read", "usersX", false),
    (12, &["*:read"], "read", "projects", true),
    (13, &["*:read"], "read", "projects.tasks", false),
    (14, &["*:read"], "write", "projects", false),
    (15, &["*:*"], "anything", "x", true),
    (16, &["*:*"], "anything", "x.y", false),
    (17, &["*:**"], "anything", "x.y.z", true),
    (18, &["**:read"], "read", "users", false),
    (19, &["users.*:read"], "read", "users.verifiers", false),
    (20, &["users.*:read"], "read", "users.*", true),
    (21, &["mcp:server1:read"], "read", "mcp:server1", true),
    (22, &["mcp:server1:read"], "read", "mcp", false),
    (23, &["owner"], "read", "users", false),
    (24, &[], "read", "users", false),
    (25, &["", ":", ":read", "users:"], "read", "users", false),
    (26, &[" users:read"], "read", "users", false),
    (27, &["users:read "], "read", "users", false),
    (28, &["Users:READ"], "read", "users", false),
    (29, &["users:read"], "*", "users", false),
    (30, &["users:*"], "", "users", true),
    (31, &["*:read"], "read", "", true),
    (32, &["users:read"], "read", "*", false),
    (
        33,
        &["junk", "owner", "a:b", "users:**"],
        "read",
        "users.x",
        true,
    ),
];

#[test]
fn reference_table_has_access() {
    for &(row, scopes, action, resource, expected) in TABLE {
        assert_eq!(
            has_access(scopes, action, resource),
            expected,
            "row {row}: has_access({scopes:?}, {action:?}, {resource:?})"
        );
    }
}

#[test]
fn reference_table_scope_set() {
    for &(row, scopes, action, resource, expected) in TABLE {
        let set: ScopeSet = scopes.iter().collect();
        assert_eq!(
            set.has_access(action, resource),
            expected,
            "row {row}: ScopeSet({scopes:?}).has_access({action:?}, {resource:?})"
        );
        // Also in the presence of unrelated scopes (exercises the indexed paths).
        let noisy: ScopeSet = ["zz:read", "zz.y:**", "q:*"].iter().chain(scopes).collect();
        assert_eq!(
            noisy.has_access(action, resource),
            expected,
            "row {row} (noisy)"
        );
    }
}

#[test]
fn reference_table_single_scope_grants() {
    for &(row, scopes, action, resource, expected) in TABLE {
        if let [scope] = scopes {
            let got = parse_scope(scope).is_some_and(|s| s.grants(action, resource));
            assert_eq!(got, expected, "row {row}");
        }
    }
}

#[test]
fn parse_scope_cases() {
    let ok = |s| parse_scope(s).map(|p| (p.resource, p.action));
    assert_eq!(ok("users:read"), Some(("users", "read")));
    assert_eq!(ok("a:b:c"), Some(("a:b", "c")));
    assert_eq!(ok("a::b"), Some(("a:", "b")));
    assert_eq!(ok(" users:read"), Some((" users", "read")));
    assert_eq!(ok("é:ü"), Some(("é", "ü")));
    assert_eq!(ok("::"), None); // resource ":" but empty action
    assert_eq!(ok(":::a"), Some(("::", "a")));
    for bad in ["", ":", ":read", "users:", "owner", "a:b:"] {
        assert_eq!(ok(bad), None, "{bad:?}");
    }
    assert_eq!(Scope::parse("a:b:"), Err(ScopeError::EmptyAction));
}

#[test]
fn agent_level_cases() {
    let orgs = AccessProfile::new(
        [
            Organization::new("o1", ["a:read"]),
            Organization::new("o2", ["b:read"]),
        ],
        None,
    );
    assert!(orgs.has_access("read", "b"));
    assert!(!orgs.has_access_in("o1", "read", "b"));

    let agent = AccessProfile::new([], Some("a:read  b:**"));
    assert!(agent.has_access("x", "b.c"));

    let no_fallback = AccessProfile::new(
        [Organization::new("o1", Vec::<String>::new())],
        Some("a:read"),
    );
    assert!(!no_fallback.has_access("read", "a"));

    let tabbed = AccessProfile::new([], Some("a:read\tb:read"));
    assert!(!tabbed.has_access("read", "b"));

    let none = AccessProfile::new([], None);
    assert!(!none.has_access("read", "a"));
}

#[test]
fn roles_and_duplicates() {
    let p = AccessProfile::new(
        [
            Organization::new("o1", ["owner", "a:read"]),
            Organization::new("o2", ["*:**"]),
            Organization::new("o1", ["admin", "b:read"]),
        ],
        None,
    );
    assert!(p.is_owner_of("o1"));
    assert!(!p.is_admin_of("o1")); // the first o1 is the one used
    assert!(!p.is_owner_of("o2") && !p.is_admin_of("o2"));
    assert!(p.is_member_of("o2"));
    assert!(!p.is_member_of("o3") && !p.is_owner_of("o3"));
    assert!(!p.has_access_in("o1", "read", "b"));
    assert!(p.has_access("read", "b")); // the second o1 still counts here
    assert_eq!(p.get_scopes_for("o1"), ["owner", "a:read"]);
    assert!(p.get_scopes_for("nope").is_empty());
}

#[test]
fn scope_set_accessors() {
    let set: ScopeSet = ["b:read", "owner", "b:read", "*:**"].into_iter().collect();
    assert_eq!(set.len(), 4);
    assert_eq!(
        format!("{set:?}"),
        r#"ScopeSet(["b:read", "owner", "b:read", "*:**"])"#
    );
    assert_eq!(set.to_string(), "b:read owner b:read *:**");
    assert!(set.has_access("anything", "x.y.z"));
    let mut more = set.clone();
    more.extend(["c:d"]);
    assert_ne!(more, set);
    assert_eq!(ScopeSet::default(), ScopeSet::new());
}

#[test]
fn many_actions_on_one_resource() {
    let scopes: Vec<String> = (0..50).map(|i| format!("r:act{i}")).collect();
    let set: ScopeSet = scopes.iter().collect();
    for i in 0..50 {
        assert!(set.has_access(&format!("act{i}"), "r"));
    }
    assert!(!set.has_access("act50", "r"));
    let mut with_star = scopes.clone();
    with_star.push("r:*".into());
    let set: ScopeSet = with_star.iter().collect();
    assert!(set.has_access("anything", "r"));
    assert!(!set.has_access("anything", "r.x"));
}

#[test]
fn several_actions_on_a_resource_and_on_star() {
    let scopes = [
        "r:a", "r:b", "r:a", "*:x", "*:y", "q:**", "q:c", "s:*", "s:d", "t:e", "t:*", "t:f",
        "a:b:c", "owner",
    ];
    let set: ScopeSet = scopes.iter().collect();
    let requests = [
        ("a", "r"),
        ("b", "r"),
        ("c", "r"),
        ("", "r"),
        ("x", "top"),
        ("y", "top"),
        ("z", "top"),
        ("x", "top.sub"),
        ("c", "q"),
        ("z", "q.sub"),
        ("d", "s"),
        ("z", "s"),
        ("z", "t"),
        ("c", "a:b"),
        // The request is split where the scope is not: never a match.
        ("b:c", "a"),
        ("c", "a"),
        ("read", "owner"),
    ];
    for (action, resource) in requests {
        assert_eq!(
            set.has_access(action, resource),
            has_access(scopes, action, resource),
            "{action:?} on {resource:?}"
        );
    }
    assert!(set.has_access("b", "r") && !set.has_access("c", "r"));
    assert!(set.has_access("y", "top") && !set.has_access("z", "top"));
    assert!(set.has_access("c", "a:b") && !set.has_access("b:c", "a"));
}

#[test]
fn equality_follows_the_strings() {
    let set = |scopes: &[&str]| scopes.iter().collect::<ScopeSet>();
    assert_eq!(set(&["a:b", "c:d"]), set(&["a:b", "c:d"]));
    // Same text once glued together, different strings.
    assert_ne!(set(&["a:b", "c:d"]), set(&["a:bc", ":d"]));
    assert_ne!(set(&["a:b"]), set(&["a:b", ""]));
    assert_eq!(set(&["", ""]).iter().collect::<Vec<_>>(), ["", ""]);
    let mut extended = set(&["a:b"]);
    extended.extend(["*:**", "c:d"]);
    assert_eq!(extended, set(&["a:b", "*:**", "c:d"]));
    assert!(extended.has_access("x", "y.z"));
    assert_eq!(
        extended.iter().rev().collect::<Vec<_>>(),
        ["c:d", "*:**", "a:b"]
    );
    assert!(extended.contains("*:**") && !extended.contains("a:b*"));
}

#[test]
fn deep_prefixes() {
    let set: ScopeSet = ["a.b:**", "x.:**", "é:**", "long.prefix.here:**"]
        .into_iter()
        .collect();
    assert!(set.has_access("q", "a.b"));
    assert!(set.has_access("q", "a.b.c.d"));
    assert!(!set.has_access("q", "a"));
    assert!(!set.has_access("q", "a.bc"));
    assert!(set.has_access("q", "x..y"));
    assert!(!set.has_access("q", "x.y"));
    assert!(set.has_access("q", "é.ü"));
    assert!(set.has_access("q", "long.prefix.here.and.more"));
    assert!(!set.has_access("q", "long.prefix.her.e"));
    assert!(!set.has_access("q", ""));
    assert!(!set.has_access("q", "."));
}

#[test]
fn organization_serde() {
    let orgs = Organization::parse_claim(&serde_json::json!([
        {"id": "o1", "title": null, "scopes": ["a:read", 3, null, "owner"], "joined_at": "17"},
        {"id": "o2", "title": 5, "scopes": null, "joined_at": 1.0},
        {"id": "o3", "joined_at": 1.5},
        {"id": "o4", "joined_at": "2024-01-01T00:00:00Z"},
        {"id": "o5", "joined_at": -3},
        {"title": "no id"},
    ]));
    assert_eq!(orgs.len(), 5);
    assert_eq!(orgs[0].scopes, ["a:read", "owner"]);
    assert_eq!(orgs[0].joined_at, 17);
    assert_eq!(orgs[0].title, None);
    assert_eq!((orgs[1].title.as_deref(), orgs[1].joined_at), (None, 1));
    assert!(orgs[1].scopes.is_empty());
    assert_eq!(orgs[2].joined_at, 0);
    assert_eq!(orgs[3].joined_at, 0);
    assert_eq!(orgs[4].joined_at, -3);
    let back = serde_json::to_value(&orgs[0]).unwrap();
    assert_eq!(
        back,
        serde_json::json!({"id": "o1", "title": null, "scopes": ["a:read", "owner"], "joined_at": 17})
    );
    assert!(Organization::parse_claim(&serde_json::json!(null)).is_empty());
    assert!(Organization::parse_claim(&serde_json::json!("o1")).is_empty());
}

#[test]
fn types_are_send_sync_and_static() {
    fn check<T: Send + Sync + 'static>() {}
    check::<ScopeSet>();
    check::<AccessProfile>();
    check::<Organization>();
    check::<InvalidScopes>();
    check::<ScopeError>();
}
