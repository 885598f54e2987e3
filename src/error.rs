//! The one error type of the crate, shared by the blocking and the async client.
//!
//! [`Error`] is a single pointer wide; [`Error::kind`] tells what went wrong as an [`ErrorKind`], and
//! the helpers ([`Error::status`], [`Error::oauth`], [`Error::is_retryable`], …) answer the common
//! questions without a `match`. No variant depends on a Cargo feature, so code that handles errors
//! compiles the same with `blocking`, `async`, both or neither.
//!
//! Secrets never reach an error: response bodies that failed to parse are described by where and
//! how they failed, not by what they contained.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// A `Result` whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A source error kept for [`std::error::Error::source`]: the transport's own error, for
/// example. Its type is not part of the API.
type Source = Arc<dyn std::error::Error + Send + Sync + 'static>;

/// The error of every fallible operation in idpkit.
///
/// Cheap to move (one pointer) and cheap to clone (so one failed request can be reported to
/// every caller that waited on it).
///
/// ```
/// use idpkit::{Error, ErrorKind};
///
/// let err = Error::from(ErrorKind::Timeout);
/// assert!(err.is_timeout());
/// assert!(err.is_retryable());
/// assert_eq!(err.to_string(), "the request timed out");
/// ```
#[derive(Clone)]
pub struct Error {
    inner: Box<Inner>,
}

#[derive(Clone)]
struct Inner {
    kind: ErrorKind,
    source: Option<Source>,
}

/// What went wrong. Match on it through [`Error::kind`].
///
/// `#[non_exhaustive]`: later versions add variants (for example for the relying party's
/// session handling) without a breaking change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The client was configured wrongly; raised when it is built, before any request.
    #[error("invalid configuration: {message}")]
    Config {
        /// What is wrong, naming the setting.
        message: String,
    },
    /// The request could not be sent or the response not received: DNS, connection refused or
    /// reset, TLS failure, a broken or truncated body. The transport's error is the `source()`.
    #[error("transport error: {message}")]
    Transport {
        /// The root cause, the same for both clients.
        cause: crate::http::TransportCause,
        /// The cause and the server's `host:port` (never the URL: its query may carry secrets),
        /// in the same words for both clients.
        message: String,
    },
    /// The request did not complete within the configured timeout.
    #[error("the request timed out")]
    Timeout,
    /// The response body is larger than the configured limit; reading stopped at the limit.
    #[error("the response body exceeds the limit of {limit} bytes")]
    BodyTooLarge {
        /// The limit in bytes ([`IdpClientBuilder::max_response_bytes`](crate::asynch::IdpClientBuilder::max_response_bytes)).
        limit: usize,
    },
    /// The server answered with a non-success HTTP status and no OAuth error body.
    #[error("the server answered HTTP {status}")]
    Status {
        /// The HTTP status code.
        status: u16,
        /// The start of the response body (at most [`BODY_EXCERPT_LEN`] bytes, lossy UTF-8),
        /// for diagnostics. Shown by `Debug`, not by `Display`.
        body_excerpt: String,
        /// The `Retry-After` header, as a delay (from seconds or an HTTP-date).
        retry_after: Option<Duration>,
    },
    /// The server answered with an OAuth 2.0 / OpenID Connect error (RFC 6749 §5.2, §4.1.2.1;
    /// OIDC Core §3.1.2.6).
    #[error("{0}")]
    OAuth(OAuthError),
    /// A token failed validation.
    #[error("token rejected: {0}")]
    TokenValidation(TokenValidationError),
    /// A local policy could not be built or gave no decision (a type error in a reached
    /// condition, a failing evaluator): see [`PolicyError`](crate::authz::policy::PolicyError).
    #[error("policy error: {0}")]
    Policy(crate::authz::policy::PolicyError),
    /// An agent key could not be used, or an RFC 9421 signed request was rejected.
    #[error("signature: {0}")]
    Signature(crate::agent::SignatureError),
    /// A delegation claim (RFC 8693 `act` or `may_act`) was rejected: garbage, too deep, or
    /// naming another actor.
    #[error("delegation: {0}")]
    Delegation(crate::agent::DelegationError),
    /// A DPoP key could not be used, a DPoP proof was rejected, or a server's nonce challenge
    /// could not be met (RFC 9449): see [`DpopError`](crate::dpop::DpopError).
    #[error("DPoP: {0}")]
    Dpop(crate::dpop::DpopError),
    /// A login type could not be configured, or one of its tokens not issued or not accepted:
    /// see [`LoginError`](crate::login::LoginError).
    #[error("login: {0}")]
    Login(crate::login::LoginError),
    /// The shared store of a fleet-wide cache (Redis) was unavailable or too slow, and the
    /// store's [`FailurePolicy`](crate::store::FailurePolicy) says to fail: see
    /// [`StoreError`](crate::store::StoreError).
    #[error("shared store: {0}")]
    Store(crate::store::StoreError),
    /// The provider's discovery document names another issuer than the one configured
    /// (OpenID Connect Discovery 1.0 §4.3): the metadata must not be used.
    #[error("issuer mismatch: configured {expected:?}, the provider says {actual:?}")]
    IssuerMismatch {
        /// The configured issuer.
        expected: String,
        /// The issuer in the provider's answer.
        actual: String,
    },
    /// A policy decision point's metadata names another `policy_decision_point` than the one
    /// configured (OpenID AuthZEN 1.0, metadata validation; a mix-up defence): the metadata
    /// must not be used.
    #[error("PDP mismatch: configured {expected:?}, the metadata says {actual:?}")]
    PdpMismatch {
        /// The configured PDP identifier.
        expected: String,
        /// The `policy_decision_point` in the metadata.
        actual: String,
    },
    /// The authorization callback's `state` is missing or differs from the one stored with the
    /// request (CSRF or a mixed-up session; RFC 6749 §10.12, RFC 9700 §4.7).
    #[error("the callback's state does not match the authorization request")]
    StateMismatch,
    /// The authorization callback's `iss` (RFC 9207) is not the configured issuer, or is missing
    /// although the provider promised it (`authorization_response_iss_parameter_supported`): a
    /// possible mix-up attack.
    #[error("the callback's issuer {actual:?} is not the configured issuer {expected:?}")]
    CallbackIssuerMismatch {
        /// The configured issuer.
        expected: String,
        /// The `iss` parameter of the callback, if any.
        actual: Option<String>,
    },
    /// The authorization callback lacks a parameter it must have (`code`).
    #[error("the callback has no `{0}` parameter")]
    MissingCallbackParameter(&'static str),
    /// The access token has expired and cannot be refreshed (no refresh token, or automatic
    /// refresh is off).
    #[error("the access token has expired and cannot be refreshed")]
    TokenExpired,
    /// The session has ended and the user must sign in again: its refresh token was refused
    /// (`invalid_grant`), or a refresh's answer was lost after the provider may have rotated the
    /// token, or the refreshed tokens failed validation. The refresh's own error is the
    /// `source()`. Every later call on the session returns this at once, without calling the
    /// provider (see [`Session`](crate::asynch::Session)).
    #[error("the session has ended, sign the user in again: {reason}")]
    SignInRequired {
        /// What ended it: the refresh's error, as text.
        reason: String,
    },
    /// A refreshed ID token or a userinfo response names another subject than the session's.
    #[error("subject mismatch: expected {expected:?}, got {actual:?}")]
    SubjectMismatch {
        /// The session's subject.
        expected: String,
        /// The subject in the new answer.
        actual: String,
    },
    /// A SCIM 2.0 error ([`provisioning`](crate::provisioning)): the server's SCIM error
    /// response with its status, `scimType` and `detail`, a value refused before sending, a
    /// user's metadata that does not fit the declared schema, or a schema drift in strict mode.
    #[error("{0}")]
    Scim(crate::provisioning::ScimError),
    /// The caller cancelled the operation (a device-flow poll loop's
    /// [`CancelToken`](crate::oidc::CancelToken)); no request was left in flight.
    #[error("the operation was cancelled")]
    Cancelled,
    /// A response could not be understood: wrong content type, not JSON, or JSON of the wrong
    /// shape. Says what was expected and where parsing failed, never the payload itself.
    #[error("malformed response: expected {expected}: {problem}")]
    MalformedResponse {
        /// What the response should have been, e.g. `"OpenID provider metadata (JSON)"`.
        expected: &'static str,
        /// Where and how it failed, without any of the payload's values.
        problem: String,
    },
}

/// How many bytes of an error body [`ErrorKind::Status`] keeps.
pub const BODY_EXCERPT_LEN: usize = 512;

impl Error {
    /// An error of this kind with a source error (kept for [`std::error::Error::source`]).
    ///
    /// ```
    /// use idpkit::{Error, ErrorKind};
    /// let io = std::io::Error::other("connection reset");
    /// let err = Error::with_source(ErrorKind::Transport { cause: idpkit::http::TransportCause::ConnectionReset, message: "reset".into() }, io);
    /// assert!(std::error::Error::source(&err).is_some());
    /// ```
    pub fn with_source(
        kind: ErrorKind,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                source: Some(Arc::new(source)),
            }),
        }
    }

    /// What went wrong.
    ///
    /// ```
    /// use idpkit::{Error, ErrorKind};
    /// let err = Error::config("issuer must be https");
    /// assert!(matches!(err.kind(), ErrorKind::Config { .. }));
    /// ```
    pub fn kind(&self) -> &ErrorKind {
        &self.inner.kind
    }

    /// Consumes the error and returns its kind.
    ///
    /// ```
    /// use idpkit::{Error, ErrorKind};
    /// assert_eq!(Error::from(ErrorKind::Timeout).into_kind(), ErrorKind::Timeout);
    /// ```
    pub fn into_kind(self) -> ErrorKind {
        self.inner.kind
    }

    /// A configuration error with this message.
    ///
    /// ```
    /// let err = idpkit::Error::config("client_id must not be empty");
    /// assert_eq!(err.to_string(), "invalid configuration: client_id must not be empty");
    /// ```
    pub fn config(message: impl Into<String>) -> Self {
        ErrorKind::Config {
            message: message.into(),
        }
        .into()
    }

    /// A malformed-response error: `expected` says what the response should have been.
    ///
    /// ```
    /// let err = idpkit::Error::malformed("a JSON object", "missing field `issuer`");
    /// assert!(err.to_string().contains("a JSON object"));
    /// ```
    pub fn malformed(expected: &'static str, problem: impl Into<String>) -> Self {
        ErrorKind::MalformedResponse {
            expected,
            problem: problem.into(),
        }
        .into()
    }

    /// The HTTP status of the response that caused this error, if there was one.
    ///
    /// ```
    /// use idpkit::{Error, ErrorKind};
    /// let err = Error::from(ErrorKind::Status { status: 503, body_excerpt: String::new(), retry_after: None });
    /// assert_eq!(err.status(), Some(503));
    /// ```
    pub fn status(&self) -> Option<u16> {
        match self.kind() {
            ErrorKind::Status { status, .. } => Some(*status),
            ErrorKind::OAuth(e) => e.status,
            ErrorKind::Scim(e) => e.status(),
            _ => None,
        }
    }

    /// The OAuth error, if the server sent one.
    ///
    /// ```
    /// use idpkit::{Error, ErrorKind, OAuthError, OAuthErrorCode};
    /// let err = Error::from(ErrorKind::OAuth(OAuthError::new(OAuthErrorCode::InvalidGrant)));
    /// assert_eq!(err.oauth().unwrap().code, OAuthErrorCode::InvalidGrant);
    /// ```
    pub fn oauth(&self) -> Option<&OAuthError> {
        match self.kind() {
            ErrorKind::OAuth(e) => Some(e),
            _ => None,
        }
    }

    /// The delay the server asked for with `Retry-After`, if any.
    ///
    /// ```
    /// use std::time::Duration;
    /// use idpkit::{Error, ErrorKind};
    /// let err = Error::from(ErrorKind::Status {
    ///     status: 429,
    ///     body_excerpt: String::new(),
    ///     retry_after: Some(Duration::from_secs(5)),
    /// });
    /// assert_eq!(err.retry_after(), Some(Duration::from_secs(5)));
    /// ```
    pub fn retry_after(&self) -> Option<Duration> {
        match self.kind() {
            ErrorKind::Status { retry_after, .. } => *retry_after,
            ErrorKind::OAuth(e) => e.retry_after,
            _ => None,
        }
    }

    /// Whether the session has ended and the user must sign in again
    /// ([`ErrorKind::SignInRequired`]).
    ///
    /// ```
    /// use idpkit::{Error, ErrorKind};
    /// let ended = Error::from(ErrorKind::SignInRequired { reason: "invalid_grant".into() });
    /// assert!(ended.is_sign_in_required());
    /// assert!(!ended.is_retryable());
    /// ```
    pub fn is_sign_in_required(&self) -> bool {
        matches!(self.kind(), ErrorKind::SignInRequired { .. })
    }

    /// Whether the request timed out.
    ///
    /// ```
    /// assert!(idpkit::Error::from(idpkit::ErrorKind::Timeout).is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self.kind(), ErrorKind::Timeout)
    }

    /// Whether trying the same request again later may succeed: timeouts, transport failures,
    /// HTTP 408, 425, 429 and 5xx, and the OAuth codes `temporarily_unavailable`,
    /// `server_error` and `slow_down`. Configuration, validation and other 4xx errors are not
    /// retryable.
    ///
    /// ```
    /// use idpkit::{Error, ErrorKind};
    /// let busy = Error::from(ErrorKind::Status { status: 503, body_excerpt: String::new(), retry_after: None });
    /// let bad = Error::from(ErrorKind::Status { status: 400, body_excerpt: String::new(), retry_after: None });
    /// assert!(busy.is_retryable());
    /// assert!(!bad.is_retryable());
    /// ```
    pub fn is_retryable(&self) -> bool {
        match self.kind() {
            ErrorKind::Timeout | ErrorKind::Transport { .. } | ErrorKind::Store(_) => true,
            ErrorKind::Status { status, .. } => is_retryable_status(*status),
            ErrorKind::Scim(e) => e.status().is_some_and(is_retryable_status),
            ErrorKind::OAuth(e) => matches!(
                e.code,
                OAuthErrorCode::TemporarilyUnavailable
                    | OAuthErrorCode::ServerError
                    | OAuthErrorCode::SlowDown
            ),
            _ => false,
        }
    }
}

fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 425 | 429) || (500..=599).contains(&status)
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Error {
            inner: Box::new(Inner { kind, source: None }),
        }
    }
}

impl From<OAuthError> for Error {
    fn from(e: OAuthError) -> Self {
        ErrorKind::OAuth(e).into()
    }
}

impl From<crate::agent::SignatureError> for Error {
    fn from(e: crate::agent::SignatureError) -> Self {
        ErrorKind::Signature(e).into()
    }
}

impl From<crate::agent::DelegationError> for Error {
    fn from(e: crate::agent::DelegationError) -> Self {
        ErrorKind::Delegation(e).into()
    }
}

impl From<crate::dpop::DpopError> for Error {
    fn from(e: crate::dpop::DpopError) -> Self {
        ErrorKind::Dpop(e).into()
    }
}

impl From<crate::store::StoreError> for Error {
    fn from(e: crate::store::StoreError) -> Self {
        ErrorKind::Store(e).into()
    }
}

impl From<TokenValidationError> for Error {
    fn from(e: TokenValidationError) -> Self {
        ErrorKind::TokenValidation(e).into()
    }
}

impl From<crate::login::LoginError> for Error {
    fn from(e: crate::login::LoginError) -> Self {
        ErrorKind::Login(e).into()
    }
}

impl From<crate::authz::policy::PolicyError> for Error {
    fn from(e: crate::authz::policy::PolicyError) -> Self {
        ErrorKind::Policy(e).into()
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.inner.kind);
        if let Some(source) = &self.inner.source {
            d.field("source", source);
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.inner.kind, f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.inner.source {
            Some(s) => Some(&**s as &(dyn std::error::Error + 'static)),
            None => match &self.inner.kind {
                ErrorKind::OAuth(e) => Some(e),
                ErrorKind::TokenValidation(e) => Some(e),
                ErrorKind::Policy(e) => Some(e),
                ErrorKind::Signature(e) => Some(e),
                ErrorKind::Delegation(e) => Some(e),
                ErrorKind::Dpop(e) => Some(e),
                ErrorKind::Login(e) => Some(e),
                ErrorKind::Store(e) => Some(e),
                _ => None,
            },
        }
    }
}

/// An error response defined by OAuth 2.0 or OpenID Connect: from a token, revocation,
/// introspection or userinfo endpoint, or from the authorization callback.
///
/// ```
/// use idpkit::{OAuthError, OAuthErrorCode};
/// let e = OAuthError::new(OAuthErrorCode::from("login_required"));
/// assert_eq!(e.code, OAuthErrorCode::LoginRequired);
/// assert_eq!(e.to_string(), "OAuth error `login_required`");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub struct OAuthError {
    /// The `error` code.
    pub code: OAuthErrorCode,
    /// The `error_description`, if given.
    pub description: Option<String>,
    /// The `error_uri`, if given.
    pub uri: Option<String>,
    /// The HTTP status of the response that carried it (none for an authorization callback).
    pub status: Option<u16>,
    /// The `Retry-After` header of that response, if any.
    pub retry_after: Option<Duration>,
}

impl OAuthError {
    /// An error with this code and nothing else.
    ///
    /// ```
    /// use idpkit::{OAuthError, OAuthErrorCode};
    /// assert_eq!(OAuthError::new(OAuthErrorCode::AccessDenied).description, None);
    /// ```
    pub fn new(code: OAuthErrorCode) -> Self {
        OAuthError {
            code,
            description: None,
            uri: None,
            status: None,
            retry_after: None,
        }
    }

    /// Sets the description.
    ///
    /// ```
    /// use idpkit::{OAuthError, OAuthErrorCode};
    /// let e = OAuthError::new(OAuthErrorCode::InvalidGrant).with_description("code expired");
    /// assert_eq!(e.to_string(), "OAuth error `invalid_grant`: code expired");
    /// ```
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OAuth error `{}`", self.code)?;
        if let Some(d) = &self.description {
            write!(f, ": {d}")?;
        }
        Ok(())
    }
}

macro_rules! oauth_codes {
    ($($(#[$doc:meta])* $variant:ident => $code:literal,)*) => {
        /// An OAuth 2.0 / OpenID Connect error code, with [`OAuthErrorCode::Other`] for codes
        /// this version does not know.
        ///
        /// ```
        /// use idpkit::OAuthErrorCode;
        /// assert_eq!(OAuthErrorCode::from("invalid_grant"), OAuthErrorCode::InvalidGrant);
        /// assert_eq!(OAuthErrorCode::from("x_custom").as_str(), "x_custom");
        /// ```
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum OAuthErrorCode {
            $($(#[$doc])* $variant,)*
            /// Any other code, kept verbatim.
            Other(String),
        }

        impl OAuthErrorCode {
            /// The code as it appears on the wire.
            ///
            /// ```
            /// assert_eq!(idpkit::OAuthErrorCode::ConsentRequired.as_str(), "consent_required");
            /// ```
            pub fn as_str(&self) -> &str {
                match self {
                    $(OAuthErrorCode::$variant => $code,)*
                    OAuthErrorCode::Other(s) => s,
                }
            }
        }

        impl From<&str> for OAuthErrorCode {
            fn from(s: &str) -> Self {
                match s {
                    $($code => OAuthErrorCode::$variant,)*
                    other => OAuthErrorCode::Other(other.to_owned()),
                }
            }
        }
    };
}

oauth_codes! {
    /// `invalid_request` (RFC 6749 §4.1.2.1, §5.2).
    InvalidRequest => "invalid_request",
    /// `invalid_client`: client authentication failed (RFC 6749 §5.2).
    InvalidClient => "invalid_client",
    /// `invalid_grant`: code or refresh token invalid, expired or revoked (RFC 6749 §5.2).
    InvalidGrant => "invalid_grant",
    /// `unauthorized_client` (RFC 6749 §5.2).
    UnauthorizedClient => "unauthorized_client",
    /// `unsupported_grant_type` (RFC 6749 §5.2).
    UnsupportedGrantType => "unsupported_grant_type",
    /// `invalid_scope` (RFC 6749 §5.2).
    InvalidScope => "invalid_scope",
    /// `access_denied`: the user or server refused (RFC 6749 §4.1.2.1).
    AccessDenied => "access_denied",
    /// `unsupported_response_type` (RFC 6749 §4.1.2.1).
    UnsupportedResponseType => "unsupported_response_type",
    /// `server_error` (RFC 6749 §4.1.2.1).
    ServerError => "server_error",
    /// `temporarily_unavailable` (RFC 6749 §4.1.2.1).
    TemporarilyUnavailable => "temporarily_unavailable",
    /// `interaction_required` (OIDC Core §3.1.2.6).
    InteractionRequired => "interaction_required",
    /// `login_required` (OIDC Core §3.1.2.6).
    LoginRequired => "login_required",
    /// `account_selection_required` (OIDC Core §3.1.2.6).
    AccountSelectionRequired => "account_selection_required",
    /// `consent_required` (OIDC Core §3.1.2.6).
    ConsentRequired => "consent_required",
    /// `invalid_request_uri` (OIDC Core §3.1.2.6).
    InvalidRequestUri => "invalid_request_uri",
    /// `invalid_request_object` (OIDC Core §3.1.2.6).
    InvalidRequestObject => "invalid_request_object",
    /// `request_not_supported` (OIDC Core §3.1.2.6).
    RequestNotSupported => "request_not_supported",
    /// `request_uri_not_supported` (OIDC Core §3.1.2.6).
    RequestUriNotSupported => "request_uri_not_supported",
    /// `registration_not_supported` (OIDC Core §3.1.2.6).
    RegistrationNotSupported => "registration_not_supported",
    /// `invalid_token` (RFC 6750 §3.1).
    InvalidToken => "invalid_token",
    /// `insufficient_scope` (RFC 6750 §3.1).
    InsufficientScope => "insufficient_scope",
    /// `unsupported_token_type` (RFC 7009 §2.2.1).
    UnsupportedTokenType => "unsupported_token_type",
    /// `invalid_target` (RFC 8707 §2).
    InvalidTarget => "invalid_target",
    /// `authorization_pending` (RFC 8628 §3.5).
    AuthorizationPending => "authorization_pending",
    /// `slow_down` (RFC 8628 §3.5).
    SlowDown => "slow_down",
    /// `expired_token` (RFC 8628 §3.5).
    ExpiredToken => "expired_token",
}

impl fmt::Display for OAuthErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a token was rejected. Each check of OpenID Connect Core §3.1.3.7 fails with its own
/// variant, so callers and logs can tell a forged token from a clock problem.
///
/// ```
/// use idpkit::TokenValidationError;
/// let e = TokenValidationError::NonceMismatch;
/// assert_eq!(e.to_string(), "the nonce does not match the authorization request");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenValidationError {
    /// Not a well-formed JWT (segments, base64url, JSON).
    #[error("the token is not a well-formed JWT: {0}")]
    Malformed(String),
    /// The header's `alg` is not in the allow-list (`none` never is).
    #[error("the signing algorithm {0:?} is not allowed")]
    AlgorithmNotAllowed(String),
    /// No key of the provider's JWKS matches the header's `kid` (after one refetch).
    #[error("no key with kid {0:?} in the provider's JWKS")]
    UnknownKey(Option<String>),
    /// The signature does not verify.
    #[error("the signature is invalid")]
    InvalidSignature,
    /// `iss` is not the configured issuer.
    #[error("issuer {actual:?} is not the configured issuer")]
    IssuerMismatch {
        /// The token's `iss`.
        actual: String,
    },
    /// `aud` does not contain this client's id.
    #[error("the audience does not contain this client")]
    AudienceMismatch,
    /// `azp` is missing or names another client while there are several audiences.
    #[error("the authorized party is not this client")]
    AuthorizedPartyMismatch,
    /// `exp` is in the past (beyond the leeway).
    #[error("the token has expired")]
    Expired,
    /// `iat` is in the future (beyond the leeway).
    #[error("the token was issued in the future")]
    IssuedInFuture,
    /// `nonce` differs from the one sent in the authorization request.
    #[error("the nonce does not match the authorization request")]
    NonceMismatch,
    /// `at_hash` does not match the access token.
    #[error("at_hash does not match the access token")]
    AccessTokenHashMismatch,
    /// The token is a JWT of another type: a JWT access token must have `typ` `at+jwt` (RFC 9068
    /// §4), so that an ID token or another JWT signed by the same keys is not taken for one.
    #[error("the token's type {0:?} is not at+jwt")]
    WrongTokenType(String),
    /// A claim the checks need is absent.
    #[error("the required claim `{0}` is missing")]
    MissingClaim(&'static str),
    /// `auth_time` is longer ago than the `max_age` the client asked for (beyond the leeway):
    /// the end-user must authenticate again (OIDC Core §3.1.3.7 step 13).
    #[error("the end-user authenticated too long ago for the requested max_age")]
    AuthTooOld,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_one_pointer_and_thread_safe() {
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<Error>();
    }

    #[test]
    fn retryable_classification() {
        let status = |s| {
            Error::from(ErrorKind::Status {
                status: s,
                body_excerpt: String::new(),
                retry_after: None,
            })
        };
        for s in [408, 425, 429, 500, 502, 503, 504] {
            assert!(status(s).is_retryable(), "{s}");
        }
        for s in [400, 401, 403, 404, 409] {
            assert!(!status(s).is_retryable(), "{s}");
        }
        assert!(
            Error::from(OAuthError::new(OAuthErrorCode::TemporarilyUnavailable)).is_retryable()
        );
        assert!(!Error::from(OAuthError::new(OAuthErrorCode::InvalidGrant)).is_retryable());
        assert!(!Error::config("x").is_retryable());
        assert!(!Error::from(TokenValidationError::Expired).is_retryable());
    }

    #[test]
    fn oauth_codes_round_trip() {
        for code in [
            "invalid_request",
            "login_required",
            "consent_required",
            "interaction_required",
            "access_denied",
            "invalid_target",
        ] {
            let c = OAuthErrorCode::from(code);
            assert!(!matches!(c, OAuthErrorCode::Other(_)), "{code}");
            assert_eq!(c.as_str(), code);
        }
        assert_eq!(
            OAuthErrorCode::from("vendor_specific"),
            OAuthErrorCode::Other("vendor_specific".into())
        );
    }

    #[test]
    fn status_body_excerpt_is_not_in_display() {
        let e = Error::from(ErrorKind::Status {
            status: 500,
            body_excerpt: "internal details".into(),
            retry_after: None,
        });
        assert_eq!(e.to_string(), "the server answered HTTP 500");
        assert!(format!("{e:?}").contains("internal details"));
    }
}
