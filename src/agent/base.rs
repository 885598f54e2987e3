//! The RFC 9421 signature base (§2.5) and the component values it is made of (§2.1, §2.2),
//! shared by the signer and the verifier.

use std::fmt::Write as _;

use super::SignatureError;
use crate::http::HttpRequest;

/// The derived components idpkit computes (RFC 9421 §2.2).
pub(crate) const DERIVED: [&str; 4] = ["@method", "@authority", "@path", "@query"];

/// Writes the signature base for `components` and the serialised `@signature-params` value
/// `params` (RFC 9421 §2.5): one `"<id>": <value>` line per component, then the
/// `"@signature-params"` line, no trailing LF.
pub(crate) fn write_base<'c>(
    request: &HttpRequest,
    components: impl Iterator<Item = &'c str> + Clone,
    params: &str,
    out: &mut String,
) -> Result<(), SignatureError> {
    for (i, id) in components.clone().enumerate() {
        if components.clone().take(i).any(|seen| seen == id) {
            return Err(SignatureError::BadComponent(id.to_owned()));
        }
        out.push('"');
        out.push_str(id);
        out.push_str("\": ");
        write_value(request, id, out)?;
        out.push('\n');
    }
    out.push_str("\"@signature-params\": ");
    out.push_str(params);
    Ok(())
}

fn write_value(request: &HttpRequest, id: &str, out: &mut String) -> Result<(), SignatureError> {
    let uri = request.uri();
    match id {
        "@method" => out.push_str(request.method().as_str()),
        "@authority" => write_authority(request, out)?,
        "@path" => match uri.path() {
            "" => out.push('/'),
            path => out.push_str(path),
        },
        "@query" => {
            out.push('?');
            out.push_str(uri.query().unwrap_or(""));
        }
        field if is_field_name(field) => {
            let mut first = true;
            for value in request.headers().get_all(field) {
                let value = value.to_str().map_err(|_| {
                    SignatureError::InvalidRequest("a covered field value is not visible ASCII")
                })?;
                if !first {
                    out.push_str(", ");
                }
                first = false;
                out.push_str(value.trim_matches([' ', '\t']));
            }
            if first {
                return Err(SignatureError::BadComponent(field.to_owned()));
            }
        }
        other => return Err(SignatureError::BadComponent(other.to_owned())),
    }
    Ok(())
}

/// `@authority` (RFC 9421 §2.2.3): the URI's authority, or the `Host` field of an origin-form
/// request; lowercase, without user info, without the scheme's default port.
fn write_authority(request: &HttpRequest, out: &mut String) -> Result<(), SignatureError> {
    let uri = request.uri();
    if let Some(authority) = uri.authority() {
        push_lower(out, authority.host());
        let default = match uri.scheme_str() {
            Some("https") => Some(443),
            Some("http") => Some(80),
            _ => None,
        };
        if let Some(port) = authority.port_u16().filter(|p| Some(*p) != default) {
            let _ = write!(out, ":{port}");
        }
        return Ok(());
    }
    let host = request
        .headers()
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|h| h.trim_matches([' ', '\t']))
        .filter(|h| !h.is_empty())
        .ok_or(SignatureError::InvalidRequest(
            "the request has neither an authority nor a Host field",
        ))?;
    push_lower(out, host);
    Ok(())
}

fn push_lower(out: &mut String, s: &str) {
    out.extend(s.chars().map(|c| c.to_ascii_lowercase()));
}

/// A lowercase HTTP field name (RFC 9110 token), as RFC 9421 §2.1 requires of identifiers.
fn is_field_name(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || b"!#$%&'*+-.^_`|~".contains(&c)
        })
}
