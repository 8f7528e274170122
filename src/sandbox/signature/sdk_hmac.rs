//! Verifying Huawei Cloud's APIG AK/SK signature, `SDK-HMAC-SHA256` (API-FACTS.md §6c), as the
//! gateway does: the canonical request is rebuilt from the request as received over exactly
//! the headers its `SignedHeaders` lists (the path always ending in `/`; the body's hash, or
//! `UNSIGNED-PAYLOAD` when `X-Sdk-Content-Sha256` says so), and HMAC'd with the secret.

use super::{encode_path, hmac_sha256_hex, sha256_hex, Received, Scheme};

pub const ALGORITHM: &str = "SDK-HMAC-SHA256";

/// `X-Sdk-Date`: `YYYYMMDDTHHMMSSZ`, UTC; the key in `Access=`.
pub const SCHEME: Scheme = Scheme {
    algorithm: ALGORITHM,
    key_field: "Access",
    date: time::macros::format_description!("[year][month][day]T[hour][minute][second]Z"),
};

/// The path, each segment encoded, always starting and ending with `/`.
fn canonical_uri(path: &str) -> String {
    let mut out = encode_path(path);
    if !out.starts_with('/') {
        out.insert(0, '/');
    }
    if !out.ends_with('/') {
        out.push('/');
    }
    out
}

/// The canonical request over the `signed` headers.
pub fn canonical_request(r: &Received, signed: &[String], body: &[u8]) -> String {
    let unsigned = r.header_values("x-sdk-content-sha256") == ["UNSIGNED-PAYLOAD"];
    let payload = if unsigned {
        "UNSIGNED-PAYLOAD".to_string()
    } else {
        sha256_hex(body)
    };
    super::canonical_request(r, canonical_uri(r.path), signed, &payload)
}

pub fn string_to_sign(date: &str, canonical: &str) -> String {
    format!("{ALGORITHM}\n{date}\n{}", sha256_hex(canonical.as_bytes()))
}

/// The signature the request should carry when signed with `secret` at `date`
/// (its `X-Sdk-Date`).
pub fn expected(r: &Received, signed: &[String], body: &[u8], date: &str, secret: &str) -> String {
    hmac_sha256_hex(
        secret,
        &string_to_sign(date, &canonical_request(r, signed, body)),
    )
}

#[cfg(test)]
mod tests {
    use super::super::testing::{names, pairs};
    use super::*;

    fn c1_headers() -> Vec<(String, String)> {
        pairs(&[
            ("Content-Type", "application/json"),
            ("Host", "service.region.example.com"),
            ("X-Sdk-Date", "20191115T033655Z"),
        ])
    }

    fn c1_query() -> Vec<(String, String)> {
        pairs(&[
            ("marker", "13551d6b-755d-4757-b956-536f674975c0"),
            ("limit", "2"),
        ])
    }

    fn c1<'a>(headers: &'a [(String, String)], query: &'a [(String, String)]) -> Received<'a> {
        Received {
            method: "GET",
            path: "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs",
            query,
            headers,
        }
    }

    /// Vector C1: the official signing guide's example.
    #[test]
    fn vector_c1_official_guide() {
        let (headers, query) = (c1_headers(), c1_query());
        let r = c1(&headers, &query);
        let signed = names("content-type;host;x-sdk-date");
        let canonical = canonical_request(&r, &signed, b"");
        assert_eq!(
            canonical,
            "GET\n/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs/\nlimit=2&marker=13551d6b-755d-4757-b956-536f674975c0\ncontent-type:application/json\nhost:service.region.example.com\nx-sdk-date:20191115T033655Z\n\ncontent-type;host;x-sdk-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            string_to_sign("20191115T033655Z", &canonical),
            "SDK-HMAC-SHA256\n20191115T033655Z\nb25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a"
        );
        assert_eq!(
            expected(
                &r,
                &signed,
                b"",
                "20191115T033655Z",
                "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc"
            ),
            "7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe"
        );
        let auth = SCHEME.authorization("SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe").unwrap();
        assert_eq!(
            (auth.key.as_str(), auth.signed),
            ("QTWAOYTTINDUT2QVKYUC", signed)
        );
    }

    /// Vector C2: the current Java SDK test (C1's request, other keys).
    #[test]
    fn vector_c2_java_sdk() {
        let (headers, query) = (c1_headers(), c1_query());
        assert_eq!(
            expected(
                &c1(&headers, &query),
                &names("content-type;host;x-sdk-date"),
                b"",
                "20191115T033655Z",
                "testSK"
            ),
            "1ce02ffed91dfc294aed8863aaf0fec29ccbf2f45ddcca7f120baabddba29782"
        );
    }

    /// Vectors C3 and C4: the Go SDK signs only `x-sdk-date` (an unsigned header received
    /// beside it changes nothing); C4's body ends in a newline.
    #[test]
    fn vectors_c3_c4_go_sdk() {
        let headers = pairs(&[
            ("X-Sdk-Date", "20060102T150405Z"),
            ("TEST_UNDERSCORE", "TEST_VALUE"),
            ("Content-Type", "application/json"),
        ]);
        let query = pairs(&[("limit", "1")]);
        let get = Received {
            method: "GET",
            path: "/path",
            query: &query,
            headers: &headers,
        };
        let signed = names("x-sdk-date");
        let canonical = canonical_request(&get, &signed, b"");
        assert_eq!(canonical, "GET\n/path/\nlimit=1\nx-sdk-date:20060102T150405Z\n\nx-sdk-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert!(string_to_sign("20060102T150405Z", &canonical)
            .ends_with("85c3b7730f308aee452b16138a42a914397e43a8f0d732dfa521c0ef2afa98a4"));
        let date = "20060102T150405Z";
        assert_eq!(
            expected(&get, &signed, b"", date, "SecretKey"),
            "5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624"
        );
        let query = pairs(&[("key", "value")]);
        let post = Received {
            method: "POST",
            query: &query,
            ..get
        };
        let body = b"{\"Name\":\"test\",\"Id\":1}\n";
        assert_eq!(
            expected(&post, &signed, body, date, "SecretKey"),
            "cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59"
        );
    }
}
