//! Token revocation (RFC 7009): the request and the response.

use std::time::SystemTime;

use crate::error::Result;
use crate::http::{self as h, HttpRequest, HttpResponse, RequestLimits};
use crate::oidc::{ClientAuth, TokenTypeHint, token_form};

/// The revocation request (RFC 7009 §2.1): a form `POST` of `token` (and `token_type_hint`),
/// with the client authenticated as `auth`. Revoking a refresh token usually revokes the access
/// tokens issued with it too.
///
/// # Errors
///
/// [`ErrorKind::Config`](crate::ErrorKind::Config) when the endpoint is not https (http only on
/// loopback) or the token is empty.
///
/// ```
/// use idpkit::{ClientSecret, http::RequestLimits};
/// use idpkit::oidc::build_revocation_request;
/// use idpkit::oidc::ClientAuth;
/// let auth = ClientAuth::ClientSecretBasic { client_id: "app".into(), secret: ClientSecret::new("s") };
/// let req = build_revocation_request("https://op.example/revoke", "at-1", None, &auth, RequestLimits::default())?;
/// assert_eq!(req.body(), b"token=at-1");
/// assert!(req.headers()["authorization"].to_str().unwrap().starts_with("Basic "));
/// # Ok::<(), idpkit::Error>(())
/// ```
pub fn build_revocation_request(
    endpoint: &str,
    token: &str,
    hint: Option<TokenTypeHint>,
    auth: &ClientAuth,
    limits: RequestLimits,
) -> Result<HttpRequest> {
    token_form("revocation_endpoint", endpoint, token, hint, auth, limits)
}

/// Judges the revocation response (RFC 7009 §2.2): any 2xx is success, whatever the body (the
/// server answers 200 for an unknown or already invalid token too).
///
/// # Errors
///
/// As [`check_status`](crate::http::check_status): [`ErrorKind::OAuth`](crate::ErrorKind::OAuth) for an error body
/// (such as `unsupported_token_type`), else [`ErrorKind::Status`](crate::ErrorKind::Status)
/// (503 with `Retry-After` when the server is busy, §2.2.1).
///
/// ```
/// use std::time::SystemTime;
/// use idpkit::oidc::parse_revocation_response;
/// let ok = http::Response::builder().status(200).body(Vec::new()).unwrap();
/// assert!(parse_revocation_response(ok, SystemTime::now()).is_ok());
/// let bad = http::Response::builder().status(400).header("content-type", "application/json")
///     .body(br#"{"error":"unsupported_token_type"}"#.to_vec()).unwrap();
/// let err = parse_revocation_response(bad, SystemTime::now()).unwrap_err();
/// assert_eq!(err.oauth().unwrap().code, idpkit::OAuthErrorCode::UnsupportedTokenType);
/// ```
pub fn parse_revocation_response(response: HttpResponse, now: SystemTime) -> Result<()> {
    h::check_status(response, now).map(drop)
}
