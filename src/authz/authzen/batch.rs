//! Batches (AuthZEN 1.0 `#access-evaluations-api`): an [`EvaluationsRequest`] of
//! [`EvaluationItem`]s under top-level defaults, run as an [`EvaluationsSemantic`] says, and the
//! [`EvaluationsResponse`].

use serde::{Deserialize, Serialize};

use super::model::{
    Action, Context, Decision, Properties, Resource, Subject, ser_map_no_nulls,
    ser_opt_map_no_nulls,
};
#[cfg(doc)]
use crate::error::ErrorKind;
use crate::error::{Error, Result};

/// What an evaluations response is, for errors.
pub(super) const EVALUATIONS: &str = "an AuthZEN evaluations response (JSON)";

/// How a PDP runs a batch (AuthZEN 1.0 `#evaluations-semantics`, `options.evaluations_semantic`).
///
/// ```
/// use idpkit::authz::authzen::EvaluationsSemantic;
/// assert_eq!(serde_json::to_string(&EvaluationsSemantic::DenyOnFirstDeny).unwrap(), r#""deny_on_first_deny""#);
/// assert_eq!(EvaluationsSemantic::default(), EvaluationsSemantic::ExecuteAll);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvaluationsSemantic {
    /// Run every item; answer every item, in order (the default).
    #[default]
    ExecuteAll,
    /// Like `&&`: stop at the first deny (or error); the answer ends with that item.
    DenyOnFirstDeny,
    /// Like `||`: stop at the first permit; the answer ends with that item.
    PermitOnFirstPermit,
}

/// The `options` of a batch.
///
/// ```
/// use idpkit::authz::authzen::{EvaluationsOptions, EvaluationsSemantic};
/// let o = EvaluationsOptions::semantic(EvaluationsSemantic::PermitOnFirstPermit);
/// assert_eq!(serde_json::to_string(&o).unwrap(), r#"{"evaluations_semantic":"permit_on_first_permit"}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EvaluationsOptions {
    /// How to run the batch; not sent when `None` (the PDP then executes all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluations_semantic: Option<EvaluationsSemantic>,
    /// Other options, sent as given (the specification allows them; Cerbos 0.55 answers 400 to
    /// any it does not know).
    #[serde(flatten, serialize_with = "ser_map_no_nulls")]
    pub extra: Properties,
}

impl EvaluationsOptions {
    /// Options that only set the semantic.
    ///
    /// ```
    /// use idpkit::authz::authzen::{EvaluationsOptions, EvaluationsSemantic};
    /// assert_eq!(EvaluationsOptions::semantic(EvaluationsSemantic::ExecuteAll).evaluations_semantic, Some(EvaluationsSemantic::ExecuteAll));
    /// ```
    pub fn semantic(semantic: EvaluationsSemantic) -> Self {
        EvaluationsOptions {
            evaluations_semantic: Some(semantic),
            extra: Properties::new(),
        }
    }
}

/// One item of a batch: each member given overrides the batch's default of the same name as a
/// whole (no deep merge). The batch's defaults have the same shape
/// ([`EvaluationsRequest::defaults`]).
///
/// ```
/// use idpkit::authz::authzen::{EvaluationItem, Resource};
/// let item = EvaluationItem::default().resource(Resource::new("todo", "1"));
/// assert_eq!(serde_json::to_string(&item).unwrap(), r#"{"resource":{"type":"todo","id":"1"}}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EvaluationItem {
    /// The subject: an item's override, or the batch's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Subject>,
    /// The action: an item's override, or the batch's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    /// The resource: an item's override, or the batch's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<Resource>,
    /// The context: an item's override, or the batch's default.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_opt_map_no_nulls"
    )]
    pub context: Option<Context>,
}

/// The setters of the four members of an [`EvaluationItem`], written once for an item and for
/// a batch's defaults: `$ty` gets them, `$empty` makes an empty one for the examples, `$what`
/// starts their docs, `$field` (if any) is where the members are.
macro_rules! member_setters {
    ($ty:ident, $empty:literal, $what:literal $(, $field:ident)?) => {
        impl $ty {
            #[doc = concat!($what, " subject.")]
            ///
            /// ```
            #[doc = concat!("use idpkit::authz::authzen::{", stringify!($ty), ", Subject};")]
            #[doc = concat!("let b = ", $empty, ".subject(Subject::new(\"user\", \"bob\"));")]
            #[doc = concat!("assert_eq!(b.", $(stringify!($field), ".",)? "subject.unwrap().id, \"bob\");")]
            /// ```
            pub fn subject(mut self, subject: Subject) -> Self {
                self$(.$field)?.subject = Some(subject);
                self
            }

            #[doc = concat!($what, " action.")]
            ///
            /// ```
            #[doc = concat!("use idpkit::authz::authzen::{Action, ", stringify!($ty), "};")]
            #[doc = concat!("let b = ", $empty, ".action(Action::new(\"read\"));")]
            #[doc = concat!("assert_eq!(b.", $(stringify!($field), ".",)? "action.unwrap().name, \"read\");")]
            /// ```
            pub fn action(mut self, action: Action) -> Self {
                self$(.$field)?.action = Some(action);
                self
            }

            #[doc = concat!($what, " resource.")]
            ///
            /// ```
            #[doc = concat!("use idpkit::authz::authzen::{", stringify!($ty), ", Resource};")]
            #[doc = concat!("let b = ", $empty, ".resource(Resource::new(\"doc\", \"1\"));")]
            #[doc = concat!("assert_eq!(b.", $(stringify!($field), ".",)? "resource.unwrap().id, \"1\");")]
            /// ```
            pub fn resource(mut self, resource: Resource) -> Self {
                self$(.$field)?.resource = Some(resource);
                self
            }

            #[doc = concat!($what, " context.")]
            ///
            /// ```
            #[doc = concat!("use idpkit::authz::authzen::{Context, ", stringify!($ty), "};")]
            #[doc = concat!("let b = ", $empty, ".context(Context::new());")]
            /// assert_eq!(serde_json::to_value(&b).unwrap()["context"], serde_json::json!({}));
            /// ```
            pub fn context(mut self, context: Context) -> Self {
                self$(.$field)?.context = Some(context);
                self
            }
        }
    };
}

member_setters!(EvaluationItem, "EvaluationItem::default()", "Sets the");
member_setters!(
    EvaluationsRequest,
    "EvaluationsRequest::new()",
    "Sets the default",
    defaults
);

/// A batch of evaluations (AuthZEN 1.0 `#access-evaluations-api`): top-level defaults, the items, and options.
///
/// ```
/// use idpkit::authz::authzen::*;
/// let batch = EvaluationsRequest::new()
///     .subject(Subject::new("user", "morty"))
///     .action(Action::new("can_update_todo"))
///     .item(EvaluationItem::default().resource(Resource::new("todo", "1")))
///     .item(EvaluationItem::default().resource(Resource::new("todo", "2")))
///     .semantic(EvaluationsSemantic::DenyOnFirstDeny);
/// assert_eq!(batch.evaluations.len(), 2);
/// assert_eq!(batch.defaults.subject.as_ref().unwrap().id, "morty");
/// let json = serde_json::to_value(&batch).unwrap();
/// assert_eq!(json["options"]["evaluations_semantic"], "deny_on_first_deny");
/// assert_eq!(json["subject"]["id"], "morty"); // the defaults are top-level members
/// assert!(json.get("resource").is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EvaluationsRequest {
    /// The default subject, action, resource and context of every item, sent as top-level
    /// members (set them with [`subject`](Self::subject), [`action`](Self::action),
    /// [`resource`](Self::resource), [`context`](Self::context)).
    #[serde(flatten)]
    pub defaults: EvaluationItem,
    /// The items, answered in this order.
    #[serde(default)]
    pub evaluations: Vec<EvaluationItem>,
    /// The options, not sent when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<EvaluationsOptions>,
}

impl EvaluationsRequest {
    /// An empty batch.
    ///
    /// ```
    /// assert!(idpkit::authz::authzen::EvaluationsRequest::new().evaluations.is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends an item.
    ///
    /// ```
    /// use idpkit::authz::authzen::{EvaluationItem, EvaluationsRequest};
    /// let b = EvaluationsRequest::new().item(EvaluationItem::default());
    /// assert_eq!(b.evaluations.len(), 1);
    /// ```
    pub fn item(mut self, item: EvaluationItem) -> Self {
        self.evaluations.push(item);
        self
    }

    /// Sets `options.evaluations_semantic`, keeping other options.
    ///
    /// ```
    /// use idpkit::authz::authzen::{EvaluationsRequest, EvaluationsSemantic};
    /// let b = EvaluationsRequest::new().semantic(EvaluationsSemantic::PermitOnFirstPermit);
    /// assert_eq!(b.semantic_or_default(), EvaluationsSemantic::PermitOnFirstPermit);
    /// ```
    pub fn semantic(mut self, semantic: EvaluationsSemantic) -> Self {
        self.options
            .get_or_insert_with(EvaluationsOptions::default)
            .evaluations_semantic = Some(semantic);
        self
    }

    /// The semantic the PDP will apply: the one set, or [`EvaluationsSemantic::ExecuteAll`].
    ///
    /// ```
    /// use idpkit::authz::authzen::{EvaluationsRequest, EvaluationsSemantic};
    /// assert_eq!(EvaluationsRequest::new().semantic_or_default(), EvaluationsSemantic::ExecuteAll);
    /// ```
    pub fn semantic_or_default(&self) -> EvaluationsSemantic {
        self.options
            .as_ref()
            .and_then(|o| o.evaluations_semantic)
            .unwrap_or_default()
    }

    /// Checks what the specification requires before sending: at least one item (Cerbos 0.55
    /// answers 400 to an empty batch), and every item has a subject, an action and a resource,
    /// its own or the default.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`] naming the problem.
    ///
    /// ```
    /// use idpkit::authz::authzen::*;
    /// let b = EvaluationsRequest::new().action(Action::new("read"))
    ///     .item(EvaluationItem::default().resource(Resource::new("doc", "1")));
    /// assert!(b.validate().is_err()); // no subject anywhere
    /// assert!(b.subject(Subject::new("user", "a")).validate().is_ok());
    /// ```
    pub fn validate(&self) -> Result<()> {
        if self.evaluations.is_empty() {
            return Err(Error::config(
                "an evaluations request needs at least one item (use a single evaluation)",
            ));
        }
        let defaults = &self.defaults;
        for (i, item) in self.evaluations.iter().enumerate() {
            for (name, present, default) in [
                (
                    "subject",
                    item.subject.is_some(),
                    defaults.subject.is_some(),
                ),
                ("action", item.action.is_some(), defaults.action.is_some()),
                (
                    "resource",
                    item.resource.is_some(),
                    defaults.resource.is_some(),
                ),
            ] {
                if !present && !default {
                    return Err(Error::config(format!(
                        "evaluation {i} has no {name} and there is no default {name}"
                    )));
                }
            }
        }
        Ok(())
    }
}

/// The answer to a batch (AuthZEN 1.0 `#access-evaluations-response`): one decision per item, in order. With
/// [`EvaluationsSemantic::DenyOnFirstDeny`] or [`EvaluationsSemantic::PermitOnFirstPermit`] the
/// list ends with the deciding item, so it may be shorter than the request.
///
/// ```
/// use idpkit::authz::authzen::{EvaluationsResponse, EvaluationsSemantic};
/// let r: EvaluationsResponse = serde_json::from_str(
///     r#"{"evaluations":[{"decision":true},{"decision":false}]}"#).unwrap();
/// assert_eq!(r.decisions(), [true, false]);
/// assert_eq!(r.decided_by(EvaluationsSemantic::DenyOnFirstDeny), Some(1));
/// assert!(!r.outcome(EvaluationsSemantic::DenyOnFirstDeny));
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EvaluationsResponse {
    /// The decisions, in request order.
    #[serde(default)]
    pub evaluations: Vec<Decision>,
    /// A top-level decision some PDPs add (the specification recommends omitting it; it can
    /// be ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<bool>,
}

impl EvaluationsResponse {
    /// The decision booleans, in order.
    ///
    /// ```
    /// let r: idpkit::authz::authzen::EvaluationsResponse = serde_json::from_str(r#"{"evaluations":[{"decision":true}]}"#).unwrap();
    /// assert_eq!(r.decisions(), [true]);
    /// ```
    pub fn decisions(&self) -> Vec<bool> {
        self.evaluations.iter().map(|d| d.decision).collect()
    }

    /// Which item decided the batch under a short-circuit semantic: the index of the first deny
    /// ([`DenyOnFirstDeny`](EvaluationsSemantic::DenyOnFirstDeny)) or the first permit
    /// ([`PermitOnFirstPermit`](EvaluationsSemantic::PermitOnFirstPermit)); `None` when no item
    /// did (every item was evaluated) and always for
    /// [`ExecuteAll`](EvaluationsSemantic::ExecuteAll).
    ///
    /// ```
    /// use idpkit::authz::authzen::{EvaluationsResponse, EvaluationsSemantic::*};
    /// let r: EvaluationsResponse = serde_json::from_str(r#"{"evaluations":[{"decision":false},{"decision":true}]}"#).unwrap();
    /// assert_eq!(r.decided_by(PermitOnFirstPermit), Some(1));
    /// assert_eq!(r.decided_by(DenyOnFirstDeny), Some(0));
    /// assert_eq!(r.decided_by(ExecuteAll), None);
    /// ```
    pub fn decided_by(&self, semantic: EvaluationsSemantic) -> Option<usize> {
        let wanted = match semantic {
            EvaluationsSemantic::ExecuteAll => return None,
            EvaluationsSemantic::DenyOnFirstDeny => false,
            EvaluationsSemantic::PermitOnFirstPermit => true,
        };
        self.evaluations.iter().position(|d| d.decision == wanted)
    }

    /// The batch's combined answer: every item permitted (`ExecuteAll`, `DenyOnFirstDeny`), or
    /// one item permitted (`PermitOnFirstPermit`). Only meaningful for a response that passed
    /// [`check_against`](Self::check_against) (the clients check it).
    ///
    /// ```
    /// use idpkit::authz::authzen::{EvaluationsResponse, EvaluationsSemantic::*};
    /// let r: EvaluationsResponse = serde_json::from_str(r#"{"evaluations":[{"decision":false},{"decision":true}]}"#).unwrap();
    /// assert!(r.outcome(PermitOnFirstPermit));
    /// assert!(!r.outcome(ExecuteAll));
    /// ```
    pub fn outcome(&self, semantic: EvaluationsSemantic) -> bool {
        match semantic {
            EvaluationsSemantic::PermitOnFirstPermit => self.evaluations.iter().any(|d| d.decision),
            _ => !self.evaluations.is_empty() && self.evaluations.iter().all(|d| d.decision),
        }
    }

    /// Checks the answer's length against the request: as many decisions as items, or, under
    /// a short-circuit semantic, fewer only when the last one is the deciding item.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::MalformedResponse`] when the length is impossible.
    ///
    /// ```
    /// use idpkit::authz::authzen::*;
    /// let req = EvaluationsRequest::new().subject(Subject::new("user", "a")).action(Action::new("read"))
    ///     .item(EvaluationItem::default().resource(Resource::new("doc", "1")))
    ///     .item(EvaluationItem::default().resource(Resource::new("doc", "2")));
    /// let short: EvaluationsResponse = serde_json::from_str(r#"{"evaluations":[{"decision":false}]}"#).unwrap();
    /// assert!(short.check_against(&req).is_err());
    /// assert!(short.check_against(&req.semantic(EvaluationsSemantic::DenyOnFirstDeny)).is_ok());
    /// ```
    pub fn check_against(&self, request: &EvaluationsRequest) -> Result<()> {
        let (got, asked) = (self.evaluations.len(), request.evaluations.len());
        let semantic = request.semantic_or_default();
        let ok =
            got == asked || (got < asked && got > 0 && self.decided_by(semantic) == Some(got - 1));
        if ok {
            Ok(())
        } else {
            Err(Error::malformed(
                EVALUATIONS,
                format!("{got} decisions for {asked} evaluations under {semantic:?}"),
            ))
        }
    }
}
