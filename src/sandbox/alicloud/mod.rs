//! Alibaba Cloud RPC services of the sandbox (gpdb, DataWorks, SelectDB): what they share on
//! the wire. Every request is checked as the real gateway checks it — ACS3-HMAC-SHA256
//! signature over the signed headers, `x-acs-date` within 15 minutes, `x-acs-content-sha256`
//! matching the body, the product's `x-acs-version` — then its parameters (query string plus
//! form body) go to the product's action handler, and errors come back in the RPC format
//! (`RequestId`, `HostId`, `Code`, `Message`).

pub mod dataworks;
pub mod gpdb;
pub mod selectdb;

use super::server::{Profile, Sandbox};
use crate::providers::alicloud::client::{Product, SANDBOX_AK, SANDBOX_SK};
use crate::providers::alicloud::signer::{self, SignRequest};
use crate::providers::signing::sha256_hex;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::HashMap;

pub type Params = HashMap<String, String>;

/// An error answer in the RPC format.
#[derive(Debug)]
pub struct RpcError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

pub type Reply = Result<Value, RpcError>;

pub fn fail(status: u16, code: &'static str, message: impl Into<String>) -> RpcError {
    RpcError {
        status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        code,
        message: message.into(),
    }
}

fn request_id() -> String {
    uuid::Uuid::new_v4().to_string().to_uppercase()
}

impl IntoResponse for RpcError {
    fn into_response(self) -> Response {
        let rid = request_id();
        (
            self.status,
            Json(json!({
                "RequestId": rid, "HostId": "sandbox.aliyuncs.com",
                "Code": self.code, "Message": self.message,
                "Recommend": format!("https://api.aliyun.com/troubleshoot?q={}&product=sandbox&requestId={rid}", self.code),
            })),
        )
            .into_response()
    }
}

pub static PROFILE: Profile = Profile {
    throttle: || {
        fail(
            400,
            "Throttling.User",
            "Request was denied due to user flow control.",
        )
        .into_response()
    },
    internal: || {
        fail(
            500,
            "InternalError",
            "The request processing has failed due to some unknown error, exception or failure.",
        )
        .into_response()
    },
    mutating: |r: &Request| {
        let action = r
            .headers()
            .get("x-acs-action")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        !["Describe", "Get", "List"]
            .iter()
            .any(|p| action.starts_with(p))
    },
};

/// A required parameter.
pub fn required<'a>(p: &'a Params, name: &str) -> Result<&'a str, RpcError> {
    p.get(name).map(String::as_str).filter(|v| !v.is_empty()).ok_or_else(|| {
        fail(
            400,
            "MissingParameter",
            format!("The input parameter \"{name}\" that is mandatory for processing this request is not supplied."),
        )
    })
}

/// `Key.1`, `Key.2`, … in order.
pub fn numbered(p: &Params, prefix: &str, suffix: &str) -> Vec<String> {
    (1..=20)
        .map_while(|n| p.get(&format!("{prefix}.{n}{suffix}")).cloned())
        .collect()
}

/// `Tag.N.Key` / `Tag.N.Value` pairs.
pub fn tags(p: &Params) -> Vec<(String, String)> {
    let keys = numbered(p, "Tag", ".Key");
    let values = numbered(p, "Tag", ".Value");
    keys.into_iter()
        .zip(values.into_iter().chain(std::iter::repeat(String::new())))
        .collect()
}

pub fn internal(e: String) -> RpcError {
    fail(500, "InternalError", e)
}

/// What a product answers: `None` when it has no such action.
pub type Handler = fn(&Sandbox, &str, &Params) -> Option<Reply>;

pub fn router(sb: Sandbox, product: Product, handler: Handler) -> Router {
    let serve = move |State(sb): State<Sandbox>, req: Request| async move {
        let (parts, body) = req.into_parts();
        let bytes = axum::body::to_bytes(body, 16 << 20)
            .await
            .unwrap_or_default();
        let uri = parts
            .extensions
            .get::<OriginalUri>()
            .cloned()
            .unwrap_or_else(|| OriginalUri(parts.uri.clone()));
        match answer(
            &sb,
            product,
            handler,
            &parts.method,
            &uri,
            &parts.headers,
            &bytes,
        ) {
            Ok(mut v) => {
                if let Some(o) = v.as_object_mut() {
                    o.insert("RequestId".into(), json!(request_id()));
                }
                (StatusCode::OK, Json(v)).into_response()
            }
            Err(e) => e.into_response(),
        }
    };
    Router::new().fallback(serve).with_state(sb)
}

#[allow(clippy::too_many_arguments)]
fn answer(
    sb: &Sandbox,
    product: Product,
    handler: Handler,
    method: &Method,
    uri: &OriginalUri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Reply {
    let query = uri.0.query().map(super::url_pairs).unwrap_or_default();
    verify(method, uri.0.path(), &query, headers, body)?;
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
    let action = header("x-acs-action");
    if header("x-acs-version") != product.version() {
        return Err(fail(
            404,
            "InvalidApi.NotFound",
            format!(
                "Specified api is not found, please check your url and method. ({action} of version {} is not an API of {}, whose version is {})",
                header("x-acs-version"),
                product.key(),
                product.version()
            ),
        ));
    }
    let mut params: Params = query.into_iter().collect();
    if header("content-type").starts_with("application/x-www-form-urlencoded") {
        params.extend(super::url_pairs(&String::from_utf8_lossy(body)));
    }
    handler(sb, action, &params).unwrap_or_else(|| {
        Err(fail(
            404,
            "InvalidApi.NotFound",
            format!("Specified api is not found, please check your url and method. ({action})"),
        ))
    })
}

/// Check the ACS3-HMAC-SHA256 signature of what arrived.
fn verify(
    method: &Method,
    path: &str,
    query: &[(String, String)],
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), RpcError> {
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let auth = header("authorization").ok_or_else(|| {
        fail(
            400,
            "MissingAuthorization",
            "The Authorization header is missing.",
        )
    })?;
    let (ak, names, sig) = signer::parse_authorization(auth).ok_or_else(|| {
        fail(
            400,
            "IncompleteSignature",
            "The request signature does not conform to Aliyun standards (ACS3-HMAC-SHA256 expected).",
        )
    })?;
    if ak != SANDBOX_AK {
        return Err(fail(
            404,
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.",
        ));
    }
    for must in [
        "host",
        "x-acs-date",
        "x-acs-content-sha256",
        "x-acs-signature-nonce",
    ] {
        if !names.iter().any(|n| n == must) {
            return Err(fail(
                400,
                "IncompleteSignature",
                format!("The request signature does not conform to Aliyun standards: {must} must be signed."),
            ));
        }
    }
    let date = header("x-acs-date")
        .and_then(signer::parse_acs_date)
        .ok_or_else(|| {
            fail(
                400,
                "InvalidTimeStamp.Format",
                "Specified time stamp or date value is not well formatted.",
            )
        })?;
    if (time::OffsetDateTime::now_utc() - date).abs() > time::Duration::minutes(15) {
        return Err(fail(
            400,
            "InvalidTimeStamp.Expired",
            "Specified time stamp or date value is expired.",
        ));
    }
    let hash = sha256_hex(body);
    if header("x-acs-content-sha256") != Some(hash.as_str()) {
        return Err(fail(
            400,
            "SignatureDoesNotMatch",
            "The request signature does not conform to Aliyun standards: x-acs-content-sha256 does not match the body.",
        ));
    }
    let mut signed_headers = Vec::new();
    for n in &names {
        for v in headers.get_all(n.as_str()) {
            signed_headers.push((n.clone(), v.to_str().unwrap_or_default().to_string()));
        }
    }
    let expected = signer::authorization(
        SANDBOX_AK,
        SANDBOX_SK,
        &SignRequest {
            method: method.as_str(),
            path,
            query,
            headers: &signed_headers,
            payload_hash: &hash,
        },
    );
    if expected.rsplit("Signature=").next() != Some(sig.as_str()) {
        return Err(fail(
            400,
            "SignatureDoesNotMatch",
            "The request signature does not conform to Aliyun standards.",
        ));
    }
    Ok(())
}

/// Time stamps as the APIs print them (`2024-05-06T07:08:09Z`).
pub fn stamp(ms: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    signer::acs_date(t)
}

/// A random id of `n` lowercase letters and digits.
pub fn random_id(n: usize) -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut r = rand::rng();
    (0..n)
        .map(|_| CHARS[r.random_range(0..CHARS.len())] as char)
        .collect()
}
