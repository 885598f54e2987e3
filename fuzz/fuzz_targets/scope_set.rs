//! `ScopeSet::has_access` and `has_access` agree with the rule applied scope by scope
//! (`parse_scope` + `Scope::grants`), on arbitrary input, and nothing panics.
//!
//! Input: UTF-8 (lossily decoded) lines: the request's action, its resource, then one scope
//! per line. Besides that request, every scope's own resource and action (and the resource
//! with a sub-resource or a suffix appended) are tried, so that hits are common.
#![no_main]

use idpkit::authz::scope::{AccessProfile, Organization, ScopeSet, has_access, parse_scope};
use libfuzzer_sys::fuzz_target;

fn reference(scopes: &[&str], action: &str, resource: &str) -> bool {
    scopes
        .iter()
        .any(|s| parse_scope(s).is_some_and(|p| p.grants(action, resource)))
}

fn check(set: &ScopeSet, scopes: &[&str], action: &str, resource: &str) {
    let expected = reference(scopes, action, resource);
    assert_eq!(
        has_access(scopes, action, resource),
        expected,
        "has_access {scopes:?} {action:?} {resource:?}"
    );
    assert_eq!(
        set.has_access(action, resource),
        expected,
        "ScopeSet {scopes:?} {action:?} {resource:?}"
    );
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let action = lines.next().unwrap_or("");
    let resource = lines.next().unwrap_or("");
    let scopes: Vec<&str> = lines.collect();

    let set: ScopeSet = scopes.iter().collect();
    assert_eq!(set.len(), scopes.len());
    check(&set, &scopes, action, resource);
    for scope in &scopes {
        if let Some(p) = parse_scope(scope) {
            assert_eq!(format!("{}:{}", p.resource, p.action), *scope);
            for r in [
                p.resource.to_owned(),
                format!("{}.{resource}", p.resource),
                format!("{}{resource}", p.resource),
            ] {
                check(&set, &scopes, p.action, &r);
                check(&set, &scopes, action, &r);
            }
        }
    }

    match ScopeSet::try_from_scopes(&scopes) {
        Ok(strict) => {
            assert!(scopes.iter().all(|s| parse_scope(s).is_some()));
            assert_eq!(
                strict.has_access(action, resource),
                set.has_access(action, resource)
            );
        }
        Err(err) => {
            assert!(!err.invalid().is_empty());
            for e in &err {
                assert!(parse_scope(scopes[e.index]).is_none());
            }
        }
    }

    // Organizations and the token-scope fallback.
    let joined = scopes.join(" ");
    let agent = AccessProfile::new([], Some(&joined));
    let split: Vec<&str> = joined.split(' ').filter(|s| !s.is_empty()).collect();
    assert_eq!(
        agent.has_access(action, resource),
        reference(&split, action, resource)
    );
    let orgs = AccessProfile::new(
        [
            Organization::new(action, scopes.iter().copied()),
            Organization::new(resource, ["owner"]),
        ],
        Some(&joined),
    );
    assert_eq!(
        orgs.has_access(action, resource),
        reference(&scopes, action, resource) || reference(&["owner"], action, resource)
    );
    let _ = (
        orgs.is_owner_of(resource),
        orgs.is_admin_of(action),
        orgs.get_scopes_for(action),
    );
});
