//! The spec's 52 worked cases (`policy.md` A7), each with idpkit's answer: AuthX 1.7.1's,
//! except the cases the spec marks as DELIBERATE DIFFERENCES (36, 41, 49, 50, 51), which give
//! the spec's answer. Every case runs through the indexed engine, the unindexed scan,
//! `explain`, and both clients' `evaluate_policy`.

use idpkit::authz::policy::{Evaluators, PolicyEngine, PolicyError, Request};
use serde_json::{Map, Value, json};

#[derive(Debug, PartialEq)]
enum Want {
    Allow(Option<usize>),
    Deny(Option<usize>),
    TypeError,
    EvaluatorError,
    BuildError,
}
use Want::*;

/// Rules as JSON; a rule without `actions`/`resources` gets `["*"]`.
fn policy(rules: Value, extra: Value) -> String {
    let rules: Vec<Value> = rules
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let mut r = r.as_object().unwrap().clone();
            r.entry("actions").or_insert(json!(["*"]));
            r.entry("resources").or_insert(json!(["*"]));
            Value::Object(r)
        })
        .collect();
    let mut doc = extra.as_object().cloned().unwrap_or_default();
    doc.insert("rules".into(), Value::Array(rules));
    Value::Object(doc).to_string()
}

fn evaluators() -> Evaluators {
    Evaluators::new()
        .register("no", |_, _| Ok(false))
        .register("yes", |_, _| Ok(true))
        .register("boom", |_, _| Err("evaluator failed".into()))
}

fn cases() -> Vec<(usize, Value, Value, Value, Want)> {
    // (#, rules, engine extras, request overrides, answer)
    let none = json!({});
    let cond = |source: &str, key: &str, op: &str, value: Value| json!([{"effect": "allow", "conditions": [{"source": source, "key": key, "operator": op, "value": value}]}]);
    let subj = |s: Value| json!({"subject": s});
    vec![
        (0, json!([]), none.clone(), none.clone(), Deny(None)),
        (
            1,
            json!([]),
            json!({"default_allow": true}),
            none.clone(),
            Allow(None),
        ),
        (
            2,
            json!([{"effect": "allow", "actions": ["users:ban"], "resources": ["users"]}]),
            none.clone(),
            json!({"action": "users:ban"}),
            Allow(Some(0)),
        ),
        (
            3,
            json!([{"effect": "allow", "actions": ["users:*"], "resources": ["users"]}]),
            none.clone(),
            json!({"action": "users"}),
            Allow(Some(0)),
        ),
        (
            4,
            json!([{"effect": "allow", "actions": ["users:*"]}]),
            none.clone(),
            json!({"action": "users:read:own", "resource": "docs"}),
            Allow(Some(0)),
        ),
        (
            5,
            json!([{"effect": "allow", "actions": ["users:*"]}]),
            none.clone(),
            json!({"action": "usersX:read"}),
            Deny(None),
        ),
        (
            6,
            json!([{"effect": "allow", "actions": ["*:*"]}]),
            none.clone(),
            json!({"action": "users:read"}),
            Deny(None),
        ),
        (
            7,
            json!([{"effect": "allow", "actions": ["*:*"]}]),
            none.clone(),
            json!({"action": "*:read"}),
            Allow(Some(0)),
        ),
        (
            8,
            json!([{"effect": "allow", "actions": ["users:read"]}]),
            none.clone(),
            json!({"action": "Users:read"}),
            Deny(None),
        ),
        (
            9,
            json!([{"effect": "allow", "actions": []}]),
            none.clone(),
            none.clone(),
            Deny(None),
        ),
        (
            10,
            json!([{"effect": "allow", "resources": [":*"]}]),
            none.clone(),
            json!({"resource": ""}),
            Allow(Some(0)),
        ),
        (
            11,
            json!([{"effect": "allow"}, {"effect": "deny"}]),
            none.clone(),
            none.clone(),
            Deny(Some(1)),
        ),
        (
            12,
            json!([{"effect": "allow", "reason": "first"}, {"effect": "allow", "reason": "second"}]),
            none.clone(),
            none.clone(),
            Allow(Some(1)),
        ),
        (
            13,
            json!([{"effect": "deny"}, {"effect": "deny"}]),
            none.clone(),
            none.clone(),
            Deny(Some(0)),
        ),
        (
            14,
            json!([{"effect": "deny", "evaluators": ["no"]}, {"effect": "allow"}]),
            none.clone(),
            none.clone(),
            Allow(Some(1)),
        ),
        (
            15,
            json!([{"effect": "allow", "scopes": ["admin:*"]}]),
            none.clone(),
            json!({"scopes": ["admin:users"]}),
            Deny(None),
        ),
        (
            16,
            json!([{"effect": "allow", "scopes": ["admin:users"]}]),
            none.clone(),
            json!({"scopes": ["admin:*"]}),
            Allow(Some(0)),
        ),
        (
            17,
            json!([{"effect": "allow", "scopes": ["admin"]}]),
            none.clone(),
            json!({"scopes": ["admin:*"]}),
            Allow(Some(0)),
        ),
        (
            18,
            json!([{"effect": "allow", "scopes": ["admin:*"]}]),
            none.clone(),
            json!({"scopes": ["admin:*:*"]}),
            Allow(Some(0)),
        ),
        (
            19,
            json!([{"effect": "allow", "scopes": ["users:read", "billing:read"]}]),
            none.clone(),
            json!({"scopes": ["users:read"]}),
            Deny(None),
        ),
        (
            20,
            json!([{"effect": "allow", "scopes": ["users:read", "billing:read"], "all_scopes_required": false}]),
            none.clone(),
            json!({"scopes": ["users:read"]}),
            Allow(Some(0)),
        ),
        (
            21,
            json!([{"effect": "allow", "scopes": [], "all_scopes_required": false}]),
            none.clone(),
            json!({"scopes": []}),
            Deny(None),
        ),
        (
            22,
            json!([{"effect": "allow", "scopes": [], "all_scopes_required": false}]),
            none.clone(),
            none.clone(),
            Allow(Some(0)),
        ),
        (
            23,
            json!([{"effect": "allow", "scopes": ["x"]}]),
            none.clone(),
            json!({"token": null}),
            Deny(None),
        ),
        (
            24,
            cond("environment", "method", "equals", json!("POST")),
            none.clone(),
            json!({"env": {"method": "POST"}}),
            Allow(Some(0)),
        ),
        (
            25,
            cond("environment", "method", "equals", json!("POST")),
            none.clone(),
            json!({"env": {}}),
            Deny(None),
        ),
        (
            26,
            cond(
                "subject",
                "account_status",
                "not_equals",
                json!("suspended"),
            ),
            none.clone(),
            subj(json!({})),
            Allow(Some(0)),
        ),
        (
            27,
            cond("subject", "account_status", "equals", Value::Null),
            none.clone(),
            subj(json!({})),
            Allow(Some(0)),
        ),
        (
            28,
            cond("subject", "role", "exists", Value::Null),
            none.clone(),
            subj(json!({"role": null})),
            Deny(None),
        ),
        (
            29,
            cond("subject", "role", "in", json!("admin")),
            none.clone(),
            subj(json!({"role": "adm"})),
            Deny(None),
        ),
        (
            30,
            cond("subject", "role", "contains", json!("adm")),
            none.clone(),
            subj(json!({"role": "admin"})),
            Allow(Some(0)),
        ),
        (
            31,
            cond("subject", "role", "not_in", json!(["x"])),
            none.clone(),
            subj(json!({})),
            Allow(Some(0)),
        ),
        (
            32,
            cond("subject", "level", "contains", json!("a")),
            none.clone(),
            subj(json!({"level": 5})),
            TypeError,
        ),
        (
            33,
            cond("subject", "level", "gt", json!(1)),
            none.clone(),
            subj(json!({"level": "5"})),
            TypeError,
        ),
        (
            34,
            cond("subject", "level", "gt", json!(1)),
            none.clone(),
            subj(json!({})),
            Deny(None),
        ),
        (
            35,
            cond("subject", "level", "equals", json!(1.0)),
            none.clone(),
            subj(json!({"level": 1})),
            Allow(Some(0)),
        ),
        // DELIBERATE DIFFERENCE: AuthX allows (True == 1).
        (
            36,
            cond("subject", "level", "equals", json!(1)),
            none.clone(),
            subj(json!({"level": true})),
            Deny(None),
        ),
        (
            37,
            cond("subject", "meta", "contains", json!("tier")),
            none.clone(),
            subj(json!({"meta": {"tier": "gold"}})),
            Allow(Some(0)),
        ),
        (
            38,
            cond("subject", "meta", "contains", json!(["tier"])),
            none.clone(),
            subj(json!({"meta": {"tier": "gold"}})),
            TypeError,
        ),
        (
            39,
            cond("subject", "meta.tier", "equals", json!("gold")),
            none.clone(),
            subj(json!({"meta": {"tier": "gold"}})),
            Allow(Some(0)),
        ),
        (
            40,
            cond("token", "type", "equals", json!("access")),
            none.clone(),
            none.clone(),
            Allow(Some(0)),
        ),
        // DELIBERATE DIFFERENCE: AuthX drops custom claims from the derived subject (deny).
        (
            41,
            cond("subject", "role", "equals", json!("admin")),
            none.clone(),
            json!({"claims": {"role": "admin"}}),
            Allow(Some(0)),
        ),
        (
            42,
            cond("subject", "role", "equals", json!("admin")),
            none.clone(),
            json!({"claims": {"role": "admin"}, "subject": {}}),
            Deny(None),
        ),
        (
            43,
            json!([{"effect": "deny"}, {"effect": "allow", "evaluators": ["boom"]}]),
            none.clone(),
            none.clone(),
            Deny(Some(0)),
        ),
        (
            44,
            json!([{"effect": "allow"}, {"effect": "allow", "evaluators": ["boom"]}]),
            none.clone(),
            none.clone(),
            EvaluatorError,
        ),
        (
            45,
            json!([{"effect": "allow", "evaluators": ["no", "boom"]}]),
            none.clone(),
            none.clone(),
            Deny(None),
        ),
        (
            46,
            json!([{"effect": "allow", "evaluators": ["boom", "no"]}]),
            none.clone(),
            none.clone(),
            EvaluatorError,
        ),
        (
            47,
            json!([{"effect": "allow", "conditions": [
            {"source": "subject", "key": "x", "operator": "equals", "value": 1},
            {"source": "subject", "key": "level", "operator": "contains", "value": "a"}]}]),
            none.clone(),
            subj(json!({"level": 5})),
            Deny(None),
        ),
        (
            48,
            json!([{"effect": "deny"}, {"effect": "allow"}]),
            json!({"evaluators": ["no"], "default_allow": true}),
            none.clone(),
            Allow(None),
        ),
        // DELIBERATE DIFFERENCE: AuthX treats "Deny" as a soft deny (deny #1 / allow #1).
        (
            49,
            json!([{"effect": "allow"}, {"effect": "Deny"}]),
            none.clone(),
            none.clone(),
            BuildError,
        ),
        (
            50,
            json!([{"effect": "Deny"}, {"effect": "allow"}]),
            none.clone(),
            none.clone(),
            BuildError,
        ),
        // DELIBERATE DIFFERENCE: AuthX reads the attribute `(5).real` (allow #0).
        (
            51,
            cond("subject", "n.real", "equals", json!(5)),
            none.clone(),
            subj(json!({"n": 5})),
            Deny(None),
        ),
    ]
}

fn outcome(result: Result<(bool, Option<usize>), PolicyError>) -> Want {
    match result {
        Ok((true, rule)) => Allow(rule),
        Ok((false, rule)) => Deny(rule),
        Err(PolicyError::TypeMismatch { .. }) => TypeError,
        Err(PolicyError::Evaluator { .. }) => EvaluatorError,
        Err(other) => panic!("unexpected error {other}"),
    }
}

#[cfg(any(feature = "blocking", feature = "async"))]
fn client_outcome(result: idpkit::Result<(bool, Option<usize>)>) -> Want {
    outcome(result.map_err(|e| match e.kind() {
        idpkit::ErrorKind::Policy(p) => p.clone(),
        other => panic!("unexpected error kind {other:?}"),
    }))
}

#[test]
fn worked_cases() {
    let cases = cases();
    assert_eq!(cases.len(), 52);
    let evaluators = evaluators();
    for (n, rules, extra, over, want) in cases {
        let engine = match PolicyEngine::from_json(&policy(rules, extra)) {
            Ok(engine) => engine,
            Err(PolicyError::Invalid { rule, field, .. }) => {
                assert_eq!(want, BuildError, "case {n}");
                assert_eq!(
                    field,
                    format!("rules[{}].effect", rule.unwrap()),
                    "case {n}"
                );
                continue;
            }
            Err(e) => panic!("case {n}: {e}"),
        };
        engine.check_evaluators(&evaluators).unwrap();

        let mut claims: Map<String, Value> = json!({"sub": "alice", "login_type": "user"})
            .as_object()
            .unwrap()
            .clone();
        if let Some(scopes) = over.get("scopes") {
            claims.insert("scopes".into(), scopes.clone());
        }
        if let Some(extra) = over.get("claims") {
            claims.extend(extra.as_object().unwrap().clone());
        }
        let empty = json!({});
        let env = over.get("env").unwrap_or(&empty);
        let mut request = Request::new(
            over.get("action")
                .and_then(Value::as_str)
                .unwrap_or("users:read"),
            over.get("resource")
                .and_then(Value::as_str)
                .unwrap_or("users"),
        )
        .login_type("user")
        .resource_attributes(&empty)
        .environment(env);
        if over.get("token") != Some(&Value::Null) {
            request = request.token(&claims);
        }
        if let Some(subject) = over.get("subject") {
            request = request.subject(subject);
        }

        let indexed = engine
            .evaluate_with(&request, &evaluators)
            .map(|d| (d.allowed, d.rule));
        assert_eq!(outcome(indexed.clone()), want, "case {n} (indexed)");
        let linear = engine
            .evaluate_unindexed(&request, &evaluators)
            .map(|d| (d.allowed, d.rule));
        assert_eq!(linear, indexed, "case {n} (unindexed)");
        let explained = engine.explain(&request, &evaluators);
        assert_eq!(
            explained.decision.map(|d| (d.allowed, d.rule)),
            indexed,
            "case {n} (explain)"
        );
        #[cfg(feature = "blocking")]
        {
            let got = idpkit::blocking::evaluate_policy(&engine, &request, &evaluators)
                .map(|d| (d.allowed, d.rule));
            assert_eq!(client_outcome(got), want, "case {n} (blocking)");
        }
        #[cfg(feature = "async")]
        {
            let rt = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            let got = rt
                .block_on(idpkit::asynch::evaluate_policy(
                    &engine,
                    &request,
                    &evaluators,
                ))
                .map(|d| (d.allowed, d.rule));
            assert_eq!(client_outcome(got), want, "case {n} (async)");
        }
    }
}

/// The async client's evaluation is a `Send` future (it can run on a multi-threaded runtime).
#[cfg(feature = "async")]
#[test]
fn async_evaluation_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let engine = PolicyEngine::from_json("{}").unwrap();
    let evaluators = evaluators();
    let request = Request::new("a", "b");
    let future = idpkit::asynch::evaluate_policy(&engine, &request, &evaluators);
    assert_send(&future);
}

#[test]
fn reasons() {
    let engine = PolicyEngine::from_json(&policy(
        json!([{"effect": "allow", "reason": "first"}, {"effect": "allow", "reason": "second"}]),
        json!({}),
    ))
    .unwrap();
    assert_eq!(
        engine.evaluate(&Request::new("a", "b")).unwrap().reason,
        "second"
    );
    let engine = PolicyEngine::from_json(&policy(json!([{"effect": "deny"}]), json!({}))).unwrap();
    assert_eq!(
        engine.evaluate(&Request::new("a", "b")).unwrap().reason,
        "Policy rule deny matched"
    );
    let engine = PolicyEngine::from_json(&policy(json!([{"effect": "allow"}]), json!({}))).unwrap();
    assert_eq!(
        engine.evaluate(&Request::new("a", "b")).unwrap().reason,
        "Policy rule allow matched"
    );
    let engine = PolicyEngine::from_json(r#"{"default_allow": true}"#).unwrap();
    assert_eq!(
        engine.evaluate(&Request::new("a", "b")).unwrap().reason,
        "No policy rule matched; default allow"
    );
    let engine = PolicyEngine::from_json("{}").unwrap();
    assert_eq!(
        engine.evaluate(&Request::new("a", "b")).unwrap().reason,
        "No policy rule matched"
    );
}
