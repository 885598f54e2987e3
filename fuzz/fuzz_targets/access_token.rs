//! `verify_access_token` (RFC 9068) on tokens whose header and claims are arbitrary but whose
//! signature is real: the harness signs what the fuzzer writes with the fixed key the header's
//! `alg` names, so inputs reach the `typ` and claim checks. Every input is an error or claims
//! that meet every check (`typ` `at+jwt`, issuer, audience, times, required claims); the raw
//! bytes are also tried as a token. Nothing panics.
//!
//! Input: lines. 1: the header JSON; 2: the claims JSON. Missing lines count as empty.
#![no_main]

use idpkit::TokenValidationError;
use idpkit::oidc::{AccessTokenChecks, verify_access_token};
use idpkit_fuzz::{ISSUER, NOW_SECS, keys, now};
use jsonwebtoken::Algorithm;
use libfuzzer_sys::fuzz_target;

const AUDIENCE: &str = "urn:api";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let header = lines.next().unwrap_or_default();
    let claims = lines.next().unwrap_or_default();
    let header_json = serde_json::from_str::<serde_json::Value>(header).ok();
    let alg = header_json
        .as_ref()
        .and_then(|h| h.get("alg")?.as_str()?.parse::<Algorithm>().ok());
    let token = keys().sign(alg, header.as_bytes(), claims.as_bytes());

    let mut checks = AccessTokenChecks::new(ISSUER, AUDIENCE);
    checks.allowed_algorithms = vec![
        Algorithm::RS256,
        Algorithm::ES256,
        Algorithm::EdDSA,
        // Listed, yet always refused: the provider's keys are public.
        Algorithm::HS256,
    ];
    for candidate in [token.as_str(), text.as_ref()] {
        match verify_access_token(candidate, &keys().jwks, &checks, now()) {
            Ok(verified) => {
                let typ = header_json
                    .as_ref()
                    .and_then(|h| h.get("typ")?.as_str())
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                assert!(typ == "at+jwt" || typ == "application/at+jwt", "typ {typ:?}");
                assert_ne!(alg, Some(Algorithm::HS256));
                assert_eq!(verified.iss, ISSUER);
                assert!(verified.aud.iter().any(|a| a == AUDIENCE));
                let leeway = checks.leeway.as_secs();
                assert!(verified.exp.saturating_add(leeway) >= NOW_SECS);
                assert!(verified.iat <= NOW_SECS + leeway);
            }
            Err(e) => {
                let _ = e.to_string();
                if let TokenValidationError::WrongTokenType(t) = &e {
                    assert!(t.len() <= 64, "a bounded echo of typ");
                }
            }
        }
    }
});
