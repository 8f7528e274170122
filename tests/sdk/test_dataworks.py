"""DataWorks data sources (dataworks-public, 2024-05-18) through Alibaba Cloud's official
Python SDK (alibabacloud_dataworks_public20240518 on alibabacloud_tea_openapi), unmodified:
every action strata's DataWorks driver calls, and the seed operation CloneDataSource, each
success and each documented error the sandbox implements, asserted on the SDK's typed models
and exceptions."""

import json
import unittest

from alibabacloud_dataworks_public20240518 import models
from alibabacloud_dataworks_public20240518.client import Client

from conformance import AlibabaCase, unique

SEED = 16036
PROJECT = 10001


def properties(env="Prod", **more):
    return json.dumps({"envType": env, "regionId": "cn-hangzhou", "instanceId": "hgprecn-cn-conformance", **more})


class DataWorksCase(AlibabaCase):
    client_class = Client

    def get(self, source_id):
        return self.call("get_data_source", models.GetDataSourceRequest(id=source_id)).data_source

    @staticmethod
    def create_request(name=None, env="Prod", **overrides):
        """A CreateDataSource request of a Hologres data source, with ``overrides``."""
        args = dict(
            project_id=PROJECT,
            name=name or unique("sdk_"),
            type="hologres",
            connection_properties_mode="InstanceMode",
            connection_properties=properties(env),
            description="made by the SDK conformance suite",
        )
        args.update(overrides)
        return models.CreateDataSourceRequest(**args)

    def create(self, name=None, env="Prod", **overrides):
        body = self.call("create_data_source", self.create_request(name, env, **overrides))
        self.assertIs(type(body.id), int)
        return body.id


class GetDataSource(DataWorksCase):
    def test_the_seed_data_source_as_the_model_types_it(self):
        d = self.get(SEED)
        self.assertIs(type(d.id), int)
        self.assertEqual(d.id, SEED)
        self.assertEqual(d.name, "demo_holo_source")
        self.assertEqual(d.type, "hologres")
        self.assertIs(type(d.project_id), int)
        self.assertEqual(d.project_id, PROJECT)
        self.assertEqual(d.connection_properties_mode, "InstanceMode")
        self.assertIsInstance(d.connection_properties, dict)
        self.assertEqual(d.connection_properties["envType"], "Prod")
        self.assertIs(type(d.create_time), int)
        self.assertIs(type(d.modify_time), int)
        self.assertIsInstance(d.create_user, str)
        self.assertIsInstance(d.qualified_name, str)

    def test_an_unknown_data_source_is_not_found(self):
        e = self.assertRpcError(
            "get_data_source", models.GetDataSourceRequest(id=999999), "DataSource.NotFound", 400
        )
        self.assertIn("999999", e.message)

    def test_a_missing_id_is_a_missing_parameter(self):
        self.assertRpcError("get_data_source", models.GetDataSourceRequest(), "MissingParameter", 400)


class CreateDataSource(DataWorksCase):
    def test_a_new_data_source_reads_back(self):
        name = unique("sdk_")
        made = self.create(name)
        d = self.get(made)
        self.assertEqual((d.name, d.type, d.project_id), (name, "hologres", PROJECT))
        self.assertEqual(d.connection_properties["instanceId"], "hgprecn-cn-conformance")

    def test_the_same_name_and_environment_already_exists(self):
        name = unique("sdk_")
        self.create(name)
        self.create_error(self.create_request(name), "ConnectionAlreadyExist")

    def test_the_same_name_in_another_environment_is_another_data_source(self):
        name = unique("sdk_")
        self.assertNotEqual(self.create(name, env="Prod"), self.create(name, env="Dev"))

    def test_a_name_starting_with_a_digit_is_an_invalid_parameter(self):
        self.create_error(self.create_request("1_source"), "InvalidParameter")

    def test_properties_without_an_environment_do_not_match_the_pattern(self):
        request = self.create_request(connection_properties=json.dumps({"regionId": "cn-hangzhou"}))
        self.create_error(request, "DataSource.ConnectionStrProperty.PatternNotMatch")

    def test_properties_that_are_not_json_do_not_match_the_pattern(self):
        request = self.create_request(connection_properties="envType=Prod")
        self.create_error(request, "DataSource.ConnectionStrProperty.PatternNotMatch")

    def create_error(self, request, code):
        self.assertRpcError("create_data_source", request, code, 400)

    def test_a_missing_type_is_a_missing_parameter(self):
        self.assertRpcError(
            "create_data_source",
            models.CreateDataSourceRequest(project_id=PROJECT, name=unique("sdk_")),
            "MissingParameter",
            400,
        )


class UpdateDataSource(DataWorksCase):
    def test_properties_and_description_change(self):
        made = self.create()
        body = self.call(
            "update_data_source",
            models.UpdateDataSourceRequest(
                id=made,
                project_id=PROJECT,
                connection_properties=properties(database="changed"),
                description="changed",
            ),
        )
        self.assertIs(body.success, True)
        d = self.get(made)
        self.assertEqual(d.connection_properties["database"], "changed")
        self.assertEqual(d.description, "changed")
        self.assertGreaterEqual(d.modify_time, d.create_time)

    def test_an_unknown_data_source_is_not_found(self):
        self.assertRpcError(
            "update_data_source",
            models.UpdateDataSourceRequest(id=999999, project_id=PROJECT, connection_properties=properties()),
            "DataSource.NotFound",
            400,
        )

    def test_a_data_source_of_another_workspace_is_not_found(self):
        self.assertRpcError(
            "update_data_source",
            models.UpdateDataSourceRequest(id=SEED, project_id=PROJECT + 1, connection_properties=properties()),
            "DataSource.NotFound",
            400,
        )


class ListDataSources(DataWorksCase):
    def test_groups_carry_the_name_and_type_and_items_the_rest(self):
        name = unique("sdk_")
        prod = self.create(name, env="Prod")
        dev = self.create(name, env="Dev")
        body = self.call(
            "list_data_sources", models.ListDataSourcesRequest(project_id=PROJECT, name=name, page_size=100)
        )
        paging = body.paging_info
        self.assertIs(type(paging.total_count), int)
        self.assertIs(type(paging.page_number), int)
        self.assertEqual((paging.page_number, paging.page_size), (1, 100))
        (group,) = paging.data_sources
        self.assertEqual((group.name, group.type), (name, "hologres"))
        self.assertEqual(sorted(d.id for d in group.data_source), sorted([prod, dev]))
        for d in group.data_source:
            self.assertIs(type(d.id), int)
            self.assertIsInstance(d.connection_properties, dict)
            self.assertIs(type(d.create_time), int)
        self.assertEqual(
            sorted(d.connection_properties["envType"] for d in group.data_source), ["Dev", "Prod"]
        )

    def test_pages_of_groups(self):
        prefix = unique("paged_")
        names = sorted(f"{prefix}_{i}" for i in range(3))
        for n in names:
            self.create(n)
        pages = [
            self.call(
                "list_data_sources",
                models.ListDataSourcesRequest(project_id=PROJECT, name=prefix, page_number=page, page_size=2),
            ).paging_info
            for page in (1, 2)
        ]
        self.assertEqual([[g.name for g in p.data_sources] for p in pages], [names[:2], names[2:]])
        self.assertEqual([(p.total_count, p.page_number, p.page_size) for p in pages], [(3, 1, 2), (3, 2, 2)])

    def test_no_match_is_no_group(self):
        body = self.call(
            "list_data_sources", models.ListDataSourcesRequest(project_id=PROJECT, name=unique("nothing_"))
        )
        self.assertEqual(body.paging_info.data_sources, [])
        self.assertEqual(body.paging_info.total_count, 0)

    def test_a_missing_workspace_is_a_missing_parameter(self):
        self.assertRpcError("list_data_sources", models.ListDataSourcesRequest(), "MissingParameter", 400)


class CloneDataSource(DataWorksCase):
    """The seed operation: CloneDataSource copies data source 16036 under a new name."""

    def test_the_seed_data_source_is_cloned(self):
        name = unique("clone_")
        body = self.call(
            "clone_data_source", models.CloneDataSourceRequest(id=SEED, clone_data_source_name=name)
        )
        self.assertIs(type(body.id), int)
        self.assertNotEqual(body.id, SEED)
        seed, clone = self.get(SEED), self.get(body.id)
        self.assertEqual(clone.name, name)
        self.assertEqual((clone.type, clone.project_id), (seed.type, seed.project_id))
        self.assertEqual(clone.connection_properties, seed.connection_properties)

    def test_cloning_to_a_taken_name_already_exists(self):
        name = unique("clone_")
        self.call("clone_data_source", models.CloneDataSourceRequest(id=SEED, clone_data_source_name=name))
        self.assertRpcError(
            "clone_data_source",
            models.CloneDataSourceRequest(id=SEED, clone_data_source_name=name),
            "ConnectionAlreadyExist",
            400,
        )

    def test_a_name_over_60_characters_is_an_invalid_parameter(self):
        self.assertRpcError(
            "clone_data_source",
            models.CloneDataSourceRequest(id=SEED, clone_data_source_name="a" * 61),
            "InvalidParameter",
            400,
        )

    def test_an_unknown_source_is_not_found(self):
        self.assertRpcError(
            "clone_data_source",
            models.CloneDataSourceRequest(id=999999, clone_data_source_name=unique("clone_")),
            "DataSource.NotFound",
            400,
        )

    def test_a_missing_name_is_a_missing_parameter(self):
        self.assertRpcError(
            "clone_data_source", models.CloneDataSourceRequest(id=SEED), "MissingParameter", 400
        )


class DeleteDataSource(DataWorksCase):
    def test_a_deleted_data_source_is_gone(self):
        made = self.create()
        body = self.call("delete_data_source", models.DeleteDataSourceRequest(id=made))
        self.assertIs(body.success, True)
        self.assertRpcError("get_data_source", models.GetDataSourceRequest(id=made), "DataSource.NotFound", 400)
        self.assertRpcError(
            "delete_data_source", models.DeleteDataSourceRequest(id=made), "DataSource.NotFound", 400
        )


if __name__ == "__main__":
    unittest.main()
