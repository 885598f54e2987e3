//! The blocking and the async client end to end, in one test binary: against the project's real
//! OpenID Provider (node-oidc-provider, `tests/op`) and real policy decision point (Cerbos,
//! `tests/pdp`), and against faults they will not produce on demand (mockito, hanging sockets,
//! a counting token endpoint).
//!
//! Each behaviour is written once in `tests/modes/` and compiled here twice, as blocking code
//! (`maybe_async::must_be_sync`) and as async code (`must_be_async`), the way `src/lib.rs`
//! mounts `src/shared/`. A mount declares what differs between the modes, once: `idp` (the
//! client module), `run!` (runs a body of the mode to completion), the fan-out of concurrent
//! callers (threads or tasks) and the transport a user would build. Everything else the
//! behaviour files share is in `modes/common.rs` (wrappers of the client calls) and
//! `tests/support/` (the servers, mounted once below).

#![cfg(any(feature = "blocking", feature = "async"))]
// Every file of `tests/modes/` is loaded once per mode, on purpose.
#![allow(clippy::duplicate_mod)]

#[path = "support/browser.rs"]
mod browser;
#[path = "support/fan_out.rs"]
mod fan_out;
#[path = "support/fault_proxy.rs"]
mod fault_proxy;
#[path = "support/hanging.rs"]
mod hanging;
#[path = "support/http_sig_server.rs"]
mod http_sig_server;
#[path = "support/op.rs"]
mod op;
#[path = "support/pdp.rs"]
mod pdp_server;
#[path = "support/permission_server.rs"]
mod permission_server;
#[cfg(feature = "redis")]
#[path = "support/redis.rs"]
mod redis_server;
#[path = "support/rp_cert.rs"]
mod rp_cert_server;
#[path = "support/scim.rs"]
mod scim_server;
#[path = "support/token_server.rs"]
mod token_server;

/// The provider shared by the tests that do not count its requests (those start their own).
/// Never dropped: when the process exits, the provider sees its stdin close and exits too.
fn provider() -> &'static op::TestOp {
    static OP: std::sync::OnceLock<op::TestOp> = std::sync::OnceLock::new();
    OP.get_or_init(|| op::TestOp::start().expect("start the test OpenID Provider"))
}

/// A second provider that requires pushed authorization requests (RFC 9126) of every client
/// and says so in its metadata. Never dropped, as `provider()`.
fn par_provider() -> &'static op::TestOp {
    static OP: std::sync::OnceLock<op::TestOp> = std::sync::OnceLock::new();
    OP.get_or_init(|| op::TestOp::start_with(&["--require-par"]).expect("start the PAR provider"))
}

/// The crafting provider of the RP certification tests (`tests/op/rp_cert.mjs`), shared: each
/// test has an issuer of its own below it. Never dropped, as `provider()`.
fn rp_cert_op() -> &'static rp_cert_server::RpCertOp {
    static OP: std::sync::OnceLock<rp_cert_server::RpCertOp> = std::sync::OnceLock::new();
    OP.get_or_init(|| {
        rp_cert_server::RpCertOp::start().expect("start the RP certification provider")
    })
}

/// The PDP shared by every test of this binary (stopped when the process exits: its stdin
/// pipe closes).
fn test_pdp() -> &'static pdp_server::TestPdp {
    static PDP: std::sync::OnceLock<pdp_server::TestPdp> = std::sync::OnceLock::new();
    PDP.get_or_init(|| pdp_server::TestPdp::start().expect("start the test PDP (Cerbos)"))
}

/// The SCIM server (scim2-server) shared by every test of this binary (stopped when the process
/// exits: its stdin pipe closes).
fn test_scim() -> &'static scim_server::TestScim {
    static SCIM: std::sync::OnceLock<scim_server::TestScim> = std::sync::OnceLock::new();
    SCIM.get_or_init(|| scim_server::TestScim::start().expect("start the test SCIM server"))
}

/// The RFC 9421 verifier server (PyPI http-message-signatures) shared by every test of this
/// binary (stopped when the process exits: its stdin pipe closes).
fn test_http_sig() -> &'static http_sig_server::TestHttpSig {
    static SERVER: std::sync::OnceLock<http_sig_server::TestHttpSig> = std::sync::OnceLock::new();
    SERVER.get_or_init(|| {
        http_sig_server::TestHttpSig::start("idpkit-agent").expect("start the RFC 9421 verifier")
    })
}

/// `prefix` made unique in this process (both modes share one SCIM server).
fn unique(prefix: &str) -> String {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{prefix}-{}-{n}", std::process::id())
}

/// The behaviour files of `tests/modes/`, mounted by each mode below.
macro_rules! behaviours {
    () => {
        mod common;
        mod delegation;
        mod device;
        mod device_store;
        mod discovery;
        mod dpop;
        mod fault_matrix;
        mod jwt_auth;
        mod oidc;
        mod oidc_faults;
        mod par;
        mod pdp;
        mod pdp_faults;
        mod permissions;
        #[cfg(feature = "redis")]
        mod redis_cache;
        mod request_shapes;
        mod rp_cert;
        mod scim;
        mod scim_faults;
        mod signed_interop;
        mod signed_requests;
        mod token_cache;
    };
}

#[cfg(feature = "blocking")]
#[path = "modes"]
mod blocking {

    use idpkit::blocking as idp;
    use idpkit::oidc::{ClientCredentialsRequest, Principal};
    use idpkit::service_token::{CachedToken, TokenCache};
    use maybe_async::must_be_sync as maybe_async;

    use super::fan_out::on_threads;

    /// Runs a body of this mode to completion: it already has.
    macro_rules! run {
        ($e:expr) => {
            $e
        };
    }

    /// A transport of this mode's default kind, built by the user (no timeout of its own).
    fn users_own_transport() -> idp::DefaultHttp {
        let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
        idp::DefaultHttp::from(agent)
    }

    /// `n` threads ask the session for its agent at the same time.
    fn agents_at_once(session: &idp::Session, n: usize) -> Vec<idpkit::Result<Principal>> {
        on_threads(n, || session.principal())
    }

    /// `n` threads ask for the same cached token at the same time.
    fn tokens_at_once(
        client: &idp::IdpClient,
        cache: &TokenCache,
        scopes: &[&str],
        n: usize,
    ) -> Vec<idpkit::Result<CachedToken>> {
        let request = ClientCredentialsRequest::new(scopes.iter().copied());
        on_threads(n, || client.cached_client_credentials(cache, &request))
    }

    /// `n` threads check the same agent's permission at the same time.
    fn permissions_at_once(
        checker: &idp::PermissionChecker,
        permission: &str,
        n: usize,
    ) -> Vec<idpkit::Result<bool>> {
        on_threads(n, || checker.has_permission("agt 1", permission))
    }

    behaviours!();
}

#[cfg(feature = "async")]
#[path = "modes"]
mod asynch {
    use std::sync::{Arc, OnceLock};

    use idpkit::asynch as idp;
    use idpkit::oidc::{ClientCredentialsRequest, Principal};
    use idpkit::service_token::{CachedToken, TokenCache};
    use maybe_async::must_be_async as maybe_async;

    use super::fan_out::on_tasks;

    /// The one Tokio runtime every async body of this binary runs on. Multi-threaded, so the
    /// tasks of a fan-out, and the tasks a body spawns, run in parallel; a body itself runs on
    /// its test's thread (`block_on`), so several tests can use the runtime at once.
    fn runtime() -> &'static tokio::runtime::Runtime {
        static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
        RUNTIME.get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(4)
                .enable_all()
                .build()
                .expect("runtime")
        })
    }

    /// Runs a body of this mode to completion on the shared runtime.
    macro_rules! run {
        ($e:expr) => {
            $crate::asynch::runtime().block_on($e)
        };
    }

    /// A transport of this mode's default kind, built by the user (no timeout of its own).
    fn users_own_transport() -> idp::DefaultHttp {
        idp::DefaultHttp::from(reqwest::Client::new())
    }

    /// `n` tasks ask the session for its agent at the same time.
    fn agents_at_once(session: &idp::Session, n: usize) -> Vec<idpkit::Result<Principal>> {
        run!(on_tasks(n, || {
            let session = session.clone();
            async move { session.principal().await }
        }))
    }

    /// `n` tasks ask for the same cached token at the same time.
    fn tokens_at_once(
        client: &idp::IdpClient,
        cache: &TokenCache,
        scopes: &[&str],
        n: usize,
    ) -> Vec<idpkit::Result<CachedToken>> {
        let request = Arc::new(ClientCredentialsRequest::new(scopes.iter().copied()));
        run!(on_tasks(n, || {
            let (client, cache, request) = (client.clone(), cache.clone(), request.clone());
            async move { client.cached_client_credentials(&cache, &request).await }
        }))
    }

    /// `n` tasks check the same agent's permission at the same time.
    fn permissions_at_once(
        checker: &idp::PermissionChecker,
        permission: &str,
        n: usize,
    ) -> Vec<idpkit::Result<bool>> {
        let permission: Arc<str> = permission.into();
        run!(on_tasks(n, || {
            let (checker, permission) = (checker.clone(), permission.clone());
            async move { checker.has_permission("agt 1", &permission).await }
        }))
    }

    behaviours!();
    /// What only the async client has: a caller's future dropped mid-request.
    mod async_only;
}
