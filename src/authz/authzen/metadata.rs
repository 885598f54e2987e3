//! Discovery (AuthZEN 1.0 `#pdp-metadata`): the PDP's identifier ([`PdpId`], with its RFC 8615
//! well-known URL), its [`PdpMetadata`], and the [`PdpEndpoints`] resolved from them, falling
//! back to the specification's default paths.

use serde::{Deserialize, Serialize};

use super::model::Properties;
use super::search::SearchKind;
use crate::error::{Error, ErrorKind, Result};
use crate::http as h;

/// What a metadata response is, for errors.
pub(super) const METADATA: &str = "AuthZEN PDP metadata (JSON)";

/// A policy decision point's identifier (`policy_decision_point`), validated: an `https` URL
/// (plain `http` only on loopback, for tests) without query or fragment, kept verbatim since
/// the PDP's metadata must repeat it exactly.
///
/// ```
/// use idpkit::authz::authzen::PdpId;
/// let id = PdpId::new("https://pdp.example.com/tenant1").unwrap();
/// assert_eq!(id.metadata_url().as_str(), "https://pdp.example.com/.well-known/authzen-configuration/tenant1");
/// assert!(PdpId::new("http://pdp.example.com").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PdpId {
    raw: String,
    url: url::Url,
}

impl PdpId {
    /// Validates an identifier.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`] when it is not a URL, not https (outside loopback), or has a query,
    /// fragment or credentials.
    ///
    /// ```
    /// assert!(idpkit::authz::authzen::PdpId::new("https://pdp.example?x=1").is_err());
    /// assert!(idpkit::authz::authzen::PdpId::new("http://127.0.0.1:3592").is_ok());
    /// ```
    pub fn new(id: impl Into<String>) -> Result<Self> {
        let raw = id.into();
        let url = h::require_secure_url("the PDP URL", &raw)?;
        if url.query().is_some() || url.fragment().is_some() {
            return Err(Error::config(format!(
                "the PDP URL must not have a query or fragment: {raw:?}"
            )));
        }
        Ok(PdpId { raw, url })
    }

    /// The identifier exactly as configured.
    ///
    /// ```
    /// assert_eq!(idpkit::authz::authzen::PdpId::new("https://pdp.example").unwrap().as_str(), "https://pdp.example");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The metadata URL (AuthZEN 1.0 `#pdp-metadata-access`, RFC 8615): `/.well-known/authzen-configuration`
    /// inserted between the host and the path (a terminating `/` of the path removed).
    ///
    /// ```
    /// use idpkit::authz::authzen::PdpId;
    /// assert_eq!(PdpId::new("https://pdp.example/").unwrap().metadata_url().as_str(),
    ///            "https://pdp.example/.well-known/authzen-configuration");
    /// ```
    pub fn metadata_url(&self) -> url::Url {
        let mut url = self.url.clone();
        let path = self.url.path().trim_end_matches('/');
        url.set_path(&format!("/.well-known/authzen-configuration{path}"));
        url
    }

    /// `path` appended to the identifier's path: where a default endpoint is.
    ///
    /// ```
    /// use idpkit::authz::authzen::PdpId;
    /// assert_eq!(PdpId::new("https://pdp.example/t1/").unwrap().join("/access/v1/evaluation").as_str(),
    ///            "https://pdp.example/t1/access/v1/evaluation");
    /// ```
    pub fn join(&self, path: &str) -> url::Url {
        let mut url = self.url.clone();
        let base = self.url.path().trim_end_matches('/');
        url.set_path(&format!("{base}{path}"));
        url
    }
}

impl std::fmt::Display for PdpId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.raw)
    }
}

/// The default path of the access evaluation API.
pub const DEFAULT_EVALUATION_PATH: &str = "/access/v1/evaluation";
/// The default path of the access evaluations (batch) API.
pub const DEFAULT_EVALUATIONS_PATH: &str = "/access/v1/evaluations";

/// A PDP's metadata (AuthZEN 1.0 `#pdp-metadata-data`), from `/.well-known/authzen-configuration`. Members
/// this version does not model are kept in [`additional`](Self::additional).
///
/// ```
/// let m: idpkit::authz::authzen::PdpMetadata = serde_json::from_value(serde_json::json!({
///     "policy_decision_point": "https://pdp.example",
///     "access_evaluation_endpoint": "https://pdp.example/access/v1/evaluation",
///     "supported_capabilities": ["urn:x"],
/// })).unwrap();
/// assert!(m.supports_capability("urn:x"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PdpMetadata {
    /// The PDP's identifier; must equal the configured one exactly.
    pub policy_decision_point: String,
    /// The access evaluation endpoint (REQUIRED by the specification; the default path when
    /// missing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_evaluation_endpoint: Option<String>,
    /// The access evaluations (batch) endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_evaluations_endpoint: Option<String>,
    /// The subject search endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search_subject_endpoint: Option<String>,
    /// The resource search endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search_resource_endpoint: Option<String>,
    /// The action search endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search_action_endpoint: Option<String>,
    /// Capability URNs (the metadata section's name).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capabilities: Vec<String>,
    /// Capability URNs under the name the pagination section uses; read as well.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub supported_capabilities: Vec<String>,
    /// Signed metadata (a JWT), kept but not verified by this version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_metadata: Option<String>,
    /// Every other member.
    #[serde(flatten)]
    pub additional: Properties,
}

impl PdpMetadata {
    /// Whether the PDP advertises a capability, under either member name.
    ///
    /// ```
    /// let m: idpkit::authz::authzen::PdpMetadata = serde_json::from_str(
    ///     r#"{"policy_decision_point":"https://pdp.example","capabilities":["urn:a"]}"#).unwrap();
    /// assert!(m.supports_capability("urn:a"));
    /// assert!(!m.supports_capability("urn:b"));
    /// ```
    pub fn supports_capability(&self, urn: &str) -> bool {
        self.capabilities
            .iter()
            .chain(&self.supported_capabilities)
            .any(|c| c == urn)
    }

    /// Checks the metadata against the configured identifier: `policy_decision_point` must
    /// equal it exactly (mix-up defence, AuthZEN 1.0 `#pdp-metadata-data-endpoint-validation`) and every endpoint must be https
    /// (http only on loopback).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::PdpMismatch`] for another identifier, [`ErrorKind::MalformedResponse`] for
    /// an unacceptable endpoint URL.
    ///
    /// ```
    /// use idpkit::authz::authzen::{PdpId, PdpMetadata};
    /// let m: PdpMetadata = serde_json::from_str(r#"{"policy_decision_point":"https://pdp.example"}"#).unwrap();
    /// assert!(m.validate(&PdpId::new("https://pdp.example").unwrap()).is_ok());
    /// assert!(m.validate(&PdpId::new("https://pdp.example/").unwrap()).is_err());
    /// ```
    pub fn validate(&self, id: &PdpId) -> Result<()> {
        if self.policy_decision_point != id.as_str() {
            return Err(ErrorKind::PdpMismatch {
                expected: id.as_str().to_owned(),
                actual: self.policy_decision_point.clone(),
            }
            .into());
        }
        self.endpoints(id).map(drop)
    }

    /// The endpoint URLs: those advertised, the default paths under the identifier for the
    /// others.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::MalformedResponse`] for an advertised endpoint that is not an acceptable
    /// URL.
    ///
    /// ```
    /// use idpkit::authz::authzen::{PdpId, PdpMetadata};
    /// let m: PdpMetadata = serde_json::from_str(r#"{"policy_decision_point":"https://pdp.example",
    ///     "access_evaluation_endpoint":"https://pdp.example/v1/eval"}"#).unwrap();
    /// let e = m.endpoints(&PdpId::new("https://pdp.example").unwrap()).unwrap();
    /// assert_eq!(e.evaluation.as_str(), "https://pdp.example/v1/eval");
    /// assert_eq!(e.evaluations.as_str(), "https://pdp.example/access/v1/evaluations");
    /// ```
    pub fn endpoints(&self, id: &PdpId) -> Result<PdpEndpoints> {
        let pick = |name: &str, value: &Option<String>, default: &str| -> Result<url::Url> {
            match value {
                Some(v) => h::require_secure_url(name, v).map_err(|e| match e.into_kind() {
                    ErrorKind::Config { message } => Error::malformed(METADATA, message),
                    other => other.into(),
                }),
                None => Ok(id.join(default)),
            }
        };
        Ok(PdpEndpoints {
            evaluation: pick(
                "access_evaluation_endpoint",
                &self.access_evaluation_endpoint,
                DEFAULT_EVALUATION_PATH,
            )?,
            evaluations: pick(
                "access_evaluations_endpoint",
                &self.access_evaluations_endpoint,
                DEFAULT_EVALUATIONS_PATH,
            )?,
            search_subject: pick(
                "search_subject_endpoint",
                &self.search_subject_endpoint,
                SearchKind::Subject.default_path(),
            )?,
            search_resource: pick(
                "search_resource_endpoint",
                &self.search_resource_endpoint,
                SearchKind::Resource.default_path(),
            )?,
            search_action: pick(
                "search_action_endpoint",
                &self.search_action_endpoint,
                SearchKind::Action.default_path(),
            )?,
        })
    }
}

/// Where each API of a PDP is.
///
/// ```
/// use idpkit::authz::authzen::{PdpEndpoints, PdpId, SearchKind};
/// let e = PdpEndpoints::defaults(&PdpId::new("https://pdp.example").unwrap());
/// assert_eq!(e.search(SearchKind::Resource).as_str(), "https://pdp.example/access/v1/search/resource");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PdpEndpoints {
    /// Access evaluation.
    pub evaluation: url::Url,
    /// Access evaluations (batch).
    pub evaluations: url::Url,
    /// Subject search.
    pub search_subject: url::Url,
    /// Resource search.
    pub search_resource: url::Url,
    /// Action search.
    pub search_action: url::Url,
}

impl PdpEndpoints {
    /// The specification's default paths under the identifier.
    ///
    /// ```
    /// use idpkit::authz::authzen::{PdpEndpoints, PdpId};
    /// let e = PdpEndpoints::defaults(&PdpId::new("https://pdp.example").unwrap());
    /// assert_eq!(e.evaluation.as_str(), "https://pdp.example/access/v1/evaluation");
    /// ```
    pub fn defaults(id: &PdpId) -> Self {
        PdpEndpoints {
            evaluation: id.join(DEFAULT_EVALUATION_PATH),
            evaluations: id.join(DEFAULT_EVALUATIONS_PATH),
            search_subject: id.join(SearchKind::Subject.default_path()),
            search_resource: id.join(SearchKind::Resource.default_path()),
            search_action: id.join(SearchKind::Action.default_path()),
        }
    }

    /// The endpoint of a search.
    ///
    /// ```
    /// use idpkit::authz::authzen::{PdpEndpoints, PdpId, SearchKind};
    /// let e = PdpEndpoints::defaults(&PdpId::new("https://pdp.example").unwrap());
    /// assert!(e.search(SearchKind::Subject).path().ends_with("/subject"));
    /// ```
    pub fn search(&self, kind: SearchKind) -> &url::Url {
        match kind {
            SearchKind::Subject => &self.search_subject,
            SearchKind::Resource => &self.search_resource,
            SearchKind::Action => &self.search_action,
        }
    }
}
