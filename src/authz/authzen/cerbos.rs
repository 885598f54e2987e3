//! Cerbos extensions: what only Cerbos (<https://cerbos.dev>) says or needs, beside the
//! vendor-neutral AuthZEN model.
//!
//! - Accessors of [`Decision`] for the metadata Cerbos adds to a decision's context when the
//!   request's context has `"cerbos.includeMeta": true` (`context["cerbos.response"]`, a
//!   `CheckResources` response): the deciding policy, the access path, the rules' outputs.
//! - [`CERBOS_OVERSIZED_REQUEST`]: Cerbos' 429 for a request over its size limit, which is not
//!   rate limiting; the PDP client's default policy ([`pdp_retry_policy`]) does not retry it.

use serde_json::Value;

use super::model::Decision;
use crate::http::RetryPolicy;

/// Cerbos' answer to a request larger than it accepts: a 429 (gRPC `RESOURCE_EXHAUSTED`) whose
/// body says `received message larger than max`. It is not rate limiting, so trying again
/// cannot help; [`pdp_retry_policy`] lists it in its
/// [`final_answers`](crate::http::RetryPolicy::final_answers).
///
/// ```
/// use idpkit::authz::authzen::{CERBOS_OVERSIZED_REQUEST, pdp_retry_policy};
/// assert_eq!(CERBOS_OVERSIZED_REQUEST, (429, "larger than max"));
/// assert!(pdp_retry_policy().final_answers.contains(&CERBOS_OVERSIZED_REQUEST));
/// ```
pub const CERBOS_OVERSIZED_REQUEST: (u16, &str) = (429, "larger than max");

/// The PDP client's default retry policy: [`RetryPolicy::default`] (2 retries, 100 ms doubling
/// to 2 s, `Retry-After` honoured) with [`CERBOS_OVERSIZED_REQUEST`] as a final answer. A
/// policy given to the builder's `retry_policy` is used as given.
///
/// ```
/// use idpkit::{Error, ErrorKind, authz::authzen::pdp_retry_policy};
/// let oversized = Error::from(ErrorKind::Status {
///     status: 429,
///     body_excerpt: "grpc: received message larger than max (5243005 vs. 4194304)".into(),
///     retry_after: None,
/// });
/// assert_eq!(pdp_retry_policy().delay(0, &oversized), None);
/// assert!(idpkit::http::RetryPolicy::default().delay(0, &oversized).is_some());
/// ```
pub fn pdp_retry_policy() -> RetryPolicy {
    RetryPolicy {
        final_answers: &[CERBOS_OVERSIZED_REQUEST],
        ..RetryPolicy::default()
    }
}

/// Cerbos extensions of [`Decision`].
impl Decision {
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
