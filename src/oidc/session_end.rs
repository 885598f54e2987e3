//! When a failed refresh ends a session: the pure rule behind [`Session`](crate::asynch::Session).
//!
//! Providers rotate refresh tokens: each refresh answers with a new one and retires the old, and
//! a retired token used again makes the provider revoke the whole grant (RFC 9700 §4.14.2;
//! node-oidc-provider, Okta, Auth0 and Keycloak with rotation on). So when a refresh fails, the
//! session must know whether its refresh token may still work:
//!
//! | the refresh failed with | the provider | the session |
//! |---|---|---|
//! | `invalid_grant` | refused the token: revoked, expired or already used | **ends** |
//! | a lost answer: reset, closed, timed out, unreadable or oversized 200 | may have rotated the token, and the new one is lost | **ends**, or one immediate retry with the same token when the provider has a reuse grace period ([`SessionOptions::refresh_reuse_grace`]) |
//! | tokens that fail validation (ID token, subject) | rotated the token; the new set cannot be trusted | **ends** |
//! | no connection (DNS, refused, TLS), an HTTP error status, another OAuth error, no refresh token ([`ErrorKind::TokenExpired`]) | did not act on the request | keeps its tokens; the error is returned and the next call tries again |
//!
//! A session that ended answers every later call with [`ErrorKind::SignInRequired`] at once,
//! without calling the provider or `on_refresh_error` again: nothing sends the stale refresh
//! token in a loop. `on_refresh_error` is called once per failed refresh, so once when the
//! session ends.

// Used by the clients' sessions; without a client, only its tests use it.
#![cfg_attr(not(any(feature = "blocking", feature = "async")), allow(dead_code))]

use crate::OAuthErrorCode;
use crate::error::{Error, ErrorKind};
use crate::oidc::SessionOptions;

/// What a failed refresh means for the session that attempted it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AfterRefreshFailure {
    /// The provider did not act on the request: keep the tokens, report the error.
    Keep,
    /// The provider may have rotated the refresh token and the answer was lost.
    Unknown,
    /// The refresh token is dead or the new tokens cannot be trusted: end the session.
    End,
}

impl AfterRefreshFailure {
    /// The verdict for `err`, a failed refresh's error.
    pub(crate) fn of(err: &Error) -> AfterRefreshFailure {
        match err.kind() {
            ErrorKind::OAuth(e) if e.code == OAuthErrorCode::InvalidGrant => Self::End,
            ErrorKind::TokenValidation(_) | ErrorKind::SubjectMismatch { .. } => Self::End,
            ErrorKind::SignInRequired { .. } => Self::End,
            ErrorKind::Transport { cause, .. } if cause.request_may_have_arrived() => Self::Unknown,
            ErrorKind::Timeout
            | ErrorKind::MalformedResponse { .. }
            | ErrorKind::BodyTooLarge { .. } => Self::Unknown,
            _ => Self::Keep,
        }
    }

    /// What the session does after a refresh failed with `err`; `retried` says whether the
    /// grace retry was already made.
    pub(crate) fn decide(err: &Error, options: &SessionOptions, retried: bool) -> Decision {
        match Self::of(err) {
            Self::Keep => Decision::Keep,
            Self::Unknown if options.refresh_reuse_grace && !retried => Decision::RetryOnce,
            Self::Unknown | Self::End => Decision::End(sign_in_required(err)),
        }
    }
}

/// The session's next step after a failed refresh.
#[derive(Debug)]
pub(crate) enum Decision {
    /// Keep the tokens and return the error.
    Keep,
    /// Send the same refresh token once more, now (the provider's reuse grace period).
    RetryOnce,
    /// End the session with this error.
    End(Error),
}

/// The error a session ends with: [`ErrorKind::SignInRequired`], its source the refresh's error.
fn sign_in_required(cause: &Error) -> Error {
    if matches!(cause.kind(), ErrorKind::SignInRequired { .. }) {
        return cause.clone();
    }
    Error::with_source(
        ErrorKind::SignInRequired {
            reason: cause.to_string(),
        },
        cause.clone(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OAuthError;
    use crate::http::TransportCause;

    fn transport(cause: TransportCause) -> Error {
        ErrorKind::Transport {
            cause,
            message: cause.to_string(),
        }
        .into()
    }

    #[test]
    fn verdicts() {
        use AfterRefreshFailure::*;
        let invalid_grant = Error::from(ErrorKind::OAuth(OAuthError::new(
            OAuthErrorCode::InvalidGrant,
        )));
        assert_eq!(AfterRefreshFailure::of(&invalid_grant), End);
        assert_eq!(
            AfterRefreshFailure::of(&transport(TransportCause::ConnectionRefused)),
            Keep
        );
        assert_eq!(
            AfterRefreshFailure::of(&transport(TransportCause::ConnectionClosed)),
            Unknown
        );
        assert_eq!(AfterRefreshFailure::of(&ErrorKind::Timeout.into()), Unknown);
        let busy = Error::from(ErrorKind::Status {
            status: 503,
            body_excerpt: String::new(),
            retry_after: None,
        });
        assert_eq!(AfterRefreshFailure::of(&busy), Keep);
    }

    #[test]
    fn the_grace_retry_is_made_once() {
        let lost = transport(TransportCause::ConnectionReset);
        let strict = SessionOptions::new();
        let grace = SessionOptions::new().refresh_reuse_grace(true);
        assert!(matches!(
            AfterRefreshFailure::decide(&lost, &strict, false),
            Decision::End(_)
        ));
        assert!(matches!(
            AfterRefreshFailure::decide(&lost, &grace, false),
            Decision::RetryOnce
        ));
        let Decision::End(ended) = AfterRefreshFailure::decide(&lost, &grace, true) else {
            panic!("a second lost answer ends the session")
        };
        assert!(ended.is_sign_in_required());
        assert_eq!(
            ended.to_string(),
            "the session has ended, sign the user in again: transport error: the connection was reset"
        );
        // Ending twice does not nest.
        let Decision::End(again) = AfterRefreshFailure::decide(&ended, &strict, false) else {
            panic!()
        };
        assert_eq!(again.to_string(), ended.to_string());
    }
}
