//! The injected clock: pure code takes the time as an argument; clients read it from here.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// The source of the current time. Defaults to the system clock; tests pass a fixed one. Pure
/// code takes the time as an argument and never reads a clock itself.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let clock = idpkit::Clock::new(move || t);
/// assert_eq!(clock.now(), t);
/// ```
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> SystemTime + Send + Sync>);

impl Clock {
    /// A clock that calls `now` for the time.
    ///
    /// ```
    /// let clock = idpkit::Clock::new(std::time::SystemTime::now);
    /// ```
    pub fn new(now: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        Clock(Arc::new(now))
    }

    /// The current time.
    ///
    /// ```
    /// assert!(idpkit::Clock::default().now() > std::time::SystemTime::UNIX_EPOCH);
    /// ```
    pub fn now(&self) -> SystemTime {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::new(SystemTime::now)
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Clock")
    }
}

/// The time from the Unix epoch to `t`; zero for a time before the epoch (a clock set back
/// does not panic).
pub(crate) fn since_epoch(t: SystemTime) -> Duration {
    t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default()
}
