//! Error answers: `check_status` on any response. A 2xx passes through untouched; anything else
//! is an error with the response's status, an OAuth error (RFC 6749 §5.2) when the body is one,
//! and the `Retry-After` that `retry_after` reads; its `Display` holds no more than a bounded
//! excerpt of the body; the retry policy's delay for it stays capped; nothing panics.
//!
//! Input: a response as `idpkit_fuzz::response` reads it, or a bare JSON document (a 200).
#![no_main]

use idpkit::http::{RetryPolicy, check_status, retry_after};
use idpkit::{BODY_EXCERPT_LEN, ErrorKind};
use idpkit_fuzz::{now, response};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let response = response(data);
    let status = response.status();
    let expected_retry = retry_after(response.headers(), now());
    let body = response.body().clone();
    match check_status(response, now()) {
        Ok(passed) => {
            assert!(status.is_success());
            assert_eq!(passed.body(), &body);
        }
        Err(e) => {
            assert!(!status.is_success());
            assert_eq!(e.status(), Some(status.as_u16()));
            assert_eq!(e.retry_after(), expected_retry);
            match e.kind() {
                ErrorKind::OAuth(oauth) => {
                    assert!(!oauth.code.as_str().is_empty());
                    let _ = (&oauth.description, &oauth.uri);
                }
                ErrorKind::Status { body_excerpt, .. } => {
                    assert!(body_excerpt.len() <= BODY_EXCERPT_LEN * 3);
                }
                other => panic!("unexpected error kind {other:?}"),
            }
            let _ = (
                e.to_string(),
                format!("{e:?}"),
                e.is_retryable(),
                e.is_timeout(),
            );
            let policy = RetryPolicy::default();
            for attempt in 0..3 {
                assert!(
                    policy
                        .delay(attempt, &e)
                        .is_none_or(|d| d <= policy.max_delay)
                );
            }
        }
    }
});
