//! The OpenID AuthZEN 1.0 policy decision point (PDP) client of this mode. One source, compiled
//! twice (see `transport.rs`): requests are built and answers parsed by the pure functions of
//! [`crate::authz::authzen`]; this file only sends, retries and waits.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use super::bearer::BearerAuth;
use super::transport::{HttpClient, Transport, TransportBuilder};
use super::{DefaultHttp, maybe_async};
use crate::ClientSecret;
use crate::authz::authzen::{
    Action, ActionSearchRequest, Decision, EvaluationRequest, EvaluationsRequest,
    EvaluationsResponse, PdpEndpoints, PdpId, PdpMetadata, Resource, ResourceSearchRequest,
    SearchRequest, SearchResponse, Subject, SubjectSearchRequest, build_evaluation_request,
    build_evaluations_request, build_metadata_request, build_search_request,
    parse_evaluation_response, parse_evaluations_response, parse_metadata_response,
    parse_search_response, pdp_retry_policy,
};
use crate::error::{Error, Result};
use crate::http::{HttpRequest, HttpResponse, transport_setters};
use crate::oidc::ClientCredentialsRequest;
use crate::service_token::TokenCache;

/// The most pages [`PdpClient::search_all`] fetches before giving up.
pub const MAX_SEARCH_PAGES: usize = 1_000;

/// A client of one OpenID AuthZEN 1.0 policy decision point: access evaluation, batches,
/// searches. Failed calls are retried as its [`RetryPolicy`](crate::http::RetryPolicy) says
/// (default [`pdp_retry_policy`](crate::authz::authzen::pdp_retry_policy): 5xx, 429, timeouts and
/// transport failures; never another 4xx); a deny is an answer, never an error.
///
/// Cheap to clone (the state is shared behind an `Arc`) and `Send + Sync`.
///
/// ```no_run
/// # #[cfg(feature = "async")]
/// # async fn run() -> Result<(), idpkit::Error> {
/// use idpkit::asynch::PdpClient;
/// use idpkit::authz::authzen::{Action, Resource, Subject};
/// let pdp = PdpClient::builder("https://pdp.example.com").api_key("k3y").discover().await?;
/// let allowed = pdp
///     .check(&Subject::new("user", "alice"), &Action::new("can_read"), &Resource::new("account", "123"))
///     .await?;
/// # Ok(()) }
/// # #[cfg(feature = "blocking")]
/// # fn run_blocking() -> Result<(), idpkit::Error> {
/// use idpkit::blocking::PdpClient;
/// use idpkit::authz::authzen::{Action, Resource, Subject};
/// let pdp = PdpClient::builder("https://pdp.example.com").api_key("k3y").discover()?;
/// let allowed = pdp.check(&Subject::new("user", "alice"), &Action::new("can_read"), &Resource::new("account", "123"))?;
/// # Ok(()) }
/// ```
pub struct PdpClient<H = DefaultHttp> {
    inner: Arc<Inner<H>>,
}

struct Inner<H> {
    transport: Transport<H>,
    id: PdpId,
    metadata: Option<PdpMetadata>,
    endpoints: PdpEndpoints,
    auth: BearerAuth,
}

impl<H> Clone for PdpClient<H> {
    fn clone(&self) -> Self {
        PdpClient {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<H> fmt::Debug for PdpClient<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PdpClient")
            .field("pdp", &self.inner.id.as_str())
            .field("auth", &self.inner.auth)
            .field("transport", &self.inner.transport)
            .finish_non_exhaustive()
    }
}

impl PdpClient<DefaultHttp> {
    /// A builder for a client of the PDP identified by `pdp_url` (its `policy_decision_point`,
    /// e.g. `https://pdp.example.com`).
    ///
    /// ```
    /// # #[cfg(feature = "blocking")] {
    /// let builder = idpkit::blocking::PdpClient::builder("https://pdp.example.com")
    ///     .timeout(std::time::Duration::from_secs(2));
    /// # }
    /// ```
    pub fn builder(pdp_url: impl Into<String>) -> PdpClientBuilder {
        PdpClientBuilder {
            pdp_url: pdp_url.into(),
            auth: BearerAuth::None,
            transport: TransportBuilder::new(pdp_retry_policy()),
        }
    }
}

/// Builds a [`PdpClient`]. Setters never fail; every check happens in
/// [`discover`](Self::discover) / [`build`](Self::build), which return
/// [`ErrorKind::Config`](crate::ErrorKind::Config) for a bad setting.
///
/// ```
/// # #[cfg(feature = "async")] {
/// use std::time::Duration;
/// use idpkit::http::RetryPolicy;
/// let builder = idpkit::asynch::PdpClient::builder("https://pdp.example.com")
///     .api_key("k3y")
///     .timeout(Duration::from_secs(2))
///     .max_response_bytes(256 * 1024)
///     .retry_policy(RetryPolicy::none());
/// # }
/// ```
#[must_use]
pub struct PdpClientBuilder<H = DefaultHttp> {
    pdp_url: String,
    auth: BearerAuth,
    transport: TransportBuilder<H>,
}

impl<H> fmt::Debug for PdpClientBuilder<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PdpClientBuilder")
            .field("pdp_url", &self.pdp_url)
            .field("auth", &self.auth)
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

impl<H> PdpClientBuilder<H> {
    transport_setters!("idpkit::blocking::PdpClient::builder(\"https://pdp.example.com\")");
}

#[maybe_async]
impl<H: HttpClient> PdpClientBuilder<H> {
    /// Uses this transport instead of the default one.
    ///
    /// ```
    /// # #[cfg(feature = "blocking")] {
    /// let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
    /// let builder = idpkit::blocking::PdpClient::builder("https://pdp.example.com")
    ///     .http_client(idpkit::http::UreqHttp::from(agent));
    /// # }
    /// ```
    pub fn http_client<H2: HttpClient>(self, http: H2) -> PdpClientBuilder<H2> {
        PdpClientBuilder {
            pdp_url: self.pdp_url,
            auth: self.auth,
            transport: self.transport.with_http(http),
        }
    }

    /// An API key, sent as `Authorization: Bearer <key>` with every call (never shown by
    /// `Debug`).
    ///
    /// ```
    /// # #[cfg(feature = "blocking")] {
    /// let builder = idpkit::blocking::PdpClient::builder("https://pdp.example.com").api_key("k3y");
    /// assert!(!format!("{builder:?}").contains("k3y"));
    /// # }
    /// ```
    pub fn api_key(mut self, key: impl Into<ClientSecret>) -> Self {
        self.auth = self.auth.api_key(key.into());
        self
    }

    /// Authenticates with an OAuth 2.0 access token of `idp`'s client (client credentials,
    /// RFC 6749 §4.4) as `request` asks, taken from `cache` — shared with every other client of the
    /// process, so one token serves them all until shortly before it expires. A 401 from the
    /// PDP drops the cached token and retries once with a fresh one. Giving both this and an
    /// [`api_key`](Self::api_key) is a configuration error when the client is built.
    ///
    /// ```no_run
    /// # #[cfg(feature = "blocking")] {
    /// let idp = idpkit::IdpClientSync::builder("https://login.example.com", "billing")
    ///     .client_secret("s3cr3t")
    ///     .discover()
    ///     .unwrap();
    /// let cache = idpkit::service_token::TokenCache::new();
    /// let pdp = idpkit::PdpClientSync::builder("https://pdp.example.com")
    ///     .client_credentials(idp, cache, idpkit::oidc::ClientCredentialsRequest::new(["pdp:evaluate"]))
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

    fn into_parts(self) -> Result<(PdpId, Inner<H>)> {
        let id = PdpId::new(self.pdp_url)?;
        self.auth.validate("PDP", "API key")?;
        let inner = Inner {
            transport: self.transport.build()?,
            endpoints: PdpEndpoints::defaults(&id),
            id: id.clone(),
            metadata: None,
            auth: self.auth,
        };
        Ok((id, inner))
    }

    /// Fetches the PDP's metadata from its `/.well-known/authzen-configuration` (RFC 8615
    /// insertion for an identifier with a path), checks that `policy_decision_point` equals the
    /// configured identifier exactly and that the endpoints are https (http only on loopback),
    /// and returns the client. Endpoints the metadata does not list are called at their
    /// default paths. The metadata request is not retried.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) for a bad setting;
    /// [`ErrorKind::Transport`](crate::ErrorKind::Transport) /
    /// [`ErrorKind::Timeout`](crate::ErrorKind::Timeout) when fetching fails;
    /// [`ErrorKind::Status`](crate::ErrorKind::Status) for a non-2xx answer;
    /// [`ErrorKind::MalformedResponse`](crate::ErrorKind::MalformedResponse);
    /// [`ErrorKind::PdpMismatch`](crate::ErrorKind::PdpMismatch).
    ///
    /// ```no_run
    /// # #[cfg(feature = "blocking")]
    /// # fn run() -> Result<(), idpkit::Error> {
    /// let pdp = idpkit::blocking::PdpClient::builder("https://pdp.example.com").discover()?;
    /// println!("{:?}", pdp.metadata());
    /// # Ok(()) }
    /// ```
    pub async fn discover(self) -> Result<PdpClient<H>> {
        let (id, inner) = self.into_parts()?;
        let request = build_metadata_request(&id, inner.transport.limits())?;
        let metadata = inner
            .transport
            .execute_once("pdp.discovery", request, |response, now| {
                parse_metadata_response(&id, response, now)
            })
            .await?;
        let endpoints = metadata.endpoints(&id)?;
        Ok(PdpClient {
            inner: Arc::new(Inner {
                metadata: Some(metadata),
                endpoints,
                ..inner
            }),
        })
    }

    /// Builds the client without discovery: every API at its default path under the
    /// identifier (`/access/v1/evaluation`, `/access/v1/evaluations`,
    /// `/access/v1/search/{subject,resource,action}`).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) for a bad setting (an `http://` URL
    /// outside loopback, an empty API key, a zero timeout).
    ///
    /// ```
    /// # #[cfg(feature = "blocking")] {
    /// let pdp = idpkit::blocking::PdpClient::builder("https://pdp.example.com").build().unwrap();
    /// assert_eq!(pdp.endpoints().evaluation.as_str(), "https://pdp.example.com/access/v1/evaluation");
    /// assert!(pdp.metadata().is_none());
    /// # }
    /// ```
    pub fn build(self) -> Result<PdpClient<H>> {
        let (_, inner) = self.into_parts()?;
        Ok(PdpClient {
            inner: Arc::new(inner),
        })
    }
}

impl<H> PdpClient<H> {
    /// The PDP's metadata, when the client was made by
    /// [`discover`](PdpClientBuilder::discover).
    ///
    /// ```no_run
    /// # #[cfg(feature = "blocking")] {
    /// let pdp = idpkit::blocking::PdpClient::builder("https://pdp.example.com").discover().unwrap();
    /// println!("{:?}", pdp.metadata().unwrap().access_evaluations_endpoint);
    /// # }
    /// ```
    pub fn metadata(&self) -> Option<&PdpMetadata> {
        self.inner.metadata.as_ref()
    }

    /// Where each API is called.
    ///
    /// ```
    /// # #[cfg(feature = "blocking")] {
    /// let pdp = idpkit::blocking::PdpClient::builder("https://pdp.example.com").build().unwrap();
    /// assert!(pdp.endpoints().evaluations.as_str().ends_with("/access/v1/evaluations"));
    /// # }
    /// ```
    pub fn endpoints(&self) -> &PdpEndpoints {
        &self.inner.endpoints
    }

    /// The configured PDP identifier.
    ///
    /// ```
    /// # #[cfg(feature = "blocking")] {
    /// let pdp = idpkit::blocking::PdpClient::builder("https://pdp.example.com").build().unwrap();
    /// assert_eq!(pdp.pdp_id().as_str(), "https://pdp.example.com");
    /// # }
    /// ```
    pub fn pdp_id(&self) -> &PdpId {
        &self.inner.id
    }

    /// The transport.
    ///
    /// ```
    /// # #[cfg(feature = "blocking")] {
    /// let pdp = idpkit::blocking::PdpClient::builder("https://pdp.example.com").build().unwrap();
    /// let _agent: &ureq::Agent = pdp.http_client().agent();
    /// # }
    /// ```
    pub fn http_client(&self) -> &H {
        self.inner.transport.http()
    }

    fn limits(&self) -> crate::http::RequestLimits {
        self.inner.transport.limits()
    }
}

#[maybe_async]
impl<H: HttpClient> PdpClient<H> {
    /// Sends `request` through the transport core with this client's credentials and parses
    /// the answer (see [`BearerAuth::execute`]).
    async fn execute<T>(
        &self,
        operation: &'static str,
        request: HttpRequest,
        parse: fn(HttpResponse, SystemTime) -> Result<T>,
    ) -> Result<T> {
        let inner = &*self.inner;
        inner
            .auth
            .execute(&inner.transport, operation, request, parse)
            .await
    }

    /// Asks the PDP for one decision (`POST /access/v1/evaluation`).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Status`](crate::ErrorKind::Status) for a non-2xx answer after the retries
    /// (a 400 names a request the PDP refused); transport errors and timeouts after the
    /// retries; [`ErrorKind::MalformedResponse`](crate::ErrorKind::MalformedResponse). A deny
    /// is `Ok` with `decision == false`.
    ///
    /// ```no_run
    /// # #[cfg(feature = "async")]
    /// # async fn run(pdp: idpkit::asynch::PdpClient) -> idpkit::Result<()> {
    /// use idpkit::authz::authzen::*;
    /// let request = EvaluationRequest::new(Subject::new("user", "alice"), Action::new("can_read"), Resource::new("account", "123"))
    ///     .with_context("time", "1985-10-26T01:22-07:00");
    /// let decision = pdp.evaluate(&request).await?;
    /// println!("{} {:?}", decision.is_permitted(), decision.reason());
    /// # Ok(()) }
    /// ```
    pub async fn evaluate(&self, request: &EvaluationRequest) -> Result<Decision> {
        let http_request =
            build_evaluation_request(&self.inner.endpoints.evaluation, request, self.limits())?;
        self.execute("pdp.evaluate", http_request, parse_evaluation_response)
            .await
    }

    /// Whether `subject` may do `action` on `resource`: [`evaluate`](Self::evaluate) without
    /// context, reduced to its boolean.
    ///
    /// # Errors
    ///
    /// As [`evaluate`](Self::evaluate).
    ///
    /// ```no_run
    /// # #[cfg(feature = "blocking")]
    /// # fn run(pdp: idpkit::blocking::PdpClient) -> idpkit::Result<()> {
    /// use idpkit::authz::authzen::{Action, Resource, Subject};
    /// if pdp.check(&Subject::new("user", "alice"), &Action::new("delete"), &Resource::new("document", "d1"))? {
    ///     println!("go ahead");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn check(
        &self,
        subject: &Subject,
        action: &Action,
        resource: &Resource,
    ) -> Result<bool> {
        let request = EvaluationRequest::new(subject.clone(), action.clone(), resource.clone());
        let decision = self.evaluate(&request).await?;
        Ok(decision.decision)
    }

    /// Asks for a batch of decisions (`POST /access/v1/evaluations`). The answer's length is
    /// checked against the request ([`EvaluationsResponse::check_against`]): under a
    /// short-circuit semantic it may end with the deciding item
    /// ([`EvaluationsResponse::decided_by`]).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) for an empty batch or an item without
    /// subject, action or resource (own or default); otherwise as
    /// [`evaluate`](Self::evaluate), and
    /// [`ErrorKind::MalformedResponse`](crate::ErrorKind::MalformedResponse) for an answer of
    /// an impossible length.
    ///
    /// ```no_run
    /// # #[cfg(feature = "async")]
    /// # async fn run(pdp: idpkit::asynch::PdpClient) -> idpkit::Result<()> {
    /// use idpkit::authz::authzen::*;
    /// let batch = EvaluationsRequest::new()
    ///     .subject(Subject::new("user", "morty"))
    ///     .action(Action::new("can_delete_todo"))
    ///     .item(EvaluationItem::default().resource(Resource::new("todo", "1")))
    ///     .item(EvaluationItem::default().resource(Resource::new("todo", "2")))
    ///     .semantic(EvaluationsSemantic::DenyOnFirstDeny);
    /// let answer = pdp.evaluate_batch(&batch).await?;
    /// println!("all allowed: {}", answer.outcome(EvaluationsSemantic::DenyOnFirstDeny));
    /// # Ok(()) }
    /// ```
    pub async fn evaluate_batch(
        &self,
        request: &EvaluationsRequest,
    ) -> Result<EvaluationsResponse> {
        let http_request =
            build_evaluations_request(&self.inner.endpoints.evaluations, request, self.limits())?;
        let response = self
            .execute(
                "pdp.evaluate_batch",
                http_request,
                parse_evaluations_response,
            )
            .await?;
        response.check_against(request)?;
        Ok(response)
    }

    /// One page of a search (subject, resource or action search, by the request's type).
    ///
    /// # Errors
    ///
    /// As [`evaluate`](Self::evaluate); a PDP without that search API answers 404
    /// ([`ErrorKind::Status`](crate::ErrorKind::Status)).
    ///
    /// ```no_run
    /// # #[cfg(feature = "blocking")]
    /// # fn run(pdp: idpkit::blocking::PdpClient) -> idpkit::Result<()> {
    /// use idpkit::authz::authzen::*;
    /// let page = pdp.search(&ActionSearchRequest::new(Subject::new("user", "a"), Resource::new("doc", "1")))?;
    /// for action in page.results { println!("{}", action.name); }
    /// # Ok(()) }
    /// ```
    pub async fn search<R: SearchRequest>(&self, request: &R) -> Result<SearchResponse<R::Result>> {
        let endpoint = self.inner.endpoints.search(R::KIND);
        let http_request = build_search_request(endpoint, request, self.limits())?;
        self.execute(
            "pdp.search",
            http_request,
            parse_search_response::<R::Result>,
        )
        .await
    }

    /// One page of a subject search (`POST /access/v1/search/subject`).
    ///
    /// # Errors
    ///
    /// As [`search`](Self::search).
    ///
    /// ```no_run
    /// # #[cfg(feature = "async")]
    /// # async fn run(pdp: idpkit::asynch::PdpClient) -> idpkit::Result<()> {
    /// use idpkit::authz::authzen::*;
    /// let r = SubjectSearchRequest::new(Subject::of_type("user"), Action::new("can_read"), Resource::new("account", "123"));
    /// let page = pdp.search_subjects(&r).await?;
    /// # Ok(()) }
    /// ```
    pub async fn search_subjects(
        &self,
        request: &SubjectSearchRequest,
    ) -> Result<SearchResponse<Subject>> {
        self.search(request).await
    }

    /// One page of a resource search (`POST /access/v1/search/resource`).
    ///
    /// # Errors
    ///
    /// As [`search`](Self::search).
    ///
    /// ```no_run
    /// # #[cfg(feature = "async")]
    /// # async fn run(pdp: idpkit::asynch::PdpClient) -> idpkit::Result<()> {
    /// use idpkit::authz::authzen::*;
    /// let r = ResourceSearchRequest::new(Subject::new("user", "alice"), Action::new("can_read"), Resource::of_type("account"));
    /// let page = pdp.search_resources(&r).await?;
    /// # Ok(()) }
    /// ```
    pub async fn search_resources(
        &self,
        request: &ResourceSearchRequest,
    ) -> Result<SearchResponse<Resource>> {
        self.search(request).await
    }

    /// One page of an action search (`POST /access/v1/search/action`).
    ///
    /// # Errors
    ///
    /// As [`search`](Self::search).
    ///
    /// ```no_run
    /// # #[cfg(feature = "async")]
    /// # async fn run(pdp: idpkit::asynch::PdpClient) -> idpkit::Result<()> {
    /// use idpkit::authz::authzen::*;
    /// let r = ActionSearchRequest::new(Subject::new("user", "alice"), Resource::new("account", "123"));
    /// let page = pdp.search_actions(&r).await?;
    /// # Ok(()) }
    /// ```
    pub async fn search_actions(
        &self,
        request: &ActionSearchRequest,
    ) -> Result<SearchResponse<Action>> {
        self.search(request).await
    }

    /// Every result of a search: follows `next_token` until it is empty or absent, sending the
    /// request unchanged but for `page.token`. Bounded: at most [`MAX_SEARCH_PAGES`] pages,
    /// and a token the PDP already gave is an error (a loop).
    ///
    /// # Errors
    ///
    /// As [`search`](Self::search);
    /// [`ErrorKind::MalformedResponse`](crate::ErrorKind::MalformedResponse) for a repeated
    /// token or too many pages.
    ///
    /// ```no_run
    /// # #[cfg(feature = "blocking")]
    /// # fn run(pdp: idpkit::blocking::PdpClient) -> idpkit::Result<()> {
    /// use idpkit::authz::authzen::*;
    /// let r = ResourceSearchRequest::new(Subject::new("user", "alice"), Action::new("can_read"), Resource::of_type("account"))
    ///     .with_page(Page::limit(100));
    /// let all: Vec<Resource> = pdp.search_all(&r)?;
    /// # Ok(()) }
    /// ```
    pub async fn search_all<R: SearchRequest>(&self, request: &R) -> Result<Vec<R::Result>> {
        let mut request = request.clone();
        if let Some(page) = request.page_mut() {
            page.token = None;
        }
        let mut results = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..MAX_SEARCH_PAGES {
            let page = self.search(&request).await?;
            let next = page.next_token().map(str::to_owned);
            results.extend(page.results);
            let Some(token) = next else {
                return Ok(results);
            };
            if !seen.insert(token.clone()) {
                return Err(Error::malformed(
                    SEARCH_PAGES,
                    "the PDP repeated a page token",
                ));
            }
            request
                .page_mut()
                .get_or_insert_with(Default::default)
                .token = Some(token);
        }
        Err(Error::malformed(
            SEARCH_PAGES,
            format!("more than {MAX_SEARCH_PAGES} pages"),
        ))
    }
}

const SEARCH_PAGES: &str = "a finite series of AuthZEN search pages";
