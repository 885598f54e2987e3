//! [`RetryPolicy`]: when to try a failed call again, and after how long. Not tied to a protocol:
//! every client that sends through a transport can follow one.

use std::time::Duration;

use crate::error::{Error, ErrorKind};

/// When to try a failed call again, and after how long.
///
/// Only retryable errors ([`Error::is_retryable`]: timeouts, transport failures, 408, 425, 429,
/// 5xx) are retried, never another 4xx or a malformed answer, nor one of the
/// [`final_answers`](Self::final_answers). The server's `Retry-After` is honoured, capped at
/// `max_delay`; otherwise the delay doubles from `base_delay` at each retry, capped at
/// `max_delay`.
///
/// ```
/// use std::time::Duration;
/// use idpkit::{Error, ErrorKind, http::RetryPolicy};
/// let policy = RetryPolicy::default();
/// let busy = Error::from(ErrorKind::Status { status: 503, body_excerpt: String::new(), retry_after: None });
/// assert_eq!(policy.delay(0, &busy), Some(Duration::from_millis(100)));
/// assert_eq!(policy.delay(1, &busy), Some(Duration::from_millis(200)));
/// assert_eq!(policy.delay(2, &busy), None); // max_retries = 2
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// How many times a call is retried after its first attempt (default 2).
    pub max_retries: u32,
    /// The first backoff delay (default 100 ms).
    pub base_delay: Duration,
    /// The longest delay, also for `Retry-After` (default 2 s).
    pub max_delay: Duration,
    /// Answers that are final although their status is retryable: an error with the status of
    /// a `(status, text)` pair whose body excerpt contains the text is not retried (some servers
    /// report a permanent failure with a status that usually means "try later"). Default: none;
    /// the PDP client's default policy
    /// ([`authzen::pdp_retry_policy`](crate::authz::authzen::pdp_retry_policy)) lists Cerbos'
    /// 429 for a request too large to accept.
    ///
    /// ```
    /// use idpkit::{Error, ErrorKind, http::RetryPolicy};
    /// let mut policy = RetryPolicy::default();
    /// let full = Error::from(ErrorKind::Status { status: 503, body_excerpt: "disk full".into(), retry_after: None });
    /// assert!(policy.delay(0, &full).is_some());
    /// policy.final_answers = &[(503, "disk full")];
    /// assert_eq!(policy.delay(0, &full), None);
    /// ```
    pub final_answers: &'static [(u16, &'static str)],
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
            final_answers: &[],
        }
    }
}

impl RetryPolicy {
    /// A policy with these numbers (and the default [`final_answers`](Self::final_answers)).
    ///
    /// ```
    /// use std::time::Duration;
    /// let p = idpkit::http::RetryPolicy::new(3, Duration::from_millis(50), Duration::from_secs(1));
    /// assert_eq!(p.max_retries, 3);
    /// ```
    pub fn new(max_retries: u32, base_delay: Duration, max_delay: Duration) -> Self {
        RetryPolicy {
            max_retries,
            base_delay,
            max_delay,
            ..RetryPolicy::default()
        }
    }

    /// A policy that never retries.
    ///
    /// ```
    /// use idpkit::{Error, ErrorKind};
    /// assert_eq!(idpkit::http::RetryPolicy::none().delay(0, &Error::from(ErrorKind::Timeout)), None);
    /// ```
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// How long to wait before retry number `attempt + 1` after `err` (`attempt` counts the
    /// retries already made), or `None` to give up.
    ///
    /// ```
    /// use std::time::Duration;
    /// use idpkit::{Error, ErrorKind, http::RetryPolicy};
    /// let p = RetryPolicy::default();
    /// let slow = Error::from(ErrorKind::Status { status: 429, body_excerpt: String::new(), retry_after: Some(Duration::from_secs(60)) });
    /// assert_eq!(p.delay(0, &slow), Some(Duration::from_secs(2))); // capped
    /// let bad = Error::from(ErrorKind::Status { status: 400, body_excerpt: String::new(), retry_after: None });
    /// assert_eq!(p.delay(0, &bad), None);
    /// ```
    pub fn delay(&self, attempt: u32, err: &Error) -> Option<Duration> {
        if attempt >= self.max_retries || !err.is_retryable() || self.is_final(err) {
            return None;
        }
        if let Some(wait) = err.retry_after() {
            return Some(wait.min(self.max_delay));
        }
        let factor = 2u32.saturating_pow(attempt);
        Some(self.base_delay.saturating_mul(factor).min(self.max_delay))
    }

    /// Whether `err` is one of the [`final_answers`](Self::final_answers).
    fn is_final(&self, err: &Error) -> bool {
        let ErrorKind::Status {
            status,
            body_excerpt,
            ..
        } = err.kind()
        else {
            return false;
        };
        self.final_answers
            .iter()
            .any(|(s, text)| s == status && body_excerpt.contains(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_policy() {
        let p = RetryPolicy::default();
        let status = |s, ra: Option<u64>| {
            Error::from(ErrorKind::Status {
                status: s,
                body_excerpt: String::new(),
                retry_after: ra.map(Duration::from_secs),
            })
        };
        assert_eq!(
            p.delay(0, &status(500, None)),
            Some(Duration::from_millis(100))
        );
        assert_eq!(
            p.delay(1, &Error::from(ErrorKind::Timeout)),
            Some(Duration::from_millis(200))
        );
        assert_eq!(p.delay(2, &status(500, None)), None);
        assert_eq!(
            p.delay(0, &status(429, Some(1))),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            p.delay(0, &status(503, Some(30))),
            Some(Duration::from_secs(2))
        );
        for s in [400, 401, 403, 404] {
            assert_eq!(p.delay(0, &status(s, Some(1))), None, "{s}");
        }
        assert_eq!(p.delay(0, &Error::malformed("x", "y")), None);
        let big = RetryPolicy::new(40, Duration::from_millis(100), Duration::from_secs(2));
        assert_eq!(
            big.delay(39, &status(502, None)),
            Some(Duration::from_secs(2))
        );
        let oversized = Error::from(ErrorKind::Status {
            status: 429,
            body_excerpt: r#"{"code":8, "message":"grpc: received message larger than max (5243005 vs. 4194304)"}"#.into(),
            retry_after: None,
        });
        // Retryable by default; final once listed (as the PDP client's default policy does).
        assert!(p.delay(0, &oversized).is_some());
        let final_answers: &[(u16, &str)] = &[(429, "larger than max")];
        let p = RetryPolicy { final_answers, ..p };
        let big = RetryPolicy {
            final_answers,
            ..big
        };
        assert_eq!(p.delay(0, &oversized), None);
        assert_eq!(big.delay(0, &oversized), None);
    }

    #[test]
    fn final_answers_match_status_and_text() {
        let answer = |status, body: &str| {
            Error::from(ErrorKind::Status {
                status,
                body_excerpt: body.into(),
                retry_after: None,
            })
        };
        let p = RetryPolicy {
            final_answers: &[(429, "larger than max")],
            ..RetryPolicy::default()
        };
        // The text alone does not make an answer final: the status must match too.
        assert!(p.delay(0, &answer(503, "larger than max")).is_some());
        assert!(p.delay(0, &answer(429, "slow down")).is_some());
        assert_eq!(p.delay(0, &answer(429, "larger than max")), None);
        let mut retry_all = p;
        retry_all.final_answers = &[];
        assert!(
            retry_all
                .delay(0, &answer(429, "larger than max"))
                .is_some()
        );
    }
}
