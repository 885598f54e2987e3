//! A service that keeps its permissions in the company's identity provider over SCIM 2.0: it
//! declares its permission schema in Rust, prints the drift plan against the server, sets a
//! user's permissions and reads them back typed.
//!
//! Starts its own SCIM server (scim2-server from `target/py-venv`, as the tests do; run
//! `bash scripts/setup-python.sh` once), so it needs nothing else:
//!
//! ```sh
//! cargo run --example provisioning --features blocking
//! ```

use idpkit::blocking::ScimClient;
use idpkit::provisioning::{
    MetadataPatch, Permission, PermissionSchema, ResourceKind, ServicePermissions,
};
use serde_json::json;

#[path = "../tests/support/scim.rs"]
mod scim_server;

/// The billing service's permissions: the values, typed, and their schema.
#[derive(serde::Serialize, serde::Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
struct Billing {
    role: String,
    max_invoices: i64,
    can_refund: bool,
}

impl ServicePermissions for Billing {
    fn permission_schema() -> PermissionSchema {
        PermissionSchema::new("billing")
            .description("Permissions of the billing service")
            .permission(
                Permission::string("role")
                    .label("Role")
                    .description("What the user may do in billing")
                    .allowed(["viewer", "editor", "admin"])
                    .default("viewer"),
            )
            .permission(
                Permission::integer("maxInvoices")
                    .label("Invoices per day")
                    .description("How many invoices the user may issue a day")
                    .default(10),
            )
            .permission(
                Permission::boolean("canRefund")
                    .label("May refund")
                    .description("Whether the user may refund a payment")
                    .default(false),
            )
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = scim_server::TestScim::start()?;
    println!("SCIM server at {}", server.base_url);
    let scim = ScimClient::builder(&server.base_url)
        .bearer_token(scim_server::TOKEN)
        .build()?;

    let schema = Billing::permission_schema();
    println!(
        "\nThe declared schema, as SCIM (for the identity provider's administrator):\n{}",
        serde_json::to_string_pretty(&schema.to_scim_schema())?
    );
    let plan = scim.drift_plan(&schema)?;
    println!("\nDrift plan:\n{plan}");

    let user = scim.create(
        ResourceKind::User,
        &json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "bjensen",
        }),
    )?;
    let before = scim.metadata::<Billing>(&user.id)?;
    println!("\nbjensen before (declared defaults): {:?}", before.values);

    let mut patch = MetadataPatch::new(&schema)
        .replace("role", "editor")?
        .replace("maxInvoices", 25)?;
    if let Some(version) = before.version {
        // Optimistic concurrency: a change made since the read makes this a 412.
        patch = patch.if_match(version);
    }
    scim.set_metadata(&user.id, &patch)?;
    let after = scim.metadata::<Billing>(&user.id)?;
    println!("bjensen after:  {:?}", after.values);

    let refused = MetadataPatch::new(&schema).replace("role", "owner");
    println!(
        "\nrole = \"owner\" is refused before sending: {}",
        refused.unwrap_err()
    );
    Ok(())
}
