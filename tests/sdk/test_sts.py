"""Short-lived credentials through the vendors' official Python SDKs, unmodified: Alibaba
Cloud STS AssumeRole (alibabacloud_sts20150401) answering its published model and its
documented errors; the temporary credentials it grants signing the current SDK's requests
(alibabacloud_tea_openapi: ``x-acs-security-token``, ACS3) and the older SDK's
(aliyun-python-sdk-core: the ``SecurityToken`` parameter, V2), and the gateway's refusals of
a missing, foreign, malformed or expired token; Huawei Cloud IAM's securitytokens
(huaweicloudsdkiam) and the temporary AK/SK it grants signing RDS requests with the SDK's
``BasicCredentials.security_token`` (``X-Security-Token``).

The sandbox runs with ``sts_ttl_ms`` (``STRATA_SANDBOX_FAULTS``): its credentials live that
long at most, so expiry is tested by waiting for it.
"""

import calendar
import json
import os
import time
import unittest

from alibabacloud_gpdb20160503 import models as gpdb
from alibabacloud_gpdb20160503.client import Client as GpdbClient
from alibabacloud_sts20150401 import models
from alibabacloud_sts20150401.client import Client as StsClient
from alibabacloud_tea_openapi import exceptions
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.auth.credentials import StsTokenCredential
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import CommonRequest

from conformance import (
    ALIBABA_REGION,
    HUAWEI_AK,
    HUAWEI_PROJECT,
    HUAWEI_SK,
    AlibabaCase,
    HuaweiCase,
    alibaba_config,
    huawei_client,
    require_sandbox,
)

ROLE = "acs:ram::1000000000000001:role/strata-ci"
SEED_INSTANCE = "gp-bp1seedwarehouse01"


def ttl_seconds():
    """The sandbox's ``sts_ttl_ms``, in seconds."""
    for part in os.environ.get("STRATA_SANDBOX_FAULTS", "").split(","):
        key, _, value = part.partition("=")
        if key == "sts_ttl_ms":
            return int(value) / 1000
    raise unittest.SkipTest("run through tests/sdk_conformance.rs, which sets sts_ttl_ms")


class AssumeRole(AlibabaCase):
    client_class = StsClient

    def assume(self, **overrides):
        args = dict(role_arn=ROLE, role_session_name="sdk-conformance", duration_seconds=900)
        args.update(overrides)
        return self.call("assume_role", models.AssumeRoleRequest(**args))

    def test_the_answer_is_the_models_with_temporary_credentials(self):
        body = self.assume(duration_seconds=3600)
        c = body.credentials
        self.assertTrue(c.access_key_id.startswith("STS."), c.access_key_id)
        self.assertTrue(c.security_token.startswith("CAIS"))
        self.assertTrue(c.access_key_secret)
        expires = calendar.timegm(time.strptime(c.expiration, "%Y-%m-%dT%H:%M:%SZ"))
        self.assertLessEqual(expires - time.time(), ttl_seconds() + 1, "capped by sts_ttl_ms")
        self.assertEqual(body.assumed_role_user.arn, f"{ROLE}/sdk-conformance")
        self.assertTrue(body.assumed_role_user.assumed_role_id.endswith(":sdk-conformance"))

    def test_the_documented_errors(self):
        for overrides, code, status in [
            (dict(role_arn="acs:ram::1000000000000001:role/nobody"), "EntityNotExist.Role", 404),
            (dict(role_arn="arn:aws:iam::1:role/x"), "InvalidParameter.RoleArn", 400),
            (dict(role_session_name="a"), "InvalidParameter.RoleSessionName", 400),
            (dict(duration_seconds=899), "InvalidParameter.DurationSeconds", 400),
            (dict(duration_seconds=43201), "InvalidParameter.DurationSeconds", 400),
            (dict(policy="not json"), "InvalidParameter.PolicyGrammar", 400),
        ]:
            with self.subTest(code=code, **overrides):
                args = dict(role_arn=ROLE, role_session_name="sdk", duration_seconds=900)
                args.update(overrides)
                self.assertRpcError("assume_role", models.AssumeRoleRequest(**args), code, status)


class TemporaryCredentials(AlibabaCase):
    client_class = StsClient

    def lease(self):
        c = self.call(
            "assume_role",
            models.AssumeRoleRequest(role_arn=ROLE, role_session_name="sdk", duration_seconds=900),
        ).credentials
        return c.access_key_id, c.access_key_secret, c.security_token

    def describe(self, key, secret, token):
        client = GpdbClient(alibaba_config(secret, key, token))
        request = gpdb.DescribeDBInstanceAttributeRequest(dbinstance_id=SEED_INSTANCE)
        return client.describe_dbinstance_attribute(request)

    def refused(self, key, secret, token):
        with self.assertRaises(exceptions.ClientException) as caught:
            self.describe(key, secret, token)
        return caught.exception

    def test_the_current_sdk_signs_with_them(self):
        key, secret, token = self.lease()
        r = self.describe(key, secret, token)
        self.assertEqual(r.body.items.dbinstance_attribute[0].dbinstance_id, SEED_INSTANCE)

    def test_a_missing_foreign_or_malformed_token_is_refused_by_name(self):
        key, secret, token = self.lease()
        _, _, other = self.lease()
        for sent, code in [
            (other, "InvalidSecurityToken.MismatchWithAccessKey"),
            ("not-a-token", "InvalidSecurityToken.Malformed"),
            (None, "MissingSecurityToken"),
        ]:
            with self.subTest(code=code):
                e = self.refused(key, secret, sent)
                self.assertEqual((e.code, e.status_code), (code, 400), e.message)

    def test_an_expired_token_is_refused(self):
        key, secret, token = self.lease()
        time.sleep(ttl_seconds() + 0.2)
        e = self.refused(key, secret, token)
        self.assertEqual((e.code, e.status_code), ("InvalidSecurityToken.Expired", 400), e.message)
        self.assertEqual(e.data.get("Message"), "Specified SecurityToken is expired.")

    def test_the_older_sdk_sends_the_token_as_a_parameter(self):
        key, secret, token = self.lease()
        host, port = require_sandbox().rsplit(":", 1)

        def call(token):
            c = AcsClient(
                region_id=ALIBABA_REGION,
                credential=StsTokenCredential(key, secret, token),
                auto_retry=False,
                port=int(port),
                timeout=20,
            )
            r = CommonRequest(domain=host, version="2016-05-03", action_name="DescribeDBInstanceAttribute")
            r.set_protocol_type("http")
            r.set_method("POST")
            r.set_accept_format("json")
            r.add_query_param("DBInstanceId", SEED_INSTANCE)
            return json.loads(c.do_action_with_exception(r))

        raw = call(token)
        self.assertEqual(raw["Items"]["DBInstanceAttribute"][0]["DBInstanceId"], SEED_INSTANCE)
        with self.assertRaises(ServerException) as caught:
            call(token[:-8] + "AAAAAAA=")
        self.assertEqual(caught.exception.get_error_code(), "InvalidSecurityToken.MismatchWithAccessKey")


class HuaweiSecurityTokens(HuaweiCase):
    def security_token(self, seconds=900):
        """A temporary AK/SK and security token from the sandbox's IAM, through the SDK."""
        from huaweicloudsdkcore.auth.credentials import GlobalCredentials
        from huaweicloudsdkiam.v3 import IamClient
        from huaweicloudsdkiam.v3 import model as iam

        client = (
            IamClient.new_builder()
            .with_credentials(GlobalCredentials(HUAWEI_AK, HUAWEI_SK, "sandbox-domain"))
            .with_endpoints([f"http://{require_sandbox()}"])
            .build()
        )
        identity = iam.TokenAuthIdentity(methods=["token"], token=iam.IdentityToken(duration_seconds=seconds))
        body = iam.CreateTemporaryAccessKeyByTokenRequestBody(auth=iam.TokenAuth(identity=identity))
        r = client.create_temporary_access_key_by_token(iam.CreateTemporaryAccessKeyByTokenRequest(body=body))
        self.assertEqual(r.status_code, 201)
        raw = json.loads(r.raw_content)
        self.assertEqual(sorted(raw["credential"]), ["access", "expires_at", "secret", "securitytoken"])
        c = r.credential
        return c.access, c.secret, c.securitytoken, c.expires_at

    def rds(self, ak, sk, token):
        return huawei_client(ak, sk, HUAWEI_PROJECT, token)

    def test_temporary_keys_sign_rds_calls_with_their_token(self):
        from huaweicloudsdkrds.v3 import model

        ak, sk, token, expires_at = self.security_token()
        time.strptime(expires_at, "%Y-%m-%dT%H:%M:%S.%fZ")
        r = self.rds(ak, sk, token).list_configurations(model.ListConfigurationsRequest())
        self.assertEqual(r.status_code, 200)
        self.assertTrue(r.configurations)

    def test_without_or_after_its_token_a_temporary_key_is_refused(self):
        from huaweicloudsdkrds.v3 import model

        ak, sk, token, _ = self.security_token()
        request = model.ListConfigurationsRequest()
        e = self.assertApiError("list_configurations", request, "APIGW.0301", 401, client=self.rds(ak, sk, None))
        self.assertIn("X-Security-Token", e.error_msg)
        time.sleep(ttl_seconds() + 0.2)
        e = self.assertApiError("list_configurations", request, "APIGW.0301", 401, client=self.rds(ak, sk, token))
        self.assertIn("expired", e.error_msg)


if __name__ == "__main__":
    unittest.main()
