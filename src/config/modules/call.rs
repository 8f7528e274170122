//! The `modules:` section: each entry a module call — `source`, `count` / `for_each`,
//! `providers`, `depends_on` (the meta-arguments of `keys::MODULE`) and the module's inputs,
//! every other key, as expressions.
//! Invariants: the meta-arguments and their kinds come from `keys::MODULE` only; a source
//! that is not a local path is refused here, saying only local modules are supported.

use super::ModuleCall;
use crate::config::expr::Expr;
use crate::config::keys;
use crate::config::load::{duplicate, section_map, to_expr, FileCx};
use crate::config::sections::{parse_depends_on, wrong_value};
use crate::config::{Config, Repeat};
use crate::value::{Map, Value};
use std::collections::BTreeMap;

pub(in crate::config) fn merge_modules(cfg: &mut Config, cx: &mut FileCx, body: &Value) {
    let Some(m) = section_map(cx, "modules", body) else {
        return;
    };
    for (name, v) in m {
        let at = ["modules", name.as_str()];
        if let Some(prev) = cfg.modules.get(name) {
            duplicate(cx, cfg, &at, &format!("module \"{name}\""), prev.file);
            continue;
        }
        let Value::Map(fields) = v else {
            let msg = format!("module \"{name}\" must be a mapping like {{ source: ./path }}");
            cx.err(&at, msg);
            continue;
        };
        if let Some(call) = parse_call(cx, name, fields) {
            cfg.modules.insert(name.clone(), call);
        }
    }
}

fn parse_call(cx: &mut FileCx, name: &str, fields: &Map) -> Option<ModuleCall> {
    let at = ["modules", name];
    let mut call = ModuleCall {
        name: name.to_string(),
        file: cx.idx,
        source: String::new(),
        repeat: None,
        depends_on: Vec::new(),
        providers: BTreeMap::new(),
        inputs: BTreeMap::new(),
    };
    for (k, v) in fields {
        let fat = ["modules", name, k.as_str()];
        let Some(key) = keys::MODULE.get(k) else {
            if let Some(e) = to_expr(cx, &fat, v) {
                call.inputs.insert(k.clone(), e);
            }
            continue;
        };
        if let Err(msg) = keys::check(&key.kind, v) {
            wrong_value(cx, &fat, msg);
            continue;
        }
        match key.name {
            "source" => call.source = v.as_str().unwrap_or_default().to_string(),
            "depends_on" => call.depends_on = parse_depends_on(cx, &fat, v),
            "providers" => call.providers = parse_providers(cx, &fat, v),
            _ => parse_repeat(cx, &fat, &mut call, key.name, v),
        }
    }
    source_ok(cx, &at, &call.source).then_some(call)
}

/// A local path (`./…`, `../…`); anything else is refused with what is supported.
fn source_ok(cx: &mut FileCx, at: &[&str], source: &str) -> bool {
    let mut sat = at.to_vec();
    sat.push("source");
    if source.is_empty() {
        cx.err(
            at,
            format!(
                "module \"{}\" has no source: write source: ./path/to/module",
                at[1]
            ),
        );
        return false;
    }
    if source.starts_with("./") || source.starts_with("../") || source == "." || source == ".." {
        return true;
    }
    let d = cx.err(
        &sat,
        format!("module source \"{source}\" is not supported: only local modules are (a path starting with ./ or ../)"),
    );
    d.hint = Some("copy the module into the repository and write source: ./modules/NAME; git, registry and URL sources are not supported".into());
    false
}

/// `providers: { alicloud: alicloud.dr }`: the module's name for a configuration → the
/// caller's configuration.
fn parse_providers(cx: &mut FileCx, at: &[&str], v: &Value) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Value::Map(m) = v else {
        if !v.is_null() {
            wrong_value(
                cx,
                at,
                "expected a mapping like { alicloud: alicloud.dr }".into(),
            );
        }
        return out;
    };
    for (inner, outer) in m {
        match outer.as_str() {
            Some(s) => {
                out.insert(inner.clone(), s.to_string());
            }
            None => {
                let mut p = at.to_vec();
                p.push(inner);
                wrong_value(
                    cx,
                    &p,
                    "expected the name of a provider configuration".into(),
                );
            }
        }
    }
    out
}

fn parse_repeat(cx: &mut FileCx, at: &[&str], call: &mut ModuleCall, name: &str, v: &Value) {
    if v.is_null() {
        return;
    }
    if call.repeat.is_some() {
        cx.err(
            at,
            format!(
                "module \"{}\" has both count and for_each: use one",
                call.name
            ),
        );
        return;
    }
    let Some(e) = to_expr(cx, at, v) else {
        return;
    };
    call.repeat = Some(match name {
        "count" => Repeat::Count(e),
        _ => Repeat::ForEach(e),
    });
}

/// The expressions of a call (its inputs and its `count` / `for_each`), for the references
/// the caller's graph sees.
pub fn call_exprs(call: &ModuleCall) -> impl Iterator<Item = &Expr> {
    call.inputs
        .values()
        .chain(call.repeat.as_ref().map(Repeat::expr))
}
