//! The transport setters every client builder offers, written once.

/// Adds the transport setters (`timeout`, `deadline`, `max_response_bytes`, `clock`,
/// `retry_policy`, `sign_requests`) to a
/// client builder whose `transport` field is the mode's `TransportBuilder`. `$builder` is an
/// expression that makes such a builder, for the examples.
macro_rules! transport_setters {
    ($builder:literal) => {
        /// The timeout of each attempt, from connecting to the last byte of the body (default
        /// 10 s). An operation's attempts together never exceed its
        /// [`deadline`](Self::deadline).
        ///
        /// ```
        /// # #[cfg(feature = "blocking")] {
        #[doc = concat!("let builder = ", $builder)]
        ///     .timeout(std::time::Duration::from_secs(2));
        /// # }
        /// ```
        pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
            self.transport.limits.timeout = timeout;
            self
        }

        /// The longest one operation may take, all its attempts and the waits between them
        /// included (default: the [`timeout`](Self::timeout), so retries share one budget).
        /// It is total, never per read: a server that trickles its answer is cut off at the
        /// deadline too. An attempt gets what is left of it; a retry whose wait would end past
        /// it is not made, and the last error is returned.
        ///
        /// ```
        /// # #[cfg(feature = "blocking")] {
        /// use std::time::Duration;
        #[doc = concat!("let builder = ", $builder)]
        ///     .timeout(Duration::from_secs(2))
        ///     .deadline(Duration::from_secs(5)); // up to 5 s for an operation and its retries
        /// # }
        /// ```
        pub fn deadline(mut self, deadline: std::time::Duration) -> Self {
            self.transport.deadline = Some(deadline);
            self
        }

        /// The largest response body accepted, in bytes (default 1 MiB).
        ///
        /// ```
        /// # #[cfg(feature = "blocking")] {
        #[doc = concat!("let builder = ", $builder)]
        ///     .max_response_bytes(64 * 1024);
        /// # }
        /// ```
        pub fn max_response_bytes(mut self, limit: usize) -> Self {
            self.transport.limits.max_response_bytes = limit;
            self
        }

        /// The clock (default: the system clock).
        ///
        /// ```
        /// # #[cfg(feature = "blocking")] {
        #[doc = concat!("let builder = ", $builder)]
        ///     .clock(idpkit::Clock::new(std::time::SystemTime::now));
        /// # }
        /// ```
        pub fn clock(mut self, clock: $crate::Clock) -> Self {
            self.transport.clock = clock;
            self
        }

        /// When and how long to wait before trying a failed call again (5xx, 429, timeouts
        /// and transport failures; never another 4xx).
        ///
        /// ```
        /// # #[cfg(feature = "blocking")] {
        /// use std::time::Duration;
        #[doc = concat!("let builder = ", $builder)]
        ///     .retry_policy(idpkit::http::RetryPolicy::new(3, Duration::from_millis(50), Duration::from_secs(1)));
        /// # }
        /// ```
        pub fn retry_policy(mut self, policy: $crate::http::RetryPolicy) -> Self {
            self.transport.retry = policy;
            self
        }

        /// Signs every request this client sends as an agent (RFC 9421 HTTP Message Signatures
        /// with Ed25519, over `@method`, `@authority`, `@path`, `@query` and, with a body,
        /// `content-type` and `content-digest`), in the transport core once the request is
        /// final, with any HTTP client; each retry is signed afresh (new `created` and
        /// `nonce`), so a verifier's replay check never refuses it.
        ///
        /// ```
        /// # #[cfg(feature = "blocking")] {
        /// let signer = idpkit::agent::RequestSigner::new(idpkit::agent::AgentKey::generate()?);
        #[doc = concat!("let builder = ", $builder)]
        ///     .sign_requests(signer);
        /// # }
        /// # Ok::<(), idpkit::Error>(())
        /// ```
        pub fn sign_requests(mut self, signer: $crate::agent::RequestSigner) -> Self {
            self.transport.signer = Some(std::sync::Arc::new(signer));
            self
        }
    };
}

pub(crate) use transport_setters;
