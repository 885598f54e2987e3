//! Tokens at rest: a cached token sealed with AES-256-GCM (aws-lc-rs) under the service's key,
//! a random nonce per entry, and the entry's name as associated data. The opener is a parser of
//! outside input (whatever the store hands back): every failure is "not a token", never a
//! panic.
//!
//! An entry is `version (1) ‖ nonce (12) ‖ ciphertext ‖ tag (16)`; the plaintext is the JSON
//! `{"access_token", "token_type", "expires_at", "scope"}`.

use std::fmt;

use aws_lc_rs::aead::{AES_256_GCM, Aad, NONCE_LEN, Nonce, RandomizedNonceKey};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::secret::AccessToken;
use crate::service_token::CachedToken;

/// The entry format's version byte.
const VERSION: u8 = 1;
/// The AES-GCM tag's length.
const TAG_LEN: usize = 16;
/// The largest entry opened: a token response is far smaller.
const MAX_ENTRY: usize = 64 * 1024;

/// The key tokens are encrypted with at rest: 32 bytes (AES-256-GCM), the same on every
/// replica of a service, from the service's secret store. `Debug` redacts it.
///
/// ```
/// use idpkit::store::TokenEncryptionKey;
/// let key = TokenEncryptionKey::from_bytes(&[7; 32])?;
/// assert_eq!(format!("{key:?}"), "TokenEncryptionKey([redacted])");
/// assert!(TokenEncryptionKey::from_bytes(&[7; 16]).is_err());
/// # Ok::<(), idpkit::Error>(())
/// ```
pub struct TokenEncryptionKey(RandomizedNonceKey);

impl TokenEncryptionKey {
    /// The key from its 32 bytes.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) unless `bytes` is 32 bytes long.
    ///
    /// ```
    /// let key = idpkit::store::TokenEncryptionKey::from_bytes(&[0x42; 32])?;
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn from_bytes(bytes: &[u8]) -> Result<TokenEncryptionKey> {
        if bytes.len() != 32 {
            return Err(Error::config(
                "a token encryption key is 32 bytes (AES-256-GCM)",
            ));
        }
        RandomizedNonceKey::new(&AES_256_GCM, bytes)
            .map(TokenEncryptionKey)
            .map_err(|_| Error::config("the token encryption key was refused"))
    }
}

impl fmt::Debug for TokenEncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenEncryptionKey([redacted])")
    }
}

#[derive(Serialize, Deserialize)]
struct Plain<'a> {
    #[serde(borrow)]
    access_token: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    token_type: std::borrow::Cow<'a, str>,
    expires_at: Option<u64>,
    #[serde(borrow)]
    scope: Option<std::borrow::Cow<'a, str>>,
}

/// `token` sealed under `key`, bound to `name` (the entry's name in the store).
pub(crate) fn seal_token(key: &TokenEncryptionKey, name: &str, token: &CachedToken) -> Vec<u8> {
    let plain = Plain {
        access_token: token.access_token().expose_secret().into(),
        token_type: token.token_type().into(),
        expires_at: token.expires_at(),
        scope: token.scope().map(Into::into),
    };
    // Serialising strings and integers cannot fail.
    let mut body = Zeroizing::new(serde_json::to_vec(&plain).unwrap_or_default());
    let mut out = Vec::with_capacity(1 + NONCE_LEN + body.len() + TAG_LEN);
    // Sealing fails only if the system's random generator does; then nothing is stored (an
    // empty entry is refetched, never trusted).
    let Ok(nonce) = key
        .0
        .seal_in_place_append_tag(Aad::from(name.as_bytes()), &mut *body)
    else {
        return Vec::new();
    };
    out.push(VERSION);
    out.extend_from_slice(nonce.as_ref());
    out.extend_from_slice(&body);
    out
}

/// The token sealed in `entry` under `key` for `name`; `None` for anything else: too short or
/// too long, another version, a wrong key or name, a tampered byte, a plaintext that is not a
/// token.
pub(crate) fn open_token(
    key: &TokenEncryptionKey,
    name: &str,
    entry: &[u8],
) -> Option<CachedToken> {
    if entry.len() < 1 + NONCE_LEN + TAG_LEN || entry.len() > MAX_ENTRY || entry[0] != VERSION {
        return None;
    }
    let nonce = Nonce::try_assume_unique_for_key(&entry[1..1 + NONCE_LEN]).ok()?;
    let mut body = Zeroizing::new(entry[1 + NONCE_LEN..].to_vec());
    let plain = key
        .0
        .open_in_place(nonce, Aad::from(name.as_bytes()), &mut body)
        .ok()?;
    let plain: Plain<'_> = serde_json::from_slice(plain).ok()?;
    if plain.access_token.is_empty() {
        return None;
    }
    Some(CachedToken::new(
        AccessToken::new(plain.access_token.into_owned()),
        plain.token_type.into_owned(),
        plain.expires_at,
        plain.scope.map(std::borrow::Cow::into_owned),
    ))
}

/// Fuzzing entry point: opens `data` as a stored entry under a fixed key and name, and, when
/// the first byte is odd, seals a token first and flips bits of it as `data` says. Never
/// panics; a flipped entry never opens.
#[doc(hidden)]
pub fn fuzz_open_token(data: &[u8]) {
    let Ok(key) = TokenEncryptionKey::from_bytes(&[0x5a; 32]) else {
        return;
    };
    let name = "idpkit:fuzz:token:0";
    let _ = open_token(&key, name, data);
    if data.first().is_some_and(|b| b & 1 == 1) {
        let token = CachedToken::new(AccessToken::new("at-fuzz"), "Bearer", Some(1), None);
        let original = seal_token(&key, name, &token);
        if original.is_empty() {
            return; // no randomness: nothing was sealed
        }
        assert!(open_token(&key, name, &original).is_some_and(|t| t == token));
        let mut sealed = original.clone();
        for pair in data[1..].chunks(2) {
            if let [at, bits] = pair {
                let i = usize::from(*at) % sealed.len();
                sealed[i] ^= bits;
            }
        }
        if sealed != original {
            assert!(
                open_token(&key, name, &sealed).is_none(),
                "a tampered entry opened"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> CachedToken {
        CachedToken::new(
            AccessToken::new("at-1"),
            "Bearer",
            Some(1_700_000_000),
            Some("a b".into()),
        )
    }

    #[test]
    fn a_sealed_token_opens_only_with_its_key_and_name() {
        let key = TokenEncryptionKey::from_bytes(&[1; 32]).unwrap();
        let sealed = seal_token(&key, "ns:token:x", &token());
        assert_eq!(open_token(&key, "ns:token:x", &sealed), Some(token()));
        // No plaintext at rest.
        assert!(!sealed.windows(4).any(|w| w == b"at-1"));
        // Another name (an entry copied elsewhere), another key: not a token.
        assert_eq!(open_token(&key, "ns:token:y", &sealed), None);
        let other = TokenEncryptionKey::from_bytes(&[2; 32]).unwrap();
        assert_eq!(open_token(&other, "ns:token:x", &sealed), None);
        // Two seals of one token differ (random nonce).
        assert_ne!(sealed, seal_token(&key, "ns:token:x", &token()));
    }

    #[test]
    fn corrupt_entries_are_not_tokens() {
        let key = TokenEncryptionKey::from_bytes(&[1; 32]).unwrap();
        let sealed = seal_token(&key, "n", &token());
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert_eq!(open_token(&key, "n", &bad), None, "byte {i}");
        }
        assert_eq!(open_token(&key, "n", &sealed[..sealed.len() - 1]), None);
        assert_eq!(open_token(&key, "n", b""), None);
        assert_eq!(open_token(&key, "n", b"{\"access_token\":\"x\"}"), None);
        assert_eq!(open_token(&key, "n", &[1; 29]), None);
        fuzz_open_token(&[1, 3, 0xff, 200, 1]);
    }
}
