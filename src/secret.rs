//! Secrets: client secrets and tokens. Each is a newtype whose `Debug` prints
//! `Name([redacted])` and which has no `Display`, so none can reach a log line by accident. The
//! value is read with `expose_secret()`. Tokens serialise as plain strings (so a
//! [`TokenSet`](crate::oidc::TokenSet) can be stored); keep such storage as private as the
//! tokens themselves.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! secret_string {
    ($(#[$doc:meta])* $name:ident, $example:literal) => {
        $(#[$doc])*
        ///
        /// ```
        #[doc = concat!("let s = idpkit::", stringify!($name), "::new(\"", $example, "\");")]
        #[doc = concat!("assert_eq!(format!(\"{s:?}\"), \"", stringify!($name), "([redacted])\");")]
        #[doc = concat!("assert_eq!(s.expose_secret(), \"", $example, "\");")]
        /// ```
        #[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a value.
            ///
            /// ```
            #[doc = concat!("let s = idpkit::", stringify!($name), "::new(String::from(\"", $example, "\"));")]
            /// ```
            pub fn new(value: impl Into<String>) -> Self {
                $name(value.into())
            }

            /// The value itself, for sending it where it belongs.
            ///
            /// ```
            #[doc = concat!("assert_eq!(idpkit::", stringify!($name), "::new(\"x\").expose_secret(), \"x\");")]
            /// ```
            pub fn expose_secret(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name::new(s)
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                $name::new(s)
            }
        }
    };
}

secret_string!(
    /// A client secret (`client_secret_basic` / `client_secret_post`).
    ClientSecret,
    "s3cr3t"
);
secret_string!(
    /// An OAuth 2.0 access token.
    AccessToken,
    "at-123"
);
secret_string!(
    /// An OAuth 2.0 refresh token.
    RefreshToken,
    "rt-123"
);
secret_string!(
    /// An OpenID Connect ID token, as the compact JWT string.
    IdToken,
    "eyJhbGciOi..."
);
secret_string!(
    /// A PKCE code verifier (RFC 7636 §4.1).
    CodeVerifier,
    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
);
