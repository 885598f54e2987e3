//! The relying party against faults the real provider will not produce on demand: 500s,
//! garbage, a refreshed ID token for another subject, a provider that does not rotate refresh
//! tokens, a hanging token endpoint. mockito serves the endpoints; ID tokens are signed with
//! the real test provider's key (its `/__test/sign`), so signatures are genuine and only the
//! fault differs. Each behaviour is written once in `modes/oidc_faults.rs`.

#![cfg(any(feature = "blocking", feature = "async"))]

#[path = "support/hanging.rs"]
mod hanging;
#[path = "support/op.rs"]
mod op;

fn provider() -> &'static op::TestOp {
    static OP: std::sync::OnceLock<op::TestOp> = std::sync::OnceLock::new();
    OP.get_or_init(|| op::TestOp::start().expect("start the test OpenID Provider"))
}

#[cfg(feature = "blocking")]
#[path = "modes"]
mod blocking {
    use idpkit::blocking as idp;
    use maybe_async::must_be_sync as maybe_async;

    use super::hanging::hanging_server;
    use super::provider;

    macro_rules! run {
        ($e:expr) => {
            $e
        };
    }

    #[allow(clippy::duplicate_mod)]
    mod oidc_faults;
}

#[cfg(feature = "async")]
#[path = "modes"]
mod asynch {
    use idpkit::asynch as idp;
    use maybe_async::must_be_async as maybe_async;

    use super::hanging::hanging_server;
    use super::provider;

    macro_rules! run {
        ($e:expr) => {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime")
                .block_on($e)
        };
    }

    #[allow(clippy::duplicate_mod)]
    mod oidc_faults;
}
