//! The vocabulary of operations on one object, typed from plan to journal to report to JSON.
//!
//! `Verb` is what one apply or destroy node does to one object (create, clone, bind, update,
//! delete, read; import for `strata import`). `IntentAction` is what an open intent in the
//! journal says a call may have done. Both become strings only at the edges: their serde
//! forms are the on-disk journal and state format (byte-compatible with the strings written
//! before they were typed) and `as_str` is the form the reports and JSON events print.
//!
//! Architecture invariant: this module imports nothing of strata; every layer may use it.
//! Each conversion between these and `plan::Action` / `state::Made` is written once, beside
//! the type it converts from.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What one operation does to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verb {
    Create,
    Clone,
    Bind,
    Update,
    Delete,
    Read,
    Import,
}

impl Verb {
    /// The word reports and JSON events use ("create", "delete", …).
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Create => "create",
            Verb::Clone => "clone",
            Verb::Bind => "bind",
            Verb::Update => "update",
            Verb::Delete => "delete",
            Verb::Read => "read",
            Verb::Import => "import",
        }
    }

    /// The past participle: how an object came to be ("created", "imported", …).
    pub fn past(self) -> &'static str {
        match self {
            Verb::Create => "created",
            Verb::Clone => "cloned",
            Verb::Bind => "bound",
            Verb::Update => "updated",
            Verb::Delete => "deleted",
            Verb::Read => "read",
            Verb::Import => "imported",
        }
    }

    /// The operation whose timeout applies (`timeouts:` keys: create, update, delete, read).
    pub fn timeout_key(self) -> &'static str {
        match self {
            Verb::Update => "update",
            Verb::Delete => "delete",
            Verb::Read | Verb::Import => "read",
            Verb::Create | Verb::Clone | Verb::Bind => "create",
        }
    }

    /// Makes a new object (create, clone, bind).
    pub fn makes(self) -> bool {
        matches!(self, Verb::Create | Verb::Clone | Verb::Bind)
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an intent journaled before a mutating call says the call may do. Its serde form is
/// the journal's `action` string ("create", "clone", "bind", "update", "delete",
/// "delete_deposed").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntentAction {
    Create,
    Clone,
    Bind,
    Update,
    Delete,
    /// Deleting an object deposed by create_before_destroy.
    DeleteDeposed,
}

impl IntentAction {
    /// The intent a call of `verb` journals (`deposed`: the object deleted is a deposed one).
    /// A read or an import changes nothing in the cloud and journals no intent.
    pub fn of(verb: Verb, deposed: bool) -> Option<IntentAction> {
        Some(match verb {
            Verb::Create => IntentAction::Create,
            Verb::Clone => IntentAction::Clone,
            Verb::Bind => IntentAction::Bind,
            Verb::Update => IntentAction::Update,
            Verb::Delete if deposed => IntentAction::DeleteDeposed,
            Verb::Delete => IntentAction::Delete,
            Verb::Read | Verb::Import => return None,
        })
    }

    /// The verb of the call the intent stands for.
    pub fn verb(self) -> Verb {
        match self {
            IntentAction::Create => Verb::Create,
            IntentAction::Clone => Verb::Clone,
            IntentAction::Bind => Verb::Bind,
            IntentAction::Update => Verb::Update,
            IntentAction::Delete | IntentAction::DeleteDeposed => Verb::Delete,
        }
    }
}

impl IntentAction {
    /// The journal's word for it (the serde form).
    pub fn as_str(self) -> &'static str {
        match self {
            IntentAction::DeleteDeposed => "delete_deposed",
            other => other.verb().as_str(),
        }
    }
}

impl fmt::Display for IntentAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The journal's strings are the ones written before the actions were typed.
    #[test]
    fn intent_actions_keep_their_journal_strings() {
        let all = [
            (IntentAction::Create, "create"),
            (IntentAction::Clone, "clone"),
            (IntentAction::Bind, "bind"),
            (IntentAction::Update, "update"),
            (IntentAction::Delete, "delete"),
            (IntentAction::DeleteDeposed, "delete_deposed"),
        ];
        for (a, s) in all {
            assert_eq!(serde_json::to_value(a).unwrap(), serde_json::json!(s));
            assert_eq!(a.as_str(), s);
            let back: IntentAction = serde_json::from_value(serde_json::json!(s)).unwrap();
            assert_eq!(back, a);
        }
    }

    #[test]
    fn every_mutating_verb_has_an_intent_and_back() {
        for v in [
            Verb::Create,
            Verb::Clone,
            Verb::Bind,
            Verb::Update,
            Verb::Delete,
        ] {
            assert_eq!(IntentAction::of(v, false).map(IntentAction::verb), Some(v));
        }
        assert_eq!(IntentAction::of(Verb::Read, false), None);
        assert_eq!(
            IntentAction::of(Verb::Delete, true),
            Some(IntentAction::DeleteDeposed)
        );
    }
}
