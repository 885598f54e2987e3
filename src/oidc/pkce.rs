//! Proof Key for Code Exchange (RFC 7636) and the random values of the authorization request.
//!
//! idpkit always uses the `S256` method: a fresh [`CodeVerifier`] of 32 random bytes per
//! authorization request, sent as its SHA-256 [`code_challenge_s256`] and later proven at the
//! token endpoint (RFC 9700 §2.1.1). Randomness comes from the operating system through
//! aws-lc-rs, the crate's one crypto provider.
//!
//! ```
//! use idpkit::oidc::pkce::{code_challenge_s256, generate_code_verifier};
//! let verifier = generate_code_verifier();
//! let challenge = code_challenge_s256(&verifier);
//! assert_eq!(verifier.expose_secret().len(), 43);
//! assert_eq!(challenge.len(), 43);
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::secret::CodeVerifier;

/// `n_bytes` bytes from the operating system's random number generator, base64url-encoded
/// without padding (so `⌈4·n/3⌉` characters of `[A-Za-z0-9_-]`).
///
/// Used for `state`, `nonce` and code verifiers; 16 bytes (128 bits) is the least any of them
/// should have, idpkit uses 32.
///
/// # Panics
///
/// If the operating system cannot provide random bytes (aws-lc aborts the process itself in
/// that case, so this does not happen in practice): no security value can be made without them.
///
/// ```
/// let s = idpkit::oidc::pkce::random_urlsafe(32);
/// assert_eq!(s.len(), 43);
/// assert!(s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
/// assert_ne!(s, idpkit::oidc::pkce::random_urlsafe(32));
/// ```
pub fn random_urlsafe(n_bytes: usize) -> String {
    let mut bytes = vec![0u8; n_bytes];
    aws_lc_rs::rand::fill(&mut bytes).expect("the operating system's random generator failed");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A fresh code verifier: 32 random bytes, base64url-encoded into 43 characters, the length RFC
/// 7636 §4.1 recommends (256 bits of entropy).
///
/// # Panics
///
/// As [`random_urlsafe`].
///
/// ```
/// let v = idpkit::oidc::pkce::generate_code_verifier();
/// assert_eq!(v.expose_secret().len(), 43);
/// assert_eq!(format!("{v:?}"), "CodeVerifier([redacted])");
/// ```
pub fn generate_code_verifier() -> CodeVerifier {
    CodeVerifier::new(random_urlsafe(32))
}

/// The `S256` code challenge of a verifier (RFC 7636 §4.2):
/// `BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))`, without padding.
///
/// ```
/// use idpkit::{CodeVerifier, oidc::pkce::code_challenge_s256};
/// // RFC 7636 Appendix B.
/// let v = CodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
/// assert_eq!(code_challenge_s256(&v), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
/// ```
pub fn code_challenge_s256(verifier: &CodeVerifier) -> String {
    let hash = aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        verifier.expose_secret().as_bytes(),
    );
    URL_SAFE_NO_PAD.encode(hash.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_unreserved(s: &str) -> bool {
        // RFC 7636 §4.1: [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
    }

    #[test]
    fn rfc7636_appendix_b_vector() {
        let v = CodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(
            code_challenge_s256(&v),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn random_lengths_and_alphabet() {
        for (n, len) in [(0, 0), (1, 2), (16, 22), (32, 43), (96, 128)] {
            let s = random_urlsafe(n);
            assert_eq!(s.len(), len, "{n} bytes");
            assert!(is_unreserved(&s), "{s}");
        }
    }

    #[test]
    fn verifiers_are_valid_and_distinct() {
        let a = generate_code_verifier();
        let b = generate_code_verifier();
        assert_ne!(a, b);
        for v in [&a, &b] {
            // RFC 7636 §4.1: 43 to 128 unreserved characters.
            assert_eq!(v.expose_secret().len(), 43);
            assert!(is_unreserved(v.expose_secret()));
            let c = code_challenge_s256(v);
            assert_eq!(c.len(), 43);
            assert!(is_unreserved(&c));
        }
        assert_ne!(code_challenge_s256(&a), code_challenge_s256(&b));
    }
}
