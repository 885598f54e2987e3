//! The policy engine's errors: a rule set that cannot be built, and an evaluation that
//! cannot decide.

use std::fmt;
use std::sync::Arc;

use super::model::Operator;

/// The error an evaluator ([`Evaluators`](super::Evaluators)) returns: any error, boxed.
///
/// ```
/// use idpkit::authz::policy::EvaluatorError;
/// let e: EvaluatorError = "the account service is down".into();
/// assert_eq!(e.to_string(), "the account service is down");
/// ```
pub type EvaluatorError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a rule set was refused or an evaluation gave no decision.
///
/// Build errors ([`Invalid`](Self::Invalid), [`UnknownEvaluator`](Self::UnknownEvaluator))
/// come from [`PolicyEngine::from_json`](super::PolicyEngine::from_json) and
/// [`PolicyBuilder::build`](super::PolicyBuilder::build), never at request time. Evaluation
/// errors ([`TypeMismatch`](Self::TypeMismatch), [`Evaluator`](Self::Evaluator),
/// [`InvalidTokenScopes`](Self::InvalidTokenScopes)) abort the evaluation: there is no
/// decision, and a web guard answers 500, never allow.
///
/// ```
/// use idpkit::authz::policy::{PolicyEngine, PolicyError};
/// let err = PolicyEngine::from_json(r#"{"rules": [{"effect": "Deny", "actions": ["*"], "resources": ["*"]}]}"#)
///     .unwrap_err();
/// assert!(matches!(&err, PolicyError::Invalid { rule: Some(0), field, .. } if field == "rules[0].effect"));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum PolicyError {
    /// The policy document or a rule is malformed: an unknown effect, operator or source, a
    /// wrong type, an unknown field, a condition value too deep or too large, bad JSON.
    Invalid {
        /// The index of the rule at fault, when the fault is inside a rule.
        rule: Option<usize>,
        /// Where: a serde path such as `rules[3].conditions[0].operator` (`.` for the document).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A rule (or the global list, `rule: None`) names an evaluator that is not registered.
    UnknownEvaluator {
        /// The rule naming it; `None` for a global evaluator.
        rule: Option<usize>,
        /// The evaluator's name.
        name: String,
    },
    /// A reached condition compares incompatible JSON types (spec A5.3: `contains` on a
    /// number, `gt` between a number and a string, anything ordered with a bool, …).
    TypeMismatch {
        /// The rule's index.
        rule: usize,
        /// The condition's index in the rule.
        condition: usize,
        /// The operator.
        operator: Operator,
        /// The JSON kind of the value read from the request.
        found: &'static str,
        /// The JSON kind of the condition's value.
        value: &'static str,
    },
    /// A reached evaluator failed: its error is the `source()`.
    Evaluator {
        /// The rule being evaluated.
        rule: usize,
        /// The evaluator's name.
        name: String,
        /// The evaluator's error (also the `source()`).
        source: Arc<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// The token's `scopes` claim is neither null nor an array of strings.
    InvalidTokenScopes,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyError::Invalid { field, message, .. } => {
                write!(f, "invalid policy at `{field}`: {message}")
            }
            PolicyError::UnknownEvaluator {
                rule: Some(rule),
                name,
            } => write!(f, "rule {rule} names the unknown evaluator `{name}`"),
            PolicyError::UnknownEvaluator { rule: None, name } => {
                write!(f, "unknown global evaluator `{name}`")
            }
            PolicyError::TypeMismatch {
                rule,
                condition,
                operator,
                found,
                value,
            } => write!(
                f,
                "rule {rule}, condition {condition}: `{}` cannot compare a {found} with a {value}",
                operator.as_str()
            ),
            PolicyError::Evaluator { rule, name, source } => {
                write!(f, "rule {rule}: evaluator `{name}` failed: {source}")
            }
            PolicyError::InvalidTokenScopes => {
                f.write_str("the token's `scopes` claim is not a list of strings")
            }
        }
    }
}

impl std::error::Error for PolicyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PolicyError::Evaluator { source, .. } => Some(&**source),
            _ => None,
        }
    }
}

/// Equal when the same variant carries the same data; evaluator errors compare by message.
impl PartialEq for PolicyError {
    fn eq(&self, other: &Self) -> bool {
        use PolicyError::*;
        match (self, other) {
            (
                Invalid {
                    rule,
                    field,
                    message,
                },
                Invalid {
                    rule: r2,
                    field: f2,
                    message: m2,
                },
            ) => rule == r2 && field == f2 && message == m2,
            (UnknownEvaluator { rule, name }, UnknownEvaluator { rule: r2, name: n2 }) => {
                rule == r2 && name == n2
            }
            (
                TypeMismatch {
                    rule,
                    condition,
                    operator,
                    found,
                    value,
                },
                TypeMismatch {
                    rule: r2,
                    condition: c2,
                    operator: o2,
                    found: f2,
                    value: v2,
                },
            ) => rule == r2 && condition == c2 && operator == o2 && found == f2 && value == v2,
            (
                Evaluator { rule, name, source },
                Evaluator {
                    rule: r2,
                    name: n2,
                    source: s2,
                },
            ) => rule == r2 && name == n2 && source.to_string() == s2.to_string(),
            (InvalidTokenScopes, InvalidTokenScopes) => true,
            _ => false,
        }
    }
}

impl Eq for PolicyError {}
