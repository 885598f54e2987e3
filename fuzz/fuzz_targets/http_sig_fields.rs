//! The RFC 8941 structured-field dictionary parser behind `Signature-Input`, `Signature` and
//! `Content-Digest` never panics, on any bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = idpkit::agent::fuzz_parse_dictionary(data);
});
