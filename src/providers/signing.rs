//! Pieces shared by the request signers: RFC 3986 encoding (unreserved `A-Za-z0-9-_.~` kept,
//! everything else `%XX` in uppercase hex), the canonical query string, SHA-256 and
//! HMAC-SHA256 in lowercase hex.

use hmac::{Hmac, Mac};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};

const ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// RFC 3986 encoding: space → `%20`, `*` → `%2A`, `~` kept.
pub fn encode(s: &str) -> String {
    utf8_percent_encode(s, ENCODE).to_string()
}

/// Names and values encoded once, sorted (by name, then value), `name=value` joined by `&`;
/// an empty value renders as `name=`.
pub fn canonical_query(query: &[(String, String)]) -> String {
    let mut pairs: Vec<(String, String)> =
        query.iter().map(|(k, v)| (encode(k), encode(v))).collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// The `Name=value` fields of an `Authorization` header after its algorithm name, split at
/// commas: (credential field, signed header names, signature).
pub fn parse_authorization(
    header: &str,
    algorithm: &str,
    credential: &str,
) -> Option<(String, Vec<String>, String)> {
    let rest = header.strip_prefix(algorithm)?.trim();
    let (mut cred, mut names, mut sig) = (None, None, None);
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        match k {
            "SignedHeaders" => names = Some(v.split(';').map(String::from).collect()),
            "Signature" => sig = Some(v.to_string()),
            k if k == credential => cred = Some(v.to_string()),
            _ => {}
        }
    }
    Some((cred?, names?, sig?))
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

pub fn hmac_sha256_hex(secret: &str, message: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes any key length");
    mac.update(message.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// A signer's date format (`format_description!`).
pub type DateFormat = &'static [time::format_description::BorrowedFormatItem<'static>];

/// `t` in UTC, formatted as `f`.
pub fn utc_date(t: time::OffsetDateTime, f: DateFormat) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(f)
        .unwrap_or_default()
}

/// A UTC date formatted as `f`.
pub fn parse_utc_date(s: &str, f: DateFormat) -> Option<time::OffsetDateTime> {
    time::PrimitiveDateTime::parse(s, f)
        .ok()
        .map(|p| p.assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn official_helper_vectors() {
        // darabonba-openapi utils tests: HexEncode(Hash("test")) and GetEncodeParam
        assert_eq!(
            sha256_hex(b"test"),
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
        );
        assert_eq!(encode("a/b/c/ test"), "a%2Fb%2Fc%2F%20test");
        assert_eq!(encode("*~"), "%2A~");
    }
}
