//! Registered instances: `GET /instance?clientId=…` (or `clientName`, `applicationId`,
//! `appName`: every given one must match), `GET /instance/{id}` (cvpysdk adds
//! `?association/entity/…`, which changes nothing) and `DELETE /instance/{id}`
//! (`{"response":[{"errorCode":0}]}`); an unknown id is 404 / 2.
//!
//! Invariant: an instance is described in one shape everywhere (`properties`): `instance`
//! (ids as numbers), `instanceActivityControl` (cvpysdk requires it), `version`,
//! `planEntity`, `postGreSQLInstance` (the SA user's name, never a password) and `dbEngine`.

use super::{activities, fail, internal, Answer, Cv, APP_NAME, INSTANCES};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};
use std::collections::HashMap;

/// One instance as `GET /instance/{id}` describes it (no password, ever).
fn properties(id: &str, d: &Value) -> Value {
    json!({
        "instance": {
            "instanceId": id.parse::<i64>().unwrap_or_default(),
            "instanceName": d["name"],
            "appName": APP_NAME,
            "applicationId": d["applicationId"],
            "clientId": d["clientId"],
            "clientName": d["clientName"],
            "_type_": 5,
        },
        "instanceActivityControl": activities(&[1, 2]),
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

/// Whether `d` matches every filter of the query.
fn matches(d: &Value, q: &HashMap<String, String>) -> bool {
    let number = |key: &str, field: &str| {
        q.get(key)
            .is_none_or(|v| d[field].as_i64() == v.parse().ok())
    };
    q.get("clientName").is_none_or(|c| d["clientName"] == *c)
        && q.get("appName")
            .is_none_or(|a| a.eq_ignore_ascii_case(APP_NAME))
        && number("clientId", "clientId")
        && number("applicationId", "applicationId")
}

pub async fn list(
    State(cv): State<Cv>,
    Query(q): Query<HashMap<String, String>>,
) -> Answer<Json<Value>> {
    let items = cv
        .sb
        .store
        .read(|w| {
            w.list(INSTANCES)
                .filter(|(_, d)| matches(d, &q))
                .map(|(id, d)| properties(id, d))
                .collect::<Vec<_>>()
        })
        .map_err(internal)?;
    Ok(Json(json!({ "instanceProperties": items })))
}

pub async fn show(State(cv): State<Cv>, Path(id): Path<String>) -> Answer<Json<Value>> {
    let doc = cv
        .sb
        .store
        .read(|w| w.get(INSTANCES, &id).cloned())
        .map_err(internal)?
        .ok_or_else(|| not_found(&id))?;
    Ok(Json(
        json!({ "instanceProperties": [properties(&id, &doc)] }),
    ))
}

fn not_found(id: &str) -> super::CvError {
    fail(
        StatusCode::NOT_FOUND,
        2,
        &format!("Instance [{id}] does not exist."),
    )
}

pub async fn remove(State(cv): State<Cv>, Path(id): Path<String>) -> Answer<Json<Value>> {
    cv.sb
        .store
        .write(|tx| {
            tx.get(INSTANCES, &id).ok_or_else(|| not_found(&id))?;
            tx.delete(INSTANCES, &id);
            Ok(Json(json!({ "response": [{ "errorCode": 0 }] })))
        })
        .map_err(internal)?
}
