// The SCIM 2.0 client against a real SCIM server (scim2-server 0.8.3, `tests/support/scim.rs`),
// compiled once per mode by `tests/clients.rs`: schema discovery, the drift plan (an added, a
// changed and a removed attribute), typed metadata with defaults, PATCH with allowed values and
// If-Match, users and groups, typed errors (400, 401, 404, 409, 412) and pagination. Faults the
// server will not produce on demand are in `modes/scim_faults.rs`.

use idpkit::ErrorKind;
use idpkit::provisioning::{
    Difference, Drift, DriftField, DriftPlan, ListQuery, MetadataPatch, PatchOperation,
    Permission, PermissionSchema, ResourceKind, ScimError, ScimType, ServicePermissions,
};
use serde_json::{Value, json};

use super::{idp, maybe_async};
use crate::scim_server::{BILLING_URN, TOKEN};
use crate::{test_scim, unique};

/// The billing service's permissions as the service declares them. Against the server's
/// schema (`tests/scim/billing-extension.json`): `role` allows one more value, `region` is new,
/// `legacyPlan` is gone.
#[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
struct Billing {
    role: String,
    max_invoices: i64,
    can_refund: bool,
    region: String,
}

impl ServicePermissions for Billing {
    fn permission_schema() -> PermissionSchema {
        PermissionSchema::new("billing")
            .permission(
                Permission::string("role")
                    .label("Role")
                    .description("What the user may do in billing")
                    .allowed(["viewer", "editor", "admin"])
                    .default("viewer"),
            )
            .permission(
                Permission::integer("maxInvoices")
                    .description("How many invoices the user may issue a day")
                    .default(10),
            )
            .permission(
                Permission::boolean("canRefund")
                    .description("Whether the user may refund a payment")
                    .default(false),
            )
            .permission(
                Permission::string("region")
                    .description("Where the user's invoices are kept")
                    .default("eu"),
            )
    }
}

fn client() -> idp::ScimClient {
    idp::ScimClient::builder(&test_scim().base_url)
        .bearer_token(TOKEN)
        .build()
        .expect("build the SCIM client")
}

fn new_user(user_name: &str, billing: Value) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", BILLING_URN],
        "userName": user_name,
        (BILLING_URN): billing,
    })
}

fn scim_error(err: &idpkit::Error) -> (u16, Option<ScimType>) {
    match err.kind() {
        ErrorKind::Scim(ScimError::Response {
            status, scim_type, ..
        }) => (*status, scim_type.clone()),
        other => panic!("not a SCIM error response: {other:?}"),
    }
}

#[maybe_async]
async fn discovery_and_drift_body() {
    let scim = client();
    let config = scim.service_provider_config().await.unwrap();
    assert!(config.patch && config.etag && config.filter, "{config:?}");
    let server = scim.schema(BILLING_URN).await.unwrap();
    let names: Vec<&str> = server.attributes.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["role", "maxInvoices", "canRefund", "legacyPlan"]);
    assert_eq!(server.get("maxinvoices").unwrap().kind, "integer");
    let core = scim
        .schema("urn:ietf:params:scim:schemas:core:2.0:User")
        .await
        .unwrap();
    assert!(core.get("userName").is_some());

    let declared = Billing::permission_schema();
    assert_eq!(declared.urn(), BILLING_URN);
    let plan = scim.drift_plan(&declared).await.unwrap();
    assert!(plan.server_has_schema);
    assert_eq!(plan.changes.len(), 3, "{plan}");
    assert_eq!(
        plan.changes[0],
        Drift::Change {
            attribute: "role".into(),
            differences: vec![Difference {
                field: DriftField::AllowedValues,
                server: json!(["viewer", "editor"]),
                declared: json!(["viewer", "editor", "admin"]),
            }],
        }
    );
    assert!(
        matches!(&plan.changes[1], Drift::Add { attribute, definition } if attribute == "region" && definition["type"] == "string"),
        "{plan}"
    );
    assert_eq!(
        plan.changes[2],
        Drift::Remove {
            attribute: "legacyPlan".into()
        }
    );
    let printed = plan.to_string();
    assert!(printed.contains("+ add region (string)"), "{printed}");
    assert!(printed.contains("- remove legacyPlan"), "{printed}");
    let json = serde_json::to_string(&plan).unwrap();
    assert_eq!(serde_json::from_str::<DriftPlan>(&json).unwrap(), plan);
    // Strict mode fails with the plan.
    let err = plan.clone().ensure_in_sync().unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Scim(ScimError::Drift(p)) if **p == plan),
        "{err:?}"
    );
    // A description change alone is a change (never by name only).
    let described = PermissionSchema::new("billing")
        .permission(Permission::string("role").description("Something else").allowed(["viewer", "editor"]))
        .permission(Permission::integer("maxInvoices").description("How many invoices the user may issue a day"))
        .permission(Permission::boolean("canRefund").description("Whether the user may refund a payment"))
        .permission(Permission::string("legacyPlan").description("The plan of the old billing system"));
    let plan = scim.drift_plan(&described).await.unwrap();
    assert_eq!(plan.changes.len(), 1, "{plan}");
    let Drift::Change { differences, .. } = &plan.changes[0] else {
        panic!("{plan}")
    };
    assert_eq!(differences[0].field, DriftField::Description);
    // In sync: the server's own schema, declared; strict mode passes.
    let in_sync = PermissionSchema::new("billing")
        .permission(Permission::string("role").description("What the user may do in billing").allowed(["editor", "viewer"]))
        .permission(Permission::integer("maxInvoices").description("How many invoices the user may issue a day"))
        .permission(Permission::boolean("canRefund").description("Whether the user may refund a payment"))
        .permission(Permission::string("legacyPlan").description("The plan of the old billing system"));
    let plan = scim.drift_plan(&in_sync).await.unwrap();
    assert!(plan.is_in_sync(), "{plan}");
    plan.ensure_in_sync().unwrap();
    // A schema the server does not have: every attribute is an add.
    let unknown = PermissionSchema::new("nosuchservice").permission(Permission::boolean("a"));
    let plan = scim.drift_plan(&unknown).await.unwrap();
    assert!(!plan.server_has_schema && !plan.is_in_sync());
    assert!(matches!(plan.changes[..], [Drift::Add { .. }]));
    let err = scim.schema(unknown.urn()).await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err:?}");
}

#[test]
fn schema_discovery_and_a_drift_plan_with_an_add_a_change_and_a_remove() {
    run!(discovery_and_drift_body());
}

#[maybe_async]
async fn metadata_body() {
    let scim = client();
    let user = scim
        .create(
            ResourceKind::User,
            &new_user(&unique("meta"), json!({"maxInvoices": 25, "legacyPlan": "gold"})),
        )
        .await
        .unwrap();
    // Typed, with the declared defaults for what the user has not got.
    let read = scim.metadata::<Billing>(&user.id).await.unwrap();
    assert_eq!(
        read.values,
        Billing {
            role: "viewer".into(),
            max_invoices: 25,
            can_refund: false,
            region: "eu".into(),
        }
    );
    let version = read.version.clone().expect("scim2-server offers ETags");
    let schema = Billing::permission_schema();
    // A value outside the allowed ones, or of the wrong type, is refused before sending.
    let err = MetadataPatch::new(&schema).replace("role", "owner").unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Scim(ScimError::InvalidValue { .. })), "{err:?}");
    let err = MetadataPatch::new(&schema).replace("canRefund", "false").unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Scim(ScimError::InvalidValue { .. })), "{err:?}");
    // replace + add, conditional on the version just read.
    let patch = MetadataPatch::new(&schema)
        .replace("role", "admin")
        .unwrap()
        .add("canRefund", true)
        .unwrap()
        .if_match(&version);
    scim.set_metadata(&user.id, &patch).await.unwrap();
    let after = scim.metadata::<Billing>(&user.id).await.unwrap();
    assert_eq!(after.values.role, "admin");
    assert!(after.values.can_refund);
    assert_ne!(after.version.as_deref(), Some(version.as_str()));
    // The same version again is stale: 412.
    let err = scim.set_metadata(&user.id, &patch).await.unwrap_err();
    assert_eq!(scim_error(&err).0, 412, "{err:?}");
    // remove: the default applies again.
    let patch = MetadataPatch::new(&schema).remove("maxInvoices").unwrap();
    scim.set_metadata(&user.id, &patch).await.unwrap();
    let after = scim.metadata::<Billing>(&user.id).await.unwrap();
    assert_eq!(after.values.max_invoices, 10);
    // The whole object at once.
    let values = Billing {
        role: "editor".into(),
        max_invoices: 3,
        can_refund: false,
        region: "eu".into(),
    };
    let whole = MetadataPatch::from_values(&schema, &values).unwrap();
    assert_eq!(whole.operations().len(), 4);
    // `region` is declared but not yet on the server (the drift plan's add): leave it out.
    let patch = MetadataPatch::new(&schema)
        .replace("role", "editor")
        .unwrap()
        .replace("maxInvoices", 3)
        .unwrap()
        .replace("canRefund", false)
        .unwrap();
    assert_eq!(patch.operations().len(), 3);
    scim.set_metadata(&user.id, &patch).await.unwrap();
    let after = scim.metadata::<Billing>(&user.id).await.unwrap();
    assert_eq!(after.values, values);
}

#[test]
fn typed_metadata_with_defaults_patch_and_if_match() {
    run!(metadata_body());
}

#[maybe_async]
async fn errors_body() {
    let scim = client();
    // A string in an integer attribute: the server's typed 400.
    let err = scim
        .create(
            ResourceKind::User,
            &new_user(&unique("wrongtype"), json!({"maxInvoices": "lots"})),
        )
        .await
        .unwrap_err();
    assert_eq!(scim_error(&err), (400, Some(ScimType::InvalidValue)), "{err:?}");
    assert!(!err.is_retryable());
    // A taken userName: 409 uniqueness.
    let name = unique("taken");
    scim.create(ResourceKind::User, &new_user(&name, json!({})))
        .await
        .unwrap();
    let err = scim
        .create(ResourceKind::User, &new_user(&name, json!({})))
        .await
        .unwrap_err();
    assert_eq!(scim_error(&err), (409, Some(ScimType::Uniqueness)), "{err:?}");
    // An unknown id: 404.
    let err = scim.get(ResourceKind::User, "no-such-user").await.unwrap_err();
    assert_eq!(scim_error(&err).0, 404, "{err:?}");
    // A bad filter: 400 invalidFilter.
    let mut pager = scim.list(ResourceKind::User, ListQuery::new().filter("userName zz"));
    let err = pager.next_page().await.unwrap_err();
    assert_eq!(scim_error(&err), (400, Some(ScimType::InvalidFilter)), "{err:?}");
    assert!(pager.is_done());
    // A wrong token: 401, never retried, never confused with the others.
    let wrong = idp::ScimClient::builder(&test_scim().base_url)
        .bearer_token("not-the-token")
        .build()
        .unwrap();
    let err = wrong.get(ResourceKind::User, "x").await.unwrap_err();
    assert_eq!(scim_error(&err).0, 401, "{err:?}");
    assert_eq!(err.status(), Some(401));
    assert!(!err.is_retryable());
    let none = idp::ScimClient::builder(&test_scim().base_url).build().unwrap();
    let err = none.schema(BILLING_URN).await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    // The configuration is public (RFC 7644 §4): no token needed.
    none.service_provider_config().await.unwrap();
}

#[test]
fn wrong_type_is_a_typed_400_and_a_wrong_token_a_401() {
    run!(errors_body());
}

#[maybe_async]
async fn users_and_groups_body() {
    let scim = client();
    let name = unique("crud");
    let created = scim
        .create(ResourceKind::User, &new_user(&name, json!({"role": "editor"})))
        .await
        .unwrap();
    assert_eq!(created.body["userName"], name.as_str());
    let mut user = scim.get(ResourceKind::User, &created.id).await.unwrap();
    assert_eq!(user.version, created.version);
    user.body["displayName"] = json!("Barbara");
    let replaced = scim.replace(ResourceKind::User, &user).await.unwrap();
    assert_eq!(replaced.body["displayName"], "Barbara");
    // Replacing from the old version again: 412.
    let err = scim.replace(ResourceKind::User, &user).await.unwrap_err();
    assert_eq!(scim_error(&err).0, 412, "{err:?}");
    scim.patch(
        ResourceKind::User,
        &created.id,
        &[PatchOperation::replace("displayName", "Babs")],
        replaced.version.as_deref(),
    )
    .await
    .unwrap();
    let user = scim.get(ResourceKind::User, &created.id).await.unwrap();
    assert_eq!(user.body["displayName"], "Babs");
    // The service's admins as a group.
    let group_name = unique("billing-admins");
    let group = scim
        .create(
            ResourceKind::Group,
            &json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": group_name,
                "members": [{"value": created.id, "type": "User"}],
            }),
        )
        .await
        .unwrap();
    let filter = format!("displayName eq \"{group_name}\"");
    let found = scim
        .list(ResourceKind::Group, ListQuery::new().filter(filter))
        .collect_all()
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, group.id);
    assert_eq!(found[0].body["members"][0]["value"], created.id.as_str());
    scim.delete(ResourceKind::Group, &group.id).await.unwrap();
    scim.delete(ResourceKind::User, &created.id).await.unwrap();
    let err = scim.get(ResourceKind::User, &created.id).await.unwrap_err();
    assert_eq!(err.status(), Some(404));
}

#[test]
fn users_and_groups_crud_with_versions() {
    run!(users_and_groups_body());
}

#[maybe_async]
async fn pagination_body() {
    let scim = client();
    let prefix = unique("page");
    for i in 0..7 {
        scim.create(
            ResourceKind::User,
            &new_user(&format!("{prefix}-{i}"), json!({"maxInvoices": i})),
        )
        .await
        .unwrap();
    }
    let query = ListQuery::new()
        .filter(format!("userName sw \"{prefix}-\""))
        .attributes(["userName", BILLING_URN])
        .count(3);
    let mut pager = scim.list(ResourceKind::User, query.clone());
    let mut sizes = Vec::new();
    let mut names = Vec::new();
    while let Some(page) = pager.next_page().await.unwrap() {
        assert_eq!(page.total_results, 7);
        sizes.push(page.resources.len());
        for r in page.resources {
            assert!(r.body.get("displayName").is_none());
            names.push(r.body["userName"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(sizes, [3, 3, 1]);
    names.sort();
    let expected: Vec<String> = (0..7).map(|i| format!("{prefix}-{i}")).collect();
    assert_eq!(names, expected);
    assert!(pager.is_done());
    let after = pager.next_page().await.unwrap();
    assert!(after.is_none());
    // From the fifth on.
    let rest = scim
        .list(ResourceKind::User, query.start_index(5))
        .collect_all()
        .await
        .unwrap();
    assert_eq!(rest.len(), 3);
}

#[test]
fn pagination_over_more_users_than_one_page() {
    run!(pagination_body());
}
