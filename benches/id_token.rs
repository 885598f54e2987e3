//! ID token verification: `idpkit::oidc::verify_id_token` on one RS256 token (2048-bit key,
//! already parsed into a `Jwks`), next to a bare `jsonwebtoken::decode` of the same token with an
//! equivalent minimal `Validation` (RS256 only; `iss`, `aud` and `exp` checked by jsonwebtoken;
//! claims into a JSON map). The difference is idpkit's overhead: its own header pre-check, key
//! lookup and claim checks.
//!
//! `cargo bench --bench id_token`; the medians are in
//! `target/criterion/id_token/*/new/estimates.json`.

use std::hint::black_box;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::rsa;
use criterion::{Criterion, criterion_group, criterion_main};
use idpkit::oidc::Jwks;
use idpkit::oidc::{IdTokenChecks, verify_id_token};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};

const ISS: &str = "https://op.example";
const CLIENT: &str = "my-app";
const NONCE: &str = "n-0S6_WzA2Mj";

/// The `RSAPrivateKey` (PKCS#1) inside a PKCS#8 `PrivateKeyInfo`.
fn pkcs1_from_pkcs8(pkcs8: &[u8]) -> Vec<u8> {
    fn tlv(input: &[u8]) -> (u8, &[u8], &[u8]) {
        let (len, header) = if input[1] < 0x80 {
            (input[1] as usize, 2)
        } else {
            let n = (input[1] & 0x7f) as usize;
            let len = input[2..2 + n]
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | *b as usize);
            (len, 2 + n)
        };
        (
            input[0],
            &input[header..header + len],
            &input[header + len..],
        )
    }
    let (_, info, _) = tlv(pkcs8);
    let (_, _, rest) = tlv(info);
    let (_, _, rest) = tlv(rest);
    let (_, key, _) = tlv(rest);
    key.to_vec()
}

struct Setup {
    token: String,
    jwks: Jwks,
    checks: IdTokenChecks,
    raw_key: DecodingKey,
    raw_validation: Validation,
}

fn setup() -> Setup {
    let pair = rsa::KeyPair::generate(rsa::KeySize::Rsa2048).expect("keygen");
    let pkcs8 = AsDer::<Pkcs8V1Der>::as_der(&pair).expect("pkcs8");
    let encoding_key = EncodingKey::from_rsa_der(&pkcs1_from_pkcs8(pkcs8.as_ref()));

    let mut jwk = serde_json::to_value(
        jsonwebtoken::jwk::Jwk::from_encoding_key(&encoding_key, Algorithm::RS256).expect("jwk"),
    )
    .expect("jwk json");
    jwk["kid"] = "key-1".into();
    jwk["use"] = "sig".into();
    let jwks_json = serde_json::json!({ "keys": [jwk] });
    let jwks = Jwks::from_json(&serde_json::to_vec(&jwks_json).expect("json")).expect("jwks");
    let raw_key = DecodingKey::from_jwk(&serde_json::from_value(jwk).expect("jwk")).expect("key");

    // Claims shaped like node-oidc-provider's ID tokens.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let claims = serde_json::json!({
        "sub": "user-8f14e45fceea167a5a36dedd4bea2543",
        "email": "ada@example.com", "email_verified": true, "name": "Ada Lovelace",
        "organizations": ["org-1", "org-2"],
        "nonce": NONCE, "at_hash": "77QmUPtjPfzWtF2AnpK9RQ",
        "aud": CLIENT, "exp": now + 3600, "iat": now, "iss": ISS,
    });
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("key-1".into());
    let token = jsonwebtoken::encode(&header, &claims, &encoding_key).expect("sign");

    let mut raw_validation = Validation::new(Algorithm::RS256);
    raw_validation.set_issuer(&[ISS]);
    raw_validation.set_audience(&[CLIENT]);
    raw_validation.leeway = 30;

    Setup {
        token,
        jwks,
        checks: IdTokenChecks::new(ISS, CLIENT),
        raw_key,
        raw_validation,
    }
}

fn bench_verify(c: &mut Criterion) {
    let s = setup();
    let now = SystemTime::now();
    assert!(verify_id_token(&s.token, &s.jwks, &s.checks, Some(NONCE), None, now).is_ok());
    assert!(
        jsonwebtoken::decode::<serde_json::Map<String, serde_json::Value>>(
            &s.token,
            &s.raw_key,
            &s.raw_validation
        )
        .is_ok()
    );

    let mut group = c.benchmark_group("id_token");
    group
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(8))
        .sample_size(100);
    group.bench_function("verify_id_token_rs256", |b| {
        b.iter(|| {
            verify_id_token(
                black_box(&s.token),
                &s.jwks,
                &s.checks,
                Some(NONCE),
                None,
                now,
            )
        })
    });
    group.bench_function("jsonwebtoken_decode_rs256", |b| {
        b.iter(|| {
            jsonwebtoken::decode::<serde_json::Map<String, serde_json::Value>>(
                black_box(&s.token),
                &s.raw_key,
                &s.raw_validation,
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bench_verify);
criterion_main!(benches);
