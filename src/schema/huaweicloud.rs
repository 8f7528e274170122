//! Schemas of the Huawei Cloud RDS parameter-template family (resource and data source).

use super::{Attr, Kind, Mode, Rule, Schema, Timeouts, Type, Verb};

/// Names: 1–64 characters of letters, digits, `.`, `_` and `-` (case-sensitive).
pub const NAME_RULE: Rule = Rule::Pattern {
    regex: r"^[A-Za-z0-9._-]{1,64}$",
    what: "a parameter template name is 1–64 characters of letters, digits, '.', '_' and '-'",
};
pub const DESCRIPTION_RULES: &[Rule] =
    &[Rule::Length { min: 0, max: 256 }, Rule::NoChars("!<>=&\"'")];
pub const ENGINES: &[&str] = &["MySQL", "PostgreSQL", "SQLServer", "MariaDB"];

const DATASTORE: &[Attr] = &[
    Attr::new("type", Type::String, Mode::Required)
        .rules(&[Rule::OneOfIgnoreCase(ENGINES)])
        .doc("database engine: MySQL, PostgreSQL, SQLServer or MariaDB"),
    Attr::new("version", Type::String, Mode::Required)
        .doc("engine version, e.g. \"5.7\", \"8.0\", \"14\", \"2017_EE\""),
];

pub static TEMPLATE: Schema = Schema {
    type_name: "huaweicloud_rds_parameter_template",
    kind: Kind::Resource,
    description: "An RDS parameter template (configuration): created, or cloned with the copy API",
    attrs: &[
        Attr::new("name", Type::String, Mode::Required)
            .rules(&[NAME_RULE])
            .doc("template name, unique in the project"),
        Attr::new("description", Type::String, Mode::Optional)
            .rules(DESCRIPTION_RULES)
            .doc("up to 256 characters, without ! < > = & \" '"),
        Attr::new(
            "datastore",
            Type::Object(DATASTORE),
            Mode::RequiredForCreate,
        )
        .force_new("a template's engine and version are fixed when it is made")
        .doc("engine and version; taken from the source when cloned"),
        Attr::new("values", Type::Map(&Type::String), Mode::Optional)
            .doc("parameter values (strings); applied after the copy when cloned"),
        Attr::new("id", Type::String, Mode::Computed).doc("the template id"),
        Attr::new("datastore_name", Type::String, Mode::Computed)
            .doc("the engine as the API names it: mysql, postgresql, sqlserver or mariadb"),
        Attr::new("datastore_version_name", Type::String, Mode::Computed).doc("the engine version"),
        Attr::new("created", Type::String, Mode::Computed).doc("when it was created"),
        Attr::new("updated", Type::String, Mode::Computed)
            .volatile()
            .doc("when it was last changed"),
    ],
    verb: Verb::Create,
    clone: Some(&[
        Attr::new("source", Type::String, Mode::Required).doc("id of the template to copy")
    ]),
    updatable: true,
    exactly_one_of: &[],
    timeouts: Timeouts::all(600),
};

pub static TEMPLATE_DATA: Schema = Schema::data_source(
    "huaweicloud_rds_parameter_template",
    "An existing RDS parameter template, looked up by id or name",
    &[
        Attr::new("id", Type::String, Mode::OptionalComputed)
            .doc("the template id to look up (or give name)"),
        Attr::new("name", Type::String, Mode::OptionalComputed)
            .rules(&[NAME_RULE])
            .doc("the template name to look up (or give id)"),
        Attr::new("description", Type::String, Mode::Computed).doc("its description"),
        Attr::new("datastore_name", Type::String, Mode::Computed)
            .doc("its engine: mysql, postgresql, sqlserver or mariadb"),
        Attr::new("datastore_version_name", Type::String, Mode::Computed).doc("its engine version"),
        Attr::new("user_defined", Type::Bool, Mode::Computed)
            .doc("false for the cloud's default templates"),
        Attr::new("values", Type::Map(&Type::String), Mode::Computed).doc("its parameter values"),
    ],
    &[&["id", "name"]],
);

pub static PROVIDER: Schema = Schema::provider(
    "huaweicloud",
    "Huawei Cloud: region, project and credentials",
    super::providers::provider_attrs![16;
        Attr::new("region", Type::String, Mode::Required).doc("e.g. ap-southeast-1"),
        Attr::new("project_id", Type::String, Mode::Required)
            .doc("the project id the RDS API paths name"),
        Attr::new("endpoint", Type::String, Mode::Optional)
            .doc("\"sandbox\", or a base URL overriding https://rds.<region>.myhuaweicloud.com"),
        super::providers::access_key("default: HW_ACCESS_KEY / HUAWEICLOUD_ACCESS_KEY"),
        super::providers::secret_key("default: HW_SECRET_KEY / HUAWEICLOUD_SECRET_KEY"),
        super::providers::security_token(
            "the security token of a temporary AK/SK (sent as X-Security-Token); default, \
             with an AK from the environment: HW_SECURITY_TOKEN / HUAWEICLOUD_SDK_SECURITY_TOKEN"
        ),
    ],
);

pub static SCHEMAS: &[&Schema] = &[&TEMPLATE, &TEMPLATE_DATA];
