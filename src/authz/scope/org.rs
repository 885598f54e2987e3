//! Organizations (the `organizations` claim) and [`AccessProfile`], their compiled form.

use std::collections::HashMap;
use std::fmt;

use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer, Serialize};

use super::hash::FastHashBuilder;
use super::set::ScopeSet;

/// One membership from the `organizations` claim of an ID token or userinfo response:
/// `{"id": "org_…", "title": "…", "scopes": ["…"], "joined_at": 1700000000}`.
///
/// Field types follow the reference SDK (`title` is the member's title in the
/// organization, `joined_at` a Unix timestamp in seconds). Deserialization is lenient
/// about everything but `id`: a missing or non-string `title` is `None`, a missing or
/// non-list `scopes` is empty (non-string items are dropped), a missing or non-numeric
/// `joined_at` is `0` (integers, integral floats, decimal strings and booleans are
/// accepted, as the reference's validation does).
///
/// ```
/// use idpkit::authz::scope::Organization;
///
/// let org: Organization = serde_json::from_str(
///     r#"{"id": "org_1", "title": "CTO", "scopes": ["owner", "users:**"], "joined_at": 1700000000}"#,
/// )
/// .unwrap();
/// assert_eq!(org.id, "org_1");
/// assert_eq!(org.title.as_deref(), Some("CTO"));
/// assert_eq!(org.scopes, ["owner", "users:**"]);
/// assert_eq!(org.joined_at, 1_700_000_000);
///
/// let minimal: Organization = serde_json::from_str(r#"{"id": "org_2"}"#).unwrap();
/// assert_eq!(minimal, Organization::new("org_2", Vec::<String>::new()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Organization {
    /// Organization id (`org_…`).
    pub id: String,
    /// The member's title in this organization, if any.
    #[serde(default, deserialize_with = "lenient_title")]
    pub title: Option<String>,
    /// Scopes granted in this organization (`resource:action` scopes and role scopes
    /// such as `owner`, `admin`).
    #[serde(default, deserialize_with = "lenient_scopes")]
    pub scopes: Vec<String>,
    /// When the member joined, as a Unix timestamp in seconds (`0` when unknown).
    #[serde(default, deserialize_with = "lenient_timestamp")]
    pub joined_at: i64,
}

impl Organization {
    /// An organization with these scopes, no title and `joined_at` 0.
    ///
    /// ```
    /// use idpkit::authz::scope::Organization;
    ///
    /// let org = Organization::new("org_1", ["users:read"]);
    /// assert_eq!(org.scopes, ["users:read"]);
    /// assert_eq!(org.title, None);
    /// ```
    pub fn new<I>(id: impl Into<String>, scopes: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        Organization {
            id: id.into(),
            title: None,
            scopes: scopes.into_iter().map(Into::into).collect(),
            joined_at: 0,
        }
    }

    /// Sets the title.
    ///
    /// ```
    /// use idpkit::authz::scope::Organization;
    ///
    /// let org = Organization::new("org_1", ["owner"]).with_title("Founder");
    /// assert_eq!(org.title.as_deref(), Some("Founder"));
    /// ```
    pub fn with_title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Sets `joined_at` (Unix seconds).
    ///
    /// ```
    /// use idpkit::authz::scope::Organization;
    ///
    /// let org = Organization::new("org_1", ["owner"]).with_joined_at(1_700_000_000);
    /// assert_eq!(org.joined_at, 1_700_000_000);
    /// ```
    pub fn with_joined_at(mut self, joined_at: i64) -> Self {
        self.joined_at = joined_at;
        self
    }

    /// Reads an `organizations` claim as the reference SDK does: anything but an array
    /// gives no organizations, and entries that are not objects with a string `id` are
    /// skipped. The other fields are read leniently (see [`Organization`]); where the
    /// reference would reject the whole token (e.g. a non-string scope), this drops the
    /// offending value instead, which can only grant less.
    ///
    /// ```
    /// use idpkit::authz::scope::Organization;
    /// use serde_json::json;
    ///
    /// let claim = json!([
    ///     {"id": "org_1", "scopes": ["users:read"]},
    ///     {"id": 42, "scopes": ["*:**"]},
    ///     "org_3",
    ///     {"id": "org_4", "scopes": "users:read"}
    /// ]);
    /// let orgs = Organization::parse_claim(&claim);
    /// assert_eq!(orgs.len(), 2);
    /// assert_eq!(orgs[0].scopes, ["users:read"]);
    /// assert!(orgs[1].scopes.is_empty());
    /// assert!(Organization::parse_claim(&json!({"id": "org_1"})).is_empty());
    /// ```
    pub fn parse_claim(claim: &serde_json::Value) -> Vec<Organization> {
        let Some(entries) = claim.as_array() else {
            return Vec::new();
        };
        entries
            .iter()
            .filter(|entry| entry.get("id").is_some_and(serde_json::Value::is_string))
            .filter_map(|entry| Organization::deserialize(entry).ok())
            .collect()
    }
}

/// A string, or anything else (ignored).
#[derive(Deserialize)]
#[serde(untagged)]
enum StringOrOther {
    String(String),
    Other(IgnoredAny),
}

fn lenient_title<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match StringOrOther::deserialize(d)? {
        StringOrOther::String(s) => Some(s),
        StringOrOther::Other(_) => None,
    })
}

fn lenient_scopes<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ListOrOther {
        List(Vec<StringOrOther>),
        Other(IgnoredAny),
    }
    Ok(match ListOrOther::deserialize(d)? {
        ListOrOther::List(items) => items
            .into_iter()
            .filter_map(|item| match item {
                StringOrOther::String(s) => Some(s),
                StringOrOther::Other(_) => None,
            })
            .collect(),
        ListOrOther::Other(_) => Vec::new(),
    })
}

fn lenient_timestamp<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Timestamp {
        Int(i64),
        Bool(bool),
        Float(f64),
        String(String),
        Other(IgnoredAny),
    }
    const LIMIT: f64 = 9_223_372_036_854_775_808.0; // 2^63
    Ok(match Timestamp::deserialize(d)? {
        Timestamp::Int(n) => n,
        Timestamp::Bool(b) => i64::from(b),
        Timestamp::Float(f) if f.fract() == 0.0 && (-LIMIT..LIMIT).contains(&f) => f as i64,
        Timestamp::String(s) => s.trim().parse().unwrap_or(0),
        Timestamp::Float(_) | Timestamp::Other(_) => 0,
    })
}

/// The compiled scopes of one organization.
#[derive(Clone)]
struct CompiledOrg {
    /// Index in `AccessProfile::organizations`.
    position: usize,
    scopes: ScopeSet,
    owner: bool,
    admin: bool,
}

/// A token's authorization, compiled once: its organizations (each as a [`ScopeSet`])
/// and its own `scope` string, with the reference agent's checks.
///
/// - [`has_access`](Self::has_access) is true when any organization grants the request.
///   Only when there are **no** organizations does it use the token's `scope` string
///   instead (split on single spaces; a tab is not a separator), as for a
///   client-credentials agent.
/// - [`has_access_in`](Self::has_access_in), [`get_scopes_for`](Self::get_scopes_for),
///   [`is_owner_of`](Self::is_owner_of) and [`is_admin_of`](Self::is_admin_of) look at
///   one organization; when an id appears twice, the first entry is the one used (the
///   others still count for [`has_access`](Self::has_access)), as in the reference.
///
/// Every check is a hash look-up or two and does not allocate.
///
/// ```
/// use idpkit::authz::scope::{AccessProfile, Organization};
///
/// let profile = AccessProfile::new(
///     [
///         Organization::new("o1", ["owner", "a:read"]),
///         Organization::new("o2", ["b:**"]),
///     ],
///     Some("ignored:**"),
/// );
/// assert!(profile.has_access("read", "a"));
/// assert!(profile.has_access("write", "b.c"));
/// assert!(!profile.has_access_in("o1", "write", "b.c"));
/// assert!(!profile.has_access("read", "ignored")); // organizations exist: no fallback
/// assert!(profile.is_owner_of("o1") && !profile.is_admin_of("o1"));
/// assert!(profile.is_member_of("o2") && !profile.is_member_of("o3"));
///
/// let agent = AccessProfile::new([], Some("a:read  b:**"));
/// assert!(agent.has_access("x", "b.c"));
/// ```
#[derive(Clone, Default)]
pub struct AccessProfile {
    organizations: Vec<Organization>,
    by_id: HashMap<Box<str>, CompiledOrg, FastHashBuilder>,
    /// What [`AccessProfile::has_access`] checks: the union of the organizations'
    /// scopes, or the token's scopes when there are no organizations.
    effective: ScopeSet,
    token_scopes: ScopeSet,
}

impl AccessProfile {
    /// Compiles the organizations and the token's `scope` string (`None` or `""` when the
    /// token has none).
    ///
    /// ```
    /// use idpkit::authz::scope::{AccessProfile, Organization};
    ///
    /// let profile = AccessProfile::new([Organization::new("o1", Vec::<String>::new())], Some("a:read"));
    /// assert!(!profile.has_access("read", "a"));
    /// ```
    pub fn new<I>(organizations: I, token_scope: Option<&str>) -> Self
    where
        I: IntoIterator<Item = Organization>,
    {
        let organizations: Vec<Organization> = organizations.into_iter().collect();
        let token_scopes = ScopeSet::from_space_separated(token_scope.unwrap_or(""));
        let mut by_id: HashMap<Box<str>, CompiledOrg, FastHashBuilder> = HashMap::default();
        for (position, org) in organizations.iter().enumerate() {
            if by_id.contains_key(org.id.as_str()) {
                continue;
            }
            let compiled = CompiledOrg {
                position,
                scopes: org.scopes.iter().collect(),
                owner: org.scopes.iter().any(|s| s == "owner"),
                admin: org.scopes.iter().any(|s| s == "admin"),
            };
            by_id.insert(org.id.as_str().into(), compiled);
        }
        let effective = if organizations.is_empty() {
            token_scopes.clone()
        } else {
            organizations
                .iter()
                .flat_map(|org| org.scopes.iter())
                .collect()
        };
        AccessProfile {
            organizations,
            by_id,
            effective,
            token_scopes,
        }
    }

    /// Whether any organization grants `action` on `resource`; with no organizations,
    /// whether the token's own scopes do.
    ///
    /// ```
    /// use idpkit::authz::scope::{AccessProfile, Organization};
    ///
    /// let profile = AccessProfile::new(
    ///     [Organization::new("o1", ["a:read"]), Organization::new("o2", ["b:read"])],
    ///     None,
    /// );
    /// assert!(profile.has_access("read", "b"));
    /// assert!(!profile.has_access("write", "b"));
    /// ```
    #[inline]
    pub fn has_access(&self, action: &str, resource: &str) -> bool {
        self.effective.has_access(action, resource)
    }

    /// Whether organization `org_id` grants `action` on `resource` (false for an unknown
    /// organization; the token's own scopes are not used).
    ///
    /// ```
    /// use idpkit::authz::scope::{AccessProfile, Organization};
    ///
    /// let profile = AccessProfile::new(
    ///     [Organization::new("o1", ["a:read"]), Organization::new("o2", ["b:read"])],
    ///     None,
    /// );
    /// assert!(profile.has_access_in("o2", "read", "b"));
    /// assert!(!profile.has_access_in("o1", "read", "b"));
    /// assert!(!profile.has_access_in("o3", "read", "b"));
    /// ```
    #[inline]
    pub fn has_access_in(&self, org_id: &str, action: &str, resource: &str) -> bool {
        self.by_id
            .get(org_id)
            .is_some_and(|org| org.scopes.has_access(action, resource))
    }

    /// The scopes of organization `org_id` as given (empty for an unknown organization).
    ///
    /// ```
    /// use idpkit::authz::scope::{AccessProfile, Organization};
    ///
    /// let profile = AccessProfile::new([Organization::new("o1", ["owner", "a:read"])], None);
    /// assert_eq!(profile.get_scopes_for("o1"), ["owner", "a:read"]);
    /// assert!(profile.get_scopes_for("o2").is_empty());
    /// ```
    pub fn get_scopes_for(&self, org_id: &str) -> &[String] {
        self.organization(org_id)
            .map_or(&[], |org| org.scopes.as_slice())
    }

    /// The compiled scopes of organization `org_id`, if it is present.
    ///
    /// ```
    /// use idpkit::authz::scope::{AccessProfile, Organization};
    ///
    /// let profile = AccessProfile::new([Organization::new("o1", ["a:**"])], None);
    /// let scopes = profile.scope_set_for("o1").unwrap();
    /// assert!(scopes.has_access("x", "a.b"));
    /// assert!(profile.scope_set_for("o2").is_none());
    /// ```
    pub fn scope_set_for(&self, org_id: &str) -> Option<&ScopeSet> {
        self.by_id.get(org_id).map(|org| &org.scopes)
    }

    /// Whether organization `org_id`'s scopes contain the literal role scope `owner`
    /// (`*:**` does not make an owner, and being owner does not make an admin).
    ///
    /// ```
    /// use idpkit::authz::scope::{AccessProfile, Organization};
    ///
    /// let profile = AccessProfile::new(
    ///     [Organization::new("o1", ["owner"]), Organization::new("o2", ["*:**"])],
    ///     None,
    /// );
    /// assert!(profile.is_owner_of("o1"));
    /// assert!(!profile.is_owner_of("o2"));
    /// ```
    pub fn is_owner_of(&self, org_id: &str) -> bool {
        self.by_id.get(org_id).is_some_and(|org| org.owner)
    }

    /// Whether organization `org_id`'s scopes contain the literal role scope `admin`.
    ///
    /// ```
    /// use idpkit::authz::scope::{AccessProfile, Organization};
    ///
    /// let profile = AccessProfile::new([Organization::new("o1", ["owner", "admin"])], None);
    /// assert!(profile.is_admin_of("o1"));
    /// assert!(!profile.is_admin_of("o2"));
    /// ```
    pub fn is_admin_of(&self, org_id: &str) -> bool {
        self.by_id.get(org_id).is_some_and(|org| org.admin)
    }

    /// Whether organization `org_id` is present (its scopes are not looked at).
    ///
    /// ```
    /// use idpkit::authz::scope::{AccessProfile, Organization};
    ///
    /// let profile = AccessProfile::new([Organization::new("o1", Vec::<String>::new())], None);
    /// assert!(profile.is_member_of("o1"));
    /// assert!(!profile.is_member_of("o2"));
    /// ```
    pub fn is_member_of(&self, org_id: &str) -> bool {
        self.by_id.contains_key(org_id)
    }

    /// The organization with this id (the first one, if it appears twice).
    ///
    /// ```
    /// use idpkit::authz::scope::{AccessProfile, Organization};
    ///
    /// let profile = AccessProfile::new([Organization::new("o1", ["a:read"]).with_title("Dev")], None);
    /// assert_eq!(profile.organization("o1").unwrap().title.as_deref(), Some("Dev"));
    /// ```
    pub fn organization(&self, org_id: &str) -> Option<&Organization> {
        self.by_id
            .get(org_id)
            .map(|org| &self.organizations[org.position])
    }

    /// All organizations, as given.
    ///
    /// ```
    /// use idpkit::authz::scope::{AccessProfile, Organization};
    ///
    /// let profile = AccessProfile::new([Organization::new("o1", ["a:read"])], None);
    /// assert_eq!(profile.organizations().len(), 1);
    /// ```
    pub fn organizations(&self) -> &[Organization] {
        &self.organizations
    }

    /// The token's own scopes (from its `scope` string), which
    /// [`has_access`](Self::has_access) uses only when there are no organizations.
    ///
    /// ```
    /// use idpkit::authz::scope::AccessProfile;
    ///
    /// let profile = AccessProfile::new([], Some("a:read b:write"));
    /// assert_eq!(profile.token_scopes().len(), 2);
    /// ```
    pub fn token_scopes(&self) -> &ScopeSet {
        &self.token_scopes
    }
}

impl fmt::Debug for AccessProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessProfile")
            .field("organizations", &self.organizations)
            .field("token_scopes", &self.token_scopes)
            .finish()
    }
}
