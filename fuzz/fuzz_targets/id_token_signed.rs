//! `verify_id_token` on tokens whose header and claims are arbitrary but whose signature is
//! real: the harness signs what the fuzzer writes with the fixed key the header's `alg` names,
//! so inputs get past the signature and exercise the header and claim checks. Every input is an
//! error or claims that meet every check; nothing panics.
//!
//! Input: lines. 1: the header JSON; 2: the claims JSON; 3: the expected nonce (`-` for none,
//! a refresh); 4: the access token for `at_hash` (`-` for none); 5: `max_age` in seconds (`-`
//! or absent for none). Missing lines count as `-`.
#![no_main]

use std::time::Duration;

use idpkit::oidc::{IdTokenChecks, Principal, TokenSet, verify_id_token};
use idpkit::{AccessToken, TokenValidationError};
use idpkit_fuzz::{CLIENT_ID, ISSUER, NOW_SECS, keys, now};
use jsonwebtoken::Algorithm;
use libfuzzer_sys::fuzz_target;

fn option(line: Option<&str>) -> Option<&str> {
    line.filter(|l| *l != "-")
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let header = lines.next().unwrap_or_default();
    let claims = lines.next().unwrap_or_default();
    let nonce = option(lines.next());
    let access_token = option(lines.next());
    let max_age = option(lines.next()).and_then(|s| s.parse::<u32>().ok());

    let alg = serde_json::from_str::<serde_json::Value>(header)
        .ok()
        .and_then(|h| h.get("alg")?.as_str()?.parse::<Algorithm>().ok());
    let token = keys().sign(alg, header.as_bytes(), claims.as_bytes());

    let mut checks = IdTokenChecks::new(ISSUER, CLIENT_ID);
    checks.allowed_algorithms = vec![
        Algorithm::RS256,
        Algorithm::PS384,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::EdDSA,
        Algorithm::HS256,
    ];
    checks.max_age = max_age.map(|s| Duration::from_secs(s.into()));

    match verify_id_token(&token, &keys().jwks, &checks, nonce, access_token, now()) {
        Ok(verified) => {
            assert!(alg.is_some_and(|a| a != Algorithm::HS256));
            assert_eq!(verified.iss, ISSUER);
            assert!(verified.aud.iter().any(|a| a == CLIENT_ID));
            assert!(verified.azp.is_none() || verified.azp.as_deref() == Some(CLIENT_ID));
            assert!(verified.aud.len() == 1 || verified.azp.is_some());
            assert!(verified.exp + 30 >= NOW_SECS);
            assert!(verified.iat <= NOW_SECS + 30);
            if let Some(nonce) = nonce {
                assert_eq!(verified.nonce.as_deref(), Some(nonce));
            }
            if let Some(max_age) = max_age {
                let auth_time = verified.auth_time.expect("max_age requires auth_time");
                assert!(auth_time + u64::from(max_age) + 30 >= NOW_SECS);
            }
            // What a session does next with verified claims.
            let all = verified.all_claims();
            assert_eq!(all.get("iss").and_then(|v| v.as_str()), Some(ISSUER));
            let _ = verified.to_value();
            let tokens = TokenSet::new(AccessToken::new("at"));
            if let Ok(principal) = Principal::from_claims(tokens, all) {
                assert_eq!(principal.id(), verified.sub);
                for org in principal.organizations() {
                    let _ = principal.get_scopes_for(&org.id);
                    let _ = principal.has_access_in(&org.id, "read", "projects");
                }
                let _ = principal.has_access("read", "projects");
            }
        }
        Err(e) => {
            if alg == Some(Algorithm::HS256) {
                assert!(
                    matches!(
                        e,
                        TokenValidationError::AlgorithmNotAllowed(_)
                            | TokenValidationError::Malformed(_)
                    ),
                    "HS256 must never get as far as a key: {e:?}"
                );
            }
            let _ = e.to_string();
        }
    }
});
