//! The Commvault sandbox's seed objects: the CommServe (which counts instance and subclient
//! ids), two Alibaba Cloud account clients (`alibaba-prod` 444 online, `alibaba-dr` 445 whose
//! access node is offline), plan `Server plan`, and the PaaS PostgreSQL databases Commvault
//! can reach.

use super::{CLIENTS, COMMSERVE, COMMSERVE_ID, DATABASES, PLANS};
use crate::sandbox::store::World;
use serde_json::{json, Value};

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
