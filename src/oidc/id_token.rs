//! ID token validation (OpenID Connect Core 1.0 §3.1.3.7), strict and pure: no I/O, no clock
//! reads; the caller passes the provider's keys ([`Jwks`]) and the time.
//!
//! The signature is always verified, with an allow-listed asymmetric algorithm and a key from the
//! provider's JWKS; then every claim check is idpkit's own, each failing with its own
//! [`TokenValidationError`] variant.

use std::time::{Duration, SystemTime};

use aws_lc_rs::digest;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind as JwtErrorKind;
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, Validation};
use serde::de::{DeserializeOwned, Deserializer, Error as _, IgnoredAny};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;

use crate::error::TokenValidationError;
use crate::http::describe_json_error;
use crate::oidc::Jwks;
use crate::secret::ClientSecret;

/// The default clock leeway for `exp`, `iat`, `nbf` and `auth_time`: 30 seconds.
///
/// ```
/// assert_eq!(idpkit::oidc::DEFAULT_LEEWAY.as_secs(), 30);
/// ```
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(30);

/// What an ID token is checked against.
///
/// [`new`](Self::new) gives safe defaults: RS256 only (the OpenID Connect default), 30 seconds
/// of leeway, no `max_age`. Widen the algorithms from the provider's metadata with
/// [`algorithms_from_metadata`](Self::algorithms_from_metadata).
///
/// ```
/// use idpkit::oidc::IdTokenChecks;
/// let mut checks = IdTokenChecks::new("https://op.example", "my-app");
/// assert_eq!(checks.allowed_algorithms, [jsonwebtoken::Algorithm::RS256]);
/// checks.max_age = Some(std::time::Duration::from_secs(3600));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IdTokenChecks {
    /// The issuer; `iss` must equal it exactly.
    pub issuer: String,
    /// This client's id; `aud` must contain it and `azp`, if present, must be it.
    pub client_id: String,
    /// The signing algorithms accepted. An HMAC algorithm (`HS256`, `HS384`, `HS512`) listed
    /// here is accepted only with [`client_secret`](Self::client_secret), and is then verified
    /// with that secret alone, never with a key of the provider's (public) JWKS.
    pub allowed_algorithms: Vec<Algorithm>,
    /// The client secret, the key of HMAC-signed ID tokens (OIDC Core §10.1), for a client
    /// registered with an `HS*` `id_token_signed_response_alg`. `None` (the default): HMAC ID
    /// tokens are refused.
    pub client_secret: Option<ClientSecret>,
    /// Clock skew tolerated on `exp`, `iat`, `nbf` and `auth_time`.
    pub leeway: Duration,
    /// The `max_age` sent in the authorization request, if any: `auth_time` is then required
    /// and must be at most this long ago.
    pub max_age: Option<Duration>,
    /// Accept unsigned (`alg: none`) ID tokens. Only the clients set it, for an ID token they
    /// received straight from the token endpoint (the code flow) when built with
    /// `danger_accept_unsigned_id_tokens`; never settable from outside the crate.
    pub(crate) accept_unsigned: bool,
}

impl IdTokenChecks {
    /// Checks for tokens from `issuer` to `client_id`, with the defaults.
    ///
    /// ```
    /// let checks = idpkit::oidc::IdTokenChecks::new("https://op.example", "my-app");
    /// assert_eq!(checks.leeway, idpkit::oidc::DEFAULT_LEEWAY);
    /// assert_eq!(checks.max_age, None);
    /// ```
    pub fn new(issuer: impl Into<String>, client_id: impl Into<String>) -> Self {
        IdTokenChecks {
            issuer: issuer.into(),
            client_id: client_id.into(),
            allowed_algorithms: vec![Algorithm::RS256],
            leeway: DEFAULT_LEEWAY,
            max_age: None,
            client_secret: None,
            accept_unsigned: false,
        }
    }

    /// The algorithms to allow given the provider's `id_token_signing_alg_values_supported`:
    /// the asymmetric ones idpkit supports, in order, without duplicates. `none`, every `HS*`
    /// and unknown names are dropped; if nothing is left, `[RS256]` (the default of OpenID
    /// Connect Discovery 1.0 §3).
    ///
    /// ```
    /// use idpkit::oidc::IdTokenChecks;
    /// use jsonwebtoken::Algorithm;
    /// let names = ["none", "HS256", "ES256", "RS256", "ES512"].map(String::from);
    /// assert_eq!(IdTokenChecks::algorithms_from_metadata(&names), [Algorithm::ES256, Algorithm::RS256]);
    /// assert_eq!(IdTokenChecks::algorithms_from_metadata(&[]), [Algorithm::RS256]);
    /// ```
    pub fn algorithms_from_metadata(values: &[String]) -> Vec<Algorithm> {
        let mut algorithms = Vec::new();
        for alg in values.iter().filter_map(|v| v.parse::<Algorithm>().ok()) {
            if alg.family() != AlgorithmFamily::Hmac && !algorithms.contains(&alg) {
                algorithms.push(alg);
            }
        }
        if algorithms.is_empty() {
            algorithms.push(Algorithm::RS256);
        }
        algorithms
    }
}

/// The claims of a verified ID token: the standard ones typed, every other claim (`name`,
/// `organizations`, …) kept in [`extra`](Self::extra).
///
/// ```
/// let claims: idpkit::oidc::IdTokenClaims = serde_json::from_str(r#"{
///     "iss": "https://op.example", "sub": "u1", "aud": "my-app", "exp": 2, "iat": 1,
///     "name": "Ada"
/// }"#).unwrap();
/// assert_eq!(claims.aud, ["my-app"]);
/// assert_eq!(claims.extra["name"], "Ada");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IdTokenClaims {
    /// Issuer.
    pub iss: String,
    /// Subject: the end-user's identifier at the issuer.
    pub sub: String,
    /// Audiences (a single string in the token becomes a one-element list).
    #[serde(deserialize_with = "audience")]
    pub aud: Vec<String>,
    /// Expiry, seconds since the Unix epoch.
    #[serde(deserialize_with = "numeric_date")]
    pub exp: u64,
    /// Issue time, seconds since the Unix epoch.
    #[serde(deserialize_with = "numeric_date")]
    pub iat: u64,
    /// The nonce of the authorization request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// Authorized party: the client the token was issued to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azp: Option<String>,
    /// Access token hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_hash: Option<String>,
    /// When the end-user authenticated, seconds since the Unix epoch.
    #[serde(
        default,
        deserialize_with = "opt_numeric_date",
        skip_serializing_if = "Option::is_none"
    )]
    pub auth_time: Option<u64>,
    /// The end-user's e-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Whether the provider verified the e-mail address (`"true"`/`"false"` strings are read
    /// as booleans, as some providers send them).
    #[serde(
        default,
        deserialize_with = "opt_lenient_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub email_verified: Option<bool>,
    /// Every other claim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl IdTokenClaims {
    /// All claims, standard and extra, as one JSON object (`aud` always as an array).
    ///
    /// ```
    /// # let claims: idpkit::oidc::IdTokenClaims = serde_json::from_str(r#"{"iss":"https://op.example","sub":"u1","aud":"my-app","exp":2,"iat":1,"name":"Ada"}"#).unwrap();
    /// let all = claims.all_claims();
    /// assert_eq!(all["sub"], "u1");
    /// assert_eq!(all["name"], "Ada");
    /// assert!(!all.contains_key("nonce"));
    /// ```
    pub fn all_claims(&self) -> Map<String, Value> {
        // Cannot fail: every key is a string, every value plain JSON.
        match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        }
    }

    /// All claims as a JSON value (an object); see [`all_claims`](Self::all_claims).
    ///
    /// ```
    /// # let claims: idpkit::oidc::IdTokenClaims = serde_json::from_str(r#"{"iss":"https://op.example","sub":"u1","aud":["a","b"],"azp":"a","exp":2,"iat":1}"#).unwrap();
    /// assert_eq!(claims.to_value()["aud"], serde_json::json!(["a", "b"]));
    /// ```
    pub fn to_value(&self) -> Value {
        Value::Object(self.all_claims())
    }
}

/// The claims as read from the token, before the checks: the standard ones optional, so a
/// missing one is reported as [`TokenValidationError::MissingClaim`], not as malformed JSON.
#[derive(Deserialize)]
struct WireClaims {
    iss: Option<String>,
    sub: Option<String>,
    #[serde(default, deserialize_with = "opt_audience")]
    aud: Option<Vec<String>>,
    #[serde(default, deserialize_with = "opt_numeric_date")]
    exp: Option<u64>,
    #[serde(default, deserialize_with = "opt_numeric_date")]
    iat: Option<u64>,
    nonce: Option<String>,
    azp: Option<String>,
    at_hash: Option<String>,
    #[serde(default, deserialize_with = "opt_numeric_date")]
    auth_time: Option<u64>,
    email: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_bool")]
    email_verified: Option<bool>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

pub(crate) fn audience<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(aud) => vec![aud],
        OneOrMany::Many(auds) => auds,
    })
}

pub(crate) fn opt_audience<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Vec<String>>, D::Error> {
    Ok(match Option::<OneOrMany>::deserialize(d)? {
        None => None,
        Some(OneOrMany::One(aud)) => Some(vec![aud]),
        Some(OneOrMany::Many(auds)) => Some(auds),
    })
}

/// A NumericDate (RFC 7519 §2): a non-negative JSON number, fractions dropped.
fn to_seconds(n: &serde_json::Number) -> Option<u64> {
    n.as_u64().or_else(|| {
        n.as_f64()
            .filter(|f| f.is_finite() && *f >= 0.0 && *f < u64::MAX as f64)
            .map(|f| f as u64)
    })
}

const NUMERIC_DATE: &str = "a NumericDate must be a non-negative number";

pub(crate) fn numeric_date<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    to_seconds(&serde_json::Number::deserialize(d)?).ok_or_else(|| D::Error::custom(NUMERIC_DATE))
}

pub(crate) fn opt_numeric_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match Option::<serde_json::Number>::deserialize(d)? {
        None => Ok(None),
        Some(n) => to_seconds(&n)
            .map(Some)
            .ok_or_else(|| D::Error::custom(NUMERIC_DATE)),
    }
}

fn opt_lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum BoolOrString {
        Bool(bool),
        String(String),
    }
    match Option::<BoolOrString>::deserialize(d)? {
        None => Ok(None),
        Some(BoolOrString::Bool(b)) => Ok(Some(b)),
        Some(BoolOrString::String(s)) if s == "true" => Ok(Some(true)),
        Some(BoolOrString::String(s)) if s == "false" => Ok(Some(false)),
        Some(BoolOrString::String(_)) => Err(D::Error::custom("expected a boolean")),
    }
}

/// The JOSE header members idpkit reads before choosing a key.
#[derive(Deserialize)]
pub(crate) struct RawHeader {
    pub(crate) alg: String,
    pub(crate) kid: Option<String>,
    pub(crate) typ: Option<String>,
    crit: Option<IgnoredAny>,
}

pub(crate) fn malformed(problem: &str) -> TokenValidationError {
    TokenValidationError::Malformed(problem.to_owned())
}

/// A token-supplied string fit for an error message: short printable ASCII is kept, anything
/// else is replaced by a placeholder, so errors cannot carry large or control-character payloads.
pub(crate) fn loggable(value: &str, max_len: usize) -> String {
    if value.len() <= max_len && value.bytes().all(|b| b.is_ascii_graphic()) {
        value.to_owned()
    } else {
        format!("[{} bytes, not shown]", value.len())
    }
}

pub(crate) fn parse_header(token: &str) -> Result<RawHeader, TokenValidationError> {
    let mut segments = token.split('.');
    let (Some(header), Some(_), Some(_), None) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) else {
        return Err(malformed(
            "expected three dot-separated segments (a signed JWT)",
        ));
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| malformed("the header is not base64url"))?;
    let header: RawHeader = serde_json::from_slice(&bytes).map_err(|e| {
        TokenValidationError::Malformed(format!("header: {}", describe_json_error(&e)))
    })?;
    if header.crit.is_some() {
        return Err(malformed(
            "the header has critical extensions (`crit`), which are not supported",
        ));
    }
    Ok(header)
}

/// The token's algorithm, if it is one of `allowed` and not HMAC (the provider's keys are
/// public).
pub(crate) fn allowed_algorithm(
    name: &str,
    allowed: &[Algorithm],
) -> Result<Algorithm, TokenValidationError> {
    match name.parse::<Algorithm>() {
        Ok(alg) if alg.family() != AlgorithmFamily::Hmac && allowed.contains(&alg) => Ok(alg),
        _ => Err(TokenValidationError::AlgorithmNotAllowed(loggable(
            name, 16,
        ))),
    }
}

/// The key for `header` in `keys`, or why there is none: `UnknownKey` (the cue to refetch the
/// JWKS) or `AlgorithmNotAllowed` (the key with that `kid` is of another type or pinned to
/// another algorithm).
pub(crate) fn key_for<'k>(
    header: &RawHeader,
    alg: Algorithm,
    keys: &'k Jwks,
) -> Result<&'k crate::oidc::JwksKey, TokenValidationError> {
    let kid = header.kid.as_deref();
    keys.find(kid, alg).ok_or_else(|| match kid {
        Some(kid) if keys.has_kid(kid) => {
            TokenValidationError::AlgorithmNotAllowed(loggable(&header.alg, 16))
        }
        _ => TokenValidationError::UnknownKey(kid.map(|k| loggable(k, 128))),
    })
}

/// Verifies the signature of `token` with `key` and decodes its claims as `T`; no claim is
/// checked here.
pub(crate) fn decode_signed<T: DeserializeOwned>(
    token: &str,
    alg: Algorithm,
    key: &DecodingKey,
) -> Result<T, TokenValidationError> {
    let mut validation = Validation::new(alg);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.leeway = 0;
    jsonwebtoken::decode(token, key, &validation)
        .map(|data| data.claims)
        .map_err(|e| from_jwt_error(&e))
}

fn from_jwt_error(e: &jsonwebtoken::errors::Error) -> TokenValidationError {
    match e.kind() {
        JwtErrorKind::InvalidSignature => TokenValidationError::InvalidSignature,
        JwtErrorKind::Base64(_) => malformed("a segment is not base64url"),
        JwtErrorKind::Utf8(_) => malformed("the claims are not UTF-8"),
        JwtErrorKind::Json(e) => {
            TokenValidationError::Malformed(format!("claims: {}", describe_json_error(e)))
        }
        _ => malformed("the token could not be decoded"),
    }
}

/// Validates an ID token (OpenID Connect Core 1.0 §3.1.3.7) and returns its claims.
///
/// In order:
///
/// 1. the header must parse and name an algorithm in
///    [`allowed_algorithms`](IdTokenChecks::allowed_algorithms) — never `none` here (only a
///    client built with `danger_accept_unsigned_id_tokens` accepts it, for the code flow), and
///    HMAC only with [`client_secret`](IdTokenChecks::client_secret);
/// 2. the key is looked up in `keys` by `kid` and algorithm ([`Jwks::find`]); an HMAC token
///    is verified with the client secret instead, never with a key of `keys`;
/// 3. the signature must verify;
/// 4. `iss` must equal the issuer exactly, and `sub` be present;
/// 5. `aud` must contain the client id; with several audiences `azp` is required, and `azp`,
///    when present, must be the client id;
/// 6. `exp` must not have passed, `iat` (and `nbf`, if present) must not be in the future,
///    each within the leeway;
/// 7. with `expected_nonce`, `nonce` must be present and equal (compared in constant time);
///    without (a refresh), it is not checked;
/// 8. with [`max_age`](IdTokenChecks::max_age), `auth_time` must be present and recent enough;
/// 9. when the token has `at_hash` and `access_token` is given, `at_hash` must be the left half
///    of the access token's hash with the algorithm's hash function (SHA-512 for EdDSA),
///    base64url-encoded.
///
/// # Errors
///
/// One [`TokenValidationError`] variant per failed check: `Malformed`,
/// `AlgorithmNotAllowed` (also when the key with the token's `kid` is of another type),
/// `UnknownKey` (the cue to refetch the JWKS, see
/// [`JwksCache`](crate::oidc::JwksCache)), `InvalidSignature`, `MissingClaim`,
/// `IssuerMismatch`, `AudienceMismatch`, `AuthorizedPartyMismatch`, `Expired`,
/// `IssuedInFuture` (`iat` or `nbf`), `NonceMismatch`, `AuthTooOld`, `AccessTokenHashMismatch`.
/// No error carries the token's claims or signature; the few token values that appear (`alg`,
/// `kid`, `iss`) are cut to short printable ASCII.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
/// use base64::Engine;
/// use idpkit::oidc::{verify_id_token, IdTokenChecks};
/// use idpkit::{oidc::Jwks, TokenValidationError};
/// use jsonwebtoken::{Algorithm, EncodingKey, Header};
///
/// // The provider: an Ed25519 key, published in its JWKS, signs an ID token.
/// let pair = Ed25519KeyPair::generate().unwrap();
/// let x = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(pair.public_key().as_ref());
/// let jwks = format!(r#"{{"keys":[{{"kty":"OKP","crv":"Ed25519","kid":"k1","x":"{x}"}}]}}"#);
/// let mut header = Header::new(Algorithm::EdDSA);
/// header.kid = Some("k1".into());
/// let claims = serde_json::json!({
///     "iss": "https://op.example", "sub": "user-1", "aud": "my-app",
///     "iat": 1_700_000_000, "exp": 1_700_000_300, "nonce": "n-0S6"
/// });
/// let key = EncodingKey::from_ed_der(pair.to_pkcs8v1().unwrap().as_ref());
/// let token = jsonwebtoken::encode(&header, &claims, &key).unwrap();
///
/// // The relying party.
/// let jwks = Jwks::from_json(jwks.as_bytes()).unwrap();
/// let mut checks = IdTokenChecks::new("https://op.example", "my-app");
/// checks.allowed_algorithms = vec![Algorithm::EdDSA];
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_010);
/// let verified = verify_id_token(&token, &jwks, &checks, Some("n-0S6"), None, now).unwrap();
/// assert_eq!(verified.sub, "user-1");
///
/// let err = verify_id_token(&token, &jwks, &checks, Some("other"), None, now).unwrap_err();
/// assert_eq!(err, TokenValidationError::NonceMismatch);
/// ```
pub fn verify_id_token(
    token: &str,
    keys: &Jwks,
    checks: &IdTokenChecks,
    expected_nonce: Option<&str>,
    access_token: Option<&str>,
    now: SystemTime,
) -> Result<IdTokenClaims, TokenValidationError> {
    let header = parse_header(token)?;
    // Signature only: every claim check below is idpkit's own.
    let (claims, alg): (WireClaims, _) = verify_signature(token, &header, keys, checks)?;
    check_claims(claims, alg, checks, expected_nonce, access_token, now)
}

/// Verifies the signature of a JWT from the provider (an ID token, a signed userinfo response)
/// as `checks` allow, and decodes its claims as `T`. Returns the algorithm, `None` for an
/// unsigned token (accepted only when the client opted in: `accept_unsigned`).
///
/// An asymmetric algorithm must be in the allow-list and is verified with the provider's key
/// for the header's `kid`; an HMAC one must be in the allow-list too and is verified with
/// [`IdTokenChecks::client_secret`] only (never with a key of the JWKS, so a public key can
/// never serve as an HMAC secret).
pub(crate) fn verify_signature<T: DeserializeOwned>(
    token: &str,
    header: &RawHeader,
    keys: &Jwks,
    checks: &IdTokenChecks,
) -> Result<(T, Option<Algorithm>), TokenValidationError> {
    if header.alg == "none" {
        if !checks.accept_unsigned {
            return Err(TokenValidationError::AlgorithmNotAllowed("none".into()));
        }
        return decode_unsigned(token).map(|claims| (claims, None));
    }
    let not_allowed = || TokenValidationError::AlgorithmNotAllowed(loggable(&header.alg, 16));
    let alg = header
        .alg
        .parse::<Algorithm>()
        .ok()
        .filter(|alg| checks.allowed_algorithms.contains(alg))
        .ok_or_else(not_allowed)?;
    if alg.family() == AlgorithmFamily::Hmac {
        let secret = checks.client_secret.as_ref().ok_or_else(not_allowed)?;
        let key = DecodingKey::from_secret(secret.expose_secret().as_bytes());
        return decode_signed(token, alg, &key).map(|claims| (claims, Some(alg)));
    }
    let key = key_for(header, alg, keys)?;
    decode_signed(token, alg, key.decoding_key()).map(|claims| (claims, Some(alg)))
}

/// The claims of an unsigned JWS (RFC 7515 Appendix A.5: `alg` `none`, empty signature).
fn decode_unsigned<T: DeserializeOwned>(token: &str) -> Result<T, TokenValidationError> {
    let mut segments = token.split('.');
    let (Some(_), Some(payload), Some(""), None) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) else {
        return Err(malformed("an unsigned JWT must have an empty signature"));
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| malformed("the claims are not base64url"))?;
    serde_json::from_slice(&bytes).map_err(|e| {
        TokenValidationError::Malformed(format!("claims: {}", describe_json_error(&e)))
    })
}

fn check_claims(
    c: WireClaims,
    alg: Option<Algorithm>,
    checks: &IdTokenChecks,
    expected_nonce: Option<&str>,
    access_token: Option<&str>,
    now: SystemTime,
) -> Result<IdTokenClaims, TokenValidationError> {
    use TokenValidationError as E;

    let now = crate::clock::since_epoch(now);
    let leeway = checks.leeway;
    let at = Duration::from_secs;

    let iss = c.iss.ok_or(E::MissingClaim("iss"))?;
    if iss != checks.issuer {
        return Err(E::IssuerMismatch {
            actual: loggable(&iss, 256),
        });
    }
    let sub = c.sub.ok_or(E::MissingClaim("sub"))?;

    let aud = c.aud.ok_or(E::MissingClaim("aud"))?;
    if !aud.contains(&checks.client_id) {
        return Err(E::AudienceMismatch);
    }
    match &c.azp {
        Some(azp) if *azp != checks.client_id => return Err(E::AuthorizedPartyMismatch),
        None if aud.len() > 1 => return Err(E::AuthorizedPartyMismatch),
        _ => {}
    }

    let exp = c.exp.ok_or(E::MissingClaim("exp"))?;
    if now > at(exp).saturating_add(leeway) {
        return Err(E::Expired);
    }
    let iat = c.iat.ok_or(E::MissingClaim("iat"))?;
    let latest = now.saturating_add(leeway);
    if at(iat) > latest {
        return Err(E::IssuedInFuture);
    }
    if let Some(nbf) = c.extra.get("nbf") {
        let nbf = match nbf {
            Value::Number(n) => to_seconds(n),
            _ => None,
        }
        .ok_or_else(|| malformed("`nbf` is not a NumericDate"))?;
        if at(nbf) > latest {
            return Err(E::IssuedInFuture);
        }
    }

    if let Some(expected) = expected_nonce {
        let matches = c
            .nonce
            .as_deref()
            .is_some_and(|n| bool::from(n.as_bytes().ct_eq(expected.as_bytes())));
        if !matches {
            return Err(E::NonceMismatch);
        }
    }

    if let Some(max_age) = checks.max_age {
        let auth_time = c.auth_time.ok_or(E::MissingClaim("auth_time"))?;
        if now > at(auth_time).saturating_add(max_age).saturating_add(leeway) {
            return Err(E::AuthTooOld);
        }
    }

    // An unsigned token has no hash function to check `at_hash` with.
    if let (Some(claimed), Some(access_token), Some(alg)) =
        (c.at_hash.as_deref(), access_token, alg)
    {
        let expected = access_token_hash(alg, access_token);
        if !bool::from(claimed.as_bytes().ct_eq(expected.as_bytes())) {
            return Err(E::AccessTokenHashMismatch);
        }
    }

    Ok(IdTokenClaims {
        iss,
        sub,
        aud,
        exp,
        iat,
        nonce: c.nonce,
        azp: c.azp,
        at_hash: c.at_hash,
        auth_time: c.auth_time,
        email: c.email,
        email_verified: c.email_verified,
        extra: c.extra,
    })
}

/// `at_hash` / `c_hash` (OIDC Core §3.1.3.6): the left-most half of the hash of the ASCII value,
/// with the hash function of the JWS algorithm, base64url without padding.
fn access_token_hash(alg: Algorithm, value: &str) -> String {
    let hash = match alg {
        Algorithm::RS256 | Algorithm::PS256 | Algorithm::ES256 | Algorithm::HS256 => {
            &digest::SHA256
        }
        Algorithm::RS384 | Algorithm::PS384 | Algorithm::ES384 | Algorithm::HS384 => {
            &digest::SHA384
        }
        // *512, and EdDSA: Ed25519 hashes with SHA-512.
        _ => &digest::SHA512,
    };
    let digest = digest::digest(hash, value.as_bytes());
    let bytes = digest.as_ref();
    URL_SAFE_NO_PAD.encode(&bytes[..bytes.len() / 2])
}

#[cfg(test)]
mod tests;
