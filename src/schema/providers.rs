//! Schemas of the `providers:` blocks, one per cloud family, and the settings every family
//! shares: `max_concurrency` (1–[`MAX_CONCURRENCY`]), `ca_file` (a PEM bundle trusted in
//! addition to the public roots) and `insecure_http`.
//!
//! Invariant: a block whose endpoint is a plain `http://` URL is refused by [`check`] — at
//! validate time and again before any client is built, so before any credential is sent —
//! unless it says `insecure_http: true`. `endpoint: sandbox` (the embedded sandbox, or the
//! strata sandbox `STRATA_SANDBOX_URL` names) is not a URL and is exempt; a loopback address
//! written as a URL is not.

use super::{Attr, Default, Mode, Problem, Rule, Schema, Type};
use crate::value::{key, Map, Path, Value};

/// Each family's provider-block schema, derived from the one list (`family_list`).
macro_rules! provider_schemas {
    ($($family:ident),*) => {
        pub static PROVIDERS: &[&Schema] = &[$(&super::$family::PROVIDER),*];
    };
}
crate::family_list::with_families!(provider_schemas);

pub fn provider(name: &str) -> Option<&'static Schema> {
    PROVIDERS.iter().copied().find(|s| s.type_name == name)
}

/// The most calls a provider block may allow in flight at once against one API.
pub const MAX_CONCURRENCY: i64 = 256;

const CONCURRENCY: &[Rule] = &[Rule::Range {
    min: 1,
    max: MAX_CONCURRENCY,
    step: 1,
}];

/// `max_concurrency`, with the family's default.
pub const fn max_concurrency(default: i64) -> Attr {
    Attr::new("max_concurrency", Type::Int, Mode::Optional)
        .default(Default::Int(default))
        .rules(CONCURRENCY)
        .doc("calls in flight at once against each API (1–256)")
}

/// `ca_file`: certificates (PEM) to trust besides the public roots, e.g. a private CA.
pub const CA_FILE: Attr = Attr::new("ca_file", Type::String, Mode::Optional).doc(
    "PEM file of CA certificates trusted in addition to the public roots (relative to the \
     stack directory)",
);

/// `insecure_http`: allow a plain `http://` endpoint (credentials then cross in the clear).
pub const INSECURE_HTTP: Attr = Attr::new("insecure_http", Type::Bool, Mode::Optional)
    .default(Default::Bool(false))
    .doc("allow a plain http:// endpoint URL: credentials are sent unencrypted (a warning is printed)");

/// `access_key`, defaulting to what `doc` names.
pub const fn access_key(doc: &'static str) -> Attr {
    Attr::new("access_key", Type::String, Mode::Optional).doc(doc)
}

/// `secret_key` (sensitive), defaulting to what `doc` names.
pub const fn secret_key(doc: &'static str) -> Attr {
    Attr::new("secret_key", Type::String, Mode::Optional)
        .sensitive()
        .doc(doc)
}

/// `security_token` (sensitive): a temporary key pair's token, defaulting to what `doc` names.
pub const fn security_token(doc: &'static str) -> Attr {
    Attr::new("security_token", Type::String, Mode::Optional)
        .sensitive()
        .doc(doc)
}

/// A provider block's attributes: the family's own, then the transport settings every block
/// ends with (`max_concurrency` with the family's default, `ca_file`, `insecure_http`).
macro_rules! provider_attrs {
    ($concurrency:expr; $($attr:expr),* $(,)?) => {
        &[
            $($attr,)*
            $crate::schema::providers::max_concurrency($concurrency),
            $crate::schema::providers::CA_FILE,
            $crate::schema::providers::INSECURE_HTTP,
        ]
    };
}
pub(crate) use provider_attrs;

/// The schema's checks plus the plain-http rule.
pub fn check(schema: &Schema, args: &mut Map, sensitive: &[crate::value::Path]) -> Vec<Problem> {
    let mut problems = super::check_masked(schema, args, false, sensitive);
    if !insecure_allowed(args) {
        for (path, url) in plain_http_endpoints(args) {
            problems.push(Problem {
                path,
                message: format!(
                    "\"{url}\" is plain http: the credentials would be sent unencrypted"
                ),
                hint: Some(
                    "use an https:// URL, or set insecure_http: true to allow it (a test server)"
                        .into(),
                ),
            });
        }
    }
    problems
}

/// The attribute that names a block's endpoint (a URL, or `sandbox`).
pub const ENDPOINT: &str = "endpoint";

/// The attribute of per-service endpoint URLs, in the families that have one.
pub const ENDPOINTS: &str = "endpoints";

/// How a plain-http URL begins (compared ignoring case, after leading spaces).
pub const PLAIN_HTTP: &str = "http://";

/// Whether the block says `insecure_http: true`.
pub fn insecure_allowed(args: &Map) -> bool {
    args.get(INSECURE_HTTP.name).and_then(Value::as_bool) == Some(true)
}

/// Every endpoint URL of a block (`endpoint`, and each of `endpoints:`) that is plain http,
/// with its attribute path. Unknown values are not reported (they are checked once known).
pub fn plain_http_endpoints(args: &Map) -> Vec<(Path, String)> {
    let mut urls: Vec<(Path, &str)> = Vec::new();
    if let Some(s) = args.get(ENDPOINT).and_then(Value::as_str) {
        urls.push((vec![key(ENDPOINT)], s));
    }
    if let Some(Value::Map(m)) = args.get(ENDPOINTS) {
        for (k, v) in m {
            if let Some(s) = v.as_str() {
                urls.push((vec![key(ENDPOINTS), key(k)], s));
            }
        }
    }
    urls.into_iter()
        .filter(|(_, s)| is_plain_http(s))
        .map(|(p, s)| (p, s.to_string()))
        .collect()
}

fn is_plain_http(url: &str) -> bool {
    url.trim()
        .get(..PLAIN_HTTP.len())
        .is_some_and(|s| s.eq_ignore_ascii_case(PLAIN_HTTP))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(j: serde_json::Value) -> Map {
        Value::from_json(&j).as_map().cloned().unwrap_or_default()
    }

    fn messages(family: &str, j: serde_json::Value) -> Vec<String> {
        let mut m = args(j);
        check(provider(family).unwrap(), &mut m, &[])
            .into_iter()
            .map(|p| format!("{}: {}", crate::value::path_string(&p.path), p.message))
            .collect()
    }

    #[test]
    fn plain_http_endpoints_are_refused_unless_allowed() {
        let url = "HTTP://127.0.0.1:9/x";
        assert_eq!(
            messages("commvault", serde_json::json!({"endpoint": url})),
            [format!(
                "endpoint: \"{url}\" is plain http: the credentials would be sent unencrypted"
            )]
        );
        let aliyun = serde_json::json!({"region": "r", "endpoints": {"gpdb": "http://h/g"}});
        assert_eq!(
            messages("alicloud", aliyun),
            ["endpoints.gpdb: \"http://h/g\" is plain http: the credentials would be sent unencrypted"]
        );
        for ok in [
            serde_json::json!({"endpoint": "sandbox"}),
            serde_json::json!({"endpoint": "https://h/api"}),
            serde_json::json!({"endpoint": "http://h/api", "insecure_http": true}),
        ] {
            assert_eq!(
                messages("commvault", ok.clone()),
                Vec::<String>::new(),
                "{ok}"
            );
        }
    }

    #[test]
    fn max_concurrency_is_bounded_in_every_family() {
        for (family, base) in [
            ("commvault", serde_json::json!({"endpoint": "sandbox"})),
            ("alicloud", serde_json::json!({"region": "r"})),
            (
                "huaweicloud",
                serde_json::json!({"region": "r", "project_id": "p"}),
            ),
        ] {
            for (n, want) in [
                (-1, Some("-1 is out of range: must be 1–256")),
                (0, Some("0 is out of range: must be 1–256")),
                (257, Some("257 is out of range: must be 1–256")),
                (1, None),
                (256, None),
            ] {
                let mut j = base.clone();
                j["max_concurrency"] = n.into();
                let want: Vec<String> = want
                    .map(|w| format!("max_concurrency: {w}"))
                    .into_iter()
                    .collect();
                assert_eq!(messages(family, j), want, "{family} {n}");
            }
        }
    }
}
