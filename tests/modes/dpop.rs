// DPoP (RFC 9449) end to end, compiled once per mode by `tests/clients.rs`: against the
// project's real provider (its DPoP feature requires server nonces, and the `dpop` /
// `dpop-public` clients must use DPoP-bound tokens; see tests/op/dpop.mjs), with every request
// recorded on the way so the tests see the proofs and the nonce dance; and against mockito for a
// server that keeps asking for a nonce, which the real one never does.

use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use idpkit::dpop::{DpopError, DpopKey, access_token_hash};
use idpkit::http::{HttpRequest, HttpResponse};
use idpkit::oidc::{AuthorizationOptions, ClientCredentialsRequest, DevicePoll, Principal};
use idpkit::{ErrorKind, OAuthErrorCode, Result};

use super::common::metadata;
use super::{idp, maybe_async, users_own_transport};
use crate::{browser, provider};

const REDIRECT: &str = "http://127.0.0.1:8976/callback";

/// One request as sent and the status it got.
#[derive(Debug, Clone)]
struct Sent {
    method: String,
    path: String,
    authorization: Option<String>,
    /// The DPoP proof's header and claims, if the request had one.
    proof: Option<(serde_json::Value, serde_json::Value)>,
    status: u16,
}

/// A transport that records every request on its way to the real one.
#[derive(Clone)]
struct Recording {
    inner: Arc<idp::DefaultHttp>,
    log: Arc<Mutex<Vec<Sent>>>,
}

impl Recording {
    fn new() -> Self {
        Recording {
            inner: Arc::new(users_own_transport()),
            log: Arc::default(),
        }
    }

    fn take(&self) -> Vec<Sent> {
        std::mem::take(&mut *self.log.lock().unwrap())
    }
}

impl Sent {
    /// The proof's claims.
    fn claims(&self) -> &serde_json::Value {
        &self.proof.as_ref().expect("a DPoP proof").1
    }
}

fn decode_proof(proof: &str) -> (serde_json::Value, serde_json::Value) {
    let mut parts = proof.split('.');
    let mut json = || {
        let bytes = URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap();
        serde_json::from_slice(&bytes).unwrap()
    };
    (json(), json())
}

#[maybe_async(AFIT)]
impl idp::HttpClient for Recording {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse> {
        let header = |name: &str| {
            request.headers().get(name).map(|v| v.to_str().unwrap().to_owned())
        };
        let mut sent = Sent {
            method: request.method().to_string(),
            path: request.uri().path().to_owned(),
            authorization: header("authorization"),
            proof: header("dpop").map(|p| decode_proof(&p)),
            status: 0,
        };
        let response = self.inner.send(request).await?;
        sent.status = response.status().as_u16();
        self.log.lock().unwrap().push(sent);
        Ok(response)
    }
}

#[maybe_async]
async fn dpop_client(client_id: &str, key: Option<DpopKey>, http: &Recording) -> idp::IdpClient<Recording> {
    let op = provider();
    let mut builder = idp::IdpClient::builder(&op.issuer, client_id)
        .redirect_uri(REDIRECT)
        .http_client(http.clone());
    if let Some(secret) = op.client_secret(client_id) {
        builder = builder.client_secret(secret);
    }
    if let Some(key) = key {
        builder = builder.dpop(key);
    }
    builder.discover().await.expect("discovery")
}

#[maybe_async]
async fn sign_in(client: &idp::IdpClient<Recording>, scopes: &[&str]) -> Result<Principal> {
    let request = client.create_authorization_url(AuthorizationOptions {
        login_hint: Some("usr_alice".into()),
        ..AuthorizationOptions::new(scopes.iter().copied())
    })?;
    let callback = browser::Browser::new().follow_until(&request.url, REDIRECT);
    client.handle_callback(&callback, &request).await
}

#[maybe_async]
async fn user_info(client: &idp::IdpClient<Recording>, agent: &Principal) -> Result<serde_json::Map<String, serde_json::Value>> {
    client.get_user_info(agent).await
}

#[maybe_async]
async fn refresh(client: &idp::IdpClient<Recording>, agent: &Principal) -> Result<Principal> {
    client.refresh(agent).await
}

#[maybe_async]
async fn client_credentials(client: &idp::IdpClient<Recording>, request: &ClientCredentialsRequest) -> Result<Principal> {
    client.client_credentials(request).await
}

fn dpop_err(err: &idpkit::Error) -> DpopError {
    match err.kind() {
        ErrorKind::Dpop(e) => e.clone(),
        other => panic!("not a DPoP error: {other:?}"),
    }
}

/// The token requests of `log`: first refused with `use_dpop_nonce` (the provider requires
/// nonces), then accepted with the nonce; each a proof for POST on the token endpoint, by `key`.
fn assert_nonce_dance_at_token_endpoint(log: &[Sent], key: &DpopKey, token_endpoint: &str) {
    let token: Vec<&Sent> = log.iter().filter(|s| s.path == "/token").collect();
    assert_eq!(token.iter().map(|s| s.status).collect::<Vec<_>>(), [400, 200], "{log:#?}");
    for sent in &token {
        assert_eq!(sent.method, "POST");
        let (header, claims) = sent.proof.as_ref().expect("a proof on every attempt");
        assert_eq!(header["typ"], "dpop+jwt");
        assert_eq!(header["alg"], key.algorithm());
        assert!(header["jwk"].get("d").is_none());
        assert_eq!(claims["htm"], "POST");
        assert_eq!(claims["htu"], token_endpoint);
        assert!(claims.get("ath").is_none(), "no ath at the token endpoint");
    }
    assert!(token[0].claims().get("nonce").is_none());
    assert!(token[1].claims()["nonce"].as_str().is_some_and(|n| !n.is_empty()));
    assert_ne!(token[0].claims()["jti"], token[1].claims()["jti"], "a fresh proof per attempt");
}

/// The access token's claims, for a JWT access token.
fn jwt_claims(token: &str) -> serde_json::Value {
    let payload = token.split('.').nth(1).expect("a JWT access token");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[test]
fn code_flow_gets_bound_tokens_and_userinfo_proves_possession() {
    let op = provider();
    let key = DpopKey::generate_es256().expect("key");
    let http = Recording::new();
    let client = run!(dpop_client("dpop", Some(key.clone()), &http));
    let token_endpoint = client.metadata().token_endpoint.clone().unwrap();
    http.take();
    let alice = run!(sign_in(&client, &["openid", "email"])).expect("signed in");
    assert_eq!(alice.id(), "usr_alice");
    assert!(alice.tokens().token_type.eq_ignore_ascii_case("dpop"), "{:?}", alice.tokens().token_type);
    assert_nonce_dance_at_token_endpoint(&http.take(), &key, &token_endpoint);

    // Userinfo: `Authorization: DPoP`, a proof with ath, and the nonce remembered from the token
    // endpoint (same server), so no second round trip.
    let claims = run!(user_info(&client, &alice)).expect("userinfo");
    assert_eq!(claims["email"], "alice@example.com");
    let log = http.take();
    assert_eq!(log.iter().map(|s| s.status).collect::<Vec<_>>(), [200], "{log:#?}");
    let at = alice.access_token().expose_secret();
    assert_eq!(log[0].authorization.as_deref(), Some(format!("DPoP {at}").as_str()));
    let proof = log[0].claims();
    assert_eq!(proof["htm"], "GET");
    assert_eq!(proof["htu"], op.ready["endpoints"]["userinfo"]);
    assert_eq!(proof["ath"], access_token_hash(at));
    assert!(proof["nonce"].is_string());

    // A client that never talked to the provider (same key, no nonce yet): the resource server's
    // 401 `use_dpop_nonce` challenge, then the retry with its nonce.
    let fresh_http = Recording::new();
    let fresh = run!(dpop_client("dpop", Some(key.clone()), &fresh_http));
    fresh_http.take();
    run!(user_info(&fresh, &alice)).expect("userinfo after the nonce challenge");
    let log = fresh_http.take();
    assert_eq!(log.iter().map(|s| s.status).collect::<Vec<_>>(), [401, 200], "{log:#?}");
    assert!(log[0].claims().get("nonce").is_none());
    assert!(log[1].claims()["nonce"].is_string());

    // The same token with another key's proof is refused by the provider.
    let thief = run!(dpop_client("dpop", Some(DpopKey::generate_es256().unwrap()), &Recording::new()));
    let err = run!(user_info(&thief, &alice)).expect_err("another key");
    assert_eq!(err.oauth().map(|o| o.code.clone()), Some(OAuthErrorCode::InvalidToken), "{err:?}");
    // And a client without a key cannot use a DPoP token at all.
    let keyless = run!(dpop_client("dpop", None, &Recording::new()));
    let err = run!(user_info(&keyless, &alice)).expect_err("no key");
    assert_eq!(dpop_err(&err), DpopError::NoKey);
}

#[test]
fn the_provider_refuses_a_dpop_client_without_proofs() {
    let http = Recording::new();
    let keyless = run!(dpop_client("dpop", None, &http));
    let err = run!(client_credentials(&keyless, &ClientCredentialsRequest::new(["projects:read"])))
        .expect_err("DPoP required");
    assert_eq!(err.oauth().map(|o| o.code.clone()), Some(OAuthErrorCode::InvalidGrant), "{err:?}");
    assert!(http.take().iter().all(|s| s.proof.is_none()));
}

#[test]
fn refresh_keeps_the_binding_and_needs_the_same_key() {
    let key = DpopKey::generate_ed25519().expect("key");
    let http = Recording::new();
    let client = run!(dpop_client("dpop-public", Some(key.clone()), &http));
    let token_endpoint = client.metadata().token_endpoint.clone().unwrap();
    let alice = run!(sign_in(&client, &["openid", "offline_access"])).expect("signed in");
    assert!(alice.tokens().refresh_token.is_some(), "a refresh token");
    http.take();
    let refreshed = run!(refresh(&client, &alice)).expect("refreshed with the same key");
    assert!(refreshed.tokens().token_type.eq_ignore_ascii_case("dpop"));
    assert_ne!(refreshed.access_token(), alice.access_token());
    let log = http.take();
    assert_eq!(log.len(), 1, "the nonce from the sign-in is reused: {log:#?}");
    assert_eq!(log[0].claims()["htu"], token_endpoint.as_str());
    assert_eq!(log[0].status, 200);
    // The public client's refresh token is bound to the key: another key cannot use it.
    let thief = run!(dpop_client("dpop-public", Some(DpopKey::generate_ed25519().unwrap()), &Recording::new()));
    let err = run!(refresh(&thief, &refreshed)).expect_err("another key");
    assert_eq!(err.oauth().map(|o| o.code.clone()), Some(OAuthErrorCode::InvalidGrant), "{err:?}");
}

#[test]
fn client_credentials_jwt_token_carries_the_key_thumbprint() {
    let key = DpopKey::generate_es256().expect("key");
    let http = Recording::new();
    let client = run!(dpop_client("dpop", Some(key.clone()), &http));
    let token_endpoint = client.metadata().token_endpoint.clone().unwrap();
    http.take();
    let request = ClientCredentialsRequest::new(["projects:read"]).resource("urn:idpkit:api:jwt");
    let service = run!(client_credentials(&client, &request)).expect("token");
    assert!(service.tokens().token_type.eq_ignore_ascii_case("dpop"));
    let claims = jwt_claims(service.access_token().expose_secret());
    assert_eq!(claims["cnf"]["jkt"], key.thumbprint());
    assert_nonce_dance_at_token_endpoint(&http.take(), &key, &token_endpoint);
}

#[test]
fn device_poll_carries_a_proof() {
    let op = provider();
    let key = DpopKey::generate_es256().expect("key");
    let http = Recording::new();
    let client = run!(dpop_client("dpop-public", Some(key.clone()), &http));
    let device = run!(start_device(&client)).expect("device authorization");
    op.approve_device(&device.user_code, "usr_bob");
    let poll = run!(poll_device(&client, &device)).expect("poll");
    let DevicePoll::Granted(bob) = poll else {
        panic!("granted after approval: {poll:?}");
    };
    assert_eq!(bob.id(), "usr_bob");
    assert!(bob.tokens().token_type.eq_ignore_ascii_case("dpop"));
    let polls: Vec<Sent> = http.take().into_iter().filter(|s| s.path == "/token").collect();
    assert!(polls.iter().all(|s| s.proof.is_some()), "{polls:#?}");
    assert_eq!(polls.last().map(|s| s.status), Some(200));
}

#[maybe_async]
async fn start_device(client: &idp::IdpClient<Recording>) -> Result<idpkit::oidc::DeviceAuthorization> {
    client.start_device_authorization(&["openid"][..]).await
}

#[maybe_async]
async fn poll_device(
    client: &idp::IdpClient<Recording>,
    device: &idpkit::oidc::DeviceAuthorization,
) -> Result<DevicePoll<Principal>> {
    client.poll_device_authorization(device).await
}

#[test]
fn a_server_that_keeps_asking_for_a_nonce_gets_a_typed_error() {
    let mut server = mockito::Server::new();
    let issuer = server.url();
    let key = DpopKey::generate_es256().expect("key");
    let mut meta = metadata(&issuer, &format!("{issuer}/token"));
    meta.userinfo_endpoint = Some(format!("{issuer}/me"));
    let client = idp::IdpClient::builder(&issuer, "app")
        .client_secret("s")
        .dpop(key)
        .build_with_metadata(meta)
        .expect("client");
    let request = ClientCredentialsRequest::new(["a"]);

    // 400 use_dpop_nonce, always, with a new nonce each time: one retry, then NonceRefused.
    let loop_mock = server
        .mock("POST", "/token")
        .with_status(400)
        .with_header("content-type", "application/json")
        .with_header("dpop-nonce", "again")
        .with_body(r#"{"error":"use_dpop_nonce"}"#)
        .expect(2)
        .create();
    let err = run!(client.client_credentials(&request)).expect_err("nonce loop");
    assert_eq!(dpop_err(&err), DpopError::NonceRefused { status: 400 });
    loop_mock.assert();
    loop_mock.remove();

    // use_dpop_nonce without a nonce to use: no retry at all.
    let no_nonce = server
        .mock("POST", "/token")
        .with_status(400)
        .with_header("content-type", "application/json")
        .with_body(r#"{"error":"use_dpop_nonce"}"#)
        .expect(1)
        .create();
    let err = run!(client.client_credentials(&request)).expect_err("no nonce");
    assert_eq!(dpop_err(&err), DpopError::NonceMissing);
    no_nonce.assert();
    no_nonce.remove();

    // The resource server's form: 401 with a DPoP challenge, twice.
    let tokens: idpkit::oidc::TokenSet =
        serde_json::from_str(r#"{"access_token":"at-1","token_type":"DPoP"}"#).unwrap();
    let agent = Principal::for_service("app", tokens);
    let userinfo = server
        .mock("GET", "/me")
        .with_status(401)
        .with_header("www-authenticate", r#"DPoP error="use_dpop_nonce", algs="ES256""#)
        .with_header("dpop-nonce", "n")
        .expect(2)
        .create();
    let err = run!(client.get_user_info(&agent)).expect_err("nonce loop at userinfo");
    assert_eq!(dpop_err(&err), DpopError::NonceRefused { status: 401 });
    userinfo.assert();
}
