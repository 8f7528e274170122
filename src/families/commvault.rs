//! The Commvault family: Command Center's REST API (PostgreSQL instances registered for
//! backup), logged in with a user name and password or given a token, against the block's
//! Command Center URL or the sandbox's.

use super::Family;
use crate::providers::client_settings::{env_any, Block, Source};
use crate::providers::commvault::{client::Credentials, instance, CvClient};
use crate::providers::http::Sends;
use crate::providers::registry::Providers;
use crate::{sandbox, schema};
use futures::future::BoxFuture;
use std::sync::Arc;

pub static FAMILY: Family = Family {
    schemas: schema::commvault::SCHEMAS,
    provider: &schema::commvault::PROVIDER,
    configure,
    sandbox: &[&sandbox::commvault::SERVICE],
    starter: STARTER,
    credentials: &[USERNAME, PASSWORD, TOKEN],
};

const USERNAME: Source = Source::new("username", &["COMMVAULT_USERNAME"]);
const PASSWORD: Source = Source::new("password", &["COMMVAULT_PASSWORD"]);
/// A token instead of a login (the environment only).
const TOKEN: Source = Source::new("", &["COMMVAULT_AUTHTOKEN"]);
const SERVICE: &str = "commandcenter";

fn configure<'a>(b: &'a Block<'a>, p: &'a mut Providers) -> BoxFuture<'a, Result<(), String>> {
    Box::pin(async move {
        let client = Arc::new(cv_client(b).await?.with_http(b.http.clone()));
        p.add_resource(Arc::new(instance::PostgresInstance { client }));
        Ok(())
    })
}

/// The client: a user name and password (block, then the environment, then the sandbox's
/// own) and/or a token (COMMVAULT_AUTHTOKEN).
async fn cv_client(b: &Block<'_>) -> Result<CvClient, String> {
    let base = b.endpoint(SERVICE, None, None).await?;
    let token = env_any(TOKEN.env);
    let credentials = login(b)?;
    if credentials.is_none() && token.is_none() {
        return Err(
            "commvault: no credentials: set COMMVAULT_USERNAME and COMMVAULT_PASSWORD \
                    (or a token in COMMVAULT_AUTHTOKEN)"
                .into(),
        );
    }
    CvClient::new(&base, credentials, token.as_deref(), b.concurrency())
        .map_err(|e| format!("commvault: {e}"))
}

/// The login, if any: both halves or neither.
fn login(b: &Block<'_>) -> Result<Option<Credentials>, String> {
    match (b.credential(USERNAME), b.credential(PASSWORD)) {
        (Some(username), Some(password)) => Ok(Some(Credentials { username, password })),
        (Some(_), None) => {
            Err("commvault: a user name but no password: set COMMVAULT_PASSWORD".into())
        }
        (None, Some(_)) => {
            Err("commvault: a password but no user name: set COMMVAULT_USERNAME".into())
        }
        (None, None) => Ok(b.sandbox_credentials(SERVICE).map(|k| Credentials {
            username: k.key,
            password: k.secret,
        })),
    }
}

const STARTER: &str = r#"providers:
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
"#;
