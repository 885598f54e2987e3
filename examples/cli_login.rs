//! A command-line login with the blocking client: listens on a loopback port for the redirect
//! (RFC 8252 §7.3), opens the browser when it can (else prints the URL), and prints who logged in
//! and what they may do.
//!
//! ```text
//! cargo run --example cli_login --features blocking -- \
//!     --issuer https://login.example.com --client-id my-cli [--client-secret S] [--scope "openid email"]
//! ```
//!
//! The client must be registered with the redirect URI `http://127.0.0.1/callback` and allow any
//! port (native application). With `--no-browser` it only prints the URL.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::time::Duration;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

struct Args {
    issuer: String,
    client_id: String,
    client_secret: Option<String>,
    scope: String,
    open_browser: bool,
}

fn parse_args() -> Res<Args> {
    let mut args = Args {
        issuer: String::new(),
        client_id: String::new(),
        client_secret: None,
        scope: "openid email profile organizations".into(),
        open_browser: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--issuer" => args.issuer = it.next().ok_or("--issuer needs a value")?,
            "--client-id" => args.client_id = it.next().ok_or("--client-id needs a value")?,
            "--client-secret" => args.client_secret = it.next(),
            "--scope" => args.scope = it.next().ok_or("--scope needs a value")?,
            "--no-browser" => args.open_browser = false,
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    if args.issuer.is_empty() || args.client_id.is_empty() {
        return Err("usage: cli_login --issuer URL --client-id ID [--client-secret S] [--scope S] [--no-browser]".into());
    }
    Ok(args)
}

fn main() -> Res<()> {
    let args = parse_args()?;
    // The redirect listener: a free loopback port, one request.
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let redirect_uri = format!(
        "http://127.0.0.1:{}/callback",
        listener.local_addr()?.port()
    );

    let mut builder =
        idpkit::IdpClientSync::builder(&args.issuer, &args.client_id).redirect_uri(&redirect_uri);
    if let Some(secret) = args.client_secret {
        builder = builder.client_secret(secret);
    }
    let client = builder.discover()?;
    let scopes: Vec<&str> = args.scope.split_whitespace().collect();
    let request = client.create_authorization_url(scopes.as_slice())?;

    if !(args.open_browser && open_browser(&request.url)) {
        println!(
            "Open this URL in your browser to sign in:\n\n  {}\n",
            request.url
        );
    }
    println!("Waiting for the redirect on {redirect_uri} ...");
    let callback = wait_for_callback(&listener, &redirect_uri)?;
    let agent = client.handle_callback(&callback, &request)?;

    println!("Signed in as {} ({:?})", agent.id(), agent.principal_type());
    if let Some(email) = agent.email() {
        println!("  email: {email} (verified: {})", agent.email_verified());
    }
    for org in agent.organizations() {
        let role = if agent.is_owner_of(&org.id) {
            "owner"
        } else if agent.is_admin_of(&org.id) {
            "admin"
        } else {
            "member"
        };
        println!("  {} ({role}): {}", org.id, org.scopes.join(" "));
    }
    if agent.organizations().is_empty() {
        println!("  token scopes: {}", agent.access().token_scopes());
    }
    Ok(())
}

/// Tries the platform's way of opening a URL; false when none worked.
fn open_browser(url: &str) -> bool {
    let candidates: &[(&str, &[&str])] = if cfg!(target_os = "macos") {
        &[("open", &[])]
    } else if cfg!(target_os = "windows") {
        &[("cmd", &["/C", "start", ""])]
    } else {
        &[("xdg-open", &[])]
    };
    candidates.iter().any(|(cmd, pre)| {
        std::process::Command::new(cmd)
            .args(*pre)
            .arg(url)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Accepts connections until one asks for the callback path; answers it and returns its URL.
fn wait_for_callback(listener: &TcpListener, redirect_uri: &str) -> Res<String> {
    loop {
        let (mut conn, _) = listener.accept()?;
        conn.set_read_timeout(Some(Duration::from_secs(10)))?;
        let mut line = String::new();
        BufReader::new(&conn).read_line(&mut line)?;
        // "GET /callback?code=...&state=... HTTP/1.1"
        let target = line.split_whitespace().nth(1).unwrap_or("");
        if let Some(query) = target.strip_prefix("/callback") {
            let body = "<html><body><p>Signed in. You can close this window.</p></body></html>";
            write!(
                conn,
                "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            )?;
            return Ok(format!("{redirect_uri}{}", query.trim_start_matches('/')));
        }
        write!(
            conn,
            "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        )?;
    }
}
