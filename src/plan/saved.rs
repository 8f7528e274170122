//! Saved plans (`plan --out FILE`): the plan JSON document (DESIGN.md's contract, so tools read
//! it unchanged) plus a `saved` section with everything needed to apply exactly that plan —
//! the config's files, non-sensitive variable values, fingerprints of sensitive ones (their
//! values are never written), and the journal entries of what reconcile and refresh saw —
//! closed by a MAC.
//!
//! Invariants: the file holds no secret and nothing that allows guessing one offline — sensitive
//! variables and outputs appear only as fingerprints keyed by the state's key, and no key is in
//! the file. The MAC (HMAC-SHA256 over the document) is keyed from the state's key too, which
//! never leaves the state backend: a file edited anywhere (its config, its changes) is refused
//! by `show` and `apply`, even with every checksum recomputed.

use super::Plan;
use crate::config::SourceFile;
use crate::state::journal::Entry;
use crate::state::{snapshot, State};
use crate::value::Value;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Format 2: authenticated by a keyed MAC (format 1 had an unkeyed checksum).
pub const FORMAT: u32 = 2;

const MAC_FIELD: &str = "mac";

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
}

/// The key a saved plan's MAC is made with, derived from the state's fingerprint key (so it is
/// as private as the state itself).
pub fn mac_key(state: &State) -> Vec<u8> {
    crate::state::fingerprint(
        &state.fingerprint_key(),
        &Value::str("strata saved plan mac"),
    )
    .into_bytes()
}

const MAC_PREFIX: &str = "hmac-sha256:";

/// The MAC over a document's compact JSON (without its `mac` field).
fn mac(key: &[u8], doc: &serde_json::Value) -> hmac::Hmac<sha2::Sha256> {
    use hmac::Mac;
    let mut m =
        <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(&serde_json::to_vec(doc).unwrap_or_default());
    m
}

/// Whether `given` (as written in the file) is the document's MAC; compared in constant time.
fn authentic(key: &[u8], doc: &serde_json::Value, given: &str) -> bool {
    use hmac::Mac;
    let Some(bytes) = given
        .strip_prefix(MAC_PREFIX)
        .and_then(|h| hex::decode(h).ok())
    else {
        return false;
    };
    mac(key, doc).verify_slice(&bytes).is_ok()
}

/// Write `saved` to `path` as the plan document with the `saved` section, closed by its MAC.
pub fn write(path: &Path, saved: &Saved, key: &[u8]) -> Result<(), String> {
    let mut doc = super::render::json::render(&saved.plan);
    doc["saved"] = serde_json::to_value(saved).map_err(|e| e.to_string())?;
    let tag = hex::encode(hmac::Mac::finalize(mac(key, &doc)).into_bytes());
    doc[MAC_FIELD] = serde_json::Value::String(format!("{MAC_PREFIX}{tag}"));
    let mut bytes = serde_json::to_vec_pretty(&doc).map_err(|e| e.to_string())?;
    bytes.push(b'\n');
    snapshot::write_atomic(path, &bytes, false).map_err(|e| e.to_string())
}

/// Read a saved plan made against `state`, refusing a damaged, edited or foreign file: it must
/// name the state's lineage, and its MAC must be the one the state's key gives.
pub fn read(path: &Path, state: &State) -> Result<Saved, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the saved plan {}: {e}", path.display()))?;
    let mut doc: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not a saved plan: {e}", path.display()))?;
    let format = doc["saved"]["format"].as_u64();
    if doc.get("saved").is_none() {
        return Err(format!(
            "{} is a plan document without the saved section: make it with `strata plan --out FILE`",
            path.display()
        ));
    }
    if format != Some(u64::from(FORMAT)) {
        return Err(format!(
            "{} was saved in plan format {} by strata {}; this strata reads format {FORMAT}: make the plan again",
            path.display(),
            format.map_or("?".to_string(), |f| f.to_string()),
            doc["saved"]["strata_version"].as_str().unwrap_or("?")
        ));
    }
    let lineage = doc["saved"]["plan"]["lineage"].as_str().unwrap_or("?");
    if lineage != state.lineage {
        return Err(format!(
            "stale plan: it was made for state lineage {lineage}, but the state's lineage is \
             now {} (a different state): make a new plan",
            state.lineage
        ));
    }
    let given = match doc.as_object_mut().and_then(|o| o.remove(MAC_FIELD)) {
        Some(serde_json::Value::String(m)) => m,
        _ => {
            return Err(format!(
                "{} has no MAC: make the plan again with `strata plan --out`",
                path.display()
            ))
        }
    };
    if !authentic(&mac_key(state), &doc, &given) {
        return Err(format!(
            "{} does not authenticate against this stack's state: it was edited after it was \
             saved, or made for another state. Nothing was applied; make the plan again",
            path.display()
        ));
    }
    serde_json::from_value(doc["saved"].take()).map_err(|e| {
        format!(
            "{} is not a saved plan this strata can read: {e}",
            path.display()
        )
    })
}
