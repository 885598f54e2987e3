//! The information model (AuthZEN 1.0 `#information-model`): [`Subject`], [`Resource`],
//! [`Action`], [`Context`], one [`EvaluationRequest`] and its answer, the [`Decision`], with the
//! strict serialisation helpers every request type shares.

use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

/// A JSON object: the `properties` of subjects, resources and actions, and the free-form
/// [`Context`].
pub type Properties = serde_json::Map<String, Value>;

/// The context of a request or a decision: a free-form JSON object (AuthZEN 1.0 `#context`, `#decision-context`).
pub type Context = serde_json::Map<String, Value>;

/// Serialises a map without its `null` members (the specification: properties with a `null`
/// value SHOULD be omitted; some PDPs reject them).
pub(super) fn ser_map_no_nulls<S: Serializer>(
    map: &Properties,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.collect_map(map.iter().filter(|(_, v)| !v.is_null()))
}

pub(super) fn ser_opt_map_no_nulls<S: Serializer>(
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
/// [`context`](Self::context). The accessors read the members PDPs commonly use; the Cerbos
/// extensions ([`cerbos_response`](Self::cerbos_response), [`policy_id`](Self::policy_id),
/// [`access_path`](Self::access_path), [`outputs`](Self::outputs)) read Cerbos' metadata.
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
}
