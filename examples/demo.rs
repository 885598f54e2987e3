//! The README's first command: starts the project's own test OpenID Provider on loopback
//! (installing it with `npm ci` if needed), talks to it with both clients, prints each step,
//! and stops the provider.
//!
//! Run: `cargo run --example demo --features blocking,async`

#[path = "../tests/support/op.rs"]
mod op;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("1. starting the test OpenID Provider (node-oidc-provider) on loopback...");
    let provider = op::TestOp::start()?;
    println!("   issuer: {}", provider.issuer);

    println!("2. discovery with the blocking client (ureq)...");
    let client = idpkit::IdpClientSync::discover(&provider.issuer, "conf-basic")?;
    let m = client.metadata();
    println!("   issuer checked: {}", m.issuer);
    println!("   authorization endpoint: {}", m.authorization_endpoint);
    println!(
        "   token endpoint: {}",
        m.token_endpoint.as_deref().unwrap_or("-")
    );
    println!("   JWKS: {}", m.jwks_uri);
    println!(
        "   ID-token algorithms: {}",
        m.id_token_signing_alg_values_supported.join(", ")
    );

    println!("3. discovery with the async client (reqwest), in the same process...");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let async_client =
        runtime.block_on(idpkit::IdpClient::discover(&provider.issuer, "conf-basic"))?;
    println!(
        "   same metadata as the blocking client: {}",
        async_client.metadata() == client.metadata()
    );

    println!("4. a provider answering for another issuer is refused...");
    let other = provider.issuer.replace("127.0.0.1", "localhost");
    match idpkit::IdpClientSync::discover(&other, "conf-basic") {
        Err(e) => println!("   refused: {e}"),
        Ok(_) => return Err("discovery accepted another issuer".into()),
    }

    drop(provider);
    println!("5. provider stopped. Done.");
    Ok(())
}
