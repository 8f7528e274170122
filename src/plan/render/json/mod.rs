//! The plan as JSON (docs/plan-json.md, a contract): Terraform's `terraform show -json`
//! document — `planned_values`, `resource_changes`, `resource_drift`, `output_changes`,
//! `prior_state`, `configuration`, `variables`, `relevant_attributes`, `timestamp`,
//! `applyable`, `complete`, `errored` — with strata's own keys beside it (`action`,
//! `summary`, `stack`, `state`, `has_changes`, `deferred_changes`, `conflicts`,
//! `reconciled`, `strata_version`).
//!
//! Invariants: tools built for Terraform's document read this one unchanged (the keys,
//! types and meanings of Terraform 1.11's `format_version` "1.2"); no secret is ever in it
//! (sensitive variables, outputs and attributes are marked, never written); one plan and one
//! [`Context`] make one document, so `plan --format json`, the document inside `plan --out`
//! and `show --json PLAN` are the same text.

mod changes;
mod configuration;
mod tree;
mod values;

use crate::address::Address;
use crate::config::vars::Vars;
use crate::config::Config;
use crate::plan::Plan;
use serde_json::{json, Map, Value as J};

/// Terraform's plan JSON format this document follows.
pub const FORMAT_VERSION: &str = "1.2";

/// The Terraform release whose `terraform show -json` this document reproduces (and that the
/// tests use as the control); tools read it to choose a parser. strata runs no Terraform.
pub const TERRAFORM_VERSION: &str = "1.11.0";

/// `provider_name` / `full_name` of strata's providers: built into strata, as Terraform's
/// own `terraform.io/builtin/terraform` is built into Terraform.
pub const FULL_NAME_PREFIX: &str = "strata.dev/builtin/";

/// The `action_reason` of a replacement forced by a moved `clone:` source (strata's own:
/// Terraform has no clones).
pub const CLONE_SOURCE_CHANGED: &str = "replace_because_clone_source_changed";

/// What the document needs besides the plan: the config it was planned from, the variable
/// values, and when it was planned.
pub struct Context<'a> {
    pub cfg: &'a Config,
    pub vars: &'a Vars,
    /// RFC 3339, UTC (Terraform's `timestamp`).
    pub timestamp: String,
}

impl<'a> Context<'a> {
    /// The context of a plan made now.
    pub fn now(cfg: &'a Config, vars: &'a Vars) -> Context<'a> {
        Context {
            cfg,
            vars,
            timestamp: crate::util::now_rfc3339(),
        }
    }
}

/// What names an object in every list of the document: `address`, `mode`, `type`, `name`,
/// `index` (an instance's key) and `provider_name`.
fn identity(a: &Address) -> J {
    let mut obj = json!({
        "address": a.to_string(),
        "mode": if a.is_data() { "data" } else { "managed" },
        "type": a.ty,
        "name": a.name,
    });
    if let Some(k) = &a.key {
        obj["index"] = k.json();
    }
    obj["provider_name"] = json!(format!("{FULL_NAME_PREFIX}{}", a.provider()));
    obj
}

/// `variables`: each variable's value; a sensitive one only says it is sensitive.
fn variables(vars: &Vars) -> J {
    let out: Map<String, J> = vars
        .iter()
        .map(|(name, v)| {
            let entry = match v.sensitive {
                true => json!({ "sensitive": true }),
                false => json!({ "value": v.value.to_json() }),
            };
            (name.clone(), entry)
        })
        .collect();
    J::Object(out)
}

/// The plan document.
pub fn render(plan: &Plan, cx: &Context) -> J {
    let errored = !plan.conflicts.is_empty();
    let outputs: Map<String, J> = plan
        .outputs
        .iter()
        .map(|o| (o.name.clone(), changes::output_change(o)))
        .collect();
    let resource_changes: Vec<J> = plan
        .changes
        .iter()
        .filter(|c| changes::listed(c))
        .map(changes::resource_change)
        .collect();
    let mut doc = json!({
        "format_version": FORMAT_VERSION,
        "terraform_version": TERRAFORM_VERSION,
        "strata_version": env!("CARGO_PKG_VERSION"),
        "variables": variables(cx.vars),
        "planned_values": tree::planned_values(plan),
        "resource_drift": plan.drift.iter().map(changes::drift).collect::<Vec<_>>(),
        "resource_changes": resource_changes,
        "output_changes": outputs,
        "prior_state": tree::prior_state(plan),
        "configuration": configuration::configuration(cx.cfg),
        "relevant_attributes": configuration::relevant_attributes(cx.cfg),
        "timestamp": cx.timestamp,
        "applyable": !errored && plan.has_changes(),
        "complete": plan.deferred.is_empty(),
        "errored": errored,
    });
    strata_keys(&mut doc, plan);
    doc
}

/// strata's own keys, beside Terraform's.
fn strata_keys(doc: &mut J, plan: &Plan) {
    doc["stack"] = json!(plan.stack);
    doc["state"] = json!({ "lineage": plan.lineage, "serial": plan.serial });
    doc["summary"] = json!(plan.summary());
    doc["has_changes"] = json!(plan.has_changes());
    if !plan.reconciled.is_empty() {
        doc["reconciled"] = json!(plan.reconciled);
    }
    if !plan.deferred.is_empty() {
        let deferred: Vec<J> = plan
            .deferred
            .iter()
            .map(|a| changes::deferred(plan, a))
            .collect();
        doc["deferred_changes"] = J::Array(deferred);
    }
    if !plan.conflicts.is_empty() {
        let conflicts: Vec<J> = plan
            .conflicts
            .iter()
            .map(|c| json!({ "address": c.addr.to_string(), "message": c.message }))
            .collect();
        doc["conflicts"] = J::Array(conflicts);
    }
}

/// The document as printed: one line (as Terraform prints it), or indented for people.
pub fn text(doc: &J, pretty: bool) -> String {
    let body = match pretty {
        true => serde_json::to_string_pretty(doc),
        false => serde_json::to_string(doc),
    };
    body.unwrap_or_default() + "\n"
}
