//! The transport trait of this mode. One source, compiled twice: in `idpkit::asynch` `send`
//! returns a future, in `idpkit::blocking` it returns the response.

use std::sync::Arc;

use super::maybe_async;
use crate::error::Result;
use crate::http::{HttpRequest, HttpResponse, RequestLimits, enforce_body_limit};

/// Sends one HTTP request and returns the whole response, whatever its status.
///
/// idpkit ships [`UreqHttp`](crate::http::UreqHttp) (blocking) and
/// [`ReqwestHttp`](crate::http::ReqwestHttp) (async). Implement it to bring another HTTP
/// stack or to test request shapes in memory. An implementation should honour the
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
impl<T: HttpClient + ?Sized> HttpClient for &T {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse> {
        (**self).send(request).await
    }
}

/// Sends through `http` and enforces the body cap even for a transport that ignored it.
#[maybe_async]
pub(crate) async fn call<H: HttpClient + ?Sized>(
    http: &H,
    request: HttpRequest,
) -> Result<HttpResponse> {
    let limits = RequestLimits::of(&request);
    let response = http.send(request).await?;
    enforce_body_limit(response, limits)
}
