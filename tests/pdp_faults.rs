//! The AuthZEN PDP client against faults a real PDP will not produce on demand: 500s, 429 with
//! `Retry-After`, garbage, a PDP that never answers, a 400 that must not be retried, paging
//! loops. mockito serves the endpoints (a plain `TcpListener` thread plays the hanging PDP).
//! Each behaviour is written once in `modes/pdp_faults.rs`.

#![cfg(any(feature = "blocking", feature = "async"))]

#[cfg(feature = "blocking")]
#[path = "modes"]
mod blocking {
    use idpkit::blocking as idp;
    use maybe_async::must_be_sync as maybe_async;

    macro_rules! run {
        ($e:expr) => {
            $e
        };
    }

    #[allow(clippy::duplicate_mod)]
    mod pdp_faults;
}

#[cfg(feature = "async")]
#[path = "modes"]
mod asynch {
    use idpkit::asynch as idp;
    use maybe_async::must_be_async as maybe_async;

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
    mod pdp_faults;
}
