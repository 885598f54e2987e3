// What the behaviour files share, compiled once per mode by `tests/clients.rs`: one thin
// wrapper per client call the tests make (named after the call, so `run!(refresh(&client,
// &agent))` reads as `client.refresh(&agent)` in both modes), and the little mode-free data
// several files need. An API change to one of these calls is made here, once.

use std::time::{SystemTime, UNIX_EPOCH};

use idpkit::authz::authzen::{Decision, EvaluationRequest, EvaluationsRequest, EvaluationsResponse};
use idpkit::oidc::{SessionOptions, Principal, AuthorizationRequest, IdTokenClaims};
use idpkit::oidc::{ClientCredentialsRequest, ProviderMetadata, TokenSet};
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
) -> Result<Principal> {
    client.handle_callback(url, request).await
}

#[maybe_async]
pub async fn refresh(
    client: &idp::IdpClient,
    agent: &Principal,
) -> Result<Principal> {
    client.refresh(agent).await
}

#[maybe_async]
pub async fn create_agent(
    client: &idp::IdpClient,
    tokens: TokenSet,
    options: SessionOptions,
) -> Result<idp::Session> {
    client.create_agent(tokens, options).await
}

/// `session.principal()`; with `Some(true)` a refresh now, with `Some(false)` the current
/// principal without calling the provider.
#[maybe_async]
pub async fn session_agent(session: &idp::Session, auto: Option<bool>) -> Result<Principal> {
    match auto {
        None => session.principal().await,
        Some(true) => session.refresh().await,
        Some(false) => session.current().await,
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
    agent: &Principal,
) -> Result<serde_json::Map<String, serde_json::Value>> {
    client.get_user_info(agent).await
}

#[maybe_async]
pub async fn client_credentials(
    client: &idp::IdpClient,
    scopes: &[&str],
) -> Result<Principal> {
    let request = ClientCredentialsRequest::new(scopes.iter().copied());
    client.client_credentials(&request).await
}

#[maybe_async]
pub async fn cached_client_credentials(
    client: &idp::IdpClient,
    cache: &TokenCache,
    scopes: &[&str],
) -> Result<CachedToken> {
    let request = ClientCredentialsRequest::new(scopes.iter().copied());
    client.cached_client_credentials(cache, &request).await
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
    client.evaluate_batch(request).await
}
