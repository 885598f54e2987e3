//! Authorization: who may do what.
//!
//! - [`scope`]: `resource:action` scopes with wildcards and organizations, evaluated locally in
//!   nanoseconds.
//! - [`authzen`]: the OpenID AuthZEN 1.0 policy decision point protocol (the clients are
//!   `PdpClient` in [`blocking`](crate::blocking) and [`asynch`](crate::asynch)).
//! - [`policy`]: local allow/deny policy rules with AuthX semantics, compiled and indexed.

pub mod authzen;
pub mod policy;
pub mod scope;
