//! Discovery and the transport's fault handling, in both modes. Each behaviour is written once
//! in `modes/discovery.rs` and compiled here as blocking and as async code; the mock set-up
//! (mockito) stays outside the shared async bodies.

#[cfg(feature = "blocking")]
#[path = "modes"]
mod blocking {
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
