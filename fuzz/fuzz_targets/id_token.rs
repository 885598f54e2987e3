//! `verify_id_token` on arbitrary bytes as the token, against a fixed key set and fixed checks:
//! every input is an error or verified claims that meet the checks, and nothing panics.
//!
//! Two key sets and checks: the fuzzing keys (`idpkit_fuzz::keys`, issuer `https://op.example`)
//! and the test provider's real RSA key with its issuer, client and the time of the ID token it
//! issued (the seed `op-code-flow`), so real tokens reach the claim checks.
#![no_main]

use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use idpkit::oidc::{IdTokenChecks, Jwks, verify_id_token};
use idpkit_fuzz::{CLIENT_ID, ISSUER, NONCE, keys, now};
use jsonwebtoken::Algorithm;
use libfuzzer_sys::fuzz_target;

/// The test provider's (node-oidc-provider) published JWKS, as it served it.
const OP_JWKS: &str = r#"{"keys":[{"kty":"RSA","use":"sig","kid":"o5NPZRLbELcFYOPj9aSghgOckjNL1bfWcUFbYUrUBNg","alg":"RS256","e":"AQAB","n":"vgMHNy5vfizT__XuC5kvVXbNNAsiIgYFvecHXcS9qhcj-DKBtC6Zm1JAYNVo09fEOTIjSZGAcpq_9NbZJr2KiqIx8AegEgRPuyyv4Wl3-TeJeW5c-5scXX-V6BPmvRnfTnqFuhRwS_PKeCSIN5Xj1hcZ5ADWCKOnI_7tjG5Fhp671w3PBUO3LYLMWYT9OIx1QHv-gEjUu-LaLDX7ZWwWDgc3kAqqF-QgPZaBdNoqEl3LRtlncdK3p_jCs7piY06SG3VqT41YbY7rMVKs09hSVgUW4w82OZB1utsvMlgcAx0FkWMw5UDxssw1IljBpG8mn_RS-wpEULAO_Ukt7m5PSw"}]}"#;
const OP_ISSUER: &str = "http://127.0.0.1:38915";
const OP_CLIENT: &str = "public";
const OP_NOW: u64 = 1_796_219_100;

fn all_algorithms(issuer: &str, client: &str) -> IdTokenChecks {
    let mut checks = IdTokenChecks::new(issuer, client);
    checks.allowed_algorithms = vec![
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::EdDSA,
        // Listed, yet always refused: the provider's keys are public.
        Algorithm::HS256,
    ];
    checks
}

fn op_jwks() -> &'static Jwks {
    static JWKS: OnceLock<Jwks> = OnceLock::new();
    JWKS.get_or_init(|| Jwks::from_json(OP_JWKS.as_bytes()).expect("the provider's JWKS parses"))
}

fn check(token: &str, jwks: &Jwks, checks: &IdTokenChecks, now: SystemTime) {
    let outcome = verify_id_token(token, jwks, checks, Some(NONCE), None, now);
    match &outcome {
        Ok(claims) => {
            assert_eq!(claims.iss, checks.issuer);
            assert!(claims.aud.contains(&checks.client_id));
            assert_eq!(claims.nonce.as_deref(), Some(NONCE));
            let secs = now.duration_since(UNIX_EPOCH).unwrap().as_secs();
            assert!(claims.exp + checks.leeway.as_secs() >= secs);
            assert!(claims.iat <= secs + checks.leeway.as_secs());
            // The same token without a nonce to compare (a refresh) verifies too.
            assert!(verify_id_token(token, jwks, checks, None, None, now).is_ok());
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    let mut strict = IdTokenChecks::new(ISSUER, CLIENT_ID);
    strict.max_age = Some(Duration::from_secs(600));
    check(
        token,
        &keys().jwks,
        &all_algorithms(ISSUER, CLIENT_ID),
        now(),
    );
    check(token, &keys().jwks, &strict, now());
    let op_now = UNIX_EPOCH + Duration::from_secs(OP_NOW);
    check(
        token,
        op_jwks(),
        &all_algorithms(OP_ISSUER, OP_CLIENT),
        op_now,
    );
});
