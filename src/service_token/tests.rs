//! Unit tests of the token cache: keys, hits and the refresh buffer, single flight.

use std::hash::BuildHasher;
use std::sync::Barrier;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use super::*;
use crate::error::{Error, ErrorKind, Result};
use crate::secret::AccessToken;

const ENDPOINT: &str = "https://op.example/token";
const T0: u64 = 1_700_000_000;

fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

fn key() -> CacheKey {
    CacheKey::new(ENDPOINT, "svc", ["read", "write"])
}

fn token(value: &str, expires_at: Option<u64>) -> CachedToken {
    CachedToken::new(AccessToken::new(value), "Bearer", expires_at, None)
}

fn fill(cache: &TokenCache, key: &CacheKey, now: SystemTime, t: CachedToken) -> CachedToken {
    match cache.lookup(key, now) {
        Lookup::Fetch(guard) => guard.complete(Ok(t)).unwrap(),
        other => panic!("expected Fetch, got {other:?}"),
    }
}

/// The fetch for a cold `key` at `now`, and a second caller's place in its queue.
fn fetch_and_wait(cache: &TokenCache, key: &CacheKey, now: SystemTime) -> (FetchGuard, Waiter) {
    let Lookup::Fetch(guard) = cache.lookup(key, now) else {
        panic!("cold entry must fetch")
    };
    let Lookup::Wait(waiter) = cache.lookup(key, now) else {
        panic!("must wait")
    };
    (guard, waiter)
}

fn value_of(t: CachedToken) -> String {
    t.access_token().expose_secret().to_owned()
}

fn is_fetch(l: &Lookup) -> bool {
    matches!(l, Lookup::Fetch(_))
}

fn hit(l: Lookup) -> CachedToken {
    match l {
        Lookup::Hit(t) => t,
        other => panic!("expected Hit, got {other:?}"),
    }
}

#[test]
fn key_normalisation() {
    let hash = |k: &CacheKey| foldhash::fast::FixedState::default().hash_one(k);
    let a = CacheKey::new(ENDPOINT, "svc", ["write", "read"]);
    let b = CacheKey::new(ENDPOINT, "svc", ["read write", "read", "  write  "]);
    let c = CacheKey::new(ENDPOINT, "svc", vec![String::from("read"), "write".into()]);
    assert_eq!(a, b);
    assert_eq!(a, c);
    assert_eq!(hash(&a), hash(&b));
    assert_eq!(a.scopes(), ["read", "write"]);
    // Empty items and empty scope lists.
    assert_eq!(
        CacheKey::new(ENDPOINT, "svc", [""]),
        CacheKey::new(ENDPOINT, "svc", [] as [&str; 0])
    );
    // Every component matters.
    assert_ne!(a, CacheKey::new(ENDPOINT, "svc", ["read"]));
    assert_ne!(a, CacheKey::new(ENDPOINT, "svc2", ["read", "write"]));
    assert_ne!(
        a,
        CacheKey::new("https://op2.example/token", "svc", ["read", "write"])
    );
    let r1 = CacheKey::with_target(ENDPOINT, "svc", ["read"], ["https://b", "https://a"], None);
    let r2 = CacheKey::with_target(
        ENDPOINT,
        "svc",
        ["read"],
        ["https://a", "https://b", "https://a"],
        None,
    );
    assert_eq!(r1, r2);
    assert_ne!(
        r1,
        CacheKey::with_target(ENDPOINT, "svc", ["read"], ["https://a"], None)
    );
    let aud = CacheKey::with_target(ENDPOINT, "svc", ["read"], [] as [&str; 0], Some("api"));
    assert_ne!(aud, CacheKey::new(ENDPOINT, "svc", ["read"]));
    assert_ne!(
        aud,
        CacheKey::with_target(ENDPOINT, "svc", ["read"], [] as [&str; 0], Some("api2"))
    );
    // Scopes are not resources.
    assert_ne!(
        CacheKey::with_target(ENDPOINT, "svc", ["x"], [] as [&str; 0], None),
        CacheKey::with_target(ENDPOINT, "svc", [] as [&str; 0], ["x"], None)
    );
}

#[test]
fn keys_built_apart_compare_every_part() {
    let k = |endpoint, client_id, scopes: &[&str], resources: &[&str], audience| {
        CacheKey::with_target(endpoint, client_id, scopes, resources, audience)
    };
    // Where one part ends and the next begins counts.
    assert_ne!(
        k("https://a", "bc", &[], &[], None),
        k("https://ab", "c", &[], &[], None)
    );
    assert_ne!(
        k(ENDPOINT, "svc", &["a", "b"], &[], None),
        k(ENDPOINT, "svc", &["ab"], &[], None)
    );
    assert_ne!(
        k(ENDPOINT, "svc", &["x"], &["y"], None),
        k(ENDPOINT, "svc", &["x", "y"], &[], None)
    );
    assert_ne!(
        k(ENDPOINT, "svc", &[], &["r"], None),
        k(ENDPOINT, "svc", &[], &[], Some("r"))
    );
    assert_ne!(
        k(ENDPOINT, "svc", &[], &[], Some("")),
        k(ENDPOINT, "svc", &[], &[], None)
    );
    // Equal keys built apart: equal, with one hash, and each finds the other's token among
    // the client's other scope sets (one bucket).
    let hash = |key: &CacheKey| foldhash::fast::FixedState::default().hash_one(key);
    let cache = TokenCache::new();
    let sets: [&[&str]; 4] = [&["a"], &["a", "b"], &["b"], &["a", "b", "c"]];
    for (i, scopes) in sets.iter().enumerate() {
        let stored = k(ENDPOINT, "svc", scopes, &["r1", "r2"], Some("api"));
        fill(&cache, &stored, at(T0), token(&format!("at-{i}"), None));
    }
    for (i, scopes) in sets.iter().enumerate() {
        let mut apart: Vec<&str> = scopes.iter().rev().copied().collect();
        apart.push(scopes[0]);
        let apart = k(ENDPOINT, "svc", &apart, &["r2", "r1", "r2"], Some("api"));
        let stored = k(ENDPOINT, "svc", scopes, &["r1", "r2"], Some("api"));
        assert_eq!(apart, stored);
        assert_eq!(hash(&apart), hash(&stored));
        assert_eq!(
            value_of(hit(cache.lookup(&apart, at(T0)))),
            format!("at-{i}")
        );
    }
    assert_eq!(cache.len(), 4);
}

#[test]
fn lookup_by_parts_is_lookup_by_key() {
    let cache = TokenCache::new();
    let by_parts = |scopes: &[&str], resources: &[&str], audience| {
        cache.lookup_target(ENDPOINT, "svc", scopes, resources, audience, at(T0))
    };
    // A fetch started by parts is found by key, and the other way round.
    let Lookup::Fetch(guard) = by_parts(&["write", "read write"], &[], None) else {
        panic!("cold")
    };
    assert_eq!(guard.key(), &key());
    assert!(matches!(cache.lookup(&key(), at(T0)), Lookup::Wait(_)));
    let t = guard.complete(Ok(token("at-1", None))).unwrap();
    assert!(hit(by_parts(&["read", "write"], &[], None)).same_as(&t));
    assert!(hit(cache.lookup(&key(), at(T0))).same_as(&t));
    assert!(is_fetch(&by_parts(&["read"], &[], None)));
    assert!(is_fetch(&by_parts(
        &["read", "write"],
        &["https://a"],
        None
    )));
    assert!(is_fetch(&by_parts(&["read", "write"], &[], Some("api"))));
    // Resources and audience, by parts and by key.
    let target = CacheKey::with_target(
        ENDPOINT,
        "svc",
        ["x"],
        ["https://b", "https://a"],
        Some("api"),
    );
    fill(&cache, &target, at(T0), token("at-t", None));
    let found = hit(by_parts(
        &["x"],
        &["https://a", "", "https://b", "https://a"],
        Some("api"),
    ));
    assert_eq!(found.access_token().expose_secret(), "at-t");
    // More than 64 scopes (the slow set comparison): the same normalisation.
    let many: Vec<String> = (0..70).rev().map(|i| format!("s{i:02}")).collect();
    let many_refs: Vec<&str> = many.iter().map(String::as_str).collect();
    let joined = many.join(" ");
    let big = CacheKey::new(ENDPOINT, "svc", &many_refs);
    assert_eq!(
        big,
        CacheKey::new(ENDPOINT, "svc", [joined.as_str(), "s00"])
    );
    assert_eq!(big.scopes().len(), 70);
    assert!(big.scopes().is_sorted());
    fill(&cache, &big, at(T0), token("at-big", None));
    let found = hit(by_parts(&[joined.as_str(), "s39 s00"], &[], None));
    assert_eq!(found.access_token().expose_secret(), "at-big");
    // One scope more or less is another key (same bucket, another set).
    let mut fewer = many_refs.clone();
    fewer.pop();
    assert!(is_fetch(&by_parts(&fewer, &[], None)));
    let mut more = many_refs.clone();
    more.push("s99");
    assert!(is_fetch(&by_parts(&more, &[], None)));
    // Sets of the same client share a bucket; each is found.
    let few = CacheKey::new(ENDPOINT, "svc", ["read"]);
    fill(&cache, &few, at(T0), token("at-few", None));
    assert_eq!(
        value_of(hit(by_parts(&["read", "read"], &[], None))),
        "at-few"
    );
    assert_eq!(
        value_of(hit(by_parts(&["write", "read"], &[], None))),
        "at-1"
    );
    assert!(is_fetch(&by_parts(&["write"], &[], None)));
    let padded = by_parts(&["  write\t", "", " ", "read read"], &[""], None);
    assert_eq!(value_of(hit(padded)), "at-1");
    assert!(is_fetch(&by_parts(&["read write x"], &[], None)));
    assert!(is_fetch(&by_parts(&[], &[], None)));
    cache.invalidate(&few);
    // The dropped fetches left nothing behind.
    assert_eq!(cache.len(), 3);
}

#[test]
fn hit_until_the_refresh_buffer_never_after() {
    let cache = TokenCache::new();
    let key = key();
    let issued = fill(&cache, &key, at(T0), token("at-1", Some(T0 + 3600)));
    // Hits up to 60 s before expiry (exclusive), with the same token.
    for t in [T0, T0 + 1, T0 + 3539] {
        assert!(hit(cache.lookup(&key, at(t))).same_as(&issued), "{t}");
    }
    let just_before = at(T0 + 3540) - Duration::from_nanos(1);
    assert!(hit(cache.lookup(&key, just_before)).same_as(&issued));
    // From 60 s before expiry: a new fetch, never the old token.
    for t in [T0 + 3540, T0 + 3599, T0 + 3600, T0 + 100_000] {
        let l = cache.lookup(&key, at(t));
        assert!(is_fetch(&l), "{t}: {l:?}");
    }
}

#[test]
fn configurable_buffer_and_tokens_without_expiry() {
    let cache = TokenCache::builder().refresh_before(Duration::ZERO).build();
    let key = key();
    fill(&cache, &key, at(T0), token("at-1", Some(T0 + 10)));
    hit(cache.lookup(&key, at(T0 + 9)));
    assert!(is_fetch(&cache.lookup(&key, at(T0 + 10))));

    let cache = TokenCache::builder()
        .refresh_before(Duration::from_secs(120))
        .build();
    // A lifetime shorter than the buffer: never reused.
    fill(&cache, &key, at(T0), token("short", Some(T0 + 100)));
    assert!(is_fetch(&cache.lookup(&key, at(T0))));

    // No expiry: reused until invalidated; a clock before the epoch does not panic.
    let cache = TokenCache::new();
    fill(&cache, &key, at(T0), token("forever", None));
    hit(cache.lookup(&key, at(u64::MAX / 4)));
    hit(cache.lookup(&key, SystemTime::UNIX_EPOCH - Duration::from_secs(5)));
}

#[test]
fn keys_are_independent_and_equal_keys_share() {
    let cache = TokenCache::new();
    let a = key();
    fill(&cache, &a, at(T0), token("at-a", Some(T0 + 3600)));
    let same = CacheKey::new(ENDPOINT, "svc", ["write read"]);
    assert_eq!(
        hit(cache.lookup(&same, at(T0)))
            .access_token()
            .expose_secret(),
        "at-a"
    );
    let other = CacheKey::new(ENDPOINT, "svc", ["read"]);
    assert!(is_fetch(&cache.lookup(&other, at(T0))));
    // A clone of the cache is the same cache.
    let clone = cache.clone();
    hit(clone.lookup(&a, at(T0)));
}

#[test]
fn second_caller_waits_and_gets_the_answer() {
    let cache = TokenCache::new();
    let key = key();
    let (guard, w1) = fetch_and_wait(&cache, &key, at(T0));
    let Lookup::Wait(w2) = cache.lookup(&key, at(T0)) else {
        panic!("must wait")
    };
    assert!(w1.try_result().is_none());
    let t = guard.complete(Ok(token("at-1", Some(T0 + 3600)))).unwrap();
    assert!(w1.wait_blocking().unwrap().same_as(&t));
    assert!(w2.try_result().unwrap().unwrap().same_as(&t));
    assert!(hit(cache.lookup(&key, at(T0))).same_as(&t));
}

#[test]
fn an_expiring_entry_makes_callers_wait_for_the_refresh() {
    let cache = TokenCache::new();
    let key = key();
    fill(&cache, &key, at(T0), token("at-1", Some(T0 + 3600)));
    let late = at(T0 + 3550);
    let Lookup::Fetch(guard) = cache.lookup(&key, late) else {
        panic!("expiring entry must fetch")
    };
    // The old token is inside the buffer: not handed out while the refresh runs.
    let Lookup::Wait(w) = cache.lookup(&key, late) else {
        panic!("must wait")
    };
    guard.complete(Ok(token("at-2", Some(T0 + 7200)))).unwrap();
    assert_eq!(
        w.wait_blocking().unwrap().access_token().expose_secret(),
        "at-2"
    );
    assert_eq!(
        hit(cache.lookup(&key, late)).access_token().expose_secret(),
        "at-2"
    );
}

/// Runs `n` threads that look the key up at once; the one told to fetch calls `fetch`
/// once all the others have their answer from `lookup` (so each of them is a waiter or
/// the fetcher), and passes its result on. Returns (fetchers, results).
fn thousand(
    cache: &TokenCache,
    n: usize,
    fetch: impl Fn() -> Result<CachedToken> + Sync,
) -> (usize, Vec<Result<CachedToken>>) {
    let key = key();
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
                        let lookup = cache.lookup(&key, at(T0));
                        looked_up.fetch_add(1, Ordering::SeqCst);
                        match lookup {
                            Lookup::Hit(t) => Ok(t),
                            Lookup::Wait(w) => w.wait_blocking(),
                            Lookup::Fetch(guard) => {
                                fetchers.fetch_add(1, Ordering::SeqCst);
                                while looked_up.load(Ordering::SeqCst) < n {
                                    std::thread::yield_now();
                                }
                                guard.complete(fetch())
                            }
                        }
                    })
                    .expect("spawn")
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect::<Vec<_>>()
    });
    (fetchers.into_inner(), results)
}

#[test]
fn single_flight_with_1000_threads() {
    let cache = TokenCache::new();
    let fetches = AtomicUsize::new(0);
    let (fetchers, results) = thousand(&cache, 1000, || {
        fetches.fetch_add(1, Ordering::SeqCst);
        Ok(token("at-1", Some(T0 + 3600)))
    });
    assert_eq!(fetchers, 1);
    assert_eq!(fetches.into_inner(), 1);
    let first = results[0].as_ref().unwrap().clone();
    for r in &results {
        assert!(r.as_ref().unwrap().same_as(&first));
    }
    hit(cache.lookup(&key(), at(T0)));
}

#[test]
fn failed_fetch_reaches_every_waiter_and_is_not_cached() {
    let cache = TokenCache::new();
    let (fetchers, results) = thousand(&cache, 1000, || {
        Err(Error::from(ErrorKind::Status {
            status: 503,
            body_excerpt: String::new(),
            retry_after: None,
        }))
    });
    assert_eq!(fetchers, 1);
    assert_eq!(results.len(), 1000);
    for r in results {
        assert_eq!(r.unwrap_err().status(), Some(503));
    }
    // Not poisoned: the next call fetches again, and succeeds.
    assert!(cache.is_empty());
    let t = fill(&cache, &key(), at(T0), token("at-2", Some(T0 + 3600)));
    assert!(hit(cache.lookup(&key(), at(T0))).same_as(&t));
}

#[test]
fn a_failed_refresh_drops_the_old_token_too() {
    let cache = TokenCache::new();
    let key = key();
    fill(&cache, &key, at(T0), token("at-1", Some(T0 + 3600)));
    let Lookup::Fetch(guard) = cache.lookup(&key, at(T0 + 3550)) else {
        panic!()
    };
    guard.complete(Err(Error::config("boom"))).unwrap_err();
    assert!(is_fetch(&cache.lookup(&key, at(T0 + 3550))));
}

#[test]
fn dropped_guard_releases_waiters_with_an_error() {
    let cache = TokenCache::new();
    let key = key();
    let (guard, w) = fetch_and_wait(&cache, &key, at(T0));
    let waiting = std::thread::spawn(move || w.wait_blocking());
    std::thread::sleep(Duration::from_millis(20));
    drop(guard);
    let err = waiting.join().unwrap().unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Transport { .. }));
    assert!(err.to_string().contains("cancelled"), "{err}");
    assert!(is_fetch(&cache.lookup(&key, at(T0))));
}

#[test]
fn a_panicking_fetcher_releases_waiters() {
    let cache = TokenCache::new();
    let key = key();
    let (guard, w) = fetch_and_wait(&cache, &key, at(T0));
    let fetcher = std::thread::spawn(move || {
        let _guard = guard;
        panic!("the token request blew up");
    });
    assert!(fetcher.join().is_err());
    let err = w.wait_blocking().unwrap_err();
    assert!(err.to_string().contains("panicked"), "{err}");
    assert!(is_fetch(&cache.lookup(&key, at(T0))));
}

#[test]
fn async_and_blocking_waiters_share_one_fetch() {
    let cache = TokenCache::new();
    let key = key();
    let Lookup::Fetch(guard) = cache.lookup(&key, at(T0)) else {
        panic!()
    };
    let waiters: Vec<Waiter> = (0..20)
        .map(|_| match cache.lookup(&key, at(T0)) {
            Lookup::Wait(w) => w,
            other => panic!("{other:?}"),
        })
        .collect();
    let (blocking, asynch): (Vec<_>, Vec<_>) = waiters
        .into_iter()
        .enumerate()
        .partition(|(i, _)| i % 2 == 0);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let tasks: Vec<_> = asynch
        .into_iter()
        .map(|(_, w)| rt.spawn(w.wait()))
        .collect();
    let threads: Vec<_> = blocking
        .into_iter()
        .map(|(_, w)| std::thread::spawn(move || w.wait_blocking()))
        .collect();
    std::thread::sleep(Duration::from_millis(20));
    let t = guard.complete(Ok(token("at-1", None))).unwrap();
    for h in threads {
        assert!(h.join().unwrap().unwrap().same_as(&t));
    }
    for task in tasks {
        assert!(rt.block_on(task).unwrap().unwrap().same_as(&t));
    }
}

#[test]
fn invalidate() {
    let cache = TokenCache::new();
    let key = key();
    let t1 = fill(&cache, &key, at(T0), token("at-1", Some(T0 + 3600)));
    cache.invalidate(&key);
    assert!(cache.is_empty());
    let Lookup::Fetch(guard) = cache.lookup(&key, at(T0)) else {
        panic!()
    };
    // Invalidating while a fetch is in flight keeps the flight.
    cache.invalidate(&key);
    assert!(matches!(cache.lookup(&key, at(T0)), Lookup::Wait(_)));
    let t2 = guard.complete(Ok(token("at-2", Some(T0 + 3600)))).unwrap();
    // The rejected token no longer matches: the new one stays.
    assert!(!cache.invalidate_token(&key, &t1));
    assert!(hit(cache.lookup(&key, at(T0))).same_as(&t2));
    assert!(cache.invalidate_token(&key, &t2));
    assert!(is_fetch(&cache.lookup(&key, at(T0))));
    // Unknown keys are fine.
    cache.invalidate(&CacheKey::new(ENDPOINT, "nobody", ["x"]));
    assert!(!cache.invalidate_token(&CacheKey::new(ENDPOINT, "nobody", ["x"]), &t2));
}

#[test]
fn debug_redacts_the_token() {
    let t = token("at-secret-1", Some(T0));
    let cache = TokenCache::new();
    let key = key();
    let (guard, w) = fetch_and_wait(&cache, &key, at(0));
    guard.complete(Ok(t.clone())).unwrap();
    for s in [
        format!("{t:?}"),
        format!("{cache:?}"),
        format!("{w:?}"),
        format!("{:?}", cache.lookup(&key, at(0))),
    ] {
        assert!(!s.contains("at-secret-1"), "{s}");
    }
}

#[test]
fn handles_are_send_sync() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<TokenCache>();
    assert_send_sync::<CacheKey>();
    assert_send_sync::<CachedToken>();
    assert_send_sync::<FetchGuard>();
    assert_send_sync::<Waiter>();
    fn assert_send<T: Send>(_: &T) {}
    let cache = TokenCache::new();
    let key = key();
    let _g = cache.lookup(&key, at(0));
    if let Lookup::Wait(w) = cache.lookup(&key, at(0)) {
        assert_send(&w.wait());
    }
}

#[test]
fn a_flood_of_distinct_keys_stays_within_the_bound() {
    let cache = TokenCache::builder().max_entries(1_000).build();
    let now = at(T0);
    // A hot key with a long-lived token, then 20,000 one-off keys with shorter ones.
    let hot = CacheKey::new(ENDPOINT, "hot", ["read"]);
    fill(&cache, &hot, now, token("hot", Some(T0 + 86_400)));
    let mut most = 0;
    for i in 0..20_000u64 {
        let key = CacheKey::new(ENDPOINT, &format!("svc-{i}"), ["read"]);
        fill(&cache, &key, now, token("t", Some(T0 + 3_600 + i % 500)));
        most = most.max(cache.len());
    }
    assert!(most <= 1_000, "held {most} keys");
    assert!(
        cache.len() >= 900,
        "evicts a tenth at a time, not everything"
    );
    // The soonest-due tokens went first; the long-lived one stayed.
    assert!(matches!(cache.lookup(&hot, now), Lookup::Hit(_)));
}

#[test]
fn stale_entries_go_first_and_fetches_in_flight_stay() {
    let cache = TokenCache::builder().max_entries(4).build();
    let now = at(T0);
    let key = |i: u32| CacheKey::new(ENDPOINT, &format!("svc-{i}"), ["read"]);
    // Two tokens already past their refresh time, one fetch in flight, one fresh token.
    fill(&cache, &key(0), now, token("old-0", Some(T0 + 30)));
    fill(&cache, &key(1), now, token("old-1", Some(T0 + 30)));
    let Lookup::Fetch(in_flight) = cache.lookup(&key(2), now) else {
        panic!("cold")
    };
    fill(&cache, &key(3), now, token("fresh", Some(T0 + 3_600)));
    assert_eq!(cache.len(), 4);
    fill(&cache, &key(4), now, token("new", Some(T0 + 3_600)));
    // The two stale ones went; the fetch in flight and the fresh token stayed.
    assert_eq!(cache.len(), 3);
    assert!(matches!(cache.lookup(&key(2), now), Lookup::Wait(_)));
    assert!(matches!(cache.lookup(&key(3), now), Lookup::Hit(_)));
    in_flight
        .complete(Ok(token("late", Some(T0 + 3_600))))
        .unwrap();
    assert!(matches!(cache.lookup(&key(2), now), Lookup::Hit(_)));
}
