//! A session: a principal resumed from stored tokens that refreshes itself, once for all its
//! concurrent callers. One source, compiled twice; the lock is the mode's own (a
//! `parking_lot::Mutex` in blocking code, a `tokio::sync::Mutex` in async code), held across the
//! refresh request so that callers queue behind the one refresh instead of racing it (the
//! provider revokes the whole grant when a rotated-out refresh token is used twice).

use std::sync::Arc;
use std::time::Duration;

use super::client::IdpClient;
use super::transport::HttpClient;
use super::{Lock, maybe_async};
use crate::error::{Error, ErrorKind, Result};
use crate::oidc::TokenSet;
use crate::oidc::{AfterRefreshFailure, Decision, Principal, SessionOptions};

/// A signed-in principal that keeps itself fresh. Built by [`IdpClient::create_agent`]; cheap to
/// clone (clones share the state, and so share refreshes).
///
/// # When a refresh fails
///
/// A failed refresh that leaves the refresh token in doubt ends the session: the provider
/// refused it (`invalid_grant`), or its answer was lost after the provider may have rotated it
/// (reset, closed, timed out, unreadable), or the new tokens failed validation. The call returns
/// [`ErrorKind::SignInRequired`] (the refresh's error is its `source()`), `on_refresh_error` is
/// called once, and every later call returns the same error at once without calling the
/// provider: the stale refresh token is never sent in a loop (a provider that rotates refresh
/// tokens revokes the whole grant when a retired one comes back). Sign the user in again. With
/// [`SessionOptions::refresh_reuse_grace`] a lost answer is retried once, at once, with the same
/// token first. A failure that leaves the token intact (no connection, an HTTP error status)
/// keeps the session: the error is returned and the next call tries again. `on_refresh` only
/// ever sees a whole token set (the previous refresh and ID tokens kept where the provider sent
/// none). The rules are in `idpkit::oidc`'s `session_end`.
///
/// ```no_run
/// # #[cfg(feature = "async")]
/// # async fn run(client: idpkit::IdpClient, stored: idpkit::oidc::TokenSet) -> idpkit::Result<()> {
/// use idpkit::oidc::SessionOptions;
/// let session = client
///     .create_agent(stored, SessionOptions::new().on_refresh(|tokens| {
///         // persist `tokens` now: the old refresh token may no longer work
///         let _ = serde_json::to_string(tokens);
///     }))
///     .await?;
/// let principal = session.principal().await?; // refreshed first if about to expire
/// println!("{} may read projects: {}", principal.id(), principal.has_access("read", "projects"));
/// # Ok(()) }
/// ```
pub struct Session<H = super::DefaultHttp> {
    inner: Arc<SessionInner<H>>,
}

struct SessionInner<H> {
    client: IdpClient<H>,
    options: SessionOptions,
    current: Lock<State>,
}

/// What the lock guards: the principal, and why the session ended if it has.
struct State {
    principal: Principal,
    ended: Option<Error>,
}

impl State {
    /// The error every call returns once the session has ended.
    fn check(&self) -> Result<()> {
        match &self.ended {
            Some(ended) => Err(ended.clone()),
            None => Ok(()),
        }
    }
}

impl<H> Clone for Session<H> {
    fn clone(&self) -> Self {
        Session {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<H> std::fmt::Debug for Session<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("client", &self.inner.client)
            .finish_non_exhaustive()
    }
}

#[maybe_async]
impl<H: HttpClient> IdpClient<H> {
    /// Resumes a session from a stored token set (as the reference SDK's `create_agent`). The
    /// stored ID token's signature, issuer and audience are verified (its expiry is not: ID
    /// tokens are short-lived and a stored one is expected to have expired); a token set without
    /// an ID token (client credentials) becomes a service agent.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TokenValidation`] for an ID token that is not the provider's or not for
    /// this client; the JWKS endpoint's errors.
    ///
    /// ```no_run
    /// # #[cfg(feature = "blocking")] {
    /// # let client = idpkit::IdpClientSync::discover("https://login.example.com", "app").unwrap();
    /// let stored: idpkit::oidc::TokenSet = serde_json::from_str(&std::fs::read_to_string("tokens.json").unwrap()).unwrap();
    /// let session = client.create_agent(stored, idpkit::oidc::SessionOptions::new()).unwrap();
    /// let principal = session.principal().unwrap();
    /// # }
    /// ```
    pub async fn create_agent(
        &self,
        tokens: TokenSet,
        options: SessionOptions,
    ) -> Result<Session<H>> {
        let agent = match tokens.id_token.clone() {
            Some(id_token) => {
                let mut checks = self.id_token_checks().clone();
                checks.leeway = STORED_TOKEN_LEEWAY;
                let claims = self.verify_with(&id_token, &checks, None, None).await?;
                Principal::from_claims(tokens, claims.all_claims())?
            }
            None => Principal::for_service(self.client_id(), tokens),
        };
        Ok(Session {
            inner: Arc::new(SessionInner {
                client: self.clone(),
                options,
                current: Lock::new(State {
                    principal: agent,
                    ended: None,
                }),
            }),
        })
    }
}

/// Accept a stored ID token whatever its `exp`/`iat` (ten years either way).
const STORED_TOKEN_LEEWAY: std::time::Duration = std::time::Duration::from_secs(10 * 365 * 86_400);

#[maybe_async]
impl<H: HttpClient> Session<H> {
    /// The principal, refreshed first when its access token expires within the client's
    /// [`refresh_before`](super::IdpClientBuilder::refresh_before) and automatic refresh is on
    /// (the options' `auto_refresh`, else the client's). Cheap: a clone of an `Arc`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TokenExpired`] when the token has expired and automatic refresh is off; the
    /// refresh's errors (also reported to `on_refresh_error`); [`ErrorKind::SignInRequired`]
    /// when the session has ended or this refresh ends it (see [`Session`]).
    ///
    /// ```no_run
    /// # #[cfg(feature = "blocking")]
    /// # fn run(session: idpkit::blocking::Session) -> idpkit::Result<()> {
    /// let principal = session.principal()?;
    /// println!("{}", principal.id());
    /// # Ok(()) }
    /// ```
    pub async fn principal(&self) -> Result<Principal> {
        let auto = self
            .inner
            .options
            .auto_refresh
            .unwrap_or(self.inner.client.rp_auto_refresh());
        let client = &self.inner.client;
        let mut state = self.inner.current.lock().await;
        state.check()?;
        let now = client.now();
        let tokens = state.principal.tokens();
        if !tokens.is_expired(now, client.rp_refresh_before()) {
            return Ok(state.principal.clone());
        }
        if !auto {
            return if tokens.is_expired(now, Duration::ZERO) {
                Err(ErrorKind::TokenExpired.into())
            } else {
                Ok(state.principal.clone())
            };
        }
        self.refresh_locked(&mut state).await
    }

    /// The principal as it is, never calling the provider: still valid (perhaps within its
    /// refresh lead time), or [`ErrorKind::TokenExpired`].
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TokenExpired`] when the access token has expired;
    /// [`ErrorKind::SignInRequired`] when the session has ended.
    ///
    /// ```no_run
    /// # #[cfg(feature = "blocking")]
    /// # fn run(session: idpkit::blocking::Session) -> idpkit::Result<()> {
    /// let principal = session.current()?; // never calls the provider
    /// # Ok(()) }
    /// ```
    pub async fn current(&self) -> Result<Principal> {
        let state = self.inner.current.lock().await;
        state.check()?;
        if state
            .principal
            .tokens()
            .is_expired(self.inner.client.now(), Duration::ZERO)
        {
            return Err(ErrorKind::TokenExpired.into());
        }
        Ok(state.principal.clone())
    }

    /// Refreshes now, whatever the expiry (queued behind any refresh already under way).
    ///
    /// # Errors
    ///
    /// As [`IdpClient::refresh`], and [`ErrorKind::SignInRequired`] when the session has ended
    /// or this refresh ends it.
    ///
    /// ```no_run
    /// # #[cfg(feature = "blocking")]
    /// # fn run(session: idpkit::blocking::Session) -> idpkit::Result<()> {
    /// let principal = session.refresh()?;
    /// # Ok(()) }
    /// ```
    pub async fn refresh(&self) -> Result<Principal> {
        let mut state = self.inner.current.lock().await;
        state.check()?;
        self.refresh_locked(&mut state).await
    }

    /// Refreshes under the lock, and keeps or ends the session by the failure's verdict.
    async fn refresh_locked(&self, state: &mut State) -> Result<Principal> {
        let options = &self.inner.options;
        let notify = |tokens: &TokenSet| {
            if let Some(on_refresh) = &options.on_refresh {
                on_refresh(tokens);
            }
        };
        let client = &self.inner.client;
        let mut retried = false;
        let error = loop {
            let err = match client.refresh_with(&state.principal, &notify).await {
                Ok(refreshed) => {
                    state.principal = refreshed.clone();
                    return Ok(refreshed);
                }
                Err(err) => err,
            };
            match AfterRefreshFailure::decide(&err, options, retried) {
                Decision::RetryOnce => retried = true,
                Decision::Keep => break err,
                Decision::End(ended) => {
                    state.ended = Some(ended.clone());
                    break ended;
                }
            }
        };
        if let Some(on_error) = &options.on_refresh_error {
            on_error(&error);
        }
        Err(error)
    }

    /// The client this session refreshes with.
    ///
    /// ```no_run
    /// # #[cfg(feature = "blocking")]
    /// # fn run(session: idpkit::blocking::Session) {
    /// println!("{}", session.client().issuer());
    /// # }
    /// ```
    pub fn client(&self) -> &IdpClient<H> {
        &self.inner.client
    }
}
