"""What every vendor's conformance test shares: where the sandbox is, its credentials, and
the check that an answer is exactly what the vendor's published model describes.

The SDKs parse leniently: an Alibaba ``DaraModel.from_map`` assigns whatever JSON value it
finds (a string where the model says integer stays a string) and drops keys it does not
know; the Huawei SDK converts primitives with ``klass(value)``. So besides asserting on the
typed results, each call's raw body is walked against the model class the SDK parsed it
into: every key must be one the model names, and every value of the JSON type the model
declares. The raw body is the SDK's own (the dict ``call_api`` returned, the Huawei
response's ``raw_content``): nothing is fetched a second time.

Invariant: nothing here changes how an SDK signs, sends or parses a request.
"""

import inspect
import os
import re
import sys
import typing
import unittest

SANDBOX = os.environ.get("STRATA_SANDBOX_ADDR", "")

ALIBABA_KEY = "SANDBOXALIAK000000001"
ALIBABA_SECRET = "sandbox-alibaba-secret"
ALIBABA_REGION = "cn-hangzhou"
HUAWEI_AK = "SANDBOXHWAK0000000001"
HUAWEI_SK = "sandbox-huawei-secret-key"
HUAWEI_REGION = "ap-southeast-1"
HUAWEI_PROJECT = "054e292c9880d4992f02c0196d3ea468"
COMMVAULT_USER = "admin"
COMMVAULT_PASSWORD = "sandbox-commvault-password"


def require_sandbox():
    """The sandbox's HOST:PORT, from STRATA_SANDBOX_ADDR (the Rust test sets it)."""
    if not SANDBOX:
        raise unittest.SkipTest("STRATA_SANDBOX_ADDR is not set: run through tests/sdk_conformance.rs")
    return SANDBOX


# --- Alibaba Cloud (darabonba models) -------------------------------------------------------

_FIELD = re.compile(r"m\.get\('([^']+)'\) is not None:\n(?:[^\n]*\n)*?\s*self\.(\w+)")


def dara_fields(cls):
    """{wire key: (attribute, type hint)} of a darabonba model class, from its ``from_map``
    (the generated code names each key once there) and its ``__init__`` annotations."""
    source = inspect.getsource(cls.from_map)
    hints = typing.get_type_hints(cls.__init__, vars(sys.modules[cls.__module__]))
    fields = {}
    for key, attr in _FIELD.findall(source):
        fields[key] = (attr, hints.get(attr, typing.Any))
    return fields


def _is_dara(t):
    return inspect.isclass(t) and hasattr(t, "from_map") and hasattr(t, "to_map")


def _json_type_ok(value, hint):
    """Whether a JSON value (as json.loads made it) is of the primitive type ``hint``."""
    if hint is typing.Any or hint is object:
        return True
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    if hint is dict:
        return isinstance(value, dict)
    if hint is list:
        return isinstance(value, list)
    return isinstance(value, hint)


def dara_problems(cls, raw, path="$"):
    """Every way the JSON value ``raw`` differs from the darabonba model ``cls``: keys the
    model does not have, values of another JSON type. An empty list means it conforms."""
    if not isinstance(raw, dict):
        return [f"{path}: {type(raw).__name__} where the model {cls.__name__} is an object"]
    fields = dara_fields(cls)
    problems = []
    for key, value in raw.items():
        where = f"{path}.{key}"
        if key not in fields:
            problems.append(f"{where}: not a field of {cls.__name__} (fields: {', '.join(sorted(fields))})")
            continue
        if value is None:
            continue
        problems += _hint_problems(fields[key][1], value, where)
    return problems


def _hint_problems(hint, value, where):
    origin = typing.get_origin(hint)
    if origin is list:
        if not isinstance(value, list):
            return [f"{where}: {type(value).__name__} {value!r} where the model has a list"]
        (inner,) = typing.get_args(hint) or (typing.Any,)
        out = []
        for i, v in enumerate(value):
            out += _hint_problems(inner, v, f"{where}[{i}]")
        return out
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{where}: {type(value).__name__} {value!r} where the model has a map"]
        args = typing.get_args(hint)
        inner = args[1] if len(args) == 2 else typing.Any
        out = []
        for k, v in value.items():
            out += _hint_problems(inner, v, f"{where}.{k}")
        return out
    if _is_dara(hint):
        return dara_problems(hint, value, where)
    if not _json_type_ok(value, hint):
        name = getattr(hint, "__name__", str(hint))
        return [f"{where}: {type(value).__name__} {value!r} where the model has {name}"]
    return []


def alibaba_config(secret=ALIBABA_SECRET, key=ALIBABA_KEY, token=None):
    """The tea-openapi configuration an SDK client is made with to reach the sandbox (with
    the security token of temporary credentials)."""
    from alibabacloud_tea_openapi import utils_models

    return utils_models.Config(
        access_key_id=key,
        access_key_secret=secret,
        security_token=token,
        region_id=ALIBABA_REGION,
        endpoint=require_sandbox(),
        protocol="http",
        read_timeout=20000,
        connect_timeout=5000,
    )


def recording(client_class):
    """A subclass of an SDK client that keeps the dict its own ``call_api`` returned (the
    raw answer the SDK then parses) in ``self.raw``. Signing, sending and parsing are the
    SDK's, untouched."""

    class Recording(client_class):
        raw = None

        def call_api(self, params, request, runtime):
            self.raw = None
            answer = super().call_api(params, request, runtime)
            self.raw = answer
            return answer

    Recording.__name__ = f"Recording{client_class.__name__}"
    return Recording


class AlibabaCase(unittest.TestCase):
    """A test of one Alibaba product: ``self.client`` is the product's SDK client on the
    sandbox; ``call`` makes a typed call and checks its raw body against the model."""

    client_class = None  # the product's SDK Client

    def setUp(self):
        self.client = recording(self.client_class)(alibaba_config())

    def call(self, method, request):
        """``client.<method>(request)``: the typed response, whose raw body must match the
        model of the response's ``body`` exactly."""
        from alibabacloud_tea_util.models import RuntimeOptions  # noqa: F401  (SDK dependency)

        response = getattr(self.client, method)(request)
        self.assertEqual(response.status_code, 200)
        self.assertConforms(type(response.body), self.client.raw["body"])
        self.assertIsInstance(response.body.request_id, str)
        self.assertTrue(response.body.request_id)
        return response.body

    def assertConforms(self, model, raw):
        problems = dara_problems(model, raw)
        self.assertEqual(problems, [], f"the answer does not match {model.__name__}: {raw!r}")

    def assertRpcError(self, method, request, code, status, exception=None):
        """The call fails with the SDK's typed exception carrying ``code`` and HTTP
        ``status`` (and a RequestId); ``exception`` is the class expected (by default the one
        the SDK raises for that status)."""
        from alibabacloud_tea_openapi import exceptions

        if exception is None:
            exception = exceptions.ClientException if status < 500 else exceptions.ServerException
        with self.assertRaises(exceptions.AlibabaCloudException) as caught:
            getattr(self.client, method)(request)
        e = caught.exception
        self.assertIs(type(e), exception, f"{type(e).__name__}: {e.message}")
        self.assertEqual(e.code, code, e.message)
        self.assertEqual(e.status_code, status, e.message)
        self.assertTrue(e.request_id and e.request_id != "None", e.data)
        self.assertIsInstance(e.data.get("Message"), str)
        return e


# --- Huawei Cloud (openapi_types models) ----------------------------------------------------

_HW_PRIMITIVES = {"str": str, "int": int, "bool": bool, "float": float, "object": typing.Any}


def huawei_problems(module, type_name, raw, path="$"):
    """Every way the JSON value ``raw`` differs from the Huawei SDK model named ``type_name``
    (``'str'``, ``'list[ConfigurationParameter]'``, ``'dict(str, str)'``, a model class name)
    of the SDK's model ``module``."""
    if raw is None:
        return []
    m = re.fullmatch(r"list\[(.+)\]", type_name)
    if m:
        if not isinstance(raw, list):
            return [f"{path}: {type(raw).__name__} {raw!r} where the model has {type_name}"]
        return [p for i, v in enumerate(raw) for p in huawei_problems(module, m.group(1), v, f"{path}[{i}]")]
    m = re.fullmatch(r"dict\(([^,]+), (.+)\)", type_name)
    if m:
        if not isinstance(raw, dict):
            return [f"{path}: {type(raw).__name__} {raw!r} where the model has {type_name}"]
        return [p for k, v in raw.items() for p in huawei_problems(module, m.group(2), v, f"{path}.{k}")]
    if type_name in _HW_PRIMITIVES:
        if not _json_type_ok(raw, _HW_PRIMITIVES[type_name]):
            return [f"{path}: {type(raw).__name__} {raw!r} where the model has {type_name}"]
        return []
    cls = getattr(module, type_name)
    if not isinstance(raw, dict):
        return [f"{path}: {type(raw).__name__} {raw!r} where the model {type_name} is an object"]
    by_key = {key: attr for attr, key in cls.attribute_map.items()}
    problems = []
    for key, value in raw.items():
        if key not in by_key:
            problems.append(f"{path}.{key}: not a field of {type_name} (fields: {', '.join(sorted(by_key))})")
            continue
        problems += huawei_problems(module, cls.openapi_types[by_key[key]], value, f"{path}.{key}")
    return problems


def wait_for(read, done, what, timeout=20.0, every=0.1):
    """Call ``read()`` until ``done(value)`` holds, at most ``timeout`` seconds; the last value.
    The sandbox's asynchronous delay is set short by the test that starts it."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: still {value!r} after {timeout}s")
        time.sleep(every)


def unique(prefix):
    """A name no other test of this run uses."""
    import uuid

    return f"{prefix}{uuid.uuid4().hex[:10]}"


class HuaweiCase(unittest.TestCase):
    """A test of Huawei Cloud RDS: ``self.client`` is the SDK's RdsClient on the sandbox;
    ``call`` makes a typed call and checks its raw body against the response model."""

    def setUp(self):
        self.client = huawei_client()

    def call(self, method, request):
        from huaweicloudsdkrds.v3 import model

        response = getattr(self.client, method)(request)
        self.assertEqual(response.status_code, 200)
        if response.raw_content:
            import json

            raw = json.loads(response.raw_content)
            problems = huawei_problems(model, type(response).__name__, raw)
            self.assertEqual(problems, [], f"the answer does not match {type(response).__name__}: {raw!r}")
        return response

    def assertApiError(self, method, request, code, status, client=None):
        """The call fails with the SDK's ClientRequestException carrying ``code`` (as
        ``error_code``), the HTTP ``status`` and a request id."""
        from huaweicloudsdkcore.exceptions import exceptions

        with self.assertRaises(exceptions.ServiceResponseException) as caught:
            getattr(client or self.client, method)(request)
        e = caught.exception
        expected = exceptions.ClientRequestException if status < 500 else exceptions.ServerResponseException
        self.assertIs(type(e), expected, str(e))
        self.assertEqual(e.error_code, code, str(e))
        self.assertEqual(e.status_code, status, str(e))
        self.assertIsInstance(e.error_msg, str)
        self.assertTrue(e.request_id, str(e))
        return e


def huawei_client(ak=HUAWEI_AK, sk=HUAWEI_SK, project=HUAWEI_PROJECT, token=None):
    """The SDK's RdsClient on the sandbox, with these credentials (and the security token of
    a temporary AK/SK)."""
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.http.http_config import HttpConfig
    from huaweicloudsdkrds.v3 import RdsClient

    config = HttpConfig.get_default_config()
    config.timeout = (5, 20)
    return (
        RdsClient.new_builder()
        .with_http_config(config)
        .with_credentials(BasicCredentials(ak, sk, project).with_security_token(token))
        .with_endpoints([f"http://{require_sandbox()}"])
        .build()
    )
