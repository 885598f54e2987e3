//! The outside inputs the RP certification features read: a WebFinger answer and identifier,
//! a signed (`application/jwt`) userinfo answer, aggregated / distributed claim references and
//! claims JWTs. None may panic; what is accepted keeps its invariants (an issuer link is a
//! valid issuer, a verified userinfo has a `sub`, merged claims never overwrite `sub`).
//!
//! Input: one selector byte, then a response as `idpkit_fuzz::response` reads it (WebFinger,
//! userinfo) or raw bytes (an identifier, a claims object, a JWT).
#![no_main]

use idpkit::oidc::{
    ClaimsProviders, IdTokenChecks, Jwks, UserInfoResponse, WebFingerQuery, merge_resolved_claims,
    parse_claim_sources, parse_distributed_claims_response, parse_userinfo_answer,
    parse_webfinger_response, verify_claims_jwt, verify_signed_userinfo,
};
use idpkit_fuzz::{now, response};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    match selector % 5 {
        0 => {
            if let Ok(issuer) = parse_webfinger_response(response(rest), now()) {
                assert!(idpkit::oidc::Issuer::new(issuer.as_str()).is_ok());
            }
        }
        1 => {
            if let Ok(query) = WebFingerQuery::from_identifier(&text) {
                assert_eq!(query.url().path(), "/.well-known/webfinger");
                assert!(!query.resource().is_empty());
            }
        }
        2 => {
            let checks = IdTokenChecks::new("https://op.example", "app");
            match parse_userinfo_answer(response(rest), now()) {
                Ok(UserInfoResponse::Signed(jwt)) => {
                    if let Ok(claims) = verify_signed_userinfo(&jwt, &Jwks::default(), &checks) {
                        panic!("verified without keys: {:?}", claims.keys());
                    }
                }
                Ok(UserInfoResponse::Claims(claims)) => assert!(claims["sub"].is_string()),
                Ok(_) | Err(_) => {}
            }
        }
        3 => {
            let Ok(serde_json::Value::Object(mut claims)) = serde_json::from_slice(rest) else {
                return;
            };
            let Ok(Some(refs)) = parse_claim_sources(&claims) else {
                return;
            };
            let providers = ClaimsProviders::new()
                .trust("https://c.example", "https://c.example/jwks")
                .expect("a valid provider");
            let sub = claims.get("sub").cloned();
            let names: Vec<String> = refs.sources().map(|(n, _)| n.to_owned()).collect();
            for name in &names {
                let resolved = serde_json::json!({"sub": "other", "x": 1});
                merge_resolved_claims(&mut claims, &refs, name, resolved.as_object().unwrap());
            }
            if !refs.claims_of("sub").any(|_| true) {
                assert_eq!(claims.get("sub").cloned(), sub);
            }
            for (_, source) in refs.sources() {
                if let idpkit::oidc::ClaimSource::Aggregated { jwt } = source {
                    let _ = providers.provider_of(jwt);
                    assert!(verify_claims_jwt(jwt, &Jwks::default(), "https://c.example", now()).is_err());
                }
            }
        }
        _ => {
            if let Ok(jwt) = parse_distributed_claims_response(response(rest), now()) {
                assert_eq!(jwt.split('.').count(), 3);
                assert!(verify_claims_jwt(&jwt, &Jwks::default(), "https://c.example", now()).is_err());
            }
        }
    }
});
