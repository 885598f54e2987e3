//! The relying party end to end against the project's real OpenID Provider
//! (node-oidc-provider), in both modes. Each behaviour is written once in `modes/oidc.rs`; the
//! browserless login (set-up, not behaviour) and the fan-out of concurrent callers are the only
//! mode-specific pieces, below.

#![cfg(any(feature = "blocking", feature = "async"))]

#[path = "support/browser.rs"]
mod browser;
#[path = "support/fan_out.rs"]
mod fan_out;
#[path = "support/op.rs"]
mod op;

/// The provider shared by the tests that do not count requests (those start their own).
fn provider() -> &'static op::TestOp {
    static OP: std::sync::OnceLock<op::TestOp> = std::sync::OnceLock::new();
    OP.get_or_init(|| op::TestOp::start().expect("start the test OpenID Provider"))
}

#[cfg(feature = "blocking")]
#[path = "modes"]
mod blocking {

    use idpkit::blocking as idp;
    use idpkit::oidc::Principal;
    use maybe_async::must_be_sync as maybe_async;

    use super::{browser, op, provider};

    macro_rules! run {
        ($e:expr) => {
            $e
        };
    }

    /// `n` threads ask the session for its agent at the same time.
    fn fan_out(session: &idp::Session, n: usize) -> Vec<idpkit::Result<Principal>> {
        super::fan_out::on_threads(n, || session.principal())
    }

    #[allow(clippy::duplicate_mod)]
    mod oidc;
}

#[cfg(feature = "async")]
#[path = "modes"]
mod asynch {

    use idpkit::asynch as idp;
    use idpkit::oidc::Principal;
    use maybe_async::must_be_async as maybe_async;

    use super::{browser, op, provider};

    macro_rules! run {
        ($e:expr) => {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(4)
                .enable_all()
                .build()
                .expect("runtime")
                .block_on($e)
        };
    }

    /// `n` tasks on a multi-threaded runtime ask the session for its agent at the same time.
    fn fan_out(session: &idp::Session, n: usize) -> Vec<idpkit::Result<Principal>> {
        super::fan_out::on_tasks(n, || {
            let session = session.clone();
            async move { session.principal().await }
        })
    }

    #[allow(clippy::duplicate_mod)]
    mod oidc;
}
