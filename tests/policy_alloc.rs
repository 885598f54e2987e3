//! Decisions without evaluators allocate nothing: a counting global allocator (per thread, so
//! the test harness's own threads do not interfere) sees zero allocations across many
//! `PolicyEngine::evaluate` calls — hits, misses, denies, defaults, derived subjects, token
//! defaults, and the type-error path — with 10, 1,000 and 10,000 rules.

use std::hint::black_box;

use idpkit::authz::policy::{Condition, Operator, PolicyEngine, Request, Rule, Source};
use serde_json::json;

#[path = "support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::allocations_during;

fn engine(n: usize) -> PolicyEngine {
    let mut builder = PolicyEngine::builder()
        .rule(
            Rule::deny(["*"], ["*"])
                .condition(Condition::new(
                    Source::Subject,
                    "status",
                    Operator::Equals,
                    "suspended",
                ))
                .condition(Condition::new(
                    Source::Token,
                    "type",
                    Operator::NotEquals,
                    "refresh",
                )),
        )
        .rule(
            Rule::allow(["admin:*"], ["*"])
                .scopes(["admin"], true)
                .condition(Condition::new(Source::Subject, "level", Operator::Gte, 3)),
        );
    for i in 2..n {
        let rule = Rule::new(
            if i % 4 == 0 {
                idpkit::authz::policy::Effect::Deny
            } else {
                idpkit::authz::policy::Effect::Allow
            },
            [format!("res{}:read", i % 50), format!("res{i}:*")],
            [format!("tenant{}", i % 7), "shared:*".to_owned()],
        )
        .condition(Condition::new(
            Source::Subject,
            "team",
            Operator::In,
            json!([format!("t{}", i % 5), "all"]),
        ))
        .condition(Condition::new(
            Source::Resource,
            "owner.id",
            Operator::Contains,
            "a",
        ));
        builder = builder.rule(rule);
    }
    builder.build().unwrap()
}

#[test]
fn decisions_do_not_allocate() {
    let token = json!({"sub": "alice", "scopes": ["admin:*", "res1:read"], "login_type": "user", "team": "t1"});
    let token = token.as_object().unwrap();
    let subjects = [
        json!({"team": "t1", "level": 5, "status": "active"}),
        json!({"team": "all", "level": "high"}),
        json!({"status": "suspended"}),
        json!({}),
    ];
    let attrs = json!({"owner": {"id": "alice"}});
    let env = json!({"hour": 9});
    let requests: &[(&str, &str)] = &[
        ("res1:read", "tenant1"),
        ("res3:write", "tenant3"),
        ("res4:read", "shared:x"),
        ("res8:list", "tenant1"),
        ("admin:users", "x"),
        ("nothing", "tenant1"),
        ("", ""),
        ("res1:read:own", "shared"),
    ];
    for n in [10, 1_000, 10_000] {
        let engine = engine(n);
        let (mut allowed, mut denied, mut errors, mut total) = (0, 0, 0, 0);
        // Round 0 warms up the lazily initialised statics (the token defaults, once per
        // process); rounds 1.. are counted.
        let mut allocated = 0;
        for round in 0..10 {
            let during = allocations_during(|| {
                for &(action, resource) in requests {
                    for subject in &subjects {
                        for derived in [false, true] {
                            let mut request = Request::new(black_box(action), black_box(resource))
                                .token(token)
                                .resource_attributes(&attrs)
                                .environment(&env);
                            if !derived {
                                request = request.subject(subject);
                            }
                            match engine.evaluate(black_box(&request)) {
                                Ok(d) if d.allowed => allowed += 1,
                                Ok(_) => denied += 1,
                                Err(_) => errors += 1,
                            }
                            total += 1;
                        }
                    }
                }
            });
            if round > 0 {
                allocated += during;
            }
        }
        assert_eq!(
            allocated, 0,
            "{n} rules: {allocated} allocations in {total} decisions"
        );
        assert!(
            allowed > 0 && denied > 0 && errors > 0,
            "{n}: {allowed}/{denied}/{errors}"
        );
    }
}

#[test]
fn counter_works() {
    let allocated = allocations_during(|| {
        black_box(vec![1u8; 16]);
    });
    assert_eq!(allocated, 1);
}
