//! Two login types in one axum service — `admins` (EdDSA keys, whose public half is served at
//! `/.well-known/jwks.json`) and `users` (HS256) — guarded by local policy rules.
//!
//! Run: `cargo run --example login_types --features axum`. The example serves on a loopback
//! port, issues a few tokens, calls its own routes with them and prints the answers.

use std::sync::Arc;

use axum::middleware::from_fn_with_state;
use axum::routing::{delete, get, post};
use axum::{Extension, Json, Router};
use idpkit::authz::policy::{Condition, Evaluators, Operator, PolicyEngine, Rule, Source};
use idpkit::guard::login::{LoginGuard, login_required};
use idpkit::login::{Issue, LoginClaims, LoginKey, LoginManager, LoginType};
use jsonwebtoken::Algorithm;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manager = Arc::new(
        LoginManager::builder()
            .login_type(
                LoginType::new("admins", LoginKey::generate(Algorithm::EdDSA)?)
                    .access_lifetime(Some(std::time::Duration::from_secs(300))),
            )
            .login_type(LoginType::new(
                "users",
                LoginKey::hs256(b"change-me: a users secret of 32+ bytes")?,
            ))
            .build()?,
    );

    // Any user reads posts; writing needs the `posts:write` scope; deleting is for
    // moderators only (the explicit deny wins over the allow before it).
    let policy = PolicyEngine::builder()
        .rule(Rule::allow(["posts:read"], ["posts"]))
        .rule(Rule::allow(["posts:write"], ["posts"]).scopes(["posts:write"], true))
        .rule(Rule::allow(["posts:delete"], ["posts"]))
        .rule(
            Rule::deny(["posts:delete"], ["posts"])
                .condition(Condition::new(
                    Source::Subject,
                    "role",
                    Operator::NotEquals,
                    "moderator",
                ))
                .reason("only moderators delete posts"),
        )
        .build()?;
    let guard = LoginGuard::new(manager.clone()).policy(policy, Evaluators::new());
    let layer = |requirement| from_fn_with_state(requirement, login_required);
    let who = |Extension(c): Extension<LoginClaims>| async move {
        format!("ok for {} ({})", c.sub, c.login_type.unwrap_or_default())
    };
    let jwks = manager.jwks();
    let app = Router::new()
        .route(
            "/.well-known/jwks.json",
            get(move || async move { Json(jwks) }),
        )
        .route(
            "/admin",
            get(who).route_layer(layer(guard.access_token_required("admins"))),
        )
        .route(
            "/posts",
            get(who).route_layer(layer(guard.policy_required("users", "posts:read", "posts"))),
        )
        .route(
            "/posts/new",
            post(who).route_layer(layer(guard.policy_required(
                "users",
                "posts:write",
                "posts",
            ))),
        )
        .route(
            "/posts/old",
            delete(who).route_layer(layer(guard.policy_required(
                "users",
                "posts:delete",
                "posts",
            ))),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });

    let alice = manager.issue(&Issue::access("users", "alice"))?;
    let bob = manager.issue(&Issue::access("users", "bob").scopes(["posts:write"]))?;
    let mo = manager
        .issue(&Issue::access("users", "mo").data(&serde_json::json!({"role": "moderator"})))?;
    let root = manager.issue(&Issue::access("admins", "root"))?;
    let calls = [
        ("GET", "/posts", Some(alice.expose_secret().to_owned())),
        ("POST", "/posts/new", Some(alice.expose_secret().to_owned())),
        ("POST", "/posts/new", Some(bob.expose_secret().to_owned())),
        ("DELETE", "/posts/old", Some(bob.expose_secret().to_owned())),
        ("DELETE", "/posts/old", Some(mo.expose_secret().to_owned())),
        ("GET", "/admin", Some(root.expose_secret().to_owned())),
        ("GET", "/admin", Some(alice.expose_secret().to_owned())),
        ("GET", "/admin", None),
    ];
    let lines = tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        calls
            .into_iter()
            .map(|(method, path, token)| {
                let mut request = http::Request::builder()
                    .method(method)
                    .uri(format!("{base}{path}"));
                if let Some(token) = &token {
                    request = request.header("authorization", format!("Bearer {token}"));
                }
                let answer = match request.body(()).map(|r| agent.run(r)) {
                    Ok(Ok(mut response)) => format!(
                        "{} {}",
                        response.status().as_u16(),
                        response.body_mut().read_to_string().unwrap_or_default()
                    ),
                    Ok(Err(e)) => e.to_string(),
                    Err(e) => e.to_string(),
                };
                format!("{method:6} {path:11} -> {answer}")
            })
            .collect::<Vec<_>>()
    })
    .await?;
    for line in lines {
        println!("{line}");
    }
    Ok(())
}
