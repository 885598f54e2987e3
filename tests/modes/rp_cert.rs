// The OpenID Foundation's relying-party certification list (the conformance suite's client test
// modules of the Basic and Config RP profiles, code flow), compiled once per mode by
// `tests/clients.rs`: one test per module, named after it.
//
// Where a well-behaved answer is wanted, the provider is the project's real one
// (node-oidc-provider, `provider()`), with a transport that records what the client sent. Where
// the module needs an answer node-oidc-provider never gives (an ID token without `iat`, a
// broken signature, `alg: none`, keys without `kid`, claims by reference, WebFinger, keys
// rotated just before signing), the crafting provider `tests/op/rp_cert.mjs` plays the suite's
// part: every test gets an issuer of its own below it, whose counters say which endpoints the
// client called (an ID token rejected must not be followed by a userinfo call).

use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use idpkit::http::{HttpRequest, HttpResponse};
use idpkit::oidc::{
    AuthorizationOptions, BearerMethod, ClaimsProviders, Principal, UserInfoRequest,
};
use idpkit::{ErrorKind, IdToken, Result, TokenValidationError as E};
use jsonwebtoken::Algorithm;
use serde_json::{Map, Value, json};

use super::common::discover;
use super::{idp, maybe_async};
use crate::{browser, provider, rp_cert_op, unique};

const REDIRECT: &str = "http://127.0.0.1:8976/callback";
const CLIENT: &str = "rp-cert-client";

// ---------------------------------------------------------------------------------------------
// What the tests share.

/// One request the client sent, and the content type of its answer.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    authorization: Option<String>,
    body: String,
    answer_type: Option<String>,
}

/// A transport that records every request and passes it on to this mode's default one.
struct Spy {
    inner: idp::DefaultHttp,
    seen: Mutex<Vec<Seen>>,
}

impl Spy {
    fn new() -> Arc<Spy> {
        Arc::new(Spy {
            inner: super::users_own_transport(),
            seen: Mutex::new(Vec::new()),
        })
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// The requests to paths ending with `suffix`.
    fn to(&self, suffix: &str) -> Vec<Seen> {
        self.seen().into_iter().filter(|s| s.path.ends_with(suffix)).collect()
    }
}

#[maybe_async(AFIT)]
impl idp::HttpClient for Spy {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse> {
        let header = |r: &HttpRequest, name: &str| {
            r.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
        };
        let mut seen = Seen {
            method: request.method().to_string(),
            path: request.uri().path().to_owned(),
            authorization: header(&request, "authorization"),
            body: String::from_utf8_lossy(request.body()).into_owned(),
            answer_type: None,
        };
        let response = self.inner.send(request).await?;
        seen.answer_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        self.seen.lock().unwrap().push(seen);
        Ok(response)
    }
}

/// A client of the real provider, for `client_id`, sending through `spy`.
#[maybe_async]
async fn op_client(client_id: &str, spy: &Arc<Spy>) -> idp::IdpClient<Arc<Spy>> {
    let op = provider();
    let mut builder = idp::IdpClient::builder(&op.issuer, client_id)
        .redirect_uri(REDIRECT)
        .http_client(Arc::clone(spy));
    if let Some(secret) = op.client_secret(client_id) {
        builder = builder.client_secret(secret);
    }
    discover(builder).await.expect("discovery")
}

/// A fresh issuer of the crafting provider playing `module`, for this test alone.
fn issuer(module: &str) -> String {
    rp_cert_op().issuer(&unique("t"), module)
}

/// The builder of a client of a crafting issuer (client_secret_basic, the shared secret).
fn rp_builder(issuer: &str) -> idp::IdpClientBuilder {
    idp::IdpClient::builder(issuer, CLIENT)
        .client_secret(rp_cert_op().client_secret.as_str())
        .redirect_uri(REDIRECT)
}

#[maybe_async]
async fn rp_client(issuer: &str) -> idp::IdpClient {
    discover(rp_builder(issuer)).await.expect("discovery")
}

/// Signs in at the client's provider: the authorization URL, the provider's redirects (the
/// crafting provider answers at once; the real one logs in `usr_alice`), and the callback.
#[maybe_async]
async fn sign_in<H: idp::HttpClient>(
    client: &idp::IdpClient<H>,
    scopes: &[&str],
) -> Result<Principal> {
    let options = AuthorizationOptions {
        login_hint: Some("usr_alice".into()),
        ..AuthorizationOptions::new(scopes.iter().copied())
    };
    let request = client.create_authorization_url(options)?;
    let callback = browser::Browser::new().follow_until(&request.url, REDIRECT);
    client.handle_callback(&callback, &request).await
}

#[maybe_async]
async fn userinfo<'a, H: idp::HttpClient>(
    client: &idp::IdpClient<H>,
    request: impl Into<UserInfoRequest<'a>>,
) -> Result<Map<String, Value>> {
    client.get_user_info(request).await
}

/// The ID-token check that failed.
fn rejected(outcome: Result<Principal>) -> E {
    match outcome {
        Ok(principal) => panic!("accepted an ID token for {}", principal.id()),
        Err(e) => match e.kind() {
            ErrorKind::TokenValidation(v) => v.clone(),
            _ => panic!("expected an ID-token validation error, got {e:?}"),
        },
    }
}

/// Signs in at a crafting issuer and expects the ID token to be rejected, with no userinfo
/// call after it (as the suite checks).
#[maybe_async]
async fn expect_rejected(client: &idp::IdpClient, issuer: &str) -> E {
    let err = rejected(sign_in(client, &["openid"]).await);
    let op = rp_cert_op();
    assert_eq!(op.calls(issuer, "token"), 1, "the code was exchanged");
    assert_eq!(op.calls(issuer, "userinfo"), 0, "no userinfo after a rejected ID token");
    err
}

/// The JOSE header of a compact JWT.
fn jose_header(jwt: &str) -> Value {
    let header = jwt.split('.').next().expect("a header");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).expect("base64url")).expect("JSON")
}

// ---------------------------------------------------------------------------------------------
// Basic RP: the code flow and the ID token.

#[test]
fn oidcc_client_test() {
    let spy = Spy::new();
    let client = run!(op_client("conf-basic", &spy));
    let principal = run!(sign_in(&client, &["openid", "email"])).expect("signed in");
    assert_eq!(principal.id(), "usr_alice");
    let claims = run!(userinfo(&client, &principal)).expect("userinfo");
    assert_eq!((&claims["sub"], &claims["email"]), (&json!("usr_alice"), &json!("alice@example.com")));
    let order: Vec<String> = spy.seen().iter().map(|s| s.path.clone()).collect();
    assert_eq!(
        order,
        ["/.well-known/openid-configuration", "/token", "/jwks", "/me"],
        "discovery, code exchange, keys, userinfo"
    );
}

#[test]
fn oidcc_client_test_nonce_invalid() {
    let issuer = issuer("nonce-invalid");
    let client = run!(rp_client(&issuer));
    assert_eq!(run!(expect_rejected(&client, &issuer)), E::NonceMismatch);
}

#[test]
fn oidcc_client_test_client_secret_basic() {
    let issuer = issuer("client-secret-basic");
    let client = run!(rp_client(&issuer));
    run!(sign_in(&client, &["openid"])).expect("signed in");
    // The provider answers only client_secret_basic with the right secret.
    let stats = rp_cert_op().stats(&issuer);
    assert_eq!(stats["token_auth"], json!(["client_secret_basic"]));
    // And against the real provider: the id and secret in the header, none in the body.
    let spy = Spy::new();
    let client = run!(op_client("conf-basic", &spy));
    run!(sign_in(&client, &["openid"])).expect("signed in");
    let token = &spy.to("/token")[0];
    let secret = provider().client_secret("conf-basic").unwrap();
    let expected = base64::engine::general_purpose::STANDARD.encode(format!("conf-basic:{secret}"));
    assert_eq!(token.authorization.as_deref(), Some(format!("Basic {expected}").as_str()));
    assert!(!token.body.contains("client_secret") && !token.body.contains(secret));
}

#[test]
fn oidcc_client_test_scope_userinfo_claims() {
    let spy = Spy::new();
    let client = run!(op_client("conf-basic", &spy));
    let principal = run!(sign_in(&client, &["openid", "email", "profile"])).expect("signed in");
    let claims = run!(userinfo(&client, &principal)).expect("userinfo");
    assert_eq!(claims["email"], "alice@example.com");
    assert_eq!(claims["email_verified"], true);
    assert_eq!(claims["name"], "Alice Example");
    // Without `profile`, no `name`.
    let principal = run!(sign_in(&client, &["openid", "email"])).expect("signed in");
    let claims = run!(userinfo(&client, &principal)).expect("userinfo");
    assert!(claims.contains_key("email") && !claims.contains_key("name"), "{claims:?}");
}

#[test]
fn oidcc_client_test_kid_absent_single_jwks() {
    let issuer = issuer("kid-absent-single-jwks");
    let client = run!(rp_client(&issuer));
    let principal = run!(sign_in(&client, &["openid"])).expect("the one key is used");
    assert_eq!(principal.id(), rp_cert_op().subject);
    let id_token = principal.tokens().id_token.as_ref().unwrap().expose_secret().to_owned();
    assert!(jose_header(&id_token).get("kid").is_none());
}

#[test]
fn oidcc_client_test_kid_absent_multiple_jwks() {
    // Rejecting is one of the two outcomes the suite allows: without a kid, guessing among
    // several keys is not done.
    let issuer = issuer("kid-absent-multiple-jwks");
    let client = run!(rp_client(&issuer));
    assert_eq!(run!(expect_rejected(&client, &issuer)), E::UnknownKey(None));
}

#[test]
fn oidcc_client_test_missing_iat() {
    let issuer = issuer("missing-iat");
    let client = run!(rp_client(&issuer));
    assert_eq!(run!(expect_rejected(&client, &issuer)), E::MissingClaim("iat"));
}

#[test]
fn oidcc_client_test_missing_aud() {
    let issuer = issuer("missing-aud");
    let client = run!(rp_client(&issuer));
    assert_eq!(run!(expect_rejected(&client, &issuer)), E::MissingClaim("aud"));
}

#[test]
fn oidcc_client_test_invalid_aud() {
    let issuer = issuer("invalid-aud");
    let client = run!(rp_client(&issuer));
    assert_eq!(run!(expect_rejected(&client, &issuer)), E::AudienceMismatch);
}

#[test]
fn oidcc_client_test_missing_sub() {
    let issuer = issuer("missing-sub");
    let client = run!(rp_client(&issuer));
    assert_eq!(run!(expect_rejected(&client, &issuer)), E::MissingClaim("sub"));
}

#[test]
fn oidcc_client_test_invalid_iss() {
    let issuer = issuer("invalid-iss");
    let client = run!(rp_client(&issuer));
    let err = run!(expect_rejected(&client, &issuer));
    assert_eq!(err, E::IssuerMismatch { actual: format!("{issuer}/invalid") });
}

#[test]
fn oidcc_client_test_idtoken_sig_rs256() {
    let spy = Spy::new();
    let client = run!(op_client("conf-basic", &spy));
    let principal = run!(sign_in(&client, &["openid"])).expect("signed in");
    let id_token = principal.tokens().id_token.as_ref().unwrap().expose_secret().to_owned();
    let header = jose_header(&id_token);
    assert_eq!(header["alg"], "RS256");
    let jwks: Value = serde_json::from_str(&provider().jwks()).unwrap();
    let kids: Vec<&Value> = jwks["keys"].as_array().unwrap().iter().map(|k| &k["kid"]).collect();
    assert!(kids.contains(&&header["kid"]), "{header} signed by a published key");
}

#[test]
fn oidcc_client_test_idtoken_sig_none() {
    let issuer = issuer("idtoken-sig-none");
    // Refused by default.
    let client = run!(rp_client(&issuer));
    assert_eq!(rejected(run!(sign_in(&client, &["openid"]))), E::AlgorithmNotAllowed("none".into()));
    // Accepted from the token endpoint by a client that opted in (registered for `none`)...
    let lax = run!(discover(rp_builder(&issuer).danger_accept_unsigned_id_tokens(true))).unwrap();
    let principal = run!(sign_in(&lax, &["openid"])).expect("unsigned ID token accepted");
    assert_eq!(principal.id(), rp_cert_op().subject);
    // ...and nowhere else: the same token handed in is refused.
    let token = principal.tokens().id_token.clone().unwrap();
    assert!(token.expose_secret().ends_with('.'), "an unsigned JWT");
    let err = run!(verify(&lax, &token)).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::TokenValidation(E::AlgorithmNotAllowed(a)) if a == "none"));
}

#[maybe_async]
async fn verify(client: &idp::IdpClient, token: &IdToken) -> Result<idpkit::oidc::IdTokenClaims> {
    client.verify_id_token(token, None, None).await
}

#[test]
fn oidcc_client_test_invalid_sig_rs256() {
    let issuer = issuer("invalid-sig-rs256");
    let client = run!(rp_client(&issuer));
    assert_eq!(run!(expect_rejected(&client, &issuer)), E::InvalidSignature);
}

#[test]
fn oidcc_client_test_invalid_sig_es256() {
    let issuer = issuer("invalid-sig-es256");
    let client = run!(rp_client(&issuer)); // ES256 from the provider's metadata
    assert_eq!(run!(expect_rejected(&client, &issuer)), E::InvalidSignature);
}

#[test]
fn oidcc_client_test_invalid_sig_hs256() {
    let hs256 = |issuer: &str| rp_builder(issuer).id_token_algorithms([Algorithm::HS256]);
    let issuer_bad = issuer("invalid-sig-hs256");
    let client = run!(discover(hs256(&issuer_bad))).unwrap();
    assert_eq!(run!(expect_rejected(&client, &issuer_bad)), E::InvalidSignature);
    // A genuine HS256 ID token keyed by the client secret passes for a client configured for
    // HS256, and only for it.
    let issuer_ok = issuer("idtoken-sig-hs256");
    let client = run!(discover(hs256(&issuer_ok))).unwrap();
    run!(sign_in(&client, &["openid"])).expect("HS256 with the client secret");
    let default = run!(rp_client(&issuer_ok));
    assert_eq!(rejected(run!(sign_in(&default, &["openid"]))), E::AlgorithmNotAllowed("HS256".into()));
    // HS256 without a secret to key it cannot even be configured.
    let public = idp::IdpClient::builder(&issuer_ok, CLIENT).id_token_algorithms([Algorithm::HS256]);
    let err = run!(discover(public)).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Config { .. }), "{err:?}");
}

// ---------------------------------------------------------------------------------------------
// Userinfo.

#[test]
fn oidcc_client_test_userinfo_invalid_sub() {
    let issuer = issuer("userinfo-invalid-sub");
    let client = run!(rp_client(&issuer));
    let principal = run!(sign_in(&client, &["openid"])).expect("signed in");
    let err = run!(userinfo(&client, &principal)).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::SubjectMismatch { actual, .. } if actual == "foobar"),
        "{err:?}"
    );
}

#[test]
fn oidcc_client_test_userinfo_bearer_header() {
    let spy = Spy::new();
    let client = run!(op_client("conf-basic", &spy));
    let principal = run!(sign_in(&client, &["openid", "email"])).expect("signed in");
    let claims = run!(userinfo(&client, &principal)).expect("userinfo");
    assert_eq!(claims["sub"], "usr_alice");
    let sent = &spy.to("/me")[0];
    assert_eq!(sent.method, "GET");
    let bearer = format!("Bearer {}", principal.access_token().expose_secret());
    assert_eq!(sent.authorization.as_deref(), Some(bearer.as_str()));
}

#[test]
fn oidcc_client_test_userinfo_bearer_body() {
    let spy = Spy::new();
    let client = run!(op_client("conf-basic", &spy));
    let principal = run!(sign_in(&client, &["openid", "email"])).expect("signed in");
    let request = UserInfoRequest::new(&principal).bearer(BearerMethod::FormBody);
    let claims = run!(userinfo(&client, request)).expect("userinfo, token in the body");
    assert_eq!(claims["email"], "alice@example.com");
    let sent = &spy.to("/me")[0];
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.authorization, None);
    let form: Vec<(String, String)> = url::form_urlencoded::parse(sent.body.as_bytes()).into_owned().collect();
    assert_eq!(form, [("access_token".to_owned(), principal.access_token().expose_secret().to_owned())]);
}

#[test]
fn oidcc_client_test_userinfo_signed() {
    let spy = Spy::new();
    let client = run!(op_client("rp-signed-userinfo", &spy));
    let principal = run!(sign_in(&client, &["openid", "email"])).expect("signed in");
    let claims = run!(userinfo(&client, &principal)).expect("signed userinfo verified");
    assert_eq!((&claims["sub"], &claims["email"]), (&json!("usr_alice"), &json!("alice@example.com")));
    assert_eq!(claims["iss"], provider().issuer.as_str());
    let answer = spy.to("/me")[0].answer_type.clone().unwrap_or_default();
    assert!(answer.starts_with("application/jwt"), "{answer}");
}

#[test]
fn oidcc_client_test_aggregated_claims() {
    let issuer = issuer("aggregated-claims");
    let client = run!(rp_client(&issuer));
    let principal = run!(sign_in(&client, &["openid"])).expect("signed in");
    let trusted = ClaimsProviders::new()
        .trust(format!("{issuer}/cp"), &format!("{issuer}/cp/jwks"))
        .unwrap();
    let request = UserInfoRequest::new(&principal).resolve_claims(&trusted);
    let claims = run!(userinfo(&client, request)).expect("aggregated claims resolved");
    assert_eq!(claims["address"]["locality"], "Los Angeles");
    assert_eq!(claims["phone_number"], "+1 (310) 123-4567");
    assert_eq!(claims["sub"], rp_cert_op().subject.as_str());
    assert!(!claims.contains_key("_claim_names") && !claims.contains_key("_claim_sources"));
    assert_eq!(rp_cert_op().calls(&issuer, "cp/jwks"), 1, "the claims provider's keys");

    // Left as references without providers; refused from a provider that is not trusted.
    let raw = run!(userinfo(&client, &principal)).expect("userinfo");
    assert!(raw.contains_key("_claim_sources") && !raw.contains_key("address"));
    let other = ClaimsProviders::new().trust("https://claims.example", "https://claims.example/jwks").unwrap();
    let err = run!(userinfo(&client, UserInfoRequest::new(&principal).resolve_claims(&other))).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::TokenValidation(E::IssuerMismatch { .. })), "{err:?}");

    // The conformance suite signs them with `none`: never accepted.
    let unsigned = self::issuer("aggregated-claims-unsigned");
    let client = run!(rp_client(&unsigned));
    let principal = run!(sign_in(&client, &["openid"])).expect("signed in");
    let trusted = ClaimsProviders::new()
        .trust(format!("{unsigned}/cp"), &format!("{unsigned}/cp/jwks"))
        .unwrap();
    let err = run!(userinfo(&client, UserInfoRequest::new(&principal).resolve_claims(&trusted))).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::TokenValidation(E::AlgorithmNotAllowed(a)) if a == "none"), "{err:?}");
}

#[test]
fn oidcc_client_test_distributed_claims() {
    let issuer = issuer("distributed-claims");
    let client = run!(rp_client(&issuer));
    let principal = run!(sign_in(&client, &["openid"])).expect("signed in");
    let trusted = ClaimsProviders::new()
        .trust(format!("{issuer}/cp"), &format!("{issuer}/cp/jwks"))
        .unwrap();
    let request = UserInfoRequest::new(&principal).resolve_claims(&trusted);
    let claims = run!(userinfo(&client, request)).expect("distributed claims fetched");
    assert_eq!(claims["credit_score"], 650);
    assert_eq!(claims["sub"], rp_cert_op().subject.as_str(), "the claims provider's sub is not taken");
    assert!(!claims.contains_key("_claim_sources"));
    // Fetched from the claims endpoint with its access token (it refuses any other).
    assert_eq!(rp_cert_op().calls(&issuer, "cp/claims"), 1);
}

// ---------------------------------------------------------------------------------------------
// Config RP: discovery, WebFinger, key rotation.

#[test]
fn oidcc_client_test_discovery_openid_config() {
    let spy = Spy::new();
    let client = run!(op_client("conf-basic", &spy));
    let op = provider();
    let metadata = client.metadata();
    assert_eq!(metadata.issuer, op.issuer);
    assert_eq!(metadata.token_endpoint.as_deref(), op.ready["endpoints"]["token"].as_str());
    assert_eq!(metadata.jwks_uri, op.ready["endpoints"]["jwks"].as_str().unwrap());
    assert_eq!(spy.seen()[0].path, "/.well-known/openid-configuration");
    run!(sign_in(&client, &["openid"])).expect("signed in with the discovered endpoints");
}

#[test]
fn oidcc_client_test_discovery_jwks_uri_keys() {
    let issuer = issuer("discovery-jwks-uri-keys");
    let client = run!(rp_client(&issuer));
    run!(sign_in(&client, &["openid"])).expect("signed in");
    let stats = rp_cert_op().stats(&issuer);
    let jwks_path = stats["jwks_path"].as_str().unwrap();
    assert!(jwks_path.starts_with("jwks-"), "a random jwks_uri: {jwks_path}");
    let calls: Vec<&str> = stats["calls"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert_eq!(calls, [".well-known/openid-configuration", "authorize", "token", jwks_path]);
}

#[test]
fn oidcc_client_test_discovery_issuer_mismatch() {
    let issuer = issuer("discovery-issuer-mismatch");
    let (alias, host) = acct_parts(&issuer);
    let acct = format!("acct:{alias}.discovery-issuer-mismatch@{host}");
    let err = run!(webfinger(&acct)).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::IssuerMismatch { expected, actual }
            if *expected == issuer && *actual == format!("{issuer}-mismatch")),
        "{err:?}"
    );
    let calls = rp_cert_op().stats(&issuer)["calls"].clone();
    assert_eq!(calls, json!(["webfinger", ".well-known/openid-configuration"]), "stopped after discovery");
}

/// The test alias and the `host:port` of a crafting issuer `http://host:port/alias/module`.
fn acct_parts(issuer: &str) -> (String, String) {
    let url = url::Url::parse(issuer).unwrap();
    let alias = url.path_segments().unwrap().next().unwrap().to_owned();
    (alias, format!("{}:{}", url.host_str().unwrap(), url.port().unwrap()))
}

#[maybe_async]
async fn webfinger(identifier: &str) -> Result<idp::IdpClient> {
    rp_builder("").discover_by_webfinger(identifier).await
}

#[test]
fn oidcc_client_test_discovery_webfinger_acct() {
    let issuer = issuer("discovery-webfinger-acct");
    let (alias, host) = acct_parts(&issuer);
    let acct = format!("acct:{alias}.discovery-webfinger-acct@{host}");
    let client = run!(webfinger(&acct)).expect("issuer found by WebFinger");
    assert_eq!(client.issuer().as_str(), issuer);
    assert_eq!(rp_cert_op().stats(&issuer)["webfinger_resources"], json!([acct]));
    run!(sign_in(&client, &["openid"])).expect("signed in");
}

#[test]
fn oidcc_client_test_discovery_webfinger_url() {
    let issuer = issuer("discovery-webfinger-url");
    let client = run!(webfinger(&format!("{issuer}#fragment"))).expect("issuer found by WebFinger");
    assert_eq!(client.issuer().as_str(), issuer);
    // Normalized (OIDC Discovery §2.1.2): the fragment is dropped.
    assert_eq!(rp_cert_op().stats(&issuer)["webfinger_resources"], json!([issuer]));
    run!(sign_in(&client, &["openid"])).expect("signed in");
}

#[test]
fn oidcc_client_test_signing_key_rotation() {
    let issuer = issuer("signing-key-rotation");
    let client = run!(rp_client(&issuer));
    run!(sign_in(&client, &["openid"])).expect("signed in with the first key");
    let kid = rp_cert_op().rotate(&issuer);
    let principal = run!(sign_in(&client, &["openid"])).expect("signed in after the rotation");
    let id_token = principal.tokens().id_token.as_ref().unwrap().expose_secret().to_owned();
    assert_eq!(jose_header(&id_token)["kid"], kid.as_str());
    assert_eq!(rp_cert_op().calls(&issuer, "jwks"), 2, "one refetch for the unknown kid");
}

#[test]
fn oidcc_client_test_signing_key_rotation_just_before_signing() {
    let issuer = issuer("signing-key-rotation-just-before-signing");
    let client = run!(rp_client(&issuer));
    run!(sign_in(&client, &["openid"])).expect("signed in");
    let first_kids = rp_cert_op().stats(&issuer)["kids"].clone();
    // The provider rotates its key right before signing this ID token.
    run!(sign_in(&client, &["openid"])).expect("signed in with the key made just now");
    assert_ne!(rp_cert_op().stats(&issuer)["kids"], first_kids);
    assert_eq!(rp_cert_op().calls(&issuer, "jwks"), 2, "one refetch for the unknown kid");
}
