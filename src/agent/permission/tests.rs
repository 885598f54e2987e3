use super::*;

/// The spec's table: the real authora 0.4.3 matcher's answers (POSIX).
const CASES: [(&str, &str, bool); 27] = [
    ("files:reports/*", "files:reports/q1.pdf", true),
    ("files:reports/*", "files:reports/2024/q1.pdf", true),
    ("files:reports/*", "files:reports/", true),
    ("files:reports/*", "files:reports", false),
    ("files:reports/*", "files:reports/q1:read", false),
    ("files:*", "files:read", true),
    ("files:*", "files:reports:read", false),
    ("files:*", "files:", true),
    ("*", "files", true),
    ("*", "files:read", false),
    ("*:*", "files:read", true),
    ("*:*:*", "mcp:server1:tool.query", true),
    ("mcp:server1:*", "mcp:server1:tool.query", true),
    ("mcp:server1:tool.*", "mcp:server1:tool.query", true),
    ("mcp:*:tool.query", "mcp:server2:tool.query", true),
    ("mcp:server1:tool.query", "mcp:server1:tool.Query", false),
    ("mcp:server*", "mcp:server1", true),
    ("mcp:*server1", "mcp:server1", true),
    ("files:read", "Files:read", false),
    ("files:rea?", "files:read", false),
    ("files:rea?*", "files:read", true),
    ("files:[rw]*", "files:write", true),
    ("files:[!r]*", "files:read", false),
    ("files:**", "files:a/b/c", true),
    ("", "", true),
    ("*", "", true),
    ("files:read", "files:read ", false),
];

#[test]
fn spec_table() {
    for (pattern, permission, expected) in CASES {
        assert_eq!(
            matches(pattern, permission),
            expected,
            "{pattern:?} {permission:?}"
        );
        let set = PermissionSet::new([pattern], [""; 0]);
        assert_eq!(
            set.is_allowed(permission),
            expected,
            "set {pattern:?} {permission:?}"
        );
    }
}

#[test]
fn deny_first() {
    let set = PermissionSet::new(["files:*"], ["files:secret"]);
    assert!(set.is_allowed("files:read"));
    assert!(!set.is_allowed("files:secret"));
    assert!(!PermissionSet::new([""; 0], [""; 0]).is_allowed("files:read"));
}

#[test]
fn fnmatch_details() {
    // `*` crosses `/`, `.` and newlines; `?` is one code point.
    assert!(matches("a:x*y", "a:x/.\ny"));
    assert!(matches("a:?*", "a:\u{e9}"));
    assert!(!matches("a:??*", "a:\u{e9}"));
    // Ranges, negation, a literal `]` first, an unclosed `[`, a `-` at the end.
    assert!(matches("a:[a-c]*", "a:b1"));
    assert!(!matches("a:[!a-c]*", "a:b1"));
    assert!(matches("a:[]]*", "a:]"));
    assert!(matches("a:[*", "a:[x"));
    assert!(matches("a:[a-]*", "a:-"));
    // An empty range (`z-a`) is dropped; `[!]` alone is literal text up to a later `]`.
    assert!(!matches("a:[z-a]*", "a:z"));
    assert!(matches("a:*[!z-a]", "a:q"));
    // Literal segments never glob.
    assert!(matches("a:[b]", "a:[b]"));
    assert!(!matches("a:[b]", "a:b"));
}
