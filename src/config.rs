//! Configuration values shared by both clients: the client secret (redacted), the injected
//! clock, and the validated settings a client is built from.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::discovery::Issuer;
use crate::secret::ClientSecret;
use crate::error::{Error, Result};
use crate::http::RequestLimits;

/// The source of the current time. Defaults to the system clock; tests pass a fixed one. Pure
/// code takes the time as an argument and never reads a clock itself.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let clock = idpkit::Clock::new(move || t);
/// assert_eq!(clock.now(), t);
/// ```
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> SystemTime + Send + Sync>);

impl Clock {
    /// A clock that calls `now` for the time.
    ///
    /// ```
    /// let clock = idpkit::Clock::new(std::time::SystemTime::now);
    /// ```
    pub fn new(now: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        Clock(Arc::new(now))
    }

    /// The current time.
    ///
    /// ```
    /// assert!(idpkit::Clock::default().now() > std::time::SystemTime::UNIX_EPOCH);
    /// ```
    pub fn now(&self) -> SystemTime {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::new(SystemTime::now)
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Clock")
    }
}

/// What a client builder collects, before validation. Shared by the blocking and the async
/// builder (which add the transport).
#[cfg_attr(not(any(feature = "blocking", feature = "async")), allow(dead_code))]
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) issuer: String,
    pub(crate) client_id: String,
    pub(crate) client_secret: Option<ClientSecret>,
    pub(crate) limits: RequestLimits,
    pub(crate) clock: Clock,
}

#[cfg_attr(not(any(feature = "blocking", feature = "async")), allow(dead_code))]
impl Settings {
    pub(crate) fn new(issuer: String, client_id: String) -> Self {
        Settings {
            issuer,
            client_id,
            client_secret: None,
            limits: RequestLimits::default(),
            clock: Clock::default(),
        }
    }

    /// Validates everything; the one place configuration errors come from.
    pub(crate) fn validate(self) -> Result<ClientConfig> {
        let issuer = Issuer::new(self.issuer)?;
        if self.client_id.is_empty() {
            return Err(Error::config("client_id must not be empty"));
        }
        if self.limits.timeout == Duration::ZERO {
            return Err(Error::config("timeout must be greater than zero"));
        }
        if self.limits.max_response_bytes == 0 {
            return Err(Error::config(
                "max_response_bytes must be greater than zero",
            ));
        }
        if self
            .client_secret
            .as_ref()
            .is_some_and(|s| s.expose_secret().is_empty())
        {
            return Err(Error::config("client_secret must not be empty"));
        }
        Ok(ClientConfig {
            issuer,
            client_id: self.client_id,
            client_secret: self.client_secret,
            limits: self.limits,
            clock: self.clock,
        })
    }
}

/// A client's validated configuration.
#[cfg_attr(not(any(feature = "blocking", feature = "async")), allow(dead_code))]
#[derive(Debug, Clone)]
pub(crate) struct ClientConfig {
    pub(crate) issuer: Issuer,
    pub(crate) client_id: String,
    pub(crate) client_secret: Option<ClientSecret>,
    pub(crate) limits: RequestLimits,
    pub(crate) clock: Clock,
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
        s.limits.timeout = Duration::ZERO;
        assert!(s.validate().unwrap_err().to_string().contains("timeout"));
        let mut s = ok();
        s.limits.max_response_bytes = 0;
        assert!(s.validate().is_err());
        let mut s = ok();
        s.client_secret = Some(ClientSecret::new(""));
        assert!(s.validate().is_err());
        let s = Settings::new("http://op.example".into(), "c".into());
        assert!(s.validate().unwrap_err().to_string().contains("https"));
    }

    #[test]
    fn secret_never_in_debug() {
        let mut s = Settings::new("https://op.example".into(), "c".into());
        s.client_secret = Some(ClientSecret::new("hunter2-very-secret"));
        let cfg = s.clone().validate().unwrap();
        assert!(!format!("{s:?} {cfg:?}").contains("hunter2"));
    }
}
