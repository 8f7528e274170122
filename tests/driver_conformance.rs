//! Driver conformance, through the real binary against the sandbox: one object of every
//! resource type (made from scratch, and cloned where the type clones) and a read of every
//! data source, then each object's attributes in state — after the apply (what create,
//! clone and bind returned) and after a refresh (what read returns) — must be exactly its
//! schema's: every attribute present as a key (nested objects too), `null` only where the
//! schema lets the cloud have none (optional or computed) or the value is a secret kept as a
//! fingerprint, and no key the schema lacks. A type of the schema with no object here fails
//! the test, so a new type must add one.

mod common;
use common::Env;
use strata::schema::{Attr, Mode, Type};

/// What the quickstart lacks: a DataWorks data source made from scratch, and the backups
/// data source of the warehouse.
const EXTRA: &str = "resources:
  alicloud_dataworks_data_source.fresh:
    name: conformance_fresh
    project_id: 10001
    type: mysql
    connection_properties_mode: UrlMode
    connection_properties: { envType: Dev, address: \"db:3306\" }
data:
  alicloud_gpdb_backups.warehouse:
    instance_id: ${alicloud_gpdb_instance.warehouse.id}
";

/// The problems of `value` against `attrs` (the schema's, or a nested object's), at `at`.
fn check_object(
    at: &str,
    value: &serde_json::Value,
    attrs: &[Attr],
    fps: &[String],
) -> Vec<String> {
    let Some(map) = value.as_object() else {
        return vec![format!("{at}: not an object: {value}")];
    };
    let key = |k: &str| {
        if at.is_empty() {
            k.to_string()
        } else {
            format!("{at}.{k}")
        }
    };
    let mut problems: Vec<String> = map
        .keys()
        .filter(|k| !attrs.iter().any(|a| a.name == k.as_str()))
        .map(|k| format!("{}: a key the schema lacks", key(k)))
        .collect();
    for a in attrs {
        let path = key(a.name);
        match map.get(a.name) {
            None => problems.push(format!("{path}: missing")),
            Some(v) if v.is_null() => {
                let none_allowed = matches!(
                    a.mode,
                    Mode::Optional | Mode::Computed | Mode::OptionalComputed
                );
                let fingerprinted = a.sensitive && fps.contains(&path);
                if !(none_allowed || fingerprinted) {
                    problems.push(format!("{path}: null, but {:?}", a.mode));
                }
            }
            Some(v) => problems.extend(check_type(&path, v, &a.ty, fps)),
        }
    }
    problems
}

fn check_type(at: &str, v: &serde_json::Value, ty: &Type, fps: &[String]) -> Vec<String> {
    match ty {
        Type::Object(attrs) => check_object(at, v, attrs, fps),
        Type::List(inner) => match v.as_array() {
            Some(items) => items
                .iter()
                .enumerate()
                .flat_map(|(i, item)| check_type(&format!("{at}[{i}]"), item, inner, fps))
                .collect(),
            None => vec![format!("{at}: not a list: {v}")],
        },
        _ => Vec::new(),
    }
}

#[test]
fn every_driver_returns_exactly_its_schema_attributes() {
    let env = Env::with_example("quickstart");
    env.write("quickstart/conformance.yaml", EXTRA);
    env.ok(&common::APPLY, 0);
    // What create (and clone, bind) returned.
    check_state(&env.state_json("quickstart"));
    // What read returns (refresh records it).
    env.ok(&["-C", "quickstart", "refresh"], 0);
    check_state(&env.state_json("quickstart"));
}

/// Every object of the state against its schema; every type of the schema has one.
fn check_state(st: &serde_json::Value) {
    let resources = st["resources"].as_object().expect("resources");
    let mut problems = Vec::new();
    for schema in strata::schema::all() {
        let kind = match schema.kind {
            strata::schema::Kind::DataSource => "data.",
            _ => "",
        };
        let prefix = format!("{kind}{}.", schema.type_name);
        let objects: Vec<_> = resources
            .iter()
            .filter(|(a, _)| a.starts_with(&prefix))
            .collect();
        if objects.is_empty() {
            problems.push(format!(
                "{}: no object of this type in the conformance stack",
                schema.type_name
            ));
        }
        for (addr, r) in objects {
            let fps: Vec<String> = r["sensitive"]
                .as_object()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            for p in check_object("", &r["attributes"], schema.attrs, &fps) {
                problems.push(format!("{addr}: {p}"));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}\n{st:#}");
}
