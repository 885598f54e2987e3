//! The OpenID Connect client of this mode. One source, compiled twice (see `transport.rs`).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use jsonwebtoken::Algorithm;

use super::transport::{HttpClient, Transport, TransportBuilder};
use super::{DefaultHttp, Lock, maybe_async};
use crate::error::{Error, Result};
use crate::http::{RequestLimits, RetryPolicy, transport_setters};
use crate::oidc::{
    AuthMethod, ClientAuth, IdTokenChecks, Issuer, JwksCache, JwtAssertion, ProviderMetadata,
    Settings, build_discovery_request, parse_discovery_response,
};
use crate::{ClientSecret, Clock};

/// An OpenID Connect client for one provider and one registered client.
///
/// Cheap to clone (the state is shared behind an `Arc`) and `Send + Sync`: build it once and
/// share it. `H` is the transport; leave it at its default unless you brought your own with
/// [`IdpClientBuilder::http_client`].
///
/// ```no_run
/// # #[cfg(feature = "async")]
/// # async fn run() -> Result<(), idpkit::Error> {
/// let client = idpkit::IdpClient::discover("https://login.example.com", "my-app").await?;
/// println!("token endpoint: {:?}", client.metadata().token_endpoint);
/// # Ok(()) }
/// # #[cfg(feature = "blocking")]
/// # fn run_blocking() -> Result<(), idpkit::Error> {
/// let client = idpkit::IdpClientSync::discover("https://login.example.com", "my-app")?;
/// println!("token endpoint: {:?}", client.metadata().token_endpoint);
/// # Ok(()) }
/// ```
pub struct IdpClient<H = DefaultHttp> {
    inner: Arc<Inner<H>>,
}

struct Inner<H> {
    transport: Transport<H>,
    issuer: Issuer,
    settings: Settings,
    metadata: ProviderMetadata,
    auth: ClientAuth,
    checks: IdTokenChecks,
    jwks: JwksCache,
    jwks_fetch: Lock<()>,
}

impl<H> Clone for IdpClient<H> {
    fn clone(&self) -> Self {
        IdpClient {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<H> fmt::Debug for IdpClient<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdpClient")
            .field("issuer", &self.inner.issuer.as_str())
            .field("client_id", &self.inner.settings.client_id)
            .field("client_secret", &self.inner.settings.client_secret)
            .field("auth", &self.inner.auth)
            .field("transport", &self.inner.transport)
            .finish_non_exhaustive()
    }
}

#[maybe_async]
impl IdpClient<DefaultHttp> {
    /// Discovers the provider at `issuer` and returns a client for `client_id`, with every
    /// other setting at its default. Shorthand for
    /// `IdpClient::builder(issuer, client_id).discover()`.
    ///
    /// # Errors
    ///
    /// As [`IdpClientBuilder::discover`].
    ///
    /// ```no_run
    /// # #[cfg(feature = "async")]
    /// # async fn run() -> Result<(), idpkit::Error> {
    /// let client = idpkit::IdpClient::discover("https://login.example.com", "my-app").await?;
    /// # Ok(()) }
    /// ```
    pub async fn discover(issuer: &str, client_id: &str) -> Result<Self> {
        Self::builder(issuer, client_id).discover().await
    }

    /// A builder for a client of `issuer` with the id `client_id`.
    ///
    /// ```
    /// # #[cfg(feature = "blocking")] {
    /// use std::time::Duration;
    /// let builder = idpkit::IdpClientSync::builder("https://login.example.com", "my-app")
    ///     .timeout(Duration::from_secs(5));
    /// # }
    /// ```
    pub fn builder(issuer: impl Into<String>, client_id: impl Into<String>) -> IdpClientBuilder {
        IdpClientBuilder {
            settings: Settings::new(issuer.into(), client_id.into()),
            transport: TransportBuilder::new(RetryPolicy::none()),
        }
    }
}

impl<H> IdpClient<H> {
    /// The provider's metadata.
    ///
    /// ```no_run
    /// # #[cfg(feature = "blocking")] {
    /// let client = idpkit::IdpClientSync::discover("https://login.example.com", "my-app").unwrap();
    /// println!("{}", client.metadata().authorization_endpoint);
    /// # }
    /// ```
    pub fn metadata(&self) -> &ProviderMetadata {
        &self.inner.metadata
    }

    /// The configured issuer.
    ///
    /// ```no_run
    /// # #[cfg(feature = "blocking")] {
    /// let client = idpkit::IdpClientSync::discover("https://login.example.com", "my-app").unwrap();
    /// assert_eq!(client.issuer().as_str(), "https://login.example.com");
    /// # }
    /// ```
    pub fn issuer(&self) -> &Issuer {
        &self.inner.issuer
    }

    /// The client id.
    ///
    /// ```no_run
    /// # #[cfg(feature = "blocking")] {
    /// let client = idpkit::IdpClientSync::discover("https://login.example.com", "my-app").unwrap();
    /// assert_eq!(client.client_id(), "my-app");
    /// # }
    /// ```
    pub fn client_id(&self) -> &str {
        &self.inner.settings.client_id
    }

    /// The transport.
    ///
    /// ```no_run
    /// # #[cfg(feature = "blocking")] {
    /// let client = idpkit::IdpClientSync::discover("https://login.example.com", "my-app").unwrap();
    /// let _agent: &ureq::Agent = client.http_client().agent();
    /// # }
    /// ```
    pub fn http_client(&self) -> &H {
        self.inner.transport.http()
    }
}

/// Builds an [`IdpClient`]. Setters never fail; every check happens in
/// [`discover`](Self::discover) / [`build_with_metadata`](Self::build_with_metadata), which
/// return [`ErrorKind::Config`](crate::ErrorKind::Config) for a bad setting.
///
/// ```
/// # #[cfg(feature = "async")] {
/// use std::time::Duration;
/// let builder = idpkit::IdpClient::builder("https://login.example.com", "my-app")
///     .client_secret("s3cr3t")
///     .timeout(Duration::from_secs(3))
///     .max_response_bytes(256 * 1024);
/// # }
/// ```
#[must_use]
pub struct IdpClientBuilder<H = DefaultHttp> {
    settings: Settings,
    transport: TransportBuilder<H>,
}

impl<H> fmt::Debug for IdpClientBuilder<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdpClientBuilder")
            .field("settings", &self.settings)
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

impl<H> IdpClientBuilder<H> {
    transport_setters!("idpkit::IdpClientSync::builder(\"https://op.example\", \"app\")");
}

#[maybe_async]
impl<H: HttpClient> IdpClientBuilder<H> {
    /// Uses this transport instead of the default one: your own configured
    /// `reqwest::Client` / `ureq::Agent` (through
    /// [`ReqwestHttp::from`](crate::http::ReqwestHttp) /
    /// [`UreqHttp::from`](crate::http::UreqHttp)) or any [`HttpClient`].
    ///
    /// ```
    /// # #[cfg(feature = "blocking")] {
    /// let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
    /// let builder = idpkit::IdpClientSync::builder("https://op.example", "app")
    ///     .http_client(idpkit::http::UreqHttp::from(agent));
    /// # }
    /// ```
    pub fn http_client<H2: HttpClient>(self, http: H2) -> IdpClientBuilder<H2> {
        IdpClientBuilder {
            settings: self.settings,
            transport: self.transport.with_http(http),
        }
    }

    /// The client secret, for a confidential client.
    ///
    /// ```
    /// # #[cfg(feature = "blocking")] {
    /// let builder = idpkit::IdpClientSync::builder("https://op.example", "app").client_secret("s3cr3t");
    /// # }
    /// ```
    pub fn client_secret(mut self, secret: impl Into<ClientSecret>) -> Self {
        self.settings.client_secret = Some(secret.into());
        self
    }

    /// The redirect URI registered for this client; required for the authorization code flow,
    /// not for client credentials.
    ///
    /// ```
    /// # #[cfg(feature = "blocking")] {
    /// let builder = idpkit::IdpClientSync::builder("https://op.example", "app")
    ///     .redirect_uri("http://127.0.0.1:8976/callback");
    /// # }
    /// ```
    pub fn redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.settings.redirect_uri = Some(uri.into());
        self
    }

    /// The client authentication method at the token endpoint. Default: `private_key_jwt` with
    /// a [`client_assertion_key`](Self::client_assertion_key); else `client_secret_basic` with a
    /// secret (or `client_secret_post`, or `client_secret_jwt`, when the provider supports only
    /// that); `none` without either.
    ///
    /// ```
    /// # #[cfg(feature = "blocking")] {
    /// let builder = idpkit::IdpClientSync::builder("https://op.example", "app")
    ///     .client_secret("s3cr3t")
    ///     .auth_method(idpkit::oidc::AuthMethod::ClientSecretPost);
    /// # }
    /// ```
    pub fn auth_method(mut self, method: AuthMethod) -> Self {
        self.settings.auth_method = Some(method);
        self
    }

    /// The private key for `private_key_jwt` (RFC 7523): every token, revocation,
    /// introspection, device and PAR request then carries a fresh assertion signed with it,
    /// for the provider's issuer as audience. The provider must list `private_key_jwt` (and the
    /// key's algorithm, when it lists algorithms).
    ///
    /// ```
    /// # #[cfg(feature = "blocking")] {
    /// use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
    /// let der = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap().to_pkcs8v1().unwrap();
    /// let key = idpkit::oidc::ClientAssertionKey::from_der(jsonwebtoken::Algorithm::ES256, der.as_ref())
    ///     .unwrap()
    ///     .with_kid("k1");
    /// let builder = idpkit::IdpClientSync::builder("https://op.example", "app").client_assertion_key(key);
    /// # }
    /// ```
    pub fn client_assertion_key(mut self, key: crate::oidc::ClientAssertionKey) -> Self {
        self.settings.assertion_key = Some(key);
        self
    }

    /// Binds this client's tokens to a DPoP key (RFC 9449): every token request (code exchange,
    /// refresh, client credentials, device poll) carries a fresh proof signed with it, so the
    /// provider issues `DPoP` tokens bound to the key; userinfo calls with such a token send
    /// `Authorization: DPoP` and a proof with `ath`. When a server answers `use_dpop_nonce`, the
    /// request is sent once more with the nonce it gave (a second refusal is
    /// [`DpopError::NonceRefused`](crate::dpop::DpopError::NonceRefused)); each server's last
    /// nonce is remembered for the next proof. Keep the key as long as the tokens: a bound
    /// refresh token only refreshes with it.
    ///
    /// ```
    /// # #[cfg(feature = "blocking")] {
    /// let key = idpkit::dpop::DpopKey::generate_es256()?;
    /// let builder = idpkit::IdpClientSync::builder("https://op.example", "app").dpop(key);
    /// # }
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn dpop(mut self, key: crate::dpop::DpopKey) -> Self {
        self.transport.dpop = Some(crate::dpop::DpopState::new(key));
        self
    }

    /// Whether sessions refresh themselves when their access token is about to expire
    /// (default on).
    ///
    /// ```
    /// # #[cfg(feature = "blocking")] {
    /// let builder = idpkit::IdpClientSync::builder("https://op.example", "app").auto_refresh(false);
    /// # }
    /// ```
    pub fn auto_refresh(mut self, on: bool) -> Self {
        self.settings.rp.auto_refresh = on;
        self
    }

    /// How long before the access token expires a session refreshes it (default 60 s; the
    /// same name as the token cache's
    /// [`refresh_before`](crate::service_token::TokenCacheBuilder::refresh_before)).
    ///
    /// ```
    /// # #[cfg(feature = "blocking")] {
    /// let builder = idpkit::IdpClientSync::builder("https://op.example", "app")
    ///     .refresh_before(std::time::Duration::from_secs(120));
    /// # }
    /// ```
    pub fn refresh_before(mut self, lead: Duration) -> Self {
        self.settings.rp.refresh_before = lead;
        self
    }

    /// The clock leeway for ID-token `exp` and `iat` (default 30 s).
    ///
    /// ```
    /// # #[cfg(feature = "blocking")] {
    /// let builder = idpkit::IdpClientSync::builder("https://op.example", "app")
    ///     .leeway(std::time::Duration::from_secs(10));
    /// # }
    /// ```
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.settings.rp.leeway = leeway;
        self
    }

    /// The ID-token signing algorithms to accept (default: the asymmetric ones in the
    /// provider's metadata). An HMAC algorithm (`HS256`, …) may be listed only for a client with
    /// a [`client_secret`](Self::client_secret), registered for HMAC ID tokens: they are then
    /// verified with the secret alone, never with a provider key. `none` is never listed here
    /// (see [`danger_accept_unsigned_id_tokens`](Self::danger_accept_unsigned_id_tokens)).
    ///
    /// ```
    /// # #[cfg(feature = "blocking")] {
    /// use jsonwebtoken::Algorithm;
    /// let builder = idpkit::IdpClientSync::builder("https://op.example", "app")
    ///     .id_token_algorithms([Algorithm::RS256, Algorithm::ES256]);
    /// # }
    /// ```
    pub fn id_token_algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.settings.rp.algorithms = Some(algorithms.into_iter().collect());
        self
    }

    /// **Dangerous**: accept unsigned (`alg: none`) ID tokens, for a client registered with
    /// `id_token_signed_response_alg: none` (OIDC Core §3.1.3.7 step 6 allows it only when the
    /// ID token comes straight from the token endpoint over TLS). Honoured for the code flow's
    /// token response only; ID tokens handed in by other ways (`verify_id_token`, a stored token
    /// set) must still be signed, and every claim check still applies. Default off: an unsigned
    /// ID token fails with `AlgorithmNotAllowed("none")`.
    ///
    /// ```
    /// # #[cfg(feature = "blocking")] {
    /// let builder = idpkit::IdpClientSync::builder("https://op.example", "app")
    ///     .danger_accept_unsigned_id_tokens(true);
    /// # }
    /// ```
    pub fn danger_accept_unsigned_id_tokens(mut self, on: bool) -> Self {
        self.settings.rp.accept_unsigned_id_tokens = on;
        self
    }

    /// The shortest time between two JWKS refetches caused by tokens with an unknown key id
    /// (default 30 s).
    ///
    /// ```
    /// # #[cfg(feature = "blocking")] {
    /// let builder = idpkit::IdpClientSync::builder("https://op.example", "app")
    ///     .jwks_refetch_interval(std::time::Duration::from_secs(60));
    /// # }
    /// ```
    pub fn jwks_refetch_interval(mut self, interval: Duration) -> Self {
        self.settings.rp.jwks_refetch_interval = interval;
        self
    }

    /// Pushes every authorization request to the provider first (RFC 9126) and sends the user
    /// to a short URL holding only `client_id` and `request_uri` (default off: requests are
    /// pushed only when the provider's metadata says `require_pushed_authorization_requests`).
    /// Sign-ins then start with [`IdpClient::start_sign_in`].
    ///
    /// ```
    /// # #[cfg(feature = "blocking")] {
    /// let builder = idpkit::IdpClientSync::builder("https://op.example", "app")
    ///     .pushed_authorization_requests(true);
    /// # }
    /// ```
    pub fn pushed_authorization_requests(mut self, on: bool) -> Self {
        self.settings.rp.pushed_authorization_requests = on;
        self
    }

    fn into_parts(self) -> Result<(Issuer, Settings, Transport<H>, Clock)> {
        let issuer = self.settings.validate()?;
        let clock = self.transport.clock.clone();
        Ok((issuer, self.settings, self.transport.build()?, clock))
    }

    /// Fetches the provider's metadata from `{issuer}/.well-known/openid-configuration`, checks
    /// that its `issuer` equals the configured one exactly and that its endpoints are https
    /// (http only on loopback), and returns the client.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) for a bad setting (an `http://` issuer
    /// outside loopback, an empty client id, …); [`ErrorKind::Transport`](crate::ErrorKind::Transport),
    /// [`ErrorKind::Timeout`](crate::ErrorKind::Timeout) or
    /// [`ErrorKind::BodyTooLarge`](crate::ErrorKind::BodyTooLarge) when fetching fails;
    /// [`ErrorKind::Status`](crate::ErrorKind::Status) for a non-2xx answer;
    /// [`ErrorKind::MalformedResponse`](crate::ErrorKind::MalformedResponse) for anything but
    /// a metadata document; [`ErrorKind::IssuerMismatch`](crate::ErrorKind::IssuerMismatch).
    ///
    /// ```no_run
    /// # #[cfg(feature = "blocking")]
    /// # fn run() -> Result<(), idpkit::Error> {
    /// let client = idpkit::IdpClientSync::builder("https://login.example.com", "my-app")
    ///     .timeout(std::time::Duration::from_secs(3))
    ///     .discover()?;
    /// # Ok(()) }
    /// ```
    pub async fn discover(self) -> Result<IdpClient<H>> {
        let (issuer, settings, transport, clock) = self.into_parts()?;
        Self::discover_parts(issuer, settings, transport, clock).await
    }

    /// Finds the issuer from what the user typed with WebFinger (OpenID Connect Discovery 1.0
    /// §2: `alice@example.com`, `acct:alice@example.com`, `https://example.com/alice`, normalized
    /// as [`WebFingerQuery`](crate::oidc::WebFingerQuery) says), then discovers it as
    /// [`discover`](Self::discover) does: the metadata's `issuer` must equal the one WebFinger
    /// named. The issuer given to [`IdpClient::builder`] is replaced (pass `""`).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) for an identifier that cannot be
    /// normalized; the WebFinger endpoint's errors
    /// ([`ErrorKind::MalformedResponse`](crate::ErrorKind::MalformedResponse) without an issuer
    /// link); then as [`discover`](Self::discover), with
    /// [`ErrorKind::IssuerMismatch`](crate::ErrorKind::IssuerMismatch) when the metadata names
    /// another issuer than WebFinger did.
    ///
    /// ```no_run
    /// # #[cfg(feature = "blocking")]
    /// # fn run() -> Result<(), idpkit::Error> {
    /// let client = idpkit::IdpClientSync::builder("", "my-app")
    ///     .discover_by_webfinger("alice@example.com")?;
    /// println!("{}", client.issuer());
    /// # Ok(()) }
    /// ```
    pub async fn discover_by_webfinger(self, identifier: &str) -> Result<IdpClient<H>> {
        let query = crate::oidc::WebFingerQuery::from_identifier(identifier)?;
        let IdpClientBuilder {
            mut settings,
            transport,
        } = self;
        let clock = transport.clock.clone();
        let transport = transport.build()?;
        let request = crate::oidc::build_webfinger_request(&query, transport.limits())?;
        let issuer = transport
            .execute("webfinger", request, crate::oidc::parse_webfinger_response)
            .await?;
        settings.issuer = issuer.as_str().to_owned();
        let issuer = settings.validate()?;
        Self::discover_parts(issuer, settings, transport, clock).await
    }

    async fn discover_parts(
        issuer: Issuer,
        settings: Settings,
        transport: Transport<H>,
        clock: Clock,
    ) -> Result<IdpClient<H>> {
        let request = build_discovery_request(&issuer, transport.limits())?;
        let metadata = transport
            .execute("discovery", request, |response, now| {
                parse_discovery_response(&issuer, response, now)
            })
            .await?;
        IdpClient::from_parts(transport, issuer, settings, metadata, clock)
    }

    /// Builds the client from metadata given by hand, for a provider without discovery. The
    /// metadata is checked as a discovered document would be.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) for a bad setting;
    /// [`ErrorKind::IssuerMismatch`](crate::ErrorKind::IssuerMismatch) or
    /// [`ErrorKind::MalformedResponse`](crate::ErrorKind::MalformedResponse) for metadata that
    /// fails [`ProviderMetadata::validate`].
    ///
    /// ```
    /// # #[cfg(feature = "blocking")] {
    /// let metadata: idpkit::oidc::ProviderMetadata = serde_json::from_value(serde_json::json!({
    ///     "issuer": "https://op.example",
    ///     "authorization_endpoint": "https://op.example/authorize",
    ///     "token_endpoint": "https://op.example/token",
    ///     "jwks_uri": "https://op.example/jwks",
    /// })).unwrap();
    /// let client = idpkit::IdpClientSync::builder("https://op.example", "app")
    ///     .build_with_metadata(metadata)
    ///     .unwrap();
    /// assert_eq!(client.metadata().jwks_uri, "https://op.example/jwks");
    /// # }
    /// ```
    pub fn build_with_metadata(self, metadata: ProviderMetadata) -> Result<IdpClient<H>> {
        let (issuer, settings, transport, clock) = self.into_parts()?;
        metadata.validate(&issuer)?;
        IdpClient::from_parts(transport, issuer, settings, metadata, clock)
    }
}

impl<H> IdpClient<H> {
    /// Completes the configuration with what the metadata says (client authentication, ID-token
    /// algorithms).
    fn from_parts(
        transport: Transport<H>,
        issuer: Issuer,
        settings: Settings,
        metadata: ProviderMetadata,
        clock: Clock,
    ) -> Result<Self> {
        let auth = ClientAuth::select(
            &settings.client_id,
            settings.client_secret.clone(),
            settings.assertion_key.clone(),
            settings.auth_method,
            &metadata,
            JwtAssertion::new(issuer.as_str()).with_clock(clock),
        )?;
        let mut checks = IdTokenChecks::new(issuer.as_str(), &settings.client_id);
        checks.allowed_algorithms = match &settings.rp.algorithms {
            Some(algorithms) => algorithms.clone(),
            None => IdTokenChecks::algorithms_from_metadata(
                &metadata.id_token_signing_alg_values_supported,
            ),
        };
        checks.leeway = settings.rp.leeway;
        if checks
            .allowed_algorithms
            .iter()
            .any(|alg| alg.family() == jsonwebtoken::AlgorithmFamily::Hmac)
        {
            checks.client_secret = settings.client_secret.clone();
        }
        let jwks = JwksCache::new(settings.rp.jwks_refetch_interval);
        Ok(IdpClient {
            inner: Arc::new(Inner {
                transport,
                issuer,
                settings,
                metadata,
                auth,
                checks,
                jwks,
                jwks_fetch: Lock::new(()),
            }),
        })
    }

    pub(crate) fn redirect_uri(&self) -> Result<&str> {
        self.inner.settings.redirect_uri.as_deref().ok_or_else(|| {
            Error::config("this operation needs a redirect_uri; set it on the builder")
        })
    }

    /// An endpoint from the metadata, or a configuration error naming it.
    pub(crate) fn endpoint<'a>(&self, name: &str, value: Option<&'a str>) -> Result<&'a str> {
        value.ok_or_else(|| Error::config(format!("the provider's metadata has no {name}")))
    }

    pub(crate) fn limits(&self) -> RequestLimits {
        self.inner.transport.limits()
    }

    pub(crate) fn now(&self) -> SystemTime {
        self.inner.transport.now()
    }

    pub(crate) fn transport(&self) -> &Transport<H> {
        &self.inner.transport
    }

    pub(crate) fn client_auth(&self) -> &ClientAuth {
        &self.inner.auth
    }

    pub(crate) fn id_token_checks(&self) -> &IdTokenChecks {
        &self.inner.checks
    }

    pub(crate) fn jwks_cache(&self) -> &JwksCache {
        &self.inner.jwks
    }

    pub(crate) fn jwks_lock(&self) -> &Lock<()> {
        &self.inner.jwks_fetch
    }

    /// Whether the code flow accepts unsigned ID tokens (the dangerous opt-in).
    pub(crate) fn accepts_unsigned_id_tokens(&self) -> bool {
        self.inner.settings.rp.accept_unsigned_id_tokens
    }

    pub(crate) fn rp_auto_refresh(&self) -> bool {
        self.inner.settings.rp.auto_refresh
    }

    pub(crate) fn rp_refresh_before(&self) -> Duration {
        self.inner.settings.rp.refresh_before
    }

    /// Whether authorization requests must be pushed (RFC 9126): the provider requires it, or
    /// the client was built to.
    pub(crate) fn pushes_authorization_requests(&self) -> bool {
        self.inner.settings.rp.pushed_authorization_requests
            || crate::oidc::requires_pushed_authorization_requests(self.metadata())
    }
}
