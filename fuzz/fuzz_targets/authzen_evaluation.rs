//! AuthZEN access evaluation answers: `parse_evaluation_response`, then every accessor of the
//! `Decision` (the AuthZEN context members and the Cerbos extensions). An accepted decision
//! came with a 2xx status and survives a serde round trip; nothing panics.
//!
//! Input: a response as `idpkit_fuzz::response` reads it, or a bare JSON document.
#![no_main]

use idpkit::authz::authzen::{Decision, parse_evaluation_response};
use idpkit_fuzz::{now, response};
use libfuzzer_sys::fuzz_target;

/// Everything a caller may ask of a decision.
fn exercise(decision: &Decision) {
    assert_eq!(decision.is_permitted(), decision.decision);
    let _ = (
        decision.get("reason"),
        decision.reason(),
        decision.reason_admin(),
        decision.reason_user(),
        decision.code(),
        decision.error(),
        decision.cerbos_response(),
        decision.policy_id(),
        decision.access_path(),
        decision.outputs(),
    );
    let json = serde_json::to_vec(decision).expect("serialises");
    let again: Decision = serde_json::from_slice(&json).expect("parses back");
    assert_eq!(&again, decision);
}

fuzz_target!(|data: &[u8]| {
    let response = response(data);
    let status = response.status();
    match parse_evaluation_response(response, now()) {
        Ok(decision) => {
            assert!(status.is_success());
            exercise(&decision);
        }
        Err(e) => {
            if !status.is_success() {
                assert_eq!(e.status(), Some(status.as_u16()));
            }
            let _ = (e.to_string(), e.is_retryable());
        }
    }
});
