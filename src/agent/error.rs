//! The typed failures of agent keys, RFC 9421 signing and verification.

/// Why a key could not be used or a signed request was rejected. Wrapped by
/// [`ErrorKind::Signature`](crate::ErrorKind::Signature); every failure has its own variant and
/// none carries a secret.
///
/// ```
/// use idpkit::agent::SignatureError;
/// let err = idpkit::Error::from(SignatureError::Replayed);
/// assert!(matches!(err.kind(), idpkit::ErrorKind::Signature(SignatureError::Replayed)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// A key could not be imported or generated: wrong length, bad encoding, not Ed25519, or a
    /// seed and a public key that do not belong together.
    #[error("invalid Ed25519 key: {0}")]
    InvalidKey(&'static str),
    /// The request cannot be signed or verified as it is: no authority in its URL, a covered
    /// field value that is not visible ASCII, a component idpkit does not derive.
    #[error("the request cannot be signed or verified: {0}")]
    InvalidRequest(&'static str),
    /// A `Signature-Input` or `Signature` field is absent.
    #[error("the request has no `{0}` field")]
    MissingField(&'static str),
    /// A `Signature-Input` or `Signature` field is not a valid structured-field dictionary of
    /// the expected shape (RFC 8941 / RFC 9651).
    #[error("malformed `{field}` field: {problem}")]
    MalformedField {
        /// The field, `signature-input` or `signature`.
        field: &'static str,
        /// What is wrong, without the field's value.
        problem: &'static str,
    },
    /// No signature with the expected label or `tag` is present (or the one found has no
    /// `Signature` value).
    #[error("no signature with the expected label or tag")]
    NoMatchingSignature,
    /// A signature parameter the verifier requires (`created`, `expires`, `keyid`, `nonce`) is
    /// missing or of the wrong type.
    #[error("the signature lacks the `{0}` parameter")]
    MissingParameter(&'static str),
    /// A component the verifier requires is not covered by the signature.
    #[error("the signature does not cover `{0}`")]
    MissingComponent(String),
    /// A covered component is named twice, or a covered field is absent from the request.
    #[error("covered component `{0}` is duplicated or absent from the request")]
    BadComponent(String),
    /// The `alg` parameter names another algorithm than `ed25519`.
    #[error("algorithm {0:?} is not accepted")]
    UnsupportedAlgorithm(String),
    /// No key is known for the `keyid`.
    #[error("unknown key id {0:?}")]
    UnknownKey(String),
    /// The signature does not verify with the key over the rebuilt signature base.
    #[error("the signature does not verify")]
    BadSignature,
    /// `created` lies further in the future than the allowed clock skew.
    #[error("the signature is not valid yet (created in the future)")]
    NotYetValid,
    /// `expires` has passed (allowing for the clock skew).
    #[error("the signature has expired")]
    Expired,
    /// `created` is older than the maximum age.
    #[error("the signature is older than the maximum age")]
    TooOld,
    /// The request has a body but no `Content-Digest` field, or one without a supported
    /// algorithm (`sha-256`, `sha-512`).
    #[error("the request body has no usable Content-Digest")]
    MissingDigest,
    /// The `Content-Digest` does not match the body.
    #[error("the Content-Digest does not match the body")]
    DigestMismatch,
    /// The `(keyid, nonce)` pair was seen before and has not expired: a replay.
    #[error("the signature was already used (replay)")]
    Replayed,
    /// The replay store could not record the nonce (full, or unreachable): the request is
    /// rejected rather than risk accepting a replay.
    #[error("the replay store could not record the nonce")]
    ReplayStoreUnavailable,
}
