//! The drift plan: a service's declared permission schema against the schema the SCIM server
//! serves at `/Schemas/{urn}` (RFC 7644 §4).

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::ScimError;
use super::schema::{Mutability, Permission, PermissionSchema};
use crate::error::{Error, Result};

const SCHEMA: &str = "a SCIM schema resource (RFC 7643 §7)";

/// The most attributes a server's schema may have before it is refused.
pub const MAX_SCHEMA_ATTRIBUTES: usize = 1_000;

/// An attribute of a schema the server serves.
///
/// ```
/// let json = serde_json::json!({"id": "urn:x", "attributes": [{"name": "role", "type": "string"}]});
/// let schema = idpkit::provisioning::ServerSchema::from_json(&json).unwrap();
/// assert_eq!(schema.attributes[0].kind, "string");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ServerAttribute {
    /// The attribute name.
    pub name: String,
    /// The SCIM type name (`string`, `integer`, `boolean`, `decimal`, `dateTime`, `binary`,
    /// `reference`, `complex`).
    pub kind: String,
    /// The description.
    pub description: String,
    /// The `canonicalValues`.
    pub canonical_values: Vec<Value>,
    /// The mutability.
    pub mutability: Mutability,
    /// Whether it is multi-valued.
    pub multi_valued: bool,
}

/// A schema the server serves (`GET /Schemas/{urn}`), reduced to what a drift plan compares.
///
/// ```
/// let json = serde_json::json!({"id": "urn:x", "attributes": []});
/// assert_eq!(idpkit::provisioning::ServerSchema::from_json(&json).unwrap().id, "urn:x");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ServerSchema {
    /// The schema URN.
    pub id: String,
    /// Its attributes.
    pub attributes: Vec<ServerAttribute>,
}

const SCIM_TYPES: [&str; 8] = [
    "string",
    "boolean",
    "decimal",
    "integer",
    "dateTime",
    "binary",
    "reference",
    "complex",
];

impl ServerSchema {
    /// Reads a SCIM schema resource.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::MalformedResponse`](crate::ErrorKind::MalformedResponse) for anything but a
    /// schema: no `id`, an attribute without a valid name, an unknown type or mutability, more
    /// than [`MAX_SCHEMA_ATTRIBUTES`] attributes.
    ///
    /// ```
    /// use idpkit::provisioning::ServerSchema;
    /// let bad = serde_json::json!({"id": "urn:x", "attributes": [{"name": "a", "type": "color"}]});
    /// assert!(ServerSchema::from_json(&bad).is_err());
    /// ```
    pub fn from_json(value: &Value) -> Result<ServerSchema> {
        let id = value
            .get("id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| Error::malformed(SCHEMA, "no `id`"))?
            .to_owned();
        let attributes = match value.get("attributes") {
            None | Some(Value::Null) => &[][..],
            Some(Value::Array(a)) => a.as_slice(),
            Some(_) => return Err(Error::malformed(SCHEMA, "`attributes` is not an array")),
        };
        if attributes.len() > MAX_SCHEMA_ATTRIBUTES {
            return Err(Error::malformed(
                SCHEMA,
                format!("more than {MAX_SCHEMA_ATTRIBUTES} attributes"),
            ));
        }
        let attributes = attributes
            .iter()
            .enumerate()
            .map(|(i, a)| attribute(i, a))
            .collect::<Result<_>>()?;
        Ok(ServerSchema { id, attributes })
    }

    /// The attribute named `name`, case-insensitive.
    ///
    /// ```
    /// let json = serde_json::json!({"id": "urn:x", "attributes": [{"name": "role", "type": "string"}]});
    /// let s = idpkit::provisioning::ServerSchema::from_json(&json).unwrap();
    /// assert!(s.get("Role").is_some());
    /// ```
    pub fn get(&self, name: &str) -> Option<&ServerAttribute> {
        self.attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }
}

fn attribute(i: usize, a: &Value) -> Result<ServerAttribute> {
    let bad = |what: &str| Error::malformed(SCHEMA, format!("attribute {i}: {what}"));
    let name = a
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("no `name`"))?;
    if name.is_empty() || name.len() > 256 {
        return Err(bad("a `name` that is empty or too long"));
    }
    let kind = a
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("no `type`"))?;
    if !SCIM_TYPES.contains(&kind) {
        return Err(bad("an unknown `type`"));
    }
    let description = match a.get("description") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(bad("a `description` that is not a string")),
    };
    let canonical_values = match a.get("canonicalValues") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(v)) => v.clone(),
        Some(_) => return Err(bad("`canonicalValues` that is not an array")),
    };
    let mutability = match a.get("mutability") {
        None | Some(Value::Null) => Mutability::ReadWrite,
        Some(m) => serde_json::from_value(m.clone()).map_err(|_| bad("an unknown `mutability`"))?,
    };
    let multi_valued = match a.get("multiValued") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(bad("`multiValued` that is not a boolean")),
    };
    Ok(ServerAttribute {
        name: name.to_owned(),
        kind: kind.to_owned(),
        description,
        canonical_values,
        mutability,
        multi_valued,
    })
}

/// What differs in one attribute.
///
/// ```
/// use idpkit::provisioning::DriftField;
/// assert_eq!(serde_json::to_value(DriftField::AllowedValues).unwrap(), "allowedValues");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DriftField {
    /// The type.
    Type,
    /// The description.
    Description,
    /// The allowed values (`canonicalValues`), compared as sets.
    AllowedValues,
    /// The mutability.
    Mutability,
    /// Multi-valued on the server, single-valued in the declaration.
    MultiValued,
}

impl fmt::Display for DriftField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DriftField::Type => "type",
            DriftField::Description => "description",
            DriftField::AllowedValues => "allowed values",
            DriftField::Mutability => "mutability",
            DriftField::MultiValued => "multi-valued",
        })
    }
}

/// One field that differs: the server's value and the declared one.
///
/// ```
/// use idpkit::provisioning::{Difference, DriftField};
/// let d = Difference { field: DriftField::Type, server: "string".into(), declared: "integer".into() };
/// assert_eq!(d.to_string(), "type \"string\" -> \"integer\"");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Difference {
    /// What differs.
    pub field: DriftField,
    /// The server's value.
    pub server: Value,
    /// The declared value.
    pub declared: Value,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} -> {}", self.field, self.server, self.declared)
    }
}

/// One step of a drift plan.
///
/// ```
/// use idpkit::provisioning::Drift;
/// let d = Drift::Remove { attribute: "legacyPlan".into() };
/// assert_eq!(d.to_string(), "- remove legacyPlan");
/// assert_eq!(serde_json::to_value(&d).unwrap()["action"], "remove");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "lowercase")]
#[non_exhaustive]
pub enum Drift {
    /// Declared, not on the server: add it (the SCIM attribute to register).
    Add {
        /// The attribute name.
        attribute: String,
        /// The SCIM attribute, as [`PermissionSchema::to_scim_schema`] writes it.
        definition: Value,
    },
    /// On both, with differences (never by name alone).
    Change {
        /// The attribute name, as declared.
        attribute: String,
        /// What differs.
        differences: Vec<Difference>,
    },
    /// On the server, not declared: remove it.
    Remove {
        /// The attribute name, as the server spells it.
        attribute: String,
    },
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Drift::Add {
                attribute,
                definition,
            } => write!(
                f,
                "+ add {attribute} ({})",
                definition["type"].as_str().unwrap_or("?")
            ),
            Drift::Change {
                attribute,
                differences,
            } => {
                write!(f, "~ change {attribute}:")?;
                for (i, d) in differences.iter().enumerate() {
                    write!(f, "{} {d}", if i == 0 { "" } else { ";" })?;
                }
                Ok(())
            }
            Drift::Remove { attribute } => write!(f, "- remove {attribute}"),
        }
    }
}

/// The steps that bring the server's schema to the declared one: printable (`Display`, one
/// line per step) and serialisable.
///
/// ```
/// use idpkit::provisioning::{DriftPlan, Permission, PermissionSchema, ServerSchema};
/// let declared = PermissionSchema::new("billing")
///     .permission(Permission::string("role").allowed(["viewer", "editor", "admin"]))
///     .permission(Permission::string("region"));
/// let server = ServerSchema::from_json(&serde_json::json!({
///     "id": declared.urn(),
///     "attributes": [
///         {"name": "role", "type": "string", "canonicalValues": ["viewer", "editor"]},
///         {"name": "legacyPlan", "type": "string"},
///     ],
/// })).unwrap();
/// let plan = DriftPlan::compute(&declared, Some(&server)).unwrap();
/// assert_eq!(plan.changes.len(), 3);
/// println!("{plan}");
/// assert!(plan.clone().ensure_in_sync().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftPlan {
    /// The schema URN.
    pub urn: String,
    /// Whether the server has the schema at all (`false`: every attribute is an add).
    pub server_has_schema: bool,
    /// The steps, adds and changes in declaration order, then removes.
    pub changes: Vec<Drift>,
}

impl DriftPlan {
    /// Compares `declared` with the server's schema (`None` when the server does not have
    /// it). Names match case-insensitively; a change lists every field that differs.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) when `declared` is not valid
    /// ([`PermissionSchema::validate`]).
    ///
    /// ```
    /// use idpkit::provisioning::{DriftPlan, Permission, PermissionSchema};
    /// let declared = PermissionSchema::new("b").permission(Permission::boolean("canRefund"));
    /// let plan = DriftPlan::compute(&declared, None).unwrap();
    /// assert!(!plan.server_has_schema);
    /// assert_eq!(plan.changes.len(), 1);
    /// ```
    pub fn compute(declared: &PermissionSchema, server: Option<&ServerSchema>) -> Result<Self> {
        declared.validate()?;
        let scim = declared.to_scim_schema();
        let definitions = scim["attributes"].as_array().cloned().unwrap_or_default();
        let mut changes = Vec::new();
        for (p, definition) in declared.permissions().iter().zip(definitions) {
            match server.and_then(|s| s.get(&p.name)) {
                None => changes.push(Drift::Add {
                    attribute: p.name.clone(),
                    definition,
                }),
                Some(a) => {
                    let differences = differences(p, a);
                    if !differences.is_empty() {
                        changes.push(Drift::Change {
                            attribute: p.name.clone(),
                            differences,
                        });
                    }
                }
            }
        }
        for a in server.map(|s| s.attributes.as_slice()).unwrap_or_default() {
            if declared.get(&a.name).is_none() {
                changes.push(Drift::Remove {
                    attribute: a.name.clone(),
                });
            }
        }
        Ok(DriftPlan {
            urn: declared.urn().to_owned(),
            server_has_schema: server.is_some(),
            changes,
        })
    }

    /// Whether the server's schema matches the declaration.
    ///
    /// ```
    /// use idpkit::provisioning::{DriftPlan, PermissionSchema};
    /// assert!(!DriftPlan::compute(&PermissionSchema::new("b"), None).unwrap().is_in_sync());
    /// ```
    pub fn is_in_sync(&self) -> bool {
        self.server_has_schema && self.changes.is_empty()
    }

    /// Strict mode: `Ok` when in sync, else the plan as an error.
    ///
    /// # Errors
    ///
    /// [`ScimError::Drift`] when the server's schema differs.
    ///
    /// ```
    /// use idpkit::provisioning::{DriftPlan, PermissionSchema};
    /// let plan = DriftPlan::compute(&PermissionSchema::new("b"), None).unwrap();
    /// assert!(plan.ensure_in_sync().is_err());
    /// ```
    pub fn ensure_in_sync(self) -> Result<()> {
        if self.is_in_sync() {
            Ok(())
        } else {
            Err(ScimError::Drift(Box::new(self)).into())
        }
    }
}

impl fmt::Display for DriftPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_in_sync() {
            return write!(f, "{}: in sync", self.urn);
        }
        write!(f, "{}:", self.urn)?;
        if !self.server_has_schema {
            write!(f, " not on the server;")?;
        }
        write!(f, " {} change(s)", self.changes.len())?;
        for c in &self.changes {
            write!(f, "\n  {c}")?;
        }
        Ok(())
    }
}

fn differences(p: &Permission, a: &ServerAttribute) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut diff = |field, server: Value, declared: Value| {
        out.push(Difference {
            field,
            server,
            declared,
        })
    };
    if a.kind != p.kind.as_scim() {
        diff(
            DriftField::Type,
            a.kind.clone().into(),
            p.kind.as_scim().into(),
        );
    }
    if a.description != p.description {
        diff(
            DriftField::Description,
            a.description.clone().into(),
            p.description.clone().into(),
        );
    }
    let same_values = a.canonical_values.len() == p.allowed_values.len()
        && a.canonical_values
            .iter()
            .all(|v| p.allowed_values.contains(v))
        && p.allowed_values
            .iter()
            .all(|v| a.canonical_values.contains(v));
    if !same_values {
        diff(
            DriftField::AllowedValues,
            Value::Array(a.canonical_values.clone()),
            Value::Array(p.allowed_values.clone()),
        );
    }
    if a.mutability != p.mutability {
        diff(
            DriftField::Mutability,
            serde_json::to_value(a.mutability).unwrap_or_default(),
            serde_json::to_value(p.mutability).unwrap_or_default(),
        );
    }
    if a.multi_valued {
        diff(DriftField::MultiValued, true.into(), false.into());
    }
    out
}
