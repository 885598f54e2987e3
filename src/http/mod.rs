//! Pure HTTP shaping shared by both clients: requests are built and responses judged here, with no
//! I/O, so the blocking and the async client only send and await (the *prepare → call → parse*
//! shape of oauth2-rs).
//!
//! Requests and responses are plain [`http`] values with the whole body in memory. A transport
//! (the [`HttpClient`](crate::asynch::HttpClient) trait of each mode) turns an [`HttpRequest`]
//! into an [`HttpResponse`], honouring the [`RequestLimits`] found in the request's extensions.

mod challenge;
mod failure;
#[cfg(feature = "async")]
mod reqwest;
mod retry;
#[cfg(any(feature = "blocking", feature = "async"))]
mod setters;
mod trace;
#[cfg(feature = "blocking")]
mod ureq;

#[cfg(feature = "async")]
pub use self::reqwest::ReqwestHttp;
pub use self::retry::RetryPolicy;
#[cfg(feature = "blocking")]
pub use self::ureq::UreqHttp;
#[cfg(feature = "axum")]
pub(crate) use challenge::authorization;
pub(crate) use challenge::{bearer_challenge_error, bearer_token, challenge_error};
pub use failure::TransportCause;
#[cfg(any(feature = "blocking", feature = "async"))]
pub(crate) use failure::{Stage, transport_error};
#[cfg(any(feature = "blocking", feature = "async"))]
pub(crate) use setters::transport_setters;
pub use trace::REQUEST_SPAN;
#[cfg_attr(
    not(any(feature = "blocking", feature = "async")),
    allow(unused_imports)
)]
pub(crate) use trace::{finish_span, request_span};

use std::time::{Duration, SystemTime};

use http::Method;
use http::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER, USER_AGENT};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{BODY_EXCERPT_LEN, Error, ErrorKind, OAuthError, OAuthErrorCode, Result};

/// A request as idpkit builds it: an [`http::Request`] with its whole body.
pub type HttpRequest = http::Request<Vec<u8>>;
/// A response as a transport returns it: an [`http::Response`] with its whole body.
pub type HttpResponse = http::Response<Vec<u8>>;

/// The `User-Agent` idpkit sends: `idpkit/<version>`.
///
/// ```
/// assert!(idpkit::http::USER_AGENT_VALUE.starts_with("idpkit/"));
/// ```
pub const USER_AGENT_VALUE: &str = concat!("idpkit/", env!("CARGO_PKG_VERSION"));

/// The default request timeout: 10 seconds.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The default cap on a response body: 1 MiB, far above any discovery document, JWKS or token
/// response, far below what would hurt.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// Limits a transport must apply to one request; idpkit puts them in every request's
/// [`extensions`](http::Request::extensions). The built-in transports honour both; a custom
/// transport should too (idpkit also rejects an over-long body after the fact, but by then it has
/// been buffered).
///
/// ```
/// use idpkit::http::RequestLimits;
/// let limits = RequestLimits::default();
/// assert_eq!(limits.timeout, std::time::Duration::from_secs(10));
/// assert_eq!(limits.max_response_bytes, 1024 * 1024);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestLimits {
    /// The whole request, from connecting to the last byte of the body, must finish within this.
    pub timeout: Duration,
    /// Reading stops with [`ErrorKind::BodyTooLarge`] past this many bytes.
    pub max_response_bytes: usize,
}

impl Default for RequestLimits {
    fn default() -> Self {
        RequestLimits {
            timeout: DEFAULT_TIMEOUT,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}

impl RequestLimits {
    /// The limits stored in a request, or the defaults.
    ///
    /// ```
    /// use idpkit::http::{get_json, RequestLimits};
    /// let url = url::Url::parse("https://op.example/.well-known/openid-configuration").unwrap();
    /// let req = get_json(&url, RequestLimits::default()).unwrap();
    /// assert_eq!(RequestLimits::of(&req), RequestLimits::default());
    /// ```
    pub fn of<B>(request: &http::Request<B>) -> RequestLimits {
        request
            .extensions()
            .get::<RequestLimits>()
            .copied()
            .unwrap_or_default()
    }
}

fn base_request(method: Method, url: &url::Url, limits: RequestLimits) -> http::request::Builder {
    let mut builder = http::Request::builder()
        .method(method)
        .uri(url.as_str())
        .header(ACCEPT, "application/json")
        .header(USER_AGENT, USER_AGENT_VALUE);
    if let Some(ext) = builder.extensions_mut() {
        ext.insert(limits);
    }
    builder
}

fn finish(builder: http::request::Builder, body: Vec<u8>) -> Result<HttpRequest> {
    builder
        .body(body)
        .map_err(|e| Error::config(format!("cannot build the HTTP request: {e}")))
}

/// A `GET` that accepts JSON.
///
/// # Errors
///
/// [`ErrorKind::Config`] when the URL is not a valid HTTP URI.
///
/// ```
/// use idpkit::http::{get_json, RequestLimits};
/// let url = url::Url::parse("https://op.example/jwks").unwrap();
/// let req = get_json(&url, RequestLimits::default()).unwrap();
/// assert_eq!(req.method(), "GET");
/// assert_eq!(req.headers()["accept"], "application/json");
/// ```
pub fn get_json(url: &url::Url, limits: RequestLimits) -> Result<HttpRequest> {
    finish(base_request(Method::GET, url, limits), Vec::new())
}

/// A `POST` with an `application/x-www-form-urlencoded` body (the encoding of every OAuth
/// endpoint), accepting JSON.
///
/// # Errors
///
/// [`ErrorKind::Config`] when the URL is not a valid HTTP URI.
///
/// ```
/// use idpkit::http::{post_form, RequestLimits};
/// let url = url::Url::parse("https://op.example/token").unwrap();
/// let req = post_form(&url, &[("grant_type", "client_credentials"), ("scope", "a b")], RequestLimits::default()).unwrap();
/// assert_eq!(req.body(), b"grant_type=client_credentials&scope=a+b");
/// ```
pub fn post_form(
    url: &url::Url,
    params: &[(&str, &str)],
    limits: RequestLimits,
) -> Result<HttpRequest> {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish()
        .into_bytes();
    finish(
        base_request(Method::POST, url, limits)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded"),
        body,
    )
}

/// A `POST` with a JSON body, accepting JSON.
///
/// # Errors
///
/// [`ErrorKind::Config`] when the URL is not a valid HTTP URI or the value cannot be serialised.
///
/// ```
/// use idpkit::http::{post_json, RequestLimits};
/// let url = url::Url::parse("https://pdp.example/access/v1/evaluation").unwrap();
/// let req = post_json(&url, &serde_json::json!({"a": 1}), RequestLimits::default()).unwrap();
/// assert_eq!(req.headers()["content-type"], "application/json");
/// assert_eq!(req.body(), br#"{"a":1}"#);
/// ```
pub fn post_json<T: serde::Serialize + ?Sized>(
    url: &url::Url,
    value: &T,
    limits: RequestLimits,
) -> Result<HttpRequest> {
    let body = serde_json::to_vec(value)
        .map_err(|e| Error::config(format!("cannot serialise the request body: {e}")))?;
    finish(
        base_request(Method::POST, url, limits).header(CONTENT_TYPE, "application/json"),
        body,
    )
}

/// Parses `Retry-After` (RFC 9110 §10.2.3): delay-seconds, or an HTTP-date taken relative to `now`
/// (a date in the past is a zero delay). `None` when absent or unparseable.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use http::HeaderMap;
/// let mut h = HeaderMap::new();
/// h.insert("retry-after", "120".parse().unwrap());
/// assert_eq!(idpkit::http::retry_after(&h, SystemTime::now()), Some(Duration::from_secs(120)));
/// ```
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The longest wait a response body's `retry_after` may ask for: a day.
const MAX_BODY_RETRY_AFTER: Duration = Duration::from_secs(86_400);

/// The `retry_after` member of a JSON error body (seconds, a non-negative number; the Authora
/// API and others put it there), for a 429 or 503 without a `Retry-After` header. Anything
/// else (negative, not a number, absurdly large, not JSON) is no answer.
///
/// ```
/// use std::time::Duration;
/// assert_eq!(idpkit::http::body_retry_after(br#"{"retry_after": 2.5}"#), Some(Duration::from_millis(2500)));
/// assert_eq!(idpkit::http::body_retry_after(br#"{"retry_after": -1}"#), None);
/// assert_eq!(idpkit::http::body_retry_after(br#"{"retry_after": "soon"}"#), None);
/// ```
pub fn body_retry_after(body: &[u8]) -> Option<Duration> {
    #[derive(serde::Deserialize)]
    struct Wire {
        retry_after: serde_json::Number,
    }
    let secs = serde_json::from_slice::<Wire>(body)
        .ok()?
        .retry_after
        .as_f64()?;
    let wait = Duration::try_from_secs_f64(secs).ok()?;
    (wait <= MAX_BODY_RETRY_AFTER).then_some(wait)
}

/// Passes a 2xx response through; turns anything else into an error: an
/// [`ErrorKind::OAuth`] when the body is an OAuth error object (RFC 6749 §5.2), else an
/// [`ErrorKind::Status`] with a bounded excerpt of the body and the wait the server asked for:
/// its `Retry-After` (delay-seconds or HTTP-date), else, on a 429 or 503, the body's
/// `retry_after` ([`body_retry_after`]).
///
/// # Errors
///
/// As described, for every non-2xx status.
///
/// ```
/// use std::time::SystemTime;
/// let resp = http::Response::builder().status(400)
///     .header("content-type", "application/json")
///     .body(br#"{"error":"invalid_grant","error_description":"expired"}"#.to_vec()).unwrap();
/// let err = idpkit::http::check_status(resp, SystemTime::now()).unwrap_err();
/// assert_eq!(err.oauth().unwrap().code, idpkit::OAuthErrorCode::InvalidGrant);
/// assert_eq!(err.status(), Some(400));
/// ```
pub fn check_status(response: HttpResponse, now: SystemTime) -> Result<HttpResponse> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let retry_after = retry_after(response.headers(), now).or_else(|| {
        matches!(status.as_u16(), 429 | 503)
            .then(|| body_retry_after(response.body()))
            .flatten()
    });
    if let Some(mut oauth) = parse_oauth_error(response.body()) {
        oauth.status = Some(status.as_u16());
        oauth.retry_after = retry_after;
        return Err(oauth.into());
    }
    Err(ErrorKind::Status {
        status: status.as_u16(),
        body_excerpt: excerpt(response.body()),
        retry_after,
    }
    .into())
}

/// An OAuth error object (`{"error": "...", "error_description": "...", "error_uri": "..."}`),
/// if the body is one.
fn parse_oauth_error(body: &[u8]) -> Option<OAuthError> {
    #[derive(serde::Deserialize)]
    struct Wire {
        error: String,
        error_description: Option<String>,
        error_uri: Option<String>,
    }
    let wire: Wire = serde_json::from_slice(body).ok()?;
    if wire.error.is_empty() {
        return None;
    }
    let mut e = OAuthError::new(OAuthErrorCode::from(wire.error.as_str()));
    e.description = wire.error_description;
    e.uri = wire.error_uri;
    Some(e)
}

fn excerpt(body: &[u8]) -> String {
    let cut = &body[..body.len().min(BODY_EXCERPT_LEN)];
    String::from_utf8_lossy(cut).into_owned()
}

/// Whether a `Content-Type` value names JSON: `application/json` or any `application/*+json`
/// (such as `application/jwk-set+json`), parameters ignored.
///
/// ```
/// use idpkit::http::is_json_content_type;
/// assert!(is_json_content_type("application/json; charset=utf-8"));
/// assert!(is_json_content_type("application/jwk-set+json"));
/// assert!(!is_json_content_type("text/html"));
/// ```
pub fn is_json_content_type(value: &str) -> bool {
    let essence = value.split(';').next().unwrap_or("").trim();
    let essence = essence.to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Parses a successful JSON response into `T`, strictly: the status must be 2xx (else as
/// [`check_status`]), the `Content-Type` JSON, the body valid JSON of the right shape.
/// `expected` names what the response should be, for the error.
///
/// # Errors
///
/// [`ErrorKind::MalformedResponse`] for a wrong content type or body; the message gives the
/// line, column and kind of the parse failure and never the body's values. Non-2xx statuses as
/// [`check_status`].
///
/// ```
/// use std::time::SystemTime;
/// #[derive(serde::Deserialize)]
/// struct Doc { issuer: String }
/// let resp = http::Response::builder().header("content-type", "application/json")
///     .body(br#"{"issuer":"https://op.example"}"#.to_vec()).unwrap();
/// let doc: Doc = idpkit::http::parse_json(resp, "a document", SystemTime::now()).unwrap();
/// assert_eq!(doc.issuer, "https://op.example");
/// ```
pub fn parse_json<T: DeserializeOwned>(
    response: HttpResponse,
    expected: &'static str,
    now: SystemTime,
) -> Result<T> {
    let response = check_status(response, now)?;
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .map(HeaderValue::to_str);
    match content_type {
        Some(Ok(ct)) if is_json_content_type(ct) => {}
        Some(Ok(ct)) => {
            let ct: String = ct.chars().take(64).collect();
            return Err(Error::malformed(
                expected,
                format!("content type is {ct:?}, not JSON"),
            ));
        }
        _ => return Err(Error::malformed(expected, "no JSON content type")),
    }
    serde_json::from_slice(response.body())
        .map_err(|e| Error::malformed(expected, describe_json_error(&e)))
}

/// Describes a serde_json error without its message, which can quote the payload's values
/// (`invalid type: string "<a token>"`).
pub(crate) fn describe_json_error(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Io => "I/O error",
        Category::Syntax => "not valid JSON",
        Category::Eof => "truncated JSON",
        Category::Data => "JSON of the wrong shape",
    };
    format!("{what} at line {} column {}", e.line(), e.column())
}

/// Whether `host` is a loopback host: `localhost`, `127.0.0.0/8` or `::1`.
///
/// ```
/// use idpkit::http::is_loopback_host;
/// assert!(is_loopback_host(&url::Host::Domain("localhost")));
/// assert!(is_loopback_host(&url::Host::Ipv4("127.0.0.1".parse().unwrap())));
/// assert!(!is_loopback_host(&url::Host::Domain("example.com")));
/// ```
pub fn is_loopback_host(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// Checks that a URL the client will call is safe to call: `https`, or plain `http` only on a
/// loopback host; no credentials in it. `what` names the setting or metadata field.
///
/// # Errors
///
/// [`ErrorKind::Config`] naming `what` when the URL is not acceptable.
///
/// ```
/// use idpkit::http::require_secure_url;
/// assert!(require_secure_url("issuer", "https://op.example").is_ok());
/// assert!(require_secure_url("issuer", "http://127.0.0.1:8080").is_ok());
/// assert!(require_secure_url("issuer", "http://op.example").is_err());
/// ```
pub fn require_secure_url(what: &str, value: &str) -> Result<url::Url> {
    let url = url::Url::parse(value)
        .map_err(|e| Error::config(format!("{what} is not a valid URL ({e}): {value:?}")))?;
    let host = url
        .host()
        .ok_or_else(|| Error::config(format!("{what} has no host: {value:?}")))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback_host(&host) => {}
        "http" => {
            return Err(Error::config(format!(
                "{what} must use https (plain http is accepted only on loopback): {value:?}"
            )));
        }
        other => {
            return Err(Error::config(format!(
                "{what} must be an https URL, not {other}: {value:?}"
            )));
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::config(format!(
            "{what} must not contain credentials"
        )));
    }
    Ok(url)
}

/// The `host:port` a request goes to (the port implied by the scheme when the URI has none), for
/// error messages: never the path or the query.
#[cfg(any(feature = "blocking", feature = "async"))]
pub(crate) fn authority<B>(request: &http::Request<B>) -> String {
    let uri = request.uri();
    let host = uri.host().unwrap_or("unknown host");
    let port = uri
        .port_u16()
        .unwrap_or(if uri.scheme_str() == Some("https") {
            443
        } else {
            80
        });
    format!("{host}:{port}")
}

/// Rejects a body longer than the limit (for transports that do not enforce it themselves).
#[cfg_attr(not(any(feature = "blocking", feature = "async")), allow(dead_code))]
pub(crate) fn enforce_body_limit(
    response: HttpResponse,
    limits: RequestLimits,
) -> Result<HttpResponse> {
    if response.body().len() > limits.max_response_bytes {
        return Err(ErrorKind::BodyTooLarge {
            limit: limits.max_response_bytes,
        }
        .into());
    }
    Ok(response)
}

/// A header value marked sensitive; the error never quotes it.
pub(crate) fn sensitive_header(value: &str) -> Result<HeaderValue> {
    let mut value = HeaderValue::from_str(value)
        .map_err(|_| Error::config("a credential has characters not allowed in an HTTP header"))?;
    value.set_sensitive(true);
    Ok(value)
}

/// Appends `params` to `url`'s query, refusing a fragment in `url` (RFC 6749 §3.1) and any
/// parameter that would appear twice, counting the query already there (RFC 6749 §3.1), except
/// `resource` (RFC 8707). `what` names the endpoint for the error.
pub(crate) fn append_query(url: &mut url::Url, what: &str, params: &[(&str, &str)]) -> Result<()> {
    if url.fragment().is_some() {
        return Err(Error::config(format!("{what} must not have a fragment")));
    }
    let existing: Vec<String> = url
        .query_pairs()
        .map(|(name, _)| name.into_owned())
        .collect();
    for (i, (name, _)) in params.iter().enumerate() {
        let repeated =
            existing.iter().any(|e| e == name) || params[..i].iter().any(|(n, _)| n == name);
        if repeated && *name != "resource" {
            return Err(Error::config(format!(
                "the request to {what} would contain the parameter {name:?} twice"
            )));
        }
    }
    if !params.is_empty() {
        url.query_pairs_mut().extend_pairs(params);
    }
    Ok(())
}

/// A string member of a JSON object: `None` when absent, `null` or empty; an error naming the
/// member (never its value) when it is not a string.
pub(crate) fn string_member(
    object: &Map<String, Value>,
    name: &'static str,
    expected: &'static str,
) -> Result<Option<String>> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Error::malformed(
            expected,
            format!("`{name}` is not a string"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, ct: Option<&str>, body: &[u8]) -> HttpResponse {
        let mut b = http::Response::builder().status(status);
        if let Some(ct) = ct {
            b = b.header(CONTENT_TYPE, ct);
        }
        b.body(body.to_vec()).unwrap()
    }

    #[test]
    fn retry_after_seconds_and_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(90));
        h.insert(RETRY_AFTER, later.parse().unwrap());
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(90)));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(90));
        h.insert(RETRY_AFTER, past.parse().unwrap());
        assert_eq!(retry_after(&h, now), Some(Duration::ZERO));
        h.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&h, now), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn the_header_comes_first_then_the_body_s_retry_after_on_429_and_503_only() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let body = br#"{"error":"rate_limited","retry_after":30}"#;
        let wait = |status, header: Option<&str>, body: &[u8]| {
            let mut r = resp(status, Some("application/json"), body);
            if let Some(h) = header {
                r.headers_mut().insert(RETRY_AFTER, h.parse().unwrap());
            }
            check_status(r, now).unwrap_err().retry_after()
        };
        assert_eq!(wait(429, None, body), Some(Duration::from_secs(30)));
        assert_eq!(wait(503, None, body), Some(Duration::from_secs(30)));
        assert_eq!(wait(429, Some("5"), body), Some(Duration::from_secs(5)));
        assert_eq!(wait(500, None, body), None, "only 429 and 503");
        for bad in [
            &br#"{"retry_after":-3}"#[..],
            br#"{"retry_after":"30"}"#,
            br#"{"retry_after":1e300}"#,
            br#"{"retry_after":null}"#,
            b"retry_after=30",
        ] {
            assert_eq!(
                wait(429, None, bad),
                None,
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn non_success_without_oauth_body_is_status_with_bounded_excerpt() {
        let body = vec![b'x'; 10_000];
        let err =
            check_status(resp(502, Some("text/plain"), &body), SystemTime::now()).unwrap_err();
        match err.kind() {
            ErrorKind::Status {
                status,
                body_excerpt,
                ..
            } => {
                assert_eq!(*status, 502);
                assert_eq!(body_excerpt.len(), BODY_EXCERPT_LEN);
            }
            k => panic!("{k:?}"),
        }
        assert!(err.is_retryable());
    }

    #[test]
    fn malformed_json_error_does_not_leak_values() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct T {
            expires_in: u64,
        }
        let body = br#"{"expires_in": "secret-token-value"}"#;
        let err = parse_json::<T>(
            resp(200, Some("application/json"), body),
            "a token response",
            SystemTime::now(),
        )
        .unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("secret-token-value"), "{shown}");
        assert!(shown.contains("wrong shape"), "{shown}");
    }

    #[test]
    fn wrong_content_type_is_malformed() {
        let err = parse_json::<serde_json::Value>(
            resp(200, Some("text/html"), b"{}"),
            "x",
            SystemTime::now(),
        )
        .unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::MalformedResponse { .. }));
        let err = parse_json::<serde_json::Value>(resp(200, None, b"{}"), "x", SystemTime::now())
            .unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::MalformedResponse { .. }));
    }

    #[test]
    fn secure_urls() {
        for ok in [
            "https://op.example",
            "http://127.0.0.1:1234/x",
            "http://[::1]:8080",
            "http://localhost",
            "http://127.10.0.1",
        ] {
            assert!(require_secure_url("issuer", ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://op.example",
            "http://10.0.0.1",
            "ftp://op.example",
            "not a url",
            "https://user:pw@op.example",
            "http://localhost.evil.example",
        ] {
            let e = require_secure_url("issuer", bad).unwrap_err();
            assert!(matches!(e.kind(), ErrorKind::Config { .. }), "{bad}");
        }
    }
}
