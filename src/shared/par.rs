//! Pushed authorization requests (RFC 9126) of this mode. One source, compiled twice; the
//! request and the answer are the pure ones of `crate::oidc::par`.

use super::client::IdpClient;
use super::maybe_async;
use super::transport::HttpClient;
use crate::error::Result;
use crate::oidc::{
    AuthorizationOptions, AuthorizationRequest, build_authorization_request, build_par_request,
    parse_par_response, pushed_authorization_request_endpoint,
};

#[maybe_async]
impl<H: HttpClient> IdpClient<H> {
    /// Starts a sign-in, pushing the request first when it must be (RFC 9126): when the
    /// provider's metadata says `require_pushed_authorization_requests`, or the client was built
    /// with [`pushed_authorization_requests(true)`](super::IdpClientBuilder::pushed_authorization_requests).
    /// Otherwise the same as [`create_authorization_url`](Self::create_authorization_url).
    /// Either way, finish with [`handle_callback`](Self::handle_callback).
    ///
    /// # Errors
    ///
    /// As [`create_authorization_url`](Self::create_authorization_url) and
    /// [`push_authorization_request`](Self::push_authorization_request).
    ///
    /// ```no_run
    /// # #[cfg(feature = "async")]
    /// # async fn run(client: idpkit::IdpClient) -> idpkit::Result<()> {
    /// let request = client.start_sign_in(&["openid", "email"]).await?;
    /// println!("go to {}", request.url);
    /// # Ok(()) }
    /// ```
    pub async fn start_sign_in(
        &self,
        options: impl Into<AuthorizationOptions>,
    ) -> Result<AuthorizationRequest> {
        if self.pushes_authorization_requests() {
            self.push_authorization_request(options).await
        } else {
            self.create_authorization_url(options)
        }
    }

    /// Pushes an authorization request to the provider (RFC 9126 §2), authenticated as at the
    /// token endpoint, and returns the request with the short URL
    /// `authorization_endpoint?client_id=…&request_uri=…` (RFC 9126 §4). PKCE, `state` and
    /// `nonce` are as in [`create_authorization_url`](Self::create_authorization_url).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) when the provider has no
    /// `pushed_authorization_request_endpoint`, no redirect URI is configured or an option is
    /// invalid; the endpoint's errors as [`ErrorKind::OAuth`](crate::ErrorKind::OAuth)
    /// (`invalid_client`, `invalid_request`, …);
    /// [`ErrorKind::MalformedResponse`](crate::ErrorKind::MalformedResponse) for an answer
    /// without `request_uri` or `expires_in`.
    ///
    /// ```no_run
    /// # #[cfg(feature = "blocking")]
    /// # fn run(client: idpkit::IdpClientSync) -> idpkit::Result<()> {
    /// let request = client.push_authorization_request(&["openid", "email"])?;
    /// assert!(request.url.contains("request_uri="));
    /// # Ok(()) }
    /// ```
    pub async fn push_authorization_request(
        &self,
        options: impl Into<AuthorizationOptions>,
    ) -> Result<AuthorizationRequest> {
        let endpoint = self.endpoint(
            "pushed_authorization_request_endpoint",
            pushed_authorization_request_endpoint(self.metadata()),
        )?;
        let authorization_endpoint = &self.metadata().authorization_endpoint;
        let request = build_authorization_request(
            authorization_endpoint,
            self.client_id(),
            self.redirect_uri()?,
            &options.into(),
        )?;
        let push = build_par_request(endpoint, &request, self.client_auth(), self.limits())?;
        let pushed = self
            .transport()
            .execute("pushed_authorization_request", push, parse_par_response)
            .await?;
        pushed.authorization_request(request, authorization_endpoint, self.client_id())
    }
}
