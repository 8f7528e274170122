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

/// Requests served, by method and route (`GET /v3/{project}/configurations`, or
/// `POST / gpdb:CreateDBInstance` for a shared mount),
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

/// Where a service answers, as the real endpoint does.
pub enum Mount {
    /// Beneath each of these base paths (`/commandcenter/api`); the first is the one strata's
    /// clients use. `""` mounts the service's routes at the root (`/v3/…`).
    At(&'static [&'static str]),
    /// At `/`, shared with the other services of one gateway (Alibaba's RPC products): each
    /// request goes to the service that claims it most surely.
    Shared {
        /// How surely a request is this service's: 0 not at all, higher is surer (an API
        /// version of its own outranks a host name of its own).
        claims: fn(&Head) -> u8,
        /// The operation the request calls (its action), for request counts and faults.
        operation: fn(&Head) -> String,
    },
}

/// What a shared mount looks at to route a request: its headers and its parameters (query
/// string, then a form body's pairs).
pub struct Head<'a> {
    pub headers: &'a axum::http::HeaderMap,
    pub params: &'a [(String, String)],
}

impl Head<'_> {
    /// Header `name`, when present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The first parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The host name the request was sent to, without its port.
    pub fn host(&self) -> &str {
        let host = self.header("host").unwrap_or_default();
        host.rsplit_once(':')
            .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
            .map_or(host, |(name, _)| name)
    }
}

/// The operation a shared mount's request calls, as `service:operation` (`gpdb:CreateDBInstance`,
/// the vendor's own notation), set on the request by the server for the layers beneath it.
#[derive(Clone, Debug)]
pub struct Operation(pub String);

/// One simulated service: reached where its [`Mount`] says, behind the fault layer with its
/// `profile`, its seed objects written into a new world.
pub struct Service {
    /// The provider family it serves (`alicloud`).
    pub family: &'static str,
    /// The service's name within the family, as the family's client asks for it (`gpdb`).
    pub name: &'static str,
    pub mount: Mount,
    pub router: fn(Sandbox) -> Router,
    pub profile: &'static Profile,
    pub seed: fn(&mut World),
    pub credentials: Credentials,
    /// What a user of the vendor's own SDKs sets to reach the service, one line per SDK, with
    /// `{url}` (`http://HOST:PORT` and the base path), `{host}` (`HOST:PORT`), `{key}` and
    /// `{secret}` filled in by [`Service::sdk_settings`].
    pub sdk: &'static [&'static str],
    /// The objects it keeps inside other objects' documents (a SelectDB instance's clusters
    /// and bindings), as `sandbox ls` rows: every document is a row already.
    pub sub_objects: fn(&World) -> Vec<Listed>,
}

impl Service {
    /// The path a client's base URL ends with (`/commandcenter/api`; empty for a service at
    /// the root).
    pub fn base_path(&self) -> &'static str {
        match self.mount {
            Mount::At(paths) => paths.first().copied().unwrap_or_default(),
            Mount::Shared { .. } => "",
        }
    }

    /// The `sdk` lines for a sandbox at `http://{host}`.
    pub fn sdk_settings(&self, host: &str) -> Vec<String> {
        let url = format!("http://{host}{}", self.base_path());
        self.sdk
            .iter()
            .map(|line| {
                line.replace("{url}", &url)
                    .replace("{host}", host)
                    .replace("{key}", self.credentials.key)
                    .replace("{secret}", self.credentials.secret)
            })
            .collect()
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
