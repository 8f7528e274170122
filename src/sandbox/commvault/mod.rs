//! Commvault's Command Center REST API — what registers an Alibaba PaaS PostgreSQL database
//! for backup, and what Commvault's own SDK (cvpysdk) calls on the way — as the real one
//! serves it, under its real base path `/commandcenter/api` (and older installs'
//! `/webconsole/api`):
//!
//! - Sessions (`session.rs`): `GET /` (the SDK's probe that the service runs), `POST /Login`,
//!   `POST /RenewLoginToken`, `GET|POST /WhoAmI`, `POST /Logout`; every call but the first
//!   three needs a live `Authtoken`, else 401 `{"errorMessage":"Access Denied","errorCode":5}`.
//! - Clients and agents (`clients.rs`): `GET /Client` (and its `hiddenclients` /
//!   `PseudoClientType` variants), `GET /Client/{id}`, `GET /Agent?clientId=…`,
//!   `GET /VSAClientAndClientGroupList`.
//! - Instances (`instances.rs`, `register.rs`): `POST /instance`, `GET /instance?clientId=…`
//!   (or `clientName`, `applicationId`), `GET /instance/{id}`, `DELETE /instance/{id}`.
//! - Seeds (`seed.rs`): client `alibaba-prod` (clientId 444), client `alibaba-dr` (445) whose
//!   access node is offline, plan `Server plan`, three reachable PaaS PostgreSQL databases.
//!
//! Invariants: paths are case-insensitive as Commvault's are (cvpysdk writes `/Instance`,
//! `/Client`, strata `/instance`): every route is served in its documented spelling and in
//! lower case. Errors are in Commvault's formats: a non-2xx `{"errorMessage", "errorCode"}`,
//! a 200 whose `response` carries `errorCode` and `errorString` (what cvpysdk reads), a
//! refused login's `errList`, a refused renewal's `error`. Throttling (429) and 5xx faults use
//! the first (`PROFILE`). No password is ever kept or answered.

mod clients;
mod instances;
mod register;
mod seed;
mod session;

use super::world::{Credentials, Mount, Profile, Sandbox, Service};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::{Json, Router};
use serde_json::{json, Value};

pub use seed::SEED_DATABASES;

const CLIENTS: &str = "commvault/client";
const PLANS: &str = "commvault/plan";
const DATABASES: &str = "commvault/database";
const INSTANCES: &str = "commvault/instance";
/// The CommServe's own document: it hands out instance and subclient ids.
const COMMSERVE: &str = "commvault/commserve";
const COMMSERVE_ID: &str = "2";

/// The agent (iDataAgent) that registers cloud databases: PostgreSQL, application id 125.
const APPLICATION_ID: i64 = 125;
const APP_NAME: &str = "PostgreSQL";

/// The sandbox's own Command Center user (name and password), the only one it knows.
pub const CREDENTIALS: Credentials = Credentials {
    key: "admin",
    secret: "sandbox-commvault-password",
};

/// Command Center as the sandbox serves it, at its API's real base path
/// (`/commandcenter/api`; older installs' `/webconsole/api` too).
pub static SERVICE: Service = Service {
    family: "commvault",
    name: "commandcenter",
    mount: Mount::At(&["/commandcenter/api", "/webconsole/api"]),
    router,
    profile: &PROFILE,
    seed: seed::seed,
    credentials: CREDENTIALS,
    sdk: &[
        "Commvault SDK (cvpysdk): Commcell('{host}', '{key}', '{secret}') (it tries https, then http), or with web_service_url='{url}'",
        "Commvault REST API: base URL {url}, POST {url}/Login as '{key}' with the password '{secret}' in Base64",
    ],
    sub_objects: super::world::no_sub_objects,
};

pub static PROFILE: Profile = Profile {
    throttle: || {
        error(
            StatusCode::TOO_MANY_REQUESTS,
            429,
            "Too many requests: the API request limit was reached. Try again later.",
        )
    },
    internal: || {
        error(
            StatusCode::INTERNAL_SERVER_ERROR,
            500,
            "Internal server error. Please try again later.",
        )
    },
    mutating: super::world::rest_mutating,
};

/// An error answer in Commvault's format.
pub struct CvError {
    status: StatusCode,
    code: i64,
    msg: String,
    entity: Option<Value>,
}

impl IntoResponse for CvError {
    fn into_response(self) -> Response {
        let mut body = json!({ "errorMessage": self.msg, "errorCode": self.code });
        if let Some(e) = self.entity {
            body["entity"] = e;
        }
        (self.status, Json(body)).into_response()
    }
}

type Answer<T> = Result<T, CvError>;

fn fail(status: StatusCode, code: i64, msg: &str) -> CvError {
    CvError {
        status,
        code,
        msg: msg.to_string(),
        entity: None,
    }
}

fn error(status: StatusCode, code: i64, msg: &str) -> Response {
    fail(status, code, msg).into_response()
}

fn bad(msg: &str) -> CvError {
    fail(StatusCode::BAD_REQUEST, 1, msg)
}

fn internal(e: String) -> CvError {
    fail(StatusCode::INTERNAL_SERVER_ERROR, 500, &e)
}

fn client_not_found(name: &str) -> CvError {
    fail(
        StatusCode::NOT_FOUND,
        2,
        &format!("Client [{name}] does not exist."),
    )
}

fn decode_b64(s: &str) -> Option<String> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
}

/// Backup and restore enabled: the `activityControlOptions` of a client, agent or instance.
fn activities(types: &[i64]) -> Value {
    let options: Vec<Value> = types
        .iter()
        .map(|t| json!({"activityType": t, "enableAfterADelay": false, "enableActivityType": true}))
        .collect();
    json!({ "activityControlOptions": options })
}

#[derive(Clone)]
struct Cv {
    sb: Sandbox,
    tokens: std::sync::Arc<session::Tokens>,
}

pub fn router(sb: Sandbox) -> Router {
    let cv = Cv {
        tokens: std::sync::Arc::new(session::Tokens::new(sb.faults.spec.token_ttl_ms)),
        sb,
    };
    let open = [
        ("/", get(session::root)),
        ("/Login", post(session::login)),
        ("/RenewLoginToken", post(session::renew)),
    ];
    let guarded = [
        ("/WhoAmI", get(session::who_am_i).post(session::who_am_i)),
        ("/Logout", post(session::logout)),
        ("/Client", get(clients::list)),
        ("/Client/{id}", get(clients::show)),
        ("/Agent", get(clients::agents)),
        ("/VSAClientAndClientGroupList", get(clients::access_nodes)),
        ("/Instance", get(instances::list).post(register::create)),
        (
            "/Instance/{id}",
            get(instances::show).delete(instances::remove),
        ),
    ];
    let api = routes(guarded).route_layer(axum::middleware::from_fn_with_state(
        cv.clone(),
        session::authorized,
    ));
    routes(open).merge(api).with_state(cv)
}

/// Each path in its documented spelling and in lower case (Commvault's paths ignore case).
fn routes<const N: usize>(table: [(&str, MethodRouter<Cv>); N]) -> Router<Cv> {
    table.into_iter().fold(Router::new(), |r, (path, methods)| {
        let lower = path.to_ascii_lowercase();
        if lower == path {
            r.route(path, methods)
        } else {
            r.route(path, methods.clone()).route(&lower, methods)
        }
    })
}
