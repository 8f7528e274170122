//! `strata output [NAME] [--json | --raw]`: the stack's outputs from the state, as text,
//! as JSON in Terraform's shape (`sensitive`, `type` written as Terraform writes a value's
//! type, `value`), or one value raw for scripts. A sensitive output's value is never stored,
//! so never printed.

use super::workspace::Workspace;
use super::{Cli, CmdResult, Failure, EXIT_OK};
use crate::plan::render::style::Painter;
use crate::state::{OutputState, State};
use crate::value::Value;

fn text(v: &crate::value::Value) -> String {
    match v {
        crate::value::Value::String(s) => serde_json::to_string(s).unwrap_or_default(),
        other => serde_json::to_string_pretty(&other.to_json()).unwrap_or_default(),
    }
}

pub fn print_outputs(state: &State, p: &Painter) {
    if state.outputs.is_empty() {
        return;
    }
    outln!("\n{}\n", p.green(&p.bold("Outputs:")));
    for (name, o) in &state.outputs {
        if o.sensitive {
            outln!("{name} = <sensitive>");
        } else {
            outln!("{name} = {}", text(&o.value));
        }
    }
}

/// How `strata output` prints.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum How {
    /// `NAME = value` lines (one output: its value, a string unquoted).
    Text,
    /// `--json`: `{NAME: {sensitive, type, value}}` (one output: its value as JSON).
    Json,
    /// `--raw`: one output's string, number or boolean exactly, with no newline.
    Raw,
}

impl How {
    pub fn of(json: bool, raw: bool) -> How {
        match (json, raw) {
            (true, _) => How::Json,
            (_, true) => How::Raw,
            _ => How::Text,
        }
    }
}

pub async fn run(cli: &Cli, name: Option<&str>, how: How) -> CmdResult {
    let ws = Workspace::state_only(cli)?;
    let state = ws.backend.load().await?.state;
    match name {
        Some(n) => print_one(&state, n, how)?,
        None if how == How::Json => {
            let m: serde_json::Map<String, serde_json::Value> = state
                .outputs
                .iter()
                .map(|(k, o)| (k.clone(), described(o)))
                .collect();
            outln!("{}", serde_json::to_string_pretty(&m).unwrap_or_default());
        }
        None => {
            for (k, o) in &state.outputs {
                if o.sensitive {
                    outln!("{k} = <sensitive>");
                } else {
                    outln!("{k} = {}", text(&o.value));
                }
            }
        }
    }
    Ok(EXIT_OK)
}

/// One output, as `how` says.
fn print_one(state: &State, n: &str, how: How) -> Result<(), Failure> {
    let o = state.outputs.get(n).ok_or_else(|| {
        let hint = crate::schema::suggest(n, state.outputs.keys().map(String::as_str))
            .map(|h| format!(" ({h})"))
            .unwrap_or_else(|| " (strata output lists them; outputs appear after an apply)".into());
        Failure::new(format!("no output named \"{n}\" in the state{hint}"))
    })?;
    if o.sensitive {
        return Err(Failure::new(format!(
            "output \"{n}\" is sensitive: strata never stores or prints its value"
        )));
    }
    match (how, &o.value) {
        (How::Json, v) => outln!(
            "{}",
            serde_json::to_string(&v.to_json()).unwrap_or_default()
        ),
        (How::Raw, Value::String(s)) => out!("{s}"),
        (How::Raw, v @ (Value::Number(_) | Value::Bool(_))) => out!("{}", text(v)),
        (How::Raw, v) => {
            return Err(Failure::new(format!(
                "output \"{n}\" is {}: --raw prints only strings, numbers and booleans; use \
                 --json for other values",
                type_name(&terraform_type(v))
            )))
        }
        (How::Text, Value::String(s)) => outln!("{s}"),
        (How::Text, v) => outln!("{}", text(v)),
    }
    Ok(())
}

/// An output as `output --json` lists it, in Terraform's shape: `sensitive`, `type`, `value`
/// (a sensitive output's value is never stored: `null`, of type `dynamic`).
fn described(o: &OutputState) -> serde_json::Value {
    let value = if o.sensitive { &Value::Null } else { &o.value };
    serde_json::json!({
        "sensitive": o.sensitive,
        "type": terraform_type(value),
        "value": value.to_json(),
    })
}

/// A value's type as Terraform writes it in JSON: `"string"`, `"number"`, `"bool"`, a list
/// as `["tuple", [types…]]` and a map as `["object", {key: type}]` (Terraform's types of
/// literals), `"dynamic"` for null.
pub fn terraform_type(v: &Value) -> serde_json::Value {
    use serde_json::json;
    match v {
        Value::Null | Value::Unknown => json!("dynamic"),
        Value::Bool(_) => json!("bool"),
        Value::Number(_) => json!("number"),
        Value::String(_) => json!("string"),
        Value::List(l) => json!(["tuple", l.iter().map(terraform_type).collect::<Vec<_>>()]),
        Value::Map(m) => {
            let attrs: serde_json::Map<String, serde_json::Value> = m
                .iter()
                .map(|(k, v)| (k.clone(), terraform_type(v)))
                .collect();
            json!(["object", attrs])
        }
    }
}

/// The type's kind in a sentence: `string`, `tuple`, `object`.
fn type_name(t: &serde_json::Value) -> String {
    match t {
        serde_json::Value::Array(a) => a.first().and_then(|k| k.as_str()).unwrap_or("").into(),
        other => other.as_str().unwrap_or("").into(),
    }
}
