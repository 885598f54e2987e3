//! Making DPoP proofs (RFC 9449 §4): a JWT of type `dpop+jwt` with the public key in its header,
//! signed by the [`DpopKey`], naming the request it is for.

use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

use super::{DpopError, DpopKey};
use crate::clock::since_epoch;
use crate::oidc::pkce::random_urlsafe;
use crate::secret::AccessToken;

/// One DPoP proof to make: the request's method and URL, and for a resource request the access
/// token (its hash becomes `ath`) and the server's nonce if it gave one. Made fresh for every
/// request (and every retry): a unique `jti` (128 random bits) and `iat` from the time given.
///
/// ```
/// use std::time::SystemTime;
/// use idpkit::dpop::{DpopKey, DpopProof};
/// let key = DpopKey::generate_es256()?;
/// let at = idpkit::AccessToken::new("at-1");
/// let proof = DpopProof::new("GET", "https://api.example.com/v1/me?x=1#top")
///     .access_token(&at)
///     .nonce("server-nonce")
///     .sign(&key, SystemTime::now())?;
/// assert_eq!(proof.split('.').count(), 3);
/// # Ok::<(), idpkit::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
#[must_use]
pub struct DpopProof<'a> {
    method: &'a str,
    url: &'a str,
    access_token: Option<&'a AccessToken>,
    nonce: Option<&'a str>,
    jti: Option<&'a str>,
}

#[derive(Serialize)]
struct Claims<'a> {
    jti: &'a str,
    htm: &'a str,
    htu: &'a str,
    iat: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    ath: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
}

impl<'a> DpopProof<'a> {
    /// A proof for `method` on `url` (its query and fragment are left out of `htu`, §4.2).
    ///
    /// ```
    /// let proof = idpkit::dpop::DpopProof::new("POST", "https://op.example/token");
    /// ```
    pub fn new(method: &'a str, url: &'a str) -> Self {
        DpopProof {
            method,
            url,
            access_token: None,
            nonce: None,
            jti: None,
        }
    }

    /// The access token sent with the proof: `ath` is its SHA-256 (resource requests, §7).
    ///
    /// ```
    /// let at = idpkit::AccessToken::new("at");
    /// let proof = idpkit::dpop::DpopProof::new("GET", "https://api.example/x").access_token(&at);
    /// ```
    pub fn access_token(mut self, token: &'a AccessToken) -> Self {
        self.access_token = Some(token);
        self
    }

    /// The nonce the server gave in its `DPoP-Nonce` header (§8, §9).
    ///
    /// ```
    /// let proof = idpkit::dpop::DpopProof::new("POST", "https://op.example/token").nonce("n-1");
    /// ```
    pub fn nonce(mut self, nonce: &'a str) -> Self {
        self.nonce = Some(nonce);
        self
    }

    /// A chosen `jti` instead of a random one (for tests; a real proof's `jti` must be unique).
    ///
    /// ```
    /// let proof = idpkit::dpop::DpopProof::new("POST", "https://op.example/token").jti("fixed");
    /// ```
    pub fn jti(mut self, jti: &'a str) -> Self {
        self.jti = Some(jti);
        self
    }

    /// Signs the proof with `key` at `now`: the compact JWS to send in the `DPoP` header.
    ///
    /// # Errors
    ///
    /// [`DpopError::InvalidRequest`] for an empty method or a URL without scheme and host;
    /// [`DpopError::InvalidKey`] if the key cannot sign.
    ///
    /// ```
    /// use idpkit::dpop::{DpopKey, DpopProof};
    /// let key = DpopKey::generate_ed25519()?;
    /// assert!(DpopProof::new("GET", "not a url").sign(&key, std::time::SystemTime::now()).is_err());
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn sign(&self, key: &DpopKey, now: SystemTime) -> crate::Result<String> {
        if self.method.is_empty() || !self.method.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(DpopError::InvalidRequest("the method is empty or not a token").into());
        }
        let htu = htu_of(self.url)?;
        let random;
        let jti = match self.jti {
            Some(jti) => jti,
            None => {
                random = random_urlsafe(16);
                &random
            }
        };
        let claims = Claims {
            jti,
            htm: self.method,
            htu: &htu,
            iat: since_epoch(now).as_secs(),
            ath: self
                .access_token
                .map(|t| access_token_hash(t.expose_secret())),
            nonce: self.nonce,
        };
        let header = format!(
            r#"{{"typ":"dpop+jwt","alg":"{}","jwk":{}}}"#,
            key.algorithm(),
            key.public_jwk()
        );
        let claims = serde_json::to_vec(&claims)
            .map_err(|_| DpopError::InvalidRequest("the claims cannot be serialised"))?;
        let mut jws = URL_SAFE_NO_PAD.encode(header.as_bytes());
        jws.push('.');
        jws.push_str(&URL_SAFE_NO_PAD.encode(claims));
        let signature = key.sign(jws.as_bytes())?;
        jws.push('.');
        jws.push_str(&URL_SAFE_NO_PAD.encode(signature));
        Ok(jws)
    }
}

/// `ath` (RFC 9449 §4.2): base64url of the SHA-256 of the access token's ASCII.
///
/// ```
/// // RFC 9449 §7.1's example token and hash.
/// assert_eq!(
///     idpkit::dpop::access_token_hash("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
///     "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo",
/// );
/// ```
pub fn access_token_hash(token: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

/// The `htu` of a request URL: the URL without query and fragment (§4.2), normalised by the URL
/// parser (scheme and host lower case, default port dropped).
pub(crate) fn htu_of(url: &str) -> crate::Result<String> {
    let mut url =
        url::Url::parse(url).map_err(|_| DpopError::InvalidRequest("the URL cannot be parsed"))?;
    if !url.has_host() || !matches!(url.scheme(), "http" | "https") {
        return Err(DpopError::InvalidRequest("the URL is not http(s) with a host").into());
    }
    url.set_query(None);
    url.set_fragment(None);
    Ok(url.into())
}
