//! idpkit's permission matcher against the real authora 0.4.3 (PyPI, tests/interop/authora_perm.py
//! in target/py-venv) on thousands of generated cases: single patterns and deny-first sets,
//! with globs, `?`, classes (ranges, negation, empty and reversed ranges, unclosed `[`),
//! empty segments, non-ASCII and newlines.

use std::io::Write;
use std::process::{Command, Stdio};

use idpkit::agent::permission::{PermissionSet, matches};
use serde_json::{Value, json};

/// A small deterministic generator (xorshift64*), so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const PATTERN_PIECES: &[&str] = &[
    "a", "b", "c", "z", "files", "read", "*", "*", "**", "?", "[", "]", "[!", "[a-c]", "[z-a]",
    "[!a-c]", "[]", "[!]", "-", "!", "^", "&", "\\", "/", ".", "é", "\n", " ", "[a-]", "[-a]",
];
const PERMISSION_PIECES: &[&str] = &[
    "a", "b", "c", "z", "files", "read", "-", "!", "^", "[", "]", "/", ".", "é", "\n", " ", "&",
    "\\", "",
];

fn segment(rng: &mut Rng, pieces: &[&str]) -> String {
    (0..rng.below(4)).map(|_| rng.pick(pieces)).collect()
}

fn pattern(rng: &mut Rng) -> String {
    let n = 1 + rng.below(3);
    (0..n)
        .map(|_| match rng.below(6) {
            0 => "*".to_owned(),
            _ => segment(rng, PATTERN_PIECES),
        })
        .collect::<Vec<_>>()
        .join(":")
}

/// A permission: random, or made from a pattern by filling its wildcards (often a hit).
fn permission(rng: &mut Rng, patterns: &[String]) -> String {
    if !patterns.is_empty() && rng.below(2) == 0 {
        let p = &patterns[rng.below(patterns.len())];
        let mut out = String::new();
        for c in p.chars() {
            match c {
                '*' | '?' => out.push_str(&segment(rng, PERMISSION_PIECES)),
                c => out.push(c),
            }
        }
        return out;
    }
    let n = 1 + rng.below(3);
    (0..n)
        .map(|_| segment(rng, PERMISSION_PIECES))
        .collect::<Vec<_>>()
        .join(":")
}

#[test]
fn matches_authora_0_4_3() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut cases = Vec::new();
    for _ in 0..6000 {
        let allow: Vec<String> = (0..rng.below(4)).map(|_| pattern(&mut rng)).collect();
        let deny: Vec<String> = (0..rng.below(3)).map(|_| pattern(&mut rng)).collect();
        let all: Vec<String> = allow.iter().chain(&deny).cloned().collect();
        let permission = permission(&mut rng, &all);
        cases.push((allow, deny, permission));
    }
    // The spec's deny-first examples and the edge of the grammar, always included.
    cases.push((
        vec!["files:*".into()],
        vec!["files:secret".into()],
        "files:secret".into(),
    ));
    cases.push((
        vec!["files:*".into()],
        vec!["files:secret".into()],
        "files:read".into(),
    ));
    cases.push((vec![], vec![], "files:read".into()));

    let input = json!({"cases": cases.iter().map(|(a, d, p)| json!({
        "allow": a, "deny": d, "permission": p,
    })).collect::<Vec<_>>()});
    let dir = env!("CARGO_MANIFEST_DIR");
    let mut child = Command::new(format!("{dir}/target/py-venv/bin/python"))
        .arg(format!("{dir}/tests/interop/authora_perm.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("target/py-venv missing: run scripts/setup-python.sh");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let answers: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answers.len(), cases.len());

    let (mut hits, mut denied_hits, mut checks) = (0, 0, 0);
    for ((allow, deny, permission), answer) in cases.iter().zip(&answers) {
        for (list, key) in [(allow, "allow"), (deny, "deny")] {
            for (p, expected) in list.iter().zip(answer[key].as_array().unwrap()) {
                let expected = expected.as_bool().unwrap();
                assert_eq!(matches(p, permission), expected, "{p:?} vs {permission:?}");
                checks += 1;
                hits += usize::from(expected);
            }
        }
        let expected = answer["allowed"].as_bool().unwrap();
        let set = PermissionSet::new(allow, deny);
        assert_eq!(
            set.is_allowed(permission),
            expected,
            "allow {allow:?} deny {deny:?} permission {permission:?}"
        );
        denied_hits += usize::from(!expected && set.is_denied(permission));
    }
    // The generator must exercise both answers and the deny list, or the test proves little.
    assert!(checks > 8000, "{checks} checks");
    assert!(hits > checks / 10, "{hits} hits of {checks}");
    assert!(denied_hits > 100, "{denied_hits} denials by a deny pattern");
}
