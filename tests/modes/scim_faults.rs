// The SCIM client against faults a real SCIM server will not produce on demand: a 500 that is
// retried, garbage, a slow server, 403, a server that ignores `count` or `startIndex`, and the
// request shapes (bearer token, SCIM content type, If-Match, the PATCH message). Compiled once
// per mode by `tests/clients.rs`; mockito serves the endpoints (a plain `TcpListener` thread
// plays the slow server).

use std::time::{Duration, Instant};

use idpkit::ErrorKind;
use idpkit::http::RetryPolicy;
use idpkit::provisioning::{
    ListQuery, MetadataPatch, Permission, PermissionSchema, ResourceKind, ScimError,
};
use mockito::Matcher;
use serde_json::json;

use super::common::metadata;
use super::{idp, maybe_async};
use crate::hanging::hanging_server;

const TOKEN: &str = "fault-token";

fn client(server: &mockito::ServerGuard) -> idp::ScimClient {
    idp::ScimClient::builder(format!("{}/scim/v2", server.url()))
        .bearer_token(TOKEN)
        .retry_policy(RetryPolicy::new(
            1,
            Duration::from_millis(10),
            Duration::from_millis(20),
        ))
        .build()
        .expect("build")
}

fn user_body(id: &str) -> String {
    json!({"id": id, "userName": "u", "meta": {"version": "W/\"7\""}}).to_string()
}

#[test]
fn a_500_is_retried_and_then_typed() {
    let mut server = mockito::Server::new();
    let fail = server
        .mock("GET", "/scim/v2/Users/u1")
        .match_header("authorization", format!("Bearer {TOKEN}").as_str())
        .with_status(500)
        .with_header("content-type", "application/scim+json")
        .with_body(r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"500","detail":"db down"}"#)
        .expect(1)
        .create();
    let ok = server
        .mock("GET", "/scim/v2/Users/u1")
        .with_status(200)
        .with_header("content-type", "application/scim+json")
        .with_body(user_body("u1"))
        .expect(1)
        .create();
    // Always 500: a typed, retryable SCIM error after the retry.
    let always = server
        .mock("GET", "/scim/v2/Users/u2")
        .with_status(500)
        .with_header("content-type", "application/scim+json")
        .with_body(r#"{"status":"500","detail":"db down"}"#)
        .expect(2)
        .create();
    run!(a_500_body(client(&server)));
    fail.assert();
    ok.assert();
    always.assert();
}

#[maybe_async]
async fn a_500_body(scim: idp::ScimClient) {
    let user = scim.get(ResourceKind::User, "u1").await.unwrap();
    assert_eq!(user.version.as_deref(), Some("W/\"7\""));
    let err = scim.get(ResourceKind::User, "u2").await.unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::Scim(ScimError::Response {
            status: 500,
            scim_type: None,
            detail: Some("db down".into())
        })
    );
    assert!(err.is_retryable());
}

#[test]
fn garbage_and_403_are_typed_errors() {
    let mut server = mockito::Server::new();
    let _html = server
        .mock("GET", "/scim/v2/ServiceProviderConfig")
        .with_status(200)
        .with_header("content-type", "text/html")
        .with_body("<html>login</html>")
        .create();
    let _json = server
        .mock("GET", "/scim/v2/Users/u1")
        .with_status(200)
        .with_header("content-type", "application/scim+json")
        .with_body(r#"{"userName": "no id"}"#)
        .create();
    let _truncated = server
        .mock("GET", Matcher::Regex("^/scim/v2/Users\\?".into()))
        .with_status(200)
        .with_header("content-type", "application/scim+json")
        .with_body(r#"{"totalResults": 3, "Resources": [{"id""#)
        .create();
    let _forbidden = server
        .mock("DELETE", "/scim/v2/Users/u1")
        .with_status(403)
        .with_header("content-type", "application/scim+json")
        .with_body(r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"403","detail":"not yours"}"#)
        .create();
    run!(garbage_body(client(&server)));
}

#[maybe_async]
async fn garbage_body(scim: idp::ScimClient) {
    let err = scim.service_provider_config().await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::MalformedResponse { .. }), "{err:?}");
    let err = scim.get(ResourceKind::User, "u1").await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::MalformedResponse { .. }), "{err:?}");
    let err = scim
        .list(ResourceKind::User, ListQuery::new())
        .next_page()
        .await
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::MalformedResponse { .. }), "{err:?}");
    let err = scim.delete(ResourceKind::User, "u1").await.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Scim(ScimError::Response { status: 403, .. })),
        "{err:?}"
    );
    assert!(!err.is_retryable());
}

#[maybe_async]
async fn slow_body() {
    let scim = idp::ScimClient::builder(format!("{}/scim/v2", hanging_server()))
        .bearer_token(TOKEN)
        .timeout(Duration::from_millis(300))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let started = Instant::now();
    let err = scim.service_provider_config().await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn a_slow_server_times_out() {
    run!(slow_body());
}

fn page(start: u64, total: u64, ids: &[&str]) -> String {
    let resources: Vec<_> = ids.iter().map(|id| json!({"id": id})).collect();
    json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": ids.len(),
        "Resources": resources,
    })
    .to_string()
}

#[test]
fn a_server_that_ignores_count_or_start_index() {
    let mut server = mockito::Server::new();
    // Asked for 2 a page, it sends 3: followed by what it sent.
    let first = server
        .mock("GET", "/scim/v2/Users")
        .match_query(Matcher::AllOf(vec![
            Matcher::UrlEncoded("startIndex".into(), "1".into()),
            Matcher::UrlEncoded("count".into(), "2".into()),
            Matcher::UrlEncoded("filter".into(), "active eq true".into()),
        ]))
        .with_header("content-type", "application/scim+json")
        .with_body(page(1, 5, &["a", "b", "c"]))
        .expect(1)
        .create();
    let second = server
        .mock("GET", "/scim/v2/Users")
        .match_query(Matcher::UrlEncoded("startIndex".into(), "4".into()))
        .with_header("content-type", "application/scim+json")
        .with_body(page(4, 5, &["d", "e"]))
        .expect(1)
        .create();
    // Ignores startIndex: always the first page. An error, not an endless walk.
    let groups = server
        .mock("GET", "/scim/v2/Groups")
        .match_query(Matcher::Any)
        .with_header("content-type", "application/scim+json")
        .with_body(page(1, 10, &["g1", "g2"]))
        .expect(2)
        .create();
    run!(paging_faults_body(client(&server)));
    first.assert();
    second.assert();
    groups.assert();
}

#[maybe_async]
async fn paging_faults_body(scim: idp::ScimClient) {
    let query = ListQuery::new().filter("active eq true").count(2);
    let all = scim
        .list(ResourceKind::User, query)
        .collect_all()
        .await
        .unwrap();
    let ids: Vec<&str> = all.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c", "d", "e"]);
    let mut pager = scim.list(ResourceKind::Group, ListQuery::new());
    let first = pager.next_page().await.unwrap().unwrap();
    assert_eq!(first.resources.len(), 2);
    let err = pager.next_page().await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::MalformedResponse { .. }), "{err:?}");
    assert!(pager.is_done());
    let after = pager.next_page().await.unwrap();
    assert!(after.is_none());
}

fn role_schema() -> PermissionSchema {
    PermissionSchema::new("billing")
        .permission(Permission::string("role").allowed(["viewer", "editor"]))
}

#[test]
fn request_shapes_and_a_stored_value_outside_the_schema() {
    let mut server = mockito::Server::new();
    let schema = role_schema();
    let patch = server
        .mock("PATCH", "/scim/v2/Users/u%201")
        .match_header("authorization", format!("Bearer {TOKEN}").as_str())
        .match_header("content-type", "application/scim+json")
        .match_header("if-match", "W/\"7\"")
        .match_body(Matcher::Json(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {"op": "replace", "path": format!("{}:role", schema.urn()), "value": "editor"},
                {"op": "remove", "path": format!("{}:role", schema.urn())},
            ],
        })))
        .with_status(204)
        .expect(1)
        .create();
    let metadata = server
        .mock("GET", "/scim/v2/Users/u1")
        .match_query(Matcher::UrlEncoded("attributes".into(), schema.urn().into()))
        .with_header("content-type", "application/scim+json")
        .with_body(json!({"id": "u1", (schema.urn()): {"role": "owner"}}).to_string())
        .create();
    run!(request_shapes_body(client(&server)));
    patch.assert();
    metadata.assert();
}

#[maybe_async]
async fn request_shapes_body(scim: idp::ScimClient) {
    let schema = role_schema();
    let body = MetadataPatch::new(&schema)
        .replace("role", "editor")
        .unwrap()
        .remove("role")
        .unwrap()
        .if_match("W/\"7\"");
    let answer = scim.set_metadata("u 1", &body).await.unwrap();
    assert!(answer.is_none());
    // A stored value outside the declared ones is a typed metadata error.
    #[derive(serde::Serialize, serde::Deserialize, Debug)]
    struct Role {
        role: Option<String>,
    }
    impl idpkit::provisioning::ServicePermissions for Role {
        fn permission_schema() -> PermissionSchema {
            role_schema()
        }
    }
    let err = scim.metadata::<Role>("u1").await.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Scim(ScimError::Metadata { attribute, .. }) if attribute == "role"),
        "{err:?}"
    );
    // Never a token in Debug.
    assert!(!format!("{scim:?}").contains(TOKEN));
}

#[test]
fn bad_settings_are_config_errors() {
    for builder in [
        idp::ScimClient::builder("https://idp.example/scim/v2").bearer_token(""),
        idp::ScimClient::builder("http://idp.example/scim/v2"),
        idp::ScimClient::builder("https://idp.example/scim/v2?tenant=a"),
        idp::ScimClient::builder("not a url"),
        idp::ScimClient::builder("https://idp.example/scim/v2").timeout(Duration::ZERO),
    ] {
        let err = builder.build().unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::Config { .. }), "{err:?}");
    }
    let ok = idp::ScimClient::builder("https://idp.example/scim/v2/")
        .build()
        .unwrap();
    assert_eq!(ok.base_url().as_str(), "https://idp.example/scim/v2/");
}

#[maybe_async]
async fn two_reads(scim: idp::ScimClient) {
    let user = scim.get(ResourceKind::User, "u1").await.unwrap();
    assert_eq!(user.id, "u1");
    scim.get(ResourceKind::User, "u1").await.unwrap();
}

#[test]
fn client_credentials_from_the_cache_and_a_401_fetches_a_new_token_once() {
    let mut server = mockito::Server::new();
    let tokens = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = std::sync::Arc::clone(&tokens);
    let _token = server
        .mock("POST", "/token")
        .match_body(Matcher::UrlEncoded("scope".into(), "scim".into()))
        .with_header("content-type", "application/json")
        .with_body_from_request(move |_| {
            let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            format!(r#"{{"access_token":"at-{n}","token_type":"Bearer","expires_in":300}}"#)
                .into_bytes()
        })
        .create();
    let stale = server
        .mock("GET", "/scim/v2/Users/u1")
        .match_header("authorization", "Bearer at-1")
        .with_status(401)
        .with_header("content-type", "application/scim+json")
        .with_body(r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"401"}"#)
        .expect(1)
        .create();
    let fresh = server
        .mock("GET", "/scim/v2/Users/u1")
        .match_header("authorization", "Bearer at-2")
        .with_header("content-type", "application/scim+json")
        .with_body(user_body("u1"))
        .expect(2)
        .create();
    let issuer = server.url();
    let idp_client = idp::IdpClient::builder(&issuer, "svc")
        .client_secret("svc-secret")
        .build_with_metadata(metadata(&issuer, &format!("{issuer}/token")))
        .expect("idp client");
    let scim = idp::ScimClient::builder(format!("{issuer}/scim/v2"))
        .client_credentials(
            idp_client,
            idpkit::service_token::TokenCache::new(),
            idpkit::oidc::ClientCredentialsRequest::new(["scim"]),
        )
        .build()
        .unwrap();
    run!(two_reads(scim));
    // at-1 was refused once and dropped; at-2 served both reads.
    assert_eq!(tokens.load(std::sync::atomic::Ordering::SeqCst), 2);
    stale.assert();
    fresh.assert();
}
