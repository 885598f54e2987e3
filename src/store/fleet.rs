//! The fleet-wide single-flight protocol's pure parts: the Redis commands it sends and how it
//! reads their answers. The clients' shared code (`fleet.rs` in each mode) sends them in
//! order; nothing here does I/O. (The replay store uses only a part of it without a client.)
#![cfg_attr(not(any(feature = "blocking", feature = "async")), allow(dead_code))]

use std::time::{Duration, SystemTime};

use redis::{Cmd, Value};

use super::RedisStore;
use crate::clock::since_epoch;
use crate::service_token::{CacheKey, CachedToken};

/// The first pause of a replica waiting for another one's token; it doubles up to
/// [`MAX_PAUSE`].
pub(crate) const FIRST_PAUSE: Duration = Duration::from_millis(5);
/// The longest pause between two looks at the shared entry.
pub(crate) const MAX_PAUSE: Duration = Duration::from_millis(50);

/// Deletes the lock only if its value is still this owner's (a lock that expired and was taken
/// by another replica is not released by the first).
const UNLOCK: &str = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/// The names of a token's entry and of its refresh lock.
pub(crate) struct TokenNames {
    pub(crate) entry: String,
    pub(crate) lock: String,
}

impl TokenNames {
    /// The names for `key` in `store`'s namespace.
    pub(crate) fn new(store: &RedisStore, key: &CacheKey) -> TokenNames {
        let digest = hex_digest(key.canonical().as_bytes());
        TokenNames {
            entry: store.name("token", &digest),
            lock: store.name("lock", &digest),
        }
    }
}

/// The SHA-256 of `bytes`, in lowercase hex.
pub(crate) fn hex_digest(bytes: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
    hex(digest.as_ref())
}

/// `bytes` in lowercase hex.
fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// A fresh lock owner: 16 random bytes in hex.
pub(crate) fn owner() -> String {
    let mut bytes = [0u8; 16];
    // A failing random generator leaves zeros: the lock still works, only its release is no
    // longer owner-specific (it then expires by its TTL at worst).
    let _ = aws_lc_rs::rand::fill(&mut bytes);
    hex(&bytes)
}

/// `GET entry`.
pub(crate) fn get(entry: &str) -> Cmd {
    let mut cmd = redis::cmd("GET");
    cmd.arg(entry);
    cmd
}

/// `SET lock owner NX PX ttl`.
pub(crate) fn lock(lock: &str, owner: &str, ttl: Duration) -> Cmd {
    let mut cmd = redis::cmd("SET");
    cmd.arg(lock)
        .arg(owner)
        .arg("NX")
        .arg("PX")
        .arg(millis(ttl));
    cmd
}

/// The compare-and-delete release of `lock` by `owner`.
pub(crate) fn unlock(lock: &str, owner: &str) -> Cmd {
    let mut cmd = redis::cmd("EVAL");
    cmd.arg(UNLOCK).arg(1).arg(lock).arg(owner);
    cmd
}

/// `SET entry sealed [PX ttl]`: the token sealed under the store's key, kept until it expires
/// (at `now`); `None` when it has expired already (nothing to share).
pub(crate) fn put(
    store: &RedisStore,
    entry: &str,
    token: &CachedToken,
    now: SystemTime,
) -> Option<Cmd> {
    let sealed = super::seal_token(store.key(), entry, token);
    if sealed.is_empty() {
        return None;
    }
    let mut cmd = redis::cmd("SET");
    cmd.arg(entry).arg(sealed);
    if let Some(at) = token.expires_at() {
        let left = Duration::from_secs(at).checked_sub(since_epoch(now))?;
        if left.is_zero() {
            return None;
        }
        cmd.arg("PX").arg(millis(left));
    }
    Some(cmd)
}

/// `SET name 1 NX PX ttl`: a replay-store record.
pub(crate) fn record(name: &str, ttl: Duration) -> Cmd {
    let mut cmd = redis::cmd("SET");
    cmd.arg(name).arg(1).arg("NX").arg("PX").arg(millis(ttl));
    cmd
}

/// Whether a `SET … NX` was applied (`OK`), not refused (nil).
pub(crate) fn applied(answer: &Value) -> bool {
    !matches!(answer, Value::Nil)
}

/// The token in a `GET` answer if it opens under the store's key and is still handed out at
/// `now` (valid beyond `refresh_before`). A corrupt or undecryptable entry is no token: it is
/// refetched and overwritten, never trusted.
pub(crate) fn fresh_token(
    store: &RedisStore,
    entry: &str,
    answer: &Value,
    now: SystemTime,
    refresh_before: Duration,
) -> Option<CachedToken> {
    let Value::BulkString(bytes) = answer else {
        return None;
    };
    let Some(token) = super::open_token(store.key(), entry, bytes) else {
        tracing::warn!(
            target: "idpkit::store",
            "a shared token entry did not open (corrupt, or sealed under another key): refetching"
        );
        return None;
    };
    (since_epoch(now) < token.refresh_at(refresh_before)).then_some(token)
}

/// `d` in whole milliseconds, at least 1 (Redis refuses `PX 0`).
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}
