//! Unit tests of the AuthZEN model, batches, search, discovery and wire functions.

use std::time::SystemTime;

use serde_json::{Value, json};

use super::*;
use crate::error::ErrorKind;
use crate::http::{HttpResponse, RequestLimits};

fn json_response(status: u16, v: &Value) -> HttpResponse {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(serde_json::to_vec(v).unwrap())
        .unwrap()
}

fn no_nulls(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Array(a) => a.iter().all(no_nulls),
        Value::Object(o) => o.values().all(no_nulls),
        _ => true,
    }
}

#[test]
fn serialisation_is_strict_no_nulls_no_empty_members() {
    let mut props = Properties::new();
    props.insert("a".into(), Value::Null);
    props.insert("b".into(), json!(1));
    let mut subject = Subject::new("user", "alice");
    subject.properties = props.clone();
    let mut ctx = Context::new();
    ctx.insert("gone".into(), Value::Null);
    let request = EvaluationRequest {
        subject,
        action: Action::new("read"),
        resource: Resource::new("doc", "1"),
        context: Some(ctx),
    };
    let v = serde_json::to_value(&request).unwrap();
    assert!(no_nulls(&v), "{v}");
    assert_eq!(
        v,
        json!({"subject": {"type": "user", "id": "alice", "properties": {"b": 1}},
               "action": {"name": "read"}, "resource": {"type": "doc", "id": "1"}, "context": {}})
    );
    let batch = EvaluationsRequest::new()
        .item(EvaluationItem::default())
        .semantic(EvaluationsSemantic::ExecuteAll);
    let v = serde_json::to_value(&batch).unwrap();
    assert_eq!(
        v,
        json!({"evaluations": [{}], "options": {"evaluations_semantic": "execute_all"}})
    );
    let search = SubjectSearchRequest::new(
        Subject::of_type("user"),
        Action::new("read"),
        Resource::new("doc", "1"),
    )
    .with_page(Page::default());
    let v = serde_json::to_value(&search).unwrap();
    assert_eq!(
        v,
        json!({"subject": {"type": "user"}, "action": {"name": "read"},
               "resource": {"type": "doc", "id": "1"}, "page": {}})
    );
}

#[test]
fn requests_round_trip_through_the_published_shapes() {
    let wire = json!({
        "subject": {"type": "user", "id": "rick"},
        "action": {"name": "can_update_todo"},
        "evaluations": [
            {"resource": {"type": "todo", "id": "1", "properties": {"ownerID": "rick@the-citadel.com"}}},
            {"resource": {"type": "todo", "id": "2"}, "context": {"k": "v"}}
        ],
        "options": {"evaluations_semantic": "permit_on_first_permit", "another_option": "value"}
    });
    let batch: EvaluationsRequest = serde_json::from_value(wire.clone()).unwrap();
    assert_eq!(
        batch.semantic_or_default(),
        EvaluationsSemantic::PermitOnFirstPermit
    );
    assert_eq!(serde_json::to_value(&batch).unwrap(), wire);
    batch.validate().unwrap();
}

#[test]
fn decision_keeps_unknown_context_and_reads_cerbos_meta() {
    let body = json!({"decision": false, "context": {"cerbos.response": {"results": [{
        "actions": {"delete": "EFFECT_DENY"},
        "meta": {"actions": {"delete": {"matchedPolicy": "resource.document.vdefault"}},
                 "effectiveDerivedRoles": ["owning_editor", "admin"]},
        "outputs": [{"action": "delete", "src": "a", "val": "owner:alice"},
                    {"action": "delete", "src": "b", "val": {"document": "d1", "reason": "document is locked"}}],
        "resource": {"id": "d1", "kind": "document"}}]}, "vendor": [1, 2]}});
    let d = parse_evaluation_response(json_response(200, &body), SystemTime::now()).unwrap();
    assert!(!d.is_permitted());
    assert_eq!(d.policy_id(), Some("resource.document.vdefault"));
    assert_eq!(d.access_path(), ["admin", "owning_editor"]);
    assert_eq!(d.outputs().len(), 2);
    assert_eq!(d.outputs()[1]["reason"], "document is locked");
    assert_eq!(d.get("vendor"), Some(&json!([1, 2])));
    assert_eq!(serde_json::to_value(&d).unwrap(), body);
    assert_eq!(d.reason(), None);
    assert!(d.error().is_none());
}

#[test]
fn decision_accessors_for_spec_examples() {
    let d: Decision = serde_json::from_value(json!({"decision": false, "context": {
        "error": {"status": "404", "message": "Resource not found"}, "policy_id": "p1",
        "roles": ["viewer"]}}))
    .unwrap();
    assert_eq!(d.error().unwrap().status, Some(404));
    assert_eq!(d.policy_id(), Some("p1"));
    assert_eq!(d.access_path(), ["viewer"]);
    assert_eq!(d.code(), None);
}

#[test]
fn evaluations_response_length_rules() {
    let item = || EvaluationItem::default().resource(Resource::new("doc", "1"));
    let base = EvaluationsRequest::new()
        .subject(Subject::new("user", "a"))
        .action(Action::new("read"))
        .item(item())
        .item(item())
        .item(item());
    let resp = |d: &[bool]| EvaluationsResponse {
        evaluations: d.iter().map(|&b| Decision::new(b)).collect(),
        decision: None,
    };
    let deny = base.clone().semantic(EvaluationsSemantic::DenyOnFirstDeny);
    let permit = base
        .clone()
        .semantic(EvaluationsSemantic::PermitOnFirstPermit);
    assert!(resp(&[true, true, true]).check_against(&base).is_ok());
    assert!(resp(&[true, false]).check_against(&base).is_err());
    assert!(resp(&[true, false]).check_against(&deny).is_ok());
    assert!(resp(&[true, true]).check_against(&deny).is_err());
    assert!(resp(&[false, true]).check_against(&permit).is_ok());
    assert!(resp(&[false, false]).check_against(&permit).is_err());
    assert!(resp(&[]).check_against(&deny).is_err());
    assert!(resp(&[true; 4]).check_against(&base).is_err());
    assert_eq!(
        resp(&[true, false]).decided_by(EvaluationsSemantic::DenyOnFirstDeny),
        Some(1)
    );
    assert!(resp(&[false, true]).outcome(EvaluationsSemantic::PermitOnFirstPermit));
    assert!(!resp(&[true, false]).outcome(EvaluationsSemantic::DenyOnFirstDeny));
    assert!(resp(&[true, true, true]).outcome(EvaluationsSemantic::ExecuteAll));
}

#[test]
fn evaluations_validation() {
    assert!(EvaluationsRequest::new().validate().is_err());
    let complete = EvaluationItem::default()
        .subject(Subject::new("user", "a"))
        .action(Action::new("read"))
        .resource(Resource::new("doc", "1"));
    assert!(EvaluationsRequest::new().item(complete).validate().is_ok());
    let err = EvaluationsRequest::new()
        .subject(Subject::new("user", "a"))
        .item(EvaluationItem::default().action(Action::new("read")))
        .validate()
        .unwrap_err();
    assert!(err.to_string().contains("resource"), "{err}");
}

#[test]
fn metadata_discovery_rules() {
    let id = PdpId::new("http://127.0.0.1:44775").unwrap();
    assert_eq!(
        id.metadata_url().as_str(),
        "http://127.0.0.1:44775/.well-known/authzen-configuration"
    );
    let cerbos = json!({"policy_decision_point": "http://127.0.0.1:44775",
        "access_evaluation_endpoint": "http://127.0.0.1:44775/access/v1/evaluation",
        "access_evaluations_endpoint": "http://127.0.0.1:44775/access/v1/evaluations"});
    let m = parse_metadata_response(&id, json_response(200, &cerbos), SystemTime::now()).unwrap();
    let e = m.endpoints(&id).unwrap();
    assert_eq!(
        e.search_action.as_str(),
        "http://127.0.0.1:44775/access/v1/search/action"
    );
    let other = PdpId::new("http://localhost:44775").unwrap();
    let err = parse_metadata_response(&other, json_response(200, &cerbos), SystemTime::now())
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::PdpMismatch { actual, .. } if actual == "http://127.0.0.1:44775"),
        "{err:?}"
    );
    let mut insecure = cerbos.clone();
    insecure["access_evaluations_endpoint"] = json!("http://pdp.example/x");
    let err =
        parse_metadata_response(&id, json_response(200, &insecure), SystemTime::now()).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::MalformedResponse { .. }),
        "{err:?}"
    );
    let both: PdpMetadata = serde_json::from_value(json!({"policy_decision_point": "https://p",
        "capabilities": ["urn:a"], "supported_capabilities": ["urn:b"], "x": 1}))
    .unwrap();
    assert!(both.supports_capability("urn:a") && both.supports_capability("urn:b"));
    assert_eq!(both.additional["x"], 1);
    let tenant = PdpId::new("https://pdp.example.com/tenant1/").unwrap();
    assert_eq!(
        tenant.metadata_url().as_str(),
        "https://pdp.example.com/.well-known/authzen-configuration/tenant1"
    );
    assert_eq!(
        PdpEndpoints::defaults(&tenant).evaluations.as_str(),
        "https://pdp.example.com/tenant1/access/v1/evaluations"
    );
}

#[test]
fn request_ids_are_fresh_and_errors_are_typed() {
    let endpoint = url::Url::parse("https://pdp.example/access/v1/evaluation").unwrap();
    let r = EvaluationRequest::new(
        Subject::new("user", "a"),
        Action::new("read"),
        Resource::new("doc", "1"),
    );
    let a = build_evaluation_request(&endpoint, &r, RequestLimits::default()).unwrap();
    let b = build_evaluation_request(&endpoint, &r, RequestLimits::default()).unwrap();
    assert_ne!(
        a.headers()[REQUEST_ID_HEADER],
        b.headers()[REQUEST_ID_HEADER]
    );
    let err = parse_evaluation_response(
        json_response(400, &json!({"code": 3, "message": "unknown field \"foo\""})),
        SystemTime::now(),
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(400));
    let garbage = http::Response::builder()
        .header("content-type", "application/json")
        .body(br#"{"decision": "secret-value""#.to_vec())
        .unwrap();
    let err = parse_evaluation_response(garbage, SystemTime::now()).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::MalformedResponse { .. }));
    assert!(!format!("{err:?}").contains("secret-value"));
    let err =
        parse_evaluations_response(json_response(200, &json!({})), SystemTime::now()).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::MalformedResponse { .. }));
    let mut req = a;
    assert!(set_bearer(&mut req, "").is_err());
}

#[test]
fn batch_bytes_on_the_wire() {
    // The defaults share their type with the items yet stay top-level members, in the order
    // subject, action, resource, context, then the items and the options; nulls never sent.
    let mut with_null = Context::new();
    with_null.insert("gone".into(), Value::Null);
    let batch = EvaluationsRequest::new()
        .subject(Subject::new("user", "rick"))
        .action(Action::new("can_update_todo"))
        .resource(Resource::new("todo", "0"))
        .context(with_null.clone())
        .item(EvaluationItem::default().resource(Resource::new("todo", "1")))
        .item(
            EvaluationItem::default()
                .subject(Subject::new("user", "morty"))
                .action(Action::new("read"))
                .context(with_null),
        )
        .semantic(EvaluationsSemantic::DenyOnFirstDeny);
    let wire = serde_json::to_string(&batch).unwrap();
    assert_eq!(
        wire,
        concat!(
            r#"{"subject":{"type":"user","id":"rick"},"action":{"name":"can_update_todo"},"#,
            r#""resource":{"type":"todo","id":"0"},"context":{},"evaluations":["#,
            r#"{"resource":{"type":"todo","id":"1"}},"#,
            r#"{"subject":{"type":"user","id":"morty"},"action":{"name":"read"},"context":{}}],"#,
            r#""options":{"evaluations_semantic":"deny_on_first_deny"}}"#
        )
    );
    let back: EvaluationsRequest = serde_json::from_str(&wire).unwrap();
    assert_eq!(serde_json::to_string(&back).unwrap(), wire);
    assert_eq!(back.defaults.subject, Some(Subject::new("user", "rick")));
    assert_eq!(
        serde_json::to_string(&EvaluationItem::default().context(Context::new())).unwrap(),
        r#"{"context":{}}"#
    );
    assert_eq!(
        serde_json::to_string(&EvaluationsRequest::new()).unwrap(),
        r#"{"evaluations":[]}"#
    );
}
