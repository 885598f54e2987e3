//! Parsing one scope string and matching it against one request.

use std::fmt;

/// A parsed `resource:action` scope, borrowing both parts from the scope string.
///
/// Built by [`parse_scope`] (lenient, returns `None` on failure) or [`Scope::parse`]
/// (returns the reason). The string is split at its **last** colon, so the resource may
/// itself contain colons (`mcp:server1:read` is resource `mcp:server1`, action `read`).
///
/// ```
/// use idpkit::authz::scope::Scope;
///
/// let scope = Scope::parse("mcp:server1:read").unwrap();
/// assert_eq!(scope.resource, "mcp:server1");
/// assert_eq!(scope.action, "read");
/// assert_eq!(scope.to_string(), "mcp:server1:read");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope<'a> {
    /// Everything before the last colon (never empty), e.g. `users.verifiers` or `*`.
    pub resource: &'a str,
    /// Everything after the last colon (never empty), e.g. `read`, `*` or `**`.
    pub action: &'a str,
}

/// Why a string is not a `resource:action` scope.
///
/// ```
/// use idpkit::authz::scope::{Scope, ScopeError};
///
/// assert_eq!(Scope::parse(""), Err(ScopeError::Empty));
/// assert_eq!(Scope::parse("owner"), Err(ScopeError::MissingColon));
/// assert_eq!(Scope::parse(":read"), Err(ScopeError::EmptyResource));
/// assert_eq!(Scope::parse("users:"), Err(ScopeError::EmptyAction));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ScopeError {
    /// The scope string is empty.
    #[error("the scope is empty")]
    Empty,
    /// The scope has no colon (role scopes such as `owner` are in this case).
    #[error("the scope has no colon (expected `resource:action`)")]
    MissingColon,
    /// Nothing before the last colon.
    #[error("the scope has an empty resource (nothing before the last colon)")]
    EmptyResource,
    /// Nothing after the last colon.
    #[error("the scope has an empty action (nothing after the last colon)")]
    EmptyAction,
}

impl<'a> Scope<'a> {
    /// Parses `resource:action`, splitting at the last colon, and tells why on failure.
    ///
    /// No trimming, case folding or character checks are done: `" users:read"` has the
    /// resource `" users"`.
    ///
    /// ```
    /// use idpkit::authz::scope::{Scope, ScopeError};
    ///
    /// assert_eq!(
    ///     Scope::parse("a::b"),
    ///     Ok(Scope { resource: "a:", action: "b" })
    /// );
    /// assert_eq!(Scope::parse("admin"), Err(ScopeError::MissingColon));
    /// ```
    #[inline]
    pub fn parse(scope: &'a str) -> Result<Self, ScopeError> {
        if scope.is_empty() {
            return Err(ScopeError::Empty);
        }
        let Some(colon) = last_colon(scope.as_bytes()) else {
            return Err(ScopeError::MissingColon);
        };
        // `colon` indexes an ASCII byte, so both slices are on char boundaries.
        let (resource, action) = (&scope[..colon], &scope[colon + 1..]);
        if resource.is_empty() {
            Err(ScopeError::EmptyResource)
        } else if action.is_empty() {
            Err(ScopeError::EmptyAction)
        } else {
            Ok(Scope { resource, action })
        }
    }

    /// Whether this one scope grants `action` on `resource`.
    ///
    /// The request is literal (a `*` in it is not a wildcard). The rules, in order:
    /// the action must equal the scope's action, or the scope's action is `*` or `**`;
    /// a `*` resource with a `**` action matches everything, otherwise only resources
    /// without a `.`; an equal resource matches; with a `**` action, any resource that
    /// starts with the scope's resource followed by `.` matches.
    ///
    /// ```
    /// use idpkit::authz::scope::Scope;
    ///
    /// let deep = Scope::parse("users:**").unwrap();
    /// assert!(deep.grants("write", "users.verifiers.backup"));
    /// assert!(!deep.grants("write", "usersX"));
    ///
    /// let top = Scope::parse("*:read").unwrap();
    /// assert!(top.grants("read", "projects"));
    /// assert!(!top.grants("read", "projects.tasks"));
    /// ```
    #[inline]
    pub fn grants(&self, action: &str, resource: &str) -> bool {
        let deep = self.action == "**";
        if !(deep || self.action == "*" || self.action == action) {
            return false;
        }
        if self.resource == "*" {
            return deep || !resource.contains('.');
        }
        if self.resource == resource {
            return true;
        }
        deep && resource
            .strip_prefix(self.resource)
            .is_some_and(|rest| rest.starts_with('.'))
    }
}

impl fmt::Display for Scope<'_> {
    /// Writes `resource:action`, which parses back to the same scope.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.resource, self.action)
    }
}

/// Parses `resource:action`, splitting at the last colon; `None` when the string is empty,
/// has no colon, or either side is empty.
///
/// The result borrows from `scope`. This is the reference SDK's `parse_scope`.
///
/// ```
/// use idpkit::authz::scope::{parse_scope, Scope};
///
/// assert_eq!(
///     parse_scope("users.verifiers:write"),
///     Some(Scope { resource: "users.verifiers", action: "write" })
/// );
/// assert_eq!(parse_scope("a:b:c").map(|s| s.resource), Some("a:b"));
/// assert_eq!(parse_scope("owner"), None);
/// assert_eq!(parse_scope("users:"), None);
/// ```
#[inline]
pub fn parse_scope(scope: &str) -> Option<Scope<'_>> {
    Scope::parse(scope).ok()
}

/// A request, prepared for checking many scope strings without parsing each one.
pub(crate) struct Request<'a> {
    action: &'a str,
    /// `":" + action` can end a scope whose action is `action` (the action is not empty
    /// and has no colon; a scope's action never has one).
    literal: bool,
    /// Last byte of `action` (0 when it is empty).
    last_byte: u8,
    resource: &'a str,
    resource_has_dot: bool,
}

impl<'a> Request<'a> {
    #[inline]
    pub(crate) fn new(action: &'a str, resource: &'a str) -> Self {
        let literal = !action.is_empty() && !action.as_bytes().contains(&b':');
        Request {
            action,
            literal,
            last_byte: action.as_bytes().last().copied().unwrap_or(0),
            resource,
            resource_has_dot: resource.as_bytes().contains(&b'.'),
        }
    }

    /// Same as `parse_scope(scope).is_some_and(|s| s.grants(action, resource))`, but finds
    /// the action from the end of the string: the only actions that can grant are `**`,
    /// `*` and the requested one, and the scope's action is exactly one of them iff the
    /// string ends with `:` followed by it (an action has no colon). Scopes with any other
    /// action are rejected after a few byte comparisons, without searching for the colon.
    #[inline]
    pub(crate) fn granted_by(&self, scope: &str) -> bool {
        let s = scope.as_bytes();
        let n = s.len();
        let Some(&last) = s.last() else {
            return false;
        };
        // Byte-wise rather than `ends_with`: this runs once per scope, and most scopes are
        // rejected on their last byte.
        let (action_len, deep) = if last == b'*' && n >= 2 && s[n - 2] == b':' {
            (1, false)
        } else if last == b'*' && n >= 3 && s[n - 2] == b'*' && s[n - 3] == b':' {
            (2, true)
        } else if self.literal
            && last == self.last_byte
            && n > self.action.len()
            && s[n - self.action.len() - 1] == b':'
            && s[n - self.action.len()..] == *self.action.as_bytes()
        {
            (self.action.len(), false)
        } else {
            return false;
        };
        let colon = n - action_len - 1;
        // The scope's resource: everything before the colon.
        let r = &s[..colon];
        let resource = self.resource.as_bytes();
        if r.is_empty() {
            false // not a scope
        } else if r == b"*" {
            deep || !self.resource_has_dot
        } else if r.len() == resource.len() {
            r == resource
        } else {
            deep && resource.len() > r.len() && resource[r.len()] == b'.' && resource.starts_with(r)
        }
    }
}

/// Index of the last `:` byte. Scopes are short, so a plain reverse scan beats a
/// vectorised search with its set-up cost.
#[inline]
fn last_colon(bytes: &[u8]) -> Option<usize> {
    bytes.iter().rposition(|&b| b == b':')
}
