//! A library that wants the async client.

/// Discovers `issuer` with the async client and returns the token endpoint.
pub async fn token_endpoint(issuer: &str) -> Result<String, idpkit::Error> {
    let client = idpkit::IdpClient::discover(issuer, "lib-async").await?;
    Ok(client.metadata().token_endpoint.clone().unwrap_or_default())
}
