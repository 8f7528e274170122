//! The sandbox: an embedded simulated cloud speaking the real wire protocols (paths, bodies,
//! error codes, signature checks, asynchronous states), persisted under `state/sandbox.json`.
//! Runs in-process for `endpoint: sandbox`, or standalone with `strata sandbox serve`.
//!
//! Architecture invariant: the sandbox never imports the providers' clients nor the
//! families above it: it owns its credentials, signature verifiers (`signature/`) and product
//! tables, and what it serves is handed in as a [`Catalogue`] of [`world::Service`]s.

pub mod alicloud;
pub mod commvault;
pub mod faults;
pub mod huawei;
pub mod huawei_iam;
pub mod server;
pub mod signature;
pub mod store;
pub mod temporary;
pub mod world;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use store::Store;
use tokio::sync::OnceCell;
pub use world::{Catalogue, Credentials, Listed, Service};

/// Decoded `name=value` pairs of a query string or form body (`+` is a space).
pub fn url_pairs(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let dec = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (dec(k), dec(v))
        })
        .collect()
}

/// A form-encoded body, whose pairs are parameters like the query string's.
pub fn is_form(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
}

/// A plain HTTP/1.1 request to a standalone sandbox's own routes (`/_sandbox/stats`): the
/// answer's body. For benchmarks and tests that count calls.
pub fn admin_request(base_url: &str, method: &str, path: &str) -> std::io::Result<String> {
    use std::io::{Read, Write};
    let host = base_url.trim_start_matches("http://").trim_end_matches('/');
    let mut s = std::net::TcpStream::connect(host)?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out.split("\r\n\r\n").nth(1).unwrap_or_default().to_string())
}

/// Where the sandbox keeps its world by default.
pub fn default_path() -> PathBuf {
    match std::env::var("STRATA_SANDBOX_FILE") {
        Ok(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from("state").join("sandbox.json"),
    }
}

/// The world at `path`, seeded by the catalogue's services when new.
pub fn open_store(path: &Path, catalogue: &Catalogue) -> Arc<Store> {
    Arc::new(Store::open(path, catalogue.seed))
}

/// Every object of the world as `sandbox ls` lists it, ordered by service, kind and id: a row
/// per document of each collection (`service/kind`) but those released (`Deleted`), and the
/// sub-objects each service of the catalogue keeps inside its documents.
pub fn rows(w: &store::World, catalogue: &Catalogue) -> Vec<Listed> {
    let mut out = Vec::new();
    for (coll, docs) in &w.colls {
        let (service, kind) = coll.split_once('/').unwrap_or((coll.as_str(), ""));
        for (id, doc) in docs {
            let status = store::status(doc).unwrap_or_default();
            if status == "Deleted" {
                continue; // released; kept only until the sandbox is reset
            }
            out.push(Listed {
                service: service.to_string(),
                kind: kind.to_string(),
                id: id.clone(),
                name: doc["name"].as_str().unwrap_or_default().to_string(),
                status,
            });
        }
    }
    for s in &catalogue.services {
        out.extend((s.sub_objects)(w));
    }
    out.sort_by(|a, b| (&a.service, &a.kind, &a.id).cmp(&(&b.service, &b.kind, &b.id)));
    out
}

/// [`rows`] of the world in `store`.
pub fn list(store: &Store, catalogue: &Catalogue) -> Result<Vec<Listed>, String> {
    store.read(|w| rows(w, catalogue))
}

/// Gives the sandbox's base URL: `STRATA_SANDBOX_URL` when set (a standalone
/// `strata sandbox serve`), else an in-process server started on first use.
pub struct Connector {
    path: PathBuf,
    catalogue: Catalogue,
    url: OnceCell<String>,
}

impl Connector {
    pub fn new(path: PathBuf, catalogue: Catalogue) -> Connector {
        Connector {
            path,
            catalogue,
            url: OnceCell::new(),
        }
    }

    /// The services this sandbox serves.
    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    pub async fn url(&self) -> Result<String, String> {
        if let Ok(u) = std::env::var("STRATA_SANDBOX_URL") {
            if !u.is_empty() {
                return Ok(u.trim_end_matches('/').to_string());
            }
        }
        self.url
            .get_or_try_init(|| async {
                let store = open_store(&self.path, &self.catalogue);
                let spec = faults::FaultSpec::from_env()?;
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .map_err(|e| format!("cannot start the sandbox: {e}"))?;
                let addr = listener
                    .local_addr()
                    .map_err(|e| format!("cannot start the sandbox: {e}"))?;
                let app = server::router(store, spec, &self.catalogue);
                tokio::spawn(async move {
                    let _ = axum::serve(listener, app).await;
                });
                Ok(format!("http://{addr}"))
            })
            .await
            .cloned()
    }
}
