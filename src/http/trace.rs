//! The `tracing` span of each request the clients send: what was called and how it went, never
//! what was said. A span carries the operation (`discovery`, `token`, `pdp.evaluate`, …), the
//! method, the host and the path (never the query string, which can carry codes and tokens),
//! the `X-Request-ID` when the request has one, then the status, the duration, the number of
//! retries and the error's `Display` (which never contains a secret). No header and no body is
//! ever recorded.

use std::time::Duration;

use tracing::field::Empty;

use crate::error::Error;
use crate::http::HttpRequest;

/// The name of every request span, for a subscriber's filter.
///
/// ```
/// assert_eq!(idpkit::http::REQUEST_SPAN, "idpkit.request");
/// ```
pub const REQUEST_SPAN: &str = "idpkit.request";

/// Opens the span of one operation (all its attempts) for `request`.
#[cfg_attr(not(any(feature = "blocking", feature = "async")), allow(dead_code))]
pub(crate) fn request_span(operation: &'static str, request: &HttpRequest) -> tracing::Span {
    let uri = request.uri();
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::info_span!(
        "idpkit.request",
        operation,
        method = %request.method(),
        host = uri.host().unwrap_or(""),
        path = uri.path(),
        request_id,
        status = Empty,
        duration_ms = Empty,
        retries = Empty,
        error = Empty,
    )
}

/// Records how the operation ended and emits one event in its span.
#[cfg_attr(not(any(feature = "blocking", feature = "async")), allow(dead_code))]
pub(crate) fn finish_span(
    span: &tracing::Span,
    status: Option<u16>,
    elapsed: Duration,
    retries: u32,
    error: Option<&Error>,
) {
    if let Some(status) = status {
        span.record("status", status);
    }
    span.record("duration_ms", elapsed.as_secs_f64() * 1000.0);
    span.record("retries", retries);
    match error {
        Some(error) => {
            span.record("error", tracing::field::display(error));
            tracing::warn!(parent: span, %error, "request failed");
        }
        None => tracing::debug!(parent: span, "request succeeded"),
    }
}
