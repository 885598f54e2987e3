//! # idpkit
//!
//! Identity and access in one dependency: sign users in with OpenID Connect, authenticate
//! services, and decide who may do what. Every client comes twice, from one source: a
//! **blocking** client over [ureq](https://docs.rs/ureq) and an **async** client over
//! [reqwest](https://docs.rs/reqwest), both usable in the same program.
//!
//! ## Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `async` | yes | [`asynch`] and [`IdpClient`]: the async client, over reqwest + rustls |
//! | `blocking` | no | [`blocking`] and [`IdpClientSync`]: the blocking client, over ureq 3 + rustls |
//! | `axum` | no | `guard`: an axum middleware that verifies the bearer token and asks a policy decision point, and `guard::login` for login-type tokens and local policies (implies `async`) |
//! | `redis` | no | [`store::RedisStore`]: the token cache and the signature replay store shared by every replica on Redis |
//!
//! The features are additive: enable both and both clients work side by side, even when two
//! different libraries in one build each enable one. With neither, the pure modules still build.
//!
//! ## Layout
//!
//! | module | what lives there |
//! |---|---|
//! | [`oidc`] | OpenID Connect relying party, pure: discovery, authorization request and callback, PKCE, client authentication, token endpoint, client credentials, revocation, introspection, userinfo, logout, JWKS, ID-token validation, the signed-in [`Principal`](oidc::Principal) |
//! | [`authz`] | authorization: [`scope`](authz::scope) evaluation, the [`authzen`](authz::authzen) PDP protocol, and local [`policy`](authz::policy) rules (AuthX semantics, compiled and indexed) |
//! | [`provisioning`] | SCIM 2.0, pure: a service's permission schema declared in Rust, the drift plan against the server's schema, typed per-user metadata with defaults and strict types, validated PATCH bodies, SCIM errors and list pages |
//! | [`dpop`] | DPoP (RFC 9449), pure: the client's proof key, proofs, and the resource server's proof checks |
//! | [`agent`] | agent identity, pure: Ed25519 keys, RFC 9421 request signing and verification with RFC 9530 Content-Digest, the Authora-compatible deny-first [`permission`](agent::permission) matcher, RFC 8693 delegation (`act` chains, `may_act`) |
//! | [`login`] | login types (AuthX's `AuthManager`), pure: several named issuers with their own keys (HS256, RS256, ES256, EdDSA), lifetimes and token locations; access, refresh and fresh tokens; typed verification errors; JWKS |
//! | [`service_token`] | the process-wide client-credentials token cache with single-flight |
//! | [`store`] | (feature `redis`) the token cache and the replay store shared by a fleet on Redis: one token request per fleet, tokens encrypted at rest |
//! | [`http`] | pure request/response shaping, retry policy, tracing spans, and the two transports |
//! | `guard` | (feature `axum`) verified bearer token + policy decision before a handler; `guard::login`: a login type's token + local policy rules |
//! | [`blocking`] / [`asynch`] | the clients, one source compiled twice: `IdpClient`, `Session`, `PdpClient`, `ScimClient`, `PermissionChecker`, `evaluate_policy` |
//!
//! Every request the clients send runs in a `tracing` span named `idpkit.request` (operation,
//! method, host, path without the query, request id, status, duration, retries, error); no
//! header, body, query string or secret is ever recorded.
//!
//! Both TLS stacks use rustls with the aws-lc-rs crypto provider and the platform's certificate
//! verifier.
//!
//! ## Blocking
//!
//! ```no_run
//! # #[cfg(feature = "blocking")]
//! # fn run() -> Result<(), idpkit::Error> {
//! let client = idpkit::IdpClientSync::discover("https://login.example.com", "my-app")?;
//! println!("authorize at {}", client.metadata().authorization_endpoint);
//! # Ok(()) }
//! ```
//!
//! The blocking client must not be called from inside an async runtime's worker thread: it would
//! block that thread. Use the async client there, or `spawn_blocking`.
//!
//! ## Async
//!
//! ```no_run
//! # #[cfg(feature = "async")]
//! # async fn run() -> Result<(), idpkit::Error> {
//! let client = idpkit::IdpClient::discover("https://login.example.com", "my-app").await?;
//! println!("authorize at {}", client.metadata().authorization_endpoint);
//! # Ok(()) }
//! ```
//!
//! ## Errors
//!
//! One [`Error`] type for both modes; [`Error::kind`] says what happened, [`Error::status`],
//! [`Error::oauth`] and [`Error::is_retryable`] answer the usual questions. Secrets (client
//! secrets, tokens) never appear in any `Debug` or `Display`.
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod agent;
pub mod authz;
mod clock;
pub mod dpop;
mod error;
#[cfg(feature = "axum")]
pub mod guard;
pub mod http;
mod key_format;
pub mod login;
pub mod oidc;
pub mod provisioning;
mod secret;
pub mod service_token;
pub mod store;

pub use clock::Clock;
pub use error::{
    BODY_EXCERPT_LEN, Error, ErrorKind, OAuthError, OAuthErrorCode, Result, TokenValidationError,
};
pub use secret::{AccessToken, ClientSecret, CodeVerifier, IdToken, RefreshToken};

/// The blocking client: the shared client code compiled as plain functions over
/// [`UreqHttp`](crate::http::UreqHttp). The same names as [`asynch`], so
/// `use idpkit::blocking as idp;` and `use idpkit::asynch as idp;` are interchangeable.
///
/// Do not call it from inside an async runtime's worker thread.
///
/// ```no_run
/// use idpkit::blocking as idp;
/// # fn run() -> Result<(), idpkit::Error> {
/// let client = idp::IdpClient::discover("https://login.example.com", "my-app")?;
/// # Ok(()) }
/// ```
#[cfg(feature = "blocking")]
#[path = "shared"]
pub mod blocking {
    use maybe_async::must_be_sync as maybe_async;

    /// The transport this mode uses unless given another.
    pub type DefaultHttp = crate::http::UreqHttp;

    /// This mode's lock, held across a request for single-flight work.
    type Lock<T> = parking_lot::Mutex<T>;

    fn default_http() -> crate::Result<DefaultHttp> {
        Ok(DefaultHttp::new())
    }

    #[allow(clippy::duplicate_mod)]
    mod bearer;
    #[allow(clippy::duplicate_mod)]
    mod cache;
    #[allow(clippy::duplicate_mod)]
    mod claims;
    #[allow(clippy::duplicate_mod)]
    mod client;
    #[allow(clippy::duplicate_mod)]
    mod device;
    #[cfg(feature = "redis")]
    #[allow(clippy::duplicate_mod)]
    mod fleet;
    #[allow(clippy::duplicate_mod)]
    mod oidc;
    #[allow(clippy::duplicate_mod)]
    mod par;
    #[allow(clippy::duplicate_mod)]
    mod pdp;
    #[allow(clippy::duplicate_mod)]
    mod permissions;
    #[allow(clippy::duplicate_mod)]
    mod policy;
    #[allow(clippy::duplicate_mod)]
    mod scim;
    #[allow(clippy::duplicate_mod)]
    mod session;
    #[allow(clippy::duplicate_mod)]
    mod token_exchange;
    #[allow(clippy::duplicate_mod)]
    mod token_store;
    #[allow(clippy::duplicate_mod)]
    mod transport;

    pub use client::{IdpClient, IdpClientBuilder};
    #[allow(unused_imports)]
    pub use pdp::*;
    pub use permissions::{PermissionChecker, PermissionCheckerBuilder};
    pub use policy::{PolicyEvaluators, evaluate_policy};
    pub use scim::{MAX_LIST_PAGES, ScimClient, ScimClientBuilder, ScimPager};
    pub use session::Session;
    pub use transport::HttpClient;

    /// The pieces the shared code cannot write once: how this mode waits.
    #[allow(dead_code)]
    mod rt {
        /// Blocks the thread for `duration`.
        pub(crate) fn sleep(duration: std::time::Duration) {
            std::thread::sleep(duration)
        }

        /// The outcome of a request already sent: a blocking transport enforces the time limit
        /// it was given itself ([`RequestLimits`](crate::http::RequestLimits)).
        pub(crate) fn within<T>(_limit: std::time::Duration, outcome: T) -> T {
            outcome
        }

        /// Blocks the thread until the fetch another caller runs (a token, an agent's
        /// permissions) completes.
        pub(crate) fn wait<T: Clone>(waiter: crate::service_token::Waiter<T>) -> crate::Result<T> {
            waiter.wait_blocking()
        }

        /// Runs a command on the shared store's sync connections.
        #[cfg(feature = "redis")]
        pub(crate) fn store_query(
            store: &crate::store::RedisStore,
            cmd: &redis::Cmd,
        ) -> Result<redis::Value, crate::store::StoreError> {
            store.query_blocking(cmd)
        }
    }

    /// The blocking pager is an iterator of pages; it ends after an error.
    impl<H: HttpClient> Iterator for ScimPager<H> {
        type Item = crate::Result<crate::provisioning::ListResponse>;

        fn next(&mut self) -> Option<Self::Item> {
            self.next_page().transpose()
        }
    }

    impl HttpClient for crate::http::UreqHttp {
        fn send(
            &self,
            request: crate::http::HttpRequest,
        ) -> crate::Result<crate::http::HttpResponse> {
            self.execute(request)
        }
    }
}

/// The async client: the shared client code compiled as `async fn`s over
/// [`ReqwestHttp`](crate::http::ReqwestHttp). The same names as [`blocking`].
///
/// Futures are `Send`; any executor works, but reqwest needs a Tokio runtime.
///
/// ```no_run
/// use idpkit::asynch as idp;
/// # async fn run() -> Result<(), idpkit::Error> {
/// let client = idp::IdpClient::discover("https://login.example.com", "my-app").await?;
/// # Ok(()) }
/// ```
#[cfg(feature = "async")]
#[path = "shared"]
pub mod asynch {
    use maybe_async::must_be_async as maybe_async;

    /// The transport this mode uses unless given another.
    pub type DefaultHttp = crate::http::ReqwestHttp;

    /// This mode's lock, held across a request for single-flight work.
    type Lock<T> = tokio::sync::Mutex<T>;

    fn default_http() -> crate::Result<DefaultHttp> {
        DefaultHttp::new()
    }

    #[allow(clippy::duplicate_mod)]
    mod bearer;
    #[allow(clippy::duplicate_mod)]
    mod cache;
    #[allow(clippy::duplicate_mod)]
    mod claims;
    #[allow(clippy::duplicate_mod)]
    mod client;
    #[allow(clippy::duplicate_mod)]
    mod device;
    #[cfg(feature = "redis")]
    #[allow(clippy::duplicate_mod)]
    mod fleet;
    #[allow(clippy::duplicate_mod)]
    mod oidc;
    #[allow(clippy::duplicate_mod)]
    mod par;
    #[allow(clippy::duplicate_mod)]
    mod pdp;
    #[allow(clippy::duplicate_mod)]
    mod permissions;
    #[allow(clippy::duplicate_mod)]
    mod policy;
    #[allow(clippy::duplicate_mod)]
    mod scim;
    #[allow(clippy::duplicate_mod)]
    mod session;
    #[allow(clippy::duplicate_mod)]
    mod token_exchange;
    #[allow(clippy::duplicate_mod)]
    mod token_store;
    #[allow(clippy::duplicate_mod)]
    mod transport;

    pub use client::{IdpClient, IdpClientBuilder};
    #[allow(unused_imports)]
    pub use pdp::*;
    pub use permissions::{PermissionChecker, PermissionCheckerBuilder};
    pub use policy::{PolicyEvaluators, evaluate_policy};
    pub use scim::{MAX_LIST_PAGES, ScimClient, ScimClientBuilder, ScimPager};
    pub use session::Session;
    pub use transport::HttpClient;

    /// The pieces the shared code cannot write once: how this mode waits.
    #[allow(dead_code)]
    mod rt {
        /// Sleeps without blocking the runtime.
        pub(crate) async fn sleep(duration: std::time::Duration) {
            tokio::time::sleep(duration).await
        }

        /// Awaits `request` for at most `limit`, whatever the transport does with its own limits:
        /// a request still pending then is dropped and reported as a timeout.
        pub(crate) async fn within<T>(
            limit: std::time::Duration,
            request: impl Future<Output = crate::Result<T>>,
        ) -> crate::Result<T> {
            match tokio::time::timeout(limit, request).await {
                Ok(outcome) => outcome,
                Err(_) => Err(crate::ErrorKind::Timeout.into()),
            }
        }

        /// Waits, without blocking, until the fetch another caller runs (a token, an agent's
        /// permissions) completes.
        pub(crate) async fn wait<T: Clone + Send + Sync>(
            waiter: crate::service_token::Waiter<T>,
        ) -> crate::Result<T> {
            waiter.wait().await
        }

        /// Runs a command on the shared store's async connection manager.
        #[cfg(feature = "redis")]
        pub(crate) async fn store_query(
            store: &crate::store::RedisStore,
            cmd: &redis::Cmd,
        ) -> Result<redis::Value, crate::store::StoreError> {
            store.query_async(cmd).await
        }
    }

    impl HttpClient for crate::http::ReqwestHttp {
        async fn send(
            &self,
            request: crate::http::HttpRequest,
        ) -> crate::Result<crate::http::HttpResponse> {
            self.execute(request).await
        }
    }
}

/// The async OpenID Connect client (the reference SDK's `IdpClient`).
#[cfg(feature = "async")]
pub use asynch::IdpClient;

/// The blocking OpenID Connect client (the reference SDK's `IdpClientSync`).
#[cfg(feature = "blocking")]
pub use blocking::IdpClient as IdpClientSync;

/// The async AuthZEN policy decision point client.
#[cfg(feature = "async")]
pub use asynch::PdpClient;

/// The blocking AuthZEN policy decision point client.
#[cfg(feature = "blocking")]
pub use blocking::PdpClient as PdpClientSync;

#[cfg(test)]
mod assert_impls {
    #[allow(dead_code)]
    fn assert_send_sync<T: Send + Sync>() {}

    #[allow(dead_code)]
    fn all() {
        assert_send_sync::<crate::Error>();
        #[cfg(feature = "blocking")]
        assert_send_sync::<crate::IdpClientSync>();
        #[cfg(feature = "async")]
        assert_send_sync::<crate::IdpClient>();
    }
}
