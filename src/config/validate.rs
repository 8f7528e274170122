//! Semantic validation of a loaded config: references, providers, locals, arguments against
//! the resource schemas (types, required, computed, documented value rules), meta-arguments,
//! and dependency cycles (through locals too). Every problem becomes a diagnostic; nothing
//! stops at the first, and a local that fails is reported once, at the local, not again at
//! everything that uses it.
//! Argument values are checked by the evaluator (`config::evaluate`), the same function plan
//! and apply call.

use super::eval::{eval_args, ObjectView, Scope};
use super::evaluate::Site;
use super::expr::{Ref, Target};
use super::instances::{Each, Expansion, InstanceScope};
use super::locals::{LocalValues, Node};
use super::vars::{VarValue, Vars};
use super::{Block, Config};
use crate::address::Address;
use crate::diag::{Diagnostic, Diagnostics};
use crate::graph::cycle_text;
use crate::schema::{self, suggest};
use crate::value::{PathSeg, Value};
use std::collections::BTreeSet;

/// A scope where every declared object is unknown: validation does not call any cloud.
/// A repeated block is evaluated once, in an `InstanceScope` over it whose key is not known.
/// Locals are evaluated in it like blocks (unknown where they use objects or unset
/// variables).
pub(super) struct ValidateScope<'a> {
    cfg: &'a Config,
    vars: &'a Vars,
    locals: LocalValues,
}

impl<'a> ValidateScope<'a> {
    pub(super) fn new(cfg: &'a Config, vars: &'a Vars) -> ValidateScope<'a> {
        ValidateScope {
            cfg,
            vars,
            locals: LocalValues::new(cfg),
        }
    }
}

impl Scope for ValidateScope<'_> {
    fn var(&self, name: &str) -> Option<&VarValue> {
        self.vars.get(name)
    }
    fn object(&self, addr: &Address) -> Option<ObjectView<'_>> {
        self.cfg
            .resources
            .get(addr)
            .map(|_| ObjectView::borrowed(&Value::Unknown, &[]))
    }
    fn local(&self, name: &str) -> Option<Result<ObjectView<'_>, String>> {
        self.locals.get(name, self)
    }

    fn dir(&self) -> &std::path::Path {
        super::stack_dir(&self.cfg.dir)
    }
}

/// How deep validation goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// Everything, argument values included (`strata validate`).
    Full,
    /// Everything but argument values, which the planner evaluates and checks anyway
    /// (`plan`, `apply`): the same problems are found, without evaluating every block twice.
    Structure,
}

pub fn validate(cfg: &Config, vars: &Vars, depth: Depth) -> Diagnostics {
    let mut diags = Diagnostics::default();
    let scope = ValidateScope {
        cfg,
        vars,
        locals: LocalValues::new(cfg),
    };
    check_providers(cfg, &scope, &mut diags);
    let broken = check_locals(cfg, &mut diags);
    let graph = cfg.dependency_graph();
    let cycle = graph.find_cycle();
    // Locals are evaluated with the blocks; after a cycle, neither they nor what uses them
    // (the cycle is the error to fix first).
    let failed = match (depth, &cycle) {
        (Depth::Full, None) => eval_locals(cfg, &scope, &graph, broken, &mut diags),
        (_, Some(_)) => cfg.locals.keys().cloned().collect(),
        (Depth::Structure, None) => broken,
    };
    for block in cfg.resources.values() {
        check_block(cfg, block, &scope, depth, &failed, &mut diags);
        check_block_provider(cfg, block, &mut diags);
    }
    for out in cfg.outputs.values() {
        check_output(cfg, out, &scope, depth, &mut diags);
    }
    if let Some(cycle) = cycle {
        diags.push(cycle_diagnostic(cfg, &cycle));
    }
    diags
}

/// A block's `provider:` names a configuration of its own family that the config has.
fn check_block_provider(cfg: &Config, b: &Block, diags: &mut Diagnostics) {
    let Some(p) = &b.provider else {
        return;
    };
    let family = b.addr.provider();
    let msg = match p.split_once('.') {
        _ if cfg.providers.contains_key(p) && p.split('.').next() == Some(family) => return,
        None if p == family => return, // the default configuration, written out
        Some((f, _)) if f != family => format!(
            "provider \"{p}\" is a configuration of {f}, but {} is a {family} resource",
            b.addr
        ),
        _ => format!("provider \"{p}\" is not configured: add it under providers:"),
    };
    let names = cfg
        .providers
        .keys()
        .filter(|n| n.split('.').next() == Some(family));
    let mut at = b.yaml_path();
    at.push("provider".into());
    let mut d = Diagnostic::error(msg)
        .file(cfg.file_path(b.file))
        .at_owned(at)
        .address(b.addr.to_string())
        .attribute("provider");
    if let Some(h) = suggest(p, names.map(String::as_str)) {
        d = d.hint(h);
    }
    diags.push(d);
}

/// A dependency cycle, at its first node's place.
fn cycle_diagnostic(cfg: &Config, cycle: &[Node]) -> Diagnostic {
    let first = &cycle[0];
    let d = Diagnostic::error(format!("dependency cycle: {}", cycle_text(cycle)))
        .address(first)
        .hint("a resource or local cannot depend on itself, directly or through others: remove one reference or depends_on");
    match first {
        Node::Object(a) => match cfg.resources.get(a) {
            Some(b) => d.file(cfg.file_path(b.file)).at_owned(b.yaml_path()),
            None => d,
        },
        Node::Local(n) => match cfg.locals.get(n) {
            Some(l) => d.file(cfg.file_path(l.file)).at_owned(l.yaml_path()),
            None => d,
        },
    }
}

/// Every reference a local makes must point at something. Returns the locals with a
/// broken reference.
fn check_locals(cfg: &Config, diags: &mut Diagnostics) -> BTreeSet<String> {
    let mut broken = BTreeSet::new();
    for l in cfg.locals.values() {
        for r in l.value.refs() {
            if let Some((msg, hint)) = check_ref(cfg, r) {
                broken.insert(l.name.clone());
                diags.push(
                    Diagnostic::error(msg)
                        .file(cfg.file_path(l.file))
                        .at_owned(l.yaml_path())
                        .address(l.address())
                        .hint_opt(hint),
                );
            }
        }
    }
    broken
}

/// Evaluate every local, those it uses first; one that fails is reported at the local.
/// Returns the locals that failed, or use one that did (those are not reported again).
fn eval_locals(
    cfg: &Config,
    scope: &ValidateScope,
    graph: &crate::graph::Graph<Node>,
    mut failed: BTreeSet<String>,
    diags: &mut Diagnostics,
) -> BTreeSet<String> {
    let order = graph.topo().unwrap_or_default();
    for name in order.iter().filter_map(|n| match n {
        Node::Local(name) => Some(name),
        Node::Object(_) => None,
    }) {
        let Some(l) = cfg.locals.get(name) else {
            continue;
        };
        if failed.contains(name) || l.locals.iter().any(|u| failed.contains(u)) {
            failed.insert(name.clone());
            continue;
        }
        if let Some(Err(msg)) = scope.local(name) {
            failed.insert(name.clone());
            diags.push(local_error(cfg, l, msg));
        }
    }
    failed
}

/// A local's own expression failed.
pub fn local_error(cfg: &Config, l: &super::Local, msg: String) -> Diagnostic {
    Diagnostic::error(msg)
        .file(cfg.file_path(l.file))
        .at_owned(l.yaml_path())
        .address(l.address())
}

/// An output's references, and (validating fully) its value: an expression that fails even
/// with every object unknown (`${1 / 0}`, a wrong argument) is reported now, not when planning.
fn check_output(
    cfg: &Config,
    out: &super::Output,
    scope: &ValidateScope,
    depth: Depth,
    diags: &mut Diagnostics,
) {
    let file = cfg.file_path(out.file);
    let at = vec!["outputs".to_string(), out.name.clone()];
    let problem = |msg: String| {
        Diagnostic::error(msg)
            .file(&file)
            .at_owned(at.clone())
            .attribute(format!("outputs.{}", out.name))
    };
    let mut refs_ok = true;
    for r in out.value.refs() {
        if let Some(msg) = check_ref(cfg, r) {
            diags.push(problem(msg.0).hint_opt(msg.1));
            refs_ok = false;
        }
    }
    if depth == Depth::Full && refs_ok {
        if let Err(msg) = super::eval::eval(&out.value, scope) {
            diags.push(problem(msg));
        }
    }
}

pub use super::load::stack_name;

trait HintOpt {
    fn hint_opt(self, h: Option<String>) -> Self;
}
impl HintOpt for Diagnostic {
    fn hint_opt(self, h: Option<String>) -> Self {
        match h {
            Some(h) => self.hint(h),
            None => self,
        }
    }
}

/// A `${module.NAME…}` that names no call, or — a name with a module path — a variable,
/// local or call a module refers to but does not declare.
fn module_ref(cfg: &Config, r: &Ref, name: &str) -> Option<(String, Option<String>)> {
    if name.contains(['.', '[']) {
        let what = r
            .text
            .trim_start_matches("${")
            .split('.')
            .next()
            .unwrap_or_default();
        let kind = match what {
            "var" => "variable",
            "local" => "local",
            _ => "module call",
        };
        return Some((
            format!(
                "{}: no {kind} of that name is declared in this module",
                r.text
            ),
            None,
        ));
    }
    Some((
        format!("{}: no module named \"{name}\" is called", r.text),
        suggest(name, cfg.modules.keys().map(String::as_str)).or_else(|| {
            Some(format!(
                "call it: modules: {{ {name}: {{ source: ./path }} }}"
            ))
        }),
    ))
}

/// `Some((message, hint))` when a reference points at nothing.
fn check_ref(cfg: &Config, r: &Ref) -> Option<(String, Option<String>)> {
    match &r.target {
        Target::Var(name) => {
            if cfg.variables.contains_key(name) {
                return None;
            }
            Some((
                format!("{}: no variable named \"{name}\" is declared", r.text),
                suggest(name, cfg.variables.keys().map(String::as_str)).or_else(|| {
                    Some(format!(
                        "declare it: variables: {{ {name}: {{ default: … }} }}"
                    ))
                }),
            ))
        }
        Target::Instance(_) => None, // the evaluator says where each / count may be used
        Target::Local(name) => {
            if cfg.locals.contains_key(name) {
                return None;
            }
            if let Some(m) = name.strip_prefix("module.") {
                return module_ref(cfg, r, m);
            }
            Some((
                format!("{}: no local named \"{name}\" is declared", r.text),
                suggest(name, cfg.locals.keys().map(String::as_str))
                    .or_else(|| Some(format!("declare it: locals: {{ {name}: … }}"))),
            ))
        }
        Target::Object(addr) => {
            let Some(target) = cfg.resources.get(addr) else {
                let names: Vec<String> = cfg.resources.keys().map(|a| a.to_string()).collect();
                let kind = if addr.is_data() {
                    "data source"
                } else {
                    "resource"
                };
                return Some((
                    format!("{}: no {kind} {addr} is declared", r.text),
                    suggest(&addr.to_string(), names.iter().map(String::as_str)),
                ));
            };
            // an instance is chosen first (`T.N["key"].id`, `T.N[0].id`)
            let skip = usize::from(target.repeat.is_some());
            let Some(PathSeg::Key(attr)) = r.path.get(skip) else {
                return None;
            };
            if target.schema.attr(attr).is_some() {
                return None;
            }
            Some((
                format!("{}: {} has no attribute \"{attr}\"", r.text, addr.ty),
                suggest(attr, target.schema.attrs.iter().map(|a| a.name)).or_else(|| {
                    Some(format!(
                        "attributes: {}",
                        target
                            .schema
                            .attrs
                            .iter()
                            .map(|a| a.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                }),
            ))
        }
    }
}

/// A provider block may use variables, and locals made of them only.
fn check_provider_refs(
    cfg: &Config,
    p: &super::ProviderBlock,
    file: &std::path::Path,
    base: &[String],
    diags: &mut Diagnostics,
) {
    for e in p.args.values() {
        for r in e.refs() {
            let objects = match &r.target {
                Target::Object(_) => true,
                Target::Local(n) => cfg.locals.get(n).is_some_and(|l| !l.objects.is_empty()),
                Target::Var(_) | Target::Instance(_) => false,
            };
            if objects {
                diags.push(
                    Diagnostic::error(format!(
                        "{}: provider settings may use variables (and locals made of them) only, not resources",
                        r.text
                    ))
                    .file(file)
                    .at_owned(base.to_vec()),
                );
            } else if let Some((msg, hint)) = check_ref(cfg, r) {
                diags.push(
                    Diagnostic::error(msg)
                        .file(file)
                        .at_owned(base.to_vec())
                        .hint_opt(hint),
                );
            }
        }
    }
}

fn check_providers(cfg: &Config, scope: &ValidateScope, diags: &mut Diagnostics) {
    for p in cfg.providers.values() {
        let file = cfg.file_path(p.file);
        let base = vec!["providers".to_string(), p.name.clone()];
        let family = p.name.split('.').next().unwrap_or_default();
        let Some(schema) = schema::providers::provider(family) else {
            continue;
        };
        check_provider_refs(cfg, p, &file, &base, diags);
        if let Ok(ev) = eval_args(&p.args, scope) {
            let Value::Map(mut m) = ev.value else {
                continue;
            };
            let site = Site {
                file: file.clone(),
                base: base.clone(),
                addr: format!("providers.{}", p.name),
            };
            for prob in schema::providers::check(schema, &mut m, &ev.sensitive) {
                site.problem(diags, None, prob);
            }
        }
    }
    // Every family a resource uses must be configured when its provider needs settings.
    let mut reported = std::collections::BTreeSet::new();
    for b in cfg.resources.values() {
        let fam = b.addr.provider();
        // a block on an alias is checked by `check_block_provider`
        if b.provider.is_some()
            || cfg.providers.contains_key(fam)
            || !reported.insert(fam.to_string())
        {
            continue;
        }
        if let Some(ps) = schema::providers::provider(fam) {
            let required: Vec<&str> = ps
                .attrs
                .iter()
                .filter(|a| a.mode == schema::Mode::Required)
                .map(|a| a.name)
                .collect();
            if !required.is_empty() {
                diags.push(
                    Diagnostic::error(format!(
                        "provider \"{fam}\" is not configured (needed by {})",
                        b.addr
                    ))
                    .file(cfg.file_path(b.file))
                    .at_owned(b.yaml_path())
                    .address(&b.addr)
                    .hint(format!(
                        "add providers: {{ {fam}: {{ {} }} }}",
                        required
                            .iter()
                            .map(|r| format!("{r}: …"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                );
            }
        }
    }
}

fn check_block(
    cfg: &Config,
    b: &Block,
    scope: &ValidateScope,
    depth: Depth,
    failed_locals: &BTreeSet<String>,
    diags: &mut Diagnostics,
) {
    let file = cfg.file_path(b.file);
    let base = b.yaml_path();
    let addr = b.addr.to_string();
    let broken_refs = check_block_refs(cfg, b, diags);
    for (i, dep) in b.depends_on.iter().enumerate() {
        if !cfg.resources.contains_key(dep) {
            let names: Vec<String> = cfg.resources.keys().map(|a| a.to_string()).collect();
            let mut at = base.clone();
            at.extend(["depends_on".to_string(), i.to_string()]);
            diags.push(
                Diagnostic::error(format!("{dep} is not declared"))
                    .file(&file)
                    .at_owned(at)
                    .address(&addr)
                    .attribute("depends_on")
                    .hint_opt(suggest(&dep.to_string(), names.iter().map(String::as_str))),
            );
        }
    }
    for ig in &b.lifecycle.ignore_changes {
        if ig != "all" && b.schema.attr(ig).is_none_or(|a| !a.settable()) {
            let mut at = base.clone();
            at.extend(["lifecycle".to_string(), "ignore_changes".to_string()]);
            diags.push(
                Diagnostic::error(format!("\"{ig}\" is not an argument of {}", b.addr.ty))
                    .file(&file)
                    .at_owned(at)
                    .address(&addr)
                    .attribute("lifecycle.ignore_changes")
                    .hint_opt(suggest(
                        ig,
                        b.schema
                            .attrs
                            .iter()
                            .filter(|a| a.settable())
                            .map(|a| a.name),
                    )),
            );
        }
    }
    let uses_failed = || {
        super::locals::block_locals(b)
            .iter()
            .any(|l| failed_locals.contains(l))
    };
    if broken_refs || depth == Depth::Structure || uses_failed() {
        return; // evaluating would only repeat the same errors, or the planner will
    }
    evaluate_once(cfg, b, scope, diags);
}

/// Every reference of a block's arguments, clone and count / for_each: an error for each that
/// points at nothing; whether there was one.
fn check_block_refs(cfg: &Config, b: &Block, diags: &mut Diagnostics) -> bool {
    let file = cfg.file_path(b.file);
    let base = b.yaml_path();
    let addr = b.addr.to_string();
    let all_exprs = b
        .args
        .iter()
        .map(|(k, e)| (k.clone(), e))
        .chain(
            b.clone
                .iter()
                .flat_map(|c| c.iter().map(|(k, e)| (format!("clone.{k}"), e))),
        )
        .chain(b.repeat.iter().map(|r| (r.key().to_string(), r.expr())));
    let mut broken_refs = false;
    for (name, e) in all_exprs {
        for r in e.refs() {
            if let Some((msg, hint)) = check_ref(cfg, r) {
                broken_refs = true;
                let mut at = base.clone();
                at.extend(name.split('.').map(String::from));
                diags.push(
                    Diagnostic::error(msg)
                        .file(&file)
                        .at_owned(at)
                        .address(&addr)
                        .attribute(name.clone())
                        .hint_opt(hint),
                );
            }
        }
    }
    broken_refs
}

/// Evaluate a block (a repeated one once, for an instance whose key is not known).
fn evaluate_once(cfg: &Config, b: &Block, scope: &ValidateScope, diags: &mut Diagnostics) {
    let kind = match super::instances::expand(cfg, b, scope) {
        Err(d) => return diags.push(*d),
        Ok(Expansion::Single) => None,
        Ok(Expansion::Instances(kind, _) | Expansion::Deferred(kind)) => Some(kind),
    };
    match kind {
        Some(kind) => {
            let each = Each::unknown(kind);
            let scope = InstanceScope {
                inner: scope,
                each: &each,
            };
            super::evaluate::evaluate(cfg, b, &scope, diags)
        }
        None => super::evaluate::evaluate(cfg, b, scope, diags),
    };
}
