//! The typed failures of DPoP (RFC 9449): keys, proofs, the server's nonce, and bound tokens.

/// Why a DPoP key could not be used, a proof was rejected, or a server's nonce challenge could
/// not be met. Wrapped by [`ErrorKind::Dpop`](crate::ErrorKind::Dpop); none carries a secret (no
/// token, no key, no proof).
///
/// ```
/// use idpkit::dpop::DpopError;
/// let err = idpkit::Error::from(DpopError::Replayed);
/// assert!(matches!(err.kind(), idpkit::ErrorKind::Dpop(DpopError::Replayed)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DpopError {
    /// A key could not be imported or generated: not an EC P-256 or Ed25519 PKCS#8 document, a
    /// public JWK of another shape, or a failing random number generator.
    #[error("invalid DPoP key: {0}")]
    InvalidKey(&'static str),
    /// A proof could not be made: the URL has no scheme and host, or the method is empty.
    #[error("cannot make a DPoP proof: {0}")]
    InvalidRequest(&'static str),
    /// A proof is not a well-formed DPoP proof JWT (§4.2): not three base64url parts, header or
    /// claims not JSON of the expected shape, `typ` not `dpop+jwt`, a private key in `jwk`, a
    /// required claim missing or of the wrong type.
    #[error("malformed DPoP proof: {0}")]
    MalformedProof(&'static str),
    /// The proof's `alg` is not one idpkit verifies (`ES256`, `EdDSA`), or does not fit its
    /// `jwk`.
    #[error("DPoP proof algorithm {0:?} is not accepted")]
    UnsupportedAlgorithm(String),
    /// The proof's signature does not verify with the key in its header.
    #[error("the DPoP proof's signature does not verify")]
    BadSignature,
    /// `htm` is not the request's method.
    #[error("the DPoP proof's htm is not the request's method")]
    MethodMismatch,
    /// `htu` is not the request's URL (query and fragment ignored).
    #[error("the DPoP proof's htu is not the request's URL")]
    UrlMismatch,
    /// `iat` is further in the future than the clock skew, or older than the maximum age.
    #[error("the DPoP proof's iat is outside the accepted window")]
    OutsideWindow,
    /// `ath` is missing, or is not the SHA-256 of the access token presented with the proof.
    #[error("the DPoP proof's ath does not match the access token")]
    AccessTokenHashMismatch,
    /// The proof's `jti` was seen before within the window: a replay.
    #[error("the DPoP proof was already used (replay)")]
    Replayed,
    /// The replay store could not record the `jti` (full, or unreachable): the proof is
    /// rejected rather than risk accepting a replay.
    #[error("the replay store could not record the DPoP proof")]
    ReplayStoreUnavailable,
    /// The access token is bound to another key: its `cnf.jkt` is not the proof key's
    /// thumbprint (RFC 9449 §6).
    #[error("the access token is bound to another key than the DPoP proof's (cnf.jkt)")]
    KeyMismatch,
    /// A DPoP request without a `DPoP` header, or with more than one.
    #[error("the request has no single DPoP proof")]
    MissingProof,
    /// A DPoP-bound access token (with `cnf.jkt`) was presented as a plain bearer token, or a
    /// `DPoP` token without a binding (RFC 9449 §7.1).
    #[error("the access token's binding does not fit its scheme")]
    SchemeMismatch,
    /// The token is a `DPoP` token but the client has no DPoP key to prove possession with.
    #[error("the token is DPoP-bound and the client has no DPoP key")]
    NoKey,
    /// The server answered `use_dpop_nonce` without a `DPoP-Nonce` header to use.
    #[error("the server asked for a DPoP nonce without giving one")]
    NonceMissing,
    /// The server asked for a nonce again after the one retry made with its nonce (§8): it is
    /// not asked a third time.
    #[error("the server refused the DPoP nonce it had just given (HTTP {status})")]
    NonceRefused {
        /// The status of the second `use_dpop_nonce` answer (400 or 401).
        status: u16,
    },
}
