//! The loader, the formatter and the JSON Schema agree with `config::keys`: every key of
//! every table is accepted by `config::load`, placed in table order by `config::format`
//! and described by `config::jsonschema` at the same place — so a key added to a table
//! appears in all three.

use super::keys::{self, Kind, Table};
use serde_json::{json, Value as Json};

const BLOCK: &str = "huaweicloud_rds_parameter_template.t";

/// Where each table lives: its YAML key path and the JSON pointer of its properties.
fn places() -> Vec<(&'static Table, Vec<&'static str>, &'static str)> {
    let def = "/$defs/huaweicloud_rds_parameter_template_resource/properties";
    vec![
        (&keys::TOP, vec![], "/properties"),
        (
            &keys::VARIABLE,
            vec!["variables", "v"],
            "/properties/variables/additionalProperties/properties",
        ),
        (
            &keys::VALIDATION,
            vec!["variables", "v", "validation", "0"],
            "/properties/variables/additionalProperties/properties/validation/items/properties",
        ),
        (&keys::BLOCK, vec!["resources", BLOCK], def),
        (
            &keys::LIFECYCLE,
            vec!["resources", BLOCK, "lifecycle"],
            "LIFECYCLE",
        ),
        (
            &keys::TIMEOUTS,
            vec!["resources", BLOCK, "timeouts"],
            "TIMEOUTS",
        ),
        (
            &keys::OUTPUT,
            vec!["outputs", "o"],
            "/properties/outputs/additionalProperties/then/properties",
        ),
        (
            &keys::MOVED,
            vec!["moved", "0"],
            "/properties/moved/items/properties",
        ),
        (
            &keys::REMOVED,
            vec!["removed", "0"],
            "/properties/removed/items/properties",
        ),
        (
            &keys::REMOVED_LIFECYCLE,
            vec!["removed", "0", "lifecycle"],
            "/properties/removed/items/properties/lifecycle/properties",
        ),
        (
            &keys::LOCAL,
            vec!["backend"],
            "/properties/backend/oneOf/0/properties",
        ),
        (
            &keys::POSTGRES,
            vec!["backend"],
            "/properties/backend/oneOf/1/properties",
        ),
    ]
}

/// A value of `kind` the loader accepts.
fn sample(kind: &Kind) -> Json {
    match kind {
        Kind::Bool => json!(true),
        Kind::Str | Kind::Any => json!("x"),
        Kind::Count => json!(2),
        // count and for_each exclude each other: for_each is present, but not given
        Kind::ForEach => json!(null),
        Kind::Url(schemes) => json!(format!("{}h/db", schemes[0])),
        Kind::OneOf(words) => json!(words[0]),
        Kind::Duration => json!("10m"),
        Kind::Addresses => json!([]),
        Kind::Address => json!("huaweicloud_rds_parameter_template.x"),
        Kind::AttrNames => json!("all"),
        Kind::Clone => json!({ "source": "1" }),
        Kind::Backend => json!({ "type": "local" }),
        Kind::Type => json!("list(string)"),
        Kind::Condition => json!("${true}"),
        Kind::List(t) => {
            let item: serde_json::Map<String, Json> = t
                .keys
                .iter()
                .map(|k| (k.name.to_string(), sample(&k.kind)))
                .collect();
            json!([item])
        }
        _ => json!({}),
    }
}

/// A document holding every key of `table` at `path` (a number there is a list's one
/// item), written in reverse table order.
fn document(table: &Table, path: &[&str]) -> Json {
    let mut body = serde_json::Map::new();
    for k in table.keys.iter().rev() {
        body.insert(k.name.into(), sample(&k.kind));
    }
    let mut doc = path.iter().rev().fold(Json::Object(body), |inner, seg| {
        match seg.parse::<usize>() {
            Ok(_) => json!([inner]),
            Err(_) => json!({ *seg: inner }),
        }
    });
    // a removed entry's lifecycle stands in an entry, which needs its address
    if let Some(entry) = doc.pointer_mut("/removed/0").filter(|_| path.len() > 2) {
        entry["from"] = json!("huaweicloud_rds_parameter_template.x");
    }
    doc
}

fn schema_properties<'s>(schema: &'s Json, pointer: &str) -> &'s serde_json::Map<String, Json> {
    let def = "/$defs/huaweicloud_rds_parameter_template_resource/properties";
    let at = match pointer {
        "LIFECYCLE" => format!("{def}/lifecycle/properties"),
        "TIMEOUTS" => format!("{def}/timeouts/properties"),
        p => p.to_string(),
    };
    schema
        .pointer(&at)
        .and_then(Json::as_object)
        .unwrap_or_else(|| panic!("no properties at {at}"))
}

#[test]
fn loader_formatter_and_json_schema_agree_on_every_key() {
    let schema = super::jsonschema::config_schema();
    for (table, path, pointer) in places() {
        let names: Vec<&str> = table.names().collect();
        let text = serde_json::to_string_pretty(&document(table, &path)).unwrap();
        // the loader: every key known, no value refused
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.yaml"), &text).unwrap();
        let (_, diags) = super::load(dir.path());
        assert!(diags.0.is_empty(), "{}: {text}\n{:?}", table.what, diags.0);
        // the formatter: table order
        let out = super::format::format(&text).unwrap();
        let doc: serde_yaml::Value = serde_yaml::from_str(&out).unwrap();
        let at = path.iter().fold(&doc, |v, seg| match seg.parse::<usize>() {
            Ok(i) => &v[i],
            Err(_) => &v[*seg],
        });
        let written: Vec<&str> = at
            .as_mapping()
            .unwrap()
            .keys()
            .filter_map(serde_yaml::Value::as_str)
            .collect();
        assert_eq!(written, names, "{}: {out}", table.what);
        // the JSON Schema: the same keys at the same place
        let props = schema_properties(&schema, pointer);
        for name in &names {
            assert!(
                props.contains_key(*name),
                "{}: {name} not in the schema",
                table.what
            );
        }
        if table != &keys::BLOCK {
            assert_eq!(
                props.len(),
                names.len(),
                "{}: {:?}",
                table.what,
                props.keys()
            );
        }
    }
}

#[test]
fn every_example_document_is_valid_against_the_json_schema() {
    let schema = super::jsonschema::config_schema();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for (table, path, _) in places() {
        let mut doc = document(table, &path);
        if let Some(block) = doc.pointer_mut(&format!("/resources/{BLOCK}")) {
            // the arguments required when not cloned
            block["name"] = json!("t");
            block["datastore"] = json!({ "type": "MySQL", "version": "8.0" });
        }
        let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{}: {doc}\n{errors:?}", table.what);
    }
}
