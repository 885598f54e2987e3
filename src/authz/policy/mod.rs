//! Local policy rules with AuthX 1.7.1 semantics: allow/deny rules over actions, resources,
//! token scopes, conditions on the subject, resource, environment and token, and custom
//! evaluators — exact where AuthX is sound, strict where it is lax, and compiled for speed.
//!
//! The algorithm (spec A2): rules are tested in order — action → resource → scopes →
//! conditions → evaluators (global ones first); the **first matching deny** decides at once,
//! otherwise the **last matching allow** decides, otherwise the default (deny, or allow with
//! `default_allow`). An error in a reached condition or evaluator leaves no decision.
//!
//! Patterns: `*` matches everything, `ns:*` matches `ns` and anything under `ns:`, anything
//! else is exact (case-sensitive). A token scope `ns:*` satisfies a required `ns` or `ns:…`.
//!
//! Where idpkit deliberately differs from AuthX:
//! - an unknown effect (`"Deny"`), operator or source is refused when the policy is built;
//! - a bool never equals a number, and ordering a bool or two arrays is a type error;
//! - dotted keys walk JSON objects only (no Python attributes such as `n.real`);
//! - a subject derived from the token keeps the token's custom claims.
//!
//! Speed: rules are indexed by action and resource pattern (exact names in hash maps, `ns:*`
//! namespaces, `*`), so a decision tests only the rules whose patterns match, in rule order;
//! without evaluators it allocates nothing.
//!
//! ```
//! use idpkit::authz::policy::{PolicyEngine, Request};
//! use serde_json::json;
//!
//! let engine = PolicyEngine::from_json(r#"{
//!     "rules": [
//!         {"effect": "allow", "actions": ["users:*"], "resources": ["users"], "scopes": ["users:read"]},
//!         {"effect": "deny", "actions": ["users:delete"], "resources": ["*"],
//!          "conditions": [{"source": "environment", "key": "hour", "operator": "gte", "value": 18}],
//!          "reason": "no deletions after hours"}
//!     ]
//! }"#)?;
//! let token = json!({"sub": "alice", "scopes": ["users:*"]});
//! let env = json!({"hour": 19});
//! let request = Request::new("users:delete", "users")
//!     .token(token.as_object().unwrap())
//!     .environment(&env);
//! let decision = engine.evaluate(&request)?;
//! assert_eq!((decision.allowed, decision.rule, decision.reason), (false, Some(1), "no deletions after hours"));
//! # Ok::<(), idpkit::authz::policy::PolicyError>(())
//! ```

mod engine;
mod error;
mod evaluators;
mod model;
mod pattern;
mod request;
#[cfg(test)]
mod tests;
mod value;

pub use engine::{Check, Decision, MAX_VALUE_DEPTH, MAX_VALUE_NODES, PolicyBuilder, PolicyEngine};
#[cfg(any(feature = "blocking", feature = "async"))]
pub(crate) use engine::{Evaluation, Step};
pub use error::{EvaluatorError, PolicyError};
pub use evaluators::{Evaluators, Explanation, RuleOutcome};
pub use model::{Condition, Effect, Operator, PolicyDocument, Rule, Source};
pub use request::Request;
pub(crate) use request::{REGISTERED as REGISTERED_CLAIMS, format_uuid_v4};

impl PolicyEngine {
    /// Loads, validates and compiles a policy from JSON (a [`PolicyDocument`]).
    ///
    /// ```
    /// use idpkit::authz::policy::{PolicyEngine, PolicyError};
    /// let err = PolicyEngine::from_json(
    ///     r#"{"rules": [{"effect": "allow", "actions": ["*"], "resources": ["*"],
    ///                    "conditions": [{"source": "subject", "key": "x", "operator": "like"}]}]}"#,
    /// ).unwrap_err();
    /// match err {
    ///     PolicyError::Invalid { rule, field, .. } => {
    ///         assert_eq!(rule, Some(0));
    ///         assert_eq!(field, "rules[0].conditions[0].operator");
    ///     }
    ///     other => panic!("{other}"),
    /// }
    /// ```
    ///
    /// # Errors
    ///
    /// [`PolicyError::Invalid`] naming the rule and the field (a serde path) for malformed
    /// JSON, an unknown effect, operator, source or field, a wrong type, or a condition value
    /// too deep or too large.
    pub fn from_json(json: &str) -> Result<Self, PolicyError> {
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(|e| PolicyError::Invalid {
                rule: None,
                field: ".".into(),
                message: e.to_string(),
            })?;
        check_shapes(&value)?;
        let document: PolicyDocument =
            serde_path_to_error::deserialize(value).map_err(|e| invalid(&e))?;
        PolicyEngine::from_document(document)
    }

    /// The policy as JSON (loads back with [`from_json`](Self::from_json)).
    ///
    /// ```
    /// use idpkit::authz::policy::{PolicyEngine, Rule};
    /// let engine = PolicyEngine::builder().rule(Rule::deny(["*"], ["*"]).reason("closed")).build()?;
    /// let again = PolicyEngine::from_json(&engine.to_json())?;
    /// assert_eq!(again.document(), engine.document());
    /// # Ok::<(), idpkit::authz::policy::PolicyError>(())
    /// ```
    pub fn to_json(&self) -> String {
        // A document of strings, bools and JSON values always serializes.
        serde_json::to_string_pretty(&self.document).unwrap_or_default()
    }
}

/// Serde also reads a struct from a JSON array (`["allow", ["*"], ["*"]]`); a policy file must
/// spell every document, rule and condition as an object.
fn check_shapes(value: &serde_json::Value) -> Result<(), PolicyError> {
    let not_object = |rule: Option<usize>, field: String| PolicyError::Invalid {
        rule,
        field,
        message: "expected a JSON object".into(),
    };
    let doc = value
        .as_object()
        .ok_or_else(|| not_object(None, ".".into()))?;
    let Some(serde_json::Value::Array(rules)) = doc.get("rules") else {
        return Ok(()); // absent, or a type error serde reports
    };
    for (i, rule) in rules.iter().enumerate() {
        let rule = rule
            .as_object()
            .ok_or_else(|| not_object(Some(i), format!("rules[{i}]")))?;
        if let Some(serde_json::Value::Array(conditions)) = rule.get("conditions") {
            for (j, c) in conditions.iter().enumerate() {
                if !c.is_object() {
                    return Err(not_object(Some(i), format!("rules[{i}].conditions[{j}]")));
                }
            }
        }
    }
    Ok(())
}

fn invalid(e: &serde_path_to_error::Error<serde_json::Error>) -> PolicyError {
    let mut segments = e.path().iter();
    let rule = match (segments.next(), segments.next()) {
        (
            Some(serde_path_to_error::Segment::Map { key }),
            Some(serde_path_to_error::Segment::Seq { index }),
        ) if key == "rules" => Some(*index),
        _ => None,
    };
    // serde_path_to_error shows an empty key as nothing at all: name it.
    let field = match e.path().to_string() {
        path if path.is_empty() => r#""""#.to_owned(),
        path => path,
    };
    PolicyError::Invalid {
        rule,
        field,
        message: e.inner().to_string(),
    }
}

/// Fuzzing entry point: loads `json` as a policy and, when it loads, evaluates a few requests.
/// Never panics.
#[doc(hidden)]
pub fn fuzz_load(json: &str) -> Result<usize, PolicyError> {
    let engine = PolicyEngine::from_json(json)?;
    let subject = serde_json::json!({"role": "admin", "level": 5, "tags": ["a"], "meta": {"k": 1}});
    let token = serde_json::json!({"sub": "fuzz", "scopes": ["a:*", "b"]});
    let token = token.as_object().cloned().unwrap_or_default();
    let mut decided = 0;
    for (action, resource) in [("a", "b"), ("a:b", "c:d"), ("", ""), ("*", "*")] {
        let request = Request::new(action, resource)
            .subject(&subject)
            .resource_attributes(&subject)
            .environment(&subject)
            .token(&token);
        let indexed = engine.evaluate(&request);
        let linear = engine.evaluate_unindexed(&request, &Evaluators::EMPTY);
        assert_eq!(indexed, linear, "indexed and linear evaluation disagree");
        decided += usize::from(indexed.is_ok());
    }
    Ok(decided)
}
