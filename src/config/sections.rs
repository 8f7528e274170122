//! The sections of a config file whose keys are the language's own (`config::keys`):
//! variables, locals, resource and data blocks (their meta-arguments), outputs and the
//! backend — each merged into the `Config`, every problem a diagnostic at its key.
//! Invariants: the keys accepted and their types come from `keys`' tables only (an unknown
//! key or a value of the wrong kind is an error naming the key, never ignored or taken for
//! a value); a `null` value is "not given".

use super::expr::Expr;
use super::keys::{self, Key, Table};
use super::load::{duplicate, expr_map, section_map, to_expr, FileCx};
use super::vars::{types, validation, Rule};
use super::{parse_duration, Backend, Block, Config, Lifecycle, Local, Output, Repeat, Variable};
use crate::address::{Address, Mode};
use crate::schema::{self, suggest, Schema};
use crate::value::{Map, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The keys of `m` that `table` knows and whose values are of the right kind (`null` ones
/// included); every other key is reported.
pub(super) fn known<'m>(
    cx: &mut FileCx,
    at: &[&str],
    table: &'static Table,
    m: &'m Map,
) -> Vec<(&'static Key, &'m Value)> {
    let mut out = Vec::new();
    for (k, v) in m {
        let mut p = at.to_vec();
        p.push(k);
        let Some(key) = table.get(k) else {
            unknown_key(cx, &p, table, k);
            continue;
        };
        match keys::check(&key.kind, v) {
            Ok(()) => out.push((key, v)),
            Err(msg) => {
                wrong_value(cx, &p, msg);
            }
        }
    }
    out
}

/// The required keys of `table` that `fields` (from [`known`]) do not give (`null` is not
/// given).
pub(super) fn missing_required(
    table: &Table,
    fields: &[(&'static Key, &Value)],
) -> Vec<&'static str> {
    let given = |name: &str| fields.iter().any(|(k, v)| k.name == name && !v.is_null());
    table
        .keys
        .iter()
        .filter(|k| k.required && !given(k.name))
        .map(|k| k.name)
        .collect()
}

pub(super) fn unknown_key(cx: &mut FileCx, at: &[&str], table: &Table, k: &str) {
    let valid = || {
        format!(
            "valid keys: {}",
            table.names().collect::<Vec<_>>().join(", ")
        )
    };
    let hint = suggest(k, table.names()).unwrap_or_else(valid);
    cx.err(at, format!("unknown key \"{k}\" in {}", table.what))
        .hint = Some(hint);
}

/// A value of the wrong kind: the error names the key as `section.name.key` outside blocks.
pub(super) fn wrong_value(cx: &mut FileCx, at: &[&str], msg: String) {
    let d = cx.err(at, msg);
    if d.attribute.is_none() {
        d.attribute = Some(at.join("."));
    }
}

pub(super) fn merge_variables(cfg: &mut Config, cx: &mut FileCx, body: &Value) {
    let Some(m) = section_map(cx, "variables", body) else {
        return;
    };
    for (name, v) in m {
        let at = ["variables", name.as_str()];
        if !crate::value::is_ident(name) {
            cx.err(&at, format!("\"{name}\" is not a valid variable name"));
            continue;
        }
        if let Some(prev) = cfg.variables.get(name) {
            duplicate(cx, cfg, &at, &format!("variable \"{name}\""), prev.file);
            continue;
        }
        let fields = match v {
            Value::Null => Map::new(),
            Value::Map(fields) => fields.clone(),
            other => {
                cx.err(
                    &at,
                    format!("a variable must be a mapping, not a {}", other.kind()),
                )
                .hint = Some(format!("write {name}: {{ default: … }}"));
                continue;
            }
        };
        let mut var = Variable {
            name: name.clone(),
            file: cx.idx,
            default: None,
            sensitive: false,
            ty: None,
            description: None,
            validation: Vec::new(),
        };
        for (key, fv) in known(cx, &at, &keys::VARIABLE, &fields) {
            match key.name {
                "default" => var.default = Some(fv.clone()),
                "sensitive" => var.sensitive = fv.as_bool().unwrap_or(false),
                "description" => var.description = fv.as_str().map(String::from),
                "type" => var.ty = fv.as_str().and_then(|t| types::parse(t).ok()),
                "validation" => var.validation = rules(cx, &at, name, fv),
                _ => {}
            }
        }
        cfg.variables.insert(name.clone(), var);
    }
}

/// A variable's `validation:` rules; each needs a `condition` that refers only to the
/// variable (`validation::check_condition`) and an `error_message`.
fn rules(cx: &mut FileCx, at: &[&str], name: &str, v: &Value) -> Vec<Rule> {
    let Value::List(items) = v else {
        return Vec::new(); // null: none
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let idx = i.to_string();
        let mut p = at.to_vec();
        p.extend(["validation", idx.as_str()]);
        let Value::Map(m) = item else {
            let msg = format!(
                "a validation rule must be a mapping {{ condition: \"${{…}}\", error_message: … }}, not a {}",
                item.kind()
            );
            wrong_value(cx, &p, msg);
            continue;
        };
        let fields = known(cx, &p, &keys::VALIDATION, m);
        let given = |k: &str| fields.iter().find(|(key, v)| key.name == k && !v.is_null());
        let missing = missing_required(&keys::VALIDATION, &fields);
        if !missing.is_empty() {
            wrong_value(
                cx,
                &p,
                format!("the validation rule needs {}", missing.join(" and ")),
            );
            continue;
        }
        let (Some((_, cond)), Some((_, msg))) = (given("condition"), given("error_message")) else {
            continue;
        };
        let mut cp = p.clone();
        cp.push("condition");
        let condition = match Expr::from_value((*cond).clone()) {
            Ok(e) => e,
            Err(msg) => {
                wrong_value(cx, &cp, msg);
                continue;
            }
        };
        if let Err(e) = validation::check_condition(name, &condition) {
            wrong_value(cx, &cp, e);
            continue;
        }
        out.push(Rule {
            condition,
            error_message: msg.as_str().unwrap_or_default().to_string(),
        });
    }
    out
}

/// `locals:`: names and their expressions (any value; strings may hold `${…}`). A name
/// declared in two files is an error naming both.
pub(super) fn merge_locals(cfg: &mut Config, cx: &mut FileCx, body: &Value) {
    let Some(m) = section_map(cx, "locals", body) else {
        return;
    };
    for (name, v) in m {
        let at = ["locals", name.as_str()];
        if !crate::value::is_ident(name) {
            cx.err(&at, format!("\"{name}\" is not a valid local name"))
                .hint = Some("use letters, digits, '_' and '-', starting with a letter".into());
            continue;
        }
        if let Some(prev) = cfg.locals.get(name) {
            duplicate(cx, cfg, &at, &format!("local \"{name}\""), prev.file);
            continue;
        }
        if let Some(e) = to_expr(cx, &at, v) {
            let local = Local::new(name, cx.idx, e);
            std::sync::Arc::make_mut(&mut cfg.locals).insert(name.clone(), local);
        }
    }
}

/// `resources:` or `data:`.
pub(super) fn merge_blocks(cfg: &mut Config, cx: &mut FileCx, body: Value, mode: Mode) {
    let section = if mode == Mode::Data {
        "data"
    } else {
        "resources"
    };
    if section_map(cx, section, &body).is_none() {
        return;
    }
    let Value::Map(m) = body else { return };
    for (key, v) in m {
        let at = [section, key.as_str()];
        let Some((addr, schema)) = block_address(cx, &at, mode) else {
            continue;
        };
        if let Some(prev) = cfg.resources.get(&addr) {
            duplicate(cx, cfg, &at, &addr.to_string(), prev.file);
            continue;
        }
        let fields = match v {
            Value::Map(f) => f,
            Value::Null => Map::new(),
            other => {
                let msg = format!(
                    "{addr} must be a mapping of arguments, not a {}",
                    other.kind()
                );
                cx.err(&at, msg);
                continue;
            }
        };
        let block = parse_block(cx, &at, addr, schema, fields);
        cfg.resources.insert(block.addr.clone(), block);
    }
}

/// The address of the block at `at` (`[section, "<type>.<name>"]`) and its type's schema.
fn block_address(cx: &mut FileCx, at: &[&str], mode: Mode) -> Option<(Address, &'static Schema)> {
    let key = at[1];
    let addr = match Address::parse(key) {
        Ok(a) if a.mode == Mode::Managed => match mode {
            Mode::Managed => a,
            Mode::Data => Address::data(&a.ty, &a.name),
        },
        Ok(_) => {
            cx.err(
                at,
                format!("\"{key}\": write data sources under data: as <type>.<name>"),
            );
            return None;
        }
        Err(e) => {
            cx.err(at, e);
            return None;
        }
    };
    let found = match mode {
        Mode::Managed => schema::resource(&addr.ty),
        Mode::Data => schema::data_source(&addr.ty),
    };
    if found.is_none() {
        let kinds = if mode == Mode::Data {
            "data source"
        } else {
            "resource"
        };
        let known =
            schema::all().filter(|s| (s.kind == schema::Kind::DataSource) == (mode == Mode::Data));
        let names: Vec<&str> = known.map(|s| s.type_name).collect();
        let hint = suggest(&addr.ty, names.iter().copied())
            .unwrap_or_else(|| format!("known {kinds} types: {}", names.join(", ")));
        cx.err(at, format!("unknown {kinds} type \"{}\"", addr.ty))
            .hint = Some(hint);
    }
    Some((addr, found?))
}

/// The meta-argument `k` of a block of `mode`, if it is one.
fn meta_key(k: &str, mode: Mode) -> Option<&'static Key> {
    keys::BLOCK
        .get(k)
        .filter(|key| mode == Mode::Managed || !key.resources_only)
}

fn parse_block(
    cx: &mut FileCx,
    at: &[&str],
    addr: Address,
    schema: &'static Schema,
    fields: Map,
) -> Block {
    let mut block = Block {
        addr,
        file: cx.idx,
        schema,
        args: BTreeMap::new(),
        clone: None,
        depends_on: Vec::new(),
        lifecycle: Lifecycle::default(),
        provider: None,
        timeouts: BTreeMap::new(),
        repeat: None,
        deps: Vec::new(),
    };
    for (k, fv) in fields {
        let mut fat = at.to_vec();
        fat.push(&k);
        let Some(key) = meta_key(&k, block.addr.mode) else {
            match Expr::from_value(fv) {
                Ok(e) => {
                    block.args.insert(k, e);
                }
                Err(msg) => {
                    cx.err(&fat, msg);
                    // reported: the argument is given, so it is not "missing" as well
                    block.args.insert(k, Expr::Literal(Value::Unknown));
                }
            }
            continue;
        };
        if key.name == "clone" && schema.clone.is_none() {
            cx.err(&fat, format!("{} cannot be cloned", block.addr.ty));
            continue;
        }
        if let Err(msg) = keys::check(&key.kind, &fv) {
            wrong_value(cx, &fat, msg);
            continue;
        }
        match key.name {
            "depends_on" => block.depends_on = parse_depends_on(cx, &fat, &fv),
            "lifecycle" => block.lifecycle = parse_lifecycle(cx, &fat, &fv),
            "timeouts" => block.timeouts = parse_timeouts(cx, &fat, &fv),
            "provider" => block.provider = fv.as_str().map(String::from),
            "count" | "for_each" => parse_repeat(cx, &fat, &mut block, key.name, fv),
            _ => block.clone = parse_clone(cx, &fat, &fv),
        }
    }
    block.deps = block.compute_dependencies();
    block
}

/// `count:` or `for_each:` (not both).
fn parse_repeat(cx: &mut FileCx, at: &[&str], block: &mut Block, name: &str, v: Value) {
    if v.is_null() {
        return;
    }
    if block.repeat.is_some() {
        let msg = format!(
            "{} has both count and for_each: use one (for_each to key instances by name, \
             count to number them)",
            block.addr
        );
        cx.err(at, msg);
        return;
    }
    let Some(e) = to_expr(cx, at, &v) else {
        return;
    };
    block.repeat = Some(match name {
        "count" => Repeat::Count(e),
        _ => Repeat::ForEach(e),
    });
}

fn parse_clone(cx: &mut FileCx, at: &[&str], v: &Value) -> Option<BTreeMap<String, Expr>> {
    match v {
        Value::Map(cm) => Some(expr_map(cx, at, cm)),
        Value::Null => None,
        _ => to_expr(cx, at, v).map(|e| BTreeMap::from([("source".to_string(), e)])),
    }
}

pub(super) fn parse_depends_on(cx: &mut FileCx, at: &[&str], v: &Value) -> Vec<Address> {
    let items = match v {
        Value::List(items) => items.clone(),
        Value::Null => Vec::new(),
        _ => vec![v.clone()],
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let istr = i.to_string();
        let mut p = at.to_vec();
        p.push(&istr);
        match item.as_str().map(|s| {
            let s = s.trim();
            let s = s
                .strip_prefix("${")
                .and_then(|s| s.strip_suffix('}'))
                .unwrap_or(s);
            Address::parse(s)
        }) {
            Some(Ok(a)) => out.push(a),
            Some(Err(e)) => {
                cx.err(&p, e);
            }
            None => {
                cx.err(&p, "depends_on entries must be addresses such as type.name");
            }
        }
    }
    out
}

fn parse_lifecycle(cx: &mut FileCx, at: &[&str], v: &Value) -> Lifecycle {
    let mut lc = Lifecycle::default();
    let Value::Map(m) = v else {
        return lc;
    };
    for (key, fv) in known(cx, at, &keys::LIFECYCLE, m) {
        match (key.name, fv) {
            ("prevent_destroy", _) => lc.prevent_destroy = fv.as_bool().unwrap_or(false),
            ("create_before_destroy", _) => {
                lc.create_before_destroy = fv.as_bool().unwrap_or(false)
            }
            (_, Value::List(items)) => {
                let mut p = at.to_vec();
                p.push(key.name);
                for item in items {
                    match item.as_str() {
                        Some(s) => lc.ignore_changes.push(s.to_string()),
                        None => {
                            cx.err(&p, "ignore_changes must list attribute names");
                        }
                    }
                }
            }
            (_, Value::String(all)) => lc.ignore_changes.push(all.clone()),
            _ => {}
        }
    }
    lc
}

fn parse_timeouts(
    cx: &mut FileCx,
    at: &[&str],
    v: &Value,
) -> BTreeMap<String, std::time::Duration> {
    let mut out = BTreeMap::new();
    let Value::Map(m) = v else {
        return out;
    };
    for (key, fv) in known(cx, at, &keys::TIMEOUTS, m) {
        let text = match fv {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => continue, // null: the schema's default
        };
        if let Ok(d) = parse_duration(&text) {
            out.insert(key.name.to_string(), d); // checked by `known`
        }
    }
    out
}

pub(super) fn merge_outputs(cfg: &mut Config, cx: &mut FileCx, body: &Value) {
    let Some(m) = section_map(cx, "outputs", body) else {
        return;
    };
    for (name, v) in m {
        let at = ["outputs", name.as_str()];
        if let Some(prev) = cfg.outputs.get(name) {
            duplicate(cx, cfg, &at, &format!("output \"{name}\""), prev.file);
            continue;
        }
        let (value, sensitive, description) = match long_form(v) {
            Some(f) => output_fields(cx, &at, f),
            None => (v.clone(), false, None),
        };
        if let Some(e) = to_expr(cx, &at, &value) {
            cfg.outputs.insert(
                name.clone(),
                Output {
                    name: name.clone(),
                    file: cx.idx,
                    value: e,
                    sensitive,
                    description,
                },
            );
        }
    }
}

/// An output written as `{ value: …, sensitive: …, description: … }`: a mapping with a
/// `value:` or a `sensitive:` key (any other mapping is the output's value itself).
pub fn long_form(v: &Value) -> Option<&Map> {
    match v {
        Value::Map(f) if f.contains_key("value") || f.contains_key("sensitive") => Some(f),
        _ => None,
    }
}

/// The value, sensitivity and description of a long-form output. A `sensitive:` that is not
/// a boolean keeps the output secret until the config is fixed.
fn output_fields(cx: &mut FileCx, at: &[&str], f: &Map) -> (Value, bool, Option<String>) {
    if !f.contains_key("value") {
        cx.err(at, "an output with sensitive: needs value:").hint =
            Some("write { value: …, sensitive: true }".into());
    }
    let known = known(cx, at, &keys::OUTPUT, f);
    let given = |name: &str| known.iter().find(|(k, _)| k.name == name).map(|(_, v)| *v);
    let sensitive = match f.get("sensitive") {
        None | Some(Value::Null) => false,
        Some(_) => given("sensitive").and_then(Value::as_bool).unwrap_or(true),
    };
    let description = given("description")
        .and_then(Value::as_str)
        .map(String::from);
    let value = f.get("value").cloned().unwrap_or_default();
    (value, sensitive, description)
}

pub(super) fn merge_backend(cfg: &mut Config, cx: &mut FileCx, body: &Value) {
    if cfg.backend.is_some() {
        cx.err(&["backend"], "the backend is defined in more than one file");
        return;
    }
    let Value::Map(m) = body else {
        cx.err(
            &["backend"],
            "backend must be a mapping like { type: local }",
        );
        return;
    };
    let ty = m.get("type").and_then(Value::as_str).unwrap_or("");
    let Some((_, table)) = keys::BACKENDS.iter().find(|(name, _)| *name == ty) else {
        let types: Vec<&str> = keys::BACKENDS.iter().map(|(name, _)| *name).collect();
        cx.err(
            &["backend", "type"],
            format!("unknown backend type \"{ty}\""),
        )
        .hint = Some(format!("backend types: {}", types.join(", ")));
        return;
    };
    let known = known(cx, &["backend"], table, m);
    let given = |name: &str| {
        known
            .iter()
            .find(|(k, _)| k.name == name)
            .and_then(|(_, v)| v.as_str())
    };
    cfg.backend = Some(match ty {
        "local" => Backend::Local {
            path: given("path").map(PathBuf::from),
        },
        _ => Backend::Postgres {
            url: given("url").map(String::from),
        },
    });
}
