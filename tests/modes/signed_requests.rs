// An agent's clients sign every request in the transport core (RFC 9421, Ed25519): a GET with a
// query (the permission checker) and a POST with a body (the PDP client), each verified by
// idpkit's own verifier on the "server" side, a transport that answers in memory. A retry is
// signed afresh: the verifier's replay check accepts both attempts. Compiled once per mode by
// `tests/clients.rs`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use idpkit::agent::{AgentKey, RequestSigner, SignatureVerifier, VerifiedSignature};
use idpkit::authz::authzen::{Action, EvaluationRequest, Resource, Subject};
use idpkit::http::{HttpRequest, HttpResponse, RetryPolicy};
use idpkit::Result;

use super::{idp, maybe_async};

/// A "server" that verifies each request's signature and answers from memory: 401 for a
/// request that does not verify, 503 for the first `busy` requests, else `body`.
struct Verifying {
    verifier: SignatureVerifier,
    seen: Mutex<Vec<(VerifiedSignature, HttpRequest)>>,
    busy: AtomicUsize,
    body: &'static str,
}

impl Verifying {
    fn new(key: &AgentKey, busy: usize, body: &'static str) -> Arc<Verifying> {
        let keys = HashMap::from([(key.key_id().to_owned(), key.public_key().clone())]);
        Arc::new(Verifying {
            verifier: SignatureVerifier::new(keys),
            seen: Mutex::new(Vec::new()),
            busy: AtomicUsize::new(busy),
            body,
        })
    }
}

fn answer(status: u16, body: &str) -> HttpResponse {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(body.as_bytes().to_vec())
        .expect("response")
}

#[maybe_async(AFIT)]
impl idp::HttpClient for Verifying {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse> {
        match self.verifier.verify(&request, SystemTime::now()) {
            Err(e) => Ok(answer(401, &format!("{{\"message\":\"{e}\"}}"))),
            Ok(verified) => {
                self.seen.lock().unwrap().push((verified, request));
                let busy = self
                    .busy
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok();
                Ok(match busy {
                    true => answer(503, r#"{"message":"busy"}"#),
                    false => answer(200, self.body),
                })
            }
        }
    }
}

#[maybe_async]
async fn fetch_permission(server: Arc<Verifying>, signer: RequestSigner) -> Result<bool> {
    let checker = idp::PermissionChecker::builder("https://api.example/v1?tenant=acme")
        .sign_requests(signer)
        .http_client(server)
        .build()?;
    checker.has_permission("agent-7", "files:read").await
}

#[test]
fn a_get_with_a_query_is_signed() {
    let key = AgentKey::generate().expect("key");
    let server = Verifying::new(&key, 0, r#"{"permissions":["files:*"]}"#);
    let signer = RequestSigner::new(key).tag(Some("idpkit-agent"));
    let allowed = run!(fetch_permission(Arc::clone(&server), signer)).expect("verified");
    assert!(allowed);
    let seen = server.seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    let (verified, request) = &seen[0];
    assert_eq!(verified.tag.as_deref(), Some("idpkit-agent"));
    assert_eq!(request.uri().query(), Some("tenant=acme"));
    let input = request.headers()["signature-input"].to_str().unwrap();
    assert!(input.contains(r#""@query""#), "{input}");
    assert!(!request.headers().contains_key("content-digest"), "no body, no digest");
}

#[maybe_async]
async fn evaluate_signed(server: Arc<Verifying>, signer: RequestSigner) -> Result<bool> {
    let pdp = idp::PdpClient::builder("https://pdp.example")
        .sign_requests(signer)
        .retry_policy(RetryPolicy::new(
            2,
            Duration::from_millis(10),
            Duration::from_millis(10),
        ))
        .http_client(server)
        .build()?;
    let request = EvaluationRequest::new(
        Subject::new("agent", "agent-7"),
        Action::new("read"),
        Resource::new("document", "d1"),
    );
    Ok(pdp.evaluate(&request).await?.decision)
}

#[test]
fn a_post_body_is_signed_and_each_retry_afresh() {
    let key = AgentKey::generate().expect("key");
    let server = Verifying::new(&key, 1, r#"{"decision":true}"#);
    let decision = run!(evaluate_signed(Arc::clone(&server), RequestSigner::new(key)))
        .expect("the retry verifies too");
    assert!(decision);
    let seen = server.seen.lock().unwrap();
    assert_eq!(seen.len(), 2, "503, then the retry");
    let (first, request) = &seen[0];
    let (second, _) = &seen[1];
    assert_ne!(first.nonce, second.nonce, "a fresh nonce per attempt");
    let input = request.headers()["signature-input"].to_str().unwrap();
    assert!(
        input.contains(r#""content-type""#) && input.contains(r#""content-digest""#),
        "{input}"
    );
    assert!(request.headers()["content-digest"]
        .to_str()
        .unwrap()
        .starts_with("sha-256=:"));
}

#[test]
fn a_request_signed_by_another_key_is_refused_by_the_server() {
    let trusted = AgentKey::generate().expect("key");
    let server = Verifying::new(&trusted, 0, r#"{"decision":true}"#);
    let stranger = RequestSigner::new(AgentKey::generate().expect("key"));
    let err = run!(evaluate_signed(Arc::clone(&server), stranger)).expect_err("unknown key");
    assert_eq!(err.status(), Some(401), "{err:?}");
    assert!(server.seen.lock().unwrap().is_empty());
}
