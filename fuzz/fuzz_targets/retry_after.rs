//! `Retry-After` (RFC 9110 §10.2.3): `retry_after` on an arbitrary header value, at a fixed
//! "now" and at the Unix epoch. Delay-seconds give exactly that delay, an HTTP date a delay
//! that ends at that date (zero when past); nothing panics.
//!
//! Input: the header value.
#![no_main]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderValue};
use idpkit::http::retry_after;
use idpkit_fuzz::now;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = HeaderValue::from_bytes(data) else {
        return;
    };
    // What idpkit can read of a header value: visible ASCII (`HeaderValue::to_str`), trimmed.
    let text = value.to_str().map(|t| t.trim().to_owned());
    let mut headers = HeaderMap::new();
    headers.insert("retry-after", value);
    for at in [
        now(),
        UNIX_EPOCH,
        UNIX_EPOCH + Duration::from_secs(253_402_300_799),
    ] {
        let delay = retry_after(&headers, at);
        match &text {
            Ok(text) if text.parse::<u64>().is_ok() => {
                assert_eq!(delay, Some(Duration::from_secs(text.parse().unwrap())));
            }
            Ok(text) => {
                let date = date_read(text);
                if let Some(delay) = delay {
                    let date = date.expect("a delay from a date");
                    assert_eq!(delay, date.duration_since(at).unwrap_or(Duration::ZERO));
                }
            }
            Err(_) => assert!(delay.is_none()),
        }
    }
});

/// The date idpkit read from the value: its delay counted from the epoch.
fn date_read(text: &str) -> Option<SystemTime> {
    let mut headers = HeaderMap::new();
    headers.insert("retry-after", HeaderValue::from_str(text).ok()?);
    retry_after(&headers, UNIX_EPOCH).map(|d| UNIX_EPOCH + d)
}
