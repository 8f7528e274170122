//! The planner: walks the config graph in dependency order, evaluates each block against the
//! scope of what is known so far, and diffs it with the (refreshed) state, driven entirely by
//! the resource schemas (force-new, computed, volatile, sensitive). Data sources are read
//! here when their arguments are known; outputs are evaluated last.

use super::scope::PlanScope;
use super::sensitive;
use super::{Action, Change, Drift, Options, OutputChange, Plan, Reason};
use crate::address::Address;
use crate::config::evaluate::{eval_output, evaluate, Evaluated};
use crate::config::vars::Vars;
use crate::config::{Block, Config};
use crate::diag::{Diagnostic, Diagnostics};
use crate::graph::cycle_text;
use crate::providers::{CallCx, NoProgress, Providers};
use crate::schema::{Mode, Schema, Verb};
use crate::state::{Made, State};
use crate::value::{key, path_string, Map, Path, Value};
use petgraph::Direction;
use std::collections::{BTreeSet, HashSet};

/// Inputs of a plan besides config and state.
pub struct PlanInput<'a> {
    pub cfg: &'a Config,
    pub vars: &'a Vars,
    pub state: &'a State,
    /// Reads data sources when given; without, every data read is deferred to apply.
    pub providers: Option<&'a Providers>,
    pub options: &'a Options,
    pub drift: Vec<Drift>,
    pub reconciled: Vec<String>,
}

/// Empty values (`null`, `""`, `{}`, `[]`) are one and the same "unset".
pub fn equivalent(a: Option<&Value>, b: Option<&Value>) -> bool {
    fn empty(v: Option<&Value>) -> bool {
        match v {
            None | Some(Value::Null) => true,
            Some(Value::String(s)) => s.is_empty(),
            Some(Value::Map(m)) => m.is_empty(),
            Some(Value::List(l)) => l.is_empty(),
            _ => false,
        }
    }
    if empty(a) && empty(b) {
        return true;
    }
    a == b
}

/// The planned attributes of a block: arguments as configured, computed ones from `prior`
/// (or unknown), arguments left to the cloud likewise.
fn planned(schema: &Schema, args: &Map, prior: Option<&Map>, cloning: bool) -> Map {
    let mut out = Map::new();
    for a in schema.attrs {
        let given = args.get(a.name).filter(|v| !v.is_null());
        let v = match (given, a.mode) {
            (Some(v), _) => v.clone(),
            (None, Mode::Computed | Mode::OptionalComputed) => prior
                .and_then(|p| p.get(a.name).cloned())
                .unwrap_or(Value::Unknown),
            (None, Mode::RequiredForCreate) if cloning => prior
                .and_then(|p| p.get(a.name).cloned())
                .unwrap_or(Value::Unknown),
            (None, _) => continue,
        };
        out.insert(a.name.to_string(), v);
    }
    out
}

fn clone_changed(config: Option<&Value>, made: &Made) -> bool {
    match (config, made) {
        (None, Made::Cloned { .. }) => true,
        (Some(_), Made::Created) => true,
        (Some(c), Made::Cloned { from }) => {
            let Some(c) = c.as_map() else { return true };
            c.iter()
                .any(|(k, v)| v.has_unknown() || !equivalent(Some(v), from.get(k)))
        }
        _ => false,
    }
}

/// Every address some block or output refers to.
fn referenced(cfg: &Config) -> HashSet<Address> {
    cfg.resources
        .values()
        .flat_map(|b| b.deps.iter())
        .chain(cfg.output_refs())
        .cloned()
        .collect()
}

/// How a clone source is named in a plan: the reference as written, or the literal id.
fn clone_label(b: &Block, evaluated: Option<&Value>) -> Option<String> {
    let src = b.clone.as_ref()?.get("source")?;
    if let Some(v) = evaluated.and_then(|c| c.get("source")) {
        if let Some(t) = v.scalar_text() {
            if !v.has_unknown() {
                return Some(t);
            }
        }
    }
    src.refs().first().map(|r| match &r.target {
        crate::config::expr::Target::Object(a) => a.to_string(),
        crate::config::expr::Target::Var(v) => format!("var.{v}"),
    })
}

struct Planner<'a> {
    input: &'a PlanInput<'a>,
    objects: PlanScope<'a>,
    /// Objects some block or output refers to: only these need planned values in scope.
    referenced: HashSet<Address>,
    changes: Vec<Change>,
    diags: Diagnostics,
    fkey: Vec<u8>,
}

pub async fn plan(input: &PlanInput<'_>) -> Result<Plan, Diagnostics> {
    let cfg = input.cfg;
    let state = input.state;
    let opts = input.options;
    let mut p = Planner {
        input,
        objects: PlanScope::new(input.vars.clone(), state),
        referenced: referenced(cfg),
        changes: Vec::new(),
        diags: Diagnostics::default(),
        fkey: state.fingerprint_key(),
    };
    let graph = cfg.dependency_graph();
    let order = match graph.topo() {
        Ok(o) => o,
        Err(cycle) => {
            let mut d = Diagnostics::default();
            d.push(Diagnostic::error(format!(
                "dependency cycle: {}",
                cycle_text(&cycle)
            )));
            return Err(d);
        }
    };
    // Objects known from state are in scope from the start (through the state itself).
    let targets: Option<HashSet<Address>> = if opts.targets.is_empty() {
        None
    } else if opts.destroy {
        let mut set: HashSet<Address> = opts.targets.iter().cloned().collect();
        set.extend(graph.closure(&opts.targets, Direction::Outgoing));
        for (a, r) in &state.resources {
            if r.dependencies.iter().any(|d| set.contains(d)) {
                set.insert(a.clone());
            }
        }
        Some(set)
    } else {
        let mut set: HashSet<Address> = opts.targets.iter().cloned().collect();
        set.extend(graph.closure(&opts.targets, Direction::Incoming));
        Some(set)
    };
    let included = |a: &Address| targets.as_ref().is_none_or(|t| t.contains(a));

    if opts.destroy {
        for (addr, r) in &state.resources {
            if addr.is_data() || !included(addr) {
                continue;
            }
            p.changes.push(delete_change(addr, r, None));
        }
    } else {
        for addr in &order {
            let block = &cfg.resources[addr];
            if !included(addr) {
                if !state.resources.contains_key(addr) {
                    p.objects.planned.set(addr.clone(), Value::Unknown, vec![]);
                }
                continue;
            }
            if addr.is_data() {
                p.plan_data(block).await;
            } else {
                p.plan_managed(block);
            }
        }
        for (addr, r) in &state.resources {
            if addr.is_data() || cfg.resources.contains_key(addr) || !included(addr) {
                continue;
            }
            p.changes.push(delete_change(
                addr,
                r,
                Some(Reason::DeleteBecauseNoResourceConfig),
            ));
        }
    }
    for d in &state.deposed {
        if included(&d.addr) {
            let mut c = delete_change(&d.addr, &d.resource, None);
            c.deposed = Some(d.resource.id.clone());
            p.changes.push(c);
        }
    }
    let mut conflicts = p.check_prevent_destroy();
    cfg.resolve_lines(&mut conflicts);
    let outputs = p.plan_outputs();
    if p.diags.has_errors() {
        cfg.resolve_lines(&mut p.diags);
        return Err(p.diags);
    }
    let mut changes = p.changes;
    changes.sort_by(|a, b| (&a.addr, &a.deposed).cmp(&(&b.addr, &b.deposed)));
    Ok(Plan {
        stack: cfg.stack.clone(),
        lineage: state.lineage.clone(),
        serial: state.serial,
        changes,
        outputs,
        drift: input.drift.clone(),
        reconciled: input.reconciled.clone(),
        options: opts.clone(),
        conflicts: conflicts
            .0
            .into_iter()
            .map(|d| super::Conflict {
                addr: d
                    .address
                    .as_deref()
                    .and_then(|a| Address::parse(a).ok())
                    .unwrap_or_else(|| Address::managed("unknown", "unknown")),
                message: d.to_string(),
            })
            .collect(),
    })
}

fn delete_change(
    addr: &Address,
    r: &crate::state::ResourceState,
    reason: Option<Reason>,
) -> Change {
    Change {
        reason,
        before: Some(r.attributes.clone()),
        before_sensitive: r
            .sensitive
            .keys()
            .filter_map(|k| crate::value::parse_path(k))
            .collect(),
        depends_on: r.dependencies.clone(),
        prior_id: Some(r.id.clone()),
        ..Change::new(addr.clone(), Action::Delete)
    }
}

impl Planner<'_> {
    fn eval_block(&mut self, b: &Block) -> Option<Evaluated> {
        evaluate(self.input.cfg, b, &self.objects, &mut self.diags)
    }

    fn plan_managed(&mut self, b: &Block) {
        let addr = &b.addr;
        let Some(ev) = self.eval_block(b) else {
            self.objects
                .planned
                .set(addr.clone(), Value::Unknown, vec![]);
            return;
        };
        let schema = b.schema;
        let sens_paths = ev.sensitive_paths(schema);
        let (mut args, clone) = (ev.args, ev.clone);
        schema.apply_defaults(&mut args);
        let cloning = clone.is_some();
        let clone_v = clone.map(Value::Map);
        let deps = b.dependencies();
        let new_action = match (schema.verb, cloning) {
            (Verb::Bind, _) => Action::Bind,
            (Verb::Create, true) => Action::Clone,
            (Verb::Create, false) => Action::Create,
        };
        let prior = self.input.state.resources.get(addr);
        // Only a new object (or a replacement) is planned from scratch.
        let fresh = || planned(schema, &args, None, cloning);
        let mut change = Change {
            after_sensitive: sens_paths.clone(),
            depends_on: deps,
            create_before_destroy: b.lifecycle.create_before_destroy,
            clone: clone_v.clone(),
            clone_label: clone_label(b, clone_v.as_ref()),
            ..Change::new(addr.clone(), new_action)
        };
        let mut after = if prior.is_none() { fresh() } else { Map::new() };
        if let Some(prior) = prior {
            let prior_map = prior.attributes.as_map().cloned().unwrap_or_default();
            change.before = Some(prior.attributes.clone());
            change.prior_id = Some(prior.id.clone());
            if let Made::Cloned { from } = &prior.made {
                change.prior_clone = Some(from.clone());
            }
            change.before_sensitive = prior
                .sensitive
                .keys()
                .filter_map(|k| crate::value::parse_path(k))
                .collect();
            let mut kept = planned(schema, &args, Some(&prior_map), cloning);
            let ignore_all = b.lifecycle.ignore_changes.iter().any(|i| i == "all");
            for a in schema.attrs.iter().filter(|a| a.settable()) {
                if ignore_all || b.lifecycle.ignore_changes.iter().any(|i| i == a.name) {
                    match prior_map.get(a.name) {
                        Some(v) => kept.insert(a.name.to_string(), v.clone()),
                        None => kept.remove(a.name),
                    };
                }
            }
            // Compare with secrets masked, then compare the secrets' fingerprints.
            let mut masked = Value::Map(kept.clone());
            let fps = sensitive::mask(&mut masked, &sens_paths, &self.fkey);
            let masked = masked.as_map().cloned().unwrap_or_default();
            let mut changed: BTreeSet<String> = schema
                .attrs
                .iter()
                .filter(|a| a.settable())
                .filter(|a| {
                    let v = masked.get(a.name);
                    v.is_some_and(Value::has_unknown) || !equivalent(v, prior_map.get(a.name))
                })
                .map(|a| a.name.to_string())
                .collect();
            for p in sensitive::changed(&fps, &prior.sensitive) {
                let top = p.split(['.', '[']).next().unwrap_or(&p).to_string();
                let ignored = ignore_all || b.lifecycle.ignore_changes.contains(&top);
                if !ignored {
                    changed.insert(top);
                    if let Some(path) = crate::value::parse_path(&p) {
                        change.sensitive_changed.push(path);
                    }
                }
            }
            let clone_moved = !ignore_all && clone_changed(clone_v.as_ref(), &prior.made);
            let mut force: Vec<Path> = changed
                .iter()
                .filter(|n| schema.attr(n).is_some_and(|a| a.force_new))
                .map(|n| vec![key(n)])
                .collect();
            if clone_moved {
                force.push(vec![key("clone")]);
            }
            if self.input.options.replace.contains(addr) {
                change.action = Action::Replace;
                change.reason = Some(Reason::ReplaceByRequest);
            } else if prior.tainted {
                change.action = Action::Replace;
                change.reason = Some(Reason::ReplaceBecauseTainted);
            } else if !force.is_empty() {
                change.action = Action::Replace;
                change.reason = Some(Reason::ReplaceBecauseCannotUpdate);
                change.replace_paths = force;
            } else if !changed.is_empty() {
                if schema.updatable {
                    change.action = Action::Update;
                } else {
                    change.action = Action::Replace;
                    change.reason = Some(Reason::ReplaceBecauseCannotUpdate);
                    change.replace_paths = changed.iter().map(|n| vec![key(n)]).collect();
                }
            } else {
                change.action = Action::NoOp;
            }
            after = match change.action {
                Action::Replace => fresh(),
                Action::Update => {
                    let mut k = kept;
                    for a in schema.attrs.iter().filter(|a| a.volatile) {
                        k.insert(a.name.to_string(), Value::Unknown);
                    }
                    k
                }
                _ => kept,
            };
        }
        if change.action == Action::NoOp {
            // Unchanged: references read the state (the plan keeps `before` only), except
            // where the state holds masked secrets that references need in memory.
            if !sens_paths.is_empty() {
                self.objects
                    .planned
                    .set(addr.clone(), Value::Map(after), sens_paths.clone());
            }
            self.changes.push(change);
            return;
        }
        let mut after_v = Value::Map(after);
        if self.referenced.contains(addr) {
            self.objects
                .planned
                .set(addr.clone(), after_v.clone(), sens_paths.clone());
        }
        sensitive::mask(&mut after_v, &sens_paths, &self.fkey);
        change.after = Some(after_v);
        self.changes.push(change);
    }

    async fn plan_data(&mut self, b: &Block) {
        let addr = &b.addr;
        let Some(Evaluated {
            args,
            var_sensitive: sens,
            ..
        }) = self.eval_block(b)
        else {
            self.objects
                .planned
                .set(addr.clone(), Value::Unknown, vec![]);
            return;
        };
        let pending_dep = b.deps.iter().any(|d| {
            self.changes
                .iter()
                .any(|c| &c.addr == d && c.action.is_change())
        });
        let unknown = args.values().any(Value::has_unknown);
        let mut change = Change {
            after_sensitive: sens.clone(),
            depends_on: b.dependencies(),
            ..Change::new(addr.clone(), Action::Read)
        };
        let deferred = match (self.input.providers, unknown, pending_dep) {
            (_, true, _) => Some(Reason::ReadBecauseConfigUnknown),
            (_, _, true) => Some(Reason::ReadBecauseDependencyPending),
            (None, _, _) => Some(Reason::ReadBecauseConfigUnknown),
            _ => None,
        };
        if let Some(reason) = deferred {
            let after = planned(b.schema, &args, None, false);
            change.reason = Some(reason);
            change.after = Some(Value::Map(after.clone()));
            self.objects
                .planned
                .set(addr.clone(), Value::Map(after), sens);
            self.changes.push(change);
            return;
        }
        let providers = self.input.providers.expect("checked above");
        let read = match providers.data(&addr.ty) {
            Ok(d) => {
                let cx = CallCx {
                    addr,
                    timeout: b.timeout(crate::verb::Verb::Read),
                    progress: &NoProgress,
                };
                d.read(&cx, &args).await.map_err(|e| e.to_string())
            }
            Err(e) => Err(e),
        };
        match read {
            Ok(mut attrs) => {
                for (k, v) in &args {
                    attrs.entry(k.clone()).or_insert_with(|| v.clone());
                }
                change.after = Some(Value::Map(attrs.clone()));
                self.objects
                    .planned
                    .set(addr.clone(), Value::Map(attrs), sens);
                self.changes.push(change);
            }
            Err(e) => {
                self.diags.push(
                    Diagnostic::error(format!("reading the data source failed: {e}"))
                        .file(self.input.cfg.file_path(b.file))
                        .at_owned(b.yaml_path())
                        .address(addr),
                );
                self.objects
                    .planned
                    .set(addr.clone(), Value::Unknown, vec![]);
            }
        }
    }

    /// Deletions and replacements of resources with `lifecycle.prevent_destroy`.
    fn check_prevent_destroy(&self) -> Diagnostics {
        let mut out = Diagnostics::default();
        for c in &self.changes {
            if !matches!(c.action, Action::Delete | Action::Replace) {
                continue;
            }
            let Some(b) = self.input.cfg.resources.get(&c.addr) else {
                continue;
            };
            if !b.lifecycle.prevent_destroy {
                continue;
            }
            let what = if c.action == Action::Delete {
                "destroy".to_string()
            } else {
                let why = if c.replace_paths.is_empty() {
                    String::new()
                } else {
                    format!(
                        " (because {} cannot change in place)",
                        c.replace_paths
                            .iter()
                            .map(|p| path_string(p))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                format!("replace{why}")
            };
            let mut at = b.yaml_path();
            at.extend(["lifecycle".to_string(), "prevent_destroy".to_string()]);
            out.push(
                Diagnostic::error(format!(
                    "the plan would {what} this resource, but lifecycle.prevent_destroy is set"
                ))
                .file(self.input.cfg.file_path(b.file))
                .at_owned(at)
                .address(&c.addr)
                .attribute("lifecycle.prevent_destroy")
                .hint("if destroying it is really intended, remove prevent_destroy first; otherwise change the config so the plan keeps it"),
            );
        }
        out
    }

    fn plan_outputs(&mut self) -> Vec<OutputChange> {
        let cfg = self.input.cfg;
        let state = self.input.state;
        let mut out = Vec::new();
        if !self.input.options.destroy {
            for o in cfg.outputs.values() {
                let (after, sens) = match eval_output(&o.value, &self.objects) {
                    Ok(v) => v,
                    Err(e) => {
                        self.diags.push(
                            Diagnostic::error(e)
                                .file(cfg.file_path(o.file))
                                .at_owned(vec!["outputs".into(), o.name.clone()])
                                .attribute(format!("outputs.{}", o.name)),
                        );
                        continue;
                    }
                };
                let sensitive = o.sensitive || sens;
                let before = state.outputs.get(&o.name);
                let planned = crate::state::OutputState::of(state, after.clone(), sensitive);
                let action = match before {
                    None => Action::Create,
                    Some(_) if after.has_unknown() => Action::Update,
                    Some(b) if *b != planned => Action::Update,
                    Some(_) => Action::NoOp,
                };
                // A sensitive output's planned value is never kept in the plan (nor, so, in a
                // saved plan): only whether it is known yet.
                let after = match (sensitive, after.has_unknown()) {
                    (false, _) => after,
                    (true, true) => Value::Unknown,
                    (true, false) => Value::Null,
                };
                out.push(OutputChange {
                    name: o.name.clone(),
                    action,
                    before: before.map(|b| b.value.clone()),
                    after: Some(after),
                    sensitive,
                });
            }
        }
        for (name, b) in &state.outputs {
            if self.input.options.destroy || !cfg.outputs.contains_key(name) {
                out.push(OutputChange {
                    name: name.clone(),
                    action: Action::Delete,
                    before: Some(b.value.clone()),
                    after: None,
                    sensitive: b.sensitive,
                });
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empties_are_equivalent() {
        assert!(equivalent(None, Some(&Value::str(""))));
        assert!(equivalent(
            Some(&Value::Map(Map::new())),
            Some(&Value::Null)
        ));
        assert!(!equivalent(Some(&Value::str("a")), None));
    }

    #[test]
    fn clone_source_changes_force_replacement() {
        let from = Value::from_json(&serde_json::json!({"source": "a"}));
        let made = Made::Cloned { from: from.clone() };
        assert!(!clone_changed(Some(&from), &made));
        let other = Value::from_json(&serde_json::json!({"source": "b"}));
        assert!(clone_changed(Some(&other), &made));
        assert!(clone_changed(None, &made));
        assert!(clone_changed(Some(&from), &Made::Created));
        let unknown = Value::from_json(&serde_json::json!({}));
        let mut u = unknown.clone();
        u.set_at(&[key("source")], Value::Unknown);
        assert!(clone_changed(Some(&u), &made));
    }
}
