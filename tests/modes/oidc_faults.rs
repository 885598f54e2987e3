// The relying party against faults the real provider will not produce on demand: 500s,
// garbage, a refreshed ID token for another subject, a provider that does not rotate refresh
// tokens, a hanging token endpoint. Compiled once per mode by `tests/clients.rs`. mockito
// serves the endpoints; ID tokens are signed with the real test provider's key (its
// `/__test/sign`), so signatures are genuine and only the fault differs.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use idpkit::oidc::TokenSet;
use idpkit::oidc::{SessionOptions, Principal};
use idpkit::{CodeVerifier, ErrorKind, Result};

use super::common::{create_agent, metadata, now_secs, refresh, session_agent};
use super::{idp, maybe_async};
use crate::hanging::hanging_server;
use crate::provider;

const CLIENT: &str = "rp-1";

/// A mock provider: mockito serves the token endpoint and the real provider's JWKS.
struct Mock {
    server: mockito::ServerGuard,
    _jwks: mockito::Mock,
}

impl Mock {
    fn new() -> Mock {
        let mut server = mockito::Server::new();
        let jwks = server
            .mock("GET", "/jwks")
            .with_header("content-type", "application/json")
            .with_body(provider().jwks())
            .create();
        Mock {
            server,
            _jwks: jwks,
        }
    }

    fn issuer(&self) -> String {
        self.server.url()
    }

    fn metadata(&self, token_endpoint: &str) -> idpkit::oidc::ProviderMetadata {
        let mut metadata = metadata(&self.issuer(), token_endpoint);
        metadata.id_token_signing_alg_values_supported = vec!["RS256".into()];
        metadata
    }

    fn client(&self) -> idp::IdpClient {
        self.client_with_token_endpoint(
            &format!("{}/token", self.issuer()),
            Duration::from_secs(10),
        )
    }

    fn client_with_token_endpoint(
        &self,
        token_endpoint: &str,
        timeout: Duration,
    ) -> idp::IdpClient {
        idp::IdpClient::builder(self.issuer(), CLIENT)
            .client_secret("rp-secret")
            .redirect_uri("http://127.0.0.1:9999/cb")
            .timeout(timeout)
            .build_with_metadata(self.metadata(token_endpoint))
            .expect("client")
    }

    /// An ID token from this mock issuer for `sub`, signed by the real provider's key.
    fn id_token(&self, sub: &str) -> String {
        let now = now_secs();
        provider().sign(
            serde_json::json!({"iss": self.issuer(), "sub": sub, "aud": CLIENT, "iat": now, "exp": now + 300}),
            serde_json::json!({}),
        )
    }

    fn token_response(&mut self, status: usize, content_type: &str, body: String) -> mockito::Mock {
        self.server
            .mock("POST", "/token")
            .with_status(status)
            .with_header("content-type", content_type)
            .with_body(body)
            .create()
    }
}

#[maybe_async]
async fn exchange(client: &idp::IdpClient) -> Result<Principal> {
    client
        .exchange_code("some-code", &CodeVerifier::new("v".repeat(43)))
        .await
}

#[test]
fn a_token_endpoint_500_is_a_retryable_status_error() {
    let mut mock = Mock::new();
    let _t = mock
        .server
        .mock("POST", "/token")
        .with_status(500)
        .with_header("retry-after", "3")
        .with_body("boom")
        .create();
    let err = run!(exchange(&mock.client())).expect_err("500");
    assert_eq!(err.status(), Some(500));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3)));
    assert!(err.is_retryable());
}

#[test]
fn garbage_from_the_token_endpoint_is_malformed_and_leaks_nothing() {
    let mut mock = Mock::new();
    let _t = mock.token_response(
        200,
        "application/json",
        r#"{"access_token": "sekrit-at", "token_type": 7"#.into(),
    );
    let err = run!(exchange(&mock.client())).expect_err("garbage");
    assert!(
        matches!(err.kind(), ErrorKind::MalformedResponse { .. }),
        "{err:?}"
    );
    assert!(!format!("{err} {err:?}").contains("sekrit-at"));
    let mut mock = Mock::new();
    let _t = mock.token_response(200, "text/html", "<html>login</html>".into());
    let err = run!(exchange(&mock.client())).expect_err("html");
    assert!(
        matches!(err.kind(), ErrorKind::MalformedResponse { .. }),
        "{err:?}"
    );
}

#[test]
fn a_code_exchange_without_an_id_token_is_refused() {
    let mut mock = Mock::new();
    let _t = mock.token_response(
        200,
        "application/json",
        r#"{"access_token":"at","token_type":"Bearer"}"#.into(),
    );
    let err = run!(exchange(&mock.client())).expect_err("no id token");
    assert!(
        matches!(err.kind(), ErrorKind::MalformedResponse { .. }),
        "{err:?}"
    );
}

#[test]
fn an_invalid_grant_is_a_typed_oauth_error() {
    let mut mock = Mock::new();
    let _t = mock.token_response(
        400,
        "application/json",
        r#"{"error":"invalid_grant","error_description":"code already used"}"#.into(),
    );
    let err = run!(exchange(&mock.client())).expect_err("invalid_grant");
    let oauth = err.oauth().expect("oauth");
    assert_eq!(oauth.code, idpkit::OAuthErrorCode::InvalidGrant);
    assert_eq!(oauth.description.as_deref(), Some("code already used"));
    assert_eq!(err.status(), Some(400));
}

/// The refresh error a [`ErrorKind::SignInRequired`] carries as its source.
fn cause_of(err: &idpkit::Error) -> &idpkit::Error {
    std::error::Error::source(err)
        .and_then(|s| s.downcast_ref::<idpkit::Error>())
        .expect("the refresh's error is the source")
}

/// What a session's callbacks saw.
type Seen<T> = Arc<Mutex<Vec<T>>>;

/// Session options that record every `on_refresh` token set and `on_refresh_error` message.
fn recording_options(grace: bool) -> (SessionOptions, Seen<TokenSet>, Seen<String>) {
    let seen = Arc::new(Mutex::new(Vec::<TokenSet>::new()));
    let errors = Arc::new(Mutex::new(Vec::<String>::new()));
    let (sink, errs) = (Arc::clone(&seen), Arc::clone(&errors));
    let options = SessionOptions::new()
        .refresh_reuse_grace(grace)
        .on_refresh(move |t| sink.lock().unwrap().push(t.clone()))
        .on_refresh_error(move |e| errs.lock().unwrap().push(e.to_string()));
    (options, seen, errors)
}

#[test]
fn an_invalid_grant_ends_the_session_once_and_for_all() {
    let mut mock = Mock::new();
    let token = mock
        .token_response(
            400,
            "application/json",
            r#"{"error":"invalid_grant","error_description":"grant request is invalid"}"#.into(),
        )
        .expect(1);
    let client = mock.client();
    let (options, seen, errors) = recording_options(false);
    let session =
        run!(create_agent(&client, stored_tokens(&mock, "usr_alice"), options)).expect("session");
    let err = run!(session_agent(&session, None)).expect_err("invalid_grant");
    assert!(err.is_sign_in_required(), "{err:?}");
    assert!(!err.is_retryable());
    assert_eq!(
        cause_of(&err).oauth().map(|o| o.code.clone()),
        Some(idpkit::OAuthErrorCode::InvalidGrant)
    );
    assert_eq!(
        err.to_string(),
        "the session has ended, sign the user in again: OAuth error `invalid_grant`: grant request is invalid"
    );
    for _ in 0..3 {
        let again = run!(session_agent(&session, None)).expect_err("ended");
        assert!(again.is_sign_in_required());
        let forced = run!(session_agent(&session, Some(true))).expect_err("ended");
        assert!(forced.is_sign_in_required());
    }
    assert!(run!(session.current()).expect_err("ended").is_sign_in_required());
    token.assert(); // one request, never the stale token again
    assert_eq!(errors.lock().unwrap().len(), 1, "on_refresh_error once");
    assert!(seen.lock().unwrap().is_empty());
}

/// A token endpoint whose first answer is lost (garbage where tokens were: the provider may have
/// rotated) and whose second is whole tokens without a new refresh token; counts its requests.
fn lost_then_whole(mock: &mut Mock, calls: &Arc<std::sync::atomic::AtomicUsize>) -> mockito::Mock {
    let calls = Arc::clone(calls);
    mock.server
        .mock("POST", "/token")
        .match_body(mockito::Matcher::UrlEncoded(
            "refresh_token".into(),
            "rt-old".into(),
        ))
        .with_status(200)
        .with_header("content-type", "application/json")
        .with_body_from_request(move |_| {
            match calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) {
                0 => b"{\"access_token\": \"at-n".to_vec(),
                _ => br#"{"access_token":"at-new","token_type":"Bearer","expires_in":300}"#.to_vec(),
            }
        })
        .create()
}

#[test]
fn a_lost_refresh_answer_ends_the_session_without_a_grace_period() {
    let mut mock = Mock::new();
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let _token = lost_then_whole(&mut mock, &calls);
    let client = mock.client();
    let (options, seen, errors) = recording_options(false);
    let session =
        run!(create_agent(&client, stored_tokens(&mock, "usr_alice"), options)).expect("session");
    let err = run!(session_agent(&session, None)).expect_err("lost");
    assert!(err.is_sign_in_required(), "{err:?}");
    assert!(matches!(
        cause_of(&err).kind(),
        ErrorKind::MalformedResponse { .. }
    ));
    let again = run!(session_agent(&session, None)).expect_err("ended");
    assert!(again.is_sign_in_required());
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1, "never retried");
    assert_eq!(errors.lock().unwrap().len(), 1);
    assert!(seen.lock().unwrap().is_empty(), "no partial token set reported");
}

#[test]
fn with_a_grace_period_a_lost_refresh_answer_is_retried_once_with_the_same_token() {
    let mut mock = Mock::new();
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let _token = lost_then_whole(&mut mock, &calls);
    let client = mock.client();
    let (options, seen, errors) = recording_options(true);
    let session =
        run!(create_agent(&client, stored_tokens(&mock, "usr_alice"), options)).expect("session");
    let principal = run!(session_agent(&session, None)).expect("the retry succeeds");
    assert_eq!(principal.access_token().expose_secret(), "at-new");
    // Both requests carried rt-old (the mock matches no other); the second answer kept it.
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 2);
    assert!(errors.lock().unwrap().is_empty());
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "on_refresh once, with the whole set");
    assert_eq!(
        seen[0].refresh_token.as_ref().map(|r| r.expose_secret()),
        Some("rt-old")
    );
    assert!(seen[0].id_token.is_some(), "the previous ID token is kept");
}

fn stored_tokens(mock: &Mock, sub: &str) -> TokenSet {
    serde_json::from_value(serde_json::json!({
        "access_token": "at-old",
        "token_type": "Bearer",
        "expires_at": now_secs() + 5,
        "refresh_token": "rt-old",
        "id_token": mock.id_token(sub),
    }))
    .unwrap()
}

#[test]
fn a_refreshed_id_token_for_another_subject_is_refused_after_on_refresh() {
    let mut mock = Mock::new();
    let mallory = mock.id_token("usr_mallory");
    let _t = mock.token_response(
        200,
        "application/json",
        serde_json::json!({"access_token":"at-new","token_type":"Bearer","expires_in":300,"refresh_token":"rt-new","id_token": mallory}).to_string(),
    );
    let client = mock.client();
    let seen = Arc::new(Mutex::new(Vec::<TokenSet>::new()));
    let sink = Arc::clone(&seen);
    let errors = Arc::new(Mutex::new(Vec::<String>::new()));
    let errs = Arc::clone(&errors);
    let options = SessionOptions::new()
        .on_refresh(move |t| sink.lock().unwrap().push(t.clone()))
        .on_refresh_error(move |e| errs.lock().unwrap().push(e.to_string()));
    let session =
        run!(create_agent(&client, stored_tokens(&mock, "usr_alice"), options)).expect("session");
    let err = run!(session_agent(&session, None)).expect_err("subject mismatch");
    // The session ends (its old refresh token was rotated out, the new set is another user's);
    // the cause is the source.
    assert!(err.is_sign_in_required(), "{err:?}");
    let cause = cause_of(&err);
    assert!(
        matches!(cause.kind(), ErrorKind::SubjectMismatch { expected, actual } if expected == "usr_alice" && actual == "usr_mallory"),
        "{cause:?}"
    );
    // Ended for good: the next call answers at once, without the provider or the callback.
    let again = run!(session_agent(&session, None)).expect_err("ended");
    assert_eq!(again.to_string(), err.to_string());
    // The rotated refresh token reached the application before the check failed.
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].refresh_token.as_ref().map(|r| r.expose_secret()),
        Some("rt-new")
    );
    assert_eq!(errors.lock().unwrap().len(), 1);
}

#[test]
fn a_provider_that_does_not_rotate_keeps_the_old_refresh_token() {
    let mut mock = Mock::new();
    let alice = mock.id_token("usr_alice");
    let t = mock
        .server
        .mock("POST", "/token")
        .match_body(mockito::Matcher::AllOf(vec![
            mockito::Matcher::UrlEncoded("grant_type".into(), "refresh_token".into()),
            mockito::Matcher::UrlEncoded("refresh_token".into(), "rt-old".into()),
        ]))
        .with_header("content-type", "application/json")
        .with_body(serde_json::json!({"access_token":"at-new","token_type":"Bearer","expires_in":300,"id_token": alice}).to_string())
        .expect(1)
        .create();
    let client = mock.client();
    let agent = Principal::from_claims(
        stored_tokens(&mock, "usr_alice"),
        serde_json::json!({"sub": "usr_alice"})
            .as_object()
            .unwrap()
            .clone(),
    )
    .unwrap();
    let refreshed = run!(refresh(&client, &agent)).expect("refresh");
    t.assert();
    assert_eq!(refreshed.access_token().expose_secret(), "at-new");
    assert_eq!(
        refreshed
            .tokens()
            .refresh_token
            .as_ref()
            .map(|r| r.expose_secret()),
        Some("rt-old")
    );
    assert!(
        refreshed
            .expires_in()
            .is_some_and(|d| d > Duration::from_secs(200))
    );
}

#[test]
fn a_hanging_token_endpoint_times_out() {
    let mock = Mock::new();
    let client = mock.client_with_token_endpoint(
        &format!("{}/token", hanging_server()),
        Duration::from_millis(300),
    );
    let started = Instant::now();
    let err = run!(exchange(&client)).expect_err("timeout");
    assert!(err.is_timeout(), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn a_jwks_endpoint_failure_is_reported() {
    let mut server = mockito::Server::new();
    let issuer = server.url();
    let _jwks = server.mock("GET", "/jwks").with_status(503).create();
    let token = {
        let now = now_secs();
        provider().sign(
            serde_json::json!({"iss": issuer, "sub": "usr_alice", "aud": CLIENT, "iat": now, "exp": now + 300}),
            serde_json::json!({}),
        )
    };
    let _t = server
        .mock("POST", "/token")
        .with_header("content-type", "application/json")
        .with_body(
            serde_json::json!({"access_token":"at","token_type":"Bearer","id_token": token})
                .to_string(),
        )
        .create();
    let client = idp::IdpClient::builder(&issuer, CLIENT)
        .redirect_uri("http://127.0.0.1:9999/cb")
        .build_with_metadata(metadata(&issuer, &format!("{issuer}/token")))
        .unwrap();
    let err = run!(exchange(&client)).expect_err("jwks 503");
    assert_eq!(err.status(), Some(503));
}
