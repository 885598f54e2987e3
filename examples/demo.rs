//! The README's first command: starts the project's own test OpenID Provider on loopback
//! (installing it with `npm ci` if needed) and runs a full session against it, printing each
//! step: discovery, login (the provider's pages are walked without a browser), identity, an
//! access check per organization, a session resumed from stored tokens and refreshed, userinfo,
//! a service token, revocation, logout; then stops the provider. The blocking and the async
//! client take turns, in one process.
//!
//! Run: `cargo run --example demo --features blocking,async`

use idpkit::oidc::AuthorizationOptions;
use idpkit::oidc::{ClientCredentialsRequest, LogoutOptions};
use idpkit::oidc::{Principal, SessionOptions};

#[path = "../tests/support/browser.rs"]
mod browser;
#[path = "../tests/support/op.rs"]
mod op;

const REDIRECT: &str = "http://127.0.0.1:8976/callback";

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn main() -> Res<()> {
    println!("1. Starting the test OpenID Provider (node-oidc-provider) on loopback...");
    let provider = op::TestOp::start()?;
    println!("   issuer {}", provider.issuer);

    println!("2. Discovery (blocking client): the provider's `issuer` must equal ours exactly.");
    let client = idpkit::IdpClientSync::builder(&provider.issuer, "conf-basic")
        .client_secret(provider.client_secret("conf-basic").ok_or("no secret")?)
        .redirect_uri(REDIRECT)
        .discover()?;
    println!(
        "   token endpoint {}",
        client.metadata().token_endpoint.as_deref().unwrap_or("-")
    );
    println!("   client: {client:?}");

    println!("3. Sign-in: authorization URL with PKCE S256, state and nonce...");
    let options = AuthorizationOptions {
        login_hint: Some("usr_alice".into()),
        ..AuthorizationOptions::new([
            "openid",
            "email",
            "profile",
            "organizations",
            "offline_access",
        ])
    };
    let request = client.create_authorization_url(options)?;
    println!("   {}...", &request.url[..request.url.len().min(110)]);
    let mut browser = browser::Browser::new();
    let callback = browser.follow_until(&request.url, REDIRECT);
    println!(
        "   the provider redirected back: {}...",
        &callback[..callback.len().min(90)]
    );
    let agent = client.handle_callback(&callback, &request)?;
    println!(
        "   state, iss, code exchange, ID token (signature, iss, aud, exp, iat, nonce): all checked"
    );
    print_identity(&agent);

    println!("4. Access checks, per organization (compiled once, nanoseconds each):");
    for (action, resource) in [
        ("read", "projects"),
        ("write", "projects.tasks"),
        ("delete", "users"),
    ] {
        for org in agent.organizations() {
            println!(
                "   {:<6} {:<15} in {:<8} -> {}",
                action,
                resource,
                org.id,
                agent.has_access_in(&org.id, action, resource)
            );
        }
    }
    for org in agent.organizations() {
        println!(
            "   {}: owner {}, admin {}",
            org.id,
            agent.is_owner_of(&org.id),
            agent.is_admin_of(&org.id)
        );
    }

    println!(
        "5. A session resumed from stored tokens (async client), expiring soon -> refreshed once:"
    );
    let stored = serde_json::to_string(agent.tokens())?;
    let mut tokens: idpkit::oidc::TokenSet = serde_json::from_str(&stored)?;
    tokens.expires_at = Some(now_secs() + 10); // inside the 60 s refresh buffer
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let async_client = runtime.block_on(
        idpkit::IdpClient::builder(&provider.issuer, "conf-basic")
            .client_secret(provider.client_secret("conf-basic").ok_or("no secret")?)
            .redirect_uri(REDIRECT)
            .discover(),
    )?;
    let options = SessionOptions::new().on_refresh(|t| {
        println!(
            "   on_refresh: new tokens to store (refresh token rotated: {})",
            t.refresh_token.is_some()
        )
    });
    let session = runtime.block_on(async_client.create_agent(tokens, options))?;
    let refreshed = runtime.block_on(async {
        // Ten concurrent callers share one refresh request.
        let calls = (0..10).map(|_| {
            let s = session.clone();
            tokio::spawn(async move { s.principal().await })
        });
        let mut last = None;
        for call in calls {
            last = Some(call.await.map_err(|e| e.to_string())??);
        }
        Ok::<_, Box<dyn std::error::Error>>(last.ok_or("no caller")?)
    })?;
    println!(
        "   refresh requests seen by the provider: {}; new access token: {}",
        provider.token_requests("refresh_token"),
        refreshed.access_token() != agent.access_token()
    );

    println!("6. Userinfo (its `sub` must be the agent's):");
    let info = client.get_user_info(&refreshed)?;
    println!("   sub {}, name {}", info["sub"], info["name"]);

    println!("7. A service authenticates itself (client credentials):");
    let service_client = idpkit::IdpClientSync::builder(&provider.issuer, "service")
        .client_secret(provider.client_secret("service").ok_or("no secret")?)
        .discover()?;
    let service = service_client.client_credentials(&ClientCredentialsRequest::new([
        "projects:read",
        "users:read",
    ]))?;
    println!(
        "   {} ({:?}): read projects {}, write projects {}",
        service.id(),
        service.principal_type(),
        service.has_access("read", "projects"),
        service.has_access("write", "projects")
    );

    println!("8. Revocation, then introspection:");
    let token = refreshed.access_token();
    let before = client.introspect(token)?;
    client.revoke_token(token)?;
    let after = client.introspect(token)?;
    println!("   active before {}, after {}", before.active, after.active);

    println!("9. Logout URL (RP-initiated logout), accepted by the provider:");
    let logout = client.create_logout_url(LogoutOptions {
        id_token_hint: refreshed.tokens().id_token.clone(),
        post_logout_redirect_uri: Some("http://127.0.0.1:8976/logged-out".into()),
        state: Some("bye".into()),
        ..Default::default()
    })?;
    let page = browser.get(&logout);
    println!(
        "   the provider answers HTTP {} with its logout confirmation",
        page.status
    );

    drop(provider);
    println!("10. Provider stopped. Done.");
    Ok(())
}

fn print_identity(agent: &Principal) {
    println!(
        "   signed in: {} ({:?}), email {} (verified: {})",
        agent.id(),
        agent.principal_type(),
        agent.email().unwrap_or("-"),
        agent.email_verified()
    );
    println!(
        "   token expires in {:?}; tokens in Debug: {:?}",
        agent.expires_in().unwrap_or_default(),
        agent.tokens()
    );
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
