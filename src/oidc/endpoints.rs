//! The provider's other endpoints, as pure request/response pairs: token revocation (RFC 7009),
//! token introspection (RFC 7662), userinfo (OpenID Connect Core §5.3), and the URL of
//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0).
//!
//! Revocation and introspection authenticate the client like the token endpoint does
//! ([`ClientAuth`]).
//!
//! ```
//! use idpkit::http::RequestLimits;
//! use idpkit::oidc::{build_revocation_request, TokenTypeHint};
//! use idpkit::oidc::ClientAuth;
//! let auth = ClientAuth::None { client_id: "app".into() };
//! let req = build_revocation_request(
//!     "https://op.example/revoke", "rt-1", Some(TokenTypeHint::RefreshToken), &auth,
//!     RequestLimits::default(),
//! )?;
//! assert_eq!(req.body(), b"token=rt-1&token_type_hint=refresh_token&client_id=app");
//! # Ok::<(), idpkit::Error>(())
//! ```

use std::time::SystemTime;

use http::HeaderMap;
use http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, OAuthError, OAuthErrorCode, Result};
use crate::http::{self as h, HttpRequest, HttpResponse, RequestLimits};
use crate::oidc::append_query;
use crate::oidc::{ClientAuth, authenticated_form, sensitive_header, string_member};
use crate::secret::{AccessToken, IdToken};

/// Which kind of token is being revoked or introspected (`token_type_hint`, RFC 7009 §2.1,
/// RFC 7662 §2.1). Only a hint: the server looks further if it is wrong.
///
/// ```
/// use idpkit::oidc::TokenTypeHint;
/// assert_eq!(TokenTypeHint::AccessToken.as_str(), "access_token");
/// assert_eq!(serde_json::to_string(&TokenTypeHint::RefreshToken).unwrap(), r#""refresh_token""#);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TokenTypeHint {
    /// `access_token`.
    AccessToken,
    /// `refresh_token`.
    RefreshToken,
}

impl TokenTypeHint {
    /// The hint as sent.
    ///
    /// ```
    /// assert_eq!(idpkit::oidc::TokenTypeHint::RefreshToken.as_str(), "refresh_token");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            TokenTypeHint::AccessToken => "access_token",
            TokenTypeHint::RefreshToken => "refresh_token",
        }
    }
}

/// A form `POST` of `token` and its hint to an authenticated endpoint.
fn token_request(
    what: &str,
    endpoint: &str,
    token: &str,
    hint: Option<TokenTypeHint>,
    auth: &ClientAuth,
    limits: RequestLimits,
) -> Result<HttpRequest> {
    let url = h::require_secure_url(what, endpoint)?;
    if token.is_empty() {
        return Err(Error::config(format!(
            "the token sent to {what} must not be empty"
        )));
    }
    let mut params = vec![("token", token)];
    params.extend(hint.map(|hint| ("token_type_hint", hint.as_str())));
    authenticated_form(&url, params, auth, limits)
}

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
    token_request("revocation_endpoint", endpoint, token, hint, auth, limits)
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

/// The introspection request (RFC 7662 §2.1): a form `POST` of `token` (and
/// `token_type_hint`), with the client authenticated as `auth`.
///
/// # Errors
///
/// [`ErrorKind::Config`](crate::ErrorKind::Config) when the endpoint is not https (http only on
/// loopback) or the token is empty.
///
/// ```
/// use idpkit::{ClientSecret, http::RequestLimits};
/// use idpkit::oidc::{build_introspection_request, TokenTypeHint};
/// use idpkit::oidc::ClientAuth;
/// let auth = ClientAuth::ClientSecretPost { client_id: "rs".into(), secret: ClientSecret::new("s") };
/// let req = build_introspection_request(
///     "https://op.example/introspect", "at-1", Some(TokenTypeHint::AccessToken), &auth,
///     RequestLimits::default(),
/// )?;
/// assert_eq!(req.body(), b"token=at-1&token_type_hint=access_token&client_id=rs&client_secret=s");
/// # Ok::<(), idpkit::Error>(())
/// ```
pub fn build_introspection_request(
    endpoint: &str,
    token: &str,
    hint: Option<TokenTypeHint>,
    auth: &ClientAuth,
    limits: RequestLimits,
) -> Result<HttpRequest> {
    token_request(
        "introspection_endpoint",
        endpoint,
        token,
        hint,
        auth,
        limits,
    )
}

/// An introspection response (RFC 7662 §2.2). Only `active` is required; an inactive token
/// usually comes with nothing else. Members not modelled here are kept in
/// [`extra`](Self::extra).
///
/// ```
/// let i: idpkit::oidc::Introspection = serde_json::from_str(
///     r#"{"active":true,"sub":"u1","aud":"api","exp":1700000000,"cnf":{"x5t#S256":"..."}}"#,
/// ).unwrap();
/// assert!(i.active);
/// assert_eq!(i.aud, ["api"]);
/// assert!(i.extra.contains_key("cnf"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Introspection {
    /// Whether the token is currently active.
    pub active: bool,
    /// The token's scope, space-separated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The client the token was issued to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// A human-readable identifier of the resource owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The token's type, such as `Bearer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// Expiry, seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<u64>,
    /// Issue time, seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    /// Not-before time, seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// The subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// The audiences; a single string on the wire becomes one entry.
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub aud: Vec<String>,
    /// The issuer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// The token's identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// Every other member.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A string, an array of strings, or `null`, as a list.
fn one_or_many<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<OneOrMany>::deserialize(deserializer)? {
        None => Vec::new(),
        Some(OneOrMany::One(one)) => vec![one],
        Some(OneOrMany::Many(many)) => many,
    })
}

/// Parses an introspection response: a 2xx JSON object with a boolean `active` (RFC 7662 §2.2).
///
/// # Errors
///
/// As [`parse_json`](crate::http::parse_json): [`ErrorKind::OAuth`](crate::ErrorKind::OAuth) /
/// [`ErrorKind::Status`](crate::ErrorKind::Status) for an error answer,
/// [`ErrorKind::MalformedResponse`](crate::ErrorKind::MalformedResponse) for anything else
/// (a JWT response, RFC 9701, included).
///
/// ```
/// use std::time::SystemTime;
/// use idpkit::oidc::parse_introspection_response;
/// let resp = http::Response::builder().header("content-type", "application/json")
///     .body(br#"{"active":true,"scope":"read","aud":["a","b"]}"#.to_vec()).unwrap();
/// let i = parse_introspection_response(resp, SystemTime::now())?;
/// assert_eq!(i.scope.as_deref(), Some("read"));
/// assert_eq!(i.aud, ["a", "b"]);
/// # Ok::<(), idpkit::Error>(())
/// ```
pub fn parse_introspection_response(
    response: HttpResponse,
    now: SystemTime,
) -> Result<Introspection> {
    h::parse_json(
        response,
        "a token introspection response (RFC 7662 §2.2)",
        now,
    )
}

/// The userinfo request (OIDC Core §5.3.1): `GET` with `Authorization: Bearer <token>` (the
/// header marked sensitive). DPoP-bound tokens are not supported here.
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
/// use idpkit::{endpoints::parse_userinfo_response, OAuthErrorCode};
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
    let challenge = bearer_challenge_error(response.headers());
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

/// The OAuth error of the first `Bearer` challenge with an `error` in the `WWW-Authenticate`
/// headers (RFC 6750 §3), if any.
fn bearer_challenge_error(headers: &HeaderMap) -> Option<OAuthError> {
    headers
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(parse_challenges)
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .find_map(|(_, params)| {
            let get = |name: &str| {
                params
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.clone())
                    .filter(|v| !v.is_empty())
            };
            let mut error = OAuthError::new(OAuthErrorCode::from(get("error")?.as_str()));
            error.description = get("error_description");
            error.uri = get("error_uri");
            Some(error)
        })
}

type Challenge = (String, Vec<(String, String)>);

/// The challenges of a `WWW-Authenticate` value (RFC 9110 §11.6.1): each scheme with its
/// auth-params (token or quoted-string values). Lenient: what it cannot read, such as a
/// token68, it skips or mislabels, never panicking.
fn parse_challenges(value: &str) -> Vec<Challenge> {
    fn is_tchar(b: u8) -> bool {
        b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
    }
    let bytes = value.as_bytes();
    let skip_space = |mut i: usize| {
        while i < bytes.len() && matches!(bytes[i], b' ' | b'\t') {
            i += 1;
        }
        i
    };
    let mut challenges: Vec<Challenge> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !is_tchar(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_tchar(bytes[i]) {
            i += 1;
        }
        let token = &value[start..i];
        let after = skip_space(i);
        if bytes.get(after) != Some(&b'=') {
            challenges.push((token.to_owned(), Vec::new()));
            continue;
        }
        i = skip_space(after + 1);
        let mut param = String::new();
        if bytes.get(i) == Some(&b'"') {
            i += 1;
            while i < bytes.len() && bytes[i] != b'"' {
                if bytes[i] == b'\\' && i + 1 < bytes.len() {
                    i += 1;
                }
                param.push(char::from(bytes[i]));
                i += 1;
            }
            i += 1;
        } else {
            let start = i;
            while i < bytes.len() && is_tchar(bytes[i]) {
                i += 1;
            }
            param.push_str(&value[start..i]);
        }
        if let Some((_, params)) = challenges.last_mut() {
            params.push((token.to_owned(), param));
        }
    }
    challenges
}

/// The parameters of an RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0 §2). All
/// optional; `id_token_hint` is RECOMMENDED, and a `post_logout_redirect_uri` must be
/// registered and is best accompanied by `id_token_hint` or `client_id` so the provider can
/// check it. `Debug` redacts the ID token.
///
/// ```
/// use idpkit::{IdToken, endpoints::LogoutOptions};
/// let options = LogoutOptions {
///     id_token_hint: Some(IdToken::new("eyJ...")),
///     post_logout_redirect_uri: Some("https://app.example/bye".into()),
///     ..Default::default()
/// };
/// assert!(!format!("{options:?}").contains("eyJ"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogoutOptions {
    /// The ID token last issued to the client for this user, identifying the session.
    pub id_token_hint: Option<IdToken>,
    /// Where the provider sends the user-agent after logout; must be registered.
    pub post_logout_redirect_uri: Option<String>,
    /// An opaque value the provider passes back to `post_logout_redirect_uri`.
    pub state: Option<String>,
    /// The client identifier, for when there is no `id_token_hint`.
    pub client_id: Option<String>,
    /// Preferred languages for the logout pages, space-separated BCP 47 tags.
    pub ui_locales: Option<String>,
    /// A hint about the user who is logging out.
    pub logout_hint: Option<String>,
}

/// The URL to send the user-agent to for RP-initiated logout (RP-Initiated Logout 1.0 §2): the
/// end-session endpoint with the options as query parameters (a query already in the endpoint
/// is kept). The URL carries the ID token when `id_token_hint` is set: do not log it.
///
/// # Errors
///
/// [`ErrorKind::Config`](crate::ErrorKind::Config) when the endpoint is not https (http only on
/// loopback) or has a fragment, when `post_logout_redirect_uri` is not an absolute URL or has a
/// fragment, or when a parameter is already in the endpoint's query.
///
/// ```
/// use idpkit::{IdToken, endpoints::{build_logout_url, LogoutOptions}};
/// let options = LogoutOptions {
///     id_token_hint: Some(IdToken::new("eyJ.x.y")),
///     post_logout_redirect_uri: Some("https://app.example/bye".into()),
///     state: Some("s1".into()),
///     ..Default::default()
/// };
/// let url = build_logout_url("https://op.example/logout", &options)?;
/// assert_eq!(
///     url,
///     "https://op.example/logout?id_token_hint=eyJ.x.y&post_logout_redirect_uri=https%3A%2F%2Fapp.example%2Fbye&state=s1"
/// );
/// # Ok::<(), idpkit::Error>(())
/// ```
pub fn build_logout_url(end_session_endpoint: &str, options: &LogoutOptions) -> Result<String> {
    let mut url = h::require_secure_url("end_session_endpoint", end_session_endpoint)?;
    if let Some(uri) = &options.post_logout_redirect_uri {
        match url::Url::parse(uri) {
            Ok(parsed) if parsed.fragment().is_none() => {}
            _ => {
                return Err(Error::config(format!(
                    "post_logout_redirect_uri must be an absolute URL without fragment: {uri:?}"
                )));
            }
        }
    }
    let params = [
        (
            "id_token_hint",
            options.id_token_hint.as_ref().map(IdToken::expose_secret),
        ),
        ("logout_hint", options.logout_hint.as_deref()),
        ("client_id", options.client_id.as_deref()),
        (
            "post_logout_redirect_uri",
            options.post_logout_redirect_uri.as_deref(),
        ),
        ("state", options.state.as_deref()),
        ("ui_locales", options.ui_locales.as_deref()),
    ];
    let params: Vec<(&str, &str)> = params
        .iter()
        .filter_map(|&(name, value)| Some((name, value.filter(|v| !v.is_empty())?)))
        .collect();
    append_query(&mut url, "end_session_endpoint", &params)?;
    Ok(url.into())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::error::ErrorKind;

    const LIMITS: RequestLimits = RequestLimits {
        timeout: Duration::from_secs(5),
        max_response_bytes: 1000,
    };

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
    }

    fn response(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
        let mut b = http::Response::builder().status(status);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(body.as_bytes().to_vec()).unwrap()
    }

    fn json(status: u16, body: &str) -> HttpResponse {
        response(status, &[("content-type", "application/json")], body)
    }

    fn public() -> ClientAuth {
        ClientAuth::None {
            client_id: "app".into(),
        }
    }

    fn kind<T: std::fmt::Debug>(r: Result<T>) -> ErrorKind {
        r.unwrap_err().into_kind()
    }

    fn is_config<T: std::fmt::Debug>(r: Result<T>) -> bool {
        matches!(kind(r), ErrorKind::Config { .. })
    }

    fn is_malformed<T: std::fmt::Debug>(r: Result<T>) -> bool {
        matches!(kind(r), ErrorKind::MalformedResponse { .. })
    }

    #[test]
    fn revocation_and_introspection_requests() {
        let basic = ClientAuth::ClientSecretBasic {
            client_id: "app".into(),
            secret: "s".into(),
        };
        let hint = Some(TokenTypeHint::AccessToken);
        let endpoint = "https://op.example/revoke";
        let req = build_revocation_request(endpoint, "a b+c", hint, &basic, LIMITS).unwrap();
        assert_eq!(
            (req.method().as_str(), req.uri().to_string()),
            ("POST", endpoint.into())
        );
        assert_eq!(req.body(), b"token=a+b%2Bc&token_type_hint=access_token");
        assert_eq!(req.headers()["authorization"], "Basic YXBwOnM=");
        assert!(req.headers()["authorization"].is_sensitive());
        assert_eq!(
            req.headers()["content-type"],
            "application/x-www-form-urlencoded"
        );
        assert_eq!(RequestLimits::of(&req), LIMITS);

        let endpoint = "https://op.example/introspect";
        let req = build_introspection_request(endpoint, "t", None, &public(), LIMITS).unwrap();
        assert_eq!(req.body(), b"token=t&client_id=app");
        assert!(req.headers().get("authorization").is_none());
        assert_eq!(req.headers()["accept"], "application/json");

        for (endpoint, token) in [("http://op.example/r", "t"), ("https://op.example/r", "")] {
            let r = build_revocation_request(endpoint, token, None, &public(), LIMITS);
            assert!(is_config(r));
            let r = build_introspection_request(endpoint, token, None, &public(), LIMITS);
            assert!(is_config(r));
        }
    }

    #[test]
    fn revocation_responses() {
        assert!(parse_revocation_response(response(200, &[], "ignored <html>"), now()).is_ok());
        assert!(parse_revocation_response(response(204, &[], ""), now()).is_ok());
        let body = r#"{"error":"unsupported_token_type"}"#;
        let err = parse_revocation_response(json(400, body), now()).unwrap_err();
        assert_eq!(
            err.oauth().unwrap().code,
            OAuthErrorCode::UnsupportedTokenType
        );
        let busy = response(503, &[("retry-after", "30")], "");
        let err = parse_revocation_response(busy, now()).unwrap_err();
        assert_eq!(
            (err.status(), err.retry_after()),
            (Some(503), Some(Duration::from_secs(30)))
        );
    }

    #[test]
    fn introspection_responses() {
        let body = r#"{"active":true,"scope":"read write","client_id":"c","username":"u",
            "token_type":"Bearer","exp":1700003600,"iat":1700000000,"nbf":1700000001,
            "sub":"s","aud":"https://api.example","iss":"https://op.example","jti":"j",
            "ext":{"k":1}}"#;
        let i = parse_introspection_response(json(200, body), now()).unwrap();
        assert!(i.active);
        let strings = [
            &i.scope,
            &i.client_id,
            &i.username,
            &i.token_type,
            &i.sub,
            &i.iss,
            &i.jti,
        ];
        let strings = strings.map(|s| s.as_deref().unwrap());
        assert_eq!(
            strings,
            [
                "read write",
                "c",
                "u",
                "Bearer",
                "s",
                "https://op.example",
                "j"
            ]
        );
        assert_eq!(
            [i.exp, i.iat, i.nbf],
            [1_700_003_600, 1_700_000_000, 1_700_000_001].map(Some)
        );
        assert_eq!(i.aud, ["https://api.example"]);
        assert_eq!((i.extra.len(), &i.extra["ext"]["k"]), (1, &Value::from(1)));
        let back = serde_json::from_value::<Introspection>(serde_json::to_value(&i).unwrap());
        assert_eq!(back.unwrap(), i);

        let inactive = parse_introspection_response(json(200, r#"{"active":false}"#), now());
        let inactive = inactive.unwrap();
        assert!(!inactive.active && inactive.aud.is_empty() && inactive.extra.is_empty());
        let body = r#"{"active":true,"aud":["a","b"]}"#;
        assert_eq!(
            parse_introspection_response(json(200, body), now())
                .unwrap()
                .aud,
            ["a", "b"]
        );
        let body = r#"{"active":true,"aud":null,"sub":null}"#;
        let i = parse_introspection_response(json(200, body), now()).unwrap();
        assert!(i.aud.is_empty() && i.sub.is_none());
    }

    #[test]
    fn bad_introspection_responses() {
        let bodies = [
            "{}",
            r#"{"active":"true"}"#,
            r#"{"active":1}"#,
            r#"{"active":true,"aud":[1]}"#,
            r#"{"active":true,"aud":{"x":"secret-value"}}"#,
            r#"{"active":true,"exp":-1}"#,
            r#"{"active":true,"exp":1e40}"#,
            r#"{"active":true,"exp":"secret-value"}"#,
            r#"{"active":true,"sub":42}"#,
            "[]",
            "not json secret-value",
            "",
        ];
        for body in bodies {
            let err = parse_introspection_response(json(200, body), now()).unwrap_err();
            assert!(
                matches!(err.kind(), ErrorKind::MalformedResponse { .. }),
                "{body}"
            );
            assert!(!format!("{err} {err:?}").contains("secret-value"), "{body}");
        }
        let ct = [("content-type", "application/token-introspection+jwt")];
        assert!(is_malformed(parse_introspection_response(
            response(200, &ct, "e.y.j"),
            now()
        )));
        let body = r#"{"error":"invalid_client"}"#;
        let err = parse_introspection_response(json(401, body), now()).unwrap_err();
        assert_eq!(err.oauth().unwrap().code, OAuthErrorCode::InvalidClient);
    }

    #[test]
    fn userinfo_request() {
        let endpoint = "https://op.example/userinfo?x=1";
        let req = build_userinfo_request(endpoint, &"at-secret".into(), LIMITS).unwrap();
        assert_eq!(
            (req.method().as_str(), req.uri().to_string()),
            ("GET", endpoint.into())
        );
        assert_eq!(req.headers()["authorization"], "Bearer at-secret");
        assert!(req.headers()["authorization"].is_sensitive());
        assert!(req.body().is_empty());
        assert!(!format!("{req:?}").contains("at-secret"));
        let https = "https://op.example/userinfo";
        for (endpoint, token) in [
            ("http://op.example/u", "t"),
            (https, ""),
            (https, "bad\ntoken"),
        ] {
            let r = build_userinfo_request(endpoint, &AccessToken::new(token), LIMITS);
            assert!(is_config(r), "{token:?}");
        }
    }

    #[test]
    fn userinfo_responses() {
        let body = r#"{"sub":"248289761001","name":"Jane","email_verified":true}"#;
        let claims = parse_userinfo_response(json(200, body), now()).unwrap();
        assert_eq!(
            (&claims["sub"], &claims["email_verified"]),
            (&"248289761001".into(), &true.into())
        );
        let bodies = [
            r#"{"name":"x"}"#,
            r#"{"sub":""}"#,
            r#"{"sub":null}"#,
            r#"{"sub":1}"#,
            "[]",
            "?",
        ];
        for body in bodies {
            assert!(
                is_malformed(parse_userinfo_response(json(200, body), now())),
                "{body}"
            );
        }
        let jwt = response(
            200,
            &[("content-type", "application/jwt; charset=utf-8")],
            "e.y.j",
        );
        let err = parse_userinfo_response(jwt, now()).unwrap_err();
        assert!(err.to_string().contains("not supported yet"), "{err}");
    }

    #[test]
    fn userinfo_errors_from_www_authenticate() {
        let r = |status, challenge: &str, body: &str| {
            let headers = [
                ("www-authenticate", challenge),
                ("content-type", "application/json"),
            ];
            parse_userinfo_response(response(status, &headers, body), now()).unwrap_err()
        };
        let challenge =
            r#"Bearer realm="example", error="invalid_token", error_description="Expired""#;
        let err = r(401, challenge, "");
        let oauth = err.oauth().unwrap();
        assert_eq!(oauth.code, OAuthErrorCode::InvalidToken);
        assert_eq!(
            (oauth.description.as_deref(), oauth.status),
            (Some("Expired"), Some(401))
        );

        // The body's error wins.
        let err = r(
            401,
            r#"Bearer error="invalid_token""#,
            r#"{"error":"invalid_request"}"#,
        );
        assert_eq!(err.oauth().unwrap().code, OAuthErrorCode::InvalidRequest);

        let challenge = r#"DPoP algs="ES256", Bearer error=insufficient_scope, scope="openid""#;
        let err = r(403, challenge, "");
        assert_eq!(err.oauth().unwrap().code, OAuthErrorCode::InsufficientScope);
        assert_eq!(err.status(), Some(403));

        // No error in a Bearer challenge: a plain status error.
        for challenge in [
            r#"Bearer realm="example""#,
            r#"Basic realm="x", error="invalid_token""#,
        ] {
            let err = r(401, challenge, "");
            assert!(
                matches!(err.kind(), ErrorKind::Status { status: 401, .. }),
                "{challenge}"
            );
        }
    }

    #[test]
    fn challenge_parsing() {
        let value =
            r#"Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple""#;
        let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        let expected = [
            (
                "Newauth".to_owned(),
                pairs(&[
                    ("realm", "apps"),
                    ("type", "1"),
                    ("title", "Login to \"apps\""),
                ]),
            ),
            ("Basic".to_owned(), pairs(&[("realm", "simple")])),
        ];
        assert_eq!(parse_challenges(value), expected);
        let c = parse_challenges("bearer error = \"invalid_token\"");
        assert_eq!(c[0].1, pairs(&[("error", "invalid_token")]));
        let garbage = "|\"|=|==|Bearer error=\"open|Bearer error=\"x\\|,,,|Basic dXNlcjpwYXNz==|\
                       Bearer =x|a=b|\t Bearer\t|";
        for value in garbage.split('|') {
            let _ = parse_challenges(value);
        }
        let mut headers = HeaderMap::new();
        headers.append(WWW_AUTHENTICATE, "Basic realm=\"x\"".parse().unwrap());
        let bearer = "Bearer error=\"invalid_token\", error_uri=\"https://e\"";
        headers.append(WWW_AUTHENTICATE, bearer.parse().unwrap());
        let e = bearer_challenge_error(&headers).unwrap();
        assert_eq!(
            (e.code, e.uri.as_deref()),
            (OAuthErrorCode::InvalidToken, Some("https://e"))
        );
        let not_ascii = http::HeaderValue::from_bytes(b"Bearer error=\"\xff\"").unwrap();
        headers.insert(WWW_AUTHENTICATE, not_ascii);
        assert!(bearer_challenge_error(&headers).is_none());
    }

    proptest::proptest! {
        #[test]
        fn parsers_never_panic(
            status in 100u16..600,
            body in proptest::prop_oneof![
                "\\PC{0,100}",
                r#"\{("(access_token|token_type|expires_in|error|sub|active|aud|exp|scope)":(-?[0-9e.]{1,25}|"[^"\\]{0,4}"|true|null|\[("a"|1)?\]|\{\}),?){0,5}\}"#,
            ],
            header in "[ -~]{0,60}",
        ) {
            let headers = [("content-type", "application/json"), ("www-authenticate", &header)];
            let make = || response(status, &headers, &body);
            let _ = parse_userinfo_response(make(), now());
            let _ = parse_introspection_response(make(), now());
            let _ = parse_revocation_response(make(), now());
            let _ = crate::oidc::parse_token_response(make(), now());
            let _ = crate::oidc::CallbackParams::from_query(&body);
            let _ = parse_challenges(&header);
        }
    }

    #[test]
    fn logout_urls() {
        let all = LogoutOptions {
            id_token_hint: Some(IdToken::new("eyJ.a.b")),
            logout_hint: Some("alice".into()),
            client_id: Some("app".into()),
            post_logout_redirect_uri: Some("com.example.app:/bye".into()),
            state: Some("s 1".into()),
            ui_locales: Some("fr-CA fr".into()),
        };
        let url = build_logout_url("https://op.example/logout?p=b2c", &all).unwrap();
        let expected = "https://op.example/logout?p=b2c&id_token_hint=eyJ.a.b&logout_hint=alice\
            &client_id=app&post_logout_redirect_uri=com.example.app%3A%2Fbye&state=s+1\
            &ui_locales=fr-CA+fr";
        assert_eq!(url, expected);
        assert!(!format!("{all:?}").contains("eyJ.a.b"));
        let endpoint = "https://op.example/logout";
        let empty_state = LogoutOptions {
            state: Some(String::new()),
            ..Default::default()
        };
        for options in [LogoutOptions::default(), empty_state] {
            assert_eq!(build_logout_url(endpoint, &options).unwrap(), endpoint);
        }
        let state = LogoutOptions {
            state: Some("y".into()),
            ..Default::default()
        };
        let redirect = |uri: &str| LogoutOptions {
            post_logout_redirect_uri: Some(uri.into()),
            ..Default::default()
        };
        let bad = [
            ("http://op.example/logout", LogoutOptions::default()),
            ("https://op.example/logout#x", LogoutOptions::default()),
            ("https://op.example/logout?state=x", state),
            (endpoint, redirect("/bye")),
            (endpoint, redirect("https://app.example/#x")),
        ];
        for (endpoint, options) in bad {
            assert!(
                is_config(build_logout_url(endpoint, &options)),
                "{endpoint} {options:?}"
            );
        }
    }
}
