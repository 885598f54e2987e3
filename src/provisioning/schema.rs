//! A service's permission schema, declared in Rust, and the SCIM extension schema made from it
//! (RFC 7643 §7).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::error::ScimError;
use crate::error::{Error, Result};

/// The type of a permission's value: the SCIM attribute types a permission can have
/// (RFC 7643 §2.3).
///
/// ```
/// use idpkit::provisioning::PermissionType;
/// assert_eq!(PermissionType::Integer.as_scim(), "integer");
/// assert!(PermissionType::Boolean.accepts(&serde_json::json!(false)));
/// assert!(!PermissionType::Boolean.accepts(&serde_json::json!("false")));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PermissionType {
    /// A JSON string.
    String,
    /// A JSON integer (no fraction, no string of digits).
    Integer,
    /// A JSON `true` / `false` (no string).
    Boolean,
    /// A JSON number.
    Decimal,
}

impl PermissionType {
    /// The SCIM name of the type.
    ///
    /// ```
    /// assert_eq!(idpkit::provisioning::PermissionType::Decimal.as_scim(), "decimal");
    /// ```
    pub fn as_scim(self) -> &'static str {
        match self {
            PermissionType::String => "string",
            PermissionType::Integer => "integer",
            PermissionType::Boolean => "boolean",
            PermissionType::Decimal => "decimal",
        }
    }

    /// Whether `value` is of this type, strictly: `"3"` is no integer, `"false"` no boolean.
    ///
    /// ```
    /// use idpkit::provisioning::PermissionType;
    /// assert!(PermissionType::Integer.accepts(&serde_json::json!(3)));
    /// assert!(!PermissionType::Integer.accepts(&serde_json::json!("3")));
    /// assert!(!PermissionType::Integer.accepts(&serde_json::json!(3.5)));
    /// ```
    pub fn accepts(self, value: &Value) -> bool {
        match self {
            PermissionType::String => value.is_string(),
            PermissionType::Integer => value.is_i64() || value.is_u64(),
            PermissionType::Boolean => value.is_boolean(),
            PermissionType::Decimal => value.is_number(),
        }
    }
}

/// An attribute's mutability (RFC 7643 §7).
///
/// ```
/// use idpkit::provisioning::Mutability;
/// assert_eq!(Mutability::default(), Mutability::ReadWrite);
/// assert_eq!(serde_json::to_value(Mutability::ReadOnly).unwrap(), "readOnly");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Mutability {
    /// Never modified by a client.
    ReadOnly,
    /// Read and written by a client (the default).
    #[default]
    ReadWrite,
    /// Set once, when the resource is created.
    Immutable,
    /// Written, never returned.
    WriteOnly,
}

/// One permission of a service: a SCIM attribute of its extension schema, plus what SCIM has no
/// field for (the label and the default, applied when values are read).
///
/// ```
/// use idpkit::provisioning::Permission;
/// let role = Permission::string("role")
///     .label("Role")
///     .description("What the user may do")
///     .default("viewer")
///     .allowed(["viewer", "editor"]);
/// assert_eq!(role.allowed_values.len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Permission {
    /// The attribute name (RFC 7643 §2.1: a letter, then letters, digits, `-` or `_`).
    pub name: String,
    /// A label for people (not sent to the server).
    pub label: Option<String>,
    /// The description (the SCIM attribute's `description`).
    pub description: String,
    /// The value's type.
    #[serde(rename = "type")]
    pub kind: PermissionType,
    /// The value used when a user has none (not sent to the server).
    pub default: Option<Value>,
    /// The allowed values (the SCIM attribute's `canonicalValues`); empty means any value of
    /// the type.
    pub allowed_values: Vec<Value>,
    /// The attribute's mutability.
    pub mutability: Mutability,
}

impl Permission {
    /// A permission named `name` of type `kind`, with no description, default or allowed
    /// values.
    ///
    /// ```
    /// use idpkit::provisioning::{Permission, PermissionType};
    /// assert_eq!(Permission::new("quota", PermissionType::Integer).kind, PermissionType::Integer);
    /// ```
    pub fn new(name: impl Into<String>, kind: PermissionType) -> Self {
        Permission {
            name: name.into(),
            label: None,
            description: String::new(),
            kind,
            default: None,
            allowed_values: Vec::new(),
            mutability: Mutability::ReadWrite,
        }
    }

    /// A string permission.
    ///
    /// ```
    /// assert_eq!(idpkit::provisioning::Permission::string("role").name, "role");
    /// ```
    pub fn string(name: impl Into<String>) -> Self {
        Permission::new(name, PermissionType::String)
    }

    /// An integer permission.
    ///
    /// ```
    /// let p = idpkit::provisioning::Permission::integer("maxInvoices").default(10);
    /// assert_eq!(p.default, Some(serde_json::json!(10)));
    /// ```
    pub fn integer(name: impl Into<String>) -> Self {
        Permission::new(name, PermissionType::Integer)
    }

    /// A boolean permission.
    ///
    /// ```
    /// let p = idpkit::provisioning::Permission::boolean("canRefund").default(false);
    /// ```
    pub fn boolean(name: impl Into<String>) -> Self {
        Permission::new(name, PermissionType::Boolean)
    }

    /// A decimal permission.
    ///
    /// ```
    /// let p = idpkit::provisioning::Permission::decimal("discount").default(0.1);
    /// ```
    pub fn decimal(name: impl Into<String>) -> Self {
        Permission::new(name, PermissionType::Decimal)
    }

    /// Sets the label.
    ///
    /// ```
    /// let p = idpkit::provisioning::Permission::string("role").label("Role");
    /// assert_eq!(p.label.as_deref(), Some("Role"));
    /// ```
    #[must_use]
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Sets the description.
    ///
    /// ```
    /// let p = idpkit::provisioning::Permission::string("role").description("What the user may do");
    /// ```
    #[must_use]
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// Sets the default (checked against the type by [`PermissionSchema::validate`]).
    ///
    /// ```
    /// let p = idpkit::provisioning::Permission::boolean("canRefund").default(false);
    /// ```
    #[must_use]
    pub fn default(mut self, value: impl Into<Value>) -> Self {
        self.default = Some(value.into());
        self
    }

    /// Sets the allowed values.
    ///
    /// ```
    /// let p = idpkit::provisioning::Permission::string("role").allowed(["viewer", "editor"]);
    /// ```
    #[must_use]
    pub fn allowed<V: Into<Value>>(mut self, values: impl IntoIterator<Item = V>) -> Self {
        self.allowed_values = values.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the mutability.
    ///
    /// ```
    /// use idpkit::provisioning::{Mutability, Permission};
    /// let p = Permission::string("plan").mutability(Mutability::ReadOnly);
    /// ```
    #[must_use]
    pub fn mutability(mut self, mutability: Mutability) -> Self {
        self.mutability = mutability;
        self
    }

    /// Checks `value` against the type and the allowed values.
    ///
    /// # Errors
    ///
    /// [`ScimError::InvalidValue`] naming the attribute, never the value.
    ///
    /// ```
    /// use idpkit::provisioning::Permission;
    /// let role = Permission::string("role").allowed(["viewer", "editor"]);
    /// assert!(role.check(&serde_json::json!("editor")).is_ok());
    /// assert!(role.check(&serde_json::json!("owner")).is_err());
    /// assert!(role.check(&serde_json::json!(1)).is_err());
    /// ```
    pub fn check(&self, value: &Value) -> Result<()> {
        self.problem(value).map_or(Ok(()), |problem| {
            Err(ScimError::InvalidValue {
                attribute: self.name.clone(),
                problem,
            }
            .into())
        })
    }

    /// What is wrong with `value` for this permission, if anything.
    pub(crate) fn problem(&self, value: &Value) -> Option<String> {
        if !self.kind.accepts(value) {
            return Some(format!("expected a {}", self.kind.as_scim()));
        }
        if !self.allowed_values.is_empty() && !self.allowed_values.contains(value) {
            return Some("not one of the allowed values".to_owned());
        }
        None
    }
}

/// A service's permission schema: a SCIM extension of `User` with one attribute per
/// permission.
///
/// ```
/// use idpkit::provisioning::{Permission, PermissionSchema};
/// let schema = PermissionSchema::new("billing")
///     .description("Billing permissions")
///     .permission(Permission::string("role").allowed(["viewer", "editor"]).default("viewer"))
///     .permission(Permission::integer("maxInvoices").default(10));
/// assert_eq!(schema.urn(), "urn:idpkit:params:scim:schemas:extension:billing:2.0:User");
/// schema.validate().unwrap();
/// let scim = schema.to_scim_schema();
/// assert_eq!(scim["attributes"][1]["type"], "integer");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionSchema {
    urn: String,
    name: String,
    description: String,
    permissions: Vec<Permission>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    claim: Option<String>,
}

impl PermissionSchema {
    /// The schema of `service`, with the URN
    /// `urn:idpkit:params:scim:schemas:extension:<service>:2.0:User`.
    ///
    /// ```
    /// let s = idpkit::provisioning::PermissionSchema::new("billing");
    /// assert!(s.urn().ends_with(":billing:2.0:User"));
    /// ```
    pub fn new(service: impl Into<String>) -> Self {
        let name = service.into();
        PermissionSchema {
            urn: format!("urn:idpkit:params:scim:schemas:extension:{name}:2.0:User"),
            name,
            description: String::new(),
            permissions: Vec::new(),
            claim: None,
        }
    }

    /// Uses this URN instead (the identity provider's naming, e.g.
    /// `urn:example:params:scim:schemas:extension:billing:2.0:User`).
    ///
    /// ```
    /// let s = idpkit::provisioning::PermissionSchema::new("billing").urn_override("urn:example:billing:2.0:User");
    /// assert_eq!(s.urn(), "urn:example:billing:2.0:User");
    /// ```
    #[must_use]
    pub fn urn_override(mut self, urn: impl Into<String>) -> Self {
        self.urn = urn.into();
        self
    }

    /// The claim that carries these permissions in ID tokens, userinfo or access tokens, for
    /// [`metadata_from_claims`](super::metadata_from_claims) (default: the URN, else the
    /// service's name).
    ///
    /// ```
    /// let s = idpkit::provisioning::PermissionSchema::new("billing").claim("billing_permissions");
    /// assert_eq!(s.claim_names(), ["billing_permissions"]);
    /// ```
    #[must_use]
    pub fn claim(mut self, name: impl Into<String>) -> Self {
        self.claim = Some(name.into());
        self
    }

    /// The claim names [`metadata_from_claims`](super::metadata_from_claims) looks for, in
    /// order.
    ///
    /// ```
    /// let s = idpkit::provisioning::PermissionSchema::new("billing");
    /// assert_eq!(s.claim_names(), [s.urn(), "billing"]);
    /// ```
    pub fn claim_names(&self) -> Vec<&str> {
        match &self.claim {
            Some(claim) => vec![claim.as_str()],
            None => vec![self.urn.as_str(), self.name.as_str()],
        }
    }

    /// Sets the description.
    ///
    /// ```
    /// let s = idpkit::provisioning::PermissionSchema::new("billing").description("Billing");
    /// ```
    #[must_use]
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// Adds a permission.
    ///
    /// ```
    /// use idpkit::provisioning::{Permission, PermissionSchema};
    /// let s = PermissionSchema::new("billing").permission(Permission::boolean("canRefund"));
    /// assert_eq!(s.permissions().len(), 1);
    /// ```
    #[must_use]
    pub fn permission(mut self, permission: Permission) -> Self {
        self.permissions.push(permission);
        self
    }

    /// The schema's URN (its SCIM `id`).
    ///
    /// ```
    /// assert!(idpkit::provisioning::PermissionSchema::new("b").urn().starts_with("urn:"));
    /// ```
    pub fn urn(&self) -> &str {
        &self.urn
    }

    /// The permissions, in declaration order.
    ///
    /// ```
    /// assert!(idpkit::provisioning::PermissionSchema::new("b").permissions().is_empty());
    /// ```
    pub fn permissions(&self) -> &[Permission] {
        &self.permissions
    }

    /// The permission named `name` (case-insensitive, as SCIM attribute names are).
    ///
    /// ```
    /// use idpkit::provisioning::{Permission, PermissionSchema};
    /// let s = PermissionSchema::new("b").permission(Permission::string("role"));
    /// assert!(s.get("ROLE").is_some());
    /// ```
    pub fn get(&self, name: &str) -> Option<&Permission> {
        self.permissions
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// Checks the declaration: a URN, attribute names of RFC 7643 §2.1 (a letter, then letters,
    /// digits, `-`, `_`), no name twice (case-insensitive), defaults and allowed values of the
    /// declared type, defaults among the allowed values.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) naming the first problem.
    ///
    /// ```
    /// use idpkit::provisioning::{Permission, PermissionSchema};
    /// let bad = PermissionSchema::new("b").permission(Permission::integer("quota").default("3"));
    /// assert!(bad.validate().is_err());
    /// let odd = PermissionSchema::new("b").permission(Permission::string("a b"));
    /// assert!(odd.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<()> {
        if !self.urn.starts_with("urn:") || self.urn.chars().any(char::is_whitespace) {
            return Err(Error::config(format!(
                "the schema URN {:?} is not a URN",
                self.urn
            )));
        }
        for (i, p) in self.permissions.iter().enumerate() {
            if !is_attribute_name(&p.name) {
                return Err(Error::config(format!(
                    "{:?} is not a SCIM attribute name (a letter, then letters, digits, '-' or '_')",
                    p.name
                )));
            }
            if self.permissions[..i]
                .iter()
                .any(|q| q.name.eq_ignore_ascii_case(&p.name))
            {
                return Err(Error::config(format!(
                    "the permission {:?} is declared twice",
                    p.name
                )));
            }
            if let Some(v) = p.allowed_values.iter().find(|v| !p.kind.accepts(v)) {
                return Err(Error::config(format!(
                    "an allowed value of {:?} is not a {}: {v}",
                    p.name,
                    p.kind.as_scim()
                )));
            }
            if let Some(default) = &p.default
                && let Some(problem) = p.problem(default)
            {
                return Err(Error::config(format!(
                    "the default of {:?}: {problem}",
                    p.name
                )));
            }
        }
        Ok(())
    }

    /// The SCIM schema resource (RFC 7643 §7) of this declaration: what an identity provider's
    /// administrator registers. Labels and defaults, which SCIM has no field for, are left out.
    ///
    /// ```
    /// use idpkit::provisioning::{Permission, PermissionSchema};
    /// let s = PermissionSchema::new("billing").permission(Permission::string("role").allowed(["a"]));
    /// let v = s.to_scim_schema();
    /// assert_eq!(v["id"], s.urn());
    /// assert_eq!(v["attributes"][0]["canonicalValues"], serde_json::json!(["a"]));
    /// ```
    pub fn to_scim_schema(&self) -> Value {
        let attributes: Vec<Value> = self
            .permissions
            .iter()
            .map(|p| {
                let mut a = json!({
                    "name": p.name,
                    "type": p.kind.as_scim(),
                    "multiValued": false,
                    "description": p.description,
                    "required": false,
                    "mutability": p.mutability,
                    "returned": "default",
                    "uniqueness": "none",
                });
                if p.kind == PermissionType::String {
                    a["caseExact"] = json!(true);
                }
                if !p.allowed_values.is_empty() {
                    a["canonicalValues"] = json!(p.allowed_values);
                }
                a
            })
            .collect();
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
            "id": self.urn,
            "name": self.name,
            "description": self.description,
            "attributes": attributes,
        })
    }
}

/// RFC 7643 §2.1 `ATTRNAME = ALPHA *(nameChar)`, `nameChar = "-" / "_" / DIGIT / ALPHA`.
pub(crate) fn is_attribute_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// A Rust type that holds a service's permission values and declares their schema, so the
/// values are read and written typed.
///
/// ```
/// use idpkit::provisioning::{Permission, PermissionSchema, ServicePermissions};
///
/// #[derive(serde::Serialize, serde::Deserialize)]
/// #[serde(rename_all = "camelCase")]
/// struct Billing { role: String, max_invoices: i64 }
///
/// impl ServicePermissions for Billing {
///     fn permission_schema() -> PermissionSchema {
///         PermissionSchema::new("billing")
///             .permission(Permission::string("role").allowed(["viewer", "editor"]).default("viewer"))
///             .permission(Permission::integer("maxInvoices").default(10))
///     }
/// }
/// assert_eq!(Billing::permission_schema().permissions().len(), 2);
/// ```
pub trait ServicePermissions: Serialize + DeserializeOwned {
    /// The schema of these permissions.
    fn permission_schema() -> PermissionSchema;
}
