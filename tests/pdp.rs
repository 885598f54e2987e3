//! The AuthZEN PDP client against a real policy decision point (Cerbos 0.55, `tests/pdp`), in
//! both modes: discovery, the project's own decision tables (`tests/pdp/tables/*.json`), the
//! AuthZEN working group's published interop vectors (read from `../shared/vectors/` when that
//! folder exists), Cerbos' metadata in the decision context, and the missing search API. Each
//! behaviour is written once in `modes/pdp.rs`.

#![cfg(any(feature = "blocking", feature = "async"))]

#[path = "support/pdp.rs"]
mod pdp_server;

/// The PDP shared by every test of this binary (stopped when the process exits: its stdin
/// pipe closes).
fn test_pdp() -> &'static pdp_server::TestPdp {
    static PDP: std::sync::OnceLock<pdp_server::TestPdp> = std::sync::OnceLock::new();
    PDP.get_or_init(|| pdp_server::TestPdp::start().expect("start the test PDP (Cerbos)"))
}

#[cfg(feature = "blocking")]
#[path = "modes"]
mod blocking {
    use idpkit::blocking as idp;
    use maybe_async::must_be_sync as maybe_async;

    use super::{pdp_server, test_pdp};

    macro_rules! run {
        ($e:expr) => {
            $e
        };
    }

    #[allow(clippy::duplicate_mod)]
    mod pdp;
}

#[cfg(feature = "async")]
#[path = "modes"]
mod asynch {
    use idpkit::asynch as idp;
    use maybe_async::must_be_async as maybe_async;

    use super::{pdp_server, test_pdp};

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
    mod pdp;
}
