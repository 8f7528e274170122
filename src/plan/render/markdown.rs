//! The plan as markdown for pull-request comments (docs/plan-json.md "Markdown plan"): a hidden marker
//! to find and update the comment, the counts in one line, a warning for every delete and
//! replace (a louder one when `prevent_destroy` forbids the plan), a table, the full diff and
//! the drift folded in `<details>`, and the state it was planned against — never longer than
//! 65,000 characters: sections are cut at line boundaries, closed properly, and say so.

use super::style::Painter;
use super::text;
use crate::plan::diff::equivalent;
use crate::plan::{Action, Change, Plan, Reason};
use crate::value::{path_string, Value};

pub const LIMIT: usize = 65_000;

pub fn marker(stack: &str) -> String {
    format!("<!-- strata:plan:{stack} -->")
}

/// A change's action as the table names it (a pure move is "move").
fn moved_action(c: &Change) -> &'static str {
    match (c.action, &c.previous_address) {
        (Action::NoOp, Some(_)) => "move",
        (a, _) => a.as_str(),
    }
}

fn symbol(c: &Change) -> &'static str {
    match c.action {
        Action::Create | Action::Clone | Action::Bind => "+",
        Action::Update => "~",
        Action::Replace if c.create_before_destroy => "+/-",
        Action::Replace => "-/+",
        Action::Delete => "-",
        Action::Read => "<=",
        Action::NoOp if c.previous_address.is_some() => "→",
        Action::NoOp => " ",
        Action::Forget => ".",
    }
}

fn code(s: &str) -> String {
    format!("`{}`", s.replace('`', "'"))
}

/// Attributes an update changes (known before and after, or secretly changed).
fn changed_attrs(c: &Change) -> Vec<String> {
    let (Some(Value::Map(b)), Some(Value::Map(a))) = (&c.before, &c.after) else {
        return Vec::new();
    };
    let mut out: Vec<String> = a
        .iter()
        .filter(|(k, v)| !v.has_unknown() && !equivalent(b.get(*k), Some(v)))
        .map(|(k, _)| k.clone())
        .collect();
    for p in &c.sensitive_changed {
        let top = path_string(&p[..1.min(p.len())]);
        if !out.contains(&top) {
            out.push(top);
        }
    }
    out.sort();
    out
}

/// Why a change happens, in words.
pub fn reason(c: &Change) -> String {
    let why = reason_of(c);
    match (&c.previous_address, c.action) {
        (Some(from), Action::NoOp) => {
            format!("moved from {} (state only)", code(&from.to_string()))
        }
        (Some(from), _) => format!("moved from {}; {why}", code(&from.to_string())),
        (None, _) => why,
    }
}

fn reason_of(c: &Change) -> String {
    let list = |names: Vec<String>| names.iter().map(|n| code(n)).collect::<Vec<_>>().join(", ");
    match (c.action, c.reason) {
        (_, Some(Reason::ReplaceBecauseTainted)) => {
            "tainted: an earlier apply made it but did not finish".into()
        }
        (_, Some(Reason::ReplaceByRequest)) => "replacement requested (`--replace`)".into(),
        (Action::Replace, _) => {
            let moved = c.replace_paths.iter().any(|p| path_string(p) == "clone");
            let paths: Vec<String> = c
                .replace_paths
                .iter()
                .map(|p| path_string(p))
                .filter(|p| p != "clone")
                .collect();
            let mut why = Vec::new();
            if moved {
                why.push("the source it is cloned from changes".to_string());
            }
            if !paths.is_empty() {
                why.push(format!("{} cannot change in place", list(paths)));
            }
            if why.is_empty() {
                "cannot be updated in place".into()
            } else {
                why.join("; ")
            }
        }
        (Action::Delete, Some(Reason::DeleteBecauseNoResourceConfig)) => {
            "no longer in the configuration".into()
        }
        (Action::Delete, Some(Reason::DeleteBecauseEachKey)) => {
            "its key is no longer in for_each".into()
        }
        (Action::Delete, Some(Reason::DeleteBecauseCountIndex)) => {
            "its index is no longer below count".into()
        }
        (Action::Delete, _) if c.deposed.is_some() => {
            "old object left by `create_before_destroy`".into()
        }
        (Action::Delete, _) => "destroy requested".into(),
        (Action::Read, Some(Reason::ReadBecauseDependencyPending)) => {
            "read during apply: depends on pending changes".into()
        }
        (Action::Read, _) => "read during apply: arguments known only then".into(),
        (Action::Forget, _) => {
            "forgotten: removed from the state, not destroyed (`removed:` with `destroy: false`)"
                .into()
        }
        (Action::Clone, _) => format!(
            "cloned from {}",
            code(c.clone_label.as_deref().unwrap_or("its source"))
        ),
        (Action::Update, _) => {
            let names = changed_attrs(c);
            if names.is_empty() {
                "attributes change in place".into()
            } else {
                format!("{} change in place", list(names))
            }
        }
        _ => String::new(),
    }
}

/// The text diff (without the drift and reconciled notes, which have their own folds), each
/// line's symbol moved to column 0 so GitHub colours it.
fn diff_lines(plan: &Plan) -> Vec<String> {
    let changes_only = Plan {
        drift: Vec::new(),
        reconciled: Vec::new(),
        ..plan.clone()
    };
    let t = text::render(&changes_only, &Painter { color: false });
    t.lines()
        .map(|l| {
            let trimmed = l.trim_start();
            let indent = l.len() - trimmed.len();
            let moved = |sym: char| format!("{sym}{}{}", " ".repeat(indent), &trimmed[1..]);
            match trimmed.chars().next() {
                Some('+') if trimmed.starts_with("+ ") && indent > 0 => moved('+'),
                Some('-') if trimmed.starts_with("- ") && indent > 0 => moved('-'),
                Some('~') if trimmed.starts_with("~ ") => moved('!'),
                _ => l.to_string(),
            }
        })
        .collect()
}

/// A section that may be cut: fixed head and tail, lines in between.
struct Section {
    head: String,
    lines: Vec<String>,
    tail: String,
}

fn sections_fit(out: &mut String, sections: Vec<Section>, footer: &str) {
    let fixed: usize = sections
        .iter()
        .map(|s| s.head.len() + s.tail.len())
        .sum::<usize>()
        + footer.len()
        + out.len();
    let mut budget = LIMIT.saturating_sub(fixed + 200);
    for s in sections {
        out.push_str(&s.head);
        let total: usize = s.lines.iter().map(|l| l.len() + 1).sum();
        let mut used = 0;
        let mut cut = false;
        for l in &s.lines {
            if used + l.len() + 1 > budget {
                cut = true;
                break;
            }
            out.push_str(l);
            out.push('\n');
            used += l.len() + 1;
        }
        budget -= used;
        if cut {
            out.push_str(&format!(
                "… cut here to stay within {LIMIT} characters ({used} of {total} shown): \
                 run `strata plan` or `strata show` on the saved plan for all of it\n"
            ));
        }
        out.push_str(&s.tail);
    }
    out.push_str(footer);
}

pub fn render(plan: &Plan) -> String {
    let mut out = String::new();
    out.push_str(&marker(&plan.stack));
    out.push('\n');
    out.push_str(&format!("### strata plan for {}\n\n", code(&plan.stack)));
    out.push_str(&counts(plan));
    let sections = [
        conflicts(plan),
        destructive(plan),
        table(plan),
        Some(Section {
            head: "<details><summary>Full plan</summary>\n\n```diff\n".into(),
            lines: diff_lines(plan),
            tail: "```\n\n</details>\n\n".into(),
        }),
        drift(plan),
        reconciled(plan),
    ];
    let footer = format!(
        "<sub>Planned against state lineage `{}`, serial {}.</sub>\n",
        plan.lineage, plan.serial
    );
    sections_fit(&mut out, sections.into_iter().flatten().collect(), &footer);
    out
}

/// The summary line of counts per action.
fn counts(plan: &Plan) -> String {
    let s = plan.summary();
    if !plan.has_changes() {
        return "**No changes.** The infrastructure matches the configuration.\n\n".into();
    }
    format!(
        "**Plan:** {}{} to create · {} to clone · {} to bind · {} to update · {} to replace · {} to destroy{}{}\n\n{}{}",
        match s.import {
            0 => String::new(),
            n => format!("{n} to import · "),
        },
        s.create,
        s.clone,
        s.bind,
        s.update,
        s.replace,
        s.delete,
        if s.read > 0 { format!(" · {} to read", s.read) } else { String::new() },
        super::moves::summary_tail(&s, " · "),
        deferred(plan),
        super::moves::markdown_warnings(plan)
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
            reason(c)
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
                Some(i) => super::super::imports::markdown_row(c, &i.id, reason(c)),
                None => (symbol(c), moved_action(c).to_string(), reason(c)),
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

/// Drift found by refresh, folded.
fn drift(plan: &Plan) -> Option<Section> {
    if plan.drift.is_empty() {
        return None;
    }
    let findings = text::render_findings(&[], &plan.drift, &Painter { color: false });
    let n = plan.drift.len();
    Some(Section {
        head: format!(
            "<details><summary>Drift: {n} object{} changed outside strata since the last apply</summary>\n\n```\n",
            plural(n)
        ),
        lines: findings.lines().map(String::from).collect(),
        tail: "```\n\n</details>\n\n".into(),
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
