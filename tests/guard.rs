//! The axum guard with real HTTP requests to a real axum app, in front of the project's real
//! OpenID Provider (tokens verified by introspection) and real Cerbos (the `document` policy):
//! no token, a bad token, a revoked token, allowed, denied, and the PDP down. The guard is
//! async-only (axum is), so there is one mode here.

#![cfg(feature = "axum")]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::middleware::from_fn_with_state;
use axum::routing::get;
use axum::{Extension, Router};
use idpkit::authz::authzen::Resource;
use idpkit::guard::{Caller, Guard, IntrospectionVerifier, enforce};

#[path = "support/browser.rs"]
mod browser;
#[path = "support/op.rs"]
mod op;
#[path = "support/pdp.rs"]
mod pdp;
#[path = "support/scim.rs"]
mod scim_server;

const REDIRECT: &str = "http://127.0.0.1:8976/callback";

/// Signs usr_alice in (blocking set-up) and returns her access token.
fn access_token(op: &op::TestOp, runtime: &tokio::runtime::Runtime) -> String {
    runtime.block_on(async {
        let client = idpkit::IdpClient::builder(&op.issuer, "conf-basic")
            .client_secret(op.client_secret("conf-basic").unwrap())
            .redirect_uri(REDIRECT)
            .discover()
            .await
            .unwrap();
        let options = idpkit::oidc::AuthorizationOptions {
            login_hint: Some("usr_alice".into()),
            ..idpkit::oidc::AuthorizationOptions::new(["openid", "email"])
        };
        let request = client.create_authorization_url(options).unwrap();
        let url = tokio::task::block_in_place(|| {
            browser::Browser::new().follow_until(&request.url, REDIRECT)
        });
        let agent = client.handle_callback(&url, &request).await.unwrap();
        agent.access_token().expose_secret().to_owned()
    })
}

/// The documents "database": what the resource resolver knows about each id.
fn document(kind: &str, id: Option<&str>) -> Resource {
    let id = id.unwrap_or("*");
    let resource = Resource::new(kind, id);
    match id {
        "mine" => resource.with_property("owner", "usr_alice"),
        "public" => resource
            .with_property("owner", "usr_bob")
            .with_property("public", true),
        _ => resource.with_property("owner", "usr_bob"),
    }
}

/// Serves an app whose `/documents/{id}` needs `read` on a `document`; returns its address.
async fn serve(op: &op::TestOp, pdp_url: &str) -> SocketAddr {
    serve_within(op, pdp_url, idpkit::guard::DEFAULT_GUARD_BUDGET).await
}

/// [`serve`] with a guard of this budget.
async fn serve_within(op: &op::TestOp, pdp_url: &str, budget: Duration) -> SocketAddr {
    let idp = idpkit::IdpClient::builder(&op.issuer, "conf-basic")
        .client_secret(op.client_secret("conf-basic").unwrap())
        .discover()
        .await
        .unwrap();
    let pdp = idpkit::asynch::PdpClient::builder(pdp_url).build().unwrap();
    let guard = Guard::new(IntrospectionVerifier::new(idp), pdp)
        .realm("documents")
        .budget(budget)
        .resource_resolver(|_, kind, id| {
            let resource = document(kind, id);
            Box::pin(async move { Ok(resource) })
        });
    let app = Router::new().route(
        "/documents/{id}",
        get(|Extension(p): Extension<Caller>| async move { format!("hello {}", p.subject) })
            .route_layer(from_fn_with_state(
                guard.require("document", "read"),
                enforce,
            )),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

async fn get_with(
    addr: SocketAddr,
    path: &str,
    token: Option<&str>,
) -> (u16, Option<String>, String) {
    let client = reqwest::Client::new();
    let mut request = client.get(format!("http://{addr}{path}"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, challenge, response.text().await.unwrap_or_default())
}

#[test]
fn the_guard_verifies_tokens_and_asks_the_pdp() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let op = op::TestOp::start().unwrap();
    let cerbos = pdp::TestPdp::start().unwrap();
    let token = access_token(&op, &runtime);
    runtime.block_on(async {
        let addr = serve(&op, &cerbos.base_url).await;

        let (status, challenge, _) = get_with(addr, "/documents/mine", None).await;
        assert_eq!(status, 401);
        assert_eq!(challenge.as_deref(), Some("Bearer realm=\"documents\""));

        let (status, challenge, _) = get_with(addr, "/documents/mine", Some("not-a-token")).await;
        assert_eq!(status, 401);
        assert_eq!(
            challenge.as_deref(),
            Some("Bearer realm=\"documents\", error=\"invalid_token\"")
        );

        let (status, _, body) = get_with(addr, "/documents/mine", Some(&token)).await;
        assert_eq!(
            (status, body.as_str()),
            (200, "hello usr_alice"),
            "owner may read"
        );
        let (status, _, _) = get_with(addr, "/documents/public", Some(&token)).await;
        assert_eq!(status, 200, "anyone may read a public document");
        let (status, _, _) = get_with(addr, "/documents/bobs", Some(&token)).await;
        assert_eq!(status, 403, "another user's private document");

        // A PDP that cannot be reached: fail closed.
        let dead = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            format!("http://{}", l.local_addr().unwrap())
        };
        let down = serve(&op, &dead).await;
        let (status, _, _) = get_with(down, "/documents/mine", Some(&token)).await;
        assert_eq!(status, 503);

        // A PDP that accepts connections and never answers: the guard's budget, not the
        // client's timeouts and retries, bounds the request.
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let silent_url = format!("http://{}", silent.local_addr().unwrap());
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((conn, _)) = silent.accept().await {
                held.push(conn);
            }
        });
        let budget = Duration::from_millis(800);
        let stalled = serve_within(&op, &silent_url, budget).await;
        let started = Instant::now();
        let (status, _, _) = get_with(stalled, "/documents/mine", Some(&token)).await;
        let took = started.elapsed();
        assert_eq!(status, 503);
        assert!(
            took >= budget && took < budget * 3,
            "answered after {took:?}, budget {budget:?}"
        );

        // A revoked token no longer passes.
        let idp = idpkit::IdpClient::builder(&op.issuer, "conf-basic")
            .client_secret(op.client_secret("conf-basic").unwrap())
            .discover()
            .await
            .unwrap();
        idp.revoke_token(&idpkit::AccessToken::new(token.as_str()))
            .await
            .unwrap();
        let (status, _, _) = get_with(addr, "/documents/mine", Some(&token)).await;
        assert_eq!(status, 401);
    });
}

/// Allows everything: for tests of token verification alone.
struct AllowAll;

impl idpkit::guard::Authorizer for AllowAll {
    fn is_allowed<'a>(
        &'a self,
        _: &'a idpkit::authz::authzen::EvaluationRequest,
    ) -> idpkit::guard::BoxFuture<'a, idpkit::Result<bool>> {
        Box::pin(async { Ok(true) })
    }
}

#[test]
fn jwt_access_tokens_are_verified_locally_and_remembered() {
    use idpkit::guard::{JwtVerifier, TokenVerifier};
    use idpkit::oidc::ClientCredentialsRequest;

    const API: &str = "urn:idpkit:api:jwt";
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let op = op::TestOp::start().unwrap();
    let alice_token = access_token(&op, &runtime);
    runtime.block_on(async {
        let service = idpkit::IdpClient::builder(&op.issuer, "service")
            .client_secret(op.client_secret("service").unwrap())
            .discover()
            .await
            .unwrap();
        let jwt = service
            .client_credentials(&ClientCredentialsRequest::new(["projects:read"]).resource(API))
            .await
            .unwrap();
        let jwt = jwt.access_token().expose_secret().to_owned();
        let opaque = service
            .client_credentials(&ClientCredentialsRequest::new(["projects:read"]))
            .await
            .unwrap();
        let opaque = opaque.access_token().expose_secret().to_owned();

        // The API's own client (any client of the provider will do: no secret is used).
        let api = idpkit::IdpClient::builder(&op.issuer, "conf-basic")
            .discover()
            .await
            .unwrap();
        let verifier = JwtVerifier::new(api.clone(), API);
        let caller = verifier.verify(&jwt).await.expect("a JWT access token");
        assert_eq!(caller.subject, "service");
        assert_eq!(caller.claims["client_id"], "service");
        assert!(
            caller
                .scope
                .unwrap()
                .split(' ')
                .any(|s| s == "projects:read")
        );
        let jwks_fetches = op.jwks_requests();
        for _ in 0..5 {
            verifier.verify(&jwt).await.expect("remembered");
        }
        assert_eq!(
            op.jwks_requests(),
            jwks_fetches,
            "no request to the provider"
        );

        // What is not a JWT access token for this API.
        let refused = |token: String| {
            let verifier = &verifier;
            async move { verifier.verify(&token).await.expect_err("refused") }
        };
        let err = refused(opaque.clone()).await;
        assert!(
            matches!(
                err.kind(),
                idpkit::ErrorKind::TokenValidation(idpkit::TokenValidationError::Malformed(_))
            ),
            "{err:?}"
        );
        let mut tampered = jwt.clone().into_bytes();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        let err = refused(String::from_utf8(tampered).unwrap()).await;
        assert!(
            matches!(
                err.kind(),
                idpkit::ErrorKind::TokenValidation(idpkit::TokenValidationError::InvalidSignature)
            ),
            "{err:?}"
        );
        // Signed by the provider's own key with every claim right: only `typ` decides.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let claims = serde_json::json!({
            "iss": op.issuer, "sub": "usr_alice", "aud": API, "client_id": "service",
            "iat": now, "exp": now + 300, "jti": format!("jti-{now}")
        });
        let as_id_token = op.sign(claims.clone(), serde_json::json!({"typ": "JWT"}));
        let err = refused(as_id_token).await;
        assert!(matches!(err.kind(), idpkit::ErrorKind::TokenValidation(idpkit::TokenValidationError::WrongTokenType(t)) if t == "JWT"), "{err:?}");
        let as_access_token = op.sign(claims, serde_json::json!({"typ": "at+jwt"}));
        assert_eq!(verifier.verify(&as_access_token).await.expect("at+jwt").subject, "usr_alice");
        let elsewhere = JwtVerifier::new(api.clone(), "urn:another-api");
        let err = elsewhere.verify(&jwt).await.expect_err("another audience");
        assert!(
            matches!(
                err.kind(),
                idpkit::ErrorKind::TokenValidation(idpkit::TokenValidationError::AudienceMismatch)
            ),
            "{err:?}"
        );

        // Introspection, remembering active answers: one round trip for repeated use; an
        // inactive answer is never remembered.
        let introspected = |op: &op::TestOp| op.stats()["introspection"].as_u64().unwrap();
        let remembering = idpkit::guard::IntrospectionVerifier::new(service.clone())
            .remember(100, std::time::Duration::from_secs(60));
        let before = introspected(&op);
        for _ in 0..5 {
            assert_eq!(remembering.verify(&opaque).await.expect("active").subject, "service");
        }
        assert_eq!(introspected(&op) - before, 1, "one introspection for five uses");
        for _ in 0..2 {
            remembering.verify("not-a-token").await.expect_err("inactive");
        }
        assert_eq!(introspected(&op) - before, 3, "inactive answers are asked each time");

        // Behind the guard: 200 with the JWT, 401 with the opaque token, or an ID token.
        let guard = Guard::new(JwtVerifier::new(api, API), AllowAll);
        let app = Router::new().route(
            "/reports/{id}",
            get(|Extension(p): Extension<Caller>| async move { format!("hello {}", p.subject) })
                .route_layer(from_fn_with_state(guard.require("report", "read"), enforce)),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let (status, _, body) = get_with(addr, "/reports/1", Some(&jwt)).await;
        assert_eq!((status, body.as_str()), (200, "hello service"));
        for token in [&opaque, &alice_token] {
            let (status, challenge, _) = get_with(addr, "/reports/1", Some(token)).await;
            assert_eq!(status, 401);
            assert!(challenge.unwrap().contains("invalid_token"));
        }
    });
}

#[test]
fn signed_requests_are_verified_by_the_axum_layer() {
    use idpkit::agent::{AgentKey, RequestSigner, SignatureVerifier, VerifiedSignature};
    use idpkit::guard::{SignedRequests, verify_signature};
    use std::collections::HashMap;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let agent = AgentKey::generate().unwrap();
    let agent_id = agent.key_id().to_owned();
    let keys = HashMap::from([(agent_id.clone(), agent.public_key().clone())]);
    let signed = SignedRequests::new(SignatureVerifier::new(keys));
    // The agent's own permissions, only to the agent itself.
    let app = Router::new()
        .route(
            "/v1/agents/{id}/permissions",
            get(
                |axum::extract::Path(id): axum::extract::Path<String>,
                 Extension(v): Extension<VerifiedSignature>| async move {
                    let json = [(http::header::CONTENT_TYPE, "application/json")];
                    if id == v.key_id {
                        (http::StatusCode::OK, json, r#"{"permissions":["files:*"]}"#)
                    } else {
                        (http::StatusCode::FORBIDDEN, json, "{}")
                    }
                },
            ),
        )
        .route_layer(from_fn_with_state(signed, verify_signature));
    let addr = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        addr
    });
    let base = format!("http://{addr}/v1?tenant=acme");
    let agent = std::sync::Arc::new(agent);

    // The async client, signing every request.
    runtime.block_on(async {
        let checker = idpkit::asynch::PermissionChecker::builder(&base)
            .sign_requests(RequestSigner::new(agent.clone()))
            .build()
            .unwrap();
        assert!(
            checker
                .has_permission(&agent_id, "files:read")
                .await
                .unwrap()
        );
        // Another agent's lists: the signature holds, the handler refuses.
        let err = checker
            .has_permission("someone-else", "files:read")
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(403), "{err:?}");
        // A stranger's key: the layer refuses.
        let stranger = idpkit::asynch::PermissionChecker::builder(&base)
            .sign_requests(RequestSigner::new(AgentKey::generate().unwrap()))
            .build()
            .unwrap();
        let err = stranger
            .has_permission(&agent_id, "files:read")
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(401), "{err:?}");
        // Unsigned: refused.
        let (status, _, _) =
            get_with(addr, &format!("/v1/agents/{agent_id}/permissions"), None).await;
        assert_eq!(status, 401);
    });

    // The blocking client, from a plain thread.
    #[cfg(feature = "blocking")]
    {
        let (base, agent, agent_id) = (base.clone(), agent.clone(), agent_id.clone());
        std::thread::spawn(move || {
            let checker = idpkit::blocking::PermissionChecker::builder(&base)
                .sign_requests(RequestSigner::new(agent))
                .build()
                .unwrap();
            assert!(checker.has_permission(&agent_id, "files:read").unwrap());
        })
        .join()
        .unwrap();
    }

    // A captured request: accepted once, then refused as a replay; tampered, refused.
    runtime.block_on(async {
        let url = format!("http://{addr}/v1/agents/{agent_id}/permissions?tenant=acme");
        let mut request = http::Request::get(&url).body(Vec::new()).unwrap();
        let nonce = idpkit::agent::random_nonce().unwrap();
        RequestSigner::new(agent.clone())
            .sign(&mut request, std::time::SystemTime::now(), &nonce)
            .unwrap();
        let send = |path: String| {
            let client = reqwest::Client::new();
            let mut builder = client.get(format!("http://{addr}{path}"));
            for (name, value) in request.headers() {
                builder = builder.header(name, value);
            }
            async move { builder.send().await.unwrap().status().as_u16() }
        };
        let path = format!("/v1/agents/{agent_id}/permissions?tenant=acme");
        assert_eq!(
            send(format!("/v1/agents/{agent_id}/permissions?tenant=other")).await,
            401,
            "query tampered"
        );
        assert_eq!(send(path.clone()).await, 200);
        assert_eq!(send(path).await, 401, "replayed");
    });
}

/// The billing service's permissions (the test SCIM server's extension).
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
struct Billing {
    role: String,
    max_invoices: i64,
    can_refund: bool,
    region: String,
}

impl idpkit::provisioning::ServicePermissions for Billing {
    fn permission_schema() -> idpkit::provisioning::PermissionSchema {
        use idpkit::provisioning::{Permission, PermissionSchema};
        PermissionSchema::new("billing")
            .permission(
                Permission::string("role")
                    .allowed(["viewer", "editor", "admin"])
                    .default("viewer"),
            )
            .permission(Permission::integer("maxInvoices").default(10))
            .permission(Permission::boolean("canRefund").default(false))
            .permission(Permission::string("region").default("eu"))
    }
}

/// Tokens named after their callers: `with-claims` carries the billing claim.
struct Named(String);

impl idpkit::guard::TokenVerifier for Named {
    fn verify<'a>(
        &'a self,
        token: &'a str,
    ) -> idpkit::guard::BoxFuture<'a, idpkit::Result<Caller>> {
        Box::pin(async move {
            let mut claims = serde_json::Map::new();
            let subject = match token {
                "alice" => format!("{}-alice", self.0),
                "nobody" => format!("{}-nobody", self.0),
                "with-claims" => {
                    claims.insert(
                        "billing".into(),
                        serde_json::json!({"role": "admin", "maxInvoices": 99}),
                    );
                    format!("{}-carol", self.0)
                }
                _ => return Err(idpkit::TokenValidationError::InvalidSignature.into()),
            };
            Ok(Caller {
                subject,
                scope: None,
                claims,
            })
        })
    }
}

#[test]
fn service_users_get_their_metadata_from_claims_or_scim() {
    use idpkit::guard::{ServiceUser, UserDirectory};

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let scim = scim_server::TestScim::start().unwrap();
    let prefix = format!("guard-{}", std::process::id());
    runtime.block_on(async {
        let client = idpkit::asynch::ScimClient::builder(&scim.base_url)
            .bearer_token(scim_server::TOKEN)
            .build()
            .unwrap();
        let alice = client
            .create(
                idpkit::provisioning::ResourceKind::User,
                &serde_json::json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", scim_server::BILLING_URN],
                    "userName": format!("{prefix}-alice"),
                    (scim_server::BILLING_URN): {"role": "editor", "maxInvoices": 3},
                }),
            )
            .await
            .unwrap();
        let directory = UserDirectory::<Billing>::new()
            .verifier(Named(prefix.clone()))
            .scim(client.clone());
        let app = Router::new()
            .route(
                "/me",
                get(|user: ServiceUser<Billing>| async move {
                    let m = &user.metadata;
                    format!("{} {} {} {} {}", user.caller.subject, m.role, m.max_invoices, m.can_refund, m.region)
                }),
            )
            .with_state(directory.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

        // From SCIM, declared defaults filled in.
        let (status, _, body) = get_with(addr, "/me", Some("alice")).await;
        assert_eq!((status, body.as_str()), (200, format!("{prefix}-alice editor 3 false eu").as_str()));
        // From the claims, SCIM not asked (carol has no SCIM user).
        let (status, _, body) = get_with(addr, "/me", Some("with-claims")).await;
        assert_eq!((status, body.as_str()), (200, format!("{prefix}-carol admin 99 false eu").as_str()));
        // No SCIM user: 403. No token, a bad token: 401.
        assert_eq!(get_with(addr, "/me", Some("nobody")).await.0, 403);
        assert_eq!(get_with(addr, "/me", None).await.0, 401);
        let (status, challenge, _) = get_with(addr, "/me", Some("forged")).await;
        assert_eq!(status, 401);
        assert!(challenge.unwrap().contains("invalid_token"));
        // Cached: still served after the SCIM user is gone, until forgotten.
        client
            .delete(idpkit::provisioning::ResourceKind::User, &alice.id)
            .await
            .unwrap();
        assert_eq!(get_with(addr, "/me", Some("alice")).await.0, 200);
        directory.forget(&format!("{prefix}-alice"));
        assert_eq!(get_with(addr, "/me", Some("alice")).await.0, 403);
    });
}

/// The guard as a tower layer in front of a plain `tower::service_fn` on a bare hyper server
/// (no axum router, so no path parameters: the resolver reads the URI): the same answers as
/// the axum middleware, and the inner service sees only admitted requests.
#[test]
fn the_guard_is_a_tower_layer_beyond_axum() {
    use std::convert::Infallible;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tower::Layer;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let op = op::TestOp::start().unwrap();
    let cerbos = pdp::TestPdp::start().unwrap();
    let token = access_token(&op, &runtime);
    runtime.block_on(async {
        let idp = idpkit::IdpClient::builder(&op.issuer, "conf-basic")
            .client_secret(op.client_secret("conf-basic").unwrap())
            .discover()
            .await
            .unwrap();
        let pdp = idpkit::asynch::PdpClient::builder(&cerbos.base_url)
            .build()
            .unwrap();
        let guard = Guard::new(IntrospectionVerifier::new(idp), pdp)
            .realm("documents")
            .resource_resolver(|parts, kind, id| {
                assert_eq!(id, None, "no router, no path parameters");
                let resource = document(kind, parts.uri.path().rsplit('/').next());
                Box::pin(async move { Ok(resource) })
            });
        let admitted = Arc::new(AtomicUsize::new(0));
        let seen = admitted.clone();
        let handler = tower::service_fn(move |request: http::Request<hyper::body::Incoming>| {
            seen.fetch_add(1, Ordering::SeqCst);
            let caller = request.extensions().get::<Caller>().cloned();
            async move {
                let subject = caller.map(|c| c.subject).unwrap_or_default();
                Ok::<_, Infallible>(http::Response::new(format!("hello {subject}")))
            }
        });
        let service = guard.require("document", "read").layer().layer(handler);

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let service = hyper_util::service::TowerToHyperService::new(service.clone());
                tokio::spawn(
                    hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service),
                );
            }
        });

        let (status, challenge, _) = get_with(addr, "/documents/mine", None).await;
        assert_eq!(status, 401);
        assert_eq!(challenge.as_deref(), Some("Bearer realm=\"documents\""));
        let (status, challenge, _) = get_with(addr, "/documents/mine", Some("not-a-token")).await;
        assert_eq!(status, 401);
        assert_eq!(
            challenge.as_deref(),
            Some("Bearer realm=\"documents\", error=\"invalid_token\"")
        );
        let (status, _, _) = get_with(addr, "/documents/bobs", Some(&token)).await;
        assert_eq!(status, 403, "another user's private document");
        assert_eq!(
            admitted.load(Ordering::SeqCst),
            0,
            "nothing reached the service"
        );

        let (status, _, body) = get_with(addr, "/documents/mine", Some(&token)).await;
        assert_eq!((status, body.as_str()), (200, "hello usr_alice"));
        let (status, _, _) = get_with(addr, "/documents/public", Some(&token)).await;
        assert_eq!(status, 200);
        assert_eq!(admitted.load(Ordering::SeqCst), 2);
    });
}
