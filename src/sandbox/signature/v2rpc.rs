//! Verifying Alibaba Cloud's V2 RPC signature (`SignatureMethod=HMAC-SHA1`,
//! `SignatureVersion=1.0`, API-FACTS.md §6b), as the gateway does for the older SDKs: every
//! parameter but `Signature` (query string and form body alike) is encoded, sorted and joined,
//! the result encoded once more behind the HTTP method and `%2F`, and signed with
//! HMAC-SHA1 keyed by the secret and `&`, in Base64.
//!
//! Invariant: written from the published algorithm, sharing only RFC 3986 encoding and the
//! canonical query with the V3 verifier; no client code is involved.

use super::{canonical_query, encode};
use base64::Engine;
use hmac::{Hmac, Mac};

pub const METHOD: &str = "HMAC-SHA1";
pub const VERSION: &str = "1.0";

/// `Timestamp`: `yyyy-MM-ddTHH:mm:ssZ`, UTC.
pub const TIMESTAMP: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");

/// `METHOD&%2F&<the canonical query, encoded again>` over every parameter but `Signature`.
pub fn string_to_sign(method: &str, params: &[(String, String)]) -> String {
    let signed: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "Signature")
        .cloned()
        .collect();
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        encode("/"),
        encode(&canonical_query(&signed))
    )
}

/// The signature the request should carry when signed with `secret`.
pub fn expected(method: &str, params: &[(String, String)], secret: &str) -> String {
    let mut mac = <Hmac<sha1::Sha1> as Mac>::new_from_slice(format!("{secret}&").as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(string_to_sign(method, params).as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The `Timestamp` parameter's time (UTC).
pub fn parse_timestamp(s: &str) -> Option<time::OffsetDateTime> {
    time::PrimitiveDateTime::parse(s, TIMESTAMP)
        .ok()
        .map(|p| p.assume_utc())
}

#[cfg(test)]
mod tests {
    use super::super::testing::pairs;
    use super::*;

    fn b1() -> Vec<(String, String)> {
        pairs(&[
            ("AccessKeyId", "testid"),
            ("Action", "DescribeDedicatedHosts"),
            ("Version", "2014-05-26"),
            ("Format", "JSON"),
            ("RegionId", "cn-beijing"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("SignatureNonce", "edb2b34af0af9a6d14deaf7c1a5315eb"),
            ("Timestamp", "2023-03-13T08:34:30Z"),
        ])
    }

    /// Vector B1: the current official fixed example, and its derived POST signature.
    #[test]
    fn vector_b1_official_example() {
        assert_eq!(
            string_to_sign("GET", &b1()),
            "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeDedicatedHosts%26Format%3DJSON%26RegionId%3Dcn-beijing%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3Dedb2b34af0af9a6d14deaf7c1a5315eb%26SignatureVersion%3D1.0%26Timestamp%3D2023-03-13T08%253A34%253A30Z%26Version%3D2014-05-26"
        );
        assert_eq!(
            expected("GET", &b1(), "testsecret"),
            "9NaGiOspFP5UPcwX8Iwt2YJXXuk="
        );
        assert_eq!(
            expected("POST", &b1(), "testsecret"),
            "ZvQ9xGiFnquSJRvj+WE6kdSpTwU="
        );
        // the signature itself, sent along, is not signed
        let mut sent = b1();
        sent.push(("Signature".into(), "9NaGiOspFP5UPcwX8Iwt2YJXXuk=".into()));
        assert_eq!(
            expected("GET", &sent, "testsecret"),
            "9NaGiOspFP5UPcwX8Iwt2YJXXuk="
        );
    }

    /// Vector B2: the older ECS "Request signature" example (GET published, POST derived).
    #[test]
    fn vector_b2_ecs_example() {
        let p = pairs(&[
            ("Timestamp", "2016-02-23T12:46:24Z"),
            ("Format", "XML"),
            ("AccessKeyId", "testid"),
            ("Action", "DescribeRegions"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
            ("Version", "2014-05-26"),
            ("SignatureVersion", "1.0"),
        ]);
        assert_eq!(
            string_to_sign("GET", &p),
            "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
        );
        assert_eq!(
            expected("GET", &p, "testsecret"),
            "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
        );
        assert_eq!(
            expected("POST", &p, "testsecret"),
            "MxbnVAM4w6sft9xjVpe/GCKueuk="
        );
    }

    /// Vector B3: the official SDK unit test (`Test_GetRPCSignature`), an empty method.
    #[test]
    fn vector_b3_sdk_unit_test() {
        let p = pairs(&[("test", "ok")]);
        assert_eq!(string_to_sign("", &p), "&%2F&test%3Dok");
        assert_eq!(
            expected("", &p, "accessKeySecret"),
            "jHx/oHoHNrbVfhncHEvPdHXZwHU="
        );
    }

    #[test]
    fn timestamps_parse_as_utc() {
        let t = parse_timestamp("2023-03-13T08:34:30Z").unwrap();
        assert_eq!(t.unix_timestamp(), 1_678_696_470);
        assert!(parse_timestamp("2023-03-13 08:34:30").is_none());
    }
}
