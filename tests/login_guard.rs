//! The login-type guard (`idpkit::guard::login`) with real HTTP: an axum app on loopback,
//! requests with ureq. Two login types (users: HS256, header or cookie; admins: EdDSA) and a
//! local policy. Every refusal is checked on the wire: status and `WWW-Authenticate`.

#![cfg(feature = "axum")]

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::middleware::from_fn_with_state;
use axum::routing::get;
use axum::{Extension, Router};
use idpkit::authz::policy::{Evaluators, PolicyEngine};
use idpkit::guard::login::{LoginGuard, login_required};
use idpkit::login::{
    Issue, LoginClaims, LoginKey, LoginManager, LoginType, MemoryBlocklist, TokenLocation,
};
use serde_json::json;

const POLICY: &str = r#"{"rules": [
    {"effect": "allow", "actions": ["posts:read"], "resources": ["posts"]},
    {"effect": "allow", "actions": ["posts:*"], "resources": ["posts"], "scopes": ["posts:write"]},
    {"effect": "deny", "actions": ["posts:delete"], "resources": ["posts"],
     "conditions": [{"source": "subject", "key": "role", "operator": "not_equals", "value": "moderator"}],
     "reason": "only moderators delete"},
    {"effect": "allow", "actions": ["stats:read"], "resources": ["stats"],
     "conditions": [{"source": "subject", "key": "level", "operator": "gt", "value": 1}]}
]}"#;

struct App {
    addr: SocketAddr,
    manager: Arc<LoginManager>,
    blocklist: Arc<MemoryBlocklist>,
    _runtime: tokio::runtime::Runtime,
}

/// One app for every test of this file.
fn app() -> &'static App {
    static APP: OnceLock<App> = OnceLock::new();
    APP.get_or_init(|| {
        let blocklist = Arc::new(MemoryBlocklist::default());
        let users = LoginType::new("users", LoginKey::hs256([3u8; 32]).unwrap())
            .locations([TokenLocation::Headers, TokenLocation::Cookies])
            .blocklist(blocklist.clone());
        let admins = LoginType::new(
            "admins",
            LoginKey::generate(jsonwebtoken::Algorithm::EdDSA).unwrap(),
        );
        let manager = Arc::new(
            LoginManager::builder()
                .login_type(users)
                .login_type(admins)
                .build()
                .unwrap(),
        );
        let policy = PolicyEngine::from_json(POLICY).unwrap();
        let guard = LoginGuard::new(manager.clone())
            .policy(policy, Evaluators::new())
            .realm("posts");
        let layer = |requirement| from_fn_with_state(requirement, login_required);
        let who = |Extension(c): Extension<LoginClaims>| async move {
            format!("{} ({})", c.sub, c.login_type.unwrap_or_default())
        };
        let router = Router::new()
            .route(
                "/me",
                get(who).route_layer(layer(guard.access_token_required("users"))),
            )
            .route(
                "/admin",
                get(who).route_layer(layer(guard.access_token_required("admins"))),
            )
            .route(
                "/password",
                axum::routing::post(who).route_layer(layer(guard.fresh_token_required("users"))),
            )
            .route(
                "/posts",
                get(who).route_layer(layer(guard.policy_required("users", "posts:read", "posts"))),
            )
            .route(
                "/posts/new",
                axum::routing::post(who).route_layer(layer(guard.policy_required(
                    "users",
                    "posts:write",
                    "posts",
                ))),
            )
            .route(
                "/posts/old",
                axum::routing::delete(who).route_layer(layer(guard.policy_required(
                    "users",
                    "posts:delete",
                    "posts",
                ))),
            )
            .route(
                "/stats",
                get(who).route_layer(layer(guard.policy_required("users", "stats:read", "stats"))),
            );
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        runtime.spawn(async move { axum::serve(listener, router).await.unwrap() });
        App {
            addr,
            manager,
            blocklist,
            _runtime: runtime,
        }
    })
}

fn token(issue: Issue) -> String {
    app()
        .manager
        .issue(&issue)
        .unwrap()
        .expose_secret()
        .to_owned()
}

/// `(status, WWW-Authenticate, body)`.
fn call(method: &str, path: &str, headers: &[(&str, &str)]) -> (u16, Option<String>, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let mut request = http::Request::builder()
        .method(method)
        .uri(format!("http://{}{path}", app().addr));
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let mut response = agent.run(request.body(()).unwrap()).unwrap();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.body_mut().read_to_string().unwrap_or_default();
    (response.status().as_u16(), challenge, body)
}

/// The token with the first character of its signature changed.
fn tamper(token: &str) -> String {
    let (head, sig) = token.rsplit_once('.').unwrap();
    let flipped = if sig.starts_with('A') { "B" } else { "A" };
    format!("{head}.{flipped}{}", &sig[1..])
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

const INVALID: &str = r#"Bearer realm="posts", error="invalid_token""#;

#[test]
fn access_token_required_answers_401_with_rfc6750_challenges() {
    let (status, challenge, _) = call("GET", "/me", &[]);
    assert_eq!(
        (status, challenge.as_deref()),
        (401, Some(r#"Bearer realm="posts""#))
    );

    let alice = token(Issue::access("users", "alice"));
    let (status, _, body) = call("GET", "/me", &[("authorization", &bearer(&alice))]);
    assert_eq!((status, body.as_str()), (200, "alice (users)"));

    let refused = [
        ("garbage", "not-a-token".to_owned()),
        (
            "expired",
            token(Issue::access("users", "alice").lifetime(Some(Duration::ZERO))),
        ),
        ("refresh", token(Issue::refresh("users", "alice"))),
        ("other login type", token(Issue::access("admins", "root"))),
        ("tampered", tamper(&alice)),
    ];
    for (what, t) in &refused {
        let (status, challenge, _) = call("GET", "/me", &[("authorization", &bearer(t))]);
        assert_eq!(
            (status, challenge.as_deref()),
            (401, Some(INVALID)),
            "{what}"
        );
    }

    let root = token(Issue::access("admins", "root"));
    let (status, _, body) = call("GET", "/admin", &[("authorization", &bearer(&root))]);
    assert_eq!((status, body.as_str()), (200, "root (admins)"));
    let (status, challenge, _) = call("GET", "/admin", &[("authorization", &bearer(&alice))]);
    assert_eq!((status, challenge.as_deref()), (401, Some(INVALID)));
}

#[test]
fn revoked_and_stale_tokens_are_refused() {
    let issued = app()
        .manager
        .issue(&Issue::access("users", "carol"))
        .unwrap();
    let auth = bearer(issued.expose_secret());
    assert_eq!(call("GET", "/me", &[("authorization", &auth)]).0, 200);
    app().blocklist.revoke(issued.jti.clone());
    let (status, challenge, _) = call("GET", "/me", &[("authorization", &auth)]);
    assert_eq!((status, challenge.as_deref()), (401, Some(INVALID)));

    let stale = token(Issue::access("users", "alice"));
    let fresh = token(Issue::access("users", "alice").fresh(true));
    assert_eq!(
        call("POST", "/password", &[("authorization", &bearer(&stale))]).0,
        401
    );
    assert_eq!(
        call("POST", "/password", &[("authorization", &bearer(&fresh))]).0,
        200
    );
}

#[test]
fn cookie_tokens_need_the_csrf_header_on_posts() {
    let issued = app()
        .manager
        .issue(&Issue::access("users", "dave").scopes(["posts:write"]))
        .unwrap();
    let cookie = format!("access_token_cookie={}", issued.expose_secret());
    let csrf = issued.csrf.clone().unwrap();
    assert_eq!(call("GET", "/me", &[("cookie", &cookie)]).0, 200);
    let (status, challenge, _) = call("POST", "/posts/new", &[("cookie", &cookie)]);
    assert_eq!((status, challenge.as_deref()), (401, Some(INVALID)));
    let forged = [("cookie", cookie.as_str()), ("x-csrf-token", "forged")];
    assert_eq!(call("POST", "/posts/new", &forged).0, 401);
    let good = [("cookie", cookie.as_str()), ("x-csrf-token", csrf.as_str())];
    assert_eq!(call("POST", "/posts/new", &good).0, 200);
}

#[test]
fn policy_required_answers_403_on_deny_and_500_without_a_decision() {
    let reader = token(Issue::access("users", "erin"));
    let writer = token(Issue::access("users", "erin").scopes(["posts:write"]));
    let moderator = token(
        Issue::access("users", "mo")
            .scopes(["posts:write"])
            .data(&json!({"role": "moderator"})),
    );
    let as_ = |t: &str| bearer(t);
    assert_eq!(
        call("GET", "/posts", &[("authorization", &as_(&reader))]).0,
        200
    );
    assert_eq!(
        call("POST", "/posts/new", &[("authorization", &as_(&reader))]).0,
        403
    );
    assert_eq!(
        call("POST", "/posts/new", &[("authorization", &as_(&writer))]).0,
        200
    );
    assert_eq!(
        call("DELETE", "/posts/old", &[("authorization", &as_(&writer))]).0,
        403,
        "the deny rule wins over the scoped allow"
    );
    let (status, _, body) = call(
        "DELETE",
        "/posts/old",
        &[("authorization", &as_(&moderator))],
    );
    assert_eq!((status, body.as_str()), (200, "mo (users)"));
    // No token at all on a policy route: 401, not 403.
    assert_eq!(call("GET", "/posts", &[]).0, 401);

    // A condition comparing a string with a number: no decision, 500 (never an allow).
    let odd = token(Issue::access("users", "x").data(&json!({"level": "5"})));
    assert_eq!(
        call("GET", "/stats", &[("authorization", &as_(&odd))]).0,
        500
    );
    let high = token(Issue::access("users", "x").data(&json!({"level": 5})));
    assert_eq!(
        call("GET", "/stats", &[("authorization", &as_(&high))]).0,
        200
    );
    let low = token(Issue::access("users", "x").data(&json!({"level": 1})));
    assert_eq!(
        call("GET", "/stats", &[("authorization", &as_(&low))]).0,
        403
    );
}
