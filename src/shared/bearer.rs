//! How a client of this mode authenticates with `Authorization: Bearer`: a static token (an API
//! key), or an OAuth 2.0 access token of an [`IdpClient`](super::client::IdpClient) (client
//! credentials) from a shared [`TokenCache`]. One home for the PDP client and the SCIM client.
//! One source, compiled twice (see `transport.rs`).

use std::fmt;
use std::time::SystemTime;

use super::maybe_async;
use super::transport::{HttpClient, Transport};
use crate::ClientSecret;
use crate::authz::authzen::set_bearer;
use crate::error::{Error, Result};
use crate::http::{HttpRequest, HttpResponse};
use crate::oidc::ClientCredentialsRequest;
use crate::service_token::{CachedToken, TokenCache};

/// How a client authenticates.
#[derive(Clone)]
pub(crate) enum BearerAuth {
    /// No `Authorization` header.
    None,
    /// `Authorization: Bearer <key>`.
    ApiKey(ClientSecret),
    /// An OAuth 2.0 access token for this client (client credentials) from a shared
    /// [`TokenCache`], dropped and fetched again once when the server answers 401.
    ClientCredentials(Box<Credentials>),
    /// Both were configured: refused when the client is built.
    Conflict,
}

#[derive(Clone)]
pub(crate) struct Credentials {
    idp: super::client::IdpClient,
    cache: TokenCache,
    request: ClientCredentialsRequest,
}

impl fmt::Debug for BearerAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BearerAuth::None => f.write_str("None"),
            BearerAuth::ApiKey(key) => f.debug_tuple("ApiKey").field(key).finish(),
            BearerAuth::ClientCredentials(c) => f
                .debug_struct("ClientCredentials")
                .field("client_id", &c.idp.client_id())
                .field("request", &c.request)
                .finish(),
            BearerAuth::Conflict => f.write_str("Conflict"),
        }
    }
}

impl BearerAuth {
    /// This auth with a static token (a conflict if client credentials were given).
    pub(crate) fn api_key(self, key: ClientSecret) -> Self {
        match self {
            BearerAuth::None | BearerAuth::ApiKey(_) => BearerAuth::ApiKey(key),
            _ => BearerAuth::Conflict,
        }
    }

    /// This auth with client credentials (a conflict if a static token was given).
    pub(crate) fn client_credentials(
        self,
        idp: super::client::IdpClient,
        cache: TokenCache,
        request: ClientCredentialsRequest,
    ) -> Self {
        let credentials = Credentials {
            idp,
            cache,
            request,
        };
        match self {
            BearerAuth::None | BearerAuth::ClientCredentials(_) => {
                BearerAuth::ClientCredentials(Box::new(credentials))
            }
            _ => BearerAuth::Conflict,
        }
    }

    /// Checks the settings when the client is built; `client` names the client ("PDP") and
    /// `key` the static token ("API key") in the errors.
    pub(crate) fn validate(&self, client: &str, key: &str) -> Result<()> {
        match self {
            BearerAuth::ApiKey(k) if k.expose_secret().is_empty() => Err(Error::config(format!(
                "the {client} {key} must not be empty"
            ))),
            BearerAuth::Conflict => {
                let article = if key.starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U'])
                {
                    "an"
                } else {
                    "a"
                };
                Err(Error::config(format!(
                    "give the {client} client {article} {key} or client credentials, not both"
                )))
            }
            // Fails now, not at the first call, when the provider has no token endpoint.
            BearerAuth::ClientCredentials(c) => c.idp.client_credentials_key(&c.request).map(drop),
            _ => Ok(()),
        }
    }
}

#[maybe_async]
impl BearerAuth {
    /// Adds the credentials to a request; returns the cached token it used, if any.
    async fn authorize(&self, request: &mut HttpRequest) -> Result<Option<CachedToken>> {
        match self {
            BearerAuth::None | BearerAuth::Conflict => Ok(None),
            BearerAuth::ApiKey(key) => set_bearer(request, key.expose_secret()).map(|()| None),
            BearerAuth::ClientCredentials(c) => {
                let token = c
                    .idp
                    .cached_client_credentials(&c.cache, &c.request)
                    .await?;
                set_bearer(request, token.access_token().expose_secret())?;
                Ok(Some(token))
            }
        }
    }

    /// Authorizes `request` (built once: every attempt carries the same `X-Request-ID`) and
    /// sends it through the transport core, which retries as its policy says, and parses the
    /// answer. A cached token the server no longer accepts (401: revoked, rotated keys) is
    /// dropped and the call made once more with a fresh one.
    pub(crate) async fn execute<H: HttpClient, T>(
        &self,
        transport: &Transport<H>,
        operation: &'static str,
        mut request: HttpRequest,
        parse: impl Fn(HttpResponse, SystemTime) -> Result<T>,
    ) -> Result<T> {
        let token = self.authorize(&mut request).await?;
        match transport.execute(operation, request.clone(), &parse).await {
            Err(err)
                if err.status() == Some(401)
                    && let (BearerAuth::ClientCredentials(c), Some(used)) = (self, &token) =>
            {
                let key = c.idp.client_credentials_key(&c.request)?;
                c.cache.invalidate_token(&key, used);
                self.authorize(&mut request).await?;
                transport.execute(operation, request, &parse).await
            }
            other => other,
        }
    }
}
