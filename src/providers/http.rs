//! The HTTP transport shared by every provider: reqwest clients (rustls, the public webpki
//! roots plus a provider block's `ca_file`), error classification (retryable, ambiguous), and
//! retries with exponential backoff and jitter for calls that are safe to repeat.
//!
//! Invariant: this is the one retry layer. Every family's client sends each HTTP call through
//! [`with_retry`] with one [`RetryPolicy`]; nothing above it (drivers, `apply::ops`) retries a
//! call again, so a call failing retryably every time is attempted `attempts` times in all. An
//! ambiguous failure of a call that is not idempotent (a create) is handed back at once: the
//! caller looks for what it made before trying again (`apply::ops::create_or_adopt`).
//!
//! Invariant: a TLS failure (a certificate refused, a handshake that cannot succeed) is final —
//! never retried, never ambiguous (no request was sent) — and its message names the problem
//! and how to trust a private CA.

use super::credentials::{Credential, Provide};
use super::ProviderError;
use rand::Rng;
use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::Semaphore;

fn builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(64)
        .user_agent(concat!("strata/", env!("CARGO_PKG_VERSION")))
}

/// One shared client trusting the public roots: connection pooling across all calls of a run.
pub fn client() -> reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            builder()
                .build()
                .expect("the HTTP client configuration is static")
        })
        .clone()
}

/// A client that also trusts the CA certificates of the PEM file `ca_file` (one per file and
/// process, so families sharing a CA share a pool). `None`: the shared [`client`].
pub fn client_with_ca(ca_file: Option<&Path>) -> Result<reqwest::Client, String> {
    let Some(path) = ca_file else {
        return Ok(client());
    };
    static CLIENTS: OnceLock<Mutex<HashMap<PathBuf, reqwest::Client>>> = OnceLock::new();
    let mut clients = CLIENTS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(c) = clients.get(path) {
        return Ok(c.clone());
    }
    let mut b = builder();
    for cert in ca_certificates(path)? {
        b = b.add_root_certificate(cert);
    }
    let c = b
        .build()
        .map_err(|e| format!("\"{}\": {e}", path.display()))?;
    clients.insert(path.to_path_buf(), c.clone());
    Ok(c)
}

/// The certificates of a PEM file; a file that cannot be read or holds none is an error.
fn ca_certificates(path: &Path) -> Result<Vec<reqwest::Certificate>, String> {
    use rustls::pki_types::{pem::PemObject, CertificateDer};
    let shown = path.display();
    let pem = std::fs::read(path).map_err(|e| format!("cannot read \"{shown}\": {e}"))?;
    let ders = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("\"{shown}\" is not a valid PEM file: {e:?}"))?;
    if ders.is_empty() {
        return Err(format!(
            "\"{shown}\" holds no certificate (expected PEM: -----BEGIN CERTIFICATE-----)"
        ));
    }
    ders.iter()
        .map(|d| {
            reqwest::Certificate::from_der(d)
                .map_err(|e| format!("\"{shown}\": a certificate is not valid: {e}"))
        })
        .collect()
}

#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub attempts: u32,
    pub base: Duration,
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        // `STRATA_RETRY_ATTEMPTS` (tests and tuning): at least one attempt, at most 100.
        let attempts = std::env::var("STRATA_RETRY_ATTEMPTS")
            .ok()
            .and_then(|s| s.trim().parse::<u32>().ok())
            .map_or(8, |n| n.clamp(1, 100));
        RetryPolicy {
            attempts,
            base: Duration::from_millis(100),
            cap: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    /// Full-jitter exponential backoff for attempt `n` (0-based).
    pub fn delay(&self, n: u32) -> Duration {
        let exp = self.base.saturating_mul(1u32 << n.min(16));
        let ceiling = exp.min(self.cap);
        let ms = ceiling.as_millis().max(1) as u64;
        Duration::from_millis(rand::rng().random_range(ms / 2..=ms))
    }
}

/// Transport failures: `ambiguous` when the request may have reached the server; TLS
/// failures final (see [`tls_problem`]).
pub fn transport_error(e: &reqwest::Error) -> ProviderError {
    if let Some(tls) = rustls_error(e) {
        return ProviderError::new(
            "TLSError",
            match e.url() {
                Some(url) => format!("{} ({url})", tls_problem(tls)),
                None => tls_problem(tls),
            },
        );
    }
    let (code, ambiguous) = if e.is_connect() {
        ("ConnectionError", false)
    } else if e.is_timeout() {
        ("RequestTimeout", true)
    } else {
        ("TransportError", true)
    };
    let mut err = ProviderError::new(code, e.to_string());
    err.retryable = true;
    err.ambiguous = ambiguous;
    err
}

/// The rustls error somewhere in `e`'s source chain. An `io::Error` wraps it (in another
/// `io::Error`, as hyper-rustls does) without exposing it as its source, so an `io::Error` is
/// looked into instead.
fn rustls_error<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(r) = err.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        cur = match err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => err.source(),
        };
    }
    None
}

const TRUST_HINT: &str = "to trust a private or self-signed CA, set ca_file: <its PEM file> in \
                          the provider block";

/// What is wrong, in words, and what to do about it.
pub fn tls_problem(e: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    let cert = match e {
        rustls::Error::InvalidCertificate(c) => c,
        other => {
            return format!("the TLS handshake failed ({other}): is the endpoint an https server?")
        }
    };
    match cert {
        C::UnknownIssuer => format!(
            "the server's certificate is not signed by a trusted CA (self-signed or a private \
             CA): {TRUST_HINT}"
        ),
        C::Expired | C::ExpiredContext { .. } => {
            "the server's certificate has expired: the server must renew it".to_string()
        }
        C::NotValidYet | C::NotValidYetContext { .. } => {
            "the server's certificate is not valid yet (is this machine's clock right?)".to_string()
        }
        C::NotValidForNameContext {
            expected,
            presented,
        } => format!(
            "the server's certificate is for another host (wrong host): it names {}, not {}: \
             use a host name the certificate names in the endpoint URL",
            presented
                .iter()
                .map(|n| bare_name(n))
                .collect::<Vec<_>>()
                .join(", "),
            expected.to_str()
        ),
        C::NotValidForName => "the server's certificate is for another host (wrong host): use \
                               a host name the certificate names in the endpoint URL"
            .to_string(),
        C::Revoked => "the server's certificate has been revoked".to_string(),
        other => format!("the server's certificate was refused ({other:?}): {TRUST_HINT}"),
    }
}

/// `other.example` for rustls's `DnsName("other.example")` (the names a certificate presents
/// come as debug text).
fn bare_name(n: &str) -> &str {
    match (n.find('('), n.rfind(')')) {
        (Some(a), Some(b)) if a < b => n[a + 1..b].trim_matches('"'),
        _ => n,
    }
}

/// Run `call` until it succeeds, fails for good, or attempts run out. `idempotent` calls are
/// retried on any retryable error; others only when the failure is certain not to have taken
/// effect (throttling, refused connections) — ambiguous failures go back to the caller, who
/// looks for what the call made before trying again.
pub async fn with_retry<T, F, Fut>(
    policy: RetryPolicy,
    idempotent: bool,
    mut call: F,
) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ProviderError>>,
{
    let mut n = 0;
    loop {
        match call().await {
            Ok(v) => return Ok(v),
            Err(e) if e.retryable && (idempotent || !e.ambiguous) && n + 1 < policy.attempts => {
                tokio::time::sleep(policy.delay(n)).await;
                n += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// What every family's client sends through: at most `max_concurrency` calls in flight, one
/// [`RetryPolicy`], one reqwest client (replaced by one trusting a `ca_file`).
/// (A clone shares the concurrency limit: it is the same sender.)
#[derive(Clone)]
pub struct Sender {
    limit: Arc<Semaphore>,
    pub policy: RetryPolicy,
    pub http: reqwest::Client,
}

/// One HTTP answer, read to the end.
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Sender {
    pub fn new(max_concurrency: usize) -> Sender {
        Sender {
            limit: Arc::new(Semaphore::new(max_concurrency.max(1))),
            policy: RetryPolicy::default(),
            http: client(),
        }
    }

    /// Send the request `build` makes from the client, holding a permit while it runs;
    /// transport failures are classified by [`transport_error`].
    pub async fn send(
        &self,
        build: impl FnOnce(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<Answer, ProviderError> {
        let _permit = self.permit().await?;
        self.exchange(build(&self.http)).await
    }

    /// [`send`](Self::send) of a request signed with what `credentials` gives once the permit
    /// is held (so a renewed lease is asked for right before the signature, never before a
    /// wait for a permit). A failure to obtain credentials is final here: the token service's
    /// own client retried it already.
    pub async fn send_signed(
        &self,
        credentials: &dyn Provide,
        build: impl FnOnce(&reqwest::Client, &Credential) -> reqwest::RequestBuilder,
    ) -> Result<Answer, ProviderError> {
        let _permit = self.permit().await?;
        let credential = credentials.credential().await.map_err(|mut e| {
            e.retryable = false;
            e.ambiguous = false;
            e
        })?;
        self.exchange(build(&self.http, &credential)).await
    }

    async fn permit(&self) -> Result<tokio::sync::SemaphorePermit<'_>, ProviderError> {
        self.limit
            .acquire()
            .await
            .map_err(|_| ProviderError::new("Closed", "client closed"))
    }

    /// Send `req` and read the whole answer.
    async fn exchange(&self, req: reqwest::RequestBuilder) -> Result<Answer, ProviderError> {
        let resp = req.send().await.map_err(|e| transport_error(&e))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.map_err(|e| transport_error(&e))?;
        Ok(Answer {
            status,
            headers,
            body: body.to_vec(),
        })
    }
}

/// A family's client, sending through one [`Sender`].
pub trait Sends: Sized {
    fn sender_mut(&mut self) -> &mut Sender;

    /// Send through `client` (one trusting the provider block's `ca_file`).
    fn with_http(mut self, client: reqwest::Client) -> Self {
        self.sender_mut().http = client;
        self
    }

    /// For unit tests: `attempts` tries, a millisecond or two apart.
    #[cfg(test)]
    fn fast(mut self, attempts: u32) -> Self {
        self.sender_mut().policy = RetryPolicy {
            attempts,
            base: Duration::from_millis(1),
            cap: Duration::from_millis(2),
        };
        self
    }
}

/// A JSON request body's bytes (none for `None`).
pub fn json_bytes(body: Option<&serde_json::Value>) -> Vec<u8> {
    body.map(|b| serde_json::to_vec(b).unwrap_or_default())
        .unwrap_or_default()
}

/// `host[:port]` of the endpoint `base` (parsed as `url`), as the signers sign it.
pub fn host_port(url: &reqwest::Url, base: &str) -> Result<String, String> {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => Ok(format!("{h}:{p}")),
        (Some(h), None) => Ok(h.to_string()),
        _ => Err(format!("endpoint \"{base}\" has no host")),
    }
}

/// A successful answer's body: `Null` when empty, else its JSON.
pub fn json_body(bytes: &[u8]) -> Result<serde_json::Value, ProviderError> {
    if bytes.is_empty() {
        return Ok(serde_json::Value::Null);
    }
    serde_json::from_slice(bytes)
        .map_err(|e| ProviderError::new("BadResponse", format!("the response is not JSON: {e}")))
}

/// For the clients' unit tests: a local server answering every request with one status and
/// body, counting the requests it got.
#[cfg(test)]
pub mod test_server {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    /// (base URL, request counter).
    pub async fn answering(status: u16, body: serde_json::Value) -> (String, Arc<AtomicU32>) {
        let hits = Arc::new(AtomicU32::new(0));
        let h = hits.clone();
        let app = axum::Router::new().fallback(move || {
            let (h, body) = (h.clone(), body.clone());
            async move {
                h.fetch_add(1, Ordering::SeqCst);
                (
                    axum::http::StatusCode::from_u16(status).unwrap(),
                    axum::Json(body),
                )
            }
        });
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        (format!("http://{addr}"), hits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn policy() -> RetryPolicy {
        RetryPolicy {
            attempts: 5,
            base: Duration::from_millis(1),
            cap: Duration::from_millis(2),
        }
    }

    fn err(retryable: bool, ambiguous: bool) -> ProviderError {
        let mut e = ProviderError::new("X", "x");
        e.retryable = retryable;
        e.ambiguous = ambiguous;
        e
    }

    #[tokio::test]
    async fn retries_retryable_errors_until_success() {
        let calls = AtomicU32::new(0);
        let r = with_retry(policy(), false, || async {
            if calls.fetch_add(1, Ordering::SeqCst) < 3 {
                Err(err(true, false))
            } else {
                Ok(7)
            }
        })
        .await;
        assert_eq!(r.unwrap(), 7);
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    /// How many calls `with_retry` makes of a call failing with `err(retryable, ambiguous)`
    /// every time (it always fails).
    async fn calls_failing(idempotent: bool, retryable: bool, ambiguous: bool) -> u32 {
        let calls = AtomicU32::new(0);
        let r: Result<(), _> = with_retry(policy(), idempotent, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(err(retryable, ambiguous))
        })
        .await;
        assert!(r.is_err());
        calls.load(Ordering::SeqCst)
    }

    #[tokio::test]
    async fn ambiguous_failures_of_non_idempotent_calls_come_back() {
        assert_eq!(calls_failing(false, true, true).await, 1);
        assert_eq!(calls_failing(true, true, true).await, 5);
    }

    #[tokio::test]
    async fn non_retryable_errors_fail_fast() {
        assert_eq!(calls_failing(true, false, false).await, 1);
    }

    #[test]
    fn certificate_problems_are_named() {
        use rustls::CertificateError as C;
        let name = |c: C| tls_problem(&rustls::Error::InvalidCertificate(c));
        assert!(name(C::UnknownIssuer).contains("self-signed or a private CA"));
        assert!(name(C::UnknownIssuer).contains("ca_file"));
        assert!(name(C::Expired).contains("has expired"));
        let host = C::NotValidForNameContext {
            expected: rustls::pki_types::ServerName::try_from("db.example").unwrap(),
            presented: vec!["DnsName(\"other.example\")".into()],
        };
        assert!(name(host).contains("it names other.example, not db.example"));
        assert!(tls_problem(&rustls::Error::DecryptError).contains("is the endpoint an https"));
    }

    #[test]
    fn a_ca_file_must_hold_pem_certificates() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let e = client_with_ca(Some(&missing)).unwrap_err();
        assert!(
            e.starts_with(&format!("cannot read \"{}\"", missing.display())),
            "{e}"
        );
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate").unwrap();
        let e = client_with_ca(Some(&empty)).unwrap_err();
        assert!(e.contains("holds no certificate"), "{e}");
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            attempts: 10,
            base: Duration::from_millis(100),
            cap: Duration::from_secs(1),
        };
        assert!(p.delay(0) <= Duration::from_millis(100));
        assert!(p.delay(8) <= Duration::from_secs(1));
        assert!(p.delay(8) >= Duration::from_millis(500));
    }
}
