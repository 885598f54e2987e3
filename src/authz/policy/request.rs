//! The request context (spec A1, A5.1): what is asked, and the values conditions read.

use std::sync::LazyLock;

use serde_json::{Map, Number, Value};

use super::model::Source;
use super::value::lookup;

/// Registered claims (AuthX's `TokenPayload` fields): never part of a derived subject's
/// custom claims, and never settable by a login type's custom data.
pub(crate) const REGISTERED: &[&str] = &[
    "jti",
    "iss",
    "sub",
    "aud",
    "exp",
    "nbf",
    "iat",
    "type",
    "csrf",
    "scopes",
    "fresh",
    "login_type",
];

static ACCESS: LazyLock<Value> = LazyLock::new(|| Value::String("access".to_owned()));
/// AuthX gives a token without `jti` a random UUID; idpkit one random UUID per process (it
/// exists, and equals nothing a policy can name).
static RANDOM_JTI: LazyLock<Value> = LazyLock::new(|| {
    let mut b = [0u8; 16];
    let _ = aws_lc_rs::rand::fill(&mut b);
    Value::String(format_uuid_v4(b))
});

/// 16 random bytes as a version 4 UUID string (RFC 9562 §5.4), like Python's `uuid4()`.
pub(crate) fn format_uuid_v4(mut b: [u8; 16]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let mut out = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    out
}

static EMPTY_STRING: Value = Value::String(String::new());
static FALSE: Value = Value::Bool(false);
static EMPTY_LIST: Value = Value::Array(Vec::new());

/// One authorization question and its context; borrows everything, so building one and
/// evaluating it allocates nothing.
///
/// - `subject`: the caller's subject, or (when not given) one derived from the token: its
///   custom claims, then `sub`, `scopes` (null → `[]`) and `login_type` (spec A5.1, keeping
///   custom claims — a deliberate difference from AuthX under pydantic 2). No token → `{}`.
/// - `token`: the token's claims; absent registered claims read as AuthX's defaults (`type` =
///   `"access"`, `csrf` = `""`, `fresh` = false, `jti` = a random UUID, `iat` = [`now`](Self::now)).
/// - `resource` attributes and `environment`: read as given (a non-object reads as `{}`).
///
/// ```
/// use idpkit::authz::policy::Request;
/// use serde_json::json;
/// let token = json!({"sub": "alice", "scopes": ["users:read"], "login_type": "user"});
/// let env = json!({"method": "GET"});
/// let request = Request::new("users:read", "users")
///     .login_type("user")
///     .token(token.as_object().unwrap())
///     .environment(&env);
/// assert_eq!(request.action, "users:read");
/// ```
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// The login type the request was authenticated for (informational for evaluators).
    pub login_type: &'a str,
    /// The action asked for, literal.
    pub action: &'a str,
    /// The resource asked for, literal.
    pub resource: &'a str,
    token: Option<&'a Map<String, Value>>,
    subject: Option<&'a Value>,
    resource_attributes: Option<&'a Value>,
    environment: Option<&'a Value>,
    iat: Value,
}

impl<'a> Request<'a> {
    /// A request for `action` on `resource`, with no token and empty sources.
    ///
    /// ```
    /// let r = idpkit::authz::policy::Request::new("read", "docs");
    /// assert_eq!(r.resource, "docs");
    /// ```
    pub fn new(action: &'a str, resource: &'a str) -> Self {
        Request {
            login_type: "",
            action,
            resource,
            token: None,
            subject: None,
            resource_attributes: None,
            environment: None,
            iat: Value::Null,
        }
    }

    /// Sets the login type.
    ///
    /// ```
    /// let r = idpkit::authz::policy::Request::new("read", "docs").login_type("admin");
    /// assert_eq!(r.login_type, "admin");
    /// ```
    #[must_use]
    pub fn login_type(mut self, login_type: &'a str) -> Self {
        self.login_type = login_type;
        self
    }

    /// Sets the verified token's claims.
    ///
    /// ```
    /// let claims = serde_json::json!({"sub": "alice"});
    /// let r = idpkit::authz::policy::Request::new("read", "docs").token(claims.as_object().unwrap());
    /// assert!(r.token_claims().is_some());
    /// ```
    #[must_use]
    pub fn token(mut self, claims: &'a Map<String, Value>) -> Self {
        self.token = Some(claims);
        self
    }

    /// Sets the subject explicitly (otherwise it is derived from the token).
    ///
    /// ```
    /// let subject = serde_json::json!({"role": "admin"});
    /// let r = idpkit::authz::policy::Request::new("read", "docs").subject(&subject);
    /// # let _ = r;
    /// ```
    #[must_use]
    pub fn subject(mut self, subject: &'a Value) -> Self {
        self.subject = Some(subject);
        self
    }

    /// Sets the resource's attributes.
    ///
    /// ```
    /// let attrs = serde_json::json!({"owner": "alice"});
    /// let r = idpkit::authz::policy::Request::new("read", "docs").resource_attributes(&attrs);
    /// # let _ = r;
    /// ```
    #[must_use]
    pub fn resource_attributes(mut self, attributes: &'a Value) -> Self {
        self.resource_attributes = Some(attributes);
        self
    }

    /// Sets the environment (time, method, path, client IP, anything else).
    ///
    /// ```
    /// let env = serde_json::json!({"hour": 9});
    /// let r = idpkit::authz::policy::Request::new("read", "docs").environment(&env);
    /// # let _ = r;
    /// ```
    #[must_use]
    pub fn environment(mut self, environment: &'a Value) -> Self {
        self.environment = Some(environment);
        self
    }

    /// The current time, in seconds since the epoch: what `token.iat` reads when the token has
    /// no `iat` (AuthX's default). Unset, such an `iat` reads as missing.
    ///
    /// ```
    /// let r = idpkit::authz::policy::Request::new("read", "docs").now(1_700_000_000);
    /// # let _ = r;
    /// ```
    #[must_use]
    pub fn now(mut self, unix_seconds: i64) -> Self {
        self.iat = Value::Number(Number::from(unix_seconds));
        self
    }

    /// The token's claims, as given.
    ///
    /// ```
    /// assert!(idpkit::authz::policy::Request::new("read", "docs").token_claims().is_none());
    /// ```
    pub fn token_claims(&self) -> Option<&'a Map<String, Value>> {
        self.token
    }

    /// Reads the dotted key `parts` from `source` (spec A5.1–A5.2); `None` = missing or null.
    pub(crate) fn read(&self, source: Source, parts: &[Box<str>]) -> Option<&Value> {
        let root = match source {
            Source::Subject => match self.subject {
                Some(subject) => return lookup(Some(subject), parts),
                None => self.derived_subject_member(parts.first()?)?,
            },
            Source::Resource => return lookup(self.resource_attributes, parts),
            Source::Environment => return lookup(self.environment, parts),
            Source::Token => self.token_member(parts.first()?)?,
        };
        lookup(Some(root), &parts[1..])
    }

    /// The first step into the derived subject.
    fn derived_subject_member(&self, first: &str) -> Option<&Value> {
        let token = self.token?;
        let v = match first {
            "sub" | "login_type" => token.get(first)?,
            "scopes" => match token.get("scopes") {
                None | Some(Value::Null) => &EMPTY_LIST,
                Some(v) => v,
            },
            _ if REGISTERED.contains(&first) => return None,
            _ => token.get(first)?,
        };
        Some(v)
    }

    /// The first step into the token, with AuthX's defaults for absent registered claims.
    fn token_member(&self, first: &str) -> Option<&Value> {
        let token = self.token?;
        let v = match token.get(first) {
            Some(v) => v,
            None => match first {
                "type" => &*ACCESS,
                "csrf" => &EMPTY_STRING,
                "fresh" => &FALSE,
                "jti" => &*RANDOM_JTI,
                "iat" => &self.iat,
                _ => return None,
            },
        };
        Some(v)
    }
}
