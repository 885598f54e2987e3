// The relying party end to end against the project's real OpenID Provider, compiled once per
// mode by `tests/clients.rs`. Faults the provider will not produce on demand are in
// `modes/oidc_faults.rs`; the browserless login (set-up, not behaviour) is `support/browser.rs`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use idpkit::oidc::{SessionOptions, Principal, PrincipalType};
use idpkit::oidc::{AuthMethod, TokenSet};
use idpkit::oidc::{AuthorizationOptions, AuthorizationRequest};
use idpkit::oidc::LogoutOptions;
use idpkit::{ErrorKind, OAuthErrorCode, Result, TokenValidationError};

use super::common::{client_credentials, create_agent, discover, get_user_info, handle_callback};
use super::common::{now_secs, refresh, session_agent, verify_id_token};
use super::{agents_at_once, idp, maybe_async};
use crate::{browser, op, provider};

/// The redirect URI registered (any loopback port) for the code-flow clients.
const REDIRECT: &str = "http://127.0.0.1:8976/callback";
const SCOPES: &[&str] = &[
    "openid",
    "email",
    "profile",
    "organizations",
    "offline_access",
];

#[maybe_async]
async fn client_with(
    op: &op::TestOp,
    client_id: &str,
    method: Option<AuthMethod>,
) -> idp::IdpClient {
    let mut builder = idp::IdpClient::builder(&op.issuer, client_id).redirect_uri(REDIRECT);
    if let Some(secret) = op.client_secret(client_id) {
        builder = builder.client_secret(secret);
    }
    if let Some(method) = method {
        builder = builder.auth_method(method);
    }
    discover(builder).await.expect("discovery")
}

#[maybe_async]
async fn rp(op: &op::TestOp, client_id: &str) -> idp::IdpClient {
    client_with(op, client_id, None).await
}

/// Signs in through the provider's pages (browserless) and returns the callback URL.
fn sign_in(
    client: &idp::IdpClient,
    login_hint: &str,
    scopes: &[&str],
) -> (AuthorizationRequest, String) {
    let options = AuthorizationOptions {
        login_hint: Some(login_hint.to_owned()),
        ..AuthorizationOptions::from(scopes)
    };
    let request = client
        .create_authorization_url(options)
        .expect("authorization URL");
    let url = browser::Browser::new().follow_until(&request.url, REDIRECT);
    (request, url)
}

#[maybe_async]
async fn login(client: &idp::IdpClient, login_hint: &str) -> Principal {
    let (request, url) = sign_in(client, login_hint, SCOPES);
    handle_callback(client, &url, &request).await.expect("callback")
}

fn assert_alice(agent: &Principal) {
    assert_eq!(agent.id(), "usr_alice");
    assert_eq!(agent.principal_type(), PrincipalType::User);
    assert_eq!(agent.email(), Some("alice@example.com"));
    assert!(agent.email_verified());
    assert_eq!(agent.organizations().len(), 2);
    assert!(agent.is_member_of("org_acme") && agent.is_member_of("org_beta"));
    assert!(agent.is_owner_of("org_acme") && agent.is_admin_of("org_acme"));
    assert!(!agent.is_owner_of("org_beta"));
    assert!(agent.has_access_in("org_acme", "write", "projects.tasks"));
    assert!(!agent.has_access_in("org_beta", "write", "projects"));
    assert!(agent.has_access_in("org_beta", "read", "projects"));
    assert!(agent.has_access("read", "users"));
    assert!(!agent.has_access("delete", "users"));
    assert!(agent.tokens().refresh_token.is_some());
    assert!(agent.tokens().id_token.is_some());
    assert!(agent.expires_in().is_some_and(|d| d > Duration::ZERO));
}

#[test]
fn code_flow_confidential_client_with_basic_auth() {
    let op = provider();
    let client = run!(rp(op, "conf-basic"));
    assert!(format!("{client:?}").contains("ClientSecretBasic"));
    let agent = run!(login(&client, "usr_alice"));
    assert_alice(&agent);
    #[derive(serde::Deserialize)]
    struct Mine {
        name: String,
        email: String,
    }
    let mine: Mine = agent.claims_as().expect("own claim struct");
    assert_eq!(mine.email, "alice@example.com");
    assert!(!mine.name.is_empty());
}

#[test]
fn code_flow_confidential_client_with_post_auth() {
    let op = provider();
    let client = run!(client_with(
        op,
        "conf-post",
        Some(AuthMethod::ClientSecretPost)
    ));
    assert!(format!("{client:?}").contains("ClientSecretPost"));
    let agent = run!(login(&client, "usr_bob"));
    assert_eq!(agent.id(), "usr_bob");
    assert!(!agent.email_verified());
}

#[test]
fn code_flow_public_client_with_pkce_only() {
    let op = provider();
    assert_eq!(op.client_secret("public"), None);
    let client = run!(rp(op, "public"));
    let agent = run!(login(&client, "usr_carol"));
    assert_eq!(agent.id(), "usr_carol");
    assert!(agent.organizations().is_empty());
}

#[test]
fn callback_errors_are_typed() {
    let op = provider();
    let client = run!(rp(op, "conf-basic"));
    for (hint, code) in [
        ("error:login_required", OAuthErrorCode::LoginRequired),
        ("error:consent_required", OAuthErrorCode::ConsentRequired),
        (
            "error:interaction_required",
            OAuthErrorCode::InteractionRequired,
        ),
        ("error:access_denied", OAuthErrorCode::AccessDenied),
    ] {
        let (request, url) = sign_in(&client, hint, SCOPES);
        let err = run!(handle_callback(&client, &url, &request)).expect_err(hint);
        let oauth = err.oauth().unwrap_or_else(|| panic!("{hint}: {err:?}"));
        assert_eq!(oauth.code, code, "{hint}");
        assert!(oauth.description.is_some(), "{hint}");
    }
}

#[test]
fn a_callback_for_another_request_is_refused_before_the_code_is_used() {
    // Its own provider: it counts code exchanges, which other tests make at the same time.
    let op = op::TestOp::start().expect("dedicated provider");
    let client = run!(rp(&op, "conf-basic"));
    let (_, url) = sign_in(&client, "usr_alice", SCOPES);
    let other = client.create_authorization_url(SCOPES).expect("url");
    let before = op.token_requests("authorization_code");
    let err = run!(handle_callback(&client, &url, &other)).expect_err("state mismatch");
    assert!(matches!(err.kind(), ErrorKind::StateMismatch), "{err:?}");
    assert_eq!(op.token_requests("authorization_code"), before);
}

#[test]
fn a_callback_from_another_issuer_is_refused() {
    let op = provider();
    let client = run!(rp(op, "conf-basic"));
    let (request, url) = sign_in(&client, "usr_alice", SCOPES);
    let iss = url::form_urlencoded::byte_serialize(op.issuer.as_bytes()).collect::<String>();
    assert!(url.contains(&iss), "{url}");
    let forged = url.replace(&iss, "https%3A%2F%2Fevil.example");
    let err = run!(handle_callback(&client, &forged, &request)).expect_err("iss");
    assert!(
        matches!(err.kind(), ErrorKind::CallbackIssuerMismatch { actual: Some(a), .. } if a == "https://evil.example"),
        "{err:?}"
    );
    // The provider advertises RFC 9207, so a callback without `iss` is refused too.
    let stripped = url
        .replace(&format!("&iss={iss}"), "")
        .replace(&format!("iss={iss}&"), "");
    assert!(!stripped.contains("iss="), "{stripped}");
    let err = run!(handle_callback(&client, &stripped, &request)).expect_err("no iss");
    assert!(
        matches!(
            err.kind(),
            ErrorKind::CallbackIssuerMismatch { actual: None, .. }
        ),
        "{err:?}"
    );
}

#[test]
fn refresh_rotates_the_refresh_token_and_the_old_one_is_dead() {
    let op = provider();
    let client = run!(rp(op, "conf-basic"));
    let first = run!(login(&client, "usr_alice"));
    let second = run!(refresh(&client, &first)).expect("refresh");
    assert_alice(&second);
    let (old, new) = (
        &first.tokens().refresh_token,
        &second.tokens().refresh_token,
    );
    assert_ne!(old, new, "the provider rotates refresh tokens");
    assert_ne!(first.access_token(), second.access_token());
    // Reusing the rotated-out token: invalid_grant (and the provider revokes the grant).
    let err = run!(refresh(&client, &first)).expect_err("reuse");
    assert_eq!(
        err.oauth().map(|o| o.code.clone()),
        Some(OAuthErrorCode::InvalidGrant)
    );
    assert!(!err.is_retryable());
}

/// Tokens of a fresh login, marked as expiring in `secs` seconds.
fn expiring(agent: &Principal, secs: u64) -> TokenSet {
    let mut tokens = agent.tokens().clone();
    tokens.expires_at = Some(now_secs() + secs);
    tokens
}

#[test]
fn fifty_concurrent_callers_share_one_refresh() {
    let op = op::TestOp::start().expect("dedicated provider");
    let client = run!(rp(&op, "conf-basic"));
    let agent = run!(login(&client, "usr_alice"));
    let seen = Arc::new(Mutex::new(Vec::<TokenSet>::new()));
    let sink = Arc::clone(&seen);
    let options = SessionOptions::new().on_refresh(move |t| sink.lock().unwrap().push(t.clone()));
    // Expires within the 60 s buffer: the first caller refreshes, the other 49 wait for it.
    let session = run!(create_agent(&client, expiring(&agent, 10), options)).expect("session");
    let before = op.token_requests("refresh_token");
    let results = agents_at_once(&session, 50);
    assert_eq!(
        op.token_requests("refresh_token") - before,
        1,
        "exactly one refresh request"
    );
    let agents: Vec<_> = results
        .into_iter()
        .map(|r| r.expect("every caller succeeds"))
        .collect();
    assert!(
        agents
            .iter()
            .all(|a| a.access_token() == agents[0].access_token())
    );
    assert_ne!(agents[0].access_token(), agent.access_token());
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "on_refresh called once");
    assert_eq!(&seen[0], agents[0].tokens());
    // The refreshed session keeps working: a later call does not refresh again.
    let again = run!(session_agent(&session, None)).expect("again");
    assert_eq!(again.access_token(), agents[0].access_token());
    assert_eq!(op.token_requests("refresh_token") - before, 1);
}

#[test]
fn a_session_without_auto_refresh_reports_expiry_and_never_calls_the_provider() {
    let op = provider();
    let client = run!(rp(op, "conf-basic"));
    let agent = run!(login(&client, "usr_alice"));
    let mut tokens = agent.tokens().clone();
    tokens.expires_at = Some(now_secs() - 5);
    let session = run!(create_agent(
        &client,
        tokens.clone(),
        SessionOptions::new().auto_refresh(false)
    ))
    .expect("session");
    let err = run!(session_agent(&session, None)).expect_err("expired");
    assert!(matches!(err.kind(), ErrorKind::TokenExpired), "{err:?}");
    // Per call, refresh can be asked for.
    let fresh = run!(session_agent(&session, Some(true))).expect("refresh on request");
    assert!(!fresh.is_expired(Duration::ZERO));
    // Without a refresh token an expired session cannot be saved.
    tokens.refresh_token = None;
    let errors = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&errors);
    let options = SessionOptions::new().on_refresh_error(move |_| {
        count.fetch_add(1, Ordering::SeqCst);
    });
    let session = run!(create_agent(&client, tokens, options)).expect("session");
    let err = run!(session_agent(&session, None)).expect_err("no refresh token");
    assert!(matches!(err.kind(), ErrorKind::TokenExpired), "{err:?}");
    assert_eq!(errors.load(Ordering::SeqCst), 1);
}

#[test]
fn stored_tokens_resume_the_same_agent() {
    let op = provider();
    let client = run!(rp(op, "conf-basic"));
    let agent = run!(login(&client, "usr_alice"));
    let stored = serde_json::to_string(agent.tokens()).expect("store");
    let tokens: TokenSet = serde_json::from_str(&stored).expect("load");
    let session = run!(create_agent(&client, tokens, SessionOptions::new())).expect("session");
    let resumed = run!(session_agent(&session, None)).expect("agent");
    assert_eq!(
        resumed.access_token(),
        agent.access_token(),
        "no refresh while fresh"
    );
    assert_alice(&resumed);
    // A token set whose ID token was issued for another client is refused.
    let other = run!(rp(op, "conf-post"));
    let err = run!(create_agent(&other, agent.tokens().clone(), SessionOptions::new())).expect_err("aud");
    assert!(
        matches!(
            err.kind(),
            ErrorKind::TokenValidation(TokenValidationError::AudienceMismatch)
        ),
        "{err:?}"
    );
}

#[test]
fn key_rotation_triggers_one_jwks_refetch() {
    let op = op::TestOp::start().expect("dedicated provider");
    let client = run!(rp(&op, "conf-basic"));
    let agent = run!(login(&client, "usr_alice"));
    let jwks_before = op.jwks_requests();
    let new_kid = op.rotate_keys();
    // The refreshed ID token is signed with a key the client has not seen.
    let refreshed = run!(refresh(&client, &agent)).expect("refresh after rotation");
    assert_eq!(op.jwks_requests() - jwks_before, 1, "one refetch");
    let header = jsonwebtoken::decode_header(
        refreshed
            .tokens()
            .id_token
            .as_ref()
            .unwrap()
            .expose_secret(),
    )
    .unwrap();
    assert_eq!(header.kid.as_deref(), Some(new_kid.as_str()));
    // Known from now on: another login does not fetch again.
    let _ = run!(login(&client, "usr_bob"));
    assert_eq!(op.jwks_requests() - jwks_before, 1);
}

/// Claims of a well-formed ID token for `conf-basic`, to be spoiled one at a time.
fn claims(op: &op::TestOp) -> serde_json::Value {
    let now = now_secs();
    serde_json::json!({
        "iss": op.issuer, "sub": "usr_alice", "aud": "conf-basic",
        "iat": now, "exp": now + 300, "nonce": "n-123",
    })
}

#[test]
fn forged_id_tokens_are_each_rejected_with_their_own_error() {
    let op = op::TestOp::start().expect("dedicated provider");
    let client = run!(rp(&op, "conf-basic"));
    let good = op.sign(claims(&op), serde_json::json!({}));
    let verified =
        run!(verify_id_token(&client, &good, Some("n-123"))).expect("the unspoiled token verifies");
    assert_eq!(verified.sub, "usr_alice");

    let b64 = |v: &serde_json::Value| {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let signed = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut c = claims(&op);
        f(&mut c);
        op.sign(c, serde_json::json!({}))
    };
    let kid = jsonwebtoken::decode_header(&good).unwrap().kid.unwrap();
    let unsigned = format!(
        "{}.{}.",
        b64(&serde_json::json!({"alg": "none", "typ": "JWT", "kid": kid})),
        b64(&claims(&op))
    );
    // Flip one character in the middle of the signature (the last one only holds padding bits).
    let mut bad_signature = good.clone().into_bytes();
    let at = bad_signature.len() - 20;
    bad_signature[at] = if bad_signature[at] == b'A' {
        b'B'
    } else {
        b'A'
    };
    let bad_signature = String::from_utf8(bad_signature).unwrap();
    // HS256 "signed" with the provider's public key (the classic algorithm-confusion attack).
    let public_jwks = op.jwks();
    let hs256 = jsonwebtoken::encode(
        &jsonwebtoken::Header {
            alg: jsonwebtoken::Algorithm::HS256,
            kid: Some(kid.clone()),
            ..Default::default()
        },
        &claims(&op),
        &jsonwebtoken::EncodingKey::from_secret(public_jwks.as_bytes()),
    )
    .unwrap();
    use TokenValidationError as V;
    let cases: Vec<(&str, String, Option<&str>, V)> = vec![
        (
            "alg none",
            unsigned,
            Some("n-123"),
            V::AlgorithmNotAllowed("none".into()),
        ),
        (
            "bad signature",
            bad_signature,
            Some("n-123"),
            V::InvalidSignature,
        ),
        (
            "HS256 with the public key",
            hs256,
            Some("n-123"),
            V::AlgorithmNotAllowed("HS256".into()),
        ),
        (
            "wrong iss",
            signed(&|c| c["iss"] = "https://evil.example".into()),
            Some("n-123"),
            V::IssuerMismatch {
                actual: "https://evil.example".into(),
            },
        ),
        (
            "wrong aud",
            signed(&|c| c["aud"] = "conf-post".into()),
            Some("n-123"),
            V::AudienceMismatch,
        ),
        (
            "several aud, no azp",
            signed(&|c| c["aud"] = serde_json::json!(["conf-basic", "other"])),
            Some("n-123"),
            V::AuthorizedPartyMismatch,
        ),
        (
            "expired",
            signed(&|c| {
                c["exp"] = (now_secs() - 120).into();
                c["iat"] = (now_secs() - 400).into();
            }),
            Some("n-123"),
            V::Expired,
        ),
        (
            "iat in the future",
            signed(&|c| c["iat"] = (now_secs() + 3600).into()),
            Some("n-123"),
            V::IssuedInFuture,
        ),
        ("wrong nonce", good.clone(), Some("n-456"), V::NonceMismatch),
        (
            "missing nonce",
            signed(&|c| {
                c.as_object_mut().unwrap().remove("nonce");
            }),
            Some("n-123"),
            V::NonceMismatch,
        ),
    ];
    for (what, token, nonce, expected) in cases {
        let err = run!(verify_id_token(&client, &token, nonce)).expect_err(what);
        match err.kind() {
            ErrorKind::TokenValidation(actual) => assert_eq!(actual, &expected, "{what}"),
            other => panic!("{what}: {other:?}"),
        }
    }

    // An unknown kid: one refetch (the key is still unknown), then no more refetches however
    // many such tokens arrive within the refetch interval.
    let before = op.jwks_requests();
    for _ in 0..20 {
        let forged = op.sign(claims(&op), serde_json::json!({"kid": "no-such-key"}));
        let err = run!(verify_id_token(&client, &forged, Some("n-123"))).expect_err("unknown kid");
        assert!(
            matches!(err.kind(), ErrorKind::TokenValidation(V::UnknownKey(Some(k))) if k == "no-such-key"),
            "{err:?}"
        );
    }
    assert_eq!(
        op.jwks_requests() - before,
        1,
        "one refetch for twenty forged tokens"
    );
}

#[test]
fn userinfo_belongs_to_the_agent() {
    let op = provider();
    let client = run!(rp(op, "conf-basic"));
    let agent = run!(login(&client, "usr_alice"));
    let claims = run!(get_user_info(&client, &agent)).expect("userinfo");
    assert_eq!(claims["sub"], "usr_alice");
    assert_eq!(claims["email"], "alice@example.com");
    assert_eq!(claims["organizations"].as_array().map(Vec::len), Some(2));
    // Another agent's claims with this agent's token: the subjects differ.
    let bob = run!(login(&client, "usr_bob"));
    let mut tokens = bob.tokens().clone();
    tokens.access_token = agent.access_token().clone();
    let mixed = Principal::from_claims(tokens, bob.claims().clone()).unwrap();
    let err = run!(get_user_info(&client, &mixed)).expect_err("mismatch");
    assert!(
        matches!(err.kind(), ErrorKind::SubjectMismatch { expected, actual } if expected == "usr_bob" && actual == "usr_alice"),
        "{err:?}"
    );
}

#[maybe_async]
async fn revoke_then_introspect(
    client: &idp::IdpClient,
    agent: &Principal,
) -> (bool, bool) {
    let token = agent.access_token();
    let before = client.introspect(token).await.expect("introspect");
    client.revoke_token(token).await.expect("revoke");
    let after = client.introspect(token).await.expect("introspect");
    assert_eq!(before.sub.as_deref(), Some(agent.id()));
    assert!(
        before
            .scope
            .as_deref()
            .unwrap_or_default()
            .contains("openid")
    );
    (before.active, after.active)
}

#[test]
fn revoked_tokens_introspect_as_inactive() {
    let op = provider();
    let client = run!(rp(op, "conf-basic"));
    let agent = run!(login(&client, "usr_alice"));
    assert_eq!(run!(revoke_then_introspect(&client, &agent)), (true, false));
}

#[test]
fn client_credentials_give_a_service_agent_with_token_scopes() {
    let op = provider();
    let client = run!(rp(op, "service"));
    let agent =
        run!(client_credentials(&client, &["projects:read", "users:read"])).expect("client credentials");
    assert_eq!(agent.principal_type(), PrincipalType::Agent);
    assert_eq!(agent.id(), "service");
    assert!(agent.has_access("read", "projects"));
    assert!(agent.has_access("read", "users"));
    assert!(!agent.has_access("write", "projects"));
    assert!(agent.tokens().refresh_token.is_none());
    // A wrong secret is an OAuth error the caller can tell apart.
    let bad = run!(with_bad_secret(op)).expect_err("bad secret");
    assert_eq!(
        bad.oauth().map(|o| o.code.clone()),
        Some(OAuthErrorCode::InvalidClient),
        "{bad:?}"
    );
}

#[maybe_async]
async fn with_bad_secret(op: &op::TestOp) -> Result<Principal> {
    let client = idp::IdpClient::builder(&op.issuer, "service")
        .client_secret("not-the-secret")
        .discover()
        .await?;
    let request = idpkit::oidc::ClientCredentialsRequest::new(["projects:read"]);
    client.client_credentials(&request).await
}

#[test]
fn the_logout_url_is_accepted_by_the_provider() {
    let op = provider();
    let client = run!(rp(op, "conf-basic"));
    let options = AuthorizationOptions {
        login_hint: Some("usr_alice".into()),
        ..AuthorizationOptions::from(SCOPES)
    };
    let request = client.create_authorization_url(options).unwrap();
    let mut browser = browser::Browser::new();
    let url = browser.follow_until(&request.url, REDIRECT);
    let agent = run!(handle_callback(&client, &url, &request)).expect("login");
    let logged_out = "http://127.0.0.1:8976/logged-out";
    let logout = client
        .create_logout_url(LogoutOptions {
            id_token_hint: agent.tokens().id_token.clone(),
            post_logout_redirect_uri: Some(logged_out.into()),
            state: Some("bye-123".into()),
            ..Default::default()
        })
        .expect("logout URL");
    assert!(logout.contains("client_id=conf-basic"), "{logout}");
    let confirm = browser.get(&logout);
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    let xsrf = browser::hidden_input(&confirm.body, "xsrf").expect("xsrf in the confirm page");
    let done = browser.post_form(
        &format!("{}/session/end/confirm", op.issuer),
        &[("xsrf", xsrf.as_str()), ("logout", "yes")],
    );
    assert_eq!(
        done.location.as_deref(),
        Some(format!("{logged_out}?state=bye-123").as_str())
    );
}

#[test]
fn secrets_never_show_in_debug() {
    let op = provider();
    let client = run!(rp(op, "conf-basic"));
    let agent = run!(login(&client, "usr_alice"));
    let request = client.create_authorization_url(SCOPES).unwrap();
    let session = run!(create_agent(&client, agent.tokens().clone(), SessionOptions::new())).unwrap();
    let shown = format!(
        "{client:?} {agent:?} {:?} {request:?} {session:?}",
        agent.tokens()
    );
    let secrets = [
        op.client_secret("conf-basic").unwrap().to_owned(),
        agent.access_token().expose_secret().to_owned(),
        agent
            .tokens()
            .refresh_token
            .as_ref()
            .unwrap()
            .expose_secret()
            .to_owned(),
        agent
            .tokens()
            .id_token
            .as_ref()
            .unwrap()
            .expose_secret()
            .to_owned(),
        request.code_verifier.expose_secret().to_owned(),
    ];
    for secret in secrets {
        assert!(!shown.contains(&secret), "a secret shows in {shown}");
    }
}
