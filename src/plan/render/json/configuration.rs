//! `configuration`: the config as written, in Terraform's shape — `provider_config` (one
//! entry per provider configuration, its arguments as expressions), and the root module's
//! `resources` (data sources too), `outputs`, `variables` and `module_calls` (each call's
//! source, inputs, `count` / `for_each`, and the called module in the same shape, nested).
//! Also `relevant_attributes`: every resource attribute an expression refers to.
//!
//! Invariants: an expression is `{"constant_value": V}` when it is a literal, else
//! `{"references": [...]}` (each reference, then each shorter prefix down to the object, as
//! Terraform lists them), else `{}`; the literal of a sensitive argument, provider argument,
//! module input or variable default is never written. Module resources' `provider_config_key`
//! is the stack's provider configuration they use (through the calls' `providers:`), which is
//! always a key of `provider_config`.

use super::values::path_json;
use super::FULL_NAME_PREFIX;
use crate::config::expr::{Expr, Ref, Target};
use crate::config::modules::{dir_key, ModuleCall};
use crate::config::{Block, Config, Repeat};
use crate::value::{is_ident, key, Path, PathSeg};
use serde_json::{json, Map, Value as J};
use std::collections::BTreeMap;

/// A module's provider configuration names → the stack's.
type Providers = BTreeMap<String, String>;

fn resolve(providers: &Providers, name: &str) -> String {
    providers
        .get(name)
        .cloned()
        .unwrap_or_else(|| name.to_string())
}

pub fn configuration(cfg: &Config) -> J {
    json!({
        "provider_config": provider_config(cfg),
        "root_module": module(cfg, cfg, &Providers::new()),
    })
}

fn provider_config(cfg: &Config) -> J {
    let mut out = Map::new();
    for (name, p) in &cfg.providers {
        let (family, alias) = name.split_once('.').unwrap_or((name, ""));
        let secret = crate::schema::providers::provider(family)
            .map(|s| s.sensitive_paths())
            .unwrap_or_default();
        let mut entry =
            json!({ "name": family, "full_name": format!("{FULL_NAME_PREFIX}{family}") });
        if !alias.is_empty() {
            entry["alias"] = json!(alias);
        }
        entry["expressions"] = expressions(&p.args, &secret, cfg);
        out.insert(name.clone(), entry);
    }
    for b in cfg.resources.values() {
        let family = b.addr.provider();
        let key = b.provider.clone().unwrap_or_else(|| family.to_string());
        out.entry(key).or_insert_with(
            || json!({ "name": family, "full_name": format!("{FULL_NAME_PREFIX}{family}") }),
        );
    }
    J::Object(out)
}

/// One module (`scope`: the stack itself or a module directory's config) in Terraform's shape.
fn module(root: &Config, scope: &Config, providers: &Providers) -> J {
    let outputs: Map<String, J> = scope
        .outputs
        .values()
        .map(|o| {
            let mut e = json!({ "expression": expression(&o.value, o.sensitive, scope) });
            if o.sensitive {
                e["sensitive"] = json!(true);
            }
            if let Some(d) = &o.description {
                e["description"] = json!(d);
            }
            (o.name.clone(), e)
        })
        .collect();
    let resources: Vec<J> = scope
        .resources
        .values()
        .filter(|b| b.addr.module.is_empty())
        .map(|b| resource(b, scope, providers))
        .collect();
    let calls: Map<String, J> = scope
        .modules
        .values()
        .map(|c| (c.name.clone(), call(root, scope, c, providers)))
        .collect();
    let mut obj = json!({ "outputs": outputs, "resources": resources });
    if !calls.is_empty() {
        obj["module_calls"] = J::Object(calls);
    }
    obj["variables"] = variables(scope);
    obj
}

fn variables(scope: &Config) -> J {
    let vars: Map<String, J> = scope
        .variables
        .values()
        .map(|v| {
            let mut e = json!({});
            match (&v.default, v.sensitive) {
                (_, true) => e["sensitive"] = json!(true),
                (Some(d), false) => e["default"] = d.to_json(),
                (None, false) => {}
            }
            if let Some(d) = &v.description {
                e["description"] = json!(d);
            }
            (v.name.clone(), e)
        })
        .collect();
    J::Object(vars)
}

fn repeat(obj: &mut J, r: Option<&Repeat>, scope: &Config) {
    if let Some(r) = r {
        obj[format!("{}_expression", r.key())] = expression(r.expr(), false, scope);
    }
}

fn depends_on(obj: &mut J, deps: &[crate::address::Address]) {
    if !deps.is_empty() {
        obj["depends_on"] = json!(deps.iter().map(|a| a.to_string()).collect::<Vec<_>>());
    }
}

fn resource(b: &Block, scope: &Config, providers: &Providers) -> J {
    let config_key = b
        .provider
        .clone()
        .unwrap_or_else(|| b.addr.provider().to_string());
    let mut obj = json!({
        "address": b.addr.to_string(),
        "mode": if b.addr.is_data() { "data" } else { "managed" },
        "type": b.addr.ty,
        "name": b.addr.name,
        "provider_config_key": resolve(providers, &config_key),
        "expressions": expressions(&b.args, &b.schema.sensitive_paths(), scope),
        "schema_version": 0,
    });
    repeat(&mut obj, b.repeat.as_ref(), scope);
    depends_on(&mut obj, &b.depends_on);
    if let Some(clone) = &b.clone {
        obj["clone"] = expressions(clone, &[], scope);
    }
    obj
}

fn call(root: &Config, scope: &Config, c: &ModuleCall, providers: &Providers) -> J {
    let mut inner = providers.clone();
    for (local, theirs) in &c.providers {
        inner.insert(local.clone(), resolve(providers, theirs));
    }
    let def = root.module_defs.get(&dir_key(&scope.module_key, &c.source));
    let secret: Vec<Path> = def
        .map(|d| d.cfg.variables.values().filter(|v| v.sensitive))
        .into_iter()
        .flatten()
        .map(|v| vec![key(&v.name)])
        .collect();
    let mut obj = json!({
        "source": c.source,
        "expressions": expressions(&c.inputs, &secret, scope),
    });
    repeat(&mut obj, c.repeat.as_ref(), scope);
    depends_on(&mut obj, &c.depends_on);
    if let Some(d) = def {
        obj["module"] = module(root, &d.cfg, &inner);
    }
    obj
}

/// Arguments as expressions; an argument at or holding one of `secret` keeps no literal.
fn expressions(args: &BTreeMap<String, Expr>, secret: &[Path], scope: &Config) -> J {
    let out: Map<String, J> = args
        .iter()
        .map(|(name, e)| {
            let hidden = secret.iter().any(|p| p.first() == Some(&key(name)));
            (name.clone(), expression(e, hidden, scope))
        })
        .collect();
    J::Object(out)
}

fn expression(e: &Expr, hidden: bool, scope: &Config) -> J {
    match e.literal() {
        Some(v) if !hidden => json!({ "constant_value": v.to_json() }),
        Some(_) => json!({}),
        None => {
            let refs = references(e, scope);
            if refs.is_empty() {
                json!({})
            } else {
                json!({ "references": refs })
            }
        }
    }
}

/// Whether the target of `r` is a repeated block or call (its first step is then a key).
fn repeated(r: &Ref, scope: &Config) -> bool {
    match &r.target {
        Target::Object(a) => scope.resources.get(a).is_some_and(|b| b.repeat.is_some()),
        Target::Local(n) => n
            .strip_prefix("module.")
            .and_then(|m| scope.modules.get(m))
            .is_some_and(|c| c.repeat.is_some()),
        _ => false,
    }
}

/// The reference's subject as Terraform writes it (`var.x`, `module.m`, `T.N`, `each.key`).
fn subject(r: &Ref) -> String {
    match &r.target {
        Target::Var(n) => format!("var.{n}"),
        Target::Local(n) if n.starts_with("module.") => n.clone(),
        Target::Local(n) => format!("local.{n}"),
        Target::Object(a) => a.to_string(),
        Target::Instance(i) => i.text().to_string(),
    }
}

fn step(s: &PathSeg, bracketed: bool) -> String {
    match s {
        PathSeg::Key(k) if is_ident(k) && !bracketed => format!(".{k}"),
        PathSeg::Key(k) => format!("[{}]", json!(k)),
        PathSeg::Index(i) => format!("[{i}]"),
    }
}

/// The references of `e`: each in full, then each shorter prefix down to its subject.
pub fn references(e: &Expr, scope: &Config) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in e.refs() {
        let keyed = repeated(r, scope);
        let mut texts = vec![subject(r)];
        for (i, s) in r.path.iter().enumerate() {
            let prev = texts.last().cloned().unwrap_or_default();
            texts.push(prev + &step(s, i == 0 && keyed));
        }
        for t in texts.into_iter().rev() {
            if !out.contains(&t) {
                out.push(t);
            }
        }
    }
    out
}

/// `relevant_attributes`: each resource attribute an expression of the (expanded) config
/// refers to, as `{ "resource": ADDRESS, "attribute": PATH }`, sorted, once each.
pub fn relevant_attributes(cfg: &Config) -> J {
    let mut exprs: Vec<&Expr> = Vec::new();
    for b in cfg.resources.values() {
        exprs.extend(b.args.values());
        exprs.extend(b.clone.iter().flat_map(|c| c.values()));
    }
    exprs.extend(cfg.outputs.values().map(|o| &o.value));
    exprs.extend(cfg.locals.values().map(|l| &l.value));
    let mut seen: BTreeMap<(String, String), J> = BTreeMap::new();
    for r in exprs.iter().flat_map(|e| e.refs()) {
        let Target::Object(a) = &r.target else {
            continue;
        };
        let keyed = repeated(r, cfg) && !r.path.is_empty();
        let (resource, attribute) = match keyed {
            true => (format!("{a}{}", step(&r.path[0], true)), &r.path[1..]),
            false => (a.to_string(), &r.path[..]),
        };
        if attribute.is_empty() {
            continue;
        }
        let path = path_json(attribute);
        seen.entry((resource.clone(), path.to_string()))
            .or_insert_with(|| json!({ "resource": resource, "attribute": path }));
    }
    J::Array(seen.into_values().collect())
}
