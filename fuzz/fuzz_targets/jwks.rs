//! JWK Sets: `Jwks::from_json` on the body and `parse_jwks_response` on the whole response
//! agree, key lookup is consistent, and tokens signed by the fixed keys verify against the
//! fuzzed set without panicking (a fuzzed key that carries real key material verifies them).
//!
//! Input: a response as `idpkit_fuzz::response` reads it, or a bare JSON document.
#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use idpkit::oidc::{IdTokenChecks, Jwks, parse_jwks_response, verify_id_token};
use idpkit_fuzz::{CLIENT_ID, ISSUER, NONCE, NOW_SECS, keys, now, response};
use jsonwebtoken::{Algorithm, AlgorithmFamily};
use libfuzzer_sys::fuzz_target;

const ALGORITHMS: [Algorithm; 9] = [
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

/// One valid token per algorithm, signed by the fixed keys: with the key's `kid` and without.
fn tokens() -> &'static [(Algorithm, String)] {
    static TOKENS: OnceLock<Vec<(Algorithm, String)>> = OnceLock::new();
    TOKENS.get_or_init(|| {
        let claims = serde_json::json!({
            "iss": ISSUER, "sub": "user-1", "aud": CLIENT_ID, "nonce": NONCE,
            "iat": NOW_SECS, "exp": NOW_SECS + 300,
        })
        .to_string();
        let mut tokens = Vec::new();
        for alg in [
            Algorithm::RS256,
            Algorithm::PS256,
            Algorithm::ES256,
            Algorithm::ES384,
            Algorithm::EdDSA,
        ] {
            let kid = match alg.family() {
                AlgorithmFamily::Rsa => "rsa",
                AlgorithmFamily::Ec if alg == Algorithm::ES384 => "ec384",
                AlgorithmFamily::Ec => "ec",
                _ => "ed",
            };
            for header in [
                serde_json::json!({"alg": alg, "kid": kid}),
                serde_json::json!({"alg": alg}),
            ] {
                let token =
                    keys().sign(Some(alg), header.to_string().as_bytes(), claims.as_bytes());
                tokens.push((alg, token));
            }
        }
        tokens
    })
}

fn exercise(jwks: &Jwks) {
    assert_eq!(jwks.keys().count(), jwks.len());
    assert_eq!(jwks.is_empty(), jwks.keys().next().is_none());
    for key in jwks.keys() {
        let _ = (key.kid(), key.family(), key.alg(), key.decoding_key());
        if let Some(alg) = key.alg() {
            assert!(key.supports(alg));
        }
    }
    for alg in ALGORITHMS {
        let supporting = jwks.keys().filter(|k| k.supports(alg)).count();
        assert_eq!(jwks.find(None, alg).is_some(), supporting == 1);
        for kid in jwks.kids() {
            let found = jwks.find(Some(kid), alg);
            assert!(found.is_none_or(|k| k.kid() == Some(kid) && k.supports(alg)));
        }
    }
    let mut checks = IdTokenChecks::new(ISSUER, CLIENT_ID);
    checks.allowed_algorithms = ALGORITHMS.to_vec();
    checks.max_age = Some(Duration::from_secs(60));
    for (_, token) in tokens() {
        let _ = verify_id_token(token, jwks, &checks, Some(NONCE), None, now());
    }
}

fuzz_target!(|data: &[u8]| {
    let response = response(data);
    let status = response.status();
    let is_json = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(idpkit::http::is_json_content_type);
    let direct = Jwks::from_json(response.body());
    let parsed = parse_jwks_response(response, now());
    if status.is_success() && is_json {
        assert_eq!(
            direct.as_ref().map(Jwks::len).ok(),
            parsed.as_ref().map(Jwks::len).ok()
        );
    } else {
        assert!(parsed.is_err());
    }
    for jwks in [direct, parsed].into_iter().flatten() {
        exercise(&jwks);
    }
});
