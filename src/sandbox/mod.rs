//! The sandbox: an embedded simulated cloud speaking the real wire protocols (paths, bodies,
//! error codes, signature checks, asynchronous states), persisted under `state/sandbox.json`.
//! Runs in-process for `endpoint: sandbox`, or standalone with `strata sandbox serve`.

pub mod alicloud;
pub mod commvault;
pub mod faults;
pub mod huawei;
pub mod server;
pub mod store;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use store::{Store, World};
use tokio::sync::OnceCell;

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

/// Every service's seed objects.
pub fn seed(w: &mut World) {
    huawei::seed(w);
    alicloud::gpdb::seed(w);
    alicloud::dataworks::seed(w);
    alicloud::selectdb::seed(w);
    commvault::seed(w);
}

/// Where the sandbox keeps its world by default.
pub fn default_path() -> PathBuf {
    match std::env::var("STRATA_SANDBOX_FILE") {
        Ok(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from("state").join("sandbox.json"),
    }
}

pub fn open_store(path: &Path) -> Arc<Store> {
    Arc::new(Store::open(path, seed))
}

/// One row of `sandbox ls`.
#[derive(Debug, Clone, serde::Serialize, PartialEq)]
pub struct Listed {
    pub service: String,
    pub kind: String,
    pub id: String,
    pub name: String,
    pub status: String,
}

pub fn list(store: &Store) -> Result<Vec<Listed>, String> {
    store.read(|w| {
        let mut out = Vec::new();
        for (coll, docs) in &w.colls {
            let (service, kind) = coll.split_once('/').unwrap_or((coll.as_str(), ""));
            for (id, doc) in docs {
                if store::status(doc).as_deref() == Some("Deleted") {
                    continue; // released; kept only until the sandbox is reset
                }
                out.push(Listed {
                    service: service.to_string(),
                    kind: kind.to_string(),
                    id: id.clone(),
                    name: doc["name"].as_str().unwrap_or_default().to_string(),
                    status: store::status(doc).unwrap_or_default(),
                });
            }
        }
        out
    })
}

/// Gives providers the sandbox's base URL: `STRATA_SANDBOX_URL` when set (a standalone
/// `strata sandbox serve`), else an in-process server started on first use.
pub struct Connector {
    path: PathBuf,
    url: OnceCell<String>,
}

impl Connector {
    pub fn new(path: PathBuf) -> Connector {
        Connector {
            path,
            url: OnceCell::new(),
        }
    }

    pub async fn url(&self) -> Result<String, String> {
        if let Ok(u) = std::env::var("STRATA_SANDBOX_URL") {
            if !u.is_empty() {
                return Ok(u.trim_end_matches('/').to_string());
            }
        }
        self.url
            .get_or_try_init(|| async {
                let store = open_store(&self.path);
                let spec = faults::FaultSpec::from_env()?;
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .map_err(|e| format!("cannot start the sandbox: {e}"))?;
                let addr = listener
                    .local_addr()
                    .map_err(|e| format!("cannot start the sandbox: {e}"))?;
                let app = server::router(store, spec);
                tokio::spawn(async move {
                    let _ = axum::serve(listener, app).await;
                });
                Ok(format!("http://{addr}"))
            })
            .await
            .cloned()
    }
}
