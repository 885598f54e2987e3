//! OAuth 2.0 Token Exchange (RFC 8693) and delegated tokens of this mode. One source, compiled
//! twice; the request, the answer and the `act` chain are the pure ones of
//! `crate::oidc::token_exchange` and `crate::agent::delegation`.

use super::client::IdpClient;
use super::maybe_async;
use super::transport::HttpClient;
use crate::agent::{DEFAULT_MAX_ACT_DEPTH, Delegation};
use crate::error::Result;
use crate::oidc::{
    AccessTokenChecks, TokenExchangeRequest, TokenExchangeResponse, build_token_exchange_request,
    parse_token_exchange_response,
};
use crate::secret::AccessToken;

#[maybe_async]
impl<H: HttpClient> IdpClient<H> {
    /// Exchanges a token at the provider's token endpoint (RFC 8693 §2), the client
    /// authenticated as for every token request (and the request signed, with
    /// [`sign_requests`](super::IdpClientBuilder::sign_requests)).
    ///
    /// For delegation, `request` holds the delegator's token as subject token and, optionally,
    /// this client's own token as actor token; the issued token keeps the delegator as `sub`
    /// and names this client in `act` ([`verify_delegated_token`](Self::verify_delegated_token)
    /// reads it). Exchanging a delegated token again nests the actors.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) for a bad request (as
    /// [`build_token_exchange_request`]) or a provider without a token endpoint; the endpoint's
    /// errors as [`ErrorKind::OAuth`](crate::ErrorKind::OAuth): `invalid_grant` for a subject
    /// or actor token the provider rejects (tampered, expired, revoked, or its `may_act` names
    /// someone else), `invalid_scope`, `invalid_target`, `invalid_request`.
    ///
    /// ```no_run
    /// # #[cfg(feature = "async")]
    /// # async fn run(agent_b: idpkit::IdpClient, from_agent_a: idpkit::AccessToken) -> idpkit::Result<()> {
    /// use idpkit::oidc::TokenExchangeRequest;
    /// let request = TokenExchangeRequest::access_token(&from_agent_a)
    ///     .resource("https://api.example.com")
    ///     .scopes(["files:read"]);
    /// let delegated = agent_b.exchange_token(&request).await?;
    /// println!("{} until {:?}", delegated.issued_token_type, delegated.expires_at);
    /// # Ok(()) }
    /// ```
    pub async fn exchange_token(
        &self,
        request: &TokenExchangeRequest,
    ) -> Result<TokenExchangeResponse> {
        let endpoint =
            self.endpoint("token_endpoint", self.metadata().token_endpoint.as_deref())?;
        let http_request =
            build_token_exchange_request(endpoint, request, self.client_auth(), self.limits())?;
        let issued = self
            .transport()
            .execute(
                "token_exchange",
                http_request,
                parse_token_exchange_response,
            )
            .await?;
        Ok(match request.lifetime_cap() {
            Some(cap) => issued.capped(cap, self.now()),
            None => issued,
        })
    }

    /// Verifies a delegated JWT access token locally (RFC 9068 checks against the provider's
    /// JWKS, as [`verify_access_token`](Self::verify_access_token)) and reads its `act` chain
    /// (at most [`DEFAULT_MAX_ACT_DEPTH`] actors; see [`Delegation::from_claims`] for another
    /// limit). Only the current actor counts for access decisions (RFC 8693 §4.1).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TokenValidation`](crate::ErrorKind::TokenValidation) for a token that fails
    /// `checks`; [`ErrorKind::Delegation`](crate::ErrorKind::Delegation) for a token without
    /// `act` or with a garbage one; the JWKS endpoint's errors.
    ///
    /// ```no_run
    /// # #[cfg(feature = "async")]
    /// # async fn run(client: idpkit::IdpClient, token: idpkit::AccessToken) -> idpkit::Result<()> {
    /// let checks = idpkit::oidc::AccessTokenChecks::new(client.issuer().as_str(), "https://api.example.com");
    /// let delegation = client.verify_delegated_token(&token, &checks).await?;
    /// println!("{} acting for {}", delegation.current_actor(), delegation.subject());
    /// # Ok(()) }
    /// ```
    pub async fn verify_delegated_token(
        &self,
        token: &AccessToken,
        checks: &AccessTokenChecks,
    ) -> Result<Delegation> {
        let claims = self.verify_access_token(token, checks).await?;
        Ok(Delegation::from_claims(claims, DEFAULT_MAX_ACT_DEPTH)?)
    }
}
