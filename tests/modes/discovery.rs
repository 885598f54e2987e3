// Discovery and the transport's fault handling, compiled once per mode by `tests/clients.rs`.
// The mock set-up (mockito) stays outside the shared async bodies; the happy path also runs
// against the real provider.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use idpkit::http::{HttpRequest, HttpResponse, RequestLimits, USER_AGENT_VALUE};
use idpkit::{ErrorKind, Result};

use super::common::discover;
use super::{idp, maybe_async, users_own_transport};
use crate::hanging::hanging_server;
use crate::provider;

const WELL_KNOWN: &str = "/.well-known/openid-configuration";

fn document(issuer: &str) -> String {
    serde_json::json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/auth"),
        "token_endpoint": format!("{issuer}/token"),
        "userinfo_endpoint": format!("{issuer}/me"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": true,
        "x_vendor_extension": {"kept": true}
    })
    .to_string()
}

#[maybe_async]
async fn discover_default(issuer: &str) -> Result<idp::IdpClient> {
    idp::IdpClient::discover(issuer, "client-1").await
}

#[maybe_async]
async fn discover_via<H: idp::HttpClient>(
    issuer: &str,
    http: H,
    timeout: Duration,
) -> Result<idp::IdpClient<H>> {
    idp::IdpClient::builder(issuer, "client-1")
        .http_client(http)
        .timeout(timeout)
        .discover()
        .await
}

fn kind_of<T: std::fmt::Debug>(r: Result<T>) -> ErrorKind {
    r.expect_err("expected an error").into_kind()
}

#[test]
fn discovers_a_good_document_with_one_request() {
    let mut server = mockito::Server::new();
    let issuer = server.url();
    let mock = server
        .mock("GET", WELL_KNOWN)
        .match_header("user-agent", USER_AGENT_VALUE)
        .match_header("accept", "application/json")
        .with_header("content-type", "application/json; charset=utf-8")
        .with_body(document(&issuer))
        .expect(1)
        .create();
    let client = run!(discover_default(&issuer)).expect("discovery");
    mock.assert();
    assert_eq!(client.issuer().as_str(), issuer);
    assert_eq!(client.client_id(), "client-1");
    let m = client.metadata();
    assert_eq!(
        m.token_endpoint.as_deref(),
        Some(format!("{issuer}/token").as_str())
    );
    assert_eq!(m.jwks_uri, format!("{issuer}/jwks"));
    assert_eq!(m.id_token_signing_alg_values_supported, ["RS256", "ES256"]);
    assert!(m.authorization_response_iss_parameter_supported);
    assert_eq!(m.additional["x_vendor_extension"]["kept"], true);
}

#[test]
fn discovers_the_real_provider() {
    let op = provider();
    let client = run!(discover_default(&op.issuer)).expect("discovery");
    let m = client.metadata();
    assert_eq!(m.issuer, op.issuer);
    assert_eq!(m.jwks_uri, op.ready["endpoints"]["jwks"].as_str().unwrap());
    assert_eq!(
        m.token_endpoint.as_deref(),
        op.ready["endpoints"]["token"].as_str()
    );
    assert_eq!(
        m.end_session_endpoint.as_deref(),
        op.ready["endpoints"]["end_session"].as_str()
    );
    assert!(m.introspection_endpoint.is_some());
    assert!(m.revocation_endpoint.is_some());
    assert!(
        m.code_challenge_methods_supported
            .iter()
            .any(|c| c == "S256")
    );
    assert!(
        m.id_token_signing_alg_values_supported
            .iter()
            .any(|a| a == "RS256")
    );
    assert!(
        !m.id_token_signing_alg_values_supported
            .iter()
            .any(|a| a == "none")
    );
    assert!(m.authorization_response_iss_parameter_supported);
}

#[test]
fn the_real_provider_fails_discovery_for_another_issuer_spelling() {
    // The provider answers for 127.0.0.1; asked as "localhost" the issuer differs and the
    // metadata must not be used.
    let op = provider();
    let other = op.issuer.replace("127.0.0.1", "localhost");
    match kind_of(run!(discover_default(&other))) {
        ErrorKind::IssuerMismatch { expected, actual } => {
            assert_eq!(expected, other);
            assert_eq!(actual, op.issuer);
        }
        k => panic!("{k:?}"),
    }
}

#[test]
fn issuer_with_a_path_and_trailing_slash_is_kept_exactly() {
    let mut server = mockito::Server::new();
    let issuer = format!("{}/tenants/a/", server.url());
    let mock = server
        .mock("GET", "/tenants/a/.well-known/openid-configuration")
        .with_header("content-type", "application/json")
        .with_body(
            serde_json::json!({
                "issuer": issuer,
                "authorization_endpoint": format!("{issuer}auth"),
                "jwks_uri": format!("{issuer}jwks"),
            })
            .to_string(),
        )
        .create();
    let client = run!(discover_default(&issuer)).expect("discovery");
    mock.assert();
    assert_eq!(client.issuer().as_str(), issuer);
}

#[test]
fn another_issuer_in_the_document_is_rejected() {
    let mut server = mockito::Server::new();
    let issuer = server.url();
    let _m = server
        .mock("GET", WELL_KNOWN)
        .with_header("content-type", "application/json")
        .with_body(document("https://evil.example"))
        .create();
    match kind_of(run!(discover_default(&issuer))) {
        ErrorKind::IssuerMismatch { expected, actual } => {
            assert_eq!(expected, issuer);
            assert_eq!(actual, "https://evil.example");
        }
        k => panic!("{k:?}"),
    }
}

#[test]
fn a_non_json_body_is_malformed() {
    let mut server = mockito::Server::new();
    let issuer = server.url();
    let _m = server
        .mock("GET", WELL_KNOWN)
        .with_header("content-type", "application/json")
        .with_body("<html>maintenance</html>")
        .create();
    let kind = kind_of(run!(discover_default(&issuer)));
    assert!(
        matches!(&kind, ErrorKind::MalformedResponse { problem, .. } if problem.contains("not valid JSON")),
        "{kind:?}"
    );
}

#[test]
fn a_wrong_content_type_is_malformed() {
    let mut server = mockito::Server::new();
    let issuer = server.url();
    let _m = server
        .mock("GET", WELL_KNOWN)
        .with_header("content-type", "text/html")
        .with_body(document(&issuer))
        .create();
    let kind = kind_of(run!(discover_default(&issuer)));
    assert!(
        matches!(&kind, ErrorKind::MalformedResponse { problem, .. } if problem.contains("text/html")),
        "{kind:?}"
    );
}

#[test]
fn a_server_error_keeps_status_excerpt_and_retry_after() {
    let mut server = mockito::Server::new();
    let issuer = server.url();
    let _m = server
        .mock("GET", WELL_KNOWN)
        .with_status(503)
        .with_header("retry-after", "30")
        .with_body("upstream down")
        .create();
    let err = run!(discover_default(&issuer)).expect_err("503");
    assert_eq!(err.status(), Some(503));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(30)));
    assert!(err.is_retryable());
    match err.kind() {
        ErrorKind::Status { body_excerpt, .. } => assert_eq!(body_excerpt, "upstream down"),
        k => panic!("{k:?}"),
    }
}

#[test]
fn an_oauth_error_body_becomes_a_typed_oauth_error() {
    let mut server = mockito::Server::new();
    let issuer = server.url();
    let _m = server
        .mock("GET", WELL_KNOWN)
        .with_status(400)
        .with_header("content-type", "application/json")
        .with_body(r#"{"error":"invalid_request","error_description":"tenant unknown"}"#)
        .create();
    let err = run!(discover_default(&issuer)).expect_err("400");
    let oauth = err.oauth().expect("oauth error");
    assert_eq!(oauth.code, idpkit::OAuthErrorCode::InvalidRequest);
    assert_eq!(oauth.description.as_deref(), Some("tenant unknown"));
    assert_eq!(err.status(), Some(400));
    assert!(!err.is_retryable());
}

#[test]
fn an_oversized_body_is_cut_off() {
    let mut server = mockito::Server::new();
    let issuer = server.url();
    // Declared length over the limit.
    let _m = server
        .mock("GET", WELL_KNOWN)
        .with_header("content-type", "application/json")
        .with_body(vec![b' '; 64 * 1024])
        .create();
    let builder = idp::IdpClient::builder(&issuer, "client-1").max_response_bytes(16 * 1024);
    assert_eq!(
        kind_of(run!(discover(builder))),
        ErrorKind::BodyTooLarge { limit: 16 * 1024 }
    );
}

#[test]
fn an_oversized_chunked_body_is_cut_off() {
    let mut server = mockito::Server::new();
    let issuer = server.url();
    // No length declared: 8 MiB streamed in chunks; reading must stop at the limit.
    let _m = server
        .mock("GET", WELL_KNOWN)
        .with_header("content-type", "application/json")
        .with_chunked_body(|w| {
            let chunk = vec![b' '; 64 * 1024];
            for _ in 0..128 {
                w.write_all(&chunk)?;
            }
            Ok(())
        })
        .create();
    let builder = idp::IdpClient::builder(&issuer, "client-1").max_response_bytes(100_000);
    assert_eq!(
        kind_of(run!(discover(builder))),
        ErrorKind::BodyTooLarge { limit: 100_000 }
    );
}

#[test]
fn a_hanging_server_times_out() {
    let issuer = hanging_server();
    let builder = idp::IdpClient::builder(&issuer, "client-1").timeout(Duration::from_millis(300));
    let started = Instant::now();
    let err = run!(discover(builder)).expect_err("timeout");
    assert!(err.is_timeout(), "{err:?}");
    assert!(err.is_retryable());
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn the_users_own_client_still_gets_idpkits_timeout() {
    let issuer = hanging_server();
    let started = Instant::now();
    let err = run!(discover_via(
        &issuer,
        users_own_transport(),
        Duration::from_millis(300)
    ))
    .expect_err("timeout");
    assert!(err.is_timeout(), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn the_users_own_client_works() {
    let mut server = mockito::Server::new();
    let issuer = server.url();
    let _m = server
        .mock("GET", WELL_KNOWN)
        .with_header("content-type", "application/json")
        .with_body(document(&issuer))
        .create();
    let client = run!(discover_via(
        &issuer,
        users_own_transport(),
        Duration::from_secs(10)
    ))
    .expect("discovery");
    assert_eq!(client.metadata().issuer, issuer);
}

#[test]
fn redirects_are_not_followed() {
    let mut server = mockito::Server::new();
    let issuer = server.url();
    let _m = server
        .mock("GET", WELL_KNOWN)
        .with_status(302)
        .with_header(
            "location",
            "https://evil.example/.well-known/openid-configuration",
        )
        .create();
    assert_eq!(
        run!(discover_default(&issuer)).expect_err("302").status(),
        Some(302)
    );
}

#[test]
fn a_refused_connection_is_a_retryable_transport_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let err = run!(discover_default(&format!("http://127.0.0.1:{port}"))).expect_err("refused");
    let ErrorKind::Transport { cause, .. } = err.kind() else {
        panic!("{err:?}")
    };
    assert_eq!(*cause, idpkit::http::TransportCause::ConnectionRefused);
    assert!(!cause.request_may_have_arrived());
    // The same words from both clients: the cause and where, never the stack's own phrasing.
    assert_eq!(
        err.to_string(),
        format!("transport error: connection refused (127.0.0.1:{port})")
    );
    assert!(err.is_retryable());
    assert!(std::error::Error::source(&err).is_some());
}

#[test]
fn plain_http_outside_loopback_is_a_configuration_error() {
    for issuer in [
        "http://login.example.com",
        "http://10.1.2.3",
        "ftp://127.0.0.1",
    ] {
        let kind = kind_of(run!(discover_default(issuer)));
        assert!(
            matches!(kind, ErrorKind::Config { .. }),
            "{issuer}: {kind:?}"
        );
    }
    let kind = kind_of(run!(discover(idp::IdpClient::builder(
        "https://op.example",
        ""
    ))));
    assert!(matches!(kind, ErrorKind::Config { .. }), "{kind:?}");
}

/// An in-memory transport: records requests and answers with a canned document.
struct Recording {
    seen: Arc<Mutex<Vec<HttpRequest>>>,
    body: Vec<u8>,
}

#[maybe_async(AFIT)]
impl idp::HttpClient for Recording {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse> {
        self.seen.lock().unwrap().push(request);
        Ok(http::Response::builder()
            .header("content-type", "application/json")
            .body(self.body.clone())
            .unwrap())
    }
}

#[test]
fn a_custom_transport_gets_the_request_shape_and_limits() {
    let issuer = "https://op.example";
    let seen = Arc::new(Mutex::new(Vec::new()));
    let http = Recording {
        seen: Arc::clone(&seen),
        body: document(issuer).into_bytes(),
    };
    let client = run!(discover_via(issuer, http, Duration::from_millis(300))).expect("discovery");
    assert_eq!(client.metadata().issuer, issuer);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    let request = &seen[0];
    assert_eq!(request.method(), "GET");
    assert_eq!(
        request.uri(),
        "https://op.example/.well-known/openid-configuration"
    );
    assert_eq!(request.headers()["user-agent"], USER_AGENT_VALUE);
    assert_eq!(
        RequestLimits::of(request),
        RequestLimits {
            timeout: Duration::from_millis(300),
            max_response_bytes: idpkit::http::DEFAULT_MAX_RESPONSE_BYTES,
        }
    );
}

#[test]
fn a_custom_transport_that_ignores_the_cap_is_still_capped() {
    let issuer = "https://op.example";
    let mut body = document(issuer).into_bytes();
    body.resize(2 * 1024 * 1024, b' ');
    let http = Recording {
        seen: Arc::default(),
        body,
    };
    let kind = kind_of(run!(discover_via(issuer, http, Duration::from_millis(300))));
    assert_eq!(
        kind,
        ErrorKind::BodyTooLarge {
            limit: idpkit::http::DEFAULT_MAX_RESPONSE_BYTES
        }
    );
}

#[test]
fn secrets_stay_out_of_debug() {
    let issuer = "https://op.example";
    let http = Recording {
        seen: Arc::default(),
        body: document(issuer).into_bytes(),
    };
    let builder = idp::IdpClient::builder(issuer, "client-1")
        .client_secret("hunter2-top-secret")
        .http_client(http);
    assert!(!format!("{builder:?}").contains("hunter2"));
    let client = run!(discover(builder)).expect("discovery");
    let shown = format!("{client:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("[redacted]"), "{shown}");
}
