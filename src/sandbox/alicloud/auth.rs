//! How the sandbox's Alibaba Cloud gateway authenticates a request, as the real one does:
//! a V3 request carries `Authorization: ACS3-HMAC-SHA256 …` (checked over exactly the headers
//! its `SignedHeaders` lists, with `x-acs-date` within 15 minutes and `x-acs-content-sha256`
//! matching the body); a V2 request (the older SDKs) carries `Signature`, `AccessKeyId`,
//! `SignatureMethod=HMAC-SHA1`, `SignatureVersion=1.0`, `SignatureNonce` and `Timestamp` among
//! its parameters. Anything else is `MissingAuthorization`.
//!
//! Invariant: only the sandbox's own verifiers (`signature::acs3`, `signature::v2rpc`) decide,
//! with the secret of the sandbox's own account ([`super::CREDENTIALS`]).

use super::super::signature::{acs3, same, sha256_hex, v2rpc, Authorization, Received};
use super::{fail, RpcError, CREDENTIALS};
use axum::http::{HeaderMap, Method};

/// The parts of a request its signature covers.
pub struct Request<'a> {
    pub method: &'a Method,
    pub path: &'a str,
    /// The query string's pairs, decoded.
    pub query: &'a [(String, String)],
    /// Every parameter: the query string's pairs, then a form body's.
    pub params: &'a [(String, String)],
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

impl Request<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Accept the request as signed by the sandbox's account, or say why not.
pub fn verify(r: &Request) -> Result<(), RpcError> {
    if let Some(header) = r.header("authorization") {
        return verify_v3(r, header);
    }
    if r.param("Signature").is_some() {
        return verify_v2(r);
    }
    Err(fail(
        400,
        "MissingAuthorization",
        "The Authorization header is missing.",
    ))
}

/// ACS3-HMAC-SHA256: the key, the headers that must be signed, the date, the body hash, then
/// the signature itself.
fn verify_v3(r: &Request, header: &str) -> Result<(), RpcError> {
    let auth = signed_by(header)?;
    check_time(
        r.header("x-acs-date")
            .and_then(|d| acs3::SCHEME.parse_date(d)),
        15,
    )?;
    let hash = sha256_hex(r.body);
    if r.header("x-acs-content-sha256") != Some(hash.as_str()) {
        return Err(fail(
            400,
            "SignatureDoesNotMatch",
            "The request signature does not conform to Aliyun standards: x-acs-content-sha256 does not match the body.",
        ));
    }
    let received: Vec<(String, String)> = r
        .headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string()))
        .collect();
    let rebuilt = Received {
        method: r.method.as_str(),
        path: r.path,
        query: r.query,
        headers: &received,
    };
    let expected = acs3::expected(&rebuilt, &auth.signed, &hash, CREDENTIALS.secret);
    if !same(&expected, &auth.signature) {
        return Err(mismatch());
    }
    Ok(())
}

/// The `Authorization` header: ACS3, the sandbox's key, and the headers that must be signed.
fn signed_by(header: &str) -> Result<Authorization, RpcError> {
    let auth = acs3::SCHEME.authorization(header).ok_or_else(|| {
        fail(
            400,
            "IncompleteSignature",
            "The request signature does not conform to Aliyun standards (ACS3-HMAC-SHA256 expected).",
        )
    })?;
    known_key(&auth.key)?;
    for must in [
        "host",
        "x-acs-date",
        "x-acs-content-sha256",
        "x-acs-signature-nonce",
    ] {
        if !auth.signed.iter().any(|n| n == must) {
            return Err(fail(
                400,
                "IncompleteSignature",
                format!("The request signature does not conform to Aliyun standards: {must} must be signed."),
            ));
        }
    }
    Ok(auth)
}

/// V2 RPC: the common parameters, the sandbox's key, the time stamp, then the signature over
/// every other parameter.
fn verify_v2(r: &Request) -> Result<(), RpcError> {
    for name in [
        "AccessKeyId",
        "SignatureMethod",
        "SignatureVersion",
        "SignatureNonce",
        "Timestamp",
    ] {
        super::required_in(r.params, name)?;
    }
    known_key(r.param("AccessKeyId").unwrap_or_default())?;
    let method = r.param("SignatureMethod").unwrap_or_default();
    let version = r.param("SignatureVersion").unwrap_or_default();
    if method != v2rpc::METHOD || version != v2rpc::VERSION {
        return Err(fail(
            400,
            "InvalidParameter",
            format!("The specified signature method {method} (version {version}) is not supported: HMAC-SHA1 version 1.0 is."),
        ));
    }
    let stamp = r.param("Timestamp").and_then(v2rpc::parse_timestamp);
    check_time(stamp, 31)?;
    let expected = v2rpc::expected(r.method.as_str(), r.params, CREDENTIALS.secret);
    if !same(&expected, r.param("Signature").unwrap_or_default()) {
        return Err(mismatch());
    }
    Ok(())
}

fn known_key(key: &str) -> Result<(), RpcError> {
    if key != CREDENTIALS.key {
        return Err(fail(
            404,
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.",
        ));
    }
    Ok(())
}

fn mismatch() -> RpcError {
    fail(
        400,
        "SignatureDoesNotMatch",
        "The request signature does not conform to Aliyun standards.",
    )
}

/// A request's time: well formed and within `minutes` of now.
fn check_time(at: Option<time::OffsetDateTime>, minutes: i64) -> Result<(), RpcError> {
    let at = at.ok_or_else(|| {
        fail(
            400,
            "InvalidTimeStamp.Format",
            "Specified time stamp or date value is not well formatted.",
        )
    })?;
    if (time::OffsetDateTime::now_utc() - at).abs() > time::Duration::minutes(minutes) {
        return Err(fail(
            400,
            "InvalidTimeStamp.Expired",
            "Specified time stamp or date value is expired.",
        ));
    }
    Ok(())
}
