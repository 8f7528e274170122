//! The RDS v3 HTTP client: builds each request, signs it with SDK-HMAC-SHA256, sends it with
//! a per-API concurrency limit and retries, and turns error bodies (`error_code`,
//! `error_msg`) into provider errors.

use super::signer::{self, SignRequest};
use crate::providers::http::{self, RetryPolicy};
use crate::providers::{ProviderError, Result};
use reqwest::Method;
use std::sync::Arc;
use tokio::sync::Semaphore;

pub struct RdsClient {
    base: String,
    host: String,
    pub project_id: String,
    access_key: String,
    secret_key: String,
    limit: Arc<Semaphore>,
    policy: RetryPolicy,
    http: reqwest::Client,
}

/// `https://rds.<region>.myhuaweicloud.com`, with the documented `.eu` exception.
pub fn regional_endpoint(region: &str) -> String {
    if region == "eu-west-101" {
        "https://rds.eu-west-101.myhuaweicloud.eu".into()
    } else {
        format!("https://rds.{region}.myhuaweicloud.com")
    }
}

impl RdsClient {
    pub fn new(
        base: &str,
        project_id: &str,
        access_key: &str,
        secret_key: &str,
        max_concurrency: usize,
    ) -> std::result::Result<RdsClient, String> {
        let url = reqwest::Url::parse(base).map_err(|e| format!("endpoint \"{base}\": {e}"))?;
        let host = match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            _ => return Err(format!("endpoint \"{base}\" has no host")),
        };
        Ok(RdsClient {
            base: base.trim_end_matches('/').to_string(),
            host,
            project_id: project_id.to_string(),
            access_key: access_key.to_string(),
            secret_key: secret_key.to_string(),
            limit: Arc::new(Semaphore::new(max_concurrency.max(1))),
            policy: RetryPolicy::default(),
            http: http::client(),
        })
    }

    /// Send through `client` (one trusting the provider block's `ca_file`).
    pub fn with_http(mut self, client: reqwest::Client) -> Self {
        self.http = client;
        self
    }

    /// `/v3/{project_id}/configurations…`
    pub fn path(&self, rest: &str) -> String {
        format!("/v3/{}/configurations{rest}", self.project_id)
    }

    /// Call the API; returns the JSON body (`Null` when empty). 404 comes back as an error
    /// with status 404 for the caller to interpret.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
        idempotent: bool,
    ) -> Result<serde_json::Value> {
        let body = body
            .map(|b| serde_json::to_vec(b).unwrap_or_default())
            .unwrap_or_default();
        http::with_retry(self.policy, idempotent, || self.once(&method, path, &body)).await
    }

    async fn once(&self, method: &Method, path: &str, body: &[u8]) -> Result<serde_json::Value> {
        let _permit = self
            .limit
            .acquire()
            .await
            .map_err(|_| ProviderError::new("Closed", "client closed"))?;
        let url_path = format!("{}{}", url_path_prefix(&self.base), path);
        let date = signer::sdk_date(time::OffsetDateTime::now_utc());
        let mut headers = vec![
            ("host".to_string(), self.host.clone()),
            ("x-sdk-date".to_string(), date.clone()),
            ("x-project-id".to_string(), self.project_id.clone()),
        ];
        if !body.is_empty() {
            headers.push(("content-type".to_string(), "application/json".to_string()));
        }
        let auth = signer::authorization(
            &self.access_key,
            &self.secret_key,
            &SignRequest {
                method: method.as_str(),
                path: &url_path,
                query: &[],
                headers: &headers,
                body,
            },
        );
        let url = format!("{}{}", self.base, path);
        let mut req = self
            .http
            .request(method.clone(), &url)
            .header("X-Sdk-Date", &date)
            .header("X-Project-Id", &self.project_id)
            .header("Authorization", auth)
            .header("Accept", "application/json");
        if !body.is_empty() {
            req = req
                .header("Content-Type", "application/json")
                .body(body.to_vec());
        }
        let resp = req.send().await.map_err(|e| http::transport_error(&e))?;
        let status = resp.status();
        let request_id = resp
            .headers()
            .get("X-Request-Id")
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        let bytes = resp.bytes().await.map_err(|e| http::transport_error(&e))?;
        if status.is_success() {
            if bytes.is_empty() {
                return Ok(serde_json::Value::Null);
            }
            return serde_json::from_slice(&bytes).map_err(|e| {
                ProviderError::new("BadResponse", format!("the response is not JSON: {e}"))
            });
        }
        let parsed: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
        let code = parsed["error_code"]
            .as_str()
            .unwrap_or("HTTPError")
            .to_string();
        let message = parsed["error_msg"]
            .as_str()
            .map(String::from)
            .unwrap_or_else(|| String::from_utf8_lossy(&bytes).chars().take(300).collect());
        let s = status.as_u16();
        let mut err = ProviderError::new(code.clone(), message);
        err.status = Some(s);
        err.request_id = request_id;
        // 429 and gateway throttling are never applied; 5xx may have been; 409 "another
        // operation is running" (DBS.200011 / DBS.200019) clears by itself.
        err.retryable = s == 429
            || s >= 500
            || code == "APIGW.0308"
            || code == "DBS.200011"
            || code == "DBS.200019";
        err.ambiguous = s >= 500;
        Err(err)
    }
}

/// The path part of a base URL (`http://h:p/huaweicloud/rds` → `/huaweicloud/rds`).
fn url_path_prefix(base: &str) -> String {
    reqwest::Url::parse(base)
        .map(|u| u.path().trim_end_matches('/').to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// A server answering every request with `status` and an RDS error body, counting hits.
    async fn counting_server(status: u16, code: &'static str) -> (String, Arc<AtomicU32>) {
        crate::providers::http::test_server::answering(
            status,
            serde_json::json!({"error_code": code, "error_msg": "m"}),
        )
        .await
    }

    fn fast(c: RdsClient) -> RdsClient {
        RdsClient {
            policy: RetryPolicy {
                attempts: 4,
                base: std::time::Duration::from_millis(1),
                cap: std::time::Duration::from_millis(2),
            },
            ..c
        }
    }

    #[tokio::test]
    async fn retries_what_may_succeed_and_fails_fast_on_what_cannot() {
        // a request the API says is wrong: one call, the API's code comes back
        let (url, hits) = counting_server(400, "DBS.200001").await;
        let c = fast(RdsClient::new(&url, "p", "a", "s", 2).unwrap());
        let e = c.call(Method::GET, "/x", None, true).await.unwrap_err();
        assert_eq!(
            (e.code.as_str(), e.status, e.retryable),
            ("DBS.200001", Some(400), false)
        );
        assert_eq!(hits.load(Ordering::SeqCst), 1);
        // throttling and 5xx: retried until the attempts run out
        for (status, code) in [(429, "APIGW.0308"), (503, "DBS.200005")] {
            let (url, hits) = counting_server(status, code).await;
            let c = fast(RdsClient::new(&url, "p", "a", "s", 2).unwrap());
            let e = c.call(Method::GET, "/x", None, true).await.unwrap_err();
            assert_eq!(e.code, code);
            assert_eq!(hits.load(Ordering::SeqCst), 4, "{code}");
        }
        // a 5xx to a create may have taken effect: not blindly repeated, marked ambiguous
        let (url, hits) = counting_server(503, "DBS.200005").await;
        let c = fast(RdsClient::new(&url, "p", "a", "s", 2).unwrap());
        let e = c
            .call(Method::POST, "/x", Some(&serde_json::json!({})), false)
            .await
            .unwrap_err();
        assert!(e.ambiguous && e.retryable);
        assert_eq!(hits.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn endpoints() {
        assert_eq!(
            regional_endpoint("ap-southeast-1"),
            "https://rds.ap-southeast-1.myhuaweicloud.com"
        );
        assert_eq!(
            regional_endpoint("eu-west-101"),
            "https://rds.eu-west-101.myhuaweicloud.eu"
        );
        let c = RdsClient::new("http://127.0.0.1:8080/huaweicloud/rds/", "p", "a", "s", 1).unwrap();
        assert_eq!(c.host, "127.0.0.1:8080");
        assert_eq!(c.path("/x/copy"), "/v3/p/configurations/x/copy");
        assert_eq!(url_path_prefix(&c.base), "/huaweicloud/rds");
        let real = RdsClient::new(&regional_endpoint("cn-north-4"), "p", "a", "s", 1).unwrap();
        assert_eq!(real.host, "rds.cn-north-4.myhuaweicloud.com");
    }
}
