//! One apply run around the executor, the steps a command takes between planning and its
//! summary: journal what planning found (`Session::begin`), then either stop there — folding
//! that journal (`Session::stop`) — or execute the plan and fold the result
//! (`Session::execute`). Approval, rendering and the lock are the command line's.
//!
//! Invariant: whatever a session journaled is folded into a new snapshot before it ends,
//! whether the plan was executed, refused or had nothing to do.

use super::report::Reporter;
use super::{execute, signals, Outcome, Shared};
use crate::address::Address;
use crate::config::vars::Vars;
use crate::config::Config;
use crate::plan::prepared::Prepared;
use crate::plan::scope::Objects;
use crate::plan::{Action, Plan};
use crate::state::backend::Backend;
use crate::state::{State, StateError};
use crate::value::Value;
use std::collections::HashSet;
use std::sync::Arc;

/// A prepared plan whose findings are journaled, ready to execute.
pub struct Session {
    backend: Arc<dyn Backend>,
    prep: Prepared,
    /// The state with everything journaled so far applied.
    state: State,
    /// Whether the journal holds steps the snapshot does not (journaled or replayed now).
    dirty: bool,
    /// The scope execution starts from.
    scope: Objects,
}

impl Session {
    /// Journal what planning found: reconcile and refresh entries, and the data sources read.
    pub async fn begin(
        backend: Arc<dyn Backend>,
        cfg: &Config,
        vars: &Vars,
        mut prep: Prepared,
    ) -> Result<Session, StateError> {
        let pending = prep.pending_entries();
        let moved = crate::plan::moves::applied(&prep.state, &prep.moves);
        let seen = moved.as_ref().unwrap_or(&prep.state);
        let with_imports = prep.imports.planning_state(seen);
        let scope = initial_scope(cfg, vars, &prep.plan, &with_imports);
        drop(with_imports);
        drop(moved);
        let mut state = std::mem::replace(&mut prep.state, prep.base.header());
        // `prep.state` already holds reconcile's and refresh's entries; add the data reads.
        for e in &pending[prep.entries.len().min(pending.len())..] {
            state.apply(e);
        }
        if !pending.is_empty() {
            backend.append(&prep.base, &pending).await?;
        }
        let dirty = prep.replayed > 0 || !pending.is_empty();
        Ok(Session {
            backend,
            prep,
            state,
            dirty,
            scope,
        })
    }

    pub fn plan(&self) -> &Plan {
        &self.prep.plan
    }

    /// End without executing: fold what was journaled.
    pub async fn stop(mut self) -> Result<(), StateError> {
        if self.dirty {
            self.backend.persist(&mut self.state).await?;
        }
        Ok(())
    }

    /// Execute the plan (interrupts are the executor's to handle from here) and fold the
    /// journal into a new snapshot, which the outcome holds.
    pub async fn execute(
        self,
        cfg: Arc<Config>,
        reporter: Arc<dyn Reporter>,
        parallelism: usize,
    ) -> Result<Outcome, StateError> {
        let prep = self.prep;
        let mut state = self.state;
        // moved: / removed: — one journal write, before anything else runs
        if !prep.moves.is_empty() {
            self.backend.append(&prep.base, &prep.moves).await?;
            for e in &prep.moves {
                state.apply(e);
            }
            crate::util::checkpoint("moves_journaled");
        }
        // Imports first, one journal entry each: the plan's updates of them need them.
        if !prep.imports.entries.is_empty() {
            self.backend
                .append(&prep.base, &prep.imports.entries)
                .await?;
            for e in &prep.imports.entries {
                state.apply(e);
            }
            crate::util::checkpoint("after_imports");
        }
        let shared = Arc::new(Shared::new(
            cfg,
            prep.providers.clone(),
            self.backend.clone(),
            prep.base.clone(),
            state,
            self.scope,
            Arc::new(prep.plan),
            reporter,
        ));
        let protected = signals::protect();
        let mut outcome = execute(shared, parallelism, &protected).await;
        crate::util::checkpoint("before_fold");
        self.backend.persist(&mut outcome.state).await?;
        Ok(outcome)
    }
}

/// How many operations the plan makes (a replace is two), for a progress bar.
pub fn operations(plan: &Plan) -> u64 {
    plan.changes
        .iter()
        .map(|c| match c.action {
            Action::Replace => 2,
            Action::NoOp | Action::Forget => 0,
            Action::Read if c.reason.is_none() => 0,
            _ => 1,
        })
        .sum()
}

/// The scope execution starts from: the state objects that changing blocks or outputs refer
/// to (directly or through locals), and the data sources read while planning; every other
/// configured object is unknown. Its locals are evaluated afresh, when first used, from the
/// values apply makes.
fn initial_scope(cfg: &Config, vars: &Vars, plan: &Plan, state: &State) -> Objects {
    let mut needed: HashSet<&Address> = plan
        .changes
        .iter()
        .filter(|c| c.action.is_change() || c.action == Action::Read)
        .flat_map(|c| c.depends_on.iter())
        .collect();
    needed.extend(cfg.output_refs());
    let mut o = Objects::new(vars.clone()).with_locals(cfg);
    o.dir = cfg.dir.clone();
    o.repeated = plan
        .repeated
        .iter()
        .map(|(a, r)| (a.clone(), r.clone()))
        .collect();
    let wanted = |a: &Address| needed.contains(a) || needed.contains(&a.block());
    for (addr, r) in state.resources.iter().filter(|(a, _)| wanted(a)) {
        let mut v = r.attributes.clone();
        if let Value::Map(m) = &mut v {
            m.entry("id".to_string())
                .or_insert_with(|| Value::str(&r.id));
        }
        let sens = r
            .sensitive
            .keys()
            .filter_map(|k| crate::value::parse_path(k))
            .collect();
        o.set(addr.clone(), v, sens);
    }
    for c in &plan.changes {
        if c.action == Action::Read && c.reason.is_none() {
            if let Some(after) = &c.after {
                o.set(c.addr.clone(), after.clone(), c.after_sensitive.clone());
            }
        }
    }
    // Objects outside the plan (not targeted) are unknown to references.
    for addr in cfg.resources.keys() {
        if !o.objects.contains_key(addr) && !o.repeated.contains_key(addr) {
            o.set(addr.clone(), Value::Unknown, Vec::new());
        }
    }
    o
}
