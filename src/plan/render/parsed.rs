//! The lines of the text plan that other tools parse (docs/plan-text.md "Lines other tools
//! parse"):
//! tfcmt and Atlantis read a `terraform plan`'s text with regular expressions — the count
//! line `Plan: N to add, N to change, N to destroy.`, `No changes.`, the header of the
//! actions and the note on drift, compared as whole lines. strata prints them so, and keeps its
//! own breakdown of the counts by action on the line after.
//!
//! Invariants: the count line counts as Terraform does — clones and binds are objects added,
//! a replacement adds one and destroys one, reads and pure moves count nowhere, imports lead the
//! line when there are any; strata's breakdown never matches a parser's count or destroy
//! pattern (it says `delete`, not `destroy`), so a parser reads Terraform's numbers only.

use crate::plan::Summary;

/// The header of the actions, as Terraform words it (tfcmt starts its `ChangedResult` at
/// exactly this line).
pub const ACTIONS: &str = "Terraform will perform the following actions:";

/// The note that opens the drift, as Terraform words it (tfcmt's `OutsideTerraform`,
/// Atlantis's "changes outside" summary).
pub const DRIFT: &str = "Note: Objects have changed outside of Terraform";

/// The first words of a plan with nothing to do (tfcmt's `HasNoChanges`, Atlantis's
/// `reNoChanges`); the sentence continues "Your infrastructure matches the configuration.".
pub const NO_CHANGES: &str = "No changes.";

/// Objects the plan adds, changes and destroys, counted as Terraform counts them.
pub struct Counts {
    pub import: usize,
    pub add: usize,
    pub change: usize,
    pub destroy: usize,
}

impl Counts {
    pub fn of(s: &Summary) -> Counts {
        Counts {
            import: s.import,
            add: s.create + s.clone + s.bind + s.replace,
            change: s.update,
            destroy: s.delete + s.replace,
        }
    }
}

/// `Plan: [N to import, ]N to add, N to change, N to destroy.`
pub fn counts_line(s: &Summary) -> String {
    format!("Plan: {}.", counts(s))
}

/// `[N to import, ]N to add, N to change, N to destroy`: Terraform's counts in its words.
pub fn counts(s: &Summary) -> String {
    let c = Counts::of(s);
    let import = match c.import {
        0 => String::new(),
        n => format!("{n} to import, "),
    };
    format!(
        "{import}{} to add, {} to change, {} to destroy",
        c.add, c.change, c.destroy
    )
}

/// strata's breakdown by action: `Actions: N to create, N to clone, N to bind, N to update,
/// N to replace, N to delete[, N to move][, N to forget].`
pub fn actions_line(s: &Summary) -> String {
    format!("Actions: {}.", breakdown(s).join(", "))
}

/// strata's counts by action, each "N to VERB": every action that makes, changes or deletes an
/// object, then moves and forgets when there are any.
pub fn breakdown(s: &Summary) -> Vec<String> {
    let mut items: Vec<String> = [
        (s.create, "create"),
        (s.clone, "clone"),
        (s.bind, "bind"),
        (s.update, "update"),
        (s.replace, "replace"),
        (s.delete, "delete"),
    ]
    .iter()
    .map(|(n, verb)| format!("{n} to {verb}"))
    .collect();
    for (n, verb) in [(s.moved, "move"), (s.forget, "forget")] {
        if n > 0 {
            items.push(format!("{n} to {verb}"));
        }
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacements_add_and_destroy_and_clones_and_binds_add() {
        let s = Summary {
            create: 3,
            clone: 2,
            bind: 1,
            update: 1,
            replace: 1,
            delete: 2,
            read: 4,
            import: 1,
            ..Summary::default()
        };
        assert_eq!(
            counts_line(&s),
            "Plan: 1 to import, 7 to add, 1 to change, 3 to destroy."
        );
        assert_eq!(
            actions_line(&s),
            "Actions: 3 to create, 2 to clone, 1 to bind, 1 to update, 1 to replace, 2 to delete."
        );
    }
}
