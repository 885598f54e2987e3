//! Caches stay within their stated bounds when flooded with distinct keys: a global allocator
//! that counts live bytes (one test in this binary, so nothing else allocates meanwhile) shows
//! the memory a flooded cache holds is what its bound allows, not what the flood offered.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, SystemTime};

use idpkit::AccessToken;
use idpkit::service_token::{CacheKey, CachedToken, Lookup, TokenCache};

struct Live;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator; the counter is a static atomic.
unsafe impl GlobalAlloc for Live {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Live = Live;

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

/// Puts a token for `client` in the cache.
fn fill(cache: &TokenCache, client: &str, now: SystemTime, expires_at: u64) {
    let key = CacheKey::new("https://op.example/token", client, ["read", "write"]);
    match cache.lookup(&key, now) {
        Lookup::Fetch(guard) => {
            let token = CachedToken::new(
                AccessToken::new("x".repeat(800)),
                "Bearer",
                Some(expires_at),
                None,
            );
            guard.complete(Ok(token)).expect("settled");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_flooded_token_cache_holds_what_its_bound_allows() {
    const MAX: usize = 1_000;
    const FLOOD: usize = 50_000;
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let expires = 1_700_003_600;

    // What MAX entries cost: fill an unflooded cache to its bound.
    let before = live();
    let full = TokenCache::builder().max_entries(MAX).build();
    for i in 0..MAX {
        fill(&full, &format!("svc-{i}"), now, expires);
    }
    let per_bound = live() - before;
    drop(full);

    let before = live();
    let cache = TokenCache::builder().max_entries(MAX).build();
    for i in 0..FLOOD {
        fill(
            &cache,
            &format!("svc-{i}"),
            now,
            expires + (i % 1_000) as u64,
        );
    }
    let flooded = live() - before;
    eprintln!(
        "token cache, max {MAX}: {per_bound} bytes at its bound; after {FLOOD} distinct keys: {flooded} bytes, {} entries",
        cache.len()
    );
    assert!(cache.len() <= MAX, "{} entries", cache.len());
    // Within its bound (plus the map's spare capacity), far from what the flood offered
    // (each entry holds an 800-byte token: 50,000 would be over 40 MB).
    assert!(
        flooded <= per_bound * 2,
        "flooded cache holds {flooded} bytes; {MAX} entries take {per_bound}"
    );
    assert!(
        per_bound < (MAX * 4_096) as isize,
        "{per_bound} bytes for {MAX} entries"
    );
    drop(cache);
}
