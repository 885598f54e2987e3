//! What kind of token a token is: the `token_type_hint` of revocation and introspection
//! (RFC 7009 §2.1, RFC 7662 §2.1), and the [`OAuthToken`] trait that gives it.

use serde::{Deserialize, Serialize};

use crate::secret::{AccessToken, RefreshToken};

/// Which kind of token is being revoked or introspected (`token_type_hint`, RFC 7009 §2.1,
/// RFC 7662 §2.1). Only a hint: the server looks further if it is wrong.
///
/// ```
/// use idpkit::oidc::TokenTypeHint;
/// assert_eq!(TokenTypeHint::AccessToken.as_str(), "access_token");
/// assert_eq!(serde_json::to_string(&TokenTypeHint::RefreshToken).unwrap(), r#""refresh_token""#);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TokenTypeHint {
    /// `access_token`.
    AccessToken,
    /// `refresh_token`.
    RefreshToken,
}

impl TokenTypeHint {
    /// The hint as sent.
    ///
    /// ```
    /// assert_eq!(idpkit::oidc::TokenTypeHint::RefreshToken.as_str(), "refresh_token");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            TokenTypeHint::AccessToken => "access_token",
            TokenTypeHint::RefreshToken => "refresh_token",
        }
    }
}

/// A token the provider can revoke or introspect: an [`AccessToken`] or a [`RefreshToken`].
/// Its type gives the `token_type_hint` the clients send, so callers never pass a raw string.
///
/// ```
/// use idpkit::{AccessToken, RefreshToken, oidc::{OAuthToken, TokenTypeHint}};
/// assert_eq!(AccessToken::new("at").type_hint(), TokenTypeHint::AccessToken);
/// assert_eq!(RefreshToken::new("rt").type_hint(), TokenTypeHint::RefreshToken);
/// ```
pub trait OAuthToken: sealed::Sealed + Send + Sync {
    /// The token itself, to put on the wire (never to log).
    ///
    /// ```
    /// use idpkit::{RefreshToken, oidc::OAuthToken};
    /// assert_eq!(RefreshToken::new("rt").expose_token(), "rt");
    /// ```
    fn expose_token(&self) -> &str;

    /// What kind of token it is: the `token_type_hint` sent with it.
    ///
    /// ```
    /// use idpkit::{AccessToken, oidc::{OAuthToken, TokenTypeHint}};
    /// assert_eq!(AccessToken::new("at").type_hint(), TokenTypeHint::AccessToken);
    /// ```
    fn type_hint(&self) -> TokenTypeHint;
}

impl OAuthToken for AccessToken {
    fn expose_token(&self) -> &str {
        self.expose_secret()
    }
    fn type_hint(&self) -> TokenTypeHint {
        TokenTypeHint::AccessToken
    }
}

impl OAuthToken for RefreshToken {
    fn expose_token(&self) -> &str {
        self.expose_secret()
    }
    fn type_hint(&self) -> TokenTypeHint {
        TokenTypeHint::RefreshToken
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::AccessToken {}
    impl Sealed for crate::RefreshToken {}
}
