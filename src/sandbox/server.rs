//! The sandbox HTTP server (axum): one router per service under its own path prefix, each
//! behind a fault-injection layer that answers throttling and 5xx in that service's format.

use super::faults::{Fault, FaultSpec, Faults};
use super::store::Store;
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
    };
    Router::new().nest(
        "/huaweicloud/rds",
        with_faults(
            super::huawei::router(sb.clone()),
            &sb,
            &super::huawei::PROFILE,
        ),
    )
}

fn with_faults(r: Router, sb: &Sandbox, profile: &'static Profile) -> Router {
    r.layer(middleware::from_fn_with_state(
        (sb.faults.clone(), profile),
        inject,
    ))
}

async fn inject(
    State((faults, profile)): State<(Arc<Faults>, &'static Profile)>,
    req: Request,
    next: Next,
) -> Response {
    let latency = faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match faults.roll((profile.mutating)(&req)) {
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
