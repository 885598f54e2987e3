//! Scope evaluation (`resource:action` with `*` / `**` wildcards and organizations).
//!
//! Answers "may this caller do `action` on `resource`?" from the scopes an identity
//! provider put in a token, exactly as the reference SDK (`authpi-idp` 1.1.2) does, odd
//! inputs included.
//!
//! # Grammar
//!
//! A scope is `resource:action`, split at the **last** colon. The request
//! (`action`, `resource`) is always literal: a `*` in it is not a wildcard.
//!
//! | scope | grants | example request granted | not granted |
//! |---|---|---|---|
//! | `users:read` | `read` on `users` only | `read users` | `read users.verifiers`, `write users` |
//! | `users:*` | any action on `users` only | `delete users` | `read users.verifiers` |
//! | `users:**` | any action on `users` and every `users.…` sub-resource | `x users.verifiers.backup` | `read usersX` |
//! | `*:read` | `read` on every resource without a `.` | `read projects` | `read projects.tasks` |
//! | `*:*` | any action on every resource without a `.` | `anything x` | `anything x.y` |
//! | `*:**` | everything | `anything x.y.z` | |
//! | `mcp:server1:read` | `read` on `mcp:server1` (last colon splits) | `read mcp:server1` | `read mcp` |
//! | `owner`, `""`, `:read`, `users:` | nothing (role scope or not a scope) | | |
//!
//! - No trimming or case folding: `" users:read"` never matches `users`, `Users:READ`
//!   never matches `read users`.
//! - `*` is special only as a whole resource or a whole action: `users.*`, `**:read` and
//!   `*.x` are plain strings. Sub-resources follow `.` only, never `:`.
//! - There are no deny scopes: a list grants when any of its scopes grants, and an
//!   empty list grants nothing.
//!
//! # Which function
//!
//! - [`has_access`] scans a list of strings, parsing each (allocation-free): fine for a
//!   handful of scopes or a one-off check.
//! - [`ScopeSet`] compiles the list once; each check is then a few hash look-ups whatever
//!   the number of scopes. Build one per token.
//! - [`AccessProfile`] compiles a token's [`Organization`]s (and its `scope` string, used
//!   only when there are no organizations) for the per-organization checks.
//!
//! ```
//! use idpkit::authz::scope::{has_access, ScopeSet};
//!
//! let scopes = ["users:read", "projects:**"];
//! assert!(has_access(&scopes, "read", "users"));
//! assert!(has_access(&scopes, "write", "projects.tasks"));
//! assert!(!has_access(&scopes, "write", "users"));
//!
//! let set: ScopeSet = scopes.iter().collect();
//! assert!(set.has_access("write", "projects.tasks"));
//! ```

mod hash;
mod index;
mod org;
mod parse;
mod set;
mod table;
#[cfg(test)]
mod tests;

pub use org::{AccessProfile, Organization};
pub use parse::{Scope, ScopeError, parse_scope};
pub use set::{InvalidScope, InvalidScopes, ScopeSet};

/// Whether any of `scopes` grants `action` on `resource`: the reference SDK's
/// `has_access`.
///
/// Each string is parsed with [`parse_scope`] and checked with [`Scope::grants`];
/// strings that are not scopes (role scopes, empty strings) are skipped, and an empty
/// list grants nothing. Takes anything that iterates over strings (`&[&str]`,
/// `&Vec<String>`, an iterator) and never allocates. The cost is linear in the number of
/// scopes: compile a [`ScopeSet`] to check the same scopes many times.
///
/// ```
/// use idpkit::authz::scope::has_access;
///
/// let scopes: Vec<String> = vec!["users:*".into(), "*:read".into(), "owner".into()];
/// assert!(has_access(&scopes, "delete", "users"));
/// assert!(has_access(&scopes, "read", "projects"));
/// assert!(!has_access(&scopes, "read", "projects.tasks"));
/// assert!(has_access("a:read b:**".split(' '), "x", "b.c"));
/// assert!(!has_access(Vec::<&str>::new(), "read", "users"));
/// ```
pub fn has_access<I>(scopes: I, action: &str, resource: &str) -> bool
where
    I: IntoIterator,
    I::Item: AsRef<str>,
{
    let request = parse::Request::new(action, resource);
    scopes
        .into_iter()
        .any(|scope| request.granted_by(scope.as_ref()))
}
