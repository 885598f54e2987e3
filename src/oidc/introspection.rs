//! Token introspection (RFC 7662): the request and the response.

use std::time::SystemTime;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::error::Result;
use crate::http::{self as h, HttpRequest, HttpResponse, RequestLimits};
use crate::oidc::{ClientAuth, TokenTypeHint, token_form};

/// The introspection request (RFC 7662 §2.1): a form `POST` of `token` (and
/// `token_type_hint`), with the client authenticated as `auth`.
///
/// # Errors
///
/// [`ErrorKind::Config`](crate::ErrorKind::Config) when the endpoint is not https (http only on
/// loopback) or the token is empty.
///
/// ```
/// use idpkit::{ClientSecret, http::RequestLimits};
/// use idpkit::oidc::{build_introspection_request, TokenTypeHint};
/// use idpkit::oidc::ClientAuth;
/// let auth = ClientAuth::ClientSecretPost { client_id: "rs".into(), secret: ClientSecret::new("s") };
/// let req = build_introspection_request(
///     "https://op.example/introspect", "at-1", Some(TokenTypeHint::AccessToken), &auth,
///     RequestLimits::default(),
/// )?;
/// assert_eq!(req.body(), b"token=at-1&token_type_hint=access_token&client_id=rs&client_secret=s");
/// # Ok::<(), idpkit::Error>(())
/// ```
pub fn build_introspection_request(
    endpoint: &str,
    token: &str,
    hint: Option<TokenTypeHint>,
    auth: &ClientAuth,
    limits: RequestLimits,
) -> Result<HttpRequest> {
    token_form(
        "introspection_endpoint",
        endpoint,
        token,
        hint,
        auth,
        limits,
    )
}

/// An introspection response (RFC 7662 §2.2). Only `active` is required; an inactive token
/// usually comes with nothing else. Members not modelled here are kept in
/// [`extra`](Self::extra).
///
/// ```
/// let i: idpkit::oidc::Introspection = serde_json::from_str(
///     r#"{"active":true,"sub":"u1","aud":"api","exp":1700000000,"cnf":{"x5t#S256":"..."}}"#,
/// ).unwrap();
/// assert!(i.active);
/// assert_eq!(i.aud, ["api"]);
/// assert!(i.extra.contains_key("cnf"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Introspection {
    /// Whether the token is currently active.
    pub active: bool,
    /// The token's scope, space-separated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The client the token was issued to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// A human-readable identifier of the resource owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The token's type, such as `Bearer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// Expiry, seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<u64>,
    /// Issue time, seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    /// Not-before time, seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// The subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// The audiences; a single string on the wire becomes one entry.
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub aud: Vec<String>,
    /// The issuer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// The token's identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// Every other member.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A string, an array of strings, or `null`, as a list.
fn one_or_many<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<OneOrMany>::deserialize(deserializer)? {
        None => Vec::new(),
        Some(OneOrMany::One(one)) => vec![one],
        Some(OneOrMany::Many(many)) => many,
    })
}

/// Parses an introspection response: a 2xx JSON object with a boolean `active` (RFC 7662 §2.2).
///
/// # Errors
///
/// As [`parse_json`](crate::http::parse_json): [`ErrorKind::OAuth`](crate::ErrorKind::OAuth) /
/// [`ErrorKind::Status`](crate::ErrorKind::Status) for an error answer,
/// [`ErrorKind::MalformedResponse`](crate::ErrorKind::MalformedResponse) for anything else
/// (a JWT response, RFC 9701, included).
///
/// ```
/// use std::time::SystemTime;
/// use idpkit::oidc::parse_introspection_response;
/// let resp = http::Response::builder().header("content-type", "application/json")
///     .body(br#"{"active":true,"scope":"read","aud":["a","b"]}"#.to_vec()).unwrap();
/// let i = parse_introspection_response(resp, SystemTime::now())?;
/// assert_eq!(i.scope.as_deref(), Some("read"));
/// assert_eq!(i.aud, ["a", "b"]);
/// # Ok::<(), idpkit::Error>(())
/// ```
pub fn parse_introspection_response(
    response: HttpResponse,
    now: SystemTime,
) -> Result<Introspection> {
    h::parse_json(
        response,
        "a token introspection response (RFC 7662 §2.2)",
        now,
    )
}
