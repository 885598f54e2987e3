//! The authorization callback: `CallbackParams::from_url` / `from_query` on arbitrary input,
//! then `validate_callback` against a fixed stored request. A code is returned only for the
//! request's own `state`, the expected `iss` (or none where allowed) and no `error`; `Debug`
//! never shows the code; nothing panics.
//!
//! Input: a callback URL or query string. `STATE` in it stands for the stored request's
//! `state`, so that inputs get past the state check.
#![no_main]

use std::sync::OnceLock;

use idpkit::oidc::{AuthorizationRequest, CallbackParams, validate_callback};
use idpkit_fuzz::leaks;
use libfuzzer_sys::fuzz_target;

/// The test provider's issuer.
const ISSUER: &str = "http://127.0.0.1:38915";

fn stored() -> &'static AuthorizationRequest {
    static REQUEST: OnceLock<AuthorizationRequest> = OnceLock::new();
    REQUEST.get_or_init(|| {
        serde_json::from_str(
            r#"{"url":"http://127.0.0.1:38915/auth?response_type=code&client_id=public","state":"af0ifjsldkj-0S6_WzA2MjQ","nonce":"n-0S6_WzA2Mj","code_verifier":"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk","redirect_uri":"http://127.0.0.1:8976/callback"}"#,
        )
        .expect("the stored request parses")
    })
}

fn check(params: &CallbackParams) {
    let request = stored();
    let mut redacted = params.clone();
    redacted.code = redacted.code.map(|_| "x".to_owned());
    if let Some(code) = &params.code {
        let (debug, redacted) = (format!("{params:?}"), format!("{redacted:?}"));
        assert!(
            !leaks(code, &debug, &redacted),
            "the code in Debug: {debug}"
        );
    }
    for iss_supported in [false, true] {
        match validate_callback(params, request, ISSUER, iss_supported) {
            Ok(code) => {
                assert_eq!(params.state.as_deref(), Some(request.state.as_str()));
                assert!(params.error.is_none());
                assert!(
                    params.iss.as_deref() == Some(ISSUER)
                        || (params.iss.is_none() && !iss_supported)
                );
                assert_eq!(Some(&code), params.code.as_ref());
                assert!(!code.is_empty());
            }
            Err(e) => {
                let _ = (e.to_string(), e.oauth());
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).replace("STATE", &stored().state);
    for params in [
        CallbackParams::from_url(&text),
        CallbackParams::from_query(&text),
    ]
    .into_iter()
    .flatten()
    {
        check(&params);
    }
});
