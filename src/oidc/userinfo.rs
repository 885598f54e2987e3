//! The userinfo endpoint (OpenID Connect Core §5.3): the request and the response.

use std::time::SystemTime;

use http::HeaderValue;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use serde_json::{Map, Value};

use crate::error::{Error, Result, TokenValidationError};
use crate::http::{
    self as h, HttpRequest, HttpResponse, RequestLimits, bearer_challenge_error, challenge_error,
    sensitive_header, string_member,
};
use crate::oidc::id_token::{loggable, parse_header, verify_signature};
use crate::oidc::{IdTokenChecks, Jwks};
use crate::secret::AccessToken;

/// The userinfo request (OIDC Core §5.3.1): `GET` with `Authorization: Bearer <token>` (the
/// header marked sensitive). For the token in a form body instead, see [`build_bearer_request`].
/// For a DPoP-bound token the client's transport replaces the header with
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
    build_bearer_request(
        "userinfo_endpoint",
        endpoint,
        Some(access_token),
        BearerMethod::Header,
        limits,
    )
}

/// How an access token travels to a protected resource (RFC 6750 §2).
///
/// ```
/// assert_eq!(idpkit::oidc::BearerMethod::default(), idpkit::oidc::BearerMethod::Header);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum BearerMethod {
    /// `GET` with `Authorization: Bearer <token>` (RFC 6750 §2.1): the default, and what every
    /// provider must accept.
    #[default]
    Header,
    /// `POST` with the token as the `access_token` form parameter (RFC 6750 §2.2), for a
    /// provider or a proxy in front of it that does not pass the header on.
    FormBody,
}

/// A request to a protected resource of the provider (the userinfo endpoint, a claims
/// provider's endpoint) carrying `access_token` as `method` says; without a token, a plain
/// `GET`. It accepts JSON and signed JWTs (`application/jwt`).
///
/// # Errors
///
/// [`ErrorKind::Config`](crate::ErrorKind::Config) when the endpoint is not https (http only on
/// loopback; `what` names it), or the token is empty or cannot be put in a header.
///
/// ```
/// use idpkit::{AccessToken, http::RequestLimits};
/// use idpkit::oidc::{BearerMethod, build_bearer_request};
/// let token = AccessToken::new("at-1");
/// let req = build_bearer_request("userinfo_endpoint", "https://op.example/userinfo",
///     Some(&token), BearerMethod::FormBody, RequestLimits::default())?;
/// assert_eq!(req.method(), "POST");
/// assert_eq!(req.body(), b"access_token=at-1");
/// assert!(req.headers().get("authorization").is_none());
/// # Ok::<(), idpkit::Error>(())
/// ```
pub fn build_bearer_request(
    what: &str,
    endpoint: &str,
    access_token: Option<&AccessToken>,
    method: BearerMethod,
    limits: RequestLimits,
) -> Result<HttpRequest> {
    let url = h::require_secure_url(what, endpoint)?;
    let token = access_token.map(AccessToken::expose_secret);
    if token.is_some_and(str::is_empty) {
        return Err(Error::config("the access token must not be empty"));
    }
    let mut request = match (token, method) {
        (Some(token), BearerMethod::FormBody) => {
            h::post_form(&url, &[("access_token", token)], limits)?
        }
        _ => h::get_json(&url, limits)?,
    };
    if let (Some(token), BearerMethod::Header) = (token, method) {
        let authorization = sensitive_header(&format!("Bearer {token}"))?;
        request.headers_mut().insert(AUTHORIZATION, authorization);
    }
    request.headers_mut().insert(
        ACCEPT,
        HeaderValue::from_static("application/json, application/jwt"),
    );
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
    match parse_userinfo_answer(response, now)? {
        UserInfoResponse::Claims(claims) => Ok(claims),
        UserInfoResponse::Signed(_) => Err(Error::malformed(
            USERINFO,
            "a signed (application/jwt) userinfo response: read it with parse_userinfo_answer \
             and verify it with verify_signed_userinfo",
        )),
    }
}

/// A userinfo answer (OIDC Core §5.3.2): the claims as JSON, or a signed JWT
/// (`application/jwt`) still to verify with [`verify_signed_userinfo`].
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub enum UserInfoResponse {
    /// A JSON object with a non-empty string `sub`.
    Claims(Map<String, Value>),
    /// A compact JWS, not verified yet.
    Signed(String),
}

impl std::fmt::Debug for UserInfoResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The claims are personal data: their names only.
        match self {
            UserInfoResponse::Claims(claims) => f
                .debug_tuple("Claims")
                .field(&claims.keys().collect::<Vec<_>>())
                .finish(),
            UserInfoResponse::Signed(jwt) => write!(f, "Signed([{} bytes])", jwt.len()),
        }
    }
}

/// Parses a userinfo response that may be signed: `application/jwt` gives
/// [`UserInfoResponse::Signed`] (a compact JWS of three segments), JSON gives
/// [`UserInfoResponse::Claims`] as [`parse_userinfo_response`] would.
///
/// # Errors
///
/// As [`parse_userinfo_response`]; an `application/jwt` body that is not a compact JWS (an
/// encrypted JWE, say) is [`ErrorKind::MalformedResponse`](crate::ErrorKind::MalformedResponse).
///
/// ```
/// use std::time::SystemTime;
/// use idpkit::oidc::{parse_userinfo_answer, UserInfoResponse};
/// let signed = http::Response::builder().header("content-type", "application/jwt")
///     .body(b"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2ln".to_vec()).unwrap();
/// assert!(matches!(parse_userinfo_answer(signed, SystemTime::now())?, UserInfoResponse::Signed(_)));
/// # Ok::<(), idpkit::Error>(())
/// ```
pub fn parse_userinfo_answer(response: HttpResponse, now: SystemTime) -> Result<UserInfoResponse> {
    let response = check_protected_status(response, now)?;
    if let Some(jwt) = jwt_body(&response, USERINFO)? {
        return Ok(UserInfoResponse::Signed(jwt));
    }
    let claims: Map<String, Value> = h::parse_json(response, USERINFO, now)?;
    if string_member(&claims, "sub", USERINFO)?.is_none() {
        return Err(Error::malformed(USERINFO, "`sub` is missing or empty"));
    }
    Ok(UserInfoResponse::Claims(claims))
}

/// A 2xx answer of a protected resource, or its error: from the body, else from the
/// `WWW-Authenticate: Bearer error="…"` challenge (RFC 6750 §3), or a `DPoP` one (RFC 9449 §7.1).
pub(crate) fn check_protected_status(
    response: HttpResponse,
    now: SystemTime,
) -> Result<HttpResponse> {
    let challenge = bearer_challenge_error(response.headers())
        .or_else(|| challenge_error(response.headers(), "dpop"));
    h::check_status(response, now).map_err(|e| match challenge {
        Some(mut oauth) if e.oauth().is_none() => {
            oauth.status = e.status();
            oauth.retry_after = e.retry_after();
            oauth.into()
        }
        _ => e,
    })
}

/// The body of an `application/jwt` answer as a compact JWS (three base64url segments), or
/// `None` for another content type.
pub(crate) fn jwt_body(response: &HttpResponse, expected: &'static str) -> Result<Option<String>> {
    let is_jwt = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/jwt"));
    if !is_jwt {
        return Ok(None);
    }
    let jwt = std::str::from_utf8(response.body())
        .map(str::trim)
        .ok()
        .filter(|jwt| {
            jwt.split('.').count() == 3
                && jwt
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        })
        .ok_or_else(|| {
            Error::malformed(
                expected,
                "the application/jwt body is not a compact signed JWT (JWS)",
            )
        })?;
    Ok(Some(jwt.to_owned()))
}

/// Verifies a signed userinfo response (OIDC Core §5.3.2) with the provider's keys and the
/// client's ID-token checks (the same algorithms, the client secret for HMAC), and returns its
/// claims: `sub` must be a non-empty string, and `iss` and `aud`, which a signed response
/// should carry, must be the issuer and include the client when present. Unsigned (`none`)
/// responses are refused.
///
/// # Errors
///
/// The [`TokenValidationError`] of the failed check: `Malformed`, `AlgorithmNotAllowed`,
/// `UnknownKey` (refetch the JWKS), `InvalidSignature`, `MissingClaim("sub")`,
/// `IssuerMismatch`, `AudienceMismatch`.
///
/// ```
/// use idpkit::oidc::{IdTokenChecks, Jwks, verify_signed_userinfo};
/// let checks = IdTokenChecks::new("https://op.example", "app");
/// let err = verify_signed_userinfo("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1MSJ9.", &Jwks::default(), &checks);
/// assert_eq!(err.unwrap_err(), idpkit::TokenValidationError::AlgorithmNotAllowed("none".into()));
/// ```
pub fn verify_signed_userinfo(
    jwt: &str,
    keys: &Jwks,
    checks: &IdTokenChecks,
) -> std::result::Result<Map<String, Value>, TokenValidationError> {
    use TokenValidationError as E;
    let header = parse_header(jwt)?;
    let mut checks = checks.clone();
    checks.accept_unsigned = false;
    let (claims, _): (Map<String, Value>, _) = verify_signature(jwt, &header, keys, &checks)?;
    match claims.get("sub") {
        Some(Value::String(sub)) if !sub.is_empty() => {}
        _ => return Err(E::MissingClaim("sub")),
    }
    match claims.get("iss") {
        None => {}
        Some(Value::String(iss)) if *iss == checks.issuer => {}
        Some(other) => {
            return Err(E::IssuerMismatch {
                actual: loggable(other.as_str().unwrap_or("[not a string]"), 256),
            });
        }
    }
    if let Some(aud) = claims.get("aud") {
        let ours = |v: &Value| v.as_str() == Some(checks.client_id.as_str());
        let matches = match aud {
            Value::Array(auds) => auds.iter().any(ours),
            one => ours(one),
        };
        if !matches {
            return Err(E::AudienceMismatch);
        }
    }
    Ok(claims)
}

/// What a userinfo call sends and does with the answer: whose access token, how it travels
/// ([`BearerMethod`]), and which claims providers' aggregated and distributed claims to resolve
/// (none by default: they stay as `_claim_names` / `_claim_sources`). A `&Principal` converts
/// into the default request.
///
/// ```
/// # fn run(principal: &idpkit::oidc::Principal) -> idpkit::Result<()> {
/// use idpkit::oidc::{BearerMethod, ClaimsProviders, UserInfoRequest};
/// let providers = ClaimsProviders::new().trust("https://claims.example", "https://claims.example/jwks")?;
/// let request = UserInfoRequest::new(principal)
///     .bearer(BearerMethod::FormBody)
///     .resolve_claims(&providers);
/// assert_eq!(request.bearer, BearerMethod::FormBody);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct UserInfoRequest<'a> {
    /// Whose claims: the principal's access token is sent and its `sub` must match.
    pub principal: &'a crate::oidc::Principal,
    /// How the access token is sent (default: the `Authorization` header).
    pub bearer: BearerMethod,
    /// The trusted claims providers whose claims by reference are resolved, if any.
    pub claims_providers: Option<&'a crate::oidc::ClaimsProviders>,
}

impl<'a> UserInfoRequest<'a> {
    /// The default request for `principal`: bearer header, claims by reference left as they are.
    ///
    /// ```
    /// # fn run(principal: &idpkit::oidc::Principal) {
    /// let request = idpkit::oidc::UserInfoRequest::new(principal);
    /// assert!(request.claims_providers.is_none());
    /// # }
    /// ```
    pub fn new(principal: &'a crate::oidc::Principal) -> Self {
        UserInfoRequest {
            principal,
            bearer: BearerMethod::Header,
            claims_providers: None,
        }
    }

    /// Sends the access token this way.
    ///
    /// ```
    /// # fn run(principal: &idpkit::oidc::Principal) {
    /// let request = idpkit::oidc::UserInfoRequest::new(principal).bearer(idpkit::oidc::BearerMethod::FormBody);
    /// # }
    /// ```
    pub fn bearer(mut self, method: BearerMethod) -> Self {
        self.bearer = method;
        self
    }

    /// Resolves aggregated and distributed claims (OIDC Core §5.6.2) from these providers.
    ///
    /// ```
    /// # fn run(principal: &idpkit::oidc::Principal, providers: &idpkit::oidc::ClaimsProviders) {
    /// let request = idpkit::oidc::UserInfoRequest::new(principal).resolve_claims(providers);
    /// # }
    /// ```
    pub fn resolve_claims(mut self, providers: &'a crate::oidc::ClaimsProviders) -> Self {
        self.claims_providers = Some(providers);
        self
    }
}

impl<'a> From<&'a crate::oidc::Principal> for UserInfoRequest<'a> {
    fn from(principal: &'a crate::oidc::Principal) -> Self {
        UserInfoRequest::new(principal)
    }
}
