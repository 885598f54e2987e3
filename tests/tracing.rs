//! A full session against the real test provider, in both modes, under a subscriber that keeps
//! every span and event field: each request has its span, and no secret (client secret, code,
//! code verifier, state, nonce, access, refresh or ID token) appears in any field. Its own
//! binary: it installs a global subscriber.

#![cfg(all(feature = "blocking", feature = "async"))]

#[path = "support/browser.rs"]
mod browser;
#[path = "support/op.rs"]
mod op;

use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use idpkit::oidc::{
    AuthorizationOptions, AuthorizationRequest, ClientCredentialsRequest, LogoutOptions, Principal,
};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

const REDIRECT: &str = "http://127.0.0.1:8976/callback";
const SCOPES: &[&str] = &["openid", "email", "offline_access", "organizations"];

/// Every span (name and fields) and event, as text.
#[derive(Default)]
struct Capture {
    next: AtomicU64,
    spans: Mutex<Vec<String>>,
    everything: Mutex<String>,
}

struct Fields<'a>(&'a mut String);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
}

impl Subscriber for &'static Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut text = span.metadata().name().to_owned();
        span.record(&mut Fields(&mut text));
        self.everything.lock().unwrap().push_str(&text);
        self.spans.lock().unwrap().push(text);
        Id::from_u64(self.next.fetch_add(1, Ordering::Relaxed) + 1)
    }
    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut text = String::new();
        values.record(&mut Fields(&mut text));
        let index = span.into_u64() as usize - 1;
        if let Some(s) = self.spans.lock().unwrap().get_mut(index) {
            s.push_str(&text);
        }
        self.everything.lock().unwrap().push_str(&text);
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut text = String::new();
        event.record(&mut Fields(&mut text));
        self.everything.lock().unwrap().push_str(&text);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

fn capture() -> &'static Capture {
    static CAPTURE: std::sync::OnceLock<&'static Capture> = std::sync::OnceLock::new();
    CAPTURE.get_or_init(|| {
        let capture: &'static Capture = Box::leak(Box::default());
        tracing::subscriber::set_global_default(capture).expect("one global subscriber");
        capture
    })
}

/// What a session must never let out.
fn secrets_of(
    principal: &Principal,
    request: &AuthorizationRequest,
    callback: &str,
) -> Vec<String> {
    let tokens = principal.tokens();
    let mut secrets = vec![
        tokens.access_token.expose_secret().to_owned(),
        request.code_verifier.expose_secret().to_owned(),
        request.state.clone(),
        request.nonce.clone(),
    ];
    secrets.extend(
        tokens
            .refresh_token
            .iter()
            .map(|t| t.expose_secret().to_owned()),
    );
    secrets.extend(tokens.id_token.iter().map(|t| t.expose_secret().to_owned()));
    let query = url::Url::parse(callback).expect("callback URL");
    secrets.extend(
        query
            .query_pairs()
            .filter(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned()),
    );
    secrets
}

/// Appends `value` as `Debug`, plain and pretty.
fn show(shown: &mut String, value: &dyn std::fmt::Debug) {
    shown.push_str(&format!("{value:?}\n{value:#?}\n"));
}

fn sign_in(client_url: &str) -> String {
    browser::Browser::new().follow_until(client_url, REDIRECT)
}

/// Alice's sign-in request.
fn options() -> AuthorizationOptions {
    AuthorizationOptions {
        login_hint: Some("usr_alice".into()),
        ..AuthorizationOptions::from(SCOPES)
    }
}

#[test]
fn a_full_session_in_both_modes_leaves_spans_debug_and_errors_without_secrets() {
    let capture = capture();
    let op = op::TestOp::start().expect("start the test OpenID Provider");
    let client_secret = op.client_secret("conf-basic").expect("secret").to_owned();
    let mut secrets = vec![client_secret.clone()];
    // Every value of the session as `Debug` (plain and pretty) and every error as `Display` too.
    let mut shown = String::new();

    // Blocking.
    let client = idpkit::IdpClientSync::builder(&op.issuer, "conf-basic")
        .client_secret(client_secret.as_str())
        .redirect_uri(REDIRECT)
        .discover()
        .expect("discover");
    let request = client
        .create_authorization_url(options())
        .expect("authorization URL");
    let callback = sign_in(&request.url);
    let principal = client
        .handle_callback(&callback, &request)
        .expect("callback");
    secrets.extend(secrets_of(&principal, &request, &callback));
    client.get_user_info(&principal).expect("userinfo");
    let refreshed = client.refresh(&principal).expect("refresh");
    secrets.extend(secrets_of(&refreshed, &request, &callback));
    let service = idpkit::IdpClientSync::builder(&op.issuer, "service")
        .client_secret(op.client_secret("service").expect("secret"))
        .discover()
        .expect("discover");
    let m2m = service
        .client_credentials(&ClientCredentialsRequest::new(["projects:read"]))
        .expect("client credentials");
    secrets.push(m2m.access_token().expose_secret().to_owned());
    secrets.push(op.client_secret("service").expect("secret").to_owned());
    show(&mut shown, &service);
    show(&mut shown, &m2m);
    assert!(
        client
            .introspect(refreshed.access_token())
            .expect("introspect")
            .active
    );
    client
        .revoke_token(refreshed.access_token())
        .expect("revoke");
    // The rotated-out refresh token, used again (the provider then revokes the grant): the
    // error must not carry it.
    let stale = client.refresh(&principal).expect_err("rotated out");
    shown.push_str(&format!("{stale}\n"));
    let session = client
        .create_agent(refreshed.tokens().clone(), Default::default())
        .expect("session");
    for value in [
        &client as &dyn std::fmt::Debug,
        &request,
        &principal,
        &refreshed,
        refreshed.tokens(),
        &session,
        &stale,
    ] {
        show(&mut shown, value);
    }
    let _ = client.create_logout_url(LogoutOptions::default());

    // Async.
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let client = idpkit::IdpClient::builder(&op.issuer, "conf-basic")
            .client_secret(client_secret.as_str())
            .redirect_uri(REDIRECT)
            .discover()
            .await
            .expect("discover");
        let request = client
            .create_authorization_url(options())
            .expect("authorization URL");
        let url = request.url.clone();
        let callback = tokio::task::spawn_blocking(move || sign_in(&url))
            .await
            .expect("browser");
        let principal = client
            .handle_callback(&callback, &request)
            .await
            .expect("callback");
        secrets.extend(secrets_of(&principal, &request, &callback));
        client.get_user_info(&principal).await.expect("userinfo");
        let refreshed = client.refresh(&principal).await.expect("refresh");
        secrets.extend(secrets_of(&refreshed, &request, &callback));
        let stale = client.refresh(&principal).await.expect_err("rotated out");
        shown.push_str(&format!("{stale}\n"));
        let session = client
            .create_agent(refreshed.tokens().clone(), Default::default())
            .await
            .expect("session");
        for value in [
            &client as &dyn std::fmt::Debug,
            &request,
            &principal,
            &refreshed,
            &session,
            &stale,
        ] {
            show(&mut shown, value);
        }
        client
            .revoke_token(refreshed.access_token())
            .await
            .expect("revoke");
        let info = client
            .introspect(refreshed.access_token())
            .await
            .expect("introspect");
        assert!(!info.active);
    });

    let spans = capture.spans.lock().unwrap().clone();
    let requests: Vec<&String> = spans
        .iter()
        .filter(|s| s.starts_with(idpkit::http::REQUEST_SPAN))
        .collect();
    for operation in [
        "discovery",
        "token",
        "jwks",
        "userinfo",
        "introspection",
        "revocation",
    ] {
        let needle = format!("operation=\"{operation}\"");
        assert!(
            requests.iter().filter(|s| s.contains(&needle)).count() >= 2,
            "a span for {operation} in each mode: {requests:#?}"
        );
    }
    for span in &requests {
        assert!(
            span.contains(" status=") && span.contains(" duration_ms="),
            "{span}"
        );
        assert!(span.contains(" host=\"127.0.0.1\""), "{span}");
        assert!(!span.contains('?'), "no query string in a span: {span}");
    }
    let everything = capture.everything.lock().unwrap().clone();
    assert!(
        shown.contains("usr_alice"),
        "the values were formatted: {shown}"
    );
    assert!(!secrets.is_empty());
    for secret in &secrets {
        assert!(secret.len() >= 8, "a real secret, not a stub: {secret:?}");
        assert!(
            !everything.contains(secret.as_str()),
            "a secret leaked into tracing: {everything}"
        );
        // `state` and `nonce` are in the authorization URL the browser is sent to, so
        // `AuthorizationRequest` may show them; spans must not (they carry no query).
        let in_the_url = shown.contains(&format!("state={secret}"))
            || shown.contains(&format!("nonce={secret}"));
        assert!(
            in_the_url || !shown.contains(secret.as_str()),
            "a secret leaked into Debug or Display: {shown}"
        );
    }
}
