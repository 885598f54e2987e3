//! AuthZEN batch answers: `parse_evaluations_response`, then `check_against` requests of one to
//! four items under each semantic, `decisions`, `decided_by` and `outcome`. The length check and
//! the short-circuit rules agree; nothing panics.
//!
//! Input: a response as `idpkit_fuzz::response` reads it, or a bare JSON document.
#![no_main]

use idpkit::authz::authzen::{
    Action, EvaluationItem, EvaluationsRequest, EvaluationsSemantic, Resource, Subject,
    parse_evaluations_response,
};
use idpkit_fuzz::{now, response};
use libfuzzer_sys::fuzz_target;

const SEMANTICS: [EvaluationsSemantic; 3] = [
    EvaluationsSemantic::ExecuteAll,
    EvaluationsSemantic::DenyOnFirstDeny,
    EvaluationsSemantic::PermitOnFirstPermit,
];

fn request(items: usize, semantic: EvaluationsSemantic) -> EvaluationsRequest {
    let mut request = EvaluationsRequest::new()
        .subject(Subject::new("user", "alice"))
        .action(Action::new("read"))
        .semantic(semantic);
    for i in 0..items {
        request =
            request.item(EvaluationItem::default().resource(Resource::new("doc", i.to_string())));
    }
    request
}

fuzz_target!(|data: &[u8]| {
    let response = response(data);
    let status = response.status();
    let batch = match parse_evaluations_response(response, now()) {
        Ok(batch) => batch,
        Err(e) => {
            if !status.is_success() {
                assert_eq!(e.status(), Some(status.as_u16()));
            }
            let _ = e.to_string();
            return;
        }
    };
    assert!(status.is_success());
    let decisions = batch.decisions();
    assert_eq!(decisions.len(), batch.evaluations.len());
    for semantic in SEMANTICS {
        let decided_by = batch.decided_by(semantic);
        if let Some(i) = decided_by {
            assert!(i < decisions.len());
        }
        let outcome = batch.outcome(semantic);
        match semantic {
            EvaluationsSemantic::PermitOnFirstPermit => {
                assert_eq!(outcome, decisions.contains(&true))
            }
            _ => assert_eq!(
                outcome,
                !decisions.is_empty() && !decisions.contains(&false)
            ),
        }
        for items in 1..=4 {
            if batch.check_against(&request(items, semantic)).is_ok() {
                let got = decisions.len();
                assert!(got == items || (got > 0 && got < items && decided_by == Some(got - 1)));
            }
        }
    }
});
