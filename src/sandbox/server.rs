//! The sandbox HTTP server (axum): one router per service under its own path prefix, each
//! behind a fault-injection layer that answers throttling and 5xx in that service's format.

use super::faults::{Fault, FaultSpec, Faults};
use super::store::Store;
use crate::providers::alicloud::client::Product;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
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

pub fn router(store: Arc<Store>, spec: FaultSpec) -> Router {
    let sb = Sandbox {
        store,
        faults: Arc::new(Faults::new(spec)),
        stats: Stats::default(),
    };
    let stats = sb.stats.clone();
    let reset = sb.stats.clone();
    Router::new()
        .nest(
            "/huaweicloud/rds",
            with_faults(
                super::huawei::router(sb.clone()),
                &sb,
                &super::huawei::PROFILE,
            ),
        )
        .nest(
            "/alicloud/gpdb",
            alicloud_service(&sb, Product::Gpdb, super::alicloud::gpdb::handle),
        )
        .nest(
            "/alicloud/dataworks",
            alicloud_service(&sb, Product::DataWorks, super::alicloud::dataworks::handle),
        )
        .nest(
            "/alicloud/selectdb",
            alicloud_service(&sb, Product::SelectDb, super::alicloud::selectdb::handle),
        )
        .nest(
            "/commvault/commandcenter/api",
            with_faults(
                super::commvault::router(sb.clone()),
                &sb,
                &super::commvault::PROFILE,
            ),
        )
        .route(
            "/_sandbox/stats",
            axum::routing::get(move || {
                let s = stats.clone();
                async move { axum::Json(s.snapshot()) }
            })
            .delete(move || {
                let s = reset.clone();
                async move {
                    s.reset();
                    axum::http::StatusCode::NO_CONTENT
                }
            }),
        )
}

fn alicloud_service(sb: &Sandbox, product: Product, handler: super::alicloud::Handler) -> Router {
    with_faults(
        super::alicloud::router(sb.clone(), product, handler),
        sb,
        &super::alicloud::PROFILE,
    )
}

fn with_faults(r: Router, sb: &Sandbox, profile: &'static Profile) -> Router {
    r.layer(middleware::from_fn_with_state(
        (sb.faults.clone(), profile, sb.stats.clone()),
        inject,
    ))
}

async fn inject(
    State((faults, profile, stats)): State<(Arc<Faults>, &'static Profile, Stats)>,
    req: Request,
    next: Next,
) -> Response {
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|m| m.as_str().to_string())
        .or_else(|| {
            req.extensions()
                .get::<axum::extract::OriginalUri>()
                .map(|u| u.0.path().to_string())
        })
        .unwrap_or_else(|| req.uri().path().to_string());
    // RPC services share one path: count them by action
    let action = req
        .headers()
        .get("x-acs-action")
        .and_then(|v| v.to_str().ok())
        .map(|a| format!(" {a}"))
        .unwrap_or_default();
    let call = format!("{} {route}{action}", req.method());
    let fault = faults.roll(&call, (profile.mutating)(&req));
    stats.count(call);
    let latency = faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match fault {
        Fault::None => next.run(req).await,
        Fault::Throttle => (profile.throttle)(),
        Fault::FailBefore => (profile.internal)(),
        Fault::FailAfter => {
            let _ = next.run(req).await;
            (profile.internal)()
        }
    }
}

/// Run the sandbox as a standalone server until the process ends.
pub async fn serve(store: Arc<Store>, spec: FaultSpec, addr: &str) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let local = listener
        .local_addr()
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    {
        // The banner may go to a pipe nobody reads to the end: never fail on it.
        use std::io::Write;
        let mut o = std::io::stdout();
        let _ = writeln!(
            o,
            "strata sandbox listening on http://{local}\nuse it from another shell with: export STRATA_SANDBOX_URL=http://{local}"
        );
        let _ = o.flush();
    }
    axum::serve(listener, router(store, spec))
        .await
        .map_err(|e| e.to_string())
}
