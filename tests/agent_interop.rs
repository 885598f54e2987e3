//! RFC 9421 interop with an independent implementation, the PyPI package
//! `http-message-signatures` 3.0.0 (tests/interop/http_sig.py, run in target/py-venv):
//! (a) requests idpkit signs verify there, (b) requests it signs verify here, and (c) tampered
//! method, path, query, body or authority, expired and replayed requests are rejected on both
//! sides. Both sides use the wall clock (the package has no injectable clock).

use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use idpkit::ErrorKind;
use idpkit::agent::{AgentKey, RequestSigner, SignatureError, SignatureVerifier, random_nonce};
use serde_json::{Value, json};

type Request = http::Request<Vec<u8>>;

fn python(command: &Value) -> Value {
    let dir = env!("CARGO_MANIFEST_DIR");
    let mut child = Command::new(format!("{dir}/target/py-venv/bin/python"))
        .arg(format!("{dir}/tests/interop/http_sig.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("target/py-venv missing: run scripts/setup-python.sh");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(command.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "http_sig.py failed");
    serde_json::from_slice(&out.stdout).unwrap()
}

fn to_json(request: &Request) -> Value {
    let headers: Vec<Value> = request
        .headers()
        .iter()
        .map(|(k, v)| json!([k.as_str(), v.to_str().unwrap()]))
        .collect();
    json!({
        "method": request.method().as_str(),
        "url": request.uri().to_string(),
        "headers": headers,
        "body": STANDARD.encode(request.body()),
    })
}

/// N requests: GETs with a query (one with an encoded `/`, one with none) and JSON POSTs.
fn originals(n: usize) -> Vec<Request> {
    (0..n)
        .map(|i| {
            if i % 2 == 0 {
                let query = match i % 6 {
                    0 => format!("?page={i}&sort=name"),
                    2 => format!("?path=a%2Fb&i={i}"),
                    _ => String::new(),
                };
                http::Request::get(format!("https://api.example.com/v1/items/{i}{query}"))
                    .body(Vec::new())
                    .unwrap()
            } else {
                http::Request::post(format!("http://127.0.0.1:8080/v1/check?dry_run={i}"))
                    .header("content-type", "application/json")
                    .body(format!(r#"{{"resource":"files:{i}","action":"read"}}"#).into_bytes())
                    .unwrap()
            }
        })
        .collect()
}

/// A named change to a signed request, with the error idpkit's verifier must give.
type Tampering = (&'static str, fn(&mut Request), SignatureError);

/// Each tampering.
fn tamperings() -> Vec<Tampering> {
    vec![
        (
            "method",
            |r| *r.method_mut() = http::Method::DELETE,
            SignatureError::BadSignature,
        ),
        (
            "path",
            |r| {
                let uri = r.uri().to_string().replacen("/v1/", "/v2/", 1);
                *r.uri_mut() = uri.parse().unwrap();
            },
            SignatureError::BadSignature,
        ),
        (
            "query",
            |r| {
                let uri = format!("{}&admin=1", r.uri());
                *r.uri_mut() = uri.parse().unwrap();
            },
            SignatureError::BadSignature,
        ),
        (
            "authority",
            |r| {
                let uri = r
                    .uri()
                    .to_string()
                    .replacen("api.example.com", "evil.example.com", 1)
                    .replacen("127.0.0.1:8080", "127.0.0.1:8081", 1);
                *r.uri_mut() = uri.parse().unwrap();
            },
            SignatureError::BadSignature,
        ),
    ]
}

fn signature_error(result: idpkit::Result<impl std::fmt::Debug>) -> SignatureError {
    match result.unwrap_err().into_kind() {
        ErrorKind::Signature(e) => e,
        other => panic!("not a signature error: {other:?}"),
    }
}

const TAG: &str = "idpkit-agent";

#[test]
fn idpkit_signs_the_package_verifies() {
    let key = AgentKey::generate().unwrap();
    let seed = key.export_authora_seed().to_string();
    let key_id = key.key_id().to_owned();
    let signer = RequestSigner::new(key);
    let now = SystemTime::now();

    let mut sent: Vec<(String, Request, bool)> = Vec::new();
    for (i, mut request) in originals(20).into_iter().enumerate() {
        signer
            .sign(&mut request, now, &random_nonce().unwrap())
            .unwrap();
        sent.push((format!("original {i}"), request.clone(), true));
        // The same request again: a replay.
        sent.push((format!("replay {i}"), request.clone(), false));
        for (what, tamper, _) in tamperings() {
            let mut t = request.clone();
            tamper(&mut t);
            sent.push((format!("{what} {i}"), t, false));
        }
        if !request.body().is_empty() {
            let mut t = request.clone();
            t.body_mut().extend_from_slice(b" ");
            sent.push((format!("body {i}"), t, false));
        }
        // Signed (validly) ten minutes ago with the default 300 s lifetime: expired.
        let mut old = request.clone();
        signer
            .sign(
                &mut old,
                now - Duration::from_secs(600),
                &random_nonce().unwrap(),
            )
            .unwrap();
        sent.push((format!("expired {i}"), old, false));
    }

    let answers = python(&json!({
        "op": "verify", "seed": seed, "keyid": key_id, "tag": TAG,
        "requests": sent.iter().map(|(_, r, _)| to_json(r)).collect::<Vec<_>>(),
    }));
    let answers = answers.as_array().unwrap();
    assert_eq!(answers.len(), sent.len());
    let mut accepted = 0;
    for ((what, _, expected), answer) in sent.iter().zip(answers) {
        assert_eq!(
            answer["ok"].as_bool().unwrap(),
            *expected,
            "{what}: {answer}"
        );
        accepted += usize::from(*expected);
    }
    assert_eq!(accepted, 20);
}

#[test]
fn the_package_signs_idpkit_verifies() {
    let key = AgentKey::generate().unwrap();
    let keys = HashMap::from([(key.key_id().to_owned(), key.public_key().clone())]);
    let verifier = SignatureVerifier::new(keys).tag(TAG);
    let now_s = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();

    let requests = originals(20);
    let mut specs: Vec<Value> = requests
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut spec = to_json(r);
            spec["nonce"] = json!(format!("py-{i}"));
            spec
        })
        .collect();
    // One more, signed long ago: expired.
    let mut expired = to_json(&requests[0]);
    expired["nonce"] = json!("py-old");
    expired["created"] = json!(now_s - 1000);
    expired["expires"] = json!(now_s - 700);
    specs.push(expired);

    let answers = python(&json!({
        "op": "sign", "seed": key.export_authora_seed().as_str(), "keyid": key.key_id(), "tag": TAG,
        "requests": specs,
    }));
    let signed: Vec<Request> = requests
        .iter()
        .chain(std::iter::once(&requests[0]))
        .zip(answers.as_array().unwrap())
        .map(|(original, answer)| {
            let mut r = original.clone();
            for pair in answer["headers"].as_array().unwrap() {
                let (name, value) = (pair[0].as_str().unwrap(), pair[1].as_str().unwrap());
                r.headers_mut().insert(
                    http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                    value.parse().unwrap(),
                );
            }
            r
        })
        .collect();

    let now = SystemTime::now();
    let (fresh, old) = signed.split_at(20);
    for (i, request) in fresh.iter().enumerate() {
        assert!(request.headers().contains_key("signature-input"));
        for (what, tamper, expected) in tamperings() {
            let mut t = request.clone();
            tamper(&mut t);
            assert_eq!(
                signature_error(verifier.verify(&t, now)),
                expected,
                "{what} {i}"
            );
        }
        if !request.body().is_empty() {
            let mut t = request.clone();
            t.body_mut().extend_from_slice(b" ");
            assert_eq!(
                signature_error(verifier.verify(&t, now)),
                SignatureError::DigestMismatch,
                "body {i}"
            );
        }
        let verified = verifier.verify(request, now).unwrap();
        assert_eq!(verified.nonce.as_deref(), Some(format!("py-{i}").as_str()));
        assert_eq!(
            signature_error(verifier.verify(request, now)),
            SignatureError::Replayed,
            "replay {i}"
        );
    }
    assert_eq!(
        signature_error(verifier.verify(&old[0], now)),
        SignatureError::Expired
    );
}
