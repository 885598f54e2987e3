//! Aggregated and distributed claims (OpenID Connect Core §5.6.2), resolved by the client. One
//! source, compiled twice; the checks are the pure functions of `idpkit::oidc`'s
//! `claim_sources`.

use super::client::IdpClient;
use super::maybe_async;
use super::transport::HttpClient;
use crate::error::Result;
use crate::oidc::{
    ClaimSource, ClaimsProviders, build_distributed_claims_request, build_jwks_request,
    merge_resolved_claims, parse_claim_sources, parse_distributed_claims_response,
    parse_jwks_response, verify_claims_jwt,
};

type Claims = serde_json::Map<String, serde_json::Value>;

#[maybe_async]
impl<H: HttpClient> IdpClient<H> {
    /// Resolves the aggregated and distributed claims of `claims` (a userinfo answer or ID-token
    /// claims) in place: each source's JWT (inline, or fetched from its endpoint with its access
    /// token) must be signed by one of `providers` (its `iss`), verified against that
    /// provider's JWKS; the claims `_claim_names` assigns to the source are then merged in and
    /// the references dropped. Claims without references are left as they are.
    /// [`get_user_info`](Self::get_user_info) does this when its request names providers.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::MalformedResponse`](crate::ErrorKind::MalformedResponse) for references of
    /// the wrong shape or a claims endpoint that does not answer a JWT;
    /// [`ErrorKind::TokenValidation`](crate::ErrorKind::TokenValidation) with `IssuerMismatch`
    /// for a claims provider that is not trusted, or the failed check of the claims JWT
    /// (`AlgorithmNotAllowed` for an unsigned one); the endpoints' errors.
    ///
    /// ```no_run
    /// # #[cfg(feature = "async")]
    /// # async fn run(client: idpkit::IdpClient, agent: idpkit::oidc::Principal) -> idpkit::Result<()> {
    /// let providers = idpkit::oidc::ClaimsProviders::new()
    ///     .trust("https://claims.example", "https://claims.example/jwks")?;
    /// let mut claims = client.get_user_info(&agent).await?;
    /// client.resolve_claims(&mut claims, &providers).await?;
    /// # Ok(()) }
    /// ```
    pub async fn resolve_claims(
        &self,
        claims: &mut Claims,
        providers: &ClaimsProviders,
    ) -> Result<()> {
        let Some(refs) = parse_claim_sources(claims)? else {
            return Ok(());
        };
        for (name, source) in refs.sources() {
            let jwt = match source {
                ClaimSource::Aggregated { jwt } => jwt.clone(),
                ClaimSource::Distributed {
                    endpoint,
                    access_token,
                } => {
                    let request = build_distributed_claims_request(
                        endpoint,
                        access_token.as_ref(),
                        self.limits(),
                    )?;
                    self.transport()
                        .execute("claims", request, parse_distributed_claims_response)
                        .await?
                }
            };
            let (issuer, jwks_uri) = providers.provider_of(&jwt)?;
            let request = build_jwks_request(jwks_uri, self.limits())?;
            let keys = self
                .transport()
                .execute("jwks", request, parse_jwks_response)
                .await?;
            let resolved = verify_claims_jwt(&jwt, &keys, &issuer, self.now())?;
            merge_resolved_claims(claims, &refs, name, &resolved);
        }
        Ok(())
    }
}
