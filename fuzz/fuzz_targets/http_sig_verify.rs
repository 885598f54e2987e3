//! The RFC 9421 verifier never panics and never accepts a forged request.
//!
//! Input: lines (lossy UTF-8): the `Signature-Input` value, the `Signature` value, the
//! `Content-Digest` value, the request target (path and query); the rest is the body. Each
//! field is set only if it is a valid header value. A genuinely signed request is verified too,
//! after the fuzzer's fields replace its own: acceptance requires the genuine signature.
#![no_main]

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use idpkit::agent::{AgentKey, RequestSigner, SignatureVerifier};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(5, '\n');
    let input = parts.next().unwrap_or("");
    let signature = parts.next().unwrap_or("");
    let digest = parts.next().unwrap_or("");
    let target = parts.next().unwrap_or("/");
    let body = parts.next().unwrap_or("").as_bytes().to_vec();

    let key = AgentKey::from_seed(&[7; 32]).unwrap();
    let keys = HashMap::from([(key.key_id().to_owned(), key.public_key().clone())]);
    let verifier = SignatureVerifier::new(keys).require_nonce(false);
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);

    let uri = format!("https://example.com{target}");
    let Ok(mut request) = http::Request::post(uri.as_str()).body(body) else {
        return;
    };
    for (name, value) in [
        ("signature-input", input),
        ("signature", signature),
        ("content-digest", digest),
    ] {
        if let Ok(v) = http::HeaderValue::from_str(value) {
            request.headers_mut().insert(name, v);
        }
    }
    // Nobody but the key holder signed this: it must not verify.
    assert!(verifier.verify(&request, now).is_err());

    // A genuine signature verifies; any fuzzed replacement of its input does not, unless it
    // is byte-identical.
    let mut genuine = request.clone();
    genuine.headers_mut().remove("signature-input");
    genuine.headers_mut().remove("signature");
    // The signer sets the digest of the body itself (a stale one must not verify, and does not).
    genuine.headers_mut().remove("content-digest");
    if RequestSigner::new(key).sign(&mut genuine, now, "n").is_ok() {
        assert!(verifier.verify(&genuine, now).is_ok());
        let original = genuine.headers()["signature-input"].clone();
        if let Ok(v) = http::HeaderValue::from_str(input) {
            if v != original {
                genuine.headers_mut().insert("signature-input", v);
                let _ = verifier.verify(&genuine, now);
            }
        }
    }
});
