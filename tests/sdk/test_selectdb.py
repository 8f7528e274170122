"""ApsaraDB for SelectDB (2023-05-22) through Alibaba Cloud's official Python SDK
(alibabacloud_selectdb20230522 on alibabacloud_tea_openapi), unmodified: every action
strata's SelectDB driver calls, and the seed operation CreateDBClusterBinding, each success
and each documented error the sandbox implements, asserted on the SDK's typed models and
exceptions."""

import unittest

from alibabacloud_selectdb20230522 import models
from alibabacloud_selectdb20230522.client import Client

from conformance import ALIBABA_REGION, AlibabaCase

REGION = ALIBABA_REGION
SEED = "selectdb-cn-7213cjv2ez"
SINGLE_ZONE = "selectdb-cn-singlezone1"
MIXED_BILLING = "selectdb-cn-mixbilling1"
LOCKED = "selectdb-cn-locked00001"


class SelectDBCase(AlibabaCase):
    client_class = Client

    def describe(self, instance_id):
        return self.call(
            "describe_dbinstance_attribute",
            models.DescribeDBInstanceAttributeRequest(dbinstance_id=instance_id, region_id=REGION),
        )

    def pair(self, instance_id, a="-be", b="-be2"):
        return dict(
            dbinstance_id=instance_id,
            dbcluster_id=f"{instance_id}{a}",
            dbcluster_id_bak=f"{instance_id}{b}",
            region_id=REGION,
        )

    def bind_error(self, code, status, instance_id, **pair):
        return self.assertRpcError(
            "create_dbcluster_binding",
            models.CreateDBClusterBindingRequest(**self.pair(instance_id, **pair)),
            code,
            status,
        )

    def bindings(self, instance_id):
        return {c.db_cluster_id: c.cluster_binding for c in self.describe(instance_id).dbcluster_list}


class DescribeDBInstanceAttribute(SelectDBCase):
    def test_the_seed_instance_as_the_model_types_it(self):
        d = self.describe(SEED)
        self.assertEqual(d.dbinstance_id, SEED)
        self.assertEqual(d.status, "ACTIVATION")
        self.assertEqual(d.deploy_scheme, "multi_az")
        self.assertEqual(d.region_id, REGION)
        self.assertEqual(d.engine, "selectdb")
        self.assertIsInstance(d.engine_version, str)
        self.assertIs(type(d.lock_mode), int)
        self.assertEqual(d.lock_mode, 0)
        self.assertEqual(sorted(z.zone_id for z in d.multi_zone), ["cn-hangzhou-h", "cn-hangzhou-i"])
        for z in d.multi_zone:
            self.assertIsInstance(z.v_switch_ids, list)
        self.assertEqual(len(d.dbcluster_list), 2)
        for c in d.dbcluster_list:
            self.assertTrue(c.db_cluster_id.startswith(SEED))
            self.assertEqual(c.status, "ACTIVATION")
            self.assertEqual(c.charge_type, "PostPaid")
            self.assertIs(type(c.cpu_cores), int)
            self.assertIs(type(c.memory), int)
            self.assertIsInstance(c.cache_storage_size_gb, str)
            self.assertIsInstance(c.cluster_binding, str)

    def test_a_locked_instance_says_so_as_an_integer(self):
        self.assertEqual(self.describe(LOCKED).lock_mode, 1)

    def test_an_unknown_instance_is_not_found(self):
        self.assertRpcError(
            "describe_dbinstance_attribute",
            models.DescribeDBInstanceAttributeRequest(dbinstance_id="selectdb-cn-nothere0001", region_id=REGION),
            "InvalidDBInstanceId.NotFound",
            404,
        )

    def test_a_missing_region_is_a_missing_parameter(self):
        self.assertRpcError(
            "describe_dbinstance_attribute",
            models.DescribeDBInstanceAttributeRequest(dbinstance_id=SEED),
            "MissingParameter",
            400,
        )


class ClusterBinding(SelectDBCase):
    """The seed operation: CreateDBClusterBinding binds the zone-redundant seed instance's two
    clusters; a bound cluster cannot be bound again; DeleteDBClusterBinding unbinds them."""

    def test_bind_once_then_unbind_once(self):
        body = self.call("create_dbcluster_binding", models.CreateDBClusterBindingRequest(**self.pair(SEED)))
        self.assertEqual(body.data.db_instance_name, SEED)
        self.assertIsInstance(body.data.db_instance_id, str)
        self.assertEqual(body.data.db_instance_id, "6585")
        self.assertEqual(body.data.db_cluster_id, f"{SEED}-be")
        self.assertEqual(self.bindings(SEED), {f"{SEED}-be": f"{SEED}-be2", f"{SEED}-be2": f"{SEED}-be"})

        self.bind_error("IncorrectDBInstanceState", 403, SEED)
        self.bind_error("IncorrectDBInstanceState", 403, SEED, a="-be2", b="-be")

        body = self.call("delete_dbcluster_binding", models.DeleteDBClusterBindingRequest(**self.pair(SEED)))
        self.assertIsInstance(body.request_id, str)
        self.assertEqual(self.bindings(SEED), {f"{SEED}-be": "", f"{SEED}-be2": ""})
        self.assertRpcError(
            "delete_dbcluster_binding",
            models.DeleteDBClusterBindingRequest(**self.pair(SEED)),
            "InvalidParam",
            404,
        )

    def test_a_single_zone_instance_does_not_support_binding(self):
        self.bind_error("ClusterNotSupport", 400, SINGLE_ZONE)

    def test_clusters_billed_differently_are_refused(self):
        self.bind_error("InvalidChargeType.NotSupport", 400, MIXED_BILLING)

    def test_a_locked_instance_is_refused(self):
        self.bind_error("DBInstanceLocked", 404, LOCKED)

    def test_a_cluster_cannot_be_bound_to_itself(self):
        self.bind_error("InvalidParam", 404, SEED, b="-be")

    def test_an_unknown_cluster_is_not_found(self):
        self.bind_error("InvalidClusterName.NotFound", 404, SEED, b="-be9")

    def test_an_unknown_instance_is_not_found(self):
        self.bind_error("InvalidDBInstanceId.NotFound", 404, "selectdb-cn-nothere0001")

    def test_unbinding_an_unknown_instance_is_not_found(self):
        self.assertRpcError(
            "delete_dbcluster_binding",
            models.DeleteDBClusterBindingRequest(**self.pair("selectdb-cn-nothere0001")),
            "InvalidDBInstanceId.NotFound",
            404,
        )

    def test_a_missing_backup_cluster_is_a_missing_parameter(self):
        self.assertRpcError(
            "create_dbcluster_binding",
            models.CreateDBClusterBindingRequest(dbinstance_id=SEED, dbcluster_id=f"{SEED}-be", region_id=REGION),
            "MissingParameter",
            400,
        )


if __name__ == "__main__":
    unittest.main()
