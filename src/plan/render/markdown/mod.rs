//! The plan as markdown for pull-request comments (docs/plan-text.md "Markdown plan"): a
//! hidden marker to find and update the comment, an optional link to the CI run, the counts
//! in one line, a warning for every delete and replace (a louder one when `prevent_destroy`
//! forbids the plan), a table of every change with its reason, each change's diff folded in a
//! `<details>` of its own, the outputs' and the drift's folded too, and the state it was
//! planned against — never longer than 65,000 characters (`fit`). A plan that fails is a
//! comment of its own (`failure`), with the same marker.

mod blocks;
mod failure;
mod fit;
mod reason;

pub use failure::render as failure;
pub use fit::LIMIT;
pub use reason::reason;

use crate::plan::render::parsed;
use crate::plan::{Action, Change, Plan};
use fit::Section;
use reason::code;

pub fn marker(stack: &str) -> String {
    format!("<!-- strata:plan:{stack} -->")
}

/// The marker, the title (`strata plan for `STACK``, then `title_tail`) and the link to the
/// CI run when there is one.
fn heading(stack: &str, title_tail: &str, link: Option<&str>) -> String {
    let tail = if title_tail.is_empty() {
        String::new()
    } else {
        format!(" {title_tail}")
    };
    let mut out = format!(
        "{}\n### strata plan for {}{tail}\n\n",
        marker(stack),
        code(stack)
    );
    if let Some(url) = link {
        out.push_str(&format!("[CI run](<{url}>)\n\n"));
    }
    out
}

/// The plan's comment; `link`: the CI run that made it.
pub fn render(plan: &Plan, link: Option<&str>) -> String {
    let mut out = heading(&plan.stack, "", link);
    out.push_str(&counts(plan));
    let mut sections: Vec<Section> = [conflicts(plan), destructive(plan), table(plan)]
        .into_iter()
        .flatten()
        .collect();
    sections.extend(blocks::changes(plan));
    sections.extend(blocks::outputs(plan));
    sections.extend(blocks::drift(plan));
    sections.extend(reconciled(plan));
    let footer = format!(
        "<sub>Planned against state lineage `{}`, serial {}.</sub>\n",
        plan.lineage, plan.serial
    );
    fit::write(&mut out, sections, &footer);
    out
}

/// The counts: Terraform's (as the text plan's `Plan:` line), then strata's by action.
fn counts(plan: &Plan) -> String {
    if plan.options.refresh_only {
        return refresh_only(plan);
    }
    if !plan.has_changes() {
        return "**No changes.** The infrastructure matches the configuration.\n\n".into();
    }
    let s = plan.summary();
    let mut by_action = parsed::breakdown(&s);
    if s.read > 0 {
        by_action.push(format!("{} to read", s.read));
    }
    format!(
        "**Plan:** {} — {}\n\n{}{}",
        parsed::counts(&s),
        by_action.join(" · "),
        deferred(plan),
        super::moves::markdown_warnings(plan)
    )
}

/// What a refresh-only plan does: records what changed outside strata, changes nothing.
fn refresh_only(plan: &Plan) -> String {
    let n = plan.drift.len();
    if n == 0 && !plan.outputs.iter().any(|o| o.action != Action::NoOp) {
        return "**Refresh only — no changes.** The objects still match the state.\n\n".into();
    }
    format!(
        "**Refresh only:** {n} object{} changed outside strata. Applying this plan records \
         what the cloud holds in the state and changes no object in the cloud.\n\n",
        plural(n)
    )
}

/// The deferred blocks: planned once this plan is applied.
fn deferred(plan: &Plan) -> String {
    if plan.deferred.is_empty() {
        return String::new();
    }
    let names: Vec<String> = plan.deferred.iter().map(|a| format!("`{a}`")).collect();
    format!(
        "**Deferred** (planned once this plan is applied; `strata apply` does both in one run): {}\n\n",
        names.join(", ")
    )
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The loud block for `prevent_destroy` conflicts.
fn conflicts(plan: &Plan) -> Option<Section> {
    if plan.conflicts.is_empty() {
        return None;
    }
    let lines = plan
        .conflicts
        .iter()
        .map(|c| {
            let m = c.message.strip_prefix("Error: ").unwrap_or(&c.message);
            format!("> - {}", m.replace("\n  hint: ", " — "))
        })
        .collect();
    Some(Section {
        head: "> [!CAUTION]\n> **This plan cannot be applied: it would destroy resources protected by `lifecycle.prevent_destroy`.**\n".into(),
        lines,
        tail: "\n".into(),
    })
}

/// The warning listing every delete and replace with its reason.
fn destructive(plan: &Plan) -> Option<Section> {
    let destructive: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| matches!(c.action, Action::Delete | Action::Replace))
        .collect();
    if destructive.is_empty() {
        return None;
    }
    let n = destructive.len();
    let line = |c: &&Change| {
        let verb = if c.action == Action::Delete {
            "destroy"
        } else {
            "replace"
        };
        format!(
            "> - **{verb}** {} — {}",
            code(&c.addr.to_string()),
            reason::in_plan(plan, c)
        )
    };
    Some(Section {
        head: format!(
            "> [!WARNING]\n> **{n} object{} will be destroyed or replaced:**\n",
            plural(n)
        ),
        lines: destructive.iter().map(line).collect(),
        tail: "\n".into(),
    })
}

/// The table of action | address | reason.
fn table(plan: &Plan) -> Option<Section> {
    let rows: Vec<String> = plan
        .changes
        .iter()
        .filter(|c| {
            c.action.is_change()
                || c.importing.is_some()
                || (c.action == Action::Read && c.reason.is_some())
                || c.previous_address.is_some()
        })
        .map(|c| {
            let (sym, action, why) = match &c.importing {
                Some(i) => super::super::imports::markdown_row(c, &i.id, reason::in_plan(plan, c)),
                None => (
                    reason::symbol(c),
                    reason::moved_action(c).to_string(),
                    reason::in_plan(plan, c),
                ),
            };
            format!(
                "| `{sym}` {action} | {} | {} |",
                code(&c.addr.to_string()),
                why.replace('|', "\\|")
            )
        })
        .collect();
    (!rows.is_empty()).then(|| Section {
        head: "| action | address | reason |\n|---|---|---|\n".into(),
        lines: rows,
        tail: "\n".into(),
    })
}

/// Operations an interrupted run left open, as reconciled, folded.
fn reconciled(plan: &Plan) -> Option<Section> {
    (!plan.reconciled.is_empty()).then(|| Section {
        head:
            "<details><summary>Reconciled operations left open by an interrupted run</summary>\n\n"
                .into(),
        lines: plan.reconciled.iter().map(|r| format!("- {r}")).collect(),
        tail: "\n</details>\n\n".into(),
    })
}
