//! The RDS v3 HTTP client: builds each request, signs it with SDK-HMAC-SHA256 — a temporary
//! AK/SK's security token in `X-Security-Token`, signed like every header sent, as
//! huaweicloudsdkcore's `BasicCredentials.security_token` does —, sends it with a per-API
//! concurrency limit and retries, and turns error bodies (`error_code`, `error_msg`) into
//! provider errors.
//!
//! Invariant: the client holds no key: it asks its [`Credentials`] before each signature.

use super::signer::{self, SignRequest};
use crate::providers::credentials::{self, Credential, Credentials};
use crate::providers::http::{self, Sender, Sends};
use crate::providers::{ProviderError, Result};
use reqwest::Method;

pub struct RdsClient {
    base: String,
    host: String,
    pub project_id: String,
    credentials: Credentials,
    sender: Sender,
}

/// `https://rds.<region>.myhuaweicloud.com`, with the documented `.eu` exception.
pub fn regional_endpoint(region: &str) -> String {
    if region == "eu-west-101" {
        "https://rds.eu-west-101.myhuaweicloud.eu".into()
    } else {
        format!("https://rds.{region}.myhuaweicloud.com")
    }
}

impl Sends for RdsClient {
    fn sender_mut(&mut self) -> &mut Sender {
        &mut self.sender
    }
}

impl RdsClient {
    /// A client signing with one long-lived AK/SK.
    pub fn new(
        base: &str,
        project_id: &str,
        access_key: &str,
        secret_key: &str,
        max_concurrency: usize,
    ) -> std::result::Result<RdsClient, String> {
        let pair = credentials::fixed(Credential::pair(access_key, secret_key));
        RdsClient::with_credentials(base, project_id, pair, max_concurrency)
    }

    /// A client signing with what `credentials` gives before each request.
    pub fn with_credentials(
        base: &str,
        project_id: &str,
        credentials: Credentials,
        max_concurrency: usize,
    ) -> std::result::Result<RdsClient, String> {
        let url = reqwest::Url::parse(base).map_err(|e| format!("endpoint \"{base}\": {e}"))?;
        let host = http::host_port(&url, base)?;
        Ok(RdsClient {
            base: base.trim_end_matches('/').to_string(),
            host,
            project_id: project_id.to_string(),
            credentials,
            sender: Sender::new(max_concurrency),
        })
    }

    /// `/v3/{project_id}/configurations…`
    pub fn path(&self, rest: &str) -> String {
        format!("/v3/{}/configurations{rest}", self.project_id)
    }

    /// Call the API at `rest` of the configurations API ([`path`](Self::path)); returns the
    /// JSON body (`Null` when empty). 404 comes back as an error with status 404 for the
    /// caller to interpret.
    pub async fn call(
        &self,
        method: Method,
        rest: &str,
        body: Option<&serde_json::Value>,
        idempotent: bool,
    ) -> Result<serde_json::Value> {
        let path = &self.path(rest);
        let body = http::json_bytes(body);
        http::with_retry(self.sender.policy, idempotent, || {
            self.once(&method, path, &body)
        })
        .await
    }

    /// The request, signed with `c`: `X-Sdk-Date`, `X-Project-Id`, `X-Security-Token` for a
    /// temporary AK/SK, and the SDK-HMAC `Authorization`.
    fn signed(
        &self,
        http: &reqwest::Client,
        c: &Credential,
        method: &Method,
        path: &str,
        body: &[u8],
    ) -> reqwest::RequestBuilder {
        let url_path = format!("{}{}", url_path_prefix(&self.base), path);
        let date =
            crate::providers::signing::utc_date(time::OffsetDateTime::now_utc(), signer::SDK_DATE);
        let mut headers = vec![
            ("host".to_string(), self.host.clone()),
            ("x-sdk-date".to_string(), date.clone()),
            ("x-project-id".to_string(), self.project_id.clone()),
        ];
        if !body.is_empty() {
            headers.push(("content-type".to_string(), "application/json".to_string()));
        }
        if let Some(token) = &c.token {
            headers.push(("x-security-token".to_string(), token.clone()));
        }
        let auth = signer::authorization(
            &c.key,
            &c.secret,
            &SignRequest {
                method: method.as_str(),
                path: &url_path,
                query: &[],
                headers: &headers,
                body,
            },
        );
        let url = format!("{}{}", self.base, path);
        let mut req = http
            .request(method.clone(), &url)
            .header("X-Sdk-Date", &date)
            .header("X-Project-Id", &self.project_id)
            .header("Authorization", auth)
            .header("Accept", "application/json");
        if let Some(token) = &c.token {
            req = req.header("X-Security-Token", token);
        }
        if body.is_empty() {
            req
        } else {
            req.header("Content-Type", "application/json")
                .body(body.to_vec())
        }
    }

    async fn once(&self, method: &Method, path: &str, body: &[u8]) -> Result<serde_json::Value> {
        let a = self
            .sender
            .send_signed(&*self.credentials, |http, c| {
                self.signed(http, c, method, path, body)
            })
            .await?;
        let request_id = a
            .headers
            .get("X-Request-Id")
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        let bytes = a.body;
        if (200..300).contains(&a.status) {
            return http::json_body(&bytes);
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
        let s = a.status;
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
    use std::sync::Arc;

    /// A server answering every request with `status` and an RDS error body, counting hits.
    async fn counting_server(status: u16, code: &'static str) -> (String, Arc<AtomicU32>) {
        crate::providers::http::test_server::answering(
            status,
            serde_json::json!({"error_code": code, "error_msg": "m"}),
        )
        .await
    }

    #[tokio::test]
    async fn retries_what_may_succeed_and_fails_fast_on_what_cannot() {
        // a request the API says is wrong: one call, the API's code comes back
        let (url, hits) = counting_server(400, "DBS.200001").await;
        let c = RdsClient::new(&url, "p", "a", "s", 2).unwrap().fast(4);
        let e = c.call(Method::GET, "/x", None, true).await.unwrap_err();
        assert_eq!(
            (e.code.as_str(), e.status, e.retryable),
            ("DBS.200001", Some(400), false)
        );
        assert_eq!(hits.load(Ordering::SeqCst), 1);
        // throttling and 5xx: retried until the attempts run out
        for (status, code) in [(429, "APIGW.0308"), (503, "DBS.200005")] {
            let (url, hits) = counting_server(status, code).await;
            let c = RdsClient::new(&url, "p", "a", "s", 2).unwrap().fast(4);
            let e = c.call(Method::GET, "/x", None, true).await.unwrap_err();
            assert_eq!(e.code, code);
            assert_eq!(hits.load(Ordering::SeqCst), 4, "{code}");
        }
        // a 5xx to a create may have taken effect: not blindly repeated, marked ambiguous
        let (url, hits) = counting_server(503, "DBS.200005").await;
        let c = RdsClient::new(&url, "p", "a", "s", 2).unwrap().fast(4);
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
