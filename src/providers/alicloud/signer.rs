//! Alibaba Cloud V3 signing, `ACS3-HMAC-SHA256` (API-FACTS.md §6a). Pure functions used by the
//! RPC client to sign (the sandbox verifies with its own, `sandbox::signature::acs3`).

use crate::providers::signing::{self, canonical_query, encode, hmac_sha256_hex, sha256_hex};

pub const ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// A request as the signature sees it.
pub struct SignRequest<'a> {
    pub method: &'a str,
    /// The URL path (`/` for RPC APIs; empty is taken as `/`).
    pub path: &'a str,
    /// Query parameters, decoded.
    pub query: &'a [(String, String)],
    /// Every header sent; the signed ones (`x-acs-*`, `host`, `content-type`) are picked here.
    pub headers: &'a [(String, String)],
    /// Lowercase hex SHA-256 of the body (also sent as `x-acs-content-sha256`).
    pub payload_hash: &'a str,
}

/// Whether a (lowercase) header name is signed.
fn signed(name: &str) -> bool {
    name.starts_with("x-acs-") || name == "host" || name == "content-type"
}

/// Path segments RFC 3986-encoded; empty becomes `/`.
fn canonical_uri(path: &str) -> String {
    if path.is_empty() {
        return "/".into();
    }
    path.split('/').map(encode).collect::<Vec<_>>().join("/")
}

/// (canonical request, signed header list). Header names are lowercased, values trimmed;
/// the same name given twice (in any case) becomes one entry, values sorted and joined by `,`.
pub fn canonical_request(r: &SignRequest) -> (String, String) {
    let mut by_name: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (k, v) in r.headers {
        let k = k.to_ascii_lowercase();
        if signed(&k) {
            by_name.entry(k).or_default().push(v.trim().to_string());
        }
    }
    let mut canonical_headers = String::new();
    for (k, vs) in by_name.iter_mut() {
        vs.sort();
        canonical_headers.push_str(&format!("{k}:{}\n", vs.join(",")));
    }
    let names = by_name.keys().cloned().collect::<Vec<_>>().join(";");
    let method = if r.method.is_empty() {
        String::new()
    } else {
        r.method.to_ascii_uppercase()
    };
    let text = format!(
        "{method}\n{}\n{}\n{canonical_headers}\n{names}\n{}",
        canonical_uri(r.path),
        canonical_query(r.query),
        r.payload_hash
    );
    (text, names)
}

pub fn string_to_sign(canonical: &str) -> String {
    format!("{ALGORITHM}\n{}", sha256_hex(canonical.as_bytes()))
}

/// The `Authorization` header value.
pub fn authorization(access_key_id: &str, secret: &str, r: &SignRequest) -> String {
    let (canonical, names) = canonical_request(r);
    let sig = hmac_sha256_hex(secret, &string_to_sign(&canonical));
    format!("{ALGORITHM} Credential={access_key_id},SignedHeaders={names},Signature={sig}")
}

/// Parsed `Authorization` header: (access key id, signed header names, signature).
pub fn parse_authorization(h: &str) -> Option<(String, Vec<String>, String)> {
    crate::providers::signing::parse_authorization(h, ALGORITHM, "Credential")
}

/// `x-acs-date`: `yyyy-MM-ddTHH:mm:ssZ` in UTC.
pub const ACS_DATE: signing::DateFormat =
    time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// Vector A1: the official worked example ("Fixed parameter values").
    #[test]
    fn vector_a1_official_example() {
        let query = pairs(&[
            (
                "ImageId",
                "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd",
            ),
            ("RegionId", "cn-shanghai"),
        ]);
        let headers = pairs(&[
            ("host", "ecs.cn-shanghai.aliyuncs.com"),
            ("x-acs-action", "RunInstances"),
            ("x-acs-version", "2014-05-26"),
            ("x-acs-date", "2023-10-26T10:22:32Z"),
            ("x-acs-signature-nonce", "3156853299f313e23d1673dc12e1703d"),
            ("x-acs-content-sha256", EMPTY),
            ("user-agent", "not signed"),
            ("accept", "application/json"),
        ]);
        let r = SignRequest {
            method: "POST",
            path: "/",
            query: &query,
            headers: &headers,
            payload_hash: EMPTY,
        };
        let (canonical, _) = canonical_request(&r);
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
            authorization("YourAccessKeyId", "YourAccessKeySecret", &r),
            "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
        );
    }

    /// Vector A2: the official SDK unit test (empty method and path, duplicate header names,
    /// an empty query value).
    #[test]
    fn vector_a2_sdk_unit_test() {
        let query = pairs(&[("test", "ok"), ("empty", "")]);
        let headers = pairs(&[("x-acs-test", "http"), ("x-acs-TEST", "https")]);
        let r = SignRequest {
            method: "",
            path: "",
            query: &query,
            headers: &headers,
            payload_hash: "55e12e91650d2fec56ec74e1d3e4ddbfce2ef3a65890c2a19ecf88a307e76a23",
        };
        assert_eq!(
            authorization("acesskey", "secret", &r),
            "ACS3-HMAC-SHA256 Credential=acesskey,SignedHeaders=x-acs-test,Signature=4ab59fffe3c5738ff8a2729f90cc04fe18b02a4b15b2102cbaf92f9ff3df2ea3"
        );
    }

    #[test]
    fn authorization_parses_back_and_dates_round_trip() {
        let h = "ACS3-HMAC-SHA256 Credential=ak,SignedHeaders=host;x-acs-date,Signature=abc";
        let (ak, names, sig) = parse_authorization(h).unwrap();
        assert_eq!((ak.as_str(), names.len(), sig.as_str()), ("ak", 2, "abc"));
        let t = signing::parse_utc_date("2023-10-26T10:22:32Z", ACS_DATE).unwrap();
        assert_eq!(signing::utc_date(t, ACS_DATE), "2023-10-26T10:22:32Z");
        assert!(parse_authorization("SDK-HMAC-SHA256 Access=x").is_none());
    }
}
