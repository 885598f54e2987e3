//! [`JwtVerifier`]: JWT access tokens (RFC 9068) verified locally against the provider's keys,
//! with a small bounded cache of tokens already verified, so a client that calls an API many
//! times with one token pays the signature check once.

use super::verified::VerifiedTokens;
use super::{BoxFuture, Caller, TokenVerifier};
use crate::error::Result;
use crate::oidc::{AccessTokenChecks, AccessTokenClaims};

/// How many verified tokens a [`JwtVerifier`] remembers by default.
pub const DEFAULT_VERIFIED_TOKENS: usize = 10_000;

/// Verifies JWT access tokens (RFC 9068) locally: `typ` `at+jwt`, signature against the
/// provider's JWKS (the client's cache: fetched once, refetched once for an unknown `kid`),
/// `iss`, `aud`, `exp`, `iat`, `sub`, `client_id`, `jti`. No request to the provider per call, so
/// a guarded request costs microseconds instead of an introspection round trip.
///
/// A token seen again is answered from a bounded cache of verified tokens, keyed by the token's
/// SHA-256 and kept no longer than its `exp`; [`forget`](Self::forget) drops one (after a
/// revocation learnt elsewhere). Use [`IntrospectionVerifier`](super::IntrospectionVerifier)
/// where every revocation must be seen at once, or for opaque tokens.
///
/// ```no_run
/// # async fn run() -> idpkit::Result<()> {
/// let idp = idpkit::IdpClient::discover("https://login.example.com", "my-api").await?;
/// let verifier = idpkit::guard::JwtVerifier::new(idp, "https://api.example.com");
/// # Ok(()) }
/// ```
pub struct JwtVerifier<H = crate::asynch::DefaultHttp> {
    client: crate::asynch::IdpClient<H>,
    checks: AccessTokenChecks,
    seen: VerifiedTokens,
}

impl<H> JwtVerifier<H> {
    /// A verifier of tokens from `client`'s provider for the resource server `audience`; the
    /// algorithms are those the client accepts for ID tokens (the provider's metadata).
    ///
    /// ```no_run
    /// # async fn run(idp: idpkit::IdpClient) {
    /// let verifier = idpkit::guard::JwtVerifier::new(idp, "urn:my-api");
    /// # }
    /// ```
    pub fn new(client: crate::asynch::IdpClient<H>, audience: impl Into<String>) -> Self {
        let mut checks = AccessTokenChecks::new(client.issuer().as_str(), audience);
        checks.allowed_algorithms = client.id_token_checks().allowed_algorithms.clone();
        JwtVerifier {
            client,
            checks,
            seen: VerifiedTokens::new(DEFAULT_VERIFIED_TOKENS),
        }
    }

    /// Replaces the checks (issuer, audience, algorithms, leeway).
    ///
    /// ```no_run
    /// # async fn run(idp: idpkit::IdpClient) {
    /// let mut checks = idpkit::oidc::AccessTokenChecks::new(idp.issuer().as_str(), "urn:my-api");
    /// checks.leeway = std::time::Duration::from_secs(5);
    /// let verifier = idpkit::guard::JwtVerifier::new(idp, "urn:my-api").checks(checks);
    /// # }
    /// ```
    pub fn checks(mut self, checks: AccessTokenChecks) -> Self {
        self.checks = checks;
        self
    }

    /// How many verified tokens to remember (default [`DEFAULT_VERIFIED_TOKENS`]; 0: none, every
    /// request verifies its token's signature).
    ///
    /// ```no_run
    /// # async fn run(idp: idpkit::IdpClient) {
    /// let verifier = idpkit::guard::JwtVerifier::new(idp, "urn:my-api").remember(1_000);
    /// # }
    /// ```
    pub fn remember(mut self, tokens: usize) -> Self {
        self.seen = VerifiedTokens::new(tokens);
        self
    }

    /// Forgets `token` if it was verified before: the next request with it is verified again
    /// (and still passes until it expires: a JWT cannot be recalled; pair with introspection to
    /// see revocations).
    ///
    /// ```no_run
    /// # fn run(verifier: idpkit::guard::JwtVerifier) {
    /// verifier.forget("eyJ...");
    /// # }
    /// ```
    pub fn forget(&self, token: &str) {
        self.seen.forget(token);
    }
}

impl<H> std::fmt::Debug for JwtVerifier<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtVerifier")
            .field("checks", &self.checks)
            .field("remembered", &self.seen.len())
            .finish_non_exhaustive()
    }
}

impl<H: crate::asynch::HttpClient + 'static> TokenVerifier for JwtVerifier<H> {
    fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Caller>> {
        Box::pin(async move {
            let now = self.client.now();
            let key = VerifiedTokens::key(token);
            if let Some(caller) = self.seen.get(&key, now) {
                return Ok(caller);
            }
            let claims = self
                .client
                .verify_access_token(&crate::AccessToken::new(token), &self.checks)
                .await?;
            let exp = claims.exp;
            let caller = caller_of(claims);
            self.seen.insert(key, caller.clone(), exp, now);
            Ok(caller)
        })
    }
}

/// The caller a verified access token speaks for.
fn caller_of(claims: AccessTokenClaims) -> Caller {
    let mut extra = claims.extra;
    extra.insert("client_id".into(), claims.client_id.into());
    extra.insert("jti".into(), claims.jti.into());
    extra.insert("exp".into(), claims.exp.into());
    Caller {
        subject: claims.sub,
        scope: claims.scope,
        claims: extra,
    }
}
