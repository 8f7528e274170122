"""Commvault's own Python SDK (cvpysdk) against `strata sandbox serve`, unchanged: the
Command Center host name is the sandbox's HOST:PORT (cvpysdk tries https, then http).

    strata sandbox serve --addr 127.0.0.1:8080 &
    python examples/sdk/commvault.py 127.0.0.1:8080

Logs in, finds the seeded client `alibaba-prod` and its PostgreSQL agent, protects an
Alibaba PaaS PostgreSQL database ("Create Instance"), reads it back and deletes it, and shows
the error the SDK raises for an unknown plan. cvpysdk has no method of its own for this
instance type, so the documented body goes through the instances' add path that its other
`add_*` methods share.
"""
import base64
import sys
import uuid

from cvpysdk.commcell import Commcell
from cvpysdk.exception import SDKException

HOST = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:8080"


def create_body(name, plan="Server plan"):
    return {
        "instanceProperties": {
            "instance": {"instanceName": name, "applicationId": 125, "clientName": "alibaba-prod"},
            "version": "14",
            "postGreSQLInstance": {
                "MaintainenceDB": "postgres",
                "port": "pgm-6gj1yy9fmpsm49d9.pg.rds.aliyuncs.com:5432",
                "SAUser": {"userName": "postgres", "password": base64.b64encode(b"example-sa-password").decode()},
                "cloudDBEngineType": "POSTGRESQL",
                "sslOpt": {"sslEnabled": False},
            },
            "planEntity": {"planName": plan},
            "dbEngine": "PostgreSQL",
        }
    }


commcell = Commcell(HOST, "admin", "sandbox-commvault-password")
print("commvault: logged in as", commcell.commcell_username)
instances = commcell.clients.get("alibaba-prod").agents.get("postgresql").instances
name = f"pgm-6gj1yy9fmpsm49d9-{uuid.uuid4().hex[:6]}[ap-south-1]"
made = instances._process_add_response(create_body(name))
print("commvault: Create Instance ->", made.instance_id, made.instance_name)
again = instances.get(int(made.instance_id))
print("commvault: get", again.instance_id, again.postgres_server_port_number)
instances.delete(name)
print("commvault: deleted", name)
try:
    instances._process_add_response(create_body(name, plan="No such plan"))
except SDKException as e:
    print("commvault: an unknown plan ->", e.exception_message)
