//! Schemas of the Alibaba Cloud family: AnalyticDB for PostgreSQL instances (create, clone
//! from a snapshot backup) and their backups, DataWorks data sources (create, clone), SelectDB
//! cluster bindings (bind) and instances, and the `alicloud` provider block.

use super::{Attr, Default, Kind, Mode, Rule, Schema, Timeouts, Type, Verb};

/// DataWorks clone names (`CloneDataSourceName`): a letter, then letters, digits and `_`,
/// 60 characters at most.
pub const CLONE_NAME_RULE: Rule = Rule::Pattern {
    regex: r"^[A-Za-z][A-Za-z0-9_]{0,59}$",
    what: "a cloned data source's name starts with a letter and has only letters, digits and \
           '_', 60 characters at most",
};
/// DataWorks create names: letters, digits and `_`, not starting with a digit or `_`, ≤ 255.
pub const CREATE_NAME_RULE: Rule = Rule::Pattern {
    regex: r"^[A-Za-z][A-Za-z0-9_]{0,254}$",
    what: "a data source name starts with a letter and has only letters, digits and '_', \
           255 characters at most",
};
pub const ENGINE_VERSIONS: &[&str] = &["6.0", "7.0"];
pub const INSTANCE_SPECS: &[&str] = &[
    "2C8G", "2C16G", "4C16G", "4C32G", "8C32G", "16C64G", "16C128G",
];
pub const MODES: &[&str] = &["StorageElastic", "Serverless", "ServerlessPro", "Classic"];
pub const CATEGORIES: &[&str] = &["HighAvailability", "Basic"];
pub const PAY_TYPES: &[&str] = &["Postpaid", "Prepaid"];

const GPDB_CLONE: &[Attr] = &[
    Attr::new("source", Type::String, Mode::Required).doc("id of the instance to restore from"),
    Attr::new("backup", Type::String, Mode::Required)
        .doc("\"latest\" (the newest successful snapshot backup), or a snapshot backup set id"),
];

pub static GPDB_INSTANCE: Schema = Schema {
    type_name: "alicloud_gpdb_instance",
    kind: Kind::Resource,
    description: "An AnalyticDB for PostgreSQL instance: created, or cloned from a snapshot \
                  backup of another instance (CloneDBInstance)",
    attrs: &[
        Attr::new("zone_id", Type::String, Mode::Required)
            .force_new("the API cannot move an instance to another zone")
            .doc("e.g. cn-hangzhou-i"),
        Attr::new("engine_version", Type::String, Mode::RequiredForCreate)
            .force_new("the engine's major version is fixed when the instance is made")
            .rules(&[Rule::OneOf(ENGINE_VERSIONS)])
            .doc("\"6.0\" or \"7.0\"; the source's when cloned"),
        Attr::new("instance_spec", Type::String, Mode::RequiredForCreate)
            .force_new("no call strata makes changes the node specification in place")
            .rules(&[Rule::OneOf(INSTANCE_SPECS)])
            .doc("e.g. 4C32G; the source's when cloned"),
        Attr::new("seg_node_num", Type::Int, Mode::RequiredForCreate)
            .force_new("no call strata makes changes the segment count in place")
            .rules(&[Rule::Range {
                min: 2,
                max: 512,
                step: 2,
            }])
            .doc("segment nodes (HighAvailability: 4–512 in steps of 4); the source's when cloned"),
        Attr::new("storage_size", Type::Int, Mode::RequiredForCreate)
            .force_new("no call strata makes changes the storage in place")
            .rules(&[Rule::Range {
                min: 50,
                max: 8000,
                step: 1,
            }])
            .doc("GB, 50–8000; the source's when cloned"),
        Attr::new("db_instance_mode", Type::String, Mode::Optional)
            .force_new("the API cannot convert an instance to another mode")
            .default(Default::Str("StorageElastic"))
            .rules(&[Rule::OneOf(MODES)])
            .doc("StorageElastic, Serverless, ServerlessPro or Classic (reserved storage)"),
        Attr::new("db_instance_category", Type::String, Mode::Optional)
            .force_new("the API cannot convert an instance to another category")
            .default(Default::Str("HighAvailability"))
            .rules(&[Rule::OneOf(CATEGORIES)])
            .doc("HighAvailability (a standby for each node) or Basic"),
        Attr::new("vpc_id", Type::String, Mode::OptionalComputed)
            .force_new("the API cannot move an instance to another VPC")
            .doc("default: one the cloud chooses"),
        Attr::new("vswitch_id", Type::String, Mode::OptionalComputed)
            .force_new("the API cannot move an instance to another vSwitch")
            .doc("must be in zone_id; default: one the cloud chooses"),
        Attr::new("pay_type", Type::String, Mode::Optional)
            .force_new("strata cannot change the billing method in place")
            .default(Default::Str("Postpaid"))
            .rules(&[Rule::OneOf(PAY_TYPES)])
            .doc("billing: Postpaid (pay as you go) or Prepaid (subscription)"),
        Attr::new("description", Type::String, Mode::Optional)
            .rules(&[Rule::Length { min: 2, max: 256 }])
            .doc("2–256 characters; changed in place"),
        Attr::new("id", Type::String, Mode::Computed).doc("the instance id (DBInstanceId)"),
        Attr::new("status", Type::String, Mode::Computed)
            .doc("the instance's status, e.g. Running"),
        Attr::new("connection_string", Type::String, Mode::Computed)
            .doc("the instance's connection address, when the API gives one"),
        Attr::new("port", Type::String, Mode::Computed)
            .doc("the instance's port, when the API gives one"),
        Attr::new("backup_id", Type::String, Mode::Computed)
            .doc("the backup set restored, when cloned"),
    ],
    verb: Verb::Create,
    clone: Some(GPDB_CLONE),
    updatable: true,
    exactly_one_of: &[],
    timeouts: Timeouts {
        create_s: 3600,
        update_s: 1800,
        delete_s: 1800,
    },
};

const BACKUP: &[Attr] = &[
    Attr::new("id", Type::String, Mode::Computed).doc("the backup set id"),
    Attr::new("method", Type::String, Mode::Computed).doc("Snapshot, Logical or Physical"),
    Attr::new("status", Type::String, Mode::Computed).doc("Success or Failure"),
    Attr::new("end_time", Type::String, Mode::Computed).doc("when the backup ended (UTC)"),
];

pub static GPDB_BACKUPS: Schema = Schema::data_source(
    "alicloud_gpdb_backups",
    "The data backups of an AnalyticDB for PostgreSQL instance (DescribeDataBackups)",
    &[
        Attr::new("instance_id", Type::String, Mode::Required)
            .doc("id of the instance whose backups are listed"),
        Attr::new("id", Type::String, Mode::Computed).doc("the instance's id"),
        Attr::new("backups", Type::List(&Type::Object(BACKUP)), Mode::Computed)
            .doc("the instance's data backups"),
        Attr::new("latest_snapshot_id", Type::String, Mode::Computed)
            .doc("the newest successful snapshot backup (what clone's backup: latest picks)"),
    ],
    &[],
);

const DATAWORKS_CLONE: &[Attr] =
    &[Attr::new("source", Type::String, Mode::Required).doc("id of the data source to clone")];

pub static DATAWORKS_DATA_SOURCE: Schema = Schema {
    type_name: "alicloud_dataworks_data_source",
    kind: Kind::Resource,
    description: "A DataWorks data source (2024-05-18 API): created, or cloned (CloneDataSource)",
    attrs: &[
        Attr::new("name", Type::String, Mode::Required)
            .force_new("UpdateDataSource cannot rename a data source")
            .rules(&[
                Rule::OnClone(&CLONE_NAME_RULE),
                Rule::OnCreate(&CREATE_NAME_RULE),
            ])
            .doc("the data source's name: a letter, then letters, digits and '_' (255 at most; 60 when cloned)"),
        Attr::new("project_id", Type::Int, Mode::RequiredForCreate)
            .force_new("a data source cannot move to another workspace")
            .rules(&[super::rules::POSITIVE])
            .doc("the workspace; the source's when cloned"),
        Attr::new("type", Type::String, Mode::RequiredForCreate)
            .force_new("a data source's type is fixed when it is made")
            .doc("hologres, mysql, …; the source's when cloned"),
        Attr::new(
            "connection_properties_mode",
            Type::String,
            Mode::RequiredForCreate,
        )
        .rules(&[Rule::OneOf(&["UrlMode", "InstanceMode", "CdhMode"])])
        .doc("how connection_properties locate the source: UrlMode, InstanceMode or CdhMode; the source's when cloned"),
        Attr::new(
            "connection_properties",
            Type::Map(&Type::String),
            Mode::RequiredForCreate,
        )
        .rules(&[Rule::HasKey("envType")])
        .doc("sent as JSON text; must hold envType (Dev or Prod)"),
        Attr::new("description", Type::String, Mode::OptionalComputed)
            .rules(&[Rule::Length { min: 0, max: 3000 }])
            .doc("up to 3000 characters; a clone keeps its source's unless set"),
        Attr::new("id", Type::String, Mode::Computed).doc("the data source id"),
        Attr::new("qualified_name", Type::String, Mode::Computed)
            .doc("the data source's qualified name in DataWorks"),
        Attr::new("create_time", Type::String, Mode::Computed).doc("when it was created"),
    ],
    verb: Verb::Create,
    clone: Some(DATAWORKS_CLONE),
    updatable: true,
    exactly_one_of: &[],
    timeouts: Timeouts::all(300),
};

pub static SELECTDB_BINDING: Schema = Schema {
    type_name: "alicloud_selectdb_cluster_binding",
    kind: Kind::Resource,
    description: "A binding of two clusters of a zone-redundant SelectDB instance \
                  (CreateDBClusterBinding)",
    attrs: &[
        Attr::new("instance_id", Type::String, Mode::Required)
            .force_new("a binding has no update: it is deleted and made again")
            .doc("the zone-redundant SelectDB instance, e.g. selectdb-cn-7213cjv2ez"),
        Attr::new("cluster_id", Type::String, Mode::Required)
            .force_new("a binding has no update: it is deleted and made again")
            .doc("one of its clusters, e.g. selectdb-cn-7213cjv2ez-be"),
        Attr::new("cluster_id_bak", Type::String, Mode::Required)
            .force_new("a binding has no update: it is deleted and made again")
            .rules(&[Rule::DiffersFrom {
                other: "cluster_id",
                what: "a binding needs two different clusters",
            }])
            .doc(
                "the other cluster (not cluster_id), in another zone, with the same billing method",
            ),
        Attr::new("region_id", Type::String, Mode::OptionalComputed)
            .force_new("a binding has no update: it is deleted and made again")
            .doc("default: the provider's region"),
        Attr::new("id", Type::String, Mode::Computed)
            .doc("<instance_id>/<cluster_id>/<cluster_id_bak>"),
        Attr::new("db_instance_numeric_id", Type::String, Mode::Computed)
            .doc("the instance's numeric id, as the binding API answers it"),
    ],
    verb: Verb::Bind,
    clone: None,
    updatable: false,
    exactly_one_of: &[],
    timeouts: Timeouts::all(600),
};

const CLUSTER: &[Attr] = &[
    Attr::new("id", Type::String, Mode::Computed).doc("the cluster id"),
    Attr::new("zone_id", Type::String, Mode::Computed).doc("the zone it runs in"),
    Attr::new("charge_type", Type::String, Mode::Computed)
        .doc("its billing method: PrePaid or PostPaid"),
    Attr::new("status", Type::String, Mode::Computed).doc("its status, e.g. ACTIVATION"),
    Attr::new("binding", Type::String, Mode::Computed).doc("the cluster it is bound to, if any"),
];

pub static SELECTDB_INSTANCE: Schema = Schema::data_source(
    "alicloud_selectdb_instance",
    "A SelectDB instance: deploy scheme, billing and clusters",
    &[
        Attr::new("id", Type::String, Mode::Required)
            .doc("the instance id, e.g. selectdb-cn-7213cjv2ez"),
        Attr::new("status", Type::String, Mode::Computed)
            .doc("the instance's status, e.g. ACTIVATION"),
        Attr::new("deploy_scheme", Type::String, Mode::Computed)
            .doc("single_az, or multi_az for a zone-redundant instance (which bindings need)"),
        Attr::new("charge_type", Type::String, Mode::Computed)
            .doc("its billing method: PrePaid or PostPaid"),
        Attr::new(
            "clusters",
            Type::List(&Type::Object(CLUSTER)),
            Mode::Computed,
        )
        .doc("the instance's clusters"),
    ],
    &[],
);

const ENDPOINTS: &[Attr] = &[
    Attr::new("gpdb", Type::String, Mode::Optional)
        .doc("base URL of the AnalyticDB for PostgreSQL API (gpdb)"),
    Attr::new("dataworks", Type::String, Mode::Optional).doc("base URL of the DataWorks API"),
    Attr::new("selectdb", Type::String, Mode::Optional).doc("base URL of the SelectDB API"),
    Attr::new("sts", Type::String, Mode::Optional)
        .doc("STS, for assume_role (default: https://sts.<region>.aliyuncs.com)"),
];

/// A RAM role's ARN as `AssumeRole` takes it (`RoleArn`: `acs:ram::<account id>:role/<role
/// name>`; role names are 1–64 letters, digits, `.`, `-` and `_`).
pub const ROLE_ARN_RULE: Rule = Rule::Pattern {
    regex: r"^acs:ram::[0-9]+:role/[A-Za-z0-9._-]{1,64}$",
    what: "a role ARN is acs:ram::<account id>:role/<role name>",
};
/// `RoleSessionName`: 2–64 letters, digits and `.@-_` (the STS API reference).
pub const SESSION_NAME_RULE: Rule = Rule::Pattern {
    regex: r"^[A-Za-z0-9.@_-]{2,64}$",
    what: "a session name has 2–64 letters, digits and '.', '@', '-', '_'",
};

const ASSUME_ROLE: &[Attr] = &[
    Attr::new("role_arn", Type::String, Mode::Required)
        .rules(&[ROLE_ARN_RULE])
        .doc("the RAM role to assume: acs:ram::<account id>:role/<role name>"),
    Attr::new("session_name", Type::String, Mode::Optional)
        .rules(&[SESSION_NAME_RULE])
        .doc("RoleSessionName, seen in the account's audit trail (default: strata)"),
    Attr::new("duration_seconds", Type::Int, Mode::Optional)
        .rules(&[Rule::Range {
            min: 900,
            max: 43200,
            step: 1,
        }])
        .doc(
            "how long each temporary key pair lives, 900–43200 (at most the role's maximum \
             session duration; default 3600); strata renews it before it expires",
        ),
];

pub static PROVIDER: Schema = Schema::provider(
    "alicloud",
    "Alibaba Cloud: region, endpoints and credentials",
    super::providers::provider_attrs![16;
        Attr::new("region", Type::String, Mode::Required).doc("e.g. cn-hangzhou"),
        Attr::new("endpoint", Type::String, Mode::Optional).doc(
            "\"sandbox\" for the embedded simulated cloud; otherwise each product's regional \
             endpoint is used",
        ),
        Attr::new("endpoints", Type::Object(ENDPOINTS), Mode::Optional)
            .doc("per-product endpoint overrides (base URLs)"),
        super::providers::access_key("default: ALIBABA_CLOUD_ACCESS_KEY_ID"),
        super::providers::secret_key("default: ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
        super::providers::security_token(
            "the security token of a temporary (STS.) key pair; default, with a key from the \
             environment: ALIBABA_CLOUD_SECURITY_TOKEN / ALICLOUD_SECURITY_TOKEN"
        ),
        Attr::new("assume_role", Type::Object(ASSUME_ROLE), Mode::Optional).doc(
            "assume a RAM role (STS AssumeRole) with the block's credentials and sign every \
             call with its temporary credentials, renewed before they expire",
        ),
    ],
);

pub static SCHEMAS: &[&Schema] = &[
    &GPDB_INSTANCE,
    &GPDB_BACKUPS,
    &DATAWORKS_DATA_SOURCE,
    &SELECTDB_BINDING,
    &SELECTDB_INSTANCE,
];
