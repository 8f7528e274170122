//! Huawei Cloud APIG AK/SK signing, `SDK-HMAC-SHA256` (API-FACTS.md §6c). Pure functions used
//! by the client to sign (the sandbox verifies with its own, `sandbox::signature::sdk_hmac`).

use crate::providers::signing;
use sha2::{Digest, Sha256};

pub const ALGORITHM: &str = "SDK-HMAC-SHA256";

pub use crate::providers::signing::{canonical_query, encode, hmac_sha256_hex as signature};

/// A request as the signature sees it.
pub struct SignRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// Query parameters, decoded; repeated keys allowed.
    pub query: &'a [(String, String)],
    /// The headers to sign (name, value); must include `x-sdk-date`.
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

/// Path segments encoded, always ending in `/`.
pub fn canonical_uri(path: &str) -> String {
    let mut out: String = path.split('/').map(encode).collect::<Vec<_>>().join("/");
    if !out.starts_with('/') {
        out.insert(0, '/');
    }
    if !out.ends_with('/') {
        out.push('/');
    }
    out
}

/// (canonical request, signed header list).
pub fn canonical_request(r: &SignRequest) -> (String, String) {
    let mut headers: Vec<(String, String)> = r
        .headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    headers.sort();
    let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let signed = headers
        .iter()
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let body_hash = hex::encode(Sha256::digest(r.body));
    let text = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        r.method.to_ascii_uppercase(),
        canonical_uri(r.path),
        canonical_query(r.query),
        canonical_headers,
        signed,
        body_hash
    );
    (text, signed)
}

pub fn string_to_sign(date: &str, canonical: &str) -> String {
    format!(
        "{ALGORITHM}\n{date}\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    )
}

/// The `Authorization` header value for a request.
pub fn authorization(access_key: &str, secret: &str, r: &SignRequest) -> String {
    let date = r
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("x-sdk-date"))
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    let (canonical, signed) = canonical_request(r);
    let sig = signature(secret, &string_to_sign(date, &canonical));
    format!("{ALGORITHM} Access={access_key}, SignedHeaders={signed}, Signature={sig}")
}

/// Parsed `Authorization` header: (access key, signed headers, signature).
pub fn parse_authorization(h: &str) -> Option<(String, Vec<String>, String)> {
    crate::providers::signing::parse_authorization(h, ALGORITHM, "Access")
}

/// `X-Sdk-Date` format: `YYYYMMDDTHHMMSSZ`.
pub const SDK_DATE: signing::DateFormat =
    time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    type Pairs = Vec<(String, String)>;

    /// The headers and query of the official guide's GET example (C1, C2).
    fn c1_headers_and_query() -> (Pairs, Pairs) {
        let headers = h(&[
            ("Content-Type", "application/json"),
            ("Host", "service.region.example.com"),
            ("X-Sdk-Date", "20191115T033655Z"),
        ]);
        let query = h(&[
            ("limit", "2"),
            ("marker", "13551d6b-755d-4757-b956-536f674975c0"),
        ]);
        (headers, query)
    }

    fn c1_request<'a>(
        headers: &'a [(String, String)],
        query: &'a [(String, String)],
    ) -> SignRequest<'a> {
        SignRequest {
            method: "GET",
            path: "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs",
            query,
            headers,
            body: b"",
        }
    }

    #[test]
    fn vector_c1_official_guide() {
        let (headers, query) = c1_headers_and_query();
        let r = c1_request(&headers, &query);
        let (canonical, signed) = canonical_request(&r);
        assert_eq!(
            canonical,
            "GET\n/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs/\nlimit=2&marker=13551d6b-755d-4757-b956-536f674975c0\ncontent-type:application/json\nhost:service.region.example.com\nx-sdk-date:20191115T033655Z\n\ncontent-type;host;x-sdk-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(signed, "content-type;host;x-sdk-date");
        assert_eq!(
            string_to_sign("20191115T033655Z", &canonical),
            "SDK-HMAC-SHA256\n20191115T033655Z\nb25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a"
        );
        assert_eq!(
            authorization("QTWAOYTTINDUT2QVKYUC", "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc", &r),
            "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe"
        );
    }

    #[test]
    fn vector_c2_java_sdk() {
        let (headers, query) = c1_headers_and_query();
        assert_eq!(
            authorization("testAK", "testSK", &c1_request(&headers, &query)),
            "SDK-HMAC-SHA256 Access=testAK, SignedHeaders=content-type;host;x-sdk-date, Signature=1ce02ffed91dfc294aed8863aaf0fec29ccbf2f45ddcca7f120baabddba29782"
        );
    }

    #[test]
    fn vector_c3_go_sdk_get() {
        // The Go SDK signs only x-sdk-date here (TEST_UNDERSCORE is excluded for its '_').
        let headers = h(&[("X-Sdk-Date", "20060102T150405Z")]);
        let query = h(&[("limit", "1")]);
        let r = SignRequest {
            method: "GET",
            path: "/path",
            query: &query,
            headers: &headers,
            body: b"",
        };
        let (canonical, _) = canonical_request(&r);
        assert_eq!(
            canonical,
            "GET\n/path/\nlimit=1\nx-sdk-date:20060102T150405Z\n\nx-sdk-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert!(string_to_sign("20060102T150405Z", &canonical)
            .ends_with("85c3b7730f308aee452b16138a42a914397e43a8f0d732dfa521c0ef2afa98a4"));
        assert_eq!(
            authorization("AccessKey", "SecretKey", &r),
            "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, Signature=5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624"
        );
    }

    #[test]
    fn vector_c4_go_sdk_post_with_trailing_newline_body() {
        let headers = h(&[("X-Sdk-Date", "20060102T150405Z")]);
        let query = h(&[("key", "value")]);
        let body = b"{\"Name\":\"test\",\"Id\":1}\n";
        assert_eq!(
            hex::encode(Sha256::digest(body)),
            "a29d7b4c5efd1a22011d69fd7b7aee76fe51e4083c609244228de258afd61289"
        );
        let r = SignRequest {
            method: "POST",
            path: "/path",
            query: &query,
            headers: &headers,
            body,
        };
        assert_eq!(
            authorization("AccessKey", "SecretKey", &r),
            "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, Signature=cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59"
        );
    }

    #[test]
    fn query_encoding_vector() {
        let q = h(&[
            ("limit", "1"),
            ("enable", "true"),
            ("test", "一 (&=?!#%.*)"),
            ("path", "/tmp/123"),
            ("multi", "1"),
            ("multi", "2"),
            ("multi", "3"),
        ]);
        assert_eq!(
            canonical_query(&q),
            "enable=true&limit=1&multi=1&multi=2&multi=3&path=%2Ftmp%2F123&test=%E4%B8%80%20%28%26%3D%3F%21%23%25.%2A%29"
        );
    }

    #[test]
    fn authorization_parses_back() {
        let (ak, signed, sig) = parse_authorization(
            "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;x-sdk-date, Signature=abc",
        )
        .unwrap();
        assert_eq!(ak, "AK");
        assert_eq!(signed, vec!["host", "x-sdk-date"]);
        assert_eq!(sig, "abc");
        assert_eq!(
            signing::utc_date(time::macros::datetime!(2019-11-15 03:36:55 UTC), SDK_DATE),
            "20191115T033655Z"
        );
    }
}
