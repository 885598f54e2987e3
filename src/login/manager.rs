//! [`LoginManager`]: several login types, issuing and verifying their tokens (AuthX's
//! `AuthManager`, spec part B).

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use jsonwebtoken::{Algorithm, Header};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::LoginError;
use super::claims::{Issue, IssuedToken, LoginClaims, TokenKind, TokenPair};
use super::config::LoginType;
use super::key::LoginKey;
use crate::authz::policy::REGISTERED_CLAIMS;
use crate::clock::{Clock, since_epoch};
use crate::oidc::id_token::{decode_signed, loggable, parse_header};

/// What a verified token must be: of a login type, access or refresh, fresh or not.
///
/// ```
/// use idpkit::login::{TokenCheck, TokenKind};
/// let check = TokenCheck::access("admins").fresh();
/// assert_eq!((check.login_type(), check.kind()), ("admins", TokenKind::Access));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct TokenCheck {
    login_type: String,
    kind: TokenKind,
    fresh: bool,
}

impl TokenCheck {
    /// An access token of `login_type` (AuthX's `access_token_required`).
    ///
    /// ```
    /// let check = idpkit::login::TokenCheck::access("users");
    /// ```
    pub fn access(login_type: &str) -> Self {
        TokenCheck {
            login_type: login_type.to_owned(),
            kind: TokenKind::Access,
            fresh: false,
        }
    }

    /// A refresh token of `login_type` (AuthX's `refresh_token_required`).
    ///
    /// ```
    /// let check = idpkit::login::TokenCheck::refresh("users");
    /// ```
    pub fn refresh(login_type: &str) -> Self {
        TokenCheck {
            kind: TokenKind::Refresh,
            ..TokenCheck::access(login_type)
        }
    }

    /// Also requires the access token to be fresh (AuthX's `fresh_token_required`).
    ///
    /// ```
    /// let check = idpkit::login::TokenCheck::access("users").fresh();
    /// ```
    pub fn fresh(mut self) -> Self {
        self.fresh = true;
        self
    }

    /// The login type asked for.
    ///
    /// ```
    /// assert_eq!(idpkit::login::TokenCheck::access("users").login_type(), "users");
    /// ```
    pub fn login_type(&self) -> &str {
        &self.login_type
    }

    /// Access or refresh.
    ///
    /// ```
    /// use idpkit::login::{TokenCheck, TokenKind};
    /// assert_eq!(TokenCheck::refresh("users").kind(), TokenKind::Refresh);
    /// ```
    pub fn kind(&self) -> TokenKind {
        self.kind
    }
}

/// Builds a [`LoginManager`]; [`build`](Self::build) validates the login types.
///
/// ```
/// use idpkit::login::{LoginKey, LoginManager, LoginType};
/// let manager = LoginManager::builder()
///     .login_type(LoginType::new("users", LoginKey::hs256([1u8; 32])?))
///     .login_type(LoginType::new("admins", LoginKey::generate(jsonwebtoken::Algorithm::EdDSA)?))
///     .build()?;
/// assert_eq!(manager.login_types().collect::<Vec<_>>(), ["users", "admins"]);
/// # Ok::<(), idpkit::login::LoginError>(())
/// ```
#[derive(Debug, Default)]
#[must_use]
pub struct LoginManagerBuilder {
    types: Vec<LoginType>,
    clock: Clock,
}

impl LoginManagerBuilder {
    /// Registers a login type.
    ///
    /// ```
    /// # let key = idpkit::login::LoginKey::hs256([1u8; 32])?;
    /// let builder = idpkit::login::LoginManager::builder().login_type(idpkit::login::LoginType::new("users", key));
    /// # Ok::<(), idpkit::login::LoginError>(())
    /// ```
    pub fn login_type(mut self, login_type: LoginType) -> Self {
        self.types.push(login_type);
        self
    }

    /// The clock that dates issued tokens and checks expiry (default: the system clock).
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    /// let builder = idpkit::login::LoginManager::builder().clock(idpkit::Clock::new(move || t));
    /// ```
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The manager.
    ///
    /// # Errors
    ///
    /// [`LoginError::Config`] for an empty or duplicate login-type name, or a `kid` used by two
    /// keys.
    ///
    /// ```
    /// use idpkit::login::{LoginError, LoginKey, LoginManager, LoginType};
    /// let key = LoginKey::hs256([1u8; 32])?;
    /// let err = LoginManager::builder()
    ///     .login_type(LoginType::new("users", key.clone()))
    ///     .login_type(LoginType::new("users", key))
    ///     .build()
    ///     .unwrap_err();
    /// assert!(matches!(err, LoginError::Config(_)));
    /// # Ok::<(), LoginError>(())
    /// ```
    pub fn build(self) -> Result<LoginManager, LoginError> {
        let mut by_name = HashMap::new();
        let mut by_kid = HashMap::new();
        for (i, t) in self.types.iter().enumerate() {
            if t.name.is_empty() {
                return Err(LoginError::Config("a login type needs a name".into()));
            }
            if by_name.insert(t.name.clone(), i).is_some() {
                return Err(LoginError::Config(format!(
                    "login type {:?} is registered twice",
                    t.name
                )));
            }
            let previous = t.previous.iter().map(|(_, kid)| (kid, KeySlot::Previous));
            for (kid, slot) in std::iter::once((&t.kid, KeySlot::Current)).chain(previous) {
                if by_kid.insert(kid.clone(), (i, slot)).is_some() {
                    return Err(LoginError::Config(format!("the kid {kid:?} is used twice")));
                }
            }
            if let Some((previous, _)) = &t.previous
                && previous.algorithm() != t.key.algorithm()
            {
                return Err(LoginError::Config(format!(
                    "login type {:?}: the previous key has another algorithm",
                    t.name
                )));
            }
        }
        Ok(LoginManager {
            types: self.types,
            by_name,
            by_kid,
            clock: self.clock,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeySlot {
    Current,
    Previous,
}

/// Several login types ("admins", "users", "api-clients"), each an isolated issuer with its own
/// key: issues their access, refresh and fresh tokens, and verifies a token for one login
/// type (AuthX's `AuthManager`).
///
/// Verifying for login type T, in order:
/// 1. the header must parse; its `kid` picks the one key to try: a `kid` of another login
///    type's key means that key verifies the signature, and when it holds the answer is
///    [`LoginError::LoginTypeMismatch`] (whatever the token's type or expiry); an unknown
///    `kid` is [`LoginError::UnknownKey`]. Without a `kid` (tokens from AuthX), the login type
///    the token's `login_type` claim names, if registered, else T, is the one tried (then its
///    previous key). No key is ever tried blindly.
/// 2. `alg` must be the key's algorithm; the signature must verify;
/// 3. `exp` (no leeway, as AuthX), `nbf`, `iss` and `aud` against T's settings;
/// 4. `type` must be the kind asked for, `fresh` true when asked, `login_type` must be T;
/// 5. T's [`Blocklist`](super::Blocklist), if any, is asked about `jti`.
///
/// ```
/// use idpkit::login::{Issue, LoginError, LoginKey, LoginManager, LoginType, TokenCheck};
/// use jsonwebtoken::Algorithm;
///
/// let manager = LoginManager::builder()
///     .login_type(LoginType::new("users", LoginKey::hs256([1u8; 32])?))
///     .login_type(LoginType::new("admins", LoginKey::generate(Algorithm::ES256)?))
///     .build()?;
/// let token = manager.issue(&Issue::access("admins", "root").data(&serde_json::json!({"role": "ops"})))?;
///
/// let claims = manager.verify::<serde_json::Map<_, _>>(token.expose_secret(), &TokenCheck::access("admins"))?;
/// assert_eq!((claims.sub.as_str(), &claims.custom["role"]), ("root", &serde_json::json!("ops")));
///
/// let err = manager.verify::<serde_json::Value>(token.expose_secret(), &TokenCheck::access("users")).unwrap_err();
/// assert_eq!(err, LoginError::LoginTypeMismatch { expected: "users".into(), actual: "admins".into() });
/// # Ok::<(), LoginError>(())
/// ```
#[derive(Debug)]
pub struct LoginManager {
    types: Vec<LoginType>,
    by_name: HashMap<String, usize>,
    by_kid: HashMap<String, (usize, KeySlot)>,
    clock: Clock,
}

impl LoginManager {
    /// A builder.
    ///
    /// ```
    /// let builder = idpkit::login::LoginManager::builder();
    /// ```
    pub fn builder() -> LoginManagerBuilder {
        LoginManagerBuilder::default()
    }

    /// The registered login types' names, in registration order.
    ///
    /// ```
    /// let manager = idpkit::login::LoginManager::builder().build()?;
    /// assert_eq!(manager.login_types().count(), 0);
    /// # Ok::<(), idpkit::login::LoginError>(())
    /// ```
    pub fn login_types(&self) -> impl Iterator<Item = &str> {
        self.types.iter().map(|t| t.name.as_str())
    }

    /// The login type `name`.
    ///
    /// # Errors
    ///
    /// [`LoginError::UnknownLoginType`] when none has that name.
    ///
    /// ```
    /// let manager = idpkit::login::LoginManager::builder().build()?;
    /// assert!(manager.get("users").is_err());
    /// # Ok::<(), idpkit::login::LoginError>(())
    /// ```
    pub fn get(&self, name: &str) -> Result<&LoginType, LoginError> {
        self.by_name
            .get(name)
            .map(|&i| &self.types[i])
            .ok_or_else(|| LoginError::UnknownLoginType(loggable(name, 64)))
    }

    /// The current time, from the manager's clock.
    #[cfg_attr(not(feature = "axum"), allow(dead_code))]
    pub(crate) fn now(&self) -> SystemTime {
        self.clock.now()
    }

    /// The public keys of the asymmetric login types (RS256, ES256, EdDSA), current and
    /// previous, as a JWK Set (RFC 7517 §5) to serve at a `jwks_uri`: other services verify
    /// these tokens with [`verify_with_jwks`](super::verify_with_jwks). HS256 secrets are
    /// never published.
    ///
    /// ```
    /// use idpkit::login::{LoginKey, LoginManager, LoginType};
    /// let manager = LoginManager::builder()
    ///     .login_type(LoginType::new("users", LoginKey::hs256([1u8; 32])?))
    ///     .login_type(LoginType::new("admins", LoginKey::generate(jsonwebtoken::Algorithm::EdDSA)?))
    ///     .build()?;
    /// let jwks = manager.jwks();
    /// assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
    /// assert_eq!(jwks["keys"][0]["kid"], "admins");
    /// # Ok::<(), idpkit::login::LoginError>(())
    /// ```
    pub fn jwks(&self) -> Value {
        let keys: Vec<Value> = self
            .types
            .iter()
            .flat_map(|t| {
                let previous = t.previous.iter().map(|(key, kid)| (key, kid));
                std::iter::once((&t.key, &t.kid)).chain(previous)
            })
            .filter_map(|(key, kid)| key.jwk(kid))
            .collect();
        serde_json::json!({ "keys": keys })
    }

    /// Issues a token (AuthX's `create_access_token` / `create_refresh_token`). Claims: `sub`,
    /// `jti` (a random UUID), `type`, `fresh` (access tokens), `csrf` (a random UUID when the
    /// login type reads cookies with CSRF protection, else `""`), `iat`, `exp` (unless the
    /// lifetime is `None`), `iss` / `aud` when configured, `scopes` when given, `login_type`,
    /// then the custom data. The header carries the login type's `kid`.
    ///
    /// # Errors
    ///
    /// [`LoginError::UnknownLoginType`], [`LoginError::ReservedClaim`] when custom data names a
    /// registered claim, [`LoginError::CustomClaims`] when it is not a JSON object,
    /// [`LoginError::Config`] if signing fails.
    ///
    /// ```
    /// use idpkit::login::{Issue, LoginError, LoginKey, LoginManager, LoginType};
    /// let manager = LoginManager::builder()
    ///     .login_type(LoginType::new("users", LoginKey::hs256([1u8; 32])?))
    ///     .build()?;
    /// let err = manager.issue(&Issue::access("users", "alice").data(&serde_json::json!({"sub": "root"}))).unwrap_err();
    /// assert_eq!(err, LoginError::ReservedClaim("sub".into()));
    /// # Ok::<(), LoginError>(())
    /// ```
    pub fn issue(&self, issue: &Issue) -> Result<IssuedToken, LoginError> {
        let t = self.get(&issue.login_type)?;
        let data = issue.data.as_ref().map_err(Clone::clone)?;
        if let Some(reserved) = data
            .keys()
            .find(|k| REGISTERED_CLAIMS.contains(&k.as_str()))
        {
            return Err(LoginError::ReservedClaim(loggable(reserved, 64)));
        }
        let now = since_epoch(self.clock.now()).as_secs();
        let lifetime = issue.lifetime.unwrap_or(match issue.kind {
            TokenKind::Access => t.access_lifetime,
            TokenKind::Refresh => t.refresh_lifetime,
        });
        let expires_at = lifetime.map(|l| now.saturating_add(l.as_secs()));
        let jti = random_uuid()?;
        let csrf = if t.uses_csrf() {
            Some(random_uuid()?)
        } else {
            None
        };

        let mut claims = Map::new();
        claims.insert("sub".into(), issue.subject.clone().into());
        claims.insert("jti".into(), jti.clone().into());
        claims.insert("type".into(), issue.kind.as_str().into());
        if issue.kind == TokenKind::Access {
            claims.insert("fresh".into(), issue.fresh.into());
        }
        claims.insert("csrf".into(), csrf.clone().unwrap_or_default().into());
        claims.insert("iat".into(), now.into());
        if let Some(exp) = expires_at {
            claims.insert("exp".into(), exp.into());
        }
        if let Some(aud) = issue.audience.as_ref().or(t.audience.as_ref()) {
            claims.insert("aud".into(), aud.clone().into());
        }
        if let Some(iss) = &t.issuer {
            claims.insert("iss".into(), iss.clone().into());
        }
        if let Some(scopes) = &issue.scopes {
            claims.insert("scopes".into(), scopes.clone().into());
        }
        claims.insert("login_type".into(), t.name.clone().into());
        claims.extend(data.iter().map(|(k, v)| (k.clone(), v.clone())));

        let token = sign(&t.key, &t.kid, &claims)?;
        Ok(IssuedToken {
            token,
            kind: issue.kind,
            jti,
            csrf,
            expires_at,
        })
    }

    /// Issues an access token as described by `access` and a refresh token with the same
    /// login type, subject, scopes, audience and data (AuthX's `create_token_pair`; the
    /// refresh token has the login type's refresh lifetime).
    ///
    /// # Errors
    ///
    /// As [`issue`](Self::issue).
    ///
    /// ```
    /// use idpkit::login::{Issue, LoginKey, LoginManager, LoginType, TokenKind};
    /// let manager = LoginManager::builder()
    ///     .login_type(LoginType::new("users", LoginKey::hs256([1u8; 32])?))
    ///     .build()?;
    /// let pair = manager.issue_pair(&Issue::access("users", "alice").fresh(true))?;
    /// assert_eq!((pair.access.kind, pair.refresh.kind), (TokenKind::Access, TokenKind::Refresh));
    /// # Ok::<(), idpkit::login::LoginError>(())
    /// ```
    pub fn issue_pair(&self, access: &Issue) -> Result<TokenPair, LoginError> {
        let mut access = access.clone();
        access.kind = TokenKind::Access;
        let refresh = Issue {
            kind: TokenKind::Refresh,
            fresh: false,
            lifetime: None,
            ..access.clone()
        };
        Ok(TokenPair {
            access: self.issue(&access)?,
            refresh: self.issue(&refresh)?,
        })
    }

    /// Verifies `token` for `check` (see the steps above) and returns its claims, the custom
    /// ones as `T`.
    ///
    /// # Errors
    ///
    /// One [`LoginError`] per refusal: `UnknownLoginType`, `Malformed`, `UnknownKey`,
    /// `AlgorithmNotAllowed`, `InvalidSignature`, `LoginTypeMismatch`, `Expired`,
    /// `NotYetValid`, `IssuerMismatch`, `AudienceMismatch`, `WrongTokenType`,
    /// `FreshTokenRequired`, `Revoked`, and `CustomClaims` when the custom claims do not fit `T`.
    ///
    /// ```
    /// use idpkit::login::{Issue, LoginError, LoginKey, LoginManager, LoginType, TokenCheck, TokenKind};
    /// let manager = LoginManager::builder()
    ///     .login_type(LoginType::new("users", LoginKey::hs256([1u8; 32])?))
    ///     .build()?;
    /// let refresh = manager.issue(&Issue::refresh("users", "alice"))?;
    /// let err = manager.verify::<serde_json::Value>(refresh.expose_secret(), &TokenCheck::access("users")).unwrap_err();
    /// assert_eq!(err, LoginError::WrongTokenType { expected: TokenKind::Access, actual: "refresh".into() });
    /// # Ok::<(), LoginError>(())
    /// ```
    pub fn verify<T: DeserializeOwned>(
        &self,
        token: &str,
        check: &TokenCheck,
    ) -> Result<LoginClaims<T>, LoginError> {
        let claims = self.verify_claims(token, check)?;
        serde_json::from_value(Value::Object(claims))
            .map_err(|e| LoginError::CustomClaims(crate::http::describe_json_error(&e)))
    }

    /// [`verify`](Self::verify), returning every claim as one JSON object (what a policy's
    /// `token` source reads).
    pub(crate) fn verify_claims(
        &self,
        token: &str,
        check: &TokenCheck,
    ) -> Result<Map<String, Value>, LoginError> {
        let t = self.get(&check.login_type)?;
        let header = parse_header(token)?;
        let (owner, key) = match header.kid.as_deref() {
            Some(kid) => {
                let &(i, slot) = self
                    .by_kid
                    .get(kid)
                    .ok_or_else(|| LoginError::UnknownKey(loggable(kid, 64)))?;
                let owner = &self.types[i];
                let key = match (slot, &owner.previous) {
                    (KeySlot::Previous, Some((previous, _))) => previous,
                    _ => &owner.key,
                };
                (owner, key)
            }
            // No kid (tokens from AuthX): the login type the token claims, if registered, else T.
            None => {
                let owner = claimed_login_type(token)
                    .and_then(|name| self.by_name.get(&name))
                    .map_or(t, |&i| &self.types[i]);
                (owner, &owner.key)
            }
        };
        let alg = header_algorithm(&header.alg, key)?;
        let claims: Map<String, Value> = match decode_signed(token, alg, key.decoding_key()) {
            Err(crate::TokenValidationError::InvalidSignature) if header.kid.is_none() => {
                // No kid: the owner's previous key, as AuthX does.
                match &owner.previous {
                    Some((previous, _)) => decode_signed(token, alg, previous.decoding_key())?,
                    None => return Err(LoginError::InvalidSignature),
                }
            }
            other => other?,
        };
        if owner.name != t.name {
            return Err(LoginError::LoginTypeMismatch {
                expected: t.name.clone(),
                actual: owner.name.clone(),
            });
        }
        let expect = Expect {
            login_type: &t.name,
            issuer: t.issuer.as_deref(),
            audience: t.audience.as_deref(),
            kind: check.kind,
            fresh: check.fresh,
        };
        check_claims(&claims, &expect, since_epoch(self.clock.now()))?;
        if let Some(blocklist) = &t.blocklist {
            let jti = claims
                .get("jti")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if blocklist.is_revoked(&t.name, jti) {
                return Err(LoginError::Revoked);
            }
        }
        Ok(claims)
    }
}

/// The `login_type` claim of a token not verified yet: only to pick the one key to verify
/// it with (nothing is trusted before the signature holds).
fn claimed_login_type(token: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Peek {
        login_type: Option<String>,
    }
    let payload = token.split('.').nth(1)?;
    let bytes =
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload).ok()?;
    serde_json::from_slice::<Peek>(&bytes).ok()?.login_type
}

/// The header's algorithm, if it is the key's.
fn header_algorithm(name: &str, key: &LoginKey) -> Result<Algorithm, LoginError> {
    match name.parse::<Algorithm>() {
        Ok(alg) if alg == key.algorithm() => Ok(alg),
        _ => Err(LoginError::AlgorithmNotAllowed(loggable(name, 16))),
    }
}

/// A NumericDate claim as whole seconds; `Ok(None)` when absent or null.
fn date(claims: &Map<String, Value>, name: &str) -> Result<Option<f64>, LoginError> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_f64()
            .filter(|f| f.is_finite())
            .map(Some)
            .ok_or_else(|| LoginError::Malformed(format!("`{name}` is not a NumericDate"))),
        Some(_) => Err(LoginError::Malformed(format!(
            "`{name}` is not a NumericDate"
        ))),
    }
}

/// What a token's claims must say.
pub(crate) struct Expect<'a> {
    pub(crate) login_type: &'a str,
    pub(crate) issuer: Option<&'a str>,
    pub(crate) audience: Option<&'a str>,
    pub(crate) kind: TokenKind,
    pub(crate) fresh: bool,
}

/// Steps 3 and 4 of [`LoginManager`]'s verification, on a token whose signature holds.
pub(crate) fn check_claims(
    claims: &Map<String, Value>,
    t: &Expect<'_>,
    now: Duration,
) -> Result<(), LoginError> {
    let now = now.as_secs_f64();
    // PyJWT: expired when exp <= now; not yet valid when nbf > now (AuthX: no leeway).
    if date(claims, "exp")?.is_some_and(|exp| exp <= now) {
        return Err(LoginError::Expired);
    }
    if date(claims, "nbf")?.is_some_and(|nbf| nbf > now) {
        return Err(LoginError::NotYetValid);
    }
    if let Some(issuer) = t.issuer
        && claims.get("iss").and_then(Value::as_str) != Some(issuer)
    {
        return Err(LoginError::IssuerMismatch);
    }
    let aud = match claims.get("aud") {
        None | Some(Value::Null) => None,
        Some(Value::String(one)) => Some(vec![one.as_str()]),
        Some(Value::Array(many)) => Some(
            many.iter()
                .map(Value::as_str)
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| LoginError::Malformed("`aud` is not a string list".into()))?,
        ),
        Some(_) => return Err(LoginError::Malformed("`aud` is not a string".into())),
    };
    match (t.audience, aud) {
        (None, None) => {}
        (Some(want), Some(aud)) if aud.contains(&want) => {}
        _ => return Err(LoginError::AudienceMismatch),
    }
    for (name, value) in claims {
        let well_typed = match name.as_str() {
            "sub" | "jti" => value.is_string(),
            "type" | "csrf" | "login_type" | "iss" => value.is_string() || value.is_null(),
            "fresh" => value.is_boolean(),
            "iat" => value.is_number(),
            "scopes" => {
                value.is_null()
                    || value
                        .as_array()
                        .is_some_and(|s| s.iter().all(Value::is_string))
            }
            _ => true,
        };
        if !well_typed {
            return Err(LoginError::Malformed(format!(
                "the claim `{}` has the wrong type",
                loggable(name, 32)
            )));
        }
    }
    for required in ["sub", "jti", "iat"] {
        if !claims.contains_key(required) {
            return Err(LoginError::Malformed(format!(
                "the claim `{required}` is missing"
            )));
        }
    }
    let kind = claims
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("access");
    if kind != t.kind.as_str() {
        return Err(LoginError::WrongTokenType {
            expected: t.kind,
            actual: loggable(kind, 32),
        });
    }
    if t.fresh && claims.get("fresh") != Some(&Value::Bool(true)) {
        return Err(LoginError::FreshTokenRequired);
    }
    match claims.get("login_type").and_then(Value::as_str) {
        Some(actual) if actual == t.login_type => Ok(()),
        actual => Err(LoginError::LoginTypeMismatch {
            expected: t.login_type.to_owned(),
            actual: actual.map_or_else(|| "unknown".to_owned(), |a| loggable(a, 64)),
        }),
    }
}

fn sign(key: &LoginKey, kid: &str, claims: &Map<String, Value>) -> Result<String, LoginError> {
    let mut header = Header::new(key.algorithm());
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, key.encoding_key())
        .map_err(|e| LoginError::Config(format!("signing failed: {e}")))
}

/// A random (version 4) UUID string, as AuthX's `get_uuid`.
pub(crate) fn random_uuid() -> Result<String, LoginError> {
    let mut b = [0u8; 16];
    aws_lc_rs::rand::fill(&mut b)
        .map_err(|_| LoginError::Config("the system's random generator failed".into()))?;
    Ok(crate::authz::policy::format_uuid_v4(b))
}
