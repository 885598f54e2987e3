//! OpenID AuthZEN Authorization API 1.0: the pure request/response types of the policy decision
//! point (PDP) client, and the I/O-free `build_*` / `parse_*` halves of every call.
//!
//! - The information model: [`Subject`], [`Resource`], [`Action`], [`Context`], and the answer,
//!   [`Decision`] (with typed accessors for common context members, the raw context kept).
//! - Access evaluation ([`EvaluationRequest`]), batches ([`EvaluationsRequest`] with top-level
//!   defaults, per-item overrides and an [`EvaluationsSemantic`]) and the three searches
//!   ([`SubjectSearchRequest`], [`ResourceSearchRequest`], [`ActionSearchRequest`]).
//! - Discovery: [`PdpId`] (the PDP's identifier and its RFC 8615 well-known URL) and
//!   [`PdpMetadata`]; [`PdpEndpoints`] resolves the endpoint URLs, falling back to the
//!   specification's default paths.
//! - [`RetryPolicy`]: when and how long to wait before trying a failed call again.
//!
//! Serialisation is strict (no `null`, no member the caller did not set: some PDPs, Cerbos among
//! them, answer 400 to unknown members); deserialisation is lenient (unknown members ignored, as
//! the specification requires of receivers).
//!
//! The clients of each mode ([`asynch::PdpClient`](crate::asynch::PdpClient),
//! [`blocking::PdpClient`](crate::blocking::PdpClient)) only send what the `build_*` functions
//! make and hand the answer to the `parse_*` functions.
//!
//! ```
//! use idpkit::authz::authzen::{Action, EvaluationRequest, Resource, Subject};
//! let request = EvaluationRequest::new(
//!     Subject::new("user", "alice@example.com"),
//!     Action::new("can_read"),
//!     Resource::new("account", "123"),
//! );
//! assert_eq!(
//!     serde_json::to_value(&request).unwrap(),
//!     serde_json::json!({
//!         "subject": {"type": "user", "id": "alice@example.com"},
//!         "action": {"name": "can_read"},
//!         "resource": {"type": "account", "id": "123"}
//!     })
//! );
//! ```

use std::time::{Duration, SystemTime};

use http::HeaderValue;
use http::header::AUTHORIZATION;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};
use crate::http::{self as h, HttpRequest, HttpResponse, RequestLimits};

/// A JSON object: the `properties` of subjects, resources and actions, and the free-form
/// [`Context`].
pub type Properties = serde_json::Map<String, Value>;

/// The context of a request or a decision: a free-form JSON object (AuthZEN 1.0 `#context`, `#decision-context`).
pub type Context = serde_json::Map<String, Value>;

/// The name of the request header identifying a request (AuthZEN 1.0 "Request Identification").
///
/// ```
/// assert_eq!(idpkit::authz::authzen::REQUEST_ID_HEADER, "x-request-id");
/// ```
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Serialises a map without its `null` members (the specification: properties with a `null`
/// value SHOULD be omitted; some PDPs reject them).
fn ser_map_no_nulls<S: Serializer>(map: &Properties, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_map(map.iter().filter(|(_, v)| !v.is_null()))
}

fn ser_opt_map_no_nulls<S: Serializer>(
    map: &Option<Properties>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match map {
        Some(map) => ser_map_no_nulls(map, s),
        None => s.serialize_none(),
    }
}

macro_rules! entity {
    ($(#[$doc:meta])* $name:ident, $example_type:literal, $example_id:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
        #[non_exhaustive]
        pub struct $name {
            /// Its type (the wire name is `type`), e.g. `
            #[doc = $example_type]
            /// `.
            #[serde(rename = "type")]
            pub kind: String,
            /// Its identifier, unique within the type. Empty only in a search request, where
            /// only the type is sent; an empty id is not serialised.
            #[serde(default, skip_serializing_if = "String::is_empty")]
            pub id: String,
            /// Further attributes; `null` members are not serialised, an empty object is not
            /// sent.
            #[serde(
                default,
                skip_serializing_if = "Properties::is_empty",
                serialize_with = "ser_map_no_nulls"
            )]
            pub properties: Properties,
        }

        impl $name {
            /// One of type `kind` with identifier `id`, without properties.
            ///
            /// ```
            #[doc = concat!("let e = idpkit::authz::authzen::", stringify!($name), "::new(\"", $example_type, "\", \"", $example_id, "\");")]
            #[doc = concat!("assert_eq!(e.id, \"", $example_id, "\");")]
            /// ```
            pub fn new(kind: impl Into<String>, id: impl Into<String>) -> Self {
                $name {
                    kind: kind.into(),
                    id: id.into(),
                    properties: Properties::new(),
                }
            }

            /// Only a type, no identifier: what a search request sends for the kind of
            /// entity it searches.
            ///
            /// ```
            #[doc = concat!("let e = idpkit::authz::authzen::", stringify!($name), "::of_type(\"", $example_type, "\");")]
            #[doc = concat!("assert_eq!(serde_json::to_string(&e).unwrap(), r#\"{\"type\":\"", $example_type, "\"}\"#);")]
            /// ```
            pub fn of_type(kind: impl Into<String>) -> Self {
                Self::new(kind, String::new())
            }

            /// Adds (or replaces) a property.
            ///
            /// ```
            #[doc = concat!("let e = idpkit::authz::authzen::", stringify!($name), "::new(\"", $example_type, "\", \"", $example_id, "\")")]
            ///     .with_property("department", "sales");
            /// assert_eq!(e.properties["department"], "sales");
            /// ```
            pub fn with_property(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
                self.properties.insert(name.into(), value.into());
                self
            }
        }
    };
}

entity!(
    /// The user or machine principal of a request (AuthZEN 1.0 `#subject`).
    Subject,
    "user",
    "alice@example.com"
);

entity!(
    /// The target of a request (AuthZEN 1.0 `#resource`).
    Resource,
    "document",
    "d1"
);

/// The type of access the subject asks for (AuthZEN 1.0 `#action`).
///
/// ```
/// let a = idpkit::authz::authzen::Action::new("can_read").with_property("method", "GET");
/// assert_eq!(
///     serde_json::to_string(&a).unwrap(),
///     r#"{"name":"can_read","properties":{"method":"GET"}}"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Action {
    /// The action's name, e.g. `can_read`.
    pub name: String,
    /// Further attributes; `null` members are not serialised, an empty object is not sent.
    #[serde(
        default,
        skip_serializing_if = "Properties::is_empty",
        serialize_with = "ser_map_no_nulls"
    )]
    pub properties: Properties,
}

impl Action {
    /// The action `name`, without properties.
    ///
    /// ```
    /// assert_eq!(idpkit::authz::authzen::Action::new("delete").name, "delete");
    /// ```
    pub fn new(name: impl Into<String>) -> Self {
        Action {
            name: name.into(),
            properties: Properties::new(),
        }
    }

    /// Adds (or replaces) a property.
    ///
    /// ```
    /// let a = idpkit::authz::authzen::Action::new("can_read").with_property("method", "GET");
    /// assert_eq!(a.properties["method"], "GET");
    /// ```
    pub fn with_property(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.properties.insert(name.into(), value.into());
        self
    }
}

/// One access evaluation (AuthZEN 1.0 `#access-evaluation-request`): may `subject` do `action` on `resource`?
///
/// ```
/// use idpkit::authz::authzen::{Action, EvaluationRequest, Resource, Subject};
/// let request = EvaluationRequest::new(
///     Subject::new("user", "alice"),
///     Action::new("can_read"),
///     Resource::new("account", "123"),
/// )
/// .with_context("time", "1985-10-26T01:22-07:00");
/// assert_eq!(request.context.unwrap()["time"], "1985-10-26T01:22-07:00");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EvaluationRequest {
    /// Who asks.
    pub subject: Subject,
    /// What for.
    pub action: Action,
    /// On what.
    pub resource: Resource,
    /// The environment of the request; not sent when `None` (`null` members are never sent).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_opt_map_no_nulls"
    )]
    pub context: Option<Context>,
}

impl EvaluationRequest {
    /// A request without context.
    ///
    /// ```
    /// use idpkit::authz::authzen::{Action, EvaluationRequest, Resource, Subject};
    /// let r = EvaluationRequest::new(Subject::new("user", "a"), Action::new("read"), Resource::new("doc", "1"));
    /// assert!(r.context.is_none());
    /// ```
    pub fn new(subject: Subject, action: Action, resource: Resource) -> Self {
        EvaluationRequest {
            subject,
            action,
            resource,
            context: None,
        }
    }

    /// Adds (or replaces) a context member.
    ///
    /// ```
    /// use idpkit::authz::authzen::{Action, EvaluationRequest, Resource, Subject};
    /// let r = EvaluationRequest::new(Subject::new("user", "a"), Action::new("read"), Resource::new("doc", "1"))
    ///     .with_context("cerbos.includeMeta", true);
    /// assert_eq!(r.context.unwrap()["cerbos.includeMeta"], true);
    /// ```
    pub fn with_context(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.context
            .get_or_insert_with(Context::new)
            .insert(name.into(), value.into());
        self
    }
}

/// An error a PDP reports for one item of a batch, in the item's decision context
/// (`{"decision": false, "context": {"error": {"status": 404, "message": "..."}}}`, AuthZEN 1.0
/// `#access-evaluations-response`, errors).
///
/// ```
/// let d: idpkit::authz::authzen::Decision = serde_json::from_value(serde_json::json!(
///     {"decision": false, "context": {"error": {"status": 404, "message": "Resource not found"}}}
/// )).unwrap();
/// let e = d.error().unwrap();
/// assert_eq!((e.status, e.message.as_deref()), (Some(404), Some("Resource not found")));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ItemError {
    /// The HTTP-like status, when it is a number (or a string of digits).
    pub status: Option<u16>,
    /// The message, when it is a string.
    pub message: Option<String>,
}

/// A PDP's answer (AuthZEN 1.0 `#decision`): `decision` (`true` permits, `false` denies: the caller
/// must not proceed) and an optional, implementation-defined `context`, kept whole in
/// [`context`](Self::context). The accessors read the members PDPs commonly use.
///
/// ```
/// let d: idpkit::authz::authzen::Decision = serde_json::from_value(serde_json::json!(
///     {"decision": false, "context": {"code": "200", "reason": "deny_on_first_deny", "x": 1}}
/// )).unwrap();
/// assert!(!d.is_permitted());
/// assert_eq!(d.reason(), Some("deny_on_first_deny"));
/// assert_eq!(d.code().as_deref(), Some("200"));
/// assert_eq!(d.context.unwrap()["x"], 1);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Decision {
    /// `true` to permit, `false` to deny.
    pub decision: bool,
    /// Everything the PDP said beyond the decision, unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Context>,
}

impl Decision {
    /// A decision without context.
    ///
    /// ```
    /// assert!(idpkit::authz::authzen::Decision::new(true).is_permitted());
    /// ```
    pub fn new(decision: bool) -> Self {
        Decision {
            decision,
            context: None,
        }
    }

    /// Whether access is permitted.
    ///
    /// ```
    /// assert!(!idpkit::authz::authzen::Decision::new(false).is_permitted());
    /// ```
    pub fn is_permitted(&self) -> bool {
        self.decision
    }

    /// A member of the context.
    ///
    /// ```
    /// let d: idpkit::authz::authzen::Decision = serde_json::from_str(r#"{"decision":true,"context":{"ttl":60}}"#).unwrap();
    /// assert_eq!(d.get("ttl"), Some(&serde_json::json!(60)));
    /// assert_eq!(d.get("nope"), None);
    /// ```
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.context.as_ref()?.get(name)
    }

    /// The context's `reason`, when it is a string (the specification's batch examples).
    ///
    /// ```
    /// let d: idpkit::authz::authzen::Decision = serde_json::from_str(r#"{"decision":false,"context":{"reason":"resource not found"}}"#).unwrap();
    /// assert_eq!(d.reason(), Some("resource not found"));
    /// ```
    pub fn reason(&self) -> Option<&str> {
        self.get("reason")?.as_str()
    }

    /// The context's `reason_admin` object (the specification's example 1: reasons for
    /// administrators, keyed by a status-like code).
    ///
    /// ```
    /// let d: idpkit::authz::authzen::Decision = serde_json::from_value(serde_json::json!(
    ///     {"decision": false, "context": {"reason_admin": {"403": "Request failed policy C076E82F"}}}
    /// )).unwrap();
    /// assert_eq!(d.reason_admin().unwrap()["403"], "Request failed policy C076E82F");
    /// ```
    pub fn reason_admin(&self) -> Option<&Properties> {
        self.get("reason_admin")?.as_object()
    }

    /// The context's `reason_user` object (reasons fit to show the end-user).
    ///
    /// ```
    /// let d: idpkit::authz::authzen::Decision = serde_json::from_value(serde_json::json!(
    ///     {"decision": false, "context": {"reason_user": {"403": "Insufficient privileges"}}}
    /// )).unwrap();
    /// assert_eq!(d.reason_user().unwrap()["403"], "Insufficient privileges");
    /// ```
    pub fn reason_user(&self) -> Option<&Properties> {
        self.get("reason_user")?.as_object()
    }

    /// The context's `code`, a string or a number, as a string.
    ///
    /// ```
    /// let d: idpkit::authz::authzen::Decision = serde_json::from_str(r#"{"decision":false,"context":{"code":403}}"#).unwrap();
    /// assert_eq!(d.code().as_deref(), Some("403"));
    /// ```
    pub fn code(&self) -> Option<String> {
        match self.get("code")? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    /// The per-item error of a batch (`context.error`), see [`ItemError`].
    ///
    /// ```
    /// assert!(idpkit::authz::authzen::Decision::new(false).error().is_none());
    /// ```
    pub fn error(&self) -> Option<ItemError> {
        let error = self.get("error")?;
        match error {
            Value::Object(o) => Some(ItemError {
                status: o.get("status").and_then(|s| match s {
                    Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
                    Value::String(s) => s.parse().ok(),
                    _ => None,
                }),
                message: o.get("message").and_then(Value::as_str).map(str::to_owned),
            }),
            Value::String(s) => Some(ItemError {
                status: None,
                message: Some(s.clone()),
            }),
            _ => None,
        }
    }

    /// Cerbos' own answer (`context["cerbos.response"]`, a `CheckResources` response), present
    /// when the request's context had `"cerbos.includeMeta": true`.
    ///
    /// ```
    /// assert!(idpkit::authz::authzen::Decision::new(true).cerbos_response().is_none());
    /// ```
    pub fn cerbos_response(&self) -> Option<&Value> {
        self.get("cerbos.response")
    }

    fn cerbos_results(&self) -> impl Iterator<Item = &Value> {
        self.cerbos_response()
            .and_then(|r| r.get("results"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
    }

    /// The policy that decided: the context's `policy_id` when it is a string, else the first
    /// `matchedPolicy` of Cerbos' metadata (e.g. `resource.todo.vdefault`).
    ///
    /// ```
    /// let d: idpkit::authz::authzen::Decision = serde_json::from_value(serde_json::json!({"decision": true, "context": {
    ///     "cerbos.response": {"results": [{"actions": {"read": "EFFECT_ALLOW"},
    ///         "meta": {"actions": {"read": {"matchedPolicy": "resource.todo.vdefault"}}}}]}
    /// }})).unwrap();
    /// assert_eq!(d.policy_id(), Some("resource.todo.vdefault"));
    /// ```
    pub fn policy_id(&self) -> Option<&str> {
        if let Some(id) = self.get("policy_id").and_then(Value::as_str) {
            return Some(id);
        }
        self.cerbos_results()
            .filter_map(|r| r.pointer("/meta/actions")?.as_object())
            .flat_map(|actions| actions.values())
            .find_map(|a| a.get("matchedPolicy")?.as_str())
    }

    /// The roles that granted access, the *access path*: Cerbos' `effectiveDerivedRoles`
    /// (sorted, since Cerbos' order varies between calls), or else the context's `roles` when
    /// it is an array of strings. Empty when the PDP said nothing about it.
    ///
    /// ```
    /// let d: idpkit::authz::authzen::Decision = serde_json::from_value(serde_json::json!({"decision": true, "context": {
    ///     "cerbos.response": {"results": [{"meta": {"effectiveDerivedRoles": ["evil_genius", "admin"]}}]}
    /// }})).unwrap();
    /// assert_eq!(d.access_path(), ["admin", "evil_genius"]);
    /// ```
    pub fn access_path(&self) -> Vec<&str> {
        let mut roles: Vec<&str> = self
            .cerbos_results()
            .filter_map(|r| r.pointer("/meta/effectiveDerivedRoles")?.as_array())
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if roles.is_empty()
            && let Some(list) = self.get("roles").and_then(Value::as_array)
        {
            roles = list.iter().filter_map(Value::as_str).collect();
        }
        roles.sort_unstable();
        roles.dedup();
        roles
    }

    /// The values of the rules' outputs in Cerbos' metadata (e.g. a deny rule's
    /// `{"reason": "document is locked"}`), in order.
    ///
    /// ```
    /// let d: idpkit::authz::authzen::Decision = serde_json::from_value(serde_json::json!({"decision": false, "context": {
    ///     "cerbos.response": {"results": [{"outputs": [{"action": "delete", "src": "x", "val": "owner:alice"}]}]}
    /// }})).unwrap();
    /// assert_eq!(d.outputs(), [&serde_json::json!("owner:alice")]);
    /// ```
    pub fn outputs(&self) -> Vec<&Value> {
        self.cerbos_results()
            .filter_map(|r| r.get("outputs")?.as_array())
            .flatten()
            .filter_map(|o| o.get("val"))
            .collect()
    }
}

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
/// whole (no deep merge).
///
/// ```
/// use idpkit::authz::authzen::{EvaluationItem, Resource};
/// let item = EvaluationItem::default().resource(Resource::new("todo", "1"));
/// assert_eq!(serde_json::to_string(&item).unwrap(), r#"{"resource":{"type":"todo","id":"1"}}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EvaluationItem {
    /// Overrides the default subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Subject>,
    /// Overrides the default action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    /// Overrides the default resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<Resource>,
    /// Overrides the default context.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_opt_map_no_nulls"
    )]
    pub context: Option<Context>,
}

impl EvaluationItem {
    /// Sets the subject.
    ///
    /// ```
    /// use idpkit::authz::authzen::{EvaluationItem, Subject};
    /// let item = EvaluationItem::default().subject(Subject::new("user", "bob"));
    /// assert_eq!(item.subject.unwrap().id, "bob");
    /// ```
    pub fn subject(mut self, subject: Subject) -> Self {
        self.subject = Some(subject);
        self
    }

    /// Sets the action.
    ///
    /// ```
    /// use idpkit::authz::authzen::{Action, EvaluationItem};
    /// let item = EvaluationItem::default().action(Action::new("read"));
    /// assert_eq!(item.action.unwrap().name, "read");
    /// ```
    pub fn action(mut self, action: Action) -> Self {
        self.action = Some(action);
        self
    }

    /// Sets the resource.
    ///
    /// ```
    /// use idpkit::authz::authzen::{EvaluationItem, Resource};
    /// let item = EvaluationItem::default().resource(Resource::new("doc", "1"));
    /// assert_eq!(item.resource.unwrap().id, "1");
    /// ```
    pub fn resource(mut self, resource: Resource) -> Self {
        self.resource = Some(resource);
        self
    }

    /// Sets the context.
    ///
    /// ```
    /// use idpkit::authz::authzen::{Context, EvaluationItem};
    /// let item = EvaluationItem::default().context(Context::new());
    /// assert_eq!(serde_json::to_string(&item).unwrap(), r#"{"context":{}}"#);
    /// ```
    pub fn context(mut self, context: Context) -> Self {
        self.context = Some(context);
        self
    }
}

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
/// let json = serde_json::to_value(&batch).unwrap();
/// assert_eq!(json["options"]["evaluations_semantic"], "deny_on_first_deny");
/// assert!(json.get("resource").is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EvaluationsRequest {
    /// The default subject of every item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Subject>,
    /// The default action of every item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    /// The default resource of every item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<Resource>,
    /// The default context of every item.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_opt_map_no_nulls"
    )]
    pub context: Option<Context>,
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

    /// Sets the default subject.
    ///
    /// ```
    /// use idpkit::authz::authzen::{EvaluationsRequest, Subject};
    /// let b = EvaluationsRequest::new().subject(Subject::new("user", "rick"));
    /// assert_eq!(b.subject.unwrap().id, "rick");
    /// ```
    pub fn subject(mut self, subject: Subject) -> Self {
        self.subject = Some(subject);
        self
    }

    /// Sets the default action.
    ///
    /// ```
    /// use idpkit::authz::authzen::{Action, EvaluationsRequest};
    /// let b = EvaluationsRequest::new().action(Action::new("read"));
    /// assert_eq!(b.action.unwrap().name, "read");
    /// ```
    pub fn action(mut self, action: Action) -> Self {
        self.action = Some(action);
        self
    }

    /// Sets the default resource.
    ///
    /// ```
    /// use idpkit::authz::authzen::{EvaluationsRequest, Resource};
    /// let b = EvaluationsRequest::new().resource(Resource::new("doc", "1"));
    /// assert_eq!(b.resource.unwrap().id, "1");
    /// ```
    pub fn resource(mut self, resource: Resource) -> Self {
        self.resource = Some(resource);
        self
    }

    /// Sets the default context.
    ///
    /// ```
    /// use idpkit::authz::authzen::{Context, EvaluationsRequest};
    /// let b = EvaluationsRequest::new().context(Context::new());
    /// assert!(b.context.is_some());
    /// ```
    pub fn context(mut self, context: Context) -> Self {
        self.context = Some(context);
        self
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
        for (i, item) in self.evaluations.iter().enumerate() {
            for (name, present, default) in [
                ("subject", item.subject.is_some(), self.subject.is_some()),
                ("action", item.action.is_some(), self.action.is_some()),
                ("resource", item.resource.is_some(), self.resource.is_some()),
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

/// The `page` of a search request (AuthZEN 1.0 `#search-pagination`).
///
/// ```
/// let p = idpkit::authz::authzen::Page::limit(10);
/// assert_eq!(serde_json::to_string(&p).unwrap(), r#"{"limit":10}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Page {
    /// The opaque token of the page to fetch (a previous answer's `next_token`); none for the
    /// first page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// The largest number of results wanted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    /// Implementation-specific options (sorting, filtering).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_opt_map_no_nulls"
    )]
    pub properties: Option<Properties>,
}

impl Page {
    /// A first page of at most `limit` results.
    ///
    /// ```
    /// assert_eq!(idpkit::authz::authzen::Page::limit(5).limit, Some(5));
    /// ```
    pub fn limit(limit: u64) -> Self {
        Page {
            limit: Some(limit),
            ..Page::default()
        }
    }
}

/// The `page` of a search response (AuthZEN 1.0 `#search-pagination`).
///
/// ```
/// let p: idpkit::authz::authzen::PageInfo = serde_json::from_str(r#"{"next_token":"","count":2}"#).unwrap();
/// assert!(p.is_last());
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PageInfo {
    /// The token of the next page; empty on the last page.
    #[serde(default)]
    pub next_token: String,
    /// How many results this page holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// How many results there are in all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    /// Implementation-specific members.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<Properties>,
}

impl PageInfo {
    /// Whether this is the last page (`next_token` empty).
    ///
    /// ```
    /// let p: idpkit::authz::authzen::PageInfo = serde_json::from_str(r#"{"next_token":"abc"}"#).unwrap();
    /// assert!(!p.is_last());
    /// ```
    pub fn is_last(&self) -> bool {
        self.next_token.is_empty()
    }
}

/// The answer to a search (AuthZEN 1.0 `#search-response`): the results, and the `page` when there may be
/// more.
///
/// ```
/// use idpkit::authz::authzen::{SearchResponse, Subject};
/// let r: SearchResponse<Subject> = serde_json::from_str(
///     r#"{"page":{"next_token":"t2","count":1},"results":[{"type":"user","id":"alice"}]}"#).unwrap();
/// assert_eq!(r.results[0].id, "alice");
/// assert_eq!(r.next_token(), Some("t2"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SearchResponse<T> {
    /// Paging information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<PageInfo>,
    /// Implementation-defined context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Context>,
    /// The entities found.
    pub results: Vec<T>,
}

impl<T> SearchResponse<T> {
    /// The token of the next page, if there is one.
    ///
    /// ```
    /// let r: idpkit::authz::authzen::SearchResponse<idpkit::authz::authzen::Action> =
    ///     serde_json::from_str(r#"{"results":[{"name":"can_read"}]}"#).unwrap();
    /// assert_eq!(r.next_token(), None);
    /// ```
    pub fn next_token(&self) -> Option<&str> {
        self.page
            .as_ref()
            .map(|p| p.next_token.as_str())
            .filter(|t| !t.is_empty())
    }
}

/// Which search API a request is for.
///
/// ```
/// assert_eq!(idpkit::authz::authzen::SearchKind::Action.default_path(), "/access/v1/search/action");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SearchKind {
    /// `POST /access/v1/search/subject`.
    Subject,
    /// `POST /access/v1/search/resource`.
    Resource,
    /// `POST /access/v1/search/action`.
    Action,
}

impl SearchKind {
    /// The specification's default path of this search.
    ///
    /// ```
    /// assert_eq!(idpkit::authz::authzen::SearchKind::Subject.default_path(), "/access/v1/search/subject");
    /// ```
    pub fn default_path(self) -> &'static str {
        match self {
            SearchKind::Subject => "/access/v1/search/subject",
            SearchKind::Resource => "/access/v1/search/resource",
            SearchKind::Action => "/access/v1/search/action",
        }
    }
}

/// A search request: what the paging helper of the clients needs to know about it.
///
/// ```
/// use idpkit::authz::authzen::{SearchRequest, SearchKind, ActionSearchRequest, Subject, Resource};
/// let mut r = ActionSearchRequest::new(Subject::new("user", "a"), Resource::new("doc", "1"));
/// r.page_mut().get_or_insert_with(Default::default).token = Some("t".into());
/// assert_eq!(ActionSearchRequest::KIND, SearchKind::Action);
/// ```
pub trait SearchRequest: Serialize + Clone + Send + Sync {
    /// The entities the search returns.
    type Result: DeserializeOwned + Send;
    /// Which search it is.
    const KIND: SearchKind;
    /// The request's `page`.
    fn page_mut(&mut self) -> &mut Option<Page>;
}

macro_rules! search_request {
    ($(#[$doc:meta])* $name:ident, $kind:ident, $result:ty, { $($(#[$fdoc:meta])* $field:ident : $ty:ty),* }, $example:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[non_exhaustive]
        pub struct $name {
            $($(#[$fdoc])* pub $field: $ty,)*
            /// The environment of the request; not sent when `None`.
            #[serde(
                default,
                skip_serializing_if = "Option::is_none",
                serialize_with = "ser_opt_map_no_nulls"
            )]
            pub context: Option<Context>,
            /// Paging; not sent when `None`.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub page: Option<Page>,
        }

        impl $name {
            /// A request without context or paging.
            ///
            /// ```
            /// use idpkit::authz::authzen::*;
            #[doc = $example]
            /// assert!(r.page.is_none());
            /// ```
            pub fn new($($field: $ty),*) -> Self {
                $name { $($field,)* context: None, page: None }
            }

            /// Sets the page (e.g. [`Page::limit`]).
            ///
            /// ```
            /// use idpkit::authz::authzen::*;
            #[doc = $example]
            /// let r = r.with_page(Page::limit(10));
            /// assert_eq!(r.page.unwrap().limit, Some(10));
            /// ```
            pub fn with_page(mut self, page: Page) -> Self {
                self.page = Some(page);
                self
            }
        }

        impl SearchRequest for $name {
            type Result = $result;
            const KIND: SearchKind = SearchKind::$kind;
            fn page_mut(&mut self) -> &mut Option<Page> {
                &mut self.page
            }
        }
    };
}

search_request!(
    /// Which subjects of a type may do `action` on `resource` (AuthZEN 1.0 `#subject-search-api`)? The subject
    /// carries only its type ([`Subject::of_type`]).
    SubjectSearchRequest, Subject, Subject,
    {
        /// The subject type searched for (its id is not sent when empty).
        subject: Subject,
        /// The action.
        action: Action,
        /// The resource.
        resource: Resource
    },
    "let r = SubjectSearchRequest::new(Subject::of_type(\"user\"), Action::new(\"read\"), Resource::new(\"doc\", \"1\"));"
);

search_request!(
    /// Which resources of a type may `subject` do `action` on (AuthZEN 1.0 `#resource-search-api`)? The resource
    /// carries only its type ([`Resource::of_type`]).
    ResourceSearchRequest, Resource, Resource,
    {
        /// The subject.
        subject: Subject,
        /// The action.
        action: Action,
        /// The resource type searched for (its id is not sent when empty).
        resource: Resource
    },
    "let r = ResourceSearchRequest::new(Subject::new(\"user\", \"a\"), Action::new(\"read\"), Resource::of_type(\"doc\"));"
);

search_request!(
    /// Which actions may `subject` do on `resource` (AuthZEN 1.0 `#action-search-api`)? There is no `action`
    /// member.
    ActionSearchRequest, Action, Action,
    {
        /// The subject.
        subject: Subject,
        /// The resource.
        resource: Resource
    },
    "let r = ActionSearchRequest::new(Subject::new(\"user\", \"a\"), Resource::new(\"doc\", \"1\"));"
);

/// A policy decision point's identifier (`policy_decision_point`), validated: an `https` URL
/// (plain `http` only on loopback, for tests) without query or fragment, kept verbatim since
/// the PDP's metadata must repeat it exactly.
///
/// ```
/// use idpkit::authz::authzen::PdpId;
/// let id = PdpId::new("https://pdp.example.com/tenant1").unwrap();
/// assert_eq!(id.metadata_url().as_str(), "https://pdp.example.com/.well-known/authzen-configuration/tenant1");
/// assert!(PdpId::new("http://pdp.example.com").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PdpId {
    raw: String,
    url: url::Url,
}

impl PdpId {
    /// Validates an identifier.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`] when it is not a URL, not https (outside loopback), or has a query,
    /// fragment or credentials.
    ///
    /// ```
    /// assert!(idpkit::authz::authzen::PdpId::new("https://pdp.example?x=1").is_err());
    /// assert!(idpkit::authz::authzen::PdpId::new("http://127.0.0.1:3592").is_ok());
    /// ```
    pub fn new(id: impl Into<String>) -> Result<Self> {
        let raw = id.into();
        let url = h::require_secure_url("the PDP URL", &raw)?;
        if url.query().is_some() || url.fragment().is_some() {
            return Err(Error::config(format!(
                "the PDP URL must not have a query or fragment: {raw:?}"
            )));
        }
        Ok(PdpId { raw, url })
    }

    /// The identifier exactly as configured.
    ///
    /// ```
    /// assert_eq!(idpkit::authz::authzen::PdpId::new("https://pdp.example").unwrap().as_str(), "https://pdp.example");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The metadata URL (AuthZEN 1.0 `#pdp-metadata-access`, RFC 8615): `/.well-known/authzen-configuration`
    /// inserted between the host and the path (a terminating `/` of the path removed).
    ///
    /// ```
    /// use idpkit::authz::authzen::PdpId;
    /// assert_eq!(PdpId::new("https://pdp.example/").unwrap().metadata_url().as_str(),
    ///            "https://pdp.example/.well-known/authzen-configuration");
    /// ```
    pub fn metadata_url(&self) -> url::Url {
        let mut url = self.url.clone();
        let path = self.url.path().trim_end_matches('/');
        url.set_path(&format!("/.well-known/authzen-configuration{path}"));
        url
    }

    /// `path` appended to the identifier's path: where a default endpoint is.
    ///
    /// ```
    /// use idpkit::authz::authzen::PdpId;
    /// assert_eq!(PdpId::new("https://pdp.example/t1/").unwrap().join("/access/v1/evaluation").as_str(),
    ///            "https://pdp.example/t1/access/v1/evaluation");
    /// ```
    pub fn join(&self, path: &str) -> url::Url {
        let mut url = self.url.clone();
        let base = self.url.path().trim_end_matches('/');
        url.set_path(&format!("{base}{path}"));
        url
    }
}

impl std::fmt::Display for PdpId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.raw)
    }
}

/// The default path of the access evaluation API.
pub const DEFAULT_EVALUATION_PATH: &str = "/access/v1/evaluation";
/// The default path of the access evaluations (batch) API.
pub const DEFAULT_EVALUATIONS_PATH: &str = "/access/v1/evaluations";

/// A PDP's metadata (AuthZEN 1.0 `#pdp-metadata-data`), from `/.well-known/authzen-configuration`. Members
/// this version does not model are kept in [`additional`](Self::additional).
///
/// ```
/// let m: idpkit::authz::authzen::PdpMetadata = serde_json::from_value(serde_json::json!({
///     "policy_decision_point": "https://pdp.example",
///     "access_evaluation_endpoint": "https://pdp.example/access/v1/evaluation",
///     "supported_capabilities": ["urn:x"],
/// })).unwrap();
/// assert!(m.supports_capability("urn:x"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PdpMetadata {
    /// The PDP's identifier; must equal the configured one exactly.
    pub policy_decision_point: String,
    /// The access evaluation endpoint (REQUIRED by the specification; the default path when
    /// missing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_evaluation_endpoint: Option<String>,
    /// The access evaluations (batch) endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_evaluations_endpoint: Option<String>,
    /// The subject search endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search_subject_endpoint: Option<String>,
    /// The resource search endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search_resource_endpoint: Option<String>,
    /// The action search endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search_action_endpoint: Option<String>,
    /// Capability URNs (the metadata section's name).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capabilities: Vec<String>,
    /// Capability URNs under the name the pagination section uses; read as well.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub supported_capabilities: Vec<String>,
    /// Signed metadata (a JWT), kept but not verified by this version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_metadata: Option<String>,
    /// Every other member.
    #[serde(flatten)]
    pub additional: Properties,
}

const METADATA: &str = "AuthZEN PDP metadata (JSON)";
const DECISION: &str = "an AuthZEN decision (JSON)";
const EVALUATIONS: &str = "an AuthZEN evaluations response (JSON)";
const SEARCH: &str = "an AuthZEN search response (JSON)";

impl PdpMetadata {
    /// Whether the PDP advertises a capability, under either member name.
    ///
    /// ```
    /// let m: idpkit::authz::authzen::PdpMetadata = serde_json::from_str(
    ///     r#"{"policy_decision_point":"https://pdp.example","capabilities":["urn:a"]}"#).unwrap();
    /// assert!(m.supports_capability("urn:a"));
    /// assert!(!m.supports_capability("urn:b"));
    /// ```
    pub fn supports_capability(&self, urn: &str) -> bool {
        self.capabilities
            .iter()
            .chain(&self.supported_capabilities)
            .any(|c| c == urn)
    }

    /// Checks the metadata against the configured identifier: `policy_decision_point` must
    /// equal it exactly (mix-up defence, AuthZEN 1.0 `#pdp-metadata-data-endpoint-validation`) and every endpoint must be https
    /// (http only on loopback).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::PdpMismatch`] for another identifier, [`ErrorKind::MalformedResponse`] for
    /// an unacceptable endpoint URL.
    ///
    /// ```
    /// use idpkit::authz::authzen::{PdpId, PdpMetadata};
    /// let m: PdpMetadata = serde_json::from_str(r#"{"policy_decision_point":"https://pdp.example"}"#).unwrap();
    /// assert!(m.validate(&PdpId::new("https://pdp.example").unwrap()).is_ok());
    /// assert!(m.validate(&PdpId::new("https://pdp.example/").unwrap()).is_err());
    /// ```
    pub fn validate(&self, id: &PdpId) -> Result<()> {
        if self.policy_decision_point != id.as_str() {
            return Err(ErrorKind::PdpMismatch {
                expected: id.as_str().to_owned(),
                actual: self.policy_decision_point.clone(),
            }
            .into());
        }
        self.endpoints(id).map(drop)
    }

    /// The endpoint URLs: those advertised, the default paths under the identifier for the
    /// others.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::MalformedResponse`] for an advertised endpoint that is not an acceptable
    /// URL.
    ///
    /// ```
    /// use idpkit::authz::authzen::{PdpId, PdpMetadata};
    /// let m: PdpMetadata = serde_json::from_str(r#"{"policy_decision_point":"https://pdp.example",
    ///     "access_evaluation_endpoint":"https://pdp.example/v1/eval"}"#).unwrap();
    /// let e = m.endpoints(&PdpId::new("https://pdp.example").unwrap()).unwrap();
    /// assert_eq!(e.evaluation.as_str(), "https://pdp.example/v1/eval");
    /// assert_eq!(e.evaluations.as_str(), "https://pdp.example/access/v1/evaluations");
    /// ```
    pub fn endpoints(&self, id: &PdpId) -> Result<PdpEndpoints> {
        let pick = |name: &str, value: &Option<String>, default: &str| -> Result<url::Url> {
            match value {
                Some(v) => h::require_secure_url(name, v).map_err(|e| match e.into_kind() {
                    ErrorKind::Config { message } => Error::malformed(METADATA, message),
                    other => other.into(),
                }),
                None => Ok(id.join(default)),
            }
        };
        Ok(PdpEndpoints {
            evaluation: pick(
                "access_evaluation_endpoint",
                &self.access_evaluation_endpoint,
                DEFAULT_EVALUATION_PATH,
            )?,
            evaluations: pick(
                "access_evaluations_endpoint",
                &self.access_evaluations_endpoint,
                DEFAULT_EVALUATIONS_PATH,
            )?,
            search_subject: pick(
                "search_subject_endpoint",
                &self.search_subject_endpoint,
                SearchKind::Subject.default_path(),
            )?,
            search_resource: pick(
                "search_resource_endpoint",
                &self.search_resource_endpoint,
                SearchKind::Resource.default_path(),
            )?,
            search_action: pick(
                "search_action_endpoint",
                &self.search_action_endpoint,
                SearchKind::Action.default_path(),
            )?,
        })
    }
}

/// Where each API of a PDP is.
///
/// ```
/// use idpkit::authz::authzen::{PdpEndpoints, PdpId, SearchKind};
/// let e = PdpEndpoints::defaults(&PdpId::new("https://pdp.example").unwrap());
/// assert_eq!(e.search(SearchKind::Resource).as_str(), "https://pdp.example/access/v1/search/resource");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PdpEndpoints {
    /// Access evaluation.
    pub evaluation: url::Url,
    /// Access evaluations (batch).
    pub evaluations: url::Url,
    /// Subject search.
    pub search_subject: url::Url,
    /// Resource search.
    pub search_resource: url::Url,
    /// Action search.
    pub search_action: url::Url,
}

impl PdpEndpoints {
    /// The specification's default paths under the identifier.
    ///
    /// ```
    /// use idpkit::authz::authzen::{PdpEndpoints, PdpId};
    /// let e = PdpEndpoints::defaults(&PdpId::new("https://pdp.example").unwrap());
    /// assert_eq!(e.evaluation.as_str(), "https://pdp.example/access/v1/evaluation");
    /// ```
    pub fn defaults(id: &PdpId) -> Self {
        PdpEndpoints {
            evaluation: id.join(DEFAULT_EVALUATION_PATH),
            evaluations: id.join(DEFAULT_EVALUATIONS_PATH),
            search_subject: id.join(SearchKind::Subject.default_path()),
            search_resource: id.join(SearchKind::Resource.default_path()),
            search_action: id.join(SearchKind::Action.default_path()),
        }
    }

    /// The endpoint of a search.
    ///
    /// ```
    /// use idpkit::authz::authzen::{PdpEndpoints, PdpId, SearchKind};
    /// let e = PdpEndpoints::defaults(&PdpId::new("https://pdp.example").unwrap());
    /// assert!(e.search(SearchKind::Subject).path().ends_with("/subject"));
    /// ```
    pub fn search(&self, kind: SearchKind) -> &url::Url {
        match kind {
            SearchKind::Subject => &self.search_subject,
            SearchKind::Resource => &self.search_resource,
            SearchKind::Action => &self.search_action,
        }
    }
}

/// The metadata request: `GET` the identifier's [metadata URL](PdpId::metadata_url).
///
/// # Errors
///
/// [`ErrorKind::Config`] if the URL cannot form an HTTP request.
///
/// ```
/// use idpkit::authz::authzen::{build_metadata_request, PdpId};
/// let req = build_metadata_request(&PdpId::new("https://pdp.example").unwrap(), Default::default()).unwrap();
/// assert_eq!(req.uri(), "https://pdp.example/.well-known/authzen-configuration");
/// ```
pub fn build_metadata_request(id: &PdpId, limits: RequestLimits) -> Result<HttpRequest> {
    h::get_json(&id.metadata_url(), limits)
}

/// Parses and validates the metadata response for `id` (see [`PdpMetadata::validate`]).
///
/// # Errors
///
/// [`ErrorKind::Status`] for a non-2xx answer, [`ErrorKind::MalformedResponse`] for anything
/// but metadata JSON, [`ErrorKind::PdpMismatch`] for another identifier.
///
/// ```
/// use std::time::SystemTime;
/// use idpkit::authz::authzen::{parse_metadata_response, PdpId};
/// let body = br#"{"policy_decision_point":"https://pdp.example"}"#;
/// let resp = http::Response::builder().header("content-type", "application/json").body(body.to_vec()).unwrap();
/// let m = parse_metadata_response(&PdpId::new("https://pdp.example").unwrap(), resp, SystemTime::now()).unwrap();
/// assert!(m.access_evaluations_endpoint.is_none());
/// ```
pub fn parse_metadata_response(
    id: &PdpId,
    response: HttpResponse,
    now: SystemTime,
) -> Result<PdpMetadata> {
    let metadata: PdpMetadata = h::parse_json(response, METADATA, now)?;
    metadata.validate(id)?;
    Ok(metadata)
}

/// A JSON `POST` of `body` to `endpoint` with a fresh random `X-Request-ID`.
fn post(endpoint: &url::Url, body: &impl Serialize, limits: RequestLimits) -> Result<HttpRequest> {
    let mut request = h::post_json(endpoint, body, limits)?;
    let id = crate::oidc::pkce::random_urlsafe(16);
    let value = HeaderValue::from_str(&id)
        .map_err(|e| Error::config(format!("cannot build the request id: {e}")))?;
    request.headers_mut().insert(REQUEST_ID_HEADER, value);
    Ok(request)
}

/// The access evaluation request: a JSON `POST` of `request` to `endpoint`, with a fresh
/// random `X-Request-ID`.
///
/// # Errors
///
/// [`ErrorKind::Config`] if the request cannot be built.
///
/// ```
/// use idpkit::authz::authzen::*;
/// let endpoint = url::Url::parse("https://pdp.example/access/v1/evaluation").unwrap();
/// let r = EvaluationRequest::new(Subject::new("user", "a"), Action::new("read"), Resource::new("doc", "1"));
/// let req = build_evaluation_request(&endpoint, &r, Default::default()).unwrap();
/// assert_eq!(req.method(), "POST");
/// assert_eq!(req.headers()["content-type"], "application/json");
/// assert_eq!(req.headers()["x-request-id"].len(), 22);
/// ```
pub fn build_evaluation_request(
    endpoint: &url::Url,
    request: &EvaluationRequest,
    limits: RequestLimits,
) -> Result<HttpRequest> {
    post(endpoint, request, limits)
}

/// Parses an access evaluation response: a 2xx JSON [`Decision`]. A deny is a decision, never
/// an error.
///
/// # Errors
///
/// [`ErrorKind::Status`] for a non-2xx answer (Cerbos' JSON error body is kept in the
/// excerpt), [`ErrorKind::MalformedResponse`] for anything but a decision.
///
/// ```
/// use std::time::SystemTime;
/// let resp = http::Response::builder().header("content-type", "application/json")
///     .body(br#"{"decision":false}"#.to_vec()).unwrap();
/// let d = idpkit::authz::authzen::parse_evaluation_response(resp, SystemTime::now()).unwrap();
/// assert!(!d.is_permitted());
/// ```
pub fn parse_evaluation_response(response: HttpResponse, now: SystemTime) -> Result<Decision> {
    h::parse_json(response, DECISION, now)
}

/// The access evaluations (batch) request, after [`EvaluationsRequest::validate`].
///
/// # Errors
///
/// [`ErrorKind::Config`] for an empty or incomplete batch, or if the request cannot be built.
///
/// ```
/// use idpkit::authz::authzen::*;
/// let endpoint = url::Url::parse("https://pdp.example/access/v1/evaluations").unwrap();
/// let b = EvaluationsRequest::new().subject(Subject::new("user", "a")).action(Action::new("read"))
///     .item(EvaluationItem::default().resource(Resource::new("doc", "1")));
/// let req = build_evaluations_request(&endpoint, &b, Default::default()).unwrap();
/// assert!(req.headers().contains_key("x-request-id"));
/// assert!(build_evaluations_request(&endpoint, &EvaluationsRequest::new(), Default::default()).is_err());
/// ```
pub fn build_evaluations_request(
    endpoint: &url::Url,
    request: &EvaluationsRequest,
    limits: RequestLimits,
) -> Result<HttpRequest> {
    request.validate()?;
    post(endpoint, request, limits)
}

/// Parses an access evaluations response: a 2xx JSON object with an `evaluations` array. Check
/// the length with [`EvaluationsResponse::check_against`] (the clients do).
///
/// # Errors
///
/// As [`parse_evaluation_response`].
///
/// ```
/// use std::time::SystemTime;
/// let resp = http::Response::builder().header("content-type", "application/json")
///     .body(br#"{"evaluations":[{"decision":true}]}"#.to_vec()).unwrap();
/// let r = idpkit::authz::authzen::parse_evaluations_response(resp, SystemTime::now()).unwrap();
/// assert_eq!(r.decisions(), [true]);
/// ```
pub fn parse_evaluations_response(
    response: HttpResponse,
    now: SystemTime,
) -> Result<EvaluationsResponse> {
    #[derive(Deserialize)]
    struct Wire {
        evaluations: Vec<Decision>,
        #[serde(default)]
        decision: Option<bool>,
    }
    let wire: Wire = h::parse_json(response, EVALUATIONS, now)?;
    Ok(EvaluationsResponse {
        evaluations: wire.evaluations,
        decision: wire.decision,
    })
}

/// A search request: a JSON `POST` of `request` to `endpoint` with a fresh `X-Request-ID`.
///
/// # Errors
///
/// [`ErrorKind::Config`] if the request cannot be built.
///
/// ```
/// use idpkit::authz::authzen::*;
/// let endpoint = url::Url::parse("https://pdp.example/access/v1/search/action").unwrap();
/// let r = ActionSearchRequest::new(Subject::new("user", "a"), Resource::new("doc", "1"));
/// let req = build_search_request(&endpoint, &r, Default::default()).unwrap();
/// assert_eq!(req.body(), br#"{"subject":{"type":"user","id":"a"},"resource":{"type":"doc","id":"1"}}"#);
/// ```
pub fn build_search_request<R: SearchRequest>(
    endpoint: &url::Url,
    request: &R,
    limits: RequestLimits,
) -> Result<HttpRequest> {
    post(endpoint, request, limits)
}

/// Parses a search response: a 2xx JSON object with a `results` array of `T`.
///
/// # Errors
///
/// [`ErrorKind::Status`] for a non-2xx answer (a PDP without the search API answers 404),
/// [`ErrorKind::MalformedResponse`] for anything else that is not a search response.
///
/// ```
/// use std::time::SystemTime;
/// use idpkit::authz::authzen::{parse_search_response, Resource};
/// let resp = http::Response::builder().header("content-type", "application/json")
///     .body(br#"{"results":[{"type":"doc","id":"1"}]}"#.to_vec()).unwrap();
/// let r = parse_search_response::<Resource>(resp, SystemTime::now()).unwrap();
/// assert_eq!(r.results.len(), 1);
/// ```
pub fn parse_search_response<T: DeserializeOwned>(
    response: HttpResponse,
    now: SystemTime,
) -> Result<SearchResponse<T>> {
    h::parse_json(response, SEARCH, now)
}

/// Sets `Authorization: Bearer <token>` (marked sensitive) on a request.
///
/// # Errors
///
/// [`ErrorKind::Config`] for an empty token or one that cannot be a header value.
///
/// ```
/// use idpkit::authz::authzen::*;
/// let endpoint = url::Url::parse("https://pdp.example/access/v1/evaluation").unwrap();
/// let r = EvaluationRequest::new(Subject::new("user", "a"), Action::new("read"), Resource::new("doc", "1"));
/// let mut req = build_evaluation_request(&endpoint, &r, Default::default()).unwrap();
/// set_bearer(&mut req, "key-1").unwrap();
/// assert_eq!(req.headers()["authorization"], "Bearer key-1");
/// assert!(req.headers()["authorization"].is_sensitive());
/// ```
pub fn set_bearer(request: &mut HttpRequest, token: &str) -> Result<()> {
    if token.is_empty() {
        return Err(Error::config("the PDP API key must not be empty"));
    }
    let mut value = HeaderValue::from_str(&format!("Bearer {token}"))
        .map_err(|_| Error::config("the PDP API key is not a valid header value"))?;
    value.set_sensitive(true);
    request.headers_mut().insert(AUTHORIZATION, value);
    Ok(())
}

/// When to try a failed PDP call again, and after how long.
///
/// Only retryable errors ([`Error::is_retryable`]: timeouts, transport failures, 408, 425, 429,
/// 5xx) are retried, never another 4xx or a malformed answer. The server's `Retry-After` is
/// honoured, capped at `max_delay`; otherwise the delay doubles from `base_delay` at each
/// retry, capped at `max_delay`.
///
/// ```
/// use std::time::Duration;
/// use idpkit::{Error, ErrorKind, authz::authzen::RetryPolicy};
/// let policy = RetryPolicy::default();
/// let busy = Error::from(ErrorKind::Status { status: 503, body_excerpt: String::new(), retry_after: None });
/// assert_eq!(policy.delay(0, &busy), Some(Duration::from_millis(100)));
/// assert_eq!(policy.delay(1, &busy), Some(Duration::from_millis(200)));
/// assert_eq!(policy.delay(2, &busy), None); // max_retries = 2
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// How many times a call is retried after its first attempt (default 2).
    pub max_retries: u32,
    /// The first backoff delay (default 100 ms).
    pub base_delay: Duration,
    /// The longest delay, also for `Retry-After` (default 2 s).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// A policy with these numbers.
    ///
    /// ```
    /// use std::time::Duration;
    /// let p = idpkit::authz::authzen::RetryPolicy::new(3, Duration::from_millis(50), Duration::from_secs(1));
    /// assert_eq!(p.max_retries, 3);
    /// ```
    pub fn new(max_retries: u32, base_delay: Duration, max_delay: Duration) -> Self {
        RetryPolicy {
            max_retries,
            base_delay,
            max_delay,
        }
    }

    /// A policy that never retries.
    ///
    /// ```
    /// use idpkit::{Error, ErrorKind};
    /// assert_eq!(idpkit::authz::authzen::RetryPolicy::none().delay(0, &Error::from(ErrorKind::Timeout)), None);
    /// ```
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// How long to wait before retry number `attempt + 1` after `err` (`attempt` counts the
    /// retries already made), or `None` to give up.
    ///
    /// A 429 that Cerbos sends for an oversized request (gRPC `RESOURCE_EXHAUSTED`, "received
    /// message larger than max") is not rate limiting and is not retried.
    ///
    /// ```
    /// use std::time::Duration;
    /// use idpkit::{Error, ErrorKind, authz::authzen::RetryPolicy};
    /// let p = RetryPolicy::default();
    /// let slow = Error::from(ErrorKind::Status { status: 429, body_excerpt: String::new(), retry_after: Some(Duration::from_secs(60)) });
    /// assert_eq!(p.delay(0, &slow), Some(Duration::from_secs(2))); // capped
    /// let bad = Error::from(ErrorKind::Status { status: 400, body_excerpt: String::new(), retry_after: None });
    /// assert_eq!(p.delay(0, &bad), None);
    /// ```
    pub fn delay(&self, attempt: u32, err: &Error) -> Option<Duration> {
        if attempt >= self.max_retries || !err.is_retryable() {
            return None;
        }
        if let ErrorKind::Status {
            status: 429,
            body_excerpt,
            ..
        } = err.kind()
            && body_excerpt.contains("larger than max")
        {
            return None;
        }
        if let Some(wait) = err.retry_after() {
            return Some(wait.min(self.max_delay));
        }
        let factor = 2u32.saturating_pow(attempt);
        Some(self.base_delay.saturating_mul(factor).min(self.max_delay))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn json_response(status: u16, v: &Value) -> HttpResponse {
        http::Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(serde_json::to_vec(v).unwrap())
            .unwrap()
    }

    fn no_nulls(v: &Value) -> bool {
        match v {
            Value::Null => false,
            Value::Array(a) => a.iter().all(no_nulls),
            Value::Object(o) => o.values().all(no_nulls),
            _ => true,
        }
    }

    #[test]
    fn serialisation_is_strict_no_nulls_no_empty_members() {
        let mut props = Properties::new();
        props.insert("a".into(), Value::Null);
        props.insert("b".into(), json!(1));
        let mut subject = Subject::new("user", "alice");
        subject.properties = props.clone();
        let mut ctx = Context::new();
        ctx.insert("gone".into(), Value::Null);
        let request = EvaluationRequest {
            subject,
            action: Action::new("read"),
            resource: Resource::new("doc", "1"),
            context: Some(ctx),
        };
        let v = serde_json::to_value(&request).unwrap();
        assert!(no_nulls(&v), "{v}");
        assert_eq!(
            v,
            json!({"subject": {"type": "user", "id": "alice", "properties": {"b": 1}},
                   "action": {"name": "read"}, "resource": {"type": "doc", "id": "1"}, "context": {}})
        );
        let batch = EvaluationsRequest::new()
            .item(EvaluationItem::default())
            .semantic(EvaluationsSemantic::ExecuteAll);
        let v = serde_json::to_value(&batch).unwrap();
        assert_eq!(
            v,
            json!({"evaluations": [{}], "options": {"evaluations_semantic": "execute_all"}})
        );
        let search = SubjectSearchRequest::new(
            Subject::of_type("user"),
            Action::new("read"),
            Resource::new("doc", "1"),
        )
        .with_page(Page::default());
        let v = serde_json::to_value(&search).unwrap();
        assert_eq!(
            v,
            json!({"subject": {"type": "user"}, "action": {"name": "read"},
                   "resource": {"type": "doc", "id": "1"}, "page": {}})
        );
    }

    #[test]
    fn requests_round_trip_through_the_published_shapes() {
        let wire = json!({
            "subject": {"type": "user", "id": "rick"},
            "action": {"name": "can_update_todo"},
            "evaluations": [
                {"resource": {"type": "todo", "id": "1", "properties": {"ownerID": "rick@the-citadel.com"}}},
                {"resource": {"type": "todo", "id": "2"}, "context": {"k": "v"}}
            ],
            "options": {"evaluations_semantic": "permit_on_first_permit", "another_option": "value"}
        });
        let batch: EvaluationsRequest = serde_json::from_value(wire.clone()).unwrap();
        assert_eq!(
            batch.semantic_or_default(),
            EvaluationsSemantic::PermitOnFirstPermit
        );
        assert_eq!(serde_json::to_value(&batch).unwrap(), wire);
        batch.validate().unwrap();
    }

    #[test]
    fn decision_keeps_unknown_context_and_reads_cerbos_meta() {
        let body = json!({"decision": false, "context": {"cerbos.response": {"results": [{
            "actions": {"delete": "EFFECT_DENY"},
            "meta": {"actions": {"delete": {"matchedPolicy": "resource.document.vdefault"}},
                     "effectiveDerivedRoles": ["owning_editor", "admin"]},
            "outputs": [{"action": "delete", "src": "a", "val": "owner:alice"},
                        {"action": "delete", "src": "b", "val": {"document": "d1", "reason": "document is locked"}}],
            "resource": {"id": "d1", "kind": "document"}}]}, "vendor": [1, 2]}});
        let d = parse_evaluation_response(json_response(200, &body), SystemTime::now()).unwrap();
        assert!(!d.is_permitted());
        assert_eq!(d.policy_id(), Some("resource.document.vdefault"));
        assert_eq!(d.access_path(), ["admin", "owning_editor"]);
        assert_eq!(d.outputs().len(), 2);
        assert_eq!(d.outputs()[1]["reason"], "document is locked");
        assert_eq!(d.get("vendor"), Some(&json!([1, 2])));
        assert_eq!(serde_json::to_value(&d).unwrap(), body);
        assert_eq!(d.reason(), None);
        assert!(d.error().is_none());
    }

    #[test]
    fn decision_accessors_for_spec_examples() {
        let d: Decision = serde_json::from_value(json!({"decision": false, "context": {
            "error": {"status": "404", "message": "Resource not found"}, "policy_id": "p1",
            "roles": ["viewer"]}}))
        .unwrap();
        assert_eq!(d.error().unwrap().status, Some(404));
        assert_eq!(d.policy_id(), Some("p1"));
        assert_eq!(d.access_path(), ["viewer"]);
        assert_eq!(d.code(), None);
    }

    #[test]
    fn evaluations_response_length_rules() {
        let item = || EvaluationItem::default().resource(Resource::new("doc", "1"));
        let base = EvaluationsRequest::new()
            .subject(Subject::new("user", "a"))
            .action(Action::new("read"))
            .item(item())
            .item(item())
            .item(item());
        let resp = |d: &[bool]| EvaluationsResponse {
            evaluations: d.iter().map(|&b| Decision::new(b)).collect(),
            decision: None,
        };
        let deny = base.clone().semantic(EvaluationsSemantic::DenyOnFirstDeny);
        let permit = base
            .clone()
            .semantic(EvaluationsSemantic::PermitOnFirstPermit);
        assert!(resp(&[true, true, true]).check_against(&base).is_ok());
        assert!(resp(&[true, false]).check_against(&base).is_err());
        assert!(resp(&[true, false]).check_against(&deny).is_ok());
        assert!(resp(&[true, true]).check_against(&deny).is_err());
        assert!(resp(&[false, true]).check_against(&permit).is_ok());
        assert!(resp(&[false, false]).check_against(&permit).is_err());
        assert!(resp(&[]).check_against(&deny).is_err());
        assert!(resp(&[true; 4]).check_against(&base).is_err());
        assert_eq!(
            resp(&[true, false]).decided_by(EvaluationsSemantic::DenyOnFirstDeny),
            Some(1)
        );
        assert!(resp(&[false, true]).outcome(EvaluationsSemantic::PermitOnFirstPermit));
        assert!(!resp(&[true, false]).outcome(EvaluationsSemantic::DenyOnFirstDeny));
        assert!(resp(&[true, true, true]).outcome(EvaluationsSemantic::ExecuteAll));
    }

    #[test]
    fn evaluations_validation() {
        assert!(EvaluationsRequest::new().validate().is_err());
        let complete = EvaluationItem::default()
            .subject(Subject::new("user", "a"))
            .action(Action::new("read"))
            .resource(Resource::new("doc", "1"));
        assert!(EvaluationsRequest::new().item(complete).validate().is_ok());
        let err = EvaluationsRequest::new()
            .subject(Subject::new("user", "a"))
            .item(EvaluationItem::default().action(Action::new("read")))
            .validate()
            .unwrap_err();
        assert!(err.to_string().contains("resource"), "{err}");
    }

    #[test]
    fn metadata_discovery_rules() {
        let id = PdpId::new("http://127.0.0.1:44775").unwrap();
        assert_eq!(
            id.metadata_url().as_str(),
            "http://127.0.0.1:44775/.well-known/authzen-configuration"
        );
        let cerbos = json!({"policy_decision_point": "http://127.0.0.1:44775",
            "access_evaluation_endpoint": "http://127.0.0.1:44775/access/v1/evaluation",
            "access_evaluations_endpoint": "http://127.0.0.1:44775/access/v1/evaluations"});
        let m =
            parse_metadata_response(&id, json_response(200, &cerbos), SystemTime::now()).unwrap();
        let e = m.endpoints(&id).unwrap();
        assert_eq!(
            e.search_action.as_str(),
            "http://127.0.0.1:44775/access/v1/search/action"
        );
        let other = PdpId::new("http://localhost:44775").unwrap();
        let err = parse_metadata_response(&other, json_response(200, &cerbos), SystemTime::now())
            .unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::PdpMismatch { actual, .. } if actual == "http://127.0.0.1:44775"),
            "{err:?}"
        );
        let mut insecure = cerbos.clone();
        insecure["access_evaluations_endpoint"] = json!("http://pdp.example/x");
        let err = parse_metadata_response(&id, json_response(200, &insecure), SystemTime::now())
            .unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::MalformedResponse { .. }),
            "{err:?}"
        );
        let both: PdpMetadata =
            serde_json::from_value(json!({"policy_decision_point": "https://p",
            "capabilities": ["urn:a"], "supported_capabilities": ["urn:b"], "x": 1}))
            .unwrap();
        assert!(both.supports_capability("urn:a") && both.supports_capability("urn:b"));
        assert_eq!(both.additional["x"], 1);
        let tenant = PdpId::new("https://pdp.example.com/tenant1/").unwrap();
        assert_eq!(
            tenant.metadata_url().as_str(),
            "https://pdp.example.com/.well-known/authzen-configuration/tenant1"
        );
        assert_eq!(
            PdpEndpoints::defaults(&tenant).evaluations.as_str(),
            "https://pdp.example.com/tenant1/access/v1/evaluations"
        );
    }

    #[test]
    fn request_ids_are_fresh_and_errors_are_typed() {
        let endpoint = url::Url::parse("https://pdp.example/access/v1/evaluation").unwrap();
        let r = EvaluationRequest::new(
            Subject::new("user", "a"),
            Action::new("read"),
            Resource::new("doc", "1"),
        );
        let a = build_evaluation_request(&endpoint, &r, RequestLimits::default()).unwrap();
        let b = build_evaluation_request(&endpoint, &r, RequestLimits::default()).unwrap();
        assert_ne!(
            a.headers()[REQUEST_ID_HEADER],
            b.headers()[REQUEST_ID_HEADER]
        );
        let err = parse_evaluation_response(
            json_response(400, &json!({"code": 3, "message": "unknown field \"foo\""})),
            SystemTime::now(),
        )
        .unwrap_err();
        assert_eq!(err.status(), Some(400));
        let garbage = http::Response::builder()
            .header("content-type", "application/json")
            .body(br#"{"decision": "secret-value""#.to_vec())
            .unwrap();
        let err = parse_evaluation_response(garbage, SystemTime::now()).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::MalformedResponse { .. }));
        assert!(!format!("{err:?}").contains("secret-value"));
        let err = parse_evaluations_response(json_response(200, &json!({})), SystemTime::now())
            .unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::MalformedResponse { .. }));
        let mut req = a;
        assert!(set_bearer(&mut req, "").is_err());
    }

    #[test]
    fn retry_policy() {
        let p = RetryPolicy::default();
        let status = |s, ra: Option<u64>| {
            Error::from(ErrorKind::Status {
                status: s,
                body_excerpt: String::new(),
                retry_after: ra.map(Duration::from_secs),
            })
        };
        assert_eq!(
            p.delay(0, &status(500, None)),
            Some(Duration::from_millis(100))
        );
        assert_eq!(
            p.delay(1, &Error::from(ErrorKind::Timeout)),
            Some(Duration::from_millis(200))
        );
        assert_eq!(p.delay(2, &status(500, None)), None);
        assert_eq!(
            p.delay(0, &status(429, Some(1))),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            p.delay(0, &status(503, Some(30))),
            Some(Duration::from_secs(2))
        );
        for s in [400, 401, 403, 404] {
            assert_eq!(p.delay(0, &status(s, Some(1))), None, "{s}");
        }
        assert_eq!(p.delay(0, &Error::malformed("x", "y")), None);
        let big = RetryPolicy::new(40, Duration::from_millis(100), Duration::from_secs(2));
        assert_eq!(
            big.delay(39, &status(502, None)),
            Some(Duration::from_secs(2))
        );
        let oversized = Error::from(ErrorKind::Status {
            status: 429,
            body_excerpt: r#"{"code":8, "message":"grpc: received message larger than max (5243005 vs. 4194304)"}"#.into(),
            retry_after: None,
        });
        assert_eq!(p.delay(0, &oversized), None);
    }
}
