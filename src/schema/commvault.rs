//! Schemas of the Commvault family: `commvault_postgresql_instance` (Commvault's "Create
//! Instance" for an Alibaba PaaS PostgreSQL database, so that it is backed up) and the
//! `commvault` provider block. The API can only create and delete an instance, so every
//! argument change replaces it.

use super::{Attr, Default, Kind, Mode, Rule, Schema, Timeouts, Type, Verb};

/// The cloud database agent's application id (the API's documented default).
pub const CLOUD_DB_APPLICATION_ID: i64 = 125;

/// `host:port`, as the API's `port` field wants it.
pub const ENDPOINT_RULE: Rule = Rule::Pattern {
    regex: r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?:[0-9]{1,5}$",
    what: "the database endpoint is host:port, e.g. pgm-6gj1yy9fmpsm49d9.pg.rds.aliyuncs.com:5432",
};

const NOT_EMPTY: &[Rule] = &[Rule::Length { min: 1, max: 256 }];

const SA_USER: &[Attr] = &[
    Attr::new("user_name", Type::String, Mode::Required)
        .rules(NOT_EMPTY)
        .doc("the database's administrator (SA) user"),
    Attr::new("password", Type::String, Mode::Required)
        .sensitive()
        .doc("its password (sent base64-encoded); give it from a sensitive variable"),
];

const SSL: &[Attr] = &[
    Attr::new("enabled", Type::Bool, Mode::Optional).doc("connect with SSL (default false)"),
    Attr::new("ca", Type::String, Mode::Optional).doc("path of the SSL CA file on the access node"),
];

/// Why any change replaces an instance: strata's driver has no update for it.
const NO_UPDATE: &str = "strata's Commvault driver cannot change an instance in place";

/// A required, non-empty string fixed at creation (a change replaces the instance).
const fn fixed_text(name: &'static str, doc: &'static str) -> Attr {
    Attr::new(name, Type::String, Mode::Required)
        .force_new(NO_UPDATE)
        .rules(NOT_EMPTY)
        .doc(doc)
}

pub static POSTGRESQL_INSTANCE: Schema = Schema {
    type_name: "commvault_postgresql_instance",
    kind: Kind::Resource,
    description:
        "An Alibaba PaaS PostgreSQL database registered with Commvault (Create Instance), \
                  so that all its databases are backed up",
    attrs: &[
        fixed_text(
            "instance_name",
            "by convention <rds-instance-id>[<region>], e.g. pgm-6gj1yy9fmpsm49d9[ap-south-1]",
        ),
        fixed_text(
            "client_name",
            "the Commvault client (cloud account) the instance belongs to",
        ),
        fixed_text("version", "PostgreSQL version of the database, e.g. \"14\""),
        fixed_text("plan_name", "the backup plan, e.g. \"Server plan\""),
        fixed_text("maintenance_db", "the maintenance database, e.g. postgres"),
        Attr::new("endpoint", Type::String, Mode::Required)
            .force_new(NO_UPDATE)
            .rules(&[ENDPOINT_RULE])
            .doc("the database's host:port"),
        Attr::new("sa_user", Type::Object(SA_USER), Mode::Required)
            .force_new(NO_UPDATE)
            .doc("the administrator credentials Commvault connects with"),
        Attr::new("ssl", Type::Object(SSL), Mode::Optional)
            .force_new(NO_UPDATE)
            .doc("SSL options of the connection"),
        Attr::new("application_id", Type::Int, Mode::Optional)
            .force_new(NO_UPDATE)
            .rules(&[super::rules::POSITIVE])
            .default(Default::Int(CLOUD_DB_APPLICATION_ID))
            .doc("the agent's application id (125: cloud databases)"),
        Attr::new("id", Type::String, Mode::Computed).doc("the instanceId"),
        Attr::new("client_id", Type::Int, Mode::Computed).doc("the id of the client (client_name)"),
        Attr::new("subclient_id", Type::Int, Mode::Computed)
            .doc("the subclient id Commvault answers for the instance"),
    ],
    verb: Verb::Create,
    clone: None,
    updatable: false,
    exactly_one_of: &[],
    timeouts: Timeouts {
        create_s: 600,
        update_s: 600,
        delete_s: 600,
    },
};

pub static PROVIDER: Schema = Schema::provider(
    "commvault",
    "Commvault Command Center REST API: endpoint and credentials",
    super::providers::provider_attrs![8;
        Attr::new("endpoint", Type::String, Mode::Required).doc(
            "\"sandbox\", or the API base URL, e.g. https://<CommandCenterHostName>/commandcenter/api",
        ),
        Attr::new("username", Type::String, Mode::Optional).doc("default: COMMVAULT_USERNAME"),
        Attr::new("password", Type::String, Mode::Optional)
            .sensitive()
            .doc("default: COMMVAULT_PASSWORD (or a token in COMMVAULT_AUTHTOKEN)"),
    ],
);

pub static SCHEMAS: &[&Schema] = &[&POSTGRESQL_INSTANCE];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{key, Map, Value};

    fn args(j: serde_json::Value) -> Map {
        Value::from_json(&j).as_map().cloned().unwrap_or_default()
    }

    #[test]
    fn instance_arguments_are_checked() {
        let mut ok = args(serde_json::json!({
            "instance_name": "pgm-6gj1yy9fmpsm49d9[ap-south-1]", "client_name": "alibaba-prod",
            "version": 14, "plan_name": "Server plan", "maintenance_db": "postgres",
            "endpoint": "pgm-6gj1yy9fmpsm49d9.pg.rds.aliyuncs.com:5432",
            "sa_user": {"user_name": "postgres", "password": "pw"}
        }));
        assert!(super::super::check(&POSTGRESQL_INSTANCE, &mut ok, false).is_empty());
        assert_eq!(
            ok["version"],
            Value::str("14"),
            "coerced to the API's string"
        );
        let mut bad = args(serde_json::json!({
            "instance_name": "x", "client_name": "c", "version": "14", "plan_name": "p",
            "maintenance_db": "postgres", "endpoint": "no-port",
            "sa_user": {"user_name": "postgres"}, "ssl": {"enabled": "maybe"}
        }));
        let problems = super::super::check(&POSTGRESQL_INSTANCE, &mut bad, false);
        let paths: Vec<String> = problems
            .iter()
            .map(|p| crate::value::path_string(&p.path))
            .collect();
        assert_eq!(
            paths,
            ["endpoint", "sa_user.password", "ssl.enabled"],
            "{problems:?}"
        );
        assert!(problems[0].message.contains("host:port"));
    }

    #[test]
    fn the_password_is_sensitive_and_every_argument_replaces() {
        assert_eq!(
            POSTGRESQL_INSTANCE.sensitive_paths(),
            vec![vec![key("sa_user"), key("password")]]
        );
        assert!(!POSTGRESQL_INSTANCE.updatable);
        assert!(POSTGRESQL_INSTANCE
            .attrs
            .iter()
            .filter(|a| a.settable())
            .all(|a| a.always_replaces()));
    }
}
