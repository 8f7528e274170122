//! The executor: turns a plan into a graph of create/destroy nodes (`apply_graph`, which
//! `strata graph` prints too) and walks it with the one graph walk (`crate::walk`), each node
//! a tokio task started as soon as its dependencies are done (never in waves), at most
//! `parallelism` at a time. Every mutating call is preceded by a journaled intent and followed
//! by a journaled result, so a crash loses nothing. A failure stops only its dependents.

pub mod failure;
pub mod ops;
pub mod report;
pub mod session;
pub mod signals;

use crate::address::{Address, Key};
use crate::config::instances::{self, Each};
use crate::config::{Block, Config};
use crate::graph::Graph;
use crate::plan::scope::Objects;
use crate::plan::{Action, Change, Plan};
use crate::providers::Providers;
use crate::state::backend::Backend;
use crate::state::journal::Entry;
use crate::state::{OutputState, State};
use crate::walk::{walk, Spawner, Stop, Stops, Walked};
pub use failure::Failure;
use report::Reporter;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex};

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    /// Create, clone, bind, update, or read (data source).
    Apply,
    Destroy,
    DestroyDeposed(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Node {
    pub addr: Address,
    pub op: Op,
}

impl Node {
    /// The apply half of an address's change.
    pub fn apply(a: &Address) -> Node {
        Node {
            addr: a.clone(),
            op: Op::Apply,
        }
    }

    /// The destroy half of an address's change (its current object).
    pub fn destroy(a: &Address) -> Node {
        Node {
            addr: a.clone(),
            op: Op::Destroy,
        }
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.op {
            Op::Apply => write!(f, "{}", self.addr),
            Op::Destroy => write!(f, "{} (destroy)", self.addr),
            Op::DestroyDeposed(id) => write!(f, "{} (destroy deposed {id})", self.addr),
        }
    }
}

/// Build the apply graph: nodes with the nodes each must wait for.
pub fn apply_graph(plan: &Plan, state: &State) -> Vec<(Node, Vec<Node>)> {
    let e = Edges::of(plan, state);
    let mut out: Vec<(Node, Vec<Node>)> = e.applies.iter().map(|a| e.apply_entry(a)).collect();
    out.extend(e.destroys.iter().map(|a| e.destroy_entry(a)));
    out.extend(
        plan.changes
            .iter()
            .filter(|c| c.deposed.is_some())
            .map(|c| e.deposed_entry(c)),
    );
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The apply graph as a [`Graph`]: what `execute` walks and `strata graph` prints.
pub fn executor_graph(plan: &Plan, state: &State) -> Graph<Node> {
    Graph::build(apply_graph(plan, state))
}

/// What the apply graph's edges are made from: which addresses have an apply half and a
/// destroy half, and who depends on whom.
struct Edges<'p> {
    changes: HashMap<&'p Address, &'p Change>,
    applies: HashSet<&'p Address>,
    destroys: HashSet<&'p Address>,
    /// From config (plan) and from state (for objects being deleted).
    dependents: HashMap<&'p Address, Vec<&'p Address>>,
}

impl<'p> Edges<'p> {
    fn of(plan: &'p Plan, state: &'p State) -> Edges<'p> {
        let mut e = Edges {
            changes: HashMap::new(),
            applies: HashSet::new(),
            destroys: HashSet::new(),
            dependents: HashMap::new(),
        };
        for c in plan.changes.iter().filter(|c| c.deposed.is_none()) {
            e.changes.insert(&c.addr, c);
            let (apply, destroy) = match c.action {
                Action::Create | Action::Clone | Action::Bind | Action::Update => (true, false),
                Action::Read => (c.reason.is_some(), false),
                Action::Replace => (true, true),
                Action::Delete => (false, true),
                Action::NoOp | Action::Forget => (false, false),
            };
            if apply {
                e.applies.insert(&c.addr);
            }
            if destroy {
                e.destroys.insert(&c.addr);
            }
        }
        for c in &plan.changes {
            for d in &c.depends_on {
                e.dependents.entry(d).or_default().push(&c.addr);
            }
        }
        for (a, r) in &state.resources {
            for d in &r.dependencies {
                e.dependents.entry(d).or_default().push(a);
            }
        }
        e
    }

    fn dependents_of(&self, a: &Address) -> impl Iterator<Item = &'p Address> + '_ {
        self.dependents.get(a).into_iter().flatten().copied()
    }

    /// The apply halves of `a`'s dependents (a destroy waits until they moved away).
    fn dependent_applies(&self, a: &'p Address) -> impl Iterator<Item = Node> + '_ {
        self.dependents_of(a)
            .filter(move |x| self.applies.contains(*x) && *x != a)
            .map(Node::apply)
    }

    /// An apply runs after what it references is applied, and after the old object's
    /// destroy when replacing without create_before_destroy.
    fn apply_entry(&self, a: &&'p Address) -> (Node, Vec<Node>) {
        let c = self.changes[a];
        let mut deps: Vec<Node> = c
            .depends_on
            .iter()
            .filter(|d| self.applies.contains(d))
            .map(Node::apply)
            .collect();
        if c.action == Action::Replace && !c.create_before_destroy {
            deps.push(Node::destroy(a));
        }
        (Node::apply(a), deps)
    }

    /// A destroy runs after its dependents' destroys; under create_before_destroy also after
    /// the replacement and the dependents' applies.
    fn destroy_entry(&self, a: &&'p Address) -> (Node, Vec<Node>) {
        let a: &'p Address = a;
        let c = self.changes[a];
        let mut deps: Vec<Node> = self
            .dependents_of(a)
            .filter(|x| self.destroys.contains(*x) && *x != a)
            .map(Node::destroy)
            .collect();
        if c.action == Action::Replace && c.create_before_destroy {
            deps.push(Node::apply(a));
            deps.extend(self.dependent_applies(a));
        }
        (Node::destroy(a), deps)
    }

    /// A deposed object goes after its replacement and its dependents' applies.
    fn deposed_entry(&self, c: &'p Change) -> (Node, Vec<Node>) {
        let mut deps = Vec::new();
        if self.applies.contains(&c.addr) {
            deps.push(Node::apply(&c.addr));
        }
        deps.extend(
            self.dependents_of(&c.addr)
                .filter(|x| self.applies.contains(*x))
                .map(Node::apply),
        );
        let node = Node {
            addr: c.addr.clone(),
            op: Op::DestroyDeposed(c.deposed.clone().unwrap_or_default()),
        };
        (node, deps)
    }
}

/// Shared by every node task.
pub struct Shared {
    pub cfg: Arc<Config>,
    pub providers: Arc<Providers>,
    pub backend: Arc<dyn Backend>,
    /// The state as loaded (lineage, serial: the journal's base).
    pub base: State,
    pub state: Mutex<State>,
    pub objects: Mutex<Objects>,
    pub plan: Arc<Plan>,
    /// Where each address's change (and each deposed object's) sits in the plan.
    index: HashMap<(Address, Option<String>), usize>,
    /// Objects that blocks or outputs refer to: only these are kept in the scope.
    pub referenced: HashSet<Address>,
    pub reporter: Arc<dyn Reporter>,
    /// The instances of each repeated block, evaluated once (at its first instance).
    instances: Mutex<HashMap<Address, Arc<HashMap<Key, Each>>>>,
}

impl Shared {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        cfg: Arc<Config>,
        providers: Arc<Providers>,
        backend: Arc<dyn Backend>,
        base: State,
        state: State,
        objects: Objects,
        plan: Arc<Plan>,
        reporter: Arc<dyn Reporter>,
    ) -> Shared {
        let index = plan
            .changes
            .iter()
            .enumerate()
            .map(|(i, c)| ((c.addr.clone(), c.deposed.clone()), i))
            .collect();
        let referenced: HashSet<Address> = plan
            .changes
            .iter()
            .flat_map(|c| c.depends_on.iter())
            .chain(cfg.output_refs())
            .cloned()
            .collect();
        Shared {
            cfg,
            providers,
            backend,
            base,
            state: Mutex::new(state),
            objects: Mutex::new(objects),
            plan,
            index,
            referenced,
            reporter,
            instances: Mutex::new(HashMap::new()),
        }
    }

    /// The block an address names, as that instance with its `each` (the block's instances
    /// evaluated once, against what is known when its first instance runs).
    pub fn instance(&self, addr: &Address) -> Result<(Block, Option<Each>), String> {
        let b = self
            .cfg
            .block_of(addr)
            .ok_or_else(|| format!("{addr} is not in the configuration"))?;
        if b.repeat.is_none() {
            return instances::instance_of(b, addr, &HashMap::new());
        }
        let mut cache = self.instances.lock().map_err(|_| "scope poisoned")?;
        let known = match cache.get(&b.addr) {
            Some(k) => k.clone(),
            None => {
                let objects = self.objects.lock().map_err(|_| "scope poisoned")?;
                let k = Arc::new(instances::by_key(&self.cfg, b, &*objects)?);
                cache.insert(b.addr.clone(), k.clone());
                k
            }
        };
        instances::instance_of(b, addr, &known)
    }

    /// The planned change of an address (or of one of its deposed objects).
    pub fn change(&self, addr: &Address, deposed: Option<&str>) -> Option<&Change> {
        self.index
            .get(&(addr.clone(), deposed.map(String::from)))
            .map(|&i| &self.plan.changes[i])
    }

    /// Journal entries durably, then apply them to the in-memory state.
    pub async fn record(&self, entries: Vec<Entry>) -> Result<(), String> {
        self.backend
            .append(&self.base, &entries)
            .await
            .map_err(|e| format!("could not write the state journal: {e}"))?;
        let mut st = self.state.lock().map_err(|_| "state poisoned")?;
        for e in &entries {
            st.apply(e);
        }
        Ok(())
    }
}

#[derive(Debug)]
pub struct Outcome {
    /// Completed changes by plan action (a replace counts once, as `Replace`).
    pub done: BTreeMap<Action, usize>,
    pub failures: Vec<Failure>,
    pub skipped: Vec<(String, String)>,
    pub interrupted: bool,
    /// The state as the run left it (journaled step by step; the caller folds it).
    pub state: State,
}

impl Outcome {
    pub fn ok(&self) -> bool {
        self.failures.is_empty() && !self.interrupted
    }
}

/// Walk the graph. Returns what happened; state has been journaled as it went, and is
/// persisted (folded) by the caller.
pub async fn execute(
    shared: Arc<Shared>,
    parallelism: usize,
    protected: &signals::Protected,
) -> Outcome {
    let plan = shared.plan.clone();
    let graph = {
        let st = shared.state.lock().unwrap_or_else(|e| e.into_inner());
        executor_graph(&plan, &st)
    };
    let mut outcome = Outcome {
        done: BTreeMap::new(),
        failures: Vec::new(),
        skipped: Vec::new(),
        interrupted: false,
        state: shared.base.header(),
    };
    let spawner = Spawner::default();
    let mut stops = Interrupted {
        interrupts: protected.interrupts(),
        reporter: shared.reporter.as_ref(),
    };
    let walked = walk(&graph, parallelism, &mut stops, |n: &Node| {
        let (s, n) = (shared.clone(), n.clone());
        let task = spawner.spawn(async move { ops::run(&s, &n).await });
        async move {
            task.await
                .unwrap_or_else(|e| Err(format!("a task failed: {e}").into()))
        }
    })
    .await;
    spawner.settle().await;
    match walked {
        Ok(w) => outcome.absorb(w),
        Err(cycle) => {
            outcome.failures.push(Failure::new(
                "plan",
                format!(
                    "the changes cannot be ordered (cycle: {}); apply them in two steps with --target",
                    crate::graph::cycle_text(&cycle)
                ),
            ));
            return outcome;
        }
    }
    if !outcome.interrupted {
        // Outputs, from the final scope (best effort after a failure).
        let recorded = record_outputs(&shared, &plan).await;
        if let (Err(e), true) = (recorded, outcome.failures.is_empty()) {
            outcome.failures.push(Failure::new("outputs", e));
        }
    }
    let mut st = shared.state.lock().unwrap_or_else(|e| e.into_inner());
    outcome.state = std::mem::replace(&mut *st, shared.base.header());
    drop(st);
    outcome
}

impl Outcome {
    /// Count what the walk did: verbs done, failures, and the nodes a failure blocked.
    fn absorb(&mut self, w: Walked<'_, Node, Option<Action>, failure::Error>) {
        for (node, result) in w.finished {
            match result {
                Ok(Some(action)) => *self.done.entry(action).or_default() += 1,
                Ok(None) => {}
                Err(e) => self.failures.push(Failure::new(node.addr.to_string(), e)),
            }
        }
        self.skipped.extend(
            w.skipped
                .into_iter()
                .map(|(d, by)| (d.to_string(), by.addr.to_string())),
        );
        self.interrupted = w.stopped.is_some();
    }
}

/// Interrupts under the executor's protection, as stops of its walk: the first drains, the
/// second aborts the calls in flight.
struct Interrupted<'r> {
    interrupts: signals::Interrupts,
    reporter: &'r dyn Reporter,
}

impl Stops for Interrupted<'_> {
    async fn next(&mut self) -> Stop {
        if self.interrupts.next().await == 1 {
            self.reporter.note("Interrupt received: starting nothing new; waiting for the operations in flight to finish (press Ctrl-C again to stop them now; their intents are kept and reconciled on the next run)");
            Stop::Drain
        } else {
            self.reporter.note("Second interrupt: stopped the operations in flight; their intents are kept for the next run to reconcile");
            Stop::Abort
        }
    }
}

async fn record_outputs(shared: &Shared, plan: &Plan) -> Result<(), String> {
    let mut outputs = BTreeMap::new();
    if !plan.options.destroy {
        let objects = shared.objects.lock().map_err(|_| "scope poisoned")?.clone();
        for o in shared.cfg.outputs.values() {
            let (v, sens) = crate::config::evaluate::eval_output(&o.value, &objects)
                .map_err(|e| format!("output {}: {e}", o.name))?;
            if v.has_unknown() {
                continue; // depends on something that failed or was not targeted
            }
            outputs.insert(
                o.name.clone(),
                OutputState::of(&shared.base, v, o.sensitive || sens),
            );
        }
    }
    let current = shared
        .state
        .lock()
        .map(|s| s.outputs.clone())
        .unwrap_or_default();
    if current != outputs {
        shared.record(vec![Entry::Outputs { outputs }]).await?;
    }
    Ok(())
}
