//! [`JwtVerifier`]: JWT access tokens (RFC 9068) verified locally against the provider's keys,
//! with a small bounded cache of tokens already verified, so a client that calls an API many
//! times with one token pays the signature check once.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_lc_rs::digest;
use parking_lot::RwLock;

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

/// A verified token's SHA-256: the cache never holds the token itself.
type TokenHash = [u8; 32];

/// Tokens already verified, by hash, each until its `exp`; at most `capacity` of them.
struct VerifiedTokens {
    capacity: usize,
    map: RwLock<HashMap<TokenHash, (Arc<Caller>, u64), foldhash::fast::RandomState>>,
}

impl VerifiedTokens {
    fn new(capacity: usize) -> Self {
        VerifiedTokens {
            capacity,
            map: RwLock::new(HashMap::default()),
        }
    }

    fn key(token: &str) -> TokenHash {
        let digest = digest::digest(&digest::SHA256, token.as_bytes());
        let mut key = [0u8; 32];
        key.copy_from_slice(digest.as_ref());
        key
    }

    fn len(&self) -> usize {
        self.map.read().len()
    }

    /// The caller of a token verified before and not yet expired.
    fn get(&self, key: &TokenHash, now: SystemTime) -> Option<Caller> {
        if self.capacity == 0 {
            return None;
        }
        let now = crate::clock::since_epoch(now);
        let map = self.map.read();
        let (caller, exp) = map.get(key)?;
        (now < Duration::from_secs(*exp)).then(|| Caller::clone(caller))
    }

    /// Remembers a verified token until `exp`; when full, first drops the expired ones, then a
    /// tenth of the rest.
    fn insert(&self, key: TokenHash, caller: Caller, exp: u64, now: SystemTime) {
        if self.capacity == 0 {
            return;
        }
        let now = crate::clock::since_epoch(now).as_secs();
        let mut map = self.map.write();
        if map.len() >= self.capacity && !map.contains_key(&key) {
            map.retain(|_, (_, exp)| *exp > now);
            let excess = (map.len() + self.capacity.div_ceil(10)).saturating_sub(self.capacity);
            let victims: Vec<TokenHash> = map.keys().take(excess).copied().collect();
            for victim in victims {
                map.remove(&victim);
            }
        }
        map.insert(key, (Arc::new(caller), exp));
    }

    fn forget(&self, token: &str) {
        self.map.write().remove(&Self::key(token));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(sub: &str) -> Caller {
        Caller {
            subject: sub.into(),
            scope: None,
            claims: Default::default(),
        }
    }

    #[test]
    fn remembered_until_exp_and_bounded() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let seen = VerifiedTokens::new(100);
        let key = VerifiedTokens::key("token-a");
        seen.insert(key, caller("a"), 1_060, t0);
        assert_eq!(seen.get(&key, t0).map(|c| c.subject), Some("a".into()));
        assert!(seen.get(&key, t0 + Duration::from_secs(60)).is_none());
        for i in 0..10_000 {
            let key = VerifiedTokens::key(&format!("token-{i}"));
            seen.insert(key, caller("x"), 2_000, t0);
            assert!(seen.len() <= 100);
        }
        seen.forget("token-9999");
        assert!(seen.get(&VerifiedTokens::key("token-9999"), t0).is_none());
        let off = VerifiedTokens::new(0);
        off.insert(key, caller("a"), 1_060, t0);
        assert!(off.get(&key, t0).is_none());
    }
}
