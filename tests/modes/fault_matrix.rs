// Every client operation under every network fault, against the real servers: the test provider
// and Cerbos answer, and a fault proxy (`support/fault_proxy.rs`) between them and the client
// spoils the answer (reset, close mid-headers, close mid-body, truncated body, one byte per
// second, first byte held, corrupted body). Each cell must end in a typed error within the
// operation's deadline, with the same words in both modes, and leave nothing half-done: with
// the faults gone, the same operation works. Compiled once per mode by `tests/clients.rs`.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use idpkit::authz::authzen::{
    Action, EvaluationItem, EvaluationRequest, EvaluationsRequest, Resource, Subject,
};
use idpkit::http::{HttpRequest, HttpResponse, TransportCause};
use idpkit::oidc::{AuthorizationOptions, ClientCredentialsRequest, Principal, SessionOptions};
use idpkit::{ErrorKind, Result};

use super::{idp, maybe_async, users_own_transport};
use crate::fault_proxy::{Fault, FaultProxy};
use crate::{browser, provider, test_pdp};

const REDIRECT: &str = "http://127.0.0.1:8976/callback";
/// Each attempt's timeout and each operation's deadline in this file.
const TIMEOUT: Duration = Duration::from_millis(800);
const DEADLINE: Duration = Duration::from_millis(1200);
/// What a loaded 2-core machine may add to a deadline before the error is in hand.
const SLACK: Duration = Duration::from_millis(800);

/// The mode's transport, sending to the fault proxy what was meant for the server behind it (or,
/// while `refuse` is set, to a loopback port where nothing listens). The provider names its
/// endpoints after the `Host` it was asked on, so after discovery most URLs name the proxy.
struct Via {
    server: String,
    proxy: String,
    inner: idp::DefaultHttp,
    refuse: Arc<AtomicBool>,
}

#[maybe_async(AFIT)]
impl idp::HttpClient for Via {
    async fn send(&self, mut request: HttpRequest) -> Result<HttpResponse> {
        let mut uri = request.uri().to_string().replacen(&self.server, &self.proxy, 1);
        if self.refuse.load(Ordering::SeqCst) {
            uri = uri.replacen(&self.proxy, "127.0.0.1:1", 1);
        }
        *request.uri_mut() = uri.parse().expect("proxied URI");
        self.inner.send(request).await
    }
}

/// A proxy in front of the server of `base_url`, and a transport through it.
fn proxied(base_url: &str) -> (FaultProxy, Via) {
    let server = base_url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .expect("host:port")
        .to_owned();
    let proxy = FaultProxy::start(&server);
    let via = Via {
        server: server.clone(),
        proxy: proxy.authority(),
        inner: users_own_transport(),
        refuse: Arc::default(),
    };
    (proxy, via)
}

#[maybe_async]
async fn rp(client_id: &str, via: Via) -> Result<idp::IdpClient<Via>> {
    let op = provider();
    let mut builder = idp::IdpClient::builder(&op.issuer, client_id)
        .redirect_uri(REDIRECT)
        .timeout(TIMEOUT)
        .deadline(DEADLINE)
        .http_client(via);
    if let Some(secret) = op.client_secret(client_id) {
        builder = builder.client_secret(secret);
    }
    builder.discover().await
}

#[maybe_async]
async fn sign_in(client: &idp::IdpClient<Via>, proxy: &FaultProxy) -> Result<Principal> {
    let (request, url) = authorize(client, proxy);
    client.handle_callback(&url, &request).await
}

/// The browser's part of a sign-in, straight to the provider: the provider names its endpoints
/// after the `Host` it was asked on, the proxy's, so the browser's URL is turned back.
fn authorize(
    client: &idp::IdpClient<Via>,
    proxy: &FaultProxy,
) -> (idpkit::oidc::AuthorizationRequest, String) {
    let options = AuthorizationOptions {
        login_hint: Some("usr_alice".into()),
        ..AuthorizationOptions::new(["openid", "email", "offline_access"])
    };
    let request = client.create_authorization_url(options).expect("URL");
    let server = provider().issuer.trim_start_matches("http://");
    let direct = request.url.replacen(&proxy.authority(), server, 1);
    let url = browser::Browser::new().follow_until(&direct, REDIRECT);
    (request, url)
}

/// Checks one cell: the outcome of an operation under `fault`, which took `took`.
/// `empty_body` says the endpoint answers with no body, which the body faults cannot spoil.
fn check<T: std::fmt::Debug>(
    operation: &str,
    fault: Fault,
    outcome: Result<T>,
    took: Duration,
    proxy: &FaultProxy,
    empty_body: bool,
) {
    let cell = format!("{operation} under {fault:?}");
    assert!(took < DEADLINE + SLACK, "{cell}: took {took:?}");
    let body_fault = matches!(
        fault,
        Fault::CloseMidBody | Fault::TruncateBody | Fault::Corrupt
    );
    let err = match outcome {
        Ok(_) if empty_body && body_fault => return,
        Ok(value) => panic!("{cell}: succeeded with {value:?}"),
        Err(err) => err,
    };
    // An empty body arrives whole before a body fault strikes; the fault then hits the
    // connection, perhaps as the next request is sent on it.
    if empty_body && body_fault {
        assert!(
            matches!(err.kind(), ErrorKind::Transport { .. }),
            "{cell}: {err:?}"
        );
        return;
    }
    let shown = err.to_string();
    let at = proxy.authority();
    match fault {
        Fault::Trickle | Fault::DelayFirstByte => {
            assert!(err.is_timeout(), "{cell}: {err:?}");
            assert_eq!(shown, "the request timed out", "{cell}");
        }
        Fault::Corrupt if !empty_body => {
            assert!(
                matches!(err.kind(), ErrorKind::MalformedResponse { .. }),
                "{cell}: {err:?}"
            );
        }
        _ => {
            let ErrorKind::Transport { cause, message } = err.kind() else {
                panic!("{cell}: not a transport error: {err:?}");
            };
            let expected = match fault {
                Fault::Reset => TransportCause::ConnectionReset,
                _ => TransportCause::ConnectionClosed,
            };
            assert_eq!(*cause, expected, "{cell}: {err:?}");
            assert_eq!(shown, format!("transport error: {cause} ({at})"), "{cell}");
            assert_eq!(message, &format!("{cause} ({at})"), "{cell}");
        }
    }
}

/// Runs `operation` under every fault, then once more with none.
macro_rules! matrix {
    ($name:literal, $proxy:expr, $empty_body:expr, $operation:expr) => {{
        let proxy: &FaultProxy = $proxy;
        for fault in Fault::ALL {
            proxy.set(fault);
            let started = Instant::now();
            let outcome = run!($operation);
            check($name, fault, outcome, started.elapsed(), proxy, $empty_body);
        }
        proxy.set(Fault::Pass);
        run!($operation).unwrap_or_else(|e| panic!("{} after the faults: {e:?}", $name));
    }};
}

#[test]
fn discovery_under_every_fault() {
    let (proxy, _) = proxied(&provider().issuer);
    let server = provider().issuer.trim_start_matches("http://").to_owned();
    matrix!("discovery", &proxy, false, rp(
        "conf-basic",
        Via {
            server: server.clone(),
            proxy: proxy.authority(),
            inner: users_own_transport(),
            refuse: Arc::default(),
        }
    ));
}

#[test]
fn code_exchange_under_every_fault() {
    let (proxy, via) = proxied(&provider().issuer);
    let client = run!(rp("conf-basic", via)).expect("discovery");
    // Each exchange needs a fresh code (the provider consumes it even when the answer is lost).
    matrix!("code exchange", &proxy, false, sign_in(&client, &proxy));
}

#[test]
fn userinfo_introspection_and_revocation_under_every_fault() {
    let (proxy, via) = proxied(&provider().issuer);
    let client = run!(rp("conf-basic", via)).expect("discovery");
    let principal = run!(sign_in(&client, &proxy)).expect("sign-in");
    let token = principal.access_token();
    matrix!("userinfo", &proxy, false, client.get_user_info(&principal));
    matrix!("introspection", &proxy, false, client.introspect(token));
    matrix!("revocation", &proxy, true, client.revoke_token(token));
}

#[test]
fn client_credentials_under_every_fault() {
    let (proxy, via) = proxied(&provider().issuer);
    let client = run!(rp("service", via)).expect("discovery");
    let request = ClientCredentialsRequest::new(["projects:read"]);
    matrix!("client credentials", &proxy, false, client.client_credentials(&request));
}

#[test]
fn pdp_evaluation_and_batch_under_every_fault() {
    let (proxy, via) = proxied(&test_pdp().base_url);
    let client = idp::PdpClient::builder(&test_pdp().base_url)
        .timeout(TIMEOUT)
        .deadline(DEADLINE)
        .http_client(via)
        .build()
        .expect("PDP client");
    let one = EvaluationRequest::new(
        Subject::new("user", "usr_alice"),
        Action::new("read"),
        Resource::new("document", "mine").with_property("owner", "usr_alice"),
    );
    let batch = EvaluationsRequest::new()
        .item(EvaluationItem::default().subject(Subject::new("user", "usr_alice")).action(Action::new("read")).resource(Resource::new("document", "mine").with_property("owner", "usr_alice")))
        .item(EvaluationItem::default().subject(Subject::new("user", "usr_bob")).action(Action::new("read")).resource(Resource::new("document", "mine").with_property("owner", "usr_alice")));
    matrix!("PDP evaluation", &proxy, false, client.evaluate(&one));
    matrix!("PDP batch", &proxy, false, client.evaluate_batch(&batch));
}

#[maybe_async]
async fn session_of(
    client: &idp::IdpClient<Via>,
    principal: &Principal,
    errors: &Arc<AtomicUsize>,
) -> Result<idp::Session<Via>> {
    let errors = Arc::clone(errors);
    let options = SessionOptions::new().on_refresh_error(move |_| {
        errors.fetch_add(1, Ordering::SeqCst);
    });
    client.create_agent(principal.tokens().clone(), options).await
}

#[test]
fn a_lost_refresh_answer_ends_the_session_after_every_fault() {
    // The provider rotates refresh tokens and revokes the grant when a retired one comes back;
    // under each fault it did rotate, and the answer with the new token never arrived.
    let (proxy, via) = proxied(&provider().issuer);
    let client = run!(rp("conf-basic", via)).expect("discovery");
    for fault in Fault::ALL {
        proxy.set(Fault::Pass);
        let signed_in = run!(sign_in(&client, &proxy)).expect("sign-in");
        let errors = Arc::new(AtomicUsize::new(0));
        let session = run!(session_of(&client, &signed_in, &errors)).expect("session");
        proxy.set(fault);
        let started = Instant::now();
        let err = run!(session.refresh()).expect_err("the answer is lost");
        let cell = format!("refresh under {fault:?}");
        assert!(started.elapsed() < DEADLINE + SLACK, "{cell}: {:?}", started.elapsed());
        assert!(err.is_sign_in_required(), "{cell}: {err:?}");
        let cause = std::error::Error::source(&err)
            .and_then(|s| s.downcast_ref::<idpkit::Error>())
            .expect("the refresh's error is the source");
        check("refresh", fault, Err::<(), _>(cause.clone()), started.elapsed(), &proxy, false);
        // The faults are gone; the session stays ended and never sends the stale token.
        proxy.set(Fault::Pass);
        for _ in 0..3 {
            let again = run!(session.principal()).expect_err("ended");
            assert_eq!(again.to_string(), err.to_string(), "{cell}");
            assert!(run!(session.refresh()).expect_err("ended").is_sign_in_required());
        }
        assert_eq!(errors.load(Ordering::SeqCst), 1, "{cell}: on_refresh_error once");
        // The provider did rotate: the session's old refresh token is dead.
        let stale = run!(client.refresh(&signed_in)).expect_err("rotated out");
        assert_eq!(
            stale.oauth().map(|o| o.code.clone()),
            Some(idpkit::OAuthErrorCode::InvalidGrant),
            "{cell}"
        );
    }
}

#[test]
fn a_refresh_that_never_left_keeps_the_session() {
    let (proxy, via) = proxied(&provider().issuer);
    let refuse = Arc::clone(&via.refuse);
    let client = run!(rp("conf-basic", via)).expect("discovery");
    let signed_in = run!(sign_in(&client, &proxy)).expect("sign-in");
    let errors = Arc::new(AtomicUsize::new(0));
    let session = run!(session_of(&client, &signed_in, &errors)).expect("session");
    refuse.store(true, Ordering::SeqCst);
    let err = run!(session.refresh()).expect_err("refused");
    assert!(
        matches!(
            err.kind(),
            ErrorKind::Transport {
                cause: TransportCause::ConnectionRefused,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_retryable() && !err.is_sign_in_required());
    assert_eq!(errors.load(Ordering::SeqCst), 1);
    refuse.store(false, Ordering::SeqCst);
    let refreshed = run!(session.refresh()).expect("the same refresh token still works");
    assert_ne!(refreshed.access_token(), signed_in.access_token());
    assert_eq!(run!(session.principal()).expect("kept").access_token(), refreshed.access_token());
}
