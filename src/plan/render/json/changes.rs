//! The changes of the plan document: `resource_changes` (Terraform's entry, with strata's
//! `action`, `provider`, `clone`, `depends_on` beside it), `output_changes`,
//! `resource_drift` and `deferred_changes`.
//!
//! Invariants: data sources read while planning are not resource changes (Terraform lists
//! only reads left to apply; the plan-time ones are in `prior_state`); `after` never holds an
//! unknown or a secret; `replace_paths` name attributes only — a moved clone source is the
//! reason `replace_because_clone_source_changed` instead.

use super::values::{known, path_json, sensitive, unknown};
use super::{identity, CLONE_SOURCE_CHANGED};
use crate::plan::{Action, Change, Drift, OutputChange, Plan, Reason};
use crate::value::{key, Path, Value};
use serde_json::{json, Value as J};

/// Whether a change is a resource change of the document (not a read done while planning).
pub fn listed(c: &Change) -> bool {
    !(c.action == Action::Read && c.reason.is_none())
}

/// The planned value of a change: `after`, or `before` for an unchanged object.
pub fn planned(c: &Change) -> Option<&Value> {
    match (c.action, &c.after) {
        (Action::NoOp, None) => c.before.as_ref(),
        (_, a) => a.as_ref(),
    }
}

/// The sensitive paths of [`planned`].
pub fn planned_sensitive(c: &Change) -> &[Path] {
    match c.action {
        Action::NoOp => &c.before_sensitive,
        _ => &c.after_sensitive,
    }
}

fn clone_path() -> Path {
    vec![key("clone")]
}

/// `replace_paths` without the clone source, which is no attribute.
fn replace_paths(c: &Change) -> Vec<J> {
    c.replace_paths()
        .filter(|p| **p != clone_path())
        .map(|p| path_json(p))
        .collect()
}

/// strata's own: each path that forces the replacement (the clone source as `["clone"]`)
/// with why it cannot change in place.
fn replace_reasons(c: &Change) -> J {
    J::Array(
        c.replace_reasons
            .iter()
            .map(|f| json!({ "path": path_json(&f.path), "reason": f.why }))
            .collect(),
    )
}

fn action_reason(c: &Change) -> Option<&'static str> {
    let clone_only = c.replace_paths().eq([&clone_path()]);
    match c.reason {
        Some(Reason::ReplaceBecauseCannotUpdate) if clone_only => Some(CLONE_SOURCE_CHANGED),
        r => r.map(|r| r.as_str()),
    }
}

fn change_body(c: &Change) -> J {
    let after = planned(c);
    let mut body = json!({
        "actions": c.action.terraform(c.create_before_destroy),
        "before": c.before.as_ref().map_or(J::Null, |b| known(b, &c.before_sensitive)),
        "after": after.map_or(J::Null, |a| known(a, planned_sensitive(c))),
        "after_unknown": after.map_or_else(|| json!({}), unknown),
        "before_sensitive": sensitive(c.before.as_ref(), &c.before_sensitive),
        "after_sensitive": sensitive(after, planned_sensitive(c)),
        "replace_paths": replace_paths(c),
    });
    if let Some(i) = &c.importing {
        body["importing"] = json!({ "id": i.id });
    }
    body
}

/// [`identity`] with `module_address` (a change's and a drift's), and strata's `provider`.
fn changed_object(a: &crate::address::Address) -> J {
    let mut obj = identity(a);
    if !a.module.is_empty() {
        obj["module_address"] = json!(crate::address::module_text(&a.module));
    }
    obj["provider"] = json!(a.provider());
    obj
}

pub fn resource_change(c: &Change) -> J {
    let mut obj = changed_object(&c.addr);
    obj["action"] = json!(c.action.as_str());
    obj["change"] = change_body(c);
    obj["action_reason"] = json!(action_reason(c));
    if !c.replace_reasons.is_empty() {
        obj["replace_reasons"] = replace_reasons(c);
    }
    obj["depends_on"] = json!(c
        .depends_on
        .iter()
        .map(|a| a.to_string())
        .collect::<Vec<_>>());
    if let Some(from) = &c.previous_address {
        obj["previous_address"] = json!(from.to_string());
    }
    if let Some(d) = &c.deposed {
        obj["deposed"] = json!(d);
    }
    if let Some(cl) = &c.clone {
        obj["clone"] = known(cl, &[]);
    }
    obj
}

/// An output's value as the document shows it: nothing of a sensitive one.
fn output_value(o: &OutputChange, v: Option<&Value>) -> J {
    match v {
        Some(v) if !o.sensitive => known(v, &[]),
        _ => J::Null,
    }
}

pub fn output_change(o: &OutputChange) -> J {
    let mut obj = json!({
        "actions": o.action.terraform(false),
        "before": output_value(o, o.before.as_ref()),
    });
    // wholly unknown: Terraform leaves `after` out and says so in `after_unknown`
    if !matches!(o.after, Some(Value::Unknown)) {
        obj["after"] = output_value(o, o.after.as_ref());
    }
    obj["after_unknown"] = o.after.as_ref().map_or(J::Bool(false), unknown);
    obj["before_sensitive"] = json!(o.sensitive);
    obj["after_sensitive"] = json!(o.sensitive);
    obj
}

pub fn drift(d: &Drift) -> J {
    let mut obj = changed_object(&d.addr);
    obj["action"] = json!(d.action.as_str());
    obj["change"] = json!({
        "actions": d.action.terraform(false),
        "before": known(&d.before, &d.sensitive),
        "after": d.after.as_ref().map_or(J::Null, |a| known(a, &d.sensitive)),
        "after_unknown": {},
        "before_sensitive": sensitive(Some(&d.before), &d.sensitive),
        "after_sensitive": sensitive(d.after.as_ref(), &d.sensitive),
    });
    obj
}

/// A deferred block, as Terraform's `deferred_changes` entries: why, and which block.
pub fn deferred(plan: &Plan, a: &crate::address::Address) -> J {
    let own = plan.repeated.get(a).is_some_and(|r| r.is_deferred());
    let mut rc = identity(a);
    rc["provider"] = json!(a.provider());
    json!({
        "reason": if own { "instance_count_unknown" } else { "deferred_prereq" },
        "resource_change": rc,
    })
}
