//! Login-type tokens against independent implementations:
//!
//! - HS256, both ways, with the real AuthX 1.7.1 (PyPI, `tests/interop/authx_login.py` in
//!   target/py-venv; its AuthManager's whole verification path, called directly, no server): the
//!   same matrix of tokens (idpkit's and AuthX's; access, refresh, fresh, expired, tampered,
//!   of the other login type) is verified by both, and both must give the same answer, except
//!   the two cases the spec (part B3) marks: a refresh or expired token of another login type is
//!   a mismatch in idpkit (AuthX: "access token required" / "invalid signature").
//! - RS256, ES256 and EdDSA tokens verify in the npm package `jose` (tests/op/node_modules,
//!   `tests/interop/jose_verify.mjs`) with the JWKS the manager publishes, and tampered ones fail.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use idpkit::login::{
    Issue, LoginClaims, LoginError, LoginKey, LoginManager, LoginType, TokenCheck, TokenKind,
};
use jsonwebtoken::Algorithm;
use serde_json::{Map, Value, json};

const USERS_SECRET: &str = "users-secret-0123456789abcdefghijklmnop";
const ADMINS_SECRET: &str = "admins-secret-0123456789abcdefghijklmno";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `program script` with `input` on stdin; its stdout as JSON.
fn run(program: PathBuf, script: &str, input: &Value) -> Value {
    let mut child = Command::new(&program)
        .arg(root().join(script))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", program.display()));
    let mut stdin = child.stdin.take().unwrap();
    let text = input.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(text.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "{script} failed");
    serde_json::from_slice(&out.stdout).unwrap()
}

fn authx(input: &Value) -> Value {
    let python = root().join("target/py-venv/bin/python");
    assert!(
        python.exists(),
        "target/py-venv missing: run scripts/setup-python.sh"
    );
    let reply = run(python, "tests/interop/authx_login.py", input);
    assert_eq!(reply["version"], "1.7.1");
    reply
}

fn manager() -> LoginManager {
    LoginManager::builder()
        .login_type(LoginType::new(
            "users",
            LoginKey::hs256(USERS_SECRET).unwrap(),
        ))
        .login_type(LoginType::new(
            "admins",
            LoginKey::hs256(ADMINS_SECRET).unwrap(),
        ))
        .build()
        .unwrap()
}

/// idpkit's answer in AuthX's words (its exception class names).
fn class(result: &Result<LoginClaims, LoginError>) -> Value {
    match result {
        Ok(_) => json!("ok"),
        Err(LoginError::LoginTypeMismatch { expected, actual }) => {
            json!(["LoginTypeMismatchError", expected, actual])
        }
        Err(LoginError::WrongTokenType {
            expected: TokenKind::Access,
            ..
        }) => json!("AccessTokenRequiredError"),
        Err(LoginError::WrongTokenType {
            expected: TokenKind::Refresh,
            ..
        }) => json!("RefreshTokenRequiredError"),
        Err(LoginError::FreshTokenRequired) => json!("FreshTokenRequiredError"),
        Err(LoginError::Expired) => json!("TokenExpiredError"),
        Err(LoginError::InvalidSignature) => json!("TokenInvalidSignatureError"),
        Err(LoginError::Malformed(_)) => json!("JWTDecodeError"),
        Err(other) => json!(format!("idpkit:{other:?}")),
    }
}

fn authx_class(answer: &Value) -> Value {
    match answer["error"].as_str() {
        None => json!("ok"),
        Some("LoginTypeMismatchError") => {
            json!([
                "LoginTypeMismatchError",
                answer["expected"],
                answer["actual"]
            ])
        }
        Some(name) => json!(name),
    }
}

/// One token to verify, as what, and whether the two may differ (spec B3's marked cases).
struct Case {
    label: String,
    token: String,
    login_type: &'static str,
    kind: TokenKind,
    fresh: bool,
    deliberate: Option<(&'static str, &'static str)>,
}

fn tamper(token: &str) -> String {
    let (head, sig) = token.rsplit_once('.').unwrap();
    let flipped = if sig.starts_with('A') { "B" } else { "A" };
    format!("{head}.{flipped}{}", &sig[1..])
}

/// The verification matrix for one issuer's tokens (`own` = a login type, `other` = the other).
fn matrix(
    source: &str,
    tokens: &[(&str, String)],
    own: &'static str,
    other: &'static str,
) -> Vec<Case> {
    let get = |name: &str| tokens.iter().find(|(n, _)| *n == name).unwrap().1.clone();
    let case = |label: &str, token: String, login_type, kind, fresh, deliberate| Case {
        label: format!("{source}: {label}"),
        token,
        login_type,
        kind,
        fresh,
        deliberate,
    };
    use TokenKind::{Access, Refresh};
    vec![
        case("access", get("access"), own, Access, false, None),
        case(
            "fresh access, fresh required",
            get("fresh"),
            own,
            Access,
            true,
            None,
        ),
        case(
            "access, fresh required",
            get("access"),
            own,
            Access,
            true,
            None,
        ),
        case(
            "refresh as refresh",
            get("refresh"),
            own,
            Refresh,
            false,
            None,
        ),
        case(
            "refresh as access",
            get("refresh"),
            own,
            Access,
            false,
            None,
        ),
        case(
            "access as refresh",
            get("access"),
            own,
            Refresh,
            false,
            None,
        ),
        case("expired", get("expired"), own, Access, false, None),
        case("tampered", tamper(&get("access")), own, Access, false, None),
        case("not a JWT", "not-a-jwt".into(), own, Access, false, None),
        case(
            "other login type",
            get("access"),
            other,
            Access,
            false,
            None,
        ),
        case(
            "other login type, refresh",
            get("refresh"),
            other,
            Access,
            false,
            Some(("AccessTokenRequiredError", "LoginTypeMismatchError")),
        ),
        case(
            "other login type, expired",
            get("expired"),
            other,
            Access,
            false,
            Some(("TokenInvalidSignatureError", "LoginTypeMismatchError")),
        ),
    ]
}

#[test]
fn hs256_tokens_interoperate_with_authx_both_ways() {
    let m = manager();
    let data = json!({"role": "editor", "tenant": 7});
    let scopes = ["posts:read", "posts:*"];
    let ours = |login_type: &str| -> Vec<(&'static str, String)> {
        let issue = |i: Issue| m.issue(&i).unwrap().expose_secret().to_owned();
        let base = || {
            Issue::access(login_type, "alice")
                .scopes(scopes)
                .data(&data)
        };
        vec![
            ("access", issue(base())),
            ("fresh", issue(base().fresh(true))),
            (
                "refresh",
                issue(Issue::refresh(login_type, "alice").data(&data)),
            ),
            ("expired", issue(base().lifetime(Some(Duration::ZERO)))),
        ]
    };
    let secrets = json!({"users": USERS_SECRET, "admins": ADMINS_SECRET});
    let spec = |login_type: &str, kind: &str, fresh: bool, expired: bool| {
        json!({"login_type": login_type, "uid": "bob", "type": kind, "fresh": fresh,
               "scopes": scopes, "data": data, "expired": expired})
    };
    let mut issue_specs = Vec::new();
    for lt in ["users", "admins"] {
        issue_specs.extend([
            spec(lt, "access", false, false),
            spec(lt, "access", true, false),
            spec(lt, "refresh", false, false),
            spec(lt, "access", false, true),
        ]);
    }
    let reply = authx(&json!({"secrets": secrets, "issue": issue_specs}));
    let theirs: Vec<String> = serde_json::from_value(reply["issued"].clone()).unwrap();
    let names = ["access", "fresh", "refresh", "expired"];
    let authx_tokens = |offset: usize| -> Vec<(&'static str, String)> {
        names
            .iter()
            .zip(&theirs[offset..offset + 4])
            .map(|(n, t)| (*n, t.clone()))
            .collect()
    };

    let mut cases = Vec::new();
    cases.extend(matrix("idpkit users", &ours("users"), "users", "admins"));
    cases.extend(matrix("idpkit admins", &ours("admins"), "admins", "users"));
    cases.extend(matrix("AuthX users", &authx_tokens(0), "users", "admins"));
    cases.extend(matrix("AuthX admins", &authx_tokens(4), "admins", "users"));

    let verify: Vec<Value> = cases
        .iter()
        .map(|c| json!({"token": c.token, "login_type": c.login_type, "type": c.kind, "fresh": c.fresh}))
        .collect();
    let reply = authx(&json!({"secrets": secrets, "verify": verify}));
    let answers = reply["verified"].as_array().unwrap();
    assert_eq!(answers.len(), cases.len());

    let (mut same, mut ok) = (0, 0);
    for (c, answer) in cases.iter().zip(answers) {
        let mut check = TokenCheck::access(c.login_type);
        if c.kind == TokenKind::Refresh {
            check = TokenCheck::refresh(c.login_type);
        }
        if c.fresh {
            check = check.fresh();
        }
        let result = m.verify::<Map<String, Value>>(&c.token, &check);
        let (ours, theirs) = (class(&result), authx_class(answer));
        match c.deliberate {
            None => {
                assert_eq!(ours, theirs, "{}", c.label);
                same += 1;
            }
            Some((authx_says, idpkit_says)) => {
                assert_eq!(theirs, json!(authx_says), "{}: AuthX", c.label);
                assert_eq!(ours[0], json!(idpkit_says), "{}: idpkit", c.label);
            }
        }
        // Verified by both: the same claims.
        if let (Ok(claims), Some(theirs)) = (&result, answer.get("ok")) {
            ok += 1;
            let ours = serde_json::to_value(claims).unwrap();
            for name in [
                "sub",
                "jti",
                "type",
                "fresh",
                "csrf",
                "scopes",
                "login_type",
                "role",
                "tenant",
                "iat",
            ] {
                assert_eq!(ours[name], theirs[name], "{}: claim {name}", c.label);
            }
            let exp = theirs["exp"].as_f64().unwrap();
            assert_eq!(ours["exp"].as_u64().unwrap(), exp as u64, "{}", c.label);
        }
    }
    // 4 issuers × 12 cases, 2 of each marked; 3 of each verify (access, fresh, refresh).
    assert_eq!((same, ok), (40, 12));
}

fn node() -> PathBuf {
    std::env::var_os("NODE").map_or_else(|| PathBuf::from("node"), PathBuf::from)
}

#[test]
fn asymmetric_tokens_verify_in_jose() {
    assert!(
        root().join("tests/op/node_modules/jose").exists(),
        "run `npm ci` in tests/op"
    );
    let mut builder = LoginManager::builder();
    let algs = [
        ("rs", Algorithm::RS256),
        ("es", Algorithm::ES256),
        ("ed", Algorithm::EdDSA),
    ];
    for (name, alg) in algs {
        builder = builder.login_type(LoginType::new(name, LoginKey::generate(alg).unwrap()));
    }
    let m = builder.build().unwrap();
    let mut cases = Vec::new();
    let mut expect = Vec::new();
    for (name, alg) in algs {
        let token = m
            .issue(
                &Issue::access(name, "svc-1")
                    .scopes(["jobs:run"])
                    .data(&json!({"team": "ops"})),
            )
            .unwrap();
        let alg = serde_json::to_value(alg).unwrap();
        cases.push(json!({"token": token.expose_secret(), "algorithms": [alg]}));
        expect.push(Some((name, token.jti.clone())));
        cases.push(json!({"token": tamper(token.expose_secret()), "algorithms": [alg]}));
        expect.push(None);
    }
    let reply = run(
        node(),
        "tests/interop/jose_verify.mjs",
        &json!({"jwks": m.jwks(), "cases": cases}),
    );
    assert!(reply["version"].as_str().unwrap().starts_with("6."));
    let answers = reply["answers"].as_array().unwrap();
    assert_eq!(answers.len(), expect.len());
    for (answer, expect) in answers.iter().zip(expect) {
        match expect {
            Some((name, jti)) => {
                let ok = &answer["ok"];
                assert_eq!(ok["header"]["kid"], name, "{answer}");
                assert_eq!(ok["payload"]["login_type"], name);
                assert_eq!(ok["payload"]["jti"], jti.as_str());
                assert_eq!(ok["payload"]["sub"], "svc-1");
                assert_eq!(ok["payload"]["team"], "ops");
            }
            None => assert_eq!(
                answer["error"], "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
                "{answer}"
            ),
        }
    }
}
