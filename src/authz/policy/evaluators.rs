//! Custom evaluators registered by name (spec A6), and the per-rule explanation.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use super::engine::{Check, Decision, PolicyEngine};
use super::error::{EvaluatorError, PolicyError};
use super::model::{Effect, Rule};
use super::pattern::token_scopes;
use super::request::Request;

type EvaluatorFn = dyn Fn(&Request<'_>, &Rule) -> Result<bool, EvaluatorError> + Send + Sync;

/// Evaluators by name: closures over the request and the rule. `Ok(false)` makes the rule not
/// match; `Err` aborts the evaluation with [`PolicyError::Evaluator`] (never an allow).
///
/// ```
/// use idpkit::authz::policy::{Evaluators, PolicyEngine, PolicyError, Request, Rule};
/// let evaluators = Evaluators::new()
///     .register("owner", |req, _rule| Ok(req.login_type == "admin"))
///     .register("db", |_req, _rule| Err("database unreachable".into()));
/// let engine = PolicyEngine::builder()
///     .rule(Rule::allow(["*"], ["*"]).evaluator("owner"))
///     .rule(Rule::allow(["write"], ["*"]).evaluator("db"))
///     .build()?;
/// engine.check_evaluators(&evaluators)?;
/// let admin = Request::new("read", "docs").login_type("admin");
/// assert!(engine.evaluate_with(&admin, &evaluators)?.allowed);
/// let err = engine.evaluate_with(&Request::new("write", "docs"), &evaluators).unwrap_err();
/// assert!(matches!(err, PolicyError::Evaluator { rule: 1, .. }));
/// # Ok::<(), PolicyError>(())
/// ```
#[derive(Clone, Default)]
pub struct Evaluators {
    by_name: Option<HashMap<String, Arc<EvaluatorFn>>>,
}

impl fmt::Debug for Evaluators {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&str> = self.names().collect();
        names.sort_unstable();
        f.debug_struct("Evaluators").field("names", &names).finish()
    }
}

impl Evaluators {
    /// No evaluators.
    pub(crate) const EMPTY: Evaluators = Evaluators { by_name: None };

    /// An empty registry.
    ///
    /// ```
    /// assert_eq!(idpkit::authz::policy::Evaluators::new().names().count(), 0);
    /// ```
    pub fn new() -> Self {
        Evaluators::default()
    }

    /// Registers (or replaces) the evaluator `name`.
    ///
    /// ```
    /// use idpkit::authz::policy::Evaluators;
    /// let e = Evaluators::new().register("always", |_, _| Ok(true));
    /// assert!(e.contains("always"));
    /// ```
    #[must_use]
    pub fn register<F>(mut self, name: impl Into<String>, evaluator: F) -> Self
    where
        F: Fn(&Request<'_>, &Rule) -> Result<bool, EvaluatorError> + Send + Sync + 'static,
    {
        self.by_name
            .get_or_insert_with(HashMap::new)
            .insert(name.into(), Arc::new(evaluator));
        self
    }

    /// Whether `name` is registered.
    ///
    /// ```
    /// assert!(!idpkit::authz::policy::Evaluators::new().contains("x"));
    /// ```
    pub fn contains(&self, name: &str) -> bool {
        self.by_name.as_ref().is_some_and(|m| m.contains_key(name))
    }

    /// The registered names, in no particular order.
    ///
    /// ```
    /// let e = idpkit::authz::policy::Evaluators::new().register("a", |_, _| Ok(true));
    /// assert_eq!(e.names().collect::<Vec<_>>(), ["a"]);
    /// ```
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name
            .iter()
            .flat_map(|m| m.keys().map(String::as_str))
    }

    /// Runs evaluator `name`; `None` when it is not registered.
    #[cfg(any(feature = "blocking", feature = "async"))]
    pub(crate) fn call(
        &self,
        name: &str,
        request: &Request<'_>,
        rule: &Rule,
    ) -> Option<Result<bool, EvaluatorError>> {
        let evaluator = self.by_name.as_ref()?.get(name)?;
        Some(evaluator(request, rule))
    }

    /// Runs evaluator `name` for rule `index`.
    ///
    /// # Errors
    ///
    /// [`PolicyError::UnknownEvaluator`] when `name` is not registered;
    /// [`PolicyError::Evaluator`] when it fails.
    pub(crate) fn run(
        &self,
        name: &str,
        index: usize,
        request: &Request<'_>,
        rule: &Rule,
    ) -> Result<bool, PolicyError> {
        let evaluator = self
            .by_name
            .as_ref()
            .and_then(|m| m.get(name))
            .ok_or_else(|| PolicyError::UnknownEvaluator {
                rule: Some(index),
                name: name.to_owned(),
            })?;
        evaluator(request, rule).map_err(|source| PolicyError::Evaluator {
            rule: index,
            name: name.to_owned(),
            source: Arc::from(source),
        })
    }
}

/// What happened to one rule in an [`Explanation`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RuleOutcome {
    /// The rule matched (it decided, or a later rule did).
    Matched,
    /// The rule did not match: its first failing check.
    Failed(Check),
    /// The evaluation stopped before this rule (a deny decided, or an error).
    NotReached,
}

/// A decision with the fate of every rule: [`PolicyEngine::explain`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation<'p> {
    /// The decision, or the error that left no decision.
    pub decision: Result<Decision<'p>, PolicyError>,
    /// One outcome per rule, in rule order.
    pub rules: Vec<RuleOutcome>,
}

impl PolicyEngine {
    /// Checks that every evaluator the policy names is registered; call it at start-up.
    ///
    /// ```
    /// use idpkit::authz::policy::{Evaluators, PolicyEngine, PolicyError, Rule};
    /// let engine = PolicyEngine::builder().rule(Rule::allow(["*"], ["*"]).evaluator("x")).build()?;
    /// let err = engine.check_evaluators(&Evaluators::new()).unwrap_err();
    /// assert_eq!(err, PolicyError::UnknownEvaluator { rule: Some(0), name: "x".into() });
    /// # Ok::<(), PolicyError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`PolicyError::UnknownEvaluator`] for the first name missing.
    pub fn check_evaluators(&self, evaluators: &Evaluators) -> Result<(), PolicyError> {
        match self
            .evaluator_names()
            .find(|(_, name)| !evaluators.contains(name))
        {
            Some((rule, name)) => Err(PolicyError::UnknownEvaluator {
                rule,
                name: name.to_owned(),
            }),
            None => Ok(()),
        }
    }

    /// Decides `request` like [`evaluate_with`](Self::evaluate_with) and reports, for every
    /// rule, whether it matched, its first failing check, or that it was not reached.
    ///
    /// ```
    /// use idpkit::authz::policy::{Check, Evaluators, PolicyEngine, Request, Rule, RuleOutcome};
    /// let engine = PolicyEngine::builder()
    ///     .rule(Rule::allow(["write"], ["*"]))
    ///     .rule(Rule::allow(["*"], ["docs"]).scopes(["docs:read"], true))
    ///     .rule(Rule::deny(["*"], ["*"]))
    ///     .rule(Rule::allow(["*"], ["*"]))
    ///     .build()?;
    /// let e = engine.explain(&Request::new("read", "docs"), &Evaluators::new());
    /// assert_eq!(e.decision?.rule, Some(2));
    /// assert_eq!(
    ///     e.rules,
    ///     [
    ///         RuleOutcome::Failed(Check::Action),
    ///         RuleOutcome::Failed(Check::Scopes),
    ///         RuleOutcome::Matched,
    ///         RuleOutcome::NotReached,
    ///     ]
    /// );
    /// # Ok::<(), idpkit::authz::policy::PolicyError>(())
    /// ```
    pub fn explain<'p>(
        &'p self,
        request: &Request<'_>,
        evaluators: &Evaluators,
    ) -> Explanation<'p> {
        let n = self.rules().len();
        let mut rules = vec![RuleOutcome::NotReached; n];
        let decision = (|| {
            let scopes = token_scopes(request.token_claims())?;
            let mut allow = None;
            for (i, rule) in self.rules().iter().enumerate() {
                if let Some(check) = self.static_failure(i, request, scopes, true)? {
                    rules[i] = RuleOutcome::Failed(check);
                    continue;
                }
                if let Some(name) = self.evaluator_failure(i, request, evaluators)? {
                    rules[i] = RuleOutcome::Failed(Check::Evaluator(name.to_owned()));
                    continue;
                }
                rules[i] = RuleOutcome::Matched;
                match rule.effect {
                    Effect::Deny => return Ok(Some(i)),
                    Effect::Allow => allow = Some(i),
                }
            }
            Ok(allow)
        })();
        let decision = decision.map(|d| match d {
            Some(i) => self.decided(i),
            None => self.default_decision(),
        });
        Explanation { decision, rules }
    }
}
