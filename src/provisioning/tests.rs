//! Unit tests of the pure SCIM code: bad input gives typed errors, never a panic.

use serde_json::json;

use super::*;
use crate::ErrorKind;

fn schema() -> PermissionSchema {
    PermissionSchema::new("billing")
        .permission(
            Permission::string("role")
                .allowed(["viewer", "editor"])
                .default("viewer"),
        )
        .permission(Permission::integer("maxInvoices").default(10))
        .permission(Permission::boolean("canRefund"))
}

#[derive(serde::Deserialize, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
struct Billing {
    role: String,
    max_invoices: i64,
    can_refund: Option<bool>,
}

#[test]
fn strict_types_on_read() {
    let s = schema();
    for bad in [
        json!({"canRefund": "false"}),
        json!({"maxInvoices": "3"}),
        json!({"maxInvoices": 2.5}),
        json!({"role": "owner"}),
    ] {
        let user = json!({"id": "1", (s.urn()): bad});
        let err = decode_metadata::<Billing>(&s, &user).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::Scim(ScimError::Metadata { .. })),
            "{err:?}"
        );
    }
    let not_object = json!({"id": "1", (s.urn()): [1]});
    assert!(decode_metadata::<Billing>(&s, &not_object).is_err());
    let none = decode_metadata::<Billing>(&s, &json!({"id": "1"})).unwrap();
    assert_eq!(
        none,
        Billing {
            role: "viewer".into(),
            max_invoices: 10,
            can_refund: None
        }
    );
    // Case-insensitive names, nulls take the default, unknown attributes are ignored.
    let user = json!({"id": "1", (s.urn().to_uppercase()): {"ROLE": "editor", "maxInvoices": null, "x": 1}});
    let b = decode_metadata::<Billing>(&s, &user).unwrap();
    assert_eq!((b.role.as_str(), b.max_invoices), ("editor", 10));
}

#[test]
fn bad_declarations_are_config_errors() {
    for bad in [
        PermissionSchema::new("b").permission(Permission::string("1st")),
        PermissionSchema::new("b").permission(Permission::string("a.b")),
        PermissionSchema::new("b").permission(Permission::string("")),
        PermissionSchema::new("b")
            .permission(Permission::string("x"))
            .permission(Permission::integer("X")),
        PermissionSchema::new("b").permission(Permission::string("x").allowed([1])),
        PermissionSchema::new("b").permission(Permission::string("x").allowed(["a"]).default("b")),
        PermissionSchema::new("b").urn_override("not a urn"),
    ] {
        let err = bad.validate().unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::Config { .. }), "{err:?}");
    }
}

#[test]
fn server_schemas_with_unknown_types_or_odd_shapes_are_malformed() {
    for bad in [
        json!({"attributes": []}),
        json!({"id": "urn:x", "attributes": {}}),
        json!({"id": "urn:x", "attributes": [{"type": "string"}]}),
        json!({"id": "urn:x", "attributes": [{"name": "a", "type": "color"}]}),
        json!({"id": "urn:x", "attributes": [{"name": "a", "type": "string", "mutability": "sometimes"}]}),
        json!({"id": "urn:x", "attributes": [{"name": "a", "type": "string", "canonicalValues": "a"}]}),
        json!({"id": "urn:x", "attributes": vec![json!({"name": "a", "type": "string"}); MAX_SCHEMA_ATTRIBUTES + 1]}),
    ] {
        let err = ServerSchema::from_json(&bad).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::MalformedResponse { .. }),
            "{err:?}"
        );
    }
}

#[test]
fn drift_plan_round_trips_through_serde_and_prints() {
    let server = ServerSchema::from_json(&json!({
        "id": schema().urn(),
        "attributes": [
            {"name": "role", "type": "string", "canonicalValues": ["editor", "viewer"]},
            {"name": "maxInvoices", "type": "string", "mutability": "readOnly"},
            {"name": "old", "type": "string"},
        ],
    }))
    .unwrap();
    let plan = DriftPlan::compute(&schema(), Some(&server)).unwrap();
    // The role's values are the same set: no change. maxInvoices: type + mutability.
    assert_eq!(plan.changes.len(), 3, "{plan}");
    let Drift::Change { differences, .. } = &plan.changes[0] else {
        panic!("{plan}")
    };
    let fields: Vec<_> = differences.iter().map(|d| d.field).collect();
    assert_eq!(fields, [DriftField::Type, DriftField::Mutability]);
    assert!(matches!(plan.changes[1], Drift::Add { .. }));
    assert!(matches!(plan.changes[2], Drift::Remove { .. }));
    let text = plan.to_string();
    assert!(
        text.contains("~ change maxInvoices: type \"string\" -> \"integer\""),
        "{text}"
    );
    let back: DriftPlan = serde_json::from_str(&serde_json::to_string(&plan).unwrap()).unwrap();
    assert_eq!(back, plan);
}

#[test]
fn scim_error_bodies() {
    let parse = |status: u16, body: &str| {
        let resp = http::Response::builder()
            .status(status)
            .body(body.as_bytes().to_vec())
            .unwrap();
        check_scim_status(resp, std::time::SystemTime::now()).unwrap_err()
    };
    let e = parse(
        400,
        r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","scimType":"invalidFilter","detail":"bad"}"#,
    );
    assert_eq!(e.status(), Some(400));
    let ErrorKind::Scim(scim) = e.kind() else {
        panic!("{e:?}")
    };
    assert_eq!(scim.scim_type(), Some(&ScimType::InvalidFilter));
    // A numeric status, the HTTP status wins; a scimType of the wrong type is dropped.
    let e = parse(412, r#"{"status":400,"scimType":5,"detail":["x"]}"#);
    assert_eq!(
        e.kind(),
        &ErrorKind::Scim(ScimError::Response {
            status: 412,
            scim_type: None,
            detail: None
        })
    );
    // Not a SCIM error: the plain status error, retryable for 5xx.
    let e = parse(503, "<html>busy</html>");
    assert!(matches!(e.kind(), ErrorKind::Status { status: 503, .. }));
    assert!(e.is_retryable());
    let e = parse(500, r#"{"status":"500"}"#);
    assert!(e.is_retryable());
    let long = format!(r#"{{"status":"400","detail":"{}"}}"#, "x".repeat(5000));
    let ErrorKind::Scim(ScimError::Response {
        detail: Some(d), ..
    }) = parse(400, &long).into_kind()
    else {
        panic!()
    };
    assert_eq!(d.len(), 512);
}

#[test]
fn fuzz_entry_survives_odd_bodies() {
    for body in [&b""[..], b"\x03{", b"\x00{\"totalResults\":18446744073709551616}", b"\x00{\"id\":\"1\",\"urn:idpkit:params:scim:schemas:extension:fuzz:2.0:User\":{\"n\":\"1\"}}", b"\x05null"] {
        fuzz_scim_response(body);
    }
}

#[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
struct Perms {
    role: String,
    max_invoices: i64,
}

impl ServicePermissions for Perms {
    fn permission_schema() -> PermissionSchema {
        PermissionSchema::new("billing")
            .permission(
                Permission::string("role")
                    .allowed(["viewer", "editor"])
                    .default("viewer"),
            )
            .permission(Permission::integer("maxInvoices").default(10))
    }
}

#[test]
fn the_same_type_from_claims_as_from_scim() {
    let urn = Perms::permission_schema().urn().to_owned();
    let from_scim: Perms = decode_metadata(
        &Perms::permission_schema(),
        &json!({"id": "u", (urn.clone()): {"role": "editor"}}),
    )
    .unwrap();
    let claims =
        json!({"sub": "u", (urn.clone()): {"role": "editor"}, "billing": {"role": "viewer"}});
    // The URN wins over the service name.
    let from_claims = metadata_from_claims::<Perms>(claims.as_object().unwrap()).unwrap();
    assert_eq!(from_claims, Some(from_scim));
    // Strict types on the claims path too; a stringified object is no object.
    for bad in [
        json!({"billing": {"maxInvoices": "3"}}),
        json!({"billing": "{\"role\":\"editor\"}"}),
    ] {
        let err = metadata_from_claims::<Perms>(bad.as_object().unwrap()).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::Scim(ScimError::Metadata { .. })),
            "{err:?}"
        );
    }
    assert_eq!(
        metadata_from_claims::<Perms>(json!({"billing": null}).as_object().unwrap()).unwrap(),
        None
    );
}

#[test]
fn arrays_are_no_list_or_configuration() {
    let resp = |body: &str| {
        http::Response::builder()
            .header("content-type", "application/scim+json")
            .body(body.as_bytes().to_vec())
            .unwrap()
    };
    let now = std::time::SystemTime::now();
    assert!(parse_list_response(resp("[3]"), now).is_err());
    assert!(parse_service_provider_config(resp("[]"), now).is_err());
    assert!(parse_list_response(resp(r#"{"totalResults":-1}"#), now).is_err());
    let page =
        parse_list_response(resp(r#"{"totalResults":1,"Resources":[{"id":"a"}]}"#), now).unwrap();
    assert_eq!(page.resources[0].id, "a");
}
