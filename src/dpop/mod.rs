//! DPoP, OAuth 2.0 Demonstrating Proof of Possession (RFC 9449): tokens bound to a key the client
//! holds, so a stolen access or refresh token is useless without the key.
//!
//! - Client side: a [`DpopKey`] (EC P-256 / `ES256` or Ed25519 / `EdDSA`) given to
//!   [`IdpClientBuilder::dpop`](crate::asynch::IdpClientBuilder::dpop) makes the client send a
//!   fresh [`DpopProof`] with every token request (code exchange, refresh, client credentials,
//!   device poll) and with userinfo calls (`Authorization: DPoP <token>`, `ath`), answer a
//!   server's `use_dpop_nonce` by retrying once with its `DPoP-Nonce`, and remember each server's
//!   nonce for the next request.
//! - Server side: [`DpopChecks`] verifies a proof (signature, `htm`, `htu`, `iat` window, `ath`,
//!   `jti` replay); the axum guard uses it for DPoP-bound access tokens (`cnf.jkt`).
//!
//! ```
//! use std::time::SystemTime;
//! use idpkit::dpop::{DpopChecks, DpopKey, DpopProof};
//! let key = DpopKey::generate_ed25519()?;
//! let now = SystemTime::now();
//! let proof = DpopProof::new("POST", "https://op.example/token").sign(&key, now)?;
//! let verified = DpopChecks::new().verify(&proof, "POST", "https://op.example/token", None, now)?;
//! assert_eq!(verified.jkt, key.thumbprint());
//! # Ok::<(), idpkit::Error>(())
//! ```

mod error;
mod key;
// Used by the clients' transport only.
#[cfg_attr(not(any(feature = "blocking", feature = "async")), allow(dead_code))]
mod nonce;
mod proof;
#[cfg(test)]
mod tests;
mod verify;

pub use error::DpopError;
pub use key::DpopKey;
#[allow(unused_imports)]
pub(crate) use nonce::{DpopState, DpopTarget, asks_for_nonce, authority};
pub use proof::{DpopProof, access_token_hash};
pub use verify::{DpopChecks, VerifiedDpopProof};

/// Verifies `input` as a DPoP proof for `GET https://api.example.com/r` with the access token
/// `at` (for the fuzz target); `true` if it verified. Not part of the API.
///
/// ```
/// assert!(!idpkit::dpop::fuzz_verify_proof(b"e30.e30.e30"));
/// ```
#[doc(hidden)]
pub fn fuzz_verify_proof(input: &[u8]) -> bool {
    let Ok(proof) = std::str::from_utf8(input) else {
        return false;
    };
    let now = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
    DpopChecks::new()
        .replay_store(crate::agent::MemoryReplayStore::new(16))
        .verify(proof, "GET", "https://api.example.com/r", Some("at"), now)
        .is_ok()
}
