//! `alicloud_selectdb_cluster_binding`: bind two clusters of a SelectDB instance
//! (CreateDBClusterBinding) after checking the seed's rules against DescribeDBInstanceAttribute
//! — the instance zone-redundant, the clusters different, in different zones, with the same
//! billing method, neither bound already (the API refuses a second binding with 403
//! `IncorrectDBInstanceState`; the check names the cluster's peer) — read it back from
//! `DBClusterList[].ClusterBinding`, and unbind it (DeleteDBClusterBinding). Also the data
//! source `alicloud_selectdb_instance`.

use super::{is_not_found, RpcClient};
use crate::providers::fields::{self, Field};
use crate::providers::{
    api_str, arg_str, CallCx, CreateRequest, Created, DataDriver, Found, ProviderError,
    ResourceDriver, Result,
};
use crate::schema::alicloud::{SELECTDB_BINDING, SELECTDB_INSTANCE};
use crate::schema::Schema;
use crate::state::Made;
use crate::value::{Map, Value};
use async_trait::async_trait;
use serde_json::Value as Json;
use std::sync::Arc;

pub struct Binding {
    pub client: Arc<RpcClient>,
}

pub struct Instance {
    pub client: Arc<RpcClient>,
}

/// The binding's field table: the parameter that names each id (the binding is read back
/// from the instance's clusters, not from fields of its own).
const BINDING_FIELDS: &[Field] = &[
    Field::param_only("instance_id", "DBInstanceId"),
    Field::param_only("cluster_id", "DBClusterId"),
    Field::param_only("cluster_id_bak", "DBClusterIdBak"),
    Field::param_only("region_id", "RegionId"),
];

/// `alicloud_selectdb_instance` from DescribeDBInstanceAttribute (`id` is the argument).
const INSTANCE_FIELDS: &[Field] = &[
    Field::computed("status", "Status"),
    Field::computed("deploy_scheme", "DeployScheme"),
    Field::computed("charge_type", "ChargeType"),
];

/// One of its `clusters`, from a `DBClusterList` item.
const CLUSTER_FIELDS: &[Field] = &[
    Field::computed("id", "DbClusterId"),
    Field::computed("zone_id", "ZoneId"),
    Field::computed("charge_type", "ChargeType"),
    Field::computed("status", "Status"),
    Field::computed("binding", "ClusterBinding"),
];

/// The binding's three ids.
struct Pair {
    instance: String,
    cluster: String,
    bak: String,
    region: String,
}

impl Pair {
    fn from_args(args: &Map, default_region: &str) -> Result<Pair> {
        Ok(Pair {
            instance: arg_str(args, "instance_id")?.to_string(),
            cluster: arg_str(args, "cluster_id")?.to_string(),
            bak: arg_str(args, "cluster_id_bak")?.to_string(),
            region: args
                .get("region_id")
                .and_then(Value::as_str)
                .unwrap_or(default_region)
                .to_string(),
        })
    }

    fn id(&self) -> String {
        format!("{}/{}/{}", self.instance, self.cluster, self.bak)
    }

    /// The pair as the binding's arguments.
    fn args(&self) -> Map {
        let mut m = Map::new();
        m.insert("instance_id".into(), Value::str(&self.instance));
        m.insert("cluster_id".into(), Value::str(&self.cluster));
        m.insert("cluster_id_bak".into(), Value::str(&self.bak));
        m.insert("region_id".into(), Value::str(&self.region));
        m
    }

    /// The CreateDBClusterBinding / DeleteDBClusterBinding parameters.
    fn params(&self) -> Vec<(&'static str, String)> {
        fields::params(BINDING_FIELDS, &self.args())
    }

    fn attributes(&self, numeric: Value) -> Map {
        let mut m = self.args();
        m.insert("id".into(), Value::str(self.id()));
        m.insert("db_instance_numeric_id".into(), numeric);
        m
    }
}

async fn describe(client: &RpcClient, instance: &str, region: &str) -> Result<Option<Json>> {
    match client
        .call(
            "DescribeDBInstanceAttribute",
            &[
                ("DBInstanceId", instance.to_string()),
                ("RegionId", region.to_string()),
            ],
            true,
        )
        .await
    {
        Ok(b) => Ok(Some(b)),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

fn cluster<'a>(inst: &'a Json, id: &str) -> Option<&'a Json> {
    inst["DBClusterList"]
        .as_array()?
        .iter()
        .find(|c| c["DbClusterId"] == id)
}

/// The seed's rules for a binding, checked before the call. `Err` says which one is broken.
fn check_rules(inst: &Json, p: &Pair) -> std::result::Result<(), String> {
    let scheme = inst["DeployScheme"].as_str().unwrap_or("?");
    if scheme != "multi_az" {
        return Err(format!(
            "instance {} is not zone-redundant (DeployScheme {scheme}): only a multi-zone \
             (multi_az) instance's clusters can be bound",
            p.instance
        ));
    }
    if p.cluster == p.bak {
        return Err(format!(
            "cluster_id and cluster_id_bak are both {}: a binding needs two different clusters",
            p.cluster
        ));
    }
    let find = |id: &str| {
        cluster(inst, id).ok_or_else(|| format!("instance {} has no cluster {id}", p.instance))
    };
    let (a, b) = (find(&p.cluster)?, find(&p.bak)?);
    if a["ZoneId"] == b["ZoneId"] {
        return Err(format!(
            "clusters {} and {} are both in zone {}: bound clusters must be in different zones",
            p.cluster,
            p.bak,
            a["ZoneId"].as_str().unwrap_or("?")
        ));
    }
    for c in [a, b] {
        let peer = c["ClusterBinding"].as_str().unwrap_or_default();
        if !peer.is_empty() {
            return Err(format!(
                "cluster {} is already bound to {peer} (by another stack, or outside strata): \
                 a binding has one owner — unbind it there first, or `strata import` it here",
                c["DbClusterId"].as_str().unwrap_or("?")
            ));
        }
    }
    if a["ChargeType"] != b["ChargeType"] {
        return Err(format!(
            "cluster {} is billed {} but {} is billed {}: bound clusters must share a billing method",
            p.cluster,
            a["ChargeType"].as_str().unwrap_or("?"),
            p.bak,
            b["ChargeType"].as_str().unwrap_or("?")
        ));
    }
    Ok(())
}

impl Binding {
    /// The client for the pair's region (`region_id` chooses the endpoint as well as the
    /// parameter).
    fn regional(&self, p: &Pair) -> Result<RpcClient> {
        self.client
            .in_region(&p.region)
            .map_err(|e| ProviderError::new("InvalidRegionId", e))
    }

    /// Whether the pair is bound now (`None`: the instance is gone).
    async fn bound(&self, p: &Pair) -> Result<Option<bool>> {
        Ok(describe(&self.regional(p)?, &p.instance, &p.region)
            .await?
            .map(|inst| {
                cluster(&inst, &p.cluster).is_some_and(|c| c["ClusterBinding"] == p.bak.as_str())
            }))
    }
}

fn pair_of_id(id: &str, prior: &Map, region: &str) -> Option<Pair> {
    let mut parts = id.splitn(3, '/');
    let (i, c, b) = (parts.next()?, parts.next()?, parts.next()?);
    Some(Pair {
        instance: i.into(),
        cluster: c.into(),
        bak: b.into(),
        region: prior
            .get("region_id")
            .and_then(Value::as_str)
            .unwrap_or(region)
            .to_string(),
    })
}

#[async_trait]
impl ResourceDriver for Binding {
    fn schema(&self) -> &'static Schema {
        &SELECTDB_BINDING
    }

    async fn create(&self, _cx: &CallCx<'_>, req: &CreateRequest<'_>) -> Result<Created> {
        let p = Pair::from_args(req.args, &self.client.region)?;
        let inst = describe(&self.regional(&p)?, &p.instance, &p.region)
            .await?
            .ok_or_else(|| {
                ProviderError::new(
                    "InvalidDBInstanceId.NotFound",
                    format!("SelectDB instance {} does not exist", p.instance),
                )
            })?;
        check_rules(&inst, &p).map_err(ProviderError::rule)?;
        let resp = self
            .regional(&p)?
            .call("CreateDBClusterBinding", &p.params(), false)
            .await?;
        Ok(Created {
            id: p.id(),
            attributes: p.attributes(api_str(&resp["Data"]["DbInstanceId"])),
            made: Made::Bound,
        })
    }

    async fn read(&self, _cx: &CallCx<'_>, id: &str, prior: &Map) -> Result<Option<Map>> {
        let Some(p) = pair_of_id(id, prior, &self.client.region) else {
            return Ok(None);
        };
        let numeric = prior
            .get("db_instance_numeric_id")
            .cloned()
            .unwrap_or_default();
        Ok(match self.bound(&p).await? {
            Some(true) => Some(p.attributes(numeric)),
            _ => None,
        })
    }

    async fn update(&self, cx: &CallCx<'_>, id: &str, prior: &Map, _args: &Map) -> Result<Map> {
        // every argument forces a replacement: nothing changes in place
        self.read(cx, id, prior)
            .await?
            .ok_or_else(|| ProviderError::new("NotFound", format!("binding {id} no longer exists")))
    }

    async fn delete(&self, _cx: &CallCx<'_>, id: &str, prior: &Map) -> Result<()> {
        let Some(p) = pair_of_id(id, prior, &self.client.region) else {
            return Ok(());
        };
        if self.bound(&p).await? != Some(true) {
            return Ok(());
        }
        match self
            .regional(&p)?
            .call("DeleteDBClusterBinding", &p.params(), true)
            .await
        {
            Ok(_) => Ok(()),
            // an earlier attempt whose answer was lost may have unbound it already
            Err(e) if self.bound(&p).await? == Some(true) => Err(e),
            Err(_) => Ok(()),
        }
    }

    fn natural_key(&self, args: &Map, _clone: Option<&Map>) -> Value {
        let mut k = Map::new();
        for a in ["instance_id", "cluster_id", "cluster_id_bak", "region_id"] {
            k.insert(a.into(), args.get(a).cloned().unwrap_or_default());
        }
        Value::Map(k)
    }

    async fn find(&self, _cx: &CallCx<'_>, key: &Value, _token: &str) -> Result<Option<Found>> {
        let Some(args) = key.as_map() else {
            return Ok(None);
        };
        let p = Pair::from_args(args, &self.client.region)?;
        Ok(match self.bound(&p).await? {
            Some(true) => Some(Found::complete(p.id())),
            _ => None,
        })
    }

    async fn import(&self, cx: &CallCx<'_>, id: &str) -> Result<Option<Map>> {
        self.read(cx, id, &Map::new()).await
    }
}

#[async_trait]
impl DataDriver for Instance {
    fn schema(&self) -> &'static Schema {
        &SELECTDB_INSTANCE
    }

    async fn read(&self, _cx: &CallCx<'_>, args: &Map) -> Result<Map> {
        let id = arg_str(args, "id")?;
        let inst = describe(&self.client, id, &self.client.region)
            .await?
            .ok_or_else(|| {
                ProviderError::new(
                    "InvalidDBInstanceId.NotFound",
                    format!("SelectDB instance {id} does not exist"),
                )
            })?;
        let clusters: Vec<Value> = inst["DBClusterList"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| Value::Map(fields::read(CLUSTER_FIELDS, c)))
            .collect();
        let mut m = fields::read(INSTANCE_FIELDS, &inst);
        m.insert("id".into(), Value::str(id));
        m.insert("clusters".into(), Value::List(clusters));
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pair(c: &str, b: &str) -> Pair {
        Pair {
            instance: "i".into(),
            cluster: c.into(),
            bak: b.into(),
            region: "r".into(),
        }
    }

    #[test]
    fn the_seed_rules() {
        let inst = |scheme: &str| {
            json!({"DeployScheme": scheme, "DBClusterList": [
                {"DbClusterId": "a", "ZoneId": "z1", "ChargeType": "PostPaid"},
                {"DbClusterId": "b", "ZoneId": "z2", "ChargeType": "PostPaid"},
                {"DbClusterId": "c", "ZoneId": "z1", "ChargeType": "PostPaid"},
                {"DbClusterId": "d", "ZoneId": "z2", "ChargeType": "PrePaid"}]})
        };
        assert!(check_rules(&inst("multi_az"), &pair("a", "b")).is_ok());
        let e = |c, b, s| check_rules(&inst(s), &pair(c, b)).unwrap_err();
        assert!(e("a", "b", "single_az").contains("not zone-redundant"));
        assert!(e("a", "a", "multi_az").contains("two different clusters"));
        assert!(e("a", "c", "multi_az").contains("different zones"));
        assert!(e("a", "d", "multi_az").contains("billing method"));
        assert!(e("a", "x", "multi_az").contains("no cluster x"));
    }
}
