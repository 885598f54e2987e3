//! A user's service metadata (the values of the service's permissions), read typed from the
//! user's extension object and written with SCIM PATCH (RFC 7644 §3.5.2).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::error::ScimError;
use super::schema::{PermissionSchema, ServicePermissions};
use crate::error::Result;
use crate::http::describe_json_error;

/// Reads the values of `schema`'s permissions from a SCIM resource (a user) as `T`: the
/// extension object under the schema's URN, each value checked strictly against its declared
/// type and allowed values, declared defaults filled in for missing or `null` values, attributes
/// the schema does not declare ignored. Attribute names match case-insensitively.
///
/// # Errors
///
/// [`ScimError::Metadata`] when a value has the wrong type (`"false"` for a boolean, `"3"` for
/// an integer), is not allowed, or the object does not fit `T`; never quoting the value.
/// [`ErrorKind::Config`](crate::ErrorKind::Config) for an invalid schema.
///
/// ```
/// use idpkit::provisioning::{decode_metadata, Permission, PermissionSchema};
/// #[derive(serde::Deserialize)]
/// #[serde(rename_all = "camelCase")]
/// struct Billing { role: String, can_refund: bool }
/// let schema = PermissionSchema::new("billing")
///     .permission(Permission::string("role").default("viewer"))
///     .permission(Permission::boolean("canRefund").default(false));
/// let user = serde_json::json!({"id": "1", (schema.urn()): {"canRefund": true}});
/// let b: Billing = decode_metadata(&schema, &user).unwrap();
/// assert_eq!((b.role.as_str(), b.can_refund), ("viewer", true));
/// let bad = serde_json::json!({"id": "1", (schema.urn()): {"canRefund": "false"}});
/// assert!(decode_metadata::<Billing>(&schema, &bad).is_err());
/// ```
pub fn decode_metadata<T: DeserializeOwned>(
    schema: &PermissionSchema,
    resource: &Value,
) -> Result<T> {
    schema.validate()?;
    let metadata_error = |attribute: &str, problem: String| ScimError::Metadata {
        attribute: attribute.to_owned(),
        problem,
    };
    let extension = resource
        .as_object()
        .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case(schema.urn())))
        .map(|(_, v)| v);
    let empty = Map::new();
    let extension = match extension {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(o)) => o,
        Some(_) => return Err(metadata_error("", "the extension is not an object".into()).into()),
    };
    let mut values = Map::new();
    for p in schema.permissions() {
        let found = extension
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(&p.name))
            .map(|(_, v)| v)
            .filter(|v| !v.is_null());
        match found {
            Some(v) => {
                if let Some(problem) = p.problem(v) {
                    return Err(metadata_error(&p.name, problem).into());
                }
                values.insert(p.name.clone(), v.clone());
            }
            None => {
                if let Some(default) = &p.default {
                    values.insert(p.name.clone(), default.clone());
                }
            }
        }
    }
    serde_json::from_value(Value::Object(values))
        .map_err(|e| metadata_error("", describe_json_error(&e)).into())
}

/// The same typed metadata from token or userinfo claims ([`Principal::claims`](crate::oidc::Principal::claims),
/// a verified access token's claims): the object under the schema's claim
/// ([`PermissionSchema::claim_names`]), read exactly as [`decode_metadata`] reads the SCIM
/// extension (declared defaults, strict types). `Ok(None)` when the claims do not carry it, so a
/// service reads permissions from the token when it can and from SCIM when it must.
///
/// # Errors
///
/// As [`decode_metadata`]: a claim that is there but does not fit the schema is an error, never
/// a silent fallback.
///
/// ```
/// use idpkit::provisioning::{metadata_from_claims, Permission, PermissionSchema, ServicePermissions};
/// #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
/// #[serde(rename_all = "camelCase")]
/// struct Billing { role: String, can_refund: bool }
/// impl ServicePermissions for Billing {
///     fn permission_schema() -> PermissionSchema {
///         PermissionSchema::new("billing")
///             .permission(Permission::string("role").default("viewer"))
///             .permission(Permission::boolean("canRefund").default(false))
///     }
/// }
/// let claims = serde_json::json!({"sub": "u1", "billing": {"role": "editor"}});
/// let billing: Option<Billing> = metadata_from_claims(claims.as_object().unwrap())?;
/// assert_eq!(billing, Some(Billing { role: "editor".into(), can_refund: false }));
/// let none = serde_json::json!({"sub": "u2"});
/// assert_eq!(metadata_from_claims::<Billing>(none.as_object().unwrap())?, None);
/// # Ok::<(), idpkit::Error>(())
/// ```
pub fn metadata_from_claims<T: ServicePermissions>(
    claims: &Map<String, Value>,
) -> Result<Option<T>> {
    let schema = T::permission_schema();
    let found = schema
        .claim_names()
        .into_iter()
        .find_map(|name| claims.get(name).filter(|v| !v.is_null()));
    let Some(value) = found else {
        return Ok(None);
    };
    let mut resource = Map::new();
    resource.insert(schema.urn().to_owned(), value.clone());
    decode_metadata(&schema, &Value::Object(resource)).map(Some)
}

/// A user's service metadata as read from the server: the values and the user's version (for
/// [`MetadataPatch::if_match`]).
///
/// ```
/// let m = idpkit::provisioning::UserMetadata { user_id: "u1".into(), version: None, values: 3 };
/// assert_eq!(m.values, 3);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserMetadata<T> {
    /// The user's `id`.
    pub user_id: String,
    /// The user's version (ETag), if the server offers them.
    pub version: Option<String>,
    /// The values, defaults filled in.
    pub values: T,
}

/// A PATCH operation's `op` (RFC 7644 §3.5.2).
///
/// ```
/// assert_eq!(serde_json::to_value(idpkit::provisioning::PatchOp::Replace).unwrap(), "replace");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PatchOp {
    /// `add`.
    Add,
    /// `replace`.
    Replace,
    /// `remove`.
    Remove,
}

/// One PATCH operation (RFC 7644 §3.5.2).
///
/// ```
/// use idpkit::provisioning::PatchOperation;
/// let op = PatchOperation::replace("displayName", "Babs");
/// assert_eq!(serde_json::to_value(&op).unwrap(), serde_json::json!({"op": "replace", "path": "displayName", "value": "Babs"}));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatchOperation {
    /// The operation.
    pub op: PatchOp,
    /// The attribute path (absent: the value is a set of attributes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The value (absent for `remove`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

impl PatchOperation {
    /// `add` of `value` at `path`.
    ///
    /// ```
    /// let op = idpkit::provisioning::PatchOperation::add("emails", serde_json::json!([{"value": "a@b.c"}]));
    /// ```
    pub fn add(path: impl Into<String>, value: impl Into<Value>) -> Self {
        PatchOperation {
            op: PatchOp::Add,
            path: Some(path.into()),
            value: Some(value.into()),
        }
    }

    /// `replace` of `path` by `value`.
    ///
    /// ```
    /// let op = idpkit::provisioning::PatchOperation::replace("active", false);
    /// ```
    pub fn replace(path: impl Into<String>, value: impl Into<Value>) -> Self {
        PatchOperation {
            op: PatchOp::Replace,
            path: Some(path.into()),
            value: Some(value.into()),
        }
    }

    /// `remove` of `path`.
    ///
    /// ```
    /// let op = idpkit::provisioning::PatchOperation::remove("nickName");
    /// assert!(op.value.is_none());
    /// ```
    pub fn remove(path: impl Into<String>) -> Self {
        PatchOperation {
            op: PatchOp::Remove,
            path: Some(path.into()),
            value: None,
        }
    }
}

/// Changes to a user's service metadata, validated against the schema before anything is sent:
/// each operation targets `<urn>:<attribute>`; a value of the wrong type or outside the allowed
/// values, or an undeclared attribute, is refused. Optionally conditional on the user's version
/// ([`if_match`](Self::if_match), RFC 7644 §3.14).
///
/// ```
/// use idpkit::provisioning::{MetadataPatch, Permission, PermissionSchema};
/// let schema = PermissionSchema::new("billing")
///     .permission(Permission::string("role").allowed(["viewer", "editor"]))
///     .permission(Permission::integer("maxInvoices"));
/// let patch = MetadataPatch::new(&schema)
///     .replace("role", "editor")?
///     .add("maxInvoices", 25)?;
/// assert_eq!(patch.operations()[0].path.as_deref(), Some("urn:idpkit:params:scim:schemas:extension:billing:2.0:User:role"));
/// assert!(MetadataPatch::new(&schema).replace("role", "owner").is_err());
/// assert!(MetadataPatch::new(&schema).replace("maxInvoices", "25").is_err());
/// # Ok::<(), idpkit::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MetadataPatch {
    schema: PermissionSchema,
    operations: Vec<PatchOperation>,
    if_match: Option<String>,
}

impl MetadataPatch {
    /// An empty patch for `schema`'s attributes.
    ///
    /// ```
    /// let p = idpkit::provisioning::MetadataPatch::new(&idpkit::provisioning::PermissionSchema::new("b"));
    /// assert!(p.operations().is_empty());
    /// ```
    pub fn new(schema: &PermissionSchema) -> Self {
        MetadataPatch {
            schema: schema.clone(),
            operations: Vec::new(),
            if_match: None,
        }
    }

    /// Every value of `values` as `replace` operations (`null` ones as `remove`).
    ///
    /// # Errors
    ///
    /// [`ScimError::InvalidValue`] for a value that does not fit the schema or a field it does
    /// not declare; [`ErrorKind::Config`](crate::ErrorKind::Config) when `values` is not a
    /// JSON object.
    ///
    /// ```
    /// use idpkit::provisioning::{MetadataPatch, Permission, PermissionSchema};
    /// #[derive(serde::Serialize)]
    /// struct Billing { role: &'static str }
    /// let schema = PermissionSchema::new("billing").permission(Permission::string("role"));
    /// let patch = MetadataPatch::from_values(&schema, &Billing { role: "editor" }).unwrap();
    /// assert_eq!(patch.operations().len(), 1);
    /// ```
    pub fn from_values<T: Serialize>(schema: &PermissionSchema, values: &T) -> Result<Self> {
        let Ok(Value::Object(values)) = serde_json::to_value(values) else {
            return Err(crate::Error::config(
                "metadata values must serialise to a JSON object",
            ));
        };
        let mut patch = MetadataPatch::new(schema);
        for (name, value) in values {
            patch = if value.is_null() {
                patch.remove(&name)?
            } else {
                patch.replace(&name, value)?
            };
        }
        Ok(patch)
    }

    fn push(mut self, op: PatchOp, name: &str, value: Option<Value>) -> Result<Self> {
        let permission = self
            .schema
            .get(name)
            .ok_or_else(|| ScimError::InvalidValue {
                attribute: name.to_owned(),
                problem: "the schema does not declare it".into(),
            })?;
        if let Some(value) = &value {
            permission.check(value)?;
        }
        let path = format!("{}:{}", self.schema.urn(), permission.name);
        self.operations.push(PatchOperation {
            op,
            path: Some(path),
            value,
        });
        Ok(self)
    }

    /// Adds an `add` of `value` to the attribute `name`.
    ///
    /// # Errors
    ///
    /// [`ScimError::InvalidValue`] for an undeclared attribute or a value that does not fit.
    ///
    /// ```
    /// use idpkit::provisioning::{MetadataPatch, Permission, PermissionSchema};
    /// let s = PermissionSchema::new("b").permission(Permission::boolean("canRefund"));
    /// assert!(MetadataPatch::new(&s).add("canRefund", true).is_ok());
    /// ```
    pub fn add(self, name: &str, value: impl Into<Value>) -> Result<Self> {
        self.push(PatchOp::Add, name, Some(value.into()))
    }

    /// Adds a `replace` of the attribute `name` by `value`.
    ///
    /// # Errors
    ///
    /// As [`add`](Self::add).
    ///
    /// ```
    /// use idpkit::provisioning::{MetadataPatch, Permission, PermissionSchema};
    /// let s = PermissionSchema::new("b").permission(Permission::boolean("canRefund"));
    /// assert!(MetadataPatch::new(&s).replace("canRefund", "yes").is_err());
    /// ```
    pub fn replace(self, name: &str, value: impl Into<Value>) -> Result<Self> {
        self.push(PatchOp::Replace, name, Some(value.into()))
    }

    /// Adds a `remove` of the attribute `name` (the declared default applies again on read).
    ///
    /// # Errors
    ///
    /// [`ScimError::InvalidValue`] for an undeclared attribute.
    ///
    /// ```
    /// use idpkit::provisioning::{MetadataPatch, Permission, PermissionSchema};
    /// let s = PermissionSchema::new("b").permission(Permission::boolean("canRefund"));
    /// assert!(MetadataPatch::new(&s).remove("canRefund").is_ok());
    /// assert!(MetadataPatch::new(&s).remove("other").is_err());
    /// ```
    pub fn remove(self, name: &str) -> Result<Self> {
        self.push(PatchOp::Remove, name, None)
    }

    /// Sends the patch only if the user is still at this version (`If-Match`, RFC 7644
    /// §3.14); a server holding a newer version answers 412.
    ///
    /// ```
    /// use idpkit::provisioning::{MetadataPatch, PermissionSchema};
    /// let p = MetadataPatch::new(&PermissionSchema::new("b")).if_match("W/\"3\"");
    /// assert_eq!(p.version(), Some("W/\"3\""));
    /// ```
    #[must_use]
    pub fn if_match(mut self, version: impl Into<String>) -> Self {
        self.if_match = Some(version.into());
        self
    }

    /// The operations.
    ///
    /// ```
    /// let p = idpkit::provisioning::MetadataPatch::new(&idpkit::provisioning::PermissionSchema::new("b"));
    /// assert_eq!(p.operations().len(), 0);
    /// ```
    pub fn operations(&self) -> &[PatchOperation] {
        &self.operations
    }

    /// The version given to [`if_match`](Self::if_match).
    ///
    /// ```
    /// let p = idpkit::provisioning::MetadataPatch::new(&idpkit::provisioning::PermissionSchema::new("b"));
    /// assert_eq!(p.version(), None);
    /// ```
    pub fn version(&self) -> Option<&str> {
        self.if_match.as_deref()
    }
}
