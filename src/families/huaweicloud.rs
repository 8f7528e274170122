//! The Huawei Cloud family: RDS v3 parameter templates, signed SDK-HMAC-SHA256 with a
//! long-lived AK/SK or a temporary one and its security token, against the regional
//! `rds.<region>.myhuaweicloud.com` or the sandbox's RDS service.

use super::Family;
use crate::providers::client_settings::{Block, Signing, Source};
use crate::providers::credentials;
use crate::providers::http::Sends;
use crate::providers::huaweicloud::{client, template, RdsClient};
use crate::providers::registry::Providers;
use crate::{sandbox, schema};
use futures::future::BoxFuture;
use std::sync::Arc;

pub static FAMILY: Family = Family {
    schemas: schema::huaweicloud::SCHEMAS,
    provider: &schema::huaweicloud::PROVIDER,
    configure,
    sandbox: &[&sandbox::huawei::SERVICE, &sandbox::huawei_iam::SERVICE],
    starter: STARTER,
    credentials: &[SIGNING.key, SIGNING.secret, SIGNING.token],
};

const SIGNING: Signing = Signing {
    key: Source::access_key(&["HW_ACCESS_KEY", "HUAWEICLOUD_ACCESS_KEY"]),
    secret: Source::secret_key(&["HW_SECRET_KEY", "HUAWEICLOUD_SECRET_KEY"]),
    // the Terraform provider's variable, then huaweicloudsdkcore's
    token: Source::security_token(&["HW_SECURITY_TOKEN", "HUAWEICLOUD_SDK_SECURITY_TOKEN"]),
    missing: "huaweicloud: no credentials: set HW_ACCESS_KEY and HW_SECRET_KEY (or access_key \
              and secret_key in the provider block, from a sensitive variable)",
};
const SERVICE: &str = "rds";

fn configure<'a>(b: &'a Block<'a>, p: &'a mut Providers) -> BoxFuture<'a, Result<(), String>> {
    Box::pin(async move {
        let rds = Arc::new(rds_client(b).await?.with_http(b.http.clone()));
        p.add_resource(Arc::new(template::Template {
            client: rds.clone(),
        }));
        p.add_data(Arc::new(template::TemplateData { client: rds }));
        Ok(())
    })
}

async fn rds_client(b: &Block<'_>) -> Result<RdsClient, String> {
    let region = b.get("region").unwrap_or_default();
    let project = b.get("project_id").unwrap_or_default();
    let regional = client::regional_endpoint(&region);
    let base = b.endpoint(SERVICE, None, Some(regional)).await?;
    let credentials = credentials::fixed(b.signing(SERVICE, &SIGNING)?);
    RdsClient::with_credentials(&base, &project, credentials, b.concurrency())
}

const STARTER: &str = r#"providers:
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
"#;
