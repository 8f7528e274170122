//! What planning prepared for an apply: the plan, the journal entries recording what
//! reconcile and refresh found, the state as loaded (the journal's base) and as it is now,
//! and the configured providers. `pending_entries` adds the data sources read while planning,
//! so applying records exactly what the plan saw.

use super::{Action, Plan};
use crate::providers::Providers;
use crate::state::journal::Entry;
use crate::state::{Made, Object, ResourceState, State};
use crate::value::Value;
use std::sync::Arc;

pub struct Prepared {
    pub plan: Plan,
    /// Journal entries recording what reconcile and refresh found.
    pub entries: Vec<Entry>,
    /// The identity of the state as loaded (the journal's base: lineage, serial, key).
    pub base: State,
    /// The state after reconcile and refresh.
    pub state: State,
    pub providers: Arc<Providers>,
    pub replayed: usize,
}

impl Prepared {
    /// Journal entries to record before applying: what reconcile and refresh found, and the
    /// data sources read while planning (where the state differs).
    pub fn pending_entries(&self) -> Vec<Entry> {
        let mut out = self.entries.clone();
        out.extend(data_entries(&self.plan, &self.state));
        out
    }
}

fn data_entries(plan: &Plan, state: &State) -> Vec<Entry> {
    let mut out = Vec::new();
    for c in &plan.changes {
        if c.action != Action::Read || c.reason.is_some() {
            continue;
        }
        let Some(after) = &c.after else { continue };
        let id = after
            .get("id")
            .and_then(Value::scalar_text)
            .unwrap_or_default();
        let r = ResourceState::new(
            &c.addr,
            Object {
                id,
                attributes: after.clone(),
                made: Made::Read,
                sensitive: Default::default(),
            },
            c.depends_on.clone(),
        );
        if state.resources.get(&c.addr) != Some(&r) {
            out.push(Entry::Put {
                addr: c.addr.clone(),
                resource: r,
                intent: None,
            });
        }
    }
    // Data sources no longer in the plan are forgotten (unless targeting left them out).
    if plan.options.targets.is_empty() {
        for addr in state.resources.keys() {
            if addr.is_data() && !plan.changes.iter().any(|c| &c.addr == addr) {
                out.push(Entry::Remove {
                    addr: addr.clone(),
                    intent: None,
                });
            }
        }
    }
    out
}
