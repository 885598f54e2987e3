//! Local policy evaluation with evaluators of this mode. One source, compiled twice (see
//! `transport.rs`): in `idpkit::asynch` an evaluator may await (a database, a PDP), in
//! `idpkit::blocking` it returns directly. The pure engine
//! ([`crate::authz::policy::PolicyEngine`]) finds and tests the rules; this file only runs the
//! evaluators it asks for.

use std::sync::Arc;

use super::maybe_async;
use crate::authz::policy::{
    Decision, EvaluatorError, Evaluators, PolicyEngine, PolicyError, Request, Rule,
};
use crate::authz::policy::{Evaluation, Step};
use crate::error::Result;

/// Evaluators by name for [`evaluate_policy`]; async in [`asynch`](crate::asynch), plain in
/// [`blocking`](crate::blocking). [`Evaluators`] (sync closures) is one already.
///
/// ```
/// # #[cfg(feature = "async")] {
/// use idpkit::asynch::{PolicyEvaluators, evaluate_policy};
/// use idpkit::authz::policy::{EvaluatorError, PolicyEngine, Request, Rule};
///
/// /// Asks a (pretend) database whether the account is active.
/// struct Accounts;
///
/// impl PolicyEvaluators for Accounts {
///     async fn evaluate(
///         &self,
///         name: &str,
///         request: &Request<'_>,
///         _rule: &Rule,
///     ) -> Option<Result<bool, EvaluatorError>> {
///         match name {
///             "active" => Some(Ok(request.login_type == "user")),
///             _ => None,
///         }
///     }
/// }
///
/// # async fn run() -> idpkit::Result<()> {
/// let engine = PolicyEngine::builder().rule(Rule::allow(["*"], ["*"]).evaluator("active")).build()?;
/// let decision = evaluate_policy(&engine, &Request::new("read", "docs").login_type("user"), &Accounts).await?;
/// assert!(decision.allowed);
/// # Ok(()) }
/// # }
/// ```
#[maybe_async(AFIT)]
pub trait PolicyEvaluators: Send + Sync {
    /// Runs the evaluator `name` for `rule`: `Some(Ok(true))` passes, `Some(Ok(false))` makes
    /// the rule not match, `Some(Err(_))` aborts the evaluation, `None` means no evaluator has
    /// that name (also an error).
    fn evaluate(
        &self,
        name: &str,
        request: &Request<'_>,
        rule: &Rule,
    ) -> impl Future<Output = Option<std::result::Result<bool, EvaluatorError>>> + Send;
}

#[maybe_async(AFIT)]
impl PolicyEvaluators for Evaluators {
    async fn evaluate(
        &self,
        name: &str,
        request: &Request<'_>,
        rule: &Rule,
    ) -> Option<std::result::Result<bool, EvaluatorError>> {
        self.call(name, request, rule)
    }
}

/// Decides `request` with `engine`, running the evaluators the reached rules name (global ones
/// first) from `evaluators`; a rule's later stages and later rules are skipped exactly as the
/// pure engine says (spec A2).
///
/// ```
/// # #[cfg(feature = "blocking")] {
/// use idpkit::authz::policy::{Evaluators, PolicyEngine, Request, Rule};
/// let engine = PolicyEngine::builder()
///     .rule(Rule::allow(["*"], ["*"]))
///     .rule(Rule::deny(["*"], ["*"]).evaluator("banned"))
///     .build()?;
/// let evaluators = Evaluators::new().register("banned", |req, _| Ok(req.login_type == "guest"));
/// let guest = Request::new("read", "docs").login_type("guest");
/// let d = idpkit::blocking::evaluate_policy(&engine, &guest, &evaluators)?;
/// assert_eq!((d.allowed, d.rule), (false, Some(1)));
/// # }
/// # Ok::<(), idpkit::Error>(())
/// ```
///
/// # Errors
///
/// [`ErrorKind::Policy`](crate::ErrorKind::Policy) with [`PolicyError::Evaluator`] when a
/// reached evaluator fails, [`PolicyError::UnknownEvaluator`] when it is unknown, and the
/// engine's own errors ([`PolicyEngine::evaluate`]).
#[maybe_async]
pub async fn evaluate_policy<'p, E>(
    engine: &'p PolicyEngine,
    request: &Request<'_>,
    evaluators: &E,
) -> Result<Decision<'p>>
where
    E: PolicyEvaluators + ?Sized,
{
    let mut evaluation = Evaluation::new(engine, request)?;
    loop {
        match evaluation.step()? {
            Step::Decided(decision) => return Ok(decision),
            Step::Evaluator { rule, name } => {
                let answer = evaluators
                    .evaluate(name, request, &engine.rules()[rule])
                    .await;
                let passed = match answer {
                    Some(Ok(passed)) => passed,
                    Some(Err(source)) => {
                        return Err(PolicyError::Evaluator {
                            rule,
                            name: name.to_owned(),
                            source: Arc::from(source),
                        }
                        .into());
                    }
                    None => {
                        return Err(PolicyError::UnknownEvaluator {
                            rule: Some(rule),
                            name: name.to_owned(),
                        }
                        .into());
                    }
                };
                evaluation.answer(passed);
            }
        }
    }
}
