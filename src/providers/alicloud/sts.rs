//! Alibaba Cloud STS (2015-04-01) `AssumeRole`, the [`Issuer`] behind a provider block's
//! `assume_role { role_arn, session_name, duration_seconds }`: called with the block's own
//! (base) credentials through the RPC client like every other action, it answers a temporary
//! key pair (`STS.…`), its `SecurityToken` and its `Expiration`, which every client of the
//! block then signs with until the lease is renewed (`credentials::Renewing`).
//!
//! The request and answer follow the SDK's model (alibabacloud_sts20150401 1.2.0,
//! `AssumeRoleRequest`: `RoleArn`, `RoleSessionName`, `DurationSeconds` 900 to the role's
//! `MaxSessionDuration`, `Policy`; `AssumeRoleResponseBody.Credentials`: `AccessKeyId`,
//! `AccessKeySecret`, `SecurityToken`, `Expiration` as `2015-04-09T11:52:19Z`).
//!
//! Invariant: the answer's secret and token go nowhere but into the lease: an error names the
//! role and the API's code and message, never the answer's body.

use super::client::RpcClient;
use super::signer::ACS_DATE;
use crate::providers::credentials::{Credential, Issuer, Lease};
use crate::providers::signing::parse_utc_date;
use crate::providers::{ProviderError, Result};
use async_trait::async_trait;

/// What `assume_role` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// `acs:ram::<account id>:role/<role name>`.
    pub arn: String,
    /// `RoleSessionName`: 2–64 letters, digits and `.@-_` (in the caller's audit trail).
    pub session_name: String,
    /// 900 to the role's maximum session duration (at most 43200).
    pub duration_seconds: i64,
}

/// `assume_role`'s defaults, the SDK's for the duration (3600 s).
pub const DEFAULT_SESSION_NAME: &str = "strata";
pub const DEFAULT_DURATION_SECONDS: i64 = 3600;

/// Assumes `role` through `client` (an STS client signing with the base credentials).
pub struct AssumeRole {
    pub client: RpcClient,
    pub role: Role,
}

#[async_trait]
impl Issuer for AssumeRole {
    async fn issue(&self) -> Result<Lease> {
        let params = [
            ("RoleArn", self.role.arn.clone()),
            ("RoleSessionName", self.role.session_name.clone()),
            ("DurationSeconds", self.role.duration_seconds.to_string()),
        ];
        // AssumeRole changes nothing that lasts: safe to repeat after an ambiguous failure
        let answer = self
            .client
            .call("AssumeRole", &params, true)
            .await
            .map_err(|e| self.about(e))?;
        lease(&answer).map_err(|e| self.about(e))
    }
}

impl AssumeRole {
    /// `e`, saying it happened while assuming the role.
    fn about(&self, mut e: ProviderError) -> ProviderError {
        e.message = format!("assuming role {}: {}", self.role.arn, e.message);
        e
    }
}

/// The lease an `AssumeRole` answer grants.
fn lease(answer: &serde_json::Value) -> Result<Lease> {
    let c = &answer["Credentials"];
    let field = |name: &str| {
        c[name].as_str().filter(|v| !v.is_empty()).ok_or_else(|| {
            ProviderError::new(
                "BadResponse",
                format!("the AssumeRole answer has no Credentials.{name}"),
            )
        })
    };
    let expiration = field("Expiration")?;
    let expires = parse_utc_date(expiration, ACS_DATE).ok_or_else(|| {
        ProviderError::new(
            "BadResponse",
            format!("the AssumeRole answer's Expiration \"{expiration}\" is not a UTC time"),
        )
    })?;
    Ok(Lease {
        credential: Credential {
            key: field("AccessKeyId")?.to_string(),
            secret: field("AccessKeySecret")?.to_string(),
            token: Some(field("SecurityToken")?.to_string()),
        },
        expires: expires.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn the_answer_becomes_a_lease_and_a_short_one_is_refused_by_name() {
        // the documented example answer
        let answer = serde_json::json!({
            "RequestId": "6894B13B-6D71-4EF5-88FA-F32781734A7F",
            "AssumedRoleUser": {"AssumedRoleId": "34458433936495****:alice",
                                "Arn": "acs:ram::123456789012****:role/adminrole/alice"},
            "Credentials": {"SecurityToken": "CAIS-token", "Expiration": "2015-04-09T11:52:19Z",
                            "AccessKeySecret": "wyLTSmsyPGP1ohvvw8xYgB29dlGI8KMiH2pK****",
                            "AccessKeyId": "STS.L4aBSCSJVMuKg5U1****"}
        });
        let l = lease(&answer).unwrap();
        assert_eq!(l.credential.key, "STS.L4aBSCSJVMuKg5U1****");
        assert_eq!(l.credential.token.as_deref(), Some("CAIS-token"));
        assert_eq!(
            l.expires,
            UNIX_EPOCH + Duration::from_secs(1_428_580_339),
            "2015-04-09T11:52:19Z"
        );
        let mut no_token = answer.clone();
        no_token["Credentials"]
            .as_object_mut()
            .unwrap()
            .remove("SecurityToken");
        let e = lease(&no_token).unwrap_err();
        assert_eq!(
            e.message,
            "the AssumeRole answer has no Credentials.SecurityToken"
        );
        assert!(!e.message.contains("wyLT"), "no secret in the error");
    }
}
