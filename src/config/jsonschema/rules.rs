//! The APIs' documented rules as JSON Schema keywords: each `schema::Rule` (defined once, in
//! src/schema/) becomes `pattern`, `minLength` / `maxLength`, `enum`, `minimum` / `maximum` /
//! `multipleOf` or `required` (a key a map must hold); the rules that apply only to a clone or
//! only to a create become conditions on `clone:`; a provider block's plain-http endpoint
//! requires `insecure_http`, as `schema::providers::check` does.
//!
//! Invariant: nothing here states a rule of its own — every keyword is computed from a `Rule`
//! or from `schema::providers`' constants. A rule between two arguments (`DiffersFrom`) has no
//! JSON Schema form and is left to `strata validate`, as is a key that JSON text must hold.

use crate::schema::providers::{ENDPOINT, ENDPOINTS, INSECURE_HTTP, PLAIN_HTTP};
use crate::schema::{Attr, Rule, Schema, Type};
use serde_json::{json, Map, Value};

/// JSON Schema regex for a case-insensitive literal (`MySQL` → `[Mm][Yy][Ss][Qq][Ll]`).
pub fn ignore_case(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphabetic() {
                format!("[{}{}]", c.to_ascii_uppercase(), c.to_ascii_lowercase())
            } else {
                regex::escape(&c.to_string())
            }
        })
        .collect()
}

/// The keywords `rules` add to `out`, the schema of one value (rules that apply only on clone
/// or only on create are [`conditional`]'s).
pub fn apply(rules: &[Rule], out: &mut Map<String, Value>) {
    let mut patterns: Vec<String> = Vec::new();
    let mut said: Vec<&str> = Vec::new();
    for rule in rules {
        match rule {
            Rule::Pattern { regex, what } => {
                patterns.push(regex.to_string());
                said.push(what);
            }
            Rule::Length { min, max } => {
                out.insert("minLength".into(), json!(min));
                out.insert("maxLength".into(), json!(max));
            }
            Rule::NoChars(chars) => {
                let class: String = chars
                    .chars()
                    .map(|c| regex::escape(&c.to_string()))
                    .collect();
                patterns.push(format!("^[^{class}]*$"));
            }
            Rule::OneOf(options) => {
                out.insert("enum".into(), json!(options));
            }
            Rule::OneOfIgnoreCase(options) => {
                let alts: Vec<String> = options.iter().map(|o| ignore_case(o)).collect();
                patterns.push(format!("^(?:{})$", alts.join("|")));
            }
            Rule::Range { min, max, step } => {
                out.insert("minimum".into(), json!(min));
                out.insert("maximum".into(), json!(max));
                if *step > 1 && min % step == 0 {
                    out.insert("multipleOf".into(), json!(step));
                }
            }
            Rule::HasKey(k) if out.get("type") == Some(&json!("object")) => {
                out.insert("required".into(), json!([k]));
            }
            Rule::HasKey(_) | Rule::OnClone(_) | Rule::OnCreate(_) | Rule::DiffersFrom { .. } => {}
        }
    }
    match patterns.as_slice() {
        [] => {}
        [one] => {
            out.insert("pattern".into(), json!(one));
        }
        many => {
            let all: Vec<Value> = many.iter().map(|p| json!({ "pattern": p })).collect();
            out.insert("allOf".into(), json!(all));
        }
    }
    if !said.is_empty() {
        out.insert("description".into(), json!(said.join("; ")));
    }
}

/// A block that says `clone:` (a mapping or a source id, not `null`).
fn cloned() -> Value {
    json!({ "required": ["clone"], "properties": { "clone": { "not": { "type": "null" } } } })
}

/// The conditions of a block: its arguments required unless it is cloned, and the rules that
/// apply only when it is cloned or only when it is created. `value`: the schema of a value of
/// a type under some rules.
pub fn conditional(s: &Schema, value: impl Fn(&Type, &[Rule]) -> Value) -> Vec<Value> {
    let only = |pick: fn(&Rule) -> Option<Rule>| -> Map<String, Value> {
        s.attrs
            .iter()
            .filter(|a| a.settable())
            .filter_map(|a| {
                let rules: Vec<Rule> = a.rules.iter().filter_map(pick).collect();
                (!rules.is_empty()).then(|| (a.name.to_string(), value(&a.ty, &rules)))
            })
            .collect()
    };
    let on_clone = only(|r| match r {
        Rule::OnClone(inner) => Some(**inner),
        _ => None,
    });
    let mut on_create = json!({ "properties": only(|r| match r {
        Rule::OnCreate(inner) => Some(**inner),
        _ => None,
    }) });
    let for_create: Vec<&str> = s
        .attrs
        .iter()
        .filter(|a| a.mode == crate::schema::Mode::RequiredForCreate)
        .map(|a| a.name)
        .collect();
    if !for_create.is_empty() {
        on_create["required"] = json!(for_create);
    }
    let mut out = Vec::new();
    let empty = |v: &Value| v.as_object().is_some_and(|m| m.values().all(is_empty));
    if s.clone.is_some() {
        if !on_clone.is_empty() {
            out.push(json!({ "if": cloned(), "then": { "properties": on_clone } }));
        }
        if !empty(&on_create) {
            out.push(json!({ "if": { "not": cloned() }, "then": on_create }));
        }
    } else if !empty(&on_create) {
        out.push(on_create); // never cloned: always created
    }
    out
}

fn is_empty(v: &Value) -> bool {
    v.as_object().is_some_and(Map::is_empty) || v.as_array().is_some_and(Vec::is_empty)
}

/// A provider block whose endpoint (or one of its per-service endpoints) is a plain
/// `http://` URL must say `insecure_http: true`; `None` for a block with no endpoint.
pub fn plain_http(p: &Schema, expression: Value) -> Option<Value> {
    let url = json!({ "type": "string", "pattern": format!("^\\s*{}", ignore_case(PLAIN_HTTP)) });
    let has = |name: &str| p.attrs.iter().any(|a: &Attr| a.name == name);
    let mut cases = Vec::new();
    if has(ENDPOINT) {
        cases.push(json!({ "required": [ENDPOINT], "properties": { ENDPOINT: url } }));
    }
    if has(ENDPOINTS) {
        // some value is such a URL: not every value is something else
        let some = json!({ "type": "object", "not": { "additionalProperties": { "not": url } } });
        cases.push(json!({ "required": [ENDPOINTS], "properties": { ENDPOINTS: some } }));
    }
    if cases.is_empty() {
        return None;
    }
    let allowed = json!({ "anyOf": [{ "enum": [true, "true"] }, expression] });
    Some(json!({
        "if": { "anyOf": cases },
        "then": { "required": [INSECURE_HTTP.name], "properties": { INSECURE_HTTP.name: allowed } }
    }))
}
