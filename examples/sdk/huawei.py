"""Huawei Cloud's own Python SDK (huaweicloudsdkrds) against `strata sandbox serve`, unchanged:
only the endpoint and the sandbox's credentials differ from a real account.

    strata sandbox serve --addr 127.0.0.1:8080 &
    python examples/sdk/huawei.py 127.0.0.1:8080

Copies the seeded RDS parameter template, sets a value on the copy, reads it back, deletes it,
and shows the typed error the SDK raises for a template that does not exist.
"""
import sys
import time

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkrds.v3 import (
    ConfigurationCopyRequestBody,
    CopyConfigurationRequest,
    DeleteConfigurationRequest,
    ShowConfigurationRequest,
    UpdateConfigurationRequest,
    ConfigurationForUpdate,
)
from huaweicloudsdkrds.v3 import RdsClient

HOST = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:8080"
PROJECT = "054e292c9880d4992f02c0196d3ea468"
SEED = "66251c9024774eeb9edd8663a4cbb0a1pr04"

rds = (
    RdsClient.new_builder()
    .with_credentials(BasicCredentials("SANDBOXHWAK0000000001", "sandbox-huawei-secret-key", PROJECT))
    .with_endpoints([f"http://{HOST}"])
    .build()
)

copy = rds.copy_configuration(
    CopyConfigurationRequest(
        config_id=SEED,
        body=ConfigurationCopyRequestBody(name=f"copy_by_sdk_{int(time.time())}", description="made by the SDK example"),
    )
)
print("rds: copy", SEED, "->", copy.id, copy.name)
rds.update_configuration(
    UpdateConfigurationRequest(
        config_id=copy.id,
        body=ConfigurationForUpdate(values={"max_connections": "10"}),
    )
)
shown = rds.show_configuration(ShowConfigurationRequest(config_id=copy.id))
print("rds: show", shown.id, shown.datastore_name, shown.datastore_version_name)
rds.delete_configuration(DeleteConfigurationRequest(config_id=copy.id))
print("rds: delete", copy.id)
try:
    rds.show_configuration(ShowConfigurationRequest(config_id=copy.id))
except ClientRequestException as e:
    print("rds: show after delete ->", e.status_code, e.error_code)
