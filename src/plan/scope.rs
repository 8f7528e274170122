//! The evaluation scope of plan and apply: variable values, every object's attributes
//! (known from state, planned with unknowns, or filled in as apply completes) and the
//! locals, each evaluated once per scope against it (`config::locals::LocalValues`).
//! A repeated block (`count` / `for_each`) is seen whole as the list or map of its instances,
//! built from the instances' own entries; while its instances are not known (deferred) it is
//! unknown.
//! Invariant: a local is evaluated only when something refers to it, and everything that
//! refers to a local waits for every object the local uses, so the value a scope keeps for a
//! local is computed from those objects' final values in that pass (at apply, the values
//! just made, not the unknowns planned).

use super::Repetition;
use crate::address::{Address, Key};
use crate::config::eval::{ObjectView, Scope};
use crate::config::instances::{Each, RepeatKind};
use crate::config::locals::LocalValues;
use crate::config::vars::{VarValue, Vars};
use crate::config::Config;
use crate::value::{Map, Path, PathSeg, Value};
use std::borrow::Cow;
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
    /// The repeated blocks and their instances.
    pub repeated: HashMap<Address, Repetition>,
    pub locals: LocalValues,
    /// The stack directory, which `file(…)` reads from (empty: the working directory).
    pub dir: std::path::PathBuf,
}

impl Objects {
    pub fn new(vars: Vars) -> Objects {
        Objects {
            vars,
            ..Objects::default()
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

    fn own(&self, addr: &Address) -> Option<ObjectView<'_>> {
        self.objects
            .get(addr)
            .map(|o| ObjectView::borrowed(&o.value, &o.sensitive))
    }
}

impl Scope for Objects {
    fn var(&self, name: &str) -> Option<&VarValue> {
        self.vars.get(name)
    }

    fn object(&self, addr: &Address) -> Option<ObjectView<'_>> {
        match self.repeated.get(addr) {
            Some(r) => Some(whole(addr, r, |a| self.own(a))),
            None => self.own(addr),
        }
    }

    fn local(&self, name: &str) -> Option<Result<ObjectView<'_>, String>> {
        self.locals.get(name, self)
    }

    fn dir(&self) -> &std::path::Path {
        crate::config::stack_dir(&self.dir)
    }
}

/// A repeated block seen whole: the list (`count`) or map (`for_each`) of its instances'
/// values, each from `instance` (unknown where it has none yet).
pub fn whole<'a>(
    block: &Address,
    r: &Repetition,
    instance: impl Fn(&Address) -> Option<ObjectView<'a>>,
) -> ObjectView<'static> {
    let (kind, keys) = match r {
        Repetition::Deferred(_) => return owned(Value::Unknown, Vec::new()),
        Repetition::Instances(kind, keys) => (kind, keys),
    };
    let mut sensitive = Vec::new();
    let mut list = Vec::new();
    let mut map = Map::new();
    for (i, k) in keys.iter().enumerate() {
        let view = instance(&block.instance(k.clone()));
        let (value, sens) = match view {
            Some(v) => (v.value.into_owned(), v.sensitive.into_owned()),
            None => (Value::Unknown, Vec::new()),
        };
        let seg = match (kind, k) {
            (RepeatKind::ForEach, Key::Name(n)) => PathSeg::Key(n.clone()),
            _ => PathSeg::Index(i),
        };
        sensitive.extend(sens.into_iter().map(|mut p| {
            p.insert(0, seg.clone());
            p
        }));
        match seg {
            PathSeg::Key(n) => {
                map.insert(n, value);
            }
            PathSeg::Index(_) => list.push(value),
        }
    }
    let value = match kind {
        RepeatKind::ForEach => Value::Map(map),
        RepeatKind::Count => Value::List(list),
    };
    owned(value, sensitive)
}

fn owned(value: Value, sensitive: Vec<Path>) -> ObjectView<'static> {
    ObjectView {
        value: Cow::Owned(value),
        sensitive: Cow::Owned(sensitive),
    }
}

/// The planner's scope: what it has planned so far, falling back to the state for objects it
/// leaves unchanged — so planning a large state does not copy every object.
pub struct PlanScope<'a> {
    pub planned: Objects,
    state: &'a crate::state::State,
    /// Sensitive paths of state objects that have any.
    state_sensitive: HashMap<Address, Vec<Path>>,
    /// The instance being planned, in a repeated block.
    pub each: Option<Each>,
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
            each: None,
        }
    }

    /// The same, evaluating `cfg`'s locals.
    pub fn with_locals(mut self, cfg: &Config) -> PlanScope<'a> {
        self.planned.locals = LocalValues::new(cfg);
        self
    }

    /// One object (or instance): as planned, else as in state.
    fn single(&self, addr: &Address) -> Option<ObjectView<'_>> {
        if let Some(v) = self.planned.own(addr) {
            return Some(v);
        }
        self.state.resources.get(addr).map(|r| {
            let sensitive = self
                .state_sensitive
                .get(addr)
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            ObjectView::borrowed(&r.attributes, sensitive)
        })
    }
}

impl Scope for PlanScope<'_> {
    fn var(&self, name: &str) -> Option<&VarValue> {
        self.planned.var(name)
    }

    fn instance(&self) -> Option<&Each> {
        self.each.as_ref()
    }

    fn object(&self, addr: &Address) -> Option<ObjectView<'_>> {
        match self.planned.repeated.get(addr) {
            Some(r) => Some(whole(addr, r, |a| self.single(a))),
            None => self.single(addr),
        }
    }

    fn local(&self, name: &str) -> Option<Result<ObjectView<'_>, String>> {
        self.planned.locals.get(name, self)
    }

    fn dir(&self) -> &std::path::Path {
        self.planned.dir()
    }
}
