//! The deny-first permission cache: per agent, one immutable snapshot of its allow and deny
//! lists behind an atomic swap (an `Arc` replaced under a lock: readers never see a new allow
//! list with an old deny list), a TTL (300 s by default), single-flight refresh shared by
//! threads and tasks (the token cache's [`Waiter`] machinery), fail-closed on a fetch error,
//! an optional bounded stale-if-error window, and invalidation.
//!
//! Pure and mode-agnostic like [`service_token`](crate::service_token): it makes no request and
//! reads no clock; the caller passes `now` and does the fetch. Also here: the fetch request and
//! the parser of its answer.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use parking_lot::RwLock;

use super::permission::PermissionSet;
use crate::error::{Error, ErrorKind, Result};
use crate::http::{HttpRequest, HttpResponse};
use crate::service_token::{Flight, Waiter};

/// How long fetched permissions are used, unless configured: 300 s (Authora's default).
///
/// ```
/// assert_eq!(idpkit::agent::DEFAULT_PERMISSIONS_TTL.as_secs(), 300);
/// ```
pub const DEFAULT_PERMISSIONS_TTL: Duration = Duration::from_secs(300);

/// How many agents a [`PermissionCache`] holds by default.
///
/// ```
/// assert_eq!(idpkit::agent::DEFAULT_MAX_AGENTS, 10_000);
/// ```
pub const DEFAULT_MAX_AGENTS: usize = 10_000;

/// One agent's permissions as fetched at one time.
///
/// ```
/// use std::time::SystemTime;
/// use idpkit::agent::{PermissionSnapshot, permission::PermissionSet};
/// let snapshot = PermissionSnapshot::new(PermissionSet::new(["files:*"], ["files:secret"]), SystemTime::now());
/// assert!(snapshot.is_allowed("files:read"));
/// ```
#[derive(Debug, Clone)]
pub struct PermissionSnapshot {
    set: PermissionSet,
    fetched_at: SystemTime,
}

impl PermissionSnapshot {
    /// `set`, fetched at `fetched_at`.
    ///
    /// ```
    /// let s = idpkit::agent::PermissionSnapshot::new(Default::default(), std::time::SystemTime::now());
    /// assert!(!s.is_allowed("files:read"));
    /// ```
    pub fn new(set: PermissionSet, fetched_at: SystemTime) -> PermissionSnapshot {
        PermissionSnapshot { set, fetched_at }
    }

    /// Whether `permission` is allowed (deny list first).
    ///
    /// ```
    /// let s = idpkit::agent::PermissionSnapshot::new(Default::default(), std::time::SystemTime::now());
    /// assert!(!s.is_allowed(""));
    /// ```
    pub fn is_allowed(&self, permission: &str) -> bool {
        self.set.is_allowed(permission)
    }

    /// The compiled lists.
    ///
    /// ```
    /// let s = idpkit::agent::PermissionSnapshot::new(Default::default(), std::time::SystemTime::now());
    /// assert!(s.permissions().is_empty());
    /// ```
    pub fn permissions(&self) -> &PermissionSet {
        &self.set
    }

    /// When the lists were fetched.
    ///
    /// ```
    /// let t = std::time::SystemTime::now();
    /// assert_eq!(idpkit::agent::PermissionSnapshot::new(Default::default(), t).fetched_at(), t);
    /// ```
    pub fn fetched_at(&self) -> SystemTime {
        self.fetched_at
    }
}

/// What [`PermissionCache::lookup`] found.
#[must_use = "a Fetch must be completed, a Wait waited on"]
#[derive(Debug)]
pub enum PermissionLookup {
    /// Permissions fetched less than the TTL ago.
    Hit(Arc<PermissionSnapshot>),
    /// Nothing fresh and no fetch in flight: this caller fetches and completes the guard.
    Fetch(PermissionFetch),
    /// Another caller is fetching: wait for its answer ([`Waiter::wait_blocking`] or
    /// [`Waiter::wait`]).
    Wait(Waiter<Arc<PermissionSnapshot>>),
}

type SnapshotFlight = Flight<Arc<PermissionSnapshot>>;

#[derive(Default)]
struct Slot {
    snapshot: Option<Arc<PermissionSnapshot>>,
    flight: Option<Arc<SnapshotFlight>>,
}

struct Inner {
    map: RwLock<HashMap<Box<str>, Slot, foldhash::fast::RandomState>>,
    ttl: Duration,
    stale_if_error: Duration,
    max_agents: usize,
}

/// Per-agent permissions with a TTL and single-flight refresh; `Clone` shares it.
///
/// ```
/// use std::time::SystemTime;
/// use idpkit::agent::{PermissionCache, PermissionLookup, permission::PermissionSet};
/// let cache = PermissionCache::new();
/// let now = SystemTime::now();
/// let snapshot = match cache.lookup("agt_1", now) {
///     PermissionLookup::Hit(s) => s,
///     PermissionLookup::Wait(w) => w.wait_blocking()?,
///     PermissionLookup::Fetch(guard) => {
///         // The GET /agents/agt_1/permissions would go here.
///         guard.complete(Ok(PermissionSet::new(["files:*"], ["files:secret"])), now)?
///     }
/// };
/// assert!(snapshot.is_allowed("files:read"));
/// assert!(matches!(cache.lookup("agt_1", now), PermissionLookup::Hit(_)));
/// # Ok::<(), idpkit::Error>(())
/// ```
#[derive(Clone)]
pub struct PermissionCache {
    inner: Arc<Inner>,
}

impl fmt::Debug for PermissionCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PermissionCache")
            .field("agents", &self.inner.map.read().len())
            .field("ttl", &self.inner.ttl)
            .field("stale_if_error", &self.inner.stale_if_error)
            .finish()
    }
}

impl Default for PermissionCache {
    fn default() -> Self {
        PermissionCache::new()
    }
}

impl PermissionCache {
    /// A cache with TTL [`DEFAULT_PERMISSIONS_TTL`] and no stale-if-error.
    ///
    /// ```
    /// let cache = idpkit::agent::PermissionCache::new();
    /// ```
    pub fn new() -> PermissionCache {
        PermissionCache::with_ttl(DEFAULT_PERMISSIONS_TTL, Duration::ZERO)
    }

    /// A cache whose entries are fresh for `ttl`; after a failed refresh, an entry expired for
    /// less than `stale_if_error` is still served (its deny list included), never an older one.
    /// `Duration::ZERO` (the default) turns stale-if-error off: a failed fetch is an error.
    ///
    /// ```
    /// use std::time::Duration;
    /// let cache = idpkit::agent::PermissionCache::with_ttl(Duration::from_secs(60), Duration::from_secs(120));
    /// ```
    pub fn with_ttl(ttl: Duration, stale_if_error: Duration) -> PermissionCache {
        PermissionCache::with_limits(ttl, stale_if_error, DEFAULT_MAX_AGENTS)
    }

    /// [`with_ttl`](Self::with_ttl), holding at most `max_agents` agents (at least 1; default
    /// [`DEFAULT_MAX_AGENTS`]). A new agent in a full cache first drops the entries past their
    /// TTL and stale-if-error window, then a tenth of the others; fetches in flight stay.
    ///
    /// ```
    /// use std::time::Duration;
    /// let cache = idpkit::agent::PermissionCache::with_limits(Duration::from_secs(60), Duration::ZERO, 1_000);
    /// ```
    pub fn with_limits(
        ttl: Duration,
        stale_if_error: Duration,
        max_agents: usize,
    ) -> PermissionCache {
        PermissionCache {
            inner: Arc::new(Inner {
                map: RwLock::new(HashMap::default()),
                ttl,
                stale_if_error,
                max_agents: max_agents.max(1),
            }),
        }
    }

    /// How many agents the cache holds now.
    ///
    /// ```
    /// assert_eq!(idpkit::agent::PermissionCache::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.inner.map.read().len()
    }

    /// Whether the cache holds no agent.
    ///
    /// ```
    /// assert!(idpkit::agent::PermissionCache::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.inner.map.read().is_empty()
    }

    /// The snapshot for `agent` if fetched less than the TTL before `now`; else the duty to
    /// fetch it (exactly one caller at a time) or a place in the queue for the fetch running.
    /// The hit path takes a read lock and clones an `Arc`: no allocation.
    ///
    /// ```
    /// use idpkit::agent::{PermissionCache, PermissionLookup};
    /// let cache = PermissionCache::new();
    /// let now = std::time::SystemTime::now();
    /// let PermissionLookup::Fetch(guard) = cache.lookup("a", now) else { unreachable!() };
    /// assert!(matches!(cache.lookup("a", now), PermissionLookup::Wait(_)));
    /// ```
    pub fn lookup(&self, agent: &str, now: SystemTime) -> PermissionLookup {
        if let Some(slot) = self.inner.map.read().get(agent)
            && let Some(s) = &slot.snapshot
            && self.fresh(s, now)
        {
            return PermissionLookup::Hit(s.clone());
        }
        let mut map = self.inner.map.write();
        if map.len() >= self.inner.max_agents && !map.contains_key(agent) {
            // Room for one more: the expired first, then a tenth of the rest, never a fetch in
            // flight (its callers wait on it).
            let keep = self.inner.ttl.saturating_add(self.inner.stale_if_error);
            map.retain(|_, slot| {
                slot.flight.is_some()
                    || slot.snapshot.as_ref().is_some_and(|s| {
                        now.duration_since(s.fetched_at).is_ok_and(|age| age < keep)
                    })
            });
            let max = self.inner.max_agents;
            let excess = (map.len() + max.div_ceil(10)).saturating_sub(max);
            let victims: Vec<Box<str>> = map
                .iter()
                .filter(|(_, slot)| slot.flight.is_none())
                .map(|(agent, _)| agent.clone())
                .take(excess)
                .collect();
            for victim in victims {
                map.remove(&victim);
            }
        }
        let slot = map.entry(agent.into()).or_default();
        if let Some(s) = &slot.snapshot
            && self.fresh(s, now)
        {
            return PermissionLookup::Hit(s.clone());
        }
        if let Some(flight) = &slot.flight {
            return PermissionLookup::Wait(Waiter::new(flight.clone()));
        }
        let flight = Flight::new();
        slot.flight = Some(flight.clone());
        PermissionLookup::Fetch(PermissionFetch {
            cache: self.clone(),
            agent: agent.into(),
            flight,
            done: false,
        })
    }

    fn fresh(&self, s: &PermissionSnapshot, now: SystemTime) -> bool {
        now.duration_since(s.fetched_at)
            .is_ok_and(|age| age < self.inner.ttl)
    }

    /// Forgets `agent`'s permissions: the next lookup fetches (a fetch in flight still
    /// completes for its waiters but is not kept).
    ///
    /// ```
    /// idpkit::agent::PermissionCache::new().invalidate("agt_1");
    /// ```
    pub fn invalidate(&self, agent: &str) {
        self.inner.map.write().remove(agent);
    }

    /// Forgets every agent's permissions.
    ///
    /// ```
    /// idpkit::agent::PermissionCache::new().invalidate_all();
    /// ```
    pub fn invalidate_all(&self) {
        self.inner.map.write().clear();
    }

    /// Records the result of `flight` for `agent`; returns what the waiters get.
    fn settle(
        &self,
        agent: &str,
        flight: &Arc<SnapshotFlight>,
        result: Result<PermissionSet>,
        now: SystemTime,
    ) -> Result<Arc<PermissionSnapshot>> {
        let mut map = self.inner.map.write();
        let slot = map
            .get_mut(agent)
            .filter(|slot| slot.flight.as_ref().is_some_and(|f| Arc::ptr_eq(f, flight)));
        match (result, slot) {
            (Ok(set), Some(slot)) => {
                let snapshot = Arc::new(PermissionSnapshot::new(set, now));
                slot.flight = None;
                slot.snapshot = Some(snapshot.clone());
                Ok(snapshot)
            }
            // Invalidated meanwhile: hand the answer to the waiters, keep nothing.
            (Ok(set), None) => Ok(Arc::new(PermissionSnapshot::new(set, now))),
            (Err(e), Some(slot)) => {
                slot.flight = None;
                let stale = slot.snapshot.clone().filter(|s| {
                    now.duration_since(s.fetched_at).is_ok_and(|age| {
                        age < self.inner.ttl.saturating_add(self.inner.stale_if_error)
                    })
                });
                match stale {
                    Some(s) if !self.inner.stale_if_error.is_zero() => Ok(s),
                    _ => {
                        map.remove(agent);
                        Err(e)
                    }
                }
            }
            (Err(e), None) => Err(e),
        }
    }
}

/// The duty to fetch one agent's permissions: exactly one caller holds it per fetch. Hand the
/// result to [`complete`](Self::complete). Dropped without completing (a cancelled task, a
/// panic), it releases the waiters with a retryable [`ErrorKind::Transport`] error.
///
/// ```
/// use idpkit::agent::{PermissionCache, PermissionLookup};
/// let cache = PermissionCache::new();
/// let now = std::time::SystemTime::now();
/// let PermissionLookup::Fetch(guard) = cache.lookup("a", now) else { unreachable!() };
/// let PermissionLookup::Wait(waiter) = cache.lookup("a", now) else { unreachable!() };
/// drop(guard);
/// assert!(waiter.wait_blocking().is_err());
/// ```
pub struct PermissionFetch {
    cache: PermissionCache,
    agent: Box<str>,
    flight: Arc<SnapshotFlight>,
    done: bool,
}

impl PermissionFetch {
    /// The agent whose permissions to fetch.
    ///
    /// ```
    /// use idpkit::agent::{PermissionCache, PermissionLookup};
    /// let PermissionLookup::Fetch(g) = PermissionCache::new().lookup("a", std::time::SystemTime::now()) else { unreachable!() };
    /// assert_eq!(g.agent(), "a");
    /// ```
    pub fn agent(&self) -> &str {
        &self.agent
    }

    /// Publishes the fetch's result at `now`: lists become the agent's snapshot and every
    /// waiter's answer. An error reaches every waiter and is not cached (the next lookup
    /// fetches again), unless stale-if-error serves the previous snapshot. Never an allow.
    ///
    /// # Errors
    ///
    /// The fetch's error, when no stale snapshot may be served.
    ///
    /// ```
    /// use idpkit::agent::{PermissionCache, PermissionLookup};
    /// let cache = PermissionCache::new();
    /// let now = std::time::SystemTime::now();
    /// let PermissionLookup::Fetch(g) = cache.lookup("a", now) else { unreachable!() };
    /// assert!(g.complete(Err(idpkit::Error::config("down")), now).is_err());
    /// ```
    pub fn complete(
        mut self,
        result: Result<PermissionSet>,
        now: SystemTime,
    ) -> Result<Arc<PermissionSnapshot>> {
        self.done = true;
        let answer = self.cache.settle(&self.agent, &self.flight, result, now);
        self.flight.finish(answer.clone());
        answer
    }
}

impl Drop for PermissionFetch {
    fn drop(&mut self) {
        if !self.done {
            let error = Error::from(ErrorKind::Transport {
                cause: crate::http::TransportCause::Other,
                message: "the permissions request was abandoned before it completed".to_owned(),
            });
            let mut map = self.cache.inner.map.write();
            if let Some(slot) = map.get_mut(&*self.agent)
                && slot
                    .flight
                    .as_ref()
                    .is_some_and(|f| Arc::ptr_eq(f, &self.flight))
            {
                slot.flight = None;
            }
            drop(map);
            self.flight.finish(Err(error));
        }
    }
}

impl fmt::Debug for PermissionFetch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PermissionFetch")
            .field("agent", &self.agent)
            .finish_non_exhaustive()
    }
}

/// The permissions request (Authora's `GET {base}/agents/{id}/permissions`); the agent id is
/// one percent-encoded path segment.
///
/// # Errors
///
/// [`ErrorKind::Config`] for a base URL that cannot take a path.
///
/// ```
/// let r = idpkit::agent::permissions_request("https://api.example.com/api/v1", "agt 1")?;
/// assert_eq!(r.uri(), "https://api.example.com/api/v1/agents/agt%201/permissions");
/// # Ok::<(), idpkit::Error>(())
/// ```
pub fn permissions_request(base: &str, agent: &str) -> Result<HttpRequest> {
    let mut url =
        url::Url::parse(base).map_err(|_| Error::config("invalid permissions base URL"))?;
    url.path_segments_mut()
        .map_err(|_| Error::config("the permissions base URL cannot take a path"))?
        .pop_if_empty()
        .extend(["agents", agent, "permissions"]);
    http::Request::get(url.as_str())
        .header(http::header::ACCEPT, "application/json")
        .body(Vec::new())
        .map_err(|_| Error::config("invalid permissions request"))
}

#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Answer {
    Data {
        data: Box<Answer>,
    },
    Lists {
        permissions: Vec<String>,
        #[serde(default, rename = "denyPermissions", alias = "deny_permissions")]
        deny: Vec<String>,
    },
    Grants(Vec<Grant>),
}

#[derive(serde::Deserialize)]
struct Grant {
    resource: String,
    actions: Vec<String>,
}

/// Parses the permissions answer: `{"permissions": [...], "denyPermissions": [...]}`
/// (`deny_permissions` also accepted), or a list of `{"resource", "actions"}` grants (each
/// action becomes `resource:action`; no deny list), either possibly inside `{"data": ...}`.
///
/// # Errors
///
/// The status errors of [`parse_json`](crate::http::parse_json);
/// [`ErrorKind::MalformedResponse`] for any other shape.
///
/// ```
/// let response = http::Response::builder()
///     .header("content-type", "application/json")
///     .body(br#"{"permissions":["files:*"],"denyPermissions":["files:secret"]}"#.to_vec())
///     .unwrap();
/// let set = idpkit::agent::parse_permissions(response, std::time::SystemTime::now())?;
/// assert!(!set.is_allowed("files:secret"));
/// # Ok::<(), idpkit::Error>(())
/// ```
pub fn parse_permissions(response: HttpResponse, now: SystemTime) -> Result<PermissionSet> {
    let mut answer: Answer = crate::http::parse_json(response, "agent permissions (JSON)", now)?;
    for _ in 0..4 {
        match answer {
            Answer::Data { data } => answer = *data,
            Answer::Lists { permissions, deny } => {
                return Ok(PermissionSet::new(permissions, deny));
            }
            Answer::Grants(grants) => {
                let allow = grants
                    .iter()
                    .flat_map(|g| g.actions.iter().map(move |a| format!("{}:{a}", g.resource)));
                return Ok(PermissionSet::new(allow, [""; 0]));
            }
        }
    }
    Err(Error::malformed(
        "agent permissions (JSON)",
        "nested `data` envelopes".to_owned(),
    ))
}

#[cfg(test)]
#[path = "permission_cache_tests.rs"]
mod tests;
