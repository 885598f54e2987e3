//! `WWW-Authenticate` challenges (RFC 9110 §11.6.1) and the OAuth error of a `Bearer` challenge
//! (RFC 6750 §3), as resource servers and the userinfo endpoint send them.

use http::HeaderMap;
use http::header::WWW_AUTHENTICATE;

use crate::error::{OAuthError, OAuthErrorCode};

/// The credentials of an `Authorization` header (RFC 9110 §11.6.2): its scheme and a
/// non-empty token, as a resource server reads `Bearer` (RFC 6750 §2.1) or `DPoP` (RFC 9449
/// §7.1) tokens. `None` for a missing, non-text or token-less header.
pub(crate) fn authorization(headers: &HeaderMap) -> Option<(&str, &str)> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (!token.is_empty()).then_some((scheme, token))
}

/// The token of an `Authorization: Bearer` header (RFC 6750 §2.1), if any.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let (scheme, token) = authorization(headers)?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token)
}

/// The OAuth error of the first `Bearer` challenge with an `error` in the `WWW-Authenticate`
/// headers (RFC 6750 §3), if any.
pub(crate) fn bearer_challenge_error(headers: &HeaderMap) -> Option<OAuthError> {
    challenge_error(headers, "bearer")
}

/// The OAuth error of the first challenge of `scheme` (`bearer`, or `dpop` for RFC 9449 §7.1)
/// with an `error` in the `WWW-Authenticate` headers, if any.
pub(crate) fn challenge_error(headers: &HeaderMap, scheme: &str) -> Option<OAuthError> {
    headers
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(parse_challenges)
        .filter(|(name, _)| name.eq_ignore_ascii_case(scheme))
        .find_map(|(_, params)| {
            let get = |name: &str| {
                params
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.clone())
                    .filter(|v| !v.is_empty())
            };
            let mut error = OAuthError::new(OAuthErrorCode::from(get("error")?.as_str()));
            error.description = get("error_description");
            error.uri = get("error_uri");
            Some(error)
        })
}

type Challenge = (String, Vec<(String, String)>);

/// The challenges of a `WWW-Authenticate` value (RFC 9110 §11.6.1): each scheme with its
/// auth-params (token or quoted-string values). Lenient: what it cannot read, such as a
/// token68, it skips or mislabels, never panicking.
fn parse_challenges(value: &str) -> Vec<Challenge> {
    fn is_tchar(b: u8) -> bool {
        b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
    }
    let bytes = value.as_bytes();
    let skip_space = |mut i: usize| {
        while i < bytes.len() && matches!(bytes[i], b' ' | b'\t') {
            i += 1;
        }
        i
    };
    let mut challenges: Vec<Challenge> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !is_tchar(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_tchar(bytes[i]) {
            i += 1;
        }
        let token = &value[start..i];
        let after = skip_space(i);
        if bytes.get(after) != Some(&b'=') {
            challenges.push((token.to_owned(), Vec::new()));
            continue;
        }
        i = skip_space(after + 1);
        let mut param = String::new();
        if bytes.get(i) == Some(&b'"') {
            i += 1;
            while i < bytes.len() && bytes[i] != b'"' {
                if bytes[i] == b'\\' && i + 1 < bytes.len() {
                    i += 1;
                }
                param.push(char::from(bytes[i]));
                i += 1;
            }
            i += 1;
        } else {
            let start = i;
            while i < bytes.len() && is_tchar(bytes[i]) {
                i += 1;
            }
            param.push_str(&value[start..i]);
        }
        if let Some((_, params)) = challenges.last_mut() {
            params.push((token.to_owned(), param));
        }
    }
    challenges
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_parsing() {
        let value =
            r#"Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple""#;
        let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        let expected = [
            (
                "Newauth".to_owned(),
                pairs(&[
                    ("realm", "apps"),
                    ("type", "1"),
                    ("title", "Login to \"apps\""),
                ]),
            ),
            ("Basic".to_owned(), pairs(&[("realm", "simple")])),
        ];
        assert_eq!(parse_challenges(value), expected);
        let c = parse_challenges("bearer error = \"invalid_token\"");
        assert_eq!(c[0].1, pairs(&[("error", "invalid_token")]));
        let garbage = "|\"|=|==|Bearer error=\"open|Bearer error=\"x\\|,,,|Basic dXNlcjpwYXNz==|\
                       Bearer =x|a=b|\t Bearer\t|";
        for value in garbage.split('|') {
            let _ = parse_challenges(value);
        }
        let mut headers = HeaderMap::new();
        headers.append(WWW_AUTHENTICATE, "Basic realm=\"x\"".parse().unwrap());
        let bearer = "Bearer error=\"invalid_token\", error_uri=\"https://e\"";
        headers.append(WWW_AUTHENTICATE, bearer.parse().unwrap());
        let e = bearer_challenge_error(&headers).unwrap();
        assert_eq!(
            (e.code, e.uri.as_deref()),
            (OAuthErrorCode::InvalidToken, Some("https://e"))
        );
        let not_ascii = http::HeaderValue::from_bytes(b"Bearer error=\"\xff\"").unwrap();
        headers.insert(WWW_AUTHENTICATE, not_ascii);
        assert!(bearer_challenge_error(&headers).is_none());
    }

    proptest::proptest! {
        #[test]
        fn challenge_parser_never_panics(header in "[ -~]{0,60}") {
            let _ = parse_challenges(&header);
        }
    }
}
