// The device authorization grant (RFC 8628) end to end, compiled once per mode by
// `tests/clients.rs`: against the project's real provider (the user's answer given through its
// test-only `/__test/device`, as the verification page would), and against mockito for the
// answers the provider never gives (`slow_down`, garbage, unknown codes).

use std::time::{Duration, Instant};

use idpkit::oidc::{AuthorizationOptions, CancelToken, DeviceAuthorization, DevicePoll};
use idpkit::oidc::{Principal, SessionOptions};
use idpkit::{ErrorKind, OAuthErrorCode, Result};

use super::common::{create_agent, discover, metadata, refresh, session_agent};
use super::{idp, maybe_async};
use crate::hanging::hanging_server;
use crate::provider;

const SCOPES: &[&str] = &["openid", "email", "profile", "organizations", "offline_access"];

#[maybe_async]
async fn device_client(client_id: &str) -> idp::IdpClient {
    discover(idp::IdpClient::builder(&provider().issuer, client_id))
        .await
        .expect("discovery")
}

#[maybe_async]
async fn start(client: &idp::IdpClient, scopes: &[&str]) -> Result<DeviceAuthorization> {
    client.start_device_authorization(scopes).await
}

#[maybe_async]
async fn wait(
    client: &idp::IdpClient,
    device: &DeviceAuthorization,
    cancel: &CancelToken,
) -> Result<Principal> {
    client.wait_for_device_authorization(device, cancel).await
}

#[maybe_async]
async fn poll(client: &idp::IdpClient, device: &DeviceAuthorization) -> Result<DevicePoll<Principal>> {
    client.poll_device_authorization(device).await
}

fn oauth_code(err: &idpkit::Error) -> OAuthErrorCode {
    err.oauth().unwrap_or_else(|| panic!("an OAuth error: {err:?}")).code.clone()
}

#[test]
fn device_flow_signs_in_and_the_session_refreshes() {
    let op = provider();
    let client = run!(device_client("device"));
    let device = run!(start(&client, SCOPES)).expect("device authorization");
    assert!(device.verification_uri.starts_with(&op.issuer), "{device:?}");
    let complete = device.verification_uri_complete.as_deref().expect("complete URI");
    assert!(complete.contains(&device.user_code), "{complete}");
    assert_eq!(device.interval(), Duration::from_secs(op.ready["device_interval"].as_u64().unwrap()));
    assert!(device.expires_in(std::time::SystemTime::now()) > Duration::from_secs(500));

    // Before the user answers, a poll says so.
    assert!(matches!(run!(poll(&client, &device)), Ok(DevicePoll::Pending)));

    op.approve_device(&device.user_code, "usr_bob");
    let started = Instant::now();
    let principal = run!(wait(&client, &device, &CancelToken::new())).expect("signed in");
    assert!(started.elapsed() >= device.interval(), "waited the interval first");
    assert_eq!(principal.id(), "usr_bob");
    assert_eq!(principal.email(), Some("bob@example.com"));
    assert!(principal.is_member_of("org_acme"));
    assert!(principal.tokens().refresh_token.is_some(), "offline_access gives a refresh token");

    // The same principal as a code-flow sign-in: it refreshes, and resumes as a session.
    let refreshed = run!(refresh(&client, &principal)).expect("refresh");
    assert_eq!(refreshed.id(), "usr_bob");
    let session = run!(create_agent(&client, refreshed.tokens().clone(), SessionOptions::new()))
        .expect("session");
    let again = run!(session_agent(&session, Some(true))).expect("session refresh");
    assert_eq!(again.id(), "usr_bob");

    // The device code is single-use.
    let err = run!(poll(&client, &device)).expect_err("used device code");
    assert_eq!(oauth_code(&err), OAuthErrorCode::InvalidGrant);
}

#[test]
fn a_denied_device_authorization_is_access_denied() {
    let op = provider();
    let client = run!(device_client("device"));
    let device = run!(start(&client, &["openid"])).expect("device authorization");
    op.deny_device(&device.user_code);
    let err = run!(wait(&client, &device, &CancelToken::new())).expect_err("denied");
    assert_eq!(oauth_code(&err), OAuthErrorCode::AccessDenied);
    assert!(!err.is_retryable());
}

#[test]
fn an_unanswered_device_code_expires() {
    let op = provider();
    let ttl = Duration::from_secs(op.ready["device_short_ttl"].as_u64().unwrap());
    let client = run!(device_client("device-short"));
    let device = run!(start(&client, &["openid"])).expect("device authorization");
    let started = Instant::now();
    let err = run!(wait(&client, &device, &CancelToken::new())).expect_err("expired");
    assert_eq!(oauth_code(&err), OAuthErrorCode::ExpiredToken);
    assert!(started.elapsed() <= ttl + Duration::from_secs(2), "stopped at the expiry");
    // The provider says the same once asked.
    let err = run!(poll(&client, &device)).expect_err("expired at the provider");
    assert_eq!(oauth_code(&err), OAuthErrorCode::ExpiredToken);
    assert_eq!(err.status(), Some(400));
}

#[test]
fn a_cancelled_wait_stops_before_polling() {
    let op = provider();
    let client = run!(device_client("device"));
    let device = run!(start(&client, &["openid"])).expect("device authorization");
    let cancel = CancelToken::new();
    cancel.cancel();
    let started = Instant::now();
    let err = run!(wait(&client, &device, &cancel)).expect_err("cancelled");
    assert!(matches!(err.kind(), ErrorKind::Cancelled), "{err:?}");
    assert!(started.elapsed() < device.interval());
    // The device code was never used: approving it still works.
    op.approve_device(&device.user_code, "usr_alice");
    let principal = run!(wait(&client, &device, &CancelToken::new())).expect("signed in");
    assert_eq!(principal.id(), "usr_alice");
}

#[test]
fn a_client_without_the_device_grant_is_refused() {
    let client = run!(device_client("public"));
    let err = run!(start(&client, &["openid"])).expect_err("not registered for the grant");
    // node-oidc-provider answers `invalid_request` here (RFC 8628 leaves the code open).
    assert_eq!(oauth_code(&err), OAuthErrorCode::InvalidRequest);
    assert_eq!(err.status(), Some(400));
}

/// A mock provider whose device authorization and token endpoints answer as told.
struct Mock {
    server: mockito::ServerGuard,
}

impl Mock {
    fn new() -> Mock {
        Mock {
            server: mockito::Server::new(),
        }
    }

    fn client(&self, device_endpoint: bool) -> idp::IdpClient {
        let token_endpoint = format!("{}/token", self.server.url());
        self.client_with_token_endpoint(device_endpoint, &token_endpoint, Duration::from_secs(10))
    }

    fn client_with_token_endpoint(
        &self,
        device_endpoint: bool,
        token_endpoint: &str,
        timeout: Duration,
    ) -> idp::IdpClient {
        let issuer = self.server.url();
        let mut metadata = metadata(&issuer, token_endpoint);
        if device_endpoint {
            metadata.additional.insert(
                "device_authorization_endpoint".into(),
                format!("{issuer}/device").into(),
            );
        }
        idp::IdpClient::builder(&issuer, "cli")
            .timeout(timeout)
            .build_with_metadata(metadata)
            .expect("client")
    }

    fn answer(&mut self, path: &str, status: usize, body: &str) -> mockito::Mock {
        self.server
            .mock("POST", path)
            .with_status(status)
            .with_header("content-type", "application/json")
            .with_body(body)
            .create()
    }

    fn device(&self, expires_in: u64) -> String {
        format!(
            r#"{{"device_code":"dc-secret","user_code":"ABCD-EFGH","verification_uri":"{}/verify","expires_in":{expires_in},"interval":1}}"#,
            self.server.url()
        )
    }
}

#[test]
fn poll_answers_the_provider_never_gives_are_typed() {
    let mut mock = Mock::new();
    let body = mock.device(600);
    let _d = mock.answer("/device", 200, &body);
    let client = mock.client(true);
    let device = run!(start(&client, &["openid"])).expect("device authorization");
    assert_eq!(device.expose_device_code(), "dc-secret");

    let slow = mock.answer("/token", 400, r#"{"error":"slow_down"}"#);
    assert!(matches!(run!(poll(&client, &device)), Ok(DevicePoll::SlowDown)));
    slow.remove();
    let unknown = mock.answer("/token", 400, r#"{"error":"x_vendor_hiccup","error_description":"d"}"#);
    let err = run!(poll(&client, &device)).expect_err("unknown code");
    assert_eq!(oauth_code(&err), OAuthErrorCode::Other("x_vendor_hiccup".into()));
    unknown.remove();
    let _garbage = mock.answer("/token", 200, r#"{"access_token": "dc-secret", "token_type": 7"#);
    let err = run!(poll(&client, &device)).expect_err("garbage");
    assert!(matches!(err.kind(), ErrorKind::MalformedResponse { .. }), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("dc-secret"));
}

#[test]
fn a_provider_pending_past_the_expiry_is_stopped_here() {
    let mut mock = Mock::new();
    let body = mock.device(2);
    let _d = mock.answer("/device", 200, &body);
    let polls = mock
        .server
        .mock("POST", "/token")
        .with_status(400)
        .with_header("content-type", "application/json")
        .with_body(r#"{"error":"authorization_pending"}"#)
        .expect_at_most(3)
        .create();
    let client = mock.client(true);
    let device = run!(start(&client, &["openid"])).expect("device authorization");
    let err = run!(wait(&client, &device, &CancelToken::new())).expect_err("expired");
    assert_eq!(oauth_code(&err), OAuthErrorCode::ExpiredToken);
    assert_eq!(err.status(), None, "noticed here, not by the provider");
    polls.assert();
}

#[test]
fn a_poll_that_times_out_backs_off_instead_of_failing() {
    let mut mock = Mock::new();
    let body = mock.device(2);
    let _d = mock.answer("/device", 200, &body);
    let token_endpoint = format!("{}/token", hanging_server());
    let client =
        mock.client_with_token_endpoint(true, &token_endpoint, Duration::from_millis(300));
    let device = run!(start(&client, &["openid"])).expect("device authorization");
    let err = run!(wait(&client, &device, &CancelToken::new())).expect_err("expired");
    // Not the timeout: the loop waited longer and polled again until the code expired.
    assert_eq!(oauth_code(&err), OAuthErrorCode::ExpiredToken, "{err:?}");
}

#[test]
fn bad_device_authorization_answers_are_typed() {
    let mut mock = Mock::new();
    let client = mock.client(true);
    let missing = mock.answer("/device", 200, r#"{"device_code":"dc-secret","expires_in":60}"#);
    let err = run!(start(&client, &["openid"])).expect_err("no user code");
    assert!(matches!(err.kind(), ErrorKind::MalformedResponse { .. }), "{err:?}");
    assert!(!format!("{err:?}").contains("dc-secret"));
    missing.remove();
    let _e = mock.answer("/device", 400, r#"{"error":"invalid_scope"}"#);
    let err = run!(start(&client, &["openid"])).expect_err("error");
    assert_eq!(oauth_code(&err), OAuthErrorCode::InvalidScope);
    let err = run!(start(&mock.client(false), &["openid"])).expect_err("no endpoint");
    assert!(matches!(err.kind(), ErrorKind::Config { .. }), "{err:?}");
    let bad = AuthorizationOptions {
        extra: vec![("client_id".into(), "other".into())],
        ..AuthorizationOptions::new(["openid"])
    };
    let err = run!(client.start_device_authorization(bad)).expect_err("reserved parameter");
    assert!(matches!(err.kind(), ErrorKind::Config { .. }), "{err:?}");
}
