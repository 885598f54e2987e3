//! The userinfo endpoint (OpenID Connect Core §5.3): the request and the response.

use std::time::SystemTime;

use http::header::{AUTHORIZATION, CONTENT_TYPE};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::http::{
    self as h, HttpRequest, HttpResponse, RequestLimits, bearer_challenge_error, challenge_error,
    sensitive_header, string_member,
};
use crate::secret::AccessToken;

/// The userinfo request (OIDC Core §5.3.1): `GET` with `Authorization: Bearer <token>` (the
/// header marked sensitive). For a DPoP-bound token the client's transport replaces it with
/// `Authorization: DPoP <token>` and adds the proof (RFC 9449 §7).
///
/// # Errors
///
/// [`ErrorKind::Config`](crate::ErrorKind::Config) when the endpoint is not https (http only on
/// loopback), or the token is empty or cannot be put in a header.
///
/// ```
/// use idpkit::{AccessToken, http::RequestLimits};
/// use idpkit::oidc::build_userinfo_request;
/// let req = build_userinfo_request("https://op.example/userinfo", &AccessToken::new("at-1"), RequestLimits::default())?;
/// assert_eq!(req.method(), "GET");
/// assert_eq!(req.headers()["authorization"], "Bearer at-1");
/// # Ok::<(), idpkit::Error>(())
/// ```
pub fn build_userinfo_request(
    endpoint: &str,
    access_token: &AccessToken,
    limits: RequestLimits,
) -> Result<HttpRequest> {
    let url = h::require_secure_url("userinfo_endpoint", endpoint)?;
    if access_token.expose_secret().is_empty() {
        return Err(Error::config("the access token must not be empty"));
    }
    let authorization = sensitive_header(&format!("Bearer {}", access_token.expose_secret()))?;
    let mut request = h::get_json(&url, limits)?;
    request.headers_mut().insert(AUTHORIZATION, authorization);
    Ok(request)
}

const USERINFO: &str = "a userinfo response (OIDC Core §5.3.2)";

/// Parses a userinfo response: a 2xx JSON object with a non-empty string `sub`. The caller must
/// still check that `sub` is the ID token's (OIDC Core §5.3.2).
///
/// # Errors
///
/// - [`ErrorKind::OAuth`](crate::ErrorKind::OAuth) for an OAuth error: from the body, or else
///   from the `WWW-Authenticate: Bearer error="…"` challenge (RFC 6750 §3), such as
///   `invalid_token` for an expired token;
/// - [`ErrorKind::Status`](crate::ErrorKind::Status) for another non-2xx answer;
/// - [`ErrorKind::MalformedResponse`](crate::ErrorKind::MalformedResponse) for a signed or
///   encrypted (`application/jwt`) response, not supported yet, or for anything but a JSON
///   object with a string `sub`.
///
/// ```
/// use std::time::SystemTime;
/// use idpkit::{oidc::parse_userinfo_response, OAuthErrorCode};
/// let ok = http::Response::builder().header("content-type", "application/json")
///     .body(br#"{"sub":"u1","email":"u1@example.com"}"#.to_vec()).unwrap();
/// let claims = parse_userinfo_response(ok, SystemTime::now())?;
/// assert_eq!(claims["email"], "u1@example.com");
///
/// let expired = http::Response::builder().status(401)
///     .header("www-authenticate", r#"Bearer error="invalid_token", error_description="expired""#)
///     .body(Vec::new()).unwrap();
/// let err = parse_userinfo_response(expired, SystemTime::now()).unwrap_err();
/// assert_eq!(err.oauth().unwrap().code, OAuthErrorCode::InvalidToken);
/// assert_eq!(err.status(), Some(401));
/// # Ok::<(), idpkit::Error>(())
/// ```
pub fn parse_userinfo_response(
    response: HttpResponse,
    now: SystemTime,
) -> Result<Map<String, Value>> {
    let challenge = bearer_challenge_error(response.headers())
        .or_else(|| challenge_error(response.headers(), "dpop"));
    let response = match h::check_status(response, now) {
        Ok(response) => response,
        Err(e) => {
            return Err(match challenge {
                Some(mut oauth) if e.oauth().is_none() => {
                    oauth.status = e.status();
                    oauth.retry_after = e.retry_after();
                    oauth.into()
                }
                _ => e,
            });
        }
    };
    let is_jwt = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/jwt"));
    if is_jwt {
        return Err(Error::malformed(
            USERINFO,
            "signed or encrypted (application/jwt) userinfo responses are not supported yet",
        ));
    }
    let claims: Map<String, Value> = h::parse_json(response, USERINFO, now)?;
    if string_member(&claims, "sub", USERINFO)?.is_none() {
        return Err(Error::malformed(USERINFO, "`sub` is missing or empty"));
    }
    Ok(claims)
}
