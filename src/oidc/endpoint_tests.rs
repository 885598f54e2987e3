//! Unit tests of the revocation, introspection, userinfo and logout files.

use std::time::{Duration, SystemTime};

use super::*;
use crate::error::ErrorKind;
use crate::error::{OAuthErrorCode, Result};
use crate::http::{HttpResponse, RequestLimits};
use crate::secret::{AccessToken, IdToken};
use serde_json::Value;

const LIMITS: RequestLimits = RequestLimits {
    timeout: Duration::from_secs(5),
    max_response_bytes: 1000,
};

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn response(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
    let mut b = http::Response::builder().status(status);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(body.as_bytes().to_vec()).unwrap()
}

fn json(status: u16, body: &str) -> HttpResponse {
    response(status, &[("content-type", "application/json")], body)
}

fn public() -> ClientAuth {
    ClientAuth::None {
        client_id: "app".into(),
    }
}

fn kind<T: std::fmt::Debug>(r: Result<T>) -> ErrorKind {
    r.unwrap_err().into_kind()
}

fn is_config<T: std::fmt::Debug>(r: Result<T>) -> bool {
    matches!(kind(r), ErrorKind::Config { .. })
}

fn is_malformed<T: std::fmt::Debug>(r: Result<T>) -> bool {
    matches!(kind(r), ErrorKind::MalformedResponse { .. })
}

#[test]
fn revocation_and_introspection_requests() {
    let basic = ClientAuth::ClientSecretBasic {
        client_id: "app".into(),
        secret: "s".into(),
    };
    let hint = Some(TokenTypeHint::AccessToken);
    let endpoint = "https://op.example/revoke";
    let req = build_revocation_request(endpoint, "a b+c", hint, &basic, LIMITS).unwrap();
    assert_eq!(
        (req.method().as_str(), req.uri().to_string()),
        ("POST", endpoint.into())
    );
    assert_eq!(req.body(), b"token=a+b%2Bc&token_type_hint=access_token");
    assert_eq!(req.headers()["authorization"], "Basic YXBwOnM=");
    assert!(req.headers()["authorization"].is_sensitive());
    assert_eq!(
        req.headers()["content-type"],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(RequestLimits::of(&req), LIMITS);

    let endpoint = "https://op.example/introspect";
    let req = build_introspection_request(endpoint, "t", None, &public(), LIMITS).unwrap();
    assert_eq!(req.body(), b"token=t&client_id=app");
    assert!(req.headers().get("authorization").is_none());
    assert_eq!(req.headers()["accept"], "application/json");

    for (endpoint, token) in [("http://op.example/r", "t"), ("https://op.example/r", "")] {
        let r = build_revocation_request(endpoint, token, None, &public(), LIMITS);
        assert!(is_config(r));
        let r = build_introspection_request(endpoint, token, None, &public(), LIMITS);
        assert!(is_config(r));
    }
}

#[test]
fn revocation_responses() {
    assert!(parse_revocation_response(response(200, &[], "ignored <html>"), now()).is_ok());
    assert!(parse_revocation_response(response(204, &[], ""), now()).is_ok());
    let body = r#"{"error":"unsupported_token_type"}"#;
    let err = parse_revocation_response(json(400, body), now()).unwrap_err();
    assert_eq!(
        err.oauth().unwrap().code,
        OAuthErrorCode::UnsupportedTokenType
    );
    let busy = response(503, &[("retry-after", "30")], "");
    let err = parse_revocation_response(busy, now()).unwrap_err();
    assert_eq!(
        (err.status(), err.retry_after()),
        (Some(503), Some(Duration::from_secs(30)))
    );
}

#[test]
fn introspection_responses() {
    let body = r#"{"active":true,"scope":"read write","client_id":"c","username":"u",
            "token_type":"Bearer","exp":1700003600,"iat":1700000000,"nbf":1700000001,
            "sub":"s","aud":"https://api.example","iss":"https://op.example","jti":"j",
            "ext":{"k":1}}"#;
    let i = parse_introspection_response(json(200, body), now()).unwrap();
    assert!(i.active);
    let strings = [
        &i.scope,
        &i.client_id,
        &i.username,
        &i.token_type,
        &i.sub,
        &i.iss,
        &i.jti,
    ];
    let strings = strings.map(|s| s.as_deref().unwrap());
    assert_eq!(
        strings,
        [
            "read write",
            "c",
            "u",
            "Bearer",
            "s",
            "https://op.example",
            "j"
        ]
    );
    assert_eq!(
        [i.exp, i.iat, i.nbf],
        [1_700_003_600, 1_700_000_000, 1_700_000_001].map(Some)
    );
    assert_eq!(i.aud, ["https://api.example"]);
    assert_eq!((i.extra.len(), &i.extra["ext"]["k"]), (1, &Value::from(1)));
    let back = serde_json::from_value::<Introspection>(serde_json::to_value(&i).unwrap());
    assert_eq!(back.unwrap(), i);

    let inactive = parse_introspection_response(json(200, r#"{"active":false}"#), now());
    let inactive = inactive.unwrap();
    assert!(!inactive.active && inactive.aud.is_empty() && inactive.extra.is_empty());
    let body = r#"{"active":true,"aud":["a","b"]}"#;
    assert_eq!(
        parse_introspection_response(json(200, body), now())
            .unwrap()
            .aud,
        ["a", "b"]
    );
    let body = r#"{"active":true,"aud":null,"sub":null}"#;
    let i = parse_introspection_response(json(200, body), now()).unwrap();
    assert!(i.aud.is_empty() && i.sub.is_none());
}

#[test]
fn bad_introspection_responses() {
    let bodies = [
        "{}",
        r#"{"active":"true"}"#,
        r#"{"active":1}"#,
        r#"{"active":true,"aud":[1]}"#,
        r#"{"active":true,"aud":{"x":"secret-value"}}"#,
        r#"{"active":true,"exp":-1}"#,
        r#"{"active":true,"exp":1e40}"#,
        r#"{"active":true,"exp":"secret-value"}"#,
        r#"{"active":true,"sub":42}"#,
        "[]",
        "not json secret-value",
        "",
    ];
    for body in bodies {
        let err = parse_introspection_response(json(200, body), now()).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::MalformedResponse { .. }),
            "{body}"
        );
        assert!(!format!("{err} {err:?}").contains("secret-value"), "{body}");
    }
    let ct = [("content-type", "application/token-introspection+jwt")];
    assert!(is_malformed(parse_introspection_response(
        response(200, &ct, "e.y.j"),
        now()
    )));
    let body = r#"{"error":"invalid_client"}"#;
    let err = parse_introspection_response(json(401, body), now()).unwrap_err();
    assert_eq!(err.oauth().unwrap().code, OAuthErrorCode::InvalidClient);
}

#[test]
fn userinfo_request() {
    let endpoint = "https://op.example/userinfo?x=1";
    let req = build_userinfo_request(endpoint, &"at-secret".into(), LIMITS).unwrap();
    assert_eq!(
        (req.method().as_str(), req.uri().to_string()),
        ("GET", endpoint.into())
    );
    assert_eq!(req.headers()["authorization"], "Bearer at-secret");
    assert!(req.headers()["authorization"].is_sensitive());
    assert!(req.body().is_empty());
    assert!(!format!("{req:?}").contains("at-secret"));
    let https = "https://op.example/userinfo";
    for (endpoint, token) in [
        ("http://op.example/u", "t"),
        (https, ""),
        (https, "bad\ntoken"),
    ] {
        let r = build_userinfo_request(endpoint, &AccessToken::new(token), LIMITS);
        assert!(is_config(r), "{token:?}");
    }
}

#[test]
fn userinfo_responses() {
    let body = r#"{"sub":"248289761001","name":"Jane","email_verified":true}"#;
    let claims = parse_userinfo_response(json(200, body), now()).unwrap();
    assert_eq!(
        (&claims["sub"], &claims["email_verified"]),
        (&"248289761001".into(), &true.into())
    );
    let bodies = [
        r#"{"name":"x"}"#,
        r#"{"sub":""}"#,
        r#"{"sub":null}"#,
        r#"{"sub":1}"#,
        "[]",
        "?",
    ];
    for body in bodies {
        assert!(
            is_malformed(parse_userinfo_response(json(200, body), now())),
            "{body}"
        );
    }
    let jwt = response(
        200,
        &[("content-type", "application/jwt; charset=utf-8")],
        "e.y.j",
    );
    let err = parse_userinfo_response(jwt, now()).unwrap_err();
    assert!(err.to_string().contains("verify_signed_userinfo"), "{err}");
}

#[test]
fn userinfo_errors_from_www_authenticate() {
    let r = |status, challenge: &str, body: &str| {
        let headers = [
            ("www-authenticate", challenge),
            ("content-type", "application/json"),
        ];
        parse_userinfo_response(response(status, &headers, body), now()).unwrap_err()
    };
    let challenge = r#"Bearer realm="example", error="invalid_token", error_description="Expired""#;
    let err = r(401, challenge, "");
    let oauth = err.oauth().unwrap();
    assert_eq!(oauth.code, OAuthErrorCode::InvalidToken);
    assert_eq!(
        (oauth.description.as_deref(), oauth.status),
        (Some("Expired"), Some(401))
    );

    // The body's error wins.
    let err = r(
        401,
        r#"Bearer error="invalid_token""#,
        r#"{"error":"invalid_request"}"#,
    );
    assert_eq!(err.oauth().unwrap().code, OAuthErrorCode::InvalidRequest);

    let challenge = r#"DPoP algs="ES256", Bearer error=insufficient_scope, scope="openid""#;
    let err = r(403, challenge, "");
    assert_eq!(err.oauth().unwrap().code, OAuthErrorCode::InsufficientScope);
    assert_eq!(err.status(), Some(403));

    // No error in a Bearer challenge: a plain status error.
    for challenge in [
        r#"Bearer realm="example""#,
        r#"Basic realm="x", error="invalid_token""#,
    ] {
        let err = r(401, challenge, "");
        assert!(
            matches!(err.kind(), ErrorKind::Status { status: 401, .. }),
            "{challenge}"
        );
    }
}

#[test]
fn logout_urls() {
    let all = LogoutOptions {
        id_token_hint: Some(IdToken::new("eyJ.a.b")),
        logout_hint: Some("alice".into()),
        client_id: Some("app".into()),
        post_logout_redirect_uri: Some("com.example.app:/bye".into()),
        state: Some("s 1".into()),
        ui_locales: Some("fr-CA fr".into()),
    };
    let url = build_logout_url("https://op.example/logout?p=b2c", &all).unwrap();
    let expected = "https://op.example/logout?p=b2c&id_token_hint=eyJ.a.b&logout_hint=alice\
            &client_id=app&post_logout_redirect_uri=com.example.app%3A%2Fbye&state=s+1\
            &ui_locales=fr-CA+fr";
    assert_eq!(url, expected);
    assert!(!format!("{all:?}").contains("eyJ.a.b"));
    let endpoint = "https://op.example/logout";
    let empty_state = LogoutOptions {
        state: Some(String::new()),
        ..Default::default()
    };
    for options in [LogoutOptions::default(), empty_state] {
        assert_eq!(build_logout_url(endpoint, &options).unwrap(), endpoint);
    }
    let state = LogoutOptions {
        state: Some("y".into()),
        ..Default::default()
    };
    let redirect = |uri: &str| LogoutOptions {
        post_logout_redirect_uri: Some(uri.into()),
        ..Default::default()
    };
    let bad = [
        ("http://op.example/logout", LogoutOptions::default()),
        ("https://op.example/logout#x", LogoutOptions::default()),
        ("https://op.example/logout?state=x", state),
        (endpoint, redirect("/bye")),
        (endpoint, redirect("https://app.example/#x")),
    ];
    for (endpoint, options) in bad {
        assert!(
            is_config(build_logout_url(endpoint, &options)),
            "{endpoint} {options:?}"
        );
    }
}

proptest::proptest! {
    #[test]
    fn parsers_never_panic(
        status in 100u16..600,
        body in proptest::prop_oneof![
            "\\PC{0,100}",
            r#"\{("(access_token|token_type|expires_in|error|sub|active|aud|exp|scope)":(-?[0-9e.]{1,25}|"[^"\\]{0,4}"|true|null|\[("a"|1)?\]|\{\}),?){0,5}\}"#,
        ],
        header in "[ -~]{0,60}",
    ) {
        let headers = [("content-type", "application/json"), ("www-authenticate", &header)];
        let make = || response(status, &headers, &body);
        let _ = parse_userinfo_response(make(), now());
        let _ = parse_introspection_response(make(), now());
        let _ = parse_revocation_response(make(), now());
        let _ = crate::oidc::parse_token_response(make(), now());
        let _ = crate::oidc::CallbackParams::from_query(&body);
    }
}
