"""The sandbox's injected faults as the official SDKs meet them: a 5xx before the call takes
effect (Alibaba ``InternalError``, Huawei ``DBS.200005``) and throttling (Alibaba
``Throttling.User``; Huawei ``APIGW.0308`` with status 429, which its SDK retries and then
reports as a 429 of its own), each raised as the SDK's typed exception.

Run against a sandbox started with ``STRATA_SANDBOX`` = :data:`FAULTS` (tests/sdk_conformance.rs
does, and hands the same text in ``STRATA_SANDBOX_FAULTS``): the first call of each operation
named in ``fail=`` fails, every other call is throttled.
"""

import os
import unittest

from alibabacloud_dataworks_public20240518 import models as dataworks
from alibabacloud_dataworks_public20240518.client import Client as DataWorks
from alibabacloud_gpdb20160503 import models as gpdb
from alibabacloud_gpdb20160503.client import Client as Gpdb
from alibabacloud_selectdb20230522 import models as selectdb
from alibabacloud_selectdb20230522.client import Client as SelectDB
from alibabacloud_tea_openapi import exceptions
from huaweicloudsdkrds.v3 import model as rds

from conformance import ALIBABA_REGION, HuaweiCase, alibaba_config

FAULTS = (
    "throttle_rate=1,fail=gpdb:DescribeDBInstanceAttribute*1+dataworks:GetDataSource*1"
    "+selectdb:DescribeDBInstanceAttribute*1+GET /v3/{project}/configurations/{id}*1"
)


def setUpModule():
    given = os.environ.get("STRATA_SANDBOX_FAULTS")
    if given != FAULTS:
        raise AssertionError(f"this module needs a sandbox with STRATA_SANDBOX={FAULTS!r}, not {given!r}")


class Alibaba(unittest.TestCase):
    def first_fails_then_throttled(self, client_class, method, request):
        client = client_class(alibaba_config())
        with self.assertRaises(exceptions.ServerException) as caught:
            getattr(client, method)(request)
        e = caught.exception
        self.assertEqual((e.code, e.status_code), ("InternalError", 500))
        self.assertTrue(e.request_id and e.request_id != "None")
        with self.assertRaises(exceptions.ClientException) as caught:
            getattr(client, method)(request)
        e = caught.exception
        self.assertEqual((e.code, e.status_code), ("Throttling.User", 400))

    def test_gpdb(self):
        self.first_fails_then_throttled(
            Gpdb,
            "describe_dbinstance_attribute",
            gpdb.DescribeDBInstanceAttributeRequest(dbinstance_id="gp-bp1seedwarehouse01"),
        )

    def test_dataworks(self):
        self.first_fails_then_throttled(DataWorks, "get_data_source", dataworks.GetDataSourceRequest(id=16036))

    def test_selectdb(self):
        self.first_fails_then_throttled(
            SelectDB,
            "describe_dbinstance_attribute",
            selectdb.DescribeDBInstanceAttributeRequest(dbinstance_id="selectdb-cn-7213cjv2ez", region_id=ALIBABA_REGION),
        )


class Huawei(HuaweiCase):
    def test_rds(self):
        request = rds.ShowConfigurationRequest(config_id="66251c9024774eeb9edd8663a4cbb0a1pr04")
        self.assertApiError("show_configuration", request, "DBS.200005", 500)
        # the SDK retries a 429 itself (urllib3's status list) and, when every answer is a
        # 429, raises ClientRequestException 429 of its own making, whatever the body said
        from huaweicloudsdkcore.exceptions import exceptions as hw

        with self.assertRaises(hw.ClientRequestException) as caught:
            self.client.show_configuration(request)
        self.assertEqual((caught.exception.status_code, caught.exception.error_code), (429, "429"))
        self.assertIn("too many 429 error responses", caught.exception.error_msg)


if __name__ == "__main__":
    unittest.main()
