//! Plans: the diff of config against (refreshed) state as a list of resource changes —
//! create / clone / bind / update / replace / delete / read / no-op — plus output changes,
//! drift found by refresh, and intents reconciled from an interrupted run.

pub mod diff;
#[cfg(test)]
mod diff_tests;
pub mod generate;
pub mod imports;
pub mod moves;
pub mod prepared;
pub mod refresh;
pub mod render;
pub mod saved;
pub mod scope;
/// Masking and fingerprinting live with the state they protect; re-exported for the planner.
pub use crate::state::sensitive;

use crate::address::Address;
use crate::value::{Path, Value};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Create,
    Clone,
    Bind,
    Update,
    Replace,
    Delete,
    Read,
    NoOp,
    /// Removed from state without being destroyed (`removed:` with `destroy: false`).
    Forget,
}

impl Action {
    pub fn as_str(&self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Clone => "clone",
            Action::Bind => "bind",
            Action::Update => "update",
            Action::Replace => "replace",
            Action::Delete => "delete",
            Action::Read => "read",
            Action::NoOp => "no-op",
            Action::Forget => "forget",
        }
    }

    /// Terraform's vocabulary for `change.actions`.
    pub fn terraform(&self, create_before_destroy: bool) -> Vec<&'static str> {
        match self {
            Action::Create | Action::Clone | Action::Bind => vec!["create"],
            Action::Update => vec!["update"],
            Action::Replace if create_before_destroy => vec!["create", "delete"],
            Action::Replace => vec!["delete", "create"],
            Action::Delete => vec!["delete"],
            Action::Read => vec!["read"],
            Action::NoOp => vec!["no-op"],
            Action::Forget => vec!["forget"],
        }
    }

    /// Makes a new object (create, clone, bind).
    pub fn makes(&self) -> bool {
        matches!(self, Action::Create | Action::Clone | Action::Bind)
    }

    pub fn is_change(&self) -> bool {
        !matches!(self, Action::NoOp | Action::Read)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    ReplaceBecauseTainted,
    ReplaceBecauseCannotUpdate,
    ReplaceByRequest,
    DeleteBecauseNoResourceConfig,
    /// A `for_each` instance whose key is no longer in the map or set.
    DeleteBecauseEachKey,
    /// A `count` instance whose index is no longer below the count.
    DeleteBecauseCountIndex,
    ReadBecauseConfigUnknown,
    ReadBecauseDependencyPending,
}

impl Reason {
    pub fn as_str(&self) -> &'static str {
        match self {
            Reason::ReplaceBecauseTainted => "replace_because_tainted",
            Reason::ReplaceBecauseCannotUpdate => "replace_because_cannot_update",
            Reason::ReplaceByRequest => "replace_by_request",
            Reason::DeleteBecauseNoResourceConfig => "delete_because_no_resource_config",
            Reason::DeleteBecauseEachKey => "delete_because_each_key",
            Reason::DeleteBecauseCountIndex => "delete_because_count_index",
            Reason::ReadBecauseConfigUnknown => "read_because_config_unknown",
            Reason::ReadBecauseDependencyPending => "read_because_dependency_pending",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Change {
    pub addr: Address,
    pub action: Action,
    pub reason: Option<Reason>,
    pub before: Option<Value>,
    /// Planned attributes; `Unknown` where known only after apply; `null` where sensitive.
    #[serde(with = "crate::value::tagged::option")]
    pub after: Option<Value>,
    pub before_sensitive: Vec<Path>,
    pub after_sensitive: Vec<Path>,
    /// What forces a replacement (`replace_paths`), each with why it cannot change in place.
    #[serde(default)]
    pub replace_reasons: Vec<Forced>,
    /// Sensitive paths whose value changed (seen by fingerprint; both sides are masked).
    #[serde(default)]
    pub sensitive_changed: Vec<Path>,
    pub depends_on: Vec<Address>,
    pub create_before_destroy: bool,
    /// The evaluated `clone:` block, and how to name the source in a plan.
    #[serde(with = "crate::value::tagged::option")]
    pub clone: Option<Value>,
    pub clone_label: Option<String>,
    /// Where the existing object was cloned from (when replacing it).
    pub prior_clone: Option<Value>,
    /// Set when this deletes a deposed object (left by create_before_destroy).
    pub deposed: Option<String>,
    /// The id of the object before the change.
    pub prior_id: Option<String>,
    /// Set when an `import:` entry adopts the object (`plan::imports`): it is read, not made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub importing: Option<Importing>,
    /// The address the object had in state before a `moved:` entry moved it here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_address: Option<Address>,
}

/// Why a change replaces its object instead of updating it: the attribute (or `clone`) that
/// forces it and the reason in the plan's words (why the API cannot make the change in place).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Forced {
    pub path: Path,
    pub why: String,
}

impl Change {
    /// The paths that force this replacement (Terraform's `replace_paths`; `clone` included).
    pub fn replace_paths(&self) -> impl Iterator<Item = &Path> {
        self.replace_reasons.iter().map(|f| &f.path)
    }
}

/// An import in a plan: the cloud's id of the object adopted (Terraform's
/// `change.importing`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Importing {
    pub id: String,
}

impl Change {
    /// A change with nothing but its address and action set.
    pub fn new(addr: Address, action: Action) -> Change {
        Change {
            addr,
            action,
            reason: None,
            before: None,
            after: None,
            before_sensitive: Vec::new(),
            after_sensitive: Vec::new(),
            replace_reasons: Vec::new(),
            sensitive_changed: Vec::new(),
            depends_on: Vec::new(),
            create_before_destroy: false,
            clone: None,
            clone_label: None,
            prior_clone: None,
            deposed: None,
            prior_id: None,
            importing: None,
            previous_address: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OutputChange {
    pub name: String,
    pub action: Action,
    pub before: Option<Value>,
    #[serde(with = "crate::value::tagged::option")]
    pub after: Option<Value>,
    pub sensitive: bool,
}

/// A difference between the state and the cloud, found by refresh.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Drift {
    pub addr: Address,
    /// `Update` (changed outside strata) or `Delete` (deleted outside strata).
    pub action: Action,
    pub before: Value,
    pub after: Option<Value>,
    pub sensitive: Vec<Path>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Options {
    pub destroy: bool,
    pub refresh: bool,
    pub targets: Vec<Address>,
    pub replace: Vec<Address>,
    /// `--exclude`: left out, with what depends on them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excludes: Vec<Address>,
    /// `--refresh-only`: nothing is planned but recording what refresh found (drift) and the
    /// outputs' values from the refreshed state; no object is created, changed or deleted.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub refresh_only: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Plan {
    pub stack: String,
    pub lineage: String,
    pub serial: u64,
    pub changes: Vec<Change>,
    pub outputs: Vec<OutputChange>,
    pub drift: Vec<Drift>,
    /// What was reconciled from an interrupted run's open intents.
    pub reconciled: Vec<String>,
    pub options: Options,
    /// Changes that break `lifecycle.prevent_destroy`: the plan is shown, but cannot be applied.
    #[serde(default)]
    pub conflicts: Vec<Conflict>,
    /// The repeated blocks: their instances, or that they are deferred.
    #[serde(default)]
    pub repeated: std::collections::BTreeMap<Address, Repetition>,
    /// The blocks planned only once what they need is known (after this plan is applied).
    #[serde(default)]
    pub deferred: Vec<Address>,
}

/// What a repeated block (`count` / `for_each`) makes in a plan.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum Repetition {
    /// These instances, in key order.
    Instances(
        crate::config::instances::RepeatKind,
        Vec<crate::address::Key>,
    ),
    /// `count` / `for_each` is known only after apply: the block's instances are planned
    /// once it is (`apply` does so in the same run).
    Deferred(crate::config::instances::RepeatKind),
}

impl Repetition {
    pub fn is_deferred(&self) -> bool {
        matches!(self, Repetition::Deferred(_))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Conflict {
    pub addr: Address,
    /// The full diagnostic: file, line, address, what and what to do.
    pub message: String,
}

impl Plan {
    /// Every conflict, one diagnostic per line, as the message of the command's failure
    /// (which adds the first `Error:` label itself); `None` when there are none.
    pub fn conflict_report(&self) -> Option<String> {
        let all: Vec<&str> = self.conflicts.iter().map(|c| c.message.as_str()).collect();
        let text = all.join("\n");
        (!all.is_empty()).then(|| text.strip_prefix("Error: ").unwrap_or(&text).to_string())
    }
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Summary {
    pub create: usize,
    pub clone: usize,
    pub bind: usize,
    pub update: usize,
    pub replace: usize,
    pub delete: usize,
    pub read: usize,
    #[serde(rename = "no-op")]
    pub no_op: usize,
    /// Objects an `import:` entry adopts (counted besides their action).
    #[serde(skip_serializing_if = "is_zero")]
    pub import: usize,
    /// Objects moved to a new address (whatever else their change does).
    #[serde(rename = "move", skip_serializing_if = "is_zero")]
    pub moved: usize,
    #[serde(skip_serializing_if = "is_zero")]
    pub forget: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Plan {
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for c in &self.changes {
            *match c.action {
                Action::Create => &mut s.create,
                Action::Clone => &mut s.clone,
                Action::Bind => &mut s.bind,
                Action::Update => &mut s.update,
                Action::Replace => &mut s.replace,
                Action::Delete => &mut s.delete,
                Action::Read => &mut s.read,
                Action::NoOp => &mut s.no_op,
                Action::Forget => &mut s.forget,
            } += 1;
            s.import += usize::from(c.importing.is_some());
            if c.previous_address.is_some() {
                s.moved += 1;
            }
        }
        s
    }

    /// Whether applying would change anything (resources or outputs), or blocks are deferred
    /// (planned once this plan is applied); a refresh-only plan changes the state when refresh
    /// found drift.
    pub fn has_changes(&self) -> bool {
        (self.options.refresh_only && !self.drift.is_empty())
            || !self.deferred.is_empty()
            || self.changes.iter().any(|c| {
                c.action.is_change() || c.importing.is_some() || c.previous_address.is_some()
            })
            || self.outputs.iter().any(|o| o.action != Action::NoOp)
    }

    pub fn change(&self, addr: &Address) -> Option<&Change> {
        self.changes
            .iter()
            .find(|c| &c.addr == addr && c.deposed.is_none())
    }
}

impl Change {
    /// Whether arguments evaluated at apply time are the ones this change planned: every value
    /// known when planning (sensitive ones aside, which are checked by fingerprint) must be the
    /// same, so `apply` does exactly what the plan shows. Names the first attribute that
    /// differs.
    pub fn check_agrees(
        &self,
        args: &crate::value::Map,
        clone: Option<&Value>,
    ) -> Result<(), String> {
        let after = self.after.as_ref().and_then(Value::as_map);
        for (k, now) in args {
            let planned = after.and_then(|m| m.get(k)).unwrap_or(&Value::Null);
            let path = vec![crate::value::PathSeg::Key(k.clone())];
            self.agree(planned, now, path)?;
        }
        if let (Some(planned), Some(now)) = (&self.clone, clone) {
            self.agree(planned, now, vec![crate::value::key("clone")])?;
        }
        Ok(())
    }

    fn agree(&self, planned: &Value, now: &Value, path: Path) -> Result<(), String> {
        if matches!(planned, Value::Unknown)
            || sensitive::is_sensitive(&path, &self.after_sensitive)
        {
            return Ok(());
        }
        match (planned, now) {
            (Value::Map(p), Value::Map(n)) => {
                for k in p.keys().chain(n.keys()) {
                    let mut sub = path.clone();
                    sub.push(crate::value::PathSeg::Key(k.clone()));
                    let null = Value::Null;
                    self.agree(p.get(k).unwrap_or(&null), n.get(k).unwrap_or(&null), sub)?;
                }
                Ok(())
            }
            (Value::List(p), Value::List(n)) if p.len() == n.len() => {
                for (i, (a, b)) in p.iter().zip(n).enumerate() {
                    let mut sub = path.clone();
                    sub.push(crate::value::PathSeg::Index(i));
                    self.agree(a, b, sub)?;
                }
                Ok(())
            }
            _ if diff::equivalent(Some(planned), Some(now)) => Ok(()),
            _ => Err(format!(
                "{} evaluates to {} at apply time, but the plan shows {}: nothing was changed; make a new plan",
                crate::value::path_string(&path),
                now.to_json(),
                planned.to_json()
            )),
        }
    }
}
