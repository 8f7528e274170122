//! The provider families, one registration value each ([`Family`]) and one list of them
//! ([`ALL`], derived from `family_list`): a family's schemas and provider-block schema, how
//! its clients and drivers are set up, the sandbox services that simulate it (with their
//! seeds and fault profiles), its `strata init` starter and the environment variables its
//! credentials come from.
//!
//! Architecture invariant: this module sits above providers and the sandbox and beneath the
//! cli; it is the only place that joins them — the providers get the sandbox only as the
//! [`Endpoints`] implemented here by `sandbox::Connector`, and the sandbox gets its services
//! only as the [`Catalogue`] built here.

pub mod alicloud;
pub mod commvault;
pub mod huaweicloud;

use crate::providers::client_settings::Source;
use crate::providers::endpoints::{Endpoints, KeyPair};
use crate::providers::registry::Configure;
use crate::sandbox::store::World;
use crate::sandbox::{Catalogue, Connector, Service};
use crate::schema::Schema;
use async_trait::async_trait;

/// Everything strata knows of one provider family.
pub struct Family {
    /// Its resource and data-source schemas.
    pub schemas: &'static [&'static Schema],
    /// The schema of its `providers:` block (whose name is the family's).
    pub provider: &'static Schema,
    /// Builds its clients from an evaluated block and adds its drivers.
    pub configure: Configure,
    /// The sandbox services that simulate its APIs.
    pub sandbox: &'static [&'static Service],
    /// The `strata init` starter stack (after the common header), running on the sandbox.
    pub starter: &'static str,
    /// Where its credentials come from: provider-block attributes and environment variables.
    pub credentials: &'static [Source],
}

impl Family {
    pub fn name(&self) -> &'static str {
        self.provider.type_name
    }
}

/// Every family, one line each, derived from the one list (`family_list`).
macro_rules! all_families {
    ($($family:ident),*) => {
        pub static ALL: &[&Family] = &[$(&$family::FAMILY),*];
    };
}
crate::family_list::with_families!(all_families);

/// The family named `name`.
pub fn find(name: &str) -> Option<&'static Family> {
    ALL.iter().copied().find(|f| f.name() == name)
}

/// The set-up of the family `name`, for `Providers::configure`.
pub fn configurer(name: &str) -> Option<Configure> {
    find(name).map(|f| f.configure)
}

/// What the sandbox serves: every family's services.
pub fn sandbox() -> Catalogue {
    Catalogue {
        services: ALL.iter().flat_map(|f| f.sandbox.iter().copied()).collect(),
        seed,
    }
}

/// Every service's seed objects.
pub fn seed(w: &mut World) {
    for service in ALL.iter().flat_map(|f| f.sandbox.iter()) {
        (service.seed)(w);
    }
}

/// The sandbox as the providers' endpoint resolver: a service's base URL beneath the
/// sandbox's, and the credentials the service itself accepts.
#[async_trait]
impl Endpoints for Connector {
    async fn sandbox_url(&self, family: &str, service: &str) -> Result<String, String> {
        let s = self
            .catalogue()
            .service(family, service)
            .ok_or_else(|| format!("{family}: the sandbox has no service \"{service}\""))?;
        Ok(format!("{}{}", self.url().await?, s.base_path()))
    }

    fn sandbox_credentials(&self, family: &str, service: &str) -> Option<KeyPair> {
        let s = self.catalogue().service(family, service)?;
        Some(KeyPair {
            key: s.credentials.key.to_string(),
            secret: s.credentials.secret.to_string(),
        })
    }
}

#[cfg(test)]
mod tests;

/// Providers for every family the config and the state use (resources, deposed objects and
/// open intents), the sandbox reached through `sandbox`.
pub async fn providers_for(
    cfg: &crate::config::Config,
    vars: &crate::config::vars::Vars,
    state: &crate::state::State,
    sandbox: &Connector,
) -> Result<crate::providers::Providers, String> {
    // every configuration that manages something: a block's, else the one state recorded
    let config_of = |a: &crate::address::Address| {
        cfg.provider_config(a)
            .or_else(|| state.resources.get(a).map(|r| r.provider.clone()))
            .unwrap_or_else(|| a.provider().to_string())
    };
    let mut families: std::collections::BTreeSet<String> =
        cfg.resources.keys().map(config_of).collect();
    families.extend(state.resources.keys().map(config_of));
    families.extend(cfg.imports.iter().filter_map(|i| i.family()));
    families.extend(state.deposed.iter().map(|d| config_of(&d.addr)));
    families.extend(state.intents.iter().map(|i| config_of(&i.addr)));
    let routes = routes(cfg, state)?;
    families.extend(routes.values().cloned());
    let mut p =
        crate::providers::Providers::configure(cfg, vars, &families, sandbox, configurer).await?;
    for (addr, config) in routes {
        p.route(addr, config);
    }
    Ok(p)
}

/// The provider configuration of every object that names one: a block's `provider:`, else
/// the one the state recorded (an object the config no longer has). An object whose recorded
/// configuration the config no longer has is an error naming it.
fn routes(
    cfg: &crate::config::Config,
    state: &crate::state::State,
) -> Result<std::collections::BTreeMap<crate::address::Address, String>, String> {
    let mut out = std::collections::BTreeMap::new();
    let recorded = state
        .resources
        .iter()
        .chain(state.deposed.iter().map(|d| (&d.addr, &d.resource)))
        .filter(|(a, _)| cfg.block_of(a).is_none());
    let mut orphaned: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
    for (addr, r) in recorded {
        if r.provider.contains('.') && !cfg.providers.contains_key(&r.provider) {
            orphaned
                .entry(&r.provider)
                .or_default()
                .push(addr.to_string());
        }
        out.insert(addr.clone(), r.provider.clone());
    }
    if let Some((config, addrs)) = orphaned.into_iter().next() {
        return Err(format!(
            "provider configuration \"{config}\" is no longer in the config, but the state \
             still has objects it made: {} — destroy them first (with the configuration \
             still in place), or move them to another address whose configuration remains",
            addrs.join(", ")
        ));
    }
    for b in cfg.resources.values() {
        if let Some(p) = &b.provider {
            out.insert(b.addr.clone(), p.clone());
        }
    }
    Ok(out)
}
