//! Discovery and the transport's fault handling, in both modes. Each behaviour is written once
//! in `modes/discovery.rs` and compiled here as blocking and as async code; the mock set-up
//! (mockito) stays outside the shared async bodies. The happy path also runs against the real
//! provider (node-oidc-provider), started once for this test binary.

#![cfg(any(feature = "blocking", feature = "async"))]

#[path = "support/hanging.rs"]
mod hanging;
#[path = "support/op.rs"]
mod op;

/// The test provider shared by this binary's tests. Never dropped: when the process exits, the
/// provider sees its stdin close and exits too.
fn provider() -> &'static op::TestOp {
    static OP: std::sync::OnceLock<op::TestOp> = std::sync::OnceLock::new();
    OP.get_or_init(|| op::TestOp::start().expect("start the test OpenID Provider"))
}

#[cfg(feature = "blocking")]
#[path = "modes"]
mod blocking {
    use super::hanging::hanging_server;
    use super::provider;
    use idpkit::blocking as idp;
    use maybe_async::must_be_sync as maybe_async;

    /// Runs a body of this mode to completion.
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

    #[allow(clippy::duplicate_mod)]
    mod discovery;
}

#[cfg(feature = "async")]
#[path = "modes"]
mod asynch {
    use super::hanging::hanging_server;
    use super::provider;
    use idpkit::asynch as idp;
    use maybe_async::must_be_async as maybe_async;

    /// Runs a body of this mode to completion on a fresh Tokio runtime.
    macro_rules! run {
        ($e:expr) => {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime")
                .block_on($e)
        };
    }

    /// A transport of this mode's default kind, built by the user (no timeout of its own).
    fn users_own_transport() -> idp::DefaultHttp {
        idp::DefaultHttp::from(reqwest::Client::new())
    }

    #[allow(clippy::duplicate_mod)]
    mod discovery;
}
