//! Unit tests of the authorization request and the callback.
use super::*;

const AUTH: &str = "https://op.example/authorize";
const REDIRECT: &str = "https://app.example/cb";
const ISSUER: &str = "https://op.example";

fn build(options: &AuthorizationOptions) -> Result<AuthorizationRequest> {
    let options = AuthorizationOptions {
        scopes: vec!["email".into()],
        ..options.clone()
    };
    build_authorization_request(AUTH, "client-1", REDIRECT, &options)
}

fn fresh() -> AuthorizationRequest {
    build(&AuthorizationOptions::default()).unwrap()
}

fn query(url: &str) -> Vec<(String, String)> {
    let url = url::Url::parse(url).unwrap();
    url.query_pairs().into_owned().collect()
}

fn kind<T: fmt::Debug>(r: Result<T>) -> ErrorKind {
    r.unwrap_err().into_kind()
}

fn is_config<T: fmt::Debug>(r: Result<T>) -> bool {
    matches!(kind(r), ErrorKind::Config { .. })
}

fn extra(pairs: &[(&str, &str)]) -> AuthorizationOptions {
    let extra = pairs.iter().map(|(n, v)| (n.to_string(), v.to_string()));
    AuthorizationOptions {
        extra: extra.collect(),
        ..Default::default()
    }
}

#[test]
fn request_has_every_parameter_in_order() {
    let req = fresh();
    let q = query(&req.url);
    let challenge = pkce::code_challenge_s256(&req.code_verifier);
    let expected = [
        ("response_type", "code"),
        ("client_id", "client-1"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid email"),
        ("state", &req.state),
        ("nonce", &req.nonce),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ];
    let q: Vec<(&str, &str)> = q.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(q, expected);
    assert!(req.state.len() >= 43 && req.nonce.len() >= 43);
    assert_eq!((req.redirect_uri.as_str(), req.max_age), (REDIRECT, None));
    assert!(
        req.url
            .starts_with("https://op.example/authorize?response_type=code&")
    );

    let other = fresh();
    assert_ne!(req.state, other.state);
    assert_ne!(req.nonce, other.nonce);
    assert_ne!(req.state, req.nonce);
    assert_ne!(req.code_verifier, other.code_verifier);
}

#[test]
fn options_are_appended() {
    let mut options = extra(&[("acr_values", "loa2"), ("ui_locales", "de")]);
    options.prompt = Some("login consent".into());
    options.login_hint = Some("a@b.example".into());
    options.max_age = Some(Duration::from_millis(90_500));
    options.resources = vec!["https://api.example/".into(), "urn:example:x".into()];
    let req = build(&options).unwrap();
    let q = query(&req.url);
    let tail: Vec<(&str, &str)> = q[8..].iter().map(|(k, v)| (&**k, &**v)).collect();
    let expected = [
        ("prompt", "login consent"),
        ("login_hint", "a@b.example"),
        ("max_age", "90"),
        ("resource", "https://api.example/"),
        ("resource", "urn:example:x"),
        ("acr_values", "loa2"),
        ("ui_locales", "de"),
    ];
    assert_eq!(tail, expected);
    assert_eq!(req.max_age, Some(90));
    assert!(req.url.contains("&prompt=login+consent&"));
}

#[test]
fn endpoint_query_is_kept_and_redirect_uri_sent_verbatim() {
    let endpoint = "https://op.example/authorize?tenant=a%20b&p=1";
    let no_options = AuthorizationOptions::default();
    let req =
        build_authorization_request(endpoint, "c", "https://app.example", &no_options).unwrap();
    assert!(
        req.url
            .starts_with(&format!("{endpoint}&response_type=code"))
    );
    // Not normalised to "https://app.example/": the provider compares strings.
    let q = query(&req.url);
    assert!(q.contains(&("redirect_uri".into(), "https://app.example".into())));
    assert_eq!(req.redirect_uri, "https://app.example");
}

#[test]
fn scopes_get_openid_once_and_are_validated() {
    assert_eq!(scope_string::<&str>(&[]).unwrap(), "openid");
    let scopes = ["profile", "openid", "email profile", "", "  "];
    assert_eq!(scope_string(&scopes).unwrap(), "openid profile email");
    let scopes = ["api:read", "https://x.example/s"];
    assert_eq!(
        scope_string(&scopes).unwrap(),
        "openid api:read https://x.example/s"
    );
    for bad in ["a\"b", "a\\b", "caf\u{e9}", "a\u{7f}"] {
        assert!(is_config(scope_string(&[bad])), "{bad:?}");
    }
}

#[test]
fn reserved_and_repeated_parameters_are_rejected() {
    for name in RESERVED.iter().chain(&[""]) {
        assert!(is_config(build(&extra(&[(name, "x")]))), "{name}");
    }
    let mut twice = extra(&[("prompt", "none")]);
    assert!(
        build(&twice).is_ok(),
        "`prompt` through `extra` alone is fine"
    );
    twice.prompt = Some("login".into());
    assert!(is_config(build(&twice)));
    assert!(is_config(build(&extra(&[("acr", "a"), ("acr", "b")]))));
    let endpoint = "https://op.example/authorize?client_id=other";
    let r = build_authorization_request(endpoint, "c", REDIRECT, &Default::default());
    assert!(is_config(r));
}

#[test]
fn endpoint_client_id_and_resources_are_validated() {
    for bad in [
        "http://op.example/a",
        "https://op.example/a#f",
        "op.example/a",
        "",
    ] {
        let r = build_authorization_request(bad, "c", REDIRECT, &Default::default());
        assert!(is_config(r), "{bad}");
    }
    let r = build_authorization_request(AUTH, "", REDIRECT, &Default::default());
    assert!(is_config(r));
    for bad in ["api", "https://api.example/#f", ""] {
        let options = AuthorizationOptions {
            resources: vec![bad.into()],
            ..Default::default()
        };
        assert!(is_config(build(&options)), "{bad}");
    }
}

#[test]
fn redirect_uri_rules() {
    let ok = "https://app.example/cb?x=1 http://127.0.0.1:8400/cb http://[::1]/cb \
              http://localhost:3000/cb com.example.app:/oauth2redirect com.example.app://cb";
    for uri in ok.split_whitespace() {
        assert!(validate_redirect_uri(uri).is_ok(), "{uri}");
    }
    let bad = "http://app.example/cb https://app.example/cb#frag https://app.example/cb# /cb \
               myapp:/cb javascript:alert(1) data:text/html,x file:///etc/passwd \
               https://user:pw@app.example/cb";
    for uri in bad.split_whitespace().chain([""]) {
        assert!(is_config(validate_redirect_uri(uri)), "{uri}");
    }
}

#[test]
fn debug_redacts_verifier_and_serde_round_trips() {
    let options = AuthorizationOptions {
        max_age: Some(Duration::from_secs(60)),
        ..Default::default()
    };
    let req = build(&options).unwrap();
    let shown = format!("{req:?}");
    assert!(
        !shown.contains(req.code_verifier.expose_secret()),
        "{shown}"
    );
    assert!(shown.contains("CodeVerifier([redacted])"));
    let mut json = serde_json::to_value(&req).unwrap();
    assert_eq!(json["code_verifier"], req.code_verifier.expose_secret());
    assert_eq!(json["max_age"], 60);
    assert_eq!(
        serde_json::from_value::<AuthorizationRequest>(json.clone()).unwrap(),
        req
    );
    // Stored without `max_age`.
    json.as_object_mut().unwrap().remove("max_age");
    let back: AuthorizationRequest = serde_json::from_value(json).unwrap();
    assert_eq!(back.max_age, None);
}

#[test]
fn callback_parsing() {
    let url = "https://app.example/cb?code=c%2F1&state=s+1&iss=https%3A%2F%2Fop.example&x=1&x=2#f";
    let p = CallbackParams::from_url(url).unwrap();
    assert_eq!(p.code.as_deref(), Some("c/1"));
    assert_eq!(p.state.as_deref(), Some("s 1"));
    assert_eq!((p.iss.as_deref(), p.error), (Some(ISSUER), None));
    for q in ["code=c&state=s", "?code=c&state=s"] {
        let p = CallbackParams::from_query(q).unwrap();
        assert_eq!(
            (p.code.as_deref(), p.state.as_deref()),
            (Some("c"), Some("s"))
        );
    }
    let q = "error=access_denied&error_description=No+way&error_uri=https%3A%2F%2Fe&state=";
    let p = CallbackParams::from_query(q).unwrap();
    assert_eq!(p.error.as_deref(), Some("access_denied"));
    assert_eq!(p.error_description.as_deref(), Some("No way"));
    assert_eq!(p.error_uri.as_deref(), Some("https://e"));
    assert_eq!(p.state, None, "an empty value counts as absent");
    assert_eq!(
        CallbackParams::from_query("").unwrap(),
        CallbackParams::default()
    );
}

#[test]
fn callback_duplicates_and_garbage() {
    for q in [
        "code=a&code=b",
        "state=a&state=a",
        "iss=a&iss=",
        "error=&error=x",
    ] {
        let r = CallbackParams::from_query(q);
        assert!(
            matches!(kind(r), ErrorKind::MalformedResponse { .. }),
            "{q}"
        );
    }
    let r = CallbackParams::from_url("not a url");
    assert!(matches!(kind(r), ErrorKind::MalformedResponse { .. }));
    for q in "% %zz=% &&& = ==&= code \u{0}\u{ffff} ?%E2%82 a=%ff%fe".split(' ') {
        let _ = CallbackParams::from_query(q);
        let _ = CallbackParams::from_url(q);
    }
    let p = CallbackParams::from_query("code=%ff").unwrap();
    assert_eq!(p.code.as_deref(), Some("\u{fffd}"));
}

#[test]
fn callback_debug_redacts_code() {
    let p = CallbackParams::from_query("code=very-secret-code&state=s").unwrap();
    let shown = format!("{p:?}");
    assert!(
        !shown.contains("very-secret-code") && shown.contains("[redacted]"),
        "{shown}"
    );
}

fn validate(req: &AuthorizationRequest, query: &str, supported: bool) -> Result<String> {
    let p = CallbackParams::from_query(&format!("state={}&{query}", req.state)).unwrap();
    validate_callback(&p, req, ISSUER, supported)
}

#[test]
fn valid_callback_yields_code() {
    let req = fresh();
    assert_eq!(validate(&req, "code=the-code", false).unwrap(), "the-code");
    let q = "code=the-code&iss=https%3A%2F%2Fop.example";
    assert_eq!(validate(&req, q, true).unwrap(), "the-code");
}

#[test]
fn state_is_checked_before_anything_else() {
    let req = fresh();
    let wrong = [
        "code=c".to_owned(),
        "state=&code=c".to_owned(),
        "state=other&code=c".to_owned(),
        format!("state={}x&code=c", req.state),
        format!("state={}&code=c", &req.state[1..]),
        "state=x&error=access_denied&iss=https%3A%2F%2Fevil.example".to_owned(),
        "error=login_required".to_owned(),
    ];
    for q in wrong {
        let p = CallbackParams::from_query(&q).unwrap();
        let r = validate_callback(&p, &req, ISSUER, true);
        assert_eq!(kind(r), ErrorKind::StateMismatch, "{q}");
    }
}

#[test]
fn issuer_rules() {
    let req = fresh();
    let evil = "iss=https%3A%2F%2Fevil.example";
    let cases = [
        (
            format!("code=c&{evil}"),
            false,
            Some("https://evil.example"),
        ),
        (
            "code=c&iss=https%3A%2F%2Fop.example%2F".into(),
            true,
            Some("https://op.example/"),
        ),
        (
            format!("code=c&error=access_denied&{evil}"),
            false,
            Some("https://evil.example"),
        ),
        ("code=c".into(), true, None),
    ];
    for (q, supported, actual) in cases {
        let expected = ErrorKind::CallbackIssuerMismatch {
            expected: ISSUER.into(),
            actual: actual.map(Into::into),
        };
        assert_eq!(kind(validate(&req, &q, supported)), expected, "{q}");
    }
}

#[test]
fn error_responses_become_oauth_errors_and_code_is_required() {
    let req = fresh();
    let q = "error=consent_required&error_description=Again&error_uri=https%3A%2F%2Fdoc&code=c";
    let err = validate(&req, q, false).unwrap_err();
    let oauth = err.oauth().unwrap();
    assert_eq!(oauth.code, OAuthErrorCode::ConsentRequired);
    assert_eq!(oauth.description.as_deref(), Some("Again"));
    assert_eq!(
        (oauth.uri.as_deref(), oauth.status),
        (Some("https://doc"), None)
    );
    let err = validate(&req, "error=vendor_thing", false).unwrap_err();
    assert_eq!(
        err.oauth().unwrap().code,
        OAuthErrorCode::Other("vendor_thing".into())
    );
    let r = validate(&req, "code=", false);
    assert_eq!(kind(r), ErrorKind::MissingCallbackParameter("code"));
}
