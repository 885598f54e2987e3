//! The axum guard with DPoP-bound access tokens (RFC 9449 §7), with real HTTP requests to a real
//! axum app in front of the project's real OpenID Provider: the `dpop` client gets a JWT access
//! token bound to its key (`cnf.jkt`) by client credentials, and the guard verifies it locally
//! together with each request's proof. Proofs that fail each check, a bound token sent as
//! `Bearer`, a proof by another key, a replay: each a 401 with its reason.

#![cfg(feature = "axum")]

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use axum::middleware::from_fn_with_state;
use axum::routing::get;
use axum::{Extension, Router};
use idpkit::AccessToken;
use idpkit::dpop::{DpopChecks, DpopKey, DpopProof};
use idpkit::guard::{Caller, Guard, JwtVerifier, enforce};
use idpkit::oidc::ClientCredentialsRequest;

#[path = "support/op.rs"]
mod op;

const API: &str = "urn:idpkit:api:jwt";

/// A refused request: its name, `Authorization`, `DPoP` headers, the challenge's error and a
/// word of the reason.
type Case = (
    &'static str,
    Option<String>,
    Vec<String>,
    &'static str,
    &'static str,
);

/// Allows everything: the tests are about the token and its proof.
struct AllowAll;

impl idpkit::guard::Authorizer for AllowAll {
    fn is_allowed<'a>(
        &'a self,
        _: &'a idpkit::authz::authzen::EvaluationRequest,
    ) -> idpkit::guard::BoxFuture<'a, idpkit::Result<bool>> {
        Box::pin(async { Ok(true) })
    }
}

/// A client-credentials JWT access token for the API from `client_id`, bound to `key` if given.
async fn token(op: &op::TestOp, client_id: &str, key: Option<&DpopKey>) -> String {
    let mut builder = idpkit::IdpClient::builder(&op.issuer, client_id)
        .client_secret(op.client_secret(client_id).unwrap());
    if let Some(key) = key {
        builder = builder.dpop(key.clone());
    }
    let client = builder.discover().await.unwrap();
    let request = ClientCredentialsRequest::new(["projects:read"]).resource(API);
    let service = client.client_credentials(&request).await.unwrap();
    service.access_token().expose_secret().to_owned()
}

/// Serves `/reports/{id}` (GET and POST) behind a guard accepting DPoP at its own address.
async fn serve(op: &op::TestOp) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let api = idpkit::IdpClient::builder(&op.issuer, "conf-basic")
        .discover()
        .await
        .unwrap();
    let guard = Guard::new(JwtVerifier::new(api, API), AllowAll)
        .dpop(DpopChecks::new(), format!("http://{addr}"));
    let hello = |Extension(p): Extension<Caller>| async move { format!("hello {}", p.subject) };
    let app = Router::new().route(
        "/reports/{id}",
        get(hello)
            .post(hello)
            .route_layer(from_fn_with_state(guard.require("report", "read"), enforce)),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// Sends `method` to `path` with `authorization` and the proof headers; the status, the
/// `WWW-Authenticate` values and the body.
async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    authorization: Option<String>,
    proofs: &[&str],
) -> (u16, Vec<String>, String) {
    let client = reqwest::Client::new();
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = client.request(method, format!("http://{addr}{path}"));
    if let Some(authorization) = authorization {
        request = request.header("authorization", authorization);
    }
    for proof in proofs {
        request = request.header("dpop", *proof);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let challenges = response
        .headers()
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    (
        status,
        challenges,
        response.text().await.unwrap_or_default(),
    )
}

#[test]
fn the_guard_verifies_dpop_bound_tokens_and_their_proofs() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let op = op::TestOp::start().unwrap();
    runtime.block_on(async {
        let key = DpopKey::generate_es256().unwrap();
        let bound = token(&op, "dpop", Some(&key)).await;
        let unbound = token(&op, "service", None).await;
        let addr = serve(&op).await;
        let url = format!("http://{addr}/reports/7");
        let at = AccessToken::new(bound.clone());
        let dpop = Some(format!("DPoP {bound}"));
        let now = SystemTime::now();
        let proof = |key: &DpopKey, method: &str, url: &str, at: &AccessToken, iat: SystemTime| {
            DpopProof::new(method, url)
                .access_token(at)
                .sign(key, iat)
                .unwrap()
        };

        // The bound token with a proof of its key: admitted; the query is not part of htu.
        let good = proof(&key, "GET", &url, &at, now);
        let (status, _, body) =
            send(addr, "GET", "/reports/7?page=2", dpop.clone(), &[&good]).await;
        assert_eq!((status, body.as_str()), (200, "hello dpop"));
        let post = proof(&key, "POST", &url, &at, now);
        let (status, _, _) = send(addr, "POST", "/reports/7", dpop.clone(), &[&post]).await;
        assert_eq!(status, 200);

        // Each way a request can fail, with its reason and challenge.
        let other = DpopKey::generate_ed25519().unwrap();
        let wrong_token = AccessToken::new("another-token");
        let cases: Vec<Case> = vec![
            (
                "replayed",
                dpop.clone(),
                vec![good.clone()],
                "invalid_dpop_proof",
                "replay",
            ),
            (
                "htu",
                dpop.clone(),
                vec![proof(
                    &key,
                    "GET",
                    &format!("http://{addr}/reports/8"),
                    &at,
                    now,
                )],
                "invalid_dpop_proof",
                "htu",
            ),
            (
                "htm",
                dpop.clone(),
                vec![proof(&key, "POST", &url, &at, now)],
                "invalid_dpop_proof",
                "htm",
            ),
            (
                "ath",
                dpop.clone(),
                vec![proof(&key, "GET", &url, &wrong_token, now)],
                "invalid_dpop_proof",
                "ath",
            ),
            (
                "stale",
                dpop.clone(),
                vec![proof(
                    &key,
                    "GET",
                    &url,
                    &at,
                    now - Duration::from_secs(600),
                )],
                "invalid_dpop_proof",
                "iat",
            ),
            (
                "future",
                dpop.clone(),
                vec![proof(
                    &key,
                    "GET",
                    &url,
                    &at,
                    now + Duration::from_secs(600),
                )],
                "invalid_dpop_proof",
                "iat",
            ),
            (
                "other key",
                dpop.clone(),
                vec![proof(&other, "GET", &url, &at, now)],
                "invalid_token",
                "bound to another key",
            ),
            (
                "no proof",
                dpop.clone(),
                vec![],
                "invalid_dpop_proof",
                "no single DPoP proof",
            ),
            (
                "two proofs",
                dpop.clone(),
                vec![
                    proof(&key, "GET", &url, &at, now),
                    proof(&key, "GET", &url, &at, now),
                ],
                "invalid_dpop_proof",
                "no single DPoP proof",
            ),
            (
                "garbage",
                dpop.clone(),
                vec!["garbage".into()],
                "invalid_dpop_proof",
                "malformed",
            ),
            (
                "bound as bearer",
                Some(format!("Bearer {bound}")),
                vec![],
                "invalid_token",
                "binding",
            ),
            (
                "unbound as dpop",
                Some(format!("DPoP {unbound}")),
                vec![proof(
                    &key,
                    "GET",
                    &url,
                    &AccessToken::new(unbound.clone()),
                    now,
                )],
                "invalid_token",
                "binding",
            ),
        ];
        for (name, authorization, proofs, error, reason) in cases {
            let proofs: Vec<&str> = proofs.iter().map(String::as_str).collect();
            let (status, challenges, body) =
                send(addr, "GET", "/reports/7", authorization, &proofs).await;
            assert_eq!(status, 401, "{name}: {body}");
            let challenge = challenges.join(", ");
            assert!(challenge.starts_with("DPoP "), "{name}: {challenge}");
            assert!(
                challenge.contains(&format!("error=\"{error}\"")),
                "{name}: {challenge}"
            );
            assert!(body.contains(reason), "{name}: {body}");
        }

        // An unbound token as Bearer still works; no token at all gets both challenges.
        let (status, _, body) = send(
            addr,
            "GET",
            "/reports/7",
            Some(format!("Bearer {unbound}")),
            &[],
        )
        .await;
        assert_eq!((status, body.as_str()), (200, "hello service"));
        let (status, challenges, _) = send(addr, "GET", "/reports/7", None, &[]).await;
        assert_eq!(status, 401);
        assert!(
            challenges.iter().any(|c| c.starts_with("Bearer ")),
            "{challenges:?}"
        );
        assert!(
            challenges
                .iter()
                .any(|c| c.starts_with("DPoP ") && c.contains("ES256")),
            "{challenges:?}"
        );
    });
}
