//! Saved plans (`plan --out FILE`): the plan JSON document (docs/plan-json.md's contract, so tools read
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

use super::prepared::Prepared;
use super::Plan;
use crate::config::vars::{VarFile, VarValue, Vars};
use crate::config::{Config, SourceFile};
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
    /// The objects `import:` entries adopt, recorded when the plan is applied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub imports: Vec<Entry>,
    /// The state-only steps of `moved:` / `removed:`, journaled when the plan is applied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub moves: Vec<Entry>,
    pub config_dir: PathBuf,
    pub files: Vec<SourceFile>,
    pub variables: BTreeMap<String, Value>,
    /// Sensitive variables: keyed fingerprints only; the values must be given again to apply.
    pub sensitive_variables: BTreeMap<String, String>,
}

impl Saved {
    /// The saved form of a prepared plan: config files (sensitive defaults withheld),
    /// non-sensitive variable values, fingerprints of the rest.
    pub fn new(prep: &Prepared, cfg: &Config, vars: &Vars) -> Result<Saved, String> {
        let key = prep.state.fingerprint_key();
        let mut variables = BTreeMap::new();
        let mut sensitive_variables = BTreeMap::new();
        for (name, v) in vars {
            if v.sensitive {
                sensitive_variables.insert(name.clone(), crate::state::fingerprint(&key, &v.value));
            } else {
                variables.insert(name.clone(), v.value.clone());
            }
        }
        Ok(Saved {
            format: FORMAT,
            strata_version: env!("CARGO_PKG_VERSION").to_string(),
            created: crate::util::now_rfc3339(),
            plan: prep.plan.clone(),
            entries: prep.entries.clone(),
            imports: prep.imports.entries.clone(),
            moves: prep.moves.clone(),
            config_dir: cfg.dir.clone(),
            files: files_without_secrets(cfg)?,
            variables,
            sensitive_variables,
        })
    }

    /// Put back, in the saved plan's config `cfg`, the defaults of sensitive variables it
    /// withheld, from the working directory's config (`here`); one `here` lacks stays unset.
    pub fn restore_defaults(&self, cfg: &mut Config, here: &Config) {
        let withheld = Value::str(WITHHELD_DEFAULT);
        for (name, var) in cfg.variables.iter_mut() {
            if var.sensitive && var.default.as_ref() == Some(&withheld) {
                var.default = here.variables.get(name).and_then(|v| v.default.clone());
            }
        }
    }

    /// The config whose variables are resolved when applying a saved plan: only sensitive
    /// values are taken from what is given then (the plan fixes the others), so the other
    /// variables are left without type, rules or default there.
    pub fn sensitive_only(cfg: &Config) -> Config {
        let mut only = cfg.clone();
        for var in only.variables.values_mut().filter(|v| !v.sensitive) {
            var.ty = None;
            var.default = None;
            var.validation.clear();
        }
        only
    }

    /// A `--var-file` given to apply a saved plan may repeat the values of non-sensitive
    /// variables the plan was made with, never change them (as `--var` may not give them).
    pub fn check_fixed(&self, cfg: &Config, files: &[VarFile]) -> Result<(), String> {
        for f in files.iter().filter(|f| !f.auto) {
            for (name, raw) in &f.values {
                let Some(var) = cfg.variables.get(name).filter(|v| !v.sensitive) else {
                    continue;
                };
                let now = match &var.ty {
                    Some(t) => crate::config::vars::types::convert(raw, t, false).ok(),
                    None => Some(raw.clone()),
                };
                if now.as_ref() != self.variables.get(name) {
                    return Err(format!(
                        "--var-file {}: \"{name}\" differs from the value the plan was made with; a saved plan fixes the values of non-sensitive variables: make a new plan to change it",
                        f.path.display()
                    ));
                }
            }
        }
        Ok(())
    }

    /// The variable values to apply the plan with: the saved ones, and the sensitive ones
    /// given again (`resolved`: from --var, the environment, a variable file or the default
    /// `restore_defaults` put back). Checked by `check_sensitive`.
    pub fn values(&self, cfg: &Config, resolved: &Vars) -> Result<Vars, String> {
        let mut values = Vars::new();
        for (name, var) in &cfg.variables {
            let value = if !var.sensitive {
                self.variables.get(name).cloned().unwrap_or_default()
            } else {
                match resolved.get(name) {
                    Some(v) if !v.value.has_unknown() => v.value.clone(),
                    _ => return Err(format!(
                        "the saved plan needs the sensitive variable \"{name}\" (its value is never saved): set it with --var {name}=…, STRATA_VAR_{name} or in a variable file"
                    )),
                }
            };
            let sensitive = var.sensitive;
            values.insert(name.clone(), VarValue { value, sensitive });
        }
        Ok(values)
    }

    /// Sensitive values given now must be the ones the plan was made with.
    pub fn check_sensitive(&self, vars: &Vars, state: &State) -> Result<(), String> {
        let key = state.fingerprint_key();
        for (name, fp) in &self.sensitive_variables {
            let now = vars
                .get(name)
                .map(|v| crate::state::fingerprint(&key, &v.value));
            if now.as_deref() != Some(fp.as_str()) {
                return Err(format!(
                    "stale plan: the sensitive variable \"{name}\" has a different value from the one the plan was made with"
                ));
            }
        }
        Ok(())
    }
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

/// Write `saved` to `path` as the plan document `doc` (rendered from `saved.plan`) with the
/// `saved` section, closed by its MAC: one line, as tools read plan JSON.
pub fn write(
    path: &Path,
    saved: &Saved,
    doc: &serde_json::Value,
    key: &[u8],
) -> Result<(), String> {
    let mut doc = doc.clone();
    doc["saved"] = serde_json::to_value(saved).map_err(|e| e.to_string())?;
    let tag = hex::encode(hmac::Mac::finalize(mac(key, &doc)).into_bytes());
    doc[MAC_FIELD] = serde_json::Value::String(format!("{MAC_PREFIX}{tag}"));
    let mut bytes = serde_json::to_vec(&doc).map_err(|e| e.to_string())?;
    bytes.push(b'\n');
    snapshot::write_atomic(path, &bytes, false).map_err(|e| e.to_string())
}

/// Read a saved plan made against `state`, refusing a damaged, edited or foreign file: it must
/// name the state's lineage, and its MAC must be the one the state's key gives.
pub fn read(path: &Path, state: &State) -> Result<Saved, String> {
    read_with_document(path, state).map(|(saved, _)| saved)
}

/// [`read`], with the plan document as it was written (without `saved` and `mac`): what
/// `plan --format json` printed for it.
pub fn read_with_document(
    path: &Path,
    state: &State,
) -> Result<(Saved, serde_json::Value), String> {
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
    let saved = serde_json::from_value(doc["saved"].take()).map_err(|e| {
        format!(
            "{} is not a saved plan this strata can read: {e}",
            path.display()
        )
    })?;
    if let Some(o) = doc.as_object_mut() {
        o.remove("saved");
    }
    Ok((saved, doc))
}

/// What a saved plan's copy of the config holds in place of a sensitive variable's default.
pub const WITHHELD_DEFAULT: &str = "strata-withheld-sensitive-default";

/// The config's files as a saved plan keeps them: every sensitive variable's default (a secret
/// written in the config) replaced by `WITHHELD_DEFAULT`; `apply` takes it from the working
/// directory's config again. Each replacement is checked by loading the copy: it must mean the
/// same config but for the withheld defaults, and hold none of them, or `plan --out` is refused.
pub fn files_without_secrets(cfg: &crate::config::Config) -> Result<Vec<SourceFile>, String> {
    let names: Vec<&str> = cfg
        .variables
        .values()
        .filter(|v| v.sensitive && v.default.is_some())
        .map(|v| v.name.as_str())
        .collect();
    let mut files = cfg.files.clone();
    let mut done: Vec<&str> = Vec::new();
    for name in &names {
        let refuse = || {
            format!(
                "the default of sensitive variable \"{name}\" is written in a way a saved plan \
                 cannot withhold, or also stands elsewhere in the config: give its value with \
                 STRATA_VAR_{name} instead of a default"
            )
        };
        let file = cfg.variables[*name].file;
        let path = ["variables", name, "default"].map(String::from);
        let text = &files[file].text;
        let region = crate::config::scalar_region(text, &path).ok_or_else(refuse)?;
        done.push(name);
        let replaced = literal_ends(&text[region.clone()])
            .into_iter()
            .find_map(|len| {
                let mut t = text.clone();
                t.replace_range(
                    region.start..region.start + len,
                    &format!("\"{WITHHELD_DEFAULT}\""),
                );
                let mut trial = files.clone();
                trial[file].text = t.clone();
                let (copy, diags) = crate::config::load_sources(&cfg.dir, &cfg.stack, trial);
                (!diags.has_errors() && same_but_defaults(cfg, &copy, &done)).then_some(t)
            });
        files[file].text = replaced.ok_or_else(refuse)?;
    }
    for v in names
        .iter()
        .filter_map(|n| cfg.variables[*n].default.as_ref())
    {
        let secret = v
            .as_str()
            .map(String::from)
            .unwrap_or_else(|| v.to_json().to_string());
        if secret.len() >= 4 && files.iter().any(|f| f.text.contains(&secret)) {
            return Err(format!(
                "a sensitive variable's default also stands elsewhere in the config (in clear): \
                 give it with STRATA_VAR_… instead of a default, and remove it from {}",
                files
                    .iter()
                    .find(|f| f.text.contains(&secret))
                    .map_or(String::new(), |f| f.path.display().to_string())
            ));
        }
    }
    refuse_literal_secrets(cfg, &files)?;
    Ok(files)
}

/// A sensitive attribute written as a literal in a resource or provider block would stand in
/// clear in the saved plan's copy of the config: `plan --out` is refused, naming it.
fn refuse_literal_secrets(cfg: &crate::config::Config, files: &[SourceFile]) -> Result<(), String> {
    let written = crate::config::secrets::in_blocks(cfg);
    let carried = written.iter().find_map(|(at, secret)| {
        let file = files.iter().find(|f| f.text.contains(secret.as_str()))?;
        Some((at, file))
    });
    match carried {
        Some((at, file)) => Err(format!(
            "{}: {at} is sensitive but written literally, so a saved plan would carry it in              clear: give it through a sensitive variable (and STRATA_VAR_… or --var), or plan              without --out",
            file.path.display()
        )),
        None => Ok(()),
    }
}

/// Where a scalar's own text may end within `region` (the text up to the next token): before
/// a comment, before a flow separator, or at the end, blanks trimmed; longest last.
fn literal_ends(region: &str) -> Vec<usize> {
    let mut ends: Vec<usize> = [" #", "\t#", ","]
        .iter()
        .filter_map(|sep| region.find(sep))
        .chain([region.len()])
        .chain(quoted_end(region))
        .map(|cut| region[..cut].trim_end().len())
        .filter(|&n| n > 0)
        .collect();
    ends.sort_unstable();
    ends.dedup();
    ends
}

/// Where a quoted scalar at the start of `region` ends (just after its closing quote).
fn quoted_end(region: &str) -> Option<usize> {
    let quote = region.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let mut chars = region.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' if quote == '"' => {
                chars.next();
            }
            _ if c == quote => {
                // '' inside single quotes is an escaped quote
                if quote == '\'' && region[i + 1..].starts_with('\'') {
                    chars.next();
                    continue;
                }
                return Some(i + 1);
            }
            _ => {}
        }
    }
    None
}

/// `copy` is `cfg` but for the defaults of the variables `names`, which must be withheld.
fn same_but_defaults(
    cfg: &crate::config::Config,
    copy: &crate::config::Config,
    names: &[&str],
) -> bool {
    let same =
        |a: &dyn std::fmt::Debug, b: &dyn std::fmt::Debug| format!("{a:?}") == format!("{b:?}");
    // the stack's own blocks: `copy` is not expanded (`config::modules::expand`)
    let own = |c: &crate::config::Config| -> Vec<String> {
        c.resources
            .values()
            .filter(|b| b.addr.module.is_empty())
            .map(|b| format!("{b:?}"))
            .collect()
    };
    let parts_same = own(cfg) == own(copy)
        && same(&cfg.outputs, &copy.outputs)
        && same(&cfg.providers, &copy.providers)
        && same(&cfg.backend, &copy.backend);
    let vars_same = cfg.variables.len() == copy.variables.len()
        && cfg.variables.iter().all(|(k, v)| {
            let Some(c) = copy.variables.get(k) else {
                return false;
            };
            if names.contains(&k.as_str()) {
                c.default == Some(Value::str(WITHHELD_DEFAULT)) && c.sensitive
            } else {
                same(v, c)
            }
        });
    parts_same && vars_same
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> crate::config::Config {
        let files = vec![SourceFile {
            path: "main.yaml".into(),
            text: text.to_string(),
            module: String::new(),
        }];
        let (cfg, diags) = crate::config::load_sources(Path::new("."), "s", files);
        assert!(!diags.has_errors(), "{diags}");
        cfg
    }

    #[test]
    fn sensitive_defaults_are_withheld_however_they_are_written() {
        let text = "variables:\n  a: { default: \"x, y\", sensitive: true }\n  b:\n    sensitive: true\n    default: s3cr3t-block   # a comment\n  c: { sensitive: true, default: 'q' }\n  open: { default: visible }\n";
        let cfg = load(text);
        let files = files_without_secrets(&cfg).unwrap();
        for secret in ["x, y", "s3cr3t-block"] {
            assert!(!files[0].text.contains(secret), "{}", files[0].text);
        }
        let copy = load(&files[0].text);
        for name in ["a", "b", "c"] {
            assert_eq!(
                copy.variables[name].default,
                Some(Value::str(WITHHELD_DEFAULT))
            );
            assert!(copy.variables[name].sensitive);
        }
        assert_eq!(copy.variables["open"].default, Some(Value::str("visible")));
        assert!(files[0].text.contains("# a comment"));
    }

    #[test]
    fn a_default_that_also_stands_elsewhere_is_refused() {
        let cfg = load(
            "variables:\n  a: { default: pw-1234, sensitive: true }\noutputs:\n  o: pw-1234\n",
        );
        let e = files_without_secrets(&cfg).unwrap_err();
        assert!(e.contains("also stands elsewhere"), "{e}");
    }
}
