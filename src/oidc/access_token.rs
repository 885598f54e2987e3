//! JWT access tokens (RFC 9068), validated locally and purely: the resource server's side of a
//! provider that issues its access tokens as signed JWTs. The same key handling as ID tokens
//! (the provider's [`Jwks`], allow-listed asymmetric algorithms, never `none` or HMAC); the
//! claims are RFC 9068's.

use std::time::{Duration, SystemTime};

use jsonwebtoken::Algorithm;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::TokenValidationError;
use crate::oidc::id_token::{allowed_algorithm, decode_signed, key_for, loggable, parse_header};
use crate::oidc::{DEFAULT_LEEWAY, Jwks};

/// What a JWT access token is checked against (RFC 9068 §4).
///
/// ```
/// use idpkit::oidc::AccessTokenChecks;
/// let checks = AccessTokenChecks::new("https://op.example", "https://api.example");
/// assert_eq!(checks.allowed_algorithms, [jsonwebtoken::Algorithm::RS256]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccessTokenChecks {
    /// The issuer; `iss` must equal it exactly.
    pub issuer: String,
    /// This resource server's identifier; `aud` must contain it.
    pub audience: String,
    /// The signing algorithms accepted (default RS256, RFC 9068's mandatory one); HMAC is
    /// refused even if listed.
    pub allowed_algorithms: Vec<Algorithm>,
    /// Clock skew tolerated on `exp`, `iat` and `nbf` (default 30 s).
    pub leeway: Duration,
}

impl AccessTokenChecks {
    /// Checks for tokens of `issuer` meant for the resource server `audience`.
    ///
    /// ```
    /// let checks = idpkit::oidc::AccessTokenChecks::new("https://op.example", "urn:api");
    /// assert_eq!(checks.audience, "urn:api");
    /// ```
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        AccessTokenChecks {
            issuer: issuer.into(),
            audience: audience.into(),
            allowed_algorithms: vec![Algorithm::RS256],
            leeway: DEFAULT_LEEWAY,
        }
    }
}

/// The claims of a verified JWT access token.
///
/// ```
/// let claims: idpkit::oidc::AccessTokenClaims = serde_json::from_value(serde_json::json!({
///     "iss": "https://op.example", "sub": "usr_1", "aud": "urn:api", "client_id": "app",
///     "exp": 1_700_000_300, "iat": 1_700_000_000, "jti": "j1", "scope": "read write"
/// })).unwrap();
/// assert!(claims.has_scope("write"));
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct AccessTokenClaims {
    /// The issuer.
    pub iss: String,
    /// The subject: the user, or the client for a client-credentials token.
    pub sub: String,
    /// The audiences.
    #[serde(deserialize_with = "crate::oidc::id_token::audience")]
    pub aud: Vec<String>,
    /// The client the token was issued to.
    pub client_id: String,
    /// Expiry, seconds since the epoch.
    #[serde(deserialize_with = "crate::oidc::id_token::numeric_date")]
    pub exp: u64,
    /// Issue time, seconds since the epoch.
    #[serde(deserialize_with = "crate::oidc::id_token::numeric_date")]
    pub iat: u64,
    /// The token's unique id.
    pub jti: String,
    /// The granted scopes, space-separated.
    #[serde(default)]
    pub scope: Option<String>,
    /// Every other claim (`cnf`, `auth_time`, `acr`, custom claims).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl AccessTokenClaims {
    /// Whether `scope` was granted.
    ///
    /// ```
    /// # let claims: idpkit::oidc::AccessTokenClaims = serde_json::from_value(serde_json::json!({
    /// #     "iss": "i", "sub": "s", "aud": "a", "client_id": "c", "exp": 2, "iat": 1, "jti": "j", "scope": "read"
    /// # })).unwrap();
    /// assert!(claims.has_scope("read") && !claims.has_scope("rea"));
    /// ```
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope
            .as_deref()
            .is_some_and(|s| s.split(' ').any(|granted| granted == scope))
    }
}

/// The claims RFC 9068 §2.2 requires, read before they are checked.
#[derive(Deserialize)]
struct WireClaims {
    #[serde(default, deserialize_with = "crate::oidc::id_token::opt_numeric_date")]
    nbf: Option<u64>,
    #[serde(flatten)]
    rest: Map<String, Value>,
}

/// Validates a JWT access token (RFC 9068 §4) and returns its claims.
///
/// In order: the header's `typ` must be `at+jwt` (or `application/at+jwt`), so an ID token or
/// another JWT signed by the same keys is never accepted as an access token; the algorithm must
/// be allowed (never `none` or HMAC); the key comes from `keys` by `kid`; the signature must
/// verify; `iss` must equal the issuer, `aud` contain the audience; `exp` must not have passed,
/// `iat` and `nbf` not be in the future (within the leeway); `sub`, `client_id` and `jti` must be
/// present.
///
/// # Errors
///
/// [`TokenValidationError::WrongTokenType`] for another `typ`; otherwise the same variants as
/// [`verify_id_token`](crate::oidc::verify_id_token) (`UnknownKey` is the cue to refetch the
/// JWKS).
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
/// use base64::Engine;
/// use idpkit::oidc::{verify_access_token, AccessTokenChecks, Jwks};
/// use idpkit::TokenValidationError;
/// use jsonwebtoken::{Algorithm, EncodingKey, Header};
///
/// let pair = Ed25519KeyPair::generate().unwrap();
/// let x = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(pair.public_key().as_ref());
/// let jwks = Jwks::from_json(format!(r#"{{"keys":[{{"kty":"OKP","crv":"Ed25519","kid":"k1","x":"{x}"}}]}}"#).as_bytes()).unwrap();
/// let key = EncodingKey::from_ed_der(pair.to_pkcs8v1().unwrap().as_ref());
/// let claims = serde_json::json!({
///     "iss": "https://op.example", "sub": "usr_1", "aud": "urn:api", "client_id": "app",
///     "iat": 1_700_000_000, "exp": 1_700_000_300, "jti": "j1", "scope": "read"
/// });
/// let mut header = Header::new(Algorithm::EdDSA);
/// header.kid = Some("k1".into());
/// header.typ = Some("at+jwt".into());
/// let token = jsonwebtoken::encode(&header, &claims, &key).unwrap();
///
/// let mut checks = AccessTokenChecks::new("https://op.example", "urn:api");
/// checks.allowed_algorithms = vec![Algorithm::EdDSA];
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_010);
/// assert_eq!(verify_access_token(&token, &jwks, &checks, now).unwrap().sub, "usr_1");
///
/// // The same claims as a plain JWT (an ID token's `typ`): refused.
/// header.typ = Some("JWT".into());
/// let plain = jsonwebtoken::encode(&header, &claims, &key).unwrap();
/// assert!(matches!(
///     verify_access_token(&plain, &jwks, &checks, now),
///     Err(TokenValidationError::WrongTokenType(_))
/// ));
/// ```
pub fn verify_access_token(
    token: &str,
    keys: &Jwks,
    checks: &AccessTokenChecks,
    now: SystemTime,
) -> Result<AccessTokenClaims, TokenValidationError> {
    use TokenValidationError as E;

    let header = parse_header(token)?;
    let typ = header.typ.as_deref().unwrap_or("");
    if !typ.eq_ignore_ascii_case("at+jwt") && !typ.eq_ignore_ascii_case("application/at+jwt") {
        return Err(E::WrongTokenType(loggable(typ, 32)));
    }
    let alg = allowed_algorithm(&header.alg, &checks.allowed_algorithms)?;
    let key = key_for(&header, alg, keys)?;
    let wire: WireClaims = decode_signed(token, alg, key.decoding_key())?;

    for claim in ["iss", "sub", "aud", "client_id", "exp", "iat", "jti"] {
        if !wire.rest.contains_key(claim) {
            return Err(E::MissingClaim(claim));
        }
    }
    let claims: AccessTokenClaims = serde_json::from_value(Value::Object(wire.rest))
        .map_err(|e| E::Malformed(format!("claims: {}", crate::http::describe_json_error(&e))))?;
    if claims.iss != checks.issuer {
        return Err(E::IssuerMismatch {
            actual: loggable(&claims.iss, 256),
        });
    }
    if !claims.aud.iter().any(|a| a == &checks.audience) {
        return Err(E::AudienceMismatch);
    }
    let now = crate::clock::since_epoch(now);
    let leeway = checks.leeway;
    if now > Duration::from_secs(claims.exp).saturating_add(leeway) {
        return Err(E::Expired);
    }
    let future = |t: u64| Duration::from_secs(t) > now + leeway;
    if future(claims.iat) || wire.nbf.is_some_and(future) {
        return Err(E::IssuedInFuture);
    }
    Ok(claims)
}
