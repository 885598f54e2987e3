//! Property tests of the policy engine (spec A2), on rules and requests from a small alphabet
//! so that matches, several matching allows and allow + deny both matching are common:
//! - deny wins: if any deny rule matches on its own, the decision is deny by the first such
//!   rule; otherwise the last allow that matches on its own decides; otherwise the default;
//! - rule order only matters among the matching rules of one effect: shuffling the rules never
//!   changes allowed/denied, and a rule that is the only match still decides;
//! - adding a rule that cannot match never changes the decision (the index shifts);
//! - the indexed engine always agrees with the unindexed scan.

use idpkit::authz::policy::{
    Condition, Effect, Evaluators, Operator, PolicyEngine, Request, Rule, Source,
};
use proptest::prelude::*;
use serde_json::{Value, json};

const NAMES: &[&str] = &["a", "a:b", "a:b:c", "b", "", ":x", "*"];
const PATTERNS: &[&str] = &["*", "a", "a:*", "a:b", "a:b:*", "b", ":*", "*:*", ""];

fn rule() -> impl Strategy<Value = Rule> {
    let patterns = || prop::collection::vec(prop::sample::select(PATTERNS), 0..3);
    let condition = (
        prop::sample::select(vec!["role", "team", "x"]),
        prop::sample::select(vec![
            Operator::Equals,
            Operator::NotEquals,
            Operator::In,
            Operator::Exists,
        ]),
        prop::sample::select(vec![
            json!("admin"),
            json!(1),
            Value::Null,
            json!(["admin", 1]),
        ]),
    )
        .prop_map(|(k, o, v)| Condition::new(Source::Subject, k, o, v));
    (
        any::<bool>(),
        patterns(),
        patterns(),
        prop::collection::vec(condition, 0..2),
        prop::option::of(prop::collection::vec(
            prop::sample::select(vec!["s", "t:*", "t:u"]),
            0..2,
        )),
    )
        .prop_map(|(deny, actions, resources, conditions, scopes)| {
            let effect = if deny { Effect::Deny } else { Effect::Allow };
            let mut rule = Rule::new(effect, actions, resources);
            rule.conditions = conditions;
            rule.scopes = scopes.map(|s| s.into_iter().map(String::from).collect());
            rule
        })
}

fn subject() -> impl Strategy<Value = Value> {
    prop::sample::select(vec![
        json!({}),
        json!({"role": "admin"}),
        json!({"role": 1, "team": "admin"}),
        json!({"x": null, "team": ["admin", 1]}),
    ])
}

fn engine(rules: &[Rule], default_allow: bool) -> PolicyEngine {
    PolicyEngine::builder()
        .rules(rules.iter().cloned())
        .default_allow(default_allow)
        .build()
        .unwrap()
}

fn decide(rules: &[Rule], default_allow: bool, req: &Request<'_>) -> (bool, Option<usize>) {
    let e = engine(rules, default_allow);
    let d = e.evaluate(req).unwrap();
    assert_eq!(e.evaluate_unindexed(req, &Evaluators::new()).unwrap(), d);
    (d.allowed, d.rule)
}

fn matches_alone(rule: &Rule, req: &Request<'_>) -> bool {
    decide(std::slice::from_ref(rule), false, req).1.is_some()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn deny_wins_and_last_allow_decides(
        rules in prop::collection::vec(rule(), 0..8),
        action in prop::sample::select(NAMES),
        resource in prop::sample::select(NAMES),
        subject in subject(),
        scopes in prop::sample::select(vec![json!(null), json!([]), json!(["t:*"]), json!(["s", "t:u"])]),
        default_allow in any::<bool>(),
    ) {
        let token = json!({"sub": "u", "scopes": scopes});
        let req = Request::new(action, resource).subject(&subject).token(token.as_object().unwrap());
        let matching: Vec<usize> = (0..rules.len()).filter(|&i| matches_alone(&rules[i], &req)).collect();
        let first_deny = matching.iter().copied().find(|&i| rules[i].effect == Effect::Deny);
        let last_allow = matching.iter().copied().rev().find(|&i| rules[i].effect == Effect::Allow);
        let want = match (first_deny, last_allow) {
            (Some(d), _) => (false, Some(d)),
            (None, Some(a)) => (true, Some(a)),
            (None, None) => (default_allow, None),
        };
        prop_assert_eq!(decide(&rules, default_allow, &req), want);
    }

    #[test]
    fn order_only_matters_within_an_effect(
        (rules, shuffled) in prop::collection::vec(rule(), 0..8)
            .prop_flat_map(|r| (Just(r.clone()), Just(r).prop_shuffle())),
        action in prop::sample::select(NAMES),
        resource in prop::sample::select(NAMES),
        subject in subject(),
    ) {
        let req = Request::new(action, resource).subject(&subject);
        let (allowed, rule) = decide(&rules, false, &req);
        let (allowed2, rule2) = decide(&shuffled, false, &req);
        prop_assert_eq!(allowed, allowed2);
        prop_assert_eq!(rule.is_some(), rule2.is_some());
        if let (Some(i), Some(j)) = (rule, rule2) {
            prop_assert_eq!(rules[i].effect, shuffled[j].effect);
            let matching = rules.iter().filter(|r| matches_alone(r, &req)).count();
            if matching == 1 {
                prop_assert_eq!(&rules[i], &shuffled[j]);
            }
        }
    }

    #[test]
    fn a_rule_that_cannot_match_changes_nothing(
        rules in prop::collection::vec(rule(), 0..8),
        extra in rule(),
        at in any::<prop::sample::Index>(),
        action in prop::sample::select(NAMES),
        resource in prop::sample::select(NAMES),
        subject in subject(),
        default_allow in any::<bool>(),
    ) {
        let req = Request::new(action, resource).subject(&subject);
        let mut dead = extra;
        dead.actions = vec!["never:matches".into()];
        let at = at.index(rules.len() + 1);
        let mut more = rules.clone();
        more.insert(at, dead);
        let (allowed, rule) = decide(&rules, default_allow, &req);
        let shifted = rule.map(|i| if i >= at { i + 1 } else { i });
        prop_assert_eq!(decide(&more, default_allow, &req), (allowed, shifted));
    }
}
