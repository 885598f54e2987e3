//! Verifying DPoP proofs on the resource server (RFC 9449 §4.3, §7): the checks a guard makes
//! before it accepts a DPoP-bound access token.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

use super::DpopError;
use super::proof::{access_token_hash, htu_of};
use crate::agent::key::{b64url, jwk_thumbprint};
use crate::agent::{AgentPublicKey, MemoryReplayStore, ReplayStore};
use crate::clock::since_epoch;

/// The longest proof read: anything longer is refused before decoding.
const MAX_PROOF_LEN: usize = 8 * 1024;
/// The longest `jti` accepted (the replay store keeps it).
const MAX_JTI_LEN: usize = 256;

/// How a resource server checks DPoP proofs: the `iat` window and the replay store for `jti`s.
///
/// Defaults: a proof is accepted up to 60 s after its `iat` (`max_age`) and up to 5 s before it
/// (`skew`, for clocks slightly behind the client's); each `jti` is accepted once per key for
/// that long, remembered in an in-process [`MemoryReplayStore`] of 100,000 entries (fail closed
/// when full). Algorithms: `ES256` and `EdDSA` (Ed25519).
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use idpkit::AccessToken;
/// use idpkit::dpop::{DpopChecks, DpopKey, DpopProof};
/// let key = DpopKey::generate_es256()?;
/// let token = AccessToken::new("at-1");
/// let now = SystemTime::now();
/// let proof = DpopProof::new("GET", "https://api.example.com/v1/orders")
///     .access_token(&token)
///     .sign(&key, now)?;
/// let checks = DpopChecks::new();
/// let verified = checks.verify(&proof, "GET", "https://api.example.com/v1/orders?page=2", Some("at-1"), now)?;
/// assert_eq!(verified.jkt, key.thumbprint());
/// assert!(checks.verify(&proof, "GET", "https://api.example.com/v1/orders", Some("at-1"), now).is_err()); // replayed
/// # Ok::<(), idpkit::Error>(())
/// ```
#[derive(Clone)]
pub struct DpopChecks {
    /// How long after its `iat` a proof is accepted.
    pub max_age: Duration,
    /// How far in the future an `iat` may be.
    pub skew: Duration,
    replay: Arc<dyn ReplayStore>,
}

impl Default for DpopChecks {
    fn default() -> Self {
        DpopChecks::new()
    }
}

impl fmt::Debug for DpopChecks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopChecks")
            .field("max_age", &self.max_age)
            .field("skew", &self.skew)
            .finish_non_exhaustive()
    }
}

/// What a verified proof established.
///
/// ```
/// # fn f(v: idpkit::dpop::VerifiedDpopProof) {
/// println!("proof by key {}", v.jkt);
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedDpopProof {
    /// The RFC 7638 thumbprint of the proof's key: a bound token's `cnf.jkt` must equal it.
    pub jkt: String,
    /// The proof's `jti`.
    pub jti: String,
    /// The proof's `iat`, seconds since the Unix epoch.
    pub iat: u64,
    /// The proof's `nonce`, if any.
    pub nonce: Option<String>,
}

#[derive(Deserialize)]
struct Header {
    typ: Option<String>,
    alg: String,
    jwk: Option<Jwk>,
}

#[derive(Deserialize)]
struct Jwk {
    kty: String,
    crv: Option<String>,
    x: Option<String>,
    y: Option<String>,
    d: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct Claims {
    jti: Option<String>,
    htm: Option<String>,
    htu: Option<String>,
    iat: Option<serde_json::Number>,
    ath: Option<String>,
    nonce: Option<String>,
}

/// A proof's public key: what verifies its signature, and its thumbprint.
enum ProofKey {
    Es256([u8; 65]),
    Ed25519(AgentPublicKey),
}

impl DpopChecks {
    /// The default checks (see the type).
    ///
    /// ```
    /// let checks = idpkit::dpop::DpopChecks::new();
    /// assert_eq!(checks.max_age, std::time::Duration::from_secs(60));
    /// ```
    pub fn new() -> Self {
        DpopChecks {
            max_age: Duration::from_secs(60),
            skew: Duration::from_secs(5),
            replay: Arc::new(MemoryReplayStore::new(100_000)),
        }
    }

    /// Another replay store (a shared one when several instances serve one API: a `jti` must be
    /// refused by all of them). The store is asked with the key's thumbprint and the `jti`.
    ///
    /// ```
    /// use idpkit::agent::MemoryReplayStore;
    /// let checks = idpkit::dpop::DpopChecks::new().replay_store(MemoryReplayStore::new(1_000));
    /// ```
    pub fn replay_store(mut self, store: impl ReplayStore + 'static) -> Self {
        self.replay = Arc::new(store);
        self
    }

    /// Verifies `proof` (the `DPoP` header's value) for a request of `method` on `url` (the
    /// request's full URL as the client addressed it; query and fragment are ignored) carrying
    /// `access_token` (then `ath` must be its hash; `None` at a token endpoint): `typ`
    /// `dpop+jwt`, a public `jwk` of an accepted algorithm, the signature, `htm`, `htu`, `iat`
    /// within the window, `ath`, and the `jti` not seen before. The caller then compares
    /// [`VerifiedDpopProof::jkt`] with the token's `cnf.jkt`.
    ///
    /// # Errors
    ///
    /// A [`DpopError`] for each failure: [`MalformedProof`](DpopError::MalformedProof),
    /// [`UnsupportedAlgorithm`](DpopError::UnsupportedAlgorithm),
    /// [`BadSignature`](DpopError::BadSignature), [`MethodMismatch`](DpopError::MethodMismatch),
    /// [`UrlMismatch`](DpopError::UrlMismatch), [`OutsideWindow`](DpopError::OutsideWindow),
    /// [`AccessTokenHashMismatch`](DpopError::AccessTokenHashMismatch),
    /// [`Replayed`](DpopError::Replayed),
    /// [`ReplayStoreUnavailable`](DpopError::ReplayStoreUnavailable). Never a panic, whatever
    /// the input.
    ///
    /// ```
    /// let err = idpkit::dpop::DpopChecks::new()
    ///     .verify("not.a.proof", "GET", "https://api.example/x", None, std::time::SystemTime::now())
    ///     .unwrap_err();
    /// assert!(matches!(err.kind(), idpkit::ErrorKind::Dpop(idpkit::dpop::DpopError::MalformedProof(_))));
    /// ```
    pub fn verify(
        &self,
        proof: &str,
        method: &str,
        url: &str,
        access_token: Option<&str>,
        now: SystemTime,
    ) -> crate::Result<VerifiedDpopProof> {
        Ok(self.check(proof, method, url, access_token, now)?)
    }

    fn check(
        &self,
        proof: &str,
        method: &str,
        url: &str,
        access_token: Option<&str>,
        now: SystemTime,
    ) -> Result<VerifiedDpopProof, DpopError> {
        use DpopError::MalformedProof as Malformed;
        if proof.len() > MAX_PROOF_LEN {
            return Err(Malformed("longer than 8 KiB"));
        }
        let mut parts = proof.trim().split('.');
        let (Some(header_b64), Some(claims_b64), Some(signature_b64), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Malformed("not a compact JWS of three parts"));
        };
        let decode = |part: &str, what| URL_SAFE_NO_PAD.decode(part).map_err(|_| Malformed(what));
        let header: Header = serde_json::from_slice(&decode(header_b64, "header not base64url")?)
            .map_err(|_| Malformed("header not a JSON object with alg"))?;
        if !header.typ.as_deref().is_some_and(|t| {
            t.eq_ignore_ascii_case("dpop+jwt") || t.eq_ignore_ascii_case("application/dpop+jwt")
        }) {
            return Err(Malformed("typ is not dpop+jwt"));
        }
        let jwk = header.jwk.ok_or(Malformed("no jwk in the header"))?;
        if jwk.d.is_some() {
            return Err(Malformed("the jwk holds a private key"));
        }
        let key = proof_key(&header.alg, &jwk)?;
        let signature = decode(signature_b64, "signature not base64url")?;
        let signed = &proof.trim().as_bytes()[..header_b64.len() + 1 + claims_b64.len()];
        let valid = match &key {
            ProofKey::Es256(point) => UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
                .verify(signed, &signature)
                .is_ok(),
            ProofKey::Ed25519(public) => public.verify(signed, &signature),
        };
        if !valid {
            return Err(DpopError::BadSignature);
        }
        let claims: Claims =
            serde_json::from_slice(&decode(claims_b64, "claims not base64url")?)
                .map_err(|_| Malformed("claims not a JSON object of the expected types"))?;
        let jti = claims
            .jti
            .filter(|j| !j.is_empty())
            .ok_or(Malformed("no jti"))?;
        if jti.len() > MAX_JTI_LEN {
            return Err(Malformed("jti longer than 256 bytes"));
        }
        if claims.htm.ok_or(Malformed("no htm"))? != method {
            return Err(DpopError::MethodMismatch);
        }
        let htu = claims.htu.ok_or(Malformed("no htu"))?;
        let expected = htu_of(url).map_err(|_| DpopError::UrlMismatch)?;
        if htu_of(&htu).map_err(|_| DpopError::UrlMismatch)? != expected {
            return Err(DpopError::UrlMismatch);
        }
        let iat = claims
            .iat
            .and_then(|n| {
                n.as_u64()
                    .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
            })
            .ok_or(Malformed("no iat, or not a non-negative number"))?;
        let now_s = since_epoch(now).as_secs();
        if iat > now_s.saturating_add(self.skew.as_secs())
            || iat.saturating_add(self.max_age.as_secs()) < now_s
        {
            return Err(DpopError::OutsideWindow);
        }
        if let Some(token) = access_token
            && claims.ath.as_deref() != Some(access_token_hash(token).as_str())
        {
            return Err(DpopError::AccessTokenHashMismatch);
        }
        let jkt = key.thumbprint();
        let ttl = self.max_age + self.skew;
        match self.replay.insert_if_absent(&jkt, &jti, ttl, now) {
            Ok(true) => {}
            Ok(false) => return Err(DpopError::Replayed),
            Err(_) => return Err(DpopError::ReplayStoreUnavailable),
        }
        Ok(VerifiedDpopProof {
            jkt,
            jti,
            iat,
            nonce: claims.nonce,
        })
    }
}

/// The key of a proof's header, for its algorithm: `ES256` with an EC P-256 key, `EdDSA` (or
/// its fully specified name `Ed25519`) with an OKP Ed25519 key.
fn proof_key(alg: &str, jwk: &Jwk) -> Result<ProofKey, DpopError> {
    let bytes32 = |v: &Option<String>| -> Option<[u8; 32]> {
        b64url(v.as_deref()?).and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
    };
    let bad_key = DpopError::MalformedProof("the jwk is not a valid key for alg");
    match (alg, jwk.kty.as_str(), jwk.crv.as_deref()) {
        ("ES256", "EC", Some("P-256")) => {
            let (x, y) = (
                bytes32(&jwk.x).ok_or(bad_key.clone())?,
                bytes32(&jwk.y).ok_or(bad_key)?,
            );
            let mut point = [0u8; 65];
            point[0] = 0x04;
            point[1..33].copy_from_slice(&x);
            point[33..].copy_from_slice(&y);
            Ok(ProofKey::Es256(point))
        }
        ("EdDSA" | "Ed25519", "OKP", Some("Ed25519")) => {
            let x = bytes32(&jwk.x).ok_or(bad_key.clone())?;
            AgentPublicKey::from_bytes(&x)
                .map(ProofKey::Ed25519)
                .map_err(|_| bad_key)
        }
        _ => Err(DpopError::UnsupportedAlgorithm(
            alg.chars().take(32).collect(),
        )),
    }
}

impl ProofKey {
    fn thumbprint(&self) -> String {
        match self {
            ProofKey::Es256(point) => {
                let x = URL_SAFE_NO_PAD.encode(&point[1..33]);
                let y = URL_SAFE_NO_PAD.encode(&point[33..]);
                jwk_thumbprint(&format!(
                    r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#
                ))
            }
            ProofKey::Ed25519(public) => public.key_id().to_owned(),
        }
    }
}
