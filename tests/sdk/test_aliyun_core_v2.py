"""The older Alibaba Cloud Python SDK, aliyun-python-sdk-core, unmodified: ``CommonRequest``
calls signed with the V2 RPC signature (HMAC-SHA1, ``Signature`` in the query, ``Action`` and
``Version`` as parameters), against gpdb, DataWorks and SelectDB. Its answers are bytes of
JSON, checked here against the same published models the current SDKs parse them into; its
errors are ``ServerException`` (what the gateway answered) and ``ClientException`` (what the
SDK found wrong itself).
"""

import json
import unittest

from aliyunsdkcore.acs_exception.exceptions import ClientException, ServerException
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import CommonRequest, RpcRequest
from alibabacloud_dataworks_public20240518 import models as dataworks
from alibabacloud_gpdb20160503 import models as gpdb
from alibabacloud_selectdb20230522 import models as selectdb

from conformance import ALIBABA_KEY, ALIBABA_REGION, ALIBABA_SECRET, dara_problems, require_sandbox

def client(secret=ALIBABA_SECRET, key=ALIBABA_KEY):
    host, port = require_sandbox().rsplit(":", 1)
    c = AcsClient(key, secret, ALIBABA_REGION, auto_retry=False, port=int(port), timeout=20)
    return c, host


def request(host, version, action, method="POST", **params):
    r = CommonRequest(domain=host, version=version, action_name=action)
    r.set_protocol_type("http")
    r.set_method(method)
    r.set_accept_format("json")
    for k, v in params.items():
        r.add_query_param(k, v)
    return r


class V2(unittest.TestCase):
    def call(self, version, action, model, method="POST", **params):
        c, host = client()
        raw = json.loads(c.do_action_with_exception(request(host, version, action, method, **params)))
        self.assertEqual(dara_problems(model, raw), [], raw)
        self.assertIsInstance(raw["RequestId"], str)
        return model().from_map(raw)

    def error(self, version, action, secret=ALIBABA_SECRET, key=ALIBABA_KEY, **params):
        c, host = client(secret, key)
        with self.assertRaises(ServerException) as caught:
            c.do_action_with_exception(request(host, version, action, **params))
        e = caught.exception
        self.assertTrue(e.get_request_id(), str(e))
        return e

    def test_gpdb_describes_the_seed_instance(self):
        body = self.call(
            "2016-05-03",
            "DescribeDBInstanceAttribute",
            gpdb.DescribeDBInstanceAttributeResponseBody,
            DBInstanceId="gp-bp1seedwarehouse01",
        )
        (item,) = body.items.dbinstance_attribute
        self.assertEqual(item.dbinstance_status, "Running")
        self.assertIs(type(item.seg_node_num), int)

    def test_dataworks_gets_the_seed_data_source_by_get(self):
        body = self.call("2024-05-18", "GetDataSource", dataworks.GetDataSourceResponseBody, method="GET", Id="16036")
        self.assertEqual(body.data_source.id, 16036)

    def test_selectdb_describes_the_seed_instance(self):
        body = self.call(
            "2023-05-22",
            "DescribeDBInstanceAttribute",
            selectdb.DescribeDBInstanceAttributeResponseBody,
            DBInstanceId="selectdb-cn-7213cjv2ez",
            RegionId=ALIBABA_REGION,
        )
        self.assertEqual(body.lock_mode, 0)

    def test_an_unknown_gpdb_instance_is_a_server_exception(self):
        e = self.error("2016-05-03", "DescribeDBInstanceAttribute", DBInstanceId="gp-bp1doesnotexist000")
        self.assertEqual((e.get_error_code(), e.get_http_status()), ("InvalidDBInstanceId.NotFound", 404))

    def test_a_wrong_secret_does_not_match_and_the_gateway_names_what_it_signed(self):
        e = self.error("2016-05-03", "DescribeDBInstanceAttribute", secret=ALIBABA_SECRET + "x", DBInstanceId="x")
        self.assertEqual((e.get_error_code(), e.get_http_status()), ("SignatureDoesNotMatch", 400))
        # the gateway's wording, which the SDK splits at the colon
        prefix = "Specified signature is not matched with our calculation. server string to sign is:"
        self.assertTrue(e.get_error_msg().startswith(prefix + "POST&%2F&AccessKeyId%3D"), e.get_error_msg())

    def test_a_wrong_secret_is_named_by_the_sdk_for_a_product_request(self):
        # a product request (RpcRequest) keeps the string it signed; finding it equal to the
        # one the gateway names, the SDK says the secret is wrong
        c, host = client(ALIBABA_SECRET + "x")
        r = RpcRequest("gpdb", "2016-05-03", "DescribeDBInstanceAttribute")
        r.set_endpoint(host)
        r.set_protocol_type("http")
        r.set_method("POST")
        r.add_query_param("DBInstanceId", "x")
        with self.assertRaises(ServerException) as caught:
            c.do_action_with_exception(r)
        e = caught.exception
        self.assertEqual((e.get_error_code(), e.get_http_status()), ("InvalidAccessKeySecret", 400))

    def test_an_unknown_access_key_is_not_found(self):
        e = self.error("2016-05-03", "DescribeDBInstanceAttribute", key="LTAInotthesandboxkey", DBInstanceId="x")
        self.assertEqual((e.get_error_code(), e.get_http_status()), ("InvalidAccessKeyId.NotFound", 404))


class ClientSide(unittest.TestCase):
    """What the old SDK refuses before sending anything: a ClientException."""

    def test_a_request_without_an_action_is_refused_by_the_sdk(self):
        c, host = client()
        r = CommonRequest(domain=host, version="2016-05-03")
        with self.assertRaises(ClientException) as caught:
            c.do_action_with_exception(r)
        self.assertEqual(caught.exception.get_error_code(), "SDK.InvalidParams")


if __name__ == "__main__":
    unittest.main()
