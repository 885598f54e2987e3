//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0 §2): the URL to send the user to.

use crate::error::{Error, Result};
use crate::http::{self as h, append_query};
use crate::secret::IdToken;

/// The parameters of an RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0 §2). All
/// optional; `id_token_hint` is RECOMMENDED, and a `post_logout_redirect_uri` must be
/// registered and is best accompanied by `id_token_hint` or `client_id` so the provider can
/// check it. `Debug` redacts the ID token.
///
/// ```
/// use idpkit::{IdToken, oidc::LogoutOptions};
/// let options = LogoutOptions {
///     id_token_hint: Some(IdToken::new("eyJ...")),
///     post_logout_redirect_uri: Some("https://app.example/bye".into()),
///     ..Default::default()
/// };
/// assert!(!format!("{options:?}").contains("eyJ"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogoutOptions {
    /// The ID token last issued to the client for this user, identifying the session.
    pub id_token_hint: Option<IdToken>,
    /// Where the provider sends the user-agent after logout; must be registered.
    pub post_logout_redirect_uri: Option<String>,
    /// An opaque value the provider passes back to `post_logout_redirect_uri`.
    pub state: Option<String>,
    /// The client identifier, for when there is no `id_token_hint`.
    pub client_id: Option<String>,
    /// Preferred languages for the logout pages, space-separated BCP 47 tags.
    pub ui_locales: Option<String>,
    /// A hint about the user who is logging out.
    pub logout_hint: Option<String>,
}

/// The URL to send the user-agent to for RP-initiated logout (RP-Initiated Logout 1.0 §2): the
/// end-session endpoint with the options as query parameters (a query already in the endpoint
/// is kept). The URL carries the ID token when `id_token_hint` is set: do not log it.
///
/// # Errors
///
/// [`ErrorKind::Config`](crate::ErrorKind::Config) when the endpoint is not https (http only on
/// loopback) or has a fragment, when `post_logout_redirect_uri` is not an absolute URL or has a
/// fragment, or when a parameter is already in the endpoint's query.
///
/// ```
/// use idpkit::{IdToken, oidc::{build_logout_url, LogoutOptions}};
/// let options = LogoutOptions {
///     id_token_hint: Some(IdToken::new("eyJ.x.y")),
///     post_logout_redirect_uri: Some("https://app.example/bye".into()),
///     state: Some("s1".into()),
///     ..Default::default()
/// };
/// let url = build_logout_url("https://op.example/logout", &options)?;
/// assert_eq!(
///     url,
///     "https://op.example/logout?id_token_hint=eyJ.x.y&post_logout_redirect_uri=https%3A%2F%2Fapp.example%2Fbye&state=s1"
/// );
/// # Ok::<(), idpkit::Error>(())
/// ```
pub fn build_logout_url(end_session_endpoint: &str, options: &LogoutOptions) -> Result<String> {
    let mut url = h::require_secure_url("end_session_endpoint", end_session_endpoint)?;
    if let Some(uri) = &options.post_logout_redirect_uri {
        match url::Url::parse(uri) {
            Ok(parsed) if parsed.fragment().is_none() => {}
            _ => {
                return Err(Error::config(format!(
                    "post_logout_redirect_uri must be an absolute URL without fragment: {uri:?}"
                )));
            }
        }
    }
    let params = [
        (
            "id_token_hint",
            options.id_token_hint.as_ref().map(IdToken::expose_secret),
        ),
        ("logout_hint", options.logout_hint.as_deref()),
        ("client_id", options.client_id.as_deref()),
        (
            "post_logout_redirect_uri",
            options.post_logout_redirect_uri.as_deref(),
        ),
        ("state", options.state.as_deref()),
        ("ui_locales", options.ui_locales.as_deref()),
    ];
    let params: Vec<(&str, &str)> = params
        .iter()
        .filter_map(|&(name, value)| Some((name, value.filter(|v| !v.is_empty())?)))
        .collect();
    append_query(&mut url, "end_session_endpoint", &params)?;
    Ok(url.into())
}
