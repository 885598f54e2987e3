//! Login-type tokens: `LoginManager::issue` and `LoginManager::verify` (into a JSON map) for
//! HS256, ES256 and EdDSA, next to bare `jsonwebtoken::encode` / `decode` with the same key and
//! the same claims (`decode` checking `exp`). The difference is idpkit's overhead: random `jti`,
//! claim assembly, the `kid` routing, and its own claim checks.
//!
//! `cargo bench --bench login`; medians in `target/criterion/login/*/new/estimates.json`.

use std::hint::black_box;

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair};
use criterion::{Criterion, criterion_group, criterion_main};
use idpkit::login::{Issue, LoginKey, LoginManager, LoginType, TokenCheck};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Map, Value, json};

struct Setup {
    name: &'static str,
    manager: LoginManager,
    token: String,
    raw_encoding: EncodingKey,
    raw_decoding: DecodingKey,
    raw_header: Header,
    raw_claims: Value,
    raw_token: String,
    validation: Validation,
}

fn setup(name: &'static str, alg: Algorithm) -> Setup {
    let secret = [9u8; 32];
    let (key, raw_encoding, raw_decoding) = match alg {
        Algorithm::HS256 => (
            LoginKey::hs256(secret).unwrap(),
            EncodingKey::from_secret(&secret),
            DecodingKey::from_secret(&secret),
        ),
        _ => {
            let der = match alg {
                Algorithm::ES256 => EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
                    .unwrap()
                    .to_pkcs8v1()
                    .unwrap(),
                _ => Ed25519KeyPair::generate().unwrap().to_pkcs8v1().unwrap(),
            };
            let key = LoginKey::from_pkcs8_der(alg, der.as_ref()).unwrap();
            let jwk: jsonwebtoken::jwk::Jwk =
                serde_json::from_value(key.jwk(name).unwrap()).unwrap();
            let encoding = match alg {
                Algorithm::ES256 => EncodingKey::from_ec_der(der.as_ref()),
                _ => EncodingKey::from_ed_der(der.as_ref()),
            };
            (key, encoding, DecodingKey::from_jwk(&jwk).unwrap())
        }
    };
    let manager = LoginManager::builder()
        .login_type(LoginType::new(name, key))
        .build()
        .unwrap();
    let token = manager
        .issue(&Issue::access(name, "alice"))
        .unwrap()
        .expose_secret()
        .to_owned();
    let mut raw_header = Header::new(alg);
    raw_header.kid = Some(name.into());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let raw_claims = json!({
        "sub": "alice", "jti": "0b5c6a1e-8d7f-4f7e-9a51-3c2d9e8f7a6b", "type": "access",
        "fresh": false, "csrf": "", "iat": now, "exp": now + 900, "login_type": name
    });
    let raw_token = jsonwebtoken::encode(&raw_header, &raw_claims, &raw_encoding).unwrap();
    let mut validation = Validation::new(alg);
    validation.required_spec_claims.clear();
    validation.leeway = 0;
    Setup {
        name,
        manager,
        token,
        raw_encoding,
        raw_decoding,
        raw_header,
        raw_claims,
        raw_token,
        validation,
    }
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("login");
    for (name, alg) in [
        ("hs256", Algorithm::HS256),
        ("es256", Algorithm::ES256),
        ("eddsa", Algorithm::EdDSA),
    ] {
        let s = setup(name, alg);
        let check = TokenCheck::access(s.name);
        let issue = Issue::access(s.name, "alice");
        assert!(
            s.manager
                .verify::<Map<String, Value>>(&s.token, &check)
                .is_ok()
        );
        group.bench_function(format!("{name}/idpkit_issue"), |b| {
            b.iter(|| black_box(s.manager.issue(black_box(&issue)).unwrap()))
        });
        group.bench_function(format!("{name}/raw_encode"), |b| {
            b.iter(|| {
                black_box(
                    jsonwebtoken::encode(&s.raw_header, black_box(&s.raw_claims), &s.raw_encoding)
                        .unwrap(),
                )
            })
        });
        group.bench_function(format!("{name}/idpkit_verify"), |b| {
            b.iter(|| {
                black_box(
                    s.manager
                        .verify::<Map<String, Value>>(black_box(&s.token), &check)
                        .unwrap(),
                )
            })
        });
        group.bench_function(format!("{name}/raw_decode"), |b| {
            b.iter(|| {
                black_box(
                    jsonwebtoken::decode::<Map<String, Value>>(
                        black_box(&s.raw_token),
                        &s.raw_decoding,
                        &s.validation,
                    )
                    .unwrap(),
                )
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
