"""Commvault Command Center through Commvault's own Python SDK (cvpysdk, from PyPI),
unmodified, against the sandbox: what it needs to log in (the ``GET /`` probe, Login,
WhoAmI for a given token, RenewLoginToken, Logout) and to manage an Alibaba PaaS PostgreSQL
instance of the seeded client ``alibaba-prod`` (clientId 444) and its PostgreSQL agent (125):
clients, agents, instance add / get / delete, and every documented error raised as the
SDK's own ``SDKException`` carrying the server's message.

cvpysdk has no method for this instance type, so the documented Create Instance body goes
through ``Instances._process_add_response``, the SDK's own add path (its other ``add_*``
methods end there).

Environment: ``STRATA_SANDBOX_URL`` (``http://HOST:PORT``; or ``STRATA_SANDBOX_ADDR``,
``HOST:PORT``) and ``STRATA_SANDBOX_FAULTS`` (or ``STRATA_SANDBOX``), which must hold the
``token_ttl_ms=…`` (at most 10 s) the sandbox was started with, for the expiry test.

Invariant: nothing here changes how cvpysdk builds, sends or parses a request.
"""

import json
import os
import re
import time
import unittest
import uuid

from cvpysdk.client import Client
from cvpysdk.commcell import Commcell
from cvpysdk.exception import SDKException
from cvpysdk.instance import Instance

USER = "admin"
PASSWORD = "sandbox-commvault-password"
CLIENT = "alibaba-prod"
E1 = "pgm-6gj1yy9fmpsm49d9.pg.rds.aliyuncs.com:5432"
E2 = "pgm-bp1z3k8m2n7q4w5e.pg.rds.aliyuncs.com:5432"
# The first registration of a database makes the sandbox trust its SA password.
SA_PASSWORD = "cvpysdk-sa-password"
EXPIRED = "The session has expired or is not valid. Please log in again."


def sandbox_host():
    """HOST:PORT of the sandbox, the Command Center host name cvpysdk is given."""
    url = os.environ.get("STRATA_SANDBOX_URL", "")
    host = re.sub(r"^https?://", "", url).rstrip("/") or os.environ.get("STRATA_SANDBOX_ADDR", "")
    if not host:
        raise unittest.SkipTest("STRATA_SANDBOX_URL is not set: run through the SDK conformance test")
    return host


def token_ttl():
    """Seconds a token lives idle, from the settings the sandbox was started with
    (``STRATA_SANDBOX_FAULTS``, as the SDK conformance test passes them, or ``STRATA_SANDBOX``)."""
    settings = os.environ.get("STRATA_SANDBOX_FAULTS") or os.environ.get("STRATA_SANDBOX", "")
    found = re.search(r"token_ttl_ms=(\d+)", settings)
    return int(found.group(1)) / 1000 if found else None


def login():
    return Commcell(sandbox_host(), USER, PASSWORD)


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}[ap-south-1]"


def create_body(name, **changes):
    """The documented Create Instance body; ``changes`` replace top-level parts by key:
    client, plan, endpoint, password."""
    return {
        "instanceProperties": {
            "instance": {
                "instanceName": name,
                "applicationId": 125,
                "clientName": changes.get("client", CLIENT),
            },
            "version": "14",
            "postGreSQLInstance": {
                "MaintainenceDB": "postgres",
                "port": changes.get("endpoint", E1),
                "SAUser": {
                    "userName": "postgres",
                    "password": _b64(changes.get("password", SA_PASSWORD)),
                },
                "cloudDBEngineType": "POSTGRESQL",
                "sslOpt": {"sslEnabled": False},
            },
            "planEntity": {"planName": changes.get("plan", "Server plan")},
            "dbEngine": "PostgreSQL",
        }
    }


def _b64(text):
    import base64

    return base64.b64encode(text.encode()).decode()


class CommvaultCase(unittest.TestCase):
    def raised(self, module, number, call, *args, **kwargs):
        """The SDKException ``call(*args, **kwargs)`` raises, insisting on its module and id."""
        with self.assertRaises(SDKException) as caught:
            call(*args, **kwargs)
        e = caught.exception
        self.assertEqual((e.exception_module, e.exception_id), (module, number), e.exception_message)
        return e

    def server_error(self, call, *args, **kwargs):
        """A non-2xx answer, as cvpysdk raises it ('Response', '101', the body): the body."""
        e = self.raised("Response", "101", call, *args, **kwargs)
        head, _, body = e.exception_message.partition("\n")
        self.assertEqual(head, "Response was not success")
        return json.loads(body)


class Sessions(CommvaultCase):
    def test_login_probes_the_service_and_keeps_a_qsdk_token(self):
        cc = login()
        self.assertTrue(cc._cvpysdk_object._is_valid_service(), "GET / answers 200")
        self.assertTrue(cc._headers["Authtoken"].startswith("QSDK "))
        self.assertEqual(cc.commcell_username, USER)
        self.assertEqual(cc._cvpysdk_object.who_am_i(), USER)

    def test_the_url_may_also_be_given_whole_even_an_older_installs(self):
        for base in ("/commandcenter/api", "/webconsole/api"):
            url = f"http://{sandbox_host()}{base}"
            cc = Commcell(sandbox_host(), USER, PASSWORD, web_service_url=url)
            self.assertEqual(cc._web_service, url + "/")
            self.assertEqual(cc._cvpysdk_object.who_am_i(), USER)

    def test_a_token_alone_is_a_session_with_or_without_its_prefix(self):
        token = login()._headers["Authtoken"]
        for given in (token, token[len("QSDK "):]):
            cc = Commcell(sandbox_host(), authtoken=given)
            self.assertEqual(cc.commcell_username, USER, "WhoAmI named the token's user")
            self.assertEqual(cc._headers["Authtoken"], token)

    def test_a_wrong_password_is_refused_with_the_servers_message(self):
        e = self.raised("CVPySDK", "101", Commcell, sandbox_host(), USER, "not-the-password")
        self.assertEqual(
            e.exception_message,
            'Failed to Login with the credentials provided\nError: "Invalid Username or Password"',
        )

    def test_a_renewal_trades_the_token_for_a_new_one(self):
        cc = login()
        old = cc._headers["Authtoken"]
        new = cc._cvpysdk_object._renew_login_token(0)
        self.assertTrue(new.startswith("QSDK "))
        self.assertNotEqual(new, old)
        cc._headers["Authtoken"] = new
        self.assertEqual(cc._cvpysdk_object.who_am_i(), USER)
        # the old one ended: a session from it alone is refused, renewal included
        e = self.raised("CVPySDK", "101", Commcell, sandbox_host(), None, None, old)
        self.assertEqual(e.exception_message, f'Failed to Login with the credentials provided\nError: "{EXPIRED}"')

    def test_an_expired_token_cannot_be_renewed(self):
        ttl = token_ttl()
        self.assertTrue(
            ttl is not None and ttl <= 10,
            "start the sandbox with STRATA_SANDBOX=token_ttl_ms=N (N <= 10000), and give this script the same "
            "in STRATA_SANDBOX_FAULTS",
        )
        cc = login()
        time.sleep(ttl + 0.5)
        # the call is refused (401), cvpysdk asks to renew the token, and that is refused too
        e = self.raised("CVPySDK", "101", lambda: cc.clients)
        self.assertEqual(e.exception_message, f'Failed to Login with the credentials provided\nError: "{EXPIRED}"')
        self.assertEqual(login().clients.get(CLIENT).client_id, "444", "a new login works")

    def test_logout_ends_the_session(self):
        with login() as cc:
            token = cc._headers["Authtoken"]
        self.raised("CVPySDK", "101", Commcell, sandbox_host(), None, None, token)


class ClientsAndAgents(CommvaultCase):
    def test_the_seeded_client_and_its_postgresql_agent(self):
        cc = login()
        self.assertTrue(cc.clients.has_client(CLIENT))
        self.assertTrue(cc.clients.has_client("alibaba-dr"))
        self.assertFalse(cc.clients.has_client("no-such-client"))
        self.assertEqual(cc.clients.all_clients[CLIENT]["id"], "444")
        client = cc.clients.get(CLIENT)
        self.assertEqual((client.client_id, client.client_name), ("444", CLIENT))
        self.assertEqual(client.client_hostname, CLIENT)
        self.assertTrue(client.is_backup_enabled)
        self.assertEqual(client.agents.all_agents, {"postgresql": "125"})
        agent = client.agents.get("PostgreSQL")
        self.assertEqual(agent.agent_id, "125")
        self.assertTrue(agent.is_backup_enabled)
        self.assertTrue(agent.is_restore_enabled)

    def test_an_unknown_client_id_is_the_servers_404(self):
        cc = login()
        body = self.server_error(Client, cc, "ghost", "9999")
        self.assertEqual(body, {"errorMessage": "Client [9999] does not exist.", "errorCode": 2})


class Instances(CommvaultCase):
    def setUp(self):
        self.cc = login()
        self.agent = self.cc.clients.get(CLIENT).agents.get("postgresql")
        self.instances = self.agent.instances

    def add(self, name, **changes):
        return self.instances._process_add_response(create_body(name, **changes))

    def test_add_get_and_delete(self):
        name = unique("pgm-sdkadd")
        made = self.add(name)
        self.assertEqual(type(made).__name__, "PostgreSQLInstance")
        self.assertEqual(made.instance_name, name.lower())
        self.assertGreater(int(made.instance_id), 1059)
        self.assertEqual(made.postgres_server_port_number, E1)
        self.assertEqual(made.maintenance_database, "postgres")
        self.assertEqual(made.postgres_version, "14")
        self.assertEqual(made.postgres_server_user_name, "postgres")
        self.assertIs(made.postgres_ssl_status, False)
        props = made.properties
        self.assertEqual(props["planEntity"]["planName"], "Server plan")
        self.assertEqual(props["instance"]["clientId"], 444)
        self.assertNotIn("password", props["postGreSQLInstance"]["SAUser"])
        self.assertEqual(
            [o["activityType"] for o in props["instanceActivityControl"]["activityControlOptions"]], [1, 2]
        )

        self.assertTrue(self.instances.has_instance(name))
        again = self.instances.get(int(made.instance_id))
        self.assertEqual((again.instance_id, again.name), (made.instance_id, name))
        self.assertTrue(self.agent.instances.has_instance(name), "listed by GET /Instance?clientId=444")

        self.instances.delete(name)
        self.assertFalse(self.instances.has_instance(name))
        self.instances.refresh()
        self.assertNotIn(name.lower(), self.instances.all_instances)
        body = self.server_error(Instance, self.agent, name, made.instance_id)
        self.assertEqual(body, {"errorMessage": f"Instance [{made.instance_id}] does not exist.", "errorCode": 2})

    def test_an_unknown_plan_is_the_sdks_instance_error(self):
        e = self.raised("Instance", "102", self.add, unique("pgm-sdkplan"), plan="Gold plan")
        self.assertEqual(e.exception_message, 'Failed to create instance\nError: "Plan [Gold plan] does not exist."')

    def test_an_unknown_client_is_the_servers_404(self):
        body = self.server_error(self.add, unique("pgm-sdkclient"), client="no-such-client")
        self.assertEqual(body, {"errorMessage": "Client [no-such-client] does not exist.", "errorCode": 2})

    def test_a_duplicate_name_is_the_servers_409(self):
        name = unique("pgm-sdkdup")
        self.add(name)
        try:
            body = self.server_error(self.add, name)
            self.assertEqual(body, {"errorMessage": "An instance by this name already exists.", "errorCode": 3})
        finally:
            self.instances.delete(name)

    def test_an_unreachable_database_is_4444(self):
        endpoint = "pgm-0000000000000000.pg.rds.aliyuncs.com:5432"
        body = self.server_error(self.add, unique("pgm-sdkdb"), endpoint=endpoint)
        self.assertEqual(body["errorCode"], 4444)
        self.assertTrue(body["errorMessage"].startswith("Connection to PostgreSQL Server failed.\n"), body)
        self.assertIn('Is the server running on host "pgm-0000000000000000.pg.rds.aliyuncs.com"', body["errorMessage"])
        self.assertEqual(body["entity"]["clientId"], 444)

    def test_an_offline_access_node_is_4444(self):
        body = self.server_error(self.add, unique("pgm-sdkdr"), client="alibaba-dr")
        self.assertEqual(body["errorCode"], 4444)
        self.assertTrue(
            body["errorMessage"].startswith("Unable to connect to client [] to execute [PostgresBrowseAgent]."), body
        )

    def test_a_wrong_sa_password_is_4444(self):
        name = unique("pgm-sdkpw")
        self.add(name, endpoint=E2)  # E2's SA password is now trusted
        try:
            body = self.server_error(self.add, unique("pgm-sdkpw2"), endpoint=E2, password="wrong")
            self.assertEqual(
                body["errorMessage"],
                'Connection to PostgreSQL Server failed.\n[~Connection to Database Failed: FATAL:  password '
                'authentication failed for user "postgres"~]',
            )
            self.assertEqual(body["errorCode"], 4444)
        finally:
            self.instances.delete(name)


if __name__ == "__main__":
    unittest.main()
