//! Provisioning on SCIM 2.0 (RFC 7643 / RFC 7644), pure: a service's **permission schema**
//! declared once in Rust and turned into a SCIM extension of `User`, the **drift plan** against
//! the schema a server serves, a user's **metadata** (the values of those permissions) read typed
//! with declared defaults and strict types, PATCH bodies validated against the allowed values,
//! and the SCIM responses (resources, lists, errors, `/ServiceProviderConfig`) parsed.
//!
//! The clients that send these requests are `ScimClient` in [`blocking`](crate::blocking) and
//! [`asynch`](crate::asynch).
//!
//! In scope: users and groups, one extension schema per service, `If-Match` versions.
//! Out of scope: registering a schema on the server (`/Schemas` is read-only discovery in
//! RFC 7644 §4; the drift plan says what to register), bulk requests, sorting.
//!
//! ```
//! use idpkit::provisioning::{decode_metadata, MetadataPatch, Permission, PermissionSchema, ServicePermissions};
//!
//! #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
//! #[serde(rename_all = "camelCase")]
//! struct Billing { role: String, max_invoices: i64, can_refund: bool }
//!
//! impl ServicePermissions for Billing {
//!     fn permission_schema() -> PermissionSchema {
//!         PermissionSchema::new("billing")
//!             .permission(Permission::string("role").label("Role").allowed(["viewer", "editor"]).default("viewer"))
//!             .permission(Permission::integer("maxInvoices").default(10))
//!             .permission(Permission::boolean("canRefund").default(false))
//!     }
//! }
//!
//! let schema = Billing::permission_schema();
//! let user = serde_json::json!({"id": "u1", (schema.urn()): {"maxInvoices": 25}});
//! let billing: Billing = decode_metadata(&schema, &user)?;
//! assert_eq!(billing, Billing { role: "viewer".into(), max_invoices: 25, can_refund: false });
//! let patch = MetadataPatch::new(&schema).replace("role", "editor")?;
//! # Ok::<(), idpkit::Error>(())
//! ```

mod drift;
mod error;
mod metadata;
mod schema;
#[cfg(test)]
mod tests;
// The request builders are used by the clients only.
#[cfg_attr(not(any(feature = "blocking", feature = "async")), allow(dead_code))]
mod wire;

pub use drift::{
    Difference, Drift, DriftField, DriftPlan, MAX_SCHEMA_ATTRIBUTES, ServerAttribute, ServerSchema,
};
pub use error::{ScimError, ScimType};
pub use metadata::{
    MetadataPatch, PatchOp, PatchOperation, UserMetadata, decode_metadata, metadata_from_claims,
};
pub use schema::{Mutability, Permission, PermissionSchema, PermissionType, ServicePermissions};
#[doc(hidden)]
pub use wire::fuzz_scim_response;
pub use wire::{
    ListQuery, ListResponse, ResourceKind, ScimResource, ServiceProviderConfig, check_scim_status,
    parse_delete_response, parse_list_response, parse_patch_response, parse_resource_response,
    parse_schema_response, parse_service_provider_config,
};
#[cfg_attr(
    not(any(feature = "blocking", feature = "async")),
    allow(unused_imports)
)]
pub(crate) use wire::{ScimEndpoint, get_request, list_request, patch_request, scim_request};
