//! Userinfo responses: `parse_userinfo_response`, including the `WWW-Authenticate` challenge
//! of an error answer. Accepted claims have a non-empty `sub` and make a `Principal` whose
//! organizations and access checks work; an error answer keeps its status; nothing panics.
//!
//! Input: a response as `idpkit_fuzz::response` reads it, or a bare JSON document.
#![no_main]

use idpkit::AccessToken;
use idpkit::oidc::{Principal, TokenSet, parse_userinfo_response};
use idpkit_fuzz::{now, response};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let response = response(data);
    let status = response.status();
    match parse_userinfo_response(response, now()) {
        Ok(claims) => {
            assert!(status.is_success());
            let sub = claims
                .get("sub")
                .and_then(|s| s.as_str())
                .expect("a sub string");
            assert!(!sub.is_empty());
            let tokens = TokenSet::new(AccessToken::new("at")).with_scope("projects:read");
            let principal = Principal::from_claims(tokens, claims.clone()).expect("a principal");
            assert_eq!(principal.id(), sub);
            let _ = (
                principal.principal_type(),
                principal.email(),
                principal.email_verified(),
            );
            for org in principal.organizations() {
                let _ = principal.get_scopes_for(&org.id);
                let _ = principal.has_access_in(&org.id, "read", "projects");
            }
            let _ = principal.has_access("read", "projects");
        }
        Err(e) => {
            if !status.is_success() {
                assert_eq!(e.status(), Some(status.as_u16()));
            }
            let _ = (e.to_string(), e.oauth(), e.retry_after());
        }
    }
});
