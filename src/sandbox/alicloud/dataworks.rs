//! DataWorks data sources (`dataworks-public`, 2024-05-18) as the real service answers:
//! CreateDataSource, GetDataSource, UpdateDataSource, DeleteDataSource, ListDataSources and
//! CloneDataSource, with the documented name rules and errors (`DataSource.NotFound`,
//! `ConnectionAlreadyExist`, `DataSource.ConnectionStrProperty.PatternNotMatch`). Data sources
//! are usable as soon as the call returns. Seeded: the API example's data source `16036`.

use super::{fail, internal, invalid, required, Params, Reply, RpcError};
use crate::sandbox::store::{now_ms, Tx, World};
use crate::sandbox::world::{Sandbox, Service};
use serde_json::{json, Value};

/// DataWorks (API-FACTS.md §2): key, the one API version answered, actions.
pub static API: super::Api = super::Api {
    key: "dataworks",
    version: "2024-05-18",
    actions: &[
        ("CreateDataSource", create),
        ("GetDataSource", get),
        ("UpdateDataSource", update),
        ("DeleteDataSource", delete),
        ("ListDataSources", list),
        ("CloneDataSource", clone),
    ],
};

/// The product as the sandbox serves it.
pub static SERVICE: Service = super::service(
    &API,
    |sb| super::router(sb, &API),
    |head| super::claims(&API, head),
    seed,
);

const COLL: &str = "dataworks/data_source";
pub const SEED_ID: &str = "16036";
pub const SEED_PROJECT: i64 = 10_001;

pub fn seed(w: &mut World) {
    w.colls.entry(COLL.into()).or_default().insert(
        SEED_ID.into(),
        json!({
            "name": "demo_holo_source", "project": SEED_PROJECT, "type": "hologres",
            "mode": "InstanceMode", "description": "Hologres data source of the API example",
            "props": {"envType": "Prod", "regionId": "cn-beijing", "instanceId": "hgprecn-cn-x0r3oun4k001",
                      "database": "testdb", "securityProtocol": "authTypeNone", "authType": "Executor",
                      "authIdentity": "1107550004253538"},
            "created": 1_714_000_000_000u64, "status": "available"
        }),
    );
}

fn not_found(id: &str) -> RpcError {
    fail(
        400,
        "DataSource.NotFound",
        format!("The specified data source ID {id} does not exist."),
    )
}

fn find<'a>(tx: &'a Tx, id: &str) -> Result<&'a Value, RpcError> {
    tx.get(COLL, id).ok_or_else(|| not_found(id))
}

fn int_param(p: &Params, name: &str) -> Result<i64, RpcError> {
    let v = required(p, name)?;
    v.parse().map_err(|_| {
        invalid(format!(
            "The specified parameter {name} \"{v}\" is not a number."
        ))
    })
}

/// `ConnectionProperties`: JSON text of an object holding `envType` Dev or Prod.
fn properties(p: &Params) -> Result<Value, RpcError> {
    let text = required(p, "ConnectionProperties")?;
    let v: Value = serde_json::from_str(text).map_err(|e| {
        fail(
            400,
            "DataSource.ConnectionStrProperty.PatternNotMatch",
            format!("ConnectionProperties is not valid JSON: {e}"),
        )
    })?;
    if !matches!(v["envType"].as_str(), Some("Dev" | "Prod")) {
        return Err(fail(
            400,
            "DataSource.ConnectionStrProperty.PatternNotMatch",
            "ConnectionProperties must hold envType: Dev or Prod.",
        ));
    }
    Ok(v)
}

fn check_name(name: &str, max: usize) -> Result<(), RpcError> {
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.chars().count() <= max;
    if ok {
        return Ok(());
    }
    Err(invalid(format!("The data source name \"{name}\" is not valid: it must start with a letter, contain only letters, digits and underscores, and be at most {max} characters."),
    ))
}

/// Refuse a second data source of the same name and environment in a workspace.
fn unique(tx: &Tx, project: i64, name: &str, env: &Value) -> Result<(), RpcError> {
    let taken = tx.world().named(COLL, name).any(|id| {
        tx.get(COLL, id)
            .is_some_and(|d| d["project"] == project && d["props"]["envType"] == *env)
    });
    if taken {
        return Err(fail(
            400,
            "ConnectionAlreadyExist",
            format!("A data source named {name} already exists in workspace {project} for this environment."),
        ));
    }
    Ok(())
}

fn next_id(tx: &Tx) -> String {
    let max = tx
        .world()
        .list(COLL)
        .filter_map(|(id, _)| id.parse::<u64>().ok())
        .max()
        .unwrap_or(16_000);
    (max + 1).to_string()
}

fn view(id: &str, d: &Value) -> Value {
    json!({
        "Id": id.parse::<i64>().unwrap_or(0), "Name": d["name"], "Type": d["type"],
        "ProjectId": d["project"], "ConnectionPropertiesMode": d["mode"],
        "ConnectionProperties": d["props"], "Description": d["description"],
        "QualifiedName": format!("{}:{}:{}", d["project"], d["type"].as_str().unwrap_or(""), d["name"].as_str().unwrap_or("")),
        "CreateTime": d["created"], "CreateUser": "1107550004253538",
        "ModifyTime": d["modified"].as_u64().or(d["created"].as_u64()), "ModifyUser": "1107550004253538",
    })
}

fn create(sb: &Sandbox, p: &Params) -> Reply {
    let project = int_param(p, "ProjectId")?;
    let name = required(p, "Name")?.to_string();
    check_name(&name, 255)?;
    let ty = required(p, "Type")?.to_string();
    let mode = required(p, "ConnectionPropertiesMode")?.to_string();
    let props = properties(p)?;
    let description = p.get("Description").cloned().unwrap_or_default();
    sb.store
        .write(|tx| {
            unique(tx, project, &name, &props["envType"])?;
            let id = next_id(tx);
            tx.put(
                COLL,
                &id,
                json!({
                    "name": name, "project": project, "type": ty, "mode": mode, "props": props,
                    "description": description, "created": now_ms(), "status": "available"
                }),
            );
            Ok(json!({"Id": id.parse::<i64>().unwrap_or(0)}))
        })
        .map_err(internal)?
}

fn get(sb: &Sandbox, p: &Params) -> Reply {
    let id = required(p, "Id")?.to_string();
    sb.store
        .write(|tx| Ok(json!({"DataSource": view(&id, find(tx, &id)?)})))
        .map_err(internal)?
}

fn update(sb: &Sandbox, p: &Params) -> Reply {
    let id = required(p, "Id")?.to_string();
    let project = int_param(p, "ProjectId")?;
    let props = properties(p)?;
    sb.store
        .write(|tx| {
            let mut d = find(tx, &id)?.clone();
            if d["project"] != project {
                return Err(not_found(&id));
            }
            d["props"] = props;
            if let Some(m) = p.get("ConnectionPropertiesMode") {
                d["mode"] = json!(m);
            }
            if let Some(desc) = p.get("Description") {
                d["description"] = json!(desc);
            }
            d["modified"] = json!(now_ms());
            tx.put(COLL, &id, d);
            Ok(json!({"Success": true}))
        })
        .map_err(internal)?
}

fn delete(sb: &Sandbox, p: &Params) -> Reply {
    let id = required(p, "Id")?.to_string();
    sb.store
        .write(|tx| {
            find(tx, &id)?;
            tx.delete(COLL, &id);
            Ok(json!({"Success": true}))
        })
        .map_err(internal)?
}

fn list(sb: &Sandbox, p: &Params) -> Reply {
    let project = int_param(p, "ProjectId")?;
    let name = p.get("Name").cloned().unwrap_or_default();
    sb.store
        .read(|w| {
            let mut groups: std::collections::BTreeMap<String, Vec<Value>> = Default::default();
            for (id, d) in w.list(COLL) {
                let n = d["name"].as_str().unwrap_or_default();
                if d["project"] == project && n.contains(name.as_str()) {
                    groups.entry(n.to_string()).or_default().push(view(id, d));
                }
            }
            let total = groups.len();
            let sources: Vec<Value> = groups
                .into_iter()
                .map(|(n, items)| json!({"Name": n, "DataSource": items}))
                .collect();
            json!({"PagingInfo": {"DataSources": sources, "TotalCount": total, "PageNumber": 1, "PageSize": 100}})
        })
        .map_err(internal)
}

fn clone(sb: &Sandbox, p: &Params) -> Reply {
    let source = required(p, "Id")?.to_string();
    let name = required(p, "CloneDataSourceName")?.to_string();
    check_name(&name, 60)?;
    sb.store
        .write(|tx| {
            let src = find(tx, &source)?.clone();
            let project = src["project"].as_i64().unwrap_or(0);
            unique(tx, project, &name, &src["props"]["envType"])?;
            let id = next_id(tx);
            let mut d = src;
            d["name"] = json!(name);
            d["created"] = json!(now_ms());
            d["cloned_from"] = json!(source);
            tx.put(COLL, &id, d);
            Ok(json!({"Id": id.parse::<i64>().unwrap_or(0)}))
        })
        .map_err(internal)?
}
