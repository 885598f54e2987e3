//! The RFC 9421 verifier: parse the fields, select the signature, require the components,
//! rebuild the base from the received `Signature-Input` bytes, verify with the key its `keyid`
//! names, check the time window, the `Content-Digest` and replay.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use parking_lot::Mutex;
use subtle::ConstantTimeEq;

use super::base::write_base;
use super::sfv::{Bare, Member, Value, param, parse_dictionary};
use super::{AgentPublicKey, DigestAlgorithm, SignatureError};
use crate::clock::since_epoch;
use crate::http::HttpRequest;

/// Finds the public key a `keyid` names.
///
/// A `HashMap<String, AgentPublicKey>` is one; so is any
/// `Fn(&str) -> Option<AgentPublicKey>`.
///
/// ```
/// use std::collections::HashMap;
/// use idpkit::agent::{AgentKey, KeyResolver};
/// let key = AgentKey::generate()?;
/// let keys = HashMap::from([(key.key_id().to_owned(), key.public_key().clone())]);
/// assert!(keys.resolve(key.key_id()).is_some());
/// # Ok::<(), idpkit::Error>(())
/// ```
pub trait KeyResolver: Send + Sync {
    /// The key for `key_id`, if known.
    fn resolve(&self, key_id: &str) -> Option<AgentPublicKey>;
}

impl KeyResolver for HashMap<String, AgentPublicKey> {
    fn resolve(&self, key_id: &str) -> Option<AgentPublicKey> {
        self.get(key_id).cloned()
    }
}

impl<F: Fn(&str) -> Option<AgentPublicKey> + Send + Sync> KeyResolver for F {
    fn resolve(&self, key_id: &str) -> Option<AgentPublicKey> {
        self(key_id)
    }
}

/// Remembers `(keyid, nonce)` pairs until their signature expires, so each is accepted once.
///
/// The contract is the one of Redis' `SET key 1 NX PX ttl`: record the pair for `ttl` if it is
/// absent and answer `true`; answer `false` if it is present and not expired. A shared store
/// implements it that way; [`MemoryReplayStore`] is the in-process one.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use idpkit::agent::{MemoryReplayStore, ReplayStore};
/// let store = MemoryReplayStore::new(100);
/// let now = SystemTime::now();
/// assert!(store.insert_if_absent("k", "n", Duration::from_secs(60), now)?);
/// assert!(!store.insert_if_absent("k", "n", Duration::from_secs(60), now)?);
/// # Ok::<(), idpkit::Error>(())
/// ```
pub trait ReplayStore: Send + Sync {
    /// Records `(key_id, nonce)` for `ttl` from `now` if absent (`true`); `false` if present.
    ///
    /// # Errors
    ///
    /// The store's own failure; the verifier then rejects the request (fail closed).
    fn insert_if_absent(
        &self,
        key_id: &str,
        nonce: &str,
        ttl: Duration,
        now: SystemTime,
    ) -> crate::Result<bool>;

    /// Whether the store answers over the network (a shared store such as
    /// [`RedisStore`](crate::store::RedisStore)): the async guard then verifies off the
    /// runtime's worker threads. Default `false`.
    ///
    /// ```
    /// use idpkit::agent::{MemoryReplayStore, ReplayStore};
    /// assert!(!MemoryReplayStore::new(1).is_remote());
    /// ```
    fn is_remote(&self) -> bool {
        false
    }
}

/// The in-process [`ReplayStore`]: a map bounded to `capacity` pairs. When full it drops the
/// expired pairs; if none has expired it refuses new ones (fail closed) with
/// [`SignatureError::ReplayStoreUnavailable`] rather than forget a live one.
///
/// ```
/// let store = idpkit::agent::MemoryReplayStore::new(10_000);
/// ```
pub struct MemoryReplayStore {
    seen: Mutex<HashMap<(String, String), SystemTime>>,
    capacity: usize,
}

impl MemoryReplayStore {
    /// A store holding at most `capacity` pairs.
    ///
    /// ```
    /// let store = idpkit::agent::MemoryReplayStore::new(1);
    /// ```
    pub fn new(capacity: usize) -> MemoryReplayStore {
        MemoryReplayStore {
            seen: Mutex::new(HashMap::new()),
            capacity,
        }
    }
}

impl fmt::Debug for MemoryReplayStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryReplayStore")
            .field("len", &self.seen.lock().len())
            .field("capacity", &self.capacity)
            .finish()
    }
}

impl ReplayStore for MemoryReplayStore {
    fn insert_if_absent(
        &self,
        key_id: &str,
        nonce: &str,
        ttl: Duration,
        now: SystemTime,
    ) -> crate::Result<bool> {
        let mut seen = self.seen.lock();
        let key = (key_id.to_owned(), nonce.to_owned());
        if seen.get(&key).is_some_and(|until| *until > now) {
            return Ok(false);
        }
        if seen.len() >= self.capacity && !seen.contains_key(&key) {
            seen.retain(|_, until| *until > now);
            if seen.len() >= self.capacity {
                return Err(SignatureError::ReplayStoreUnavailable.into());
            }
        }
        seen.insert(key, now + ttl);
        Ok(true)
    }
}

/// What a successful verification established.
///
/// ```
/// # fn f(v: idpkit::agent::VerifiedSignature) {
/// println!("request signed by {}", v.key_id);
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedSignature {
    /// The label of the verified signature.
    pub label: String,
    /// The `keyid` the key was found by.
    pub key_id: String,
    /// The `tag`, if any.
    pub tag: Option<String>,
    /// The `nonce`, if any.
    pub nonce: Option<String>,
    /// `created`, seconds since the Unix epoch.
    pub created: u64,
    /// `expires`, seconds since the Unix epoch, if any.
    pub expires: Option<u64>,
}

/// Verifies RFC 9421 Ed25519 signatures on requests (server side).
///
/// Defaults: any label, any tag; required components `@method`, `@authority`, `@path`,
/// `@query`, plus `content-digest` when the request has a body; `created`, `keyid` and `nonce`
/// required; `alg` if present must be `ed25519`; clock skew 60 s; maximum age 300 s; replay
/// store [`MemoryReplayStore`] of 100,000 pairs.
///
/// ```
/// use std::collections::HashMap;
/// use std::time::SystemTime;
/// use idpkit::agent::{AgentKey, RequestSigner, SignatureVerifier};
/// let key = AgentKey::generate()?;
/// let keys = HashMap::from([(key.key_id().to_owned(), key.public_key().clone())]);
/// let verifier = SignatureVerifier::new(keys);
/// let mut request = http::Request::get("https://example.com/x?y=1").body(Vec::new()).unwrap();
/// let now = SystemTime::now();
/// RequestSigner::new(key).sign(&mut request, now, "nonce-1")?;
/// assert!(verifier.verify(&request, now).is_ok());
/// assert!(verifier.verify(&request, now).is_err()); // replayed
/// # Ok::<(), idpkit::Error>(())
/// ```
#[derive(Clone)]
pub struct SignatureVerifier {
    keys: Arc<dyn KeyResolver>,
    replay: Arc<dyn ReplayStore>,
    label: Option<String>,
    tag: Option<String>,
    required: Vec<String>,
    require_nonce: bool,
    skew: Duration,
    max_age: Duration,
}

impl fmt::Debug for SignatureVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignatureVerifier")
            .field("label", &self.label)
            .field("tag", &self.tag)
            .field("required", &self.required)
            .field("require_nonce", &self.require_nonce)
            .field("skew", &self.skew)
            .field("max_age", &self.max_age)
            .finish_non_exhaustive()
    }
}

impl SignatureVerifier {
    /// A verifier that finds keys through `keys`, with the defaults above.
    ///
    /// ```
    /// let verifier = idpkit::agent::SignatureVerifier::new(|_: &str| None);
    /// ```
    pub fn new(keys: impl KeyResolver + 'static) -> SignatureVerifier {
        SignatureVerifier {
            keys: Arc::new(keys),
            replay: Arc::new(MemoryReplayStore::new(100_000)),
            label: None,
            tag: None,
            required: super::base::DERIVED.map(str::to_owned).to_vec(),
            require_nonce: true,
            skew: Duration::from_secs(60),
            max_age: Duration::from_secs(300),
        }
    }

    /// Only the signature with this label is considered.
    ///
    /// ```
    /// let verifier = idpkit::agent::SignatureVerifier::new(|_: &str| None).label("sig1");
    /// ```
    #[must_use]
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Only a signature with this `tag` is considered.
    ///
    /// ```
    /// let verifier = idpkit::agent::SignatureVerifier::new(|_: &str| None).tag("idpkit-agent");
    /// ```
    #[must_use]
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tag = Some(tag.into());
        self
    }

    /// The components a signature must cover, replacing the default `@method`, `@authority`,
    /// `@path`, `@query` (`content-digest` is always required for a request with a body).
    ///
    /// ```
    /// let verifier = idpkit::agent::SignatureVerifier::new(|_: &str| None)
    ///     .required_components(["@method", "@authority", "@path", "@query", "authorization"]);
    /// ```
    #[must_use]
    pub fn required_components<S: Into<String>>(
        mut self,
        ids: impl IntoIterator<Item = S>,
    ) -> Self {
        self.required = ids.into_iter().map(Into::into).collect();
        self
    }

    /// Whether a `nonce` is required (default yes; without one, replay cannot be detected).
    ///
    /// ```
    /// let verifier = idpkit::agent::SignatureVerifier::new(|_: &str| None).require_nonce(false);
    /// ```
    #[must_use]
    pub fn require_nonce(mut self, require: bool) -> Self {
        self.require_nonce = require;
        self
    }

    /// The allowed clock skew (default 60 s).
    ///
    /// ```
    /// let verifier = idpkit::agent::SignatureVerifier::new(|_: &str| None)
    ///     .skew(std::time::Duration::from_secs(5));
    /// ```
    #[must_use]
    pub fn skew(mut self, skew: Duration) -> Self {
        self.skew = skew;
        self
    }

    /// The maximum age of `created` (default 300 s).
    ///
    /// ```
    /// let verifier = idpkit::agent::SignatureVerifier::new(|_: &str| None)
    ///     .max_age(std::time::Duration::from_secs(60));
    /// ```
    #[must_use]
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// The replay store (default an in-process [`MemoryReplayStore`]).
    ///
    /// ```
    /// use idpkit::agent::{MemoryReplayStore, SignatureVerifier};
    /// let verifier = SignatureVerifier::new(|_: &str| None).replay_store(MemoryReplayStore::new(10));
    /// ```
    #[must_use]
    pub fn replay_store(mut self, store: impl ReplayStore + 'static) -> Self {
        self.replay = Arc::new(store);
        self
    }

    /// Whether the replay store answers over the network ([`ReplayStore::is_remote`]).
    #[cfg_attr(not(feature = "axum"), allow(dead_code))]
    pub(crate) fn replay_is_remote(&self) -> bool {
        self.replay.is_remote()
    }

    /// Verifies the request's signature at `now` (from the crate's [`Clock`](crate::Clock)).
    ///
    /// # Errors
    ///
    /// One [`SignatureError`] variant per failure; see its documentation.
    ///
    /// ```
    /// use idpkit::agent::{SignatureError, SignatureVerifier};
    /// let verifier = SignatureVerifier::new(|_: &str| None);
    /// let request = http::Request::get("https://example.com/").body(Vec::new()).unwrap();
    /// let err = verifier.verify(&request, std::time::SystemTime::now()).unwrap_err();
    /// assert!(matches!(err.kind(), idpkit::ErrorKind::Signature(SignatureError::MissingField(_))));
    /// ```
    pub fn verify(
        &self,
        request: &HttpRequest,
        now: SystemTime,
    ) -> crate::Result<VerifiedSignature> {
        Ok(self.verify_inner(request, now)?)
    }

    fn verify_inner(
        &self,
        request: &HttpRequest,
        now: SystemTime,
    ) -> Result<VerifiedSignature, SignatureError> {
        let input_text = joined_field(request, "signature-input")?;
        let signature_text = joined_field(request, "signature")?;
        let inputs = parse_dictionary(&input_text, "signature-input")?;
        let signatures = parse_dictionary(&signature_text, "signature")?;

        let (member, components, params) = self.select(&inputs)?;
        let signature = match signatures
            .iter()
            .find(|s| s.key == member.key)
            .map(|s| &s.value)
        {
            Some(Value::Item(Bare::Bytes(bytes), _)) => bytes,
            Some(_) => {
                return Err(SignatureError::MalformedField {
                    field: "signature",
                    problem: "a signature must be a byte sequence",
                });
            }
            None => return Err(SignatureError::NoMatchingSignature),
        };

        let has_body = !request.body().is_empty();
        let required = self
            .required
            .iter()
            .map(String::as_str)
            .chain(has_body.then_some("content-digest"));
        for id in required {
            if !components.contains(&id) {
                return Err(SignatureError::MissingComponent(id.to_owned()));
            }
        }

        match param(params, "alg") {
            None => {}
            Some(Bare::String(alg)) if alg == "ed25519" => {}
            Some(Bare::String(alg)) => {
                return Err(SignatureError::UnsupportedAlgorithm(alg.clone()));
            }
            Some(_) => return Err(SignatureError::MissingParameter("alg")),
        }
        let key_id = match param(params, "keyid") {
            Some(Bare::String(k)) => k,
            _ => return Err(SignatureError::MissingParameter("keyid")),
        };
        let created = match param(params, "created") {
            Some(Bare::Integer(t)) if *t >= 0 => t.unsigned_abs(),
            _ => return Err(SignatureError::MissingParameter("created")),
        };
        let expires = match param(params, "expires") {
            None => None,
            Some(Bare::Integer(t)) if *t >= 0 => Some(t.unsigned_abs()),
            Some(_) => return Err(SignatureError::MissingParameter("expires")),
        };
        let nonce = match param(params, "nonce") {
            None if self.require_nonce => return Err(SignatureError::MissingParameter("nonce")),
            None => None,
            Some(Bare::String(n)) => Some(n),
            Some(_) => return Err(SignatureError::MissingParameter("nonce")),
        };
        let tag = match param(params, "tag") {
            Some(Bare::String(t)) => Some(t.clone()),
            _ => None,
        };

        let key = self
            .keys
            .resolve(key_id)
            .ok_or_else(|| SignatureError::UnknownKey(key_id.clone()))?;
        let mut base = String::with_capacity(512);
        write_base(request, components.iter().copied(), member.raw, &mut base)?;
        if !key.verify(base.as_bytes(), signature) {
            return Err(SignatureError::BadSignature);
        }

        let now_s = since_epoch(now).as_secs();
        let skew = self.skew.as_secs();
        if created > now_s.saturating_add(skew) {
            return Err(SignatureError::NotYetValid);
        }
        if expires.is_some_and(|e| e.saturating_add(skew) <= now_s) {
            return Err(SignatureError::Expired);
        }
        if now_s.saturating_sub(created) > self.max_age.as_secs().saturating_add(skew) {
            return Err(SignatureError::TooOld);
        }

        if has_body || request.headers().contains_key("content-digest") {
            check_digest(request)?;
        }

        if let Some(nonce) = nonce {
            let until = created
                .saturating_add(self.max_age.as_secs())
                .min(expires.unwrap_or(u64::MAX))
                .saturating_add(skew);
            let ttl = Duration::from_secs(until.saturating_sub(now_s).max(1));
            match self.replay.insert_if_absent(key_id, nonce, ttl, now) {
                Ok(true) => {}
                Ok(false) => return Err(SignatureError::Replayed),
                Err(_) => return Err(SignatureError::ReplayStoreUnavailable),
            }
        }

        Ok(VerifiedSignature {
            label: member.key.to_owned(),
            key_id: key_id.clone(),
            tag,
            nonce: nonce.cloned(),
            created,
            expires,
        })
    }

    /// The member of `Signature-Input` to verify, its component identifiers and parameters.
    #[allow(clippy::type_complexity)]
    fn select<'m, 'a>(
        &self,
        inputs: &'m [Member<'a>],
    ) -> Result<(&'m Member<'a>, Vec<&'m str>, &'m super::sfv::Params<'a>), SignatureError> {
        for member in inputs {
            if self.label.as_deref().is_some_and(|l| l != member.key) {
                continue;
            }
            let Value::InnerList(items, params) = &member.value else {
                return Err(SignatureError::MalformedField {
                    field: "signature-input",
                    problem: "a signature's input must be an inner list",
                });
            };
            if let Some(tag) = &self.tag
                && !matches!(param(params, "tag"), Some(Bare::String(t)) if t == tag)
            {
                continue;
            }
            let mut components = Vec::with_capacity(items.len());
            for (item, item_params) in items {
                match item {
                    Bare::String(id) if item_params.is_empty() => components.push(id.as_str()),
                    Bare::String(id) => return Err(SignatureError::BadComponent(id.clone())),
                    _ => {
                        return Err(SignatureError::MalformedField {
                            field: "signature-input",
                            problem: "component identifiers must be strings",
                        });
                    }
                }
            }
            return Ok((member, components, params));
        }
        Err(SignatureError::NoMatchingSignature)
    }
}

/// All lines of a field joined with `, ` (RFC 9110 §5.3).
fn joined_field(request: &HttpRequest, name: &'static str) -> Result<String, SignatureError> {
    let mut out = String::new();
    for value in request.headers().get_all(name) {
        let value = value.to_str().map_err(|_| SignatureError::MalformedField {
            field: name,
            problem: "not visible ASCII",
        })?;
        if !out.is_empty() {
            out.push_str(", ");
        }
        out.push_str(value);
        if out.len() > super::sfv::MAX_FIELD_LEN {
            return Err(SignatureError::MalformedField {
                field: name,
                problem: "the field is too long",
            });
        }
    }
    if out.is_empty() {
        return Err(SignatureError::MissingField(name));
    }
    Ok(out)
}

/// Checks every supported digest in `Content-Digest` against the body (RFC 9530 §2); at least
/// one must be present.
fn check_digest(request: &HttpRequest) -> Result<(), SignatureError> {
    let text = match joined_field(request, "content-digest") {
        Ok(text) => text,
        Err(SignatureError::MissingField(_)) => return Err(SignatureError::MissingDigest),
        Err(e) => return Err(e),
    };
    let members = parse_dictionary(&text, "content-digest")?;
    let mut checked = false;
    for member in &members {
        let alg = match member.key {
            "sha-256" => DigestAlgorithm::Sha256,
            "sha-512" => DigestAlgorithm::Sha512,
            _ => continue,
        };
        let Value::Item(Bare::Bytes(expected), _) = &member.value else {
            return Err(SignatureError::MalformedField {
                field: "content-digest",
                problem: "a digest must be a byte sequence",
            });
        };
        let actual = alg.digest(request.body());
        if !bool::from(actual.as_ref().ct_eq(expected)) {
            return Err(SignatureError::DigestMismatch);
        }
        checked = true;
    }
    if checked {
        Ok(())
    } else {
        Err(SignatureError::MissingDigest)
    }
}
