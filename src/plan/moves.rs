//! `moved:` and `removed:` in the plan: [`resolve`] checks the entries (conflicts, chains,
//! type changes, targets already in state, removed blocks still configured) and turns them
//! into state-only journal entries — `Move` for every object moved, `Remove` for every
//! object forgotten — which the planner applies to its state before diffing (so a move plus
//! an attribute change is a move plus an update) and an apply journals before anything else
//! (one write: no API call, nothing to reconcile after a kill). [`Resolved::annotate`]
//! marks the plan's changes with their `previous_address` and adds the `Forget` changes;
//! [`warnings`] names blocks that became (or stopped being) repeated without a move.
//!
//! Invariants: addresses are `Address` values, compared with `in_block` (never built as
//! text); a move whose `from` is not in state is already done and does nothing; two entries
//! never touch the same address.

use super::{Action, Plan, Reason, Repetition};
use crate::address::Address;
use crate::config::Config;
use crate::diag::Diagnostics;
use crate::state::journal::Entry;
use crate::state::{ResourceState, State};
use std::collections::BTreeMap;

/// What the entries do to this state.
#[derive(Debug, Default)]
pub struct Resolved {
    /// State-only journal entries, in order: moves, then forgets.
    pub entries: Vec<Entry>,
    /// Every object moved: new address → previous address.
    pub moved: BTreeMap<Address, Address>,
    /// Every object forgotten, as it was in state.
    pub forgets: Vec<(Address, ResourceState)>,
}

/// The objects of state an entry moves: `from` itself, or every instance of the block
/// `from` to the same key under `to` (when neither names a key).
fn pairs(m: &crate::config::moves::Moved, state: &State) -> Vec<(Address, Address)> {
    if state.resources.contains_key(&m.from) {
        return vec![(m.from.clone(), m.to.clone())];
    }
    if m.from.key.is_some() || m.to.key.is_some() {
        return Vec::new();
    }
    state
        .resources
        .keys()
        .filter(|a| a.key.is_some() && a.in_block(&m.from))
        .filter_map(|a| Some((a.clone(), m.to.instance(a.key.clone()?))))
        .collect()
}

/// `state` with `entries` applied, when there are any (`None`: the state as it is).
pub fn applied(state: &State, entries: &[Entry]) -> Option<State> {
    if entries.is_empty() {
        return None;
    }
    let mut s = state.clone();
    for e in entries {
        s.apply(e);
    }
    Some(s)
}

/// Check the entries and resolve them against `state` (see the module header).
pub fn resolve(cfg: &Config, state: &State) -> Result<Resolved, Diagnostics> {
    let mut diags = crate::config::moves::check(cfg);
    let mut out = Resolved::default();
    if !diags.has_errors() {
        for m in &cfg.moved {
            for (from, to) in pairs(m, state) {
                if state.resources.contains_key(&to) {
                    let msg = format!(
                        "moved: cannot move {from} to {to}: the state already has an object at {to}"
                    );
                    diags.push(m.error(cfg, msg).hint(
                        "remove the entry, or `strata state rm` one of the two objects first",
                    ));
                    continue;
                }
                out.entries.push(Entry::Move {
                    from: from.clone(),
                    to: to.clone(),
                });
                out.moved.insert(to, from);
            }
        }
        forgets(cfg, state, &mut out);
    }
    if diags.has_errors() {
        cfg.resolve_lines(&mut diags);
        return Err(diags);
    }
    Ok(out)
}

/// The objects `removed:` entries with `destroy: false` forget (after the moves).
fn forgets(cfg: &Config, state: &State, out: &mut Resolved) {
    let moved = applied(state, &out.entries);
    let after = moved.as_ref().unwrap_or(state);
    for r in cfg.removed.iter().filter(|r| !r.destroy) {
        for (addr, res) in after.resources.iter().filter(|(a, _)| a.in_block(&r.from)) {
            if out.forgets.iter().any(|(a, _)| a == addr) {
                continue;
            }
            out.entries.push(Entry::Remove {
                addr: addr.clone(),
                intent: None,
            });
            out.forgets.push((addr.clone(), res.clone()));
        }
    }
}

impl Resolved {
    /// Mark the plan's changes of moved objects and add a `Forget` change per object
    /// forgotten.
    pub fn annotate(&self, plan: &mut Plan) {
        for c in plan.changes.iter_mut().filter(|c| c.deposed.is_none()) {
            if let Some(from) = self.moved.get(&c.addr) {
                c.previous_address = Some(from.clone());
            }
        }
        for (addr, r) in &self.forgets {
            // a delete's change, but forgotten: no API call, so nothing to wait for
            let reason = Some(Reason::DeleteBecauseNoResourceConfig);
            let mut c = super::diff::delete_change(addr, r, reason);
            c.action = Action::Forget;
            c.depends_on.clear();
            c.previous_address = self.moved.get(addr).cloned();
            plan.changes.push(c);
        }
        plan.changes
            .sort_by(|a, b| (&a.addr, &a.deposed).cmp(&(&b.addr, &b.deposed)));
    }
}

/// Blocks that became repeated (state has `a`, the config `a[…]`) or stopped being
/// repeated without a `moved:` entry: the plan destroys the old object and creates the new
/// one, which is rarely what was meant.
pub fn warnings(plan: &Plan) -> Vec<String> {
    let mut out = Vec::new();
    for c in plan.changes.iter().filter(|c| c.action == Action::Delete) {
        if c.deposed.is_some() || c.reason != Some(Reason::DeleteBecauseNoResourceConfig) {
            continue;
        }
        let block = c.addr.block();
        let created = |a: &Address| {
            plan.changes
                .iter()
                .find(|n| n.action.makes() && n.addr.in_block(a) && n.addr != c.addr)
        };
        let msg = match (&c.addr.key, plan.repeated.get(&block)) {
            (None, Some(Repetition::Instances(_, keys))) => {
                let Some(k) = keys.first() else { continue };
                let to = c.addr.instance(k.clone());
                format!(
                    "{} became repeated (count/for_each): this plan destroys {} and creates {to}; \
                     to keep the object, add moved: [ {{ from: {}, to: {to} }} ]",
                    c.addr, c.addr, c.addr
                )
            }
            (Some(_), None) if created(&block).is_some_and(|n| n.addr.key.is_none()) => format!(
                "{block} is no longer repeated: this plan destroys {} and creates {block}; \
                 to keep the object, add moved: [ {{ from: {}, to: {block} }} ]",
                c.addr, c.addr
            ),
            _ => continue,
        };
        out.push(msg);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{Object, ResourceState};

    fn addr(s: &str) -> Address {
        Address::parse(s).unwrap()
    }

    fn config(text: &str) -> Config {
        let files = vec![crate::config::SourceFile {
            path: "main.yaml".into(),
            text: text.into(),
            module: String::new(),
        }];
        let (cfg, diags) = crate::config::load_sources(std::path::Path::new(""), "s", files);
        assert!(!diags.has_errors(), "{diags:?}");
        cfg
    }

    fn state(addrs: &[&str]) -> State {
        let mut s = State::new("s");
        for a in addrs {
            let a = addr(a);
            let r = ResourceState::new(&a, Object::created("id"), Vec::new());
            s.resources.insert(a, r);
        }
        s
    }

    const T: &str = "huaweicloud_rds_parameter_template";

    #[test]
    fn a_whole_block_moves_every_instance_and_a_done_move_does_nothing() {
        let cfg = config(&format!("moved:\n  - {{ from: {T}.b, to: {T}.c }}\n"));
        let st = state(&[&format!("{T}.b[0]"), &format!("{T}.b[1]")]);
        let r = resolve(&cfg, &st).unwrap();
        assert_eq!(r.entries.len(), 2);
        assert_eq!(
            r.moved.get(&addr(&format!("{T}.c[1]"))),
            Some(&addr(&format!("{T}.b[1]")))
        );
        let done = applied(&st, &r.entries).unwrap();
        assert!(resolve(&cfg, &done).unwrap().entries.is_empty());
    }

    #[test]
    fn a_move_rewrites_the_dependencies_naming_the_object() {
        let mut st = state(&[&format!("{T}.a")]);
        let dep = addr(&format!("{T}.d"));
        let r = ResourceState::new(&dep, Object::created("d"), vec![addr(&format!("{T}.a"))]);
        st.resources.insert(dep.clone(), r);
        st.apply(&Entry::Move {
            from: addr(&format!("{T}.a")),
            to: addr(&format!("module.m.{T}.a")),
        });
        assert_eq!(
            st.resources[&dep].dependencies,
            [addr(&format!("module.m.{T}.a"))]
        );
    }
}
