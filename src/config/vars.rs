//! Variable values: `--var NAME=VALUE` first, then `STRATA_VAR_NAME`, then the declared default.

use super::{Config, VarType};
use crate::diag::{Diagnostic, Diagnostics};
use crate::value::Value;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub struct VarValue {
    pub value: Value,
    pub sensitive: bool,
}

pub type Vars = BTreeMap<String, VarValue>;

/// Where a variable's value came from (saved plans keep only non-sensitive ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// Validate: unset variables evaluate to unknown.
    Unknown,
    /// Plan and apply: unset variables are errors.
    Error,
}

/// Parse `NAME=VALUE` command-line assignments.
pub fn parse_assignments(items: &[String]) -> Result<Vec<(String, String)>, String> {
    items
        .iter()
        .map(|s| match s.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
            _ => Err(format!("--var \"{s}\": write --var NAME=VALUE")),
        })
        .collect()
}

pub fn resolve(
    cfg: &Config,
    cli: &[(String, String)],
    env: &dyn Fn(&str) -> Option<String>,
    missing: Missing,
) -> (Vars, Diagnostics) {
    let mut diags = Diagnostics::default();
    let mut out = Vars::new();
    for (k, _) in cli {
        if !cfg.variables.contains_key(k) {
            let hint = crate::schema::suggest(k, cfg.variables.keys().map(String::as_str))
                .unwrap_or_else(|| "declare it under variables: first".into());
            diags.push(
                Diagnostic::error(format!("--var {k}: no variable named \"{k}\" is declared"))
                    .hint(hint),
            );
        }
    }
    for (name, var) in &cfg.variables {
        let file = cfg.file_path(var.file);
        let at = vec!["variables".to_string(), name.clone()];
        let given = cli
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| (v.clone(), format!("--var {name}")))
            .or_else(|| {
                env(&format!("STRATA_VAR_{name}")).map(|v| (v, format!("STRATA_VAR_{name}")))
            });
        let value = match (given, &var.default) {
            (Some((text, source)), _) => match convert(&text, var.ty.as_ref(), var.sensitive) {
                Ok(v) => v,
                Err(e) => {
                    diags.push(
                        Diagnostic::error(format!("variable \"{name}\" from {source}: {e}"))
                            .file(&file)
                            .at_owned(at),
                    );
                    continue;
                }
            },
            (None, Some(d)) => d.clone(),
            (None, None) => match missing {
                Missing::Unknown => Value::Unknown,
                Missing::Error => {
                    diags.push(
                        Diagnostic::error(format!("variable \"{name}\" has no value"))
                            .file(&file)
                            .at_owned(at)
                            .hint(format!(
                                "set it with --var {name}=… or the environment variable STRATA_VAR_{name}"
                            )),
                    );
                    continue;
                }
            },
        };
        out.insert(
            name.clone(),
            VarValue {
                value,
                sensitive: var.sensitive,
            },
        );
    }
    (out, diags)
}

/// Convert a given value's text to the variable's type. The error names the value, unless
/// the variable is sensitive.
fn convert(text: &str, ty: Option<&VarType>, sensitive: bool) -> Result<Value, String> {
    let shown = if sensitive {
        "the sensitive value".to_string()
    } else {
        format!("\"{text}\"")
    };
    match ty {
        None | Some(VarType::String) => Ok(Value::str(text)),
        Some(VarType::Number) => {
            if let Ok(i) = text.trim().parse::<i64>() {
                return Ok(Value::int(i));
            }
            text.trim()
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .ok_or_else(|| format!("{shown} is not a number"))
        }
        Some(VarType::Bool) => match text.trim() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(format!("{shown} is not true or false")),
        },
        Some(t @ (VarType::List | VarType::Map)) => {
            // the parser's own messages may quote the text
            let detail = |e: String| {
                if sensitive {
                    String::new()
                } else {
                    format!(": {e}")
                }
            };
            let y: serde_yaml::Value = serde_yaml::from_str(text)
                .map_err(|e| format!("cannot parse {shown}{}", detail(e.to_string())))?;
            let v = super::load::from_yaml(&y)
                .map_err(|e| format!("cannot parse {shown}{}", detail(e)))?;
            match (t, &v) {
                (VarType::List, Value::List(_)) | (VarType::Map, Value::Map(_)) => Ok(v),
                _ => Err(format!(
                    "expected a {}, e.g. {}",
                    if *t == VarType::List { "list" } else { "map" },
                    if *t == VarType::List {
                        "[a, b]"
                    } else {
                        "{k: v}"
                    }
                )),
            }
        }
    }
}
