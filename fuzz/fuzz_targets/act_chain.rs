//! The RFC 8693 `act` chain and `may_act` readers never panic on any claims, and a chain that
//! parses is never deeper than the limit, its current actor first.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = idpkit::agent::fuzz_act_chain(data);
});
