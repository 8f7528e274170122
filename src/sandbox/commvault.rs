//! Commvault's Command Center REST API — the part that registers an Alibaba PaaS PostgreSQL
//! database for backup — as the real one serves it, under `/commandcenter/api`:
//!
//! - `POST /Login` with the sandbox user (`admin`, password base64-encoded) answers a
//!   `QSDK …` token (wrong credentials: a 200 with `errList`, as Commvault does). Tokens live in
//!   this server's memory only, never in the world file, and expire after `token_ttl_ms` of
//!   inactivity (`STRATA_SANDBOX`, default Commvault's 30 minutes). Every other call needs a
//!   live `Authtoken` header, checked by a middleware: else 401
//!   `{"errorMessage":"Access Denied","errorCode":5}`.
//! - `POST /instance` (the seed's body), `GET /instance/{id}`, `GET /instance?clientName=…`
//!   (or `clientId`), `DELETE /instance/{id}` (`{"response":[{"errorCode":0}]}`).
//! - Seeds: client `alibaba-prod` (clientId 444), client `alibaba-dr` (445) whose access node
//!   is offline, plan `Server plan`, and three reachable PaaS PostgreSQL databases
//!   (`pgm-6gj1yy9fmpsm49d9.pg.rds.aliyuncs.com:5432` and two more, see `DATABASES`).
//! - The databases' SA password: the sandbox cannot know it, so it trusts the first one a
//!   registration presents for a database and keeps only a salted SHA-256 of it (and the user
//!   name) in that database's document — never the password or its base64 form. Later
//!   registrations must present the same user and password. A test simulating a password
//!   rotated by the DBA removes `sa_password` from the document.
//! - Errors, in Commvault's `{"errorMessage", "errorCode"}` format: an invalid body 400 / 1;
//!   an unknown client 404 / 2; a client whose access node is down 400 / 4444 ("Unable to
//!   connect to client [] to execute [PostgresBrowseAgent]…", the seed's text); an unknown plan
//!   a 200 whose `response.errorCode` is 2 (Commvault reports many refusals that way); a
//!   duplicate instance name under the client 409 / 3 ("An instance by this name already
//!   exists."); a database the sandbox does not know 500 / 4444 (the seed's connection time-out
//!   text); a wrong SA user or password 400 / 4444 (password authentication failed); an unknown
//!   instance id 404 / 2. Throttling (429) and 5xx faults use the same format (`PROFILE`).

use super::store::{Tx, World};
use super::world::{Credentials, Mount, Profile, Sandbox, Service};
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CLIENTS: &str = "commvault/client";
const PLANS: &str = "commvault/plan";
const DATABASES: &str = "commvault/database";
const INSTANCES: &str = "commvault/instance";
/// The CommServe's own document: it hands out instance and subclient ids.
const COMMSERVE: &str = "commvault/commserve";
const COMMSERVE_ID: &str = "2";

/// The cloud database agent, the only one this API registers.
const APPLICATION_ID: i64 = 125;

/// Seeded PaaS PostgreSQL databases Commvault can reach: (host:port, region, version).
pub const SEED_DATABASES: &[(&str, &str, &str)] = &[
    (
        "pgm-6gj1yy9fmpsm49d9.pg.rds.aliyuncs.com:5432",
        "ap-south-1",
        "14",
    ),
    (
        "pgm-bp1z3k8m2n7q4w5e.pg.rds.aliyuncs.com:5432",
        "cn-hangzhou",
        "15",
    ),
    (
        "pgm-uf6a1b2c3d4e5f6g.pgsql.rds.aliyuncs.com:1921",
        "cn-shanghai",
        "13",
    ),
];

/// The sandbox's own Command Center user (name and password), the only one it knows.
pub const CREDENTIALS: Credentials = Credentials {
    key: "admin",
    secret: "sandbox-commvault-password",
};

/// Command Center as the sandbox serves it, at its API's real base path
/// (`/commandcenter/api`; older installs' `/webconsole/api` too).
pub static SERVICE: Service = Service {
    family: "commvault",
    name: "commandcenter",
    mount: Mount::At(&["/commandcenter/api", "/webconsole/api"]),
    router,
    profile: &PROFILE,
    seed,
    credentials: CREDENTIALS,
    sdk: &["Commvault REST API: base URL {url}, user '{key}', password '{secret}'"],
};

pub static PROFILE: Profile = Profile {
    throttle: || {
        error(
            StatusCode::TOO_MANY_REQUESTS,
            429,
            "Too many requests: the API request limit was reached. Try again later.",
        )
    },
    internal: || {
        error(
            StatusCode::INTERNAL_SERVER_ERROR,
            500,
            "Internal server error. Please try again later.",
        )
    },
    mutating: super::world::rest_mutating,
};

/// An error answer in Commvault's format.
pub struct CvError {
    status: StatusCode,
    code: i64,
    msg: String,
    entity: Option<Value>,
}

impl IntoResponse for CvError {
    fn into_response(self) -> Response {
        let mut body = json!({ "errorMessage": self.msg, "errorCode": self.code });
        if let Some(e) = self.entity {
            body["entity"] = e;
        }
        (self.status, Json(body)).into_response()
    }
}

type Answer<T> = Result<T, CvError>;

fn fail(status: StatusCode, code: i64, msg: &str) -> CvError {
    CvError {
        status,
        code,
        msg: msg.to_string(),
        entity: None,
    }
}

fn error(status: StatusCode, code: i64, msg: &str) -> Response {
    fail(status, code, msg).into_response()
}

fn bad(msg: &str) -> CvError {
    fail(StatusCode::BAD_REQUEST, 1, msg)
}

fn internal(e: String) -> CvError {
    fail(StatusCode::INTERNAL_SERVER_ERROR, 500, &e)
}

fn denied() -> Response {
    error(StatusCode::UNAUTHORIZED, 5, "Access Denied")
}

pub fn seed(w: &mut World) {
    let mut put = |coll: &str, id: &str, doc: Value| {
        w.colls
            .entry(coll.to_string())
            .or_default()
            .insert(id.to_string(), doc);
    };
    put(
        COMMSERVE,
        COMMSERVE_ID,
        json!({"name": "sandbox-commserve", "status": "online", "lastInstanceId": 1059, "lastSubclientId": 3000}),
    );
    put(
        CLIENTS,
        "444",
        json!({"name": "alibaba-prod", "status": "online", "type": "Alibaba Cloud account"}),
    );
    put(
        CLIENTS,
        "445",
        json!({"name": "alibaba-dr", "status": "offline", "type": "Alibaba Cloud account"}),
    );
    put(
        PLANS,
        "1",
        json!({"name": "Server plan", "status": "active", "rpoMinutes": 1440}),
    );
    for (endpoint, region, version) in SEED_DATABASES {
        put(
            DATABASES,
            endpoint,
            json!({"name": endpoint, "status": "running", "engine": "PostgreSQL", "region": region, "version": version}),
        );
    }
}

/// Live session tokens and when each was last used.
struct Tokens {
    ttl: Duration,
    last_used: Mutex<HashMap<String, Instant>>,
}

impl Tokens {
    fn issue(&self) -> String {
        let token = format!(
            "QSDK {}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let mut m = self.last_used.lock().unwrap_or_else(|e| e.into_inner());
        m.retain(|_, t| t.elapsed() < self.ttl);
        m.insert(token.clone(), Instant::now());
        token
    }

    /// Whether `token` is live; using it keeps it alive.
    fn touch(&self, token: &str) -> bool {
        let mut m = self.last_used.lock().unwrap_or_else(|e| e.into_inner());
        match m.get_mut(token) {
            Some(t) if t.elapsed() < self.ttl => {
                *t = Instant::now();
                true
            }
            Some(_) => {
                m.remove(token);
                false
            }
            None => false,
        }
    }
}

#[derive(Clone)]
struct Cv {
    sb: Sandbox,
    tokens: Arc<Tokens>,
}

pub fn router(sb: Sandbox) -> Router {
    let cv = Cv {
        tokens: Arc::new(Tokens {
            ttl: Duration::from_millis(sb.faults.spec.token_ttl_ms),
            last_used: Mutex::new(HashMap::new()),
        }),
        sb,
    };
    // The path is case-insensitive in practice (cvpysdk writes `/Instance`).
    let api = Router::new()
        .route("/instance", get(list).post(create))
        .route("/Instance", get(list).post(create))
        .route("/instance/{id}", get(show).delete(remove))
        .route("/Instance/{id}", get(show).delete(remove))
        .route_layer(axum::middleware::from_fn_with_state(cv.clone(), authorized));
    Router::new()
        .route("/Login", post(login))
        .merge(api)
        .with_state(cv)
}

/// Every call but the login needs a live `Authtoken`.
async fn authorized(State(cv): State<Cv>, req: Request, next: axum::middleware::Next) -> Response {
    let live = req
        .headers()
        .get("authtoken")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| cv.tokens.touch(t.trim()));
    if live {
        next.run(req).await
    } else {
        denied()
    }
}

fn decode_b64(s: &str) -> Option<String> {
    base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
}

async fn login(State(cv): State<Cv>, body: Bytes) -> Answer<Response> {
    let req: Value =
        serde_json::from_slice(&body).map_err(|e| bad(&format!("Invalid request body: {e}")))?;
    let user = req["username"].as_str().unwrap_or_default();
    let password = req["password"].as_str().and_then(decode_b64);
    if user != CREDENTIALS.key || password.as_deref() != Some(CREDENTIALS.secret) {
        return Ok(Json(json!({
            "errList": [{"errLogMessage": "Invalid Username or Password", "errorCode": 5}]
        }))
        .into_response());
    }
    Ok(Json(json!({
        "aliasName": "1",
        "userGUID": uuid::Uuid::new_v4().to_string().to_uppercase(),
        "userName": user,
        "token": cv.tokens.issue(),
        "isAccountLocked": false,
        "remainingLockTime": 0,
        "forcePasswordChange": false,
        "errList": [],
    }))
    .into_response())
}

/// One instance as `GET /instance/{id}` describes it (no password, ever).
fn properties(id: &str, d: &Value) -> Value {
    json!({
        "instance": {
            "instanceId": id.parse::<i64>().unwrap_or_default(),
            "instanceName": d["name"],
            "appName": "PostgreSQL",
            "applicationId": d["applicationId"],
            "clientId": d["clientId"],
            "clientName": d["clientName"],
        },
        "version": d["version"],
        "planEntity": { "planName": d["planName"], "planId": d["planId"] },
        "postGreSQLInstance": {
            "MaintainenceDB": d["maintenanceDb"],
            "port": d["endpoint"],
            "SAUser": { "userName": d["saUserName"] },
            "cloudDBEngineType": "POSTGRESQL",
            "sslOpt": { "sslEnabled": d["sslEnabled"], "sslCa": d["sslCa"] },
        },
        "dbEngine": "PostgreSQL",
    })
}

async fn list(State(cv): State<Cv>, Query(q): Query<HashMap<String, String>>) -> Answer<Response> {
    let items = cv
        .sb
        .store
        .read(|w| {
            w.list(INSTANCES)
                .filter(|(_, d)| {
                    q.get("clientName").is_none_or(|c| d["clientName"] == *c)
                        && q.get("clientId")
                            .is_none_or(|c| d["clientId"].as_i64() == c.parse().ok())
                })
                .map(|(id, d)| properties(id, d))
                .collect::<Vec<_>>()
        })
        .map_err(internal)?;
    Ok(Json(json!({ "instanceProperties": items })).into_response())
}

async fn show(State(cv): State<Cv>, Path(id): Path<String>) -> Answer<Response> {
    let doc = cv
        .sb
        .store
        .read(|w| w.get(INSTANCES, &id).cloned())
        .map_err(internal)?
        .ok_or_else(|| instance_not_found(&id))?;
    Ok(Json(json!({ "instanceProperties": [properties(&id, &doc)] })).into_response())
}

fn instance_not_found(id: &str) -> CvError {
    fail(
        StatusCode::NOT_FOUND,
        2,
        &format!("Instance [{id}] does not exist."),
    )
}

async fn remove(State(cv): State<Cv>, Path(id): Path<String>) -> Answer<Response> {
    cv.sb
        .store
        .write(|tx| {
            tx.get(INSTANCES, &id)
                .ok_or_else(|| instance_not_found(&id))?;
            tx.delete(INSTANCES, &id);
            Ok(Json(json!({ "response": [{ "errorCode": 0 }] })).into_response())
        })
        .map_err(internal)?
}

/// What a create asks for, checked for shape.
struct NewInstance {
    name: String,
    client: String,
    application_id: i64,
    version: String,
    plan: String,
    maintenance_db: String,
    endpoint: String,
    sa_user: String,
    sa_password: String,
    ssl_enabled: bool,
    ssl_ca: String,
}

fn required<'a>(v: &'a Value, what: &str) -> Answer<&'a str> {
    v.as_str()
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| bad(&format!("Invalid input: {what} is required.")))
}

fn parse_new(body: &[u8]) -> Answer<NewInstance> {
    let req: Value =
        serde_json::from_slice(body).map_err(|e| bad(&format!("Invalid request body: {e}")))?;
    let p = &req["instanceProperties"];
    let inst = &p["instance"];
    let pg = &p["postGreSQLInstance"];
    if pg["cloudDBEngineType"] != "POSTGRESQL" {
        return Err(bad(
            "Invalid input: postGreSQLInstance.cloudDBEngineType must be POSTGRESQL.",
        ));
    }
    if p["dbEngine"] != "PostgreSQL" {
        return Err(bad("Invalid input: dbEngine must be PostgreSQL."));
    }
    let application_id = match &inst["applicationId"] {
        Value::Null => APPLICATION_ID,
        v => v
            .as_i64()
            .ok_or_else(|| bad("Invalid input: applicationId must be a number."))?,
    };
    if application_id != APPLICATION_ID {
        return Err(bad(&format!(
            "Invalid input: applicationId {application_id} is not the cloud database agent ({APPLICATION_ID})."
        )));
    }
    let endpoint = required(&pg["port"], "postGreSQLInstance.port")?;
    let valid_port = endpoint
        .rsplit_once(':')
        .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok());
    if !valid_port {
        return Err(bad(&format!(
            "Invalid input: port \"{endpoint}\" must be specified in hostname:port format."
        )));
    }
    let encoded = required(
        &pg["SAUser"]["password"],
        "postGreSQLInstance.SAUser.password",
    )?;
    let sa_password = decode_b64(encoded).ok_or_else(|| {
        bad("Invalid input: SAUser.password must be the database password in base 64 encoded format.")
    })?;
    Ok(NewInstance {
        name: required(&inst["instanceName"], "instance.instanceName")?.to_string(),
        client: required(&inst["clientName"], "instance.clientName")?.to_string(),
        application_id,
        version: required(&p["version"], "version")?.to_string(),
        plan: required(&p["planEntity"]["planName"], "planEntity.planName")?.to_string(),
        maintenance_db: required(&pg["MaintainenceDB"], "postGreSQLInstance.MaintainenceDB")?
            .to_string(),
        endpoint: endpoint.to_string(),
        sa_user: required(
            &pg["SAUser"]["userName"],
            "postGreSQLInstance.SAUser.userName",
        )?
        .to_string(),
        sa_password,
        ssl_enabled: pg["sslOpt"]["sslEnabled"].as_bool().unwrap_or(false),
        ssl_ca: pg["sslOpt"]["sslCa"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    })
}

/// A salted SHA-256 of a password: what the world keeps instead of it.
fn password_hash(salt: &str, password: &str) -> String {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update(password.as_bytes());
    hex::encode(h.finalize())
}

/// The entity Commvault's answers about this instance carry.
fn entity(client_id: i64, name: &str, instance_id: i64, subclient_id: i64) -> Value {
    json!({
        "subclientId": subclient_id, "clientId": client_id, "instanceName": name,
        "instanceId": instance_id, "_type_": 0
    })
}

fn first_named<'a>(tx: &'a Tx, coll: &str, name: &str) -> Option<(String, &'a Value)> {
    let w = tx.world();
    let id = w.named(coll, name).next()?.clone();
    let doc = w.get(coll, &id)?;
    Some((id, doc))
}

/// Can the access node reach the database with these credentials? `Ok(first_use)`.
fn connect(tx: &Tx, new: &NewInstance, refused: &dyn Fn(String) -> CvError) -> Answer<bool> {
    let Some(db) = tx.get(DATABASES, &new.endpoint.to_ascii_lowercase()) else {
        let (host, port) = new.endpoint.rsplit_once(':').unwrap_or((&new.endpoint, ""));
        let mut e = refused(format!(
            "Connection to PostgreSQL Server failed.\n[~Connection to Database Failed: could not connect to server: Connection timed out (0x0000274C/10060)\tIs the server running on host \"{host}\" and accepting\tTCP/IP connections on port {port}?~]"
        ));
        e.status = StatusCode::INTERNAL_SERVER_ERROR;
        return Err(e);
    };
    let Some(known) = db.get("sa_password").filter(|v| !v.is_null()) else {
        return Ok(true);
    };
    let salt = known["salt"].as_str().unwrap_or_default();
    let same_user = known["user"].as_str() == Some(new.sa_user.as_str());
    if !same_user || known["sha256"].as_str() != Some(&password_hash(salt, &new.sa_password)) {
        return Err(refused(format!(
            "Connection to PostgreSQL Server failed.\n[~Connection to Database Failed: FATAL:  password authentication failed for user \"{}\"~]",
            new.sa_user
        )));
    }
    Ok(false)
}

async fn create(State(cv): State<Cv>, body: Bytes) -> Answer<Response> {
    let new = parse_new(&body)?;
    cv.sb
        .store
        .write(|tx| register(tx, &new))
        .map_err(internal)?
}

/// Register `new` as Command Center does: the client must exist and be online, the plan
/// exist, the name be free under the client and the database accept the SA login.
fn register(tx: &mut Tx, new: &NewInstance) -> Answer<Response> {
    let (client_id, client) = first_named(tx, CLIENTS, &new.client).ok_or_else(|| {
        fail(
            StatusCode::NOT_FOUND,
            2,
            &format!("Client [{}] does not exist.", new.client),
        )
    })?;
    let client_id: i64 = client_id.parse().unwrap_or_default();
    let refused = |msg: String| CvError {
        status: StatusCode::BAD_REQUEST,
        code: 4444,
        msg,
        entity: Some(entity(client_id, &new.name, 0, 0)),
    };
    if client["status"] != "online" {
        return Err(refused(
            "Unable to connect to client [] to execute [PostgresBrowseAgent].\nPlease ensure that all iDataAgent software is properly installed.\nAlso check network connectivity and if this product's services are running.".into(),
        ));
    }
    let Some((plan_id, _)) = first_named(tx, PLANS, &new.plan) else {
        return Ok(Json(json!({
            "processinginstructioninfo": {"attributes": [{"name": "exitval", "value": "2"}]},
            "response": {
                "warningCode": 0, "errorCode": 2, "warningMessage": "",
                "errorMessage": format!("Plan [{}] does not exist.", new.plan),
                "entity": entity(client_id, &new.name, 0, 0),
            }
        }))
        .into_response());
    };
    let plan_id = plan_id.parse::<i64>().unwrap_or_default();
    let w = tx.world();
    let taken = w.named(INSTANCES, &new.name).any(|id| {
        w.get(INSTANCES, id)
            .is_some_and(|d| d["clientId"] == client_id)
    });
    if taken {
        return Err(fail(
            StatusCode::CONFLICT,
            3,
            "An instance by this name already exists.",
        ));
    }
    if connect(tx, new, &refused)? {
        trust_password(tx, new);
    }
    let (instance_id, subclient_id) = next_ids(tx);
    let doc = instance_doc(new, client_id, plan_id, subclient_id);
    tx.put(INSTANCES, &instance_id.to_string(), doc);
    Ok(Json(json!({
        "processinginstructioninfo": {"attributes": [{"name": "exitval", "value": "0"}]},
        "response": {
            "warningCode": 0, "errorCode": 0, "warningMessage": "",
            "entity": entity(client_id, &new.name, instance_id, subclient_id),
        }
    }))
    .into_response())
}

/// The first registration of a database: keep a salted hash of the SA login it presented.
fn trust_password(tx: &mut Tx, new: &NewInstance) {
    let key = new.endpoint.to_ascii_lowercase();
    if let Some(mut db) = tx.get(DATABASES, &key).cloned() {
        let salt = uuid::Uuid::new_v4().simple().to_string();
        db["sa_password"] = json!({
            "user": new.sa_user, "salt": salt,
            "sha256": password_hash(&salt, &new.sa_password),
        });
        tx.put(DATABASES, &key, db);
    }
}

/// The next instance and subclient ids, counted in the CommServe's document.
fn next_ids(tx: &mut Tx) -> (i64, i64) {
    let mut cs = tx.get(COMMSERVE, COMMSERVE_ID).cloned().unwrap_or_default();
    let instance_id = cs["lastInstanceId"].as_i64().unwrap_or(1059) + 1;
    let subclient_id = cs["lastSubclientId"].as_i64().unwrap_or(3000) + 1;
    cs["lastInstanceId"] = json!(instance_id);
    cs["lastSubclientId"] = json!(subclient_id);
    tx.put(COMMSERVE, COMMSERVE_ID, cs);
    (instance_id, subclient_id)
}

/// The stored document of a registered instance (no password, ever).
fn instance_doc(new: &NewInstance, client_id: i64, plan_id: i64, subclient_id: i64) -> Value {
    json!({
        "name": new.name, "status": "configured", "clientId": client_id,
        "clientName": new.client, "applicationId": new.application_id,
        "version": new.version, "planName": new.plan, "planId": plan_id,
        "maintenanceDb": new.maintenance_db, "endpoint": new.endpoint,
        "saUserName": new.sa_user, "sslEnabled": new.ssl_enabled, "sslCa": new.ssl_ca,
        "subclientId": subclient_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_world_keeps_a_salted_hash_not_the_password() {
        let h = password_hash("salt", "S3cret!");
        assert_eq!(h.len(), 64);
        assert!(!h.contains("S3cret"));
        assert_ne!(h, password_hash("other", "S3cret!"));
        assert_eq!(decode_b64("UzNjcmV0IQ==").as_deref(), Some("S3cret!"));
        assert!(decode_b64("not base64!").is_none());
    }

    #[test]
    fn bodies_are_checked_for_shape() {
        let good = json!({"instanceProperties": {
            "instance": {"instanceName": "i", "applicationId": 125, "clientName": "alibaba-prod"},
            "version": "14",
            "postGreSQLInstance": {"MaintainenceDB": "postgres", "port": "h:5432",
                "SAUser": {"userName": "u", "password": "cHc="}, "cloudDBEngineType": "POSTGRESQL",
                "sslOpt": {"sslEnabled": false}},
            "planEntity": {"planName": "Server plan"}, "dbEngine": "PostgreSQL"}});
        let n = parse_new(good.to_string().as_bytes()).ok().unwrap();
        assert_eq!(
            (n.sa_password.as_str(), n.endpoint.as_str()),
            ("pw", "h:5432")
        );
        for (path, v, says) in [
            (
                "/instanceProperties/postGreSQLInstance/port",
                json!("h"),
                "hostname:port",
            ),
            (
                "/instanceProperties/postGreSQLInstance/SAUser/password",
                json!("pw!"),
                "base 64",
            ),
            ("/instanceProperties/dbEngine", json!("MySQL"), "dbEngine"),
            (
                "/instanceProperties/instance/applicationId",
                json!(33),
                "125",
            ),
            (
                "/instanceProperties/version",
                json!(""),
                "version is required",
            ),
        ] {
            let mut b = good.clone();
            *b.pointer_mut(path).unwrap() = v;
            let e = parse_new(b.to_string().as_bytes()).err().unwrap();
            assert_eq!((e.status, e.code), (StatusCode::BAD_REQUEST, 1));
            assert!(e.msg.contains(says), "{path}: {}", e.msg);
        }
    }
}
