//! OpenID Provider Issuer Discovery by WebFinger (OpenID Connect Discovery 1.0 §2, RFC 7033),
//! pure: from what a user typed (`alice@example.com`, `acct:alice@example.com`,
//! `https://example.com/alice`) to the WebFinger query, and from its answer to the issuer.
//!
//! The clients' `discover_by_webfinger` sends the query and then discovers the issuer named in
//! the answer, whose metadata must name that same issuer exactly.

use std::time::SystemTime;

use http::HeaderValue;
use http::header::ACCEPT;
use serde::Deserialize;

use crate::error::{Error, ErrorKind, Result};
use crate::http::{self as h, HttpRequest, HttpResponse, RequestLimits};
use crate::oidc::Issuer;

/// The link relation of an OpenID Provider issuer (OpenID Connect Discovery 1.0 §2).
pub const ISSUER_REL: &str = "http://openid.net/specs/connect/1.0/issuer";

const JRD: &str = "a WebFinger JSON Resource Descriptor (RFC 7033 §4.4)";

/// A WebFinger query for an OpenID issuer: the normalized resource and the host to ask.
///
/// Normalization follows OpenID Connect Discovery 1.0 §2.1.2: an identifier with the `acct:`
/// scheme is kept; one without a scheme that has a user part and no path, query or port
/// (`alice@example.com`) becomes `acct:alice@example.com`; anything else is a URL, `https://`
/// when no scheme is given, without its fragment. The host asked is the account's domain or
/// the URL's host and port, always over https (plain http only for a loopback host, for
/// tests, as for issuers).
///
/// ```
/// use idpkit::oidc::WebFingerQuery;
/// let q = WebFingerQuery::from_identifier("alice@example.com")?;
/// assert_eq!(q.resource(), "acct:alice@example.com");
/// assert_eq!(q.url().as_str(), "https://example.com/.well-known/webfinger?resource=acct%3Aalice%40example.com&rel=http%3A%2F%2Fopenid.net%2Fspecs%2Fconnect%2F1.0%2Fissuer");
/// let q = WebFingerQuery::from_identifier("example.com:8080/joe#frag")?;
/// assert_eq!(q.resource(), "https://example.com:8080/joe");
/// # Ok::<(), idpkit::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebFingerQuery {
    resource: String,
    url: url::Url,
}

impl WebFingerQuery {
    /// Normalizes a user-supplied identifier (OIDC Discovery §2.1.2).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`] for an empty identifier, an `acct:` URI without a user or host, or
    /// a URL without a host.
    ///
    /// ```
    /// use idpkit::oidc::WebFingerQuery;
    /// assert_eq!(WebFingerQuery::from_identifier("acct:joe@example.com")?.resource(), "acct:joe@example.com");
    /// assert_eq!(WebFingerQuery::from_identifier("https://example.com")?.resource(), "https://example.com/");
    /// assert!(WebFingerQuery::from_identifier("").is_err());
    /// assert!(WebFingerQuery::from_identifier("acct:nobody").is_err());
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn from_identifier(identifier: &str) -> Result<Self> {
        let input = identifier.trim();
        let bad = |why: &str| Error::config(format!("WebFinger identifier: {why}"));
        if input.is_empty() {
            return Err(bad("it is empty"));
        }
        let has_scheme = input.starts_with("acct:") || input.contains("://");
        let acct = if input.starts_with("acct:") {
            Some(input.to_owned())
        } else if !has_scheme && looks_like_account(input) {
            Some(format!("acct:{input}"))
        } else {
            None
        };
        let (resource, host) = match acct {
            Some(resource) => {
                let (user, host) = resource["acct:".len()..]
                    .rsplit_once('@')
                    .ok_or_else(|| bad("an acct: URI needs user@host"))?;
                if user.is_empty() || host.is_empty() {
                    return Err(bad("an acct: URI needs user@host"));
                }
                // The host names where the query goes: nothing in it may add a path, a query,
                // a fragment or credentials to that URL (found by the rp_cert_inputs fuzzer).
                if host.chars().any(|c| {
                    matches!(c, '/' | '\\' | '?' | '#' | '@') || c.is_whitespace() || c.is_control()
                }) {
                    return Err(bad("the host of an acct: URI is not a host"));
                }
                let host = host.to_owned();
                (resource, host)
            }
            None => {
                let with_scheme = if has_scheme {
                    input.to_owned()
                } else {
                    format!("https://{input}")
                };
                let mut url =
                    url::Url::parse(&with_scheme).map_err(|e| bad(&format!("not a URL ({e})")))?;
                url.set_fragment(None);
                let host = url.host_str().ok_or_else(|| bad("the URL has no host"))?;
                let host = match url.port() {
                    Some(port) => format!("{host}:{port}"),
                    None => host.to_owned(),
                };
                (url.to_string(), host)
            }
        };
        let mut url = url::Url::parse(&format!("https://{host}/.well-known/webfinger"))
            .map_err(|e| bad(&format!("the host is not valid ({e})")))?;
        if url.path() != "/.well-known/webfinger"
            || url.query().is_some()
            || url.fragment().is_some()
        {
            return Err(bad("the host is not valid"));
        }
        if url.host().as_ref().is_some_and(h::is_loopback_host) {
            // Cannot fail: https to http keeps a special scheme.
            let _ = url.set_scheme("http");
        }
        url.query_pairs_mut()
            .append_pair("resource", &resource)
            .append_pair("rel", ISSUER_REL);
        Ok(WebFingerQuery { resource, url })
    }

    /// The normalized resource (`acct:…` or a URL).
    ///
    /// ```
    /// let q = idpkit::oidc::WebFingerQuery::from_identifier("joe@example.com")?;
    /// assert_eq!(q.resource(), "acct:joe@example.com");
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// The WebFinger URL: `https://<host>/.well-known/webfinger?resource=…&rel=…`.
    ///
    /// ```
    /// let q = idpkit::oidc::WebFingerQuery::from_identifier("joe@example.com")?;
    /// assert_eq!(q.url().path(), "/.well-known/webfinger");
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn url(&self) -> &url::Url {
        &self.url
    }
}

/// `user@host` with no path, query or port: an e-mail-like account (OIDC Discovery §2.1.2).
fn looks_like_account(input: &str) -> bool {
    match input.rsplit_once('@') {
        Some((user, host)) => {
            !user.is_empty()
                && !user.contains(['/', '?', '#'])
                && !host.is_empty()
                && !host.contains(['/', '?', '#', ':'])
        }
        None => false,
    }
}

/// The WebFinger request: `GET` the query's URL, accepting `application/jrd+json`.
///
/// # Errors
///
/// [`ErrorKind::Config`] if the URL cannot form an HTTP request.
///
/// ```
/// use idpkit::{http::RequestLimits, oidc::{WebFingerQuery, build_webfinger_request}};
/// let q = WebFingerQuery::from_identifier("joe@example.com")?;
/// let req = build_webfinger_request(&q, RequestLimits::default())?;
/// assert_eq!(req.headers()["accept"], "application/jrd+json, application/json");
/// # Ok::<(), idpkit::Error>(())
/// ```
pub fn build_webfinger_request(
    query: &WebFingerQuery,
    limits: RequestLimits,
) -> Result<HttpRequest> {
    let mut request = h::get_json(query.url(), limits)?;
    request.headers_mut().insert(
        ACCEPT,
        HeaderValue::from_static("application/jrd+json, application/json"),
    );
    Ok(request)
}

#[derive(Deserialize)]
struct Jrd {
    #[serde(default)]
    links: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct Link {
    rel: String,
    href: Option<String>,
}

/// Parses the WebFinger answer: a 2xx JSON Resource Descriptor whose first link with
/// `rel` [`ISSUER_REL`] has an `href`, a valid issuer identifier (https, or http on loopback;
/// no query or fragment).
///
/// # Errors
///
/// [`ErrorKind::Status`] / [`ErrorKind::OAuth`] for a non-2xx answer;
/// [`ErrorKind::MalformedResponse`] for anything but a JRD, no issuer link, or an `href` that
/// is not a valid issuer.
///
/// ```
/// use std::time::SystemTime;
/// let body = br#"{"subject":"acct:joe@example.com","links":[
///     {"rel":"http://openid.net/specs/connect/1.0/issuer","href":"https://server.example.com"}]}"#;
/// let resp = http::Response::builder().header("content-type", "application/jrd+json")
///     .body(body.to_vec()).unwrap();
/// let issuer = idpkit::oidc::parse_webfinger_response(resp, SystemTime::now())?;
/// assert_eq!(issuer.as_str(), "https://server.example.com");
/// # Ok::<(), idpkit::Error>(())
/// ```
pub fn parse_webfinger_response(response: HttpResponse, now: SystemTime) -> Result<Issuer> {
    let jrd: Jrd = h::parse_json(response, JRD, now)?;
    let href = jrd
        .links
        .into_iter()
        .filter_map(|link| serde_json::from_value::<Link>(link).ok())
        .find(|link| link.rel == ISSUER_REL)
        .and_then(|link| link.href)
        .ok_or_else(|| Error::malformed(JRD, "no link with the OpenID issuer rel and an href"))?;
    Issuer::new(href).map_err(|e| match e.into_kind() {
        ErrorKind::Config { message } => Error::malformed(JRD, message),
        other => other.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jrd(body: &str) -> HttpResponse {
        http::Response::builder()
            .header("content-type", "application/jrd+json")
            .body(body.as_bytes().to_vec())
            .unwrap()
    }

    #[test]
    fn an_acct_host_cannot_change_where_the_query_goes() {
        // The fuzzer's input, and its cousins: a fragment, a path, a query, credentials.
        for identifier in [
            "acct:joe@e#\u{1}x",
            "acct:joe@evil.example/steal",
            "acct:joe@evil.example?x=1",
            "acct:joe@e x",
        ] {
            assert!(
                WebFingerQuery::from_identifier(identifier).is_err(),
                "{identifier:?}"
            );
        }
        let ok = WebFingerQuery::from_identifier("acct:joe@example.com:8443").unwrap();
        assert_eq!(ok.url().path(), "/.well-known/webfinger");
    }

    #[test]
    fn normalization_follows_discovery_2_1() {
        let cases = [
            ("joe@example.com", "acct:joe@example.com", "example.com"),
            (
                "acct:joe@example.com:8080",
                "acct:joe@example.com:8080",
                "example.com:8080",
            ),
            ("example.com", "https://example.com/", "example.com"),
            (
                "example.com:8080",
                "https://example.com:8080/",
                "example.com:8080",
            ),
            (
                "joe@example.com:8080",
                "https://joe@example.com:8080/",
                "example.com:8080",
            ),
            (
                "https://example.com/joe#me",
                "https://example.com/joe",
                "example.com",
            ),
            (
                "http://127.0.0.1:9000/t",
                "http://127.0.0.1:9000/t",
                "127.0.0.1:9000",
            ),
        ];
        for (input, resource, host) in cases {
            let q = WebFingerQuery::from_identifier(input).unwrap();
            assert_eq!(q.resource(), resource, "{input}");
            let authority = q.url().host_str().unwrap().to_owned()
                + &q.url().port().map(|p| format!(":{p}")).unwrap_or_default();
            assert_eq!(authority, host, "{input}");
        }
        let loopback = WebFingerQuery::from_identifier("acct:a.b@127.0.0.1:4000").unwrap();
        assert_eq!(loopback.url().scheme(), "http");
        let remote = WebFingerQuery::from_identifier("http://example.com/x").unwrap();
        assert_eq!(
            remote.url().scheme(),
            "https",
            "WebFinger itself is always https"
        );
        for bad in [
            "",
            "  ",
            "acct:",
            "acct:@example.com",
            "acct:joe@",
            "https://",
        ] {
            assert!(WebFingerQuery::from_identifier(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn issuer_link_is_required_and_valid() {
        let now = SystemTime::now();
        let ok = r#"{"links":[{"rel":"other","href":"https://x.example"},
            {"rel":"http://openid.net/specs/connect/1.0/issuer","href":"https://op.example/t"}]}"#;
        assert_eq!(
            parse_webfinger_response(jrd(ok), now).unwrap().as_str(),
            "https://op.example/t"
        );
        for bad in [
            r#"{"links":[]}"#,
            r#"{}"#,
            r#"{"links":[{"rel":"http://openid.net/specs/connect/1.0/issuer"}]}"#,
            r#"{"links":[{"rel":"http://openid.net/specs/connect/1.0/issuer","href":"http://op.example"}]}"#,
            r#"{"links":[{"rel":"http://openid.net/specs/connect/1.0/issuer","href":"https://op.example?q"}]}"#,
            r#"{"links":"nope"}"#,
            "[]",
        ] {
            let err = parse_webfinger_response(jrd(bad), now).unwrap_err();
            assert!(
                matches!(err.kind(), ErrorKind::MalformedResponse { .. }),
                "{bad}: {err:?}"
            );
        }
    }
}
