//! `alicloud_gpdb_instance`: create (CreateDBInstance, wait for `Running`), clone (resolve and
//! check the backup, create the target like the source, wait for `Running`, CloneDBInstance,
//! wait through `Restoring` to `Running`), description updates, delete (wait until gone); and
//! the data source `alicloud_gpdb_backups`. Every instance carries a `strata:token` tag (found
//! again after a lost response or a kill) and a finished clone a `strata:restored` tag naming
//! its backup (so an interrupted clone is known to be unfinished), added by TagResources with
//! the `ResourceType` of the instance's storage mode.

use super::{is_not_found, RpcClient};
use crate::providers::fields::{self, Conv, Field};
use crate::providers::wait::{self, Seen};
use crate::providers::{
    arg_str, fill_in, CallCx, CreateRequest, Created, DataDriver, Found, ProviderError, ReadItem,
    ResourceDriver, Result,
};
use crate::schema::alicloud::{GPDB_BACKUPS, GPDB_INSTANCE};
use crate::schema::Schema;
use crate::state::Made;
use crate::value::{Map, Value};
use async_trait::async_trait;
use serde_json::Value as Json;
use std::sync::Arc;
use std::time::Duration;

const TOKEN_TAG: &str = "strata:token";
const RESTORED_TAG: &str = "strata:restored";
const POLL: Duration = Duration::from_secs(5);

pub struct Instance {
    pub client: Arc<RpcClient>,
}

pub struct Backups {
    pub client: Arc<RpcClient>,
}

/// The instance's one field table: each attribute, the CreateDBInstance (and
/// ModifyDBInstanceDescription) parameter that sets it, and the DescribeDBInstanceAttribute /
/// DescribeDBInstances field it is read from.
const FIELDS: &[Field] = &[
    Field::sent("zone_id", "ZoneId", "ZoneId"),
    Field::sent("engine_version", "EngineVersion", "EngineVersion"),
    Field::sent("instance_spec", "InstanceSpec", "InstanceSpec"),
    Field::sent("seg_node_num", "SegNodeNum", "SegNodeNum").conv(Conv::Int),
    Field::sent("storage_size", "StorageSize", "StorageSize").conv(Conv::Int),
    Field::sent("db_instance_mode", "DBInstanceMode", "DBInstanceMode"),
    Field::sent(
        "db_instance_category",
        "DBInstanceCategory",
        "DBInstanceCategory",
    ),
    // the create takes `VPCId`, the describe answers `VpcId`
    Field::sent("vpc_id", "VPCId", "VpcId"),
    Field::sent("vswitch_id", "VSwitchId", "VSwitchId"),
    Field::sent("pay_type", "PayType", "PayType"),
    Field::sent(
        "description",
        "DBInstanceDescription",
        "DBInstanceDescription",
    ),
    Field::computed("id", "DBInstanceId"),
    Field::computed("status", "DBInstanceStatus"),
    Field::computed("connection_string", "ConnectionString"),
    Field::computed("port", "Port"),
];

/// A backup of `alicloud_gpdb_backups.backups`, from a DescribeDataBackups item.
const BACKUP_FIELDS: &[Field] = &[
    Field::computed("id", "BackupSetId"),
    Field::computed("method", "BackupMethod"),
    Field::computed("status", "BackupStatus"),
    Field::computed("end_time", "BackupEndTime"),
];

/// Attributes from a DescribeDBInstanceAttribute item: the table's, and the restore tag.
fn attributes(item: &Json) -> Map {
    let mut m = fields::read(FIELDS, item);
    m.insert(
        "backup_id".into(),
        tag(item, RESTORED_TAG)
            .map(Value::str)
            .unwrap_or(Value::Null),
    );
    m
}

/// The `ResourceType` of the tag actions (TagResources, UntagResources) for an instance of
/// this `DBInstanceMode`: the SDK's model documents `ALIYUN::GPDB::INSTANCE` for elastic
/// storage mode and `instance` for reserved storage mode; the other modes (Serverless) are
/// not elastic storage, so `instance`.
fn tag_resource_type(mode: &str) -> &'static str {
    if mode == "StorageElastic" {
        "ALIYUN::GPDB::INSTANCE"
    } else {
        "instance"
    }
}

fn tag<'a>(item: &'a Json, key: &str) -> Option<&'a str> {
    item["Tags"]["Tag"]
        .as_array()?
        .iter()
        .find(|t| t["Key"] == key)
        .and_then(|t| t["Value"].as_str())
}

impl Instance {
    /// DescribeDBInstanceAttribute: the instance, `None` when the API lists none (or another);
    /// the API's errors, `InvalidDBInstanceId.NotFound` included, come back as they are.
    async fn describe_strict(&self, id: &str) -> Result<Option<Json>> {
        let b = self
            .client
            .call(
                "DescribeDBInstanceAttribute",
                &[("DBInstanceId", id.to_string())],
                true,
            )
            .await?;
        Ok(b["Items"]["DBInstanceAttribute"]
            .as_array()
            .and_then(|a| a.first())
            .filter(|i| i["DBInstanceId"] == id)
            .cloned())
    }

    /// The instance, or `None` when it does not exist.
    async fn describe(&self, id: &str) -> Result<Option<Json>> {
        match self.describe_strict(id).await {
            Err(e) if is_not_found(&e) => Ok(None),
            other => other,
        }
    }

    async fn status(&self, id: &str) -> Result<Seen> {
        Ok(match self.describe(id).await? {
            Some(i) => Seen::Status(i["DBInstanceStatus"].as_str().unwrap_or("").to_string()),
            None => Seen::Gone,
        })
    }

    async fn wait_running(&self, cx: &CallCx<'_>, id: &str) -> Result<()> {
        wait::for_status(
            cx,
            &format!("instance {id}"),
            &["Running"],
            &["Deleting", "Stopped"],
            POLL,
            || self.status(id),
        )
        .await
        .map(|_| ())
    }

    async fn read_attrs(&self, id: &str) -> Result<Map> {
        let item = self.describe(id).await?.ok_or_else(|| {
            ProviderError::vanished(
                "InvalidDBInstanceId.NotFound",
                &format!("instance {id}"),
                "call",
            )
        })?;
        Ok(attributes(&item))
    }

    /// Resolve `backup:` (`latest` or a backup set id) against the source's backups and check
    /// the seed's rules, before anything is made.
    async fn resolve_backup(&self, source: &str, wanted: &str) -> Result<String> {
        let list = backups(&self.client, source).await?;
        if wanted == "latest" {
            return latest_snapshot(&list).ok_or_else(|| {
                ProviderError::rule(format!(
                    "instance {source} has no successful snapshot backup yet, so backup: latest \
                     has nothing to restore: wait for its first snapshot, or name a backup set"
                ))
            });
        }
        let b = list
            .iter()
            .find(|b| b["BackupSetId"].as_str() == Some(wanted))
            .ok_or_else(|| {
                ProviderError::rule(format!(
                    "backup set {wanted} is not a backup of instance {source} \
                     (DescribeDataBackups of {source} does not list it): CloneDBInstance restores \
                     only the source's own backups"
                ))
            })?;
        let method = b["BackupMethod"].as_str().unwrap_or("?");
        if method != "Snapshot" {
            return Err(ProviderError::rule(format!(
                "backup set {wanted} of {source} is a {method} backup: CloneDBInstance restores \
                 only snapshot backups"
            )));
        }
        let status = b["BackupStatus"].as_str().unwrap_or("?");
        if status != "Success" {
            return Err(ProviderError::rule(format!(
                "backup set {wanted} of {source} has status {status}: only a successful backup \
                 can be restored"
            )));
        }
        Ok(wanted.to_string())
    }
}

impl Instance {
    /// The steps after CreateDBInstance: wait until the instance runs; for a clone, restore the
    /// backup (unless the instance already carries the restored tag), wait through
    /// `Restoring`, then tag it restored. Restoring the same backup again, when an earlier
    /// run's restore was not recorded, gives the same result.
    async fn complete(
        &self,
        cx: &CallCx<'_>,
        id: &str,
        restore: Option<(String, String)>,
        clone: Option<&Map>,
    ) -> Result<Created> {
        self.wait_running(cx, id).await?;
        let made = match (restore, clone) {
            (Some((source, backup)), Some(clone)) => {
                let item = self.describe(id).await?.unwrap_or_default();
                if tag(&item, RESTORED_TAG).is_none() {
                    self.restore(id, &source, &backup).await?;
                    // the restore starts at once: wait through Restoring back to Running
                    self.wait_running(cx, id).await?;
                    let mode = item["DBInstanceMode"].as_str().unwrap_or_default();
                    self.tag_restored(id, mode, backup).await?;
                }
                Made::cloned_from(clone)
            }
            _ => Made::Created,
        };
        let attributes = self.read_attrs(id).await?;
        Ok(Created {
            id: id.to_string(),
            attributes,
            made,
        })
    }

    /// TagResources of the restored tag on the instance `id`, of storage mode `mode`.
    async fn tag_restored(&self, id: &str, mode: &str, backup: String) -> Result<()> {
        self.client
            .call(
                "TagResources",
                &[
                    ("RegionId", self.client.region.clone()),
                    ("ResourceType", tag_resource_type(mode).into()),
                    ("ResourceId.1", id.to_string()),
                    ("Tag.1.Key", RESTORED_TAG.into()),
                    ("Tag.1.Value", backup),
                ],
                true,
            )
            .await
            .map(|_| ())
    }

    /// CloneDBInstance into `target`. When its answer is lost (a 5xx, a dropped connection),
    /// the target's status says whether it took effect: `Restoring` means it did; still
    /// `Running` means it did not, and it is sent again.
    async fn restore(&self, target: &str, source: &str, backup: &str) -> Result<()> {
        let params = [
            ("DBInstanceId", target.to_string()),
            ("SrcDbInstanceName", source.to_string()),
            ("BackupId", backup.to_string()),
        ];
        let mut attempts = 0;
        loop {
            match self.client.call("CloneDBInstance", &params, false).await {
                Ok(_) => return Ok(()),
                Err(e) if e.ambiguous && attempts < 5 => {
                    attempts += 1;
                    match self.status(target).await? {
                        Seen::Status(s) if s == "Restoring" => return Ok(()),
                        Seen::Status(s) if s == "Running" => continue,
                        _ => return Err(e),
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// Every data backup of an instance, newest first.
async fn backups(client: &RpcClient, instance: &str) -> Result<Vec<Json>> {
    let resp = client
        .call(
            "DescribeDataBackups",
            &[
                ("DBInstanceId", instance.to_string()),
                ("DataType", "DATA".to_string()),
                ("PageSize", "100".to_string()),
            ],
            true,
        )
        .await?;
    let mut items = resp["Items"].as_array().cloned().unwrap_or_default();
    items.sort_by(|a, b| {
        b["BackupEndTime"]
            .as_str()
            .unwrap_or("")
            .cmp(a["BackupEndTime"].as_str().unwrap_or(""))
    });
    Ok(items)
}

/// The newest successful snapshot backup.
fn latest_snapshot(items: &[Json]) -> Option<String> {
    items
        .iter()
        .find(|b| b["BackupMethod"] == "Snapshot" && b["BackupStatus"] == "Success")
        .and_then(|b| b["BackupSetId"].as_str().map(String::from))
}

#[async_trait]
impl ResourceDriver for Instance {
    fn schema(&self) -> &'static Schema {
        &GPDB_INSTANCE
    }

    async fn create(&self, cx: &CallCx<'_>, req: &CreateRequest<'_>) -> Result<Created> {
        let mut args = req.args.clone();
        let mut restore = None;
        if let Some(clone) = req.clone {
            let source = arg_str(clone, "source")?.to_string();
            let wanted = arg_str(clone, "backup")?;
            // the API's own not-found error (code, request id), naming what was looked for
            let src = self
                .describe_strict(&source)
                .await
                .map_err(|mut e| {
                    e.message = format!("clone source instance {source}: {}", e.message);
                    e
                })?
                .ok_or_else(|| {
                    ProviderError::new(
                        "InvalidDBInstanceId.NotFound",
                        format!("clone source instance {source} does not exist"),
                    )
                })?;
            let backup = self.resolve_backup(&source, wanted).await?;
            // the target is made like the source, where the config leaves it open
            let like = attributes(&src);
            for k in [
                "engine_version",
                "instance_spec",
                "seg_node_num",
                "storage_size",
                "db_instance_mode",
                "db_instance_category",
            ] {
                if args.get(k).is_none_or(Value::is_null) {
                    args.insert(k.into(), like.get(k).cloned().unwrap_or_default());
                }
            }
            restore = Some((source, backup));
        }
        let mut params: Vec<(&str, String)> = vec![
            ("RegionId", self.client.region.clone()),
            ("Engine", "gpdb".into()),
            ("SegStorageType", "cloud_essd".into()),
            ("ClientToken", req.token.to_string()),
            ("Tag.1.Key", TOKEN_TAG.into()),
            ("Tag.1.Value", req.token.to_string()),
        ];
        params.extend(fields::params(FIELDS, &args));
        let resp = self.client.call("CreateDBInstance", &params, false).await?;
        let id = resp["DBInstanceId"]
            .as_str()
            .ok_or_else(|| {
                ProviderError::new("BadResponse", "CreateDBInstance returned no DBInstanceId")
            })?
            .to_string();
        self.complete(cx, &id, restore, req.clone)
            .await
            .map_err(|e| e.with_made(&id))
    }

    /// An instance found after CreateDBInstance's answer was lost: finish it as `create` would
    /// (a clone's backup is resolved again, as at its create).
    async fn finish(&self, cx: &CallCx<'_>, id: &str, req: &CreateRequest<'_>) -> Result<Created> {
        let restore = match req.clone {
            Some(clone) => {
                let source = arg_str(clone, "source")?.to_string();
                let backup = self
                    .resolve_backup(&source, arg_str(clone, "backup")?)
                    .await?;
                Some((source, backup))
            }
            None => None,
        };
        self.complete(cx, id, restore, req.clone)
            .await
            .map_err(|e| e.with_made(id))
    }

    async fn read(&self, _cx: &CallCx<'_>, id: &str, _prior: &Map) -> Result<Option<Map>> {
        Ok(self.describe(id).await?.map(|i| attributes(&i)))
    }

    /// As `read`, but an id the API does not know comes back as the API's own error
    /// (`InvalidDBInstanceId.NotFound`), which an import names.
    async fn import(&self, _cx: &CallCx<'_>, id: &str) -> Result<Option<Map>> {
        Ok(self.describe_strict(id).await?.map(|i| attributes(&i)))
    }

    async fn update(&self, _cx: &CallCx<'_>, id: &str, prior: &Map, args: &Map) -> Result<Map> {
        if args.get("description") != prior.get("description") {
            let text = args
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_default();
            self.client
                .call(
                    "ModifyDBInstanceDescription",
                    &[
                        ("DBInstanceId", id.to_string()),
                        (fields::param_name(FIELDS, "description"), text.to_string()),
                    ],
                    true,
                )
                .await?;
        }
        self.read_attrs(id).await
    }

    async fn delete(&self, cx: &CallCx<'_>, id: &str, _prior: &Map) -> Result<()> {
        match self
            .client
            .call(
                "DeleteDBInstance",
                &[("DBInstanceId", id.to_string())],
                true,
            )
            .await
        {
            Ok(_) => {}
            Err(e) if is_not_found(&e) => return Ok(()),
            Err(e) => return Err(e),
        }
        wait::for_gone(cx, &format!("instance {id}"), POLL, || self.status(id)).await
    }

    /// DescribeDBInstances for up to 100 instances per call; the list lacks the spec,
    /// connection string and port, which keep their recorded values. An instance in a
    /// transitional status is read in full.
    async fn read_many(
        &self,
        items: &[ReadItem<'_>],
        parallelism: usize,
    ) -> Vec<Result<Option<Map>>> {
        let mut listed: std::collections::HashMap<String, Json> = Default::default();
        for chunk in items.chunks(100) {
            let ids: Vec<&str> = chunk.iter().map(|it| it.id).collect();
            let resp = self
                .client
                .call(
                    "DescribeDBInstances",
                    &[
                        ("RegionId", self.client.region.clone()),
                        ("DBInstanceIds", ids.join(",")),
                        ("PageSize", "100".into()),
                    ],
                    true,
                )
                .await;
            match resp {
                Ok(r) => {
                    for item in r["Items"]["DBInstance"].as_array().into_iter().flatten() {
                        if let Some(id) = item["DBInstanceId"].as_str() {
                            listed.insert(id.to_string(), item.clone());
                        }
                    }
                }
                Err(e) => return items.iter().map(|_| Err(e.clone())).collect(),
            }
        }
        let mut out: Vec<Option<Result<Option<Map>>>> = Vec::with_capacity(items.len());
        for it in items {
            match listed.get(it.id) {
                None => out.push(Some(Ok(None))),
                Some(item) if item["DBInstanceStatus"] == "Running" => {
                    let mut attrs = attributes(item);
                    for k in ["instance_spec", "connection_string", "port"] {
                        if let Some(v) = it.prior.get(k) {
                            attrs.insert(k.into(), v.clone());
                        }
                    }
                    out.push(Some(Ok(Some(attrs))));
                }
                Some(_) => out.push(None),
            }
        }
        fill_in(
            items,
            out,
            |it| Box::pin(async move { Ok(self.describe(it.id).await?.map(|d| attributes(&d))) }),
            parallelism,
        )
        .await
    }

    fn natural_key(&self, args: &Map, clone: Option<&Map>) -> Value {
        let mut k = Map::new();
        k.insert(
            "zone_id".into(),
            args.get("zone_id").cloned().unwrap_or_default(),
        );
        k.insert(
            "description".into(),
            args.get("description").cloned().unwrap_or_default(),
        );
        k.insert("clone".into(), Value::Bool(clone.is_some()));
        Value::Map(k)
    }

    /// The instance tagged with this create's token; a clone is complete once tagged restored.
    async fn find(&self, _cx: &CallCx<'_>, key: &Value, token: &str) -> Result<Option<Found>> {
        let resp = self
            .client
            .call(
                "DescribeDBInstances",
                &[
                    ("RegionId", self.client.region.clone()),
                    ("Tag.1.Key", TOKEN_TAG.into()),
                    ("Tag.1.Value", token.to_string()),
                ],
                true,
            )
            .await?;
        let Some(item) = resp["Items"]["DBInstance"]
            .as_array()
            .and_then(|a| a.first())
        else {
            return Ok(None);
        };
        let id = item["DBInstanceId"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let cloning = key.get("clone").and_then(Value::as_bool).unwrap_or(false);
        let running = item["DBInstanceStatus"] == "Running";
        Ok(Some(Found {
            id,
            complete: running && (!cloning || tag(item, RESTORED_TAG).is_some()),
        }))
    }
}

#[async_trait]
impl DataDriver for Backups {
    fn schema(&self) -> &'static Schema {
        &GPDB_BACKUPS
    }

    async fn read(&self, _cx: &CallCx<'_>, args: &Map) -> Result<Map> {
        let instance = arg_str(args, "instance_id")?;
        let items = backups(&self.client, instance).await?;
        let list: Vec<Value> = items
            .iter()
            .map(|b| Value::Map(fields::read(BACKUP_FIELDS, b)))
            .collect();
        let mut m = Map::new();
        m.insert("instance_id".into(), Value::str(instance));
        m.insert("id".into(), Value::str(instance));
        m.insert("backups".into(), Value::List(list));
        m.insert(
            "latest_snapshot_id".into(),
            latest_snapshot(&items)
                .map(Value::str)
                .unwrap_or(Value::Null),
        );
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn latest_snapshot_skips_logical_and_failed_backups() {
        let items = vec![
            json!({"BackupSetId": "3", "BackupMethod": "Snapshot", "BackupStatus": "Failure", "BackupEndTime": "2024-01-03T00:00:00Z"}),
            json!({"BackupSetId": "2", "BackupMethod": "Logical", "BackupStatus": "Success", "BackupEndTime": "2024-01-02T00:00:00Z"}),
            json!({"BackupSetId": "1", "BackupMethod": "Snapshot", "BackupStatus": "Success", "BackupEndTime": "2024-01-01T00:00:00Z"}),
        ];
        assert_eq!(latest_snapshot(&items).as_deref(), Some("1"));
        assert_eq!(latest_snapshot(&items[..2]), None);
    }

    #[test]
    fn tags_name_the_resource_type_of_the_storage_mode() {
        assert_eq!(
            tag_resource_type("StorageElastic"),
            "ALIYUN::GPDB::INSTANCE"
        );
        for mode in ["Classic", "Serverless", "ServerlessPro"] {
            assert_eq!(tag_resource_type(mode), "instance", "{mode}");
        }
    }

    #[test]
    fn attributes_read_numbers_from_strings_and_the_restore_tag() {
        let item = json!({"DBInstanceId": "gp-1", "SegNodeNum": "4", "StorageSize": 200,
            "DBInstanceDescription": "", "Tags": {"Tag": [{"Key": RESTORED_TAG, "Value": "111"}]}});
        let a = attributes(&item);
        assert_eq!(a["seg_node_num"], Value::int(4));
        assert_eq!(a["storage_size"], Value::int(200));
        assert_eq!(a["description"], Value::Null);
        assert_eq!(a["backup_id"], Value::str("111"));
    }
}
