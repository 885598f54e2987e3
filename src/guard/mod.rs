//! A guard for axum (feature `axum`): before a handler runs, verify the request's bearer token
//! and ask a policy decision point whether its subject may do the action on the resource.
//!
//! The subject always comes from a **verified** token (by default the provider's introspection
//! endpoint, RFC 7662; or any [`TokenVerifier`]), never from a header the caller could set.
//! Answers, failing closed:
//!
//! | situation | status |
//! |---|---|
//! | no bearer token | 401, `WWW-Authenticate: Bearer realm="…"` |
//! | a token that does not verify (inactive, expired, malformed) | 401, `… error="invalid_token"` |
//! | with [`Guard::dpop`]: a `DPoP` token whose proof fails (signature, `htm`, `htu`, `iat`, `ath`, replayed `jti`) | 401, `WWW-Authenticate: DPoP … error="invalid_dpop_proof"` |
//! | a DPoP-bound token (`cnf.jkt`) sent as `Bearer`, or bound to another key than the proof's | 401, `… error="invalid_token"` |
//! | the PDP denies | 403 |
//! | the provider or the PDP cannot be reached or answers garbage | 503 |
//! | verification and decision together take longer than the [budget](Guard::budget) (default 5 s) | 503 |
//!
//! On success the verified [`Caller`] is put in the request's extensions, so handlers can
//! take `Extension<Caller>`.
//!
//! Two ways to mount it, one decision: the axum middleware [`enforce`] (below), or the tower
//! layer [`Requirement::layer`] ([`GuardLayer`]) for any `tower::Service` over `http` types —
//! a bare hyper server, tonic, a tower-http stack, or an axum router too.
//!
//! ```no_run
//! # async fn run() -> idpkit::Result<()> {
//! use axum::{Router, routing::get, middleware::from_fn_with_state};
//! use idpkit::guard::{Guard, IntrospectionVerifier, enforce};
//!
//! let idp = idpkit::IdpClient::builder("https://login.example.com", "my-api")
//!     .client_secret("s3cr3t")
//!     .discover()
//!     .await?;
//! let pdp = idpkit::asynch::PdpClient::builder("https://pdp.example.com").build()?;
//! let guard = Guard::new(IntrospectionVerifier::new(idp), pdp);
//! let app: Router = Router::new().route(
//!     "/documents/{id}",
//!     get(|| async { "the document" })
//!         .route_layer(from_fn_with_state(guard.require("document", "read"), enforce)),
//! );
//! # Ok(()) }
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRequestParts, RawPathParams, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::request::Parts;

use crate::authz::authzen::{Action, EvaluationRequest, Resource, Subject};
use crate::error::{Error, ErrorKind, Result};

mod dpop;
mod jwt;
mod layer;
pub mod login;
mod metadata;
mod refusal;
mod signature;
mod verified;
pub use jwt::{DEFAULT_VERIFIED_TOKENS, JwtVerifier};
pub use layer::{GuardLayer, Guarded};
pub use metadata::{DEFAULT_METADATA_CAPACITY, DEFAULT_METADATA_TTL, ServiceUser, UserDirectory};
use refusal::Refusal;
pub use signature::{DEFAULT_SIGNED_BODY_LIMIT, SignedRequests, verify_signature};
use verified::VerifiedTokens;

/// A boxed future, for the object-safe traits below.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Who a verified token speaks for.
///
/// ```
/// let p = idpkit::guard::Caller { subject: "usr_alice".into(), scope: None, claims: Default::default() };
/// assert_eq!(p.subject, "usr_alice");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Caller {
    /// The subject (`sub`).
    pub subject: String,
    /// The token's scope, if known.
    pub scope: Option<String>,
    /// Everything else the verifier learnt (introspection members or JWT claims).
    pub claims: serde_json::Map<String, serde_json::Value>,
}

/// Turns a bearer token into a [`Caller`], or refuses it.
///
/// Return [`ErrorKind::TokenValidation`] (or an OAuth `invalid_token`) for a token that is not
/// valid: the guard answers 401. Any other error (the provider unreachable, …) answers 503.
///
/// ```
/// use idpkit::guard::{BoxFuture, Caller, TokenVerifier};
/// /// Accepts one fixed token (for tests).
/// struct Fixed;
/// impl TokenVerifier for Fixed {
///     fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, idpkit::Result<Caller>> {
///         Box::pin(async move {
///             if token == "let-me-in" {
///                 Ok(Caller { subject: "usr_test".into(), scope: None, claims: Default::default() })
///             } else {
///                 Err(idpkit::TokenValidationError::InvalidSignature.into())
///             }
///         })
///     }
/// }
/// ```
pub trait TokenVerifier: Send + Sync + 'static {
    /// Verifies `token`.
    fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Caller>>;
}

/// Verifies tokens with the provider's introspection endpoint (RFC 7662), authenticated as the
/// given client: works for opaque and JWT access tokens alike, and sees revocations at once.
/// With [`remember`](Self::remember), active answers are reused for a short while (never past the
/// token's `exp`), trading that immediacy for a round trip saved per repeated token.
///
/// ```no_run
/// # async fn run() -> idpkit::Result<()> {
/// let idp = idpkit::IdpClient::builder("https://login.example.com", "my-api")
///     .client_secret("s3cr3t")
///     .discover()
///     .await?;
/// let verifier = idpkit::guard::IntrospectionVerifier::new(idp);
/// # Ok(()) }
/// ```
pub struct IntrospectionVerifier<H = crate::asynch::DefaultHttp> {
    client: crate::asynch::IdpClient<H>,
    seen: VerifiedTokens,
    ttl: Duration,
}

impl<H> IntrospectionVerifier<H> {
    /// A verifier that introspects through `client`, every time.
    ///
    /// ```no_run
    /// # async fn run(idp: idpkit::IdpClient) {
    /// let verifier = idpkit::guard::IntrospectionVerifier::new(idp);
    /// # }
    /// ```
    pub fn new(client: crate::asynch::IdpClient<H>) -> Self {
        IntrospectionVerifier {
            client,
            seen: VerifiedTokens::new(0),
            ttl: Duration::ZERO,
        }
    }

    /// Reuses an active answer for `ttl` (capped by the token's `exp`), for at most `tokens`
    /// tokens, keyed by the token's SHA-256: a revocation is then seen within `ttl`. Inactive
    /// answers and errors are never reused.
    ///
    /// ```no_run
    /// # async fn run(idp: idpkit::IdpClient) {
    /// let verifier = idpkit::guard::IntrospectionVerifier::new(idp)
    ///     .remember(10_000, std::time::Duration::from_secs(30));
    /// # }
    /// ```
    pub fn remember(mut self, tokens: usize, ttl: Duration) -> Self {
        self.seen = VerifiedTokens::new(tokens);
        self.ttl = ttl;
        self
    }
}

impl<H> std::fmt::Debug for IntrospectionVerifier<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntrospectionVerifier")
            .field("ttl", &self.ttl)
            .field("remembered", &self.seen.len())
            .finish_non_exhaustive()
    }
}

impl<H: crate::asynch::HttpClient + 'static> TokenVerifier for IntrospectionVerifier<H> {
    fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Caller>> {
        Box::pin(async move {
            let now = self.client.now();
            let key = VerifiedTokens::key(token);
            if let Some(caller) = self.seen.get(&key, now) {
                return Ok(caller);
            }
            let info = self
                .client
                .introspect(&crate::AccessToken::new(token))
                .await?;
            if !info.active {
                return Err(invalid_token("the token is not active"));
            }
            let subject = info
                .sub
                .clone()
                .or_else(|| info.client_id.clone())
                .ok_or_else(|| invalid_token("the token has no subject"))?;
            let mut claims = info.extra.clone();
            if let Some(client_id) = &info.client_id {
                claims.insert("client_id".into(), client_id.clone().into());
            }
            let caller = Caller {
                subject,
                scope: info.scope.clone(),
                claims,
            };
            let until = crate::clock::since_epoch(now)
                .saturating_add(self.ttl)
                .as_secs();
            let until = info.exp.map_or(until, |exp| exp.min(until));
            self.seen.insert(key, caller.clone(), until, now);
            Ok(caller)
        })
    }
}

fn invalid_token(description: &str) -> Error {
    crate::OAuthError::new(crate::OAuthErrorCode::InvalidToken)
        .with_description(description)
        .into()
}

/// Decides whether an evaluation request is allowed: a policy decision point.
///
/// Implemented by [`PdpClient`](crate::asynch::PdpClient); implement it to use another engine.
/// An error answers 503 (fail closed).
///
/// ```
/// use idpkit::authz::authzen::EvaluationRequest;
/// use idpkit::guard::{Authorizer, BoxFuture};
/// /// Allows reading only.
/// struct ReadOnly;
/// impl Authorizer for ReadOnly {
///     fn is_allowed<'a>(&'a self, request: &'a EvaluationRequest) -> BoxFuture<'a, idpkit::Result<bool>> {
///         Box::pin(async move { Ok(request.action.name == "read") })
///     }
/// }
/// ```
pub trait Authorizer: Send + Sync + 'static {
    /// Whether `request` is allowed.
    fn is_allowed<'a>(&'a self, request: &'a EvaluationRequest) -> BoxFuture<'a, Result<bool>>;
}

impl<H: crate::asynch::HttpClient + 'static> Authorizer for crate::asynch::PdpClient<H> {
    fn is_allowed<'a>(&'a self, request: &'a EvaluationRequest) -> BoxFuture<'a, Result<bool>> {
        Box::pin(async move { Ok(self.evaluate(request).await?.decision) })
    }
}

type SubjectFn = dyn Fn(&Caller) -> Subject + Send + Sync;
type ResourceFn =
    dyn Fn(&Parts, &str, Option<&str>) -> BoxFuture<'static, Result<Resource>> + Send + Sync;

/// The guard: a token verifier, a policy decision point, and how subjects and resources are
/// named. Cheap to clone.
///
/// ```no_run
/// # fn run(verifier: idpkit::guard::IntrospectionVerifier, pdp: idpkit::asynch::PdpClient) {
/// use idpkit::guard::Guard;
/// let guard = Guard::new(verifier, pdp)
///     .realm("documents-api")
///     .resource_id_param("doc_id");
/// let requirement = guard.require("document", "read");
/// # }
/// ```
#[derive(Clone)]
pub struct Guard {
    inner: Arc<GuardInner>,
}

struct GuardInner {
    verifier: Box<dyn TokenVerifier>,
    pdp: Box<dyn Authorizer>,
    realm: String,
    id_param: Option<String>,
    subject: Box<SubjectFn>,
    resource: Option<Box<ResourceFn>>,
    budget: Duration,
    dpop: Option<dpop::DpopPolicy>,
}

/// The default [`Guard::budget`]: well under the 30 s after which proxies and load balancers
/// usually give up on a request.
pub const DEFAULT_GUARD_BUDGET: Duration = Duration::from_secs(5);

impl Guard {
    /// A guard verifying tokens with `verifier` and asking `pdp`. Defaults: subject
    /// `{type: "user", id: <sub>}`, resource `{type, id: <the route's first path parameter>}`
    /// (or the one named by [`resource_id_param`](Self::resource_id_param); `*` when the route
    /// has none), realm `idpkit`.
    ///
    /// ```no_run
    /// # fn run(verifier: idpkit::guard::IntrospectionVerifier, pdp: idpkit::asynch::PdpClient) {
    /// let guard = idpkit::guard::Guard::new(verifier, pdp);
    /// # }
    /// ```
    pub fn new(verifier: impl TokenVerifier, pdp: impl Authorizer) -> Self {
        Guard {
            inner: Arc::new(GuardInner {
                verifier: Box::new(verifier),
                pdp: Box::new(pdp),
                realm: "idpkit".into(),
                id_param: None,
                subject: Box::new(|p: &Caller| Subject::new("user", &p.subject)),
                resource: None,
                budget: DEFAULT_GUARD_BUDGET,
                dpop: None,
            }),
        }
    }

    fn with(self, f: impl FnOnce(&mut GuardInner)) -> Self {
        let mut inner = Arc::try_unwrap(self.inner).unwrap_or_else(|_| {
            panic!("configure the Guard before cloning it or calling require()")
        });
        f(&mut inner);
        Guard {
            inner: Arc::new(inner),
        }
    }

    /// The realm named in `WWW-Authenticate` (default `idpkit`).
    ///
    /// # Panics
    ///
    /// When called on a guard that was already cloned (configure first, then share).
    ///
    /// ```no_run
    /// # fn run(guard: idpkit::guard::Guard) {
    /// let guard = guard.realm("orders-api");
    /// # }
    /// ```
    pub fn realm(self, realm: impl Into<String>) -> Self {
        let realm = realm.into();
        self.with(|g| g.realm = realm)
    }

    /// The most time one request may spend in the guard: token verification, resource
    /// resolution and the PDP's decision together, every retry of the clients included (default
    /// [`DEFAULT_GUARD_BUDGET`], 5 s). Past it the guard answers 503 and drops the calls still
    /// under way, so a provider or PDP that stops answering costs each request this much and no
    /// more.
    ///
    /// # Panics
    ///
    /// When called on a guard that was already cloned.
    ///
    /// ```no_run
    /// # fn run(guard: idpkit::guard::Guard) {
    /// let guard = guard.budget(std::time::Duration::from_secs(2));
    /// # }
    /// ```
    pub fn budget(self, budget: Duration) -> Self {
        self.with(|g| g.budget = budget)
    }

    /// Accepts DPoP-bound access tokens (RFC 9449 §7): `Authorization: DPoP <token>` with a
    /// proof in the `DPoP` header, verified by `checks` (signature, `htm`, `htu`, `iat` window,
    /// `ath`, `jti` replay) against the request at `public_origin` (the scheme and authority
    /// clients address, e.g. `https://api.example.com`; behind a proxy it differs from what the
    /// server sees), and the token's `cnf.jkt` (from the verifier's claims) must be the proof
    /// key's thumbprint. A failure answers 401 with a `DPoP` challenge. Without this setting, a
    /// `DPoP` request answers 401. Either way a bound token presented as `Bearer` is refused.
    ///
    /// # Panics
    ///
    /// When called on a guard that was already cloned.
    ///
    /// ```no_run
    /// # fn run(guard: idpkit::guard::Guard) {
    /// let guard = guard.dpop(idpkit::dpop::DpopChecks::new(), "https://api.example.com");
    /// # }
    /// ```
    pub fn dpop(self, checks: crate::dpop::DpopChecks, public_origin: impl Into<String>) -> Self {
        let policy = dpop::DpopPolicy {
            checks,
            origin: Some(public_origin.into()),
            clock: crate::Clock::default(),
        };
        self.with(|g| g.dpop = Some(policy))
    }

    /// Takes the resource id from this path parameter (default: the route's first one).
    ///
    /// # Panics
    ///
    /// When called on a guard that was already cloned.
    ///
    /// ```no_run
    /// # fn run(guard: idpkit::guard::Guard) {
    /// let guard = guard.resource_id_param("order_id");
    /// # }
    /// ```
    pub fn resource_id_param(self, name: impl Into<String>) -> Self {
        let name = name.into();
        self.with(|g| g.id_param = Some(name))
    }

    /// How a verified principal becomes the PDP's subject (default `{type: "user", id: sub}`).
    ///
    /// # Panics
    ///
    /// When called on a guard that was already cloned.
    ///
    /// ```no_run
    /// # fn run(guard: idpkit::guard::Guard) {
    /// use idpkit::authz::authzen::Subject;
    /// let guard = guard.subject_resolver(|p| Subject::new("employee", &p.subject));
    /// # }
    /// ```
    pub fn subject_resolver(self, f: impl Fn(&Caller) -> Subject + Send + Sync + 'static) -> Self {
        self.with(|g| g.subject = Box::new(f))
    }

    /// How a request becomes the PDP's resource, for applications that look up the resource's
    /// attributes (owner, department, …). Gets the request parts, the required resource type and
    /// the id from the path parameter; an error answers 503 (a
    /// [`ErrorKind::Status`] 404 answers 404).
    ///
    /// # Panics
    ///
    /// When called on a guard that was already cloned.
    ///
    /// ```no_run
    /// # fn run(guard: idpkit::guard::Guard) {
    /// use idpkit::authz::authzen::Resource;
    /// let guard = guard.resource_resolver(|_parts, kind, id| {
    ///     let resource = Resource::new(kind, id.unwrap_or("*")).with_property("owner", "usr_alice");
    ///     Box::pin(async move { Ok(resource) })
    /// });
    /// # }
    /// ```
    pub fn resource_resolver(
        self,
        f: impl Fn(&Parts, &str, Option<&str>) -> BoxFuture<'static, Result<Resource>>
        + Send
        + Sync
        + 'static,
    ) -> Self {
        self.with(|g| g.resource = Some(Box::new(f)))
    }

    /// The requirement "`action` on a resource of `resource_type`", to pass as the state of
    /// [`enforce`] with `axum::middleware::from_fn_with_state`.
    ///
    /// ```no_run
    /// # fn run(guard: idpkit::guard::Guard) {
    /// use axum::{Router, routing::delete, middleware::from_fn_with_state};
    /// let app: Router = Router::new().route(
    ///     "/documents/{id}",
    ///     delete(|| async { "deleted" })
    ///         .route_layer(from_fn_with_state(guard.require("document", "delete"), idpkit::guard::enforce)),
    /// );
    /// # }
    /// ```
    pub fn require(&self, resource_type: &str, action: &str) -> Requirement {
        Requirement {
            guard: self.clone(),
            resource_type: resource_type.into(),
            action: action.into(),
        }
    }
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard")
            .field("realm", &self.inner.realm)
            .field("budget", &self.inner.budget)
            .field("resource_id_param", &self.inner.id_param)
            .field("dpop", &self.inner.dpop.is_some())
            .finish_non_exhaustive()
    }
}

/// One route's requirement: a guard, a resource type and an action. Made by
/// [`Guard::require`]; the state of [`enforce`].
///
/// ```no_run
/// # fn run(guard: idpkit::guard::Guard) {
/// let requirement: idpkit::guard::Requirement = guard.require("document", "read");
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Requirement {
    guard: Guard,
    resource_type: String,
    action: String,
}

/// The middleware: verifies the bearer token, asks the PDP, and runs the handler only when the
/// answer is a permit. Use with `axum::middleware::from_fn_with_state(guard.require(..), enforce)`.
///
/// ```no_run
/// # fn run(guard: idpkit::guard::Guard) {
/// use axum::{Router, routing::get, middleware::from_fn_with_state};
/// let app: Router = Router::new()
///     .route("/reports/{id}", get(|| async { "report" }))
///     .route_layer(from_fn_with_state(guard.require("report", "read"), idpkit::guard::enforce));
/// # }
/// ```
pub async fn enforce(
    State(requirement): State<Requirement>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    match requirement.admit(&mut parts).await {
        Ok(caller) => {
            parts.extensions.insert(caller);
            next.run(Request::from_parts(parts, body)).await
        }
        Err(refusal) => refusal.into_axum(),
    }
}

impl Requirement {
    /// Verifies the token and asks the PDP within the guard's budget: the permitted caller, or
    /// why not. The one decision behind [`enforce`] and [`GuardLayer`].
    async fn admit(&self, parts: &mut Parts) -> Result<Caller, Refusal> {
        match tokio::time::timeout(self.guard.inner.budget, decide(self, parts)).await {
            Ok(decided) => decided,
            Err(_over_budget) => Err(Refusal::Unavailable),
        }
    }
}

/// Verifies the token and asks the PDP: the permitted caller, or why not.
async fn decide(requirement: &Requirement, parts: &mut Parts) -> Result<Caller, Refusal> {
    let guard = &requirement.guard.inner;
    let Some((scheme, token)) = dpop::authorization(parts) else {
        return Err(no_token(guard));
    };
    let proof = match (scheme, &guard.dpop) {
        (dpop::Scheme::Bearer, _) => None,
        (dpop::Scheme::Dpop, None) => return Err(no_token(guard)),
        (dpop::Scheme::Dpop, Some(policy)) => match policy.verify_proof(parts, token) {
            Ok(proof) => Some(proof),
            Err(e) => return Err(dpop::refuse(&guard.realm, &e)),
        },
    };
    let caller = match guard.verifier.verify(token).await {
        Ok(p) => p,
        Err(e) if is_invalid_token(&e) => return Err(Refusal::bearer(&guard.realm, true)),
        Err(_) => return Err(Refusal::Unavailable),
    };
    // The token's binding must fit how it came (RFC 9449 §7.1, §7.2).
    match (dpop::bound_key(&caller.claims), &proof) {
        (None, None) => {}
        (Some(jkt), Some(proof)) if jkt == proof.jkt => {}
        (Some(_), Some(_)) => {
            return Err(dpop::refuse(
                &guard.realm,
                &crate::dpop::DpopError::KeyMismatch,
            ));
        }
        _ => {
            return Err(dpop::refuse(
                &guard.realm,
                &crate::dpop::DpopError::SchemeMismatch,
            ));
        }
    }
    let id = path_id(parts, guard.id_param.as_deref()).await;
    let resource = match &guard.resource {
        Some(resolve) => match resolve(parts, &requirement.resource_type, id.as_deref()).await {
            Ok(r) => r,
            Err(e) if e.status() == Some(404) => return Err(Refusal::NotFound),
            Err(_) => return Err(Refusal::Unavailable),
        },
        None => Resource::new(&requirement.resource_type, id.as_deref().unwrap_or("*")),
    };
    let evaluation = EvaluationRequest::new(
        (guard.subject)(&caller),
        Action::new(&requirement.action),
        resource,
    );
    match guard.pdp.is_allowed(&evaluation).await {
        Ok(true) => Ok(caller),
        Ok(false) => Err(Refusal::Forbidden),
        Err(_) => Err(Refusal::Unavailable),
    }
}

/// The 401 for a request without a usable token: the Bearer challenge, and the DPoP one when
/// the guard accepts DPoP.
fn no_token(guard: &GuardInner) -> Refusal {
    let dpop = guard
        .dpop
        .as_ref()
        .and_then(|_| dpop::challenge(&guard.realm));
    Refusal::bearer(&guard.realm, false).with_challenge(dpop)
}

fn bearer_token(parts: &Parts) -> Option<&str> {
    crate::http::bearer_token(&parts.headers)
}

async fn path_id(parts: &mut Parts, name: Option<&str>) -> Option<String> {
    let params = RawPathParams::from_request_parts(parts, &()).await.ok()?;
    let mut iter = params.iter();
    match name {
        Some(name) => iter.find(|(k, _)| *k == name).map(|(_, v)| v.to_owned()),
        None => iter.next().map(|(_, v)| v.to_owned()),
    }
}

fn is_invalid_token(e: &Error) -> bool {
    match e.kind() {
        ErrorKind::TokenValidation(_) | ErrorKind::TokenExpired => true,
        ErrorKind::Login(e) => e.is_token_error(),
        ErrorKind::OAuth(o) => o.code == crate::OAuthErrorCode::InvalidToken,
        _ => false,
    }
}

pub(crate) fn unauthorized(realm: &str, error: Option<&Error>) -> Response {
    Refusal::bearer(realm, error.is_some()).into_axum()
}

fn unavailable() -> Response {
    Refusal::Unavailable.into_axum()
}
