//! Client authentication at the provider (RFC 6749 §2.3, OIDC Core §9): which method
//! ([`AuthMethod`]), the client's credentials ([`ClientAuth`]), and the one form builder every
//! authenticated endpoint uses (token, revocation, introspection).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::header::{AUTHORIZATION, HeaderValue};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::http::{self as h, HttpRequest, RequestLimits, sensitive_header};
use crate::oidc::TokenTypeHint;
use crate::secret::ClientSecret;

/// A client authentication method at the token endpoint (the names of
/// `token_endpoint_auth_methods_supported`, OIDC Core §9 / RFC 8414).
///
/// ```
/// use idpkit::oidc::AuthMethod;
/// assert_eq!(AuthMethod::ClientSecretPost.as_str(), "client_secret_post");
/// assert_eq!(serde_json::to_string(&AuthMethod::None).unwrap(), r#""none""#);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AuthMethod {
    /// `client_secret_basic`: HTTP Basic with the client id and secret (RFC 6749 §2.3.1).
    ClientSecretBasic,
    /// `client_secret_post`: `client_id` and `client_secret` in the form body.
    ClientSecretPost,
    /// `none`: a public client, identified by `client_id` in the body (and PKCE).
    None,
}

impl AuthMethod {
    /// The method's registered name.
    ///
    /// ```
    /// assert_eq!(idpkit::oidc::AuthMethod::ClientSecretBasic.as_str(), "client_secret_basic");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::None => "none",
        }
    }
}

/// How the client authenticates to the token, revocation and introspection endpoints.
///
/// `Debug` never shows the secret.
///
/// ```
/// use idpkit::{ClientSecret, oidc::ClientAuth};
/// let auth = ClientAuth::ClientSecretBasic { client_id: "app".into(), secret: ClientSecret::new("hunter2") };
/// assert!(!format!("{auth:?}").contains("hunter2"));
/// assert_eq!(auth.client_id(), "app");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientAuth {
    /// HTTP Basic authentication (RFC 6749 §2.3.1), both parts form-urlencoded first.
    ClientSecretBasic {
        /// The client identifier.
        client_id: String,
        /// The client secret.
        secret: ClientSecret,
    },
    /// `client_id` and `client_secret` in the request body (RFC 6749 §2.3.1).
    ClientSecretPost {
        /// The client identifier.
        client_id: String,
        /// The client secret.
        secret: ClientSecret,
    },
    /// No authentication, a public client: only `client_id` in the body (RFC 6749 §3.2.1).
    None {
        /// The client identifier.
        client_id: String,
    },
}

impl ClientAuth {
    /// Chooses the authentication from the client's settings and the provider's
    /// `token_endpoint_auth_methods_supported` (`supported`; empty when not announced):
    ///
    /// - no secret: [`ClientAuth::None`] (the provider's list is not consulted: many providers
    ///   accept public clients without listing `none`);
    /// - `preferred`, if given, when the provider lists it or lists nothing;
    /// - else `client_secret_basic` when listed or nothing is listed (the default of RFC 8414
    ///   §2 and OIDC Discovery §3);
    /// - else `client_secret_post` when listed.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) for an empty client id or secret, a
    /// secret method preferred without a secret, a preferred method the provider does not list,
    /// or a provider that supports neither secret method (such as `private_key_jwt` only).
    ///
    /// ```
    /// use idpkit::{ClientSecret, oidc::{AuthMethod, ClientAuth}};
    /// let secret = || Some(ClientSecret::new("s"));
    /// let post_only = ["client_secret_post".to_string(), "private_key_jwt".to_string()];
    /// let auth = ClientAuth::choose("app", secret(), None, &post_only)?;
    /// assert_eq!(auth.method(), AuthMethod::ClientSecretPost);
    /// assert_eq!(ClientAuth::choose("app", secret(), None, &[])?.method(), AuthMethod::ClientSecretBasic);
    /// assert_eq!(ClientAuth::choose("app", None, None, &post_only)?.method(), AuthMethod::None);
    /// assert!(ClientAuth::choose("app", secret(), Some(AuthMethod::ClientSecretBasic), &post_only).is_err());
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn choose(
        client_id: impl Into<String>,
        secret: Option<ClientSecret>,
        preferred: Option<AuthMethod>,
        supported: &[String],
    ) -> Result<ClientAuth> {
        let client_id = client_id.into();
        if client_id.is_empty() {
            return Err(Error::config("client_id must not be empty"));
        }
        let listed = |m: AuthMethod| supported.iter().any(|s| s == m.as_str());
        let Some(secret) = secret else {
            return match preferred {
                None | Some(AuthMethod::None) => Ok(ClientAuth::None { client_id }),
                Some(m) => Err(Error::config(format!(
                    "token endpoint authentication {} needs a client secret",
                    m.as_str()
                ))),
            };
        };
        if secret.expose_secret().is_empty() {
            return Err(Error::config("client_secret must not be empty"));
        }
        let method = match preferred {
            Some(m) if supported.is_empty() || listed(m) => m,
            Some(m) => {
                return Err(Error::config(format!(
                    "the provider does not support token endpoint authentication {} \
                     (it supports {supported:?})",
                    m.as_str()
                )));
            }
            None if supported.is_empty() || listed(AuthMethod::ClientSecretBasic) => {
                AuthMethod::ClientSecretBasic
            }
            None if listed(AuthMethod::ClientSecretPost) => AuthMethod::ClientSecretPost,
            None => {
                return Err(Error::config(format!(
                    "the provider supports neither client_secret_basic nor client_secret_post \
                     (it supports {supported:?})"
                )));
            }
        };
        Ok(match method {
            AuthMethod::ClientSecretBasic => ClientAuth::ClientSecretBasic { client_id, secret },
            AuthMethod::ClientSecretPost => ClientAuth::ClientSecretPost { client_id, secret },
            AuthMethod::None => ClientAuth::None { client_id },
        })
    }

    /// The client identifier.
    ///
    /// ```
    /// assert_eq!(idpkit::oidc::ClientAuth::None { client_id: "app".into() }.client_id(), "app");
    /// ```
    pub fn client_id(&self) -> &str {
        match self {
            ClientAuth::ClientSecretBasic { client_id, .. }
            | ClientAuth::ClientSecretPost { client_id, .. }
            | ClientAuth::None { client_id } => client_id,
        }
    }

    /// The method used.
    ///
    /// ```
    /// use idpkit::oidc::{AuthMethod, ClientAuth};
    /// assert_eq!(ClientAuth::None { client_id: "app".into() }.method(), AuthMethod::None);
    /// ```
    pub fn method(&self) -> AuthMethod {
        match self {
            ClientAuth::ClientSecretBasic { .. } => AuthMethod::ClientSecretBasic,
            ClientAuth::ClientSecretPost { .. } => AuthMethod::ClientSecretPost,
            ClientAuth::None { .. } => AuthMethod::None,
        }
    }
}

/// The `Authorization` value of `client_secret_basic`: RFC 6749 §2.3.1 has the client id and the
/// secret each `application/x-www-form-urlencoded` before they are joined and base64-encoded.
/// Marked sensitive, so `http`'s `Debug` hides it.
fn basic_authorization(client_id: &str, secret: &ClientSecret) -> Result<HeaderValue> {
    let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let credentials = format!("{}:{}", encode(client_id), encode(secret.expose_secret()));
    sensitive_header(&format!("Basic {}", STANDARD.encode(credentials)))
}

/// A form `POST` to an endpoint that authenticates the client ([`ClientAuth`]): the token,
/// revocation and introspection endpoints.
pub(crate) fn authenticated_form<'a>(
    url: &url::Url,
    mut params: Vec<(&'a str, &'a str)>,
    auth: &'a ClientAuth,
    limits: RequestLimits,
) -> Result<HttpRequest> {
    let mut authorization = None;
    match auth {
        ClientAuth::ClientSecretBasic { client_id, secret } => {
            authorization = Some(basic_authorization(client_id, secret)?);
        }
        ClientAuth::ClientSecretPost { client_id, secret } => {
            params.push(("client_id", client_id));
            params.push(("client_secret", secret.expose_secret()));
        }
        ClientAuth::None { client_id } => params.push(("client_id", client_id)),
    }
    let mut request = h::post_form(url, &params, limits)?;
    if let Some(value) = authorization {
        request.headers_mut().insert(AUTHORIZATION, value);
    }
    Ok(request)
}

/// A form `POST` of `token` and its hint to an authenticated endpoint.
pub(crate) fn token_form(
    what: &str,
    endpoint: &str,
    token: &str,
    hint: Option<TokenTypeHint>,
    auth: &ClientAuth,
    limits: RequestLimits,
) -> Result<HttpRequest> {
    let url = h::require_secure_url(what, endpoint)?;
    if token.is_empty() {
        return Err(Error::config(format!(
            "the token sent to {what} must not be empty"
        )));
    }
    let mut params = vec![("token", token)];
    params.extend(hint.map(|hint| ("token_type_hint", hint.as_str())));
    authenticated_form(&url, params, auth, limits)
}

#[cfg(test)]
mod tests {
    use std::fmt;

    use super::*;
    use crate::error::ErrorKind;

    fn is_config<T: fmt::Debug>(r: Result<T>) -> bool {
        matches!(r.unwrap_err().into_kind(), ErrorKind::Config { .. })
    }

    #[test]
    fn choose_rules() {
        use AuthMethod::{ClientSecretBasic as Basic, ClientSecretPost as Post};
        const NONE: AuthMethod = AuthMethod::None;
        let s = || Some(ClientSecret::new("s"));
        let choose = |id: &str, secret, preferred, supported: &[&str]| {
            let supported: Vec<String> = supported.iter().map(|s| s.to_string()).collect();
            ClientAuth::choose(id, secret, preferred, &supported)
        };
        let both = ["client_secret_post", "client_secret_basic"];
        let cases = [
            (None, None, &[][..], NONE),
            (None, None, &["client_secret_basic"], NONE),
            (None, Some(NONE), &["client_secret_post"], NONE),
            (s(), None, &[], Basic),
            (s(), None, &both, Basic),
            (s(), None, &["client_secret_post", "none"], Post),
            (s(), Some(Post), &[], Post),
            (s(), Some(Post), &both, Post),
            (s(), Some(NONE), &["none", "client_secret_basic"], NONE),
        ];
        for (secret, preferred, supported, expected) in cases {
            let auth = choose("app", secret, preferred, supported).unwrap();
            assert_eq!(auth.method(), expected, "{preferred:?} {supported:?}");
            assert_eq!(auth.client_id(), "app");
        }
        let errors = [
            ("", s(), None, &[][..]),
            ("app", Some(ClientSecret::new("")), None, &[]),
            ("app", None, Some(Basic), &[]),
            ("app", None, Some(Post), &[]),
            ("app", s(), Some(Basic), &["client_secret_post"]),
            ("app", s(), Some(NONE), &["client_secret_post"]),
            ("app", s(), None, &["private_key_jwt", "none"]),
            ("app", s(), None, &["CLIENT_SECRET_BASIC"]),
        ];
        for (id, secret, preferred, supported) in errors {
            let r = choose(id, secret, preferred, supported);
            assert!(is_config(r), "{id:?} {preferred:?} {supported:?}");
        }
        for m in [Basic, Post, NONE] {
            let s = serde_json::to_string(&m).unwrap();
            assert_eq!(s, format!("\"{}\"", m.as_str()));
            assert_eq!(serde_json::from_str::<AuthMethod>(&s).unwrap(), m);
        }
    }

    #[test]
    fn basic_credentials_are_form_encoded_before_base64() {
        let value = basic_authorization("my app:1", &"a:b+c d%é/~".into()).unwrap();
        assert!(value.is_sensitive());
        let encoded = value.to_str().unwrap().strip_prefix("Basic ").unwrap();
        let decoded = String::from_utf8(STANDARD.decode(encoded).unwrap()).unwrap();
        assert_eq!(decoded, "my+app%3A1:a%3Ab%2Bc+d%25%C3%A9%2F%7E");
        // The RFC 6749 §2.3.1 example: plain values stay as they are.
        let value = basic_authorization("s6BhdRkqt3", &"7Fjfp0ZBr1KtDRbnfVdmIw".into()).unwrap();
        assert_eq!(value, "Basic czZCaGRSa3F0Mzo3RmpmcDBaQnIxS3REUmJuZlZkbUl3");
        // Form encoding makes any client id header-safe.
        assert!(basic_authorization("app\n", &"s".into()).is_ok());
    }
}
