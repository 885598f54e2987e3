//! An AI agent calls a small service; every call is signed (RFC 9421, Ed25519) and the service
//! admits only verified agents, then checks the agent's permission (`reports:write`) in a
//! cached, deny-first permission checker that itself fetches the agent's lists from a
//! permissions API, signing those fetches with the service's own key.
//!
//! Everything runs on loopback in this process: `cargo run --example agent_service --features axum`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use axum::{Extension, Router};
use idpkit::agent::{AgentKey, RequestSigner, SignatureVerifier, VerifiedSignature, random_nonce};
use idpkit::asynch::PermissionChecker;
use idpkit::guard::{SignedRequests, verify_signature};

async fn serve(app: Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    addr
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let agent = Arc::new(AgentKey::generate()?); // the AI agent
    let service = Arc::new(AgentKey::generate()?); // the reports service, itself an agent
    println!("agent   {}", agent.key_id());
    println!("service {}", service.key_id());

    // 1. The permissions API: each agent's allow and deny lists, to signed callers only.
    let lists = HashMap::from([(
        agent.key_id().to_owned(),
        r#"{"permissions":["reports:*"],"denyPermissions":["reports:delete"]}"#,
    )]);
    let trusted = HashMap::from([(service.key_id().to_owned(), service.public_key().clone())]);
    let permissions_api = Router::new()
        .route(
            "/v1/agents/{id}/permissions",
            get(|Path(id): Path<String>| async move {
                let body = lists.get(&id).copied().unwrap_or(r#"{"permissions":[]}"#);
                ([(header::CONTENT_TYPE, "application/json")], body)
            }),
        )
        .route_layer(from_fn_with_state(
            SignedRequests::new(SignatureVerifier::new(trusted)),
            verify_signature,
        ));
    let permissions_url = format!("http://{}/v1", serve(permissions_api).await);

    // 2. The reports service: signed agents only, then `reports:write` from the cached checker.
    let checker = PermissionChecker::builder(&permissions_url)
        .sign_requests(RequestSigner::new(service.clone()))
        .build()?;
    let agents = HashMap::from([(agent.key_id().to_owned(), agent.public_key().clone())]);
    let reports = Router::new()
        .route(
            "/reports",
            post(
                |State(checker): State<PermissionChecker>,
                 Extension(caller): Extension<VerifiedSignature>,
                 body: String| async move {
                    match checker
                        .has_permission(&caller.key_id, "reports:write")
                        .await
                    {
                        Ok(true) => (
                            StatusCode::CREATED,
                            format!("report stored ({} bytes)", body.len()),
                        ),
                        Ok(false) => (StatusCode::FORBIDDEN, "reports:write is not granted".into()),
                        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
                    }
                },
            ),
        )
        .route_layer(from_fn_with_state(
            SignedRequests::new(SignatureVerifier::new(agents)),
            verify_signature,
        ))
        .with_state(checker.clone());
    let reports_url = format!("http://{}/reports?draft=false", serve(reports).await);

    // 3. The agent signs its call (any HTTP client: the signature is in the headers).
    let call = |key: Arc<AgentKey>, body: &'static str| {
        let url = reports_url.clone();
        async move {
            let mut request = http::Request::post(&url)
                .header("content-type", "application/json")
                .body(body.as_bytes().to_vec())?;
            RequestSigner::new(key).sign(&mut request, SystemTime::now(), &random_nonce()?)?;
            let mut send = reqwest::Client::new().post(&url).body(body);
            for (name, value) in request.headers() {
                send = send.header(name, value);
            }
            let answer = send.send().await?;
            Ok::<_, Box<dyn std::error::Error>>((answer.status(), answer.text().await?))
        }
    };
    let (status, text) = call(agent.clone(), r#"{"title":"Q3"}"#).await?;
    println!("signed agent:   {status} {text}");
    let (status, text) = call(agent.clone(), r#"{"title":"Q4"}"#).await?;
    println!("again (cached): {status} {text}");
    let (status, text) = call(Arc::new(AgentKey::generate()?), r#"{"title":"Q3"}"#).await?;
    println!("unknown agent:  {status} {text}");
    println!(
        "agent may delete reports: {}",
        checker
            .has_permission(agent.key_id(), "reports:delete")
            .await?
    );
    Ok(())
}
