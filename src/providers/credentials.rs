//! The credentials a client asks for before each signature: an access key pair and, when the
//! pair is temporary, the security token that must travel with it. [`Fixed`] holds what the
//! provider block or the environment gave (long-lived keys, or temporary ones with their
//! token); [`Renewing`] holds temporary credentials an [`Issuer`] obtains (Alibaba Cloud STS
//! `AssumeRole`) and obtains again before they expire.
//!
//! Invariants: a client never keeps a copy of the credentials — it asks the [`Credentials`]
//! it shares with every other client of its provider configuration before each signature, so
//! one renewal serves them all; a renewal happens once however many callers find the lease
//! stale at the same time (they wait for the one in flight); a lease is renewed while
//! [`margin`] is still left, so a request signed with it is never sent expired. Neither
//! `Debug` nor any error shows a secret or a token.

use super::ProviderError;
use async_trait::async_trait;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// What signs one request.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    pub key: String,
    pub secret: String,
    /// The security token of a temporary key pair (sent beside the signature).
    pub token: Option<String>,
}

impl Credential {
    /// A long-lived key pair.
    pub fn pair(key: &str, secret: &str) -> Credential {
        Credential {
            key: key.to_string(),
            secret: secret.to_string(),
            token: None,
        }
    }
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("key", &self.key)
            .field("secret", &"(hidden)")
            .field("token", &self.token.as_ref().map(|_| "(hidden)"))
            .finish()
    }
}

/// Temporary credentials and when they stop working.
#[derive(Debug, Clone)]
pub struct Lease {
    pub credential: Credential,
    pub expires: SystemTime,
}

/// Obtains temporary credentials (one call to the cloud's token service).
#[async_trait]
pub trait Issuer: Send + Sync {
    async fn issue(&self) -> Result<Lease, ProviderError>;
}

/// What a client asks before each signature.
#[async_trait]
pub trait Provide: Send + Sync {
    async fn credential(&self) -> Result<Credential, ProviderError>;
}

/// The credentials every client of one provider configuration shares.
pub type Credentials = Arc<dyn Provide>;

/// Credentials given once: used as they are until the process ends.
pub struct Fixed(pub Credential);

#[async_trait]
impl Provide for Fixed {
    async fn credential(&self) -> Result<Credential, ProviderError> {
        Ok(self.0.clone())
    }
}

/// [`Fixed`] credentials, shared.
pub fn fixed(c: Credential) -> Credentials {
    Arc::new(Fixed(c))
}

/// The most a lease is renewed ahead of its expiry.
pub const MAX_MARGIN: Duration = Duration::from_secs(5 * 60);

/// How long before its expiry a lease is renewed: a quarter of its lifetime, at most
/// [`MAX_MARGIN`] (so a 15-minute STS token is renewed with 3¾ minutes left, a 12-hour one
/// with 5 minutes left).
pub fn margin(lifetime: Duration) -> Duration {
    (lifetime / 4).min(MAX_MARGIN)
}

/// A lease and when it was obtained (its lifetime as this machine saw it).
struct Held {
    lease: Lease,
    obtained: SystemTime,
}

impl Held {
    fn stale(&self, now: SystemTime) -> bool {
        let lifetime = self
            .lease
            .expires
            .duration_since(self.obtained)
            .unwrap_or_default();
        now + margin(lifetime) >= self.lease.expires
    }
}

/// Temporary credentials from `issuer`, obtained on first use and again once stale.
pub struct Renewing {
    issuer: Box<dyn Issuer>,
    held: tokio::sync::Mutex<Option<Held>>,
}

impl Renewing {
    pub fn new(issuer: Box<dyn Issuer>) -> Renewing {
        Renewing {
            issuer,
            held: tokio::sync::Mutex::new(None),
        }
    }
}

#[async_trait]
impl Provide for Renewing {
    /// The held lease's credential while it is fresh; else a new lease — the lock is held
    /// while it is obtained, so concurrent callers wait for that one renewal.
    async fn credential(&self) -> Result<Credential, ProviderError> {
        let mut held = self.held.lock().await;
        if let Some(h) = held.as_ref().filter(|h| !h.stale(SystemTime::now())) {
            return Ok(h.lease.credential.clone());
        }
        let obtained = SystemTime::now();
        let lease = self.issuer.issue().await?;
        let credential = lease.credential.clone();
        *held = Some(Held { lease, obtained });
        Ok(credential)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// Issues leases of `lifetime`, counting them, each taking a little while.
    struct Counting {
        lifetime: Duration,
        issued: Arc<AtomicU32>,
    }

    #[async_trait]
    impl Issuer for Counting {
        async fn issue(&self) -> Result<Lease, ProviderError> {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
            Ok(Lease {
                credential: Credential {
                    key: format!("STS.{n}"),
                    secret: "s".into(),
                    token: Some(format!("t{n}")),
                },
                expires: SystemTime::now() + self.lifetime,
            })
        }
    }

    fn renewing(lifetime: Duration) -> (Arc<Renewing>, Arc<AtomicU32>) {
        let issued = Arc::new(AtomicU32::new(0));
        let r = Renewing::new(Box::new(Counting {
            lifetime,
            issued: issued.clone(),
        }));
        (Arc::new(r), issued)
    }

    #[test]
    fn the_margin_is_a_quarter_of_the_lifetime_at_most_five_minutes() {
        assert_eq!(
            margin(Duration::from_secs(900)),
            Duration::from_secs(225),
            "15 minutes: renewed with 3¾ left"
        );
        assert_eq!(margin(Duration::from_secs(43_200)), MAX_MARGIN);
        assert_eq!(margin(Duration::from_secs(2)), Duration::from_millis(500));
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_renewal() {
        let (r, issued) = renewing(Duration::from_secs(3600));
        let calls: Vec<_> = (0..16)
            .map(|_| {
                let r = r.clone();
                tokio::spawn(async move { r.credential().await.unwrap() })
            })
            .collect();
        for c in calls {
            assert_eq!(c.await.unwrap().key, "STS.1");
        }
        assert_eq!(issued.load(Ordering::SeqCst), 1);
        assert_eq!(r.credential().await.unwrap().key, "STS.1", "still fresh");
    }

    #[tokio::test]
    async fn a_lease_is_renewed_before_it_expires() {
        let (r, issued) = renewing(Duration::from_millis(400));
        let first = r.credential().await.unwrap();
        assert_eq!(r.credential().await.unwrap(), first, "fresh: reused");
        // a quarter of the lifetime before expiry it is stale: renewed, though not expired
        tokio::time::sleep(Duration::from_millis(320)).await;
        let second = r.credential().await.unwrap();
        assert_eq!(second.key, "STS.2");
        assert_eq!(issued.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn debug_hides_the_secret_and_the_token() {
        let c = Credential {
            key: "AK".into(),
            secret: "very-secret".into(),
            token: Some("CAIS-token".into()),
        };
        let shown = format!("{c:?}");
        assert!(shown.contains("AK"), "{shown}");
        assert!(
            !shown.contains("very-secret") && !shown.contains("CAIS"),
            "{shown}"
        );
    }
}
