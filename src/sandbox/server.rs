//! The sandbox HTTP server (axum): every service of the [`Catalogue`] it is handed, at the
//! paths the real endpoints use ([`Mount`]): beneath its base paths, or at `/` shared with the
//! other services of one gateway and routed to the one that claims each request. Each service
//! is behind a fault-injection layer that answers throttling and 5xx in that service's
//! format; `/_sandbox/stats` counts requests.
//!
//! Invariant: the server knows no service by name: what it mounts comes from the catalogue.

use super::faults::{Fault, FaultSpec, Faults};
use super::store::Store;
use super::world::{Catalogue, Head, Mount, Operation, Profile, Sandbox, Stats};
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
    let mut app = Router::new();
    let mut shared = Vec::new();
    for service in &catalogue.services {
        let routes = with_faults((service.router)(sb.clone()), &sb, service.profile);
        match service.mount {
            Mount::At(paths) => {
                for path in paths {
                    app = match *path {
                        "" => app.merge(routes.clone()),
                        // As a nested service (not a nested router), the service's root
                        // answers with and without the trailing slash
                        // (`…/commandcenter/api/`, which cvpysdk probes).
                        p => app.nest_service(p, routes.clone()),
                    };
                }
            }
            Mount::Shared { claims, operation } => shared.push(Shared {
                claims,
                operation,
                name: service.name,
                routes,
            }),
        }
    }
    if !shared.is_empty() {
        let shared = Arc::new(shared);
        app = app.route(
            "/",
            axum::routing::any(move |req: Request| dispatch(shared.clone(), req)),
        );
    }
    let served = served(catalogue);
    app.route("/_sandbox/stats", stats_routes(&sb.stats))
        .fallback(move |req: Request| not_served(served.clone(), req))
}

/// What the sandbox serves, for the answer to a request it does not: each mounted path (`/`
/// for the shared one) with the services there.
fn served(catalogue: &Catalogue) -> Arc<String> {
    let mut at: Vec<String> = Vec::new();
    for service in &catalogue.services {
        match service.mount {
            Mount::At(paths) => at.extend(paths.iter().map(|p| match *p {
                "" => format!("{}: its API paths at the root", service.name),
                p => format!("{}: {p}/…", service.name),
            })),
            Mount::Shared { .. } => at.push(format!("{}: / (RPC)", service.name)),
        }
    }
    Arc::new(at.join("; "))
}

/// 404 with a JSON body naming the request and what the sandbox does serve (never an empty
/// answer a client cannot explain).
async fn not_served(served: Arc<String>, req: Request) -> Response {
    sandbox_error(
        axum::http::StatusCode::NOT_FOUND,
        "Sandbox.NotFound",
        format!(
            "the sandbox serves nothing at {} {}; it serves {served}",
            req.method(),
            req.uri().path()
        ),
    )
}

/// An answer of the sandbox itself (not of a service): `{"code", "message"}` JSON.
fn sandbox_error(status: axum::http::StatusCode, code: &str, message: String) -> Response {
    use axum::response::IntoResponse;
    let body = serde_json::json!({ "code": code, "message": message });
    (status, axum::Json(body)).into_response()
}

/// `/_sandbox/stats`: GET the request counts, DELETE to reset them.
fn stats_routes(stats: &Stats) -> axum::routing::MethodRouter {
    let (stats, reset) = (stats.clone(), stats.clone());
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
    })
}

/// A service of the shared mount at `/`.
struct Shared {
    claims: fn(&Head) -> u8,
    operation: fn(&Head) -> String,
    name: &'static str,
    routes: Router,
}

/// The largest request body a shared mount reads to route it.
const MAX_BODY: usize = 16 << 20;

/// Route a request at `/` to the service that claims it most surely (the first one when none
/// does, whose own answer explains what it does not serve), its operation noted on it.
async fn dispatch(shared: Arc<Vec<Shared>>, req: Request) -> Response {
    use tower::ServiceExt;
    let (mut parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return sandbox_error(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "Sandbox.RequestTooLarge",
            format!("a request body at / is at most {MAX_BODY} bytes"),
        );
    };
    let mut params = parts.uri.query().map(super::url_pairs).unwrap_or_default();
    if super::is_form(&parts.headers) {
        params.extend(super::url_pairs(&String::from_utf8_lossy(&bytes)));
    }
    let head = Head {
        headers: &parts.headers,
        params: &params,
    };
    let chosen = shared
        .iter()
        .map(|s| ((s.claims)(&head), s))
        .max_by_key(|(claim, _)| *claim)
        .filter(|(claim, _)| *claim > 0)
        .map(|(_, s)| s)
        .or_else(|| shared.first());
    let Some(service) = chosen else {
        return sandbox_error(
            axum::http::StatusCode::NOT_FOUND,
            "Sandbox.NotFound",
            "no service of this sandbox is served at /".into(),
        );
    };
    let operation = format!("{}:{}", service.name, (service.operation)(&head));
    parts.extensions.insert(Operation(operation));
    let req = Request::from_parts(parts, axum::body::Body::from(bytes));
    match service.routes.clone().oneshot(req).await {
        Ok(r) => r,
        Err(never) => match never {},
    }
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
    // services sharing `/` are counted by operation
    let operation = req
        .extensions()
        .get::<Operation>()
        .map(|o| format!(" {}", o.0))
        .unwrap_or_default();
    let call = format!("{} {route}{operation}", req.method());
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
        let _ = writeln!(o, "{}", banner(&local.to_string(), catalogue));
        let _ = o.flush();
    }
    axum::serve(listener, router(store, spec, catalogue))
        .await
        .map_err(|e| e.to_string())
}

/// What `sandbox serve` prints on start: where it listens, how strata uses it, and what a user
/// of each vendor's SDK sets (each line once).
pub fn banner(host: &str, catalogue: &Catalogue) -> String {
    let mut lines = vec![
        format!("strata sandbox listening on http://{host}"),
        format!("use it from another shell with: export STRATA_SANDBOX_URL=http://{host}"),
        "the vendors' own SDKs reach it with:".to_string(),
    ];
    for service in &catalogue.services {
        for line in service.sdk_settings(host) {
            let line = format!("  {line}");
            if !lines.contains(&line) {
                lines.push(line);
            }
        }
    }
    lines.join("\n")
}
