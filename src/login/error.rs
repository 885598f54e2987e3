//! Why a login-type token could not be issued, found or verified.

use crate::error::TokenValidationError;

use super::TokenKind;

/// Why a login type could not be configured, a token not issued, or not accepted.
///
/// Each refusal has its own variant, so an application (and the axum guard) can tell a
/// forged token from an expired one, a refresh token sent as an access token, a revoked one, or
/// a token of another login type. No variant carries a key, a token or a claim value other than
/// login-type names and short printable header values.
///
/// ```
/// use idpkit::login::LoginError;
/// let e = LoginError::LoginTypeMismatch { expected: "users".into(), actual: "admins".into() };
/// assert_eq!(e.to_string(), "a token of login type \"admins\" where \"users\" is required");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// A login type was configured wrongly: an empty or duplicate name, a duplicate `kid`, a
    /// key that cannot be used, a lifetime that cannot be represented.
    #[error("login type configuration: {0}")]
    Config(String),
    /// No login type of this name is registered.
    #[error("no login type {0:?} is registered")]
    UnknownLoginType(String),
    /// Custom data tries to set a registered claim (`sub`, `exp`, `type`, `login_type`, …).
    /// AuthX crashes or silently replaces the claim; idpkit refuses.
    #[error("custom data may not set the registered claim `{0}`")]
    ReservedClaim(String),
    /// Custom data or custom claims could not be (de)serialized: not a JSON object, or not the
    /// shape the application's type expects.
    #[error("custom claims: {0}")]
    CustomClaims(String),
    /// The request carries no token in any of the login type's locations.
    #[error("no token in the request")]
    MissingToken,
    /// A cookie token on a state-changing request without the `X-CSRF-TOKEN` header.
    #[error("the X-CSRF-TOKEN header is missing")]
    MissingCsrfToken,
    /// The `X-CSRF-TOKEN` header differs from the token's `csrf` claim.
    #[error("the CSRF token does not match")]
    CsrfMismatch,
    /// Not a well-formed JWT (segments, base64url, JSON, claim types).
    #[error("the token is not a well-formed JWT: {0}")]
    Malformed(String),
    /// The header's `alg` is not the login type's algorithm.
    #[error("the signing algorithm {0:?} is not the login type's")]
    AlgorithmNotAllowed(String),
    /// The header's `kid` names no key of any login type.
    #[error("no login type has the key {0:?}")]
    UnknownKey(String),
    /// The signature does not verify with the login type's key.
    #[error("the signature is invalid")]
    InvalidSignature,
    /// `exp` has passed.
    #[error("the token has expired")]
    Expired,
    /// `nbf` is in the future.
    #[error("the token is not valid yet")]
    NotYetValid,
    /// `iss` is not the login type's issuer.
    #[error("the issuer is not the login type's")]
    IssuerMismatch,
    /// `aud` is missing or lacks the login type's audience, or the token has an audience the
    /// login type does not expect.
    #[error("the audience does not match")]
    AudienceMismatch,
    /// A token of the other kind: a refresh token where an access token is needed, or the
    /// reverse.
    #[error("a {actual} token where a {expected} token is required")]
    WrongTokenType {
        /// The kind the check asked for.
        expected: TokenKind,
        /// The token's `type` claim (cut to short printable ASCII).
        actual: String,
    },
    /// The check asked for a fresh access token and this one is not.
    #[error("a fresh token is required")]
    FreshTokenRequired,
    /// The token's `jti` is on the login type's blocklist.
    #[error("the token has been revoked")]
    Revoked,
    /// The token was issued for another login type: its `kid` names that login type's key and
    /// the signature verifies with it, or (two login types sharing a key) its `login_type`
    /// claim names another one.
    #[error("a token of login type {actual:?} where {expected:?} is required")]
    LoginTypeMismatch {
        /// The login type asked for.
        expected: String,
        /// The login type the token belongs to (`unknown` when a verified token has no
        /// `login_type` claim).
        actual: String,
    },
}

impl LoginError {
    /// Whether the token itself was refused (the request should get a 401), as opposed to a
    /// configuration or custom-data error of the application.
    ///
    /// ```
    /// use idpkit::login::LoginError;
    /// assert!(LoginError::Expired.is_token_error());
    /// assert!(!LoginError::UnknownLoginType("x".into()).is_token_error());
    /// ```
    pub fn is_token_error(&self) -> bool {
        !matches!(
            self,
            LoginError::Config(_)
                | LoginError::UnknownLoginType(_)
                | LoginError::ReservedClaim(_)
                | LoginError::CustomClaims(_)
        )
    }
}

impl From<TokenValidationError> for LoginError {
    fn from(e: TokenValidationError) -> Self {
        match e {
            TokenValidationError::InvalidSignature => LoginError::InvalidSignature,
            TokenValidationError::AlgorithmNotAllowed(alg) => LoginError::AlgorithmNotAllowed(alg),
            TokenValidationError::UnknownKey(kid) => {
                LoginError::UnknownKey(kid.unwrap_or_default())
            }
            TokenValidationError::Expired => LoginError::Expired,
            TokenValidationError::IssuedInFuture => LoginError::NotYetValid,
            TokenValidationError::AudienceMismatch => LoginError::AudienceMismatch,
            TokenValidationError::IssuerMismatch { .. } => LoginError::IssuerMismatch,
            TokenValidationError::Malformed(m) => LoginError::Malformed(m),
            other => LoginError::Malformed(other.to_string()),
        }
    }
}
