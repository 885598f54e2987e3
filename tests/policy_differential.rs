//! Differential test against the real AuthX 1.7.1 policy engine (`authx` on PyPI).
//!
//! Generates thousands of rule sets and requests from a fixed seed — empty lists, wildcards,
//! missing keys, mixed JSON types, several matching allows, allow and deny both matching,
//! failing evaluators — sends them to ONE Python process running `scripts/authx_ref.py`, and
//! checks that idpkit gives AuthX's decision and deciding rule (or the same class of error:
//! a type error, an evaluator error).
//!
//! Requests that touch a DELIBERATE DIFFERENCE of the spec are **excluded** from the
//! comparison (the spec's answer for each is asserted in `tests/policy_spec.rs`): a reached
//! or unreached condition that compares a bool with a number or orders a bool or two arrays,
//! a dotted key that walks through a non-object, and a derived-subject condition on a custom
//! claim. Unknown effects/operators/sources are never generated (they are build errors).
//! The test asserts the exclusions stay a minority and every outcome class occurs.
//!
//! The interpreter is `target/py-venv/bin/python` (made by `scripts/setup-python.sh`), or the
//! one named by `IDPKIT_AUTHX_PYTHON`.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use idpkit::authz::policy::{Evaluators, PolicyEngine, PolicyError, Request, RuleOutcome};
use serde_json::{Map, Value, json};

const SEED: u64 = 0x9a07_2026_0009;
const CASES: usize = 2_500;
const REQUESTS_PER_CASE: usize = 4;

/// SplitMix64: small, deterministic, good enough to pick test inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const NAMES: &[&str] = &[
    "users",
    "users:read",
    "users:read:own",
    "users:ban",
    "usersX:read",
    "Users:read",
    "",
    ":x",
    ":",
    "*",
    "*:read",
    "docs",
    "docs:edit",
    "a:b:c",
    "a",
    "users:",
];
const PATTERNS: &[&str] = &[
    "*",
    "*",
    "users:*",
    "users:read",
    "users",
    "*:*",
    ":*",
    "docs",
    "docs:*",
    "users*",
    "**",
    "a:*",
    "a:b:*",
    "",
    "users:read:own",
];
const SCOPES: &[&str] = &[
    "users:read",
    "admin",
    "admin:*",
    "billing:read",
    "a:b",
    "users:*",
    "a:*:*",
    "users",
];
const KEYS: &[&str] = &[
    "role",
    "role",
    "level",
    "level",
    "meta",
    "meta.tier",
    "tags",
    "x",
    "",
    "a..b",
    "sub",
    "scopes",
    "login_type",
    "type",
    "fresh",
    "csrf",
    "level.x",
    "meta.tier.y",
    "n",
];
const SOURCES: &[&str] = &["subject", "subject", "resource", "environment", "token"];
const OPERATORS: &[&str] = &[
    "equals",
    "not_equals",
    "in",
    "not_in",
    "contains",
    "gt",
    "gte",
    "lt",
    "lte",
    "exists",
];

fn scalar(rng: &mut Rng) -> Value {
    match rng.below(16) {
        0 => Value::Null,
        1 => json!(true),
        2 => json!(false),
        3 => json!(0),
        4 => json!(1),
        5 => json!(1.0),
        6 => json!(2.5),
        7 => json!(-3),
        8 => json!(9_007_199_254_740_993_i64),
        9 => json!("admin"),
        10 => json!("adm"),
        11 => json!(""),
        12 => json!("gold"),
        13 => json!("tier"),
        14 => json!("user"),
        _ => json!(5),
    }
}

fn value(rng: &mut Rng, depth: usize) -> Value {
    match (depth, rng.below(10)) {
        (0..=1, 7) => Value::Array((0..rng.below(4)).map(|_| value(rng, depth + 1)).collect()),
        (0..=1, 8) => {
            let mut m = Map::new();
            for _ in 0..rng.below(3) {
                m.insert(
                    rng.pick(&["tier", "x", "role", ""]).into(),
                    value(rng, depth + 1),
                );
            }
            Value::Object(m)
        }
        _ => scalar(rng),
    }
}

fn object(rng: &mut Rng, keys: &[&str]) -> Map<String, Value> {
    let mut m = Map::new();
    for _ in 0..rng.below(5) {
        let key = rng.pick(keys);
        m.insert(key.into(), value(rng, 0));
    }
    m
}

fn list(rng: &mut Rng, items: &[&str], max: usize) -> Vec<String> {
    (0..rng.below(max + 1))
        .map(|_| rng.pick(items).to_owned())
        .collect()
}

fn rule(rng: &mut Rng) -> Value {
    let mut r = Map::new();
    r.insert(
        "effect".into(),
        json!(if rng.chance(40) { "deny" } else { "allow" }),
    );
    r.insert(
        "actions".into(),
        json!(
            list(rng, PATTERNS, 2)
                .into_iter()
                .chain((rng.chance(70)).then(|| rng.pick(&["*", "*", "users:*"]).to_owned()))
                .collect::<Vec<_>>()
        ),
    );
    r.insert(
        "resources".into(),
        json!(
            list(rng, PATTERNS, 2)
                .into_iter()
                .chain((rng.chance(70)).then(|| "*".to_owned()))
                .collect::<Vec<_>>()
        ),
    );
    if rng.chance(30) {
        r.insert("scopes".into(), json!(list(rng, SCOPES, 3)));
        if rng.chance(50) {
            r.insert("all_scopes_required".into(), json!(rng.chance(50)));
        }
    }
    let conditions: Vec<Value> = (0..[0, 0, 1, 1, 1, 2, 2, 3][rng.below(8)])
        .map(|_| {
            let mut c = json!({"source": rng.pick(SOURCES), "key": rng.pick(KEYS)});
            if rng.chance(85) {
                c["operator"] = json!(rng.pick(OPERATORS));
            }
            if rng.chance(90) {
                c["value"] = value(rng, 0);
            }
            c
        })
        .collect();
    if !conditions.is_empty() {
        r.insert("conditions".into(), Value::Array(conditions));
    }
    if rng.chance(12) {
        r.insert(
            "evaluators".into(),
            json!(list(rng, &["yes", "yes", "no", "boom"], 2)),
        );
    }
    if rng.chance(30) {
        r.insert("reason".into(), json!(format!("reason {}", rng.below(100))));
    }
    Value::Object(r)
}

fn token(rng: &mut Rng) -> Value {
    if rng.chance(15) {
        return Value::Null;
    }
    let mut t = object(rng, &["role", "level", "meta", "tags", "x", "n"]);
    t.insert("sub".into(), json!(rng.pick(&["alice", "bob", ""])));
    if rng.chance(80) {
        t.insert("login_type".into(), json!("user"));
    }
    match rng.below(4) {
        0 => {}
        1 => {
            t.insert("scopes".into(), Value::Null);
        }
        _ => {
            t.insert("scopes".into(), json!(list(rng, SCOPES, 3)));
        }
    }
    if rng.chance(20) {
        t.insert("type".into(), json!(rng.pick(&["access", "refresh"])));
    }
    if rng.chance(20) {
        t.insert("fresh".into(), json!(rng.chance(50)));
    }
    if rng.chance(10) {
        t.insert("csrf".into(), json!(rng.pick(&["", "abc"])));
    }
    Value::Object(t)
}

fn request(rng: &mut Rng) -> Value {
    let subject = if rng.chance(30) {
        Value::Null
    } else {
        Value::Object(object(rng, KEYS))
    };
    json!({
        "action": rng.pick(NAMES),
        "resource": rng.pick(NAMES),
        "token": token(rng),
        "subject": subject,
        "resource_attrs": object(rng, KEYS),
        "env": object(rng, KEYS),
    })
}

fn case(rng: &mut Rng) -> Value {
    let rules: Vec<Value> = (0..[0, 1, 2, 2, 3, 3, 4, 5, 6][rng.below(9)])
        .map(|_| rule(rng))
        .collect();
    let globals: Vec<&str> = match rng.below(20) {
        0 => vec!["no"],
        1 => vec!["yes"],
        2 => vec!["boom"],
        _ => vec![],
    };
    json!({
        "rules": rules,
        "globals": globals,
        "default_allow": rng.chance(20),
        "requests": (0..REQUESTS_PER_CASE).map(|_| request(rng)).collect::<Vec<_>>(),
    })
}

// ---- which requests touch a deliberate difference -------------------------------------

const REGISTERED: &[&str] = &[
    "jti",
    "iss",
    "sub",
    "aud",
    "exp",
    "nbf",
    "iat",
    "type",
    "csrf",
    "scopes",
    "fresh",
    "login_type",
];

fn has(v: &Value, pred: &dyn Fn(&Value) -> bool) -> bool {
    pred(v)
        || match v {
            Value::Array(items) => items.iter().any(|x| has(x, pred)),
            Value::Object(m) => m.values().any(|x| has(x, pred)),
            _ => false,
        }
}

/// The source's root as AuthX sees it, with the token defaults that matter here.
fn root(source: &str, req: &Value) -> Value {
    let token = &req["token"];
    match source {
        "subject" => match (&req["subject"], token) {
            (Value::Null, Value::Null) => json!({}),
            (Value::Null, t) => {
                // idpkit's derived subject (custom claims kept).
                let mut m: Map<String, Value> = t
                    .as_object()
                    .unwrap()
                    .iter()
                    .filter(|(k, _)| !REGISTERED.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                m.insert("sub".into(), t["sub"].clone());
                let scopes = match &t["scopes"] {
                    Value::Null => json!([]),
                    s => s.clone(),
                };
                m.insert("scopes".into(), scopes);
                m.insert("login_type".into(), t["login_type"].clone());
                Value::Object(m)
            }
            (s, _) => s.clone(),
        },
        "resource" => req["resource_attrs"].clone(),
        "environment" => req["env"].clone(),
        _ => match token {
            Value::Null => json!({}),
            t => {
                let mut m = t.as_object().unwrap().clone();
                m.entry("type").or_insert(json!("access"));
                m.entry("csrf").or_insert(json!(""));
                m.entry("fresh").or_insert(json!(false));
                Value::Object(m)
            }
        },
    }
}

/// Does any condition of the case, on this request, touch a deliberate difference?
fn deliberate(case: &Value, req: &Value) -> bool {
    let is_bool = |v: &Value| v.is_boolean();
    let is_num = |v: &Value| v.is_number();
    for rule in case["rules"].as_array().unwrap() {
        for c in rule["conditions"].as_array().into_iter().flatten() {
            let source = c["source"].as_str().unwrap();
            let key = c["key"].as_str().unwrap();
            let op = c["operator"].as_str().unwrap_or("equals");
            let v = &c["value"];
            // Derived subject reading a custom claim: AuthX drops custom claims.
            if source == "subject" && req["subject"].is_null() && req["token"].is_object() {
                let first = key.split('.').next().unwrap();
                if !REGISTERED.contains(&first) && req["token"].get(first).is_some() {
                    return true;
                }
            }
            // Walk the key: through a non-object is an attribute read in AuthX.
            let mut current = root(source, req);
            let parts: Vec<&str> = key.split('.').collect();
            let mut read = Some(current.clone());
            for (i, part) in parts.iter().enumerate() {
                match current {
                    Value::Object(ref m) => match m.get(*part) {
                        Some(x) => current = x.clone(),
                        None => {
                            read = None;
                            break;
                        }
                    },
                    Value::Null => {
                        read = None;
                        break;
                    }
                    _ if i < parts.len() => return true,
                    _ => {}
                }
                read = Some(current.clone());
            }
            let Some(found) = read.filter(|x| !x.is_null()) else {
                continue;
            };
            let mixed = (has(&found, &is_bool) && has(v, &is_num))
                || (has(&found, &is_num) && has(v, &is_bool));
            match op {
                "gt" | "gte" | "lt" | "lte" => {
                    if found.is_boolean() || v.is_boolean() || (found.is_array() && v.is_array()) {
                        return true;
                    }
                }
                "exists" => {}
                _ => {
                    if mixed {
                        return true;
                    }
                }
            }
        }
    }
    false
}

// ---- idpkit's side ------------------------------------------------------------------------

fn build_request(req: &Value) -> Request<'_> {
    let token = req["token"].as_object();
    let mut request = Request::new(
        req["action"].as_str().unwrap(),
        req["resource"].as_str().unwrap(),
    )
    .login_type("user")
    .resource_attributes(&req["resource_attrs"])
    .environment(&req["env"]);
    if let Some(token) = token {
        request = request.token(token);
    }
    if !req["subject"].is_null() {
        request = request.subject(&req["subject"]);
    }
    request
}

fn idpkit_answer(engine: &PolicyEngine, evaluators: &Evaluators, req: &Value) -> Value {
    let request = build_request(req);
    let indexed = engine.evaluate_with(&request, evaluators);
    let linear = engine.evaluate_unindexed(&request, evaluators);
    assert_eq!(indexed, linear, "indexed and unindexed disagree on {req}");
    match indexed {
        Ok(d) => json!({"allowed": d.allowed, "rule": d.rule}),
        Err(PolicyError::TypeMismatch { .. }) => json!({"error": "type"}),
        Err(PolicyError::Evaluator { .. }) => json!({"error": "evaluator"}),
        Err(e) => panic!("unexpected error {e} on {req}"),
    }
}

fn python() -> PathBuf {
    std::env::var_os("IDPKIT_AUTHX_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/py-venv/bin/python")
        })
}

#[test]
fn agrees_with_authx() {
    let mut rng = Rng(SEED);
    let cases: Vec<Value> = (0..CASES).map(|_| case(&mut rng)).collect();
    let input = json!({"cases": cases}).to_string();

    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/authx_ref.py");
    let mut child = Command::new(python())
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("run target/py-venv/bin/python (scripts/setup-python.sh makes it)");
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(output.status.success(), "authx_ref.py failed");
    let reply: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(reply["version"], "1.7.1");
    let answers = reply["answers"].as_array().unwrap();
    assert_eq!(answers.len(), CASES);

    let evaluators = Evaluators::new()
        .register("yes", |_, _| Ok(true))
        .register("no", |_, _| Ok(false))
        .register("boom", |_, _| Err("evaluator failed".into()));
    let (mut compared, mut excluded) = (0usize, 0usize);
    let mut classes = std::collections::BTreeMap::<&str, usize>::new();
    let (mut several_allows, mut allow_and_deny) = (0usize, 0usize);
    for (case, answers) in cases.iter().zip(answers) {
        let mut doc = json!({"rules": case["rules"], "default_allow": case["default_allow"]});
        if !case["globals"].as_array().unwrap().is_empty() {
            doc["evaluators"] = case["globals"].clone();
        }
        let engine =
            PolicyEngine::from_json(&doc.to_string()).expect("generated policies are valid");
        engine.check_evaluators(&evaluators).unwrap();
        for (req, want) in case["requests"]
            .as_array()
            .unwrap()
            .iter()
            .zip(answers.as_array().unwrap())
        {
            // Evaluated either way (indexed == unindexed, no panic); compared when parity holds.
            let got = idpkit_answer(&engine, &evaluators, req);
            if deliberate(case, req) {
                excluded += 1;
                continue;
            }
            assert_eq!(
                &got, want,
                "idpkit {got} vs AuthX {want}\npolicy {doc}\nrequest {req}"
            );
            compared += 1;
            let class = match (&got["error"], &got["allowed"], &got["rule"]) {
                (Value::String(_), ..) => "error",
                (_, Value::Bool(true), Value::Null) => "allow by default",
                (_, Value::Bool(false), Value::Null) => "deny by default",
                (_, Value::Bool(true), _) => "allow by rule",
                _ => "deny by rule",
            };
            *classes.entry(class).or_default() += 1;
            // Several allows matched: the deciding allow is not the first rule that matches.
            if class == "allow by rule" {
                let e = engine.explain(&build_request(req), &evaluators);
                let matched = e.rules.iter().filter(|o| **o == RuleOutcome::Matched);
                several_allows += usize::from(matched.count() > 1);
            }
            if class == "deny by rule" {
                let e = engine.explain(&build_request(req), &evaluators);
                let rules = engine.rules();
                let allow_matched = e.rules.iter().zip(rules).any(|(o, r)| {
                    *o == RuleOutcome::Matched && r.effect == idpkit::authz::policy::Effect::Allow
                });
                allow_and_deny += usize::from(allow_matched);
            }
        }
    }
    eprintln!(
        "compared {compared}, excluded {excluded} (deliberate differences), classes {classes:?}, several allows {several_allows}, allow and deny {allow_and_deny}"
    );
    assert!(
        compared >= CASES * REQUESTS_PER_CASE * 3 / 4,
        "too many exclusions: {excluded}"
    );
    for class in [
        "error",
        "allow by default",
        "deny by default",
        "allow by rule",
        "deny by rule",
    ] {
        assert!(
            classes.get(class).copied().unwrap_or(0) >= 50,
            "too few {class}: {classes:?}"
        );
    }
    assert!(
        several_allows >= 20,
        "too few requests with several matching allows"
    );
    assert!(
        allow_and_deny >= 20,
        "too few requests where an allow and a deny both match"
    );
}
