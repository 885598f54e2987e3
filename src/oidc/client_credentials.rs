//! The client-credentials request (RFC 6749 §4.4): one value for what a service asks the
//! provider for (scopes, RFC 8707 resources, an `audience`), used by both calls of the clients
//! (`client_credentials` and `cached_client_credentials`), and the key under which the shared
//! token cache keeps its answer.

use std::sync::OnceLock;

use crate::oidc::Grant;
use crate::service_token::CacheKey;

/// What a client-credentials token is asked for: scopes, resource indicators (RFC 8707) and an
/// `audience` (for providers that use it instead of `resource`).
///
/// Build it once and keep it: the token cache key is made on first use and remembered, so a
/// cache hit through [`cached_client_credentials`](crate::asynch::IdpClient::cached_client_credentials)
/// neither normalises the scopes nor allocates.
///
/// ```
/// use idpkit::oidc::ClientCredentialsRequest;
/// let request = ClientCredentialsRequest::new(["projects:read", "projects:write"])
///     .resource("https://api.example.com")
///     .audience("billing-api");
/// assert_eq!(request.scope().as_deref(), Some("projects:read projects:write"));
/// assert_eq!(request.resources(), ["https://api.example.com"]);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ClientCredentialsRequest {
    scopes: Vec<String>,
    resources: Vec<String>,
    audience: Option<String>,
    key: OnceLock<CacheKey>,
}

impl ClientCredentialsRequest {
    /// A request for these scopes (none: the provider's default).
    ///
    /// ```
    /// let request = idpkit::oidc::ClientCredentialsRequest::new(["projects:read"]);
    /// assert_eq!(request.scopes(), ["projects:read"]);
    /// ```
    pub fn new<S: Into<String>>(scopes: impl IntoIterator<Item = S>) -> Self {
        ClientCredentialsRequest {
            scopes: scopes.into_iter().map(Into::into).collect(),
            ..Default::default()
        }
    }

    /// Adds a resource indicator (RFC 8707), sent as a `resource` parameter; tokens for other
    /// resources are cached apart.
    ///
    /// ```
    /// let request = idpkit::oidc::ClientCredentialsRequest::new(["read"]).resource("https://a.example");
    /// assert_eq!(request.resources(), ["https://a.example"]);
    /// ```
    pub fn resource(mut self, resource: impl Into<String>) -> Self {
        self.resources.push(resource.into());
        self.key = OnceLock::new();
        self
    }

    /// Sets the `audience` parameter; tokens for other audiences are cached apart.
    ///
    /// ```
    /// let request = idpkit::oidc::ClientCredentialsRequest::new(["read"]).audience("api");
    /// assert_eq!(request.requested_audience(), Some("api"));
    /// ```
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self.key = OnceLock::new();
        self
    }

    /// The scopes, as given.
    ///
    /// ```
    /// let request = idpkit::oidc::ClientCredentialsRequest::new(["b", "a"]);
    /// assert_eq!(request.scopes(), ["b", "a"]);
    /// ```
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// The resource indicators.
    ///
    /// ```
    /// assert!(idpkit::oidc::ClientCredentialsRequest::new(["a"]).resources().is_empty());
    /// ```
    pub fn resources(&self) -> &[String] {
        &self.resources
    }

    /// The `audience`, if any.
    ///
    /// ```
    /// assert_eq!(idpkit::oidc::ClientCredentialsRequest::new(["a"]).requested_audience(), None);
    /// ```
    pub fn requested_audience(&self) -> Option<&str> {
        self.audience.as_deref()
    }

    /// The `scope` parameter: the scopes joined by spaces, `None` without scopes.
    ///
    /// ```
    /// use idpkit::oidc::ClientCredentialsRequest;
    /// assert_eq!(ClientCredentialsRequest::new(["a", "b"]).scope().as_deref(), Some("a b"));
    /// assert_eq!(ClientCredentialsRequest::new(Vec::<String>::new()).scope(), None);
    /// ```
    pub fn scope(&self) -> Option<String> {
        (!self.scopes.is_empty()).then(|| self.scopes.join(" "))
    }

    /// The grant for [`build_token_request`](crate::oidc::build_token_request); `scope` is
    /// [`scope`](Self::scope), kept by the caller, and `resources` these resources as `&str`.
    ///
    /// ```
    /// use idpkit::oidc::{ClientCredentialsRequest, Grant};
    /// let request = ClientCredentialsRequest::new(["a"]).resource("https://r.example");
    /// let scope = request.scope();
    /// let resources: Vec<&str> = request.resources().iter().map(String::as_str).collect();
    /// let grant = request.grant(scope.as_deref(), &resources);
    /// assert!(matches!(grant, Grant::ClientCredentials { scope: Some("a"), .. }));
    /// ```
    pub fn grant<'a>(&'a self, scope: Option<&'a str>, resources: &'a [&'a str]) -> Grant<'a> {
        Grant::ClientCredentials {
            scope,
            resources,
            audience: self.audience.as_deref(),
        }
    }

    /// The token cache key of this request for `client_id` at `token_endpoint`: made on the
    /// first call and remembered, so later calls for the same client cost an `Arc` clone and
    /// two string comparisons. Scopes and resources are compared as sets.
    ///
    /// ```
    /// use idpkit::oidc::ClientCredentialsRequest;
    /// use idpkit::service_token::CacheKey;
    /// let request = ClientCredentialsRequest::new(["b", "a"]);
    /// let key = request.cache_key("https://op.example/token", "svc");
    /// assert_eq!(key, CacheKey::new("https://op.example/token", "svc", &["a", "b"]));
    /// ```
    pub fn cache_key(&self, token_endpoint: &str, client_id: &str) -> CacheKey {
        let make = || {
            CacheKey::with_target(
                token_endpoint,
                client_id,
                &self.scopes,
                &self.resources,
                self.audience.as_deref(),
            )
        };
        let key = self.key.get_or_init(make);
        if key.client_id() == client_id && key.token_endpoint() == token_endpoint {
            key.clone()
        } else {
            make()
        }
    }
}
