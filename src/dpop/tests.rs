//! Unit tests of DPoP keys, proofs and proof checks.

use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::*;
use crate::AccessToken;
use crate::error::ErrorKind;

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn dpop_err(e: crate::Error) -> DpopError {
    match e.kind() {
        ErrorKind::Dpop(d) => d.clone(),
        other => panic!("not a DPoP error: {other:?}"),
    }
}

fn parts(proof: &str) -> (serde_json::Value, serde_json::Value) {
    let mut it = proof.split('.');
    let mut json =
        || serde_json::from_slice(&URL_SAFE_NO_PAD.decode(it.next().unwrap()).unwrap()).unwrap();
    (json(), json())
}

/// A proof re-signed by `key` with the header and claims edited by `edit`.
fn forged(key: &DpopKey, edit: impl Fn(&mut serde_json::Value, &mut serde_json::Value)) -> String {
    let proof = DpopProof::new("GET", "https://api.example.com/r")
        .access_token(&AccessToken::new("at"))
        .sign(key, t0())
        .unwrap();
    let (mut header, mut claims) = parts(&proof);
    edit(&mut header, &mut claims);
    let mut jws = URL_SAFE_NO_PAD.encode(header.to_string());
    jws.push('.');
    jws.push_str(&URL_SAFE_NO_PAD.encode(claims.to_string()));
    let sig = key.sign(jws.as_bytes()).unwrap();
    jws.push('.');
    jws.push_str(&URL_SAFE_NO_PAD.encode(sig));
    jws
}

#[test]
fn proof_shape() {
    for key in [
        DpopKey::generate_es256().unwrap(),
        DpopKey::generate_ed25519().unwrap(),
    ] {
        let at = AccessToken::new("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU");
        let proof = DpopProof::new("GET", "HTTPS://Api.Example.com:443/v1/me?x=1#frag")
            .access_token(&at)
            .nonce("n-1")
            .sign(&key, t0())
            .unwrap();
        let (header, claims) = parts(&proof);
        assert_eq!(header["typ"], "dpop+jwt");
        assert_eq!(header["alg"], key.algorithm());
        assert!(header["jwk"].get("d").is_none());
        assert_eq!(claims["htm"], "GET");
        assert_eq!(claims["htu"], "https://api.example.com/v1/me");
        assert_eq!(claims["iat"], 1_700_000_000u64);
        assert_eq!(claims["nonce"], "n-1");
        assert_eq!(claims["ath"], "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo");
        assert_eq!(claims["jti"].as_str().unwrap().len(), 22);
        let again = DpopProof::new("GET", "https://api.example.com/v1/me")
            .sign(&key, t0())
            .unwrap();
        assert_ne!(parts(&again).1["jti"], claims["jti"], "jti must be unique");
        assert!(parts(&again).1.get("ath").is_none());
        assert!(parts(&again).1.get("nonce").is_none());
        let v = DpopChecks::new()
            .verify(
                &proof,
                "GET",
                "https://api.example.com/v1/me",
                Some(at.expose_secret()),
                t0(),
            )
            .unwrap();
        assert_eq!(v.jkt, key.thumbprint());
        assert_eq!(v.nonce.as_deref(), Some("n-1"));
    }
}

#[test]
fn rfc7638_thumbprint_of_an_ec_key() {
    // RFC 7638 has an RSA example only; this P-256 key's thumbprint is the one `jose`
    // (node-oidc-provider's library) computes.
    let pem = "-----BEGIN PRIVATE KEY-----\n\
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgaIUakkTS7OZUnxDP\n\
        ITIaY2cZ+MuLxDwhW7sLIlmR49yhRANCAASj7jtcM/A+tXR5h1KHhsL6By0f2Icy\n\
        m7NCq4h2ncxoAuCs4jVBi2WnRafEejjyXoq2iGC+MnllMSy8WEUsMtEY\n\
        -----END PRIVATE KEY-----\n";
    let key = DpopKey::from_pkcs8_pem(pem).unwrap();
    assert_eq!(key.algorithm(), "ES256");
    assert_eq!(
        key.public_jwk(),
        r#"{"crv":"P-256","kty":"EC","x":"o-47XDPwPrV0eYdSh4bC-gctH9iHMpuzQquIdp3MaAI","y":"4KziNUGLZadFp8R6OPJeiraIYL4yeWUxLLxYRSwy0Rg"}"#
    );
    assert_eq!(
        key.thumbprint(),
        "fq8oczUZyYJRe5nWnU3yV2p9wgGLA6fFn52fBGIc1g4"
    );
    let copy = DpopKey::from_pkcs8_der(&key.export_pkcs8_der()).unwrap();
    assert_eq!(copy, key);
    assert!(!format!("{key:?}").contains("aIUakk"));
}

#[test]
fn verification_failures_are_typed() {
    let key = DpopKey::generate_es256().unwrap();
    let other = DpopKey::generate_ed25519().unwrap();
    let checks = DpopChecks::new();
    let url = "https://api.example.com/r";
    let verify = |proof: &str| {
        checks
            .verify(proof, "GET", url, Some("at"), t0())
            .map_err(dpop_err)
    };
    let good = forged(&key, |_, _| {});
    // Signed by another key than the one in the header.
    let mut swapped = good.rsplit_once('.').unwrap().0.to_owned();
    swapped.push('.');
    swapped.push_str(&URL_SAFE_NO_PAD.encode(other.sign(b"x").unwrap()));
    assert_eq!(verify(&swapped), Err(DpopError::BadSignature));
    type Expect = fn(&DpopError) -> bool;
    let cases: Vec<(String, Expect)> = vec![
        (forged(&key, |h, _| h["typ"] = "JWT".into()), |e| {
            matches!(e, DpopError::MalformedProof(_))
        }),
        (forged(&key, |h, _| h["jwk"]["d"] = "AAAA".into()), |e| {
            matches!(e, DpopError::MalformedProof(_))
        }),
        (forged(&key, |h, _| h["alg"] = "RS256".into()), |e| {
            matches!(e, DpopError::UnsupportedAlgorithm(_))
        }),
        (forged(&key, |h, _| h["alg"] = "none".into()), |e| {
            matches!(e, DpopError::UnsupportedAlgorithm(_))
        }),
        (forged(&key, |h, _| h["alg"] = "EdDSA".into()), |e| {
            matches!(e, DpopError::UnsupportedAlgorithm(_))
        }),
        (forged(&key, |_, c| c["htm"] = "POST".into()), |e| {
            *e == DpopError::MethodMismatch
        }),
        (
            forged(&key, |_, c| c["htu"] = "https://evil.example.com/r".into()),
            |e| *e == DpopError::UrlMismatch,
        ),
        (
            forged(&key, |_, c| c["htu"] = "http://api.example.com/r".into()),
            |e| *e == DpopError::UrlMismatch,
        ),
        (
            forged(&key, |_, c| c["iat"] = 1_699_999_000u64.into()),
            |e| *e == DpopError::OutsideWindow,
        ),
        (
            forged(&key, |_, c| c["iat"] = 1_700_000_100u64.into()),
            |e| *e == DpopError::OutsideWindow,
        ),
        (forged(&key, |_, c| c["iat"] = (-5).into()), |e| {
            matches!(e, DpopError::MalformedProof(_))
        }),
        (forged(&key, |_, c| c["iat"] = "now".into()), |e| {
            matches!(e, DpopError::MalformedProof(_))
        }),
        (forged(&key, |_, c| c["ath"] = "wrong".into()), |e| {
            *e == DpopError::AccessTokenHashMismatch
        }),
        (
            forged(&key, |_, c| {
                c.as_object_mut().unwrap().remove("ath");
            }),
            |e| *e == DpopError::AccessTokenHashMismatch,
        ),
        (
            forged(&key, |_, c| {
                c.as_object_mut().unwrap().remove("jti");
            }),
            |e| matches!(e, DpopError::MalformedProof(_)),
        ),
        ("a.b".into(), |e| matches!(e, DpopError::MalformedProof(_))),
        ("a.b.c.d".into(), |e| {
            matches!(e, DpopError::MalformedProof(_))
        }),
        ("!!.??.**".into(), |e| {
            matches!(e, DpopError::MalformedProof(_))
        }),
        ("x".repeat(9000), |e| {
            matches!(e, DpopError::MalformedProof(_))
        }),
    ];
    for (proof, expected) in &cases {
        let err = verify(proof).expect_err("must fail");
        assert!(expected(&err), "{err:?} for {proof:.80}");
    }
    assert!(verify(&good).is_ok());
    assert_eq!(verify(&good), Err(DpopError::Replayed));
    // Float iat is read; a key of the other algorithm verifies too.
    assert!(verify(&forged(&other, |_, c| c["iat"] = 1_700_000_001.5.into())).is_ok());
    // Without an access token (a token endpoint), ath is not required.
    let token_proof = forged(&key, |_, c| {
        c.as_object_mut().unwrap().remove("ath");
    });
    assert!(checks.verify(&token_proof, "GET", url, None, t0()).is_ok());
}

#[test]
fn replay_store_full_fails_closed() {
    let key = DpopKey::generate_ed25519().unwrap();
    let checks = DpopChecks::new().replay_store(crate::agent::MemoryReplayStore::new(1));
    let verify = |p: &str| checks.verify(p, "GET", "https://api.example.com/r", Some("at"), t0());
    verify(&forged(&key, |_, _| {})).unwrap();
    let err = verify(&forged(&key, |_, _| {})).unwrap_err();
    assert_eq!(dpop_err(err), DpopError::ReplayStoreUnavailable);
}

#[test]
fn nonces_per_server_and_nonce_answers() {
    let state = DpopState::new(DpopKey::generate_es256().unwrap());
    let mut headers = http::HeaderMap::new();
    assert!(!state.remember("op:1", &headers));
    headers.insert("dpop-nonce", "n1".parse().unwrap());
    assert!(state.remember("op:1", &headers));
    assert_eq!(state.nonce("op:1").as_deref(), Some("n1"));
    assert_eq!(state.nonce("op:2"), None);
    for i in 0..200 {
        state.remember(&format!("host-{i}"), &headers);
    }
    assert!(state.nonces_len() <= 64);
    let response = |status: u16, header: Option<&str>, body: &str| {
        let mut b = http::Response::builder().status(status);
        if let Some(h) = header {
            b = b.header("www-authenticate", h);
        }
        b.body(body.as_bytes().to_vec()).unwrap()
    };
    assert!(asks_for_nonce(&response(
        400,
        None,
        r#"{"error":"use_dpop_nonce"}"#
    )));
    assert!(!asks_for_nonce(&response(
        400,
        None,
        r#"{"error":"invalid_grant"}"#
    )));
    assert!(!asks_for_nonce(&response(400, None, "garbage")));
    assert!(asks_for_nonce(&response(
        401,
        Some(r#"DPoP error="use_dpop_nonce", algs="ES256""#),
        ""
    )));
    assert!(!asks_for_nonce(&response(
        401,
        Some(r#"Bearer error="use_dpop_nonce""#),
        ""
    )));
    assert!(!asks_for_nonce(&response(
        200,
        None,
        r#"{"error":"use_dpop_nonce"}"#
    )));
}

#[test]
fn proving_a_request() {
    let state = DpopState::new(DpopKey::generate_ed25519().unwrap());
    let mut request = http::Request::get("https://rs.example:8443/me?q=1")
        .body(Vec::new())
        .unwrap();
    let mut headers = http::HeaderMap::new();
    headers.insert("dpop-nonce", "srv-nonce".parse().unwrap());
    state.remember(&authority(&request), &headers);
    let target = DpopTarget::Resource(AccessToken::new("tok"));
    state.prove(&mut request, &target, t0()).unwrap();
    assert_eq!(request.headers()["authorization"], "DPoP tok");
    assert!(request.headers()["authorization"].is_sensitive());
    let proof = request.headers()["dpop"].to_str().unwrap();
    let (_, claims) = parts(proof);
    assert_eq!(claims["nonce"], "srv-nonce");
    assert_eq!(claims["htu"], "https://rs.example:8443/me");
    assert_eq!(claims["ath"], access_token_hash("tok"));
}

#[test]
fn bad_keys() {
    assert!(matches!(
        dpop_err(DpopKey::from_pkcs8_der(&[0x30, 0]).unwrap_err()),
        DpopError::InvalidKey(_)
    ));
    assert!(matches!(
        dpop_err(DpopKey::from_pkcs8_pem("nope").unwrap_err()),
        DpopError::InvalidKey(_)
    ));
    let key = DpopKey::generate_es256().unwrap();
    assert!(matches!(
        dpop_err(
            DpopProof::new("GET", "/relative")
                .sign(&key, t0())
                .unwrap_err()
        ),
        DpopError::InvalidRequest(_)
    ));
    assert!(
        DpopProof::new("", "https://a.example/")
            .sign(&key, t0())
            .is_err()
    );
}
