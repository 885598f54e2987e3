//! The provider's signing keys: a JSON Web Key Set (RFC 7517) parsed once into ready-to-use
//! verification keys, the pure request/response pair that fetches it, and the refetch policy.
//!
//! - [`Jwks`] keeps the usable signature keys of a set (RSA, EC P-256 / P-384, Ed25519), each
//!   with its [`DecodingKey`] built at parse time, so verifying a token does no key parsing.
//!   Keys it cannot use are skipped, never an error: symmetric (`oct`) keys, encryption keys
//!   (`use: enc`), unknown key types or curves, keys with bad parameters.
//! - [`build_jwks_request`] and [`parse_jwks_response`] are the two halves of fetching
//!   `jwks_uri`.
//! - [`JwksCache`] holds the current set and enforces a floor between refetches.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::HeaderValue;
use http::header::ACCEPT;
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey};
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::http::{self as h, HttpRequest, HttpResponse, RequestLimits};

const JWKS: &str = "a JSON Web Key Set (JSON object with a `keys` array)";

/// What a key can verify; finer than [`AlgorithmFamily`] because an EC key is bound to its curve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyKind {
    Rsa,
    P256,
    P384,
    Ed25519,
}

impl KeyKind {
    fn family(self) -> AlgorithmFamily {
        match self {
            KeyKind::Rsa => AlgorithmFamily::Rsa,
            KeyKind::P256 | KeyKind::P384 => AlgorithmFamily::Ec,
            KeyKind::Ed25519 => AlgorithmFamily::Ed,
        }
    }

    fn supports(self, alg: Algorithm) -> bool {
        match self {
            KeyKind::Rsa => alg.family() == AlgorithmFamily::Rsa,
            KeyKind::P256 => alg == Algorithm::ES256,
            KeyKind::P384 => alg == Algorithm::ES384,
            KeyKind::Ed25519 => alg == Algorithm::EdDSA,
        }
    }
}

/// One usable signature key of a [`Jwks`].
///
/// ```
/// let jwks = idpkit::oidc::Jwks::from_json(br#"{"keys":[{"kty":"OKP","crv":"Ed25519",
///     "kid":"k1","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#).unwrap();
/// let key = jwks.find(Some("k1"), jsonwebtoken::Algorithm::EdDSA).unwrap();
/// assert_eq!(key.kid(), Some("k1"));
/// assert_eq!(key.family(), jsonwebtoken::AlgorithmFamily::Ed);
/// assert_eq!(key.alg(), None);
/// ```
#[derive(Debug, Clone)]
pub struct JwksKey {
    kid: Option<String>,
    kind: KeyKind,
    alg: Option<Algorithm>,
    key: DecodingKey,
}

impl JwksKey {
    /// The key's `kid`, if it has one.
    ///
    /// ```
    /// # let jwks = idpkit::oidc::Jwks::from_json(br#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#).unwrap();
    /// let key = jwks.find(None, jsonwebtoken::Algorithm::EdDSA).unwrap();
    /// assert_eq!(key.kid(), None);
    /// ```
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The algorithm family of the key (`kty`): RSA, EC or Ed (OKP).
    ///
    /// ```
    /// # let jwks = idpkit::oidc::Jwks::from_json(br#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#).unwrap();
    /// let key = jwks.keys().next().unwrap();
    /// assert_eq!(key.family(), jsonwebtoken::AlgorithmFamily::Ed);
    /// ```
    pub fn family(&self) -> AlgorithmFamily {
        self.kind.family()
    }

    /// The key's `alg`, if the set names one: the key is then used for that algorithm only.
    ///
    /// ```
    /// # let jwks = idpkit::oidc::Jwks::from_json(br#"{"keys":[{"kty":"OKP","crv":"Ed25519","alg":"EdDSA","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#).unwrap();
    /// let key = jwks.keys().next().unwrap();
    /// assert_eq!(key.alg(), Some(jsonwebtoken::Algorithm::EdDSA));
    /// ```
    pub fn alg(&self) -> Option<Algorithm> {
        self.alg
    }

    /// Whether this key may verify a signature made with `alg`: the key type (and for EC the
    /// curve) fits the algorithm, and the key's own `alg`, if set, is `alg`.
    ///
    /// ```
    /// use jsonwebtoken::Algorithm;
    /// # let jwks = idpkit::oidc::Jwks::from_json(br#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#).unwrap();
    /// let key = jwks.keys().next().unwrap();
    /// assert!(key.supports(Algorithm::EdDSA));
    /// assert!(!key.supports(Algorithm::RS256));
    /// ```
    pub fn supports(&self, alg: Algorithm) -> bool {
        self.kind.supports(alg) && self.alg.is_none_or(|a| a == alg)
    }

    /// The verification key, built once when the set was parsed.
    ///
    /// ```
    /// # let jwks = idpkit::oidc::Jwks::from_json(br#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#).unwrap();
    /// let key = jwks.keys().next().unwrap();
    /// assert_eq!(key.decoding_key().family(), jsonwebtoken::AlgorithmFamily::Ed);
    /// ```
    pub fn decoding_key(&self) -> &DecodingKey {
        &self.key
    }
}

/// A provider's signature keys, parsed from a JWK Set.
///
/// Only public signature keys idpkit can verify with are kept: RSA (RS256/384/512,
/// PS256/384/512; 2048 to 8192 bits), EC on P-256 (ES256) and P-384 (ES384), OKP Ed25519
/// (EdDSA). A key is skipped when its `use` is other than `sig`, its `key_ops` lack `verify`, its
/// `alg` is unknown or does not fit its type, or its parameters are missing or invalid; a
/// symmetric (`oct`) key is always skipped, so an HMAC token can never verify against a
/// provider's set.
///
/// ```
/// use idpkit::oidc::Jwks;
/// let jwks = Jwks::from_json(br#"{"keys":[
///     {"kty":"OKP","crv":"Ed25519","kid":"sig-1","use":"sig","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
///     {"kty":"oct","kid":"shared","k":"c2VjcmV0"}
/// ]}"#).unwrap();
/// assert_eq!(jwks.len(), 1);
/// assert_eq!(jwks.kids().collect::<Vec<_>>(), ["sig-1"]);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Jwks {
    keys: Vec<JwksKey>,
}

/// One member of `keys`, as far as idpkit reads it. A key whose members have the wrong JSON type
/// fails this and is skipped.
#[derive(Deserialize)]
struct WireKey {
    kty: String,
    kid: Option<String>,
    #[serde(rename = "use")]
    key_use: Option<String>,
    key_ops: Option<Vec<String>>,
    alg: Option<String>,
    n: Option<String>,
    e: Option<String>,
    crv: Option<String>,
    x: Option<String>,
    y: Option<String>,
}

#[derive(Deserialize)]
struct WireSet {
    keys: Vec<serde_json::Value>,
}

impl Jwks {
    /// Parses a JWK Set (RFC 7517 §5).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::MalformedResponse`](crate::ErrorKind::MalformedResponse) when the document is
    /// not a JSON object with a `keys` array. Unusable keys are skipped, not errors; a set with no
    /// usable key parses to an empty [`Jwks`].
    ///
    /// ```
    /// use idpkit::oidc::Jwks;
    /// assert!(Jwks::from_json(br#"{"keys":[]}"#).unwrap().is_empty());
    /// assert!(Jwks::from_json(br#"[]"#).is_err());
    /// assert!(Jwks::from_json(br#"{"keys":{}}"#).is_err());
    /// ```
    pub fn from_json(bytes: &[u8]) -> Result<Jwks> {
        let set: WireSet = serde_json::from_slice(bytes)
            .map_err(|e| Error::malformed(JWKS, h::describe_json_error(&e)))?;
        Ok(Jwks::from_wire(set))
    }

    fn from_wire(set: WireSet) -> Jwks {
        let keys = set
            .keys
            .into_iter()
            .filter_map(|v| serde_json::from_value::<WireKey>(v).ok())
            .filter_map(usable_key)
            .collect();
        Jwks { keys }
    }

    /// The number of usable keys.
    ///
    /// ```
    /// assert_eq!(idpkit::oidc::Jwks::default().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no key is usable.
    ///
    /// ```
    /// assert!(idpkit::oidc::Jwks::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The `kid`s of the usable keys (keys without one are not listed).
    ///
    /// ```
    /// let jwks = idpkit::oidc::Jwks::from_json(br#"{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"a","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#).unwrap();
    /// assert_eq!(jwks.kids().collect::<Vec<_>>(), ["a"]);
    /// ```
    pub fn kids(&self) -> impl Iterator<Item = &str> + '_ {
        self.keys.iter().filter_map(JwksKey::kid)
    }

    /// The usable keys, in the order of the set.
    ///
    /// ```
    /// assert_eq!(idpkit::oidc::Jwks::default().keys().count(), 0);
    /// ```
    pub fn keys(&self) -> impl Iterator<Item = &JwksKey> + '_ {
        self.keys.iter()
    }

    /// The key to verify a token signed with `alg` whose header has this `kid`.
    ///
    /// With a `kid`: the first key with that `kid` that [supports](JwksKey::supports) `alg`.
    /// Without one: the only key that supports `alg`, if there is exactly one (with several,
    /// guessing would be unsafe and slow, so `None`).
    ///
    /// ```
    /// use jsonwebtoken::Algorithm;
    /// let jwks = idpkit::oidc::Jwks::from_json(br#"{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"a","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#).unwrap();
    /// assert!(jwks.find(Some("a"), Algorithm::EdDSA).is_some());
    /// assert!(jwks.find(None, Algorithm::EdDSA).is_some());
    /// assert!(jwks.find(Some("b"), Algorithm::EdDSA).is_none());
    /// assert!(jwks.find(Some("a"), Algorithm::RS256).is_none());
    /// ```
    pub fn find(&self, kid: Option<&str>, alg: Algorithm) -> Option<&JwksKey> {
        match kid {
            Some(kid) => self
                .keys
                .iter()
                .find(|k| k.kid() == Some(kid) && k.supports(alg)),
            None => {
                let mut candidates = self.keys.iter().filter(|k| k.supports(alg));
                match (candidates.next(), candidates.next()) {
                    (Some(only), None) => Some(only),
                    _ => None,
                }
            }
        }
    }

    /// Whether some usable key has this `kid`, whatever its type.
    pub(crate) fn has_kid(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.kid() == Some(kid))
    }
}

/// Base64url without padding, tolerating trailing `=` (some providers pad).
fn b64(value: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(value.trim_end_matches('=')).ok()
}

/// The key idpkit can verify with, or `None` to skip it.
fn usable_key(wire: WireKey) -> Option<JwksKey> {
    if wire.key_use.as_deref().is_some_and(|u| u != "sig") {
        return None;
    }
    if wire
        .key_ops
        .as_ref()
        .is_some_and(|ops| !ops.iter().any(|op| op == "verify"))
    {
        return None;
    }
    let alg = match wire.alg.as_deref() {
        None => None,
        Some(name) => Some(name.parse::<Algorithm>().ok()?),
    };
    let param = |p: &Option<String>| -> Option<String> {
        p.as_deref().map(|s| s.trim_end_matches('=').to_owned())
    };
    let (kind, key) = match wire.kty.as_str() {
        "RSA" => {
            let n = b64(&param(&wire.n)?)?;
            let e = b64(&param(&wire.e)?)?;
            let n = strip_leading_zeros(&n);
            let e = strip_leading_zeros(&e);
            let bits = n
                .first()
                .map_or(0, |b| n.len() * 8 - b.leading_zeros() as usize);
            if !(2048..=8192).contains(&bits) || e.is_empty() || e.len() > 8 {
                return None;
            }
            (KeyKind::Rsa, DecodingKey::from_rsa_raw_components(n, e))
        }
        "EC" => {
            let (kind, len) = match wire.crv.as_deref()? {
                "P-256" => (KeyKind::P256, 32),
                "P-384" => (KeyKind::P384, 48),
                _ => return None,
            };
            let (x, y) = (param(&wire.x)?, param(&wire.y)?);
            if b64(&x)?.len() != len || b64(&y)?.len() != len {
                return None;
            }
            (kind, DecodingKey::from_ec_components(&x, &y).ok()?)
        }
        "OKP" => {
            if wire.crv.as_deref()? != "Ed25519" {
                return None;
            }
            let x = param(&wire.x)?;
            if b64(&x)?.len() != 32 {
                return None;
            }
            (KeyKind::Ed25519, DecodingKey::from_ed_components(&x).ok()?)
        }
        // `oct` (symmetric) and anything unknown.
        _ => return None,
    };
    if alg.is_some_and(|a| !kind.supports(a)) {
        return None;
    }
    Some(JwksKey {
        kid: wire.kid,
        kind,
        alg,
        key,
    })
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

/// The JWKS request: `GET {jwks_uri}`, accepting `application/jwk-set+json` and
/// `application/json`.
///
/// # Errors
///
/// [`ErrorKind::Config`](crate::ErrorKind::Config) if the URL is not https (plain http only on
/// loopback), has credentials, or cannot form an HTTP request.
///
/// ```
/// use idpkit::{http::RequestLimits, oidc::build_jwks_request};
/// let url = url::Url::parse("https://op.example/jwks").unwrap();
/// let req = build_jwks_request(&url, RequestLimits::default()).unwrap();
/// assert_eq!(req.method(), "GET");
/// assert_eq!(req.uri(), "https://op.example/jwks");
/// assert!(build_jwks_request(&url::Url::parse("http://op.example/jwks").unwrap(), RequestLimits::default()).is_err());
/// ```
pub fn build_jwks_request(jwks_uri: &url::Url, limits: RequestLimits) -> Result<HttpRequest> {
    let url = h::require_secure_url("jwks_uri", jwks_uri.as_str())?;
    let mut request = h::get_json(&url, limits)?;
    request.headers_mut().insert(
        ACCEPT,
        HeaderValue::from_static("application/jwk-set+json, application/json"),
    );
    Ok(request)
}

/// Parses the JWKS response: a 2xx answer with a JSON content type (`application/json`,
/// `application/jwk-set+json`) whose body is a JWK Set ([`Jwks::from_json`]).
///
/// # Errors
///
/// [`ErrorKind::Status`](crate::ErrorKind::Status) / [`ErrorKind::OAuth`](crate::ErrorKind::OAuth)
/// for a non-2xx answer, [`ErrorKind::MalformedResponse`](crate::ErrorKind::MalformedResponse)
/// for a wrong content type or a body that is not a JWK Set.
///
/// ```
/// use std::time::SystemTime;
/// let resp = http::Response::builder()
///     .header("content-type", "application/jwk-set+json")
///     .body(br#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#.to_vec())
///     .unwrap();
/// let jwks = idpkit::oidc::parse_jwks_response(resp, SystemTime::now()).unwrap();
/// assert_eq!(jwks.len(), 1);
/// ```
pub fn parse_jwks_response(response: HttpResponse, now: SystemTime) -> Result<Jwks> {
    let set: WireSet = h::parse_json(response, JWKS, now)?;
    Ok(Jwks::from_wire(set))
}

/// The default floor between two JWKS fetches: 30 seconds.
///
/// ```
/// assert_eq!(idpkit::oidc::DEFAULT_MIN_REFETCH_INTERVAL.as_secs(), 30);
/// ```
pub const DEFAULT_MIN_REFETCH_INTERVAL: Duration = Duration::from_secs(30);

/// The current JWKS and when it was last refetched: the cache policy, as a small thread-safe
/// state object without I/O that the client drives.
///
/// The flow for each ID token:
///
/// 1. verify with [`current`](Self::current) (fetch first if there is none);
/// 2. on [`TokenValidationError::UnknownKey`](crate::TokenValidationError::UnknownKey) (the
///    provider may have rotated its keys), ask [`try_claim_refetch`](Self::try_claim_refetch):
///    if it allows, fetch, [`store`](Self::store) and verify once more; if not, fail with
///    `UnknownKey`.
///
/// The floor ([`min_refetch_interval`](Self::min_refetch_interval)) is between two refetches
/// caused by unknown `kid`s: it stops a flood of tokens with made-up `kid`s from turning into a
/// flood of requests to the provider. The first fetch does not count, so a provider that rotates
/// its keys soon after the client started is followed at once. `try_claim_refetch` records the
/// attempt itself, so concurrent callers fetch once and a failing fetch counts too;
/// [`may_refetch`](Self::may_refetch) only asks.
///
/// ```
/// use std::time::{Duration, Instant};
/// use idpkit::oidc::{Jwks, JwksCache};
///
/// let cache = JwksCache::new(Duration::from_secs(30));
/// let t0 = Instant::now();
/// assert!(cache.current().is_none());
/// cache.store(Jwks::default()); // the first fetch
/// assert!(cache.may_refetch(t0)); // a first unknown kid may refetch at once
/// assert!(cache.try_claim_refetch(t0));
/// cache.store(Jwks::default());
/// assert!(!cache.may_refetch(t0 + Duration::from_secs(10)));
/// assert!(cache.may_refetch(t0 + Duration::from_secs(30)));
/// ```
#[derive(Debug)]
pub struct JwksCache {
    min_refetch_interval: Duration,
    state: RwLock<CacheState>,
}

#[derive(Debug, Default)]
struct CacheState {
    jwks: Option<Arc<Jwks>>,
    /// When the last refetch caused by an unknown key id was claimed. The first fetch does not
    /// count: a provider that rotates keys soon after start-up must not be refused.
    last_refetch: Option<Instant>,
}

impl Default for JwksCache {
    fn default() -> Self {
        JwksCache::new(DEFAULT_MIN_REFETCH_INTERVAL)
    }
}

impl JwksCache {
    /// An empty cache that refetches at most once per `min_refetch_interval`.
    ///
    /// ```
    /// use std::time::Duration;
    /// let cache = idpkit::oidc::JwksCache::new(Duration::from_secs(60));
    /// assert_eq!(cache.min_refetch_interval(), Duration::from_secs(60));
    /// ```
    pub fn new(min_refetch_interval: Duration) -> Self {
        JwksCache {
            min_refetch_interval,
            state: RwLock::new(CacheState::default()),
        }
    }

    /// The floor between two fetches.
    ///
    /// ```
    /// let cache = idpkit::oidc::JwksCache::default();
    /// assert_eq!(cache.min_refetch_interval(), idpkit::oidc::DEFAULT_MIN_REFETCH_INTERVAL);
    /// ```
    pub fn min_refetch_interval(&self) -> Duration {
        self.min_refetch_interval
    }

    /// The current set, if one was stored.
    ///
    /// ```
    /// assert!(idpkit::oidc::JwksCache::default().current().is_none());
    /// ```
    pub fn current(&self) -> Option<Arc<Jwks>> {
        self.read().jwks.clone()
    }

    /// Stores a freshly fetched set and returns it as now shared.
    ///
    /// ```
    /// let cache = idpkit::oidc::JwksCache::default();
    /// let jwks = cache.store(idpkit::oidc::Jwks::default());
    /// assert!(std::sync::Arc::ptr_eq(&jwks, &cache.current().unwrap()));
    /// ```
    pub fn store(&self, jwks: Jwks) -> Arc<Jwks> {
        let jwks = Arc::new(jwks);
        self.write().jwks = Some(Arc::clone(&jwks));
        jwks
    }

    /// Whether a refetch is allowed at `now`: none claimed yet, or at least
    /// [`min_refetch_interval`](Self::min_refetch_interval) since the last claimed one. Only
    /// asks; see [`try_claim_refetch`](Self::try_claim_refetch).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let cache = idpkit::oidc::JwksCache::new(Duration::from_secs(30));
    /// let t0 = Instant::now();
    /// assert!(cache.may_refetch(t0));
    /// assert!(cache.try_claim_refetch(t0));
    /// assert!(!cache.may_refetch(t0 + Duration::from_secs(29)));
    /// ```
    pub fn may_refetch(&self, now: Instant) -> bool {
        self.allowed(&self.read(), now)
    }

    /// Like [`may_refetch`](Self::may_refetch), but when the fetch is allowed it also records
    /// `now` as the last attempt, atomically: of many callers racing on unknown `kid`s one gets
    /// `true`, and a fetch that then fails still holds the floor.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let cache = idpkit::oidc::JwksCache::new(Duration::from_secs(30));
    /// let t0 = Instant::now();
    /// assert!(cache.try_claim_refetch(t0));
    /// assert!(!cache.try_claim_refetch(t0 + Duration::from_secs(1)));
    /// assert!(cache.try_claim_refetch(t0 + Duration::from_secs(31)));
    /// ```
    pub fn try_claim_refetch(&self, now: Instant) -> bool {
        let mut state = self.write();
        if !self.allowed(&state, now) {
            return false;
        }
        state.last_refetch = Some(now);
        true
    }

    fn allowed(&self, state: &CacheState, now: Instant) -> bool {
        match state.last_refetch {
            None => true,
            Some(last) => now.saturating_duration_since(last) >= self.min_refetch_interval,
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, CacheState> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, CacheState> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use serde_json::json;

    const ED_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";

    fn b64u(bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    fn rsa_jwk(kid: &str) -> serde_json::Value {
        let mut n = vec![0xC3u8; 256];
        n[255] |= 1;
        json!({"kty": "RSA", "kid": kid, "n": b64u(&n), "e": "AQAB"})
    }

    fn ec_jwk(kid: &str, crv: &str, len: usize) -> serde_json::Value {
        json!({"kty": "EC", "kid": kid, "crv": crv, "x": b64u(&vec![1; len]), "y": b64u(&vec![2; len])})
    }

    fn parse(v: serde_json::Value) -> Jwks {
        Jwks::from_json(&serde_json::to_vec(&v).unwrap()).unwrap()
    }

    #[test]
    fn keeps_supported_signature_keys() {
        let jwks = parse(json!({"keys": [
            rsa_jwk("r"),
            ec_jwk("e256", "P-256", 32),
            ec_jwk("e384", "P-384", 48),
            {"kty": "OKP", "crv": "Ed25519", "kid": "ed", "x": ED_X, "use": "sig"},
        ]}));
        assert_eq!(jwks.kids().collect::<Vec<_>>(), ["r", "e256", "e384", "ed"]);
        assert!(jwks.find(Some("r"), Algorithm::PS512).is_some());
        assert!(jwks.find(Some("e256"), Algorithm::ES256).is_some());
        assert!(jwks.find(Some("e256"), Algorithm::ES384).is_none());
        assert!(jwks.find(Some("e384"), Algorithm::ES384).is_some());
        assert!(jwks.find(Some("ed"), Algorithm::EdDSA).is_some());
        assert!(jwks.find(Some("ed"), Algorithm::RS256).is_none());
        assert!(jwks.has_kid("ed") && !jwks.has_kid("nope"));
    }

    #[test]
    fn skips_unusable_keys() {
        let jwks = parse(json!({"keys": [
            {"kty": "oct", "kid": "sym", "k": "c2VjcmV0"},
            {"kty": "oct", "kid": "sym2", "k": "c2VjcmV0", "alg": "HS256", "use": "sig"},
            {"kty": "OKP", "crv": "Ed25519", "kid": "enc", "x": ED_X, "use": "enc"},
            {"kty": "OKP", "crv": "Ed25519", "kid": "ops", "x": ED_X, "key_ops": ["encrypt"]},
            {"kty": "OKP", "crv": "X25519", "kid": "x", "x": ED_X},
            {"kty": "OKP", "crv": "Ed25519", "kid": "short", "x": "AAAA"},
            {"kty": "OKP", "crv": "Ed25519", "kid": "nob64", "x": "!!!"},
            {"kty": "OKP", "crv": "Ed25519", "kid": "wrongalg", "x": ED_X, "alg": "RS256"},
            {"kty": "OKP", "crv": "Ed25519", "kid": "oaep", "x": ED_X, "alg": "RSA-OAEP"},
            {"kty": "OKP", "crv": "Ed25519", "kid": 7, "x": ED_X},
            {"kty": "RSA", "kid": "small", "n": b64u(&[0xC3; 128]), "e": "AQAB"},
            {"kty": "RSA", "kid": "noe", "n": b64u(&[0xC3; 256])},
            ec_jwk("p521", "P-521", 66),
            ec_jwk("badlen", "P-256", 31),
            {"kty": "EC", "kid": "nocrv", "x": ED_X, "y": ED_X},
            {"kty": "weird"},
            {"no": "kty"},
            "not an object",
            {"kty": "OKP", "crv": "Ed25519", "kid": "ok", "x": ED_X, "key_ops": ["verify"]},
        ]}));
        assert_eq!(jwks.kids().collect::<Vec<_>>(), ["ok"]);
    }

    #[test]
    fn rsa_modulus_with_leading_zero_and_padding_is_fine() {
        let mut n = vec![0u8];
        n.extend_from_slice(&[0xC3; 256]);
        let jwks = parse(json!({"keys": [
            {"kty": "RSA", "kid": "r", "n": format!("{}==", b64u(&n)), "e": "AQAB", "alg": "RS256"},
        ]}));
        let key = jwks.find(Some("r"), Algorithm::RS256).unwrap();
        assert_eq!(key.alg(), Some(Algorithm::RS256));
        assert!(
            jwks.find(Some("r"), Algorithm::RS384).is_none(),
            "alg pins the key"
        );
    }

    #[test]
    fn find_without_kid_needs_a_single_candidate() {
        let jwks = parse(json!({"keys": [rsa_jwk("a"), ec_jwk("b", "P-256", 32)]}));
        assert_eq!(jwks.find(None, Algorithm::RS256).unwrap().kid(), Some("a"));
        assert_eq!(jwks.find(None, Algorithm::ES256).unwrap().kid(), Some("b"));
        let two = parse(json!({"keys": [rsa_jwk("a"), rsa_jwk("c")]}));
        assert!(two.find(None, Algorithm::RS256).is_none());
        assert_eq!(
            two.find(Some("c"), Algorithm::RS256).unwrap().kid(),
            Some("c")
        );
    }

    #[test]
    fn malformed_sets_fail_without_payload() {
        for bad in [
            &b"[]"[..],
            b"{}",
            b"{\"keys\": \"secret-value\"}",
            b"{\"keys\": null}",
            b"not json",
            b"",
        ] {
            let err = Jwks::from_json(bad).unwrap_err();
            assert!(
                matches!(err.kind(), ErrorKind::MalformedResponse { .. }),
                "{err:?}"
            );
            assert!(!format!("{err:?}").contains("secret-value"));
        }
    }

    #[test]
    fn response_content_types() {
        let body = serde_json::to_vec(&json!({"keys": [rsa_jwk("a")]})).unwrap();
        let resp = |ct: &str| {
            http::Response::builder()
                .header("content-type", ct)
                .body(body.clone())
                .unwrap()
        };
        let now = SystemTime::now();
        assert_eq!(
            parse_jwks_response(resp("application/json"), now)
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            parse_jwks_response(resp("application/jwk-set+json; charset=utf-8"), now)
                .unwrap()
                .len(),
            1
        );
        let err = parse_jwks_response(resp("text/html"), now).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::MalformedResponse { .. }));
        let failed = http::Response::builder()
            .status(503)
            .body(Vec::new())
            .unwrap();
        assert_eq!(
            parse_jwks_response(failed, now).unwrap_err().status(),
            Some(503)
        );
    }

    #[test]
    fn request_accepts_jwk_set_json() {
        let url = url::Url::parse("http://127.0.0.1:8080/jwks").unwrap();
        let req = build_jwks_request(&url, RequestLimits::default()).unwrap();
        assert_eq!(
            req.headers()[ACCEPT],
            "application/jwk-set+json, application/json"
        );
        assert_eq!(RequestLimits::of(&req), RequestLimits::default());
    }

    #[test]
    fn cache_floor() {
        let cache = JwksCache::new(Duration::from_secs(30));
        let t0 = Instant::now();
        assert!(cache.may_refetch(t0));
        assert!(cache.current().is_none());

        let stored = cache.store(parse(json!({"keys": [rsa_jwk("a")]})));
        assert_eq!(cache.current().unwrap().len(), 1);
        assert!(Arc::ptr_eq(&stored, &cache.current().unwrap()));
        // The first fetch does not hold the floor: the first unknown kid may refetch at once.
        assert!(cache.may_refetch(t0));
        assert!(cache.try_claim_refetch(t0));
        cache.store(parse(json!({"keys": [rsa_jwk("a")]})));

        for s in [0, 1, 29] {
            assert!(!cache.may_refetch(t0 + Duration::from_secs(s)), "{s}");
            assert!(!cache.try_claim_refetch(t0 + Duration::from_secs(s)), "{s}");
        }
        // An instant before the last refetch (clock handed in out of order) is not a licence.
        if let Some(earlier) = t0.checked_sub(Duration::from_secs(100)) {
            assert!(!cache.may_refetch(earlier));
        }
        let t30 = t0 + Duration::from_secs(30);
        assert!(cache.may_refetch(t30));
        assert!(cache.try_claim_refetch(t30));
        // The claim holds the floor even though no set was stored (a failed fetch).
        assert!(!cache.may_refetch(t30 + Duration::from_secs(10)));
        assert_eq!(cache.current().unwrap().len(), 1, "the old set stays");
        assert!(cache.try_claim_refetch(t30 + Duration::from_secs(30)));

        assert_eq!(
            JwksCache::default().min_refetch_interval(),
            Duration::from_secs(30)
        );
        let never = JwksCache::new(Duration::ZERO);
        assert!(never.try_claim_refetch(t0));
        assert!(never.may_refetch(t0));
    }

    #[test]
    fn cache_is_send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<JwksCache>();
        assert_send_sync::<Arc<Jwks>>();
    }
}
