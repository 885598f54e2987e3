//! Ed25519 agent keys on aws-lc-rs: generate, import and export (Authora's base64url seed,
//! PKCS#8, JWK OKP, SPKI), the RFC 7638 thumbprint as the key id.

use std::fmt;

use aws_lc_rs::signature::{ED25519, Ed25519KeyPair, KeyPair, ParsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use zeroize::Zeroizing;

use super::SignatureError;

/// The DER prefix of an Ed25519 `SubjectPublicKeyInfo` (RFC 8410 §4), before the 32 key bytes.
const SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// An agent's Ed25519 key pair (RFC 8032).
///
/// The private half is redacted in `Debug`, its raw seed is kept in a buffer zeroized on drop
/// (aws-lc also cleanses its own copy when freed), and it is never serialised: the `export_*`
/// methods hand it out only when asked, in zeroizing buffers.
///
/// ```
/// use idpkit::agent::AgentKey;
/// let key = AgentKey::generate()?;
/// assert!(format!("{key:?}").contains("[redacted]"));
/// let again = AgentKey::from_authora_seed(&key.export_authora_seed())?;
/// assert_eq!(again.key_id(), key.key_id());
/// # Ok::<(), idpkit::Error>(())
/// ```
pub struct AgentKey {
    pair: Ed25519KeyPair,
    seed: Zeroizing<[u8; 32]>,
    public: AgentPublicKey,
}

impl AgentKey {
    /// A new key from the operating system's random number generator.
    ///
    /// # Errors
    ///
    /// [`SignatureError::InvalidKey`] if the generator fails.
    ///
    /// ```
    /// let key = idpkit::agent::AgentKey::generate()?;
    /// assert_eq!(key.public_key().as_bytes().len(), 32);
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn generate() -> crate::Result<AgentKey> {
        let mut seed = Zeroizing::new([0u8; 32]);
        aws_lc_rs::rand::fill(seed.as_mut())
            .map_err(|_| SignatureError::InvalidKey("the random number generator failed"))?;
        AgentKey::from_seed(seed.as_ref())
    }

    /// A key from its raw 32-byte seed (RFC 8032 §5.1.5 private key).
    ///
    /// # Errors
    ///
    /// [`SignatureError::InvalidKey`] unless `seed` is 32 bytes.
    ///
    /// ```
    /// let key = idpkit::agent::AgentKey::from_seed(&[7; 32])?;
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn from_seed(seed: &[u8]) -> crate::Result<AgentKey> {
        let bytes: [u8; 32] = seed
            .try_into()
            .map_err(|_| SignatureError::InvalidKey("an Ed25519 seed is 32 bytes"))?;
        let seed = Zeroizing::new(bytes);
        let pair = Ed25519KeyPair::from_seed_unchecked(seed.as_ref())
            .map_err(|_| SignatureError::InvalidKey("aws-lc rejected the seed"))?;
        Ok(AgentKey::from_pair(pair, seed))
    }

    /// A key in Authora's format: the base64url 32-byte seed, padding optional.
    ///
    /// # Errors
    ///
    /// [`SignatureError::InvalidKey`] for bad base64url or a wrong length.
    ///
    /// ```
    /// let key = idpkit::agent::AgentKey::from_authora_seed(
    ///     "n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU",
    /// )?;
    /// assert_eq!(key.public_key().to_base64url(), "JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs");
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn from_authora_seed(seed: &str) -> crate::Result<AgentKey> {
        let bytes = Zeroizing::new(
            b64url(seed).ok_or(SignatureError::InvalidKey("the seed is not base64url"))?,
        );
        AgentKey::from_seed(&bytes)
    }

    /// A key from an unencrypted PKCS#8 v1 or v2 DER document (RFC 5958, RFC 8410). A v2
    /// document's public key must match the private key.
    ///
    /// # Errors
    ///
    /// [`SignatureError::InvalidKey`] if it is not an Ed25519 PKCS#8 document.
    ///
    /// ```
    /// let key = idpkit::agent::AgentKey::generate()?;
    /// let copy = idpkit::agent::AgentKey::from_pkcs8_der(&key.export_pkcs8_der())?;
    /// assert_eq!(copy.key_id(), key.key_id());
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn from_pkcs8_der(der: &[u8]) -> crate::Result<AgentKey> {
        let pair = Ed25519KeyPair::from_pkcs8(der)
            .map_err(|_| SignatureError::InvalidKey("not an Ed25519 PKCS#8 document"))?;
        let seed = pair
            .seed()
            .ok()
            .and_then(|s| {
                use aws_lc_rs::encoding::AsBigEndian;
                let bin = s.as_be_bytes().ok()?;
                <[u8; 32]>::try_from(bin.as_ref()).ok()
            })
            .ok_or(SignatureError::InvalidKey(
                "aws-lc could not export the seed",
            ))?;
        Ok(AgentKey::from_pair(pair, Zeroizing::new(seed)))
    }

    /// A key from a PEM `PRIVATE KEY` block (PKCS#8).
    ///
    /// # Errors
    ///
    /// [`SignatureError::InvalidKey`] for a missing block, bad base64 or a non-Ed25519 key.
    ///
    /// ```
    /// let pem = "-----BEGIN PRIVATE KEY-----\n\
    ///     MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n\
    ///     -----END PRIVATE KEY-----\n";
    /// let key = idpkit::agent::AgentKey::from_pkcs8_pem(pem)?;
    /// assert_eq!(key.public_key().to_base64url(), "JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs");
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn from_pkcs8_pem(pem: &str) -> crate::Result<AgentKey> {
        let der = Zeroizing::new(pem_block(pem, "PRIVATE KEY")?);
        AgentKey::from_pkcs8_der(&der)
    }

    /// A key from a private JWK (RFC 8037: `kty` `OKP`, `crv` `Ed25519`, `d`, and `x` which must
    /// match when present).
    ///
    /// # Errors
    ///
    /// [`SignatureError::InvalidKey`] for JSON of another shape or a mismatched `x`.
    ///
    /// ```
    /// let jwk = r#"{"kty":"OKP","crv":"Ed25519",
    ///     "d":"n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU",
    ///     "x":"JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs"}"#;
    /// let key = idpkit::agent::AgentKey::from_jwk(jwk)?;
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn from_jwk(jwk: &str) -> crate::Result<AgentKey> {
        let jwk = Jwk::parse(jwk)?;
        let d = jwk.d.as_deref().ok_or(SignatureError::InvalidKey(
            "the JWK has no private part `d`",
        ))?;
        let seed = Zeroizing::new(
            b64url(d).ok_or(SignatureError::InvalidKey("the JWK's `d` is not base64url"))?,
        );
        let key = AgentKey::from_seed(&seed)?;
        if let Some(x) = jwk.x.as_deref()
            && b64url(x).as_deref() != Some(key.public.as_bytes().as_slice())
        {
            return Err(SignatureError::InvalidKey("the JWK's `x` does not match `d`").into());
        }
        Ok(key)
    }

    fn from_pair(pair: Ed25519KeyPair, seed: Zeroizing<[u8; 32]>) -> AgentKey {
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(pair.public_key().as_ref());
        AgentKey {
            pair,
            seed,
            public: AgentPublicKey::from_array(bytes),
        }
    }

    /// The public half.
    ///
    /// ```
    /// let key = idpkit::agent::AgentKey::from_seed(&[7; 32])?;
    /// assert_eq!(key.public_key().key_id(), key.key_id());
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn public_key(&self) -> &AgentPublicKey {
        &self.public
    }

    /// The RFC 7638 JWK thumbprint (SHA-256, base64url) of the public key: the default `keyid`.
    ///
    /// ```
    /// let key = idpkit::agent::AgentKey::from_seed(&[7; 32])?;
    /// assert_eq!(key.key_id().len(), 43);
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn key_id(&self) -> &str {
        &self.public.thumbprint
    }

    /// Signs `message` (Ed25519, RFC 8032 §5.1.6): the 64-byte `R || S`.
    ///
    /// ```
    /// let key = idpkit::agent::AgentKey::from_seed(&[7; 32])?;
    /// let sig = key.sign(b"hello");
    /// assert!(key.public_key().verify(b"hello", &sig));
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        let mut out = [0u8; 64];
        out.copy_from_slice(self.pair.sign(message).as_ref());
        out
    }

    /// Exports the seed in Authora's format (base64url, no padding). Handle it as the secret it
    /// is; the buffer is zeroized on drop.
    ///
    /// ```
    /// let key = idpkit::agent::AgentKey::from_seed(&[0; 32])?;
    /// assert_eq!(key.export_authora_seed().as_str(), "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn export_authora_seed(&self) -> Zeroizing<String> {
        Zeroizing::new(URL_SAFE_NO_PAD.encode(self.seed.as_ref()))
    }

    /// Exports the key as a PKCS#8 v1 DER document (the form `openssl genpkey` writes).
    ///
    /// ```
    /// let key = idpkit::agent::AgentKey::from_seed(&[0; 32])?;
    /// assert_eq!(key.export_pkcs8_der().len(), 48);
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn export_pkcs8_der(&self) -> Zeroizing<Vec<u8>> {
        // RFC 8410 §7: SEQUENCE { INTEGER 0, AlgorithmIdentifier id-Ed25519, OCTET STRING {
        // OCTET STRING seed } }.
        let mut der = Zeroizing::new(Vec::with_capacity(48));
        der.extend_from_slice(&[
            0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22,
            0x04, 0x20,
        ]);
        der.extend_from_slice(self.seed.as_ref());
        der
    }

    /// Exports the key as a PEM `PRIVATE KEY` block (PKCS#8 v1).
    ///
    /// ```
    /// let key = idpkit::agent::AgentKey::generate()?;
    /// let pem = key.export_pkcs8_pem();
    /// assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn export_pkcs8_pem(&self) -> Zeroizing<String> {
        Zeroizing::new(crate::key_format::pem_encode(
            "PRIVATE KEY",
            &self.export_pkcs8_der(),
        ))
    }

    /// Exports the private JWK (`kty`, `crv`, `x`, `d`, and `kid` = the thumbprint).
    ///
    /// ```
    /// let key = idpkit::agent::AgentKey::generate()?;
    /// let copy = idpkit::agent::AgentKey::from_jwk(&key.export_private_jwk())?;
    /// assert_eq!(copy.key_id(), key.key_id());
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn export_private_jwk(&self) -> Zeroizing<String> {
        let d = self.export_authora_seed();
        Zeroizing::new(format!(
            r#"{{"kty":"OKP","crv":"Ed25519","kid":"{}","x":"{}","d":"{}"}}"#,
            self.key_id(),
            self.public.to_base64url(),
            d.as_str()
        ))
    }
}

impl fmt::Debug for AgentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgentKey")
            .field("key_id", &self.key_id())
            .field("private", &"[redacted]")
            .finish()
    }
}

/// An Ed25519 public key with its RFC 7638 thumbprint, parsed once for fast verification.
///
/// ```
/// use idpkit::agent::AgentPublicKey;
/// let key = AgentPublicKey::from_base64url("JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs")?;
/// assert!(key.to_spki_pem().starts_with("-----BEGIN PUBLIC KEY-----"));
/// # Ok::<(), idpkit::Error>(())
/// ```
#[derive(Clone)]
pub struct AgentPublicKey {
    bytes: [u8; 32],
    thumbprint: String,
    parsed: Option<std::sync::Arc<ParsedPublicKey>>,
}

impl AgentPublicKey {
    fn from_array(bytes: [u8; 32]) -> AgentPublicKey {
        let x = URL_SAFE_NO_PAD.encode(bytes);
        AgentPublicKey {
            bytes,
            thumbprint: jwk_thumbprint(&format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#)),
            parsed: ParsedPublicKey::new(&ED25519, bytes)
                .ok()
                .map(std::sync::Arc::new),
        }
    }

    /// A public key from its 32 raw bytes.
    ///
    /// # Errors
    ///
    /// [`SignatureError::InvalidKey`] for another length or bytes that are not a curve point.
    ///
    /// ```
    /// let key = idpkit::agent::AgentKey::generate()?;
    /// let public = idpkit::agent::AgentPublicKey::from_bytes(key.public_key().as_bytes())?;
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn from_bytes(bytes: &[u8]) -> crate::Result<AgentPublicKey> {
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| SignatureError::InvalidKey("an Ed25519 public key is 32 bytes"))?;
        let key = AgentPublicKey::from_array(bytes);
        if key.parsed.is_none() {
            return Err(SignatureError::InvalidKey("not an Ed25519 public key").into());
        }
        Ok(key)
    }

    /// A public key in Authora's format: base64url of the 32 bytes, padding optional.
    ///
    /// # Errors
    ///
    /// [`SignatureError::InvalidKey`] for bad base64url or a bad key.
    ///
    /// ```
    /// idpkit::agent::AgentPublicKey::from_base64url("JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs")?;
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn from_base64url(value: &str) -> crate::Result<AgentPublicKey> {
        let bytes = b64url(value).ok_or(SignatureError::InvalidKey("not base64url"))?;
        AgentPublicKey::from_bytes(&bytes)
    }

    /// A public key from a PEM `PUBLIC KEY` block (SPKI, RFC 8410 §4).
    ///
    /// # Errors
    ///
    /// [`SignatureError::InvalidKey`] for a missing block or a non-Ed25519 key.
    ///
    /// ```
    /// let pem = "-----BEGIN PUBLIC KEY-----\n\
    ///     MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=\n\
    ///     -----END PUBLIC KEY-----";
    /// let key = idpkit::agent::AgentPublicKey::from_spki_pem(pem)?;
    /// assert_eq!(key.to_base64url(), "JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs");
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn from_spki_pem(pem: &str) -> crate::Result<AgentPublicKey> {
        let der = pem_block(pem, "PUBLIC KEY")?;
        match der.strip_prefix(&SPKI_PREFIX) {
            Some(raw) => AgentPublicKey::from_bytes(raw),
            None => Err(SignatureError::InvalidKey("not an Ed25519 SubjectPublicKeyInfo").into()),
        }
    }

    /// A public key from a JWK (`kty` `OKP`, `crv` `Ed25519`, `x`).
    ///
    /// # Errors
    ///
    /// [`SignatureError::InvalidKey`] for JSON of another shape.
    ///
    /// ```
    /// let jwk = r#"{"kty":"OKP","crv":"Ed25519","x":"JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs"}"#;
    /// idpkit::agent::AgentPublicKey::from_jwk(jwk)?;
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn from_jwk(jwk: &str) -> crate::Result<AgentPublicKey> {
        let jwk = Jwk::parse(jwk)?;
        let x = jwk
            .x
            .as_deref()
            .ok_or(SignatureError::InvalidKey("the JWK has no `x`"))?;
        AgentPublicKey::from_base64url(x)
    }

    /// The 32 raw bytes.
    ///
    /// ```
    /// let key = idpkit::agent::AgentKey::generate()?;
    /// assert_eq!(key.public_key().as_bytes().len(), 32);
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// The RFC 7638 thumbprint (SHA-256, base64url, 43 characters).
    ///
    /// ```
    /// let key = idpkit::agent::AgentPublicKey::from_base64url("JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs")?;
    /// assert_eq!(key.key_id().len(), 43);
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn key_id(&self) -> &str {
        &self.thumbprint
    }

    /// base64url of the raw bytes, no padding (Authora's format and the JWK `x`).
    ///
    /// ```
    /// let key = idpkit::agent::AgentPublicKey::from_base64url("JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs")?;
    /// assert_eq!(key.to_base64url(), "JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs");
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn to_base64url(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.bytes)
    }

    /// The key as a PEM `PUBLIC KEY` block (SPKI).
    ///
    /// ```
    /// let key = idpkit::agent::AgentPublicKey::from_base64url("JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs")?;
    /// assert!(key.to_spki_pem().contains("MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs="));
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn to_spki_pem(&self) -> String {
        let mut der = SPKI_PREFIX.to_vec();
        der.extend_from_slice(&self.bytes);
        crate::key_format::pem_encode("PUBLIC KEY", &der)
    }

    /// The public JWK, with `kid` = the thumbprint.
    ///
    /// ```
    /// let key = idpkit::agent::AgentKey::generate()?;
    /// let jwk = key.public_key().to_jwk();
    /// assert!(!jwk.contains("\"d\""));
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn to_jwk(&self) -> String {
        format!(
            r#"{{"kty":"OKP","crv":"Ed25519","kid":"{}","x":"{}"}}"#,
            self.thumbprint,
            self.to_base64url()
        )
    }

    /// Whether `signature` is a valid Ed25519 signature of `message` by this key.
    ///
    /// ```
    /// let key = idpkit::agent::AgentKey::generate()?;
    /// assert!(!key.public_key().verify(b"m", &[0; 64]));
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.parsed
            .as_ref()
            .is_some_and(|k| k.verify_sig(message, signature).is_ok())
    }
}

impl fmt::Debug for AgentPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgentPublicKey")
            .field("key_id", &self.thumbprint)
            .finish()
    }
}

impl PartialEq for AgentPublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for AgentPublicKey {}

/// The members of an OKP JWK idpkit reads.
#[derive(serde::Deserialize)]
struct Jwk {
    kty: String,
    crv: String,
    x: Option<String>,
    d: Option<Zeroizing<String>>,
}

impl Jwk {
    fn parse(json: &str) -> crate::Result<Jwk> {
        let jwk: Jwk = serde_json::from_str(json)
            .map_err(|_| SignatureError::InvalidKey("not a JWK (JSON object with kty, crv)"))?;
        if jwk.kty != "OKP" || jwk.crv != "Ed25519" {
            return Err(SignatureError::InvalidKey("the JWK is not kty OKP, crv Ed25519").into());
        }
        Ok(jwk)
    }
}

/// The RFC 7638 thumbprint (SHA-256, base64url) of a public JWK already in its canonical form
/// (§3.2: the required members only, in lexicographic order, no whitespace). One home for the
/// agent keys and the DPoP keys.
pub(crate) fn jwk_thumbprint(canonical: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

/// base64url with optional padding (Authora re-pads and decodes leniently).
pub(crate) fn b64url(value: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(value.trim_end_matches('=')).ok()
}

/// The DER inside the first PEM block labelled `label`.
pub(crate) fn pem_block(pem: &str, label: &str) -> crate::Result<Zeroizing<Vec<u8>>> {
    crate::key_format::pem_decode(pem, |l| l == label).ok_or_else(|| {
        SignatureError::InvalidKey("no base64 PEM block with the expected label").into()
    })
}
