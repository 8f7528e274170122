"""Alibaba Cloud's own Python SDKs against `strata sandbox serve`, unchanged: only the
endpoint, the protocol and the sandbox's credentials differ from a real account.

    strata sandbox serve --addr 127.0.0.1:8080 &
    python examples/sdk/alibaba.py 127.0.0.1:8080

Creates an AnalyticDB for PostgreSQL warehouse, restores the seeded warehouse's snapshot into
it (CloneDBInstance) and releases it; binds the seeded SelectDB instance's two clusters
(CreateDBClusterBinding) and unbinds them; clones the seeded DataWorks data source
(CloneDataSource) and deletes the clone.
"""
import sys
import time

from alibabacloud_dataworks_public20240518 import models as dataworks_models
from alibabacloud_dataworks_public20240518.client import Client as DataWorks
from alibabacloud_gpdb20160503 import models as gpdb_models
from alibabacloud_gpdb20160503.client import Client as Gpdb
from alibabacloud_selectdb20230522 import models as selectdb_models
from alibabacloud_selectdb20230522.client import Client as SelectDB
from alibabacloud_tea_openapi import models as open_api_models
from Tea.exceptions import TeaException

HOST = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:8080"
CONFIG = dict(
    access_key_id="SANDBOXALIAK000000001",
    access_key_secret="sandbox-alibaba-secret",
    endpoint=HOST,  # every Alibaba product answers at the same host:port
    protocol="http",
    region_id="cn-hangzhou",
)


def wait_running(gpdb, instance_id):
    for _ in range(240):
        attr = gpdb.describe_dbinstance_attribute(
            gpdb_models.DescribeDBInstanceAttributeRequest(dbinstance_id=instance_id)
        ).body.items.dbinstance_attribute[0]
        if attr.dbinstance_status == "Running":
            return attr
        time.sleep(0.5)
    raise SystemExit(f"{instance_id} is still {attr.dbinstance_status}")


def wait_gone(gpdb, instance_id):
    for _ in range(240):
        try:
            gpdb.describe_dbinstance_attribute(
                gpdb_models.DescribeDBInstanceAttributeRequest(dbinstance_id=instance_id)
            )
        except TeaException as e:
            if e.code == "InvalidDBInstanceId.NotFound":
                return
            raise
        time.sleep(0.5)
    raise SystemExit(f"{instance_id} is still there")


def gpdb_clone():
    gpdb = Gpdb(open_api_models.Config(**CONFIG))
    seed = "gp-bp1seedwarehouse01"
    backups = gpdb.describe_data_backups(
        gpdb_models.DescribeDataBackupsRequest(dbinstance_id=seed, backup_status="Success")
    ).body.items
    snapshot = next(b for b in backups if b.backup_method == "Snapshot")
    target = gpdb.create_dbinstance(
        gpdb_models.CreateDBInstanceRequest(
            region_id="cn-hangzhou",
            zone_id="cn-hangzhou-i",
            engine="gpdb",
            engine_version="6.0",
            dbinstance_mode="StorageElastic",
            dbinstance_category="HighAvailability",
            instance_spec="4C32G",
            seg_node_num="4",
            storage_size="50",
            seg_storage_type="cloud_essd",
            dbinstance_description="sdk example target",
        )
    ).body.dbinstance_id
    print("gpdb: CreateDBInstance ->", target, wait_running(gpdb, target).dbinstance_status)
    gpdb.clone_dbinstance(
        gpdb_models.CloneDBInstanceRequest(
            dbinstance_id=target, src_db_instance_name=seed, backup_id=snapshot.backup_set_id
        )
    )
    attr = wait_running(gpdb, target)
    print("gpdb: CloneDBInstance", seed, "backup", snapshot.backup_set_id, "->", target, attr.dbinstance_status)
    gpdb.delete_dbinstance(gpdb_models.DeleteDBInstanceRequest(dbinstance_id=target))
    wait_gone(gpdb, target)
    print("gpdb: DeleteDBInstance", target, "released")


def selectdb_binding():
    sdb = SelectDB(open_api_models.Config(**CONFIG))
    instance = "selectdb-cn-7213cjv2ez"
    bound = sdb.create_dbcluster_binding(
        selectdb_models.CreateDBClusterBindingRequest(
            dbinstance_id=instance,
            dbcluster_id=instance + "-be",
            dbcluster_id_bak=instance + "-be2",
            region_id="cn-hangzhou",
        )
    )
    print("selectdb: CreateDBClusterBinding ->", bound.body.data.db_instance_id)
    sdb.delete_dbcluster_binding(
        selectdb_models.DeleteDBClusterBindingRequest(
            dbinstance_id=instance,
            dbcluster_id=instance + "-be",
            dbcluster_id_bak=instance + "-be2",
            region_id="cn-hangzhou",
        )
    )
    print("selectdb: DeleteDBClusterBinding done")


def dataworks_clone():
    dw = DataWorks(open_api_models.Config(**CONFIG))
    clone = dw.clone_data_source(
        dataworks_models.CloneDataSourceRequest(id=16036, clone_data_source_name="sdk_example_clone")
    )
    print("dataworks: CloneDataSource 16036 ->", clone.body.id)
    dw.delete_data_source(dataworks_models.DeleteDataSourceRequest(id=clone.body.id))
    print("dataworks: DeleteDataSource", clone.body.id)


if __name__ == "__main__":
    gpdb_clone()
    selectdb_binding()
    dataworks_clone()
