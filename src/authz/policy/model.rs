//! The data model (spec A1): rules, conditions, effects, sources and operators, as plain serde
//! values. A [`PolicyDocument`] is what a JSON policy file holds; [`Policy`](super::Policy) is
//! its validated, compiled form.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a matching rule decides.
///
/// ```
/// use idpkit::authz::policy::Effect;
/// assert_eq!(serde_json::from_str::<Effect>(r#""deny""#).unwrap(), Effect::Deny);
/// assert!(serde_json::from_str::<Effect>(r#""Deny""#).is_err()); // no soft deny (spec A6)
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// Allow, unless a matching deny is found (the last matching allow decides).
    Allow,
    /// Deny at once: the first matching deny decides.
    Deny,
}

impl Effect {
    /// `"allow"` or `"deny"`.
    ///
    /// ```
    /// assert_eq!(idpkit::authz::policy::Effect::Allow.as_str(), "allow");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "allow",
            Effect::Deny => "deny",
        }
    }
}

/// Where a condition reads its value (spec A5.1).
///
/// ```
/// use idpkit::authz::policy::Source;
/// assert_eq!(serde_json::from_str::<Source>(r#""environment""#).unwrap(), Source::Environment);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The subject: given by the caller, or derived from the token.
    Subject,
    /// The resource's attributes.
    Resource,
    /// The environment (time, method, path, client IP, caller's entries).
    Environment,
    /// The token's claims, with AuthX's defaults for absent registered claims.
    Token,
}

/// A condition's operator (spec A5.3). Defaults to [`Equals`](Self::Equals).
///
/// ```
/// use idpkit::authz::policy::Operator;
/// assert_eq!(serde_json::from_str::<Operator>(r#""not_in""#).unwrap(), Operator::NotIn);
/// assert_eq!(Operator::default(), Operator::Equals);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    /// The value read equals the condition's value (missing equals null).
    #[default]
    Equals,
    /// Not [`Equals`](Self::Equals).
    NotEquals,
    /// The value read is the condition's value, or an item of it when it is an array.
    In,
    /// Not [`In`](Self::In).
    NotIn,
    /// Substring of a string, item of an array, or key of an object.
    Contains,
    /// Greater than (numbers with numbers, strings with strings).
    Gt,
    /// Greater than or equal.
    Gte,
    /// Less than.
    Lt,
    /// Less than or equal.
    Lte,
    /// The value read is present and not null (the condition's value is ignored).
    Exists,
}

impl Operator {
    /// The operator's name as written in policies, e.g. `"not_equals"`.
    ///
    /// ```
    /// assert_eq!(idpkit::authz::policy::Operator::Gte.as_str(), "gte");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::Equals => "equals",
            Operator::NotEquals => "not_equals",
            Operator::In => "in",
            Operator::NotIn => "not_in",
            Operator::Contains => "contains",
            Operator::Gt => "gt",
            Operator::Gte => "gte",
            Operator::Lt => "lt",
            Operator::Lte => "lte",
            Operator::Exists => "exists",
        }
    }
}

/// One condition: `source.key operator value`; every condition of a rule must hold.
///
/// ```
/// use idpkit::authz::policy::{Condition, Operator, Source};
/// let c = Condition::new(Source::Subject, "account.status", Operator::NotEquals, "suspended");
/// assert_eq!(
///     serde_json::to_value(&c).unwrap(),
///     serde_json::json!({"source": "subject", "key": "account.status", "operator": "not_equals", "value": "suspended"})
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// Where the value is read.
    pub source: Source,
    /// A dotted path into the source (`meta.tier`); only JSON objects are walked.
    pub key: String,
    /// The operator; `equals` when absent.
    #[serde(default)]
    pub operator: Operator,
    /// The value compared with; null when absent.
    #[serde(default)]
    pub value: Value,
}

impl Condition {
    /// A condition.
    ///
    /// ```
    /// use idpkit::authz::policy::{Condition, Operator, Source};
    /// let c = Condition::new(Source::Environment, "hour", Operator::Lt, 18);
    /// assert_eq!(c.value, 18);
    /// ```
    pub fn new(
        source: Source,
        key: impl Into<String>,
        operator: Operator,
        value: impl Into<Value>,
    ) -> Self {
        Condition {
            source,
            key: key.into(),
            operator,
            value: value.into(),
        }
    }
}

/// One rule (spec A1). Build it with [`Rule::allow`] / [`Rule::deny`] and the setters, or load
/// it from JSON.
///
/// ```
/// use idpkit::authz::policy::{Condition, Operator, Rule, Source};
/// let rule = Rule::deny(["users:delete"], ["users"])
///     .condition(Condition::new(Source::Environment, "hour", Operator::Gte, 18))
///     .reason("no deletions after hours");
/// assert_eq!(rule.conditions.len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Allow or deny.
    pub effect: Effect,
    /// Action patterns: exact names, `*`, or `ns:*` (`ns` itself and everything under `ns:`).
    pub actions: Vec<String>,
    /// Resource patterns, as for actions.
    pub resources: Vec<String>,
    /// Token scopes the rule needs; `None` = no requirement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    /// `true` (default): every listed scope is needed; `false`: any one.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub all_scopes_required: bool,
    /// Conditions, all of which must hold, tested in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// Names of registered evaluators, all of which must return true, run in order after the
    /// global ones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evaluators: Vec<String>,
    /// Reported when this rule decides.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

impl Rule {
    /// A rule with `effect` over these action and resource patterns.
    ///
    /// ```
    /// use idpkit::authz::policy::{Effect, Rule};
    /// assert_eq!(Rule::new(Effect::Allow, ["*"], ["docs:*"]).resources, ["docs:*"]);
    /// ```
    pub fn new<A, R>(
        effect: Effect,
        actions: impl IntoIterator<Item = A>,
        resources: impl IntoIterator<Item = R>,
    ) -> Self
    where
        A: Into<String>,
        R: Into<String>,
    {
        Rule {
            effect,
            actions: actions.into_iter().map(Into::into).collect(),
            resources: resources.into_iter().map(Into::into).collect(),
            scopes: None,
            all_scopes_required: true,
            conditions: Vec::new(),
            evaluators: Vec::new(),
            reason: None,
        }
    }

    /// An allow rule.
    ///
    /// ```
    /// use idpkit::authz::policy::{Effect, Rule};
    /// assert_eq!(Rule::allow(["read"], ["*"]).effect, Effect::Allow);
    /// ```
    pub fn allow<A: Into<String>, R: Into<String>>(
        actions: impl IntoIterator<Item = A>,
        resources: impl IntoIterator<Item = R>,
    ) -> Self {
        Rule::new(Effect::Allow, actions, resources)
    }

    /// A deny rule.
    ///
    /// ```
    /// use idpkit::authz::policy::{Effect, Rule};
    /// assert_eq!(Rule::deny(["*"], ["*"]).effect, Effect::Deny);
    /// ```
    pub fn deny<A: Into<String>, R: Into<String>>(
        actions: impl IntoIterator<Item = A>,
        resources: impl IntoIterator<Item = R>,
    ) -> Self {
        Rule::new(Effect::Deny, actions, resources)
    }

    /// Requires token scopes: all of them (`all = true`) or any one.
    ///
    /// ```
    /// use idpkit::authz::policy::Rule;
    /// let rule = Rule::allow(["*"], ["*"]).scopes(["users:read", "admin"], false);
    /// assert!(!rule.all_scopes_required);
    /// ```
    #[must_use]
    pub fn scopes<S: Into<String>>(
        mut self,
        scopes: impl IntoIterator<Item = S>,
        all: bool,
    ) -> Self {
        self.scopes = Some(scopes.into_iter().map(Into::into).collect());
        self.all_scopes_required = all;
        self
    }

    /// Adds a condition.
    ///
    /// ```
    /// use idpkit::authz::policy::{Condition, Operator, Rule, Source};
    /// let rule = Rule::allow(["*"], ["*"])
    ///     .condition(Condition::new(Source::Subject, "role", Operator::Exists, ()));
    /// assert_eq!(rule.conditions[0].operator, Operator::Exists);
    /// ```
    #[must_use]
    pub fn condition(mut self, condition: Condition) -> Self {
        self.conditions.push(condition);
        self
    }

    /// Adds a registered evaluator by name.
    ///
    /// ```
    /// use idpkit::authz::policy::Rule;
    /// assert_eq!(Rule::allow(["*"], ["*"]).evaluator("owner").evaluators, ["owner"]);
    /// ```
    #[must_use]
    pub fn evaluator(mut self, name: impl Into<String>) -> Self {
        self.evaluators.push(name.into());
        self
    }

    /// Sets the reason reported when this rule decides.
    ///
    /// ```
    /// use idpkit::authz::policy::Rule;
    /// assert_eq!(Rule::deny(["*"], ["*"]).reason("closed").reason.as_deref(), Some("closed"));
    /// ```
    #[must_use]
    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }
}

/// A policy as data: what a JSON policy file holds.
///
/// ```
/// use idpkit::authz::policy::PolicyDocument;
/// let doc: PolicyDocument = serde_json::from_str(
///     r#"{"rules": [{"effect": "allow", "actions": ["users:*"], "resources": ["users"]}],
///         "evaluators": ["active_account"], "default_allow": false}"#,
/// ).unwrap();
/// assert_eq!(doc.rules.len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyDocument {
    /// The rules, in evaluation order.
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// Global evaluators, by name, run for every rule that reaches the evaluator stage.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evaluators: Vec<String>,
    /// The decision when no rule matches: allow when true (default false).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub default_allow: bool,
}
