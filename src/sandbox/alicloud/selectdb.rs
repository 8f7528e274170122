//! ApsaraDB for SelectDB (2023-05-22) as the real service answers for cluster bindings:
//! DescribeDBInstanceAttribute, CreateDBClusterBinding and DeleteDBClusterBinding, with the
//! seed's rules (zone-redundant instance, two different clusters in different zones with the
//! same billing method, neither cluster bound already) and its documented errors. Seeded: the API example's ZRS instance
//! `selectdb-cn-7213cjv2ez` (clusters `-be` and `-be2` in two zones, both pay-as-you-go), a
//! single-zone instance, a ZRS instance whose clusters are billed differently, and a locked one.
//! Its clusters and bindings live inside the instance's document; `sandbox ls` lists them
//! (`sub_objects`).

use super::{fail, internal, required, Params, Reply, RpcError};
use crate::sandbox::store::World;
use crate::sandbox::world::{Listed, Sandbox, Service};
use serde_json::{json, Value};

/// ApsaraDB for SelectDB (API-FACTS.md §5): key, the one API version answered, actions.
pub static API: super::Api = super::Api {
    key: "selectdb",
    version: "2023-05-22",
    actions: &[
        ("DescribeDBInstanceAttribute", describe),
        ("CreateDBClusterBinding", |sb, p| bind(sb, p, true)),
        ("DeleteDBClusterBinding", |sb, p| bind(sb, p, false)),
    ],
};

/// The product as the sandbox serves it.
pub static SERVICE: Service = super::service(
    &API,
    |sb| super::router(sb, &API),
    |head| super::claims(&API, head),
    seed,
)
.with_sub_objects(sub_objects);

const COLL: &str = "selectdb/instance";
/// An instance document's record of each binding's order as CreateDBClusterBinding named it
/// (`DBClusterId` → `DBClusterIdBak`): the sandbox's own, never answered (the API's view is
/// each cluster's `ClusterBinding`).
const ORDER: &str = "binding_order";
pub const SEED_INSTANCE: &str = "selectdb-cn-7213cjv2ez";
pub const SINGLE_ZONE: &str = "selectdb-cn-singlezone1";
pub const MIXED_BILLING: &str = "selectdb-cn-mixbilling1";
pub const LOCKED: &str = "selectdb-cn-locked00001";

/// A seeded instance: id, numeric id, deploy scheme, lock mode, its clusters' (zone, billing).
type Seed = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    [(&'static str, &'static str); 2],
);

/// The seeded instances: id, numeric id, deploy scheme, lock mode, and the zone and billing
/// of its two clusters (`<id>-be`, `<id>-be2`).
#[rustfmt::skip]
const SEEDS: &[Seed] = &[
    (SEED_INSTANCE, "6585", "multi_az", "Unlock", [("cn-hangzhou-h", "PostPaid"), ("cn-hangzhou-i", "PostPaid")]),
    (SINGLE_ZONE, "6601", "single_az", "Unlock", [("cn-hangzhou-h", "PostPaid"), ("cn-hangzhou-h", "PostPaid")]),
    (MIXED_BILLING, "6602", "multi_az", "Unlock", [("cn-hangzhou-h", "PostPaid"), ("cn-hangzhou-i", "PrePaid")]),
    (LOCKED, "6603", "multi_az", "ManualLock", [("cn-hangzhou-h", "PostPaid"), ("cn-hangzhou-i", "PostPaid")]),
];

pub fn seed(w: &mut World) {
    let coll = w.colls.entry(COLL.into()).or_default();
    let cluster = |id: &str, zone: &str, charge: &str| {
        json!({"DbClusterId": id, "DbClusterName": id, "ZoneId": zone, "ChargeType": charge,
               "Status": "ACTIVATION", "DbClusterClass": "selectdb.xlarge", "CpuCores": 4,
               "Memory": 32, "CacheStorageSizeGB": "200", "ClusterBinding": ""})
    };
    for &(id, numeric, scheme, lock, [(zone, charge), (zone2, charge2)]) in SEEDS {
        let clusters = vec![
            cluster(&format!("{id}-be"), zone, charge),
            cluster(&format!("{id}-be2"), zone2, charge2),
        ];
        coll.insert(
            id.into(),
            json!({
                "name": id, "status": "ACTIVATION", "numeric_id": numeric, "region": "cn-hangzhou",
                "zone": "cn-hangzhou-h", "deploy_scheme": scheme, "charge_type": "PostPaid",
                "lock_mode": lock, "clusters": clusters
            }),
        );
    }
}

fn not_found(id: &str) -> RpcError {
    fail(
        404,
        "InvalidDBInstanceId.NotFound",
        format!("The DBInstanceId provided does not exist in our records. Instance does not exist. ({id})"),
    )
}

fn describe(sb: &Sandbox, p: &Params) -> Reply {
    let id = required(p, "DBInstanceId")?.to_string();
    required(p, "RegionId")?;
    let d = sb
        .store
        .read(|w| w.get(COLL, &id).cloned())
        .map_err(internal)?
        .ok_or_else(|| not_found(&id))?;
    let zones: Vec<Value> = {
        let mut z: Vec<&str> = d["clusters"]
            .as_array()
            .map(|a| a.iter().filter_map(|c| c["ZoneId"].as_str()).collect())
            .unwrap_or_default();
        z.sort();
        z.dedup();
        z.iter()
            .map(|zone| json!({"ZoneId": zone, "VSwitchIds": [format!("vsw-{zone}")]}))
            .collect()
    };
    Ok(json!({
        "DBInstanceId": id, "Status": d["status"], "RegionId": d["region"], "ZoneId": d["zone"],
        "DeployScheme": d["deploy_scheme"], "ChargeType": d["charge_type"], "Engine": "selectdb",
        "EngineVersion": "4.0", "LockMode": d["lock_mode"], "LockReason": "",
        "MultiZone": zones, "DBClusterList": d["clusters"],
    }))
}

/// A cluster's id and its peer when it is bound. A bound cluster cannot be bound again — not
/// to another cluster, and not to the same one a second time (which would let two owners
/// share, and one of them undo, a single binding): the API answers 403
/// `IncorrectDBInstanceState`, the code the CreateDBClusterBinding page documents for an
/// instance whose state does not allow the operation (seed 004, API-FACTS.md §5).
fn bound_to(cluster: &Value) -> Option<(String, String)> {
    let peer = cluster["ClusterBinding"]
        .as_str()
        .filter(|p| !p.is_empty())?;
    Some((
        cluster["DbClusterId"].as_str()?.to_string(),
        peer.to_string(),
    ))
}

/// CreateDBClusterBinding (`create`) or DeleteDBClusterBinding.
fn bind(sb: &Sandbox, p: &Params, create: bool) -> Reply {
    let id = required(p, "DBInstanceId")?.to_string();
    let a = required(p, "DBClusterId")?.to_string();
    let b = required(p, "DBClusterIdBak")?.to_string();
    sb.store
        .write(|tx| {
            let mut d = tx.get(COLL, &id).cloned().ok_or_else(|| not_found(&id))?;
            if d["lock_mode"] != "Unlock" {
                return Err(fail(404, "DBInstanceLocked", "The current instance lock mode does not support this operation."));
            }
            if d["status"] != "ACTIVATION" {
                return Err(fail(403, "IncorrectDBInstanceState", "Current DB instance state does not support this operation."));
            }
            if d["deploy_scheme"] != "multi_az" {
                return Err(fail(400, "ClusterNotSupport", "Current instance cluster does not support this operation. (the instance is not zone-redundant)"));
            }
            if a == b {
                return Err(fail(404, "InvalidParam", "Invalid parameter, please check. (DBClusterId and DBClusterIdBak are the same cluster)"));
            }
            let clusters = d["clusters"].as_array_mut().ok_or_else(|| internal("no clusters".into()))?;
            let ia = clusters.iter().position(|c| c["DbClusterId"] == a.as_str());
            let ib = clusters.iter().position(|c| c["DbClusterId"] == b.as_str());
            let (Some(ia), Some(ib)) = (ia, ib) else {
                return Err(fail(404, "InvalidClusterName.NotFound", "The specified cluster name is not available."));
            };
            if create {
                if clusters[ia]["ZoneId"] == clusters[ib]["ZoneId"] {
                    return Err(fail(400, "ClusterNotSupport", "Current instance cluster does not support this operation. (both clusters are in one zone)"));
                }
                if clusters[ia]["ChargeType"] != clusters[ib]["ChargeType"] {
                    return Err(fail(400, "InvalidChargeType.NotSupport", "The specified parameter \"ChargeType\" does not meet the requirements. (the clusters are billed differently)"));
                }
                if clusters[ia]["Status"] != "ACTIVATION" || clusters[ib]["Status"] != "ACTIVATION" {
                    return Err(fail(403, "DBClusterNotSupported", "The requested operation cannot be performed while the cluster is not running."));
                }
                if let Some((id, peer)) = [ia, ib].iter().find_map(|&i| bound_to(&clusters[i])) {
                    return Err(fail(403, "IncorrectDBInstanceState", format!("Current DB instance state does not support this operation. (cluster {id} is already bound to {peer})")));
                }
                clusters[ia]["ClusterBinding"] = json!(b);
                clusters[ib]["ClusterBinding"] = json!(a);
                d[ORDER][&a] = json!(b);
            } else {
                if clusters[ia]["ClusterBinding"] != b.as_str() {
                    return Err(fail(404, "InvalidParam", "Invalid parameter, please check. (the clusters are not bound to each other)"));
                }
                clusters[ia]["ClusterBinding"] = json!("");
                clusters[ib]["ClusterBinding"] = json!("");
                if let Some(order) = d[ORDER].as_object_mut() {
                    order.retain(|k, _| k != &a && k != &b);
                }
            }
            let numeric = d["numeric_id"].clone();
            tx.put(COLL, &id, d);
            Ok(if create {
                json!({"Data": {"DbInstanceName": id, "DbInstanceId": numeric, "DbClusterId": a}})
            } else {
                json!({})
            })
        })
        .map_err(internal)?
}

/// The objects inside each instance's document, as `sandbox ls` rows: its clusters, and its
/// bindings — one row per bound pair, with the id strata gives a binding
/// (`<instance>/<cluster>/<cluster_bak>`, in the order CreateDBClusterBinding named them).
fn sub_objects(w: &World) -> Vec<Listed> {
    let mut out = Vec::new();
    for (id, d) in w.list(COLL) {
        let name = d["name"].as_str().unwrap_or_default();
        for c in d["clusters"].as_array().into_iter().flatten() {
            let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
            out.push(row(
                "cluster",
                text(&c["DbClusterId"]),
                text(&c["DbClusterName"]),
                text(&c["Status"]),
            ));
            if let Some((a, b)) = bound_to(c).filter(|(a, b)| named_first(d, a, b)) {
                out.push(row(
                    "cluster_binding",
                    format!("{id}/{a}/{b}"),
                    name.to_string(),
                    "bound".into(),
                ));
            }
        }
    }
    out
}

/// Whether the binding of clusters `a` and `b` named `a` first (as `DBClusterId`); for a
/// binding without a record, the lesser id is first.
fn named_first(d: &Value, a: &str, b: &str) -> bool {
    d[ORDER][a] == b || (d[ORDER][b] != a && a < b)
}

fn row(kind: &str, id: String, name: String, status: String) -> Listed {
    Listed {
        service: API.key.to_string(),
        kind: kind.to_string(),
        id,
        name,
        status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The binding rows of a seeded world whose first instance's clusters are bound, with
    /// `order` as its record of the order they were named in.
    fn bindings(order: Value) -> Vec<String> {
        let mut w = World::default();
        seed(&mut w);
        let d = w
            .colls
            .get_mut(COLL)
            .unwrap()
            .get_mut(SEED_INSTANCE)
            .unwrap();
        let (a, b) = (
            format!("{SEED_INSTANCE}-be"),
            format!("{SEED_INSTANCE}-be2"),
        );
        d["clusters"][0]["ClusterBinding"] = json!(b);
        d["clusters"][1]["ClusterBinding"] = json!(a);
        d[ORDER] = order;
        let rows = sub_objects(&w);
        assert_eq!(rows.iter().filter(|r| r.kind == "cluster").count(), 8);
        rows.into_iter()
            .filter(|r| r.kind == "cluster_binding")
            .map(|r| {
                r.id.trim_start_matches(&format!("{SEED_INSTANCE}/"))
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn a_bound_pair_is_one_row_in_the_order_it_was_named() {
        let (a, b) = (
            format!("{SEED_INSTANCE}-be"),
            format!("{SEED_INSTANCE}-be2"),
        );
        assert_eq!(bindings(json!({&b: &a})), [format!("{b}/{a}")]);
        assert_eq!(bindings(json!({&a: &b})), [format!("{a}/{b}")]);
        // a pair bound before the order was recorded: the lesser id first
        assert_eq!(bindings(Value::Null), [format!("{a}/{b}")]);
    }
}
