use super::*;

const NOW_SECS: u64 = 1_700_000_000;

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(NOW_SECS)
}

fn response(status: u16, body: &str) -> HttpResponse {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(body.as_bytes().to_vec())
        .unwrap()
}

fn device(body: &str) -> Result<DeviceAuthorization> {
    parse_device_authorization_response(response(200, body), now())
}

fn malformed<T: fmt::Debug>(r: Result<T>) -> bool {
    matches!(
        r.unwrap_err().into_kind(),
        ErrorKind::MalformedResponse { .. }
    )
}

#[test]
fn full_and_minimal_device_responses() {
    let d = device(
        r#"{"device_code":"dc-secret","user_code":"WDJB-MJHT","verification_uri":"https://op.example/device",
            "verification_uri_complete":"https://op.example/device?user_code=WDJB-MJHT",
            "expires_in":1800,"interval":7,"x":1}"#,
    )
    .unwrap();
    assert_eq!(d.expose_device_code(), "dc-secret");
    assert_eq!(d.user_code, "WDJB-MJHT");
    assert_eq!(d.verification_uri, "https://op.example/device");
    assert_eq!(
        d.verification_uri_complete.as_deref(),
        Some("https://op.example/device?user_code=WDJB-MJHT")
    );
    assert_eq!((d.expires_at, d.interval), (NOW_SECS + 1800, 7));
    assert_eq!(d.expires_in(now()), Duration::from_secs(1800));
    assert!(!format!("{d:?}").contains("dc-secret"));
    let stored: DeviceAuthorization =
        serde_json::from_str(&serde_json::to_string(&d).unwrap()).unwrap();
    assert_eq!(stored, d);

    // `verification_url` (draft spelling, still sent by Google) is accepted.
    let d = device(
        r#"{"device_code":"d","user_code":"u","verification_url":"https://op.example/d","expires_in":60}"#,
    )
    .unwrap();
    assert_eq!(
        (
            d.verification_uri.as_str(),
            d.interval,
            d.verification_uri_complete
        ),
        ("https://op.example/d", 5, None)
    );
}

#[test]
fn bad_device_responses_are_malformed_and_never_quote_the_code() {
    let base = |extra: &str| {
        format!(
            r#"{{"device_code":"dc-secret","user_code":"u","verification_uri":"https://op.example/d",{extra}}}"#
        )
    };
    let bodies = [
        base(r#""expires_in":0"#),
        base(r#""expires_in":-1"#),
        base(r#""expires_in":"600""#),
        base(r#""expires_in":1.5"#),
        base(r#""expires_in":60,"interval":-5"#),
        base(r#""expires_in":60,"interval":"5""#),
        base(r#""expires_in":60,"verification_uri_complete":"javascript:alert(1)""#),
        base(r#""interval":5"#),
        r#"{"device_code":"dc-secret","user_code":"u","verification_uri":"http://op.example/d","expires_in":60}"#.into(),
        r#"{"device_code":"dc-secret","user_code":"","verification_uri":"https://op.example/d","expires_in":60}"#.into(),
        r#"{"device_code":"","user_code":"u","verification_uri":"https://op.example/d","expires_in":60}"#.into(),
        r#"{"device_code":"dc-secret","user_code":"u","expires_in":60}"#.into(),
        r#"{"device_code":["dc-secret"],"user_code":"u","verification_uri":"https://op.example/d","expires_in":60}"#.into(),
        r#"["dc-secret"]"#.into(),
        "{".into(),
        "".into(),
    ];
    for body in bodies {
        let err = device(&body).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::MalformedResponse { .. }),
            "{body}: {err:?}"
        );
        assert!(!format!("{err} {err:?}").contains("dc-secret"), "{err:?}");
    }
    let err =
        parse_device_authorization_response(response(401, r#"{"error":"invalid_client"}"#), now())
            .unwrap_err();
    assert_eq!(err.oauth().unwrap().code, OAuthErrorCode::InvalidClient);
    assert!(matches!(
        parse_device_authorization_response(response(500, "down"), now())
            .unwrap_err()
            .kind(),
        ErrorKind::Status { status: 500, .. }
    ));
}

#[test]
fn poll_answers_are_classified() {
    fn poll(status: u16, body: &str) -> Result<DevicePoll> {
        parse_device_token_response(response(status, body), now())
    }
    assert_eq!(
        poll(400, r#"{"error":"authorization_pending"}"#).unwrap(),
        DevicePoll::Pending
    );
    assert_eq!(
        poll(400, r#"{"error":"slow_down"}"#).unwrap(),
        DevicePoll::SlowDown
    );
    // Some providers answer errors with 200.
    assert_eq!(
        poll(200, r#"{"error":"authorization_pending"}"#).unwrap(),
        DevicePoll::Pending
    );
    for (code, expected) in [
        ("access_denied", OAuthErrorCode::AccessDenied),
        ("expired_token", OAuthErrorCode::ExpiredToken),
        ("invalid_grant", OAuthErrorCode::InvalidGrant),
        ("x_vendor", OAuthErrorCode::Other("x_vendor".into())),
    ] {
        let err = poll(400, &format!(r#"{{"error":"{code}"}}"#)).unwrap_err();
        assert_eq!(err.oauth().unwrap().code, expected);
    }
    let DevicePoll::Granted(tokens) = poll(
        200,
        r#"{"access_token":"at","token_type":"Bearer","expires_in":60}"#,
    )
    .unwrap() else {
        panic!("tokens expected");
    };
    assert_eq!(tokens.expires_at, Some(NOW_SECS + 60));
    for garbage in ["{", "[]", r#"{"token_type":"Bearer"}"#, "<html>"] {
        assert!(malformed(poll(200, garbage)), "{garbage}");
    }
}

#[test]
fn requests() {
    let auth = ClientAuth::None {
        client_id: "cli".into(),
    };
    let limits = RequestLimits::default();
    let endpoint = "https://op.example/device/auth";
    let options = AuthorizationOptions {
        prompt: Some("login".into()),
        max_age: Some(Duration::from_secs(60)),
        extra: vec![("acr_values".into(), "mfa".into())],
        ..AuthorizationOptions::new(["email", "openid"])
    };
    let req = build_device_authorization_request(endpoint, &options, &auth, limits).unwrap();
    assert_eq!(
        req.body(),
        b"scope=openid+email&prompt=login&max_age=60&acr_values=mfa&client_id=cli"
    );
    for name in ["scope", "client_id", "client_assertion", ""] {
        let options = AuthorizationOptions {
            extra: vec![(name.into(), "x".into())],
            ..Default::default()
        };
        let r = build_device_authorization_request(endpoint, &options, &auth, limits);
        assert!(
            matches!(r.unwrap_err().kind(), ErrorKind::Config { .. }),
            "{name}"
        );
    }
    let bad_scope = AuthorizationOptions::new(["a\"b"]);
    assert!(build_device_authorization_request(endpoint, &bad_scope, &auth, limits).is_err());
    let d = device(
        r#"{"device_code":"d c","user_code":"u","verification_uri":"https://op.example/d","expires_in":60}"#,
    )
    .unwrap();
    let req = build_device_token_request("https://op.example/token", &d, &auth, limits).unwrap();
    assert_eq!(
        req.body(),
        b"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=d+c&client_id=cli"
    );
    assert!(build_device_token_request("http://op.example/token", &d, &auth, limits).is_err());
}

#[test]
fn schedule_honours_interval_slow_down_backoff_and_deadline() {
    let d = device(
        r#"{"device_code":"d","user_code":"u","verification_uri":"https://op.example/d","expires_in":30,"interval":2}"#,
    )
    .unwrap();
    let mut s = DevicePollSchedule::new(&d);
    assert_eq!(s.next_wait(now()), Some(Duration::from_secs(2)));
    s.slow_down();
    assert_eq!(s.interval(), Duration::from_secs(7));
    s.slow_down();
    assert_eq!(s.interval(), Duration::from_secs(12));
    s.back_off();
    assert_eq!(s.interval(), Duration::from_secs(24));
    s.back_off();
    s.back_off();
    assert_eq!(s.interval(), Duration::from_secs(60), "capped");
    for _ in 0..20 {
        s.slow_down();
    }
    s.back_off();
    assert_eq!(s.interval(), Duration::from_secs(160), "never shortened");
    // Cut short at the deadline, none after it.
    assert_eq!(s.next_wait(now()), Some(Duration::from_secs(30)));
    let late = now() + Duration::from_secs(29);
    assert_eq!(s.next_wait(late), Some(Duration::from_secs(1)));
    assert_eq!(s.next_wait(now() + Duration::from_secs(30)), None);
    assert_eq!(s.next_wait(now() + Duration::from_secs(3000)), None);
    // A provider asking for no interval is polled once a second, not in a busy loop.
    let d = device(
        r#"{"device_code":"d","user_code":"u","verification_uri":"https://op.example/d","expires_in":30,"interval":0}"#,
    )
    .unwrap();
    assert_eq!(
        DevicePollSchedule::new(&d).interval(),
        Duration::from_secs(1)
    );
    // Extreme values do not overflow.
    let d = device(
        r#"{"device_code":"d","user_code":"u","verification_uri":"https://op.example/d","expires_in":18446744073709551615,"interval":18446744073709551615}"#,
    )
    .unwrap();
    let mut s = DevicePollSchedule::new(&d);
    s.slow_down();
    s.back_off();
    assert!(s.next_wait(now()).is_some());
}

#[test]
fn cancel_token_is_shared_by_clones() {
    let cancel = CancelToken::new();
    assert!(cancel.check().is_ok());
    cancel.clone().cancel();
    assert!(matches!(
        cancel.check().unwrap_err().kind(),
        ErrorKind::Cancelled
    ));
}

#[test]
fn fuzz_entry_point_survives_garbage() {
    for body in [&b""[..], b"\xff\xfe", b"{\"expires_in\":1e999}", b"null"] {
        for status in [0, 200, 400, 999] {
            fuzz_device_responses(status, body);
        }
    }
}
