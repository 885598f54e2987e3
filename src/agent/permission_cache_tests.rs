use std::sync::Barrier;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;

const T0: u64 = 1_700_000_000;

fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

fn lists() -> PermissionSet {
    PermissionSet::new(["files:*"], ["files:secret"])
}

fn fill(cache: &PermissionCache, agent: &str, now: SystemTime, set: PermissionSet) {
    let PermissionLookup::Fetch(guard) = cache.lookup(agent, now) else {
        panic!("expected a fetch")
    };
    guard.complete(Ok(set), now).unwrap();
}

fn down() -> Error {
    Error::from(ErrorKind::Status {
        status: 503,
        body_excerpt: String::new(),
        retry_after: None,
    })
}

#[test]
fn fresh_for_the_ttl_then_fetched_again() {
    let cache = PermissionCache::new();
    fill(&cache, "a", at(T0), lists());
    let PermissionLookup::Hit(s) = cache.lookup("a", at(T0 + 299)) else {
        panic!()
    };
    assert!(s.is_allowed("files:read") && !s.is_allowed("files:secret"));
    assert!(matches!(
        cache.lookup("a", at(T0 + 300)),
        PermissionLookup::Fetch(_)
    ));
    // Agents are independent.
    assert!(matches!(
        cache.lookup("b", at(T0)),
        PermissionLookup::Fetch(_)
    ));
}

/// `n` threads look `agent` up at once; the fetcher completes once every other has its
/// answer from `lookup`. Returns (fetchers, allowed answers for "files:read").
fn thousand_threads(
    cache: &PermissionCache,
    n: usize,
    now: SystemTime,
) -> (usize, Vec<Result<bool>>) {
    let barrier = Barrier::new(n);
    let looked_up = AtomicUsize::new(0);
    let fetchers = AtomicUsize::new(0);
    let results = std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|_| {
                std::thread::Builder::new()
                    .stack_size(64 * 1024)
                    .spawn_scoped(s, || {
                        barrier.wait();
                        let lookup = cache.lookup("a", now);
                        looked_up.fetch_add(1, Ordering::SeqCst);
                        let snapshot = match lookup {
                            PermissionLookup::Hit(s) => Ok(s),
                            PermissionLookup::Wait(w) => w.wait_blocking(),
                            PermissionLookup::Fetch(guard) => {
                                fetchers.fetch_add(1, Ordering::SeqCst);
                                while looked_up.load(Ordering::SeqCst) < n {
                                    std::thread::yield_now();
                                }
                                guard.complete(Ok(lists()), now)
                            }
                        };
                        snapshot.map(|s| s.is_allowed("files:read"))
                    })
                    .expect("spawn")
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    (fetchers.into_inner(), results)
}

#[test]
fn single_flight_with_1000_threads_on_an_expired_entry() {
    let cache = PermissionCache::new();
    fill(&cache, "a", at(T0), PermissionSet::default());
    let (fetchers, results) = thousand_threads(&cache, 1000, at(T0 + 301));
    assert_eq!(fetchers, 1);
    assert_eq!(results.len(), 1000);
    assert!(results.iter().all(|r| *r.as_ref().unwrap()));
}

#[test]
fn single_flight_with_1000_tasks() {
    let cache = PermissionCache::new();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let looked_up = Arc::new(AtomicUsize::new(0));
    let fetchers = Arc::new(AtomicUsize::new(0));
    let n = 1000;
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let (cache, looked_up, fetchers) = (cache.clone(), looked_up.clone(), fetchers.clone());
            rt.spawn(async move {
                let lookup = cache.lookup("a", at(T0));
                looked_up.fetch_add(1, Ordering::SeqCst);
                let snapshot = match lookup {
                    PermissionLookup::Hit(s) => Ok(s),
                    PermissionLookup::Wait(w) => w.wait().await,
                    PermissionLookup::Fetch(guard) => {
                        fetchers.fetch_add(1, Ordering::SeqCst);
                        while looked_up.load(Ordering::SeqCst) < n {
                            tokio::task::yield_now().await;
                        }
                        guard.complete(Ok(lists()), at(T0))
                    }
                };
                snapshot.map(|s| s.is_allowed("files:read"))
            })
        })
        .collect();
    for t in tasks {
        assert!(rt.block_on(t).unwrap().unwrap());
    }
    assert_eq!(fetchers.load(Ordering::SeqCst), 1);
}

#[test]
fn threads_and_tasks_wait_on_one_fetch() {
    let cache = PermissionCache::new();
    let PermissionLookup::Fetch(guard) = cache.lookup("a", at(T0)) else {
        panic!()
    };
    let waiters: Vec<_> = (0..20)
        .map(|_| match cache.lookup("a", at(T0)) {
            PermissionLookup::Wait(w) => w,
            other => panic!("{other:?}"),
        })
        .collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let mut tasks = Vec::new();
    let mut threads = Vec::new();
    for (i, w) in waiters.into_iter().enumerate() {
        if i % 2 == 0 {
            tasks.push(rt.spawn(w.wait()));
        } else {
            threads.push(std::thread::spawn(move || w.wait_blocking()));
        }
    }
    let snapshot = guard.complete(Ok(lists()), at(T0)).unwrap();
    for h in threads {
        assert!(Arc::ptr_eq(&h.join().unwrap().unwrap(), &snapshot));
    }
    for t in tasks {
        assert!(Arc::ptr_eq(&rt.block_on(t).unwrap().unwrap(), &snapshot));
    }
}

#[test]
fn a_failed_fetch_is_an_error_for_everyone_and_not_cached() {
    let cache = PermissionCache::new();
    fill(&cache, "a", at(T0), lists());
    let PermissionLookup::Fetch(guard) = cache.lookup("a", at(T0 + 400)) else {
        panic!()
    };
    let PermissionLookup::Wait(waiter) = cache.lookup("a", at(T0 + 400)) else {
        panic!()
    };
    let err = guard.complete(Err(down()), at(T0 + 400)).unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(waiter.wait_blocking().unwrap_err().status(), Some(503));
    // Not cached, and the expired lists are gone too: the next lookup fetches.
    assert!(matches!(
        cache.lookup("a", at(T0 + 400)),
        PermissionLookup::Fetch(_)
    ));
}

#[test]
fn stale_if_error_is_bounded_and_keeps_the_deny_list() {
    let cache = PermissionCache::with_ttl(Duration::from_secs(300), Duration::from_secs(60));
    fill(&cache, "a", at(T0), lists());
    // Expired 30 s ago, refresh fails: the old lists, deny list included, are served.
    let PermissionLookup::Fetch(guard) = cache.lookup("a", at(T0 + 330)) else {
        panic!()
    };
    let stale = guard.complete(Err(down()), at(T0 + 330)).unwrap();
    assert!(stale.is_allowed("files:read"));
    assert!(!stale.is_allowed("files:secret"));
    assert_eq!(stale.fetched_at(), at(T0));
    // Still expired: the next lookup tries again; beyond the window, the error.
    let PermissionLookup::Fetch(guard) = cache.lookup("a", at(T0 + 360)) else {
        panic!()
    };
    assert!(guard.complete(Err(down()), at(T0 + 360)).is_err());
    assert!(matches!(
        cache.lookup("a", at(T0 + 361)),
        PermissionLookup::Fetch(_)
    ));
}

#[test]
fn invalidation() {
    let cache = PermissionCache::new();
    fill(&cache, "a", at(T0), lists());
    fill(&cache, "b", at(T0), lists());
    cache.invalidate("a");
    assert!(matches!(
        cache.lookup("a", at(T0)),
        PermissionLookup::Fetch(_)
    ));
    assert!(matches!(
        cache.lookup("b", at(T0)),
        PermissionLookup::Hit(_)
    ));
    // Invalidated while a fetch runs: its answer reaches its waiters but is not kept.
    cache.invalidate_all();
    let PermissionLookup::Fetch(guard) = cache.lookup("b", at(T0)) else {
        panic!()
    };
    cache.invalidate("b");
    assert!(guard.complete(Ok(lists()), at(T0)).is_ok());
    assert!(matches!(
        cache.lookup("b", at(T0)),
        PermissionLookup::Fetch(_)
    ));
}

#[test]
fn an_abandoned_fetch_releases_its_waiters() {
    let cache = PermissionCache::new();
    let PermissionLookup::Fetch(guard) = cache.lookup("a", at(T0)) else {
        panic!()
    };
    let PermissionLookup::Wait(waiter) = cache.lookup("a", at(T0)) else {
        panic!()
    };
    drop(guard);
    assert!(waiter.wait_blocking().unwrap_err().is_retryable());
    assert!(matches!(
        cache.lookup("a", at(T0)),
        PermissionLookup::Fetch(_)
    ));
}

fn json(status: u16, body: &str) -> HttpResponse {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(body.as_bytes().to_vec())
        .unwrap()
}

#[test]
fn both_answer_shapes_and_bad_ones() {
    let now = at(T0);
    for body in [
        r#"{"permissions":["files:*"],"denyPermissions":["files:secret"]}"#,
        r#"{"permissions":["files:*"],"deny_permissions":["files:secret"]}"#,
        r#"{"data":{"permissions":["files:*"],"denyPermissions":["files:secret"]}}"#,
    ] {
        let set = parse_permissions(json(200, body), now).unwrap();
        assert!(
            set.is_allowed("files:read") && !set.is_allowed("files:secret"),
            "{body}"
        );
    }
    let set = parse_permissions(
        json(200, r#"[{"resource":"files","actions":["read","write"]}]"#),
        now,
    )
    .unwrap();
    assert!(set.is_allowed("files:write") && !set.is_allowed("files:delete"));
    for body in [
        r#"{"allow":[]}"#,
        "[1]",
        "null",
        r#"{"permissions":"files:*"}"#,
    ] {
        let err = parse_permissions(json(200, body), now).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::MalformedResponse { .. }),
            "{body}"
        );
    }
    assert_eq!(
        parse_permissions(json(500, "{}"), now)
            .unwrap_err()
            .status(),
        Some(500)
    );
}

#[test]
fn a_flood_of_agents_stays_within_the_bound() {
    let cache = PermissionCache::with_limits(Duration::from_secs(300), Duration::ZERO, 1_000);
    let now = at(1_000);
    // A fetch in flight for one agent, then 20,000 others.
    let PermissionLookup::Fetch(in_flight) = cache.lookup("waiting", now) else {
        panic!("cold")
    };
    let mut most = 0;
    for i in 0..20_000 {
        fill(&cache, &format!("agent-{i}"), now, lists());
        most = most.max(cache.len());
    }
    assert!(most <= 1_000, "held {most} agents");
    assert!(cache.len() >= 900, "evicts a tenth at a time");
    // The fetch in flight stayed and still settles into the cache.
    assert!(matches!(
        cache.lookup("waiting", now),
        PermissionLookup::Wait(_)
    ));
    in_flight.complete(Ok(lists()), now).unwrap();
    assert!(matches!(
        cache.lookup("waiting", now),
        PermissionLookup::Hit(_)
    ));
    // Expired agents go first: once full again, a later flood drops all of them and none of
    // its own.
    let later = at(1_000 + 301);
    for i in 0..150 {
        fill(&cache, &format!("fresh-{i}"), later, lists());
    }
    assert_eq!(cache.len(), 150, "every expired agent went, no fresh one");
    for i in 0..150 {
        let hit = cache.lookup(&format!("fresh-{i}"), later);
        assert!(matches!(hit, PermissionLookup::Hit(_)), "fresh-{i}");
    }
}
