// The agent permission checker through the clients, against a counting loopback permissions
// endpoint, compiled once per mode by `tests/clients.rs`. Every test starts its own server:
// they count its requests.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use idpkit::agent::PermissionCache;
use idpkit::{Clock, ErrorKind};

use super::{idp, maybe_async, permissions_at_once};
use crate::permission_server::PermissionServer;

const T0: u64 = 1_700_000_000;

/// A clock the test moves, in seconds since the epoch.
fn test_clock() -> (Clock, Arc<AtomicU64>) {
    let secs = Arc::new(AtomicU64::new(T0));
    let read = Arc::clone(&secs);
    let clock =
        Clock::new(move || SystemTime::UNIX_EPOCH + Duration::from_secs(read.load(Ordering::SeqCst)));
    (clock, secs)
}

fn checker(server: &PermissionServer, clock: Clock, cache: PermissionCache) -> idp::PermissionChecker {
    idp::PermissionChecker::builder(server.base())
        .clock(clock)
        .cache(cache)
        .build()
        .expect("checker")
}

#[maybe_async]
async fn allowed(checker: &idp::PermissionChecker, permission: &str) -> idpkit::Result<bool> {
    checker.has_permission("agt 1", permission).await
}

#[test]
fn deny_first_lists_fetched_once_per_ttl() {
    let server = PermissionServer::start();
    let (clock, secs) = test_clock();
    let checker = checker(&server, clock, PermissionCache::new());
    assert!(run!(allowed(&checker, "files:read")).unwrap());
    assert!(!run!(allowed(&checker, "files:secret")).unwrap());
    assert!(!run!(allowed(&checker, "mail:read")).unwrap());
    assert_eq!(server.requests(), 1);
    assert_eq!(server.last_path(), "/api/v1/agents/agt%201/permissions");
    secs.store(T0 + 299, Ordering::SeqCst);
    assert!(run!(allowed(&checker, "files:read")).unwrap());
    assert_eq!(server.requests(), 1);
    secs.store(T0 + 300, Ordering::SeqCst);
    assert!(run!(allowed(&checker, "files:read")).unwrap());
    assert_eq!(server.requests(), 2);
    // Invalidation: the next check fetches again.
    checker.cache().invalidate("agt 1");
    server.set_body(r#"[{"resource":"mail","actions":["read"]}]"#);
    assert!(run!(allowed(&checker, "mail:read")).unwrap());
    assert!(!run!(allowed(&checker, "files:read")).unwrap());
    assert_eq!(server.requests(), 3);
}

#[test]
fn thousand_callers_on_an_expired_entry_make_one_fetch() {
    let server = PermissionServer::start();
    let (clock, secs) = test_clock();
    let checker = checker(&server, clock, PermissionCache::new());
    assert!(run!(allowed(&checker, "files:read")).unwrap());
    secs.store(T0 + 301, Ordering::SeqCst);
    let results = permissions_at_once(&checker, "files:read", 1000);
    assert_eq!(results.len(), 1000);
    assert!(results.into_iter().all(|r| r.unwrap()));
    assert_eq!(server.requests(), 2);
}

#[test]
fn a_failed_fetch_is_an_error_never_an_allow() {
    let server = PermissionServer::start();
    let (clock, secs) = test_clock();
    let checker = checker(&server, clock, PermissionCache::new());
    assert!(run!(allowed(&checker, "files:read")).unwrap());
    secs.store(T0 + 301, Ordering::SeqCst);
    server.set_status(503);
    for _ in 0..2 {
        let err = run!(allowed(&checker, "files:read")).unwrap_err();
        assert_eq!(err.status(), Some(503));
    }
    // Not cached: each check asks again.
    assert_eq!(server.requests(), 3);
    server.set_status(200);
    server.set_body(r#"{"unexpected":true}"#);
    let err = run!(allowed(&checker, "files:read")).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::MalformedResponse { .. }));
}

#[test]
fn stale_if_error_serves_the_previous_lists_for_a_bounded_time() {
    let server = PermissionServer::start();
    let (clock, secs) = test_clock();
    let cache = PermissionCache::with_ttl(Duration::from_secs(300), Duration::from_secs(60));
    let checker = checker(&server, clock, cache);
    assert!(run!(allowed(&checker, "files:read")).unwrap());
    server.set_status(500);
    secs.store(T0 + 330, Ordering::SeqCst);
    assert!(run!(allowed(&checker, "files:read")).unwrap());
    assert!(!run!(allowed(&checker, "files:secret")).unwrap());
    secs.store(T0 + 360, Ordering::SeqCst);
    assert_eq!(
        run!(allowed(&checker, "files:read")).unwrap_err().status(),
        Some(500)
    );
}
