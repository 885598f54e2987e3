//! Unit tests of the login types: issue, verify, locate, every refusal.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Map, Value, json};

use super::*;
use crate::Clock;

const T0: u64 = 1_700_000_000;
const SECRET: [u8; 32] = [7u8; 32];

fn at(secs: u64) -> Clock {
    Clock::new(move || SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
}

fn manager_at(secs: u64, types: Vec<LoginType>) -> LoginManager {
    types
        .into_iter()
        .fold(LoginManager::builder().clock(at(secs)), |b, t| {
            b.login_type(t)
        })
        .build()
        .unwrap()
}

fn hs(name: &str) -> LoginType {
    LoginType::new(name, LoginKey::hs256(SECRET).unwrap())
}

fn two() -> LoginManager {
    manager_at(
        T0,
        vec![
            hs("users"),
            LoginType::new("admins", LoginKey::generate(Algorithm::ES256).unwrap()),
        ],
    )
}

fn verify(m: &LoginManager, token: &str, check: &TokenCheck) -> Result<LoginClaims, LoginError> {
    m.verify::<Map<String, Value>>(token, check)
}

fn payload(token: &str) -> Value {
    let part = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

fn header_of(token: &str) -> Value {
    let part = token.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// A token signed with the shared test secret, with any header `kid` and claims.
fn forge(kid: Option<&str>, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(&SECRET)).unwrap()
}

#[test]
fn every_algorithm_round_trips_with_its_kid() {
    for alg in [
        Algorithm::HS256,
        Algorithm::RS256,
        Algorithm::ES256,
        Algorithm::EdDSA,
    ] {
        let m = manager_at(
            T0,
            vec![LoginType::new("t", LoginKey::generate(alg).unwrap())],
        );
        let issued = m.issue(&Issue::access("t", "alice")).unwrap();
        let header = header_of(issued.expose_secret());
        assert_eq!(header["kid"], "t", "{alg:?}");
        assert_eq!(header["alg"], json!(alg));
        let claims = verify(&m, issued.expose_secret(), &TokenCheck::access("t")).unwrap();
        assert_eq!(
            (claims.sub.as_str(), claims.kind),
            ("alice", TokenKind::Access)
        );
        assert_eq!(claims.jti, issued.jti);
    }
}

#[test]
fn issued_claims_are_authx_shaped() {
    let m = manager_at(
        T0,
        vec![
            hs("users")
                .issuer("https://api.example")
                .audience("web")
                .locations([TokenLocation::Headers, TokenLocation::Cookies]),
        ],
    );
    let issued = m
        .issue(
            &Issue::access("users", "alice")
                .fresh(true)
                .scopes(["posts:read"])
                .data(&json!({"role": "editor"})),
        )
        .unwrap();
    let p = payload(issued.expose_secret());
    assert_eq!(p["sub"], "alice");
    assert_eq!(p["type"], "access");
    assert_eq!(p["fresh"], true);
    assert_eq!(p["iat"], T0);
    assert_eq!(p["exp"], T0 + 900);
    assert_eq!(p["iss"], "https://api.example");
    assert_eq!(p["aud"], "web");
    assert_eq!(p["scopes"], json!(["posts:read"]));
    assert_eq!(p["login_type"], "users");
    assert_eq!(p["role"], "editor");
    assert!(p.get("nbf").is_none());
    let csrf = p["csrf"].as_str().unwrap();
    assert_eq!(Some(csrf), issued.csrf.as_deref());
    for uuid in [csrf, p["jti"].as_str().unwrap()] {
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "4", "version 4: {uuid}");
        let dashes: Vec<usize> = uuid.match_indices('-').map(|(i, _)| i).collect();
        assert_eq!(dashes, [8, 13, 18, 23], "{uuid}");
        assert!(
            uuid.bytes()
                .all(|b| b == b'-' || b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
    }
    assert_eq!(issued.expires_at, Some(T0 + 900));

    let refresh = m.issue(&Issue::refresh("users", "alice")).unwrap();
    let p = payload(refresh.expose_secret());
    assert_eq!(p["type"], "refresh");
    assert!(p.get("fresh").is_none(), "refresh tokens carry no fresh");
    assert_eq!(p["exp"], T0 + 20 * 24 * 3600);

    let plain = manager_at(T0, vec![hs("users")]);
    let issued = plain.issue(&Issue::access("users", "bob")).unwrap();
    assert_eq!(payload(issued.expose_secret())["csrf"], "");
    assert_eq!(issued.csrf, None);

    let forever = plain
        .issue(&Issue::access("users", "bob").lifetime(None))
        .unwrap();
    assert!(payload(forever.expose_secret()).get("exp").is_none());
}

#[test]
fn custom_data_cannot_overwrite_registered_claims() {
    let m = manager_at(T0, vec![hs("users")]);
    for name in [
        "sub",
        "jti",
        "type",
        "fresh",
        "csrf",
        "iat",
        "exp",
        "nbf",
        "iss",
        "aud",
        "scopes",
        "login_type",
    ] {
        let mut data = Map::new();
        data.insert(name.into(), json!("x"));
        let err = m
            .issue(&Issue::access("users", "alice").data(&data))
            .unwrap_err();
        assert_eq!(err, LoginError::ReservedClaim(name.into()));
    }
    let err = m
        .issue(&Issue::access("users", "alice").data(&[1, 2]))
        .unwrap_err();
    assert!(matches!(err, LoginError::CustomClaims(_)));
    let err = m.issue(&Issue::access("nobody", "alice")).unwrap_err();
    assert_eq!(err, LoginError::UnknownLoginType("nobody".into()));
}

#[test]
fn typed_custom_claims() {
    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Profile {
        role: String,
        tenant: u32,
    }
    let m = manager_at(T0, vec![hs("users")]);
    let profile = Profile {
        role: "editor".into(),
        tenant: 7,
    };
    let issued = m
        .issue(&Issue::access("users", "alice").data(&profile))
        .unwrap();
    let claims = m
        .verify::<Profile>(issued.expose_secret(), &TokenCheck::access("users"))
        .unwrap();
    assert_eq!(claims.custom, profile);
    let plain = m.issue(&Issue::access("users", "bob")).unwrap();
    let err = m
        .verify::<Profile>(plain.expose_secret(), &TokenCheck::access("users"))
        .unwrap_err();
    assert!(matches!(err, LoginError::CustomClaims(_)), "{err:?}");
}

#[test]
fn another_login_types_token_is_a_mismatch_whatever_its_type_or_expiry() {
    let m = two();
    let expected = |actual: &str| LoginError::LoginTypeMismatch {
        expected: "users".into(),
        actual: actual.into(),
    };
    let access = m.issue(&Issue::access("admins", "root")).unwrap();
    let refresh = m.issue(&Issue::refresh("admins", "root")).unwrap();
    let expired = m
        .issue(&Issue::access("admins", "root").lifetime(Some(Duration::ZERO)))
        .unwrap();
    for token in [&access, &refresh, &expired] {
        let err = verify(&m, token.expose_secret(), &TokenCheck::access("users")).unwrap_err();
        assert_eq!(err, expected("admins"));
    }
    // The reverse direction, HS256 token presented to the ES256 login type.
    let user = m.issue(&Issue::access("users", "alice")).unwrap();
    let err = verify(&m, user.expose_secret(), &TokenCheck::access("admins")).unwrap_err();
    assert_eq!(
        err,
        LoginError::LoginTypeMismatch {
            expected: "admins".into(),
            actual: "users".into()
        }
    );
}

#[test]
fn a_claimed_login_type_must_match_when_keys_are_shared() {
    let m = manager_at(T0, vec![hs("users"), hs("staff").kid("staff-1")]);
    // No kid (as AuthX issues), the users key verifies, but the claim says staff.
    let claims =
        json!({"sub": "a", "jti": "j", "iat": T0, "type": "access", "login_type": "staff"});
    let err = verify(&m, &forge(None, &claims), &TokenCheck::access("users")).unwrap_err();
    assert_eq!(
        err,
        LoginError::LoginTypeMismatch {
            expected: "users".into(),
            actual: "staff".into()
        }
    );
    let claims = json!({"sub": "a", "jti": "j", "iat": T0});
    let err = verify(&m, &forge(None, &claims), &TokenCheck::access("users")).unwrap_err();
    assert_eq!(
        err,
        LoginError::LoginTypeMismatch {
            expected: "users".into(),
            actual: "unknown".into()
        }
    );
    // AuthX's defaults: no `type` reads as access.
    let claims = json!({"sub": "a", "jti": "j", "iat": T0, "login_type": "users"});
    assert!(verify(&m, &forge(None, &claims), &TokenCheck::access("users")).is_ok());
}

#[test]
fn each_refusal_has_its_own_error() {
    let issued_at = manager_at(T0, vec![hs("users")]);
    let token = issued_at.issue(&Issue::access("users", "alice")).unwrap();
    let token = token.expose_secret();
    let check = TokenCheck::access("users");

    // Expired exactly at exp (PyJWT: exp <= now), valid one second before.
    let later = |secs| manager_at(secs, vec![hs("users")]);
    assert!(verify(&later(T0 + 899), token, &check).is_ok());
    assert_eq!(
        verify(&later(T0 + 900), token, &check).unwrap_err(),
        LoginError::Expired
    );

    // A bad signature: one signature byte changed.
    let (body, sig) = token.rsplit_once('.').unwrap();
    let mut sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
    sig[3] ^= 1;
    let tampered = format!("{body}.{}", URL_SAFE_NO_PAD.encode(&sig));
    assert_eq!(
        verify(&issued_at, &tampered, &check).unwrap_err(),
        LoginError::InvalidSignature
    );

    // The other kind, both ways, and freshness.
    let refresh = issued_at.issue(&Issue::refresh("users", "alice")).unwrap();
    assert_eq!(
        verify(&issued_at, refresh.expose_secret(), &check).unwrap_err(),
        LoginError::WrongTokenType {
            expected: TokenKind::Access,
            actual: "refresh".into()
        }
    );
    assert_eq!(
        verify(&issued_at, token, &TokenCheck::refresh("users")).unwrap_err(),
        LoginError::WrongTokenType {
            expected: TokenKind::Refresh,
            actual: "access".into()
        }
    );
    assert_eq!(
        verify(&issued_at, token, &TokenCheck::access("users").fresh()).unwrap_err(),
        LoginError::FreshTokenRequired
    );
    let fresh = issued_at
        .issue(&Issue::access("users", "alice").fresh(true))
        .unwrap();
    assert!(verify(&issued_at, fresh.expose_secret(), &check.clone().fresh()).is_ok());

    // A kid no login type has, an alg that is not the key's.
    let claims = json!({"sub": "a", "jti": "j", "iat": T0, "login_type": "users"});
    assert_eq!(
        verify(&issued_at, &forge(Some("nope"), &claims), &check).unwrap_err(),
        LoginError::UnknownKey("nope".into())
    );
    let m = two();
    assert_eq!(
        verify(
            &m,
            &forge(Some("admins"), &claims),
            &TokenCheck::access("admins")
        )
        .unwrap_err(),
        LoginError::AlgorithmNotAllowed("HS256".into())
    );
    assert_eq!(
        verify(&m, "x.y.z", &TokenCheck::access("ghosts")).unwrap_err(),
        LoginError::UnknownLoginType("ghosts".into())
    );
}

#[test]
fn issuer_audience_and_nbf() {
    let strict = |t: LoginType| manager_at(T0, vec![t]);
    let claims = |extra: Value| {
        let mut c = json!({"sub": "a", "jti": "j", "iat": T0, "login_type": "users"});
        c.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        forge(None, &c)
    };
    let check = TokenCheck::access("users");
    let m = strict(hs("users").issuer("https://a").audience("web"));
    assert!(
        verify(
            &m,
            &claims(json!({"iss": "https://a", "aud": ["x", "web"]})),
            &check
        )
        .is_ok()
    );
    assert_eq!(
        verify(
            &m,
            &claims(json!({"iss": "https://b", "aud": "web"})),
            &check
        )
        .unwrap_err(),
        LoginError::IssuerMismatch
    );
    assert_eq!(
        verify(&m, &claims(json!({"iss": "https://a"})), &check).unwrap_err(),
        LoginError::AudienceMismatch
    );
    let m = strict(hs("users"));
    assert_eq!(
        verify(&m, &claims(json!({"aud": "web"})), &check).unwrap_err(),
        LoginError::AudienceMismatch,
        "an audience nobody expects is refused (PyJWT)"
    );
    assert_eq!(
        verify(&m, &claims(json!({"nbf": T0 + 1})), &check).unwrap_err(),
        LoginError::NotYetValid
    );
    assert!(
        verify(
            &m,
            &claims(json!({"nbf": T0, "exp": T0 as f64 + 0.5})),
            &check
        )
        .is_ok()
    );
}

/// A blocklist that counts how often it is asked.
#[derive(Default)]
struct Counting {
    asked: AtomicUsize,
    revoked: MemoryBlocklist,
}

impl Blocklist for Counting {
    fn is_revoked(&self, login_type: &str, jti: &str) -> bool {
        self.asked.fetch_add(1, Ordering::SeqCst);
        self.revoked.is_revoked(login_type, jti)
    }
}

#[test]
fn the_blocklist_is_asked_only_after_the_signature_holds() {
    let blocklist = Arc::new(Counting::default());
    let m = manager_at(T0, vec![hs("users").blocklist(blocklist.clone())]);
    let issued = m.issue(&Issue::access("users", "alice")).unwrap();
    let check = TokenCheck::access("users");
    assert!(verify(&m, issued.expose_secret(), &check).is_ok());
    assert_eq!(blocklist.asked.load(Ordering::SeqCst), 1);

    blocklist.revoked.revoke(issued.jti.clone());
    assert_eq!(
        verify(&m, issued.expose_secret(), &check).unwrap_err(),
        LoginError::Revoked
    );
    assert_eq!(blocklist.asked.load(Ordering::SeqCst), 2);

    let forged = forge(None, &json!({"sub": "a", "jti": issued.jti, "iat": T0}));
    let forged = format!("{}x", &forged[..forged.len() - 1]);
    assert!(verify(&m, &forged, &check).is_err());
    assert_eq!(
        blocklist.asked.load(Ordering::SeqCst),
        2,
        "not asked for a bad signature"
    );
}

#[test]
fn a_previous_key_verifies_during_rotation() {
    let old = LoginKey::hs256([1u8; 32]).unwrap();
    let new = LoginKey::hs256([2u8; 32]).unwrap();
    let before = manager_at(T0, vec![LoginType::new("users", old.clone()).kid("u1")]);
    let token = before.issue(&Issue::access("users", "alice")).unwrap();
    let after = manager_at(
        T0,
        vec![
            LoginType::new("users", new)
                .kid("u2")
                .previous_key(old, "u1"),
        ],
    );
    assert!(verify(&after, token.expose_secret(), &TokenCheck::access("users")).is_ok());
    let jwks_has_no_secret = after.jwks();
    assert_eq!(jwks_has_no_secret["keys"], json!([]));
}

#[test]
fn configuration_errors() {
    let key = || LoginKey::hs256(SECRET).unwrap();
    let build = |types: Vec<LoginType>| {
        types
            .into_iter()
            .fold(LoginManager::builder(), |b, t| b.login_type(t))
            .build()
    };
    assert!(matches!(
        build(vec![LoginType::new("", key())]),
        Err(LoginError::Config(_))
    ));
    assert!(matches!(
        build(vec![hs("a"), hs("b").kid("a")]),
        Err(LoginError::Config(_))
    ));
    let es = LoginKey::generate(Algorithm::ES256).unwrap();
    assert!(matches!(
        build(vec![hs("a").previous_key(es, "a0")]),
        Err(LoginError::Config(_))
    ));
    assert!(LoginKey::hs256([0u8; 31]).is_err());
    assert!(LoginKey::generate(Algorithm::PS256).is_err());
    assert!(LoginKey::from_pkcs8_der(Algorithm::ES256, b"garbage").is_err());
    assert!(LoginKey::from_pkcs8_pem(Algorithm::EdDSA, "not pem").is_err());
}

#[test]
fn pem_keys_load() {
    use aws_lc_rs::encoding::AsDer;
    let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let der = pair.as_der().unwrap();
    let body = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        lines.join("\n")
    );
    let key = LoginKey::from_pkcs8_pem(Algorithm::RS256, &pem).unwrap();
    let m = manager_at(T0, vec![LoginType::new("rs", key)]);
    let t = m.issue(&Issue::access("rs", "a")).unwrap();
    assert!(verify(&m, t.expose_secret(), &TokenCheck::access("rs")).is_ok());
}

#[test]
fn secrets_stay_out_of_debug() {
    let m = manager_at(T0, vec![hs("users").locations([TokenLocation::Cookies])]);
    let issued = m.issue(&Issue::access("users", "alice")).unwrap();
    let pair = m.issue_pair(&Issue::access("users", "alice")).unwrap();
    let debug = format!("{m:?} {issued:?} {pair:?}");
    assert!(!debug.contains(issued.expose_secret()));
    assert!(!debug.contains(issued.csrf.as_deref().unwrap()));
    assert!(!debug.contains(pair.refresh.expose_secret()));
    assert!(!debug.contains("7, 7, 7"));
    assert_eq!(pair.to_json()["token_type"], "bearer");
}

#[test]
fn malformed_tokens_are_typed_errors() {
    let m = two();
    let b64 = |s: &str| URL_SAFE_NO_PAD.encode(s);
    let hs_header = b64(r#"{"alg":"HS256"}"#);
    let shapes = [
        String::new(),
        ".".into(),
        "..".into(),
        "a.b".into(),
        "a.b.c".into(),
        "a.b.c.d".into(),
        format!("{}.e30.", b64("{}")),
        format!("{}.e30.", b64("[]")),
        format!("{}.e30.", b64(r#"{"alg":"none"}"#)),
        format!("{}.e30.", b64(r#"{"alg":"HS256","crit":["x"]}"#)),
        format!("{}.e30.", b64(r#"{"alg":"HS256","kid":7}"#)),
        format!("{hs_header}.!!!.sig"),
        format!("{hs_header}.{}.", b64("not json")),
        "\u{0}.\u{ffff}.é".into(),
        "a".repeat(100_000),
        format!(
            "{}.{}.{}",
            "x".repeat(5000),
            "y".repeat(5000),
            "z".repeat(5000)
        ),
    ];
    for shape in &shapes {
        for check in [TokenCheck::access("users"), TokenCheck::refresh("admins")] {
            let err = verify(&m, shape, &check).unwrap_err();
            assert!(err.is_token_error(), "{err:?}");
        }
    }
    // Signed with the right key, but the claims have the wrong types.
    for claims in [
        json!({"sub": 5, "jti": "j", "iat": T0, "login_type": "users"}),
        json!({"sub": "a", "jti": "j", "iat": "now", "login_type": "users"}),
        json!({"sub": "a", "jti": "j", "iat": T0, "exp": "later", "login_type": "users"}),
        json!({"sub": "a", "jti": "j", "iat": T0, "scopes": "a b", "login_type": "users"}),
        json!({"sub": "a", "jti": "j", "iat": T0, "fresh": 1, "login_type": "users"}),
        json!({"sub": "a", "iat": T0, "login_type": "users"}),
        json!({"sub": "a", "jti": "j", "iat": T0, "aud": 1, "login_type": "users"}),
        json!({"sub": "a", "jti": "j", "iat": T0, "login_type": 1}),
        json!([1, 2]),
    ] {
        let err = verify(&m, &forge(None, &claims), &TokenCheck::access("users")).unwrap_err();
        assert!(
            matches!(
                err,
                LoginError::Malformed(_) | LoginError::LoginTypeMismatch { .. }
            ),
            "{claims}: {err:?}"
        );
    }
    assert_eq!(fuzz_verify("a.b.c"), 0);
}

fn parts(builder: http::request::Builder) -> http::request::Parts {
    builder.body(()).unwrap().into_parts().0
}

#[test]
fn tokens_are_found_in_each_location_in_order() {
    let all = [
        TokenLocation::Headers,
        TokenLocation::Cookies,
        TokenLocation::Query,
        TokenLocation::Json,
    ];
    let m = manager_at(T0, vec![hs("users").locations(all).csrf_protect(false)]);
    let t = m.issue(&Issue::access("users", "alice")).unwrap();
    let t = t.expose_secret();
    let check = TokenCheck::access("users");
    let ok = |p: &http::request::Parts, body: Option<&[u8]>| {
        m.authenticate::<Value>(p, body, &check).map(|c| c.sub)
    };
    let get = || http::Request::get("/x");
    assert_eq!(
        ok(
            &parts(get().header("authorization", format!("Bearer {t}"))),
            None
        )
        .unwrap(),
        "alice"
    );
    assert_eq!(
        ok(
            &parts(get().header("authorization", format!("bEaReR {t}"))),
            None
        )
        .unwrap(),
        "alice"
    );
    assert_eq!(
        ok(
            &parts(get().header("authorization", format!("Basic {t}"))),
            None
        )
        .unwrap_err(),
        LoginError::MissingToken
    );
    assert_eq!(
        ok(
            &parts(get().header("cookie", format!("a=b; access_token_cookie={t}"))),
            None
        )
        .unwrap(),
        "alice"
    );
    assert_eq!(
        ok(
            &parts(http::Request::get(format!("/x?a=1&token={t}"))),
            None
        )
        .unwrap(),
        "alice"
    );
    let body = json!({"access_token": t}).to_string();
    let post = || http::Request::post("/x").header("content-type", "application/json");
    assert_eq!(ok(&parts(post()), Some(body.as_bytes())).unwrap(), "alice");
    assert_eq!(
        ok(
            &parts(http::Request::post("/x").header("content-type", "text/plain")),
            Some(body.as_bytes())
        )
        .unwrap_err(),
        LoginError::MissingToken
    );
    assert_eq!(
        ok(&parts(get()), None).unwrap_err(),
        LoginError::MissingToken
    );
    // The first configured location that has a token wins, even a bad one.
    assert_eq!(
        ok(
            &parts(
                get()
                    .header("authorization", "Bearer a.b.c")
                    .header("cookie", format!("access_token_cookie={t}"))
            ),
            None
        )
        .unwrap_err(),
        LoginError::Malformed("the header is not base64url".into())
    );
    // Refresh tokens: their own cookie and JSON member.
    let r = m.issue(&Issue::refresh("users", "alice")).unwrap();
    let body = json!({"refresh_token": r.expose_secret()}).to_string();
    let claims = m
        .authenticate::<Value>(
            &parts(post()),
            Some(body.as_bytes()),
            &TokenCheck::refresh("users"),
        )
        .unwrap();
    assert_eq!(claims.kind, TokenKind::Refresh);
}

#[test]
fn cookie_tokens_need_the_csrf_double_submit_on_unsafe_methods() {
    let m = manager_at(T0, vec![hs("users").locations([TokenLocation::Cookies])]);
    let t = m.issue(&Issue::access("users", "alice")).unwrap();
    let csrf = t.csrf.clone().unwrap();
    let cookie = format!("access_token_cookie={}", t.expose_secret());
    let check = TokenCheck::access("users");
    let run = |b: http::request::Builder| {
        m.authenticate::<Value>(&parts(b.header("cookie", &cookie)), None, &check)
    };
    assert!(
        run(http::Request::get("/")).is_ok(),
        "GET needs no CSRF header"
    );
    for method in ["POST", "PUT", "PATCH", "DELETE"] {
        let b = || http::Request::builder().method(method).uri("/");
        assert_eq!(run(b()).unwrap_err(), LoginError::MissingCsrfToken);
        assert_eq!(
            run(b().header(CSRF_HEADER, "nope")).unwrap_err(),
            LoginError::CsrfMismatch
        );
        assert!(run(b().header(CSRF_HEADER, &csrf)).is_ok());
    }
}

#[test]
fn jwks_lets_other_services_verify() {
    let m = manager_at(
        T0,
        vec![
            hs("users"),
            LoginType::new("rs", LoginKey::generate(Algorithm::RS256).unwrap()),
            LoginType::new("es", LoginKey::generate(Algorithm::ES256).unwrap())
                .issuer("https://es"),
            LoginType::new("ed", LoginKey::generate(Algorithm::EdDSA).unwrap()),
        ],
    );
    let published = m.jwks();
    let kids: Vec<&str> = published["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, ["rs", "es", "ed"]);
    for k in published["keys"].as_array().unwrap() {
        assert!(k.get("d").is_none() && k.get("k").is_none(), "{k}");
    }
    let jwks = crate::oidc::Jwks::from_json(published.to_string().as_bytes()).unwrap();
    assert_eq!(jwks.len(), 3);
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(T0 + 1);
    for name in ["rs", "es", "ed"] {
        let t = m.issue(&Issue::access(name, "svc")).unwrap();
        let mut checks = JwksChecks::access(name);
        if name == "es" {
            checks.issuer = Some("https://es".into());
        }
        let claims = verify_with_jwks::<Value>(t.expose_secret(), &jwks, &checks, now).unwrap();
        assert_eq!(claims.login_type.as_deref(), Some(name));
        let wrong = JwksChecks::access("users");
        assert!(matches!(
            verify_with_jwks::<Value>(t.expose_secret(), &jwks, &wrong, now),
            Err(LoginError::LoginTypeMismatch { .. })
        ));
    }
    let hs_token = m.issue(&Issue::access("users", "a")).unwrap();
    assert!(matches!(
        verify_with_jwks::<Value>(
            hs_token.expose_secret(),
            &jwks,
            &JwksChecks::access("users"),
            now
        ),
        Err(LoginError::AlgorithmNotAllowed(_))
    ));
}
