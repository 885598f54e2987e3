//! Login types (AuthX 1.7.1's `AuthManager`): several named issuers in one application —
//! "admins", "users", "api-clients" — each with its own signing key (HS256, RS256, ES256 or
//! EdDSA), token lifetimes, token locations and CSRF setting. Pure: no I/O; the time comes
//! from the manager's injected [`Clock`](crate::Clock).
//!
//! - [`LoginManager::issue`] / [`issue_pair`](LoginManager::issue_pair): access, refresh and
//!   fresh tokens with `sub`, `jti`, `type`, `fresh`, `csrf`, `iat`, `exp`, `login_type`, the
//!   scopes, and custom claims from any serde type (a custom claim that would overwrite a
//!   registered one is [`LoginError::ReservedClaim`]).
//! - [`LoginManager::verify`] / [`authenticate`](LoginManager::authenticate): a token (or a
//!   request: `Authorization` header, cookie with CSRF double-submit, query, JSON body) for one
//!   login type, with a typed error per refusal — a token of another login type is
//!   [`LoginError::LoginTypeMismatch`], found through the `kid` each login type puts in its
//!   headers (or, for AuthX's tokens without one, the `login_type` they claim), never by
//!   trying every key.
//! - [`LoginManager::jwks`]: the asymmetric login types' public keys, so other services verify
//!   their tokens with [`verify_with_jwks`].
//! - With the `axum` feature, `guard::login` guards routes with a login type and a
//!   [policy](crate::authz::policy).
//!
//! Tokens of an HS256 login type and AuthX's are interchangeable given the same secret (tested
//! against the real AuthX 1.7.1). Where idpkit differs from AuthX on purpose: custom data
//! naming a registered claim is refused; the `Authorization` header needs the `Bearer`
//! scheme; a token of another login type is reported as a mismatch whatever its type or
//! expiry; the blocklist is asked after the signature holds, with the `jti`; an HS256 secret
//! needs 32 bytes.
//!
//! ```
//! use idpkit::login::{Issue, LoginError, LoginKey, LoginManager, LoginType, TokenCheck};
//! use jsonwebtoken::Algorithm;
//!
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct Profile { role: String }
//!
//! let manager = LoginManager::builder()
//!     .login_type(LoginType::new("users", LoginKey::hs256(b"users-secret-of-thirty-two-bytes!!")?))
//!     .login_type(LoginType::new("admins", LoginKey::generate(Algorithm::EdDSA)?))
//!     .build()?;
//!
//! let pair = manager.issue_pair(&Issue::access("users", "alice").fresh(true)
//!     .data(&Profile { role: "editor".into() }))?;
//! let claims = manager.verify::<Profile>(pair.access.expose_secret(), &TokenCheck::access("users").fresh())?;
//! assert_eq!(claims.custom.role, "editor");
//!
//! let err = manager.verify::<Profile>(pair.refresh.expose_secret(), &TokenCheck::access("users"));
//! assert!(matches!(err, Err(LoginError::WrongTokenType { .. })));
//! # Ok::<(), LoginError>(())
//! ```

mod claims;
mod config;
mod error;
mod key;
mod locate;
mod manager;
#[cfg(test)]
mod tests;

use std::time::SystemTime;

use jsonwebtoken::Algorithm;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

pub use claims::{Issue, IssuedToken, LoginClaims, TokenKind, TokenPair};
pub use config::{
    Blocklist, DEFAULT_ACCESS_LIFETIME, DEFAULT_REFRESH_LIFETIME, LoginType, MemoryBlocklist,
    TokenLocation,
};
pub use error::LoginError;
pub use key::{LoginKey, MIN_HMAC_SECRET_LEN};
pub use locate::CSRF_HEADER;
pub use manager::{LoginManager, LoginManagerBuilder, TokenCheck};

use crate::oidc::Jwks;
use crate::oidc::id_token::{allowed_algorithm, decode_signed, key_for, parse_header};
use manager::{Expect, check_claims};

/// What [`verify_with_jwks`] requires of a login-type token: its login type and kind, and
/// the issuing service's issuer, audience and algorithms.
///
/// ```
/// use idpkit::login::JwksChecks;
/// let mut checks = JwksChecks::access("admins");
/// checks.issuer = Some("https://admin.example.com".into());
/// assert_eq!(checks.allowed_algorithms.len(), 3);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct JwksChecks {
    /// The login type the token must belong to.
    pub login_type: String,
    /// Access or refresh.
    pub kind: TokenKind,
    /// Whether the access token must be fresh.
    pub fresh: bool,
    /// The issuing login type's `iss`, if it sets one.
    pub issuer: Option<String>,
    /// The issuing login type's `aud`, if it sets one.
    pub audience: Option<String>,
    /// The algorithms accepted (default RS256, ES256, EdDSA; HMAC never).
    pub allowed_algorithms: Vec<Algorithm>,
}

impl JwksChecks {
    /// An access token of `login_type`.
    ///
    /// ```
    /// let checks = idpkit::login::JwksChecks::access("users");
    /// assert!(!checks.fresh);
    /// ```
    pub fn access(login_type: impl Into<String>) -> Self {
        JwksChecks {
            login_type: login_type.into(),
            kind: TokenKind::Access,
            fresh: false,
            issuer: None,
            audience: None,
            allowed_algorithms: vec![Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA],
        }
    }
}

/// Verifies a login-type token with the issuing service's published keys
/// ([`LoginManager::jwks`]), through idpkit's JWT validation: header, allow-listed asymmetric
/// algorithm, key by `kid`, signature, then the same claim checks as
/// [`LoginManager::verify`] (without a blocklist: that stays with the issuer).
///
/// # Errors
///
/// [`LoginError::Malformed`], [`LoginError::AlgorithmNotAllowed`], [`LoginError::UnknownKey`],
/// [`LoginError::InvalidSignature`], then the claim errors of [`LoginManager::verify`].
///
/// ```
/// use idpkit::login::{Issue, JwksChecks, LoginKey, LoginManager, LoginType, verify_with_jwks};
/// use idpkit::oidc::Jwks;
/// let issuer = LoginManager::builder()
///     .login_type(LoginType::new("admins", LoginKey::generate(jsonwebtoken::Algorithm::ES256)?))
///     .build()?;
/// let token = issuer.issue(&Issue::access("admins", "root"))?;
///
/// // Another service, with the JWKS only.
/// let jwks = Jwks::from_json(issuer.jwks().to_string().as_bytes()).unwrap();
/// let claims = verify_with_jwks::<serde_json::Value>(token.expose_secret(), &jwks, &JwksChecks::access("admins"), std::time::SystemTime::now())?;
/// assert_eq!(claims.sub, "root");
/// # Ok::<(), idpkit::login::LoginError>(())
/// ```
pub fn verify_with_jwks<T: DeserializeOwned>(
    token: &str,
    jwks: &Jwks,
    checks: &JwksChecks,
    now: SystemTime,
) -> Result<LoginClaims<T>, LoginError> {
    let header = parse_header(token)?;
    let alg = allowed_algorithm(&header.alg, &checks.allowed_algorithms)?;
    let key = key_for(&header, alg, jwks)?;
    let claims: Map<String, Value> = decode_signed(token, alg, key.decoding_key())?;
    let expect = Expect {
        login_type: &checks.login_type,
        issuer: checks.issuer.as_deref(),
        audience: checks.audience.as_deref(),
        kind: checks.kind,
        fresh: checks.fresh,
    };
    check_claims(&claims, &expect, crate::clock::since_epoch(now))?;
    serde_json::from_value(Value::Object(claims))
        .map_err(|e| LoginError::CustomClaims(crate::http::describe_json_error(&e)))
}

/// Fuzzing entry point: verifies `token` (arbitrary text) for each login type of a fixed
/// manager (HS256, RS256, ES256, EdDSA) as an access and a refresh token, and through
/// [`verify_with_jwks`]. Every answer is a typed error or claims; never a panic. Returns how
/// many verifications succeeded (0 for anything but a token signed with the fixed keys).
#[doc(hidden)]
pub fn fuzz_verify(token: &str) -> usize {
    use std::sync::LazyLock;
    static FIXED: LazyLock<Option<(LoginManager, Jwks)>> = LazyLock::new(|| {
        let hs = LoginKey::hs256([7u8; 32]).ok()?;
        let mut builder = LoginManager::builder().login_type(LoginType::new("hs", hs));
        for (name, alg) in [
            ("rs", Algorithm::RS256),
            ("es", Algorithm::ES256),
            ("ed", Algorithm::EdDSA),
        ] {
            builder = builder.login_type(LoginType::new(name, LoginKey::generate(alg).ok()?));
        }
        let manager = builder.build().ok()?;
        let jwks = Jwks::from_json(manager.jwks().to_string().as_bytes()).ok()?;
        Some((manager, jwks))
    });
    let Some((manager, jwks)) = FIXED.as_ref() else {
        return 0;
    };
    let mut verified = 0;
    for name in ["hs", "rs", "es", "ed", "unknown"] {
        for check in [TokenCheck::access(name), TokenCheck::refresh(name).fresh()] {
            verified += usize::from(manager.verify::<Value>(token, &check).is_ok());
        }
        let checks = JwksChecks::access(name);
        verified += usize::from(
            verify_with_jwks::<Value>(token, jwks, &checks, SystemTime::UNIX_EPOCH).is_ok(),
        );
    }
    verified
}
