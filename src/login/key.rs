//! [`LoginKey`]: one login type's signing key (HS256, RS256, ES256 or EdDSA), with its
//! verification key and, for the asymmetric ones, its public JWK.

use std::fmt;

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair,
    RsaPublicKeyComponents,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use serde_json::{Map, Value, json};

use super::LoginError;

/// The shortest HMAC secret accepted: 32 bytes, the output size of SHA-256 (RFC 7518 §3.2).
pub const MIN_HMAC_SECRET_LEN: usize = 32;

/// A login type's signing key: its algorithm, the key that signs, the key that verifies and,
/// for RS256 / ES256 / EdDSA, the public key as a JWK (RFC 7517) for other services.
///
/// `Debug` shows the algorithm only, never key material.
///
/// ```
/// use idpkit::login::LoginKey;
/// use jsonwebtoken::Algorithm;
/// let key = LoginKey::hs256(b"a-secret-of-at-least-thirty-two-bytes!")?;
/// assert_eq!(key.algorithm(), Algorithm::HS256);
/// assert_eq!(format!("{key:?}"), "LoginKey { algorithm: HS256, .. }");
/// assert!(LoginKey::hs256(b"short").is_err());
/// # Ok::<(), idpkit::login::LoginError>(())
/// ```
#[derive(Clone)]
pub struct LoginKey {
    alg: Algorithm,
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// The public JWK members (`kty`, `crv`, `n`, `e`, `x`, `y`); `None` for HMAC.
    public: Option<Map<String, Value>>,
}

impl fmt::Debug for LoginKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginKey")
            .field("algorithm", &self.alg)
            .finish_non_exhaustive()
    }
}

fn bad_key(what: &str) -> LoginError {
    LoginError::Config(format!("unusable key: {what}"))
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

impl LoginKey {
    /// An HS256 key from a shared secret of at least [`MIN_HMAC_SECRET_LEN`] bytes (AuthX's
    /// `JWT_SECRET_KEY`; the same secret on both sides makes tokens interchangeable).
    ///
    /// # Errors
    ///
    /// [`LoginError::Config`] for a secret shorter than 32 bytes.
    ///
    /// ```
    /// let key = idpkit::login::LoginKey::hs256("0123456789abcdef0123456789abcdef")?;
    /// # Ok::<(), idpkit::login::LoginError>(())
    /// ```
    pub fn hs256(secret: impl AsRef<[u8]>) -> Result<Self, LoginError> {
        let secret = secret.as_ref();
        if secret.len() < MIN_HMAC_SECRET_LEN {
            return Err(bad_key("an HS256 secret needs at least 32 bytes"));
        }
        Ok(LoginKey {
            alg: Algorithm::HS256,
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            public: None,
        })
    }

    /// A new random key: 32 random bytes for HS256, a 2048-bit RSA key for RS256, a P-256 key
    /// for ES256, an Ed25519 key for EdDSA.
    ///
    /// # Errors
    ///
    /// [`LoginError::Config`] for another algorithm, or if the system's random generator fails.
    ///
    /// ```
    /// use idpkit::login::LoginKey;
    /// use jsonwebtoken::Algorithm;
    /// let key = LoginKey::generate(Algorithm::EdDSA)?;
    /// assert_eq!(key.jwk("k1").unwrap()["crv"], "Ed25519");
    /// # Ok::<(), idpkit::login::LoginError>(())
    /// ```
    pub fn generate(alg: Algorithm) -> Result<Self, LoginError> {
        let failed = |_| bad_key("key generation failed");
        match alg {
            Algorithm::HS256 => {
                let mut secret = zeroize::Zeroizing::new([0u8; MIN_HMAC_SECRET_LEN]);
                aws_lc_rs::rand::fill(&mut secret[..]).map_err(failed)?;
                LoginKey::hs256(&secret[..])
            }
            Algorithm::RS256 => {
                let pair =
                    RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).map_err(failed)?;
                let der = AsDer::<Pkcs8V1Der>::as_der(&pair).map_err(failed)?;
                LoginKey::from_pkcs8_der(alg, der.as_ref())
            }
            Algorithm::ES256 => {
                let pair =
                    EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).map_err(failed)?;
                let der = pair.to_pkcs8v1().map_err(failed)?;
                LoginKey::from_pkcs8_der(alg, der.as_ref())
            }
            Algorithm::EdDSA => {
                let pair = Ed25519KeyPair::generate().map_err(failed)?;
                let der = pair.to_pkcs8v1().map_err(failed)?;
                LoginKey::from_pkcs8_der(alg, der.as_ref())
            }
            other => Err(unsupported(other)),
        }
    }

    /// A private key in PKCS#8 DER: RSA (2048 bits or more) for RS256, P-256 for ES256,
    /// Ed25519 for EdDSA.
    ///
    /// # Errors
    ///
    /// [`LoginError::Config`] when the key does not parse, is of another type, or the
    /// algorithm is not one of the three.
    ///
    /// ```
    /// use aws_lc_rs::signature::Ed25519KeyPair;
    /// use idpkit::login::LoginKey;
    /// let der = Ed25519KeyPair::generate().unwrap().to_pkcs8v1().unwrap();
    /// let key = LoginKey::from_pkcs8_der(jsonwebtoken::Algorithm::EdDSA, der.as_ref())?;
    /// assert!(LoginKey::from_pkcs8_der(jsonwebtoken::Algorithm::RS256, der.as_ref()).is_err());
    /// # Ok::<(), idpkit::login::LoginError>(())
    /// ```
    pub fn from_pkcs8_der(alg: Algorithm, der: &[u8]) -> Result<Self, LoginError> {
        match alg {
            Algorithm::RS256 => {
                let pair = RsaKeyPair::from_pkcs8(der).map_err(|_| bad_key("not an RSA key"))?;
                if pair.public_modulus_len() < 256 {
                    return Err(bad_key("an RSA key needs at least 2048 bits"));
                }
                let public = RsaPublicKeyComponents::<Vec<u8>>::from(pair.public_key());
                let pkcs1 = crate::key_format::pkcs8_rsa_key(der)
                    .ok_or_else(|| bad_key("malformed PKCS#8"))?;
                let mut jwk = Map::new();
                jwk.insert("kty".into(), "RSA".into());
                jwk.insert("n".into(), b64(&public.n).into());
                jwk.insert("e".into(), b64(&public.e).into());
                Ok(LoginKey {
                    alg,
                    encoding: EncodingKey::from_rsa_der(pkcs1),
                    decoding: DecodingKey::from_rsa_raw_components(&public.n, &public.e),
                    public: Some(jwk),
                })
            }
            Algorithm::ES256 => {
                let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
                    .map_err(|_| bad_key("not a P-256 key"))?;
                let point = pair.public_key().as_ref();
                let (Some(&4), true) = (point.first(), point.len() == 65) else {
                    return Err(bad_key("not an uncompressed P-256 point"));
                };
                let (x, y) = (b64(&point[1..33]), b64(&point[33..]));
                let decoding = DecodingKey::from_ec_components(&x, &y)
                    .map_err(|_| bad_key("not a P-256 key"))?;
                let mut jwk = Map::new();
                jwk.insert("kty".into(), "EC".into());
                jwk.insert("crv".into(), "P-256".into());
                jwk.insert("x".into(), x.into());
                jwk.insert("y".into(), y.into());
                Ok(LoginKey {
                    alg,
                    encoding: EncodingKey::from_ec_der(der),
                    decoding,
                    public: Some(jwk),
                })
            }
            Algorithm::EdDSA => {
                let pair =
                    Ed25519KeyPair::from_pkcs8(der).map_err(|_| bad_key("not an Ed25519 key"))?;
                let x = b64(pair.public_key().as_ref());
                let decoding = DecodingKey::from_ed_components(&x)
                    .map_err(|_| bad_key("not an Ed25519 key"))?;
                let mut jwk = Map::new();
                jwk.insert("kty".into(), "OKP".into());
                jwk.insert("crv".into(), "Ed25519".into());
                jwk.insert("x".into(), x.into());
                Ok(LoginKey {
                    alg,
                    encoding: EncodingKey::from_ed_der(der),
                    decoding,
                    public: Some(jwk),
                })
            }
            other => Err(unsupported(other)),
        }
    }

    /// A private key in PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), as
    /// `openssl genpkey` writes it; see [`from_pkcs8_der`](Self::from_pkcs8_der).
    ///
    /// # Errors
    ///
    /// [`LoginError::Config`] when the text is not one PKCS#8 PEM block or the key is unusable.
    ///
    /// ```
    /// let pem = "-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n";
    /// assert!(idpkit::login::LoginKey::from_pkcs8_pem(jsonwebtoken::Algorithm::ES256, pem).is_err());
    /// ```
    pub fn from_pkcs8_pem(alg: Algorithm, pem: &str) -> Result<Self, LoginError> {
        let der = crate::key_format::pem_decode(pem, |label| label == "PRIVATE KEY")
            .ok_or_else(|| bad_key("expected a base64 PKCS#8 PEM block (BEGIN PRIVATE KEY)"))?;
        LoginKey::from_pkcs8_der(alg, &der)
    }

    /// The algorithm this key signs with.
    ///
    /// ```
    /// # let key = idpkit::login::LoginKey::generate(jsonwebtoken::Algorithm::ES256)?;
    /// assert_eq!(key.algorithm(), jsonwebtoken::Algorithm::ES256);
    /// # Ok::<(), idpkit::login::LoginError>(())
    /// ```
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The public key as a JWK with this `kid`, `alg` and `use: sig`; `None` for HS256 (a
    /// shared secret is never published).
    ///
    /// ```
    /// use idpkit::login::LoginKey;
    /// let key = LoginKey::generate(jsonwebtoken::Algorithm::ES256)?;
    /// let jwk = key.jwk("users-1").unwrap();
    /// assert_eq!((jwk["kty"].as_str(), jwk["kid"].as_str(), jwk["alg"].as_str()), (Some("EC"), Some("users-1"), Some("ES256")));
    /// assert!(!jwk.as_object().unwrap().contains_key("d"));
    /// assert!(LoginKey::generate(jsonwebtoken::Algorithm::HS256)?.jwk("k").is_none());
    /// # Ok::<(), idpkit::login::LoginError>(())
    /// ```
    pub fn jwk(&self, kid: &str) -> Option<Value> {
        let mut jwk = self.public.clone()?;
        jwk.insert("kid".into(), kid.into());
        jwk.insert("alg".into(), json!(self.alg));
        jwk.insert("use".into(), "sig".into());
        Some(Value::Object(jwk))
    }

    pub(crate) fn encoding_key(&self) -> &EncodingKey {
        &self.encoding
    }

    pub(crate) fn decoding_key(&self) -> &DecodingKey {
        &self.decoding
    }
}

fn unsupported(alg: Algorithm) -> LoginError {
    LoginError::Config(format!(
        "algorithm {alg:?} is not supported for login types (HS256, RS256, ES256, EdDSA)"
    ))
}
