//! Key formats shared by every key type of the crate (agent and DPoP keys, client-assertion
//! keys, login-type keys): PEM blocks (RFC 7468) and the PKCS#8 wrapper of an RSA key
//! (RFC 5208). Pure; each caller turns `None` into its own typed error.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

/// The DER inside the first PEM block whose label `label` accepts (`|l| l == "PUBLIC KEY"`);
/// `None` when there is none or its body is not base64. The text between the lines is
/// whitespace-insensitive; the decoded bytes are wiped on drop.
pub(crate) fn pem_decode(pem: &str, label: impl Fn(&str) -> bool) -> Option<Zeroizing<Vec<u8>>> {
    let mut rest = pem;
    loop {
        let start = rest.find("-----BEGIN ")?;
        let after = &rest[start + "-----BEGIN ".len()..];
        let (name, body) = after.split_once("-----")?;
        if label(name) {
            let end = format!("-----END {name}-----");
            let (body, _) = body.split_once(end.as_str())?;
            let b64: Zeroizing<String> =
                Zeroizing::new(body.chars().filter(|c| !c.is_ascii_whitespace()).collect());
            return STANDARD.decode(b64.as_bytes()).ok().map(Zeroizing::new);
        }
        rest = body;
    }
}

/// `der` as a PEM block labelled `label`, 64 characters a line.
pub(crate) fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = Zeroizing::new(STANDARD.encode(der));
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// A DER element at the start of `input`: its tag, its content and what follows it.
fn der_element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The PKCS#1 `RSAPrivateKey` inside a PKCS#8 `PrivateKeyInfo` for `rsaEncryption` (RFC 5208
/// §5), which jsonwebtoken signs with; `None` when `der` is not one.
pub(crate) fn pkcs8_rsa_key(der: &[u8]) -> Option<&[u8]> {
    const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    let (0x30, info, _) = der_element(der)? else {
        return None;
    };
    let (0x02, _version, rest) = der_element(info)? else {
        return None;
    };
    let (0x30, algorithm, rest) = der_element(rest)? else {
        return None;
    };
    let (0x06, oid, _) = der_element(algorithm)? else {
        return None;
    };
    if oid != RSA_ENCRYPTION {
        return None;
    }
    let (0x04, key, _) = der_element(rest)? else {
        return None;
    };
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_round_trip_and_labels() {
        let der = (0u8..200).collect::<Vec<_>>();
        let pem = format!(
            "junk\n{}{}",
            pem_encode("PUBLIC KEY", b"x"),
            pem_encode("PRIVATE KEY", &der)
        );
        assert_eq!(
            pem_decode(&pem, |l| l == "PRIVATE KEY").unwrap().as_slice(),
            der
        );
        assert_eq!(
            pem_decode(&pem, |l| l == "PUBLIC KEY").unwrap().as_slice(),
            b"x"
        );
        assert!(pem_decode(&pem, |l| l == "CERTIFICATE").is_none());
        assert!(
            pem_decode(
                "-----BEGIN PRIVATE KEY-----\n!!\n-----END PRIVATE KEY-----",
                |_| true
            )
            .is_none()
        );
        assert!(
            pem_decode("-----BEGIN PRIVATE KEY-----\nAAAA\n", |_| true).is_none(),
            "no END line"
        );
    }

    #[test]
    fn malformed_der_is_none() {
        for der in [
            &[][..],
            &[0x30],
            &[0x30, 0x85, 1, 1, 1, 1, 1],
            &[0x30, 0x05, 0x02],
        ] {
            assert_eq!(pkcs8_rsa_key(der), None);
        }
    }
}
