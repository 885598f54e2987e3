//! [`DpopKey`]: the client's proof-of-possession key (EC P-256 for `ES256`, or Ed25519 for
//! `EdDSA`) on aws-lc-rs, with its public JWK and RFC 7638 thumbprint.

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use zeroize::Zeroizing;

use super::DpopError;
use crate::agent::AgentKey;
use crate::agent::key::{jwk_thumbprint, pem_block};

/// A DPoP key (RFC 9449): the private key a client proves possession of with every proof, so a
/// token bound to it (`cnf.jkt`) is useless to whoever steals the token alone.
///
/// `ES256` (EC P-256) or `EdDSA` (Ed25519), both on aws-lc-rs. The private half never appears in
/// `Debug` and is never serialised; aws-lc cleanses its copy when the key is dropped, and the
/// Ed25519 seed idpkit keeps is zeroized. Cheap to clone (shared). Keep one key for the life of
/// the tokens bound to it: a DPoP-bound refresh token is refreshed with the same key, so a CLI
/// that saves its tokens saves the key too ([`export_pkcs8_der`](Self::export_pkcs8_der)).
///
/// ```
/// use idpkit::dpop::DpopKey;
/// let key = DpopKey::generate_es256()?;
/// assert_eq!(key.algorithm(), "ES256");
/// assert_eq!(key.thumbprint().len(), 43);
/// assert!(format!("{key:?}").contains("[redacted]"));
/// let again = DpopKey::from_pkcs8_der(&key.export_pkcs8_der())?;
/// assert_eq!(again.thumbprint(), key.thumbprint());
/// # Ok::<(), idpkit::Error>(())
/// ```
#[derive(Clone)]
pub struct DpopKey {
    inner: Arc<Inner>,
}

struct Inner {
    pair: Pair,
    /// The public JWK, its required members in lexicographic order (RFC 7638 §3.2): the proof's
    /// `jwk` header and the thumbprint's input at once.
    jwk: String,
    thumbprint: String,
}

enum Pair {
    Es256(EcdsaKeyPair),
    Ed25519(AgentKey),
}

impl DpopKey {
    /// A new EC P-256 key (`ES256`) from the operating system's random number generator.
    ///
    /// # Errors
    ///
    /// [`DpopError::InvalidKey`] if the generator fails.
    ///
    /// ```
    /// let key = idpkit::dpop::DpopKey::generate_es256()?;
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn generate_es256() -> crate::Result<DpopKey> {
        let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
            .map_err(|_| DpopError::InvalidKey("the random number generator failed"))?;
        DpopKey::from_ec(pair)
    }

    /// A new Ed25519 key (`EdDSA`) from the operating system's random number generator.
    ///
    /// # Errors
    ///
    /// [`DpopError::InvalidKey`] if the generator fails.
    ///
    /// ```
    /// let key = idpkit::dpop::DpopKey::generate_ed25519()?;
    /// assert_eq!(key.algorithm(), "EdDSA");
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn generate_ed25519() -> crate::Result<DpopKey> {
        let key = AgentKey::generate()
            .map_err(|_| DpopError::InvalidKey("the random number generator failed"))?;
        Ok(DpopKey::from_agent_key(key))
    }

    /// An Ed25519 agent key used as a DPoP key: its thumbprint is the agent's key id.
    ///
    /// ```
    /// let agent = idpkit::agent::AgentKey::from_seed(&[7; 32])?;
    /// let id = agent.key_id().to_owned();
    /// let key = idpkit::dpop::DpopKey::from_agent_key(agent);
    /// assert_eq!(key.thumbprint(), id);
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn from_agent_key(key: AgentKey) -> DpopKey {
        let x = key.public_key().to_base64url();
        let jwk = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
        let thumbprint = key.key_id().to_owned();
        DpopKey {
            inner: Arc::new(Inner {
                pair: Pair::Ed25519(key),
                jwk,
                thumbprint,
            }),
        }
    }

    /// A key from an unencrypted PKCS#8 DER document: EC P-256 or Ed25519.
    ///
    /// # Errors
    ///
    /// [`DpopError::InvalidKey`] for anything else (the message never quotes the key).
    ///
    /// ```
    /// let key = idpkit::dpop::DpopKey::generate_ed25519()?;
    /// let copy = idpkit::dpop::DpopKey::from_pkcs8_der(&key.export_pkcs8_der())?;
    /// assert_eq!(copy.thumbprint(), key.thumbprint());
    /// assert!(idpkit::dpop::DpopKey::from_pkcs8_der(b"\x30\x00").is_err());
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn from_pkcs8_der(der: &[u8]) -> crate::Result<DpopKey> {
        if let Ok(pair) = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der) {
            return DpopKey::from_ec(pair);
        }
        match AgentKey::from_pkcs8_der(der) {
            Ok(key) => Ok(DpopKey::from_agent_key(key)),
            Err(_) => {
                Err(DpopError::InvalidKey("not an EC P-256 or Ed25519 PKCS#8 document").into())
            }
        }
    }

    /// A key from a PEM `PRIVATE KEY` block (PKCS#8): EC P-256 or Ed25519.
    ///
    /// # Errors
    ///
    /// [`DpopError::InvalidKey`] for a missing block, bad base64 or another kind of key.
    ///
    /// ```
    /// let pem = "-----BEGIN PRIVATE KEY-----\n\
    ///     MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n\
    ///     -----END PRIVATE KEY-----\n";
    /// let key = idpkit::dpop::DpopKey::from_pkcs8_pem(pem)?;
    /// assert_eq!(key.algorithm(), "EdDSA");
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn from_pkcs8_pem(pem: &str) -> crate::Result<DpopKey> {
        let der = Zeroizing::new(
            pem_block(pem, "PRIVATE KEY")
                .map_err(|_| DpopError::InvalidKey("no PEM PRIVATE KEY block"))?,
        );
        DpopKey::from_pkcs8_der(&der)
    }

    fn from_ec(pair: EcdsaKeyPair) -> crate::Result<DpopKey> {
        let point = pair.public_key().as_ref();
        // The uncompressed point: 0x04 || x || y, 32 bytes each on P-256.
        if point.len() != 65 || point[0] != 0x04 {
            return Err(DpopError::InvalidKey("not an uncompressed P-256 point").into());
        }
        let x = URL_SAFE_NO_PAD.encode(&point[1..33]);
        let y = URL_SAFE_NO_PAD.encode(&point[33..]);
        let jwk = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
        let thumbprint = jwk_thumbprint(&jwk);
        Ok(DpopKey {
            inner: Arc::new(Inner {
                pair: Pair::Es256(pair),
                jwk,
                thumbprint,
            }),
        })
    }

    /// The JWS algorithm of its proofs: `ES256` or `EdDSA`.
    ///
    /// ```
    /// assert_eq!(idpkit::dpop::DpopKey::generate_es256()?.algorithm(), "ES256");
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn algorithm(&self) -> &'static str {
        match self.inner.pair {
            Pair::Es256(_) => "ES256",
            Pair::Ed25519(_) => "EdDSA",
        }
    }

    /// The RFC 7638 thumbprint of the public key (SHA-256, base64url): the `jkt` a bound token's
    /// `cnf` carries, and the `dpop_jkt` of an authorization request (RFC 9449 §10).
    ///
    /// ```
    /// let key = idpkit::dpop::DpopKey::from_agent_key(idpkit::agent::AgentKey::from_seed(&[0; 32])?);
    /// assert_eq!(key.thumbprint().len(), 43);
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn thumbprint(&self) -> &str {
        &self.inner.thumbprint
    }

    /// The public JWK (its required members only), as a proof's `jwk` header carries it.
    ///
    /// ```
    /// let key = idpkit::dpop::DpopKey::generate_es256()?;
    /// assert!(key.public_jwk().starts_with(r#"{"crv":"P-256","kty":"EC""#));
    /// assert!(!key.public_jwk().contains("\"d\""));
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn public_jwk(&self) -> &str {
        &self.inner.jwk
    }

    /// Exports the key as a PKCS#8 DER document, to save it with the tokens bound to it. Handle
    /// it as the secret it is; the buffer is zeroized on drop.
    ///
    /// ```
    /// let key = idpkit::dpop::DpopKey::generate_es256()?;
    /// assert!(key.export_pkcs8_der().len() > 100);
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn export_pkcs8_der(&self) -> Zeroizing<Vec<u8>> {
        match &self.inner.pair {
            Pair::Es256(pair) => Zeroizing::new(
                pair.to_pkcs8v1()
                    .map(|doc| doc.as_ref().to_vec())
                    .unwrap_or_default(),
            ),
            Pair::Ed25519(key) => key.export_pkcs8_der(),
        }
    }

    /// Signs `message` with the JWS algorithm of the key: `R || S` (64 bytes) for both.
    pub(crate) fn sign(&self, message: &[u8]) -> crate::Result<Vec<u8>> {
        match &self.inner.pair {
            Pair::Es256(pair) => pair
                .sign(&SystemRandom::new(), message)
                .map(|sig| sig.as_ref().to_vec())
                .map_err(|_| DpopError::InvalidKey("aws-lc could not sign").into()),
            Pair::Ed25519(key) => Ok(key.sign(message).to_vec()),
        }
    }
}

impl fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopKey")
            .field("algorithm", &self.algorithm())
            .field("thumbprint", &self.thumbprint())
            .field("private", &"[redacted]")
            .finish()
    }
}

/// Two keys are equal when their public keys are.
impl PartialEq for DpopKey {
    fn eq(&self, other: &Self) -> bool {
        self.inner.jwk == other.inner.jwk
    }
}

impl Eq for DpopKey {}
