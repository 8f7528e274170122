//! Verifying Alibaba Cloud's V3 signature, `ACS3-HMAC-SHA256` (API-FACTS.md §6a), as the
//! gateway does: the canonical request is rebuilt from the request as received over exactly
//! the headers its `SignedHeaders` lists, hashed, and HMAC'd with the caller's secret.

use super::{encode_path, hmac_sha256_hex, sha256_hex, Received, Scheme};

pub const ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// `x-acs-date`: `yyyy-MM-ddTHH:mm:ssZ`, UTC; the key in `Credential=`.
pub const SCHEME: Scheme = Scheme {
    algorithm: ALGORITHM,
    key_field: "Credential",
    date: time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z"),
};

/// The path, each segment encoded; empty is `/` (RPC APIs sign `/`).
fn canonical_uri(path: &str) -> String {
    if path.is_empty() {
        return "/".into();
    }
    encode_path(path)
}

/// The canonical request over the `signed` headers, with the body's hex SHA-256
/// (`payload_hash`, which the caller also sends as `x-acs-content-sha256`).
pub fn canonical_request(r: &Received, signed: &[String], payload_hash: &str) -> String {
    super::canonical_request(r, canonical_uri(r.path), signed, payload_hash)
}

pub fn string_to_sign(canonical: &str) -> String {
    format!("{ALGORITHM}\n{}", sha256_hex(canonical.as_bytes()))
}

/// The signature the request should carry when signed with `secret`.
pub fn expected(r: &Received, signed: &[String], payload_hash: &str, secret: &str) -> String {
    hmac_sha256_hex(
        secret,
        &string_to_sign(&canonical_request(r, signed, payload_hash)),
    )
}

#[cfg(test)]
mod tests {
    use super::super::testing::{names, pairs};
    use super::*;

    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    /// Vector A1: the official worked example ("Fixed parameter values").
    #[test]
    fn vector_a1_official_example() {
        let query = pairs(&[
            ("RegionId", "cn-shanghai"),
            (
                "ImageId",
                "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd",
            ),
        ]);
        let headers = pairs(&[
            ("Host", "ecs.cn-shanghai.aliyuncs.com"),
            ("x-acs-action", "RunInstances"),
            ("x-acs-version", "2014-05-26"),
            ("x-acs-date", "2023-10-26T10:22:32Z"),
            ("x-acs-signature-nonce", "3156853299f313e23d1673dc12e1703d"),
            ("x-acs-content-sha256", EMPTY),
            ("user-agent", "not signed"),
            ("accept", "application/json"),
        ]);
        let r = Received {
            method: "POST",
            path: "/",
            query: &query,
            headers: &headers,
        };
        let signed = names(
            "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version",
        );
        let canonical = canonical_request(&r, &signed, EMPTY);
        assert_eq!(
            canonical,
            "POST\n/\nImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai\n\
             host:ecs.cn-shanghai.aliyuncs.com\nx-acs-action:RunInstances\n\
             x-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n\
             x-acs-date:2023-10-26T10:22:32Z\nx-acs-signature-nonce:3156853299f313e23d1673dc12e1703d\n\
             x-acs-version:2014-05-26\n\n\
             host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            string_to_sign(&canonical),
            "ACS3-HMAC-SHA256\n7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259"
        );
        assert_eq!(
            expected(&r, &signed, EMPTY, "YourAccessKeySecret"),
            "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
        );
        let auth = SCHEME.authorization(
            "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0",
        )
        .unwrap();
        assert_eq!(
            (auth.key.as_str(), auth.signed),
            ("YourAccessKeyId", signed)
        );
    }

    /// Vector A2: the official SDK unit test (empty method and path, a header named twice in
    /// two cases, an empty query value).
    #[test]
    fn vector_a2_sdk_unit_test() {
        let query = pairs(&[("test", "ok"), ("empty", "")]);
        let headers = pairs(&[("x-acs-test", "http"), ("x-acs-TEST", "https")]);
        let r = Received {
            method: "",
            path: "",
            query: &query,
            headers: &headers,
        };
        let hash = "55e12e91650d2fec56ec74e1d3e4ddbfce2ef3a65890c2a19ecf88a307e76a23";
        assert_eq!(
            canonical_request(&r, &names("x-acs-test"), hash),
            format!("\n/\nempty=&test=ok\nx-acs-test:http,https\n\nx-acs-test\n{hash}")
        );
        assert_eq!(
            expected(&r, &names("x-acs-test"), hash, "secret"),
            "4ab59fffe3c5738ff8a2729f90cc04fe18b02a4b15b2102cbaf92f9ff3df2ea3"
        );
    }

    #[test]
    fn date_format() {
        let t = SCHEME.parse_date("2023-10-26T10:22:32Z").unwrap();
        assert_eq!(t.unix_timestamp(), 1698315752);
        assert!(SCHEME.parse_date("20231026T102232Z").is_none());
    }
}
