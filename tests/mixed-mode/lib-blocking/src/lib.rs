//! A library that wants the blocking client.

/// Discovers `issuer` with the blocking client and returns the token endpoint.
pub fn token_endpoint(issuer: &str) -> Result<String, idpkit::Error> {
    let client = idpkit::IdpClientSync::discover(issuer, "lib-blocking")?;
    Ok(client.metadata().token_endpoint.clone().unwrap_or_default())
}
