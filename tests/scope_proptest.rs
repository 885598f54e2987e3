//! Property tests: `ScopeSet::has_access` always agrees with `has_access`, and parsing
//! round-trips, on strings from a small alphabet (so that matches and collisions happen).

use idpkit::authz::scope::{Scope, ScopeSet, has_access, parse_scope};
use proptest::prelude::*;

/// Strings glued from pieces that matter to the grammar: colons, dots, stars, spaces,
/// empty parts and non-ASCII.
fn piece_string(max_pieces: usize) -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "a", "b", "users", "read", "*", "**", ":", ":", ".", ".", " ", "é", "ü", "\t", "owner",
    ]);
    prop::collection::vec(piece, 0..=max_pieces).prop_map(|p| p.concat())
}

/// `resource:action` built from parts, so that most strings are valid scopes.
fn scope_string() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (piece_string(4), piece_string(2)).prop_map(|(r, a)| format!("{r}:{a}")),
        1 => piece_string(6),
    ]
}

fn scopes_and_requests() -> impl Strategy<Value = (Vec<String>, Vec<(String, String)>)> {
    prop::collection::vec(scope_string(), 0..8).prop_flat_map(|scopes| {
        // Requests drawn partly from the scopes' own parts (hits) and partly at random.
        let parts: Vec<(String, String)> = scopes
            .iter()
            .filter_map(|s| parse_scope(s).map(|p| (p.action.to_owned(), p.resource.to_owned())))
            .collect();
        let random = (piece_string(2), piece_string(5)).boxed();
        let request = if parts.is_empty() {
            random
        } else {
            prop_oneof![
                random,
                (prop::sample::select(parts.clone()), piece_string(3))
                    .prop_map(|((a, r), extra)| (a, format!("{r}{extra}"))),
                (prop::sample::select(parts), piece_string(2)).prop_map(|((_, r), a)| (a, r)),
            ]
            .boxed()
        };
        (Just(scopes), prop::collection::vec(request, 1..8))
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4096, ..ProptestConfig::default() })]

    #[test]
    fn scope_set_agrees_with_has_access((scopes, requests) in scopes_and_requests()) {
        let set: ScopeSet = scopes.iter().collect();
        for (action, resource) in &requests {
            prop_assert_eq!(
                set.has_access(action, resource),
                has_access(&scopes, action, resource),
                "scopes {:?} action {:?} resource {:?}", scopes, action, resource
            );
        }
    }

    #[test]
    fn strict_set_agrees_when_valid((scopes, requests) in scopes_and_requests()) {
        match ScopeSet::try_from_scopes(&scopes) {
            Ok(set) => {
                prop_assert!(scopes.iter().all(|s| parse_scope(s).is_some()));
                for (action, resource) in &requests {
                    prop_assert_eq!(set.has_access(action, resource), has_access(&scopes, action, resource));
                }
            }
            Err(err) => {
                let bad: Vec<usize> = scopes.iter().enumerate()
                    .filter(|(_, s)| parse_scope(s).is_none()).map(|(i, _)| i).collect();
                prop_assert_eq!(err.iter().map(|e| e.index).collect::<Vec<_>>(), bad);
                for e in &err {
                    prop_assert_eq!(&e.scope, &scopes[e.index]);
                    prop_assert_eq!(Scope::parse(&e.scope), Err(e.reason));
                }
            }
        }
    }

    #[test]
    fn parse_round_trips(s in piece_string(8)) {
        match parse_scope(&s) {
            Some(p) => {
                prop_assert!(!p.resource.is_empty() && !p.action.is_empty());
                prop_assert!(!p.action.contains(':'));
                prop_assert_eq!(p.to_string(), s.clone());
            }
            None => prop_assert!(
                s.is_empty() || !s.contains(':') || s.starts_with(':') || s.ends_with(':')
                    || s.rsplit_once(':').is_some_and(|(r, _)| r.is_empty())
            ),
        }
    }

    #[test]
    fn extend_equals_collect(a in prop::collection::vec(scope_string(), 0..6),
                             b in prop::collection::vec(scope_string(), 0..6),
                             (action, resource) in (piece_string(2), piece_string(5))) {
        let mut extended: ScopeSet = a.iter().collect();
        extended.extend(&b);
        let all: Vec<&String> = a.iter().chain(&b).collect();
        prop_assert_eq!(extended.has_access(&action, &resource), has_access(&all, &action, &resource));
        prop_assert_eq!(extended.iter().collect::<Vec<_>>(), all.iter().map(|s| s.as_str()).collect::<Vec<_>>());
    }
}
