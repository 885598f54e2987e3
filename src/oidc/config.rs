//! Configuration values shared by both clients: the client secret (redacted), the injected
//! clock, and the validated settings a client is built from.

use std::time::Duration;

use jsonwebtoken::Algorithm;

use crate::error::{Error, Result};
use crate::oidc::AuthMethod;
use crate::oidc::Issuer;
use crate::secret::ClientSecret;

/// What a client builder collects, before validation. Shared by the blocking and the async
/// builder (which add the transport).
#[cfg_attr(not(any(feature = "blocking", feature = "async")), allow(dead_code))]
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) issuer: String,
    pub(crate) client_id: String,
    pub(crate) client_secret: Option<ClientSecret>,
    pub(crate) redirect_uri: Option<String>,
    pub(crate) auth_method: Option<AuthMethod>,
    /// The private key of `private_key_jwt`.
    pub(crate) assertion_key: Option<crate::oidc::ClientAssertionKey>,
    pub(crate) rp: RelyingPartySettings,
}

/// The relying party's policy knobs, with their defaults.
#[cfg_attr(not(any(feature = "blocking", feature = "async")), allow(dead_code))]
#[derive(Debug, Clone)]
pub(crate) struct RelyingPartySettings {
    /// Refresh sessions automatically when their access token is about to expire.
    pub(crate) auto_refresh: bool,
    /// How long before expiry a session refreshes.
    pub(crate) refresh_before: Duration,
    /// Clock leeway for `exp` / `iat`.
    pub(crate) leeway: Duration,
    /// ID-token algorithms; `None` = from the provider's metadata.
    pub(crate) algorithms: Option<Vec<Algorithm>>,
    /// The floor between two JWKS refetches caused by unknown key ids.
    pub(crate) jwks_refetch_interval: Duration,
    /// Push every authorization request (RFC 9126), even when the provider does not require it.
    pub(crate) pushed_authorization_requests: bool,
    /// Accept unsigned (`alg: none`) ID tokens from the token endpoint (the dangerous opt-in).
    pub(crate) accept_unsigned_id_tokens: bool,
}

impl Default for RelyingPartySettings {
    fn default() -> Self {
        RelyingPartySettings {
            auto_refresh: true,
            refresh_before: Duration::from_secs(60),
            leeway: Duration::from_secs(30),
            algorithms: None,
            jwks_refetch_interval: Duration::from_secs(30),
            pushed_authorization_requests: false,
            accept_unsigned_id_tokens: false,
        }
    }
}

#[cfg_attr(not(any(feature = "blocking", feature = "async")), allow(dead_code))]
impl Settings {
    pub(crate) fn new(issuer: String, client_id: String) -> Self {
        Settings {
            issuer,
            client_id,
            client_secret: None,
            redirect_uri: None,
            auth_method: None,
            assertion_key: None,
            rp: RelyingPartySettings::default(),
        }
    }

    /// Validates everything but the transport (which validates itself); the one place the
    /// relying party's configuration errors come from. Returns the parsed issuer.
    pub(crate) fn validate(&self) -> Result<Issuer> {
        let issuer = Issuer::new(self.issuer.clone())?;
        if self.client_id.is_empty() {
            return Err(Error::config("client_id must not be empty"));
        }
        if self
            .client_secret
            .as_ref()
            .is_some_and(|s| s.expose_secret().is_empty())
        {
            return Err(Error::config("client_secret must not be empty"));
        }
        if let Some(uri) = &self.redirect_uri {
            let url = url::Url::parse(uri).map_err(|e| {
                Error::config(format!("redirect_uri is not a valid URL ({e}): {uri:?}"))
            })?;
            if url.fragment().is_some() {
                return Err(Error::config("redirect_uri must not have a fragment"));
            }
        }
        if let Some(algs) = &self.rp.algorithms {
            if algs.is_empty() {
                return Err(Error::config(
                    "the ID-token algorithm allow-list must not be empty",
                ));
            }
            if self.client_secret.is_none()
                && algs
                    .iter()
                    .any(|a| matches!(a, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512))
            {
                return Err(Error::config(
                    "HMAC ID-token algorithms need the client secret (their key); the provider's \
                     public keys are never used for them",
                ));
            }
        }
        if self.auth_method == Some(AuthMethod::None) && self.client_secret.is_some() {
            return Err(Error::config(
                "token endpoint auth method `none` given together with a client secret",
            ));
        }
        Ok(issuer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_errors_are_config_errors() {
        let ok = || Settings::new("https://op.example".into(), "c".into());
        assert!(ok().validate().is_ok());
        let mut s = ok();
        s.client_id.clear();
        assert!(s.validate().unwrap_err().to_string().contains("client_id"));
        let mut s = ok();
        s.client_secret = Some(ClientSecret::new(""));
        assert!(s.validate().is_err());
        let s = Settings::new("http://op.example".into(), "c".into());
        assert!(s.validate().unwrap_err().to_string().contains("https"));
    }

    #[test]
    fn hmac_id_tokens_need_the_client_secret() {
        let mut s = Settings::new("https://op.example".into(), "c".into());
        s.rp.algorithms = Some(vec![Algorithm::HS256]);
        assert!(
            s.validate()
                .unwrap_err()
                .to_string()
                .contains("client secret")
        );
        s.client_secret = Some(ClientSecret::new("s3cr3t"));
        assert!(s.validate().is_ok());
    }

    #[test]
    fn secret_never_in_debug() {
        let mut s = Settings::new("https://op.example".into(), "c".into());
        s.client_secret = Some(ClientSecret::new("hunter2-very-secret"));
        assert!(s.validate().is_ok());
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
