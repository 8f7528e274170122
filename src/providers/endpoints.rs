//! The endpoint resolver handed to the providers: where the simulated cloud (`endpoint:
//! sandbox`) answers for a family's service, and the credentials it accepts there.
//!
//! Architecture invariant: providers never import the sandbox; whatever can start or reach
//! one implements [`Endpoints`] above both (`families`), so the sandbox's address and
//! credentials reach a client only through this trait.

use async_trait::async_trait;

/// A pair of credentials: access key and secret, or user name and password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPair {
    pub key: String,
    pub secret: String,
}

#[async_trait]
pub trait Endpoints: Send + Sync {
    /// The sandbox's base URL for `service` of `family` (`alicloud`, `gpdb`), starting it if
    /// need be.
    async fn sandbox_url(&self, family: &str, service: &str) -> Result<String, String>;

    /// The credentials the sandbox accepts for `service` of `family`.
    fn sandbox_credentials(&self, family: &str, service: &str) -> Option<KeyPair>;
}

/// No sandbox at all (e.g. a unit test of real endpoints).
pub struct NoSandbox;

#[async_trait]
impl Endpoints for NoSandbox {
    async fn sandbox_url(&self, family: &str, _: &str) -> Result<String, String> {
        Err(format!("{family}: no sandbox is available here"))
    }

    fn sandbox_credentials(&self, _: &str, _: &str) -> Option<KeyPair> {
        None
    }
}
