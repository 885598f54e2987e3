//! Delegation between agents by OAuth 2.0 Token Exchange (RFC 8693), the agent's side: who acts
//! in a delegated token ([`ActorChain`], the `act` claim, RFC 8693 §4.1), who may act for a
//! subject ([`MayAct`], the `may_act` claim, §4.4), and a verified delegated token
//! ([`Delegation`]). Pure: the exchange itself is
//! [`IdpClient::exchange_token`](crate::asynch::IdpClient::exchange_token), the token's
//! signature and claims are checked by [`verify_access_token`](crate::oidc::verify_access_token).
//!
//! Only the current actor (the outermost `act`) counts for access decisions; the actors nested
//! inside it are history (RFC 8693 §4.1).

use std::fmt;

use serde_json::{Map, Value};

use crate::oidc::AccessTokenClaims;

/// How deep an `act` chain may nest by default: 8 actors.
///
/// ```
/// assert_eq!(idpkit::agent::DEFAULT_MAX_ACT_DEPTH, 8);
/// ```
pub const DEFAULT_MAX_ACT_DEPTH: usize = 8;

/// Why a delegation claim was rejected. Wrapped by
/// [`ErrorKind::Delegation`](crate::ErrorKind::Delegation); no variant carries a token.
///
/// ```
/// use idpkit::agent::DelegationError;
/// let err = idpkit::Error::from(DelegationError::NotDelegated);
/// assert!(matches!(err.kind(), idpkit::ErrorKind::Delegation(DelegationError::NotDelegated)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DelegationError {
    /// An `act` (at `depth`, 0 = the outermost) is not a JSON object.
    #[error("the `act` claim at depth {depth} is not an object")]
    ActNotObject {
        /// 0 for the top-level `act`, 1 for the one nested in it, …
        depth: usize,
    },
    /// An actor (at `depth`) has no `sub`, or a `sub` or `iss` that is not a non-empty string.
    #[error("the actor at depth {depth} has no valid `{claim}`")]
    InvalidActor {
        /// 0 for the current actor.
        depth: usize,
        /// `sub` or `iss`.
        claim: &'static str,
    },
    /// The chain nests more actors than allowed.
    #[error("the `act` chain is deeper than {limit} actors")]
    ChainTooDeep {
        /// The limit.
        limit: usize,
    },
    /// A delegated token was expected and the token has no `act` claim.
    #[error("the token has no `act` claim: it is not a delegation")]
    NotDelegated,
    /// The `may_act` claim is not an object with a non-empty string `sub` (and string `iss`).
    #[error("the `may_act` claim is malformed")]
    MalformedMayAct,
    /// The subject token has no `may_act` claim: it names nobody who may act for it.
    #[error("the token has no `may_act` claim")]
    NoMayAct,
    /// `may_act` names another party than this actor.
    #[error("the token's `may_act` does not name actor {actor:?}")]
    NotAuthorizedActor {
        /// The actor that was refused.
        actor: String,
    },
}

/// One party in an `act` chain: its `sub`, its `iss` if given, and any other identity claims it
/// carries.
///
/// ```
/// let actor = idpkit::agent::Actor::new("agent-b").with_issuer("https://op.example");
/// assert_eq!(actor.to_string(), "agent-b (https://op.example)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Actor {
    /// The actor's subject identifier.
    pub sub: String,
    /// The issuer of `sub`, if given.
    pub iss: Option<String>,
    /// The actor's other claims (never `act`, which is the next actor).
    pub claims: Map<String, Value>,
}

impl Actor {
    /// An actor with this subject and no issuer.
    ///
    /// ```
    /// assert_eq!(idpkit::agent::Actor::new("agent-b").sub, "agent-b");
    /// ```
    pub fn new(sub: impl Into<String>) -> Self {
        Actor {
            sub: sub.into(),
            iss: None,
            claims: Map::new(),
        }
    }

    /// The same actor with this issuer.
    ///
    /// ```
    /// let actor = idpkit::agent::Actor::new("agent-b").with_issuer("https://op.example");
    /// assert_eq!(actor.iss.as_deref(), Some("https://op.example"));
    /// ```
    pub fn with_issuer(mut self, iss: impl Into<String>) -> Self {
        self.iss = Some(iss.into());
        self
    }

    /// Reads one actor object (`depth` for the errors); the nested `act`, if any, is returned
    /// apart.
    fn from_object(
        object: &Map<String, Value>,
        depth: usize,
        what: fn(usize) -> DelegationError,
    ) -> Result<(Actor, Option<&Value>), DelegationError> {
        let string = |claim: &'static str| match object.get(claim) {
            None => Ok(None),
            Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
            Some(_) => Err(what(depth).with_claim(claim)),
        };
        let sub = string("sub")?.ok_or_else(|| what(depth).with_claim("sub"))?;
        let iss = string("iss")?;
        let claims = object
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "sub" | "iss" | "act"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Ok((Actor { sub, iss, claims }, object.get("act")))
    }

    /// Whether this actor is `other`: the same `sub`, and the same `iss` when `other` names one.
    fn is(&self, other: &Actor) -> bool {
        self.sub == other.sub
            && other
                .iss
                .as_ref()
                .is_none_or(|iss| self.iss.as_ref() == Some(iss))
    }
}

impl DelegationError {
    /// The claim an [`InvalidActor`](Self::InvalidActor) is about (other variants unchanged).
    fn with_claim(self, claim: &'static str) -> Self {
        match self {
            DelegationError::InvalidActor { depth, .. } => {
                DelegationError::InvalidActor { depth, claim }
            }
            other => other,
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.iss {
            Some(iss) => write!(f, "{} ({iss})", self.sub),
            None => f.write_str(&self.sub),
        }
    }
}

/// The actors of a delegated token, the current one first (RFC 8693 §4.1): `act.sub`, then
/// `act.act.sub`, … Empty for a token without `act` (no delegation).
///
/// ```
/// use idpkit::agent::{ActorChain, DEFAULT_MAX_ACT_DEPTH};
/// let claims = serde_json::json!({
///     "sub": "agent-a",
///     "act": {"sub": "agent-c", "act": {"sub": "agent-b"}}
/// });
/// let chain = ActorChain::from_claims(claims.as_object().unwrap(), DEFAULT_MAX_ACT_DEPTH)?;
/// assert_eq!(chain.current().unwrap().sub, "agent-c");
/// assert_eq!(chain.to_string(), "agent-c <- agent-b");
///
/// let garbage = serde_json::json!({"sub": "agent-a", "act": "agent-c"});
/// assert!(ActorChain::from_claims(garbage.as_object().unwrap(), 8).is_err());
/// # Ok::<(), idpkit::agent::DelegationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ActorChain {
    actors: Vec<Actor>,
}

impl ActorChain {
    /// Reads the `act` claim of a token's claims (or of an introspection response, RFC 8693
    /// §4.1), at most `max_depth` actors deep.
    ///
    /// # Errors
    ///
    /// [`DelegationError::ActNotObject`] for an `act` (at any depth) that is not an object,
    /// [`DelegationError::InvalidActor`] for an actor without a non-empty string `sub` or with a
    /// non-string `iss`, [`DelegationError::ChainTooDeep`] past `max_depth`.
    ///
    /// ```
    /// use idpkit::agent::{ActorChain, DelegationError};
    /// let deep = serde_json::json!({"act": {"sub": "a", "act": {"sub": "b", "act": {"sub": "c"}}}});
    /// assert_eq!(
    ///     ActorChain::from_claims(deep.as_object().unwrap(), 2),
    ///     Err(DelegationError::ChainTooDeep { limit: 2 })
    /// );
    /// ```
    pub fn from_claims(
        claims: &Map<String, Value>,
        max_depth: usize,
    ) -> Result<ActorChain, DelegationError> {
        let mut actors = Vec::new();
        let mut next = claims.get("act");
        while let Some(act) = next {
            let depth = actors.len();
            if depth >= max_depth {
                return Err(DelegationError::ChainTooDeep { limit: max_depth });
            }
            let Value::Object(object) = act else {
                return Err(DelegationError::ActNotObject { depth });
            };
            let invalid = |depth| DelegationError::InvalidActor {
                depth,
                claim: "sub",
            };
            let (actor, nested) = Actor::from_object(object, depth, invalid)?;
            actors.push(actor);
            next = nested;
        }
        Ok(ActorChain { actors })
    }

    /// The current actor (the outermost `act`), the only one that counts for access decisions.
    ///
    /// ```
    /// assert!(idpkit::agent::ActorChain::default().current().is_none());
    /// ```
    pub fn current(&self) -> Option<&Actor> {
        self.actors.first()
    }

    /// Every actor, the current one first, the original delegate last.
    ///
    /// ```
    /// assert!(idpkit::agent::ActorChain::default().actors().is_empty());
    /// ```
    pub fn actors(&self) -> &[Actor] {
        &self.actors
    }

    /// Whether there is no actor (the token is not a delegation).
    ///
    /// ```
    /// assert!(idpkit::agent::ActorChain::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.actors.is_empty()
    }

    /// How many actors the chain holds.
    ///
    /// ```
    /// assert_eq!(idpkit::agent::ActorChain::default().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.actors.len()
    }
}

impl fmt::Display for ActorChain {
    /// The subjects, current actor first, joined by ` <- `.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, actor) in self.actors.iter().enumerate() {
            if i > 0 {
                f.write_str(" <- ")?;
            }
            f.write_str(&actor.sub)?;
        }
        Ok(())
    }
}

/// The party a token's `may_act` claim (RFC 8693 §4.4) authorizes to act for its subject.
///
/// ```
/// use idpkit::agent::{Actor, MayAct};
/// let claims = serde_json::json!({"sub": "agent-a", "may_act": {"sub": "agent-b"}});
/// let may_act = MayAct::from_claims(claims.as_object().unwrap())?.unwrap();
/// assert!(may_act.check(&Actor::new("agent-b")).is_ok());
/// assert!(may_act.check(&Actor::new("agent-c")).is_err());
/// # Ok::<(), idpkit::agent::DelegationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MayAct(Actor);

impl MayAct {
    /// Reads the `may_act` claim; `None` when the token has none.
    ///
    /// # Errors
    ///
    /// [`DelegationError::MalformedMayAct`] when it is not an object with a non-empty string
    /// `sub` (and, if present, a non-empty string `iss`).
    ///
    /// ```
    /// use idpkit::agent::{DelegationError, MayAct};
    /// let claims = serde_json::json!({"may_act": ["agent-b"]});
    /// assert_eq!(MayAct::from_claims(claims.as_object().unwrap()), Err(DelegationError::MalformedMayAct));
    /// ```
    pub fn from_claims(claims: &Map<String, Value>) -> Result<Option<MayAct>, DelegationError> {
        match claims.get("may_act") {
            None => Ok(None),
            Some(Value::Object(object)) => {
                let malformed = |_| DelegationError::MalformedMayAct;
                Actor::from_object(object, 0, malformed).map(|(actor, _)| Some(MayAct(actor)))
            }
            Some(_) => Err(DelegationError::MalformedMayAct),
        }
    }

    /// The authorized party.
    ///
    /// ```
    /// # use idpkit::agent::MayAct;
    /// # let claims = serde_json::json!({"may_act": {"sub": "agent-b"}});
    /// let may_act = MayAct::from_claims(claims.as_object().unwrap()).unwrap().unwrap();
    /// assert_eq!(may_act.actor().sub, "agent-b");
    /// ```
    pub fn actor(&self) -> &Actor {
        &self.0
    }

    /// Whether `actor` is the authorized party: the same `sub`, and the same `iss` when
    /// `may_act` names one.
    ///
    /// # Errors
    ///
    /// [`DelegationError::NotAuthorizedActor`] when it is not.
    ///
    /// ```
    /// use idpkit::agent::{Actor, MayAct};
    /// let claims = serde_json::json!({"may_act": {"sub": "agent-b", "iss": "https://op.example"}});
    /// let may_act = MayAct::from_claims(claims.as_object().unwrap()).unwrap().unwrap();
    /// assert!(may_act.check(&Actor::new("agent-b").with_issuer("https://op.example")).is_ok());
    /// assert!(may_act.check(&Actor::new("agent-b")).is_err(), "the issuer must match too");
    /// ```
    pub fn check(&self, actor: &Actor) -> Result<(), DelegationError> {
        if actor.is(&self.0) {
            Ok(())
        } else {
            Err(DelegationError::NotAuthorizedActor {
                actor: actor.sub.clone(),
            })
        }
    }
}

/// Checks, before exchanging a subject token, that its claims authorize `actor` to act for its
/// subject (RFC 8693 §4.4). Strict: a token without `may_act` authorizes nobody.
///
/// # Errors
///
/// [`DelegationError::NoMayAct`], [`DelegationError::MalformedMayAct`],
/// [`DelegationError::NotAuthorizedActor`].
///
/// ```
/// use idpkit::agent::{Actor, DelegationError, check_may_act};
/// let claims = serde_json::json!({"sub": "agent-a"});
/// assert_eq!(check_may_act(claims.as_object().unwrap(), &Actor::new("agent-b")), Err(DelegationError::NoMayAct));
/// ```
pub fn check_may_act(claims: &Map<String, Value>, actor: &Actor) -> Result<(), DelegationError> {
    MayAct::from_claims(claims)?
        .ok_or(DelegationError::NoMayAct)?
        .check(actor)
}

/// A verified delegated token: its claims (signature, issuer, audience and lifetime already
/// checked by [`verify_access_token`](crate::oidc::verify_access_token)) and its actors.
///
/// ```
/// use idpkit::agent::{Delegation, DEFAULT_MAX_ACT_DEPTH};
/// let claims: idpkit::oidc::AccessTokenClaims = serde_json::from_value(serde_json::json!({
///     "iss": "https://op.example", "sub": "agent-a", "aud": "urn:api", "client_id": "agent-b",
///     "exp": 2, "iat": 1, "jti": "j", "scope": "files:read", "act": {"sub": "agent-b"}
/// })).unwrap();
/// let delegation = Delegation::from_claims(claims, DEFAULT_MAX_ACT_DEPTH)?;
/// assert_eq!(delegation.subject(), "agent-a");
/// assert_eq!(delegation.current_actor().sub, "agent-b");
/// # Ok::<(), idpkit::agent::DelegationError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Delegation {
    /// The token's claims (`act` is still in `extra`).
    pub claims: AccessTokenClaims,
    /// The actors, current first; never empty.
    pub actors: ActorChain,
}

impl Delegation {
    /// The delegation of verified claims: they must carry an `act` chain (at most `max_depth`
    /// actors).
    ///
    /// # Errors
    ///
    /// [`DelegationError::NotDelegated`] without `act`; the errors of
    /// [`ActorChain::from_claims`].
    ///
    /// ```
    /// use idpkit::agent::{Delegation, DelegationError};
    /// let claims: idpkit::oidc::AccessTokenClaims = serde_json::from_value(serde_json::json!({
    ///     "iss": "i", "sub": "agent-a", "aud": "a", "client_id": "agent-a", "exp": 2, "iat": 1, "jti": "j"
    /// })).unwrap();
    /// assert_eq!(Delegation::from_claims(claims, 8), Err(DelegationError::NotDelegated));
    /// ```
    pub fn from_claims(
        claims: AccessTokenClaims,
        max_depth: usize,
    ) -> Result<Delegation, DelegationError> {
        let actors = ActorChain::from_claims(&claims.extra, max_depth)?;
        if actors.is_empty() {
            return Err(DelegationError::NotDelegated);
        }
        Ok(Delegation { claims, actors })
    }

    /// The subject on whose behalf the actors act (`sub`).
    ///
    /// ```
    /// # let claims: idpkit::oidc::AccessTokenClaims = serde_json::from_value(serde_json::json!({
    /// #     "iss": "i", "sub": "agent-a", "aud": "a", "client_id": "b", "exp": 2, "iat": 1, "jti": "j", "act": {"sub": "b"}
    /// # })).unwrap();
    /// let delegation = idpkit::agent::Delegation::from_claims(claims, 8).unwrap();
    /// assert_eq!(delegation.subject(), "agent-a");
    /// ```
    pub fn subject(&self) -> &str {
        &self.claims.sub
    }

    /// The current actor, the one access decisions consider.
    ///
    /// ```
    /// # let claims: idpkit::oidc::AccessTokenClaims = serde_json::from_value(serde_json::json!({
    /// #     "iss": "i", "sub": "agent-a", "aud": "a", "client_id": "b", "exp": 2, "iat": 1, "jti": "j", "act": {"sub": "b"}
    /// # })).unwrap();
    /// let delegation = idpkit::agent::Delegation::from_claims(claims, 8).unwrap();
    /// assert_eq!(delegation.current_actor().sub, "b");
    /// ```
    pub fn current_actor(&self) -> &Actor {
        // `from_claims` refuses an empty chain.
        &self.actors.actors[0]
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn chain(claims: Value) -> Result<ActorChain, DelegationError> {
        ActorChain::from_claims(claims.as_object().unwrap(), DEFAULT_MAX_ACT_DEPTH)
    }

    #[test]
    fn chains_read_current_first() {
        let c = chain(json!({"sub": "u", "act": {
            "sub": "c", "iss": "https://op", "exp": 1,
            "act": {"sub": "b", "act": {"sub": "a"}}
        }}))
        .unwrap();
        let subs: Vec<&str> = c.actors().iter().map(|a| a.sub.as_str()).collect();
        assert_eq!(subs, ["c", "b", "a"]);
        assert_eq!(c.current().unwrap().iss.as_deref(), Some("https://op"));
        assert_eq!(
            c.current().unwrap().claims,
            json!({"exp": 1}).as_object().unwrap().clone()
        );
        assert_eq!(c.to_string(), "c <- b <- a");
        assert!(chain(json!({"sub": "u"})).unwrap().is_empty());
    }

    #[test]
    fn garbage_act_claims_are_typed_errors() {
        use DelegationError as E;
        let invalid = |depth, claim| E::InvalidActor { depth, claim };
        let cases = [
            (json!({"act": "agent"}), E::ActNotObject { depth: 0 }),
            (json!({"act": null}), E::ActNotObject { depth: 0 }),
            (json!({"act": ["a"]}), E::ActNotObject { depth: 0 }),
            (
                json!({"act": {"sub": "a", "act": 3}}),
                E::ActNotObject { depth: 1 },
            ),
            (json!({"act": {}}), invalid(0, "sub")),
            (json!({"act": {"sub": ""}}), invalid(0, "sub")),
            (json!({"act": {"sub": 5}}), invalid(0, "sub")),
            (json!({"act": {"sub": "a", "iss": 1}}), invalid(0, "iss")),
            (
                json!({"act": {"sub": "a", "act": {"iss": "x"}}}),
                invalid(1, "sub"),
            ),
        ];
        for (claims, expected) in cases {
            assert_eq!(chain(claims.clone()), Err(expected), "{claims}");
        }
    }

    #[test]
    fn depth_limit() {
        let mut act = json!({"sub": "a0"});
        for i in 1..DEFAULT_MAX_ACT_DEPTH {
            act = json!({"sub": format!("a{i}"), "act": act});
        }
        let eight = chain(json!({ "act": act.clone() })).unwrap();
        assert_eq!(eight.len(), DEFAULT_MAX_ACT_DEPTH);
        let nine = json!({"act": {"sub": "top", "act": act}});
        assert_eq!(chain(nine), Err(DelegationError::ChainTooDeep { limit: 8 }));
        let zero = ActorChain::from_claims(json!({"act": {"sub": "a"}}).as_object().unwrap(), 0);
        assert_eq!(zero, Err(DelegationError::ChainTooDeep { limit: 0 }));
    }

    #[test]
    fn may_act() {
        let map = |v: Value| v.as_object().unwrap().clone();
        let b = Actor::new("agent-b");
        let claims = map(json!({"may_act": {"sub": "agent-b"}}));
        assert_eq!(check_may_act(&claims, &b), Ok(()));
        assert_eq!(
            check_may_act(&claims, &b.clone().with_issuer("any")),
            Ok(()),
            "no iss in may_act: any issuer"
        );
        let c = Actor::new("agent-c");
        assert_eq!(
            check_may_act(&claims, &c),
            Err(DelegationError::NotAuthorizedActor {
                actor: "agent-c".into()
            })
        );
        for bad in [
            json!("agent-b"),
            json!({}),
            json!({"sub": 1}),
            json!({"sub": "b", "iss": ""}),
        ] {
            let claims = map(json!({ "may_act": bad }));
            assert_eq!(
                check_may_act(&claims, &b),
                Err(DelegationError::MalformedMayAct)
            );
        }
        assert_eq!(
            check_may_act(&Map::new(), &b),
            Err(DelegationError::NoMayAct)
        );
    }
}
