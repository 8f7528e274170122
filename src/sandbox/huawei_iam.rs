//! Huawei Cloud IAM's `POST /v3.0/OS-CREDENTIAL/securitytokens` ("Obtaining temporary access
//! keys and security tokens of an IAM user"), so a test or a CI job can get a temporary
//! AK/SK and security token from the sandbox as from IAM. Signed with the sandbox's AK/SK
//! (`Authorization`, which the API reference recommends over `X-Auth-Token`; checked by the
//! RDS gateway's middleware, `huawei::signed`). The body is huaweicloudsdkiam's model
//! (`CreateTemporaryAccessKeyByTokenRequestBody`): `auth.identity.methods` `["token"]`,
//! `auth.identity.token.duration_seconds` 900–86400 (default 900); the answer, 201, is
//! `{"credential": {"access", "secret", "securitytoken", "expires_at"}}`, the credentials kept
//! by `temporary` (hashes only), living `duration_seconds` or `sts_ttl_ms` when shorter.
//!
//! A body the API refuses is a 400 in Keystone's error shape (`{"error": {"code", "message",
//! "title"}}`), the shape of IAM's v3 APIs — the sandbox's reading: the reference lists no
//! codes for this API.

use super::temporary::{self, HUAWEI};
use super::world::{Mount, Sandbox, Service};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

/// IAM as the sandbox serves it, on the same gateway as RDS (`iam.<region>.myhuaweicloud.com`
/// in the real cloud).
pub static SERVICE: Service = Service {
    family: "huaweicloud",
    name: "iam",
    mount: Mount::At(&[""]),
    router,
    profile: &super::huawei::PROFILE,
    seed: |_| {},
    credentials: super::huawei::CREDENTIALS,
    sdk: &[],
    sub_objects: super::world::no_sub_objects,
};

pub fn router(sb: Sandbox) -> Router {
    Router::new()
        .route("/v3.0/OS-CREDENTIAL/securitytokens", post(security_tokens))
        .layer(axum::middleware::from_fn_with_state(
            sb.clone(),
            super::huawei::signed,
        ))
        .with_state(sb)
}

/// A 400 in IAM's (Keystone's) error shape.
fn bad(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": {"code": 400, "message": message, "title": "Bad Request"}})),
    )
        .into_response()
}

/// `auth.identity.token.duration_seconds`, checked: 900–86400 (15 minutes to 24 hours); else
/// what is wrong.
fn duration(body: &Value) -> Result<u64, &'static str> {
    let identity = &body["auth"]["identity"];
    let methods = identity["methods"].as_array();
    if !methods.is_some_and(|m| m.iter().any(|x| x == "token")) {
        return Err("Invalid auth.identity.methods: [\"token\"] is expected.");
    }
    match &identity["token"]["duration_seconds"] {
        Value::Null => Ok(900),
        v => v
            .as_u64()
            .filter(|d| (900..=86_400).contains(d))
            .ok_or("Invalid duration_seconds: it must be an integer from 900 to 86400."),
    }
}

async fn security_tokens(State(sb): State<Sandbox>, body: Bytes) -> Response {
    let parsed: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return bad(&format!("The request body is not JSON: {e}")),
    };
    let seconds = match duration(&parsed) {
        Ok(s) => s,
        Err(why) => return bad(why),
    };
    let lifetime = temporary::lifetime_ms(seconds, &sb.faults.spec);
    let issued = sb
        .store
        .write(|tx| temporary::issue(tx, &HUAWEI, lifetime, json!({"name": "securitytoken"})));
    match issued {
        Ok(i) => (
            StatusCode::CREATED,
            Json(json!({"credential": {
                "access": i.key,
                "secret": i.secret,
                "securitytoken": i.token,
                "expires_at": expires_at(i.expires_ms),
            }})),
        )
            .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e).into_response(),
    }
}

/// `2020-01-08T02:56:19.000000Z`, as the API prints it (huaweicloudsdkcore parses
/// `%Y-%m-%dT%H:%M:%S.%fZ`).
fn expires_at(ms: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let f = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
    );
    t.format(f).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_methods_are_checked_and_times_printed_as_the_sdk_reads_them() {
        let body = |d: Value| json!({"auth": {"identity": {"methods": ["token"], "token": {"duration_seconds": d}}}});
        assert_eq!(duration(&body(Value::Null)).ok(), Some(900));
        assert_eq!(duration(&body(json!(86_400))).ok(), Some(86_400));
        for refused in [json!(899), json!(86_401), json!("900")] {
            assert!(duration(&body(refused)).is_err());
        }
        let password = json!({"auth": {"identity": {"methods": ["password"]}}});
        assert!(duration(&password).is_err());
        assert_eq!(expires_at(1_578_452_179_000), "2020-01-08T02:56:19.000000Z");
    }
}
