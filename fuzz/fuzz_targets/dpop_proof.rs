//! The guard's DPoP proof verifier (`DpopChecks::verify`, RFC 9449 §4.3) on proofs whose header
//! and claims are arbitrary but whose signature is real: the harness signs what the fuzzer
//! writes with a fixed Ed25519 key (and puts that key's public JWK in the header when the header
//! has none), so inputs reach the `typ`, `htm`, `htu`, `iat`, `ath` and `jti` checks. The raw
//! bytes are also tried as a proof. Every input is refused with a typed error or verifies; nothing
//! panics.
//!
//! Input: lines. 1: the header JSON; 2: the claims JSON. Missing lines count as empty.
#![no_main]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use idpkit::agent::AgentKey;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let header = lines.next().unwrap_or_default();
    let claims = lines.next().unwrap_or_default();
    let key = AgentKey::from_seed(&[7; 32]).expect("a fixed key");
    let header = match serde_json::from_str::<serde_json::Value>(header) {
        Ok(serde_json::Value::Object(mut object)) => {
            if !object.contains_key("jwk") {
                let jwk: serde_json::Value =
                    serde_json::from_str(&key.public_key().to_jwk()).expect("a JWK");
                object.insert("jwk".into(), jwk);
            }
            serde_json::Value::Object(object).to_string()
        }
        _ => header.to_owned(),
    };
    let mut proof = URL_SAFE_NO_PAD.encode(header.as_bytes());
    proof.push('.');
    proof.push_str(&URL_SAFE_NO_PAD.encode(claims.as_bytes()));
    let signature = key.sign(proof.as_bytes());
    proof.push('.');
    proof.push_str(&URL_SAFE_NO_PAD.encode(signature));
    if idpkit::dpop::fuzz_verify_proof(proof.as_bytes()) {
        // Only a proof for the harness's request verifies.
        let claims: serde_json::Value = serde_json::from_str(claims).expect("claims that verified");
        assert_eq!(claims["htm"], "GET");
    }
    let _ = idpkit::dpop::fuzz_verify_proof(data);
});
