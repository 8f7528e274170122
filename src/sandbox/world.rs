//! What every sandbox service shares, beneath them all: the handlers' state ([`Sandbox`]: the
//! world store, the fault injector, request counts), a service's fault [`Profile`], the
//! [`Service`] value by which a service is mounted, seeded, reached and listed, and the
//! [`Listed`] row of `sandbox ls`.
//!
//! Invariant: this module imports no service and not the server; services import it and the
//! server (`server.rs`) imports services through the [`Catalogue`] it is handed, so there is no
//! circle inside the sandbox.

use super::faults::Faults;
use super::store::{Store, World};
use axum::extract::Request;
use axum::response::Response;
use axum::Router;
use std::sync::Arc;

/// Shared by every service handler.
#[derive(Clone)]
pub struct Sandbox {
    pub store: Arc<Store>,
    pub faults: Arc<Faults>,
    pub stats: Stats,
}

/// Requests served, by method and route (`GET /huaweicloud/rds/v3/{project}/configurations`),
/// readable at `/_sandbox/stats` so benchmarks and tests can count calls.
#[derive(Clone, Default)]
pub struct Stats(Arc<std::sync::Mutex<std::collections::BTreeMap<String, u64>>>);

impl Stats {
    pub fn count(&self, route: String) {
        if let Ok(mut m) = self.0.lock() {
            *m.entry(route).or_default() += 1;
        }
    }

    pub fn snapshot(&self) -> serde_json::Value {
        let m = self.0.lock().map(|m| m.clone()).unwrap_or_default();
        let total: u64 = m.values().sum();
        serde_json::json!({ "total": total, "requests": m })
    }

    pub fn reset(&self) {
        if let Ok(mut m) = self.0.lock() {
            m.clear();
        }
    }
}

/// How a service answers injected faults, and which of its calls change something.
pub struct Profile {
    pub throttle: fn() -> Response,
    pub internal: fn() -> Response,
    pub mutating: fn(&Request) -> bool,
}

/// `Profile::mutating` of a REST API: every method but GET may change something.
pub fn rest_mutating(r: &Request) -> bool {
    r.method() != axum::http::Method::GET
}

/// The pair of credentials a service accepts (access key and secret, or user and password):
/// the sandbox's own, learned by clients only through the endpoint resolver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Credentials {
    pub key: &'static str,
    pub secret: &'static str,
}

/// One simulated service: mounted at `/<family>/<path>`, behind the fault layer with its
/// `profile`, its seed objects written into a new world.
pub struct Service {
    /// The provider family it serves (`alicloud`).
    pub family: &'static str,
    /// The service's name within the family, as the family's client asks for it (`gpdb`).
    pub name: &'static str,
    /// Where the client's base URL points beneath the family's prefix (`commandcenter/api`).
    pub path: &'static str,
    pub router: fn(Sandbox) -> Router,
    pub profile: &'static Profile,
    pub seed: fn(&mut World),
    pub credentials: Credentials,
    /// The objects it keeps inside other objects' documents (a SelectDB instance's clusters
    /// and bindings), as `sandbox ls` rows: every document is a row already.
    pub sub_objects: fn(&World) -> Vec<Listed>,
}

impl Service {
    /// The mount point (`/alicloud/gpdb`).
    pub fn prefix(&self) -> String {
        format!("/{}/{}", self.family, self.path)
    }

    /// The same service, listing its sub-objects with `f`.
    pub const fn with_sub_objects(mut self, f: fn(&World) -> Vec<Listed>) -> Service {
        self.sub_objects = f;
        self
    }
}

/// `Service::sub_objects` of a service whose every object is a document of its own.
pub fn no_sub_objects(_: &World) -> Vec<Listed> {
    Vec::new()
}

/// One row of `sandbox ls`: an object of the simulated cloud.
#[derive(Debug, Clone, serde::Serialize, PartialEq)]
pub struct Listed {
    pub service: String,
    pub kind: String,
    pub id: String,
    pub name: String,
    pub status: String,
}

/// The services a sandbox serves, handed in from above (the families' registration list).
#[derive(Clone)]
pub struct Catalogue {
    pub services: Vec<&'static Service>,
    /// Writes every service's seeds (a plain function, as the store keeps it).
    pub seed: fn(&mut World),
}

impl Catalogue {
    /// The service `name` of `family`.
    pub fn service(&self, family: &str, name: &str) -> Option<&'static Service> {
        self.services
            .iter()
            .copied()
            .find(|s| s.family == family && s.name == name)
    }
}
