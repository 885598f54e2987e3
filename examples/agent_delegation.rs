//! One AI agent delegates to another by OAuth 2.0 Token Exchange (RFC 8693), and the delegate
//! calls a service with the delegated token; the service verifies it locally (the provider's
//! JWKS, RFC 9068) and reads who acts for whom from its `act` chain. A second delegation nests
//! the actors; an agent that `may_act` does not name is refused; an opaque delegation is
//! introspected and revoked (RFC 7662, RFC 7009).
//!
//! It starts the project's own test OpenID Provider on loopback (node-oidc-provider, with the
//! token-exchange grant of `tests/op/token_exchange.mjs`; `npm ci` on first use) and stops it at
//! the end. Run: `cargo run --example agent_delegation --features axum`

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::get;
use idpkit::agent::{Actor, check_may_act};
use idpkit::oidc::{AccessTokenChecks, ClientCredentialsRequest, TokenExchangeRequest, TokenType};
use idpkit::{AccessToken, IdpClient};

#[path = "../tests/support/op.rs"]
mod op;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

const API: &str = "urn:idpkit:api:jwt";

async fn agent(provider: &op::TestOp, id: &str) -> Res<IdpClient> {
    let secret = provider.client_secret(id).ok_or("no secret")?;
    Ok(IdpClient::builder(&provider.issuer, id)
        .client_secret(secret)
        .discover()
        .await?)
}

/// The service: admits a delegated token for `API` and says who acts for whom.
async fn whoami(State(idp): State<IdpClient>, headers: HeaderMap) -> (StatusCode, String) {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let Some(bearer) = bearer else {
        return (StatusCode::UNAUTHORIZED, "no bearer token".into());
    };
    let checks = AccessTokenChecks::new(idp.issuer().as_str(), API);
    match idp
        .verify_delegated_token(&AccessToken::new(bearer), &checks)
        .await
    {
        Ok(d) => (
            StatusCode::OK,
            format!(
                "{} acts for {} (chain: {}; scope {})",
                d.current_actor().sub,
                d.subject(),
                d.actors,
                d.claims.scope.as_deref().unwrap_or("-")
            ),
        ),
        Err(e) => (StatusCode::UNAUTHORIZED, e.to_string()),
    }
}

async fn call(url: &str, token: &AccessToken) -> Res<String> {
    let answer = reqwest::Client::new()
        .get(url)
        .bearer_auth(token.expose_secret())
        .send()
        .await?;
    Ok(format!("{} {}", answer.status(), answer.text().await?))
}

#[tokio::main]
async fn main() -> Res<()> {
    println!("1. Starting the test OpenID Provider (token exchange registered) on loopback...");
    let provider = op::TestOp::start()?;
    let (a, b, c) = (
        agent(&provider, "agent-a").await?,
        agent(&provider, "agent-b").await?,
        agent(&provider, "agent-c").await?,
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/whoami", listener.local_addr()?);
    let service = Router::new()
        .route("/whoami", get(whoami))
        .with_state(a.clone());
    tokio::spawn(async move { axum::serve(listener, service).await });

    println!("2. agent-a gets its own token (client credentials) for {API}:");
    let own = ClientCredentialsRequest::new(["projects:read", "users:read"]).resource(API);
    let from_a = a.client_credentials(&own).await?.access_token().clone();
    let claims = b
        .verify_access_token(
            &from_a,
            &AccessTokenChecks::new(provider.issuer.as_str(), API),
        )
        .await?;
    println!("   sub {}, scope {:?}", claims.sub, claims.scope);
    let me = Actor::new("agent-b").with_issuer(&provider.issuer);
    check_may_act(&claims.extra, &me)?;
    println!("   its may_act names agent-b: agent-b may act for it");

    println!("3. agent-b exchanges it for a delegated token, narrowed to projects:read:");
    let request = TokenExchangeRequest::access_token(&from_a)
        .resource(API)
        .scopes(["projects:read"]);
    let delegated = b.exchange_token(&request).await?;
    println!(
        "   issued {} ({}), scope {:?}",
        delegated.issued_token_type, delegated.token_type, delegated.scope
    );
    println!(
        "   the service says: {}",
        call(&url, &delegated.access_token).await?
    );

    println!("4. agent-c exchanges agent-b's delegated token again: the actors nest.");
    let again = TokenExchangeRequest::access_token(&delegated.access_token);
    let nested = c.exchange_token(&again).await?;
    println!(
        "   the service says: {}",
        call(&url, &nested.access_token).await?
    );

    println!("5. agent-c tries agent-a's own token directly (may_act names agent-b):");
    match c
        .exchange_token(&TokenExchangeRequest::access_token(&from_a))
        .await
    {
        Ok(_) => println!("   unexpectedly accepted"),
        Err(e) => println!("   refused: {e}"),
    }
    println!("   and the service refuses a token that is no delegation:");
    println!("   {}", call(&url, &from_a).await?);

    println!("6. An opaque delegation (urn:idpkit:api): introspected, then revoked (RFC 7009).");
    let opaque = TokenExchangeRequest::new(from_a.expose_secret(), TokenType::AccessToken)
        .resource("urn:idpkit:api");
    let opaque = b.exchange_token(&opaque).await?;
    let info = b.introspect(&opaque.access_token).await?;
    let chain = idpkit::agent::ActorChain::from_claims(&info.extra, 8)?;
    println!(
        "   active {}, sub {:?}, act chain: {chain}",
        info.active, info.sub
    );
    b.revoke_token(&opaque.access_token).await?;
    let info = b.introspect(&opaque.access_token).await?;
    println!("   after revocation: active {}", info.active);

    drop(provider);
    Ok(())
}
