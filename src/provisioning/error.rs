//! SCIM errors: the error responses of RFC 7644 §3.12 and what the client refuses before
//! sending.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::drift::DriftPlan;

/// The `scimType` of a SCIM error response (RFC 7644 §3.12, Table 9).
///
/// ```
/// use idpkit::provisioning::ScimType;
/// assert_eq!(ScimType::from("invalidValue"), ScimType::InvalidValue);
/// assert_eq!(ScimType::from("somethingNew").as_str(), "somethingNew");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ScimType {
    /// `invalidFilter`: the filter syntax is invalid or an operator is not supported.
    InvalidFilter,
    /// `tooMany`: the filter yields more results than the server will return.
    TooMany,
    /// `uniqueness`: a value is not unique (a `userName` already taken).
    Uniqueness,
    /// `mutability`: the attempted change is not compatible with an attribute's mutability.
    Mutability,
    /// `invalidSyntax`: the request body is not a valid SCIM message.
    InvalidSyntax,
    /// `invalidPath`: the PATCH `path` is invalid.
    InvalidPath,
    /// `noTarget`: the PATCH `path` matched nothing.
    NoTarget,
    /// `invalidValue`: a required value is missing or a value has the wrong type.
    InvalidValue,
    /// `invalidVers`: the SCIM protocol version is not supported.
    InvalidVers,
    /// `sensitive`: the request cannot be completed because of sensitive information in it.
    Sensitive,
    /// Any other `scimType`, as sent.
    Other(String),
}

impl ScimType {
    /// The wire name.
    ///
    /// ```
    /// assert_eq!(idpkit::provisioning::ScimType::TooMany.as_str(), "tooMany");
    /// ```
    pub fn as_str(&self) -> &str {
        match self {
            ScimType::InvalidFilter => "invalidFilter",
            ScimType::TooMany => "tooMany",
            ScimType::Uniqueness => "uniqueness",
            ScimType::Mutability => "mutability",
            ScimType::InvalidSyntax => "invalidSyntax",
            ScimType::InvalidPath => "invalidPath",
            ScimType::NoTarget => "noTarget",
            ScimType::InvalidValue => "invalidValue",
            ScimType::InvalidVers => "invalidVers",
            ScimType::Sensitive => "sensitive",
            ScimType::Other(s) => s,
        }
    }
}

impl From<&str> for ScimType {
    fn from(s: &str) -> Self {
        match s {
            "invalidFilter" => ScimType::InvalidFilter,
            "tooMany" => ScimType::TooMany,
            "uniqueness" => ScimType::Uniqueness,
            "mutability" => ScimType::Mutability,
            "invalidSyntax" => ScimType::InvalidSyntax,
            "invalidPath" => ScimType::InvalidPath,
            "noTarget" => ScimType::NoTarget,
            "invalidValue" => ScimType::InvalidValue,
            "invalidVers" => ScimType::InvalidVers,
            "sensitive" => ScimType::Sensitive,
            other => ScimType::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for ScimType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What went wrong with a SCIM call or a service's permission metadata; carried by
/// [`ErrorKind::Scim`](crate::ErrorKind::Scim).
///
/// ```
/// use idpkit::provisioning::{ScimError, ScimType};
/// let e = ScimError::Response { status: 409, scim_type: Some(ScimType::Uniqueness), detail: Some("userName taken".into()) };
/// assert_eq!(e.status(), Some(409));
/// assert_eq!(e.to_string(), "SCIM error 409 (uniqueness): userName taken");
/// let err = idpkit::Error::from(e);
/// assert_eq!(err.status(), Some(409));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScimError {
    /// The server answered with a SCIM error (RFC 7644 §3.12). 401 (no or wrong credentials),
    /// 403, 404, 409 (`uniqueness`), 412 (the `If-Match` version is stale) and 400 (with a
    /// `scimType`) are told apart by `status` and `scim_type`.
    #[error("SCIM error {status}{}{}", scim_type.as_ref().map(|t| format!(" ({t})")).unwrap_or_default(), detail.as_ref().map(|d| format!(": {d}")).unwrap_or_default())]
    Response {
        /// The HTTP status of the response.
        status: u16,
        /// The `scimType`, if the server gave one.
        scim_type: Option<ScimType>,
        /// The `detail`, if given (at most 512 characters).
        detail: Option<String>,
    },
    /// A value the client refused to send: not of the declared type, not one of the declared
    /// allowed values, or an attribute the schema does not declare.
    #[error("invalid value for `{attribute}`: {problem}")]
    InvalidValue {
        /// The attribute's name.
        attribute: String,
        /// What is wrong, without the value.
        problem: String,
    },
    /// A user's metadata on the server does not fit the declared schema (wrong type, a value
    /// outside the allowed ones, or a shape the Rust type does not accept).
    #[error("the metadata attribute `{attribute}` does not fit the schema: {problem}")]
    Metadata {
        /// The attribute's name (empty when the whole object failed).
        attribute: String,
        /// What is wrong, without the value.
        problem: String,
    },
    /// Strict mode: the server's schema differs from the declared one.
    #[error("the server's schema differs from the declared one: {0}")]
    Drift(Box<DriftPlan>),
}

impl ScimError {
    /// The HTTP status, for a server's error response.
    ///
    /// ```
    /// use idpkit::provisioning::ScimError;
    /// let e = ScimError::InvalidValue { attribute: "role".into(), problem: "not allowed".into() };
    /// assert_eq!(e.status(), None);
    /// ```
    pub fn status(&self) -> Option<u16> {
        match self {
            ScimError::Response { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The `scimType`, for a server's error response that has one.
    ///
    /// ```
    /// use idpkit::provisioning::{ScimError, ScimType};
    /// let e = ScimError::Response { status: 400, scim_type: Some(ScimType::InvalidFilter), detail: None };
    /// assert_eq!(e.scim_type(), Some(&ScimType::InvalidFilter));
    /// ```
    pub fn scim_type(&self) -> Option<&ScimType> {
        match self {
            ScimError::Response { scim_type, .. } => scim_type.as_ref(),
            _ => None,
        }
    }
}

impl From<ScimError> for crate::Error {
    fn from(e: ScimError) -> Self {
        crate::ErrorKind::Scim(e).into()
    }
}

/// The SCIM error message's schema URN.
pub(crate) const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// The longest `detail` kept.
const DETAIL_LEN: usize = 512;

/// A SCIM error body, if `body` is one: a JSON object whose `schemas` names the error message or
/// that has a `status` (string, as RFC 7644 says, or number, as some servers send). The HTTP
/// status wins over the body's.
pub(crate) fn parse_error_body(status: u16, body: &[u8]) -> Option<ScimError> {
    #[derive(Deserialize, Serialize)]
    struct Wire {
        #[serde(default)]
        schemas: Vec<serde_json::Value>,
        #[serde(default)]
        status: Option<serde_json::Value>,
        #[serde(default, rename = "scimType")]
        scim_type: Option<serde_json::Value>,
        #[serde(default)]
        detail: Option<serde_json::Value>,
    }
    let wire: Wire = serde_json::from_slice(body).ok()?;
    let is_error = wire.schemas.iter().any(|s| s == ERROR_SCHEMA)
        || matches!(
            wire.status,
            Some(serde_json::Value::String(_) | serde_json::Value::Number(_))
        );
    if !is_error {
        return None;
    }
    let scim_type = match wire.scim_type {
        Some(serde_json::Value::String(s)) if !s.is_empty() => Some(ScimType::from(s.as_str())),
        _ => None,
    };
    let detail = match wire.detail {
        Some(serde_json::Value::String(s)) if !s.is_empty() => {
            Some(s.chars().take(DETAIL_LEN).collect())
        }
        _ => None,
    };
    Some(ScimError::Response {
        status,
        scim_type,
        detail,
    })
}
