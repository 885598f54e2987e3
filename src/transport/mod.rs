//! The built-in transports: [`UreqHttp`] for the blocking client and [`ReqwestHttp`] for the
//! async one. Each honours the [`RequestLimits`](crate::http::RequestLimits) of every request
//! (timeout, body cap), never follows redirects, and reports failures as
//! [`ErrorKind::Timeout`](crate::ErrorKind::Timeout),
//! [`ErrorKind::BodyTooLarge`](crate::ErrorKind::BodyTooLarge) or
//! [`ErrorKind::Transport`](crate::ErrorKind::Transport).
//!
//! Both use rustls with the aws-lc-rs crypto provider (the one provider of the crate) and the
//! platform's certificate verifier.

#[cfg(feature = "async")]
mod reqwest;
#[cfg(feature = "blocking")]
mod ureq;

#[cfg(feature = "async")]
pub use self::reqwest::ReqwestHttp;
#[cfg(feature = "blocking")]
pub use self::ureq::UreqHttp;
