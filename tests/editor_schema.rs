//! The JSON Schema editors load (`strata schema --json`, docs/language.md "Editor support"):
//! every property described, resource and data-source types offered as properties to
//! complete, and every rule of src/schema that the schema language can express present in it
//! — agreeing with what `strata validate` refuses.

mod common;
use common::Env;
use serde_json::{json, Value as J};
use strata::schema::{Kind, Rule, Schema};

fn schema(env: &Env) -> J {
    let r = env.ok(&["schema", "--json"], 0);
    serde_json::from_str(&r.stdout).expect("schema --json is JSON")
}

/// Every property of `node` at any depth (`properties` and `patternProperties`), with its
/// JSON pointer.
fn properties(node: &J, at: &str, out: &mut Vec<(String, J)>) {
    match node {
        J::Object(m) => {
            for (k, v) in m {
                let here = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                if k == "properties" || k == "patternProperties" {
                    for (name, p) in v.as_object().into_iter().flatten() {
                        out.push((format!("{here}/{name}"), p.clone()));
                    }
                }
                properties(v, &here, out);
            }
        }
        J::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                properties(v, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// Whether a property's schema sits in a condition (`if`, `not`): those repeat a property
/// described where it is declared, to test its value.
fn in_condition(pointer: &str) -> bool {
    pointer.contains("/if/") || pointer.contains("/not/") || pointer.contains("/then/")
}

#[test]
fn every_section_attribute_and_meta_argument_has_a_description() {
    let env = Env::new();
    let s = schema(&env);
    let mut all = Vec::new();
    properties(&s, "", &mut all);
    let declared: Vec<&(String, J)> = all.iter().filter(|(p, _)| !in_condition(p)).collect();
    let missing: Vec<&str> = declared
        .iter()
        .filter(|(_, v)| {
            v["description"]
                .as_str()
                .is_none_or(|d| d.trim().is_empty())
        })
        .map(|(p, _)| p.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} properties have no description:\n{}",
        missing.len(),
        declared.len(),
        missing.join("\n")
    );
    // what the walk covers: every section, every attribute, every meta-argument
    assert!(declared.len() > 150, "{}", declared.len());
    for section in s["properties"].as_object().unwrap().keys() {
        assert!(all
            .iter()
            .any(|(p, _)| p == &format!("/properties/{section}")));
    }
    let block = &s["$defs"]["alicloud_gpdb_instance_resource"]["properties"];
    for meta in [
        "clone",
        "depends_on",
        "lifecycle",
        "timeouts",
        "count",
        "for_each",
        "provider",
    ] {
        assert!(
            block[meta]["description"].is_string(),
            "{meta}: {}",
            block[meta]
        );
    }
}

fn types(kind: Kind) -> Vec<&'static Schema> {
    strata::schema::all().filter(|s| s.kind == kind).collect()
}

#[test]
fn resource_and_data_source_types_are_properties_editors_complete() {
    let env = Env::new();
    let s = schema(&env);
    for (section, kind, def) in [
        ("resources", Kind::Resource, "resource"),
        ("data", Kind::DataSource, "data"),
    ] {
        let props = s["properties"][section]["properties"].as_object().unwrap();
        let want: Vec<String> = types(kind)
            .iter()
            .map(|t| format!("{}.NAME", t.type_name))
            .collect();
        let mut have: Vec<String> = props.keys().cloned().collect();
        have.sort();
        let mut sorted = want.clone();
        sorted.sort();
        assert_eq!(have, sorted, "{section}");
        for t in types(kind) {
            let p = &props[&format!("{}.NAME", t.type_name)];
            assert_eq!(p["$ref"], format!("#/$defs/{}_{def}", t.type_name));
        }
        // the names stay free
        assert!(
            s["properties"][section]["patternProperties"]
                .as_object()
                .unwrap()
                .len()
                >= want.len()
        );
    }
    // what completion writes is a config strata accepts as it is
    env.write(
        "s/main.yaml",
        &format!("{}resources:\n  huaweicloud_rds_parameter_template.NAME:\n    name: t\n    datastore: {{ type: MySQL, version: \"8.0\" }}\n", common::HUAWEI),
    );
    env.ok(&["-C", "s", "validate"], 0);
}

const ALICLOUD: &str = "providers:\n  alicloud: { region: cn-hangzhou, endpoint: sandbox }\n";

fn dataworks(args: &str) -> String {
    format!("{ALICLOUD}resources:\n  alicloud_dataworks_data_source.d:\n{args}")
}

const CREATE_ARGS: &str =
    "    project_id: 1\n    type: hologres\n    connection_properties_mode: UrlMode\n";

#[test]
fn the_schema_refuses_what_validate_refuses_by_the_apis_rules() {
    let env = Env::new();
    let v = jsonschema::validator_for(&schema(&env)).expect("the schema compiles");
    let long = "a".repeat(61);
    let cases: Vec<(&str, String, bool)> = vec![
        (
            "a clone's name starting with a digit",
            dataworks("    clone: { source: 16036 }\n    name: 1copy\n"),
            false,
        ),
        (
            "a clone's name of 61 characters",
            dataworks(&format!("    clone: {{ source: 16036 }}\n    name: {long}\n")),
            false,
        ),
        (
            "a created data source's name of 61 characters",
            dataworks(&format!("    name: {long}\n{CREATE_ARGS}    connection_properties: {{ envType: Dev }}\n")),
            true,
        ),
        (
            "connection properties without envType",
            dataworks(&format!("    name: fine\n{CREATE_ARGS}    connection_properties: {{ host: h }}\n")),
            false,
        ),
        (
            "a plain http endpoint",
            "providers:\n  alicloud: { region: cn-hangzhou, endpoint: \"http://10.0.0.1:8080\" }\n".into(),
            false,
        ),
        (
            "a plain http endpoint of one service",
            "providers:\n  alicloud: { region: cn-hangzhou, endpoints: { gpdb: \"HTTP://10.0.0.1\" } }\n".into(),
            false,
        ),
        (
            "a plain http endpoint allowed",
            "providers:\n  alicloud: { region: cn-hangzhou, endpoint: \"http://10.0.0.1:8080\", insecure_http: true }\n".into(),
            true,
        ),
        (
            "an https endpoint",
            "providers:\n  alicloud: { region: cn-hangzhou, endpoint: \"https://gpdb.example\" }\n".into(),
            true,
        ),
    ];
    for (i, (what, text, ok)) in cases.iter().enumerate() {
        let doc: serde_yaml::Value = serde_yaml::from_str(text).unwrap();
        let doc = serde_json::to_value(doc).unwrap();
        assert_eq!(v.is_valid(&doc), *ok, "schema, {what}:\n{text}");
        let dir = format!("case{i}");
        env.write(&format!("{dir}/main.yaml"), text);
        let r = env.run(&["-C", &dir, "validate"]);
        assert_eq!(r.code, if *ok { 0 } else { 1 }, "validate, {what}: {r:?}");
    }
}

/// Whether `node` holds, at any depth, an object whose `key` is `value`.
fn holds(node: &J, key: &str, value: &J) -> bool {
    match node {
        J::Object(m) => m.get(key) == Some(value) || m.values().any(|v| holds(v, key, value)),
        J::Array(a) => a.iter().any(|v| holds(v, key, value)),
        _ => false,
    }
}

/// Every `pattern` in `node`, compiled.
fn patterns(node: &J) -> Vec<regex::Regex> {
    let mut out = Vec::new();
    if let J::Object(m) = node {
        if let Some(p) = m.get("pattern").and_then(J::as_str) {
            out.push(regex::Regex::new(p).expect("patterns compile"));
        }
    }
    match node {
        J::Object(m) => m.values().for_each(|v| out.extend(patterns(v))),
        J::Array(a) => a.iter().for_each(|v| out.extend(patterns(v))),
        _ => {}
    }
    out
}

/// Whether `at` (an attribute's schema) expresses `rule`; `None` for a rule the schema
/// language cannot express (between two arguments).
fn expresses(at: &J, rule: &Rule) -> Option<bool> {
    let refuses = |text: &str| patterns(at).iter().any(|p| !p.is_match(text));
    Some(match rule {
        Rule::Pattern { regex, .. } => holds(at, "pattern", &json!(regex)),
        Rule::Length { min, max } => {
            holds(at, "minLength", &json!(min)) && holds(at, "maxLength", &json!(max))
        }
        Rule::NoChars(chars) => chars.chars().all(|c| refuses(&format!("a{c}b"))),
        Rule::OneOf(options) => holds(at, "enum", &json!(options)),
        Rule::OneOfIgnoreCase(options) => {
            let ps = patterns(at);
            options.iter().all(|o| {
                ps.iter()
                    .any(|p| p.is_match(&o.to_uppercase()) && p.is_match(&o.to_lowercase()))
            }) && refuses("not-an-option")
        }
        Rule::Range { min, max, .. } => {
            holds(at, "minimum", &json!(min)) && holds(at, "maximum", &json!(max))
        }
        Rule::HasKey(k) => holds(at, "required", &json!([k])),
        Rule::OnClone(_) | Rule::OnCreate(_) | Rule::DiffersFrom { .. } => return None,
    })
}

#[test]
fn every_rule_of_the_schemas_is_in_the_json_schema() {
    let env = Env::new();
    let s = schema(&env);
    let mut checked = 0;
    let mut missing = Vec::new();
    let providers = strata::schema::providers::PROVIDERS.iter().copied();
    for t in strata::schema::all().chain(providers) {
        let block = match t.kind {
            Kind::Resource => s["$defs"][format!("{}_resource", t.type_name)].clone(),
            Kind::DataSource => s["$defs"][format!("{}_data", t.type_name)].clone(),
            Kind::Provider => s["properties"]["providers"]["properties"][t.type_name].clone(),
        };
        for a in t.attrs.iter().filter(|a| a.settable()) {
            for rule in a.rules {
                // a rule of clones or of creates: in the condition on `clone:`
                let (at, rule) = match rule {
                    Rule::OnClone(inner) | Rule::OnCreate(inner) => {
                        let cloning = matches!(rule, Rule::OnClone(_));
                        let conditions = block["allOf"].as_array().cloned().unwrap_or_default();
                        let at = conditions.iter().find_map(|c| {
                            let on_clone = c.get("if").map(|i| {
                                let i = i.to_string();
                                i.contains("clone") && !i.starts_with("{\"not\"")
                            });
                            let here = match on_clone {
                                Some(when) => when == cloning,
                                None => !cloning && t.clone.is_none(), // never cloned
                            };
                            let props = &c.get("then").unwrap_or(c)["properties"][a.name];
                            (here && !props.is_null()).then(|| props.clone())
                        });
                        (at.unwrap_or(J::Null), *inner)
                    }
                    r => (block["properties"][a.name].clone(), r),
                };
                match expresses(&at, rule) {
                    Some(true) => checked += 1,
                    Some(false) => missing.push(format!("{}.{}: {rule:?}", t.type_name, a.name)),
                    None => {}
                }
            }
            // the rules of a nested object's attributes, in the object's properties
            if let strata::schema::Type::Object(inner) = a.ty {
                let props = &block["properties"][a.name]["anyOf"][0]["properties"];
                for i in inner.iter().filter(|i| i.settable()) {
                    for rule in i.rules {
                        match expresses(&props[i.name], rule) {
                            Some(true) => checked += 1,
                            Some(false) => missing
                                .push(format!("{}.{}.{}: {rule:?}", t.type_name, a.name, i.name)),
                            None => {}
                        }
                    }
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "rules not in the JSON Schema:\n{}",
        missing.join("\n")
    );
    assert!(checked >= 15, "{checked}");
}
