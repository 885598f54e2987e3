//! OpenID provider metadata: `parse_discovery_response` for a fixed issuer. Accepted metadata
//! names that issuer, passes `validate` again, survives a serde round trip, and yields a usable
//! algorithm list; nothing panics.
//!
//! Input: a response as `idpkit_fuzz::response` reads it, or a bare JSON document.
#![no_main]

use idpkit::oidc::{IdTokenChecks, Issuer, ProviderMetadata, parse_discovery_response};
use idpkit_fuzz::{now, response};
use jsonwebtoken::AlgorithmFamily;
use libfuzzer_sys::fuzz_target;

/// The test provider's issuer, as in the seeds taken from it.
const ISSUER: &str = "http://127.0.0.1:38915";

fuzz_target!(|data: &[u8]| {
    let issuer = Issuer::new(ISSUER).expect("a valid issuer");
    let metadata = match parse_discovery_response(&issuer, response(data), now()) {
        Ok(metadata) => metadata,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    assert_eq!(metadata.issuer, ISSUER);
    metadata
        .validate(&issuer)
        .expect("accepted metadata validates again");
    let algorithms =
        IdTokenChecks::algorithms_from_metadata(&metadata.id_token_signing_alg_values_supported);
    assert!(!algorithms.is_empty());
    assert!(
        algorithms
            .iter()
            .all(|a| a.family() != AlgorithmFamily::Hmac)
    );
    let json = serde_json::to_vec(&metadata).expect("metadata serialises");
    let again: ProviderMetadata = serde_json::from_slice(&json).expect("and parses back");
    assert_eq!(again, metadata);
});
