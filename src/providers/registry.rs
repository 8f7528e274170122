//! Configures the provider families a run needs (from the `providers:` blocks, environment
//! credentials and the sandbox) and hands out the driver for each resource and data type.

use super::alicloud::{self, Product, RpcClient};
use super::commvault::{client::Credentials, instance, CvClient};
use super::huaweicloud::{client, template, RdsClient};
use super::{DataDriver, ResourceDriver};
use crate::config::eval::{eval_args, ObjectView, Scope};
use crate::config::vars::{VarValue, Vars};
use crate::config::Config;
use crate::sandbox::Connector;
use crate::schema;
use crate::value::{Map, Value};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

#[derive(Default)]
pub struct Providers {
    resources: HashMap<&'static str, Arc<dyn ResourceDriver>>,
    data: HashMap<&'static str, Arc<dyn DataDriver>>,
}

struct VarsOnly<'a>(&'a Vars);

impl Scope for VarsOnly<'_> {
    fn var(&self, name: &str) -> Option<&VarValue> {
        self.0.get(name)
    }
    fn object(&self, _: &Address) -> Option<ObjectView<'_>> {
        None
    }
}

use crate::address::Address;

fn env_any(names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|n| std::env::var(n).ok().filter(|v| !v.is_empty()))
}

/// A family's settings, evaluated and checked against its provider schema.
fn settings(cfg: &Config, vars: &Vars, family: &str) -> Result<Map, String> {
    let block = cfg.providers.get(family).ok_or_else(|| {
        format!("provider \"{family}\" is not configured: add it under providers: in the config")
    })?;
    let ev = eval_args(&block.args, &VarsOnly(vars)).map_err(|errs| {
        errs.into_iter()
            .map(|(k, m)| format!("providers.{family}.{k}: {m}"))
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    let Value::Map(mut m) = ev.value else {
        return Err(format!("providers.{family} must be a mapping"));
    };
    if let Some(s) = schema::providers::provider(family) {
        s.apply_defaults(&mut m);
        let problems = schema::providers::check(s, &mut m, &ev.sensitive);
        if let Some(p) = problems.first() {
            return Err(format!(
                "providers.{family}.{}: {}",
                crate::value::path_string(&p.path),
                p.message
            ));
        }
    }
    if m.values().any(Value::has_unknown) {
        return Err(format!(
            "providers.{family}: a setting has no value yet (an unset variable?)"
        ));
    }
    warn_insecure(family, &m);
    Ok(m)
}

type Http = reqwest::Client;
type R = Result<(), String>;

/// `max_concurrency` (checked to be 1–256 and defaulted by the schema).
fn concurrency(s: &Map) -> usize {
    s.get("max_concurrency")
        .and_then(Value::as_i64)
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(1)
}

/// The HTTP client for a block: trusting its `ca_file` (relative to the stack directory)
/// besides the public roots.
fn http_client(cfg: &Config, family: &str, s: &Map) -> Result<Http, String> {
    let ca = s
        .get("ca_file")
        .and_then(Value::as_str)
        .map(|f| cfg.dir.join(f));
    super::http::client_with_ca(ca.as_deref())
        .map_err(|e| format!("providers.{family}.ca_file: {e}"))
}

/// A plain-http endpoint the block allowed (`insecure_http: true`) still gets a warning.
fn warn_insecure(family: &str, m: &Map) {
    use std::io::Write as _;
    for (_, url) in schema::providers::plain_http_endpoints(m) {
        let _ = writeln!(
            std::io::stderr(),
            "warning: providers.{family}: \"{url}\" is plain http (insecure_http: true): \
             credentials are sent unencrypted"
        );
    }
}

impl Providers {
    /// Configure `families` (e.g. the ones used by the config and the state).
    pub async fn configure(
        cfg: &Config,
        vars: &Vars,
        families: &BTreeSet<String>,
        sandbox: &Connector,
    ) -> Result<Providers, String> {
        let mut p = Providers::default();
        for family in families {
            let s = settings(cfg, vars, family)?;
            let http = http_client(cfg, family, &s)?;
            match family.as_str() {
                "huaweicloud" => p.add_huaweicloud(&s, sandbox, http).await?,
                "alicloud" => p.add_alicloud(&s, sandbox, http).await?,
                "commvault" => p.add_commvault(&s, sandbox, http).await?,
                other => return Err(format!("unknown provider \"{other}\"")),
            }
        }
        Ok(p)
    }

    fn add_resource(&mut self, d: Arc<dyn ResourceDriver>) {
        self.resources.insert(d.schema().type_name, d);
    }

    fn add_data(&mut self, d: Arc<dyn DataDriver>) {
        self.data.insert(d.schema().type_name, d);
    }

    async fn add_huaweicloud(&mut self, s: &Map, sandbox: &Connector, http: Http) -> R {
        let rds = Arc::new(huawei_client(s, sandbox).await?.with_http(http));
        self.add_resource(Arc::new(template::Template {
            client: rds.clone(),
        }));
        self.add_data(Arc::new(template::TemplateData { client: rds }));
        Ok(())
    }

    async fn add_alicloud(&mut self, s: &Map, sandbox: &Connector, http: Http) -> R {
        let http = &http;
        let client = |product| async move {
            let c = alicloud_client(s, sandbox, product).await?;
            Ok::<_, String>(Arc::new(c.with_http(http.clone())))
        };
        let gpdb = client(Product::Gpdb).await?;
        let dataworks = client(Product::DataWorks).await?;
        let selectdb = client(Product::SelectDb).await?;
        self.add_resource(Arc::new(alicloud::gpdb::Instance {
            client: gpdb.clone(),
        }));
        self.add_data(Arc::new(alicloud::gpdb::Backups { client: gpdb }));
        self.add_resource(Arc::new(alicloud::dataworks::DataSource {
            client: dataworks,
        }));
        self.add_resource(Arc::new(alicloud::selectdb::Binding {
            client: selectdb.clone(),
        }));
        self.add_data(Arc::new(alicloud::selectdb::Instance { client: selectdb }));
        Ok(())
    }

    async fn add_commvault(&mut self, s: &Map, sandbox: &Connector, http: Http) -> R {
        let client = Arc::new(commvault_client(s, sandbox).await?.with_http(http));
        self.add_resource(Arc::new(instance::PostgresInstance { client }));
        Ok(())
    }

    pub fn resource(&self, ty: &str) -> Result<Arc<dyn ResourceDriver>, String> {
        self.resources
            .get(ty)
            .cloned()
            .ok_or_else(|| format!("no driver for resource type {ty}"))
    }

    pub fn data(&self, ty: &str) -> Result<Arc<dyn DataDriver>, String> {
        self.data
            .get(ty)
            .cloned()
            .ok_or_else(|| format!("no driver for data source type {ty}"))
    }
}

async fn huawei_client(s: &Map, sandbox: &Connector) -> Result<RdsClient, String> {
    let get = |k: &str| s.get(k).and_then(Value::as_str).map(String::from);
    let region = get("region").unwrap_or_default();
    let project = get("project_id").unwrap_or_default();
    let endpoint = get("endpoint");
    let is_sandbox = endpoint.as_deref() == Some("sandbox");
    let base = match endpoint.as_deref() {
        Some("sandbox") => format!("{}/huaweicloud/rds", sandbox.url().await?),
        Some(url) => url.to_string(),
        None => client::regional_endpoint(&region),
    };
    let ak = get("access_key")
        .or_else(|| env_unless(is_sandbox, &["HW_ACCESS_KEY", "HUAWEICLOUD_ACCESS_KEY"]));
    let sk = get("secret_key")
        .or_else(|| env_unless(is_sandbox, &["HW_SECRET_KEY", "HUAWEICLOUD_SECRET_KEY"]));
    let (ak, sk) =
        match (ak, sk) {
            (Some(a), Some(s)) => (a, s),
            _ if is_sandbox => (
                client::SANDBOX_AK.to_string(),
                client::SANDBOX_SK.to_string(),
            ),
            _ => return Err(
                "huaweicloud: no credentials: set HW_ACCESS_KEY and HW_SECRET_KEY (or access_key \
                 and secret_key in the provider block, from a sensitive variable)"
                    .into(),
            ),
        };
    RdsClient::new(&base, &project, &ak, &sk, concurrency(s))
}

/// Credentials from the environment are for real clouds: never sent to a sandbox (which may
/// be another process, over plain http), which gets its own.
fn env_unless(sandbox: bool, names: &[&str]) -> Option<String> {
    if sandbox {
        None
    } else {
        env_any(names)
    }
}

/// One product's client: the endpoint (sandbox, per-product override, or the product's
/// regional endpoint) and the credentials (provider block, else the environment).
async fn alicloud_client(
    s: &Map,
    sandbox: &Connector,
    product: Product,
) -> Result<RpcClient, String> {
    let get = |k: &str| s.get(k).and_then(Value::as_str).map(String::from);
    let region = get("region").unwrap_or_default();
    let is_sandbox = get("endpoint").as_deref() == Some("sandbox");
    let over = s
        .get("endpoints")
        .and_then(|e| e.get(product.key()))
        .and_then(Value::as_str)
        .map(String::from);
    let base = match (over, get("endpoint")) {
        (Some(url), _) => url,
        (None, Some(e)) if e == "sandbox" => {
            format!("{}/alicloud/{}", sandbox.url().await?, product.key())
        }
        (None, Some(url)) => url,
        (None, None) => product.endpoint(&region),
    };
    let ak = get("access_key").or_else(|| env_unless(is_sandbox, &["ALIBABA_CLOUD_ACCESS_KEY_ID"]));
    let sk =
        get("secret_key").or_else(|| env_unless(is_sandbox, &["ALIBABA_CLOUD_ACCESS_KEY_SECRET"]));
    let (ak, sk) = match (ak, sk) {
        (Some(a), Some(s)) => (a, s),
        _ if is_sandbox => (
            alicloud::client::SANDBOX_AK.to_string(),
            alicloud::client::SANDBOX_SK.to_string(),
        ),
        _ => {
            return Err(
                "alicloud: no credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and \
                 ALIBABA_CLOUD_ACCESS_KEY_SECRET (or access_key and secret_key in the provider \
                 block, from a sensitive variable)"
                    .into(),
            )
        }
    };
    RpcClient::new(product, &region, &base, &ak, &sk, concurrency(s))
}

/// The Commvault client: the sandbox or a Command Center base URL; a user name and password
/// (block, then COMMVAULT_USERNAME / COMMVAULT_PASSWORD, then the sandbox's own) and/or a
/// token (COMMVAULT_AUTHTOKEN).
async fn commvault_client(s: &Map, sandbox: &Connector) -> Result<CvClient, String> {
    let get = |k: &str| s.get(k).and_then(Value::as_str).map(String::from);
    let endpoint = get("endpoint").unwrap_or_default();
    let is_sandbox = endpoint == "sandbox";
    let base = if is_sandbox {
        format!("{}/commvault/commandcenter/api", sandbox.url().await?)
    } else {
        endpoint
    };
    let user = get("username").or_else(|| env_unless(is_sandbox, &["COMMVAULT_USERNAME"]));
    let password = get("password").or_else(|| env_unless(is_sandbox, &["COMMVAULT_PASSWORD"]));
    let token = env_any(&["COMMVAULT_AUTHTOKEN"]);
    let credentials = match (user, password) {
        (Some(username), Some(password)) => Some(Credentials { username, password }),
        (Some(_), None) => {
            return Err("commvault: a user name but no password: set COMMVAULT_PASSWORD".into())
        }
        (None, Some(_)) => {
            return Err("commvault: a password but no user name: set COMMVAULT_USERNAME".into())
        }
        (None, None) if is_sandbox => Some(Credentials {
            username: super::commvault::client::SANDBOX_USERNAME.into(),
            password: super::commvault::client::SANDBOX_PASSWORD.into(),
        }),
        (None, None) => None,
    };
    if credentials.is_none() && token.is_none() {
        return Err(
            "commvault: no credentials: set COMMVAULT_USERNAME and COMMVAULT_PASSWORD \
                    (or a token in COMMVAULT_AUTHTOKEN)"
                .into(),
        );
    }
    CvClient::new(&base, credentials, token.as_deref(), concurrency(s))
        .map_err(|e| format!("commvault: {e}"))
}
