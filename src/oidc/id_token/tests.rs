//! ID token validation tests: keys generated with aws-lc-rs, published as a JWKS built from
//! their public parts, tokens signed with jsonwebtoken (or by hand for the attacks).

use std::sync::OnceLock;
use std::time::UNIX_EPOCH;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair};
use aws_lc_rs::{hmac, rsa};
use jsonwebtoken::{EncodingKey, Header};
use serde_json::json;

use super::*;
use crate::TokenValidationError as E;

const ISS: &str = "https://op.example";
const CLIENT: &str = "my-app";
const NONCE: &str = "n-0S6_WzA2Mj";
const NOW: u64 = 1_700_000_000;

struct Fixture {
    rsa_pkcs1: Vec<u8>,
    rsa_public: Vec<u8>,
    ec_pkcs8: Vec<u8>,
    ed_pkcs8: Vec<u8>,
    /// One key of each kind: `rsa`, `ec`, `ed`.
    jwks_json: Value,
    jwks: Jwks,
}

fn fx() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        use aws_lc_rs::signature::KeyPair as _;
        let rsa = rsa::KeyPair::generate(rsa::KeySize::Rsa2048).unwrap();
        let pkcs8 = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&rsa).unwrap();
        let rsa_pkcs1 = pkcs1_from_pkcs8(pkcs8.as_ref());
        let ec = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
        let ed = Ed25519KeyPair::generate().unwrap();
        let mut fixture = Fixture {
            rsa_pkcs1,
            rsa_public: rsa.public_key().as_ref().to_vec(),
            ec_pkcs8: ec.to_pkcs8v1().unwrap().as_ref().to_vec(),
            ed_pkcs8: ed.to_pkcs8v1().unwrap().as_ref().to_vec(),
            jwks_json: Value::Null,
            jwks: Jwks::default(),
        };
        fixture.jwks_json = json!({"keys": [
            public_jwk(&fixture, Algorithm::RS256, "rsa"),
            public_jwk(&fixture, Algorithm::ES256, "ec"),
            public_jwk(&fixture, Algorithm::EdDSA, "ed"),
        ]});
        fixture.jwks = jwks(&fixture.jwks_json);
        fixture
    })
}

/// The public JWK of a fixture key, without `alg` (so one RSA key serves RS* and PS*).
fn public_jwk(fx: &Fixture, alg: Algorithm, kid: &str) -> Value {
    let jwk = jsonwebtoken::jwk::Jwk::from_encoding_key(&encoding_key_of(fx, alg), alg).unwrap();
    let mut jwk = serde_json::to_value(jwk).unwrap();
    let obj = jwk.as_object_mut().unwrap();
    obj.remove("alg");
    obj.insert("kid".into(), kid.into());
    obj.insert("use".into(), "sig".into());
    jwk
}

fn jwks(set: &Value) -> Jwks {
    Jwks::from_json(&serde_json::to_vec(set).unwrap()).unwrap()
}

/// The `RSAPrivateKey` (PKCS#1) inside a PKCS#8 `PrivateKeyInfo`, which is what
/// `EncodingKey::from_rsa_der` takes.
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
    let (_, _, rest) = tlv(info); // version
    let (_, _, rest) = tlv(rest); // algorithm
    let (tag, key, _) = tlv(rest); // privateKey
    assert_eq!(tag, 0x04, "OCTET STRING");
    key.to_vec()
}

fn encoding_key_of(fx: &Fixture, alg: Algorithm) -> EncodingKey {
    match alg.family() {
        AlgorithmFamily::Rsa => EncodingKey::from_rsa_der(&fx.rsa_pkcs1),
        AlgorithmFamily::Ec => EncodingKey::from_ec_der(&fx.ec_pkcs8),
        AlgorithmFamily::Ed => EncodingKey::from_ed_der(&fx.ed_pkcs8),
        AlgorithmFamily::Hmac => unreachable!("tests sign HMAC by hand"),
    }
}

fn kid_of(alg: Algorithm) -> &'static str {
    match alg.family() {
        AlgorithmFamily::Rsa => "rsa",
        AlgorithmFamily::Ec => "ec",
        _ => "ed",
    }
}

fn claims() -> Value {
    json!({
        "iss": ISS, "sub": "user-1", "aud": CLIENT, "exp": NOW + 300, "iat": NOW,
        "nonce": NONCE, "email": "ada@example.com", "email_verified": true,
        "name": "Ada", "organizations": ["org-1", "org-2"],
    })
}

/// `claims()` with members replaced; `null` removes a member.
fn claims_with(changes: Value) -> Value {
    let mut c = claims();
    for (k, v) in changes.as_object().unwrap() {
        if v.is_null() {
            c.as_object_mut().unwrap().remove(k);
        } else {
            c[k] = v.clone();
        }
    }
    c
}

fn sign(alg: Algorithm, kid: Option<&str>, claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(Into::into);
    jsonwebtoken::encode(&header, claims, &encoding_key_of(fx(), alg)).unwrap()
}

fn rs256(claims: &Value) -> String {
    sign(Algorithm::RS256, Some("rsa"), claims)
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A token over exact header and payload bytes, signed by the fixture key of `alg`.
fn sign_raw(alg: Algorithm, header: &str, payload: &str) -> String {
    let message = format!("{}.{}", b64(header.as_bytes()), b64(payload.as_bytes()));
    let sig =
        jsonwebtoken::crypto::sign(message.as_bytes(), &encoding_key_of(fx(), alg), alg).unwrap();
    format!("{message}.{sig}")
}

fn checks() -> IdTokenChecks {
    let mut c = IdTokenChecks::new(ISS, CLIENT);
    c.allowed_algorithms = vec![
        Algorithm::RS256,
        Algorithm::PS256,
        Algorithm::ES256,
        Algorithm::EdDSA,
    ];
    c
}

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW)
}

fn verify(token: &str) -> Result<IdTokenClaims, TokenValidationError> {
    verify_id_token(token, &fx().jwks, &checks(), Some(NONCE), None, now())
}

fn verify_err(token: &str) -> TokenValidationError {
    verify(token).unwrap_err()
}

#[test]
fn accepts_rs256_and_keeps_every_claim() {
    let c = verify(&rs256(&claims())).unwrap();
    assert_eq!((c.iss.as_str(), c.sub.as_str()), (ISS, "user-1"));
    assert_eq!(c.aud, [CLIENT]);
    assert_eq!((c.exp, c.iat), (NOW + 300, NOW));
    assert_eq!(c.nonce.as_deref(), Some(NONCE));
    assert_eq!(c.email.as_deref(), Some("ada@example.com"));
    assert_eq!(c.email_verified, Some(true));
    assert_eq!(c.extra["name"], "Ada");
    assert_eq!(c.extra["organizations"], json!(["org-1", "org-2"]));
    assert!(
        !c.extra.contains_key("sub"),
        "typed claims are not duplicated"
    );

    let all = c.all_claims();
    let mut expected = claims();
    expected["aud"] = json!([CLIENT]);
    assert_eq!(Value::Object(all), expected);
    assert_eq!(c.to_value(), serde_json::to_value(&c).unwrap());
    let back: IdTokenClaims = serde_json::from_value(c.to_value()).unwrap();
    assert_eq!(back, c);
}

#[test]
fn accepts_ps256_es256_eddsa() {
    for alg in [Algorithm::PS256, Algorithm::ES256, Algorithm::EdDSA] {
        let token = sign(alg, Some(kid_of(alg)), &claims());
        assert_eq!(verify(&token).unwrap().sub, "user-1", "{alg:?}");
    }
}

#[test]
fn accepts_a_kidless_token_when_one_key_fits() {
    for alg in [Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA] {
        assert!(verify(&sign(alg, None, &claims())).is_ok(), "{alg:?}");
    }
    // Two RSA keys and no kid: ambiguous, so unknown.
    let mut set = fx().jwks_json.clone();
    let mut second = set["keys"][0].clone();
    second["kid"] = "rsa-2".into();
    set["keys"].as_array_mut().unwrap().push(second);
    let err = verify_id_token(
        &sign(Algorithm::RS256, None, &claims()),
        &jwks(&set),
        &checks(),
        Some(NONCE),
        None,
        now(),
    )
    .unwrap_err();
    assert_eq!(err, E::UnknownKey(None));
}

#[test]
fn rejects_alg_none() {
    for alg in ["none", "None", "NONE"] {
        let header = b64(json!({"alg": alg, "kid": "rsa"}).to_string().as_bytes());
        let payload = b64(claims().to_string().as_bytes());
        for token in [
            format!("{header}.{payload}."),
            format!("{header}.{payload}.c2ln"),
        ] {
            assert_eq!(verify_err(&token), E::AlgorithmNotAllowed(alg.into()));
        }
    }
}

#[test]
fn rejects_algorithms_outside_the_allow_list() {
    let mut only_es = checks();
    only_es.allowed_algorithms = vec![Algorithm::ES256];
    let err = verify_id_token(
        &rs256(&claims()),
        &fx().jwks,
        &only_es,
        Some(NONCE),
        None,
        now(),
    )
    .unwrap_err();
    assert_eq!(err, E::AlgorithmNotAllowed("RS256".into()));
    let unknown = format!(
        "{}.{}.",
        b64(br#"{"alg":"ES512"}"#),
        b64(claims().to_string().as_bytes())
    );
    assert_eq!(verify_err(&unknown), E::AlgorithmNotAllowed("ES512".into()));
}

#[test]
fn rejects_hs256_signed_with_the_rsa_public_key() {
    let fx = fx();
    let message = format!(
        "{}.{}",
        b64(br#"{"alg":"HS256","typ":"JWT","kid":"rsa"}"#),
        b64(claims().to_string().as_bytes())
    );
    let mac = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, &fx.rsa_public),
        message.as_bytes(),
    );
    let token = format!("{message}.{}", b64(mac.as_ref()));
    assert_eq!(verify_err(&token), E::AlgorithmNotAllowed("HS256".into()));

    // Even a misconfigured allow-list cannot let HMAC in.
    let mut lax = checks();
    lax.allowed_algorithms.push(Algorithm::HS256);
    let err = verify_id_token(&token, &fx.jwks, &lax, Some(NONCE), None, now()).unwrap_err();
    assert_eq!(err, E::AlgorithmNotAllowed("HS256".into()));
}

/// An HS256 token over `claims` keyed by `key`, with this header.
fn hs256(key: &[u8], header: &str, claims: &Value) -> String {
    let message = format!(
        "{}.{}",
        b64(header.as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let mac = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), message.as_bytes());
    format!("{message}.{}", b64(mac.as_ref()))
}

#[test]
fn hs256_is_keyed_by_the_client_secret_only_when_configured() {
    let fx = fx();
    let secret = "client-secret-of-my-app-0123456789";
    let token = hs256(
        secret.as_bytes(),
        r#"{"alg":"HS256","kid":"rsa"}"#,
        &claims(),
    );
    let mut hmac_checks = checks();
    hmac_checks.allowed_algorithms.push(Algorithm::HS256);
    hmac_checks.client_secret = Some(ClientSecret::new(secret));
    let verify = |token: &str, checks: &IdTokenChecks| {
        verify_id_token(token, &fx.jwks, checks, Some(NONCE), None, now())
    };
    assert_eq!(verify(&token, &hmac_checks).unwrap().sub, "user-1");

    // Without the secret, or without HS256 in the allow-list: refused before any key is used.
    let mut no_secret = hmac_checks.clone();
    no_secret.client_secret = None;
    assert_eq!(
        verify(&token, &no_secret).unwrap_err(),
        E::AlgorithmNotAllowed("HS256".into())
    );
    let mut secret_only = checks();
    secret_only.client_secret = Some(ClientSecret::new(secret));
    assert_eq!(
        verify(&token, &secret_only).unwrap_err(),
        E::AlgorithmNotAllowed("HS256".into())
    );

    // The provider's public key is never an HMAC key, even with the `kid` naming it.
    let forged = hs256(&fx.rsa_public, r#"{"alg":"HS256","kid":"rsa"}"#, &claims());
    assert_eq!(
        verify(&forged, &hmac_checks).unwrap_err(),
        E::InvalidSignature
    );
    // Another secret, or a tampered token, does not verify.
    let other = hs256(b"another-secret", r#"{"alg":"HS256"}"#, &claims());
    assert_eq!(
        verify(&other, &hmac_checks).unwrap_err(),
        E::InvalidSignature
    );
}

#[test]
fn unsigned_tokens_only_with_the_opt_in() {
    let header = b64(br#"{"alg":"none","typ":"JWT"}"#);
    let token = format!("{header}.{}.", b64(claims().to_string().as_bytes()));
    assert_eq!(verify_err(&token), E::AlgorithmNotAllowed("none".into()));
    let mut unsigned = checks();
    unsigned.accept_unsigned = true;
    let verify =
        |token: &str| verify_id_token(token, &fx().jwks, &unsigned, Some(NONCE), None, now());
    assert_eq!(verify(&token).unwrap().sub, "user-1");
    // The claims are still checked, and `none` must come with an empty signature.
    let wrong_aud = format!(
        "{header}.{}.",
        b64(claims_with(json!({"aud": "x"})).to_string().as_bytes())
    );
    assert_eq!(verify(&wrong_aud).unwrap_err(), E::AudienceMismatch);
    assert!(matches!(
        verify(&format!("{token}c2ln")).unwrap_err(),
        E::Malformed(_)
    ));
}

#[test]
fn rejects_a_key_of_another_type_for_the_kid() {
    // ES256 header naming the RSA key.
    let token = sign(Algorithm::ES256, Some("rsa"), &claims());
    assert_eq!(verify_err(&token), E::AlgorithmNotAllowed("ES256".into()));
}

#[test]
fn rejects_a_bad_signature() {
    let token = rs256(&claims());
    let (message, sig) = token.rsplit_once('.').unwrap();
    let mut sig = sig.as_bytes().to_vec();
    let mid = sig.len() / 2;
    sig[mid] = if sig[mid] == b'A' { b'B' } else { b'A' };
    let flipped = format!("{message}.{}", String::from_utf8(sig).unwrap());
    assert_eq!(verify_err(&flipped), E::InvalidSignature);

    // A changed payload under the original signature.
    let forged = rs256(&claims_with(json!({"sub": "admin"})));
    let (_, forged_payload, _) = split3(&forged);
    let (header, _, sig) = split3(&token);
    let spliced = format!("{header}.{forged_payload}.{sig}");
    assert_eq!(verify_err(&spliced), E::InvalidSignature);

    // Signed by another key with the same kid.
    let other = Ed25519KeyPair::generate().unwrap();
    let key = EncodingKey::from_ed_der(other.to_pkcs8v1().unwrap().as_ref());
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some("ed".into());
    let token = jsonwebtoken::encode(&header, &claims(), &key).unwrap();
    assert_eq!(verify_err(&token), E::InvalidSignature);
    // Empty signature.
    let token = rs256(&claims());
    let (message, _) = token.rsplit_once('.').unwrap();
    assert_eq!(verify_err(&format!("{message}.")), E::InvalidSignature);
}

fn split3(token: &str) -> (&str, &str, &str) {
    let mut it = token.split('.');
    (it.next().unwrap(), it.next().unwrap(), it.next().unwrap())
}

#[test]
fn rejects_an_unknown_kid() {
    let token = sign(Algorithm::RS256, Some("rotated-away"), &claims());
    assert_eq!(
        verify_err(&token),
        E::UnknownKey(Some("rotated-away".into()))
    );
    let err = verify_id_token(
        &rs256(&claims()),
        &Jwks::default(),
        &checks(),
        Some(NONCE),
        None,
        now(),
    )
    .unwrap_err();
    assert_eq!(err, E::UnknownKey(Some("rsa".into())));
}

#[test]
fn skipped_jwks_keys_never_verify() {
    // The RSA key marked for encryption, and its public key offered as an `oct` secret.
    let mut enc = fx().jwks_json["keys"][0].clone();
    enc["use"] = "enc".into();
    let oct = json!({"kty": "oct", "kid": "rsa", "k": b64(&fx().rsa_public), "alg": "HS256"});
    let set = jwks(&json!({"keys": [enc, oct]}));
    assert!(set.is_empty());
    let err =
        verify_id_token(&rs256(&claims()), &set, &checks(), Some(NONCE), None, now()).unwrap_err();
    assert_eq!(err, E::UnknownKey(Some("rsa".into())));
}

#[test]
fn issuer_must_match_exactly() {
    for other in [
        "https://op.example/",
        "https://OP.example",
        "https://evil.example",
    ] {
        let err = verify_err(&rs256(&claims_with(json!({"iss": other}))));
        assert_eq!(
            err,
            E::IssuerMismatch {
                actual: other.into()
            }
        );
    }
    let long = "x".repeat(1000);
    let err = verify_err(&rs256(&claims_with(json!({"iss": long}))));
    assert_eq!(
        err,
        E::IssuerMismatch {
            actual: "[1000 bytes, not shown]".into()
        }
    );
}

#[test]
fn audience_and_authorized_party() {
    let err = |changes| verify_err(&rs256(&claims_with(changes)));
    let ok = |changes| verify(&rs256(&claims_with(changes))).map(|c| c.aud);

    assert_eq!(err(json!({"aud": "other-app"})), E::AudienceMismatch);
    assert_eq!(err(json!({"aud": ["a", "b"]})), E::AudienceMismatch);
    assert_eq!(err(json!({"aud": []})), E::AudienceMismatch);
    assert_eq!(ok(json!({"aud": [CLIENT]})).unwrap(), [CLIENT]);
    // Several audiences: azp required and must be this client.
    assert_eq!(
        err(json!({"aud": [CLIENT, "api"]})),
        E::AuthorizedPartyMismatch
    );
    assert_eq!(
        err(json!({"aud": [CLIENT, "api"], "azp": "api"})),
        E::AuthorizedPartyMismatch
    );
    assert_eq!(
        ok(json!({"aud": [CLIENT, "api"], "azp": CLIENT})).unwrap(),
        [CLIENT, "api"]
    );
    // A single audience with a foreign azp.
    assert_eq!(err(json!({"azp": "other-app"})), E::AuthorizedPartyMismatch);
    assert!(ok(json!({"azp": CLIENT})).is_ok());
}

#[test]
fn expiry_with_leeway() {
    let at = |exp: u64| verify(&rs256(&claims_with(json!({"iat": NOW - 3600, "exp": exp}))));
    assert!(at(NOW).is_ok());
    assert!(at(NOW - 30).is_ok(), "within the leeway");
    assert_eq!(at(NOW - 31).unwrap_err(), E::Expired);

    let mut strict = checks();
    strict.leeway = Duration::ZERO;
    let token = rs256(&claims_with(json!({"iat": NOW - 3600, "exp": NOW - 1})));
    let err = verify_id_token(&token, &fx().jwks, &strict, Some(NONCE), None, now()).unwrap_err();
    assert_eq!(err, E::Expired);
    // Sub-second precision: one second past exp + leeway, plus a half.
    let later = now() + Duration::from_millis(30_500);
    let token = rs256(&claims_with(json!({"exp": NOW})));
    let err = verify_id_token(&token, &fx().jwks, &checks(), Some(NONCE), None, later).unwrap_err();
    assert_eq!(err, E::Expired);
}

#[test]
fn issued_in_the_future() {
    let iat = |iat: u64| verify(&rs256(&claims_with(json!({"iat": iat}))));
    assert!(iat(NOW + 30).is_ok(), "within the leeway");
    assert_eq!(iat(NOW + 31).unwrap_err(), E::IssuedInFuture);
    assert_eq!(iat(NOW + 86_400).unwrap_err(), E::IssuedInFuture);
    let nbf = |nbf: Value| verify(&rs256(&claims_with(json!({"nbf": nbf}))));
    assert!(nbf(json!(NOW)).is_ok());
    assert_eq!(nbf(json!(NOW + 600)).unwrap_err(), E::IssuedInFuture);
    assert!(matches!(nbf(json!("soon")).unwrap_err(), E::Malformed(_)));
}

#[test]
fn nonce() {
    let token = rs256(&claims());
    let check = |expected| verify_id_token(&token, &fx().jwks, &checks(), expected, None, now());
    assert!(check(Some(NONCE)).is_ok());
    assert_eq!(check(Some("n-other")).unwrap_err(), E::NonceMismatch);
    assert_eq!(check(Some("")).unwrap_err(), E::NonceMismatch);
    assert!(check(None).is_ok(), "refresh: not checked");

    let without = rs256(&claims_with(json!({"nonce": null})));
    assert_eq!(verify_err(&without), E::NonceMismatch);
    let refreshed = verify_id_token(&without, &fx().jwks, &checks(), None, None, now());
    assert!(refreshed.is_ok());
}

#[test]
fn missing_claims() {
    for claim in ["iss", "sub", "aud", "exp", "iat"] {
        let err = verify_err(&rs256(&claims_with(json!({ claim: null }))));
        assert_eq!(err, E::MissingClaim(claim));
    }
}

#[test]
fn max_age_requires_a_recent_auth_time() {
    let mut checks = checks();
    checks.max_age = Some(Duration::from_secs(600));
    let check = |changes| {
        verify_id_token(
            &rs256(&claims_with(changes)),
            &fx().jwks,
            &checks,
            Some(NONCE),
            None,
            now(),
        )
    };
    assert_eq!(check(json!({})).unwrap_err(), E::MissingClaim("auth_time"));
    assert!(check(json!({"auth_time": NOW - 600})).is_ok());
    assert!(check(json!({"auth_time": NOW - 630})).is_ok(), "leeway");
    assert_eq!(
        check(json!({"auth_time": NOW - 631})).unwrap_err(),
        E::AuthTooOld
    );
    // Without max_age, auth_time is only read.
    let c = verify(&rs256(&claims_with(json!({"auth_time": 5})))).unwrap();
    assert_eq!(c.auth_time, Some(5));
}

#[test]
fn at_hash_known_vector() {
    // OpenID Connect Core 1.0, Appendix A.4.
    assert_eq!(
        access_token_hash(
            Algorithm::RS256,
            "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
        ),
        "77QmUPtjPfzWtF2AnpK9RQ"
    );
    assert_eq!(access_token_hash(Algorithm::ES384, "x").len(), 32);
    assert_eq!(access_token_hash(Algorithm::EdDSA, "x").len(), 43);
}

#[test]
fn at_hash_match_and_mismatch() {
    let at = "access-token-123";
    for alg in [Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA] {
        let hash = access_token_hash(alg, at);
        let token = sign(
            alg,
            Some(kid_of(alg)),
            &claims_with(json!({"at_hash": hash})),
        );
        let check = |access_token| {
            verify_id_token(
                &token,
                &fx().jwks,
                &checks(),
                Some(NONCE),
                access_token,
                now(),
            )
        };
        assert_eq!(check(Some(at)).unwrap().at_hash.as_deref(), Some(&*hash));
        assert_eq!(
            check(Some("another-token")).unwrap_err(),
            E::AccessTokenHashMismatch,
            "{alg:?}"
        );
        assert!(check(None).is_ok(), "no access token: nothing to compare");
    }
    // No at_hash in the token: nothing to check.
    assert!(
        verify_id_token(
            &rs256(&claims()),
            &fx().jwks,
            &checks(),
            Some(NONCE),
            Some(at),
            now()
        )
        .is_ok()
    );
    // EdDSA hashes with SHA-512, so a SHA-256 at_hash does not match.
    let sha256 = access_token_hash(Algorithm::RS256, at);
    let token = sign(
        Algorithm::EdDSA,
        Some("ed"),
        &claims_with(json!({"at_hash": sha256})),
    );
    let err = verify_id_token(&token, &fx().jwks, &checks(), Some(NONCE), Some(at), now());
    assert_eq!(err.unwrap_err(), E::AccessTokenHashMismatch);
}

#[test]
fn claim_types() {
    // NumericDate as a float, email_verified as a string.
    let c = verify(&rs256(&claims_with(json!({
        "exp": (NOW + 300) as f64 + 0.5, "email_verified": "false"
    }))))
    .unwrap();
    assert_eq!((c.exp, c.email_verified), (NOW + 300, Some(false)));

    for bad in [
        json!({"exp": "secret-exp-value"}),
        json!({"exp": -5}),
        json!({"iss": 12}),
        json!({"aud": {"x": 1}}),
        json!({"email_verified": "secret-maybe"}),
        json!({"nonce": ["secret-nonce"]}),
    ] {
        let err = verify_err(&rs256(&claims_with(bad.clone())));
        assert!(matches!(err, E::Malformed(_)), "{bad}: {err:?}");
        assert!(!format!("{err} {err:?}").contains("secret"), "{err:?}");
    }
}

#[test]
fn duplicate_claims_are_malformed() {
    let header = r#"{"alg":"RS256","kid":"rsa"}"#;
    let payload = format!(
        r#"{{"iss":"https://evil.example","iss":"{ISS}","sub":"u","aud":"{CLIENT}","exp":{},"iat":{NOW},"nonce":"{NONCE}"}}"#,
        NOW + 60
    );
    let err = verify_err(&sign_raw(Algorithm::RS256, header, &payload));
    assert!(matches!(err, E::Malformed(_)), "{err:?}");
    // The same payload without the duplicate verifies (the helper itself is sound).
    let payload = payload.replacen(r#""iss":"https://evil.example","#, "", 1);
    assert!(verify(&sign_raw(Algorithm::RS256, header, &payload)).is_ok());
}

#[test]
fn critical_headers_are_refused() {
    let header = r#"{"alg":"RS256","kid":"rsa","crit":["exp"],"exp":1}"#;
    let err = verify_err(&sign_raw(Algorithm::RS256, header, &claims().to_string()));
    assert!(matches!(err, E::Malformed(_)), "{err:?}");
}

#[test]
fn garbage_never_panics() {
    let valid = rs256(&claims());
    let (h, p, s) = split3(&valid);
    let huge = "A".repeat(2 * 1024 * 1024);
    let mut inputs: Vec<String> = vec![
        String::new(),
        ".".into(),
        "..".into(),
        "...".into(),
        "abc".into(),
        "a.b".into(),
        "a.b.c".into(),
        "a.b.c.d".into(),
        "a.b.c.d.e".into(),
        format!("{h}.{p}"),
        format!("{h}.{p}.{s}.{s}"),
        format!("{h}.{p}.{s}.x.y"),
        format!("{h}..{s}"),
        format!(".{p}.{s}"),
        format!("{h}.{p}.!!!"),
        format!("{h}.!!!.{s}"),
        format!("{h}=.{p}.{s}"),
        format!("{}.{p}.{s}", b64(b"not json")),
        format!("{}.{p}.{s}", b64(b"[]")),
        format!("{}.{p}.{s}", b64(br#"{"alg":5}"#)),
        format!("{}.{p}.{s}", b64(br#"{"kid":"rsa"}"#)),
        format!("{}.{p}.{s}", b64(br#"{"alg":"RS256","kid":7}"#)),
        format!("{}.{p}.{s}", b64(br#"{"alg":"RS256","alg":"RS256"}"#)),
        format!("{h}.{}.{s}", b64(b"not json")),
        format!("{huge}.{p}.{s}"),
        format!("{h}.{huge}.{s}"),
        format!("{h}.{p}.{huge}"),
        "\u{0}\u{ffff}.é.☃".into(),
    ];
    // A deterministic sweep of short strings over the JWT alphabet.
    let alphabet = b"AZaz09-_.=+/{}\"";
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    for _ in 0..2000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let len = (state % 64) as usize;
        let s = (0..len)
            .map(|i| alphabet[((state >> (i % 50)) as usize + i) % alphabet.len()] as char)
            .collect();
        inputs.push(s);
    }
    for input in &inputs {
        let result = verify(input);
        assert!(result.is_err(), "{:?}", &input[..input.len().min(80)]);
    }
}

#[test]
fn errors_carry_no_token_contents() {
    let long_kid = "k".repeat(500);
    let token = sign(Algorithm::RS256, Some(&long_kid), &claims());
    let err = verify_err(&token);
    assert_eq!(err, E::UnknownKey(Some("[500 bytes, not shown]".into())));
    let token = sign(Algorithm::RS256, Some("evil\nkid"), &claims());
    assert_eq!(
        verify_err(&token),
        E::UnknownKey(Some("[8 bytes, not shown]".into()))
    );

    let header = b64(json!({"alg": "x".repeat(100)}).to_string().as_bytes());
    let err = verify_err(&format!("{header}.e30."));
    assert_eq!(err, E::AlgorithmNotAllowed("[100 bytes, not shown]".into()));

    let token = rs256(&claims_with(
        json!({"aud": "other", "sub": "secret-subject"}),
    ));
    let (_, payload, sig) = split3(&token);
    let err = verify_err(&token);
    let shown = format!("{err} {err:?} {}", crate::Error::from(err.clone()));
    for leak in [payload, sig, "secret-subject", "ada@example.com"] {
        assert!(!shown.contains(leak), "{shown}");
    }
}

#[test]
fn algorithms_from_metadata() {
    let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        IdTokenChecks::algorithms_from_metadata(&names(&[
            "RS256", "PS384", "ES384", "EdDSA", "RS256"
        ])),
        [
            Algorithm::RS256,
            Algorithm::PS384,
            Algorithm::ES384,
            Algorithm::EdDSA
        ]
    );
    for only_bad in [
        &["none"][..],
        &["HS256", "HS384", "HS512"],
        &["ES512", "Ed448", "rs256"],
        &[],
    ] {
        assert_eq!(
            IdTokenChecks::algorithms_from_metadata(&names(only_bad)),
            [Algorithm::RS256],
            "{only_bad:?}"
        );
    }
}

#[test]
fn defaults_are_strict() {
    let c = IdTokenChecks::new(ISS, CLIENT);
    assert_eq!(c.allowed_algorithms, [Algorithm::RS256]);
    assert_eq!(c.leeway, Duration::from_secs(30));
    assert_eq!(c.max_age, None);
    // RS256 only: an EdDSA token is refused by default.
    let token = sign(Algorithm::EdDSA, Some("ed"), &claims());
    let err = verify_id_token(&token, &fx().jwks, &c, Some(NONCE), None, now()).unwrap_err();
    assert_eq!(err, E::AlgorithmNotAllowed("EdDSA".into()));
}
