//! The sandbox HTTP server (axum): one router per service of the [`Catalogue`] it is handed,
//! under the service's own path prefix, each behind a fault-injection layer that answers
//! throttling and 5xx in that service's format, plus `/_sandbox/stats`.
//!
//! Invariant: the server knows no service by name: what it mounts comes from the catalogue.

use super::faults::{Fault, FaultSpec, Faults};
use super::store::Store;
use super::world::{Catalogue, Profile, Sandbox, Stats};
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use std::sync::Arc;

pub fn router(store: Arc<Store>, spec: FaultSpec, catalogue: &Catalogue) -> Router {
    let sb = Sandbox {
        store,
        faults: Arc::new(Faults::new(spec)),
        stats: Stats::default(),
    };
    let stats = sb.stats.clone();
    let reset = sb.stats.clone();
    let mut app = Router::new();
    for service in &catalogue.services {
        // As a nested service (not a nested router), a service's root answers with and
        // without the trailing slash (`…/commandcenter/api/`, which cvpysdk probes).
        app = app.nest_service(
            &service.prefix(),
            with_faults((service.router)(sb.clone()), &sb, service.profile),
        );
    }
    app.route(
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
pub async fn serve(
    store: Arc<Store>,
    spec: FaultSpec,
    addr: &str,
    catalogue: &Catalogue,
) -> Result<(), String> {
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
    axum::serve(listener, router(store, spec, catalogue))
        .await
        .map_err(|e| e.to_string())
}
