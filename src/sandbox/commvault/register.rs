//! `POST /instance` — Create Instance for an Alibaba PaaS PostgreSQL database — as Command
//! Center answers it: the body checked for shape (an invalid one 400 / 1), then the client
//! must exist (404 / 2) and its access node be online (400 / 4444, "Unable to connect to
//! client [] to execute [PostgresBrowseAgent]…", the seed's text), the plan exist (a 200 whose
//! `response` has `errorCode` 2 and `errorString`: Commvault reports many refusals that way,
//! and cvpysdk reads `errorString`), the name be free under the client (409 / 3, "An instance
//! by this name already exists.") and the database accept the SA login (an unknown database
//! 500 / 4444, the seed's connection time-out text; a wrong SA user or password 400 / 4444,
//! password authentication failed). Success is a 200 whose `response.errorCode` is 0, with
//! the new instance's `entity`.
//!
//! Invariant — the databases' SA password: the sandbox cannot know it, so it trusts the first
//! one a registration presents for a database and keeps only a salted SHA-256 of it (and the
//! user name) in that database's document, never the password or its base64 form. Later
//! registrations must present the same user and password. A test simulating a password
//! rotated by the DBA removes `sa_password` from the document.

use super::{bad, client_not_found, decode_b64, fail, internal, Answer, Cv, CvError};
use super::{APPLICATION_ID, CLIENTS, COMMSERVE, COMMSERVE_ID, DATABASES, INSTANCES, PLANS};
use crate::sandbox::store::Tx;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

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

pub async fn create(State(cv): State<Cv>, body: Bytes) -> Answer<Response> {
    let new = parse_new(&body)?;
    cv.sb
        .store
        .write(|tx| register(tx, &new))
        .map_err(internal)?
}

/// Register `new` as Command Center does: the client must exist and be online, the plan
/// exist, the name be free under the client and the database accept the SA login.
fn register(tx: &mut Tx, new: &NewInstance) -> Answer<Response> {
    let (client_id, client) =
        first_named(tx, CLIENTS, &new.client).ok_or_else(|| client_not_found(&new.client))?;
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
                "errorString": format!("Plan [{}] does not exist.", new.plan),
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
