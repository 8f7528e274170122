//! The sandbox's own signature verifiers, written from the API documents (API-FACTS.md §6a
//! and §6c) independently of the clients' signers: each rebuilds the canonical request from
//! the request as received — exactly the headers its `SignedHeaders` names — and recomputes
//! the HMAC-SHA256 with the secret the sandbox issued. What both algorithms share is here:
//! RFC 3986 encoding (`A-Za-z0-9-_.~` kept), the sorted canonical query, the canonical header
//! block, hex SHA-256 / HMAC-SHA256 and the `Authorization` header's fields.

pub mod acs3;
pub mod sdk_hmac;
pub mod v2rpc;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// A request as it arrived, the parts a signature covers.
pub struct Received<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// Query parameters, decoded, in the order sent.
    pub query: &'a [(String, String)],
    /// Every header received (any case; a name may repeat).
    pub headers: &'a [(String, String)],
}

impl Received<'_> {
    /// The values of header `name` (case-insensitive), in the order received.
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// The fields of an `Authorization` header.
#[derive(Debug, PartialEq, Eq)]
pub struct Authorization {
    /// The access key (`Credential=` / `Access=`).
    pub key: String,
    /// `SignedHeaders`, lowercase, in the order given.
    pub signed: Vec<String>,
    pub signature: String,
}

impl Authorization {
    /// `<algorithm> <key_field>=…, SignedHeaders=…, Signature=…` (fields split at commas,
    /// spaces around them ignored); `None` for another algorithm or a missing field.
    pub fn parse(header: &str, algorithm: &str, key_field: &str) -> Option<Authorization> {
        let rest = header.strip_prefix(algorithm)?.strip_prefix(' ')?;
        let (mut key, mut signed, mut signature) = (None, None, None);
        for field in rest.split(',') {
            let (name, value) = field.trim().split_once('=')?;
            match name {
                "SignedHeaders" => {
                    signed = Some(value.split(';').map(|n| n.to_ascii_lowercase()).collect())
                }
                "Signature" => signature = Some(value.to_string()),
                n if n == key_field => key = Some(value.to_string()),
                _ => {}
            }
        }
        Some(Authorization {
            key: key?,
            signed: signed?,
            signature: signature?,
        })
    }
}

/// What names a signature algorithm on the wire: its `Authorization` prefix, the field that
/// carries the access key, and the format of its date header.
pub struct Scheme {
    pub algorithm: &'static str,
    pub key_field: &'static str,
    pub date: &'static [time::format_description::BorrowedFormatItem<'static>],
}

impl Scheme {
    /// The `Authorization` header's fields.
    pub fn authorization(&self, header: &str) -> Option<Authorization> {
        Authorization::parse(header, self.algorithm, self.key_field)
    }

    /// The date header's time (UTC).
    pub fn parse_date(&self, s: &str) -> Option<time::OffsetDateTime> {
        time::PrimitiveDateTime::parse(s, self.date)
            .ok()
            .map(|p| p.assume_utc())
    }
}

/// The path with each `/`-separated segment encoded.
pub fn encode_path(path: &str) -> String {
    let segments: Vec<String> = path.split('/').map(encode).collect();
    segments.join("/")
}

/// RFC 3986 encoding of every byte outside `A-Za-z0-9-_.~`, as `%XX` in uppercase hex.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Names and values encoded once, sorted by name then value, `name=value` joined by `&`.
pub fn canonical_query(query: &[(String, String)]) -> String {
    let mut pairs: Vec<(String, String)> =
        query.iter().map(|(k, v)| (encode(k), encode(v))).collect();
    pairs.sort();
    let text: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    text.join("&")
}

/// `name:value\n` for each signed name in the order given: the header's values trimmed,
/// sorted and joined by `,` (a header named twice, in any case, is one entry).
pub fn canonical_headers(r: &Received, signed: &[String]) -> String {
    signed
        .iter()
        .map(|name| {
            let mut values: Vec<&str> = r.header_values(name).into_iter().map(str::trim).collect();
            values.sort_unstable();
            format!("{name}:{}\n", values.join(","))
        })
        .collect()
}

/// The canonical request both gateways rebuild: the method, the path (as the scheme's
/// `uri` renders it), the query, the `signed` headers and their names, the payload's hash.
pub fn canonical_request(r: &Received, uri: String, signed: &[String], payload: &str) -> String {
    format!(
        "{}\n{uri}\n{}\n{}\n{}\n{payload}",
        r.method.to_ascii_uppercase(),
        canonical_query(r.query),
        canonical_headers(r, signed),
        signed.join(";"),
    )
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

pub fn hmac_sha256_hex(secret: &str, message: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(message.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Two signatures compared without an early exit on the first differing byte.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0, |d, (x, y)| d | (x ^ y)) == 0
}

/// Helpers of the verifiers' tests.
#[cfg(test)]
pub mod testing {
    /// Owned (name, value) pairs.
    pub fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// A `SignedHeaders` list.
    pub fn names(s: &str) -> Vec<String> {
        s.split(';').map(String::from).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::testing::pairs;
    use super::*;

    #[test]
    fn helper_vectors() {
        // darabonba-openapi utils tests (API-FACTS.md §6a)
        assert_eq!(
            sha256_hex(b"test"),
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
        );
        assert_eq!(encode("a/b/c/ test"), "a%2Fb%2Fc%2F%20test");
        // Go SDK TestSigner_canonicalQueryString (API-FACTS.md §6c)
        let q = pairs(&[
            ("limit", "1"),
            ("enable", "true"),
            ("test", "一 (&=?!#%.*)"),
            ("path", "/tmp/123"),
            ("multi", "3"),
            ("multi", "1"),
            ("multi", "2"),
        ]);
        assert_eq!(
            canonical_query(&q),
            "enable=true&limit=1&multi=1&multi=2&multi=3&path=%2Ftmp%2F123&test=%E4%B8%80%20%28%26%3D%3F%21%23%25.%2A%29"
        );
    }

    #[test]
    fn authorization_fields() {
        let a = Authorization::parse(
            "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;X-Sdk-Date, Signature=abc",
            "SDK-HMAC-SHA256",
            "Access",
        )
        .unwrap();
        assert_eq!(a.key, "AK");
        assert_eq!(a.signed, vec!["host", "x-sdk-date"]);
        assert_eq!(a.signature, "abc");
        assert!(
            Authorization::parse("ACS3-HMAC-SHA256 Credential=x", "SDK-HMAC-SHA256", "Access")
                .is_none()
        );
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("ab", "abc"));
    }
}
