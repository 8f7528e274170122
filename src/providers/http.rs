//! The HTTP transport shared by every provider: one reqwest client (rustls), error
//! classification (retryable, ambiguous), and retries with exponential backoff and jitter
//! for calls that are safe to repeat.

use super::ProviderError;
use rand::Rng;
use std::future::Future;
use std::time::Duration;

/// One shared client: connection pooling across all calls of a run.
pub fn client() -> reqwest::Client {
    use std::sync::OnceLock;
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(10))
                .timeout(Duration::from_secs(60))
                .pool_max_idle_per_host(64)
                .user_agent(concat!("strata/", env!("CARGO_PKG_VERSION")))
                .build()
                .expect("the HTTP client configuration is static")
        })
        .clone()
}

#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub attempts: u32,
    pub base: Duration,
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        let attempts = std::env::var("STRATA_RETRY_ATTEMPTS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(8);
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

/// Transport failures: `ambiguous` when the request may have reached the server.
pub fn transport_error(e: &reqwest::Error) -> ProviderError {
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

    #[tokio::test]
    async fn ambiguous_failures_of_non_idempotent_calls_come_back() {
        let calls = AtomicU32::new(0);
        let r: Result<(), _> = with_retry(policy(), false, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(err(true, true))
        })
        .await;
        assert!(r.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        let calls = AtomicU32::new(0);
        let r: Result<(), _> = with_retry(policy(), true, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(err(true, true))
        })
        .await;
        assert!(r.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 5);
    }

    #[tokio::test]
    async fn non_retryable_errors_fail_fast() {
        let calls = AtomicU32::new(0);
        let r: Result<(), _> = with_retry(policy(), true, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(err(false, false))
        })
        .await;
        assert!(r.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
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
