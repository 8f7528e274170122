//! The Alibaba Cloud family: AnalyticDB for PostgreSQL (gpdb), DataWorks and SelectDB, one
//! ACS3-signed RPC client per product, each against its regional endpoint, a per-product
//! `endpoints:` override, or the sandbox's service of that product. Every client of a block
//! signs with the block's one set of credentials: its key pair (with a security token when
//! temporary) or, with `assume_role`, the temporary credentials STS `AssumeRole` grants that
//! key pair, renewed before they expire.

use super::Family;
use crate::providers::alicloud::sts::{self, AssumeRole, Role};
use crate::providers::alicloud::{self, Product, RpcClient};
use crate::providers::client_settings::{Block, Signing, Source};
use crate::providers::credentials::{self, Credentials, Renewing};
use crate::providers::http::Sends;
use crate::providers::registry::Providers;
use crate::value::Value;
use crate::{sandbox, schema};
use futures::future::BoxFuture;
use std::sync::Arc;

pub static FAMILY: Family = Family {
    schemas: schema::alicloud::SCHEMAS,
    provider: &schema::alicloud::PROVIDER,
    configure,
    sandbox: &[
        &sandbox::alicloud::gpdb::SERVICE,
        &sandbox::alicloud::dataworks::SERVICE,
        &sandbox::alicloud::selectdb::SERVICE,
        &sandbox::alicloud::sts::SERVICE,
    ],
    starter: STARTER,
    credentials: &[SIGNING.key, SIGNING.secret, SIGNING.token],
};

const SIGNING: Signing = Signing {
    key: Source::access_key(&["ALIBABA_CLOUD_ACCESS_KEY_ID"]),
    secret: Source::secret_key(&["ALIBABA_CLOUD_ACCESS_KEY_SECRET"]),
    // the SDKs' variable, then the Terraform provider's
    token: Source::security_token(&["ALIBABA_CLOUD_SECURITY_TOKEN", "ALICLOUD_SECURITY_TOKEN"]),
    missing: "alicloud: no credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and \
              ALIBABA_CLOUD_ACCESS_KEY_SECRET (or access_key and secret_key in the provider \
              block, from a sensitive variable)",
};

fn configure<'a>(b: &'a Block<'a>, p: &'a mut Providers) -> BoxFuture<'a, Result<(), String>> {
    Box::pin(async move {
        let credentials = signing_credentials(b).await?;
        let client = |product| {
            let credentials = credentials.clone();
            async move { rpc_client(b, product, credentials).await.map(Arc::new) }
        };
        let gpdb = client(Product::Gpdb).await?;
        let dataworks = client(Product::DataWorks).await?;
        let selectdb = client(Product::SelectDb).await?;
        p.add_resource(Arc::new(alicloud::gpdb::Instance {
            client: gpdb.clone(),
        }));
        p.add_data(Arc::new(alicloud::gpdb::Backups { client: gpdb }));
        p.add_resource(Arc::new(alicloud::dataworks::DataSource {
            client: dataworks,
        }));
        p.add_resource(Arc::new(alicloud::selectdb::Binding {
            client: selectdb.clone(),
        }));
        p.add_data(Arc::new(alicloud::selectdb::Instance { client: selectdb }));
        Ok(())
    })
}

/// What every client of the block signs with: the block's key pair (and token), or the
/// temporary credentials of the role `assume_role` names, obtained with that key pair.
async fn signing_credentials(b: &Block<'_>) -> Result<Credentials, String> {
    let base = credentials::fixed(b.signing(Product::Sts.key(), &SIGNING)?);
    let Some(role) = assume_role(b) else {
        return Ok(base);
    };
    let client = rpc_client(b, Product::Sts, base).await?;
    Ok(Arc::new(Renewing::new(Box::new(AssumeRole {
        client,
        role,
    }))))
}

/// The block's `assume_role` (checked by its schema), with its defaults.
fn assume_role(b: &Block<'_>) -> Option<Role> {
    let Some(Value::Map(m)) = b.settings.get("assume_role") else {
        return None;
    };
    let text = |k: &str| m.get(k).and_then(Value::as_str).map(String::from);
    Some(Role {
        arn: text("role_arn")?,
        session_name: text("session_name").unwrap_or_else(|| sts::DEFAULT_SESSION_NAME.into()),
        duration_seconds: m
            .get("duration_seconds")
            .and_then(Value::as_i64)
            .unwrap_or(sts::DEFAULT_DURATION_SECONDS),
    })
}

/// One product's client, signing with `credentials`; the product's key names its sandbox
/// service and its entry in `endpoints:`.
async fn rpc_client(
    b: &Block<'_>,
    product: Product,
    credentials: Credentials,
) -> Result<RpcClient, String> {
    let region = b.get("region").unwrap_or_default();
    let over = b
        .settings
        .get("endpoints")
        .and_then(|e| e.get(product.key()))
        .and_then(Value::as_str)
        .map(String::from);
    let base = b
        .endpoint(product.key(), over, Some(product.endpoint(&region)))
        .await?;
    let client =
        RpcClient::with_credentials(product, &region, &base, credentials, b.concurrency())?;
    Ok(client.with_http(b.http.clone()))
}

const STARTER: &str = r#"providers:
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
"#;
