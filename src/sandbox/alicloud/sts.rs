//! Alibaba Cloud STS (`sts`, 2015-04-01) as the real service answers `AssumeRole`, on the
//! shared gateway at `/`: the role must be one of the sandbox account's (seeded: `strata-ci`,
//! `MaxSessionDuration` 43200), `RoleSessionName` 2–64 of `[A-Za-z0-9.@_-]`, `DurationSeconds`
//! 900 to the role's maximum (default 3600), `Policy` (optional) JSON of at most 2048
//! characters, `ExternalId` (optional) 2–1224 of `[\w+=,.@:/-]`. The answer is the documented
//! one: `Credentials` (`AccessKeyId` `STS.…`, `AccessKeySecret`, `SecurityToken` `CAIS…`,
//! `Expiration`) and `AssumedRoleUser`; the credentials are kept by `temporary` (hashes only)
//! and live `DurationSeconds`, or `sts_ttl_ms` when shorter (`STRATA_SANDBOX`).
//!
//! Errors are the API reference's (HTTP status, code, message): 400
//! `InvalidParameter.RoleArn` / `.RoleSessionName` / `.DurationSeconds` / `.ExternalId` /
//! `.PolicyGrammar` / `.PolicySize`, 404 `EntityNotExist.Role`; a missing parameter is the
//! gateway's `MissingParameter`. `SourceIdentity` and MFA are not simulated.

use super::{fail, internal, required, stamp, Params, Reply, RpcError, ACCOUNT_ID};
use crate::sandbox::store::World;
use crate::sandbox::temporary::{self, ALIBABA};
use crate::sandbox::world::{Sandbox, Service};
use serde_json::{json, Value};

/// STS: key, the one API version answered, actions.
pub static API: super::Api = super::Api {
    key: "sts",
    version: "2015-04-01",
    actions: &[("AssumeRole", assume_role)],
};

/// STS as the sandbox serves it.
pub static SERVICE: Service = super::service(
    &API,
    |sb| super::router(sb, &API),
    |head| super::claims(&API, head),
    seed,
);

const ROLES: &str = "ram/role";
/// The seeded role CI assumes.
pub const SEED_ROLE: &str = "strata-ci";

/// The ARN of the sandbox account's role `name`.
pub fn role_arn(name: &str) -> String {
    format!("acs:ram::{ACCOUNT_ID}:role/{name}")
}

pub fn seed(w: &mut World) {
    w.colls.entry(ROLES.into()).or_default().insert(
        SEED_ROLE.into(),
        json!({"name": SEED_ROLE, "status": "Active", "role_id": "300000000000000001",
               "max_session_duration": 43200}),
    );
}

fn wrongly_formed(name: &str) -> RpcError {
    fail(
        400,
        match name {
            "RoleArn" => "InvalidParameter.RoleArn",
            "RoleSessionName" => "InvalidParameter.RoleSessionName",
            _ => "InvalidParameter.ExternalId",
        },
        format!("The parameter {name} is wrongly formed."),
    )
}

/// Whether `s` has `min`–`max` characters, each allowed by `ok`.
fn made_of(s: &str, min: usize, max: usize, ok: impl Fn(char) -> bool) -> bool {
    (min..=max).contains(&s.chars().count()) && s.chars().all(ok)
}

/// The role an ARN names, its document's id: `acs:ram::<account>:role/<name>` (role names
/// are not case-sensitive).
fn role_name(arn: &str) -> Result<(&str, String), RpcError> {
    let (account, name) = arn
        .strip_prefix("acs:ram::")
        .and_then(|rest| rest.split_once(":role/"))
        .filter(|(a, n)| !a.is_empty() && a.bytes().all(|b| b.is_ascii_digit()) && !n.is_empty())
        .ok_or_else(|| wrongly_formed("RoleArn"))?;
    Ok((account, name.to_ascii_lowercase()))
}

/// The role's document, unless the account or the role is not the sandbox's.
fn role<'a>(w: &'a World, arn: &str) -> Result<(String, &'a Value), RpcError> {
    let (account, name) = role_name(arn)?;
    w.get(ROLES, &name)
        .filter(|_| account == ACCOUNT_ID)
        .map(|doc| (name, doc))
        .ok_or_else(|| {
            fail(
                404,
                "EntityNotExist.Role",
                "The specified Role not exists .",
            )
        })
}

/// `DurationSeconds`: 900 to the role's maximum, 3600 when not given.
fn duration(p: &Params, role: &Value) -> Result<u64, RpcError> {
    let max = role["max_session_duration"].as_u64().unwrap_or(3600);
    let out_of_range = || {
        fail(
            400,
            "InvalidParameter.DurationSeconds",
            "The Min/Max value of DurationSeconds is 15min/1hr.",
        )
    };
    match p.get("DurationSeconds") {
        None => Ok(3600u64.min(max)),
        Some(v) => v
            .parse::<u64>()
            .ok()
            .filter(|d| (900..=max).contains(d))
            .ok_or_else(out_of_range),
    }
}

/// The optional parameters' rules: `RoleSessionName`, `ExternalId`, `Policy`.
fn check_optional(p: &Params) -> Result<(), RpcError> {
    let session = required(p, "RoleSessionName")?;
    if !made_of(session, 2, 64, |c| {
        c.is_ascii_alphanumeric() || ".@-_".contains(c)
    }) {
        return Err(wrongly_formed("RoleSessionName"));
    }
    if let Some(id) = p.get("ExternalId") {
        let ok = |c: char| c.is_alphanumeric() || "_+=,.@:/-".contains(c);
        if !made_of(id, 2, 1224, ok) {
            return Err(wrongly_formed("ExternalId"));
        }
    }
    if let Some(policy) = p.get("Policy") {
        if policy.chars().count() > 2048 {
            return Err(fail(
                400,
                "InvalidParameter.PolicySize",
                "The size of Policy must be smaller than 2048 bytes.",
            ));
        }
        if !serde_json::from_str::<Value>(policy).is_ok_and(|v| v.is_object()) {
            return Err(fail(
                400,
                "InvalidParameter.PolicyGrammar",
                "The parameter Policy has not passed grammar check.",
            ));
        }
    }
    Ok(())
}

/// `AssumeRole`: temporary credentials of the role.
fn assume_role(sb: &Sandbox, p: &Params) -> Reply {
    let arn = required(p, "RoleArn")?;
    role_name(arn)?;
    check_optional(p)?;
    let session = required(p, "RoleSessionName")?.to_string();
    let spec = &sb.faults.spec;
    sb.store
        .write(|tx| {
            let (name, doc) = role(tx.world(), arn)?;
            let (role_id, seconds) = (doc["role_id"].clone(), duration(p, doc)?);
            let about = json!({"name": session, "role": name, "role_arn": arn});
            let issued =
                temporary::issue(tx, &ALIBABA, temporary::lifetime_ms(seconds, spec), about);
            Ok(json!({
                "AssumedRoleUser": {
                    "AssumedRoleId": format!("{}:{session}", role_id.as_str().unwrap_or_default()),
                    "Arn": format!("{arn}/{session}"),
                },
                "Credentials": {
                    "AccessKeyId": issued.key,
                    "AccessKeySecret": issued.secret,
                    "SecurityToken": issued.token,
                    "Expiration": stamp(issued.expires_ms),
                },
            }))
        })
        .map_err(internal)?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(p: &[(&str, &str)]) -> Params {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_documented_rules_and_errors() {
        let mut w = World::default();
        seed(&mut w);
        let arn = role_arn(SEED_ROLE);
        let code = |p: &[(&str, &str)]| {
            let p = params(p);
            check_optional(&p)
                .and_then(|_| role(&w, p.get("RoleArn").map_or("", |s| s.as_str())))
                .and_then(|(_, doc)| duration(&p, doc))
                .map_err(|e| e.code)
        };
        let ok = [("RoleArn", arn.as_str()), ("RoleSessionName", "ci-run.1@x")];
        assert_eq!(code(&ok), Ok(3600));
        let with = |k: &'static str, v: &'static str| {
            let mut p = ok.to_vec();
            p.retain(|(n, _)| *n != k);
            p.push((k, v));
            code(&p)
        };
        assert_eq!(with("DurationSeconds", "43200"), Ok(43200));
        for (k, v, want) in [
            ("DurationSeconds", "899", "InvalidParameter.DurationSeconds"),
            (
                "DurationSeconds",
                "43201",
                "InvalidParameter.DurationSeconds",
            ),
            ("RoleSessionName", "a", "InvalidParameter.RoleSessionName"),
            (
                "RoleSessionName",
                "no spaces",
                "InvalidParameter.RoleSessionName",
            ),
            (
                "RoleArn",
                "acs:ram::x:role/strata-ci",
                "InvalidParameter.RoleArn",
            ),
            (
                "RoleArn",
                "acs:ram::1000000000000001:user/ci",
                "InvalidParameter.RoleArn",
            ),
            (
                "RoleArn",
                "acs:ram::1000000000000001:role/other",
                "EntityNotExist.Role",
            ),
            (
                "RoleArn",
                "acs:ram::2000000000000002:role/strata-ci",
                "EntityNotExist.Role",
            ),
            ("ExternalId", "a", "InvalidParameter.ExternalId"),
            ("Policy", "not json", "InvalidParameter.PolicyGrammar"),
        ] {
            assert_eq!(with(k, v), Err(want), "{k}={v}");
        }
        assert_eq!(
            with("RoleArn", "acs:ram::1000000000000001:role/STRATA-CI"),
            Ok(3600),
            "role names are not case-sensitive"
        );
    }
}
