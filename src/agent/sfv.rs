//! A small strict parser for the RFC 8941 / RFC 9651 structured-field dictionaries RFC 9421
//! uses (`Signature-Input`, `Signature`, `Content-Digest`), and the serialisers the signer needs.
//! It follows RFC 8941 §4.2 step by step; on any deviation it fails, and a later member with
//! the same key replaces an earlier one (§4.2.2).

use super::SignatureError;

/// The longest field value accepted, in bytes: beyond it the field is rejected unparsed.
pub(crate) const MAX_FIELD_LEN: usize = 16 * 1024;

/// A bare item (RFC 8941 §3.3). Decimals are checked but not kept: RFC 9421 uses none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Bare<'a> {
    Integer(i64),
    Decimal,
    String(String),
    Token(&'a str),
    Bytes(Vec<u8>),
    Boolean(bool),
}

/// Parameters in order of appearance (a repeated key keeps its first position, last value).
pub(crate) type Params<'a> = Vec<(&'a str, Bare<'a>)>;

/// A dictionary member's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value<'a> {
    Item(Bare<'a>, Params<'a>),
    InnerList(Vec<(Bare<'a>, Params<'a>)>, Params<'a>),
}

/// One dictionary member: its key, value, and the exact bytes of the value as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member<'a> {
    pub(crate) key: &'a str,
    pub(crate) value: Value<'a>,
    pub(crate) raw: &'a str,
}

/// Looks a parameter up by key.
pub(crate) fn param<'p, 'a>(params: &'p Params<'a>, key: &str) -> Option<&'p Bare<'a>> {
    params.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
}

struct Parser<'a> {
    input: &'a str,
    pos: usize,
    field: &'static str,
}

type Res<T> = Result<T, SignatureError>;

impl<'a> Parser<'a> {
    fn err<T>(&self, problem: &'static str) -> Res<T> {
        Err(SignatureError::MalformedField {
            field: self.field,
            problem,
        })
    }

    fn peek(&self) -> Option<u8> {
        self.input.as_bytes().get(self.pos).copied()
    }

    fn skip_sp(&mut self) {
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
    }

    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    fn key(&mut self) -> Res<&'a str> {
        let start = self.pos;
        match self.peek() {
            Some(b'a'..=b'z' | b'*') => self.pos += 1,
            _ => return self.err("a key must start with a lowercase letter or `*`"),
        }
        while matches!(
            self.peek(),
            Some(b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'.' | b'*')
        ) {
            self.pos += 1;
        }
        Ok(&self.input[start..self.pos])
    }

    fn bare(&mut self) -> Res<Bare<'a>> {
        match self.peek() {
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'"') => self.string(),
            Some(b'*' | b'a'..=b'z' | b'A'..=b'Z') => self.token(),
            Some(b':') => self.bytes(),
            Some(b'?') => self.boolean(),
            _ => self.err("not a bare item"),
        }
    }

    fn number(&mut self) -> Res<Bare<'a>> {
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        let start = self.pos;
        let mut dot = None;
        while let Some(c) = self.peek() {
            match c {
                b'0'..=b'9' => {}
                b'.' if dot.is_none() => {
                    if self.pos - start > 12 {
                        return self.err("decimal with more than 12 integer digits");
                    }
                    dot = Some(self.pos);
                }
                _ => break,
            }
            self.pos += 1;
            if dot.is_none() && self.pos - start > 15 {
                return self.err("integer with more than 15 digits");
            }
        }
        let digits = &self.input[start..self.pos];
        if digits.is_empty() || !digits.as_bytes()[0].is_ascii_digit() {
            return self.err("a number must start with a digit");
        }
        match dot {
            None => {
                let n: i64 = digits.parse().or_else(|_| self.err("bad integer"))?;
                Ok(Bare::Integer(if negative { -n } else { n }))
            }
            Some(d) => {
                let frac = self.pos - d - 1;
                if frac == 0 || frac > 3 {
                    return self.err("a decimal needs 1 to 3 fractional digits");
                }
                Ok(Bare::Decimal)
            }
        }
    }

    fn string(&mut self) -> Res<Bare<'a>> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            match self.peek() {
                None => return self.err("unterminated string"),
                Some(b'\\') => {
                    self.pos += 1;
                    match self.peek() {
                        Some(c @ (b'"' | b'\\')) => out.push(char::from(c)),
                        _ => return self.err("bad escape in string"),
                    }
                }
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Bare::String(out));
                }
                Some(c @ 0x20..=0x7e) => out.push(char::from(c)),
                Some(_) => return self.err("non-printable character in string"),
            }
            self.pos += 1;
        }
    }

    fn token(&mut self) -> Res<Bare<'a>> {
        let start = self.pos;
        self.pos += 1;
        while let Some(c) = self.peek() {
            let tchar = c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~:/".contains(&c);
            if !tchar {
                break;
            }
            self.pos += 1;
        }
        Ok(Bare::Token(&self.input[start..self.pos]))
    }

    fn bytes(&mut self) -> Res<Bare<'a>> {
        use base64::Engine;
        self.pos += 1;
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c == b':' {
                let b64 = &self.input[start..self.pos];
                self.pos += 1;
                return base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .map(Bare::Bytes)
                    .or_else(|_| self.err("bad base64 in byte sequence"));
            }
            if !(c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=')) {
                return self.err("bad character in byte sequence");
            }
            self.pos += 1;
        }
        self.err("unterminated byte sequence")
    }

    fn boolean(&mut self) -> Res<Bare<'a>> {
        self.pos += 1;
        let b = match self.peek() {
            Some(b'1') => true,
            Some(b'0') => false,
            _ => return self.err("a boolean is ?0 or ?1"),
        };
        self.pos += 1;
        Ok(Bare::Boolean(b))
    }

    fn params(&mut self) -> Res<Params<'a>> {
        let mut params: Params<'a> = Vec::new();
        while self.peek() == Some(b';') {
            self.pos += 1;
            self.skip_sp();
            let key = self.key()?;
            let value = if self.peek() == Some(b'=') {
                self.pos += 1;
                self.bare()?
            } else {
                Bare::Boolean(true)
            };
            match params.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = value,
                None => params.push((key, value)),
            }
        }
        Ok(params)
    }

    fn item_or_inner_list(&mut self) -> Res<Value<'a>> {
        if self.peek() != Some(b'(') {
            let bare = self.bare()?;
            return Ok(Value::Item(bare, self.params()?));
        }
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            self.skip_sp();
            if self.peek() == Some(b')') {
                self.pos += 1;
                return Ok(Value::InnerList(items, self.params()?));
            }
            let bare = self.bare()?;
            items.push((bare, self.params()?));
            if !matches!(self.peek(), Some(b' ' | b')')) {
                return self.err("inner list items must be separated by spaces");
            }
        }
    }
}

/// Parses a dictionary (RFC 8941 §4.2.2). Several field lines must be joined with `, ` first.
pub(crate) fn parse_dictionary<'a>(
    input: &'a str,
    field: &'static str,
) -> Result<Vec<Member<'a>>, SignatureError> {
    if input.len() > MAX_FIELD_LEN {
        return Err(SignatureError::MalformedField {
            field,
            problem: "the field is too long",
        });
    }
    let mut p = Parser {
        input,
        pos: 0,
        field,
    };
    p.skip_sp();
    let mut members: Vec<Member<'a>> = Vec::new();
    while p.pos < input.len() {
        let key = p.key()?;
        let start;
        let value = if p.peek() == Some(b'=') {
            p.pos += 1;
            start = p.pos;
            p.item_or_inner_list()?
        } else {
            start = p.pos;
            Value::Item(Bare::Boolean(true), p.params()?)
        };
        let member = Member {
            key,
            value,
            raw: &input[start..p.pos],
        };
        match members.iter_mut().find(|m| m.key == key) {
            Some(slot) => *slot = member,
            None => members.push(member),
        }
        p.skip_ows();
        if p.pos == input.len() {
            return Ok(members);
        }
        if p.peek() != Some(b',') {
            return p.err("members must be separated by commas");
        }
        p.pos += 1;
        p.skip_ows();
        if p.pos == input.len() {
            return p.err("trailing comma");
        }
    }
    Ok(members)
}

/// Serialises `value` as an sf-string (RFC 8941 §4.1.6).
///
/// # Errors
///
/// [`SignatureError::InvalidRequest`] for characters outside printable ASCII.
pub(crate) fn write_string(out: &mut String, value: &str) -> Result<(), SignatureError> {
    out.push('"');
    for c in value.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => {
                return Err(SignatureError::InvalidRequest(
                    "a signature parameter is not printable ASCII",
                ));
            }
        }
    }
    out.push('"');
    Ok(())
}

/// Whether `key` is a valid dictionary key (RFC 8941 §3.1.2), e.g. a signature label.
pub(crate) fn is_key(key: &str) -> bool {
    let b = key.as_bytes();
    matches!(b.first(), Some(b'a'..=b'z' | b'*'))
        && b.iter()
            .all(|c| matches!(c, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'.' | b'*'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_signature_input_and_keeps_raw_bytes() {
        let input = r#"sig1=("@method" "@path");created=1;keyid="k\"1", sig2=:AAE=:;x"#;
        let d = parse_dictionary(input, "signature-input").unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].raw, r#"("@method" "@path");created=1;keyid="k\"1""#);
        let Value::InnerList(items, params) = &d[0].value else {
            panic!()
        };
        assert_eq!(items[0].0, Bare::String("@method".into()));
        assert_eq!(param(params, "keyid"), Some(&Bare::String("k\"1".into())));
        assert_eq!(
            d[1].value,
            Value::Item(Bare::Bytes(vec![0, 1]), vec![("x", Bare::Boolean(true))])
        );
    }

    #[test]
    fn rejects_malformed_input() {
        for bad in [
            "sig1=(",
            "sig1=(\"a\"\"b\")",
            "Sig1=1",
            "sig1=1,",
            "sig1=1 sig2=2",
            "sig1=\"unterminated",
            "sig1=:not base64!:",
            "sig1=?2",
            "sig1=1234567890123456",
            "sig1=1.2345",
            "sig1=\"\u{e9}\"",
            "sig1=-",
            "sig1=1;",
        ] {
            assert!(
                matches!(
                    parse_dictionary(bad, "signature"),
                    Err(SignatureError::MalformedField { .. })
                ),
                "{bad:?}"
            );
        }
        assert!(parse_dictionary(&"a".repeat(MAX_FIELD_LEN + 1), "signature").is_err());
    }

    #[test]
    fn later_member_replaces_earlier() {
        let d = parse_dictionary("a=1, b=2, a=3", "signature").unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].value, Value::Item(Bare::Integer(3), vec![]));
        assert_eq!(d[0].raw, "3");
    }
}
