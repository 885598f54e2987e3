//! What a [`ScopeSet`](super::ScopeSet)'s scopes grant, arranged for look-ups.
//!
//! The index owns no string: its keys are [`Span`]s of the set's text (the scope strings
//! one after the other), so building it allocates only its two tables, whatever the
//! number of scopes.

use std::hash::BuildHasher;

use super::hash::FastHashBuilder;
use super::parse::Scope;
use super::table::{Span, Table};

/// The owner of the `*:A` scopes' extra actions in [`Index::actions`] (a resource's own
/// are owned by its index in [`Index::resources`]).
const STAR: usize = usize::MAX;

/// The index of a [`ScopeSet`](super::ScopeSet); every method takes the set's text.
#[derive(Clone, Default)]
pub(super) struct Index {
    /// Hashes the keys of both tables.
    hasher: FastHashBuilder,
    /// `*:**` was seen: everything is granted.
    everything: bool,
    /// `*:A` scopes (A may be `*`): they apply to resources without a `.`.
    star: Grants,
    /// Scopes whose resource is not `*`, by resource.
    resources: Table<Resource>,
    /// The literal actions of a resource (or of `*`) after its first one.
    actions: Table<Action>,
    /// Lengths of the resources in `resources`: other lengths skip that look-up.
    exact_lens: Lengths,
    /// Longest deep resource: prefixes longer than this are not looked up.
    deep_max_len: usize,
    /// Lengths of the deep resources: prefixes of other lengths are not looked up.
    deep_lens: Lengths,
}

/// One resource `R` (not `*`) and what its scopes grant.
#[derive(Clone)]
struct Resource {
    /// `R`, in the first scope that names it.
    key: Span,
    grants: Grants,
    /// An `R:**` scope was seen: `R.` + anything is granted too.
    deep: bool,
}

/// One literal action beyond the first on a resource (or on `*`).
#[derive(Clone)]
struct Action {
    /// The resource's index in [`Index::resources`], or [`STAR`].
    owner: usize,
    action: Span,
}

/// The actions granted on one resource.
#[derive(Clone, Copy, Default)]
struct Grants {
    /// A `*` or `**` action was seen: every action is granted.
    any_action: bool,
    /// The first literal action (none while its length is 0: actions are never empty).
    first: Span,
    /// Literal actions other than `first` are in [`Index::actions`].
    more: bool,
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

impl Index {
    /// Makes room for `additional` more scopes.
    pub(super) fn reserve(&mut self, additional: usize) {
        if !self.everything {
            self.resources.reserve(additional);
        }
    }

    /// Adds `scope`, whose string is in `text` from `start` on.
    pub(super) fn add(&mut self, text: &str, start: usize, scope: Scope<'_>) {
        let Scope { resource, action } = scope;
        if self.everything {
            return;
        }
        let action_span = Span {
            start: start + resource.len() + 1,
            len: action.len(),
        };
        if resource == "*" {
            if action == "**" {
                *self = Index {
                    everything: true,
                    ..Index::default()
                };
            } else {
                self.add_action(text, STAR, action_span);
            }
            return;
        }
        let hash = self.hasher.hash_one(resource);
        let owner = match self.find(text, hash, resource) {
            Some(owner) => owner,
            None => {
                self.exact_lens.insert(resource.len());
                let key = Span {
                    start,
                    len: resource.len(),
                };
                let grants = Grants::default();
                let deep = false;
                self.resources.insert(hash, Resource { key, grants, deep })
            }
        };
        let entry = self.resources.get_mut(owner);
        if action == "**" && !entry.deep {
            entry.deep = true;
            self.deep_max_len = self.deep_max_len.max(resource.len());
            self.deep_lens.insert(resource.len());
        }
        self.add_action(text, owner, action_span);
    }

    /// Records that `action` (a span of `text`) is granted on `owner`.
    fn add_action(&mut self, text: &str, owner: usize, action: Span) {
        let grants = self.grants(owner);
        let name = action.of(text);
        if name == b"*" || name == b"**" {
            self.grants_mut(owner).any_action = true;
        } else if grants.any_action || grants.first.of(text) == name {
            // Already granted.
        } else if grants.first.len == 0 {
            self.grants_mut(owner).first = action;
        } else {
            let hash = self.hasher.hash_one((owner, name));
            if self.find_action(text, hash, owner, name).is_none() {
                self.actions.insert(hash, Action { owner, action });
                self.grants_mut(owner).more = true;
            }
        }
    }

    fn grants(&self, owner: usize) -> Grants {
        if owner == STAR {
            self.star
        } else {
            self.resources.get(owner).grants
        }
    }

    fn grants_mut(&mut self, owner: usize) -> &mut Grants {
        if owner == STAR {
            &mut self.star
        } else {
            &mut self.resources.get_mut(owner).grants
        }
    }

    /// Index of `resource` (whose hash is `hash`) in `resources`.
    #[inline]
    fn find(&self, text: &str, hash: u64, resource: &str) -> Option<usize> {
        self.resources
            .find(hash, |r| r.key.of(text) == resource.as_bytes())
    }

    #[inline]
    fn find_action(&self, text: &str, hash: u64, owner: usize, action: &[u8]) -> Option<usize> {
        self.actions
            .find(hash, |a| a.owner == owner && a.action.of(text) == action)
    }

    /// Whether `grants` (those of `owner`) grant `action`.
    #[inline]
    fn grants_action(&self, text: &str, owner: usize, grants: &Grants, action: &str) -> bool {
        let action = action.as_bytes();
        grants.any_action
            || (grants.first.len != 0 && grants.first.of(text) == action)
            || (grants.more && self.has_more_action(text, owner, action))
    }

    /// Whether `action` is one of `owner`'s literal actions after the first.
    fn has_more_action(&self, text: &str, owner: usize, action: &[u8]) -> bool {
        let hash = self.hasher.hash_one((owner, action));
        self.find_action(text, hash, owner, action).is_some()
    }

    #[inline]
    pub(super) fn has_access(&self, text: &str, action: &str, resource: &str) -> bool {
        if self.everything {
            return true;
        }
        if self.exact_lens.contains(resource.len())
            && let Some(owner) = self.find(text, self.hasher.hash_one(resource), resource)
            && self.grants_action(text, owner, &self.resources.get(owner).grants, action)
        {
            return true;
        }
        let bytes = resource.as_bytes();
        let Some(first_dot) = bytes.iter().position(|&b| b == b'.') else {
            return self.grants_action(text, STAR, &self.star, action);
        };
        // Sub-resources: `R:**` grants `R.` + anything, so look up every prefix of the
        // resource that ends just before a `.` (skipping lengths no deep `R` has).
        let end = bytes.len().min(self.deep_max_len + 1);
        let mut i = first_dot;
        while i < end {
            if bytes[i] == b'.' && self.deep_lens.contains(i) {
                // `i` indexes an ASCII byte, so it is a char boundary.
                let prefix = &resource[..i];
                if self
                    .find(text, self.hasher.hash_one(prefix), prefix)
                    .is_some_and(|owner| self.resources.get(owner).deep)
                {
                    return true;
                }
            }
            i += 1;
        }
        false
    }
}
