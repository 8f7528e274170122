//! The one Alibaba Cloud RPC client, used by gpdb, DataWorks, SelectDB and STS: `Action` and
//! `Version` per product, parameters in the query string (a few SelectDB ones in a form
//! body), ACS3-HMAC-SHA256 signing with the `x-acs-*` headers — a temporary key pair's
//! security token in `x-acs-security-token`, signed like them —, regional endpoints with each
//! product's central-endpoint exceptions, and errors carrying the API's `Code`, `Message` and
//! `RequestId` (throttling and 5xx retryable, other 4xx final).
//!
//! Invariant: the client holds no key: it asks its shared [`Credentials`] before each
//! signature (a lease renewed in time when they come from `assume_role`).

use super::signer::{self, SignRequest};
use crate::providers::credentials::{self, Credential, Credentials};
use crate::providers::http::{self, Sender, Sends};
use crate::providers::signing::{self, sha256_hex};
use crate::providers::{ProviderError, Result};
use reqwest::Method;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Product {
    Gpdb,
    DataWorks,
    SelectDb,
    /// Security Token Service: `AssumeRole` for `assume_role`.
    Sts,
}

impl Product {
    pub const ALL: [Product; 4] = [
        Product::Gpdb,
        Product::DataWorks,
        Product::SelectDb,
        Product::Sts,
    ];

    /// The key in the provider's `endpoints:` map and in the sandbox's paths.
    pub fn key(self) -> &'static str {
        match self {
            Product::Gpdb => "gpdb",
            Product::DataWorks => "dataworks",
            Product::SelectDb => "selectdb",
            Product::Sts => "sts",
        }
    }

    pub fn version(self) -> &'static str {
        match self {
            Product::Gpdb => "2016-05-03",
            Product::DataWorks => "2024-05-18",
            Product::SelectDb => "2023-05-22",
            Product::Sts => "2015-04-01",
        }
    }

    /// Host prefix of the product's endpoints.
    fn host_prefix(self) -> &'static str {
        match self {
            Product::Gpdb => "gpdb",
            Product::DataWorks => "dataworks",
            Product::SelectDb => "selectdb",
            Product::Sts => "sts",
        }
    }

    /// Regions the SDK's endpoint map sends to the central `<product>.aliyuncs.com`.
    fn central_regions(self) -> &'static [&'static str] {
        match self {
            Product::Gpdb => &[
                "cn-hangzhou",
                "cn-hangzhou-finance",
                "ap-south-1",
                "ap-southeast-2",
                "ap-northeast-2-pop",
                "cn-beijing-finance-1",
                "cn-beijing-gov-1",
                "cn-zhangbei",
                "cn-wuhan",
                "cn-fujian",
            ],
            Product::DataWorks => &["cn-qingdao", "cn-huhehaote", "ap-south-1", "ap-southeast-2"],
            Product::SelectDb => &[
                "cn-hangzhou",
                "cn-heyuan",
                "ap-southeast-3",
                "ap-southeast-7",
                "ap-northeast-2",
            ],
            // alibabacloud_sts20150401's endpoint map (its public regions)
            Product::Sts => &[
                "ap-northeast-2-pop",
                "ap-south-1",
                "ap-southeast-2",
                "cn-beijing-finance-pop",
                "cn-beijing-gov-1",
                "cn-edge-1",
                "cn-fujian",
                "cn-hongkong-finance-pop",
                "cn-huhehaote-nebula-1",
                "cn-wuhan",
                "cn-yushanfang",
                "cn-zhangbei",
                "cn-zhengzhou-nebula-1",
                "eu-west-1-oxs",
                "rus-west-1-pop",
            ],
        }
    }

    /// `https://<product>.<region>.aliyuncs.com`, or the central endpoint for the regions
    /// the product's endpoint map names.
    pub fn endpoint(self, region: &str) -> String {
        let p = self.host_prefix();
        if self.central_regions().contains(&region) {
            format!("https://{p}.aliyuncs.com")
        } else {
            format!("https://{p}.{region}.aliyuncs.com")
        }
    }
}

#[derive(Clone)]
pub struct RpcClient {
    pub product: Product,
    pub region: String,
    /// The base is the product's own endpoint for `region` (no `endpoint` setting chose it),
    /// so another region's calls go to that region's endpoint (`in_region`).
    regional: bool,
    base: reqwest::Url,
    host: String,
    credentials: Credentials,
    sender: Sender,
}

/// Codes the SDK and the Terraform provider treat as "try again later".
fn throttling(code: &str) -> bool {
    code.contains("Throttling")
        || code == "ServiceUnavailable"
        || code == "QPS Limit Exceeded"
        || code == "OperationDenied.OrderProcessing"
}

impl Sends for RpcClient {
    fn sender_mut(&mut self) -> &mut Sender {
        &mut self.sender
    }
}

impl RpcClient {
    /// A client signing with one long-lived key pair.
    pub fn new(
        product: Product,
        region: &str,
        base: &str,
        access_key_id: &str,
        secret: &str,
        max_concurrency: usize,
    ) -> std::result::Result<RpcClient, String> {
        let pair = credentials::fixed(Credential::pair(access_key_id, secret));
        RpcClient::with_credentials(product, region, base, pair, max_concurrency)
    }

    /// A client signing with what `credentials` gives before each request.
    pub fn with_credentials(
        product: Product,
        region: &str,
        base: &str,
        credentials: Credentials,
        max_concurrency: usize,
    ) -> std::result::Result<RpcClient, String> {
        let url = reqwest::Url::parse(base)
            .map_err(|e| format!("{} endpoint \"{base}\": {e}", product.key()))?;
        let host = http::host_port(&url, base)?;
        Ok(RpcClient {
            product,
            region: region.to_string(),
            regional: base == product.endpoint(region),
            base: url,
            host,
            credentials,
            sender: Sender::new(max_concurrency),
        })
    }

    /// The client for calls about an object in `region`: this one when it is the provider's
    /// region or an `endpoint` setting chose the base (the sandbox, a proxy); else the same
    /// credentials and concurrency limit at that region's endpoint.
    pub fn in_region(&self, region: &str) -> std::result::Result<RpcClient, String> {
        if !self.regional || region == self.region {
            return Ok(self.clone());
        }
        let base = self.product.endpoint(region);
        let url = reqwest::Url::parse(&base)
            .map_err(|e| format!("{} endpoint \"{base}\": {e}", self.product.key()))?;
        Ok(RpcClient {
            region: region.to_string(),
            host: http::host_port(&url, &base)?,
            base: url,
            ..self.clone()
        })
    }

    /// Call `action` with query parameters; `idempotent` calls are retried on any retryable
    /// failure, others only when the failure proves nothing happened.
    pub async fn call(
        &self,
        action: &str,
        params: &[(&str, String)],
        idempotent: bool,
    ) -> Result<serde_json::Value> {
        self.call_with(Method::POST, action, params, &[], idempotent)
            .await
    }

    /// The full form: an HTTP method and form-body parameters (SelectDB puts a few there).
    pub async fn call_with(
        &self,
        method: Method,
        action: &str,
        query: &[(&str, String)],
        form: &[(&str, String)],
        idempotent: bool,
    ) -> Result<serde_json::Value> {
        let query: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let body = if form.is_empty() {
            Vec::new()
        } else {
            let pairs: Vec<(String, String)> = form
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect();
            crate::providers::signing::canonical_query(&pairs).into_bytes()
        };
        http::with_retry(self.sender.policy, idempotent, || {
            self.once(&method, action, &query, &body)
        })
        .await
    }

    async fn once(
        &self,
        method: &Method,
        action: &str,
        query: &[(String, String)],
        body: &[u8],
    ) -> Result<serde_json::Value> {
        let a = self
            .sender
            .send_signed(&*self.credentials, |http, c| {
                self.signed(http, c, method, action, query, body)
            })
            .await?;
        answer(action, a.status, &a.body)
    }

    /// The request, signed with `c`: the `x-acs-*` headers and the ACS3 `Authorization`.
    fn signed(
        &self,
        http: &reqwest::Client,
        c: &Credential,
        method: &Method,
        action: &str,
        query: &[(String, String)],
        body: &[u8],
    ) -> reqwest::RequestBuilder {
        let payload_hash = sha256_hex(body);
        let mut headers = self.acs_headers(action, &payload_hash, !body.is_empty());
        headers.extend(token_headers(c));
        let auth = signer::authorization(
            &c.key,
            &c.secret,
            &SignRequest {
                method: method.as_str(),
                path: self.base.path(),
                query,
                headers: &headers,
                payload_hash: &payload_hash,
            },
        );
        let mut url = self.base.clone();
        url.set_query(Some(&crate::providers::signing::canonical_query(query)));
        let mut req = http
            .request(method.clone(), url)
            .header("Authorization", auth)
            .header("Accept", "application/json");
        for (k, v) in &headers {
            if k != "host" {
                req = req.header(k.as_str(), v.as_str());
            }
        }
        if !body.is_empty() {
            req = req.body(body.to_vec());
        }
        req
    }

    /// The headers the signature covers (`host` included, though reqwest sets it itself).
    fn acs_headers(&self, action: &str, payload_hash: &str, form: bool) -> Vec<(String, String)> {
        let mut headers = vec![
            ("host".to_string(), self.host.clone()),
            ("x-acs-action".to_string(), action.to_string()),
            (
                "x-acs-version".to_string(),
                self.product.version().to_string(),
            ),
            (
                "x-acs-date".to_string(),
                signing::utc_date(time::OffsetDateTime::now_utc(), signer::ACS_DATE),
            ),
            (
                "x-acs-signature-nonce".to_string(),
                uuid::Uuid::new_v4().simple().to_string(),
            ),
            ("x-acs-content-sha256".to_string(), payload_hash.to_string()),
        ];
        if form {
            headers.push((
                "content-type".to_string(),
                "application/x-www-form-urlencoded".to_string(),
            ));
        }
        headers
    }
}

/// The headers a temporary key pair adds, as the SDKs send them (alibabacloud_tea_openapi,
/// ACS3: `x-acs-accesskey-id` and `x-acs-security-token`); both are `x-acs-*`, so signed.
fn token_headers(c: &Credential) -> Vec<(String, String)> {
    match &c.token {
        Some(token) => vec![
            ("x-acs-accesskey-id".to_string(), c.key.clone()),
            ("x-acs-security-token".to_string(), token.clone()),
        ],
        None => Vec::new(),
    }
}

/// The JSON object of a 2xx answer, or the RPC error (`Code`, `Message`, `RequestId`):
/// throttling and 5xx retryable, 5xx ambiguous, other 4xx final.
fn answer(action: &str, status: u16, bytes: &[u8]) -> Result<serde_json::Value> {
    let parsed: serde_json::Value = serde_json::from_slice(bytes).unwrap_or_default();
    if (200..300).contains(&status) {
        if parsed.is_object() {
            return Ok(parsed);
        }
        return Err(ProviderError::new(
            "BadResponse",
            format!("{action}: the response is not a JSON object"),
        ));
    }
    let code = parsed["Code"].as_str().unwrap_or("HTTPError").to_string();
    let message = parsed["Message"]
        .as_str()
        .map(String::from)
        .unwrap_or_else(|| String::from_utf8_lossy(bytes).chars().take(300).collect());
    let mut err = ProviderError::new(code.clone(), message);
    err.status = Some(status);
    err.request_id = parsed["RequestId"].as_str().map(String::from);
    err.retryable = status == 429 || status >= 500 || throttling(&code);
    err.ambiguous = status >= 500;
    Err(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    #[test]
    fn another_region_goes_to_its_own_endpoint_unless_an_endpoint_was_set() {
        let p = Product::SelectDb;
        let regional = RpcClient::new(p, "cn-hangzhou", &p.endpoint("cn-hangzhou"), "a", "s", 1)
            .expect("a client");
        let there = regional.in_region("cn-shanghai").expect("a client");
        assert_eq!(there.host, "selectdb.cn-shanghai.aliyuncs.com");
        assert_eq!(there.region, "cn-shanghai");
        assert_eq!(
            regional.in_region("cn-hangzhou").expect("same").host,
            regional.host
        );
        let set = RpcClient::new(
            p,
            "cn-hangzhou",
            "http://127.0.0.1:9/alicloud/selectdb",
            "a",
            "s",
            1,
        )
        .expect("a client");
        assert_eq!(
            set.in_region("cn-shanghai").expect("same").host,
            "127.0.0.1:9"
        );
    }

    #[test]
    fn endpoints_follow_the_sdk_maps() {
        for (product, region, url) in [
            (Product::Gpdb, "cn-hangzhou", "https://gpdb.aliyuncs.com"),
            (
                Product::Gpdb,
                "cn-beijing",
                "https://gpdb.cn-beijing.aliyuncs.com",
            ),
            (
                Product::DataWorks,
                "cn-hangzhou",
                "https://dataworks.cn-hangzhou.aliyuncs.com",
            ),
            (
                Product::DataWorks,
                "cn-qingdao",
                "https://dataworks.aliyuncs.com",
            ),
            (
                Product::SelectDb,
                "cn-hangzhou",
                "https://selectdb.aliyuncs.com",
            ),
            (
                Product::SelectDb,
                "cn-shanghai",
                "https://selectdb.cn-shanghai.aliyuncs.com",
            ),
        ] {
            assert_eq!(product.endpoint(region), url);
        }
        let c = RpcClient::new(
            Product::Gpdb,
            "r",
            "http://127.0.0.1:9/alicloud/gpdb",
            "a",
            "s",
            1,
        )
        .unwrap();
        assert_eq!(
            (c.host.as_str(), c.base.path()),
            ("127.0.0.1:9", "/alicloud/gpdb")
        );
    }

    /// A server answering every request with `status` and an RPC error body, counting hits.
    async fn server(status: u16, code: &'static str) -> (String, Arc<AtomicU32>) {
        crate::providers::http::test_server::answering(
            status,
            serde_json::json!({"Code": code, "Message": "m", "RequestId": "R-1", "HostId": "h"}),
        )
        .await
    }

    #[tokio::test]
    async fn errors_carry_code_message_request_id_and_are_classified() {
        // (status, code, action, idempotent) → (retryable, ambiguous, calls made)
        for (status, code, idempotent, want) in [
            (404, "InvalidDBInstanceId.NotFound", true, (false, false, 1)),
            (400, "Throttling.User", false, (true, false, 3)),
            (503, "ServiceUnavailable", false, (true, true, 1)),
            (500, "InternalError", true, (true, true, 3)),
        ] {
            let (url, hits) = server(status, code).await;
            let c = RpcClient::new(Product::Gpdb, "r", &url, "a", "s", 1)
                .unwrap()
                .fast(3);
            let e = c
                .call("CreateDBInstance", &[], idempotent)
                .await
                .unwrap_err();
            assert_eq!(e.code, code);
            assert_eq!(e.request_id.as_deref(), Some("R-1"));
            assert_eq!(e.status, Some(status));
            let calls = hits.load(Ordering::SeqCst);
            assert_eq!((e.retryable, e.ambiguous, calls), want, "{code}");
        }
    }
}
