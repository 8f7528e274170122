//! The plan as JSON (docs/plan-json.md, a contract): strata's `action` beside Terraform's
//! `change.actions`, before/after/after_unknown, sensitivity trees, replace paths, reasons,
//! dependencies, output changes and drift.

use crate::plan::sensitive::tree;
use crate::plan::{Change, Drift, OutputChange, Plan};
use crate::value::{Path, PathSeg, Value};
use serde_json::{json, Value as J};

fn sensitive_tree(present: bool, paths: &[Path]) -> J {
    if !present {
        return J::Bool(false);
    }
    tree(paths)
}

fn path_json(p: &Path) -> J {
    J::Array(
        p.iter()
            .map(|s| match s {
                PathSeg::Key(k) => J::String(k.clone()),
                PathSeg::Index(i) => json!(i),
            })
            .collect(),
    )
}

fn known(v: Option<&Value>) -> J {
    v.map(Value::to_json).unwrap_or(J::Null)
}

fn unknown(v: Option<&Value>) -> J {
    match v {
        Some(v) if v.has_unknown() => v.unknown_mask(),
        Some(Value::Map(_)) => json!({}),
        _ => J::Bool(false),
    }
}

fn change_json(c: &Change) -> J {
    // An unchanged object is planned as it is: `after` is `before`.
    let after = match (c.action, &c.after) {
        (crate::plan::Action::NoOp, None) => c.before.as_ref(),
        (_, a) => a.as_ref(),
    };
    let after_sensitive = if c.action == crate::plan::Action::NoOp {
        &c.before_sensitive
    } else {
        &c.after_sensitive
    };
    let mut obj = json!({
        "address": c.addr.to_string(),
        "mode": if c.addr.is_data() { "data" } else { "managed" },
        "type": c.addr.ty,
        "name": c.addr.name,
        "provider": c.addr.provider(),
        "action": c.action.as_str(),
        "change": {
            "actions": c.action.terraform(c.create_before_destroy),
            "before": known(c.before.as_ref()),
            "after": known(after),
            "after_unknown": unknown(after),
            "before_sensitive": sensitive_tree(c.before.is_some(), &c.before_sensitive),
            "after_sensitive": sensitive_tree(after.is_some(), after_sensitive),
            "replace_paths": c.replace_paths.iter().map(path_json).collect::<Vec<_>>(),
        },
        "action_reason": c.reason.map(|r| r.as_str()),
        "depends_on": c.depends_on.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
    });
    if let Some(k) = &c.addr.key {
        obj["index"] = k.json();
    }
    if !c.addr.module.is_empty() {
        obj["module_address"] = json!(crate::address::module_text(&c.addr.module));
    }
    if let Some(from) = &c.previous_address {
        obj["previous_address"] = json!(from.to_string());
    }
    if let Some(d) = &c.deposed {
        obj["deposed"] = json!(d);
    }
    if let Some(cl) = &c.clone {
        obj["clone"] = known(Some(cl));
    }
    if let Some(i) = &c.importing {
        obj["change"]["importing"] = json!({ "id": i.id });
    }
    obj
}

fn output_json(o: &OutputChange) -> J {
    let mask = |v: Option<&Value>| {
        if o.sensitive {
            J::Null
        } else {
            known(v)
        }
    };
    json!({
        "actions": o.action.terraform(false),
        "before": mask(o.before.as_ref()),
        "after": mask(o.after.as_ref()),
        "after_unknown": o.after.as_ref().is_some_and(Value::has_unknown),
        "before_sensitive": o.sensitive,
        "after_sensitive": o.sensitive,
    })
}

fn drift_json(d: &Drift) -> J {
    json!({
        "address": d.addr.to_string(),
        "mode": "managed",
        "type": d.addr.ty,
        "name": d.addr.name,
        "provider": d.addr.provider(),
        "action": d.action.as_str(),
        "change": {
            "actions": d.action.terraform(false),
            "before": d.before.to_json(),
            "after": known(d.after.as_ref()),
            "before_sensitive": sensitive_tree(true, &d.sensitive),
            "after_sensitive": sensitive_tree(d.after.is_some(), &d.sensitive),
        },
    })
}

/// A deferred block, as Terraform's `deferred_changes` entries: why, and which block.
fn deferred_json(plan: &Plan, a: &crate::address::Address) -> J {
    let own = plan.repeated.get(a).is_some_and(|r| r.is_deferred());
    json!({
        "reason": if own { "instance_count_unknown" } else { "deferred_prereq" },
        "resource_change": {
            "address": a.to_string(),
            "mode": if a.is_data() { "data" } else { "managed" },
            "type": a.ty,
            "name": a.name,
            "provider": a.provider(),
        },
    })
}

pub fn render(plan: &Plan) -> J {
    let outputs: serde_json::Map<String, J> = plan
        .outputs
        .iter()
        .map(|o| (o.name.clone(), output_json(o)))
        .collect();
    let mut doc = json!({
        "format_version": "1",
        "stack": plan.stack,
        "state": { "lineage": plan.lineage, "serial": plan.serial },
        "summary": plan.summary(),
        "resource_changes": plan.changes.iter().map(change_json).collect::<Vec<_>>(),
        "output_changes": outputs,
        "resource_drift": plan.drift.iter().map(drift_json).collect::<Vec<_>>(),
    });
    if !plan.reconciled.is_empty() {
        doc["reconciled"] = json!(plan.reconciled);
    }
    doc["has_changes"] = json!(plan.has_changes());
    doc["complete"] = json!(plan.deferred.is_empty());
    if !plan.deferred.is_empty() {
        doc["deferred_changes"] = json!(plan
            .deferred
            .iter()
            .map(|a| deferred_json(plan, a))
            .collect::<Vec<_>>());
    }
    doc["errored"] = json!(!plan.conflicts.is_empty());
    if !plan.conflicts.is_empty() {
        doc["conflicts"] = json!(plan
            .conflicts
            .iter()
            .map(|c| json!({ "address": c.addr.to_string(), "message": c.message }))
            .collect::<Vec<_>>());
    }
    doc
}
