//! The relying party's operations. One source, compiled twice: each is a pure `build_*` from
//! the crate root, one `call`, and a pure `parse_*`.

use std::sync::Arc;
use std::time::Instant;

use super::client::IdpClient;
use super::maybe_async;
use super::transport::HttpClient;
use crate::dpop::{DpopError, DpopTarget};
use crate::error::{Error, ErrorKind, Result, TokenValidationError};
use crate::oidc::Principal;
use crate::oidc::{AccessTokenChecks, AccessTokenClaims, verify_access_token};
use crate::oidc::{
    AuthorizationOptions, AuthorizationRequest, CallbackParams, build_authorization_request,
    validate_callback,
};
use crate::oidc::{Grant, TokenSet, build_token_request, parse_token_response};
use crate::oidc::{IdTokenChecks, IdTokenClaims, verify_id_token};
use crate::oidc::{
    Introspection, LogoutOptions, OAuthToken, UserInfoResponse, build_introspection_request,
    build_logout_url, build_revocation_request, parse_introspection_response,
    parse_revocation_response, parse_userinfo_answer, verify_signed_userinfo,
};
use crate::oidc::{Jwks, build_jwks_request, parse_jwks_response};
use crate::secret::{AccessToken, CodeVerifier, IdToken};

type Claims = serde_json::Map<String, serde_json::Value>;

/// A pure builder of a request about a token: revocation or introspection.
type TokenRequest = fn(
    &str,
    &str,
    Option<crate::oidc::TokenTypeHint>,
    &crate::oidc::ClientAuth,
    crate::http::RequestLimits,
) -> Result<crate::http::HttpRequest>;

#[maybe_async]
impl<H: HttpClient> IdpClient<H> {
    /// Starts a sign-in: the URL to send the user to, with PKCE (S256), `state` and `nonce`
    /// freshly drawn from the OS. Keep the returned request (it is serde-serializable) until the
    /// callback. `options` is the request: scopes alone (`&["openid", "email"]`) or
    /// [`AuthorizationOptions`] with `prompt`, `login_hint`, `max_age`, resource indicators and
    /// extra parameters. `openid` is added to the scopes when missing.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`] when no redirect URI is configured, a scope or resource is not
    /// valid, or an extra parameter would override one idpkit sets; also when authorization
    /// requests must be pushed (the provider requires it, or
    /// [`pushed_authorization_requests`](super::IdpClientBuilder::pushed_authorization_requests)):
    /// use [`start_sign_in`](Self::start_sign_in) then.
    ///
    /// ```no_run
    /// # #[cfg(feature = "blocking")] {
    /// use idpkit::oidc::AuthorizationOptions;
    /// let client = idpkit::IdpClientSync::builder("https://login.example.com", "app")
    ///     .redirect_uri("https://app.example.com/callback")
    ///     .discover()
    ///     .unwrap();
    /// let request = client.create_authorization_url(&["openid", "email"]).unwrap();
    /// println!("go to {}", request.url);
    /// let request = client.create_authorization_url(AuthorizationOptions {
    ///     prompt: Some("consent".into()),
    ///     login_hint: Some("alice@example.com".into()),
    ///     ..AuthorizationOptions::new(["openid", "offline_access"])
    /// }).unwrap();
    /// # }
    /// ```
    pub fn create_authorization_url(
        &self,
        options: impl Into<AuthorizationOptions>,
    ) -> Result<AuthorizationRequest> {
        if self.pushes_authorization_requests() {
            return Err(Error::config(
                "authorization requests to this provider must be pushed (RFC 9126): \
                 use start_sign_in or push_authorization_request",
            ));
        }
        build_authorization_request(
            &self.metadata().authorization_endpoint,
            self.client_id(),
            self.redirect_uri()?,
            &options.into(),
        )
    }

    /// Completes a sign-in from the callback URL (or its query string): checks `state` in
    /// constant time, the RFC 9207 `iss` parameter, turns `error=` into a typed
    /// [`OAuthError`](crate::OAuthError), exchanges the code with the PKCE verifier and
    /// validates the ID token (signature, issuer, audience, times, nonce, `at_hash`).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::StateMismatch`], [`ErrorKind::CallbackIssuerMismatch`],
    /// [`ErrorKind::OAuth`] (`login_required`, `consent_required`, `access_denied`, …),
    /// [`ErrorKind::MissingCallbackParameter`], the token endpoint's errors, and
    /// [`ErrorKind::TokenValidation`] for an ID token that fails a check.
    ///
    /// ```no_run
    /// # #[cfg(feature = "async")]
    /// # async fn run(client: idpkit::IdpClient, request: idpkit::oidc::AuthorizationRequest) -> idpkit::Result<()> {
    /// let agent = client
    ///     .handle_callback("https://app.example.com/callback?code=...&state=...", &request)
    ///     .await?;
    /// println!("signed in: {}", agent.id());
    /// # Ok(()) }
    /// ```
    pub async fn handle_callback(
        &self,
        callback: &str,
        request: &AuthorizationRequest,
    ) -> Result<Principal> {
        let params = if callback.contains("://") {
            CallbackParams::from_url(callback)?
        } else {
            CallbackParams::from_query(callback)?
        };
        let code = validate_callback(
            &params,
            request,
            self.issuer().as_str(),
            self.metadata()
                .authorization_response_iss_parameter_supported,
        )?;
        let mut checks = self.id_token_checks().clone();
        checks.max_age = request.max_age.map(std::time::Duration::from_secs);
        self.exchange(
            &code,
            &request.code_verifier,
            &request.redirect_uri,
            Some(&request.nonce),
            &checks,
        )
        .await
    }

    /// Exchanges an authorization code (as the reference SDK's `exchange_code`), for callers
    /// that handle the callback themselves. Prefer [`handle_callback`](Self::handle_callback):
    /// this cannot check the ID token's `nonce`, since it does not have it; PKCE still binds the
    /// code to the verifier.
    ///
    /// # Errors
    ///
    /// As [`handle_callback`](Self::handle_callback), without the callback checks.
    ///
    /// ```no_run
    /// # #[cfg(feature = "async")]
    /// # async fn run(client: idpkit::IdpClient, code: &str, verifier: &idpkit::CodeVerifier) -> idpkit::Result<()> {
    /// let agent = client.exchange_code(code, verifier).await?;
    /// # Ok(()) }
    /// ```
    pub async fn exchange_code(
        &self,
        code: &str,
        code_verifier: &CodeVerifier,
    ) -> Result<Principal> {
        let redirect_uri = self.redirect_uri()?.to_owned();
        self.exchange(
            code,
            code_verifier,
            &redirect_uri,
            None,
            self.id_token_checks(),
        )
        .await
    }

    async fn exchange(
        &self,
        code: &str,
        code_verifier: &CodeVerifier,
        redirect_uri: &str,
        nonce: Option<&str>,
        checks: &IdTokenChecks,
    ) -> Result<Principal> {
        let grant = Grant::AuthorizationCode {
            code,
            redirect_uri,
            code_verifier,
        };
        let tokens = self.token_request(&grant).await?;
        let id_token = tokens.id_token.as_ref().ok_or_else(|| {
            Error::malformed(
                "a token response with an ID token",
                "no id_token (was the `openid` scope requested?)",
            )
        })?;
        // Straight from the token endpoint: the one place an unsigned ID token may be accepted.
        let mut checks = checks.clone();
        checks.accept_unsigned = self.accepts_unsigned_id_tokens();
        let claims = self
            .verify_with(id_token, &checks, nonce, Some(&tokens.access_token))
            .await?;
        Principal::from_claims(tokens, claims.all_claims())
    }

    /// Refreshes an agent's tokens (stateless; a session from
    /// [`create_agent`](Self::create_agent) does this by itself, once for all its callers).
    /// Keeps the old refresh token when the provider does not rotate it; a new ID token must
    /// name the same subject.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TokenExpired`] without a refresh token; [`ErrorKind::SubjectMismatch`] when
    /// the new ID token is another user's; the token endpoint's errors (`invalid_grant` when the
    /// refresh token was revoked or already used).
    ///
    /// ```no_run
    /// # #[cfg(feature = "async")]
    /// # async fn run(client: idpkit::IdpClient, agent: idpkit::oidc::Principal) -> idpkit::Result<()> {
    /// let agent = client.refresh(&agent).await?;
    /// # Ok(()) }
    /// ```
    pub async fn refresh(&self, agent: &Principal) -> Result<Principal> {
        self.refresh_with(agent, &|_: &TokenSet| {}).await
    }

    /// The refresh itself; `on_refresh` sees the new token set as soon as it is parsed, before
    /// any check that could still fail, so a rotated refresh token is never lost.
    pub(crate) async fn refresh_with(
        &self,
        agent: &Principal,
        on_refresh: &(dyn Fn(&TokenSet) + Send + Sync),
    ) -> Result<Principal> {
        let old = agent.tokens();
        let refresh_token = old
            .refresh_token
            .as_ref()
            .ok_or_else(|| Error::from(ErrorKind::TokenExpired))?;
        let grant = Grant::RefreshToken {
            refresh_token,
            scope: None,
        };
        let tokens = self.token_request(&grant).await?;
        let new_id_token = tokens.id_token.clone();
        let tokens = tokens.merge_previous(old);
        on_refresh(&tokens);
        let claims = match &new_id_token {
            Some(id_token) => {
                let claims = self
                    .verify_id_token(id_token, None, Some(&tokens.access_token))
                    .await?;
                if claims.sub != agent.id() {
                    return Err(ErrorKind::SubjectMismatch {
                        expected: agent.id().to_owned(),
                        actual: claims.sub,
                    }
                    .into());
                }
                Some(claims.all_claims())
            }
            None => None,
        };
        agent.refreshed(tokens, claims)
    }

    /// Fetches the userinfo claims (OpenID Connect Core §5.3) with the agent's access token;
    /// their `sub` must be the agent's. `request` is the principal alone (`&agent`: bearer
    /// header) or a [`UserInfoRequest`](crate::oidc::UserInfoRequest): the token in a form body
    /// instead, and trusted claims providers whose aggregated and distributed claims
    /// (§5.6.2) are then resolved and merged. A signed answer (`application/jwt`, §5.3.2) is
    /// verified against the provider's keys with the ID-token algorithms, and its `iss` and
    /// `aud`, when present, must be the issuer and this client.
    /// A `DPoP` token (RFC 9449) is sent with a proof of the client's
    /// [DPoP key](super::IdpClientBuilder::dpop).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`] when the provider has no userinfo endpoint; `invalid_token` as an
    /// [`ErrorKind::OAuth`] error for a rejected token; [`ErrorKind::SubjectMismatch`];
    /// [`ErrorKind::TokenValidation`] for a signed answer or a claims JWT that fails a check.
    /// [`ErrorKind::Dpop`] for a `DPoP` token without a DPoP key, or a nonce the server keeps
    /// refusing.
    ///
    /// ```no_run
    /// # #[cfg(feature = "async")]
    /// # async fn run(client: idpkit::IdpClient, agent: idpkit::oidc::Principal) -> idpkit::Result<()> {
    /// let claims = client.get_user_info(&agent).await?;
    /// println!("{:?}", claims.get("name"));
    /// let request = idpkit::oidc::UserInfoRequest::new(&agent).bearer(idpkit::oidc::BearerMethod::FormBody);
    /// let claims = client.get_user_info(request).await?;
    /// # Ok(()) }
    /// ```
    pub async fn get_user_info<'a>(
        &self,
        request: impl Into<crate::oidc::UserInfoRequest<'a>>,
    ) -> Result<Claims> {
        let request = request.into();
        let agent = request.principal;
        let endpoint = self.endpoint(
            "userinfo_endpoint",
            self.metadata().userinfo_endpoint.as_deref(),
        )?;
        let mut http_request = crate::oidc::build_bearer_request(
            "userinfo_endpoint",
            endpoint,
            Some(agent.access_token()),
            request.bearer,
            self.limits(),
        )?;
        // A DPoP-bound token goes as `Authorization: DPoP` with a proof (RFC 9449 §7).
        if agent.tokens().token_type.eq_ignore_ascii_case("dpop") {
            if self.transport().dpop_key().is_none() {
                return Err(DpopError::NoKey.into());
            }
            if request.bearer != crate::oidc::BearerMethod::Header {
                return Err(Error::config(
                    "a DPoP-bound token goes in the Authorization header (RFC 9449 §7.1), not a form body",
                ));
            }
            let target = DpopTarget::Resource(agent.access_token().clone());
            http_request.extensions_mut().insert(target);
        }
        let answer = self
            .transport()
            .execute("userinfo", http_request, parse_userinfo_answer)
            .await?;
        let mut claims = match answer {
            UserInfoResponse::Claims(claims) => claims,
            UserInfoResponse::Signed(jwt) => {
                let checks = self.id_token_checks();
                self.with_keys(|keys| verify_signed_userinfo(&jwt, keys, checks))
                    .await?
            }
        };
        match claims.get("sub").and_then(|s| s.as_str()) {
            Some(sub) if sub == agent.id() => {}
            other => {
                return Err(ErrorKind::SubjectMismatch {
                    expected: agent.id().to_owned(),
                    actual: other.unwrap_or_default().to_owned(),
                }
                .into());
            }
        }
        if let Some(providers) = request.claims_providers {
            self.resolve_claims(&mut claims, providers).await?;
        }
        Ok(claims)
    }

    /// Revokes a token (RFC 7009), with its `token_type_hint`. Revoking a refresh token
    /// usually ends the whole grant.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`] when the provider has no revocation endpoint; the endpoint's
    /// errors.
    ///
    /// ```no_run
    /// # #[cfg(feature = "async")]
    /// # async fn run(client: idpkit::IdpClient, principal: idpkit::oidc::Principal) -> idpkit::Result<()> {
    /// client.revoke_token(principal.access_token()).await?;
    /// if let Some(refresh_token) = &principal.tokens().refresh_token {
    ///     client.revoke_token(refresh_token).await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn revoke_token(&self, token: &impl OAuthToken) -> Result<()> {
        let endpoint = self.metadata().revocation_endpoint.as_deref();
        let endpoint = self.endpoint("revocation_endpoint", endpoint)?;
        let send = (endpoint, build_revocation_request as TokenRequest);
        self.about_token("revocation", send, token, parse_revocation_response)
            .await
    }

    /// Asks the provider about a token (RFC 7662), with its `token_type_hint`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`] when the provider has no introspection endpoint; the endpoint's
    /// errors.
    ///
    /// ```no_run
    /// # #[cfg(feature = "async")]
    /// # async fn run(client: idpkit::IdpClient, bearer: &str) -> idpkit::Result<()> {
    /// let info = client.introspect(&idpkit::AccessToken::new(bearer)).await?;
    /// println!("active: {}", info.active);
    /// # Ok(()) }
    /// ```
    pub async fn introspect(&self, token: &impl OAuthToken) -> Result<Introspection> {
        let endpoint = self.metadata().introspection_endpoint.as_deref();
        let endpoint = self.endpoint("introspection_endpoint", endpoint)?;
        let send = (endpoint, build_introspection_request as TokenRequest);
        self.about_token("introspection", send, token, parse_introspection_response)
            .await
    }

    /// Sends `token` with its hint to an endpoint that authenticates the client (revocation,
    /// introspection) and parses the answer.
    async fn about_token<T>(
        &self,
        operation: &'static str,
        (endpoint, build): (&str, TokenRequest),
        token: &impl OAuthToken,
        parse: fn(crate::http::HttpResponse, std::time::SystemTime) -> Result<T>,
    ) -> Result<T> {
        let hint = Some(token.type_hint());
        let auth = self.client_auth();
        let request = build(endpoint, token.expose_token(), hint, auth, self.limits())?;
        self.transport().execute(operation, request, parse).await
    }

    /// The URL that ends the user's session at the provider (OpenID Connect RP-Initiated
    /// Logout 1.0). `client_id` is filled in when not given.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`] when the provider has no `end_session_endpoint`.
    ///
    /// ```no_run
    /// # #[cfg(feature = "blocking")] {
    /// # let client = idpkit::IdpClientSync::discover("https://login.example.com", "app").unwrap();
    /// # let agent: idpkit::oidc::Principal = todo!();
    /// let url = client.create_logout_url(idpkit::oidc::LogoutOptions {
    ///     id_token_hint: agent.tokens().id_token.clone(),
    ///     post_logout_redirect_uri: Some("https://app.example.com/bye".into()),
    ///     ..Default::default()
    /// }).unwrap();
    /// # }
    /// ```
    pub fn create_logout_url(&self, mut options: LogoutOptions) -> Result<String> {
        let endpoint = self.endpoint(
            "end_session_endpoint",
            self.metadata().end_session_endpoint.as_deref(),
        )?;
        if options.client_id.is_none() {
            options.client_id = Some(self.client_id().to_owned());
        }
        build_logout_url(endpoint, &options)
    }

    /// Verifies an ID token against the provider's keys (OpenID Connect Core §3.1.3.7). The
    /// JWKS is fetched on first use and cached; a token naming an unknown `kid` triggers one
    /// refetch, at most once per refetch interval, so a flood of forged tokens cannot make the
    /// client hammer the provider.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TokenValidation`] with the failed check; the JWKS endpoint's errors.
    ///
    /// ```no_run
    /// # #[cfg(feature = "async")]
    /// # async fn run(client: idpkit::IdpClient, token: idpkit::IdToken) -> idpkit::Result<()> {
    /// let claims = client.verify_id_token(&token, None, None).await?;
    /// println!("{}", claims.sub);
    /// # Ok(()) }
    /// ```
    pub async fn verify_id_token(
        &self,
        id_token: &IdToken,
        nonce: Option<&str>,
        access_token: Option<&AccessToken>,
    ) -> Result<IdTokenClaims> {
        self.verify_with(id_token, self.id_token_checks(), nonce, access_token)
            .await
    }

    pub(crate) async fn verify_with(
        &self,
        id_token: &IdToken,
        checks: &IdTokenChecks,
        nonce: Option<&str>,
        access_token: Option<&AccessToken>,
    ) -> Result<IdTokenClaims> {
        let token = id_token.expose_secret();
        let access_token = access_token.map(|t| t.expose_secret());
        self.with_keys(|keys| verify_id_token(token, keys, checks, nonce, access_token, self.now()))
            .await
    }

    /// Validates a JWT access token (RFC 9068) against the provider's keys, locally: the same
    /// JWKS cache as ID tokens (fetched once, refetched once for an unknown `kid`). For a
    /// resource server behind a provider that issues JWT access tokens; see
    /// [`verify_access_token`](crate::oidc::verify_access_token) for the checks.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TokenValidation`](crate::ErrorKind::TokenValidation) for a token that is not
    /// a valid access token for `checks`; the JWKS endpoint's errors.
    ///
    /// ```no_run
    /// # #[cfg(feature = "async")]
    /// # async fn run(client: idpkit::IdpClient, token: idpkit::AccessToken) -> idpkit::Result<()> {
    /// let checks = idpkit::oidc::AccessTokenChecks::new(client.issuer().as_str(), "https://api.example");
    /// let claims = client.verify_access_token(&token, &checks).await?;
    /// println!("{} via {}", claims.sub, claims.client_id);
    /// # Ok(()) }
    /// ```
    pub async fn verify_access_token(
        &self,
        token: &AccessToken,
        checks: &AccessTokenChecks,
    ) -> Result<AccessTokenClaims> {
        let token = token.expose_secret();
        self.with_keys(|keys| verify_access_token(token, keys, checks, self.now()))
            .await
    }

    /// Runs `verify` with the provider's keys, and once more with a fresh JWKS when the token's
    /// `kid` is unknown (a key rotation).
    async fn with_keys<T>(
        &self,
        verify: impl Fn(&Jwks) -> std::result::Result<T, TokenValidationError>,
    ) -> Result<T> {
        let keys = self.jwks().await?;
        match verify(&keys) {
            Err(TokenValidationError::UnknownKey(kid)) => match self.refetch_jwks(&keys).await? {
                Some(fresh) => verify(&fresh).map_err(Error::from),
                None => Err(TokenValidationError::UnknownKey(kid).into()),
            },
            other => other.map_err(Error::from),
        }
    }

    /// The cached JWKS, fetched on first use (one fetch for all concurrent first callers).
    async fn jwks(&self) -> Result<Arc<Jwks>> {
        if let Some(keys) = self.jwks_cache().current() {
            return Ok(keys);
        }
        let _one_fetch = self.jwks_lock().lock().await;
        if let Some(keys) = self.jwks_cache().current() {
            return Ok(keys);
        }
        self.fetch_jwks().await
    }

    /// Fetches the JWKS again after `stale` did not know a key id, unless another caller has
    /// just done so or the refetch floor forbids it (then `None`).
    async fn refetch_jwks(&self, stale: &Arc<Jwks>) -> Result<Option<Arc<Jwks>>> {
        let _one_fetch = self.jwks_lock().lock().await;
        if let Some(current) = self.jwks_cache().current()
            && !Arc::ptr_eq(&current, stale)
        {
            return Ok(Some(current));
        }
        if !self.jwks_cache().try_claim_refetch(Instant::now()) {
            return Ok(None);
        }
        self.fetch_jwks().await.map(Some)
    }

    async fn fetch_jwks(&self) -> Result<Arc<Jwks>> {
        let uri = self.endpoint("jwks_uri", Some(&self.metadata().jwks_uri))?;
        let request = build_jwks_request(&url_of(uri)?, self.limits())?;
        let keys = self
            .transport()
            .execute("jwks", request, parse_jwks_response)
            .await?;
        Ok(self.jwks_cache().store(keys))
    }

    pub(crate) async fn token_request(&self, grant: &Grant<'_>) -> Result<TokenSet> {
        let endpoint =
            self.endpoint("token_endpoint", self.metadata().token_endpoint.as_deref())?;
        let mut request = build_token_request(endpoint, grant, self.client_auth(), self.limits())?;
        // With a DPoP key, the transport proves possession on every attempt (RFC 9449 §5).
        request.extensions_mut().insert(DpopTarget::Token);
        self.transport()
            .execute("token", request, parse_token_response)
            .await
    }
}

fn url_of(s: &str) -> Result<url::Url> {
    url::Url::parse(s).map_err(|e| Error::config(format!("invalid URL {s:?}: {e}")))
}
