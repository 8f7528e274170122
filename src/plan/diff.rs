//! The planner: walks the config graph in dependency order (`crate::walk`, one node at a
//! time, so the plan is deterministic), evaluates each block — and each local, once, in the
//! same scope — against what is known so far, and diffs it with the (refreshed) state,
//! driven entirely by
//! the resource schemas (force-new, computed, volatile, sensitive). Data sources are read
//! here when their arguments are known; outputs are evaluated last.

use super::scope::PlanScope;
use super::sensitive;
use super::{Action, Change, Drift, Forced, Options, OutputChange, Plan, Reason, Repetition};
use crate::address::{Address, Key};
use crate::config::evaluate::{self, eval_output};
use crate::config::instances::{self, Each, Expansion, RepeatKind};
use crate::config::vars::Vars;
use crate::config::{Block, Config, Node};
use crate::diag::{Diagnostic, Diagnostics};
use crate::graph::{cycle_text, Graph};
use crate::providers::{CallCx, NoProgress, Providers};
use crate::schema::{Mode, Schema, Verb};
use crate::state::{Made, State};
use crate::value::{key, path_string, Map, Path, Value};
use crate::walk::{walk, NoStops};
use petgraph::Direction;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Mutex;

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

/// Every address some block, output or local refers to.
fn referenced(cfg: &Config) -> HashSet<Address> {
    cfg.resources
        .values()
        .flat_map(|b| b.deps.iter())
        .chain(cfg.output_refs())
        .chain(cfg.locals.values().flat_map(|l| l.objects.iter()))
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
        crate::config::expr::Target::Instance(i) => i.text().to_string(),
        crate::config::expr::Target::Local(l) => format!("local.{l}"),
    })
}

/// The planned attributes of an existing object: as configured, computed ones as they are,
/// ignored changes as they were.
fn kept_attributes(b: &Block, args: &Map, prior_map: &Map, cloning: bool) -> Map {
    let mut kept = planned(b.schema, args, Some(prior_map), cloning);
    let ignore_all = ignores_all(b);
    for a in b.schema.attrs.iter().filter(|a| a.settable()) {
        if ignore_all || b.lifecycle.ignore_changes.iter().any(|i| i == a.name) {
            match prior_map.get(a.name) {
                Some(v) => kept.insert(a.name.to_string(), v.clone()),
                None => kept.remove(a.name),
            };
        }
    }
    kept
}

/// What a change forces to be replaced, and why: each changed attribute whose schema says the
/// change cannot be made in place (a secret is tested without its value), and a moved clone
/// source.
fn forced(
    b: &Block,
    after: &Map,
    prior: &Map,
    changed: &BTreeSet<String>,
    clone_moved: bool,
) -> Vec<Forced> {
    let mut out: Vec<Forced> = changed
        .iter()
        .filter_map(|n| {
            let a = b.schema.attr(n)?;
            let (before, now) = if a.sensitive {
                (None, None)
            } else {
                (prior.get(n), after.get(n))
            };
            let why = a.forces_replace(before, now)?;
            Some(Forced {
                path: vec![key(n)],
                why: why.to_string(),
            })
        })
        .collect();
    if clone_moved {
        out.push(Forced {
            path: vec![key("clone")],
            why: "a clone is made from its source only when it is created".into(),
        });
    }
    out
}

fn ignores_all(b: &Block) -> bool {
    b.lifecycle.ignore_changes.iter().any(|i| i == "all")
}

/// Read a data source whose arguments are known.
async fn read_data(providers: &Providers, read: &DataRead<'_>) -> Result<Map, String> {
    let b = read.block;
    let d = providers.data(&b.addr)?;
    let cx = CallCx {
        addr: &read.addr,
        timeout: b.timeout(crate::verb::Verb::Read),
        progress: &NoProgress,
    };
    d.read(&cx, &read.args).await.map_err(|e| e.to_string())
}

/// A `prevent_destroy` diagnostic as a plan conflict.
fn conflict(d: Diagnostic) -> super::Conflict {
    super::Conflict {
        addr: d
            .address
            .as_deref()
            .and_then(|a| Address::parse(a).ok())
            .unwrap_or_else(|| Address::managed("unknown", "unknown")),
        message: d.to_string(),
    }
}

struct Planner<'a> {
    input: &'a PlanInput<'a>,
    objects: PlanScope<'a>,
    /// Objects some block or output refers to: only these need planned values in scope.
    referenced: HashSet<Address>,
    changes: Vec<Change>,
    diags: Diagnostics,
    fkey: Vec<u8>,
    /// Repeated blocks and their instances (or that they are deferred).
    repeated: BTreeMap<Address, Repetition>,
    /// Blocks planned only once something known after apply is known: a repeated block whose
    /// count / for_each is unknown, and every block that depends on a deferred one.
    deferred: BTreeSet<Address>,
    /// Locals that failed (reported once, at the local) or use one that did: what uses them
    /// is planned as unknown, without repeating the error.
    failed_locals: HashSet<String>,
}

pub async fn plan(input: &PlanInput<'_>) -> Result<Plan, Diagnostics> {
    let opts = input.options;
    let graph = input.cfg.dependency_graph();
    let selected = selection(&graph, input);
    let included = |a: &Address| selected.includes(a);
    let mut p = Planner {
        input,
        objects: PlanScope::new(input.vars.clone(), input.state).with_locals(input.cfg),
        referenced: referenced(input.cfg),
        changes: Vec::new(),
        diags: Diagnostics::default(),
        fkey: input.state.fingerprint_key(),
        repeated: BTreeMap::new(),
        deferred: BTreeSet::new(),
        failed_locals: HashSet::new(),
    };
    p.objects.planned.dir = input.cfg.dir.clone();
    if opts.refresh_only {
        p.scope_as_refreshed();
        return p.finish();
    }
    if opts.destroy {
        graph.topo().map_err(cycle_error)?;
        p.plan_destroy(&included);
    } else {
        p = p.plan_config(&graph, &included).await?;
        p.plan_orphans(&included);
    }
    p.plan_deposed(&included);
    p.finish()
}

fn cycle_error<N: std::fmt::Display>(cycle: Vec<N>) -> Diagnostics {
    let mut d = Diagnostics::default();
    d.push(Diagnostic::error(format!(
        "dependency cycle: {}",
        cycle_text(&cycle)
    )));
    d
}

/// A set of addresses `--target` or `--exclude` names, grown along the graph: whole blocks
/// (the named ones with what they need, or what needs them) and single instances.
struct Targets {
    blocks: HashSet<Address>,
    instances: HashSet<Address>,
}

impl Targets {
    /// An object, an instance, or (with no key) a block any of whose instances is selected.
    fn includes(&self, a: &Address) -> bool {
        if self.covers(a) {
            return true;
        }
        a.key.is_none() && self.instances.iter().any(|i| i.in_block(a))
    }

    /// An object or instance selected itself, or in a selected block.
    fn covers(&self, a: &Address) -> bool {
        self.blocks.contains(&a.block()) || self.instances.contains(a)
    }
}

/// What a plan covers: `--target`'s selection (`None`: everything) minus `--exclude`'s.
struct Selection {
    only: Option<Targets>,
    except: Option<Targets>,
}

impl Selection {
    fn includes(&self, a: &Address) -> bool {
        self.only.as_ref().is_none_or(|t| t.includes(a))
            && !self.except.as_ref().is_some_and(|t| t.covers(a))
    }
}

/// The addresses the plan covers.
fn selection(graph: &Graph<Node>, input: &PlanInput<'_>) -> Selection {
    let opts = input.options;
    // Targeting keeps what the targets need (destroying: what needs them); excluding
    // leaves out what needs the excluded (destroying: what they need).
    let (needs, needed) = (Direction::Incoming, Direction::Outgoing);
    let (target_dir, exclude_dir) = match opts.destroy {
        true => (needed, needs),
        false => (needs, needed),
    };
    Selection {
        only: grown(graph, input, &opts.targets, target_dir),
        except: grown(graph, input, &opts.excludes, exclude_dir),
    }
}

/// `addrs` with every block reachable from them in `direction` (by config, and — following
/// dependents — by the state's recorded dependencies). `None` when `addrs` is empty.
fn grown(
    graph: &Graph<Node>,
    input: &PlanInput<'_>,
    addrs: &[Address],
    direction: Direction,
) -> Option<Targets> {
    if addrs.is_empty() {
        return None;
    }
    let (instances, whole): (Vec<&Address>, Vec<&Address>) =
        addrs.iter().partition(|a| a.key.is_some());
    let mut blocks: HashSet<Address> = whole.iter().map(|a| (*a).clone()).collect();
    let starts: Vec<Node> = addrs.iter().map(|a| Node::Object(a.block())).collect();
    blocks.extend(
        graph
            .closure(&starts, direction)
            .into_iter()
            .filter_map(|n| n.object().cloned()),
    );
    let mut t = Targets {
        blocks,
        instances: instances.into_iter().cloned().collect(),
    };
    let state = &input.state.resources;
    let in_state: Vec<Address> = match direction {
        // what needs them, as the state recorded it
        Direction::Outgoing => state
            .iter()
            .filter(|(_, r)| r.dependencies.iter().any(|d| t.includes(d)))
            .map(|(a, _)| a.clone())
            .collect(),
        // what they need, as the state recorded it (only excluding asks this, destroying)
        Direction::Incoming if input.options.destroy => state
            .iter()
            .filter(|(a, _)| t.includes(a))
            .flat_map(|(_, r)| r.dependencies.iter().cloned())
            .collect(),
        _ => Vec::new(),
    };
    t.instances.extend(in_state);
    Some(t)
}

pub(super) fn delete_change(
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

/// A managed block evaluated for planning.
struct ManagedEval {
    args: Map,
    cloning: bool,
    clone: Option<Value>,
    /// The schema's sensitive paths and those derived from sensitive variables.
    sensitive: Vec<Path>,
}

/// A data source whose arguments are known, to be read now.
struct DataRead<'b> {
    block: &'b Block,
    /// The block's address, or its instance's.
    addr: Address,
    args: Map,
    sensitive: Vec<Path>,
    change: Change,
}

fn lock<'m, 'a>(p: &'m Mutex<Planner<'a>>) -> std::sync::MutexGuard<'m, Planner<'a>> {
    p.lock().unwrap_or_else(|e| e.into_inner())
}

impl<'a> Planner<'a> {
    /// Plan every configured block, walking the config graph one block at a time (each is
    /// evaluated against what its dependencies planned).
    async fn plan_config(
        self,
        graph: &Graph<Node>,
        included: &(dyn Fn(&Address) -> bool + Sync),
    ) -> Result<Planner<'a>, Diagnostics> {
        let cfg = self.input.cfg;
        let providers = self.input.providers;
        let planner = Mutex::new(self);
        let walked = walk(graph, 1, &mut NoStops, |node: &Node| {
            let planner = &planner;
            async move {
                let block = match node {
                    Node::Local(name) => {
                        lock(planner).plan_local(name);
                        None
                    }
                    Node::Object(addr) => cfg.resources.get(addr),
                };
                let Some(block) = block else {
                    return Ok::<(), std::convert::Infallible>(());
                };
                let reads = lock(planner).plan_block(block, included);
                for read in reads {
                    let Some(providers) = providers else { break };
                    let result = read_data(providers, &read).await;
                    lock(planner).record_read(read, result);
                }
                Ok::<(), std::convert::Infallible>(())
            }
        })
        .await;
        walked.map_err(cycle_error)?;
        Ok(planner.into_inner().unwrap_or_else(|e| e.into_inner()))
    }

    /// Evaluate a local (its value stays in the scope for what uses it); an error is
    /// reported at the local, once.
    fn plan_local(&mut self, name: &str) {
        let cfg = self.input.cfg;
        let Some(l) = cfg.locals.get(name) else {
            return;
        };
        if l.locals.iter().any(|u| self.failed_locals.contains(u)) {
            self.failed_locals.insert(name.to_string());
            return;
        }
        if let Some(Err(msg)) = crate::config::eval::Scope::local(&self.objects, name) {
            self.failed_locals.insert(name.to_string());
            let d = crate::config::validate::local_error(cfg, l, msg);
            self.diags.push(d);
        }
    }

    /// Plan one block (each of its instances, if it is repeated); the data sources to read
    /// now are returned.
    fn plan_block<'b>(
        &mut self,
        block: &'b Block,
        included: &dyn Fn(&Address) -> bool,
    ) -> Vec<DataRead<'b>> {
        let addr = &block.addr;
        let uses_failed = || {
            crate::config::locals::block_locals(block)
                .iter()
                .any(|l| self.failed_locals.contains(l))
        };
        if !self.failed_locals.is_empty() && uses_failed() {
            self.unknown(addr);
            return Vec::new();
        }
        if !included(addr) {
            if !self.input.state.resources.contains_key(addr) {
                self.unknown(addr);
            }
            return Vec::new();
        }
        if block.deps.iter().any(|d| self.deferred.contains(d)) {
            self.defer(block);
            return Vec::new();
        }
        let instances = match instances::expand(self.input.cfg, block, &self.objects) {
            Ok(Expansion::Single) => return self.plan_one(block, block.clone()),
            Ok(Expansion::Deferred(_)) => {
                self.defer(block);
                return Vec::new();
            }
            Ok(Expansion::Instances(kind, items)) => (kind, items),
            Err(d) => {
                self.diags.push(*d);
                self.unknown(addr);
                return Vec::new();
            }
        };
        self.plan_instances(block, instances, included)
    }

    /// Plan each instance of a repeated block, each in its own `each` / `count` scope.
    fn plan_instances<'b>(
        &mut self,
        block: &'b Block,
        (kind, items): (RepeatKind, Vec<Each>),
        included: &dyn Fn(&Address) -> bool,
    ) -> Vec<DataRead<'b>> {
        let keys: Vec<Key> = items.iter().filter_map(|e| e.key.clone()).collect();
        self.set_repetition(&block.addr, Repetition::Instances(kind, keys));
        let mut reads = Vec::new();
        for each in items {
            let Some(key) = each.key.clone() else {
                continue;
            };
            let inst = block.instance(key);
            if !included(&inst.addr) {
                continue;
            }
            self.objects.each = Some(each);
            reads.extend(self.plan_one(block, inst));
        }
        self.objects.each = None;
        reads
    }

    /// Plan one object (`b`: the block, or one of its instances).
    fn plan_one<'b>(&mut self, block: &'b Block, b: Block) -> Vec<DataRead<'b>> {
        if b.addr.is_data() {
            return self.plan_data(block, &b).into_iter().collect();
        }
        self.plan_managed(&b);
        Vec::new()
    }

    fn set_repetition(&mut self, block: &Address, r: Repetition) {
        self.objects
            .planned
            .repeated
            .insert(block.clone(), r.clone());
        self.repeated.insert(block.clone(), r);
    }

    /// A block planned later: its objects stay as they are, references to it are unknown.
    fn defer(&mut self, block: &Block) {
        self.deferred.insert(block.addr.clone());
        match &block.repeat {
            Some(r) => self.set_repetition(&block.addr, Repetition::Deferred(RepeatKind::of(r))),
            None => self.unknown(&block.addr),
        }
    }

    /// Whether the config still has this object (or instance); a deferred block keeps all of
    /// its objects for now.
    fn configured(&self, addr: &Address) -> bool {
        let block = addr.block();
        if !self.input.cfg.resources.contains_key(&block) {
            return false;
        }
        if self.deferred.contains(&block) {
            return true;
        }
        match (&addr.key, self.repeated.get(&block)) {
            (None, None) => true,
            // instances are in key order
            (Some(k), Some(Repetition::Instances(_, keys))) => keys.binary_search(k).is_ok(),
            (_, Some(Repetition::Deferred(_))) => true,
            _ => false,
        }
    }

    /// Why an object in state is no longer configured (Terraform's reasons).
    fn orphan_reason(&self, addr: &Address) -> Reason {
        let block = addr.block();
        let repeated = self
            .input
            .cfg
            .resources
            .get(&block)
            .and_then(|b| b.repeat.as_ref());
        match (&addr.key, repeated) {
            (Some(Key::Name(_)), Some(crate::config::Repeat::ForEach(_))) => {
                Reason::DeleteBecauseEachKey
            }
            (Some(Key::Index(_)), Some(crate::config::Repeat::Count(_))) => {
                Reason::DeleteBecauseCountIndex
            }
            _ => Reason::DeleteBecauseNoResourceConfig,
        }
    }

    /// The objects a block depends on: its dependencies, each repeated one as its instances.
    fn instance_deps(&self, b: &Block) -> Vec<Address> {
        let mut out = Vec::new();
        for d in &b.deps {
            match self.repeated.get(d) {
                Some(Repetition::Instances(_, keys)) => {
                    out.extend(keys.iter().map(|k| d.instance(k.clone())))
                }
                _ => out.push(d.clone()),
            }
        }
        out
    }

    fn plan_destroy(&mut self, included: &dyn Fn(&Address) -> bool) {
        for (addr, r) in &self.input.state.resources {
            if !addr.is_data() && included(addr) {
                self.changes.push(delete_change(addr, r, None));
            }
        }
    }

    /// Objects in state that the config no longer has.
    fn plan_orphans(&mut self, included: &dyn Fn(&Address) -> bool) {
        for (addr, r) in &self.input.state.resources {
            if addr.is_data() || self.configured(addr) || !included(addr) {
                continue;
            }
            let reason = Some(self.orphan_reason(addr));
            self.changes.push(delete_change(addr, r, reason));
        }
    }

    /// Objects left deposed by create_before_destroy are deleted.
    fn plan_deposed(&mut self, included: &dyn Fn(&Address) -> bool) {
        for d in &self.input.state.deposed {
            if included(&d.addr) {
                let mut c = delete_change(&d.addr, &d.resource, None);
                c.deposed = Some(d.resource.id.clone());
                self.changes.push(c);
            }
        }
    }

    /// Outputs, conflicts and the plan itself, or the errors found on the way.
    fn finish(mut self) -> Result<Plan, Diagnostics> {
        let cfg = self.input.cfg;
        let state = self.input.state;
        let mut conflicts = self.check_prevent_destroy();
        cfg.resolve_lines(&mut conflicts);
        let outputs = self.plan_outputs();
        if self.diags.has_errors() {
            cfg.resolve_lines(&mut self.diags);
            return Err(self.diags);
        }
        let mut changes = self.changes;
        changes.sort_by(|a, b| (&a.addr, &a.deposed).cmp(&(&b.addr, &b.deposed)));
        Ok(Plan {
            stack: cfg.stack.clone(),
            lineage: state.lineage.clone(),
            serial: state.serial,
            changes,
            outputs,
            drift: self.input.drift.clone(),
            reconciled: self.input.reconciled.clone(),
            options: self.input.options.clone(),
            conflicts: conflicts.0.into_iter().map(conflict).collect(),
            repeated: self.repeated,
            deferred: self.deferred.into_iter().collect(),
        })
    }

    /// `--refresh-only`: no change is planned, so the scope the outputs are evaluated in is
    /// the refreshed state — what it does not hold yet is unknown, a repeated block is the
    /// instances it holds.
    fn scope_as_refreshed(&mut self) {
        let cfg = self.input.cfg;
        let state = self.input.state;
        for (addr, b) in &cfg.resources {
            let Some(repeat) = &b.repeat else {
                if !state.resources.contains_key(addr) {
                    self.unknown(addr);
                }
                continue;
            };
            let keys = state
                .resources
                .keys()
                .filter(|a| a.in_block(addr))
                .filter_map(|a| a.key.clone())
                .collect();
            let kind = match repeat {
                crate::config::Repeat::Count(_) => RepeatKind::Count,
                crate::config::Repeat::ForEach(_) => RepeatKind::ForEach,
            };
            let whole = Repetition::Instances(kind, keys);
            self.objects.planned.repeated.insert(addr.clone(), whole);
        }
    }

    /// An object whose value is known only after apply.
    fn unknown(&mut self, addr: &Address) {
        self.objects
            .planned
            .set(addr.clone(), Value::Unknown, vec![]);
    }

    fn eval_block(&mut self, b: &Block) -> Option<evaluate::Evaluated> {
        evaluate::evaluate(self.input.cfg, b, &self.objects, &mut self.diags)
    }

    /// Evaluate a managed block: arguments with defaults, the clone block, sensitive paths.
    fn evaluate(&mut self, b: &Block) -> Option<ManagedEval> {
        let ev = self.eval_block(b)?;
        let sensitive = ev.sensitive_paths(b.schema);
        let mut args = ev.args;
        b.schema.apply_defaults(&mut args);
        Some(ManagedEval {
            args,
            cloning: ev.clone.is_some(),
            clone: ev.clone.map(Value::Map),
            sensitive,
        })
    }

    fn plan_managed(&mut self, b: &Block) {
        let Some(ev) = self.evaluate(b) else {
            self.unknown(&b.addr);
            return;
        };
        let new_action = match (b.schema.verb, ev.cloning) {
            (Verb::Bind, _) => Action::Bind,
            (_, true) => Action::Clone,
            (_, false) => Action::Create,
        };
        let mut change = Change {
            after_sensitive: ev.sensitive.clone(),
            depends_on: self.instance_deps(b),
            create_before_destroy: b.lifecycle.create_before_destroy,
            clone: ev.clone.clone(),
            clone_label: clone_label(b, ev.clone.as_ref()),
            ..Change::new(b.addr.clone(), new_action)
        };
        // Only a new object (or a replacement) is planned from scratch.
        let after = match self.input.state.resources.get(&b.addr) {
            None => planned(b.schema, &ev.args, None, ev.cloning),
            Some(prior) => self.diff_prior(b, &ev, prior, &mut change),
        };
        self.record_managed(change, after, ev.sensitive);
    }

    /// Diff a block with its object in state: decides the change's action and returns the
    /// planned attributes.
    fn diff_prior(
        &self,
        b: &Block,
        ev: &ManagedEval,
        prior: &crate::state::ResourceState,
        change: &mut Change,
    ) -> Map {
        let schema = b.schema;
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
        let kept = kept_attributes(b, &ev.args, &prior_map, ev.cloning);
        let changed = self.changed_attributes(b, &kept, &prior_map, ev, prior, change);
        let ignore_all = ignores_all(b);
        let clone_moved = !ignore_all && clone_changed(ev.clone.as_ref(), &prior.made);
        let forced = forced(b, &kept, &prior_map, &changed, clone_moved);
        self.decide(b, prior, &changed, forced, change);
        match change.action {
            Action::Replace => planned(schema, &ev.args, None, ev.cloning),
            Action::Update => {
                let mut k = kept;
                for a in schema.attrs.iter().filter(|a| a.volatile) {
                    k.insert(a.name.to_string(), Value::Unknown);
                }
                k
            }
            _ => kept,
        }
    }

    /// The settable attributes that change (secrets compared masked, then by fingerprint);
    /// the secrets that change are noted on `change`.
    fn changed_attributes(
        &self,
        b: &Block,
        kept: &Map,
        prior_map: &Map,
        ev: &ManagedEval,
        prior: &crate::state::ResourceState,
        change: &mut Change,
    ) -> BTreeSet<String> {
        let mut masked = Value::Map(kept.clone());
        let fps = sensitive::mask(&mut masked, &ev.sensitive, &self.fkey);
        let masked = masked.as_map().cloned().unwrap_or_default();
        let mut changed: BTreeSet<String> = b
            .schema
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
            let ignored = ignores_all(b) || b.lifecycle.ignore_changes.contains(&top);
            if !ignored {
                changed.insert(top);
                if let Some(path) = crate::value::parse_path(&p) {
                    change.sensitive_changed.push(path);
                }
            }
        }
        changed
    }

    /// Replace (asked for, tainted, or a change that cannot be made in place), update, or
    /// nothing.
    fn decide(
        &self,
        b: &Block,
        prior: &crate::state::ResourceState,
        changed: &BTreeSet<String>,
        force: Vec<Forced>,
        change: &mut Change,
    ) {
        let schema = b.schema;
        let replace = &self.input.options.replace;
        let (action, reason) = if replace.contains(&b.addr) || replace.contains(&b.addr.block()) {
            (Action::Replace, Some(Reason::ReplaceByRequest))
        } else if prior.tainted {
            (Action::Replace, Some(Reason::ReplaceBecauseTainted))
        } else if !force.is_empty() {
            change.replace_reasons = force;
            (Action::Replace, Some(Reason::ReplaceBecauseCannotUpdate))
        } else if changed.is_empty() {
            (Action::NoOp, None)
        } else if schema.updatable {
            (Action::Update, None)
        } else {
            let why = format!(
                "{} has no update: every change replaces it",
                schema.type_name
            );
            change.replace_reasons = changed
                .iter()
                .map(|n| Forced {
                    path: vec![key(n)],
                    why: why.clone(),
                })
                .collect();
            (Action::Replace, Some(Reason::ReplaceBecauseCannotUpdate))
        };
        change.action = action;
        change.reason = reason;
    }

    /// Put a managed block's change in the plan and its planned value in scope.
    fn record_managed(&mut self, mut change: Change, after: Map, sens_paths: Vec<Path>) {
        let addr = change.addr.clone();
        if change.action == Action::NoOp {
            // Unchanged: references read the state (the plan keeps `before` only), except
            // where the state holds masked secrets that references need in memory.
            if !sens_paths.is_empty() {
                self.objects
                    .planned
                    .set(addr, Value::Map(after), sens_paths);
            }
            self.changes.push(change);
            return;
        }
        let mut after_v = Value::Map(after);
        if self.referenced.contains(&addr.block()) {
            self.objects
                .planned
                .set(addr, after_v.clone(), sens_paths.clone());
        }
        sensitive::mask(&mut after_v, &sens_paths, &self.fkey);
        change.after = Some(after_v);
        self.changes.push(change);
    }

    /// Plan a data source (`b`: `block` or one of its instances): read later (deferred) or,
    /// returned, read now.
    fn plan_data<'b>(&mut self, block: &'b Block, b: &Block) -> Option<DataRead<'b>> {
        let addr = &b.addr;
        let Some(evaluate::Evaluated {
            args,
            var_sensitive: sens,
            ..
        }) = self.eval_block(b)
        else {
            self.unknown(addr);
            return None;
        };
        let pending_dep = b.deps.iter().any(|d| {
            self.changes
                .iter()
                .any(|c| c.addr.in_block(d) && c.action.is_change())
        });
        let unknown = args.values().any(Value::has_unknown);
        let mut change = Change {
            after_sensitive: sens.clone(),
            depends_on: self.instance_deps(b),
            ..Change::new(addr.clone(), Action::Read)
        };
        let deferred = match (self.input.providers, unknown, pending_dep) {
            (_, true, _) => Some(Reason::ReadBecauseConfigUnknown),
            (_, _, true) => Some(Reason::ReadBecauseDependencyPending),
            (None, _, _) => Some(Reason::ReadBecauseConfigUnknown),
            _ => None,
        };
        let Some(reason) = deferred else {
            return Some(DataRead {
                block,
                addr: addr.clone(),
                args,
                sensitive: sens,
                change,
            });
        };
        let after = planned(b.schema, &args, None, false);
        change.reason = Some(reason);
        change.after = Some(Value::Map(after.clone()));
        self.objects
            .planned
            .set(addr.clone(), Value::Map(after), sens);
        self.changes.push(change);
        None
    }

    /// Put what reading a data source gave in the plan and in scope.
    fn record_read(&mut self, read: DataRead<'_>, result: Result<Map, String>) {
        let DataRead {
            block: b,
            addr,
            args,
            sensitive: sens,
            mut change,
        } = read;
        match result {
            Ok(mut attrs) => {
                for (k, v) in &args {
                    attrs.entry(k.clone()).or_insert_with(|| v.clone());
                }
                change.after = Some(Value::Map(attrs.clone()));
                self.objects.planned.set(addr, Value::Map(attrs), sens);
                self.changes.push(change);
            }
            Err(e) => {
                self.diags.push(
                    Diagnostic::error(format!("reading the data source failed: {e}"))
                        .file(self.input.cfg.file_path(b.file))
                        .at_owned(b.yaml_path())
                        .address(&addr),
                );
                self.unknown(&addr);
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
            let Some(b) = self.input.cfg.block_of(&c.addr) else {
                continue;
            };
            if !b.lifecycle.prevent_destroy {
                continue;
            }
            let what = if c.action == Action::Delete {
                "destroy".to_string()
            } else {
                let why = if c.replace_reasons.is_empty() {
                    String::new()
                } else {
                    let each: Vec<String> = c
                        .replace_reasons
                        .iter()
                        .map(|f| {
                            format!("{} cannot change in place: {}", path_string(&f.path), f.why)
                        })
                        .collect();
                    format!(" (because {})", each.join("; "))
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
                if o.value.local_refs().any(|l| self.failed_locals.contains(l)) {
                    continue; // the local's error is reported
                }
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
