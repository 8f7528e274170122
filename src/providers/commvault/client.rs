//! The Commvault Command Center REST client: logs in (`POST /Login` with the base64 password)
//! for a `QSDK` token, sends it as `Authtoken` on every call, logs in again once when a call is
//! refused (401) or the token sat idle past Commvault's 30 minutes, and turns Commvault's error
//! answers — `errorMessage` / `errorCode` bodies, and a 200 whose `response.errorCode` is not 0
//! — into provider errors carrying the API's code and message verbatim.

use crate::providers::http::{self, Sender, Sends};
use crate::providers::{ProviderError, Result};
use base64::Engine;
use reqwest::Method;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Commvault ends a session after 30 minutes without calls: a token idle that long is
/// replaced before use instead of being sent to be refused.
pub const IDLE_LIMIT: Duration = Duration::from_secs(30 * 60);

/// Where `COMMVAULT_AUTHTOKEN` came from, for the message when it is refused.
const TOKEN_HINT: &str = "the token (COMMVAULT_AUTHTOKEN) was refused and there are no \
                          credentials to log in again: set COMMVAULT_USERNAME and COMMVAULT_PASSWORD";

/// A user name and password to log in with.
pub struct Credentials {
    pub username: String,
    pub password: String,
}

#[derive(Default)]
struct Session {
    token: Option<String>,
    last_used: Option<Instant>,
}

pub struct CvClient {
    base: String,
    credentials: Option<Credentials>,
    session: Mutex<Session>,
    sender: Sender,
}

/// `QSDK <token>` as the header wants it (a bare token gets the prefix, as cvpysdk does).
pub fn header_token(token: &str) -> String {
    let t = token.trim();
    if ["QSDK ", "SAML ", "Bearer "]
        .iter()
        .any(|p| t.starts_with(p))
    {
        t.to_string()
    } else {
        format!("QSDK {t}")
    }
}

/// A JSON number or string as text (`1060` → "1060").
pub fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

fn code_of(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The first non-empty message among `keys` of `v`.
fn message_of(v: &Value, keys: &[&str]) -> Option<String> {
    keys.iter()
        .filter_map(|k| v[*k].as_str())
        .find(|s| !s.is_empty())
        .map(String::from)
}

/// A failure answered with HTTP 200: `errorCode` not 0 (top level or in `response`, an object
/// or, for deletes, an array), or an `errorString`.
pub fn answer_error(body: &Value) -> Option<ProviderError> {
    const MESSAGES: &[&str] = &["errorMessage", "errorString", "warningMessage"];
    let failed = |v: &Value| {
        let code = code_of(&v["errorCode"]).unwrap_or(0);
        let string = v["errorString"].as_str().is_some_and(|s| !s.is_empty());
        (code != 0 || string).then(|| {
            let message = message_of(v, MESSAGES)
                .unwrap_or_else(|| "the API reported a failure without a message".into());
            let mut e = ProviderError::new(code.to_string(), message);
            e.status = Some(200);
            e
        })
    };
    let mut candidates: Vec<&Value> = vec![body];
    match &body["response"] {
        Value::Array(items) => candidates.extend(items),
        v @ Value::Object(_) => candidates.push(v),
        _ => {}
    }
    candidates.into_iter().find_map(failed)
}

/// The error for a non-2xx answer: `errorCode` (as text) and `errorMessage`, verbatim.
/// Throttling and 5xx are worth retrying; 5xx may have taken effect.
pub fn status_error(status: u16, bytes: &[u8]) -> ProviderError {
    let parsed: Value = serde_json::from_slice(bytes).unwrap_or_default();
    let code = code_of(&parsed["errorCode"])
        .map(|c| c.to_string())
        .unwrap_or_else(|| "HTTPError".into());
    let message = message_of(&parsed, &["errorMessage", "errorString", "errLogMessage"])
        .unwrap_or_else(|| {
            let text: String = String::from_utf8_lossy(bytes).chars().take(300).collect();
            if text.trim().is_empty() {
                format!("HTTP {status} without a body")
            } else {
                text
            }
        });
    let mut e = ProviderError::new(code, message);
    e.status = Some(status);
    e.retryable = status == 429 || status >= 500;
    e.ambiguous = status >= 500;
    e
}

impl Sends for CvClient {
    fn sender_mut(&mut self) -> &mut Sender {
        &mut self.sender
    }
}

impl CvClient {
    /// A client for the API at `base` (`https://host/commandcenter/api`). `token` (from
    /// `COMMVAULT_AUTHTOKEN`) is used until refused; `credentials` log in (again).
    pub fn new(
        base: &str,
        credentials: Option<Credentials>,
        token: Option<&str>,
        max_concurrency: usize,
    ) -> std::result::Result<CvClient, String> {
        let url = reqwest::Url::parse(base).map_err(|e| format!("endpoint \"{base}\": {e}"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(format!(
                "endpoint \"{base}\": expected an http(s) URL such as https://<CommandCenterHostName>/commandcenter/api"
            ));
        }
        if credentials.is_none() && token.is_none() {
            return Err("no credentials and no token".into());
        }
        Ok(CvClient {
            base: base.trim_end_matches('/').to_string(),
            credentials,
            session: Mutex::new(Session {
                token: token.map(header_token),
                last_used: token.map(|_| Instant::now()),
            }),
            sender: Sender::new(max_concurrency),
        })
    }

    /// Call the API with the session's token; returns the JSON body (`Null` when empty).
    /// Errors keep the HTTP status (404 for the caller to interpret).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        idempotent: bool,
    ) -> Result<Value> {
        let body = http::json_bytes(body);
        http::with_retry(self.sender.policy, idempotent, || {
            self.authorized(&method, path, &body)
        })
        .await
    }

    /// One call; a 401 gets one new login and one more try.
    async fn authorized(&self, method: &Method, path: &str, body: &[u8]) -> Result<Value> {
        let token = self.token().await?;
        let r = match self.once(method, path, body, Some(&token)).await {
            Err(e) if e.status == Some(401) => {
                let fresh = self.login_again(&token, e).await?;
                self.once(method, path, body, Some(&fresh)).await
            }
            r => r,
        };
        if r.is_ok() {
            self.session.lock().await.last_used = Some(Instant::now());
        }
        r
    }

    /// The current token, logging in first when there is none or it has been idle too long.
    async fn token(&self) -> Result<String> {
        let mut s = self.session.lock().await;
        let fresh = s.last_used.is_some_and(|t| t.elapsed() < IDLE_LIMIT);
        match (&s.token, fresh) {
            (Some(t), true) => Ok(t.clone()),
            (Some(t), false) if self.credentials.is_none() => Ok(t.clone()),
            _ => {
                let t = self.login().await?;
                s.token = Some(t.clone());
                s.last_used = Some(Instant::now());
                Ok(t)
            }
        }
    }

    /// After `stale` was refused: log in again, unless another call already did.
    async fn login_again(&self, stale: &str, refused: ProviderError) -> Result<String> {
        let mut s = self.session.lock().await;
        if let Some(t) = s.token.as_deref().filter(|t| *t != stale) {
            return Ok(t.to_string());
        }
        if self.credentials.is_none() {
            let mut e = refused;
            e.message = format!("{} ({TOKEN_HINT})", e.message);
            return Err(e);
        }
        let t = self.login().await?;
        s.token = Some(t.clone());
        s.last_used = Some(Instant::now());
        Ok(t)
    }

    /// `POST /Login`: the token, or the reason it was refused. A failed login took no effect
    /// on anything else, so its errors are never ambiguous for the call that needed it.
    async fn login(&self) -> Result<String> {
        let Some(c) = &self.credentials else {
            return Err(ProviderError::new(
                "5",
                format!("Access Denied ({TOKEN_HINT})"),
            ));
        };
        let body = serde_json::to_vec(&json!({
            "username": c.username,
            "password": base64::engine::general_purpose::STANDARD.encode(c.password.as_bytes()),
            "domain": "",
            "commserver": "",
            "deviceId": "strata",
            "timeout": 30,
            "mode": 4,
            "clientType": 30,
        }))
        .unwrap_or_default();
        let answer = http::with_retry(self.sender.policy, true, || {
            self.once(&Method::POST, "/Login", &body, None)
        })
        .await
        .map_err(|mut e| {
            e.message = format!("login as \"{}\" failed: {}", c.username, e.message);
            e.retryable = false;
            e.ambiguous = false;
            e
        })?;
        let token = answer["token"]
            .as_str()
            .or_else(|| answer["data"]["authToken"].as_str())
            .filter(|t| !t.is_empty());
        match token {
            Some(t) => Ok(header_token(t)),
            None => {
                let first = &answer["errList"][0];
                let code = code_of(&first["errorCode"])
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "LoginFailed".into());
                let why = message_of(first, &["errLogMessage", "errorMessage"])
                    .unwrap_or_else(|| "the answer has no token".into());
                Err(ProviderError::new(
                    code,
                    format!("login as \"{}\" failed: {why}", c.username),
                ))
            }
        }
    }

    async fn once(
        &self,
        method: &Method,
        path: &str,
        body: &[u8],
        token: Option<&str>,
    ) -> Result<Value> {
        let a = self
            .sender
            .send(|http| {
                let mut req = http
                    .request(method.clone(), format!("{}{path}", self.base))
                    .header("Accept", "application/json");
                if let Some(t) = token {
                    req = req.header("Authtoken", t);
                }
                if !body.is_empty() {
                    req = req
                        .header("Content-Type", "application/json")
                        .body(body.to_vec());
                }
                req
            })
            .await?;
        if !(200..300).contains(&a.status) {
            return Err(status_error(a.status, &a.body));
        }
        let v = http::json_body(&a.body)?;
        if v.is_null() {
            return Ok(v);
        }
        match answer_error(&v) {
            Some(e) => Err(e),
            None => Ok(v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    #[test]
    fn failures_in_a_200_are_failures() {
        let ok =
            json!({"response": {"warningCode": 0, "errorCode": 0, "entity": {"instanceId": 1}}});
        assert!(answer_error(&ok).is_none());
        assert!(answer_error(&json!({"response": [{"errorCode": 0}]})).is_none());
        let e = answer_error(&json!({"response": {"errorCode": 2, "errorMessage": "no plan"}}))
            .unwrap();
        assert_eq!((e.code.as_str(), e.message.as_str()), ("2", "no plan"));
        let e =
            answer_error(&json!({"response": [{"errorCode": 0, "errorString": "busy"}]})).unwrap();
        assert_eq!((e.code.as_str(), e.message.as_str()), ("0", "busy"));
        let e = answer_error(&json!({"errorCode": 7, "errorMessage": "top"})).unwrap();
        assert_eq!(e.code, "7");
        assert!(!e.retryable);
    }

    #[test]
    fn error_bodies_keep_the_apis_words() {
        let e = status_error(
            400,
            br#"{"errorMessage":"Unable to connect to client []","errorCode":4444}"#,
        );
        assert_eq!(e.code, "4444");
        assert_eq!(e.message, "Unable to connect to client []");
        assert!(!e.retryable && !e.ambiguous);
        let e = status_error(500, b"");
        assert!(e.retryable && e.ambiguous);
        assert_eq!(e.message, "HTTP 500 without a body");
        assert!(status_error(429, b"{}").retryable);
        assert_eq!(header_token("abc"), "QSDK abc");
        assert_eq!(header_token("QSDK abc"), "QSDK abc");
    }

    /// A server whose tokens are refused until `good_after` logins happened.
    async fn server(good_after: u32) -> (String, Arc<AtomicU32>, Arc<AtomicU32>) {
        use axum::http::{HeaderMap, StatusCode};
        let logins = Arc::new(AtomicU32::new(0));
        let calls = Arc::new(AtomicU32::new(0));
        let (l2, c2) = (logins.clone(), calls.clone());
        let app = axum::Router::new()
            .route(
                "/Login",
                axum::routing::post(move |body: axum::body::Bytes| {
                    let l = l2.clone();
                    async move {
                        let v: Value = serde_json::from_slice(&body).unwrap();
                        assert_eq!(v["password"], "cHc="); // base64("pw")
                        let n = l.fetch_add(1, Ordering::SeqCst) + 1;
                        axum::Json(json!({"userName": "u", "token": format!("QSDK t{n}")}))
                    }
                }),
            )
            .route(
                "/instance/{id}",
                axum::routing::get(move |headers: HeaderMap| {
                    let c = c2.clone();
                    async move {
                        c.fetch_add(1, Ordering::SeqCst);
                        let t = headers["Authtoken"].to_str().unwrap().to_string();
                        let n: u32 = t.trim_start_matches("QSDK t").parse().unwrap_or(0);
                        if n > good_after {
                            (
                                StatusCode::OK,
                                axum::Json(json!({"instanceProperties": []})),
                            )
                        } else {
                            (
                                StatusCode::UNAUTHORIZED,
                                axum::Json(
                                    json!({"errorMessage": "Access Denied", "errorCode": 5}),
                                ),
                            )
                        }
                    }
                }),
            );
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        (format!("http://{addr}"), logins, calls)
    }

    fn creds() -> Option<Credentials> {
        Some(Credentials {
            username: "u".into(),
            password: "pw".into(),
        })
    }

    #[tokio::test]
    async fn a_refused_token_means_one_new_login_and_one_retry() {
        let (url, logins, calls) = server(1).await;
        let c = CvClient::new(&url, creds(), None, 2).unwrap();
        c.call(Method::GET, "/instance/1", None, true)
            .await
            .unwrap();
        // first login's token refused, second accepted: two logins, two calls
        assert_eq!(logins.load(Ordering::SeqCst), 2);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        c.call(Method::GET, "/instance/1", None, true)
            .await
            .unwrap();
        assert_eq!(logins.load(Ordering::SeqCst), 2, "the good token is kept");

        // refused again after the new login: the API's 401 comes back, no loop
        let (url, logins, _) = server(100).await;
        let c = CvClient::new(&url, creds(), None, 2).unwrap();
        let e = c
            .call(Method::GET, "/instance/1", None, true)
            .await
            .unwrap_err();
        assert_eq!((e.code.as_str(), e.status), ("5", Some(401)));
        assert_eq!(logins.load(Ordering::SeqCst), 2);

        // a given token without credentials: refused with a hint, never logged in
        let (url, logins, _) = server(0).await;
        let c = CvClient::new(&url, None, Some("t0"), 2).unwrap();
        let e = c
            .call(Method::GET, "/instance/1", None, true)
            .await
            .unwrap_err();
        assert!(e.message.contains("COMMVAULT_AUTHTOKEN"), "{e}");
        assert_eq!(logins.load(Ordering::SeqCst), 0);
    }
}
