//! Client authentication with a JWT (RFC 7523 §2.2, OpenID Connect Core §9):
//! `private_key_jwt` (an assertion signed with the client's private key,
//! [`ClientAssertionKey`]) and `client_secret_jwt` (an HS256 assertion keyed by the client
//! secret), each made fresh for every request: unique `jti`, `iat` from the injected clock, a
//! short `exp`, `aud` = the provider's issuer identifier (what RFC 7523bis recommends; node-oidc-provider
//! also accepts the endpoint URL).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

use crate::clock::{Clock, since_epoch};
use crate::error::{Error, Result};
use crate::key_format::{pem_decode, pkcs8_rsa_key};
use crate::oidc::pkce::random_urlsafe;
use crate::secret::ClientSecret;

/// `client_assertion_type` for a JWT (RFC 7523 §2.2).
pub const JWT_BEARER_ASSERTION_TYPE: &str =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The default lifetime of an assertion: one minute.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(60);

/// The client's private key for `private_key_jwt`: RS256/384/512 or PS256/384/512 (RSA),
/// ES256/ES384 (EC P-256/P-384) or EdDSA (Ed25519), with the `kid` the provider knows it by.
///
/// The key material lives in a [`jsonwebtoken::EncodingKey`], zeroized when the last clone is
/// dropped; `Debug` shows the algorithm and `kid` only.
///
/// ```
/// use jsonwebtoken::Algorithm;
/// use aws_lc_rs::signature::Ed25519KeyPair;
/// let der = Ed25519KeyPair::generate().unwrap().to_pkcs8v1().unwrap();
/// let key = idpkit::oidc::ClientAssertionKey::from_der(Algorithm::EdDSA, der.as_ref())?.with_kid("k1");
/// assert_eq!(key.kid(), Some("k1"));
/// assert_eq!(format!("{key:?}"), r#"ClientAssertionKey { algorithm: EdDSA, kid: Some("k1"), key: "[redacted]" }"#);
/// # Ok::<(), idpkit::Error>(())
/// ```
#[derive(Clone)]
pub struct ClientAssertionKey {
    algorithm: Algorithm,
    kid: Option<String>,
    key: Arc<EncodingKey>,
}

impl ClientAssertionKey {
    /// A key from PEM for `algorithm`: PKCS#8 (`PRIVATE KEY`) for every kind, PKCS#1
    /// (`RSA PRIVATE KEY`) for RSA too. The decoded copy is zeroized once the key is built.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) when the algorithm is not an asymmetric
    /// signing algorithm, the PEM does not hold a key of its kind, or the key cannot sign with
    /// it (an EC key of another curve). The message never quotes the key.
    ///
    /// ```
    /// use jsonwebtoken::Algorithm;
    /// let err = idpkit::oidc::ClientAssertionKey::from_pem(Algorithm::ES256, b"not a key").unwrap_err();
    /// assert!(matches!(err.kind(), idpkit::ErrorKind::Config { .. }));
    /// ```
    pub fn from_pem(algorithm: Algorithm, pem: &[u8]) -> Result<Self> {
        family(algorithm)?;
        let der = std::str::from_utf8(pem)
            .ok()
            .and_then(|pem| pem_decode(pem, |label| label.ends_with("PRIVATE KEY")))
            .ok_or_else(|| unusable(algorithm))?;
        Self::from_der(algorithm, &der)
    }

    /// A key from DER: PKCS#8 for every kind, PKCS#1 for RSA too.
    ///
    /// # Errors
    ///
    /// As [`from_pem`](Self::from_pem).
    ///
    /// ```
    /// use jsonwebtoken::Algorithm;
    /// assert!(idpkit::oidc::ClientAssertionKey::from_der(Algorithm::RS256, b"\x30\x00").is_err());
    /// ```
    pub fn from_der(algorithm: Algorithm, der: &[u8]) -> Result<Self> {
        let key = match family(algorithm)? {
            Family::Rsa => match pkcs8_rsa_key(der) {
                Some(pkcs1) => EncodingKey::from_rsa_der(pkcs1),
                None => EncodingKey::from_rsa_der(der),
            },
            Family::Ec => EncodingKey::from_ec_der(der),
            Family::Ed => EncodingKey::from_ed_der(der),
        };
        Self::checked(algorithm, key)
    }

    /// The same key, announced with this `kid` in the assertion's header.
    ///
    /// ```
    /// # use aws_lc_rs::signature::Ed25519KeyPair;
    /// # let der = Ed25519KeyPair::generate().unwrap().to_pkcs8v1().unwrap();
    /// let key = idpkit::oidc::ClientAssertionKey::from_der(jsonwebtoken::Algorithm::EdDSA, der.as_ref())?.with_kid("2026-01");
    /// assert_eq!(key.kid(), Some("2026-01"));
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// The signing algorithm.
    ///
    /// ```
    /// # use aws_lc_rs::signature::Ed25519KeyPair;
    /// # let der = Ed25519KeyPair::generate().unwrap().to_pkcs8v1().unwrap();
    /// let key = idpkit::oidc::ClientAssertionKey::from_der(jsonwebtoken::Algorithm::EdDSA, der.as_ref())?;
    /// assert_eq!(key.algorithm(), jsonwebtoken::Algorithm::EdDSA);
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The key id, if set.
    ///
    /// ```
    /// # use aws_lc_rs::signature::Ed25519KeyPair;
    /// # let der = Ed25519KeyPair::generate().unwrap().to_pkcs8v1().unwrap();
    /// let key = idpkit::oidc::ClientAssertionKey::from_der(jsonwebtoken::Algorithm::EdDSA, der.as_ref())?;
    /// assert_eq!(key.kid(), None);
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// A key that signs: one signature is made now, so a wrong key fails here, not at the first
    /// request.
    fn checked(algorithm: Algorithm, key: EncodingKey) -> Result<Self> {
        jsonwebtoken::crypto::sign(b"idpkit key check", &key, algorithm)
            .map_err(|_| unusable(algorithm))?;
        Ok(ClientAssertionKey {
            algorithm,
            kid: None,
            key: Arc::new(key),
        })
    }
}

enum Family {
    Rsa,
    Ec,
    Ed,
}

fn family(algorithm: Algorithm) -> Result<Family> {
    use Algorithm::*;
    match algorithm {
        RS256 | RS384 | RS512 | PS256 | PS384 | PS512 => Ok(Family::Rsa),
        ES256 | ES384 => Ok(Family::Ec),
        EdDSA => Ok(Family::Ed),
        other => Err(Error::config(format!(
            "{other:?} is not an asymmetric signing algorithm for private_key_jwt"
        ))),
    }
}

fn unusable(algorithm: Algorithm) -> Error {
    Error::config(format!(
        "the private key is not a valid key for {algorithm:?}"
    ))
}

impl fmt::Debug for ClientAssertionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientAssertionKey")
            .field("algorithm", &self.algorithm)
            .field("kid", &self.kid)
            .field("key", &"[redacted]")
            .finish()
    }
}

/// Two keys are equal when they are clones of one key.
impl PartialEq for ClientAssertionKey {
    fn eq(&self, other: &Self) -> bool {
        self.algorithm == other.algorithm
            && self.kid == other.kid
            && Arc::ptr_eq(&self.key, &other.key)
    }
}

impl Eq for ClientAssertionKey {}

/// How the client's assertions are made: for whom (`aud`), for how long, by which clock.
///
/// ```
/// use std::time::Duration;
/// let assertion = idpkit::oidc::JwtAssertion::new("https://op.example");
/// assert_eq!(assertion.audience, "https://op.example");
/// assert_eq!(assertion.lifetime, Duration::from_secs(60));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct JwtAssertion {
    /// The `aud` claim: the provider's issuer identifier.
    pub audience: String,
    /// From `iat` to `exp` (default one minute).
    pub lifetime: Duration,
    /// Where `iat` comes from (the client's clock).
    pub clock: Clock,
}

impl JwtAssertion {
    /// Assertions for `audience`, valid one minute, on the system clock.
    ///
    /// ```
    /// let assertion = idpkit::oidc::JwtAssertion::new("https://op.example");
    /// ```
    pub fn new(audience: impl Into<String>) -> Self {
        JwtAssertion {
            audience: audience.into(),
            lifetime: DEFAULT_LIFETIME,
            clock: Clock::default(),
        }
    }

    /// The same settings on this clock.
    ///
    /// ```
    /// let assertion = idpkit::oidc::JwtAssertion::new("https://op.example").with_clock(idpkit::Clock::default());
    /// ```
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Signs a fresh assertion for `client_id` with `key` (RFC 7523 §3): `iss` = `sub` = the
    /// client id, `aud`, a random `jti` (128 bits), `iat`, `exp` = `iat` + lifetime.
    pub(crate) fn sign(
        &self,
        client_id: &str,
        algorithm: Algorithm,
        kid: Option<&str>,
        key: &EncodingKey,
    ) -> Result<String> {
        #[derive(Serialize)]
        struct Claims<'a> {
            iss: &'a str,
            sub: &'a str,
            aud: &'a str,
            jti: String,
            iat: u64,
            exp: u64,
        }
        let iat = since_epoch(self.clock.now()).as_secs();
        let claims = Claims {
            iss: client_id,
            sub: client_id,
            aud: &self.audience,
            jti: random_urlsafe(16),
            iat,
            exp: iat.saturating_add(self.lifetime.as_secs().max(1)),
        };
        let mut header = Header::new(algorithm);
        header.kid = kid.map(str::to_owned);
        jsonwebtoken::encode(&header, &claims, key).map_err(|_| {
            Error::config(format!("cannot sign a client assertion with {algorithm:?}"))
        })
    }
}

/// Equal when they make the same assertions (the clock is not compared).
impl PartialEq for JwtAssertion {
    fn eq(&self, other: &Self) -> bool {
        self.audience == other.audience && self.lifetime == other.lifetime
    }
}

impl Eq for JwtAssertion {}

/// The `client_assertion` of `client_secret_jwt`: HS256 keyed by the secret's bytes.
pub(crate) fn secret_assertion(
    assertion: &JwtAssertion,
    client_id: &str,
    secret: &ClientSecret,
) -> Result<String> {
    let key = EncodingKey::from_secret(secret.expose_secret().as_bytes());
    assertion.sign(client_id, Algorithm::HS256, None, &key)
}

/// The `client_assertion` of `private_key_jwt`.
pub(crate) fn key_assertion(
    assertion: &JwtAssertion,
    client_id: &str,
    key: &ClientAssertionKey,
) -> Result<String> {
    assertion.sign(client_id, key.algorithm, key.kid(), &key.key)
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
    use aws_lc_rs::rsa;
    use aws_lc_rs::signature::{
        ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair,
        Ed25519KeyPair, KeyPair as _,
    };
    use base64::Engine as _;
    use jsonwebtoken::{DecodingKey, Validation};
    use serde_json::Value;

    use super::*;
    use crate::error::ErrorKind;
    use crate::oidc::{AuthMethod, ClientAuth, ProviderMetadata};

    const NOW: u64 = 1_700_000_000;

    fn assertion() -> JwtAssertion {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(NOW);
        JwtAssertion::new("https://op.example").with_clock(Clock::new(move || now))
    }

    fn pem(label: &str, der: &[u8]) -> String {
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!(
            "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
            lines.join("\n")
        )
    }

    /// Verifies `token` with `key`, returning its header and claims.
    fn verify(token: &str, key: &DecodingKey, alg: Algorithm) -> (jsonwebtoken::Header, Value) {
        let mut validation = Validation::new(alg);
        validation.set_audience(&["https://op.example"]);
        validation.validate_exp = false;
        let data = jsonwebtoken::decode::<Value>(token, key, &validation).expect("verifies");
        (data.header, data.claims)
    }

    fn check_claims(claims: &Value) {
        assert_eq!(claims["iss"], "app");
        assert_eq!(claims["sub"], "app");
        assert_eq!(claims["aud"], "https://op.example");
        assert_eq!(claims["iat"], NOW);
        assert_eq!(claims["exp"], NOW + 60);
        assert!(claims["jti"].as_str().unwrap().len() >= 22);
    }

    #[test]
    fn rsa_keys_from_pkcs8_and_pkcs1_sign_verifiable_assertions() {
        let pair = rsa::KeyPair::generate(rsa::KeySize::Rsa2048).unwrap();
        let pkcs8 = AsDer::<Pkcs8V1Der>::as_der(&pair).unwrap();
        let pkcs1 = pkcs8_rsa_key(pkcs8.as_ref()).unwrap().to_vec();
        let public = DecodingKey::from_rsa_der(pair.public_key().as_ref());
        let keys = [
            ClientAssertionKey::from_der(Algorithm::RS256, pkcs8.as_ref()).unwrap(),
            ClientAssertionKey::from_der(Algorithm::RS256, &pkcs1).unwrap(),
            ClientAssertionKey::from_pem(
                Algorithm::RS256,
                pem("PRIVATE KEY", pkcs8.as_ref()).as_bytes(),
            )
            .unwrap(),
            ClientAssertionKey::from_pem(
                Algorithm::PS256,
                pem("RSA PRIVATE KEY", &pkcs1).as_bytes(),
            )
            .unwrap(),
        ];
        let mut jtis = std::collections::HashSet::new();
        for key in keys {
            let key = key.with_kid("rsa-1");
            let token = key_assertion(&assertion(), "app", &key).unwrap();
            let (header, claims) = verify(&token, &public, key.algorithm());
            assert_eq!(header.kid.as_deref(), Some("rsa-1"));
            check_claims(&claims);
            assert!(jtis.insert(claims["jti"].as_str().unwrap().to_owned()));
            assert!(!format!("{key:?}").contains(&token[..10]));
        }
    }

    #[test]
    fn ec_and_ed25519_keys_sign_verifiable_assertions() {
        let ec = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
        let key = ClientAssertionKey::from_pem(
            Algorithm::ES256,
            pem("PRIVATE KEY", ec.to_pkcs8v1().unwrap().as_ref()).as_bytes(),
        )
        .unwrap();
        let token = key_assertion(&assertion(), "app", &key).unwrap();
        let public = DecodingKey::from_ec_der(ec.public_key().as_ref());
        let (header, claims) = verify(&token, &public, Algorithm::ES256);
        assert_eq!(header.kid, None);
        check_claims(&claims);

        let ed = Ed25519KeyPair::generate().unwrap();
        let key = ClientAssertionKey::from_der(Algorithm::EdDSA, ed.to_pkcs8v1().unwrap().as_ref())
            .unwrap()
            .with_kid("ed");
        let token = key_assertion(&assertion(), "app", &key).unwrap();
        let public = DecodingKey::from_ed_der(ed.public_key().as_ref());
        check_claims(&verify(&token, &public, Algorithm::EdDSA).1);
    }

    #[test]
    fn client_secret_jwt_is_hs256_with_the_secret() {
        let secret = ClientSecret::new("a-long-enough-client-secret-for-hs256");
        let token = secret_assertion(&assertion(), "app", &secret).unwrap();
        let key = DecodingKey::from_secret(secret.expose_secret().as_bytes());
        let (header, claims) = verify(&token, &key, Algorithm::HS256);
        assert_eq!(header.alg, Algorithm::HS256);
        check_claims(&claims);
    }

    #[test]
    fn unusable_keys_are_config_errors_that_never_quote_the_key() {
        let ec = EcdsaKeyPair::generate(&ECDSA_P384_SHA384_FIXED_SIGNING).unwrap();
        let p384 = ec.to_pkcs8v1().unwrap();
        let p384_pem = pem("PRIVATE KEY", p384.as_ref());
        let cases: Vec<(Algorithm, Vec<u8>)> = vec![
            (Algorithm::ES256, p384_pem.clone().into_bytes()),
            (Algorithm::RS256, p384_pem.clone().into_bytes()),
            (Algorithm::HS256, p384_pem.clone().into_bytes()),
            (Algorithm::EdDSA, b"not a key".to_vec()),
            (
                Algorithm::ES384,
                pem("PUBLIC KEY", p384.as_ref()).into_bytes(),
            ),
            (
                Algorithm::ES384,
                b"-----BEGIN PRIVATE KEY-----\n!!\n-----END PRIVATE KEY-----".to_vec(),
            ),
            (Algorithm::ES384, vec![0xff; 10]),
        ];
        for (alg, input) in cases {
            let err = ClientAssertionKey::from_pem(alg, &input).unwrap_err();
            assert!(matches!(err.kind(), ErrorKind::Config { .. }), "{alg:?}");
            assert!(!err.to_string().contains("BEGIN"), "{err}");
        }
        assert!(ClientAssertionKey::from_pem(Algorithm::ES384, p384_pem.as_bytes()).is_ok());
        for der in [
            &[][..],
            &[0x30],
            &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
            &[0x30, 0x80],
        ] {
            assert!(ClientAssertionKey::from_der(Algorithm::RS256, der).is_err());
            assert_eq!(pkcs8_rsa_key(der), None);
        }
    }

    #[test]
    fn select_rules() {
        let metadata = |methods: &[&str], algs: &[&str]| -> ProviderMetadata {
            serde_json::from_value(serde_json::json!({
                "issuer": "https://op.example", "authorization_endpoint": "https://op.example/a",
                "jwks_uri": "https://op.example/j",
                "token_endpoint_auth_methods_supported": methods,
                "token_endpoint_auth_signing_alg_values_supported": algs,
            }))
            .unwrap()
        };
        let ed = Ed25519KeyPair::generate().unwrap();
        let key = ClientAssertionKey::from_der(Algorithm::EdDSA, ed.to_pkcs8v1().unwrap().as_ref())
            .unwrap();
        let secret = || Some(ClientSecret::new("s"));
        let select = |secret, key: Option<&ClientAssertionKey>, preferred, m: &ProviderMetadata| {
            ClientAuth::select("app", secret, key.cloned(), preferred, m, assertion())
        };
        let all = metadata(
            &[
                "client_secret_basic",
                "client_secret_jwt",
                "private_key_jwt",
            ],
            &["HS256", "EdDSA"],
        );
        let ok = [
            (None, Some(&key), None, &all, AuthMethod::PrivateKeyJwt),
            (
                secret(),
                Some(&key),
                Some(AuthMethod::PrivateKeyJwt),
                &all,
                AuthMethod::PrivateKeyJwt,
            ),
            (secret(), None, None, &all, AuthMethod::ClientSecretBasic),
            (
                secret(),
                None,
                Some(AuthMethod::ClientSecretJwt),
                &all,
                AuthMethod::ClientSecretJwt,
            ),
            (None, None, None, &all, AuthMethod::None),
        ];
        for (secret, key, preferred, m, expected) in ok {
            let auth = select(secret, key, preferred, m).unwrap();
            assert_eq!(auth.method(), expected, "{preferred:?}");
        }
        let jwt_only = metadata(&["client_secret_jwt", "none"], &[]);
        assert_eq!(
            select(secret(), None, None, &jwt_only).unwrap().method(),
            AuthMethod::ClientSecretJwt
        );
        let unlisted = metadata(&["client_secret_basic"], &[]);
        let no_eddsa = metadata(&["private_key_jwt", "client_secret_jwt"], &["RS256"]);
        let errors = [
            (None, Some(&key), None, &unlisted),
            (None, Some(&key), None, &no_eddsa),
            (
                secret(),
                Some(&key),
                Some(AuthMethod::ClientSecretBasic),
                &all,
            ),
            (secret(), None, Some(AuthMethod::PrivateKeyJwt), &all),
            (None, None, Some(AuthMethod::ClientSecretJwt), &all),
            (secret(), None, Some(AuthMethod::ClientSecretJwt), &unlisted),
            (secret(), None, Some(AuthMethod::ClientSecretJwt), &no_eddsa),
        ];
        for (secret, key, preferred, m) in errors {
            let err = select(secret, key, preferred, m).unwrap_err();
            assert!(
                matches!(err.kind(), ErrorKind::Config { .. }),
                "{preferred:?}"
            );
        }
        // `choose` alone cannot make JWT assertions.
        let err = ClientAuth::choose("app", secret(), Some(AuthMethod::ClientSecretJwt), &[]);
        assert!(err.is_err());
        // Debug shows neither secret nor key; equality is by key identity.
        let auth = select(secret(), Some(&key), None, &all).unwrap();
        assert_eq!(auth, auth.clone());
        assert!(!format!("{auth:?}").contains("\"s\""));
    }
}
