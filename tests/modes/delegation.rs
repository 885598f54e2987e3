// Delegation between agents by OAuth 2.0 Token Exchange (RFC 8693) end to end, compiled once per
// mode by `tests/clients.rs`: against the project's real provider, with the token-exchange grant
// registered through node-oidc-provider's `registerGrantType` (tests/op/token_exchange.mjs).
// Agents `agent-a`, `agent-b`, `agent-c` are confidential clients; `agent-a`'s own tokens say
// `may_act: {sub: agent-b}`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use idpkit::agent::{Actor, ActorChain, Delegation, DelegationError, check_may_act};
use idpkit::oidc::{
    AccessTokenChecks, AccessTokenClaims, ClientCredentialsRequest, Introspection,
    TokenExchangeRequest, TokenExchangeResponse, TokenType,
};
use idpkit::{AccessToken, ErrorKind, OAuthErrorCode, Result, TokenValidationError};

use super::common::discover;
use super::{idp, maybe_async};
use crate::{op, provider};

const JWT_API: &str = "urn:idpkit:api:jwt";
const OPAQUE_API: &str = "urn:idpkit:api";

#[maybe_async]
async fn agent(op: &op::TestOp, id: &str) -> idp::IdpClient {
    let secret = op.client_secret(id).expect("agents are confidential");
    let builder = idp::IdpClient::builder(&op.issuer, id).client_secret(secret);
    discover(builder).await.expect("discovery")
}

/// The agent's own token for the JWT resource server (client credentials).
#[maybe_async]
async fn own_token(client: &idp::IdpClient) -> AccessToken {
    let request =
        ClientCredentialsRequest::new(["projects:read", "users:read"]).resource(JWT_API);
    let principal = client.client_credentials(&request).await.expect("own token");
    principal.access_token().clone()
}

#[maybe_async]
async fn exchange(
    client: &idp::IdpClient,
    request: &TokenExchangeRequest,
) -> Result<TokenExchangeResponse> {
    client.exchange_token(request).await
}

#[maybe_async]
async fn verify(client: &idp::IdpClient, token: &AccessToken) -> Result<AccessTokenClaims> {
    let checks = AccessTokenChecks::new(client.issuer().as_str(), JWT_API);
    client.verify_access_token(token, &checks).await
}

#[maybe_async]
async fn verify_delegated(client: &idp::IdpClient, token: &AccessToken) -> Result<Delegation> {
    let checks = AccessTokenChecks::new(client.issuer().as_str(), JWT_API);
    client.verify_delegated_token(token, &checks).await
}

#[maybe_async]
async fn introspect(client: &idp::IdpClient, token: &AccessToken) -> Result<Introspection> {
    client.introspect(token).await
}

#[maybe_async]
async fn revoke(client: &idp::IdpClient, token: &AccessToken) -> Result<()> {
    client.revoke_token(token).await
}

fn oauth_code(result: Result<impl std::fmt::Debug>) -> (OAuthErrorCode, Option<u16>) {
    let err = result.expect_err("the provider refuses");
    let code = err.oauth().unwrap_or_else(|| panic!("not an OAuth error: {err:?}")).code.clone();
    (code, err.status())
}

fn subjects(chain: &ActorChain) -> Vec<&str> {
    chain.actors().iter().map(|a| a.sub.as_str()).collect()
}

#[test]
fn a_second_exchange_nests_the_actors() {
    let op = provider();
    let (a, b, c) = (
        run!(agent(op, "agent-a")),
        run!(agent(op, "agent-b")),
        run!(agent(op, "agent-c")),
    );
    let from_a = run!(own_token(&a));
    let claims_a = run!(verify(&b, &from_a)).expect("agent-a's token verifies");
    let me = Actor::new("agent-b").with_issuer(&op.issuer);
    check_may_act(&claims_a.extra, &me).expect("agent-a lets agent-b act for it");

    // agent-b, proving itself with its own token as the actor token, takes one of the scopes.
    let actor_token = run!(own_token(&b));
    let request = TokenExchangeRequest::access_token(&from_a)
        .actor_token(actor_token.expose_secret(), TokenType::AccessToken)
        .resource(JWT_API)
        .scopes(["projects:read"]);
    let issued = run!(exchange(&b, &request)).expect("delegated to agent-b");
    assert_eq!(issued.issued_token_type, TokenType::AccessToken);
    assert!(issued.token_type.eq_ignore_ascii_case("bearer"));
    assert_eq!(issued.scope.as_deref(), Some("projects:read"));
    let expires_at = issued.expires_at.expect("expires_in");
    assert!(expires_at <= claims_a.exp, "never outlives the subject token");

    // Verified by anyone who trusts the provider (here agent-c's client, as a resource would).
    let delegation = run!(verify_delegated(&c, &issued.access_token)).expect("verifies");
    assert_eq!(delegation.subject(), "agent-a");
    assert_eq!(subjects(&delegation.actors), ["agent-b"]);
    assert_eq!(delegation.current_actor().iss.as_deref(), Some(op.issuer.as_str()));
    assert_eq!(delegation.claims.client_id, "agent-b");
    assert!(delegation.claims.has_scope("projects:read"));
    assert!(!delegation.claims.has_scope("users:read"), "narrowed");

    // agent-c exchanges the delegated token again: the actors nest, the subject stays.
    let again = TokenExchangeRequest::access_token(&issued.access_token);
    let nested = run!(exchange(&c, &again)).expect("re-delegated to agent-c");
    let delegation = run!(verify_delegated(&a, &nested.access_token)).expect("verifies");
    assert_eq!(delegation.subject(), "agent-a");
    assert_eq!(subjects(&delegation.actors), ["agent-c", "agent-b"]);
    assert_eq!(delegation.actors.to_string(), "agent-c <- agent-b");
    assert_eq!(delegation.current_actor().sub, "agent-c");
    assert_eq!(nested.scope.as_deref(), Some("projects:read"));

    // A client-side cap (RFC 8693 has no lifetime parameter): the same exchange, treated as
    // valid for 5 s at most, well under what the provider granted.
    let capped = TokenExchangeRequest::access_token(&issued.access_token)
        .max_lifetime(std::time::Duration::from_secs(5));
    let short = run!(exchange(&c, &capped)).expect("re-delegated, capped");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let short_exp = short.expires_at.expect("capped");
    assert!(short_exp <= now + 5, "capped at 5 s: {short_exp} vs {now}");
    assert!(short_exp < nested.expires_at.expect("expires_in"), "under the server's lifetime");

    // No widening on the way: agent-b's token carries projects:read only.
    let wider = TokenExchangeRequest::access_token(&issued.access_token).scopes(["users:read"]);
    assert_eq!(
        oauth_code(run!(exchange(&c, &wider))),
        (OAuthErrorCode::InvalidScope, Some(400))
    );
}

#[test]
fn may_act_and_the_actor_token_limit_who_may_act() {
    let op = provider();
    let (a, b, c) = (
        run!(agent(op, "agent-a")),
        run!(agent(op, "agent-b")),
        run!(agent(op, "agent-c")),
    );
    let from_a = run!(own_token(&a));
    let claims_a = run!(verify(&c, &from_a)).expect("verifies");
    // Checked before asking: agent-a's token names agent-b, not agent-c.
    assert_eq!(
        check_may_act(&claims_a.extra, &Actor::new("agent-c")),
        Err(DelegationError::NotAuthorizedActor {
            actor: "agent-c".into()
        })
    );
    // And the provider refuses agent-c too.
    let request = TokenExchangeRequest::access_token(&from_a);
    assert_eq!(
        oauth_code(run!(exchange(&c, &request))),
        (OAuthErrorCode::InvalidGrant, Some(400))
    );
    // An actor token that is not the requesting client's own: refused.
    let request = TokenExchangeRequest::access_token(&from_a)
        .actor_token(from_a.expose_secret(), TokenType::AccessToken);
    assert_eq!(
        oauth_code(run!(exchange(&b, &request))),
        (OAuthErrorCode::InvalidGrant, Some(400))
    );
    // A token that is not a delegation is no Delegation.
    let err = run!(verify_delegated(&b, &from_a)).expect_err("no act");
    assert!(
        matches!(err.kind(), ErrorKind::Delegation(DelegationError::NotDelegated)),
        "{err:?}"
    );
}

/// `token` with its payload's `sub` changed and the original signature kept.
fn tampered(token: &AccessToken) -> AccessToken {
    let parts: Vec<&str> = token.expose_secret().split('.').collect();
    let mut claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["sub"] = "agent-z".into();
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    AccessToken::new(format!("{}.{payload}.{}", parts[0], parts[2]))
}

#[test]
fn a_tampered_subject_token_is_invalid_grant() {
    let op = provider();
    let (a, b) = (run!(agent(op, "agent-a")), run!(agent(op, "agent-b")));
    let forged = tampered(&run!(own_token(&a)));
    let request = TokenExchangeRequest::access_token(&forged).scopes(["projects:read"]);
    let err = run!(exchange(&b, &request)).expect_err("refused");
    let oauth = err.oauth().expect("an OAuth error");
    assert_eq!((oauth.code.clone(), err.status()), (OAuthErrorCode::InvalidGrant, Some(400)));
    assert!(!format!("{err} {err:?}").contains(forged.expose_secret()));
    // idpkit's own validation refuses it as well.
    let err = run!(verify(&b, &forged)).expect_err("bad signature");
    assert!(
        matches!(
            err.kind(),
            ErrorKind::TokenValidation(TokenValidationError::InvalidSignature)
        ),
        "{err:?}"
    );
}

#[test]
fn an_opaque_delegation_is_introspected_then_revoked() {
    let op = provider();
    let (a, b, c) = (
        run!(agent(op, "agent-a")),
        run!(agent(op, "agent-b")),
        run!(agent(op, "agent-c")),
    );
    let request = TokenExchangeRequest::access_token(&run!(own_token(&a))).resource(OPAQUE_API);
    let issued = run!(exchange(&b, &request)).expect("delegated");
    assert_eq!(issued.access_token.expose_secret().split('.').count(), 1, "opaque");

    // The act chain is a top-level member of the introspection response (RFC 8693 §4.1).
    let info = run!(introspect(&b, &issued.access_token)).expect("introspected");
    assert!(info.active);
    assert_eq!(info.client_id.as_deref(), Some("agent-b"));
    assert_eq!(info.sub.as_deref(), Some("agent-a"));
    let chain = ActorChain::from_claims(&info.extra, 8).expect("act");
    assert_eq!(subjects(&chain), ["agent-b"]);

    // Revoked (RFC 7009) by the client it was issued to: inactive, and no longer exchangeable.
    run!(revoke(&b, &issued.access_token)).expect("revoked");
    let info = run!(introspect(&b, &issued.access_token)).expect("introspected");
    assert!(!info.active);
    let again = TokenExchangeRequest::access_token(&issued.access_token);
    assert_eq!(
        oauth_code(run!(exchange(&c, &again))),
        (OAuthErrorCode::InvalidGrant, Some(400))
    );
}
