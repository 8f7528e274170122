//! What every family's client set-up shares, decided in one place from an evaluated provider
//! block: the endpoint (a per-service override, else the sandbox through the resolver, else
//! the block's URL, else the family's regional endpoint), the credentials (the block, else the
//! environment unless the endpoint is the sandbox, else the sandbox's own, else an error naming
//! the variables; a temporary key pair's security token from where its access key came),
//! `max_concurrency`, and the HTTP client trusting the block's `ca_file`.
//!
//! Invariant: credentials from the environment are for real clouds and never go to a sandbox
//! (which may be another process, over plain http).
//!
//! Invariant: a security token is never paired with an access key from elsewhere: the block's
//! `security_token` goes with whatever key pair is used, the environment's only with an access
//! key from the environment (a CI runner's token never meets a key written in the block).

use super::credentials::Credential;
use super::endpoints::{Endpoints, KeyPair};
use crate::value::{Map, Value};

/// Where a credential comes from: its provider-block attribute and its environment variables
/// (the first set and non-empty wins).
#[derive(Clone, Copy)]
pub struct Source {
    pub attr: &'static str,
    pub env: &'static [&'static str],
}

impl Source {
    /// The block's `attr`, else the first of the `env` variables set.
    pub const fn new(attr: &'static str, env: &'static [&'static str]) -> Source {
        Source { attr, env }
    }

    /// A key pair's access key: the block's `access_key`, else the `env` variables.
    pub const fn access_key(env: &'static [&'static str]) -> Source {
        Source::new("access_key", env)
    }

    /// A key pair's secret: the block's `secret_key`, else the `env` variables.
    pub const fn secret_key(env: &'static [&'static str]) -> Source {
        Source::new("secret_key", env)
    }

    /// A temporary key pair's token: the block's `security_token`, else the `env` variables.
    pub const fn security_token(env: &'static [&'static str]) -> Source {
        Source::new("security_token", env)
    }
}

/// Where a family's signing credentials come from: access key, secret, security token, and
/// the error naming them when there are none.
pub struct Signing {
    pub key: Source,
    pub secret: Source,
    pub token: Source,
    pub missing: &'static str,
}

/// A family's provider block, evaluated and checked, with what its clients need.
pub struct Block<'a> {
    pub family: &'a str,
    pub settings: Map,
    /// Trusts the public roots and the block's `ca_file`.
    pub http: reqwest::Client,
    pub endpoints: &'a dyn Endpoints,
}

/// The first of `names` set (non-empty) in the environment.
pub fn env_any(names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|n| std::env::var(n).ok().filter(|v| !v.is_empty()))
}

impl Block<'_> {
    /// A string setting.
    pub fn get(&self, key: &str) -> Option<String> {
        self.settings
            .get(key)
            .and_then(Value::as_str)
            .map(String::from)
    }

    /// Whether the block says `endpoint: sandbox`.
    pub fn is_sandbox(&self) -> bool {
        self.get("endpoint").as_deref() == Some("sandbox")
    }

    /// `max_concurrency` (checked to be 1–256 and defaulted by the schema).
    pub fn concurrency(&self) -> usize {
        self.settings
            .get("max_concurrency")
            .and_then(Value::as_i64)
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(1)
    }

    /// The base URL for `service`: `over` (a per-service override) first, then the sandbox's
    /// (`endpoint: sandbox`), the block's `endpoint`, or else `regional` (empty without one).
    pub async fn endpoint(
        &self,
        service: &str,
        over: Option<String>,
        regional: Option<String>,
    ) -> Result<String, String> {
        if let Some(url) = over {
            return Ok(url);
        }
        match self.get("endpoint") {
            Some(e) if e == "sandbox" => self.endpoints.sandbox_url(self.family, service).await,
            Some(url) => Ok(url),
            None => Ok(regional.unwrap_or_default()),
        }
    }

    /// One credential: the block's attribute, else the environment unless the sandbox.
    pub fn credential(&self, source: Source) -> Option<String> {
        self.get(source.attr).or_else(|| {
            if self.is_sandbox() {
                None
            } else {
                env_any(source.env)
            }
        })
    }

    /// The sandbox's own credentials for `service`, when the endpoint is the sandbox.
    pub fn sandbox_credentials(&self, service: &str) -> Option<KeyPair> {
        if self.is_sandbox() {
            self.endpoints.sandbox_credentials(self.family, service)
        } else {
            None
        }
    }

    /// Both halves of a key pair from [`Block::credential`], else the sandbox's own, else the
    /// error `missing`.
    pub fn key_pair(
        &self,
        service: &str,
        key: Source,
        secret: Source,
        missing: &str,
    ) -> Result<KeyPair, String> {
        match (self.credential(key), self.credential(secret)) {
            (Some(key), Some(secret)) => Ok(KeyPair { key, secret }),
            _ => self
                .sandbox_credentials(service)
                .ok_or_else(|| missing.to_string()),
        }
    }

    /// The credential a client signs with: [`Block::key_pair`], and the security token that
    /// goes with it — the block's `security_token`, else the environment's when the access
    /// key came from the environment.
    pub fn signing(&self, service: &str, s: &Signing) -> Result<Credential, String> {
        let pair = self.key_pair(service, s.key, s.secret, s.missing)?;
        let key_from_env = self.get(s.key.attr).is_none()
            && !self.is_sandbox()
            && env_any(s.key.env).as_deref() == Some(pair.key.as_str());
        let token = self
            .get(s.token.attr)
            .or_else(|| key_from_env.then(|| env_any(s.token.env)).flatten());
        Ok(Credential {
            key: pair.key,
            secret: pair.secret,
            token,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_trait::async_trait;

    /// A sandbox at `http://sb` whose every service accepts `sb-key` / `sb-secret`.
    struct FakeSandbox;

    #[async_trait]
    impl Endpoints for FakeSandbox {
        async fn sandbox_url(&self, family: &str, service: &str) -> Result<String, String> {
            Ok(format!("http://sb/{family}/{service}"))
        }
        fn sandbox_credentials(&self, _: &str, _: &str) -> Option<KeyPair> {
            Some(KeyPair {
                key: "sb-key".into(),
                secret: "sb-secret".into(),
            })
        }
    }

    const KEY: Source = Source::access_key(&["STRATA_TEST_CLIENT_SETTINGS_KEY"]);
    const SECRET: Source = Source::secret_key(&["STRATA_TEST_CLIENT_SETTINGS_SECRET"]);

    fn block(settings: serde_json::Value) -> Block<'static> {
        let Value::Map(settings) = Value::from_json(&settings) else {
            unreachable!("a mapping")
        };
        Block {
            family: "fam",
            settings,
            http: reqwest::Client::new(),
            endpoints: &FakeSandbox,
        }
    }

    fn run<T>(f: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn endpoint_override_then_sandbox_then_block_then_regional() {
        let regional = || Some("https://regional".to_string());
        let sb = block(serde_json::json!({"endpoint": "sandbox"}));
        assert_eq!(
            run(sb.endpoint("svc", None, regional())).unwrap(),
            "http://sb/fam/svc"
        );
        let over = Some("https://over".to_string());
        assert_eq!(
            run(sb.endpoint("svc", over, regional())).unwrap(),
            "https://over"
        );
        let url = block(serde_json::json!({"endpoint": "https://mine"}));
        assert_eq!(
            run(url.endpoint("svc", None, regional())).unwrap(),
            "https://mine"
        );
        let none = block(serde_json::json!({}));
        assert_eq!(
            run(none.endpoint("svc", None, regional())).unwrap(),
            "https://regional"
        );
        assert_eq!(run(none.endpoint("svc", None, None)).unwrap(), "");
    }

    #[test]
    fn credentials_block_then_environment_unless_sandbox_then_the_sandboxs() {
        // The variables are this test's own: no other test reads them.
        std::env::set_var("STRATA_TEST_CLIENT_SETTINGS_KEY", "env-key");
        std::env::set_var("STRATA_TEST_CLIENT_SETTINGS_SECRET", "env-secret");
        let real = block(serde_json::json!({"endpoint": "https://mine"}));
        let pair = real.key_pair("svc", KEY, SECRET, "none").unwrap();
        assert_eq!(
            (pair.key.as_str(), pair.secret.as_str()),
            ("env-key", "env-secret")
        );
        let sb = block(serde_json::json!({"endpoint": "sandbox"}));
        let pair = sb.key_pair("svc", KEY, SECRET, "none").unwrap();
        assert_eq!(
            pair.key, "sb-key",
            "environment credentials never go to a sandbox"
        );
        let given = block(serde_json::json!({
            "endpoint": "sandbox", "access_key": "ak", "secret_key": "sk"
        }));
        let pair = given.key_pair("svc", KEY, SECRET, "none").unwrap();
        assert_eq!((pair.key.as_str(), pair.secret.as_str()), ("ak", "sk"));
        std::env::remove_var("STRATA_TEST_CLIENT_SETTINGS_KEY");
        std::env::remove_var("STRATA_TEST_CLIENT_SETTINGS_SECRET");
        let err = real
            .key_pair("svc", KEY, SECRET, "fam: no credentials")
            .unwrap_err();
        assert_eq!(err, "fam: no credentials");
        assert_eq!(real.concurrency(), 1);
    }

    #[test]
    fn a_token_goes_only_with_a_key_from_its_own_place() {
        // The variables are this test's own: no other test reads them.
        let signing = Signing {
            key: Source::access_key(&["STRATA_TEST_SIGNING_KEY"]),
            secret: Source::secret_key(&["STRATA_TEST_SIGNING_SECRET"]),
            token: Source::security_token(&["STRATA_TEST_SIGNING_TOKEN"]),
            missing: "none",
        };
        std::env::set_var("STRATA_TEST_SIGNING_KEY", "STS.env");
        std::env::set_var("STRATA_TEST_SIGNING_SECRET", "env-secret");
        std::env::set_var("STRATA_TEST_SIGNING_TOKEN", "env-token");
        let token = |settings: serde_json::Value| {
            block(settings)
                .signing("svc", &signing)
                .map(|c| (c.key, c.token))
                .unwrap()
        };
        let url = "https://mine";
        assert_eq!(
            token(serde_json::json!({"endpoint": url})),
            ("STS.env".into(), Some("env-token".into()))
        );
        let written = serde_json::json!({"endpoint": url, "access_key": "ak", "secret_key": "sk"});
        assert_eq!(
            token(written),
            ("ak".into(), None),
            "never the runner's token"
        );
        let with_token = serde_json::json!({
            "endpoint": url, "access_key": "ak", "secret_key": "sk", "security_token": "t"
        });
        assert_eq!(token(with_token), ("ak".into(), Some("t".into())));
        assert_eq!(
            token(serde_json::json!({"endpoint": "sandbox"})),
            ("sb-key".into(), None),
            "the sandbox's own keys are long-lived"
        );
        for v in ["KEY", "SECRET", "TOKEN"] {
            std::env::remove_var(format!("STRATA_TEST_SIGNING_{v}"));
        }
    }
}
