// What the behaviour files share, compiled once per mode by `tests/clients.rs`: one thin
// wrapper per client call the tests make (named after the call, so `run!(refresh(&client,
// &agent))` reads as `client.refresh(&agent)` in both modes), and the little mode-free data
// several files need. An API change to one of these calls is made here, once.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use idpkit::authz::authzen::{Decision, EvaluationRequest, EvaluationsRequest, EvaluationsResponse};
use idpkit::oidc::{AgentOptions, AuthenticatedAgent, AuthorizationRequest, IdTokenClaims};
use idpkit::oidc::{ProviderMetadata, TokenSet};
use idpkit::service_token::{CachedToken, TokenCache};
use idpkit::{IdToken, Result};

use super::{idp, maybe_async};

/// Seconds since the Unix epoch, now.
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Provider metadata for a mock issuer: `{issuer}/auth`, `token_endpoint`, `{issuer}/jwks`.
pub fn metadata(issuer: &str, token_endpoint: &str) -> ProviderMetadata {
    serde_json::from_value(serde_json::json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/auth"),
        "token_endpoint": token_endpoint,
        "jwks_uri": format!("{issuer}/jwks"),
    }))
    .expect("provider metadata")
}

#[maybe_async]
pub async fn discover<H: idp::HttpClient>(
    builder: idp::IdpClientBuilder<H>,
) -> Result<idp::IdpClient<H>> {
    builder.discover().await
}

#[maybe_async]
pub async fn handle_callback(
    client: &idp::IdpClient,
    url: &str,
    request: &AuthorizationRequest,
) -> Result<AuthenticatedAgent> {
    client.handle_callback(url, request).await
}

#[maybe_async]
pub async fn refresh(
    client: &idp::IdpClient,
    agent: &AuthenticatedAgent,
) -> Result<AuthenticatedAgent> {
    client.refresh(agent).await
}

#[maybe_async]
pub async fn create_agent(
    client: &idp::IdpClient,
    tokens: TokenSet,
    options: AgentOptions,
) -> Result<idp::AgentSession> {
    client.create_agent(tokens, options).await
}

/// `session.agent()`, or `session.agent_with(auto)` when `auto` is given.
#[maybe_async]
pub async fn session_agent(
    session: &idp::AgentSession,
    auto: Option<bool>,
) -> Result<Arc<AuthenticatedAgent>> {
    match auto {
        None => session.agent().await,
        Some(auto) => session.agent_with(auto).await,
    }
}

#[maybe_async]
pub async fn verify_id_token(
    client: &idp::IdpClient,
    token: &str,
    nonce: Option<&str>,
) -> Result<IdTokenClaims> {
    client
        .verify_id_token(&IdToken::new(token), nonce, None)
        .await
}

#[maybe_async]
pub async fn get_user_info(
    client: &idp::IdpClient,
    agent: &AuthenticatedAgent,
) -> Result<serde_json::Map<String, serde_json::Value>> {
    client.get_user_info(agent).await
}

#[maybe_async]
pub async fn client_credentials(
    client: &idp::IdpClient,
    scopes: &[&str],
) -> Result<AuthenticatedAgent> {
    client.client_credentials(scopes).await
}

#[maybe_async]
pub async fn cached_client_credentials(
    client: &idp::IdpClient,
    cache: &TokenCache,
    scopes: &[&str],
) -> Result<CachedToken> {
    client.cached_client_credentials(cache, scopes).await
}

#[maybe_async]
pub async fn evaluate(client: &idp::PdpClient, request: &EvaluationRequest) -> Result<Decision> {
    client.evaluate(request).await
}

#[maybe_async]
pub async fn evaluations(
    client: &idp::PdpClient,
    request: &EvaluationsRequest,
) -> Result<EvaluationsResponse> {
    client.evaluations(request).await
}
