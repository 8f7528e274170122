//! AnalyticDB for PostgreSQL (`gpdb`, 2016-05-03) as the real service answers: CreateDBInstance
//! (with ClientToken idempotency and tags), DescribeDBInstanceAttribute, DescribeDBInstances
//! (tag filter), ModifyDBInstanceDescription, TagResources (whose `ResourceType` must be the
//! instance's storage mode's), DeleteDBInstance, DescribeDataBackups and CloneDBInstance. Instances move `Creating` → `Running` (and `Restoring` → `Running` for a
//! clone, `Deleting` → gone) after the sandbox's asynchronous delay; every instance gets a
//! snapshot backup once it runs. Seeded: instance `gp-bp1seedwarehouse01` with a snapshot, a
//! logical and a failed snapshot backup.

use super::{fail, internal, invalid, random_id, required, stamp, tags, Params, Reply, RpcError};
use crate::sandbox::store::{self, now_ms, Tx, World};
use crate::sandbox::world::{Sandbox, Service};
use serde_json::{json, Value};

/// AnalyticDB for PostgreSQL (API-FACTS.md §1): key, the one API version answered, actions.
pub static API: super::Api = super::Api {
    key: "gpdb",
    version: "2016-05-03",
    actions: &[
        ("CreateDBInstance", create),
        ("DescribeDBInstanceAttribute", describe),
        ("DescribeDBInstances", list),
        ("ModifyDBInstanceDescription", modify),
        ("TagResources", tag),
        ("DeleteDBInstance", delete),
        ("DescribeDataBackups", backups),
        ("CloneDBInstance", clone),
    ],
};

/// The product as the sandbox serves it.
pub static SERVICE: Service = super::service(
    &API,
    |sb| super::router(sb, &API),
    |head| super::claims(&API, head),
    seed,
);

const INSTANCES: &str = "gpdb/instance";
const BACKUPS: &str = "gpdb/backup";
pub const SEED_INSTANCE: &str = "gp-bp1seedwarehouse01";
pub const SEED_SNAPSHOT: &str = "1111111111";
pub const SEED_LOGICAL: &str = "2222222222";
pub const SEED_FAILED: &str = "3333333333";

pub fn seed(w: &mut World) {
    let t = 1_714_000_000_000u64;
    w.colls.entry(INSTANCES.into()).or_default().insert(
        SEED_INSTANCE.into(),
        json!({
            "name": "seed warehouse", "status": "Running", "region": "cn-hangzhou",
            "zone": "cn-hangzhou-i", "engine_version": "6.0", "spec": "4C32G", "seg_node_num": 4,
            "storage_size": 200, "mode": "StorageElastic", "category": "HighAvailability",
            "vpc": "vpc-bp1seed0000000001", "vswitch": "vsw-bp1seed0000000001", "pay_type": "Postpaid",
            "description": "seed warehouse", "tags": {}, "created": t
        }),
    );
    let backups = w.colls.entry(BACKUPS.into()).or_default();
    for (id, method, status, end) in [
        (SEED_SNAPSHOT, "Snapshot", "Success", t + 3_600_000),
        (SEED_LOGICAL, "Logical", "Success", t + 7_200_000),
        (SEED_FAILED, "Snapshot", "Failure", t + 10_800_000),
    ] {
        backups.insert(
            id.into(),
            json!({"name": format!("backup-{id}"), "instance": SEED_INSTANCE, "method": method,
                   "status": status, "start": end - 600_000, "end": end}),
        );
    }
}

fn not_found(id: &str) -> RpcError {
    fail(
        404,
        "InvalidDBInstanceId.NotFound",
        format!("The DBInstanceId provided does not exist in our records. ({id})"),
    )
}

/// The instance, unless it does not exist (or finished deleting).
fn instance<'a>(tx: &'a Tx, id: &str) -> Result<&'a Value, RpcError> {
    tx.get(INSTANCES, id)
        .filter(|d| store::status(d).as_deref() != Some("Deleted"))
        .ok_or_else(|| not_found(id))
}

fn later(sb: &Sandbox) -> u64 {
    now_ms() + sb.faults.spec.async_ms
}

fn attribute(id: &str, d: &Value) -> Value {
    let tags: Vec<Value> = d["tags"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| json!({"Key": k, "Value": v}))
                .collect()
        })
        .unwrap_or_default();
    json!({
        "DBInstanceId": id, "DBInstanceStatus": store::status(d), "DBInstanceMode": d["mode"],
        "DBInstanceCategory": d["category"], "Engine": "gpdb", "EngineVersion": d["engine_version"],
        "InstanceSpec": d["spec"], "SegNodeNum": d["seg_node_num"].to_string(),
        "StorageSize": d["storage_size"], "ConnectionString": format!("{id}o.gpdb.rds.aliyuncs.com"),
        "Port": "5432", "PayType": d["pay_type"], "ZoneId": d["zone"], "RegionId": d["region"],
        "VpcId": d["vpc"], "VSwitchId": d["vswitch"], "DBInstanceDescription": d["description"],
        "LockMode": "Unlock", "LockReason": "", "CreationTime": stamp(d["created"].as_u64().unwrap_or(0)),
        "SupportRestore": true, "Tags": {"Tag": tags},
    })
}

/// A DescribeDBInstances item: the list's fields only (no spec, connection string or port).
fn summary(id: &str, d: &Value) -> Value {
    let mut full = attribute(id, d);
    if let Some(o) = full.as_object_mut() {
        for k in [
            "InstanceSpec",
            "ConnectionString",
            "Port",
            "SupportRestore",
            "LockReason",
        ] {
            o.remove(k);
        }
    }
    full
}

fn one_of(p: &Params, name: &str, allowed: &[&str]) -> Result<String, RpcError> {
    let v = required(p, name)?;
    if !allowed.contains(&v) {
        return Err(invalid(format!(
            "The specified parameter {name} \"{v}\" is not valid: it must be one of {}.",
            allowed.join(", ")
        )));
    }
    Ok(v.to_string())
}

fn int(p: &Params, name: &str, min: i64, max: i64, step: i64) -> Result<i64, RpcError> {
    let v = required(p, name)?;
    match v.parse::<i64>() {
        Ok(n) if n >= min && n <= max && (n - min) % step == 0 => Ok(n),
        _ => Err(invalid(format!("The specified parameter {name} \"{v}\" is not valid: it must be {min}–{max} in steps of {step}."),
        )),
    }
}

fn create(sb: &Sandbox, p: &Params) -> Reply {
    let region = required(p, "RegionId")?.to_string();
    let zone = required(p, "ZoneId")?.to_string();
    one_of(p, "Engine", &["gpdb"])?;
    let version = one_of(p, "EngineVersion", &["6.0", "7.0"])?;
    let mode = one_of(
        p,
        "DBInstanceMode",
        &["StorageElastic", "Serverless", "ServerlessPro", "Classic"],
    )?;
    let category = one_of(p, "DBInstanceCategory", &["HighAvailability", "Basic"])?;
    let specs: &[&str] = if category == "HighAvailability" {
        &["2C16G", "4C32G", "16C128G"]
    } else {
        &["2C8G", "4C16G", "8C32G", "16C64G"]
    };
    let spec = one_of(p, "InstanceSpec", specs)?;
    let (min, step) = if category == "HighAvailability" {
        (4, 4)
    } else {
        (2, 2)
    };
    let nodes = int(p, "SegNodeNum", min, 512, step)?;
    let size = int(p, "StorageSize", 50, 8000, 1)?;
    one_of(p, "SegStorageType", &["cloud_essd"])?;
    let pay = p
        .get("PayType")
        .cloned()
        .unwrap_or_else(|| "Postpaid".into());
    let token = p.get("ClientToken").cloned().unwrap_or_default();
    let description = p.get("DBInstanceDescription").cloned().unwrap_or_default();
    if !description.is_empty() && !(2..=256).contains(&description.chars().count()) {
        return Err(fail(
            400,
            "InvalidDBInstanceDescription.Malformed",
            "The specified DBInstanceDescription is not valid: 2 to 256 characters.",
        ));
    }
    let tag_map: serde_json::Map<String, Value> =
        tags(p).into_iter().map(|(k, v)| (k, json!(v))).collect();
    let at = later(sb);
    sb.store
        .write(|tx| {
            if !token.is_empty() {
                let same = tx
                    .world()
                    .list(INSTANCES)
                    .find(|(_, d)| d["client_token"] == token.as_str())
                    .map(|(id, _)| id.clone());
                if let Some(id) = same {
                    return Ok(json!({"DBInstanceId": id, "OrderId": ""}));
                }
            }
            let id = format!("gp-bp1{}", random_id(14));
            let name = if description.is_empty() { id.clone() } else { description.clone() };
            tx.put(INSTANCES, &id, json!({
                "name": name, "status": "Creating", "status_after": {"at": at, "status": "Running"},
                "region": region, "zone": zone, "engine_version": version, "spec": spec,
                "seg_node_num": nodes, "storage_size": size, "mode": mode, "category": category,
                "vpc": p.get("VPCId").cloned().unwrap_or_else(|| format!("vpc-{}", random_id(17))),
                "vswitch": p.get("VSwitchId").cloned().unwrap_or_else(|| format!("vsw-{}", random_id(17))),
                "pay_type": pay, "description": description, "tags": tag_map,
                "client_token": token, "created": now_ms()
            }));
            // the first automatic snapshot is taken as soon as the instance runs
            let backup = format!("{}", 4_000_000_000u64 + u64::from(rand_u32()));
            tx.put(BACKUPS, &backup, json!({
                "name": format!("backup-{backup}"), "instance": id, "method": "Snapshot",
                "status": "Success", "start": at, "end": at
            }));
            Ok(json!({"DBInstanceId": id, "OrderId": format!("{}", 200_000_000_000u64 + u64::from(rand_u32()))}))
        })
        .map_err(internal)?
}

fn rand_u32() -> u32 {
    use rand::Rng;
    rand::rng().random_range(0..1_000_000_000)
}

fn describe(sb: &Sandbox, p: &Params) -> Reply {
    let id = required(p, "DBInstanceId")?.to_string();
    sb.store
        .write(|tx| {
            let d = instance(tx, &id)?;
            Ok(json!({"Items": {"DBInstanceAttribute": [attribute(&id, d)]}}))
        })
        .map_err(internal)?
}

fn list(sb: &Sandbox, p: &Params) -> Reply {
    let ids: Vec<String> = p
        .get("DBInstanceIds")
        .map(|s| s.split(',').map(|x| x.trim().to_string()).collect())
        .unwrap_or_default();
    let wanted = tags(p);
    let page: usize = p
        .get("PageNumber")
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
        .max(1);
    let size: usize = p
        .get("PageSize")
        .and_then(|s| s.parse().ok())
        .unwrap_or(30)
        .clamp(1, 100);
    sb.store
        .read(|w| {
            let all: Vec<Value> = w
                .list(INSTANCES)
                .filter(|(id, d)| {
                    store::status(d).as_deref() != Some("Deleted")
                        && (ids.is_empty() || ids.contains(id))
                        && wanted.iter().all(|(k, v)| d["tags"][k] == v.as_str())
                })
                .map(|(id, d)| summary(id, d))
                .collect();
            let total = all.len();
            let items: Vec<Value> = all.into_iter().skip((page - 1) * size).take(size).collect();
            json!({"Items": {"DBInstance": items}, "TotalRecordCount": total,
                   "PageNumber": page, "PageRecordCount": size})
        })
        .map_err(internal)
}

/// Change one instance (which must exist and be in a state that allows it).
fn change(
    sb: &Sandbox,
    id: &str,
    f: impl FnOnce(&mut Value, &str) -> Result<(), RpcError>,
) -> Reply {
    sb.store
        .write(|tx| {
            let mut d = instance(tx, id)?.clone();
            let status = store::status(&d).unwrap_or_default();
            f(&mut d, &status)?;
            tx.put(INSTANCES, id, d);
            Ok(json!({}))
        })
        .map_err(internal)?
}

fn incorrect_state(status: &str) -> RpcError {
    fail(
        403,
        "IncorrectDBInstanceState",
        format!("Current DB instance state does not support this operation. (status {status})"),
    )
}

fn modify(sb: &Sandbox, p: &Params) -> Reply {
    let id = required(p, "DBInstanceId")?.to_string();
    let text = required(p, "DBInstanceDescription")?.to_string();
    change(sb, &id, |d, _| {
        d["description"] = json!(text);
        d["name"] = json!(text);
        Ok(())
    })
}

/// The `ResourceType` the tag actions take for an instance of storage mode `mode`: the SDK
/// model's `ALIYUN::GPDB::INSTANCE` for elastic storage, `instance` otherwise (reserved
/// storage; Serverless, which is not elastic storage).
fn resource_type(mode: &Value) -> &'static str {
    if mode == "StorageElastic" {
        "ALIYUN::GPDB::INSTANCE"
    } else {
        "instance"
    }
}

/// TagResources: every instance named must exist and be of the `ResourceType` given (no
/// error code is documented for the wrong one: the gateway's `InvalidParameter`); then all of
/// them are tagged, or none.
fn tag(sb: &Sandbox, p: &Params) -> Reply {
    required(p, "RegionId")?;
    let kind = required(p, "ResourceType")?.to_string();
    let new = tags(p);
    let ids = super::numbered(p, "ResourceId", "");
    sb.store
        .write(|tx| {
            let mut docs = Vec::with_capacity(ids.len());
            for id in &ids {
                let d = instance(tx, id)?.clone();
                let wanted = resource_type(&d["mode"]);
                if kind != wanted {
                    return Err(invalid(format!(
                        "The specified parameter ResourceType \"{kind}\" is not valid for \
                         instance {id} (DBInstanceMode {}): it must be {wanted}.",
                        d["mode"].as_str().unwrap_or("?")
                    )));
                }
                docs.push((id, d));
            }
            for (id, mut d) in docs {
                for (k, v) in &new {
                    d["tags"][k] = json!(v);
                }
                tx.put(INSTANCES, id, d);
            }
            Ok(json!({}))
        })
        .map_err(internal)?
}

/// Release an instance: it is `Deleting`, then gone; its backups go with it.
fn delete(sb: &Sandbox, p: &Params) -> Reply {
    let id = required(p, "DBInstanceId")?.to_string();
    let at = later(sb);
    change(sb, &id, |d, status| {
        if d["pay_type"] == "Prepaid" {
            return Err(fail(403, "OperationDenied.DBInstancePayType", "The operation is not permitted due to the pay type of the instance (Prepaid instances are released when they expire)."));
        }
        if status != "Deleting" {
            d["status"] = json!("Deleting");
            d["status_after"] = json!({"at": at, "status": "Deleted"});
        }
        Ok(())
    })?;
    sb.store
        .write(|tx| {
            let owned: Vec<String> = tx
                .world()
                .list(BACKUPS)
                .filter(|(_, b)| b["instance"] == id.as_str())
                .map(|(bid, _)| bid.clone())
                .collect();
            for b in owned {
                tx.delete(BACKUPS, &b);
            }
        })
        .map_err(internal)?;
    Ok(json!({}))
}

fn backup_item(id: &str, b: &Value) -> Value {
    json!({
        "BackupSetId": id, "BaksetName": b["name"], "BackupMethod": b["method"],
        "BackupMode": "Automated", "BackupStatus": b["status"],
        "BackupStartTime": stamp(b["start"].as_u64().unwrap_or(0)),
        "BackupEndTime": stamp(b["end"].as_u64().unwrap_or(0)),
        "BackupSize": 1_073_741_824u64, "ConsistentTime": b["end"].as_u64().unwrap_or(0) / 1000,
        "DataType": "DATA", "DBInstanceId": b["instance"],
    })
}

fn backups(sb: &Sandbox, p: &Params) -> Reply {
    let id = required(p, "DBInstanceId")?.to_string();
    let backup = p.get("BackupId").cloned();
    let status = p.get("BackupStatus").cloned();
    let now = now_ms();
    sb.store
        .write(|tx| {
            instance(tx, &id)?;
            let mut items: Vec<(u64, Value)> = tx
                .world()
                .list(BACKUPS)
                .filter(|(bid, b)| {
                    b["instance"] == id.as_str()
                        && b["end"].as_u64().is_some_and(|e| e <= now)
                        && backup.as_ref().is_none_or(|x| x == *bid)
                        && status.as_ref().is_none_or(|s| b["status"] == s.as_str())
                })
                .map(|(bid, b)| (b["end"].as_u64().unwrap_or(0), backup_item(bid, b)))
                .collect();
            items.sort_by_key(|(end, _)| std::cmp::Reverse(*end));
            let items: Vec<Value> = items.into_iter().map(|(_, v)| v).collect();
            Ok(json!({"Items": items, "TotalCount": items.len(), "PageNumber": 1, "PageSize": 30}))
        })
        .map_err(internal)?
}

fn clone(sb: &Sandbox, p: &Params) -> Reply {
    let target = required(p, "DBInstanceId")?.to_string();
    let source = required(p, "SrcDbInstanceName")?.to_string();
    let backup = required(p, "BackupId")?.to_string();
    let at = later(sb);
    sb.store
        .write(|tx| {
            let src = instance(tx, &source)?.clone();
            let b = tx
                .get(BACKUPS, &backup)
                .filter(|b| b["instance"] == source.as_str())
                .cloned()
                .ok_or_else(|| fail(404, "InvalidBackupId.NotFound", format!("The specified backup set {backup} does not exist for instance {source}.")))?;
            if b["method"] != "Snapshot" {
                return Err(fail(400, "InvalidBackupMethod", format!("Only snapshot backup sets can be cloned; {backup} is a {} backup.", b["method"].as_str().unwrap_or("?"))));
            }
            if b["status"] != "Success" {
                return Err(fail(400, "InvalidBackupStatus", format!("The backup set {backup} did not succeed.")));
            }
            let mut d = instance(tx, &target)?.clone();
            let status = store::status(&d).unwrap_or_default();
            if status != "Running" {
                return Err(incorrect_state(&status));
            }
            if d["engine_version"] != src["engine_version"] {
                return Err(invalid("The engine version of the target must be the source's."));
            }
            d["status"] = json!("Restoring");
            d["status_after"] = json!({"at": at, "status": "Running"});
            d["restored_from"] = json!({"instance": source, "backup": backup});
            tx.put(INSTANCES, &target, d);
            Ok(json!({}))
        })
        .map_err(internal)?
}
