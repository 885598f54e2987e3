// Client authentication with a JWT (RFC 7523) against the project's real provider, compiled once
// per mode by `tests/clients.rs`: `client_secret_jwt` (HS256) and `private_key_jwt` with an RSA,
// an EC P-256 and an Ed25519 key, each client registered for its method and algorithm. Every
// authenticated endpoint carries a fresh assertion: token (client credentials, code, refresh),
// introspection, revocation, pushed authorization.

use idpkit::oidc::{AuthMethod, AuthorizationOptions, ClientAssertionKey, Principal};
use idpkit::{AccessToken, ErrorKind, OAuthErrorCode, Result};
use jsonwebtoken::Algorithm;

use super::common::{client_credentials, discover, handle_callback, refresh};
use super::{idp, maybe_async};
use crate::{browser, provider};

const REDIRECT: &str = "http://127.0.0.1:8976/callback";

/// The private key the provider registered for `client_id`, from its READY line.
fn registered_key(client_id: &str, algorithm: Algorithm) -> ClientAssertionKey {
    let client = provider().client(client_id);
    let pem = client["private_key_pem"].as_str().expect("private key");
    let kid = client["kid"].as_str().expect("kid");
    ClientAssertionKey::from_pem(algorithm, pem.as_bytes())
        .expect("the provider's client key")
        .with_kid(kid)
}

fn builder(client_id: &str) -> idp::IdpClientBuilder {
    idp::IdpClient::builder(&provider().issuer, client_id).redirect_uri(REDIRECT)
}

#[maybe_async]
async fn key_client(client_id: &str, algorithm: Algorithm) -> idp::IdpClient {
    let key = registered_key(client_id, algorithm);
    discover(builder(client_id).client_assertion_key(key))
        .await
        .expect("discovery")
}

#[maybe_async]
async fn secret_jwt_client() -> idp::IdpClient {
    let secret = provider().client_secret("jwt-secret").expect("secret");
    discover(
        builder("jwt-secret")
            .client_secret(secret)
            .auth_method(AuthMethod::ClientSecretJwt),
    )
    .await
    .expect("discovery")
}

#[maybe_async]
async fn sign_in(client: &idp::IdpClient, hint: &str) -> Result<Principal> {
    let options = AuthorizationOptions {
        login_hint: Some(hint.into()),
        // offline_access is kept only with prompt=consent (the test provider adds it to plain
        // requests by itself, not to pushed ones).
        prompt: Some("consent".into()),
        ..AuthorizationOptions::new(["openid", "email", "offline_access"])
    };
    let request = client.start_sign_in(options).await?;
    let callback = browser::Browser::new().follow_until(&request.url, REDIRECT);
    handle_callback(client, &callback, &request).await
}

#[maybe_async]
async fn introspect_then_revoke(client: &idp::IdpClient, token: &AccessToken) -> Result<(bool, bool)> {
    let before = client.introspect(token).await?.active;
    client.revoke_token(token).await?;
    let after = client.introspect(token).await?.active;
    Ok((before, after))
}

#[test]
fn private_key_jwt_with_rsa_ec_and_ed25519_keys() {
    for (client_id, algorithm) in [
        ("jwt-rs256", Algorithm::RS256),
        ("jwt-es256", Algorithm::ES256),
        ("jwt-eddsa", Algorithm::EdDSA),
    ] {
        let client = run!(key_client(client_id, algorithm));
        let debug = format!("{client:?}");
        assert!(debug.contains("PrivateKeyJwt") && debug.contains("[redacted]"), "{debug}");
        // Client credentials: one assertion per request, never replayed.
        let first = run!(client_credentials(&client, &["projects:read"])).expect(client_id);
        let second = run!(client_credentials(&client, &["projects:read"])).expect(client_id);
        assert_ne!(first.access_token(), second.access_token());
        // Introspection and revocation authenticate the same way.
        let (before, after) =
            run!(introspect_then_revoke(&client, first.access_token())).expect(client_id);
        assert!(before && !after, "{client_id}");
    }
}

#[test]
fn private_key_jwt_code_flow_refresh_and_pushed_request() {
    let builder = builder("jwt-es256")
        .client_assertion_key(registered_key("jwt-es256", Algorithm::ES256))
        .pushed_authorization_requests(true);
    let client = run!(discover(builder)).expect("discovery");
    let principal = run!(sign_in(&client, "usr_alice")).expect("signed in");
    assert_eq!(principal.id(), "usr_alice");
    let refreshed = run!(refresh(&client, &principal)).expect("refresh");
    assert_eq!(refreshed.id(), "usr_alice");
}

#[test]
fn client_secret_jwt_signs_with_the_secret() {
    let client = run!(secret_jwt_client());
    assert!(format!("{client:?}").contains("ClientSecretJwt"));
    let service = run!(client_credentials(&client, &["projects:read"])).expect("token");
    assert!(service.has_access("read", "projects"));
    let principal = run!(sign_in(&client, "usr_bob")).expect("signed in");
    assert_eq!(principal.id(), "usr_bob");
}

#[test]
fn wrong_keys_and_secrets_are_invalid_client() {
    // A key the provider does not know, announced with the registered kid and algorithm: the
    // signature does not verify.
    let kid = provider().client("jwt-es256")["kid"].as_str().unwrap().to_owned();
    let der = {
        use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
        EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
            .unwrap()
            .to_pkcs8v1()
            .unwrap()
    };
    let key = ClientAssertionKey::from_der(Algorithm::ES256, der.as_ref())
        .unwrap()
        .with_kid(kid);
    let client = run!(discover(builder("jwt-es256").client_assertion_key(key))).expect("discovery");
    let err = run!(client_credentials(&client, &["projects:read"])).expect_err("wrong key");
    assert_eq!(err.oauth().expect("OAuth").code, OAuthErrorCode::InvalidClient);

    let client = run!(discover(
        builder("jwt-secret")
            .client_secret("not-the-secret-not-the-secret-not-the-secret")
            .auth_method(AuthMethod::ClientSecretJwt)
    ))
    .expect("discovery");
    let err = run!(client_credentials(&client, &["projects:read"])).expect_err("wrong secret");
    assert_eq!(err.oauth().expect("OAuth").code, OAuthErrorCode::InvalidClient);
}

#[test]
fn methods_the_provider_does_not_list_are_refused_at_build() {
    // The provider lists HS256 and the asymmetric algorithms, not ES384.
    let der = {
        use aws_lc_rs::signature::{ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair};
        EcdsaKeyPair::generate(&ECDSA_P384_SHA384_FIXED_SIGNING)
            .unwrap()
            .to_pkcs8v1()
            .unwrap()
    };
    let key = ClientAssertionKey::from_der(Algorithm::ES384, der.as_ref()).unwrap();
    let err = run!(discover(builder("jwt-es256").client_assertion_key(key))).expect_err("ES384");
    assert!(matches!(err.kind(), ErrorKind::Config { .. }), "{err:?}");
    assert!(err.to_string().contains("ES384"), "{err}");
    let err = run!(discover(builder("jwt-es256").auth_method(AuthMethod::PrivateKeyJwt)))
        .expect_err("no key");
    assert!(matches!(err.kind(), ErrorKind::Config { .. }), "{err:?}");
}
