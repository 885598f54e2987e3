//! What the fuzz targets share: an HTTP response read from the fuzzer's bytes, the fixed clock,
//! and the fixed signing keys of the ID-token and JWKS targets.
//!
//! Nothing here is part of idpkit: it only turns bytes into the inputs of idpkit's public parse
//! functions.

use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderName, HeaderValue, StatusCode};
use idpkit::http::HttpResponse;
use idpkit::oidc::Jwks;
use jsonwebtoken::{Algorithm, AlgorithmFamily, EncodingKey};

/// The fixed "now" of every target: 2023-11-14T22:13:20Z.
pub const NOW_SECS: u64 = 1_700_000_000;

/// [`NOW_SECS`] as a time.
pub fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW_SECS)
}

/// An HTTP response from fuzz input, in a shape seeds are easy to write by hand:
///
/// ```text
/// 401
/// content-type: application/json
/// www-authenticate: Bearer error="invalid_token"
///
/// {"error":"invalid_token"}
/// ```
///
/// The first line is the status (an `HTTP/1.1 ` prefix is skipped; an invalid status reads as
/// 200), then one header per line, a blank line, and the body. Header lines that are not valid
/// HTTP are skipped. Without a blank line the whole input is the body of a `200` answer with
/// `content-type: application/json`, so that raw JSON documents work as seeds too.
pub fn response(data: &[u8]) -> HttpResponse {
    let split = data
        .windows(2)
        .position(|w| w == b"\n\n")
        .map(|at| (&data[..at], &data[at + 2..]));
    let mut builder = http::Response::builder();
    let body = match split {
        None => {
            builder = builder.header("content-type", "application/json");
            data
        }
        Some((head, body)) => {
            let mut lines = head.split(|&b| b == b'\n');
            let status = lines.next().unwrap_or_default();
            let status = status.strip_prefix(b"HTTP/1.1 ").unwrap_or(status);
            let status = status.get(..3).unwrap_or(status);
            builder = builder.status(StatusCode::from_bytes(status).unwrap_or(StatusCode::OK));
            for line in lines {
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                let Some(colon) = line.iter().position(|&b| b == b':') else {
                    continue;
                };
                let (name, value) = (&line[..colon], line[colon + 1..].trim_ascii());
                if let (Ok(name), Ok(value)) =
                    (HeaderName::from_bytes(name), HeaderValue::from_bytes(value))
                {
                    builder = builder.header(name, value);
                }
            }
            body
        }
    };
    builder
        .body(body.to_vec())
        .expect("status and headers were validated")
}

/// Whether `secret` leaks into `shown` (a `Debug` or `Display` output), as far as can be told:
/// `redacted` is the same output with every secret replaced by `x`. Only secrets of 8 or more
/// token characters (which `Debug` prints as they are) that `redacted` does not contain anyway
/// are judged.
pub fn leaks(secret: &str, shown: &str, redacted: &str) -> bool {
    let judged = secret.len() >= 8
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b))
        && !redacted.contains(secret);
    judged && shown.contains(secret)
}

/// The issuer the ID-token targets expect.
pub const ISSUER: &str = "https://op.example";
/// The client id the ID-token targets expect.
pub const CLIENT_ID: &str = "my-app";
/// The nonce of the fixed authorization request.
pub const NONCE: &str = "n-0S6_WzA2Mj";

/// The fixed signing keys (generated once for fuzzing, used nowhere else) and their public JWK
/// Set: `rsa` (RS*/PS*), `ec` (P-256), `ec384` (P-384), `ed` (Ed25519), each with `use: sig`
/// and no `alg`.
pub struct Keys {
    rsa: EncodingKey,
    ec: EncodingKey,
    ec384: EncodingKey,
    ed: EncodingKey,
    hmac: EncodingKey,
    /// The public JWK Set, as JSON.
    pub jwks_json: String,
    /// The same, parsed.
    pub jwks: Jwks,
}

/// The fixed keys, built on first use.
pub fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let rsa = EncodingKey::from_rsa_der(include_bytes!("../keys/rsa-pkcs1.der"));
        let ec = EncodingKey::from_ec_der(include_bytes!("../keys/ec-p256-pkcs8.der"));
        let ec384 = EncodingKey::from_ec_der(include_bytes!("../keys/ec-p384-pkcs8.der"));
        let ed = EncodingKey::from_ed_der(include_bytes!("../keys/ed25519-pkcs8.der"));
        let public = |key: &EncodingKey, alg: Algorithm, kid: &str| {
            let jwk = jsonwebtoken::jwk::Jwk::from_encoding_key(key, alg).expect("public JWK");
            let mut jwk = serde_json::to_value(jwk).expect("JWK as JSON");
            let member = jwk.as_object_mut().expect("a JWK is an object");
            member.remove("alg");
            member.insert("kid".into(), kid.into());
            member.insert("use".into(), "sig".into());
            jwk
        };
        let set = serde_json::json!({"keys": [
            public(&rsa, Algorithm::RS256, "rsa"),
            public(&ec, Algorithm::ES256, "ec"),
            public(&ec384, Algorithm::ES384, "ec384"),
            public(&ed, Algorithm::EdDSA, "ed"),
        ]});
        let jwks_json = set.to_string();
        let jwks = Jwks::from_json(jwks_json.as_bytes()).expect("the fixture JWKS parses");
        assert_eq!(jwks.len(), 4, "every fixture key is usable");
        Keys {
            rsa,
            ec,
            ec384,
            ed,
            hmac: EncodingKey::from_secret(b"not-a-provider-key"),
            jwks_json,
            jwks,
        }
    })
}

impl Keys {
    /// Signs `header.payload` (both raw JSON, base64url-encoded here) with the key for `alg`:
    /// the RSA key for RS*/PS*, the P-256 or P-384 key for ES256/ES384, the Ed25519 key for
    /// EdDSA, a shared secret for HS*. The signature segment is empty when the key cannot sign
    /// with `alg`.
    pub fn sign(&self, alg: Option<Algorithm>, header: &[u8], payload: &[u8]) -> String {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let message = format!("{}.{}", b64.encode(header), b64.encode(payload));
        let key = alg.map(|alg| match (alg.family(), alg) {
            (AlgorithmFamily::Rsa, _) => &self.rsa,
            (AlgorithmFamily::Ec, Algorithm::ES384) => &self.ec384,
            (AlgorithmFamily::Ec, _) => &self.ec,
            (AlgorithmFamily::Ed, _) => &self.ed,
            (AlgorithmFamily::Hmac, _) => &self.hmac,
        });
        let signature = match (key, alg) {
            (Some(key), Some(alg)) => {
                jsonwebtoken::crypto::sign(message.as_bytes(), key, alg).unwrap_or_default()
            }
            _ => String::new(),
        };
        format!("{message}.{signature}")
    }
}
