//! Unit tests of the pure engine: operators, key reading, sources, loading, bad input, the
//! index's fallback, explanations.

use serde_json::{Value, json};

use super::value::{apply, json_eq, lookup};
use super::*;

fn parts(key: &str) -> Vec<Box<str>> {
    key.split('.').map(Box::from).collect()
}

fn op(o: Operator, c: Option<&Value>, v: Value) -> Result<bool, PolicyError> {
    let list = match &v {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    };
    apply(o, c, &v, &list)
}

#[test]
fn equality() {
    assert!(json_eq(&json!(1), &json!(1.0)));
    assert!(json_eq(&json!([1, {"a": 2}]), &json!([1.0, {"a": 2.0}])));
    assert!(json_eq(&json!({"a": 1, "b": 2}), &json!({"b": 2, "a": 1})));
    assert!(!json_eq(&json!({"a": 1}), &json!({"a": 1, "b": null})));
    assert!(!json_eq(&json!(true), &json!(1)));
    assert!(!json_eq(&json!([false]), &json!([0])));
    assert!(!json_eq(&json!([1, 2]), &json!([2, 1])));
    // 2^53 + 1 is not the float 2^53.
    assert!(!json_eq(
        &json!(9_007_199_254_740_993_u64),
        &json!(9_007_199_254_740_992.0)
    ));
    assert!(json_eq(
        &json!(9_007_199_254_740_992_u64),
        &json!(9_007_199_254_740_992.0)
    ));
    assert!(json_eq(&json!(u64::MAX), &json!(u64::MAX)));
    assert!(!json_eq(&json!(-1), &json!(u64::MAX)));
    assert!(!json_eq(&json!("1"), &json!(1)));
}

#[test]
fn operators() {
    use Operator::*;
    let five = json!(5);
    let s = json!("admin");
    let obj = json!({"tier": "gold"});
    let arr = json!(["a", 1, null]);
    // exists / equals / not_equals with missing
    assert!(!op(Exists, None, json!(1)).unwrap());
    assert!(op(Exists, Some(&five), Value::Null).unwrap());
    assert!(op(Equals, None, Value::Null).unwrap());
    assert!(op(NotEquals, None, json!("x")).unwrap());
    assert!(!op(NotEquals, None, Value::Null).unwrap());
    // in / not_in
    assert!(!op(In, Some(&json!("adm")), json!("admin")).unwrap());
    assert!(op(In, Some(&s), json!("admin")).unwrap());
    assert!(op(In, None, json!([1, null])).unwrap());
    assert!(!op(NotIn, None, json!([null])).unwrap());
    assert!(op(NotIn, None, json!(["x"])).unwrap());
    assert!(op(In, Some(&obj), json!({"tier": "gold"})).unwrap());
    assert!(!op(In, Some(&json!(true)), json!([1])).unwrap());
    // contains
    assert!(op(Contains, Some(&s), json!("dm")).unwrap());
    assert!(op(Contains, Some(&s), json!("")).unwrap());
    assert!(op(Contains, Some(&s), json!(1)).is_err());
    assert!(op(Contains, Some(&arr), json!(1.0)).unwrap());
    assert!(!op(Contains, Some(&arr), json!(true)).unwrap());
    assert!(op(Contains, Some(&obj), json!("tier")).unwrap());
    assert!(!op(Contains, Some(&obj), json!(1)).unwrap());
    assert!(!op(Contains, Some(&obj), Value::Null).unwrap());
    assert!(op(Contains, Some(&obj), json!(["tier"])).is_err());
    assert!(op(Contains, Some(&obj), json!({})).is_err());
    assert!(op(Contains, Some(&five), json!("a")).is_err());
    assert!(op(Contains, Some(&json!(true)), json!("a")).is_err());
    assert!(!op(Contains, None, json!([])).unwrap());
    // ordering
    assert!(op(Gt, Some(&five), json!(4.5)).unwrap());
    assert!(op(Gte, Some(&five), json!(5.0)).unwrap());
    assert!(op(Lt, Some(&json!("a")), json!("b")).unwrap());
    assert!(op(Lte, Some(&json!("é")), json!("z")).is_ok_and(|b| !b));
    assert!(!op(Gt, None, json!("x")).unwrap());
    assert!(!op(Gt, None, Value::Null).unwrap());
    for (c, v) in [
        (json!(5), json!("5")),
        (json!(5), Value::Null),
        (json!(true), json!(0)),
        (json!(1), json!(false)),
        (json!(true), json!(false)),
        (json!([1, 2]), json!([1])),
        (json!({}), json!({})),
    ] {
        let err = op(Gt, Some(&c), v.clone()).unwrap_err();
        assert!(
            matches!(err, PolicyError::TypeMismatch { .. }),
            "{c} gt {v}"
        );
    }
    // exact integer ordering beyond 2^53
    assert!(
        op(
            Gt,
            Some(&json!(9_007_199_254_740_993_u64)),
            json!(9_007_199_254_740_992.0)
        )
        .unwrap()
    );
    assert!(op(Lt, Some(&json!(-3)), json!(-2.5)).unwrap());
    assert!(op(Gt, Some(&json!(-2)), json!(-2.5)).unwrap());
    assert!(op(Lt, Some(&json!(u64::MAX)), json!(1e300)).unwrap());
    assert!(op(Gt, Some(&json!(i64::MIN)), json!(-1e300)).unwrap());
}

#[test]
fn dotted_keys() {
    let v = json!({"a": {"b": 1}, "a.b": 2, "": {"": 3}, "tags": ["x"], "n": 5, "z": null});
    assert_eq!(lookup(Some(&v), &parts("a.b")), Some(&json!(1)));
    assert_eq!(lookup(Some(&v), &parts("")), Some(&json!({"": 3})));
    assert_eq!(lookup(Some(&v), &parts(".")), Some(&json!(3)));
    assert_eq!(lookup(Some(&v), &parts("a..b")), None);
    assert_eq!(lookup(Some(&v), &parts("tags.0")), None);
    assert_eq!(lookup(Some(&v), &parts("n.real")), None);
    assert_eq!(lookup(Some(&v), &parts("z")), None);
    assert_eq!(lookup(Some(&v), &parts("z.y")), None);
    assert_eq!(lookup(None, &parts("a")), None);
}

fn cond(source: Source, key: &str, o: Operator, value: Value) -> PolicyEngine {
    PolicyEngine::builder()
        .rule(Rule::allow(["*"], ["*"]).condition(Condition::new(source, key, o, value)))
        .build()
        .unwrap()
}

fn allowed(engine: &PolicyEngine, request: &Request<'_>) -> bool {
    engine.evaluate(request).unwrap().allowed
}

#[test]
fn token_source_defaults() {
    let claims = json!({"sub": "alice", "role": "admin", "type": null});
    let claims = claims.as_object().unwrap();
    let req = Request::new("a", "b").token(claims);
    // `type: null` given explicitly stays null (pydantic keeps it).
    assert!(!allowed(
        &cond(Source::Token, "type", Operator::Equals, json!("access")),
        &req
    ));
    let claims2 = json!({"sub": "alice"});
    let req2 = Request::new("a", "b").token(claims2.as_object().unwrap());
    assert!(allowed(
        &cond(Source::Token, "type", Operator::Equals, json!("access")),
        &req2
    ));
    assert!(allowed(
        &cond(Source::Token, "csrf", Operator::Equals, json!("")),
        &req2
    ));
    assert!(allowed(
        &cond(Source::Token, "fresh", Operator::Equals, json!(false)),
        &req2
    ));
    assert!(allowed(
        &cond(Source::Token, "jti", Operator::Exists, Value::Null),
        &req2
    ));
    assert!(!allowed(
        &cond(Source::Token, "jti", Operator::Equals, json!("")),
        &req2
    ));
    assert!(!allowed(
        &cond(Source::Token, "iat", Operator::Exists, Value::Null),
        &req2
    ));
    let req3 = req2.clone().now(1_700_000_000);
    assert!(allowed(
        &cond(Source::Token, "iat", Operator::Equals, json!(1_700_000_000)),
        &req3
    ));
    assert!(allowed(
        &cond(Source::Token, "role", Operator::Equals, json!("admin")),
        &req
    ));
    assert!(!allowed(
        &cond(Source::Token, "exp", Operator::Exists, Value::Null),
        &req
    ));
    // No token: `{}`; jti does not exist then.
    assert!(!allowed(
        &cond(Source::Token, "jti", Operator::Exists, Value::Null),
        &Request::new("a", "b")
    ));
}

#[test]
fn derived_subject() {
    let claims = json!({"sub": "alice", "role": "admin", "type": "access", "jti": "j", "scopes": null, "login_type": "user"});
    let req = Request::new("a", "b").token(claims.as_object().unwrap());
    assert!(allowed(
        &cond(Source::Subject, "role", Operator::Equals, json!("admin")),
        &req
    ));
    assert!(allowed(
        &cond(Source::Subject, "sub", Operator::Equals, json!("alice")),
        &req
    ));
    assert!(allowed(
        &cond(Source::Subject, "scopes", Operator::Equals, json!([])),
        &req
    ));
    assert!(allowed(
        &cond(
            Source::Subject,
            "login_type",
            Operator::Equals,
            json!("user")
        ),
        &req
    ));
    assert!(!allowed(
        &cond(Source::Subject, "type", Operator::Exists, Value::Null),
        &req
    ));
    assert!(!allowed(
        &cond(Source::Subject, "jti", Operator::Exists, Value::Null),
        &req
    ));
    // Explicit subject wins; no token → `{}`.
    let subject = json!({});
    assert!(!allowed(
        &cond(Source::Subject, "role", Operator::Exists, Value::Null),
        &req.clone().subject(&subject)
    ));
    assert!(!allowed(
        &cond(Source::Subject, "sub", Operator::Exists, Value::Null),
        &Request::new("a", "b")
    ));
    // Falsy resource attributes read as `{}`.
    for attrs in [json!(null), json!([]), json!(0), json!(""), json!(false)] {
        let r = Request::new("a", "b").resource_attributes(&attrs);
        assert!(allowed(
            &cond(Source::Resource, "x", Operator::Equals, Value::Null),
            &r
        ));
        assert!(!allowed(
            &cond(Source::Resource, "", Operator::Exists, Value::Null),
            &r
        ));
    }
}

#[test]
fn token_scopes_must_be_strings() {
    let engine = PolicyEngine::builder()
        .rule(Rule::allow(["*"], ["*"]))
        .build()
        .unwrap();
    for scopes in [json!("a b"), json!([1]), json!({"a": 1}), json!([null])] {
        let claims = json!({"sub": "a", "scopes": scopes});
        let req = Request::new("a", "b").token(claims.as_object().unwrap());
        assert_eq!(engine.evaluate(&req), Err(PolicyError::InvalidTokenScopes));
    }
}

#[test]
fn documents_round_trip() {
    let json = r#"{
        "rules": [
            {"effect": "allow", "actions": ["users:*", "docs:read"], "resources": ["*"],
             "scopes": ["users:read"], "all_scopes_required": false,
             "conditions": [
                {"source": "subject", "key": "role", "operator": "in", "value": ["admin", 1, null, {"a": [true]}]},
                {"source": "environment", "key": "hour"}
             ],
             "evaluators": ["owner"], "reason": "owners"},
            {"effect": "deny", "actions": [], "resources": [":*"]}
        ],
        "evaluators": ["active"],
        "default_allow": true
    }"#;
    let engine = PolicyEngine::from_json(json).unwrap();
    let rules = engine.rules();
    assert_eq!(rules[0].conditions[1].operator, Operator::Equals);
    assert_eq!(rules[0].conditions[1].value, Value::Null);
    assert!(rules[1].all_scopes_required);
    let again = PolicyEngine::from_json(&engine.to_json()).unwrap();
    assert_eq!(again.document(), engine.document());
    let doc: PolicyDocument = serde_json::from_str(json).unwrap();
    assert_eq!(&doc, engine.document());
    let value = serde_json::to_value(&doc).unwrap();
    assert_eq!(
        serde_json::from_value::<PolicyDocument>(value).unwrap(),
        doc
    );
}

fn invalid(json: &str) -> (Option<usize>, String) {
    match PolicyEngine::from_json(json) {
        Err(PolicyError::Invalid { rule, field, .. }) => (rule, field),
        other => panic!("{json}: {other:?}"),
    }
}

#[test]
fn bad_documents() {
    let r = |rest: &str| {
        format!(
            r#"{{"rules": [{{"effect": "allow", "actions": ["*"], "resources": ["*"]}}, {{"effect": "allow", "actions": ["*"], "resources": ["*"]{rest}}}]}}"#
        )
    };
    for (doc, rule, field) in [
        (
            r(r#", "conditions": [{"source": "subject", "key": "x", "operator": "like"}]"#),
            Some(1),
            "rules[1].conditions[0].operator",
        ),
        (
            r(r#", "conditions": [{"source": "user", "key": "x"}]"#),
            Some(1),
            "rules[1].conditions[0].source",
        ),
        (
            r(r#", "conditions": [{"source": "user"}]"#),
            Some(1),
            "rules[1].conditions[0].source",
        ),
        (
            r(r#", "conditions": [{"source": "subject"}]"#),
            Some(1),
            "rules[1].conditions[0]",
        ),
        (
            r(r#", "conditions": [{"source": "subject", "key": 5}]"#),
            Some(1),
            "rules[1].conditions[0].key",
        ),
        (r(r#", "effct": "deny""#), Some(1), "rules[1].effct"),
        (r(r#", "scopes": "admin""#), Some(1), "rules[1].scopes"),
        (
            r(r#", "all_scopes_required": "yes""#),
            Some(1),
            "rules[1].all_scopes_required",
        ),
        (
            r(r#", "evaluators": [1]"#),
            Some(1),
            "rules[1].evaluators[0]",
        ),
        (r(r#", "reason": 3"#), Some(1), "rules[1].reason"),
        (
            r#"{"rules": [{"effect": "allow", "actions": "*", "resources": ["*"]}]}"#.into(),
            Some(0),
            "rules[0].actions",
        ),
        (
            r#"{"rules": [{"effect": "allow", "resources": ["*"]}]}"#.into(),
            Some(0),
            "rules[0]",
        ),
        (
            r#"{"rules": [{"effect": "DENY", "actions": ["*"], "resources": ["*"]}]}"#.into(),
            Some(0),
            "rules[0].effect",
        ),
        (r#"{"rules": {}}"#.into(), None, "rules"),
        (r#"{"default_allow": 1}"#.into(), None, "default_allow"),
        (r#"{"rule": []}"#.into(), None, "rule"),
        (r#"[]"#.into(), None, "."),
        (r#"{"rules": []} x"#.into(), None, "."),
        (r#"{"rules": [{"#.into(), None, "."),
        (
            r#"{"rules": [["allow", ["*"], ["*"]]]}"#.into(),
            Some(0),
            "rules[0]",
        ),
        (
            r(r#", "conditions": [["subject", "x"]]"#),
            Some(1),
            "rules[1].conditions[0]",
        ),
        ("".into(), None, "."),
    ] {
        assert_eq!(invalid(&doc), (rule, field.to_owned()), "{doc}");
    }
}

#[test]
fn deep_and_huge_values() {
    let deep = format!("{}1{}", "[".repeat(40), "]".repeat(40));
    let doc = format!(
        r#"{{"rules": [{{"effect": "allow", "actions": ["*"], "resources": ["*"], "conditions": [{{"source": "subject", "key": "x", "value": {deep}}}]}}]}}"#
    );
    assert_eq!(
        invalid(&doc),
        (Some(0), "rules[0].conditions[0].value".into())
    );
    // Deeper than serde_json's own recursion limit: still a typed error.
    let deeper = format!("{}1{}", "[".repeat(5000), "]".repeat(5000));
    let doc = format!(
        r#"{{"rules": [{{"effect": "allow", "actions": ["*"], "resources": ["*"], "conditions": [{{"source": "subject", "key": "x", "value": {deeper}}}]}}]}}"#
    );
    assert!(matches!(
        PolicyEngine::from_json(&doc),
        Err(PolicyError::Invalid { .. })
    ));
    let huge = Value::Array((0..MAX_VALUE_NODES).map(Value::from).collect());
    let err = PolicyEngine::builder()
        .rule(Rule::allow(["*"], ["*"]).condition(Condition::new(
            Source::Subject,
            "x",
            Operator::In,
            huge,
        )))
        .build()
        .unwrap_err();
    assert!(
        matches!(err, PolicyError::Invalid { rule: Some(0), .. }),
        "{err}"
    );
    let fits = Value::Array((0..MAX_VALUE_NODES - 1).map(Value::from).collect());
    PolicyEngine::builder()
        .rule(Rule::allow(["*"], ["*"]).condition(Condition::new(
            Source::Subject,
            "x",
            Operator::In,
            fits,
        )))
        .build()
        .unwrap();
}

#[test]
fn index_overflow_falls_back_to_a_scan() {
    // 30 nested namespaces on both sides: far more than MAX_LISTS lists match.
    let names: Vec<String> = (1..=30)
        .map(|n| {
            (0..n)
                .map(|i| format!("n{i}"))
                .collect::<Vec<_>>()
                .join(":")
        })
        .collect();
    let mut builder = PolicyEngine::builder();
    for (i, ns) in names.iter().enumerate() {
        let rule = if i % 7 == 3 {
            Rule::deny([format!("{ns}:*")], [format!("{ns}:*")])
        } else {
            Rule::allow([format!("{ns}:*")], [format!("{ns}:*")])
        };
        builder = builder.rule(rule);
    }
    let engine = builder.build().unwrap();
    for name in [&names[29], &names[2], &names[0]] {
        let req = Request::new(name, name);
        let d = engine.evaluate(&req).unwrap();
        assert_eq!(
            d,
            engine.evaluate_unindexed(&req, &Evaluators::new()).unwrap()
        );
    }
    assert_eq!(
        engine
            .evaluate(&Request::new(&names[29], &names[29]))
            .unwrap()
            .rule,
        Some(3)
    );
    assert_eq!(
        engine
            .evaluate(&Request::new(&names[2], &names[2]))
            .unwrap()
            .rule,
        Some(2)
    );
}

#[test]
fn explanations() {
    let evaluators = Evaluators::new().register("no", |_, _| Ok(false));
    let engine = PolicyEngine::builder()
        .rule(Rule::allow(["read"], ["x"]))
        .rule(
            Rule::allow(["*"], ["*"])
                .condition(Condition::new(Source::Subject, "a", Operator::Exists, ()))
                .condition(Condition::new(Source::Subject, "b", Operator::Exists, ())),
        )
        .rule(Rule::allow(["*"], ["*"]).evaluator("no"))
        .rule(Rule::allow(["*"], ["*"]).condition(Condition::new(
            Source::Subject,
            "a",
            Operator::Gt,
            1,
        )))
        .rule(Rule::deny(["*"], ["*"]))
        .build()
        .unwrap();
    let subject = json!({"a": "x"});
    let e = engine.explain(&Request::new("read", "docs").subject(&subject), &evaluators);
    assert!(matches!(
        e.decision,
        Err(PolicyError::TypeMismatch {
            rule: 3,
            condition: 0,
            ..
        })
    ));
    assert_eq!(
        e.rules,
        [
            RuleOutcome::Failed(Check::Resource),
            RuleOutcome::Failed(Check::Condition(1)),
            RuleOutcome::Failed(Check::Evaluator("no".into())),
            RuleOutcome::NotReached,
            RuleOutcome::NotReached,
        ]
    );
    // Unknown evaluator at evaluation time: a typed error, never an allow.
    let err = engine.evaluate(&Request::new("read", "docs")).unwrap_err();
    assert_eq!(
        err,
        PolicyError::UnknownEvaluator {
            rule: Some(2),
            name: "no".into()
        }
    );
}

#[test]
fn fuzz_entry_point() {
    assert!(fuzz_load("{").is_err());
    assert_eq!(
        fuzz_load(r#"{"rules": [{"effect": "allow", "actions": ["a:*"], "resources": ["*"]}]}"#)
            .unwrap(),
        4
    );
    assert!(fuzz_load(r#"{"rules": [{"effect": "allow", "actions": ["*"], "resources": ["*"], "conditions": [{"source": "subject", "key": "role", "operator": "gt", "value": 1}]}]}"#).is_ok());
}

#[test]
fn shareable_across_threads() {
    fn check<T: Send + Sync>() {}
    check::<PolicyEngine>();
    check::<Evaluators>();
    check::<PolicyError>();
    check::<Request<'static>>();
    check::<Decision<'static>>();
}

#[test]
fn an_empty_key_is_named_in_the_error() {
    // Found by the `policy_load` fuzz target: an unknown field spelt "" gave an empty `field`.
    for json in [r#"{"": 1}"#, r#"{"rules": [{"effect": "allow", "": 2}]}"#] {
        match PolicyEngine::from_json(json) {
            Err(PolicyError::Invalid { field, .. }) => assert!(!field.is_empty(), "{json}"),
            other => panic!("{json}: {other:?}"),
        }
    }
}
