//! OpenID Connect Discovery 1.0: the provider's metadata, and the pure request/response pair
//! both clients use to fetch it.
//!
//! - [`Issuer`] validates an issuer identifier (https, or http on loopback only; no query or
//!   fragment) and keeps it verbatim: issuers are compared as exact strings (§4.3).
//! - [`build_discovery_request`] and [`parse_discovery_response`] are the two halves of
//!   `discover`: the clients only send the one and hand the answer to the other.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::http::{self as h, HttpRequest, HttpResponse, RequestLimits};

/// An OpenID Provider's issuer identifier, validated.
///
/// It must be an `https` URL without query or fragment (OpenID Connect Discovery 1.0 §2); plain
/// `http` is accepted only for loopback hosts (`127.0.0.0/8`, `::1`, `localhost`), for
/// development and tests. The string is kept exactly as given: a trailing slash matters, since
/// the provider's `issuer` must equal it character for character.
///
/// ```
/// use idpkit::oidc::Issuer;
/// let issuer = Issuer::new("https://login.example.com").unwrap();
/// assert_eq!(issuer.as_str(), "https://login.example.com");
/// assert!(Issuer::new("http://login.example.com").is_err());
/// assert!(Issuer::new("http://127.0.0.1:8080").is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Issuer {
    raw: String,
    url: url::Url,
}

impl Issuer {
    /// Validates an issuer identifier.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`] when it is not a URL, not https (outside loopback), or has a query,
    /// fragment or credentials.
    ///
    /// ```
    /// assert!(idpkit::oidc::Issuer::new("https://op.example/tenant?x=1").is_err());
    /// ```
    pub fn new(issuer: impl Into<String>) -> Result<Self> {
        let raw = issuer.into();
        let url = h::require_secure_url("issuer", &raw)?;
        if url.query().is_some() || url.fragment().is_some() {
            return Err(Error::config(format!(
                "issuer must not have a query or fragment: {raw:?}"
            )));
        }
        Ok(Issuer { raw, url })
    }

    /// The issuer exactly as configured.
    ///
    /// ```
    /// assert_eq!(idpkit::oidc::Issuer::new("https://op.example/").unwrap().as_str(), "https://op.example/");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The URL of the discovery document: the issuer, with any trailing `/` removed, followed
    /// by `/.well-known/openid-configuration` (Discovery §4).
    ///
    /// ```
    /// let issuer = idpkit::oidc::Issuer::new("https://op.example/tenant/").unwrap();
    /// assert_eq!(
    ///     issuer.discovery_url().as_str(),
    ///     "https://op.example/tenant/.well-known/openid-configuration"
    /// );
    /// ```
    pub fn discovery_url(&self) -> url::Url {
        let mut url = self.url.clone();
        let path = format!(
            "{}/.well-known/openid-configuration",
            url.path().trim_end_matches('/')
        );
        url.set_path(&path);
        url
    }
}

impl std::fmt::Display for Issuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.raw)
    }
}

/// An OpenID Provider's metadata (OpenID Connect Discovery 1.0 §3, with the endpoints of RFC
/// 7009, RFC 7662, RFC 9207 and RP-Initiated Logout).
///
/// Fetched by `discover`, or built by hand for a provider without discovery and given to the
/// client builder. Fields this version does not model are kept in [`additional`](Self::additional).
///
/// ```
/// let json = r#"{
///   "issuer": "https://op.example",
///   "authorization_endpoint": "https://op.example/auth",
///   "token_endpoint": "https://op.example/token",
///   "jwks_uri": "https://op.example/jwks",
///   "response_types_supported": ["code"],
///   "subject_types_supported": ["public"],
///   "id_token_signing_alg_values_supported": ["RS256"],
///   "x_vendor": 1
/// }"#;
/// let m: idpkit::oidc::ProviderMetadata = serde_json::from_str(json).unwrap();
/// assert_eq!(m.token_endpoint.as_deref(), Some("https://op.example/token"));
/// assert_eq!(m.additional["x_vendor"], 1);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ProviderMetadata {
    /// The issuer identifier; must equal the configured one exactly.
    pub issuer: String,
    /// Where the user-agent is sent to authenticate (REQUIRED).
    pub authorization_endpoint: String,
    /// The token endpoint (REQUIRED unless only the implicit flow is used).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint: Option<String>,
    /// The userinfo endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userinfo_endpoint: Option<String>,
    /// The provider's JSON Web Key Set (REQUIRED).
    pub jwks_uri: String,
    /// Dynamic client registration endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_endpoint: Option<String>,
    /// Scopes the provider supports.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes_supported: Vec<String>,
    /// `response_type` values the provider supports.
    #[serde(default)]
    pub response_types_supported: Vec<String>,
    /// Grant types the provider supports (default `authorization_code`, `implicit`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grant_types_supported: Vec<String>,
    /// Subject identifier types (`public`, `pairwise`).
    #[serde(default)]
    pub subject_types_supported: Vec<String>,
    /// JWS algorithms the provider may sign ID tokens with.
    #[serde(default)]
    pub id_token_signing_alg_values_supported: Vec<String>,
    /// Client authentication methods at the token endpoint (default `client_secret_basic`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub token_endpoint_auth_methods_supported: Vec<String>,
    /// PKCE methods (RFC 7636); idpkit always uses `S256`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub code_challenge_methods_supported: Vec<String>,
    /// Claims the provider may return.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub claims_supported: Vec<String>,
    /// Token revocation endpoint (RFC 7009).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint: Option<String>,
    /// Token introspection endpoint (RFC 7662).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introspection_endpoint: Option<String>,
    /// RP-initiated logout endpoint (OpenID Connect RP-Initiated Logout 1.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_session_endpoint: Option<String>,
    /// Whether the provider sends `iss` in authorization responses (RFC 9207).
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
    /// Every other member of the document.
    #[serde(flatten)]
    pub additional: serde_json::Map<String, serde_json::Value>,
}

impl ProviderMetadata {
    /// Checks the metadata against the configured issuer: `issuer` must equal it exactly
    /// (Discovery §4.3), and every endpoint must be https (http only on loopback), so a
    /// tampered or misconfigured document cannot send tokens or secrets in the clear.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::IssuerMismatch`] for another issuer, [`ErrorKind::MalformedResponse`] for an
    /// unacceptable endpoint URL.
    ///
    /// ```
    /// # let json = r#"{"issuer":"https://op.example","authorization_endpoint":"https://op.example/a","jwks_uri":"https://op.example/j"}"#;
    /// let m: idpkit::oidc::ProviderMetadata = serde_json::from_str(json).unwrap();
    /// assert!(m.validate(&idpkit::oidc::Issuer::new("https://op.example").unwrap()).is_ok());
    /// assert!(m.validate(&idpkit::oidc::Issuer::new("https://op.example/").unwrap()).is_err());
    /// ```
    pub fn validate(&self, issuer: &Issuer) -> Result<()> {
        if self.issuer != issuer.as_str() {
            return Err(ErrorKind::IssuerMismatch {
                expected: issuer.as_str().to_owned(),
                actual: self.issuer.clone(),
            }
            .into());
        }
        let endpoints = [
            ("authorization_endpoint", Some(&self.authorization_endpoint)),
            ("jwks_uri", Some(&self.jwks_uri)),
            ("token_endpoint", self.token_endpoint.as_ref()),
            ("userinfo_endpoint", self.userinfo_endpoint.as_ref()),
            ("registration_endpoint", self.registration_endpoint.as_ref()),
            ("revocation_endpoint", self.revocation_endpoint.as_ref()),
            (
                "introspection_endpoint",
                self.introspection_endpoint.as_ref(),
            ),
            ("end_session_endpoint", self.end_session_endpoint.as_ref()),
        ];
        for (name, value) in endpoints {
            if let Some(value) = value {
                h::require_secure_url(name, value).map_err(|e| match e.into_kind() {
                    ErrorKind::Config { message } => Error::malformed(METADATA, message),
                    other => other.into(),
                })?;
            }
        }
        Ok(())
    }
}

const METADATA: &str = "OpenID provider metadata (JSON)";

/// The discovery request: `GET {issuer}/.well-known/openid-configuration`.
///
/// # Errors
///
/// [`ErrorKind::Config`] if the URL cannot form an HTTP request.
///
/// ```
/// use idpkit::{http::RequestLimits, oidc::{Issuer, build_discovery_request}};
/// let req = build_discovery_request(&Issuer::new("https://op.example").unwrap(), RequestLimits::default()).unwrap();
/// assert_eq!(req.uri(), "https://op.example/.well-known/openid-configuration");
/// ```
pub fn build_discovery_request(issuer: &Issuer, limits: RequestLimits) -> Result<HttpRequest> {
    h::get_json(&issuer.discovery_url(), limits)
}

/// Parses and validates the discovery response for `issuer`: a 2xx JSON document of the right
/// shape ([`h::parse_json`]) that passes [`ProviderMetadata::validate`].
///
/// # Errors
///
/// [`ErrorKind::Status`] / [`ErrorKind::OAuth`] for a non-2xx answer,
/// [`ErrorKind::MalformedResponse`] for anything but valid metadata JSON,
/// [`ErrorKind::IssuerMismatch`] for another issuer.
///
/// ```
/// use std::time::SystemTime;
/// use idpkit::oidc::{Issuer, parse_discovery_response};
/// let body = br#"{"issuer":"https://op.example","authorization_endpoint":"https://op.example/a","jwks_uri":"https://op.example/j"}"#;
/// let resp = http::Response::builder().header("content-type", "application/json").body(body.to_vec()).unwrap();
/// let m = parse_discovery_response(&Issuer::new("https://op.example").unwrap(), resp, SystemTime::now()).unwrap();
/// assert_eq!(m.jwks_uri, "https://op.example/j");
/// ```
pub fn parse_discovery_response(
    issuer: &Issuer,
    response: HttpResponse,
    now: SystemTime,
) -> Result<ProviderMetadata> {
    let metadata: ProviderMetadata = h::parse_json(response, METADATA, now)?;
    metadata.validate(issuer)?;
    Ok(metadata)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(issuer: &str) -> serde_json::Value {
        serde_json::json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}/auth"),
            "token_endpoint": format!("{issuer}/token"),
            "jwks_uri": format!("{issuer}/jwks"),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        })
    }

    fn json_response(v: &serde_json::Value) -> HttpResponse {
        http::Response::builder()
            .header("content-type", "application/json")
            .body(serde_json::to_vec(v).unwrap())
            .unwrap()
    }

    #[test]
    fn issuer_rules() {
        assert!(Issuer::new("https://op.example/t#frag").is_err());
        assert!(Issuer::new("").is_err());
        assert!(Issuer::new("http://[::1]:9000").is_ok());
        assert_eq!(
            Issuer::new("http://127.0.0.1:9000")
                .unwrap()
                .discovery_url()
                .as_str(),
            "http://127.0.0.1:9000/.well-known/openid-configuration"
        );
    }

    #[test]
    fn issuer_must_match_exactly() {
        let issuer = Issuer::new("https://op.example").unwrap();
        let m = parse_discovery_response(
            &issuer,
            json_response(&doc("https://op.example")),
            SystemTime::now(),
        );
        assert!(m.is_ok());
        for other in [
            "https://op.example/",
            "https://OP.example",
            "https://evil.example",
        ] {
            let err =
                parse_discovery_response(&issuer, json_response(&doc(other)), SystemTime::now())
                    .unwrap_err();
            assert!(
                matches!(err.kind(), ErrorKind::IssuerMismatch { actual, .. } if actual == other),
                "{other}: {err:?}"
            );
        }
    }

    #[test]
    fn insecure_endpoint_is_rejected() {
        let issuer = Issuer::new("https://op.example").unwrap();
        let mut d = doc("https://op.example");
        d["token_endpoint"] = "http://op.example/token".into();
        let err =
            parse_discovery_response(&issuer, json_response(&d), SystemTime::now()).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::MalformedResponse { .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("token_endpoint"));
    }

    #[test]
    fn missing_required_member_is_malformed() {
        let issuer = Issuer::new("https://op.example").unwrap();
        let mut d = doc("https://op.example");
        d.as_object_mut().unwrap().remove("jwks_uri");
        let err =
            parse_discovery_response(&issuer, json_response(&d), SystemTime::now()).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::MalformedResponse { .. }),
            "{err:?}"
        );
    }
}
