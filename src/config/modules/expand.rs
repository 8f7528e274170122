//! Inlining module calls: every instance of every call (nested ones too) becomes blocks and
//! locals of the stack itself — the module's variables, locals and outputs as locals named
//! in the instance's namespace (`rewrite::Namespace`), its blocks under
//! `module.NAME["key"].TYPE.NAME`, and `${module.NAME…}` a local holding the outputs.
//! Invariants: runs once the variables are known, before validation and planning; a call's
//! `count` / `for_each` must be known then (variables and locals only, as Terraform
//! requires); every problem names the call (file, key) or the file inside the module; a
//! sensitive variable or output stays sensitive through the module boundary.

use super::rewrite::{local_ref, with_instance, Namespace};
use super::{dir_key, ModuleCall, ModuleDef};
use crate::address::Key;
use crate::config::expr::{Call, Expr};
use crate::config::instances::{evaluate_repeat, Each, RepeatKind};
use crate::config::validate::ValidateScope;
use crate::config::vars::Vars;
use crate::config::{Block, Config, Local, Repeat};
use crate::diag::{Diagnostic, Diagnostics};
use crate::schema::suggest;
use std::collections::{BTreeMap, VecDeque};

/// The deepest module nesting accepted.
pub const MAX_DEPTH: usize = 16;

/// One call to inline: where it is written and the namespace it is written in.
struct Job {
    ns: Namespace,
    /// The directory keys of the modules it is inside, outermost first.
    chain: Vec<String>,
    /// What a provider configuration name means where the call is written: the stack's
    /// configuration (empty in the stack itself, where every name is its own).
    providers: BTreeMap<String, String>,
    call: ModuleCall,
    /// The calling module's directory key and where its files start in the stack's.
    caller: String,
    first_file: usize,
}

impl Job {
    fn file(&self) -> usize {
        self.first_file + self.call.file
    }

    fn diag(&self, cfg: &Config, key: Option<&str>, msg: String) -> Diagnostic {
        let mut at = vec!["modules".to_string(), self.call.name.clone()];
        at.extend(key.map(String::from));
        let mut d = Diagnostic::error(msg)
            .file(cfg.file_path(self.file()))
            .at_owned(at);
        if !self.ns.path.is_empty() {
            d = d.address(self.ns.text());
        }
        d
    }
}

/// Inline every module call of `cfg` (see the module's header).
pub fn expand(cfg: &mut Config, vars: &Vars, diags: &mut Diagnostics) {
    if cfg.modules.is_empty() {
        return;
    }
    let mut queue: VecDeque<Job> = cfg
        .modules
        .values()
        .map(|c| Job {
            ns: Namespace::default(),
            chain: Vec::new(),
            providers: BTreeMap::new(),
            call: c.clone(),
            caller: String::new(),
            first_file: 0,
        })
        .collect();
    while let Some(job) = queue.pop_front() {
        expand_call(cfg, vars, job, &mut queue, diags);
    }
    for b in cfg.resources.values_mut() {
        b.deps = b.compute_dependencies();
    }
    cfg.link_locals();
    cfg.graph = std::sync::OnceLock::new();
}

fn expand_call(
    cfg: &mut Config,
    vars: &Vars,
    job: Job,
    queue: &mut VecDeque<Job>,
    diags: &mut Diagnostics,
) {
    let key = dir_key(&job.caller, &job.call.source);
    let Some(def) = cfg.module_defs.get(&key).cloned() else {
        return; // reported when it was read
    };
    if job.chain.contains(&key) {
        return; // a module calling itself: reported when it was read
    }
    if job.ns.path.len() >= MAX_DEPTH {
        let msg = format!("modules nest more than {MAX_DEPTH} deep here");
        diags.push(job.diag(cfg, None, msg));
        return;
    }
    unknown_inputs(cfg, &job, &def, diags);
    let instances = match instances(cfg, vars, &job) {
        Ok(v) => v,
        Err(msg) => {
            let at = job.call.repeat.as_ref().map(Repeat::key);
            diags.push(job.diag(cfg, at, msg));
            return;
        }
    };
    let mut made: Vec<Local> = Vec::new();
    let providers = passed_providers(&job);
    for each in &instances {
        let ns = job
            .ns
            .child(&job.call.name, each.as_ref().and_then(|e| e.key.clone()));
        made.extend(inputs(cfg, vars, &job, &def, each.as_ref(), &ns, diags));
        made.extend(module_locals(&def, &ns));
        inline_blocks(cfg, &job, &def, &ns, &providers);
        for c in def.cfg.modules.values() {
            queue.push_back(Job {
                ns: ns.clone(),
                chain: [&job.chain[..], std::slice::from_ref(&key)].concat(),
                providers: providers.clone(),
                call: c.clone(),
                caller: key.clone(),
                first_file: def.first_file,
            });
        }
    }
    made.push(outputs_value(&job, &def, &instances));
    let locals = std::sync::Arc::make_mut(&mut cfg.locals);
    for l in made {
        locals.insert(l.name.clone(), l);
    }
}

/// The call's instances: one `None` for a single call, else one `Each` per key.
fn instances(cfg: &Config, vars: &Vars, job: &Job) -> Result<Vec<Option<Each>>, String> {
    let Some(repeat) = &job.call.repeat else {
        return Ok(vec![None]);
    };
    let rewritten = match repeat {
        Repeat::Count(e) => Repeat::Count(job.ns.expr(e)),
        Repeat::ForEach(e) => Repeat::ForEach(job.ns.expr(e)),
    };
    let scope = ValidateScope::new(cfg, vars);
    match evaluate_repeat(&rewritten, &scope)? {
        Some(items) => Ok(items.into_iter().map(Some).collect()),
        None => Err(format!(
            "the {} of module \"{}\" must be known before anything is applied: it may use \
             variables and locals, not attributes of objects made by this stack",
            repeat.key(),
            job.call.name
        )),
    }
}

fn unknown_inputs(cfg: &Config, job: &Job, def: &ModuleDef, diags: &mut Diagnostics) {
    let declared = || def.cfg.variables.keys().map(String::as_str);
    for name in job.call.inputs.keys() {
        if def.cfg.variables.contains_key(name) {
            continue;
        }
        let msg = format!(
            "module \"{}\" ({}) has no input variable \"{name}\"",
            job.call.name, job.call.source
        );
        let hint = suggest(name, declared()).unwrap_or_else(|| {
            let all: Vec<&str> = declared().collect();
            format!("its variables are: {}", all.join(", "))
        });
        diags.push(job.diag(cfg, Some(name), msg).hint(hint));
    }
}

/// The module's variables in `ns`: each the call's input (in the caller's terms, with the
/// call's instance), else the variable's default.
fn inputs(
    cfg: &Config,
    vars: &Vars,
    job: &Job,
    def: &ModuleDef,
    each: Option<&Each>,
    ns: &Namespace,
    diags: &mut Diagnostics,
) -> Vec<Local> {
    let mut out = Vec::new();
    for (name, var) in &def.cfg.variables {
        let given = job.call.inputs.get(name).map(|e| {
            let e = job.ns.expr(e);
            each.map_or(e.clone(), |each| with_instance(&e, each))
        });
        let Some(mut e) = given.or_else(|| var.default.clone().map(Expr::Literal)) else {
            let msg = format!(
                "module \"{}\" ({}) needs the input \"{name}\": its variable has no default",
                job.call.name, job.call.source
            );
            diags.push(
                job.diag(cfg, None, msg)
                    .hint(format!("add {name}: … to the call")),
            );
            // reported: what uses it is not also "undeclared"
            let unknown = Expr::Literal(crate::value::Value::Unknown);
            out.push(Local::new(&ns.var(name), job.file(), unknown));
            continue;
        };
        e = checked_input(cfg, vars, job, name, var, e, diags);
        if var.sensitive {
            e = sensitive(e);
        }
        out.push(Local::new(&ns.var(name), job.file(), e));
    }
    out
}

/// An input known when planning (no object's attribute in it) converted to the variable's
/// `type` and checked by its `validation` rules, as the stack's own variables are; one that
/// is not known yet is passed on as written.
fn checked_input(
    cfg: &Config,
    vars: &Vars,
    job: &Job,
    name: &str,
    var: &crate::config::Variable,
    e: Expr,
    diags: &mut Diagnostics,
) -> Expr {
    let scope = ValidateScope::new(cfg, vars);
    let Ok(ev) = crate::config::eval::eval(&e, &scope) else {
        return e; // the error is reported where the value is used
    };
    if ev.value.has_unknown() {
        return e;
    }
    let what = format!("module \"{}\" input \"{name}\"", job.call.name);
    let value = match &var.ty {
        None => ev.value,
        Some(ty) => match crate::config::vars::types::convert(&ev.value, ty, var.sensitive) {
            Ok(v) => v,
            Err(problems) => {
                let why: Vec<String> = problems.iter().map(|p| p.render(name)).collect();
                let msg = format!("{what}: {}", why.join("; "));
                diags.push(job.diag(cfg, Some(name), msg));
                // reported: what uses it does not fail again
                return Expr::Literal(crate::value::Value::Unknown);
            }
        },
    };
    let sensitive = var.sensitive || !ev.sensitive.is_empty();
    let vv = crate::config::vars::VarValue { value, sensitive };
    for rule in &var.validation {
        let dir = crate::config::stack_dir(&cfg.dir);
        let msg = match crate::config::vars::validation::run(rule, name, &vv, dir) {
            crate::config::vars::validation::Outcome::Pass => continue,
            crate::config::vars::validation::Outcome::Fail(m) => {
                format!("{what} is not valid: {m}")
            }
            crate::config::vars::validation::Outcome::Broken(m) => format!("{what}: {m}"),
        };
        diags.push(job.diag(cfg, Some(name), msg));
    }
    match sensitive {
        true => sensitive_expr(vv.value),
        false => Expr::Literal(vv.value),
    }
}

fn sensitive_expr(v: crate::value::Value) -> Expr {
    sensitive(Expr::Literal(v))
}

fn module_locals(def: &ModuleDef, ns: &Namespace) -> Vec<Local> {
    let at = |file: usize| file + def.first_file;
    let locals = def
        .cfg
        .locals
        .values()
        .map(|l| Local::new(&ns.local(&l.name), at(l.file), ns.expr(&l.value)));
    let outputs = def.cfg.outputs.values().map(|o| {
        let e = ns.expr(&o.value);
        let e = if o.sensitive { sensitive(e) } else { e };
        Local::new(&ns.output(&o.name), at(o.file), e)
    });
    locals.chain(outputs).collect()
}

/// The stack's configuration a name means where the call is written: as mapped, else (a
/// family's default configuration is inherited) the name itself.
fn resolve(map: &BTreeMap<String, String>, name: &str) -> String {
    map.get(name).cloned().unwrap_or_else(|| name.to_string())
}

/// What the names inside the called module mean: those the call's `providers:` passes, and
/// every family's default inherited from the caller.
fn passed_providers(job: &Job) -> BTreeMap<String, String> {
    let mut map: BTreeMap<String, String> = job
        .providers
        .iter()
        .filter(|(k, _)| !k.contains('.'))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (inner, outer) in &job.call.providers {
        map.insert(inner.clone(), resolve(&job.providers, outer));
    }
    map
}

fn inline_blocks(
    cfg: &mut Config,
    job: &Job,
    def: &ModuleDef,
    ns: &Namespace,
    providers: &BTreeMap<String, String>,
) {
    let call_deps: Vec<_> = job
        .call
        .depends_on
        .iter()
        .map(|a| a.in_module(&job.ns.path))
        .collect();
    for b in def.cfg.resources.values() {
        let mut nb = in_namespace(b, ns, def.first_file, &call_deps);
        let family = b.addr.provider();
        let config = resolve(providers, b.provider.as_deref().unwrap_or(family));
        nb.provider = (config != family).then_some(config);
        cfg.resources.insert(nb.addr.clone(), nb);
    }
}

fn in_namespace(
    b: &Block,
    ns: &Namespace,
    first_file: usize,
    call_deps: &[crate::address::Address],
) -> Block {
    let exprs = |m: &BTreeMap<String, Expr>| -> BTreeMap<String, Expr> {
        m.iter().map(|(k, e)| (k.clone(), ns.expr(e))).collect()
    };
    let mut nb = b.clone();
    nb.addr = b.addr.in_module(&ns.path);
    nb.file = b.file + first_file;
    nb.args = exprs(&b.args);
    nb.clone = b.clone.as_ref().map(exprs);
    nb.repeat = b.repeat.as_ref().map(|r| match r {
        Repeat::Count(e) => Repeat::Count(ns.expr(e)),
        Repeat::ForEach(e) => Repeat::ForEach(ns.expr(e)),
    });
    nb.depends_on = b
        .depends_on
        .iter()
        .map(|a| a.in_module(&ns.path))
        .chain(call_deps.iter().cloned())
        .collect();
    nb
}

/// `${module.NAME}`: an object of the outputs (a single call), a map of them by key
/// (`for_each`) or a list (`count`).
fn outputs_value(job: &Job, def: &ModuleDef, instances: &[Option<Each>]) -> Local {
    let name = &job.call.name;
    let object = |each: Option<&Each>| {
        let ns = job.ns.child(name, each.and_then(|e| e.key.clone()));
        let fields = def.cfg.outputs.keys().map(|o| {
            let text = format!("${{module.{name}.{o}}}");
            (o.clone(), local_ref(&ns.output(o), &text))
        });
        Expr::Map(fields.collect())
    };
    let value = match instances.first().and_then(|e| e.as_ref()).map(|e| e.kind) {
        None if job.call.repeat.is_none() => object(None),
        Some(RepeatKind::Count) => {
            Expr::List(instances.iter().map(|e| object(e.as_ref())).collect())
        }
        _ => Expr::Map(
            instances
                .iter()
                .flatten()
                .filter_map(|e| match &e.key {
                    Some(Key::Name(k)) => Some((k.clone(), object(Some(e)))),
                    _ => None,
                })
                .collect(),
        ),
    };
    Local::new(&job.ns.module(name), job.file(), value)
}

/// `sensitive(e)`.
pub fn sensitive(e: Expr) -> Expr {
    Expr::Call(Box::new(Call {
        name: "sensitive".into(),
        args: vec![e],
        expand: false,
    }))
}
