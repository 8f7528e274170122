//! The evaluator: evaluates one block's arguments (and its `clone:` block) in a scope and
//! checks them against the block's schema. Validate calls it with an all-unknown scope, plan
//! with state and planned objects, apply with the values known when the node runs, and the
//! recovery of a withheld natural key with the state: one function, so a rule is checked the
//! same way everywhere. Problems become diagnostics at the block's YAML path; a problem with
//! a sensitive value never shows the value.

use super::eval::{eval, eval_args, Scope};
use super::expr::Expr;
use super::{Block, Config};
use crate::diag::{Diagnostic, Diagnostics};
use crate::schema::{self, Problem, Schema};
use crate::value::{Map, Path, PathSeg, Value};
use std::collections::BTreeMap;

/// A block evaluated: its arguments, its clone source, and the paths whose values derive
/// from sensitive variables.
#[derive(Debug, Clone)]
pub struct Evaluated {
    pub args: Map,
    pub clone: Option<Map>,
    /// Paths of `args` derived from sensitive inputs (the schema's own sensitive paths are
    /// not included; see `sensitive_paths`).
    pub var_sensitive: Vec<Path>,
}

impl Evaluated {
    /// Whether every argument and clone argument is known.
    pub fn known(&self) -> bool {
        let unknown = |m: &Map| m.values().any(Value::has_unknown);
        !unknown(&self.args) && !self.clone.as_ref().is_some_and(unknown)
    }

    /// The schema's sensitive paths, then those derived from sensitive variables.
    pub fn sensitive_paths(&self, schema: &Schema) -> Vec<Path> {
        let mut paths = schema.sensitive_paths();
        for p in &self.var_sensitive {
            if !paths.contains(p) {
                paths.push(p.clone());
            }
        }
        paths
    }
}

/// Where a block's diagnostics point.
pub(super) struct Site {
    pub file: std::path::PathBuf,
    pub base: Vec<String>,
    pub addr: String,
}

impl Site {
    pub fn of(cfg: &Config, b: &Block) -> Site {
        Site {
            file: cfg.file_path(b.file),
            base: b.yaml_path(),
            addr: b.addr.to_string(),
        }
    }

    /// An evaluation error of the argument `name` (under `prefix`, e.g. `clone`).
    fn eval_error(&self, prefix: Option<&str>, name: &str, msg: String) -> Diagnostic {
        let mut at = self.base.clone();
        at.extend(prefix.map(String::from));
        at.push(name.to_string());
        let attribute = match prefix {
            Some(p) => format!("{p}.{name}"),
            None => name.to_string(),
        };
        Diagnostic::error(msg)
            .file(&self.file)
            .at_owned(at)
            .address(&self.addr)
            .attribute(attribute)
    }

    /// A schema problem (under `prefix`, e.g. `clone`).
    pub fn problem(&self, diags: &mut Diagnostics, prefix: Option<&str>, prob: Problem) {
        let mut at = self.base.clone();
        let mut attr_path = Vec::new();
        if let Some(p) = prefix {
            at.push(p.to_string());
            attr_path.push(PathSeg::Key(p.to_string()));
        }
        for seg in &prob.path {
            at.push(match seg {
                PathSeg::Key(k) => k.clone(),
                PathSeg::Index(i) => i.to_string(),
            });
            attr_path.push(seg.clone());
        }
        let mut d = Diagnostic::error(prob.message)
            .file(&self.file)
            .at_owned(at)
            .address(&self.addr)
            .attribute(crate::value::path_string(&attr_path));
        if let Some(h) = prob.hint {
            d = d.hint(h);
        }
        diags.push(d);
    }
}

/// Evaluate arguments, one diagnostic per argument that fails.
fn eval_map(
    exprs: &BTreeMap<String, Expr>,
    scope: &dyn Scope,
    site: &Site,
    prefix: Option<&str>,
    diags: &mut Diagnostics,
) -> Option<(Value, Vec<Path>)> {
    match eval_args(exprs, scope) {
        Ok(ev) => Some((ev.value, ev.sensitive)),
        Err(errs) => {
            for (name, msg) in errs {
                diags.push(site.eval_error(prefix, &name, msg));
            }
            None
        }
    }
}

/// Evaluate a block's arguments in `scope` and check them against its schema. `None` when
/// they could not be evaluated or broke a rule (every problem is in `diags`).
pub fn evaluate(
    cfg: &Config,
    b: &Block,
    scope: &dyn Scope,
    diags: &mut Diagnostics,
) -> Option<Evaluated> {
    let site = Site::of(cfg, b);
    let args = eval_map(&b.args, scope, &site, None, diags);
    let clone = b
        .clone
        .as_ref()
        .map(|c| eval_map(c, scope, &site, Some("clone"), diags));
    let failed = args.is_none() || matches!(clone, Some(None));
    let (Value::Map(mut args), var_sensitive) = args? else {
        return None;
    };
    // Problems of values derived from sensitive inputs never show them.
    let cloning = b.clone.is_some();
    for prob in schema::check_masked(b.schema, &mut args, cloning, &var_sensitive) {
        site.problem(diags, None, prob);
    }
    let mut clone = match clone.flatten() {
        Some((Value::Map(m), sensitive)) => Some((m, sensitive)),
        _ => None,
    };
    if let (Some((c, sensitive)), Some(cattrs)) = (clone.as_mut(), b.schema.clone) {
        for prob in schema::check_attrs(cattrs, c, true, sensitive) {
            site.problem(diags, Some("clone"), prob);
        }
    }
    if failed {
        return None;
    }
    Some(Evaluated {
        args,
        clone: clone.map(|(c, _)| c),
        var_sensitive,
    })
}

/// Evaluate one output (used by plan and apply once objects are known): its value, and
/// whether it derives from a sensitive value.
pub fn eval_output(e: &Expr, scope: &dyn Scope) -> Result<(Value, bool), String> {
    let ev = eval(e, scope)?;
    Ok((ev.value, !ev.sensitive.is_empty()))
}
