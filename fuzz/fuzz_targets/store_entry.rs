//! The opener of a token entry read back from the shared store (Redis: outside input) never
//! panics and never accepts a tampered entry: the input is opened as an entry, and, when its
//! first byte is odd, a genuinely sealed token is opened after the rest of the input has
//! flipped bits of it (a changed entry must not open).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    idpkit::store::fuzz_open_token(data);
});
