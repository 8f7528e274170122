//! Alibaba Cloud RPC services of the sandbox (gpdb, DataWorks, SelectDB): what they share on
//! the wire. Every request is checked as the real gateway checks it — ACS3-HMAC-SHA256
//! signature over the signed headers, `x-acs-date` within 15 minutes, `x-acs-content-sha256`
//! matching the body, the product's `x-acs-version` — then its parameters (query string plus
//! form body) go to the product's action handler, and errors come back in the RPC format
//! (`RequestId`, `HostId`, `Code`, `Message`).

pub mod dataworks;
pub mod gpdb;
pub mod selectdb;

use super::signature::{acs3, sha256_hex, Received};
use super::store::World;
use super::world::{Credentials, Profile, Sandbox, Service};
use axum::body::Bytes;
use axum::extract::{OriginalUri, Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::HashMap;

pub type Params = HashMap<String, String>;

/// The sandbox's own Alibaba Cloud account, the only one its gateway knows.
pub const CREDENTIALS: Credentials = Credentials {
    key: "SANDBOXALIAK000000001",
    secret: "sandbox-alibaba-secret",
};

/// One RPC product as the gateway routes it: its key (the path beneath `/alicloud`), the
/// only API version it answers and its actions.
pub struct Api {
    pub key: &'static str,
    pub version: &'static str,
    /// The actions it answers, by their `x-acs-action`.
    pub actions: &'static [(&'static str, Action)],
}

/// One action of a product.
pub type Action = fn(&Sandbox, &Params) -> Reply;

/// The service value of an RPC product (mounted at `/alicloud/<key>`).
pub const fn service(
    api: &'static Api,
    router: fn(Sandbox) -> Router,
    seed: fn(&mut World),
) -> Service {
    Service {
        family: "alicloud",
        name: api.key,
        path: api.key,
        router,
        profile: &PROFILE,
        seed,
        credentials: CREDENTIALS,
        sub_objects: crate::sandbox::world::no_sub_objects,
    }
}

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

/// The gateway's `InvalidParameter` (400): a parameter the API refuses, as `message` says.
pub fn invalid(message: impl Into<String>) -> RpcError {
    fail(400, "InvalidParameter", message)
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

pub fn router(sb: Sandbox, product: &'static Api) -> Router {
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
        match answer(&sb, product, &parts.method, &uri, &parts.headers, &bytes) {
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
    product: &Api,
    method: &Method,
    uri: &OriginalUri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Reply {
    let query = uri.0.query().map(super::url_pairs).unwrap_or_default();
    verify(method, uri.0.path(), &query, headers, body)?;
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
    let action = header("x-acs-action");
    if header("x-acs-version") != product.version {
        return Err(fail(
            404,
            "InvalidApi.NotFound",
            format!(
                "Specified api is not found, please check your url and method. ({action} of version {} is not an API of {}, whose version is {})",
                header("x-acs-version"),
                product.key,
                product.version
            ),
        ));
    }
    let mut params: Params = query.into_iter().collect();
    if header("content-type").starts_with("application/x-www-form-urlencoded") {
        params.extend(super::url_pairs(&String::from_utf8_lossy(body)));
    }
    let act = product.actions.iter().find(|(name, _)| *name == action);
    act.map(|(_, f)| f(sb, &params)).unwrap_or_else(|| {
        Err(fail(
            404,
            "InvalidApi.NotFound",
            format!("Specified api is not found, please check your url and method. ({action})"),
        ))
    })
}

/// Check the ACS3-HMAC-SHA256 signature of what arrived: the key, the headers that must be
/// signed, the date, the body hash, then the signature itself.
fn verify(
    method: &Method,
    path: &str,
    query: &[(String, String)],
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), RpcError> {
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let auth = signed_by(header("authorization"))?;
    check_date(header("x-acs-date"))?;
    let hash = sha256_hex(body);
    if header("x-acs-content-sha256") != Some(hash.as_str()) {
        return Err(fail(
            400,
            "SignatureDoesNotMatch",
            "The request signature does not conform to Aliyun standards: x-acs-content-sha256 does not match the body.",
        ));
    }
    let received: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string()))
        .collect();
    let r = Received {
        method: method.as_str(),
        path,
        query,
        headers: &received,
    };
    let expected = acs3::expected(&r, &auth.signed, &hash, CREDENTIALS.secret);
    if !super::signature::same(&expected, &auth.signature) {
        return Err(fail(
            400,
            "SignatureDoesNotMatch",
            "The request signature does not conform to Aliyun standards.",
        ));
    }
    Ok(())
}

/// The `Authorization` header: ACS3, the sandbox's key, and the headers that must be signed.
fn signed_by(auth: Option<&str>) -> Result<super::signature::Authorization, RpcError> {
    let auth = auth.ok_or_else(|| {
        fail(
            400,
            "MissingAuthorization",
            "The Authorization header is missing.",
        )
    })?;
    let auth = acs3::SCHEME.authorization(auth).ok_or_else(|| {
        fail(
            400,
            "IncompleteSignature",
            "The request signature does not conform to Aliyun standards (ACS3-HMAC-SHA256 expected).",
        )
    })?;
    if auth.key != CREDENTIALS.key {
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

/// `x-acs-date`: well formed and within 15 minutes of now.
fn check_date(date: Option<&str>) -> Result<(), RpcError> {
    let date = date
        .and_then(|d| acs3::SCHEME.parse_date(d))
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
    Ok(())
}

/// Time stamps as the APIs print them (`2024-05-06T07:08:09Z`).
pub fn stamp(ms: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(acs3::SCHEME.date).unwrap_or_default()
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
