//! The evaluation scope of plan and apply: variable values, every object's attributes
//! (known from state, planned with unknowns, or filled in as apply completes) and the
//! locals, each evaluated once per scope against it (`config::locals::LocalValues`).
//! Invariant: a local is evaluated only when something refers to it, and everything that
//! refers to a local waits for every object the local uses, so the value a scope keeps for a
//! local is computed from those objects' final values in that pass (at apply, the values
//! just made, not the unknowns planned).

use crate::address::Address;
use crate::config::eval::{ObjectView, Scope};
use crate::config::locals::LocalValues;
use crate::config::vars::{VarValue, Vars};
use crate::config::Config;
use crate::value::{Path, Value};
use std::collections::HashMap;

#[derive(Debug, Clone)]
pub struct Obj {
    pub value: Value,
    pub sensitive: Vec<Path>,
}

#[derive(Debug, Clone, Default)]
pub struct Objects {
    pub vars: Vars,
    pub objects: HashMap<Address, Obj>,
    pub locals: LocalValues,
}

impl Objects {
    pub fn new(vars: Vars) -> Objects {
        Objects {
            vars,
            objects: HashMap::new(),
            locals: LocalValues::default(),
        }
    }

    /// The same, evaluating `cfg`'s locals.
    pub fn with_locals(mut self, cfg: &Config) -> Objects {
        self.locals = LocalValues::new(cfg);
        self
    }

    pub fn set(&mut self, addr: Address, value: Value, sensitive: Vec<Path>) {
        self.objects.insert(addr, Obj { value, sensitive });
    }
}

impl Scope for Objects {
    fn var(&self, name: &str) -> Option<&VarValue> {
        self.vars.get(name)
    }

    fn object(&self, addr: &Address) -> Option<ObjectView<'_>> {
        self.objects.get(addr).map(|o| ObjectView {
            value: &o.value,
            sensitive: &o.sensitive,
        })
    }

    fn local(&self, name: &str) -> Option<Result<ObjectView<'_>, String>> {
        self.locals.get(name, self)
    }
}

/// The planner's scope: what it has planned so far, falling back to the state for objects it
/// leaves unchanged — so planning a large state does not copy every object.
pub struct PlanScope<'a> {
    pub planned: Objects,
    state: &'a crate::state::State,
    /// Sensitive paths of state objects that have any.
    state_sensitive: HashMap<Address, Vec<Path>>,
}

impl<'a> PlanScope<'a> {
    pub fn new(vars: Vars, state: &'a crate::state::State) -> PlanScope<'a> {
        let state_sensitive = state
            .resources
            .iter()
            .filter(|(_, r)| !r.sensitive.is_empty())
            .map(|(a, r)| {
                (
                    a.clone(),
                    r.sensitive
                        .keys()
                        .filter_map(|k| crate::value::parse_path(k))
                        .collect(),
                )
            })
            .collect();
        PlanScope {
            planned: Objects::new(vars),
            state,
            state_sensitive,
        }
    }

    /// The same, evaluating `cfg`'s locals.
    pub fn with_locals(mut self, cfg: &Config) -> PlanScope<'a> {
        self.planned.locals = LocalValues::new(cfg);
        self
    }
}

impl Scope for PlanScope<'_> {
    fn var(&self, name: &str) -> Option<&VarValue> {
        self.planned.var(name)
    }

    fn object(&self, addr: &Address) -> Option<ObjectView<'_>> {
        if let Some(v) = self.planned.object(addr) {
            return Some(v);
        }
        self.state.resources.get(addr).map(|r| ObjectView {
            value: &r.attributes,
            sensitive: self
                .state_sensitive
                .get(addr)
                .map(Vec::as_slice)
                .unwrap_or(&[]),
        })
    }

    fn local(&self, name: &str) -> Option<Result<ObjectView<'_>, String>> {
        self.planned.locals.get(name, self)
    }
}
