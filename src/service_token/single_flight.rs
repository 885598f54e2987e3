//! Single-flight fetching: of the callers that find no usable token for a key, one gets the
//! [`FetchGuard`] and fetches; the others get a [`Waiter`] for its answer, success or error. A
//! [`Flight`] is that one fetch: a once-set result and the event its waiters listen to.
//! `Flight` and [`Waiter`] are generic over the fetched value (a token by default), so other
//! single-flight caches (the agent permission cache) reuse them.

use std::fmt;
use std::sync::{Arc, OnceLock};

use event_listener::{Event, EventListener, Listener};

use super::cache::Inner;
use super::entry::CachedToken;
use super::key::CacheKey;
use crate::error::{Error, ErrorKind, Result};

/// What [`TokenCache::lookup`](super::TokenCache::lookup) found.
#[must_use = "a Fetch must be completed, a Wait waited on"]
#[derive(Debug)]
pub enum Lookup {
    /// A token that is valid for longer than the refresh buffer.
    Hit(CachedToken),
    /// No usable token and no fetch in flight: this caller must fetch one and
    /// [`complete`](FetchGuard::complete) the guard. Everybody else waits meanwhile.
    Fetch(FetchGuard),
    /// Another caller is fetching: wait for its answer.
    Wait(Waiter),
}

/// One fetch: its result, set once, and the event its waiters listen to.
pub(crate) struct Flight<T = CachedToken> {
    result: OnceLock<Result<T>>,
    event: Event,
}

impl<T> Flight<T> {
    /// A fetch without a result yet.
    pub(crate) fn new() -> Arc<Flight<T>> {
        Arc::new(Flight {
            result: OnceLock::new(),
            event: Event::new(),
        })
    }

    /// Sets the result and wakes every waiter.
    pub(crate) fn finish(&self, result: Result<T>) {
        // Cannot be set already: only the flight's guard sets it, once.
        let _ = self.result.set(result);
        self.event.notify(usize::MAX);
    }
}

/// The right and the duty to fetch the token for a key: exactly one caller holds it per fetch.
/// Hand the result to [`complete`](Self::complete); every waiter gets it.
///
/// Dropped without completing (the fetching task was cancelled, or it panicked), it releases
/// the waiters with an error ([`ErrorKind::Transport`], retryable) and clears the in-flight
/// state: the next lookup fetches again.
///
/// ```
/// use std::time::SystemTime;
/// use idpkit::service_token::{CacheKey, Lookup, TokenCache};
/// let cache = TokenCache::new();
/// let key = CacheKey::new("https://op.example/token", "svc", &["read"]);
/// let Lookup::Fetch(guard) = cache.lookup(&key, SystemTime::now()) else { unreachable!() };
/// let Lookup::Wait(waiter) = cache.lookup(&key, SystemTime::now()) else { unreachable!() };
/// drop(guard); // e.g. the task was cancelled
/// assert!(waiter.wait_blocking().is_err());
/// assert!(matches!(cache.lookup(&key, SystemTime::now()), Lookup::Fetch(_)));
/// ```
pub struct FetchGuard {
    cache: Arc<Inner>,
    key: CacheKey,
    flight: Arc<Flight>,
    done: bool,
}

impl FetchGuard {
    /// The guard of `flight`, a fetch for `key` that `cache` records in `key`'s entry.
    pub(super) fn new(cache: Arc<Inner>, key: CacheKey, flight: Arc<Flight>) -> FetchGuard {
        FetchGuard {
            cache,
            key,
            flight,
            done: false,
        }
    }

    /// The key to fetch the token for.
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use idpkit::service_token::{CacheKey, Lookup, TokenCache};
    /// let key = CacheKey::new("https://op.example/token", "svc", &["read"]);
    /// let Lookup::Fetch(guard) = TokenCache::new().lookup(&key, SystemTime::now()) else { unreachable!() };
    /// assert_eq!(guard.key(), &key);
    /// ```
    pub fn key(&self) -> &CacheKey {
        &self.key
    }

    /// Publishes the fetch's result: a token is cached and handed to every waiter; an error is
    /// handed to every waiter and not cached (the next lookup fetches again). Returns `result`.
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use idpkit::{Error, service_token::{CacheKey, Lookup, TokenCache}};
    /// let cache = TokenCache::new();
    /// let key = CacheKey::new("https://op.example/token", "svc", &["read"]);
    /// let Lookup::Fetch(guard) = cache.lookup(&key, SystemTime::now()) else { unreachable!() };
    /// let Lookup::Wait(waiter) = cache.lookup(&key, SystemTime::now()) else { unreachable!() };
    /// assert!(guard.complete(Err(Error::config("no secret"))).is_err());
    /// assert_eq!(waiter.wait_blocking().unwrap_err().to_string(), "invalid configuration: no secret");
    /// assert!(matches!(cache.lookup(&key, SystemTime::now()), Lookup::Fetch(_)));
    /// ```
    pub fn complete(mut self, result: Result<CachedToken>) -> Result<CachedToken> {
        self.publish(result.clone());
        result
    }

    fn publish(&mut self, result: Result<CachedToken>) {
        self.done = true;
        self.cache.settle(&self.key, &self.flight, &result);
        self.flight.finish(result);
    }
}

impl Drop for FetchGuard {
    fn drop(&mut self) {
        if !self.done {
            let why = if std::thread::panicking() {
                "the token request was abandoned: the fetching thread panicked"
            } else {
                "the token request was abandoned before it completed (cancelled)"
            };
            self.publish(Err(Error::from(ErrorKind::Transport {
                cause: crate::http::TransportCause::Other,
                message: why.to_owned(),
            })));
        }
    }
}

impl fmt::Debug for FetchGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FetchGuard")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// A place in the queue for the token another caller is fetching. Wait from a thread with
/// [`wait_blocking`](Self::wait_blocking) or from a task with [`wait`](Self::wait) (any
/// executor; no runtime needed); both kinds can wait on the same fetch.
///
/// ```
/// use std::time::SystemTime;
/// use idpkit::{AccessToken, service_token::{CacheKey, CachedToken, Lookup, TokenCache}};
/// let cache = TokenCache::new();
/// let key = CacheKey::new("https://op.example/token", "svc", &["read"]);
/// let Lookup::Fetch(guard) = cache.lookup(&key, SystemTime::now()) else { unreachable!() };
/// let Lookup::Wait(waiter) = cache.lookup(&key, SystemTime::now()) else { unreachable!() };
/// let waiting = std::thread::spawn(move || waiter.wait_blocking());
/// guard.complete(Ok(CachedToken::new(AccessToken::new("at-1"), "Bearer", None, None)))?;
/// assert_eq!(waiting.join().unwrap()?.access_token().expose_secret(), "at-1");
/// # Ok::<(), idpkit::Error>(())
/// ```
pub struct Waiter<T = CachedToken> {
    flight: Arc<Flight<T>>,
}

impl<T: Clone> Waiter<T> {
    /// A place in the queue for `flight`.
    #[inline]
    pub(crate) fn new(flight: Arc<Flight<T>>) -> Waiter<T> {
        Waiter { flight }
    }

    /// Blocks the thread until the fetch completes; its token, or its error.
    ///
    /// Do not call it on an async runtime's worker thread; use [`wait`](Self::wait) there.
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use idpkit::service_token::{CacheKey, Lookup, TokenCache};
    /// let cache = TokenCache::new();
    /// let key = CacheKey::new("https://op.example/token", "svc", &["read"]);
    /// let Lookup::Fetch(guard) = cache.lookup(&key, SystemTime::now()) else { unreachable!() };
    /// let Lookup::Wait(waiter) = cache.lookup(&key, SystemTime::now()) else { unreachable!() };
    /// drop(guard);
    /// assert!(waiter.wait_blocking().unwrap_err().is_retryable());
    /// ```
    pub fn wait_blocking(self) -> Result<T> {
        loop {
            match self.ready_or_listen() {
                Ok(result) => return result,
                Err(listener) => listener.wait(),
            }
        }
    }

    /// Waits, without blocking the thread, until the fetch completes; its token, or its error.
    /// The future is `Send` and needs no particular runtime.
    ///
    /// ```
    /// # async fn run(waiter: idpkit::service_token::Waiter) -> idpkit::Result<()> {
    /// let token = waiter.wait().await?;
    /// # Ok(()) }
    /// ```
    pub async fn wait(self) -> Result<T> {
        loop {
            match self.ready_or_listen() {
                Ok(result) => return result,
                Err(listener) => listener.await,
            }
        }
    }

    /// The result if the fetch has completed, else a listener registered before looking again
    /// (so a completion in between is not missed).
    fn ready_or_listen(&self) -> std::result::Result<Result<T>, EventListener> {
        if let Some(result) = self.try_result() {
            return Ok(result);
        }
        let listener = self.flight.event.listen();
        match self.try_result() {
            Some(result) => Ok(result),
            None => Err(listener),
        }
    }

    /// The fetch's result, if it has completed.
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use idpkit::service_token::{CacheKey, Lookup, TokenCache};
    /// let cache = TokenCache::new();
    /// let key = CacheKey::new("https://op.example/token", "svc", &["read"]);
    /// let Lookup::Fetch(guard) = cache.lookup(&key, SystemTime::now()) else { unreachable!() };
    /// let Lookup::Wait(waiter) = cache.lookup(&key, SystemTime::now()) else { unreachable!() };
    /// assert!(waiter.try_result().is_none());
    /// drop(guard);
    /// assert!(waiter.try_result().is_some());
    /// ```
    pub fn try_result(&self) -> Option<Result<T>> {
        self.flight.result.get().cloned()
    }
}

impl<T> fmt::Debug for Waiter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Waiter")
            .field("done", &self.flight.result.get().is_some())
            .finish()
    }
}
