//! The comment of a plan that failed (`plan --format markdown` prints it on stdout and exits
//! 1): the plan's marker, so a bot updates the same comment, what failed, and every
//! diagnostic the command reported, in order — so a reviewer reads why without the job log.
//!
//! Invariants: the diagnostics are shown whole and as given (they are redacted before they
//! reach here); the comment stays within [`super::LIMIT`] like a plan's.

use super::blocks::fence_for;
use super::fit::{self, Section};

/// A failed plan's comment. `what`: the step that failed, in words ("the configuration is
/// not valid"); `diagnostics`: each error and warning as printed, `Error: …` / `Warning: …`.
pub fn render(stack: &str, what: &str, diagnostics: &[String], link: Option<&str>) -> String {
    let mut out = super::heading(stack, "failed", link);
    out.push_str(&format!(
        "> [!CAUTION]\n> **The plan failed: {what}.** No plan was made and nothing was changed.\n\n"
    ));
    let sections = if diagnostics.is_empty() {
        Vec::new()
    } else {
        vec![listing(diagnostics)]
    };
    fit::write(&mut out, sections, "");
    out
}

/// Every diagnostic in one fence, after their count.
fn listing(diagnostics: &[String]) -> Section {
    let count = |label: &str| {
        diagnostics
            .iter()
            .filter(|d| d.starts_with(&format!("{label}:")))
            .count()
    };
    let (errors, warnings) = (count("Error"), count("Warning"));
    let mut counts = vec![plural(errors, "error")];
    if warnings > 0 {
        counts.push(plural(warnings, "warning"));
    }
    let lines: Vec<String> = diagnostics
        .iter()
        .flat_map(|d| d.lines().map(String::from))
        .collect();
    let fence = fence_for(&lines);
    Section {
        head: format!("**{}:**\n\n{fence}text\n", counts.join(", ")),
        lines,
        tail: format!("{fence}\n"),
    }
}

fn plural(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_diagnostic_is_listed_after_the_marker() {
        let diags = vec![
            "Error: main.yaml:4: t.x.nmae: unknown argument\n  hint: did you mean \"name\"?".into(),
            "Warning: main.yaml:9: something to know".into(),
            "Error: --target: \"t\" is not a resource address".into(),
        ];
        let md = render("stack", "the configuration is not valid", &diags, None);
        assert!(md.starts_with("<!-- strata:plan:stack -->\n"), "{md}");
        assert!(md.contains("**The plan failed: the configuration is not valid.**"));
        assert!(md.contains("**2 errors, 1 warning:**"), "{md}");
        for d in &diags {
            for line in d.lines() {
                assert!(md.contains(line), "{line} missing:\n{md}");
            }
        }
    }
}
