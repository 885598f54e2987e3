//! The authorization request and its callback (RFC 6749 §4.1, OpenID Connect Core §3.1.2),
//! with the protections of RFC 9700: PKCE `S256` always, a fresh `state` and `nonce` per
//! request, and the RFC 9207 `iss` check against mix-up attacks.
//!
//! The flow, all pure:
//!
//! 1. [`build_authorization_request`] makes the URL to send the user-agent to, and the secrets
//!    to keep until it comes back ([`AuthorizationRequest`], serialisable for a session store).
//! 2. [`CallbackParams`] parses the redirect back to the client.
//! 3. [`validate_callback`] checks it against the stored request and yields the authorization
//!    code, to be exchanged with [`Grant::AuthorizationCode`](crate::oidc::Grant).
//!
//! ```
//! use idpkit::oidc::{
//!     build_authorization_request, validate_callback, AuthorizationOptions, CallbackParams,
//! };
//! let request = build_authorization_request(
//!     "https://op.example/authorize",
//!     "my-app",
//!     "https://app.example/callback",
//!     &AuthorizationOptions::new(["openid", "email"]),
//! )?;
//! // ... redirect to `request.url`, keep `request` in the session; the user comes back with:
//! let callback = format!("https://app.example/callback?code=abc&state={}", request.state);
//! let params = CallbackParams::from_url(&callback)?;
//! let code = validate_callback(&params, &request, "https://op.example", false)?;
//! assert_eq!(code, "abc");
//! # Ok::<(), idpkit::Error>(())
//! ```

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::error::{Error, ErrorKind, OAuthError, OAuthErrorCode, Result};
use crate::http::{append_query, require_secure_url};
use crate::oidc::Grant;
use crate::oidc::pkce;
use crate::secret::CodeVerifier;

/// Parameters idpkit sets itself; [`AuthorizationOptions::extra`] must not contain them.
const RESERVED: [&str; 8] = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
];

/// Optional parameters of an authorization request.
///
/// Build it as a struct literal with `..Default::default()`. Parameters idpkit sets itself
/// (`response_type`, `client_id`, `redirect_uri`, `scope`, `state`, `nonce`, `code_challenge`,
/// `code_challenge_method`) cannot be given through [`extra`](Self::extra), and no parameter
/// may be given twice: [`build_authorization_request`] rejects both rather than silently
/// overriding anything.
///
/// ```
/// use std::time::Duration;
/// use idpkit::oidc::AuthorizationOptions;
/// let options = AuthorizationOptions {
///     prompt: Some("login".into()),
///     max_age: Some(Duration::from_secs(300)),
///     resources: vec!["https://api.example.com".into()],
///     extra: vec![("ui_locales".into(), "fr-CA fr".into())],
///     ..Default::default()
/// };
/// assert_eq!(options.login_hint, None);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthorizationOptions {
    /// The scopes (RFC 6749 §3.3); `openid` is added when missing, an entry holding several
    /// space-separated scopes is split.
    pub scopes: Vec<String>,
    /// `prompt` (OIDC Core §3.1.2.1): `none`, `login`, `consent`, `select_account`,
    /// space-separated.
    pub prompt: Option<String>,
    /// `login_hint` (OIDC Core §3.1.2.1): the user's identifier, if known.
    pub login_hint: Option<String>,
    /// `max_age` (OIDC Core §3.1.2.1), sent in whole seconds: how long ago the user may last
    /// have authenticated. Kept in [`AuthorizationRequest::max_age`] for the `auth_time` check.
    pub max_age: Option<Duration>,
    /// `resource` (RFC 8707), once per entry: absolute URIs without fragment.
    pub resources: Vec<String>,
    /// Any other parameter, appended as given.
    pub extra: Vec<(String, String)>,
}

impl AuthorizationOptions {
    /// Options asking for these scopes, everything else at its default.
    ///
    /// ```
    /// let options = idpkit::oidc::AuthorizationOptions::new(["email", "offline_access"]);
    /// assert_eq!(options.scopes, ["email", "offline_access"]);
    /// ```
    pub fn new<S: Into<String>>(scopes: impl IntoIterator<Item = S>) -> Self {
        AuthorizationOptions {
            scopes: scopes.into_iter().map(Into::into).collect(),
            ..Default::default()
        }
    }
}

/// Scopes alone: `client.create_authorization_url(["openid", "email"])`.
impl<const N: usize> From<[&str; N]> for AuthorizationOptions {
    fn from(scopes: [&str; N]) -> Self {
        AuthorizationOptions::new(scopes)
    }
}

/// Scopes alone: `client.create_authorization_url(&["openid", "email"])`.
impl<const N: usize> From<&[&str; N]> for AuthorizationOptions {
    fn from(scopes: &[&str; N]) -> Self {
        AuthorizationOptions::new(scopes.iter().copied())
    }
}

/// Scopes alone, from a slice.
impl From<&[&str]> for AuthorizationOptions {
    fn from(scopes: &[&str]) -> Self {
        AuthorizationOptions::new(scopes.iter().copied())
    }
}

/// An authorization request: the URL to send the user-agent to, and what the client must keep
/// until the callback (in the user's session, server-side or encrypted).
///
/// It serialises (serde) so a web application can store it across the redirect. The code
/// verifier is then stored in clear: keep the session as private as a token. `Debug` redacts
/// the verifier.
///
/// ```
/// use idpkit::oidc::{build_authorization_request, AuthorizationOptions, AuthorizationRequest};
/// let request = build_authorization_request(
///     "https://op.example/authorize", "my-app", "https://app.example/cb",
///     &AuthorizationOptions::default(),
/// )?;
/// let stored = serde_json::to_string(&request).unwrap();
/// let restored: AuthorizationRequest = serde_json::from_str(&stored).unwrap();
/// assert_eq!(restored, request);
/// assert!(!format!("{request:?}").contains(request.code_verifier.expose_secret()));
/// # Ok::<(), idpkit::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuthorizationRequest {
    /// The authorization URL, with every parameter.
    pub url: String,
    /// The `state` sent (256 random bits); the callback must return it.
    pub state: String,
    /// The `nonce` sent (256 random bits); the ID token must contain it.
    pub nonce: String,
    /// The PKCE code verifier, for the token request.
    pub code_verifier: CodeVerifier,
    /// The `redirect_uri` sent, exactly; the token request must repeat it.
    pub redirect_uri: String,
    /// The `max_age` sent, in seconds, if any: the ID token's `auth_time` must then be checked
    /// (OIDC Core §3.1.3.7 item 13).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<u64>,
}

impl AuthorizationRequest {
    /// The authorization code grant for a callback's `code`, with this request's redirect URI
    /// and code verifier: what [`build_token_request`](crate::oidc::build_token_request) sends.
    ///
    /// ```
    /// use idpkit::oidc::{build_authorization_request, AuthorizationOptions, Grant};
    /// let request = build_authorization_request(
    ///     "https://op.example/authorize", "app", "https://app.example/cb",
    ///     &AuthorizationOptions::default(),
    /// )?;
    /// let grant = request.grant("the-code");
    /// assert!(matches!(grant, Grant::AuthorizationCode { redirect_uri: "https://app.example/cb", .. }));
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn grant<'a>(&'a self, code: &'a str) -> Grant<'a> {
        Grant::AuthorizationCode {
            code,
            redirect_uri: &self.redirect_uri,
            code_verifier: &self.code_verifier,
        }
    }
}

/// Builds an authorization request for the authorization code flow with PKCE.
///
/// The URL carries `response_type=code`, `client_id`, `redirect_uri` (exactly as given),
/// `scope` (the scopes space-joined, `openid` added first if missing, duplicates dropped), a
/// fresh `state` and `nonce` (256 random bits each), `code_challenge` with
/// `code_challenge_method=S256`, then the options. A query already in the endpoint URL is kept.
///
/// # Errors
///
/// [`ErrorKind::Config`] when:
/// - the endpoint is not https (http only on loopback), or has a fragment;
/// - `client_id` is empty;
/// - `redirect_uri` is not an absolute URL, has a fragment, or is not `https`, `http` on a
///   loopback host, or a private-use scheme containing a dot (`com.example.app:/cb`, RFC 8252
///   §7.1);
/// - a scope has characters RFC 6749 §3.3 does not allow (a scope entry holding several
///   space-separated scopes is split);
/// - a resource is not an absolute URI, or has a fragment (RFC 8707 §2);
/// - `extra` contains a parameter idpkit sets itself, or any parameter would appear twice
///   (RFC 6749 §3.1), `resource` excepted.
///
/// ```
/// use idpkit::oidc::{build_authorization_request, AuthorizationOptions};
/// let request = build_authorization_request(
///     "https://op.example/authorize?tenant=a",
///     "my-app",
///     "http://127.0.0.1:8400/cb",
///     &AuthorizationOptions { prompt: Some("consent".into()), ..AuthorizationOptions::from(["profile"]) },
/// )?;
/// assert!(request.url.starts_with("https://op.example/authorize?tenant=a&response_type=code&client_id=my-app"));
/// assert!(request.url.contains("&scope=openid+profile&"));
/// assert!(request.url.contains("&code_challenge_method=S256&prompt=consent"));
/// # Ok::<(), idpkit::Error>(())
/// ```
pub fn build_authorization_request(
    authorization_endpoint: &str,
    client_id: &str,
    redirect_uri: &str,
    options: &AuthorizationOptions,
) -> Result<AuthorizationRequest> {
    let mut url = require_secure_url("authorization_endpoint", authorization_endpoint)?;
    if client_id.is_empty() {
        return Err(Error::config("client_id must not be empty"));
    }
    validate_redirect_uri(redirect_uri)?;
    let scope = checked_scope(options, &RESERVED, "authorization")?;

    let state = pkce::random_urlsafe(32);
    let nonce = pkce::random_urlsafe(32);
    let code_verifier = pkce::generate_code_verifier();
    let code_challenge = pkce::code_challenge_s256(&code_verifier);
    let max_age = options.max_age.map(|d| d.as_secs());
    let max_age_param = max_age.map(|s| s.to_string());

    let mut params = vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("scope", scope.as_str()),
        ("state", state.as_str()),
        ("nonce", nonce.as_str()),
        ("code_challenge", code_challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let optional = [
        ("prompt", options.prompt.as_deref()),
        ("login_hint", options.login_hint.as_deref()),
        ("max_age", max_age_param.as_deref()),
    ];
    params.extend(optional.iter().filter_map(|&(n, v)| Some((n, v?))));
    params.extend(options.resources.iter().map(|r| ("resource", r.as_str())));
    params.extend(options.extra.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    append_query(&mut url, "authorization_endpoint", &params)?;

    Ok(AuthorizationRequest {
        url: url.into(),
        state,
        nonce,
        code_verifier,
        redirect_uri: redirect_uri.to_owned(),
        max_age,
    })
}

/// A redirect URI must be absolute without fragment (RFC 6749 §3.1.2) and `https`, `http` on
/// loopback (RFC 8252 §7.3) or a private-use scheme (RFC 8252 §7.1; RFC 9700 §2.1).
fn validate_redirect_uri(value: &str) -> Result<()> {
    let url = url::Url::parse(value).map_err(|e| {
        Error::config(format!(
            "redirect_uri is not an absolute URL ({e}): {value:?}"
        ))
    })?;
    if url.fragment().is_some() {
        return Err(Error::config(format!(
            "redirect_uri must not have a fragment: {value:?}"
        )));
    }
    match url.scheme() {
        "https" | "http" => require_secure_url("redirect_uri", value).map(drop),
        scheme if scheme.contains('.') => Ok(()),
        scheme => Err(Error::config(format!(
            "redirect_uri must use https, http on a loopback host, or a private-use scheme \
             such as com.example.app (RFC 8252 §7.1), not {scheme}: {value:?}"
        ))),
    }
}

/// A resource indicator is an absolute URI without fragment (RFC 8707 §2).
pub(crate) fn validate_resource(value: &str) -> Result<()> {
    match url::Url::parse(value) {
        Ok(url) if url.fragment().is_none() => Ok(()),
        _ => Err(Error::config(format!(
            "resource must be an absolute URI without fragment (RFC 8707 §2): {value:?}"
        ))),
    }
}

/// The options' scope string, once the scopes, the resources and the `extra` parameters are
/// checked: none may be one of `reserved`, the parameters idpkit sets itself (`what` names the
/// request in errors: `authorization`, `device authorization`).
pub(crate) fn checked_scope(
    options: &AuthorizationOptions,
    reserved: &[&str],
    what: &str,
) -> Result<String> {
    let scope = scope_string(&options.scopes)?;
    for resource in &options.resources {
        validate_resource(resource)?;
    }
    if let Some((name, _)) = options
        .extra
        .iter()
        .find(|(name, _)| name.is_empty() || reserved.contains(&name.as_str()))
    {
        return Err(Error::config(format!(
            "the {what} parameter {name:?} cannot be set through `extra`: idpkit sets it"
        )));
    }
    Ok(scope)
}

/// The `scope` value: `openid` first, then each scope once, in order.
pub(crate) fn scope_string<S: AsRef<str>>(scopes: &[S]) -> Result<String> {
    let mut tokens = vec!["openid"];
    for token in scopes
        .iter()
        .flat_map(|s| s.as_ref().split_ascii_whitespace())
    {
        // RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
        let valid = token
            .bytes()
            .all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E));
        if !valid {
            return Err(Error::config(format!(
                "scope {token:?} has a character RFC 6749 §3.3 does not allow"
            )));
        }
        if !tokens.contains(&token) {
            tokens.push(token);
        }
    }
    Ok(tokens.join(" "))
}

const CALLBACK: &str = "an authorization response (RFC 6749 §4.1.2)";

/// The parameters of an authorization response (the redirect back to the client): RFC 6749
/// §4.1.2 and §4.1.2.1, RFC 9207.
///
/// Parameters other than these are ignored (RFC 6749 §4.1.2); an empty value counts as absent.
/// `Debug` redacts the authorization code.
///
/// ```
/// use idpkit::oidc::CallbackParams;
/// let p = CallbackParams::from_query("code=abc&state=xyz&iss=https%3A%2F%2Fop.example")?;
/// assert_eq!(p.code.as_deref(), Some("abc"));
/// assert_eq!(p.iss.as_deref(), Some("https://op.example"));
/// assert!(!format!("{p:?}").contains("abc"));
/// # Ok::<(), idpkit::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CallbackParams {
    /// `code`: the authorization code.
    pub code: Option<String>,
    /// `state`: must equal the request's.
    pub state: Option<String>,
    /// `iss` (RFC 9207): the issuer that answered.
    pub iss: Option<String>,
    /// `error`: the request failed (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6).
    pub error: Option<String>,
    /// `error_description`.
    pub error_description: Option<String>,
    /// `error_uri`.
    pub error_uri: Option<String>,
}

impl CallbackParams {
    const NAMES: [&'static str; 6] = [
        "code",
        "state",
        "iss",
        "error",
        "error_description",
        "error_uri",
    ];

    /// Parses decoded name/value pairs.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::MalformedResponse`] when one of the parameters above appears more than once
    /// (RFC 6749 §3.1: "MUST NOT be included more than once").
    ///
    /// ```
    /// use idpkit::oidc::CallbackParams;
    /// let p = CallbackParams::from_pairs([("error", "access_denied"), ("state", "s")])?;
    /// assert_eq!(p.error.as_deref(), Some("access_denied"));
    /// assert!(CallbackParams::from_pairs([("state", "a"), ("state", "b")]).is_err());
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn from_pairs<I, K, V>(pairs: I) -> Result<Self>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Into<String>,
    {
        let mut values: [Option<String>; 6] = Default::default();
        let mut seen = [false; 6];
        for (name, value) in pairs {
            let Some(i) = Self::NAMES.iter().position(|n| *n == name.as_ref()) else {
                continue;
            };
            if std::mem::replace(&mut seen[i], true) {
                return Err(Error::malformed(
                    CALLBACK,
                    format!("the parameter `{}` appears more than once", Self::NAMES[i]),
                ));
            }
            let value = value.into();
            if !value.is_empty() {
                values[i] = Some(value);
            }
        }
        let [code, state, iss, error, error_description, error_uri] = values;
        Ok(CallbackParams {
            code,
            state,
            iss,
            error,
            error_description,
            error_uri,
        })
    }

    /// Parses a query string (`application/x-www-form-urlencoded`), with or without the
    /// leading `?`.
    ///
    /// # Errors
    ///
    /// As [`from_pairs`](Self::from_pairs).
    ///
    /// ```
    /// use idpkit::oidc::CallbackParams;
    /// let p = CallbackParams::from_query("?code=a%2Bb&state=s")?;
    /// assert_eq!(p.code.as_deref(), Some("a+b"));
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn from_query(query: &str) -> Result<Self> {
        let query = query.strip_prefix('?').unwrap_or(query);
        Self::from_pairs(url::form_urlencoded::parse(query.as_bytes()))
    }

    /// Parses the query of the full callback URL (absolute; for a request target such as
    /// `/callback?code=…`, pass its query to [`from_query`](Self::from_query)).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::MalformedResponse`] when it is not an absolute URL, or as
    /// [`from_pairs`](Self::from_pairs).
    ///
    /// ```
    /// use idpkit::oidc::CallbackParams;
    /// let p = CallbackParams::from_url("https://app.example/cb?state=s&error=login_required")?;
    /// assert_eq!(p.error.as_deref(), Some("login_required"));
    /// assert!(CallbackParams::from_url("/cb?code=x").is_err());
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn from_url(url: &str) -> Result<Self> {
        let url = url::Url::parse(url)
            .map_err(|e| Error::malformed(CALLBACK, format!("not an absolute URL: {e}")))?;
        Self::from_pairs(url.query_pairs())
    }
}

impl fmt::Debug for CallbackParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackParams")
            .field("code", &self.code.as_ref().map(|_| "[redacted]"))
            .field("state", &self.state)
            .field("iss", &self.iss)
            .field("error", &self.error)
            .field("error_description", &self.error_description)
            .field("error_uri", &self.error_uri)
            .finish()
    }
}

/// Checks an authorization response against the request it answers and returns the
/// authorization code.
///
/// In this order:
/// 1. `state` must be present and equal [`AuthorizationRequest::state`] (compared in constant
///    time), else [`ErrorKind::StateMismatch`]. This comes before any `error`, so a forged
///    callback cannot push an error into someone else's session.
/// 2. `iss` (RFC 9207), when present, must equal `issuer` exactly; when absent it is accepted
///    only if the provider does not announce
///    `authorization_response_iss_parameter_supported`. Else
///    [`ErrorKind::CallbackIssuerMismatch`].
/// 3. An `error` becomes [`ErrorKind::OAuth`] (no HTTP status), with its description and URI.
/// 4. `code` must be present, else [`ErrorKind::MissingCallbackParameter`].
///
/// # Errors
///
/// As listed.
///
/// ```
/// use idpkit::{ErrorKind, OAuthErrorCode};
/// use idpkit::oidc::{build_authorization_request, validate_callback, AuthorizationOptions, CallbackParams};
/// let request = build_authorization_request(
///     "https://op.example/authorize", "my-app", "https://app.example/cb",
///     &AuthorizationOptions { prompt: Some("none".into()), ..Default::default() },
/// )?;
/// let query = format!("state={}&error=login_required&iss=https%3A%2F%2Fop.example", request.state);
/// let err = validate_callback(&CallbackParams::from_query(&query)?, &request, "https://op.example", true)
///     .unwrap_err();
/// assert_eq!(err.oauth().unwrap().code, OAuthErrorCode::LoginRequired);
///
/// let forged = CallbackParams::from_query("state=guess&code=x")?;
/// let err = validate_callback(&forged, &request, "https://op.example", false).unwrap_err();
/// assert_eq!(err.kind(), &ErrorKind::StateMismatch);
/// # Ok::<(), idpkit::Error>(())
/// ```
pub fn validate_callback(
    params: &CallbackParams,
    request: &AuthorizationRequest,
    issuer: &str,
    iss_parameter_supported: bool,
) -> Result<String> {
    let state_matches = params
        .state
        .as_deref()
        .is_some_and(|s| bool::from(s.as_bytes().ct_eq(request.state.as_bytes())));
    if !state_matches {
        return Err(ErrorKind::StateMismatch.into());
    }
    match params.iss.as_deref() {
        Some(iss) if iss == issuer => {}
        None if !iss_parameter_supported => {}
        actual => {
            return Err(ErrorKind::CallbackIssuerMismatch {
                expected: issuer.to_owned(),
                actual: actual.map(str::to_owned),
            }
            .into());
        }
    }
    if let Some(code) = &params.error {
        let mut error = OAuthError::new(OAuthErrorCode::from(code.as_str()));
        error.description = params.error_description.clone();
        error.uri = params.error_uri.clone();
        return Err(error.into());
    }
    params
        .code
        .clone()
        .ok_or_else(|| ErrorKind::MissingCallbackParameter("code").into())
}

#[cfg(test)]
mod tests;
