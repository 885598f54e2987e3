//! The transport of this mode: the [`HttpClient`] trait and the one core every client sends
//! through. One source, compiled twice: in `idpkit::asynch` `send` returns a future, in
//! `idpkit::blocking` it returns the response.
//!
//! The core ([`Transport`]) holds what every client needs to call a server: the HTTP client,
//! the [`RequestLimits`], the deadline, the clock, the [`RetryPolicy`] and, for an agent, its
//! [`RequestSigner`]. It sends each request in a `tracing` span, signs each attempt, enforces
//! the body cap, parses the answer and retries as the policy says, so a new client is its
//! endpoints and nothing else.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use super::{DefaultHttp, default_http, maybe_async};
use crate::agent::{RequestSigner, random_nonce};
use crate::clock::Clock;
use crate::dpop::{DpopError, DpopState, DpopTarget, asks_for_nonce, authority};
use crate::error::{Error, Result};
use crate::http::{
    HttpRequest, HttpResponse, RequestLimits, RetryPolicy, enforce_body_limit, finish_span,
    request_span,
};

/// Sends one HTTP request and returns the whole response, whatever its status.
///
/// idpkit ships [`UreqHttp`](crate::http::UreqHttp) (blocking) and
/// [`ReqwestHttp`](crate::http::ReqwestHttp) (async). Implement it to bring another HTTP
/// stack; any closure `Fn(HttpRequest) -> Result<HttpResponse>` is one already, which is how
/// tests check request shapes in memory. An implementation should honour the
/// [`RequestLimits`] in the request's extensions, must not follow redirects, and reports network
/// failures as [`ErrorKind::Transport`](crate::ErrorKind::Transport) or
/// [`ErrorKind::Timeout`](crate::ErrorKind::Timeout).
///
/// ```
/// # #[cfg(feature = "blocking")] {
/// use idpkit::http::{HttpRequest, HttpResponse};
///
/// /// Answers every request with the same canned response.
/// struct Canned(Vec<u8>);
///
/// impl idpkit::blocking::HttpClient for Canned {
///     fn send(&self, _request: HttpRequest) -> idpkit::Result<HttpResponse> {
///         Ok(http::Response::builder()
///             .header("content-type", "application/json")
///             .body(self.0.clone())
///             .unwrap())
///     }
/// }
///
/// // Or a closure: it sees every request the client makes.
/// let transport = |request: HttpRequest| -> idpkit::Result<HttpResponse> {
///     assert_eq!(request.method(), "GET");
///     Ok(http::Response::builder().status(404).body(Vec::new()).unwrap())
/// };
/// let err = idpkit::blocking::IdpClient::builder("https://op.example", "app")
///     .http_client(transport)
///     .discover()
///     .unwrap_err();
/// assert_eq!(err.status(), Some(404));
/// # }
/// ```
#[maybe_async(AFIT)]
pub trait HttpClient: Send + Sync {
    /// Sends `request` and returns the response.
    fn send(&self, request: HttpRequest) -> impl Future<Output = Result<HttpResponse>> + Send;
}

#[maybe_async(AFIT)]
impl<T: HttpClient + ?Sized> HttpClient for Arc<T> {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse> {
        (**self).send(request).await
    }
}

#[maybe_async(AFIT)]
impl<F> HttpClient for F
where
    F: Fn(HttpRequest) -> Result<HttpResponse> + Send + Sync,
{
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse> {
        self(request)
    }
}

/// How a builder will get its transport.
enum HttpChoice<H> {
    /// Make the mode's default transport when building.
    Default(fn() -> Result<H>),
    /// Use this one.
    Given(H),
}

/// What every client builder of this mode collects for its transport, before validation. The
/// builders' `timeout` / `max_response_bytes` / `clock` / `retry_policy` setters are written
/// once, by [`transport_setters`](crate::http::transport_setters).
pub(crate) struct TransportBuilder<H> {
    http: HttpChoice<H>,
    pub(crate) limits: RequestLimits,
    pub(crate) deadline: Option<Duration>,
    pub(crate) clock: Clock,
    pub(crate) retry: RetryPolicy,
    pub(crate) signer: Option<Arc<RequestSigner>>,
    pub(crate) dpop: Option<Arc<DpopState>>,
}

impl TransportBuilder<DefaultHttp> {
    /// The mode's default transport with the default limits and clock, and `retry`.
    pub(crate) fn new(retry: RetryPolicy) -> Self {
        TransportBuilder {
            http: HttpChoice::Default(default_http),
            limits: RequestLimits::default(),
            deadline: None,
            clock: Clock::default(),
            retry,
            signer: None,
            dpop: None,
        }
    }
}

impl<H> TransportBuilder<H> {
    /// The same settings over another HTTP client.
    pub(crate) fn with_http<H2>(self, http: H2) -> TransportBuilder<H2> {
        TransportBuilder {
            http: HttpChoice::Given(http),
            limits: self.limits,
            deadline: self.deadline,
            clock: self.clock,
            retry: self.retry,
            signer: self.signer,
            dpop: self.dpop,
        }
    }

    /// Validates the settings and makes the transport.
    pub(crate) fn build(self) -> Result<Transport<H>> {
        if self.limits.timeout == Duration::ZERO {
            return Err(Error::config("timeout must be greater than zero"));
        }
        if self.deadline == Some(Duration::ZERO) {
            return Err(Error::config("deadline must be greater than zero"));
        }
        if self.limits.max_response_bytes == 0 {
            return Err(Error::config(
                "max_response_bytes must be greater than zero",
            ));
        }
        let http = match self.http {
            HttpChoice::Default(make) => make()?,
            HttpChoice::Given(http) => http,
        };
        Ok(Transport {
            http,
            limits: self.limits,
            deadline: self.deadline.unwrap_or(self.limits.timeout),
            clock: self.clock,
            retry: self.retry,
            signer: self.signer,
            dpop: self.dpop,
        })
    }
}

impl<H> std::fmt::Debug for TransportBuilder<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransportBuilder")
            .field("limits", &self.limits)
            .field("deadline", &self.deadline)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

/// The one transport core: every client of this mode sends through it.
pub(crate) struct Transport<H> {
    http: H,
    limits: RequestLimits,
    /// The longest one operation may take, every attempt and wait included.
    deadline: Duration,
    clock: Clock,
    retry: RetryPolicy,
    /// Signs every attempt (RFC 9421), when the client speaks for an agent.
    signer: Option<Arc<RequestSigner>>,
    /// Proves possession of the DPoP key (RFC 9449) on every attempt of a request marked with a
    /// [`DpopTarget`], and answers a server's nonce challenge.
    dpop: Option<Arc<DpopState>>,
}

impl<H> Transport<H> {
    /// The DPoP key, when the client has one.
    pub(crate) fn dpop_key(&self) -> Option<&crate::dpop::DpopKey> {
        self.dpop.as_deref().map(DpopState::key)
    }

    /// The HTTP client.
    pub(crate) fn http(&self) -> &H {
        &self.http
    }

    /// The limits every request carries.
    pub(crate) fn limits(&self) -> RequestLimits {
        self.limits
    }

    /// The current time, from the configured clock.
    pub(crate) fn now(&self) -> SystemTime {
        self.clock.now()
    }
}

impl<H> std::fmt::Debug for Transport<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("limits", &self.limits)
            .field("deadline", &self.deadline)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

#[maybe_async]
impl<H: HttpClient> Transport<H> {
    /// Sends `request` for `operation` and parses the answer, retrying as the policy says
    /// (the request is built once, so every attempt carries the same headers). The whole
    /// operation runs in one `tracing` span: operation, method, host, path (never the query),
    /// request id, status, duration, retries, and the error if any.
    pub(crate) async fn execute<T>(
        &self,
        operation: &'static str,
        request: HttpRequest,
        parse: impl Fn(HttpResponse, SystemTime) -> Result<T>,
    ) -> Result<T> {
        self.run(operation, request, self.retry, parse).await
    }

    /// [`execute`](Self::execute) without retries, for a call whose failure should surface at
    /// once (a client's discovery at start-up).
    pub(crate) async fn execute_once<T>(
        &self,
        operation: &'static str,
        request: HttpRequest,
        parse: impl Fn(HttpResponse, SystemTime) -> Result<T>,
    ) -> Result<T> {
        self.run(operation, request, RetryPolicy::none(), parse)
            .await
    }

    async fn run<T>(
        &self,
        operation: &'static str,
        request: HttpRequest,
        policy: RetryPolicy,
        parse: impl Fn(HttpResponse, SystemTime) -> Result<T>,
    ) -> Result<T> {
        let span = request_span(operation, &request);
        let started = Instant::now();
        let mut retries = 0;
        let mut status = None;
        // A request marked for DPoP by a client with a key gets a fresh proof every attempt,
        // and one more attempt when the server asks for a nonce (not counted as a retry).
        let dpop = match (&self.dpop, request.extensions().get::<DpopTarget>()) {
            (Some(state), Some(target)) => Some((state, target.clone())),
            _ => None,
        };
        let mut nonce_retried = false;
        // The request is copied only while another attempt may follow.
        let mut pending = Some(request);
        let result = loop {
            let Some(mut request) = pending.take() else {
                break Err(Error::config("no request left to retry"));
            };
            // Each attempt has what is left of the operation's deadline, and no more (the
            // first has all of it).
            let left = match (retries, nonce_retried) {
                (0, false) => self.deadline,
                _ => self.deadline.saturating_sub(started.elapsed()),
            };
            let mut limits = RequestLimits::of(&request);
            limits.timeout = limits.timeout.min(left);
            request.extensions_mut().insert(limits);
            if retries < policy.max_retries {
                pending = Some(request.clone());
            }
            let spare = match &dpop {
                Some(_) if !nonce_retried => Some(request.clone()),
                _ => None,
            };
            let server = dpop.as_ref().map(|_| authority(&request));
            // The proof is made afresh for every attempt too (new `jti` and `iat`, the nonce
            // the server gave last).
            if let Some((state, target)) = &dpop
                && let Err(e) = state.prove(&mut request, target, self.now())
            {
                break Err(e);
            }
            // Signed last, once the body and headers are final, and afresh for every attempt:
            // a retry carries its own `created` and `nonce` (a verifier refuses a replay).
            if let Some(signer) = &self.signer
                && let Err(e) =
                    random_nonce().and_then(|nonce| signer.sign(&mut request, self.now(), &nonce))
            {
                break Err(e);
            }
            let outcome = match super::rt::within(left, self.http.send(request)).await {
                Ok(response) => {
                    let code = response.status().as_u16();
                    status = Some(code);
                    match enforce_body_limit(response, self.limits) {
                        Ok(response) => {
                            if let (Some((state, _)), Some(server)) = (&dpop, &server) {
                                let offered = state.remember(server, response.headers());
                                if asks_for_nonce(&response) {
                                    if nonce_retried {
                                        break Err(DpopError::NonceRefused { status: code }.into());
                                    }
                                    if !offered {
                                        break Err(DpopError::NonceMissing.into());
                                    }
                                    // The retry too must start inside the deadline.
                                    if started.elapsed() >= self.deadline {
                                        break Err(crate::ErrorKind::Timeout.into());
                                    }
                                    nonce_retried = true;
                                    pending = spare;
                                    continue;
                                }
                            }
                            parse(response, self.now())
                        }
                        Err(e) => Err(e),
                    }
                }
                Err(e) => Err(e),
            };
            let err = match outcome {
                Ok(value) => break Ok(value),
                Err(err) => err,
            };
            // A retry is made only when its wait ends inside the deadline.
            match policy.delay(retries, &err) {
                Some(wait) if started.elapsed() + wait < self.deadline => {
                    super::rt::sleep(wait).await;
                    retries += 1;
                }
                _ => break Err(err),
            }
        };
        finish_span(
            &span,
            status,
            started.elapsed(),
            retries,
            result.as_ref().err(),
        );
        result
    }
}
