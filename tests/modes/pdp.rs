// The AuthZEN PDP client against a real policy decision point (Cerbos 0.55, `tests/pdp`),
// compiled once per mode by `tests/clients.rs`: discovery, the project's own decision tables
// (`tests/pdp/tables/*.json`), the AuthZEN working group's published interop vectors (read from
// `../shared/vectors/` when that folder exists), Cerbos' metadata in the decision context, and
// the missing search API. Faults Cerbos will not produce on demand are in `modes/pdp_faults.rs`.

use std::path::{Path, PathBuf};

use idpkit::ErrorKind;
use idpkit::authz::authzen::{
    Action, EvaluationItem, EvaluationRequest, EvaluationsRequest, EvaluationsSemantic, Resource,
    ResourceSearchRequest, Subject, SubjectSearchRequest,
};
use serde_json::Value;

use super::{idp, maybe_async};
use crate::{pdp_server, test_pdp};

/// Single evaluations in the own tables: todo 104 + gateway 46 + document 99.
const OWN_SINGLE: usize = 104 + 46 + 99;
/// Batches in the own tables: todo 9 + gateway 5 + document 3.
const OWN_BATCH: usize = 9 + 5 + 3;
/// Decisions inside those batches: 31 + 20 + 11.
const OWN_BATCH_DECISIONS: usize = 31 + 20 + 11;
/// Published vectors: Todo 1.0-02 (40 single + 3 batch) and API gateways (25 single).
const PUBLISHED_SINGLE: usize = 40 + 25;
const PUBLISHED_BATCH: usize = 3;
/// Decisions inside those batches.
const PUBLISHED_BATCH_DECISIONS: usize = 6;

#[maybe_async]
async fn discovered() -> idp::PdpClient {
    idp::PdpClient::builder(&test_pdp().base_url)
        .api_key("ignored-by-cerbos")
        .discover()
        .await
        .expect("discover the test PDP")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// An expected batch answer: `[true, false]` (own tables) or `[{"decision": true}, ...]`
/// (published vectors).
fn expected_decisions(expected: &Value) -> Vec<bool> {
    expected
        .as_array()
        .expect("expected array")
        .iter()
        .map(|e| {
            e.as_bool()
                .or_else(|| e["decision"].as_bool())
                .expect("boolean decision")
        })
        .collect()
}

#[derive(Debug, Default, PartialEq)]
struct Replayed {
    single: usize,
    batch: usize,
    batch_decisions: usize,
}

/// Replays every row of a table file (`evaluation` rows through `evaluate`, `evaluations` rows
/// through `evaluations`) and returns the counts; panics with every mismatch.
#[maybe_async]
async fn replay(client: &idp::PdpClient, path: &Path) -> Replayed {
    let table = read_json(path);
    let mut counts = Replayed::default();
    let mut mismatches = Vec::new();
    for row in table["evaluation"].as_array().into_iter().flatten() {
        let request: EvaluationRequest =
            serde_json::from_value(row["request"].clone()).expect("an evaluation request");
        let expected = row["expected"].as_bool().expect("boolean expected");
        let decision = client
            .evaluate(&request)
            .await
            .unwrap_or_else(|e| panic!("{}: {row}: {e:?}", path.display()));
        if decision.decision != expected {
            mismatches.push(format!("single {}: got {}", row, decision.decision));
        }
        counts.single += 1;
    }
    for row in table["evaluations"].as_array().into_iter().flatten() {
        let request: EvaluationsRequest =
            serde_json::from_value(row["request"].clone()).expect("an evaluations request");
        let expected = expected_decisions(&row["expected"]);
        let response = client
            .evaluate_batch(&request)
            .await
            .unwrap_or_else(|e| panic!("{}: {row}: {e:?}", path.display()));
        let got = response.decisions();
        if got != expected {
            mismatches.push(format!("batch {row}: got {got:?}"));
        }
        // The short-circuit helper agrees with where the answer stops.
        let semantic = request.semantic_or_default();
        if got.len() < request.evaluations.len() {
            assert_eq!(response.decided_by(semantic), Some(got.len() - 1), "{row}");
        }
        counts.batch += 1;
        counts.batch_decisions += got.len();
    }
    assert!(
        mismatches.is_empty(),
        "{}: {} mismatches:\n{}",
        path.display(),
        mismatches.len(),
        mismatches.join("\n")
    );
    counts
}

#[maybe_async]
async fn replay_own_tables() -> Replayed {
    let client = discovered().await;
    let dir = pdp_server::repo_root().join("tests/pdp/tables");
    let mut total = Replayed::default();
    for name in ["todo.json", "gateway.json", "document.json"] {
        let counts = replay(&client, &dir.join(name)).await;
        eprintln!("own table {name}: {counts:?}");
        total.single += counts.single;
        total.batch += counts.batch;
        total.batch_decisions += counts.batch_decisions;
    }
    total
}

#[test]
fn every_row_of_the_own_tables_matches() {
    let total = run!(replay_own_tables());
    assert_eq!(
        total,
        Replayed {
            single: OWN_SINGLE,
            batch: OWN_BATCH,
            batch_decisions: OWN_BATCH_DECISIONS,
        }
    );
}

fn published_dir() -> PathBuf {
    pdp_server::repo_root().join("../shared/vectors/authzen-interop/interop")
}

#[maybe_async]
async fn replay_published(dir: PathBuf) -> Replayed {
    let client = discovered().await;
    let mut total = Replayed::default();
    for file in [
        "authzen-todo-backend/test/decisions-authorization-api-1_0-02.json",
        "authzen-api-gateways/test-harness/test/decisions.json",
    ] {
        let counts = replay(&client, &dir.join(file)).await;
        eprintln!("published {file}: {counts:?}");
        total.single += counts.single;
        total.batch += counts.batch;
        total.batch_decisions += counts.batch_decisions;
    }
    total
}

#[test]
fn every_published_interop_vector_matches() {
    let dir = published_dir();
    if !dir.is_dir() {
        eprintln!(
            "SKIPPED: the published AuthZEN interop vectors ({}) are not there; the own tables still ran",
            dir.display()
        );
        return;
    }
    let total = run!(replay_published(dir));
    assert_eq!(total.single, PUBLISHED_SINGLE);
    assert_eq!(total.batch, PUBLISHED_BATCH);
    assert_eq!(total.batch_decisions, PUBLISHED_BATCH_DECISIONS);
}

#[maybe_async]
async fn discovery_body() {
    let base = &test_pdp().base_url;
    let client = discovered().await;
    let metadata = client.metadata().expect("discovered metadata");
    assert_eq!(&metadata.policy_decision_point, base);
    assert_eq!(
        metadata.access_evaluation_endpoint.as_deref(),
        Some(format!("{base}/access/v1/evaluation").as_str())
    );
    assert!(metadata.search_subject_endpoint.is_none());
    let endpoints = client.endpoints();
    assert_eq!(
        endpoints.evaluations.as_str(),
        format!("{base}/access/v1/evaluations")
    );
    // Not advertised by Cerbos: the default paths.
    assert_eq!(
        endpoints.search_subject.as_str(),
        format!("{base}/access/v1/search/subject")
    );
    // Built without discovery: the same endpoints.
    let built = idp::PdpClient::builder(base).build().expect("build");
    assert_eq!(built.endpoints(), endpoints);
    assert!(built.metadata().is_none());
}

#[test]
fn discovery_checks_the_identifier_and_falls_back_to_default_paths() {
    run!(discovery_body());
}

#[maybe_async]
async fn discovery_of_a_tenant_path_is_a_404() {
    // RFC 8615 insertion: `/.well-known/authzen-configuration/tenant1`, which Cerbos does not
    // serve (a plain-text 404).
    let err = idp::PdpClient::builder(format!("{}/tenant1", test_pdp().base_url))
        .discover()
        .await
        .expect_err("no tenant metadata");
    assert_eq!(err.status(), Some(404), "{err:?}");
}

#[test]
fn discovery_of_an_unknown_tenant_is_a_status_error() {
    run!(discovery_of_a_tenant_path_is_a_404());
}

#[maybe_async]
async fn check_and_meta_body() {
    let client = discovered().await;
    let rick = Subject::new(
        "user",
        "CiRmZDA2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs",
    );
    let todo = Resource::new("todo", "todo-1");
    let allowed = client
        .check(&rick, &Action::new("can_read_todos"), &todo)
        .await
        .unwrap();
    assert!(allowed);
    let allowed = client
        .check(&rick, &Action::new("no_such_action"), &todo)
        .await
        .unwrap();
    assert!(!allowed);
    // Cerbos' metadata in the decision context, read through the typed accessors.
    let request = EvaluationRequest::new(rick, Action::new("can_read_todos"), todo)
        .with_context("cerbos.includeMeta", true);
    let decision = client.evaluate(&request).await.unwrap();
    assert!(decision.is_permitted());
    assert_eq!(decision.policy_id(), Some("resource.todo.vdefault"));
    assert!(decision.access_path().contains(&"admin"), "{decision:?}");
    // A locked document: the deny rule's output.
    let alice = Subject::new("user", "alice").with_property("cerbos.roles", vec!["user"]);
    let doc = Resource::new("document", "d-locked")
        .with_property("owner", "alice")
        .with_property("locked", true);
    let request = EvaluationRequest::new(alice, Action::new("delete"), doc)
        .with_context("cerbos.includeMeta", true);
    let decision = client.evaluate(&request).await.unwrap();
    assert!(!decision.is_permitted());
    assert!(
        decision
            .outputs()
            .iter()
            .any(|v| v["reason"] == "document is locked"),
        "{decision:?}"
    );
}

#[test]
fn check_and_the_decision_context_accessors() {
    run!(check_and_meta_body());
}

#[maybe_async]
async fn short_circuit_body() {
    let client = discovered().await;
    // morty: may update his own todo, not rick's (the table's rules).
    let morty = Subject::new(
        "user",
        "CiRmZDE2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs",
    );
    let todo = |id: &str, owner: &str| {
        EvaluationItem::default()
            .resource(Resource::new("todo", id).with_property("ownerID", owner))
    };
    let batch = EvaluationsRequest::new()
        .subject(morty)
        .action(Action::new("can_update_todo"))
        .item(todo("t-m1", "morty@the-citadel.com"))
        .item(todo("t-r1", "rick@the-citadel.com"))
        .item(todo("t-m2", "morty@the-citadel.com"));
    let all = client.evaluate_batch(&batch).await.unwrap();
    assert_eq!(all.decisions(), [true, false, true]);
    let deny = batch.clone().semantic(EvaluationsSemantic::DenyOnFirstDeny);
    let answer = client.evaluate_batch(&deny).await.unwrap();
    assert_eq!(answer.decisions(), [true, false]);
    assert_eq!(
        answer.decided_by(EvaluationsSemantic::DenyOnFirstDeny),
        Some(1)
    );
    assert!(!answer.outcome(EvaluationsSemantic::DenyOnFirstDeny));
    let mut permit = batch.clone();
    permit.evaluations.remove(0);
    let permit = permit.semantic(EvaluationsSemantic::PermitOnFirstPermit);
    let answer = client.evaluate_batch(&permit).await.unwrap();
    assert_eq!(answer.decisions(), [false, true]);
    assert_eq!(
        answer.decided_by(EvaluationsSemantic::PermitOnFirstPermit),
        Some(1)
    );
    assert!(answer.outcome(EvaluationsSemantic::PermitOnFirstPermit));
    // An empty batch is refused before sending (Cerbos would answer 400).
    let err = client
        .evaluate_batch(&EvaluationsRequest::new())
        .await
        .expect_err("empty");
    assert!(matches!(err.kind(), ErrorKind::Config { .. }), "{err:?}");
}

#[test]
fn batches_with_short_circuit_semantics() {
    run!(short_circuit_body());
}

#[maybe_async]
async fn search_body() {
    let client = discovered().await;
    let request = SubjectSearchRequest::new(
        Subject::of_type("user"),
        Action::new("can_read_todos"),
        Resource::new("todo", "todo-1"),
    );
    let err = client.search_subjects(&request).await.expect_err("404");
    assert_eq!(err.status(), Some(404), "{err:?}");
    assert!(matches!(err.kind(), ErrorKind::Status { status: 404, .. }));
    assert!(!err.is_retryable());
    let request = ResourceSearchRequest::new(
        Subject::new("user", "alice"),
        Action::new("can_read_todos"),
        Resource::of_type("todo"),
    );
    let err = client.search_all(&request).await.expect_err("404");
    assert_eq!(err.status(), Some(404));
}

#[test]
fn search_on_cerbos_is_a_typed_404() {
    run!(search_body());
}

#[maybe_async]
async fn strict_400_body() {
    // Cerbos rejects what the spec says to ignore: an unknown option.
    let client = discovered().await;
    let mut batch = EvaluationsRequest::new()
        .subject(Subject::new("user", "a"))
        .action(Action::new("read"))
        .item(EvaluationItem::default().resource(Resource::new("document", "d1")));
    let mut options = idpkit::authz::authzen::EvaluationsOptions::default();
    options
        .extra
        .insert("another_option".into(), "value".into());
    batch.options = Some(options);
    let err = client.evaluate_batch(&batch).await.expect_err("400");
    assert_eq!(err.status(), Some(400), "{err:?}");
}

#[test]
fn an_unknown_option_is_a_400_from_cerbos() {
    run!(strict_400_body());
}
