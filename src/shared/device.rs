//! The device authorization grant (RFC 8628) of this mode: start, poll once, poll until the user
//! answers. One source, compiled twice; the requests and the schedule are the pure ones of
//! `crate::oidc::device`, the waiting is the mode's own (`rt::sleep`).

use std::time::Duration;

use super::client::IdpClient;
use super::maybe_async;
use super::transport::HttpClient;
use crate::dpop::DpopTarget;
use crate::error::{Error, ErrorKind, Result};
use crate::oidc::{
    AuthorizationOptions, CancelToken, DeviceAuthorization, DevicePoll, DevicePollSchedule,
    Principal, build_device_authorization_request, build_device_token_request,
    device_authorization_endpoint, device_code_expired, parse_device_authorization_response,
    parse_device_token_response,
};

/// How long a cancellation may go unnoticed while the loop waits between polls.
const CANCEL_CHECK: Duration = Duration::from_millis(100);

#[maybe_async]
impl<H: HttpClient> IdpClient<H> {
    /// Starts a device authorization (RFC 8628 §3.1): show the user
    /// [`verification_uri`](DeviceAuthorization::verification_uri) (or the complete one) and the
    /// [`user_code`](DeviceAuthorization::user_code), then
    /// [`wait_for_device_authorization`](Self::wait_for_device_authorization). `options` as for
    /// [`create_authorization_url`](Self::create_authorization_url): scopes alone, or
    /// [`AuthorizationOptions`] (resources, `max_age`, extra parameters); `openid` is added
    /// when missing. No redirect URI is needed.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`] when the provider has no `device_authorization_endpoint` or an
    /// option is invalid; the endpoint's errors (`invalid_client`, `unauthorized_client` for a
    /// client not registered for the device grant, …) as [`ErrorKind::OAuth`];
    /// [`ErrorKind::MalformedResponse`].
    ///
    /// ```no_run
    /// # #[cfg(feature = "blocking")]
    /// # fn run() -> idpkit::Result<()> {
    /// let client = idpkit::IdpClientSync::discover("https://login.example.com", "my-cli")?;
    /// let device = client.start_device_authorization(&["email", "offline_access"])?;
    /// println!("Open {} and enter {}", device.verification_uri, device.user_code);
    /// let principal = client.wait_for_device_authorization(&device, &Default::default())?;
    /// println!("signed in as {}", principal.id());
    /// # Ok(()) }
    /// ```
    pub async fn start_device_authorization(
        &self,
        options: impl Into<AuthorizationOptions>,
    ) -> Result<DeviceAuthorization> {
        let options = options.into();
        let endpoint = self.endpoint(
            "device_authorization_endpoint",
            device_authorization_endpoint(self.metadata()),
        )?;
        let request = build_device_authorization_request(
            endpoint,
            &options,
            self.client_auth(),
            self.limits(),
        )?;
        let mut device = self
            .transport()
            .execute(
                "device_authorization",
                request,
                parse_device_authorization_response,
            )
            .await?;
        device.max_age = options.max_age.map(|d| d.as_secs());
        Ok(device)
    }

    /// Polls the token endpoint once (RFC 8628 §3.4): [`DevicePoll::Pending`] or
    /// [`DevicePoll::SlowDown`] while the user has not answered, else the signed-in principal,
    /// its ID token validated as in the code flow (signature, issuer, audience, times,
    /// `auth_time` against a requested `max_age`). For a loop of your own; most callers want
    /// [`wait_for_device_authorization`](Self::wait_for_device_authorization).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::OAuth`] with [`OAuthErrorCode::AccessDenied`](crate::OAuthErrorCode::AccessDenied)
    /// when the user refused, [`OAuthErrorCode::ExpiredToken`](crate::OAuthErrorCode::ExpiredToken)
    /// when the device code expired, any other code as the provider sent it;
    /// [`ErrorKind::TokenValidation`]; [`ErrorKind::MalformedResponse`].
    ///
    /// ```no_run
    /// # #[cfg(feature = "async")]
    /// # async fn run(client: idpkit::IdpClient, device: idpkit::oidc::DeviceAuthorization) -> idpkit::Result<()> {
    /// use idpkit::oidc::DevicePoll;
    /// match client.poll_device_authorization(&device).await? {
    ///     DevicePoll::Granted(principal) => println!("signed in as {}", principal.id()),
    ///     _ => println!("not yet"),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn poll_device_authorization(
        &self,
        authorization: &DeviceAuthorization,
    ) -> Result<DevicePoll<Principal>> {
        let endpoint =
            self.endpoint("token_endpoint", self.metadata().token_endpoint.as_deref())?;
        let mut request =
            build_device_token_request(endpoint, authorization, self.client_auth(), self.limits())?;
        request.extensions_mut().insert(DpopTarget::Token);
        let poll = self
            .transport()
            .execute("token", request, parse_device_token_response)
            .await?;
        let tokens = match poll {
            DevicePoll::Granted(tokens) => tokens,
            DevicePoll::Pending => return Ok(DevicePoll::Pending),
            DevicePoll::SlowDown => return Ok(DevicePoll::SlowDown),
        };
        let id_token = tokens.id_token.as_ref().ok_or_else(|| {
            Error::malformed(
                "a token response with an ID token",
                "no id_token (was the `openid` scope requested?)",
            )
        })?;
        let mut checks = self.id_token_checks().clone();
        checks.max_age = authorization.max_age.map(Duration::from_secs);
        let claims = self
            .verify_with(id_token, &checks, None, Some(&tokens.access_token))
            .await?;
        Principal::from_claims(tokens, claims.all_claims()).map(DevicePoll::Granted)
    }

    /// Polls until the user approves or refuses, or the device code expires (RFC 8628 §3.4,
    /// §3.5): waits the provider's interval before each poll, 5 seconds more after each
    /// `slow_down`, twice as long after a timeout or a lost connection, and stops at the
    /// expiry (`expires_in`) without waiting for the provider to say so. Set `cancel` from
    /// anywhere to stop it; in async code, dropping the future stops it too.
    ///
    /// The result is the same [`Principal`] as a code-flow sign-in; keep its
    /// [`tokens`](Principal::tokens) and resume with [`create_agent`](Self::create_agent).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Cancelled`]; [`ErrorKind::OAuth`] with `access_denied` or `expired_token`
    /// (also when the expiry passed here first); the other errors of
    /// [`poll_device_authorization`](Self::poll_device_authorization).
    ///
    /// ```no_run
    /// # #[cfg(feature = "blocking")]
    /// # fn run(client: idpkit::IdpClientSync, device: idpkit::oidc::DeviceAuthorization) -> idpkit::Result<()> {
    /// use idpkit::oidc::CancelToken;
    /// let cancel = CancelToken::new();
    /// let on_ctrl_c = cancel.clone(); // call on_ctrl_c.cancel() from a signal handler
    /// let principal = client.wait_for_device_authorization(&device, &cancel)?;
    /// # Ok(()) }
    /// ```
    pub async fn wait_for_device_authorization(
        &self,
        authorization: &DeviceAuthorization,
        cancel: &CancelToken,
    ) -> Result<Principal> {
        let mut schedule = DevicePollSchedule::new(authorization);
        loop {
            let wait = schedule
                .next_wait(self.now())
                .ok_or_else(device_code_expired)?;
            sleep_unless_cancelled(wait, cancel).await?;
            match self.poll_device_authorization(authorization).await {
                Ok(DevicePoll::Granted(principal)) => return Ok(principal),
                Ok(DevicePoll::Pending) => {}
                Ok(DevicePoll::SlowDown) => schedule.slow_down(),
                Err(e) if matches!(e.kind(), ErrorKind::Timeout | ErrorKind::Transport { .. }) => {
                    schedule.back_off()
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// Sleeps `wait` in short steps, ending early with [`ErrorKind::Cancelled`] once `cancel` is set.
#[maybe_async]
async fn sleep_unless_cancelled(wait: Duration, cancel: &CancelToken) -> Result<()> {
    let mut left = wait;
    while !left.is_zero() {
        cancel.check()?;
        let step = left.min(CANCEL_CHECK);
        super::rt::sleep(step).await;
        left -= step;
    }
    cancel.check()
}
