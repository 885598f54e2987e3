//! Token introspection responses (RFC 7662): `parse_introspection_response`. An accepted
//! answer came with a 2xx status and survives a serde round trip; nothing panics.
//!
//! Input: a response as `idpkit_fuzz::response` reads it, or a bare JSON document.
#![no_main]

use idpkit::oidc::{Introspection, parse_introspection_response};
use idpkit_fuzz::{now, response};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let response = response(data);
    let status = response.status();
    match parse_introspection_response(response, now()) {
        Ok(introspection) => {
            assert!(status.is_success());
            let json = serde_json::to_vec(&introspection).expect("serialises");
            let again: Introspection = serde_json::from_slice(&json).expect("parses back");
            assert_eq!(again, introspection);
        }
        Err(e) => {
            if !status.is_success() {
                assert_eq!(e.status(), Some(status.as_u16()));
            }
            let _ = e.to_string();
        }
    }
});
