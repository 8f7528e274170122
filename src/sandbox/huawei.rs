//! Huawei Cloud RDS v3 parameter templates, as the real API serves them: the same paths,
//! bodies, response shapes and `DBS.*` / `APIGW.*` errors, SDK-HMAC-SHA256 signatures checked
//! (by the sandbox's own AK/SK, or a temporary AK/SK its IAM issued — `huawei_iam` — with a
//! signed, unexpired `X-Security-Token`), the seed's rules enforced, and the seed template in
//! the seed project.

use super::signature::{sdk_hmac, Received};
use super::store::Tx;
use super::temporary::{self, Refusal, HUAWEI};
use super::url_pairs;
use super::world::{Credentials, Mount, Profile, Sandbox, Service};
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::BTreeMap;

const COLL: &str = "rds/parameter_template";
pub const SEED_PROJECT: &str = "054e292c9880d4992f02c0196d3ea468";
pub const SEED_TEMPLATE: &str = "66251c9024774eeb9edd8663a4cbb0a1pr04";

/// The sandbox's own Huawei Cloud account, the only one its gateway knows.
pub const CREDENTIALS: Credentials = Credentials {
    key: "SANDBOXHWAK0000000001",
    secret: "sandbox-huawei-secret-key",
};

/// RDS as the sandbox serves it, at its real paths (`/v3/{project_id}/…`), as
/// `rds.{region}.myhuaweicloud.com` does.
pub static SERVICE: Service = Service {
    family: "huaweicloud",
    name: "rds",
    mount: Mount::At(&[""]),
    router,
    profile: &PROFILE,
    seed,
    credentials: CREDENTIALS,
    sdk: &["Huawei Cloud SDK (huaweicloudsdkrds): RdsClient.new_builder().with_credentials(BasicCredentials('{key}', '{secret}', '054e292c9880d4992f02c0196d3ea468')).with_endpoints(['{url}']).build()"],
    sub_objects: crate::sandbox::world::no_sub_objects,
};

pub static PROFILE: Profile = Profile {
    throttle: || {
        error(
            StatusCode::TOO_MANY_REQUESTS,
            "APIGW.0308",
            "The throttling threshold has been reached: policy user over ratelimit,limit:5,time:1 second",
        )
    },
    internal: || {
        error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "DBS.200005",
            "Internal server error. Try again later.",
        )
    },
    mutating: super::world::rest_mutating,
};

/// An error answer in the RDS format (`error_code`, `error_msg`).
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    msg: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            [("X-Request-Id", uuid::Uuid::new_v4().simple().to_string())],
            Json(json!({ "error_code": self.code, "error_msg": self.msg })),
        )
            .into_response()
    }
}

type Answer<T> = Result<T, ApiError>;

fn error(status: StatusCode, code: &'static str, msg: &str) -> Response {
    ApiError {
        status,
        code,
        msg: msg.to_string(),
    }
    .into_response()
}

fn fail(status: StatusCode, code: &'static str, msg: &str) -> ApiError {
    ApiError {
        status,
        code,
        msg: msg.to_string(),
    }
}

fn bad(msg: &str) -> ApiError {
    fail(StatusCode::BAD_REQUEST, "DBS.200001", msg)
}

fn not_found(id: &str) -> ApiError {
    fail(
        StatusCode::NOT_FOUND,
        "DBS.200002",
        &format!("The parameter template {id} does not exist."),
    )
}

fn ok(body: Value) -> Response {
    (
        StatusCode::OK,
        [("X-Request-Id", uuid::Uuid::new_v4().simple().to_string())],
        Json(body),
    )
        .into_response()
}

/// One parameter of an engine: (name, type, range, default, restart required).
type Param = (&'static str, &'static str, &'static str, &'static str, bool);

const MYSQL: &[Param] = &[
    ("max_connections", "integer", "10-100000", "2500", false),
    ("wait_timeout", "integer", "1-31536000", "28800", false),
    (
        "innodb_lock_wait_timeout",
        "integer",
        "1-1073741824",
        "50",
        false,
    ),
    (
        "character_set_server",
        "list",
        "utf8,utf8mb4,latin1,gbk",
        "utf8mb4",
        true,
    ),
    ("slow_query_log", "boolean", "ON,OFF", "OFF", false),
    ("time_zone", "string", "", "SYSTEM", false),
];
const POSTGRESQL: &[Param] = &[
    ("max_connections", "integer", "10-10000", "100", true),
    ("work_mem", "integer", "64-2097151", "4096", false),
    (
        "log_min_duration_statement",
        "integer",
        "-1-2147483647",
        "-1",
        false,
    ),
    ("timezone", "string", "", "UTC", false),
];
const SQLSERVER: &[Param] = &[
    (
        "max degree of parallelism",
        "integer",
        "0-32767",
        "0",
        false,
    ),
    (
        "cost threshold for parallelism",
        "integer",
        "0-32767",
        "5",
        false,
    ),
    (
        "max server memory (MB)",
        "integer",
        "128-2147483647",
        "2147483647",
        false,
    ),
];

fn engine(
    name: &str,
) -> Option<(
    &'static str,
    &'static [&'static str],
    &'static [Param],
    &'static str,
)> {
    // (canonical lowercase name, versions, parameters, id suffix)
    match name.to_ascii_lowercase().as_str() {
        "mysql" => Some(("mysql", &["5.6", "5.7", "8.0"], MYSQL, "pr01")),
        "postgresql" => Some((
            "postgresql",
            &["11", "12", "13", "14", "15", "16"],
            POSTGRESQL,
            "pr03",
        )),
        "sqlserver" => Some((
            "sqlserver",
            &["2017_SE", "2017_EE", "2019_SE", "2019_EE", "2022_EE"],
            SQLSERVER,
            "pr04",
        )),
        "mariadb" => Some(("mariadb", &["10.5"], MYSQL, "pr11")),
        _ => None,
    }
}

fn now() -> String {
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]+0000");
    time::OffsetDateTime::now_utc()
        .format(&f)
        .unwrap_or_default()
}

pub fn seed(w: &mut super::store::World) {
    let coll = w.colls.entry(COLL.to_string()).or_default();
    let t = "2022-10-31T08:24:06+0000";
    for (id, name, engine, version) in [
        (
            SEED_TEMPLATE,
            "Default-SQLServer-2017_EE",
            "sqlserver",
            "2017_EE",
        ),
        (
            "0b6a3e8c1f1e4f58a2b0c8e5d7a9f3e1pr01",
            "Default-MySQL-8.0",
            "mysql",
            "8.0",
        ),
        (
            "7d41c2a9e6b04c0f9f8e2a1b3c5d7e9fpr03",
            "Default-PostgreSQL-14",
            "postgresql",
            "14",
        ),
    ] {
        coll.insert(
            id.to_string(),
            json!({
                "name": name, "description": format!("Default parameter template for {engine} {version}"),
                "project": SEED_PROJECT, "datastore_name": engine, "datastore_version_name": version,
                "values": {}, "user_defined": false, "created": t, "updated": t, "status": "available"
            }),
        );
    }
}

pub fn router(sb: Sandbox) -> Router {
    Router::new()
        .route("/v3/{project}/configurations", get(list).post(create))
        .route(
            "/v3/{project}/configurations/{id}",
            get(show).put(update).delete(remove),
        )
        .route("/v3/{project}/configurations/{id}/copy", post(copy))
        .layer(axum::middleware::from_fn_with_state(sb.clone(), signed))
        .with_state(sb)
}

/// Every request must carry a valid signature: checked once, here, before any handler (the
/// middleware of every Huawei service of the sandbox: one gateway, APIG).
pub async fn signed(
    State(sb): State<Sandbox>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, 16 << 20).await {
        Ok(b) => b,
        Err(e) => return bad(&format!("Invalid request body: {e}")).into_response(),
    };
    let uri = parts
        .extensions
        .get::<OriginalUri>()
        .cloned()
        .unwrap_or_else(|| OriginalUri(parts.uri.clone()));
    if let Err(e) = verify(&sb, &parts.method, &uri, &parts.headers, &bytes) {
        return e.into_response();
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}

/// Check the SDK-HMAC-SHA256 signature of what arrived: the key (and its security token), a
/// signed and recent `X-Sdk-Date`, every signed header present, then the signature itself.
fn verify(
    sb: &Sandbox,
    method: &Method,
    uri: &OriginalUri,
    headers: &HeaderMap,
    body: &[u8],
) -> Answer<()> {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| deny("the Authorization header is missing"))?;
    let auth = sdk_hmac::SCHEME
        .authorization(auth)
        .ok_or_else(|| deny("the Authorization header is not SDK-HMAC-SHA256"))?;
    let token = headers
        .get("x-security-token")
        .and_then(|v| v.to_str().ok());
    if token.is_some() && !auth.signed.iter().any(|h| h == "x-security-token") {
        // huaweicloudsdkcore signs every header it sends (the sandbox's rule)
        return Err(deny("x-security-token must be signed"));
    }
    let secret = secret_of(sb, &auth.key, token)?;
    if !auth.signed.iter().any(|h| h == "x-sdk-date") {
        return Err(deny("x-sdk-date must be signed"));
    }
    let date = headers
        .get("x-sdk-date")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| deny("the X-Sdk-Date header is missing"))?;
    let when = sdk_hmac::SCHEME
        .parse_date(date)
        .ok_or_else(|| deny("X-Sdk-Date is malformed"))?;
    if (time::OffsetDateTime::now_utc() - when).abs() > time::Duration::minutes(15) {
        return Err(deny(
            "the request has expired (X-Sdk-Date is more than 15 minutes off)",
        ));
    }
    if let Some(name) = auth
        .signed
        .iter()
        .find(|n| !headers.contains_key(n.as_str()))
    {
        return Err(deny(&format!("signed header {name} is missing")));
    }
    let received: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string()))
        .collect();
    let query: Vec<(String, String)> = uri.0.query().map(url_pairs).unwrap_or_default();
    let r = Received {
        method: method.as_str(),
        path: uri.0.path(),
        query: &query,
        headers: &received,
    };
    let expected = sdk_hmac::expected(&r, &auth.signed, body, date, &secret);
    if !super::signature::same(&expected, &auth.signature) {
        return Err(deny("verify aksk signature fail"));
    }
    Ok(())
}

/// The secret of AK `key` sent with `token`: the sandbox's own (never with a token), or a
/// temporary one its IAM issued, with that AK's unexpired token.
fn secret_of(sb: &Sandbox, key: &str, token: Option<&str>) -> Answer<String> {
    let token = token.filter(|t| !t.is_empty());
    if key == CREDENTIALS.key {
        return match token {
            Some(_) => Err(refused(Refusal::Mismatch)),
            None => Ok(CREDENTIALS.secret.to_string()),
        };
    }
    temporary::lookup(&sb.store, &HUAWEI, key, token)
        .map_err(internal)?
        .map_err(refused)
}

/// APIG's refusal of credentials: `APIGW.0301` (401), "Incorrect IAM authentication
/// information", is documented for every IAM authentication failure, with "Get secretKey
/// failed …ak not exist" for an unknown AK and "decrypt token fail" for a token that cannot
/// be read; the words after the colon for a missing, foreign or expired security token are
/// the sandbox's (none are documented).
fn refused(why: Refusal) -> ApiError {
    deny(match why {
        Refusal::Unknown => "Get secretKey failed,ak:******,err:ak not exist",
        Refusal::Malformed => "decrypt token fail",
        Refusal::MissingToken => "the X-Security-Token of a temporary AK is missing",
        Refusal::Mismatch => "the security token does not belong to the AK",
        Refusal::Expired => "the security token has expired",
    })
}

/// A refused signature, as APIG words it.
pub fn deny(why: &str) -> ApiError {
    fail(
        StatusCode::UNAUTHORIZED,
        "APIGW.0301",
        &format!("Incorrect IAM authentication information: {why}"),
    )
}

fn check_name(name: Option<&str>) -> Answer<&str> {
    let name = name.ok_or_else(|| bad("Invalid parameter: name is required."))?;
    let valid = !name.is_empty()
        && name.chars().count() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !valid {
        return Err(bad(&format!(
            "Invalid parameter: name \"{name}\". The name must be 1 to 64 characters and can contain only letters, digits, periods (.), underscores (_), and hyphens (-)."
        )));
    }
    Ok(name)
}

fn check_description(d: Option<&Value>) -> Answer<Option<String>> {
    let Some(d) = d else { return Ok(None) };
    let d = d
        .as_str()
        .ok_or_else(|| bad("Invalid parameter: description must be a string."))?;
    if d.chars().count() > 256 || d.chars().any(|c| "!<>=&\"'".contains(c)) {
        return Err(bad(
            "Invalid parameter: description. It can contain 0 to 256 characters and cannot contain the following characters: ! < > = & \" '",
        ));
    }
    Ok(Some(d.to_string()))
}

fn check_value(p: &Param, v: &str) -> Result<(), String> {
    let (name, ty, range, _, _) = p;
    let fail =
        || format!("Invalid value \"{v}\" for parameter {name}: the valid range is {range}.");
    match *ty {
        "integer" => {
            let n: i64 = v.parse().map_err(|_| fail())?;
            // ranges like "10-100000" or "-1-2147483647"
            let (lo, hi) = range
                .rsplit_once('-')
                .and_then(|(a, b)| Some((a.parse::<i64>().ok()?, b.parse::<i64>().ok()?)))
                .ok_or_else(fail)?;
            if n < lo || n > hi {
                return Err(fail());
            }
        }
        "list" | "boolean" if !range.split(',').any(|o| o == v) => return Err(fail()),
        _ => {}
    }
    Ok(())
}

/// Validate `values`: (accepted, ignored names) or the error for an invalid value.
fn check_values(
    params: &[Param],
    values: Option<&Value>,
) -> Answer<(BTreeMap<String, String>, Vec<String>)> {
    let mut ok = BTreeMap::new();
    let mut ignored = Vec::new();
    let Some(values) = values else {
        return Ok((ok, ignored));
    };
    let obj = values
        .as_object()
        .ok_or_else(|| bad("Invalid parameter: values must be an object of strings."))?;
    for (k, v) in obj {
        let v = v.as_str().ok_or_else(|| {
            bad(&format!(
                "Invalid parameter: the value of {k} must be a string."
            ))
        })?;
        match params.iter().find(|p| p.0 == k) {
            Some(p) => {
                check_value(p, v).map_err(|e| bad(&e))?;
                ok.insert(k.clone(), v.to_string());
            }
            None => ignored.push(k.clone()),
        }
    }
    Ok((ok, ignored))
}

fn in_project<'a>(tx: &'a Tx, project: &str, id: &str) -> Option<&'a Value> {
    tx.get(COLL, id).filter(|d| d["project"] == project)
}

/// Refused when another template (`except` aside) of `project` is named `name`.
fn name_free(tx: &Tx, project: &str, name: &str, except: &str) -> Result<(), ApiError> {
    let w = tx.world();
    let taken = w
        .named(COLL, name)
        .any(|id| id != except && w.get(COLL, id).is_some_and(|d| d["project"] == project));
    if taken {
        return Err(bad(&format!(
            "The parameter template name {name} already exists."
        )));
    }
    Ok(())
}

fn new_id(suffix: &str) -> String {
    format!("{}{suffix}", uuid::Uuid::new_v4().simple())
}

fn summary(id: &str, d: &Value) -> Value {
    json!({
        "id": id, "name": d["name"], "description": d["description"],
        "datastore_version_name": d["datastore_version_name"], "datastore_name": d["datastore_name"],
        "created": d["created"], "updated": d["updated"], "user_defined": d["user_defined"],
    })
}

fn parse_body(body: &[u8]) -> Answer<Value> {
    serde_json::from_slice(body).map_err(|e| bad(&format!("Invalid request body: {e}")))
}

fn internal(e: String) -> ApiError {
    fail(StatusCode::INTERNAL_SERVER_ERROR, "DBS.200005", &e)
}

async fn list(State(sb): State<Sandbox>, Path(project): Path<String>) -> Answer<Response> {
    let items = sb
        .store
        .read(|w| {
            w.list(COLL)
                .filter(|(_, d)| d["project"] == project)
                .map(|(id, d)| summary(id, d))
                .collect::<Vec<_>>()
        })
        .map_err(internal)?;
    Ok(ok(json!({ "configurations": items })))
}

async fn create(
    State(sb): State<Sandbox>,
    Path(project): Path<String>,
    body: Bytes,
) -> Answer<Response> {
    let req = parse_body(&body)?;
    let name = check_name(req["name"].as_str())?.to_string();
    let description = check_description(req.get("description"))?;
    let ty = req["datastore"]["type"].as_str().unwrap_or_default();
    let version = req["datastore"]["version"].as_str().unwrap_or_default();
    let Some((engine_name, versions, params, suffix)) = engine(ty) else {
        return Err(bad(&format!(
            "Invalid parameter: datastore.type \"{ty}\". Supported: MySQL, PostgreSQL, SQLServer, MariaDB."
        )));
    };
    if !versions.contains(&version) {
        return Err(bad(&format!(
            "Invalid parameter: datastore.version \"{version}\" is not supported for {ty} (supported: {}).",
            versions.join(", ")
        )));
    }
    let (values, ignored) = check_values(params, req.get("values"))?;
    if !ignored.is_empty() {
        return Err(bad(&format!(
            "Invalid parameter: {} is not a parameter of {engine_name} {version}.",
            ignored.join(", ")
        )));
    }
    sb.store
        .write(|tx| {
            name_free(tx, &project, &name, "")?;
            let id = new_id(suffix);
            let t = now();
            let doc = json!({
                "name": name, "description": description.unwrap_or_default(), "project": project,
                "datastore_name": engine_name, "datastore_version_name": version, "values": values,
                "user_defined": true, "created": t, "updated": t, "status": "available"
            });
            tx.put(COLL, &id, doc.clone());
            let mut s = summary(&id, &doc);
            if let Some(o) = s.as_object_mut() {
                o.remove("user_defined");
            }
            Ok(ok(json!({ "configuration": s })))
        })
        .map_err(internal)?
}

async fn show(
    State(sb): State<Sandbox>,
    Path((project, id)): Path<(String, String)>,
) -> Answer<Response> {
    let doc = sb
        .store
        .read(|w| {
            w.get(COLL, &id)
                .filter(|d| d["project"] == project)
                .cloned()
        })
        .map_err(internal)?
        .ok_or_else(|| not_found(&id))?;
    let params = engine(doc["datastore_name"].as_str().unwrap_or_default())
        .map(|e| e.2)
        .unwrap_or_default();
    let values = doc["values"].as_object().cloned().unwrap_or_default();
    let parameters: Vec<Value> = params
        .iter()
        .map(|(name, ty, range, default, restart)| {
            json!({
                "name": name,
                "value": values.get(*name).and_then(|v| v.as_str()).unwrap_or(default),
                "restart_required": restart, "readonly": false, "value_range": range,
                "type": ty, "description": format!("{name} ({ty})"),
            })
        })
        .collect();
    let mut s = summary(&id, &doc);
    if let Some(o) = s.as_object_mut() {
        o.remove("user_defined");
        o.insert("configuration_parameters".into(), Value::Array(parameters));
    }
    Ok(ok(s))
}

async fn update(
    State(sb): State<Sandbox>,
    Path((project, id)): Path<(String, String)>,
    body: Bytes,
) -> Answer<Response> {
    let req = parse_body(&body)?;
    sb.store
        .write(|tx| {
            let mut doc = in_project(tx, &project, &id)
                .cloned()
                .ok_or_else(|| not_found(&id))?;
            if doc["user_defined"] == false {
                return Err(fail(
                    StatusCode::FORBIDDEN,
                    "DBS.200010",
                    "Default parameter templates cannot be modified.",
                ));
            }
            if let Some(n) = req.get("name") {
                let name = check_name(n.as_str())?.to_string();
                name_free(tx, &project, &name, &id)?;
                doc["name"] = json!(name);
            }
            if let Some(d) = check_description(req.get("description"))? {
                doc["description"] = json!(d);
            }
            let params = engine(doc["datastore_name"].as_str().unwrap_or_default())
                .map(|e| e.2)
                .unwrap_or_default();
            let (values, ignored) = check_values(params, req.get("values"))?;
            if let Some(obj) = doc["values"].as_object_mut() {
                for (k, v) in values {
                    obj.insert(k, json!(v));
                }
            }
            doc["updated"] = json!(now());
            tx.put(COLL, &id, doc.clone());
            Ok(ok(
                json!({ "configuration": { "id": id, "name": doc["name"], "ignored_params": ignored } }),
            ))
        })
        .map_err(internal)?
}

async fn remove(
    State(sb): State<Sandbox>,
    Path((project, id)): Path<(String, String)>,
) -> Answer<Response> {
    sb.store
        .write(|tx| {
            let doc = in_project(tx, &project, &id).ok_or_else(|| not_found(&id))?;
            if doc["user_defined"] == false {
                return Err(fail(
                    StatusCode::FORBIDDEN,
                    "DBS.200010",
                    "Default parameter templates cannot be deleted.",
                ));
            }
            tx.delete(COLL, &id);
            Ok((
                StatusCode::OK,
                [("X-Request-Id", uuid::Uuid::new_v4().simple().to_string())],
            )
                .into_response())
        })
        .map_err(internal)?
}

async fn copy(
    State(sb): State<Sandbox>,
    Path((project, id)): Path<(String, String)>,
    body: Bytes,
) -> Answer<Response> {
    let req = parse_body(&body)?;
    let name = check_name(req["name"].as_str())?.to_string();
    let description = check_description(req.get("description"))?;
    sb.store
        .write(|tx| {
            let src = in_project(tx, &project, &id)
                .cloned()
                .ok_or_else(|| not_found(&id))?;
            let engine_name = src["datastore_name"].as_str().unwrap_or_default().to_string();
            let Some((_, _, _, suffix)) = engine(&engine_name).filter(|e| e.0 != "mariadb") else {
                return Err(bad(
                    "Only MySQL, PostgreSQL and Microsoft SQL Server parameter templates can be replicated.",
                ));
            };
            name_free(tx, &project, &name, "")?;
            let new = new_id(suffix);
            let t = now();
            let doc = json!({
                "name": name, "description": description.unwrap_or_default(), "project": project,
                "datastore_name": engine_name, "datastore_version_name": src["datastore_version_name"],
                "values": src["values"], "user_defined": true, "created": t, "updated": t,
                "status": "available", "copied_from": id,
            });
            tx.put(COLL, &new, doc.clone());
            Ok(ok(json!({
                "id": new, "name": doc["name"], "description": doc["description"],
                "datastore_version_name": doc["datastore_version_name"],
                "datastore_name": doc["datastore_name"], "create_time": t, "update_time": t,
            })))
        })
        .map_err(internal)?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_rules() {
        let p = &MYSQL[0];
        assert!(check_value(p, "500").is_ok());
        assert!(check_value(p, "5").is_err());
        assert!(check_value(p, "many").is_err());
        assert!(check_value(&POSTGRESQL[2], "-1").is_ok());
        assert!(check_value(&MYSQL[3], "utf8mb4").is_ok());
        assert!(check_value(&MYSQL[3], "klingon").is_err());
        assert_eq!(
            url_pairs("a=1&b=x%20y&c"),
            vec![
                ("a".to_string(), "1".to_string()),
                ("b".to_string(), "x y".to_string()),
                ("c".to_string(), String::new())
            ]
        );
    }
}
