//! What a transport failure was, in the same words whichever HTTP stack reported it: ureq says
//! `io: Connection refused`, reqwest `error sending request for url (…)`; idpkit says
//! `connection refused (127.0.0.1:4545)` for both, and tells whether the request may have
//! reached the server.

// Without a client, only the cause type is used.
#![cfg_attr(
    not(any(feature = "blocking", feature = "async")),
    allow(dead_code, unused_imports)
)]

use std::error::Error as StdError;
use std::io;

use crate::error::{Error, ErrorKind};

/// The root cause of an [`ErrorKind::Transport`] error, the same for the blocking and the async
/// client.
///
/// ```
/// use idpkit::http::TransportCause;
/// assert!(!TransportCause::ConnectionRefused.request_may_have_arrived());
/// assert!(TransportCause::ConnectionClosed.request_may_have_arrived());
/// assert_eq!(TransportCause::ConnectionRefused.to_string(), "connection refused");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportCause {
    /// The server's host name could not be resolved.
    Dns,
    /// Nothing listens at the server's address.
    ConnectionRefused,
    /// The TLS handshake failed (certificate, protocol).
    Tls,
    /// The connection was reset.
    ConnectionReset,
    /// The server closed the connection before the whole response arrived (mid-headers or
    /// mid-body).
    ConnectionClosed,
    /// The response could not be read as HTTP.
    InvalidResponse,
    /// Another failure; the message says which.
    Other,
}

impl TransportCause {
    /// Whether the server may have received and acted on the request. `false` only when the
    /// failure happened before any of it was sent (name resolution, connecting, TLS), so that a
    /// request which must not be sent twice (a refresh with a rotating refresh token) may be
    /// sent again.
    ///
    /// ```
    /// use idpkit::http::TransportCause;
    /// assert!(!TransportCause::Dns.request_may_have_arrived());
    /// assert!(TransportCause::ConnectionReset.request_may_have_arrived());
    /// ```
    pub fn request_may_have_arrived(self) -> bool {
        !matches!(
            self,
            TransportCause::Dns | TransportCause::ConnectionRefused | TransportCause::Tls
        )
    }

    fn phrase(self) -> &'static str {
        match self {
            TransportCause::Dns => "the host name could not be resolved",
            TransportCause::ConnectionRefused => "connection refused",
            TransportCause::Tls => "the TLS handshake failed",
            TransportCause::ConnectionReset => "the connection was reset",
            TransportCause::ConnectionClosed => {
                "the server closed the connection before the response was complete"
            }
            TransportCause::InvalidResponse => "the response is not valid HTTP",
            TransportCause::Other => "the request failed",
        }
    }
}

impl std::fmt::Display for TransportCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.phrase())
    }
}

/// Where in the exchange a transport failed: a failure while reading a body that had started is
/// a closed connection whatever the stack calls it.
#[cfg(any(feature = "blocking", feature = "async"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Connecting, sending, or waiting for the response head.
    Exchange,
    /// Reading the response body.
    Body,
}

/// The typed error for a transport failure `source` talking to `authority` (`host:port`), in
/// the same words whichever stack reported it. The stack's own error stays the `source()`.
#[cfg(any(feature = "blocking", feature = "async"))]
pub(crate) fn transport_error(
    stage: Stage,
    authority: &str,
    source: impl StdError + Send + Sync + 'static,
) -> Error {
    // Once the body has started, a reset, an early close and an unexplained failure are the
    // same fault to the caller (and the stacks disagree on which they saw).
    let cause = match classify(&source) {
        TransportCause::ConnectionReset | TransportCause::Other if stage == Stage::Body => {
            TransportCause::ConnectionClosed
        }
        cause => cause,
    };
    let message = match cause {
        TransportCause::Other => format!("{cause}: {} ({authority})", innermost(&source)),
        _ => format!("{cause} ({authority})"),
    };
    Error::with_source(ErrorKind::Transport { cause, message }, source)
}

/// The root cause of `error`, from the I/O error in its chain when there is one, else from the
/// words the stacks use.
fn classify(error: &(dyn StdError + 'static)) -> TransportCause {
    let mut current = Some(error);
    let mut words = String::new();
    while let Some(e) = current {
        if let Some(io) = io_error(e) {
            match io.kind() {
                io::ErrorKind::ConnectionRefused => return TransportCause::ConnectionRefused,
                io::ErrorKind::ConnectionReset => return TransportCause::ConnectionReset,
                io::ErrorKind::ConnectionAborted
                | io::ErrorKind::BrokenPipe
                | io::ErrorKind::UnexpectedEof => return TransportCause::ConnectionClosed,
                _ => {}
            }
        }
        words.push_str(&e.to_string().to_ascii_lowercase());
        words.push('\n');
        current = e.source();
    }
    let has = |needles: &[&str]| needles.iter().any(|n| words.contains(n));
    if has(&["dns error", "lookup address", "host not found", "not known"]) {
        TransportCause::Dns
    } else if has(&["connection refused"]) {
        TransportCause::ConnectionRefused
    } else if has(&["reset by peer", "connection reset"]) {
        TransportCause::ConnectionReset
    } else if has(&[
        "closed before message completed",
        "incomplete message",
        "end of file",
        "unexpected eof",
        "peer disconnected",
        "connection closed",
    ]) {
        TransportCause::ConnectionClosed
    } else if has(&["certificate", "tls", "handshake"]) {
        TransportCause::Tls
    } else if has(&[
        "invalid http",
        "http parse",
        "invalid status",
        "invalid header",
    ]) {
        TransportCause::InvalidResponse
    } else {
        TransportCause::Other
    }
}

/// The I/O error `e` is or wraps directly (ureq keeps its I/O error out of the `source()` chain).
fn io_error<'a>(e: &'a (dyn StdError + 'static)) -> Option<&'a io::Error> {
    #[cfg(feature = "blocking")]
    if let Some(::ureq::Error::Io(io)) = e.downcast_ref::<::ureq::Error>() {
        return Some(io);
    }
    e.downcast_ref::<io::Error>()
}

/// The innermost error's text: the stacks' outer layers add request URLs (with their query) that
/// an error message must not carry.
fn innermost(error: &(dyn StdError + 'static)) -> String {
    let mut current = error;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Wrapped(&'static str, Option<io::Error>);

    impl std::fmt::Display for Wrapped {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl StdError for Wrapped {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            self.1.as_ref().map(|e| e as _)
        }
    }

    #[test]
    fn causes_come_from_the_io_error_first_then_the_words() {
        let refused = Wrapped(
            "error sending request for url (http://x/?secret=1)",
            Some(io::Error::from(io::ErrorKind::ConnectionRefused)),
        );
        assert_eq!(classify(&refused), TransportCause::ConnectionRefused);
        let eof = Wrapped("x", Some(io::Error::from(io::ErrorKind::UnexpectedEof)));
        assert_eq!(classify(&eof), TransportCause::ConnectionClosed);
        assert_eq!(
            classify(&Wrapped(
                "dns error: failed to lookup address information",
                None
            )),
            TransportCause::Dns
        );
        assert_eq!(
            classify(&Wrapped("connection closed before message completed", None)),
            TransportCause::ConnectionClosed
        );
        assert_eq!(
            classify(&Wrapped("invalid peer certificate: UnknownIssuer", None)),
            TransportCause::Tls
        );
        assert_eq!(classify(&Wrapped("odd", None)), TransportCause::Other);
    }

    #[cfg(any(feature = "blocking", feature = "async"))]
    #[test]
    fn the_message_names_the_cause_and_the_authority_never_the_url() {
        let refused = Wrapped(
            "error sending request for url (http://127.0.0.1:9/t?code=sekrit)",
            Some(io::Error::from(io::ErrorKind::ConnectionRefused)),
        );
        let err = transport_error(Stage::Exchange, "127.0.0.1:9", refused);
        assert_eq!(
            err.to_string(),
            "transport error: connection refused (127.0.0.1:9)"
        );
        let odd = Wrapped(
            "outer http://h/?code=sekrit",
            Some(io::Error::other("inner")),
        );
        let err = transport_error(Stage::Exchange, "h:80", odd);
        assert_eq!(
            err.to_string(),
            "transport error: the request failed: inner (h:80)"
        );
        let mid_body = transport_error(Stage::Body, "h:80", Wrapped("odd", None));
        assert!(matches!(
            mid_body.kind(),
            ErrorKind::Transport {
                cause: TransportCause::ConnectionClosed,
                ..
            }
        ));
    }
}
