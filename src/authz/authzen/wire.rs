//! The I/O-free halves of every call: `build_*` makes the [`HttpRequest`] a client sends,
//! `parse_*` judges the [`HttpResponse`] it gets back. Every `POST` carries a fresh
//! [`REQUEST_ID_HEADER`]; [`set_bearer`] adds the PDP's API key.

use std::time::SystemTime;

use http::HeaderValue;
use http::header::AUTHORIZATION;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::batch::{EVALUATIONS, EvaluationsRequest, EvaluationsResponse};
use super::metadata::{METADATA, PdpId, PdpMetadata};
use super::model::{Decision, EvaluationRequest};
use super::search::{SEARCH, SearchRequest, SearchResponse};
#[cfg(doc)]
use crate::error::ErrorKind;
use crate::error::{Error, Result};
use crate::http::{self as h, HttpRequest, HttpResponse, RequestLimits};

/// The name of the request header identifying a request (AuthZEN 1.0 "Request Identification").
///
/// ```
/// assert_eq!(idpkit::authz::authzen::REQUEST_ID_HEADER, "x-request-id");
/// ```
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// What a decision is, for errors.
const DECISION: &str = "an AuthZEN decision (JSON)";

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
