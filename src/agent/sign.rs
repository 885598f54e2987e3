//! The RFC 9421 signer: covered components, signature parameters, `Signature-Input` /
//! `Signature` fields, and the RFC 9530 `Content-Digest` of the body.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use http::HeaderValue;

use super::base::write_base;
use super::sfv::{is_key, write_string};
use super::{AgentKey, SignatureError};
use crate::clock::since_epoch;
use crate::http::HttpRequest;

/// The `Content-Digest` algorithm (RFC 9530 §5).
///
/// ```
/// use idpkit::agent::DigestAlgorithm;
/// assert_eq!(DigestAlgorithm::default(), DigestAlgorithm::Sha256);
/// assert_eq!(DigestAlgorithm::Sha512.content_digest(b""), "sha-512=:z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==:");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum DigestAlgorithm {
    /// `sha-256` (the default).
    #[default]
    Sha256,
    /// `sha-512`.
    Sha512,
}

impl DigestAlgorithm {
    /// The algorithm's key in `Content-Digest`.
    ///
    /// ```
    /// assert_eq!(idpkit::agent::DigestAlgorithm::Sha256.key(), "sha-256");
    /// ```
    pub fn key(self) -> &'static str {
        match self {
            DigestAlgorithm::Sha256 => "sha-256",
            DigestAlgorithm::Sha512 => "sha-512",
        }
    }

    pub(crate) fn digest(self, body: &[u8]) -> aws_lc_rs::digest::Digest {
        let alg = match self {
            DigestAlgorithm::Sha256 => &aws_lc_rs::digest::SHA256,
            DigestAlgorithm::Sha512 => &aws_lc_rs::digest::SHA512,
        };
        aws_lc_rs::digest::digest(alg, body)
    }

    /// The `Content-Digest` field value for `body`: `sha-256=:<base64>:`.
    ///
    /// ```
    /// use idpkit::agent::DigestAlgorithm;
    /// assert_eq!(
    ///     DigestAlgorithm::Sha256.content_digest(br#"{"resource":"files:reports/q1.pdf","action":"read"}"#),
    ///     "sha-256=:+Dpetdbwjd5AhWTIeaaNcjzAzDX7v+of7uoDXPBXsl4=:",
    /// );
    /// ```
    pub fn content_digest(self, body: &[u8]) -> String {
        let mut out = String::with_capacity(100);
        out.push_str(self.key());
        out.push_str("=:");
        STANDARD.encode_string(self.digest(body), &mut out);
        out.push(':');
        out
    }
}

/// The parameters of one signature and the components it covers (RFC 9421 §2.3): the value of
/// its `Signature-Input` member and of `@signature-params`. Parameters serialise in the order
/// `created`, `keyid`, `alg`, `expires`, `nonce`, `tag`; absent ones are left out.
///
/// ```
/// use idpkit::agent::SignatureParams;
/// let params = SignatureParams {
///     components: vec!["@method".into(), "@path".into()],
///     created: Some(1618884473),
///     key_id: Some("test-key-ed25519".into()),
///     ..SignatureParams::default()
/// };
/// assert_eq!(
///     params.serialize()?,
///     r#"("@method" "@path");created=1618884473;keyid="test-key-ed25519""#,
/// );
/// # Ok::<(), idpkit::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignatureParams {
    /// The covered component identifiers, in order: derived ones (`@method`, `@authority`,
    /// `@path`, `@query`) and lowercase field names.
    pub components: Vec<String>,
    /// `created`: seconds since the Unix epoch.
    pub created: Option<u64>,
    /// `keyid`.
    pub key_id: Option<String>,
    /// `alg`, e.g. `ed25519`.
    pub alg: Option<String>,
    /// `expires`: seconds since the Unix epoch.
    pub expires: Option<u64>,
    /// `nonce`.
    pub nonce: Option<String>,
    /// `tag`.
    pub tag: Option<String>,
}

impl SignatureParams {
    /// The serialised inner list with its parameters (RFC 8941 §4.1.1.1).
    ///
    /// # Errors
    ///
    /// [`SignatureError::InvalidRequest`] for a parameter or component that is not printable
    /// ASCII.
    ///
    /// ```
    /// let params = idpkit::agent::SignatureParams::default();
    /// assert_eq!(params.serialize()?, "()");
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn serialize(&self) -> crate::Result<String> {
        let mut out = String::with_capacity(256);
        self.write(&mut out)?;
        Ok(out)
    }

    fn write(&self, out: &mut String) -> Result<(), SignatureError> {
        out.push('(');
        for (i, c) in self.components.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            write_string(out, c)?;
        }
        out.push(')');
        if let Some(created) = self.created {
            let _ = write!(out, ";created={created}");
        }
        for (name, value) in [("keyid", &self.key_id), ("alg", &self.alg)] {
            if let Some(value) = value {
                let _ = write!(out, ";{name}=");
                write_string(out, value)?;
            }
        }
        if let Some(expires) = self.expires {
            let _ = write!(out, ";expires={expires}");
        }
        for (name, value) in [("nonce", &self.nonce), ("tag", &self.tag)] {
            if let Some(value) = value {
                let _ = write!(out, ";{name}=");
                write_string(out, value)?;
            }
        }
        Ok(())
    }

    /// The signature base of `request` under these parameters (RFC 9421 §2.5).
    ///
    /// # Errors
    ///
    /// [`SignatureError::BadComponent`] for a covered field the request lacks, a duplicate or an
    /// unsupported derived component; [`SignatureError::InvalidRequest`] for a request without
    /// authority or with a non-ASCII covered value.
    ///
    /// ```
    /// use idpkit::agent::SignatureParams;
    /// let request = http::Request::get("https://example.com/a?b=c").body(Vec::new()).unwrap();
    /// let params = SignatureParams {
    ///     components: vec!["@authority".into(), "@query".into()],
    ///     ..SignatureParams::default()
    /// };
    /// assert_eq!(
    ///     params.signature_base(&request)?,
    ///     "\"@authority\": example.com\n\"@query\": ?b=c\n\"@signature-params\": (\"@authority\" \"@query\")",
    /// );
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn signature_base(&self, request: &HttpRequest) -> crate::Result<String> {
        let mut params = String::with_capacity(256);
        self.write(&mut params)?;
        let mut base = String::with_capacity(512);
        write_base(
            request,
            self.components.iter().map(String::as_str),
            &params,
            &mut base,
        )?;
        Ok(base)
    }
}

/// The two fields of one signature, ready to be sent.
///
/// ```
/// use idpkit::agent::{AgentKey, SignatureParams, SignatureFields};
/// let key = AgentKey::from_seed(&[1; 32])?;
/// let request = http::Request::get("https://example.com/").body(Vec::new()).unwrap();
/// let params = SignatureParams { components: vec!["@method".into()], ..Default::default() };
/// let fields = SignatureFields::sign(&key, "sig1", &params, &request)?;
/// assert!(fields.signature_input.starts_with("sig1=(\"@method\")"));
/// # Ok::<(), idpkit::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureFields {
    /// The `Signature-Input` value: `<label>=<params>`.
    pub signature_input: String,
    /// The `Signature` value: `<label>=:<base64 signature>:`.
    pub signature: String,
}

impl SignatureFields {
    /// Signs `request` under `params` with `key`, labelled `label`.
    ///
    /// # Errors
    ///
    /// As [`SignatureParams::signature_base`]; [`SignatureError::InvalidRequest`] for a label
    /// that is not a structured-field key.
    ///
    /// ```
    /// use idpkit::agent::{AgentKey, SignatureParams, SignatureFields};
    /// let key = AgentKey::from_seed(&[1; 32])?;
    /// let request = http::Request::get("https://example.com/").body(Vec::new()).unwrap();
    /// assert!(SignatureFields::sign(&key, "Bad Label", &SignatureParams::default(), &request).is_err());
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn sign(
        key: &AgentKey,
        label: &str,
        params: &SignatureParams,
        request: &HttpRequest,
    ) -> crate::Result<SignatureFields> {
        if !is_key(label) {
            return Err(
                SignatureError::InvalidRequest("the label is not a structured-field key").into(),
            );
        }
        let mut input = String::with_capacity(label.len() + 256);
        input.push_str(label);
        input.push('=');
        params.write(&mut input)?;
        let mut base = String::with_capacity(512);
        write_base(
            request,
            params.components.iter().map(String::as_str),
            &input[label.len() + 1..],
            &mut base,
        )?;
        let sig = key.sign(base.as_bytes());
        let mut signature = String::with_capacity(label.len() + 92);
        signature.push_str(label);
        signature.push_str("=:");
        STANDARD.encode_string(sig, &mut signature);
        signature.push(':');
        Ok(SignatureFields {
            signature_input: input,
            signature,
        })
    }
}

/// A fresh nonce: 128 random bits, base64url (22 characters).
///
/// # Errors
///
/// [`SignatureError::InvalidRequest`] if the random number generator fails.
///
/// ```
/// assert_eq!(idpkit::agent::random_nonce()?.len(), 22);
/// # Ok::<(), idpkit::Error>(())
/// ```
pub fn random_nonce() -> crate::Result<String> {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes)
        .map_err(|_| SignatureError::InvalidRequest("the random number generator failed"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// Signs requests as an agent: RFC 9421 over `@method`, `@authority`, `@path`, `@query`
/// (always; `?` alone when the URL has none, so no query can be appended), and, when there is
/// a body, `content-type` (if set) and `content-digest` (RFC 9530, set by the signer), plus any
/// configured extra fields. Parameters: `created`, `keyid` (default: the key's RFC 7638
/// thumbprint), `alg="ed25519"`, `expires` = `created` + lifetime (default 300 s), `nonce`, `tag`
/// (default `idpkit-agent`); label `sig1`.
///
/// Pure: the caller passes the time and the nonce (see [`random_nonce`]); every attempt of a
/// request needs a fresh pair.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use idpkit::agent::{AgentKey, RequestSigner};
/// let signer = RequestSigner::new(AgentKey::generate()?).tag(Some("my-agent"));
/// let mut request = http::Request::post("https://api.example.com/v1/items?dry_run=1")
///     .header("content-type", "application/json")
///     .body(br#"{"a":1}"#.to_vec())
///     .unwrap();
/// signer.sign(&mut request, SystemTime::now(), &idpkit::agent::random_nonce()?)?;
/// assert!(request.headers().contains_key("signature-input"));
/// assert!(request.headers().contains_key("content-digest"));
/// # Ok::<(), idpkit::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct RequestSigner {
    key: Arc<AgentKey>,
    key_id: String,
    label: String,
    tag: Option<String>,
    lifetime: Duration,
    digest: DigestAlgorithm,
    extra: Vec<String>,
}

impl RequestSigner {
    /// A signer with `key` and the defaults above.
    ///
    /// ```
    /// let key = idpkit::agent::AgentKey::generate()?;
    /// let id = key.key_id().to_owned();
    /// assert_eq!(idpkit::agent::RequestSigner::new(key).key_id_value(), id);
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn new(key: impl Into<Arc<AgentKey>>) -> RequestSigner {
        let key = key.into();
        RequestSigner {
            key_id: key.key_id().to_owned(),
            key,
            label: "sig1".to_owned(),
            tag: Some("idpkit-agent".to_owned()),
            lifetime: Duration::from_secs(300),
            digest: DigestAlgorithm::Sha256,
            extra: Vec::new(),
        }
    }

    /// The `keyid` to send instead of the thumbprint (e.g. the agent id the server knows).
    ///
    /// ```
    /// let key = idpkit::agent::AgentKey::generate()?;
    /// let signer = idpkit::agent::RequestSigner::new(key).key_id("agt_1");
    /// assert_eq!(signer.key_id_value(), "agt_1");
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    #[must_use]
    pub fn key_id(mut self, key_id: impl Into<String>) -> Self {
        self.key_id = key_id.into();
        self
    }

    /// The `keyid` this signer sends.
    ///
    /// ```
    /// let key = idpkit::agent::AgentKey::generate()?;
    /// assert_eq!(idpkit::agent::RequestSigner::new(key).key_id_value().len(), 43);
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn key_id_value(&self) -> &str {
        &self.key_id
    }

    /// The signature label (default `sig1`).
    ///
    /// ```
    /// let key = idpkit::agent::AgentKey::generate()?;
    /// let signer = idpkit::agent::RequestSigner::new(key).label("agent");
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    #[must_use]
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// The `tag` parameter (default `idpkit-agent`; `None` sends none).
    ///
    /// ```
    /// let key = idpkit::agent::AgentKey::generate()?;
    /// let signer = idpkit::agent::RequestSigner::new(key).tag(None::<String>);
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    #[must_use]
    pub fn tag(mut self, tag: Option<impl Into<String>>) -> Self {
        self.tag = tag.map(Into::into);
        self
    }

    /// How long a signature is valid: `expires` = `created` + this (default 300 s).
    ///
    /// ```
    /// let key = idpkit::agent::AgentKey::generate()?;
    /// let signer = idpkit::agent::RequestSigner::new(key).lifetime(std::time::Duration::from_secs(60));
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    #[must_use]
    pub fn lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime;
        self
    }

    /// The `Content-Digest` algorithm (default sha-256).
    ///
    /// ```
    /// use idpkit::agent::{AgentKey, DigestAlgorithm, RequestSigner};
    /// let signer = RequestSigner::new(AgentKey::generate()?).digest(DigestAlgorithm::Sha512);
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    #[must_use]
    pub fn digest(mut self, digest: DigestAlgorithm) -> Self {
        self.digest = digest;
        self
    }

    /// Also covers this field (e.g. `authorization`, `date`) when the request has it.
    ///
    /// ```
    /// let key = idpkit::agent::AgentKey::generate()?;
    /// let signer = idpkit::agent::RequestSigner::new(key).cover_field("Authorization");
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    #[must_use]
    pub fn cover_field(mut self, name: impl AsRef<str>) -> Self {
        self.extra.push(name.as_ref().to_ascii_lowercase());
        self
    }

    /// The parameters this signer uses for `request` at `created` with `nonce`.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// let key = idpkit::agent::AgentKey::generate()?;
    /// let signer = idpkit::agent::RequestSigner::new(key);
    /// let request = http::Request::get("https://example.com/").body(Vec::new()).unwrap();
    /// let t = SystemTime::UNIX_EPOCH + Duration::from_secs(100);
    /// let params = signer.params(&request, t, "n");
    /// assert_eq!(params.components, ["@method", "@authority", "@path", "@query"]);
    /// assert_eq!(params.expires, Some(400));
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn params(
        &self,
        request: &HttpRequest,
        created: SystemTime,
        nonce: &str,
    ) -> SignatureParams {
        let created = since_epoch(created).as_secs();
        let mut components: Vec<String> = super::base::DERIVED.map(str::to_owned).to_vec();
        if !request.body().is_empty() {
            if request.headers().contains_key(http::header::CONTENT_TYPE) {
                components.push("content-type".to_owned());
            }
            components.push("content-digest".to_owned());
        }
        for field in &self.extra {
            if request.headers().contains_key(field.as_str()) && !components.contains(field) {
                components.push(field.clone());
            }
        }
        SignatureParams {
            components,
            created: Some(created),
            key_id: Some(self.key_id.clone()),
            alg: Some("ed25519".to_owned()),
            expires: Some(created.saturating_add(self.lifetime.as_secs())),
            nonce: Some(nonce.to_owned()),
            tag: self.tag.clone(),
        }
    }

    /// Signs `request` in place: sets `Content-Digest` when it has a body, then
    /// `Signature-Input` and `Signature` (replacing any present).
    ///
    /// # Errors
    ///
    /// As [`SignatureFields::sign`].
    ///
    /// ```
    /// use std::time::SystemTime;
    /// let signer = idpkit::agent::RequestSigner::new(idpkit::agent::AgentKey::generate()?);
    /// let mut request = http::Request::get("https://example.com/").body(Vec::new()).unwrap();
    /// signer.sign(&mut request, SystemTime::now(), "nonce-1")?;
    /// assert!(request.headers().contains_key("signature"));
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn sign(
        &self,
        request: &mut HttpRequest,
        created: SystemTime,
        nonce: &str,
    ) -> crate::Result<()> {
        if !request.body().is_empty() {
            let digest = self.digest.content_digest(request.body());
            request
                .headers_mut()
                .insert("content-digest", header_value(digest)?);
        }
        let params = self.params(request, created, nonce);
        let fields = SignatureFields::sign(&self.key, &self.label, &params, request)?;
        let headers = request.headers_mut();
        headers.insert("signature-input", header_value(fields.signature_input)?);
        headers.insert("signature", header_value(fields.signature)?);
        Ok(())
    }
}

fn header_value(value: String) -> Result<HeaderValue, SignatureError> {
    HeaderValue::try_from(value).map_err(|_| {
        SignatureError::InvalidRequest("a signature field is not a valid header value")
    })
}
