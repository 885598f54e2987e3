//! The guard as a [tower](https://docs.rs/tower) layer: the same decision as [`enforce`], for
//! any `tower::Service` over `http` requests — a plain hyper server, tonic, a tower-http stack,
//! or an axum router (`Router::layer` / `route_layer`).
//!
//! [`enforce`]: super::enforce

use std::task::{Context, Poll};

use tower_layer::Layer;
use tower_service::Service;

use super::{BoxFuture, Requirement};

/// A tower [`Layer`] that admits a request only when its bearer token verifies and the policy
/// decision point permits the requirement's action; otherwise it answers itself (401 with a
/// `WWW-Authenticate` challenge, 403, 404 from the resource resolver, or 503, with an empty
/// body: the response body type's `Default`) and the inner service never sees the request.
/// The verified [`Caller`](super::Caller) is put in the request's extensions.
///
/// Made by [`Requirement::layer`]. Outside an axum router there are no path parameters: name
/// the resource with [`Guard::resource_resolver`](super::Guard::resource_resolver) (it gets the
/// request parts), else the resource id is `*`.
///
/// ```no_run
/// # fn run(guard: idpkit::guard::Guard) {
/// use std::convert::Infallible;
/// use tower::{Layer, service_fn};
/// let reports = service_fn(|request: http::Request<String>| async move {
///     let caller = request.extensions().get::<idpkit::guard::Caller>().cloned();
///     Ok::<_, Infallible>(http::Response::new(format!("hello {}", caller.unwrap().subject)))
/// });
/// let guarded = guard.require("report", "read").layer().layer(reports);
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct GuardLayer {
    requirement: Requirement,
}

impl Requirement {
    /// This requirement as a tower [`Layer`] (see [`GuardLayer`]).
    ///
    /// ```no_run
    /// # fn run(guard: idpkit::guard::Guard) {
    /// use axum::{Router, routing::get};
    /// let app: Router = Router::new()
    ///     .route("/reports/{id}", get(|| async { "report" }))
    ///     .route_layer(guard.require("report", "read").layer());
    /// # }
    /// ```
    pub fn layer(&self) -> GuardLayer {
        GuardLayer {
            requirement: self.clone(),
        }
    }
}

impl<S> Layer<S> for GuardLayer {
    type Service = Guarded<S>;

    fn layer(&self, inner: S) -> Guarded<S> {
        Guarded {
            inner,
            requirement: self.requirement.clone(),
        }
    }
}

/// A service behind a [`GuardLayer`].
///
/// ```no_run
/// # fn run(guard: idpkit::guard::Guard) {
/// use tower::{Layer, service_fn};
/// let service: idpkit::guard::Guarded<_> = guard.require("report", "read").layer().layer(
///     service_fn(|_: http::Request<String>| async { Ok::<_, std::convert::Infallible>(http::Response::new(String::new())) }),
/// );
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Guarded<S> {
    inner: S,
    requirement: Requirement,
}

impl<S, B, R> Service<http::Request<B>> for Guarded<S>
where
    S: Service<http::Request<B>, Response = http::Response<R>> + Clone + Send + 'static,
    S::Future: Send,
    B: Send + 'static,
    R: Default + 'static,
{
    type Response = http::Response<R>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<http::Response<R>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        // The service that was driven to readiness answers this request; a fresh clone stays
        // behind for the next one (tower's documented pattern for services that await first).
        let fresh = self.inner.clone();
        let mut ready = std::mem::replace(&mut self.inner, fresh);
        let requirement = self.requirement.clone();
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            match requirement.admit(&mut parts).await {
                Ok(caller) => {
                    parts.extensions.insert(caller);
                    ready.call(http::Request::from_parts(parts, body)).await
                }
                Err(refusal) => Ok(refusal.response(R::default())),
            }
        })
    }
}
