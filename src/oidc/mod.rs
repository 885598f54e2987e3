//! OpenID Connect relying party: the pure halves of every exchange with the provider.
//!
//! Each file is one concern, each call *prepare → send → parse* with only the middle step in the
//! clients of [`blocking`](crate::blocking) and [`asynch`](crate::asynch):
//!
//! | file | what |
//! |---|---|
//! | `discovery` | the provider's metadata ([`ProviderMetadata`], [`Issuer`]) |
//! | `webfinger` | issuer discovery from a user's identifier, OIDC Discovery §2 ([`WebFingerQuery`]) |
//! | `authorize` | the authorization request and the callback ([`AuthorizationRequest`], [`CallbackParams`]) |
//! | `pkce` | PKCE S256 (RFC 7636) |
//! | `client_auth` | how the client authenticates at the provider ([`AuthMethod`], [`ClientAuth`]) |
//! | `token` | the token endpoint ([`Grant`], [`TokenSet`]) |
//! | `token_exchange` | OAuth 2.0 Token Exchange, RFC 8693 ([`TokenExchangeRequest`], [`TokenExchangeResponse`]) |
//! | `par` | pushed authorization requests, RFC 9126 ([`PushedAuthorization`]) |
//! | `device` | the device authorization grant, RFC 8628 ([`DeviceAuthorization`], [`DevicePoll`]) |
//! | `client_credentials` | what a service asks for ([`ClientCredentialsRequest`]) |
//! | `revocation`, `introspection`, `userinfo`, `logout` | the provider's other endpoints |
//! | `claim_sources` | aggregated and distributed claims, OIDC Core §5.6.2 ([`ClaimsProviders`]) |
//! | `jwks`, `id_token` | the provider's keys and ID-token validation (OIDC Core 3.1.3.7) |
//! | `access_token` | JWT access tokens validated locally (RFC 9068), for resource servers |
//! | `token_store` | a CLI's saved tokens, owner-only and written atomically ([`TokenStore`]) |
//! | `principal` | who signed in ([`Principal`]) and the options of a session |
//! | `session_end` | when a failed refresh ends a session (lost answers, rotated refresh tokens) |
//! | `config` | the client's settings, validated once |
//!
//! Everything is re-exported here: `idpkit::oidc::TokenSet`, `idpkit::oidc::build_token_request`.

mod access_token;
mod authorize;
mod claim_sources;
mod client_auth;
mod client_auth_jwt;
mod client_credentials;
mod config;
mod device;
mod discovery;
#[cfg(test)]
mod endpoint_tests;
pub(crate) mod id_token;
mod introspection;
mod jwks;
mod logout;
mod par;
pub mod pkce;
mod principal;
mod revocation;
mod session_end;
mod token;
mod token_exchange;
mod token_store;
mod token_type;
mod userinfo;
mod webfinger;

pub use access_token::*;
pub use authorize::*;
pub use claim_sources::*;
pub use client_auth::*;
pub use client_auth_jwt::*;
pub use client_credentials::*;
#[allow(unused_imports)]
pub(crate) use config::*;
pub use device::*;
pub use discovery::*;
pub use id_token::*;
pub use introspection::*;
pub use jwks::*;
pub use logout::*;
pub use par::*;
pub use principal::*;
pub use revocation::*;
#[allow(unused_imports)]
pub(crate) use session_end::{AfterRefreshFailure, Decision};
pub use token::*;
pub use token_exchange::*;
pub use token_store::*;
pub use token_type::*;
pub use userinfo::*;
pub use webfinger::*;
