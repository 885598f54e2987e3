//! Aggregated and distributed claims (OpenID Connect Core 1.0 §5.6.2): claims a provider
//! vouches for by reference to another claims provider, pure.
//!
//! A userinfo response (or an ID token) may carry `_claim_names` (claim → source name) and
//! `_claim_sources` (source name → `{"JWT": …}` for aggregated claims, or
//! `{"endpoint": …, "access_token": …}` for distributed ones). Each source's claims come as a
//! JWT signed by the claims provider; idpkit accepts them only from a claims provider the
//! application trusts ([`ClaimsProviders`]), verified against that provider's JWKS.
//!
//! The pieces: [`parse_claim_sources`] reads the references, [`unverified_issuer`] names the
//! provider whose keys to fetch, [`verify_claims_jwt`] checks the JWT, and
//! [`merge_resolved_claims`] copies the claims the source was named for. The clients'
//! `resolve_claims` connects them.

use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use serde_json::{Map, Value};

use crate::error::{Error, Result, TokenValidationError};
use crate::http::{self as h, HttpRequest, HttpResponse, RequestLimits};
use crate::oidc::id_token::{decode_signed, key_for, loggable, malformed, parse_header};
use crate::oidc::userinfo::{check_protected_status, jwt_body};
use crate::oidc::{BearerMethod, Jwks, build_bearer_request};
use crate::secret::AccessToken;

const CLAIM_SOURCES: &str = "aggregated or distributed claims (OIDC Core §5.6.2)";

/// The claims providers whose aggregated and distributed claims an application accepts: each
/// an issuer (compared exactly with the claims JWT's `iss`) and the URL of its JWKS.
///
/// ```
/// use idpkit::oidc::ClaimsProviders;
/// let providers = ClaimsProviders::new()
///     .trust("https://claims.example", "https://claims.example/jwks")?;
/// assert_eq!(providers.len(), 1);
/// assert!(ClaimsProviders::new().trust("https://c.example", "http://c.example/jwks").is_err());
/// # Ok::<(), idpkit::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClaimsProviders {
    providers: Vec<(String, url::Url)>,
}

impl ClaimsProviders {
    /// No provider trusted: claims by reference are left unresolved.
    ///
    /// ```
    /// assert!(idpkit::oidc::ClaimsProviders::new().is_empty());
    /// ```
    pub fn new() -> Self {
        ClaimsProviders::default()
    }

    /// Trusts the claims provider `issuer`, whose keys are at `jwks_uri`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) when `jwks_uri` is not https (http only on
    /// loopback) or `issuer` is empty.
    ///
    /// ```
    /// let p = idpkit::oidc::ClaimsProviders::new().trust("https://c.example", "https://c.example/jwks")?;
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn trust(mut self, issuer: impl Into<String>, jwks_uri: &str) -> Result<Self> {
        let issuer = issuer.into();
        if issuer.is_empty() {
            return Err(Error::config(
                "a claims provider's issuer must not be empty",
            ));
        }
        let url = h::require_secure_url("the claims provider's jwks_uri", jwks_uri)?;
        self.providers.push((issuer, url));
        Ok(self)
    }

    /// The JWKS URL of the trusted provider `issuer`.
    ///
    /// ```
    /// let p = idpkit::oidc::ClaimsProviders::new().trust("https://c.example", "https://c.example/jwks")?;
    /// assert_eq!(p.jwks_uri("https://c.example").unwrap().as_str(), "https://c.example/jwks");
    /// assert!(p.jwks_uri("https://other.example").is_none());
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn jwks_uri(&self, issuer: &str) -> Option<&url::Url> {
        self.providers
            .iter()
            .find(|(iss, _)| iss == issuer)
            .map(|(_, url)| url)
    }

    /// The trusted provider that issued the claims JWT `jwt` (its `iss`, read unverified:
    /// verify the JWT with this provider's keys next), and its JWKS URL.
    ///
    /// # Errors
    ///
    /// As [`unverified_issuer`]; [`TokenValidationError::IssuerMismatch`] for a provider that is
    /// not trusted.
    ///
    /// ```
    /// let p = idpkit::oidc::ClaimsProviders::new().trust("https://c.example", "https://c.example/jwks")?;
    /// // {"alg":"RS256"} . {"iss":"https://c.example"} . signature
    /// let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2MuZXhhbXBsZSJ9.c2ln";
    /// let (issuer, jwks_uri) = p.provider_of(jwt).unwrap();
    /// assert_eq!((issuer.as_str(), jwks_uri.as_str()), ("https://c.example", "https://c.example/jwks"));
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn provider_of(
        &self,
        jwt: &str,
    ) -> std::result::Result<(String, &url::Url), TokenValidationError> {
        let issuer = unverified_issuer(jwt)?;
        match self.jwks_uri(&issuer) {
            Some(url) => Ok((issuer, url)),
            None => Err(TokenValidationError::IssuerMismatch {
                actual: loggable(&issuer, 256),
            }),
        }
    }

    /// The number of trusted providers.
    ///
    /// ```
    /// assert_eq!(idpkit::oidc::ClaimsProviders::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.providers.len()
    }

    /// Whether no provider is trusted.
    ///
    /// ```
    /// assert!(idpkit::oidc::ClaimsProviders::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.providers.is_empty()
    }
}

/// Where the claims of one source are.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClaimSource {
    /// Aggregated claims: a JWT signed by the claims provider, inline.
    Aggregated {
        /// The compact JWT.
        jwt: String,
    },
    /// Distributed claims: fetched from the claims provider's endpoint, with its access token.
    Distributed {
        /// Where to fetch them.
        endpoint: String,
        /// The access token for that endpoint, if one is given.
        access_token: Option<AccessToken>,
    },
}

impl std::fmt::Debug for ClaimSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClaimSource::Aggregated { jwt } => write!(f, "Aggregated([{} bytes])", jwt.len()),
            ClaimSource::Distributed {
                endpoint,
                access_token,
            } => f
                .debug_struct("Distributed")
                .field("endpoint", endpoint)
                .field("access_token", access_token)
                .finish(),
        }
    }
}

/// The references of a claims object: which claim comes from which source, and the sources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimReferences {
    names: Vec<(String, String)>,
    sources: Vec<(String, ClaimSource)>,
}

impl ClaimReferences {
    /// The sources, by name, in the document's order.
    ///
    /// ```
    /// let claims = serde_json::json!({"sub": "u", "_claim_names": {"score": "s1"},
    ///     "_claim_sources": {"s1": {"endpoint": "https://c.example/claims"}}});
    /// let refs = idpkit::oidc::parse_claim_sources(claims.as_object().unwrap())?.unwrap();
    /// assert_eq!(refs.sources().map(|(name, _)| name).collect::<Vec<_>>(), ["s1"]);
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn sources(&self) -> impl Iterator<Item = (&str, &ClaimSource)> + '_ {
        self.sources.iter().map(|(n, s)| (n.as_str(), s))
    }

    /// The claims `_claim_names` assigns to `source`.
    ///
    /// ```
    /// let claims = serde_json::json!({"_claim_names": {"a": "s1", "b": "s1", "c": "s2"},
    ///     "_claim_sources": {"s1": {"JWT": "x.y.z"}, "s2": {"JWT": "x.y.z"}}});
    /// let refs = idpkit::oidc::parse_claim_sources(claims.as_object().unwrap())?.unwrap();
    /// assert_eq!(refs.claims_of("s1").collect::<Vec<_>>(), ["a", "b"]);
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn claims_of<'a>(&'a self, source: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.names
            .iter()
            .filter(move |(_, s)| s == source)
            .map(|(claim, _)| claim.as_str())
    }
}

/// Reads `_claim_names` and `_claim_sources` (OIDC Core §5.6.2). `None` when the claims have
/// neither.
///
/// # Errors
///
/// [`ErrorKind::MalformedResponse`](crate::ErrorKind::MalformedResponse) when a member has the
/// wrong shape: not objects, a claim naming a source that is not there, a source with neither
/// `JWT` nor `endpoint`, or a non-string value. Messages name members, never values.
///
/// ```
/// let claims = serde_json::json!({"sub": "u",
///     "_claim_names": {"address": "src1"}, "_claim_sources": {"src1": {"JWT": "a.b.c"}}});
/// let refs = idpkit::oidc::parse_claim_sources(claims.as_object().unwrap())?.unwrap();
/// assert!(matches!(refs.sources().next(), Some(("src1", idpkit::oidc::ClaimSource::Aggregated { .. }))));
/// let plain = serde_json::json!({"sub": "u"});
/// assert!(idpkit::oidc::parse_claim_sources(plain.as_object().unwrap())?.is_none());
/// # Ok::<(), idpkit::Error>(())
/// ```
pub fn parse_claim_sources(claims: &Map<String, Value>) -> Result<Option<ClaimReferences>> {
    let bad = |problem: &str| Error::malformed(CLAIM_SOURCES, problem.to_owned());
    let (names, sources) = match (claims.get("_claim_names"), claims.get("_claim_sources")) {
        (None, None) => return Ok(None),
        (Some(Value::Object(names)), Some(Value::Object(sources))) => (names, sources),
        _ => {
            return Err(bad(
                "`_claim_names` and `_claim_sources` must both be present and be objects",
            ));
        }
    };
    let mut refs = ClaimReferences {
        names: Vec::with_capacity(names.len()),
        sources: Vec::with_capacity(sources.len()),
    };
    for (name, source) in sources {
        let Value::Object(source) = source else {
            return Err(bad("a member of `_claim_sources` is not an object"));
        };
        let string = |member: &str| match source.get(member) {
            None => Ok(None),
            Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
            Some(_) => Err(bad("a claim source member is not a non-empty string")),
        };
        let source = match (string("JWT")?, string("endpoint")?) {
            (Some(jwt), None) => ClaimSource::Aggregated { jwt },
            (None, Some(endpoint)) => ClaimSource::Distributed {
                endpoint,
                access_token: string("access_token")?.map(AccessToken::new),
            },
            _ => {
                return Err(bad(
                    "a claim source needs exactly one of `JWT` and `endpoint`",
                ));
            }
        };
        refs.sources.push((name.clone(), source));
    }
    for (claim, source) in names {
        let Value::String(source) = source else {
            return Err(bad("a member of `_claim_names` is not a string"));
        };
        if !sources.contains_key(source) {
            return Err(bad(
                "`_claim_names` names a source missing from `_claim_sources`",
            ));
        }
        refs.names.push((claim.clone(), source.clone()));
    }
    Ok(Some(refs))
}

/// The `iss` of a claims JWT, read **without** verifying it: only to pick the trusted
/// provider whose keys then verify it ([`verify_claims_jwt`]).
///
/// # Errors
///
/// [`TokenValidationError::Malformed`] when the JWT cannot be decoded,
/// [`TokenValidationError::MissingClaim`] without a string `iss`.
///
/// ```
/// // {"alg":"RS256"} . {"iss":"https://c.example"} . signature
/// let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2MuZXhhbXBsZSJ9.c2ln";
/// assert_eq!(idpkit::oidc::unverified_issuer(jwt).unwrap(), "https://c.example");
/// ```
pub fn unverified_issuer(jwt: &str) -> std::result::Result<String, TokenValidationError> {
    parse_header(jwt)?;
    let payload = jwt.split('.').nth(1).unwrap_or_default();
    let bytes = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| malformed("the claims are not base64url"))?;
    let claims: Map<String, Value> = serde_json::from_slice(&bytes)
        .map_err(|_| malformed("the claims are not a JSON object"))?;
    match claims.get("iss") {
        Some(Value::String(iss)) if !iss.is_empty() => Ok(iss.clone()),
        _ => Err(TokenValidationError::MissingClaim("iss")),
    }
}

/// The asymmetric algorithms a claims provider may sign with.
const CLAIMS_ALGORITHMS: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// Verifies a claims JWT of the claims provider `issuer` with its `keys` and returns its
/// claims: an asymmetric signature (never `none`, never HMAC) by a key of the set, `iss` equal
/// to `issuer`, and `exp`, when present, not passed (30 s of leeway).
///
/// # Errors
///
/// The [`TokenValidationError`] of the failed check: `Malformed`, `AlgorithmNotAllowed`,
/// `UnknownKey`, `InvalidSignature`, `IssuerMismatch`, `Expired`.
///
/// ```
/// use std::time::SystemTime;
/// let unsigned = "eyJhbGciOiJub25lIn0.eyJpc3MiOiJodHRwczovL2MuZXhhbXBsZSJ9.";
/// let err = idpkit::oidc::verify_claims_jwt(unsigned, &idpkit::oidc::Jwks::default(),
///     "https://c.example", SystemTime::now()).unwrap_err();
/// assert_eq!(err, idpkit::TokenValidationError::AlgorithmNotAllowed("none".into()));
/// ```
pub fn verify_claims_jwt(
    jwt: &str,
    keys: &Jwks,
    issuer: &str,
    now: SystemTime,
) -> std::result::Result<Map<String, Value>, TokenValidationError> {
    use TokenValidationError as E;
    let header = parse_header(jwt)?;
    let alg = header
        .alg
        .parse::<Algorithm>()
        .ok()
        .filter(|alg| CLAIMS_ALGORITHMS.contains(alg))
        .ok_or_else(|| E::AlgorithmNotAllowed(loggable(&header.alg, 16)))?;
    let key = key_for(&header, alg, keys)?;
    let claims: Map<String, Value> = decode_signed(jwt, alg, key.decoding_key())?;
    match claims.get("iss") {
        Some(Value::String(iss)) if iss == issuer => {}
        Some(Value::String(iss)) => {
            return Err(E::IssuerMismatch {
                actual: loggable(iss, 256),
            });
        }
        _ => return Err(E::MissingClaim("iss")),
    }
    if let Some(exp) = claims.get("exp") {
        let exp = exp
            .as_u64()
            .ok_or_else(|| malformed("`exp` is not a NumericDate"))?;
        let now = crate::clock::since_epoch(now);
        if now > Duration::from_secs(exp).saturating_add(crate::oidc::DEFAULT_LEEWAY) {
            return Err(E::Expired);
        }
    }
    Ok(claims)
}

/// The request for a distributed claims source: `GET endpoint` with its access token as a
/// bearer header, accepting a JWT.
///
/// # Errors
///
/// [`ErrorKind::Config`](crate::ErrorKind::Config) for an endpoint that is not https (http only
/// on loopback) or an unusable token.
///
/// ```
/// use idpkit::{AccessToken, http::RequestLimits};
/// let token = AccessToken::new("dt-1");
/// let req = idpkit::oidc::build_distributed_claims_request("https://c.example/claims",
///     Some(&token), RequestLimits::default())?;
/// assert_eq!(req.headers()["authorization"], "Bearer dt-1");
/// # Ok::<(), idpkit::Error>(())
/// ```
pub fn build_distributed_claims_request(
    endpoint: &str,
    access_token: Option<&AccessToken>,
    limits: RequestLimits,
) -> Result<HttpRequest> {
    build_bearer_request(
        "the distributed claims endpoint",
        endpoint,
        access_token,
        BearerMethod::Header,
        limits,
    )
}

/// Parses a distributed claims response: a 2xx `application/jwt` answer (OIDC Core §5.6.2:
/// the endpoint returns the claims as a JWT), returned unverified.
///
/// # Errors
///
/// The status errors of a protected resource (`invalid_token`, …);
/// [`ErrorKind::MalformedResponse`](crate::ErrorKind::MalformedResponse) for anything but a
/// compact JWS.
///
/// ```
/// use std::time::SystemTime;
/// let ok = http::Response::builder().header("content-type", "application/jwt")
///     .body(b"eyJhbGciOiJSUzI1NiJ9.e30.c2ln".to_vec()).unwrap();
/// assert!(idpkit::oidc::parse_distributed_claims_response(ok, SystemTime::now()).is_ok());
/// let json = http::Response::builder().header("content-type", "application/json")
///     .body(b"{}".to_vec()).unwrap();
/// assert!(idpkit::oidc::parse_distributed_claims_response(json, SystemTime::now()).is_err());
/// ```
pub fn parse_distributed_claims_response(
    response: HttpResponse,
    now: SystemTime,
) -> Result<String> {
    let response = check_protected_status(response, now)?;
    jwt_body(&response, CLAIM_SOURCES)?.ok_or_else(|| {
        Error::malformed(
            CLAIM_SOURCES,
            "the claims endpoint must answer application/jwt",
        )
    })
}

/// Copies into `claims` the members of `resolved` that `_claim_names` assigns to `source`, and
/// drops those references (and `_claim_names` / `_claim_sources` once empty). A claim the
/// source was not named for is ignored, so a claims provider cannot overwrite `sub` or any
/// other claim of the provider's.
///
/// ```
/// use serde_json::json;
/// let mut claims = json!({"sub": "u", "_claim_names": {"score": "s1"},
///     "_claim_sources": {"s1": {"endpoint": "https://c.example/claims"}}}).as_object().unwrap().clone();
/// let refs = idpkit::oidc::parse_claim_sources(&claims)?.unwrap();
/// let resolved = json!({"iss": "https://c.example", "sub": "evil", "score": 650});
/// idpkit::oidc::merge_resolved_claims(&mut claims, &refs, "s1", resolved.as_object().unwrap());
/// assert_eq!(serde_json::Value::Object(claims), json!({"sub": "u", "score": 650}));
/// # Ok::<(), idpkit::Error>(())
/// ```
pub fn merge_resolved_claims(
    claims: &mut Map<String, Value>,
    refs: &ClaimReferences,
    source: &str,
    resolved: &Map<String, Value>,
) {
    for claim in refs.claims_of(source) {
        if let Some(value) = resolved.get(claim) {
            claims.insert(claim.to_owned(), value.clone());
        }
    }
    if let Some(Value::Object(names)) = claims.get_mut("_claim_names") {
        names.retain(|_, s| s.as_str() != Some(source));
    }
    if let Some(Value::Object(sources)) = claims.get_mut("_claim_sources") {
        sources.remove(source);
    }
    for member in ["_claim_names", "_claim_sources"] {
        if claims
            .get(member)
            .and_then(Value::as_object)
            .is_some_and(Map::is_empty)
        {
            claims.remove(member);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn bad_shapes_are_malformed_without_values() {
        for bad in [
            json!({"_claim_names": {"a": "s1"}}),
            json!({"_claim_names": [], "_claim_sources": {}}),
            json!({"_claim_names": {"a": "s2"}, "_claim_sources": {"s1": {"JWT": "x"}}}),
            json!({"_claim_names": {"a": 1}, "_claim_sources": {"s1": {"JWT": "x"}}}),
            json!({"_claim_names": {}, "_claim_sources": {"s1": "secret-value"}}),
            json!({"_claim_names": {}, "_claim_sources": {"s1": {}}}),
            json!({"_claim_names": {}, "_claim_sources": {"s1": {"JWT": "x", "endpoint": "y"}}}),
            json!({"_claim_names": {}, "_claim_sources": {"s1": {"endpoint": 7}}}),
        ] {
            let err = parse_claim_sources(&obj(bad.clone())).unwrap_err();
            assert!(
                matches!(err.kind(), crate::ErrorKind::MalformedResponse { .. }),
                "{bad}"
            );
            assert!(!err.to_string().contains("secret-value"));
        }
    }

    #[test]
    fn distributed_source_keeps_its_token_secret() {
        let claims = obj(json!({"_claim_names": {"score": "s1"},
            "_claim_sources": {"s1": {"endpoint": "https://c.example/c", "access_token": "tok-secret"}}}));
        let refs = parse_claim_sources(&claims).unwrap().unwrap();
        let (_, source) = refs.sources().next().unwrap();
        assert!(
            matches!(source, ClaimSource::Distributed { access_token: Some(t), .. } if t.expose_secret() == "tok-secret")
        );
        assert!(!format!("{refs:?}").contains("tok-secret"));
    }

    #[test]
    fn claims_jwt_issuer_and_algorithms() {
        let none = "eyJhbGciOiJub25lIn0.eyJpc3MiOiJodHRwczovL2MuZXhhbXBsZSJ9.";
        assert_eq!(unverified_issuer(none).unwrap(), "https://c.example");
        let hs = "eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJodHRwczovL2MuZXhhbXBsZSJ9.c2ln";
        let err = verify_claims_jwt(hs, &Jwks::default(), "https://c.example", SystemTime::now());
        assert_eq!(
            err.unwrap_err(),
            TokenValidationError::AlgorithmNotAllowed("HS256".into())
        );
        let rs = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2MuZXhhbXBsZSJ9.c2ln";
        let err = verify_claims_jwt(rs, &Jwks::default(), "https://c.example", SystemTime::now());
        assert_eq!(err.unwrap_err(), TokenValidationError::UnknownKey(None));
        assert!(unverified_issuer("e30.e30.").is_err());
    }
}
