//! `WWW-Authenticate` challenges (RFC 9110 §11.6.1, RFC 6750 §3): each input line is one
//! header of a 401 userinfo answer with an empty body, so the challenge parser alone decides
//! the OAuth error. The answer is an error with status 401, and it carries an OAuth error only
//! when some header names a `Bearer` challenge; nothing panics.
//!
//! Input: header values, one per line.
#![no_main]

use http::HeaderValue;
use idpkit::oidc::parse_userinfo_response;
use idpkit_fuzz::now;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut builder = http::Response::builder().status(401);
    let mut any_bearer = false;
    for line in data.split(|&b| b == b'\n') {
        if let Ok(value) = HeaderValue::from_bytes(line) {
            any_bearer |= line.to_ascii_lowercase().windows(6).any(|w| w == b"bearer");
            builder = builder.header("www-authenticate", value);
        }
    }
    let response = builder.body(Vec::new()).expect("valid header values");
    let e = parse_userinfo_response(response, now()).expect_err("a 401 is an error");
    assert_eq!(e.status(), Some(401));
    if let Some(oauth) = e.oauth() {
        assert!(any_bearer, "an OAuth error without a Bearer challenge");
        assert!(!oauth.code.as_str().is_empty());
    }
    let _ = (e.to_string(), format!("{e:?}"));
});
