//! The device-flow and pushed-authorization response parsers never panic, whatever the
//! provider sends: the device authorization response, each device poll's answer (tokens,
//! `authorization_pending`, `slow_down`, errors, garbage), the polling schedule built from a
//! parsed response, and the PAR response.
//!
//! Input: the first two bytes are the HTTP status (big-endian, taken modulo 600), the rest is
//! the body, served as `application/json`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (status, body) = match data {
        [a, b, rest @ ..] => (u16::from_be_bytes([*a, *b]) % 600, rest),
        _ => (200, data),
    };
    idpkit::oidc::fuzz_device_responses(status, body);
});
