//! The JSON Schema (draft 2020-12) of the whole config language, generated from the same
//! resource, data-source and provider schemas the engine validates with — so editors
//! (VS Code YAML and others) complete and check configs exactly as `strata validate` does,
//! short of cross-references and values only known at plan time. The language's own keys
//! (sections, meta-arguments, variables, outputs, backend) come from `config::keys`; the APIs'
//! rules from `schema::Rule`s (`rules`).
//!
//! Invariants: every property has a description (a section's, key's or attribute's own doc);
//! resource and data-source types are `properties` (`TYPE.NAME`) so editors complete them,
//! with `patternProperties` for the names users choose.

mod rules;

use super::keys::{self, Key, Kind as KeyKind, Table};
use crate::schema::{providers, Attr, Kind, Mode, Rule, Schema, Type};
use serde_json::{json, Map, Value};

const NAME: &str = "[A-Za-z_][A-Za-z0-9_-]*";

fn expression() -> Value {
    json!({ "$ref": "#/$defs/expression" })
}

/// A value of type `ty`, or an expression that evaluates to one.
fn type_schema(ty: &Type, rules: &[Rule]) -> Value {
    let concrete = match ty {
        Type::String => {
            let mut m = Map::new();
            m.insert("type".into(), json!(["string", "number", "boolean"]));
            if rules.iter().any(|r| !matches!(r, Rule::DiffersFrom { .. })) {
                // Rules constrain the text, so only real strings (numbers are converted).
                m.insert("type".into(), json!("string"));
            }
            rules::apply(rules, &mut m);
            Value::Object(m)
        }
        Type::Int => {
            let mut m = Map::new();
            m.insert("type".into(), json!("integer"));
            rules::apply(rules, &mut m);
            json!({ "anyOf": [Value::Object(m), { "type": "string", "pattern": "^\\s*-?[0-9]+\\s*$" }] })
        }
        Type::Bool => json!({ "anyOf": [{ "type": "boolean" }, { "enum": ["true", "false"] }] }),
        Type::List(inner) => json!({ "type": "array", "items": type_schema(inner, &[]) }),
        Type::Map(inner) => {
            let mut m = Map::new();
            m.insert("type".into(), json!("object"));
            m.insert("additionalProperties".into(), type_schema(inner, &[]));
            rules::apply(rules, &mut m);
            Value::Object(m)
        }
        Type::Object(attrs) => object_schema(attrs, false),
    };
    json!({ "anyOf": [concrete, expression()] })
}

/// What the description says of an attribute whose change can replace the object.
fn replace_note(a: &Attr) -> Option<String> {
    match a.replace {
        crate::schema::Replace::InPlace => None,
        crate::schema::Replace::Always(why) => {
            Some(format!("Changing it replaces the object: {why}"))
        }
        crate::schema::Replace::When(_, why) => {
            Some(format!("Some changes replace the object: {why}"))
        }
    }
}

fn attr_schema(a: &Attr) -> Value {
    let mut s = type_schema(&a.ty, a.rules);
    if let Value::Object(m) = &mut s {
        let mut doc = a.description.to_string();
        if let Some(why) = replace_note(a) {
            doc.push_str(if doc.is_empty() { "" } else { ". " });
            doc.push_str(&why);
        }
        if a.sensitive {
            doc.push_str(if doc.is_empty() { "" } else { ". " });
            doc.push_str("Sensitive: never shown or stored");
        }
        if !doc.is_empty() {
            m.insert("description".into(), json!(doc));
        }
        if let Some(d) = a.default {
            m.insert("default".into(), d.value().to_json());
        }
    }
    s
}

/// Properties and required arguments of a set of attributes.
fn object_schema(attrs: &[Attr], allow_meta: bool) -> Value {
    let mut props = Map::new();
    let mut required = Vec::new();
    for a in attrs.iter().filter(|a| a.settable()) {
        props.insert(a.name.into(), attr_schema(a));
        if a.mode == Mode::Required {
            required.push(a.name);
        }
    }
    let mut s = json!({ "type": "object", "properties": props, "additionalProperties": false });
    if !required.is_empty() {
        s["required"] = json!(required);
    }
    if allow_meta {
        // meta-arguments are added by the caller
    }
    s
}

fn duration() -> Value {
    json!({ "anyOf": [
        { "type": "string", "pattern": "^([0-9]+[smh])+$|^[0-9]+$" },
        { "type": "integer", "minimum": 1, "maximum": super::MAX_DURATION.as_secs() }
    ] })
}

/// The schemas of the sections whose keys come from the resource and provider schemas.
struct Sections {
    providers: Value,
    resources: Value,
    data: Value,
}

impl Sections {
    /// A top-level section's schema.
    fn schema(&self, k: &Key) -> Value {
        let mut s = match k.kind {
            KeyKind::Providers => self.providers.clone(),
            KeyKind::Resources => self.resources.clone(),
            KeyKind::DataSources => self.data.clone(),
            _ => key_schema(k, None),
        };
        s["description"] = json!(k.doc);
        s
    }
}

/// The properties of a table of the language's keys (`null` is "not given").
fn table_schema(t: &Table, block: Option<&Schema>) -> Value {
    let props: Map<String, Value> = t
        .keys
        .iter()
        .map(|k| (k.name.to_string(), key_schema(k, block)))
        .collect();
    let required: Vec<&str> = t
        .keys
        .iter()
        .filter(|k| k.required)
        .map(|k| k.name)
        .collect();
    let mut s =
        json!({ "type": ["object", "null"], "properties": props, "additionalProperties": false });
    if !required.is_empty() {
        s["required"] = json!(required);
    }
    s
}

/// The schema of one of the language's own keys (`block`: the resource it is in).
fn key_schema(k: &Key, block: Option<&Schema>) -> Value {
    let mut s = match k.kind {
        KeyKind::Bool => json!({ "type": ["boolean", "null"] }),
        KeyKind::Str => json!({ "type": ["string", "null"] }),
        KeyKind::Url(schemes) => {
            let alts: Vec<String> = schemes.iter().map(|p| regex::escape(p)).collect();
            json!({ "type": "string", "pattern": format!("^(?:{})", alts.join("|")) })
        }
        KeyKind::OneOf(words) if words.len() == 1 => json!({ "const": words[0] }),
        KeyKind::OneOf(words) => json!({ "enum": words }),
        KeyKind::Duration => duration(),
        KeyKind::Any | KeyKind::Providers | KeyKind::Resources | KeyKind::DataSources => json!({}),
        KeyKind::Count => json!({ "anyOf": [
            { "type": "integer", "minimum": 0 },
            { "type": "string", "pattern": "\\$\\{" },
            { "type": "null" }
        ] }),
        KeyKind::ForEach => json!({ "anyOf": [
            { "type": "object" },
            { "type": "array", "items": { "type": "string" } },
            { "type": "string", "pattern": "\\$\\{" },
            { "type": "null" }
        ] }),
        KeyKind::Addresses => json!({ "type": "array", "items": { "type": "string",
            "pattern": format!("^(\\$\\{{)?(data\\.)?{NAME}\\.{NAME}\\}}?$") } }),
        KeyKind::Address => json!({ "type": "string",
            "pattern": format!("^(module\\.{NAME}(\\[[^\\]]+\\])?\\.)*(data\\.)?{NAME}\\.{NAME}(\\[[^\\]]+\\])?$") }),
        KeyKind::AttrNames => {
            let names = block.map(|s| {
                s.attrs
                    .iter()
                    .filter(|a| a.settable())
                    .map(|a| a.name)
                    .collect::<Vec<_>>()
            });
            json!({ "anyOf": [{ "type": "array", "items": { "enum": names.unwrap_or_default() } }, { "const": "all" }] })
        }
        KeyKind::Table(t) => table_schema(t, block),
        KeyKind::List(t) => {
            let mut item = table_schema(t, block);
            item["type"] = json!("object");
            json!({ "type": ["array", "null"], "items": item })
        }
        KeyKind::Type => json!({
            "type": ["string", "null"],
            "pattern": format!("^\\s*({})\\b", crate::config::vars::types::NAMES.join("|")),
            "examples": ["string", "list(string)", "map(object({ size = number, tags = optional(list(string)) }))"],
        }),
        KeyKind::Condition => json!({ "type": ["string", "boolean"] }),
        KeyKind::Named(t) => {
            json!({ "type": "object", "additionalProperties": table_schema(t, block) })
        }
        KeyKind::Clone => clone_schema(block),
        KeyKind::Locals => json!({ "type": "object",
            "propertyNames": { "pattern": format!("^{NAME}$") },
            "additionalProperties": { "description": "any value; strings may hold ${…}" } }),
        KeyKind::Outputs => outputs_schema(),
        KeyKind::Modules => {
            let mut call = table_schema(&keys::MODULE, None);
            call["additionalProperties"] =
                json!({ "description": "an input variable of the module" });
            json!({ "type": "object", "propertyNames": { "pattern": format!("^{NAME}$") },
                "additionalProperties": call })
        }
        KeyKind::Backend => {
            let types: Vec<Value> = keys::BACKENDS
                .iter()
                .map(|(_, t)| backend_schema(t))
                .collect();
            json!({ "oneOf": types })
        }
    };
    if s.get("description").is_none() {
        s["description"] = json!(k.doc);
    }
    s
}

fn clone_schema(block: Option<&Schema>) -> Value {
    let mut c = object_schema(block.and_then(|s| s.clone).unwrap_or_default(), false);
    c["description"] = json!("make this object by cloning another (strata's clone action)");
    json!({ "anyOf": [c, { "type": ["string", "integer"], "description": "the source's id" }] })
}

/// An output: a mapping with `value:` or `sensitive:` is the long form, anything else the
/// output's value itself (as `config::load` reads it).
fn outputs_schema() -> Value {
    let long = json!({ "type": "object", "anyOf": [{ "required": ["value"] }, { "required": ["sensitive"] }] });
    let mut form = table_schema(&keys::OUTPUT, None);
    form["required"] = json!(["value"]);
    json!({ "type": "object", "additionalProperties": { "if": long, "then": form } })
}

fn backend_schema(t: &Table) -> Value {
    let mut s = table_schema(t, None);
    s["type"] = json!("object");
    s["required"] = json!(["type"]);
    s
}

fn block_schema(s: &Schema) -> Value {
    let mut block = object_schema(s.attrs, true);
    let props = block["properties"].as_object_mut().expect("object schema");
    for k in keys::BLOCK.keys {
        if k.resources_only && s.kind != Kind::Resource || k.name == "clone" && s.clone.is_none() {
            continue;
        }
        props.insert(k.name.into(), key_schema(k, Some(s)));
    }
    let mut conditions = rules::conditional(s, type_schema);
    conditions.extend(s.exactly_one_of.iter().map(
        |g| json!({ "oneOf": g.iter().map(|n| json!({ "required": [n] })).collect::<Vec<_>>() }),
    ));
    if !conditions.is_empty() {
        block["allOf"] = json!(conditions);
    }
    block["description"] = json!(s.description);
    block
}

/// The schema of the whole language.
pub fn config_schema() -> Value {
    let mut defs = Map::new();
    defs.insert(
        "expression".into(),
        json!({ "type": "string", "pattern": "\\$\\{[^}]+\\}",
                "description": "a reference such as ${var.NAME}, ${local.NAME} or ${TYPE.NAME.ATTRIBUTE}, alone or inside text" }),
    );
    // Types are properties (`TYPE.NAME`, for editors to complete: rename NAME); the names
    // are free, so every `TYPE.<name>` is a pattern property too.
    let (mut resources, mut resource_types) = (Map::new(), Map::new());
    let (mut data, mut data_types) = (Map::new(), Map::new());
    for s in crate::schema::all() {
        let key = format!("^{}\\.{NAME}$", regex::escape(s.type_name));
        let def = format!(
            "{}_{}",
            s.type_name,
            if s.kind == Kind::DataSource {
                "data"
            } else {
                "resource"
            }
        );
        defs.insert(def.clone(), block_schema(s));
        let entry = json!({ "$ref": format!("#/$defs/{def}"), "description": s.description });
        let mut completion = entry.clone();
        completion["description"] = json!(format!(
            "{}. Rename NAME to the block's name",
            s.description
        ));
        let name = format!("{}.NAME", s.type_name);
        let (patterns, types) = match s.kind {
            Kind::Resource => (&mut resources, &mut resource_types),
            Kind::DataSource => (&mut data, &mut data_types),
            Kind::Provider => continue,
        };
        patterns.insert(key, entry);
        types.insert(name, completion);
    }
    let mut provider_props = Map::new();
    let mut aliases = Map::new();
    for p in providers::PROVIDERS {
        let mut ps = object_schema(p.attrs, false);
        ps["description"] = json!(p.description);
        if let Some(rule) = rules::plain_http(p, expression()) {
            ps["allOf"] = json!([rule]);
        }
        // FAMILY.ALIAS: another configuration of the family (`provider: FAMILY.ALIAS`)
        let alias = format!("^{}\\.[A-Za-z][A-Za-z0-9_-]*$", p.type_name);
        aliases.insert(alias, ps.clone());
        provider_props.insert(p.type_name.into(), ps);
    }
    let sections = Sections {
        providers: json!({ "type": "object", "properties": provider_props,
            "patternProperties": aliases, "additionalProperties": false }),
        resources: json!({ "type": "object", "properties": resource_types,
            "patternProperties": resources, "additionalProperties": false }),
        data: json!({ "type": "object", "properties": data_types,
            "patternProperties": data, "additionalProperties": false }),
    };
    let top: Map<String, Value> = keys::TOP
        .keys
        .iter()
        .map(|k| (k.name.to_string(), sections.schema(k)))
        .collect();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://strata.dev/schemas/config.schema.json",
        "title": "strata configuration",
        "description": "One YAML file of a strata stack (all *.yaml files of a directory merge into one stack)",
        "type": ["object", "null"],
        "additionalProperties": false,
        "properties": top,
        "$defs": defs
    })
}
