//! Command Center sessions as cvpysdk and strata's client drive them: `GET /` (200: the
//! service runs), `POST /Login` (the base64 password; a `QSDK …` token, or a 200 whose
//! `errList` says why not), `POST /RenewLoginToken` (`sessionId`: a live token traded for a
//! new one — the old one ends — or a 200 whose `error` says it cannot be), `GET|POST /WhoAmI`
//! (the token's user) and `POST /Logout` (the token ends).
//!
//! Invariants: tokens live in this server's memory only, never in the world file, and expire
//! after `token_ttl_ms` without use (`STRATA_SANDBOX`, default Commvault's 30 minutes); an
//! expired or ended token is refused everywhere, renewal included, so the client must log
//! in again. The renewal is authenticated by its `sessionId`, not by the header (cvpysdk
//! renews after a 401, with the refused token still in its headers).

use super::{bad, decode_b64, fail, Answer, Cv, CREDENTIALS};
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The sandbox user's fixed identity, as Login and WhoAmI describe it.
const USER_GUID: &str = "5A7E3C0D-1B2F-4E8A-9C6D-0F1E2D3C4B5A";
const USER_ID: i64 = 1;

/// Live session tokens and when each was last used.
pub struct Tokens {
    ttl: Duration,
    last_used: Mutex<HashMap<String, Instant>>,
}

impl Tokens {
    pub fn new(ttl_ms: u64) -> Tokens {
        Tokens {
            ttl: Duration::from_millis(ttl_ms),
            last_used: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Instant>> {
        self.last_used.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn issue(&self) -> String {
        let token = format!(
            "QSDK {}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let mut m = self.lock();
        m.retain(|_, t| t.elapsed() < self.ttl);
        m.insert(token.clone(), Instant::now());
        token
    }

    /// Whether `token` is live; using it keeps it alive.
    fn touch(&self, token: &str) -> bool {
        let mut m = self.lock();
        match m.get_mut(token) {
            Some(t) if t.elapsed() < self.ttl => {
                *t = Instant::now();
                true
            }
            Some(_) => {
                m.remove(token);
                false
            }
            None => false,
        }
    }

    /// A live `token` traded for a new one; `None` when it is not live.
    fn renew(&self, token: &str) -> Option<String> {
        if !self.touch(token) {
            return None;
        }
        self.end(token);
        Some(self.issue())
    }

    fn end(&self, token: &str) {
        self.lock().remove(token);
    }
}

/// The `Authtoken` header, trimmed.
fn token_of(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("authtoken")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// Every call but `/`, the login and the renewal needs a live `Authtoken`.
pub async fn authorized(
    State(cv): State<Cv>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    if token_of(req.headers()).is_some_and(|t| cv.tokens.touch(t)) {
        next.run(req).await
    } else {
        fail(StatusCode::UNAUTHORIZED, 5, "Access Denied").into_response()
    }
}

/// `GET /`: the service answers (cvpysdk probes it before logging in).
pub async fn root() -> StatusCode {
    StatusCode::OK
}

/// What a login or a renewal answers: the user and the session's token.
fn session_answer(token: String) -> Value {
    json!({
        "aliasName": USER_ID.to_string(),
        "userGUID": USER_GUID,
        "userName": CREDENTIALS.key,
        "token": token,
        "isAccountLocked": false,
        "remainingLockTime": 0,
        "forcePasswordChange": false,
        "errList": [],
    })
}

fn json_body(body: &Bytes) -> Answer<Value> {
    serde_json::from_slice(body).map_err(|e| bad(&format!("Invalid request body: {e}")))
}

pub async fn login(State(cv): State<Cv>, body: Bytes) -> Answer<Json<Value>> {
    let req = json_body(&body)?;
    let user = req["username"].as_str().unwrap_or_default();
    let password = req["password"].as_str().and_then(decode_b64);
    if user != CREDENTIALS.key || password.as_deref() != Some(CREDENTIALS.secret) {
        return Ok(Json(json!({
            "errList": [{"errLogMessage": "Invalid Username or Password", "errorCode": 5}]
        })));
    }
    Ok(Json(session_answer(cv.tokens.issue())))
}

/// `POST /RenewLoginToken` `{"sessionId": token, "deviceId": …}` (the token with or without
/// its `QSDK ` prefix).
pub async fn renew(State(cv): State<Cv>, body: Bytes) -> Answer<Json<Value>> {
    let req = json_body(&body)?;
    let session = req["sessionId"].as_str().unwrap_or_default().trim();
    let token = if session.starts_with("QSDK ") {
        session.to_string()
    } else {
        format!("QSDK {session}")
    };
    Ok(Json(match cv.tokens.renew(&token) {
        Some(new) => session_answer(new),
        None => json!({"error": {
            "errorCode": 5,
            "errLogMessage": "The session has expired or is not valid. Please log in again."
        }}),
    }))
}

pub async fn who_am_i() -> Json<Value> {
    Json(json!({"user": {
        "userName": CREDENTIALS.key, "userGUID": USER_GUID, "userId": USER_ID, "_type_": 13
    }}))
}

/// `POST /Logout`: the token ends; the answer is plain text, as Commvault's is.
pub async fn logout(State(cv): State<Cv>, headers: HeaderMap) -> &'static str {
    if let Some(t) = token_of(&headers) {
        cv.tokens.end(t);
    }
    "User logged out"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_renewal_ends_the_old_token_and_an_expired_one_cannot_be_renewed() {
        let tokens = Tokens::new(60_000);
        let old = tokens.issue();
        let new = tokens.renew(&old).unwrap();
        assert!(new.starts_with("QSDK ") && new != old);
        assert!(!tokens.touch(&old), "the renewed token ended");
        assert!(tokens.touch(&new));
        assert!(tokens.renew(&old).is_none());
        let brief = Tokens::new(0);
        let t = brief.issue();
        assert!(brief.renew(&t).is_none(), "expired");
    }
}
