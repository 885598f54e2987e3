//! Agent identity, pure: an agent's Ed25519 key ([`AgentKey`]), RFC 9421 HTTP Message
//! Signatures over its requests with RFC 9530 `Content-Digest` ([`RequestSigner`],
//! [`SignatureVerifier`]), the Authora-compatible deny-first [`permission`] matcher, and
//! delegation between agents by RFC 8693 token exchange ([`ActorChain`], [`MayAct`],
//! [`Delegation`]).
//!
//! What is covered and why (see the module items for details):
//!
//! - Components `@method`, `@authority`, `@path`, `@query` (always, `?` alone for none), and
//!   with a body `content-type` and `content-digest`: unlike Authora's own scheme, the host and
//!   the query are bound, and the body through its digest.
//! - Parameters `created`, `keyid` (default the RFC 7638 thumbprint), `alg="ed25519"`,
//!   `expires`, `nonce` (128 random bits), `tag`.
//! - The verifier rebuilds the base from the received `Signature-Input` bytes and checks the
//!   window, the digest and replay (`(keyid, nonce)` once until it expires).
//!
//! ```
//! use std::collections::HashMap;
//! use std::time::SystemTime;
//! use idpkit::agent::{AgentKey, RequestSigner, SignatureVerifier, random_nonce};
//!
//! let key = AgentKey::generate()?;
//! let keys = HashMap::from([(key.key_id().to_owned(), key.public_key().clone())]);
//! let signer = RequestSigner::new(key);
//! let mut request = http::Request::post("https://api.example.com/v1/check?dry_run=1")
//!     .header("content-type", "application/json")
//!     .body(br#"{"action":"read"}"#.to_vec())
//!     .unwrap();
//! let now = SystemTime::now();
//! signer.sign(&mut request, now, &random_nonce()?)?;
//! let verified = SignatureVerifier::new(keys).verify(&request, now)?;
//! assert_eq!(verified.tag.as_deref(), Some("idpkit-agent"));
//! # Ok::<(), idpkit::Error>(())
//! ```

mod base;
mod delegation;
mod error;
pub(crate) mod key;
pub mod permission;
mod permission_cache;
mod sfv;
mod sign;
mod verify;

pub use delegation::{
    Actor, ActorChain, DEFAULT_MAX_ACT_DEPTH, Delegation, DelegationError, MayAct, check_may_act,
};
pub use error::SignatureError;
pub use key::{AgentKey, AgentPublicKey};
pub use permission_cache::{
    DEFAULT_MAX_AGENTS, DEFAULT_PERMISSIONS_TTL, PermissionCache, PermissionFetch,
    PermissionLookup, PermissionSnapshot, parse_permissions, permissions_request,
};
pub use sign::{DigestAlgorithm, RequestSigner, SignatureFields, SignatureParams, random_nonce};
pub use verify::{
    KeyResolver, MemoryReplayStore, ReplayStore, SignatureVerifier, VerifiedSignature,
};

/// Parses `input` as a structured-field dictionary the way the verifier does (for the fuzz
/// target); `true` if it parsed. Not part of the API.
///
/// ```
/// assert!(idpkit::agent::fuzz_parse_dictionary(b"sig1=(\"@method\");created=1"));
/// ```
#[doc(hidden)]
pub fn fuzz_parse_dictionary(input: &[u8]) -> bool {
    std::str::from_utf8(input).is_ok_and(|s| sfv::parse_dictionary(s, "signature-input").is_ok())
}

/// Parses `input` as JSON claims and reads their `act` chain and `may_act` claim the way a
/// delegated token's are read (for the fuzz target); `true` if the chain parsed. Not part of
/// the API.
///
/// ```
/// assert!(idpkit::agent::fuzz_act_chain(br#"{"act":{"sub":"b","act":{"sub":"a"}}}"#));
/// assert!(!idpkit::agent::fuzz_act_chain(br#"{"act":"b"}"#));
/// ```
#[doc(hidden)]
pub fn fuzz_act_chain(input: &[u8]) -> bool {
    let Ok(serde_json::Value::Object(claims)) = serde_json::from_slice(input) else {
        return false;
    };
    let _ = MayAct::from_claims(&claims);
    match ActorChain::from_claims(&claims, DEFAULT_MAX_ACT_DEPTH) {
        Ok(chain) => {
            // The chain is never deeper than the limit, and its current actor is its first.
            assert!(chain.len() <= DEFAULT_MAX_ACT_DEPTH);
            assert_eq!(chain.current(), chain.actors().first());
            true
        }
        Err(_) => false,
    }
}
