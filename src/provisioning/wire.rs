//! SCIM 2.0 requests and responses (RFC 7644): the pure builders and parsers the SCIM clients
//! of [`blocking`](crate::blocking) and [`asynch`](crate::asynch) connect.

use std::time::SystemTime;

use http::Method;
use http::header::{CONTENT_TYPE, ETAG, HeaderValue, IF_MATCH};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::drift::ServerSchema;
use super::error::parse_error_body;
use super::metadata::PatchOperation;
use crate::error::{Error, Result};
use crate::http::{
    HttpRequest, HttpResponse, RequestLimits, append_query, check_status, get_json, parse_json,
    post_json, require_secure_url,
};

const RESOURCE: &str = "a SCIM resource (RFC 7643 §3)";
const LIST: &str = "a SCIM list response (RFC 7644 §3.4.2)";
const CONFIG: &str = "a SCIM service provider configuration (RFC 7643 §5)";
const SCIM_JSON: &str = "application/scim+json";

/// A kind of SCIM resource this client manages.
///
/// ```
/// assert_eq!(idpkit::provisioning::ResourceKind::Group.endpoint(), "Groups");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    /// `/Users` (RFC 7643 §4.1).
    User,
    /// `/Groups` (RFC 7643 §4.2): e.g. a service's admins.
    Group,
}

impl ResourceKind {
    /// The endpoint's path segment.
    ///
    /// ```
    /// assert_eq!(idpkit::provisioning::ResourceKind::User.endpoint(), "Users");
    /// ```
    pub fn endpoint(self) -> &'static str {
        match self {
            ResourceKind::User => "Users",
            ResourceKind::Group => "Groups",
        }
    }
}

/// A resource the server returned: its `id`, its version (the `ETag` header or `meta.version`,
/// for `If-Match`) and the whole JSON object.
///
/// ```
/// let r = idpkit::provisioning::ScimResource::from_json(serde_json::json!({"id": "1", "meta": {"version": "W/\"1\""}}), None).unwrap();
/// assert_eq!(r.version.as_deref(), Some("W/\"1\""));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ScimResource {
    /// The server's `id`.
    pub id: String,
    /// The version, if the server offers ETags.
    pub version: Option<String>,
    /// The resource as the server sent it.
    pub body: Value,
}

impl ScimResource {
    /// Reads a resource object; `etag` (the response's `ETag` header) wins over `meta.version`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::MalformedResponse`](crate::ErrorKind::MalformedResponse) for anything but a
    /// JSON object with a string `id`.
    ///
    /// ```
    /// assert!(idpkit::provisioning::ScimResource::from_json(serde_json::json!({"id": 1}), None).is_err());
    /// ```
    pub fn from_json(body: Value, etag: Option<String>) -> Result<ScimResource> {
        let id = body
            .get("id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| Error::malformed(RESOURCE, "no string `id`"))?
            .to_owned();
        let version = etag.or_else(|| {
            body.pointer("/meta/version")
                .and_then(Value::as_str)
                .map(str::to_owned)
        });
        Ok(ScimResource { id, version, body })
    }
}

/// A list request's parameters (RFC 7644 §3.4.2): filter, projection and pagination.
///
/// ```
/// use idpkit::provisioning::ListQuery;
/// let q = ListQuery::new().filter("userName sw \"a\"").attributes(["userName"]).count(50);
/// assert_eq!(q.count, Some(50));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListQuery {
    /// The `filter` expression.
    pub filter: Option<String>,
    /// The `attributes` to return.
    pub attributes: Vec<String>,
    /// The `excludedAttributes`.
    pub excluded_attributes: Vec<String>,
    /// The 1-based `startIndex` of the first page.
    pub start_index: Option<u64>,
    /// The page size (`count`).
    pub count: Option<u64>,
}

impl ListQuery {
    /// Every resource, in the server's page size.
    ///
    /// ```
    /// assert_eq!(idpkit::provisioning::ListQuery::new().filter, None);
    /// ```
    pub fn new() -> Self {
        ListQuery::default()
    }

    /// Sets the filter (RFC 7644 §3.4.2.2).
    ///
    /// ```
    /// let q = idpkit::provisioning::ListQuery::new().filter("active eq true");
    /// ```
    #[must_use]
    pub fn filter(mut self, filter: impl Into<String>) -> Self {
        self.filter = Some(filter.into());
        self
    }

    /// Sets the attributes to return.
    ///
    /// ```
    /// let q = idpkit::provisioning::ListQuery::new().attributes(["userName", "emails"]);
    /// ```
    #[must_use]
    pub fn attributes<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.attributes = names.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the attributes not to return.
    ///
    /// ```
    /// let q = idpkit::provisioning::ListQuery::new().excluded_attributes(["groups"]);
    /// ```
    #[must_use]
    pub fn excluded_attributes<S: Into<String>>(
        mut self,
        names: impl IntoIterator<Item = S>,
    ) -> Self {
        self.excluded_attributes = names.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the 1-based index of the first resource.
    ///
    /// ```
    /// let q = idpkit::provisioning::ListQuery::new().start_index(11);
    /// ```
    #[must_use]
    pub fn start_index(mut self, index: u64) -> Self {
        self.start_index = Some(index);
        self
    }

    /// Sets the page size.
    ///
    /// ```
    /// let q = idpkit::provisioning::ListQuery::new().count(100);
    /// ```
    #[must_use]
    pub fn count(mut self, count: u64) -> Self {
        self.count = Some(count);
        self
    }
}

/// One page of a list (RFC 7644 §3.4.2).
///
/// ```
/// let body = br#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0}"#;
/// let resp = http::Response::builder().header("content-type", "application/scim+json").body(body.to_vec()).unwrap();
/// let page = idpkit::provisioning::parse_list_response(resp, std::time::SystemTime::now()).unwrap();
/// assert!(page.resources.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ListResponse {
    /// How many resources match in all.
    pub total_results: u64,
    /// The 1-based index of this page's first resource, if the server said.
    pub start_index: Option<u64>,
    /// How many resources this page holds, if the server said.
    pub items_per_page: Option<u64>,
    /// This page's resources.
    pub resources: Vec<ScimResource>,
}

/// What the server supports (`/ServiceProviderConfig`, RFC 7643 §5).
///
/// ```
/// let body = br#"{"patch":{"supported":true},"etag":{"supported":false},"filter":{"supported":true,"maxResults":200}}"#;
/// let resp = http::Response::builder().header("content-type", "application/scim+json").body(body.to_vec()).unwrap();
/// let c = idpkit::provisioning::parse_service_provider_config(resp, std::time::SystemTime::now()).unwrap();
/// assert!(c.patch && !c.etag);
/// assert_eq!(c.filter_max_results, Some(200));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ServiceProviderConfig {
    /// PATCH is supported.
    pub patch: bool,
    /// Bulk is supported.
    pub bulk: bool,
    /// The most operations of one bulk request.
    pub bulk_max_operations: Option<u64>,
    /// Filtering is supported.
    pub filter: bool,
    /// The most resources a filtered list returns.
    pub filter_max_results: Option<u64>,
    /// ETags (and `If-Match`) are supported.
    pub etag: bool,
    /// Sorting is supported.
    pub sort: bool,
    /// Password changes are supported.
    pub change_password: bool,
}

/// The PATCH message's schema URN.
const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// The body of a PATCH request: the operations in the `PatchOp` message.
fn patch_body(operations: &[PatchOperation]) -> Value {
    serde_json::json!({ "schemas": [PATCH_SCHEMA], "Operations": operations })
}

/// The base URL of a SCIM service (`https://idp.example/scim/v2`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ScimEndpoint(url::Url);

impl ScimEndpoint {
    /// Checks the base URL (https, or http on loopback).
    pub(crate) fn new(base: &str) -> Result<Self> {
        let url = require_secure_url("the SCIM base URL", base)?;
        if url.query().is_some() || url.fragment().is_some() {
            return Err(Error::config(
                "the SCIM base URL must not have a query or fragment",
            ));
        }
        Ok(ScimEndpoint(url))
    }

    /// The base URL.
    pub(crate) fn as_url(&self) -> &url::Url {
        &self.0
    }

    /// The base URL with these path segments appended (each percent-encoded).
    pub(crate) fn join(&self, segments: &[&str]) -> Result<url::Url> {
        let mut url = self.0.clone();
        url.path_segments_mut()
            .map_err(|()| Error::config("the SCIM base URL cannot have a path"))?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }
}

/// A SCIM request: `body` (for POST, PUT, PATCH) as `application/scim+json`, and `If-Match`.
pub(crate) fn scim_request(
    method: Method,
    url: &url::Url,
    body: Option<&Value>,
    if_match: Option<&str>,
    limits: RequestLimits,
) -> Result<HttpRequest> {
    let mut request = match body {
        Some(body) => {
            let mut r = post_json(url, body, limits)?;
            r.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
            r
        }
        None => get_json(url, limits)?,
    };
    *request.method_mut() = method;
    if let Some(version) = if_match {
        let value = HeaderValue::from_str(version)
            .map_err(|_| Error::config("the If-Match version is not a valid header value"))?;
        request.headers_mut().insert(IF_MATCH, value);
    }
    Ok(request)
}

/// `GET <base>/<segments>?<query>`.
pub(crate) fn get_request(
    endpoint: &ScimEndpoint,
    segments: &[&str],
    query: &[(&str, &str)],
    limits: RequestLimits,
) -> Result<HttpRequest> {
    let mut url = endpoint.join(segments)?;
    append_query(&mut url, "the SCIM endpoint", query)?;
    scim_request(Method::GET, &url, None, None, limits)
}

/// A list request for `kind` with `query`'s parameters (`start_index` from the pager).
pub(crate) fn list_request(
    endpoint: &ScimEndpoint,
    kind: ResourceKind,
    query: &ListQuery,
    start_index: u64,
    limits: RequestLimits,
) -> Result<HttpRequest> {
    let attributes = query.attributes.join(",");
    let excluded = query.excluded_attributes.join(",");
    let start = start_index.to_string();
    let count = query.count.map(|c| c.to_string());
    let mut params = vec![("startIndex", start.as_str())];
    if let Some(count) = &count {
        params.push(("count", count));
    }
    if let Some(filter) = &query.filter {
        params.push(("filter", filter));
    }
    if !attributes.is_empty() {
        params.push(("attributes", &attributes));
    }
    if !excluded.is_empty() {
        params.push(("excludedAttributes", &excluded));
    }
    get_request(endpoint, &[kind.endpoint()], &params, limits)
}

/// A PATCH of `kind` `id` with `operations`.
pub(crate) fn patch_request(
    endpoint: &ScimEndpoint,
    kind: ResourceKind,
    id: &str,
    operations: &[PatchOperation],
    if_match: Option<&str>,
    limits: RequestLimits,
) -> Result<HttpRequest> {
    if operations.is_empty() {
        return Err(Error::config("a PATCH needs at least one operation"));
    }
    let url = endpoint.join(&[kind.endpoint(), id])?;
    let body = patch_body(operations);
    scim_request(Method::PATCH, &url, Some(&body), if_match, limits)
}

/// Passes a 2xx response through; a SCIM error body becomes
/// [`ScimError::Response`](super::ScimError::Response) with the HTTP status, anything else as
/// [`check_status`].
///
/// # Errors
///
/// For every non-2xx status.
///
/// ```
/// let body = br#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"409","scimType":"uniqueness"}"#;
/// let resp = http::Response::builder().status(409).header("content-type", "application/scim+json").body(body.to_vec()).unwrap();
/// let err = idpkit::provisioning::check_scim_status(resp, std::time::SystemTime::now()).unwrap_err();
/// assert_eq!(err.status(), Some(409));
/// assert!(matches!(err.kind(), idpkit::ErrorKind::Scim(_)));
/// ```
pub fn check_scim_status(response: HttpResponse, now: SystemTime) -> Result<HttpResponse> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    if let Some(e) = parse_error_body(status.as_u16(), response.body()) {
        return Err(e.into());
    }
    check_status(response, now)
}

/// A 2xx JSON object as `T` (never an array, which serde would also take for a struct).
fn parse_object<T: serde::de::DeserializeOwned>(
    response: HttpResponse,
    expected: &'static str,
    now: SystemTime,
) -> Result<T> {
    let response = check_scim_status(response, now)?;
    let body: Value = parse_json(response, expected, now)?;
    if !body.is_object() {
        return Err(Error::malformed(expected, "not a JSON object"));
    }
    serde_json::from_value(body)
        .map_err(|e| Error::malformed(expected, crate::http::describe_json_error(&e)))
}

fn etag(response: &HttpResponse) -> Option<String> {
    response
        .headers()
        .get(ETAG)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// Parses a response that carries one resource (GET, POST 201, PUT, PATCH 200).
///
/// # Errors
///
/// As [`check_scim_status`]; [`ErrorKind::MalformedResponse`](crate::ErrorKind::MalformedResponse)
/// for anything but a JSON resource.
///
/// ```
/// let resp = http::Response::builder().header("content-type", "application/scim+json").header("etag", "W/\"2\"")
///     .body(br#"{"id":"u1","userName":"a"}"#.to_vec()).unwrap();
/// let r = idpkit::provisioning::parse_resource_response(resp, std::time::SystemTime::now()).unwrap();
/// assert_eq!((r.id.as_str(), r.version.as_deref()), ("u1", Some("W/\"2\"")));
/// ```
pub fn parse_resource_response(response: HttpResponse, now: SystemTime) -> Result<ScimResource> {
    let response = check_scim_status(response, now)?;
    let etag = etag(&response);
    let body: Value = parse_json(response, RESOURCE, now)?;
    ScimResource::from_json(body, etag)
}

/// Parses the answer to a PATCH: the resource (200) or nothing (204).
///
/// # Errors
///
/// As [`parse_resource_response`].
///
/// ```
/// let resp = http::Response::builder().status(204).body(Vec::new()).unwrap();
/// assert!(idpkit::provisioning::parse_patch_response(resp, std::time::SystemTime::now()).unwrap().is_none());
/// ```
pub fn parse_patch_response(
    response: HttpResponse,
    now: SystemTime,
) -> Result<Option<ScimResource>> {
    let response = check_scim_status(response, now)?;
    if response.status() == http::StatusCode::NO_CONTENT || response.body().is_empty() {
        return Ok(None);
    }
    parse_resource_response(response, now).map(Some)
}

/// Parses the answer to a DELETE (204, or any 2xx).
///
/// # Errors
///
/// As [`check_scim_status`].
///
/// ```
/// let resp = http::Response::builder().status(204).body(Vec::new()).unwrap();
/// idpkit::provisioning::parse_delete_response(resp, std::time::SystemTime::now()).unwrap();
/// ```
pub fn parse_delete_response(response: HttpResponse, now: SystemTime) -> Result<()> {
    check_scim_status(response, now).map(drop)
}

/// Parses a list response.
///
/// # Errors
///
/// As [`check_scim_status`]; [`ErrorKind::MalformedResponse`](crate::ErrorKind::MalformedResponse)
/// for anything but a list of resources (no `totalResults`, a resource without `id`).
///
/// ```
/// let body = br#"{"totalResults":"many"}"#;
/// let resp = http::Response::builder().header("content-type", "application/scim+json").body(body.to_vec()).unwrap();
/// assert!(idpkit::provisioning::parse_list_response(resp, std::time::SystemTime::now()).is_err());
/// ```
pub fn parse_list_response(response: HttpResponse, now: SystemTime) -> Result<ListResponse> {
    #[derive(Deserialize)]
    struct Wire {
        #[serde(rename = "totalResults")]
        total_results: u64,
        #[serde(default, rename = "startIndex")]
        start_index: Option<u64>,
        #[serde(default, rename = "itemsPerPage")]
        items_per_page: Option<u64>,
        #[serde(default, rename = "Resources")]
        resources: Option<Vec<Value>>,
    }
    let wire: Wire = parse_object(response, LIST, now)?;
    let resources = wire
        .resources
        .unwrap_or_default()
        .into_iter()
        .map(|r| ScimResource::from_json(r, None))
        .collect::<Result<_>>()?;
    Ok(ListResponse {
        total_results: wire.total_results,
        start_index: wire.start_index,
        items_per_page: wire.items_per_page,
        resources,
    })
}

/// Parses a schema resource (`GET /Schemas/{urn}`).
///
/// # Errors
///
/// As [`check_scim_status`] (a server without the schema answers 404);
/// [`ErrorKind::MalformedResponse`](crate::ErrorKind::MalformedResponse) as
/// [`ServerSchema::from_json`].
///
/// ```
/// let resp = http::Response::builder().header("content-type", "application/scim+json")
///     .body(br#"{"id":"urn:x","attributes":[{"name":"a","type":"boolean"}]}"#.to_vec()).unwrap();
/// let s = idpkit::provisioning::parse_schema_response(resp, std::time::SystemTime::now()).unwrap();
/// assert_eq!(s.attributes.len(), 1);
/// ```
pub fn parse_schema_response(response: HttpResponse, now: SystemTime) -> Result<ServerSchema> {
    let response = check_scim_status(response, now)?;
    let body: Value = parse_json(response, "a SCIM schema resource (RFC 7643 §7)", now)?;
    ServerSchema::from_json(&body)
}

/// Parses `/ServiceProviderConfig`; a feature the document does not mention is unsupported.
///
/// # Errors
///
/// As [`check_scim_status`]; [`ErrorKind::MalformedResponse`](crate::ErrorKind::MalformedResponse)
/// for anything but a configuration object.
///
/// ```
/// let resp = http::Response::builder().header("content-type", "application/json").body(b"[]".to_vec()).unwrap();
/// assert!(idpkit::provisioning::parse_service_provider_config(resp, std::time::SystemTime::now()).is_err());
/// ```
pub fn parse_service_provider_config(
    response: HttpResponse,
    now: SystemTime,
) -> Result<ServiceProviderConfig> {
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Feature {
        supported: bool,
        #[serde(rename = "maxResults")]
        max_results: Option<u64>,
        #[serde(rename = "maxOperations")]
        max_operations: Option<u64>,
    }
    #[derive(Deserialize)]
    #[serde(default)]
    #[derive(Default)]
    struct Wire {
        patch: Feature,
        bulk: Feature,
        filter: Feature,
        etag: Feature,
        sort: Feature,
        #[serde(rename = "changePassword")]
        change_password: Feature,
    }
    let w: Wire = parse_object(response, CONFIG, now)?;
    Ok(ServiceProviderConfig {
        patch: w.patch.supported,
        bulk: w.bulk.supported,
        bulk_max_operations: w.bulk.max_operations,
        filter: w.filter.supported,
        filter_max_results: w.filter.max_results,
        etag: w.etag.supported,
        sort: w.sort.supported,
        change_password: w.change_password.supported,
    })
}

/// Runs every SCIM response parser on `data` as the body of a JSON response with the status
/// `data[0]` selects, for the fuzz target (`fuzz/fuzz_targets/scim_response.rs`). Never panics.
///
/// ```
/// idpkit::provisioning::fuzz_scim_response(b"\x00{\"totalResults\":1,\"Resources\":[{}]}");
/// ```
#[doc(hidden)]
pub fn fuzz_scim_response(data: &[u8]) {
    let (status, body) = match data.split_first() {
        Some((s, rest)) => (
            [200u16, 201, 204, 400, 401, 404, 409, 412, 500][usize::from(*s) % 9],
            rest,
        ),
        None => (200, data),
    };
    let make = || {
        http::Response::builder()
            .status(status)
            .header(CONTENT_TYPE, SCIM_JSON)
            .body(body.to_vec())
            .expect("a valid response")
    };
    let now = SystemTime::UNIX_EPOCH;
    let _ = parse_resource_response(make(), now);
    let _ = parse_patch_response(make(), now);
    let _ = parse_list_response(make(), now);
    let _ = parse_schema_response(make(), now);
    let _ = parse_service_provider_config(make(), now);
    if let Ok(value) = serde_json::from_slice::<Value>(body) {
        let schema = super::PermissionSchema::new("fuzz")
            .permission(
                super::Permission::string("role")
                    .allowed(["a", "b"])
                    .default("a"),
            )
            .permission(super::Permission::integer("n").default(1))
            .permission(super::Permission::boolean("b"));
        let _ = super::decode_metadata::<Value>(&schema, &value);
    }
}
