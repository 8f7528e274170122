"""AnalyticDB for PostgreSQL (gpdb, 2016-05-03) through Alibaba Cloud's official Python SDK
(alibabacloud_gpdb20160503 on alibabacloud_tea_openapi), unmodified: every action strata's
gpdb driver calls, and the seed operation CloneDBInstance, each success and each documented
error the sandbox implements, asserted on the SDK's typed models and exceptions."""

import unittest

from alibabacloud_gpdb20160503 import models
from alibabacloud_gpdb20160503.client import Client
from alibabacloud_tea_openapi import exceptions

from conformance import ALIBABA_REGION, ALIBABA_SECRET, AlibabaCase, alibaba_config, recording, unique, wait_for

SEED = "gp-bp1seedwarehouse01"
SNAPSHOT = "1111111111"
LOGICAL = "2222222222"
FAILED = "3333333333"
REGION = ALIBABA_REGION


class GpdbCase(AlibabaCase):
    client_class = Client

    def attribute(self, instance_id):
        body = self.call(
            "describe_dbinstance_attribute",
            models.DescribeDBInstanceAttributeRequest(dbinstance_id=instance_id),
        )
        (item,) = body.items.dbinstance_attribute
        return item

    def status(self, instance_id):
        return self.attribute(instance_id).dbinstance_status

    @staticmethod
    def create_request(**overrides):
        """A CreateDBInstance request of an elastic-storage instance, with ``overrides``."""
        args = dict(
            region_id=REGION,
            zone_id="cn-hangzhou-i",
            engine="gpdb",
            engine_version="6.0",
            dbinstance_mode="StorageElastic",
            dbinstance_category="HighAvailability",
            instance_spec="4C32G",
            seg_node_num="4",
            storage_size=50,
            seg_storage_type="cloud_essd",
            vpcid="vpc-bp1conformance00001",
            v_switch_id="vsw-bp1conformance00001",
            dbinstance_description=unique("sdk conformance "),
        )
        args.update(overrides)
        return models.CreateDBInstanceRequest(**args)

    def create(self, **overrides):
        """A new elastic-storage instance (CreateDBInstance), its id."""
        body = self.call("create_dbinstance", self.create_request(**overrides))
        self.assertIsInstance(body.dbinstance_id, str)
        self.assertTrue(body.dbinstance_id.startswith("gp-"))
        self.assertIsInstance(body.order_id, str)
        return body.dbinstance_id

    def running(self, instance_id):
        wait_for(lambda: self.status(instance_id), lambda s: s == "Running", f"{instance_id} running")


class DescribeDBInstanceAttribute(GpdbCase):
    def test_the_seed_instance_as_the_model_types_it(self):
        item = self.attribute(SEED)
        self.assertEqual(item.dbinstance_id, SEED)
        self.assertEqual(item.dbinstance_status, "Running")
        self.assertEqual(item.engine, "gpdb")
        self.assertEqual(item.engine_version, "6.0")
        self.assertEqual(item.dbinstance_mode, "StorageElastic")
        self.assertEqual(item.dbinstance_category, "HighAvailability")
        self.assertEqual(item.instance_spec, "4C32G")
        self.assertIs(type(item.seg_node_num), int)
        self.assertEqual(item.seg_node_num, 4)
        self.assertIs(type(item.storage_size), int)
        self.assertEqual(item.storage_size, 200)
        self.assertIsInstance(item.port, str)
        self.assertIsInstance(item.connection_string, str)
        self.assertIs(item.support_restore, True)
        self.assertEqual(item.region_id, REGION)
        self.assertEqual(item.zone_id, "cn-hangzhou-i")
        self.assertIsInstance(item.creation_time, str)
        self.assertIsInstance(item.tags.tag, list)

    def test_an_unknown_instance_is_not_found(self):
        self.assertRpcError(
            "describe_dbinstance_attribute",
            models.DescribeDBInstanceAttributeRequest(dbinstance_id="gp-bp1doesnotexist000"),
            "InvalidDBInstanceId.NotFound",
            404,
        )

    def test_a_missing_instance_id_is_a_missing_parameter(self):
        self.assertRpcError(
            "describe_dbinstance_attribute",
            models.DescribeDBInstanceAttributeRequest(),
            "MissingParameter",
            400,
        )


class DescribeDBInstances(GpdbCase):
    def test_the_list_item_types_its_own_fields(self):
        body = self.call(
            "describe_dbinstances",
            models.DescribeDBInstancesRequest(region_id=REGION, dbinstance_ids=SEED, page_size=100),
        )
        self.assertIs(type(body.total_record_count), int)
        self.assertEqual(body.total_record_count, 1)
        self.assertIs(type(body.page_number), int)
        self.assertIs(type(body.page_record_count), int)
        self.assertEqual(body.page_record_count, 1)
        (item,) = body.items.dbinstance
        self.assertEqual(item.dbinstance_id, SEED)
        self.assertEqual(item.dbinstance_status, "Running")
        # the list model types these as text, unlike DescribeDBInstanceAttribute
        self.assertEqual(item.seg_node_num, "4")
        self.assertEqual(item.storage_size, "200")
        self.assertIsInstance(item.create_time, str)
        self.assertTrue(item.create_time.endswith("Z"))
        self.assertEqual(item.vpc_id, "vpc-bp1seed0000000001")

    def test_a_tag_filter_finds_only_the_tagged_instance(self):
        key, value = "conformance", unique("t")
        made = self.create(tag=[models.CreateDBInstanceRequestTag(key=key, value=value)])
        body = self.call(
            "describe_dbinstances",
            models.DescribeDBInstancesRequest(
                region_id=REGION, tag=[models.DescribeDBInstancesRequestTag(key=key, value=value)]
            ),
        )
        self.assertEqual([i.dbinstance_id for i in body.items.dbinstance], [made])
        (tag,) = body.items.dbinstance[0].tags.tag
        self.assertEqual((tag.key, tag.value), (key, value))

    def test_no_match_is_an_empty_list(self):
        body = self.call(
            "describe_dbinstances",
            models.DescribeDBInstancesRequest(region_id=REGION, dbinstance_ids="gp-bp1nothere0000000"),
        )
        self.assertEqual(body.items.dbinstance, [])
        self.assertEqual(body.total_record_count, 0)


class CreateDBInstance(GpdbCase):
    def test_a_new_instance_is_creating_then_running(self):
        made = self.create()
        self.assertIn(self.status(made), ("Creating", "Running"))
        self.running(made)
        item = self.attribute(made)
        self.assertEqual(item.seg_node_num, 4)
        self.assertEqual(item.storage_size, 50)
        self.assertEqual(item.vpc_id, "vpc-bp1conformance00001")

    def test_a_client_token_makes_one_instance(self):
        token = unique("token-")
        first = self.create(client_token=token)
        second = self.create(client_token=token)
        self.assertEqual(first, second)

    def test_an_engine_other_than_gpdb_is_an_invalid_parameter(self):
        self.assertRpcError("create_dbinstance", self.create_request(engine="mysql"), "InvalidParameter", 400)

    def test_a_segment_count_off_its_step_is_an_invalid_parameter(self):
        e = self.assertRpcError("create_dbinstance", self.create_request(seg_node_num="6"), "InvalidParameter", 400)
        self.assertIn("SegNodeNum", e.message)

    def test_a_one_character_description_is_malformed(self):
        self.assertRpcError(
            "create_dbinstance",
            self.create_request(dbinstance_description="x"),
            "InvalidDBInstanceDescription.Malformed",
            400,
        )

    def test_a_missing_region_is_a_missing_parameter(self):
        self.assertRpcError(
            "create_dbinstance", models.CreateDBInstanceRequest(zone_id="cn-hangzhou-i"), "MissingParameter", 400
        )


class ModifyAndTag(GpdbCase):
    def test_the_description_changes(self):
        made = self.create()
        text = unique("renamed ")
        self.call(
            "modify_dbinstance_description",
            models.ModifyDBInstanceDescriptionRequest(dbinstance_id=made, dbinstance_description=text),
        )
        self.assertEqual(self.attribute(made).dbinstance_description, text)

    def test_modifying_an_unknown_instance_is_not_found(self):
        self.assertRpcError(
            "modify_dbinstance_description",
            models.ModifyDBInstanceDescriptionRequest(dbinstance_id="gp-bp1nothere0000000", dbinstance_description="ab"),
            "InvalidDBInstanceId.NotFound",
            404,
        )

    @staticmethod
    def tag_request(instance, resource_type):
        """TagResources of one instance, tag team=data, as the given resource type."""
        return models.TagResourcesRequest(
            region_id=REGION,
            resource_type=resource_type,
            resource_id=[instance],
            tag=[models.TagResourcesRequestTag(key="team", value="data")],
        )

    def test_tags_are_added(self):
        # an elastic-storage instance is tagged as ALIYUN::GPDB::INSTANCE, as the model says
        made = self.create()
        self.call("tag_resources", self.tag_request(made, "ALIYUN::GPDB::INSTANCE"))
        tags = {t.key: t.value for t in self.attribute(made).tags.tag}
        self.assertEqual(tags.get("team"), "data")

    def test_the_reserved_storage_type_on_an_elastic_instance_is_an_invalid_parameter(self):
        made = self.create()
        self.assertRpcError("tag_resources", self.tag_request(made, "instance"), "InvalidParameter", 400)

    def test_a_resource_type_other_than_instance_is_an_invalid_parameter(self):
        self.assertRpcError(
            "tag_resources",
            models.TagResourcesRequest(region_id=REGION, resource_type="cluster", resource_id=[SEED]),
            "InvalidParameter",
            400,
        )

    def test_tagging_an_unknown_instance_is_not_found(self):
        self.assertRpcError(
            "tag_resources",
            models.TagResourcesRequest(
                region_id=REGION,
                resource_type="ALIYUN::GPDB::INSTANCE",
                resource_id=["gp-bp1nothere0000000"],
                tag=[models.TagResourcesRequestTag(key="a", value="b")],
            ),
            "InvalidDBInstanceId.NotFound",
            404,
        )


class DeleteDBInstance(GpdbCase):
    def test_an_instance_is_deleting_then_gone(self):
        made = self.create()
        self.call("delete_dbinstance", models.DeleteDBInstanceRequest(dbinstance_id=made))
        wait_for(
            lambda: self.describe_error(made),
            lambda code: code == "InvalidDBInstanceId.NotFound",
            f"{made} gone",
        )
        self.assertRpcError(
            "delete_dbinstance",
            models.DeleteDBInstanceRequest(dbinstance_id=made),
            "InvalidDBInstanceId.NotFound",
            404,
        )

    def describe_error(self, instance_id):
        try:
            return self.status(instance_id)
        except exceptions.ClientException as e:
            return e.code

    def test_a_subscription_instance_cannot_be_released(self):
        made = self.create(pay_type="Prepaid", period="Month", used_time="1")
        self.assertRpcError(
            "delete_dbinstance",
            models.DeleteDBInstanceRequest(dbinstance_id=made),
            "OperationDenied.DBInstancePayType",
            403,
        )


class DescribeDataBackups(GpdbCase):
    def backups(self, **kw):
        return self.call("describe_data_backups", models.DescribeDataBackupsRequest(dbinstance_id=SEED, **kw))

    def test_the_seed_backups_newest_first(self):
        body = self.backups()
        self.assertEqual([b.backup_set_id for b in body.items], [FAILED, LOGICAL, SNAPSHOT])
        self.assertIs(type(body.total_count), int)
        self.assertEqual(body.total_count, 3)
        snapshot = body.items[2]
        self.assertEqual(snapshot.backup_method, "Snapshot")
        self.assertEqual(snapshot.backup_status, "Success")
        self.assertEqual(snapshot.dbinstance_id, SEED)
        self.assertIs(type(snapshot.backup_size), int)
        self.assertIs(type(snapshot.consistent_time), int)
        self.assertIsInstance(snapshot.backup_end_time, str)
        self.assertEqual(body.items[1].backup_method, "Logical")
        self.assertEqual(body.items[0].backup_status, "Failure")

    def test_the_page_asked_for(self):
        body = self.backups(page_number=1, page_size=50)
        self.assertEqual((body.page_number, body.page_size, body.total_count), (1, 50, 3))
        self.assertEqual(self.backups(page_number=2).items, [])

    def test_filters_by_status_and_id(self):
        self.assertEqual([b.backup_set_id for b in self.backups(backup_status="Failure").items], [FAILED])
        self.assertEqual([b.backup_set_id for b in self.backups(backup_id=LOGICAL).items], [LOGICAL])

    def test_a_new_instance_gets_a_snapshot_once_running(self):
        made = self.create()
        self.running(made)
        body = wait_for(
            lambda: self.call("describe_data_backups", models.DescribeDataBackupsRequest(dbinstance_id=made)),
            lambda b: len(b.items) == 1,
            f"a backup of {made}",
        )
        self.assertEqual(body.items[0].backup_method, "Snapshot")

    def test_backups_of_an_unknown_instance_are_not_found(self):
        self.assertRpcError(
            "describe_data_backups",
            models.DescribeDataBackupsRequest(dbinstance_id="gp-bp1nothere0000000"),
            "InvalidDBInstanceId.NotFound",
            404,
        )


class CloneDBInstance(GpdbCase):
    """The seed operation: CloneDBInstance restores a snapshot backup of the seed instance
    into an existing target instance, which is Restoring and then Running."""

    def clone(self, target, backup=SNAPSHOT, source=SEED):
        return models.CloneDBInstanceRequest(dbinstance_id=target, src_db_instance_name=source, backup_id=backup)

    def target(self):
        made = self.create()
        self.running(made)
        return made

    def test_a_snapshot_restores_into_the_target(self):
        made = self.target()
        body = self.call("clone_dbinstance", self.clone(made))
        self.assertIsInstance(body.request_id, str)
        self.assertEqual(self.status(made), "Restoring")
        self.running(made)

    def test_a_target_that_is_not_running_is_in_an_incorrect_state(self):
        made = self.create()
        self.assertEqual(self.status(made), "Creating")
        self.assertRpcError("clone_dbinstance", self.clone(made), "IncorrectDBInstanceState", 403)

    def test_an_unknown_backup_is_not_found(self):
        self.assertRpcError(
            "clone_dbinstance", self.clone(SEED, backup="9999999999"), "InvalidBackupId.NotFound", 404
        )

    def test_a_logical_backup_cannot_be_cloned(self):
        self.assertRpcError("clone_dbinstance", self.clone(SEED, backup=LOGICAL), "InvalidBackupMethod", 400)

    def test_a_failed_backup_cannot_be_cloned(self):
        self.assertRpcError("clone_dbinstance", self.clone(SEED, backup=FAILED), "InvalidBackupStatus", 400)

    def test_an_unknown_source_is_not_found(self):
        self.assertRpcError(
            "clone_dbinstance", self.clone(SEED, source="gp-bp1nothere0000000"), "InvalidDBInstanceId.NotFound", 404
        )

    def test_an_unknown_target_is_not_found(self):
        self.assertRpcError(
            "clone_dbinstance", self.clone("gp-bp1nothere0000000"), "InvalidDBInstanceId.NotFound", 404
        )

    def test_a_target_of_another_engine_version_is_an_invalid_parameter(self):
        made = self.create(engine_version="7.0")
        self.running(made)
        self.assertRpcError("clone_dbinstance", self.clone(made), "InvalidParameter", 400)

    def test_a_missing_backup_is_a_missing_parameter(self):
        self.assertRpcError(
            "clone_dbinstance",
            models.CloneDBInstanceRequest(dbinstance_id=SEED, src_db_instance_name=SEED),
            "MissingParameter",
            400,
        )


class Gateway(unittest.TestCase):
    """What the gateway refuses before any product sees the call, through the SDK's generic
    ``call_api`` (the path every typed call takes, with the action and version it is handed)."""

    def generic(self, action, version):
        from alibabacloud_tea_openapi import utils_models
        from darabonba.runtime import RuntimeOptions

        client = Client(alibaba_config())
        params = utils_models.Params(
            action=action,
            version=version,
            protocol="HTTPS",
            pathname="/",
            method="POST",
            auth_type="AK",
            style="RPC",
            req_body_type="formData",
            body_type="json",
        )
        request = utils_models.OpenApiRequest(query={"DBInstanceId": SEED})
        with self.assertRaises(exceptions.ClientException) as caught:
            client.call_api(params, request, RuntimeOptions())
        return caught.exception

    def test_an_action_the_product_lacks_is_not_found(self):
        e = self.generic("DescribeNoSuchThing", "2016-05-03")
        self.assertEqual((e.code, e.status_code), ("InvalidApi.NotFound", 404))


class Signature(unittest.TestCase):
    """The gateway's checks, as the SDK meets them with the wrong credentials."""

    def call_with(self, config):
        client = recording(Client)(config)
        with self.assertRaises(exceptions.ClientException) as caught:
            client.describe_dbinstance_attribute(models.DescribeDBInstanceAttributeRequest(dbinstance_id=SEED))
        return caught.exception

    def test_a_wrong_secret_does_not_match(self):
        e = self.call_with(alibaba_config(secret=ALIBABA_SECRET + "x"))
        self.assertEqual((e.code, e.status_code), ("SignatureDoesNotMatch", 400))

    def test_an_unknown_access_key_is_not_found(self):
        config = alibaba_config()
        config.access_key_id = "LTAInotthesandboxkey"
        e = self.call_with(config)
        self.assertEqual((e.code, e.status_code), ("InvalidAccessKeyId.NotFound", 404))


if __name__ == "__main__":
    unittest.main()
