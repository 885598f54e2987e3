//! DPoP-bound access tokens at the guard (RFC 9449 §7): the `Authorization: DPoP` scheme, the
//! proof in the `DPoP` header checked against the request, and the token's `cnf.jkt` against the
//! proof's key.

use http::request::Parts;
use http::{HeaderValue, header};

use super::refusal::{Refusal, quoted};

use crate::Clock;
use crate::dpop::{DpopChecks, DpopError, VerifiedDpopProof};

/// The algorithms the guard verifies proofs with, as its challenges announce them.
const ALGS: &str = "ES256 EdDSA";

/// The guard's DPoP settings: the proof checks, the public origin requests are addressed to,
/// and the clock.
#[derive(Clone, Debug)]
pub(super) struct DpopPolicy {
    pub(super) checks: DpopChecks,
    pub(super) origin: Option<String>,
    pub(super) clock: Clock,
}

/// How the request presents its token.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Scheme {
    Bearer,
    Dpop,
}

/// The scheme and the token of the `Authorization` header, if it is `Bearer` or `DPoP`.
pub(super) fn authorization(parts: &Parts) -> Option<(Scheme, &str)> {
    let (scheme, token) = crate::http::authorization(&parts.headers)?;
    if scheme.eq_ignore_ascii_case("bearer") {
        Some((Scheme::Bearer, token))
    } else if scheme.eq_ignore_ascii_case("dpop") {
        Some((Scheme::Dpop, token))
    } else {
        None
    }
}

impl DpopPolicy {
    /// Verifies the request's single `DPoP` proof for this request and `token`.
    pub(super) fn verify_proof(
        &self,
        parts: &Parts,
        token: &str,
    ) -> Result<VerifiedDpopProof, DpopError> {
        let mut proofs = parts.headers.get_all("dpop").iter();
        let (Some(proof), None) = (proofs.next(), proofs.next()) else {
            return Err(DpopError::MissingProof);
        };
        let proof = proof
            .to_str()
            .map_err(|_| DpopError::MalformedProof("not visible ASCII"))?;
        let url = self.request_url(parts).ok_or(DpopError::UrlMismatch)?;
        let now = self.clock.now();
        self.checks
            .verify(proof, parts.method.as_str(), &url, Some(token), now)
            .map_err(|e| match e.kind() {
                crate::ErrorKind::Dpop(d) => d.clone(),
                _ => DpopError::MalformedProof("unverifiable"),
            })
    }

    /// The URL the client addressed: the configured public origin (or the `Host` header with
    /// `https`) and the request's path and query.
    fn request_url(&self, parts: &Parts) -> Option<String> {
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        if let Some(origin) = &self.origin {
            return Some(format!("{}{path}", origin.trim_end_matches('/')));
        }
        if parts.uri.scheme().is_some() {
            return Some(parts.uri.to_string());
        }
        let host = parts.headers.get(header::HOST)?.to_str().ok()?;
        Some(format!("https://{host}{path}"))
    }
}

/// Whether a verified caller's token is DPoP-bound: its `cnf.jkt` (RFC 9449 §6).
pub(super) fn bound_key(claims: &serde_json::Map<String, serde_json::Value>) -> Option<&str> {
    claims.get("cnf")?.get("jkt")?.as_str()
}

/// The 401 for a DPoP request that fails: `WWW-Authenticate: DPoP` with the error
/// (`invalid_dpop_proof` for the proof, `invalid_token` for the token's binding).
pub(super) fn refuse(realm: &str, error: &DpopError) -> Refusal {
    let code = match error {
        DpopError::KeyMismatch | DpopError::SchemeMismatch => "invalid_token",
        _ => "invalid_dpop_proof",
    };
    let realm = quoted(realm);
    let challenge = format!("DPoP realm=\"{realm}\", error=\"{code}\", algs=\"{ALGS}\"");
    Refusal::Unauthorized {
        challenges: HeaderValue::from_str(&challenge).into_iter().collect(),
        reason: Some(error.to_string()),
    }
}

/// The DPoP challenge added next to the Bearer one when a request has no token.
pub(super) fn challenge(realm: &str) -> Option<HeaderValue> {
    let realm = quoted(realm);
    HeaderValue::from_str(&format!("DPoP realm=\"{realm}\", algs=\"{ALGS}\"")).ok()
}
