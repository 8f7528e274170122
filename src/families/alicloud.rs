//! The Alibaba Cloud family: AnalyticDB for PostgreSQL (gpdb), DataWorks and SelectDB, one
//! ACS3-signed RPC client per product, each against its regional endpoint, a per-product
//! `endpoints:` override, or the sandbox's service of that product.

use super::Family;
use crate::providers::alicloud::{self, Product, RpcClient};
use crate::providers::client_settings::{Block, Source};
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
    ],
    starter: STARTER,
    credentials: &[ACCESS_KEY, SECRET_KEY],
};

const ACCESS_KEY: Source = Source::access_key(&["ALIBABA_CLOUD_ACCESS_KEY_ID"]);
const SECRET_KEY: Source = Source::secret_key(&["ALIBABA_CLOUD_ACCESS_KEY_SECRET"]);

fn configure<'a>(b: &'a Block<'a>, p: &'a mut Providers) -> BoxFuture<'a, Result<(), String>> {
    Box::pin(async move {
        let client = |product| async move {
            let c = rpc_client(b, product).await?;
            Ok::<_, String>(Arc::new(c.with_http(b.http.clone())))
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

/// One product's client; the product's key names its sandbox service and its entry in
/// `endpoints:`.
async fn rpc_client(b: &Block<'_>, product: Product) -> Result<RpcClient, String> {
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
    let keys = b.key_pair(
        product.key(),
        ACCESS_KEY,
        SECRET_KEY,
        "alicloud: no credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and \
         ALIBABA_CLOUD_ACCESS_KEY_SECRET (or access_key and secret_key in the provider \
         block, from a sensitive variable)",
    )?;
    RpcClient::new(
        product,
        &region,
        &base,
        &keys.key,
        &keys.secret,
        b.concurrency(),
    )
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
