//! Agent identity benchmarks, each beside its baseline in the same run:
//!
//! - `sign/idpkit`: `RequestSigner::sign` on a POST with a 1 KiB JSON body (Content-Digest
//!   sha-256 of the body, the signature base, Ed25519, the three header values), against
//!   `sign/raw`: aws-lc-rs `Ed25519KeyPair::sign` of the same base alone.
//! - `verify/idpkit`: `SignatureVerifier::verify` of that request (parse both fields, rebuild
//!   the base, Ed25519 verify, window, digest of the body; the replay store is a no-op here
//!   so every iteration can reuse one request), against `verify/raw`: aws-lc-rs
//!   `ParsedPublicKey::verify_sig` of the same base and signature.
//! - `permission/compiled`: `PermissionSet::is_allowed` with 100 patterns (90 allow, 10 deny),
//!   against `permission/per-check`: Authora's way, every pattern matched (compiled) anew on
//!   each check. Each iteration checks 4 permissions (2 hits, 2 misses): time per check = / 4.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, SystemTime};

use aws_lc_rs::signature::{ED25519, Ed25519KeyPair, ParsedPublicKey};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use idpkit::agent::permission::{PermissionSet, matches};
use idpkit::agent::{AgentKey, ReplayStore, RequestSigner, SignatureParams, SignatureVerifier};

const SEED: [u8; 32] = [7; 32];

fn request() -> http::Request<Vec<u8>> {
    let mut body = br#"{"resource":"files:reports/q1.pdf","action":"read","pad":""#.to_vec();
    body.resize(1022, b'x');
    body.extend_from_slice(b"\"}");
    assert_eq!(body.len(), 1024);
    http::Request::post("https://api.example.com/v1/permissions/check?dry_run=true")
        .header("content-type", "application/json")
        .body(body)
        .unwrap()
}

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600)
}

/// A replay store that remembers nothing, so one request can be verified many times.
struct NoReplay;

impl ReplayStore for NoReplay {
    fn insert_if_absent(
        &self,
        _: &str,
        _: &str,
        _: Duration,
        _: SystemTime,
    ) -> idpkit::Result<bool> {
        Ok(true)
    }
}

fn signing(c: &mut Criterion) {
    let signer = RequestSigner::new(AgentKey::from_seed(&SEED).unwrap());
    let raw = Ed25519KeyPair::from_seed_unchecked(&SEED).unwrap();
    let mut signed = request();
    signer
        .sign(&mut signed, now(), "nonce-0123456789abcdef")
        .unwrap();
    let base = signer
        .params(&signed, now(), "nonce-0123456789abcdef")
        .signature_base(&signed)
        .unwrap();

    let mut g = c.benchmark_group("sign");
    g.bench_function("idpkit", |b| {
        b.iter_batched_ref(
            request,
            |r| {
                signer
                    .sign(r, now(), black_box("nonce-0123456789abcdef"))
                    .unwrap()
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("raw", |b| b.iter(|| raw.sign(black_box(base.as_bytes()))));
    g.finish();
}

fn verifying(c: &mut Criterion) {
    let key = AgentKey::from_seed(&SEED).unwrap();
    let keys = HashMap::from([(key.key_id().to_owned(), key.public_key().clone())]);
    let verifier = SignatureVerifier::new(keys).replay_store(NoReplay);
    let raw = ParsedPublicKey::new(&ED25519, key.public_key().as_bytes()).unwrap();
    let signer = RequestSigner::new(key);
    let mut signed = request();
    signer
        .sign(&mut signed, now(), "nonce-0123456789abcdef")
        .unwrap();
    let params: SignatureParams = signer.params(&signed, now(), "nonce-0123456789abcdef");
    let base = params.signature_base(&signed).unwrap();
    let sig = raw_signature(&signed);
    assert!(verifier.verify(&signed, now()).is_ok());
    assert!(raw.verify_sig(base.as_bytes(), &sig).is_ok());

    let mut g = c.benchmark_group("verify");
    g.bench_function("idpkit", |b| {
        b.iter(|| verifier.verify(black_box(&signed), now()).unwrap())
    });
    g.bench_function("raw", |b| {
        b.iter(|| {
            raw.verify_sig(black_box(base.as_bytes()), black_box(&sig))
                .unwrap()
        })
    });
    g.finish();
}

fn raw_signature(request: &http::Request<Vec<u8>>) -> Vec<u8> {
    use base64::Engine;
    let value = request.headers()["signature"].to_str().unwrap();
    let b64 = value.trim_start_matches("sig1=:").trim_end_matches(':');
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap()
}

fn permissions(c: &mut Criterion) {
    let allow: Vec<String> = (0..90)
        .map(|i| match i % 6 {
            0 => format!("res{i}:read"),
            1 => format!("res{i}:*"),
            2 => format!("mcp:server{i}:tool.*"),
            3 => format!("files{i}:reports/[a-q]*"),
            4 => format!("*:act{i}"),
            _ => format!("svc{i}:?x*:[!z]*"),
        })
        .collect();
    let deny: Vec<String> = (0..10).map(|i| format!("res{}:secret*", i * 6)).collect();
    let set = PermissionSet::new(&allow, &deny);
    let probes = [
        ("mcp:server86:tool.query", true),
        ("files87:reports/b.pdf", true),
        ("res84:secret-plans", false),
        ("nothing:here", false),
    ];
    for (p, expected) in probes {
        assert_eq!(set.is_allowed(p), expected, "{p}");
    }
    let mut g = c.benchmark_group("permission");
    g.throughput(Throughput::Elements(probes.len() as u64));
    g.bench_function("compiled", |b| {
        b.iter(|| {
            for (p, _) in probes {
                black_box(set.is_allowed(black_box(p)));
            }
        })
    });
    g.bench_function("per-check", |b| {
        b.iter(|| {
            for (p, _) in probes {
                let p = black_box(p);
                black_box(
                    !deny.iter().any(|d| matches(d, p)) && allow.iter().any(|a| matches(a, p)),
                );
            }
        })
    });
    g.finish();
}

criterion_group!(benches, signing, verifying, permissions);
criterion_main!(benches);
