//! Login-type guards for axum: a route that needs an access token of a login type
//! ([`LoginGuard::access_token_required`]) or, on top, a policy decision
//! ([`LoginGuard::policy_required`]), with the local [`PolicyEngine`].
//!
//! | situation | status |
//! |---|---|
//! | no token in the login type's locations | 401, `WWW-Authenticate: Bearer realm="…"` (RFC 6750 §3.1: no error code without credentials) |
//! | a token refused (malformed, bad signature, expired, revoked, wrong type, another login type, CSRF) | 401, `… error="invalid_token"` |
//! | the policy denies | 403 |
//! | the policy cannot decide (a type error, a failing evaluator), an unknown login type | 500 |
//!
//! On success the token's claims ([`LoginClaims`]) are in the request's extensions, for
//! handlers to take as `Extension<LoginClaims>`.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::{StatusCode, header};
use serde_json::{Map, Value, json};

use super::refusal::Refusal;
use crate::authz::policy::{Evaluators, PolicyEngine};
use crate::login::{LoginClaims, LoginError, LoginManager, TokenCheck};

/// The largest JSON body read for a token in the JSON location: 1 MiB.
pub const DEFAULT_LOGIN_BODY_LIMIT: usize = 1024 * 1024;

/// A [`LoginManager`], and optionally a [`PolicyEngine`] with its [`Evaluators`], guarding
/// axum routes. Cheap to clone.
///
/// ```
/// use std::sync::Arc;
/// use axum::{Router, routing::get, middleware::from_fn_with_state};
/// use idpkit::authz::policy::{Evaluators, PolicyEngine, Rule};
/// use idpkit::guard::login::{LoginGuard, login_required};
/// use idpkit::login::{LoginKey, LoginManager, LoginType};
///
/// let manager = LoginManager::builder()
///     .login_type(LoginType::new("users", LoginKey::hs256([1u8; 32])?))
///     .build()?;
/// let policy = PolicyEngine::builder().rule(Rule::allow(["posts:read"], ["posts"])).build().unwrap();
/// let guard = LoginGuard::new(Arc::new(manager)).policy(policy, Evaluators::new());
/// let app: Router = Router::new()
///     .route("/me", get(|| async { "me" })
///         .route_layer(from_fn_with_state(guard.access_token_required("users"), login_required)))
///     .route("/posts", get(|| async { "posts" })
///         .route_layer(from_fn_with_state(guard.policy_required("users", "posts:read", "posts"), login_required)));
/// # Ok::<(), idpkit::login::LoginError>(())
/// ```
#[derive(Clone)]
pub struct LoginGuard {
    manager: Arc<LoginManager>,
    policy: Option<Arc<(PolicyEngine, Evaluators)>>,
    realm: Arc<str>,
    body_limit: usize,
}

impl std::fmt::Debug for LoginGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginGuard")
            .field(
                "login_types",
                &self.manager.login_types().collect::<Vec<_>>(),
            )
            .field("policy", &self.policy.is_some())
            .field("realm", &self.realm)
            .finish_non_exhaustive()
    }
}

impl LoginGuard {
    /// A guard over `manager`'s login types, without a policy, realm `idpkit`.
    ///
    /// ```
    /// # let manager = idpkit::login::LoginManager::builder().build()?;
    /// let guard = idpkit::guard::login::LoginGuard::new(std::sync::Arc::new(manager));
    /// # Ok::<(), idpkit::login::LoginError>(())
    /// ```
    pub fn new(manager: Arc<LoginManager>) -> Self {
        LoginGuard {
            manager,
            policy: None,
            realm: "idpkit".into(),
            body_limit: DEFAULT_LOGIN_BODY_LIMIT,
        }
    }

    /// The policy [`policy_required`](Self::policy_required) decides with, and its evaluators.
    ///
    /// ```
    /// use idpkit::authz::policy::{Evaluators, PolicyEngine};
    /// # let manager = idpkit::login::LoginManager::builder().build()?;
    /// let guard = idpkit::guard::login::LoginGuard::new(std::sync::Arc::new(manager))
    ///     .policy(PolicyEngine::builder().build().unwrap(), Evaluators::new());
    /// # Ok::<(), idpkit::login::LoginError>(())
    /// ```
    #[must_use]
    pub fn policy(mut self, engine: PolicyEngine, evaluators: Evaluators) -> Self {
        self.policy = Some(Arc::new((engine, evaluators)));
        self
    }

    /// The realm named in `WWW-Authenticate` (default `idpkit`).
    ///
    /// ```
    /// # let manager = idpkit::login::LoginManager::builder().build()?;
    /// let guard = idpkit::guard::login::LoginGuard::new(std::sync::Arc::new(manager)).realm("admin-api");
    /// # Ok::<(), idpkit::login::LoginError>(())
    /// ```
    #[must_use]
    pub fn realm(mut self, realm: &str) -> Self {
        self.realm = realm.into();
        self
    }

    fn require(&self, check: TokenCheck, policy: Option<(&str, &str)>) -> LoginRequirement {
        LoginRequirement {
            guard: self.clone(),
            check,
            policy: policy.map(|(a, r)| (a.into(), r.into())),
        }
    }

    /// An access token of `login_type` (AuthX's `access_token_required`).
    ///
    /// ```
    /// # let manager = idpkit::login::LoginManager::builder().build()?;
    /// # let guard = idpkit::guard::login::LoginGuard::new(std::sync::Arc::new(manager));
    /// let requirement = guard.access_token_required("users");
    /// # Ok::<(), idpkit::login::LoginError>(())
    /// ```
    pub fn access_token_required(&self, login_type: &str) -> LoginRequirement {
        self.require(TokenCheck::access(login_type), None)
    }

    /// A fresh access token of `login_type` (AuthX's `fresh_token_required`).
    ///
    /// ```
    /// # let manager = idpkit::login::LoginManager::builder().build()?;
    /// # let guard = idpkit::guard::login::LoginGuard::new(std::sync::Arc::new(manager));
    /// let requirement = guard.fresh_token_required("admins");
    /// # Ok::<(), idpkit::login::LoginError>(())
    /// ```
    pub fn fresh_token_required(&self, login_type: &str) -> LoginRequirement {
        self.require(TokenCheck::access(login_type).fresh(), None)
    }

    /// A refresh token of `login_type`, for the route that mints new access tokens (AuthX's
    /// `refresh_token_required`).
    ///
    /// ```
    /// # let manager = idpkit::login::LoginManager::builder().build()?;
    /// # let guard = idpkit::guard::login::LoginGuard::new(std::sync::Arc::new(manager));
    /// let requirement = guard.refresh_token_required("users");
    /// # Ok::<(), idpkit::login::LoginError>(())
    /// ```
    pub fn refresh_token_required(&self, login_type: &str) -> LoginRequirement {
        self.require(TokenCheck::refresh(login_type), None)
    }

    /// An access token of `login_type` whose holder the policy allows `action` on
    /// `resource` (AuthX's `authorize`). The policy reads the token's claims (`token` source,
    /// and the subject derived from them) and an environment of `method`, `path`, `hour`
    /// (UTC) and `weekday` (Monday = 0). Without a [`policy`](Self::policy), every request
    /// answers 500.
    ///
    /// ```
    /// # let manager = idpkit::login::LoginManager::builder().build()?;
    /// # let guard = idpkit::guard::login::LoginGuard::new(std::sync::Arc::new(manager));
    /// let requirement = guard.policy_required("users", "posts:write", "posts");
    /// # Ok::<(), idpkit::login::LoginError>(())
    /// ```
    pub fn policy_required(
        &self,
        login_type: &str,
        action: &str,
        resource: &str,
    ) -> LoginRequirement {
        self.require(TokenCheck::access(login_type), Some((action, resource)))
    }
}

/// One route's requirement, the state of [`login_required`]. Made by [`LoginGuard`].
///
/// ```
/// # let manager = idpkit::login::LoginManager::builder().build()?;
/// # let guard = idpkit::guard::login::LoginGuard::new(std::sync::Arc::new(manager));
/// let requirement: idpkit::guard::login::LoginRequirement = guard.access_token_required("users");
/// # Ok::<(), idpkit::login::LoginError>(())
/// ```
#[derive(Clone, Debug)]
pub struct LoginRequirement {
    guard: LoginGuard,
    check: TokenCheck,
    policy: Option<(String, String)>,
}

/// The middleware: finds and verifies the login type's token, asks the policy when the
/// requirement has one, and runs the handler with the [`LoginClaims`] in the extensions. Use
/// with `axum::middleware::from_fn_with_state(requirement, login_required)`.
///
/// ```
/// # let manager = idpkit::login::LoginManager::builder().build()?;
/// # let guard = idpkit::guard::login::LoginGuard::new(std::sync::Arc::new(manager));
/// use axum::{Router, routing::get, middleware::from_fn_with_state, Extension};
/// use idpkit::login::LoginClaims;
/// let app: Router = Router::new().route(
///     "/me",
///     get(|Extension(claims): Extension<LoginClaims>| async move { claims.sub })
///         .route_layer(from_fn_with_state(guard.access_token_required("users"), idpkit::guard::login::login_required)),
/// );
/// # Ok::<(), idpkit::login::LoginError>(())
/// ```
pub async fn login_required(
    State(requirement): State<LoginRequirement>,
    request: Request,
    next: Next,
) -> Response {
    let guard = &requirement.guard;
    let (mut parts, body) = request.into_parts();
    let wants_body = guard.manager.reads_json(requirement.check.login_type())
        && parts
            .headers
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes() == b"application/json");
    let (body, bytes) = if wants_body {
        match axum::body::to_bytes(body, guard.body_limit).await {
            Ok(bytes) => (Body::from(bytes.clone()), Some(bytes)),
            Err(_) => return StatusCode::PAYLOAD_TOO_LARGE.into_response(),
        }
    } else {
        (body, None)
    };
    match admit(&requirement, &parts, bytes.as_deref()) {
        Ok(claims) => {
            parts.extensions.insert(claims);
            next.run(Request::from_parts(parts, body)).await
        }
        Err(refusal) => refusal.into_axum(),
    }
}

/// The verified claims, or the answer that refuses.
fn admit(
    requirement: &LoginRequirement,
    parts: &Parts,
    body: Option<&[u8]>,
) -> Result<LoginClaims, Refusal> {
    let guard = &requirement.guard;
    let claims = guard
        .manager
        .authenticate_claims(parts, body, &requirement.check)
        .map_err(|e| refuse(&guard.realm, e))?;
    if let Some((action, resource)) = &requirement.policy {
        let Some(policy) = &guard.policy else {
            return Err(Refusal::Internal);
        };
        let (engine, evaluators) = &**policy;
        let now = crate::clock::since_epoch(guard.manager.now()).as_secs();
        let environment = environment(parts, now);
        let request = crate::authz::policy::Request::new(action, resource)
            .login_type(requirement.check.login_type())
            .token(&claims)
            .environment(&environment)
            .now(i64::try_from(now).unwrap_or(i64::MAX));
        match engine.evaluate_with(&request, evaluators) {
            Ok(decision) if decision.allowed => {}
            Ok(_) => return Err(Refusal::Forbidden),
            Err(_) => return Err(Refusal::Internal),
        }
    }
    serde_json::from_value(Value::Object(claims)).map_err(|_| Refusal::Internal)
}

/// AuthX's policy environment: `method`, `path`, `hour` (UTC), `weekday` (Monday = 0), `time`
/// (seconds since the epoch).
fn environment(parts: &Parts, now: u64) -> Value {
    let days = now / 86_400;
    let mut env = Map::new();
    env.insert("method".into(), parts.method.as_str().into());
    env.insert("path".into(), parts.uri.path().into());
    env.insert("hour".into(), json!((now % 86_400) / 3_600));
    // 1970-01-01 was a Thursday (weekday 3).
    env.insert("weekday".into(), json!((days + 3) % 7));
    env.insert("time".into(), json!(now));
    Value::Object(env)
}

fn refuse(realm: &str, e: LoginError) -> Refusal {
    match e {
        LoginError::MissingToken => Refusal::bearer(realm, false),
        e if e.is_token_error() => Refusal::bearer(realm, true),
        _ => Refusal::Internal,
    }
}
