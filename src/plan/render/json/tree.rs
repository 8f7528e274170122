//! `planned_values` and `prior_state`: every object as a Terraform module tree — the root
//! module's resources, then `child_modules` (one per module instance, nested as the calls
//! are), each resource with `address`, `mode`, `type`, `name`, `index`, `provider_name`,
//! `schema_version`, `values` and `sensitive_values` — and the outputs.
//!
//! Invariants: `planned_values` holds what exists once the plan is applied (no delete, no
//! forget, no deposed object; reads left to apply are there, reads done while planning are
//! not); `prior_state` holds what the refreshed state holds, the reads done while planning
//! included; no value there is unknown or secret.

use super::changes::{listed, planned, planned_sensitive};
use super::values::{known, sensitive};
use super::{identity, TERRAFORM_VERSION};
use crate::address::Step;
use crate::plan::{Action, Change, OutputChange, Plan};
use crate::value::{Path, Value};
use serde_json::{json, Map, Value as J};

/// One resource of a module tree, with the module path it goes under.
type Placed = (Vec<Step>, J);

fn resource(c: &Change, v: &Value, sens: &[Path]) -> Placed {
    let mut obj = identity(&c.addr);
    obj["schema_version"] = json!(0);
    obj["values"] = known(v, sens);
    obj["sensitive_values"] = sensitive(Some(v), sens);
    if let Some(d) = &c.deposed {
        obj["deposed_key"] = json!(d);
    }
    (c.addr.module.clone(), obj)
}

fn kept(c: &Change) -> bool {
    c.deposed.is_none() && !matches!(c.action, Action::Delete | Action::Forget) && listed(c)
}

pub fn planned_values(plan: &Plan) -> J {
    let placed: Vec<Placed> = plan
        .changes
        .iter()
        .filter(|c| kept(c))
        .filter_map(|c| Some(resource(c, planned(c)?, planned_sensitive(c))))
        .collect();
    let outputs: Map<String, J> = plan
        .outputs
        .iter()
        .filter(|o| o.action != Action::Delete)
        .map(|o| (o.name.clone(), output(o, o.after.as_ref())))
        .collect();
    json!({ "outputs": outputs, "root_module": module(&[], &placed) })
}

pub fn prior_state(plan: &Plan) -> J {
    let placed: Vec<Placed> = plan
        .changes
        .iter()
        .filter_map(|c| match (&c.before, listed(c)) {
            (Some(b), _) => Some(resource(c, b, &c.before_sensitive)),
            (None, false) => Some(resource(c, c.after.as_ref()?, &c.after_sensitive)),
            (None, true) => None,
        })
        .collect();
    let outputs: Map<String, J> = plan
        .outputs
        .iter()
        .filter(|o| o.before.is_some())
        .map(|o| (o.name.clone(), output(o, o.before.as_ref())))
        .collect();
    json!({
        "format_version": "1.0",
        "terraform_version": TERRAFORM_VERSION,
        "values": { "outputs": outputs, "root_module": module(&[], &placed) },
    })
}

/// An output of a module tree: its value only when wholly known and not sensitive.
fn output(o: &OutputChange, v: Option<&Value>) -> J {
    let mut obj = json!({ "sensitive": o.sensitive });
    match v {
        Some(v) if !o.sensitive && !v.has_unknown() => obj["value"] = known(v, &[]),
        _ => {}
    }
    obj
}

/// The module at `path`: its resources and, nested, its module instances that hold any.
fn module(path: &[Step], placed: &[Placed]) -> J {
    let mut obj = Map::new();
    if !path.is_empty() {
        obj.insert("address".into(), json!(crate::address::module_text(path)));
    }
    let resources: Vec<J> = placed
        .iter()
        .filter(|(m, _)| m.as_slice() == path)
        .map(|(_, r)| r.clone())
        .collect();
    if !resources.is_empty() {
        obj.insert("resources".into(), J::Array(resources));
    }
    let mut steps: Vec<&Step> = placed
        .iter()
        .filter(|(m, _)| m.len() > path.len() && m.starts_with(path))
        .map(|(m, _)| &m[path.len()])
        .collect();
    steps.sort();
    steps.dedup();
    let children: Vec<J> = steps
        .into_iter()
        .map(|s| {
            let mut inner = path.to_vec();
            inner.push(s.clone());
            module(&inner, placed)
        })
        .collect();
    if !children.is_empty() {
        obj.insert("child_modules".into(), J::Array(children));
    }
    J::Object(obj)
}
