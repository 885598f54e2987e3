//! A session resumed from a CLI's [`TokenStore`]. One source, compiled twice.

use super::client::IdpClient;
use super::maybe_async;
use super::session::Session;
use super::transport::HttpClient;
use crate::error::Result;
use crate::oidc::{SessionOptions, TokenStore};

#[maybe_async]
impl<H: HttpClient> IdpClient<H> {
    /// Resumes the session saved in `store` (see [`create_agent`](Self::create_agent)), which
    /// then saves every refreshed token set back to it before anything else: a CLI signs in
    /// once, and later runs refresh silently. `None` when nothing is saved (sign in, then
    /// [`TokenStore::save`] the principal's tokens).
    ///
    /// # Errors
    ///
    /// The store's errors ([`TokenStore::load`]); as [`create_agent`](Self::create_agent).
    ///
    /// ```no_run
    /// # #[cfg(feature = "blocking")]
    /// # fn run(client: idpkit::IdpClientSync) -> idpkit::Result<()> {
    /// use idpkit::oidc::{SessionOptions, TokenStore};
    /// let store = TokenStore::in_config_dir("my-cli")?;
    /// let session = match client.resume_session(&store, SessionOptions::new())? {
    ///     Some(session) => session,
    ///     None => {
    ///         let device = client.start_device_authorization(&["openid", "offline_access"])?;
    ///         println!("open {} and enter {}", device.verification_uri, device.user_code);
    ///         let principal = client.wait_for_device_authorization(&device, &Default::default())?;
    ///         store.save(principal.tokens())?;
    ///         client.resume_session(&store, SessionOptions::new())?.expect("just saved")
    ///     }
    /// };
    /// println!("signed in as {}", session.principal()?.id());
    /// # Ok(()) }
    /// ```
    pub async fn resume_session(
        &self,
        store: &TokenStore,
        options: SessionOptions,
    ) -> Result<Option<Session<H>>> {
        let Some(tokens) = store.load()? else {
            return Ok(None);
        };
        let session = self
            .create_agent(tokens, store.session_options(options))
            .await?;
        Ok(Some(session))
    }
}
