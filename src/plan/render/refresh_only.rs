//! The text of a refresh-only plan (`plan --refresh-only`, Terraform's `-refresh-only`):
//! what refresh found changed or deleted outside strata, and the outputs' new values — which
//! applying the plan records in the state, changing no object in the cloud.

use super::style::Painter;
use super::text;
use crate::plan::{Action, Plan};

pub fn render(plan: &Plan, p: &Painter) -> String {
    let mut out: Vec<String> = Vec::new();
    let reconciled = text::render_findings(&plan.reconciled, &[], p);
    if !reconciled.is_empty() {
        out.push(reconciled.trim_end_matches('\n').to_string());
        out.push(String::new());
    }
    let outputs_change = plan.outputs.iter().any(|o| o.action != Action::NoOp);
    if plan.drift.is_empty() && !outputs_change {
        out.push(format!(
            "{} Your infrastructure still matches the state.",
            p.green(&p.bold("No changes."))
        ));
        out.push(String::new());
        out.push("strata has checked that the real objects still match the result of the last apply, and found no differences.".into());
        return out.join("\n") + "\n";
    }
    if !plan.drift.is_empty() {
        drift(&mut out, plan, p);
    }
    if outputs_change {
        if !out.is_empty() {
            out.push(String::new());
        }
        out.push("Changes to Outputs:".into());
        out.extend(text::output_rows(p, &plan.outputs));
        out.push(String::new());
        out.push(
            "Applying this plan saves these output values in the state, without changing any \
             object in the cloud."
                .into(),
        );
    }
    out.join("\n") + "\n"
}

/// The objects changed outside strata, and what a refresh-only plan does about them.
fn drift(out: &mut Vec<String>, plan: &Plan, p: &Painter) {
    out.push(p.bold("Note: Objects have changed outside of strata"));
    out.push(String::new());
    out.push(
        "strata detected the following changes made outside of strata since the last apply:".into(),
    );
    for d in &plan.drift {
        out.push(String::new());
        out.extend(text::drift_block(p, d));
    }
    out.push(String::new());
    out.push(
        "This is a refresh-only plan, so strata will not undo these changes. Applying it \
         records what the cloud holds in the state, without changing any object in the cloud."
            .into(),
    );
}
