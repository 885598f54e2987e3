//! The SCIM response parsers (resources, PATCH answers, list pages, schemas,
//! `/ServiceProviderConfig`, SCIM error bodies) and the typed metadata decoder never panic on
//! arbitrary input.
//!
//! Input: the first byte picks the HTTP status (200, 201, 204, 400, 401, 404, 409, 412, 500);
//! the rest is the body of an `application/scim+json` response.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    idpkit::provisioning::fuzz_scim_response(data);
});
