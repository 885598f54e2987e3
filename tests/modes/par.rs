// Pushed authorization requests (RFC 9126) end to end, compiled once per mode by
// `tests/clients.rs`: against the project's real provider (PAR on as an option, a client
// registered to require it, a second provider requiring it of everyone), and against mockito for
// answers the provider never gives.

use idpkit::oidc::{AuthMethod, AuthorizationOptions, AuthorizationRequest, Principal};
use idpkit::{ErrorKind, OAuthErrorCode, Result};

use super::common::{discover, handle_callback, metadata};
use super::{idp, maybe_async};
use crate::{browser, op, par_provider, provider};

const REDIRECT: &str = "http://127.0.0.1:8976/callback";

#[maybe_async]
async fn client(
    op: &op::TestOp,
    client_id: &str,
    method: Option<AuthMethod>,
    push: bool,
) -> idp::IdpClient {
    let mut builder = idp::IdpClient::builder(&op.issuer, client_id)
        .redirect_uri(REDIRECT)
        .pushed_authorization_requests(push);
    if let Some(secret) = op.client_secret(client_id) {
        builder = builder.client_secret(secret);
    }
    if let Some(method) = method {
        builder = builder.auth_method(method);
    }
    discover(builder).await.expect("discovery")
}

fn options(login_hint: &str) -> AuthorizationOptions {
    AuthorizationOptions {
        login_hint: Some(login_hint.into()),
        ..AuthorizationOptions::new(["openid", "email"])
    }
}

#[maybe_async]
async fn start_sign_in(client: &idp::IdpClient, login_hint: &str) -> Result<AuthorizationRequest> {
    client.start_sign_in(options(login_hint)).await
}

#[maybe_async]
async fn push(client: &idp::IdpClient, login_hint: &str) -> Result<AuthorizationRequest> {
    client.push_authorization_request(options(login_hint)).await
}

/// Walks the provider's pages from the request's URL and completes the sign-in.
#[maybe_async]
async fn finish(client: &idp::IdpClient, request: &AuthorizationRequest) -> Result<Principal> {
    let callback = browser::Browser::new().follow_until(&request.url, REDIRECT);
    handle_callback(client, &callback, request).await
}

/// The URL of a pushed request: the authorization endpoint with `client_id` and `request_uri`
/// only.
fn assert_pushed(client: &idp::IdpClient, request: &AuthorizationRequest) {
    let url = url::Url::parse(&request.url).unwrap();
    let names: Vec<String> = url.query_pairs().map(|(n, _)| n.into_owned()).collect();
    assert_eq!(names, ["client_id", "request_uri"], "{}", request.url);
    assert!(request.url.starts_with(&client.metadata().authorization_endpoint));
    let request_uri = url.query_pairs().find(|(n, _)| n == "request_uri").unwrap().1;
    assert!(request_uri.starts_with("urn:ietf:params:oauth:request_uri:"), "{request_uri}");
}

#[test]
fn pushed_sign_in_with_basic_authentication() {
    let op = provider();
    let client = run!(client(op, "conf-basic", None, true));
    let request = run!(start_sign_in(&client, "usr_alice")).expect("pushed");
    assert_pushed(&client, &request);
    let err = client.create_authorization_url(options("usr_alice")).expect_err("must push");
    assert!(matches!(err.kind(), ErrorKind::Config { .. }), "{err:?}");
    let principal = run!(finish(&client, &request)).expect("signed in");
    assert_eq!(principal.id(), "usr_alice");
    assert_eq!(principal.email(), Some("alice@example.com"));
}

#[test]
fn pushed_sign_in_with_post_authentication_and_as_a_public_client() {
    let op = provider();
    for (client_id, method, hint) in [
        ("conf-post", Some(AuthMethod::ClientSecretPost), "usr_bob"),
        ("public", None, "usr_carol"),
    ] {
        let client = run!(client(op, client_id, method, false));
        let request = run!(push(&client, hint)).expect("pushed");
        assert_pushed(&client, &request);
        let principal = run!(finish(&client, &request)).expect("signed in");
        assert_eq!(principal.id(), hint);
    }
}

#[test]
fn the_par_endpoint_authenticates_the_client() {
    let op = provider();
    let builder = idp::IdpClient::builder(&op.issuer, "conf-basic")
        .redirect_uri(REDIRECT)
        .client_secret("not-the-secret")
        .pushed_authorization_requests(true);
    let client = run!(discover(builder)).expect("discovery");
    let err = run!(start_sign_in(&client, "usr_alice")).expect_err("wrong secret");
    assert_eq!(err.oauth().expect("OAuth error").code, OAuthErrorCode::InvalidClient);
    assert_eq!(err.status(), Some(401));
}

#[test]
fn a_client_registered_to_push_must_push() {
    let op = provider();
    let client = run!(client(op, "par-required", None, false));
    // The provider's metadata does not say it: an unpushed request is refused by the provider.
    let request = client.create_authorization_url(options("usr_alice")).expect("URL");
    let callback = browser::Browser::new().follow_until(&request.url, REDIRECT);
    let err = run!(handle_callback(&client, &callback, &request)).expect_err("refused");
    assert_eq!(err.oauth().expect("OAuth error").code, OAuthErrorCode::InvalidRequest);
    // Pushed, it goes through.
    let request = run!(push(&client, "usr_alice")).expect("pushed");
    assert_eq!(run!(finish(&client, &request)).expect("signed in").id(), "usr_alice");
}

#[test]
fn a_provider_requiring_par_gets_it_without_asking() {
    let op = par_provider();
    let client = run!(client(op, "conf-basic", None, false));
    assert!(idpkit::oidc::requires_pushed_authorization_requests(client.metadata()));
    let err = client.create_authorization_url(options("usr_bob")).expect_err("must push");
    assert!(err.to_string().contains("start_sign_in"), "{err}");
    let request = run!(start_sign_in(&client, "usr_bob")).expect("pushed");
    assert_pushed(&client, &request);
    assert_eq!(run!(finish(&client, &request)).expect("signed in").id(), "usr_bob");
}

#[test]
fn bad_par_answers_are_typed() {
    let mut server = mockito::Server::new();
    let issuer = server.url();
    let mut metadata = metadata(&issuer, &format!("{issuer}/token"));
    let plain = idp::IdpClient::builder(&issuer, "app")
        .redirect_uri(REDIRECT)
        .build_with_metadata(metadata.clone())
        .expect("client");
    let err = run!(push(&plain, "x")).expect_err("no PAR endpoint");
    assert!(matches!(err.kind(), ErrorKind::Config { .. }), "{err:?}");
    metadata
        .additional
        .insert("pushed_authorization_request_endpoint".into(), format!("{issuer}/par").into());
    let client = idp::IdpClient::builder(&issuer, "app")
        .redirect_uri(REDIRECT)
        .client_secret("s")
        .build_with_metadata(metadata)
        .expect("client");
    let mut answer = |status: usize, body: &str| {
        server
            .mock("POST", "/par")
            .with_status(status)
            .with_header("content-type", "application/json")
            .with_body(body)
            .create()
    };
    let m = answer(201, r#"{"expires_in":60}"#);
    let err = run!(push(&client, "x")).expect_err("no request_uri");
    assert!(matches!(err.kind(), ErrorKind::MalformedResponse { .. }), "{err:?}");
    assert!(err.to_string().contains("request_uri"), "{err}");
    m.remove();
    let m = answer(201, r#"{"request_uri":"urn:r","expires_in":"soon"}"#);
    let err = run!(push(&client, "x")).expect_err("bad expires_in");
    assert!(matches!(err.kind(), ErrorKind::MalformedResponse { .. }), "{err:?}");
    m.remove();
    let _m = answer(400, r#"{"error":"invalid_request_object"}"#);
    let err = run!(push(&client, "x")).expect_err("error answer");
    assert_eq!(err.oauth().unwrap().code, OAuthErrorCode::InvalidRequestObject);
}
