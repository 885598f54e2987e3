//! AuthZEN PDP metadata: `parse_metadata_response` for a fixed PDP identifier. Accepted metadata
//! names that PDP, resolves every endpoint, and survives a serde round trip; nothing panics.
//!
//! Input: a response as `idpkit_fuzz::response` reads it, or a bare JSON document.
#![no_main]

use idpkit::authz::authzen::{PdpId, PdpMetadata, SearchKind, parse_metadata_response};
use idpkit_fuzz::{now, response};
use libfuzzer_sys::fuzz_target;

/// The test PDP's (Cerbos) identifier, as in the seeds taken from it.
const PDP: &str = "http://127.0.0.1:34871";

fuzz_target!(|data: &[u8]| {
    let id = PdpId::new(PDP).expect("a valid PDP id");
    let metadata = match parse_metadata_response(&id, response(data), now()) {
        Ok(metadata) => metadata,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    assert_eq!(metadata.policy_decision_point, PDP);
    let endpoints = metadata
        .endpoints(&id)
        .expect("validated metadata has endpoints");
    for kind in [
        SearchKind::Subject,
        SearchKind::Resource,
        SearchKind::Action,
    ] {
        let url = endpoints.search(kind);
        assert!(matches!(url.scheme(), "https" | "http"));
    }
    for urn in &metadata.capabilities {
        assert!(metadata.supports_capability(urn));
    }
    let json = serde_json::to_vec(&metadata).expect("serialises");
    let again: PdpMetadata = serde_json::from_slice(&json).expect("parses back");
    assert_eq!(again, metadata);
});
