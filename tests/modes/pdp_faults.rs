// The AuthZEN PDP client against faults a real PDP will not produce on demand: 500s, 429 with
// `Retry-After`, garbage, a PDP that never answers, a 400 that must not be retried, paging
// loops. Compiled once per mode by `tests/clients.rs`. mockito serves the endpoints (a plain
// `TcpListener` thread plays the hanging PDP).

use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use idpkit::authz::authzen::{
    Action, Decision, EvaluationItem, EvaluationRequest, EvaluationsRequest, Page, Resource,
    ResourceSearchRequest, Subject,
};
use idpkit::http::RetryPolicy;
use idpkit::{ErrorKind, Result};
use mockito::Matcher;

use super::common::{evaluate, evaluations, metadata};
use super::{idp, maybe_async};

const KEY: &str = "test-api-key";
const EVALUATION: &str = "/access/v1/evaluation";

fn client(server: &mockito::ServerGuard) -> idp::PdpClient {
    idp::PdpClient::builder(server.url())
        .api_key(KEY)
        .timeout(Duration::from_secs(5))
        .build()
        .expect("build")
}

fn request() -> EvaluationRequest {
    EvaluationRequest::new(
        Subject::new("user", "alice"),
        Action::new("read"),
        Resource::new("document", "d1"),
    )
}

/// A mock of the evaluation endpoint that insists on the request id and the API key.
fn evaluation_mock(server: &mut mockito::ServerGuard) -> mockito::Mock {
    server
        .mock("POST", EVALUATION)
        .match_header("x-request-id", Matcher::Regex("^[A-Za-z0-9_-]{22}$".into()))
        .match_header("authorization", format!("Bearer {KEY}").as_str())
        .match_header("content-type", "application/json")
}

fn permit(mock: mockito::Mock) -> mockito::Mock {
    mock.with_status(200)
        .with_header("content-type", "application/json")
        .with_body(r#"{"decision":true}"#)
}

#[test]
fn a_500_is_retried_once_then_succeeds() {
    let mut server = mockito::Server::new();
    let ids = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&ids);
    let fail = evaluation_mock(&mut server)
        .with_status(500)
        .with_body_from_request(move |r| {
            let id = r.header("x-request-id")[0].to_str().unwrap().to_owned();
            seen.lock().unwrap().push(id);
            b"boom".to_vec()
        })
        .expect(1)
        .create();
    let seen = Arc::clone(&ids);
    let ok = evaluation_mock(&mut server)
        .with_status(200)
        .with_header("content-type", "application/json")
        .with_body_from_request(move |r| {
            let id = r.header("x-request-id")[0].to_str().unwrap().to_owned();
            seen.lock().unwrap().push(id);
            br#"{"decision":true}"#.to_vec()
        })
        .expect(1)
        .create();
    let decision = run!(evaluate(&client(&server), &request())).expect("after one retry");
    assert!(decision.is_permitted());
    let ids = ids.lock().unwrap();
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0], ids[1], "a retry keeps the request id");
    fail.assert();
    ok.assert();
}

#[test]
fn a_429_with_retry_after_waits_then_succeeds() {
    let mut server = mockito::Server::new();
    let slow = evaluation_mock(&mut server)
        .with_status(429)
        .with_header("retry-after", "1")
        .with_header("content-type", "application/json")
        .with_body(r#"{"code":8,"message":"slow down"}"#)
        .expect(1)
        .create();
    let ok = permit(evaluation_mock(&mut server)).expect(1).create();
    let started = Instant::now();
    let decision = run!(evaluate(&client(&server), &request())).expect("after waiting");
    let elapsed = started.elapsed();
    assert!(decision.is_permitted());
    assert!(
        elapsed >= Duration::from_millis(950) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
    slow.assert();
    ok.assert();
}

#[test]
fn a_503_without_retry_after_waits_for_the_body_s_retry_after() {
    let mut server = mockito::Server::new();
    let busy = evaluation_mock(&mut server)
        .with_status(503)
        .with_header("content-type", "application/json")
        .with_body(r#"{"message":"busy","retry_after":0.8}"#)
        .expect(1)
        .create();
    let ok = permit(evaluation_mock(&mut server)).expect(1).create();
    let started = Instant::now();
    let decision = run!(evaluate(&client(&server), &request())).expect("after waiting");
    let elapsed = started.elapsed();
    assert!(decision.is_permitted());
    // The body's 0.8 s, not the policy's 100 ms backoff.
    assert!(
        elapsed >= Duration::from_millis(750) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
    busy.assert();
    ok.assert();
}

#[test]
fn retries_give_up_after_the_policy_s_maximum() {
    let mut server = mockito::Server::new();
    let fail = evaluation_mock(&mut server)
        .with_status(503)
        .with_body("down")
        .expect(3)
        .create();
    let err = run!(evaluate(&client(&server), &request())).expect_err("still down");
    assert_eq!(err.status(), Some(503));
    fail.assert();
}

#[test]
fn a_400_is_not_retried() {
    let mut server = mockito::Server::new();
    let bad = evaluation_mock(&mut server)
        .with_status(400)
        .with_header("content-type", "application/json")
        .with_body(r#"{"code":3, "message":"proto: (line 1:172): unknown field \"foo\""}"#)
        .expect(1)
        .create();
    let err = run!(evaluate(&client(&server), &request())).expect_err("400");
    assert_eq!(err.status(), Some(400));
    assert!(matches!(err.kind(), ErrorKind::Status { .. }), "{err:?}");
    bad.assert();
}

#[test]
fn garbage_json_is_malformed_and_not_retried() {
    let mut server = mockito::Server::new();
    let garbage = evaluation_mock(&mut server)
        .with_status(200)
        .with_header("content-type", "application/json")
        .with_body(r#"{"decision": "sekrit-value"#)
        .expect(1)
        .create();
    let err = run!(evaluate(&client(&server), &request())).expect_err("garbage");
    assert!(
        matches!(err.kind(), ErrorKind::MalformedResponse { .. }),
        "{err:?}"
    );
    assert!(!format!("{err} {err:?}").contains("sekrit-value"));
    garbage.assert();
}

/// A "PDP" that accepts connections and never answers; returns its URL and the number of
/// connections it accepted.
fn hanging_pdp() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&accepted);
    std::thread::spawn(move || {
        let mut open = Vec::new();
        for stream in listener.incoming().flatten() {
            counter.fetch_add(1, Ordering::SeqCst);
            open.push(stream); // held open, never answered
        }
    });
    (url, accepted)
}

#[maybe_async]
async fn evaluate_hanging(
    url: String,
    retries: u32,
    deadline: Option<Duration>,
) -> Result<Decision> {
    let mut builder = idp::PdpClient::builder(url).timeout(Duration::from_millis(300));
    if let Some(deadline) = deadline {
        builder = builder.deadline(deadline);
    }
    let client = builder
        .retry_policy(RetryPolicy::new(
            retries,
            Duration::from_millis(10),
            Duration::from_millis(10),
        ))
        .build()?;
    client.evaluate(&request()).await
}

#[test]
fn a_hanging_pdp_is_a_timeout_after_the_retries() {
    let (url, accepted) = hanging_pdp();
    let started = Instant::now();
    let err = run!(evaluate_hanging(url, 1, Some(Duration::from_secs(2)))).expect_err("timeout");
    assert!(err.is_timeout(), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        2,
        "first attempt + one retry"
    );
}

#[test]
fn the_deadline_covers_every_attempt() {
    // Five retries of 300 ms each would take 1.8 s; the operation's deadline is 700 ms.
    let (url, accepted) = hanging_pdp();
    let deadline = Duration::from_millis(700);
    let started = Instant::now();
    let err = run!(evaluate_hanging(url, 5, Some(deadline))).expect_err("timeout");
    let took = started.elapsed();
    assert!(err.is_timeout(), "{err:?}");
    assert!(
        took >= Duration::from_millis(600) && took < deadline + Duration::from_millis(500),
        "{took:?}"
    );
    let attempts = accepted.load(Ordering::SeqCst);
    assert!((2..=3).contains(&attempts), "{attempts} attempts");
}

#[test]
fn the_default_deadline_is_the_timeout() {
    // No deadline set: one budget of 300 ms for the operation, so the hanging first attempt
    // leaves no time for the retry the policy would allow.
    let (url, accepted) = hanging_pdp();
    let started = Instant::now();
    let err = run!(evaluate_hanging(url, 3, None)).expect_err("timeout");
    assert!(err.is_timeout(), "{err:?}");
    assert!(started.elapsed() < Duration::from_millis(800), "{:?}", started.elapsed());
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

#[test]
fn a_retry_after_past_the_deadline_is_not_waited_for() {
    let mut server = mockito::Server::new();
    let busy = evaluation_mock(&mut server)
        .with_status(503)
        .with_header("retry-after", "5")
        .expect(1)
        .create();
    let client = idp::PdpClient::builder(server.url())
        .api_key(KEY)
        .deadline(Duration::from_secs(1))
        .retry_policy(RetryPolicy::new(3, Duration::from_millis(10), Duration::from_secs(10)))
        .build()
        .expect("build");
    let started = Instant::now();
    let err = run!(evaluate(&client, &request())).expect_err("503");
    assert_eq!(err.status(), Some(503), "{err:?}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(5)));
    assert!(started.elapsed() < Duration::from_millis(900), "{:?}", started.elapsed());
    busy.assert();
}

#[test]
fn serialisation_sends_no_nulls_and_no_empty_members() {
    let mut server = mockito::Server::new();
    let exact = permit(
        evaluation_mock(&mut server).match_body(Matcher::JsonString(
            r#"{"subject":{"type":"user","id":"alice","properties":{"department":"sales"}},
                "action":{"name":"read"},"resource":{"type":"document","id":"d1"}}"#
                .into(),
        )),
    )
    .expect(1)
    .create();
    let mut subject = Subject::new("user", "alice").with_property("department", "sales");
    subject
        .properties
        .insert("manager".into(), serde_json::Value::Null);
    let request = EvaluationRequest::new(
        subject,
        Action::new("read"),
        Resource::new("document", "d1"),
    );
    let decision = run!(evaluate(&client(&server), &request)).expect("exact body");
    assert!(decision.is_permitted());
    exact.assert();
}

#[test]
fn a_batch_answer_of_an_impossible_length_is_malformed() {
    let mut server = mockito::Server::new();
    let short = server
        .mock("POST", "/access/v1/evaluations")
        .match_header("authorization", format!("Bearer {KEY}").as_str())
        .match_header("x-request-id", Matcher::Regex("^[A-Za-z0-9_-]{22}$".into()))
        .with_header("content-type", "application/json")
        .with_body(r#"{"evaluations":[{"decision":true}]}"#)
        .expect(1)
        .create();
    let request = EvaluationsRequest::new()
        .subject(Subject::new("user", "alice"))
        .action(Action::new("read"))
        .item(EvaluationItem::default().resource(Resource::new("document", "d1")))
        .item(EvaluationItem::default().resource(Resource::new("document", "d2")));
    let err = run!(evaluations(&client(&server), &request)).expect_err("short");
    assert!(
        matches!(err.kind(), ErrorKind::MalformedResponse { .. }),
        "{err:?}"
    );
    short.assert();
}

#[maybe_async]
async fn all_resources(client: &idp::PdpClient) -> Result<Vec<Resource>> {
    let request = ResourceSearchRequest::new(
        Subject::new("user", "alice"),
        Action::new("read"),
        Resource::of_type("document"),
    )
    .with_page(Page::limit(2));
    client.search_all(&request).await
}

fn search_mock(
    server: &mut mockito::ServerGuard,
    token: Option<&str>,
    body: &str,
) -> mockito::Mock {
    let page = match token {
        Some(t) => serde_json::json!({"limit": 2, "token": t}),
        None => serde_json::json!({"limit": 2}),
    };
    server
        .mock("POST", "/access/v1/search/resource")
        .match_header("authorization", format!("Bearer {KEY}").as_str())
        .match_header("x-request-id", Matcher::Regex("^[A-Za-z0-9_-]{22}$".into()))
        .match_body(Matcher::PartialJson(serde_json::json!({
            "resource": {"type": "document"}, "page": page
        })))
        .with_header("content-type", "application/json")
        .with_body(body)
}

#[test]
fn search_all_follows_next_token_to_the_end() {
    let mut server = mockito::Server::new();
    let first = search_mock(
        &mut server,
        None,
        r#"{"page":{"next_token":"p2","count":2,"total":3},"results":[{"type":"document","id":"d1"},{"type":"document","id":"d2"}]}"#,
    )
    .expect(1)
    .create();
    let second = search_mock(
        &mut server,
        Some("p2"),
        r#"{"page":{"next_token":"","count":1},"results":[{"type":"document","id":"d3"}]}"#,
    )
    .expect(1)
    .create();
    let all = run!(all_resources(&client(&server))).expect("all pages");
    let ids: Vec<_> = all.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["d1", "d2", "d3"]);
    first.assert();
    second.assert();
}

#[test]
fn search_all_stops_on_a_repeated_token() {
    let mut server = mockito::Server::new();
    let looping = server
        .mock("POST", "/access/v1/search/resource")
        .with_header("content-type", "application/json")
        .with_body(r#"{"page":{"next_token":"again"},"results":[{"type":"document","id":"d1"}]}"#)
        .expect(2)
        .create();
    let err = run!(all_resources(&client(&server))).expect_err("loop");
    assert!(
        matches!(err.kind(), ErrorKind::MalformedResponse { .. }),
        "{err:?}"
    );
    looping.assert();
}

/// A mock provider's token endpoint on `server` answering `at-1`, `at-2`, … and counting, and
/// an IdP client for it.
fn token_endpoint(
    server: &mut mockito::ServerGuard,
) -> (idp::IdpClient, Arc<AtomicUsize>, mockito::Mock) {
    let count = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&count);
    let mock = server
        .mock("POST", "/token")
        .match_body(Matcher::UrlEncoded(
            "grant_type".into(),
            "client_credentials".into(),
        ))
        .with_header("content-type", "application/json")
        .with_body_from_request(move |_| {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            format!(r#"{{"access_token":"at-{n}","token_type":"Bearer","expires_in":300}}"#)
                .into_bytes()
        })
        .create();
    let issuer = server.url();
    let client = idp::IdpClient::builder(&issuer, "svc")
        .client_secret("svc-secret")
        .build_with_metadata(metadata(&issuer, &format!("{issuer}/token")))
        .expect("idp client");
    (client, count, mock)
}

fn credentials_client(
    server: &mockito::ServerGuard,
    idp_client: idp::IdpClient,
    cache: &idpkit::service_token::TokenCache,
) -> idp::PdpClient {
    idp::PdpClient::builder(server.url())
        .client_credentials(
            idp_client,
            cache.clone(),
            idpkit::oidc::ClientCredentialsRequest::new(["pdp:evaluate"]),
        )
        .build()
        .expect("build")
}

fn pdp_with_token(server: &mut mockito::ServerGuard, token: &str, status: usize) -> mockito::Mock {
    let body = if status == 200 {
        r#"{"decision":true}"#
    } else {
        r#"{"code":16,"message":"unauthenticated"}"#
    };
    server
        .mock("POST", EVALUATION)
        .match_header("authorization", format!("Bearer {token}").as_str())
        .with_status(status)
        .with_header("content-type", "application/json")
        .with_body(body)
        .create()
}

#[test]
fn client_credentials_come_from_the_cache_and_a_401_fetches_a_new_token_once() {
    let mut server = mockito::Server::new();
    let (idp_client, tokens, _t) = token_endpoint(&mut server);
    let stale = pdp_with_token(&mut server, "at-1", 401).expect(1);
    let fresh = pdp_with_token(&mut server, "at-2", 200).expect(2);
    let cache = idpkit::service_token::TokenCache::new();
    let pdp = credentials_client(&server, idp_client, &cache);
    assert!(run!(evaluate(&pdp, &request())).expect("after one re-fetch").decision);
    assert_eq!(
        tokens.load(Ordering::SeqCst),
        2,
        "the 401 dropped at-1 and fetched at-2"
    );
    // The next call reuses the cached at-2: no token request.
    assert!(run!(evaluate(&pdp, &request())).expect("cached").decision);
    assert_eq!(tokens.load(Ordering::SeqCst), 2);
    stale.assert();
    fresh.assert();
}

#[test]
fn a_pdp_that_keeps_answering_401_gets_one_new_token_not_more() {
    let mut server = mockito::Server::new();
    let (idp_client, tokens, _t) = token_endpoint(&mut server);
    let _pdp = server
        .mock("POST", EVALUATION)
        .with_status(401)
        .with_header("content-type", "application/json")
        .with_body(r#"{"code":16,"message":"unauthenticated"}"#)
        .expect(2)
        .create();
    let cache = idpkit::service_token::TokenCache::new();
    let pdp = credentials_client(&server, idp_client, &cache);
    let err = run!(evaluate(&pdp, &request())).expect_err("401");
    assert_eq!(err.status(), Some(401));
    assert_eq!(tokens.load(Ordering::SeqCst), 2);
}

#[test]
fn bad_client_credentials_are_an_oauth_error_and_the_pdp_is_not_called() {
    let mut server = mockito::Server::new();
    let _token = server
        .mock("POST", "/token")
        .with_status(401)
        .with_header("content-type", "application/json")
        .with_body(r#"{"error":"invalid_client","error_description":"bad secret"}"#)
        .create();
    let pdp_mock = server.mock("POST", EVALUATION).expect(0).create();
    let issuer = server.url();
    let idp_client = idp::IdpClient::builder(&issuer, "svc")
        .client_secret("wrong")
        .build_with_metadata(metadata(&issuer, &format!("{issuer}/token")))
        .unwrap();
    let cache = idpkit::service_token::TokenCache::new();
    let pdp = credentials_client(&server, idp_client, &cache);
    let err = run!(evaluate(&pdp, &request())).expect_err("invalid_client");
    assert_eq!(
        err.oauth().map(|o| o.code.clone()),
        Some(idpkit::OAuthErrorCode::InvalidClient),
        "{err:?}"
    );
    pdp_mock.assert();
}

#[test]
fn an_api_key_and_client_credentials_together_are_a_configuration_error() {
    let mut server = mockito::Server::new();
    let (idp_client, _, _t) = token_endpoint(&mut server);
    let cache = idpkit::service_token::TokenCache::new();
    let err = idp::PdpClient::builder(server.url())
        .api_key(KEY)
        .client_credentials(
            idp_client,
            cache,
            idpkit::oidc::ClientCredentialsRequest::new(["pdp:evaluate"]),
        )
        .build()
        .expect_err("both");
    assert!(matches!(err.kind(), ErrorKind::Config { .. }), "{err:?}");
}
