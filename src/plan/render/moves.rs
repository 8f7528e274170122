//! What the renderers say about moves (`moved:`) and forgets (`removed:` with
//! `destroy: false`), kept beside them so text and markdown word them alike: the headers of a
//! move and a forget, and the warnings of
//! `plan::moves::warnings` (a block that became repeated without a move).
//!
//! Invariant: nothing is said about moves or forgets when a plan has none, so plans without
//! them render exactly as before.

use crate::plan::{Action, Change, Plan};

/// The header of a change that is only a move, or a forget; `None` for any other.
pub fn header(c: &Change) -> Option<String> {
    let a = &c.addr;
    match (c.action, &c.previous_address) {
        (Action::NoOp, Some(from)) => Some(format!("# {from} has moved to {a}")),
        (Action::Forget, _) => Some(format!(
            "# {a} will no longer be managed by strata, but will not be destroyed"
        )),
        _ => None,
    }
}

/// The note under the header: where a changed object moved from, why a forget.
pub fn note(c: &Change) -> Option<String> {
    match (c.action, &c.previous_address) {
        (Action::Forget, _) => Some("# (destroy = false is set in the configuration)".into()),
        (Action::NoOp, _) => None,
        (_, Some(from)) => Some(format!("# (moved from {from})")),
        _ => None,
    }
}

/// The text plan's warnings, after the summary.
pub fn text_warnings(plan: &Plan, p: &super::style::Painter) -> Vec<String> {
    let mut out = Vec::new();
    for w in crate::plan::moves::warnings(plan) {
        out.push(String::new());
        out.push(format!("{} {w}", p.yellow(&p.bold("Warning:"))));
    }
    let forgets: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Forget)
        .collect();
    if !forgets.is_empty() {
        out.push(String::new());
        out.push(format!(
            "{} Some objects will no longer be managed by strata",
            p.yellow(&p.bold("Warning:"))
        ));
        out.push(String::new());
        out.push("If you apply this plan, strata will discard its tracking information for the following objects, but it will not delete them:".into());
        out.extend(forgets.iter().map(|c| format!("    {}", c.addr)));
        out.push(String::new());
        out.push("After applying this plan, strata will no longer manage these objects. You will need to import them to manage them again.".into());
    }
    out
}

/// The markdown plan's warnings, as a GitHub alert.
pub fn markdown_warnings(plan: &Plan) -> String {
    let ws = crate::plan::moves::warnings(plan);
    if ws.is_empty() {
        return String::new();
    }
    let mut out = String::from("> [!WARNING]\n");
    for w in ws {
        out.push_str(&format!("> - {}\n", w.replace('`', "'")));
    }
    out.push('\n');
    out
}
