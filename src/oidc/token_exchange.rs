//! OAuth 2.0 Token Exchange (RFC 8693): the request ([`TokenExchangeRequest`]), built by
//! [`build_token_exchange_request`] with the client authenticated as for any token request, and
//! the answer ([`TokenExchangeResponse`]), parsed by [`parse_token_exchange_response`].
//!
//! For delegation (RFC 8693 §1.1) the issued token keeps the subject token's `sub` and names the
//! actor in its `act` claim; [`agent::ActorChain`](crate::agent::ActorChain) reads that claim and
//! [`agent::Delegation`](crate::agent::Delegation) a verified delegated token.

use std::fmt;
use std::time::SystemTime;

use crate::error::{Error, Result};
use crate::http::{self as h, HttpRequest, HttpResponse, RequestLimits, string_member};
use crate::oidc::token::{expires_at, token_response_members};
use crate::oidc::{ClientAuth, authenticated_form};
use crate::secret::{AccessToken, RefreshToken};

/// The `grant_type` of a token exchange (RFC 8693 §2.1).
///
/// ```
/// assert!(idpkit::oidc::TOKEN_EXCHANGE_GRANT_TYPE.ends_with(":token-exchange"));
/// ```
pub const TOKEN_EXCHANGE_GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

/// A token type identifier (RFC 8693 §3): what a subject or actor token is, and what kind of
/// token is asked for or was issued.
///
/// ```
/// use idpkit::oidc::TokenType;
/// assert_eq!(TokenType::AccessToken.as_str(), "urn:ietf:params:oauth:token-type:access_token");
/// assert_eq!(TokenType::from("urn:ietf:params:oauth:token-type:jwt"), TokenType::Jwt);
/// assert_eq!(TokenType::from("urn:example:custom").as_str(), "urn:example:custom");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenType {
    /// `urn:ietf:params:oauth:token-type:access_token`: an OAuth 2.0 access token.
    AccessToken,
    /// `urn:ietf:params:oauth:token-type:refresh_token`: an OAuth 2.0 refresh token.
    RefreshToken,
    /// `urn:ietf:params:oauth:token-type:id_token`: an OpenID Connect ID token.
    IdToken,
    /// `urn:ietf:params:oauth:token-type:jwt`: a JWT of any kind.
    Jwt,
    /// `urn:ietf:params:oauth:token-type:saml1`: a base64url SAML 1.1 assertion.
    Saml1,
    /// `urn:ietf:params:oauth:token-type:saml2`: a base64url SAML 2.0 assertion.
    Saml2,
    /// Any other identifier, as given.
    Other(String),
}

const TYPES: [(TokenType, &str); 6] = [
    (
        TokenType::AccessToken,
        "urn:ietf:params:oauth:token-type:access_token",
    ),
    (
        TokenType::RefreshToken,
        "urn:ietf:params:oauth:token-type:refresh_token",
    ),
    (
        TokenType::IdToken,
        "urn:ietf:params:oauth:token-type:id_token",
    ),
    (TokenType::Jwt, "urn:ietf:params:oauth:token-type:jwt"),
    (TokenType::Saml1, "urn:ietf:params:oauth:token-type:saml1"),
    (TokenType::Saml2, "urn:ietf:params:oauth:token-type:saml2"),
];

impl TokenType {
    /// The identifier as sent.
    ///
    /// ```
    /// assert!(idpkit::oidc::TokenType::IdToken.as_str().ends_with(":id_token"));
    /// ```
    pub fn as_str(&self) -> &str {
        match self {
            TokenType::Other(s) => s,
            known => TYPES
                .iter()
                .find(|(t, _)| t == known)
                .map_or("", |(_, s)| s),
        }
    }
}

impl From<&str> for TokenType {
    fn from(s: &str) -> Self {
        TYPES
            .iter()
            .find(|(_, uri)| *uri == s)
            .map_or_else(|| TokenType::Other(s.to_owned()), |(t, _)| t.clone())
    }
}

impl fmt::Display for TokenType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A token exchange request (RFC 8693 §2.1): the subject token and its type, optionally an actor
/// token, the token type wanted, the target (`audience`, `resource`, both repeatable) and the
/// `scope`. `Debug` never shows a token.
///
/// For delegation the subject token is the delegator's and the client (and the actor token, if
/// any) the delegate's; `scope` narrows what is delegated.
///
/// ```
/// use idpkit::oidc::{TokenExchangeRequest, TokenType};
/// let request = TokenExchangeRequest::new("eyJ.delegator-secret", TokenType::AccessToken)
///     .actor_token("eyJ.delegate-secret", TokenType::AccessToken)
///     .resource("https://api.example.com")
///     .scopes(["files:read"]);
/// assert_eq!(request.scope().as_deref(), Some("files:read"));
/// assert!(!format!("{request:?}").contains("-secret"));
/// ```
#[derive(Clone)]
#[must_use]
pub struct TokenExchangeRequest {
    subject_token: String,
    subject_token_type: TokenType,
    actor: Option<(String, TokenType)>,
    requested_token_type: Option<TokenType>,
    audiences: Vec<String>,
    resources: Vec<String>,
    scopes: Vec<String>,
    max_lifetime: Option<std::time::Duration>,
}

impl fmt::Debug for TokenExchangeRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenExchangeRequest")
            .field("subject_token", &"[redacted]")
            .field("subject_token_type", &self.subject_token_type)
            .field(
                "actor_token_type",
                &self.actor.as_ref().map(|(_, t)| t.as_str()),
            )
            .field("requested_token_type", &self.requested_token_type)
            .field("audiences", &self.audiences)
            .field("resources", &self.resources)
            .field("scopes", &self.scopes)
            .field("max_lifetime", &self.max_lifetime)
            .finish()
    }
}

impl TokenExchangeRequest {
    /// A request to exchange `subject_token`, a token of `subject_token_type`.
    ///
    /// ```
    /// use idpkit::oidc::{TokenExchangeRequest, TokenType};
    /// let request = TokenExchangeRequest::new("at-1", TokenType::AccessToken);
    /// assert_eq!(request.subject_token_type(), &TokenType::AccessToken);
    /// ```
    pub fn new(subject_token: impl Into<String>, subject_token_type: TokenType) -> Self {
        TokenExchangeRequest {
            subject_token: subject_token.into(),
            subject_token_type,
            actor: None,
            requested_token_type: None,
            audiences: Vec::new(),
            resources: Vec::new(),
            scopes: Vec::new(),
            max_lifetime: None,
        }
    }

    /// Exchanges an access token (`subject_token_type` `…:access_token`, the common case).
    ///
    /// ```
    /// use idpkit::{AccessToken, oidc::{TokenExchangeRequest, TokenType}};
    /// let request = TokenExchangeRequest::access_token(&AccessToken::new("at-1"));
    /// assert_eq!(request.subject_token_type(), &TokenType::AccessToken);
    /// ```
    pub fn access_token(subject_token: &AccessToken) -> Self {
        Self::new(subject_token.expose_secret(), TokenType::AccessToken)
    }

    /// The actor token (the party that will act), with its type.
    ///
    /// ```
    /// use idpkit::oidc::{TokenExchangeRequest, TokenType};
    /// let request = TokenExchangeRequest::new("s", TokenType::AccessToken).actor_token("a", TokenType::Jwt);
    /// assert_eq!(request.actor_token_type(), Some(&TokenType::Jwt));
    /// ```
    pub fn actor_token(mut self, token: impl Into<String>, token_type: TokenType) -> Self {
        self.actor = Some((token.into(), token_type));
        self
    }

    /// The type of token wanted (`requested_token_type`); without it the server chooses.
    ///
    /// ```
    /// use idpkit::oidc::{TokenExchangeRequest, TokenType};
    /// let request = TokenExchangeRequest::new("s", TokenType::AccessToken)
    ///     .requested_token_type(TokenType::AccessToken);
    /// ```
    pub fn requested_token_type(mut self, token_type: TokenType) -> Self {
        self.requested_token_type = Some(token_type);
        self
    }

    /// Adds a logical name of the target service (`audience`, repeatable).
    ///
    /// ```
    /// # use idpkit::oidc::{TokenExchangeRequest, TokenType};
    /// let request = TokenExchangeRequest::new("s", TokenType::AccessToken).audience("billing");
    /// assert_eq!(request.audiences(), ["billing"]);
    /// ```
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// Adds the URI of a target resource (`resource`, RFC 8707, repeatable).
    ///
    /// ```
    /// # use idpkit::oidc::{TokenExchangeRequest, TokenType};
    /// let request = TokenExchangeRequest::new("s", TokenType::AccessToken).resource("urn:api");
    /// assert_eq!(request.resources(), ["urn:api"]);
    /// ```
    pub fn resource(mut self, resource: impl Into<String>) -> Self {
        self.resources.push(resource.into());
        self
    }

    /// Adds scopes: for delegation, the permissions delegated.
    ///
    /// ```
    /// # use idpkit::oidc::{TokenExchangeRequest, TokenType};
    /// let request = TokenExchangeRequest::new("s", TokenType::AccessToken).scopes(["a", "b"]);
    /// assert_eq!(request.scope().as_deref(), Some("a b"));
    /// ```
    pub fn scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.scopes.extend(scopes.into_iter().map(Into::into));
        self
    }

    /// A client-side cap on how long the issued token is treated as valid (RFC 8693 has no
    /// lifetime parameter, so a delegator cannot ask the server for a shorter one): the
    /// response's `expires_at` becomes the earlier of the server's and now + `cap`. The client
    /// only stops using the token then; the token itself lives as long as the server made it,
    /// so revoke it (RFC 7009) to end it for everyone.
    ///
    /// ```
    /// # use idpkit::oidc::{TokenExchangeRequest, TokenType};
    /// let request = TokenExchangeRequest::new("s", TokenType::AccessToken)
    ///     .max_lifetime(std::time::Duration::from_secs(300));
    /// assert_eq!(request.lifetime_cap(), Some(std::time::Duration::from_secs(300)));
    /// ```
    pub fn max_lifetime(mut self, cap: std::time::Duration) -> Self {
        self.max_lifetime = Some(cap);
        self
    }

    /// The client-side lifetime cap, if any (see [`max_lifetime`](Self::max_lifetime)).
    ///
    /// ```
    /// # use idpkit::oidc::{TokenExchangeRequest, TokenType};
    /// assert_eq!(TokenExchangeRequest::new("s", TokenType::AccessToken).lifetime_cap(), None);
    /// ```
    pub fn lifetime_cap(&self) -> Option<std::time::Duration> {
        self.max_lifetime
    }

    /// The subject token's type.
    ///
    /// ```
    /// # use idpkit::oidc::{TokenExchangeRequest, TokenType};
    /// assert_eq!(TokenExchangeRequest::new("s", TokenType::Jwt).subject_token_type(), &TokenType::Jwt);
    /// ```
    pub fn subject_token_type(&self) -> &TokenType {
        &self.subject_token_type
    }

    /// The actor token's type, if there is an actor token.
    ///
    /// ```
    /// # use idpkit::oidc::{TokenExchangeRequest, TokenType};
    /// assert_eq!(TokenExchangeRequest::new("s", TokenType::Jwt).actor_token_type(), None);
    /// ```
    pub fn actor_token_type(&self) -> Option<&TokenType> {
        self.actor.as_ref().map(|(_, t)| t)
    }

    /// The audiences.
    ///
    /// ```
    /// # use idpkit::oidc::{TokenExchangeRequest, TokenType};
    /// assert!(TokenExchangeRequest::new("s", TokenType::Jwt).audiences().is_empty());
    /// ```
    pub fn audiences(&self) -> &[String] {
        &self.audiences
    }

    /// The resources.
    ///
    /// ```
    /// # use idpkit::oidc::{TokenExchangeRequest, TokenType};
    /// assert!(TokenExchangeRequest::new("s", TokenType::Jwt).resources().is_empty());
    /// ```
    pub fn resources(&self) -> &[String] {
        &self.resources
    }

    /// The `scope` parameter: the scopes joined by spaces, `None` without scopes.
    ///
    /// ```
    /// # use idpkit::oidc::{TokenExchangeRequest, TokenType};
    /// assert_eq!(TokenExchangeRequest::new("s", TokenType::Jwt).scope(), None);
    /// ```
    pub fn scope(&self) -> Option<String> {
        (!self.scopes.is_empty()).then(|| self.scopes.join(" "))
    }
}

/// The token exchange request (RFC 8693 §2.1): a form `POST` to the token endpoint of
/// `grant_type=urn:ietf:params:oauth:grant-type:token-exchange` and the request's parameters,
/// with the client authenticated as `auth` (as every token request).
///
/// # Errors
///
/// [`ErrorKind::Config`](crate::ErrorKind::Config) when the endpoint is not https (http only on
/// loopback), or the subject or actor token is empty, or a scope contains a space.
///
/// ```
/// use idpkit::{ClientSecret, http::RequestLimits};
/// use idpkit::oidc::{ClientAuth, TokenExchangeRequest, TokenType, build_token_exchange_request};
/// let auth = ClientAuth::ClientSecretPost { client_id: "agent-b".into(), secret: ClientSecret::new("s") };
/// let request = TokenExchangeRequest::new("at-a", TokenType::AccessToken)
///     .audience("api")
///     .scopes(["files:read"]);
/// let req = build_token_exchange_request("https://op.example/token", &request, &auth, RequestLimits::default())?;
/// assert_eq!(
///     std::str::from_utf8(req.body()).unwrap(),
///     "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange\
///      &subject_token=at-a&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token\
///      &audience=api&scope=files%3Aread&client_id=agent-b&client_secret=s"
/// );
/// # Ok::<(), idpkit::Error>(())
/// ```
pub fn build_token_exchange_request(
    token_endpoint: &str,
    request: &TokenExchangeRequest,
    auth: &ClientAuth,
    limits: RequestLimits,
) -> Result<HttpRequest> {
    let url = h::require_secure_url("token_endpoint", token_endpoint)?;
    if request.subject_token.is_empty() {
        return Err(Error::config("the subject token must not be empty"));
    }
    if request
        .scopes
        .iter()
        .any(|s| s.is_empty() || s.contains(' '))
    {
        return Err(Error::config(
            "a scope of a token exchange must be non-empty and without spaces",
        ));
    }
    let scope = request.scope();
    let mut params = vec![
        ("grant_type", TOKEN_EXCHANGE_GRANT_TYPE),
        ("subject_token", request.subject_token.as_str()),
        ("subject_token_type", request.subject_token_type.as_str()),
    ];
    if let Some((token, token_type)) = &request.actor {
        if token.is_empty() {
            return Err(Error::config("the actor token must not be empty"));
        }
        params.push(("actor_token", token));
        params.push(("actor_token_type", token_type.as_str()));
    }
    if let Some(t) = &request.requested_token_type {
        params.push(("requested_token_type", t.as_str()));
    }
    params.extend(request.audiences.iter().map(|a| ("audience", a.as_str())));
    params.extend(request.resources.iter().map(|r| ("resource", r.as_str())));
    params.extend(scope.as_deref().map(|s| ("scope", s)));
    authenticated_form(&url, params, auth, limits)
}

/// A successful token exchange response (RFC 8693 §2.2.1). `Debug` never shows a token.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use idpkit::oidc::{TokenType, parse_token_exchange_response};
/// let response = http::Response::builder().status(200).header("content-type", "application/json")
///     .body(br#"{"access_token":"eyJ...","issued_token_type":"urn:ietf:params:oauth:token-type:access_token",
///               "token_type":"Bearer","expires_in":60,"scope":"files:read"}"#.to_vec()).unwrap();
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let issued = parse_token_exchange_response(response, now)?;
/// assert_eq!(issued.issued_token_type, TokenType::AccessToken);
/// assert_eq!(issued.expires_at, Some(1_700_000_060));
/// # Ok::<(), idpkit::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenExchangeResponse {
    /// The issued token (RFC 8693 names it `access_token` even when it is another kind).
    pub access_token: AccessToken,
    /// What the issued token is.
    pub issued_token_type: TokenType,
    /// `Bearer`, `DPoP`, or `N_A` when the issued token is not an access token.
    pub token_type: String,
    /// When the issued token expires, in seconds since the Unix epoch, if the server said.
    pub expires_at: Option<u64>,
    /// The granted scope, if the server said (absent: as requested).
    pub scope: Option<String>,
    /// A refresh token, if one was issued.
    pub refresh_token: Option<RefreshToken>,
}

impl TokenExchangeResponse {
    /// This response with `expires_at` no later than `now + cap` (a client-side cap, see
    /// [`TokenExchangeRequest::max_lifetime`]); an absent expiry becomes that limit.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime, UNIX_EPOCH};
    /// use idpkit::oidc::parse_token_exchange_response;
    /// let now = UNIX_EPOCH + Duration::from_secs(1_000);
    /// let answer = http::Response::builder().status(200).header("content-type", "application/json")
    ///     .body(br#"{"access_token":"t","issued_token_type":"urn:ietf:params:oauth:token-type:access_token",
    ///               "token_type":"Bearer","expires_in":3600}"#.to_vec()).unwrap();
    /// let issued = parse_token_exchange_response(answer, now)?.capped(Duration::from_secs(60), now);
    /// assert_eq!(issued.expires_at, Some(1_060));
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn capped(mut self, cap: std::time::Duration, now: SystemTime) -> Self {
        let limit = crate::clock::since_epoch(now).saturating_add(cap).as_secs();
        self.expires_at = Some(self.expires_at.map_or(limit, |exp| exp.min(limit)));
        self
    }
}

const EXCHANGE_RESPONSE: &str = "a token exchange response (RFC 8693 §2.2.1)";

/// Parses a token exchange response (RFC 8693 §2.2.1): a 2xx JSON object with non-empty string
/// `access_token`, `issued_token_type` and `token_type` (`Bearer`, `DPoP` or `N_A`, any case);
/// `expires_in` as in [`parse_token_response`](crate::oidc::parse_token_response).
///
/// # Errors
///
/// [`ErrorKind::OAuth`](crate::ErrorKind::OAuth) for an error answer (RFC 8693 §2.2.2:
/// `invalid_request`, `invalid_grant` for a subject token the server rejects, `invalid_target`,
/// `invalid_scope`, …), [`ErrorKind::Status`](crate::ErrorKind::Status) for another non-2xx
/// answer, [`ErrorKind::MalformedResponse`](crate::ErrorKind::MalformedResponse) for anything
/// else. No message contains a token.
///
/// ```
/// use std::time::SystemTime;
/// use idpkit::oidc::parse_token_exchange_response;
/// let response = http::Response::builder().status(400).header("content-type", "application/json")
///     .body(br#"{"error":"invalid_grant","error_description":"subject_token does not verify"}"#.to_vec())
///     .unwrap();
/// let err = parse_token_exchange_response(response, SystemTime::now()).unwrap_err();
/// assert_eq!(err.oauth().unwrap().code, idpkit::OAuthErrorCode::InvalidGrant);
/// ```
pub fn parse_token_exchange_response(
    response: HttpResponse,
    now: SystemTime,
) -> Result<TokenExchangeResponse> {
    let (object, access_token) = token_response_members(response, now, EXCHANGE_RESPONSE)?;
    let required = |name: &'static str| {
        string_member(&object, name, EXCHANGE_RESPONSE)?
            .ok_or_else(|| Error::malformed(EXCHANGE_RESPONSE, format!("`{name}` is missing")))
    };
    let issued_token_type = TokenType::from(required("issued_token_type")?.as_str());
    let token_type = required("token_type")?;
    if !["bearer", "dpop", "n_a"]
        .iter()
        .any(|t| token_type.eq_ignore_ascii_case(t))
    {
        return Err(Error::malformed(
            EXCHANGE_RESPONSE,
            "`token_type` is neither Bearer, DPoP nor N_A",
        ));
    }
    Ok(TokenExchangeResponse {
        access_token: AccessToken::new(access_token),
        issued_token_type,
        token_type,
        expires_at: expires_at(&object, now, EXCHANGE_RESPONSE)?,
        scope: string_member(&object, "scope", EXCHANGE_RESPONSE)?,
        refresh_token: string_member(&object, "refresh_token", EXCHANGE_RESPONSE)?
            .map(RefreshToken::new),
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::ClientSecret;
    use crate::error::{ErrorKind, OAuthErrorCode};

    const ENDPOINT: &str = "https://op.example/token";

    fn basic() -> ClientAuth {
        ClientAuth::ClientSecretBasic {
            client_id: "agent-b".into(),
            secret: ClientSecret::new("s"),
        }
    }

    fn pairs(request: &HttpRequest) -> Vec<(String, String)> {
        url::form_urlencoded::parse(request.body())
            .into_owned()
            .collect()
    }

    fn parse(status: u16, body: &str) -> Result<TokenExchangeResponse> {
        let response = http::Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(body.as_bytes().to_vec())
            .unwrap();
        parse_token_exchange_response(response, SystemTime::UNIX_EPOCH + Duration::from_secs(100))
    }

    #[test]
    fn every_parameter_in_order_with_repeats() {
        let request = TokenExchangeRequest::new("sub-secret", TokenType::Jwt)
            .actor_token("act-secret", TokenType::IdToken)
            .requested_token_type(TokenType::AccessToken)
            .audience("a1")
            .audience("a2")
            .resource("urn:r1")
            .resource("urn:r2")
            .scopes(["x", "y"]);
        let req =
            build_token_exchange_request(ENDPOINT, &request, &basic(), RequestLimits::default())
                .unwrap();
        let t = |s: &str| format!("urn:ietf:params:oauth:token-type:{s}");
        let expected = [
            ("grant_type", TOKEN_EXCHANGE_GRANT_TYPE.to_owned()),
            ("subject_token", "sub-secret".into()),
            ("subject_token_type", t("jwt")),
            ("actor_token", "act-secret".into()),
            ("actor_token_type", t("id_token")),
            ("requested_token_type", t("access_token")),
            ("audience", "a1".into()),
            ("audience", "a2".into()),
            ("resource", "urn:r1".into()),
            ("resource", "urn:r2".into()),
            ("scope", "x y".into()),
        ]
        .map(|(k, v)| (k.to_owned(), v));
        assert_eq!(pairs(&req), expected);
        assert!(
            req.headers()["authorization"]
                .to_str()
                .unwrap()
                .starts_with("Basic ")
        );
        let shown = format!("{request:?}");
        assert!(!shown.contains("secret"), "{shown}");
    }

    #[test]
    fn bad_requests_are_config_errors() {
        let auth = basic();
        let limits = RequestLimits::default();
        let cases = [
            (
                ENDPOINT,
                TokenExchangeRequest::new("", TokenType::AccessToken),
            ),
            (
                ENDPOINT,
                TokenExchangeRequest::new("s", TokenType::AccessToken)
                    .actor_token("", TokenType::Jwt),
            ),
            (
                ENDPOINT,
                TokenExchangeRequest::new("s", TokenType::AccessToken).scopes(["a b"]),
            ),
            (
                ENDPOINT,
                TokenExchangeRequest::new("s", TokenType::AccessToken).scopes([""]),
            ),
            (
                "http://op.example/token",
                TokenExchangeRequest::new("s", TokenType::AccessToken),
            ),
        ];
        for (endpoint, request) in cases {
            let err = build_token_exchange_request(endpoint, &request, &auth, limits).unwrap_err();
            assert!(
                matches!(err.kind(), ErrorKind::Config { .. }),
                "{request:?}"
            );
        }
    }

    #[test]
    fn token_types_round_trip() {
        for (t, uri) in TYPES {
            assert_eq!(t.as_str(), uri);
            assert_eq!(TokenType::from(uri), t);
            assert_eq!(t.to_string(), uri);
        }
        assert_eq!(TokenType::from("x"), TokenType::Other("x".into()));
    }

    #[test]
    fn responses() {
        let ok = parse(
            200,
            r#"{"access_token":"tok-secret","issued_token_type":"urn:ietf:params:oauth:token-type:jwt",
                "token_type":"N_A","expires_in":"30","refresh_token":"rt-secret"}"#,
        )
        .unwrap();
        assert_eq!(ok.issued_token_type, TokenType::Jwt);
        assert_eq!((ok.token_type.as_str(), ok.expires_at), ("N_A", Some(130)));
        assert_eq!(
            ok.refresh_token.as_ref().unwrap().expose_secret(),
            "rt-secret"
        );
        let shown = format!("{ok:?}");
        assert!(!shown.contains("secret"), "{shown}");

        let bad = [
            r#"{"access_token":"tok-secret","token_type":"Bearer"}"#,
            r#"{"access_token":"tok-secret","issued_token_type":"","token_type":"Bearer"}"#,
            r#"{"access_token":"tok-secret","issued_token_type":"x"}"#,
            r#"{"access_token":"tok-secret","issued_token_type":"x","token_type":"mac"}"#,
            r#"{"access_token":"tok-secret","issued_token_type":7,"token_type":"Bearer"}"#,
            r#"{"access_token":"tok-secret","issued_token_type":"x","token_type":"Bearer","expires_in":-1}"#,
            r#"{"issued_token_type":"x","token_type":"Bearer"}"#,
            r#"["tok-secret"]"#,
        ];
        for body in bad {
            let err = parse(200, body).unwrap_err();
            assert!(
                matches!(err.kind(), ErrorKind::MalformedResponse { .. }),
                "{body}"
            );
            assert!(!format!("{err} {err:?}").contains("tok-secret"), "{body}");
        }
        let err = parse(400, r#"{"error":"invalid_target"}"#).unwrap_err();
        assert_eq!(err.oauth().unwrap().code, OAuthErrorCode::InvalidTarget);
        assert_eq!(err.status(), Some(400));
    }
}
