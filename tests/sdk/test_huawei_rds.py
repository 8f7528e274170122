"""Huawei Cloud RDS v3 parameter templates through Huawei Cloud's official Python SDK
(huaweicloudsdkcore + huaweicloudsdkrds), unmodified: every call strata's Huawei driver
makes, and the seed operation (copying a parameter template), each success and each
documented error the sandbox implements, asserted on the SDK's typed models and
ClientRequestException."""

import unittest

from huaweicloudsdkrds.v3 import model

from conformance import HUAWEI_AK, HUAWEI_SK, HuaweiCase, huawei_client, unique

SEED = "66251c9024774eeb9edd8663a4cbb0a1pr04"
DEFAULT_MYSQL = "0b6a3e8c1f1e4f58a2b0c8e5d7a9f3e1pr01"
UNKNOWN = "ffffffffffffffffffffffffffffffffpr01"


class TemplateCase(HuaweiCase):
    def create(self, name=None, engine="MySQL", version="8.0", values=None, description="sdk conformance"):
        body = model.ConfigurationForCreation(
            name=name or unique("sdk-"),
            description=description,
            datastore=model.ParaGroupDatastore(type=engine, version=version),
            values=values,
        )
        r = self.call("create_configuration", model.CreateConfigurationRequest(body=body))
        return r.configuration

    def show(self, config_id):
        return self.call("show_configuration", model.ShowConfigurationRequest(config_id=config_id))

    def create_error(self, code, status, **kw):
        body = model.ConfigurationForCreation(
            name=kw.get("name", unique("sdk-")),
            datastore=model.ParaGroupDatastore(type=kw.get("engine", "MySQL"), version=kw.get("version", "8.0")),
            values=kw.get("values"),
            description=kw.get("description"),
        )
        return self.assertApiError("create_configuration", model.CreateConfigurationRequest(body=body), code, status)


class ListAndShow(TemplateCase):
    def test_the_list_holds_the_seed_template(self):
        r = self.call("list_configurations", model.ListConfigurationsRequest())
        by_id = {c.id: c for c in r.configurations}
        seed = by_id[SEED]
        self.assertEqual(seed.datastore_name, "sqlserver")
        self.assertEqual(seed.datastore_version_name, "2017_EE")
        self.assertIs(seed.user_defined, False)
        self.assertIsInstance(seed.created, str)
        self.assertIsInstance(seed.updated, str)

    def test_the_seed_template_with_its_parameters(self):
        r = self.show(SEED)
        self.assertEqual(r.id, SEED)
        self.assertEqual(r.datastore_name, "sqlserver")
        self.assertTrue(r.configuration_parameters)
        for p in r.configuration_parameters:
            self.assertIsInstance(p.name, str)
            self.assertIsInstance(p.value, str)
            self.assertIs(type(p.restart_required), bool)
            self.assertIs(type(p.readonly), bool)
            self.assertIn(p.type, ("string", "integer", "boolean", "list", "float"))

    def test_an_unknown_template_is_not_found(self):
        self.assertApiError("show_configuration", model.ShowConfigurationRequest(config_id=UNKNOWN), "DBS.200002", 404)

    def test_a_template_of_another_project_is_not_found(self):
        other = huawei_client(project="0000000000000000000000000000000a")
        self.assertApiError(
            "show_configuration", model.ShowConfigurationRequest(config_id=SEED), "DBS.200002", 404, client=other
        )


class Create(TemplateCase):
    def test_a_new_template_reads_back_with_its_values(self):
        name = unique("sdk-")
        c = self.create(name, values={"max_connections": "500"})
        self.assertEqual(c.name, name)
        self.assertEqual(c.datastore_name, "mysql")
        self.assertEqual(c.datastore_version_name, "8.0")
        self.assertIsInstance(c.created, str)
        params = {p.name: p.value for p in self.show(c.id).configuration_parameters}
        self.assertEqual(params["max_connections"], "500")

    def test_a_taken_name_is_a_parameter_error(self):
        name = unique("sdk-")
        self.create(name)
        self.create_error("DBS.200001", 400, name=name)

    def test_a_name_with_a_space_is_a_parameter_error(self):
        self.create_error("DBS.200001", 400, name="not valid")

    def test_a_description_with_a_quote_is_a_parameter_error(self):
        self.create_error("DBS.200001", 400, description='say "hi"')

    def test_an_unknown_engine_is_a_parameter_error(self):
        self.create_error("DBS.200001", 400, engine="Oracle")

    def test_an_unsupported_version_is_a_parameter_error(self):
        self.create_error("DBS.200001", 400, version="4.0")

    def test_a_value_out_of_range_is_a_parameter_error(self):
        self.create_error("DBS.200001", 400, values={"max_connections": "1"})

    def test_an_unknown_parameter_is_a_parameter_error(self):
        self.create_error("DBS.200001", 400, values={"no_such_parameter": "1"})


class Update(TemplateCase):
    def update(self, config_id, **kw):
        return model.UpdateConfigurationRequest(config_id=config_id, body=model.ConfigurationForUpdate(**kw))

    def test_values_change_and_unknown_ones_are_ignored(self):
        c = self.create()
        r = self.call("update_configuration", self.update(c.id, values={"wait_timeout": "600", "nope": "1"}))
        self.assertEqual(r.configuration.id, c.id)
        self.assertEqual(r.configuration.ignored_params, ["nope"])
        params = {p.name: p.value for p in self.show(c.id).configuration_parameters}
        self.assertEqual(params["wait_timeout"], "600")

    def test_a_rename(self):
        c = self.create()
        name = unique("renamed-")
        r = self.call("update_configuration", self.update(c.id, name=name))
        self.assertEqual(r.configuration.name, name)
        self.assertEqual(self.show(c.id).name, name)

    def test_a_default_template_cannot_be_modified(self):
        self.assertApiError("update_configuration", self.update(DEFAULT_MYSQL, description="x"), "DBS.200010", 403)

    def test_an_unknown_template_is_not_found(self):
        self.assertApiError("update_configuration", self.update(UNKNOWN, description="x"), "DBS.200002", 404)

    def test_a_value_out_of_range_is_a_parameter_error(self):
        c = self.create()
        self.assertApiError(
            "update_configuration", self.update(c.id, values={"max_connections": "1"}), "DBS.200001", 400
        )


class Copy(TemplateCase):
    """The seed operation: copying template 66251c9024774eeb9edd8663a4cbb0a1pr04."""

    def copy(self, config_id, name=None, description=None):
        body = model.ConfigurationCopyRequestBody(name=name or unique("copy-"), description=description)
        return model.CopyConfigurationRequest(config_id=config_id, body=body)

    def test_the_seed_template_is_copied(self):
        name = unique("copy_by_v3")
        r = self.call("copy_configuration", self.copy(SEED, name, "a copy"))
        self.assertIsInstance(r.id, str)
        self.assertNotEqual(r.id, SEED)
        self.assertEqual(r.name, name)
        self.assertEqual(r.description, "a copy")
        self.assertEqual(r.datastore_name, "sqlserver")
        self.assertEqual(r.datastore_version_name, "2017_EE")
        self.assertIsInstance(r.create_time, str)
        self.assertIsInstance(r.update_time, str)
        self.assertEqual(self.show(r.id).name, name)

    def test_an_unknown_template_is_not_found(self):
        self.assertApiError("copy_configuration", self.copy(UNKNOWN), "DBS.200002", 404)

    def test_a_taken_name_is_a_parameter_error(self):
        name = unique("copy-")
        self.call("copy_configuration", self.copy(SEED, name))
        self.assertApiError("copy_configuration", self.copy(SEED, name), "DBS.200001", 400)

    def test_a_mariadb_template_cannot_be_copied(self):
        c = self.create(engine="MariaDB", version="10.5")
        self.assertApiError("copy_configuration", self.copy(c.id), "DBS.200001", 400)


class Delete(TemplateCase):
    def test_a_deleted_template_is_gone(self):
        c = self.create()
        r = self.call("delete_configuration", model.DeleteConfigurationRequest(config_id=c.id))
        self.assertEqual(r.status_code, 200)
        self.assertApiError("show_configuration", model.ShowConfigurationRequest(config_id=c.id), "DBS.200002", 404)
        self.assertApiError(
            "delete_configuration", model.DeleteConfigurationRequest(config_id=c.id), "DBS.200002", 404
        )

    def test_a_default_template_cannot_be_deleted(self):
        self.assertApiError(
            "delete_configuration", model.DeleteConfigurationRequest(config_id=DEFAULT_MYSQL), "DBS.200010", 403
        )


class Signature(TemplateCase):
    """The gateway's checks, as the SDK meets them with the wrong credentials."""

    def test_a_wrong_secret_key_is_refused(self):
        e = self.assertApiError(
            "list_configurations",
            model.ListConfigurationsRequest(),
            "APIGW.0301",
            401,
            client=huawei_client(sk=HUAWEI_SK + "x"),
        )
        self.assertIn("signature", e.error_msg)

    def test_an_unknown_access_key_is_refused(self):
        e = self.assertApiError(
            "list_configurations",
            model.ListConfigurationsRequest(),
            "APIGW.0301",
            401,
            client=huawei_client(ak=HUAWEI_AK[:-1] + "9"),
        )
        self.assertIn("ak", e.error_msg)


if __name__ == "__main__":
    unittest.main()
