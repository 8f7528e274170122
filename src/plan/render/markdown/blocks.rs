//! The folded parts of the markdown plan, each a `<details>` holding a ```diff fence: one per
//! change (the text plan's block of that object), one for the outputs, one for the drift
//! found since the last apply (each drifted object's block, said to be undone by the plan).
//!
//! Invariants: a fence is longer than any run of backticks inside it, so no value closes it
//! early; each line's symbol is moved to column 0 so GitHub colours it (`+` added, `-` removed,
//! `!` changed); what the summary names is HTML-escaped.

use super::fit::Section;
use super::reason::{code_html, moved_action, symbol, UNDOES_DRIFT};
use crate::plan::render::style::Painter;
use crate::plan::render::text;
use crate::plan::Plan;

const PLAIN: Painter = Painter { color: false };

/// One fold per change the text plan shows a block for, in the plan's order.
pub fn changes(plan: &Plan) -> Vec<Section> {
    plan.changes
        .iter()
        .filter(|c| text::show_change(c))
        .map(|c| {
            let summary = format!(
                "{} {} {}",
                code_html(symbol(c)),
                moved_action(c),
                code_html(&c.addr.to_string())
            );
            fold(&summary, "", text::change_block(&PLAIN, c))
        })
        .collect()
}

/// The changes to the outputs, folded; none when no output changes.
pub fn outputs(plan: &Plan) -> Option<Section> {
    let rows = text::output_rows(&PLAIN, &plan.outputs);
    (!rows.is_empty()).then(|| fold("Changes to outputs", "", rows))
}

/// The objects changed outside strata since the last apply, folded, with what the plan does
/// about them.
pub fn drift(plan: &Plan) -> Option<Section> {
    if plan.drift.is_empty() {
        return None;
    }
    let n = plan.drift.len();
    let summary = format!(
        "Drift: {n} object{} changed outside strata since the last apply",
        if n == 1 { "" } else { "s" }
    );
    let intro = if plan.options.refresh_only {
        "A refresh-only plan puts nothing back: applying it records these values in the \
         state.\n\n"
            .to_string()
    } else {
        format!(
            "Unless the configuration was changed to match, the plan puts these objects back: \
             its rows say \"{UNDOES_DRIFT}\".\n\n"
        )
    };
    let mut lines = Vec::new();
    for (i, d) in plan.drift.iter().enumerate() {
        if i > 0 {
            lines.push(String::new());
        }
        lines.extend(text::drift_block(&PLAIN, d));
    }
    Some(fold(&summary, &intro, lines))
}

/// A `<details>` with `summary`, then `intro` (markdown), then `lines` as a diff.
fn fold(summary: &str, intro: &str, lines: Vec<String>) -> Section {
    let lines = diff_lines(lines);
    let fence = fence_for(&lines);
    Section {
        head: format!("<details><summary>{summary}</summary>\n\n{intro}{fence}diff\n"),
        lines,
        tail: format!("{fence}\n\n</details>\n\n"),
    }
}

/// Each line's symbol moved to column 0 (`~` as `!`), as GitHub's diff colouring wants.
fn diff_lines(lines: Vec<String>) -> Vec<String> {
    lines
        .into_iter()
        .map(|l| {
            let trimmed = l.trim_start();
            let indent = l.len() - trimmed.len();
            let moved = |sym: char| format!("{sym}{}{}", " ".repeat(indent), &trimmed[1..]);
            match trimmed.chars().next() {
                Some('+') if trimmed.starts_with("+ ") && indent > 0 => moved('+'),
                Some('-') if trimmed.starts_with("- ") && indent > 0 => moved('-'),
                Some('~') if trimmed.starts_with("~ ") => moved('!'),
                _ => l,
            }
        })
        .collect()
}

/// A fence of backticks longer than any run of them in `lines` (three at least).
pub fn fence_for(lines: &[String]) -> String {
    let longest = lines
        .iter()
        .flat_map(|l| l.split(|c| c != '`'))
        .map(str::len)
        .max()
        .unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fence_outlasts_the_backticks_inside() {
        assert_eq!(fence_for(&["plain".into()]), "```");
        assert_eq!(fence_for(&["a ```` b".into()]), "`````");
    }

    #[test]
    fn symbols_move_to_the_first_column() {
        let lines = vec![
            "  + resource \"t\" \"n\" {".to_string(),
            "      ~ name = \"a\" -> \"b\"".to_string(),
            "-/+ resource \"t\" \"n\" {".to_string(),
        ];
        assert_eq!(
            diff_lines(lines),
            vec![
                "+   resource \"t\" \"n\" {",
                "!       name = \"a\" -> \"b\"",
                "-/+ resource \"t\" \"n\" {",
            ]
        );
    }
}
