//! Alibaba Cloud RPC services of the sandbox (gpdb, DataWorks, SelectDB, STS): what they share
//! on the wire. All four answer at `/`, as one gateway: a request goes to the product whose API
//! version it names (`x-acs-version`, or V2's `Version`), else to the one whose host name it
//! was sent to. Every request is authenticated as the real gateway does it (`auth`: V3
//! ACS3-HMAC-SHA256 or V2 HMAC-SHA1, long-lived or temporary keys), must name the product's
//! version and be allowed to its signer, and then its parameters (query string plus form body)
//! go to the product's action handler; errors come back in the RPC format (`RequestId`,
//! `HostId`, `Code`, `Message`).

pub mod auth;
pub mod dataworks;
pub mod gpdb;
pub mod selectdb;
pub mod sts;

use super::signature::acs3;
use super::store::World;
use super::world::{Credentials, Head, Mount, Operation, Profile, Sandbox, Service};
use axum::body::Bytes;
use axum::extract::{OriginalUri, Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::HashMap;

pub type Params = HashMap<String, String>;

/// The sandbox's own Alibaba Cloud key: a RAM user of the sandbox's account with every
/// permission.
pub const CREDENTIALS: Credentials = Credentials {
    key: "SANDBOXALIAK000000001",
    secret: "sandbox-alibaba-secret",
};

/// A RAM user of the sandbox's account whose only permission is `sts:AssumeRole` (the
/// `AliyunSTSAssumeRoleAccess` policy): a CI runner's base credentials, which can do nothing
/// but assume a role.
pub const ROLE_ASSUMER: Credentials = Credentials {
    key: "SANDBOXALIROLEUSER001",
    secret: "sandbox-alibaba-role-assumer-secret",
};

/// The sandbox's Alibaba Cloud account id (in its roles' ARNs).
pub const ACCOUNT_ID: &str = "1000000000000001";

/// One RPC product as the gateway routes it: its key (its service name, and the first label
/// of its endpoint's host name, `gpdb.cn-hangzhou.aliyuncs.com`), the only API version it
/// answers and its actions.
pub struct Api {
    pub key: &'static str,
    pub version: &'static str,
    /// The actions it answers, by their `x-acs-action` (V3) or `Action` (V2).
    pub actions: &'static [(&'static str, Action)],
}

/// One action of a product.
pub type Action = fn(&Sandbox, &Params) -> Reply;

/// The service value of an RPC product: at `/`, shared with the other products, claimed by
/// `claims` (which is [`claims`] of the product's [`Api`]).
pub const fn service(
    api: &'static Api,
    router: fn(Sandbox) -> Router,
    claims: fn(&Head) -> u8,
    seed: fn(&mut World),
) -> Service {
    Service {
        family: "alicloud",
        name: api.key,
        mount: Mount::Shared {
            claims,
            operation: |h| called(h).action.to_string(),
        },
        router,
        profile: &PROFILE,
        seed,
        credentials: CREDENTIALS,
        sdk: SDK,
        sub_objects: crate::sandbox::world::no_sub_objects,
    }
}

/// How Alibaba Cloud's SDKs reach the sandbox's gateway.
const SDK: &[&str] = &[
    "Alibaba Cloud SDKs (alibabacloud_gpdb20160503, alibabacloud_dataworks_public20240518, alibabacloud_selectdb20230522): open_api_models.Config(access_key_id='{key}', access_key_secret='{secret}', endpoint='{host}', protocol='http', region_id='cn-hangzhou')",
    "aliyun-python-sdk-core (V2 signatures): AcsClient('{key}', '{secret}', 'cn-hangzhou'); request.set_domain('{host}'); request.set_protocol_type('http')",
];

/// How surely a request at `/` is for `api`: 2 when it names the product's API version, 1
/// when it names none of them but was sent to the product's host name, else 0.
pub fn claims(api: &Api, head: &Head) -> u8 {
    let host = head.host();
    let at_host = [".", "-vpc."]
        .iter()
        .any(|sep| host.starts_with(&format!("{}{sep}", api.key)));
    match called(head).version {
        v if v == api.version => 2,
        _ if at_host => 1,
        _ => 0,
    }
}

/// The action and API version a request calls: the `x-acs-*` headers of a V3 request, or a
/// V2 request's `Action` and `Version` parameters.
pub struct Called<'a> {
    pub action: &'a str,
    pub version: &'a str,
}

pub fn called<'a>(head: &'a Head) -> Called<'a> {
    let pick = |header: &str, param: &str| {
        head.header(header)
            .or_else(|| head.param(param))
            .unwrap_or_default()
    };
    Called {
        action: pick("x-acs-action", "Action"),
        version: pick("x-acs-version", "Version"),
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
        let operation = r.extensions().get::<Operation>();
        let action = operation.map_or("", |o| o.0.split_once(':').map_or("", |(_, a)| a));
        !["Describe", "Get", "List"]
            .iter()
            .any(|p| action.starts_with(p))
    },
};

/// A required parameter.
pub fn required<'a>(p: &'a Params, name: &str) -> Result<&'a str, RpcError> {
    present(p.get(name).map(String::as_str), name)
}

/// A required parameter among `(name, value)` pairs.
pub fn required_in<'a>(p: &'a [(String, String)], name: &str) -> Result<&'a str, RpcError> {
    present(
        p.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()),
        name,
    )
}

/// `MissingParameter` unless `value` is there and not empty.
fn present<'a>(value: Option<&'a str>, name: &str) -> Result<&'a str, RpcError> {
    value.filter(|v| !v.is_empty()).ok_or_else(|| {
        fail(
            400,
            "MissingParameter",
            format!("The input parameter \"{name}\" that is mandatory for processing this request is not supplied."),
        )
    })
}

/// The page a list action is asked for: `PageNumber` (from 1) and `PageSize` (`default`
/// when not given, at most 100), and the slice of `items` on it.
pub struct Page {
    pub number: usize,
    pub size: usize,
}

impl Page {
    pub fn of(p: &Params, default: usize) -> Page {
        let number = |key: &str| p.get(key).and_then(|v| v.parse::<usize>().ok());
        Page {
            number: number("PageNumber").unwrap_or(1).max(1),
            size: number("PageSize").unwrap_or(default).clamp(1, 100),
        }
    }

    /// The items on this page.
    pub fn take<T>(&self, items: impl IntoIterator<Item = T>) -> Vec<T> {
        items
            .into_iter()
            .skip((self.number - 1) * self.size)
            .take(self.size)
            .collect()
    }
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

/// Authenticate the request (V3 or V2 signature), check it calls `product`'s version, and
/// run its action on its parameters (query string plus form body).
fn answer(
    sb: &Sandbox,
    product: &Api,
    method: &Method,
    uri: &OriginalUri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Reply {
    let mut pairs = uri.0.query().map(super::url_pairs).unwrap_or_default();
    let query_len = pairs.len();
    if super::is_form(headers) {
        pairs.extend(super::url_pairs(&String::from_utf8_lossy(body)));
    }
    let head = Head {
        headers,
        params: &pairs,
    };
    let request = auth::Request {
        method,
        path: uri.0.path(),
        query: &pairs[..query_len],
        head: &head,
        body,
    };
    let signer = auth::verify(sb, &request)?;
    let Called { action, version } = called(&head);
    let (action, version) = (action.to_string(), version.to_string());
    if version != product.version {
        return Err(fail(
            404,
            "InvalidApi.NotFound",
            format!(
                "Specified api is not found, please check your url and method. ({action} of version {version} is not an API of {}, whose version is {})",
                product.key, product.version
            ),
        ));
    }
    if !signer.may_call(product.key) {
        // the documented answer of a product to a RAM user without its permission
        return Err(fail(
            403,
            "Forbidden.RAM",
            "User not authorized to operate on the specified resource, or this API doesn't support RAM.",
        ));
    }
    let params: Params = pairs.into_iter().collect();
    let act = product
        .actions
        .iter()
        .find(|(name, _)| *name == action.as_str());
    act.map(|(_, f)| f(sb, &params)).unwrap_or_else(|| {
        Err(fail(
            404,
            "InvalidApi.NotFound",
            format!("Specified api is not found, please check your url and method. ({action})"),
        ))
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn head_claims(headers: &[(&'static str, &str)], params: &[(&str, &str)]) -> Vec<u8> {
        let mut h = HeaderMap::new();
        for (k, v) in headers {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        let params: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let head = Head {
            headers: &h,
            params: &params,
        };
        [&gpdb::API, &dataworks::API, &selectdb::API]
            .iter()
            .map(|api| claims(api, &head))
            .collect()
    }

    #[test]
    fn a_request_at_the_root_goes_to_the_product_of_its_version_then_of_its_host() {
        // V3: the x-acs-version header, whatever host it was sent to
        let v3 = [("x-acs-version", "2023-05-22"), ("host", "127.0.0.1:8080")];
        assert_eq!(head_claims(&v3, &[]), vec![0, 0, 2]);
        // V2: the Version parameter
        assert_eq!(
            head_claims(&[], &[("Version", "2024-05-18")]),
            vec![0, 2, 0]
        );
        // no version it knows: the host name decides (with or without a port, VPC or not)
        let host = [("host", "gpdb.cn-hangzhou.aliyuncs.com:443")];
        assert_eq!(head_claims(&host, &[]), vec![1, 0, 0]);
        let vpc = [("host", "selectdb-vpc.cn-beijing.aliyuncs.com")];
        assert_eq!(
            head_claims(&vpc, &[("Version", "1999-01-01")]),
            vec![0, 0, 1]
        );
        // the version outranks the host
        let both = [
            ("host", "gpdb.aliyuncs.com"),
            ("x-acs-version", "2024-05-18"),
        ];
        assert_eq!(head_claims(&both, &[]), vec![1, 2, 0]);
        // neither: nobody claims it
        assert_eq!(head_claims(&[("host", "localhost")], &[]), vec![0, 0, 0]);
    }
}
