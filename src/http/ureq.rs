//! The blocking transport over ureq 3.

use std::sync::Arc;

use crate::error::{Error, ErrorKind, Result};
use crate::http::{
    DEFAULT_TIMEOUT, HttpRequest, HttpResponse, RequestLimits, Stage, USER_AGENT_VALUE, authority,
    transport_error,
};

/// The blocking client's transport: a [`ureq::Agent`].
///
/// [`UreqHttp::new`] makes an agent with rustls (aws-lc-rs), the platform's certificate
/// verifier, no redirects and idpkit's `User-Agent`. To use your own agent (proxy, custom roots),
/// hand it in with [`UreqHttp::from`]: idpkit still applies its timeout, body cap and
/// no-redirect policy to each request, and treats every HTTP status as a response.
///
/// Must not be called from inside an async runtime's worker thread (it blocks it); use the
/// async client there.
///
/// ```
/// # fn main() -> Result<(), idpkit::Error> {
/// let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
/// let transport = idpkit::http::UreqHttp::from(agent);
/// let builder = idpkit::blocking::IdpClient::builder("https://op.example", "my-client")
///     .http_client(transport);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct UreqHttp {
    agent: ::ureq::Agent,
}

impl UreqHttp {
    /// A transport with idpkit's default agent.
    ///
    /// ```
    /// let transport = idpkit::http::UreqHttp::new();
    /// ```
    pub fn new() -> Self {
        let tls = ::ureq::tls::TlsConfig::builder()
            .provider(::ureq::tls::TlsProvider::Rustls)
            .root_certs(::ureq::tls::RootCerts::PlatformVerifier)
            .unversioned_rustls_crypto_provider(Arc::new(
                rustls::crypto::aws_lc_rs::default_provider(),
            ))
            .build();
        let agent = ::ureq::Agent::config_builder()
            .tls_config(tls)
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .user_agent(USER_AGENT_VALUE)
            .timeout_global(Some(DEFAULT_TIMEOUT))
            .build()
            .into();
        UreqHttp { agent }
    }

    /// The agent this transport uses.
    ///
    /// ```
    /// let transport = idpkit::http::UreqHttp::new();
    /// let _agent: &ureq::Agent = transport.agent();
    /// ```
    pub fn agent(&self) -> &::ureq::Agent {
        &self.agent
    }

    pub(crate) fn execute(&self, request: HttpRequest) -> Result<HttpResponse> {
        let limits = RequestLimits::of(&request);
        let authority = authority(&request);
        let request = self
            .agent
            .configure_request(request)
            .timeout_global(Some(limits.timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .build();
        let response = self
            .agent
            .run(request)
            .map_err(|e| map_error(e, Stage::Exchange, &authority))?;
        let (parts, mut body) = response.into_parts();
        let bytes = body
            .with_config()
            .limit(limits.max_response_bytes as u64)
            .read_to_vec()
            .map_err(|e| match e {
                ::ureq::Error::BodyExceedsLimit(_) => ErrorKind::BodyTooLarge {
                    limit: limits.max_response_bytes,
                }
                .into(),
                other => map_error(other, Stage::Body, &authority),
            })?;
        Ok(http::Response::from_parts(parts, bytes))
    }
}

impl Default for UreqHttp {
    fn default() -> Self {
        UreqHttp::new()
    }
}

impl From<::ureq::Agent> for UreqHttp {
    fn from(agent: ::ureq::Agent) -> Self {
        UreqHttp { agent }
    }
}

fn map_error(e: ::ureq::Error, stage: Stage, authority: &str) -> Error {
    let timed_out = match &e {
        ::ureq::Error::Timeout(_) => true,
        ::ureq::Error::Io(io) => io.kind() == std::io::ErrorKind::TimedOut,
        _ => false,
    };
    if timed_out {
        return Error::with_source(ErrorKind::Timeout, e);
    }
    transport_error(stage, authority, e)
}
