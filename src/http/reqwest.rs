//! The async transport over reqwest.

use crate::error::{Error, ErrorKind, Result};
use crate::http::{
    DEFAULT_TIMEOUT, HttpRequest, HttpResponse, RequestLimits, Stage, USER_AGENT_VALUE, authority,
    transport_error,
};

/// The async client's transport: a [`reqwest::Client`].
///
/// [`ReqwestHttp::new`] makes a client with rustls (aws-lc-rs), the platform's certificate
/// verifier, no redirects and idpkit's `User-Agent`. To use your own client (proxy, custom
/// roots, connection pool shared with the rest of the application), hand it in with
/// [`ReqwestHttp::from`]: idpkit still applies its timeout and body cap to each request. Its
/// redirect policy is yours; idpkit treats a redirect it receives as an error.
///
/// ```
/// # fn main() -> Result<(), idpkit::Error> {
/// let client = reqwest::Client::builder().build().expect("client");
/// let transport = idpkit::http::ReqwestHttp::from(client);
/// let builder = idpkit::asynch::IdpClient::builder("https://op.example", "my-client")
///     .http_client(transport);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ReqwestHttp {
    client: ::reqwest::Client,
}

impl ReqwestHttp {
    /// A transport with idpkit's default client.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`] when the TLS backend cannot be initialised.
    ///
    /// ```
    /// let transport = idpkit::http::ReqwestHttp::new().unwrap();
    /// ```
    pub fn new() -> Result<Self> {
        let client = ::reqwest::Client::builder()
            .redirect(::reqwest::redirect::Policy::none())
            .user_agent(USER_AGENT_VALUE)
            .timeout(DEFAULT_TIMEOUT)
            .build()
            .map_err(|e| {
                Error::with_source(
                    ErrorKind::Config {
                        message: format!("cannot build the HTTP client: {e}"),
                    },
                    e,
                )
            })?;
        Ok(ReqwestHttp { client })
    }

    /// The client this transport uses.
    ///
    /// ```
    /// let transport = idpkit::http::ReqwestHttp::new().unwrap();
    /// let _client: &reqwest::Client = transport.client();
    /// ```
    pub fn client(&self) -> &::reqwest::Client {
        &self.client
    }

    pub(crate) async fn execute(&self, request: HttpRequest) -> Result<HttpResponse> {
        let limits = RequestLimits::of(&request);
        let authority = authority(&request);
        let exchange = |e| map_error(e, Stage::Exchange, &authority);
        let mut request = ::reqwest::Request::try_from(request).map_err(exchange)?;
        *request.timeout_mut() = Some(limits.timeout);
        let mut response = self.client.execute(request).await.map_err(exchange)?;
        let too_large = || -> Error {
            ErrorKind::BodyTooLarge {
                limit: limits.max_response_bytes,
            }
            .into()
        };
        if response
            .content_length()
            .is_some_and(|len| len > limits.max_response_bytes as u64)
        {
            return Err(too_large());
        }
        let mut builder = http::Response::builder()
            .status(response.status())
            .version(response.version());
        if let Some(headers) = builder.headers_mut() {
            *headers = response.headers().clone();
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| map_error(e, Stage::Body, &authority))?
        {
            if body.len() + chunk.len() > limits.max_response_bytes {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        builder
            .body(body)
            .map_err(|e| Error::malformed("an HTTP response", e.to_string()))
    }
}

fn map_error(e: ::reqwest::Error, stage: Stage, authority: &str) -> Error {
    if e.is_timeout() {
        return Error::with_source(ErrorKind::Timeout, e);
    }
    transport_error(stage, authority, e)
}

impl From<::reqwest::Client> for ReqwestHttp {
    fn from(client: ::reqwest::Client) -> Self {
        ReqwestHttp { client }
    }
}
