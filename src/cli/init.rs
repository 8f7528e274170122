//! `strata init`: write a commented starter stack for a chosen provider family, ready to run
//! against the embedded sandbox.

use super::{CmdResult, Failure, EXIT_OK};
use std::path::Path;

/// The comment every starter opens with.
macro_rules! header {
    () => {
        r#"# A strata stack: every *.yaml file in this directory is part of it.
#   strata validate                      check it
#   strata plan                          see what would change
#   strata apply                         make it so (asks for "yes")
# The docs: strata --help, strata schema (every type and argument).

"#
    };
}

/// The starter config of each family.
fn starter(provider: &str) -> Option<&'static str> {
    match provider {
        "huaweicloud" => Some(concat!(
            header!(),
            r#"providers:
  huaweicloud:
    region: ap-southeast-1
    project_id: 054e292c9880d4992f02c0196d3ea468
    # without endpoint, the real API (credentials from HW_ACCESS_KEY / HW_SECRET_KEY)
    endpoint: sandbox # the embedded simulated cloud

variables:
  env: { default: dev } # set with --var env=prod or STRATA_VAR_env=prod

resources:
  # A MySQL parameter template.
  huaweicloud_rds_parameter_template.main:
    name: app-${var.env}
    description: Parameters for the app database
    datastore: { type: MySQL, version: "8.0" }
    values:
      max_connections: "500"

  # A copy of it, made with the copy API (strata's clone action).
  huaweicloud_rds_parameter_template.copy:
    clone: { source: "${huaweicloud_rds_parameter_template.main.id}" }
    name: app-${var.env}-copy

outputs:
  template_id: ${huaweicloud_rds_parameter_template.main.id}
"#
        )),
        "alicloud" => Some(concat!(
            header!(),
            r#"providers:
  alicloud:
    region: cn-hangzhou
    # without endpoint, the real API (credentials from ALIBABA_CLOUD_ACCESS_KEY_ID and
    # ALIBABA_CLOUD_ACCESS_KEY_SECRET)
    endpoint: sandbox # the embedded simulated cloud

variables:
  env: { default: dev } # set with --var env=prod or STRATA_VAR_env=prod

resources:
  # An AnalyticDB for PostgreSQL instance.
  alicloud_gpdb_instance.main:
    zone_id: cn-hangzhou-i
    engine_version: "6.0"
    instance_spec: 4C32G
    seg_node_num: 4
    storage_size: 200
    description: warehouse-${var.env}

  # A new instance restored from its newest snapshot backup (CloneDBInstance).
  alicloud_gpdb_instance.restore:
    clone: { source: "${alicloud_gpdb_instance.main.id}", backup: latest }
    zone_id: cn-hangzhou-i

outputs:
  restore_id: ${alicloud_gpdb_instance.restore.id}
"#
        )),
        "commvault" => Some(concat!(
            header!(),
            r#"providers:
  # For a real Command Center: its API base URL (https://<host>/commandcenter/api) as the
  # endpoint; credentials from COMMVAULT_USERNAME / COMMVAULT_PASSWORD or COMMVAULT_AUTHTOKEN.
  commvault:
    endpoint: sandbox # the embedded simulated Command Center

variables:
  # The database administrator's password: set it with STRATA_VAR_sa_password (or
  # --var sa_password=…). The default works with the sandbox only.
  sa_password: { default: sandbox-sa-password, sensitive: true }

resources:
  # An Alibaba PaaS PostgreSQL database registered with Commvault, so that it is backed up.
  commvault_postgresql_instance.main:
    instance_name: pgm-bp1z3k8m2n7q4w5e[cn-hangzhou]
    client_name: alibaba-prod
    version: "15"
    plan_name: Server plan
    maintenance_db: postgres
    endpoint: pgm-bp1z3k8m2n7q4w5e.pg.rds.aliyuncs.com:5432
    sa_user: { user_name: postgres, password: "${var.sa_password}" }

outputs:
  instance_id: ${commvault_postgresql_instance.main.id}
"#
        )),
        _ => None,
    }
}

pub fn families() -> Vec<&'static str> {
    crate::schema::providers::PROVIDERS
        .iter()
        .map(|s| s.type_name)
        .filter(|n| starter(n).is_some())
        .collect()
}

pub fn run(dir: &Path, provider: &str) -> CmdResult {
    let text = starter(provider).ok_or_else(|| {
        Failure::new(format!(
            "no starter for provider \"{provider}\": choose one of {}",
            families().join(", ")
        ))
    })?;
    std::fs::create_dir_all(dir).map_err(|e| Failure::new(format!("{}: {e}", dir.display())))?;
    let existing = std::fs::read_dir(dir)
        .map_err(|e| Failure::new(format!("{}: {e}", dir.display())))?
        .filter_map(|e| e.ok())
        .any(|e| {
            matches!(
                e.path().extension().and_then(|x| x.to_str()),
                Some("yaml") | Some("yml")
            )
        });
    if existing {
        return Err(Failure::new(format!(
            "{} already holds a config (*.yaml): strata init only starts new stacks",
            dir.display()
        )));
    }
    let path = dir.join("main.yaml");
    std::fs::write(&path, text).map_err(|e| Failure::new(format!("{}: {e}", path.display())))?;
    outln!(
        "Wrote {}: a {provider} stack running on the embedded sandbox.\nNext: strata -C {} plan",
        path.display(),
        dir.display()
    );
    Ok(EXIT_OK)
}
