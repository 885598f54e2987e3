//! AuthZEN search answers: `parse_search_response` for subjects, resources and actions, and the
//! paging accessors; nothing panics.
//!
//! Input: a response as `idpkit_fuzz::response` reads it, or a bare JSON document.
#![no_main]

use idpkit::authz::authzen::{Action, Resource, SearchResponse, Subject, parse_search_response};
use idpkit_fuzz::{now, response};
use libfuzzer_sys::fuzz_target;

fn paging<T>(page: &SearchResponse<T>) {
    let next = page.next_token();
    if let Some(info) = &page.page {
        assert_eq!(info.is_last(), next.is_none());
    } else {
        assert!(next.is_none());
    }
}

fuzz_target!(|data: &[u8]| {
    let status = response(data).status();
    let subjects = parse_search_response::<Subject>(response(data), now());
    let resources = parse_search_response::<Resource>(response(data), now());
    let actions = parse_search_response::<Action>(response(data), now());
    if let Ok(page) = &subjects {
        paging(page);
    }
    if let Ok(page) = &resources {
        paging(page);
    }
    if let Ok(page) = &actions {
        paging(page);
    }
    for e in [subjects.err(), resources.err(), actions.err()]
        .into_iter()
        .flatten()
    {
        if !status.is_success() {
            assert_eq!(e.status(), Some(status.as_u16()));
        }
        let _ = e.to_string();
    }
});
