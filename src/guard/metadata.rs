//! [`ServiceUser`]: an axum extractor that gives a handler the current user and their typed
//! service metadata (the permissions a service declared with
//! [`ServicePermissions`](crate::provisioning::ServicePermissions)): from the verified token's
//! claims when they carry it, else from SCIM, with a short bounded cache.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{FromRef, FromRequestParts};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::request::Parts;
use parking_lot::RwLock;

use super::{Caller, TokenVerifier, bearer_token, is_invalid_token, unauthorized, unavailable};
use crate::provisioning::{
    ListQuery, ResourceKind, ServicePermissions, decode_metadata, metadata_from_claims,
};

/// How long [`UserDirectory`] keeps a user's metadata read from SCIM, by default.
pub const DEFAULT_METADATA_TTL: Duration = Duration::from_secs(60);
/// How many users' metadata [`UserDirectory`] keeps, by default.
pub const DEFAULT_METADATA_CAPACITY: usize = 10_000;

/// The current user and their metadata for this service: the extractor.
///
/// Answers 401 when the request has no verified caller (put there by the guard, or verified
/// here by the directory's [`verifier`](UserDirectory::verifier)), 403 when the user has no entry
/// for the service (no claim, no SCIM user, or a SCIM user without the service's extension, or
/// values that do not fit the schema), 503 when SCIM cannot be asked.
///
/// ```no_run
/// # #[derive(serde::Serialize, serde::Deserialize, Clone)]
/// # struct Billing { role: String }
/// # impl idpkit::provisioning::ServicePermissions for Billing {
/// #     fn permission_schema() -> idpkit::provisioning::PermissionSchema {
/// #         idpkit::provisioning::PermissionSchema::new("billing")
/// #             .permission(idpkit::provisioning::Permission::string("role").default("viewer"))
/// #     }
/// # }
/// # fn run(directory: idpkit::guard::UserDirectory<Billing>) {
/// use axum::{Router, routing::get};
/// use idpkit::guard::ServiceUser;
/// let app: Router = Router::new()
///     .route("/invoices", get(|user: ServiceUser<Billing>| async move {
///         format!("{} is a billing {}", user.caller.subject, user.metadata.role)
///     }))
///     .with_state(directory);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct ServiceUser<T> {
    /// Who the verified token speaks for.
    pub caller: Caller,
    /// Their metadata for this service, declared defaults filled in.
    pub metadata: Arc<T>,
}

/// Where [`ServiceUser`] finds users and their metadata: a token verifier (when no guard ran
/// before), a SCIM client, how a token's subject names a SCIM user, and the cache. Cheap to
/// clone; use it as (part of) the router's state.
///
/// ```no_run
/// # #[derive(serde::Serialize, serde::Deserialize, Clone)]
/// # struct Billing { role: String }
/// # impl idpkit::provisioning::ServicePermissions for Billing {
/// #     fn permission_schema() -> idpkit::provisioning::PermissionSchema {
/// #         idpkit::provisioning::PermissionSchema::new("billing")
/// #     }
/// # }
/// # fn run(verifier: idpkit::guard::IntrospectionVerifier, scim: idpkit::asynch::ScimClient) {
/// let directory = idpkit::guard::UserDirectory::<Billing>::new()
///     .verifier(verifier)
///     .scim(scim)
///     .match_attribute("externalId");
/// # }
/// ```
pub struct UserDirectory<T> {
    inner: Arc<Directory<T>>,
}

struct Directory<T> {
    verifier: Option<Box<dyn TokenVerifier>>,
    scim: Option<crate::asynch::ScimClient>,
    match_attribute: String,
    ttl: Duration,
    capacity: usize,
    cache: RwLock<HashMap<String, (Arc<T>, Instant)>>,
}

impl<T> Clone for UserDirectory<T> {
    fn clone(&self) -> Self {
        UserDirectory {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<T> Default for UserDirectory<T> {
    fn default() -> Self {
        UserDirectory::new()
    }
}

impl<T> std::fmt::Debug for UserDirectory<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserDirectory")
            .field("scim", &self.inner.scim.is_some())
            .field("match_attribute", &self.inner.match_attribute)
            .field("ttl", &self.inner.ttl)
            .finish_non_exhaustive()
    }
}

impl<T> UserDirectory<T> {
    /// Metadata from token claims only; a caller put in the request by the guard. Users match
    /// SCIM's `userName`; metadata is kept [`DEFAULT_METADATA_TTL`], for at most
    /// [`DEFAULT_METADATA_CAPACITY`] users.
    ///
    /// ```
    /// # #[derive(serde::Serialize, serde::Deserialize)] struct Billing {}
    /// # impl idpkit::provisioning::ServicePermissions for Billing {
    /// #     fn permission_schema() -> idpkit::provisioning::PermissionSchema { idpkit::provisioning::PermissionSchema::new("billing") }
    /// # }
    /// let directory = idpkit::guard::UserDirectory::<Billing>::new();
    /// ```
    pub fn new() -> Self {
        UserDirectory {
            inner: Arc::new(Directory {
                verifier: None,
                scim: None,
                match_attribute: "userName".into(),
                ttl: DEFAULT_METADATA_TTL,
                capacity: DEFAULT_METADATA_CAPACITY,
                cache: RwLock::new(HashMap::new()),
            }),
        }
    }

    fn with(self, f: impl FnOnce(&mut Directory<T>)) -> Self {
        let mut inner = Arc::try_unwrap(self.inner)
            .unwrap_or_else(|_| panic!("configure the UserDirectory before cloning it"));
        f(&mut inner);
        UserDirectory {
            inner: Arc::new(inner),
        }
    }

    /// Verifies the bearer token itself when no guard put a caller in the request.
    ///
    /// # Panics
    ///
    /// When called on a directory that was already cloned.
    ///
    /// ```no_run
    /// # fn run(d: idpkit::guard::UserDirectory<()>, v: idpkit::guard::JwtVerifier) {
    /// let d = d.verifier(v);
    /// # }
    /// ```
    pub fn verifier(self, verifier: impl TokenVerifier) -> Self {
        self.with(|d| d.verifier = Some(Box::new(verifier)))
    }

    /// Reads metadata from SCIM when the token's claims do not carry it.
    ///
    /// # Panics
    ///
    /// When called on a directory that was already cloned.
    ///
    /// ```no_run
    /// # fn run(d: idpkit::guard::UserDirectory<()>, scim: idpkit::asynch::ScimClient) {
    /// let d = d.scim(scim);
    /// # }
    /// ```
    pub fn scim(self, client: crate::asynch::ScimClient) -> Self {
        self.with(|d| d.scim = Some(client))
    }

    /// The SCIM attribute that equals the token's subject (default `userName`; `externalId` is
    /// common).
    ///
    /// # Panics
    ///
    /// When called on a directory that was already cloned.
    ///
    /// ```
    /// let d = idpkit::guard::UserDirectory::<()>::new().match_attribute("externalId");
    /// ```
    pub fn match_attribute(self, attribute: impl Into<String>) -> Self {
        let attribute = attribute.into();
        self.with(|d| d.match_attribute = attribute)
    }

    /// How long metadata read from SCIM is reused, and for how many users at most.
    ///
    /// # Panics
    ///
    /// When called on a directory that was already cloned.
    ///
    /// ```
    /// let d = idpkit::guard::UserDirectory::<()>::new().cache(std::time::Duration::from_secs(10), 500);
    /// ```
    pub fn cache(self, ttl: Duration, capacity: usize) -> Self {
        self.with(|d| {
            d.ttl = ttl;
            d.capacity = capacity;
        })
    }

    /// Forgets what was read for `subject` (after its permissions changed).
    ///
    /// ```
    /// idpkit::guard::UserDirectory::<()>::new().forget("usr_alice");
    /// ```
    pub fn forget(&self, subject: &str) {
        self.inner.cache.write().remove(subject);
    }

    fn cached(&self, subject: &str) -> Option<Arc<T>> {
        let cache = self.inner.cache.read();
        let (metadata, at) = cache.get(subject)?;
        (at.elapsed() < self.inner.ttl).then(|| Arc::clone(metadata))
    }

    fn remember(&self, subject: &str, metadata: &Arc<T>) {
        let (ttl, capacity) = (self.inner.ttl, self.inner.capacity);
        if capacity == 0 {
            return;
        }
        let mut cache = self.inner.cache.write();
        if cache.len() >= capacity && !cache.contains_key(subject) {
            cache.retain(|_, (_, at)| at.elapsed() < ttl);
            let excess = (cache.len() + capacity.div_ceil(10)).saturating_sub(capacity);
            let victims: Vec<String> = cache.keys().take(excess).cloned().collect();
            for victim in victims {
                cache.remove(&victim);
            }
        }
        cache.insert(subject.to_owned(), (Arc::clone(metadata), Instant::now()));
    }
}

impl<S, T> FromRequestParts<S> for ServiceUser<T>
where
    T: ServicePermissions + Send + Sync + 'static,
    UserDirectory<T>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let directory = UserDirectory::<T>::from_ref(state);
        let caller = match parts.extensions.get::<Caller>() {
            Some(caller) => caller.clone(),
            None => {
                let Some(verifier) = &directory.inner.verifier else {
                    return Err(unauthorized("idpkit", None));
                };
                let Some(token) = bearer_token(parts) else {
                    return Err(unauthorized("idpkit", None));
                };
                match verifier.verify(token).await {
                    Ok(caller) => caller,
                    Err(e) if is_invalid_token(&e) => return Err(unauthorized("idpkit", Some(&e))),
                    Err(_) => return Err(unavailable()),
                }
            }
        };
        let forbidden = || StatusCode::FORBIDDEN.into_response();
        match metadata_from_claims::<T>(&caller.claims) {
            Ok(Some(metadata)) => {
                return Ok(ServiceUser {
                    caller,
                    metadata: Arc::new(metadata),
                });
            }
            Ok(None) => {}
            Err(_) => return Err(forbidden()),
        }
        if let Some(metadata) = directory.cached(&caller.subject) {
            return Ok(ServiceUser { caller, metadata });
        }
        let Some(scim) = &directory.inner.scim else {
            return Err(forbidden());
        };
        let schema = T::permission_schema();
        let subject = caller.subject.replace('\\', "\\\\").replace('"', "\\\"");
        let filter = format!("{} eq \"{subject}\"", directory.inner.match_attribute);
        let query = ListQuery::new()
            .filter(filter)
            .attributes([schema.urn()])
            .count(2);
        let page = match scim.list(ResourceKind::User, query).next_page().await {
            Ok(page) => page,
            Err(_) => return Err(unavailable()),
        };
        // Exactly one user, with the service's extension.
        let user = match page.as_ref().map(|p| p.resources.as_slice()) {
            Some([user]) => user,
            _ => return Err(forbidden()),
        };
        let has_entry = user
            .body
            .as_object()
            .is_some_and(|o| o.keys().any(|k| k.eq_ignore_ascii_case(schema.urn())));
        if !has_entry {
            return Err(forbidden());
        }
        let Ok(metadata) = decode_metadata::<T>(&schema, &user.body) else {
            return Err(forbidden());
        };
        let metadata = Arc::new(metadata);
        directory.remember(&caller.subject, &metadata);
        Ok(ServiceUser { caller, metadata })
    }
}
