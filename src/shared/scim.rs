//! The SCIM 2.0 client of this mode (RFC 7644). One source, compiled twice (see
//! `transport.rs`): requests are built and answers parsed by the pure functions of
//! [`crate::provisioning`]; this file only sends and waits.

use std::fmt;
use std::sync::Arc;

use http::Method;
use serde_json::Value;

use super::bearer::BearerAuth;
use super::transport::{HttpClient, Transport, TransportBuilder};
use super::{DefaultHttp, maybe_async};
use crate::ClientSecret;
use crate::error::{Error, Result};
use crate::http::{HttpRequest, HttpResponse, RetryPolicy, transport_setters};
use crate::oidc::ClientCredentialsRequest;
use crate::provisioning::{
    DriftPlan, ListQuery, ListResponse, MetadataPatch, PatchOperation, PermissionSchema,
    ResourceKind, ScimEndpoint, ScimResource, ServerSchema, ServicePermissions,
    ServiceProviderConfig, UserMetadata, decode_metadata, get_request, list_request,
    parse_delete_response, parse_list_response, parse_patch_response, parse_resource_response,
    parse_schema_response, parse_service_provider_config, patch_request, scim_request,
};
use crate::service_token::TokenCache;

/// The most pages a [`ScimPager`] fetches before giving up (a server that never ends).
pub const MAX_LIST_PAGES: usize = 10_000;

/// A client of one SCIM 2.0 service provider (an identity provider's `/scim/v2`): a service's
/// permission schema and drift plan, its users' typed metadata, users and groups. Failed calls
/// are retried as its [`RetryPolicy`] says (default: 5xx, 429, timeouts, transport failures);
/// SCIM error responses become [`ScimError`](crate::provisioning::ScimError)s.
///
/// Cheap to clone (the state is shared behind an `Arc`) and `Send + Sync`.
///
/// ```no_run
/// # #[cfg(feature = "blocking")]
/// # fn run() -> Result<(), idpkit::Error> {
/// use idpkit::blocking::ScimClient;
/// let scim = ScimClient::builder("https://idp.example.com/scim/v2").bearer_token("t0ken").build()?;
/// println!("{:?}", scim.service_provider_config()?);
/// # Ok(()) }
/// # #[cfg(feature = "async")]
/// # async fn run_async() -> Result<(), idpkit::Error> {
/// use idpkit::asynch::ScimClient;
/// let scim = ScimClient::builder("https://idp.example.com/scim/v2").bearer_token("t0ken").build()?;
/// println!("{:?}", scim.service_provider_config().await?);
/// # Ok(()) }
/// ```
pub struct ScimClient<H = DefaultHttp> {
    inner: Arc<Inner<H>>,
}

struct Inner<H> {
    transport: Transport<H>,
    endpoint: ScimEndpoint,
    auth: BearerAuth,
}

impl<H> Clone for ScimClient<H> {
    fn clone(&self) -> Self {
        ScimClient {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<H> fmt::Debug for ScimClient<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScimClient")
            .field("base_url", &self.inner.endpoint.as_url().as_str())
            .field("auth", &self.inner.auth)
            .field("transport", &self.inner.transport)
            .finish_non_exhaustive()
    }
}

impl ScimClient<DefaultHttp> {
    /// A builder for a client of the SCIM service at `base_url` (e.g.
    /// `https://idp.example.com/scim/v2`).
    ///
    /// ```
    /// # #[cfg(feature = "blocking")] {
    /// let builder = idpkit::blocking::ScimClient::builder("https://idp.example.com/scim/v2");
    /// # }
    /// ```
    pub fn builder(base_url: impl Into<String>) -> ScimClientBuilder {
        ScimClientBuilder {
            base_url: base_url.into(),
            auth: BearerAuth::None,
            transport: TransportBuilder::new(RetryPolicy::default()),
        }
    }
}

/// Builds a [`ScimClient`]. Setters never fail; [`build`](Self::build) checks them.
///
/// ```
/// # #[cfg(feature = "async")] {
/// let builder = idpkit::asynch::ScimClient::builder("https://idp.example.com/scim/v2")
///     .bearer_token("t0ken")
///     .timeout(std::time::Duration::from_secs(5));
/// assert!(!format!("{builder:?}").contains("t0ken"));
/// # }
/// ```
#[must_use]
pub struct ScimClientBuilder<H = DefaultHttp> {
    base_url: String,
    auth: BearerAuth,
    transport: TransportBuilder<H>,
}

impl<H> fmt::Debug for ScimClientBuilder<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScimClientBuilder")
            .field("base_url", &self.base_url)
            .field("auth", &self.auth)
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

impl<H> ScimClientBuilder<H> {
    transport_setters!(
        "idpkit::blocking::ScimClient::builder(\"https://idp.example.com/scim/v2\")"
    );

    /// A static bearer token, sent as `Authorization: Bearer <token>` with every call (never
    /// shown by `Debug`).
    ///
    /// ```
    /// # #[cfg(feature = "blocking")] {
    /// let b = idpkit::blocking::ScimClient::builder("https://idp.example.com/scim/v2").bearer_token("t0ken");
    /// # }
    /// ```
    pub fn bearer_token(mut self, token: impl Into<ClientSecret>) -> Self {
        self.auth = self.auth.api_key(token.into());
        self
    }

    /// Authenticates with an OAuth 2.0 access token of `idp`'s client (client credentials) as
    /// `request` asks, from the shared `cache`; a 401 drops the cached token and retries once
    /// with a fresh one. Giving both this and a [`bearer_token`](Self::bearer_token) is a
    /// configuration error when the client is built.
    ///
    /// ```no_run
    /// # #[cfg(feature = "blocking")] {
    /// let idp = idpkit::IdpClientSync::builder("https://login.example.com", "billing")
    ///     .client_secret("s3cr3t").discover().unwrap();
    /// let scim = idpkit::blocking::ScimClient::builder("https://login.example.com/scim/v2")
    ///     .client_credentials(idp, idpkit::service_token::TokenCache::new(), idpkit::oidc::ClientCredentialsRequest::new(["scim"]))
    ///     .build()
    ///     .unwrap();
    /// # }
    /// ```
    pub fn client_credentials(
        mut self,
        idp: super::client::IdpClient,
        cache: TokenCache,
        request: ClientCredentialsRequest,
    ) -> Self {
        self.auth = self.auth.client_credentials(idp, cache, request);
        self
    }

    /// Uses this transport instead of the default one.
    ///
    /// ```
    /// # #[cfg(feature = "blocking")] {
    /// let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
    /// let b = idpkit::blocking::ScimClient::builder("https://idp.example.com/scim/v2")
    ///     .http_client(idpkit::http::UreqHttp::from(agent));
    /// # }
    /// ```
    pub fn http_client<H2>(self, http: H2) -> ScimClientBuilder<H2> {
        ScimClientBuilder {
            base_url: self.base_url,
            auth: self.auth,
            transport: self.transport.with_http(http),
        }
    }

    /// Builds the client.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) for a bad setting: a base URL that is
    /// not https (http only on loopback), an empty token, both a token and client credentials,
    /// a zero timeout.
    ///
    /// ```
    /// # #[cfg(feature = "blocking")] {
    /// assert!(idpkit::blocking::ScimClient::builder("http://idp.example.com/scim/v2").build().is_err());
    /// # }
    /// ```
    pub fn build(self) -> Result<ScimClient<H>> {
        let endpoint = ScimEndpoint::new(&self.base_url)?;
        self.auth.validate("SCIM", "bearer token")?;
        Ok(ScimClient {
            inner: Arc::new(Inner {
                transport: self.transport.build()?,
                endpoint,
                auth: self.auth,
            }),
        })
    }
}

impl<H> ScimClient<H> {
    /// The base URL.
    ///
    /// ```
    /// # #[cfg(feature = "blocking")] {
    /// let c = idpkit::blocking::ScimClient::builder("https://idp.example.com/scim/v2").build().unwrap();
    /// assert_eq!(c.base_url().as_str(), "https://idp.example.com/scim/v2");
    /// # }
    /// ```
    pub fn base_url(&self) -> &url::Url {
        self.inner.endpoint.as_url()
    }

    /// The transport.
    ///
    /// ```
    /// # #[cfg(feature = "blocking")] {
    /// let c = idpkit::blocking::ScimClient::builder("https://idp.example.com/scim/v2").build().unwrap();
    /// let _agent: &ureq::Agent = c.http_client().agent();
    /// # }
    /// ```
    pub fn http_client(&self) -> &H {
        self.inner.transport.http()
    }

    /// A lazy pager over the resources of `kind` that `query` selects: no request until
    /// [`ScimPager::next_page`] (in the blocking client the pager is also an `Iterator` of
    /// pages).
    ///
    /// ```no_run
    /// # #[cfg(feature = "blocking")]
    /// # fn run(scim: idpkit::blocking::ScimClient) -> idpkit::Result<()> {
    /// use idpkit::provisioning::{ListQuery, ResourceKind};
    /// for page in scim.list(ResourceKind::User, ListQuery::new().count(100)) {
    ///     for user in page?.resources { println!("{}", user.id); }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list(&self, kind: ResourceKind, query: ListQuery) -> ScimPager<H> {
        let next = Some(query.start_index.unwrap_or(1).max(1));
        ScimPager {
            client: self.clone(),
            kind,
            query,
            next,
            pages: 0,
        }
    }

    fn limits(&self) -> crate::http::RequestLimits {
        self.inner.transport.limits()
    }
}

#[maybe_async]
impl<H: HttpClient> ScimClient<H> {
    async fn execute<T>(
        &self,
        operation: &'static str,
        request: HttpRequest,
        parse: impl Fn(HttpResponse, std::time::SystemTime) -> Result<T>,
    ) -> Result<T> {
        let inner = &*self.inner;
        inner
            .auth
            .execute(&inner.transport, operation, request, parse)
            .await
    }

    /// What the server supports (`GET /ServiceProviderConfig`, RFC 7644 §4).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Scim`](crate::ErrorKind::Scim) for a SCIM error response (401 for a wrong
    /// token); [`ErrorKind::Status`](crate::ErrorKind::Status) for another non-2xx answer;
    /// transport errors and timeouts after the retries;
    /// [`ErrorKind::MalformedResponse`](crate::ErrorKind::MalformedResponse).
    ///
    /// ```no_run
    /// # #[cfg(feature = "blocking")]
    /// # fn run(scim: idpkit::blocking::ScimClient) -> idpkit::Result<()> {
    /// if scim.service_provider_config()?.etag { println!("If-Match works"); }
    /// # Ok(()) }
    /// ```
    pub async fn service_provider_config(&self) -> Result<ServiceProviderConfig> {
        let request = get_request(
            &self.inner.endpoint,
            &["ServiceProviderConfig"],
            &[],
            self.limits(),
        )?;
        self.execute(
            "scim.service_provider_config",
            request,
            parse_service_provider_config,
        )
        .await
    }

    /// The schema the server serves under `urn` (`GET /Schemas/{urn}`).
    ///
    /// # Errors
    ///
    /// As [`service_provider_config`](Self::service_provider_config); a server without that
    /// schema answers 404.
    ///
    /// ```no_run
    /// # #[cfg(feature = "async")]
    /// # async fn run(scim: idpkit::asynch::ScimClient) -> idpkit::Result<()> {
    /// let s = scim.schema("urn:ietf:params:scim:schemas:core:2.0:User").await?;
    /// println!("{} attributes", s.attributes.len());
    /// # Ok(()) }
    /// ```
    pub async fn schema(&self, urn: &str) -> Result<ServerSchema> {
        let request = get_request(&self.inner.endpoint, &["Schemas", urn], &[], self.limits())?;
        self.execute("scim.schema", request, parse_schema_response)
            .await
    }

    /// The drift plan of `declared` against the server's schema of the same URN (every
    /// attribute an add when the server answers 404). Call
    /// [`DriftPlan::ensure_in_sync`] for strict mode.
    ///
    /// # Errors
    ///
    /// As [`schema`](Self::schema), except 404;
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) for an invalid declaration.
    ///
    /// ```no_run
    /// # #[cfg(feature = "blocking")]
    /// # fn run(scim: idpkit::blocking::ScimClient) -> idpkit::Result<()> {
    /// use idpkit::provisioning::{Permission, PermissionSchema};
    /// let declared = PermissionSchema::new("billing").permission(Permission::boolean("canRefund"));
    /// let plan = scim.drift_plan(&declared)?;
    /// println!("{plan}");
    /// # Ok(()) }
    /// ```
    pub async fn drift_plan(&self, declared: &PermissionSchema) -> Result<DriftPlan> {
        declared.validate()?;
        let server = match self.schema(declared.urn()).await {
            Ok(schema) => Some(schema),
            Err(e) if e.status() == Some(404) => None,
            Err(e) => return Err(e),
        };
        DriftPlan::compute(declared, server.as_ref())
    }

    /// Creates a resource (`POST /Users` or `/Groups`, RFC 7644 §3.3). Retried on 5xx like
    /// every call: a server that created it before failing answers the retry with 409.
    ///
    /// # Errors
    ///
    /// As [`service_provider_config`](Self::service_provider_config): 409 (`uniqueness`) for a
    /// taken `userName`, 400 (`invalidValue`) for a value of the wrong type.
    ///
    /// ```no_run
    /// # #[cfg(feature = "blocking")]
    /// # fn run(scim: idpkit::blocking::ScimClient) -> idpkit::Result<()> {
    /// use idpkit::provisioning::ResourceKind;
    /// let user = scim.create(ResourceKind::User, &serde_json::json!({
    ///     "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    ///     "userName": "bjensen",
    /// }))?;
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, kind: ResourceKind, resource: &Value) -> Result<ScimResource> {
        let url = self.inner.endpoint.join(&[kind.endpoint()])?;
        let request = scim_request(Method::POST, &url, Some(resource), None, self.limits())?;
        self.execute("scim.create", request, parse_resource_response)
            .await
    }

    /// Reads a resource (`GET /Users/{id}`), with its version.
    ///
    /// # Errors
    ///
    /// As [`service_provider_config`](Self::service_provider_config); 404 for an unknown id.
    ///
    /// ```no_run
    /// # #[cfg(feature = "async")]
    /// # async fn run(scim: idpkit::asynch::ScimClient) -> idpkit::Result<()> {
    /// let user = scim.get(idpkit::provisioning::ResourceKind::User, "2819c223").await?;
    /// # Ok(()) }
    /// ```
    pub async fn get(&self, kind: ResourceKind, id: &str) -> Result<ScimResource> {
        let request = get_request(
            &self.inner.endpoint,
            &[kind.endpoint(), id],
            &[],
            self.limits(),
        )?;
        self.execute("scim.get", request, parse_resource_response)
            .await
    }

    /// Replaces a resource with `resource.body` (`PUT`, RFC 7644 §3.5.1), conditional on
    /// `resource.version` when it has one (`If-Match`: a newer version on the server → 412).
    ///
    /// # Errors
    ///
    /// As [`service_provider_config`](Self::service_provider_config); 412 for a stale version.
    ///
    /// ```no_run
    /// # #[cfg(feature = "blocking")]
    /// # fn run(scim: idpkit::blocking::ScimClient) -> idpkit::Result<()> {
    /// use idpkit::provisioning::ResourceKind;
    /// let mut user = scim.get(ResourceKind::User, "2819c223")?;
    /// user.body["displayName"] = "Babs".into();
    /// let user = scim.replace(ResourceKind::User, &user)?;
    /// # Ok(()) }
    /// ```
    pub async fn replace(
        &self,
        kind: ResourceKind,
        resource: &ScimResource,
    ) -> Result<ScimResource> {
        let url = self.inner.endpoint.join(&[kind.endpoint(), &resource.id])?;
        let request = scim_request(
            Method::PUT,
            &url,
            Some(&resource.body),
            resource.version.as_deref(),
            self.limits(),
        )?;
        self.execute("scim.replace", request, parse_resource_response)
            .await
    }

    /// Modifies a resource (`PATCH`, RFC 7644 §3.5.2), conditional on `if_match` when given.
    /// The server answers with the resource or with nothing (204).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) for no operation; otherwise as
    /// [`replace`](Self::replace).
    ///
    /// ```no_run
    /// # #[cfg(feature = "blocking")]
    /// # fn run(scim: idpkit::blocking::ScimClient) -> idpkit::Result<()> {
    /// use idpkit::provisioning::{PatchOperation, ResourceKind};
    /// scim.patch(ResourceKind::User, "2819c223", &[PatchOperation::replace("active", false)], None)?;
    /// # Ok(()) }
    /// ```
    pub async fn patch(
        &self,
        kind: ResourceKind,
        id: &str,
        operations: &[PatchOperation],
        if_match: Option<&str>,
    ) -> Result<Option<ScimResource>> {
        let request = patch_request(
            &self.inner.endpoint,
            kind,
            id,
            operations,
            if_match,
            self.limits(),
        )?;
        self.execute("scim.patch", request, parse_patch_response)
            .await
    }

    /// Deletes a resource (`DELETE`, RFC 7644 §3.6).
    ///
    /// # Errors
    ///
    /// As [`service_provider_config`](Self::service_provider_config); 404 for an unknown id.
    ///
    /// ```no_run
    /// # #[cfg(feature = "async")]
    /// # async fn run(scim: idpkit::asynch::ScimClient) -> idpkit::Result<()> {
    /// scim.delete(idpkit::provisioning::ResourceKind::Group, "e9e30dba").await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete(&self, kind: ResourceKind, id: &str) -> Result<()> {
        let url = self.inner.endpoint.join(&[kind.endpoint(), id])?;
        let request = scim_request(Method::DELETE, &url, None, None, self.limits())?;
        self.execute("scim.delete", request, parse_delete_response)
            .await
    }

    /// A user's metadata for the service `T` describes, typed: `GET /Users/{id}?attributes=<urn>`,
    /// read by [`decode_metadata`] (declared defaults for missing values, strict types).
    ///
    /// # Errors
    ///
    /// As [`get`](Self::get); [`ScimError::Metadata`](crate::provisioning::ScimError::Metadata)
    /// when the stored values do not fit the schema.
    ///
    /// ```no_run
    /// # #[cfg(feature = "blocking")]
    /// # fn run<Billing: idpkit::provisioning::ServicePermissions>(scim: idpkit::blocking::ScimClient) -> idpkit::Result<()> {
    /// let billing = scim.metadata::<Billing>("2819c223")?;
    /// # Ok(()) }
    /// ```
    pub async fn metadata<T: ServicePermissions>(&self, user_id: &str) -> Result<UserMetadata<T>> {
        let schema = T::permission_schema();
        schema.validate()?;
        let request = get_request(
            &self.inner.endpoint,
            &[ResourceKind::User.endpoint(), user_id],
            &[("attributes", schema.urn())],
            self.limits(),
        )?;
        let user = self
            .execute("scim.metadata", request, parse_resource_response)
            .await?;
        let values = decode_metadata(&schema, &user.body)?;
        Ok(UserMetadata {
            user_id: user.id,
            version: user.version,
            values,
        })
    }

    /// Writes a user's metadata: the patch's operations in one `PATCH`, with `If-Match` when the
    /// patch has a version.
    ///
    /// # Errors
    ///
    /// As [`patch`](Self::patch).
    ///
    /// ```no_run
    /// # #[cfg(feature = "async")]
    /// # async fn run(scim: idpkit::asynch::ScimClient, schema: idpkit::provisioning::PermissionSchema) -> idpkit::Result<()> {
    /// use idpkit::provisioning::MetadataPatch;
    /// scim.set_metadata("2819c223", &MetadataPatch::new(&schema).replace("role", "editor")?).await?;
    /// # Ok(()) }
    /// ```
    pub async fn set_metadata(
        &self,
        user_id: &str,
        patch: &MetadataPatch,
    ) -> Result<Option<ScimResource>> {
        self.patch(
            ResourceKind::User,
            user_id,
            patch.operations(),
            patch.version(),
        )
        .await
    }
}

/// A lazy walk over a list's pages (`startIndex` / `count`, RFC 7644 §3.4.2.4): each
/// [`next_page`](Self::next_page) fetches one page, until the server's `totalResults` is
/// reached or a page is empty. A server that ignores `count` is followed by what it sent; one
/// that ignores `startIndex`, or never ends ([`MAX_LIST_PAGES`]), is an error. After an error
/// the pager is done. In the blocking client it is also an `Iterator` of pages.
///
/// ```
/// # #[cfg(feature = "blocking")] {
/// use idpkit::http::{HttpRequest, HttpResponse};
/// use idpkit::provisioning::{ListQuery, ResourceKind};
/// // An in-memory server with 5 users, 2 a page.
/// let server = |request: HttpRequest| -> idpkit::Result<HttpResponse> {
///     let query = request.uri().query().unwrap_or_default().to_owned();
///     let start: usize = query.split('&').find_map(|p| p.strip_prefix("startIndex=")).unwrap().parse().unwrap();
///     let ids: Vec<_> = (start..=5).take(2).map(|i| serde_json::json!({"id": i.to_string()})).collect();
///     let body = serde_json::json!({"totalResults": 5, "startIndex": start, "Resources": ids});
///     Ok(http::Response::builder().header("content-type", "application/scim+json")
///         .body(body.to_string().into_bytes()).unwrap())
/// };
/// let scim = idpkit::blocking::ScimClient::builder("https://idp.example/scim/v2")
///     .http_client(server)
///     .build()
///     .unwrap();
/// let sizes: Vec<usize> = scim
///     .list(ResourceKind::User, ListQuery::new().count(2))
///     .map(|page| page.unwrap().resources.len())
///     .collect();
/// assert_eq!(sizes, [2, 2, 1]);
/// # }
/// ```
///
/// ```no_run
/// # #[cfg(feature = "async")]
/// # async fn run(scim: idpkit::asynch::ScimClient) -> idpkit::Result<()> {
/// use idpkit::provisioning::{ListQuery, ResourceKind};
/// let mut pager = scim.list(ResourceKind::User, ListQuery::new().filter("active eq true").count(50));
/// while let Some(page) = pager.next_page().await? {
///     for user in page.resources { println!("{}", user.id); }
/// }
/// # Ok(()) }
/// ```
pub struct ScimPager<H = DefaultHttp> {
    client: ScimClient<H>,
    kind: ResourceKind,
    query: ListQuery,
    next: Option<u64>,
    pages: usize,
}

impl<H> fmt::Debug for ScimPager<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScimPager")
            .field("kind", &self.kind)
            .field("query", &self.query)
            .field("next", &self.next)
            .field("pages", &self.pages)
            .finish_non_exhaustive()
    }
}

impl<H> ScimPager<H> {
    /// Whether the last page was fetched (or an error ended the walk).
    ///
    /// ```
    /// # #[cfg(feature = "blocking")] {
    /// let c = idpkit::blocking::ScimClient::builder("https://idp.example.com/scim/v2").build().unwrap();
    /// assert!(!c.list(idpkit::provisioning::ResourceKind::User, Default::default()).is_done());
    /// # }
    /// ```
    pub fn is_done(&self) -> bool {
        self.next.is_none()
    }
}

const PAGES: &str = "a finite series of SCIM list pages";

#[maybe_async]
impl<H: HttpClient> ScimPager<H> {
    /// Fetches the next page; `None` when there is none.
    ///
    /// # Errors
    ///
    /// As [`ScimClient::service_provider_config`] (400 `invalidFilter` for a bad filter);
    /// [`ErrorKind::MalformedResponse`](crate::ErrorKind::MalformedResponse) when the server
    /// answers another `startIndex` than asked or the walk exceeds [`MAX_LIST_PAGES`].
    ///
    /// ```no_run
    /// # #[cfg(feature = "blocking")]
    /// # fn run(scim: idpkit::blocking::ScimClient) -> idpkit::Result<()> {
    /// let mut pager = scim.list(idpkit::provisioning::ResourceKind::Group, Default::default());
    /// let first = pager.next_page()?;
    /// # Ok(()) }
    /// ```
    pub async fn next_page(&mut self) -> Result<Option<ListResponse>> {
        let Some(start) = self.next.take() else {
            return Ok(None);
        };
        if self.pages >= MAX_LIST_PAGES {
            return Err(Error::malformed(
                PAGES,
                format!("more than {MAX_LIST_PAGES} pages"),
            ));
        }
        let client = &self.client;
        let request = list_request(
            &client.inner.endpoint,
            self.kind,
            &self.query,
            start,
            client.limits(),
        )?;
        let page = client
            .execute("scim.list", request, parse_list_response)
            .await?;
        self.pages += 1;
        if page.start_index.is_some_and(|s| s != start) {
            return Err(Error::malformed(
                PAGES,
                "the server answered another startIndex than asked",
            ));
        }
        let end = (start - 1).saturating_add(page.resources.len() as u64);
        if !page.resources.is_empty() && end < page.total_results {
            self.next = Some(end + 1);
        }
        Ok(Some(page))
    }

    /// Every remaining resource, page by page.
    ///
    /// # Errors
    ///
    /// As [`next_page`](Self::next_page).
    ///
    /// ```no_run
    /// # #[cfg(feature = "async")]
    /// # async fn run(scim: idpkit::asynch::ScimClient) -> idpkit::Result<()> {
    /// let all = scim.list(idpkit::provisioning::ResourceKind::User, Default::default()).collect_all().await?;
    /// # Ok(()) }
    /// ```
    pub async fn collect_all(mut self) -> Result<Vec<ScimResource>> {
        let mut all = Vec::new();
        while let Some(page) = self.next_page().await? {
            all.extend(page.resources);
        }
        Ok(all)
    }
}
