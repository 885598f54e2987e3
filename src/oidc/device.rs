//! The device authorization grant (RFC 8628), pure: the device authorization request and its
//! response ([`DeviceAuthorization`]), the token request that polls, the classification of each
//! poll's answer ([`DevicePoll`]) and the polling schedule ([`DevicePollSchedule`]: the interval,
//! `slow_down`, back-off after a timeout, the deadline from `expires_in`).
//!
//! The clients' `start_device_authorization`, `poll_device_authorization` and
//! `wait_for_device_authorization` only send these requests and sleep between them.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use idpkit::http::RequestLimits;
//! use idpkit::oidc::{AuthorizationOptions, ClientAuth, build_device_authorization_request, parse_device_authorization_response};
//! let auth = ClientAuth::None { client_id: "cli".into() };
//! let options = AuthorizationOptions::new(["email"]);
//! let request = build_device_authorization_request("https://op.example/device/auth", &options, &auth, RequestLimits::default())?;
//! assert_eq!(request.body(), b"scope=openid+email&client_id=cli");
//!
//! let body = br#"{"device_code":"dc","user_code":"BDWP-HQPK","verification_uri":"https://op.example/device","expires_in":600}"#;
//! let response = http::Response::builder().header("content-type", "application/json").body(body.to_vec()).unwrap();
//! let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
//! let device = parse_device_authorization_response(response, now)?;
//! assert_eq!(device.user_code, "BDWP-HQPK");
//! assert_eq!(device.interval(), Duration::from_secs(5)); // RFC 8628 §3.2 default
//! # Ok::<(), idpkit::Error>(())
//! ```

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::clock::since_epoch;
use crate::error::{Error, ErrorKind, OAuthError, OAuthErrorCode, Result};
use crate::http::{self as h, HttpRequest, HttpResponse, RequestLimits, string_member};
use crate::oidc::authorize::checked_scope;
use crate::oidc::{AuthorizationOptions, ClientAuth, TokenSet, authenticated_form};
use crate::oidc::{ProviderMetadata, parse_token_response};

/// The grant type of the device access token request (RFC 8628 §3.4).
pub const DEVICE_CODE_GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// The polling interval when the provider names none (RFC 8628 §3.2).
const DEFAULT_INTERVAL: u64 = 5;
/// What each `slow_down` adds to the interval (RFC 8628 §3.5).
const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);
/// The shortest interval idpkit polls at, whatever the provider says.
const MIN_INTERVAL: Duration = Duration::from_secs(1);
/// The longest interval the back-off after timeouts grows to.
const MAX_BACKOFF_INTERVAL: Duration = Duration::from_secs(60);

const DEVICE_RESPONSE: &str = "a device authorization response (RFC 8628 §3.2)";

/// Parameters idpkit sets itself in a device authorization request.
const RESERVED: [&str; 6] = [
    "client_id",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
    "scope",
    "grant_type",
];

/// The provider's `device_authorization_endpoint` (RFC 8628 §4), if its metadata has one.
///
/// ```
/// let m: idpkit::oidc::ProviderMetadata = serde_json::from_value(serde_json::json!({
///     "issuer": "https://op.example", "authorization_endpoint": "https://op.example/a",
///     "jwks_uri": "https://op.example/j", "device_authorization_endpoint": "https://op.example/device/auth",
/// })).unwrap();
/// assert_eq!(idpkit::oidc::device_authorization_endpoint(&m), Some("https://op.example/device/auth"));
/// ```
pub fn device_authorization_endpoint(metadata: &ProviderMetadata) -> Option<&str> {
    metadata
        .additional
        .get("device_authorization_endpoint")
        .and_then(Value::as_str)
}

/// The device authorization request (RFC 8628 §3.1): a form `POST` of `scope` (the options'
/// scopes, `openid` first), any `resource` (RFC 8707), `prompt`, `login_hint`, `max_age` and
/// extra parameters, with the client authenticated as `auth` (a public client sends its
/// `client_id`).
///
/// # Errors
///
/// [`ErrorKind::Config`] when the endpoint is not https (http only on loopback), a scope or
/// resource is invalid, or an extra parameter is one idpkit sets.
///
/// ```
/// use idpkit::{http::RequestLimits, oidc::{AuthorizationOptions, ClientAuth, build_device_authorization_request}};
/// let auth = ClientAuth::None { client_id: "cli".into() };
/// let options = AuthorizationOptions { resources: vec!["urn:api".into()], ..AuthorizationOptions::new(["offline_access"]) };
/// let req = build_device_authorization_request("https://op.example/device/auth", &options, &auth, RequestLimits::default())?;
/// assert_eq!(req.body(), b"scope=openid+offline_access&resource=urn%3Aapi&client_id=cli");
/// assert!(build_device_authorization_request("http://op.example/d", &options, &auth, RequestLimits::default()).is_err());
/// # Ok::<(), idpkit::Error>(())
/// ```
pub fn build_device_authorization_request(
    endpoint: &str,
    options: &AuthorizationOptions,
    auth: &ClientAuth,
    limits: RequestLimits,
) -> Result<HttpRequest> {
    let url = h::require_secure_url("device_authorization_endpoint", endpoint)?;
    let scope = checked_scope(options, &RESERVED, "device authorization")?;
    let max_age = options.max_age.map(|d| d.as_secs().to_string());
    let mut params = vec![("scope", scope.as_str())];
    params.extend(options.resources.iter().map(|r| ("resource", r.as_str())));
    let optional = [
        ("prompt", options.prompt.as_deref()),
        ("login_hint", options.login_hint.as_deref()),
        ("max_age", max_age.as_deref()),
    ];
    params.extend(optional.iter().filter_map(|&(n, v)| Some((n, v?))));
    params.extend(options.extra.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    authenticated_form(&url, params, auth, limits)
}

/// A started device authorization (RFC 8628 §3.2): what to show the user, and what the client
/// polls with.
///
/// Serialisable, so a CLI can keep it across restarts (the device code is then stored in clear:
/// keep it as private as a token). `Debug` redacts the device code.
///
/// ```
/// let device: idpkit::oidc::DeviceAuthorization = serde_json::from_str(r#"{
///     "device_code": "dc-secret", "user_code": "BDWP-HQPK",
///     "verification_uri": "https://op.example/device",
///     "expires_at": 1700000600, "interval": 5
/// }"#).unwrap();
/// assert!(!format!("{device:?}").contains("dc-secret"));
/// assert_eq!(device.expose_device_code(), "dc-secret");
/// ```
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DeviceAuthorization {
    device_code: String,
    /// The code the user enters at the verification URI.
    pub user_code: String,
    /// Where the user goes, on another device, to enter the user code.
    pub verification_uri: String,
    /// The verification URI with the user code in it, if the provider gave one (for a QR code,
    /// or a link the user only has to open).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_uri_complete: Option<String>,
    /// When the device code expires, in seconds since the Unix epoch (from `expires_in`).
    pub expires_at: u64,
    /// The polling interval the provider asked for, in seconds (5 when it named none).
    pub interval: u64,
    /// The `max_age` the request asked for, in seconds, if any (the clients set it from the
    /// request's options): the ID token's `auth_time` is then checked against it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<u64>,
}

impl DeviceAuthorization {
    /// The device code, for the token request.
    ///
    /// ```
    /// # let device: idpkit::oidc::DeviceAuthorization = serde_json::from_str(r#"{"device_code":"dc","user_code":"U","verification_uri":"https://op.example/device","expires_at":1,"interval":5}"#).unwrap();
    /// assert_eq!(device.expose_device_code(), "dc");
    /// ```
    pub fn expose_device_code(&self) -> &str {
        &self.device_code
    }

    /// The polling interval.
    ///
    /// ```
    /// # let device: idpkit::oidc::DeviceAuthorization = serde_json::from_str(r#"{"device_code":"dc","user_code":"U","verification_uri":"https://op.example/device","expires_at":1,"interval":3}"#).unwrap();
    /// assert_eq!(device.interval(), std::time::Duration::from_secs(3));
    /// ```
    pub fn interval(&self) -> Duration {
        Duration::from_secs(self.interval)
    }

    /// How long the device code remains valid at `now` (zero once expired).
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// # let device: idpkit::oidc::DeviceAuthorization = serde_json::from_str(r#"{"device_code":"dc","user_code":"U","verification_uri":"https://op.example/device","expires_at":100,"interval":5}"#).unwrap();
    /// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(40);
    /// assert_eq!(device.expires_in(now), Duration::from_secs(60));
    /// ```
    pub fn expires_in(&self, now: SystemTime) -> Duration {
        Duration::from_secs(self.expires_at).saturating_sub(since_epoch(now))
    }
}

impl fmt::Debug for DeviceAuthorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceAuthorization")
            .field("device_code", &"[redacted]")
            .field("user_code", &self.user_code)
            .field("verification_uri", &self.verification_uri)
            .field("verification_uri_complete", &self.verification_uri_complete)
            .field("expires_at", &self.expires_at)
            .field("interval", &self.interval)
            .field("max_age", &self.max_age)
            .finish()
    }
}

/// A non-negative integer member; `None` when absent or `null`.
fn seconds_member(object: &Map<String, Value>, name: &'static str) -> Result<Option<u64>> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_u64().map(Some).ok_or_else(|| {
            Error::malformed(
                DEVICE_RESPONSE,
                format!("`{name}` is not a non-negative integer"),
            )
        }),
        Some(_) => Err(Error::malformed(
            DEVICE_RESPONSE,
            format!("`{name}` is not a number"),
        )),
    }
}

/// A verification URI the user is sent to: an absolute `https` URL (`http` only on loopback).
fn verification_uri(value: String, name: &str) -> Result<String> {
    h::require_secure_url(name, &value)
        .map(|_| value)
        .map_err(|_| Error::malformed(DEVICE_RESPONSE, format!("`{name}` is not an https URL")))
}

/// Parses the device authorization response (RFC 8628 §3.2): `device_code`, `user_code`,
/// `verification_uri` (or the older `verification_url`), `verification_uri_complete`,
/// `expires_in` (required) and `interval` (default 5 s). An OAuth error object becomes an
/// [`ErrorKind::OAuth`] error.
///
/// # Errors
///
/// [`ErrorKind::OAuth`] / [`ErrorKind::Status`] for an error answer;
/// [`ErrorKind::MalformedResponse`] for a member missing, empty or of the wrong type, a
/// verification URI that is not https, or `expires_in` of zero. No message quotes the device
/// code.
///
/// ```
/// use std::time::SystemTime;
/// let resp = |body: &str| http::Response::builder().status(400).header("content-type", "application/json").body(body.as_bytes().to_vec()).unwrap();
/// let err = idpkit::oidc::parse_device_authorization_response(resp(r#"{"error":"invalid_scope"}"#), SystemTime::now()).unwrap_err();
/// assert_eq!(err.oauth().unwrap().code, idpkit::OAuthErrorCode::InvalidScope);
/// ```
pub fn parse_device_authorization_response(
    response: HttpResponse,
    now: SystemTime,
) -> Result<DeviceAuthorization> {
    let object: Map<String, Value> = h::parse_json(response, DEVICE_RESPONSE, now)?;
    let required = |name: &'static str| {
        string_member(&object, name, DEVICE_RESPONSE)?
            .ok_or_else(|| Error::malformed(DEVICE_RESPONSE, format!("`{name}` is missing")))
    };
    let device_code = required("device_code")?;
    let user_code = required("user_code")?;
    let uri = match string_member(&object, "verification_uri", DEVICE_RESPONSE)? {
        Some(uri) => uri,
        None => required("verification_url")?,
    };
    let verification_uri = verification_uri(uri, "verification_uri")?;
    let verification_uri_complete =
        match string_member(&object, "verification_uri_complete", DEVICE_RESPONSE)? {
            Some(uri) => Some(self::verification_uri(uri, "verification_uri_complete")?),
            None => None,
        };
    let expires_in = seconds_member(&object, "expires_in")?
        .ok_or_else(|| Error::malformed(DEVICE_RESPONSE, "`expires_in` is missing"))?;
    if expires_in == 0 {
        return Err(Error::malformed(DEVICE_RESPONSE, "`expires_in` is zero"));
    }
    let interval = seconds_member(&object, "interval")?.unwrap_or(DEFAULT_INTERVAL);
    Ok(DeviceAuthorization {
        device_code,
        user_code,
        verification_uri,
        verification_uri_complete,
        expires_at: since_epoch(now).as_secs().saturating_add(expires_in),
        interval,
        max_age: None,
    })
}

/// The device access token request (RFC 8628 §3.4): `grant_type` =
/// [`DEVICE_CODE_GRANT_TYPE`] and the `device_code`, with the client authenticated as `auth`.
///
/// # Errors
///
/// [`ErrorKind::Config`] when the endpoint is not https (http only on loopback).
///
/// ```
/// use idpkit::{http::RequestLimits, oidc::{ClientAuth, DeviceAuthorization, build_device_token_request}};
/// # let device: DeviceAuthorization = serde_json::from_str(r#"{"device_code":"dc","user_code":"U","verification_uri":"https://op.example/device","expires_at":1,"interval":5}"#).unwrap();
/// let auth = ClientAuth::None { client_id: "cli".into() };
/// let req = build_device_token_request("https://op.example/token", &device, &auth, RequestLimits::default())?;
/// assert_eq!(req.body(), b"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=dc&client_id=cli");
/// # Ok::<(), idpkit::Error>(())
/// ```
pub fn build_device_token_request(
    token_endpoint: &str,
    authorization: &DeviceAuthorization,
    auth: &ClientAuth,
    limits: RequestLimits,
) -> Result<HttpRequest> {
    let url = h::require_secure_url("token_endpoint", token_endpoint)?;
    let params = vec![
        ("grant_type", DEVICE_CODE_GRANT_TYPE),
        ("device_code", authorization.device_code.as_str()),
    ];
    authenticated_form(&url, params, auth, limits)
}

/// What one poll of the token endpoint said (RFC 8628 §3.5).
///
/// ```
/// use idpkit::oidc::DevicePoll;
/// let poll: DevicePoll<()> = DevicePoll::Pending;
/// assert!(matches!(poll, DevicePoll::Pending));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DevicePoll<T = TokenSet> {
    /// `authorization_pending`: the user has not answered yet; poll again after the interval.
    Pending,
    /// `slow_down`: poll again, and from now on 5 seconds less often.
    SlowDown,
    /// The user approved: the tokens (or, from the clients, the signed-in principal).
    Granted(T),
}

/// Parses the answer to one device poll: the tokens, or `authorization_pending` /
/// `slow_down` as [`DevicePoll`] values. Every other error stays an error: `access_denied`
/// (the user said no) and `expired_token` (the device code expired) as [`ErrorKind::OAuth`]
/// with their typed [`OAuthErrorCode`], an unknown code as [`OAuthErrorCode::Other`].
///
/// # Errors
///
/// As [`parse_token_response`], for everything but the two codes that mean "poll again".
///
/// ```
/// use std::time::SystemTime;
/// use idpkit::{OAuthErrorCode, oidc::{DevicePoll, parse_device_token_response}};
/// let resp = |body: &str| http::Response::builder().status(400).header("content-type", "application/json").body(body.as_bytes().to_vec()).unwrap();
/// let poll = parse_device_token_response(resp(r#"{"error":"authorization_pending"}"#), SystemTime::now())?;
/// assert_eq!(poll, DevicePoll::Pending);
/// let err = parse_device_token_response(resp(r#"{"error":"access_denied"}"#), SystemTime::now()).unwrap_err();
/// assert_eq!(err.oauth().unwrap().code, OAuthErrorCode::AccessDenied);
/// # Ok::<(), idpkit::Error>(())
/// ```
pub fn parse_device_token_response(response: HttpResponse, now: SystemTime) -> Result<DevicePoll> {
    match parse_token_response(response, now) {
        Ok(tokens) => Ok(DevicePoll::Granted(tokens)),
        Err(e) => match e.oauth().map(|o| &o.code) {
            Some(OAuthErrorCode::AuthorizationPending) => Ok(DevicePoll::Pending),
            Some(OAuthErrorCode::SlowDown) => Ok(DevicePoll::SlowDown),
            _ => Err(e),
        },
    }
}

/// When to poll next (RFC 8628 §3.5): at the provider's interval (at least one second), 5
/// seconds more after each `slow_down`, doubled after each timeout or lost connection (up to a
/// minute), never past the device code's expiry.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use idpkit::oidc::{DeviceAuthorization, DevicePollSchedule};
/// # let device: DeviceAuthorization = serde_json::from_str(r#"{"device_code":"dc","user_code":"U","verification_uri":"https://op.example/device","expires_at":1000,"interval":2}"#).unwrap();
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(900);
/// let mut schedule = DevicePollSchedule::new(&device);
/// assert_eq!(schedule.next_wait(now), Some(Duration::from_secs(2)));
/// schedule.slow_down();
/// assert_eq!(schedule.next_wait(now), Some(Duration::from_secs(7)));
/// assert_eq!(schedule.next_wait(now + Duration::from_secs(97)), Some(Duration::from_secs(3)));
/// assert_eq!(schedule.next_wait(now + Duration::from_secs(100)), None); // expired
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevicePollSchedule {
    interval: Duration,
    deadline: Duration,
}

impl DevicePollSchedule {
    /// The schedule of this authorization.
    ///
    /// ```
    /// # let device: idpkit::oidc::DeviceAuthorization = serde_json::from_str(r#"{"device_code":"dc","user_code":"U","verification_uri":"https://op.example/device","expires_at":1000,"interval":0}"#).unwrap();
    /// let schedule = idpkit::oidc::DevicePollSchedule::new(&device);
    /// assert_eq!(schedule.interval(), std::time::Duration::from_secs(1)); // never faster
    /// ```
    pub fn new(authorization: &DeviceAuthorization) -> Self {
        DevicePollSchedule {
            interval: authorization.interval().max(MIN_INTERVAL),
            deadline: Duration::from_secs(authorization.expires_at),
        }
    }

    /// The current interval between polls.
    ///
    /// ```
    /// # let device: idpkit::oidc::DeviceAuthorization = serde_json::from_str(r#"{"device_code":"dc","user_code":"U","verification_uri":"https://op.example/device","expires_at":1000,"interval":5}"#).unwrap();
    /// let mut schedule = idpkit::oidc::DevicePollSchedule::new(&device);
    /// schedule.slow_down();
    /// assert_eq!(schedule.interval(), std::time::Duration::from_secs(10));
    /// ```
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// The provider answered `slow_down`: 5 more seconds between polls, from now on.
    ///
    /// ```
    /// # let device: idpkit::oidc::DeviceAuthorization = serde_json::from_str(r#"{"device_code":"dc","user_code":"U","verification_uri":"https://op.example/device","expires_at":1000,"interval":5}"#).unwrap();
    /// let mut schedule = idpkit::oidc::DevicePollSchedule::new(&device);
    /// schedule.slow_down();
    /// schedule.slow_down();
    /// assert_eq!(schedule.interval(), std::time::Duration::from_secs(15));
    /// ```
    pub fn slow_down(&mut self) {
        self.interval = self.interval.saturating_add(SLOW_DOWN_STEP);
    }

    /// A poll timed out or lost its connection: double the interval (up to a minute, or the
    /// current interval if already longer).
    ///
    /// ```
    /// # let device: idpkit::oidc::DeviceAuthorization = serde_json::from_str(r#"{"device_code":"dc","user_code":"U","verification_uri":"https://op.example/device","expires_at":1000,"interval":5}"#).unwrap();
    /// let mut schedule = idpkit::oidc::DevicePollSchedule::new(&device);
    /// schedule.back_off();
    /// assert_eq!(schedule.interval(), std::time::Duration::from_secs(10));
    /// ```
    pub fn back_off(&mut self) {
        let doubled = self.interval.saturating_mul(2).min(MAX_BACKOFF_INTERVAL);
        self.interval = self.interval.max(doubled);
    }

    /// How long to wait before the next poll at `now`: the interval, cut short at the device
    /// code's expiry; `None` once it has expired.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// # let device: idpkit::oidc::DeviceAuthorization = serde_json::from_str(r#"{"device_code":"dc","user_code":"U","verification_uri":"https://op.example/device","expires_at":1000,"interval":5}"#).unwrap();
    /// let schedule = idpkit::oidc::DevicePollSchedule::new(&device);
    /// assert_eq!(schedule.next_wait(SystemTime::UNIX_EPOCH + Duration::from_secs(1000)), None);
    /// ```
    pub fn next_wait(&self, now: SystemTime) -> Option<Duration> {
        let remaining = self.deadline.checked_sub(since_epoch(now))?;
        if remaining.is_zero() {
            return None;
        }
        Some(self.interval.min(remaining))
    }
}

/// The error of a device code that expired before the user answered, as the provider would
/// have said it (`expired_token`, RFC 8628 §3.5).
#[cfg_attr(not(any(feature = "blocking", feature = "async")), allow(dead_code))]
pub(crate) fn device_code_expired() -> Error {
    OAuthError::new(OAuthErrorCode::ExpiredToken)
        .with_description("the device code expired before the user approved it")
        .into()
}

/// A flag that stops a device-flow poll loop (`wait_for_device_authorization`): set it from
/// anywhere (another thread, a Ctrl-C handler, a task) and the loop ends with
/// [`ErrorKind::Cancelled`] within a fraction of a second, without sending another request.
/// Clones share the flag.
///
/// ```
/// let cancel = idpkit::oidc::CancelToken::new();
/// let handle = cancel.clone();
/// assert!(!cancel.is_cancelled());
/// handle.cancel();
/// assert!(cancel.is_cancelled());
/// ```
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A flag not yet set.
    ///
    /// ```
    /// assert!(!idpkit::oidc::CancelToken::new().is_cancelled());
    /// ```
    pub fn new() -> Self {
        CancelToken::default()
    }

    /// Sets the flag.
    ///
    /// ```
    /// let cancel = idpkit::oidc::CancelToken::new();
    /// cancel.cancel();
    /// assert!(cancel.is_cancelled());
    /// ```
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether the flag is set.
    ///
    /// ```
    /// assert!(!idpkit::oidc::CancelToken::default().is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// `Err(Cancelled)` once the flag is set.
    #[cfg_attr(not(any(feature = "blocking", feature = "async")), allow(dead_code))]
    pub(crate) fn check(&self) -> Result<()> {
        if self.is_cancelled() {
            return Err(ErrorKind::Cancelled.into());
        }
        Ok(())
    }
}

/// Parses a device authorization response and a device token response from raw bytes, for the
/// fuzzer: neither may panic, whatever the input.
#[doc(hidden)]
pub fn fuzz_device_responses(status: u16, body: &[u8]) {
    let response = |body: &[u8]| {
        http::Response::builder()
            .status(http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK))
            .header("content-type", "application/json")
            .body(body.to_vec())
            .expect("a response")
    };
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    if let Ok(device) = parse_device_authorization_response(response(body), now) {
        let mut schedule = DevicePollSchedule::new(&device);
        schedule.slow_down();
        schedule.back_off();
        let _ = schedule.next_wait(now);
    }
    let _ = parse_device_token_response(response(body), now);
    let _ = crate::oidc::parse_par_response(response(body), now);
}

#[cfg(test)]
#[path = "device/tests.rs"]
mod tests;
