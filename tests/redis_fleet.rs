//! The fleet proof (feature `redis`): separate OS processes, each one replica with its own
//! process-local token cache, sharing one `redis-server` on loopback and one counting token
//! endpoint. Blocking and async replicas are mixed. Each replica is this test binary itself,
//! re-executed with `IDPKIT_FLEET_REPLICA` set: it reads commands on stdin (`round <clock
//! offset in s> <callers>`) and answers one line per round on stdout.
//!
//! Proven: 8 processes × 100 concurrent callers on a cold cache make exactly 1 token request,
//! and a token near expiry exactly 1 refresh for the fleet; a lock holder killed mid-fetch is
//! taken over after the lock TTL (one request per attempt); Redis stopped mid-run gives the
//! local fallback within the deadline, and once restarted the fleet shares again.
//!
//! A plain `main` (no libtest harness: a replica must not run the tests); it prints libtest's
//! summary line so the test command counts its tests.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

#[path = "support/redis.rs"]
mod redis_server;
#[path = "support/token_server.rs"]
mod token_server;

use idpkit::Clock;
use idpkit::oidc::ClientCredentialsRequest;
use idpkit::service_token::{CachedToken, TokenCache};
use idpkit::store::{FailurePolicy, RedisStore, TokenEncryptionKey};
use redis_server::RedisServer;
use token_server::TokenServer;

const ROLE: &str = "IDPKIT_FLEET_REPLICA";
const SCOPES: [&str; 1] = ["projects:read"];
/// The token lifetime the endpoint grants; replicas refresh 60 s before it ends.
const LIFETIME: u64 = 3600;

fn main() {
    if let Ok(role) = std::env::var(ROLE) {
        replica(&role);
        return;
    }
    let tests: [(&str, fn()); 4] = [
        (
            "eight_processes_make_one_token_request_then_one_refresh",
            one_request_then_one_refresh,
        ),
        (
            "a_killed_lock_holder_is_taken_over_after_the_lock_ttl",
            killed_holder_is_taken_over,
        ),
        (
            "redis_stopped_mid_run_falls_back_then_shares_again",
            redis_stopped_mid_run,
        ),
        (
            "a_signed_request_replayed_to_another_verifier_is_rejected",
            replay_to_another_verifier,
        ),
    ];
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let (mut passed, mut failed) = (0, 0);
    for (name, test) in tests {
        if filter.as_deref().is_some_and(|f| !name.contains(f)) {
            continue;
        }
        let started = Instant::now();
        match std::panic::catch_unwind(test) {
            Ok(()) => {
                passed += 1;
                println!("test {name} ... ok ({:.1?})", started.elapsed());
            }
            Err(_) => {
                failed += 1;
                println!("test {name} ... FAILED");
            }
        }
    }
    let result = if failed == 0 { "ok" } else { "FAILED" };
    println!(
        "\ntest result: {result}. {passed} passed; {failed} failed; 0 ignored; 0 measured; 0 filtered out\n"
    );
    if failed > 0 {
        std::process::exit(101);
    }
}

// ---- the parent side ----

/// What a replica process is told.
struct Settings<'a> {
    redis: &'a str,
    namespace: &'a str,
    token_server: &'a TokenServer,
    lock_ttl: Duration,
    policy: &'a str,
}

/// A running replica process.
struct Replica {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

/// One round's outcome in one replica.
#[derive(Debug)]
struct Round {
    elapsed: Duration,
    ok: usize,
    errors: usize,
    tokens: Vec<String>,
}

impl Replica {
    fn start(mode: &str, s: &Settings<'_>) -> Replica {
        let mut child = Command::new(std::env::current_exe().expect("test binary"))
            .env(ROLE, mode)
            .env("FLEET_REDIS", s.redis)
            .env("FLEET_NAMESPACE", s.namespace)
            .env("FLEET_ISSUER", s.token_server.issuer())
            .env("FLEET_LOCK_TTL_MS", s.lock_ttl.as_millis().to_string())
            .env("FLEET_POLICY", s.policy)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start a replica process");
        let stdin = child.stdin.take().expect("stdin");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("replica ready");
        assert_eq!(line.trim(), "READY", "replica {mode}");
        Replica {
            child,
            stdin,
            stdout,
        }
    }

    /// Tells the replica to run a round (without waiting for it).
    fn send(&mut self, offset_s: u64, callers: usize) {
        writeln!(self.stdin, "round {offset_s} {callers}").expect("command a replica");
        self.stdin.flush().expect("flush");
    }

    /// The round's outcome.
    fn outcome(&mut self) -> Round {
        let mut line = String::new();
        self.stdout
            .read_line(&mut line)
            .expect("a replica's answer");
        let mut parts = line.split_whitespace();
        assert_eq!(parts.next(), Some("DONE"), "replica answered {line:?}");
        let mut next = || parts.next().unwrap_or_default().to_owned();
        let elapsed = Duration::from_millis(next().parse().expect("ms"));
        let ok = next().parse().expect("ok");
        let errors = next().parse().expect("errors");
        let tokens = next()
            .split(',')
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect();
        Round {
            elapsed,
            ok,
            errors,
            tokens,
        }
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// 8 replicas, blocking and async alternating.
fn fleet(s: &Settings<'_>) -> Vec<Replica> {
    (0..8)
        .map(|i| Replica::start(if i % 2 == 0 { "blocking" } else { "async" }, s))
        .collect()
}

/// Every replica runs a round of `callers` at once; their outcomes.
fn round(replicas: &mut [Replica], offset_s: u64, callers: usize) -> Vec<Round> {
    for r in replicas.iter_mut() {
        r.send(offset_s, callers);
    }
    replicas.iter_mut().map(Replica::outcome).collect()
}

fn assert_all_got(rounds: &[Round], callers: usize, token: &str) {
    for (i, r) in rounds.iter().enumerate() {
        assert_eq!((r.ok, r.errors), (callers, 0), "replica {i}: {r:?}");
        assert_eq!(r.tokens, [token], "replica {i}: {r:?}");
    }
}

fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

fn one_request_then_one_refresh() {
    let redis = redis_server::shared();
    let server = TokenServer::start();
    server.set_expires_in(LIFETIME);
    let (url, namespace) = (redis.url(), unique("fleet"));
    let settings = Settings {
        redis: &url,
        namespace: &namespace,
        token_server: &server,
        lock_ttl: Duration::from_secs(10),
        policy: "fail",
    };
    let mut replicas = fleet(&settings);
    let cold = round(&mut replicas, 0, 100);
    assert_all_got(&cold, 100, "at-1");
    assert_eq!(server.requests(), 1, "8 processes × 100 callers, cold");

    // Within the refresh lead time (60 s before expiry) for everyone: one refresh in all.
    let near_expiry = round(&mut replicas, LIFETIME - 59, 100);
    assert_all_got(&near_expiry, 100, "at-2");
    assert_eq!(server.requests(), 2, "one refresh for the fleet");
    // Afterwards, each replica's local copy: no request, no wait.
    let warm = round(&mut replicas, LIFETIME - 58, 100);
    assert_all_got(&warm, 100, "at-2");
    assert_eq!(server.requests(), 2);
}

fn killed_holder_is_taken_over() {
    let redis = redis_server::shared();
    let server = TokenServer::start();
    server.set_first_delay(Duration::from_secs(30));
    server.set_delay(Duration::from_millis(20));
    let (url, namespace) = (redis.url(), unique("takeover"));
    let lock_ttl = Duration::from_secs(1);
    let settings = Settings {
        redis: &url,
        namespace: &namespace,
        token_server: &server,
        lock_ttl,
        policy: "fail",
    };
    let mut replicas = fleet(&settings);
    // The first replica takes the lock and starts fetching (its request hangs 30 s)...
    replicas[0].send(0, 100);
    server.wait_for_requests(1);
    let locks = redis.keys(&format!("idpkit:{namespace}:lock:*"));
    assert_eq!(locks.len(), 1, "the holder's lock: {locks:?}");
    // ...the others start waiting, and the holder dies mid-fetch.
    let started = Instant::now();
    for r in &mut replicas[1..] {
        r.send(0, 100);
    }
    let mut holder = replicas.remove(0);
    holder.child.kill().expect("kill the lock holder");
    let _ = holder.child.wait();
    let rounds: Vec<Round> = replicas.iter_mut().map(Replica::outcome).collect();
    assert_all_got(&rounds, 100, "at-2");
    assert_eq!(server.requests(), 2, "one request per attempt");
    // Taken over only once the lock had expired.
    let slowest = rounds.iter().map(|r| r.elapsed).max().unwrap_or_default();
    assert!(started.elapsed() >= lock_ttl / 2, "{:?}", started.elapsed());
    assert!(slowest < Duration::from_secs(5), "{slowest:?}");
}

fn redis_stopped_mid_run() {
    let mut redis = RedisServer::start().expect("start redis-server");
    let server = TokenServer::start();
    server.set_delay(Duration::from_millis(20));
    let (url, namespace) = (redis.url(), unique("down"));
    let settings = Settings {
        redis: &url,
        namespace: &namespace,
        token_server: &server,
        lock_ttl: Duration::from_secs(10),
        policy: "local",
    };
    let mut replicas = fleet(&settings);
    assert_all_got(&round(&mut replicas, 0, 100), 100, "at-1");
    assert_eq!(server.requests(), 1);

    // Redis stops; every replica's token is due: each fetches locally, once (its own
    // single-flight), within the deadline (the store's 300 ms limit, not a hang).
    redis.stop();
    let down = round(&mut replicas, LIFETIME - 59, 100);
    for (i, r) in down.iter().enumerate() {
        assert_eq!((r.ok, r.errors), (100, 0), "replica {i}: {r:?}");
        assert_eq!(r.tokens.len(), 1, "replica {i}: {r:?}");
        assert!(r.elapsed < Duration::from_secs(3), "replica {i}: {r:?}");
    }
    assert_eq!(server.requests(), 1 + 8, "one local fetch per replica");

    // Restarted: after the replicas' first look (which may find a connection to re-open),
    // the fleet shares again: the next due token is one request for everyone.
    redis.restart().expect("restart redis-server");
    let before = server.requests();
    round(&mut replicas, 2 * LIFETIME, 100);
    assert!(server.requests() - before <= 8);
    let before = server.requests();
    let shared = round(&mut replicas, 4 * LIFETIME, 100);
    let token = shared[0].tokens.first().cloned().unwrap_or_default();
    assert_all_got(&shared, 100, &token);
    assert_eq!(server.requests() - before, 1, "shared again");
}

fn replay_to_another_verifier() {
    use idpkit::ErrorKind;
    use idpkit::agent::{AgentKey, RequestSigner, SignatureError, SignatureVerifier};
    let mut redis = RedisServer::start().expect("start redis-server");
    let agent = AgentKey::generate().expect("key");
    let keys =
        std::collections::HashMap::from([(agent.key_id().to_owned(), agent.public_key().clone())]);
    let namespace = unique("replay");
    // Two verifiers (two replicas), each with its own connections to the fleet's Redis.
    let verifier = || {
        let key = TokenEncryptionKey::from_bytes(&[0x42; 32]).expect("key");
        let store = RedisStore::builder(redis.url(), namespace.as_str(), key)
            .timeout(Duration::from_millis(300))
            .build()
            .expect("store");
        SignatureVerifier::new(keys.clone()).replay_store(store)
    };
    let (a, b) = (verifier(), verifier());
    let signer = RequestSigner::new(agent);
    let signed = |nonce: &str| {
        let mut request = http::Request::post("https://api.example/tasks")
            .body(b"{\"task\":1}".to_vec())
            .expect("request");
        signer
            .sign(&mut request, SystemTime::now(), nonce)
            .expect("sign");
        request
    };
    let reason = |e: idpkit::Error| match e.kind() {
        ErrorKind::Signature(s) => s.clone(),
        other => panic!("{other:?}"),
    };
    let first = signed("nonce-1");
    assert!(a.verify(&first, SystemTime::now()).is_ok());
    // Replayed to the other replica, or to the same one: rejected.
    let replayed = b.verify(&first, SystemTime::now()).expect_err("replay");
    assert_eq!(reason(replayed), SignatureError::Replayed);
    assert_eq!(
        reason(a.verify(&first, SystemTime::now()).unwrap_err()),
        SignatureError::Replayed
    );
    // A new nonce passes anywhere, once; the record lives as long as the signature may.
    let second = signed("nonce-2");
    assert!(b.verify(&second, SystemTime::now()).is_ok());
    assert_eq!(
        reason(a.verify(&second, SystemTime::now()).unwrap_err()),
        SignatureError::Replayed
    );
    let records = redis.keys(&format!("idpkit:{namespace}:replay:*"));
    assert_eq!(records.len(), 2, "{records:?}");
    let ttl =
        String::from_utf8_lossy(&redis.command(&[b"PTTL", records[0].as_bytes()])).into_owned();
    let ttl: u64 = ttl.trim().trim_start_matches(':').parse().expect("PTTL");
    assert!(ttl > 0 && ttl <= 361_000, "{ttl}");

    // Redis down: fail closed, within the time limit.
    redis.stop();
    let started = Instant::now();
    let third = signed("nonce-3");
    assert_eq!(
        reason(a.verify(&third, SystemTime::now()).unwrap_err()),
        SignatureError::ReplayStoreUnavailable
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

// ---- the replica side ----

fn replica(mode: &str) {
    let env = |name: &str| std::env::var(name).unwrap_or_default();
    let policy = match env("FLEET_POLICY").as_str() {
        "fail" => FailurePolicy::Fail,
        _ => FailurePolicy::FetchLocally,
    };
    let lock_ttl = Duration::from_millis(env("FLEET_LOCK_TTL_MS").parse().unwrap_or(10_000));
    let key = TokenEncryptionKey::from_bytes(&[0x42; 32]).expect("key");
    let store = RedisStore::builder(env("FLEET_REDIS"), env("FLEET_NAMESPACE"), key)
        .timeout(Duration::from_millis(300))
        .lock_ttl(lock_ttl)
        .max_wait(lock_ttl + Duration::from_secs(5))
        .on_failure(policy)
        .build()
        .expect("store");
    let cache = TokenCache::builder().shared_store(store).build();
    let offset = Arc::new(AtomicU64::new(0));
    let clock = {
        let offset = Arc::clone(&offset);
        Clock::new(move || SystemTime::now() + Duration::from_secs(offset.load(Ordering::SeqCst)))
    };
    let issuer = env("FLEET_ISSUER");
    let metadata: idpkit::oidc::ProviderMetadata = serde_json::from_value(serde_json::json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/auth"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "id_token_signing_alg_values_supported": ["RS256"],
    }))
    .expect("metadata");
    let request = Arc::new(ClientCredentialsRequest::new(SCOPES));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let blocking = idpkit::blocking::IdpClient::builder(&issuer, "svc")
        .client_secret("svc-secret")
        .clock(clock.clone())
        .build_with_metadata(metadata.clone())
        .expect("blocking client");
    let nonblocking = idpkit::asynch::IdpClient::builder(&issuer, "svc")
        .client_secret("svc-secret")
        .clock(clock)
        .build_with_metadata(metadata)
        .expect("async client");

    println!("READY");
    let _ = std::io::stdout().flush();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let words: Vec<&str> = line.split_whitespace().collect();
        let ["round", offset_s, callers] = words[..] else {
            break;
        };
        offset.store(offset_s.parse().expect("offset"), Ordering::SeqCst);
        let callers: usize = callers.parse().expect("callers");
        let started = Instant::now();
        let results: Vec<idpkit::Result<CachedToken>> = if mode == "blocking" {
            std::thread::scope(|s| {
                let handles: Vec<_> = (0..callers)
                    .map(|_| s.spawn(|| blocking.cached_client_credentials(&cache, &request)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("caller"))
                    .collect()
            })
        } else {
            runtime.block_on(async {
                let tasks: Vec<_> = (0..callers)
                    .map(|_| {
                        let (client, cache, request) =
                            (nonblocking.clone(), cache.clone(), Arc::clone(&request));
                        tokio::spawn(async move {
                            client.cached_client_credentials(&cache, &request).await
                        })
                    })
                    .collect();
                let mut out = Vec::with_capacity(tasks.len());
                for t in tasks {
                    out.push(t.await.expect("caller"));
                }
                out
            })
        };
        let elapsed = started.elapsed().as_millis();
        let ok = results.iter().filter(|r| r.is_ok()).count();
        let mut tokens: Vec<String> = results
            .iter()
            .flatten()
            .map(|t| t.access_token().expose_secret().to_owned())
            .collect();
        tokens.sort();
        tokens.dedup();
        for e in results.iter().filter_map(|r| r.as_ref().err()).take(1) {
            eprintln!("replica {mode}: {e:?}");
        }
        println!("DONE {elapsed} {ok} {} {}", callers - ok, tokens.join(","));
        let _ = std::io::stdout().flush();
    }
}
