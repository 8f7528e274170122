//! Saved plans (`plan --out FILE`): the plan JSON document (DESIGN.md's contract, so tools read
//! it unchanged) plus a `saved` section with everything needed to apply exactly that plan —
//! the config's files, non-sensitive variable values, fingerprints of sensitive ones (their
//! values are never written), and the journal entries of what reconcile and refresh saw —
//! closed by a checksum so a damaged or edited file is refused.

use super::Plan;
use crate::config::SourceFile;
use crate::state::journal::Entry;
use crate::state::snapshot;
use crate::value::Value;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const FORMAT: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Saved {
    pub format: u32,
    pub strata_version: String,
    pub created: String,
    pub plan: Plan,
    /// What reconcile and refresh found when planning, recorded before applying.
    pub entries: Vec<Entry>,
    pub config_dir: PathBuf,
    pub files: Vec<SourceFile>,
    pub variables: BTreeMap<String, Value>,
    /// Sensitive variables: keyed fingerprints only; the values must be given again to apply.
    pub sensitive_variables: BTreeMap<String, String>,
    /// When the plan was made before the state was ever written: the identity the new state
    /// takes when the plan is applied (so the plan is not stale against a state that still
    /// does not exist).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_state: Option<NewState>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NewState {
    pub lineage: String,
    pub fingerprint_key: String,
}

/// Write `saved` to `path` as the plan document with the `saved` section.
pub fn write(path: &Path, saved: &Saved) -> Result<(), String> {
    let mut doc = super::render::json::render(&saved.plan);
    doc["saved"] = serde_json::to_value(saved).map_err(|e| e.to_string())?;
    let bytes = snapshot::encode(&doc).map_err(|e| e.to_string())?;
    snapshot::write_atomic(path, &bytes, false).map_err(|e| e.to_string())
}

/// Read a saved plan, refusing a damaged, edited or foreign file.
pub fn read(path: &Path) -> Result<Saved, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the saved plan {}: {e}", path.display()))?;
    let checked = snapshot::verify(&text, path).map_err(|_| {
        format!(
            "{} is damaged or was edited after it was saved (its checksum does not match): make the plan again",
            path.display()
        )
    })?;
    let doc: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not a saved plan: {e}", path.display()))?;
    let saved = doc.get("saved").ok_or_else(|| {
        format!(
            "{} is a plan document without the saved section: make it with `strata plan --out FILE`",
            path.display()
        )
    })?;
    if !checked {
        return Err(format!(
            "{} has no checksum: make the plan again with `strata plan --out`",
            path.display()
        ));
    }
    let saved: Saved = serde_json::from_value(saved.clone()).map_err(|e| {
        format!(
            "{} is not a saved plan this strata can read: {e}",
            path.display()
        )
    })?;
    if saved.format != FORMAT {
        return Err(format!(
            "{} was saved in plan format {} by strata {}; this strata reads format {FORMAT}",
            path.display(),
            saved.format,
            saved.strata_version
        ));
    }
    Ok(saved)
}
