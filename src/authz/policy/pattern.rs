//! Action/resource patterns (spec A3), token-scope requirements (A4) and the index that finds
//! the rules whose patterns match a request without testing every rule.

use std::collections::HashMap;

use foldhash::fast::RandomState;
use serde_json::Value;

use super::error::PolicyError;

/// Does the rule-side pattern `p` match the literal request value `v`? `*` matches
/// everything; `ns:*` matches `ns` and anything under `ns:`; otherwise exact.
pub(crate) fn pattern_matches(p: &str, v: &str) -> bool {
    if p == "*" || p == v {
        return true;
    }
    match p.strip_suffix(":*") {
        Some(ns) => v
            .strip_prefix(ns)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(':')),
        None => false,
    }
}

/// Is the required scope `r` satisfied by the token scope `t`? (`t` may end in `:*`.)
fn scope_satisfied(r: &str, t: &str) -> bool {
    if r == t {
        return true;
    }
    match t.strip_suffix(":*") {
        Some(ns) => r
            .strip_prefix(ns)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(':')),
        None => false,
    }
}

/// The token's scopes: `None` when absent or null, an error when not a list of strings.
pub(crate) fn token_scopes(
    token: Option<&serde_json::Map<String, Value>>,
) -> Result<Option<&[Value]>, PolicyError> {
    match token.and_then(|t| t.get("scopes")) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => Ok(Some(items)),
        Some(_) => Err(PolicyError::InvalidTokenScopes),
    }
}

/// Spec A4: does the token (scopes `provided`) meet the rule's scope requirement?
pub(crate) fn scopes_pass(required: &[String], all: bool, provided: Option<&[Value]>) -> bool {
    let Some(provided) = provided else {
        return required.is_empty();
    };
    let satisfied = |r: &String| {
        provided
            .iter()
            .any(|t| t.as_str().is_some_and(|t| scope_satisfied(r, t)))
    };
    if all {
        required.iter().all(satisfied)
    } else {
        required.iter().any(satisfied)
    }
}

/// Values keyed by pattern: `*`, exact names, and `ns:*` namespaces.
#[derive(Debug)]
pub(crate) struct Buckets<T> {
    any: Option<T>,
    exact: HashMap<Box<str>, T, RandomState>,
    prefix: HashMap<Box<str>, T, RandomState>,
}

impl<T> Default for Buckets<T> {
    fn default() -> Self {
        Buckets {
            any: None,
            exact: HashMap::default(),
            prefix: HashMap::default(),
        }
    }
}

impl<T: Default> Buckets<T> {
    /// The slot of pattern `p`.
    pub(crate) fn slot(&mut self, p: &str) -> &mut T {
        if p == "*" {
            return self.any.get_or_insert_with(T::default);
        }
        let (map, key) = match p.strip_suffix(":*") {
            Some(ns) => (&mut self.prefix, ns),
            None => (&mut self.exact, p),
        };
        map.entry(key.into()).or_default()
    }
}

impl<T> Buckets<T> {
    /// Calls `f` with the slot of every pattern matching `v`; stops when `f` returns false.
    pub(crate) fn each_match<'s>(&'s self, v: &str, mut f: impl FnMut(&'s T) -> bool) {
        if let Some(any) = &self.any
            && !f(any)
        {
            return;
        }
        if !self.exact.is_empty()
            && let Some(t) = self.exact.get(v)
            && !f(t)
        {
            return;
        }
        if self.prefix.is_empty() {
            return;
        }
        // `ns:*` matches v == ns and every v starting with `ns:`.
        if let Some(t) = self.prefix.get(v)
            && !f(t)
        {
            return;
        }
        for (i, _) in v.match_indices(':') {
            if let Some(t) = self.prefix.get(&v[..i])
                && !f(t)
            {
                return;
            }
        }
    }
}

/// Rule indices by action pattern, then by resource pattern, each list ascending.
pub(crate) type RuleIndex = Buckets<Buckets<Vec<u32>>>;

/// Adds rule `index` under every (action pattern, resource pattern) pair.
pub(crate) fn index_rule(
    idx: &mut RuleIndex,
    index: u32,
    actions: &[String],
    resources: &[String],
) {
    for a in actions {
        let by_resource = idx.slot(a);
        for r in resources {
            let list = by_resource.slot(r);
            if list.last() != Some(&index) {
                list.push(index);
            }
        }
    }
}

/// At most this many lists are merged on the stack; beyond it (very deep names with many
/// `ns:*` levels) the evaluation scans the rules in order instead.
pub(crate) const MAX_LISTS: usize = 24;

/// The candidate rules of one request: the ascending merge of the matching lists, without
/// duplicates, allocation-free.
pub(crate) struct Candidates<'p> {
    lists: [&'p [u32]; MAX_LISTS],
    len: usize,
    /// Too many lists: the caller scans every rule (`next_linear`).
    pub(crate) overflow: bool,
}

impl<'p> Candidates<'p> {
    pub(crate) fn new(idx: &'p RuleIndex, action: &str, resource: &str) -> Self {
        let mut c = Candidates {
            lists: [&[]; MAX_LISTS],
            len: 0,
            overflow: false,
        };
        idx.each_match(action, |by_resource| {
            by_resource.each_match(resource, |list| {
                if c.len == MAX_LISTS {
                    c.overflow = true;
                    return false;
                }
                c.lists[c.len] = list;
                c.len += 1;
                true
            });
            !c.overflow
        });
        c
    }

    /// The next candidate rule index, ascending.
    pub(crate) fn next(&mut self) -> Option<u32> {
        let lists = &mut self.lists[..self.len];
        let min = lists.iter().filter_map(|l| l.first()).min().copied()?;
        for l in lists.iter_mut() {
            if l.first() == Some(&min) {
                *l = &l[1..];
            }
        }
        Some(min)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        for (p, v, m) in [
            ("*", "", true),
            ("users:*", "users", true),
            ("users:*", "users:read:own", true),
            ("users:*", "usersX:read", false),
            ("*:*", "users:read", false),
            ("*:*", "*:read", true),
            ("*:*", "*", true),
            (":*", "", true),
            (":*", ":x", true),
            (":*", "x", false),
            ("users*", "usersX", false),
            ("Users:read", "users:read", false),
        ] {
            assert_eq!(pattern_matches(p, v), m, "{p:?} {v:?}");
        }
    }

    #[test]
    fn index_agrees_with_patterns() {
        let patterns = ["*", "a", "a:*", "a:b", "a:b:*", ":*", "*:*", "", "b"];
        let values = ["", "a", "a:b", "a:b:c", ":", ":x", "*", "*:x", "b", "ab"];
        let mut idx = RuleIndex::default();
        let rules: Vec<(String, String)> = patterns
            .iter()
            .flat_map(|a| patterns.iter().map(move |r| (a.to_string(), r.to_string())))
            .collect();
        for (i, (a, r)) in rules.iter().enumerate() {
            index_rule(
                &mut idx,
                i as u32,
                std::slice::from_ref(a),
                std::slice::from_ref(r),
            );
        }
        for a in values {
            for r in values {
                let mut c = Candidates::new(&idx, a, r);
                assert!(!c.overflow);
                let got: Vec<u32> = std::iter::from_fn(|| c.next()).collect();
                let want: Vec<u32> = (0..rules.len() as u32)
                    .filter(|&i| {
                        let (pa, pr) = &rules[i as usize];
                        pattern_matches(pa, a) && pattern_matches(pr, r)
                    })
                    .collect();
                assert_eq!(got, want, "{a:?} {r:?}");
            }
        }
    }
}
