//! Clients and their agents, in the shapes cvpysdk's `Clients`, `Client` and `Agents` read:
//! `GET /Client` (`clientProperties[].client.clientEntity`; `?hiddenclients=true` the same,
//! there being no hidden clients; `?PseudoClientType=VSPseudo` an empty
//! `VSPseudoClientsList`), `GET /Client/{id}` (OS, version, time zone and activity controls),
//! `GET /Agent?clientId=…[&applicationId=…]` (`agentProperties[].idaEntity`: every Alibaba
//! Cloud account client has the PostgreSQL agent, 125) and `GET /VSAClientAndClientGroupList`
//! (no virtualization access nodes).
//!
//! Invariant: ids are JSON numbers, names strings, flags booleans, as Commvault's model has
//! them; an unknown client is 404 / 2 ("Client [x] does not exist.").

use super::{activities, bad, client_not_found, internal, Answer, Cv};
use super::{APPLICATION_ID, APP_NAME, CLIENTS};
use axum::extract::{Path, Query, State};
use axum::Json;
use serde_json::{json, Value};
use std::collections::HashMap;

/// A client's `clientEntity`: a cloud account's host name is its name.
fn entity(id: i64, doc: &Value) -> Value {
    json!({
        "clientId": id, "clientName": doc["name"], "displayName": doc["name"],
        "hostName": doc["name"], "_type_": 3
    })
}

fn numeric(id: &str) -> i64 {
    id.parse().unwrap_or_default()
}

/// Every client, as `(id, document)`.
fn all(cv: &Cv) -> Answer<Vec<(i64, Value)>> {
    cv.sb
        .store
        .read(|w| {
            w.list(CLIENTS)
                .map(|(id, d)| (numeric(id), d.clone()))
                .collect()
        })
        .map_err(internal)
}

/// The client `id` (a number), or 404 / 2.
fn one(cv: &Cv, id: &str) -> Answer<(i64, Value)> {
    let doc = match id.parse::<i64>() {
        Ok(n) if n > 0 => cv
            .sb
            .store
            .read(|w| w.get(CLIENTS, id).cloned())
            .map_err(internal)?,
        _ => None,
    };
    doc.map(|d| (numeric(id), d))
        .ok_or_else(|| client_not_found(id))
}

pub async fn list(
    State(cv): State<Cv>,
    Query(q): Query<HashMap<String, String>>,
) -> Answer<Json<Value>> {
    if q.get("PseudoClientType")
        .is_some_and(|t| t.eq_ignore_ascii_case("VSPseudo"))
    {
        return Ok(Json(json!({ "VSPseudoClientsList": [] })));
    }
    let items: Vec<Value> = all(&cv)?
        .iter()
        .map(|(id, d)| json!({"client": {"clientEntity": entity(*id, d)}}))
        .collect();
    Ok(Json(json!({ "clientProperties": items })))
}

pub async fn show(State(cv): State<Cv>, Path(id): Path<String>) -> Answer<Json<Value>> {
    let (id, doc) = one(&cv, &id)?;
    Ok(Json(json!({ "clientProperties": [properties(id, &doc)] })))
}

/// One client as `GET /Client/{id}` describes it.
fn properties(id: i64, doc: &Value) -> Value {
    json!({
        "client": {
            "clientEntity": entity(id, doc),
            "osInfo": {
                "Type": "Any", "SubType": "Any", "Version": "",
                "OsDisplayInfo": {"ProcessorType": "Any", "OSName": "Any"}
            },
            "cvdPort": 8400,
            "TimeZone": {"TimeZoneName": "(UTC) Coordinated Universal Time"},
            "versionInfo": {
                "version": "ServicePack:44.0", "GalaxyRelease": {"ReleaseString": "11.0.0"}
            },
        },
        "clientProps": {
            "activityControl": {
                "EnableDataRecovery": true, "EnableDataManagement": true,
                "EnableOnlineContentIndex": false
            },
            "clientActivityControl": activities(&[1, 2, 16]),
            "EnableSnapBackups": false,
            "IsDeletedClient": false,
            "isInfrastructure": false,
        },
    })
}

pub async fn agents(
    State(cv): State<Cv>,
    Query(q): Query<HashMap<String, String>>,
) -> Answer<Json<Value>> {
    let client = q
        .get("clientId")
        .filter(|c| !c.trim().is_empty())
        .ok_or_else(|| bad("Invalid input: clientId is required."))?;
    let (id, doc) = one(&cv, client)?;
    let wanted = q
        .get("applicationId")
        .is_none_or(|a| a.parse::<i64>().ok() == Some(APPLICATION_ID));
    let items: Vec<Value> = wanted
        .then(|| {
            json!({
                "idaEntity": {
                    "clientId": id, "clientName": doc["name"], "applicationId": APPLICATION_ID,
                    "appName": APP_NAME, "_type_": 4
                },
                "idaActivityControl": activities(&[1, 2]),
            })
        })
        .into_iter()
        .collect();
    Ok(Json(json!({ "agentProperties": items })))
}

/// `GET /VSAClientAndClientGroupList`: the virtualization access nodes — none here.
pub async fn access_nodes() -> Json<Value> {
    Json(json!({ "clients": [] }))
}
