//! The cost of one local policy decision (`PolicyEngine::evaluate`, indexed by action and
//! resource) with 10, 1,000 and 10,000 rules of 2 conditions each, for a request a rule
//! decides (hit) and one no rule matches (miss) — next to the naive baseline measured in the
//! same run: the same engine testing every rule in order (`evaluate_unindexed`, AuthX's
//! algorithm with the same compiled conditions).
//!
//! `cargo bench --bench policy -- --warm-up-time 1 --measurement-time 3`; the medians are in
//! `target/criterion/policy/*/new/estimates.json`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use idpkit::authz::policy::{Condition, Evaluators, Operator, PolicyEngine, Request, Rule, Source};
use serde_json::{Value, json};

/// `n` rules, 2 conditions each: rule 0 denies suspended subjects everywhere; the others
/// allow (every fifth denies) one resource family's actions on one tenant, for one department
/// within working hours.
fn rules(n: usize) -> PolicyEngine {
    let mut builder = PolicyEngine::builder().rule(
        Rule::deny(["*"], ["*"])
            .condition(Condition::new(
                Source::Subject,
                "status",
                Operator::Equals,
                "suspended",
            ))
            .condition(Condition::new(
                Source::Environment,
                "hour",
                Operator::Gte,
                0,
            ))
            .reason("suspended"),
    );
    for i in 1..n {
        let actions = if i % 3 == 0 {
            vec![format!("res{i}:*")]
        } else {
            vec![format!("res{i}:read"), format!("res{i}:write")]
        };
        let resources = [format!("tenant{}", i % 7)];
        let rule = if i % 5 == 0 {
            Rule::deny(actions, resources)
                .condition(Condition::new(
                    Source::Subject,
                    "department",
                    Operator::Equals,
                    "contractors",
                ))
                .condition(Condition::new(
                    Source::Resource,
                    "classified",
                    Operator::Equals,
                    true,
                ))
        } else {
            Rule::allow(actions, resources)
                .condition(Condition::new(
                    Source::Subject,
                    "department",
                    Operator::In,
                    json!([format!("eng{}", i % 3), "ops"]),
                ))
                .condition(Condition::new(
                    Source::Environment,
                    "hour",
                    Operator::Lt,
                    18,
                ))
        };
        builder = builder.rule(rule);
    }
    builder.build().unwrap()
}

fn bench(c: &mut Criterion) {
    let subject = json!({"department": "ops", "status": "active"});
    let env = json!({"hour": 10, "method": "GET"});
    let attrs = json!({"classified": false, "owner": "alice"});
    let token = json!({"sub": "alice", "scopes": ["res:*"], "login_type": "user"});
    let token = token.as_object().unwrap();
    let none = Evaluators::new();

    let mut group = c.benchmark_group("policy");
    for n in [10usize, 1_000, 10_000] {
        let engine = rules(n);
        // Hit: rule `target` (an allow) decides. Miss: only rule 0 is a candidate.
        let target = (n - 2).max(1);
        let target = if target % 5 == 0 { target - 1 } else { target };
        let hit_action = format!("res{target}:read");
        let hit_resource = format!("tenant{}", target % 7);
        let cases: [(&str, &str, &str, Option<usize>); 2] = [
            ("hit", &hit_action, &hit_resource, Some(target)),
            ("miss", "nothing:read", "tenant1", None),
        ];
        for (name, action, resource, want) in cases {
            let request = Request::new(action, resource)
                .token(token)
                .subject(&subject)
                .resource_attributes(&attrs)
                .environment(&env);
            let d = engine.evaluate(&request).unwrap();
            assert_eq!(d.rule, want, "{name} {n}");
            assert_eq!(engine.evaluate_unindexed(&request, &none).unwrap(), d);
            group.bench_with_input(
                BenchmarkId::new(format!("indexed_{name}"), n),
                &request,
                |b, r| b.iter(|| black_box(engine.evaluate(black_box(r)).unwrap())),
            );
            group.bench_with_input(
                BenchmarkId::new(format!("linear_{name}"), n),
                &request,
                |b, r| {
                    b.iter(|| black_box(engine.evaluate_unindexed(black_box(r), &none).unwrap()))
                },
            );
        }
    }
    group.finish();
    let _: Value = env;
}

criterion_group!(benches, bench);
criterion_main!(benches);
