//! The token endpoint (RFC 6749 §3.2, §4.1.3, §4.4, §6; OpenID Connect Core §3.1.3): the token
//! request for each grant, and the token response (with the refresh merge).
//!
//! The pure pair both clients use: [`build_token_request`] makes the request for a [`Grant`]
//! with the client authenticated as [`ClientAuth`] says; [`parse_token_response`] turns the
//! answer into a [`TokenSet`] or an error.
//!
//! ```
//! use idpkit::{ClientSecret, RefreshToken, http::RequestLimits};
//! use idpkit::oidc::{build_token_request, ClientAuth, Grant};
//! let auth = ClientAuth::choose("my-app", Some(ClientSecret::new("s3cr3t")), None, &[])?;
//! let rt = RefreshToken::new("rt-1");
//! let grant = Grant::RefreshToken { refresh_token: &rt, scope: None };
//! let request = build_token_request("https://op.example/token", &grant, &auth, RequestLimits::default())?;
//! assert_eq!(request.headers()["authorization"], "Basic bXktYXBwOnMzY3IzdA==");
//! # Ok::<(), idpkit::Error>(())
//! ```

use std::fmt;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::clock::since_epoch;
use crate::error::{Error, OAuthError, OAuthErrorCode, Result};
use crate::http::string_member;
use crate::http::{self as h, HttpRequest, HttpResponse, RequestLimits};
use crate::oidc::{ClientAuth, authenticated_form};
use crate::secret::{AccessToken, CodeVerifier, IdToken, RefreshToken};

/// What the client exchanges at the token endpoint.
///
/// `Debug` redacts the authorization code.
///
/// ```
/// use idpkit::{CodeVerifier, oidc::Grant};
/// let verifier = CodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
/// let grant = Grant::AuthorizationCode {
///     code: "secret-code",
///     redirect_uri: "https://app.example/cb",
///     code_verifier: &verifier,
/// };
/// assert!(!format!("{grant:?}").contains("secret-code"));
/// ```
#[derive(Clone, Copy)]
#[non_exhaustive]
pub enum Grant<'a> {
    /// The authorization code grant (RFC 6749 §4.1.3) with PKCE (RFC 7636 §4.5).
    AuthorizationCode {
        /// The code from the callback.
        code: &'a str,
        /// The `redirect_uri` of the authorization request, exactly.
        redirect_uri: &'a str,
        /// The request's code verifier.
        code_verifier: &'a CodeVerifier,
    },
    /// A refresh (RFC 6749 §6).
    RefreshToken {
        /// The refresh token.
        refresh_token: &'a RefreshToken,
        /// A narrower scope, space-separated, if wanted.
        scope: Option<&'a str>,
    },
    /// The client credentials grant (RFC 6749 §4.4), for confidential clients only.
    ClientCredentials {
        /// The scope wanted, space-separated.
        scope: Option<&'a str>,
        /// Resource indicators (RFC 8707), each sent as a `resource` parameter.
        resources: &'a [&'a str],
        /// An `audience` parameter, for providers that use it instead of `resource`.
        audience: Option<&'a str>,
    },
}

impl fmt::Debug for Grant<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Grant::AuthorizationCode {
                redirect_uri,
                code_verifier,
                ..
            } => f
                .debug_struct("AuthorizationCode")
                .field("code", &"[redacted]")
                .field("redirect_uri", redirect_uri)
                .field("code_verifier", code_verifier)
                .finish(),
            Grant::RefreshToken {
                refresh_token,
                scope,
            } => f
                .debug_struct("RefreshToken")
                .field("refresh_token", refresh_token)
                .field("scope", scope)
                .finish(),
            Grant::ClientCredentials {
                scope,
                resources,
                audience,
            } => f
                .debug_struct("ClientCredentials")
                .field("scope", scope)
                .field("resources", resources)
                .field("audience", audience)
                .finish(),
        }
    }
}

/// The token request: a form `POST` of the grant, with the client authenticated as `auth`
/// (an `Authorization: Basic` header, or `client_id` and perhaps `client_secret` in the body).
///
/// # Errors
///
/// [`ErrorKind::Config`](crate::ErrorKind::Config) when the endpoint is not https (http only on
/// loopback), the code or refresh token is empty, or the client credentials grant is asked for
/// without client authentication (RFC 6749 §4.4: confidential clients only).
///
/// ```
/// use idpkit::{ClientSecret, RefreshToken};
/// use idpkit::http::RequestLimits;
/// use idpkit::oidc::{build_token_request, ClientAuth, Grant};
/// let auth = ClientAuth::ClientSecretPost { client_id: "app".into(), secret: ClientSecret::new("s") };
/// let rt = RefreshToken::new("rt-1");
/// let grant = Grant::RefreshToken { refresh_token: &rt, scope: Some("openid email") };
/// let req = build_token_request("https://op.example/token", &grant, &auth, RequestLimits::default())?;
/// assert_eq!(
///     req.body(),
///     b"grant_type=refresh_token&refresh_token=rt-1&scope=openid+email&client_id=app&client_secret=s"
/// );
/// # Ok::<(), idpkit::Error>(())
/// ```
pub fn build_token_request(
    token_endpoint: &str,
    grant: &Grant<'_>,
    auth: &ClientAuth,
    limits: RequestLimits,
) -> Result<HttpRequest> {
    let url = h::require_secure_url("token_endpoint", token_endpoint)?;
    let mut params = Vec::new();
    match *grant {
        Grant::AuthorizationCode {
            code,
            redirect_uri,
            code_verifier,
        } => {
            if code.is_empty() {
                return Err(Error::config("the authorization code must not be empty"));
            }
            params.extend([
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", redirect_uri),
                ("code_verifier", code_verifier.expose_secret()),
            ]);
        }
        Grant::RefreshToken {
            refresh_token,
            scope,
        } => {
            if refresh_token.expose_secret().is_empty() {
                return Err(Error::config("the refresh token must not be empty"));
            }
            params.extend([
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token.expose_secret()),
            ]);
            params.extend(scope.map(|s| ("scope", s)));
        }
        Grant::ClientCredentials {
            scope,
            resources,
            audience,
        } => {
            if matches!(auth, ClientAuth::None { .. }) {
                return Err(Error::config(
                    "the client credentials grant needs client authentication (a client secret)",
                ));
            }
            params.push(("grant_type", "client_credentials"));
            params.extend(scope.map(|s| ("scope", s)));
            params.extend(resources.iter().map(|r| ("resource", *r)));
            params.extend(audience.map(|a| ("audience", a)));
        }
    }
    authenticated_form(&url, params, auth, limits)
}

/// The tokens of a successful token response (RFC 6749 §5.1, OIDC Core §3.1.3.3).
///
/// Serialisable, so an application can store it (keep that storage as private as the tokens);
/// `Debug` redacts every token. The expiry is kept as an absolute time, computed from
/// `expires_in` when the response was parsed.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// let tokens: idpkit::oidc::TokenSet = serde_json::from_str(
///     r#"{"access_token":"at-1","token_type":"Bearer","expires_at":1700000060}"#,
/// ).unwrap();
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// assert!(!tokens.is_expired(now, Duration::from_secs(30)));
/// assert!(tokens.is_expired(now, Duration::from_secs(60)));
/// assert!(!format!("{tokens:?}").contains("at-1"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TokenSet {
    /// The access token.
    pub access_token: AccessToken,
    /// The token type as the provider spelled it: `Bearer` or `DPoP` (any case).
    pub token_type: String,
    /// When the access token expires, in seconds since the Unix epoch, if the provider said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
    /// The refresh token, if one was issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<RefreshToken>,
    /// The ID token, if one was issued (not validated here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<IdToken>,
    /// The granted scope, if the provider said (RFC 6749 §5.1: absent means as requested).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

impl TokenSet {
    /// How long the access token remains valid at `now` (zero once expired); `None` when the
    /// expiry is unknown.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// # let tokens: idpkit::oidc::TokenSet = serde_json::from_str(r#"{"access_token":"a","token_type":"Bearer","expires_at":100}"#).unwrap();
    /// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(40);
    /// assert_eq!(tokens.expires_in(now), Some(Duration::from_secs(60)));
    /// assert_eq!(tokens.expires_in(now + Duration::from_secs(3600)), Some(Duration::ZERO));
    /// ```
    pub fn expires_in(&self, now: SystemTime) -> Option<Duration> {
        let expires_at = Duration::from_secs(self.expires_at?);
        Some(expires_at.saturating_sub(since_epoch(now)))
    }

    /// Whether the access token has expired at `now`, or will within `buffer` (refresh a little
    /// early, so a token does not expire in flight). `false` when the expiry is unknown.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// # let tokens: idpkit::oidc::TokenSet = serde_json::from_str(r#"{"access_token":"a","token_type":"Bearer","expires_at":100}"#).unwrap();
    /// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(90);
    /// assert!(!tokens.is_expired(now, Duration::ZERO));
    /// assert!(tokens.is_expired(now, Duration::from_secs(10)));
    /// ```
    pub fn is_expired(&self, now: SystemTime, buffer: Duration) -> bool {
        self.expires_at
            .is_some_and(|at| since_epoch(now).saturating_add(buffer) >= Duration::from_secs(at))
    }

    /// Completes a refresh response with what `previous` had and the provider did not
    /// repeat: the refresh token when it was not rotated (RFC 6749 §6: the old one stays
    /// valid), the ID token (OIDC Core §12.2 makes it optional in a refresh response) and the
    /// granted scope (absent means unchanged).
    ///
    /// ```
    /// use idpkit::{AccessToken, RefreshToken, oidc::TokenSet};
    /// let previous = TokenSet::new(AccessToken::new("at-1")).with_refresh_token(RefreshToken::new("old"));
    /// let refreshed = TokenSet::new(AccessToken::new("at-2")).merge_previous(&previous);
    /// assert_eq!(refreshed.refresh_token.unwrap().expose_secret(), "old");
    /// assert_eq!(refreshed.access_token.expose_secret(), "at-2");
    /// ```
    pub fn merge_previous(mut self, previous: &TokenSet) -> Self {
        if self.refresh_token.is_none() {
            self.refresh_token = previous.refresh_token.clone();
        }
        if self.id_token.is_none() {
            self.id_token = previous.id_token.clone();
        }
        if self.scope.is_none() {
            self.scope = previous.scope.clone();
        }
        self
    }

    /// A `Bearer` token set holding only `access_token`, for tokens obtained elsewhere (a
    /// store, another library); add the rest with the `with_*` methods.
    ///
    /// ```
    /// use idpkit::{AccessToken, IdToken, oidc::TokenSet};
    /// let tokens = TokenSet::new(AccessToken::new("at"))
    ///     .with_expires_at(1_700_000_060)
    ///     .with_id_token(IdToken::new("eyJ..."))
    ///     .with_scope("openid email");
    /// assert_eq!(tokens.token_type, "Bearer");
    /// assert_eq!(tokens.expires_at, Some(1_700_000_060));
    /// ```
    pub fn new(access_token: AccessToken) -> Self {
        TokenSet {
            access_token,
            token_type: "Bearer".to_owned(),
            expires_at: None,
            refresh_token: None,
            id_token: None,
            scope: None,
        }
    }

    /// The same set with this token type (`Bearer` or `DPoP`).
    ///
    /// ```
    /// # use idpkit::{AccessToken, oidc::TokenSet};
    /// let tokens = TokenSet::new(AccessToken::new("at")).with_token_type("DPoP");
    /// assert_eq!(tokens.token_type, "DPoP");
    /// ```
    pub fn with_token_type(mut self, token_type: impl Into<String>) -> Self {
        self.token_type = token_type.into();
        self
    }

    /// The same set with this expiry, in seconds since the Unix epoch.
    ///
    /// ```
    /// # use idpkit::{AccessToken, oidc::TokenSet};
    /// assert_eq!(TokenSet::new(AccessToken::new("at")).with_expires_at(5).expires_at, Some(5));
    /// ```
    pub fn with_expires_at(mut self, expires_at: u64) -> Self {
        self.expires_at = Some(expires_at);
        self
    }

    /// The same set with this refresh token.
    ///
    /// ```
    /// # use idpkit::{AccessToken, RefreshToken, oidc::TokenSet};
    /// let tokens = TokenSet::new(AccessToken::new("at")).with_refresh_token(RefreshToken::new("rt"));
    /// assert!(tokens.refresh_token.is_some());
    /// ```
    pub fn with_refresh_token(mut self, refresh_token: RefreshToken) -> Self {
        self.refresh_token = Some(refresh_token);
        self
    }

    /// The same set with this ID token (not validated here).
    ///
    /// ```
    /// # use idpkit::{AccessToken, IdToken, oidc::TokenSet};
    /// let tokens = TokenSet::new(AccessToken::new("at")).with_id_token(IdToken::new("eyJ..."));
    /// assert!(tokens.id_token.is_some());
    /// ```
    pub fn with_id_token(mut self, id_token: IdToken) -> Self {
        self.id_token = Some(id_token);
        self
    }

    /// The same set with this granted scope (space-separated).
    ///
    /// ```
    /// # use idpkit::{AccessToken, oidc::TokenSet};
    /// let tokens = TokenSet::new(AccessToken::new("at")).with_scope("a:read");
    /// assert_eq!(tokens.scope.as_deref(), Some("a:read"));
    /// ```
    pub fn with_scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }
}

const TOKEN_RESPONSE: &str = "a token response (RFC 6749 §5.1)";

/// `expires_in` as an absolute expiry (seconds since the epoch) relative to `now`: a
/// non-negative integer; a string of digits is accepted too (some providers, such as Azure AD
/// v1, send one). `what` names the response in the error.
pub(crate) fn expires_at(
    object: &Map<String, Value>,
    now: SystemTime,
    what: &'static str,
) -> Result<Option<u64>> {
    let seconds = match object.get("expires_in") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().ok()
        }
        Some(_) => None,
    };
    let seconds = seconds.ok_or_else(|| {
        Error::malformed(
            what,
            "`expires_in` is not a non-negative integer number of seconds",
        )
    })?;
    Ok(Some(since_epoch(now).as_secs().saturating_add(seconds)))
}

/// The members of a token response (RFC 6749 §5.1) and its non-empty `access_token`; the OAuth
/// error of an error answer, even one sent with 200 (some providers do). `what` names the
/// response in the errors.
pub(crate) fn token_response_members(
    response: HttpResponse,
    now: SystemTime,
    what: &'static str,
) -> Result<(Map<String, Value>, String)> {
    let status = response.status().as_u16();
    let object: Map<String, Value> = h::parse_json(response, what, now)?;
    match string_member(&object, "access_token", what)? {
        Some(access_token) => Ok((object, access_token)),
        None => match string_member(&object, "error", what)? {
            Some(code) => {
                let mut error = OAuthError::new(OAuthErrorCode::from(code.as_str()));
                error.description = string_member(&object, "error_description", what)?;
                error.uri = string_member(&object, "error_uri", what)?;
                error.status = Some(status);
                Err(error.into())
            }
            None => Err(Error::malformed(what, "`access_token` is missing or empty")),
        },
    }
}

/// Parses a token response: a 2xx JSON object with a non-empty string `access_token` and a
/// `token_type` of `Bearer` or `DPoP` (any case; RFC 6749 §7.1: a client must not use a token
/// whose type it does not understand). `expires_in`, if present, must be a non-negative integer
/// (or a string of digits, a common deviation) and becomes [`TokenSet::expires_at`] relative to
/// `now`. Optional members that are `null` or empty count as absent.
///
/// A 2xx answer that carries an OAuth `error` and no access token (some providers answer errors
/// with 200) is an [`ErrorKind::OAuth`](crate::ErrorKind::OAuth) error.
///
/// # Errors
///
/// [`ErrorKind::OAuth`](crate::ErrorKind::OAuth) or [`ErrorKind::Status`](crate::ErrorKind::Status)
/// for an error answer (as [`check_status`](crate::http::check_status));
/// [`ErrorKind::MalformedResponse`](crate::ErrorKind::MalformedResponse) for anything else that
/// is not a valid token response. No message contains a token.
///
/// ```
/// use std::time::SystemTime;
/// use idpkit::oidc::parse_token_response;
/// let resp = |status: u16, body: &str| http::Response::builder().status(status)
///     .header("content-type", "application/json").body(body.as_bytes().to_vec()).unwrap();
///
/// let tokens = parse_token_response(resp(200, r#"{"access_token":"at","token_type":"bearer","refresh_token":"rt"}"#), SystemTime::now())?;
/// assert_eq!(tokens.refresh_token.unwrap().expose_secret(), "rt");
/// assert_eq!(tokens.expires_at, None);
///
/// let err = parse_token_response(resp(400, r#"{"error":"invalid_grant"}"#), SystemTime::now()).unwrap_err();
/// assert_eq!(err.oauth().unwrap().code, idpkit::OAuthErrorCode::InvalidGrant);
/// # Ok::<(), idpkit::Error>(())
/// ```
pub fn parse_token_response(response: HttpResponse, now: SystemTime) -> Result<TokenSet> {
    let (object, access_token) = token_response_members(response, now, TOKEN_RESPONSE)?;
    let token_type = string_member(&object, "token_type", TOKEN_RESPONSE)?
        .ok_or_else(|| Error::malformed(TOKEN_RESPONSE, "`token_type` is missing or empty"))?;
    if !token_type.eq_ignore_ascii_case("bearer") && !token_type.eq_ignore_ascii_case("dpop") {
        return Err(Error::malformed(
            TOKEN_RESPONSE,
            "`token_type` is neither Bearer nor DPoP",
        ));
    }
    let expires_at = expires_at(&object, now, TOKEN_RESPONSE)?;
    Ok(TokenSet {
        access_token: AccessToken::new(access_token),
        token_type,
        expires_at,
        refresh_token: string_member(&object, "refresh_token", TOKEN_RESPONSE)?
            .map(RefreshToken::new),
        id_token: string_member(&object, "id_token", TOKEN_RESPONSE)?.map(IdToken::new),
        scope: string_member(&object, "scope", TOKEN_RESPONSE)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    const TOKEN: &str = "https://op.example/token";
    const NOW_SECS: u64 = 1_700_000_000;
    const LIMITS: RequestLimits = RequestLimits {
        timeout: Duration::from_secs(5),
        max_response_bytes: 1000,
    };

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(NOW_SECS)
    }

    fn basic(secret: &str) -> ClientAuth {
        ClientAuth::ClientSecretBasic {
            client_id: "app".into(),
            secret: secret.into(),
        }
    }

    fn post(secret: &str) -> ClientAuth {
        ClientAuth::ClientSecretPost {
            client_id: "app".into(),
            secret: secret.into(),
        }
    }

    fn public() -> ClientAuth {
        ClientAuth::None {
            client_id: "app".into(),
        }
    }

    fn request(grant: &Grant<'_>, auth: &ClientAuth) -> Result<HttpRequest> {
        build_token_request(TOKEN, grant, auth, LIMITS)
    }

    fn body(req: &HttpRequest) -> &str {
        std::str::from_utf8(req.body()).unwrap()
    }

    fn parse(status: u16, body: &str) -> Result<TokenSet> {
        let response = http::Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(body.as_bytes().to_vec())
            .unwrap();
        parse_token_response(response, now())
    }

    fn stored(json: &str) -> TokenSet {
        serde_json::from_str(json).unwrap()
    }

    fn kind<T: fmt::Debug>(r: Result<T>) -> ErrorKind {
        r.unwrap_err().into_kind()
    }

    fn is_config<T: fmt::Debug>(r: Result<T>) -> bool {
        matches!(kind(r), ErrorKind::Config { .. })
    }

    #[test]
    fn authorization_code_request_shapes() {
        let v = CodeVerifier::new("verifier-1");
        let redirect_uri = "https://app.example/cb?x=1";
        let grant = Grant::AuthorizationCode {
            code: "c/1",
            redirect_uri,
            code_verifier: &v,
        };
        let req = request(&grant, &basic("s")).unwrap();
        assert_eq!(
            (req.method().as_str(), req.uri().to_string()),
            ("POST", TOKEN.into())
        );
        assert_eq!(
            req.headers()["content-type"],
            "application/x-www-form-urlencoded"
        );
        assert_eq!(req.headers()["accept"], "application/json");
        assert_eq!(req.headers()["authorization"], "Basic YXBwOnM=");
        assert!(
            !format!("{req:?}").contains("YXBwOnM="),
            "the header is sensitive"
        );
        assert_eq!(RequestLimits::of(&req), LIMITS);
        let expected = "grant_type=authorization_code&code=c%2F1\
            &redirect_uri=https%3A%2F%2Fapp.example%2Fcb%3Fx%3D1&code_verifier=verifier-1";
        assert_eq!(body(&req), expected);

        let req = request(&grant, &post("s+1")).unwrap();
        assert!(req.headers().get("authorization").is_none());
        assert_eq!(
            body(&req),
            format!("{expected}&client_id=app&client_secret=s%2B1")
        );
        let req = request(&grant, &public()).unwrap();
        assert!(req.headers().get("authorization").is_none());
        assert_eq!(body(&req), format!("{expected}&client_id=app"));
    }

    #[test]
    fn authorization_code_from_request() {
        let options = Default::default();
        let endpoint = "https://op.example/authorize";
        let auth_request = crate::oidc::build_authorization_request(
            endpoint,
            "app",
            "https://app.example/cb",
            &options,
        )
        .unwrap();
        let req = request(&auth_request.grant("c"), &public()).unwrap();
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(req.body())
            .into_owned()
            .collect();
        let verifier = auth_request.code_verifier.expose_secret();
        assert!(pairs.contains(&("code_verifier".into(), verifier.into())));
        assert!(pairs.contains(&("redirect_uri".into(), "https://app.example/cb".into())));
    }

    #[test]
    fn refresh_and_client_credentials_shapes() {
        let rt = RefreshToken::new("rt 1");
        let grant = Grant::RefreshToken {
            refresh_token: &rt,
            scope: None,
        };
        let expected = "grant_type=refresh_token&refresh_token=rt+1&client_id=app";
        assert_eq!(body(&request(&grant, &public()).unwrap()), expected);

        let grant = Grant::ClientCredentials {
            scope: Some("read write"),
            resources: &["https://a.example", "urn:b"],
            audience: Some("api"),
        };
        let expected = "grant_type=client_credentials&scope=read+write\
            &resource=https%3A%2F%2Fa.example&resource=urn%3Ab&audience=api";
        assert_eq!(body(&request(&grant, &basic("s")).unwrap()), expected);
        let grant = Grant::ClientCredentials {
            scope: None,
            resources: &[],
            audience: None,
        };
        assert_eq!(
            body(&request(&grant, &basic("s")).unwrap()),
            "grant_type=client_credentials"
        );
        assert!(
            is_config(request(&grant, &public())),
            "confidential clients only"
        );
    }

    #[test]
    fn request_errors() {
        let v = CodeVerifier::new("v");
        let redirect_uri = "https://app.example/cb";
        let empty_code = Grant::AuthorizationCode {
            code: "",
            redirect_uri,
            code_verifier: &v,
        };
        assert!(is_config(request(&empty_code, &public())));
        let rt = RefreshToken::new("");
        let empty_rt = Grant::RefreshToken {
            refresh_token: &rt,
            scope: None,
        };
        assert!(is_config(request(&empty_rt, &public())));
        let rt = RefreshToken::new("rt");
        let grant = Grant::RefreshToken {
            refresh_token: &rt,
            scope: None,
        };
        for bad in ["http://op.example/token", "token", ""] {
            assert!(
                is_config(build_token_request(bad, &grant, &public(), LIMITS)),
                "{bad}"
            );
        }
    }

    #[test]
    fn debug_never_shows_secrets() {
        let v = CodeVerifier::new("verifier-secret");
        let rt = RefreshToken::new("refresh-secret");
        let code = Grant::AuthorizationCode {
            code: "code-secret",
            redirect_uri: "https://app.example/cb",
            code_verifier: &v,
        };
        let refresh = Grant::RefreshToken {
            refresh_token: &rt,
            scope: Some("s"),
        };
        let shown = format!(
            "{:?} {:?} {code:?} {refresh:?}",
            basic("client-secret"),
            post("client-secret")
        );
        for secret in [
            "client-secret",
            "verifier-secret",
            "refresh-secret",
            "code-secret",
        ] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    #[test]
    fn full_token_response() {
        let body = r#"{"access_token":"at-secret","token_type":"Bearer","expires_in":3600,
            "refresh_token":"rt-secret","id_token":"eyJ.id.token","scope":"openid email","x":1}"#;
        let tokens = parse(200, body).unwrap();
        assert_eq!(tokens.access_token.expose_secret(), "at-secret");
        assert_eq!(tokens.token_type, "Bearer");
        assert_eq!(tokens.expires_at, Some(NOW_SECS + 3600));
        assert_eq!(
            tokens.refresh_token.as_ref().unwrap().expose_secret(),
            "rt-secret"
        );
        assert_eq!(
            tokens.id_token.as_ref().unwrap().expose_secret(),
            "eyJ.id.token"
        );
        assert_eq!(tokens.scope.as_deref(), Some("openid email"));
        let shown = format!("{tokens:?}");
        for secret in ["at-secret", "rt-secret", "eyJ.id.token"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert_eq!(stored(&serde_json::to_string(&tokens).unwrap()), tokens);
        let minimal = r#"{"access_token":"a","token_type":"DPoP"}"#;
        assert_eq!(serde_json::to_string(&stored(minimal)).unwrap(), minimal);
    }

    #[test]
    fn lenient_members() {
        let cases = [
            ("0", Some(NOW_SECS)),
            ("\"3600\"", Some(NOW_SECS + 3600)),
            ("null", None),
            ("18446744073709551615", Some(u64::MAX)),
        ];
        for (expires_in, expected) in cases {
            let body = format!(
                r#"{{"access_token":"a","token_type":"DPoP","expires_in":{expires_in},
                    "refresh_token":null,"id_token":"","scope":null}}"#
            );
            let tokens = parse(200, &body).unwrap();
            assert_eq!(
                (tokens.expires_at, tokens.token_type.as_str()),
                (expected, "DPoP")
            );
            assert_eq!(
                (tokens.refresh_token, tokens.id_token, tokens.scope),
                (None, None, None)
            );
        }
        for token_type in ["bearer", "BEARER", "dpop"] {
            let body = format!(r#"{{"access_token":"a","token_type":"{token_type}"}}"#);
            assert_eq!(parse(200, &body).unwrap().token_type, token_type);
        }
    }

    #[test]
    fn invalid_responses_are_malformed_and_never_quote_tokens() {
        let members = [
            r#""token_type":"Bearer""#,
            r#""access_token":"","token_type":"Bearer""#,
            r#""access_token":"tok-secret""#,
            r#""access_token":"tok-secret","token_type":"mac""#,
            r#""access_token":"tok-secret","token_type":"N_A""#,
            r#""access_token":42,"token_type":"Bearer""#,
        ];
        let expires_in = r#"-1 1.5 1e400 99999999999999999999999 "-5" "soon" "99999999999999999999999" [1] "tok-secret""#;
        let expires_in = expires_in.split(' ').map(|e| {
            format!(r#""access_token":"tok-secret","token_type":"Bearer","expires_in":{e}"#)
        });
        let wrong_types = [r#""refresh_token":{"v":"tok-secret"}"#, r#""scope":["a"]"#]
            .map(|m| format!(r#""access_token":"tok-secret","token_type":"Bearer",{m}"#));
        let objects = members
            .map(String::from)
            .into_iter()
            .chain(expires_in)
            .chain(wrong_types);
        let others = [
            r#"["tok-secret"]"#,
            r#""tok-secret""#,
            "access_token=tok-secret",
            "",
            "{",
            "\u{0}\u{ff}",
        ];
        let bodies = objects
            .map(|m| format!("{{{m}}}"))
            .chain(others.map(String::from));
        for b in bodies {
            let err = parse(200, &b).unwrap_err();
            assert!(
                matches!(err.kind(), ErrorKind::MalformedResponse { .. }),
                "{b}: {err:?}"
            );
            let shown = format!("{err} {err:?}");
            assert!(!shown.contains("tok-secret"), "{shown}");
        }
        let form = http::Response::builder()
            .header("content-type", "application/x-www-form-urlencoded")
            .body(b"access_token=tok-secret&token_type=bearer".to_vec())
            .unwrap();
        let r = parse_token_response(form, now());
        assert!(matches!(kind(r), ErrorKind::MalformedResponse { .. }));
    }

    #[test]
    fn error_answers() {
        let err = parse(
            400,
            r#"{"error":"invalid_grant","error_description":"used"}"#,
        )
        .unwrap_err();
        let oauth = err.oauth().unwrap();
        assert_eq!(oauth.code, OAuthErrorCode::InvalidGrant);
        assert_eq!(
            (oauth.description.as_deref(), err.status()),
            (Some("used"), Some(400))
        );
        let r = parse(503, "<html>down</html>");
        assert!(matches!(kind(r), ErrorKind::Status { status: 503, .. }));
        // Some providers answer errors with 200.
        let err = parse(
            200,
            r#"{"error":"bad_verification_code","error_uri":"https://doc"}"#,
        )
        .unwrap_err();
        let oauth = err.oauth().unwrap();
        assert_eq!(oauth.code.as_str(), "bad_verification_code");
        assert_eq!(
            (oauth.uri.as_deref(), oauth.status),
            (Some("https://doc"), Some(200))
        );
    }

    #[test]
    fn expiry_helpers() {
        let mut tokens = stored(r#"{"access_token":"a","token_type":"Bearer"}"#);
        assert_eq!(tokens.expires_in(now()), None);
        assert!(!tokens.is_expired(now(), Duration::MAX));
        tokens.expires_at = Some(NOW_SECS + 100);
        assert_eq!(tokens.expires_in(now()), Some(Duration::from_secs(100)));
        let later = now() + Duration::from_millis(500);
        assert_eq!(
            tokens.expires_in(later),
            Some(Duration::from_millis(99_500))
        );
        assert!(!tokens.is_expired(now(), Duration::from_secs(99)));
        assert!(tokens.is_expired(now(), Duration::from_secs(100)));
        let much_later = now() + Duration::from_secs(200);
        assert!(tokens.is_expired(much_later, Duration::ZERO));
        assert_eq!(tokens.expires_in(much_later), Some(Duration::ZERO));
        // Clocks before the epoch and extreme values do not panic.
        let before_epoch = SystemTime::UNIX_EPOCH - Duration::from_secs(10);
        assert!(!tokens.is_expired(before_epoch, Duration::ZERO));
        assert!(tokens.is_expired(now(), Duration::MAX));
        tokens.expires_at = Some(u64::MAX);
        assert!(!tokens.is_expired(now(), Duration::from_secs(60)));
        assert!(tokens.expires_in(now()).is_some());
    }

    #[test]
    fn previous_refresh_token_is_kept_unless_rotated() {
        let old = Some(RefreshToken::new("old"));
        let previous = stored(
            r#"{"access_token":"p","token_type":"Bearer","refresh_token":"old","id_token":"i","scope":"s"}"#,
        );
        let tokens = stored(r#"{"access_token":"a","token_type":"Bearer"}"#);
        let merged = tokens.merge_previous(&previous);
        assert_eq!(merged.refresh_token, old);
        assert_eq!(merged.id_token, previous.id_token);
        assert_eq!(merged.scope.as_deref(), Some("s"));
        assert_eq!(merged.access_token.expose_secret(), "a");
        let rotated = stored(
            r#"{"access_token":"a","token_type":"Bearer","refresh_token":"new","scope":"t"}"#,
        );
        let kept = rotated.merge_previous(&previous);
        assert_eq!(kept.refresh_token.unwrap().expose_secret(), "new");
        assert_eq!(kept.scope.as_deref(), Some("t"));
    }
}
