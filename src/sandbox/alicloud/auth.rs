//! How the sandbox's Alibaba Cloud gateway authenticates a request, as the real one does:
//! a V3 request carries `Authorization: ACS3-HMAC-SHA256 …` (checked over exactly the headers
//! its `SignedHeaders` lists, with `x-acs-date` within 15 minutes and `x-acs-content-sha256`
//! matching the body); a V2 request (the older SDKs) carries `Signature`, `AccessKeyId`,
//! `SignatureMethod=HMAC-SHA1`, `SignatureVersion=1.0`, `SignatureNonce` and `Timestamp` among
//! its parameters. Anything else is `MissingAuthorization`.
//!
//! Who may sign ([`Principal`]): the sandbox's own key (a RAM user with every permission), the
//! RAM user [`super::ROLE_ASSUMER`] that may only call STS, and the temporary `STS.` keys the
//! sandbox's STS issued — only with their security token (V3: the signed
//! `x-acs-security-token` header; V2: the `SecurityToken` parameter, as the SDKs send them)
//! and only before they expire, else the documented `InvalidSecurityToken.*` refusal.
//!
//! Invariant: only the sandbox's own verifiers (`signature::acs3`, `signature::v2rpc`) decide,
//! with the secret of the key that signed, as the sandbox knows it (its own accounts', or one
//! derived for a temporary key: `temporary`).

use super::super::signature::{acs3, same, sha256_hex, v2rpc, Authorization, Received};
use super::super::temporary::{self, Refusal, ALIBABA};
use super::super::world::{Head, Sandbox};
use super::{fail, internal, RpcError, CREDENTIALS, ROLE_ASSUMER};
use axum::http::Method;

/// The parts of a request its signature covers.
pub struct Request<'a> {
    pub method: &'a Method,
    pub path: &'a str,
    /// The query string's pairs, decoded.
    pub query: &'a [(String, String)],
    /// The headers, and every parameter (the query string's pairs, then a form body's).
    pub head: &'a Head<'a>,
    pub body: &'a [u8],
}

/// Who signed a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal {
    /// The sandbox's own key: a RAM user with every permission.
    Account,
    /// The RAM user whose only permission is `sts:AssumeRole`.
    RoleAssumer,
    /// A role's temporary credentials, issued by the sandbox's STS.
    Role,
}

impl Principal {
    /// Whether it may call the product `key`.
    pub fn may_call(self, key: &str) -> bool {
        self != Principal::RoleAssumer || key == "sts"
    }
}

/// Accept the request as signed by a key the sandbox knows, saying whose, or say why not.
pub fn verify(sb: &Sandbox, r: &Request) -> Result<Principal, RpcError> {
    if let Some(header) = r.head.header("authorization") {
        return verify_v3(sb, r, header);
    }
    if r.head.param("Signature").is_some() {
        return verify_v2(sb, r);
    }
    Err(fail(
        400,
        "MissingAuthorization",
        "The Authorization header is missing.",
    ))
}

/// ACS3-HMAC-SHA256: the headers that must be signed, the key (and its token), the date, the
/// body hash, then the signature itself.
fn verify_v3(sb: &Sandbox, r: &Request, header: &str) -> Result<Principal, RpcError> {
    let auth = signed_by(header)?;
    let token = r.head.header("x-acs-security-token");
    if token.is_some() && !auth.signed.iter().any(|n| n == "x-acs-security-token") {
        // the SDKs sign every x-acs-* header they send: an unsigned token could be swapped
        // (the sandbox's rule; the API documents none)
        return Err(fail(
            400,
            "IncompleteSignature",
            "The request signature does not conform to Aliyun standards: x-acs-security-token must be signed.",
        ));
    }
    let (secret, who) = signer(sb, &auth.key, token)?;
    check_time(
        r.head
            .header("x-acs-date")
            .and_then(|d| acs3::SCHEME.parse_date(d)),
        15,
    )?;
    let hash = sha256_hex(r.body);
    if r.head.header("x-acs-content-sha256") != Some(hash.as_str()) {
        return Err(fail(
            400,
            "SignatureDoesNotMatch",
            "The request signature does not conform to Aliyun standards: x-acs-content-sha256 does not match the body.",
        ));
    }
    let received: Vec<(String, String)> = r
        .head
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
    let expected = acs3::expected(&rebuilt, &auth.signed, &hash, &secret);
    if !same(&expected, &auth.signature) {
        return Err(mismatch());
    }
    Ok(who)
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

/// V2 RPC: the common parameters, the key (and its `SecurityToken`), the time stamp, then the
/// signature over every other parameter.
fn verify_v2(sb: &Sandbox, r: &Request) -> Result<Principal, RpcError> {
    for name in [
        "AccessKeyId",
        "SignatureMethod",
        "SignatureVersion",
        "SignatureNonce",
        "Timestamp",
    ] {
        super::required_in(r.head.params, name)?;
    }
    let key = r.head.param("AccessKeyId").unwrap_or_default();
    let (secret, who) = signer(sb, key, r.head.param("SecurityToken"))?;
    let method = r.head.param("SignatureMethod").unwrap_or_default();
    let version = r.head.param("SignatureVersion").unwrap_or_default();
    if method != v2rpc::METHOD || version != v2rpc::VERSION {
        return Err(fail(
            400,
            "InvalidParameter",
            format!("The specified signature method {method} (version {version}) is not supported: HMAC-SHA1 version 1.0 is."),
        ));
    }
    let stamp = r.head.param("Timestamp").and_then(v2rpc::parse_timestamp);
    check_time(stamp, 31)?;
    let expected = v2rpc::expected(r.method.as_str(), r.head.params, &secret);
    if !same(&expected, r.head.param("Signature").unwrap_or_default()) {
        // the gateway's V2 wording, naming what it signed: aliyun-python-sdk-core compares
        // the text after the colon with its own string to sign (equal: the secret is wrong)
        return Err(fail(
            400,
            "SignatureDoesNotMatch",
            format!(
                "Specified signature is not matched with our calculation. server string to sign is:{}",
                v2rpc::string_to_sign(r.method.as_str(), r.head.params)
            ),
        ));
    }
    Ok(who)
}

/// The secret of `key` and whose it is, given the token sent with it: one of the sandbox's
/// own long-lived keys (never with a token), else a temporary key it issued.
fn signer(sb: &Sandbox, key: &str, token: Option<&str>) -> Result<(String, Principal), RpcError> {
    let token = token.filter(|t| !t.is_empty());
    let own = [
        (CREDENTIALS, Principal::Account),
        (ROLE_ASSUMER, Principal::RoleAssumer),
    ];
    if let Some((c, who)) = own.iter().find(|(c, _)| c.key == key) {
        // a long-lived key with a token: the token cannot be this key's (the sandbox's
        // reading; the documented code for a token that is not the key's)
        return match token {
            Some(_) => Err(refused(Refusal::Mismatch)),
            None => Ok((c.secret.to_string(), *who)),
        };
    }
    match temporary::lookup(&sb.store, &ALIBABA, key, token).map_err(internal)? {
        Ok(secret) => Ok((secret, Principal::Role)),
        Err(why) => Err(refused(why)),
    }
}

/// The gateway's answer to temporary credentials it refuses. The codes are the public error
/// codes Alibaba Cloud documents (400 `InvalidSecurityToken.Expired` / `.Malformed` /
/// `.MismatchWithAccessKey`, with these messages; 404 `InvalidAccessKeyId.NotFound`);
/// `MissingSecurityToken` is in the public list without a documented message, so its words
/// are the sandbox's.
fn refused(why: Refusal) -> RpcError {
    let (status, code, message) = match why {
        Refusal::Unknown => (
            404,
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.",
        ),
        Refusal::MissingToken => (
            400,
            "MissingSecurityToken",
            "The SecurityToken of a temporary (STS.) access key is not supplied.",
        ),
        Refusal::Malformed => (
            400,
            "InvalidSecurityToken.Malformed",
            "Specified SecurityToken is malformed.",
        ),
        Refusal::Mismatch => (
            400,
            "InvalidSecurityToken.MismatchWithAccessKey",
            "Specified SecurityToken mismatch with the AccessKey.",
        ),
        Refusal::Expired => (
            400,
            "InvalidSecurityToken.Expired",
            "Specified SecurityToken is expired.",
        ),
    };
    fail(status, code, message)
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
