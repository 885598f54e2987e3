//! `PolicyEngine::from_json` on arbitrary input: a typed error or an engine, never a panic;
//! when a policy loads, a few requests are decided by the indexed engine and by the unindexed
//! scan, which must agree (`fuzz_load` asserts it).
//!
//! Input: UTF-8 (lossily decoded) JSON policy text.
#![no_main]

use idpkit::authz::policy::{PolicyError, fuzz_load};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match fuzz_load(&text) {
        Ok(decided) => assert!(decided <= 4),
        Err(PolicyError::Invalid { field, .. }) => assert!(!field.is_empty()),
        Err(_) => {}
    }
});
