//! Exact request shapes, in memory: a closure is the transport (any
//! `Fn(HttpRequest) -> Result<HttpResponse>` is an `HttpClient`), records what the client sends
//! and answers with a canned response. No socket is opened.

use std::sync::{Arc, Mutex};

use idpkit::authz::authzen::{Action, EvaluationRequest, Resource, Subject};
use idpkit::http::{HttpRequest, HttpResponse};
use idpkit::oidc::ClientCredentialsRequest;
use idpkit::{ErrorKind, Result};

use super::common::metadata;
use super::{idp, maybe_async};

type Seen = Arc<Mutex<Vec<HttpRequest>>>;

/// A transport that keeps every request and answers each with `status` and the JSON `body`.
fn recording(
    status: u16,
    body: &'static str,
) -> (impl Fn(HttpRequest) -> Result<HttpResponse> + Send + Sync, Seen) {
    let seen: Seen = Arc::default();
    let keep = Arc::clone(&seen);
    let transport = move |request: HttpRequest| {
        keep.lock().unwrap().push(request);
        Ok(http::Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(body.as_bytes().to_vec())
            .unwrap())
    };
    (transport, seen)
}

#[maybe_async]
async fn fetch<H: idp::HttpClient>(
    client: &idp::IdpClient<H>,
    request: &ClientCredentialsRequest,
) -> Result<idpkit::oidc::Principal> {
    client.client_credentials(request).await
}

#[test]
fn a_client_credentials_request_sends_scopes_resources_and_audience() {
    let (transport, seen) = recording(
        200,
        r#"{"access_token":"at-1","token_type":"Bearer","expires_in":60,"scope":"b a"}"#,
    );
    let client = idp::IdpClient::builder("https://op.example", "svc")
        .client_secret("s3cr3t")
        .http_client(transport)
        .build_with_metadata(metadata("https://op.example", "https://op.example/token"))
        .expect("client");
    let request = ClientCredentialsRequest::new(["b", "a"])
        .resource("https://api.example")
        .audience("billing");
    let principal = run!(fetch(&client, &request)).expect("token");
    assert_eq!(principal.access_token().expose_secret(), "at-1");

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    let sent = &seen[0];
    assert_eq!(sent.method(), "POST");
    assert_eq!(sent.uri(), "https://op.example/token");
    assert_eq!(
        std::str::from_utf8(sent.body()).unwrap(),
        "grant_type=client_credentials&scope=b+a&resource=https%3A%2F%2Fapi.example&audience=billing"
    );
    assert!(
        sent.headers()["authorization"]
            .to_str()
            .unwrap()
            .starts_with("Basic ")
    );
    assert!(sent.headers()["authorization"].is_sensitive());
    assert_eq!(
        sent.headers()["content-type"],
        "application/x-www-form-urlencoded"
    );
}

#[maybe_async]
async fn evaluate<H: idp::HttpClient>(
    pdp: &idp::PdpClient<H>,
    request: &EvaluationRequest,
) -> Result<bool> {
    Ok(pdp.evaluate(request).await?.decision)
}

#[test]
fn a_pdp_call_is_retried_with_the_same_request_id_then_gives_up() {
    let (transport, seen) = recording(503, r#"{"message":"busy"}"#);
    let pdp = idp::PdpClient::builder("https://pdp.example")
        .api_key("k3y")
        .retry_policy(idpkit::http::RetryPolicy::new(
            2,
            std::time::Duration::from_millis(1),
            std::time::Duration::from_millis(2),
        ))
        .http_client(transport)
        .build()
        .expect("pdp");
    let request = EvaluationRequest::new(
        Subject::new("user", "alice"),
        Action::new("can_read"),
        Resource::new("doc", "1"),
    );
    let err = run!(evaluate(&pdp, &request)).expect_err("503 three times");
    assert!(
        matches!(err.kind(), ErrorKind::Status { status: 503, .. }),
        "{err:?}"
    );
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3, "one call and two retries");
    let ids: Vec<_> = seen.iter().map(|r| r.headers()["x-request-id"].clone()).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert_eq!(seen[0].headers()["authorization"], "Bearer k3y");
    assert_eq!(seen[0].uri(), "https://pdp.example/access/v1/evaluation");
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(seen[0].body()).unwrap(),
        serde_json::json!({
            "subject": {"type": "user", "id": "alice"},
            "action": {"name": "can_read"},
            "resource": {"type": "doc", "id": "1"}
        })
    );
}
