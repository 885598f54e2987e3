//! A command-line sign-in on a headless box, with the blocking client and the device
//! authorization grant (RFC 8628): prints where to go and the code to enter, polls the provider
//! until the user answers on another device, then prints who signed in.
//!
//! ```text
//! # against your provider (the client registered for the device grant):
//! cargo run --example cli_device --features blocking -- \
//!     --issuer https://login.example.com --client-id my-cli [--client-secret S] [--scope "openid email"]
//!
//! # unattended demo: starts the project's own test provider (`npm ci` in tests/op on first use)
//! # and, standing in for the user, approves the code itself as usr_alice:
//! cargo run --example cli_device --features blocking -- --demo
//! ```

use idpkit::oidc::CancelToken;

#[path = "../tests/support/op.rs"]
mod op;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

struct Args {
    issuer: Option<String>,
    client_id: String,
    client_secret: Option<String>,
    scope: String,
    demo: bool,
}

fn parse_args() -> Res<Args> {
    let mut args = Args {
        issuer: None,
        client_id: "device".into(),
        client_secret: None,
        scope: "openid email profile organizations offline_access".into(),
        demo: std::env::var_os("IDPKIT_DEMO").is_some(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--issuer" => args.issuer = Some(it.next().ok_or("--issuer needs a value")?),
            "--client-id" => args.client_id = it.next().ok_or("--client-id needs a value")?,
            "--client-secret" => args.client_secret = it.next(),
            "--scope" => args.scope = it.next().ok_or("--scope needs a value")?,
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

    let mut builder = idpkit::IdpClientSync::builder(&issuer, &args.client_id);
    if let Some(secret) = &args.client_secret {
        builder = builder.client_secret(secret.as_str());
    }
    let client = builder.discover()?;

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
        && let Some(provider) = &provider
    {
        // Standing in for the user on their phone: approve the code on the provider.
        provider.approve_device(&device.user_code, "usr_alice");
        println!("[demo] the user approved the code as usr_alice");
    }

    // Share `cancel` with a signal handler to stop waiting on Ctrl-C without another request.
    let cancel = CancelToken::new();
    let principal = client.wait_for_device_authorization(&device, &cancel)?;
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
    Ok(())
}
