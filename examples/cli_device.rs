//! A command-line sign-in on a headless box, with the blocking client and the device
//! authorization grant (RFC 8628): prints where to go and the code to enter, polls the provider
//! until the user answers on another device, then prints who signed in. The tokens are saved in
//! a [`TokenStore`] (`$XDG_CONFIG_HOME/idpkit-cli-device/tokens.json`, owner-only, or `--store
//! PATH`): the next run resumes from it and refreshes silently, without asking again
//! (`--sign-out` forgets them).
//!
//! ```text
//! # against your provider (the client registered for the device grant):
//! cargo run --example cli_device --features blocking -- \
//!     --issuer https://login.example.com --client-id my-cli [--client-secret S] [--scope "openid email"]
//!
//! # unattended demo: starts the project's own test provider (`npm ci` in tests/op on first use)
//! # and, standing in for the user, approves the code itself as usr_alice; then runs a second
//! # time from the saved tokens, which refreshes silently (the store is a temporary file):
//! cargo run --example cli_device --features blocking -- --demo
//! ```

use idpkit::IdpClientSync;
use idpkit::oidc::{CancelToken, Principal, SessionOptions, TokenStore};

#[path = "../tests/support/op.rs"]
mod op;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

struct Args {
    issuer: Option<String>,
    client_id: String,
    client_secret: Option<String>,
    scope: String,
    store: Option<String>,
    sign_out: bool,
    demo: bool,
}

fn parse_args() -> Res<Args> {
    let mut args = Args {
        issuer: None,
        client_id: "device".into(),
        client_secret: None,
        scope: "openid email profile organizations offline_access".into(),
        store: None,
        sign_out: false,
        demo: std::env::var_os("IDPKIT_DEMO").is_some(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--issuer" => args.issuer = Some(it.next().ok_or("--issuer needs a value")?),
            "--client-id" => args.client_id = it.next().ok_or("--client-id needs a value")?,
            "--client-secret" => args.client_secret = it.next(),
            "--scope" => args.scope = it.next().ok_or("--scope needs a value")?,
            "--store" => args.store = Some(it.next().ok_or("--store needs a value")?),
            "--sign-out" => args.sign_out = true,
            "--demo" => args.demo = true,
            other => return Err(format!("unknown argument {other:?}").into()),
        }
    }
    if args.issuer.is_none() && !args.demo {
        return Err(
            "give --issuer and --client-id, or --demo to run against the test provider".into(),
        );
    }
    Ok(args)
}

fn main() -> Res<()> {
    let args = parse_args()?;
    // In demo mode, the project's test provider (kept alive until the end of `main`).
    let provider = match &args.issuer {
        Some(_) => None,
        None => Some(op::TestOp::start()?),
    };
    let issuer = match (&args.issuer, &provider) {
        (Some(issuer), _) => issuer.clone(),
        (None, Some(provider)) => provider.issuer.clone(),
        (None, None) => unreachable!("checked by parse_args"),
    };
    let store = match (&args.store, args.demo) {
        (Some(path), _) => TokenStore::new(path),
        (None, true) => TokenStore::new(std::env::temp_dir().join(format!(
            "idpkit-cli-device-{}/tokens.json",
            std::process::id()
        ))),
        (None, false) => TokenStore::in_config_dir("idpkit-cli-device")?,
    };
    if args.sign_out {
        store.clear()?;
        println!("Signed out: {} removed", store.path().display());
        return Ok(());
    }

    let mut builder = IdpClientSync::builder(&issuer, &args.client_id);
    if let Some(secret) = &args.client_secret {
        builder = builder.client_secret(secret.as_str());
    }
    let client = builder.discover()?;

    let principal = match client.resume_session(&store, SessionOptions::new())? {
        Some(session) => {
            println!("Resuming from {}", store.path().display());
            session.principal()? // refreshed silently when the access token is about to expire
        }
        None => {
            let principal = sign_in(&client, &args, provider.as_ref())?;
            store.save(principal.tokens())?;
            println!("Tokens saved to {} (owner-only)", store.path().display());
            principal
        }
    };
    report(&principal);

    if args.demo {
        // The demo's second run: from the saved tokens, with a refresh, and no user at all.
        let session = client
            .resume_session(&store, SessionOptions::new())?
            .ok_or("the tokens were just saved")?;
        let refreshed = session.refresh()?;
        println!(
            "[demo] second run: resumed {} from the store and refreshed silently",
            refreshed.id()
        );
        store.clear()?;
        if let Some(dir) = store.path().parent() {
            std::fs::remove_dir(dir)?;
        }
    }
    Ok(())
}

/// The device flow: print where to go, wait for the user's answer.
fn sign_in(client: &IdpClientSync, args: &Args, provider: Option<&op::TestOp>) -> Res<Principal> {
    let scopes: Vec<&str> = args.scope.split_whitespace().collect();
    let device = client.start_device_authorization(scopes.as_slice())?;
    println!("To sign in, open {}", device.verification_uri);
    println!("and enter the code  {}", device.user_code);
    if let Some(complete) = &device.verification_uri_complete {
        println!("(or open {complete} directly)");
    }
    println!(
        "Waiting for you to approve (the code expires in {} s)...",
        device.expires_in(std::time::SystemTime::now()).as_secs()
    );
    if args.demo
        && let Some(provider) = provider
    {
        // Standing in for the user on their phone: approve the code on the provider.
        provider.approve_device(&device.user_code, "usr_alice");
        println!("[demo] the user approved the code as usr_alice");
    }
    // Share `cancel` with a signal handler to stop waiting on Ctrl-C without another request.
    let cancel = CancelToken::new();
    Ok(client.wait_for_device_authorization(&device, &cancel)?)
}

fn report(principal: &Principal) {
    println!(
        "Signed in as {} ({})",
        principal.id(),
        principal.email().unwrap_or("no email")
    );
    for org in principal.organizations() {
        println!(
            "  member of {} ({}): {}",
            org.title.as_deref().unwrap_or("-"),
            org.id,
            org.scopes.join(" ")
        );
    }
    println!(
        "access token valid for {} s; refresh token: {}",
        principal.expires_in().map_or(0, |d| d.as_secs()),
        if principal.tokens().refresh_token.is_some() {
            "yes"
        } else {
            "no"
        }
    );
}
