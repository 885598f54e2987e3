//! The compiled engine (spec A2): rules indexed by action and resource, conditions with their
//! keys pre-split, and the evaluation that walks only the candidate rules, in rule order.

use serde_json::Value;

use super::error::PolicyError;
use super::evaluators::Evaluators;
use super::model::{Effect, PolicyDocument, Rule};
use super::pattern::{
    Candidates, RuleIndex, index_rule, pattern_matches, scopes_pass, token_scopes,
};
use super::request::Request;
use super::value::apply;

/// Deepest condition value accepted (arrays/objects nested inside one another).
///
/// ```
/// use idpkit::authz::policy::{MAX_VALUE_DEPTH, PolicyEngine};
/// let deep = format!("{}1{}", "[".repeat(MAX_VALUE_DEPTH + 1), "]".repeat(MAX_VALUE_DEPTH + 1));
/// let doc = format!(r#"{{"rules": [{{"effect": "allow", "actions": ["*"], "resources": ["*"],
///     "conditions": [{{"source": "subject", "key": "x", "value": {deep}}}]}}]}}"#);
/// assert!(PolicyEngine::from_json(&doc).is_err());
/// ```
pub const MAX_VALUE_DEPTH: usize = 32;
/// Largest condition value accepted, in JSON nodes.
///
/// ```
/// use idpkit::authz::policy::{Condition, MAX_VALUE_NODES, Operator, PolicyEngine, Rule, Source};
/// let huge: Vec<u32> = (0..MAX_VALUE_NODES as u32).collect();
/// let rule = Rule::allow(["*"], ["*"]).condition(Condition::new(Source::Subject, "x", Operator::In, huge));
/// assert!(PolicyEngine::builder().rule(rule).build().is_err());
/// ```
pub const MAX_VALUE_NODES: usize = 10_000;

/// The answer to one request (spec A2, A8).
///
/// ```
/// use idpkit::authz::policy::{PolicyEngine, Request, Rule};
/// let engine = PolicyEngine::builder().rule(Rule::allow(["read"], ["*"]).reason("readers")).build()?;
/// let d = engine.evaluate(&Request::new("read", "docs"))?;
/// assert!(d.allowed);
/// assert_eq!((d.rule, d.reason), (Some(0), "readers"));
/// # Ok::<(), idpkit::authz::policy::PolicyError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision<'p> {
    /// Allowed or denied.
    pub allowed: bool,
    /// The index of the deciding rule; `None` when no rule matched (the default decided).
    pub rule: Option<usize>,
    /// The deciding rule's reason, else `Policy rule allow matched` / `Policy rule deny
    /// matched`; with no rule `No policy rule matched` (`…; default allow`).
    pub reason: &'p str,
}

/// A condition with its key split once.
#[derive(Debug)]
pub(crate) struct CompiledCondition {
    parts: Box<[Box<str>]>,
}

/// Why a rule did not match (the first failing check), for [`Explanation`](super::Explanation).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Check {
    /// No action pattern matches.
    Action,
    /// No resource pattern matches.
    Resource,
    /// The token's scopes do not meet the rule's requirement.
    Scopes,
    /// This condition (index in the rule) does not hold.
    Condition(usize),
    /// This evaluator returned false.
    Evaluator(String),
}

/// A validated, compiled rule set with its global evaluators and default: the policy engine.
///
/// Build it in code with [`PolicyEngine::builder`] or load it with [`PolicyEngine::from_json`];
/// either way an unknown effect, operator or source, or an oversized condition value, is an
/// error then, never at request time. [`evaluate`](Self::evaluate) answers a request without
/// allocating; rules that name evaluators need [`evaluate_with`](Self::evaluate_with) (or, in
/// the clients, `evaluate_policy` in [`blocking`](crate::blocking) / [`asynch`](crate::asynch)).
///
/// Global evaluators run for every rule that reaches the evaluator stage, deny rules included:
/// one that returns false switches every rule off, so with `default_allow` every request is
/// allowed (AuthX's behaviour, kept).
///
/// ```
/// use idpkit::authz::policy::{Condition, Operator, PolicyEngine, Request, Rule, Source};
/// use serde_json::json;
///
/// let engine = PolicyEngine::builder()
///     .rule(Rule::allow(["users:*"], ["users"]).scopes(["users:read"], true))
///     .rule(
///         Rule::deny(["*"], ["*"])
///             .condition(Condition::new(Source::Subject, "status", Operator::Equals, "suspended"))
///             .reason("account suspended"),
///     )
///     .build()?;
///
/// let token = json!({"sub": "alice", "scopes": ["users:*"], "status": "suspended"});
/// let request = Request::new("users:read", "users").token(token.as_object().unwrap());
/// let decision = engine.evaluate(&request)?;
/// assert!(!decision.allowed);
/// assert_eq!(decision.reason, "account suspended");
/// # Ok::<(), idpkit::authz::policy::PolicyError>(())
/// ```
#[derive(Debug)]
pub struct PolicyEngine {
    pub(crate) document: PolicyDocument,
    conditions: Vec<Box<[CompiledCondition]>>,
    index: RuleIndex,
}

/// Builds a [`PolicyEngine`]; validated by [`build`](Self::build).
///
/// ```
/// use idpkit::authz::policy::{PolicyEngine, Rule};
/// let engine = PolicyEngine::builder()
///     .rule(Rule::allow(["*"], ["*"]).evaluator("business_hours"))
///     .global_evaluator("active_account")
///     .default_allow(false)
///     .build()?;
/// assert_eq!(engine.rules().len(), 1);
/// # Ok::<(), idpkit::authz::policy::PolicyError>(())
/// ```
#[derive(Debug, Default)]
#[must_use]
pub struct PolicyBuilder {
    document: PolicyDocument,
}

impl PolicyBuilder {
    /// Appends a rule (rules are evaluated in the order added).
    ///
    /// ```
    /// use idpkit::authz::policy::{PolicyEngine, Rule};
    /// let engine = PolicyEngine::builder().rule(Rule::allow(["*"], ["*"])).build()?;
    /// assert_eq!(engine.rules().len(), 1);
    /// # Ok::<(), idpkit::authz::policy::PolicyError>(())
    /// ```
    pub fn rule(mut self, rule: Rule) -> Self {
        self.document.rules.push(rule);
        self
    }

    /// Appends rules.
    ///
    /// ```
    /// use idpkit::authz::policy::{PolicyEngine, Rule};
    /// let engine = PolicyEngine::builder()
    ///     .rules([Rule::allow(["read"], ["*"]), Rule::deny(["*"], ["secret"])])
    ///     .build()?;
    /// assert_eq!(engine.rules().len(), 2);
    /// # Ok::<(), idpkit::authz::policy::PolicyError>(())
    /// ```
    pub fn rules(mut self, rules: impl IntoIterator<Item = Rule>) -> Self {
        self.document.rules.extend(rules);
        self
    }

    /// Registers a global evaluator by name; global evaluators run, in this order, before each
    /// rule's own.
    ///
    /// ```
    /// let engine = idpkit::authz::policy::PolicyEngine::builder().global_evaluator("active").build()?;
    /// assert_eq!(engine.global_evaluators(), ["active"]);
    /// # Ok::<(), idpkit::authz::policy::PolicyError>(())
    /// ```
    pub fn global_evaluator(mut self, name: impl Into<String>) -> Self {
        self.document.evaluators.push(name.into());
        self
    }

    /// The decision when no rule matches (default: deny).
    ///
    /// ```
    /// use idpkit::authz::policy::{PolicyEngine, Request};
    /// let engine = PolicyEngine::builder().default_allow(true).build()?;
    /// assert!(engine.evaluate(&Request::new("read", "docs"))?.allowed);
    /// # Ok::<(), idpkit::authz::policy::PolicyError>(())
    /// ```
    pub fn default_allow(mut self, allow: bool) -> Self {
        self.document.default_allow = allow;
        self
    }

    /// Validates and compiles the rules.
    ///
    /// ```
    /// use idpkit::authz::policy::{PolicyEngine, Rule};
    /// assert!(PolicyEngine::builder().rule(Rule::deny(["*"], ["*"])).build().is_ok());
    /// ```
    ///
    /// # Errors
    ///
    /// [`PolicyError::Invalid`] naming the rule and field when a condition value is nested more
    /// than [`MAX_VALUE_DEPTH`] deep or has more than [`MAX_VALUE_NODES`] nodes, or when there
    /// are more than `u32::MAX` rules.
    pub fn build(self) -> Result<PolicyEngine, PolicyError> {
        PolicyEngine::from_document(self.document)
    }
}

fn value_size(v: &Value, depth: usize, nodes: &mut usize) -> Result<(), &'static str> {
    *nodes += 1;
    if *nodes > MAX_VALUE_NODES {
        return Err("the condition value is too large");
    }
    if depth > MAX_VALUE_DEPTH {
        return Err("the condition value is nested too deeply");
    }
    match v {
        Value::Array(items) => items
            .iter()
            .try_for_each(|x| value_size(x, depth + 1, nodes)),
        Value::Object(map) => map
            .values()
            .try_for_each(|x| value_size(x, depth + 1, nodes)),
        _ => Ok(()),
    }
}

const NO_MATCH: &str = "No policy rule matched";
const NO_MATCH_ALLOW: &str = "No policy rule matched; default allow";

/// What the evaluation needs next.
pub(crate) enum Step<'p> {
    /// Run this evaluator for this rule, then call [`Evaluation::answer`].
    Evaluator { rule: usize, name: &'p str },
    /// Done.
    Decided(Decision<'p>),
}

/// One evaluation in progress: the pure engine walks the candidate rules and stops whenever
/// an evaluator must run, so the blocking and async drivers only run evaluators.
pub(crate) struct Evaluation<'p, 'r> {
    engine: &'p PolicyEngine,
    request: &'r Request<'r>,
    candidates: Candidates<'p>,
    /// Overflowed candidates: scan every rule from here.
    linear_next: usize,
    allow: Option<usize>,
    /// A rule at the evaluator stage, and the next evaluator to run.
    pending: Option<(usize, usize)>,
    scopes: Option<&'r [Value]>,
}

impl<'p, 'r> Evaluation<'p, 'r> {
    pub(crate) fn new(
        engine: &'p PolicyEngine,
        request: &'r Request<'r>,
    ) -> Result<Self, PolicyError> {
        let candidates = Candidates::new(&engine.index, request.action, request.resource);
        Ok(Evaluation {
            engine,
            request,
            candidates,
            linear_next: 0,
            allow: None,
            pending: None,
            scopes: token_scopes(request.token_claims())?,
        })
    }

    fn next_candidate(&mut self) -> Option<usize> {
        if !self.candidates.overflow {
            return self.candidates.next().map(|i| i as usize);
        }
        let rules = &self.engine.document.rules;
        while self.linear_next < rules.len() {
            let i = self.linear_next;
            self.linear_next += 1;
            let rule = &rules[i];
            if rule
                .actions
                .iter()
                .any(|p| pattern_matches(p, self.request.action))
                && rule
                    .resources
                    .iter()
                    .any(|p| pattern_matches(p, self.request.resource))
            {
                return Some(i);
            }
        }
        None
    }

    /// Runs until an evaluator is needed or the decision is known.
    pub(crate) fn step(&mut self) -> Result<Step<'p>, PolicyError> {
        let engine = self.engine;
        let globals = &engine.document.evaluators;
        loop {
            if let Some((i, k)) = self.pending {
                let rule = &engine.document.rules[i];
                if let Some(name) = globals
                    .get(k)
                    .or_else(|| rule.evaluators.get(k - globals.len()))
                {
                    return Ok(Step::Evaluator { rule: i, name });
                }
                self.pending = None;
                match rule.effect {
                    Effect::Deny => return Ok(Step::Decided(engine.decided(i))),
                    Effect::Allow => self.allow = Some(i),
                }
                continue;
            }
            let Some(i) = self.next_candidate() else {
                return Ok(Step::Decided(match self.allow {
                    Some(i) => engine.decided(i),
                    None => engine.default_decision(),
                }));
            };
            if engine
                .static_failure(i, self.request, self.scopes, false)?
                .is_none()
            {
                self.pending = Some((i, 0));
            }
        }
    }

    /// The evaluator asked for by the last [`step`](Self::step) returned `passed`.
    pub(crate) fn answer(&mut self, passed: bool) {
        if let Some((i, k)) = self.pending {
            self.pending = passed.then_some((i, k + 1));
        }
    }
}

impl PolicyEngine {
    /// A builder.
    ///
    /// ```
    /// let engine = idpkit::authz::policy::PolicyEngine::builder().build()?;
    /// assert!(engine.rules().is_empty());
    /// # Ok::<(), idpkit::authz::policy::PolicyError>(())
    /// ```
    pub fn builder() -> PolicyBuilder {
        PolicyBuilder::default()
    }

    /// Validates and compiles a policy document.
    ///
    /// ```
    /// use idpkit::authz::policy::{PolicyDocument, PolicyEngine};
    /// let engine = PolicyEngine::from_document(PolicyDocument::default())?;
    /// assert!(!engine.default_allow());
    /// # Ok::<(), idpkit::authz::policy::PolicyError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`PolicyBuilder::build`].
    pub fn from_document(document: PolicyDocument) -> Result<Self, PolicyError> {
        if u32::try_from(document.rules.len()).is_err() {
            return Err(PolicyError::Invalid {
                rule: None,
                field: "rules".into(),
                message: "too many rules".into(),
            });
        }
        let mut index = RuleIndex::default();
        let mut conditions = Vec::with_capacity(document.rules.len());
        for (i, rule) in document.rules.iter().enumerate() {
            let mut compiled = Vec::with_capacity(rule.conditions.len());
            for (j, c) in rule.conditions.iter().enumerate() {
                value_size(&c.value, 0, &mut 0).map_err(|message| PolicyError::Invalid {
                    rule: Some(i),
                    field: format!("rules[{i}].conditions[{j}].value"),
                    message: message.into(),
                })?;
                compiled.push(CompiledCondition {
                    parts: c.key.split('.').map(Box::from).collect(),
                });
            }
            conditions.push(compiled.into_boxed_slice());
            index_rule(&mut index, i as u32, &rule.actions, &rule.resources);
        }
        Ok(PolicyEngine {
            document,
            conditions,
            index,
        })
    }

    /// The rules, in order.
    ///
    /// ```
    /// use idpkit::authz::policy::{PolicyEngine, Rule};
    /// let engine = PolicyEngine::builder().rule(Rule::deny(["*"], ["*"])).build()?;
    /// assert_eq!(engine.rules()[0], Rule::deny(["*"], ["*"]));
    /// # Ok::<(), idpkit::authz::policy::PolicyError>(())
    /// ```
    pub fn rules(&self) -> &[Rule] {
        &self.document.rules
    }

    /// The global evaluators' names, in order.
    ///
    /// ```
    /// let engine = idpkit::authz::policy::PolicyEngine::builder().global_evaluator("g").build()?;
    /// assert_eq!(engine.global_evaluators(), ["g"]);
    /// # Ok::<(), idpkit::authz::policy::PolicyError>(())
    /// ```
    pub fn global_evaluators(&self) -> &[String] {
        &self.document.evaluators
    }

    /// Whether a request no rule matches is allowed.
    ///
    /// ```
    /// let engine = idpkit::authz::policy::PolicyEngine::builder().default_allow(true).build()?;
    /// assert!(engine.default_allow());
    /// # Ok::<(), idpkit::authz::policy::PolicyError>(())
    /// ```
    pub fn default_allow(&self) -> bool {
        self.document.default_allow
    }

    /// The policy as data (what [`from_document`](Self::from_document) was given).
    ///
    /// ```
    /// use idpkit::authz::policy::{PolicyEngine, Rule};
    /// let engine = PolicyEngine::builder().rule(Rule::allow(["*"], ["*"])).build()?;
    /// let again = PolicyEngine::from_document(engine.document().clone())?;
    /// assert_eq!(again.document(), engine.document());
    /// # Ok::<(), idpkit::authz::policy::PolicyError>(())
    /// ```
    pub fn document(&self) -> &PolicyDocument {
        &self.document
    }

    /// Every evaluator name the policy uses (global, then per rule), with the rule naming it.
    pub(crate) fn evaluator_names(&self) -> impl Iterator<Item = (Option<usize>, &str)> {
        let globals = self.document.evaluators.iter().map(|n| (None, n.as_str()));
        let own = self
            .document
            .rules
            .iter()
            .enumerate()
            .flat_map(|(i, r)| r.evaluators.iter().map(move |n| (Some(i), n.as_str())));
        globals.chain(own)
    }

    pub(crate) fn decided(&self, i: usize) -> Decision<'_> {
        let rule = &self.document.rules[i];
        let reason = match (&rule.reason, rule.effect) {
            (Some(r), _) => r.as_str(),
            (None, Effect::Allow) => "Policy rule allow matched",
            (None, Effect::Deny) => "Policy rule deny matched",
        };
        Decision {
            allowed: rule.effect == Effect::Allow,
            rule: Some(i),
            reason,
        }
    }

    pub(crate) fn default_decision(&self) -> Decision<'_> {
        let allowed = self.document.default_allow;
        Decision {
            allowed,
            rule: None,
            reason: if allowed { NO_MATCH_ALLOW } else { NO_MATCH },
        }
    }

    /// The first failing check of rule `i` before the evaluator stage (`None`: it reaches the
    /// evaluators). Patterns are tested only when `patterns` (the index has done it otherwise).
    pub(crate) fn static_failure(
        &self,
        i: usize,
        request: &Request<'_>,
        scopes: Option<&[Value]>,
        patterns: bool,
    ) -> Result<Option<Check>, PolicyError> {
        let rule = &self.document.rules[i];
        if patterns {
            if !rule
                .actions
                .iter()
                .any(|p| pattern_matches(p, request.action))
            {
                return Ok(Some(Check::Action));
            }
            if !rule
                .resources
                .iter()
                .any(|p| pattern_matches(p, request.resource))
            {
                return Ok(Some(Check::Resource));
            }
        }
        if let Some(required) = &rule.scopes
            && !scopes_pass(required, rule.all_scopes_required, scopes)
        {
            return Ok(Some(Check::Scopes));
        }
        for (j, (c, compiled)) in rule.conditions.iter().zip(&*self.conditions[i]).enumerate() {
            let read = request.read(c.source, &compiled.parts);
            let list = match &c.value {
                Value::Array(items) => items.as_slice(),
                v => std::slice::from_ref(v),
            };
            let holds = apply(c.operator, read, &c.value, list).map_err(|e| match e {
                PolicyError::TypeMismatch {
                    operator,
                    found,
                    value,
                    ..
                } => PolicyError::TypeMismatch {
                    rule: i,
                    condition: j,
                    operator,
                    found,
                    value,
                },
                other => other,
            })?;
            if !holds {
                return Ok(Some(Check::Condition(j)));
            }
        }
        Ok(None)
    }

    /// Decides `request` without evaluators: allocation-free.
    ///
    /// ```
    /// use idpkit::authz::policy::{PolicyEngine, Request, Rule};
    /// let engine = PolicyEngine::builder()
    ///     .rule(Rule::allow(["*"], ["*"]))
    ///     .rule(Rule::deny(["users:delete"], ["*"]))
    ///     .build()?;
    /// assert!(engine.evaluate(&Request::new("users:read", "users"))?.allowed);
    /// let d = engine.evaluate(&Request::new("users:delete", "users"))?;
    /// assert_eq!((d.allowed, d.rule), (false, Some(1)));
    /// # Ok::<(), idpkit::authz::policy::PolicyError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`PolicyError::TypeMismatch`] when a reached condition compares incompatible types,
    /// [`PolicyError::InvalidTokenScopes`] for a malformed `scopes` claim, and
    /// [`PolicyError::UnknownEvaluator`] when a reached rule needs an evaluator (use
    /// [`evaluate_with`](Self::evaluate_with)).
    pub fn evaluate<'p>(&'p self, request: &Request<'_>) -> Result<Decision<'p>, PolicyError> {
        self.evaluate_with(request, &Evaluators::EMPTY)
    }

    /// Decides `request`, running the named evaluators from `evaluators`.
    ///
    /// ```
    /// use idpkit::authz::policy::{Evaluators, PolicyEngine, Request, Rule};
    /// let engine = PolicyEngine::builder()
    ///     .rule(Rule::allow(["*"], ["*"]).evaluator("weekday"))
    ///     .build()?;
    /// let evaluators = Evaluators::new().register("weekday", |_req, _rule| Ok(true));
    /// assert!(engine.evaluate_with(&Request::new("read", "docs"), &evaluators)?.allowed);
    /// # Ok::<(), idpkit::authz::policy::PolicyError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`evaluate`](Self::evaluate), plus [`PolicyError::Evaluator`] when a reached
    /// evaluator fails.
    pub fn evaluate_with<'p>(
        &'p self,
        request: &Request<'_>,
        evaluators: &Evaluators,
    ) -> Result<Decision<'p>, PolicyError> {
        let mut evaluation = Evaluation::new(self, request)?;
        loop {
            match evaluation.step()? {
                Step::Decided(decision) => return Ok(decision),
                Step::Evaluator { rule, name } => {
                    let passed = evaluators.run(name, rule, request, &self.document.rules[rule])?;
                    evaluation.answer(passed);
                }
            }
        }
    }

    /// Decides by testing every rule in order, without the index: the naive baseline the
    /// benchmarks and differential tests compare the indexed path with.
    #[doc(hidden)]
    pub fn evaluate_unindexed<'p>(
        &'p self,
        request: &Request<'_>,
        evaluators: &Evaluators,
    ) -> Result<Decision<'p>, PolicyError> {
        let scopes = token_scopes(request.token_claims())?;
        let mut allow = None;
        for (i, rule) in self.document.rules.iter().enumerate() {
            if self.static_failure(i, request, scopes, true)?.is_some()
                || self.evaluator_failure(i, request, evaluators)?.is_some()
            {
                continue;
            }
            match rule.effect {
                Effect::Deny => return Ok(self.decided(i)),
                Effect::Allow => allow = Some(i),
            }
        }
        Ok(allow.map_or_else(|| self.default_decision(), |i| self.decided(i)))
    }

    /// The first evaluator of rule `i` (global ones first) that returns false.
    pub(crate) fn evaluator_failure<'p>(
        &'p self,
        i: usize,
        request: &Request<'_>,
        evaluators: &Evaluators,
    ) -> Result<Option<&'p str>, PolicyError> {
        let rule = &self.document.rules[i];
        for name in self.document.evaluators.iter().chain(&rule.evaluators) {
            if !evaluators.run(name, i, request, rule)? {
                return Ok(Some(name));
            }
        }
        Ok(None)
    }
}
