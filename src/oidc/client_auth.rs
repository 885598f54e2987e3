//! Client authentication at the provider (RFC 6749 §2.3, OIDC Core §9): which method
//! ([`AuthMethod`]), the client's credentials ([`ClientAuth`]), and the one form builder every
//! authenticated endpoint uses (token, revocation, introspection).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::header::{AUTHORIZATION, HeaderValue};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::http::{self as h, HttpRequest, RequestLimits, sensitive_header};
use crate::oidc::client_auth_jwt::{key_assertion, secret_assertion};
use crate::oidc::{
    ClientAssertionKey, JWT_BEARER_ASSERTION_TYPE, JwtAssertion, ProviderMetadata, TokenTypeHint,
};
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
    /// `client_secret_jwt`: an HS256 assertion keyed by the client secret (RFC 7523 §2.2,
    /// OIDC Core §9).
    ClientSecretJwt,
    /// `private_key_jwt`: an assertion signed with the client's private key (RFC 7523 §2.2,
    /// OIDC Core §9).
    PrivateKeyJwt,
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
            AuthMethod::ClientSecretJwt => "client_secret_jwt",
            AuthMethod::PrivateKeyJwt => "private_key_jwt",
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
    /// `client_secret_jwt`: `client_id`, and a fresh HS256 `client_assertion` keyed by the
    /// secret, in the body (RFC 7523 §2.2).
    ClientSecretJwt {
        /// The client identifier.
        client_id: String,
        /// The client secret (the HMAC key).
        secret: ClientSecret,
        /// The assertions' audience, lifetime and clock.
        assertion: JwtAssertion,
    },
    /// `private_key_jwt`: `client_id`, and a fresh `client_assertion` signed with the client's
    /// private key, in the body (RFC 7523 §2.2).
    PrivateKeyJwt {
        /// The client identifier.
        client_id: String,
        /// The private key, with its algorithm and `kid`.
        key: ClientAssertionKey,
        /// The assertions' audience, lifetime and clock.
        assertion: JwtAssertion,
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
    /// The JWT methods need an audience: [`ClientAuth::select`] chooses them (and these), from
    /// the whole metadata.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) for an empty client id or secret, a
    /// secret method preferred without a secret, a JWT method preferred, a preferred method the provider does not list,
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
        if let Some(m @ (AuthMethod::ClientSecretJwt | AuthMethod::PrivateKeyJwt)) = preferred {
            return Err(Error::config(format!(
                "token endpoint authentication {} needs an audience: use ClientAuth::select",
                m.as_str()
            )));
        }
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
            AuthMethod::ClientSecretJwt | AuthMethod::PrivateKeyJwt => {
                unreachable!("refused above")
            }
        })
    }

    /// Chooses the authentication from the client's settings and the provider's whole
    /// metadata, JWT methods included:
    ///
    /// - with a private key: `private_key_jwt` (the provider must list it, and the key's
    ///   algorithm in `token_endpoint_auth_signing_alg_values_supported`, when it lists any);
    /// - `client_secret_jwt` when preferred, or when the provider lists it and neither
    ///   `client_secret_basic` nor `client_secret_post`;
    /// - else as [`choose`](Self::choose).
    ///
    /// The assertions are for `assertion`'s audience (the provider's issuer identifier).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) as [`choose`](Self::choose), and for a
    /// private key with another method preferred, `private_key_jwt` preferred without a key,
    /// or a method or algorithm the provider does not list.
    ///
    /// ```
    /// use idpkit::{ClientSecret, oidc::{AuthMethod, ClientAuth, JwtAssertion, ProviderMetadata}};
    /// let metadata: ProviderMetadata = serde_json::from_value(serde_json::json!({
    ///     "issuer": "https://op.example", "authorization_endpoint": "https://op.example/a",
    ///     "jwks_uri": "https://op.example/j",
    ///     "token_endpoint_auth_methods_supported": ["client_secret_jwt", "private_key_jwt"],
    /// })).unwrap();
    /// let auth = ClientAuth::select("app", Some(ClientSecret::new("s")), None, None, &metadata, JwtAssertion::new("https://op.example"))?;
    /// assert_eq!(auth.method(), AuthMethod::ClientSecretJwt);
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn select(
        client_id: impl Into<String>,
        secret: Option<ClientSecret>,
        key: Option<ClientAssertionKey>,
        preferred: Option<AuthMethod>,
        metadata: &ProviderMetadata,
        assertion: JwtAssertion,
    ) -> Result<ClientAuth> {
        let client_id = client_id.into();
        let methods = &metadata.token_endpoint_auth_methods_supported;
        let listed = |m: AuthMethod| methods.is_empty() || methods.iter().any(|s| s == m.as_str());
        let require = |m: AuthMethod| {
            if listed(m) {
                Ok(())
            } else {
                Err(Error::config(format!(
                    "the provider does not support token endpoint authentication {} \
                     (it supports {methods:?})",
                    m.as_str()
                )))
            }
        };
        let algs: Vec<&str> = metadata
            .additional
            .get("token_endpoint_auth_signing_alg_values_supported")
            .and_then(serde_json::Value::as_array)
            .map(|a| a.iter().filter_map(serde_json::Value::as_str).collect())
            .unwrap_or_default();
        let require_alg = |alg: jsonwebtoken::Algorithm| {
            let name = format!("{alg:?}");
            if algs.is_empty() || algs.contains(&name.as_str()) {
                Ok(())
            } else {
                Err(Error::config(format!(
                    "the provider does not accept client assertions signed with {name} \
                     (it accepts {algs:?})"
                )))
            }
        };
        if client_id.is_empty() {
            return Err(Error::config("client_id must not be empty"));
        }
        if let Some(key) = key {
            if preferred.is_some_and(|m| m != AuthMethod::PrivateKeyJwt) {
                return Err(Error::config(
                    "a client assertion key is set: the authentication method is private_key_jwt",
                ));
            }
            require(AuthMethod::PrivateKeyJwt)?;
            require_alg(key.algorithm())?;
            return Ok(ClientAuth::PrivateKeyJwt {
                client_id,
                key,
                assertion,
            });
        }
        let only_jwt = !methods.is_empty()
            && !listed(AuthMethod::ClientSecretBasic)
            && !listed(AuthMethod::ClientSecretPost)
            && listed(AuthMethod::ClientSecretJwt);
        match (preferred, secret) {
            (Some(AuthMethod::PrivateKeyJwt), _) => Err(Error::config(
                "token endpoint authentication private_key_jwt needs a client assertion key",
            )),
            (Some(AuthMethod::ClientSecretJwt), None) => Err(Error::config(
                "token endpoint authentication client_secret_jwt needs a client secret",
            )),
            (Some(AuthMethod::ClientSecretJwt), Some(secret)) | (None, Some(secret))
                if preferred.is_some() || only_jwt =>
            {
                if secret.expose_secret().is_empty() {
                    return Err(Error::config("client_secret must not be empty"));
                }
                require(AuthMethod::ClientSecretJwt)?;
                require_alg(jsonwebtoken::Algorithm::HS256)?;
                Ok(ClientAuth::ClientSecretJwt {
                    client_id,
                    secret,
                    assertion,
                })
            }
            (preferred, secret) => ClientAuth::choose(client_id, secret, preferred, methods),
        }
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
            | ClientAuth::ClientSecretJwt { client_id, .. }
            | ClientAuth::PrivateKeyJwt { client_id, .. }
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
            ClientAuth::ClientSecretJwt { .. } => AuthMethod::ClientSecretJwt,
            ClientAuth::PrivateKeyJwt { .. } => AuthMethod::PrivateKeyJwt,
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
    let assertion = match auth {
        ClientAuth::ClientSecretJwt {
            client_id,
            secret,
            assertion,
        } => Some(secret_assertion(assertion, client_id, secret)?),
        ClientAuth::PrivateKeyJwt {
            client_id,
            key,
            assertion,
        } => Some(key_assertion(assertion, client_id, key)?),
        _ => None,
    };
    match auth {
        ClientAuth::ClientSecretBasic { client_id, secret } => {
            authorization = Some(basic_authorization(client_id, secret)?);
        }
        ClientAuth::ClientSecretPost { client_id, secret } => {
            params.push(("client_id", client_id));
            params.push(("client_secret", secret.expose_secret()));
        }
        ClientAuth::None { client_id }
        | ClientAuth::ClientSecretJwt { client_id, .. }
        | ClientAuth::PrivateKeyJwt { client_id, .. } => params.push(("client_id", client_id)),
    }
    let mut params = params;
    if let Some(assertion) = &assertion {
        params.push(("client_assertion_type", JWT_BEARER_ASSERTION_TYPE));
        params.push(("client_assertion", assertion));
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
