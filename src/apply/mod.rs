//! The executor: turns a plan into a graph of create/destroy nodes and walks it with tokio,
//! starting each node as soon as its dependencies are done (never in waves), at most
//! `parallelism` at a time. Every mutating call is preceded by a journaled intent and followed
//! by a journaled result, so a crash loses nothing. A failure stops only its dependents.

pub mod failure;
pub mod ops;
pub mod report;
pub mod signals;

use crate::address::Address;
use crate::config::Config;
use crate::graph::Graph;
use crate::plan::scope::Objects;
use crate::plan::{Action, Change, Plan};
use crate::providers::Providers;
use crate::state::backend::Backend;
use crate::state::journal::Entry;
use crate::state::{OutputState, State};
pub use failure::Failure;
use report::Reporter;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex};
use tokio::task::JoinSet;

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
    let changes: HashMap<&Address, &Change> = plan
        .changes
        .iter()
        .filter(|c| c.deposed.is_none())
        .map(|c| (&c.addr, c))
        .collect();
    let mut applies: HashSet<&Address> = HashSet::new();
    let mut destroys: HashSet<&Address> = HashSet::new();
    for c in plan.changes.iter().filter(|c| c.deposed.is_none()) {
        match c.action {
            Action::Create | Action::Clone | Action::Bind | Action::Update => {
                applies.insert(&c.addr);
            }
            Action::Read if c.reason.is_some() => {
                applies.insert(&c.addr);
            }
            Action::Replace => {
                applies.insert(&c.addr);
                destroys.insert(&c.addr);
            }
            Action::Delete => {
                destroys.insert(&c.addr);
            }
            _ => {}
        }
    }
    // Who depends on whom, from config (plan) and from state (for objects being deleted).
    let mut dependents: HashMap<&Address, Vec<&Address>> = HashMap::new();
    for c in &plan.changes {
        for d in &c.depends_on {
            dependents.entry(d).or_default().push(&c.addr);
        }
    }
    for (a, r) in &state.resources {
        for d in &r.dependencies {
            dependents.entry(d).or_default().push(a);
        }
    }
    let apply = |a: &Address| Node {
        addr: a.clone(),
        op: Op::Apply,
    };
    let destroy = |a: &Address| Node {
        addr: a.clone(),
        op: Op::Destroy,
    };
    let mut out = Vec::new();
    for a in &applies {
        let c = changes[a];
        let mut deps: Vec<Node> = c
            .depends_on
            .iter()
            .filter(|d| applies.contains(d))
            .map(apply)
            .collect();
        if c.action == Action::Replace && !c.create_before_destroy {
            deps.push(destroy(a));
        }
        out.push((apply(a), deps));
    }
    for a in &destroys {
        let c = changes[a];
        let mut deps: Vec<Node> = dependents
            .get(a)
            .into_iter()
            .flatten()
            .filter(|x| destroys.contains(*x) && *x != a)
            .map(|x| destroy(x))
            .collect();
        if c.action == Action::Replace && c.create_before_destroy {
            deps.push(apply(a));
            deps.extend(
                dependents
                    .get(a)
                    .into_iter()
                    .flatten()
                    .filter(|x| applies.contains(*x) && *x != a)
                    .map(|x| apply(x)),
            );
        }
        out.push((destroy(a), deps));
    }
    for c in plan.changes.iter().filter(|c| c.deposed.is_some()) {
        let mut deps = Vec::new();
        if applies.contains(&c.addr) {
            deps.push(apply(&c.addr));
        }
        deps.extend(
            dependents
                .get(&c.addr)
                .into_iter()
                .flatten()
                .filter(|x| applies.contains(*x))
                .map(|x| apply(x)),
        );
        out.push((
            Node {
                addr: c.addr.clone(),
                op: Op::DestroyDeposed(c.deposed.clone().unwrap_or_default()),
            },
            deps,
        ));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
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
        }
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
    /// Completed operations by strata verb.
    pub done: BTreeMap<&'static str, usize>,
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
    let plan = plan.as_ref();
    let nodes = {
        let st = shared.state.lock().unwrap_or_else(|e| e.into_inner());
        apply_graph(plan, &st)
    };
    let graph: Graph<Node> = Graph::build(nodes.iter().cloned());
    let mut outcome = Outcome {
        done: BTreeMap::new(),
        failures: Vec::new(),
        skipped: Vec::new(),
        interrupted: false,
        state: shared.base.header(),
    };
    if let Some(cycle) = graph.find_cycle() {
        outcome.failures.push(Failure::new(
            "plan",
            format!(
                "the changes cannot be ordered (cycle: {}); apply them in two steps with --target",
                crate::graph::cycle_text(&cycle)
            ),
        ));
        return outcome;
    }
    let mut waiting: HashMap<Node, usize> = nodes
        .iter()
        .map(|(n, _)| (n.clone(), graph.dependencies(n).len()))
        .collect();
    let mut ready: VecDeque<Node> = nodes
        .iter()
        .filter(|(n, _)| waiting[n] == 0)
        .map(|(n, _)| n.clone())
        .collect();
    let mut running: JoinSet<(Node, Result<&'static str, failure::Error>)> = JoinSet::new();
    let mut interrupts = protected.interrupts();
    let mut blocked: HashSet<Node> = HashSet::new();
    loop {
        while running.len() < parallelism.max(1) && !outcome.interrupted {
            let Some(n) = ready.pop_front() else { break };
            if blocked.contains(&n) {
                continue;
            }
            let s = shared.clone();
            running.spawn(async move {
                let r = ops::run(&s, &n).await;
                (n, r)
            });
        }
        if running.is_empty() {
            break;
        }
        tokio::select! {
            joined = running.join_next() => {
                let Some(joined) = joined else { break };
                let (node, result) = match joined {
                    Ok(v) => v,
                    Err(e) => {
                        outcome.failures.push(Failure::new("executor", format!("a task failed: {e}")));
                        continue;
                    }
                };
                match result {
                    Ok(verb) => {
                        *outcome.done.entry(verb).or_default() += 1;
                        for d in graph.dependents(&node) {
                            if let Some(w) = waiting.get_mut(&d) {
                                *w -= 1;
                                if *w == 0 {
                                    ready.push_back(d);
                                }
                            }
                        }
                    }
                    Err(e) => {
                        outcome.failures.push(Failure::new(node.addr.to_string(), e));
                        for d in graph.closure(std::slice::from_ref(&node), petgraph::Direction::Outgoing) {
                            if blocked.insert(d.clone()) {
                                outcome.skipped.push((d.to_string(), node.addr.to_string()));
                            }
                        }
                    }
                }
            }
            n = interrupts.next() => {
                if n == 1 {
                    outcome.interrupted = true;
                    shared.reporter.note("Interrupt received: starting nothing new; waiting for the operations in flight to finish (press Ctrl-C again to stop them now; their intents are kept and reconciled on the next run)");
                } else {
                    running.abort_all();
                    shared.reporter.note("Second interrupt: stopped the operations in flight; their intents are kept for the next run to reconcile");
                    while running.join_next().await.is_some() {}
                    break;
                }
            }
        }
    }
    if !outcome.interrupted && outcome.failures.is_empty() {
        // Outputs, from the final scope.
        if let Err(e) = record_outputs(&shared, plan).await {
            outcome.failures.push(Failure::new("outputs", e));
        }
    } else if !outcome.interrupted {
        let _ = record_outputs(&shared, plan).await;
    }
    let mut st = shared.state.lock().unwrap_or_else(|e| e.into_inner());
    outcome.state = std::mem::replace(&mut *st, shared.base.header());
    drop(st);
    outcome
}

async fn record_outputs(shared: &Shared, plan: &Plan) -> Result<(), String> {
    let mut outputs = BTreeMap::new();
    if !plan.options.destroy {
        let objects = shared.objects.lock().map_err(|_| "scope poisoned")?.clone();
        for o in shared.cfg.outputs.values() {
            let (v, sens) = crate::config::validate::eval_output(&o.value, &objects)
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
