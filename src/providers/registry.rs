//! Configures the provider families a run needs and hands out the driver for each resource
//! and data type. Each family's own set-up (which clients, which drivers) is handed in as a
//! [`Configure`] function by the families' registration list; here is what they share: the
//! provider block evaluated and checked against its schema, the plain-http warning, the HTTP
//! client trusting the block's `ca_file`, and the driver tables.
//!
//! Invariant: nothing here knows a family by name, and nothing here imports the sandbox (the
//! sandbox is reached through the [`Endpoints`] handed in).

use super::client_settings::Block;
use super::endpoints::Endpoints;
use super::{DataDriver, ResourceDriver};
use crate::address::Address;
use crate::config::eval::{eval_args, ObjectView, Scope};
use crate::config::locals::LocalValues;
use crate::config::vars::{VarValue, Vars};
use crate::config::Config;
use crate::schema;
use crate::value::{Map, Value};
use futures::future::BoxFuture;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// A family's set-up: build its clients from the block and add its drivers.
pub type Configure =
    for<'a> fn(&'a Block<'a>, &'a mut Providers) -> BoxFuture<'a, Result<(), String>>;

/// The drivers of every provider configuration, by (configuration, type), and which
/// configuration manages each address.
#[derive(Default)]
pub struct Providers {
    resources: HashMap<String, HashMap<&'static str, Arc<dyn ResourceDriver>>>,
    data: HashMap<String, HashMap<&'static str, Arc<dyn DataDriver>>>,
    /// The configuration being set up (its drivers are added under it).
    current: String,
    /// Addresses managed by a configuration other than their family's default.
    routes: HashMap<Address, String>,
}

/// A provider block's scope: the variables, the locals made of them only (validation refuses
/// any other), and the stack directory for `file(…)`.
struct VarsOnly<'a>(&'a Vars, LocalValues, &'a std::path::Path);

impl Scope for VarsOnly<'_> {
    fn var(&self, name: &str) -> Option<&VarValue> {
        self.0.get(name)
    }
    fn object(&self, _: &Address) -> Option<ObjectView<'_>> {
        None
    }
    fn local(&self, name: &str) -> Option<Result<ObjectView<'_>, String>> {
        self.1.get(name, self)
    }

    fn dir(&self) -> &std::path::Path {
        crate::config::stack_dir(self.2)
    }
}

/// A configuration's settings (`alicloud`, `alicloud.dr`), evaluated and checked against its
/// family's provider schema.
fn settings(cfg: &Config, vars: &Vars, config: &str) -> Result<Map, String> {
    let block = cfg.providers.get(config).ok_or_else(|| {
        format!("provider \"{config}\" is not configured: add it under providers: in the config")
    })?;
    let family = config.split('.').next().unwrap_or(config);
    let scope = VarsOnly(vars, LocalValues::new(cfg), &cfg.dir);
    let ev = eval_args(&block.args, &scope).map_err(|errs| {
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

/// The HTTP client for a block: trusting its `ca_file` (relative to the stack directory)
/// besides the public roots.
fn http_client(cfg: &Config, family: &str, s: &Map) -> Result<reqwest::Client, String> {
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
    /// Configure `families` (e.g. the ones used by the config and the state), each with the
    /// set-up `setup` finds for it, reaching the sandbox through `endpoints`.
    pub async fn configure(
        cfg: &Config,
        vars: &Vars,
        configs: &BTreeSet<String>,
        endpoints: &dyn Endpoints,
        setup: fn(&str) -> Option<Configure>,
    ) -> Result<Providers, String> {
        let mut p = Providers::default();
        for config in configs {
            let family = config.split('.').next().unwrap_or(config);
            p.current = config.clone();
            let settings = settings(cfg, vars, config)?;
            let http = http_client(cfg, family, &settings)?;
            let configure =
                setup(family).ok_or_else(|| format!("unknown provider \"{family}\""))?;
            let block = Block {
                family,
                settings,
                http,
                endpoints,
            };
            configure(&block, &mut p).await?;
        }
        Ok(p)
    }

    pub fn add_resource(&mut self, d: Arc<dyn ResourceDriver>) {
        let by_type = self.resources.entry(self.current.clone()).or_default();
        by_type.insert(d.schema().type_name, d);
    }

    pub fn add_data(&mut self, d: Arc<dyn DataDriver>) {
        let by_type = self.data.entry(self.current.clone()).or_default();
        by_type.insert(d.schema().type_name, d);
    }

    /// Route `addr` (and, for a block, its instances) to the configuration `config`.
    pub fn route(&mut self, addr: Address, config: String) {
        if config != addr.provider() {
            self.routes.insert(addr, config);
        }
    }

    /// The configuration that manages `addr`: its route (the instance's, else its block's),
    /// else its family's default.
    pub fn config_of(&self, addr: &Address) -> String {
        let routed = self
            .routes
            .get(addr)
            .or_else(|| self.routes.get(&addr.block()));
        routed
            .cloned()
            .unwrap_or_else(|| addr.provider().to_string())
    }

    pub fn resource(&self, addr: &Address) -> Result<Arc<dyn ResourceDriver>, String> {
        let config = self.config_of(addr);
        let ty = addr.ty.as_str();
        self.resources
            .get(&config)
            .and_then(|by_type| by_type.get(ty))
            .cloned()
            .ok_or_else(|| format!("no driver for resource type {ty} (provider {config})"))
    }

    pub fn data(&self, addr: &Address) -> Result<Arc<dyn DataDriver>, String> {
        let config = self.config_of(addr);
        let ty = addr.ty.as_str();
        self.data
            .get(&config)
            .and_then(|by_type| by_type.get(ty))
            .cloned()
            .ok_or_else(|| format!("no driver for data source type {ty} (provider {config})"))
    }
}
