//! Finding a login type's token in an HTTP request (spec B3 step 1) and the CSRF
//! double-submit check for cookie tokens.

use http::request::Parts;
use http::{Method, header};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;

use super::LoginError;
use super::claims::{LoginClaims, TokenKind};
use super::config::{LoginType, TokenLocation};
use super::manager::{LoginManager, TokenCheck};

/// The header a cookie-authenticated state-changing request repeats the `csrf` claim in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A token found in a request, and where.
struct Located {
    token: String,
    location: TokenLocation,
    /// The `X-CSRF-TOKEN` value, when the location is a cookie and the request must carry one.
    csrf: Option<String>,
}

/// Whether AuthX's `JWT_CSRF_METHODS` contains `method`.
fn csrf_method(method: &Method) -> bool {
    matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    )
}

fn cookie<'p>(parts: &'p Parts, name: &str) -> Option<&'p str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"'))
        .filter(|v| !v.is_empty())
}

fn query(parts: &Parts) -> Option<String> {
    let query = parts.uri.query()?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.is_empty())
}

fn json(parts: &Parts, body: Option<&[u8]>, member: &str) -> Option<String> {
    let content_type = parts.headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    if content_type != "application/json" {
        return None;
    }
    let body: Map<String, Value> = serde_json::from_slice(body?).ok()?;
    match body.get(member)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

fn locate(
    parts: &Parts,
    body: Option<&[u8]>,
    t: &LoginType,
    kind: TokenKind,
) -> Result<Located, LoginError> {
    for &location in &t.locations {
        let token = match location {
            TokenLocation::Headers => crate::http::bearer_token(&parts.headers).map(str::to_owned),
            TokenLocation::Cookies => {
                let name = match kind {
                    TokenKind::Access => "access_token_cookie",
                    TokenKind::Refresh => "refresh_token_cookie",
                };
                cookie(parts, name).map(str::to_owned)
            }
            TokenLocation::Query => query(parts),
            TokenLocation::Json => {
                let member = match kind {
                    TokenKind::Access => "access_token",
                    TokenKind::Refresh => "refresh_token",
                };
                json(parts, body, member)
            }
        };
        let Some(token) = token else { continue };
        let csrf =
            if location == TokenLocation::Cookies && t.csrf_protect && csrf_method(&parts.method) {
                let header = parts
                    .headers
                    .get(CSRF_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .filter(|v| !v.is_empty())
                    .ok_or(LoginError::MissingCsrfToken)?;
                Some(header.to_owned())
            } else {
                None
            };
        return Ok(Located {
            token,
            location,
            csrf,
        });
    }
    Err(LoginError::MissingToken)
}

impl LoginManager {
    /// Finds the token for `check` in a request and verifies it (AuthX's `token_required`).
    ///
    /// The login type's [locations](super::LoginType::locations) are tried in order; the first
    /// that holds a token wins. A token from a cookie on a POST, PUT, PATCH or DELETE request
    /// (with CSRF protection on) needs the `X-CSRF-TOKEN` header, equal to the token's `csrf`
    /// claim (compared in constant time). `body` is the request body, read only for the JSON
    /// location (`Content-Type: application/json` exactly).
    ///
    /// # Errors
    ///
    /// [`LoginError::MissingToken`], [`LoginError::MissingCsrfToken`],
    /// [`LoginError::CsrfMismatch`], and every error of [`verify`](Self::verify).
    ///
    /// ```
    /// use idpkit::login::{Issue, LoginError, LoginKey, LoginManager, LoginType, TokenCheck, TokenLocation};
    /// let manager = LoginManager::builder()
    ///     .login_type(LoginType::new("users", LoginKey::hs256([1u8; 32])?).locations([TokenLocation::Cookies]))
    ///     .build()?;
    /// let issued = manager.issue(&Issue::access("users", "alice"))?;
    /// let cookie = format!("access_token_cookie={}", issued.expose_secret());
    /// let post = |csrf: &str| http::Request::post("/posts").header("cookie", &cookie)
    ///     .header("x-csrf-token", csrf).body(()).unwrap().into_parts().0;
    ///
    /// let ok = manager.authenticate::<serde_json::Value>(&post(issued.csrf.as_deref().unwrap()), None, &TokenCheck::access("users"))?;
    /// assert_eq!(ok.sub, "alice");
    /// let err = manager.authenticate::<serde_json::Value>(&post("forged"), None, &TokenCheck::access("users")).unwrap_err();
    /// assert_eq!(err, LoginError::CsrfMismatch);
    /// # Ok::<(), LoginError>(())
    /// ```
    pub fn authenticate<T: DeserializeOwned>(
        &self,
        parts: &Parts,
        body: Option<&[u8]>,
        check: &TokenCheck,
    ) -> Result<LoginClaims<T>, LoginError> {
        let claims = self.authenticate_claims(parts, body, check)?;
        serde_json::from_value(Value::Object(claims))
            .map_err(|e| LoginError::CustomClaims(crate::http::describe_json_error(&e)))
    }

    /// [`authenticate`](Self::authenticate), returning every claim as one JSON object.
    pub(crate) fn authenticate_claims(
        &self,
        parts: &Parts,
        body: Option<&[u8]>,
        check: &TokenCheck,
    ) -> Result<Map<String, Value>, LoginError> {
        let t = self.get(check.login_type())?;
        let located = locate(parts, body, t, check.kind())?;
        let claims = self.verify_claims(&located.token, check)?;
        if let Some(sent) = located.csrf {
            debug_assert_eq!(located.location, TokenLocation::Cookies);
            let claim = claims.get("csrf").and_then(Value::as_str).unwrap_or("");
            if claim.is_empty() || !bool::from(claim.as_bytes().ct_eq(sent.as_bytes())) {
                return Err(LoginError::CsrfMismatch);
            }
        }
        Ok(claims)
    }

    /// Whether `login_type` reads tokens from a JSON body (so a guard must buffer it).
    #[cfg_attr(not(feature = "axum"), allow(dead_code))]
    pub(crate) fn reads_json(&self, login_type: &str) -> bool {
        self.get(login_type)
            .is_ok_and(|t| t.reads(TokenLocation::Json))
    }
}
