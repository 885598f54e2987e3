//! An API whose routes are guarded by idpkit (feature `axum`): each request's bearer token is
//! verified by the provider's introspection endpoint, and a policy decision point (AuthZEN,
//! e.g. Cerbos) decides; 401 without a valid token, 403 on deny, 503 when the PDP is down.
//!
//! ```text
//! IDPKIT_ISSUER=https://login.example.com IDPKIT_CLIENT_ID=my-api IDPKIT_CLIENT_SECRET=... \
//! IDPKIT_PDP=http://127.0.0.1:3592 cargo run --example guarded_api --features axum
//! curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8977/documents/d1
//! ```

use axum::middleware::from_fn_with_state;
use axum::routing::get;
use axum::{Extension, Router};
use idpkit::authz::authzen::Resource;
use idpkit::guard::{Caller, Guard, IntrospectionVerifier, enforce};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = |k: &str| std::env::var(k).map_err(|_| format!("set {k}"));
    let idp = idpkit::IdpClient::builder(env("IDPKIT_ISSUER")?, env("IDPKIT_CLIENT_ID")?)
        .client_secret(env("IDPKIT_CLIENT_SECRET")?)
        .discover()
        .await?;
    let pdp = idpkit::asynch::PdpClient::builder(env("IDPKIT_PDP")?).build()?;
    let guard = Guard::new(IntrospectionVerifier::new(idp), pdp)
        .realm("documents")
        // The application knows its documents' attributes; the PDP's policy uses them.
        .resource_resolver(|_parts, kind, id| {
            let (kind, id) = (kind.to_owned(), id.unwrap_or("*").to_owned());
            Box::pin(async move {
                let owner = if id.starts_with("alice-") {
                    "usr_alice"
                } else {
                    "usr_bob"
                };
                Ok(Resource::new(kind, id).with_property("owner", owner))
            })
        });
    let app = Router::new()
        .route(
            "/documents/{id}",
            get(|Extension(who): Extension<Caller>| async move {
                format!("a document, for {}", who.subject)
            })
            .route_layer(from_fn_with_state(
                guard.require("document", "read"),
                enforce,
            )),
        )
        .route(
            "/documents/{id}/edit",
            get(|| async { "edited" }).route_layer(from_fn_with_state(
                guard.require("document", "edit"),
                enforce,
            )),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:8977").await?;
    println!("listening on http://127.0.0.1:8977");
    axum::serve(listener, app).await?;
    Ok(())
}
