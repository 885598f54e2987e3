//! [`ScopeSet`]: a compiled set of scopes whose checks cost a few hash look-ups.

use std::collections::{HashMap, HashSet};
use std::fmt;

use super::hash::FastHashBuilder;
use super::parse::{Scope, ScopeError};

type Map<V> = HashMap<Box<str>, V, FastHashBuilder>;
type Set = HashSet<Box<str>, FastHashBuilder>;

/// Past this many actions on one resource, the actions go into a hash set.
const SMALL_ACTIONS: usize = 8;

/// A compiled set of scopes: [`has_access`](ScopeSet::has_access) gives the same answer as
/// [`scope::has_access`](super::has_access) over the same strings, in a time that does not
/// grow with the number of scopes.
///
/// A check is one hash look-up of the requested resource, plus one per prefix of it that
/// ends before a `.` and has the length of some `resource:**` scope's resource; `*`
/// resources are flags. Checks do not allocate.
///
/// The set keeps the original strings, in order and with duplicates, for
/// [`iter`](ScopeSet::iter), `Debug` and `Display`. Strings that are not `resource:action`
/// scopes (role scopes such as `owner`, empty strings, `users:`) are kept but never grant
/// anything, as in the reference; use [`ScopeSet::try_from_scopes`] to reject them instead.
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
    scopes: Vec<Box<str>>,
    index: Index,
}

/// What the parsed scopes grant, arranged for look-ups.
#[derive(Clone, Default)]
struct Index {
    /// `*:**` was seen: everything is granted.
    everything: bool,
    /// `*:A` scopes (A may be `*`): they apply to resources without a `.`.
    star: Grants,
    /// Scopes whose resource is not `*`, by resource (a `R:**` scope is here too, as it
    /// grants any action on `R` itself).
    exact: Map<Grants>,
    /// Lengths of the keys of `exact`: other lengths skip that look-up.
    exact_lens: Lengths,
    /// Resources `R` of `R:**` scopes (R is not `*`): they grant `R.` + anything.
    deep: Set,
    /// Longest key of `deep`: prefixes longer than this are not looked up.
    deep_max_len: usize,
    /// Lengths of the keys of `deep`: prefixes of other lengths are not looked up.
    deep_lens: Lengths,
}

/// A set of string lengths, as a bit mask (lengths of 63 and more share the last bit):
/// a one-instruction filter before a hash look-up.
#[derive(Clone, Copy, Default)]
struct Lengths(u64);

impl Lengths {
    #[inline]
    fn bit(len: usize) -> u64 {
        1 << len.min(63)
    }

    fn insert(&mut self, len: usize) {
        self.0 |= Self::bit(len);
    }

    #[inline]
    fn contains(self, len: usize) -> bool {
        self.0 & Self::bit(len) != 0
    }
}

/// The actions granted on one resource.
#[derive(Clone, Default)]
struct Grants {
    /// A `*` or `**` action was seen: every action is granted.
    any_action: bool,
    actions: Actions,
}

#[derive(Clone)]
enum Actions {
    Small(Vec<Box<str>>),
    Large(Set),
}

impl Default for Actions {
    fn default() -> Self {
        Actions::Small(Vec::new())
    }
}

impl Actions {
    #[inline]
    fn contains(&self, action: &str) -> bool {
        match self {
            Actions::Small(list) => list.iter().any(|a| **a == *action),
            Actions::Large(set) => set.contains(action),
        }
    }

    fn insert(&mut self, action: &str) {
        if self.contains(action) {
            return;
        }
        match self {
            Actions::Small(list) if list.len() < SMALL_ACTIONS => list.push(action.into()),
            Actions::Small(list) => {
                let mut set: Set = list.drain(..).collect();
                set.insert(action.into());
                *self = Actions::Large(set);
            }
            Actions::Large(set) => {
                set.insert(action.into());
            }
        }
    }
}

impl Grants {
    #[inline]
    fn grants(&self, action: &str) -> bool {
        self.any_action || self.actions.contains(action)
    }

    fn add(&mut self, action: &str) {
        if action == "*" || action == "**" {
            self.any_action = true;
            // The individual actions are now irrelevant.
            self.actions = Actions::default();
        } else if !self.any_action {
            self.actions.insert(action);
        }
    }
}

impl Index {
    fn add(&mut self, scope: Scope<'_>) {
        let Scope { resource, action } = scope;
        if self.everything {
            return;
        }
        if resource == "*" {
            if action == "**" {
                *self = Index {
                    everything: true,
                    ..Index::default()
                };
            } else {
                self.star.add(action);
            }
            return;
        }
        if action == "**" && !self.deep.contains(resource) {
            self.deep.insert(resource.into());
            self.deep_max_len = self.deep_max_len.max(resource.len());
            self.deep_lens.insert(resource.len());
        }
        if let Some(grants) = self.exact.get_mut(resource) {
            grants.add(action);
        } else {
            let mut grants = Grants::default();
            grants.add(action);
            self.exact.insert(resource.into(), grants);
            self.exact_lens.insert(resource.len());
        }
    }

    #[inline]
    fn has_access(&self, action: &str, resource: &str) -> bool {
        if self.everything {
            return true;
        }
        if self.exact_lens.contains(resource.len())
            && let Some(grants) = self.exact.get(resource)
            && grants.grants(action)
        {
            return true;
        }
        let bytes = resource.as_bytes();
        let Some(first_dot) = bytes.iter().position(|&b| b == b'.') else {
            return self.star.grants(action);
        };
        // Sub-resources: `R:**` grants `R.` + anything, so look up every prefix of the
        // resource that ends just before a `.` (skipping lengths no `R` has).
        let end = bytes.len().min(self.deep_max_len + 1);
        let mut i = first_dot;
        while i < end {
            // `i` indexes an ASCII byte, so it is a char boundary.
            if bytes[i] == b'.' && self.deep_lens.contains(i) && self.deep.contains(&resource[..i])
            {
                return true;
            }
            i += 1;
        }
        false
    }
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
        for (index, scope) in scopes.into_iter().enumerate() {
            let scope = scope.as_ref();
            match Scope::parse(scope) {
                Ok(parsed) => {
                    set.index.add(parsed);
                    set.scopes.push(scope.into());
                }
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
        self.index.has_access(action, resource)
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
        self.scopes.len()
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
        self.scopes.is_empty()
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
        self.scopes.iter().map(|s| &**s)
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
        self.scopes.iter().any(|s| **s == *scope)
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
        for scope in iter {
            let scope = scope.as_ref();
            if let Ok(parsed) = Scope::parse(scope) {
                self.index.add(parsed);
            }
            self.scopes.push(scope.into());
        }
    }
}

impl PartialEq for ScopeSet {
    /// Two sets are equal when they hold the same strings in the same order.
    fn eq(&self, other: &Self) -> bool {
        self.scopes == other.scopes
    }
}

impl Eq for ScopeSet {}

impl fmt::Debug for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ScopeSet").field(&self.scopes).finish()
    }
}

impl fmt::Display for ScopeSet {
    /// The scopes separated by single spaces, as in an OAuth `scope` string.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, scope) in self.scopes.iter().enumerate() {
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
