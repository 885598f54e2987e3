//! [`ScopeSet`]: a compiled set of scopes whose checks cost a few hash look-ups.

use std::fmt;

use super::index::Index;
use super::parse::{Scope, ScopeError};

/// A compiled set of scopes: [`has_access`](ScopeSet::has_access) gives the same answer as
/// [`scope::has_access`](super::has_access) over the same strings, in a time that does not
/// grow with the number of scopes.
///
/// A check is one hash look-up of the requested resource (and one of the action when that
/// resource has several literal actions), plus one per prefix of it that ends before a `.`
/// and has the length of some `resource:**` scope's resource; `*` resources are flags.
/// Checks do not allocate.
///
/// The set keeps the original strings, in order and with duplicates, for
/// [`iter`](ScopeSet::iter), `Debug` and `Display`: one after the other in a single buffer,
/// which the index's keys point into, so building a set allocates no string per scope.
/// Strings that are not `resource:action` scopes (role scopes such as `owner`, empty
/// strings, `users:`) are kept but never grant anything, as in the reference; use
/// [`ScopeSet::try_from_scopes`] to reject them instead.
///
/// ```
/// use idpkit::authz::scope::ScopeSet;
///
/// let set: ScopeSet = ["users:read", "projects:**", "*:list", "owner"].into_iter().collect();
/// assert!(set.has_access("read", "users"));
/// assert!(!set.has_access("write", "users"));
/// assert!(set.has_access("delete", "projects.tasks.archive"));
/// assert!(set.has_access("list", "teams"));
/// assert!(!set.has_access("list", "teams.members"));
/// assert_eq!(set.len(), 4);
/// assert_eq!(set.to_string(), "users:read projects:** *:list owner");
/// ```
#[derive(Clone, Default)]
pub struct ScopeSet {
    /// The scope strings, one after the other: the only copy of them, which the index's
    /// keys point into.
    text: String,
    /// Where each scope string ends in `text` (each starts where the previous one ends).
    ends: Vec<usize>,
    index: Index,
}

impl ScopeSet {
    /// An empty set, which grants nothing.
    ///
    /// ```
    /// use idpkit::authz::scope::ScopeSet;
    ///
    /// let set = ScopeSet::new();
    /// assert!(set.is_empty());
    /// assert!(!set.has_access("read", "users"));
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Compiles the scopes, rejecting the whole list if any string is not a
    /// `resource:action` scope; the error lists every such string with its index.
    ///
    /// Role scopes (`owner`, `admin`, `member`) have no colon, so they are rejected too:
    /// collect into a `ScopeSet` (lenient, like the reference) when a list mixes both.
    ///
    /// ```
    /// use idpkit::authz::scope::{ScopeError, ScopeSet};
    ///
    /// let set = ScopeSet::try_from_scopes(["users:read", "projects:**"]).unwrap();
    /// assert!(set.has_access("read", "users"));
    ///
    /// let err = ScopeSet::try_from_scopes(["users:read", "owner", "users:"]).unwrap_err();
    /// let bad: Vec<(usize, &str)> = err.iter().map(|e| (e.index, e.scope.as_str())).collect();
    /// assert_eq!(bad, [(1, "owner"), (2, "users:")]);
    /// assert_eq!(err.invalid()[1].reason, ScopeError::EmptyAction);
    /// ```
    pub fn try_from_scopes<I>(scopes: I) -> Result<Self, InvalidScopes>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let mut set = ScopeSet::new();
        let mut invalid = Vec::new();
        let scopes = scopes.into_iter();
        set.reserve(scopes.size_hint().0);
        for (index, scope) in scopes.enumerate() {
            let scope = scope.as_ref();
            match Scope::parse(scope) {
                Ok(parsed) => set.push(scope, Some(parsed)),
                Err(reason) => invalid.push(InvalidScope {
                    index,
                    scope: scope.to_owned(),
                    reason,
                }),
            }
        }
        if invalid.is_empty() {
            Ok(set)
        } else {
            Err(InvalidScopes { invalid })
        }
    }

    /// Compiles a space-separated scope string, such as an OAuth `scope` parameter or
    /// claim. It is split on single spaces and empty pieces are dropped; a tab or other
    /// whitespace is **not** a separator (as in the reference).
    ///
    /// ```
    /// use idpkit::authz::scope::ScopeSet;
    ///
    /// let set = ScopeSet::from_space_separated("a:read  b:**");
    /// assert_eq!(set.len(), 2);
    /// assert!(set.has_access("x", "b.c"));
    ///
    /// let tabbed = ScopeSet::from_space_separated("a:read\tb:read");
    /// // One scope: resource "a:read\tb", action "read".
    /// assert_eq!(tabbed.len(), 1);
    /// assert!(!tabbed.has_access("read", "b"));
    /// ```
    pub fn from_space_separated(scope: &str) -> Self {
        scope.split(' ').filter(|s| !s.is_empty()).collect()
    }

    /// Whether any scope in the set grants `action` on `resource`.
    ///
    /// Same answer as [`scope::has_access`](super::has_access) over [`iter`](Self::iter),
    /// without allocating and without scanning the scopes.
    ///
    /// ```
    /// use idpkit::authz::scope::ScopeSet;
    ///
    /// let set: ScopeSet = ["users:**", "mcp:server1:read"].into_iter().collect();
    /// assert!(set.has_access("write", "users.verifiers"));
    /// assert!(set.has_access("read", "mcp:server1"));
    /// assert!(!set.has_access("read", "mcp"));
    /// ```
    #[inline]
    pub fn has_access(&self, action: &str, resource: &str) -> bool {
        self.index.has_access(&self.text, action, resource)
    }

    /// Number of scope strings held, including those that grant nothing (role scopes,
    /// unparseable strings) and duplicates.
    ///
    /// ```
    /// use idpkit::authz::scope::ScopeSet;
    ///
    /// let set: ScopeSet = ["users:read", "users:read", "owner"].into_iter().collect();
    /// assert_eq!(set.len(), 3);
    /// ```
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the set holds no scope string at all.
    ///
    /// ```
    /// use idpkit::authz::scope::ScopeSet;
    ///
    /// assert!(ScopeSet::new().is_empty());
    /// assert!(!ScopeSet::from_space_separated("owner").is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The scope strings, as given (order and duplicates kept).
    ///
    /// ```
    /// use idpkit::authz::scope::ScopeSet;
    ///
    /// let set: ScopeSet = ["b:read", "owner", "a:read"].into_iter().collect();
    /// assert_eq!(set.iter().collect::<Vec<_>>(), ["b:read", "owner", "a:read"]);
    /// ```
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + DoubleEndedIterator + Clone {
        let (text, ends) = (self.text.as_str(), self.ends.as_slice());
        (0..ends.len()).map(move |i| {
            let start = if i == 0 { 0 } else { ends[i - 1] };
            &text[start..ends[i]]
        })
    }

    /// Whether the set holds this exact string (a literal comparison, e.g. for role
    /// scopes such as `owner`; it is not an access check). Linear in the number of scopes.
    ///
    /// ```
    /// use idpkit::authz::scope::ScopeSet;
    ///
    /// let set: ScopeSet = ["*:**", "owner"].into_iter().collect();
    /// assert!(set.contains("owner"));
    /// assert!(!set.contains("admin"));
    /// ```
    pub fn contains(&self, scope: &str) -> bool {
        self.iter().any(|s| s == scope)
    }

    /// Makes room for `additional` more scopes.
    fn reserve(&mut self, additional: usize) {
        self.ends.reserve(additional);
        self.index.reserve(additional);
    }

    /// Appends `scope`, and adds it to the index when it parsed.
    fn push(&mut self, scope: &str, parsed: Option<Scope<'_>>) {
        let start = self.text.len();
        self.text.push_str(scope);
        self.ends.push(self.text.len());
        if let Some(parsed) = parsed {
            self.index.add(&self.text, start, parsed);
        }
    }
}

impl<S: AsRef<str>> FromIterator<S> for ScopeSet {
    /// Compiles the scopes leniently: strings that are not `resource:action` scopes are
    /// kept (see [`ScopeSet::iter`]) but grant nothing, as in the reference.
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let mut set = ScopeSet::new();
        set.extend(iter);
        set
    }
}

impl<S: AsRef<str>> Extend<S> for ScopeSet {
    /// Adds scopes leniently, as [`FromIterator`] does.
    fn extend<I: IntoIterator<Item = S>>(&mut self, iter: I) {
        let iter = iter.into_iter();
        self.reserve(iter.size_hint().0);
        for scope in iter {
            let scope = scope.as_ref();
            self.push(scope, Scope::parse(scope).ok());
        }
    }
}

impl PartialEq for ScopeSet {
    /// Two sets are equal when they hold the same strings in the same order.
    fn eq(&self, other: &Self) -> bool {
        // The same strings in the same order: the same boundaries and the same text.
        self.ends == other.ends && self.text == other.text
    }
}

impl Eq for ScopeSet {}

impl fmt::Debug for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Strings<'a>(&'a ScopeSet);
        impl fmt::Debug for Strings<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_list().entries(self.0.iter()).finish()
            }
        }
        f.debug_tuple("ScopeSet").field(&Strings(self)).finish()
    }
}

impl fmt::Display for ScopeSet {
    /// The scopes separated by single spaces, as in an OAuth `scope` string.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, scope) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(scope)?;
        }
        Ok(())
    }
}

/// One string rejected by [`ScopeSet::try_from_scopes`].
///
/// ```
/// use idpkit::authz::scope::{ScopeError, ScopeSet};
///
/// let err = ScopeSet::try_from_scopes(["a:read", ":read"]).unwrap_err();
/// let first = &err.invalid()[0];
/// assert_eq!((first.index, first.scope.as_str(), first.reason), (1, ":read", ScopeError::EmptyResource));
/// assert_eq!(first.to_string(), "scope #1 \":read\": the scope has an empty resource (nothing before the last colon)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("scope #{index} {scope:?}: {reason}")]
#[non_exhaustive]
pub struct InvalidScope {
    /// Position of the string in the input (0-based).
    pub index: usize,
    /// The string itself.
    pub scope: String,
    /// Why it is not a scope.
    pub reason: ScopeError,
}

/// The error of [`ScopeSet::try_from_scopes`]: every string that is not a
/// `resource:action` scope, in input order (never empty).
///
/// ```
/// use idpkit::authz::scope::ScopeSet;
///
/// let err = ScopeSet::try_from_scopes(["owner", "a:read", ""]).unwrap_err();
/// assert_eq!(err.invalid().len(), 2);
/// assert_eq!(
///     err.to_string(),
///     "2 invalid scopes: scope #0 \"owner\": the scope has no colon (expected `resource:action`); \
///      scope #2 \"\": the scope is empty"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidScopes {
    invalid: Vec<InvalidScope>,
}

impl InvalidScopes {
    /// The rejected strings with their indices and reasons, in input order.
    ///
    /// ```
    /// use idpkit::authz::scope::ScopeSet;
    ///
    /// let err = ScopeSet::try_from_scopes(["x"]).unwrap_err();
    /// assert_eq!(err.invalid()[0].index, 0);
    /// ```
    pub fn invalid(&self) -> &[InvalidScope] {
        &self.invalid
    }

    /// Iterates over the rejected strings, as [`invalid`](Self::invalid).
    ///
    /// ```
    /// use idpkit::authz::scope::ScopeSet;
    ///
    /// let err = ScopeSet::try_from_scopes(["a", "b:c", "d"]).unwrap_err();
    /// assert_eq!(err.iter().map(|e| e.index).collect::<Vec<_>>(), [0, 2]);
    /// ```
    pub fn iter(&self) -> std::slice::Iter<'_, InvalidScope> {
        self.invalid.iter()
    }
}

impl<'a> IntoIterator for &'a InvalidScopes {
    type Item = &'a InvalidScope;
    type IntoIter = std::slice::Iter<'a, InvalidScope>;

    fn into_iter(self) -> Self::IntoIter {
        self.invalid.iter()
    }
}

impl fmt::Display for InvalidScopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.invalid.len();
        write!(f, "{n} invalid scope{}: ", if n == 1 { "" } else { "s" })?;
        for (i, e) in self.invalid.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for InvalidScopes {}
