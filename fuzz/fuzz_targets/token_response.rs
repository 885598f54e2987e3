//! Token endpoint responses: `parse_token_response`. An accepted response has a non-empty
//! access token of type Bearer or DPoP and an expiry at or after "now"; its `Debug` never shows
//! a token; a service `Principal` made from it answers every question; an error answer is an
//! error with the response's status. Nothing panics.
//!
//! Input: a response as `idpkit_fuzz::response` reads it, or a bare JSON document.
#![no_main]

use std::time::Duration;

use idpkit::oidc::{Principal, parse_token_response};
use idpkit::{AccessToken, IdToken, RefreshToken};
use idpkit_fuzz::{NOW_SECS, leaks, now, response};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let response = response(data);
    let status = response.status();
    match parse_token_response(response, now()) {
        Ok(tokens) => {
            assert!(status.is_success());
            let access = tokens.access_token.expose_secret();
            assert!(!access.is_empty());
            assert!(
                tokens.token_type.eq_ignore_ascii_case("bearer")
                    || tokens.token_type.eq_ignore_ascii_case("dpop")
            );
            if let Some(at) = tokens.expires_at {
                assert!(at >= NOW_SECS);
                assert!(tokens.expires_in(now()).is_some());
            }
            let _ = tokens.is_expired(now(), Duration::from_secs(30));
            let mut redacted = tokens.clone();
            redacted.access_token = AccessToken::new("x");
            redacted.refresh_token = redacted.refresh_token.map(|_| RefreshToken::new("x"));
            redacted.id_token = redacted.id_token.map(|_| IdToken::new("x"));
            let (debug, redacted) = (format!("{tokens:?}"), format!("{redacted:?}"));
            let secrets = [
                Some(access),
                tokens.refresh_token.as_ref().map(|t| t.expose_secret()),
                tokens.id_token.as_ref().map(|t| t.expose_secret()),
            ];
            for secret in secrets.into_iter().flatten() {
                assert!(
                    !leaks(secret, &debug, &redacted),
                    "a token in Debug: {debug}"
                );
            }
            let merged = tokens.clone().merge_previous(&tokens);
            assert_eq!(merged.access_token.expose_secret(), access);
            // What a service session does with it.
            let agent = Principal::for_service("service", tokens.clone());
            let _ = (
                agent.expires_at(),
                agent.expires_in(),
                agent.is_expired(Duration::ZERO),
            );
            let _ = agent.has_access("read", "projects");
        }
        Err(e) => {
            if !status.is_success() {
                assert_eq!(e.status(), Some(status.as_u16()));
            }
            let _ = (e.to_string(), format!("{e:?}"), e.is_retryable(), e.oauth());
        }
    }
});
