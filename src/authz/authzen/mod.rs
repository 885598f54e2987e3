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
//! - The `build_*` / `parse_*` functions, [`set_bearer`] and [`REQUEST_ID_HEADER`]: the wire.
//! - Cerbos extensions, apart from the vendor-neutral model: [`Decision::cerbos_response`],
//!   [`Decision::policy_id`], [`Decision::access_path`], [`Decision::outputs`] and
//!   [`CERBOS_OVERSIZED_REQUEST`].
//!
//! When to try a failed call again is not AuthZEN's business: the clients follow a
//! [`RetryPolicy`](crate::http::RetryPolicy).
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

mod batch;
mod cerbos;
mod metadata;
mod model;
mod search;
mod wire;

pub use batch::{
    EvaluationItem, EvaluationsOptions, EvaluationsRequest, EvaluationsResponse,
    EvaluationsSemantic,
};
pub use cerbos::{CERBOS_OVERSIZED_REQUEST, pdp_retry_policy};
pub use metadata::{
    DEFAULT_EVALUATION_PATH, DEFAULT_EVALUATIONS_PATH, PdpEndpoints, PdpId, PdpMetadata,
};
pub use model::{
    Action, Context, Decision, EvaluationRequest, ItemError, Properties, Resource, Subject,
};
pub use search::{
    ActionSearchRequest, Page, PageInfo, ResourceSearchRequest, SearchKind, SearchRequest,
    SearchResponse, SubjectSearchRequest,
};
pub use wire::{
    REQUEST_ID_HEADER, build_evaluation_request, build_evaluations_request, build_metadata_request,
    build_search_request, parse_evaluation_response, parse_evaluations_response,
    parse_metadata_response, parse_search_response, set_bearer,
};

#[cfg(test)]
mod tests;
