//! Pushed authorization requests (RFC 9126), pure: the request that pushes an
//! [`AuthorizationRequest`]'s parameters to the provider with the client authenticated, the
//! provider's answer ([`PushedAuthorization`]), and the short authorization URL that replaces
//! the long one (`client_id` + `request_uri`).
//!
//! The parameters never travel through the browser, so they cannot be read or altered there, and
//! the provider authenticates the client before the user sees anything.
//!
//! ```
//! use std::time::SystemTime;
//! use idpkit::{ClientSecret, http::RequestLimits};
//! use idpkit::oidc::{AuthorizationOptions, ClientAuth, build_authorization_request, build_par_request, parse_par_response};
//! let request = build_authorization_request("https://op.example/auth", "app", "https://app.example/cb", &AuthorizationOptions::default())?;
//! let auth = ClientAuth::choose("app", Some(ClientSecret::new("s")), None, &[])?;
//! let push = build_par_request("https://op.example/par", &request, &auth, RequestLimits::default())?;
//! assert!(std::str::from_utf8(push.body()).unwrap().starts_with("response_type=code&redirect_uri="));
//!
//! let body = br#"{"request_uri":"urn:ietf:params:oauth:request_uri:6esc_11ACC5bwc014ltc14eY22c","expires_in":60}"#;
//! let response = http::Response::builder().status(201).header("content-type", "application/json").body(body.to_vec()).unwrap();
//! let pushed = parse_par_response(response, SystemTime::now())?;
//! let request = pushed.authorization_request(request, "https://op.example/auth", "app")?;
//! assert_eq!(request.url, "https://op.example/auth?client_id=app&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3A6esc_11ACC5bwc014ltc14eY22c");
//! # Ok::<(), idpkit::Error>(())
//! ```

use std::time::SystemTime;

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::http::{
    self as h, HttpRequest, HttpResponse, RequestLimits, append_query, string_member,
};
use crate::oidc::{AuthorizationRequest, ClientAuth, ProviderMetadata, authenticated_form};

const PAR_RESPONSE: &str = "a pushed authorization response (RFC 9126 §2.2)";

/// The provider's `pushed_authorization_request_endpoint` (RFC 9126 §5), if its metadata has
/// one.
///
/// ```
/// let m: idpkit::oidc::ProviderMetadata = serde_json::from_value(serde_json::json!({
///     "issuer": "https://op.example", "authorization_endpoint": "https://op.example/a",
///     "jwks_uri": "https://op.example/j", "pushed_authorization_request_endpoint": "https://op.example/par",
/// })).unwrap();
/// assert_eq!(idpkit::oidc::pushed_authorization_request_endpoint(&m), Some("https://op.example/par"));
/// ```
pub fn pushed_authorization_request_endpoint(metadata: &ProviderMetadata) -> Option<&str> {
    metadata
        .additional
        .get("pushed_authorization_request_endpoint")
        .and_then(Value::as_str)
}

/// Whether the provider accepts only pushed authorization requests
/// (`require_pushed_authorization_requests`, RFC 9126 §5).
///
/// ```
/// let m: idpkit::oidc::ProviderMetadata = serde_json::from_value(serde_json::json!({
///     "issuer": "https://op.example", "authorization_endpoint": "https://op.example/a",
///     "jwks_uri": "https://op.example/j", "require_pushed_authorization_requests": true,
/// })).unwrap();
/// assert!(idpkit::oidc::requires_pushed_authorization_requests(&m));
/// ```
pub fn requires_pushed_authorization_requests(metadata: &ProviderMetadata) -> bool {
    metadata
        .additional
        .get("require_pushed_authorization_requests")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// The pushed authorization request (RFC 9126 §2.1): every parameter of `request`'s URL, as a
/// form `POST` to the PAR endpoint, with the client authenticated as at the token endpoint;
/// `client_id` is in the body exactly once, whatever the authentication method.
///
/// # Errors
///
/// [`ErrorKind::Config`](crate::ErrorKind::Config) when the endpoint is not https (http only
/// on loopback) or the request's URL is not a valid URL.
///
/// ```
/// use idpkit::{http::RequestLimits, oidc::{AuthorizationOptions, ClientAuth, build_authorization_request, build_par_request}};
/// let request = build_authorization_request("https://op.example/auth", "app", "https://app.example/cb", &AuthorizationOptions::default())?;
/// let push = build_par_request("https://op.example/par", &request, &ClientAuth::None { client_id: "app".into() }, RequestLimits::default())?;
/// let body = std::str::from_utf8(push.body()).unwrap();
/// assert_eq!(body.matches("client_id=app").count(), 1);
/// assert!(body.contains(&format!("state={}", request.state)));
/// # Ok::<(), idpkit::Error>(())
/// ```
pub fn build_par_request(
    endpoint: &str,
    request: &AuthorizationRequest,
    auth: &ClientAuth,
    limits: RequestLimits,
) -> Result<HttpRequest> {
    let endpoint = h::require_secure_url("pushed_authorization_request_endpoint", endpoint)?;
    let url = url::Url::parse(&request.url)
        .map_err(|e| Error::config(format!("the authorization request URL is invalid: {e}")))?;
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(name, _)| name != "client_id")
        .map(|(n, v)| (n.into_owned(), v.into_owned()))
        .collect();
    let mut params: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    // An authorization request names its client (RFC 9126 §2.1 with RFC 6749 §4.1.1): the
    // authentication adds `client_id` to the body, except HTTP Basic, which keeps it in a header.
    if matches!(auth, ClientAuth::ClientSecretBasic { .. }) {
        params.push(("client_id", auth.client_id()));
    }
    authenticated_form(&endpoint, params, auth, limits)
}

/// The provider's answer to a pushed authorization request (RFC 9126 §2.2).
///
/// ```
/// let pushed = idpkit::oidc::PushedAuthorization::new("urn:x", 60);
/// assert_eq!(pushed.expires_in, 60);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PushedAuthorization {
    /// The reference to the pushed request, for the authorization URL.
    pub request_uri: String,
    /// How long the reference stays valid, in seconds.
    pub expires_in: u64,
}

impl PushedAuthorization {
    /// A reference to a pushed request, as the provider gave it.
    ///
    /// ```
    /// let pushed = idpkit::oidc::PushedAuthorization::new("urn:r", 60);
    /// assert_eq!(pushed.request_uri, "urn:r");
    /// ```
    pub fn new(request_uri: impl Into<String>, expires_in: u64) -> Self {
        PushedAuthorization {
            request_uri: request_uri.into(),
            expires_in,
        }
    }

    /// The authorization request to send the user to: `request` (whose state, nonce, verifier
    /// and redirect URI stay the same) with the URL `authorization_endpoint?client_id=…&request_uri=…`
    /// (RFC 9126 §4).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) when the endpoint is not https (http only
    /// on loopback) or already has one of the two parameters.
    ///
    /// ```
    /// # use idpkit::oidc::{AuthorizationOptions, PushedAuthorization, build_authorization_request};
    /// # let request = build_authorization_request("https://op.example/auth", "app", "https://app.example/cb", &AuthorizationOptions::default())?;
    /// let pushed = PushedAuthorization::new("urn:r", 60);
    /// let state = request.state.clone();
    /// let request = pushed.authorization_request(request, "https://op.example/auth", "app")?;
    /// assert_eq!(request.url, "https://op.example/auth?client_id=app&request_uri=urn%3Ar");
    /// assert_eq!(request.state, state);
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn authorization_request(
        &self,
        mut request: AuthorizationRequest,
        authorization_endpoint: &str,
        client_id: &str,
    ) -> Result<AuthorizationRequest> {
        let mut url = h::require_secure_url("authorization_endpoint", authorization_endpoint)?;
        let params = [("client_id", client_id), ("request_uri", &self.request_uri)];
        append_query(&mut url, "authorization_endpoint", &params)?;
        request.url = url.into();
        Ok(request)
    }
}

/// Parses the answer to a pushed authorization request: `request_uri` and `expires_in`, both
/// required.
///
/// # Errors
///
/// [`ErrorKind::OAuth`](crate::ErrorKind::OAuth) / [`ErrorKind::Status`](crate::ErrorKind::Status)
/// for an error answer; [`ErrorKind::MalformedResponse`](crate::ErrorKind::MalformedResponse)
/// when `request_uri` or `expires_in` is missing, empty or of the wrong type.
///
/// ```
/// use std::time::SystemTime;
/// let resp = http::Response::builder().status(201).header("content-type", "application/json")
///     .body(br#"{"expires_in":60}"#.to_vec()).unwrap();
/// let err = idpkit::oidc::parse_par_response(resp, SystemTime::now()).unwrap_err();
/// assert!(matches!(err.kind(), idpkit::ErrorKind::MalformedResponse { .. }));
/// assert!(err.to_string().contains("request_uri"));
/// ```
pub fn parse_par_response(response: HttpResponse, now: SystemTime) -> Result<PushedAuthorization> {
    let object: Map<String, Value> = h::parse_json(response, PAR_RESPONSE, now)?;
    let request_uri = string_member(&object, "request_uri", PAR_RESPONSE)?
        .ok_or_else(|| Error::malformed(PAR_RESPONSE, "`request_uri` is missing"))?;
    let expires_in = match object.get("expires_in") {
        Some(Value::Number(n)) => n.as_u64().filter(|&s| s > 0),
        _ => None,
    }
    .ok_or_else(|| {
        Error::malformed(
            PAR_RESPONSE,
            "`expires_in` is missing or not a positive integer",
        )
    })?;
    Ok(PushedAuthorization {
        request_uri,
        expires_in,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::oidc::{AuthorizationOptions, build_authorization_request};
    use crate::secret::ClientSecret;

    fn response(status: u16, body: &str) -> HttpResponse {
        http::Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(body.as_bytes().to_vec())
            .unwrap()
    }

    fn request() -> AuthorizationRequest {
        let options = AuthorizationOptions {
            resources: vec!["urn:a".into(), "urn:b".into()],
            ..AuthorizationOptions::new(["email"])
        };
        build_authorization_request(
            "https://op.example/auth?tenant=t",
            "app",
            "https://app.example/cb",
            &options,
        )
        .unwrap()
    }

    fn pairs(req: &HttpRequest) -> Vec<(String, String)> {
        url::form_urlencoded::parse(req.body())
            .into_owned()
            .collect()
    }

    #[test]
    fn pushes_every_parameter_with_client_id_once() {
        let r = request();
        let limits = RequestLimits::default();
        let basic = ClientAuth::choose("app", Some(ClientSecret::new("s")), None, &[]).unwrap();
        let post = ClientAuth::ClientSecretPost {
            client_id: "app".into(),
            secret: ClientSecret::new("s"),
        };
        let url = "https://op.example/par";
        let with_basic = build_par_request(url, &r, &basic, limits).unwrap();
        assert!(with_basic.headers().contains_key("authorization"));
        let p = pairs(&with_basic);
        for name in [
            "client_id",
            "response_type",
            "redirect_uri",
            "scope",
            "state",
            "nonce",
        ] {
            assert_eq!(p.iter().filter(|(n, _)| n == name).count(), 1, "{name}");
        }
        assert!(p.contains(&("code_challenge_method".into(), "S256".into())));
        assert_eq!(p.iter().filter(|(n, _)| n == "resource").count(), 2);
        assert!(p.contains(&("state".into(), r.state.clone())));
        let p = pairs(&build_par_request(url, &r, &post, limits).unwrap());
        assert_eq!(p.iter().filter(|(n, _)| n == "client_id").count(), 1);
        assert!(p.contains(&("client_secret".into(), "s".into())));
        assert!(build_par_request("http://op.example/par", &r, &post, limits).is_err());
    }

    #[test]
    fn responses() {
        let ok = parse_par_response(
            response(201, r#"{"request_uri":"urn:r","expires_in":90}"#),
            SystemTime::now(),
        )
        .unwrap();
        assert_eq!((ok.request_uri.as_str(), ok.expires_in), ("urn:r", 90));
        for body in [
            r#"{"expires_in":90}"#,
            r#"{"request_uri":"","expires_in":90}"#,
            r#"{"request_uri":7,"expires_in":90}"#,
            r#"{"request_uri":"urn:r"}"#,
            r#"{"request_uri":"urn:r","expires_in":0}"#,
            r#"{"request_uri":"urn:r","expires_in":"90"}"#,
            "[]",
            "{",
        ] {
            let err = parse_par_response(response(201, body), SystemTime::now()).unwrap_err();
            assert!(
                matches!(err.kind(), ErrorKind::MalformedResponse { .. }),
                "{body}: {err:?}"
            );
        }
        let err = parse_par_response(
            response(400, r#"{"error":"invalid_request"}"#),
            SystemTime::now(),
        )
        .unwrap_err();
        assert_eq!(err.status(), Some(400));
        assert!(err.oauth().is_some());
    }

    #[test]
    fn short_authorization_url_keeps_the_request_state() {
        let r = request();
        let pushed = PushedAuthorization {
            request_uri: "urn:ietf:params:oauth:request_uri:abc".into(),
            expires_in: 60,
        };
        let short = pushed
            .authorization_request(r.clone(), "https://op.example/auth", "app")
            .unwrap();
        assert_eq!(
            short.url,
            "https://op.example/auth?client_id=app&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Aabc"
        );
        assert_eq!(
            (&short.state, &short.nonce, &short.redirect_uri),
            (&r.state, &r.nonce, &r.redirect_uri)
        );
        assert!(
            pushed
                .authorization_request(r, "https://op.example/auth?client_id=x", "app")
                .is_err()
        );
    }
}
