//! Many callers at once: `n` threads or `n` tasks released together by a barrier, their
//! results collected in order. The mode-specific half of the concurrency tests (single-flight
//! refresh, the token cache); what each caller does is the test's own.

#![allow(dead_code)]

use std::future::Future;
use std::sync::{Arc, Barrier};

/// Runs `call` on `n` threads (256 KiB stacks, so a thousand are cheap), all released at once.
pub fn on_threads<T: Send>(n: usize, call: impl Fn() -> T + Sync) -> Vec<T> {
    let barrier = Barrier::new(n);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|_| {
                std::thread::Builder::new()
                    .stack_size(256 * 1024)
                    .spawn_scoped(s, || {
                        barrier.wait();
                        call()
                    })
                    .expect("spawn")
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    })
}

/// Runs the futures `call` makes as `n` tasks on the current (multi-threaded) runtime, all
/// released at once.
pub async fn on_tasks<T, F>(n: usize, call: impl Fn() -> F) -> Vec<T>
where
    T: Send + 'static,
    F: Future<Output = T> + Send + 'static,
{
    let barrier = Arc::new(tokio::sync::Barrier::new(n));
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let barrier = Arc::clone(&barrier);
            let future = call();
            tokio::spawn(async move {
                barrier.wait().await;
                future.await
            })
        })
        .collect();
    let mut results = Vec::with_capacity(n);
    for h in handles {
        results.push(h.await.expect("task"));
    }
    results
}
