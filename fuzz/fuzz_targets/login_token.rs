//! `LoginManager::verify` and `verify_with_jwks` on arbitrary token text, for login types of
//! every algorithm (HS256, RS256, ES256, EdDSA): a typed error or claims, never a panic.
//!
//! Input: UTF-8 (lossily decoded) compact JWT text.
#![no_main]

use idpkit::login::fuzz_verify;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Nothing but the fixed keys' own tokens can verify, and the fuzzer cannot sign.
    assert_eq!(fuzz_verify(&text), 0);
});
