// RFC 9421 end to end with an independent verifier: both clients sign real requests over
// loopback to a server built on the PyPI package http-message-signatures 3.0.0
// (tests/interop/http_sig_server.py), which admits them, and which refuses the same request sent
// again (a replay), tampered, or unsigned. A GET with a query (the permission checker) and a POST
// with a body (the PDP client). Compiled once per mode by `tests/clients.rs`.

use std::sync::{Arc, Mutex};

use idpkit::Result;
use idpkit::agent::RequestSigner;
use idpkit::authz::authzen::{Action, EvaluationRequest, Resource, Subject};
use idpkit::http::{HttpRequest, HttpResponse};

use super::idp::HttpClient as _;
use super::{idp, maybe_async, users_own_transport};
use crate::{http_sig_server::TestHttpSig, test_http_sig};

/// The mode's real transport, keeping a copy of every request it sends (signed: the transport
/// core signs before handing the request over).
struct Recording {
    inner: idp::DefaultHttp,
    sent: Mutex<Vec<HttpRequest>>,
}

#[maybe_async(AFIT)]
impl idp::HttpClient for Recording {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse> {
        self.sent.lock().unwrap().push(request.clone());
        self.inner.send(request).await
    }
}

fn recording() -> Arc<Recording> {
    Arc::new(Recording {
        inner: users_own_transport(),
        sent: Mutex::new(Vec::new()),
    })
}

fn signer(server: &TestHttpSig) -> RequestSigner {
    RequestSigner::new(Arc::clone(&server.key)).tag(Some("idpkit-agent"))
}

/// Sends `request` as it is, past the clients: the status and the body.
#[maybe_async]
async fn resend(http: &Recording, request: HttpRequest) -> (u16, String) {
    let response = http.inner.send(request).await.expect("sent");
    let status = response.status().as_u16();
    (status, String::from_utf8_lossy(response.body()).into_owned())
}

/// Each way the server must refuse a request it accepted once.
#[maybe_async]
async fn assert_refusals(http: &Recording, accepted: &HttpRequest) {
    let (status, body) = resend(http, accepted.clone()).await;
    assert_eq!(status, 401, "a replay: {body}");
    assert!(body.contains("replayed nonce"), "{body}");

    let mut tampered = accepted.clone();
    let glue = if tampered.uri().query().is_some() { '&' } else { '?' };
    let uri = format!("{}{glue}admin=1", tampered.uri());
    *tampered.uri_mut() = uri.parse().unwrap();
    let (status, body) = resend(http, tampered).await;
    assert_eq!(status, 401, "a tampered query: {body}");
    assert!(!body.contains("replayed"), "refused for its signature first: {body}");

    let mut unsigned = accepted.clone();
    unsigned.headers_mut().remove("signature");
    unsigned.headers_mut().remove("signature-input");
    let (status, body) = resend(http, unsigned).await;
    assert_eq!(status, 401, "unsigned: {body}");
}

#[maybe_async]
async fn permissions_then_refusals(server: &TestHttpSig, http: Arc<Recording>) -> (bool, bool) {
    let checker = idp::PermissionChecker::builder(format!("{}/v1?tenant=acme", server.base_url))
        .sign_requests(signer(server))
        .http_client(Arc::clone(&http))
        .build()
        .expect("checker");
    let read = checker.has_permission("agent-7", "files:read").await;
    let secret = checker.has_permission("agent-7", "files:secret").await;
    let accepted = http.sent.lock().unwrap()[0].clone();
    assert_refusals(&http, &accepted).await;
    (read.expect("admitted"), secret.expect("cached"))
}

#[test]
fn a_signed_get_with_a_query_is_admitted_once() {
    let server = test_http_sig();
    let http = recording();
    let (read, secret) = run!(permissions_then_refusals(server, Arc::clone(&http)));
    assert!(read, "files:* allows files:read");
    assert!(!secret, "files:secret is denied first");
    let sent = http.sent.lock().unwrap();
    let request = &sent[0];
    assert_eq!(request.method(), "GET");
    assert_eq!(request.uri().query(), Some("tenant=acme"));
    assert!(request.headers().contains_key("signature-input"));
}

#[maybe_async]
async fn evaluation_then_refusals(server: &TestHttpSig, http: Arc<Recording>) -> bool {
    let pdp = idp::PdpClient::builder(format!("{}/pdp", server.base_url))
        .sign_requests(signer(server))
        .http_client(Arc::clone(&http))
        .build()
        .expect("PDP client");
    let request = EvaluationRequest::new(
        Subject::new("agent", "agent-7"),
        Action::new("read"),
        Resource::new("document", "d1"),
    );
    let decision = pdp.evaluate(&request).await;
    let accepted = http.sent.lock().unwrap()[0].clone();
    assert_refusals(&http, &accepted).await;

    let mut other_body = accepted.clone();
    other_body.body_mut().extend_from_slice(b" ");
    let (status, body) = resend(&http, other_body).await;
    assert_eq!(status, 401, "another body: {body}");
    decision.expect("admitted").decision
}

#[test]
fn a_signed_post_with_a_body_is_admitted_once() {
    let server = test_http_sig();
    let http = recording();
    let decision = run!(evaluation_then_refusals(server, Arc::clone(&http)));
    assert!(decision);
    let sent = http.sent.lock().unwrap();
    let request = &sent[0];
    assert_eq!(request.method(), "POST");
    assert!(request.uri().path().ends_with("/access/v1/evaluation"), "{}", request.uri());
    assert!(request.headers()["content-digest"]
        .to_str()
        .unwrap()
        .starts_with("sha-256=:"));
}
