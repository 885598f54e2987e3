//! [`verify_signature`]: axum middleware that admits only requests signed by a known agent
//! (RFC 9421, verified by [`SignatureVerifier`]) and hands the handler who signed.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::StatusCode;

use crate::Clock;
use crate::agent::{SignatureVerifier, VerifiedSignature};

/// The largest request body [`verify_signature`] reads by default (to check its digest): 1 MiB.
pub const DEFAULT_SIGNED_BODY_LIMIT: usize = 1024 * 1024;

/// The state of [`verify_signature`]: the verifier, the body limit and the clock. Cheap to
/// clone.
///
/// ```
/// use std::collections::HashMap;
/// use idpkit::agent::{AgentPublicKey, SignatureVerifier};
/// let keys: HashMap<String, AgentPublicKey> = HashMap::new();
/// let signed = idpkit::guard::SignedRequests::new(SignatureVerifier::new(keys)).body_limit(64 * 1024);
/// ```
#[derive(Clone)]
pub struct SignedRequests {
    verifier: Arc<SignatureVerifier>,
    body_limit: usize,
    clock: Clock,
}

impl SignedRequests {
    /// Requests verified by `verifier`, bodies up to [`DEFAULT_SIGNED_BODY_LIMIT`], the system
    /// clock.
    ///
    /// ```
    /// # use idpkit::agent::SignatureVerifier;
    /// let signed = idpkit::guard::SignedRequests::new(SignatureVerifier::new(|_: &str| None));
    /// ```
    pub fn new(verifier: SignatureVerifier) -> Self {
        SignedRequests {
            verifier: Arc::new(verifier),
            body_limit: DEFAULT_SIGNED_BODY_LIMIT,
            clock: Clock::default(),
        }
    }

    /// The largest body read to check its `Content-Digest`; a larger one answers 413.
    ///
    /// ```
    /// # use idpkit::agent::SignatureVerifier;
    /// let signed = idpkit::guard::SignedRequests::new(SignatureVerifier::new(|_: &str| None)).body_limit(4096);
    /// ```
    pub fn body_limit(mut self, limit: usize) -> Self {
        self.body_limit = limit;
        self
    }

    /// The clock the signature window is checked against (default: the system clock).
    ///
    /// ```
    /// # use idpkit::agent::SignatureVerifier;
    /// let signed = idpkit::guard::SignedRequests::new(SignatureVerifier::new(|_: &str| None))
    ///     .clock(idpkit::Clock::new(std::time::SystemTime::now));
    /// ```
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }
}

impl std::fmt::Debug for SignedRequests {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedRequests")
            .field("body_limit", &self.body_limit)
            .finish_non_exhaustive()
    }
}

/// The middleware: reads the body (up to the limit), verifies the request's signature with
/// its `Content-Digest`, and runs the handler only when it holds, with the
/// [`VerifiedSignature`] (the agent's key id, tag, nonce, times) in the request's extensions.
/// A request that does not verify answers 401 with the reason (never a secret: the reasons
/// are [`SignatureError`](crate::agent::SignatureError)'s); a body over the limit, 413.
///
/// ```no_run
/// # fn run(signed: idpkit::guard::SignedRequests) {
/// use axum::{Extension, Router, routing::post, middleware::from_fn_with_state};
/// use idpkit::agent::VerifiedSignature;
/// let app: Router = Router::new()
///     .route("/tasks", post(|Extension(agent): Extension<VerifiedSignature>| async move {
///         format!("accepted from {}", agent.key_id)
///     }))
///     .route_layer(from_fn_with_state(signed, idpkit::guard::verify_signature));
/// # }
/// ```
pub async fn verify_signature(
    State(signed): State<SignedRequests>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, signed.body_limit).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let mut copy = http::Request::new(bytes.to_vec());
    *copy.method_mut() = parts.method.clone();
    *copy.uri_mut() = parts.uri.clone();
    *copy.headers_mut() = parts.headers.clone();
    let now = signed.clock.now();
    let verified = if signed.verifier.replay_is_remote() {
        // A shared replay store answers over the network: keep the runtime's workers free.
        let verifier = Arc::clone(&signed.verifier);
        tokio::task::spawn_blocking(move || verifier.verify(&copy, now))
            .await
            .unwrap_or_else(|_| Err(crate::agent::SignatureError::ReplayStoreUnavailable.into()))
    } else {
        signed.verifier.verify(&copy, now)
    };
    match verified {
        Ok(verified) => {
            parts.extensions.insert::<VerifiedSignature>(verified);
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(e) => (StatusCode::UNAUTHORIZED, e.to_string()).into_response(),
    }
}
